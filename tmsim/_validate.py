"""Parameter validators (the first step of every public function): one message template and one set of checks
for the whole toolkit.

Every message reads ``The 'NAME' parameter of OWNER must be CONSTRAINT. Got VALUE instead.`` (scikit-learn's
wording); ``error=`` picks the package's error class (``ParameterError``, ``DatasetError``, ``EncodingError``,
...), so a caller catches what it expects; ``constraint=`` rephrases the constraint where a module has its own
established wording. ``bool`` is never an integer here: ``max_steps=True`` is almost certainly a mistake.

Examples
--------
>>> check_int("max_steps", 10, low=0, owner="tmsim.run")
10
>>> check_int("max_steps", -1, low=0, owner="tmsim.run")
Traceback (most recent call last):
...
tmsim.errors.ParameterError: The 'max_steps' parameter of tmsim.run must be an integer in [0, inf]. Got -1 instead.
>>> check_at_least("n", 2.5, 0, "make_dataset")
Traceback (most recent call last):
...
tmsim.errors.ParameterError: The 'n' parameter of make_dataset must be an integer >= 0. Got 2.5 instead.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Sequence

import numpy as np

from .errors import ParameterError

__all__ = ["fail", "check_int", "check_at_least", "check_float", "check_probability", "check_choice", "check_bool",
           "check_random_state", "SEED_LIMIT"]

#: Seeds are integers in [0, SEED_LIMIT): they fit the int64 ``seed`` column of a dataset file.
SEED_LIMIT = 1 << 63


def _show(value: Any, limit: int | None) -> str:
    text = repr(value)
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def fail(name: str, constraint: str, value: Any, *, owner: str, error: type[Exception] = ParameterError,
         kind: str = "parameter", limit: int | None = None) -> Exception:
    """The error (not raised) ``The 'NAME' KIND of OWNER must be CONSTRAINT. Got VALUE instead.``

    Parameters
    ----------
    name, owner : str
        The parameter (or field) and the function (or class) it belongs to.
    constraint : str
        What was expected: ``"an integer >= 1"``, ``"one of ('a', 'b')"``.
    value
        What was given (shown by ``repr``, cut at ``limit`` characters when given).
    error : exception class, default ParameterError
    kind : str, default "parameter"
        ``"field"`` for a dataclass field.

    Examples
    --------
    >>> str(fail("k", "an int >= 2", 1, owner="ParityTask"))
    "The 'k' parameter of ParityTask must be an int >= 2. Got 1 instead."
    """
    return error(f"The {name!r} {kind} of {owner} must be {constraint}. Got {_show(value, limit)} instead.")


def _range_text(low: int | float | None, high: int | float | None) -> str:
    if low is None and high is None:
        return ""
    lo = "-inf" if low is None else str(low)
    hi = "inf" if high is None else str(high)
    return f" in [{lo}, {hi}]"


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is an integer (numpy integers and 0-d integer arrays included, bools not)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    if hasattr(value, "__index__") and not isinstance(value, (float, np.floating)):
        try:
            return operator.index(value)
        except TypeError:
            return None
    return None


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None, owner: str = "tmsim",
              error: type[Exception] = ParameterError, allow_none: bool = False, constraint: str | None = None,
              kind: str = "parameter", limit: int | None = None) -> int | None:
    """``value`` as an ``int`` in ``[low, high]`` (either bound optional), or raise ``error`` naming ``name``.

    Parameters
    ----------
    name : str
    value
        An integer (Python, numpy, or a 0-d integer array); ``bool`` is refused.
    low, high : int, optional
        Inclusive bounds.
    owner : str, default "tmsim"
    error : exception class, default ParameterError
    allow_none : bool, default False
        Accept (and return) None.
    constraint : str, optional
        The message's wording of the constraint; default ``"an integer in [low, high]"``
        (``inf`` for a missing bound; no interval when unbounded), plus ``" or None"``.
    kind, limit
        As in :func:`fail`.

    Returns
    -------
    int or None

    Examples
    --------
    >>> check_int("width", np.int64(12), low=3, owner="tableau")
    12
    >>> check_int("n_threads", 0, low=1, high=2, owner="run_batch")
    Traceback (most recent call last):
    ...
    tmsim.errors.ParameterError: The 'n_threads' parameter of run_batch must be an integer in [1, 2]. Got 0 instead.
    """
    if value is None and allow_none:
        return None
    v = _as_int(value)
    if v is None or (low is not None and v < low) or (high is not None and v > high):
        if constraint is None:
            constraint = f"an integer{_range_text(low, high)}" + (" or None" if allow_none else "")
        raise fail(name, constraint, value if v is None else v, owner=owner, error=error, kind=kind, limit=limit)
    return v


def check_at_least(name: str, value: Any, low: int, owner: str, *, error: type[Exception] = ParameterError,
                   allow_none: bool = False) -> int | None:
    """:func:`check_int` with a lower bound only, worded ``"an integer >= LOW"`` (the datasets' and encodings'
    phrasing).

    Examples
    --------
    >>> check_at_least("chunk_size", None, 1, "write_dataset", allow_none=True) is None
    True
    """
    return check_int(name, value, low=low, owner=owner, error=error, allow_none=allow_none,
                     constraint=f"an integer >= {low}" + (" or None" if allow_none else ""))


def check_float(name: str, value: Any, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
                high_open: bool = False, owner: str = "tmsim", error: type[Exception] = ParameterError,
                allow_none: bool = False, constraint: str | None = None) -> float | None:
    """``value`` as a finite ``float`` in the interval from ``low`` to ``high`` (closed unless ``*_open``).

    NaN and infinities are refused whatever the bounds; so is ``bool``.

    Examples
    --------
    >>> check_float("alpha", 1, low=0, owner="LeastSquaresAR")
    1.0
    >>> check_float("alpha", float("inf"), low=0, owner="LeastSquaresAR")
    Traceback (most recent call last):
    ...
    tmsim.errors.ParameterError: The 'alpha' parameter of LeastSquaresAR must be a finite float in [0, inf). Got inf instead.
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    v = float(value) if ok else math.nan
    if ok:
        ok = math.isfinite(v) and (low < v if low_open else low <= v) and (v < high if high_open else v <= high)
    if not ok:
        if constraint is None:
            lo = "(" if low_open or low == -math.inf else "["
            hi = ")" if high_open or high == math.inf else "]"
            fmt = lambda b: "inf" if b == math.inf else "-inf" if b == -math.inf else f"{b:g}"  # noqa: E731
            constraint = f"a finite float in {lo}{fmt(low)}, {fmt(high)}{hi}" + (" or None" if allow_none else "")
        raise fail(name, constraint, value, owner=owner, error=error)
    return v


def check_probability(name: str, value: Any, owner: str, *, error: type[Exception] = ParameterError) -> float:
    """``value`` as a float in [0, 1].

    Examples
    --------
    >>> check_probability("p", 0.25, "bernoulli")
    0.25
    """
    return check_float(name, value, low=0.0, high=1.0, owner=owner, error=error, constraint="a probability in [0, 1]")


def check_choice(name: str, value: Any, choices: Sequence[Any], owner: str, *, error: type[Exception] = ParameterError,
                 constraint: str | None = None) -> Any:
    """``value`` if it is one of ``choices`` (compared with ``==``; strings only match strings).

    Examples
    --------
    >>> check_choice("backend", "gpu", ("numba", "python"), "tmsim.run")
    Traceback (most recent call last):
    ...
    tmsim.errors.ParameterError: The 'backend' parameter of tmsim.run must be one of ('numba', 'python'). Got 'gpu' instead.
    """
    choices = tuple(choices)
    if all(isinstance(c, str) for c in choices):
        ok = isinstance(value, str) and value in choices
    else:
        try:
            ok = value in choices
        except (TypeError, ValueError):  # uncomparable (an array, say)
            ok = False
    if not ok:
        raise fail(name, constraint or f"one of {choices!r}", value, owner=owner, error=error)
    return value


def check_bool(name: str, value: Any, owner: str, *, error: type[Exception] = ParameterError) -> bool:
    """``value`` as a ``bool`` if it is one (numpy's included); ``0``/``1`` are not.

    Examples
    --------
    >>> check_bool("unique", np.True_, "make_dataset")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise fail(name, "True or False", value, owner=owner, error=error)
    return bool(value)


def check_random_state(random_state: Any, owner: str, *, error: type[Exception] = ParameterError,
                       name: str = "random_state") -> tuple[int | None, np.random.Generator]:
    """``(seed, generator)`` from a ``random_state`` argument, the only way randomness enters the toolkit.

    Parameters
    ----------
    random_state : None, int or numpy.random.Generator
        None draws a fresh seed (and returns it, so that a result can record and reproduce it); an integer in
        ``[0, 2**63)`` seeds ``numpy.random.default_rng``; a Generator is used as it is (seed None).

    Returns
    -------
    seed : int or None
    generator : numpy.random.Generator

    Examples
    --------
    >>> seed, rng = check_random_state(7, "f")
    >>> seed, int(rng.integers(100)) == int(np.random.default_rng(7).integers(100))
    (7, True)
    >>> check_random_state(-1, "make_dataset")
    Traceback (most recent call last):
    ...
    tmsim.errors.ParameterError: The 'random_state' parameter of make_dataset must be an integer in [0, 2**63), a numpy Generator or None. Got -1 instead.
    """
    if isinstance(random_state, np.random.Generator):
        return None, random_state
    if random_state is None:
        random_state = int(np.random.SeedSequence().entropy) % SEED_LIMIT
    seed = check_int(name, random_state, low=0, high=SEED_LIMIT - 1, owner=owner, error=error,
                     constraint="an integer in [0, 2**63), a numpy Generator or None")
    return seed, np.random.default_rng(seed)
