"""Trace -> tokens (hot path, the counting pass): the numba kernels that simulate every sample once to give
its exact trace length, so that the caller can allocate one flat buffer before an ``emit_*`` kernel of
``_kernels.py`` writes the tokens. Re-exported by ``_kernels.py``; each has a plain-Python twin of the same
name in ``_reference.py``. They take contiguous arrays, write into buffers the caller allocated, and never
validate or raise."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._alloc import zeros_u8
from .._kernels import (HALTED, STEP_LIMIT, TAPE_LIMIT, UNDEFINED, entry_defined, entry_halts, entry_move,
                        entry_next_base, entry_write)

_MIN_BUFFER = 64
#: Samples per parallel chunk: each chunk reuses its scratch buffers instead of allocating per sample.
_CHUNK = 256
#: Scratch tape of the counting pass (runs that outgrow it allocate their own).
_SCRATCH = 4096


@njit(cache=True, nogil=True)
def count_one(packed, n_symbols, cells, state, max_steps, lo_lim, hi_lim, scratch):
    """Simulate one run from ``cells`` (input at positions 0..n-1, head at 0) with the head confined to
    absolute positions ``[lo_lim, hi_lim]``: see :func:`_count_one_inline` (the same, inlined into the
    batch kernels)."""
    return _count_one_inline(packed, n_symbols, cells, state, max_steps, lo_lim, hi_lim, scratch)


@njit(cache=True, nogil=True, inline="always")
def _count_one_inline(packed, n_symbols, cells, state, max_steps, lo_lim, hi_lim, scratch):
    """Simulate one run from ``cells`` (input at positions 0..n-1, head at 0) with the head confined to
    absolute positions ``[lo_lim, hi_lim]``.

    Stop order at every configuration: halting state or undefined transition (a property of the
    configuration) first, then a move out of ``[lo_lim, hi_lim]`` (``TAPE_LIMIT``, also a property of the
    configuration, so a trace cut by the window decodes to the same status), then the step budget.

    ``scratch`` (uint8, all zero) is used as the tape when it is large enough, and left all zero again;
    a run that outgrows it gets its own buffer. Batches pass one scratch per chunk of samples to avoid an
    allocation per sample.

    Returns
    -------
    (status, steps, lo, hi, span): ``lo``/``hi`` are the leftmost/rightmost visited positions (the input
    span and position 0 count as visited, and so does the cell the head moves to next when the step budget
    cut the run); ``span`` is the length of the final tape's non-blank span.
    """
    S = n_symbols
    n = cells.shape[0]
    span0 = n if n > 0 else 1
    cap = 2 * span0
    if cap < _MIN_BUFFER:
        cap = _MIN_BUFFER
    on_scratch = scratch.shape[0] >= cap
    if on_scratch:
        tape = scratch
        cap = scratch.shape[0]
    else:
        tape = np.zeros(cap, dtype=np.uint8)
    origin = (cap - span0) // 2  # buffer index of absolute position 0
    for i in range(n):
        tape[origin + i] = cells[i]
    p = origin
    rlo = origin
    rhi = origin + span0 - 1
    base = state * S
    steps = 0
    status = STEP_LIMIT
    while True:
        budget = max_steps - steps
        k = 0
        idx = 0
        e = 0
        # Hot loop: one table load per step; leave it to handle halting and newly visited cells.
        while k < budget:
            idx = base + tape[p]
            e = packed[idx]
            if not entry_defined(e):
                break
            tape[p] = entry_write(e)
            p += entry_move(e)
            base = entry_next_base(e)
            k += 1
            if p < rlo or p > rhi:
                break
        steps += k
        if not entry_defined(e):
            status = HALTED if entry_halts(e) else UNDEFINED
            break
        if p < rlo or p > rhi:
            a = p - origin
            if a < lo_lim or a > hi_lim:
                # The step left the window: undo it, the run stops at the configuration before.
                sym = idx % S
                p -= entry_move(e)
                tape[p] = sym
                base = idx - sym
                steps -= 1
                status = TAPE_LIMIT
                break
            if p < rlo:
                rlo = p
            else:
                rhi = p
            if p <= 0 or p >= cap - 1:
                new_cap = 2 * cap
                shift = (new_cap - cap) // 2
                new_tape = np.zeros(new_cap, dtype=np.uint8)
                new_tape[shift:shift + cap] = tape
                if on_scratch:
                    tape[rlo:rhi + 1] = 0
                    on_scratch = False
                tape = new_tape
                cap = new_cap
                origin += shift
                p += shift
                rlo += shift
                rhi += shift
            continue
        # Budget exhausted: the configuration's own stop conditions take precedence.
        e = packed[base + tape[p]]
        if entry_halts(e):
            status = HALTED
        elif not entry_defined(e):
            status = UNDEFINED
        else:
            a = p - origin + entry_move(e)
            if a < lo_lim or a > hi_lim:
                status = TAPE_LIMIT
            else:
                status = STEP_LIMIT
                # Count the cell the head moves to next as visited, so that a default window built from
                # lo/hi keeps the cut run inside it (the trace then decodes to the same status).
                if a < rlo - origin:
                    rlo -= 1
                elif a > rhi - origin:
                    rhi += 1
        break
    # Every written cell lies in the visited range.
    first = rlo
    while first <= rhi and tape[first] == 0:
        first += 1
    span = 0
    if first <= rhi:
        stop = rhi + 1
        while tape[stop - 1] == 0:
            stop -= 1
        span = stop - first
    if on_scratch:
        tape[rlo:rhi + 1] = 0
    return status, steps, rlo - origin, rhi - origin, span


@njit(cache=True, nogil=True)
def count_continue(packed, n_symbols, tape, origin, p, rlo, rhi, base, steps, max_steps, stop, lo_lim, hi_lim):
    """:func:`count_one` resumable: run on from a paused configuration until the run stops or ``steps``
    reaches ``stop`` (``steps < stop <= max_steps``), so one long run can go to the kernel in calls of bounded
    work. The configuration: the tape buffer ``tape`` (uint8, absolute position 0 at index ``origin``), the
    head at index ``p``, the visited indices ``[rlo, rhi]``, the state's table row ``base`` and the steps
    taken. Start a run with ``tape`` holding the input from ``origin`` on (at least two cells of room either
    side), ``p = rlo = origin``, ``rhi = origin + max(n, 1) - 1``, ``base = start * n_symbols``, ``steps = 0``.

    Returns
    -------
    (status, steps, lo, hi, span, tape, origin, p, rlo, rhi, base): ``status`` -1 when paused at ``stop``
    before ``max_steps`` (``lo``, ``hi``, ``span`` then 0; pass the rest back in); else :func:`count_one`'s
    result and the final configuration.
    """
    S = n_symbols
    cap = tape.shape[0]
    status = STEP_LIMIT
    while True:
        budget = stop - steps
        k = 0
        idx = 0
        e = 0
        while k < budget:
            idx = base + tape[p]
            e = packed[idx]
            if not entry_defined(e):
                break
            tape[p] = entry_write(e)
            p += entry_move(e)
            base = entry_next_base(e)
            k += 1
            if p < rlo or p > rhi:
                break
        steps += k
        if not entry_defined(e):
            status = HALTED if entry_halts(e) else UNDEFINED
            break
        if p < rlo or p > rhi:
            a = p - origin
            if a < lo_lim or a > hi_lim:
                sym = idx % S
                p -= entry_move(e)
                tape[p] = sym
                base = idx - sym
                steps -= 1
                status = TAPE_LIMIT
                break
            if p < rlo:
                rlo = p
            else:
                rhi = p
            if p <= 0 or p >= cap - 1:
                new_cap = 2 * cap
                shift = (new_cap - cap) // 2
                new_tape = np.zeros(new_cap, dtype=np.uint8)
                new_tape[shift:shift + cap] = tape
                tape = new_tape
                cap = new_cap
                origin += shift
                p += shift
                rlo += shift
                rhi += shift
            continue
        if steps < max_steps:
            return -1, steps, 0, 0, 0, tape, origin, p, rlo, rhi, base
        e = packed[base + tape[p]]
        if entry_halts(e):
            status = HALTED
        elif not entry_defined(e):
            status = UNDEFINED
        else:
            a = p - origin + entry_move(e)
            if a < lo_lim or a > hi_lim:
                status = TAPE_LIMIT
            else:
                status = STEP_LIMIT
                if a < rlo - origin:
                    rlo -= 1
                elif a > rhi - origin:
                    rhi += 1
        break
    first = rlo
    while first <= rhi and tape[first] == 0:
        first += 1
    span = 0
    if first <= rhi:
        last = rhi + 1
        while tape[last - 1] == 0:
            last -= 1
        span = last - first
    return status, steps, rlo - origin, rhi - origin, span, tape, origin, p, rlo, rhi, base


@njit(cache=True, parallel=True)
def count_runs(packed, n_symbols, cells_all, cells_offsets, start, max_steps, lo_lim, hi_lim,
               out_status, out_steps, out_lo, out_hi, out_span):
    """:func:`count_one` for every sample ``j`` (input ``cells_all[cells_offsets[j]:cells_offsets[j+1]]``,
    window ``[lo_lim[j], hi_lim[j]]``), in parallel; results go to the ``out_*`` arrays."""
    n = out_status.shape[0]
    for ch in prange((n + _CHUNK - 1) // _CHUNK):
        _count_chunk(packed, n_symbols, cells_all, cells_offsets, start, max_steps, lo_lim, hi_lim, out_status,
                     out_steps, out_lo, out_hi, out_span, ch * _CHUNK, min(n, (ch + 1) * _CHUNK))


@njit(cache=True, nogil=True)
def _count_chunk(packed, n_symbols, cells_all, cells_offsets, start, max_steps, lo_lim, hi_lim, out_status,
                 out_steps, out_lo, out_hi, out_span, lo, hi):
    """Samples ``lo..hi-1`` of :func:`count_runs`, with :func:`count_one` inlined (see
    :func:`_tableau_chunk` on why the per-sample work is not a call)."""
    scratch = zeros_u8(_SCRATCH)
    for j in range(lo, hi):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        st, steps, a, b, span = _count_one_inline(packed, n_symbols, cells, start, max_steps, lo_lim[j],
                                                  hi_lim[j], scratch)
        out_status[j] = st
        out_steps[j] = steps
        out_lo[j] = a
        out_hi[j] = b
        out_span[j] = span
