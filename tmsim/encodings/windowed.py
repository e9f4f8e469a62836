"""Trace -> tokens (row windows): :class:`WindowedEncoding`, the shared machinery of the schemes that write
every configuration as a row of a fixed-width window of cells (``tableau``, ``snapshots``,
``tableau-triples``, ``gates``): choosing the width and left margin per run, confining the head to the
window, reading the input back from the prompt row, and decoding rows into configurations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..machine import Machine, Move
from ..simulate import Configuration
from .base import _BIG, Encoding, _check_int, _Prompt, result_from_cells
from .errors import EncodingError
from .types import DecodedRun, RunSizes, Trace

__all__ = ["WindowedEncoding"]


#: Largest row width (and ``left``) of the tableau-style encodings: a row of more cells is no CoT.
MAX_WIDTH = 1 << 31


@dataclass(frozen=True)
class WindowedEncoding(Encoding):
    """Base of the encodings that write configurations as rows of a fixed-width window.

    Parameters
    ----------
    width : int, optional
        Row width W in cells (boundary cells included). Default: chosen per run, the visited span plus one
        margin cell on each side. Fix it to give short and long inputs one layout.
    left : int, optional
        Cells of the row left of input position 0 (so input position p is column ``p + left``). Default:
        chosen per run, the cells the run visits left of position 0 plus the margin.
    """

    width: int | None = None
    left: int | None = None
    #: Boundary columns on each side that the head may never enter (1 for the local encodings).
    _boundary: ClassVar[int] = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        b = self._boundary
        _check_int("width", self.width, 1 + 2 * b, self.name, allow_none=True)
        _check_int("left", self.left, b, self.name, allow_none=True)
        for name in ("width", "left"):
            v = getattr(self, name)
            if v is not None and v > MAX_WIDTH:  # the kernels and the length arithmetic are int64
                raise EncodingError(f"The {name!r} parameter of {self.name} must be at most MAX_WIDTH = "
                                    f"{MAX_WIDTH:,}. Got {v} instead.")
        if self.width is not None and self.left is not None and self.left > self.width - 1 - b:
            raise EncodingError(f"The 'left' parameter of {self.name} must leave input position 0 inside the "
                                f"row (left <= width - {1 + b} = {self.width - 1 - b}). Got left={self.left}.")

    def _sizes(self, machine: Machine, cells, offsets, max_steps: int, impl) -> RunSizes:
        """Counting pass with windows: choose width/left per sample (unless given), confine the head to the
        window's columns ``[b, W-1-b]`` and size every trace."""
        n = len(offsets) - 1
        lens = np.diff(offsets)
        nn = np.maximum(lens, 1)
        b = self._boundary
        lo_free = np.full(n, -_BIG, dtype=np.int64)
        hi_free = np.full(n, _BIG, dtype=np.int64)
        if self.width is None:
            if self.left is None:
                status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, lo_free, hi_free)
                lefts = 1 - lo
            else:
                lefts = np.full(n, self.left, dtype=np.int64)
                status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, b - lefts,
                                                          hi_free)
            widths = lefts + hi + 2
        else:
            W = self.width
            if self.left is None:
                _, _, lo0, _, _ = self._count(machine, impl, cells, offsets, max_steps, lo_free, hi_free)
                lefts = np.minimum(1 - lo0, W - b - nn)
            else:
                lefts = np.full(n, self.left, dtype=np.int64)
            bad = np.flatnonzero((lefts < b) | (lefts + nn > W - b))
            if bad.size:
                j = int(bad[0])
                left = int(lefts[j]) if self.left is not None else b
                which = f"inputs[{j}]" if n > 1 else "the input"
                raise EncodingError(
                    f"The 'width' parameter of {self.spec} is too small for the input: {which} has "
                    f"{int(lens[j])} symbols, which need width >= {left + int(nn[j]) + b} (left={left}"
                    f"{', plus a boundary cell' if b else ''}). Got width={W}.")
            widths = np.full(n, W, dtype=np.int64)
            status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, b - lefts,
                                                      W - 1 - b - lefts)
        ans = np.ones(n, dtype=np.int64) if self.answer == "state" else span
        return RunSizes(status, steps, lens, ans, widths, lefts,
                        self._lengths(machine, lens, steps, widths, ans))

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        if space is None:
            raise EncodingError(f"{self.name}.length needs the row width: pass space=W.")
        return int(self._lengths(machine, np.array([n]), np.array([steps]), np.array([space]),
                                 np.array([-1 if answer_len is None else answer_len]))[0])

    def _rows_from_cells(self, machine: Machine, rows: list[list[tuple[int, int]]], prompt: _Prompt,
                         trace: Trace, config_steps: list[int], with_transitions: bool) -> DecodedRun:
        """Build a :class:`DecodedRun` from rows of (symbol, state or -1) per column (boundary columns
        dropped by the caller)."""
        b = self._boundary
        left = prompt.left
        configs = []
        for row in rows:
            syms, head, state = [], 0, 0
            for c, (x, q) in enumerate(row):
                syms.append(x)
                if q >= 0:
                    head, state = c, q
            configs.append(Configuration(machine.states[state], machine.decode_tape(syms), b - left, head + b - left))
        last = configs[-1]
        syms_last = [machine.symbol_index[s] for s in last.tape]
        result = result_from_cells(machine, trace.status, trace.steps, machine.state_index[last.state], last.head,
                                   syms_last, last.tape_start)
        transitions = None
        if with_transitions:
            transitions = tuple(
                (c0.state, c0.symbol_at(c0.head, machine.blank), c1.symbol_at(c0.head, machine.blank),
                 Move(c1.head - c0.head), c1.state) for c0, c1 in zip(configs, configs[1:]))
        return DecodedRun(machine.decode_tape(prompt.cells), tuple(configs), tuple(config_steps), transitions,
                          result, self._answer_of(machine, result), prompt.width, prompt.left)

    def _input_from_row(self, machine: Machine, syms: list[int], heads: list[tuple[int, int]], col0: int,
                        pos_of_col, prompt_len: int) -> tuple[np.ndarray, int]:
        """Read the input and the left margin from the cells of a windowed prompt row.

        ``syms[c]`` is the symbol of column ``c`` (from column ``col0`` on), ``heads`` the (column, state)
        of every head cell; ``pos_of_col(c)`` the token position of column ``c`` (for error messages).
        """
        start = machine.state_index[machine.start]
        if len(heads) != 1:
            p = pos_of_col(heads[1][0]) if len(heads) > 1 else prompt_len - 1
            raise self._trace_error(f"The prompt row must hold exactly one head cell; found {len(heads)}.",
                                    p, "one head cell", f"{len(heads)} head cells")
        col, state = heads[0]
        if state != start:
            raise self._trace_error(f"The prompt's head must be in the start state {machine.start!r}; found "
                                    f"{machine.states[state]!r}.", pos_of_col(col), f"start state {machine.start!r}",
                                    machine.states[state])
        for c in range(col0, col):
            if syms[c] != 0:
                raise self._trace_error("The prompt row must be blank left of the head (input position 0).",
                                        pos_of_col(c), f"blank {machine.blank!r}", machine.symbols[syms[c]])
        nz = [c for c in range(col, len(syms)) if syms[c] != 0]
        last = nz[-1] if nz else col - 1
        allowed = {machine.symbol_index[s] for s in machine.input_symbols}
        for c in range(col, last + 1):
            if syms[c] not in allowed:
                raise self._trace_error("The input in the prompt row must be input symbols from the head on, "
                                        "with nothing after it.", pos_of_col(c), "an input symbol",
                                        machine.symbols[syms[c]])
        return np.array(syms[col:last + 1], dtype=np.uint8), col
