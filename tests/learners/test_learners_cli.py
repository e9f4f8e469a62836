"""learners CLI: fit / eval / generate / compile, JSON keys, and one-line errors on bad input."""

import json
import subprocess
import sys

import pytest

from learners import load_model
from learners.evaluate import evaluate  # (`from learners import evaluate` can return the submodule of that name)
from learners.cli import main
from tmsim.datasets import load_dataset, make_dataset, save

WIDTH = 10


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    train = save(make_dataset("zoo:parity", "tableau-triples", n=300, lengths=(1, 5), width=WIDTH,
                              random_state=0), d / "train.npz")
    test = save(make_dataset("zoo:parity", "tableau-triples", n=50, lengths=(1, 5), width=WIDTH,
                             random_state=1), d / "test.npz")
    other = save(make_dataset("zoo:binary-increment", "tableau-triples", n=20, lengths=(1, 3), width=WIDTH,
                              random_state=0), d / "other.npz")
    return d, train, test, other


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fit_eval_generate_round_trip(files, capsys):
    d, train, test, _ = files
    code, out, _ = run_cli(capsys, "fit", str(train), "--model", "perceptron", "--offsets", "1,2,4,6,19,21,22,23",
                           "--seed", "0", "--out", str(d / "p.npz"), "--json")
    assert code == 0
    fit = json.loads(out)
    assert fit["converged"] and fit["train_token_accuracy"] == 1.0
    code, out, _ = run_cli(capsys, "eval", str(d / "p.npz"), str(test), "--json")
    metrics = json.loads(out)
    assert code == 0 and {"token_accuracy", "sequence_error", "exact_match", "answer_exact_match"} <= set(metrics)
    # The CLI reports what the library computes on the same files.
    expected = evaluate(load_model(d / "p.npz"), load_dataset(test)).to_dict()
    assert metrics == json.loads(json.dumps(expected))
    ds = load_dataset(test)
    s = ds[0]
    vocab = ds.vocabulary
    prompt = " ".join(vocab.names(s.tokens[s.kinds == 0]))
    code, out, _ = run_cli(capsys, "generate", str(d / "p.npz"), "--prompt", prompt, "--max-new-tokens", "5000",
                           "--json")
    gen = json.loads(out)
    model = load_model(d / "p.npz")
    direct = model.generate([vocab.ids(prompt.split())], max_new_tokens=5000)[0]
    assert gen["generated"] == direct[len(prompt.split()):].tolist()


def test_least_squares_and_compile(files, capsys):
    d, train, test, _ = files
    code, out, _ = run_cli(capsys, "fit", str(train), "--model", "least-squares", "--window", "4", "--alpha",
                           "0.1", "--out", str(d / "ls.npz"), "--json")
    assert code == 0 and 0 < json.loads(out)["train_token_accuracy"] <= 1
    code, out, _ = run_cli(capsys, "compile", "zoo:parity", "--encoding", "tableau-triples", "--width", str(WIDTH),
                           "--out", str(d / "c.npz"), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["width"] == WIDTH and info["nonzero"] > 0
    code, out, _ = run_cli(capsys, "eval", str(d / "c.npz"), str(test), "--json")
    assert json.loads(out)["exact_match"] == 1.0  # the compiled weights emulate the machine exactly


@pytest.mark.parametrize("argv, fragment", [
    (["fit", "missing.npz", "--model", "perceptron", "--out", "m.npz"], "no dataset file"),
    (["fit", "{train}", "--model", "perceptron", "--offsets", "0,1", "--out", "{d}/m.npz"], "--offsets"),
    (["fit", "{train}", "--model", "perceptron", "--window", "0", "--out", "{d}/m.npz"], "'window'"),
    (["fit", "{train}", "--model", "perceptron", "--period", "x", "--out", "{d}/m.npz"], "--period"),
    (["fit", "{train}", "--model", "perceptron", "--out", "{d}/nodir/m.npz"], "does not exist"),
    (["eval", "{d}/nomodel.npz", "{train}"], "no model file"),
    (["eval", "{d}/p2.npz", "{other}"], "vocabulary"),
    (["generate", "{d}/p2.npz", "--prompt", "NOT_A_TOKEN"], "not in the model's vocabulary"),
    (["compile", "zoo:nope", "--encoding", "gates", "--width", "8", "--out", "{d}/c.npz"], "nope"),
    (["fit", "{other}", "--model", "perceptron", "--features", "auto", "--window", "3", "--out", "{d}/m.npz"],
     "--window sets the offsets 1..K of --features window"),
    (["fit", "{other}", "--model", "perceptron", "--features", "window", "--discovery-window", "5", "--out",
      "{d}/m.npz"], "--discovery-window applies to --features auto"),
    (["fit", "{other}", "--model", "perceptron", "--discovery-window", "0", "--out", "{d}/m.npz"],
     "'discovery' parameter"),
    (["fit", "{other}", "--model", "perceptron", "--features", "auto", "--period", "none", "--out", "{d}/m.npz"],
     "'layout' parameter"),
    (["fit", "{other}", "--model", "perceptron", "--margin", "-1", "--out", "{d}/m.npz"], "'margin' parameter"),
    (["fit", "{other}", "--model", "least-squares", "--margin", "1", "--out", "{d}/m.npz"],
     "--margin applies to --model perceptron"),
    (["fit", "{other}", "--model", "mlp", "--features", "auto", "--out", "{d}/m.npz"],
     "--features applies to the linear models"),
])
def test_bad_input_is_one_line(files, capsys, argv, fragment):
    d, train, test, other = files
    main(["fit", str(train), "--model", "perceptron", "--window", "3", "--max-iter", "1", "--out",
          str(d / "p2.npz"), "--quiet"])
    capsys.readouterr()
    argv = [a.format(d=d, train=train, other=other) for a in argv]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("learners: error:") and fragment in lines[0]
    assert "Traceback" not in err


def test_fit_features_flags_and_the_printed_offsets(files, capsys):
    """--features auto is the default and prints the discovered offsets per class; declared, window, and
    --offsets (which wins) print theirs; --margin / --shrinking / --distinct / --discovery-window reach the model."""
    d, _, _, other = files
    layout = load_dataset(other).layout
    L = layout.period

    def fit(*flags):
        code, out, err = run_cli(capsys, "fit", str(other), "--model", "perceptron", "--seed", "0", "--out",
                                 str(d / "f.npz"), *flags)
        assert code == 0, err
        return json.loads(out) if "--json" in flags else out

    auto = fit("--json")
    assert auto["features"] == "auto" and set(auto["offsets"]) == set(layout.names)
    assert auto["discovery"]["decides"] and auto["discovery"]["window"] == L + 1
    assert auto["discovery"]["offsets"]["cell"] == auto["offsets"]["cell"] == [1, L]
    assert load_model(d / "f.npz").layout_.offsets == tuple(tuple(o) for o in auto["offsets"].values())
    text = fit()
    assert "features: auto" in text and "offsets per class, discovered from the training traces" in text
    assert f"cell: 1, {L}" in text and "header: 2" in text
    declared = fit("--features", "declared", "--json")
    assert declared["features"] == "declared" and "discovery" not in declared
    assert declared["offsets"] == {n: list(o) for n, o in zip(layout.names, layout.offsets)}
    assert fit("--window", "3", "--json")["offsets"] == {"all": [1, 2, 3]}
    given = fit("--offsets", "1,2", "--features", "declared", "--json")
    assert (given["features"], given["offsets"]) == ("offsets", {"all": [1, 2]})
    tuned = fit("--discovery-window", "5", "--margin", "2.5", "--shrinking", "--distinct", "--json")
    model = load_model(d / "f.npz")
    assert tuned["discovery"]["window"] == 5 and max(model.offsets_) <= 5
    assert (model.margin, model.shrinking, model.discovery, model.distinct) == (2.5, True, {"window": 5}, True)
    for bad in (("--model", "least-squares"), ("--model", "mlp")):
        code, _, err = run_cli(capsys, "fit", str(other), *bad, "--distinct", "--out", str(d / "x.npz"))
        assert code == 2 and "--distinct applies to" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli(capsys, "fit", str(other), "--model", "least-squares", "--features", "auto",
                             "--compact", "--out", str(d / "ls-auto.npz"), "--json")
    assert code == 0 and json.loads(out)["features"] == "auto" and load_model(d / "ls-auto.npz").compact


def test_python_m_learners(files):
    d, train, test, _ = files
    r = subprocess.run([sys.executable, "-m", "learners", "eval", str(d / "missing.npz"), str(test)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("learners: error:")
