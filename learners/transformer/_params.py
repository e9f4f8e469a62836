"""Learner internals: the hyper-parameters of :class:`learners.TransformerAR`, validated (scikit-learn style: the
estimator's ``__init__`` stores them, ``fit`` and ``load`` check them here)."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..errors import LearnerError
from ._shapes import geometric_slopes

__all__ = ["check_params", "default_windows"]

_POSITIONAL = ("learned", "hard-alibi")
_DEVICES = ("cpu", "cuda")


def _err(name: str, expected: str, got: Any) -> LearnerError:
    return LearnerError(f"The {name!r} parameter of TransformerAR must be {expected}. Got {got!r} instead.")


def _int(name: str, v: Any, low: int, none: bool = False) -> int | None:
    if v is None and none:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
        raise _err(name, f"an int in [{low}, inf)" + (" or None" if none else ""), v)
    return int(v)


def _float(name: str, v: Any, low: float, high: float = math.inf, *, low_open: bool = False,
           high_open: bool = False, none: bool = False) -> float | None:
    if v is None and none:
        return None
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))
    ok = ok and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lb, hb = "(" if low_open else "[", ")" if high_open or high == math.inf else "]"
        raise _err(name, f"a float in {lb}{low}, {high}{hb}" + (" or None" if none else ""), v)
    return float(v)


def default_windows(n_heads: int) -> tuple[int | None, ...]:
    """Hard-ALiBi windows when none are given: the first ``H // 2`` heads see the last 4, 8, 16, ...
    positions, the others the whole context (``None``).

    >>> default_windows(1), default_windows(4)
    ((None,), (4, 8, None, None))
    """
    k = n_heads // 2
    return tuple(4 << h for h in range(k)) + (None,) * (n_heads - k)


def check_params(est: Any) -> dict:
    """Every hyper-parameter of the TransformerAR ``est``, validated (a LearnerError names the first bad one)."""
    c: dict[str, Any] = {"layers": _int("n_layers", est.n_layers, 1), "d": _int("d_model", est.d_model, 1),
                         "heads": _int("n_heads", est.n_heads, 1)}
    if c["d"] % c["heads"]:
        raise _err("d_model", f"a multiple of n_heads ({c['heads']})", est.d_model)
    c["context"] = _int("context", est.context, 1, none=True)
    c["dropout"] = _float("dropout", est.dropout, 0.0, 1.0, high_open=True)
    c["lr"] = _float("learning_rate", est.learning_rate, 0.0, low_open=True)
    c["wd"] = _float("weight_decay", est.weight_decay, 0.0)
    try:
        b1, b2 = est.betas
    except (TypeError, ValueError):
        raise _err("betas", "a pair of floats in [0, 1)", est.betas) from None
    c["betas"] = (_float("betas", b1, 0.0, 1.0, high_open=True), _float("betas", b2, 0.0, 1.0, high_open=True))
    c["batch"] = _int("batch_size", est.batch_size, 1)
    c["steps"] = _int("max_steps", est.max_steps, 0, none=True)
    c["max_time"] = _float("max_time", est.max_time, 0.0, low_open=True, none=True)
    if c["steps"] is None and c["max_time"] is None:
        raise _err("max_steps", "an int >= 0 when max_time is None (a budget is needed)", est.max_steps)
    c["warmup"] = _float("warmup", est.warmup, 0.0, 1.0, high_open=True)
    c["final"] = _float("final_lr_ratio", est.final_lr_ratio, 0.0, 1.0)
    c["clip"] = _float("clip_norm", est.clip_norm, 0.0, low_open=True, none=True)
    if est.positional not in _POSITIONAL:
        raise _err("positional", f"one of {_POSITIONAL}", est.positional)
    c["positional"] = est.positional
    c["windows"], c["slopes"] = (), ()
    if est.positional == "learned":
        for name in ("alibi_windows", "alibi_slopes"):
            if getattr(est, name) is not None:
                raise _err(name, "None unless positional='hard-alibi'", getattr(est, name))
    else:
        c["windows"] = _per_head("alibi_windows", est.alibi_windows, c["heads"], default_windows(c["heads"]),
                                 window=True)
        c["slopes"] = _per_head("alibi_slopes", est.alibi_slopes, c["heads"], geometric_slopes(c["heads"]),
                                window=False)
    if est.device not in _DEVICES:
        raise _err("device", f"one of {_DEVICES}", est.device)
    c["threads"] = _int("n_threads", est.n_threads, 1, none=True)
    c["verbose"] = _int("verbose", est.verbose, 0)
    return c


def _per_head(name: str, value: Any, H: int, default: tuple, *, window: bool) -> tuple:
    if value is None:
        return default
    what = f"a sequence of {H} " + ("ints >= 1 or None (one window per head)" if window
                                    else "finite floats >= 0 (one slope per head)")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != H:
        raise _err(name, what, value)
    out = []
    for v in value:
        if window and v is None:
            out.append(None)
        elif window and not isinstance(v, bool) and isinstance(v, numbers.Integral) and v >= 1:
            out.append(int(v))
        elif not window and not isinstance(v, bool) and isinstance(v, numbers.Real) \
                and math.isfinite(float(v)) and v >= 0:
            out.append(float(v))
        else:
            raise _err(name, what, value)
    return tuple(out)
