"""Learner: :class:`TransformerAR`, a causal decoder-only transformer in PyTorch (the optional extra
``pip install ".[torch]"``; this package imports without it), with learned positions or Hard-ALiBi; its
files (format ``learners-transformer-ar``) load with :func:`learners.load_model`."""

from ..base import register_model_format
from ._io import FORMAT, from_arrays
from .model import TransformerAR, require_torch

__all__ = ["TransformerAR", "FORMAT", "require_torch"]

register_model_format(FORMAT, from_arrays)
