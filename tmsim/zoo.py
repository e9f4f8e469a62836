"""Zoo: named Turing machines with known answers (arithmetic, recognisers, busy-beaver champions), each with
an independent Python reference, a definition of its well-formed inputs, and a step budget.

Every entry is a real machine given by an explicit transition table. Its ``task`` says how to read the
answer off a run:

``"function"``
    the answer is the final tape's non-blank span, :attr:`tmsim.RunResult.output`;
``"accept"``
    the answer is ``True`` when the run halts in state ``accept``, ``False`` when it halts in ``reject``;
``"busy-beaver"``
    the input is blank and the answer is ``(steps, nonblank)``.

``entry.reference`` computes the same answer in plain Python (integer arithmetic, string reversal, published
constants), never by running a machine, so that the tests compare two independent things.

Examples
--------
>>> from tmsim import run, zoo
>>> add = zoo.get("binary-addition")
>>> r = run(add.machine, "101+11", max_steps=add.max_steps)
>>> r.output, add.answer(r) == add.expected("101+11")
('1000', True)
>>> zoo.get("zoo:bb4").expected()
(107, 13)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterator, Literal

import numpy as np

from ._validate import check_int, check_random_state
from .errors import InputError, ParameterError
from .formats.standard import parse_standard
from .machine import Machine
from .simulate import RunResult, Status

__all__ = ["Language", "ZooEntry", "TASKS", "names", "get", "entries"]

#: The kinds of answer an entry can have (see the module docstring).
TASKS = ("function", "accept", "busy-beaver")
Task = Literal["function", "accept", "busy-beaver"]


# ------------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class Language:
    """The well-formed inputs of a zoo entry.

    Either every string over ``alphabet`` (``operator`` is None), or ``x OP y`` with ``x`` and ``y`` strings
    over ``alphabet`` of length at least ``min_operand`` and exactly one ``operator`` between them.

    Parameters
    ----------
    alphabet : tuple of str
        The single-character symbols of a plain string, or of each operand.
    operator : str, optional
        The separator of a two-operand input, e.g. ``'+'``.
    min_operand : int, default 0
        Least length of each operand (1 for binary numbers, 0 for unary ones).
    max_length : int, optional
        Longest well-formed input (0 for the blank input of a busy beaver).

    Examples
    --------
    >>> lang = Language(("0", "1"), operator="+", min_operand=1)
    >>> lang.pattern, lang.contains("10+1"), lang.contains("+1"), lang.count(4)
    ('[01]+\\\\+[01]+', True, False, 16)
    >>> list(lang.strings(3))
    ['0+0', '0+1', '1+0', '1+1']
    """

    alphabet: tuple[str, ...]
    operator: str | None = None
    min_operand: int = 0
    max_length: int | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol a well-formed input may contain."""
        return self.alphabet + ((self.operator,) if self.operator is not None else ())

    @property
    def pattern(self) -> str:
        """The language as a regular expression (for documentation: ``[01]+\\+[01]+``)."""
        if self.max_length == 0:
            return ""
        cls = "[" + "".join(self.alphabet) + "]" if len(self.alphabet) > 1 else "".join(self.alphabet)
        if self.operator is None:
            return cls + "*"
        rep = "*" if self.min_operand == 0 else ("+" if self.min_operand == 1 else f"{{{self.min_operand},}}")
        return f"{cls}{rep}\\{self.operator}{cls}{rep}"

    def contains(self, text: object) -> bool:
        """True when ``text`` (a str; ``None`` means the empty input) is well-formed."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            return False
        if self.max_length is not None and len(text) > self.max_length:
            return False
        allowed = set(self.alphabet)
        if self.operator is None:
            return all(c in allowed for c in text)
        left, sep, right = text.partition(self.operator)
        return (bool(sep) and len(left) >= self.min_operand and len(right) >= self.min_operand
                and all(c in allowed for c in left + right))

    def _splits(self, length: int) -> range:
        # Operand lengths (left) such that left + 1 + right == length with both >= min_operand.
        return range(self.min_operand, length - self.min_operand)

    def count(self, length: int) -> int:
        """Number of well-formed inputs of exactly ``length`` symbols."""
        length = check_int("length", length, low=0, owner="Language.count")
        if self.max_length is not None and length > self.max_length:
            return 0
        k = len(self.alphabet)
        if self.operator is None:
            return k ** length
        return len(self._splits(length)) * k ** (length - 1)

    def strings(self, length: int) -> Iterator[str]:
        """Every well-formed input of exactly ``length`` symbols, in a fixed order."""
        length = check_int("length", length, low=0, owner="Language.strings")
        if self.max_length is not None and length > self.max_length:
            return
        if self.operator is None:
            for t in itertools.product(self.alphabet, repeat=length):
                yield "".join(t)
            return
        for p in self._splits(length):
            for t in itertools.product(self.alphabet, repeat=length - 1):
                yield "".join(t[:p]) + self.operator + "".join(t[p:])

    def sample(self, length: int, rng: np.random.Generator) -> str:
        """One well-formed input of exactly ``length`` symbols, uniform over all of them."""
        if self.count(length) == 0:
            raise ParameterError(
                f"The 'length' parameter of Language.sample must admit a well-formed input of "
                f"{self.pattern!r}. Got {length} instead."
            )
        n_body = length - (self.operator is not None)
        body = "".join(self.alphabet[i] for i in rng.integers(0, len(self.alphabet), size=n_body)) if n_body else ""
        if self.operator is None:
            return body
        # Every operator position admits the same number of strings, so a uniform position is uniform overall.
        splits = self._splits(length)
        p = splits[int(rng.integers(0, len(splits)))]
        return body[:p] + self.operator + body[p:]


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
        >>> get("binary-addition").well_formed("1+10"), get("binary-addition").well_formed("1+")
        (True, False)
        """
        return self.language.contains(input)

    def inputs(self, max_len: int, min_len: int = 0) -> Iterator[str]:
        """Every well-formed input with ``min_len <= len <= max_len``, shortest first.

        Examples
        --------
        >>> list(get("unary-addition").inputs(2))
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
        >>> x = get("binary-multiplication").sample(7, random_state=0)
        >>> len(x), get("binary-multiplication").well_formed(x)
        (7, True)
        """
        return self.language.sample(length, check_random_state(random_state, f"{self.name}.sample")[1])

    def expected(self, input: str | None = None) -> object:
        """The answer on ``input``, from :attr:`reference` (not from running the machine).

        Examples
        --------
        >>> get("copy").expected("01"), get("palindrome").expected("abba")
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
        >>> from tmsim import run
        >>> parity = get("parity")
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


def _machine(name: str, rules: list[tuple[str, str, str, str, str]], *, symbols: str, input_symbols: str,
             start: str, halting: tuple[str, ...], blank: str = "_") -> Machine:
    # States in order of first appearance (the start first), halting states last.
    states = [start]
    for state, _, _, _, nxt in rules:
        for s in (state, nxt):
            if s not in states and s not in halting:
                states.append(s)
    return Machine(states + list(halting), list(symbols), blank, list(input_symbols), start, halting, rules,
                   name=name)


def _check(x: object, lang: Language, name: str) -> str:
    if x is None:
        x = ""
    if not lang.contains(x):
        raise InputError(f"Zoo entry {name!r}: input {x!r} is not well-formed; expected a string matching "
                         f"{lang.pattern!r}.")
    return x  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------ binary increment
# Algorithm: walk right to the end of the number, then add 1 from the least significant digit: a 1 becomes 0
# and the carry moves left; a 0 (or the blank left of the number, when every digit was 1) becomes 1 and we
# are done. The width is kept (leading zeros stay), so the empty input (read as 0) gives "1".
_INC_RULES = [
    ("right", "0", "0", "R", "right"),
    ("right", "1", "1", "R", "right"),
    ("right", "_", "_", "L", "carry"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "S", "done"),
    ("carry", "_", "1", "S", "done"),
]
_BITS = Language(("0", "1"))


def _increment(x: str | None) -> str:
    x = _check(x, _BITS, "binary-increment")
    return format(int(x or "0", 2) + 1, f"0{len(x)}b")


# ------------------------------------------------------------------------------------------------ binary addition
# Tape: a+b, both MSB first. Repeat: go to the right end; erase b's last digit d (b shrinks); walk left past
# the rest of b and the '+', then past a's marked digits (x = 0, y = 1: digits of the sum already final) to
# a's rightmost unmarked digit (or the blank left of a, read as 0); add d there, marking it, and propagate a
# carry leftwards through unmarked digits (1 -> 0, then 0 or blank -> 1). When b is used up (the last symbol
# is '+'): erase '+', unmark x -> 0, y -> 1 walking left, then erase leading zeros from the left, keeping one
# digit: the non-blank span is exactly bin(a + b) without leading zeros ('0' for zero).
_ADD_RULES = [
    ("seek", "0", "0", "R", "seek"),
    ("seek", "1", "1", "R", "seek"),
    ("seek", "+", "+", "R", "seek"),
    ("seek", "x", "x", "R", "seek"),
    ("seek", "y", "y", "R", "seek"),
    ("seek", "_", "_", "L", "read_b"),
    ("read_b", "0", "_", "L", "add0_b"),
    ("read_b", "1", "_", "L", "add1_b"),
    ("read_b", "+", "_", "L", "unmark"),
    # carrying a 0 or a 1 left across the rest of b
    ("add0_b", "0", "0", "L", "add0_b"),
    ("add0_b", "1", "1", "L", "add0_b"),
    ("add0_b", "+", "+", "L", "add0_a"),
    ("add1_b", "0", "0", "L", "add1_b"),
    ("add1_b", "1", "1", "L", "add1_b"),
    ("add1_b", "+", "+", "L", "add1_a"),
    # ... then across a's final (marked) digits to the digit it is added to
    ("add0_a", "x", "x", "L", "add0_a"),
    ("add0_a", "y", "y", "L", "add0_a"),
    ("add0_a", "0", "x", "R", "seek"),
    ("add0_a", "1", "y", "R", "seek"),
    ("add0_a", "_", "x", "R", "seek"),
    ("add1_a", "x", "x", "L", "add1_a"),
    ("add1_a", "y", "y", "L", "add1_a"),
    ("add1_a", "0", "y", "R", "seek"),
    ("add1_a", "1", "x", "L", "carry"),
    ("add1_a", "_", "y", "R", "seek"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "R", "seek"),
    ("carry", "_", "1", "R", "seek"),
    # b used up: unmark walking left, then strip leading zeros walking right
    ("unmark", "x", "0", "L", "unmark"),
    ("unmark", "y", "1", "L", "unmark"),
    ("unmark", "0", "0", "L", "unmark"),
    ("unmark", "1", "1", "L", "unmark"),
    ("unmark", "_", "_", "R", "strip"),
    ("strip", "0", "_", "R", "strip"),
    ("strip", "1", "1", "S", "done"),
    ("strip", "_", "0", "S", "done"),
]
_ADD_LANG = Language(("0", "1"), operator="+", min_operand=1)


def _addition(x: str | None) -> str:
    a, _, b = _check(x, _ADD_LANG, "binary-addition").partition("+")
    return format(int(a, 2) + int(b, 2), "b")


# ------------------------------------------------------------------------------------------------ multiplication
# Tape: a*b, both MSB first. The product P is built MSB first to the left of a, behind a marker:  P=a*b.
# Shift-and-add over b's digits from the least significant one: at step k, P += a << k, then P's k-th digit
# from the right is final. P's final digits are marked X (0) / Y (1); they sit at P's right end, so the k
# final ones are exactly the k lowest places and the next addition starts just left of them.
#   start:      write '=' left of a, go to the right end.
#   read_b:     erase b's last digit d (b shrinks). d = 0: go straight to finalize. d = 1: add a into P:
#   pick_a:       a's rightmost unmarked digit is marked (x = 0, y = 1) and carried left past '=' and P's
#                 final and already-added digits (X, Y, x, y) to P's next place, where it is added with a
#                 carry moving left through unmarked digits (the blank left of P reads as 0); then back to
#                 a. When every digit of a is marked: unmark a, unmark P's x/y, and finalize.
#   finalize:   the digit just left of P's final block becomes final (a blank there becomes X = 0).
# When b is used up (read_b reads '*'): erase '*', a and '=', unmark P (X -> 0, Y -> 1) and strip its
# leading zeros as in binary-addition. P then holds len(b) final digits, so it is never empty.
_MUL_RULES = [
    ("start", "0", "0", "L", "mark"),
    ("start", "1", "1", "L", "mark"),
    ("start", "*", "*", "L", "mark"),
    ("mark", "_", "=", "R", "seek"),
    ("seek", "0", "0", "R", "seek"),
    ("seek", "1", "1", "R", "seek"),
    ("seek", "*", "*", "R", "seek"),
    ("seek", "=", "=", "R", "seek"),
    ("seek", "X", "X", "R", "seek"),
    ("seek", "Y", "Y", "R", "seek"),
    ("seek", "_", "_", "L", "read_b"),
    ("read_b", "0", "_", "L", "to_p"),
    ("read_b", "1", "_", "L", "to_a"),
    ("read_b", "*", "_", "L", "erase_a"),
    # d = 1: walk left across the rest of b to a's right end
    ("to_a", "0", "0", "L", "to_a"),
    ("to_a", "1", "1", "L", "to_a"),
    ("to_a", "*", "*", "L", "pick_a"),
    ("pick_a", "x", "x", "L", "pick_a"),
    ("pick_a", "y", "y", "L", "pick_a"),
    ("pick_a", "0", "x", "L", "give0"),
    ("pick_a", "1", "y", "L", "give1"),
    ("pick_a", "=", "=", "R", "unmark_a"),
    ("give0", "0", "0", "L", "give0"),
    ("give0", "1", "1", "L", "give0"),
    ("give0", "x", "x", "L", "give0"),
    ("give0", "y", "y", "L", "give0"),
    ("give0", "=", "=", "L", "add0"),
    ("give1", "0", "0", "L", "give1"),
    ("give1", "1", "1", "L", "give1"),
    ("give1", "x", "x", "L", "give1"),
    ("give1", "y", "y", "L", "give1"),
    ("give1", "=", "=", "L", "add1"),
    ("add0", "X", "X", "L", "add0"),
    ("add0", "Y", "Y", "L", "add0"),
    ("add0", "x", "x", "L", "add0"),
    ("add0", "y", "y", "L", "add0"),
    ("add0", "0", "x", "R", "back"),
    ("add0", "1", "y", "R", "back"),
    ("add0", "_", "x", "R", "back"),
    ("add1", "X", "X", "L", "add1"),
    ("add1", "Y", "Y", "L", "add1"),
    ("add1", "x", "x", "L", "add1"),
    ("add1", "y", "y", "L", "add1"),
    ("add1", "0", "y", "R", "back"),
    ("add1", "1", "x", "L", "carry"),
    ("add1", "_", "y", "R", "back"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "R", "back"),
    ("carry", "_", "1", "R", "back"),
    ("back", "0", "0", "R", "back"),
    ("back", "1", "1", "R", "back"),
    ("back", "x", "x", "R", "back"),
    ("back", "y", "y", "R", "back"),
    ("back", "X", "X", "R", "back"),
    ("back", "Y", "Y", "R", "back"),
    ("back", "=", "=", "R", "back"),
    ("back", "*", "*", "L", "pick_a"),
    # a fully added: unmark a, then P's temporary marks, then finalize one digit of P
    ("unmark_a", "x", "0", "R", "unmark_a"),
    ("unmark_a", "y", "1", "R", "unmark_a"),
    ("unmark_a", "*", "*", "L", "to_p"),
    ("to_p", "0", "0", "L", "to_p"),
    ("to_p", "1", "1", "L", "to_p"),
    ("to_p", "*", "*", "L", "to_p"),
    ("to_p", "=", "=", "L", "unmark_p"),
    ("unmark_p", "X", "X", "L", "unmark_p"),
    ("unmark_p", "Y", "Y", "L", "unmark_p"),
    ("unmark_p", "x", "0", "L", "unmark_p"),
    ("unmark_p", "y", "1", "L", "unmark_p"),
    ("unmark_p", "0", "0", "R", "to_eq"),
    ("unmark_p", "1", "1", "R", "to_eq"),
    ("unmark_p", "_", "_", "R", "to_eq"),
    ("to_eq", "0", "0", "R", "to_eq"),
    ("to_eq", "1", "1", "R", "to_eq"),
    ("to_eq", "X", "X", "R", "to_eq"),
    ("to_eq", "Y", "Y", "R", "to_eq"),
    ("to_eq", "=", "=", "L", "finalize"),
    ("finalize", "X", "X", "L", "finalize"),
    ("finalize", "Y", "Y", "L", "finalize"),
    ("finalize", "0", "X", "R", "seek"),
    ("finalize", "1", "Y", "R", "seek"),
    ("finalize", "_", "X", "R", "seek"),
    # b used up: erase a and '=', unmark P walking left, strip leading zeros walking right
    ("erase_a", "0", "_", "L", "erase_a"),
    ("erase_a", "1", "_", "L", "erase_a"),
    ("erase_a", "=", "_", "L", "clean"),
    ("clean", "X", "0", "L", "clean"),
    ("clean", "Y", "1", "L", "clean"),
    ("clean", "0", "0", "L", "clean"),
    ("clean", "1", "1", "L", "clean"),
    ("clean", "_", "_", "R", "strip"),
    ("strip", "0", "_", "R", "strip"),
    ("strip", "1", "1", "S", "done"),
    ("strip", "_", "0", "S", "done"),
]
_MUL_LANG = Language(("0", "1"), operator="*", min_operand=1)


def _multiplication(x: str | None) -> str:
    a, _, b = _check(x, _MUL_LANG, "binary-multiplication").partition("*")
    return format(int(a, 2) * int(b, 2), "b")


# ------------------------------------------------------------------------------------------------ unary addition
# 1^a+1^b: the '+' becomes a 1, then the last 1 is erased. a = b = 0 ("+") leaves a blank tape ('').
_UNARY_RULES = [
    ("scan", "1", "1", "R", "scan"),
    ("scan", "+", "1", "R", "to_end"),
    ("to_end", "1", "1", "R", "to_end"),
    ("to_end", "_", "_", "L", "erase"),
    ("erase", "1", "_", "S", "done"),
]
_UNARY_LANG = Language(("1",), operator="+", min_operand=0)


def _unary_addition(x: str | None) -> str:
    a, _, b = _check(x, _UNARY_LANG, "unary-addition").partition("+")
    return "1" * (len(a) + len(b))


# ------------------------------------------------------------------------------------------------ copy
# w -> w#w. Write '#' after w; then repeatedly take w's leftmost unmarked digit, mark it (0 -> a, 1 -> b),
# carry it right to the end of the copy and write it there, and walk back left to the last mark. When the
# next digit is '#', unmark w walking left.
_COPY_RULES = [
    ("start", "0", "0", "R", "start"),
    ("start", "1", "1", "R", "start"),
    ("start", "_", "#", "L", "back_w"),
    ("back_copy", "0", "0", "L", "back_copy"),
    ("back_copy", "1", "1", "L", "back_copy"),
    ("back_copy", "#", "#", "L", "back_w"),
    ("back_w", "0", "0", "L", "back_w"),
    ("back_w", "1", "1", "L", "back_w"),
    ("back_w", "a", "a", "R", "pick"),
    ("back_w", "b", "b", "R", "pick"),
    ("back_w", "_", "_", "R", "pick"),
    ("pick", "0", "a", "R", "carry0"),
    ("pick", "1", "b", "R", "carry1"),
    ("pick", "#", "#", "L", "restore"),
    ("carry0", "0", "0", "R", "carry0"),
    ("carry0", "1", "1", "R", "carry0"),
    ("carry0", "#", "#", "R", "carry0"),
    ("carry0", "_", "0", "L", "back_copy"),
    ("carry1", "0", "0", "R", "carry1"),
    ("carry1", "1", "1", "R", "carry1"),
    ("carry1", "#", "#", "R", "carry1"),
    ("carry1", "_", "1", "L", "back_copy"),
    ("restore", "a", "0", "L", "restore"),
    ("restore", "b", "1", "L", "restore"),
    ("restore", "_", "_", "R", "done"),
]


def _copy(x: str | None) -> str:
    x = _check(x, _BITS, "copy")
    return f"{x}#{x}"


# ------------------------------------------------------------------------------------------------ parity
# A two-state automaton walking right: the state is the parity of the 1s read so far.
_PARITY_RULES = [
    ("even", "0", "0", "R", "even"),
    ("even", "1", "1", "R", "odd"),
    ("even", "_", "_", "S", "reject"),
    ("odd", "0", "0", "R", "odd"),
    ("odd", "1", "1", "R", "even"),
    ("odd", "_", "_", "S", "accept"),
]


def _parity(x: str | None) -> bool:
    return _check(x, _BITS, "parity").count("1") % 2 == 1


# The DESIGN.md machine: A = even, B = odd number of 1s so far; symbols 1 and 2 are copied unchanged and the
# blank after the input becomes 1 (even) or 2 (odd) as it halts in Z.
_PARITY_STANDARD = "1RZ1RB2RA_2RZ1RA2RB"
_ONE_TWO = Language(("1", "2"))


def _parity_standard(x: str | None) -> str:
    x = _check(x, _ONE_TWO, "parity-standard")
    return x + ("2" if x.count("1") % 2 else "1")


# ------------------------------------------------------------------------------------------------ palindrome
# Erase the first symbol, remembering it; walk to the right end; the last symbol must match (erase it) or
# reject; walk back to the left end and repeat. Nothing left (or one symbol left) accepts.
_PAL_RULES = [
    ("start", "a", "_", "R", "have_a"),
    ("start", "b", "_", "R", "have_b"),
    ("start", "_", "_", "S", "accept"),
    ("have_a", "a", "a", "R", "have_a"),
    ("have_a", "b", "b", "R", "have_a"),
    ("have_a", "_", "_", "L", "check_a"),
    ("have_b", "a", "a", "R", "have_b"),
    ("have_b", "b", "b", "R", "have_b"),
    ("have_b", "_", "_", "L", "check_b"),
    ("check_a", "a", "_", "L", "back"),
    ("check_a", "b", "b", "S", "reject"),
    ("check_a", "_", "_", "S", "accept"),
    ("check_b", "b", "_", "L", "back"),
    ("check_b", "a", "a", "S", "reject"),
    ("check_b", "_", "_", "S", "accept"),
    ("back", "a", "a", "L", "back"),
    ("back", "b", "b", "L", "back"),
    ("back", "_", "_", "R", "start"),
]
_AB = Language(("a", "b"))


def _palindrome(x: str | None) -> bool:
    x = _check(x, _AB, "palindrome")
    return x == x[::-1]


# ------------------------------------------------------------------------------------------------ busy beavers
_BLANK_ONLY = Language((), max_length=0)

# (standard-format machine, (steps, non-blank cells) on the blank tape, source). Published values; the halting
# transition counts as a step.
_BUSY_BEAVERS = {
    # Rado (1962), Lin & Rado (1965): S(2) = 6, Sigma(2) = 4, reached by the same machine.
    "bb2": ("1RB1LB_1LA1RZ", (6, 4), "BB(2) champion"),
    # Lin & Rado (1965): S(3) = 21 (this machine, which leaves 5 ones) and Sigma(3) = 6 (bb3-sigma).
    "bb3": ("1RB1RZ_1LB0RC_1LC1LA", (21, 5), "BB(3) step champion (S(3) = 21)"),
    "bb3-sigma": ("1RB1RZ_0RC1RB_1LC1LA", (14, 6), "BB(3) ones champion (Sigma(3) = 6)"),
    # Brady (1983): S(4) = 107, Sigma(4) = 13.
    "bb4": ("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", (107, 13), "BB(4) champion"),
    # Marxen & Buntrock (1990) found it; The bbchallenge Collaboration (2024) proved S(5) = 47,176,870 and
    # Sigma(5) = 4,098.
    "bb5": ("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA", (47_176_870, 4_098), "BB(5) champion"),
    # Lafitte & Papazian (2007): S(2,3) = 38, Sigma(2,3) = 9 (non-blank cells) for 2 states and 3 symbols.
    "bb2x3": ("1RB2LB1RZ_2LA2RB1LB", (38, 9), "BB(2,3) champion, 2 states and 3 symbols"),
}


def _busy_beaver_reference(name: str, known: tuple[int, int]) -> Callable[..., tuple[int, int]]:
    def reference(x: str | None = None) -> tuple[int, int]:
        _check(x, _BLANK_ONLY, name)
        return known

    reference.__name__ = reference.__qualname__ = f"{name.replace('-', '_')}_reference"
    reference.__doc__ = f"The published (steps, non-blank cells) of the {name} champion on the blank tape."
    return reference


# ------------------------------------------------------------------------------------------------ registry
def _build() -> dict[str, ZooEntry]:
    out: list[ZooEntry] = [
        ZooEntry(
            "binary-increment",
            _machine("binary-increment", _INC_RULES, symbols="_01", input_symbols="01", start="right",
                     halting=("done",)),
            "x + 1: input x in [01]* (binary, MSB first; '' reads as 0); output x + 1 in binary with len(x) "
            "digits (leading zeros kept), one more when x is all ones.",
            "function", _increment, verify_up_to=14, max_steps=64, language=_BITS),
        ZooEntry(
            "binary-addition",
            _machine("binary-addition", _ADD_RULES, symbols="_01+xy", input_symbols="01+", start="seek",
                     halting=("done",)),
            "a + b: input 'a+b', a and b non-empty binary (MSB first, leading zeros allowed); output a + b in "
            "binary without leading zeros ('0' for zero).",
            "function", _addition, verify_up_to=12, max_steps=500, language=_ADD_LANG),
        ZooEntry(
            "binary-multiplication",
            _machine("binary-multiplication", _MUL_RULES, symbols="_01*=xyXY", input_symbols="01*",
                     start="start", halting=("done",)),
            "a * b: input 'a*b', a and b non-empty binary (MSB first, leading zeros allowed); output a * b in "
            "binary without leading zeros ('0' for zero).",
            "function", _multiplication, verify_up_to=12, max_steps=2_000, language=_MUL_LANG),
        ZooEntry(
            "unary-addition",
            _machine("unary-addition", _UNARY_RULES, symbols="_1+", input_symbols="1+", start="scan",
                     halting=("done",)),
            "a + b in unary: input '1^a+1^b' (a, b >= 0); output '1' * (a + b) ('' for '+').",
            "function", _unary_addition, verify_up_to=20, max_steps=64, language=_UNARY_LANG),
        ZooEntry(
            "copy",
            _machine("copy", _COPY_RULES, symbols="_01#ab", input_symbols="01", start="start",
                     halting=("done",)),
            "Copy: input w in [01]*; output 'w#w'.",
            "function", _copy, verify_up_to=12, max_steps=500, language=_BITS),
        ZooEntry(
            "parity",
            _machine("parity", _PARITY_RULES, symbols="_01", input_symbols="01", start="even",
                     halting=("accept", "reject")),
            "Parity: input w in [01]*; accepts iff w has an odd number of 1s.",
            "accept", _parity, verify_up_to=14, max_steps=64, language=_BITS),
        ZooEntry(
            "parity-standard",
            parse_standard(_PARITY_STANDARD, name="parity-standard"),
            "Parity, standard format 1RZ1RB2RA_2RZ1RA2RB (DESIGN.md): input w in [12]* (blank 0); output w "
            "followed by '1' if w has an even number of 1s, '2' if odd.",
            "function", _parity_standard, verify_up_to=14, max_steps=64, language=_ONE_TWO),
        ZooEntry(
            "palindrome",
            _machine("palindrome", _PAL_RULES, symbols="_ab", input_symbols="ab", start="start",
                     halting=("accept", "reject")),
            "Palindrome: input w in [ab]*; accepts iff w reads the same backwards.",
            "accept", _palindrome, verify_up_to=14, max_steps=200, language=_AB),
    ]
    for name, (text, known, what) in _BUSY_BEAVERS.items():
        out.append(ZooEntry(
            name, parse_standard(text, name=name),
            f"{what}, {text}: blank input; halts after {known[0]:,} steps with {known[1]:,} non-blank cells; "
            f"answer (steps, nonblank).",
            "busy-beaver", _busy_beaver_reference(name, known), verify_up_to=0, max_steps=known[0],
            language=_BLANK_ONLY))
    return {e.name: e for e in out}


_ZOO = _build()


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
