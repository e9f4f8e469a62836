"""Formats against the files people have: turingmachine.io documents (``source code``, ``name``,
``positions``, ``synonyms``), Morphett programs with ``$INITIAL_TAPE`` and blanks in their input, and the
standard format's round trip. The fixtures in tests/data/ are small hand-written files in the published
shapes (nothing downloaded)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import example, given, strategies as st

from tmsim import Configuration, FormatError, InputError, Machine, run
from tmsim.formats import (load, loads, morphett_initial_tape, parse_morphett, parse_standard, parse_yaml,
                           to_morphett, to_standard)
from tmsim.testing import standard_machines

DATA = Path(__file__).parents[1] / "data"
TMIO = sorted(DATA.glob("tmio_*.yaml"))


def run_tape(m, tape: str, **kw):
    """Run ``m`` from a tape that may hold blanks (``_``), head at 0 in the start state."""
    return run(m, start=Configuration(m.start, tuple(tape), 0, 0), **kw)


# ------------------------------------------------------------------------------------------ turingmachine.io
def test_there_are_document_fixtures():
    assert len(TMIO) >= 3


@pytest.mark.parametrize("path", TMIO, ids=lambda p: p.name)
def test_document_loads_by_file_and_by_string_with_its_name(path):
    by_file = load(path)
    by_string = loads(path.read_text(encoding="utf-8"), "yaml")
    assert by_file == by_string
    assert by_file.name == by_string.name != path.stem  # the document's name, not the file's
    assert by_file.name == by_file.name.strip() and " " in by_file.name


def test_document_flip_bits_runs():
    m = load(DATA / "tmio_flip_bits.yaml")
    assert m.name == "flip bits" and m.blank == "_" and m.halting == {"done"}
    for x in ["0110", "1", "0", "10101111"]:
        r = run(m, x)
        assert r.status.value == "halted" and r.state == "done"
        assert r.output == "".join("1" if c == "0" else "0" for c in x)


@pytest.mark.parametrize("x", ["", "a", "aa", "abba", "bab", "ababab", "bbbb", "aaab"])
def test_document_with_synonyms_decides_even_as(x):
    m = load(DATA / "tmio_even_as.yaml")
    r = run(m, x)
    assert r.status.value == "halted"
    assert r.state == ("accept" if x.count("a") % 2 == 0 else "reject")
    assert r.steps == len(x) + 1


@pytest.mark.parametrize("a,b", [(0, 0), (1, 0), (0, 2), (2, 3), (5, 1)])
def test_document_unary_addition_on_a_tape_with_a_blank(a, b):
    m = load(DATA / "tmio_unary_add.yaml")
    assert m.name == "unary addition"
    r = run_tape(m, "1" * a + "_" + "1" * b)
    assert r.status.value == "halted" and r.output == "1" * (a + b)


def test_document_synonym_without_next_state_keeps_the_using_state():
    prog = "blank: '0'\nstart state: a\nsynonyms:\n  hop: {write: 1, R}\ntable:\n  a:\n    '0': hop\n    '1': {R: h}\n  h:\n"
    m = parse_yaml(prog)
    assert m.transitions[("a", "0")].next == "a"


DOC = """name: tiny
source code: |
  blank: '0'
  start state: a
  table:
    a:
      '0': {write: '1', R: h}
    h:
positions:
  a: {x: 1, y: 2}
"""


def test_document_program_name_and_fallbacks():
    assert parse_yaml(DOC).name == "tiny"
    no_name = DOC.replace("name: tiny\n", "")
    assert parse_yaml(no_name, name="fallback").name == "fallback"
    inner = no_name.replace("source code: |\n", "source code: |\n  name: inner\n")
    assert parse_yaml(inner, name="fallback").name == "inner"
    assert parse_yaml(inner.replace("source code", "name: outer\nsource code", 1)).name == "outer"


@pytest.mark.parametrize("text,match", [
    (DOC + "speed: 3\n", r"unknown top-level key 'speed'"),
    (DOC.replace("positions", "table"), r"unknown top-level key 'table'"),
    ("name: x\nsource code: [1, 2]\n", r"'source code' must be a string"),
    ("name: ''\nsource code: 'blank: x'\n", r"'name' must be a non-empty string"),
    (DOC.replace("'0': {write: '1', R: h}", "'0': {write: '1', R: nowhere}"), r"source code.*'nowhere'"),
    (DOC.replace("table:", "colour: red\n  table:"), r"source code.*unknown top-level key 'colour'"),
    ("source code: |\n  blank: [\n", r"source code.*Malformed YAML"),
    ("source code: 'source code: x'\n", r"document inside a document"),
])
def test_document_errors_are_one_line_and_name_the_key(text, match):
    with pytest.raises(FormatError, match=match) as info:
        parse_yaml(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("synonyms,match", [
    ("  R: {L: h}", r"synonym 'R' would hide the move"),
    ("  go: other", r"synonym 'go'.*another synonym"),
    ("  go: {up: h}", r"synonym 'go'.*unknown direction or key 'up'"),
    ("  go: {R: nowhere}", r"'nowhere', which is not in the table"),
])
def test_bad_synonyms_are_named(synonyms, match):
    prog = f"blank: '0'\nstart state: a\nsynonyms:\n{synonyms}\ntable:\n  a:\n    '0': go\n    '1': R\n  h:\n"
    with pytest.raises(FormatError, match=match):
        parse_yaml(prog)


def test_unknown_string_instruction_is_still_an_unknown_direction():
    with pytest.raises(FormatError, match="unknown direction 'go'"):
        parse_yaml("blank: '0'\nstart state: a\ntable:\n  a:\n    '0': go\n")


# ------------------------------------------------------------------------------------------ Morphett
MARK_END = (DATA / "morphett_mark_end.mtm").read_text(encoding="utf-8")
BINARY_ADD = (DATA / "morphett_binary_add.mtm").read_text(encoding="utf-8")


def test_morphett_initial_tape_is_read_with_blanks_as_underscores():
    assert morphett_initial_tape(MARK_END) == "abc"
    assert morphett_initial_tape(BINARY_ADD) == "110_101"
    assert morphett_initial_tape("; $INITIAL_TAPE 1\t0  \n0 _ _ r halt") == "1_0"  # colon optional
    assert morphett_initial_tape("0 _ _ r halt") is None


def test_wildcard_only_program_runs_on_its_own_initial_tape():
    m = load(DATA / "morphett_mark_end.mtm")
    assert set(m.input_symbols) == {"a", "b", "c", "#"}
    r = run(m, morphett_initial_tape(MARK_END))
    assert (r.status.value, r.output) == ("halted", "abc#")
    # Without the declaration the symbols are unknown; the argument or $INPUT_SYMBOLS declares them.
    bare = "\n".join(line for line in MARK_END.splitlines() if "$INITIAL_TAPE" not in line)
    with pytest.raises(InputError, match="'a'"):
        run(parse_morphett(bare), "abc")
    assert run(parse_morphett(bare, input_symbols="abc"), "cab").output == "cab#"
    assert run(parse_morphett(bare + "\n; $INPUT_SYMBOLS: a b c\n"), "ba").output == "ba#"


@pytest.mark.parametrize("a,b", [(6, 5), (0, 0), (1, 0), (0, 3), (7, 15), (12, 9)])
def test_morphett_binary_addition_on_a_tape_with_a_blank(a, b):
    m = load(DATA / "morphett_binary_add.mtm")
    r = run_tape(m, f"{a:b}_{b:b}", max_steps=100_000)
    assert r.status.value == "halted" and int(r.output, 2) == a + b
    assert run_tape(m, morphett_initial_tape(BINARY_ADD)).output == "1011"  # 6 + 5


def test_to_morphett_declares_input_symbols_no_rule_mentions():
    m = Machine(["A", "H"], ["_", "x", "y", "z"], "_", ["x", "y"], "A", ["H"], [("A", "x", "x", "R", "H")])
    text = to_morphett(m)
    assert "; $INPUT_SYMBOLS: y" in text
    back = parse_morphett(text)
    assert set(back.input_symbols) == {"x", "y"}  # z (not an input symbol, in no rule) is dropped
    hostile = m.replace(name="$INPUT_SYMBOLS: q")
    assert "q" not in parse_morphett(to_morphett(hostile)).symbols


@pytest.mark.parametrize("text,kw,match", [
    ("", {}, "Empty Morphett program"),
    ("  \n\t\n", {}, "Empty Morphett program"),
    ("0 _ _ r halt", {"input_symbols": ["ab"]}, "'input_symbols' parameter.*'ab'"),
    ("0 _ _ r halt", {"input_symbols": "_"}, "'input_symbols' parameter.*'_'"),
    ("; $INPUT_SYMBOLS: a*\n0 _ _ r halt", {}, r"declared input symbol '\*'"),
])
def test_morphett_declaration_errors(text, kw, match):
    with pytest.raises(FormatError, match=match):
        parse_morphett(text, **kw)


# ------------------------------------------------------------------------------------------ standard
@st.composite
def standard_strings(draw):
    """Any standard-format string: 1-6 rows of 2-4 triples, '---' or <digit><L|R|S><letter>, the targets
    any row or up to 3 halting letters drawn from all the letters after the rows (not only Z)."""
    n_rows = draw(st.integers(1, 6))
    n_sym = draw(st.integers(2, 4))
    halts = draw(st.lists(st.sampled_from(string.ascii_uppercase[n_rows:]), min_size=1, max_size=3, unique=True))
    targets = list(string.ascii_uppercase[:n_rows]) + halts
    triple = st.one_of(st.just("---"), st.builds("".join, st.tuples(
        st.sampled_from(string.digits[:n_sym]), st.sampled_from("LRS"), st.sampled_from(targets))))
    rows = draw(st.lists(st.lists(triple, min_size=n_sym, max_size=n_sym), min_size=n_rows, max_size=n_rows))
    return "_".join("".join(r) for r in rows)


@given(standard_strings())
@example("1RB1RH_1LA0LH")
@example("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
@example("---1RZ_1LA---")
@example("1RC---_---0LB")   # a halting C after rows A, B; B is a row with no rule going to a halt
@example("1RB---_1LA---")   # no halting state at all
def test_standard_string_round_trips_equal(s):
    m = parse_standard(s)
    assert to_standard(m) == s
    assert parse_standard(to_standard(m)) == m


@given(standard_machines(), st.data())
def test_standard_machine_round_trip_keeps_halting_letters(m, data):
    """Rename the halting states of a standard machine to any letters after its rows: they survive."""
    running = [s for s in m.states if s not in m.halting]
    pool = string.ascii_uppercase[len(running):]
    new = data.draw(st.lists(st.sampled_from(pool), min_size=len(m.halting), max_size=len(m.halting), unique=True))
    names = dict(zip(sorted(m.halting), new))
    ren = {s: names.get(s, s) for s in m.states}
    halting = sorted(names.values())
    m2 = Machine(running + halting, m.symbols, m.blank, m.input_symbols, m.start, halting,
                 [(ren[s], r, w, mv, ren[n]) for (s, r, w, mv, n) in m.rules()])
    assert parse_standard(to_standard(m2)) == m2


def test_standard_halting_names_that_cannot_be_kept_become_free_letters():
    # A halting state named like a row letter, or not a letter, is renamed from Z backwards.
    m = Machine(["x", "y", "A", "h"], ["0", "1"], "0", ["1"], "x", ["A", "h"],
                [("x", "0", "1", "R", "y"), ("y", "0", "1", "L", "A"), ("y", "1", "1", "R", "h")])
    assert to_standard(m) == "1RB---_1LZ1RY"
    m = Machine(["A", "B", "Y"], ["0", "1"], "0", ["1"], "A", ["Y"], [("A", "0", "1", "R", "B"), ("B", "0", "1", "L", "Y")])
    assert to_standard(m) == "1RB---_1LY---"
