"""tmsim.datasets.tasks (arithmetic): the paper's multiplication format token for token, the hash split, the local CoTs
against integer arithmetic, their locality, and a linear learner that emulates them exactly."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from learners import PerceptronAR, evaluate
from tmsim.datasets import TaskError
from tmsim.datasets.tasks import (PRIME, TASKS, ParityTask, get_task, in_train_split, make_task_dataset,
                                  operand_range, sample_pairs, task_from_spec)
from tmsim.encodings import PositionLayout

GOLDEN_LAYOUTS = json.loads((Path(__file__).parents[1] / "data" / "task_layouts.json").read_text())["layouts"]

# ---------------------------------------------------------------------------------------------- mul-paper
DESIGN_EXAMPLE = (  # DESIGN.md section 4, 1234 x 5678, with the parts the document elides
    "<bos> 1 2 3 4 x 5 6 7 8 = ( 4 x 1 + 3 x 1 0 + 2 x 1 0 0 + 1 x 1 0 0 0 ) x "
    "( 8 x 1 + 7 x 1 0 + 6 x 1 0 0 + 5 x 1 0 0 0 ) = 4x8 x 1 x 1 + 4x7 x 1 x 1 0 + ")


def test_mul_paper_has_307_tokens_and_117_words_by_construction_and_by_encoding():
    t = get_task("mul-paper")
    assert t.length == 307 and t.vocabulary_size == 117           # counted from the format's parts
    seq, kinds = t.encode([1234], [5678])
    assert seq.shape == (1, 307) and len(t.vocabulary) == 117      # and in the sequences themselves
    assert t.vocabulary.tokens[:2] == ("<pad>", "<bos>")           # the paper's [UNK], [BOS] ids
    assert {f"{i}x{j}" for i in range(10) for j in range(10)} <= set(t.vocabulary.tokens)
    for d in range(2, 9):
        tt = get_task("mul-paper", digits=d)
        assert tt.encode([int("9" * d)], [int("1" * d)])[0].shape[1] == tt.length


def test_mul_paper_matches_the_design_example():
    t = get_task("mul-paper")
    seq, kinds = t.encode([1234], [5678])
    text = " ".join(t.vocabulary.names(seq[0]))
    assert text.startswith(DESIGN_EXAMPLE)
    assert "= 3 2 + 2 8 0 + " in text                             # the values, zero-padded
    assert text.endswith("= 0 7 0 0 6 6 5 2")                     # the product, 8 digits
    terms = text.split(" = ")[2].split(" + ")
    assert len(terms) == 16 and terms[-1] == "1x5 x 1 0 0 0 x 1 0 0 0"
    values = text.split(" = ")[3].split(" + ")
    assert values[-1] == "0 5 0 0 0 0 0 0"                        # 1*5*10^6, padded to 8 digits
    assert kinds.tolist() == [0] * 10 + [1] * 289 + [2] * 8        # prompt "<bos> 1 2 3 4 x 5 6 7 8"
    assert t.decode(seq[0]) == 1234 * 5678


def test_mul_nocot_is_prompt_then_answer():
    t = get_task("mul-nocot")
    seq, kinds = t.encode([1234], [5678])
    assert " ".join(t.vocabulary.names(seq[0])) == "<bos> 1 2 3 4 x 5 6 7 8 = 0 7 0 0 6 6 5 2"
    assert kinds.tolist() == [0] * 11 + [2] * 8
    assert t.vocabulary == get_task("mul-paper").vocabulary


# ---------------------------------------------------------------------------------------------- the split
def paper_is_train(a: int, b: int, lo: int = 1111, hi: int = 10000) -> bool:
    """torch_datasets/product.py of the paper's code, in Python integers."""
    count = (hi - lo) ** 2
    idx = (a - lo) + (hi - lo) * (b - lo)
    return (idx * PRIME % count) > count // 4


def test_split_is_the_papers_hash():
    rng = np.random.default_rng(0)
    a, b = rng.integers(1111, 10000, 2000), rng.integers(1111, 10000, 2000)
    assert in_train_split(a, b, 4).tolist() == [paper_is_train(int(x), int(y)) for x, y in zip(a, b)]
    # 8 digits: the products of the hash leave int64; exact Python integers are used
    lo, hi = operand_range(8)
    a, b = rng.integers(lo, hi + 1, 200), rng.integers(lo, hi + 1, 200)
    assert in_train_split(a, b, 8).tolist() == [paper_is_train(int(x), int(y), lo, hi + 1) for x, y in zip(a, b)]


def test_split_is_75_25_of_all_pairs_and_a_swap_may_change_sides():
    lo, hi = operand_range(2)
    a, b = np.meshgrid(np.arange(lo, hi + 1), np.arange(lo, hi + 1))
    train = in_train_split(a.ravel(), b.ravel(), 2)
    count = (hi + 1 - lo) ** 2
    assert (~train).sum() == count // 4 + 1                      # a bijection: exactly, up to rounding
    assert abs(train.mean() - 0.75) < 1e-3
    swapped = in_train_split(b.ravel(), a.ravel(), 2)
    assert (train != swapped).any()
    rng = np.random.default_rng(1)
    x, y = rng.integers(1111, 10000, 100_000), rng.integers(1111, 10000, 100_000)
    assert abs(in_train_split(x, y, 4).mean() - 0.75) < 0.005


def test_datasets_are_deterministic_and_respect_the_split():
    a = make_task_dataset("mul-paper", 50, split="test", random_state=3)
    b = make_task_dataset("mul-paper", 50, split="test", random_state=3)
    c = make_task_dataset("mul-paper", 50, split="test", random_state=4)
    assert a == b and a != c
    x, y = zip(*(map(int, s.split("x")) for s in a.inputs))
    assert not in_train_split(x, y, 4).any()
    assert a.sources[0].seed == 3 and a.sources[0].split == "test" and a.sources[0].encoding == "mul-paper(digits=4)"
    u = make_task_dataset("mul-local", 300, digits=2, split="train", random_state=0, unique=True)
    assert len(set(u.inputs)) == 300


def test_sample_pairs_unique_beyond_the_split_is_an_error():
    with pytest.raises(TaskError, match="distinct pairs"):
        sample_pairs(2000, 2, "test", np.random.default_rng(0), unique=True)


def test_datasets_save_and_load(tmp_path):
    from tmsim.datasets import load_dataset, save

    ds = make_task_dataset("mul-local", 5, digits=2, width=5, random_state=0)
    assert load_dataset(save(ds, tmp_path / "d.npz")) == ds


# ---------------------------------------------------------------------------------------------- local CoTs
def rows_of(task, seq):
    """Token names of a local sequence, split into its rows (header + columns)."""
    names = task.vocabulary.names(seq)
    R = task.row
    return [names[1 + r * R: 1 + (r + 1) * R] for r in range((len(names) - 2) // R - 1)] + [names[-(R + 1):]]


def number(cells, prefix=""):
    """The number written least-significant first in ``cells`` (``b:$`` ends it)."""
    digits = [c[len(prefix):] for c in cells]
    digits = digits[:digits.index("$")] if "$" in digits else digits
    return sum(int(d) * 10 ** i for i, d in enumerate(digits))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 8), st.data())
@example(4, None)
def test_mul_local_against_integer_arithmetic(digits, data):
    lo, hi = operand_range(digits)
    if data is None:
        a, b = 9999, 9999
    else:
        a, b = data.draw(st.integers(lo, hi)), data.draw(st.integers(lo, hi))
    t = get_task("mul-local", digits=digits)
    seq, kinds = t.encode([a], [b])
    assert len(seq[0]) == 2 + (4 + 12 * digits) * t.row and t.decode(seq[0]) == a * b
    rows = rows_of(t, seq[0])
    assert [number(r[1:], p) for r, p in zip(rows[:3], ("a:", "b:", "s:"))] == [a, b, 0]
    for j in range(digits):
        block = dict(zip(t.ROWS, rows[3 + 12 * j: 15 + 12 * j]))
        m = (b // 10 ** j) % 10
        A = a * 10 ** j
        assert block["M"] == [f"m:{m}"] * (t.width + 1)
        assert block["X"][1:] == [f"{(A // 10 ** i) % 10}*{m}" for i in range(t.width)]
        assert number(block["L"][1:], "l:") + 10 * number(block["H"][1:], "h:") == A * m
        assert number(block["P"][1:], "p:") == A * m                        # the partial product
        assert number(block["A"][1:], "a:") == a * 10 ** (j + 1)
        assert number(block["B"][1:], "b:") == b // 10 ** (j + 1)
        assert number(block["S"][1:], "s:") == a * (b % 10 ** (j + 1))      # the running sum
        assert block["B"][t.width] == "b:$"                                 # the guard column
    assert rows[-1][0] == "<ans>" and rows[-1][-1] == "<eos>" and number(rows[-1][1:-1]) == a * b


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 8), st.data())
def test_add_local_against_integer_arithmetic(digits, data):
    lo, hi = operand_range(digits)
    a, b = data.draw(st.integers(lo, hi)), data.draw(st.integers(lo, hi))
    t = get_task("add-local", digits=digits)
    seq, _ = t.encode([a], [b])
    rows = rows_of(t, seq[0])
    carries = [int(c[2:]) for c in rows[2][1:]]
    assert carries == [int((a % 10 ** (i + 1) + b % 10 ** (i + 1)) >= 10 ** (i + 1)) for i in range(t.width)]
    assert t.decode(seq[0]) == a + b


@pytest.mark.parametrize("name, params", [("mul-local", dict(digits=3, width=9)),
                                          ("add-local", dict(digits=3, width=6))])
def test_local_formats_are_local(name, params):
    """Every CoT and answer token is a function of the tokens at its class's declared offsets: across many
    sequences and operand lengths, the same inputs never lead to two different tokens."""
    t = get_task(name, **params)
    lay = t.layout()
    seen: dict = {}
    for digits in (2, 3):
        ds = get_task(name, **{**params, "digits": digits}).make_dataset(300, split=None, random_state=digits)
        for s in range(len(ds)):
            toks = ds.tokens[ds.offsets[s]:ds.offsets[s + 1]]
            kinds = ds.kinds[ds.offsets[s]:ds.offsets[s + 1]]
            for p in np.flatnonzero(kinds):
                c = lay.classes[p % lay.period]
                key = (c,) + tuple(int(toks[p - o]) if p >= o else 0 for o in lay.offsets[c])
                assert seen.setdefault(key, int(toks[p])) == int(toks[p]), (name, s, p)
    assert set(itertools.chain(*lay.offsets)) == set(t.offsets)


# ---------------------------------------------------------------------------------------------- linear emulation
def test_perceptron_emulates_add_local_on_held_out_and_longer_operands():
    t = get_task("add-local", digits=3, width=7)
    model = PerceptronAR(random_state=0, layout=t.layout()).fit(t.make_dataset(2000, split="train", random_state=0))
    for d in (3, 4, 5):
        test = get_task("add-local", digits=d, width=7).make_dataset(100, split="test", random_state=1)
        assert evaluate(model, test).exact_match == 1.0, d


def test_perceptron_emulates_mul_local_on_held_out_and_longer_operands():
    t = get_task("mul-local", digits=3, width=9)
    model = PerceptronAR(random_state=0, layout=t.layout()).fit(t.make_dataset(3000, split="train", random_state=0))
    assert model.converged_
    for d in (3, 4):
        test = get_task("mul-local", digits=d, width=9).make_dataset(100, split="test", random_state=1)
        ev = evaluate(model, test)
        assert ev.exact_match == 1.0 and ev.token_accuracy == 1.0, d


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, match", [
    (lambda: get_task("mul-fancy"), "Unknown task 'mul-fancy'"),
    (lambda: get_task("mul-paper", width=3), "has no parameter 'width'"),
    (lambda: get_task("mul-local", digits=9), "'digits' parameter .* \\[2, 8\\]. Got 9"),
    (lambda: get_task("mul-local", digits=4, width=8), "'width' parameter .* \\[9, inf\\).* Got 8"),
    (lambda: get_task("add-local", digits=True), "'digits' parameter"),
    (lambda: get_task("mul-paper").encode([999], [1234]), "operand a = 999 is not a 4-digit operand"),
    (lambda: get_task("mul-paper").encode([1234, 1234], [1234]), "same length"),
    (lambda: make_task_dataset("mul-paper", 0), "'n' parameter"),
    (lambda: make_task_dataset("mul-paper", 3, split="valid"), "'split' parameter"),
])
def test_bad_input_errors(call, match):
    with pytest.raises(TaskError, match=match):
        call()


def test_every_task_decodes_what_it_encodes():
    rng = np.random.default_rng(0)
    for name in TASKS:
        t = get_task(name, digits=3)
        a, b = rng.integers(111, 1000, 20), rng.integers(111, 1000, 20)
        seq, _ = t.encode(a, b)
        assert [t.decode(s) for s in seq] == t.result(a, b).tolist()
        assert (np.array([t.answer_digits(s) for s in seq]) == t.true_digits(a, b)).all()
        if name.endswith("-local"):  # a rollout that never reached its answer reads as no digits
            assert t.decode(seq[0][:-t.row - 1]) is None


# ---------------------------------------------------------------------------------------------- layouts
@pytest.mark.parametrize("name, params", [("mul-local", dict(digits=2, width=5)), ("mul-local", dict(digits=4)),
                                          ("add-local", dict(digits=3, width=6)), ("add-local", dict(digits=2)),
                                          ("mul-paper", dict(digits=3)), ("mul-nocot", dict(digits=2))])
def test_task_layout_values(name, params):
    t = get_task(name, **params)
    lay = t.layout()
    if name in ("mul-paper", "mul-nocot"):  # a non-local format: one class per absolute position, nothing declared
        assert t.offsets is None and lay == PositionLayout.time_dependent()
        return
    # The values the former dict producer Task.position_classes() gave (tests/data/task_layouts.json).
    pc = next(g for g in GOLDEN_LAYOUTS if g["task"] == name and g["params"] == params)
    assert (lay.period, lay.classes, lay.offsets) == (pc["period"], tuple(pc["classes"]),
                                                      tuple(tuple(o) for o in pc["offsets"]))
    assert len(lay.names) == len(set(lay.names)) == lay.n_classes
    assert set(lay.union_offsets()) == set(t.offsets)
    ds = t.make_dataset(4, random_state=0)
    assert ds.layout == lay and ds.generator == t.spec and task_from_spec(t.spec) == t


@pytest.mark.parametrize("fmt, n, k", [("count", 8, 2), ("nocot", 5, 2), ("chain", 16, 3), ("count", 2, 2)])
def test_parity_layout_values(fmt, n, k):
    t = ParityTask(n=n, fmt=fmt, k=k, random_state=1)
    lay = t.layout()
    # The values of the former ParityTask.learner_layout(): period = length, block 0 for the prompt and
    # block j + 1 for CoT position j, offsets 1 .. length - 1.
    L = t.length
    assert lay.period == L and lay.classes == tuple([0] * t.prompt_length + list(range(1, t.cot_length + 1)))
    assert lay.offsets == (tuple(range(1, L)),) * lay.n_classes  # every block reads the whole context before it
    ds = t.sample(3, random_state=0)
    assert ds.layout == lay and task_from_spec(ds.generator) == t
    assert ds.inputs[0] == "".join(str(int(b) - 1) for b in ds[0].tokens[:n])


def test_task_datasets_have_a_machineless_provenance_that_survives_every_format(tmp_path):
    from tmsim.datasets import FORMATS, Provenance, load_dataset, save

    for ds in (make_task_dataset("add-local", 4, digits=2, width=4, random_state=0),
               ParityTask(n=6, fmt="chain").sample(5, random_state=2)):
        p = ds.sources[0]
        assert p.kind == "task" and p.machine is None and p.machine_format is None and p.max_steps is None
        assert ds.machine is None and ds.encoding is None
        for fmt in FORMATS:
            back = load_dataset(save(ds, tmp_path / f"d-{p.encoding[:3]}.{fmt}"))
            assert back == ds and back.layout == ds.layout
    # What earlier versions wrote for a task's samples (placeholder machine fields) reads as a task record.
    old = dict(p.to_dict(), machine=p.encoding, machine_format="task", machine_name="parity", max_steps=0)
    assert Provenance.from_dict(old) == p
    with pytest.raises(TaskError, match="Unknown task 'tableau'.*mul-paper, parity"):
        task_from_spec("tableau(width=4)")
    with pytest.raises(TaskError, match="'spec' parameter of task_from_spec"):
        task_from_spec("parity")
