"""Run (hot path): numba kernels of the simulator. They take contiguous arrays, write into buffers the
caller allocated or return new ones, and return status codes; they never validate or raise. Each has a
plain-Python twin of the same name in ``_reference.py`` (the executable specification)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import _table
from ._alloc import zeros_u8
from ._table import FAST_MOVE_SHIFT, FAST_WRITE_SHIFT, MOVE_LEFT, MOVE_RIGHT

# Status codes shared with _reference.py and simulate.py.
HALTED = 0
UNDEFINED = 1
STEP_LIMIT = 2
TAPE_LIMIT = 3

#: Smallest tape buffer the kernel allocates.
_MIN_BUFFER = 64


# ---------------------------------------------------------------------------------------------- table entries
# The numba twins of tmsim._table's decoders, inlined wherever a kernel calls them (here and in
# tmsim.encodings._kernels). They compile the plain-Python source itself, except fast_next_base, whose
# kernel form stays unsigned so the hot loop indexes without numba's wraparound check.
_inline = njit(inline="always")
pack_entry = _inline(_table.pack_entry)
entry_defined = _inline(_table.entry_defined)
entry_halts = _inline(_table.entry_halts)
entry_next_base = _inline(_table.entry_next_base)
entry_next = _inline(_table.entry_next)
entry_write = _inline(_table.entry_write)
entry_move_code = _inline(_table.entry_move_code)
entry_move = _inline(_table.entry_move)
fast_write = _inline(_table.fast_write)
fast_move_code = _inline(_table.fast_move_code)


@njit(inline="always")
def fast_entry(e):
    """Twin of :func:`tmsim._table.fast_entry`."""
    if e < 0:
        return e
    return entry_next_base(e) | (entry_write(e) << FAST_WRITE_SHIFT) | (entry_move_code(e) << FAST_MOVE_SHIFT)


@njit(inline="always")
def fast_next_base(f):
    """Twin of :func:`tmsim._table.fast_next_base` (unsigned, for the hot loop's indices)."""
    return np.uint64(np.uint32(f))


@njit(cache=True, nogil=True)
def run_one(packed, n_symbols, cells, cells_origin, head, state, max_steps, max_tape):
    """Run one machine from one configuration.

    Parameters
    ----------
    packed : int64[:]      the machine's packed table (``Machine.arrays.packed``)
    n_symbols : int        symbols per state row of ``packed``
    cells : uint8[:]       initial tape cells, ``cells[i]`` at absolute position ``cells_origin + i``
    cells_origin, head, state : int   absolute position of ``cells[0]``, head position, state index
    max_steps : int        step budget (>= 0)
    max_tape : int         largest allowed visited span, in cells (>= the initial span)

    Returns
    -------
    (status, steps, state, head, buf, buf_origin): the final tape is ``buf`` (uint8) with ``buf[0]`` at
    absolute position ``buf_origin``; cells outside ``buf`` are blank (0).
    """
    fast, tape, buf_origin, p, rlo, rhi = begin_run(packed, cells, cells_origin, head)
    status, steps, state, p, tape, buf_origin, rlo, rhi = _run_in_buffer(
        fast, n_symbols, tape, buf_origin, p, rlo, rhi, state, max_steps, max_tape)
    return status, steps, state, p + buf_origin, tape, buf_origin


@njit(cache=True, nogil=True)
def begin_run(packed, cells, cells_origin, head):
    """The first half of :func:`run_one`, for a run in chunks: the machine's table in the hot loop's layout
    and a tape buffer holding the configuration.

    Returns
    -------
    (fast, tape, buf_origin, p, rlo, rhi): ``fast`` (int64, :func:`fast_table` of ``packed``), the buffer
    ``tape`` (uint8) with ``tape[0]`` at absolute position ``buf_origin``, the head's buffer index ``p`` and
    the visited span ``[rlo, rhi]`` (buffer indices): the state :func:`continue_run` takes and returns.
    """
    lo = head
    hi = head
    n_cells = cells.shape[0]
    if n_cells > 0:
        if cells_origin < lo:
            lo = cells_origin
        if cells_origin + n_cells - 1 > hi:
            hi = cells_origin + n_cells - 1
    span = hi - lo + 1
    cap = 2 * span + 2
    if cap < _MIN_BUFFER:
        cap = _MIN_BUFFER
    # Centre the visited span in the buffer so that growth on either side is cheap.
    buf_origin = lo - (cap - span) // 2
    tape = np.zeros(cap, dtype=np.uint8)
    for i in range(n_cells):
        tape[cells_origin - buf_origin + i] = cells[i]
    return _fast(packed), tape, buf_origin, head - buf_origin, lo - buf_origin, hi - buf_origin


@njit(cache=True, nogil=True)
def continue_run(fast, n_symbols, tape, buf_origin, p, rlo, rhi, state, max_steps, max_tape):
    """Run at most ``max_steps`` more steps from the state :func:`begin_run` (or a previous call) returned.

    Returns ``(status, steps, state, p, tape, buf_origin, rlo, rhi)``: ``steps`` taken by this call, and the
    state to continue from while ``status`` is STEP_LIMIT. Chunks of ``a`` and ``b`` steps equal one call of
    ``a + b`` steps, results and status alike (halting and undefined take precedence over the step limit at
    the end of every call, so a run that stops exactly at a chunk's end says so there).
    """
    return _run_in_buffer(fast, n_symbols, tape, buf_origin, p, rlo, rhi, state, max_steps, max_tape)


@njit(cache=True, nogil=True)
def fast_table(packed, out):
    """Re-pack a machine's table (``Machine.arrays.packed`` layout) into ``out[:len(packed)]`` in the hot
    loop's layout: the next state's row base in the low 32 bits (so the next index is one add, with no
    shift), the written symbol in bits 32-39 and the move (0 L, 1 S, 2 R) in bits 40-41; stop entries (-1
    undefined, -2 halting) are kept as they are."""
    for i in range(packed.shape[0]):
        out[i] = fast_entry(packed[i])


@njit(cache=True, nogil=True)
def _fast(packed):
    """A new array holding :func:`fast_table` of ``packed``."""
    out = np.empty(packed.shape[0], dtype=np.int64)
    fast_table(packed, out)
    return out


@njit(cache=True, nogil=True)
def _run_in_buffer(fast, S, tape, buf_origin, p, rlo, rhi, state, max_steps, max_tape):
    """The simulation loop of :func:`run_one` on a caller-prepared buffer (shared with :func:`run_batch`).

    ``tape`` holds the configuration, ``p`` is the head's buffer index and ``[rlo, rhi]`` the visited span
    (buffer indices, with at least one spare cell on each side); ``fast`` is the machine's table in the
    layout of :func:`fast_table`. Returns ``(status, steps, state, p, tape,
    buf_origin, rlo, rhi)``; ``tape`` is a new, larger array when the buffer had to grow.
    """
    cap = tape.shape[0]
    base = np.uint64(state * S)
    steps = 0
    status = STEP_LIMIT
    while True:
        # Invariant here: the visited span [rlo, rhi] holds p and has one spare cell on each side in the
        # buffer, so the hot loop may read both neighbours of the head without a bounds check.
        budget = max_steps - steps
        n = budget
        idx = np.uint64(0)
        e = 0
        m = 1
        cur = np.uint64(tape[p])
        left = np.uint64(tape[p - 1])
        right = np.uint64(tape[p + 1])
        # Hot loop. The critical path of a step is one table load and one add: the next index is the next
        # row base (the low half of the entry, no shift) plus the symbol under the head after the move,
        # which is already in a register (both neighbours are kept there and the move is a *branch*, so
        # the predictor, not a data dependency, picks the neighbour). Leaving the loop is rare (tape
        # limit, buffer edge). Unsigned indices: numba then skips its negative-index wraparound.
        while n > 0:
            idx = base + cur
            e = fast[idx]
            if not entry_defined(e):
                break
            m = fast_move_code(e)
            w = np.uint64(fast_write(e))
            base = fast_next_base(e)
            tape[np.uint64(p)] = w
            n -= 1
            if m == MOVE_RIGHT:
                p += 1
                if p > rhi:
                    rhi = p
                    if rhi - rlo >= max_tape or p > cap - 2:
                        break
                left = w
                cur = right
                right = np.uint64(tape[np.uint64(p + 1)])
            elif m == MOVE_LEFT:
                p -= 1
                if p < rlo:
                    rlo = p
                    if rhi - rlo >= max_tape or p < 1:
                        break
                right = w
                cur = left
                left = np.uint64(tape[np.uint64(p - 1)])
            else:
                cur = w
        steps += budget - n
        if not entry_defined(e):
            status = HALTED if entry_halts(e) else UNDEFINED
            break
        if rhi - rlo >= max_tape:
            # The step visited a cell that makes the span too long: undo it, so the configuration stays
            # the one before it.
            if p == rlo:
                rlo += 1
            else:
                rhi -= 1
            sym = idx % np.uint64(S)
            p -= m - 1
            tape[p] = sym
            base = idx - sym
            steps -= 1
            status = TAPE_LIMIT
            break
        if p < 1 or p > cap - 2:
            new_cap = 2 * cap
            shift = (new_cap - cap) // 2
            new_tape = np.zeros(new_cap, dtype=np.uint8)
            for i in range(cap):
                new_tape[shift + i] = tape[i]
            tape = new_tape
            cap = new_cap
            buf_origin -= shift
            p += shift
            rlo += shift
            rhi += shift
            continue
        # Budget exhausted: halting and undefined take precedence over the step limit.
        e = fast[base + np.uint64(tape[p])]
        if entry_halts(e):
            status = HALTED
        elif not entry_defined(e):
            status = UNDEFINED
        else:
            status = STEP_LIMIT
        break
    return status, steps, np.int64(base) // S, p, tape, buf_origin, rlo, rhi


@njit(cache=True, nogil=True)
def nonblank_span(buf):
    """Return ``(first, stop)`` of the non-blank cells of ``buf`` (``(0, 0)`` when all blank)."""
    n = buf.shape[0]
    first = 0
    while first < n and buf[first] == 0:
        first += 1
    if first == n:
        return 0, 0
    stop = n
    while buf[stop - 1] == 0:
        stop -= 1
    return first, stop


@njit(cache=True, parallel=True)
def run_batch(packed_all, table_lo, table_hi, n_symbols, cells_all, cells_offsets, cells_origin, heads,
              states, max_steps, max_tape, out_tape, out_offsets, out_status, out_steps, out_state,
              out_head, out_tape_start, out_tape_len, out_nonblank, visit_lo, visit_hi):
    """Run job ``j`` = (machine table ``packed_all[table_lo[j]:table_hi[j]]``, tape
    ``cells_all[cells_offsets[j]:cells_offsets[j+1]]``) for every j, in parallel over jobs.

    The final non-blank span of job ``j`` is written to ``out_tape[out_offsets[j]:]`` (capacity
    ``out_offsets[j+1] - out_offsets[j]``, which must be >= the largest possible span), its length to
    ``out_tape_len[j]`` and its absolute start to ``out_tape_start[j]``.

    ``visit_lo[j], visit_hi[j]`` (int64, absolute positions; in and out) widen the job's initial visited span
    (which always holds the head and the cells; pass the head for a fresh run) and receive its final one,
    so that a job resumed from its final configuration (a run in chunks) counts ``max_tape`` as one run.
    """
    n_jobs = heads.shape[0]
    # Jobs are split into chunks; each chunk reuses one tape buffer (cleared over the visited span only),
    # so a short job costs no allocation.
    n_chunks = min(n_jobs, 64)
    # Every table re-packed once, in place in the concatenation (entries are relative to their own table).
    fast_all = _fast(packed_all)
    for c in prange(n_chunks):
        tape = zeros_u8(_MIN_BUFFER)
        for j in range(c * n_jobs // n_chunks, (c + 1) * n_jobs // n_chunks):
            cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
            n_cells = cells.shape[0]
            head = heads[j]
            lo = head
            hi = head
            if n_cells > 0:
                lo = min(lo, cells_origin[j])
                hi = max(hi, cells_origin[j] + n_cells - 1)
            lo = min(lo, visit_lo[j])
            hi = max(hi, visit_hi[j])
            span = hi - lo + 1
            if tape.shape[0] < span + 2:
                tape = zeros_u8(2 * span + 2)
            buf_origin = lo - (tape.shape[0] - span) // 2
            for i in range(n_cells):
                tape[cells_origin[j] - buf_origin + i] = cells[i]
            S = n_symbols[j]
            status, steps, state, p, tape, buf_origin, rlo, rhi = _run_in_buffer(
                fast_all[table_lo[j]:table_hi[j]], S, tape, buf_origin, head - buf_origin, lo - buf_origin,
                hi - buf_origin, states[j], max_steps[j], max_tape[j])
            # Non-blank cells lie inside the visited span.
            first = rlo
            while first <= rhi and tape[first] == 0:
                first += 1
            stop = rhi + 1
            while stop > first and tape[stop - 1] == 0:
                stop -= 1
            count = 0
            for i in range(first, stop):
                out_tape[out_offsets[j] + i - first] = tape[i]
                if tape[i] != 0:
                    count += 1
            tape[rlo:rhi + 1] = 0
            visit_lo[j] = rlo + buf_origin
            visit_hi[j] = rhi + buf_origin
            out_status[j] = status
            out_steps[j] = steps
            out_state[j] = state
            out_head[j] = p + buf_origin
            out_tape_start[j] = buf_origin + first if stop > first else 0
            out_tape_len[j] = stop - first
            out_nonblank[j] = count


@njit(cache=True, nogil=True)
def pointer_chase(perm, n_iter):
    """Baseline for benchmarks: ``i = perm[i]`` ``n_iter`` times (one dependent load per iteration,
    the practical ceiling of a table-driven simulator). Returns the final index."""
    i = np.uint64(0)
    for _ in range(n_iter):
        i = np.uint64(perm[i])  # unsigned: no wraparound check, the tightest loop numba makes
    return np.int64(i)
