"""Learner (linear): linear auto-regressive next-token predictors over implicit one-hot windows (ridge least
squares and the multiclass perceptron), scikit-learn compatible, with greedy rollouts; and :class:`LinearAR`,
one given by its weights."""

from ..base import load_model
from .base import LinearAR
from .features import PAD
from .least_squares import LeastSquaresAR
from .perceptron import PerceptronAR

__all__ = ["LeastSquaresAR", "PerceptronAR", "LinearAR", "load_model", "PAD"]
