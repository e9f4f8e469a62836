"""Machine -> linear weights: :func:`compile_linear` turns a Turing machine's transition table into an explicit
linear next-token predictor (:class:`CompiledModel`) whose greedy rollout reproduces the machine's trace."""

from .construct import _triple_semantics, compile_linear
from .model import DENSE_LIMIT_BYTES, CompiledModel

__all__ = ["compile_linear", "CompiledModel", "DENSE_LIMIT_BYTES"]
