"""tmsim._validate: the one set of parameter validators (what they accept, what they refuse, how they say it)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmsim._validate import (SEED_LIMIT, check_at_least, check_bool, check_choice, check_float, check_int,
                             check_probability, check_random_state, fail)
from tmsim.datasets.errors import DatasetError
from tmsim.errors import ParameterError


@given(st.integers(-10**20, 10**20), st.integers(-50, 50), st.integers(-50, 50))
def test_check_int_accepts_exactly_the_interval(v, low, high):
    inside = low <= v <= high
    if inside:
        assert check_int("x", v, low=low, high=high, owner="f") == v
        assert check_int("x", np.int64(v), low=low, high=high, owner="f") == v if abs(v) < 2**62 else True
    else:
        with pytest.raises(ParameterError, match=rf"^The 'x' parameter of f must be an integer in \[{low}, {high}\]\. "
                                                 rf"Got {v} instead\.$"):
            check_int("x", v, low=low, high=high, owner="f")


@pytest.mark.parametrize("bad", [True, False, np.True_, 1.0, 2.5, "3", None, [1], np.array([1]), float("nan")])
def test_check_int_refuses_non_integers_and_bools(bad):
    with pytest.raises(ParameterError, match="'n' parameter of g must be an integer"):
        check_int("n", bad, owner="g")
    assert check_int("n", None, owner="g", allow_none=True) is None
    assert check_int("n", np.array(4), owner="g") == 4  # a 0-d integer array is an integer


def test_wordings_and_error_classes():
    with pytest.raises(DatasetError, match=r"^The 'n' parameter of make_dataset must be an integer >= 0 or None\. "
                                           r"Got -1 instead\.$"):
        check_at_least("n", -1, 0, "make_dataset", error=DatasetError, allow_none=True)
    with pytest.raises(ParameterError, match=r"must be an int >= 2\. Got 1 instead"):
        check_int("k", 1, low=2, owner="ParityTask", constraint="an int >= 2")
    e = fail("period", "an int in [1, 10]", list(range(100)), owner="PositionLayout", kind="field", limit=20)
    assert str(e).startswith("The 'period' field of PositionLayout must be an int in [1, 10]. Got [0, 1, 2, 3, 4, 5")
    assert "..." in str(e) and len(str(e)) < 100


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_float_and_probability(x):
    if math.isfinite(x) and 0 <= x <= 1:
        assert check_probability("p", x, "f") == x
    else:
        with pytest.raises(ParameterError, match=r"'p' parameter of f must be a probability in \[0, 1\]"):
            check_probability("p", x, "f")
    if math.isfinite(x) and x > 0:
        assert check_float("lr", x, low=0, low_open=True, owner="f") == x
    else:
        with pytest.raises(ParameterError, match=r"must be a finite float in \(0, inf\)"):
            check_float("lr", x, low=0, low_open=True, owner="f")


def test_check_choice_and_bool():
    assert check_choice("backend", "numba", ("numba", "python"), "run") == "numba"
    for bad in ("gpu", None, 1, ["numba"]):
        with pytest.raises(ParameterError, match=r"must be one of \('numba', 'python'\)"):
            check_choice("backend", bad, ("numba", "python"), "run")
    assert check_bool("unique", np.False_, "f") is False
    for bad in (0, 1, "yes", None):
        with pytest.raises(ParameterError, match="must be True or False"):
            check_bool("unique", bad, "f")


def test_check_random_state():
    g = np.random.default_rng(1)
    assert check_random_state(g, "f") == (None, g)
    seed, rng = check_random_state(None, "f")
    assert 0 <= seed < SEED_LIMIT
    assert rng.integers(1 << 30) == np.random.default_rng(seed).integers(1 << 30)  # the seed reproduces it
    assert check_random_state(SEED_LIMIT - 1, "f")[0] == SEED_LIMIT - 1
    for bad in (-1, SEED_LIMIT, 1.5, True, "0"):
        with pytest.raises(ParameterError, match=r"'random_state' parameter of f must be an integer in \[0, 2\*\*63\)"):
            check_random_state(bad, "f")
