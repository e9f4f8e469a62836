"""Trace -> tokens (errors): every error the encodings raise on purpose; each is a ``ValueError`` that
says what, where, the constraint and the value given."""

from __future__ import annotations

from ..errors import TmsimError

__all__ = ["EncodingError", "VocabularyError", "RunLimitError", "TraceError"]


class EncodingError(TmsimError, ValueError):
    """A bad encoding name or parameter, or an input that does not fit the encoding (e.g. a tableau row
    too narrow for the input)."""


class VocabularyError(EncodingError):
    """A token name or id that is not in a vocabulary, or a vocabulary that is malformed."""


class RunLimitError(EncodingError):
    """:meth:`Encoding.encode` was asked to encode a run that did not stop on its own within the step
    budget (or left the tableau window); pass ``on_timeout="label"`` to encode it anyway."""


class TraceError(EncodingError):
    """A token sequence is not a valid trace of the machine under the encoding.

    Attributes
    ----------
    position : int
        Index of the FIRST inconsistent token (``len(tokens)`` when the trace ends too early).
    expected : str
        The token (or kind of token) the machine's rules require there.
    found : str
        The token actually there (``"end of trace"`` when the trace is too short).
    """

    def __init__(self, message: str, *, position: int, expected: str, found: str) -> None:
        super().__init__(message)
        self.position = position
        self.expected = expected
        self.found = found
