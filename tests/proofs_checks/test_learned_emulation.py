"""Learned emulation under the honest protocol (issue 13): the row layout is fixed from the training runs and
a declared ``max_length`` before any test input is drawn, features are discovered from the training traces,
a validation part of the training lengths stops the grid, and the test is every longer length up to
``max_length``; a test run the layout cannot hold is a failure, never a resize.

The traces each machine needs, per feature choice and seed, are measured by
``python -m proofs_checks.experiments.learned_emulation_scale`` (README, "Learned emulation"); the tests below
train at sizes that measurement found exact (``TRAINED``) and assert it at small test sizes.
"""

import json

import numpy as np
import pytest

from learners import LearnerError
from proofs_checks.experiments.learned_emulation import (_compare, curves, fixed_layout, learned_emulation, main,
                                                         sample_inputs, training_layout, wilson)
from tmsim import zoo
from tmsim.datasets import make_dataset
from tmsim.zoo.random import random_halting_machine

# (machine, train lengths, max_length, a size at or above the traces the scale run needed, seed 0)
TRAINED = [
    ("parity", (1, 8), 16, 100),
    ("binary-increment", (1, 8), 16, 100),
]


def _small(machine, **kw):
    kw = {"max_length": 12, "n_valid": 30, "n_per_length": 4, "random_state": 0, **kw}
    return learned_emulation(machine, **kw)


@pytest.mark.parametrize("name, train, max_length, n", TRAINED, ids=[t[0] for t in TRAINED])
def test_discovered_features_are_exact_at_every_longer_length(name, train, max_length, n):
    r = _small(zoo.get(name), train_lengths=train, max_length=max_length, n_train_grid=(n,))
    t = r.tested
    msg = "\n".join(str(e) for e in t.first_errors_valid + t.first_errors_test)
    assert r.features == "discovered" and r.stopped_at == n, msg
    assert t.test_lengths == tuple(range(train[1] + 1, max_length + 1)) and min(t.test_n) == 4
    assert t.test_exact == t.test_n and t.not_fit == 0, msg
    assert r.traces_needed == n and t.offsets and all(o for o in t.offsets)


def test_the_layout_comes_from_the_training_runs_and_max_length_only():
    e = zoo.get("copy")
    # the training pool does not depend on the test lengths or their sizes
    a = sample_inputs(e, (1, 6), 40, 10, [7, 8], 3, random_state=1)
    b = sample_inputs(e, (1, 6), 40, 10, list(range(7, 30)), 9, random_state=1)
    assert a[0] == b[0] and a[1] == b[1]
    everything = set(a[0]) | set(a[1])
    assert len(everything) == 50 and not everything & {x for v in a[2].values() for x in v}
    # the rule: copy's right excursion grows by one cell per input symbol; the bound follows it to max_length
    r12, r20 = (training_layout(e, a[0], max_length=m)[0] for m in (12, 20))
    assert r12.right_fit[1] == pytest.approx(1.0) and r20.width - r12.width == 2 * (20 - 12)
    r = learned_emulation(e, train_lengths=(1, 6), max_length=12, n_train_grid=(40,), n_valid=10, n_per_length=1,
                          random_state=1)
    assert r.layout == r12  # the experiment's layout is this rule on its training inputs
    assert fixed_layout(np.array([1, 2, 3]), np.array([6, 8, 10]), np.array([2, 2, 2]), max_length=10).width == 28


def test_a_test_run_the_layout_cannot_hold_is_a_failure_not_a_resize():
    e = zoo.get("copy")
    wide = make_dataset(e, "tableau-triples", inputs=["0110"], width=14)
    narrow = make_dataset(e, "tableau-triples", inputs=["011011", "0"], width=8, on_timeout="label")
    assert narrow.status[0] > 1 and narrow.status[1] <= 1
    from learners import PerceptronAR

    model = PerceptronAR(window=3, max_iter=2, random_state=0).fit(narrow.select(np.array([1])))
    exact, _, errs = _compare(model, narrow, np.ones(len(narrow.vocabulary.tokens), bool), 3)
    assert not exact[0] and errs[0].where == "does not fit the layout" and "does not fit" in str(errs[0])
    assert len(wide) == 1


def test_smaller_training_sets_are_not_yet_exact_on_validation_and_say_where():
    r = _small(zoo.get("parity"), n_train_grid=(25, 50, 100, 200))
    assert r.runs[0].exact_valid < 1.0 and not r.runs[0].tested and r.runs[0].first_errors_valid
    e = r.runs[0].first_errors_valid[0]
    assert e.expected != e.got and "row" in e.where
    assert r.runs[-1].exact_valid == 1.0 and r.runs[-1].tested and r.stopped_at == r.runs[-1].n_train
    assert sum(x.tested for x in r.runs) == 1  # the test is rolled out once, at the size validation chose


def test_wilson_intervals_and_pooled_curves():
    lo, hi = wilson(20, 20)
    assert lo == pytest.approx(0.8389, abs=1e-3) and hi == 1.0
    lo, hi = wilson(10, 20)
    assert lo == pytest.approx(0.2993, abs=1e-3) and hi == pytest.approx(0.7007, abs=1e-3)
    r = _small(zoo.get("binary-increment"), n_train_grid=(50,), n_per_length=3)
    c = curves([r, r])["discovered"]
    assert c["lengths"] == list(range(9, 13)) and c["n"] == [6] * 4 and c["k"] == [6] * 4
    assert c["lo"][0] == pytest.approx(wilson(6, 6)[0])


def test_bad_parameters_and_too_few_inputs():
    e = zoo.get("parity")
    with pytest.raises(LearnerError, match="'features' parameter"):
        learned_emulation(e, features="local")
    with pytest.raises(LearnerError, match="'train_lengths'"):
        learned_emulation(e, train_lengths=(5, 2))
    with pytest.raises(LearnerError, match="'max_length' parameter"):
        learned_emulation(e, max_length=8)
    with pytest.raises(LearnerError, match="'n_per_length' parameter"):
        learned_emulation(e, n_per_length=0)
    with pytest.raises(LearnerError, match="too few"):
        learned_emulation(e, train_lengths=(1, 3), n_train_grid=(25,))


def test_random_halting_machines_halt_and_work():
    from tmsim import run

    for seed in range(3):
        m = random_halting_machine(seed)
        assert m.name.startswith("random:")
        rng = np.random.default_rng(seed)
        for n in (1, 5, 16):
            x = "".join(rng.choice(list(m.input_symbols), size=n))
            assert run(m, x, max_steps=4 * n * n + 64).status.value == "halted"


def test_cli_json_matches_the_function(capsys):
    argv = ["zoo:binary-increment", "--max-length", "10", "--grid", "50", "--n-valid", "20", "--n-per-length",
            "3", "--json", "--quiet"]
    rc = main(argv)
    data = json.loads(capsys.readouterr().out)
    r = learned_emulation(zoo.get("binary-increment"), max_length=10, n_train_grid=(50,), n_valid=20,
                          n_per_length=3, random_state=0)
    (d,) = data["results"]
    assert d["machine"] == "binary-increment" and d["test_lengths"] == [9, 10] and d["layout"]["width"] == \
        r.layout.width
    assert [(x["n_train"], x["exact_valid"], x["test_exact"]) for x in d["runs"]] == \
        [(x.n_train, x.exact_valid, list(x.test_exact)) for x in r.runs]
    assert d["traces_needed"] == r.traces_needed and rc == (0 if r.traces_needed else 1)
    assert data["curves"]["discovered"]["lengths"] == [9, 10]
    assert main(argv + ["--distinct"]) in (0, 1)  # the learner on distinct windows: the same examples
    (dd,) = json.loads(capsys.readouterr().out)["results"]
    assert "distinct=True" in dd["learner"] and "distinct=False" in d["learner"]
    assert dd["layout"] == d["layout"] and all(x["exact_valid"] == 1.0 for x in dd["runs"] if x["test_n"])


@pytest.mark.parametrize("argv, needle", [(["zoo:parity", "--train-lengths", "5-2"], "--train-lengths"),
                                          (["zoo:parity", "--grid", "0,25"], "--grid")])
def test_cli_rejects_bad_flags_in_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and needle in err and "Traceback" not in err


@pytest.mark.parametrize("argv, needle", [(["zoo:nope"], "nope"), (["random:x"], "random:SEED"),
                                          (["zoo:parity", "--features", "all"], "--features"),
                                          (["zoo:parity", "--seeds", "a"], "--seeds"),
                                          (["zoo:parity", "--n-per-length", "0"], "n_per_length"),
                                          (["zoo:parity", "--train-lengths", "1-2"], "too few")])
def test_cli_bad_machine_or_sizes_exit_2_with_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_local_layout_follows_the_encodings_local_rule():
    from learners import PerceptronAR
    from tmsim.encodings import get_encoding

    f = get_encoding("tableau-triples").layout(zoo.get("parity").machine, width=5)
    L = 12
    assert f.period == L and len(f.classes) == L
    assert f.classes[:4] == (0, 1, 2, 3) and set(f.classes[2:]) == {2, 3}
    assert f.offsets == ((2, L), (1,), (2, 4, 6, L - 3, L - 1, L + 1), (1, L))
    PerceptronAR(layout=f)._validate_params()  # valid learner parameters


def test_scale_tables_and_random_machines_from_one_seed():
    from proofs_checks.experiments.learned_emulation_scale import QUICK, draw_random_machines, row_curves, table

    kept, rejected = draw_random_machines(QUICK)
    assert [k[0].split(":")[0] for k in kept] == ["random3x3"] * 2 + ["random4x2"] * 2
    assert [k[1].n_symbols for k in kept] == [3, 3, 2, 2] and kept == draw_random_machines(QUICK)[0]
    assert all(k[4] == 4 * k[3] ** 2 + 64 for k in kept)  # the step budget at max_length
    row = {"machine": "m", "features": "discovered", "seed": 0, "train_lengths": (1, 8), "max_length": 10,
           "width": 20, "traces_needed": None, "stopped_at": 50, "test_lengths": [9, 10], "test_n": [5, 5],
           "test_exact": [5, 3], "fit_seconds": 1.0, "discover_seconds": 0.5, "not_fit": 1, "unseen": 0,
           "first_errors": ["'1': does not fit the layout"]}
    rows = [row, {**row, "seed": 1, "test_exact": [5, 5], "traces_needed": 50}]
    c = row_curves(rows)["m"]["discovered"]
    assert c["k"] == [10, 8] and c["n"] == [10, 10] and c["lo"][1] == pytest.approx(wilson(8, 10)[0])
    md = table({"rows": rows, "curves": row_curves(rows), "rejected": ["random3x3:7"]})
    assert "| m | 1-8 -> 9-10 | 20 | -,50 / 18/20 / 1.5 |" in md and "does not fit the layout" in md
    assert "random3x3:7" in md
