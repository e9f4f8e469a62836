"""Tests of the tmsim command line: in-process through ``main`` (fast), plus one ``python -m tmsim`` and one
console-script subprocess. Results are checked against ``tmsim.run`` computed here independently."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import tmsim
from tmsim import Machine, parse_standard, run, zoo
from tmsim.formats.io import dumps
from tmsim.cli import format_table, main

from cli_helpers import assert_bad_input, cli  # tests/cli_helpers.py
from tmsim.resolve import load_machine

BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RESULT_KEYS = {"machine", "status", "steps", "state", "head", "tape", "tape_start", "nonblank"}


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")




# --------------------------------------------------------------------------------------- run
def test_run_json_bb4_matches_library_and_literature(capsys):
    code, out, err = cli(capsys, "run", BB4, "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert RESULT_KEYS <= set(d)
    expected = run(parse_standard(BB4))
    assert d == {"machine": BB4, **expected.to_dict()}
    assert (d["status"], d["steps"], d["nonblank"]) == ("halted", 107, 13)  # BB(4), Brady 1983


@pytest.mark.parametrize("name,x", [("binary-addition", "101+11"), ("palindrome", "abba"), ("copy", "0110"),
                                    ("bb2x3", None)])
def test_run_zoo_json(capsys, name, x):
    args = ["run", f"zoo:{name}", "--json"] + ([] if x is None else ["--input", x])
    code, out, _ = cli(capsys, *args)
    d = json.loads(out)
    e = zoo.get(name)
    r = run(e.machine, x)
    assert code == 0 and d == {"machine": name, **r.to_dict()}
    assert e.answer(r) == e.expected(x)


def test_run_step_limit_is_a_result_and_backends_agree(capsys):
    outs = []
    for backend in ("numba", "python"):
        code, out, _ = cli(capsys, "run", "zoo:bb5", "--max-steps", "1000", "--backend", backend, "--json")
        assert code == 0
        outs.append(json.loads(out))
    assert outs[0] == outs[1]
    assert outs[0]["status"] == "step_limit" and outs[0]["steps"] == 1000


def test_run_tape_limit(capsys):
    code, out, _ = cli(capsys, "run", "zoo:bb5", "--max-tape", "5", "--json")
    assert code == 0 and json.loads(out)["status"] == "tape_limit"


def test_run_undefined_status(capsys):
    code, out, _ = cli(capsys, "run", "1RB---_1LA---", "--json")
    d = json.loads(out)
    assert code == 0 and d["status"] == "undefined" and d["steps"] == 2


def test_run_human_summary(capsys):
    code, out, err = cli(capsys, "run", BB4)
    assert code == 0 and err == ""
    fields = dict(line.split(":", 1) for line in out.splitlines())
    assert {k: v.strip() for k, v in fields.items() if k in ("status", "steps", "state", "nonblank")} == {
        "status": "halted", "steps": "107", "state": "Z", "nonblank": "13"}
    assert set(fields) == {"machine", "status", "steps", "state", "head", "tape", "nonblank"}


def test_run_summary_truncates_long_tapes(capsys):
    code, out, _ = cli(capsys, "run", "zoo:bb5", "--max-steps", "100000")
    tape_line = next(line for line in out.splitlines() if line.startswith("tape:"))
    assert code == 0 and "--json prints all" in tape_line and len(tape_line) < 300


# --------------------------------------------------------------------------------------- show, zoo, version
def test_show_bb4(capsys):
    code, out, _ = cli(capsys, "show", BB4)
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["0", "1"]
    assert lines[2].split() == [">", "A", "1RB", "1LB"]
    assert lines[5].split() == ["D", "1RD", "0RA"]
    assert lines[6].split() == ["*", "Z", "halt", "halt"]
    assert "start: A" in lines and "blank: '0'" in lines and "halting: Z" in lines


def test_show_multichar_states_and_undefined():
    m = zoo.get("binary-increment").machine
    table = format_table(m)
    assert "_ L carry" in table and "> right" in table and "* done" in table
    assert "---" in format_table(parse_standard("1RB---_1LA---"))


def test_zoo_lists_every_entry(capsys):
    code, out, _ = cli(capsys, "zoo")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "task", "description"]
    assert [line.split()[0] for line in lines[1:]] == list(zoo.names())
    for line, name in zip(lines[1:], zoo.names()):
        assert zoo.get(name).task in line and zoo.get(name).description in line
    code, out, _ = cli(capsys, "zoo", "--json")
    assert [d["name"] for d in json.loads(out)] == list(zoo.names())


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tmsim {tmsim.__version__}"


def test_usage_errors_are_argparse_exit_2(capsys):
    for argv in ([], ["run"], ["frobnicate", BB4], ["run", BB4, "--backend", "cuda"], ["run", BB4, "--max-steps", "x"],
                 ["convert", BB4]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------------------- convert
@pytest.mark.parametrize("fmt", ["standard", "yaml", "morphett", "json"])
def test_convert_prints_text_that_loads_back(capsys, tmp_path, fmt):
    code, out, _ = cli(capsys, "convert", BB4, "--to", fmt)
    assert code == 0 and out.endswith("\n")
    ext = {"standard": "tm", "yaml": "yaml", "morphett": "morphett", "json": "json"}[fmt]
    path = tmp_path / f"bb4.{ext}"
    path.write_text(out)
    got, expected = run(load_machine(str(path))).to_dict(), run(parse_standard(BB4)).to_dict()
    # Morphett renames the blank and the halting states; the run itself is the same.
    same = ("status", "steps", "head", "tape_start", "nonblank")
    assert {k: got[k] for k in same} == {k: expected[k] for k in same}
    if fmt != "morphett":
        assert got == expected


def test_convert_round_trip_through_json_file(capsys, tmp_path):
    path = tmp_path / "inc.json"
    code, out, _ = cli(capsys, "convert", "zoo:binary-increment", "--to", "json", "--out", str(path))
    assert code == 0 and out == "" and os.listdir(tmp_path) == ["inc.json"]
    assert json.loads(path.read_text())["name"] == "binary-increment"
    code, out, _ = cli(capsys, "run", str(path), "--input", "1011", "--json")
    d = json.loads(out)
    expected = run(zoo.get("binary-increment").machine, "1011")
    assert code == 0 and {k: d[k] for k in expected.to_dict()} == expected.to_dict()
    assert d["tape"] == "1100"
    # And on to the standard format, which renames symbols by index ('_' 0, '0' 1, '1' 2): same run.
    code, out, _ = cli(capsys, "convert", str(path), "--to", "standard")
    assert code == 0
    code, out2, _ = cli(capsys, "run", out.strip(), "--input", "2122", "--json")
    d2 = json.loads(out2)
    assert (d2["steps"], d2["head"], d2["tape"]) == (expected.steps, expected.head, "2211")


def test_format_flag_overrides_extension(capsys, tmp_path):
    path = tmp_path / "machine.dat"
    path.write_text(BB4 + "\n")
    assert_bad_input(capsys, "run", str(path))  # unknown extension
    code, out, _ = cli(capsys, "run", str(path), "--format", "standard", "--json")
    assert code == 0 and json.loads(out)["steps"] == 107


# --------------------------------------------------------------------------------------- drawing
def assert_image(path) -> None:
    import matplotlib.image

    data = open(path, "rb").read()
    assert len(data) > 1000
    if str(path).endswith(".png"):
        assert data.startswith(PNG_MAGIC)
        pixels = matplotlib.image.imread(path)
        assert pixels[..., :3].std() > 0.05  # not a blank image
    else:
        assert b"<svg" in data[:2000]


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_draw_and_spacetime_write_images(capsys, tmp_path, ext):
    code, out, err = cli(capsys, "draw", BB4, "--out", str(tmp_path / f"d.{ext}"))
    assert code == 0 and out == "" and err.startswith("wrote ")
    code, out, err = cli(capsys, "spacetime", "zoo:binary-addition", "--input", "101+11", "--out",
                         str(tmp_path / f"s.{ext}"), "--max-steps", "300")
    assert code == 0 and out == "" and err.startswith("wrote ")
    assert_image(tmp_path / f"d.{ext}")
    assert_image(tmp_path / f"s.{ext}")
    assert sorted(os.listdir(tmp_path)) == [f"d.{ext}", f"s.{ext}"]


def test_draw_into_missing_directory_leaves_nothing(capsys, tmp_path):
    assert "does not exist" in assert_bad_input(capsys, "draw", BB4, "--out", str(tmp_path / "no" / "d.png"))
    assert_bad_input(capsys, "spacetime", BB4, "--out", str(tmp_path / "no" / "s.png"))
    assert_bad_input(capsys, "convert", BB4, "--to", "json", "--out", str(tmp_path / "no" / "m.json"))
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------- bad input
def test_bad_inputs_exit_2_with_one_line(capsys, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{ not json")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("table: [1, 2\n")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    wide = tmp_path / "wide.json"  # 11 symbols: more than the standard format's digits
    symbols = ["_"] + list("abcdefghij")
    wide.write_text(dumps(Machine(["A", "H"], symbols, "_", symbols[1:], "A", ["H"],
                                  {("A", s): ("H", s, "R") for s in symbols}, name="wide"), "json"))
    cases = [
        ["run", str(tmp_path / "missing.yaml")],                  # unreadable file
        ["run", str(tmp_path)],                                   # a directory
        ["show", str(bad_json)],                                  # malformed machine
        ["show", str(bad_yaml)],
        ["show", str(binary)],
        ["run", "1RB1LB_1LA"],                                    # malformed standard string
        ["run", "1RB1LB_1LA0LC_1RZ1LD_1RD0R"],
        ["run", "not-a-machine"],
        ["run", "zoo:no-such-machine"],                           # unknown zoo name
        ["show", "zoo:"],
        ["run", BB4, "--input", "2"],                             # input symbol not in the alphabet
        ["run", "zoo:binary-addition", "--input", "1+x"],
        ["run", BB4, "--max-steps", "-1"],                        # negative budgets
        ["run", BB4, "--max-tape", "0"],
        ["spacetime", BB4, "--out", str(tmp_path / "s.png"), "--max-steps", "-5"],
        ["spacetime", BB4, "--out", str(tmp_path / "s.png"), "--max-steps", "200000"],  # too many rows
        ["spacetime", BB4, "--input", "3", "--out", str(tmp_path / "s.png")],
        ["convert", BB4, "--to", "xml"],                          # unknown formats
        ["run", BB4, "--format", "xml"],
        ["run", "zoo:bb4", "--format", "json"],
        ["draw", BB4, "--out", str(tmp_path / "d.jpg")],          # unknown image format
        ["convert", str(wide), "--to", "standard"],               # the format cannot express the machine
    ]
    for argv in cases:
        assert_bad_input(capsys, *argv)
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "bad.yaml", "binary.json", "wide.json"]


def test_error_message_names_the_problem(capsys):
    assert "'2'" in assert_bad_input(capsys, "run", BB4, "--input", "2")
    assert "no-such-machine" in assert_bad_input(capsys, "run", "zoo:no-such-machine")
    assert "max_steps" in assert_bad_input(capsys, "run", BB4, "--max-steps", "-1")
    assert "row D" in assert_bad_input(capsys, "run", BB4[:-1])  # a mistyped standard string, not a file
    assert "zoo:bb4" in assert_bad_input(capsys, "run", "BB4")


# --------------------------------------------------------------------------------------- subprocesses
def _env() -> dict:
    return {**os.environ, "MPLBACKEND": "Agg"}


def test_python_dash_m_run_json():
    proc = subprocess.run([sys.executable, "-m", "tmsim", "run", BB4, "--json"], capture_output=True, text=True,
                          env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"machine": BB4, **run(parse_standard(BB4)).to_dict()}


def test_console_script_bad_input():
    exe = shutil.which("tmsim", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("the tmsim console script is not installed next to this Python (pip install -e .)")
    proc = subprocess.run([exe, "run", "zoo:bb3", "--json"], capture_output=True, text=True, env=_env(),
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["steps"] == zoo.get("bb3").expected()[0]
    proc = subprocess.run([exe, "run", BB4, "--input", "9"], capture_output=True, text=True, env=_env(),
                          timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("tmsim: error: ") and len(proc.stderr.splitlines()) == 1
    assert "Traceback" not in proc.stderr
