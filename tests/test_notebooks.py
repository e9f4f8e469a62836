"""Every notebook (jupytext percent files in notebooks/) runs end to end at its quick size."""

import runpy
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("QUICK", "1")
    monkeypatch.setenv("NOTEBOOK_OUT", str(tmp_path))
    runpy.run_path(str(path), run_name="__main__")
    figures = list(tmp_path.glob("*.png"))
    assert figures, "a notebook should leave its figures behind"
    assert all(f.stat().st_size > 1000 for f in figures)


def test_there_are_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_tmsim_quickstart.py", "02_parity_length_complexity.py", "03_length_vs_samples.py",
            "04_multiplication.py"} <= names
