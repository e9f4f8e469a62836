"""Formats: Morphett-style rule lines (the morphett.info Turing machine simulator), read and written.

One rule per line, ``<current state> <current symbol> <new symbol> <direction> <new state>``, fields
separated by white space; ``;`` starts a comment; blank lines are ignored; an optional sixth field ``!``
(a breakpoint in the simulator) is accepted and ignored. Symbols are single characters and ``_`` is the
blank. Directions are ``l``, ``r`` and ``*`` (stay), in either case.

Wildcards, as in the simulator:

- ``*`` as the current symbol matches any symbol; ``*`` as the current state matches any state;
- ``*`` as the new symbol writes the symbol read; ``*`` as the new state keeps the state;
- the most specific rule wins: ``state symbol``, then ``state *``, then ``* symbol``, then ``* *`` (the
  lookup order of morphett.info's ``GetNextInstructions``).

Parsing expands the wildcards into explicit rules over the whole alphabet, which is ``_`` plus every
symbol that appears in a rule.

Conventions of this module (the simulator takes the start state from a separate input box):

- the start state is the ``start`` argument if given, else ``0`` if the program mentions a state ``0`` (or
  mentions no state at all), else the current state of the first rule with an explicit state;
- a state whose name starts with ``halt`` (any case: ``halt``, ``halt-accept``, ``HALT-reject``) halts;
  a rule from such a state can never fire, and is rejected;
- a (state, symbol) pair with no rule is an undefined transition (the simulator halts there too);
- the input symbols are every symbol except ``_``.

The alphabet also takes the symbols of the program's default input, a comment ``; $INITIAL_TAPE: 110 101``
as morphett.info reads it (a space there is a blank), and of a tmsim extension comment
``; $INPUT_SYMBOLS: abc``, which :func:`to_morphett` writes for input symbols that no rule mentions. So a
program whose symbols appear only under ``*`` wildcards still runs on its own initial tape:
:func:`morphett_initial_tape` returns that tape, with ``_`` for the blanks.

A program with no rule line at all is a machine that stops at once. :func:`parse_morphett` reads it so, but
a Morphett *file* or text read through :func:`tmsim.formats.load` / :func:`~tmsim.formats.loads` that holds
only comments and blank lines is refused (:func:`require_rules`: a file emptied by mistake, or the wrong
file, must not run as a one-state machine) unless it says so with a tmsim comment ``; $NO_RULES``, which
:func:`to_morphett` writes for a machine whose rules can never run.

Writing needs names Morphett can express; :func:`morphett_names` gives the renaming that
:func:`to_morphett` applies: the start state becomes ``0`` (a state already called ``0`` takes the start
state's old name), a halting state whose name does not start with ``halt`` becomes ``halt-<name>``, a running
state whose name does start with ``halt`` becomes ``q-<name>``, and the blank becomes ``_`` (when ``_`` is
not another symbol). A round trip is therefore exact only up to this renaming, and states and non-input symbols
that no rule mentions are dropped: it preserves behaviour (same status, steps, head and tape on every input), not
equality (input symbols that no rule mentions survive, through ``$INPUT_SYMBOLS``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

from ..errors import ConversionError, FormatError
from ..machine import Machine, Move

__all__ = ["parse_morphett", "to_morphett", "morphett_names", "morphett_initial_tape", "MorphettNames",
           "require_rules"]

BLANK = "_"
WILD = "*"
_DIRECTIONS = {"l": Move.L, "r": Move.R, "*": Move.S}
_LETTER = {Move.L: "l", Move.R: "r", Move.S: "*"}
_FORBIDDEN_SYMBOLS = (";", WILD)
# morphett.info's own pattern for the default input (its LoadSampleProgram), read line by line here.
_INITIAL_TAPE = re.compile(r";.*\$INITIAL_TAPE:? *(.*)$", re.MULTILINE)
# tmsim's extension, in the same style: input symbols that no rule mentions.
_INPUT_SYMBOLS = re.compile(r";.*\$INPUT_SYMBOLS:? *(.*)$", re.MULTILINE)
# tmsim's extension: a program without rules on purpose (see require_rules).
_NO_RULES = re.compile(r";.*\$NO_RULES\b")
_NO_RULES_LINE = "; $NO_RULES: no rule of this machine can ever run (it stops at once)"


def require_rules(text: str) -> None:
    """Refuse a Morphett text that holds only comments and blank lines (and no ``; $NO_RULES`` comment).

    Raises
    ------
    FormatError
        One line saying so (an empty or all white-space text: the "Empty Morphett program" error).

    Examples
    --------
    >>> require_rules("0 _ 1 r halt ; one rule")
    >>> require_rules("; $NO_RULES")
    >>> require_rules("; only a comment")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tmsim.errors.FormatError: Morphett program without rules: every line is a comment or blank; ...
    """
    if not isinstance(text, str) or not text.strip():
        parse_morphett(text)  # raises the error of an empty program
        return
    for raw in text.splitlines():
        if raw.split(";", 1)[0].strip() or _NO_RULES.search(raw):
            return
    raise FormatError("Morphett program without rules: every line is a comment or blank; a machine without rules "
                      "says so with a '; $NO_RULES' line (to_morphett writes one).")


def _is_halt(state: str) -> bool:
    return state[:4].lower() == "halt"


def morphett_initial_tape(text: str) -> str | None:
    """The default input of a Morphett program (its ``; $INITIAL_TAPE: ...`` comment), or None.

    Spaces (blanks on morphett.info's tape) are returned as ``_``; trailing white space is dropped. The
    tape holds blanks, so it is not an input for :func:`tmsim.run` but a start configuration:
    ``run(m, start=Configuration(m.start, tuple(tape), 0, 0))`` (``tmsim run --input`` accepts it as is).

    Examples
    --------
    >>> morphett_initial_tape("; binary addition\\n; $INITIAL_TAPE: 110 101\\n0 * * r 0\\n")
    '110_101'
    >>> morphett_initial_tape("0 _ 1 r halt") is None
    True
    """
    if not isinstance(text, str):
        raise FormatError(f"A Morphett program must be a string. Got {type(text).__name__}.")
    m = _INITIAL_TAPE.search(text)
    return None if m is None else re.sub(r"\s", BLANK, m.group(1).rstrip())


def _declared_symbols(text: str, input_symbols: str | Sequence[str] | None) -> list[str]:
    """Symbols beyond the rules': ``$INITIAL_TAPE``, ``$INPUT_SYMBOLS`` and the ``input_symbols`` argument."""
    found: list[str] = []
    tape = morphett_initial_tape(text)
    if tape is not None:
        found.extend(c for c in tape if c not in (BLANK, WILD))
    for m in _INPUT_SYMBOLS.finditer(text):
        found.extend(c for c in m.group(1) if not c.isspace())
    if input_symbols is not None:
        if isinstance(input_symbols, str):
            input_symbols = list(input_symbols)
        for sym in input_symbols:
            if not (isinstance(sym, str) and len(sym) == 1 and not sym.isspace() and sym != BLANK):
                raise FormatError(f"The 'input_symbols' parameter of tmsim.formats.parse_morphett must hold single "
                                  f"characters other than white space and {BLANK!r}. Got {sym!r}.")
            found.append(sym)
    for sym in found:
        if sym in _FORBIDDEN_SYMBOLS:
            raise FormatError(f"Morphett program: the declared input symbol {sym!r} cannot be a Morphett symbol "
                              f"(';' starts a comment, '*' is the wildcard).")
    return found


def parse_morphett(text: str, *, name: str | None = None, start: str | None = None,
                   input_symbols: str | Sequence[str] | None = None) -> Machine:
    """Parse a Morphett-style program.

    Parameters
    ----------
    text : str
        The program: one ``<state> <symbol> <new symbol> <direction> <new state>`` rule per line.
    name : str, optional
        Name of the machine (default ``"machine"``).
    start : str, optional
        The start state (the simulator's "initial state" box). Default: ``0`` if the program has a state
        ``0``, else the state of the first rule (see the module docstring).
    input_symbols : str or sequence of str, optional
        Extra input symbols (single characters), added to those of the rules, of the ``$INITIAL_TAPE``
        comment and of ``$INPUT_SYMBOLS`` comments; ``*`` rules apply to them too.

    Returns
    -------
    Machine
        States in order of first appearance (start first), symbols ``_`` then order of first appearance,
        every wildcard expanded, halting states the ``halt*`` states.

    Raises
    ------
    FormatError
        An empty (or all white space) text; a line without 5 fields, a symbol longer than one character, an
        unknown direction, a rule given twice, or a rule from a halting state, naming the line number and the
        bad field; a declared input symbol that Morphett cannot have.

    Examples
    --------
    >>> from tmsim import run
    >>> program = '''
    ... ; binary increment: go right to the end, then carry 1s to the left
    ... 0 * * r 0
    ... 0 _ _ l 1
    ... 1 1 0 l 1
    ... 1 * 1 * halt     ; a 0 or a blank becomes 1
    ... '''
    >>> m = parse_morphett(program, name="increment")
    >>> m.states, m.symbols, m.start, sorted(m.halting)
    (('0', '1', 'halt'), ('_', '1', '0'), '0', ['halt'])
    >>> run(m, "1011").output, run(m, "111").output
    ('1100', '1000')
    """
    if not isinstance(text, str):
        raise FormatError(f"A Morphett program must be a string. Got {type(text).__name__}.")
    if not text.strip():
        raise FormatError("Empty Morphett program: expected lines '<current state> <current symbol> <new symbol> "
                          "<direction> <new state>'.")
    rules: dict[tuple[str, str], tuple[str, str, Move, int]] = {}  # (state, read) -> (write, move, next, line)
    states: dict[str, None] = {}
    symbols: dict[str, None] = {BLANK: None}
    first_state: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split(";", 1)[0].split()
        if not fields:
            continue
        if len(fields) == 6 and fields[5] == "!":
            fields = fields[:5]
        if len(fields) != 5:
            raise FormatError(
                f"Morphett line {number}: expected 5 fields '<current state> <current symbol> <new symbol> "
                f"<direction> <new state>', got {len(fields)}: {raw.strip()!r}."
            )
        state, read, write, direction, nxt = fields
        for what, sym in (("current symbol", read), ("new symbol", write)):
            if len(sym) != 1:
                raise FormatError(f"Morphett line {number}: the {what} {sym!r} must be a single character "
                                  f"({raw.strip()!r}).")
        move = _DIRECTIONS.get(direction.lower())
        if move is None:
            raise FormatError(f"Morphett line {number}: unknown direction {direction!r}; expected 'l', 'r' or "
                              f"'*' (stay) ({raw.strip()!r}).")
        if state != WILD and _is_halt(state):
            raise FormatError(f"Morphett line {number}: state {state!r} is a halting state (its name starts "
                              f"with 'halt'), so its rules could never be used ({raw.strip()!r}).")
        if (state, read) in rules:
            raise FormatError(f"Morphett line {number}: state {state!r} and symbol {read!r} already have a rule "
                              f"on line {rules[(state, read)][3]} ({raw.strip()!r}).")
        rules[(state, read)] = (write, move, nxt, number)
        for s in (state, nxt):
            if s != WILD:
                states.setdefault(s)
        if first_state is None and state != WILD:
            first_state = state
        for sym in (read, write):
            if sym != WILD:
                symbols.setdefault(sym)
    for sym in _declared_symbols(text, input_symbols):
        symbols.setdefault(sym)
    if start is None:
        start = "0" if ("0" in states or not states) else (first_state or next(iter(states)))
    elif not isinstance(start, str):
        raise FormatError(f"Morphett start state must be a string. Got {start!r}.")
    order = [start] + [s for s in states if s != start]
    alphabet = tuple(symbols)
    table = {}
    for state in order:
        if _is_halt(state):
            continue
        for sym in alphabet:
            for key in ((state, sym), (state, WILD), (WILD, sym), (WILD, WILD)):
                if key in rules:
                    write, move, nxt, _ = rules[key]
                    table[(state, sym)] = (state if nxt == WILD else nxt, sym if write == WILD else write, move)
                    break
    halting = [s for s in order if _is_halt(s)]
    return Machine(order, alphabet, BLANK, alphabet[1:], start, halting, table, name=name or "machine")


@dataclass(frozen=True)
class MorphettNames:
    """The renaming :func:`to_morphett` applies: original name -> name in the Morphett program.

    Attributes
    ----------
    states : mapping str -> str
    symbols : mapping str -> str
    """

    states: Mapping[str, str]
    symbols: Mapping[str, str]


def morphett_names(machine: Machine) -> MorphettNames:
    """The state and symbol renaming that makes ``machine`` expressible as a Morphett program.

    Raises
    ------
    ConversionError
        A non-blank symbol longer than one character, or one of ``;``, ``*``, ``_`` (when ``_`` is not the
        blank but the blank must become ``_``); a state named ``*`` or containing ``;``; a halting start
        state (Morphett starts in ``0``, which does not halt).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> names = morphett_names(parse_standard("1RB1LB_1LA1RZ"))
    >>> dict(names.states), dict(names.symbols)
    ({'A': '0', 'B': 'B', 'Z': 'halt-Z'}, {'0': '_', '1': '1'})
    """
    w = f"Machine {machine.name!r}: "
    symbols = {}
    for sym in machine.symbols:
        if sym == machine.blank:
            if sym != BLANK and BLANK in machine.symbols:
                raise ConversionError(
                    f"{w}the blank {sym!r} must become {BLANK!r} in the Morphett format, but {BLANK!r} is "
                    f"another symbol of the machine.")
            symbols[sym] = BLANK
            continue
        if len(sym) != 1:
            raise ConversionError(f"{w}symbol {sym!r} has {len(sym)} characters; Morphett symbols are single "
                                  f"characters.")
        if sym in _FORBIDDEN_SYMBOLS:
            raise ConversionError(f"{w}symbol {sym!r} cannot be written in the Morphett format (';' starts a "
                                  f"comment, '*' is the wildcard).")
        symbols[sym] = sym
    for state in machine.states:
        if state == WILD or ";" in state:
            raise ConversionError(f"{w}state {state!r} cannot be written in the Morphett format ('*' is the "
                                  f"wildcard, ';' starts a comment).")
    if machine.start in machine.halting:
        raise ConversionError(f"{w}the start state {machine.start!r} is a halting state; a Morphett machine "
                              f"starts in state '0', which does not halt.")
    wanted: dict[str, str] = {}
    for state in machine.states:
        if state == machine.start:
            wanted[state] = "0"
            continue
        new = machine.start if state == "0" else state  # swap with the start state
        if state in machine.halting and not _is_halt(new):
            new = f"halt-{new}"
        elif state not in machine.halting and _is_halt(new):
            new = f"q-{new}"
        wanted[state] = new
    # Unchanged names keep priority; a renamed state that collides gets a numeric suffix.
    taken = {"0"} | {s for s, new in wanted.items() if s == new}
    states = {}
    for state in machine.states:
        new = wanted[state]
        if new != state and state != machine.start:
            base, k = new, 1
            while new in taken:
                k += 1
                new = f"{base}~{k}"
            taken.add(new)
        states[state] = new
    return MorphettNames(MappingProxyType(states), MappingProxyType(symbols))


def to_morphett(machine: Machine) -> str:
    """Write ``machine`` as a Morphett program: a comment header, then one explicit line per rule.

    Names are changed as :func:`morphett_names` says (start state ``0``, halting states ``halt*``, blank
    ``_``); undefined transitions are simply absent. When the start state has no rule (and no rule goes to
    it) no rule can ever run; the rules are then written as comments, so that the program still starts
    (and at once stops) in state ``0``.

    Raises
    ------
    ConversionError
        See :func:`morphett_names`.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> print(to_morphett(parse_standard("1RB1LB_1LA1RZ", name="bb2")), end="")
    ; bb2 (written by tmsim: start state 0, halting states halt*, blank _)
    0 _ 1 r B
    0 1 1 l B
    B _ 1 l 0
    B 1 1 r halt-Z
    """
    names = morphett_names(machine)
    st, sy = names.states, names.symbols
    title = re.sub(r"\s+", " ", machine.name).replace("$", "").strip()  # no '$' directive in the header
    lines = [f"; {title} (written by tmsim: start state 0, halting states halt*, blank _)"]
    mentioned = {sym for _, read, write, _, _ in machine.rules() for sym in (read, write)}
    unmentioned = [sy[s] for s in machine.input_symbols if s not in mentioned]
    if unmentioned:
        lines.append(f"; $INPUT_SYMBOLS: {''.join(unmentioned)}")
    rules = [f"{st[state]} {sy[read]} {sy[write]} {_LETTER[Move(move)]} {st[nxt]}"
             for state, read, write, move, nxt in machine.rules()]
    if rules and all(machine.start not in (state, nxt) for state, _, _, _, nxt in machine.rules()):
        # The start state has no rule, so the machine stops at once and no rule can ever run. Written as
        # lines, they would not mention state 0, and a reader would start in the first rule's state.
        lines.append("; start state 0 has no rules, so no rule below can ever run:")
        rules = ["; " + r for r in rules]
    if not rules or rules[0].startswith(";"):
        lines.append(_NO_RULES_LINE)  # read back as a machine without rules, not refused as an empty file
    lines.extend(rules)
    return "\n".join(lines) + "\n"
