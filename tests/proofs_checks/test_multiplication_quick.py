"""proofs_checks.experiments.multiplication in quick mode: the local-CoT linear learner is exact on held-out and longer
operands, the MLP with the paper's CoT beats the same MLP without one (same budget), every verdict is a measured
value against a fixed threshold, and the table, JSON and plots are written."""

from __future__ import annotations

import json

import pytest

from proofs_checks.experiments.digit_probe import digit_probe
from proofs_checks.experiments.multiplication import main, run_multiplication


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("multiplication")
    return run_multiplication(quick=True, out_dir=out, verbose=0), out


def test_local_cot_linear_learner_is_exact(quick):
    result, _ = quick
    assert result.checks["local_cot_linear_exact"]["passed"], result.table()
    assert result.checks["local_cot_linear_longer"]["passed"], result.table()
    add = [r for r in result.rows if r.format == "add-local"]
    assert add and all(r.exact_match == 1.0 for r in add)


def test_mlp_with_the_papers_cot_beats_the_same_mlp_without_cot(quick):
    result, _ = quick
    c = result.checks["paper_cot_mlp_beats_nocot"]
    assert c["passed"], result.table()
    paper = [r for r in result.rows if r.format == "mul-paper" and r.model == "mlp"]
    nocot = [r for r in result.rows if r.format == "mul-nocot" and r.model == "mlp"]
    assert len(paper) == len(nocot) == 1
    p, q = paper[0], nocot[0]
    # the same model and budget: architecture (parameter count), operand length, optimizer steps
    assert p.parameters == q.parameters and p.digits == q.digits == 2 and p.train_steps == q.train_steps > 0
    assert c["measured"] == pytest.approx(p.exact_match - q.exact_match, abs=1e-6)


def test_every_threshold_is_a_fixed_number_and_every_measurement_is_in_measured(quick):
    result, _ = quick
    for name, c in result.checks.items():
        assert isinstance(c["threshold"], float) and isinstance(c["measured"], float), name
        assert c["passed"] == (c["measured"] >= c["threshold"]), name
    assert result.checks["local_cot_linear_exact"]["threshold"] == 0.999
    assert result.checks["paper_cot_mlp_beats_nocot"]["threshold"] == result.config.paper_margin == 0.05


def test_table_rows_and_files(quick):
    result, out = quick
    assert {(r.format, r.model) for r in result.rows} >= {
        ("mul-paper", "mlp"), ("mul-paper", "perceptron"), ("mul-nocot", "mlp"), ("mul-nocot", "perceptron"),
        ("mul-local", "mlp"), ("mul-local", "perceptron"), ("add-local", "perceptron")}
    cfg = result.config
    for r in result.rows:
        assert len(r.per_digit) == (r.digits + 1 if r.format == "add-local" else 2 * r.digits)
        assert r.parameters > 0 and r.train_time > 0
        plan_n_test = {p.task: p.n_test for p in cfg.plans if p.n_test and p.params["digits"] == r.train_digits}
        assert r.n_test == (plan_n_test.get(r.format, cfg.n_test) if r.digits == r.train_digits
                            else cfg.n_test_long)
        # A whole right rollout has a right answer, and a right answer has every digit right.
        assert r.cot_exact <= r.exact_match <= min(r.per_digit), r
        if r.format.endswith("-local") and r.model == "perceptron":
            # The experiment's claim at every length it tests: the local CoT is learnt exactly by a linear
            # learner (held-out pairs and operands one digit longer than any it trained on).
            assert r.exact_match == r.cot_exact == r.token_accuracy == 1.0, r
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["multiplication.json", "multiplication.txt"] + [
        f"{stem}.{ext}" for stem in ("accuracy_vs_examples", "per_digit_accuracy", "length_generalisation")
        for ext in ("png", "svg")])
    data = json.loads((out / "multiplication.json").read_text())
    assert len(data["rows"]) == len(result.rows) and data["checks"] == result.checks
    assert "mul-local" in (out / "multiplication.txt").read_text()
    assert all(pts for key, pts in result.curves.items())


def test_cli_runs_one_format(tmp_path, capsys):
    assert main(["--quick", "--formats", "add-local", "--out", str(tmp_path), "--quiet"]) == 0
    assert "add-local" in capsys.readouterr().out


def test_digit_probe_learns_the_last_digit_and_sees_the_partial_products():
    # The positive control of the probe: the least significant answer digit depends on one partial product
    # and is learnt in seconds; the window must reach back to the first partial product.
    r = digit_probe(7, max_time=6, n_train=20_000, n_test=300, hidden_layer_sizes=(64,), evals=3, verbose=0)
    assert r.accuracy[-1] >= 0.9
    assert r.samples == sorted(r.samples) and r.samples[-1] > 0
    assert r.window > 96  # 16 partial products of 2-8 tokens, 15 "+", "=" and 7 answer digits


@pytest.mark.parametrize("digit", [-1, 8])
def test_digit_probe_rejects_a_digit_out_of_range(digit):
    with pytest.raises(ValueError, match="'digit' must be 0..7"):
        digit_probe(digit, max_time=1)


@pytest.mark.parametrize("argv, name", [(["--probe-digit", "9"], "--probe-digit"),
                                        (["--probe-digit", "1", "--probe-time", "-5"], "--probe-time"),
                                        (["--mlp-time", "0"], "--mlp-time")])
def test_cli_rejects_bad_probe_and_time_arguments_in_one_line(argv, name, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err


def test_digit_probe_cli_prints_the_curve_as_json(capsys):
    from proofs_checks.experiments.digit_probe import main as probe_main

    assert probe_main(["--digit", "7", "--time", "2", "--n-train", "2000", "--n-test", "200", "--evals", "2",
                       "--json", "--quiet"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["digit"] == 7 and data["window"] > 96 and len(data["accuracy"]) == len(data["samples"]) >= 1


@pytest.mark.parametrize("argv, name", [(["--digit", "8"], "--digit"), (["--time", "0"], "--time"),
                                        (["--n-train", "-3"], "--n-train")])
def test_digit_probe_cli_rejects_bad_arguments_in_one_line(argv, name, capsys):
    from proofs_checks.experiments.digit_probe import main as probe_main

    with pytest.raises(SystemExit) as exc:
        probe_main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and name in err and "Traceback" not in err
