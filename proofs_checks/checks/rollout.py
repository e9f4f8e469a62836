"""Check ``rollout-vs-teacher-forced``: errors compound in free rollouts. Under greedy decoding a rollout is
exact exactly when every teacher-forced step is right (an identity, kept as a property test); under
temperature sampling each step is a draw, and the chance that a rollout still matches the reference after
``l`` tokens is the product of the ``l`` per-step probabilities of the true token given the true prefix: it
decays geometrically with the CoT length. The check measures the survival of sampled rollouts against that
prediction, computed from teacher-forced scores only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from learners import LeastSquaresAR, PerceptronAR, as_sequences, evaluate
from learners.linear.features import PAD
from tmsim.datasets import Split, make_splits
from tmsim.datasets.tasks import ParityTask
from tmsim.encodings import PositionLayout, get_encoding
from tmsim.resolve import resolve_machine

from ..experiments.learned_emulation import default_learner
from ..plots import log_axis, new_figure
from ..registry import Outcome, register
from ..sweep import grid

#: z of the two-sided 99.9% normal interval of the survival estimates (the figure's band; the compounding
#: test's margin).
Z = 3.29
#: Family-wise level of the survival test: the chance, if survival is the teacher-forced product, that any
#: of a run's (cell, l) points is flagged (Bonferroni over the points of the run).
ALPHA = 0.001


def step_scores(model, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The linear model's scores of every output after each context ``buf[rows[i], :lengths[i]]``.

    Parameters
    ----------
    model : fitted LeastSquaresAR or PerceptronAR
    buf : ndarray of int32, shape (n, width)
        Token ids (the model's vocabulary).
    rows, lengths : ndarray of int64, shape (m,)

    Returns
    -------
    ndarray of float64, shape (m, n_outputs)
        Column ``j`` scores the model's output id ``j`` (vocabulary id ``model._to_vocabulary(j)``); the
        argmax of a row is the greedy next token.
    """
    offs, V, pad, period, classes, use = model._kernel_args()
    rows, lengths = np.asarray(rows, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    if period > 0:
        cls = classes[lengths % period] if len(classes) else lengths % period
    else:  # time-dependent: one class per position, the last one for every later position
        cls = np.minimum(lengths, model.coef_.shape[0] - 1)
    out = model.intercept_[cls].astype(np.float64)
    for i, o in enumerate(offs):
        src = lengths - int(o)
        tok = np.where(src >= 0, buf[rows, np.maximum(src, 0)], PAD)
        ids = np.where(src >= 0, model._to_internal(tok), pad)
        w = model.coef_[cls, i * V + ids, :]
        out += np.where(use[cls, i][:, None] != 0, w, 0.0)
    return out


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = (scores - scores.max(axis=1, keepdims=True)) / temperature
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def survival(model, data, temperature: float, repeats: int, rng: np.random.Generator,
             noise: float = 0.0) -> dict:
    """Sampled free rollouts against the teacher-forced prediction of their survival.

    Each test sequence is rolled out ``repeats`` times from its prompt, every token drawn from the softmax of
    the model's scores over ``temperature`` given the rollout's own prefix (``noise``: the probability that a
    draw is replaced by a uniformly random token, the negative control's decoder). ``measured[l]`` is the
    fraction of rollouts whose first ``l`` generated tokens equal the reference's; ``predicted[l]`` the mean
    over the sequences of the product of the first ``l`` teacher-forced probabilities of the true token.

    Returns
    -------
    dict
        ``measured``, ``predicted``, ``se`` (the binomial standard error of ``measured`` under the
        prediction), arrays over l = 1..L (L: the longest generated part); ``answer_accuracy`` (rollouts whose
        last token is the reference's) and ``length`` (generated tokens per sequence, mean).
    """
    seqs = as_sequences(data)
    plens = seqs.prompt_lengths()
    lens = np.diff(seqs.offsets)
    gen = lens - plens
    n, L = len(seqs), int(gen.max())
    width = int(lens.max())
    ref = np.zeros((n, width), dtype=np.int32)
    for s in range(n):
        ref[s, :lens[s]] = seqs.sequence(s)
    # Teacher-forced probabilities of the true token at every generated position (true prefixes).
    p_true = np.ones((n, L))
    for j in range(L):
        act = np.flatnonzero(gen > j)
        probs = _softmax(step_scores(model, ref, act, plens[act] + j), temperature)
        true_ids = model._to_internal(ref[act, plens[act] + j])
        ok = true_ids < probs.shape[1]
        p_true[act[ok], j] = probs[np.flatnonzero(ok), true_ids[ok]]
        p_true[act[~ok], j] = 0.0  # a token the model never outputs
    surv = np.cumprod(p_true, axis=1)  # per sequence: P(first l tokens right)
    # Free sampled rollouts: each continues on its own prefix until the reference's length.
    R = np.repeat(np.arange(n), repeats)
    buf = ref[R].copy()
    right = np.ones(len(R), dtype=bool)
    alive = np.zeros((len(R), L))
    last_ok = np.zeros(len(R), dtype=bool)
    for j in range(L):
        act = np.flatnonzero(gen[R] > j)
        pos = plens[R[act]] + j
        probs = _softmax(step_scores(model, buf, act, pos), temperature)
        u = rng.random(len(act))
        ids = (probs.cumsum(axis=1) < u[:, None]).sum(axis=1).clip(max=probs.shape[1] - 1)
        tok = model._to_vocabulary(ids).astype(np.int32)
        if noise > 0:
            flip = rng.random(len(act)) < noise
            tok[flip] = rng.integers(1, model.vocab_size_, size=int(flip.sum()))
        truth = ref[R[act], pos]
        buf[act, pos] = tok
        right[act] &= tok == truth
        alive[act, j] = right[act]
        last = gen[R[act]] == j + 1
        last_ok[act[last]] = tok[last] == truth[last]
    has = np.stack([gen[R] > j for j in range(L)], axis=1)
    measured = np.where(has.any(axis=0), (alive * has).sum(axis=0) / np.maximum(has.sum(axis=0), 1), np.nan)
    # Survival at l averages over the sequences with at least l generated tokens; the prediction likewise.
    hs = np.stack([gen > j for j in range(L)], axis=1)
    predicted = (surv * hs).sum(axis=0) / np.maximum(hs.sum(axis=0), 1)
    se = np.sqrt((surv * (1 - surv) * hs).sum(axis=0) / repeats) / np.maximum(hs.sum(axis=0), 1)
    return {"measured": measured, "predicted": predicted, "se": se, "trials": has.sum(axis=0),
            "answer_accuracy": float(last_ok.mean()),
            "length": float(gen.mean()), "per_step_p_true_mean": float(p_true[hs].mean())}


def survival_p_values(measured: np.ndarray, predicted: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Two-sided p-values of the surviving rollouts at each l against the teacher-forced prediction.

    The survivors at l are ``K = measured * trials`` of ``trials`` independent rollouts, each surviving with
    its own sequence's predicted probability (a Poisson-binomial count of mean ``predicted * trials``). The
    p-value uses the binomial of the same mean, whose tails are at least as heavy (Hoeffding 1956), so it is
    valid (conservative) at rare events too, where a normal interval is not.

    Parameters
    ----------
    measured, predicted : ndarray of float, shape (L,)
    trials : ndarray of int, shape (L,)

    Returns
    -------
    ndarray of float, shape (L,), in [0, 1]
    """
    n = np.asarray(trials, dtype=np.int64)
    k = np.rint(np.asarray(measured, dtype=float) * n)
    p = np.clip(np.asarray(predicted, dtype=float), 0.0, 1.0)
    two = 2 * np.minimum(binom.sf(k - 1, n, p), binom.cdf(k, n, p))
    return np.where(n > 0, np.minimum(two, 1.0), 1.0)


def _data(task: str, n: int, seed: int):
    """(train, test, learner) for a task name: ``zoo:NAME/ENCODING`` traces on inputs of lengths 1-8, or
    ``parity:N`` (the count CoT)."""
    if task.startswith("parity:"):
        pt = ParityTask(n=int(task.split(":")[1]), fmt="count", random_state=seed)
        return (pt.sample(n, random_state=seed + 1), pt.sample(200, random_state=seed + 2),
                {"layout": pt.layout()})
    machine, enc = task.split("/")
    parts = make_splits(machine, enc, Split("rollout", train=(1, 8), test=(1, 8), n_train=n, n_test=100),
                        random_state=seed, width="auto")
    W = int(parts["train"].width[0])
    if enc in ("tableau-triples", "gates"):  # the declared local features (docs/theory.md#tableau-triples)
        m = resolve_machine(machine, owner="rollout-vs-teacher-forced")[0]
        return parts["train"], parts["test"], {"layout": get_encoding(enc).layout(m, width=W), "local": True}
    # The cells above (W, W+1, W+2 back for tableau rows) and the last two tokens; seen tokens only.
    return parts["train"], parts["test"], {"offsets": (1, 2, W, W + 1, W + 2), "compact": True,
                                           "layout": PositionLayout(period=W + 1, classes=tuple(range(W + 1)))}


def rollout_job(task: str, learner: str, n_train: int, seed: int, temperatures: list, repeats: int,
                 decoder_noise: float) -> dict:
    """Fit one learner on one task; the greedy identity, then sampled survival at every temperature."""
    train, test, feats = _data(task, n_train, seed)
    if learner == "perceptron":
        if feats.pop("local", False):
            model = default_learner(seed).set_params(**feats)
        else:
            model = PerceptronAR(random_state=seed, max_iter=20, **feats)
    else:
        if not task.startswith("parity:"):  # traces: one Gram matrix, the shared window
            feats = {**{k: v for k, v in feats.items() if k != "local"}, "layout": None}
        model = LeastSquaresAR(alpha=1.0, **feats)
    model.fit(train)
    ev = evaluate(model, test)
    tf_ok = ev.teacher_forced_first_error < 0
    roll_ok = ev.first_error < 0
    # The temperature is in units of the model's median teacher-forced gap (best minus second-best score), so
    # that it means the same for a perceptron and for least squares.
    seqs = as_sequences(test)
    plens = seqs.prompt_lengths()
    lens = np.diff(seqs.offsets)
    ref = np.zeros((len(seqs), int(lens.max())), dtype=np.int32)
    for s in range(len(seqs)):
        ref[s, :lens[s]] = seqs.sequence(s)
    rows = np.repeat(np.arange(len(seqs)), lens - plens)
    pos = np.concatenate([np.arange(plens[s], lens[s]) for s in range(len(seqs))])
    sc = np.sort(step_scores(model, ref, rows, pos), axis=1)
    gap = float(np.median(sc[:, -1] - sc[:, -2])) if sc.shape[1] > 1 else 1.0
    gap = gap if gap > 0 else 1.0
    rng = np.random.default_rng(seed + 7)
    sampled = []
    for tau in temperatures:
        sv = survival(model, test, tau * gap, repeats, rng, decoder_noise)
        dev = np.abs(sv["measured"] - sv["predicted"]) / np.maximum(sv["se"], 1e-12)
        # A deviation counts when it exceeds Z standard errors and one rollout (the estimate's resolution).
        res = 1.0 / (repeats * len(seqs))
        outside = int(np.sum((dev > Z) & (np.abs(sv["measured"] - sv["predicted"]) > res)))
        sampled.append({"temperature": tau, "scale": gap, "measured": sv["measured"].tolist(),
                        "predicted": sv["predicted"].tolist(), "se": sv["se"].tolist(),
                        "p_value": survival_p_values(sv["measured"], sv["predicted"], sv["trials"]).tolist(),
                        "trials": sv["trials"].tolist(), "outside_pointwise_normal": outside,
                        "max_z": float(np.max(np.where(sv["se"] > 0, dev, 0.0))),
                        "answer_accuracy": sv["answer_accuracy"], "length": sv["length"],
                        "per_step_p_true_mean": sv["per_step_p_true_mean"]})
    return {"task": task, "learner": learner, "n_train": n_train, "seed": seed,
            "teacher_forced_sequence_error": ev.sequence_error, "rollout_error": 1.0 - ev.exact_match,
            "token_accuracy": ev.token_accuracy, "n_test": ev.n_sequences,
            "tf_right_rollout_wrong": int(np.count_nonzero(tf_ok & ~roll_ok)),
            "tf_wrong_rollout_right": int(np.count_nonzero(~tf_ok & roll_ok)), "sampled": sampled}


@dataclass(frozen=True)
class RolloutConfig:
    """Every ``task`` (``zoo:NAME/ENCODING`` traces on inputs of lengths 1-8, or ``parity:N`` with the count
    CoT) x ``learners`` x ``n_train_grid`` x ``seeds``; each model is rolled out greedily and, ``repeats``
    times per test sequence, by sampling at every temperature of ``temperatures`` (in units of the model's
    median teacher-forced score gap). ``decoder_noise`` > 0: the sampling decoder also replaces that fraction
    of its draws by a uniformly random token, outside the model's distribution (the negative control)."""

    tasks: tuple[str, ...] = ("parity:16", "parity:64", "zoo:parity/tableau-triples",
                              "zoo:binary-increment/tableau-triples", "zoo:binary-increment/tableau")
    learners: tuple[str, ...] = ("perceptron", "least-squares")
    n_train_grid: tuple[int, ...] = (100, 300)
    seeds: tuple[int, ...] = (0, 1, 2)
    temperatures: tuple[float, ...] = (0.1, 0.2, 0.4)
    repeats: int = 10
    decoder_noise: float = 0.0


_QUICK_R = RolloutConfig(tasks=("parity:16", "zoo:parity/tableau-triples"), learners=("perceptron",),
                         n_train_grid=(100,), seeds=(0,), temperatures=(0.1, 0.25), repeats=5)
_FULL_R = RolloutConfig()


@register("rollout-vs-teacher-forced",
          claim="Errors compound in free rollouts: sampled at a temperature, the fraction of rollouts still equal "
                "to the reference after l tokens matches the product of the l teacher-forced probabilities of "
                "the true token (no l outside a family-wise 99.9% binomial test) and falls with l, while under greedy "
                "decoding the rollout error equals the teacher-forced sequence error.",
          theorem="[paper] section 3 (AR learnability is a sequence-level 0/1 loss); "
                  "docs/theory.md#teacher-forcing-and-rollout",
          quick=_QUICK_R, full=_FULL_R,
          control={"decoder_noise": 0.05},
          control_breaks="the decoder: 5% of its draws replaced by uniformly random tokens")
def run_rollout(cfg: RolloutConfig, runner) -> Outcome:
    points = grid(task=list(cfg.tasks), learner=list(cfg.learners), n_train=list(cfg.n_train_grid),
                  seed=list(cfg.seeds), temperatures=[list(cfg.temperatures)], repeats=[cfg.repeats],
                  decoder_noise=[cfg.decoder_noise])
    rows = runner.map(rollout_job, points, desc="rollout-vs-teacher-forced")
    violations = sum(r["tf_right_rollout_wrong"] for r in rows)
    worse = [r for r in rows if r["rollout_error"] > r["teacher_forced_sequence_error"] + 1e-12]
    gap = max(r["rollout_error"] - r["teacher_forced_sequence_error"] for r in rows)
    cells = [(r, s) for r in rows for s in r["sampled"]]
    points_checked = sum(len(s["measured"]) for _, s in cells)
    # Family-wise: a point is outside when its p-value is below ALPHA / (points in the run), so that under
    # the prediction the chance of any point outside is at most ALPHA, however many points a preset has.
    cut = ALPHA / max(points_checked, 1)
    outside = sum(int(np.sum(np.asarray(s["p_value"]) < cut)) for _, s in cells)
    pointwise = sum(s["outside_pointwise_normal"] for _, s in cells)
    # Compounding: where the prediction leaves room for it, the survival at l* is below the survival after
    # the first token (by more than Z standard errors); l* is the last l that at least half of the sequences
    # reach (the very last l may be reached by one sequence, too few to show anything).
    def l_star(s):
        t = np.asarray(s["trials"])
        return int(np.flatnonzero(t >= t[0] / 2)[-1])

    decays = [s["measured"][0] - s["measured"][l_star(s)] > Z * max(s["se"][0], s["se"][l_star(s)], 1e-3)
              for _, s in cells]
    informative = [0.02 < s["predicted"][l_star(s)] < 0.98 for _, s in cells]
    decay_ok = all(d for d, i in zip(decays, informative) if i) and any(informative)
    greedy_ok = violations == 0 and not worse
    errs = [r["teacher_forced_sequence_error"] for r in rows]
    passed = outside == 0 and decay_ok and greedy_ok
    measured = {"sampled_survival_points_outside_the_interval": f"{outside}/{points_checked}",
                "min_p_value": float(f"{min(min(s['p_value']) for _, s in cells):.3g}"),
                "family_wise_cut (information)": float(f"{cut:.3g}"),
                "points_outside_pointwise_normal_99.9% (information)": f"{pointwise}/{points_checked}",
                "max_abs_z (information)": round(max(s["max_z"] for _, s in cells), 2),
                "cells_with_compounding": f"{sum(d for d, i in zip(decays, informative) if i)}/{sum(informative)}",
                "survival_at_last_token": {f"{r['task']} / {r['learner']} / T={s['temperature']:g}":
                                           round(s["measured"][-1], 3) for r, s in cells},
                "predicted_survival_at_last_token": {f"{r['task']} / {r['learner']} / T={s['temperature']:g}":
                                                     round(s["predicted"][-1], 3) for r, s in cells},
                "runs": len(rows), "runs_with_rollout_error_above_tf": len(worse),
                "sequences_tf_right_but_rollout_wrong": violations, "max_gap_rollout_minus_tf": round(gap, 4) + 0.0,
                "runs_with_0<tf_error<1": sum(1 for e in errs if 0 < e < 1),
                "mean_tf_sequence_error": round(float(np.mean(errs)), 4),
                "mean_rollout_error": round(float(np.mean([r["rollout_error"] for r in rows])), 4)}
    verdict = (f"sampled survival after l tokens outside the family-wise {1 - ALPHA:.1%} interval of the "
               f"teacher-forced product at {outside} of {points_checked} (cell, l) points (smallest p-value "
               f"{measured['min_p_value']:.2g}, cut {cut:.2g}); survival "
               f"fell from the first token to the last that half the sequences reach in "
               f"{measured['cells_with_compounding']} informative cells; "
               f"greedy: {len(worse)} of {len(rows)} runs with the rollout error above the teacher-forced "
               f"sequence error, {violations} sequences right under teacher forcing but wrong in rollout")
    bound = {"predicted_survival": "S(l) = mean over sequences of prod_{t<=l} p_t(true token | true prefix), "
                                   "p_t = softmax(scores / temperature)",
             "interval": f"two-sided binomial test of the survivors at each l against S(l) (conservative for "
                         f"the Poisson-binomial count, {cfg.repeats} rollouts per sequence), family-wise level "
                         f"{ALPHA:g} over the run's points (Bonferroni)",
             "greedy": "rollout error = teacher-forced sequence error"}
    return Outcome(passed, measured, {"points_outside_the_interval": 0,
                                      "survival_falls_with_length": "in every informative cell",
                                      "runs_with_rollout_error_above_tf": 0,
                                      "sequences_tf_right_but_rollout_wrong": 0},
                   verdict, bound, {"rows": rows},
                   {"rollout_survival": _fig_survival(rows), "rollout_vs_teacher_forced": _fig(rows)})


def _fig_survival(rows):
    fig, ax = new_figure()
    i = 0
    for r in rows:
        for s in r["sampled"]:
            ls = np.arange(1, len(s["measured"]) + 1)
            pred, se = np.asarray(s["predicted"]), np.asarray(s["se"])
            name = f"{r['task']} / {r['learner']} / n={r['n_train']} / seed {r['seed']} / temperature {s['temperature']:g}"
            ax.plot(ls, s["measured"], "o", ms=2.5, color=f"C{i % 10}", label=f"{name}: sampled rollouts")
            ax.fill_between(ls, np.clip(pred - Z * se, 0, 1), np.clip(pred + Z * se, 0, 1), color=f"C{i % 10}",
                            alpha=0.2, lw=0, label=f"{name}: teacher-forced product, pointwise 99.9% normal band")
            i += 1
    log_axis(ax, [x for r in rows for s in r["sampled"] for x in range(1, len(s["measured"]) + 1)], "x")
    ax.set_xlabel("generated tokens l")
    ax.set_ylabel("rollouts equal to the reference so far")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Error compounding under temperature sampling")
    ax.legend(fontsize=5)
    return fig


def _fig(rows):
    fig, ax = new_figure((5.5, 5.0))
    tasks = sorted({r["task"] for r in rows})
    for i, t in enumerate(tasks):
        for learner, mk in (("perceptron", "o"), ("least-squares", "s")):
            pts = [(r["teacher_forced_sequence_error"], r["rollout_error"]) for r in rows
                   if r["task"] == t and r["learner"] == learner]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, mk, color=f"C{i}", alpha=0.8, label=f"{t} / {learner}")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="rollout error = teacher-forced error")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("teacher-forced sequence-level error")
    ax.set_ylabel("greedy free-rollout sequence error")
    ax.set_title("Greedy decoding: rollout vs teacher-forced error")
    ax.legend(fontsize=6)
    return fig
