"""Tests of ``tmsim trace`` and ``tmsim dataset``: output checked against the library (``encode``,
``make_dataset``) and the reference simulator; bad input exits 2 with one line and leaves no file; Ctrl-C on a
real ``python -m tmsim dataset`` leaves no partial file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import tmsim.cli
from tmsim import parse_standard, run, zoo
from tmsim.datasets import load_dataset, make_dataset, vocabulary_path
from tmsim.encodings import get_encoding

from cli_helpers import assert_bad_input, cli  # tests/cli_helpers.py

ADD = zoo.get("binary-addition")
PARITY_STD = "1RZ1RB2RA_2RZ1RA2RB"



# ---------------------------------------------------------------------------------------------- trace
def test_trace_names_and_ids_match_the_library(capsys):
    tr = get_encoding("transitions").encode(ADD.machine, "101+11", max_steps=10_000)
    code, out, err = cli(capsys, "trace", "zoo:binary-addition", "--input", "101+11", "--encoding", "transitions")
    assert code == 0 and out.split() == tr.names()
    assert "transitions v1" in err and f"{len(tr)} tokens" in err and "halted" in err
    code, out, _ = cli(capsys, "trace", "zoo:binary-addition", "--input", "101+11", "--encoding", "transitions",
                       "--ids")
    assert [int(t) for t in out.split()] == tr.tokens.tolist()


def test_trace_json_with_width(capsys):
    code, out, _ = cli(capsys, "trace", "zoo:binary-addition", "--input", "11+1", "--encoding", "tableau",
                       "--width", "20", "--json")
    d = json.loads(out)
    tr = get_encoding("tableau", width=20).encode(ADD.machine, "11+1", max_steps=10_000)
    assert {"tokens", "kinds", "encoding", "vocabulary_size", "status", "steps"} <= set(d)
    assert d["tokens"] == tr.names() and d["ids"] == tr.tokens.tolist() and d["kinds"] == tr.kinds.tolist()
    assert (d["encoding"], d["width"], d["status"], d["steps"]) == ("tableau(width=20)", 20, "halted", tr.steps)
    assert d["vocabulary_size"] == len(tr.vocabulary)


def test_trace_standard_machine_answers_with_the_final_tape(capsys):
    m = parse_standard(PARITY_STD)
    code, out, _ = cli(capsys, "trace", PARITY_STD, "--input", "1121", "--encoding", "transitions", "--json")
    d = json.loads(out)
    names = d["tokens"]
    answer = names[names.index("<ans>") + 1:-1]
    assert "".join(t[2:] for t in answer) == run(m, "1121").output  # the reference simulator's final tape


def test_trace_of_a_run_cut_by_the_budget(capsys):
    code, out, _ = cli(capsys, "trace", "zoo:parity", "--input", "0110101", "--encoding", "transitions",
                       "--max-steps", "3", "--json")
    assert code == 0 and json.loads(out)["status"] == "step_limit" and json.loads(out)["steps"] == 3
    line = assert_bad_input(capsys, "trace", "zoo:parity", "--input", "0110101", "--encoding", "transitions",
                            "--max-steps", "3", "--on-timeout", "error")
    assert "0110101" in line


@pytest.mark.parametrize("argv,needle", [
    (["--input", "1+2", "--encoding", "transitions"], "'2'"),
    (["--input", "1+1", "--encoding", "tapeau"], "tapeau"),
    (["--input", "1+1", "--encoding", "transitions", "--width", "9"], "width"),
])
def test_trace_bad_input(capsys, argv, needle):
    assert needle in assert_bad_input(capsys, "trace", "zoo:binary-addition", *argv)


# ---------------------------------------------------------------------------------------------- dataset
@pytest.mark.parametrize("fmt", ["npz", "jsonl", "parquet"])
def test_dataset_writes_what_make_dataset_makes(capsys, tmp_path, fmt):
    p = tmp_path / f"add.{fmt}"
    code, out, err = cli(capsys, "dataset", "zoo:binary-addition", "--encoding", "tableau", "--n", "40",
                         "--lengths", "3-8", "--seed", "1", "--out", str(p))
    assert code == 0 and out == ""  # the wrote line is on stderr: stdout carries --json output only
    expected = make_dataset(ADD, "tableau", n=40, lengths=(3, 8), random_state=1)
    assert load_dataset(p) == expected
    assert f"wrote 40 samples, {expected.n_tokens:,} tokens" in err and str(p) in err
    # Only JSONL has a sidecar: npz and Parquet carry vocabulary and provenance inside.
    assert sorted(os.listdir(tmp_path)) == sorted([p.name] + ([vocabulary_path(p).name] if fmt == "jsonl" else []))


def test_dataset_json_format_flag_and_standard_machine(capsys, tmp_path):
    p = tmp_path / "data.bin"
    code, out, _ = cli(capsys, "dataset", PARITY_STD, "--encoding", "transitions", "--sampler", "exhaustive",
                       "--lengths", "0-3", "--format", "jsonl", "--out", str(p), "--json")
    d = json.loads(out)
    ds = load_dataset(p, format="jsonl")
    assert (d["samples"], d["tokens"], d["path"], d["format"]) == (15, ds.n_tokens, str(p), "jsonl")
    assert set("".join(ds.inputs)) == {"1", "2"} and len(set(ds.inputs)) == 15  # 1 + 2 + 4 + 8 strings
    m = parse_standard(PARITY_STD)
    for s in ds:  # answer: the final tape, from the reference simulator
        assert "".join(t[2:] for t in s.vocabulary.names(s.answer)[1:-1]) == run(m, s.input).output


def test_dataset_width_and_timeouts(capsys, tmp_path):
    p = tmp_path / "w.npz"
    assert cli(capsys, "dataset", "zoo:binary-addition", "--encoding", "tableau-triples", "--n", "30", "--lengths",
               "3-10", "--seed", "0", "--width", "40", "--out", str(p))[0] == 0
    assert set(load_dataset(p).width.tolist()) == {40}
    args = ["dataset", "zoo:parity", "--encoding", "transitions", "--n", "50", "--lengths", "1-10", "--seed", "2",
            "--max-steps", "5"]
    code, out, _ = cli(capsys, *args, "--on-timeout", "drop", "--out", str(tmp_path / "d.npz"), "--json")
    kept = load_dataset(tmp_path / "d.npz")
    labelled = make_dataset(zoo.get("parity"), "transitions", n=50, lengths=(1, 10), random_state=2, max_steps=5,
                            on_timeout="label")
    n_cut = sum(run(zoo.get("parity").machine, x, max_steps=5).status.value == "step_limit" for x in labelled.inputs)
    assert json.loads(out)["dropped"] == n_cut > 0 and len(kept) == 50 - n_cut and kept.stopped.all()
    code, out, _ = cli(capsys, *args, "--on-timeout", "label", "--out", str(tmp_path / "l.npz"))
    assert load_dataset(tmp_path / "l.npz") == labelled


def test_dataset_announces_a_large_generation(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tmsim.cli, "ANNOUNCE_TOKENS", 1)
    code, out, err = cli(capsys, "dataset", "zoo:binary-addition", "--encoding", "tableau", "--n", "20",
                         "--lengths", "3-6", "--seed", "0", "--out", str(tmp_path / "a.npz"))
    tokens = load_dataset(tmp_path / "a.npz").n_tokens
    assert code == 0 and f"about {tokens:,} tokens (exactly)" in err and "as npz" in err


BAD = [
    (["--encoding", "tapeau"], "tapeau"),
    (["--lengths", "5-2"], "--lengths"),
    (["--lengths", "x"], "--lengths"),
    (["--lengths", "1-2"], "well-formed"),
    (["--n", "-1"], "'n'"),
    (["--format", "csv"], "'format'"),
    (["--width", "20"], "width"),
    (["--max-tokens", "100"], "max_tokens=100"),
    (["--sampler", "uniform", "--alphabet", "2"], "'alphabet'"),
    (["--max-steps", "3", "--on-timeout", "error"], "did not stop"),
]


@pytest.mark.parametrize("extra,needle", BAD)
def test_dataset_bad_input_leaves_no_file(capsys, tmp_path, extra, needle):
    args = {"--encoding": "transitions", "--n": "30", "--lengths": "3-8", "--seed": "0",
            "--out": str(tmp_path / "x.npz")}
    flags = dict(zip(extra[::2], extra[1::2]))
    args.update(flags)
    argv = ["dataset", "zoo:binary-addition"] + [t for kv in args.items() for t in kv]
    line = assert_bad_input(capsys, *argv)
    assert needle in line, line
    assert os.listdir(tmp_path) == []


def test_dataset_missing_directory_and_unknown_machine(capsys, tmp_path):
    line = assert_bad_input(capsys, "dataset", "zoo:binary-addition", "--encoding", "transitions", "--n", "3",
                            "--out", str(tmp_path / "missing" / "x.npz"))
    assert "does not exist" in line
    assert "zoo" in assert_bad_input(capsys, "dataset", "zoo:nope", "--encoding", "transitions", "--n", "3",
                                     "--out", str(tmp_path / "x.npz"))
    assert os.listdir(tmp_path) == []


def test_ctrl_c_leaves_no_partial_file(tmp_path):
    """A real process, interrupted while it streams chunks to disk: exit 130 and an empty directory."""
    out = tmp_path / "big.parquet"
    cmd = [sys.executable, "-m", "tmsim", "dataset", "zoo:binary-addition", "--encoding", "tableau-triples",
           "--n", "5000000", "--lengths", "3-16", "--seed", "0", "--chunk-size", "2000",
           "--max-tokens", str(10**13), "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any(name.endswith(".tmp") and os.path.getsize(tmp_path / name) > 0 for name in os.listdir(tmp_path)):
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.3)  # mid-stream
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err, err
    assert os.listdir(tmp_path) == []
