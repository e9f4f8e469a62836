"""Trace -> tokens (``gates``): the paper's route (docs/theory.md#gates) — the tableau update compiled into a
circuit of 2-input AND/OR and 1-input NOT gates over one-hot bits, one binary token per gate in
topological order, with the same G gates in every cell so that every gate's inputs sit at FIXED offsets.

Layout (period ``L = (W + 1) G``)::

    row r:  [header block: H 0 0 ... 0] [cell 0: G gate bits] ... [cell W-1: G gate bits]
    rows:   row 0 (prompt, kind 0) | rows 1..T (CoT, kind 1) | END row + <eos> (answer, kind 2)

- The header block is G tokens: ``RUN`` (or ``END`` on the row after the last configuration) and G-1
  ``0`` fillers, so that every row is W + 1 blocks of G and a neighbour outside the row reads as 0.
- Cell block (the circuit, :func:`compile_circuit`): an *update* phase computes the new cell's one-hot
  bits from the cells above — ``sym[x]`` (symbol x), ``hd[q]`` (head in state q), ``bd`` (boundary
  column) — through the pair bits ``A[q,x]`` (head in q on x) of the cells above-left, above and
  above-right; an *auxiliary* phase computes, from the new bits, ``hashead``, the pair bits ``A[q,x]``
  for the next row, the stop bit (halting state, undefined transition, or a move onto a boundary
  column — the latter detected with the left neighbour's bits), and the running *halted flag*
  ``F = F(left neighbour) OR stop``. The header of the next row reads the last cell's ``F`` at offset
  ``G - slot(F)``: END is decided locally.
- Row 0 (the prompt) holds the initial configuration's bits, 0 in the update phase's internal gates, and
  the auxiliary gates evaluated.
- END row: the header block ``END . ... .``; per cell ``[s:<symbol> or #, carrier, . ...]`` where the
  carrier is ``-`` left of the final head and ``=<state>`` from it on; then ``q:<state>`` with
  ``answer="state"``; then ``<eos>``. The answer is the window's final tape.

Local rule: position classes ``header:g`` and ``cell:g`` (g = 0..G-1), from ``position mod L`` (the prompt
is exactly one row; binary tokens cannot mark their own slot, so a shift-invariant learner needs the
position mod L — or use the time-dependent form). Offsets: ``header:0`` (L, G - slot(F)) [+ (G - 1) for
the state answer]; ``header:g`` (g); ``cell:g`` (G — the row type: a bit or RUN means a RUN row — then
the gate's two input offsets, then for the END row's slots 0 and 1 the offsets of the bits above).

Length: ``(T + 2)(W + 1) G + 1`` (+1 with ``answer="state"``): ``(W + 1) G`` tokens per step.
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

__all__ = ["Gates", "Gate", "Circuit", "compile_circuit"]

MARKS = ("0", "1", "RUN", "END", ".", "#", "-")
OPS = ("AND", "OR", "NOT")
SOURCES = ("self", "prev_left", "prev", "prev_right", "left")


@dataclass(frozen=True)
class Gate:
    """One gate of a cell block.

    Attributes
    ----------
    op : {"AND", "OR", "NOT"}
    inputs : tuple of (source, slot)
        ``source`` is ``"self"`` (an earlier gate of this block), ``"prev_left"``/``"prev"``/
        ``"prev_right"`` (the cell above-left/above/above-right) or ``"left"`` (the left neighbour in the
        current row); ``slot`` the gate index in that block. NOT has one input, AND/OR two (possibly
        the same, which makes a copy).
    role : str
        What the gate computes, e.g. ``"sym[1]"`` or ``"A[B,0]"``.
    phase : {"update", "aux"}
    """

    op: str
    inputs: tuple[tuple[str, int], ...]
    role: str
    phase: str


@dataclass(frozen=True, eq=False)
class Circuit:
    """The per-cell gate circuit of a machine (see the module docstring).

    Attributes
    ----------
    gates : tuple of Gate
        In topological (emission) order; ``len(gates)`` is G, the gate count per cell.
    slot_sym, slot_hd : tuple of int
        Gate index of the one-hot output bit of every symbol / every state.
    slot_bd, slot_flag : int
        Gate index of the boundary bit and of the halted flag F.
    """

    gates: tuple[Gate, ...]
    slot_sym: tuple[int, ...]
    slot_hd: tuple[int, ...]
    slot_bd: int
    slot_flag: int

    @property
    def size(self) -> int:
        """G, the gates per cell."""
        return len(self.gates)

    def counts(self) -> dict[str, int]:
        """Gates per op."""
        return {op: sum(g.op == op for g in self.gates) for op in OPS}

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(op, src, slot, row0, outs) int64 arrays for the kernels (see ``_kernels.emit_gates``)."""
        G = self.size
        op = np.array([OPS.index(g.op) for g in self.gates], dtype=np.int64)
        src = np.zeros((G, 2), dtype=np.int64)
        slot = np.zeros((G, 2), dtype=np.int64)
        for i, g in enumerate(self.gates):
            ins = g.inputs if len(g.inputs) == 2 else g.inputs * 2
            for k, (s, t) in enumerate(ins):
                src[i, k], slot[i, k] = SOURCES.index(s), t
        P, Q = len(self.slot_sym), len(self.slot_hd)
        out_code = {s: x for x, s in enumerate(self.slot_sym)}
        out_code.update({s: P + q for q, s in enumerate(self.slot_hd)})
        out_code[self.slot_bd] = P + Q
        row0 = np.array([(out_code.get(i, -1) if g.phase == "update" else -2) for i, g in enumerate(self.gates)],
                        dtype=np.int64)
        outs = np.array(list(self.slot_sym) + list(self.slot_hd) + [self.slot_bd, self.slot_flag], dtype=np.int64)
        return op, src, slot, row0, outs

    def input_offsets(self, g: int, width: int) -> tuple[int, ...]:
        """Offsets (counted back from gate ``g``'s position) of gate ``g``'s inputs at row width ``width``."""
        G = self.size
        L = (width + 1) * G
        base = {"self": 0, "prev_left": L + G, "prev": L, "prev_right": L - G, "left": G}
        return tuple(base[s] + g - t for s, t in self.gates[g].inputs)


class _Builder:
    """Collects gates with symbolic inputs ``(source, key)``, key a slot or a name; resolves at the end."""

    def __init__(self) -> None:
        self.gates: list[list] = []
        self.names: dict[str, int] = {}

    def add(self, op: str, ins: list[tuple[str, object]], role: str, phase: str, name: str | None = None):
        g = len(self.gates)
        self.gates.append([op, ins, role, phase])
        if name is not None:
            self.names[name] = g
        return ("self", g)

    def chain(self, refs: list, role: str, phase: str, name: str | None = None):
        """OR of ``refs`` as a chain of 2-input ORs (the ref itself for one, None for none)."""
        if not refs:
            return None
        if len(refs) == 1:
            if name is not None:
                self.alias(name, refs[0])
            return refs[0]
        r = self.add("OR", [refs[0], refs[1]], role, phase)
        for x in refs[2:]:
            r = self.add("OR", [r, x], role, phase)
        if name is not None:
            self.alias(name, r)
        return r

    def alias(self, name: str, ref) -> None:
        assert ref[0] == "self"
        self.names[name] = self.slot(ref[1])

    def slot(self, key) -> int:
        return key if isinstance(key, int) else self.names[key]

    def build(self) -> tuple[Gate, ...]:
        out = []
        for g, (op, ins, role, phase) in enumerate(self.gates):
            res = tuple((s, self.slot(k)) for s, k in ins)
            for s, t in res:
                if s == "self" and t >= g:
                    raise AssertionError(f"gate {g} ({role}) reads a later gate {t} of its own block")
            out.append(Gate(op, res, role, phase))
        return tuple(out)


def compile_circuit(machine: Machine) -> Circuit:
    """Compile ``machine``'s tableau update into the per-cell gate circuit of the ``gates`` encoding.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> c = compile_circuit(parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"))   # BB(4)
    >>> c.size, c.counts()
    (40, {'AND': 12, 'OR': 27, 'NOT': 1})
    """
    ar = machine.arrays
    P, Q = machine.n_symbols, machine.n_states
    sy, st = machine.symbols, machine.states
    live = [(q, x, int(ar.next_state[q, x]), int(ar.write[q, x]), int(ar.move[q, x]))
            for q in range(Q) for x in range(P) if not ar.halting[q] and ar.next_state[q, x] >= 0]
    undefined = [(q, x) for q in range(Q) for x in range(P) if not ar.halting[q] and ar.next_state[q, x] < 0]
    halting = [q for q in range(Q) if ar.halting[q]]
    b = _Builder()
    U, X = "update", "aux"

    def A(q, x):
        return f"A[{st[q]},{sy[x]}]"

    # Update phase: the new cell's one-hot bits from the cells above.
    nh = b.add("NOT", [("prev", "hashead")], "no head above", U)
    for x in range(P):
        r = b.add("AND", [nh, ("prev", f"sym[{sy[x]}]")], f"keep[{sy[x]}]", U)
        for q, xx, _, w, _ in live:
            if w == x:
                r = b.add("OR", [r, ("prev", A(q, xx))], f"sym[{sy[x]}] (writes)", U)
        b.alias(f"sym[{sy[x]}]", r)
    src_of_move = {1: "prev_left", 0: "prev", -1: "prev_right"}
    for q2 in range(Q):
        terms = [(src_of_move[m], A(q, x)) for q, x, nq, _, m in live if nq == q2]
        if not terms:
            r = b.add("AND", [("prev", "hashead"), nh], f"hd[{st[q2]}] (never entered: 0)", U)
        elif len(terms) == 1:
            r = b.add("OR", [terms[0], terms[0]], f"hd[{st[q2]}]", U)
        else:
            r = b.chain(terms, f"hd[{st[q2]}]", U)
        b.alias(f"hd[{st[q2]}]", r)
    b.add("OR", [("prev", "bd"), ("prev", "bd")], "bd", U, name="bd")
    # Auxiliary phase: facts about the new cell that the next row and the halted flag need.
    hd = [("self", f"hd[{st[q]}]") for q in range(Q)]
    if Q == 1:
        b.add("OR", [hd[0], hd[0]], "hashead", X, name="hashead")
    else:
        b.chain(hd, "hashead", X, name="hashead")
    for q, x, _, _, _ in live:
        b.add("AND", [("self", f"hd[{st[q]}]"), ("self", f"sym[{sy[x]}]")], A(q, x), X, name=A(q, x))
    stops = []
    if halting:
        stops.append(b.chain([("self", f"hd[{st[q]}]") for q in halting], "halting head", X))
    if undefined:
        ds = [b.add("AND", [("self", f"hd[{st[q]}]"), ("self", f"sym[{sy[x]}]")], f"undefined {A(q, x)}", X)
              for q, x in undefined]
        stops.append(b.chain(ds, "undefined transition", X))
    lefts = [("self", A(q, x)) for q, x, _, _, m in live if m == -1]
    if lefts:
        ml = b.chain(lefts, "moves L", X)
        stops.append(b.add("AND", [ml, ("left", "bd")], "moves L onto a boundary", X))
    rights = [("self", A(q, x)) for q, x, _, _, m in live if m == 1]
    if rights:
        b.chain(rights, "moves R", X, name="MR")
        stops.append(b.add("AND", [("self", "bd"), ("left", "MR")], "left neighbour moves R onto me (boundary)", X))
    s = b.chain(stops, "stop", X)
    if s is None:
        s = b.add("AND", [("self", "bd"), ("self", "hashead")], "stop (never: 0)", X)
    b.add("OR", [("left", "F"), s], "F (halted flag)", X, name="F")
    gates = b.build()
    return Circuit(gates, tuple(b.names[f"sym[{x}]"] for x in sy), tuple(b.names[f"hd[{q}]"] for q in st),
                   b.names["bd"], b.names["F"])


class _Tables(NamedTuple):
    circuit: Circuit
    arrays: tuple
    tok_cell: np.ndarray
    tok_carry: np.ndarray
    tok_q: np.ndarray
    marks: np.ndarray
    run_family: frozenset
    sym_of_tok: dict
    carry_state: dict
    q_tokens: frozenset


@dataclass(frozen=True)
class Gates(WindowedEncoding):
    """The ``gates`` encoding: one binary token per gate of the compiled tableau circuit (see the module
    docstring).

    Parameters
    ----------
    answer : {"tape", "state"}
    width : int, optional
        Row width W >= 3 in cells, the two boundary cells included.
    left : int, optional
        Cells left of input position 0, the boundary cell included (>= 1).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> from tmsim.encodings import get_encoding
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> enc = get_encoding("gates")
    >>> G = enc.circuit(m).size
    >>> tr = enc.encode(m)
    >>> G, tr.width, tr.steps, len(tr) == (tr.steps + 2) * (tr.width + 1) * G + 1
    (24, 6, 6, True)
    >>> enc.decode(m, tr).output
    '1111'
    >>> enc.local_rule(m, width=tr.width).check(tr) is None
    True
    """

    name = "gates"
    version = 1
    _boundary = 1

    def _token_names(self, machine: Machine):
        out = list(MARKS) + [f"s:{x}" for x in machine.symbols] + [f"={q}" for q in machine.states]
        if self.answer == "state":
            out += [f"q:{q}" for q in machine.states]
        return out

    def _build_tables(self, machine: Machine) -> _Tables:
        v = self.vocabulary(machine)
        circ = compile_circuit(machine)
        tok_cell = np.array([v.id(f"s:{x}") for x in machine.symbols], dtype=np.int32)
        tok_carry = np.array([v.id(f"={q}") for q in machine.states], dtype=np.int32)
        tok_q = (np.array([v.id(f"q:{q}") for q in machine.states], dtype=np.int32) if self.answer == "state"
                 else np.zeros(machine.n_states, dtype=np.int32))
        marks = np.array([v.id(m) for m in MARKS], dtype=np.int32)
        return _Tables(circ, circ.arrays(), tok_cell, tok_carry, tok_q, marks,
                       frozenset({v.id("0"), v.id("1"), v.id("RUN")}), {int(t): x for x, t in enumerate(tok_cell)},
                       {int(t): q for q, t in enumerate(tok_carry)},
                       frozenset(int(t) for t in tok_q) if self.answer == "state" else frozenset())

    def circuit(self, machine: Machine) -> Circuit:
        """The per-cell gate circuit for ``machine`` (G = ``circuit(machine).size`` gates per cell)."""
        self._check_machine(machine, "circuit")
        return self._tables(machine).circuit

    def _lengths(self, machine, n, steps, widths, answer_lengths):
        G = self._tables(machine).circuit.size
        return (steps + 2) * (widths + 1) * G + 1 + (1 if self.answer == "state" else 0)

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        if machine is None:
            raise EncodingError("gates.length needs the machine (its gate count per cell): pass machine=...")
        return super()._length_one(n, steps, space, answer_len, machine)

    def length_formula(self, machine: Machine | None = None):
        T, S = sympy.symbols("T S", integer=True, nonnegative=True)
        G = sympy.Symbol("G", integer=True, positive=True) if machine is None else self.circuit(machine).size
        return (T + 2) * (S + 1) * G + 1 + (1 if self.answer == "state" else 0)

    def _emit(self, machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds):
        t = self._tables(machine)
        op, src, slot, row0, outs = t.arrays
        impl.emit_gates(op, src, slot, row0, outs, machine.n_symbols, machine.n_states, cells, offsets,
                        machine.state_index[machine.start], sizes.steps, sizes.widths, sizes.lefts, t.tok_cell,
                        t.tok_carry, t.tok_q, t.marks, self.answer == "state", out_offsets, tokens, kinds)

    # ------------------------------------------------------------------ the local rule
    def _width_for(self, width: int | None) -> int:
        W = self.width if width is None else width
        if W is None:
            raise EncodingError(f"{self.name}: the offsets depend on the row width; pass width=W or build the "
                                f"encoding with a fixed width.")
        if isinstance(W, bool) or not isinstance(W, (int, np.integer)) or W < 3:
            raise EncodingError(f"The 'width' parameter of {self.name} must be an integer >= 3. Got {W!r} instead.")
        return int(W)

    def offsets(self, machine: Machine, *, width: int | None = None) -> dict[str, tuple[int, ...]]:
        """The fixed relative offsets every position class (``header:g``, ``cell:g``) depends on."""
        self._check_machine(machine, "offsets")
        W = self._width_for(width)
        c = self.circuit(machine)
        G = c.size
        L = (W + 1) * G
        out: dict[str, tuple[int, ...]] = {}
        out["header:0"] = (L, G - c.slot_flag) + ((G - 1,) if self.answer == "state" else ())
        for g in range(1, G):
            out[f"header:{g}"] = (g,)
        for g in range(G):
            offs = [G] + list(c.input_offsets(g, W))
            if g == 0:
                offs += [L - s for s in c.slot_sym] + [L - c.slot_bd]
            elif g == 1:
                offs += [L + 1 - s for s in c.slot_hd]
            out[f"cell:{g}"] = tuple(dict.fromkeys(offs))
        return out

    def position_class(self, position: int, machine: Machine, *, width: int | None = None) -> str:
        """``header:g`` or ``cell:g`` from ``position mod L``."""
        G = self.circuit(machine).size
        r = position % ((self._width_for(width) + 1) * G)
        return f"header:{r}" if r < G else f"cell:{r % G}"

    def next_token_from_offsets(self, machine: Machine, position_class: str, context: Sequence[str],
                                *, width: int | None = None) -> str | None:
        """THE LOCAL RULE: the token of a position of class ``position_class`` given the token names at
        ``offsets(machine, width=...)[position_class]``, in that order (None for impossible contexts)."""
        rule = self.local_rule(machine, width=width)
        return rule.next_token(position_class, context)

    def layout(self, machine: Machine | None = None, *, width: int | None = None) -> PositionLayout:
        """The local rule's layout: period ``L = (W + 1) G`` counted from the sequence start (the prompt is
        exactly row 0), classes ``header:g`` and ``cell:g`` with the offsets of :meth:`offsets` (the same as
        ``local_rule(machine, width=W).layout()``). Needs the machine: G is its gates per cell.

        >>> from tmsim import parse_standard
        >>> from tmsim.encodings import get_encoding
        >>> lay = get_encoding("gates").layout(parse_standard("1RB1LB_1LA1RZ"), width=4)
        >>> lay.period, lay.n_classes, lay.names[:2], lay.class_of(24 + 3)
        (120, 48, ('header:0', 'header:1'), 27)
        """
        if machine is None:
            raise EncodingError("The 'machine' parameter of gates.layout is required: the period depends on the "
                                "machine's gates per cell. Got None instead.")
        return self.local_rule(machine, width=width).layout()

    def local_rule(self, machine: Machine, *, width: int | None = None) -> LocalRule:
        """The local rule for ``machine`` at row width ``width`` as a :class:`LocalRule`."""
        W = self._width_for(width)
        t = self._tables(machine)
        v = self.vocabulary(machine)
        c = t.circuit
        G = c.size
        L = (W + 1) * G
        offs = self.offsets(machine, width=W)
        ZERO, ONE, RUN, END, DOT, HASH, DASH = (int(m) for m in t.marks)
        op = [g.op for g in c.gates]
        ins = [c.input_offsets(g, W) for g in range(G)]

        def rule(cls: str, ids: list[int]) -> int | None:
            kind, g = cls.split(":")
            g = int(g)
            tok = dict(zip(offs[cls], ids))
            if kind == "header":
                if g == 0:
                    tL = tok[L]
                    if tL == RUN:
                        return END if tok[G - c.slot_flag] == ONE else RUN
                    if tL == END:
                        if self.answer == "state":
                            q = t.carry_state.get(tok[G - 1])
                            return None if q is None else int(t.tok_q[q])
                        return EOS
                    return None
                tg = tok[g]
                return ZERO if tg == RUN else DOT if tg == END else EOS if tg in t.q_tokens else None
            if tok[G] in t.run_family:
                a = tok[ins[g][0]] == ONE
                if op[g] == "NOT":
                    return ZERO if a else ONE
                bb = tok[ins[g][1]] == ONE
                return ONE if ((a and bb) if op[g] == "AND" else (a or bb)) else ZERO
            if g == 0:
                if tok[L - c.slot_bd] == ONE:
                    return HASH
                for x, s in enumerate(c.slot_sym):
                    if tok[L - s] == ONE:
                        return int(t.tok_cell[x])
                return None
            if g == 1:
                for q, s in enumerate(c.slot_hd):
                    if tok[L + 1 - s] == ONE:
                        return int(t.tok_carry[q])
                return tok[G] if tok[G] in t.carry_state else DASH
            return DOT

        return LocalRule(self.spec, v, L, L, offs, lambda p: self.position_class(p, machine, width=W), rule)

    # ------------------------------------------------------------------ decoding
    def _cells_of_row(self, t: _Tables, ids: np.ndarray, start: int, W: int) -> list[tuple[bool, list, list]]:
        """Per cell of the row starting at ``start``: (bd bit, symbols whose bit is 1, states whose bit is 1)."""
        c = t.circuit
        G = c.size
        ONE = int(t.marks[1])
        out = []
        for col in range(W):
            base = start + G * (col + 1)
            out.append((int(ids[base + c.slot_bd]) == ONE,
                        [x for x, s in enumerate(c.slot_sym) if int(ids[base + s]) == ONE],
                        [q for q, s in enumerate(c.slot_hd) if int(ids[base + s]) == ONE]))
        return out

    def _parse_prompt(self, machine, ids, vocab) -> _Prompt:
        t = self._tables(machine)
        c = t.circuit
        G = c.size
        RUN = int(t.marks[2])
        names = vocab.tokens
        if not len(ids) or int(ids[0]) != RUN:
            raise self._trace_error(f"Not a {self.spec} trace: token 0 must be 'RUN'.", 0, "RUN",
                                    names[int(ids[0])] if len(ids) else "end of trace")
        # The width comes from the prompt row alone: the second cell with the boundary bit set ends it.
        ONE = int(t.marks[1])
        W = 0
        for col in range(len(ids) // G - 1):
            if int(ids[G * (col + 1) + c.slot_bd]) == ONE and col > 0:
                W = col + 1
                break
        L = (W + 1) * G
        if W < 3:
            p = min(L if W else len(ids), len(ids))
            raise self._trace_error(f"Not a {self.spec} trace: the prompt row must be a header block and at least "
                                    f"3 cell blocks of G = {G} gates, from a boundary cell to a boundary cell.",
                                    p, "a boundary cell", names[int(ids[p])] if p < len(ids) else "end of trace")
        if self.width is not None and W != self.width:
            raise self._trace_error(f"The prompt row has width {W}, but the encoding says width={self.width}.",
                                    L, f"row width {self.width}", f"row width {W}")
        syms, heads_ = [], []
        for col, (bd, xs, qs) in enumerate(self._cells_of_row(t, ids, 0, W)):
            base = G * (col + 1)
            if bd != (col in (0, W - 1)) or (not bd and len(xs) != 1) or len(qs) > 1:
                p = base + (c.slot_bd if bd != (col in (0, W - 1)) else c.slot_sym[0] if len(xs) != 1 else c.slot_hd[0])
                raise self._trace_error(f"Not a {self.spec} trace: cell {col} of the prompt row is not a valid "
                                        f"one-hot cell.", p, "a one-hot cell", names[int(ids[p])])
            if not bd:
                syms.append(xs[0])
                if qs:
                    heads_.append((col - 1, qs[0]))
        cells, col = self._input_from_row(machine, syms, heads_, 0,
                                          lambda k: G * (k + 2) + c.slot_sym[0], L)
        left = col + 1
        if self.left is not None and left != self.left:
            raise self._trace_error(f"The prompt's head is in column {left}, but the encoding says "
                                    f"left={self.left}.", G * (left + 1), f"head in column {self.left}",
                                    f"head in column {left}")
        return _Prompt(cells, L, W, left)

    def _candidate_steps(self, machine, ids, prompt):
        t = self._tables(machine)
        L = prompt.length
        ends = np.flatnonzero(ids[::L] == int(t.marks[3]))
        rows = [int(ends[0]), int(ends[-1])] if ends.size else [len(ids) // L - 1]
        return [r - 1 + d for r in rows for d in (-1, 0, 1)]

    def _describe(self, position, prompt, length):
        G = prompt.length // (prompt.width + 1)
        r, k = divmod(position, prompt.length)
        blk, g = divmod(k, G)
        return f"row {r}, header block slot {g}" if blk == 0 else f"row {r}, cell {blk - 1}, gate {g}"

    def _decoded(self, machine, ids, prompt, trace: Trace) -> DecodedRun:
        t = self._tables(machine)
        W, L = prompt.width, prompt.length
        rows = []
        for r in range(trace.steps + 1):
            cells = self._cells_of_row(t, ids, r * L, W)[1:W - 1]
            rows.append([(xs[0], qs[0] if qs else -1) for _, xs, qs in cells])
        return self._rows_from_cells(machine, rows, prompt, trace, list(range(trace.steps + 1)), True)
