"""tmsim._table: the named decoder of a packed table entry; its numba twins (tmsim._kernels, inlined in the
kernels) agree with the plain-Python functions, and decoding undoes the encoder (pack_entry, Machine.arrays)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numba import njit

from tmsim import _kernels as K
from tmsim import _table as T
from tmsim.machine import MAX_TABLE_CELLS
from tmsim.testing import machines


@njit
def _decode_nb(e, S):
    """Every decoder, as a kernel sees it (the numba twins, inlined)."""
    f = K.fast_entry(e)
    return (K.entry_defined(e), K.entry_halts(e), K.entry_next_base(e), K.entry_next(e, S), K.entry_write(e),
            K.entry_move_code(e), K.entry_move(e), f, np.int64(K.fast_next_base(f)), K.fast_write(f),
            K.fast_move_code(f))


@njit
def _pack_nb(q, w, m, S):
    return K.pack_entry(q, w, m, S)


def _decode_py(e, S):
    f = T.fast_entry(e)
    return (T.entry_defined(e), T.entry_halts(e), T.entry_next_base(e), T.entry_next(e, S), T.entry_write(e),
            T.entry_move_code(e), T.entry_move(e), f, T.fast_next_base(f), T.fast_write(f), T.fast_move_code(f))


@st.composite
def rules(draw):
    """(next state, write, move, n_symbols) of any rule the table can hold."""
    S = draw(st.integers(1, T.MAX_SYMBOLS))
    q = draw(st.integers(0, MAX_TABLE_CELLS // S))
    return q, draw(st.integers(0, S - 1)), draw(st.sampled_from((-1, 0, 1))), S


@settings(max_examples=300, deadline=None)
@given(rules())
@example((0, 0, -1, 1))
@example((MAX_TABLE_CELLS // 256, 255, 1, 256))
def test_decode_round_trips_the_encoder_and_the_twins_agree(rule):
    q, w, m, S = rule
    e = T.pack_entry(q, w, m, S)
    assert e >= 0 and int(_pack_nb(q, w, m, S)) == e
    py = _decode_py(e, S)
    assert py[:7] == (True, False, q * S, q, w, m + 1, m)
    assert (py[8], py[9], py[10]) == (q * S, w, m + 1)  # the fast layout holds the same fields
    nb = tuple(int(x) if not isinstance(x, (bool, np.bool_)) else bool(x) for x in _decode_nb(np.int64(e), S))
    assert nb == py


def test_stop_entries():
    for e, halts in ((T.UNDEFINED, False), (T.HALTING, True)):
        assert not T.entry_defined(e) and T.entry_halts(e) == halts and T.fast_entry(e) == e
        got = _decode_nb(np.int64(e), 3)
        assert not got[0] and bool(got[1]) == halts and int(got[7]) == e


@settings(max_examples=40, deadline=None)
@given(machines(n_symbols=(2, 5)))
def test_machine_arrays_decode_to_the_transition_table(m):
    a = m.arrays
    S = m.n_symbols
    for q in range(m.n_states):
        for s in range(S):
            e = int(a.packed[q * S + s])
            if a.halting[q]:
                assert e == T.HALTING
            elif a.next_state[q, s] < 0:
                assert e == T.UNDEFINED
            else:
                assert (T.entry_next(e, S), T.entry_write(e), T.entry_move(e)) == (
                    a.next_state[q, s], a.write[q, s], a.move[q, s])
