"""What the three command lines say where: every writer's ``wrote FILE`` line and the progress of long fits on
stderr, stdout pure JSON with ``--json``; progress redrawn in place on a terminal, a plain line per stage
elsewhere; the first-run compile note (tmsim._cliutil)."""

import io
import json
import os
import sys
import time
import types

import pytest

import learners.cli
import tmsim.cli
from tmsim import _cliutil
from tmsim._cliutil import COMPILE_MESSAGE, Progress, announce_compile
from tmsim.datasets import make_dataset, save

WIDTH = 8


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="module")
def train(tmp_path_factory):
    d = tmp_path_factory.mktemp("streams")
    return save(make_dataset("zoo:parity", "tableau-triples", n=40, lengths=(1, 4), width=WIDTH, random_state=0),
                d / "train.npz")


def _run(capsys, main, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _wrote(err: str, path) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith(f"wrote {path}") or f" to {path} (" in ln]


# --------------------------------------------------------------------------------------- wrote lines
@pytest.mark.parametrize("argv, name", [
    (["convert", "zoo:bb2", "--to", "yaml"], "bb2.yaml"),
    (["draw", "zoo:bb2"], "bb2.svg"),
    (["spacetime", "zoo:bb2"], "bb2.png"),
    (["dataset", "zoo:parity", "--encoding", "transitions", "--n", "5", "--lengths", "1-3", "--json"], "d.jsonl"),
])
def test_every_tmsim_writer_says_wrote_on_stderr_and_keeps_stdout_clean(capsys, tmp_path, argv, name):
    path = tmp_path / name
    code, out, err = _run(capsys, tmsim.cli.main, *argv, "--out", str(path))
    assert code == 0 and path.stat().st_size > 0
    assert len(_wrote(err, path)) == 1, err
    if "--json" in argv:
        assert json.loads(out)["path"] == str(path)  # the whole of stdout is one JSON document
    else:
        assert out == ""


@pytest.mark.parametrize("argv", [
    ["fit", "{train}", "--model", "perceptron", "--offsets", "1,2", "--max-iter", "2", "--json"],
    ["fit", "{train}", "--model", "mlp", "--max-epochs", "2", "--hidden", "", "--embedding-dim", "4", "--json"],
    ["compile", "zoo:parity", "--encoding", "tableau-triples", "--width", str(WIDTH), "--json"],
])
def test_every_learners_writer_says_wrote_on_stderr_and_json_stays_pure(capsys, tmp_path, train, argv):
    path = tmp_path / "m.npz"
    code, out, err = _run(capsys, learners.cli.main, *[a.format(train=train) for a in argv], "--out", str(path))
    assert code == 0 and path.stat().st_size > 0
    assert json.loads(out)["out"] == str(path)
    assert len(_wrote(err, path)) == 1, err
    if argv[0] == "fit":  # stages, one line each off a terminal (capsys is none), never a carriage return
        assert f"learners fit: loading {train}" in err and "learners fit: fitting " in err and "\r" not in err


def test_quiet_fit_says_nothing(capsys, tmp_path, train):
    code, out, err = _run(capsys, learners.cli.main, "fit", str(train), "--model", "perceptron", "--offsets", "1",
                          "--max-iter", "1", "--out", str(tmp_path / "m.npz"), "--quiet")
    assert code == 0 and out == "" and err == ""


# --------------------------------------------------------------------------------------- progress
def test_mlp_fit_progress_is_a_bar_on_a_terminal_and_lines_in_a_log(capsys, tmp_path, train, monkeypatch):
    monkeypatch.setattr(learners.cli, "FIT_PROGRESS_DELAY", 0.0)  # this fit is quicker than the delay
    argv = ["fit", str(train), "--model", "mlp", "--max-epochs", "3", "--hidden", "", "--embedding-dim", "4",
            "--validation-fraction", "0", "--out", str(tmp_path / "m.npz")]
    _, _, log = _run(capsys, learners.cli.main, *argv)
    assert "\r" not in log and "\x1b" not in log
    steps = [ln for ln in log.splitlines() if ln.startswith("learners fit: ") and " epochs, loss " in ln]
    assert steps and steps[-1].startswith("learners fit: 3/3 epochs, loss ")  # the last epoch always shows
    monkeypatch.setattr(_cliutil, "stderr_is_tty", lambda: True)
    _, _, term = _run(capsys, learners.cli.main, *argv)
    assert "\r\x1b[K" in term and "[" + "#" * Progress.BAR + "] 3/3 epochs" in term
    assert "\r\x1b[Klearners fit: loading" in term and "\r\x1b[Kwrote " in term  # cleared before the wrote line
    assert "\n" not in term.split("wrote ")[0]  # no stage line kept on the terminal


def test_progress_modes():
    log = io.StringIO()
    p = Progress("job", tty=False, stream=log)
    p.stage("loading")
    for i in range(1, 4):
        p.step(i, 3, "tasks")
    p.done("done")
    assert log.getvalue() == "job: loading\njob: 1/3 tasks\njob: 2/3 tasks\njob: 3/3 tasks\njob: done\n"
    term = io.StringIO()
    p = Progress("job", tty=True, stream=term)
    p.stage("loading")
    p.step(1, 2)
    p.done()
    # one status line, redrawn, then cleared for what follows (a wrote line, an error)
    assert term.getvalue() == ("\r\x1b[Kjob: loading\r\x1b[Kjob: [" + "#" * 12 + "." * 12 + "] 1/2\r\x1b[K")
    quiet = io.StringIO()
    p = Progress("job", enabled=False, stream=quiet)
    p.stage("x"), p.step(1, 1), p.done("y")
    assert quiet.getvalue() == ""
    slow = io.StringIO()
    p = Progress("job", tty=False, stream=slow, min_interval=3600)
    for i in range(1, 6):
        p.step(i, 5)
    assert slow.getvalue() == "job: 1/5\njob: 5/5\n"  # throttled off a terminal; the first and last show


def test_progress_held_back_for_a_delay_is_dropped_on_an_error():
    failed = io.StringIO()
    with pytest.raises(ValueError):
        with Progress("job", tty=False, stream=failed, delay=3600) as p:
            p.stage("loading")
            raise ValueError("bad input")  # the CLI's one-line error stays alone on stderr
    assert failed.getvalue() == ""
    ok = io.StringIO()
    with Progress("job", tty=False, stream=ok, delay=3600) as p:
        p.stage("loading")
        p.step(1, 2)
        p.step(2, 2)  # a held step replaces the one before
    assert ok.getvalue() == "job: loading\njob: 2/2\n"
    late = io.StringIO()
    with Progress("job", tty=False, stream=late, delay=0.05) as p:
        p.stage("fitting")
        deadline = time.monotonic() + 30
        while not late.getvalue() and time.monotonic() < deadline:  # the timer prints it while the job works
            time.sleep(0.01)
        assert late.getvalue() == "job: fitting\n"
        p.step(1, 1)
    assert late.getvalue() == "job: fitting\njob: 1/1\n"


# --------------------------------------------------------------------------------------- first-run note
def test_compile_note_only_when_the_cache_is_empty(tmp_path, monkeypatch, capsys):
    mod = types.ModuleType("_fake_kernels")
    mod.__file__ = str(tmp_path / "_fake_kernels.py")
    kernel = types.SimpleNamespace(_cache=types.SimpleNamespace(_cache_path=str(tmp_path / "__pycache__")),
                                   __module__="_fake_kernels")
    mod.k = kernel
    monkeypatch.setitem(sys.modules, "_fake_kernels", mod)
    assert announce_compile(["_fake_kernels"], always=True)
    assert capsys.readouterr().err == COMPILE_MESSAGE + "\n"
    assert not announce_compile(["_fake_kernels"])  # off a terminal, unless always
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "_fake_kernels.k-3.py311.nbi").write_bytes(b"")
    assert not announce_compile(["_fake_kernels"], always=True)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------- errors name flags
@pytest.mark.parametrize("argv, line", [
    (["dataset", "zoo:parity", "--encoding", "transitions", "--lengths", "1-3", "--out", "{d}/x.npz"],
     "tmsim: error: --n (the 'n' parameter of write_dataset) must be an integer >= 0. Got none (--n was not "
     "given)."),
    (["dataset", "zoo:parity", "--encoding", "tableau", "--n", "5", "--lengths", "3-3", "--width", "2", "--out",
      "{d}/x.npz"], "tmsim: error: --width (the 'width' parameter of tableau(answer=state, width=2)) is too small"),
    (["spacetime", "zoo:bb2", "--out", "{d}/x.gif"],
     "tmsim: error: --out (the 'out' parameter of tmsim.draw_spacetime) must end in one of ('.png', '.svg')"),
])
def test_tmsim_errors_name_the_flag_not_the_python_parameter(capsys, tmp_path, argv, line):
    code, out, err = _run(capsys, tmsim.cli.main, *[a.format(d=tmp_path) for a in argv])
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith(line), err
    assert not err.startswith("tmsim: error: The ")


def test_learners_errors_name_the_flag(capsys, tmp_path, train):
    code, out, err = _run(capsys, learners.cli.main, "fit", str(train), "--model", "least-squares", "--alpha",
                          "nan", "--offsets", "1", "--out", str(tmp_path / "m.npz"))
    assert code == 2 and out == "" and err == ("learners: error: --alpha (the 'alpha' parameter of LeastSquaresAR) "
                                               "must be a float in [0, inf). Got nan instead.\n")


def test_name_flags_keeps_what_it_cannot_map():
    import argparse

    args = argparse.Namespace(n=None, seed=3, out="x")
    assert _cliutil.name_flags("The 'random_state' parameter of f must be an int. Got 'a' instead.", args) == \
        "--seed (the 'random_state' parameter of f) must be an int. Got 'a' instead."
    text = "The 'alpha' parameter of Ridge must be >= 0. Got -1 instead."
    assert _cliutil.name_flags(text, args) == text  # no --alpha in this command


def test_sweep_progress_bars_only_on_a_terminal(monkeypatch):
    import argparse

    import proofs_checks.cli as pc

    args = argparse.Namespace(jobs=1, cache=None, scheduler=None, quiet=False)
    assert pc._runner(args).progress is False  # capsys: no terminal; a log gets a line per check instead
    monkeypatch.setattr(pc, "stderr_is_tty", lambda: True)
    assert pc._runner(args).progress is True
    assert pc._runner(argparse.Namespace(**{**vars(args), "quiet": True})).progress is False


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("module", ["tmsim", "learners", "proofs_checks"])
@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_to_a_full_disk_are_an_error_line(module, flag):
    """argparse drops a failed write of --help silently (exit 0); the command lines say so and exit 2."""
    import subprocess

    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", module, flag], stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "error: stdout could not be written" in r.stderr and "Traceback" not in r.stderr
