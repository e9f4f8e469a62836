"""scikit-learn model selection over tmsim datasets: a Dataset and learners.Sequences slice by index arrays
into their own type (loss mask kept), so cross_val_score and GridSearchCV fit and score every learner on
folds whose prompt tokens are never scored; the estimator tags declare token-id input, and
parametrize_with_checks runs scikit-learn's checks with those tags (the ones that cannot apply to token
sequences listed, each with its reason)."""

import importlib.util

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from learners import MLPAR, LeastSquaresAR, PerceptronAR, Sequences, TransformerAR, as_sequences
from tmsim import zoo
from tmsim.datasets import Dataset, make_dataset

HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _learners():
    """Every learner, tiny (the whole file stays within a few CPU-seconds once numba has compiled)."""
    out = [PerceptronAR(window=2, random_state=0), LeastSquaresAR(window=2),
           MLPAR(window=2, embedding_dim=4, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)]
    if HAVE_TORCH:
        out.append(TransformerAR(n_layers=1, d_model=8, n_heads=1, max_steps=3, random_state=0))
    return out


# One grid per learner: a parameter each of them has (and that changes the model).
GRIDS = {"PerceptronAR": {"window": [1, 2]}, "LeastSquaresAR": {"window": [1, 2]}, "MLPAR": {"window": [1, 2]},
         "TransformerAR": {"d_model": [4, 8]}}


@pytest.fixture(scope="module")
def ds():
    return make_dataset(zoo.get("parity"), "transitions", n=12, lengths=(1, 4), random_state=0)


# ---------------------------------------------------------------------------------------------- slicing
def test_safe_indexing_keeps_a_dataset_a_dataset(ds):
    idx = np.array([5, 0, 7])
    for key in (idx, idx.tolist(), np.isin(np.arange(len(ds)), idx), slice(2, 9, 3)):
        part = _safe_indexing(ds, key)
        assert isinstance(part, Dataset)
        want = ds.select(key)
        assert part == want and np.array_equal(part.loss_mask, want.loss_mask)
    part = _safe_indexing(ds, idx)
    assert part.inputs == tuple(ds.inputs[i] for i in idx) and (part.kinds == 0).any()
    assert ds.shape == (12,) and len(ds[[]]) == 0 and ds[idx, ...] == ds[idx]


def test_sequences_slice_like_a_dataset(ds):
    seqs = as_sequences(ds)
    idx = np.array([3, 1, -1])
    for key in (idx, idx.tolist(), slice(1, 4), np.arange(12) % 2 == 0):
        part = _safe_indexing(seqs, key)
        assert isinstance(part, Sequences) and part.vocabulary == ds.vocabulary
        sub = as_sequences(ds.select(np.arange(12)[key]))
        assert np.array_equal(part.tokens, sub.tokens) and np.array_equal(part.kinds, sub.kinds)
        assert np.array_equal(part.offsets, sub.offsets)
    assert seqs.shape == (12,) and len(seqs[[]]) == 0
    with pytest.raises(IndexError, match=r"in \[-12, 11\]"):
        seqs[[12]]


def test_a_list_of_samples_keeps_its_loss_masks(ds):
    seqs = as_sequences([ds[2], ds[0]])
    want = as_sequences(ds[[2, 0]])
    assert np.array_equal(seqs.kinds, want.kinds) and np.array_equal(seqs.tokens, want.tokens)
    assert seqs.vocabulary == ds.vocabulary and (seqs.kinds == 0).sum() > 2  # whole prompts, not one token


def test_2d_integer_arrays_are_one_sequence_per_row():
    X = np.array([[1, 2, 3], [3, 2, 1]])
    seqs = as_sequences(X)
    assert seqs.offsets.tolist() == [0, 3, 6] and seqs.kinds.tolist() == [0, 1, 1, 0, 1, 1]
    with pytest.raises(ValueError, match="2-D integer token ids.*float64"):
        as_sequences(X.astype(float))


# ---------------------------------------------------------------------------------------------- model selection
def _mask_checking_scorer(seen):
    """A scorer that asserts each test fold arrives as a Dataset and that only its loss-masked positions are
    scored (the prompt never is), then scores as the estimator does."""

    def scorer(est, X, y=None):
        assert isinstance(X, Dataset), type(X)
        n_pred = len(est.predict(X))
        assert n_pred == int(X.loss_mask.sum()) < X.n_tokens  # prompt tokens are not scored
        seen.append(n_pred)
        return est.score(X)

    return scorer


@pytest.mark.parametrize("est", _learners(), ids=lambda e: type(e).__name__)
def test_cross_val_score_fits_and_scores_folds_of_a_dataset(ds, est):
    seen = []
    cv = KFold(3)
    scores = cross_val_score(est, ds, cv=cv, scoring=_mask_checking_scorer(seen), error_score="raise")
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert sum(seen) == int(ds.loss_mask.sum())  # every masked position scored once, nothing else
    # The default scorer (est.score) gives the same numbers: the same folds, the same mask.
    assert np.allclose(cross_val_score(est, ds, cv=cv, error_score="raise"), scores)
    train, test = next(cv.split(np.zeros(len(ds))))
    fitted = type(est)(**est.get_params()).fit(ds[train])
    assert scores[0] == pytest.approx(fitted.score(ds[test]))


@pytest.mark.parametrize("est", _learners(), ids=lambda e: type(e).__name__)
def test_grid_search_cv_over_a_dataset(ds, est):
    grid = GRIDS[type(est).__name__]
    search = GridSearchCV(est, grid, cv=2, error_score="raise").fit(ds)
    assert set(search.best_params_) == set(grid) and len(search.cv_results_["params"]) == 2
    assert 0.0 < search.best_score_ <= 1.0 and search.best_estimator_.score(ds) > 0.0


def test_tags_declare_token_id_input():
    for est in _learners():
        tags = get_tags(est)
        it = tags.input_tags
        assert (it.two_d_array, it.categorical, it.positive_only, it.allow_nan, it.sparse, it.string) == \
            (True, True, True, False, False, False)
        assert tags.target_tags.required is False and tags.estimator_type is None


# ---------------------------------------------------------------------------------------------- estimator checks
#: The checks of scikit-learn that cannot apply to token-id sequences, with the reason (the same for every
#: learner; strict: a check that starts passing fails the test, so the list stays true).
EXPECTED_FAILED = {
    "check_n_features_in_after_fitting": "token sequences have no fixed number of features: rows are sequences "
                                         "of any length, so n_features_in_ is not set",
    "check_n_features_in": "no n_features_in_ (sequences of any length, see above)",
    "check_positive_only_tag_during_fit": "negative ids are refused as tokens outside the vocabulary, not with "
                                          "scikit-learn's 'Negative values in data' wording",
    "check_estimators_dtypes": "token ids are integers: float arrays are refused, never rounded to ids",
    "check_complex_data": "complex arrays are refused as non-integer token ids (the learners' message)",
    "check_dtype_object": "object arrays are refused as non-integer token ids",
    "check_estimators_nan_inf": "NaN and inf can only sit in float arrays, which are refused as non-integer ids",
    "check_estimators_empty_data_messages": "an array without columns is refused as having no training "
                                            "positions, not with scikit-learn's '0 feature(s)' wording",
    "check_methods_sample_order_invariance": "predict returns one next token per loss-masked position (flat, in "
                                             "token order), not one value per sample",
    "check_fit2d_1feature": "a one-token sequence has no next token to learn (no training positions)",
    "check_fit2d_predict1d": "a 1-D array is refused: it is ambiguous (one sequence, or one token per sample)",
}


@parametrize_with_checks(_learners(), expected_failed_checks=lambda est: EXPECTED_FAILED, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
