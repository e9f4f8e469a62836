"""Tokens -> dataset (errors): every error the dataset layer raises on purpose; each bad-input error is a
``ValueError`` that says what, where, the constraint and the value given."""

from __future__ import annotations

from ..errors import DatasetError, SpecError

__all__ = ["DatasetError", "TokenBudgetError", "RunTimeoutError", "DatasetFormatError", "TaskError", "SpecError"]


class TokenBudgetError(DatasetError):
    """The dataset would hold (or already holds, mid-generation) more tokens than ``max_tokens`` allows."""


class RunTimeoutError(DatasetError):
    """With ``on_timeout="error"``: a run did not stop on its own within the step budget (or its head left
    the tableau window). The message names the input."""


class DatasetFormatError(DatasetError):
    """A dataset file cannot be read: unknown format, missing vocabulary sidecar, malformed content."""


class TaskError(DatasetError):
    """A bad parameter of a task generator (:mod:`tmsim.datasets.tasks`): an unknown task, operand digits
    or width out of range, operands or bit arrays of the wrong shape."""
