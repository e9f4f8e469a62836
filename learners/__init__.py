"""learners: linear auto-regressive next-token predictors over one-hot windows, greedy rollouts and
evaluation."""

from .compile import CompiledModel, compile_linear
from .data import Sequences, as_sequences
from .evaluate import Evaluation, evaluate
from .errors import LearnerError, NotFittedError, VocabularyMismatchError
from .linear import LeastSquaresAR, LinearAR, PerceptronAR, load_model

__all__ = ["evaluate", "Evaluation", "LeastSquaresAR", "PerceptronAR", "LinearAR", "load_model", "Sequences", "as_sequences", "LearnerError",
           "NotFittedError", "VocabularyMismatchError", "compile_linear", "CompiledModel"]
