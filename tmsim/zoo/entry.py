"""Zoo (entries): :class:`ZooEntry`, a named machine with a known answer, its well-formed inputs and a step
budget; and the two helpers the rule tables are written with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Literal

import numpy as np

from .._validate import check_int, check_random_state
from ..errors import InputError, ParameterError
from ..machine import Machine
from ..simulate import RunResult, Status
from .language import Language

__all__ = ["ZooEntry", "TASKS", "Task", "machine_from_rules", "check_input"]

#: The kinds of answer an entry can have (see the module docstring).
TASKS = ("function", "accept", "busy-beaver")
Task = Literal["function", "accept", "busy-beaver"]

# ------------------------------------------------------------------------------------------------ entries
@dataclass(frozen=True)
class ZooEntry:
    """A named machine with a known answer.

    Attributes
    ----------
    name : str
        The registry name (``get(name)``), also the machine's name.
    machine : Machine
    description : str
        One line: what it computes, the input convention, the answer convention.
    task : {"function", "accept", "busy-beaver"}
        How :meth:`answer` reads a run (see the module docstring).
    reference : callable
        The answer computed in plain Python: ``str -> str`` for functions, ``str -> bool`` for recognisers,
        ``None -> (steps, nonblank)`` for busy beavers. Raises :class:`~tmsim.errors.InputError` (a
        ``ValueError``) on a malformed input.
    verify_up_to : int
        The tests check every well-formed input of length ``<= verify_up_to``.
    max_steps : int
        A step budget that suffices for every well-formed input of length ``<= verify_up_to``.
    language : Language
        The well-formed inputs. On other inputs the machine may compute anything, but it stops (halts or
        reaches an undefined transition).
    """

    name: str
    machine: Machine
    description: str
    task: Task
    reference: Callable[..., object]
    verify_up_to: int
    max_steps: int
    language: Language

    def __post_init__(self) -> None:
        w = f"Zoo entry {self.name!r}: "
        if self.task not in TASKS:
            raise ParameterError(f"{w}task must be one of {TASKS!r}. Got {self.task!r}.")
        extra = set(self.language.symbols) - set(self.machine.input_symbols)
        if extra:
            raise ParameterError(f"{w}language symbols {sorted(extra)!r} are not input symbols of the machine.")
        if self.task == "accept" and not {"accept", "reject"} <= self.machine.halting:
            raise ParameterError(f"{w}an 'accept' machine needs halting states 'accept' and 'reject'.")

    def well_formed(self, input: str | None) -> bool:
        """True when ``input`` is a well-formed input (``None`` is the empty input).

        Examples
        --------
        >>> from tmsim import zoo
        >>> zoo.get("binary-addition").well_formed("1+10"), zoo.get("binary-addition").well_formed("1+")
        (True, False)
        """
        return self.language.contains(input)

    def inputs(self, max_len: int, min_len: int = 0) -> Iterator[str]:
        """Every well-formed input with ``min_len <= len <= max_len``, shortest first.

        Examples
        --------
        >>> from tmsim import zoo
        >>> list(zoo.get("unary-addition").inputs(2))
        ['+', '+1', '1+']
        """
        owner = f"ZooEntry({self.name!r}).inputs"
        max_len = check_int("max_len", max_len, low=0, owner=owner)
        min_len = check_int("min_len", min_len, low=0, owner=owner)
        for n in range(min_len, max_len + 1):
            yield from self.language.strings(n)

    def sample(self, length: int, random_state: int | np.random.Generator | None = None) -> str:
        """A random well-formed input of exactly ``length`` symbols, uniform over all of them.

        Parameters
        ----------
        length : int
        random_state : int, numpy Generator or None
            Seed or generator (pass one generator to draw many different inputs).

        Raises
        ------
        ParameterError
            No well-formed input has that length (e.g. ``length < 3`` for ``a+b``).

        Examples
        --------
        >>> from tmsim import zoo
        >>> x = zoo.get("binary-multiplication").sample(7, random_state=0)
        >>> len(x), zoo.get("binary-multiplication").well_formed(x)
        (7, True)
        """
        return self.language.sample(length, check_random_state(random_state, f"{self.name}.sample")[1])

    def expected(self, input: str | None = None) -> object:
        """The answer on ``input``, from :attr:`reference` (not from running the machine).

        Examples
        --------
        >>> from tmsim import zoo
        >>> zoo.get("copy").expected("01"), zoo.get("palindrome").expected("abba")
        ('01#01', True)
        """
        return self.reference(input)

    def answer(self, result: RunResult) -> object:
        """Read the answer off a run of :attr:`machine`, in the form :attr:`reference` returns.

        Raises
        ------
        ParameterError
            The run did not halt (status other than ``halted``), or an ``accept`` machine halted in a
            state other than ``accept``/``reject``: such a run has no answer.

        Examples
        --------
        >>> from tmsim import run, zoo
        >>> parity = zoo.get("parity")
        >>> parity.answer(run(parity.machine, "0111"))
        True
        """
        if not isinstance(result, RunResult):
            raise ParameterError(f"ZooEntry({self.name!r}).answer needs a tmsim.RunResult. "
                                 f"Got {type(result).__name__}.")
        if result.status is not Status.HALTED:
            raise ParameterError(
                f"Zoo entry {self.name!r}: the run ended with status {result.status.value!r} after "
                f"{result.steps} steps (state {result.state!r}); only a halted run has an answer."
            )
        if self.task == "function":
            return result.output
        if self.task == "accept":
            if result.state == "accept":
                return True
            if result.state == "reject":
                return False
            raise ParameterError(f"Zoo entry {self.name!r}: the run halted in state {result.state!r}, "
                                 f"expected 'accept' or 'reject'.")
        return (result.steps, result.nonblank)


def machine_from_rules(name: str, rules: list[tuple[str, str, str, str, str]], *, symbols: str, input_symbols: str,
                       start: str, halting: tuple[str, ...], blank: str = "_") -> Machine:
    """The machine of a rule table ``(state, read, write, move, next)``; states in order of first appearance
    (the start first), halting states last."""
    states = [start]
    for state, _, _, _, nxt in rules:
        for s in (state, nxt):
            if s not in states and s not in halting:
                states.append(s)
    return Machine(states + list(halting), list(symbols), blank, list(input_symbols), start, halting, rules,
                   name=name)


def check_input(x: object, lang: Language, name: str) -> str:
    """``x`` (None: the empty input) if it is a well-formed input of entry ``name``, else an InputError."""
    if x is None:
        x = ""
    if not lang.contains(x):
        raise InputError(f"Zoo entry {name!r}: input {x!r} is not well-formed; expected a string matching "
                         f"{lang.pattern!r}.")
    return x  # type: ignore[return-value]
