"""One model protocol, one loader: every saved kind (linear, MLP, compiled) loads with learners.load_model by
the format tag in its file, and `learners eval` / `generate` work on each."""

import json

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
    np.savez(tmp_path / "u.npz", meta=np.frombuffer(json.dumps({"format": "nope"}).encode(), np.uint8))
    with pytest.raises(LearnerError, match="known format: its format is 'nope'"):
        load_model(tmp_path / "u.npz")
