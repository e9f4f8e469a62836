"""Tokens -> dataset (inputs): the samplers that draw the inputs a dataset encodes, as blocks of symbol
indices, all randomness from one ``numpy.random.Generator``.

========================  ===========================================================================
``inputs=``               sampler
========================  ===========================================================================
``"uniform"``             :class:`UniformSampler`: length uniform in ``[a, b]``, then every symbol
                          uniform over the alphabet (default: the machine's input symbols)
``"zoo"``                 :class:`LanguageSampler`: a zoo entry's well-formed inputs (``a+b`` for
                          addition): length uniform over the lengths in ``[a, b]`` that have one, then
                          uniform over the inputs of that length (what :meth:`tmsim.zoo.ZooEntry.sample`
                          draws, vectorised)
``"exhaustive"``          :class:`ExhaustiveSampler`: every string of length ``a..b`` in shortlex order
                          (a zoo entry's well-formed ones), or a random subset of ``n`` of them
a callable                :class:`FunctionSampler`: ``f(rng, length) -> str``, length uniform in
                          ``[a, b]``
a list of str             :class:`ListSampler`: these inputs, in order
========================  ===========================================================================

Random samplers draw in blocks whose size depends only on the sampler (never on ``n`` or a chunk size),
so sample ``j`` is the same whatever ``n`` is and however the dataset is chunked: a dataset of ``n``
samples is a prefix of one of ``2n`` with the same seed.

Examples
--------
>>> import numpy as np
>>> from tmsim import zoo
>>> s = get_sampler(zoo.get("binary-addition"), "zoo", lengths=(3, 6))
>>> cells, offsets = next(s.blocks(np.random.default_rng(0)))
>>> text, toff = cells_to_text(s.machine, cells[:offsets[3]], offsets[:4])
>>> [bytes(text[a:b]).decode() for a, b in zip(toff[:-1], toff[1:])]
['01+010', '1+001', '1+110']
>>> s.describe(), s.n_distinct()
('zoo(binary-addition, lengths=3-6)', 196)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Sequence

import numpy as np

from ..encodings import input_cells
from ..machine import Machine
from ..zoo import ZooEntry
from .errors import DatasetError

__all__ = [
    "Sampler", "UniformSampler", "LanguageSampler", "ExhaustiveSampler", "FunctionSampler", "ListSampler",
    "SAMPLERS", "get_sampler", "check_lengths", "cells_to_text", "MAX_LENGTH", "MAX_EXHAUSTIVE",
]

#: Names accepted by ``inputs=`` (besides a callable or a list of inputs).
SAMPLERS = ("uniform", "zoo", "exhaustive")
#: Longest input a sampler draws: far beyond any trace a dataset can hold, a guard against typos.
MAX_LENGTH = 1 << 20
#: Most inputs an exhaustive enumeration materialises (about 10 bytes each while it is filtered).
MAX_EXHAUSTIVE = 10_000_000
# A random block holds at most this many inputs and about this many symbols: big enough to amortise the
# numpy calls, small enough that drawing one block for n = 10 costs nothing.
_BLOCK_INPUTS = 1 << 16
_BLOCK_SYMBOLS = 1 << 22
# A user function is called once per input, so its blocks are smaller.
_FUNCTION_BLOCK = 1 << 10


# ----------------------------------------------------------------------------------------- helpers
def check_lengths(lengths: object, owner: str, *, name: str = "lengths") -> tuple[int, int]:
    """``lengths`` as ``(a, b)`` with ``0 <= a <= b <= MAX_LENGTH``; an int ``a`` means ``(a, a)``.

    Raises
    ------
    DatasetError
        Naming the parameter, the constraint and the value given.

    Examples
    --------
    >>> check_lengths((1, 16), "f"), check_lengths(4, "f")
    ((1, 16), (4, 4))
    >>> check_lengths((5, 2), "make_dataset")
    Traceback (most recent call last):
    ...
    tmsim.errors.DatasetError: The 'lengths' parameter of make_dataset must be (a, b) with integers 0 <= a <= b <= 1048576. Got (5, 2) instead.
    """
    msg = (f"The {name!r} parameter of {owner} must be (a, b) with integers 0 <= a <= b <= {MAX_LENGTH}. "
           f"Got {lengths!r} instead.")
    if isinstance(lengths, numbers.Integral) and not isinstance(lengths, bool):
        lengths = (lengths, lengths)
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) or len(lengths) != 2:
        raise DatasetError(msg)
    a, b = lengths
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in (a, b)):
        raise DatasetError(msg)
    a, b = int(a), int(b)
    if not 0 <= a <= b <= MAX_LENGTH:
        raise DatasetError(msg)
    return a, b


def cells_to_text(machine: Machine, cells: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inputs given as symbol indices -> their text, as one ragged UTF-8 buffer.

    Single-character symbols are concatenated (``"101+11"``); multi-character ones are joined by a space,
    the form :meth:`tmsim.Machine.encode_input` reads back.

    Parameters
    ----------
    cells : ndarray of uint8, shape (total,)
    offsets : ndarray of int64, shape (n + 1,)

    Returns
    -------
    text : ndarray of uint8, shape (n_bytes,)
        UTF-8 bytes of every input, concatenated.
    text_offsets : ndarray of int64, shape (n + 1,)

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> t, o = cells_to_text(parse_standard("1RZ1RB2RA_2RZ1RA2RB"), np.array([1, 2, 2], np.uint8), np.array([0, 1, 3]))
    >>> bytes(t).decode(), o.tolist()
    ('122', [0, 1, 3])
    """
    cells = np.asarray(cells, dtype=np.uint8)
    offsets = np.asarray(offsets, dtype=np.int64)
    encoded = [s.encode("utf-8") for s in machine.symbols]
    if machine.single_char_symbols and all(len(e) == 1 for e in encoded):
        lut = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return lut[cells], offsets - offsets[0]
    # Rare (symbols of several characters or non-ASCII): one join per input.
    sep = b"" if machine.single_char_symbols else b" "
    n = len(offsets) - 1
    parts = []
    out_off = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        t = sep.join(encoded[c] for c in cells[offsets[j]:offsets[j + 1]])
        parts.append(t)
        out_off[j + 1] = out_off[j] + len(t)
    return np.frombuffer(b"".join(parts), dtype=np.uint8).copy(), out_off


def _offsets(lengths: np.ndarray) -> np.ndarray:
    off = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=off[1:])
    return off


def _block_size(max_len: int, cap: int = _BLOCK_INPUTS) -> int:
    return max(1, min(cap, _BLOCK_SYMBOLS // max(1, max_len)))


def _all_strings(k: int, length: int) -> np.ndarray:
    """Every string of ``length`` symbols over ``range(k)`` in lexicographic order: uint8 (k**length,
    length), the order of ``itertools.product(range(k), repeat=length)``."""
    idx = np.arange(k ** length, dtype=np.int64)
    out = np.empty((len(idx), length), dtype=np.uint8)
    for pos in range(length - 1, -1, -1):
        out[:, pos] = idx % k
        idx //= k
    return out


# ----------------------------------------------------------------------------------------- samplers
@dataclass(frozen=True)
class Sampler:
    """Base class: a deterministic stream of inputs for one machine, as blocks of symbol indices.

    Random samplers implement :meth:`blocks` (an endless stream); finite ones (:attr:`finite`) implement
    :meth:`all`. Subclasses only store their parameters; nothing happens in ``__init__`` but checks.

    Attributes
    ----------
    machine : tmsim.Machine
    lengths : (int, int)
        Least and greatest input length ``(a, b)`` (``(0, 0)`` for a list, unused there).
    """

    machine: Machine = field(repr=False)
    lengths: tuple[int, int]
    #: Short name used in provenance and errors.
    name: ClassVar[str] = ""
    #: True for the samplers with a fixed list of inputs (:meth:`all`), False for random streams.
    finite: ClassVar[bool] = False

    def describe(self) -> str:
        """A one-line description recorded as the ``sampler`` of every sample."""
        a, b = self.lengths
        return f"{self.name}(lengths={a}-{b})"

    def n_distinct(self) -> int | None:
        """Number of distinct inputs the sampler can produce, when known."""
        return None

    def blocks(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Endless stream of candidate blocks ``(cells uint8 (total,), offsets int64 (m + 1,))``."""
        raise NotImplementedError

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every input of a finite sampler, as ``(cells, offsets)``."""
        raise NotImplementedError


@dataclass(frozen=True)
class UniformSampler(Sampler):
    """Uniform random strings: length uniform in ``[a, b]``, each symbol uniform over ``alphabet``.

    Parameters
    ----------
    machine : tmsim.Machine
    lengths : (int, int)
    alphabet : tuple of str
        Input symbols of ``machine`` to draw from (default of :func:`get_sampler`: all of them).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> s = UniformSampler(parse_standard("1RZ1RB2RA_2RZ1RA2RB"), (2, 3), ("1", "2"))
    >>> cells, offsets = next(s.blocks(np.random.default_rng(1)))
    >>> np.diff(offsets[:5]).tolist(), s.n_distinct()
    ([2, 3, 3, 3], 12)
    """

    alphabet: tuple[str, ...] = ()
    name: ClassVar[str] = "uniform"

    def describe(self) -> str:
        a, b = self.lengths
        sep = "" if self.machine.single_char_symbols else " "
        return f"uniform(lengths={a}-{b}, alphabet={sep.join(self.alphabet)})"

    def n_distinct(self) -> int:
        a, b = self.lengths
        k = len(self.alphabet)
        return sum(k ** L for L in range(a, b + 1))

    def blocks(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        a, b = self.lengths
        syms = np.array([self.machine.symbol_index[s] for s in self.alphabet], dtype=np.uint8)
        size = _block_size(b)
        while True:
            lens = rng.integers(a, b + 1, size=size, dtype=np.int64)
            off = _offsets(lens)
            yield syms[rng.integers(0, len(syms), size=int(off[-1]), dtype=np.int64)], off


@dataclass(frozen=True)
class LanguageSampler(Sampler):
    """A zoo entry's well-formed inputs (:class:`tmsim.zoo.Language`): the length uniform over the lengths
    in ``[a, b]`` that admit a well-formed input, then uniform over the inputs of that length.

    Parameters
    ----------
    machine : tmsim.Machine
    lengths : (int, int)
    language : tmsim.zoo.Language
    entry_name : str
        For provenance and error messages.
    """

    language: Any = None
    entry_name: str = ""
    name: ClassVar[str] = "zoo"

    def describe(self) -> str:
        a, b = self.lengths
        return f"zoo({self.entry_name}, lengths={a}-{b})"

    def admissible(self) -> list[int]:
        """The lengths in ``[a, b]`` that have at least one well-formed input."""
        a, b = self.lengths
        hi = b if self.language.max_length is None else min(b, self.language.max_length)
        lo_op = 2 * self.language.min_operand + 1 if self.language.operator is not None else 0
        return [L for L in range(max(a, lo_op), hi + 1) if self.language.count(L) > 0]

    def n_distinct(self) -> int:
        return sum(self.language.count(L) for L in self.admissible())

    def blocks(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        lang = self.language
        ok = np.array(self.admissible(), dtype=np.int64)
        syms = np.array([self.machine.symbol_index[s] for s in lang.alphabet], dtype=np.uint8)
        op = None if lang.operator is None else self.machine.symbol_index[lang.operator]
        size = _block_size(int(ok.max()))
        m = lang.min_operand
        while True:
            lens = ok[rng.integers(0, len(ok), size=size, dtype=np.int64)]
            off = _offsets(lens)
            cells = syms[rng.integers(0, len(syms), size=int(off[-1]), dtype=np.int64)]
            if op is not None:
                # The operator overwrites one uniform admissible position; the other symbols stay uniform,
                # which is Language.sample's distribution (uniform position, uniform operands).
                pos = m + rng.integers(0, lens - 2 * m, dtype=np.int64)
                cells[off[:-1] + pos] = op
            yield cells, off


@dataclass(frozen=True)
class ExhaustiveSampler(Sampler):
    """Every input of length ``a..b`` in shortlex order (shortest first, then in the order of the alphabet):
    all strings over ``alphabet``, or a zoo language's well-formed inputs (the order of
    :meth:`tmsim.zoo.Language.strings`).

    Parameters
    ----------
    machine : tmsim.Machine
    lengths : (int, int)
    alphabet : tuple of str
        Used when ``language`` is None.
    language : tmsim.zoo.Language, optional

    Examples
    --------
    >>> from tmsim import zoo
    >>> s = get_sampler(zoo.get("unary-addition"), "exhaustive", lengths=(1, 2))
    >>> t, o = cells_to_text(s.machine, *s.all())
    >>> [bytes(t[a:b]).decode() for a, b in zip(o[:-1], o[1:])] == list(zoo.get("unary-addition").inputs(2, 1))
    True
    """

    alphabet: tuple[str, ...] = ()
    language: Any = None
    name: ClassVar[str] = "exhaustive"
    finite: ClassVar[bool] = True

    def n_distinct(self) -> int:
        a, b = self.lengths
        if self.language is not None:
            return sum(self.language.count(L) for L in range(a, b + 1))
        return sum(len(self.alphabet) ** L for L in range(a, b + 1))

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        total = self.n_distinct()
        a, b = self.lengths
        if total > MAX_EXHAUSTIVE:
            raise DatasetError(f"The exhaustive sampler would enumerate {total:,} inputs of lengths {a}-{b}, more "
                               f"than {MAX_EXHAUSTIVE:,}; lower 'lengths' or use the 'uniform' sampler.")
        lang = self.language
        alphabet = self.alphabet if lang is None else lang.alphabet
        syms = np.array([self.machine.symbol_index[s] for s in alphabet], dtype=np.uint8)
        k = len(syms)
        rows, lens = [], []
        for L in range(a, b + 1):
            if lang is None:
                block = syms[_all_strings(k, L)] if k or L == 0 else np.zeros((0, L), np.uint8)
                rows.append(block.reshape(-1))
                lens.append(np.full(len(block), L, dtype=np.int64))
                continue
            if lang.count(L) == 0:
                continue
            if lang.operator is None:
                block = syms[_all_strings(k, L)]
                rows.append(block.reshape(-1))
                lens.append(np.full(len(block), L, dtype=np.int64))
                continue
            body = syms[_all_strings(k, L - 1)]
            op = self.machine.symbol_index[lang.operator]
            for p in lang._splits(L):
                block = np.concatenate([body[:, :p], np.full((len(body), 1), op, np.uint8), body[:, p:]], axis=1)
                rows.append(block.reshape(-1))
                lens.append(np.full(len(block), L, dtype=np.int64))
        cells = np.concatenate(rows) if rows else np.zeros(0, dtype=np.uint8)
        lens_all = np.concatenate(lens) if lens else np.zeros(0, dtype=np.int64)
        return cells, _offsets(lens_all)


@dataclass(frozen=True)
class FunctionSampler(Sampler):
    """A user function ``f(rng, length) -> str``: the length uniform in ``[a, b]`` (drawn first, for a block
    of inputs), then ``f`` called with the same generator. The strings are checked against the machine's
    input alphabet (a string need not have exactly ``length`` symbols).

    Examples
    --------
    >>> from tmsim import zoo
    >>> s = get_sampler(zoo.get("parity"), lambda rng, n: "1" * n, lengths=(1, 3))
    >>> cells, offsets = next(s.blocks(np.random.default_rng(0)))
    >>> s.describe(), np.diff(offsets[:4]).tolist()
    ('function(<lambda>, lengths=1-3)', [3, 2, 2])
    """

    function: Callable[[np.random.Generator, int], str] | None = None
    name: ClassVar[str] = "function"

    def describe(self) -> str:
        a, b = self.lengths
        fname = getattr(self.function, "__qualname__", None) or type(self.function).__name__
        return f"function({fname}, lengths={a}-{b})"

    def blocks(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        a, b = self.lengths
        fname = getattr(self.function, "__qualname__", repr(self.function))
        while True:
            lens = rng.integers(a, b + 1, size=_FUNCTION_BLOCK, dtype=np.int64)
            texts = []
            for L in lens.tolist():
                x = self.function(rng, L)
                if not isinstance(x, str):
                    raise DatasetError(f"The input function {fname} must return a str for f(rng, {L}). "
                                       f"Got {type(x).__name__} {x!r}.")
                texts.append(x)
            try:
                yield input_cells(self.machine, texts, name=f"input from {fname}")
            except ValueError as e:
                raise DatasetError(f"The input function {fname} returned an input the machine cannot read: "
                                   f"{e}") from None


@dataclass(frozen=True)
class ListSampler(Sampler):
    """A fixed list of inputs, used in order (``n`` takes the first ``n``)."""

    inputs: tuple[str, ...] = ()
    name: ClassVar[str] = "list"
    finite: ClassVar[bool] = True

    def describe(self) -> str:
        return f"list({len(self.inputs)})"

    def all(self) -> tuple[np.ndarray, np.ndarray]:
        return input_cells(self.machine, list(self.inputs))


# ----------------------------------------------------------------------------------------- resolution
def _alphabet(machine: Machine, alphabet: object, owner: str) -> tuple[str, ...]:
    given = machine.input_symbols if alphabet is None else alphabet
    if isinstance(given, str):
        given = list(given) if machine.single_char_symbols else given.split()
    try:
        syms = tuple(given)
    except TypeError:
        raise DatasetError(f"The 'alphabet' parameter of {owner} must be a string or a sequence of symbols. "
                           f"Got {alphabet!r} instead.") from None
    bad = [s for s in syms if s not in machine.input_symbols]
    if bad:
        raise DatasetError(f"The 'alphabet' parameter of {owner} must hold input symbols of machine "
                           f"{machine.name!r} {machine.input_symbols!r}. Got {alphabet!r}: {bad[0]!r} is not one.")
    if len(set(syms)) != len(syms):
        raise DatasetError(f"The 'alphabet' parameter of {owner} must not repeat a symbol. Got {alphabet!r}.")
    return syms


def get_sampler(machine: Any, inputs: object = None, *, lengths: object = (1, 16), alphabet: object = None,
                owner: str = "get_sampler") -> Sampler:
    """The sampler that ``inputs=`` names, for ``machine``.

    Parameters
    ----------
    machine : tmsim.Machine or tmsim.zoo.ZooEntry
        A zoo entry brings its well-formed inputs (the default sampler, ``"zoo"``).
    inputs : {"uniform", "zoo", "exhaustive"}, callable, sequence of str or Sampler, optional
        Default: ``"zoo"`` for a zoo entry, else ``"uniform"``. For a zoo entry, ``"exhaustive"``
        enumerates its well-formed inputs; ``"uniform"`` draws any string over its input alphabet.
    lengths : (int, int) or int
        Input lengths ``(a, b)`` of the random and exhaustive samplers.
    alphabet : str or sequence of str, optional
        The symbols of ``"uniform"``/``"exhaustive"`` (default: every input symbol of the machine).
    owner : str
        The public function named in error messages.

    Raises
    ------
    DatasetError
        Unknown sampler name, ``"zoo"`` for a machine that is not a zoo entry, lengths out of range or with
        no well-formed input, an alphabet the machine does not have, an empty alphabet with lengths > 0.
    """
    entry = machine if isinstance(machine, ZooEntry) else None
    m = entry.machine if entry is not None else machine
    if not isinstance(m, Machine):
        raise DatasetError(f"The 'machine' parameter of {owner} must be a tmsim.Machine or a zoo entry. "
                           f"Got {type(machine).__name__}.")
    if isinstance(inputs, Sampler):
        return inputs
    if inputs is None:
        inputs = "zoo" if entry is not None else "uniform"
    if callable(inputs):
        return FunctionSampler(m, check_lengths(lengths, owner), function=inputs)
    if not isinstance(inputs, str):
        if isinstance(inputs, (bytes, np.ndarray)) or not isinstance(inputs, Sequence):
            raise DatasetError(f"The 'inputs' parameter of {owner} must be one of {SAMPLERS!r}, a function "
                               f"f(rng, length) -> str or a list of str. Got {type(inputs).__name__}.")
        items = []
        for j, x in enumerate(inputs):
            if x is None:
                x = ""
            if not isinstance(x, str):
                raise DatasetError(f"The 'inputs' parameter of {owner}: inputs[{j}] must be a str. Got "
                                   f"{type(x).__name__} {x!r}.")
            items.append(x)
        try:
            input_cells(m, items)  # validates every symbol, naming inputs[j]
        except ValueError as e:
            raise DatasetError(f"The 'inputs' parameter of {owner}: {e}") from None
        return ListSampler(m, (0, 0), inputs=tuple(items))
    key = inputs.lower()
    if key not in SAMPLERS:
        raise DatasetError(f"The 'inputs' parameter of {owner} must be one of {SAMPLERS!r}, a function "
                           f"f(rng, length) -> str or a list of str. Got {inputs!r} instead.")
    a, b = check_lengths(lengths, owner)
    if key == "zoo" or (key == "exhaustive" and entry is not None and alphabet is None):
        if entry is None:
            raise DatasetError(f"The 'inputs' parameter of {owner} is 'zoo', but machine {m.name!r} is not a zoo "
                               f"entry; pass zoo.get(NAME) or 'zoo:NAME', or use 'uniform'.")
        if alphabet is not None:
            raise DatasetError(f"The 'alphabet' parameter of {owner} does not apply to a zoo entry's well-formed "
                               f"inputs; use inputs='uniform' to draw over an alphabet.")
        lang = entry.language
        if key == "exhaustive":
            s: Sampler = ExhaustiveSampler(m, (a, b), language=lang)
            if s.n_distinct() == 0:
                raise DatasetError(_no_wellformed(owner, entry, a, b))
            return s
        s = LanguageSampler(m, (a, b), language=lang, entry_name=entry.name)
        if not s.admissible():
            raise DatasetError(_no_wellformed(owner, entry, a, b))
        return s
    syms = _alphabet(m, alphabet, owner)
    if not syms and b > 0:
        raise DatasetError(f"The 'lengths' parameter of {owner} must be (0, 0): machine {m.name!r} has no "
                           f"{'input symbols' if alphabet is None else 'symbols in the alphabet'} to draw from. "
                           f"Got {(a, b)!r} instead.")
    if key == "exhaustive":
        return ExhaustiveSampler(m, (a, b), alphabet=syms)
    return UniformSampler(m, (a, b), alphabet=syms)


def _no_wellformed(owner: str, entry: Any, a: int, b: int) -> str:
    lang = entry.language
    if lang.max_length is not None:
        have = f"its inputs have length <= {lang.max_length}"
    elif lang.operator is not None:
        have = f"its inputs have length >= {2 * lang.min_operand + 1}"
    else:
        have = "none has such a length"
    return (f"The 'lengths' parameter of {owner} must admit a well-formed input of zoo entry {entry.name!r} "
            f"({lang.pattern!r}): {have}. Got ({a}, {b}) instead.")
