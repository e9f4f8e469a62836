"""Checks ``emulation-construction`` and ``emulation-learned``: a linear next-token predictor emulates Turing
machines exactly -- with weights compiled from the transition table (no training), and learned from traces
of short inputs (held-out and longer inputs, the traces needed reported)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from learners import PerceptronAR, Sequences, as_sequences, compile_linear, evaluate
from tmsim import zoo
from tmsim.datasets import Split, make_splits
from tmsim.encodings import get_encoding
from tmsim.zoo.random import random_halting_machine

from ..experiments.learned_emulation import default_learner, learned_emulation, wilson
from ..plots import log_axis, new_figure
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
    ``n_inputs`` random inputs per machine with lengths in ``lengths`` (``gates_lengths`` for the gate trace,
    about G times longer per step); ``encodings`` the compiled traces; every encoding must verify at least one
    run of ``min_steps`` steps. The measured side of length complexity: ``learn_machines`` are learned from
    ``learn_n_train`` tableau-triples traces of inputs of ``learn_lengths`` by one learner (the averaged margin
    perceptron of :func:`proofs_checks.experiments.learned_emulation.default_learner`, one weight block per
    position class, reading the tokens of the cells within ``every + 1`` columns one row up and the last few
    of its own row), on the full CoT and on the CoT thinned to every ``every`` steps of ``learn_every``; the
    full CoT must be ``learn_threshold`` exact on ``learn_n_test`` held-out inputs. ``learn_shorter``: also
    train the same learner (with a band of offsets one row up, :func:`shorter_job`) on the full CoT and on
    it one token per step shorter (:func:`drop_cell`), an information row. ``corrupt_weights``:
    negate that many of the largest compiled weights first (the negative control: the check must then fail;
    the learned part, which does not use them, is skipped)."""

    machines: tuple[str, ...] = ("zoo:copy", "zoo:bb4", "zoo:palindrome", "zoo:binary-addition",
                                 "zoo:unary-addition", "random:0", "random:1", "random:2")
    encodings: tuple[str, ...] = ("tableau-triples", "gates")
    n_inputs: int = 40
    lengths: tuple[int, int] = (4, 10)
    gates_lengths: tuple[int, int] = (0, 5)
    min_steps: int = 100
    learn_machines: tuple[str, ...] = ("zoo:parity", "zoo:binary-increment", "zoo:palindrome", "random:0",
                                       "random:1")
    learn_every: tuple[int, ...] = (1, 2, 3)
    learn_n_train: int = 200
    learn_n_test: int = 100
    learn_lengths: tuple[int, int] = (1, 8)
    learn_threshold: float = 0.99
    learn_shorter: bool = True
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


def construction_job(machine: str, encoding: str, n_inputs: int, lengths: list, seed: int,
                      corrupt_weights: int) -> dict:
    """Compile one machine for one encoding, verify it on random inputs, and size it (a sweep task)."""
    m, entry = _machine(machine)
    lo, hi = lengths
    if entry is not None and not any(entry.language.count(x) for x in range(lo, hi + 1)):
        lo = hi = next(x for x in range(0, 64) if entry.language.count(x))  # bb4: the empty tape only
    inputs = sorted(set(_inputs(m, entry, (lo, hi), n_inputs, seed)))
    answer = "state" if entry is not None and entry.task == "accept" else "tape"
    enc = get_encoding(encoding, answer=answer)
    max_steps = entry.max_steps if entry is not None else 4 * lengths[1] ** 2 + 64
    sizes = enc.measure(m, inputs, max_steps=max_steps)
    width = int(sizes.widths.max()) + 2
    cm = _corrupt(compile_linear(m, enc, width=width), corrupt_weights)
    v = cm.verify(inputs, max_steps=max_steps)
    rep = cm.report(inputs, max_steps=max_steps)
    runs = rep["runs"]
    gates = enc.circuit(m).size if encoding == "gates" else None
    return {"machine": machine, "name": m.name, "encoding": encoding, "width": width,
            "vocab_size": rep["vocab_size"], "window": rep["window"], "nonzero": rep["nonzero"],
            "dense_parameters": rep["dense_parameters"], "max_abs_weight": rep["max_abs_weight"],
            "length_formula": rep["length_formula"], "traces": v["traces"], "skipped": v["skipped"],
            "exact": v.get("exact", 0), "mismatched_tokens": v.get("mismatched_tokens", 0),
            "min_margin": v["min_margin"], "teacher_forced_errors": v["teacher_forced_errors"],
            "steps": [r["steps"] for r in runs], "lengths": [r["length"] for r in runs],
            "cot_tokens": [r["cot_tokens"] for r in runs], "formula": [r["formula"] for r in runs],
            "formula_matches": int(sum(r["matches_formula"] for r in runs)), "gates_per_cell": gates}


def thin_rows(data, period: int, every: int) -> Sequences:
    """Tableau-triples traces with only every ``every``-th configuration row kept (the prompt row 0, rows
    ``every, 2 every, ...``, the last configuration and the END row, then the answer): the same tokens, a
    CoT about ``every`` times shorter. Each kept row's intermediates still name the triples of the row before
    it, which is no longer in the trace: they must be computed ``every`` steps ahead."""
    seqs = as_sequences(data)
    toks, kinds, offs = [], [], [0]
    for i in range(len(seqs)):
        a, b = seqs.offsets[i], seqs.offsets[i + 1]
        n_rows = (b - a) // period
        T = n_rows - 2  # rows: prompt, T configurations, END; the answer tail is shorter than a row
        keep = sorted(set(range(0, T + 1, every)) | {T, T + 1})
        idx = np.concatenate([np.arange(r * period, (r + 1) * period) for r in keep]
                             + [np.arange(n_rows * period, b - a)])
        toks.append(seqs.tokens[a + idx])
        kinds.append(seqs.kinds[a + idx])
        offs.append(offs[-1] + len(idx))
    return Sequences(np.concatenate(toks).astype(np.int32), np.array(offs, dtype=np.int64),
                     np.concatenate(kinds).astype(np.uint8), seqs.vocab_size, seqs.vocabulary)


def thinned_job(machine: str, every: int, n_train: int, n_test: int, lengths: list, seed: int) -> dict:
    """One learner on tableau-triples traces thinned to every ``every`` steps (1: the full CoT); free-rollout
    exact match on held-out inputs of the training lengths (a sweep task)."""
    m, entry = _machine(machine)
    enc = get_encoding("tableau-triples", answer="state" if entry is not None and entry.task == "accept" else "tape")
    parts = make_splits(entry if entry is not None else m, enc, Split("thinned", train=tuple(lengths),
                                                                      test=tuple(lengths), n_train=n_train,
                                                                      n_test=n_test),
                        random_state=seed, width="auto", on_timeout="error" if entry is not None else "drop")
    W = int(parts["train"].width[0])
    L = 2 * W + 2
    r = every + 1  # columns each side: an every-step update reads every cells each side, one spare
    # The cells one row up sit at offsets L + 1 - 2c for the column c places to the right (c < 0: left).
    offs = tuple(sorted(set(range(1, 2 * r + 1)) | {L} | {L + 1 - 2 * c for c in range(-r, r + 1)}))
    layout = enc.layout(m, width=W)
    layout = layout.with_offsets([offs] * layout.n_classes)
    train, test = parts["train"], parts["test"]
    if every > 1:
        train, test = thin_rows(train, L, every), thin_rows(test, L, every)
    model = default_learner(seed).set_params(layout=layout, max_iter=50)
    model.fit(train)
    ev = evaluate(model, test)
    return {"machine": machine, "every": every, "n_train": n_train, "exact_match": ev.exact_match,
            "token_accuracy": ev.token_accuracy, "converged": bool(model.converged_),
            "mean_length": float(np.diff(np.asarray(as_sequences(test).offsets)).mean()), "offsets": len(offs)}


def drop_cell(data, period: int, column: int) -> Sequences:
    """Tableau-triples traces one token per step shorter: every row after the prompt (the CoT rows and the END
    row) without the cell token ``C_column``, the prompt row without its intermediate ``I_column`` (a
    constant ``COPY`` there, so the input is intact), so every row has the period ``period - 1``; the answer
    tail is kept. The content of that column is then written nowhere after the prompt: a step that reads it
    (a triple naming it) must recover it from a triple one row up, or from the prompt many rows back."""
    seqs = as_sequences(data)
    toks, kinds, offs = [], [], [0]
    for i in range(len(seqs)):
        a, b = seqs.offsets[i], seqs.offsets[i + 1]
        n_rows = (b - a) // period
        drop = np.array([2 + 2 * column] + [r * period + 3 + 2 * column for r in range(1, n_rows)])
        keep = np.setdiff1d(np.arange(b - a), drop)
        toks.append(seqs.tokens[a + keep])
        kinds.append(seqs.kinds[a + keep])
        offs.append(offs[-1] + len(keep))
    return Sequences(np.concatenate(toks).astype(np.int32), np.array(offs, dtype=np.int64),
                     np.concatenate(kinds).astype(np.uint8), seqs.vocab_size, seqs.vocabulary)


def shorter_job(machine: str, shorter: bool, n_train: int, n_test: int, lengths: list, seed: int) -> dict:
    """One learner on the full tableau-triples CoT (``shorter=False``) or on it one token per step shorter
    (:func:`drop_cell`, the cell of the input's third column: the head passes it and must know its symbol);
    free-rollout exact match on held-out inputs of the training lengths (a sweep task). The learner reads,
    at every position, the tokens 1..4 back and a band of 11 tokens around the same position one row up
    (the cells and intermediates within two columns either side, whichever the period's parity puts
    where): the same rule for both traces."""
    m, entry = _machine(machine)
    enc = get_encoding("tableau-triples", answer="state" if entry is not None and entry.task == "accept" else "tape")
    parts = make_splits(entry if entry is not None else m, enc, Split("shorter", train=tuple(lengths),
                                                                      test=tuple(lengths), n_train=n_train,
                                                                      n_test=n_test),
                        random_state=seed, width="auto", on_timeout="error" if entry is not None else "drop")
    W = int(parts["train"].width[0])
    left = int(np.asarray(parts["train"].left).reshape(-1)[0])
    L = 2 * W + 2
    layout = enc.layout(m, width=W)
    train, test = parts["train"], parts["test"]
    column = left + 2
    if shorter:
        train, test = drop_cell(train, L, column), drop_cell(test, L, column)
        classes = layout.classes[:3 + 2 * column] + layout.classes[4 + 2 * column:]
        layout = dataclasses.replace(layout, period=L - 1, classes=classes, offsets=None)
        L -= 1
    offs = tuple(range(1, 5)) + tuple(range(L - 5, L + 6))
    layout = layout.with_offsets([offs] * layout.n_classes)
    model = default_learner(seed).set_params(layout=layout, max_iter=50)
    model.fit(train)
    ev = evaluate(model, test)
    return {"machine": machine, "shorter": shorter, "column": column, "n_train": n_train,
            "exact_match": ev.exact_match, "token_accuracy": ev.token_accuracy, "converged": bool(model.converged_),
            "mean_length": float(np.diff(np.asarray(as_sequences(test).offsets)).mean()), "offsets": len(offs)}


_QUICK_C = ConstructionConfig(machines=("zoo:copy", "zoo:bb4", "random:0"), n_inputs=8, lengths=(4, 7),
                              gates_lengths=(0, 3), min_steps=100, learn_machines=("zoo:parity",
                                                                                   "zoo:binary-increment"),
                              learn_n_train=200, learn_n_test=50)
_FULL_C = ConstructionConfig()


@register("emulation-construction",
          claim="Compiled linear weights (tableau-triples and gates) reproduce the simulator's trace token for "
                "token on zoo and random machines, on runs of 100 steps and more; and one linear learner "
                "trained on the full tableau-triples CoT emulates held-out inputs exactly.",
          theorem="[paper] Thm 3.8 and its corollary (linear AR + CoT of length poly(T) computes TIME(T)); "
                  "docs/theory.md#tableau-triples, #gates, #compiled-weights, #length-complexity",
          quick=_QUICK_C, full=_FULL_C,
          control={"corrupt_weights": 1}, control_breaks="the compiled weights: the largest one negated")
def run_construction(cfg: ConstructionConfig, runner) -> Outcome:
    points = [dict(machine=mc, encoding=e, n_inputs=cfg.n_inputs,
                   lengths=list(cfg.gates_lengths if e == "gates" else cfg.lengths), seed=cfg.seed,
                   corrupt_weights=cfg.corrupt_weights) for mc in cfg.machines for e in cfg.encodings]
    rows = runner.map(construction_job, points, desc="emulation-construction")
    learned, shorter = [], []
    if cfg.corrupt_weights == 0:  # the control breaks the compiled weights, which the learner never reads
        learned = runner.map(thinned_job, grid(machine=list(cfg.learn_machines), every=list(cfg.learn_every),
                                                n_train=[cfg.learn_n_train], n_test=[cfg.learn_n_test],
                                                lengths=[list(cfg.learn_lengths)], seed=[cfg.seed]),
                             desc="emulation-construction (learned, thinned)")
        if cfg.learn_shorter:
            shorter = runner.map(shorter_job, grid(machine=list(cfg.learn_machines), shorter=[False, True],
                                                    n_train=[cfg.learn_n_train], n_test=[cfg.learn_n_test],
                                                    lengths=[list(cfg.learn_lengths)], seed=[cfg.seed]),
                                 desc="emulation-construction (learned, one token per step shorter)")
    traces = sum(r["traces"] for r in rows)
    exact = sum(r["exact"] for r in rows)
    matches = sum(r["formula_matches"] for r in rows)
    n_runs = sum(len(r["lengths"]) for r in rows)
    longest = {e: max((max(r["steps"], default=0) for r in rows if r["encoding"] == e), default=0)
               for e in cfg.encodings}
    long_ok = all(v >= cfg.min_steps for v in longest.values())
    full = {r["machine"]: r["exact_match"] for r in learned if r["every"] == 1}
    learn_ok = bool(full) and all(v >= cfg.learn_threshold for v in full.values())
    compiled_ok = traces > 0 and exact == traces and all(r["teacher_forced_errors"] == 0 for r in rows)
    passed = compiled_ok and long_ok and learn_ok
    thinned = {f"{r['machine']} / every {r['every']}": round(r["exact_match"], 3) for r in learned}
    least = {}
    for mc in cfg.learn_machines:
        ok = [r["every"] for r in learned if r["machine"] == mc and r["exact_match"] >= cfg.learn_threshold]
        least[mc] = ("the full CoT only" if max(ok) == 1 else f"every {max(ok)} steps") if ok else "none"
    measured = {"traces_checked": traces, "traces_exact": exact,
                "exact_fraction": round(exact / traces, 4) if traces else 0.0,
                "mismatched_tokens": sum(r["mismatched_tokens"] for r in rows),
                "min_margin": min((r["min_margin"] for r in rows if r["min_margin"] is not None), default=None),
                "longest_run_steps": longest,
                "learned_full_cot_exact": full,
                "learned_exact_by_thinning": thinned,
                "thinnest_cot_learned_exactly": least,
                "learned_exact_full_vs_one_token_per_step_shorter (information)": {
                    r["machine"]: f"{r['exact_match']:.3f} full, {s['exact_match']:.3f} without the cell of "
                                  f"column {s['column']}" for r in shorter if not r["shorter"]
                    for s in shorter if s["shorter"] and s["machine"] == r["machine"]},
                "lengths_matching_formula (information)": f"{matches}/{n_runs}",
                "per_machine (information)": {f"{r['machine']} / {r['encoding']}": {
                    "exact": f"{r['exact']}/{r['traces']}", "max_steps": max(r["steps"], default=0),
                    "weights": r["nonzero"], "vocab": r["vocab_size"], "window": r["window"],
                    "gates_per_cell": r["gates_per_cell"],
                    "mean_cot_tokens": round(float(np.mean(r["cot_tokens"])), 1) if r["cot_tokens"] else None}
                    for r in rows}}
    bound = {f"length[{r['encoding']}, {r['machine']}] (information)": _plain_formula(r["length_formula"])
             for r in rows}
    verdict = (f"{exact}/{traces} compiled rollouts exact over {len(cfg.machines)} machines x "
               f"{len(cfg.encodings)} encodings, the longest run "
               + ", ".join(f"{v} steps ({e})" for e, v in longest.items())
               + f" (at least {cfg.min_steps} needed)"
               + ("; learned on the full CoT: " + ", ".join(f"{m} {v:.2f}" for m, v in full.items())
                  + f" exact (threshold {cfg.learn_threshold:g}); thinnest CoT still learned exactly: "
                  + ", ".join(f"{m} {v}" for m, v in least.items()) if learned else
                  "; learned part not run (control)"))
    figures = {"construction_lengths": _fig_lengths(rows), "construction_weights": _fig_weights(rows)}
    if learned:
        figures["construction_thinned"] = _fig_thinned(learned, shorter, cfg)
    return Outcome(passed, measured, {"exact_fraction": 1.0, "teacher_forced_errors": 0,
                                      "longest_run_steps_at_least": cfg.min_steps,
                                      "learned_full_cot_exact_at_least": cfg.learn_threshold},
                   verdict, bound, {"rows": rows, "learned": learned, "shorter": shorter}, figures)


def _plain_formula(text: str) -> str:
    """A length formula for readers: ``S`` is the row width W (docs/theory.md#encoding-lengths)."""
    return text.replace("S", "W")


def _fig_lengths(rows):
    from matplotlib import colormaps  # deferred like matplotlib in plots.new_figure (import time)

    fig, ax = new_figure()
    colors = colormaps["tab20"]  # up to 20 (machine, encoding) rows without a repeated colour
    for i, r in enumerate(rows):
        s = np.asarray(r["steps"])
        o = np.argsort(s)
        ax.plot(s[o], np.asarray(r["formula"])[o], "-", lw=1, alpha=0.7, color=colors(i % 20),
                label=f"{r['machine']} / {r['encoding']}: length formula")
        ax.plot(s, r["lengths"], "o", ms=3, color=colors(i % 20), label=f"{r['machine']} / {r['encoding']}: trace")
    ax.set_xlabel("steps T of the run")
    ax.set_ylabel("trace length (tokens)")
    log_axis(ax, [x for r in rows for x in r["lengths"]], "y")
    ax.set_title("Compiled emulation: trace length vs steps (information)")
    ax.legend(fontsize=6, ncol=2)
    return fig


def _fig_weights(rows):
    fig, ax = new_figure()
    labels = [f"{r['machine']}\n{r['encoding']}" for r in rows]
    ok = [r["exact"] == r["traces"] for r in rows]
    for flag, color, name in ((True, "C0", "every rollout exact"), (False, "C3", "not exact")):
        idx = [i for i, o in enumerate(ok) if o is flag]
        if idx:
            ax.bar(idx, [rows[i]["nonzero"] for i in idx], color=color, label=name)
    ax.set_xticks(range(len(rows)), labels, fontsize=6, rotation=60, ha="right")
    log_axis(ax, [r["nonzero"] for r in rows], "y")
    ax.set_xlabel("machine / encoding")
    ax.set_ylabel("non-zero compiled weights")
    ax.set_title("Compiled weights per machine (information)")
    ax.legend(fontsize=7)
    return fig


def _fig_thinned(learned, shorter, cfg):
    fig, ax = new_figure()
    machines = sorted({r["machine"] for r in learned})
    ev = sorted(set(cfg.learn_every))
    x_short = max(ev) + 1  # the one-token-shorter CoT: beside the thinned ones, its own tick
    for i, mc in enumerate(machines):
        pts = sorted((r["every"], r["exact_match"]) for r in learned if r["machine"] == mc)
        ax.plot([p for p, _ in pts], [e for _, e in pts], "o-", color=f"C{i}", label=f"{mc}: thinned")
        sh = {r["shorter"]: r["exact_match"] for r in shorter if r["machine"] == mc}
        if sh:
            # markers only, the full-CoT one nudged right of the thinned learner's: no line across the
            # thinned slots, which this learner was not run on
            ax.plot([1.08, x_short], [sh.get(False), sh.get(True)], "D", color=f"C{i}", ms=6, mfc="none",
                    label=f"{mc}: band learner, full CoT and one token per step shorter")
    ax.axhline(cfg.learn_threshold, ls=":", c="k", lw=1, label=f"threshold {cfg.learn_threshold:g}")
    ticks = ev + ([x_short] if shorter else [])
    ax.set_xticks(ticks, ["full CoT" if e == 1 else f"every {e} steps" if e in ev else "one token/step\nshorter"
                          for e in ticks])
    ax.set_xlabel("tableau-triples CoT")
    ax.set_ylabel("held-out exact rollouts (fraction)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"One linear learner, shorter CoTs ({cfg.learn_n_train} training traces)")
    ax.legend(fontsize=7)
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


def learned_job(machine: str, train_lengths: list, max_length: int, n_train_grid: list, n_valid: int,
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
    rows = runner.map(learned_job, points, desc="emulation-learned")
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
