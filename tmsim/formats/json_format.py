"""Formats: the native JSON form of a machine, lossless (every field, in order, and the name).

::

    {"format": "tmsim-machine", "version": 1, "name": "bb2",
     "states": ["A", "B", "Z"], "symbols": ["0", "1"], "blank": "0", "input_symbols": ["1"],
     "start": "A", "halting": ["Z"],
     "rules": [["A", "0", "1", "R", "B"], ...]}

Each rule is ``[state, read, write, move, next]`` with ``move`` one of ``"L"``, ``"R"``, ``"S"``; a missing
(state, read) pair is an undefined transition.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import FormatError
from ..machine import Machine, Move

__all__ = ["to_dict", "from_dict", "to_json", "parse_json", "FORMAT_TAG", "FORMAT_VERSION"]

FORMAT_TAG = "tmsim-machine"
FORMAT_VERSION = 1
_LISTS = ("states", "symbols", "input_symbols", "halting", "rules")
_NAMES = ("blank", "start")
_KEYS = ("format", "version", "name") + _LISTS + _NAMES


def to_dict(machine: Machine) -> dict[str, Any]:
    """The machine as a JSON-ready dict (see the module docstring); :func:`from_dict` inverts it.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> d = to_dict(parse_standard("1RB1LB_1LA1RZ", name="bb2"))
    >>> d["states"], d["halting"], d["rules"][0]
    (['A', 'B', 'Z'], ['Z'], ['A', '0', '1', 'R', 'B'])
    """
    return {
        "format": FORMAT_TAG,
        "version": FORMAT_VERSION,
        "name": machine.name,
        "states": list(machine.states),
        "symbols": list(machine.symbols),
        "blank": machine.blank,
        "input_symbols": list(machine.input_symbols),
        "start": machine.start,
        "halting": [s for s in machine.states if s in machine.halting],
        "rules": [[s, r, w, Move(m).letter, n] for (s, r, w, m, n) in machine.rules()],
    }


def from_dict(data: dict[str, Any], *, name: str | None = None) -> Machine:
    """Build a machine from the dict form of :func:`to_dict`.

    Parameters
    ----------
    data : dict
    name : str, optional
        Name used when ``data`` has no ``"name"`` (default ``"machine"``).

    Raises
    ------
    FormatError
        A wrong ``format`` tag or ``version``, a missing or unknown key, a value of the wrong type, a rule
        that is not a list of 5 names; naming the key (and rule index).
    MachineError
        Well-formed data that does not define a valid machine (unknown state in a rule, ...).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> from_dict(to_dict(m)) == m
    True
    """
    if not isinstance(data, dict):
        raise FormatError(f"A tmsim JSON machine must be an object. Got {type(data).__name__}.")
    tag = data.get("format")
    if tag != FORMAT_TAG:
        raise FormatError(f"JSON machine: key 'format' must be {FORMAT_TAG!r}. Got {tag!r}.")
    version = data.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise FormatError(f"JSON machine: unsupported 'version' {version!r}; this tmsim reads version "
                          f"{FORMAT_VERSION}.")
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise FormatError(f"JSON machine: unknown key {unknown[0]!r}; expected keys from {_KEYS!r}.")
    for key in _LISTS + _NAMES:
        if key not in data:
            raise FormatError(f"JSON machine: missing required key {key!r}.")
    for key in _LISTS:
        if not isinstance(data[key], list):
            raise FormatError(f"JSON machine: key {key!r} must be a list. Got {data[key]!r}.")
    for key in _NAMES:
        if not isinstance(data[key], str):
            raise FormatError(f"JSON machine: key {key!r} must be a string. Got {data[key]!r}.")
    doc_name = data.get("name")
    if doc_name is not None and (not isinstance(doc_name, str) or not doc_name):
        raise FormatError(f"JSON machine: key 'name' must be a non-empty string. Got {doc_name!r}.")
    rules = []
    for i, rule in enumerate(data["rules"]):
        if not (isinstance(rule, list) and len(rule) == 5 and all(isinstance(x, str) for x in rule)):
            raise FormatError(f"JSON machine: rules[{i}] must be a list of 5 strings [state, read, write, move, "
                              f"next]. Got {rule!r}.")
        rules.append(tuple(rule))
    return Machine(data["states"], data["symbols"], data["blank"], data["input_symbols"], data["start"],
                   data["halting"], rules, name=doc_name or name or "machine")


def to_json(machine: Machine) -> str:
    """The machine as JSON text, one rule per line; ``parse_json(to_json(m)) == m`` and the name survives.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> print(to_json(parse_standard("1RB---_1LA1RZ", name="tiny")), end="")
    {
      "format": "tmsim-machine",
      "version": 1,
      "name": "tiny",
      "states": ["A", "B", "Z"],
      "symbols": ["0", "1"],
      "blank": "0",
      "input_symbols": ["1"],
      "start": "A",
      "halting": ["Z"],
      "rules": [
        ["A", "0", "1", "R", "B"],
        ["B", "0", "1", "L", "A"],
        ["B", "1", "1", "R", "Z"]
      ]
    }
    """
    d = to_dict(machine)
    rules = d.pop("rules")
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in d.items()]
    if rules:
        body = ",\n".join(f"    {json.dumps(r)}" for r in rules)
        lines.append(f'  "rules": [\n{body}\n  ]')
    else:
        lines.append('  "rules": []')
    return "{\n" + "\n".join(lines) + "\n}\n"


def parse_json(text: str, *, name: str | None = None) -> Machine:
    """Parse the JSON text written by :func:`to_json`.

    Parameters
    ----------
    text : str
    name : str, optional
        Name used when the document has no ``"name"``.

    Raises
    ------
    FormatError
        Invalid JSON (with line and column), a key given twice in one object, or a bad document (see
        :func:`from_dict`). A leading UTF-8 byte order mark is accepted.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ", name="bb2")
    >>> back = parse_json(to_json(m))
    >>> back == m, back.name
    (True, 'bb2')
    """
    if not isinstance(text, str):
        raise FormatError(f"A JSON machine must be a string. Got {type(text).__name__}.")
    try:
        data = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        raise FormatError(f"Malformed JSON machine: duplicate key {e.args[0]!r} in an object (JSON readers "
                          f"disagree on which value wins).") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"Malformed JSON machine at line {e.lineno}, column {e.colno}: {e.msg}.") from None
    except RecursionError:
        raise FormatError("Malformed JSON machine: nested too deeply.") from None
    return from_dict(data, name=name)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out
