"""Errors of the learners package: bad input is a ``ValueError`` naming the parameter, what was expected
and what was given."""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SkNotFitted

__all__ = ["LearnerError", "VocabularyMismatchError", "NotFittedError"]


class LearnerError(ValueError):
    """Bad input to a learner: a parameter out of range, malformed or empty data, a wrong shape."""


class VocabularyMismatchError(LearnerError):
    """A model and a dataset (or two datasets) use different vocabularies."""


class NotFittedError(_SkNotFitted):
    """A model was used before ``fit`` (also a scikit-learn ``NotFittedError``)."""
