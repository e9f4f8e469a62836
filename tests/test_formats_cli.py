"""The tmsim CLI with the files people have: blanks inside --input, machine strings that start with '-',
the one-line summaries of draw and spacetime, --version, and the two meanings of --format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tmsim import Configuration, load, run
from tmsim.cli import main

DATA = Path(__file__).parent / "data"
BINARY_ADD = str(DATA / "morphett_binary_add.mtm")


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(capsys, *argv: str) -> str:
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == "", (argv, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmsim: error: ") and "Traceback" not in err, err
    return lines[0]


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
    line = one_error_line(capsys, "run", BINARY_ADD, "--input", "110 1x1")
    assert "--input '110 1x1'" in line and "'x' at position 5" in line and "blank '_'" in line


def test_run_help_says_how_to_write_a_blank(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "blank symbol itself" in out and "--input '110 101'" in out
