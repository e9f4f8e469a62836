"""Trace -> tokens (executable specification): plain-Python twins of the numba kernels in ``_kernels.py``,
with the same names, arguments and results. They build every row from the configuration it shows (the
gates twin evaluates the circuit on per-cell bit lists, not on token offsets), so the property tests that
hold the kernels to them also check the kernels' offset arithmetic."""

from __future__ import annotations

import numpy as np

from .._reference import HALTED, STEP_LIMIT, TAPE_LIMIT, UNDEFINED
from .._table import HALTING, entry_defined, entry_move, entry_next, entry_write

SEP, ANS, EOS = 2, 3, 4
PROMPT, COT, ANSWER = 0, 1, 2
OP_AND, OP_OR, OP_NOT = 0, 1, 2
SRC_SELF, SRC_PREV_LEFT, SRC_PREV, SRC_PREV_RIGHT, SRC_LEFT = 0, 1, 2, 3, 4


def _decode_entry(e: int, S: int) -> tuple[int, int, int]:
    """(next state, write, move) of a non-negative packed entry."""
    return entry_next(e, S), entry_write(e), entry_move(e)


class _Run:
    """A run as a dict tape, stepped one transition at a time."""

    def __init__(self, packed, S, cells, state):
        self.packed, self.S = packed, int(S)
        self.tape = {i: int(c) for i, c in enumerate(cells)}
        self.head, self.state = 0, int(state)

    def entry(self) -> int:
        return int(self.packed[self.state * self.S + self.tape.get(self.head, 0)])

    def step(self) -> tuple[int, int, int, int, int]:
        """Take one step; return (state, read, write, move, next)."""
        read = self.tape.get(self.head, 0)
        nxt, write, move = _decode_entry(self.entry(), self.S)
        rec = (self.state, read, write, move, nxt)
        self.tape[self.head] = write
        self.head += move
        self.state = nxt
        return rec

    def span(self) -> list[int]:
        """The final tape's non-blank span (symbol indices)."""
        nz = [p for p, c in self.tape.items() if c != 0]
        if not nz:
            return []
        return [self.tape.get(p, 0) for p in range(min(nz), max(nz) + 1)]


def count_one(packed, n_symbols, cells, state, max_steps, lo_lim, hi_lim, scratch):
    """Reference of :func:`tmsim.encodings._kernels.count_one` (``scratch`` is not needed here)."""
    r = _Run(packed, n_symbols, cells, state)
    lo, hi = 0, max(len(cells), 1) - 1
    steps = 0
    while True:
        e = r.entry()
        if e == HALTING:
            status = HALTED
            break
        if not entry_defined(e):
            status = UNDEFINED
            break
        if not lo_lim <= r.head + entry_move(e) <= hi_lim:
            status = TAPE_LIMIT
            break
        if steps >= max_steps:
            status = STEP_LIMIT
            nxt = r.head + entry_move(e)
            lo, hi = min(lo, nxt), max(hi, nxt)
            break
        r.step()
        steps += 1
        lo, hi = min(lo, r.head), max(hi, r.head)
    return status, steps, lo, hi, len(r.span())


def count_continue(packed, n_symbols, tape, origin, p, rlo, rhi, base, steps, max_steps, stop, lo_lim, hi_lim):
    """Reference of :func:`tmsim.encodings._kernels.count_continue`: one step at a time, with the stop
    conditions of :func:`count_one` checked before every step in its order."""
    S = int(n_symbols)
    tape = np.array(tape, dtype=np.uint8)
    origin, p, rlo, rhi, base, steps = int(origin), int(p), int(rlo), int(rhi), int(base), int(steps)
    while True:
        if stop <= steps < max_steps:  # paused, as the kernel pauses: before looking at the configuration
            return -1, steps, 0, 0, 0, tape, origin, p, rlo, rhi, base
        e = int(packed[base + int(tape[p])])
        if e == HALTING:
            status = HALTED
            break
        if not entry_defined(e):
            status = UNDEFINED
            break
        nxt = p + entry_move(e)
        if not lo_lim <= nxt - origin <= hi_lim:
            status = TAPE_LIMIT
            break
        if steps >= max_steps:
            status = STEP_LIMIT
            rlo, rhi = min(rlo, nxt), max(rhi, nxt)
            break
        tape[p] = entry_write(e)
        p = nxt
        base = entry_next(e, S) * S
        steps += 1
        if p <= 0 or p >= len(tape) - 1:  # room on both sides, as the kernel keeps
            shift = len(tape)
            tape = np.concatenate([np.zeros(shift, np.uint8), tape, np.zeros(shift, np.uint8)])
            origin, p, rlo, rhi = origin + shift, p + shift, rlo + shift, rhi + shift
        rlo, rhi = min(rlo, p), max(rhi, p)
    nz = np.flatnonzero(tape)
    span = int(nz[-1] - nz[0] + 1) if nz.size else 0
    return status, steps, rlo - origin, rhi - origin, span, tape, origin, p, rlo, rhi, base


def count_runs(packed, n_symbols, cells_all, cells_offsets, start, max_steps, lo_lim, hi_lim,
               out_status, out_steps, out_lo, out_hi, out_span):
    """Reference of :func:`tmsim.encodings._kernels.count_runs`."""
    for j in range(len(out_status)):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        (out_status[j], out_steps[j], out_lo[j], out_hi[j], out_span[j]) = count_one(
            packed, n_symbols, cells, start, max_steps, int(lo_lim[j]), int(hi_lim[j]), None)


def emit_transitions(packed, n_symbols, cells_all, cells_offsets, start, steps, rec, tok_sym, tok_q,
                     answer_state, out_offsets, out_tokens, out_kinds):
    """Reference of :func:`tmsim.encodings._kernels.emit_transitions`."""
    S = int(n_symbols)
    for j in range(len(steps)):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        toks = [int(tok_sym[c]) for c in cells] + [SEP]
        kinds = [PROMPT] * len(toks)
        r = _Run(packed, S, cells, start)
        for _ in range(int(steps[j])):
            state, read = r.state, r.tape.get(r.head, 0)
            r.step()
            toks += [int(t) for t in rec[state * S + read]]
            kinds += [COT] * 5
        ans = [int(tok_q[r.state])] if answer_state else [int(tok_sym[c]) for c in r.span()]
        toks += [ANS] + ans + [EOS]
        kinds += [ANSWER] * (len(ans) + 2)
        o = out_offsets[j]
        out_tokens[o:o + len(toks)] = toks
        out_kinds[o:o + len(toks)] = kinds


def _window_configs(packed, S, cells, start, T, W, left):
    """Configurations 0..T as (symbols per column, head column, state) inside a window of ``W`` columns."""
    r = _Run(packed, S, cells, start)
    out = []
    for t in range(T + 1):
        out.append(([r.tape.get(c - left, 0) for c in range(W)], r.head + left, r.state))
        if t < T:
            r.step()
    return out, r


def emit_tableau(packed, n_symbols, cells_all, cells_offsets, start, steps, widths, lefts, every, tok_cell,
                 tok_head, tok_q, bar, answer_state, out_offsets, out_tokens, out_kinds):
    """Reference of :func:`tmsim.encodings._kernels.emit_tableau`."""
    S = int(n_symbols)
    for j in range(len(steps)):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        T, W, left = int(steps[j]), int(widths[j]), int(lefts[j])
        configs, r = _window_configs(packed, S, cells, start, T, W, left)
        toks, kinds = [], []
        for t, (syms, h, q) in enumerate(configs):
            if not (t == 0 or t % every == 0 or t == T):
                continue
            row = [int(tok_head[q * S + x]) if c == h else int(tok_cell[x]) for c, x in enumerate(syms)]
            toks += row + [int(bar)]
            kinds += [PROMPT if t == 0 else COT] * (W + 1)
        syms = configs[-1][0]
        nz = [c for c, x in enumerate(syms) if x != 0]
        span = syms[min(nz):max(nz) + 1] if nz else []
        ans = [int(tok_q[r.state])] if answer_state else [int(tok_cell[x]) for x in span]
        toks += [ANS] + ans + [EOS]
        kinds += [ANSWER] * (len(ans) + 2)
        o = out_offsets[j]
        out_tokens[o:o + len(toks)] = toks
        out_kinds[o:o + len(toks)] = kinds


def _stops(packed, S, syms, h, q, W):
    e = int(packed[q * S + syms[h]])
    if not entry_defined(e):
        return True
    return not 1 <= h + entry_move(e) <= W - 2


def emit_triples(packed, n_symbols, n_states, cells_all, cells_offsets, start, steps, widths, lefts, tok_cell,
                 tok_head, tok_carry, tok_q, trip_tok, marks, answer_state, out_offsets, out_tokens, out_kinds):
    """Reference of :func:`tmsim.encodings._kernels.emit_triples`: every row built from the configuration
    above it."""
    S, Q = int(n_symbols), int(n_states)
    HC, N1 = Q * S, S + 1
    RUN, END, X, COPY, COPYF, HASH, DASH = (int(m) for m in marks)
    for j in range(len(steps)):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        T, W, left = int(steps[j]), int(widths[j]), int(lefts[j])
        configs, _ = _window_configs(packed, S, cells, start, T, W, left)

        def cell_tok(syms, h, q, c):
            if c in (0, W - 1):
                return HASH
            return int(tok_head[q * S + syms[c]]) if c == h else int(tok_cell[syms[c]])

        def code(syms, c):
            return 0 if c in (0, W - 1) else 1 + syms[c]

        toks, kinds = [], []
        for t, (syms, h, q) in enumerate(configs):
            inter = [COPY] * W
            if t > 0:
                psyms, ph, pq = configs[t - 1]
                for c in range(max(1, ph - 1), min(W - 2, ph + 1) + 1):
                    hp = ph - c + 1
                    others = [code(psyms, d) for d in (c - 1, c, c + 1) if d != ph]
                    idx = ((hp * HC + pq * S + psyms[ph]) * N1 + others[0]) * N1 + others[1]
                    inter[c] = int(trip_tok[idx])
            if t == T and _stops(packed, S, syms, h, q, W):
                for c in range(h + 1, W):
                    if inter[c] == COPY:
                        inter[c] = COPYF
            row = [RUN, X]
            for c in range(W):
                row += [inter[c], cell_tok(syms, h, q, c)]
            toks += row
            kinds += [PROMPT if t == 0 else COT] * len(row)
        syms, h, q = configs[-1]
        row = [END, X]
        for c in range(W):
            row += [DASH if c < h else int(tok_carry[q]), HASH if c in (0, W - 1) else int(tok_cell[syms[c]])]
        if answer_state:
            row.append(int(tok_q[q]))
        row.append(EOS)
        toks += row
        kinds += [ANSWER] * len(row)
        o = out_offsets[j]
        out_tokens[o:o + len(toks)] = toks
        out_kinds[o:o + len(toks)] = kinds


def emit_gates(op, src, slot, row0, outs, n_symbols, n_states, cells_all, cells_offsets, start, steps, widths,
               lefts, tok_cell, tok_carry, tok_q, marks, answer_state, out_offsets, out_tokens, out_kinds):
    """Reference of :func:`tmsim.encodings._kernels.emit_gates`: the circuit evaluated on per-cell bit
    lists (a neighbour outside the row reads as 0), rows 1.. from the row above, the END row from the
    final row's bits."""
    P, Q, G = int(n_symbols), int(n_states), len(op)
    ZERO, ONE, RUN, END, DOT, HASH, DASH = (int(m) for m in marks)
    for j in range(len(steps)):
        cells = cells_all[cells_offsets[j]:cells_offsets[j + 1]]
        T, W, left = int(steps[j]), int(widths[j]), int(lefts[j])
        rows = []

        def value(cur, prev, c, g):
            ins = []
            for i in range(2):
                s, t = int(src[g, i]), int(slot[g, i])
                if s == SRC_SELF:
                    ins.append(cur[c][t])
                elif s == SRC_LEFT:
                    ins.append(cur[c - 1][t] if c >= 1 else 0)
                else:
                    d = {SRC_PREV_LEFT: -1, SRC_PREV: 0, SRC_PREV_RIGHT: 1}[s]
                    ins.append(prev[c + d][t] if 0 <= c + d < W else 0)
            o = int(op[g])
            return int(ins[0] and ins[1]) if o == OP_AND else int(ins[0] or ins[1]) if o == OP_OR else int(not ins[0])

        # Row 0 from the initial configuration.
        syms = [0] * W
        for i, x in enumerate(cells):
            syms[left + i] = int(x)
        cur = [[0] * G for _ in range(W)]
        for c in range(W):
            bits = [0] * (P + Q + 1)
            if c in (0, W - 1):
                bits[P + Q] = 1
            else:
                bits[syms[c]] = 1
            if c == left:
                bits[P + int(start)] = 1
            for g in range(G):
                k = int(row0[g])
                cur[c][g] = 0 if k == -1 else value(cur, None, c, g) if k == -2 else bits[k]
        rows.append(cur)
        for _ in range(T):
            prev, cur = cur, [[0] * G for _ in range(W)]
            for c in range(W):
                for g in range(G):
                    cur[c][g] = value(cur, prev, c, g)
            rows.append(cur)
        toks, kinds = [], []
        for t, bits in enumerate(rows):
            row = [RUN] + [ZERO] * (G - 1)
            for c in range(W):
                row += [ONE if b else ZERO for b in bits[c]]
            toks += row
            kinds += [PROMPT if t == 0 else COT] * len(row)
        # The END row from the final row's one-hot bits (read per cell, not through token offsets).
        last = rows[-1]
        q_final, h_final = -1, -1
        fsyms = []
        for c in range(W):
            hs = [q for q in range(Q) if last[c][int(outs[P + q])]]
            if hs:
                q_final, h_final = hs[0], c
            xs = [x for x in range(P) if last[c][int(outs[x])]]
            fsyms.append(xs[0] if xs else 0)
        row = [END] + [DOT] * (G - 1)
        for c in range(W):
            row += [HASH if c in (0, W - 1) else int(tok_cell[fsyms[c]]),
                    DASH if c < h_final else int(tok_carry[q_final])] + [DOT] * (G - 2)
        if answer_state:
            row.append(int(tok_q[q_final]))
        row.append(EOS)
        toks += row
        kinds += [ANSWER] * len(row)
        o = out_offsets[j]
        out_tokens[o:o + len(toks)] = toks
        out_kinds[o:o + len(toks)] = kinds
