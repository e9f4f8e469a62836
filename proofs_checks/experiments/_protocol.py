"""The honest protocol's data side for :mod:`proofs_checks.experiments.learned_emulation`: the inputs of one
seed (training pool, validation part, test inputs per length, all distinct), the row layout fixed from the
training runs and a declared ``max_length`` before any test input is used, and 95% Wilson intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from learners.errors import LearnerError
from tmsim.encodings import get_encoding
from tmsim.resolve import resolve_machine

__all__ = ["DEFAULT_SLACK", "LayoutRule", "fixed_layout", "training_layout", "sample_inputs", "wilson"]

#: Spare cells on each side beyond the bound of :func:`fixed_layout`: 2 keeps a head that reaches the bound
#: two cells from a boundary column, so no intermediate triple of a long run holds ``#`` (with 0, parity and
#: palindrome stayed at 75% exact on longer inputs whatever the number of traces).
DEFAULT_SLACK = 2
def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95% Wilson score interval of ``k`` successes in ``n`` trials ((0, 1) when n == 0).

    >>> [round(x, 3) for x in wilson(20, 20)]
    [0.839, 1.0]
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


# ---------------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class LayoutRule:
    """The row layout fixed before any test input was drawn, and the rule that fixed it.

    Attributes
    ----------
    width, left : int
        Row width W and the column of input position 0.
    max_length : int
        The declared longest test input.
    slack : int
    left_fit, right_fit : (float, float)
        ``(a, b)``: every training run of length n visited at most ``a + b n`` cells left of the input
        (right of its end), as the free-width encoding counts them (boundary column included).
    n_runs : int
        Training runs measured.
    """

    width: int
    left: int
    max_length: int
    slack: int
    left_fit: tuple[float, float]
    right_fit: tuple[float, float]
    n_runs: int

    def __str__(self) -> str:
        (a, b), (c, d) = self.left_fit, self.right_fit
        return (f"W={self.width} left={self.left} for inputs up to {self.max_length} (left <= {a:.2f} + "
                f"{b:.2f} n, right <= {c:.2f} + {d:.2f} n over {self.n_runs} training runs, +{self.slack} each side)")


def _envelope(n: np.ndarray, e: np.ndarray) -> tuple[float, float]:
    """(a, b): b the least-squares slope of the per-length maxima (>= 0), a the least bounding intercept."""
    ls = np.unique(n)
    top = np.array([e[n == x].max() for x in ls], dtype=float)
    b = max(0.0, round(float(np.polyfit(ls.astype(float), top, 1)[0]), 9)) if len(ls) >= 2 else 0.0
    return round(float((top - b * ls).max()), 9), b  # rounded: an exact line stays exact (1.0, not 0.99...)


def fixed_layout(input_lengths: np.ndarray, widths: np.ndarray, lefts: np.ndarray, max_length: int,
                 slack: int = DEFAULT_SLACK) -> LayoutRule:
    """The row layout for inputs up to ``max_length``, from the free-width spans of the training runs alone.

    Parameters
    ----------
    input_lengths, widths, lefts : ndarray of int, shape (n,)
        Per training run: input length, and the row width and left margin the free-width ``tableau-triples``
        encoding chose for it (:meth:`~tmsim.encodings.Encoding.measure`).
    max_length : int
        The longest input the experiment will test.
    slack : int
        Spare cells added on each side.

    Returns
    -------
    LayoutRule
        ``left = ceil(a_l + b_l N) + slack``, ``width = left + N + ceil(a_r + b_r N) + slack`` with N =
        ``max_length`` (module docstring, step 2).

    >>> r = fixed_layout(np.array([1, 2, 3]), np.array([6, 8, 10]), np.array([2, 2, 2]), max_length=10)
    >>> r.width, r.left, r.right_fit
    (28, 4, (2.0, 1.0))
    """
    n, w, lf = (np.asarray(x, dtype=np.int64) for x in (input_lengths, widths, lefts))
    if n.size == 0:
        raise LearnerError("fixed_layout: no training runs to measure.")
    left_fit = _envelope(n, lf)
    right_fit = _envelope(n, w - lf - n)
    need = [math.ceil(a + b * max_length - 1e-9) for a, b in (left_fit, right_fit)]
    left = max(need[0], 0) + slack
    return LayoutRule(left + max_length + max(need[1], 0) + slack, left, int(max_length), int(slack), left_fit,
                      right_fit, int(n.size))


def training_layout(machine_or_entry: Any, train_inputs: Sequence[str], max_length: int,
                    slack: int = DEFAULT_SLACK, max_steps: int | None = None):
    """Step 2 of the protocol: measure the training runs at free width (the counting pass, no tokens) and fix
    the layout for ``max_length``. Returns ``(LayoutRule, encoding)``, the ``tableau-triples`` encoding at
    that width and left margin (answering the final state for a zoo entry of task ``accept``)."""
    machine, entry = resolve_machine(machine_or_entry, owner="learned_emulation")
    answer = "state" if entry is not None and entry.task == "accept" else "tape"
    budget = int(max_steps) if max_steps is not None else max(10_000, entry.max_steps if entry else 0)
    sizes = get_encoding("tableau-triples", answer=answer).measure(machine, list(train_inputs), max_steps=budget)
    rule = fixed_layout(sizes.input_lengths, sizes.widths, sizes.lefts, int(max_length), int(slack))
    return rule, get_encoding("tableau-triples", answer=answer, width=rule.width, left=rule.left)


# ---------------------------------------------------------------------------------------------- inputs
def _words(machine: Any, entry: Any, length: int) -> int:
    if entry is not None:
        return int(entry.language.count(length))
    return len(machine.input_symbols) ** length


def _draw(machine: Any, entry: Any, lengths: Sequence[int], n: int, rng: np.random.Generator,
          taken: set) -> list[str]:
    """Up to ``n`` distinct inputs not in ``taken`` (added to it), each of a length drawn uniformly among
    ``lengths`` that still have unused words."""
    left = {m: _words(machine, entry, m) - sum(1 for x in taken if len(x) == m) for m in lengths}
    out: list[str] = []
    syms = list(machine.input_symbols)
    while len(out) < n:
        ok = [m for m in lengths if left[m] > 0]
        if not ok:
            break
        m = int(ok[int(rng.integers(len(ok)))])
        x = entry.sample(m, rng) if entry is not None else "".join(rng.choice(syms, size=m)) if m else ""
        if x not in taken:
            taken.add(x)
            out.append(x)
            left[m] -= 1
    return out


def sample_inputs(machine_or_entry: Any, train_lengths: tuple[int, int], n_train: int, n_valid: int,
                  test_lengths: Sequence[int], n_per_length: int, random_state: Any
                  ) -> tuple[list[str], list[str], dict[int, list[str]]]:
    """The inputs of one seed, all distinct: a training pool, a validation part (both of the training
    lengths), and ``n_per_length`` test inputs of each test length (fewer where a length has fewer words).
    One stream per part, so the training pool does not depend on the test lengths."""
    machine, entry = resolve_machine(machine_or_entry, owner="learned_emulation")
    s_train, s_valid, s_test = np.random.default_rng(random_state).spawn(3)
    taken: set = set()
    lens = range(train_lengths[0], train_lengths[1] + 1)
    train = _draw(machine, entry, lens, n_train, s_train, taken)
    valid = _draw(machine, entry, lens, n_valid, s_valid, taken)
    test = {int(m): _draw(machine, entry, [m], n_per_length, g, taken)
            for m, g in zip(test_lengths, s_test.spawn(len(test_lengths)))}
    return train, valid, test
