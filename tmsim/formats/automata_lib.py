"""Formats: convert machines to and from automata-lib's ``DTM``, and run a ``DTM`` as an independent oracle.

automata-lib (https://github.com/caleb531/automata) is a test-only dependency: it is imported inside the
functions, and a missing install is reported as a :class:`~tmsim.errors.ConversionError`.

Semantics match :func:`tmsim.run`: entering a final state halts (that transition is a step); a missing
transition ends the run as ``undefined`` (automata-lib raises ``RejectionException``; the failed lookup is not
a step). automata-lib forbids a final start state and rules from final states; tmsim forbids the latter too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from .._validate import check_int
from ..errors import ConversionError, InputError
from ..machine import Machine, Move

if TYPE_CHECKING:  # pragma: no cover
    from automata.tm.dtm import DTM

__all__ = ["to_automata", "from_automata", "run_automata", "AutomataRun"]

_TO_LETTER = {Move.L: "L", Move.R: "R", Move.S: "N"}
_FROM_LETTER = {"L": Move.L, "R": Move.R, "N": Move.S}


def _import_dtm():
    try:
        from automata.tm.dtm import DTM
    except ImportError as e:  # pragma: no cover - exercised only without automata-lib
        raise ConversionError(
            f"automata-lib is needed to convert machines to and from automata-lib ({e}); install it with "
            f"'pip install automata-lib' (it is a test dependency of tmsim: 'pip install tmsim[test]')."
        ) from None
    return DTM


def to_automata(machine: Machine) -> "DTM":
    """Convert ``machine`` to an ``automata.tm.dtm.DTM``.

    Halting states become final states; the stay move ``S`` becomes ``'N'``. Every running state gets a
    (possibly empty) transition dict, which automata-lib needs for the initial state.

    Raises
    ------
    ConversionError
        automata-lib is not installed, the start state is halting (automata-lib forbids a final initial
        state), or automata-lib rejects the machine.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> dtm = to_automata(parse_standard("1RB1LB_1LA1RZ"))
    >>> dtm.initial_state, sorted(dtm.final_states), dtm.transitions["A"]["0"]
    ('A', ['Z'], ('B', '1', 'R'))
    """
    DTM = _import_dtm()
    from automata.base.exceptions import AutomatonException

    if machine.start in machine.halting:
        raise ConversionError(f"Machine {machine.name!r}: the start state {machine.start!r} is halting, and "
                              f"automata-lib forbids an initial state that is final.")
    transitions: dict[str, dict[str, tuple[str, str, str]]] = {
        s: {} for s in machine.states if s not in machine.halting}
    for state, read, write, move, nxt in machine.rules():
        transitions[state][read] = (nxt, write, _TO_LETTER[Move(move)])
    try:
        return DTM(
            states=set(machine.states),
            input_symbols=set(machine.input_symbols),
            tape_symbols=set(machine.symbols),
            transitions=transitions,
            initial_state=machine.start,
            blank_symbol=machine.blank,
            final_states=set(machine.halting),
        )
    except AutomatonException as e:
        raise ConversionError(f"Machine {machine.name!r}: automata-lib rejects it: {e}") from None


def from_automata(dtm: "DTM", *, name: str = "automata") -> Machine:
    """Convert an automata-lib ``DTM`` to a :class:`Machine`.

    A DTM holds its states and symbols in sets, so an order is chosen: the initial state, then the other
    non-final states, then the final states, each group sorted; the blank, then the other symbols sorted;
    input symbols sorted. Non-string state names are converted with ``str``.

    Parameters
    ----------
    dtm : automata.tm.dtm.DTM
    name : str, default "automata"

    Raises
    ------
    ConversionError
        ``dtm`` is not a DTM, two states have the same ``str``, or a direction is not L/R/N.
    MachineError
        The converted machine is invalid (e.g. a state name with white space).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> back = from_automata(to_automata(m))
    >>> back.states, dict(back.transitions) == dict(m.transitions)
    (('A', 'B', 'Z'), True)
    """
    DTM = _import_dtm()
    if not isinstance(dtm, DTM):
        raise ConversionError(f"from_automata expects an automata.tm.dtm.DTM. Got {type(dtm).__name__}.")
    names: dict[Any, str] = {}
    for s in dtm.states:
        n = s if isinstance(s, str) else str(s)
        if n in names.values():
            raise ConversionError(f"DTM {name!r}: two states are both named {n!r} once converted to strings.")
        names[s] = n
    initial = names[dtm.initial_state]
    final = sorted(names[s] for s in dtm.final_states)
    running = sorted(n for s, n in names.items() if s not in dtm.final_states and n != initial)
    symbols = [dtm.blank_symbol] + sorted(s for s in dtm.tape_symbols if s != dtm.blank_symbol)
    rules = []
    for state, paths in dtm.transitions.items():
        for read, (nxt, write, direction) in paths.items():
            if direction not in _FROM_LETTER:
                raise ConversionError(f"DTM {name!r}: transition ({state!r}, {read!r}) has direction "
                                      f"{direction!r}; expected 'L', 'R' or 'N'.")
            rules.append((names[state], read, write, _FROM_LETTER[direction], names[nxt]))
    return Machine([initial] + running + final, symbols, dtm.blank_symbol, sorted(dtm.input_symbols), initial,
                   final, rules, name=name)


@dataclass(frozen=True)
class AutomataRun:
    """The result of :func:`run_automata`, with the fields of :class:`tmsim.RunResult` that it can check.

    Attributes
    ----------
    status : str
        ``"halted"`` (entered a final state), ``"undefined"`` (no transition) or ``"step_limit"``.
    steps : int
        Transitions executed.
    state : str
        Final state.
    head : int
        Final absolute head position (the input starts at position 0).
    tape : tuple of str
        The final tape from its first to its last non-blank cell (empty when blank).
    tape_start : int
        Absolute position of ``tape[0]`` (0 when the tape is blank).
    """

    status: str
    steps: int
    state: Any
    head: int
    tape: tuple[str, ...]
    tape_start: int


def run_automata(dtm: "DTM", input: str | Sequence[str] | None = None, max_steps: int = 10_000) -> AutomataRun:
    """Run an automata-lib ``DTM`` step by step (``dtm.read_input_stepwise``) for at most ``max_steps``.

    An oracle independent of tmsim's simulator: the tape, the moves and the lookups are all automata-lib's.
    automata-lib's tape inserts a cell at its front when the head moves left of it, which shifts every
    index by one; the shift is tracked so that ``head`` and ``tape_start`` are absolute positions, like
    :func:`tmsim.run`'s. As in :func:`tmsim.run`, a run in a final state or at a missing transition after
    exactly ``max_steps`` steps reports ``halted`` / ``undefined``, not ``step_limit`` (one more
    configuration is requested to tell which).

    Parameters
    ----------
    dtm : automata.tm.dtm.DTM
    input : str or sequence of str, optional
        A ``str`` is split into characters when every tape symbol is one character, else on white space.
    max_steps : int, default 10_000

    Raises
    ------
    InputError
        An input symbol that is not one of the DTM's input symbols (named with its position).
    ParameterError
        A negative ``max_steps``.

    Examples
    --------
    >>> from tmsim import parse_standard, run
    >>> bb4 = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
    >>> r = run_automata(to_automata(bb4), max_steps=1000)
    >>> (r.status, r.steps, r.head) == (run(bb4).status.value, run(bb4).steps, run(bb4).head)
    True
    """
    _import_dtm()
    from automata.base.exceptions import RejectionException

    max_steps = check_int("max_steps", max_steps, low=0, owner="tmsim.formats.run_automata")
    symbols = _input_symbols(dtm, input)
    steps = 0
    origin = 0  # index in automata-lib's tape list of absolute position 0
    configs = dtm.read_input_stepwise(symbols)
    config = next(configs)
    while True:
        if config.state in dtm.final_states:
            status = "halted"
            break
        try:
            following = next(configs)
        except RejectionException:
            status = "undefined"
            break
        if steps >= max_steps:
            status = "step_limit"
            break
        # A left move off cell 0 inserts a blank at the front (the tape grows and the head is at index 0);
        # growing at the back leaves the head at the last index >= 1.
        if len(following.tape.tape) > len(config.tape.tape) and following.tape.current_position == 0:
            origin += 1
        config = following
        steps += 1
    cells = config.tape.tape
    nonblank = [i for i, c in enumerate(cells) if c != dtm.blank_symbol]
    if nonblank:
        tape = tuple(cells[nonblank[0]:nonblank[-1] + 1])
        tape_start = nonblank[0] - origin
    else:
        tape, tape_start = (), 0
    return AutomataRun(status, steps, config.state, config.tape.current_position - origin, tape, tape_start)


def _input_symbols(dtm: "DTM", input: str | Sequence[str] | None) -> list[str]:
    if input is None:
        return []
    if isinstance(input, str):
        single = all(isinstance(s, str) and len(s) == 1 for s in dtm.tape_symbols)
        symbols = list(input) if single else input.split()
    else:
        symbols = list(input)
    for i, s in enumerate(symbols):
        if s not in dtm.input_symbols:
            raise InputError(f"run_automata: input symbol {s!r} at position {i} is not in the DTM's input "
                             f"alphabet {tuple(sorted(dtm.input_symbols))!r}.")
    return symbols
