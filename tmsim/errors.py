"""Errors of the tmsim package: every bad-input error is a ``ValueError`` that says what, where, the
constraint and the value given."""

from __future__ import annotations

__all__ = [
    "TmsimError",
    "MachineError",
    "FormatError",
    "InputError",
    "ConversionError",
    "ParameterError",
    "OutputError",
    "DatasetError",
    "SpecError",
]


class TmsimError(Exception):
    """Base class of every error raised on purpose by :mod:`tmsim`."""


class MachineError(TmsimError, ValueError):
    """A machine definition is invalid (unknown state or symbol, bad direction, duplicate rule, ...)."""


class FormatError(TmsimError, ValueError):
    """A machine file or string cannot be parsed in the format it claims to be in."""


class InputError(TmsimError, ValueError):
    """An input string or configuration does not fit the machine (unknown symbol, bad head position)."""


class ConversionError(TmsimError, ValueError):
    """A machine cannot be expressed in the requested format (e.g. too many symbols for the standard
    format, or a start state that is also a halting state for automata-lib)."""


class ParameterError(TmsimError, ValueError):
    """A parameter of a public function is out of range or of the wrong type."""


class OutputError(ParameterError):
    """An output path cannot be written: a directory, a socket or block device (never replaced), a FIFO
    without a reader, or a missing directory. The message names the flag or parameter and the path."""


class DatasetError(TmsimError, ValueError):
    """A bad parameter of a dataset function (lengths, sampler, split, alphabet, path, ...), or inputs
    that cannot satisfy it (too few distinct inputs for ``n`` unique samples).

    Defined here, beside :class:`SpecError` (one of its kinds), and exported by :mod:`tmsim.datasets`, whose
    other errors (:mod:`tmsim.datasets.errors`) subclass it."""


class SpecError(DatasetError, FormatError, ParameterError):
    """A MACHINE or ENCODING spec cannot be resolved (:mod:`tmsim.resolve`): an unknown zoo name, a string
    that is neither a file nor a standard-format machine, an unknown format or encoding, a parameter the
    encoding does not have, an argument of the wrong type.

    It is all of a :class:`ParameterError` (a bad argument), a :class:`FormatError` (a machine text that does
    not parse) and a :class:`DatasetError` (what every dataset function raises on a bad argument), so each
    caller catches it as what it asked for. A file that exists but holds a malformed machine raises the
    parser's own :class:`FormatError` / :class:`MachineError`, naming the path."""


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None,
              owner: str = "tmsim") -> int:
    """Return ``value`` as an int, or raise :class:`ParameterError` naming ``name``.

    ``bool`` is rejected on purpose: ``max_steps=True`` is almost certainly a mistake.
    """
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be an integer"
            f"{_range_text(low, high)}. Got {value!r} instead."
        )
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ParameterError(
            f"The {name!r} parameter of {owner} must be an integer{_range_text(low, high)}. "
            f"Got {v!r} instead."
        )
    return v


def _range_text(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    lo = "-inf" if low is None else str(low)
    hi = "inf" if high is None else str(high)
    return f" in [{lo}, {hi}]"
