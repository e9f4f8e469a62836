"""Trace -> tokens (``tableau``, ``snapshots``): every configuration (or every k-th) as a row of W cell
tokens, the Cook-Levin tableau, then the answer.

Layout::

    c_0 ... c_{W-1} |  c_0 ... c_{W-1} |  ...  c_0 ... c_{W-1} |  <ans> s:x ... s:x <eos>
    '-- row 0: prompt (0) --'  '-- rows of steps 1..T: CoT (1) --'  '---- answer (2) ----'

- A cell is ``s:<symbol>`` (a plain cell) or ``h:<state>:<symbol>`` (the head cell: state and the symbol
  under the head). Column ``c`` is tape position ``c - left``. ``|`` ends every row.
- ``snapshots(every=k)`` keeps row 0, the rows of steps k, 2k, ... and always the last step's row;
  ``every=1`` is ``tableau``.
- Width: ``width`` fixed, or per run the visited span plus one blank margin cell on each side. A run whose
  head would leave the window stops there with status ``tape_limit`` (:meth:`Encoding.encode` raises unless
  ``on_timeout="label"``; batches report it per sample).
- Length: ``(R)(W + 1) + 1 + A + 1`` with ``R = T + 1`` rows (``R = ceil(T/k) + 1`` for snapshots);
  ``W + 1`` tokens per step (``(W + 1)/k`` for snapshots).

Decoding ``snapshots`` of a run cut by the step budget takes the smallest step count consistent with the
last row (a run that repeats a configuration within the last gap is ambiguous there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from ..machine import Machine
from .base import _check_int, _Prompt
from .errors import EncodingError
from .layout import PositionLayout
from .types import DecodedRun, Trace
from .windowed import WindowedEncoding
from .vocab import ANS

__all__ = ["Tableau", "Snapshots"]


class _Tables(NamedTuple):
    tok_cell: np.ndarray  # int32 (n_symbols,): s:x
    tok_head: np.ndarray  # int32 (n_states * n_symbols,): h:q:x
    tok_q: np.ndarray     # int32 (n_states,): q:q (zeros unless answer="state")
    bar: int
    cell_info: dict       # id -> (symbol, state or -1)


@dataclass(frozen=True)
class Tableau(WindowedEncoding):
    """The ``tableau`` encoding: one row of W cells per configuration (see the module docstring).

    Parameters
    ----------
    answer : {"tape", "state"}
    width, left : int, optional
        Row width and cells left of input position 0 (default: from the run, with a one-cell margin).

    Examples
    --------
    >>> from tmsim import Machine
    >>> from tmsim.encodings import get_encoding
    >>> flip = Machine(["A", "H"], ["_", "0", "1"], "_", ["0", "1"], "A", ["H"],
    ...                {("A", "0"): ("A", "1", "R"), ("A", "1"): ("A", "0", "R"), ("A", "_"): ("H", "_", "S")})
    >>> tr = get_encoding("tableau").encode(flip, "01")
    >>> print(tr.text().replace(" | ", " |\\n"))
    s:_ h:A:0 s:1 s:_ s:_ |
    s:_ s:1 h:A:1 s:_ s:_ |
    s:_ s:1 s:0 h:A:_ s:_ |
    s:_ s:1 s:0 h:H:_ s:_ |
    <ans> s:1 s:0 <eos>
    >>> tr.width, tr.left, len(tr) == get_encoding("tableau").length(2, 3, 5, answer_len=2)
    (5, 1, True)
    """

    name = "tableau"
    version = 1

    @property
    def _every(self) -> int:
        return 1

    def _token_names(self, machine: Machine):
        out = ["|"] + [f"s:{x}" for x in machine.symbols]
        out += [f"h:{q}:{x}" for q in machine.states for x in machine.symbols]
        if self.answer == "state":
            out += [f"q:{q}" for q in machine.states]
        return out

    def _build_tables(self, machine: Machine) -> _Tables:
        v = self.vocabulary(machine)
        tok_cell = np.array([v.id(f"s:{x}") for x in machine.symbols], dtype=np.int32)
        tok_head = np.array([v.id(f"h:{q}:{x}") for q in machine.states for x in machine.symbols], dtype=np.int32)
        tok_q = (np.array([v.id(f"q:{q}") for q in machine.states], dtype=np.int32) if self.answer == "state"
                 else np.zeros(machine.n_states, dtype=np.int32))
        info = {int(t): (x, -1) for x, t in enumerate(tok_cell)}
        S = machine.n_symbols
        info.update({int(t): (i % S, i // S) for i, t in enumerate(tok_head)})
        return _Tables(tok_cell, tok_head, tok_q, v.id("|"), info)

    def _rows(self, steps):
        k = self._every
        return (steps + k - 1) // k + 1

    def _lengths(self, machine, n, steps, widths, answer_lengths):
        return self._rows(steps) * (widths + 1) + answer_lengths + 2

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        if answer_len is None:
            raise EncodingError(f"{self.name}.length with answer='tape' needs answer_len (the final tape's "
                                f"non-blank span length).")
        return super()._length_one(n, steps, space, answer_len, machine)

    def length_formula(self, machine: Machine | None = None):
        T, S, A = sympy.symbols("T S A", integer=True, nonnegative=True)
        k = self._every
        rows = T + 1 if k == 1 else sympy.ceiling(T / k) + 1
        return rows * (S + 1) + (1 if self.answer == "state" else A) + 2

    def _emit(self, machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds):
        t = self._tables(machine)
        impl.emit_tableau(machine.arrays.packed, machine.n_symbols, cells, offsets,
                          machine.state_index[machine.start], sizes.steps, sizes.widths, sizes.lefts, self._every,
                          t.tok_cell, t.tok_head, t.tok_q, t.bar, self.answer == "state", out_offsets, tokens,
                          kinds)

    # ------------------------------------------------------------------ layout
    def layout(self, machine: Machine | None = None, *, width: int | None = None) -> PositionLayout:
        """The row structure: with a fixed row width W (``width``, else the encoding's), every row is W cells
        and ``|``, and the prompt is exactly row 0, so position ``t`` (from the sequence start) is a cell
        when ``t mod (W + 1) < W`` and the separator when it is W: period ``W + 1``, classes ``"cell"`` and
        ``"separator"``. ``snapshots`` keeps whole rows, so its layout is the same. No offsets are declared
        (the answer section is not local). Without a fixed width every run picks its own, so no period
        fits all traces: :meth:`PositionLayout.shift_invariant`.

        ``machine`` is accepted for symmetry with ``gates`` (unused).

        >>> from tmsim.encodings import get_encoding
        >>> lay = get_encoding("tableau", width=4).layout()
        >>> lay.period, lay.classes, lay.names
        (5, (0, 0, 0, 0, 1), ('cell', 'separator'))
        >>> get_encoding("snapshots(every=3)").layout(width=4) == lay, get_encoding("tableau").layout().period
        (True, 1)
        """
        W = self.width if width is None else _check_int("width", width, 1, f"{self.name}.layout")
        if W is None:
            return PositionLayout.shift_invariant()
        return PositionLayout.from_classes(W + 1, ["cell"] * W + ["separator"])

    # ------------------------------------------------------------------ decoding
    def _parse_prompt(self, machine, ids, vocab) -> _Prompt:
        t = self._tables(machine)
        syms, heads = [], []
        for i, tok in enumerate(ids):
            tok = int(tok)
            if tok == t.bar and i > 0:
                W = i
                if self.width is not None and W != self.width:
                    raise self._trace_error(f"The prompt row has {W} cells, but the encoding says "
                                            f"width={self.width}.", i, "a cell token", "|")
                cells, left = self._input_from_row(machine, syms, heads, 0, lambda c: c, W)
                if self.left is not None and left != self.left:
                    raise self._trace_error(f"The prompt's head is in column {left}, but the encoding says "
                                            f"left={self.left}.", left, f"head in column {self.left}",
                                            vocab.tokens[int(ids[left])])
                return _Prompt(cells, W + 1, W, left)
            if tok not in t.cell_info:
                raise self._trace_error(f"Not a {self.spec} trace of machine {machine.name!r}: token {i} of "
                                        f"the prompt row must be a cell token or '|', found "
                                        f"{vocab.tokens[tok]!r}.", i, "a cell token or '|'", vocab.tokens[tok])
            x, q = t.cell_info[tok]
            syms.append(x)
            if q >= 0:
                heads.append((i, q))
        raise self._trace_error(f"Not a {self.spec} trace of machine {machine.name!r}: the prompt row never "
                                f"ends (no '|').", len(ids), "'|'", "end of trace")

    def _candidate_steps(self, machine, ids, prompt):
        marks = np.flatnonzero(ids == ANS)
        ends = [int(marks[0]), int(marks[-1])] if marks.size else [len(ids)]
        k = self._every
        out = []
        for e in ends:
            for rows in (e // (prompt.width + 1) + d for d in (-1, 0, 1)):
                if rows <= 1:
                    out.append(0)
                else:
                    out.extend(range((rows - 2) * k + 1, (rows - 1) * k + 1))
        return out

    def _describe(self, position, prompt, length):
        r, c = divmod(position, prompt.width + 1)
        where = "the row separator" if c == prompt.width else f"cell {c}"
        return f"row {r}, {where}, or the answer"

    def _decoded(self, machine, ids, prompt, trace: Trace) -> DecodedRun:
        t = self._tables(machine)
        W = prompt.width
        k = self._every
        nrows = int(self._rows(trace.steps))
        rows = [[t.cell_info[int(tok)] for tok in ids[r * (W + 1):r * (W + 1) + W]] for r in range(nrows)]
        steps = [min(r * k, trace.steps) for r in range(nrows)]
        return self._rows_from_cells(machine, rows, prompt, trace, steps, k == 1)


@dataclass(frozen=True)
class Snapshots(Tableau):
    """The ``snapshots(every=k)`` encoding: the tableau rows of steps 0, k, 2k, ... and the last step.

    Parameters
    ----------
    every : int, default 1
        Keep every ``every``-th configuration (>= 1); the CoT-length knob. ``every=1`` equals ``tableau``.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> from tmsim.encodings import get_encoding
    >>> bb2 = parse_standard("1RB1LB_1LA1RZ")
    >>> tr = get_encoding("snapshots(every=4)").encode(bb2)
    >>> tr.steps, tr.text().count("|")
    (6, 3)
    """

    name = "snapshots"
    version = 1
    every: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("every", self.every, 1, self.name)
        if self.every > 1 << 62:  # the length arithmetic is int64
            raise EncodingError(f"The 'every' parameter of {self.name} must be an integer in [1, 2**62]. Got "
                                f"{self.every} instead.")

    @property
    def _every(self) -> int:
        return self.every
