"""Kernels (support): array allocation for use inside ``prange`` bodies.

Numba hoists an ``np.zeros``/``np.empty`` written directly in a parallel loop body out of the loop and
reuses one buffer (allocation hoisting); a buffer that is later replaced by a larger one can then keep its
first size, and a buffer meant to be private can be shared. Allocating through these small compiled
functions keeps every allocation where it is written: numba does not hoist calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["zeros_u8", "zeros_i32", "empty_i32", "empty_i64", "empty_f64", "zeros_f64_2d"]


@njit(cache=True, nogil=True)
def zeros_u8(n):
    return np.zeros(n, dtype=np.uint8)


@njit(cache=True, nogil=True)
def zeros_i32(n):
    return np.zeros(n, dtype=np.int32)


@njit(cache=True, nogil=True)
def empty_i32(n):
    return np.empty(n, dtype=np.int32)


@njit(cache=True, nogil=True)
def empty_i64(n):
    return np.empty(n, dtype=np.int64)


@njit(cache=True, nogil=True)
def empty_f64(n):
    return np.empty(n, dtype=np.float64)


@njit(cache=True, nogil=True)
def zeros_f64_2d(a, b):
    return np.zeros((a, b), dtype=np.float64)
