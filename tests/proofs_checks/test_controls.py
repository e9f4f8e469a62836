"""Every check has a negative control that breaks one ingredient and makes its verdict fail (a check whose
control passes could not fail, so it is not a check); the report shows both side by side."""

from __future__ import annotations

import dataclasses
import json

import pytest

from proofs_checks import get_check, list_checks, registry
from proofs_checks.cli import main
from proofs_checks.errors import CheckError
from proofs_checks.registry import register
from proofs_checks.report import run_report

#: The controls that take more than a few seconds at quick size (they still run in CI).
SLOW = {"text", "multiplication", "length-vs-samples", "emulation-learned"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in list_checks()])
def test_every_registered_check_has_a_control_that_fails_at_quick_size(name):
    check = get_check(name)
    assert check.control and check.control_breaks
    r = check.run("quick", control=True)
    assert r.control is True and r.control_breaks == check.control_breaks
    assert r.passed is False, f"{name}: the control ({check.control_breaks}) passed: {r.verdict}"
    # the control is the preset with exactly the control's fields changed
    quick = dataclasses.asdict(check.config("quick"))
    changed = {k for k, v in r.config.items() if json.dumps(v) != json.dumps(registry.jsonable(quick[k]))}
    assert changed == set(check.control)


def test_a_check_without_a_control_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Cfg:
        x: int = 0

    with pytest.raises(CheckError, match="'control' must be a non-empty dict of config fields"):
        register("no-control", claim="c", theorem="t", quick=Cfg(), full=Cfg(), control={},
                 control_breaks="nothing")(lambda cfg, runner: None)
    with pytest.raises(CheckError, match="'control' must be a non-empty dict of config fields"):
        register("bad-control", claim="c", theorem="t", quick=Cfg(), full=Cfg(), control={"y": 1},
                 control_breaks="a field that does not exist")(lambda cfg, runner: None)
    assert "no-control" not in registry.CHECKS and "bad-control" not in registry.CHECKS


def test_report_shows_each_control_beside_its_check(tmp_path):
    out = tmp_path / "report"
    results, files = run_report(out, preset="quick", names=["parity-k-sparse"])
    assert files["passed"] is True and not files["controls"]["parity-k-sparse"].passed
    data = json.loads((out / "results.json").read_text())
    nc = data["checks"][0]["negative_control"]
    assert data["passed"] is True and data["controls_failed"] == "1/1"
    assert nc["passed"] is False and nc["breaks"] == get_check("parity-k-sparse").control_breaks
    md = (out / "report.md").read_text()
    assert "| control (breaks) |" in md and "FAIL, as it must" in md and "**Negative control**" in md


def test_a_control_that_passes_fails_the_report(tmp_path, monkeypatch, capsys):
    c = get_check("parity-k-sparse")
    # a "control" that breaks nothing (another seed): the check could not fail, the report must say so
    monkeypatch.setitem(registry.CHECKS, c.name, dataclasses.replace(c, control={"seeds": (1,)},
                                                                      control_breaks="nothing"))
    rc = main(["report", "--out", str(tmp_path), "--quick", "--quiet", "--jobs", "1", "--checks", c.name])
    assert rc == 1
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["passed"] is False and data["checks"][0]["passed"] is True
    assert data["checks"][0]["negative_control"]["passed"] is True
    assert "the check cannot fail" in (tmp_path / "report.md").read_text()
    assert "0/1 negative controls failed" in capsys.readouterr().out


def test_cli_run_control_exits_one_and_says_what_it_breaks(tmp_path, capsys):
    assert main(["run", "parity-k-sparse", "--quick", "--quiet", "--jobs", "1", "--control",
                 "--out", str(tmp_path)]) == 1
    line = capsys.readouterr().out
    assert line.startswith("FAIL  parity-k-sparse [control: ") and "shuffled" in line
    d = json.loads((tmp_path / "parity-k-sparse-control.json").read_text())
    assert d["control"] is True and d["passed"] is False and d["config"]["shuffle_cot"] is True
    assert main(["report", "--out", str(tmp_path / "r"), "--quick", "--quiet", "--jobs", "1",
                 "--checks", "parity-k-sparse", "--no-controls"]) == 0
    assert "negative_control" not in json.loads((tmp_path / "r" / "results.json").read_text())["checks"][0]
