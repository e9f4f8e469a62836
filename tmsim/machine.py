"""Machine -> (run): the deterministic single-tape Turing machine as a frozen, validated value object."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ._table import HALTING as HALTING_ENTRY
from ._table import UNDEFINED as UNDEFINED_ENTRY
from ._table import pack_entry
from .errors import InputError, MachineError

__all__ = ["Move", "Rule", "Machine", "TableArrays", "MAX_SYMBOLS", "MAX_TABLE_CELLS"]

#: The kernels store a tape cell in one byte.
MAX_SYMBOLS = 256
#: Bound on ``n_states * n_symbols`` (the packed table stays small enough to live in cache).
MAX_TABLE_CELLS = 1 << 21

_NAME_RE = re.compile(r"^\S+$")


class Move(enum.IntEnum):
    """Head movement of a rule: left, stay, right (the value is the change of the head position)."""

    L = -1
    S = 0
    R = 1

    @classmethod
    def parse(cls, value: object, *, where: str = "") -> "Move":
        """Parse ``'L'``/``'R'``/``'S'`` (also ``'N'``, ``'*'``, lower case), a :class:`Move`, or -1/0/1."""
        if isinstance(value, Move):
            return value
        if isinstance(value, str):
            v = value.strip().upper()
            table = {"L": cls.L, "R": cls.R, "S": cls.S, "N": cls.S, "*": cls.S}
            if v in table:
                return table[v]
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in (-1, 0, 1):
            return cls(int(value))
        raise MachineError(
            f"{where}bad direction {value!r}: expected one of 'L', 'R', 'S' (or -1, 1, 0)."
        )

    @property
    def letter(self) -> str:
        return self.name


@dataclass(frozen=True)
class Rule:
    """The action of one transition: write ``write``, move the head by ``move``, go to state ``next``."""

    next: str
    write: str
    move: Move

    def __iter__(self) -> Iterator[Any]:
        # Lets a rule be unpacked like the (next, write, move) triple it was built from.
        return iter((self.next, self.write, self.move))


@dataclass(frozen=True)
class TableArrays:
    """The machine's transition table as dense integer arrays, the form the kernels read.

    Attributes
    ----------
    next_state : ndarray of int32, shape (n_states, n_symbols)
        Index of the next state, ``-1`` where the transition is undefined or the state halts.
    write : ndarray of uint8, shape (n_states, n_symbols)
        Index of the symbol written (0 where undefined).
    move : ndarray of int8, shape (n_states, n_symbols)
        -1, 0 or +1 (0 where undefined).
    halting : ndarray of bool, shape (n_states,)
        True for halting states.
    packed : ndarray of int64, shape (n_states * n_symbols,)
        One int64 per (state, symbol) (int64 saves a sign extension on the hot path): ``(next * n_symbols) << 10 | write << 2 | (move + 1)``,
        ``-1`` for an undefined transition and ``-2`` in every cell of a halting state, so the hot loop
        does one load per step and stops on a negative entry. :mod:`tmsim._table` names every field
        (``entry_next``, ``entry_write``, ``entry_move``, ...) and packs them (``pack_entry``).
    """

    next_state: np.ndarray
    write: np.ndarray
    move: np.ndarray
    halting: np.ndarray
    packed: np.ndarray


class Machine:
    """A deterministic single-tape Turing machine, validated when built and immutable afterwards.

    Parameters
    ----------
    states : sequence of str
        Every state, in a fixed order (the order defines state indices).
    symbols : sequence of str
        The tape alphabet. It must contain ``blank``; the blank always gets index 0.
    blank : str
        The blank symbol (what every unwritten cell holds).
    input_symbols : sequence of str
        Symbols an input may use; a subset of ``symbols`` without the blank.
    start : str
        The start state.
    halting : iterable of str
        Halting states: entering one ends the run (status ``halted``); they have no rules.
    transitions : mapping or sequence
        Either a mapping ``(state, read) -> (next, write, move)`` or a sequence of 5-tuples
        ``(state, read, write, move, next)``. A missing (state, read) pair is an *undefined* transition:
        a run that reaches it ends with status ``undefined``. ``move`` is ``'L'``, ``'R'`` or ``'S'``.
    name : str, default "machine"
        Used in every error message and in file formats that carry a name.

    Raises
    ------
    MachineError
        One clear error per fault: an empty or duplicate state, an unknown state or symbol in a rule, a
        bad direction, a blank input symbol, a duplicate rule, a rule from a halting state, ...

    Examples
    --------
    >>> from tmsim import Machine, run
    >>> flip = Machine(states=["A", "H"], symbols=["_", "0", "1"], blank="_", input_symbols=["0", "1"],
    ...                start="A", halting=["H"],
    ...                transitions={("A", "0"): ("A", "1", "R"), ("A", "1"): ("A", "0", "R"),
    ...                             ("A", "_"): ("H", "_", "S")}, name="flip")
    >>> run(flip, "0110").output
    '1001'
    """

    __slots__ = (
        "name", "states", "symbols", "blank", "input_symbols", "start", "halting", "transitions",
        "__dict__",  # for cached_property
    )

    name: str
    states: tuple[str, ...]
    symbols: tuple[str, ...]
    blank: str
    input_symbols: tuple[str, ...]
    start: str
    halting: frozenset[str]
    transitions: Mapping[tuple[str, str], Rule]

    def __init__(
        self,
        states: Sequence[str],
        symbols: Sequence[str],
        blank: str,
        input_symbols: Sequence[str],
        start: str,
        halting: Iterable[str],
        transitions: Mapping[tuple[str, str], Any] | Sequence[Sequence[Any]],
        name: str = "machine",
    ) -> None:
        if not isinstance(name, str) or not name:
            raise MachineError(f"Machine name must be a non-empty string. Got {name!r}.")
        w = f"Machine {name!r}: "
        states_t = _names(states, "state", w)
        symbols_l = _names(symbols, "symbol", w)
        if not isinstance(blank, str) or blank not in symbols_l:
            raise MachineError(f"{w}blank symbol {blank!r} is not in the tape alphabet {symbols_l!r}.")
        # The blank is index 0 so that a zero-filled tape buffer is a blank tape.
        symbols_t = (blank,) + tuple(s for s in symbols_l if s != blank)
        if len(symbols_t) > MAX_SYMBOLS:
            raise MachineError(
                f"{w}{len(symbols_t)} tape symbols; at most {MAX_SYMBOLS} are supported."
            )
        if len(states_t) * len(symbols_t) > MAX_TABLE_CELLS:
            raise MachineError(
                f"{w}{len(states_t)} states x {len(symbols_t)} symbols = {len(states_t) * len(symbols_t)} "
                f"table cells; at most {MAX_TABLE_CELLS} are supported."
            )
        input_t = tuple(input_symbols) if not isinstance(input_symbols, str) else (input_symbols,)
        seen: set[str] = set()
        for s in input_t:
            if s == blank:
                raise MachineError(f"{w}the blank symbol {blank!r} cannot be an input symbol.")
            if s not in symbols_t:
                raise MachineError(f"{w}input symbol {s!r} is not in the tape alphabet {symbols_t!r}.")
            if s in seen:
                raise MachineError(f"{w}duplicate input symbol {s!r}.")
            seen.add(s)
        state_set = set(states_t)
        if start not in state_set:
            raise MachineError(f"{w}start state {start!r} is not one of the states {states_t!r}.")
        if isinstance(halting, str):
            halting = [halting]
        halting_f = frozenset(halting)
        for h in sorted(halting_f):
            if h not in state_set:
                raise MachineError(f"{w}halting state {h!r} is not one of the states {states_t!r}.")
        symbol_set = set(symbols_t)
        table: dict[tuple[str, str], Rule] = {}
        for key, value in _rule_items(transitions, w):
            state, read = key
            where = f"{w}transition ({state!r}, {read!r}) "
            if (state, read) in table:
                raise MachineError(f"{where}is defined twice.")
            if state not in state_set:
                raise MachineError(f"{where}is from unknown state {state!r}.")
            if read not in symbol_set:
                raise MachineError(f"{where}reads unknown symbol {read!r}; the tape alphabet is {symbols_t!r}.")
            if state in halting_f:
                raise MachineError(f"{where}is from halting state {state!r}; halting states have no rules.")
            try:
                nxt, write, move = value
            except (TypeError, ValueError):
                raise MachineError(
                    f"{where}must map to (next, write, move). Got {value!r}."
                ) from None
            if nxt not in state_set:
                raise MachineError(f"{where}goes to unknown state {nxt!r}.")
            if write not in symbol_set:
                raise MachineError(f"{where}writes unknown symbol {write!r}; the tape alphabet is {symbols_t!r}.")
            table[(state, read)] = Rule(nxt, write, Move.parse(move, where=where))
        # Canonical order (state index, symbol index): equal machines have equal tables.
        si = {s: i for i, s in enumerate(states_t)}
        yi = {s: i for i, s in enumerate(symbols_t)}
        ordered = dict(sorted(table.items(), key=lambda kv: (si[kv[0][0]], yi[kv[0][1]])))
        setattr_ = object.__setattr__
        setattr_(self, "name", name)
        setattr_(self, "states", states_t)
        setattr_(self, "symbols", symbols_t)
        setattr_(self, "blank", blank)
        setattr_(self, "input_symbols", input_t)
        setattr_(self, "start", start)
        setattr_(self, "halting", halting_f)
        setattr_(self, "transitions", MappingProxyType(ordered))

    # ---------------------------------------------------------------- immutability and identity
    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Machine is immutable; cannot set {key!r}. Use Machine.replace(...).")

    def __delattr__(self, key: str) -> None:
        raise AttributeError(f"Machine is immutable; cannot delete {key!r}.")

    def _key(self) -> tuple:
        return (self.states, self.symbols, self.blank, frozenset(self.input_symbols), self.start,
                self.halting, tuple(self.transitions.items()))

    def __eq__(self, other: object) -> bool:
        """Machines are equal when they define the same computation with the same names; the display
        ``name`` and the order of ``input_symbols`` do not count."""
        if not isinstance(other, Machine):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Machine(name={self.name!r}, states={len(self.states)}, symbols={len(self.symbols)}, "
                f"rules={len(self.transitions)}, start={self.start!r}, halting={sorted(self.halting)!r})")

    def __reduce__(self):
        return (_rebuild, (self.states, self.symbols, self.blank, self.input_symbols, self.start,
                           tuple(sorted(self.halting)), tuple(self.rules()), self.name))

    def replace(self, **changes: Any) -> "Machine":
        """Return a new validated machine with some fields changed (like :func:`dataclasses.replace`)."""
        fields = dict(states=self.states, symbols=self.symbols, blank=self.blank,
                      input_symbols=self.input_symbols, start=self.start, halting=self.halting,
                      transitions=dict(self.transitions), name=self.name)
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"Machine.replace() got unknown fields {sorted(unknown)!r}.")
        fields.update(changes)
        return Machine(**fields)

    # ---------------------------------------------------------------- views
    def rules(self) -> Iterator[tuple[str, str, str, Move, str]]:
        """Yield every defined rule as ``(state, read, write, move, next)`` in canonical order."""
        for (state, read), r in self.transitions.items():
            yield (state, read, r.write, r.move, r.next)

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_symbols(self) -> int:
        return len(self.symbols)

    @cached_property
    def state_index(self) -> Mapping[str, int]:
        return MappingProxyType({s: i for i, s in enumerate(self.states)})

    @cached_property
    def symbol_index(self) -> Mapping[str, int]:
        return MappingProxyType({s: i for i, s in enumerate(self.symbols)})

    @cached_property
    def single_char_symbols(self) -> bool:
        """True when every tape symbol is one character, so a tape reads as a plain string."""
        return all(len(s) == 1 for s in self.symbols)

    @cached_property
    def arrays(self) -> TableArrays:
        """Dense integer form of the transition table (see :class:`TableArrays`)."""
        q, s = self.n_states, self.n_symbols
        nxt = np.full((q, s), -1, dtype=np.int32)
        wr = np.zeros((q, s), dtype=np.uint8)
        mv = np.zeros((q, s), dtype=np.int8)
        for (state, read), r in self.transitions.items():
            i, j = self.state_index[state], self.symbol_index[read]
            nxt[i, j] = self.state_index[r.next]
            wr[i, j] = self.symbol_index[r.write]
            mv[i, j] = int(r.move)
        halting = np.array([st in self.halting for st in self.states], dtype=bool)
        packed = np.where(
            nxt >= 0,
            pack_entry(nxt.astype(np.int64), wr.astype(np.int64), mv.astype(np.int64), s),
            UNDEFINED_ENTRY,
        ).astype(np.int64)
        packed[halting, :] = HALTING_ENTRY
        for a in (nxt, wr, mv, halting, packed):
            a.setflags(write=False)
        return TableArrays(nxt, wr, mv, halting, packed.reshape(-1))

    # ---------------------------------------------------------------- inputs
    def encode_input(self, input: str | Sequence[str] | None, *, name: str = "input",
                     allow_tape_symbols: bool = False) -> np.ndarray:
        """Turn an input into a uint8 array of symbol indices, validating every symbol.

        A ``str`` is split into characters when every tape symbol is a single character, else on
        whitespace. ``allow_tape_symbols`` admits any tape symbol (for tapes of configurations), not only
        input symbols.

        Raises
        ------
        InputError
            Naming the position and the symbol that is not in the (input) alphabet.
        """
        if input is None:
            return np.zeros(0, dtype=np.uint8)
        if isinstance(input, str):
            syms: Sequence[str] = list(input) if self.single_char_symbols else input.split()
        elif isinstance(input, np.ndarray) and input.dtype.kind in "iu":
            return self._check_index_array(input, name, allow_tape_symbols)
        else:
            syms = list(input)
        allowed = set(self.symbols) if allow_tape_symbols else set(self.input_symbols)
        out = np.empty(len(syms), dtype=np.uint8)
        for i, s in enumerate(syms):
            if s not in allowed:
                kind = "tape" if allow_tape_symbols else "input"
                raise InputError(
                    f"Machine {self.name!r}: {name} symbol {s!r} at position {i} is not in the {kind} "
                    f"alphabet {tuple(sorted(allowed))!r}."
                )
            out[i] = self.symbol_index[s]
        return out

    def encode_inputs(self, inputs: Sequence[str | Sequence[str] | None], *,
                      name: str = "inputs") -> tuple[np.ndarray, np.ndarray]:
        """Many inputs as one ragged array of symbol indices.

        Returns
        -------
        cells : ndarray of uint8, shape (total,)
        offsets : ndarray of int64, shape (n + 1,)
            Input ``j`` is ``cells[offsets[j]:offsets[j + 1]]``.

        A vectorised path handles ``str`` inputs of machines with single-character ASCII symbols; other
        inputs go through :meth:`encode_input` one by one.

        Raises
        ------
        InputError
            Naming the input and the position of the first symbol outside the input alphabet.
        """
        inputs = list(inputs)
        n = len(inputs)

        def label(j: int) -> str:  # "inputs[3]" for a batch; a caller's singular name is kept as given
            return f"{name}[{j}]" if name == "inputs" else name

        offsets = np.zeros(n + 1, dtype=np.int64)
        if n and self.single_char_symbols and all(type(x) is str for x in inputs):
            try:
                raw = "".join(inputs).encode("ascii")
            except UnicodeEncodeError:
                raw = None
            if raw is not None:
                lut = np.full(128, -1, dtype=np.int16)
                for sym in self.input_symbols:
                    if ord(sym) < 128:
                        lut[ord(sym)] = self.symbol_index[sym]
                codes = lut[np.frombuffer(raw, dtype=np.uint8)]
                np.cumsum(np.fromiter(map(len, inputs), dtype=np.int64, count=n), out=offsets[1:])
                bad = np.flatnonzero(codes < 0)
                if bad.size:
                    j = int(np.searchsorted(offsets, bad[0], side="right")) - 1
                    self.encode_input(inputs[j], name=label(j))  # raises the precise error
                return codes.astype(np.uint8), offsets
        parts = []
        for j, x in enumerate(inputs):
            c = self.encode_input(x, name=label(j))
            parts.append(c)
            offsets[j + 1] = offsets[j] + len(c)
        cells = np.concatenate(parts).astype(np.uint8) if parts else np.zeros(0, dtype=np.uint8)
        return cells, offsets

    def _check_index_array(self, arr: np.ndarray, name: str, allow_tape_symbols: bool) -> np.ndarray:
        if arr.ndim != 1:
            raise InputError(f"Machine {self.name!r}: {name} as an index array must be 1-D. Got shape {arr.shape}.")
        allowed = (np.arange(self.n_symbols) if allow_tape_symbols
                   else np.array([self.symbol_index[s] for s in self.input_symbols], dtype=np.int64))
        bad = ~np.isin(arr, allowed)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"Machine {self.name!r}: {name} symbol index {int(arr[i])} at position {i} is not an allowed "
                f"symbol index {allowed.tolist()!r}."
            )
        return arr.astype(np.uint8)

    def decode_tape(self, cells: Sequence[int] | np.ndarray) -> tuple[str, ...]:
        """Map symbol indices back to symbol names."""
        return tuple(self.symbols[int(c)] for c in cells)

    def format_tape(self, symbols: Sequence[str]) -> str:
        """Join symbols into one string (no separator when every symbol is a single character)."""
        return ("" if self.single_char_symbols else " ").join(symbols)


def _rebuild(states, symbols, blank, input_symbols, start, halting, rules, name) -> Machine:
    return Machine(states, symbols, blank, input_symbols, start, halting, rules, name)


def _names(values: Sequence[str], kind: str, w: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise MachineError(f"{w}{kind}s must be a sequence of names, not the string {values!r}.")
    out = tuple(values)
    if not out:
        raise MachineError(f"{w}a machine needs at least one {kind}.")
    seen: set[str] = set()
    for v in out:
        if not isinstance(v, str) or not _NAME_RE.match(v):
            raise MachineError(f"{w}{kind} {v!r} must be a non-empty string without white space.")
        if v in seen:
            raise MachineError(f"{w}duplicate {kind} {v!r}.")
        seen.add(v)
    return out


def _rule_items(transitions: Any, w: str) -> Iterator[tuple[tuple[str, str], Any]]:
    if isinstance(transitions, Mapping):
        for key, value in transitions.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise MachineError(f"{w}transition key {key!r} must be a (state, read) pair.")
            yield key, value
        return
    for i, item in enumerate(transitions):
        try:
            state, read, write, move, nxt = item
        except (TypeError, ValueError):
            raise MachineError(
                f"{w}rule #{i} must be a (state, read, write, move, next) tuple. Got {item!r}."
            ) from None
        yield (state, read), (nxt, write, move)
