"""Formats: YAML machines in the style of turingmachine.io, read and written losslessly.

A document looks like this (turingmachine.io's binary increment)::

    name: binary increment
    input: '1011'          # optional default input: accepted and ignored
    blank: ' '
    start state: right
    table:
      right:
        [1, 0]: R                    # move only (same state, no write); a list key means every symbol in it
        ' ': {L: carry}              # move and go to a state
      carry:
        1: {write: 0, L}             # write and move; a key without value means "same state"
        [0, ' ']: {write: 1, L: done}
      done:                          # an empty entry is a halting state

Instructions are ``L``/``R`` (move only), or a flow mapping with an optional ``write`` and exactly one
move key ``L``/``R`` whose value is the next state (none: stay in the same state). Every scalar is read as
a string (``1`` is the symbol ``'1'``, ``yes`` is the state ``'yes'``); a missing transition is undefined.

Extensions (turingmachine.io has none of these; the writer emits them only when they cannot be inferred,
so a turingmachine.io-style document stays one):

- move ``S`` (stay; ``N`` is read as a synonym);
- ``halting states``: the list of halting states. Without it, the states with an empty entry halt;
  with it, an unlisted empty state is a running state whose transitions are all undefined;
- ``input symbols``: default every tape symbol except the blank, in tape-alphabet order;
- ``tape symbols``: the tape alphabet in order. Default: the blank, then every symbol in order of first
  appearance (read keys, then written symbols, walking the table from the top).

The symbol ``' '`` (a space, turingmachine.io's usual blank) is read as ``'_'``, since tmsim symbols have no
white space; a document that also uses ``'_'`` is rejected.

``synonyms`` (turingmachine.io): a mapping from a name to an instruction, e.g. ``accept: {R: accept}``; a
table entry may then be that name (``' ': accept``). A synonym's instruction without a next state keeps the
state that uses it; a synonym cannot be defined by another synonym, nor be named ``L``, ``R``, ``N`` or ``S``.

turingmachine.io saves and exports a *document* rather than a bare program::

    name: binary increment
    source code: |
      input: '1011'
      blank: ' '
      start state: right
      table:
        ...
    positions:                 # the diagram's node positions: ignored
      right: {x: 230, y: 200}

:func:`parse_yaml` recognises a document by its ``source code`` key, parses that string as the program
above and names the machine by the document's ``name``; ``positions`` and ``editor contents`` (unsynced
editor text the site may export beside the program) are ignored. A document with any other top-level key
is rejected, naming it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Sequence

import yaml

from ..errors import FormatError
from ..machine import Machine, Move

__all__ = ["parse_yaml", "to_yaml"]

_NULL_TAG = "tag:yaml.org,2002:null"
_MOVES = {"L": Move.L, "R": Move.R, "S": Move.S, "N": Move.S}
_KEYS = ("name", "input", "blank", "start state", "table", "synonyms", "halting states", "input symbols",
         "tape symbols")
#: Top-level keys of a turingmachine.io document (the program is the string under ``source code``).
_DOCUMENT_KEYS = ("name", "source code", "positions", "editor contents")
_REQUIRED = ("blank", "start state", "table")
_SPACE_SUBSTITUTE = "_"


class _StringLoader(yaml.SafeLoader):
    """Safe loader that reads every plain scalar as a string (null excepted), accepts sequences as mapping
    keys (turingmachine.io's ``[0, 1]: R``) and rejects duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping node, but found {node.id}", node.start_mark)
        mapping: dict = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.SequenceNode):
                key = tuple(self.construct_object(k, deep=True) for k in key_node.value)
            else:
                key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found an unusable key {key!r}",
                    key_node.start_mark) from None
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


# Only null keeps its implicit resolution: ints, floats, booleans and timestamps stay strings, so that a
# symbol 1 or a state ``yes`` keeps its spelling.
_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == _NULL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, *, name: str | None = None) -> Machine:
    """Parse a machine from a YAML document in the turingmachine.io style.

    Parameters
    ----------
    text : str
        The YAML program (see the module docstring for the keys and instruction forms), or a
        turingmachine.io document holding one under ``source code``.
    name : str, optional
        Name used when neither the document nor the program has a ``name`` key (default ``"machine"``).

    Returns
    -------
    Machine
        States in the order of the ``table`` keys, halting states the empty entries (or the
        ``halting states`` list), tape alphabet the blank plus every symbol used (or ``tape symbols``).

    Raises
    ------
    FormatError
        Malformed YAML (with line and column), a missing or unknown top-level key, a bad instruction or
        direction, a transition to a state that is not in the table, ... naming the state and symbol.
    MachineError
        A document that parses but does not define a valid machine.

    Examples
    --------
    >>> from tmsim import run
    >>> doc = '''
    ... blank: ' '
    ... start state: right
    ... table:
    ...   right:
    ...     [1, 0]: R
    ...     ' ': {L: carry}
    ...   carry:
    ...     1: {write: 0, L}
    ...     [0, ' ']: {write: 1, L: done}
    ...   done:
    ... '''
    >>> m = parse_yaml(doc, name="increment")
    >>> m.states, m.symbols, sorted(m.halting)
    (('right', 'carry', 'done'), ('_', '1', '0'), ['done'])
    >>> run(m, "1011").output
    '1100'
    >>> doc = "name: inc\\nsource code: |" + doc.replace("\\n", "\\n  ") + "\\npositions: {right: {x: 1, y: 2}}\\n"
    >>> parse_yaml(doc) == m, parse_yaml(doc).name
    (True, 'inc')
    """
    if not isinstance(text, str):
        raise FormatError(f"A YAML machine must be a string. Got {type(text).__name__}.")
    doc = _load(text)
    if isinstance(doc, dict) and "source code" in doc:
        return _parse_document(doc, name)
    return _parse_program(doc, name)


def _parse_document(doc: dict, name: str | None) -> Machine:
    """A turingmachine.io document: ``name``, the program as the string ``source code``, ``positions``."""
    unknown = [k for k in doc if k not in _DOCUMENT_KEYS]
    if unknown:
        raise FormatError(f"turingmachine.io document: unknown top-level key {unknown[0]!r} beside 'source code'; "
                          f"a document has the keys {_DOCUMENT_KEYS!r} (the program's keys go inside the "
                          f"'source code' string).")
    source = doc["source code"]
    if not isinstance(source, str):
        raise FormatError(f"turingmachine.io document: 'source code' must be a string holding the YAML program. "
                          f"Got {_kind(source)} {source!r}.")
    doc_name = doc.get("name")
    if doc_name is not None and (not isinstance(doc_name, str) or not doc_name):
        raise FormatError(f"turingmachine.io document: 'name' must be a non-empty string. Got {doc_name!r}.")
    try:
        program = _load(source)
        if isinstance(program, dict) and "source code" in program:
            raise FormatError("a document inside a document ('source code' within 'source code').")
        return _parse_program(program, name, doc_name)
    except FormatError as e:
        raise FormatError(f"turingmachine.io document, in its 'source code' (lines counted from its first "
                          f"line): {e}") from None


def _parse_program(doc: Any, name: str | None, doc_name: str | None = None) -> Machine:
    """A turingmachine.io program (the mapping described in the module docstring)."""
    if doc is None:
        raise FormatError("Empty YAML machine: expected a mapping with the keys 'blank', 'start state' and "
                          "'table'.")
    if not isinstance(doc, dict):
        raise FormatError(f"A YAML machine must be a mapping with the keys 'blank', 'start state' and 'table'. "
                          f"Got a {_kind(doc)}.")
    unknown = [k for k in doc if k not in _KEYS]
    if unknown:
        raise FormatError(f"YAML machine: unknown top-level key {unknown[0]!r}; expected keys from {_KEYS!r}.")
    for key in _REQUIRED:
        if key not in doc:
            raise FormatError(f"YAML machine: missing required key {key!r} (the keys are {_KEYS!r}).")
    program_name = doc.get("name")
    if program_name is not None and (not isinstance(program_name, str) or not program_name):
        raise FormatError(f"YAML machine: 'name' must be a non-empty string. Got {program_name!r}.")
    start = _scalar(doc["start state"], "YAML key 'start state'")
    table = doc["table"]
    if not isinstance(table, dict) or not table:
        raise FormatError(f"YAML key 'table' must be a non-empty mapping state -> instructions. Got "
                          f"{table!r}.")
    synonyms = _synonyms(doc.get("synonyms"))

    # Pass 1: the raw table, symbols as written (a space is substituted below).
    states: list[str] = []
    empty: list[str] = []
    raw_rules: list[tuple[str, str, str | None, Move, str]] = []  # (state, read, write or None, move, next)
    for state_key, entry in table.items():
        state = _scalar(state_key, "YAML table: state name")
        states.append(state)
        if entry is None or entry == {}:
            empty.append(state)
            continue
        if not isinstance(entry, dict):
            raise FormatError(f"YAML table, state {state!r}: expected a mapping symbol -> instruction, or nothing "
                              f"for a halting state. Got {entry!r}.")
        seen: set[str] = set()
        for read_key, value in entry.items():
            reads = _read_symbols(read_key, state)
            for read in reads:
                if read in seen:
                    raise FormatError(f"YAML table, state {state!r}: symbol {read!r} has two instructions.")
                seen.add(read)
            where = f"YAML table, state {state!r}, symbol {_show_key(read_key)}"
            if isinstance(value, str) and value in synonyms:
                value = synonyms[value]
            write, move, nxt = _instruction(value, state, where)
            for read in reads:
                raw_rules.append((state, read, write, move, nxt))
    known = set(states)
    for state, read, _, _, nxt in raw_rules:
        if nxt not in known:
            raise FormatError(f"YAML table, state {state!r}, symbol {read!r}: goes to state {nxt!r}, which is not "
                              f"in the table (every state needs an entry; an empty one halts).")
    if start not in known:
        raise FormatError(f"YAML key 'start state': {start!r} is not in the table; the states are {tuple(states)!r}.")

    blank = _scalar(doc["blank"], "YAML key 'blank'")
    tape_symbols = _scalar_list(doc, "tape symbols")
    input_symbols = _scalar_list(doc, "input symbols")
    halting = _scalar_list(doc, "halting states")

    # Pass 2: a space is not a tmsim symbol; read it as '_' unless '_' is taken.
    used = {blank, *(r[1] for r in raw_rules), *(r[2] for r in raw_rules if r[2] is not None),
            *(tape_symbols or ()), *(input_symbols or ())}
    if " " in used:
        if _SPACE_SUBSTITUTE in used:
            raise FormatError(f"YAML machine: the symbol ' ' (space) is read as {_SPACE_SUBSTITUTE!r}, but "
                              f"{_SPACE_SUBSTITUTE!r} is also used; rename one of them.")

        def sub(s: str) -> str:
            return _SPACE_SUBSTITUTE if s == " " else s
    else:
        def sub(s: str) -> str:
            return s
    blank = sub(blank)
    rules = [(s, sub(r), sub(r if w is None else w), mv, n) for s, r, w, mv, n in raw_rules]
    symbols = (tuple(sub(s) for s in tape_symbols) if tape_symbols is not None
               else _infer_symbols(blank, ((r[1], r[2]) for r in rules)))
    inputs = (tuple(sub(s) for s in input_symbols) if input_symbols is not None
              else tuple(s for s in symbols if s != blank))
    return Machine(states, symbols, blank, inputs, start, empty if halting is None else halting, rules,
                   name=doc_name or program_name or name or "machine")


def to_yaml(machine: Machine) -> str:
    """Write ``machine`` as a YAML document that :func:`parse_yaml` reads back exactly.

    Symbols are always quoted (``'1'``) so that other YAML readers keep them strings; state names are
    quoted when they would not read back as the same plain string. Each instruction is a flow mapping in
    its shortest turingmachine.io form (``R``, ``{L: carry}``, ``{write: '0', L}``,
    ``{write: '1', L: done}``). The extension keys ``halting states``, ``input symbols`` and
    ``tape symbols`` appear only when their default would differ from the machine.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> print(to_yaml(parse_standard("1RB1LB_1LA1RZ", name="bb2")), end="")
    name: bb2
    blank: '0'
    start state: A
    table:
      A:
        '0': {write: '1', R: B}
        '1': {L: B}
      B:
        '0': {write: '1', L: A}
        '1': {R: Z}
      Z:
    >>> parse_yaml(to_yaml(parse_standard("1RB1LB_1LA1RZ"))) == parse_standard("1RB1LB_1LA1RZ")
    True
    """
    lines = [f"name: {_name(machine.name)}", f"blank: {_quote(machine.blank)}",
             f"start state: {_name(machine.start)}"]
    pairs = [(r, w) for (_, r, w, _, _) in machine.rules()]
    if _infer_symbols(machine.blank, pairs) != machine.symbols:
        lines.append(f"tape symbols: {_flow_list(machine.symbols, _quote)}")
    if machine.input_symbols != tuple(s for s in machine.symbols if s != machine.blank):
        lines.append(f"input symbols: {_flow_list(machine.input_symbols, _quote)}")
    with_rules = {s for (s, _, _, _, _) in machine.rules()}
    halting = [s for s in machine.states if s in machine.halting]
    if {s for s in machine.states if s not in with_rules} != machine.halting:
        lines.append(f"halting states: {_flow_list(halting, _name)}")
    lines.append("table:")
    by_state: dict[str, list[str]] = {s: [] for s in machine.states}
    for state, read, write, move, nxt in machine.rules():
        by_state[state].append(_key_line("    ", _quote(read), _instruction_text(state, read, write, move, nxt)))
    for state in machine.states:
        entries = by_state[state]
        if entries:
            lines.append(_key_line("  ", _name(state), ""))
            lines.extend(entries)
        else:
            lines.append(_key_line("  ", _name(state), "" if state in machine.halting else "{}"))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- reading
def _load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StringLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        what = e.problem or e.context or "syntax error"
        raise FormatError(f"Malformed YAML machine{where}: {what}.") from None
    except yaml.YAMLError as e:
        raise FormatError(f"Malformed YAML machine: {e}") from None


def _kind(value: Any) -> str:
    return {list: "list", tuple: "list", dict: "mapping", str: "string", type(None): "null"}.get(
        type(value), type(value).__name__)


def _scalar(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise FormatError(f"{where} must be a name (a string). Got {_kind(value)} {value!r}.")
    return value


def _scalar_list(doc: dict, key: str) -> list[str] | None:
    if key not in doc:
        return None
    value = doc[key]
    if value is None:
        return []
    if not isinstance(value, list):
        raise FormatError(f"YAML key {key!r} must be a list of names. Got {_kind(value)} {value!r}.")
    return [_scalar(v, f"YAML key {key!r}, item {i}") for i, v in enumerate(value)]


def _show_key(key: Any) -> str:
    return "[" + ", ".join(repr(k) for k in key) + "]" if isinstance(key, tuple) else repr(key)


def _read_symbols(key: Any, state: str) -> list[str]:
    if isinstance(key, tuple):
        if not key:
            raise FormatError(f"YAML table, state {state!r}: an empty list [] of read symbols.")
        return [_scalar(k, f"YAML table, state {state!r}, read symbol in {_show_key(key)}") for k in key]
    return [_scalar(key, f"YAML table, state {state!r}, read symbol")]


def _synonyms(value: Any) -> dict[str, Any]:
    """The ``synonyms`` mapping, each instruction checked once (its next state is checked where used)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError(f"YAML key 'synonyms' must be a mapping name -> instruction (e.g. accept: {{R: accept}}). "
                          f"Got {_kind(value)} {value!r}.")
    out = {}
    for key, instruction in value.items():
        syn = _scalar(key, "YAML key 'synonyms': synonym name")
        if syn in _MOVES:
            raise FormatError(f"YAML key 'synonyms': the synonym {syn!r} would hide the move {syn!r}; rename it.")
        if isinstance(instruction, str) and instruction not in _MOVES:
            raise FormatError(f"YAML key 'synonyms', synonym {syn!r}: {instruction!r} is not a move; a synonym "
                              f"cannot be defined by another synonym.")
        _instruction(instruction, "<state>", f"YAML key 'synonyms', synonym {syn!r}")  # raises on a bad one
        out[syn] = instruction
    return out


def _instruction(value: Any, state: str, where: str) -> tuple[str | None, Move, str]:
    """Return (write or None for "write what was read", move, next state)."""
    expected = ("expected a move 'L' or 'R' (or our extension 'S'), or a mapping like {write: '1', L: next} "
                "with an optional 'write' and one move key")
    if isinstance(value, str):
        if value in _MOVES:
            return None, _MOVES[value], state
        raise FormatError(f"{where}: unknown direction {value!r}; {expected}.")
    if not isinstance(value, dict):
        raise FormatError(f"{where}: bad instruction {value!r}; {expected}.")
    unknown = [k for k in value if k != "write" and k not in _MOVES]
    if unknown:
        raise FormatError(f"{where}: unknown direction or key {unknown[0]!r} in {value!r}; {expected}.")
    moves = [k for k in value if k in _MOVES]
    if len(moves) != 1:
        raise FormatError(f"{where}: instruction {value!r} has {len(moves)} move keys; {expected}.")
    nxt = value[moves[0]]
    nxt = state if nxt is None else _scalar(nxt, f"{where}: next state")
    write = value.get("write")
    if "write" in value:
        write = _scalar(write, f"{where}: 'write'")
    return write, _MOVES[moves[0]], nxt


def _infer_symbols(blank: str, pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The default tape alphabet: the blank, then symbols in order of first appearance (read, write)."""
    out = {blank: None}
    for read, write in pairs:
        out.setdefault(read)
        out.setdefault(write)
    return tuple(out)


# ---------------------------------------------------------------------------------------------- writing
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
#: Longest key written as an implicit ``key: value`` (YAML limits implicit keys to 1024 characters).
_MAX_IMPLICIT_KEY = 1000


@lru_cache(maxsize=4096)
def _name(s: str) -> str:
    """A state or machine name: plain when every YAML reader reads it back as the same string."""
    if _PLAIN.match(s) and yaml.safe_load(s) == s:
        return s
    return _quote(s)


def _quote(s: str) -> str:
    if s.isprintable():
        return "'" + s.replace("'", "''") + "'"
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def _flow_list(items: Sequence[str], fmt) -> str:
    return "[" + ", ".join(fmt(s) for s in items) + "]"


def _key_line(indent: str, key: str, value: str) -> str:
    if len(key) <= _MAX_IMPLICIT_KEY:
        return f"{indent}{key}:" + (f" {value}" if value else "")
    return f"{indent}? {key}\n{indent}:" + (f" {value}" if value else "")


def _instruction_text(state: str, read: str, write: str, move: Move, nxt: str) -> str:
    letter = Move(move).letter
    if write == read and nxt == state:
        return letter
    parts = [] if write == read else [f"write: {_quote(write)}"]
    parts.append(letter if nxt == state else f"{letter}: {_name(nxt)}")
    return "{" + ", ".join(parts) + "}"
