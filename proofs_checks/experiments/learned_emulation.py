"""Experiment: learned emulation of a Turing machine under an honest length-generalisation protocol — train a
linear AR model on ``tableau-triples`` traces of short inputs, with features it discovers from those traces,
and measure its exact free rollouts at every longer input length the layout was built to hold (the
construction it learns: ``docs/theory.md#tableau-triples``; why it can generalise:
``docs/theory.md#position-classes-and-local-rules``).

The protocol, in the order it runs (nothing after step 2 can change steps 1-2):

1. **Training and validation inputs** are drawn from the training lengths (disjoint; the validation part is
   carved from the training lengths, never from the test lengths).
2. **The layout is fixed** from the declared ``max_length`` (the longest input the experiment will test)
   and the training runs only (:func:`fixed_layout`): per side of the tape, the largest excursion of the
   training runs of each length (cells left of the input, and right of its end) is bounded by a line
   ``a + b n`` — ``b`` the least-squares slope of those maxima over the training lengths (0 if negative),
   ``a`` the smallest intercept that bounds every training maximum — evaluated at ``max_length``, plus
   ``slack`` spare cells. No test input has been drawn yet.
3. **Features**: ``"discovered"`` (the default) — :func:`learners.discovery.discover_layout` on the training
   traces, the validation traces breaking ties; ``"declared"`` — the encoding's per-class declared offsets
   (``encoding.layout(machine, width=W)``, the answer handed to the learner, for comparison); ``"window"``
   — one shared block over the whole window ``1..period+1`` (the search window of discovery).
4. **Stopping**: the training sizes of a doubling grid are fitted in turn; the first whose validation
   rollouts are all exact is the answer (the test is not looked at).
5. **Test**: then ``n_per_length`` inputs of every length from the training maximum + 1 to ``max_length``
   are drawn (disjoint from the training and validation inputs) and rolled out at that size. A test run
   the fixed layout cannot hold is reported as ``does not fit the layout`` and counted as a failure — the
   layout is never resized.

Run it as ``python -m proofs_checks.experiments.learned_emulation zoo:parity [--max-length 40]
[--features discovered,declared,window] [--seeds 0,1,2] [--json]``, as the check
``proofs-checks run emulation-learned``, at scale with ``python -m
proofs_checks.experiments.learned_emulation_scale``, or from Python (below).

Examples
--------
>>> from tmsim import zoo
>>> from proofs_checks.experiments.learned_emulation import learned_emulation
>>> r = learned_emulation(zoo.get("parity"), max_length=12, n_train_grid=(25, 50, 100), n_valid=30,
...                       n_per_length=5, random_state=0)
>>> r.layout.width, r.stopped_at, r.traces_needed, r.test_lengths
(19, 100, 100, (9, 12))
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.base import clone

from learners.data import as_sequences
from learners.discovery import discover_layout, learner_features
from learners.errors import LearnerError
from learners.linear import PerceptronAR
from tmsim.datasets import make_dataset
from tmsim.errors import TmsimError
from tmsim.resolve import resolve_machine
from tmsim.zoo.random import random_halting_machine

from ._cli import size_list
from ._protocol import (DEFAULT_SLACK, LayoutRule, _words, fixed_layout, sample_inputs,  # noqa: F401 (re-exported)
                        training_layout, wilson)

__all__ = ["default_learner", "learned_emulation", "fixed_layout", "training_layout", "sample_inputs", "wilson",
           "curves", "result_json", "machine_arg", "EmulationRun", "EmulationResult", "FirstError", "LayoutRule",
           "LearnedEmulationConfig", "FEATURES", "main"]

#: The doubling grid of training-set sizes.
DEFAULT_GRID = (25, 50, 100, 200, 400, 800, 1600)
#: The feature choices, in the order the curves show them.
FEATURES = ("discovered", "declared", "window")


@dataclass(frozen=True)
class LearnedEmulationConfig:
    """The parameters of :func:`learned_emulation` but the machine and the learner (the command line's
    defaults; see the function for each one's meaning)."""

    max_length: int = 16  # declared before any test input is drawn: the layout must hold it
    train_lengths: tuple[int, int] = (1, 8)  # short runs: 510 binary inputs, enough for the grid to 400 + validation
    n_train_grid: tuple[int, ...] = DEFAULT_GRID  # doubling: the traces needed to within a factor 2
    n_valid: int = 100  # validation traces of the training lengths: "all exact" at a 1% resolution
    n_per_length: int = 20  # test traces per length: a 95% Wilson interval of width < 0.2 at 100%
    random_state: int = 0  # the data and the learner
    features: str = "discovered"  # from the traces alone; "declared"/"window" are the comparisons
    slack: int = DEFAULT_SLACK  # see DEFAULT_SLACK
    stop_when_exact: bool = True  # the first size exact on validation is the answer
    max_steps: int | None = None  # the dataset's default budget
    max_errors: int = 3  # first errors shown per part: enough to see a pattern, short enough to read


def default_learner(random_state: Any = 0) -> PerceptronAR:
    """The learner of :func:`learned_emulation` (before its features are set): an averaged margin perceptron
    over the seen tokens (``compact=True``, which makes the 25k-token vocabulary of binary-multiplication
    tractable).

    ``shrinking=True``: the margin perceptron leaves almost every window just above its margin, so the
    passes between full ones visit only the few near it (same traces needed, several times faster).
    ``margin=10``: the plain perceptron (margin 0) needed 2-4x more traces to be exact on held-out and longer
    inputs, and a margin of 100 bought little more for 10x the epochs (both measured on training-length
    validation and 9-16 test traces when the margin was chosen; not re-tuned here).
    """
    return PerceptronAR(averaged=True, margin=10.0, compact=True, shrinking=True, max_iter=1000,
                        random_state=random_state)


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class FirstError:
    """Where one rollout first left the reference trace (``position`` -1 and ``where`` ``"does not fit the
    layout"`` for a run the fixed layout cannot hold; ``unseen``: the expected token never occurs in the
    training traces, so no learner over atomic tokens can emit it)."""

    input: str
    position: int
    where: str
    expected: str
    got: str
    unseen: bool

    def __str__(self) -> str:
        if self.position < 0:
            return f"{self.input!r}: {self.where}"
        return (f"{self.input!r}: token {self.position} ({self.where}): expected {self.expected!r}, got "
                f"{self.got!r}{' (never seen in training)' if self.unseen else ''}")


@dataclass(frozen=True)
class EmulationRun:
    """One training-set size of :func:`learned_emulation`.

    Attributes
    ----------
    n_train : int
    exact_valid : float
        Fraction of validation rollouts (training lengths, held out) reproducing the whole trace.
    test_lengths, test_n, test_exact : tuple of int
        Per test length: traces and exact rollouts (empty when the size was not tested).
    not_fit : int
        Test (and validation) runs the fixed layout cannot hold (counted as failures).
    unseen : int
        Test traces holding a target token no training trace holds.
    first_errors_valid, first_errors_test : tuple of FirstError
    offsets : tuple of tuple of int
        The features' offsets per position class (one class for ``"window"``).
    epochs, converged, fit_seconds, discover_seconds, eval_seconds
    """

    n_train: int
    exact_valid: float
    test_lengths: tuple[int, ...] = ()
    test_n: tuple[int, ...] = ()
    test_exact: tuple[int, ...] = ()
    not_fit: int = 0
    unseen: int = 0
    first_errors_valid: tuple = field(default=(), repr=False)
    first_errors_test: tuple = field(default=(), repr=False)
    offsets: tuple = field(default=(), repr=False)
    epochs: int = 0
    converged: bool = True
    fit_seconds: float = 0.0
    discover_seconds: float = 0.0
    eval_seconds: float = 0.0

    @property
    def tested(self) -> bool:
        return bool(self.test_n)

    @property
    def exact_test(self) -> float:
        """Fraction of all test rollouts exact (NaN when not tested)."""
        n = sum(self.test_n)
        return sum(self.test_exact) / n if n else float("nan")

    def line(self) -> str:
        t = (f", test {sum(self.test_exact)}/{sum(self.test_n)} exact (not fit {self.not_fit}, unseen-token "
             f"{self.unseen})" if self.tested else "")
        return (f"n={self.n_train:5d}: validation {self.exact_valid:.3f}{t}, epochs {self.epochs}, fit "
                f"{self.fit_seconds:.1f} s (+ discovery {self.discover_seconds:.1f} s)")


@dataclass(frozen=True)
class EmulationResult:
    """What :func:`learned_emulation` measured for one machine, feature choice and seed.

    ``stopped_at`` is the first size exact on validation (None: none was); the test was rolled out at
    that size (or, when none was, at the largest). ``traces_needed`` is ``stopped_at`` when its test
    rollouts were all exact, else None.
    """

    machine: str
    features: str
    seed: int
    layout: LayoutRule
    train_lengths: tuple[int, int]
    test_lengths: tuple[int, int]
    learner: str
    runs: tuple[EmulationRun, ...]
    seconds: float
    stopped_at: int | None = None
    skipped: tuple[int, ...] = ()

    @property
    def tested(self) -> EmulationRun:
        return next(r for r in self.runs if r.tested)

    @property
    def traces_needed(self) -> int | None:
        t = self.tested
        return t.n_train if self.stopped_at is not None and sum(t.test_exact) == sum(t.test_n) > 0 else None

    def row(self) -> dict[str, Any]:
        t = self.tested
        return {"machine": self.machine, "features": self.features, "seed": self.seed, "width": self.layout.width,
                "traces_needed": self.traces_needed, "stopped_at": self.stopped_at, "n_train": t.n_train,
                "exact_valid": t.exact_valid, "exact_test": t.exact_test, "not_fit": t.not_fit,
                "fit_seconds": round(sum(r.fit_seconds + r.discover_seconds for r in self.runs), 2),
                "seconds": round(self.seconds, 1)}

    def __str__(self) -> str:
        lines = [f"{self.machine} [{self.features}, seed {self.seed}]: {self.layout}; train {self.train_lengths} "
                 f"test {self.test_lengths}: stopped at {self.stopped_at}, traces needed {self.traces_needed} "
                 f"({self.seconds:.1f} s)" + (f"; sizes {self.skipped} skipped" if self.skipped else "")]
        for r in self.runs:
            lines.append(f"  {r.line()}")
            for e in (r.first_errors_valid + r.first_errors_test)[:2]:
                lines.append(f"      {e}")
        t = self.tested
        lines.append("  exact per length: " + " ".join(f"{m}:{k}/{n}" for m, n, k in
                                                       zip(t.test_lengths, t.test_n, t.test_exact)))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- rollouts
def _compare(model: Any, data: Any, seen: np.ndarray, max_errors: int):
    """Per sample: exact (bool array); the number with unseen target tokens; first errors. A sample whose
    run did not fit the layout (status > 1) is a failure, not rolled out."""
    fits = data.status <= 1
    exact = np.zeros(len(data), dtype=bool)
    errors = [FirstError(data.input(int(j)), -1, "does not fit the layout", "", "", False)
              for j in np.flatnonzero(~fits)[:max_errors]]
    unseen = 0
    idx = np.flatnonzero(fits)
    if idx.size:
        sub = data.select(idx)
        seqs = as_sequences(sub, owner="learned_emulation")
        plens, lens = seqs.prompt_lengths(), np.diff(seqs.offsets)
        outs = model.generate(seqs, max_new_tokens=int((lens - plens).max(initial=0)) + 1)
        names, enc = sub.vocabulary.tokens, sub.encoding
        for s in range(len(seqs)):
            ref, out = seqs.sequence(s), outs[s]
            kinds = seqs.kinds[seqs.offsets[s]:seqs.offsets[s + 1]]
            tgt = ref[kinds != 0]
            unseen += int(not seen[tgt[tgt < len(seen)]].all() or (tgt >= len(seen)).any())
            if len(out) == len(ref) and np.array_equal(out, ref):
                exact[idx[s]] = True
                continue
            if len(errors) < max_errors:
                m = min(len(out), len(ref))
                diff = np.flatnonzero(out[:m] != ref[:m])
                p = int(diff[0]) if diff.size else m
                exp = names[int(ref[p])] if p < len(ref) else "<end>"
                got = names[int(out[p])] if p < len(out) else "<end>"
                try:
                    where = enc._describe(p, enc._parse_prompt(sub.machine, ref, sub.vocabulary), len(ref))
                except Exception:  # a description is a courtesy; never let it hide the measurement
                    where = "?"
                errors.append(FirstError(sub.input(s), p, where, exp, got, p < len(ref) and
                                         not (int(ref[p]) < len(seen) and seen[int(ref[p])])))
    return exact, unseen, tuple(errors)


def _featured(template: Any, features: str, data: Any, valid: Any, random_state: int):
    """A clone of ``template`` reading the chosen features, and their offsets per class."""
    model = clone(template)
    layout = data.layout
    if features is None:
        return model, (tuple(model.offsets or range(1, model.window + 1)),)
    if features == "discovered":
        rep = discover_layout(data, layout, validation=valid if len(valid) else None, random_state=random_state)
        kw = learner_features(rep)
    elif features == "declared":
        kw = {"layout": layout}
    else:
        kw = {"layout": None, "offsets": tuple(range(1, int(layout.period) + 2))}
    model.set_params(**kw)
    return model, (kw["layout"].offsets if kw.get("layout") is not None else (kw["offsets"],))


_C = LearnedEmulationConfig


def learned_emulation(machine_or_entry: Any, *, max_length: int = _C.max_length,
                      train_lengths: Any = _C.train_lengths, n_train_grid: Sequence[int] = _C.n_train_grid,
                      n_valid: int = _C.n_valid, n_per_length: int = _C.n_per_length,
                      random_state: int = _C.random_state, learner: Any = None, features: str | None = _C.features,
                      slack: int = _C.slack, stop_when_exact: bool = _C.stop_when_exact,
                      max_steps: int | None = _C.max_steps, max_errors: int = _C.max_errors,
                      n_pool: int | None = None, progress: bool = False) -> EmulationResult:
    """Run the protocol of the module docstring for one machine, feature choice and seed.

    Parameters
    ----------
    machine_or_entry : Machine, ZooEntry or str
        A zoo entry brings its well-formed inputs, step budget and answer convention (accept tasks answer
        the final state); a plain machine draws uniform strings over its input symbols.
    max_length : int
        The longest test input, declared in advance: the layout is sized for it, and every length from
        ``train_lengths[1] + 1`` to it is tested.
    train_lengths : (int, int)
        Lengths of the training and validation inputs.
    n_train_grid : sequence of int
        Training-set sizes (nested: a size's inputs are the first ones of the larger sizes).
    n_valid : int
        Validation inputs (fewer when the training lengths hold fewer than a quarter of their words).
    n_per_length : int
        Test inputs per length (fewer where a length has fewer words).
    random_state : int
        Seeds the inputs, discovery and the learner.
    learner : estimator, optional
        An unfitted :class:`~learners.PerceptronAR` or :class:`~learners.LeastSquaresAR` (cloned per size;
        its features are replaced as ``features`` says). Default: :func:`default_learner`.
    features : {"discovered", "declared", "window"} or None
        Module docstring, step 3; None: the learner's own features, as given.
    slack : int
        Spare cells each side (:func:`fixed_layout`).
    stop_when_exact : bool
        Stop at the first size exact on validation; False fits every size (the test is still rolled out
        only at the size the validation chose).
    max_steps : int, optional
        Step budget per run (default: the dataset default).
    max_errors : int
        First errors kept per part.
    n_pool : int, optional
        Training inputs drawn, and measured for the layout (default: the largest size of the grid; give
        the same pool to runs of different grids that must share one layout).
    progress : bool
        One line per size on stderr.

    Returns
    -------
    EmulationResult

    Raises
    ------
    LearnerError
        A bad parameter, or training lengths too few inputs for any size.
    """
    t_start = time.perf_counter()
    machine, entry = resolve_machine(machine_or_entry, owner="learned_emulation")
    train = _lengths(train_lengths)
    grid = sorted({int(n) for n in n_train_grid})
    if not grid or grid[0] < 1:
        raise LearnerError(f"The 'n_train_grid' parameter of learned_emulation must be sizes >= 1. Got "
                           f"{n_train_grid!r} instead.")
    if features not in FEATURES + (None,):
        raise LearnerError(f"The 'features' parameter of learned_emulation must be one of {FEATURES} or None. Got "
                           f"{features!r} instead.")
    if not (isinstance(max_length, (int, np.integer)) and max_length > train[1]):
        raise LearnerError(f"The 'max_length' parameter of learned_emulation must be an int > the longest "
                           f"training length {train[1]}. Got {max_length!r} instead.")
    for name, v, lo in (("n_valid", n_valid, 0), ("n_per_length", n_per_length, 1), ("slack", slack, 0)):
        if not isinstance(v, (int, np.integer)) or v < lo:
            raise LearnerError(f"The {name!r} parameter of learned_emulation must be an int >= {lo}. Got {v!r}.")
    src = entry if entry is not None else machine
    words = sum(_words(machine, entry, m) for m in range(train[0], train[1] + 1))
    n_valid = min(int(n_valid), words // 4)
    skipped = tuple(n for n in grid if n > words - n_valid)
    grid = [n for n in grid if n <= words - n_valid]
    if not grid:
        raise LearnerError(f"learned_emulation: lengths {train} hold {words} distinct inputs, too few for "
                           f"{n_valid} validation ones plus any training size of {tuple(n_train_grid)}; widen "
                           f"'train_lengths'.")
    test_lens = list(range(train[1] + 1, int(max_length) + 1))
    pool_n = grid[-1] if n_pool is None else min(max(int(n_pool), grid[-1]), words - n_valid)
    tr_in, va_in, te_in = sample_inputs(src, train, pool_n, n_valid, test_lens, int(n_per_length), random_state)
    steps = {} if max_steps is None else {"max_steps": int(max_steps)}
    rule, enc = training_layout(src, tr_in, int(max_length), int(slack), max_steps)  # step 2

    def encode(inputs, split):
        return make_dataset(src, enc, inputs=list(inputs), on_timeout="label", split=split, **steps)

    pool, valid = encode(tr_in, "train"), encode(va_in, "valid")
    template = default_learner(random_state) if learner is None else learner
    runs: list[EmulationRun] = []
    stopped = None
    seen = np.zeros(len(pool.vocabulary.tokens), dtype=bool)
    for n in grid:
        data = pool.select(np.arange(n))
        t0 = time.perf_counter()
        model, offsets = _featured(template, features, data, valid, random_state)
        t1 = time.perf_counter()
        model.fit(data)
        t2 = time.perf_counter()
        seen[:] = False
        seen[np.unique(data.tokens)] = True
        ex_v, _, err_v = _compare(model, valid, seen, max_errors)
        exact_valid = float(ex_v.mean()) if len(ex_v) else 1.0
        run = EmulationRun(n, exact_valid, first_errors_valid=err_v, offsets=offsets,
                           epochs=int(getattr(model, "n_iter_", 1)), converged=bool(getattr(model, "converged_", True)),
                           fit_seconds=t2 - t1, discover_seconds=t1 - t0, eval_seconds=time.perf_counter() - t2)
        chosen = exact_valid == 1.0 and stopped is None
        if chosen or (n == grid[-1] and not any(r.tested for r in runs)):
            # Step 5: the test inputs are encoded and rolled out only now, at the size the validation chose.
            t3 = time.perf_counter()
            n_, k_, nf, un, errs = [], [], 0, 0, []
            for m in test_lens:
                td = encode(te_in[m], "test")
                ex, u, e = _compare(model, td, seen, max(max_errors - len(errs), 0))
                n_.append(len(td))
                k_.append(int(ex.sum()))
                nf += int((td.status > 1).sum())
                un += u
                errs.extend(e)
            run = dataclasses.replace(run, test_lengths=tuple(test_lens), test_n=tuple(n_), test_exact=tuple(k_),
                                      not_fit=nf, unseen=un, first_errors_test=tuple(errs),
                                      eval_seconds=run.eval_seconds + time.perf_counter() - t3)
        if chosen:
            stopped = n
        runs.append(run)
        if progress:
            print(f"{machine.name} [{features}, seed {random_state}]: {run.line()}", file=sys.stderr, flush=True)
        if stopped is not None and stop_when_exact:
            break
    shown = {k: v for k, v in template.get_params().items() if k not in ("layout", "offsets")}
    return EmulationResult(
        machine=machine.name, features=features, seed=int(random_state), layout=rule, train_lengths=train,
        test_lengths=(test_lens[0], test_lens[-1]),
        learner=f"{type(template).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(shown.items()))})",
        runs=tuple(runs), seconds=time.perf_counter() - t_start,
        stopped_at=stopped, skipped=skipped)


def _lengths(value: Any) -> tuple[int, int]:
    try:
        a, b = (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))
    except (TypeError, ValueError, IndexError):
        a, b = -1, -1
    if not 0 <= a <= b:
        raise LearnerError(f"The 'train_lengths' parameter of learned_emulation must be (a, b) with 0 <= a <= b. "
                           f"Got {value!r} instead.")
    return a, b


def curves(results: Sequence[EmulationResult]) -> dict[str, dict[str, list]]:
    """Per feature choice, the exact-match curve pooled over seeds: ``{"lengths", "k", "n", "rate", "lo",
    "hi"}`` (95% Wilson intervals over the pooled test traces of every seed at each length)."""
    out: dict[str, dict[str, list]] = {}
    for f in dict.fromkeys(r.features for r in results):
        acc: dict[int, list[int]] = {}
        for r in results:
            if r.features == f:
                t = r.tested
                for m, n, k in zip(t.test_lengths, t.test_n, t.test_exact):
                    acc.setdefault(m, [0, 0])
                    acc[m][0] += k
                    acc[m][1] += n
        ls = sorted(acc)
        ci = [wilson(*acc[m]) for m in ls]
        out[f] = {"lengths": ls, "k": [acc[m][0] for m in ls], "n": [acc[m][1] for m in ls],
                  "rate": [acc[m][0] / acc[m][1] if acc[m][1] else float("nan") for m in ls],
                  "lo": [c[0] for c in ci], "hi": [c[1] for c in ci]}
    return out


def result_json(r: EmulationResult) -> dict[str, Any]:
    """A JSON-ready dict of one result (first errors as text)."""
    d = dataclasses.asdict(r)
    d["traces_needed"] = r.traces_needed
    d["runs"] = [{**dataclasses.asdict(u), "first_errors_valid": [str(e) for e in u.first_errors_valid],
                  "first_errors_test": [str(e) for e in u.first_errors_test]} for u in r.runs]
    return d


# ---------------------------------------------------------------------------------------------- CLI
def machine_arg(spec: str):
    """``random:SEED`` (3-state/3-symbol) or ``random4x2:SEED`` -> a random halting machine; anything else
    as :func:`tmsim.resolve.resolve_machine` takes it."""
    kind, _, value = spec.partition(":")
    if kind in ("random", "random4x2"):
        try:
            seed = int(value)
        except ValueError:
            raise LearnerError(f"The machine argument '{kind}:SEED' needs an int seed. Got {spec!r}.") from None
        return random_halting_machine(seed, **({"n_states": 4, "n_symbols": 2} if kind == "random4x2" else {}))
    return spec


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.learned_emulation MACHINE [flags]``: the summary and per-length
    curves (or ``--json``); exit status 0 when every run's test was exact, 1 when not, 2 on bad input."""
    from ._cli import length_pair

    d = {f.name: f.default for f in dataclasses.fields(LearnedEmulationConfig)}
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.learned_emulation",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("machine", help="'zoo:NAME', 'random:SEED', 'random4x2:SEED', a machine file or a "
                                    "standard-format string")
    ap.add_argument("--train-lengths", type=length_pair, default=d["train_lengths"], metavar="A-B",
                    help="input lengths of the training and validation inputs (default: 1-8)")
    ap.add_argument("--max-length", type=int, default=d["max_length"],
                    help="longest test input, declared in advance; every longer length up to it is tested "
                         "(default: %(default)s)")
    ap.add_argument("--grid", type=size_list, default=d["n_train_grid"], metavar="N,N,...",
                    help=f"training-set sizes (default: {','.join(map(str, DEFAULT_GRID))})")
    ap.add_argument("--n-valid", type=int, default=d["n_valid"], help="validation inputs (default: %(default)s)")
    ap.add_argument("--n-per-length", type=int, default=d["n_per_length"],
                    help="test inputs per length (default: %(default)s)")
    ap.add_argument("--slack", type=int, default=d["slack"], help="spare cells each side (default: %(default)s)")
    ap.add_argument("--features", default=d["features"], metavar="F[,F...]",
                    help="discovered (default), declared, window, or a comma list to compare")
    ap.add_argument("--seeds", type=str, default=str(d["random_state"]), metavar="S[,S...]",
                    help="seeds of the data and the learner (default: 0)")
    ap.add_argument("--all-sizes", action="store_true", help="fit every size (do not stop at validation-exact)")
    ap.add_argument("--distinct", action="store_true", help="the learner trains on one window per distinct "
                    "example (PerceptronAR(distinct=True)): same separators, far shorter epochs on long traces")
    ap.add_argument("--max-steps", type=int, default=d["max_steps"], help="step budget per run")
    ap.add_argument("--max-errors", type=int, default=d["max_errors"], help="first errors kept per part")
    ap.add_argument("--json", action="store_true", help="print the results and curves as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress line per size on stderr")
    args = ap.parse_args(argv)
    feats = [f.strip() for f in args.features.split(",") if f.strip()]
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        print(f"error: --seeds must be comma-separated ints. Got {args.seeds!r}.", file=sys.stderr)
        return 2
    try:
        bad = [f for f in feats if f not in FEATURES]
        if bad or not feats:
            raise LearnerError(f"--features must be a comma list of {FEATURES}. Got {args.features!r}.")
        if args.max_steps is not None and args.max_steps < 1:
            raise LearnerError(f"--max-steps must be an int >= 1. Got {args.max_steps}.")
        m = machine_arg(args.machine)
        results = [learned_emulation(m, max_length=args.max_length, train_lengths=args.train_lengths,
                                     n_train_grid=args.grid, n_valid=args.n_valid, n_per_length=args.n_per_length,
                                     random_state=s, features=f, slack=args.slack,
                                     stop_when_exact=not args.all_sizes, max_steps=args.max_steps,
                                     max_errors=args.max_errors, progress=not args.quiet,
                                     learner=default_learner(s).set_params(distinct=True) if args.distinct
                                     else None)
                   for f in feats for s in seeds]
    except (LearnerError, TmsimError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    cv = curves(results)
    if args.json:
        print(json.dumps({"results": [result_json(r) for r in results], "curves": cv}, indent=1, default=str))
    else:
        for r in results:
            print(r)
        for f, c in cv.items():
            print(f"{f}: " + " ".join(f"{m}:{x:.2f}[{a:.2f},{b:.2f}]" for m, x, a, b in
                                      zip(c["lengths"], c["rate"], c["lo"], c["hi"])))
    return 0 if all(r.traces_needed is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
