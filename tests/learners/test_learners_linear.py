"""Linear AR learners: kernels == references, exact least squares, perceptron convergence, rollouts,
scikit-learn compatibility, persistence and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.base import clone

from learners import LeastSquaresAR, LearnerError, NotFittedError, PerceptronAR, as_sequences, load_model
from tmsim.encodings import PositionLayout
from tmsim.encodings.layout import LayoutError
from learners import _kernels, _reference


@st.composite
def token_data(draw, max_seqs=5, max_len=12, max_vocab=6):
    V = draw(st.integers(2, max_vocab))
    n = draw(st.integers(1, max_seqs))
    seqs, kinds = [], []
    for _ in range(n):
        L = draw(st.integers(0, max_len))
        seqs.append(np.array(draw(st.lists(st.integers(0, V - 1), min_size=L, max_size=L)), dtype=np.int32))
        kinds.append(np.array(draw(st.lists(st.integers(0, 2), min_size=L, max_size=L)), dtype=np.uint8))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seqs], out=offsets[1:])
    tokens = np.concatenate(seqs) if seqs else np.zeros(0, np.int32)
    return tokens.astype(np.int32), offsets, np.concatenate(kinds).astype(np.uint8), V


window_offsets = st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True).map(
    lambda x: np.array(x, dtype=np.int64))


periods = st.sampled_from([(1, 1), (2, 2), (3, 3), (0, 4)])  # (kernel period, number of classes)


def draw_layout(draw, period, k):
    """(kernel period, class map, number of blocks, use mask): the periodic forms may map residues to
    shared blocks, and every block may read only some offsets."""
    p, C = period
    classes = np.zeros(0, np.int64)
    if p > 0 and draw.draw(st.booleans()):
        C = draw.draw(st.integers(1, p))
        classes = np.array(draw.draw(st.lists(st.integers(0, C - 1), min_size=p, max_size=p)), np.int64)
    use = np.array(draw.draw(st.lists(st.integers(0, 1), min_size=C * k, max_size=C * k)), np.uint8).reshape(C, k)
    return p, classes, C, use


@given(token_data(), window_offsets, st.integers(1, 3), periods, st.data())
def test_gram_kernel_equals_reference(data, offs, n_chunks, period, draw):
    tokens, offsets, kinds, V = data
    D = len(offs) * V
    p, classes, C, use = draw_layout(draw, period, len(offs))
    out = []
    for impl, chunks in ((_kernels, n_chunks), (_reference, n_chunks)):
        G, B = np.zeros((chunks, C, D, D)), np.zeros((chunks, C, D, V))
        n = impl.gram_accumulate(tokens, offsets, kinds, offs, V, 0, p, classes, use, G, B)
        out.append((n, G.sum(0), B.sum(0)))
    assert out[0][0] == out[1][0] == np.count_nonzero(kinds)
    np.testing.assert_array_equal(out[0][1], out[1][1])
    np.testing.assert_array_equal(out[0][2], out[1][2])


@given(token_data(), window_offsets, periods, st.data())
def test_predict_and_perceptron_kernels_equal_references(data, offs, period, draw):
    tokens, offsets, kinds, V = data
    D = len(offs) * V
    p, classes, C, use = draw_layout(draw, period, len(offs))
    margin = draw.draw(st.sampled_from([0.0, 0.5, 3.0]))
    with_gaps = draw.draw(st.booleans())
    # Integer weights: sums are exact, so argmax ties break identically.
    W = np.array(draw.draw(st.lists(st.integers(-3, 3), min_size=C * D * V, max_size=C * D * V)),
                 float).reshape(C, D, V)
    bias = np.array(draw.draw(st.lists(st.integers(-2, 2), min_size=C * V, max_size=C * V)), float).reshape(C, V)
    res = []
    for impl in (_kernels, _reference):
        n = impl.count_windows(offsets, kinds)
        pos = np.empty(n, np.int64)
        impl.list_windows(offsets, kinds, pos)
        pred = np.empty(n, np.int32)
        impl.predict_windows(tokens, offsets, pos, offs, V, 0, p, classes, use, W, bias, pred)
        W2, b2, U, ub = W.copy(), bias.copy(), np.zeros_like(W), np.zeros((C, V))
        order = pos[::-1].copy()
        gaps = np.zeros(len(order) if with_gaps else 0)
        m = impl.perceptron_epoch(tokens, offsets, order, offs, V, 0, p, classes, use, W2, b2, U, ub, 1, margin,
                                  gaps)
        res.append((pos, pred, m, W2, b2, U, ub, gaps))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@given(token_data(max_len=6), window_offsets, st.integers(0, 5), periods, st.data())
def test_rollout_kernel_equals_reference(data, offs, max_new, period, draw):
    tokens, offsets, kinds, V = data
    D = len(offs) * V
    p, classes, C, use = draw_layout(draw, period, len(offs))
    W = np.array(draw.draw(st.lists(st.integers(-3, 3), min_size=C * D * V, max_size=C * D * V)),
                 float).reshape(C, D, V)
    bias = np.zeros((C, V))
    width = int(np.diff(offsets).max(initial=0)) + max_new
    outs = []
    for impl in (_kernels, _reference):
        out = np.zeros((len(offsets) - 1, max(width, 1)), np.int32)
        out_len = np.zeros(len(offsets) - 1, np.int64)
        impl.rollout(tokens, offsets, offs, V, 0, p, classes, use, W, bias, 1, max_new, out, out_len)
        outs.append((out, out_len))
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    for s, L in enumerate(outs[0][1]):
        np.testing.assert_array_equal(outs[0][0][s, :L], outs[1][0][s, :L])


def _dense(seqs, offs, V):
    pos = np.flatnonzero(seqs.kinds)
    starts = np.repeat(seqs.offsets[:-1], np.diff(seqs.offsets))[pos]
    X = np.zeros((len(pos), len(offs) * V))
    for i, o in enumerate(offs):
        src = pos - o
        tok = np.where(src >= starts, seqs.tokens[np.maximum(src, 0)], 0)
        X[np.arange(len(pos)), i * V + tok] = 1
    return X, seqs.tokens[pos]


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.1, 1.0, 10.0]), st.booleans())
def test_least_squares_equals_dense_ridge(seed, alpha, fit_intercept):
    rng = np.random.default_rng(seed)
    V, k = 5, 3
    seqs = as_sequences([rng.integers(1, V, size=rng.integers(2, 15)).astype(np.int32) for _ in range(12)],
                        vocab_size=V)
    m = LeastSquaresAR(window=k, alpha=alpha, fit_intercept=fit_intercept).fit(seqs)
    X, y = _dense(seqs, np.arange(1, k + 1), V)
    Y = np.eye(V)[y]
    if fit_intercept:
        mu, ybar = X.mean(0), Y.mean(0)
        W = np.linalg.solve((X - mu).T @ (X - mu) + alpha * np.eye(k * V), (X - mu).T @ (Y - ybar))
        b = ybar - mu @ W
    else:
        W, b = np.linalg.solve(X.T @ X + alpha * np.eye(k * V), X.T @ Y), np.zeros(V)
    np.testing.assert_allclose(m.coef_[0], W, atol=1e-8)
    np.testing.assert_allclose(m.intercept_[0], b, atol=1e-8)


def test_least_squares_matches_sklearn_ridge_classifier():
    from sklearn.linear_model import RidgeClassifier

    rng = np.random.default_rng(0)
    seqs = as_sequences([rng.integers(1, 6, size=30).astype(np.int32) for _ in range(40)], vocab_size=6)
    m = LeastSquaresAR(window=4, alpha=1.0).fit(seqs)
    X, y = _dense(seqs, np.arange(1, 5), 6)
    r = RidgeClassifier(alpha=1.0, solver="cholesky").fit(X, y)
    np.testing.assert_array_equal(r.predict(X), m.predict(seqs))


def test_partial_fit_in_chunks_equals_one_fit():
    rng = np.random.default_rng(1)
    data = [rng.integers(1, 5, size=20).astype(np.int32) for _ in range(30)]
    whole = LeastSquaresAR(window=3).fit(as_sequences(data, vocab_size=5))
    part = LeastSquaresAR(window=3)
    for i in range(0, 30, 7):
        part.partial_fit(as_sequences(data[i:i + 7], vocab_size=5))
    np.testing.assert_allclose(part.coef_, whole.coef_, atol=1e-9)
    assert part.n_windows_ == whole.n_windows_


def counter_sequences(n, rng, V=7):
    """A realisable task: each token is the previous plus one (mod V-1), from a random start."""
    out = []
    for _ in range(n):
        x = [int(rng.integers(1, V))]
        for _ in range(int(rng.integers(3, 12))):
            x.append(x[-1] % (V - 1) + 1)
        out.append(np.array(x, dtype=np.int32))
    return out


@pytest.mark.parametrize("averaged", [True, False])
def test_perceptron_converges_and_rolls_out_exactly(averaged):
    rng = np.random.default_rng(2)
    train = counter_sequences(30, rng)
    m = PerceptronAR(window=2, averaged=averaged, random_state=0).fit(train)
    assert m.converged_ and m.mistakes_[-1] == 0 and m.score(train) == 1.0
    test = counter_sequences(10, rng)
    for seq, out in zip(test, m.generate([s[:1] for s in test], max_new_tokens=30, eos=-1)):
        expected = [seq[0]]
        while len(expected) < len(out):
            expected.append(expected[-1] % 6 + 1)
        np.testing.assert_array_equal(out, expected)


def test_same_seed_same_model_and_clone():
    train = counter_sequences(20, np.random.default_rng(3))
    a = PerceptronAR(window=3, random_state=7).fit(train)
    b = clone(a).fit(train)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert clone(a).get_params() == a.get_params() and not hasattr(clone(a), "coef_")


def test_save_and_load_round_trip(tmp_path):
    train = counter_sequences(20, np.random.default_rng(4))
    m = LeastSquaresAR(window=2, alpha=0.5).fit(train)
    path = m.save(tmp_path / "model.npz")
    m2 = load_model(path)
    assert isinstance(m2, LeastSquaresAR) and m2.get_params() == m.get_params()
    np.testing.assert_array_equal(m2.predict(train), m.predict(train))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_bad_input_gives_clear_errors(tmp_path):
    train = counter_sequences(5, np.random.default_rng(5))
    with pytest.raises(LearnerError, match="'window' parameter of PerceptronAR must be an int in \\[1, inf\\). Got 0"):
        PerceptronAR(window=0).fit(train)
    with pytest.raises(LearnerError, match="'alpha'"):
        LeastSquaresAR(alpha=-1).fit(train)
    with pytest.raises(LearnerError, match="'offsets'"):
        LeastSquaresAR(offsets=(0, 1)).fit(train)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LeastSquaresAR().predict(train)
    with pytest.raises(LearnerError, match="empty"):
        LeastSquaresAR().fit([])
    with pytest.raises(LearnerError, match="token 9 at position 2 is outside the vocabulary \\[0, 5\\)"):
        as_sequences([np.array([1, 2, 9])], vocab_size=5)
    m = LeastSquaresAR(window=2).fit(train)
    with pytest.raises(LearnerError, match="token ids"):
        m.predict([np.array([1, 2, 50])])
    with pytest.raises(LearnerError, match="no model file"):
        load_model(tmp_path / "missing.npz")
    with pytest.raises(LearnerError, match="no training positions"):
        LeastSquaresAR().fit((np.array([1, 2], np.int32), np.array([0, 2]), np.zeros(2, np.uint8)))


@given(token_data(), window_offsets, st.data())
def test_gram_shift_kernel_equals_dense_reference(data, offs, draw):
    """The shift-structured Gram kernel equals the dense reference on suffix masks."""
    from learners.linear.least_squares import _lag_groups

    tokens, offsets, _, V = data
    lens = np.diff(offsets)
    first = np.array([draw.draw(st.integers(0, int(L))) for L in lens], dtype=np.int64)
    D = len(offs) * V
    pair_i, pair_j, groups = _lag_groups(offs)
    out = []
    for impl in (_kernels, _reference):
        G, B = np.zeros((D, D)), np.zeros((D, V))
        n = impl.gram_shift(tokens, offsets, first, offs, V, 0, pair_i, pair_j, groups, G, B)
        out.append((n, G, B))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])
    np.testing.assert_array_equal(out[0][2], out[1][2])


def test_evaluate_metrics_against_hand_counts():
    from learners.evaluate import evaluate  # (`from learners import evaluate` can return the submodule)

    rng = np.random.default_rng(6)
    train = counter_sequences(30, rng)
    model = PerceptronAR(window=1, random_state=0).fit(train)
    # Corrupt two test sequences at a known place: the model must miss exactly there.
    test = counter_sequences(6, rng)
    test = [t for t in test if len(t) >= 5][:4]
    bad = [t.copy() for t in test]
    bad[0][3] = bad[0][2]  # teacher-forced error at position 3 (and 4, whose context changed)
    bad[1][-1] = bad[1][-2]
    seqs = as_sequences(bad, vocab_size=7)
    ev = evaluate(model, seqs)
    n_targets = sum(len(t) - 1 for t in bad)
    wrong = int(np.sum(model.predict(seqs) != model.targets(seqs)))
    assert ev.token_accuracy == pytest.approx(1 - wrong / n_targets)
    assert ev.sequence_error == pytest.approx(2 / 4)
    assert ev.exact_match == pytest.approx(2 / 4)
    assert ev.first_error.tolist()[:2] == [2, len(bad[1]) - 2]  # counted from the end of the 1-token prompt
    assert ev.teacher_forced_first_error.tolist()[:2] == [2, len(bad[1]) - 2]
    assert ev.first_error.tolist()[2:] == [-1, -1]


@pytest.mark.parametrize("model", [LeastSquaresAR(window=1, alpha=1e-3), PerceptronAR(window=1, random_state=0)])
def test_position_classes_learn_what_one_shared_block_cannot(model):
    """In 1 2 1 3 1 2 1 3 ..., the token after a '1' depends on the position modulo 4: a window of one token
    with one shared block cannot know it; one block per position modulo 4, or per absolute position, can."""
    seqs = [np.array([1, 2, 1, 3] * 4, dtype=np.int32)] * 3
    shared = clone(model).fit(seqs)
    periodic = clone(model).set_params(layout=PositionLayout(period=4, classes=(0, 1, 2, 3))).fit(seqs)
    timed = clone(model).set_params(layout=PositionLayout.time_dependent()).fit(seqs)
    assert shared.score(seqs) < 1.0
    assert periodic.score(seqs) == 1.0 and periodic.coef_.shape[0] == 4
    assert timed.score(seqs) == 1.0 and timed.coef_.shape[0] == 16
    out = periodic.generate([[1]], max_new_tokens=7)[0]
    np.testing.assert_array_equal(out, [1, 2, 1, 3, 1, 2, 1, 3])


@given(token_data())
def test_suffix_starts_kernel_equals_reference(data):
    tokens, offsets, kinds, V = data
    a, b = np.empty(len(offsets) - 1, np.int64), np.empty(len(offsets) - 1, np.int64)
    assert _kernels.suffix_starts(offsets, kinds, a) == _reference.suffix_starts(offsets, kinds, b)
    np.testing.assert_array_equal(a, b)


@given(token_data(), window_offsets, st.data())
def test_gram_matvec_and_xty_kernels_equal_references(data, offs, draw):
    tokens, offsets, kinds, V = data
    D = len(offs) * V
    P = np.array(draw.draw(st.lists(st.integers(-3, 3), min_size=D * 2, max_size=D * 2)), float).reshape(D, 2)
    res = []
    for impl in (_kernels, _reference):
        n = impl.count_windows(offsets, kinds)
        pos = np.empty(n, np.int64)
        impl.list_windows(offsets, kinds, pos)
        out = np.zeros((2, D, 2))
        impl.gram_matvec(tokens, offsets, pos, offs, V, 0, P, out)
        counts, B = np.zeros(D), np.zeros((D, V))
        m = impl.xty_accumulate(tokens, offsets, kinds, offs, V, 0, counts, B)
        res.append((out.sum(0), counts, B, m))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cg_solver_equals_cholesky(fit_intercept):
    rng = np.random.default_rng(8)
    seqs = as_sequences([rng.integers(1, 7, size=rng.integers(5, 30)).astype(np.int32) for _ in range(40)],
                        vocab_size=7)
    chol = LeastSquaresAR(window=4, alpha=0.5, fit_intercept=fit_intercept, solver="cholesky").fit(seqs)
    cg = LeastSquaresAR(window=4, alpha=0.5, fit_intercept=fit_intercept, solver="cg", tol=1e-20).fit(seqs)
    assert cg.solver_ == "cg" and 0 < cg.n_cg_iter_ < 2000
    np.testing.assert_allclose(cg.coef_, chol.coef_, atol=1e-7)
    np.testing.assert_allclose(cg.intercept_, chol.intercept_, atol=1e-7)
    with pytest.raises(LearnerError, match="all the data in one fit"):
        cg.partial_fit(seqs)
    with pytest.raises(LearnerError, match="'solver'"):
        LeastSquaresAR(solver="qr").fit(seqs)


# ------------------------------------------------------------------ position classes, class offsets, compact
def _class_sequences(n, rng):
    """Period-4 sequences ``a a f(a) f(a) a a f(a) f(a) ...``: residue 0 repeats the token 4 back, residue 1
    the token 1 back, and residues 2 and 3 (one shared block) read ``a`` 2 or 3 back."""
    out = []
    for _ in range(n):
        a = int(rng.integers(1, 4))
        out.append(np.array([a, a, 4 + a % 3, 4 + a % 3] * int(rng.integers(2, 5)), dtype=np.int32))
    return out


@pytest.mark.parametrize("model", [PerceptronAR(random_state=0), LeastSquaresAR(alpha=1e-3)])
def test_class_offsets_restrict_each_block_to_its_offsets(model):
    rng = np.random.default_rng(0)
    train = _class_sequences(30, rng)
    classes, class_offsets = (0, 1, 2, 2), ((4,), (1,), (2, 3))
    m = clone(model).set_params(layout=PositionLayout(period=4, classes=classes, offsets=class_offsets)).fit(train)
    assert m.coef_.shape[0] == 3 and m.offsets_.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(m.use_, [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 1, 0]])
    V = m.vocab_size_
    for c, offs in enumerate(class_offsets):
        for i, o in enumerate(m.offsets_):
            if o not in offs:  # a block never learns from the offsets it does not read
                assert not m.coef_[c, i * V:(i + 1) * V].any()
    test = _class_sequences(10, rng)
    assert m.score(train) == 1.0 and m.score(test) == 1.0
    assert clone(m).get_params()["layout"].offsets == class_offsets


def test_class_offsets_save_load_and_bad_values(tmp_path):
    train = _class_sequences(20, np.random.default_rng(1))
    m = PerceptronAR(layout=PositionLayout(period=4, classes=(0, 1, 2, 2), offsets=((4,), (1,), (2, 3))),
                     compact=True, margin=2.0, random_state=0).fit(train)
    m2 = load_model(m.save(tmp_path / "m.npz"))
    assert m2.get_params() == m.get_params()
    np.testing.assert_array_equal(m2.predict(train), m.predict(train))
    np.testing.assert_array_equal(m2.use_, m.use_)
    np.testing.assert_array_equal(m2.token_ids_, m.token_ids_)
    # The layout's fields are checked when it is built (LayoutError is a ValueError, as LearnerError).
    with pytest.raises(LayoutError, match="'classes' field of PositionLayout must be a sequence of period=4"):
        PerceptronAR(layout=PositionLayout(period=4, classes=(0, 1))).fit(train)
    with pytest.raises(LayoutError, match="'classes' field of PositionLayout must be empty .* when period is None"):
        PerceptronAR(layout=PositionLayout(period=None, classes=(0, 1))).fit(train)
    with pytest.raises(LayoutError, match="'offsets' field of PositionLayout must be None or a sequence of 3"):
        PerceptronAR(layout=PositionLayout(period=4, classes=(0, 1, 2, 2), offsets=((1,), (2,)))).fit(train)
    with pytest.raises(LayoutError, match="'offsets'"):
        PerceptronAR(layout=PositionLayout(period=4, classes=(0, 1, 2, 2), offsets=((1,), (0,), (2,)))).fit(train)
    with pytest.raises(LearnerError, match="'layout' parameter of PerceptronAR must be a tmsim.encodings.Position"):
        PerceptronAR(layout={"period": 4}).fit(train)
    with pytest.raises(LearnerError, match="'margin' parameter of PerceptronAR must be a float in \\[0, inf\\)"):
        PerceptronAR(margin=-1).fit(train)


@pytest.mark.parametrize("model", [PerceptronAR(window=2, random_state=0), LeastSquaresAR(window=2, alpha=1e-3)])
def test_compact_weights_cover_only_seen_tokens(model):
    """compact=True: weights over the seen tokens (plus one id for the others); predictions and rollouts in
    vocabulary ids; an unseen token in a prompt is read as 'unseen', never emitted."""
    V = 50
    train = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3], dtype=np.int32)] * 3 + [np.array([V - 1], dtype=np.int32)]
    full = clone(model).fit(train)
    small = clone(model).set_params(compact=True).fit(train)
    assert small.token_ids_.tolist() == [0, 1, 2, 3, V - 1]
    assert small.coef_.shape == (1, 2 * 6, 5) and full.coef_.shape == (1, 2 * V, V)
    np.testing.assert_array_equal(small.predict(train), full.predict(train))
    assert small.generate([[1, 2]], max_new_tokens=4)[0].tolist() == [1, 2, 3, 1, 2, 3]
    out = small.generate([[7, 2]], max_new_tokens=3)[0]          # 7 was never seen
    assert out[0] == 7 and set(out[1:].tolist()) <= set(small.token_ids_.tolist())


@pytest.mark.parametrize("shrinking", [False, True])
def test_margin_perceptron_leaves_a_margin_on_every_training_position(shrinking):
    """Converged means a full pass without update, so every window has the margin, shrinking or not."""
    train = counter_sequences(20, np.random.default_rng(6))
    m = PerceptronAR(window=2, margin=5.0, averaged=False, shrinking=shrinking, random_state=0).fit(train)
    assert m.converged_ and m.weights_ == "last" and m.mistakes_[-1] == 0
    seqs = as_sequences(train)
    pos = np.flatnonzero(seqs.kinds)
    starts = np.repeat(seqs.offsets[:-1], np.diff(seqs.offsets))[pos]
    V = m.vocab_size_
    scores = np.tile(m.intercept_[0], (len(pos), 1))
    for i, o in enumerate(m.offsets_):
        tok = np.where(pos - o >= starts, seqs.tokens[np.maximum(pos - o, 0)], 0)
        scores += m.coef_[0][i * V + tok]
    y = seqs.tokens[pos]
    top = scores[np.arange(len(pos)), y]
    scores[np.arange(len(pos)), y] = -np.inf
    assert (top - scores.max(axis=1) >= 5.0).all()


def test_save_with_a_generator_random_state(tmp_path):
    """A Generator random_state is saved as None (it is not needed to predict), not a JSON error."""
    train = _class_sequences(10, np.random.default_rng(2))
    m = PerceptronAR(window=2, random_state=np.random.default_rng(0)).fit(train)
    m2 = load_model(m.save(tmp_path / "g.npz"))
    assert m2.random_state is None
    np.testing.assert_array_equal(m2.predict(train), m.predict(train))


def _distinct_reference(tokens, offsets, positions, offs, pad, period, classes, use, n_blocks):
    """Plain Python: the first position of every distinct (block, used window tokens, target)."""
    seen, out = set(), []
    for t in positions:
        start = offsets[np.searchsorted(offsets, t, side="right") - 1]
        rel = t - start
        c = (classes[rel % period] if len(classes) else rel % period) if period > 0 else min(rel, n_blocks - 1)
        key = (int(c), tuple(int(tokens[t - o]) if t - o >= start else pad for i, o in enumerate(offs)
                             if use[c, i]), int(tokens[t]))
        if key not in seen:
            seen.add(key)
            out.append(int(t))
    return out


@settings(max_examples=60, deadline=None)
@given(token_data(), window_offsets, periods, st.data())
def test_distinct_windows_equal_a_plain_python_dedupe(data, offs, period, draw):
    tokens, offsets, kinds, V = data
    p, classes, C, use = draw_layout(draw, period, len(offs))
    pos = np.flatnonzero(kinds).astype(np.int64)
    draw.draw(st.randoms()).shuffle(pos)  # any order: the first of each example in that order is kept
    m = PerceptronAR(offsets=tuple(int(o) for o in offs))
    m.offsets_, m.use_, m.kernel_period_, m.kernel_classes_, m.vocab_size_, m.token_ids_ = \
        offs, use, p, classes, V, None
    seqs = as_sequences((tokens, offsets, kinds), vocab_size=V)
    got = m._distinct_windows(seqs, pos, C).tolist()
    assert got == _distinct_reference(tokens, offsets, pos, offs, 0, p, classes, use, C)


@pytest.mark.parametrize("shrinking", [False, True])
def test_distinct_perceptron_fits_every_training_window(shrinking):
    """distinct=True trains on far fewer windows and still has every training position right, with the
    margin; the model is saved and loaded with its flag."""
    from tmsim.datasets import make_dataset
    data = make_dataset("zoo:parity", "tableau-triples", n=60, lengths=(1, 6), width=10, random_state=0)
    kw = dict(layout=data.layout, margin=10.0, compact=True, shrinking=shrinking, max_iter=1000, random_state=0)
    every, few = PerceptronAR(**kw).fit(data), PerceptronAR(distinct=True, **kw).fit(data)
    assert every.converged_ and few.converged_
    assert few.n_windows_ * 5 < every.n_windows_ == int(np.count_nonzero(data.kinds))
    assert few.score(data) == 1.0 and few.evaluate(data).exact_match == 1.0
    assert few.get_params()["distinct"] is True
