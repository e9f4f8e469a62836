"""Tests of tmsim.datasets: samplers, every sample against ``encoding.encode`` and the reference simulator
``tmsim.run``, timeouts labelled/dropped/refused, splits that never share an input, byte-identical files
for a seed, exact round trips of npz/JSONL/Parquet and their documented schemas, chunked == one-shot, no
partial file after an interruption or a full disk, the token budget, and errors that name the parameter."""

from __future__ import annotations

import errno
import itertools
import json
import os
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tmsim import Status, parse_standard, run, zoo
from tmsim.datasets import (FORMATS, SPLITS, DatasetError, RunTimeoutError, Split, TokenBudgetError,
                            concat, estimate_dataset, load_dataset, make_dataset, make_splits, save,
                            get_sampler, vocabulary_path, write_dataset)
from tmsim.datasets import _plan, storage
from tmsim.datasets.storage import COLUMNS
from tmsim.encodings import Vocabulary, get_encoding
from tmsim.testing import machines

ADD = zoo.get("binary-addition")
PARITY = zoo.get("parity")
COPY = zoo.get("copy")
PARITY_STD = "1RZ1RB2RA_2RZ1RA2RB"  # DESIGN.md's parity machine, standard format: inputs over '1', '2'
STOPPED = (Status.HALTED, Status.UNDEFINED)
SPECS = ["transitions", "tableau", "tableau-triples", "gates", "snapshots(every=3)"]


def listing(d) -> list[str]:
    return sorted(os.listdir(d))


def answer_names(sample) -> list[str]:
    """The answer section without its markers (``<ans>``/``END`` ... ``<eos>``)."""
    names = sample.vocabulary.names(sample.answer)
    return names[1:-1]


# ---------------------------------------------------------------------------------------------- samplers
def test_zoo_sampler_gives_well_formed_inputs_of_every_admissible_length():
    ds = make_dataset(ADD, "transitions", n=400, lengths=(1, 9), random_state=1)
    assert len(ds) == 400 and all(ADD.well_formed(x) for x in ds.inputs)
    assert {len(x) for x in ds.inputs} == set(range(3, 10))  # a+b needs 3 symbols; every length drawn


def test_zoo_sampler_over_a_million_lengths_answers_without_counting_every_length():
    # `tmsim dataset zoo:binary-addition --lengths 1-1000000`: the admissible lengths and the number of distinct
    # inputs come from closed forms (no k**L per length), so this returns at once.
    b = 10**6
    s = get_sampler(ADD, "zoo", lengths=(1, b))
    adm = s.admissible()
    assert (adm[0], adm[-1], len(adm)) == (3, b, b - 2)
    total = s.n_distinct()  # sum over L of (L - 2) * 2**(L - 1), dominated by its last term
    assert (b - 2) << (b - 1) <= total < (b - 2) << b
    assert get_sampler(ADD, "zoo", lengths=(1, 40)).n_distinct() == sum(ADD.language.count(L) for L in range(41))
    assert get_sampler(parse_standard(PARITY_STD), "uniform", lengths=(3, b)).n_distinct() == 2 ** (b + 1) - 2 ** 3
    with pytest.raises(DatasetError, match=r"would enumerate about 10\^301\d\d\d inputs"):
        get_sampler(ADD, "exhaustive", lengths=(1, 10**6)).all()


def test_uniform_sampler_respects_lengths_and_alphabet():
    m = parse_standard(PARITY_STD)
    ds = make_dataset(PARITY_STD, "transitions", n=300, lengths=(2, 5), random_state=0)
    assert {len(x) for x in ds.inputs} == {2, 3, 4, 5}
    assert set("".join(ds.inputs)) == set(m.input_symbols) == {"1", "2"}
    ones = make_dataset(PARITY_STD, "transitions", n=50, lengths=(2, 5), random_state=0, alphabet="1")
    assert set("".join(ones.inputs)) == {"1"}


def test_exhaustive_sampler_enumerates_every_input_in_order():
    ua = zoo.get("unary-addition")
    ds = make_dataset(ua, "transitions", inputs="exhaustive", lengths=(0, 4))
    assert list(ds.inputs) == list(ua.inputs(4))
    m = parse_standard(PARITY_STD)
    all_strings = ["".join(p) for L in range(4) for p in itertools.product(m.input_symbols, repeat=L)]
    full = make_dataset(m, "transitions", inputs="exhaustive", lengths=(0, 3))
    assert list(full.inputs) == all_strings
    sub = make_dataset(m, "transitions", inputs="exhaustive", lengths=(0, 3), n=6, random_state=5)
    pos = [all_strings.index(x) for x in sub.inputs]
    assert len(set(sub.inputs)) == 6 and pos == sorted(pos)
    assert sub == make_dataset(m, "transitions", inputs="exhaustive", lengths=(0, 3), n=6, random_state=5)


def test_function_and_list_samplers():
    ds = make_dataset(PARITY, "transitions", inputs=lambda rng, n: "01" * n, n=20, lengths=(1, 3), random_state=0)
    assert {x for x in ds.inputs} <= {"01", "0101", "010101"} and len(ds) == 20
    xs = ["0", "11", "", "0110"]
    ds = make_dataset(PARITY, "transitions", inputs=xs)
    assert list(ds.inputs) == xs and make_dataset(PARITY, "transitions", inputs=xs, n=2).inputs == ("0", "11")


@pytest.mark.parametrize("inputs", ["uniform", "zoo"])
def test_a_smaller_n_is_a_prefix(inputs):
    big = make_dataset(ADD, "transitions", inputs=inputs, n=200, lengths=(3, 10), random_state=7)
    small = make_dataset(ADD, "transitions", inputs=inputs, n=30, lengths=(3, 10), random_state=7)
    assert big[:30] == small


def test_random_state_none_records_a_seed_that_reproduces_the_dataset():
    ds = make_dataset(ADD, "transitions", n=40, lengths=(3, 8))
    seed = ds.sources[0].seed
    assert isinstance(seed, int)
    assert make_dataset(ADD, "transitions", n=40, lengths=(3, 8), random_state=seed) == ds
    g = np.random.default_rng(3)
    a = make_dataset(ADD, "transitions", n=40, lengths=(3, 8), random_state=g)
    b = make_dataset(ADD, "transitions", n=40, lengths=(3, 8), random_state=g)  # the generator moved on
    assert a.sources[0].seed is None and a.inputs != b.inputs


def test_unique_gives_distinct_inputs_and_refuses_impossible_n():
    ds = make_dataset(PARITY, "transitions", n=25, lengths=(1, 4), unique=True, random_state=0)
    assert len(set(ds.inputs)) == 25  # 30 strings of length 1-4 exist
    with pytest.raises(DatasetError, match="'n'.*30 distinct"):
        make_dataset(PARITY, "transitions", n=31, lengths=(1, 4), unique=True, random_state=0)


# ---------------------------------------------------------------------------------------------- correctness
@settings(max_examples=25)
@given(m=machines(n_states=(1, 3), n_symbols=(2, 3)), spec=st.sampled_from(SPECS), seed=st.integers(0, 2**32))
def test_every_sample_is_the_encoding_of_its_input_and_agrees_with_run(m, spec, seed):
    budget = 25
    enc = get_encoding(spec)
    ds = make_dataset(m, spec, n=6, lengths=(0, 4), random_state=seed, max_steps=budget, on_timeout="label")
    assert len(ds) == 6 and ds.vocabulary == enc.vocabulary(m)
    for j, s in enumerate(ds):
        assert np.array_equal(ds.tokens[ds.offsets[j]:ds.offsets[j + 1]], s.tokens)
        assert s.to_trace() == enc.encode(m, s.input, max_steps=budget, on_timeout="label")
        r = run(m, s.input, max_steps=budget)  # the reference simulator, not the encoder
        assert s.steps == r.steps and s.stopped == (r.status in STOPPED)


@pytest.mark.parametrize("spec", SPECS)
def test_zoo_samples_carry_the_reference_answer(spec):
    ds = make_dataset(ADD, spec, n=25, lengths=(3, 8), random_state=11)
    enc = get_encoding(spec)
    for s in ds:
        assert s.to_trace() == enc.encode(ADD.machine, s.input, max_steps=ds.sources[0].max_steps)
        assert s.status is Status.HALTED
        if spec in ("transitions", "tableau", "snapshots(every=3)"):  # these write the answer compactly
            assert "".join(n[2:] for n in answer_names(s)) == ADD.expected(s.input)  # int arithmetic


def test_accept_task_answers_with_the_final_state():
    ds = make_dataset(PARITY, "transitions", n=40, lengths=(1, 10), random_state=2)
    assert ds.sources[0].encoding == "transitions(answer=state)"
    for s in ds:
        assert answer_names(s) == [f"q:{'accept' if PARITY.expected(s.input) else 'reject'}"]


def test_kinds_are_prompt_then_cot_then_answer():
    ds = make_dataset(ADD, "tableau-triples", n=20, lengths=(3, 7), random_state=0)
    for s in ds:
        k = s.kinds.astype(int)
        assert k[0] == 0 and k[-1] == 2 and (np.diff(k) >= 0).all()
        assert np.array_equal(s.loss_mask, k > 0)


# ---------------------------------------------------------------------------------------------- timeouts
def _run_status(machine, xs, budget):
    return [run(machine, x, max_steps=budget).status for x in xs]


def test_timeouts_labelled():
    ds = make_dataset(PARITY, "tableau", n=60, lengths=(1, 10), max_steps=6, random_state=3, on_timeout="label")
    expected = _run_status(PARITY.machine, ds.inputs, 6)
    assert list(ds.statuses) == expected
    assert Status.STEP_LIMIT in expected and Status.HALTED in expected  # both kinds present: a real test
    assert ds.dropped == 0 and (~ds.stopped).sum() == expected.count(Status.STEP_LIMIT)


def test_timeouts_dropped_keep_their_index():
    kw = dict(n=60, lengths=(1, 10), max_steps=6, random_state=3)
    labelled = make_dataset(PARITY, "transitions", on_timeout="label", **kw)
    dropped = make_dataset(PARITY, "transitions", on_timeout="drop", **kw)
    stops = np.array([s in STOPPED for s in _run_status(PARITY.machine, labelled.inputs, 6)])
    assert dropped.stopped.all() and dropped.dropped == int((~stops).sum()) > 0
    assert list(dropped.inputs) == [x for x, ok in zip(labelled.inputs, stops) if ok]
    assert np.array_equal(dropped.index, labelled.index[stops])
    assert dropped == dataclass_replace(labelled.select(stops), dropped=int((~stops).sum()))


def dataclass_replace(ds, **kw):
    import dataclasses

    return dataclasses.replace(ds, **kw)


def test_timeout_error_names_the_input():
    kw = dict(n=60, lengths=(1, 10), max_steps=6, random_state=3)
    xs = make_dataset(PARITY, "transitions", on_timeout="label", **kw).inputs
    first = next(x for x, s in zip(xs, _run_status(PARITY.machine, xs, 6)) if s not in STOPPED)
    with pytest.raises(RunTimeoutError, match=f"input {first!r}.*max_steps=6"):
        make_dataset(PARITY, "transitions", on_timeout="error", **kw)


def test_fixed_width_too_narrow_is_a_tape_limit():
    ds = make_dataset(COPY, "tableau", n=30, lengths=(2, 4), width=7, random_state=0, on_timeout="label")
    assert Status.TAPE_LIMIT in ds.statuses and set(ds.width.tolist()) == {7}
    with pytest.raises(RunTimeoutError, match="tableau window.*width"):
        make_dataset(COPY, "tableau", n=30, lengths=(2, 4), width=7, random_state=0)


# ---------------------------------------------------------------------------------------------- dataset type
def test_dataset_views_slices_and_concat():
    ds = make_dataset(ADD, "transitions", n=30, lengths=(3, 9), random_state=4)
    assert ds.lengths.sum() == ds.n_tokens == len(ds.tokens) and len(ds) == 30
    assert ds[-1].input == ds.inputs[29] and ds[-1].index == 29
    with pytest.raises(IndexError):
        ds[30]
    mask = np.array([len(x) % 2 == 0 for x in ds.inputs])
    even = ds[mask]
    assert list(even.inputs) == [x for x, k in zip(ds.inputs, mask) if k]
    assert all(np.array_equal(even[i].tokens, ds[int(j)].tokens) for i, j in enumerate(np.flatnonzero(mask)))
    picked = ds[np.array([5, 1, 5])]
    assert picked.inputs == (ds.inputs[5], ds.inputs[1], ds.inputs[5])
    assert ds[::3] == ds[np.arange(0, 30, 3)]
    assert concat([ds[:10], ds[10:]]) == ds and ds[:10].concat(ds[10:20], ds[20:]) == ds
    with pytest.raises(ValueError):
        ds.tokens[0] = 1  # frozen
    other = make_dataset(PARITY, "transitions", n=3, random_state=0)
    with pytest.raises(DatasetError, match="vocabulary"):
        concat([ds, other])


# ---------------------------------------------------------------------------------------------- files
@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_gives_byte_identical_files(tmp_path, fmt):
    kw = dict(n=300, lengths=(3, 12), chunk_size=64)
    paths = []
    for k, seed in enumerate((5, 5, 6)):
        p = tmp_path / f"d{k}.{fmt}"
        if k == 1:  # once through memory, once streamed: the same bytes
            save(make_dataset(ADD, "tableau", random_state=seed, **kw), p)
        else:
            write_dataset(ADD, "tableau", p, random_state=seed, progress=False, **kw)
        paths.append(p)
    blobs = [p.read_bytes() for p in paths]
    # Only JSONL has a sidecar (npz and Parquet carry vocabulary and provenance inside).
    side = (lambda p: vocabulary_path(p).read_bytes()) if fmt == "jsonl" else (lambda p: b"")
    sides = [side(p) for p in paths]
    if fmt != "parquet":  # Parquet row groups follow the chunks
        assert blobs[0] == blobs[1]
    assert sides[0] == sides[1]
    again = tmp_path / f"again.{fmt}"
    write_dataset(ADD, "tableau", again, random_state=5, progress=False, **kw)
    assert again.read_bytes() == blobs[0] and side(again) == sides[0]
    assert blobs[2] != blobs[0]


@settings(max_examples=12)
@given(spec=st.sampled_from(SPECS), fmt=st.sampled_from(FORMATS), seed=st.integers(0, 2**63 - 1),
       names=st.booleans(), budget=st.integers(3, 40))
@example(spec="transitions", fmt="jsonl", seed=0, names=True, budget=3)
def test_round_trip_is_exact(spec, fmt, seed, names, budget):
    ds = make_dataset(PARITY_STD, spec, n=15, lengths=(0, 6), random_state=seed, max_steps=budget,
                      on_timeout="label", split="train")
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, f"x.{fmt}")
        save(ds, p, token_names=names)
        back = load_dataset(p)
    assert back == ds and back.vocabulary == ds.vocabulary and back.sources == ds.sources


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_mixed_provenance_dropped_and_empty(tmp_path, fmt):
    a = make_dataset(PARITY, "tableau", n=20, lengths=(1, 9), max_steps=6, on_timeout="drop", random_state=1,
                     split="train")
    b = make_dataset(PARITY, "tableau", n=10, lengths=(1, 3), random_state=2, split="test")
    ab = concat([a, b])
    assert ab.dropped == a.dropped > 0 and [s.split for s in ab.sources] == ["train", "test"] and ab.split is None
    save(ab, tmp_path / f"ab.{fmt}")
    assert load_dataset(tmp_path / f"ab.{fmt}") == ab
    empty = make_dataset(PARITY, "tableau", n=0, random_state=0)
    save(empty, tmp_path / f"e.{fmt}")
    back = load_dataset(tmp_path / f"e.{fmt}")
    assert back == empty and len(back) == 0 and back.vocabulary == empty.vocabulary


def test_parquet_schema_columns_and_metadata(tmp_path):
    ds = make_dataset(ADD, "tableau", n=40, lengths=(3, 8), random_state=0, split="train")
    p = tmp_path / "a.parquet"
    save(ds, p, token_names=True)
    schema = pq.read_schema(p)
    assert schema.names == list(COLUMNS)
    types = {f.name: f.type for f in schema}
    assert types["tokens"] == pa.list_(pa.int32()) and types["kinds"] == pa.list_(pa.uint8())
    assert types["token_names"] == pa.list_(pa.string()) and types["input"] == pa.string()
    assert types["steps"] == pa.int64() and types["status"] == pa.string()
    assert Vocabulary.from_json(schema.metadata[b"tmsim.vocabulary"].decode()) == ds.vocabulary
    meta = json.loads(pq.ParquetFile(p).metadata.metadata[b"tmsim.dataset"])
    assert meta["n_samples"] == 40 and meta["n_tokens"] == ds.n_tokens
    rows = pq.read_table(p).to_pylist()
    sources = meta["sources"]  # provenance: once per file (format version 2), a row names its record
    for s, row in zip(ds, rows):
        assert row["input"] == s.input and row["tokens"] == s.tokens.tolist() and row["kinds"] == s.kinds.tolist()
        assert row["token_names"] == s.names() and row["status"] == s.status.value and row["steps"] == s.steps
        assert (row["width"], row["left"], row["split"]) == (s.width, s.left, "train")
        prov = sources[row["source"]]
        assert prov["encoding"] == "tableau" and prov["machine_name"] == "binary-addition"
        assert get_encoding(prov["encoding"]).version == prov["encoding_version"]


def test_jsonl_rows_and_vocabulary_sidecar(tmp_path):
    ds = make_dataset(PARITY_STD, "transitions", n=30, lengths=(1, 6), random_state=0)
    p = tmp_path / "a.jsonl"
    save(ds, p)
    lines = p.read_text().splitlines()
    assert len(lines) == 30
    for s, line in zip(ds, lines):
        row = json.loads(line)
        assert list(row) == [c for c in COLUMNS if c != "token_names"] + ["meta_checksum"]
        assert row["input"] == s.input and row["tokens"] == s.tokens.tolist() and row["kinds"] == s.kinds.tolist()
        assert row["width"] is None and row["status"] == "halted" and row["source"] == 0
    side = json.loads(vocabulary_path(p).read_text())
    assert Vocabulary.from_json(side) == ds.vocabulary and side["dataset"]["n_samples"] == 30
    prov = side["dataset"]["sources"][0]  # provenance: once, in the sidecar (format version 2)
    assert prov["seed"] == 0 and (prov["machine_format"], prov["machine"]) == ("standard", PARITY_STD)


def test_npz_reads_with_plain_numpy(tmp_path):
    ds = make_dataset(ADD, "gates", n=5, lengths=(3, 4), random_state=0)
    p = tmp_path / "a.npz"
    save(ds, p)
    with np.load(p, allow_pickle=False) as z:
        assert np.array_equal(z["tokens"], ds.tokens) and z["tokens"].dtype == np.int32
        assert np.array_equal(z["offsets"], ds.offsets) and z["kinds"].dtype == np.uint8
        meta = json.loads(str(z["meta"]))
    assert Vocabulary.from_json(meta["vocabulary"]) == ds.vocabulary and meta["n_tokens"] == ds.n_tokens


# ---------------------------------------------------------------------------------------------- streaming
@pytest.mark.parametrize("fmt", FORMATS)
def test_chunked_streaming_equals_one_shot(tmp_path, fmt):
    kw = dict(n=250, lengths=(1, 12), max_steps=10, on_timeout="drop", random_state=9)
    whole = make_dataset(PARITY, "snapshots(every=2)", chunk_size=10**6, **kw)
    assert whole.dropped > 0 and make_dataset(PARITY, "snapshots(every=2)", chunk_size=7, **kw) == whole
    for size in (4, 33, 10**6):
        out = write_dataset(PARITY, "snapshots(every=2)", tmp_path / f"c{size}.{fmt}", chunk_size=size,
                            progress=False, **kw)
        assert (out.n_samples, out.n_tokens, out.dropped) == (len(whole), whole.n_tokens, whole.dropped)
        assert load_dataset(out.path) == whole
    if fmt != "parquet":
        assert (tmp_path / f"c4.{fmt}").read_bytes() == (tmp_path / f"c{10**6}.{fmt}").read_bytes()


def _boom_after(k, exc, real):
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] > k:
            raise exc
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("where", ["encode", "disk"])
def test_no_partial_file_after_interrupt_or_full_disk(tmp_path, monkeypatch, fmt, where):
    target = tmp_path / f"d.{fmt}"
    target.write_bytes(b"old contents")  # an existing file must survive untouched
    before = listing(tmp_path)
    if where == "encode":  # Ctrl-C in the middle of the generation
        exc: BaseException = KeyboardInterrupt()
        monkeypatch.setattr(_plan, "encode_chunk", _boom_after(2, exc, _plan.encode_chunk))
    else:  # the disk fills up while chunks are appended
        exc = OSError(errno.ENOSPC, "No space left on device")
        cls = storage._WRITERS[fmt]
        monkeypatch.setattr(cls, "_write", _boom_after(2, exc, cls._write))
    with pytest.raises(type(exc)):
        write_dataset(ADD, "tableau", target, n=200, lengths=(3, 8), chunk_size=20, random_state=0, progress=False)
    assert listing(tmp_path) == before and target.read_bytes() == b"old contents"


def test_no_partial_file_when_the_finishing_step_fails(tmp_path, monkeypatch):
    ds = make_dataset(ADD, "transitions", n=20, lengths=(3, 8), random_state=0)
    monkeypatch.setattr(storage.os, "replace", _boom_after(0, OSError(errno.EIO, "I/O error"), os.replace))
    with pytest.raises(OSError):
        save(ds, tmp_path / "x.npz")
    assert listing(tmp_path) == []


# ---------------------------------------------------------------------------------------------- budget
def test_max_tokens_refuses_before_generating(tmp_path, monkeypatch):
    kw = dict(n=50, lengths=(3, 10), random_state=0)
    ds = make_dataset(ADD, "tableau", **kw)
    total = ds.n_tokens
    assert make_dataset(ADD, "tableau", max_tokens=total, **kw) == ds  # exact estimate: n <= pilot
    called = []
    monkeypatch.setattr(_plan, "encode_chunk", _boom_after(0, AssertionError("encoded"), _plan.encode_chunk))
    with pytest.raises(TokenBudgetError, match=f"{total:,} tokens.*max_tokens={total - 1:,}"):
        make_dataset(ADD, "tableau", max_tokens=total - 1, **kw)
    with pytest.raises(TokenBudgetError):
        write_dataset(ADD, "tableau", tmp_path / "x.npz", max_tokens=total - 1, on_estimate=called.append, **kw)
    assert listing(tmp_path) == [] and called == []


def test_max_tokens_also_caps_a_low_estimate(tmp_path, monkeypatch):
    real = _plan.estimate_plan

    def low(plan, pilot=_plan.PILOT_SIZE):
        import dataclasses
        return dataclasses.replace(real(plan, pilot), n_tokens=1)

    monkeypatch.setattr(storage, "estimate_plan", low)
    with pytest.raises(TokenBudgetError, match="passed max_tokens"):
        write_dataset(ADD, "tableau", tmp_path / "x.jsonl", n=300, lengths=(3, 10), chunk_size=30, max_tokens=5_000,
                      random_state=0, progress=False)
    assert listing(tmp_path) == []


def test_estimate_is_exact_for_small_n_and_close_from_a_pilot():
    kw = dict(lengths=(3, 12), random_state=0)
    small = estimate_dataset(ADD, "tableau", n=300, **kw)
    assert small.exact and small.n_tokens == make_dataset(ADD, "tableau", n=300, **kw).n_tokens
    big = estimate_dataset(ADD, "transitions", n=3000, pilot=300, **kw)
    actual = make_dataset(ADD, "transitions", n=3000, **kw).n_tokens
    assert not big.exact and abs(big.n_tokens - actual) < 0.2 * actual
    assert big.bytes["npz"] > 5 * big.n_tokens * 0.9 and set(big.bytes) == set(FORMATS)


# ---------------------------------------------------------------------------------------------- bad input
BAD = [
    (dict(lengths=(5, 2)), "'lengths'"),
    (dict(lengths=(-1, 3)), "'lengths'"),
    (dict(lengths="1-3"), "'lengths'"),
    (dict(n=-1), "'n'"),
    (dict(n=None), "'n'"),
    (dict(on_timeout="skip"), "'on_timeout'"),
    (dict(encoding="tapeau"), "'encoding'.*tapeau"),
    (dict(inputs="uniform", alphabet="01x"), "'alphabet'.*'x'"),
    (dict(inputs=["1+1", "1*1"]), r"inputs\[1\]"),
    (dict(inputs="sideways"), "'inputs'"),
    (dict(width=12), "'width'.*transitions"),
    (dict(random_state=-1), "'random_state'"),
    (dict(chunk_size=0), "'chunk_size'"),
    (dict(max_steps=-5), "'max_steps'"),
    (dict(split=""), "'split'"),
    (dict(lengths=(1, 2)), "'lengths'.*well-formed"),
]


@pytest.mark.parametrize("kwargs,pattern", BAD)
def test_bad_parameters_are_named(kwargs, pattern):
    kw = {"encoding": "transitions", "n": 5, "lengths": (3, 6), "random_state": 0, **kwargs}
    enc = kw.pop("encoding")
    with pytest.raises(DatasetError, match=pattern):
        make_dataset(ADD, enc, **kw)


def test_bad_machine_sampler_and_paths(tmp_path):
    with pytest.raises(DatasetError, match="'inputs'.*not a zoo entry"):
        make_dataset(parse_standard(PARITY_STD), inputs="zoo", n=3)
    with pytest.raises(ValueError, match="zoo"):
        make_dataset("zoo:no-such-machine", n=3)
    ds = make_dataset(ADD, n=3, lengths=(3, 4), random_state=0)
    with pytest.raises(DatasetError, match="'path'.*does not exist"):
        save(ds, tmp_path / "missing" / "x.npz")
    with pytest.raises(DatasetError, match="extension"):
        save(ds, tmp_path / "x.csv")
    with pytest.raises(DatasetError, match="'format'"):
        save(ds, tmp_path / "x.npz", format="csv")
    save(ds, tmp_path / "x.jsonl")
    os.unlink(vocabulary_path(tmp_path / "x.jsonl"))
    with pytest.raises(DatasetError, match="sidecar"):
        load_dataset(tmp_path / "x.jsonl")
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "nope.npz")
    assert listing(tmp_path) == ["x.jsonl"]


# ---------------------------------------------------------------------------------------------- splits
def test_split_presets_are_frozen_and_train_short_test_long():
    sl = SPLITS["short-long"]
    assert (sl.train, sl.test, sl.valid) == ((1, 16), (17, 64), (1, 16))
    assert all(s.train[1] < s.test[0] for s in SPLITS.values() if s.name != "in-distribution")
    with pytest.raises(TypeError):
        SPLITS["mine"] = sl  # type: ignore[index]
    with pytest.raises(AttributeError):
        sl.n_train = 3  # type: ignore[misc]
    with pytest.raises(DatasetError, match="'split'"):
        make_splits(ADD, "transitions", "long-short")


def test_splits_share_one_tableau_layout_and_encode_exactly():
    parts = make_splits(ADD, "tableau-triples", "short-long-small", n_train=40, n_test=15, random_state=0)
    tr, te = parts["train"], parts["test"]
    assert {len(x) for x in tr.inputs} <= set(range(3, 9)) and {len(x) for x in te.inputs} <= set(range(9, 17))
    assert len(set(tr.width.tolist() + te.width.tolist())) == 1 and len(set(tr.left.tolist() + te.left.tolist())) == 1
    enc = tr.encoding
    assert enc == te.encoding and enc.width == int(tr.width[0]) and enc.left == int(tr.left[0])
    for s in list(tr)[:5] + list(te)[:5]:
        assert s.to_trace() == enc.encode(ADD.machine, s.input, max_steps=s.provenance.max_steps)
        assert s.status is Status.HALTED
    free = make_splits(ADD, "tableau", "short-long-small", n_train=40, n_test=15, random_state=0, width=None)
    assert len(set(free["train"].width.tolist() + free["test"].width.tolist())) > 1


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32), a=st.integers(2, 4), extra=st.integers(1, 2), unique=st.booleans())
def test_splits_never_share_an_input(seed, a, extra, unique):
    # Short overlapping lengths over {0, 1}: collisions are likely unless the parts exclude each other.
    # (2**(a+1) - 2 strings of lengths 1..a: enough for train and valid; the test lengths have room for 5.)
    sp = Split("overlap", train=(1, a), test=(1, a + extra), n_train=min(10, 2 ** (a + 1) - 5), n_test=5,
               valid=(1, a), n_valid=3)
    parts = make_splits(PARITY, "transitions", sp, random_state=seed, unique=unique)
    sets = {k: set(d.inputs) for k, d in parts.items()}
    assert not sets["train"] & sets["test"] and not sets["train"] & sets["validation"] \
        and not sets["validation"] & sets["test"]
    assert [len(parts[k]) for k in ("train", "validation", "test")] == [sp.n_train, 3, 5]
    if unique:
        assert all(len(sets[k]) == len(parts[k]) for k in parts)
    assert {d.split for d in parts.values()} == {"train", "validation", "test"}
    seeds = {d.sources[0].seed for d in parts.values()}
    assert len(seeds) == 3  # one seed per part, recorded


def test_exclude_gives_a_disjoint_dataset():
    train = make_dataset(PARITY, "transitions", n=20, lengths=(1, 4), random_state=0)
    test = make_dataset(PARITY, "transitions", n=20, lengths=(1, 4), random_state=1, exclude=train)
    assert not set(train.inputs) & set(test.inputs)


# ---------------------------------------------------------------------------------------------- layout
def test_dataset_layout_is_the_encodings_layout_at_the_recorded_width(tmp_path):
    m = PARITY.machine
    kw = dict(n=6, lengths=(1, 5), random_state=0)
    for spec in ("tableau-triples", "gates", "tableau", "snapshots(every=2)"):
        ds = make_dataset(PARITY, spec, width=9, **kw)  # the zoo entry's answer: the final state
        assert ds.layout == get_encoding(spec, answer="state").layout(m, width=9) == ds.encoding.layout(m)
        assert load_dataset(save(ds, tmp_path / "d.npz")).layout == ds.layout  # derived from what is recorded
    assert make_dataset(PARITY, "transitions", **kw).layout.period == 1  # shift-invariant
    free = make_dataset(PARITY, "tableau", n=20, lengths=(1, 6), random_state=0)  # per-run widths
    assert len(set(free.width.tolist())) > 1 and free.layout is None
    one = free.select(free.width == free.width[0])
    assert one.layout == get_encoding("tableau").layout(width=int(free.width[0]))
    mixed = concat([make_dataset(PARITY, "tableau", width=9, **kw), make_dataset(PARITY, "tableau", width=10, **kw)])
    assert mixed.layout is None and free[:0].layout is None
