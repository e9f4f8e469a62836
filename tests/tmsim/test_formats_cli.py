"""The tmsim CLI with the files people have: blanks inside --input, machine strings that start with '-',
the one-line summaries of draw and spacetime, --version, and the two meanings of --format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tmsim import Configuration, load, run
from tmsim.cli import main
from tmsim.formats import loads, to_standard

from cli_helpers import assert_bad_input, cli  # tests/cli_helpers.py

DATA = Path(__file__).parents[1] / "data"
BINARY_ADD = str(DATA / "morphett_binary_add.mtm")


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


# --------------------------------------------------------------------------------------- blanks in --input
@pytest.mark.parametrize("x", ["110 101", "110_101"])
def test_run_input_with_a_blank_morphett_binary_addition(capsys, x):
    code, out, err = cli(capsys, "run", BINARY_ADD, "--input", x, "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert d["status"] == "halted" and int(d["tape"], 2) == 6 + 5
    m = load(BINARY_ADD)
    expected = run(m, start=Configuration(m.start, tuple("110_101"), 0, 0))
    assert d == {"machine": m.name, **expected.to_dict()}


def test_run_input_without_a_blank_is_unchanged(capsys):
    code, out, _ = cli(capsys, "run", "zoo:binary-increment", "--input", "1011", "--json")
    assert code == 0 and json.loads(out)["tape"] == "1100"


def test_run_input_blank_symbol_of_a_standard_machine(capsys):
    # The blank of a standard-format machine is 0: "101" is a tape with a blank cell inside.
    m = load("1RB1LB_1LA1RZ")
    code, out, _ = cli(capsys, "run", "1RB1LB_1LA1RZ", "--input", "101", "--json")
    assert code == 0
    assert json.loads(out)["steps"] == run(m, start=Configuration("A", ("1", "0", "1"), 0, 0)).steps


def test_run_input_with_a_blank_and_a_bad_symbol_is_one_line(capsys):
    line = assert_bad_input(capsys, "run", BINARY_ADD, "--input", "110 1x1")
    assert "--input '110 1x1'" in line and "'x' at position 5" in line and "blank '_'" in line


def test_run_help_says_how_to_write_a_blank(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "blank symbol itself" in out and "--input '110 101'" in out


# --------------------------------------------------------------------------------------- MACHINE starting with '-'
DASH = "---1RZ_1LA---"  # state A's transition on 0 is undefined ('---', as tmsim writes it)


def test_dash_machine_is_the_standard_format_tmsim_writes():
    m = load(DASH)
    assert ("A", "0") not in m.transitions and m.transitions[("A", "1")].next == "Z"
    assert to_standard(m) == DASH


@pytest.mark.parametrize("argv", [
    ["run", DASH, "--json"],
    ["run", "--json", DASH],
    ["run", "--input", "1", DASH, "--json"],
    ["show", DASH],
    ["convert", DASH, "--to", "json"],
    ["trace", DASH, "--encoding", "transitions", "--json"],
    ["run", "---", "--json"],
    ["run", "---1RZ_1LA1RZ", "--json"],
])
def test_dash_machine_is_a_positional_machine(capsys, argv):
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    if argv[0] in ("run", "trace"):
        d = json.loads(out)
        assert d["machine"] == next(a for a in argv if a.startswith("---"))
    if argv[0] == "run" and "---1RZ_1LA---" in argv:
        x = "1" if "--input" in argv else None
        assert json.loads(out)["status"] == run(load(DASH), x).status.value == ("halted" if x else "undefined")
    if argv[0] == "convert":
        assert load(DASH) == loads(out, "json")


@pytest.mark.parametrize("command", ["draw", "spacetime", "dataset"])
def test_dash_machine_in_the_writing_commands(capsys, tmp_path, command):
    out_file = tmp_path / ("d.svg" if command != "dataset" else "d.npz")
    extra = ["--encoding", "transitions", "--n", "2", "--seed", "0"] if command == "dataset" else []
    code, _, err = cli(capsys, command, DASH, "--out", str(out_file), *extra)
    assert code == 0, err
    assert out_file.stat().st_size > 0


def test_dash_machine_through_sys_argv(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["tmsim", "run", DASH, "--input", "1", "--json"])
    assert main() == 0
    assert json.loads(capsys.readouterr().out)["status"] == "halted"


def test_dash_machine_as_an_option_value_is_kept(capsys):
    # '---' is also a machine's shape: as the value of --input it is restored, then rejected as an input.
    line = assert_bad_input(capsys, "run", "1RB1LB_1LA1RZ", "--input", "---")
    assert "'-'" in line


def test_a_real_unknown_option_is_still_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "1RB1LB_1LA1RZ", "--bogus"])
    assert e.value.code == 2
    assert "--bogus" in capsys.readouterr().err


# --------------------------------------------------------------------------------------- one-line summaries
def test_draw_prints_what_it_wrote_where(capsys, tmp_path):
    path = tmp_path / "d.svg"
    code, out, err = cli(capsys, "draw", "zoo:bb4", "--out", str(path))
    assert code == 0 and out == ""  # the wrote line is on stderr: stdout carries results only
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"wrote {path} (svg, ") and "state diagram of 'bb4', 5 states, 8 rules" in lines[0]


def test_spacetime_prints_what_it_wrote_where_and_how_the_run_ended(capsys, tmp_path):
    path = tmp_path / "s.png"
    code, out, err = cli(capsys, "spacetime", "zoo:bb4", "--out", str(path))
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wrote {path} (png, ")
    assert lines[0].endswith("space-time diagram of bb4 on blank input: halted after 107 steps")
    kb = float(lines[0].split("(png, ")[1].split(" kB")[0])
    assert abs(kb * 1000 - path.stat().st_size) < 100


def test_summary_of_a_device_goes_to_stderr(capsys, tmp_path):
    # A link named .png to a character device: the image is written through, and the summary stays off
    # stdout (which may be carrying the image itself).
    link = tmp_path / "null.png"
    link.symlink_to("/dev/null")
    code, out, err = cli(capsys, "draw", "zoo:bb2", "--out", str(link))
    assert code == 0 and out == ""
    assert err.startswith(f"wrote {link} (png): state diagram of 'bb2'") and len(err.splitlines()) == 1


# --------------------------------------------------------------------------------------- --version
def test_version_of_every_command_line(capsys):
    import learners.cli
    import proofs_checks.cli
    import tmsim

    for prog, entry in [("tmsim", main), ("learners", learners.cli.main), ("proofs-checks", proofs_checks.cli.main)]:
        with pytest.raises(SystemExit) as e:
            entry(["--version"])
        assert e.value.code == 0
        assert capsys.readouterr().out.strip() == f"{prog} {tmsim.__version__}"


# --------------------------------------------------------------------------------------- --format
def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", ["run", "show", "convert", "draw", "spacetime", "trace"])
def test_format_is_the_machine_format_and_help_says_so(capsys, command):
    text = _help(capsys, command)
    assert "--format FMT format of the MACHINE file" in text and "tmsim dataset" in text


def test_dataset_format_is_the_output_format_and_help_says_so(capsys, tmp_path):
    text = _help(capsys, "dataset")
    assert "--format FMT the OUTPUT format" in text and "--machine-format" in text
    # Both spellings do what the help says.
    spec = tmp_path / "inc.json"
    cli(capsys, "convert", "zoo:binary-increment", "--to", "json", "--out", str(spec))
    out_file = tmp_path / "d.data"
    code, _, err = cli(capsys, "dataset", str(spec), "--machine-format", "json", "--format", "jsonl", "--encoding",
                       "transitions", "--n", "2", "--seed", "0", "--out", str(out_file))
    assert code == 0, err
    assert out_file.read_text().startswith("{")  # JSONL rows
