"""Tests of tmsim.zoo: every function/recogniser entry against its independent reference on every well-formed
input up to ``verify_up_to``, longer random inputs, busy-beaver constants, registry errors."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from tmsim import Machine, ParameterError, Status, run, run_batch
from tmsim.errors import InputError
from tmsim import zoo
from tmsim.zoo import Language, ZooEntry

COMPUTING = [e.name for e in zoo.entries() if e.task != "busy-beaver"]
BUSY_BEAVERS = [e.name for e in zoo.entries() if e.task == "busy-beaver"]


def _tape_budget(max_len: int) -> int:
    # Every computing machine visits at most about twice its input's span (copy writes w#w; multiplication
    # grows the product left of the input): a small max_tape keeps run_batch's output buffers small.
    return 2 * max_len + 16


# ------------------------------------------------------------------------------------------------ exhaustive
@pytest.mark.parametrize("name", COMPUTING)
def test_every_well_formed_input_up_to_verify_up_to(name):
    e = zoo.get(name)
    xs = list(e.inputs(e.verify_up_to))
    assert len(xs) == sum(e.language.count(n) for n in range(e.verify_up_to + 1))
    results = run_batch(e.machine, xs, max_steps=e.max_steps, max_tape=_tape_budget(e.verify_up_to))
    failures = []
    for x, r in zip(xs, results):
        if r.status is not Status.HALTED or e.answer(r) != e.reference(x):
            failures.append((x, r.status.value, r.state, r.output, e.reference(x)))
    assert not failures, f"{name}: {len(failures)} failures, first {failures[:5]}"


@pytest.mark.parametrize("name", COMPUTING)
def test_max_steps_is_needed_not_just_sufficient(name):
    # The budget is a bound, not a guess: no run up to verify_up_to comes close to exceeding it, and the
    # longest run really uses a good part of it (a budget far above every run would hide a slow machine).
    e = zoo.get(name)
    xs = list(e.inputs(e.verify_up_to, e.verify_up_to))
    steps = run_batch(e.machine, xs, max_steps=e.max_steps, max_tape=_tape_budget(e.verify_up_to)).steps
    assert steps.max() < e.max_steps <= 4 * steps.max() + 64


@pytest.mark.parametrize("name", ["binary-addition", "binary-multiplication", "unary-addition"])
def test_malformed_inputs_stop(name):
    # Off the language the machine may compute anything, but it never runs on.
    e = zoo.get(name)
    bad = ["".join(t) for n in range(8) for t in itertools.product(e.machine.input_symbols, repeat=n)
           if not e.well_formed("".join(t))]
    assert bad
    results = run_batch(e.machine, bad, max_steps=100_000, max_tape=1_000)
    assert set(results.status.tolist()) <= {0, 1}  # halted or undefined
    for x in bad[:50]:
        with pytest.raises(ValueError):
            e.reference(x)


# ------------------------------------------------------------------------------------------------ longer inputs
def _binary(max_bits=12):
    # A binary number of up to max_bits significant bits, with up to 3 leading zeros (both are well-formed).
    return st.builds(lambda n, z: "0" * z + format(n, "b"), st.integers(0, 2 ** max_bits - 1), st.integers(0, 3))


@given(a=_binary(), b=_binary())
@example(a="1" * 12, b="1" * 12)  # the longest carry chains
@example(a="0", b="0")
@example(a="000", b="1")
def test_binary_addition_long(a, b):
    e = zoo.get("binary-addition")
    r = run(e.machine, f"{a}+{b}", max_steps=100_000)
    assert r.status is Status.HALTED
    assert r.output == format(int(a, 2) + int(b, 2), "b") == e.reference(f"{a}+{b}")


@given(a=_binary(), b=_binary())
@example(a="1" * 12, b="1" * 12)
@example(a="0", b="1" * 12)
@example(a="1" * 12, b="000")
def test_binary_multiplication_long(a, b):
    e = zoo.get("binary-multiplication")
    r = run(e.machine, f"{a}*{b}", max_steps=1_000_000)
    assert r.status is Status.HALTED
    assert r.output == format(int(a, 2) * int(b, 2), "b") == e.reference(f"{a}*{b}")


@given(x=st.text("01", max_size=40))
@example(x="1" * 40)
@example(x="0" * 40)
def test_binary_increment_long(x):
    e = zoo.get("binary-increment")
    r = run(e.machine, x, max_steps=1_000)
    assert r.status is Status.HALTED
    assert r.output == e.reference(x)
    assert int(r.output, 2) == int(x or "0", 2) + 1


@given(a=st.integers(0, 60), b=st.integers(0, 60))
def test_unary_addition_long(a, b):
    e = zoo.get("unary-addition")
    r = run(e.machine, "1" * a + "+" + "1" * b, max_steps=1_000)
    assert r.status is Status.HALTED and r.output == "1" * (a + b)


@given(x=st.text("01", min_size=13, max_size=30))
def test_copy_long(x):
    r = run(zoo.get("copy").machine, x, max_steps=100_000)
    assert r.status is Status.HALTED and r.output == x + "#" + x


@given(half=st.text("ab", max_size=20), mid=st.sampled_from(["", "a", "b"]), flip=st.booleans())
def test_palindrome_long(half, mid, flip):
    # Palindromes are rare among random strings: build them, and break some on purpose.
    x = half + mid + half[::-1]
    if flip and half:
        x = ("b" if x[0] == "a" else "a") + x[1:]
    e = zoo.get("palindrome")
    r = run(e.machine, x, max_steps=100_000)
    assert r.status is Status.HALTED
    assert e.answer(r) is (x == x[::-1]) is e.reference(x)


@given(x=st.text("01", max_size=60))
def test_parity_long(x):
    e = zoo.get("parity")
    r = run(e.machine, x, max_steps=1_000)
    assert e.answer(r) is (x.count("1") % 2 == 1)


@given(x=st.text("12", max_size=60))
def test_parity_standard_long(x):
    e = zoo.get("parity-standard")
    r = run(e.machine, x, max_steps=1_000)
    assert r.status is Status.HALTED and r.state == "Z"
    assert r.output == e.reference(x) and r.output[:-1] == x
    assert r.output[-1] == "12"[x.count("1") % 2]


# ------------------------------------------------------------------------------------------------ conventions
def test_documented_edge_cases():
    assert zoo.get("binary-increment").expected("") == "1"
    assert zoo.get("binary-increment").expected("0011") == "0100"
    assert zoo.get("binary-increment").expected("111") == "1000"
    assert zoo.get("binary-addition").expected("000+0") == "0"
    assert zoo.get("binary-addition").expected("0011+01") == "100"
    assert zoo.get("binary-multiplication").expected("101*0") == "0"
    assert zoo.get("unary-addition").expected("+") == ""
    assert zoo.get("copy").expected("") == "#"
    assert zoo.get("parity").expected("") is False
    assert zoo.get("palindrome").expected("") is True
    assert zoo.get("parity-standard").expected("") == "1"


def test_design_parity_machine_is_the_standard_string():
    from tmsim import to_standard

    assert to_standard(zoo.get("parity-standard").machine) == "1RZ1RB2RA_2RZ1RA2RB"


ACCEPTING = [e.name for e in zoo.entries() if e.task == "accept"]


def _stops_elsewhere(machine: Machine, inputs: list[str], max_steps: int, max_len: int) -> list[tuple]:
    """(input, status, state) of every run that does not end by halting in 'accept' or 'reject'."""
    results = run_batch(machine, inputs, max_steps=max_steps, max_tape=_tape_budget(max_len))
    return [(x, r.status.value, r.state) for x, r in zip(inputs, results)
            if r.status is not Status.HALTED or r.state not in ("accept", "reject")]


def test_accept_machines_stop_only_in_accept_or_reject():
    for name in ("parity", "palindrome"):
        m = zoo.get(name).machine
        assert m.halting == {"accept", "reject"}
    assert {"parity", "palindrome"} <= set(ACCEPTING)
    for name in ACCEPTING:
        e = zoo.get(name)
        assert e.machine.halting == {"accept", "reject"}
        # Every input over the input symbols (for these entries all are well-formed) up to verify_up_to: the
        # run halts, and in accept or reject (not an undefined transition, a step or tape limit, another state).
        xs = ["".join(t) for n in range(e.verify_up_to + 1) for t in itertools.product(e.machine.input_symbols,
                                                                                          repeat=n)]
        assert len(xs) >= 2 ** e.verify_up_to
        bad = _stops_elsewhere(e.machine, xs, e.max_steps, e.verify_up_to)
        assert not bad, f"{name}: {len(bad)} runs stop elsewhere, first {bad[:5]}"
    # The check catches what it is about: a parity machine that gets stuck (no rule for (odd, blank)), and one
    # that halts in a third halting state.
    parity = zoo.get("parity").machine
    rules = {k: (r.next, r.write, r.move) for k, r in parity.transitions.items()}
    stuck = parity.replace(transitions={k: v for k, v in rules.items() if k != ("odd", "_")})
    assert _stops_elsewhere(stuck, ["0", "1", "11"], 64, 2) == [("1", "undefined", "odd")]
    third = parity.replace(states=parity.states + ("done",), halting=("accept", "reject", "done"),
                           transitions={**rules, ("odd", "_"): ("done", "_", "S")})
    assert _stops_elsewhere(third, ["0", "1", "11"], 64, 2) == [("1", "halted", "done")]


# ------------------------------------------------------------------------------------------------ busy beavers
PUBLISHED = {"bb2": (6, 4), "bb3": (21, 5), "bb3-sigma": (14, 6), "bb4": (107, 13), "bb5": (47_176_870, 4_098),
             "bb2x3": (38, 9)}


@pytest.mark.parametrize("name", BUSY_BEAVERS)
def test_busy_beaver(name):
    e = zoo.get(name)
    r = run(e.machine, None, max_steps=e.max_steps)
    assert r.status is Status.HALTED
    assert e.answer(r) == (r.steps, r.nonblank) == e.reference(None) == e.expected() == PUBLISHED[name]
    assert e.expected("") == e.reference(None)
    assert list(e.inputs(5)) == [""]
    with pytest.raises(InputError):
        e.reference("1")


def test_busy_beaver_budget_is_exact():
    # The halting transition is a step: one step less and the run is cut short.
    e = zoo.get("bb4")
    r = run(e.machine, max_steps=e.max_steps - 1)
    assert r.status is Status.STEP_LIMIT
    with pytest.raises(ParameterError, match="step_limit"):
        e.answer(r)


def test_busy_beaver_2x3_has_three_symbols():
    m = zoo.get("bb2x3").machine
    assert m.symbols == ("0", "1", "2") and len(m.halting) == 1


# ------------------------------------------------------------------------------------------------ registry
def test_names_and_entries():
    assert len(set(zoo.names())) == len(zoo.names())
    assert tuple(e.name for e in zoo.entries()) == zoo.names()
    assert set(PUBLISHED) | set(COMPUTING) == set(zoo.names())
    for e in zoo.entries():
        assert isinstance(e, ZooEntry) and isinstance(e.machine, Machine)
        assert e.machine.name == e.name
        assert e.task in zoo.TASKS
        assert e.description and "\n" not in e.description
        assert zoo.get(e.name) is e is zoo.get("zoo:" + e.name)


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ParameterError) as info:
        zoo.get("bb6")
    assert "'bb6'" in str(info.value)
    for name in zoo.names():
        assert name in str(info.value)
    with pytest.raises(ParameterError):
        zoo.get("zoo:")
    with pytest.raises(ParameterError, match="must be a str"):
        zoo.get(4)


def test_entries_are_frozen():
    e = zoo.get("parity")
    with pytest.raises(AttributeError):
        e.max_steps = 1


def test_answer_rejects_unfinished_runs_and_wrong_types():
    e = zoo.get("copy")
    r = run(e.machine, "0101", max_steps=3)
    assert r.status is Status.STEP_LIMIT
    with pytest.raises(ParameterError, match="copy"):
        e.answer(r)
    with pytest.raises(ParameterError, match="RunResult"):
        e.answer("0101#0101")


def test_entry_validation():
    e = zoo.get("parity")
    with pytest.raises(ParameterError, match="task"):
        ZooEntry("x", e.machine, "d", "sort", e.reference, 1, 1, e.language)
    with pytest.raises(ParameterError, match="accept"):
        ZooEntry("x", zoo.get("copy").machine, "d", "accept", e.reference, 1, 1, e.language)
    with pytest.raises(ParameterError, match="input symbols"):
        ZooEntry("x", e.machine, "d", "function", e.reference, 1, 1, Language(("a",)))


# ------------------------------------------------------------------------------------------------ languages
LANGUAGES = {e.name: e.language for e in zoo.entries()}


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_language_agrees_with_brute_force(name):
    lang = LANGUAGES[name]
    syms = zoo.get(name).machine.input_symbols
    for n in range(7):
        brute = sorted("".join(t) for t in itertools.product(syms, repeat=n) if lang.contains("".join(t)))
        listed = list(lang.strings(n))
        assert sorted(listed) == brute and len(set(listed)) == len(listed) == lang.count(n)


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_sample(name):
    e = zoo.get(name)
    rng = np.random.default_rng(0)
    for n in range(9):
        if e.language.count(n) == 0:
            with pytest.raises(ParameterError, match="length"):
                e.sample(n, rng)
            continue
        x = e.sample(n, rng)
        assert len(x) == n and e.well_formed(x)
        assert e.sample(n, random_state=7) == e.sample(n, random_state=7)


def test_sample_is_uniform_over_operator_positions():
    e = zoo.get("binary-addition")
    rng = np.random.default_rng(1)
    positions = [e.sample(6, rng).index("+") for _ in range(4000)]
    counts = np.bincount(positions, minlength=5)[1:5]
    assert counts.min() > 850  # 1000 expected at each of the 4 positions


def test_well_formed():
    add = zoo.get("binary-addition")
    assert add.well_formed("0+0") and add.well_formed("0010+1")
    for x in ["", "+", "1+", "+1", "1+1+1", "12+1", "1*1", None, 5]:
        assert not add.well_formed(x)
    assert zoo.get("unary-addition").well_formed("+")
    assert zoo.get("parity").well_formed("") and zoo.get("parity").well_formed(None)
    assert zoo.get("bb5").well_formed(None) and not zoo.get("bb5").well_formed("1")
    assert LANGUAGES["binary-multiplication"].pattern == r"[01]+\*[01]+"
    assert LANGUAGES["unary-addition"].pattern == r"1*\+1*"
    assert LANGUAGES["palindrome"].pattern == "[ab]*"


# ------------------------------------------------------------------------------------------------ random machines
def test_random_halting_machine_is_reproducible_and_its_errors_are_tmsim_errors():
    from tmsim.zoo.random import random_halting_machine

    m = random_halting_machine(0)
    assert m.name == "random:0RC2RB1RC_1RZ2LA1RB_2LB0RA0RB" == random_halting_machine(np.random.default_rng(0)).name
    assert m == random_halting_machine(0) and m != random_halting_machine(1)
    assert (m.n_states, m.n_symbols, m.halting) == (4, 3, frozenset({"halt"}))
    with pytest.raises(ParameterError, match="no machine with 3 states and 3 symbols passed the probes in 1 tries"):
        random_halting_machine(0, max_tries=1)
    for kw, name in ((dict(n_states=0), "n_states"), (dict(n_symbols=1), "n_symbols"),
                     (dict(lengths=(5, 2)), "lengths"), (dict(random_state=-1), "random_state")):
        with pytest.raises(ParameterError, match=f"'{name}"):
            random_halting_machine(**{"random_state": 0, **kw})


# ------------------------------------------------------------------------------------------------ counting
@st.composite
def languages(draw):
    k = draw(st.integers(0, 3))
    op = draw(st.sampled_from([None, "+"]))
    return Language(tuple("abc"[:k]), operator=op, min_operand=draw(st.integers(0, 2)) if op else 0,
                    max_length=draw(st.one_of(st.none(), st.integers(0, 7))))


@given(languages(), st.integers(0, 12), st.integers(0, 12))
def test_closed_form_counts_agree_with_counting_every_length(lang, a, b):
    from tmsim.zoo.language import count_strings

    brute = [L for L in range(a, b + 1) if lang.count(L) > 0]
    assert list(lang.admitted_lengths(a, b)) == brute
    assert lang.count_between(a, b) == sum(lang.count(L) for L in range(a, b + 1))
    assert all(lang.count(L) == len(list(lang.strings(L))) for L in range(min(b, 6) + 1))
    k = len(lang.alphabet)
    assert count_strings(k, a, b) == sum(k ** L for L in range(a, b + 1))
