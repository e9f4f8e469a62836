"""Compiled linear emulators (learners.compile_linear): the free rollout equals the encoder's trace token for
token (zero mismatches) on zoo and generated machines, for tableau-triples and gates; exact integer margins;
sizes against the length formulas; a corrupted weight is caught; bad input."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from learners import CompiledModel, LearnerError, LinearAR, compile_linear, evaluate
from learners.compile import DENSE_LIMIT_BYTES, _triple_semantics
from learners.testing import check_emulates
from tmsim import parse_standard, zoo
from tmsim.encodings import get_encoding
from tmsim.testing import halting_machines, inputs, machines

ENCODINGS = ("tableau-triples", "gates")
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"


def _width(machine, encoding, xs, max_steps):
    """One row width for every input: the widest run's."""
    return int(get_encoding(encoding).measure(machine, xs, max_steps=max_steps).widths.max())


def _assert_emulates(cm, xs, max_steps, *, rollout=True):
    v = cm.verify(xs, max_steps=max_steps, rollout=rollout)
    assert v["teacher_forced_errors"] == 0 and (v["min_margin"] is None or v["min_margin"] >= 1), v
    if rollout:
        assert v["mismatched_tokens"] == 0 and v["exact"] == v["traces"], v
    return v


# ------------------------------------------------------------------------------------------------ zoo
ZOO = [("binary-increment", 6), ("parity", 6), ("binary-addition", 3), ("bb4", 0)]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name,max_len", ZOO)
def test_zoo_rollouts_reproduce_every_trace_with_one_width(name, max_len, encoding):
    e = zoo.get(name)
    xs = list(e.inputs(max_len)) if max_len else [""]
    W = _width(e.machine, encoding, xs, e.max_steps)
    cm = compile_linear(e.machine, encoding, width=W)
    batch = cm.encoding.encode_batch(e.machine, xs, max_steps=e.max_steps)
    assert set(batch.statuses) == {batch.statuses[0]} and batch[0].stopped
    assert len(set(batch.input_lengths.tolist())) == (max_len - 2 if name == "binary-addition" else max_len + 1)
    # binary-addition tableau-triples: V = 4,638, the dense weights exceed the limit: the sparse path runs.
    assert (cm.dense_bytes > DENSE_LIMIT_BYTES) == (name == "binary-addition" and encoding == "tableau-triples")
    v = _assert_emulates(cm, xs, e.max_steps)
    assert v["traces"] == len(xs) and v["skipped"] == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("answer", ["tape", "state"])
def test_evaluate_and_teacher_forcing_on_parity(encoding, answer):
    e = zoo.get("parity")
    xs = list(e.inputs(5))
    enc = get_encoding(encoding, answer=answer)
    cm = compile_linear(e.machine, enc, width=_width(e.machine, enc, xs, e.max_steps))
    batch = cm.encoding.encode_batch(e.machine, xs, max_steps=e.max_steps)
    ev = evaluate(cm, batch)
    assert (ev.token_accuracy, ev.sequence_error, ev.exact_match, ev.answer_exact_match) == (1.0, 0.0, 1.0, 1.0)
    dense = cm.model.predict(batch)
    np.testing.assert_array_equal(dense, cm.targets(batch))
    np.testing.assert_array_equal(cm.predict(batch, backend="sparse"), dense)
    assert isinstance(cm.model, LinearAR) and cm.model.vocabulary_ == cm.vocabulary
    # Integer weights, so the argmax is never a tie: every margin is a whole number >= 1.
    assert cm.margins(batch).min() == 1
    assert float(cm.model.coef_.max()) == float(cm.coef.max()) and np.all(cm.coef.data == np.round(cm.coef.data))


def test_check_emulates_accepts_a_compiled_model():
    e = zoo.get("binary-increment")
    cm = compile_linear(e.machine, "tableau-triples", width=10)
    check_emulates(cm, e.machine, cm.encoding, max_size=6, max_examples=15, max_steps=e.max_steps)


# ------------------------------------------------------------------------------------------------ generated
@st.composite
def machine_and_inputs(draw):
    """A machine (halting on the blank tape, or stopping only on an undefined transition, if at all) and a
    few inputs, the blank tape among them. Random small machines stop early or not at all: the long runs
    checked here end at the window's edge (tape_limit, exact) or at the step budget (every step but the
    END header exact); the zoo tests above bring the long halting runs."""
    m = draw(st.one_of(halting_machines(n_states=(1, 3), n_symbols=(2, 3), max_steps=60),
                       machines(n_states=(1, 3), n_symbols=(2, 3), halting_targets=False)))
    xs = draw(st.lists(inputs(m, max_size=5), min_size=0, max_size=3))
    return m, ["" if m.single_char_symbols else ()] + xs


@settings(max_examples=40)
@given(machine_and_inputs(), st.sampled_from(ENCODINGS), st.sampled_from(["tape", "state"]), st.integers(0, 2))
def test_generated_machines_are_emulated_exactly(mi, encoding, answer, narrower):
    m, xs = mi
    max_steps = 60
    enc = get_encoding(encoding, answer=answer)
    # A narrower row than the widest run makes the head reach the boundary: status tape_limit, still local.
    W = max(_width(m, enc, xs, max_steps) - narrower, max(len(x) for x in xs) + 2, 3)
    cm = compile_linear(m, enc, width=W)
    v = _assert_emulates(cm, xs, max_steps)
    assert v["traces"] + v["skipped"] == len(xs)
    batch = cm.encoding.encode_batch(m, xs, max_steps=max_steps)
    for tr in batch:
        # The LinearAR class (t - start) mod period is the encoding's class only because the prompt is row 0.
        assert len(tr.prompt) == cm.row_period and (tr.kinds[:cm.row_period] == 0).all()
        if tr.status.value == "step_limit":
            # Cut by the budget: the END header is the encoding's one non-local choice, the only wrong step.
            end_header = len(tr) - cm.row_period - 1 - (answer == "state")
            assert np.flatnonzero(cm.margins(tr) <= 0).tolist() == [end_header - cm.row_period]


def test_triple_semantics_from_the_transition_table_agree_with_the_encoder():
    m = parse_standard(BB4)
    enc = get_encoding("tableau-triples")
    rule = enc.local_rule(m, width=8)
    voc = enc.vocabulary(m)
    seen = set()
    for a, b, c, res, stops in _triple_semantics(m):
        name = f"({a},{b},{c})"
        seen.add(name)
        assert rule.next_token("cell", [name, "#"]) == res
        # The halted flag: a stopping triple two cells left turns the next plain intermediate into COPY*.
        assert rule.next_token("intermediate", [name, "COPY", "COPY", "s:0", "s:0", "s:0"]) == \
            ("COPY*" if stops else "COPY")
    assert seen == {t for t in voc.tokens if t.startswith("(")}


# ------------------------------------------------------------------------------------------------ sizes
def test_report_sizes_and_lengths_match_the_formula():
    m = zoo.get("bb4").machine
    t = compile_linear(m, "tableau-triples", width=16).report([""], max_steps=200)
    assert (t["window"], t["n_offsets"], t["blocks"], t["row_period"]) == (35, 8, 1, 34)
    assert t["vocab_size"] == len(get_encoding("tableau-triples").vocabulary(m))
    run = t["runs"][0]
    assert (run["steps"], run["status"], run["matches_formula"]) == (107, "halted", True)
    assert run["length"] == (107 + 2) * 34 + 1 and run["cot_tokens"] == 107 * 34
    assert t["tiers"]["class"] > 2 * t["tiers"]["row"] > t["tiers"]["rule"]
    assert t["max_abs_weight"] == 2 * t["tiers"]["class"] + 1 and t["nonzero"] < t["dense_parameters"] / 10
    g = compile_linear(m, "gates", width=16).report([""], max_steps=200)
    G = get_encoding("gates").circuit(m).size
    assert (g["blocks"], g["row_period"], g["runs"][0]["length"]) == (G, 17 * G, (107 + 2) * 17 * G + 1)
    assert g["runs"][0]["matches_formula"] and g["window"] == max(
        o for offs in get_encoding("gates").offsets(m, width=16).values() for o in offs)


def test_gates_row_period_tiles_the_gate_blocks():
    m = parse_standard("1RB1LB_1LA1RZ")
    xs = ["", "1", "11"]
    by_gate = compile_linear(m, "gates", width=7)
    by_row = compile_linear(m, "gates", width=7, period="row")
    assert by_row.period == by_row.row_period == 8 * by_gate.period
    assert by_row.nonzero == 8 * by_gate.nonzero
    batch = by_gate.encoding.encode_batch(m, xs)
    np.testing.assert_array_equal(by_row.predict(batch), by_gate.predict(batch))
    _assert_emulates(by_row, xs, 1000)


def test_one_triples_model_serves_every_input_length_at_its_width():
    e = zoo.get("binary-increment")
    cm = compile_linear(e.machine, "tableau-triples", width=14)
    xs = ["", "1", "0111", "1011001", "111111111"]
    v = _assert_emulates(cm, xs, e.max_steps)
    assert v["exact"] == 5


# ------------------------------------------------------------------------------------------------ corruption
def _flip(cm, block, offset, token, output):
    V, k = cm.vocab_size, len(cm.offsets)
    coef = cm.coef.tolil()
    r = (block * k + cm.offsets.index(offset)) * V + cm.vocabulary.id(token)
    c = cm.vocabulary.id(output)
    assert coef[r, c] > 0
    coef[r, c] = -coef[r, c]
    return dataclasses.replace(cm, coef=coef.tocsr())


@pytest.mark.parametrize("encoding,spot", [
    ("tableau-triples", ("L", "RUN", "RUN")),   # class tier: a header after a RUN header (2B)
    ("tableau-triples", ("L", "s:1", "s:1")),   # class tier + copy: a cell under s:1 (2B + 1)
    ("gates", (1, "RUN", "0")),                 # header tier: slot 1 of a RUN header block (B)
    ("gates", ("L", "RUN", "RUN")),             # header tier: slot 0 after a RUN header (B)
])
def test_a_flipped_large_weight_is_caught(encoding, spot):
    m = parse_standard(BB4)
    cm = compile_linear(m, encoding, width=16)
    offset, token, output = spot
    offset = cm.row_period if offset == "L" else offset
    block = offset if encoding == "gates" and offset < cm.period else 0
    bad = _flip(cm, block, offset, token, output)
    assert abs(bad.coef.min()) >= cm.tiers.get("class", cm.tiers.get("header"))
    assert _assert_emulates(cm, [""], 200)["exact"] == 1
    v = bad.verify([""], max_steps=200)
    assert v["teacher_forced_errors"] > 0 and v["min_margin"] < 0 and v["mismatched_tokens"] > 0 and v["exact"] == 0


# ------------------------------------------------------------------------------------------------ bad input
def test_bad_input_is_a_clear_error():
    m = parse_standard(BB4)
    with pytest.raises(LearnerError, match="'encoding' parameter of compile_linear must be one of"):
        compile_linear(m, "tableau", width=8)
    with pytest.raises(LearnerError, match="needs the row width"):
        compile_linear(m, "gates")
    with pytest.raises(LearnerError, match="'width' parameter of compile_linear must be an int >= 3. Got 2"):
        compile_linear(m, "tableau-triples", width=2)
    with pytest.raises(LearnerError, match="'period' parameter"):
        compile_linear(m, "gates", width=8, period="cell")
    with pytest.raises(LearnerError, match="'machine' parameter"):
        compile_linear(BB4, "gates", width=8)
    cm = compile_linear(m, get_encoding("tableau-triples", width=9))
    assert isinstance(cm, CompiledModel) and cm.width == 9
    with pytest.raises(LearnerError, match="max_bytes"):
        cm.to_linear(max_bytes=10)
    with pytest.raises(LearnerError, match="'backend' parameter"):
        cm.predict([np.array([5, 6])], backend="gpu")
