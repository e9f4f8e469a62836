"""Check ``length-vs-samples``: for one machine, encodings from no CoT to the local trace -- how many training
traces (and tokens) one linear learner needs to reach 99% exact match, with bootstrap error bars over seeds,
beside the perceptron's mistake bound turned into a sample bound where a separator is known (the compiled
weights of ``tableau-triples``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy

from learners import PerceptronAR, Sequences, as_sequences, compile_linear, evaluate
from tmsim.datasets import Split, make_splits
from tmsim.encodings import get_encoding
from tmsim.resolve import resolve_machine

from ..bounds import PERCEPTRON_MISTAKES, compression_samples, encoding_length_formulas, evaluate_bound
from ..plots import log_axis, new_figure
from ..registry import Outcome, register

#: The encoding that writes no intermediate configuration: the prompt row, then the final row and the answer.
NO_COT = "snapshots(every=1000000)"
#: Encodings with a compiled separator in the learner's feature space (docs/theory.md#compiled-weights).
SEPARATED = ("tableau-triples",)


def _label(enc: str) -> str:
    return "no CoT" if enc == NO_COT else enc


def _shuffle_cot(ds, rng: np.random.Generator):
    """The dataset with the CoT and answer tokens of each sequence permuted at random (the negative control)."""
    s = as_sequences(ds)
    tok = s.tokens.copy()
    for i in range(len(s)):
        a, b = s.offsets[i], s.offsets[i + 1]
        idx = a + np.flatnonzero(s.kinds[a:b] != 0)
        tok[idx] = tok[rng.permutation(idx)]
    return Sequences(tok, s.offsets, s.kinds, s.vocab_size, s.vocabulary)


def row_period(enc, width: int) -> int:
    """The distance back to the same place one step earlier: the row of a tableau-style trace, the
    5-token record of ``transitions``."""
    if enc.name == "transitions":
        return 5
    if enc.name == "tableau-triples":
        return 2 * width + 2
    return width + 1  # tableau, snapshots


def learner_offsets(period: int, near: int, reach: int) -> tuple[int, ...]:
    """The one learner's features: the last ``near`` tokens and the ``2 reach + 1`` tokens around the same
    place one row back."""
    return tuple(sorted(set(range(1, near + 1)) | set(range(max(1, period - reach), period + reach + 1))))


def the_learner(offsets: tuple, max_iter: int, seed: int) -> PerceptronAR:
    """The learner of every encoding: the margin perceptron (margin 10, last weights, the seen tokens), one
    weight block for every position (shift-invariant), reading ``offsets``. Last weights rather than
    averaged ones: a perceptron that stops at an epoch without an update is consistent with its samples and
    determined by its updates, which is what the sample bound needs (docs/theory.md#perceptron-mistake-bound)."""
    return PerceptronAR(offsets=offsets, averaged=False, margin=10.0, compact=True, shrinking=True,
                        max_iter=max_iter, random_state=seed)


def samples_job(machine: str, encoding: str, n_train: int, seed: int, lengths: list, n_test: int,
                 max_iter: int, near: int, reach: int, shuffle_cot: bool) -> dict:
    """Train the learner on ``n_train`` traces of one encoding; exact match on held-out inputs of the same
    lengths (a sweep task)."""
    m, entry = resolve_machine(machine, owner="length-vs-samples")
    enc = get_encoding(encoding)
    if entry is not None and entry.task == "accept":
        enc = dataclasses.replace(enc, answer="state")
    split = Split("length-vs-samples", train=tuple(lengths), test=tuple(lengths), n_train=n_train, n_test=n_test)
    parts = make_splits(entry if entry is not None else m, enc, split, random_state=seed, width="auto")
    train, test = parts["train"], parts["test"]
    W = int(train.width[0]) if enc.name != "transitions" else 0
    offsets = learner_offsets(row_period(enc, W), near, reach)
    model = the_learner(offsets, max_iter, seed)
    if shuffle_cot:
        rng = np.random.default_rng(seed + 99)
        train, test = _shuffle_cot(train, rng), _shuffle_cot(test, rng)
    model.fit(train)
    ev = evaluate(model, test)
    lens = np.diff(np.asarray(test.offsets))
    cot = np.bincount(np.repeat(np.arange(len(lens)), lens), weights=(np.asarray(test.kinds) == 1))
    train_lens = np.diff(np.asarray(as_sequences(train).offsets))
    return {"machine": machine, "encoding": encoding, "n_train": n_train, "seed": seed, "width": W,
            "exact_match": ev.exact_match, "token_accuracy": ev.token_accuracy,
            "sequence_error": ev.sequence_error, "mean_length": float(lens.mean()),
            "max_length": int(max(lens.max(), train_lens.max())), "train_tokens": int(train_lens.sum()),
            "mean_cot_tokens": float(cot.mean()), "n_offsets": len(offsets),
            "updates": int(sum(model.mistakes_)), "converged": bool(model.converged_), "epochs": int(model.n_iter_)}


def separator_job(machine: str, encoding: str, width: int, lengths: list, n_inputs: int, near: int,
                   reach: int, seed: int) -> dict:
    """The compiled weights of ``encoding`` at row width ``width`` as a separator in the learner's feature
    space: its squared norm, its margin on the traces of ``n_inputs`` inputs, and whether the learner's
    offsets hold the compiled ones (a sweep task)."""
    m, entry = resolve_machine(machine, owner="length-vs-samples")
    enc = get_encoding(encoding, answer="state" if entry is not None and entry.task == "accept" else "tape")
    cm = compile_linear(m, enc, width=width)
    offsets = learner_offsets(row_period(enc, width), near, reach)
    rng = np.random.default_rng(seed)
    inputs = [entry.sample(int(rng.integers(lengths[0], lengths[1] + 1)), rng) for _ in range(n_inputs)]
    v = cm.verify(inputs, max_steps=entry.max_steps, rollout=False)
    norm2 = float((cm.coef.data.astype(np.float64) ** 2).sum() + (cm.intercept.astype(np.float64) ** 2).sum())
    return {"encoding": encoding, "norm2": norm2, "margin": v["min_margin"], "period": cm.period,
            "contained": set(cm.offsets) <= set(offsets), "n_offsets": len(offsets)}


@dataclass(frozen=True)
class SamplesConfig:
    """``machine`` (``zoo:NAME``) on inputs of ``lengths``; every encoding of ``encodings`` (``NO_COT`` is
    the final configuration written at once) with ``n_train_grid`` training traces and ``seeds``; exact match
    on ``n_test`` held-out inputs; ``threshold`` the exact match that counts as learned; ``n_boot``
    bootstrap resamples of the seeds; ``stop_when_reached``: train an (encoding, seed) pair on no larger size
    once it reached the threshold. The learner is :func:`the_learner` for every encoding, reading the last
    ``near`` tokens and ``reach`` tokens either side of the same place one row back. No CoT has plateaued
    when its mean exact match at the largest training size is less than ``plateau_tol`` above the best of
    every smaller size (a curve that went up and down counts by its best, not by its last step).
    ``delta``: the confidence of the sample bound. ``shuffle_cot``: permute the CoT tokens (the negative
    control)."""

    machine: str = "zoo:binary-increment"
    lengths: tuple[int, int] = (1, 10)
    encodings: tuple[str, ...] = (NO_COT, "snapshots(every=4)", "snapshots(every=2)", "transitions", "tableau",
                                  "tableau-triples")
    n_train_grid: tuple[int, ...] = (10, 25, 50, 100, 200, 400, 800, 1600)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_test: int = 200
    threshold: float = 0.99
    max_iter: int = 100
    n_boot: int = 1000
    stop_when_reached: bool = True
    near: int = 6
    reach: int = 6
    plateau_tol: float = 0.05
    delta: float = 0.05
    shuffle_cot: bool = False


_QUICK_S = SamplesConfig(lengths=(1, 9), encodings=(NO_COT, "snapshots(every=2)", "transitions", "tableau-triples"),
                         n_train_grid=(10, 25, 50, 100, 200, 400), seeds=(0, 1, 2), n_test=100, max_iter=50)
_FULL_S = SamplesConfig()


def plateau_statistic(exact_by_size: dict) -> dict:
    """How far the mean exact match at the largest training size rose above the best of every smaller size.

    ``gain_over_best`` (``None`` with fewer than two sizes) is what the plateau clause tests: a curve that
    went up and down counts by its best, so one noisy step does not read as growth, while a curve still
    rising at its end shows a positive gain. ``gain_last_doubling`` is information.

    >>> plateau_statistic({10: 0.05, 100: 0.25, 200: 0.1, 400: 0.13})["gain_over_best"]
    -0.12
    >>> plateau_statistic({10: 0.1, 100: 0.3, 200: 0.5})["gain_over_best"]
    0.2
    """
    sizes = sorted(exact_by_size)
    ex = exact_by_size
    best = max(ex[n] for n in sizes[:-1]) if len(sizes) >= 2 else None
    r = lambda x: None if x is None else round(float(x), 12)  # noqa: E731
    return {"exact_at_largest": ex[sizes[-1]], "largest": sizes[-1], "best_before_largest": best,
            "gain_over_best": r(None if best is None else ex[sizes[-1]] - best),
            "gain_last_doubling": r(ex[sizes[-1]] - ex[sizes[-2]] if len(sizes) >= 2 else None)}


def _needed(rows: list, grid: tuple, thr: float) -> float:
    """The smallest training size of the grid at which the exact match reaches ``thr`` (inf: never)."""
    by = {r["n_train"]: r["exact_match"] for r in rows}
    return next((float(n) for n in sorted(grid) if by.get(n, 0.0) >= thr), float("inf"))


@register("length-vs-samples",
          claim="One linear learner (a margin perceptron reading the last tokens and the row above) needs few "
                "training traces to reach 99% exact match on the local tableau-triples CoT, within the "
                "perceptron mistake bound of the compiled separator, while without a CoT it plateaus below 99%.",
          theorem="[paper] Thm 3.3 and the length complexity of section 3; docs/theory.md#length-complexity, "
                  "#perceptron-mistake-bound, #compiled-weights",
          quick=_QUICK_S, full=_FULL_S,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_samples(cfg: SamplesConfig, runner) -> Outcome:
    # One sweep per training size, over the (encoding, seed) pairs that have not reached the threshold yet:
    # the samples needed are the first size that reaches it, so larger sizes of a pair that got there are
    # not trained (with stop_when_reached).
    rows: list = []
    pending = [(e, s) for e in cfg.encodings for s in cfg.seeds]
    for n in sorted(cfg.n_train_grid):
        points = [dict(machine=cfg.machine, encoding=e, n_train=n, seed=s, lengths=list(cfg.lengths),
                       n_test=cfg.n_test, max_iter=cfg.max_iter, near=cfg.near, reach=cfg.reach,
                       shuffle_cot=cfg.shuffle_cot) for e, s in pending]
        done = runner.map(samples_job, points, desc=f"length-vs-samples n={n}")
        rows += done
        if cfg.stop_when_reached:
            pending = [(r["encoding"], r["seed"]) for r in done if r["exact_match"] < cfg.threshold]
        if not pending:
            break
    eps = round(1 - cfg.threshold, 12)
    seps = {}
    for e in cfg.encodings:
        if e in SEPARATED:
            width = max(r["width"] for r in rows if r["encoding"] == e)
            seps[e] = runner.map(separator_job, [dict(machine=cfg.machine, encoding=e, width=width,
                                                       lengths=list(cfg.lengths), n_inputs=50, near=cfg.near,
                                                       reach=cfg.reach, seed=0)],
                                 desc="length-vs-samples separator")[0]
    rng = np.random.default_rng(0)
    curve = {}
    top = max(cfg.n_train_grid)
    for enc in cfg.encodings:
        er = [r for r in rows if r["encoding"] == enc]
        per_seed = [_needed([r for r in er if r["seed"] == s], cfg.n_train_grid, cfg.threshold) for s in cfg.seeds]
        arr = np.array(per_seed)
        tok = [next((r["train_tokens"] for r in er if r["seed"] == s and r["n_train"] == n), None)
               for s, n in zip(cfg.seeds, per_seed)]
        v = {"per_seed": per_seed, "mean_length": float(np.mean([r["mean_length"] for r in er])),
             "mean_cot_tokens": float(np.mean([r["mean_cot_tokens"] for r in er])),
             "reached_by_seeds": int(np.isfinite(arr).sum())}
        if np.isfinite(arr).all():
            boot = rng.choice(arr, size=(cfg.n_boot, len(arr))).mean(axis=1)
            lo, hi = np.percentile(boot, [2.5, 97.5])
            v.update(samples_needed_mean=float(arr.mean()), ci95=[float(lo), float(hi)],
                     tokens_needed_mean=float(np.mean(tok)))
        else:
            v.update(samples_needed_mean=float("inf"), ci95=[float("inf")] * 2, tokens_needed_mean=float("inf"))
        by_n = {n: float(np.mean([r["exact_match"] for r in er if r["n_train"] == n]))
                for n in sorted(cfg.n_train_grid) if any(r["n_train"] == n for r in er)}
        v["exact_by_size"] = by_n
        if enc in seps:
            sp = seps[enc]
            R2 = sp["n_offsets"] + 1  # one-hot per offset, plus the bias
            M = evaluate_bound(PERCEPTRON_MISTAKES, R2=R2, mu=10.0, N2=sp["norm2"], gamma=sp["margin"])
            L = max(r["max_length"] for r in er)
            upd = [next(r["updates"] for r in er if r["seed"] == s and r["n_train"] == n) if np.isfinite(n) else None
                   for s, n in zip(cfg.seeds, per_seed)]
            v.update(mistake_bound=M, sample_bound=compression_samples(M, eps, cfg.delta, L),
                     updates_at_needed=upd,
                     sample_bound_from_updates=[compression_samples(u, eps, cfg.delta, L) if u is not None else None
                                                for u in upd],
                     separator=sp)
        curve[_label(enc)] = v
    local = [_label(e) for e in cfg.encodings if e in SEPARATED]
    local_ok = bool(local) and all(curve[k]["reached_by_seeds"] == len(cfg.seeds) for k in local)
    bound_ok = all(curve[k]["separator"]["contained"] and curve[k]["separator"]["margin"] is not None
                   and curve[k]["separator"]["margin"] >= 1
                   and all(u is not None and u <= curve[k]["mistake_bound"] for u in curve[k]["updates_at_needed"])
                   and curve[k]["samples_needed_mean"] <= curve[k]["sample_bound"] for k in local)
    nocot = curve.get(_label(NO_COT))
    plateau = None
    if nocot is not None:
        plateau = plateau_statistic(nocot["exact_by_size"])
    nocot_ok = (nocot is not None and nocot["reached_by_seeds"] == 0 and plateau["gain_over_best"] is not None
                and plateau["gain_over_best"] < cfg.plateau_tol)
    passed = local_ok and bound_ok and nocot_ok
    fmt = lambda x: f"{x:.4g}" if np.isfinite(x) else f"> {top}"  # noqa: E731
    measured = {"samples_needed_traces": {k: (round(v["samples_needed_mean"], 1) if np.isfinite(v["samples_needed_mean"])
                                              else f"> {top}") for k, v in curve.items()},
                "samples_needed_tokens": {k: (int(v["tokens_needed_mean"]) if np.isfinite(v["tokens_needed_mean"])
                                              else "not reached") for k, v in curve.items()},
                "ci95_traces": {k: [round(x, 1) for x in v["ci95"]] for k, v in curve.items()
                                if np.isfinite(v["samples_needed_mean"])},
                "no_cot_plateau": plateau,
                "updates_at_samples_needed": {k: curve[k]["updates_at_needed"] for k in local},
                "mean_trace_length": {k: round(v["mean_length"], 1) for k, v in curve.items()}}
    machine = resolve_machine(cfg.machine, owner="length-vs-samples")[0]
    bound = {"mistake_bound": {k: float(f"{curve[k]['mistake_bound']:.3g}") for k in local},
             "sample_bound_traces": {k: float(f"{curve[k]['sample_bound']:.3g}") for k in local},
             "sample_bound_from_measured_updates": {k: [float(f"{b:.3g}") if b else None
                                                        for b in curve[k]["sample_bound_from_updates"]] for k in local},
             "formulas": "updates <= (2 R^2 + 2 mu) ||W*||^2 / gamma^2; traces m >= u + (u ln(m L) + ln(2/delta)) / eps",
             "parameters": {k: f"R^2 = {curve[k]['separator']['n_offsets'] + 1}, mu = 10, ||W*||^2 = "
                               f"{curve[k]['separator']['norm2']:.3g} (compiled weights), gamma = "
                               f"{curve[k]['separator']['margin']}, eps = {eps:g}, delta = {cfg.delta:g}" for k in local},
             "trace_length (information)": {_label(e): _plain(e, f) for e, f in
                                            encoding_length_formulas(machine, cfg.encodings).items()},
             "symbols": "T steps, W row width, n input length, A answer tokens"}
    verdict = (f"samples to {cfg.threshold:.0%} exact on {cfg.machine} ({len(cfg.seeds)} seeds, one learner): "
               + ", ".join(f"{k}: {fmt(v['samples_needed_mean'])}" for k, v in curve.items())
               + f"; {', '.join(local)} "
               + ((f"reached it, with updates {'within' if bound_ok else 'NOT within'} the mistake bound of the "
                   "compiled separator") if local_ok else "did NOT reach it")
               + "; no CoT "
               + (f"{'plateaued' if nocot_ok else 'did NOT plateau'} at {plateau['exact_at_largest']:.3f} exact "
                  f"({plateau['largest']} traces, {plateau['gain_over_best']:+.3f} over the best smaller training "
                  f"set, tolerance {cfg.plateau_tol:g})" if plateau and plateau["gain_over_best"] is not None
                  else "not run"))
    figs = {"length_vs_samples": _fig_curve(curve, cfg, "samples_needed_mean", "ci95", "training traces"),
            "length_vs_tokens": _fig_tokens(curve, cfg), "exact_vs_train": _fig_exact(rows, cfg)}
    return Outcome(passed, measured, {"exact_match": cfg.threshold,
                                      "local_encodings": f"reach it within {top} traces",
                                      "updates_at_most": "the mistake bound", "no_cot": "never reaches it, and at the "
                                      f"largest size gains < {cfg.plateau_tol:g} over the best smaller size"},
                   verdict, bound, {"rows": rows, "curve": curve}, figs)


def _plain(enc: str, formula) -> str:
    """A length formula for readers: W for the row width (sympy's ``S``), and no CoT's single final row
    written as such (``ceiling(T/1000000)`` is 1 for every run that takes a step)."""
    if enc == NO_COT:
        formula = formula.replace(sympy.ceiling(sympy.Symbol("T", integer=True, nonnegative=True) / 1000000), 1)
    return str(formula).replace("S", "W")


def _fig_curve(curve, cfg, key, ci, unit):
    fig, ax = new_figure()
    top = max(cfg.n_train_grid) * 2
    for i, (name, v) in enumerate(curve.items()):
        x = v["mean_length"]
        if np.isfinite(v[key]):
            y = v[key]
            lo, hi = v[ci]
            ax.errorbar([x], [y], yerr=[[y - lo], [hi - y]], fmt="o", color=f"C{i}", capsize=3,
                        label=f"{name}: measured (mean, 95% bootstrap CI)")
        else:
            ax.plot([x], [top], "^", color=f"C{i}", ms=9,
                    label=f"{name}: not reached within {max(cfg.n_train_grid)} traces (drawn at {top})")
        if "sample_bound" in v:
            ax.plot([x], [v["sample_bound"]], "v", color=f"C{i}", ms=9, mfc="none",
                    label=f"{name}: sample bound from the mistake bound of the compiled separator")
            b = [u for u in v["sample_bound_from_updates"] if u]
            if b:
                ax.plot([x], [float(np.mean(b))], "D", color=f"C{i}", ms=7, mfc="none",
                        label=f"{name}: sample bound from the updates the learner made")
    ax.axhline(max(cfg.n_train_grid), ls=":", c="gray", lw=1, label=f"largest training set ({max(cfg.n_train_grid)})")
    xs = [v["mean_length"] for v in curve.values()]
    log_axis(ax, xs, "x")
    if ax.get_xscale() != "log" and len(set(xs)) >= 2:
        ax.set_xticks(xs, [f"{x:.0f}" for x in xs])
    ax.set_yscale("log")
    ax.set_xlabel("mean trace length (tokens)")
    ax.set_ylabel(f"{unit} to {cfg.threshold:.0%} exact")
    ax.set_title(f"Length vs sample complexity, one learner ({cfg.machine})")
    ax.legend(fontsize=6)
    return fig


def _fig_tokens(curve, cfg):
    fig, ax = new_figure()
    names = list(curve)
    top = max(cfg.n_train_grid)
    for i, name in enumerate(names):
        v = curve[name]
        if np.isfinite(v["tokens_needed_mean"]):
            ax.bar(i, v["tokens_needed_mean"], color=f"C{i}", label=f"{name}: training tokens to {cfg.threshold:.0%}")
        else:  # not reached: a marker at the tokens of the largest training set
            ax.plot(i, top * v["mean_length"], "^", color=f"C{i}", ms=9,
                    label=f"{name}: not reached; marker at the tokens of {top} traces")
    ax.set_xticks(range(len(names)), names, fontsize=7, rotation=20, ha="right")
    ys = [v["tokens_needed_mean"] if np.isfinite(v["tokens_needed_mean"]) else top * v["mean_length"]
          for v in curve.values()]
    log_axis(ax, ys, "y")
    ax.set_xlabel("encoding")
    ax.set_ylabel(f"training tokens to {cfg.threshold:.0%} exact (mean over seeds)")
    ax.set_title(f"Samples counted in tokens ({cfg.machine})")
    ax.legend(fontsize=6)
    return fig


def _fig_exact(rows, cfg):
    fig, ax = new_figure()
    for i, enc in enumerate(cfg.encodings):
        xs = [n for n in sorted(cfg.n_train_grid) if any(r["encoding"] == enc and r["n_train"] == n for r in rows)]
        ys = [np.mean([r["exact_match"] for r in rows if r["encoding"] == enc and r["n_train"] == n]) for n in xs]
        ax.plot(xs, ys, "o-", color=f"C{i}", label=_label(enc))
    ax.axhline(cfg.threshold, ls=":", c="k", lw=1, label=f"threshold {cfg.threshold:g}")
    ax.set_xscale("log")
    grid_n = sorted(cfg.n_train_grid)
    ax.set_xticks(grid_n, [str(n) for n in grid_n])
    ax.set_xticks([], minor=True)
    ax.set_xlabel("training traces")
    ax.set_ylabel("held-out exact match (mean over the seeds still training)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Exact match vs training traces per encoding ({cfg.machine})")
    ax.legend(fontsize=7)
    return fig
