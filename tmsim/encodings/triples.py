"""Trace -> tokens (``tableau-triples``): the tableau with two tokens per cell, laid out so that EVERY token
is a function of the tokens at a few fixed relative offsets (docs/theory.md#tableau-triples) — the trace a linear
next-token predictor over a window can emulate exactly.

Layout (period ``L = 2W + 2``, even)::

    row r:  H  X  I_0 C_0  I_1 C_1  ...  I_{W-1} C_{W-1}
    rows:   row 0 (prompt, kind 0) | rows 1..T (CoT, kind 1) | END row + <eos> (answer, kind 2)

- ``H`` (header): ``RUN``, or ``END`` on the row after the last configuration. ``X``: a filler.
- ``C_c`` (cell): ``#`` in the boundary columns 0 and W-1 (never written, the head never enters them),
  else ``s:<symbol>`` or ``h:<state>:<symbol>`` as in ``tableau``. Column ``c`` is position ``c - left``.
- ``I_c`` (intermediate): the triple ``(a,b,c)`` of the three cells above (e.g. ``(s:1,h:A:0,s:_)``)
  when one of them holds the head and column c is not a boundary, else ``COPY`` — or ``COPY*`` when a
  head that stops (halting state, undefined transition, or a move onto a boundary column) was written
  further left in this row: the *halted flag*, carried cell to cell so that ``END`` is decided from one
  fixed offset instead of an OR over the whole row (docs/theory.md#tableau-triples).
- END row: ``END X`` then per column a carrier and the final cell's symbol: the carrier is ``-`` left of
  the final head and ``=<state>`` from it on (so the final state reaches the row's end locally); the
  symbol is ``s:<symbol>`` (``#`` for boundaries). The answer is the window's final tape (the non-blank
  span at fixed offsets), then ``q:<state>`` with ``answer="state"``, then ``<eos>``.

The local rule (``offsets()`` and :meth:`TableauTriples.next_token_from_offsets`): with ``t(o)`` the token
``o`` positions back,

=============  ===============================  ===================================================
class          offsets                          rule
=============  ===============================  ===================================================
header         2, L                             t(L)=RUN: END if t(2)=COPY* else RUN;
                                                t(L)=END: ``<eos>`` (answer="state": ``q:`` of t(2))
filler         1                                X (``<eos>`` after the ``q:`` answer)
intermediate   2, 4, 6, L-3, L-1, L+1           END row (t(2) is END, ``-`` or ``=q``): carrier from
                                                t(L-1) and t(2); else the triple (t(L+1), t(L-1),
                                                t(L-3)) if it holds a head and t(L-1) != ``#``; else
                                                COPY* if t(2)=COPY* or one of t(2), t(4), t(6) is a
                                                stopping triple, else COPY
cell           1, L                             after COPY/COPY*: t(L); after a triple: the triple's
                                                new centre cell; after a carrier: t(L)'s symbol
=============  ===============================  ===================================================

The position class is ``position mod L`` (0 header, 1 filler, even intermediate, odd cell), since the
prompt is exactly one row; equivalently it is the family of the token at offset L. Every offset is at most
L + 1, so a window of k = L + 1 suffices. A trace cut by the step budget ends with an END row too; that
one header breaks the rule (it is the only free choice of the scheme).

Length: ``(T + 2)(2W + 2) + 1`` (+1 with ``answer="state"``); ``2W + 2`` tokens per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np
import sympy

from ..machine import Machine
from .base import _Prompt
from .layout import PositionLayout
from .types import DecodedRun, Trace
from .windowed import WindowedEncoding
from .errors import EncodingError
from .local import LocalRule
from .vocab import EOS

__all__ = ["TableauTriples"]

MARKS = ("RUN", "END", "X", "COPY", "COPY*", "#", "-")
_MAX_TRIPLE_TABLE = 1 << 26


class _Cell(NamedTuple):
    """A cell token's meaning: boundary, symbol index, state index (-1: no head)."""

    hash: bool
    sym: int
    state: int


class _Tables(NamedTuple):
    tok_cell: np.ndarray
    tok_head: np.ndarray
    tok_carry: np.ndarray
    tok_q: np.ndarray
    trip_tok: np.ndarray
    marks: np.ndarray
    cells: dict            # id -> _Cell
    triples: dict          # id -> (a_id, b_id, c_id, result_id, stops)
    triple_ids: dict       # (a_id, b_id, c_id) -> id
    carry_state: dict      # id of =q -> q
    q_of_state: dict       # q -> id of q:q


def _cell_name(machine: Machine, code: int, head: tuple[int, int] | None = None) -> str:
    if head is not None:
        q, x = head
        return f"h:{machine.states[q]}:{machine.symbols[x]}"
    return "#" if code == 0 else f"s:{machine.symbols[code - 1]}"


def _stops(machine: Machine, q: int, y: int, a_hash: bool, c_hash: bool) -> bool:
    """Does a head in state q on symbol y, with a boundary left (a_hash) / right (c_hash) of it, stop?"""
    ar = machine.arrays
    if ar.halting[q] or ar.next_state[q, y] < 0:
        return True
    m = int(ar.move[q, y])
    return (m == -1 and a_hash) or (m == 1 and c_hash)


def _triples(machine: Machine):
    """Every triple token that can occur: (index, hp, head (q, x), u, v, name, result name, stops)."""
    ar = machine.arrays
    S, Q = machine.n_symbols, machine.n_states
    N1 = S + 1
    for hp in range(3):
        for q in range(Q):
            for x in range(S):
                if ar.halting[q] or ar.next_state[q, x] < 0:
                    continue  # a stopped head is followed by END, never by a triple
                q2, w, m = int(ar.next_state[q, x]), int(ar.write[q, x]), int(ar.move[q, x])
                for u in range(N1):
                    for v in range(N1):
                        if hp == 1:
                            a, b, c = u, None, v
                            if (m == -1 and u == 0) or (m == 1 and v == 0):
                                continue  # a move onto a boundary stops the run before this row
                        elif hp == 0:
                            a, b, c = None, u, v
                        else:
                            a, b, c = u, v, None
                        if b == 0:
                            continue  # the centre of a triple is never a boundary
                        names = [_cell_name(machine, z) if z is not None else _cell_name(machine, 0, (q, x))
                                 for z in (a, b, c)]
                        # The new centre cell.
                        if hp == 1:
                            if m == 0:
                                res = _cell_name(machine, 0, (q2, w))
                                st = _stops(machine, q2, w, u == 0, v == 0)
                            else:
                                res, st = _cell_name(machine, 1 + w), False
                        elif hp == 0 and m == 1:
                            res = _cell_name(machine, 0, (q2, u - 1))
                            st = _stops(machine, q2, u - 1, False, v == 0)
                        elif hp == 2 and m == -1:
                            res = _cell_name(machine, 0, (q2, v - 1))
                            st = _stops(machine, q2, v - 1, u == 0, False)
                        else:
                            res, st = names[1], False
                        idx = ((hp * (Q * S) + q * S + x) * N1 + u) * N1 + v
                        yield idx, f"({','.join(names)})", res, st


@dataclass(frozen=True)
class TableauTriples(WindowedEncoding):
    """The ``tableau-triples`` encoding: the locally computable tableau (see the module docstring).

    Parameters
    ----------
    answer : {"tape", "state"}
    width : int, optional
        Row width W >= 3, the two boundary columns included (default: per run, visited span + 2).
    left : int, optional
        Columns left of input position 0, the boundary column included (>= 1).

    Examples
    --------
    >>> from tmsim import Machine
    >>> from tmsim.encodings import get_encoding
    >>> flip = Machine(["A", "H"], ["_", "0", "1"], "_", ["0", "1"], "A", ["H"],
    ...                {("A", "0"): ("A", "1", "R"), ("A", "1"): ("A", "0", "R"), ("A", "_"): ("H", "_", "S")})
    >>> enc = get_encoding("tableau-triples")
    >>> tr = enc.encode(flip, "1")
    >>> for r in range(0, len(tr) - 1, 2 * tr.width + 2):
    ...     print(" ".join(tr.names()[r:r + 2 * tr.width + 2]))
    RUN X COPY # COPY h:A:1 COPY s:_ COPY #
    RUN X COPY # (#,h:A:1,s:_) s:0 (h:A:1,s:_,#) h:A:_ COPY #
    RUN X COPY # (#,s:0,h:A:_) s:0 (s:0,h:A:_,#) h:H:_ COPY* #
    END X - # - s:0 =H s:_ =H #
    >>> rule = enc.local_rule(flip, width=tr.width)
    >>> rule.offsets["intermediate"]
    (2, 4, 6, 7, 9, 11)
    >>> rule.check(tr) is None
    True
    """

    name = "tableau-triples"
    version = 1
    _boundary = 1

    def _token_names(self, machine: Machine):
        S, Q = machine.n_symbols, machine.n_states
        if 3 * Q * S * (S + 1) ** 2 > _MAX_TRIPLE_TABLE:
            raise EncodingError(f"Machine {machine.name!r} is too large for tableau-triples: {Q} states x {S} "
                                f"symbols give up to {3 * Q * S * (S + 1) ** 2} triple tokens.")
        out = list(MARKS) + [f"s:{x}" for x in machine.symbols]
        out += [f"h:{q}:{x}" for q in machine.states for x in machine.symbols]
        out += [f"={q}" for q in machine.states]
        if self.answer == "state":
            out += [f"q:{q}" for q in machine.states]
        out += [name for _, name, _, _ in _triples(machine)]
        return out

    def _build_tables(self, machine: Machine) -> _Tables:
        v = self.vocabulary(machine)
        S, Q = machine.n_symbols, machine.n_states
        tok_cell = np.array([v.id(f"s:{x}") for x in machine.symbols], dtype=np.int32)
        tok_head = np.array([v.id(f"h:{q}:{x}") for q in machine.states for x in machine.symbols], dtype=np.int32)
        tok_carry = np.array([v.id(f"={q}") for q in machine.states], dtype=np.int32)
        tok_q = (np.array([v.id(f"q:{q}") for q in machine.states], dtype=np.int32) if self.answer == "state"
                 else np.zeros(Q, dtype=np.int32))
        trip_tok = np.full(3 * Q * S * (S + 1) ** 2, -1, dtype=np.int32)
        cells = {v.id("#"): _Cell(True, 0, -1)}
        cells.update({int(t): _Cell(False, x, -1) for x, t in enumerate(tok_cell)})
        cells.update({int(t): _Cell(False, i % S, i // S) for i, t in enumerate(tok_head)})
        triples, triple_ids = {}, {}
        for idx, name, res, st in _triples(machine):
            tid = v.id(name)
            trip_tok[idx] = tid
            triples[tid] = (res, st)
        # (a, b, c) -> id, built from the structured indices (names may contain commas).
        N1 = S + 1
        for idx in np.flatnonzero(trip_tok >= 0):
            idx = int(idx)
            rest, vv = divmod(idx, N1)
            rest, u = divmod(rest, N1)
            hp, hc = divmod(rest, Q * S)
            head = int(tok_head[hc])

            def plain(z):
                return v.id("#") if z == 0 else int(tok_cell[z - 1])

            abc = [(head, plain(u), plain(vv)), (plain(u), head, plain(vv)), (plain(u), plain(vv), head)][hp]
            tid = int(trip_tok[idx])
            res, st = triples[tid]
            triples[tid] = (*abc, v.id(res), st)
            triple_ids[abc] = tid
        marks = np.array([v.id(m) for m in MARKS], dtype=np.int32)
        carry_state = {int(t): q for q, t in enumerate(tok_carry)}
        q_of_state = {q: int(t) for q, t in enumerate(tok_q)}
        return _Tables(tok_cell, tok_head, tok_carry, tok_q, trip_tok, marks, cells, triples, triple_ids,
                       carry_state, q_of_state)

    def _lengths(self, machine, n, steps, widths, answer_lengths):
        return (steps + 2) * (2 * widths + 2) + 1 + (1 if self.answer == "state" else 0)

    def length_formula(self, machine: Machine | None = None):
        T, S = sympy.symbols("T S", integer=True, nonnegative=True)
        return (T + 2) * (2 * S + 2) + 1 + (1 if self.answer == "state" else 0)

    def _emit(self, machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds):
        t = self._tables(machine)
        impl.emit_triples(machine.arrays.packed, machine.n_symbols, machine.n_states, cells, offsets,
                          machine.state_index[machine.start], sizes.steps, sizes.widths, sizes.lefts, t.tok_cell,
                          t.tok_head, t.tok_carry, t.tok_q, t.trip_tok, t.marks, self.answer == "state",
                          out_offsets, tokens, kinds)

    # ------------------------------------------------------------------ the local rule
    def offsets(self, machine: Machine | None = None, *, width: int | None = None) -> dict[str, tuple[int, ...]]:
        """The fixed relative offsets every position class depends on (see the module docstring).

        Parameters
        ----------
        machine : Machine, optional
            Unused (the offsets depend only on the width); accepted for symmetry with ``gates``.
        width : int, optional
            Row width W (default: the encoding's ``width``, which must then be set).
        """
        W = self._width_for(width)
        L = 2 * W + 2
        return {"header": (2, L), "filler": (1,), "intermediate": (2, 4, 6, L - 3, L - 1, L + 1),
                "cell": (1, L)}

    def _width_for(self, width: int | None) -> int:
        W = self.width if width is None else width
        if W is None:
            raise EncodingError(f"{self.name}: the offsets depend on the row width; pass width=W or build the "
                                f"encoding with a fixed width.")
        if isinstance(W, bool) or not isinstance(W, (int, np.integer)) or W < 3:
            raise EncodingError(f"The 'width' parameter of {self.name} must be an integer >= 3. Got {W!r} instead.")
        return int(W)

    def position_class(self, position: int, machine: Machine | None = None, *, width: int | None = None) -> str:
        """Class of a trace position: ``header``, ``filler``, ``intermediate`` or ``cell`` (position mod L)."""
        r = position % (2 * self._width_for(width) + 2)
        return "header" if r == 0 else "filler" if r == 1 else "intermediate" if r % 2 == 0 else "cell"

    def next_token_from_offsets(self, machine: Machine, position_class: str, context: Sequence[str],
                                *, width: int | None = None) -> str | None:
        """THE LOCAL RULE: the token of a position of class ``position_class``, given the token names at
        ``offsets(width=...)[position_class]`` in that order. Returns None for contexts no valid trace has.
        (The rule itself does not depend on the width; only the offsets do.)"""
        v = self.vocabulary(machine)
        t = self._tables(machine)
        ids = [v.index.get(c, -1) for c in context]
        out = self._rule(t, v, position_class, ids)
        return None if out is None else v.tokens[out]

    def _rule(self, t: _Tables, v, cls: str, ids: list[int]) -> int | None:
        RUN, END, X, COPY, COPYF, HASH, DASH = (int(m) for m in t.marks)
        if cls == "header":
            t2, tL = ids
            if tL == RUN:
                return END if t2 == COPYF else RUN
            if tL == END:
                if self.answer == "state":
                    q = t.carry_state.get(t2)
                    return None if q is None else t.q_of_state[q]
                return EOS
            return None
        if cls == "filler":
            (t1,) = ids
            if t1 in (RUN, END):
                return X
            return EOS if self.answer == "state" and t1 in t.q_of_state.values() else None
        if cls == "intermediate":
            t2, t4, t6, c, b, a = ids
            if t2 == END or t2 == DASH or t2 in t.carry_state:
                cell = t.cells.get(b)
                if cell is not None and cell.state >= 0:
                    return int(t.tok_carry[cell.state])
                return t2 if t2 in t.carry_state else DASH
            ca, cb, cc = t.cells.get(a), t.cells.get(b), t.cells.get(c)
            has_head = any(z is not None and z.state >= 0 for z in (ca, cb, cc))
            if has_head and b != HASH:
                return t.triple_ids.get((a, b, c))
            if t2 == COPYF or any(z in t.triples and t.triples[z][4] for z in (t2, t4, t6)):
                return COPYF
            return COPY
        if cls == "cell":
            t1, tL = ids
            if t1 in (COPY, COPYF):
                return tL if tL in t.cells else None
            if t1 in t.triples:
                return t.triples[t1][3]
            if t1 == DASH or t1 in t.carry_state:
                cell = t.cells.get(tL)
                if cell is None:
                    return None
                return HASH if cell.hash else int(t.tok_cell[cell.sym])
            return None
        raise EncodingError(f"Unknown position class {cls!r} of {self.name}; the classes are 'header', "
                            f"'filler', 'intermediate', 'cell'.")

    def layout(self, machine: Machine | None = None, *, width: int | None = None) -> PositionLayout:
        """The local rule's layout: period ``L = 2W + 2`` counted from the sequence start (the prompt is
        exactly row 0), classes ``header``, ``filler``, ``intermediate``, ``cell`` with the offsets of
        :meth:`offsets` (as increasing sets) — what :meth:`local_rule` gives (``local_rule(m, width=W).layout()``), without
        needing the machine.

        >>> from tmsim.encodings import get_encoding
        >>> lay = get_encoding("tableau-triples").layout(width=4)
        >>> lay.period, lay.classes[:6], lay.names, lay.offsets[2]
        (10, (0, 1, 2, 3, 2, 3), ('header', 'filler', 'intermediate', 'cell'), (2, 4, 6, 7, 9, 11))
        """
        W = self._width_for(width)
        L = 2 * W + 2
        # A layout lists each class's offsets as an increasing set (the rule's context order differs when W < 4).
        return PositionLayout.from_classes(L, [self.position_class(p, width=W) for p in range(L)],
                                           {c: tuple(sorted(o)) for c, o in self.offsets(width=W).items()})

    def local_rule(self, machine: Machine, *, width: int | None = None) -> LocalRule:
        """The local rule for ``machine`` at row width ``width``, as a :class:`LocalRule` (offsets, class
        of a position, next token, and a checker for whole traces)."""
        W = self._width_for(width)
        v = self.vocabulary(machine)
        t = self._tables(machine)
        offs = self.offsets(width=W)

        def classify(p: int) -> str:
            return self.position_class(p, width=W)

        return LocalRule(self.spec, v, 2 * W + 2, 2 * W + 2, offs, classify,
                         lambda cls, ids: self._rule(t, v, cls, list(ids)))

    # ------------------------------------------------------------------ decoding
    def _parse_prompt(self, machine, ids, vocab) -> _Prompt:
        t = self._tables(machine)
        RUN, X = int(t.marks[0]), int(t.marks[2])
        names = vocab.tokens
        if len(ids) < 2 or int(ids[0]) != RUN or int(ids[1]) != X:
            p = 0 if not len(ids) or int(ids[0]) != RUN else 1
            exp = "RUN" if p == 0 else "X"
            raise self._trace_error(f"Not a {self.spec} trace: token {p} must be {exp!r}.", p, exp,
                                    names[int(ids[p])] if p < len(ids) else "end of trace")
        # The width comes from the prompt row alone: its cells sit at 3, 5, ...; the second '#' ends it.
        HASH = int(t.marks[5])
        W = 0
        for c in range(1, (len(ids) - 3) // 2 + 1):
            p = 3 + 2 * c
            if int(ids[p]) == HASH:
                W = c + 1
                break
            if int(ids[p]) not in t.cells:
                break
        L = 2 * W + 2
        if int(ids[3]) != HASH or W < 3:
            p = 3 if len(ids) <= 3 or int(ids[3]) != HASH else min(3 + 2 * max(W, 2), len(ids))
            raise self._trace_error(f"Not a {self.spec} trace: the prompt row must be 'RUN X' then (intermediate, "
                                    f"cell) pairs from a '#' cell to a '#' cell, at least 3 cells.", p,
                                    "a cell token", names[int(ids[p])] if p < len(ids) else "end of trace")
        if self.width is not None and W != self.width:
            raise self._trace_error(f"The prompt row has width {W}, but the encoding says width={self.width}.",
                                    L, f"row width {self.width}", f"row width {W}")
        syms, heads_ = [], []
        for c in range(W):
            p = 3 + 2 * c
            cell = t.cells.get(int(ids[p]))
            if cell is None or cell.hash != (c in (0, W - 1)):
                exp = "'#'" if c in (0, W - 1) else "a cell token"
                raise self._trace_error(f"Not a {self.spec} trace: token {p} (row 0, cell {c}) must be {exp}.",
                                        p, exp, names[int(ids[p])])
            if 0 < c < W - 1:
                syms.append(cell.sym)
                if cell.state >= 0:
                    heads_.append((c - 1, cell.state))
        cells, col = self._input_from_row(machine, syms, heads_, 0, lambda c: 3 + 2 * (c + 1), L)
        left = col + 1
        if self.left is not None and left != self.left:
            raise self._trace_error(f"The prompt's head is in column {left}, but the encoding says "
                                    f"left={self.left}.", 3 + 2 * left, f"head in column {self.left}",
                                    names[int(ids[3 + 2 * left])])
        return _Prompt(cells, L, W, left)

    def _candidate_steps(self, machine, ids, prompt):
        t = self._tables(machine)
        L = prompt.length
        ends = np.flatnonzero(ids[::L] == int(t.marks[1]))
        rows = [int(ends[0]), int(ends[-1])] if ends.size else [len(ids) // L - 1]
        return [r - 1 + d for r in rows for d in (-1, 0, 1)]

    def _describe(self, position, prompt, length):
        r, k = divmod(position, prompt.length)
        cls = self.position_class(position, width=prompt.width)
        where = f"cell {(k - 2) // 2}" if k >= 2 else ""
        return f"row {r}, {cls}{' ' + where if where else ''}"

    def _decoded(self, machine, ids, prompt, trace: Trace) -> DecodedRun:
        t = self._tables(machine)
        W, L = prompt.width, prompt.length
        rows = [[(t.cells[int(ids[r * L + 3 + 2 * c])].sym, t.cells[int(ids[r * L + 3 + 2 * c])].state)
                 for c in range(1, W - 1)] for r in range(trace.steps + 1)]
        return self._rows_from_cells(machine, rows, prompt, trace, list(range(trace.steps + 1)), True)
