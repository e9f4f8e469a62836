"""Zoo (registry): the entries by name: :func:`names`, :func:`get`, :func:`entries`."""

from __future__ import annotations

from ..errors import ParameterError
from .entry import ZooEntry
from .tables import ENTRIES

__all__ = ["names", "get", "entries"]

_ZOO: dict[str, ZooEntry] = {e.name: e for e in ENTRIES}


def names() -> tuple[str, ...]:
    """Names of every zoo entry, in a fixed order (functions, recognisers, busy beavers).

    Examples
    --------
    >>> names()[:3]
    ('binary-increment', 'binary-addition', 'binary-multiplication')
    """
    return tuple(_ZOO)


def entries() -> tuple[ZooEntry, ...]:
    """Every zoo entry, in the order of :func:`names`.

    Examples
    --------
    >>> sorted({e.task for e in entries()})
    ['accept', 'busy-beaver', 'function']
    """
    return tuple(_ZOO.values())


def get(name: str) -> ZooEntry:
    """The zoo entry called ``name`` (a ``zoo:`` prefix, as the CLI writes it, is accepted).

    Raises
    ------
    ParameterError
        An unknown name; the message lists the known ones.

    Examples
    --------
    >>> e = get("zoo:bb5")
    >>> e.task, e.expected()
    ('busy-beaver', (47176870, 4098))
    """
    if not isinstance(name, str):
        raise ParameterError(f"The 'name' parameter of tmsim.zoo.get must be a str. Got {type(name).__name__}.")
    key = name[len("zoo:"):] if name.startswith("zoo:") else name
    try:
        return _ZOO[key]
    except KeyError:
        raise ParameterError(
            f"The 'name' parameter of tmsim.zoo.get must be one of {', '.join(_ZOO)}. Got {name!r} instead."
        ) from None
