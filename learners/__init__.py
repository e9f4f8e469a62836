"""learners: auto-regressive next-token predictors -- linear learners over one-hot windows (least squares,
perceptron), a numpy MLP, a PyTorch transformer (optional extra), machines compiled into linear weights --
with greedy rollouts, evaluation and feature discovery. (The arithmetic and parity CoT tasks they learn are
dataset makers: :mod:`tmsim.datasets.tasks`.)

The package imports its modules on first use of a name (``learners.PerceptronAR`` imports
:mod:`learners.linear`), so ``learners --help`` and ``import learners`` stay fast; every name below is
importable as ``from learners import NAME``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Public name -> the submodule that defines it.
_WHERE = {
    "ARModel": "base", "load_model": "base", "register_model_format": "base",
    "CompiledModel": "compile", "compile_linear": "compile",
    "Sequences": "data", "as_sequences": "data",
    "DiscoveryReport": "discovery", "discover_layout": "discovery",
    "Evaluation": "evaluate", "evaluate": "evaluate",
    "LearnerError": "errors", "NotFittedError": "errors", "VocabularyMismatchError": "errors",
    "LeastSquaresAR": "linear", "LinearAR": "linear", "PerceptronAR": "linear",
    "MLPAR": "mlp",
    "TransformerAR": "transformer",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'learners' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The package's module type: when the import system binds a submodule whose name is also a public name
    (``learners.evaluate``, the module, vs :func:`learners.evaluate`, the function), the public name wins,
    as it did when this package imported everything eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

