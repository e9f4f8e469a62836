"""Learner (MLP): :class:`MLPAR`, an auto-regressive MLP next-token predictor in pure numpy (window or
block-causal context), scikit-learn compatible, with the model protocol of :class:`learners.base.ARModel`."""

from ..base import load_model
from ._layers import _softmax_xent
from .model import MLPAR

__all__ = ["MLPAR", "load_model"]
