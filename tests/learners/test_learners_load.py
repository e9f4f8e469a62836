"""One model protocol, one loader: every saved kind (linear, MLP, compiled) loads with learners.load_model by
the format tag in its file, and `learners eval` / `generate` work on each."""

import json
import subprocess
import sys

import numpy as np
import pytest

from learners import MLPAR, ARModel, CompiledModel, LearnerError, PerceptronAR, compile_linear, load_model
from learners.base import _FORMATS, model_formats, register_model_format
from learners.cli import main
from tmsim import zoo
from tmsim.datasets import make_dataset, save

WIDTH = 6


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("load")
    ds = make_dataset("zoo:parity", "tableau-triples", n=40, lengths=(1, 3), width=WIDTH, random_state=0)
    return d, ds, save(ds, d / "d.npz")


def test_every_kind_registers_its_format_tag():
    assert {"learners-linear-ar", "learners-mlp-ar", "learners-compiled"} <= set(model_formats())
    for cls in (PerceptronAR, MLPAR, CompiledModel):
        assert issubclass(cls, ARModel) and cls.format_tag in model_formats()


def test_saved_mlp_loads_with_load_model_and_evaluates(data, capsys):
    d, ds, path = data
    m = MLPAR(window=4, embedding_dim=4, hidden_layer_sizes=(8,), max_epochs=2, verbose=0, random_state=0).fit(ds)
    p = m.save(d / "mlp.npz")
    back = load_model(p)
    assert isinstance(back, MLPAR) and np.array_equal(back.predict(ds), m.predict(ds))
    assert main(["eval", str(p), str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == json.loads(json.dumps(m.evaluate(ds).to_dict()))


def test_compiled_model_round_trips_through_its_own_format(tmp_path):
    m = zoo.get("parity").machine
    cm = compile_linear(m, "gates", width=WIDTH)
    back = load_model(cm.save(tmp_path / "c.npz"))
    assert isinstance(back, CompiledModel) and back.encoding == cm.encoding and back.machine == m
    assert (back.coef != cm.coef).nnz == 0 and np.array_equal(back.intercept, cm.intercept)
    assert back.verify(["", "10", "0111"])["mismatched_tokens"] == 0
    prompt = cm.encoding.encode(m, "101").prompt
    assert [o.tolist() for o in back.generate([prompt], max_new_tokens=400, backend="sparse")] == \
        [o.tolist() for o in cm.generate([prompt], max_new_tokens=400)]


def test_a_later_kind_registers_by_tag_and_unknown_tags_are_refused(tmp_path):
    class Echo(ARModel):
        format_tag = "test-echo"
        vocab_size_, vocabulary_ = 3, None

        def _check_fitted(self):
            pass

        def _next_tokens(self, buf, rows, lengths):
            return buf[rows, np.maximum(lengths - 1, 0)].astype(np.int64)

        def _save_payload(self):
            return {"note": "x"}, {"w": np.zeros(2)}

    register_model_format("test-echo", lambda meta, arrays, path: Echo())
    try:
        back = load_model(Echo().save(tmp_path / "e.npz"))
        assert isinstance(back, Echo) and back.generate([[2]], max_new_tokens=2)[0].tolist() == [2, 2, 2]
        with pytest.raises(LearnerError, match="is not a saved PerceptronAR \\(it holds a Echo\\)"):
            PerceptronAR.load(tmp_path / "e.npz")
    finally:
        _FORMATS.pop("test-echo")
    register_model_format("test-lazy", "learners_no_such_module:load")  # a kind whose dependency is missing
    try:
        np.savez(tmp_path / "z.npz", meta=np.frombuffer(json.dumps({"format": "test-lazy"}).encode(), np.uint8))
        with pytest.raises(LearnerError, match="'test-lazy' model, whose loader cannot be imported"):
            load_model(tmp_path / "z.npz")
    finally:
        _FORMATS.pop("test-lazy")
    np.savez(tmp_path / "u.npz", meta=np.frombuffer(json.dumps({"format": "nope"}).encode(), np.uint8))
    with pytest.raises(LearnerError, match="known format: its format is 'nope'"):
        load_model(tmp_path / "u.npz")


# ---------------------------------------------------------------------------------------------- the CLI, every kind
def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fit_args", [
    ("--model", "mlp", "--window", "4", "--embedding-dim", "4", "--hidden", "8", "--max-epochs", "2",
     "--validation-fraction", "0"),
    ("--model", "mlp", "--context", "causal", "--embedding-dim", "4", "--hidden", "", "--max-epochs", "1",
     "--activation", "identity"),
    ("--model", "perceptron", "--window", "3", "--max-iter", "2"),
    ("--model", "least-squares", "--window", "3", "--period", "none"),
])
def test_fit_save_eval_generate_through_the_cli(data, capsys, fit_args):
    d, ds, path = data
    out = d / f"fit-{fit_args[1]}-{fit_args[3]}.npz"
    code, text, err = run_cli(capsys, "fit", path, *fit_args, "--seed", "0", "--out", out, "--json")
    assert code == 0, err
    summary = json.loads(text)
    model = load_model(out)
    assert summary["model"] == fit_args[1] and summary["train_token_accuracy"] == model.score(ds)
    assert isinstance(model, MLPAR) == (fit_args[1] == "mlp")
    code, text, err = run_cli(capsys, "eval", out, path, "--json")
    assert code == 0, err
    assert json.loads(text) == json.loads(json.dumps(model.evaluate(ds).to_dict()))
    prompt = ds[0].tokens[ds[0].kinds == 0]
    code, text, err = run_cli(capsys, "generate", out, "--prompt", " ".join(map(str, prompt)), "--ids",
                              "--max-new-tokens", "7", "--json")
    assert code == 0, err
    assert json.loads(text)["generated"] == model.generate([prompt], max_new_tokens=7)[0][len(prompt):].tolist()


def test_compiled_model_through_the_cli_is_exact(data, capsys):
    d, ds, path = data
    out = d / "compiled.npz"
    code, _, err = run_cli(capsys, "compile", "zoo:parity", "--encoding", "tableau-triples", "--width", WIDTH,
                           "--out", out)
    assert code == 0, err
    assert isinstance(load_model(out), CompiledModel)
    code, text, err = run_cli(capsys, "eval", out, path, "--json")
    assert code == 0 and json.loads(text)["exact_match"] == 1.0, err
    vocab = ds.vocabulary
    prompt = vocab.names(ds[1].tokens[ds[1].kinds == 0])
    code, text, err = run_cli(capsys, "generate", out, "--prompt", " ".join(prompt), "--max-new-tokens", "5000")
    assert code == 0 and text.split() == vocab.names(ds[1].tokens[ds[1].kinds != 0]), err


def test_python_m_learners_evaluates_a_saved_mlp(data):
    d, ds, path = data
    out = MLPAR(window=2, embedding_dim=2, hidden_layer_sizes=(), max_epochs=1, verbose=0, random_state=0).fit(
        ds).save(d / "sub-mlp.npz")
    r = subprocess.run([sys.executable, "-m", "learners", "eval", str(out), str(path), "--json", "--no-rollout"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["token_accuracy"] == load_model(out).score(ds)


@pytest.mark.parametrize("argv, fragment", [
    (["fit", "{path}", "--model", "mlp", "--hidden", "8,x", "--out", "{d}/m.npz"], "--hidden"),
    (["fit", "{path}", "--model", "mlp", "--period", "4", "--out", "{d}/m.npz"], "--period applies to the linear"),
    (["fit", "{path}", "--model", "mlp", "--learning-rate", "-1", "--out", "{d}/m.npz"], "'learning_rate'"),
    (["fit", "{path}", "--model", "mlp", "--out", "{d}"], "is a directory"),
    (["generate", "{d}/mlp.npz", "--prompt", "1", "--ids", "--max-new-tokens", "-1"], "'max_new_tokens'"),
    (["generate", "{d}/mlp.npz", "--prompt", "1", "--ids", "--max-new-tokens", str(10 ** 12)], "rollout buffer"),
])
def test_cli_bad_input_is_one_line(data, capsys, argv, fragment):
    d, ds, path = data
    MLPAR(window=2, embedding_dim=2, hidden_layer_sizes=(), max_epochs=1, verbose=0).fit(ds).save(d / "mlp.npz")
    code, out, err = run_cli(capsys, *[a.format(d=d, path=path) for a in argv])
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("learners: error:") and fragment in lines[0], err
