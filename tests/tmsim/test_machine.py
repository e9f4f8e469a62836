"""Machine validation: one clear error per fault, naming the machine, the rule and the bad value."""

import pickle

import numpy as np
import pytest
from hypothesis import given

from tmsim import Machine, MachineError, Move, parse_standard
from tmsim.testing import machines

BASE = dict(states=["A", "H"], symbols=["_", "0", "1"], blank="_", input_symbols=["0", "1"], start="A",
            halting=["H"], transitions={("A", "0"): ("A", "1", "R"), ("A", "_"): ("H", "_", "S")},
            name="flip")


def build(**changes):
    kw = dict(BASE)
    kw.update(changes)
    return Machine(**kw)


@pytest.mark.parametrize(
    "changes, fragment",
    [
        (dict(states=[]), "at least one state"),
        (dict(states=["A", "A", "H"]), "duplicate state 'A'"),
        (dict(states=["A", "H", "has space"]), "'has space'"),
        (dict(blank="x"), "blank symbol 'x' is not in the tape alphabet"),
        (dict(input_symbols=["_", "0"]), "blank symbol '_' cannot be an input symbol"),
        (dict(input_symbols=["0", "7"]), "input symbol '7' is not in the tape alphabet"),
        (dict(start="B"), "start state 'B' is not one of the states"),
        (dict(halting=["Q"]), "halting state 'Q' is not one of the states"),
        (dict(transitions={("A", "0"): ("Q9", "1", "R")}), "transition ('A', '0') goes to unknown state 'Q9'"),
        (dict(transitions={("B", "0"): ("A", "1", "R")}), "transition ('B', '0') is from unknown state 'B'"),
        (dict(transitions={("A", "#"): ("A", "1", "R")}), "reads unknown symbol '#'"),
        (dict(transitions={("A", "0"): ("A", "#", "R")}), "writes unknown symbol '#'"),
        (dict(transitions={("A", "0"): ("A", "1", "X")}), "bad direction 'X'"),
        (dict(transitions={("H", "0"): ("A", "1", "R")}), "is from halting state 'H'"),
        (dict(transitions=[("A", "0", "1", "R", "A"), ("A", "0", "0", "L", "A")]), "is defined twice"),
        (dict(transitions={("A", "0"): ("A", "1")}), "must map to (next, write, move)"),
        (dict(transitions=[("A", "0", "1")]), "must be a (state, read, write, move, next) tuple"),
    ],
)
def test_each_fault_has_its_own_clear_error(changes, fragment):
    with pytest.raises(MachineError) as info:
        build(**changes)
    msg = str(info.value)
    assert fragment in msg
    assert "'flip'" in msg or "Machine name" in msg


def test_machine_is_immutable_and_hashable():
    m = build()
    with pytest.raises(AttributeError):
        m.start = "H"
    with pytest.raises(TypeError):
        m.transitions[("A", "1")] = None  # a read-only mapping
    assert {m: 1}[build()] == 1
    assert m.replace(start="H") != m


def test_blank_gets_index_zero_and_arrays_match_rules():
    m = build(symbols=["0", "1", "_"])
    assert m.symbols[0] == "_"
    a = m.arrays
    i, j = m.state_index["A"], m.symbol_index["0"]
    assert a.next_state[i, j] == m.state_index["A"]
    assert m.symbols[a.write[i, j]] == "1" and a.move[i, j] == 1
    assert a.next_state[i, m.symbol_index["1"]] == -1  # undefined
    assert (a.packed.reshape(m.n_states, m.n_symbols)[m.state_index["H"]] == -2).all()
    assert not a.packed.flags.writeable


@given(machines())
def test_pickle_and_replace_round_trip(m):
    assert pickle.loads(pickle.dumps(m)) == m
    assert m.replace() == m


def test_move_parse():
    assert Move.parse("l") is Move.L and Move.parse("N") is Move.S and Move.parse(1) is Move.R
    with pytest.raises(MachineError, match="bad direction"):
        Move.parse(2)


def test_encode_input_names_position_and_symbol():
    m = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", name="bb4")
    with pytest.raises(ValueError, match=r"input symbol '2' at position 3 is not in the input alphabet"):
        m.encode_input("1112")
    with pytest.raises(ValueError, match="input symbol '0' at position 0"):
        m.encode_input("0")  # the blank is not an input symbol
    np.testing.assert_array_equal(m.encode_input("11"), [1, 1])
