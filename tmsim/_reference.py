"""Run (executable specification): plain-Python twins of the numba kernels in ``_kernels.py``, with the
same names, arguments and results. Slow and obviously correct; the property tests hold the kernels to them."""

from __future__ import annotations

import numpy as np

from ._table import (HALTING, MOVE_LEFT, MOVE_RIGHT, entry_defined, entry_halts, entry_move, entry_next,
                     entry_write, fast_entry, fast_move_code, fast_next_base, fast_write)

HALTED = 0
UNDEFINED = 1
STEP_LIMIT = 2
TAPE_LIMIT = 3


def run_one(packed, n_symbols, cells, cells_origin, head, state, max_steps, max_tape):
    """Reference of :func:`tmsim._kernels.run_one` (same arguments and results)."""
    tape = {int(cells_origin) + i: int(c) for i, c in enumerate(cells) if c != 0}
    head = int(head)
    lo = hi = head
    if len(cells):
        lo = min(lo, int(cells_origin))
        hi = max(hi, int(cells_origin) + len(cells) - 1)
    status, steps, state, head, lo, hi = _run(packed, n_symbols, tape, head, lo, hi, state, max_steps, max_tape)
    written = [p for p, c in tape.items() if c != 0]
    if written:
        origin = min(written)
        buf = np.zeros(max(written) - origin + 1, dtype=np.uint8)
        for p in written:
            buf[p - origin] = tape[p]
    else:
        origin, buf = 0, np.zeros(0, dtype=np.uint8)
    return status, steps, state, head, buf, origin


def _run(packed, n_symbols, tape, head, lo, hi, state, max_steps, max_tape):
    """The loop of :func:`run_one` on a dict tape (changed in place) with the visited span ``[lo, hi]``;
    returns ``(status, steps, state, head, lo, hi)``."""
    S = int(n_symbols)
    state = int(state)
    steps = 0
    while True:
        read = tape.get(head, 0)
        e = int(packed[state * S + read])
        if e == HALTING:
            status = HALTED
            break
        if not entry_defined(e):
            status = UNDEFINED
            break
        if steps >= max_steps:
            status = STEP_LIMIT
            break
        nxt, write, move = entry_next(e, S), entry_write(e), entry_move(e)
        new_head = head + move
        if max(hi, new_head) - min(lo, new_head) + 1 > max_tape:
            status = TAPE_LIMIT
            break
        tape[head] = write
        head = new_head
        lo, hi = min(lo, head), max(hi, head)
        state = nxt
        steps += 1
    return status, steps, state, head, lo, hi


def begin_run(packed, cells, cells_origin, head):
    """Reference of :func:`tmsim._kernels.begin_run`: ``(fast, tape, buf_origin, p, rlo, rhi)``, the tape a
    buffer with one spare cell beyond each end of the visited span."""
    fast = np.empty(len(packed), dtype=np.int64)
    fast_table(packed, fast)
    lo = hi = int(head)
    if len(cells):
        lo = min(lo, int(cells_origin))
        hi = max(hi, int(cells_origin) + len(cells) - 1)
    buf_origin = lo - 1
    tape = np.zeros(hi - lo + 3, dtype=np.uint8)
    tape[int(cells_origin) - buf_origin:int(cells_origin) - buf_origin + len(cells)] = cells
    return fast, tape, buf_origin, int(head) - buf_origin, lo - buf_origin, hi - buf_origin


def continue_run(fast, n_symbols, tape, buf_origin, p, rlo, rhi, state, max_steps, max_tape):
    """Reference of :func:`tmsim._kernels.continue_run`, one step at a time on the table in the hot loop's
    layout (``fast``); the buffer is rebuilt to span the visited cells plus one spare cell each side."""
    S = int(n_symbols)
    cells = {int(buf_origin) + i: int(c) for i, c in enumerate(tape) if c != 0}
    head, lo, hi = int(p) + int(buf_origin), int(rlo) + int(buf_origin), int(rhi) + int(buf_origin)
    state, steps = int(state), 0
    while True:
        f = int(fast[state * S + cells.get(head, 0)])
        if not entry_defined(f):
            status = HALTED if entry_halts(f) else UNDEFINED
            break
        if steps >= max_steps:
            status = STEP_LIMIT
            break
        move = {MOVE_LEFT: -1, MOVE_RIGHT: 1}.get(fast_move_code(f), 0)
        if max(hi, head + move) - min(lo, head + move) + 1 > max_tape:
            status = TAPE_LIMIT
            break
        cells[head] = fast_write(f)
        head += move
        lo, hi = min(lo, head), max(hi, head)
        state = int(fast_next_base(f)) // S
        steps += 1
    origin = lo - 1
    out = np.zeros(hi - lo + 3, dtype=np.uint8)
    for q, c in cells.items():
        out[q - origin] = c
    return status, steps, state, head - origin, out, origin, lo - origin, hi - origin


def fast_table(packed, out):
    """Reference of :func:`tmsim._kernels.fast_table`: the hot loop's layout of a packed table (next row base
    in the low 32 bits, the written symbol in bits 32-39, the move in bits 40-41; stop entries unchanged)."""
    for i, e in enumerate(int(v) for v in packed):
        out[i] = fast_entry(e)


def nonblank_span(buf):
    """Reference of :func:`tmsim._kernels.nonblank_span`."""
    nz = [i for i, c in enumerate(buf) if c != 0]
    return (nz[0], nz[-1] + 1) if nz else (0, 0)


def run_batch(packed_all, table_lo, table_hi, n_symbols, cells_all, cells_offsets, cells_origin, heads,
              states, max_steps, max_tape, out_tape, out_offsets, out_status, out_steps, out_state,
              out_head, out_tape_start, out_tape_len, out_nonblank, visit_lo, visit_hi):
    """Reference of :func:`tmsim._kernels.run_batch`: the same loop over jobs, one at a time."""
    for j in range(len(heads)):
        table = packed_all[table_lo[j]:table_hi[j]]
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        tape = {int(cells_origin[j]) + i: int(c) for i, c in enumerate(cells) if c != 0}
        head = int(heads[j])
        lo, hi = min(head, int(visit_lo[j])), max(head, int(visit_hi[j]))
        if len(cells):
            lo = min(lo, int(cells_origin[j]))
            hi = max(hi, int(cells_origin[j]) + len(cells) - 1)
        status, steps, state, head, lo, hi = _run(table, n_symbols[j], tape, head, lo, hi, states[j],
                                                  max_steps[j], max_tape[j])
        visit_lo[j], visit_hi[j] = lo, hi
        written = [q for q, c in tape.items() if c != 0]
        origin = min(written) if written else 0
        buf = np.zeros(max(written) - origin + 1 if written else 0, dtype=np.uint8)
        for q in written:
            buf[q - origin] = tape[q]
        first, stop = nonblank_span(buf)
        span = buf[first:stop]
        out_tape[out_offsets[j]:out_offsets[j] + len(span)] = span
        out_status[j], out_steps[j], out_state[j], out_head[j] = status, steps, state, head
        out_tape_start[j] = origin + first if stop > first else 0
        out_tape_len[j] = len(span)
        out_nonblank[j] = int(np.count_nonzero(span))


def pointer_chase(perm, n_iter):
    """Reference of :func:`tmsim._kernels.pointer_chase`."""
    i = 0
    for _ in range(n_iter):
        i = int(perm[i])
    return i
