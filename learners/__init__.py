"""learners: linear auto-regressive next-token predictors over one-hot windows, a numpy MLP, arithmetic CoT
tasks, greedy rollouts and evaluation."""

from .compile import CompiledModel, compile_linear
from .data import Sequences, as_sequences
from .evaluate import Evaluation, evaluate
from .errors import LearnerError, NotFittedError, VocabularyMismatchError
from .linear import LeastSquaresAR, LinearAR, PerceptronAR, load_model
from .mlp import MLPAR
from .tasks import TASKS, Task, get_task, make_task_dataset

__all__ = ["evaluate", "Evaluation", "LeastSquaresAR", "PerceptronAR", "LinearAR", "load_model", "Sequences", "as_sequences", "LearnerError",
           "NotFittedError", "VocabularyMismatchError", "compile_linear", "CompiledModel",
           "MLPAR", "TASKS", "Task", "get_task", "make_task_dataset"]
