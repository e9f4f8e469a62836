"""Check ``length-vs-samples``: for one machine, every encoding from no CoT to the gate trace -- how many
training samples a linear learner needs to reach 99% exact match, with bootstrap error bars over seeds: the
length-vs-sample-complexity curve."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from learners import PerceptronAR, Sequences, as_sequences, evaluate
from tmsim.datasets import Split, make_splits
from tmsim.resolve import resolve_machine
from tmsim.encodings import get_encoding

from ..experiments.learned_emulation import default_learner, local_features
from ..bounds import PAC_TO_AR, encoding_length_formulas, evaluate_bound
from ..plots import new_figure
from ..registry import Outcome, register

#: The encoding that writes no intermediate configuration: the prompt row, then the final row and the answer.
NO_COT = "snapshots(every=1000000)"
LOCAL = ("tableau-triples", "gates")


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


def samples_task(machine: str, encoding: str, n_train: int, seed: int, lengths: list, n_test: int,
                 max_iter: int, shuffle_cot: bool) -> dict:
    """Train one linear learner on ``n_train`` traces of one encoding; exact match on held-out inputs of the
    same lengths (a sweep task)."""
    m, entry = resolve_machine(machine, owner="length-vs-samples")
    enc = get_encoding(encoding)
    if entry is not None and entry.task == "accept":
        enc = dataclasses.replace(enc, answer="state")
    split = Split("length-vs-samples", train=tuple(lengths), test=tuple(lengths), n_train=n_train, n_test=n_test)
    parts = make_splits(entry if entry is not None else m, enc, split, random_state=seed, width="auto")
    train, test = parts["train"], parts["test"]
    W = int(train.width[0]) if enc.name != "transitions" else 0
    if enc.name in LOCAL:
        model = default_learner(seed).set_params(**local_features(enc, m, width=W), max_iter=max_iter)
    elif enc.name == "transitions":
        # A record's read symbol sits at a distance that depends on the run: no fixed window holds it.
        model = PerceptronAR(window=16, period=5, margin=10.0, compact=True, shrinking=True, max_iter=max_iter,
                             random_state=seed)
    else:  # tableau rows: the cells above are W, W+1, W+2 back; one weight block per column
        model = PerceptronAR(window=W + 3, period=W + 1, margin=10.0, compact=True, shrinking=True,
                             max_iter=max_iter, random_state=seed)
    if shuffle_cot:
        rng = np.random.default_rng(seed + 99)
        train, test = _shuffle_cot(train, rng), _shuffle_cot(test, rng)
    t0 = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - t0
    ev = evaluate(model, test)
    lens = np.diff(np.asarray(test.offsets))
    cot = np.bincount(np.repeat(np.arange(len(lens)), lens), weights=(np.asarray(test.kinds) == 1))
    return {"machine": machine, "encoding": encoding, "n_train": n_train, "seed": seed,
            "exact_match": ev.exact_match, "token_accuracy": ev.token_accuracy,
            "sequence_error": ev.sequence_error, "mean_length": float(lens.mean()),
            "mean_cot_tokens": float(cot.mean()), "weights_read": int(len(model.offsets_) * model._n_inputs),
            "fit_seconds": fit, "epochs": int(model.n_iter_)}


@dataclass(frozen=True)
class SamplesConfig:
    """``machine`` (``zoo:NAME``) on inputs of ``lengths``; every encoding of ``encodings`` (``NO_COT`` is
    the final configuration written at once) with ``n_train_grid`` training traces and ``seeds``; exact match
    on ``n_test`` held-out inputs; ``threshold`` the exact match that counts as learned; ``n_boot``
    bootstrap resamples of the seeds; ``stop_when_reached``: train an (encoding, seed) pair on no larger size
    once it reached the threshold. ``shuffle_cot``: permute the CoT tokens (the negative control)."""

    machine: str = "zoo:binary-addition"
    lengths: tuple[int, int] = (3, 9)
    encodings: tuple[str, ...] = (NO_COT, "snapshots(every=4)", "snapshots(every=2)", "transitions", "tableau",
                                  "tableau-triples", "gates")
    n_train_grid: tuple[int, ...] = (25, 50, 100, 200, 400, 800)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_test: int = 200
    threshold: float = 0.99
    max_iter: int = 200
    n_boot: int = 1000
    stop_when_reached: bool = True
    shuffle_cot: bool = False


_QUICK_S = SamplesConfig(machine="zoo:binary-increment", lengths=(1, 9),
                         encodings=(NO_COT, "snapshots(every=2)", "transitions", "tableau-triples", "gates"),
                         n_train_grid=(10, 25, 50, 100, 200), seeds=(0, 1, 2), n_test=100, max_iter=50)
_FULL_S = SamplesConfig()


def _needed(rows: list, grid: tuple, thr: float) -> float:
    """The smallest training size of the grid at which the exact match reaches ``thr`` (inf: never)."""
    by = {r["n_train"]: r["exact_match"] for r in rows}
    return next((float(n) for n in sorted(grid) if by.get(n, 0.0) >= thr), float("inf"))


@register("length-vs-samples",
          claim="The training samples a linear AR learner needs to reach 99% exact match depend on the CoT: the "
                "local traces (tableau-triples, gates), whose every step is in the linear class, are learned "
                "from few samples, while without a CoT the same learner never gets there.",
          theorem="[paper] Thm 3.3 (PAC => AR, m(eps/T, delta/T)) and the length complexity of section 3; "
                  "docs/theory.md#from-pac-to-ar, #length-complexity",
          quick=_QUICK_S, full=_FULL_S,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_samples(cfg: SamplesConfig, runner) -> Outcome:
    # One sweep per training size, over the (encoding, seed) pairs that have not reached the threshold yet:
    # the samples needed are the first size that reaches it, so larger sizes of a pair that got there are
    # not trained (with stop_when_reached; the long gate traces would otherwise dominate the run).
    rows: list = []
    pending = [(e, s) for e in cfg.encodings for s in cfg.seeds]
    for n in sorted(cfg.n_train_grid):
        points = [dict(machine=cfg.machine, encoding=e, n_train=n, seed=s, lengths=list(cfg.lengths),
                       n_test=cfg.n_test, max_iter=cfg.max_iter, shuffle_cot=cfg.shuffle_cot) for e, s in pending]
        done = runner.map(samples_task, points, desc=f"length-vs-samples n={n}")
        rows += done
        if cfg.stop_when_reached:
            pending = [(r["encoding"], r["seed"]) for r in done if r["exact_match"] < cfg.threshold]
        if not pending:
            break
    rng = np.random.default_rng(0)
    curve = {}
    for enc in cfg.encodings:
        per_seed = [_needed([r for r in rows if r["encoding"] == enc and r["seed"] == s], cfg.n_train_grid,
                            cfg.threshold) for s in cfg.seeds]
        arr = np.array(per_seed)
        length = float(np.mean([r["mean_length"] for r in rows if r["encoding"] == enc]))
        cot = float(np.mean([r["mean_cot_tokens"] for r in rows if r["encoding"] == enc]))
        if np.isfinite(arr).all():
            boot = rng.choice(arr, size=(cfg.n_boot, len(arr))).mean(axis=1)
            lo, hi = np.percentile(boot, [2.5, 97.5])
            mean = float(arr.mean())
        else:
            lo = hi = mean = float("inf")
        weights = max(r["weights_read"] for r in rows if r["encoding"] == enc)
        T = max(1.0, cot + 1)
        curve[_label(enc)] = {"samples_needed_mean": mean, "ci95": [float(lo), float(hi)],
                              "per_seed": per_seed, "mean_length": length, "mean_cot_tokens": cot,
                              "reached_by_seeds": int(np.isfinite(arr).sum()),
                              "pac_to_ar_bound": evaluate_bound(PAC_TO_AR, d=weights, eps=1 - cfg.threshold,
                                                                delta=0.05, T=T)}
    local_ok = all(curve[_label(e)]["reached_by_seeds"] == len(cfg.seeds) for e in cfg.encodings if e in LOCAL)
    nocot_ok = all(curve[_label(e)]["reached_by_seeds"] == 0 for e in cfg.encodings if e == NO_COT)
    has = any(e in LOCAL for e in cfg.encodings)
    passed = local_ok and nocot_ok and has
    measured = {"samples_needed": {k: (v["samples_needed_mean"] if np.isfinite(v["samples_needed_mean"])
                                       else f"> {max(cfg.n_train_grid)}") for k, v in curve.items()},
                "ci95": {k: v["ci95"] for k, v in curve.items() if np.isfinite(v["samples_needed_mean"])},
                "mean_trace_length": {k: round(v["mean_length"], 1) for k, v in curve.items()}}
    machine = resolve_machine(cfg.machine, owner="length-vs-samples")[0]
    bound = {"length_formula": {_label(e): str(f) for e, f in
                                encoding_length_formulas(machine, cfg.encodings).items()},
             "pac_to_ar": str(PAC_TO_AR),
             "pac_to_ar_values": {k: f"{v['pac_to_ar_bound']:.3g}" for k, v in curve.items()},
             "note": "d = weights a position reads, eps = 1 - threshold, delta = 0.05, T = CoT tokens + 1"}
    fmt = ", ".join(f"{k}: {measured['samples_needed'][k]}" for k in curve)
    verdict = (f"samples to {cfg.threshold:.0%} exact on {cfg.machine} ({len(cfg.seeds)} seeds): {fmt}; local "
               f"traces {'all reached' if local_ok else 'did NOT all reach'} it, no CoT "
               f"{'never did' if nocot_ok else 'DID'}")
    figs = {"length_vs_samples": _fig_curve(curve, cfg), "exact_vs_train": _fig_exact(rows, cfg)}
    return Outcome(passed, measured, {"exact_match": cfg.threshold, "local_encodings": "reach it within "
                                      f"{max(cfg.n_train_grid)} samples", "no_cot": "never reaches it"},
                   verdict, bound, {"rows": rows, "curve": curve}, figs)


def _fig_curve(curve, cfg):
    fig, ax = new_figure()
    top = max(cfg.n_train_grid) * 2
    for i, (name, v) in enumerate(curve.items()):
        x = v["mean_length"]
        if np.isfinite(v["samples_needed_mean"]):
            y = v["samples_needed_mean"]
            lo, hi = v["ci95"]
            ax.errorbar([x], [y], yerr=[[y - lo], [hi - y]], fmt="o", color=f"C{i}", capsize=3, label=name)
        else:
            ax.plot([x], [top], "^", color=f"C{i}", label=f"{name} (not reached)")
    ax.axhline(top, ls=":", c="gray", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean trace length (tokens)")
    ax.set_ylabel(f"training samples to {cfg.threshold:.0%} exact (95% bootstrap CI)")
    ax.set_title(f"Length vs sample complexity ({cfg.machine})")
    ax.legend(fontsize=7)
    return fig


def _fig_exact(rows, cfg):
    fig, ax = new_figure()
    for i, enc in enumerate(cfg.encodings):
        xs = [n for n in sorted(cfg.n_train_grid) if any(r["encoding"] == enc and r["n_train"] == n for r in rows)]
        ys = [np.mean([r["exact_match"] for r in rows if r["encoding"] == enc and r["n_train"] == n]) for n in xs]
        ax.plot(xs, ys, "o-", color=f"C{i}", label=_label(enc))
    ax.axhline(cfg.threshold, ls=":", c="k", lw=1)
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
