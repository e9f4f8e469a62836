"""Trace -> tokens (registry): encodings by name, with parameters given as keywords or spelled in the name
(``"snapshots(every=4)"``)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from .base import Encoding
from .errors import EncodingError
from .gates import Gates
from .tableau import Snapshots, Tableau
from .transitions import Transitions
from .triples import TableauTriples

__all__ = ["ENCODINGS", "get_encoding"]

_REGISTRY: dict[str, type[Encoding]] = {
    "transitions": Transitions,
    "tableau": Tableau,
    "tableau-triples": TableauTriples,
    "gates": Gates,
    "snapshots": Snapshots,
}
#: Names of the registered encodings.
ENCODINGS: tuple[str, ...] = tuple(_REGISTRY)

_SPEC = re.compile(r"^\s*([A-Za-z][\w\-]*)\s*(?:\((.*)\))?\s*$", re.S)


def _value(text: str) -> Any:
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if t == "None":
        return None
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    return t


def get_encoding(name: str | Encoding, **params: Any) -> Encoding:
    """The encoding called ``name`` with ``params``.

    Parameters
    ----------
    name : str or Encoding
        One of :data:`ENCODINGS`, optionally with parameters spelled in: ``"snapshots(every=4)"``,
        ``"tableau(width=24, left=2)"`` (the form :attr:`Encoding.spec` gives). An :class:`Encoding` is
        returned as is (with ``params`` applied).
    **params
        Encoding parameters (``answer``, ``width``, ``left``, ``every``).

    Raises
    ------
    EncodingError
        Unknown name (listing the known ones), malformed spelled parameters, an unknown or invalid parameter.

    Examples
    --------
    >>> get_encoding("snapshots(every=4)")
    Snapshots(answer='tape', width=None, left=None, every=4)
    >>> get_encoding("tableau-triples", width=24).spec
    'tableau-triples(width=24)'
    >>> get_encoding("tapeau")
    Traceback (most recent call last):
    ...
    tmsim.encodings.errors.EncodingError: Unknown encoding 'tapeau'. The known encodings are 'transitions', 'tableau', 'tableau-triples', 'gates', 'snapshots'.
    """
    if isinstance(name, Encoding):
        if not params:
            return name
        base, spelled = type(name), name.params()
    else:
        if not isinstance(name, str):
            raise EncodingError(f"An encoding name must be a string. Got {type(name).__name__}.")
        m = _SPEC.match(name)
        key = m.group(1).lower() if m else name
        if not m or key not in _REGISTRY:
            known = ", ".join(repr(k) for k in ENCODINGS)
            raise EncodingError(f"Unknown encoding {name!r}. The known encodings are {known}.")
        base, spelled = _REGISTRY[key], {}
        if m.group(2) and m.group(2).strip():
            for part in m.group(2).split(","):
                if "=" not in part:
                    raise EncodingError(f"Encoding {name!r}: parameter {part.strip()!r} must be written "
                                        f"name=value, e.g. 'snapshots(every=4)'.")
                k, v = part.split("=", 1)
                spelled[k.strip()] = _value(v)
        both = set(spelled) & set(params)
        if both:
            raise EncodingError(f"Encoding {name!r}: parameter(s) {sorted(both)!r} given both in the name and as "
                                f"keywords.")
    merged = {**spelled, **params}
    fields = {f.name for f in dataclasses.fields(base)}
    unknown = sorted(set(merged) - fields)
    if unknown:
        raise EncodingError(f"Encoding {base.name!r} has no parameter(s) {unknown!r}; its parameters are "
                            f"{sorted(fields)!r}.")
    return base(**merged)
