"""Learner (linear features): the window a linear AR learner reads — offsets 1..k or an explicit set — and
the parameter checks shared by the linear learners. (Discovered features: :mod:`learners.discovery`.)"""

from __future__ import annotations

import numbers
from typing import Any

from ..errors import LearnerError

__all__ = ["PAD", "param_error", "check_int_param"]

PAD = 0


def param_error(owner: str, name: str, expected: str, got: Any) -> LearnerError:
    return LearnerError(f"The {name!r} parameter of {owner} must be {expected}. Got {got!r} instead.")


def check_int_param(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise param_error(owner, name, f"an int in [{low}, inf)", value)
    return int(value)
