"""Check -> errors: the one exception class of proofs_checks for bad input (unknown check, preset, parameter,
output directory)."""

from __future__ import annotations

__all__ = ["CheckError"]


class CheckError(ValueError):
    """Bad input to a check, a sweep or the report: names the parameter, what was expected and what was given."""
