"""Fuzz: every command line and the main Python entry points on bad input. A table of probes (each over
fixture files written here) and hypothesis-generated values, run in-process through each CLI's
``main(argv)``; every one must exit 2 with one line on stderr naming the flag or parameter, no traceback,
nothing on stdout, no file at the target, no temporary file left and no special file replaced.

``python benchmarks/probe_cli.py`` runs the same table in subprocesses (crashes and hangs show there) and
prints the counts: probes, clear errors, tracebacks, crashes, hangs, leftovers.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

PROGS = ("tmsim", "learners", "proofs-checks")
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
LOOP = "1RB1LA_1LA1RB"
BIG = str(10 ** 23)


@dataclass(frozen=True)
class Probe:
    """One bad command line: ``argv`` may hold ``{name}`` fields of :func:`make_fixtures` (``{out}`` is the
    target, which must not exist afterwards); the error line must contain one of ``names``."""

    id: str
    prog: str
    argv: tuple[str, ...]
    names: tuple[str, ...]


def P(id: str, prog: str, argv: str | tuple, *names: str) -> Probe:
    return Probe(id, prog, tuple(argv.split()) if isinstance(argv, str) else tuple(argv), names)


# --------------------------------------------------------------------------------------- the probe table
PROBES: list[Probe] = [
    # tmsim run
    P("run-max-steps-2**64", "tmsim", f"run {BB4} --max-steps 18446744073709551616", "--max-steps", "max_steps"),
    P("run-max-tape-2**64", "tmsim", f"run {BB4} --max-tape 18446744073709551616", "--max-tape", "max_tape"),
    P("run-max-steps-negative", "tmsim", f"run {BB4} --max-steps -1", "--max-steps", "max_steps"),
    P("run-max-tape-zero", "tmsim", f"run {BB4} --max-tape 0", "--max-tape", "max_tape"),
    P("run-max-steps-text", "tmsim", f"run {BB4} --max-steps x", "--max-steps"),
    P("run-backend", "tmsim", f"run {BB4} --backend cuda", "--backend"),
    P("run-input-symbol", "tmsim", "run zoo:binary-increment --input 12", "input", "'2'"),
    P("run-input-file-missing", "tmsim", "run zoo:binary-increment --input-file {missing}", "--input-file"),
    P("run-input-file-device", "tmsim", "run zoo:binary-increment --input-file /dev/zero", "--input-file"),
    P("run-input-and-file", "tmsim", "run zoo:binary-increment --input 1 --input-file {input_file}", "--input-file"),
    P("run-unknown-zoo", "tmsim", "run zoo:nosuch", "nosuch"),
    P("run-machine-dev-zero", "tmsim", "show /dev/zero --format yaml", "/dev/zero"),
    P("run-machine-dir", "tmsim", "show {dir}", "{dir}"),
    P("show-deep-yaml", "tmsim", "show {deep_yaml}", "deep.yaml"),
    P("show-dup-json", "tmsim", "show {dup_json}", "dup.json"),
    P("show-empty-morphett", "tmsim", "show {empty_mtm}", "empty.mtm"),
    P("show-comment-morphett", "tmsim", "show {comment_mtm}", "comments.mtm"),
    P("show-bom-comment-morphett", "tmsim", "run {bom_comment_mtm}", "bomcomments.mtm"),
    P("show-binary-garbage", "tmsim", "show {garbage_tm}", "garbage.tm"),
    P("show-format", "tmsim", f"show {BB4} --format nosuch", "--format", "format"),
    # tmsim convert / draw / spacetime
    P("convert-to", "tmsim", f"convert {BB4} --to nosuch", "--to", "nosuch"),
    P("convert-out-dir", "tmsim", f"convert {BB4} --to json --out {{dir}}", "--out"),
    P("convert-out-missing-dir", "tmsim", f"convert {BB4} --to json --out {{missing}}/x.json", "--out"),
    P("convert-out-full", "tmsim", f"convert {BB4} --to json --out /dev/full", "--out"),
    P("convert-out-fifo-no-reader", "tmsim", f"convert {BB4} --to json --out {{fifo}}", "--out"),
    P("draw-out-fifo-no-reader", "tmsim", f"draw {BB4} --out {{fifo_svg}}", "out", "FIFO"),
    P("spacetime-out-fifo-no-reader", "tmsim", f"spacetime {BB4} --out {{fifo_svg}}", "out", "FIFO"),
    P("draw-out-dir", "tmsim", f"draw {BB4} --out {{dir}}", "--out"),
    P("draw-out-ext", "tmsim", f"draw {BB4} --out {{out}}.bmp", "out", ".bmp"),
    P("draw-too-big", "tmsim", "draw {big_machine} --out {out}.png", "MAX_DIAGRAM_STATES"),
    P("spacetime-max-steps", "tmsim", f"spacetime {BB4} --out {{out}}.png --max-steps {BIG}", "--max-steps",
      "max_steps"),
    P("spacetime-out-dir", "tmsim", f"spacetime {BB4} --out {{dir}}", "--out"),
    # tmsim trace
    P("trace-width-1e8", "tmsim", "trace zoo:bb4 --encoding tableau --width 100000000", "--max-tokens", "--width"),
    P("trace-width-huge", "tmsim", f"trace zoo:bb4 --encoding tableau --width {BIG}", "--width"),
    P("trace-every-huge", "tmsim", f"trace zoo:bb4 --encoding snapshots(every={BIG})", "every"),
    P("trace-max-steps-huge", "tmsim", f"trace zoo:bb4 --encoding transitions --max-steps {BIG}", "--max-steps"),
    P("trace-long-run", "tmsim", f"trace {LOOP} --encoding transitions --max-steps 100000000000 --on-timeout label",
      "--max-tokens"),
    P("trace-encoding", "tmsim", "trace zoo:bb4 --encoding nosuch", "encoding", "nosuch"),
    P("trace-width-on-transitions", "tmsim", "trace zoo:bb4 --encoding transitions --width 8", "width"),
    # tmsim dataset
    P("dataset-format-vs-ext", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --format jsonl --out {out}.npz",
      "--format"),
    P("dataset-out-dir", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --out {dir}", "--out", "{dir}"),
    P("dataset-out-full", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --format npz --out /dev/full",
      "--out"),
    P("dataset-out-fifo-no-reader", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --out {fifo_jsonl}",
      "--out", "FIFO"),
    P("dataset-n-huge", "tmsim", f"dataset zoo:parity --encoding transitions --n {BIG} --out {{out}}.npz", "--n"),
    P("dataset-n-tokens", "tmsim", "dataset zoo:parity --encoding transitions --n 4000000000000 --out {out}.npz",
      "max_tokens", "--n"),
    P("dataset-seed", "tmsim", f"dataset zoo:parity --encoding transitions --n 10 --seed {BIG} --out {{out}}.npz",
      "random_state", "--seed"),
    P("dataset-max-steps", "tmsim", f"dataset zoo:parity --encoding transitions --n 10 --max-steps {BIG} "
                                    f"--out {{out}}.npz", "--max-steps"),
    P("dataset-chunk-size", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --chunk-size 0 --out {out}.npz",
      "chunk_size", "--chunk-size"),
    P("dataset-width-tokens", "tmsim", "dataset zoo:parity --encoding tableau --width 100000000000 --n 10 "
                                       "--out {out}.npz", "max_tokens", "--width"),
    P("dataset-lengths", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --lengths 5-2 --out {out}.npz",
      "--lengths"),
    P("dataset-lengths-huge", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --lengths 1-1000000 "
                                       "--out {out}.npz", "lengths", "max_tokens", "max_steps"),
    P("dataset-ext", "tmsim", "dataset zoo:parity --encoding transitions --n 10 --out {out}.bin", "format", ".bin"),
    # learners
    P("fit-window-1e8", "learners", "fit {data} --model perceptron --window 100000000 --out {out}.npz", "window"),
    P("fit-period-1e11", "learners", "fit {data} --model perceptron --period 100000000000 --out {out}.npz", "period"),
    P("fit-period-1e6", "learners", "fit {data} --model perceptron --period 1000000 --out {out}.npz", "period",
      "blocks", "classes"),
    P("fit-ls-window-5000", "learners", "fit {data} --model least-squares --window 5000 --out {out}.npz", "window",
      "MAX_TRAINING_BYTES"),
    P("fit-ls-alpha-inf", "learners", "fit {data} --model least-squares --alpha inf --out {out}.npz", "alpha"),
    P("fit-ls-alpha-nan", "learners", "fit {data} --model least-squares --alpha nan --out {out}.npz", "alpha"),
    P("fit-mlp-hidden-huge", "learners", "fit {data} --model mlp --hidden 1000000,1000000 --out {out}.npz",
      "hidden"),
    P("fit-mlp-lr-1e30", "learners", "fit {data} --model mlp --learning-rate 1e30 --max-epochs 2 --hidden 8 "
                                     "--out {out}.npz --quiet", "learning_rate", "--learning-rate"),
    P("fit-out-dir", "learners", "fit {data} --model perceptron --out {dir}", "--out"),
    # Refused before training: a million epochs would take minutes.
    P("fit-out-dir-before-training", "learners", "fit {data} --model mlp --hidden 8 --max-epochs 1000000 "
                                                 "--out {dir} --quiet", "--out"),
    P("fit-out-full", "learners", "fit {data} --model perceptron --out /dev/full --quiet", "/dev/full"),
    P("fit-out-fifo-no-reader", "learners", "fit {data} --model perceptron --out {fifo_npz} --quiet", "fifo.npz"),
    P("fit-mismatched-sidecar", "learners", "fit {mixed_jsonl} --model perceptron --out {out}.npz", "sidecar"),
    P("eval-mismatched-sidecar", "learners", "eval {model} {mixed_jsonl}", "sidecar"),
    P("fit-empty-npz", "learners", "fit {empty_npz} --model perceptron --out {out}.npz", "empty.npz"),
    P("fit-zero-byte", "learners", "fit {zero_npz} --model perceptron --out {out}.npz", "zero.npz"),
    P("fit-missing", "learners", "fit {missing}.npz --model perceptron --out {out}.npz", "missing"),
    P("fit-window-text", "learners", "fit {data} --model perceptron --window x --out {out}.npz", "--window"),
    P("fit-offsets", "learners", "fit {data} --model perceptron --offsets 0,-1 --out {out}.npz", "--offsets"),
    P("eval-truncated-model", "learners", "eval {trunc_model} {data}", "trunc.npz"),
    P("eval-zero-model", "learners", "eval {zero_npz} {data}", "zero.npz"),
    P("eval-empty-dataset", "learners", "eval {model} {empty_npz}", "empty.npz"),
    P("eval-nan-weights", "learners", "eval {nan_model} {data}", "coef", "nan.npz"),
    P("eval-negative-offsets", "learners", "eval {neg_offsets_model} {data}", "offsets"),
    P("eval-crafted-params", "learners", "eval {window_model} {data}", "window"),
    P("generate-max-new-tokens", "learners", "generate {model} --prompt 0 --ids --max-new-tokens 1000000000000",
      "max_new_tokens"),
    P("generate-id-huge", "learners", f"generate {{model}} --prompt {BIG} --ids", "prompt"),
    P("generate-id-negative", "learners", "generate {model} --prompt -5 --ids", "prompt"),
    P("generate-unknown-token", "learners", "generate {model} --prompt nosuch", "--prompt"),
    P("compile-width", "learners", "compile zoo:parity --encoding tableau-triples --width -3 --out {out}.npz",
      "width"),
    P("compile-too-big", "learners", "compile {big_machine} --encoding gates --width 8 --out {out}.npz",
      "MAX_GATES_ENTRIES"),
    P("compile-out-fifo-no-reader", "learners", "compile zoo:parity --encoding tableau-triples --width 8 "
                                                "--out {fifo_npz}", "fifo.npz"),
    P("compile-out-full", "learners", "compile zoo:parity --encoding tableau-triples --width 8 --out /dev/full",
      "/dev/full"),
    # proofs-checks
    P("checks-unknown", "proofs-checks", "run nosuch", "nosuch"),
    P("checks-report-empty-list", "proofs-checks", "report --out {out} --checks ,", "--checks"),
    P("checks-report-unknown", "proofs-checks", "report --out {out} --checks nosuch", "nosuch"),
    P("checks-jobs", "proofs-checks", "run parity-k-sparse --jobs 0", "--jobs"),
    P("checks-preset", "proofs-checks", "run parity-k-sparse --preset nosuch", "preset"),
    P("checks-cache", "proofs-checks", "run parity-k-sparse --quick --cache /dev/null/x", "cache"),
    P("checks-scheduler-ucx", "proofs-checks", "run parity-k-sparse --quick --scheduler ucx://127.0.0.1:1",
      "--scheduler"),
    P("checks-scheduler-text", "proofs-checks", "run parity-k-sparse --quick --scheduler nonsense", "--scheduler"),
    P("checks-bogus-flag", "proofs-checks", "run parity-k-sparse --bogus", "--bogus"),
]


# --------------------------------------------------------------------------------------- fixture files
#: The FIFOs of the fixtures (field -> name): a writer must refuse them (no reader), never replace them.
FIFOS = {"fifo": "fifo", "fifo_svg": "fifo.svg", "fifo_npz": "fifo.npz", "fifo_jsonl": "fifo.jsonl"}


def make_fixtures(d: Path) -> dict[str, str]:
    """Write every file the probes name into ``d`` and return the ``{name}`` fields."""
    from learners.cli import main as learners_main
    from tmsim.datasets import make_dataset, save, vocabulary_path

    d.mkdir(parents=True, exist_ok=True)
    f: dict[str, str] = {"dir": str(d / "adir"), "missing": str(d / "missing")}
    (d / "adir").mkdir(exist_ok=True)
    for key, name in FIFOS.items():  # FIFOs nobody reads, with the extensions the writers want
        f[key] = str(d / name)
        if not os.path.exists(f[key]):
            os.mkfifo(f[key])
    data = save(make_dataset("zoo:parity", "tableau-triples", n=40, lengths=(1, 4), width=8, random_state=0),
                d / "data.npz")
    f["data"] = str(data)
    # A JSONL dataset whose sidecar is another write's (another machine's vocabulary).
    mixed = save(make_dataset("zoo:parity", "transitions", n=8, lengths=(1, 4), random_state=0), d / "mixed.jsonl")
    other = save(make_dataset("zoo:binary-increment", "transitions", n=8, lengths=(1, 4), random_state=0),
                 d / "other.jsonl")
    vocabulary_path(mixed).write_bytes(vocabulary_path(other).read_bytes())
    f["mixed_jsonl"] = str(mixed)
    model = d / "model.npz"
    with contextlib.redirect_stdout(io.StringIO()):
        assert learners_main(["fit", str(data), "--model", "perceptron", "--window", "5", "--seed", "0",
                              "--out", str(model), "--quiet"]) == 0
    f["model"] = str(model)
    raw = model.read_bytes()
    (d / "trunc.npz").write_bytes(raw[:len(raw) // 3])
    f["trunc_model"] = str(d / "trunc.npz")
    (d / "zero.npz").write_bytes(b"")
    f["zero_npz"] = str(d / "zero.npz")
    np.savez(d / "empty.npz")
    f["empty_npz"] = str(d / "empty.npz")
    arrays = dict(np.load(model, allow_pickle=False))
    meta = json.loads(bytes(arrays["meta"]).decode())

    def crafted(name: str, **change) -> str:
        a = dict(arrays, **{k: v for k, v in change.items() if k != "params"})
        if "params" in change:
            m = json.loads(json.dumps(meta))
            m["params"].update(change["params"])
            a["meta"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)
        np.savez(d / name, **a)
        return str(d / name)

    coef = arrays["coef"].copy()
    coef.flat[0] = np.nan
    f["nan_model"] = crafted("nan.npz", coef=coef)
    f["neg_offsets_model"] = crafted("negoff.npz", offsets=-arrays["offsets"])
    f["window_model"] = crafted("window.npz", params={"window": -5})
    (d / "deep.yaml").write_text("[" * 5000 + "]" * 5000)
    f["deep_yaml"] = str(d / "deep.yaml")
    (d / "dup.json").write_text('{"format": "tmsim-machine", "format": "x", "rules": []}')
    f["dup_json"] = str(d / "dup.json")
    (d / "empty.mtm").write_text("\n  \n")
    f["empty_mtm"] = str(d / "empty.mtm")
    (d / "comments.mtm").write_text("; a program emptied by mistake\n   ; a second comment\n\n")
    f["comment_mtm"] = str(d / "comments.mtm")
    (d / "bomcomments.mtm").write_bytes(b"\xef\xbb\xbf; only a comment\n")
    f["bom_comment_mtm"] = str(d / "bomcomments.mtm")
    (d / "garbage.tm").write_bytes(bytes(range(256)) * 4)
    f["garbage_tm"] = str(d / "garbage.tm")
    (d / "input.txt").write_text("1011\n")
    f["input_file"] = str(d / "input.txt")
    big = d / "big.mtm"
    if not big.exists():  # 1,100 states: more than draw draws and gates compiles, cheap to load
        big.write_text("".join(f"q{i} 0 1 r q{i + 1}\nq{i} 1 0 l q{i + 1}\n" for i in range(1100)))
    f["big_machine"] = str(big)
    return f


def expand(probe: Probe, fields: dict[str, str], out: str) -> tuple[list[str], tuple[str, ...]]:
    values = dict(fields, out=out)
    return [a.format(**values) for a in probe.argv], tuple(n.format(**values) for n in probe.names)


def main_of(prog: str):
    if prog == "tmsim":
        from tmsim.cli import main
    elif prog == "learners":
        from learners.cli import main
    else:
        from proofs_checks.cli import main
    return main


def call(prog: str, argv: list[str]) -> tuple[object, str, str]:
    """``main(argv)`` of ``prog`` in this process: (exit status or the escaped exception, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main_of(prog)(argv)
        except SystemExit as e:
            code = e.code
        except Exception as e:  # noqa: BLE001 - a traceback is what the probe looks for
            code = e
    return code, out.getvalue(), err.getvalue()


def leftovers(d: Path) -> list[str]:
    """Temporary files of the one writer (``.NAME.PID-...``) anywhere under ``d``."""
    return sorted(str(p.relative_to(d)) for p in d.rglob(".*") if ".tmp" in p.name or ".parts" in p.name)


def verdict(prog: str, code, out: str, err: str, names: tuple[str, ...]) -> str | None:
    """None when the probe got a clear error; else what was wrong."""
    if isinstance(code, BaseException):
        return f"traceback: {type(code).__name__}: {code}"
    if "Traceback" in err:
        return "traceback on stderr"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code != 2:
        return f"exit {code!r} (stderr {err[-300:]!r})"
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr: {err[-500:]!r}"
    if not (lines[0].startswith(f"{prog}: error:") or lines[0].startswith(f"{prog} ")):
        return f"not a '{prog}: error:' line: {lines[0]!r}"
    if not any(n in lines[0] for n in names):
        return f"names none of {names}: {lines[0]!r}"
    if out:
        return f"stdout not empty: {out[:200]!r}"
    return None


# --------------------------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def fields(tmp_path_factory):
    return make_fixtures(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_probe_is_a_clear_error(probe, fields, tmp_path):
    out = str(tmp_path / "target")
    argv, names = expand(probe, fields, out)
    null_before = os.stat(os.devnull).st_mode
    code, stdout, stderr = call(probe.prog, argv)
    problem = verdict(probe.prog, code, stdout, stderr, names)
    assert problem is None, (probe.id, argv, problem)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("target")], "a file at the target"
    assert leftovers(tmp_path) == [] and leftovers(Path(fields["dir"]).parent) == []
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode) and os.stat(os.devnull).st_mode == null_before
    assert all(stat.S_ISFIFO(os.stat(fields[k]).st_mode) for k in FIFOS), "a FIFO was replaced"


# Hypothesis: integer flags out of range or not integers at all; each must be named in one line.
_INT_FLAGS = [("tmsim", ["run", BB4], "--max-steps", 0), ("tmsim", ["run", BB4], "--max-tape", 1),
              ("tmsim", ["trace", "zoo:bb4", "--encoding", "tableau"], "--width", 3),
              ("tmsim", ["dataset", "zoo:parity", "--encoding", "transitions", "--out", "{out}.npz"], "--n", 0),
              ("learners", ["fit", "{data}", "--model", "perceptron", "--out", "{out}.npz"], "--window", 1)]
_bad_ints = st.one_of(st.integers(max_value=-1), st.integers(min_value=2 ** 62 + 1, max_value=2 ** 200))
_junk = st.text(alphabet="xyz.,;!@ e+-", min_size=1, max_size=6).filter(
    lambda s: not s.strip().lstrip("+-").isdigit() and not s.startswith("-"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(_INT_FLAGS) - 1), value=st.one_of(_bad_ints, _junk))
def test_integer_flags_out_of_range_are_named(which, value, fields, tmp_path):
    prog, argv, flag, _ = _INT_FLAGS[which]
    values = dict(fields, out=str(tmp_path / "target"))
    args = [a.format(**values) for a in argv] + [f"{flag}={value}"]
    code, out, err = call(prog, args)
    problem = verdict(prog, code, out, err, (flag, flag.lstrip("-").replace("-", "_")))
    assert problem is None, (args, problem)
    assert leftovers(tmp_path) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300), ext=st.sampled_from([".tm", ".yaml", ".json", ".mtm"]))
def test_random_bytes_as_a_machine_file(blob, ext, tmp_path):
    path = tmp_path / f"m{ext}"
    path.write_bytes(blob)
    code, out, err = call("tmsim", ["show", str(path)])
    if code == 0:  # the bytes happened to be a machine
        return
    assert verdict("tmsim", code, out, err, (str(path), path.name, "MACHINE")) is None, (blob, err)


# --------------------------------------------------------------------------------------- stdout that fails
_STDOUT_COMMANDS = [("tmsim", ["show", "zoo:bb4"]), ("proofs-checks", ["list"]),
                    ("learners", ["eval", "{model}", "{data}"])]


@pytest.mark.parametrize("how", ["full-disk", "closed-pipe"])
@pytest.mark.parametrize("prog, argv", _STDOUT_COMMANDS, ids=[p for p, _ in _STDOUT_COMMANDS])
def test_stdout_on_a_full_disk_or_a_closed_pipe(prog, argv, how, fields):
    """``> /dev/full``: one error line, exit 2; ``| head -c1``: quiet, exit 141 (as Unix tools do)."""
    if how == "full-disk":
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full")
        sink = open("/dev/full", "w")
    else:
        r, w = os.pipe()
        os.close(r)
        sink = os.fdopen(w, "w")
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(err):
            code = main_of(prog)([a.format(**fields) for a in argv])
    finally:
        with contextlib.suppress(OSError):
            sink.close()
    if how == "full-disk":
        lines = err.getvalue().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{prog}: error: ") \
            and "No space left on device" in lines[0], err.getvalue()
    else:
        assert code == 141 and err.getvalue() == ""


def test_a_learner_error_inside_a_check_is_one_line(monkeypatch, capsys):
    import dataclasses

    from learners import LearnerError
    from proofs_checks import registry
    from proofs_checks.cli import main

    def broken(config, runner):
        raise LearnerError("The 'window' parameter of PerceptronAR must be an int >= 1. Got 0 instead.")

    c = registry.get_check("parity-k-sparse")
    monkeypatch.setitem(registry.CHECKS, c.name, dataclasses.replace(c, run_fn=broken))
    assert main(["run", c.name, "--quick", "--quiet", "--jobs", "1"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and err.splitlines() == [
        "proofs-checks: error: The 'window' parameter of PerceptronAR must be an int >= 1. Got 0 instead."], err


@pytest.mark.parametrize("formats", ["nosuch", ",", "mul-local,nosuch"])
def test_multiplication_experiment_refuses_unknown_formats(formats, tmp_path, capsys):
    """It ran nothing and exited 0; now argparse's usage error (exit 2) naming --formats, and nothing written."""
    from proofs_checks.experiments.multiplication import main

    with pytest.raises(SystemExit) as e:
        main(["--quick", "--formats", formats, "--out", str(tmp_path / "out"), "--quiet"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "argument --formats" in err.splitlines()[-1], err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------- the Python API
def _api_probes():
    import learners
    import tmsim
    from learners import LeastSquaresAR, MLPAR
    from proofs_checks.sweep import SweepRunner
    from tmsim.datasets import make_dataset
    from tmsim.encodings import get_encoding

    bb4 = tmsim.parse_standard(BB4)
    return [
        ("run-max-steps-2**64", lambda d: tmsim.run(bb4, max_steps=2 ** 64), "max_steps"),
        ("run-batch-max-tape", lambda d: tmsim.run_batch(bb4, [""], max_tape=2 ** 70), "max_tape"),
        ("snapshots-every", lambda d: get_encoding(f"snapshots(every={BIG})"), "every"),
        ("tableau-width", lambda d: get_encoding(f"tableau(width={BIG})"), "width"),
        ("ls-alpha-inf", lambda d: LeastSquaresAR(alpha=math.inf).fit(d), "alpha"),
        ("mlp-diverges", lambda d: MLPAR(learning_rate=1e30, max_epochs=2, hidden_layer_sizes=(8,), verbose=0,
                                          random_state=0).fit(d), "learning_rate"),
        ("mlp-huge", lambda d: MLPAR(hidden_layer_sizes=(10 ** 6, 10 ** 6)).fit(d), "parameters"),
        # No max_tokens given: the default guard refuses with the estimate before allocating (2e13 tokens).
        ("make-dataset-default-max-tokens", lambda d: make_dataset("zoo:parity", "transitions", n=4 * 10 ** 12,
                                                                   random_state=0), "max_tokens"),
        ("scheduler-scheme", lambda d: SweepRunner(scheduler="ucx://127.0.0.1:1"), "scheduler"),
    ]


def test_api_bad_input_is_a_one_line_value_error(fields):
    from tmsim.datasets import load_dataset

    data = load_dataset(fields["data"])
    for name, fn, word in _api_probes():
        with pytest.raises(ValueError) as e:
            fn(data)
        text = str(e.value)
        assert "\n" not in text and word in text, (name, text)


def test_a_forged_or_stale_sweep_cache_entry_is_recomputed(tmp_path):
    from proofs_checks.sweep import SweepRunner, _demo_job, grid

    points = grid(a=[1, 2], b=[10])
    first = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    assert first.map(_demo_job, points) == [11, 12]
    entry = next(tmp_path.glob("*.json"))
    forged = json.loads(entry.read_text())
    forged["result"] = -1  # a flipped verdict, the digest left as it was
    entry.write_text(json.dumps(forged))
    for p in tmp_path.glob("*.json"):
        if p != entry:
            p.write_text(json.dumps({**json.loads(p.read_text()), "key": "0" * 24}))  # a stale key
    again = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    assert again.map(_demo_job, points) == [11, 12] and again.computed == 2
    third = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    assert third.map(_demo_job, points) == [11, 12] and third.cached == 2
    other_code = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False, version="2")
    assert other_code.map(_demo_job, points) == [11, 12] and other_code.computed == 2


@pytest.mark.parametrize("garbage", [b"", b"{not json", b"[1, 2]", b'{"key": 3}', b"\xff\xfe"],
                         ids=["empty", "not-json", "a-list", "wrong-shape", "not-utf8"])
def test_a_malformed_sweep_cache_entry_is_recomputed(garbage, tmp_path):
    from proofs_checks.sweep import SweepRunner, _demo_job, grid

    points = grid(a=[1, 2], b=[10])
    assert SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False).map(_demo_job, points) == [11, 12]
    for p in tmp_path.glob("*.json"):
        p.write_bytes(garbage)
    again = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    assert again.map(_demo_job, points) == [11, 12] and again.computed == 2


def test_a_server_that_is_not_dask_is_one_line():
    """It answers with bytes that read as an absurd frame length (the client tried to allocate exabytes)."""
    pytest.importorskip("dask.distributed")
    import socket
    import threading

    from proofs_checks.errors import CheckError
    from proofs_checks.sweep import SweepRunner, _demo_job, grid

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)

    def serve():
        with contextlib.suppress(OSError):
            while True:
                c, _ = srv.accept()
                with contextlib.suppress(OSError):
                    c.sendall(b"\xff" * 64)
                    c.recv(1)
                c.close()

    threading.Thread(target=serve, daemon=True).start()
    address = f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    try:
        with pytest.raises(CheckError) as e:
            SweepRunner(scheduler=address, connect_timeout=3, progress=False).map(_demo_job, grid(a=[1], b=[2]))
    finally:
        srv.close()
    text = str(e.value)
    assert "\n" not in text and "scheduler" in text and address in text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
