"""proofs_checks architectures: the quick check's JSON rows through a tiny config, its negative control (no
CoT) fails, a seed fixes every number but the wall times, and the CoT conditions (direct, mix, loss mask)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("torch")

from proofs_checks import get_check  # noqa: E402
from proofs_checks.errors import CheckError  # noqa: E402
from proofs_checks.experiments import architectures as A  # noqa: E402

#: One cheap dataset (parity's count CoT on 6 bits), the three models, a small budget; ablations on it.
TINY = dataclasses.replace(A.QUICK, datasets=("task:parity",), ablation_datasets=("task:parity",), fractions=(0.5,),
                           parity_bits=6, n_train=40, n_valid=12, epochs=40, steps=100, eval_every=25,
                           d_model=16, n_layers=1, mlp_hidden=(32,))


@pytest.fixture(scope="session")
def tiny():
    check = get_check("architectures")
    return check.run(TINY), check.run(TINY, control=True), check.run(TINY)


def test_rows_have_exactly_the_keys_and_cover_every_model(tiny):
    result, _, _ = tiny
    d = json.loads(json.dumps(result.to_dict()))
    rows = d["raw"]["rows"]
    assert [r["model"] for r in rows] == ["linear", "mlp", "transformer"]
    for r in rows:
        assert tuple(r) == A.ROW_KEYS and r["dataset"] == "task:parity"
        assert set(r["exact_by_length"]) == {"6"} and r["parameters"] > 0 and r["train_seconds"] >= 0
        assert 0 < r["samples_to_exact"] <= TINY.epochs * TINY.n_train  # the claim holds here, within the budget
    assert result.passed and d["passed"] is True
    conditions = {(r["model"], r["condition"]) for r in d["raw"]["runs"]}
    assert conditions == {(m, c) for m in A.MODELS for c in ("f=1", "f=0", "f=0.5", "loss-mask")}
    assert not get_check("architectures").in_report


def test_the_no_cot_control_fails(tiny):
    _, control, _ = tiny
    assert control.control and control.passed is False
    assert control.config["cot_fraction"] == 0.0
    assert {r["condition"] for r in control.raw["runs"]} >= {"f=0"}
    assert control.measured["with_cot_exact"].startswith("0/")


def test_a_seed_fixes_every_number_but_the_wall_times(tiny):
    a, _, b = tiny

    def strip(runs):
        return [{k: v for k, v in r.items() if k != "train_seconds"} for r in runs]

    assert strip(a.raw["runs"]) == strip(b.raw["runs"])
    assert a.passed == b.passed and a.verdict == b.verdict


def test_cot_conditions_keep_prompt_and_answer():
    data = A.build_data("task:parity", TINY)
    s = data.train
    d = A.direct(s)
    assert len(d) == len(s) and not np.any(d.kinds == 1)
    assert np.array_equal(d.tokens[d.kinds == 2], s.tokens[s.kinds == 2])
    m = A.mix(s, 0.5, 0)
    n_cot = sum(bool(np.any(m.kinds[m.offsets[i]:m.offsets[i + 1]] == 1)) for i in range(len(m)))
    assert n_cot == len(s) // 2
    lm = A.loss_masked(s)
    assert np.array_equal(lm.tokens, s.tokens) and not np.any(lm.kinds == 1)


@pytest.mark.parametrize("change, match", [
    ({"steps": 7}, "multiple of steps"),
    ({"max_length": 3}, "max_length"),
    ({"models": ("rnn",)}, "unknown model"),
    ({"datasets": ("zoo:parity/gates",)}, "unknown dataset"),
    ({"cot_fraction": 2.0}, "cot_fraction"),
])
def test_bad_configs_are_one_line_errors(change, match):
    with pytest.raises(CheckError, match=match) as e:
        A.run_architectures(dataclasses.replace(TINY, **change))
    assert "\n" not in str(e.value)
