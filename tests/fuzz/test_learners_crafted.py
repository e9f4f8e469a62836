"""Crafted model files (issue 17): every loaded array and metadata field is checked (shape, dtype, range,
consistency) before any kernel sees it; a bad one is a one-line error naming the field, from load_model and
from `learners eval` (exit 2, no traceback, no crash: the CLI runs in a subprocess)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from learners import MLPAR, LearnerError, PerceptronAR, compile_linear, load_model
from tmsim import zoo
from tmsim.datasets import make_dataset, save
from tmsim.encodings import PositionLayout

WIDTH = 6
L = 2 * WIDTH + 2  # the tableau row period


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A dataset and one valid saved model of each kind (linear plain, linear with classes and compact, linear
    with discovered features, MLP window, MLP causal, compiled)."""
    d = tmp_path_factory.mktemp("crafted")
    ds = make_dataset("zoo:parity", "tableau-triples", n=20, lengths=(1, 3), width=WIDTH, random_state=0)
    data = save(ds, d / "data.npz")
    good = {
        "linear": PerceptronAR(window=3, max_iter=2, random_state=0).fit(ds).save(d / "linear.npz"),
        "classes": PerceptronAR(window=3, max_iter=2, compact=True, random_state=0,
                                layout=PositionLayout(period=L, classes=(0, 1) * (L // 2))).fit(ds).save(
            d / "classes.npz"),
        "mlp": MLPAR(window=3, embedding_dim=2, hidden_layer_sizes=(4,), max_epochs=1, verbose=0,
                     random_state=0).fit(ds).save(d / "mlp.npz"),
        "causal": MLPAR(context="causal", embedding_dim=2, hidden_layer_sizes=(), max_epochs=1, verbose=0,
                        random_state=0).fit(ds).save(d / "causal.npz"),
        "auto": PerceptronAR(features="auto", discovery={"validation": None}, max_iter=2, random_state=0).fit(ds).save(
            d / "auto.npz"),
        "compiled": compile_linear(zoo.get("parity").machine, "tableau-triples", width=WIDTH).save(d / "compiled.npz"),
    }
    return d, data, good


def _read(path):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(arrays.pop("meta").tobytes().decode()), arrays


def _write(path, meta, arrays):
    blob = np.frombuffer(json.dumps(meta).encode(), np.uint8) if not isinstance(meta, bytes) else \
        np.frombuffer(meta, np.uint8)
    np.savez(path, meta=blob, **arrays)
    return path


def _set(d, dotted, value):
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


# (id, base model, array changes, meta changes {"a.b": value}, fragment the error must contain)
CASES = [
    ("negative-offsets", "linear", {"offsets": np.array([-5, 1, 2])}, {}, "'offsets' field must hold values >= 1"),
    ("zero-offset", "linear", {"offsets": np.array([0, 1, 2])}, {}, "'offsets'"),
    ("float-offsets", "linear", {"offsets": np.array([1.0, 2.0, 3.0])}, {}, "'offsets' field must be a 1-D array"),
    ("2d-offsets", "linear", {"offsets": np.array([[1, 2, 3]])}, {}, "'offsets' field must be a 1-D array"),
    ("duplicate-offsets", "linear", {"offsets": np.array([1, 1, 2])}, {}, "distinct"),
    ("huge-offset", "linear", {"offsets": np.array([1, 2, 2 ** 40])}, {}, "'offsets' field must hold values <="),
    ("vocab-size-1e12", "linear", {}, {"vocab_size": 10 ** 12}, "'meta.vocab_size' field must be an int in"),
    ("vocab-size-zero", "linear", {}, {"vocab_size": 0}, "'meta.vocab_size'"),
    ("vocab-size-float", "linear", {}, {"vocab_size": 3.5}, "'meta.vocab_size'"),
    ("vocab-size-vs-coef", "linear", {}, {"vocab_size": 7, "vocabulary": None}, "'coef' field must have shape"),
    ("kernel-classes-1e9", "classes", {"kernel_classes": np.array([10 ** 9] * L)}, {},
     "'kernel_classes' field must hold values <="),
    ("kernel-classes-negative", "classes", {"kernel_classes": np.array([-1] * L)}, {}, "'kernel_classes'"),
    ("kernel-classes-length", "classes", {"kernel_classes": np.array([0, 1, 0])}, {}, "'kernel_classes' field must be"),
    ("intercept-1x3", "linear", {"intercept": np.zeros((1, 3))}, {}, "'intercept' field must have shape"),
    ("intercept-nan", "linear", {"intercept": None}, {}, "'intercept' field must be finite"),
    ("coef-inf", "linear", {"coef": None}, {}, "'coef' field must be finite"),
    ("coef-2d", "linear", {"coef": np.zeros((3, 3))}, {}, "'coef' field must be a 3-D array"),
    ("coef-ints", "linear", {"coef": "int"}, {}, "'coef' field must be a 3-D array of floats"),
    ("use-values", "linear", {"use": np.full((1, 3), 2)}, {}, "'use' field must hold values <= 1"),
    ("use-shape", "linear", {"use": np.ones((2, 3), np.uint8)}, {}, "'use' field must have shape"),
    ("token-ids-range", "classes", {"token_ids": np.array([0, 5, 10 ** 6])}, {}, "'token_ids' field must hold"),
    ("token-ids-order", "classes", {"token_ids": np.array([3, 1, 2])}, {}, "'token_ids'"),
    ("layout-period", "classes", {}, {"params.layout.period": -1}, "'meta.params' field must be valid"),
    ("layout-vs-blocks", "linear", {}, {"params.layout": {"period": 4, "classes": [0, 1, 2, 3], "names": [],
                                                          "offsets": None}}, "'coef' field must be"),
    ("params-window", "linear", {}, {"params.window": -5}, "'window' parameter"),
    ("params-unknown", "linear", {}, {"params.nope": 1}, "unknown parameter 'nope'"),
    ("params-not-object", "linear", {}, {"params": [1, 2]}, "'meta.params' field must be a JSON object"),
    ("vocabulary-garbage", "linear", {}, {"vocabulary": {"format": "x"}}, "'meta.vocabulary'"),
    ("vocabulary-length", "linear", {}, {"vocab_size": 3}, "'meta.vocabulary' field must be a vocabulary of"),
    ("class-unknown", "linear", {}, {"class": "EvilAR"}, "'meta.class'"),
    ("format-unknown", "linear", {}, {"format": "pickle"}, "known format"),
    ("format-not-a-string", "linear", {}, {"format": ["learners-linear-ar"]}, "known format"),
    ("layout_-missing", "auto", {}, {"layout_": None}, "'meta.layout_' field must be a PositionLayout JSON object"),
    ("layout_-garbage", "auto", {}, {"layout_.period": -3}, "'meta.layout_' field must be a PositionLayout"),
    ("layout_-without-features", "linear", {}, {"layout_": PositionLayout.shift_invariant().to_json()},
     "'meta.layout_' field must be absent when meta.params.features is null"),
    ("layout_-vs-params", "auto", {}, {"params.layout": PositionLayout(period=2, classes=(0, 1)).to_json()},
     "'meta.layout_' field must be a layout of the structure of meta.params.layout"),
    ("layout_-vs-blocks", "auto", {}, {"layout_": {"period": L, "classes": [0] * L, "names": ["all"],
                                                   "offsets": [[1]]}}, "'coef' field must be one weight block"),
    ("layout_-vs-offsets", "auto", {}, {"layout_.offsets": [[1], [1], [1], [1]]},
     "'offsets' field must be the offsets meta.layout_ declares"),
    ("layout_-vs-use", "auto", {"use": "ones"}, {}, "'use' field must be the offsets each class of meta.layout_"),
    ("layout_-vs-classes", "auto", {"kernel_classes": np.zeros(L, np.int64)}, {},
     "'kernel_classes' field must be the classes of meta.layout_"),
    ("params-features", "auto", {}, {"params.features": "magic"}, "'features' parameter"),
    ("params-discovery", "auto", {}, {"params.discovery": {"window": 0}}, "'discovery' parameter"),
    ("mlp-theta-size", "mlp", {"theta": np.zeros(7, np.float32)}, {}, "'theta' field must have shape"),
    ("mlp-theta-nan", "mlp", {"theta": None}, {}, "'theta' field must be finite"),
    ("mlp-theta-ints", "mlp", {"theta": "int"}, {}, "'theta' field must be a 1-D array of floats"),
    ("mlp-hidden", "mlp", {}, {"hidden": [4, 4]}, "'meta.hidden'"),
    ("mlp-embedding", "mlp", {}, {"embedding_dim": 10 ** 9}, "'meta.embedding_dim'"),
    ("mlp-learning-rate", "mlp", {}, {"params.learning_rate": -1}, "'learning_rate' parameter"),
    ("mlp-offsets-causal", "causal", {"offsets": np.array([1, 2])}, {}, "'offsets' field must be distinct"),
    ("mlp-context-length", "causal", {}, {"context_length": 2 ** 40}, "'meta.context_length'"),
    ("mlp-record", "mlp", {}, {"record": None}, "'meta.record'"),
    ("compiled-indices", "compiled", {"coef_indices": None}, {}, "'coef_indices' field must hold values <="),
    ("compiled-indptr", "compiled", {"coef_indptr": None}, {}, "'coef_indptr' field must be non-decreasing"),
    ("compiled-intercept", "compiled", {"intercept": np.zeros((2, 3), np.int64)}, {}, "'intercept' field"),
    ("compiled-machine", "compiled", {}, {"machine.text": "not a machine {"}, "'meta.machine'"),
    ("compiled-encoding", "compiled", {}, {"encoding": "tableau(width=5)"}, "'meta.encoding'"),
    ("compiled-period", "compiled", {}, {"period": 0}, "'meta.period'"),
]


def _craft(files, case):
    d, _, good = files
    name, base, arrays, meta_changes, _ = case
    meta, a = _read(good[base])
    for k, v in arrays.items():
        if isinstance(v, str) and v == "int":
            v = a[k].astype(np.int64)
        elif isinstance(v, str) and v == "ones":
            v = np.ones_like(a[k])
        elif v is None:  # poison one entry of the stored array
            v = a[k].copy()
            if k in ("coef_indices",):
                v[0] = 10 ** 6
            elif k == "coef_indptr":
                v[1] = v[-1] + 5
            elif k == "coef":
                v.flat[0] = np.inf
            else:
                v.flat[0] = np.nan
        a[k] = v
    for k, v in meta_changes.items():
        _set(meta, k, v)
    return _write(d / f"bad-{name}.npz", meta, a)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_crafted_field_is_a_one_line_error_naming_it(files, case):
    path = _craft(files, case)
    with pytest.raises(LearnerError) as e:
        load_model(path)
    text = str(e.value)
    assert "\n" not in text and case[-1] in text, text
    assert text.startswith("load_model:")


def test_the_valid_files_load_and_a_legacy_linear_file_too(files, tmp_path):
    d, data, good = files
    for path in good.values():
        load_model(path)
    # A file written before layout=: the period/classes/class_offsets parameters become the layout.
    meta, a = _read(good["classes"])
    lay = meta["params"].pop("layout")
    meta["params"].update(period=lay["period"], classes=lay["classes"], class_offsets=None)
    back = load_model(_write(tmp_path / "legacy.npz", meta, a))
    assert back.layout == PositionLayout(period=lay["period"], classes=tuple(lay["classes"]))
    ds = make_dataset("zoo:parity", "tableau-triples", n=3, lengths=(1, 3), width=WIDTH, random_state=5)
    assert np.array_equal(back.predict(ds), load_model(good["classes"]).predict(ds))
    # Older still: no format tag in the record; the arrays say it is a linear model.
    meta, a = _read(good["linear"])
    del meta["format"]
    assert isinstance(load_model(_write(tmp_path / "untagged.npz", meta, a)), PerceptronAR)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"\x93NUMPY not really"],
                         ids=["empty", "truncated-zip", "npy-header"])
def test_broken_archives_are_one_line_errors(tmp_path, content):
    p = tmp_path / "broken.npz"
    p.write_bytes(content)
    with pytest.raises(LearnerError, match="is not a saved learner"):
        load_model(p)


def test_bad_meta_bytes(files, tmp_path):
    _, _, good = files
    _, a = _read(good["linear"])
    for i, blob in enumerate([b"\xff\xfe not utf-8", b"[1, 2, 3]", b"{" * 100000]):
        with pytest.raises(LearnerError, match="'meta' field must be") as e:
            load_model(_write(tmp_path / f"m{i}.npz", blob, a))
        assert "\n" not in str(e.value)


def test_learners_eval_and_generate_refuse_every_crafted_file_in_a_subprocess(files):
    """One interpreter evaluates every crafted file through the CLI's main(); a segfault or a hang would end
    it (checked by its exit status), a traceback would show in its report."""
    d, data, _ = files
    paths = [str(_craft(files, c)) for c in CASES]
    driver = textwrap.dedent("""
        import contextlib, io, json, sys
        from learners.cli import main
        data, paths = sys.argv[1], sys.argv[2:]
        out = []
        for p in paths:
            for argv in (["eval", p, data], ["generate", p, "--prompt", "1 2", "--ids", "--max-new-tokens", "3"]):
                err = io.StringIO()
                try:
                    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                        code = main(argv)
                except BaseException as e:  # an escaped exception is what the test forbids
                    code, err = -1, io.StringIO(f"Traceback: {type(e).__name__}: {e}")
                out.append([p, argv[0], code, err.getvalue()])
        print(json.dumps(out))
    """)
    r = subprocess.run([sys.executable, "-c", driver, str(data), *paths], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    results = json.loads(r.stdout)
    assert len(results) == 2 * len(CASES)
    for path, cmd, code, err in results:
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("learners: error: load_model:"), \
            (path, cmd, code, err)
        assert "Traceback" not in err


def test_python_m_learners_eval_on_crafted_files_exits_2(files):
    d, data, _ = files
    for case in (CASES[0], CASES[10], CASES[13]):   # negative offsets, kernel classes 1e9, intercept (1, 3)
        r = subprocess.run([sys.executable, "-m", "learners", "eval", str(_craft(files, case)), str(data)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
