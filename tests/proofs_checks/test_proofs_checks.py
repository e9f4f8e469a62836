"""proofs_checks: every check passes at quick size and fails on a deliberately broken input; the registry,
bounds, parity tasks, sweeps (joblib, cache, Dask), the report and the CLI."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from learners import PerceptronAR, as_sequences
from proofs_checks import CheckError, SweepRunner, get_check, list_checks, run_report
from proofs_checks import registry
from proofs_checks.bounds import (PAC_TO_AR, PARITY_CHAIN_LENGTH, PARITY_COUNT_LENGTH, evaluate_bound,
                                  fit_growth)
from proofs_checks.cli import main
from proofs_checks.sweep import _demo_job, cache_key, grid
from tmsim import zoo
from tmsim.datasets import TaskError
from tmsim.datasets.tasks import ParityTask, chain_cot_length, count_cot_length

NAMES = ["emulation-construction", "emulation-learned", "parity-log-length", "parity-k-sparse",
         "length-vs-samples", "rollout-vs-teacher-forced", "multiplication", "text", "architectures"]


# ---------------------------------------------------------------------------------------------- registry
def test_every_check_is_registered_with_presets():
    assert list_checks() == NAMES
    for name in NAMES:
        c = get_check(name)
        assert c.claim.endswith(".") and c.theorem
        quick, full = c.config("quick"), c.config("full")
        assert type(quick) is type(full) and quick != full
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(quick, dataclasses.fields(quick)[0].name, None)


def test_bad_names_presets_and_fields_are_clear_errors():
    with pytest.raises(CheckError, match="Unknown check 'parity'.*parity-log-length"):
        get_check("parity")
    with pytest.raises(CheckError, match="no preset 'medium'.*quick, full"):
        get_check("parity-k-sparse").config("medium")
    with pytest.raises(CheckError, match=r"unknown config field\(s\) \['nss'\]"):
        get_check("parity-k-sparse").config("quick", nss=(8,))


def test_same_config_same_result_and_preset_names():
    check = get_check("parity-k-sparse")
    cfg = check.config("quick", ns=(8, 16, 24), seeds=(0,))
    a, b = check.run(cfg), check.run(cfg)

    def strip(x):  # wall-clock times are the only thing allowed to differ
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if "seconds" not in k}
        return [strip(v) for v in x] if isinstance(x, list) else x

    assert json.dumps(strip(a.to_dict()), sort_keys=True) == json.dumps(strip(b.to_dict()), sort_keys=True)
    assert a.preset == "custom" and check.run(check.config("quick")).preset == "quick"
    with pytest.raises(CheckError, match="config must be a preset name or a KSparseConfig"):
        check.run(get_check("parity-log-length").config("quick"))


# ---------------------------------------------------------------------------------------------- the checks
#: The checks whose figures keep the report's rules (proofs_checks.plots.figure_problems).
LINTED = {"emulation-construction", "parity-log-length", "parity-k-sparse", "length-vs-samples",
          "rollout-vs-teacher-forced"}


def _assert_result(r, passed: bool):
    assert r.passed is passed, r.verdict
    d = r.to_dict()
    json.dumps(d)
    assert {"name", "claim", "passed", "measured", "threshold"} <= set(d)
    assert isinstance(d["measured"], dict) and d["measured"]
    assert r.figures and all(f.axes for f in r.figures.values())
    if r.name in LINTED:
        from proofs_checks.plots import figure_problems

        problems = {name: figure_problems(f) for name, f in r.figures.items()}
        assert not any(problems.values()), problems


def test_emulation_construction_quick_and_corrupted_weight():
    check = get_check("emulation-construction")
    r = check.run("quick")
    _assert_result(r, True)
    assert r.measured["traces_exact"] == r.measured["traces_checked"] > 0
    assert r.measured["mismatched_tokens"] == 0 and r.measured["min_margin"] >= 1
    rows = r.raw["rows"]
    assert {row["encoding"] for row in rows} == {"tableau-triples", "gates"}
    assert all(row["lengths"] == row["formula"] for row in rows)
    assert min(r.measured["longest_run_steps"].values()) >= 100  # runs long enough to matter
    assert r.measured["learned_full_cot_exact"] == {"zoo:parity": 1.0, "zoo:binary-increment": 1.0}
    assert set(r.measured["learned_exact_by_thinning"]) == {f"{m} / every {k}" for m in ("zoo:parity",
                                                            "zoo:binary-increment") for k in (1, 2, 3)}
    # one token per step shorter (the cell of one column dropped): the band learner is exact on the full CoT
    # and not on binary-increment's shorter one, whose carry walks back over the dropped column
    short = {(x["machine"], x["shorter"]): x["exact_match"] for x in r.raw["shorter"]}
    assert short[("zoo:parity", False)] == short[("zoo:binary-increment", False)] == 1.0
    assert short[("zoo:binary-increment", True)] < 0.99
    assert set(r.measured["learned_exact_full_vs_one_token_per_step_shorter (information)"]) == {
        "zoo:parity", "zoo:binary-increment"}
    bad = check.run("quick", machines=("zoo:parity",), corrupt_weights=1)
    _assert_result(bad, False)
    assert bad.measured["traces_exact"] < bad.measured["traces_checked"]


def test_thin_rows_keeps_every_kth_configuration_row():
    from proofs_checks.checks.emulation import thin_rows
    from tmsim.encodings import get_encoding

    enc = get_encoding("tableau-triples", width=9)
    tr = enc.encode(zoo.get("binary-increment").machine, "1011")
    L = 2 * 9 + 2
    full = as_sequences([tr.tokens])
    full = type(full)(full.tokens, full.offsets, np.asarray(tr.kinds, dtype=np.uint8), full.vocab_size)
    T = len(tr) // L - 2
    for every in (1, 2, 3):
        thin = thin_rows(full, L, every)
        keep = sorted(set(range(0, T + 1, every)) | {T, T + 1})
        rows = tr.tokens[:(T + 2) * L].reshape(T + 2, L)
        assert np.array_equal(thin.tokens, np.concatenate([rows[keep].ravel(), tr.tokens[(T + 2) * L:]]))
        assert len(thin.tokens) == len(keep) * L + len(tr) - (T + 2) * L and thin.kinds[0] == 0


def test_drop_cell_removes_one_cell_per_row_and_keeps_the_input():
    from proofs_checks.checks.emulation import drop_cell
    from tmsim.encodings import get_encoding

    enc = get_encoding("tableau-triples", width=9)
    tr = enc.encode(zoo.get("binary-increment").machine, "1011")
    L, col = 2 * 9 + 2, 3
    full = as_sequences([tr.tokens])
    full = type(full)(full.tokens, full.offsets, np.asarray(tr.kinds, dtype=np.uint8), full.vocab_size)
    short = drop_cell(full, L, col)
    n_rows = len(tr) // L
    assert len(short.tokens) == len(tr) - n_rows
    rows = tr.tokens[:n_rows * L].reshape(n_rows, L)
    got = short.tokens[:n_rows * (L - 1)].reshape(n_rows, L - 1)
    # the prompt loses its (constant COPY) intermediate of that column, every later row the column's cell
    assert np.array_equal(got[0], np.delete(rows[0], 2 + 2 * col))
    assert np.array_equal(got[1:], np.delete(rows[1:], 3 + 2 * col, axis=1))
    assert np.array_equal(short.tokens[n_rows * (L - 1):], tr.tokens[n_rows * L:])
    assert len(set(rows[0, 2::2].tolist())) == 1  # the prompt's intermediates carry nothing


def test_emulation_learned_quick_and_a_learner_that_cannot_see_the_row_above():
    check = get_check("emulation-learned")
    r = check.run("quick")
    _assert_result(r, True)
    assert all(isinstance(t, int) and t <= 100 for t in r.measured["traces_needed"].values())
    bad = check.run("quick", machines=("zoo:parity",), window=4)
    _assert_result(bad, False)
    assert bad.measured["traces_needed"] == {"zoo:parity": None}


def test_parity_log_length_quick_and_shuffled_cot():
    check = get_check("parity-log-length")
    r = check.run("quick")
    _assert_result(r, True)
    need = r.measured["samples_to_threshold"]
    bound = r.bound["pac_to_ar_values"]
    assert all(isinstance(need[n], int) and need[n] <= bound[n] for n in need)
    assert r.measured["max_exact_nocot"] < 0.6 and r.measured["max_exact_dropped_bit"] < 0.99
    assert r.measured["train_test_overlap"] == 0
    assert r.measured["cot_length (information)"] == {str(n): n.bit_length() for n in (8, 16, 32)}
    for row in r.raw["rows"]:  # the count CoT reached the threshold at the size it reports
        assert row["curve"][-1]["n_train"] == row["samples_needed"] and row["curve"][-1]["exact_match"] >= 0.99
    bad = check.run("quick", ns=(8, 16, 32), shuffle_cot=True)
    _assert_result(bad, False)
    assert all(isinstance(v, str) for v in bad.measured["samples_to_threshold"].values())


def test_disjoint_inputs_never_share_an_input():
    from proofs_checks.checks.parity import disjoint_inputs

    for n, m in ((8, 300), (12, 500), (24, 400)):
        train, test = disjoint_inputs(n, m, 64, np.random.default_rng(n))
        seen = {bytes(r) for r in train}
        assert len(seen) == len(train) and not seen & {bytes(r) for r in test} and len(test) == 64
        assert len(train) == min(m, 2 ** n - 64)


def test_parity_k_sparse_quick_and_shuffled_cot():
    check = get_check("parity-k-sparse")
    r = check.run("quick")
    _assert_result(r, True)
    assert r.measured["cot_length_growth_fit_k2 (information)"] == "n"
    assert r.measured["cot_length_growth_fit_k3 (information)"] == "n"
    assert 1.5 < r.measured["work_exponent_k2"] < 2.5 and 2.5 < r.measured["work_exponent_k3"] < 3.5
    assert r.measured["rollout_accuracy_min"] == 1.0
    for key, examined in r.measured["mean_subsets_examined"].items():  # the search stops early, on average
        assert examined < r.measured["subsets_in_the_space (information)"][key]
    bad = check.run("quick", ns=(8, 16, 32), shuffle_cot=True)
    _assert_result(bad, False)
    assert bad.measured["steps_unidentified"] > 0


def test_first_consistent_subset_finds_the_parity_and_counts_its_work():
    from proofs_checks.checks.parity import first_consistent_subset

    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(64, 12), dtype=np.uint8)
    g = first_consistent_subset(x, x[:, 3] ^ x[:, 7], 2, np.random.default_rng(1))
    assert g["subset"] == (3, 7) and 1 <= g["examined"] <= 12 + 66 and g["sample_checks"] >= 64
    none = first_consistent_subset(x, x[:, 0] ^ x[:, 1] ^ x[:, 2], 2, np.random.default_rng(1))
    assert none["subset"] is None and none["examined"] == 12 + 66


def test_length_vs_samples_quick_and_shuffled_cot():
    check = get_check("length-vs-samples")
    r = check.run("quick")
    _assert_result(r, True)
    need = r.measured["samples_needed_traces"]
    assert need["no CoT"] == "> 400" and r.measured["no_cot_plateau"]["gain_over_best"] < 0.05
    assert isinstance(need["tableau-triples"], float)
    lo, hi = r.measured["ci95_traces"]["tableau-triples"]
    assert lo <= need["tableau-triples"] <= hi
    assert r.measured["samples_needed_tokens"]["tableau-triples"] > need["tableau-triples"]  # tokens, not traces
    curve = r.raw["curve"]["tableau-triples"]
    assert curve["separator"]["contained"] and curve["separator"]["margin"] >= 1
    assert all(u <= curve["mistake_bound"] for u in curve["updates_at_needed"])
    assert "ceiling" not in r.bound["trace_length (information)"]["no CoT"]
    assert not any("S" in f for f in r.bound["trace_length (information)"].values())
    bad = check.run("quick", encodings=("tableau-triples",), n_train_grid=(25, 100), seeds=(0,), shuffle_cot=True)
    _assert_result(bad, False)


def test_rollout_vs_teacher_forced_quick_and_a_sampling_decoder():
    check = get_check("rollout-vs-teacher-forced")
    r = check.run("quick")
    _assert_result(r, True)
    assert r.measured["runs_with_0<tf_error<1"] > 0
    for row in r.raw["rows"]:
        assert row["rollout_error"] <= row["teacher_forced_sequence_error"]
        for s in row["sampled"]:  # fixed length: survival never rises; sampling compounds below greedy exactness
            if row["task"].startswith("parity:"):
                assert all(a >= b for a, b in zip(s["measured"], s["measured"][1:]))
            assert s["measured"][-1] <= 1 - row["rollout_error"] + 0.05
    assert r.measured["sampled_survival_points_outside_the_interval"].startswith("0/")
    bad = check.run("quick", tasks=("parity:16",), decoder_noise=0.05)
    _assert_result(bad, False)
    assert not bad.measured["sampled_survival_points_outside_the_interval"].startswith("0/")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), V=st.integers(2, 5), k=st.integers(1, 3))
def test_greedy_rollout_is_exact_iff_every_teacher_forced_step_is_right(seed, V, k):
    """The identity the check keeps: a greedy rollout reproduces a sequence exactly when the model is right at
    every teacher-forced step of it (random linear models, random sequences)."""
    from learners import Sequences
    from learners.linear.base import LinearAR

    rng = np.random.default_rng(seed)
    model = LinearAR.from_weights(rng.integers(-2, 3, size=(1, k * V, V)).astype(float),
                                  rng.normal(0, 0.1, size=(1, V)), offsets=range(1, k + 1))
    # Half the sequences follow the model (so that some are right), half are random.
    seqs = []
    for i in range(12):
        p = [int(t) for t in rng.integers(0, V, size=int(rng.integers(1, 4)))]
        n_new = int(rng.integers(1, 6))
        s = model.generate([p], max_new_tokens=n_new)[0].tolist() if i % 2 else p + rng.integers(
            0, V, size=n_new).tolist()
        seqs.append((p, s))
    tokens = np.concatenate([np.asarray(s, dtype=np.int32) for _, s in seqs])
    offsets = np.cumsum([0] + [len(s) for _, s in seqs]).astype(np.int64)
    kinds = np.concatenate([np.r_[np.zeros(len(p)), np.ones(len(s) - len(p))] for p, s in seqs]).astype(np.uint8)
    from learners import evaluate

    ev = evaluate(model, Sequences(tokens, offsets, kinds, V))
    assert np.array_equal(ev.first_error < 0, ev.teacher_forced_first_error < 0)
    assert math.isclose(ev.exact_match, 1 - ev.sequence_error)


def test_survival_p_values_are_valid_at_rare_events_and_flag_real_departures():
    from proofs_checks.checks.rollout import survival_p_values

    n = np.array([1000, 1000, 1000, 1000, 0])
    p = survival_p_values(np.array([0.5, 0.002, 0.3, 0.0, 0.0]), np.array([0.5, 1e-4, 0.5, 0.0, 0.3]), n)
    assert p[0] > 0.9 and p[3] == 1.0 and p[4] == 1.0  # as predicted; no trials: nothing to test
    # 2 survivors of 1000 where 0.1 were expected: z = 8.5 under a normal interval, but not rare for the count
    assert 1e-3 < p[1] < 0.02
    assert p[2] < 1e-30  # 300 survivors of 1000 where 500 were expected


def test_step_scores_argmax_is_the_models_prediction():
    from learners import as_sequences
    from proofs_checks.checks.rollout import _data, step_scores

    train, test, feats = _data("parity:16", 100, 0)
    model = PerceptronAR(random_state=0, max_iter=20, **feats).fit(train)
    s = as_sequences(test)
    plens, lens = s.prompt_lengths(), np.diff(s.offsets)
    ref = np.asarray(s.tokens).reshape(len(s), -1)
    rows = np.repeat(np.arange(len(s)), lens - plens)
    pos = np.concatenate([np.arange(plens[i], lens[i]) for i in range(len(s))])
    assert np.array_equal(model._to_vocabulary(step_scores(model, ref, rows, pos).argmax(axis=1)),
                          model.predict(test))


def test_multiplication_rows_say_which_are_information():
    from proofs_checks.checks.arithmetic import row_measurements

    def row(fmt, model, exact, tok=1.0):
        return dict(format=fmt, model=model, digits=3, train_digits=3, exact_match=exact, token_accuracy=tok,
                    train_examples=475)

    m = row_measurements([row("mul-local", "perceptron", 1.0), row("mul-local", "mlp", 0.02, 0.98765),
                          row("add-local", "perceptron", 1.0)])
    assert m["mul-local / perceptron / 3 digits"] == 1.0
    assert m["add-local / perceptron / 3 digits (information)"] == 1.0
    mlp = m["mul-local / mlp / 3 digits (information)"]
    assert mlp["exact_match"] == 0.02 and mlp["token_accuracy"] == 0.9877 and mlp["train_pairs"] == 475
    assert "by construction" in mlp["inputs"] and "exact match" in mlp["measured"]


def test_multiplication_adapter_maps_the_experiment_and_its_failures():
    from proofs_checks.experiments.multiplication import FormatPlan

    check = get_check("multiplication")

    def plans(n):
        return (FormatPlan("mul-local", dict(digits=3, width=9), n, sizes=(n,), models=("perceptron",),
                           lengths=(4,)),)

    r = check.run("quick", plans=plans(3000), n_test=100)
    _assert_result(r, True)
    assert r.measured["mul-local / perceptron / 3 digits"] == 1.0
    assert r.measured["sub_checks_passed"] == "2/2"
    bad = check.run("quick", plans=plans(30), n_test=50)  # a starved learner: the experiment's verdict is FAIL
    _assert_result(bad, False)
    assert bad.measured["sub_checks_passed"] == "0/2"


# ---------------------------------------------------------------------------------------------- bounds
def test_fit_growth_recovers_each_form_under_noise():
    rng = np.random.default_rng(0)
    x = np.array([8, 16, 32, 64, 128, 256], dtype=float)
    for form, y in (("log n", 3 + 2 * np.log(x)), ("n", 5 + 0.5 * x), ("n^2", 1 + 0.01 * x ** 2)):
        noisy = y * (1 + 0.01 * rng.standard_normal(len(x)))
        assert fit_growth(x, noisy).best == form
    with pytest.raises(CheckError, match="length >= 3"):
        fit_growth([1, 2], [1, 2])


@given(st.integers(2, 5000))
def test_parity_length_formulas_match_the_generators(n):
    assert int(evaluate_bound(PARITY_COUNT_LENGTH, n=n)) == count_cot_length(n) == n.bit_length()
    for k in (2, 3, 5):
        assert int(evaluate_bound(PARITY_CHAIN_LENGTH, n=2 * (n // 2), k=k)) == max(1, math.ceil(
            (n // 2 - 1) / (k - 1))) or n // 2 <= k
        if n // 2 > k:
            assert chain_cot_length(n // 2, k) == int(evaluate_bound(PARITY_CHAIN_LENGTH, n=2 * (n // 2), k=k))


def test_pac_to_ar_bound_grows_with_the_length_and_names_missing_symbols():
    vals = [evaluate_bound(PAC_TO_AR, d=100, eps=0.01, delta=0.05, T=t) for t in (1, 10, 100)]
    assert vals[0] < vals[1] < vals[2]
    with pytest.raises(CheckError, match="no value for the symbol"):
        evaluate_bound(PAC_TO_AR, d=100, eps=0.01)


# ---------------------------------------------------------------------------------------------- parity tasks
@settings(max_examples=25)
@given(n=st.integers(2, 70), seed=st.integers(0, 50), k=st.integers(2, 4))
def test_parity_task_targets(n, seed, k):
    x = np.random.default_rng(seed).integers(0, 2, size=(20, n), dtype=np.uint8)
    for fmt in ("count", "nocot", "chain"):
        task = ParityTask(n=n, fmt=fmt, k=k, random_state=seed)
        assert len(task.subset) == max(1, n // 2) and list(task.subset) == sorted(set(task.subset))
        s = x[:, list(task.subset)].sum(axis=1)
        data = task.encode(x)
        tok = data.tokens.reshape(20, task.length)
        assert (tok[:, :n] == x + 1).all() and (tok[:, n] == 3).all()
        y = tok[:, n + 1:] - 1
        assert y.shape[1] == task.cot_length
        assert (y[:, -1] == s % 2).all()  # the last token is the parity in every format
        if fmt == "count":
            assert (y @ (1 << np.arange(task.cot_length - 1, -1, -1)) == s).all()
        if fmt == "chain":
            assert all(len(step) <= k for step in task.chain_steps())
        kinds = data.kinds[:task.length]
        assert (kinds[:n + 1] == 0).all() and kinds[-1] == 2 and (kinds[n + 1:-1] == 1).all()


def test_shuffled_cot_keeps_the_prompt_and_the_multiset_of_cot_tokens():
    task, bad = ParityTask(n=32), ParityTask(n=32, shuffle_cot=True)
    a, b = task.sample(200, random_state=1), bad.sample(200, random_state=1)
    A, B = a.tokens.reshape(200, -1), b.tokens.reshape(200, -1)
    assert (A[:, :33] == B[:, :33]).all()
    assert (np.sort(A[:, 33:], axis=1) == np.sort(B[:, 33:], axis=1)).all() and (A != B).any()


def test_parity_task_bad_parameters():
    with pytest.raises(TaskError, match="'n' parameter of ParityTask must be an int >= 2. Got 1"):
        ParityTask(n=1)
    with pytest.raises(TaskError, match="'fmt' parameter"):
        ParityTask(n=8, fmt="binary")
    with pytest.raises(TaskError, match=r"x must have shape \(m, 8\)"):
        ParityTask(n=8).encode(np.zeros((2, 7), dtype=np.uint8))


# ---------------------------------------------------------------------------------------------- sweeps
def test_sweep_joblib_workers_agree_with_one_process():
    points = grid(a=list(range(6)), b=[10, 20])
    one = SweepRunner(n_jobs=1, progress=False).map(_demo_job, points)
    two = SweepRunner(n_jobs=2, progress=False).map(_demo_job, points)
    assert one == two == [p["a"] + p["b"] for p in points]


def test_sweep_cache_resumes_an_interrupted_sweep(tmp_path):
    calls = []

    def task(i: int, fail_at: int = -1) -> dict:
        calls.append(i)
        if i == fail_at:
            raise KeyboardInterrupt  # the sweep is interrupted while task i runs
        return {"square": i * i}

    points = grid(i=list(range(5)))
    r = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    with pytest.raises(KeyboardInterrupt):
        r.map(lambda i: task(i, fail_at=3), points)  # noqa: B023
    assert calls == [0, 1, 2, 3]
    calls.clear()
    resumed = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    out = resumed.map(lambda i: task(i), points)
    assert out == [{"square": i * i} for i in range(5)]
    assert calls == [3, 4] and (resumed.cached, resumed.computed) == (3, 2)
    # A torn cache file is recomputed, not trusted.
    victim = next(tmp_path.glob("*.json"))
    victim.write_text("{not json")
    again = SweepRunner(n_jobs=1, cache_dir=tmp_path, progress=False)
    assert again.map(lambda i: task(i), points) == out and again.computed == 1


def test_cache_key_depends_on_the_parameters_and_the_version():
    assert cache_key(_demo_job, {"a": 1}) == cache_key(_demo_job, {"a": 1})
    assert cache_key(_demo_job, {"a": 1}) != cache_key(_demo_job, {"a": 2})
    assert cache_key(_demo_job, {"a": 1}) != cache_key(_demo_job, {"a": 1}, version="2")


def test_sweep_bad_parameters(tmp_path):
    with pytest.raises(CheckError, match="'n_jobs' parameter of SweepRunner must be an int >= 1. Got 0"):
        SweepRunner(n_jobs=0)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(CheckError, match="'cache_dir' parameter of SweepRunner must be a writable directory"):
        SweepRunner(cache_dir=f / "sub")
    with pytest.raises(CheckError, match="not JSON-serialisable"):
        SweepRunner(n_jobs=1, progress=False).map(_demo_job, [{"a": object(), "b": 1}])


def test_sweep_and_a_check_on_a_dask_cluster(capsys):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        points = grid(a=[1, 2, 3], b=[1])
        runner = SweepRunner(scheduler=cluster.scheduler_address, progress=False)
        assert runner.map(_demo_job, points) == [2, 3, 4]
        assert main(["run", "parity-k-sparse", "--quick", "--json", "--quiet",
                     "--scheduler", cluster.scheduler_address]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "parity-k-sparse" and out["passed"] is True


def test_an_unreachable_scheduler_is_a_clear_error():
    runner = SweepRunner(scheduler="tcp://127.0.0.1:9", progress=False, connect_timeout=1.0)
    with pytest.raises(CheckError, match="cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'"):
        runner.map(_demo_job, grid(a=[1], b=[2]))


# ---------------------------------------------------------------------------------------------- report and CLI
def _broken(monkeypatch, name: str, **fields):
    """Make the quick preset of ``name`` a broken input (so the CLI must report a failure)."""
    c = get_check(name)
    monkeypatch.setitem(registry.CHECKS, name, dataclasses.replace(
        c, presets={**c.presets, "quick": c.config("quick", **fields)}))


def test_figure_problems_names_what_a_figure_lacks():
    from proofs_checks.plots import figure_problems, new_figure

    fig, ax = new_figure()
    ax.plot([1, 2, 3], [1, 2, 3], "o-", label="measured")
    ax.axhline(2, ls=":")  # a threshold line without a legend entry
    ax.set_xlabel("x")
    assert figure_problems(fig) == ["axes 0: no y label", "axes 0: unlabelled line (2 points)", "axes 0: no legend"]
    fig, ax = new_figure()
    ax.plot([30, 40], [1, 2], "o", label="a")
    ax.set_xscale("log")  # a log axis over less than a decade: no major tick inside
    ax.set(xlabel="x", ylabel="y")
    ax.legend()
    assert [p.split(" (")[0] for p in figure_problems(fig)] == ["axes 0: fewer than two x ticks inside the axis"]


def test_report_information_rows_and_number_formatting(tmp_path):
    from proofs_checks.registry import CheckResult
    from proofs_checks.report import write_report

    r = CheckResult(name="demo", claim="c.", theorem="t", preset="quick", config={}, passed=True,
                    measured={"samples": 83.33333333333333, "cot_length (information)": {"8": 4}},
                    threshold={"samples_at_most": 100}, bound={"formula": "2 n", "length (information)": "W + 1"},
                    verdict="v", raw={})
    write_report([r], tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "83.33 |" in md and "83.3333" not in md
    info = md.split("| information (by construction or context; not part of the verdict) | value |")[1]
    assert "| cot_length | 8: 4 |" in info and "| length | W + 1 |" in info
    measured = md.split("| measured | value |")[1].split("| threshold")[0]
    assert "cot_length" not in measured


def test_report_renders_every_figure_and_fails_when_a_check_fails(tmp_path, monkeypatch, capsys):
    out = tmp_path / "report"
    results, files = run_report(out, preset="quick", names=["parity-k-sparse", "rollout-vs-teacher-forced"],
                                controls=False)  # the controls have their own tests (test_controls.py)
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    for r in results:
        assert r.figures
        for name, fs in files["figures"][r.name].items():
            assert sorted(f.rsplit(".", 1)[1] for f in fs) == ["png", "svg"]
            for f in fs:
                assert (out / f).stat().st_size > 1000
            png = next(f for f in fs if f.endswith(".png"))
            assert f"]({png})" in md and f'src="{png}"' in html
        assert f"## {r.name}" in md and r.claim.split(" ")[0] in md
    data = json.loads((out / "results.json").read_text())
    assert data["passed"] is True and [c["name"] for c in data["checks"]] == [r.name for r in results]
    assert not list(out.glob(".*.tmp"))
    _broken(monkeypatch, "parity-k-sparse", ns=(8, 16, 24), shuffle_cot=True)
    rc = main(["report", "--out", str(tmp_path / "bad"), "--quick", "--quiet", "--jobs", "1",
               "--checks", "parity-k-sparse"])
    assert rc == 1
    data = json.loads((tmp_path / "bad" / "results.json").read_text())
    assert data["passed"] is False and "**FAIL**" in (tmp_path / "bad" / "report.md").read_text()
    out, err = capsys.readouterr()
    assert "0/1 checks passed" in out
    assert all(f"wrote {tmp_path / 'bad' / f} (" in err for f in ("report.md", "report.html", "results.json"))


def test_cli_list_and_run_json(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert all(n in listed for n in NAMES)
    assert main(["run", "parity-k-sparse", "--quick", "--json", "--quiet", "--jobs", "1",
                 "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    d = json.loads(out)  # stdout is the JSON document alone; what was written is said on stderr
    assert f"wrote {tmp_path / 'parity-k-sparse.json'} (json, " in err and f"figure files (PNG/SVG) in {tmp_path}" in err
    assert d["name"] == "parity-k-sparse" and d["passed"] is True
    assert isinstance(d["measured"], dict) and d["threshold"] and d["claim"]
    assert (tmp_path / "parity-k-sparse.json").exists()
    assert all((tmp_path / f).stat().st_size > 1000 for fs in d["figures"].values() for f in fs)


def test_cli_run_exit_code_is_one_when_the_check_fails(monkeypatch, capsys):
    _broken(monkeypatch, "parity-k-sparse", ns=(8, 16, 24), shuffle_cot=True)
    assert main(["run", "parity-k-sparse", "--quick", "--quiet", "--jobs", "1"]) == 1
    assert capsys.readouterr().out.startswith("FAIL  parity-k-sparse")


@pytest.mark.parametrize("argv, message", [
    (["run", "no-such-check", "--quick"], "Unknown check 'no-such-check'. The checks are: emulation-construction"),
    (["run", "parity-k-sparse", "--preset", "medium"], "no preset 'medium'"),
    (["report", "--out", "{file}/sub", "--quick"], "Cannot create the output directory"),
    (["run", "parity-k-sparse", "--quick", "--out", "{file}"], "exists and is not a directory"),
    (["report", "--out", "{dir}", "--quick", "--checks", "parity-k-sparse,nope"], "Unknown check 'nope'"),
    (["run", "parity-k-sparse", "--quick", "--jobs", "0"], "--jobs must be an int >= 1"),
    (["frobnicate"], "invalid choice"),
    (["run", "parity-k-sparse", "--quick", "--corpus", "austen"], "--corpus apply to the text check only"),
    (["run", "text", "--quick", "--corpus", "{file}.missing"], "file.missing"),
    (["run", "text", "--quick", "--max-documents", "2"], "--max-documents must be an int >= 3"),
])
def test_cli_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, argv, message):
    f = tmp_path / "file"
    f.write_text("x")
    argv = [a.format(file=f, dir=tmp_path / "out") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("proofs-checks: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "report.md").exists()


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "proofs_checks", "list"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "parity-log-length" in p.stdout


def test_text_check_runs_from_the_cli_and_stays_out_of_the_default_report(tmp_path, capsys):
    """``proofs-checks run text --corpus PATH``: the text experiment through the registry (a small
    TinyStories-style file the test writes); the default report leaves it out (its own budget)."""
    assert not get_check("text").in_report
    assert all(get_check(n).in_report for n in NAMES if n not in ("text", "architectures"))
    stories = [f"Once upon a time there was a {a} named {n}. {n} liked to {v}. One day {n} saw a big {a}. "
               f"They played and {v} all day. Then {n} went home and slept. The end."
               for a in ("cat", "dog", "bird") for n in ("Tom", "Lily", "Ben", "Sue") for v in ("run", "sing", "swim")]
    p = tmp_path / "TinyStories-mini.txt"
    p.write_text("\n<|endoftext|>\n".join(stories * 3), encoding="utf-8")
    assert main(["run", "text", "--quick", "--corpus", str(p), "--max-documents", "100", "--json", "--quiet",
                 "--out", str(tmp_path / "out")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["name"] == "text" and d["passed"] is True and d["config"]["corpus"] == str(p)
    m = d["measured"]
    assert m["linear_test_perplexity"] < 0.7 * m["unigram_test_perplexity"]
    assert (tmp_path / "out" / "text.json").exists()
    assert all((tmp_path / "out" / f).stat().st_size > 1000 for fs in d["figures"].values() for f in fs)
