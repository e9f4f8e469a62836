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

from ..experiments.learned_emulation import learned_emulation, random_halting_machine
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
    ``train_lengths`` with the training sizes ``n_train_grid`` (stopping at the first exact one) and tested
    on ``n_test`` held-out inputs of the training lengths and ``n_test`` longer ones (``test_lengths``).
    ``window``: None for the learner of :func:`proofs_checks.experiments.learned_emulation.learned_emulation` (per-class declared
    offsets); an int k replaces it with a plain window of offsets 1..k that cannot see the row above (the
    negative control: the check must then fail)."""

    # unary-addition is left out: lengths 1-8 hold only 36 well-formed inputs, too few for 100 held-out ones.
    machines: tuple[str, ...] = ("zoo:parity", "zoo:binary-increment", "zoo:palindrome", "zoo:copy", "random:0",
                                 "random:1")
    train_lengths: tuple[int, int] = (1, 8)
    test_lengths: tuple[int, int] = (9, 16)
    n_train_grid: tuple[int, ...] = (25, 50, 100, 200, 400)
    n_test: int = 100
    seed: int = 0
    window: int | None = None


def learned_task(machine: str, train_lengths: list, test_lengths: list, n_train_grid: list, n_test: int,
                 seed: int, window: int | None) -> dict:
    """learned_emulation of one machine (a sweep task)."""
    m, entry = _machine(machine)
    kw = {}
    if window is not None:
        kw = dict(learner=PerceptronAR(window=int(window), margin=10.0, compact=True, max_iter=50,
                                       random_state=seed), features=None)
    r = learned_emulation(entry if entry is not None else m, train_lengths=tuple(train_lengths),
                          test_lengths=tuple(test_lengths), n_train_grid=tuple(n_train_grid), n_test=n_test,
                          random_state=seed, on_timeout="error" if entry is not None else "drop", **kw)
    return {"machine": machine, "name": r.machine, "width": r.width, "traces_needed": r.traces_needed,
            "seconds": r.seconds, "learner": r.learner,
            "runs": [{"n_train": u.n_train, "exact_in": u.exact_in, "exact_long": u.exact_long,
                      "token_accuracy_in": u.token_accuracy_in, "token_accuracy_long": u.token_accuracy_long,
                      "unseen_in": u.unseen_in, "unseen_long": u.unseen_long, "epochs": u.epochs,
                      "fit_seconds": u.fit_seconds} for u in r.runs]}


_QUICK_L = LearnedConfig(machines=("zoo:parity", "zoo:binary-increment", "random:0"), train_lengths=(1, 8),
                         test_lengths=(9, 12), n_train_grid=(25, 50, 100), n_test=30)
_FULL_L = LearnedConfig()


@register("emulation-learned",
          claim="A linear AR predictor learned from traces of short inputs emulates zoo and random machines "
                "exactly on held-out and on longer inputs, after a measured number of training traces.",
          theorem="[paper] Thm 3.3 (PAC => AR) with the linear class of Thm 3.8; docs/theory.md#learning-the-emulation",
          quick=_QUICK_L, full=_FULL_L,
          control={"window": 4},
          control_breaks="the features: a plain window of offsets 1..4 that cannot see the row above")
def run_learned(cfg: LearnedConfig, runner) -> Outcome:
    points = grid(machine=list(cfg.machines), train_lengths=[list(cfg.train_lengths)],
                  test_lengths=[list(cfg.test_lengths)], n_train_grid=[list(cfg.n_train_grid)],
                  n_test=[cfg.n_test], seed=[cfg.seed], window=[cfg.window])
    rows = runner.map(learned_task, points, desc="emulation-learned")
    needed = {r["machine"]: r["traces_needed"] for r in rows}
    ok = [m for m, t in needed.items() if t is not None]
    passed = len(ok) == len(rows)
    measured = {"machines_exact": f"{len(ok)}/{len(rows)}", "traces_needed": needed,
                "exact_long_at_largest": {r["machine"]: r["runs"][-1]["exact_long"] for r in rows},
                "exact_in_at_largest": {r["machine"]: r["runs"][-1]["exact_in"] for r in rows}}
    verdict = (f"{len(ok)}/{len(rows)} machines emulated exactly on {cfg.n_test} held-out inputs of lengths "
               f"{cfg.train_lengths[0]}-{cfg.train_lengths[1]} and {cfg.n_test} longer ones "
               f"({cfg.test_lengths[0]}-{cfg.test_lengths[1]}); traces needed: "
               + ", ".join(f"{m} {t if t is not None else '>' + str(max(cfg.n_train_grid))}"
                           for m, t in needed.items()))
    return Outcome(passed, measured, {"exact_in": 1.0, "exact_long": 1.0,
                                      "max_traces": max(cfg.n_train_grid)},
                   verdict, {}, {"rows": rows}, {"learned_emulation": _fig_learned(rows)})


def _fig_learned(rows):
    fig, ax = new_figure()
    for i, r in enumerate(rows):
        n = [u["n_train"] for u in r["runs"]]
        ax.plot(n, [u["exact_in"] for u in r["runs"]], "o-", color=f"C{i}", label=f"{r['machine']} held-out")
        ax.plot(n, [u["exact_long"] for u in r["runs"]], "s--", color=f"C{i}", label=f"{r['machine']} longer")
    ax.set_xscale("log")
    ax.set_xlabel("training traces")
    ax.set_ylabel("exact rollouts (fraction)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Learned emulation: exact rollouts vs training traces")
    ax.legend(fontsize=7)
    return fig
