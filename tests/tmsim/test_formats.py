"""Formats: round trips of every format on generated machines, known programs from turingmachine.io and
morphett.info run with tmsim, automata-lib conversion, load/save, and one test per kind of bad input."""

import importlib.util
import json
import os

import pytest
import yaml
from hypothesis import example, given, settings, strategies as st

from tmsim import ConversionError, FormatError, Machine, MachineError, Move, ParameterError, Rule, run
from tmsim.formats import (FORMATS, dumps, from_automata, from_dict, load, loads, morphett_names, parse_json,
                           parse_morphett, parse_standard, parse_yaml, run_automata, save, to_automata, to_dict,
                           to_json, to_morphett, to_standard, to_yaml)
from tmsim.testing import inputs, machines, standard_machines

# ------------------------------------------------------------------------------------------ strategies
#: Names that trip YAML readers (null, booleans, numbers, indicators, quotes) or our own syntax.
TRICKY = ["null", "Null", "~", "yes", "No", "on", "true", "1", "0", "01", "0x1F", "1.5", ".nan", "-", "-a", "?",
          ":", "a:b", "#", "a#", "'", '"', "''", "[a]", "{", "}", ",", "*", "!tag", "&a", "@", "`", "%", "|",
          ">", "L", "R", "S", "write", "\\", "_", "é", "\x00", "\u200b", "\ufeff", "\U0001f600", "x" * 1100]
NAME = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_categories=("Cs",)).filter(lambda c: not c.isspace()), min_size=1,
            max_size=5),
)


@st.composite
def renamed_machines(draw, **kwargs):
    """Machines whose every name is arbitrary text, with any start state (halting too), any state and
    symbol order and any input alphabet: what a lossless format must survive."""
    m = draw(machines(**kwargs))
    state_names = draw(st.lists(NAME, min_size=m.n_states, max_size=m.n_states, unique=True))
    symbol_names = draw(st.lists(NAME, min_size=m.n_symbols, max_size=m.n_symbols, unique=True))
    sm = dict(zip(m.states, state_names))
    ym = dict(zip(m.symbols, symbol_names))
    order = draw(st.permutations(m.states))
    symbols = [m.blank] + draw(st.permutations(m.symbols[1:]))
    input_symbols = draw(st.lists(st.sampled_from(m.symbols[1:]), unique=True)) if m.n_symbols > 1 else []
    rules = [(sm[s], ym[r], ym[w], mv, sm[n]) for (s, r, w, mv, n) in m.rules()]
    start = draw(st.sampled_from(m.states))
    name = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12))
    return Machine([sm[s] for s in order], [ym[y] for y in symbols], ym[m.blank], [ym[y] for y in input_symbols],
                   sm[start], [sm[h] for h in m.halting], rules, name=name)


#: State names that collide with Morphett's conventions (start 0, halt* halts) and with the renaming.
MORPHETT_HOSTILE = ["0", "1", "halt", "Halt-0", "halt-x", "x", "q-halt", "halting", "q-halting", "halt-halt"]


@st.composite
def morphett_hostile_machines(draw):
    m = draw(machines(n_states=(1, 4), n_symbols=(2, 4), n_halting=(0, 3)))
    names = draw(st.lists(st.sampled_from(MORPHETT_HOSTILE), min_size=m.n_states, max_size=m.n_states,
                          unique=True))
    sm = dict(zip(m.states, names))
    return Machine([sm[s] for s in m.states], m.symbols, m.blank, m.input_symbols, sm[m.start],
                   [sm[h] for h in m.halting], [(sm[s], r, w, mv, sm[n]) for (s, r, w, mv, n) in m.rules()])


def same_up_to_order(a: Machine, b: Machine) -> bool:
    """Equal as machines once the order of states and symbols is forgotten."""
    return (set(a.states) == set(b.states) and set(a.symbols) == set(b.symbols) and a.blank == b.blank
            and set(a.input_symbols) == set(b.input_symbols) and a.start == b.start and a.halting == b.halting
            and dict(a.transitions) == dict(b.transitions))


# ------------------------------------------------------------------------------------------ JSON
@given(renamed_machines())
@example(Machine(["A"], ["0"], "0", [], "A", [], {}, name="no rules"))
def test_json_round_trip_is_exact(m):
    back = parse_json(to_json(m))
    assert back == m
    assert back.name == m.name
    assert back.input_symbols == m.input_symbols  # order too, which Machine.__eq__ ignores
    assert from_dict(to_dict(m)) == m
    assert from_dict(json.loads(json.dumps(to_dict(m)))) == m


def test_json_name_falls_back_to_argument():
    d = to_dict(parse_standard("1RB1LB_1LA1RZ"))
    del d["name"]
    assert from_dict(d, name="fallback").name == "fallback"


# ------------------------------------------------------------------------------------------ standard
@given(standard_machines())
def test_standard_round_trip_is_exact(m):
    # The standard format knows a halting state only as a rule's target: an unreferenced one is lost.
    targets = {r.next for r in m.transitions.values()}
    unused = [h for h in m.halting if h not in targets]
    if unused:
        m = m.replace(states=[s for s in m.states if s not in unused], halting=m.halting - set(unused))
    assert parse_standard(to_standard(m)) == m
    assert loads(dumps(m, "standard"), "standard") == m


# ------------------------------------------------------------------------------------------ YAML
@given(renamed_machines())
@example(Machine(["A", "B"], ["0", "1"], "0", ["1"], "A", [], {}, name="rule-less, not halting"))
def test_yaml_round_trip_is_exact(m):
    back = parse_yaml(to_yaml(m))
    assert back == m
    assert back.name == m.name
    assert back.input_symbols == m.input_symbols


@given(machines(n_symbols=(2, 12)))
def test_yaml_is_read_by_plain_pyyaml_with_string_symbols(m):
    """Other YAML readers (a standard safe loader here) see the same table, every symbol a string."""
    doc = yaml.safe_load(to_yaml(m))
    assert doc["blank"] == m.blank and doc["start state"] == m.start
    assert list(doc["table"]) == list(m.states)
    for state in m.states:
        entry = doc["table"][state] or {}
        reads = [r for (s, r) in m.transitions if s == state]
        assert list(entry) == reads
        assert all(isinstance(v, str) or all(isinstance(x, (str, type(None))) for x in v.values())
                   for v in entry.values())


@given(machines(allow_undefined=False))
def test_yaml_of_a_complete_machine_needs_no_halting_key(m):
    """With a rule for every (running state, symbol), the empty entries are exactly the halting states,
    so the turingmachine.io-compatible document needs no extension key for them."""
    text = to_yaml(m)
    assert "halting states" not in text
    assert parse_yaml(text) == m


TURINGMACHINE_IO_INCREMENT = """\
name: binary increment
source code: |
  ignored
input: '1011'
blank: ' '
start state: right
table:
  # scan to the rightmost digit
  right:
    [1,0]: R
    ' '  : {L: carry}
  # then carry the 1
  carry:
    1      : {write: 0, L}
    [0,' ']: {write: 1, L: done}
  done:
"""


def test_yaml_turingmachine_io_binary_increment():
    text = TURINGMACHINE_IO_INCREMENT.replace("source code: |\n  ignored\n", "")
    m = parse_yaml(text)
    assert m.name == "binary increment"
    assert m.blank == "_" and m.start == "right" and m.halting == {"done"}
    assert set(m.symbols) == {"_", "0", "1"}
    for x in ["0", "1", "1011", "111", "1001", "11111111", "100000"]:
        r = run(m, x, max_steps=10_000)
        assert r.status.value == "halted"
        assert r.output == format(int(x, 2) + 1, "b")
    # The written form reads back to the same machine and still runs the same.
    assert parse_yaml(to_yaml(m)) == m


def test_yaml_unknown_top_level_key_is_named():
    with pytest.raises(FormatError, match="source code"):
        parse_yaml(TURINGMACHINE_IO_INCREMENT)


def test_yaml_stay_move_and_extension_keys():
    text = """
blank: '_'
start state: a
input symbols: ['x']
tape symbols: ['_', 'y', 'x']
halting states: [h]
table:
  a:
    x: {write: y, S: b}
    y: N
  b: {}
  h:
"""
    m = parse_yaml(text, name="ext")
    assert m.name == "ext"
    assert m.symbols == ("_", "y", "x") and m.input_symbols == ("x",)
    assert m.halting == {"h"} and "b" not in m.halting
    assert m.transitions[("a", "x")] == Rule("b", "y", Move.S)
    assert m.transitions[("a", "y")] == Rule("a", "y", Move.S)
    r = run(m, "x")
    assert (r.status.value, r.steps, r.output) == ("undefined", 1, "y")


# ------------------------------------------------------------------------------------------ Morphett
def assert_same_behaviour(m, back, data, names):
    """Run ``m`` and its Morphett round trip ``back`` on one input and compare everything, mapping names."""
    inv_symbols = {v: k for k, v in names.symbols.items()}
    x = data.draw(inputs(back, max_size=6))
    x_m = "".join(inv_symbols[c] for c in x)
    ours = run(m, x_m, max_steps=200)
    theirs = run(back, x, max_steps=200)
    assert theirs.status == ours.status
    assert theirs.steps == ours.steps
    assert theirs.state == names.states[ours.state]
    assert theirs.head == ours.head
    assert theirs.tape == tuple(names.symbols[c] for c in ours.tape)
    assert theirs.tape_start == ours.tape_start


def assert_renamed_rules(m, back, names):
    st_, sy = names.states, names.symbols
    assert back.start == "0" == st_[m.start]
    if all(m.start not in (s, r.next) for (s, _), r in m.transitions.items()):
        # No rule can ever run; they are written as comments (see to_morphett).
        assert back.states == ("0",) and not back.transitions
        return
    assert len(back.transitions) == len(m.transitions)
    for (s, r), rule in m.transitions.items():
        assert back.transitions[(st_[s], sy[r])] == Rule(st_[rule.next], sy[rule.write], rule.move)
    assert back.halting == {st_[h] for h in m.halting} & set(back.states)
    assert all(h.lower().startswith("halt") for h in back.halting)
    assert len(set(st_.values())) == len(st_)  # the renaming is one-to-one


@given(st.one_of(machines(n_symbols=(2, 6), n_halting=(0, 3)), standard_machines(),
                 morphett_hostile_machines()), st.data())
def test_morphett_round_trip_preserves_rules_and_behaviour(m, data):
    names = morphett_names(m)
    back = parse_morphett(to_morphett(m))
    assert_renamed_rules(m, back, names)
    assert_same_behaviour(m, back, data, names)


@pytest.mark.parametrize("m", [
    # The start state has no rule and no rule goes to it.
    Machine(["q", "r"], ["_", "1"], "_", ["1"], "q", [], [("r", "_", "1", "R", "r")]),
    # Start 'x' takes the name '0' from a halting state; a running 'halting' must not halt.
    Machine(["halting", "0", "x", "halt-0"], ["_", "1"], "_", ["1"], "x", ["0", "halt-0"],
            [("x", "_", "1", "R", "halting"), ("halting", "_", "1", "L", "0"), ("halting", "1", "1", "R", "x"),
             ("x", "1", "_", "S", "halt-0")]),
    # Blank '0' becomes '_'.
    parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"),
])
def test_morphett_renaming_cases(m):
    names = morphett_names(m)
    back = parse_morphett(to_morphett(m))
    assert_renamed_rules(m, back, names)
    inv = {v: k for k, v in names.symbols.items()}
    for x in ["", "1", "11", "111", "1_1"]:
        x = "".join(c for c in x if c in back.symbols and c != "_")
        ours, theirs = run(m, "".join(inv[c] for c in x), max_steps=500), run(back, x, max_steps=500)
        assert (theirs.status, theirs.steps, theirs.head, theirs.tape_start) == \
               (ours.status, ours.steps, ours.head, ours.tape_start)
        assert theirs.state == names.states[ours.state]
        assert theirs.tape == tuple(names.symbols[c] for c in ours.tape)


MORPHETT_INCREMENT = """\
; Binary increment, with wildcards
0 * * r 0        ; run right over the number
0 _ _ l 1        ; (more specific than '0 *') at the end, turn back
1 1 0 l 1
1 * 1 * halt     ; a 0 or a blank becomes 1; stop
"""

MORPHETT_PALINDROME = """\
; Palindromes over {a, b}: ends in halt-accept or halt-reject
0 a _ r have_a
0 b _ r have_b
0 _ _ * halt-accept
have_a * * r *   ; '*' as new state: stay in have_a
have_a _ _ l match_a
have_b * * r have_b
have_b _ _ l match_b
match_a a _ l back
match_a _ _ * halt-accept
match_b b _ l back
match_b _ _ * halt-accept
back * * l back
back _ _ r 0   !
* * * * halt-reject   ; every other case (a mismatch)
"""


@pytest.mark.parametrize("x", ["", "0", "1", "1011", "111", "1001", "1111111"])
def test_morphett_binary_increment(x):
    m = parse_morphett(MORPHETT_INCREMENT)
    r = run(m, x, max_steps=1000)
    assert r.status.value == "halted"
    assert r.output == format(int(x or "0", 2) + 1, "b")


@given(st.text("ab", max_size=8))
@example("")
@example("abba")
@example("aba")
def test_morphett_palindrome_with_wildcards(x):
    m = parse_morphett(MORPHETT_PALINDROME, name="palindrome")
    assert m.start == "0" and m.halting == {"halt-accept", "halt-reject"}
    r = run(m, x, max_steps=10_000)
    assert r.status.value == "halted"
    assert r.state == ("halt-accept" if x == x[::-1] else "halt-reject")


def test_morphett_wildcard_precedence():
    """morphett.info's lookup order: 'state symbol', 'state *', '* symbol', '* *'."""
    m = parse_morphett("""
        0 * a r 1     ; beats '* _' for state 0
        * _ b r 2     ; beats '* *' for state 1 on a blank
        * * c r 3
        2 _ d r 3     ; beats everything for state 2 on a blank
        3 x x r 3
    """)
    assert m.transitions[("0", "_")] == Rule("1", "a", Move.R)
    assert m.transitions[("1", "_")] == Rule("2", "b", Move.R)
    assert m.transitions[("1", "a")] == Rule("3", "c", Move.R)
    assert m.transitions[("2", "_")] == Rule("3", "d", Move.R)
    assert m.transitions[("3", "x")] == Rule("3", "x", Move.R)
    assert m.transitions[("3", "a")] == Rule("3", "c", Move.R)
    assert run(m, max_steps=3).output == "abd"


def test_morphett_start_state_conventions():
    assert parse_morphett("q1 _ 1 r 0\n0 _ 1 r halt").start == "0"
    assert parse_morphett("q1 _ 1 r q2\nq2 _ 1 r halt").start == "q1"
    assert parse_morphett("* _ 1 r q2\nq2 _ 1 r halt").start == "q2"
    assert parse_morphett("q1 _ 1 r q2", start="q2").start == "q2"
    empty = parse_morphett("; nothing\n")
    assert empty.states == ("0",) and run(empty).status.value == "undefined"


def test_morphett_renames_blank_and_rejects_what_it_cannot_write():
    bb = parse_standard("1RB1LB_1LA1RZ")
    assert morphett_names(bb).symbols[bb.blank] == "_"
    with pytest.raises(ConversionError, match="'ab'"):
        to_morphett(Machine(["A"], ["_", "ab"], "_", ["ab"], "A", [], {}))
    with pytest.raises(ConversionError, match="'_'"):
        to_morphett(Machine(["A"], ["0", "_"], "0", ["_"], "A", [], {}))
    with pytest.raises(ConversionError, match="start state 'H'"):
        to_morphett(Machine(["A", "H"], ["0"], "0", [], "H", ["H"], {}))
    with pytest.raises(ConversionError, match=r"'\*'"):
        to_morphett(Machine(["A"], ["0", "*"], "0", ["*"], "A", [], {}))


# ------------------------------------------------------------------------------------------ automata-lib
needs_automata = pytest.mark.skipif(importlib.util.find_spec("automata") is None,
                                    reason="automata-lib is not installed")


@needs_automata
@given(machines(n_halting=(0, 2)))
def test_automata_round_trip(m):
    dtm = to_automata(m)
    assert dtm.initial_state == m.start and set(dtm.final_states) == m.halting
    back = from_automata(dtm, name="x")
    assert same_up_to_order(back, m)
    assert back.name == "x"
    again = to_automata(back)
    for attr in ("states", "input_symbols", "tape_symbols", "transitions", "initial_state", "blank_symbol",
                 "final_states"):
        assert getattr(again, attr) == getattr(dtm, attr)


@needs_automata
@given(st.integers(0, 6), st.integers(1, 4))
def test_run_automata_head_is_absolute_after_moving_left(n_left, n_right):
    """Go right n_right cells, then left n_left cells past position 0, writing 1s; automata-lib's tape
    grows at the front, which must not shift the reported positions."""
    rules = [(f"r{i}", "_", "1", "R", f"r{i + 1}") for i in range(n_right)]
    rules += [(f"r{n_right}", "_", "_", "L", "back"), ("back", "1", "1", "L", "back"), ("back", "_", "_", "S", "l0")]
    rules += [(f"l{i}", "_", "1", "L", f"l{i + 1}") for i in range(n_left)]
    states = [f"r{i}" for i in range(n_right + 1)] + ["back"] + [f"l{i}" for i in range(n_left + 1)]
    m = Machine(states, ["_", "1"], "_", ["1"], "r0", [f"l{n_left}"], rules)
    r = run_automata(to_automata(m), max_steps=100)
    assert r.status == "halted"
    assert r.head == -n_left - 1
    assert r.tape_start == -n_left and r.tape == ("1",) * (n_left + n_right)
    ours = run(m)
    assert (r.steps, r.head, r.tape, r.tape_start) == (ours.steps, ours.head, ours.tape, ours.tape_start)


@needs_automata
def test_run_automata_statuses_at_the_budget():
    loop = Machine(["A"], ["_"], "_", [], "A", [], [("A", "_", "_", "R", "A")])
    assert run_automata(to_automata(loop), max_steps=5).status == "step_limit"
    stuck = Machine(["A", "B"], ["_"], "_", [], "A", [], [("A", "_", "_", "R", "B")])
    r = run_automata(to_automata(stuck), max_steps=1)
    assert (r.status, r.steps, r.state) == ("undefined", 1, "B")
    assert run(stuck, max_steps=1).status.value == "undefined"


@needs_automata
def test_automata_rejects_halting_start():
    with pytest.raises(ConversionError, match="start state 'H'"):
        to_automata(Machine(["A", "H"], ["0"], "0", [], "H", ["H"], {}))
    with pytest.raises(ConversionError, match="DTM"):
        from_automata("not a dtm")


# ------------------------------------------------------------------------------------------ load / save
@settings(max_examples=20)
@given(machines(n_symbols=(2, 6)), st.sampled_from(["yaml", "yml", "json"]))
def test_save_load_round_trip(tmp_path_factory, m, ext):
    path = tmp_path_factory.mktemp("rt") / f"m.{ext}"
    assert save(m, path) == path
    back = load(path)
    assert back == m and back.name == m.name
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("ext, fmt", [(".tm", "standard"), (".txt", "standard"), (".yaml", "yaml"),
                                      (".mtm", "morphett"), (".morphett", "morphett"), (".json", "json")])
def test_every_format_by_extension(tmp_path, ext, fmt):
    m = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
    path = save(m, tmp_path / f"bb4{ext}")
    assert path.read_text(encoding="utf-8") == dumps(m, fmt) + ("\n" if fmt == "standard" else "")
    back = load(path)
    assert back.name == ("bb4" if fmt in ("standard", "morphett") else m.name)
    assert run(back).steps == run(m).steps and run(back).nonblank == run(m).nonblank
    assert load(str(path), format=fmt) == back


def test_load_standard_string_and_format_override(tmp_path):
    text = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
    assert load(text) == parse_standard(text)
    p = tmp_path / "inc.txt"
    p.write_text(MORPHETT_INCREMENT, encoding="utf-8")
    with pytest.raises(FormatError, match="inc.txt"):
        load(p)
    m = load(p, format="morphett")
    assert m.name == "inc" and run(m, "1011").output == "1100"
    assert set(FORMATS) == {"standard", "yaml", "morphett", "json"}


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    old = parse_standard("1RB1LB_1LA1RZ", name="old")
    save(old, path)
    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        save(parse_standard("1RB0LB_1LA1RZ", name="new"), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]
    monkeypatch.undo()
    with pytest.raises(ConversionError):
        save(Machine(["A"], ["_", "ab"], "_", ["ab"], "A", [], {}), tmp_path / "m.mtm")
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_keeps_permissions(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    save(parse_standard("1RB1LB_1LA1RZ"), path)
    assert os.stat(path).st_mode & 0o777 == 0o640


# ------------------------------------------------------------------------------------------ bad input
def test_malformed_yaml_names_the_line():
    with pytest.raises(FormatError, match="line 3") as e:
        parse_yaml("blank: '_'\nstart state: a\n  table: x\n")
    assert "YAML" in str(e.value)


def test_yaml_missing_start_state():
    with pytest.raises(FormatError, match="'start state'"):
        parse_yaml("blank: '_'\ntable:\n  a:\n")


def test_yaml_unknown_direction_names_state_symbol_and_value():
    text = "blank: '_'\nstart state: a\ntable:\n  a:\n    '1': {write: '0', X: a}\n"
    with pytest.raises(FormatError, match="state 'a', symbol '1'.*'X'"):
        parse_yaml(text)
    with pytest.raises(FormatError, match="'left'"):
        parse_yaml("blank: '_'\nstart state: a\ntable:\n  a:\n    '1': left\n")


def test_yaml_duplicate_key_and_undeclared_target():
    with pytest.raises(FormatError, match="duplicate key '1'"):
        parse_yaml("blank: '_'\nstart state: a\ntable:\n  a:\n    1: R\n    1: L\n")
    with pytest.raises(FormatError, match="'nowhere'"):
        parse_yaml("blank: '_'\nstart state: a\ntable:\n  a:\n    1: {R: nowhere}\n")
    with pytest.raises(FormatError, match="symbol '1' has two instructions"):
        parse_yaml("blank: '_'\nstart state: a\ntable:\n  a:\n    [0, 1]: R\n    1: L\n")


def test_yaml_space_and_underscore_together():
    with pytest.raises(FormatError, match="space"):
        parse_yaml("blank: ' '\nstart state: a\ntable:\n  a:\n    _: R\n")


def test_yaml_not_a_mapping():
    with pytest.raises(FormatError, match="list"):
        parse_yaml("- a\n- b\n")


def test_morphett_line_with_four_fields():
    with pytest.raises(FormatError, match="line 2.*got 4.*'1 _ 1 r'"):
        parse_morphett("0 _ _ r 1\n1 _ 1 r\n")


def test_morphett_bad_direction_symbol_duplicate_and_halting_rule():
    with pytest.raises(FormatError, match="line 1.*direction 'x'"):
        parse_morphett("0 _ 1 x halt")
    with pytest.raises(FormatError, match="line 1.*'ab'"):
        parse_morphett("0 ab 1 r halt")
    with pytest.raises(FormatError, match="line 2.*line 1"):
        parse_morphett("0 _ 1 r halt\n0 _ 0 l halt")
    with pytest.raises(FormatError, match="line 1.*'halt-x'"):
        parse_morphett("halt-x _ 1 r 0")


def test_json_bad_documents():
    with pytest.raises(FormatError, match="line 1, column"):
        parse_json('{"format": ')
    d = to_dict(parse_standard("1RB1LB_1LA1RZ"))
    with pytest.raises(FormatError, match="'version' 2"):
        from_dict({**d, "version": 2})
    with pytest.raises(FormatError, match=r"rules\[1\]"):
        from_dict({**d, "rules": [d["rules"][0], ["A", "1"]]})
    with pytest.raises(FormatError, match="'start'"):
        from_dict({k: v for k, v in d.items() if k != "start"})
    with pytest.raises(MachineError, match="bad direction 'U'"):
        from_dict({**d, "rules": [["A", "0", "1", "U", "B"]]})


def test_unknown_extension(tmp_path):
    p = tmp_path / "machine.xml"
    p.write_text("<tm/>", encoding="utf-8")
    with pytest.raises(FormatError, match=r"machine\.xml.*'\.xml'"):
        load(p)
    with pytest.raises(FormatError, match=r"'\.xml'"):
        save(parse_standard("1RB1LB_1LA1RZ"), p)


def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    with pytest.raises(FormatError, match="nope.yaml.*no such file"):
        load(p)
    with pytest.raises(FormatError, match="nope.yaml"):
        load(str(p))


def test_parse_error_in_file_names_the_path(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("blank: '_'\ntable:\n  a:\n", encoding="utf-8")
    with pytest.raises(FormatError, match="broken.yaml.*'start state'"):
        load(p)


def test_unknown_format_name():
    m = parse_standard("1RB1LB_1LA1RZ")
    with pytest.raises(ParameterError, match="'xml'"):
        dumps(m, "xml")
    with pytest.raises(ParameterError, match="'format'"):
        loads("", "xml")
