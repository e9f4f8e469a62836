"""proofs_checks.experiments.mul_curves: learning curves by operand length; an interrupted run resumed from its
checkpoints gives the same curves as an uninterrupted one; a foreign or crafted checkpoint is refused in one line."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from proofs_checks.errors import CheckError
from proofs_checks.experiments.mul_curves import (QUICK, Curve, CurvesConfig, extrapolate, main, run_curves,
                                                  samples_to)

#: Seconds: one operand length, two models (block-causal on the paper's CoT, window on the local CoT).
TINY = replace(QUICK, lengths=(2,), sequences=(800,), local_sequences=(200,), formats=("mul-paper", "mul-local"),
               n_test=30)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return run_curves(TINY, checkpoint_dir=tmp_path_factory.mktemp("ck"), verbose=0)


def test_an_interrupted_run_resumes_to_the_same_curves(uninterrupted, tmp_path):
    ck = tmp_path / "ck"
    first = run_curves(TINY, checkpoint_dir=ck, max_time=1e-6, verbose=0)  # one chunk per curve, then stop
    assert not first.complete and all(len(c.sequences) == 1 for c in first.curves)
    assert sorted(p.name for p in ck.iterdir()) == ["mul-local-2digits.npz", "mul-paper-2digits.npz"]
    with pytest.raises(CheckError, match="pass --resume"):  # never overwritten without being asked
        run_curves(TINY, checkpoint_dir=ck, verbose=0)
    done = run_curves(TINY, checkpoint_dir=ck, resume=True, verbose=0)
    assert done.complete and uninterrupted.complete
    for a, b in zip(done.curves, uninterrupted.curves):
        assert (a.format, a.sequences, a.exact, a.per_digit, a.steps) == (b.format, b.sequences, b.exact,
                                                                          b.per_digit, b.steps)
        assert a.sequences == tuple(TINY.schedule(a.format, 2)) and a.parameters > 0
    # a complete checkpoint resumes to the same result without training
    again = run_curves(TINY, checkpoint_dir=ck, resume=True, verbose=0)
    assert [c.exact for c in again.curves] == [c.exact for c in done.curves]


def test_a_checkpoint_of_another_configuration_or_a_crafted_one_is_refused(uninterrupted, tmp_path):
    ck = tmp_path / "ck"
    run_curves(replace(TINY, formats=("mul-paper",)), checkpoint_dir=ck, max_time=1e-6, verbose=0)
    with pytest.raises(CheckError, match="different configuration: model, seed differ"):
        run_curves(replace(TINY, formats=("mul-paper",), seed=1), checkpoint_dir=ck, resume=True, verbose=0)
    path = ck / "mul-paper-2digits.npz"
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["adam_v"] = -np.abs(arrays["adam_v"]) - 1  # crafted: negative second moments
    np.savez(path, **arrays)
    with pytest.raises(CheckError, match="adam_v must be >= 0"):
        run_curves(replace(TINY, formats=("mul-paper",)), checkpoint_dir=ck, resume=True, verbose=0)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckError, match="not a saved learner"):
        run_curves(replace(TINY, formats=("mul-paper",)), checkpoint_dir=ck, resume=True, verbose=0)


def test_samples_to_and_the_extrapolation_are_stated_from_the_measured_points():
    c = Curve("mul-local", 2, 10, 400, (100, 200, 400), (0.05, 0.6, 0.95), (0.5, 0.9, 1.0), (1, 2, 3), (1.0, 2.0, 3.0))
    assert samples_to(c, 0.5) == 200 and samples_to(c, 0.9) == 400 and samples_to(c, 0.99) is None
    assert samples_to(c, 0.9, "per_digit") == 200
    e = extrapolate({2: 100, 3: 1000, 4: None}, {2: 1e3, 3: 1e4, 4: 5e3}, 4)
    assert e["factor_per_digit"] == pytest.approx(10) and e["predicted"] == pytest.approx(1e4)
    assert e["lower_bounds"] == {4: 5e3}
    assert "predicted" not in extrapolate({2: 100, 3: None}, {2: 1, 3: 2}, 4)


@pytest.mark.parametrize("kwargs, match", [(dict(lengths=(1,), sequences=(1,), local_sequences=(1,)), "2..8"),
                                           (dict(sequences=(1, 2)), "one budget >= 1 per operand length"),
                                           (dict(formats=("mul-xyz",)), "'formats'"), (dict(points=0), "'points'")])
def test_bad_configurations_are_refused_in_one_line(kwargs, match):
    with pytest.raises(CheckError, match=match):
        CurvesConfig(**kwargs)


@pytest.mark.parametrize("argv, name", [(["--max-time", "0"], "--max-time"), (["--resume"], "--checkpoint-dir"),
                                        (["--scale", "-1"], "--scale")])
def test_cli_rejects_bad_arguments_in_one_line(argv, name, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and name in err and "Traceback" not in err


def test_cli_writes_the_curves_and_figures(uninterrupted, tmp_path, capsys, monkeypatch):
    import proofs_checks.experiments.mul_curves as mc

    monkeypatch.setattr(mc, "QUICK", TINY)
    assert main(["--quick", "--quiet", "--json", "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] and [c["exact"] for c in data["curves"]] == [list(c.exact) for c in uninterrupted.curves]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["mul_curves.json", "mul_curves.txt"] + [f"{s}.{e}" for s in ("learning_curves",
                                                                                       "samples_to_x")
                                                                    for e in ("png", "svg")])
