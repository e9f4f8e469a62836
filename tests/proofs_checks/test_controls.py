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


#: Where each check of the default report runs its quick preset and asserts that it passes. With the control
#: test above, that is what `proofs-checks report --quick` needs (every check passes, every control fails);
#: the report itself is not rerun over every check here (CI's 10 minutes), only its logic
#: (test_a_control_that_passes_fails_the_report).
QUICK_PASS_TESTS = {
    "emulation-construction": "test_proofs_checks.py::test_emulation_construction_quick_and_corrupted_weight",
    "emulation-learned":
        "test_proofs_checks.py::test_emulation_learned_quick_and_a_learner_that_cannot_see_the_row_above",
    "parity-log-length": "test_proofs_checks.py::test_parity_log_length_quick_and_shuffled_cot",
    "parity-k-sparse": "test_proofs_checks.py::test_parity_k_sparse_quick_and_shuffled_cot",
    "length-vs-samples": "test_proofs_checks.py::test_length_vs_samples_quick_and_shuffled_cot",
    "rollout-vs-teacher-forced": "test_proofs_checks.py::test_rollout_vs_teacher_forced_quick_and_a_sampling_decoder",
    "multiplication": "test_multiplication_quick.py::test_local_cot_linear_learner_is_exact",
}


def test_every_check_in_the_report_has_a_test_that_its_quick_preset_passes():
    from pathlib import Path

    assert sorted(QUICK_PASS_TESTS) == sorted(n for n in list_checks() if get_check(n).in_report)
    here = Path(__file__).parent
    for name, node in QUICK_PASS_TESTS.items():
        path, func = node.split("::")
        src = (here / path).read_text()
        body = src[src.index(f"def {func}("):]
        body = body[:body.find("\ndef ", 1) if "\ndef " in body[1:] else len(body)]
        # the quick preset, asserted to pass (the multiplication test reads the experiment's quick run)
        assert ('run("quick")' in body and "_assert_result(r, True)" in body) or (
            name == "multiplication" and "run_multiplication(quick=True" in src and '["passed"]' in body), node
