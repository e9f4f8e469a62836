"""Formats: the busy-beaver standard text format (bbchallenge), e.g. ``1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA``.

One ``_``-separated row per state (A, B, C, ...), one ``<write><L|R><next>`` triple per read symbol
(0, 1, ...; symbol 0 is blank), ``---`` for an undefined transition. A next state beyond the last row
(conventionally ``Z``) is a halting state. As an extension, ``S`` (stay) is read and written too.
"""

from __future__ import annotations

import re
import string

from ..errors import ConversionError, FormatError
from ..machine import Machine, Move

__all__ = ["parse_standard", "to_standard", "looks_standard"]

_LETTERS = string.ascii_uppercase
_DIGITS = string.digits
_TRIPLE = re.compile(r"^(?:---|[0-9][LRS][A-Z])$")
_SHAPE = re.compile(r"^[0-9A-Z\-]+(?:_[0-9A-Z\-]+)*$")


def looks_standard(text: str) -> bool:
    """True when ``text`` has the shape of a standard-format string (used to sniff CLI arguments)."""
    t = text.strip()
    return bool(t) and bool(_SHAPE.match(t)) and all(len(r) % 3 == 0 and r for r in t.split("_"))


def parse_standard(text: str, *, name: str | None = None) -> Machine:
    """Parse a machine in the standard text format.

    Parameters
    ----------
    text : str
        E.g. ``"1RB1LB_1LA0LC_1RZ1LD_1RD0RA"`` (the BB(4) champion). Surrounding white space is ignored.
    name : str, optional
        Name of the machine (defaults to the text itself).

    Returns
    -------
    Machine
        States ``A, B, ...`` (one per row) plus one halting state per letter used beyond the last row;
        symbols ``'0', '1', ...`` with blank ``'0'``; input symbols every non-blank symbol; start ``A``.

    Raises
    ------
    FormatError
        Naming the row and column of the first malformed triple.

    Examples
    --------
    >>> m = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
    >>> m.states, m.symbols, sorted(m.halting)
    (('A', 'B', 'C', 'D', 'Z'), ('0', '1'), ['Z'])
    """
    if not isinstance(text, str):
        raise FormatError(f"A standard-format machine must be a string. Got {type(text).__name__}.")
    t = text.strip()
    if not t:
        raise FormatError("Empty standard-format machine: expected rows like '1RB1LC_1RC1RB'.")
    rows = t.split("_")
    if len(rows) >= len(_LETTERS):
        raise FormatError(f"Standard format supports at most {len(_LETTERS) - 1} states (rows A..Y). Got {len(rows)}.")
    width = len(rows[0])
    if width == 0 or width % 3:
        raise FormatError(f"Standard format: row A {rows[0]!r} must be a non-empty sequence of 3-character "
                          f"triples like '1RB' or '---'. Got length {width}.")
    n_sym = width // 3
    if n_sym > len(_DIGITS):
        raise FormatError(f"Standard format supports at most {len(_DIGITS)} symbols. Got {n_sym} in row A.")
    row_states = list(_LETTERS[:len(rows)])
    rules = []
    halting: list[str] = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise FormatError(f"Standard format: row {_LETTERS[r]} {row!r} has length {len(row)}; every row "
                              f"must have length {width} ({n_sym} triples).")
        for k in range(n_sym):
            trip = row[3 * k:3 * k + 3]
            if not _TRIPLE.match(trip):
                raise FormatError(
                    f"Standard format: row {_LETTERS[r]}, symbol {k}: bad triple {trip!r}; expected "
                    f"<write digit><L|R><next state letter> or '---'."
                )
            if trip == "---":
                continue
            write, move, nxt = trip
            if int(write) >= n_sym:
                raise FormatError(f"Standard format: row {_LETTERS[r]}, symbol {k}: writes symbol {write} but "
                                  f"the machine has only symbols 0..{n_sym - 1}.")
            if nxt not in row_states and nxt not in halting:
                halting.append(nxt)
            rules.append((_LETTERS[r], str(k), write, move, nxt))
    states = row_states + sorted(halting)
    symbols = [str(k) for k in range(n_sym)]
    return Machine(states, symbols, "0", symbols[1:], "A", halting, rules, name=name or t)


def to_standard(machine: Machine) -> str:
    """Write ``machine`` in the standard text format.

    Symbols are written as their indices (the blank is 0); the start state becomes ``A`` and the other
    running states follow in order (``B``, ``C``, ...). A halting state keeps its name when that name is a
    letter after the rows (with rows ``A``, ``B``: ``C`` to ``Z``), as every halting state of a parsed string
    is; the others get the free letters from ``Z`` backwards (``Z``, ``Y``, ...). So a standard string
    round-trips to the same string (``to_standard(parse_standard(s)) == s`` for any ``s`` without surrounding
    white space), and ``parse_standard(to_standard(m)) == m`` for a machine in standard naming (running states
    ``A``, ``B``, ... in order, halting states letters after them, symbols ``0``, ``1``, ...) whose every
    halting state is some rule's target: the format names halting states only as targets, so an unreferenced
    one is lost. Otherwise the machine comes back renamed as described, with the same behaviour. ``S``
    (stay) moves are written as an extension.

    Raises
    ------
    ConversionError
        More than 10 symbols, a halting start state, or more states than the 26 letters.

    Examples
    --------
    >>> to_standard(parse_standard("1RB1RH_1LA0LH"))
    '1RB1RH_1LA0LH'
    >>> from tmsim import Machine
    >>> to_standard(Machine(["go", "stop"], ["_", "x"], "_", ["x"], "go", ["stop"], [("go", "_", "x", "R", "stop")]))
    '1RZ---'
    """
    if machine.n_symbols > len(_DIGITS):
        raise ConversionError(f"Machine {machine.name!r}: the standard format has at most {len(_DIGITS)} "
                              f"symbols; this machine has {machine.n_symbols}.")
    running = [s for s in machine.states if s not in machine.halting]
    if machine.start in machine.halting:
        raise ConversionError(f"Machine {machine.name!r}: the standard format needs a non-halting start state; "
                              f"{machine.start!r} is halting.")
    order = [machine.start] + [s for s in running if s != machine.start]
    halts = sorted(machine.halting, key=lambda h: (h != "Z", machine.state_index[h]))
    if len(order) + len(halts) > len(_LETTERS):
        raise ConversionError(f"Machine {machine.name!r}: {len(order)} running and {len(halts)} halting states do "
                              f"not fit the {len(_LETTERS)} letters of the standard format.")
    letter = {s: _LETTERS[i] for i, s in enumerate(order)}
    beyond_rows = set(_LETTERS[len(order):])
    for h in halts:  # a halting letter after the rows keeps its name
        if h in beyond_rows:
            letter[h] = h
    taken = set(letter.values())
    free = iter(c for c in reversed(_LETTERS) if c not in taken)
    for h in halts:
        if h not in letter:
            letter[h] = next(free)
    rows = []
    for s in order:
        row = []
        for sym in machine.symbols:
            r = machine.transitions.get((s, sym))
            if r is None:
                row.append("---")
            else:
                row.append(f"{machine.symbol_index[r.write]}{Move(r.move).letter}{letter[r.next]}")
        rows.append("".join(row))
    return "_".join(rows)
