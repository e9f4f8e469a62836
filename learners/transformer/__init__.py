"""Learner: :class:`TransformerAR`, a causal decoder-only transformer in PyTorch (the optional extra
``pip install ".[torch]"``; this package imports without it), with learned positions or Hard-ALiBi."""

from ._io import FORMAT
from .model import TransformerAR, require_torch

__all__ = ["TransformerAR", "FORMAT", "require_torch"]
