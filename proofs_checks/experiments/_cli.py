"""Experiment -> command line: the argument types the experiments' ``main()`` functions share, each one
raising ``argparse.ArgumentTypeError`` so that argparse prints one usage line and exits with status 2."""

from __future__ import annotations

import argparse

__all__ = ["length_pair", "size_list", "positive_seconds", "positive_int", "width_or_auto"]


def length_pair(text: str) -> tuple[int, int]:
    """``"1-8"``, ``"1,8"`` or ``"8"`` -> (a, b) with ``0 <= a <= b``.

    >>> length_pair("1-8"), length_pair("3")
    ((1, 8), (3, 3))
    """
    parts = text.replace(",", "-").split("-")
    try:
        a, b = (int(parts[0]), int(parts[-1])) if 1 <= len(parts) <= 2 else (-1, -1)
    except ValueError:
        a, b = -1, -1
    if not 0 <= a <= b:
        raise argparse.ArgumentTypeError(f"expected input lengths A-B with 0 <= A <= B, got {text!r}")
    return a, b


def size_list(text: str) -> tuple[int, ...]:
    """``"25,50,100"`` -> (25, 50, 100); every size >= 1.

    >>> size_list("25,50")
    (25, 50)
    """
    try:
        sizes = tuple(int(x) for x in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes >= 1, got {text!r}")
    return sizes


def positive_seconds(text: str) -> float:
    """A number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def width_or_auto(text: str) -> int | str:
    """``"auto"`` or a row width >= 3 (two boundary columns and one cell)."""
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 3:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a row width >= 3, got {text!r}")
    return value
