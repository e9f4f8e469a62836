"""Machine -> run (the table entry): the one named encoder/decoder of a packed transition-table entry.

A machine's table (:attr:`tmsim.Machine.arrays` ``.packed``, int64, one entry per (state, symbol)) packs a
rule into one integer, so that a simulator does one load per step::

    entry = (next_state * n_symbols) << 10 | write << 2 | (move + 1)      move in {-1, 0, +1}
    entry = -1                                                           undefined transition
    entry = -2                                                           any cell of a halting state

The next state is stored as its row base ``next_state * n_symbols``: the next index is then
``next_base + symbol`` with no multiply. The run kernel re-packs the table once into a *fast* layout
(:func:`fast_entry`) whose row base sits in the low 32 bits, so the hot loop needs no shift either::

    fast = next_base | write << 32 | (move + 1) << 40                     stop entries (< 0) unchanged

Every function here is plain Python (the executable specification, used by the ``_reference`` modules and
:attr:`tmsim.Machine.arrays`; importing it costs no numba). Its numba twin of the same name lives in
:mod:`tmsim._kernels` (``njit(inline="always")``), where the kernels call it: ``entry_write(e)`` compiles to
the shift-and-mask they used to spell out by hand. ``tests/tmsim/test_table.py`` holds the twins to each other and
to :func:`pack_entry`.

Examples
--------
>>> e = pack_entry(2, 1, -1, 3)              # next state 2 of a 3-symbol machine, write 1, move left
>>> entry_next(e, 3), entry_write(e), entry_move(e), entry_defined(e)
(2, 1, -1, True)
>>> f = fast_entry(e)
>>> fast_next_base(f), fast_write(f), fast_move_code(f)
(6, 1, 0)
"""

from __future__ import annotations

__all__ = ["UNDEFINED", "HALTING", "NEXT_SHIFT", "WRITE_SHIFT", "WRITE_MASK", "MOVE_MASK", "MAX_SYMBOLS",
           "pack_entry", "entry_defined", "entry_halts", "entry_next_base", "entry_next", "entry_write",
           "entry_move_code", "entry_move", "fast_entry", "fast_next_base", "fast_write", "fast_move_code",
           "MOVE_LEFT", "MOVE_STAY", "MOVE_RIGHT", "FAST_WRITE_SHIFT", "FAST_MOVE_SHIFT"]

#: The entry of an undefined transition (the run stops there, status ``undefined``).
UNDEFINED = -1
#: The entry of every cell of a halting state (status ``halted``).
HALTING = -2
#: Bit positions and masks of a (non-negative) entry.
NEXT_SHIFT, WRITE_SHIFT, WRITE_MASK, MOVE_MASK = 10, 2, 0xFF, 3
#: At most this many tape symbols fit the 8-bit write field.
MAX_SYMBOLS = WRITE_MASK + 1
#: Move codes (``move + 1``), as :func:`entry_move_code` and :func:`fast_move_code` return them.
MOVE_LEFT, MOVE_STAY, MOVE_RIGHT = 0, 1, 2
#: The fast layout: the row base in the low 32 bits, the written symbol from bit 32, the move code from bit 40.
FAST_WRITE_SHIFT, FAST_MOVE_SHIFT = 32, 40
_LOW32 = 0xFFFFFFFF


# ------------------------------------------------------------------------------ Machine.arrays.packed layout
def pack_entry(next_state, write, move, n_symbols):
    """The entry of the rule (``next_state``, ``write``, ``move``) in a machine of ``n_symbols`` symbols.

    Works elementwise on int64 arrays too (``Machine.arrays`` packs the whole table this way).

    Parameters
    ----------
    next_state : int >= 0
    write : int in [0, 256)
    move : {-1, 0, 1}
    n_symbols : int >= 1
    """
    return ((next_state * n_symbols) << NEXT_SHIFT) | (write << WRITE_SHIFT) | (move + 1)


def entry_defined(e):
    """True for a rule; False for the stop entries (undefined, halting)."""
    return e >= 0


def entry_halts(e):
    """True for the entry of a halting state."""
    return e == HALTING


def entry_next_base(e):
    """The next state's row base, ``next_state * n_symbols`` (a defined entry)."""
    return e >> NEXT_SHIFT


def entry_next(e, n_symbols):
    """The next state's index (a defined entry)."""
    return (e >> NEXT_SHIFT) // n_symbols


def entry_write(e):
    """The index of the symbol written (a defined entry)."""
    return (e >> WRITE_SHIFT) & WRITE_MASK


def entry_move_code(e):
    """The move as a code: 0 left, 1 stay, 2 right (a defined entry)."""
    return e & MOVE_MASK


def entry_move(e):
    """The move: -1 left, 0 stay, +1 right (a defined entry)."""
    return (e & MOVE_MASK) - 1


# ------------------------------------------------------------------------------ the run kernel's fast layout
def fast_entry(e):
    """An entry re-packed in the run kernel's layout (stop entries unchanged)."""
    if e < 0:
        return e
    return entry_next_base(e) | (entry_write(e) << FAST_WRITE_SHIFT) | (entry_move_code(e) << FAST_MOVE_SHIFT)


def fast_next_base(f):
    """The next state's row base of a defined fast entry (its low 32 bits)."""
    return f & _LOW32


def fast_write(f):
    """The symbol written, of a defined fast entry."""
    return (f >> FAST_WRITE_SHIFT) & WRITE_MASK


def fast_move_code(f):
    """The move code (0 left, 1 stay, 2 right) of a defined fast entry."""
    return (f >> FAST_MOVE_SHIFT) & MOVE_MASK
