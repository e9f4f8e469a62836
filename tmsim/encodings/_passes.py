"""Trace -> tokens (the two passes in bounded calls, package-internal): the counting and emission passes of
:meth:`~tmsim.encodings.Encoding.encode_cells` go to the kernels in calls of bounded work, with a
:func:`tmsim.interrupts.checkpoint` between two, so that Ctrl-C or SIGTERM during a long dataset is
answered within a fraction of a second (a signal that arrives inside a kernel call is handled only after it).
"""

from __future__ import annotations

import numba
import numpy as np

from .. import interrupts
from .._kernels import STEP_LIMIT
from ..machine import Machine
from . import _kernels

__all__ = ["COUNT_CHUNK_STEPS", "EMIT_CHUNK_TOKENS", "call_budget", "groups", "take", "count_in_rounds",
           "count_resumed"]

_BIG = 1 << 60

#: Work per kernel call of the two passes, by backend, per thread: a batch goes to the kernels in groups of
#: consecutive samples whose bound on the work is at most this times the threads (the counting pass: the
#: step budget plus the input length of every sample; the emission: the exact tokens plus steps), with a
#: check for Ctrl-C / SIGTERM between two calls (:mod:`tmsim.interrupts`), so a long dataset answers within
#: a fraction of a second (a run longer than the budget is paused and resumed between calls).
#: benchmarks/bench_dataset.py measures what a group boundary costs.
COUNT_CHUNK_STEPS = {"numba": 1 << 26, "python": 1 << 14}
EMIT_CHUNK_TOKENS = {"numba": 1 << 25, "python": 1 << 14}


def call_budget(table: dict[str, int], impl) -> int:
    """The work one kernel call may do: ``table``'s figure for the backend, times numba's threads."""
    per = table["numba"] * numba.get_num_threads() if impl is _kernels else table["python"]
    return min(max(int(per), 1), _BIG)


def groups(cost: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive sample ranges ``[a, b)`` covering ``cost`` (int64, shape (n,), each >= 1) whose summed
    cost is at most ``budget``; a sample that costs more is a range alone."""
    n = len(cost)
    if n == 0:
        return []
    c = np.cumsum(np.minimum(cost, budget))  # clipped: no int64 overflow, and a costly sample stands alone
    if int(c[-1]) <= budget:
        return [(0, n)]
    out, a, done = [], 0, 0
    while a < n:
        b = max(a + 1, int(np.searchsorted(c, done + budget, side="right")))
        out.append((a, b))
        done, a = int(c[b - 1]), b
    return out


def take(cells: np.ndarray, offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The samples ``idx`` of a ragged batch, as a ragged batch of their own."""
    lens = offsets[idx + 1] - offsets[idx]
    new = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(lens, out=new[1:])
    pos = np.arange(int(new[-1]), dtype=np.int64) + np.repeat(offsets[idx] - new[:-1], lens)
    return np.ascontiguousarray(cells[pos]), new


def count_in_rounds(machine: Machine, impl, cells, offsets, max_steps: int, lo_lim, hi_lim, out) -> None:
    """``impl.count_runs`` over the batch into ``out`` (status, steps, lo, hi, span), in kernel calls of
    bounded work with a :func:`tmsim.interrupts.checkpoint` between two.

    A run's work is known only once it has stopped, so the pass goes in rounds of growing step caps: round 1
    runs every sample with a cap of about ``budget / n`` steps (most runs of a dataset stop well within it:
    one or two calls); the runs the cap cut are run again from the start with 4x the cap (or more, when few
    are left), until the cap reaches ``max_steps``. A call's samples are grouped so that the sum of their caps
    (plus input lengths) stays within the budget; once one run's cap would pass the budget, the runs still
    going run on one by one (:func:`count_resumed`: paused every ``budget`` steps, not restarted). The result
    is exactly one call's with ``max_steps``: a run cut at a cap below ``max_steps`` is never kept, and a kept
    run stopped on its own, at its window or at ``max_steps``. Rerunning costs at most a third more steps for
    the runs longer than the first cap."""
    n = len(offsets) - 1
    budget = call_budget(COUNT_CHUNK_STEPS, impl)
    packed, S, start = machine.arrays.packed, machine.n_symbols, machine.state_index[machine.start]
    idx = None  # the samples still to run (None: all)
    cap = min(max_steps, max(1, (budget - len(cells)) // n - 1))  # round 1 in one call when it fits
    calls = 0
    with interrupts.deferred():
        while True:
            if idx is None:
                c, off, lo, hi, dst = cells, offsets, lo_lim, hi_lim, out
            else:
                c, off = take(cells, offsets, idx)
                lo, hi = np.ascontiguousarray(lo_lim[idx]), np.ascontiguousarray(hi_lim[idx])
                dst = [np.zeros(len(idx), dtype=o.dtype) for o in out]
            cost = np.diff(off) + (min(cap, budget) + 1)
            for a, b in groups(cost, budget):
                if calls:
                    interrupts.checkpoint()
                calls += 1
                impl.count_runs(packed, S, c, off[a:b + 1], start, cap, lo[a:b], hi[a:b], *(o[a:b] for o in dst))
            if dst is not out:
                for o, d in zip(out, dst):
                    o[idx] = d
            if cap >= max_steps:
                return
            cut = np.flatnonzero(dst[0] == STEP_LIMIT)
            if not cut.size:
                return
            idx = cut if idx is None else idx[cut]
            cap = min(max_steps, max(4 * cap, budget // len(idx)))
            if cap > budget:  # a call per run would pass the budget: run each on, paused between calls
                for j in idx.tolist():
                    interrupts.checkpoint()
                    res = count_resumed(impl, packed, S, cells[offsets[j]:offsets[j + 1]], start, max_steps,
                                         int(lo_lim[j]), int(hi_lim[j]), budget)
                    for o, v in zip(out, res):
                        o[j] = v
                return


def count_resumed(impl, packed, S: int, cells: np.ndarray, start: int, max_steps: int, lo_lim: int, hi_lim: int,
                   chunk: int) -> tuple[int, int, int, int, int]:
    """:func:`~tmsim.encodings._kernels.count_one`'s result for one run, computed by ``impl.count_continue``
    calls of at most ``chunk`` steps with a :func:`tmsim.interrupts.checkpoint` between two."""
    n = len(cells)
    span0 = max(n, 1)
    size = max(2 * span0 + 4, 64)
    origin = (size - span0) // 2
    tape = np.zeros(size, dtype=np.uint8)
    tape[origin:origin + n] = cells
    p, rlo, rhi, base, steps = origin, origin, origin + span0 - 1, start * S, 0
    while True:
        status, steps, lo, hi, span, tape, origin, p, rlo, rhi, base = impl.count_continue(
            packed, S, tape, origin, p, rlo, rhi, base, steps, max_steps, min(max_steps, steps + chunk), lo_lim,
            hi_lim)
        if status >= 0:
            return int(status), int(steps), int(lo), int(hi), int(span)
        interrupts.checkpoint()
