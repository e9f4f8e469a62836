"""Trace -> tokens (hot path): numba kernels that simulate a machine and emit its trace tokens in the same
pass. They take contiguous arrays, write into buffers the caller allocated, and never validate or raise.
Each has a plain-Python twin of the same name in ``_reference.py`` (the executable specification).

Batches use two passes: :func:`count_runs` (in ``_count_kernels.py``, re-exported here) simulates every sample and gives the exact trace lengths; the
caller allocates one flat buffer; an ``emit_*`` kernel simulates again and writes the tokens. Both passes
run in parallel over samples (``prange``).

Table indices: a (state, symbol) pair is ``state * n_symbols + symbol``, the index of ``packed`` (see
``tmsim.machine.TableArrays``); per-pair token tables (``rec``, ``tok_head``) use the same index.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._alloc import empty_i32, zeros_i32, zeros_u8
from .._kernels import entry_defined, entry_move, entry_move_code, entry_next_base, entry_write
from .._table import MOVE_LEFT, MOVE_RIGHT
from ._count_kernels import _CHUNK, _SCRATCH, count_continue, count_one, count_runs  # noqa: F401  (re-exported)

# Special token ids, the same in every vocabulary (see vocab.SPECIAL_TOKENS).
SEP = 2
ANS = 3
EOS = 4

# Token kinds (the loss mask).
PROMPT = 0
COT = 1
ANSWER = 2

# Gate opcodes and input sources of the gates circuit (see gates.py).
OP_AND = 0
OP_OR = 1
OP_NOT = 2
SRC_SELF = 0        # an earlier gate of the same cell block
SRC_PREV_LEFT = 1   # the previous row, cell j - 1
SRC_PREV = 2        # the previous row, cell j
SRC_PREV_RIGHT = 3  # the previous row, cell j + 1
SRC_LEFT = 4        # the current row, cell j - 1



@njit(cache=True, nogil=True, inline="always")
def _put(out, w, src):
    """``out[w:w + len(src)] = src`` as an explicit loop with unsigned indices: numba's slice assignment ran
    3x slower than this (it does not vectorise), and row copies are most of what the tableau encoders do."""
    # Unsigned indices: numba then skips its negative-index wraparound, and the loop vectorises (a signed
    # offset loaded from an array ran at a quarter of the speed).
    base = np.uint64(w)
    for i in range(src.shape[0]):
        out[base + np.uint64(i)] = src[i]


@njit(cache=True, nogil=True, inline="always")
def _fill(out, a, b, value):
    """``out[a:b] = value`` as an explicit loop (see :func:`_put`)."""
    for i in range(np.uint64(a), np.uint64(b)):
        out[i] = value


# ---------------------------------------------------------------------------------------------- transitions
@njit(cache=True, nogil=True)
def _emit_answer_span(tape, tok_sym, out_tokens, w):
    """Write the symbol tokens of the non-blank span of ``tape`` from ``out_tokens[w]`` on; return the
    next write position."""
    n = tape.shape[0]
    first = 0
    while first < n and tape[first] == 0:
        first += 1
    if first < n:
        stop = n
        while tape[stop - 1] == 0:
            stop -= 1
        for i in range(first, stop):
            out_tokens[w] = tok_sym[tape[i]]
            w += 1
    return w


@njit(cache=True, parallel=True)
def emit_transitions(packed, n_symbols, cells_all, cells_offsets, start, steps, rec, tok_sym, tok_q,
                     answer_state, out_offsets, out_tokens, out_kinds):
    """Emit ``transitions`` traces: ``s:x``... ``<sep>`` | ``steps[j]`` records of 5 tokens | ``<ans>``
    answer ``<eos>``.

    ``rec[idx]`` (int32, shape (n_states * n_symbols, 5)) holds the 5 token ids of the step taken from
    table index ``idx``: state, read, write, move, next state. ``steps[j]`` must be the exact step count
    from :func:`count_runs` (the kernel does not re-check stop conditions).
    """
    S = n_symbols
    N = steps.shape[0]
    for ch in prange((N + _CHUNK - 1) // _CHUNK):
        scratch = zeros_u8(_SCRATCH)
        for j in range(ch * _CHUNK, min(N, (ch + 1) * _CHUNK)):
            c0 = cells_offsets[j]
            n = cells_offsets[j + 1] - c0
            T = steps[j]
            w = out_offsets[j]
            for i in range(n):
                out_tokens[w + i] = tok_sym[cells_all[c0 + i]]
            out_tokens[w + n] = SEP
            _fill(out_kinds, w, w + n + 1, PROMPT)
            w += n + 1
            # The head moves at most T cells either way: n + 2T + 2 cells never need to grow.
            size = n + 2 * T + 2
            if size > scratch.shape[0]:
                scratch = zeros_u8(2 * size)
            tape = scratch[:size]
            origin = T + 1
            for i in range(n):
                tape[origin + i] = cells_all[c0 + i]
            p = origin
            base = start * S
            _fill(out_kinds, w, w + 5 * T, COT)
            for _ in range(T):
                idx = base + tape[p]
                e = packed[idx]
                out_tokens[w] = rec[idx, 0]
                out_tokens[w + 1] = rec[idx, 1]
                out_tokens[w + 2] = rec[idx, 2]
                out_tokens[w + 3] = rec[idx, 3]
                out_tokens[w + 4] = rec[idx, 4]
                w += 5
                tape[p] = entry_write(e)
                p += entry_move(e)
                base = entry_next_base(e)
            a0 = w
            out_tokens[w] = ANS
            w += 1
            if answer_state:
                out_tokens[w] = tok_q[base // S]
                w += 1
            else:
                w = _emit_answer_span(tape, tok_sym, out_tokens, w)
            out_tokens[w] = EOS
            w += 1
            _fill(out_kinds, a0, w, ANSWER)
            tape[:] = 0


# ---------------------------------------------------------------------------------------------- tableau
@njit(cache=True, parallel=True)
def emit_tableau(packed, n_symbols, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell,
                 tok_head, tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds):
    """Emit ``tableau`` (``every == 1``) and ``snapshots(every)`` traces: rows of ``widths[j]`` cell
    tokens, each followed by ``bar``; row 0 is the prompt, then the rows of steps ``every, 2*every, ...``
    and always the last step; then ``<ans>`` answer ``<eos>``.

    Cell ``c`` of a row is absolute position ``c - lefts[j]``; ``tok_cell[x]`` is a plain cell holding
    ``x``, ``tok_head[q * n_symbols + x]`` the head cell in state ``q`` on ``x``. The row is kept as a token
    array, patched at the head on every step and copied out when a row is due.
    """
    S = n_symbols
    N = steps.shape[0]
    for ch in prange((N + _CHUNK - 1) // _CHUNK):
        _tableau_chunk(packed, S, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell,
                       tok_head, tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds, ch * _CHUNK,
                       min(N, (ch + 1) * _CHUNK))


@njit(cache=True, nogil=True)
def _tableau_chunk(packed, S, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell, tok_head,
                   tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds, lo, hi):
    """Samples ``lo..hi-1`` of :func:`emit_tableau`. One call per chunk, not per sample: every array
    argument of a call costs an atomic reference-count update, which two threads sharing the arrays turn
    into cache-line ping-pong (per-sample calls made the narrow tableaux' emission about 25% slower)."""
    sym_s = zeros_u8(64)
    row_s = zeros_i32(64)
    for j in range(lo, hi):
        if widths[j] > sym_s.shape[0]:
            sym_s = zeros_u8(2 * widths[j])
            row_s = zeros_i32(2 * widths[j])
        _tableau_one(packed, S, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell,
                     tok_head, tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds, j,
                     sym_s[:widths[j]], row_s[:widths[j]])


@njit(cache=True, nogil=True, inline="always")
def _tableau_one(packed, S, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell, tok_head,
                 tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds, j, sym, row):
    """Sample ``j`` of :func:`emit_tableau`, with scratch ``sym`` (uint8) and ``row`` (int32) of width W."""
    c0 = cells_offsets[j]
    n = cells_offsets[j + 1] - c0
    T = steps[j]
    W = widths[j]
    left = lefts[j]
    w = out_offsets[j]
    _fill(sym, 0, W, 0)
    for i in range(n):
        sym[left + i] = cells_all[c0 + i]
    for c in range(W):
        row[c] = tok_cell[sym[c]]
    h = np.uint64(left)
    base = np.uint64(start * S)
    row[h] = tok_head[base + sym[h]]
    _put(out_tokens, w, row)
    out_tokens[w + W] = bar
    _fill(out_kinds, w, w + W + 1, PROMPT)
    w += W + 1
    cot0 = w
    # Unsigned indices throughout the step loop (numba then drops its negative-index checks).
    cur = np.uint64(sym[h])
    due = every
    for t in range(1, T + 1):
        e = packed[base + cur]
        x = entry_write(e)
        sym[h] = x
        row[h] = tok_cell[x]
        # A branch on the move, not arithmetic on it: the predictor then supplies the next head position,
        # and the load of the next symbol does not wait for the table entry (as in tmsim's run kernel).
        m = entry_move_code(e)
        if m == MOVE_RIGHT:
            h += np.uint64(1)
        elif m == MOVE_LEFT:
            h -= np.uint64(1)
        base = np.uint64(entry_next_base(e))
        cur = np.uint64(sym[h])
        row[h] = tok_head[base + cur]
        due -= 1
        if due == 0 or t == T:
            due = every
            _put(out_tokens, w, row)
            out_tokens[w + W] = bar
            w += W + 1
    _fill(out_kinds, cot0, w, COT)
    a0 = w
    out_tokens[w] = ANS
    w += 1
    if answer_state:
        out_tokens[w] = tok_q[np.int64(base) // S]
        w += 1
    else:
        w = _emit_answer_span(sym, tok_cell, out_tokens, w)
    out_tokens[w] = EOS
    w += 1
    _fill(out_kinds, a0, w, ANSWER)


# ---------------------------------------------------------------------------------------------- triples
@njit(cache=True, nogil=True)
def _plain_code(sym, c, W):
    """Code of a non-head cell in a triple index: 0 for a boundary cell ``#``, else 1 + symbol."""
    if c == 0 or c == W - 1:
        return 0
    return 1 + sym[c]


@njit(cache=True, nogil=True)
def _stops(packed, base, sym, h, W):
    """True when the configuration (state row ``base``, head at column ``h``) makes no further step: a
    halting state, an undefined transition, or a move onto a boundary column."""
    e = packed[base + sym[h]]
    if not entry_defined(e):
        return True
    nh = h + entry_move(e)
    return nh < 1 or nh > W - 2


@njit(cache=True, parallel=True)
def emit_triples(packed, n_symbols, n_states, cells_all, cells_offsets, start, steps, widths, lefts, tok_cell,
                 tok_head, tok_carry, tok_q, trip_tok, marks, answer_state, out_offsets, out_tokens, out_kinds):
    """Emit ``tableau-triples`` traces (layout in ``triples.py``).

    ``marks`` = [RUN, END, X, COPY, COPY*, #, -] token ids; ``tok_carry[q]`` is ``=q``; ``trip_tok`` maps a
    triple index ``((hp * HC + hc) * N1 + u) * N1 + v`` to its token id, where ``hp`` in {0, 1, 2} is the
    head's place in the triple, ``hc = q * n_symbols + x`` the head cell, ``u, v`` the codes
    (:func:`_plain_code`) of the other two cells from left to right, ``HC = n_states * n_symbols`` and
    ``N1 = n_symbols + 1``.
    """
    S = n_symbols
    HC = n_states * S
    N1 = S + 1
    RUN = marks[0]
    END = marks[1]
    X = marks[2]
    COPY = marks[3]
    COPYF = marks[4]
    HASH = marks[5]
    DASH = marks[6]
    for j in prange(steps.shape[0]):
        c0 = cells_offsets[j]
        n = cells_offsets[j + 1] - c0
        T = steps[j]
        W = widths[j]
        L = 2 * W + 2
        left = lefts[j]
        w = out_offsets[j]
        sym = zeros_u8(W)
        for i in range(n):
            sym[left + i] = cells_all[c0 + i]
        # Row template: [RUN, X, COPY, C_0, COPY, C_1, ...]; patched per step, copied out per row.
        tmpl = empty_i32(L)
        tmpl[0] = RUN
        tmpl[1] = X
        for c in range(W):
            tmpl[2 + 2 * c] = COPY
            tmpl[3 + 2 * c] = tok_cell[sym[c]]
        tmpl[3] = HASH
        tmpl[L - 1] = HASH
        h = left
        base = start * S
        tmpl[3 + 2 * h] = tok_head[base + sym[h]]
        _put(out_tokens, w, tmpl)
        if T == 0 and _stops(packed, base, sym, h, W):
            for c in range(h + 1, W):
                out_tokens[w + 2 + 2 * c] = COPYF
        _fill(out_kinds, w, w + L, PROMPT)
        w += L
        cot0 = w
        for t in range(1, T + 1):
            # Intermediate tokens: the triple of the three cells above, around the old head.
            hc = base + sym[h]
            t_lo = h - 1 if h - 1 >= 1 else 1
            t_hi = h + 1 if h + 1 <= W - 2 else W - 2
            for c in range(t_lo, t_hi + 1):
                hp = h - c + 1
                if hp == 0:
                    u = _plain_code(sym, c, W)
                    v = _plain_code(sym, c + 1, W)
                elif hp == 1:
                    u = _plain_code(sym, c - 1, W)
                    v = _plain_code(sym, c + 1, W)
                else:
                    u = _plain_code(sym, c - 1, W)
                    v = _plain_code(sym, c, W)
                tmpl[2 + 2 * c] = trip_tok[((hp * HC + hc) * N1 + u) * N1 + v]
            e = packed[hc]
            x = entry_write(e)
            sym[h] = x
            tmpl[3 + 2 * h] = tok_cell[x]
            h += entry_move(e)
            base = entry_next_base(e)
            tmpl[3 + 2 * h] = tok_head[base + sym[h]]
            _put(out_tokens, w, tmpl)
            if t == T and _stops(packed, base, sym, h, W):
                # The halted flag runs from the new head to the end of the row (COPY* instead of COPY).
                for c in range(h + 1, W):
                    if c < t_lo or c > t_hi:
                        out_tokens[w + 2 + 2 * c] = COPYF
            w += L
            for c in range(t_lo, t_hi + 1):
                tmpl[2 + 2 * c] = COPY
        _fill(out_kinds, cot0, w, COT)
        # END row: [END, X, (carrier, symbol) per cell]; carriers hold the final state from the head on.
        a0 = w
        out_tokens[w] = END
        out_tokens[w + 1] = X
        q = base // S
        for c in range(W):
            out_tokens[w + 2 + 2 * c] = DASH if c < h else tok_carry[q]
            out_tokens[w + 3 + 2 * c] = HASH if (c == 0 or c == W - 1) else tok_cell[sym[c]]
        w += L
        if answer_state:
            out_tokens[w] = tok_q[q]
            w += 1
        out_tokens[w] = EOS
        w += 1
        _fill(out_kinds, a0, w, ANSWER)


# ---------------------------------------------------------------------------------------------- gates
@njit(cache=True, nogil=True)
def _gate_offsets(src, slot, G, L):
    """Relative offsets (int64, shape (G, 2)) of every gate input, from the gate's own position."""
    off = np.empty((G, 2), dtype=np.int64)
    for g in range(G):
        for i in range(2):
            s = src[g, i]
            t = slot[g, i]
            if s == SRC_SELF:
                off[g, i] = g - t
            elif s == SRC_PREV_LEFT:
                off[g, i] = L + G + g - t
            elif s == SRC_PREV:
                off[g, i] = L + g - t
            elif s == SRC_PREV_RIGHT:
                off[g, i] = L - G + g - t
            else:
                off[g, i] = G + g - t
    return off


@njit(cache=True, parallel=True)
def emit_gates(op, src, slot, row0, outs, n_symbols, n_states, cells_all, cells_offsets, start, steps, widths,
               lefts, tok_cell, tok_carry, tok_q, marks, answer_state, out_offsets, out_tokens, out_kinds):
    """Emit ``gates`` traces (layout in ``gates.py``): every row is a header block and ``W`` cell blocks of
    ``G`` gate tokens; rows 1.. are computed by evaluating each gate on the tokens at its fixed offsets.

    ``op``, ``src``, ``slot`` describe the circuit (``src``/``slot`` shape (G, 2)); ``row0[g]`` says how
    row 0 fills gate ``g``: ``-1`` zero (an internal update gate), ``-2`` evaluate (an auxiliary gate),
    ``k >= 0`` the cell's one-hot bit ``k`` (symbol bits ``0..P-1``, state bits ``P..P+Q-1``, boundary bit
    ``P+Q``). ``outs`` = slots of [sym_0..sym_{P-1}, hd_0..hd_{Q-1}, bd, flag]. ``marks`` =
    [0, 1, RUN, END, ., #, -] token ids.
    """
    P = n_symbols
    Q = n_states
    G = op.shape[0]
    ZERO = marks[0]
    ONE = marks[1]
    RUN = marks[2]
    END = marks[3]
    DOT = marks[4]
    HASH = marks[5]
    DASH = marks[6]
    slot_bd = outs[P + Q]
    for j in prange(steps.shape[0]):
        c0 = cells_offsets[j]
        n = cells_offsets[j + 1] - c0
        T = steps[j]
        W = widths[j]
        L = (W + 1) * G
        left = lefts[j]
        off = _gate_offsets(src, slot, G, L)
        w = out_offsets[j]
        # Row 0: the initial configuration's one-hot bits, internal gates 0, auxiliary gates evaluated.
        out_tokens[w] = RUN
        for g in range(1, G):
            out_tokens[w + g] = ZERO
        for c in range(W):
            b = w + G * (c + 1)
            x = -1
            if c >= 1 and c <= W - 2:
                i = c - left
                x = cells_all[c0 + i] if (i >= 0 and i < n) else 0
            for g in range(G):
                k = row0[g]
                p = b + g
                if k == -1:
                    out_tokens[p] = ZERO
                elif k == -2:
                    v1 = out_tokens[p - off[g, 0]] == ONE
                    v2 = out_tokens[p - off[g, 1]] == ONE
                    o = op[g]
                    if o == OP_AND:
                        v = v1 and v2
                    elif o == OP_OR:
                        v = v1 or v2
                    else:
                        v = not v1
                    out_tokens[p] = ONE if v else ZERO
                elif k < P:
                    out_tokens[p] = ONE if x == k else ZERO
                elif k < P + Q:
                    out_tokens[p] = ONE if (c == left and k - P == start) else ZERO
                else:
                    out_tokens[p] = ONE if x < 0 else ZERO
        _fill(out_kinds, w, w + L, PROMPT)
        w += L
        # Rows 1..T: every gate from the tokens at its offsets.
        for t in range(T):
            out_tokens[w] = RUN
            for g in range(1, G):
                out_tokens[w + g] = ZERO
            for b in range(w + G, w + L, G):
                for g in range(G):
                    p = b + g
                    v1 = out_tokens[p - off[g, 0]] == ONE
                    o = op[g]
                    if o == OP_AND:
                        v = v1 and out_tokens[p - off[g, 1]] == ONE
                    elif o == OP_OR:
                        v = v1 or out_tokens[p - off[g, 1]] == ONE
                    else:
                        v = not v1
                    out_tokens[p] = ONE if v else ZERO
            _fill(out_kinds, w, w + L, COT)
            w += L
        # END row: [END, . ...] then per cell [symbol or #, carrier, . ...] read from the row above.
        a0 = w
        out_tokens[w] = END
        for g in range(1, G):
            out_tokens[w + g] = DOT
        q = -1
        for c in range(W):
            b = w + G * (c + 1)
            above = b - L
            if out_tokens[above + slot_bd] == ONE:
                out_tokens[b] = HASH
            else:
                out_tokens[b] = tok_cell[0]
                for x in range(P):
                    if out_tokens[above + outs[x]] == ONE:
                        out_tokens[b] = tok_cell[x]
                        break
            for qq in range(Q):
                if out_tokens[above + outs[P + qq]] == ONE:
                    q = qq
                    break
            out_tokens[b + 1] = DASH if q < 0 else tok_carry[q]
            for g in range(2, G):
                out_tokens[b + g] = DOT
        w += L
        if answer_state:
            out_tokens[w] = tok_q[q if q >= 0 else 0]
            w += 1
        out_tokens[w] = EOS
        w += 1
        _fill(out_kinds, a0, w, ANSWER)
