"""learners: linear auto-regressive next-token predictors over one-hot windows, a numpy MLP, greedy rollouts
and evaluation. (The arithmetic and parity CoT tasks they learn are dataset makers: :mod:`tmsim.datasets.tasks`.)"""

from .base import ARModel, load_model, register_model_format
from .compile import CompiledModel, compile_linear
from .data import Sequences, as_sequences
from .evaluate import Evaluation, evaluate
from .errors import LearnerError, NotFittedError, VocabularyMismatchError
from .linear import LeastSquaresAR, LinearAR, PerceptronAR
from .mlp import MLPAR
from .transformer import TransformerAR

__all__ = ["ARModel", "register_model_format", "evaluate", "Evaluation", "LeastSquaresAR", "PerceptronAR", "LinearAR", "load_model", "Sequences", "as_sequences", "LearnerError",
           "NotFittedError", "VocabularyMismatchError", "compile_linear", "CompiledModel",
           "MLPAR", "TransformerAR"]
