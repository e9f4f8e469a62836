"""learners.mlp: the backward pass against finite differences (float64), determinism, save/load, early
stopping, the rollout path against teacher forcing, and bad input."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.base import clone

from learners import MLPAR, LearnerError, NotFittedError, PerceptronAR, VocabularyMismatchError, as_sequences, evaluate
from learners.mlp import _softmax_xent, load_model
from tmsim.datasets.tasks import get_task


def random_sequences(n=6, V=7, seed=0, lo=4, hi=10):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, V, size=rng.integers(lo, hi)) for _ in range(n)]


def pattern(n=8):
    """Sequences whose next token is a function of the two before it (those two: the prompt)."""
    out = []
    rng = np.random.default_rng(1)
    for _ in range(n):
        s = list(rng.integers(1, 5, size=2))
        for _ in range(10):
            s.append((s[-1] + 2 * s[-2]) % 4 + 1)
        out.append(np.array(s))
    kinds = np.tile(np.array([0, 0] + [1] * 10, np.uint8), n)
    return as_sequences((np.concatenate(out), np.arange(n + 1) * 12, kinds))


SMALL = dict(embedding_dim=3, hidden_layer_sizes=(5, 4), validation_fraction=0, verbose=0, random_state=0,
             max_epochs=1)


# ---------------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("params", [
    dict(context="window", window=3),
    dict(context="window", offsets=(1, 3, 4)),
    dict(context="window", window=2, hidden_layer_sizes=()),
    dict(context="causal"),
    dict(context="causal", context_length=12, hidden_layer_sizes=(6,)),
    dict(context="causal", hidden_layer_sizes=(), activation="identity"),
    dict(context="window", window=3, activation="identity"),
])
def test_backward_matches_finite_differences(params):
    seqs = as_sequences(random_sequences())
    m = MLPAR(**{**SMALL, **params, "dtype": "float64", "batch_size": 10_000}).fit(seqs)
    batch = np.arange(len(seqs)) if m.context_length_ else m._positions(seqs)

    def loss():
        return m._step(seqs, batch)[0]

    loss()
    grad = m._P.grad.copy()
    theta = m._P.theta
    num = np.empty_like(theta)
    h = 1e-6
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + h
        up = loss()
        theta[i] = old - h
        down = loss()
        theta[i] = old
        num[i] = (up - down) / (2 * h)
    assert np.abs(num - grad).max() < 1e-7 * max(1.0, np.abs(grad).max())
    assert np.abs(grad).max() > 1e-3  # a real signal was checked


@pytest.mark.parametrize("params", [dict(context="window", window=3), dict(context="causal")])
def test_fused_output_layer_over_many_blocks_matches_finite_differences(params, monkeypatch):
    # Blocks of 8 rows (the minimum): the fused output layer then accumulates its gradients over many blocks.
    import learners.mlp._layers as mlp_module

    monkeypatch.setattr(mlp_module, "_XENT_BLOCK_BYTES", 1)
    test_backward_matches_finite_differences(params)


def test_softmax_xent_gradient_is_probabilities_minus_one_hot():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    loss, right, g = _softmax_xent(logits.copy(), y)
    assert loss == pytest.approx(-np.log(p[np.arange(5), y]).mean())
    expect = p.copy()
    expect[np.arange(5), y] -= 1
    assert np.allclose(g, expect / 5)


# ---------------------------------------------------------------------------------------------- training
def test_learns_a_pattern_and_rolls_it_out():
    seqs = pattern()
    m = MLPAR(window=2, embedding_dim=4, hidden_layer_sizes=(32,), learning_rate=0.03, max_epochs=60,
              batch_size=32, validation_fraction=0, verbose=0, random_state=0).fit(seqs)
    assert m.score(seqs) == 1.0
    ev = evaluate(m, seqs)
    assert ev.exact_match == 1.0
    assert m.loss_curve_[-1] < m.loss_curve_[0]
    assert m.running_loss_ == pytest.approx(m.loss_curve_[-1])  # at the end of an epoch: its mean loss


@pytest.mark.parametrize("params", [dict(context="window", window=3), dict(context="causal"),
                                    dict(context="window", window=3, sampling="loss")])
def test_fit_is_deterministic(params):
    seqs = random_sequences(12)
    a = MLPAR(**{**SMALL, **params, "max_epochs": 3, "batch_size": 8}).fit(seqs)
    b = MLPAR(**{**SMALL, **params, "max_epochs": 3, "batch_size": 8}).fit(seqs)
    c = MLPAR(**{**SMALL, **params, "max_epochs": 3, "batch_size": 8, "random_state": 1}).fit(seqs)
    assert np.array_equal(a._P.theta, b._P.theta)
    assert not np.array_equal(a._P.theta, c._P.theta)
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("params", [dict(context="window", offsets=(1, 2, 5)), dict(context="causal"),
                                    dict(context="causal", context_length=5)])
def test_rollouts_agree_with_teacher_forcing(params):
    """``predict`` (batched, teacher-forced) and ``predict_next``/``generate`` (one new position per step,
    the sliding context past ``context_length``) compute the same function."""
    seqs = random_sequences(5, lo=6, hi=9)
    train = random_sequences(5, lo=4, hi=6) if params.get("context_length") else seqs
    m = MLPAR(**{**SMALL, **params, "max_epochs": 2}).fit(train)
    pred = m.predict(seqs)
    k = 0
    for s in seqs:
        for t in range(1, len(s)):
            assert m.predict_next(s[:t]) == pred[k]
            k += 1
    outs = m.generate([s[:3] for s in seqs], max_new_tokens=4, eos=-1)
    for s, o in zip(seqs, outs):
        assert len(o) == 7 and np.array_equal(o[:3], s[:3])
        for t in range(3, 7):
            assert m.predict_next(o[:t]) == o[t]


def test_generate_stops_at_eos_and_uses_the_prompt_parts_of_a_dataset():
    t = get_task("add-local", digits=2, width=4)
    ds = t.make_dataset(30, random_state=0)
    m = MLPAR(offsets=t.offsets, embedding_dim=8, hidden_layer_sizes=(64,), learning_rate=0.01, max_epochs=30,
              batch_size=64, validation_fraction=0, verbose=0, random_state=0).fit(ds)
    outs = m.generate(ds, max_new_tokens=100)
    assert all(o[-1] == m._eos_id() or len(o) == 100 + 2 * t.row + 1 for o in outs)
    assert evaluate(m, ds).token_accuracy > 0.9


def test_early_stopping_restores_the_best_weights():
    train = random_sequences(30, V=9, seed=2)          # noise: the validation loss soon rises
    val = random_sequences(10, V=9, seed=3)
    m = MLPAR(window=4, embedding_dim=8, hidden_layer_sizes=(64,), learning_rate=0.05, max_epochs=50,
              batch_size=16, n_iter_no_change=2, verbose=0, random_state=0, lr_schedule="constant")
    m.fit(train, validation_data=val)
    assert m.stop_reason_ == "early_stopping" and m.n_epochs_ < 50
    assert m.best_epoch_ == int(np.argmin(m.validation_loss_)) + 1
    assert m.loss(val) == pytest.approx(min(m.validation_loss_), rel=1e-5)


def test_validation_fraction_holds_out_sequences():
    m = MLPAR(**{**SMALL, "validation_fraction": 0.25, "max_epochs": 2}).fit(random_sequences(8))
    assert len(m.validation_loss_) == 2 and m.n_train_positions_ < sum(len(s) - 1 for s in random_sequences(8))


def test_max_time_and_callback_stop_training():
    seqs = random_sequences(20)
    m = MLPAR(**{**SMALL, "max_epochs": 1000, "max_time": 0.2, "batch_size": 4}).fit(seqs)
    assert m.stop_reason_ == "max_time" and m.n_epochs_ < 1000
    seen = []
    m = MLPAR(**{**SMALL, "max_epochs": 10}).fit(seqs, callback=lambda model, epoch: seen.append(epoch) or epoch == 3)
    assert seen == [1, 2, 3] and m.stop_reason_ == "callback"


def test_partial_fit_continues():
    seqs = pattern()
    m = MLPAR(**{**SMALL, "learning_rate": 0.02}).fit(seqs)
    before = m.loss(seqs)
    for _ in range(20):
        m.partial_fit(seqs)
    assert m.loss(seqs) < before and m.n_epochs_ == 21
    fresh = MLPAR(**SMALL).partial_fit(seqs)
    assert fresh.n_epochs_ == 1


def test_float32_by_default_and_sklearn_clone():
    m = MLPAR(**{**SMALL, "max_epochs": 1}).fit(random_sequences())
    assert m._P.theta.dtype == np.float32 and m.params_["E"].dtype == np.float32
    c = clone(m)
    assert c.get_params() == m.get_params() and not hasattr(c, "params_")


def test_progress_bar_is_silent_off_a_terminal(capsys):
    MLPAR(**{**SMALL, "verbose": 1}).fit(random_sequences())
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("params", [dict(context="window", offsets=(1, 3)), dict(context="causal")])
def test_save_load_round_trip(tmp_path, params):
    t = get_task("add-local", digits=2, width=4)
    ds = t.make_dataset(10, random_state=0)
    m = MLPAR(**{**SMALL, **params, "max_epochs": 2}).fit(ds)
    path = m.save(tmp_path / "m.npz")
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]                  # no temporary file left behind
    for back in (MLPAR.load(path), load_model(path)):
        assert np.array_equal(back.predict(ds), m.predict(ds))
        assert [o.tolist() for o in back.generate(ds, max_new_tokens=5)] == \
               [o.tolist() for o in m.generate(ds, max_new_tokens=5)]
        assert back.vocabulary_ == t.vocabulary and back.get_params() == m.get_params()
        assert back.loss_curve_ == m.loss_curve_
    back = MLPAR.load(path).partial_fit(ds)                            # trainable after loading
    assert back.n_epochs_ == 3


def test_load_model_dispatches_to_the_linear_loader(tmp_path):
    seqs = pattern()
    lin = PerceptronAR(window=2, random_state=0, max_iter=3).fit(seqs)
    back = load_model(lin.save(tmp_path / "lin.npz"))
    assert type(back).__name__ == "PerceptronAR" and np.array_equal(back.predict(seqs), lin.predict(seqs))


def test_load_errors(tmp_path):
    with pytest.raises(LearnerError, match="no model file"):
        MLPAR.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(LearnerError, match="not a saved learner"):
        MLPAR.load(bad)


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("params, match", [
    (dict(embedding_dim=0), "'embedding_dim' parameter of MLPAR must be an int in \\[1, inf\\). Got 0"),
    (dict(context="attention"), "'context' parameter"),
    (dict(window=0), "'window' parameter"),
    (dict(offsets=(1, 1)), "'offsets' parameter"),
    (dict(offsets=(0, 2)), "'offsets' parameter"),
    (dict(hidden_layer_sizes=(4, 0)), "'hidden_layer_sizes' parameter"),
    (dict(learning_rate=-1.0), "'learning_rate' parameter .* Got -1.0"),
    (dict(betas=(0.9,)), "'betas' parameter"),
    (dict(betas=(0.9, 1.0)), "'betas' parameter"),
    (dict(batch_size=0), "'batch_size' parameter"),
    (dict(lr_schedule="step"), "'lr_schedule' parameter"),
    (dict(warmup=1.0), "'warmup' parameter"),
    (dict(clip_norm=0.0), "'clip_norm' parameter"),
    (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
    (dict(early_stopping="yes"), "'early_stopping' parameter"),
    (dict(max_time=-3), "'max_time' parameter"),
    (dict(sampling="hard"), "'sampling' parameter"),
    (dict(dtype="float16"), "'dtype' parameter"),
    (dict(n_threads=0), "'n_threads' parameter"),
    (dict(activation="tanh"), "'activation' parameter"),
])
def test_bad_parameters(params, match):
    with pytest.raises(LearnerError, match=match):
        MLPAR(**{**SMALL, **params}).fit(random_sequences())


def test_identity_activation_makes_the_causal_model_linear_in_the_embeddings():
    """With no activation and no hidden layer, the logits at a position are a sum of one term per earlier
    token (plus biases): changing one context token changes the logits by a difference that does not depend
    on the other tokens."""
    m = MLPAR(**{**SMALL, "context": "causal", "hidden_layer_sizes": (), "activation": "identity",
                 "context_length": 5}).fit(random_sequences(lo=5, hi=6))
    relu = MLPAR(**{**SMALL, "context": "causal", "hidden_layer_sizes": (), "context_length": 5}).fit(
        random_sequences(lo=5, hi=6))

    def delta(model, other):
        a = model._causal_logits_last(np.array([[1, other, 3, 4]]))
        b = model._causal_logits_last(np.array([[2, other, 3, 4]]))
        return a - b

    assert np.allclose(delta(m, 5), delta(m, 6), atol=1e-5)
    assert not np.allclose(delta(relu, 5), delta(relu, 6), atol=1e-5)


def test_block_causal_layer_refuses_training_sequences_longer_than_its_context():
    with pytest.raises(LearnerError, match="more than the context length 4"):
        MLPAR(**{**SMALL, "context": "causal", "context_length": 4}).fit(random_sequences(lo=6))


def test_bad_data_and_state():
    with pytest.raises(NotFittedError):
        MLPAR().predict(random_sequences())
    with pytest.raises(LearnerError, match="no training positions"):
        MLPAR(**SMALL).fit((np.array([1, 2, 3], np.int32), np.array([0, 3]), np.zeros(3, np.uint8)))
    with pytest.raises(LearnerError, match="outside the vocabulary"):
        MLPAR(**SMALL).fit((np.array([1, -2, 3], np.int32), np.array([0, 3]), np.ones(3, np.uint8)))
    m = MLPAR(**SMALL).fit(random_sequences(V=5))
    with pytest.raises(VocabularyMismatchError):
        m.predict(random_sequences(V=9))
    with pytest.raises(LearnerError, match="prompt 0 must be 1-D token ids"):
        m.generate([[1, 99]], max_new_tokens=2)
    with pytest.raises(LearnerError, match="'max_new_tokens'"):
        m.generate([[1]], max_new_tokens=-1)
    a = MLPAR(**SMALL).fit(get_task("add-local", digits=2, width=4).make_dataset(3, random_state=0))
    with pytest.raises(VocabularyMismatchError):
        a.predict(get_task("mul-nocot", digits=2).make_dataset(3, random_state=0))
