"""Experiment: learned emulation of a Turing machine — train a linear AR model on
``tableau-triples`` traces of short inputs, roll it out on held-out inputs of the training lengths and on
longer ones, and find how many training traces make every rollout exact (the construction it learns:
``docs/theory.md#tableau-triples``; why it generalises: ``docs/theory.md#position-classes-and-local-rules``).

Run it as ``python -m proofs_checks.experiments.learned_emulation zoo:parity [--train-lengths 1-8]
[--test-lengths 9-16] [--grid 25,50,100] [--json]``, as the check ``proofs-checks run emulation-learned``, or
from Python (below).

The recipe that generalises to longer inputs (measured with this function, lengths 1-8 -> 9-16, 100 + 100
test inputs, the comparisons below without shrinking; see ``tests/proofs_checks/test_learned_emulation.py`` for the
traces each machine needed):

- **one layout with slack**: a fixed row width W and left margin for every length, ``slack`` spare cells on
  each side beyond what any run visits. Without slack the long runs bring the head next to a boundary
  column, a triple like ``(h:even:1,s:_,#)`` that no short run produced: parity and palindrome stay at 75%
  exact on longer inputs whatever the number of traces (25 of 100 need a token never seen);
- **declared offsets only**: the whole window (offsets 1..L+1) learns the training lengths and fails on
  longer inputs (parity 5%, palindrome 11% exact with 400 traces): it leans on offsets whose tokens only
  look constant in short runs. ``features="local"`` (the encoding's ``layout(machine, width=W)``) gives each position class
  (header, filler, intermediate, cell) its own block reading only that class's declared offsets;
  ``features="declared"`` one shared block over their union — both generalise, neither wins everywhere
  (traces needed, local vs shared: parity 50 vs 100, unary-addition 25 vs 50, binary-increment 50 vs 25,
  palindrome, copy, two random machines equal);
- a **margin perceptron** (``margin=10``), averaged, over the **tokens seen** in training (``compact=True``,
  which makes the 25k-token vocabulary of binary-multiplication tractable), with ``shrinking``. Margin 0
  needed 2-4x more traces (parity 200, binary-increment 100, copy 100, a random machine 400 vs 100).

What remains is coverage: a triple token is atomic, so a held-out input whose trace needs a triple no
training trace holds cannot be emulated by any learner over these tokens (``unseen_in``/``unseen_long``
count such traces; they dominate the failures at small sizes).

Examples
--------
>>> from tmsim import zoo
>>> from proofs_checks.experiments.learned_emulation import learned_emulation
>>> r = learned_emulation(zoo.get("parity"), train_lengths=(1, 8), test_lengths=(9, 16),
...                       n_train_grid=(25, 50), n_test=20, random_state=0)
>>> r.width, [(run.n_train, run.exact_in) for run in r.runs], r.traces_needed, r.runs[-1].exact_long
(23, [(25, 0.65), (50, 1.0)], 50, 1.0)
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
from learners.errors import LearnerError
from learners.linear import PerceptronAR
from tmsim.datasets import Split, make_splits
from tmsim.encodings import get_encoding
from tmsim.errors import TmsimError
from tmsim.resolve import resolve_machine
from tmsim.zoo.random import random_halting_machine

from ._cli import length_pair, size_list, width_or_auto

__all__ = ["default_learner", "learned_emulation", "EmulationRun", "EmulationResult",
           "FirstError", "LearnedEmulationConfig", "main"]

#: Cells added on each side of the widest run's span when ``width="auto"``: 2 keeps every head of every
#: run at least two cells from a boundary column, so no intermediate triple of a long run holds ``#``.
DEFAULT_SLACK = 2
#: The doubling grid of training-set sizes.
DEFAULT_GRID = (25, 50, 100, 200, 400, 800, 1600)


@dataclass(frozen=True)
class LearnedEmulationConfig:
    """The parameters of :func:`learned_emulation` but the machine and the learner (the command line's
    defaults; see the function for each one's meaning)."""

    width: int | str = "auto"  # one row layout for short and long runs, fitted to the widest run plus slack
    left: int | None = None  # with an int width: the encoding picks the margin per run
    train_lengths: tuple[int, int] = (1, 8)  # short runs: 510 binary inputs, enough for the grid up to 400 plus the held-out ones
    test_lengths: tuple[int, int] = (9, 16)  # twice the training lengths: generalisation, not interpolation
    n_train_grid: tuple[int, ...] = DEFAULT_GRID  # doubling: the traces needed to within a factor 2
    n_test: int = 100  # per test kind: "all exact" on 100 traces, a 1% resolution
    random_state: int = 0  # the data and the learner
    features: str | None = "local"  # per-class declared offsets: the variant measured to generalise best
    slack: int = DEFAULT_SLACK  # keeps heads off the boundary columns (see DEFAULT_SLACK)
    stop_when_exact: bool = True  # the first exact size is the answer; larger ones only cost time
    max_steps: int | None = None  # the dataset's default budget
    on_timeout: str = "error"  # zoo machines halt on every input; a timeout is a bug to report
    max_errors: int = 3  # first errors shown per test set: enough to see a pattern, short enough to read


def default_learner(random_state: Any = 0) -> PerceptronAR:
    """The learner of :func:`learned_emulation` (before its local features are set): an averaged margin
    perceptron over the seen tokens.

    ``shrinking=True``: the margin perceptron leaves almost every window just above its margin, so the
    passes between full ones visit only the ~2% near it (binary-addition, 800 traces: fit 17 s instead of
    72 s, the same traces needed).

    ``margin=10``: the plain perceptron (margin 0) needed 2-4x more traces to be exact on held-out and
    longer inputs (parity 200 vs 50, copy 100 vs 50), and its averaged weights were often not exact on the
    training traces themselves (so the last weights were kept); a margin of 100 bought little more for
    10x the epochs (binary-addition, lengths 3-7 -> 8-10, 200 traces: 72% vs 65% exact on longer inputs).
    """
    return PerceptronAR(averaged=True, margin=10.0, compact=True, shrinking=True, max_iter=1000,
                        random_state=random_state)


@dataclass(frozen=True)
class FirstError:
    """Where one rollout first left the reference trace.

    Attributes
    ----------
    input : str
    position : int
        Token index in the trace (the prompt included).
    where : str
        Row, position class and column (e.g. ``"row 5, intermediate cell 12"``).
    expected, got : str
        Token names (``"<end>"`` when one sequence stopped first).
    unseen : bool
        The expected token never occurs in the training traces: no learner over atomic tokens can emit it.
    """

    input: str
    position: int
    where: str
    expected: str
    got: str
    unseen: bool

    def __str__(self) -> str:
        return (f"{self.input!r}: token {self.position} ({self.where}): expected {self.expected!r}, got "
                f"{self.got!r}{' (never seen in training)' if self.unseen else ''}")


@dataclass(frozen=True)
class EmulationRun:
    """One training-set size of :func:`learned_emulation`.

    Attributes
    ----------
    n_train : int
        Training traces (distinct inputs).
    exact_in, exact_long : float
        Fraction of free rollouts that reproduce the whole trace (CoT and answer) exactly: held-out inputs
        of the training lengths, and longer inputs.
    answer_in, answer_long : float
        Fraction of rollouts whose answer tokens are right.
    token_accuracy_in, token_accuracy_long : float
        Teacher-forced token accuracy.
    unseen_in, unseen_long : int
        Test traces holding a target token that no training trace holds (a coverage failure, not a
        generalisation one).
    first_errors_in, first_errors_long : tuple of FirstError
        The first divergence of up to ``max_errors`` failing rollouts of each test set.
    epochs : int
    converged : bool
    weights : str
        ``"averaged"`` or ``"last"`` (see :class:`~learners.PerceptronAR`); ``""`` for other learners.
    train_tokens : int
    fit_seconds, eval_seconds : float
    width, left : int
        The row layout of this size's traces (``left`` is -1 when it varies per run).
    n_test_in, n_test_long : int
        Test traces of each kind.
    """

    n_train: int
    exact_in: float
    exact_long: float
    answer_in: float
    answer_long: float
    token_accuracy_in: float
    token_accuracy_long: float
    unseen_in: int
    unseen_long: int
    first_errors_in: tuple = field(repr=False)
    first_errors_long: tuple = field(repr=False)
    epochs: int = 0
    converged: bool = True
    weights: str = ""
    train_tokens: int = 0
    fit_seconds: float = 0.0
    eval_seconds: float = 0.0
    width: int = 0
    left: int = -1
    n_test_in: int = 0
    n_test_long: int = 0

    @property
    def exact(self) -> bool:
        """Every held-out and every longer rollout exact."""
        return self.exact_in == 1.0 and self.exact_long == 1.0

    def line(self) -> str:
        """One line of the summary."""
        return (f"n={self.n_train:5d}: exact in {self.exact_in:.3f} long {self.exact_long:.3f} (unseen-token "
                f"traces {self.unseen_in}/{self.unseen_long}), epochs {self.epochs}, {self.weights}, fit "
                f"{self.fit_seconds:.1f} s")


@dataclass(frozen=True)
class EmulationResult:
    """What :func:`learned_emulation` measured for one machine.

    Attributes
    ----------
    machine : str
    width, left : int
        The row layout of the last size's traces (W cells, input position 0 in column ``left``): one layout
        for its training and test traces. Each size fixes its own (see :class:`EmulationRun`).
    train_lengths, test_lengths : (int, int)
    n_test_in, n_test_long : int
        Held-out traces of the training lengths, and longer ones.
    learner : str
        The learner's repr (with its local features elided).
    runs : tuple of EmulationRun
        In the order of the grid (stopped after the first exact one when ``stop_when_exact``).
    skipped : tuple of int
        Sizes of the grid larger than the training lengths' distinct inputs (minus the held-out ones).
    seconds : float
        Wall time, data generation included.
    """

    machine: str
    width: int
    left: int
    train_lengths: tuple[int, int]
    test_lengths: tuple[int, int]
    n_test_in: int
    n_test_long: int
    learner: str
    runs: tuple[EmulationRun, ...]
    seconds: float
    skipped: tuple[int, ...] = ()

    @property
    def traces_needed(self) -> int | None:
        """The smallest training-set size of the grid whose rollouts were all exact, or None."""
        return next((r.n_train for r in self.runs if r.exact), None)

    def row(self) -> dict[str, Any]:
        """One line of a results table (the last run: the exact one, or the largest tried)."""
        last = next((r for r in self.runs if r.exact), self.runs[-1])
        return {"machine": self.machine, "width": self.width, "train_lengths": self.train_lengths,
                "test_lengths": self.test_lengths, "traces_needed": self.traces_needed, "n_train": last.n_train,
                "exact_in": last.exact_in, "exact_long": last.exact_long, "seconds": round(self.seconds, 1)}

    def __str__(self) -> str:
        lines = [f"{self.machine}: W={self.width} left={self.left} train {self.train_lengths} test "
                 f"{self.test_lengths} ({self.n_test_in} + {self.n_test_long} test traces): traces needed "
                 f"{self.traces_needed} ({self.seconds:.1f} s)"
                 + (f"; sizes {self.skipped} skipped (too few distinct inputs)" if self.skipped else "")]
        for r in self.runs:
            lines.append(f"  {r.line()}")
            for e in (r.first_errors_in + r.first_errors_long)[:2]:
                lines.append(f"      {e}")
        return "\n".join(lines)


def _resolve(machine_or_entry: Any):
    return resolve_machine(machine_or_entry, owner="learned_emulation")


def _lengths(value: Any, name: str) -> tuple[int, int]:
    try:
        a, b = (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))
    except (TypeError, ValueError, IndexError):
        raise LearnerError(f"The {name!r} parameter of learned_emulation must be (a, b) input lengths. "
                           f"Got {value!r} instead.") from None
    if not 0 <= a <= b:
        raise LearnerError(f"The {name!r} parameter of learned_emulation must be (a, b) with 0 <= a <= b. "
                           f"Got {value!r} instead.")
    return a, b


def _splits(machine: Any, encoding: Any, train: tuple[int, int], test: tuple[int, int], n_train: int,
            n_test: int, random_state: Any, width: Any, max_steps: int | None, on_timeout: str):
    split = Split("learned-emulation", train=train, valid=train, test=test, n_train=n_train, n_valid=n_test,
                  n_test=n_test)
    return make_splits(machine, encoding, split, random_state=random_state, width=width, max_steps=max_steps,
                       on_timeout=on_timeout)


def _n_inputs(machine: Any, entry: Any, lengths: tuple[int, int]) -> int:
    """Distinct well-formed inputs with lengths in ``lengths``."""
    if entry is not None:
        return sum(entry.language.count(n) for n in range(lengths[0], lengths[1] + 1))
    return sum(len(machine.input_symbols) ** n for n in range(lengths[0], lengths[1] + 1))


def _compare(model: Any, data: Any, train_tokens: np.ndarray, max_errors: int):
    """Rollouts against references: (exact, answer exact, unseen-token traces, first errors)."""
    seqs = as_sequences(data, owner="learned_emulation")
    plens = seqs.prompt_lengths()
    lens = np.diff(seqs.offsets)
    outs = model.generate(seqs, max_new_tokens=int((lens - plens).max(initial=0)) + 1)
    names = data.vocabulary.tokens
    enc = data.encoding
    seen = np.zeros(len(names), dtype=bool)
    seen[train_tokens] = True
    exact = answer = unseen = 0
    errors = []
    for s in range(len(seqs)):
        ref, out = seqs.sequence(s), outs[s]
        kinds = seqs.kinds[seqs.offsets[s]:seqs.offsets[s + 1]]
        targets = ref[kinds != 0]
        unseen += int(not seen[targets].all())
        n_ans = int(np.count_nonzero(kinds == 2))
        answer += int(len(out) >= n_ans and np.array_equal(out[len(out) - n_ans:], ref[len(ref) - n_ans:]))
        if len(out) == len(ref) and np.array_equal(out, ref):
            exact += 1
            continue
        if len(errors) < max_errors:
            m = min(len(out), len(ref))
            diff = np.flatnonzero(out[:m] != ref[:m])
            p = int(diff[0]) if diff.size else m
            exp = names[int(ref[p])] if p < len(ref) else "<end>"
            got = names[int(out[p])] if p < len(out) else "<end>"
            try:
                where = enc._describe(p, enc._parse_prompt(data.machine, ref, data.vocabulary), len(ref))
            except Exception:  # a description is a courtesy; never let it hide the measurement
                where = "?"
            errors.append(FirstError(data.input(s), p, where, exp, got, p < len(ref) and not seen[int(ref[p])]))
    n = max(len(seqs), 1)
    return exact / n, answer / n, unseen, tuple(errors)


_C = LearnedEmulationConfig


def learned_emulation(machine_or_entry: Any, *, width: int | str = _C.width, left: int | None = _C.left,
                      train_lengths: Any = _C.train_lengths, test_lengths: Any = _C.test_lengths,
                      n_train_grid: Sequence[int] = _C.n_train_grid, n_test: int = _C.n_test,
                      random_state: int = _C.random_state, learner: Any = None, features: str | None = _C.features,
                      slack: int = _C.slack, stop_when_exact: bool = _C.stop_when_exact,
                      max_steps: int | None = _C.max_steps, on_timeout: str = _C.on_timeout,
                      max_errors: int = _C.max_errors, progress: bool = False) -> EmulationResult:
    """Train a linear AR model on ``tableau-triples`` traces of short inputs and check its free rollouts on
    held-out inputs of the training lengths and on longer inputs, for a doubling grid of training sizes.

    The data of size ``n`` are one :func:`tmsim.datasets.make_splits` call: ``n`` training inputs, then
    ``n_test`` held-out inputs of the training lengths (none of them a training input), then ``n_test``
    inputs of ``test_lengths``, all distinct, every trace in one row layout. The training inputs of a
    smaller size are the first ones of a larger size (one seeded stream: nested sets, a learning curve);
    the result of a size does not depend on the rest of the grid.

    Parameters
    ----------
    machine_or_entry : Machine, ZooEntry or str
        A zoo entry brings its well-formed inputs and answer convention (accept tasks answer the final
        state); a plain machine draws uniform strings over its input symbols and answers the final tape.
    width : int or "auto", default "auto"
        Row width W of every trace. ``"auto"``: the widest span any run of the three parts visits, plus
        ``slack`` cells on each side (the left margin is then fixed too).
    left : int, optional
        Columns left of input position 0 (with an int ``width``; default: chosen per run by the encoding).
    train_lengths, test_lengths : (int, int)
        Input lengths of the training (and held-out) inputs, and of the longer test inputs.
    n_train_grid : sequence of int
        Training-set sizes, tried in increasing order.
    n_test : int, default 100
        Inputs of each test kind.
    random_state : int
        Seeds the data and the learner.
    learner : estimator, optional
        An unfitted :class:`~learners.PerceptronAR` or :class:`~learners.LeastSquaresAR` (cloned for every
        size). Default: :func:`default_learner`.
    features : {"local", "declared", None}, default "local"
        ``"local"``: set the learner's ``layout`` to the encoding's (``encoding.layout(machine,
        width=W)``: per position class, the offsets its local rule declares); ``"declared"``: one shared
        block over the union of the declared offsets (``offsets=...``, ``layout=None``); None: the learner
        as given.
    slack : int, default 2
        Spare cells on each side with ``width="auto"``.
    stop_when_exact : bool, default True
        Stop at the first size whose rollouts are all exact.
    max_steps : int, optional
        Step budget per run (default: the dataset default).
    on_timeout : {"error", "drop"}, default "error"
        A run that does not halt within the budget or the layout: refuse (the default: every test trace
        must halt), or leave the input out (random machines).
    max_errors : int, default 3
        First errors kept per run and test set.
    progress : bool, default False
        Print one line per size to stderr as it finishes (long runs).

    Returns
    -------
    EmulationResult

    Raises
    ------
    LearnerError
        A bad parameter; :class:`tmsim.datasets.DatasetError` when the lengths hold too few distinct inputs
        for the sizes asked, or a run does not halt.
    """
    t_start = time.perf_counter()
    machine, entry = _resolve(machine_or_entry)
    train = _lengths(train_lengths, "train_lengths")
    test = _lengths(test_lengths, "test_lengths")
    grid = sorted({int(n) for n in n_train_grid})
    if not grid or grid[0] < 1:
        raise LearnerError(f"The 'n_train_grid' parameter of learned_emulation must be sizes >= 1. Got "
                           f"{n_train_grid!r} instead.")
    if features not in ("local", "declared", None):
        raise LearnerError(f"The 'features' parameter of learned_emulation must be 'local', 'declared' or None. "
                           f"Got {features!r} instead.")
    if on_timeout not in ("error", "drop"):
        raise LearnerError(f"The 'on_timeout' parameter of learned_emulation must be 'error' or 'drop'. Got "
                           f"{on_timeout!r} instead.")
    src = entry if entry is not None else machine
    # Sizes the training lengths cannot supply (distinct inputs, the held-out ones set apart) are skipped.
    available = _n_inputs(machine, entry, train) - n_test
    skipped = tuple(n for n in grid if n > available)
    grid = [n for n in grid if n <= available]
    if not grid:
        raise LearnerError(f"learned_emulation: lengths {train} hold {available + n_test} distinct inputs, too few "
                           f"for {n_test} held-out ones plus any training size of {tuple(n_train_grid)}; widen "
                           f"'train_lengths' or lower 'n_test'.")
    if not (width == "auto" or (isinstance(width, (int, np.integer)) and not isinstance(width, bool))):
        raise LearnerError(f"The 'width' parameter of learned_emulation must be an int or 'auto'. Got {width!r} "
                           f"instead.")
    template = default_learner(random_state) if learner is None else learner
    runs = []
    for n in grid:
        # Each size is its own make_splits call, so its result does not depend on the rest of the grid: the
        # training inputs are the first n of one stream (nested sets), the held-out ones exclude exactly them.
        if width == "auto":
            # A counting pass fixes the narrowest layout that holds every run; the slack goes around it.
            probe = _splits(src, "tableau-triples", train, test, n, n_test, random_state, "auto", max_steps,
                            on_timeout)
            W0, L0 = int(probe["train"].width[0]), int(probe["train"].left[0])
            del probe
            enc = get_encoding("tableau-triples", width=W0 + 2 * slack, left=L0 + slack)
        else:
            enc = get_encoding("tableau-triples", width=int(width), **({} if left is None else {"left": int(left)}))
        if entry is not None and entry.task == "accept":
            enc = dataclasses.replace(enc, answer="state")
        W = int(enc.width)
        parts = _splits(src, enc, train, test, n, n_test, random_state, W, max_steps, on_timeout)
        data, test_in, test_long = parts["train"], parts["valid"], parts["test"]
        lefts = {int(x) for d in parts.values() for x in d.left}
        model = clone(template)
        if features == "local":
            model.set_params(layout=enc.layout(machine, width=W))
        elif features == "declared":
            model.set_params(offsets=enc.layout(machine, width=W).union_offsets(), layout=None)
        t0 = time.perf_counter()
        model.fit(data)
        t1 = time.perf_counter()
        tokens = np.unique(data.tokens)
        ex_in, ans_in, un_in, err_in = _compare(model, test_in, tokens, max_errors)
        ex_long, ans_long, un_long, err_long = _compare(model, test_long, tokens, max_errors)
        runs.append(EmulationRun(
            n_train=len(data), exact_in=ex_in, exact_long=ex_long, answer_in=ans_in, answer_long=ans_long,
            token_accuracy_in=float(model.score(test_in)), token_accuracy_long=float(model.score(test_long)),
            unseen_in=un_in, unseen_long=un_long, first_errors_in=err_in, first_errors_long=err_long,
            epochs=int(getattr(model, "n_iter_", 1)), converged=bool(getattr(model, "converged_", True)),
            weights=str(getattr(model, "weights_", "")), train_tokens=int(data.n_tokens),
            fit_seconds=t1 - t0, eval_seconds=time.perf_counter() - t1, width=W,
            left=min(lefts) if len(lefts) == 1 else -1, n_test_in=len(test_in), n_test_long=len(test_long)))
        if progress:
            print(f"{machine.name}: {runs[-1].line()}", file=sys.stderr, flush=True)
        if stop_when_exact and runs[-1].exact:
            break
    shown = {k: v for k, v in template.get_params().items() if k != "layout"}
    return EmulationResult(
        machine=machine.name, width=runs[-1].width, left=runs[-1].left, train_lengths=train,
        test_lengths=test, n_test_in=runs[-1].n_test_in, n_test_long=runs[-1].n_test_long,
        learner=f"{type(template).__name__}({', '.join(f'{k}={v!r}' for k, v in sorted(shown.items()))})"
                + (f" + {features} features" if features else ""),
        runs=tuple(runs), seconds=time.perf_counter() - t_start, skipped=skipped)


# ---------------------------------------------------------------------------------------------- CLI
def _machine_arg(spec: str):
    """``random:SEED`` -> a random halting machine; anything else as :func:`tmsim.resolve.resolve_machine`
    takes it (``zoo:NAME``, a file, a standard-format string)."""
    kind, _, value = spec.partition(":")
    if kind == "random":
        try:
            return random_halting_machine(int(value))
        except ValueError:
            raise LearnerError(f"The machine argument 'random:SEED' needs an int seed. Got {spec!r}.") from None
    return spec


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.learned_emulation MACHINE [flags]``: the summary (or ``--json``);
    exit status 0 when some training size made every rollout exact, 1 when none did, 2 on bad input."""
    d = {f.name: f.default for f in dataclasses.fields(LearnedEmulationConfig)}
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.learned_emulation",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("machine", help="'zoo:NAME', 'random:SEED', a machine file or a standard-format string")
    ap.add_argument("--train-lengths", type=length_pair, default=d["train_lengths"], metavar="A-B",
                    help="input lengths of the training and held-out inputs (default: 1-8)")
    ap.add_argument("--test-lengths", type=length_pair, default=d["test_lengths"], metavar="A-B",
                    help="input lengths of the longer test inputs (default: 9-16)")
    ap.add_argument("--grid", type=size_list, default=d["n_train_grid"], metavar="N,N,...",
                    help=f"training-set sizes (default: {','.join(map(str, DEFAULT_GRID))})")
    ap.add_argument("--n-test", type=int, default=d["n_test"], help="inputs of each test kind (default: %(default)s)")
    ap.add_argument("--width", type=width_or_auto, default=d["width"], help="row width W or 'auto' (default: auto)")
    ap.add_argument("--left", type=int, default=d["left"], help="columns left of the input (with an int --width)")
    ap.add_argument("--slack", type=int, default=d["slack"], help="spare cells each side with --width auto "
                    "(default: %(default)s)")
    ap.add_argument("--features", choices=("local", "declared", "window"), default=d["features"],
                    help="per-class declared offsets (local, the default), their union (declared), or the "
                         "learner's whole window")
    ap.add_argument("--all-sizes", action="store_true", help="do not stop at the first exact size")
    ap.add_argument("--max-steps", type=int, default=d["max_steps"], help="step budget per run")
    ap.add_argument("--on-timeout", choices=("error", "drop"), default=d["on_timeout"],
                    help="a run that does not halt: refuse (default) or leave the input out")
    ap.add_argument("--max-errors", type=int, default=d["max_errors"], help="first errors kept per test set")
    ap.add_argument("--seed", type=int, default=d["random_state"], help="seeds the data and the learner")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress line per size on stderr")
    args = ap.parse_args(argv)
    cfg = LearnedEmulationConfig(
        width=args.width, left=args.left, train_lengths=args.train_lengths, test_lengths=args.test_lengths,
        n_train_grid=args.grid, n_test=args.n_test, random_state=args.seed,
        features=None if args.features == "window" else args.features, slack=args.slack,
        stop_when_exact=not args.all_sizes, max_steps=args.max_steps, on_timeout=args.on_timeout,
        max_errors=args.max_errors)
    try:
        for name in ("n_test", "slack", "max_errors"):
            if getattr(cfg, name) < 0 or (name == "n_test" and cfg.n_test < 1):
                raise LearnerError(f"--{name.replace('_', '-')} must be an int >= {1 if name == 'n_test' else 0}. "
                                   f"Got {getattr(cfg, name)}.")
        if cfg.max_steps is not None and cfg.max_steps < 1:
            raise LearnerError(f"--max-steps must be an int >= 1. Got {cfg.max_steps}.")
        result = learned_emulation(_machine_arg(args.machine), **dataclasses.asdict(cfg), progress=not args.quiet)
    except (LearnerError, TmsimError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        out = {**dataclasses.asdict(result), "traces_needed": result.traces_needed,
               "runs": [{**dataclasses.asdict(r), "first_errors_in": [str(e) for e in r.first_errors_in],
                         "first_errors_long": [str(e) for e in r.first_errors_long]} for r in result.runs]}
        print(json.dumps(out, indent=1, default=str))
    else:
        print(result)
    return 0 if result.traces_needed is not None else 1


if __name__ == "__main__":
    sys.exit(main())
