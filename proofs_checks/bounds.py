"""Check -> bounds: the theory's formulas written once as sympy expressions (CoT lengths per encoding, the
PAC -> AR sample bound, the parity length complexities), evaluated beside the measurements, and growth
classes judged by fitting candidate forms.

Examples
--------
>>> from proofs_checks.bounds import PAC_TO_AR, evaluate_bound, fit_growth
>>> evaluate_bound(PAC_TO_AR, d=10, eps=0.1, delta=0.05, T=1) < evaluate_bound(PAC_TO_AR, d=10, eps=0.1,
...                                                                           delta=0.05, T=10)
True
>>> fit_growth([8, 16, 32, 64, 128], [4, 5, 6, 7, 8]).best
'log n'
>>> fit_growth([8, 16, 32, 64], [8, 16, 32, 64]).best
'n'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy

from tmsim.encodings import get_encoding

from .errors import CheckError

__all__ = ["n", "k", "T", "eps", "delta", "d", "PAC_SAMPLES", "PAC_TO_AR", "PAC_CONSISTENT", "PAC_TO_AR_CONSISTENT",
           "PERCEPTRON_MISTAKES", "compression_samples", "PARITY_COUNT_LENGTH",
           "PARITY_CHAIN_LENGTH", "PARITY_STEP_TIME", "PARITY_STEP_SAMPLES", "GROWTH_FORMS", "GrowthFit",
           "fit_growth", "evaluate_bound", "encoding_length_formulas"]

n, k, T, d, H = sympy.symbols("n k T d H", positive=True, integer=True)
eps, delta = sympy.symbols("epsilon delta", positive=True)

#: Realisable PAC sample complexity of a class of VC dimension d (Occam / Blumer et al. form):
#: m(eps, delta) = (d ln(1/eps) + ln(1/delta)) / eps, up to the constant.
PAC_SAMPLES = (d * sympy.log(1 / eps) + sympy.log(1 / delta)) / eps
#: [paper, Thm 3.3] PAC => AR: T per-position classes, each learned to eps/T, delta/T (union bound).
PAC_TO_AR = PAC_SAMPLES.subs({eps: eps / T, delta: delta / T}, simultaneous=True)
#: docs/theory.md#pac-sample-bounds: the same bound with its constants (Blumer, Ehrenfeucht, Haussler and Warmuth
#: 1989), for any learner that outputs a hypothesis of the class consistent with its samples:
#: m >= max((4/eps) log2(2/delta), (8 d/eps) log2(13/eps)).
PAC_CONSISTENT = sympy.Max(4 / eps * sympy.log(2 / delta, 2), 8 * d / eps * sympy.log(13 / eps, 2))
#: docs/theory.md#from-pac-to-ar: T positions, each learned to eps/T with confidence delta/T, by a consistent
#: learner of a class of dimension d per position (the time-dependent linear class).
PAC_TO_AR_CONSISTENT = PAC_CONSISTENT.subs({eps: eps / T, delta: delta / T}, simultaneous=True)
R2, mu, gamma, N2 = sympy.symbols("R2 mu gamma N2", positive=True)
#: docs/theory.md#perceptron-mistake-bound: updates of the multiclass margin-mu perceptron when some weights of
#: squared norm N2 separate the data with margin gamma and every feature vector has squared norm <= R2.
PERCEPTRON_MISTAKES = (2 * R2 + 2 * mu) * N2 / gamma ** 2


def compression_samples(updates: float, eps: float, delta: float, positions: int) -> float:
    """Training sequences after which a perceptron that stopped after ``updates`` updates (consistent with its
    training set) has sequence error at most ``eps`` with probability ``1 - delta``: the least m with
    ``m >= u + (u ln(m L) + ln(2/delta)) / eps`` (docs/theory.md#perceptron-mistake-bound; ``positions`` L:
    the longest sequence). Solved by fixed-point iteration.

    >>> round(compression_samples(0, 0.01, 0.05, 100))
    369
    >>> compression_samples(10, 0.01, 0.05, 100) > compression_samples(5, 0.01, 0.05, 100)
    True
    """
    u = float(updates)
    m = u + 1.0
    for _ in range(200):
        nxt = u + (u * math.log(max(m * positions, 1.0)) + math.log(2 / delta)) / eps
        if abs(nxt - m) <= 1e-9 * max(1.0, m):
            break
        m = nxt
    return m


#: docs/theory.md#counting-cot: the counting CoT of parity has floor(log2 n) + 1 tokens.
PARITY_COUNT_LENGTH = sympy.floor(sympy.log(n, 2)) + 1
#: [paper, Thm 3.12]: steps that are parities of at most k tokens need Theta(n/k) of them; our chain over
#: |A| = n/2 bits has ceil((n/2 - 1)/(k - 1)) tokens.
PARITY_CHAIN_LENGTH = sympy.ceiling((n / 2 - 1) / (k - 1))
#: Learning one step by search over the subsets of at most k of the p <= n + T context tokens: n^k time.
PARITY_STEP_TIME = n ** k
#: ... and exact identification among |H| <= n^k hypotheses, each wrong one refuted by a uniform sample with
#: probability 1/2: log2 |H| + log2(1/delta) = k log2 n + log2(1/delta) samples.
PARITY_STEP_SAMPLES = k * sympy.log(n, 2) + sympy.log(1 / delta, 2)

_x = sympy.Symbol("x", positive=True)
#: The candidate growth forms of :func:`fit_growth` (each fitted as a + b f(x)).
GROWTH_FORMS: dict[str, sympy.Expr] = {"log n": sympy.log(_x), "n": _x, "n^2": _x ** 2}


def evaluate_bound(expr: sympy.Expr, **values: Any) -> float:
    """``expr`` at the given symbol values (by name: ``n``, ``k``, ``T``, ``d``, ``epsilon``/``eps``,
    ``delta``), as a float.

    Raises
    ------
    CheckError
        A free symbol left without a value.
    """
    names = {"eps": "epsilon"}
    subs = {}
    free = {s.name: s for s in expr.free_symbols}
    for key, val in values.items():
        name = names.get(key, key)
        if name in free:
            subs[free[name]] = val
    missing = sorted(set(free) - {s.name for s in subs})
    if missing:
        raise CheckError(f"evaluate_bound: no value for the symbol(s) {missing} of {expr}.")
    return float(expr.subs(subs).evalf())


@dataclass(frozen=True)
class GrowthFit:
    """Least-squares fits ``y ~ a + b f(x)`` for each candidate form f.

    Attributes
    ----------
    best : str
        The form with the smallest residual (ties: the slower-growing form).
    residuals : dict of str to float
        Root-mean-square residual of each form.
    coefficients : dict of str to (float, float)
        ``(a, b)`` of each form.
    """

    best: str
    residuals: dict
    coefficients: dict

    def predict(self, form: str, x: Sequence[float]) -> np.ndarray:
        """The fitted curve of ``form`` at ``x``."""
        a, b = self.coefficients[form]
        f = sympy.lambdify(_x, GROWTH_FORMS[form], "numpy")
        return a + b * np.asarray(f(np.asarray(x, dtype=float)), dtype=float)

    def to_dict(self) -> dict:
        return {"best": self.best, "residuals": dict(self.residuals),
                "coefficients": {f: list(c) for f, c in self.coefficients.items()}}


def fit_growth(x: Sequence[float], y: Sequence[float], forms: Mapping[str, sympy.Expr] | None = None) -> GrowthFit:
    """Fit ``y ~ a + b f(x)`` (b >= 0) for each candidate form (default :data:`GROWTH_FORMS`) and report which
    fits best.

    Parameters
    ----------
    x, y : sequences of float, the same length >= 3
    forms : mapping of name to a sympy expression in one positive symbol

    Returns
    -------
    GrowthFit

    Raises
    ------
    CheckError
        Fewer than 3 points, or lengths that differ.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1 or len(xa) < 3:
        raise CheckError(f"fit_growth needs x and y of the same length >= 3. Got {xa.shape} and {ya.shape}.")
    forms = GROWTH_FORMS if forms is None else forms
    res, coef = {}, {}
    scale = max(float(np.abs(ya).max()), 1e-12)
    for name, expr in forms.items():
        sym = next(iter(expr.free_symbols))
        fx = np.asarray(sympy.lambdify(sym, expr, "numpy")(xa), dtype=float) * np.ones_like(xa)
        A = np.stack([np.ones_like(fx), fx], axis=1)
        (a, b), *_ = np.linalg.lstsq(A, ya, rcond=None)
        if b < 0:  # a growth form fitted with a negative slope is no growth: the constant fit instead
            a, b = float(ya.mean()), 0.0
        r = float(np.sqrt(np.mean((a + b * fx - ya) ** 2)))
        res[name], coef[name] = r / scale, (float(a), float(b))
    order = list(forms)
    best = min(order, key=lambda f: (round(res[f], 9), order.index(f)))
    return GrowthFit(best, res, coef)


def encoding_length_formulas(machine: Any, encodings: Sequence[str]) -> dict[str, sympy.Expr]:
    """The trace length of each encoding as tmsim's sympy ``length_formula`` (in T steps, S row width, n
    input length, A answer symbols): the symbolic side of the CoT-length measurements."""
    return {e: get_encoding(e).length_formula(machine) for e in encodings}
