"""Checks ``emulation-construction`` and ``emulation-learned``: a linear next-token predictor emulates Turing
machines exactly -- with weights compiled from the transition table (no training), and learned from traces
of short inputs (held-out and longer inputs, the traces needed reported)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from learners import PerceptronAR, compile_linear
from tmsim import zoo
from tmsim.encodings import get_encoding
from tmsim.zoo.random import random_halting_machine

from ..experiments.learned_emulation import learned_emulation, wilson
from ..plots import new_figure
from ..registry import Outcome, register
from ..sweep import grid

# ---------------------------------------------------------------------------------------------- machines


def _machine(spec: str):
    """``zoo:NAME`` -> (machine, entry); ``random:SEED`` -> (a random halting machine, None)."""
    kind, _, value = spec.partition(":")
    if kind == "zoo":
        entry = zoo.get(value)
        return entry.machine, entry
    if kind == "random":
        return random_halting_machine(int(value), n_states=3, n_symbols=3, lengths=(1, 10)), None
    raise ValueError(f"machine spec {spec!r}: expected 'zoo:NAME' or 'random:SEED'")


def _inputs(machine, entry, lengths: tuple[int, int], n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    if entry is not None:  # only the lengths the entry's language has words of (a+b has none of length 0)
        ok = [m for m in range(lengths[0], lengths[1] + 1) if entry.language.count(m) > 0]
    for _ in range(n):
        m = int(rng.integers(lengths[0], lengths[1] + 1))
        if entry is not None:
            out.append(entry.sample(int(rng.choice(ok)), rng))
        else:
            syms = list(machine.input_symbols)
            out.append("".join(rng.choice(syms, size=m)) if m else "")
    return out


# ---------------------------------------------------------------------------------------------- construction
@dataclass(frozen=True)
class ConstructionConfig:
    """``machines``: zoo entries (``zoo:NAME``) and random halting machines (``random:SEED``);
    ``n_inputs`` random inputs per machine with lengths in ``lengths``; ``encodings`` the compiled traces;
    ``corrupt_weights``: negate that many of the largest compiled weights first (the negative control: the
    check must then fail)."""

    machines: tuple[str, ...] = ("zoo:parity", "zoo:binary-increment", "zoo:palindrome", "zoo:unary-addition",
                                 "random:0", "random:1", "random:2")
    encodings: tuple[str, ...] = ("tableau-triples", "gates")
    n_inputs: int = 40
    lengths: tuple[int, int] = (0, 10)
    seed: int = 0
    corrupt_weights: int = 0


def _corrupt(cm, n_weights: int):
    """A copy of the compiled model with the ``n_weights`` largest weights (by magnitude) negated."""
    if n_weights <= 0:
        return cm
    coef = cm.coef.copy()
    order = np.argsort(-np.abs(coef.data), kind="stable")[:n_weights]
    coef.data[order] = -coef.data[order]
    return dataclasses.replace(cm, coef=coef)


def construction_task(machine: str, encoding: str, n_inputs: int, lengths: list, seed: int,
                      corrupt_weights: int) -> dict:
    """Compile one machine for one encoding, verify it on random inputs, and size it (a sweep task)."""
    m, entry = _machine(machine)
    inputs = _inputs(m, entry, tuple(lengths), n_inputs, seed)
    answer = "state" if entry is not None and entry.task == "accept" else "tape"
    enc = get_encoding(encoding, answer=answer)
    max_steps = entry.max_steps if entry is not None else 4 * lengths[1] ** 2 + 64
    sizes = enc.measure(m, inputs, max_steps=max_steps)
    width = int(sizes.widths.max()) + 2
    cm = _corrupt(compile_linear(m, enc, width=width), corrupt_weights)
    v = cm.verify(inputs, max_steps=max_steps)
    rep = cm.report(inputs, max_steps=max_steps)
    runs = rep["runs"]
    return {"machine": machine, "name": m.name, "encoding": encoding, "width": width,
            "vocab_size": rep["vocab_size"], "window": rep["window"], "nonzero": rep["nonzero"],
            "dense_parameters": rep["dense_parameters"], "max_abs_weight": rep["max_abs_weight"],
            "length_formula": rep["length_formula"], "traces": v["traces"], "skipped": v["skipped"],
            "exact": v.get("exact", 0), "mismatched_tokens": v.get("mismatched_tokens", 0),
            "min_margin": v["min_margin"], "teacher_forced_errors": v["teacher_forced_errors"],
            "steps": [r["steps"] for r in runs], "lengths": [r["length"] for r in runs],
            "cot_tokens": [r["cot_tokens"] for r in runs], "formula": [r["formula"] for r in runs],
            "formula_matches": int(sum(r["matches_formula"] for r in runs))}


_QUICK_C = ConstructionConfig(machines=("zoo:parity", "zoo:binary-increment", "random:0"), n_inputs=12,
                              lengths=(0, 6))
_FULL_C = ConstructionConfig()


@register("emulation-construction",
          claim="Compiled linear weights (tableau-triples and gates) reproduce the simulator's trace token for "
                "token on random machines and inputs, with CoT lengths equal to the symbolic length formula.",
          theorem="[paper] Thm 3.8 and its corollary (linear AR + CoT of length poly(T) computes TIME(T)); "
                  "docs/theory.md#tableau-triples, #gates, #compiled-weights",
          quick=_QUICK_C, full=_FULL_C,
          control={"corrupt_weights": 1}, control_breaks="the compiled weights: the largest one negated")
def run_construction(cfg: ConstructionConfig, runner) -> Outcome:
    points = grid(machine=list(cfg.machines), encoding=list(cfg.encodings), n_inputs=[cfg.n_inputs],
                  lengths=[list(cfg.lengths)], seed=[cfg.seed], corrupt_weights=[cfg.corrupt_weights])
    rows = runner.map(construction_task, points, desc="emulation-construction")
    traces = sum(r["traces"] for r in rows)
    exact = sum(r["exact"] for r in rows)
    matches = sum(r["formula_matches"] for r in rows)
    n_runs = sum(len(r["lengths"]) for r in rows)
    passed = traces > 0 and exact == traces and matches == n_runs and all(r["teacher_forced_errors"] == 0
                                                                          for r in rows)
    measured = {"traces_checked": traces, "traces_exact": exact,
                "exact_fraction": exact / traces if traces else 0.0,
                "mismatched_tokens": sum(r["mismatched_tokens"] for r in rows),
                "min_margin": min((r["min_margin"] for r in rows if r["min_margin"] is not None), default=None),
                "lengths_matching_formula": f"{matches}/{n_runs}",
                "per_machine": {f"{r['machine']} / {r['encoding']}": {
                    "exact": f"{r['exact']}/{r['traces']}", "weights": r["nonzero"], "vocab": r["vocab_size"],
                    "window": r["window"], "mean_cot_tokens": float(np.mean(r["cot_tokens"]))} for r in rows}}
    bound = {f"length[{r['encoding']}, {r['machine']}]": r["length_formula"] for r in rows}
    verdict = (f"{exact}/{traces} compiled rollouts exact over {len(cfg.machines)} machines x "
               f"{len(cfg.encodings)} encodings; {matches}/{n_runs} trace lengths equal the formula"
               + ("" if passed else " -- the construction FAILED"))
    figures = {"construction_lengths": _fig_lengths(rows), "construction_weights": _fig_weights(rows)}
    return Outcome(passed, measured, {"exact_fraction": 1.0, "lengths_matching_formula": "all",
                                      "teacher_forced_errors": 0}, verdict, bound, {"rows": rows}, figures)


def _fig_lengths(rows):
    from matplotlib import colormaps  # deferred like matplotlib in plots.new_figure (import time)

    fig, ax = new_figure()
    colors = colormaps["tab20"]  # up to 20 (machine, encoding) rows without a repeated colour
    for i, r in enumerate(rows):
        s = np.asarray(r["steps"])
        o = np.argsort(s)
        ax.plot(s[o], np.asarray(r["formula"])[o], "-", lw=1, alpha=0.7, color=colors(i % 20))
        ax.plot(s, r["lengths"], "o", ms=3, color=colors(i % 20), label=f"{r['machine']} / {r['encoding']}")
    ax.set_xlabel("steps T of the run")
    ax.set_ylabel("trace length (tokens); line: sympy length formula")
    ax.set_yscale("log")
    ax.set_title("Compiled emulation: CoT length vs steps, measured (dots) and formula (lines)")
    ax.legend(fontsize=7)
    return fig


def _fig_weights(rows):
    fig, ax = new_figure()
    labels = [f"{r['machine']}\n{r['encoding']}" for r in rows]
    ax.bar(range(len(rows)), [r["nonzero"] for r in rows], color=["C0" if r["exact"] == r["traces"] else "C3"
                                                                   for r in rows])
    ax.set_xticks(range(len(rows)), labels, fontsize=6, rotation=60, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("non-zero compiled weights")
    ax.set_title("Compiled weights per machine (red: not exact)")
    return fig


# ---------------------------------------------------------------------------------------------- learned
@dataclass(frozen=True)
class LearnedConfig:
    """``machines`` as in :class:`ConstructionConfig`; each is learned from ``tableau-triples`` traces of
    ``train_lengths`` under the protocol of :mod:`proofs_checks.experiments.learned_emulation`: the layout
    fixed from the training runs and the declared ``max_length``, a validation part of the training lengths
    stopping the grid ``n_train_grid``, then ``n_per_length`` test inputs of every length up to
    ``max_length``, for every seed and feature choice. The verdict is on ``features[0]`` (discovered: from
    the traces alone); the others are the comparison curves (``"window"``, which fits 3-30x slower, is
    fitted once, at the largest size of the grid but at most 200, with the same training pool and layout).
    ``window``: None for the experiment's learner; an int k replaces the learner of ``features[0]`` with a
    plain window of offsets 1..k that cannot see the row above (the negative control: the check must then
    fail)."""

    # unary-addition is left out: lengths 1-8 hold only 36 well-formed inputs, too few for the grid.
    machines: tuple[str, ...] = ("zoo:parity", "zoo:binary-increment", "zoo:palindrome", "zoo:copy", "random:0",
                                 "random:1")
    train_lengths: tuple[int, int] = (1, 8)
    max_length: int = 20
    n_train_grid: tuple[int, ...] = (25, 50, 100, 200, 400)
    n_valid: int = 100
    n_per_length: int = 20
    seeds: tuple[int, ...] = (0, 1, 2)
    features: tuple[str, ...] = ("discovered", "declared", "window")
    window: int | None = None


def learned_task(machine: str, train_lengths: list, max_length: int, n_train_grid: list, n_valid: int,
                 n_per_length: int, seed: int, features: str, window: int | None) -> dict:
    """learned_emulation of one machine, seed and feature choice (a sweep task)."""
    m, entry = _machine(machine)
    kw: dict = {"features": features}
    pool = max(n_train_grid)
    if features == "window":  # the whole window fits 3-30x slower: once, at the largest size (at most 200)
        n_train_grid = [min(pool, 200)]
    if window is not None:
        kw = dict(learner=PerceptronAR(window=int(window), margin=10.0, compact=True,
                                       max_iter=50, random_state=seed), features=None)
    r = learned_emulation(entry if entry is not None else m, train_lengths=tuple(train_lengths),
                          max_length=int(max_length), n_train_grid=tuple(n_train_grid), n_valid=n_valid,
                          n_per_length=n_per_length, random_state=seed, n_pool=pool, **kw)
    t = r.tested
    return {"machine": machine, "name": r.machine, "features": features, "seed": seed, "width": r.layout.width,
            "layout": str(r.layout), "traces_needed": r.traces_needed, "stopped_at": r.stopped_at,
            "seconds": r.seconds, "learner": r.learner, "test_lengths": list(t.test_lengths),
            "test_n": list(t.test_n), "test_exact": list(t.test_exact), "not_fit": t.not_fit,
            "first_errors": [str(e) for e in t.first_errors_valid + t.first_errors_test][:3],
            "offsets": [list(o) for o in t.offsets],
            "runs": [{"n_train": u.n_train, "exact_valid": u.exact_valid, "exact_test": u.exact_test,
                      "epochs": u.epochs, "fit_seconds": u.fit_seconds, "discover_seconds": u.discover_seconds}
                     for u in r.runs]}


_QUICK_L = LearnedConfig(machines=("zoo:parity", "zoo:binary-increment", "random:0"), max_length=14,
                         n_train_grid=(25, 50, 100), n_valid=30, n_per_length=8, seeds=(0,))
_FULL_L = LearnedConfig()


@register("emulation-learned",
          claim="A linear AR predictor learned from traces of short inputs, with features discovered from those "
                "traces and a row layout fixed before any test input is drawn, emulates zoo and random machines "
                "exactly at every longer input length the layout holds, after a measured number of traces.",
          theorem="[paper] Thm 3.3 (PAC => AR) with the linear class of Thm 3.8; docs/theory.md#learning-the-emulation",
          quick=_QUICK_L, full=_FULL_L,
          control={"window": 4},
          control_breaks="the features: a plain window of offsets 1..4 that cannot see the row above")
def run_learned(cfg: LearnedConfig, runner) -> Outcome:
    points = grid(machine=list(cfg.machines), train_lengths=[list(cfg.train_lengths)], max_length=[cfg.max_length],
                  n_train_grid=[list(cfg.n_train_grid)], n_valid=[cfg.n_valid], n_per_length=[cfg.n_per_length],
                  seed=list(cfg.seeds), features=list(cfg.features[:1] if cfg.window is not None else cfg.features),
                  window=[cfg.window])
    rows = runner.map(learned_task, points, desc="emulation-learned")
    main_f = cfg.features[0]
    mine = [r for r in rows if r["features"] == main_f]
    needed: dict = {}
    for r in mine:  # the most traces any seed needed; None when some seed was not exact
        old = needed.get(r["machine"], 0)
        needed[r["machine"]] = None if old is None or r["traces_needed"] is None else max(old, r["traces_needed"])
    ok = [m for m, t in needed.items() if t is not None]
    passed = len(ok) == len(needed) > 0

    def pooled(rs, key):
        n = sum(sum(r["test_n"]) for r in rs)
        return sum(sum(r[key]) for r in rs) / n if n else 0.0

    by = {f: {m: [r for r in rows if r["features"] == f and r["machine"] == m] for m in cfg.machines}
          for f in dict.fromkeys(r["features"] for r in rows)}
    measured = {"machines_exact": f"{len(ok)}/{len(needed)}", "traces_needed": needed,
                "exact_long_at_largest": {m: pooled(rs, "test_exact") for m, rs in by[main_f].items()},
                "exact_in_at_largest": {m: float(np.mean([r["runs"][-1]["exact_valid"] for r in rs]))
                                        for m, rs in by[main_f].items()},
                "features": main_f if cfg.window is None else f"plain window 1..{cfg.window}",
                "widths": {r["machine"]: r["width"] for r in mine},
                "exact_test_by_features": {f: {m: pooled(rs, "test_exact") for m, rs in d.items()}
                                           for f, d in by.items()},
                "not_fit": sum(r["not_fit"] for r in mine),
                "first_errors": {r["machine"]: r["first_errors"] for r in mine if r["traces_needed"] is None}}
    verdict = (f"{len(ok)}/{len(needed)} machines emulated exactly ({measured['features']} features, seeds "
               f"{list(cfg.seeds)}) at every length {cfg.train_lengths[1] + 1}-{cfg.max_length} ({cfg.n_per_length} "
               f"inputs each) after training on lengths {cfg.train_lengths[0]}-{cfg.train_lengths[1]}; traces "
               "needed: " + ", ".join(f"{m} {t if t is not None else 'not exact'}" for m, t in needed.items()))
    return Outcome(passed, measured, {"exact_in": 1.0, "exact_long": 1.0, "max_traces": max(cfg.n_train_grid)},
                   verdict, {}, {"rows": rows}, {"learned_emulation": _fig_learned(rows, cfg)})


def _curve(rs):
    acc: dict = {}
    for r in rs:
        for m, n, k in zip(r["test_lengths"], r["test_n"], r["test_exact"]):
            a = acc.setdefault(m, [0, 0])
            a[0] += k
            a[1] += n
    ls = sorted(acc)
    ci = np.array([wilson(*acc[m]) for m in ls]).reshape(-1, 2)
    return ls, [acc[m][0] / max(acc[m][1], 1) for m in ls], ci


def _fig_learned(rows, cfg):
    fig, ax = new_figure((7.0, 4.5))
    fig.delaxes(ax)
    machines = list(dict.fromkeys(r["machine"] for r in rows))
    cols = min(3, len(machines))
    nrows = -(-len(machines) // cols)
    fig.set_size_inches(4.2 * cols, 3.2 * nrows + 0.6)
    # discovered (thick) under declared (dashed): where the two curves coincide both stay visible
    styles = {"discovered": ("C0", "o-", 2.4), "declared": ("C2", "s--", 1.0), "window": ("C3", "^:", 1.2)}
    for i, m in enumerate(machines):
        ax = fig.add_subplot(nrows, cols, i + 1)
        ax.grid(alpha=0.3)
        for f in dict.fromkeys(r["features"] for r in rows):
            ls, rate, ci = _curve([r for r in rows if r["machine"] == m and r["features"] == f])
            color, style, lw = styles.get(f, ("C7", "x-", 1.0))
            name = {"window": "whole window 1..period+1"}.get(f, f"{f} offsets")
            if cfg.window is not None and f == cfg.features[0]:
                name = f"plain window 1..{cfg.window} (control)"
            ax.plot(ls, rate, style, ms=3, lw=lw, color=color, label=name)
            ax.fill_between(ls, ci[:, 0], ci[:, 1], color=color, alpha=0.15)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(m, fontsize=9)
        ax.set_xlabel("input length (trained on "
                      f"{cfg.train_lengths[0]}-{cfg.train_lengths[1]})", fontsize=8)
        ax.set_ylabel("exact rollouts (fraction)", fontsize=8)
        if i == 0:
            ax.legend(fontsize=7, loc="lower left")
    seeds = f"{len(cfg.seeds)} seed{'s' * (len(cfg.seeds) > 1)}"
    fig.suptitle(f"Learned emulation: exact match vs input length, {seeds} pooled, "
                 "bands: 95% Wilson intervals", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_size_inches()[1]))  # room for the suptitle
    return fig
