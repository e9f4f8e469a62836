"""Hugging Face and PyTorch conventions of dataset files: input_ids / labels (-100 off the loss mask) /
attention_mask columns, the split names, provenance stored once per file, the JSONL sidecar bound by a
checksum on every row (a mismatched pair is a one-line error), collate, the tokenizer.json, and files of
the previous format version still loading."""

import importlib.util
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer

from tmsim import cli, zoo
from tmsim.datasets import (DatasetError, DatasetFormatError, collate, concat, load_dataset, load_tokenizer,
                            make_dataset, make_splits, save, save_tokenizer, tokenizer_path, vocabulary_checksum,
                            vocabulary_path, write_dataset)
from tmsim.datasets.storage import COLUMNS

HAVE_TORCH = importlib.util.find_spec("torch") is not None
V1 = Path(__file__).parents[1] / "data" / "datasets_v1"  # written by the format-1 writer (parity, split 'valid')
PARITY = zoo.get("parity")


@pytest.fixture(scope="module")
def ds():
    a = make_dataset(PARITY, "transitions", n=6, lengths=(1, 4), random_state=0, split="train")
    b = make_dataset(PARITY, "transitions", n=3, lengths=(2, 5), random_state=1, split="test")
    return concat([a, b])


def _rows(path):
    if str(path).endswith(".jsonl"):
        return [json.loads(line) for line in Path(path).read_text().splitlines()]
    return pq.read_table(path).to_pylist()


# ---------------------------------------------------------------------------------------------- columns
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_rows_have_input_ids_labels_and_attention_mask(tmp_path, ds, fmt):
    p = save(ds, tmp_path / f"d.{fmt}")
    rows = _rows(p)
    want_cols = [c for c in COLUMNS if c != "token_names"] + (["meta_checksum"] if fmt == "jsonl" else [])
    assert len(rows) == len(ds) and all(list(r) == want_cols for r in rows)
    for s, row in zip(ds, rows):
        assert row["input_ids"] == row["tokens"] == s.tokens.tolist()
        assert row["labels"] == np.where(s.kinds > 0, s.tokens, -100).tolist()
        assert row["labels"][:2] == [-100, -100] and row["labels"][-1] == s.tokens[-1]  # prompt off, answer on
        assert row["attention_mask"] == [1] * len(s)
        assert row["split"] == s.provenance.split
    assert [r["split"] for r in rows] == ["train"] * 6 + ["test"] * 3 and {r["source"] for r in rows} == {0, 1}


@pytest.mark.parametrize("fmt", ["npz", "jsonl", "parquet"])
def test_machine_vocabulary_and_provenance_are_stored_once(tmp_path, ds, fmt):
    p = save(ds, tmp_path / f"d.{fmt}")
    machine_text = ds.sources[0].machine
    assert len(machine_text) > 300  # the machine's JSON: worth storing once
    blob = p.read_bytes()
    side = vocabulary_path(p)
    if fmt == "npz":
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))  # the one member holding text
        assert [s["machine"] for s in meta["sources"]] == [machine_text] * 2 and not side.exists()
    elif fmt == "parquet":
        assert not side.exists()
        meta = json.loads(pq.ParquetFile(p).metadata.metadata[b"tmsim.dataset"])
        assert [s["machine"] for s in meta["sources"]] == [machine_text] * 2 and meta["n_samples"] == len(ds)
        assert "machine" not in pq.read_schema(p).names
    else:
        assert machine_text.encode() not in blob  # not on the rows ...
        doc = json.loads(side.read_text())
        assert [s["machine"] for s in doc["dataset"]["sources"]] == [machine_text] * 2  # ... but in the sidecar
        assert {r["meta_checksum"] for r in _rows(p)} == {doc["dataset"]["meta_checksum"]}
    assert load_dataset(p) == ds


# ---------------------------------------------------------------------------------------------- binding
def _one_line_error(path, match):
    with pytest.raises(DatasetFormatError, match=match) as e:
        load_dataset(path)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_a_jsonl_file_and_a_sidecar_of_another_write_are_refused(tmp_path):
    par = tmp_path / "par.jsonl"
    inc = tmp_path / "inc.jsonl"
    save(make_dataset(PARITY, "transitions", n=4, lengths=(1, 4), random_state=0), par)
    save(make_dataset(zoo.get("binary-increment"), "transitions", n=4, lengths=(1, 4), random_state=0), inc)
    good = load_dataset(inc)
    # Binary-increment rows named with parity's vocabulary: refused, in one line, naming both files.
    shutil.copy(vocabulary_path(par), vocabulary_path(inc))
    msg = _one_line_error(inc, "different writes")
    assert str(inc) in msg and str(vocabulary_path(inc)) in msg
    # Same machine and vocabulary, another seed: the provenance differs, so does the checksum.
    save(make_dataset(PARITY, "transitions", n=4, lengths=(1, 4), random_state=1), inc)
    shutil.copy(vocabulary_path(par), vocabulary_path(inc))
    _one_line_error(inc, "checksum")
    # Same provenance, other rows (n differs): the counts tell.
    write_dataset(PARITY, "transitions", tmp_path / "a.jsonl", n=4, lengths=(1, 4), random_state=7, progress=False)
    write_dataset(PARITY, "transitions", tmp_path / "b.jsonl", n=5, lengths=(1, 4), random_state=7, progress=False)
    shutil.copy(vocabulary_path(tmp_path / "a.jsonl"), vocabulary_path(tmp_path / "b.jsonl"))
    _one_line_error(tmp_path / "b.jsonl", "counts 4 samples")
    # A version 1 sidecar with version 2 rows (or the reverse): refused too.
    shutil.copy(V1 / "parity-valid.jsonl.vocab.json", vocabulary_path(par))
    _one_line_error(par, "format version 1")
    assert good == make_dataset(zoo.get("binary-increment"), "transitions", n=4, lengths=(1, 4), random_state=0)


def test_a_concurrent_reader_never_sees_a_silent_mix(tmp_path):
    """A writer replaces a JSONL file and its sidecar (two renames) with datasets of two machines, in turn;
    a reader loading meanwhile gets one of the two whole, or the one-line mismatch error: never rows named
    with the other machine's vocabulary (issue: up to 0.8% of reads did, silently)."""
    import threading
    import time

    p = tmp_path / "d.jsonl"
    pair = [make_dataset(PARITY, "transitions", n=3, lengths=(1, 3), random_state=0),
            make_dataset(zoo.get("binary-increment"), "transitions", n=3, lengths=(1, 3), random_state=0)]
    save(pair[0], p)
    stop = time.monotonic() + 1.0
    done = threading.Event()

    def writer():
        k = 1
        while time.monotonic() < stop:
            save(pair[k % 2], p)
            k += 1
            time.sleep(0.002)
        done.set()

    t = threading.Thread(target=writer)
    t.start()
    outcomes = {"whole": 0, "refused": 0}
    while not done.is_set():
        try:
            back = load_dataset(p)
        except DatasetFormatError as e:
            assert "different writes" in str(e) and "\n" not in str(e)
            outcomes["refused"] += 1
        else:
            assert back == pair[0] or back == pair[1]
            outcomes["whole"] += 1
    t.join()
    assert outcomes["whole"] > 0


@pytest.mark.parametrize("fmt", ["npz", "jsonl", "parquet"])
def test_files_of_format_version_1_still_load(tmp_path, fmt):
    back = load_dataset(V1 / f"parity-valid.{fmt}")
    want = make_dataset(PARITY, "transitions", n=3, lengths=(1, 3), random_state=0, split="valid")
    assert np.array_equal(back.tokens, want.tokens) and np.array_equal(back.kinds, want.kinds)
    assert back.inputs == want.inputs and back.split == "valid" and back.machine == PARITY.machine
    again = save(back, tmp_path / f"again.{fmt}")  # rewritten in the current format, read back exactly
    assert load_dataset(again) == back


# ---------------------------------------------------------------------------------------------- splits, --split
def test_split_parts_use_the_hugging_face_names():
    parts = make_splits(PARITY, "transitions", "short-long", n_train=5, n_valid=3, n_test=2, random_state=0)
    assert list(parts) == ["train", "validation", "test"]
    assert [p.split for p in parts.values()] == ["train", "validation", "test"]


def test_cli_dataset_split_flag(capsys, tmp_path):
    p = tmp_path / "v.parquet"
    code = cli.main(["dataset", "zoo:parity", "--encoding", "transitions", "--n", "4", "--lengths", "1-3",
                     "--seed", "0", "--split", "validation", "--out", str(p), "--no-progress"])
    cap = capsys.readouterr()  # the wrote line goes to stderr (stdout carries results only)
    assert code == 0 and cap.out == "" and "split validation" in cap.err and "inside the file" in cap.err
    back = load_dataset(p)
    assert back.split == "validation" and {r["split"] for r in _rows(p)} == {"validation"}
    assert sorted(os.listdir(tmp_path)) == ["v.parquet"]


# ---------------------------------------------------------------------------------------------- collate
def test_collate_pads_and_masks(ds):
    b = collate(ds[[0, 7]], return_tensors="np")
    L = int(max(len(ds[0]), len(ds[7])))
    assert set(b) == {"input_ids", "labels", "attention_mask"} and b["input_ids"].shape == (2, L)
    for j, s in enumerate((ds[0], ds[7])):
        n = len(s)
        assert b["input_ids"][j, :n].tolist() == s.tokens.tolist() and (b["input_ids"][j, n:] == 0).all()
        assert b["labels"][j, :n].tolist() == np.where(s.kinds > 0, s.tokens, -100).tolist()
        assert (b["labels"][j, n:] == -100).all() and b["attention_mask"][j].tolist() == [1] * n + [0] * (L - n)
    rows = [{"input_ids": s.tokens.tolist(), "kinds": s.kinds.tolist()} for s in (ds[0], ds[7])]
    same = collate(rows, return_tensors="np")
    assert all(np.array_equal(same[k], b[k]) for k in b)
    cut = collate([ds[0]], max_length=3, return_tensors="np")
    assert cut["input_ids"].shape == (1, 3)
    with pytest.raises(DatasetError, match="empty"):
        collate([])
    with pytest.raises(DatasetError, match="'return_tensors'"):
        collate(ds, return_tensors="tf")


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")
def test_collate_gives_torch_tensors_to_a_dataloader(ds):
    import torch

    batches = list(torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=collate))
    assert len(batches) == 3 and batches[0]["input_ids"].dtype == torch.int64
    assert sum(int((b["labels"] != -100).sum()) for b in batches) == int(ds.loss_mask.sum())


# ---------------------------------------------------------------------------------------------- tokenizer
def test_tokenizer_json_loads_with_tokenizers_and_is_checked_against_a_dataset(tmp_path, ds):
    data = save(ds, tmp_path / "d.parquet")
    t = save_tokenizer(ds, tokenizer_path(data))
    doc = json.loads(t.read_text())
    assert doc["model"]["type"] == "WordLevel" and doc["pre_tokenizer"] == {"type": "WhitespaceSplit"}
    assert doc["model"]["vocab"] == {name: i for i, name in enumerate(ds.vocabulary.tokens)}
    assert {a["content"] for a in doc["added_tokens"]} == {n for n in ds.vocabulary.tokens if n.startswith("<")}
    tok = Tokenizer.from_file(str(t))
    assert tok.get_vocab_size() == len(ds.vocabulary)
    for s in ds:
        assert tok.encode(s.text()).ids == s.tokens.tolist()
    assert tok.decode(ds[0].tokens.tolist(), skip_special_tokens=False) == ds[0].text()
    for fmt in ("npz", "jsonl", "parquet"):  # checked against a file's recorded vocabulary, rows unread
        assert load_tokenizer(t, dataset=save(ds, tmp_path / f"d2.{fmt}")) == ds.vocabulary
    assert load_tokenizer(t, dataset=ds) == ds.vocabulary == load_tokenizer(t, dataset=ds.vocabulary)
    other = make_dataset(zoo.get("binary-increment"), "transitions", n=2, lengths=(1, 3), random_state=0)
    with pytest.raises(DatasetFormatError, match="is not the tokenizer of") as e:
        load_tokenizer(t, dataset=other)
    assert "\n" not in str(e.value) and vocabulary_checksum(other.vocabulary) in str(e.value)
    assert json.loads(pq.ParquetFile(data).metadata.metadata[b"tmsim.dataset"])["vocabulary_checksum"] == \
        vocabulary_checksum(ds.vocabulary)


def _installed(name):
    """True when ``name`` is an installed module or package, not a folder that merely has its name (a test
    folder ``tests/datasets/`` on ``sys.path`` is a namespace package called ``datasets``: no origin)."""
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.origin is not None


@pytest.mark.skipif(not _installed("transformers"), reason="transformers is not installed")
def test_pretrained_tokenizer_fast_loads_the_tokenizer(tmp_path, ds):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=str(save_tokenizer(ds, tmp_path / "tokenizer.json")),
                                  pad_token="<pad>", eos_token="<eos>")
    assert tok(ds[0].text())["input_ids"] == ds[0].tokens.tolist() and tok.pad_token_id == 0


@pytest.mark.skipif(not _installed("datasets"), reason="Hugging Face datasets is not installed")
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_hugging_face_load_dataset_reads_the_files(tmp_path, ds, fmt):
    import datasets

    p = save(ds, tmp_path / f"d.{fmt}")
    hf = datasets.load_dataset("json" if fmt == "jsonl" else "parquet", data_files={"train": str(p)},
                               cache_dir=str(tmp_path / "cache"))["train"]
    assert hf.num_rows == len(ds) and hf[0]["labels"] == np.where(ds[0].kinds > 0, ds[0].tokens, -100).tolist()
