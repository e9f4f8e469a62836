"""Errors of the text experiment (bad corpora, tokenizers and model settings)."""

from __future__ import annotations

__all__ = ["TextError", "CorpusError"]


class TextError(ValueError):
    """Bad input to the text experiment: says what, where, what was expected and what was given."""


class CorpusError(TextError):
    """A corpus that cannot be read: a missing or empty file, a wrong format, no documents."""
