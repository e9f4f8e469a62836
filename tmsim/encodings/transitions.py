"""Trace -> tokens (``transitions``): the input, then one 5-token record per step (state, read, write,
move, next state), then the answer.

Layout (token families in brackets)::

    s:x ... s:x <sep> | q:A r:0 w:1 m:R n:B  q:B r:1 ... | <ans> s:x ... s:x <eos>
    '-- prompt (0) --'  '--------- CoT (1): 5 per step --' '------ answer (2) ------'

- ``s:<symbol>``: a tape symbol (input and answer), ``q:<state>`` the state before the step,
  ``r:<symbol>`` the symbol read, ``w:<symbol>`` the symbol written, ``m:L``/``m:S``/``m:R`` the move,
  ``n:<state>`` the next state: five disjoint families, so every field is recognisable on its own.
- The answer is the final tape's non-blank span as ``s:`` tokens (``answer="tape"``) or the final
  ``q:<state>`` (``answer="state"``).
- Length: ``n + 1 + 5T + 1 + A + 1`` (A = answer symbols). 5 tokens per step.

This is the compact control case: the symbol under the head sits at a variable distance back, so no fixed
window of offsets determines ``r:`` (docs/theory.md#position-classes-and-local-rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from ..machine import Machine, Move
from ..simulate import configurations
from .base import Encoding, _Prompt, result_from_cells
from .layout import PositionLayout
from .types import DecodedRun, Trace
from .errors import EncodingError
from .vocab import ANS, SEP

__all__ = ["Transitions"]


class _Tables(NamedTuple):
    tok_sym: np.ndarray   # int32 (n_symbols,): s:x
    tok_q: np.ndarray     # int32 (n_states,): q:q
    rec: np.ndarray       # int32 (n_states * n_symbols, 5): the record of the step from each table index
    info: dict            # id -> (field, index) for decoding


@dataclass(frozen=True)
class Transitions(Encoding):
    """The ``transitions`` encoding: one 5-token record per step (see the module docstring).

    Examples
    --------
    >>> from tmsim import Machine
    >>> from tmsim.encodings import get_encoding
    >>> flip = Machine(["A", "H"], ["_", "0", "1"], "_", ["0", "1"], "A", ["H"],
    ...                {("A", "0"): ("A", "1", "R"), ("A", "1"): ("A", "0", "R"), ("A", "_"): ("H", "_", "S")})
    >>> enc = get_encoding("transitions")
    >>> tr = enc.encode(flip, "01")
    >>> tr.text()
    's:0 s:1 <sep> q:A r:0 w:1 m:R n:A q:A r:1 w:0 m:R n:A q:A r:_ w:_ m:S n:H <ans> s:1 s:0 <eos>'
    >>> tr.kinds.tolist()[:3], len(tr) == enc.length(2, 3, answer_len=2)
    ([0, 0, 0], True)
    >>> enc.decode(flip, tr).output
    '10'
    >>> enc.length_formula()
    A + 5*T + n + 3
    """

    name = "transitions"
    version = 1

    def _token_names(self, machine: Machine):
        out = [f"s:{x}" for x in machine.symbols] + [f"q:{q}" for q in machine.states]
        out += [f"r:{x}" for x in machine.symbols] + [f"w:{x}" for x in machine.symbols]
        out += ["m:L", "m:S", "m:R"] + [f"n:{q}" for q in machine.states]
        return out

    def _build_tables(self, machine: Machine) -> _Tables:
        v = self.vocabulary(machine)
        S = machine.n_symbols
        tok_sym = np.array([v.id(f"s:{x}") for x in machine.symbols], dtype=np.int32)
        tok_q = np.array([v.id(f"q:{q}") for q in machine.states], dtype=np.int32)
        rec = np.zeros((machine.n_states * S, 5), dtype=np.int32)
        for (state, read), r in machine.transitions.items():
            i = machine.state_index[state] * S + machine.symbol_index[read]
            rec[i] = (v.id(f"q:{state}"), v.id(f"r:{read}"), v.id(f"w:{r.write}"),
                      v.id(f"m:{Move(r.move).letter}"), v.id(f"n:{r.next}"))
        info = {}
        for i, t in enumerate(v.tokens):
            if ":" in t and not t.startswith("<"):
                info[i] = t[0]
        return _Tables(tok_sym, tok_q, rec, info)

    def _lengths(self, machine, n, steps, widths, answer_lengths):
        return n + 5 * steps + answer_lengths + 3

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        if answer_len is None:
            raise EncodingError("transitions.length with answer='tape' needs answer_len (the final tape's "
                                "non-blank span length).")
        return n + 1 + 5 * steps + 1 + answer_len + 1

    def length_formula(self, machine: Machine | None = None):
        n, T, A = sympy.symbols("n T A", integer=True, nonnegative=True)
        return n + 5 * T + (1 if self.answer == "state" else A) + 3

    def _emit(self, machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds):
        t = self._tables(machine)
        impl.emit_transitions(machine.arrays.packed, machine.n_symbols, cells, offsets,
                              machine.state_index[machine.start], sizes.steps, t.rec, t.tok_sym, t.tok_q,
                              self.answer == "state", out_offsets, tokens, kinds)

    # ------------------------------------------------------------------ layout
    def layout(self, machine: Machine | None = None, *, width: int | None = None) -> PositionLayout:
        """:meth:`PositionLayout.shift_invariant`: the records are 5 tokens each, but they start after a
        prompt of ``n + 1`` tokens, so counted from the sequence start no period fits inputs of different
        lengths (and the symbol read sits at a variable distance back: nothing to declare).

        ``machine`` and ``width`` are accepted for symmetry with the other encodings; ``width`` must be
        None (``transitions`` has no rows).

        >>> from tmsim.encodings import get_encoding
        >>> get_encoding("transitions").layout()
        PositionLayout(period=1, classes=(0,), names=('all',), offsets=None)
        """
        if width is not None:
            raise EncodingError(f"The 'width' parameter of transitions.layout must be None (transitions has no "
                                f"rows). Got {width!r} instead.")
        return PositionLayout.shift_invariant()

    # ------------------------------------------------------------------ decoding
    def _parse_prompt(self, machine, ids, vocab) -> _Prompt:
        t = self._tables(machine)
        sym_of = {int(tok): x for x, tok in enumerate(t.tok_sym)}
        allowed = {machine.symbol_index[s] for s in machine.input_symbols}
        cells = []
        for i, tok in enumerate(ids):
            tok = int(tok)
            if tok == SEP:
                return _Prompt(np.array(cells, dtype=np.uint8), i + 1)
            if sym_of.get(tok) not in allowed:
                raise self._trace_error(
                    f"Not a transitions trace of machine {machine.name!r}: token {i} must be an input symbol "
                    f"token or '<sep>', found {vocab.tokens[tok]!r}.", i, "an input symbol or '<sep>'",
                    vocab.tokens[tok])
            cells.append(sym_of[tok])
        raise self._trace_error(f"Not a transitions trace of machine {machine.name!r}: the prompt never ends "
                                f"(no '<sep>').", len(ids), "'<sep>'", "end of trace")

    def _candidate_steps(self, machine, ids, prompt):
        p0 = prompt.length
        marks = np.flatnonzero(ids[p0:] == ANS)
        ends = [int(marks[0]), int(marks[-1])] if marks.size else [len(ids) - p0]
        return [e // 5 + d for e in ends for d in (-1, 0, 1)]

    def _describe(self, position, prompt, length):
        if position < prompt.length:
            return "prompt"
        k, f = divmod(position - prompt.length, 5)
        return f"step {k + 1}, field {('state', 'read', 'write', 'move', 'next state')[f]}, or the answer"

    def _decoded(self, machine, ids, prompt, trace: Trace) -> DecodedRun:
        inp = machine.decode_tape(prompt.cells)
        configs = tuple(configurations(machine, list(inp), max_steps=trace.steps))
        recs = []
        names = trace.vocabulary.tokens
        for k in range(trace.steps):
            f = [names[int(t)].split(":", 1)[1] for t in ids[prompt.length + 5 * k:prompt.length + 5 * k + 5]]
            recs.append((f[0], f[1], f[2], Move.parse(f[3]), f[4]))
        last = configs[-1]
        syms = [machine.symbol_index[s] for s in last.tape]
        result = result_from_cells(machine, trace.status, trace.steps, machine.state_index[last.state], last.head,
                                   syms, last.tape_start)
        return DecodedRun(inp, configs, tuple(range(len(configs))), tuple(recs), result,
                          self._answer_of(machine, result))
