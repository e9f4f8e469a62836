"""Tests of tmsim.encodings: decode(encode(run)) == run for every encoding, kernels == references, the local
rules of tableau-triples and gates on generated runs, loss masks, exact lengths, corrupted traces, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tmsim import Machine, Status, configurations, parse_standard, run
from tmsim.encodings import (ENCODINGS, EncodingError, RunLimitError, TokenKind, TraceError, Vocabulary,
                             VocabularyError, compile_circuit, get_encoding)
from tmsim.encodings import _kernels, _reference
from tmsim.errors import InputError
from tmsim.testing import halting_machines, inputs, machine_and_input

MAX = 24  # step budget of the property tests: keeps traces (and the tableau ones' rows) short

SPECS = ["transitions", "tableau", "snapshots(every=3)", "tableau-triples", "gates",
         "transitions(answer=state)", "tableau(answer=state)", "tableau-triples(answer=state)",
         "gates(answer=state)"]
LOCAL = ["tableau-triples", "gates"]

BB2 = "1RB1LB_1LA1RZ"
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"


def binary_increment() -> Machine:
    """Add one to a binary number (most significant bit first): run right, then carry left."""
    return Machine(["R", "C", "H"], ["_", "0", "1"], "_", ["0", "1"], "R", ["H"],
                   {("R", "0"): ("R", "0", "R"), ("R", "1"): ("R", "1", "R"), ("R", "_"): ("C", "_", "L"),
                    ("C", "1"): ("C", "0", "L"), ("C", "0"): ("H", "1", "S"), ("C", "_"): ("H", "1", "S")},
                   name="binary-increment")


def norm(c, blank):
    """A configuration up to its tape representation: state, head, non-blank cells."""
    cells = frozenset((c.tape_start + i, s) for i, s in enumerate(c.tape) if s != blank)
    return c.state, c.head, cells


def prompt_length(enc, machine, tr, n):
    if enc.name == "transitions":
        return n + 1
    if enc.name in ("tableau", "snapshots"):
        return tr.width + 1
    if enc.name == "tableau-triples":
        return 2 * tr.width + 2
    return (tr.width + 1) * enc.circuit(machine).size


def check_shape(enc, machine, tr, n):
    """Loss mask, markers and exact length of one trace."""
    names = tr.names()
    kinds = tr.kinds
    assert (np.diff(kinds.astype(int)) >= 0).all(), "kinds must run prompt -> CoT -> answer"
    assert int((kinds == TokenKind.PROMPT).sum()) == prompt_length(enc, machine, tr, n)
    first_answer = names[int(np.flatnonzero(kinds == TokenKind.ANSWER)[0])]
    assert first_answer == ("END" if enc.name in LOCAL else "<ans>")
    assert names[-1] == "<eos>" and names.count("<eos>") == 1
    # Exact length, from length() and from the sympy formula.
    ans = None if enc.name in LOCAL else int((kinds == TokenKind.ANSWER).sum()) - 2
    assert len(tr) == enc.length(n, tr.steps, tr.width, answer_len=ans, machine=machine)
    n_, T, S, A = sympy.symbols("n T S A", integer=True, nonnegative=True)
    val = enc.length_formula(machine).subs({n_: n, T: tr.steps, S: tr.width or 0, A: ans or 0})
    assert int(val) == len(tr)


# ---------------------------------------------------------------------------------------------- registry
def test_registry_names_and_spelled_params():
    assert ENCODINGS == ("transitions", "tableau", "tableau-triples", "gates", "snapshots")
    for name in ENCODINGS:
        enc = get_encoding(name)
        assert enc.name == name and isinstance(enc.version, int)
        assert get_encoding(enc.spec) == enc
    s = get_encoding("snapshots(every=4)")
    assert s.every == 4 and s.spec == "snapshots(every=4)" and get_encoding(s.spec) == s
    assert get_encoding("tableau(width=12, left=2)") == get_encoding("tableau", width=12, left=2)
    assert get_encoding("snapshots", every=1).params() == {"answer": "tape", "width": None, "left": None, "every": 1}
    assert get_encoding("transitions(answer='state')").answer == "state"
    assert get_encoding(s) is s


@pytest.mark.parametrize("name, params, match", [
    ("tapeau", {}, "Unknown encoding 'tapeau'. The known encodings are 'transitions', 'tableau'"),
    ("snapshots(every=0)", {}, "'every' parameter of snapshots must be an integer >= 1. Got 0"),
    ("snapshots", {"every": 1.5}, "'every' parameter of snapshots must be an integer >= 1"),
    ("tableau", {"answer": "bits"}, "'answer' parameter of tableau must be 'tape' or 'state'. Got 'bits'"),
    ("tableau-triples", {"width": 2}, "'width' parameter of tableau-triples must be an integer >= 3"),
    ("gates", {"left": 0}, "'left' parameter of gates must be an integer >= 1"),
    ("tableau", {"width": 4, "left": 4}, "'left' parameter of tableau must leave input position 0"),
    ("transitions", {"width": 3}, "has no parameter"),
    ("snapshots(every)", {}, "must be written name=value"),
    ("snapshots(every=2)", {"every": 3}, "given both"),
])
def test_registry_errors(name, params, match):
    with pytest.raises(EncodingError, match=match.replace("(", r"\(").replace(")", r"\)")):
        get_encoding(name, **params)


# ---------------------------------------------------------------------------------------------- vocabulary
def test_vocabulary_api_and_json():
    m = parse_standard(BB4)
    for name in ENCODINGS:
        v = get_encoding(name).vocabulary(m)
        assert v.tokens[0] == "<pad>" and v.id("<pad>") == 0 and v.name(4) == "<eos>"
        assert Vocabulary.from_json(v.to_json()) == v
        assert v.names(v.ids(v.tokens)) == list(v.tokens) and len(v) == len(set(v.tokens))
    v = get_encoding("transitions").vocabulary(m)
    assert "q:A" in v and "q:nope" not in v and 3 not in v
    with pytest.raises(VocabularyError, match="'q:nope' is not in the vocabulary"):
        v.id("q:nope")
    with pytest.raises(VocabularyError, match="must be an integer in"):
        v.name(len(v))
    with pytest.raises(VocabularyError, match="must start with '<pad>'"):
        Vocabulary(("a", "b"))
    with pytest.raises(VocabularyError, match="appears twice"):
        Vocabulary(("<pad>", "a", "a"))
    with pytest.raises(VocabularyError, match="Not a tmsim vocabulary"):
        Vocabulary.from_json('{"tokens": []}')


def test_vocabulary_is_independent_of_the_input():
    m = binary_increment()
    for spec in SPECS:
        enc = get_encoding(spec)
        short, long = enc.encode(m, "1"), enc.encode(m, "1011011101")
        assert short.vocabulary == long.vocabulary == enc.vocabulary(m)
    # A fixed width gives short and long inputs one layout (the same period).
    enc = get_encoding("tableau-triples", width=16, left=2)
    assert enc.encode(m, "1").width == enc.encode(m, "1011011101").width == 16


# ---------------------------------------------------------------------------------------------- examples
def test_transitions_layout_on_increment():
    m = binary_increment()
    tr = get_encoding("transitions").encode(m, "011")
    assert tr.text() == ("s:0 s:1 s:1 <sep> "
                         "q:R r:0 w:0 m:R n:R q:R r:1 w:1 m:R n:R q:R r:1 w:1 m:R n:R q:R r:_ w:_ m:L n:C "
                         "q:C r:1 w:0 m:L n:C q:C r:1 w:0 m:L n:C q:C r:0 w:1 m:S n:H <ans> s:1 s:0 s:0 <eos>")
    assert tr.status is Status.HALTED and tr.steps == 7


def test_known_machines_round_trip():
    for text in (BB2, BB4):
        m = parse_standard(text)
        r = run(m)
        for spec in SPECS:
            enc = get_encoding(spec)
            tr = enc.encode(m, max_steps=200)
            d = enc.decode(m, tr)
            assert d.result == r
            assert d.answer == ((r.state,) if enc.answer == "state" else r.tape)


def test_snapshots_every_one_equals_tableau_and_keeps_last_row():
    m = parse_standard(BB4)
    a = get_encoding("snapshots(every=1)").encode(m, max_steps=200)
    b = get_encoding("tableau").encode(m, max_steps=200)
    assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.kinds, b.kinds)
    c = get_encoding("snapshots(every=10)").encode(m, max_steps=200)
    assert c.text().count("|") == 1 + 11  # rows 0, 10, ..., 100 and the last (107)
    d = get_encoding("snapshots(every=10)").decode(m, c)
    assert d.config_steps == tuple(range(0, 101, 10)) + (107,)


# ---------------------------------------------------------------------------------------------- properties
@given(mi=machine_and_input(n_states=(1, 3), max_input=6), spec=st.sampled_from(SPECS))
@example(mi=(binary_increment(), ""), spec="gates")
@example(mi=(binary_increment(), "111"), spec="tableau-triples")
def test_decode_encode_reproduces_the_run(mi, spec):
    machine, x = mi
    enc = get_encoding(spec)
    tr = enc.encode(machine, x, max_steps=MAX, on_timeout="label")
    r = run(machine, x, max_steps=MAX)
    assert tr.status == r.status
    d = enc.decode(machine, tr)
    configs = list(configurations(machine, x, max_steps=MAX))
    blank = machine.blank
    assert d.input == machine.decode_tape(machine.encode_input(x))
    if enc.name == "snapshots" and r.status is Status.STEP_LIMIT:
        # A cut snapshot trace decodes to the smallest step count consistent with its last row.
        assert d.steps <= r.steps and norm(configs[d.steps], blank) == norm(configs[r.steps], blank)
    else:
        assert d.result == r
        assert d.config_steps[-1] == r.steps
    for c, s in zip(d.configurations, d.config_steps):
        assert norm(c, blank) == norm(configs[s], blank)
    if d.transitions is not None:
        assert len(d.transitions) == r.steps
        for (state, read, write, move, nxt), c0, c1 in zip(d.transitions, configs, configs[1:]):
            assert (state, read, nxt) == (c0.state, c0.symbol_at(c0.head, blank), c1.state)
            assert write == c1.symbol_at(c0.head, blank) and int(move) == c1.head - c0.head
    assert d.answer == ((r.state,) if enc.answer == "state" else r.tape)
    check_shape(enc, machine, tr, len(d.input))


@given(mi=machine_and_input(n_states=(1, 3), max_input=6), spec=st.sampled_from(SPECS[:5]), data=st.data())
@settings(max_examples=40)
def test_kernels_match_references(mi, spec, data):
    machine, _ = mi
    xs = data.draw(st.lists(inputs(machine, max_size=6), min_size=1, max_size=4))
    params = {}
    if spec != "transitions" and data.draw(st.booleans()):
        # A fixed window small enough that some runs leave it (status tape_limit).
        b = 1 if spec in LOCAL else 0
        left = data.draw(st.integers(b, 3))
        params = {"width": left + 6 + b + data.draw(st.integers(0, 3)), "left": left}
    enc = get_encoding(spec, **params)
    a = enc.encode_batch(machine, xs, max_steps=MAX, backend="numba")
    b_ = enc.encode_batch(machine, xs, max_steps=MAX, backend="python")
    for field in ("tokens", "kinds", "offsets", "status", "steps", "widths", "lefts"):
        assert np.array_equal(getattr(a, field), getattr(b_, field)), field
    # The counting pass agrees with the simulator when there is no window.
    for j, x in enumerate(xs):
        r = run(machine, x, max_steps=MAX)
        if a.statuses[j] is not Status.TAPE_LIMIT:
            assert (a.statuses[j], int(a.steps[j])) == (r.status, r.steps)
            assert a[j] == enc.encode(machine, x, max_steps=MAX, on_timeout="label")


@given(mi=machine_and_input(n_states=(1, 3), max_input=5), lo=st.integers(-4, 0), hi=st.integers(0, 8),
       budget=st.integers(0, 30))
def test_count_kernel_matches_reference(mi, lo, hi, budget):
    machine, x = mi
    cells = machine.encode_input(x)
    hi = max(hi, len(cells) - 1)
    args = (machine.arrays.packed, machine.n_symbols, cells, machine.state_index[machine.start], budget, lo, hi)
    for scratch in (np.zeros(0, dtype=np.uint8), np.zeros(64, dtype=np.uint8)):
        got = _kernels.count_one(*args, scratch)
        assert tuple(int(v) for v in got) == tuple(int(v) for v in _reference.count_one(*args, None))
        assert not scratch.any()  # a scratch tape is handed back blank


@given(mi=machine_and_input(n_states=(1, 3), max_input=5), answer=st.sampled_from(["tape", "state"]),
       fixed=st.booleans())
@example(mi=(parse_standard(BB2), ""), answer="tape", fixed=False)
def test_triples_next_token_is_a_function_of_fixed_offsets(mi, answer, fixed):
    machine, x = mi
    enc = get_encoding("tableau-triples", answer=answer, **({"width": 10, "left": 2} if fixed else {}))
    tr = enc.encode(machine, x, max_steps=MAX, on_timeout="label")
    rule = enc.local_rule(machine, width=tr.width)
    L = 2 * tr.width + 2
    assert rule.period == L and rule.window == L + 1
    assert rule.offsets == enc.offsets(width=tr.width)
    # A cut run's END header is the scheme's one free choice; every other token follows the rule.
    skip = [] if tr.status is not Status.STEP_LIMIT else [(tr.steps + 1) * L]
    assert rule.check(tr, skip=skip) is None
    names = tr.names()
    family = {"RUN": "header", "END": "header", "X": "filler"}
    for p in range(L, len(names)):
        cls = enc.position_class(p, width=tr.width)
        if p not in skip:
            ctx = [names[p - o] for o in rule.offsets[cls]]
            assert enc.next_token_from_offsets(machine, cls, ctx) == names[p]
        # The class is also readable from the token at offset L.
        above = names[p - L]
        fam = family.get(above, "intermediate" if above.startswith(("(", "COPY", "=")) or above == "-"
                         else "cell")
        assert fam == cls


@given(mi=machine_and_input(n_states=(1, 2), max_input=4), answer=st.sampled_from(["tape", "state"]),
       fixed=st.booleans())
@settings(max_examples=25)
def test_gates_next_token_is_a_function_of_fixed_offsets(mi, answer, fixed):
    machine, x = mi
    enc = get_encoding("gates", answer=answer, **({"width": 8, "left": 2} if fixed else {}))
    tr = enc.encode(machine, x, max_steps=12, on_timeout="label")
    rule = enc.local_rule(machine, width=tr.width)
    circ = enc.circuit(machine)
    G = circ.size
    assert rule.period == (tr.width + 1) * G
    assert set(rule.offsets) == {f"header:{g}" for g in range(G)} | {f"cell:{g}" for g in range(G)}
    # Every gate is a 2-input AND/OR or a 1-input NOT.
    for g in circ.gates:
        assert (g.op, len(g.inputs)) in {("AND", 2), ("OR", 2), ("NOT", 1)}
    skip = [] if tr.status is not Status.STEP_LIMIT else [(tr.steps + 1) * rule.period]
    assert rule.check(tr, skip=skip) is None
    names = tr.names()
    for p in range(rule.period, len(names), 7):
        if p not in skip:
            cls = enc.position_class(p, machine, width=tr.width)
            ctx = [names[p - o] for o in rule.offsets[cls]]
            assert enc.next_token_from_offsets(machine, cls, ctx, width=tr.width) == names[p]


@given(machine=halting_machines(n_states=(1, 3), max_steps=30), spec=st.sampled_from(SPECS[:5]), data=st.data())
def test_a_corrupted_token_is_rejected_at_its_position(machine, spec, data):
    enc = get_encoding(spec)
    tr = enc.encode(machine, "", max_steps=100)
    cot = np.flatnonzero(tr.kinds == TokenKind.COT)
    p = int(data.draw(st.sampled_from(cot)))
    new = data.draw(st.integers(0, len(tr.vocabulary) - 1).filter(lambda t: t != tr.tokens[p]))
    toks = tr.tokens.copy()
    toks[p] = new
    try:
        d = enc.decode(machine, toks)
    except TraceError as e:
        assert e.position == p
        assert e.found == tr.vocabulary.name(new) and e.expected == tr.vocabulary.name(int(tr.tokens[p]))
    else:
        # Only possible with snapshots(every > 1): changing one head cell of the last row can give exactly the
        # trace of the same run cut by the step budget a few steps earlier (same number of rows).
        assert enc.name == "snapshots" and d.status is Status.STEP_LIMIT and d.steps < tr.steps
    # Trailing padding is ignored; names work as well as ids; a truncated trace is rejected where it ends.
    assert enc.decode(machine, np.r_[tr.tokens, [0, 0, 0]]).result == enc.decode(machine, tr).result
    with pytest.raises(TraceError) as e:
        enc.decode(machine, tr.names()[:-1])
    assert e.value.position == len(tr) - 1 and e.value.found == "end of trace"


# ---------------------------------------------------------------------------------------------- limits
def test_runs_that_do_not_stop():
    loop = Machine(["A", "H"], ["0", "1"], "0", ["1"], "A", ["H"], {("A", "0"): ("A", "1", "R"),
                                                                     ("A", "1"): ("A", "1", "R")}, name="runner")
    for spec in SPECS[:5]:
        enc = get_encoding(spec)
        with pytest.raises(RunLimitError, match="did not stop within max_steps=10"):
            enc.encode(loop, "1", max_steps=10)
        tr = enc.encode(loop, "1", max_steps=10, on_timeout="label")
        assert tr.status is Status.STEP_LIMIT and tr.steps == 10
        d = enc.decode(loop, tr)
        assert d.status is Status.STEP_LIMIT and d.steps == 10 and d.output == "1" * 10
        batch = enc.encode_batch(loop, ["1", ""], max_steps=5)
        assert batch.statuses == (Status.STEP_LIMIT, Status.STEP_LIMIT) and not batch.stopped.any()
    # A fixed window that the run leaves: tape_limit.
    enc = get_encoding("tableau-triples", width=6, left=1)
    with pytest.raises(RunLimitError, match="would leave the tableau window"):
        enc.encode(loop, "1", max_steps=10)
    tr = enc.encode(loop, "1", max_steps=10, on_timeout="label")
    assert tr.status is Status.TAPE_LIMIT and tr.steps == 3
    assert enc.local_rule(loop).check(tr) is None
    assert enc.decode(loop, tr).status is Status.TAPE_LIMIT


def test_bad_inputs_get_clear_errors():
    m = binary_increment()
    with pytest.raises(InputError, match="input symbol '2' at position 1 is not in the input alphabet"):
        get_encoding("tableau").encode(m, "121")
    with pytest.raises(InputError, match=r"inputs\[1\] symbol 'x' at position 0"):
        get_encoding("transitions").encode_batch(m, ["1", "x"])
    with pytest.raises(EncodingError, match=r"too small for the input: the input has 5 symbols, which need "
                                            r"width >= 7 \(left=1, plus a boundary cell\). Got width=6"):
        get_encoding("tableau-triples", width=6, left=1).encode(m, "10101")
    with pytest.raises(EncodingError, match="too small for the input"):
        get_encoding("tableau", width=3).encode_batch(m, ["1", "1111"])
    with pytest.raises(EncodingError, match="'on_timeout' parameter of transitions.encode must be 'error' or"):
        get_encoding("transitions").encode(m, "1", on_timeout="drop")
    with pytest.raises(EncodingError, match="'max_steps' parameter"):
        get_encoding("transitions").encode(m, "1", max_steps=-1)
    with pytest.raises(EncodingError, match="must be a tmsim.Machine"):
        get_encoding("gates").encode("1RB", "1")
    with pytest.raises(EncodingError, match="not a single string"):
        get_encoding("tableau").encode_batch(m, "101")
    with pytest.raises(EncodingError, match="needs the row width"):
        get_encoding("tableau").length(3, 4, answer_len=2)
    with pytest.raises(EncodingError, match="pass width=W"):
        get_encoding("tableau-triples").offsets()
    with pytest.raises(TraceError, match="outside the"):
        get_encoding("transitions").decode(m, [10_000])
    with pytest.raises(TraceError, match="not in the"):
        get_encoding("transitions").decode(m, ["s:1", "bogus"])


# ---------------------------------------------------------------------------------------------- batches
def test_batch_is_ragged_and_matches_single_encodes():
    m = binary_increment()
    xs = ["", "1", "10", "111", "1011", "0"]
    for spec in SPECS[:5]:
        enc = get_encoding(spec)
        batch = enc.encode_batch(m, xs)
        assert batch.tokens.dtype == np.int32 and batch.kinds.dtype == np.uint8 and batch.offsets.dtype == np.int64
        assert len(batch) == len(xs) and batch.offsets[-1] == len(batch.tokens)
        sizes = enc.measure(m, xs)
        assert np.array_equal(sizes.lengths, batch.lengths)
        for j, x in enumerate(xs):
            assert batch[j] == enc.encode(m, x)
        # The fast path for pre-encoded inputs gives the same batch.
        cells = np.concatenate([m.encode_input(x) for x in xs])
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in xs])])
        assert np.array_equal(enc.encode_cells(m, cells, offsets).tokens, batch.tokens)
    empty = get_encoding("tableau").encode_batch(m, [])
    assert len(empty) == 0 and empty.n_tokens == 0


def test_gate_circuit_of_bb4():
    c = compile_circuit(parse_standard(BB4))
    assert c.size == len(c.gates) and sum(c.counts().values()) == c.size
    assert len(c.slot_sym) == 2 and len(c.slot_hd) == 5


# ---------------------------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("spec", LOCAL)
@pytest.mark.parametrize("machine_std, width", [(BB2, 6), (BB4, 9), ("1RB---_0LB1RZ", 3)])
def test_local_layout_values_and_the_rule(spec, machine_std, width):
    """The PositionLayout holds what the former dict producer local_features derived from the local rule
    (period, classes in rule order, per-class offsets as sets) and what the rule checks a real trace with."""
    m = parse_standard(machine_std)
    enc = get_encoding(spec)
    lay = enc.layout(m, width=width)
    rule = enc.local_rule(m, width=width)
    names = list(rule.offsets)  # the values local_features gave, from the rule itself
    assert lay.period == int(rule.period)
    assert lay.classes == tuple(names.index(rule.position_class(p)) for p in range(rule.period))
    assert lay.offsets == tuple(tuple(sorted(int(o) for o in rule.offsets[c])) for c in names)
    assert lay == rule.layout() and lay.names == rule.classes
    assert get_encoding(spec, width=width).layout(m) == lay  # the encoding's own width is the default
    # Position t of a trace (counted from its start, the prompt included) is of the rule's class there.
    tr = get_encoding(spec, width=width).encode(m, "", max_steps=MAX, on_timeout="label")
    assert all(lay.names[lay.class_of(p)] == rule.position_class(p) for p in range(len(tr)))


def test_row_layouts_of_the_tableau_encodings_and_transitions():
    m = parse_standard(BB2)
    for spec in ("tableau", "snapshots(every=3)", "tableau(answer=state)"):
        enc = get_encoding(spec)
        tr = get_encoding(spec, width=7).encode(m)
        lay = enc.layout(m, width=7)
        assert lay.period == 8 and lay.names == ("cell", "separator") and lay.offsets is None
        bar = tr.vocabulary.id("|")
        rows = len(tr) - (len(tr.answer))  # every row, the prompt included, ends with '|' at residue W
        assert all((tr.tokens[p] == bar) == (lay.names[lay.class_of(p)] == "separator") for p in range(rows))
        assert enc.layout().period == 1  # per-run widths: no period fits every trace
        assert get_encoding(spec, width=7).layout() == lay
    for spec in ("transitions", "transitions(answer=state)"):
        assert get_encoding(spec).layout(m) == get_encoding(spec).layout().shift_invariant()
    with pytest.raises(EncodingError, match="'width' parameter of transitions.layout"):
        get_encoding("transitions").layout(width=5)
    with pytest.raises(EncodingError, match="'machine' parameter of gates.layout"):
        get_encoding("gates").layout(width=5)
    with pytest.raises(EncodingError, match="pass width=W"):
        get_encoding("tableau-triples").layout()
