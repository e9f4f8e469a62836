"""Tokens -> dataset for arithmetic: named task generators (the paper's 4-digit multiplication CoT, no-CoT
multiplication, and local CoTs of our own for multiplication and addition), each producing a
:class:`tmsim.datasets.Dataset` (tokens, kinds, offsets, vocabulary, provenance), deterministic by seed.

==============  =====================================================================================
task            sequence (``n`` = operand digits)
==============  =====================================================================================
``mul-paper``   the paper's CoT [paper+code], DESIGN.md section 4: ``<bos> 1 2 3 4 x 5 6 7 8 = ( 4 x 1
                + 3 x 1 0 + ... ) x ( 8 x 1 + ... ) = 4x8 x 1 x 1 + 4x7 x 1 x 1 0 + ... = 3 2 + 2 8 0 +
                ... = 0 7 0 0 6 6 5 2``: 307 tokens for n = 4, vocabulary 117
``mul-nocot``   the same vocabulary, ``<bos> 1 2 3 4 x 5 6 7 8 =`` then the 2n answer digits only
``mul-local``   ours: the schoolbook method as a tableau of fixed-width register rows, every token a function
                of tokens at fixed offsets, so a linear learner emulates it exactly, at every operand
                length the width holds (938 tokens for n = 4, vocabulary 580)
``add-local``   ours: column addition with carries in the same style
==============  =====================================================================================

Every task draws operand pairs ``(a, b)`` of ``n`` digits from ``[11...1, 10**n - 1]`` (the paper's
``1111-9999`` for ``n = 4``) and splits *all* pairs 75/25 into train and test by the paper's hash,
``idx = (a - lo) + span * (b - lo)``, train iff ``idx * PRIME mod span**2 > span**2 // 4``, in exact integer
arithmetic (``PRIME`` is coprime to every ``span**2``, so the map is a bijection and the test part holds
exactly ``span**2 // 4 + 1`` pairs). A pair and its swap may fall in different parts, as in the paper.

The paper's formats keep the paper's tokenizer (ids 0-1 ``<pad>`` = its ``[UNK]``, ``<bos>``; then digits,
symbols and digit pairs): 117 tokens, without the toolkit's ``<sep> <ans> <eos>`` at ids 2-4 (every
sequence has the same length; a rollout is cut there). The local formats use the toolkit's five special
tokens first.

The local formats pay for locality in the layout, not in the learner. Operands are written
least-significant digit first and zero-padded to a fixed ``width`` of columns, one row of ``R = width + 1``
tokens per register (a header, then one token per column), so "the same column one row up" is always
``R`` tokens back, whatever the operand length. Each row is one elementary step over whole registers --
copy/shift, a *tuple* token joining the values of two or three single-digit tokens (``z4+7+1``: old sum
digit, partial product digit, carry; the right tuple is the only one matching every input, the
tableau-triples trick of DESIGN.md section 2), a *lookup* of a digit off a tuple, or a *carry*, a linear
threshold of digits. Every input of a tuple is a token that stands for one digit, so what a linear
learner must learn is small and fully covered by short operands. The top column is a guard, zero for every
operand length the width allows, so that nothing a learner sees near the row ends is constant in short
operands only. :meth:`Task.position_classes` says which offsets each position reads (the linear learners'
``period``, ``classes``, ``class_offsets``); :attr:`Task.offsets` is their union.

Examples
--------
>>> from learners.tasks import get_task, make_task_dataset
>>> paper = get_task("mul-paper")
>>> seq, kinds = paper.encode([1234], [5678])
>>> seq.shape, len(paper.vocabulary)
((1, 307), 117)
>>> " ".join(paper.vocabulary.names(seq[0, 11:34]))
'( 4 x 1 + 3 x 1 0 + 2 x 1 0 0 + 1 x 1 0 0 0 )'
>>> " ".join(paper.vocabulary.names(seq[0, -9:])), paper.decode(seq[0])
('= 0 7 0 0 6 6 5 2', 7006652)
>>> ds = make_task_dataset("mul-local", 3, digits=2, width=6, random_state=0)
>>> len(ds), ds.inputs[0], ds.sources[0].encoding
(3, '86x88', 'mul-local(digits=2,width=6)')
"""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from tmsim.encodings import Vocabulary
from tmsim.encodings.vocab import ANS, BOS, EOS, SPECIAL_TOKENS

from .errors import LearnerError

__all__ = ["Task", "MulPaper", "MulNoCoT", "MulLocal", "AddLocal", "TASKS", "get_task", "make_task_dataset",
           "operand_range", "in_train_split", "sample_pairs", "PRIME"]

#: The paper's split hash constant (``torch_datasets/product.py`` of github.com/emalach/LinearLM).
PRIME = 277149838960172320159769184791
#: Operand lengths the tasks support (products stay below 2**63).
MIN_DIGITS, MAX_DIGITS = 2, 8
#: Bumped when a format's token layout changes (recorded in the provenance).
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------- operands
def _check_digits(digits: Any, owner: str) -> int:
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise LearnerError(f"The 'digits' parameter of {owner} must be an int in [{MIN_DIGITS}, {MAX_DIGITS}]. "
                           f"Got {digits!r} instead.")
    return int(digits)


def operand_range(digits: int) -> tuple[int, int]:
    """``(lo, hi)``, inclusive: the operands of ``digits`` digits, from ``11...1`` (the paper's 1111 for 4)
    to ``10**digits - 1``.

    >>> operand_range(4)
    (1111, 9999)
    """
    digits = _check_digits(digits, "operand_range")
    return int("1" * digits), 10 ** digits - 1


def in_train_split(a: Any, b: Any, digits: int) -> np.ndarray:
    """Boolean array: the pairs ``(a, b)`` in the paper's training part (75%), by its hash, exactly.

    Parameters
    ----------
    a, b : int or array of int
        Operands of ``digits`` digits, in :func:`operand_range`.
    digits : int

    Returns
    -------
    ndarray of bool, the broadcast shape of ``a`` and ``b``

    Examples
    --------
    >>> in_train_split([1111, 1234, 5678], [1111, 5678, 1234], 4).tolist()
    [False, False, True]
    """
    lo, hi = operand_range(digits)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size and (a.min() < lo or a.max() > hi) or b.size and (b.min() < lo or b.max() > hi):
        raise LearnerError(f"in_train_split: operands must be in [{lo}, {hi}] for {digits} digits.")
    span = hi + 1 - lo
    count = span * span
    idx = (a - lo) + span * (b - lo)
    mult = PRIME % count
    if count < 2 ** 31:  # idx, mult < 2**31: the product fits in int64 exactly
        r = (idx * mult) % count
    else:  # Python integers: exact at any size
        r = np.array([(int(i) * mult) % count for i in idx.ravel()], dtype=np.int64).reshape(idx.shape)
    return r > count // 4


def sample_pairs(n: int, digits: int, split: str | None, rng: np.random.Generator,
                 unique: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``n`` operand pairs drawn uniformly from the pairs of ``split`` (``"train"``, ``"test"`` or None for
    all), i.i.d. as in the paper, or distinct with ``unique=True``.

    Returns
    -------
    a, b : ndarray of int64, shape (n,)
    """
    lo, hi = operand_range(digits)
    if split not in ("train", "test", None):
        raise LearnerError(f"The 'split' parameter of sample_pairs must be 'train', 'test' or None. "
                           f"Got {split!r} instead.")
    total = (hi + 1 - lo) ** 2
    avail = total if split is None else (total // 4 + 1 if split == "test" else total - total // 4 - 1)
    if unique and n > avail:
        raise LearnerError(f"sample_pairs: {n} distinct pairs asked for, the {split or 'whole'} part of "
                           f"{digits}-digit pairs has {avail}.")
    a_parts, b_parts = [], []
    have = 0
    seen: set[tuple[int, int]] = set()
    while have < n:
        m = max(64, 2 * (n - have))
        a = rng.integers(lo, hi + 1, size=m, dtype=np.int64)
        b = rng.integers(lo, hi + 1, size=m, dtype=np.int64)
        if split is not None:
            keep = in_train_split(a, b, digits)
            if split == "test":
                keep = ~keep
            a, b = a[keep], b[keep]
        if unique:
            sel = []
            for i, pair in enumerate(zip(a.tolist(), b.tolist())):
                if pair not in seen:
                    seen.add(pair)
                    sel.append(i)
            a, b = a[sel], b[sel]
        a_parts.append(a[:n - have])
        b_parts.append(b[:n - have])
        have += len(a_parts[-1])
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _digits_ls(x: np.ndarray, n: int) -> np.ndarray:
    """Digits of ``x`` least-significant first: int64, shape (len(x), n)."""
    return (x[:, None] // 10 ** np.arange(n, dtype=np.int64)[None, :]) % 10


# ---------------------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class Task:
    """A named arithmetic task: a token layout for pairs of ``digits``-digit operands.

    Subclasses define :meth:`_encode` (vectorised: every sequence of a task has the same length), the
    vocabulary and :meth:`answer_digits`. Build one with :func:`get_task`.

    Attributes
    ----------
    name : str
    digits : int
        Operand length, 2 to 8.
    """

    name: ClassVar[str] = ""
    op: ClassVar[str] = "x"
    digits: int = 4

    def __post_init__(self) -> None:
        _check_digits(self.digits, f"task {self.name!r}")

    # ------------------------------------------------------------------ description
    @property
    def spec(self) -> str:
        """The task with its parameters, e.g. ``"mul-local(digits=4,width=17)"`` (the provenance's encoding)."""
        params = ",".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))
        return f"{self.name}({params})"

    @property
    def offsets(self) -> tuple[int, ...] | None:
        """The offsets every CoT and answer token depends on (a local format), or None (a non-local one)."""
        return None

    def position_classes(self) -> dict | None:
        """For a local format, what each position reads, as the linear learners' ``period``, ``classes`` and
        ``class_offsets`` parameters: position ``t`` (counted from its sequence start) is of class
        ``classes[t % period]`` and its token is a function of the tokens at ``class_offsets[class]`` back.
        None for a non-local format."""
        return None

    @property
    def n_answer_digits(self) -> int:
        """Digits of the result that :meth:`answer_digits` reads (``2 * digits`` for a product)."""
        return 2 * self.digits

    def result(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The true results (int64)."""
        return a * b

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(self._vocab_tokens(), self.name)

    @cached_property
    def _ids(self) -> dict[str, int]:
        return dict(self.vocabulary.index)

    def _vocab_tokens(self) -> tuple[str, ...]:
        raise NotImplementedError

    # ------------------------------------------------------------------ encoding
    def encode(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """Token sequences of the pairs ``(a, b)``.

        Returns
        -------
        tokens : ndarray of int32, shape (n, length)
        kinds : ndarray of uint8, shape (length,)
            0 prompt, 1 CoT, 2 answer (the same for every sequence of the task).
        """
        lo, hi = operand_range(self.digits)
        a = np.atleast_1d(np.asarray(a, dtype=np.int64))
        b = np.atleast_1d(np.asarray(b, dtype=np.int64))
        if a.shape != b.shape or a.ndim != 1:
            raise LearnerError(f"{self.name}.encode: a and b must be 1-D arrays of the same length. Got shapes "
                               f"{a.shape} and {b.shape}.")
        for name, x in (("a", a), ("b", b)):
            if x.size and (x.min() < lo or x.max() > hi):
                bad = int(x[(x < lo) | (x > hi)][0])
                raise LearnerError(f"{self.name}.encode: operand {name} = {bad} is not a {self.digits}-digit "
                                   f"operand in [{lo}, {hi}].")
        cols, kinds = self._encode(a, b)
        n = len(a)
        tokens = np.empty((n, len(cols)), dtype=np.int32)
        for j, c in enumerate(cols):
            tokens[:, j] = c
        return tokens, np.asarray(kinds, dtype=np.uint8)

    def _encode(self, a: np.ndarray, b: np.ndarray) -> tuple[list, list]:
        """Columns (an int or an int array of shape (n,) each) and their kinds."""
        raise NotImplementedError

    def dataset(self, a: Any, b: Any, *, split: str | None = None, seed: int | None = None,
                sampler: str = "given pairs"):
        """The pairs ``(a, b)`` as a :class:`tmsim.datasets.Dataset` with this task's provenance."""
        from tmsim import __version__
        from tmsim.datasets import Dataset, Provenance

        tokens, kinds = self.encode(a, b)
        n, length = tokens.shape
        a = np.atleast_1d(np.asarray(a, dtype=np.int64))
        b = np.atleast_1d(np.asarray(b, dtype=np.int64))
        text = [f"{x}{self.op}{y}".encode() for x, y in zip(a.tolist(), b.tolist())]
        toff = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(t) for t in text], out=toff[1:])
        width = getattr(self, "width", -1)
        # machine_format "task": these samples come from a generator, not a Turing machine.
        prov = Provenance(machine=self.spec, machine_format="task", machine_name=self.name, encoding=self.spec,
                          encoding_version=FORMAT_VERSION, tmsim_version=__version__, seed=seed, sampler=sampler,
                          split=split, max_steps=0)
        return Dataset(
            tokens=tokens.reshape(-1), kinds=np.tile(kinds, n), offsets=np.arange(n + 1, dtype=np.int64) * length,
            input_text=np.frombuffer(b"".join(text), dtype=np.uint8).copy(), input_offsets=toff,
            status=np.zeros(n, np.int8), steps=np.full(n, int(np.count_nonzero(kinds)), np.int64),
            index=np.arange(n, dtype=np.int64), width=np.full(n, width, np.int64),
            left=np.full(n, 0 if width >= 0 else -1, np.int64), source=np.zeros(n, np.int32),
            vocabulary=self.vocabulary, sources=(prov,))

    def make_dataset(self, n: int, *, split: str | None = "train", random_state: Any = None,
                     unique: bool = False):
        """``n`` pairs drawn from ``split`` of the paper's hash split, encoded (see :func:`make_task_dataset`)."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise LearnerError(f"The 'n' parameter of {self.name}.make_dataset must be an int in [1, inf). "
                               f"Got {n!r} instead.")
        if isinstance(random_state, np.random.Generator):
            seed, rng = None, random_state
        else:
            if random_state is None:
                random_state = int(np.random.SeedSequence().generate_state(1)[0])
            seed, rng = int(random_state), np.random.default_rng(random_state)
        a, b = sample_pairs(int(n), self.digits, split, rng, unique)
        lo, hi = operand_range(self.digits)
        sampler = (f"uniform pairs in [{lo}, {hi}]^2{', distinct' if unique else ''}, hash split "
                   f"(PRIME={PRIME}) part {split or 'all'}")
        return self.dataset(a, b, split=split, seed=seed, sampler=sampler)

    # ------------------------------------------------------------------ decoding
    def answer_digits(self, seq: Any) -> np.ndarray:
        """The result's digits as written in ``seq`` (a whole sequence, e.g. a rollout), by place value.

        Returns
        -------
        ndarray of int64, shape (n_answer_digits,)
            Digit ``i`` is the coefficient of ``10**i``; -1 where ``seq`` has no readable digit.
        """
        raise NotImplementedError

    def decode(self, seq: Any) -> int | None:
        """The result written in ``seq``, or None when any of its digits is unreadable."""
        d = self.answer_digits(seq)
        if (d < 0).any():
            return None
        return int(sum(int(x) * 10 ** i for i, x in enumerate(d.tolist())))

    def true_digits(self, a: Any, b: Any) -> np.ndarray:
        """The digits :meth:`answer_digits` should read for pairs ``(a, b)``: int64, shape (n, n_answer_digits)."""
        r = self.result(np.atleast_1d(np.asarray(a, np.int64)), np.atleast_1d(np.asarray(b, np.int64)))
        return _digits_ls(r, self.n_answer_digits)


# ---------------------------------------------------------------------------------------------- the paper
_PAPER_SYMBOLS = ("(", ")", "+", "x", "=")


@dataclass(frozen=True)
class MulPaper(Task):
    """The paper's multiplication CoT, token for token [paper+code] (DESIGN.md section 4).

    Vocabulary (117, in the paper's tokenizer order): ``<pad>`` (the paper's ``[UNK]``, also its padding),
    ``<bos>``, the digits ``0``-``9``, ``( ) + x =``, and the 100 joined digit-pair tokens ``0x0`` ... ``9x9``.
    No ``<sep>``/``<ans>``/``<eos>``: every sequence has the same length (307 for 4 digits), so a rollout
    is cut at that length.

    Sequence: ``<bos>``, the operands most-significant digit first around ``x`` (the prompt, as the
    paper's ``[BOS] 1 2 3 4 x 5 6 7 8``); ``=``; each operand as a sum of digit x place value,
    least-significant first, in brackets; ``=``; the ``n*n`` terms ``d1xd2 x e1 x e2`` (``d1`` over the first
    operand's digits, outer); ``=``; their values, each zero-padded to ``len(str(e1*e2)) + 1`` digits;
    ``=``; the product zero-padded to ``2n`` digits (the answer).
    """

    name: ClassVar[str] = "mul-paper"

    def _vocab_tokens(self) -> tuple[str, ...]:
        return (("<pad>", "<bos>") + tuple(str(i) for i in range(10)) + _PAPER_SYMBOLS
                + tuple(f"{i}x{j}" for i, j in itertools.product(range(10), range(10))))

    def _prompt(self, a, b):
        ids, n = self._ids, self.digits
        da, db = _digits_ls(a, n), _digits_ls(b, n)
        digit = 2  # id of "0"
        cols = [ids["<bos>"]] + [da[:, i] + digit for i in reversed(range(n))] + [ids["x"]] \
            + [db[:, i] + digit for i in reversed(range(n))]
        return cols, da, db

    def _answer(self, a, b):
        return [d + 2 for d in reversed(list(_digits_ls(a * b, 2 * self.digits).T))]

    def _encode(self, a, b):
        ids, n = self._ids, self.digits
        zero, one = ids["0"], ids["1"]
        plus, times, eq = ids["+"], ids["x"], ids["="]
        cols, da, db = self._prompt(a, b)
        kinds = [0] * len(cols)
        cot: list = [eq]

        def place(e):  # "1 0 0" for 10**2
            return [one] + [zero] * e

        for d in (da, db):
            cot.append(ids["("])
            for e in range(n):
                if e:
                    cot.append(plus)
                cot += [d[:, e] + zero, times] + place(e)
            cot.append(ids[")"])
            cot.append(times if d is da else eq)
        pair0 = ids["0x0"]
        for k, (i, j) in enumerate(itertools.product(range(n), range(n))):
            if k:
                cot.append(plus)
            cot += [pair0 + 10 * da[:, i] + db[:, j], times] + place(i) + [times] + place(j)
        cot.append(eq)
        for k, (i, j) in enumerate(itertools.product(range(n), range(n))):
            if k:
                cot.append(plus)
            p = da[:, i] * db[:, j]  # d1*d2*10^(i+j), zero-padded to i+j+2 digits: two digits, then zeros
            cot += [p // 10 + zero, p % 10 + zero] + [zero] * (i + j)
        cot.append(eq)
        answer = self._answer(a, b)
        return cols + cot + answer, kinds + [1] * len(cot) + [2] * len(answer)

    def answer_digits(self, seq):
        seq = np.asarray(seq)
        m = self.n_answer_digits
        tail = seq[len(seq) - m:][::-1].astype(np.int64) - 2 if len(seq) >= m else np.full(m, -1)
        out = np.full(m, -1, dtype=np.int64)
        out[:len(tail)] = np.where((tail >= 0) & (tail <= 9), tail, -1)
        return out

    @property
    def length(self) -> int:
        """Tokens per sequence, counted from the format (307 for 4 digits)."""
        n = self.digits
        prompt = 1 + n + 1 + n                                          # <bos> a x b
        operand = 1 + sum(1 + 1 + (1 + e) for e in range(n)) + (n - 1) + 1 + 1  # ( d x 1 0.. + ... ) x|=
        terms = sum(1 + 1 + (1 + i) + 1 + (1 + j) for i in range(n) for j in range(n)) + (n * n - 1) + 1
        values = sum(i + j + 2 for i in range(n) for j in range(n)) + (n * n - 1) + 1
        return prompt + 1 + 2 * operand + terms + values + 2 * n

    @property
    def vocabulary_size(self) -> int:
        """Tokens in the vocabulary, counted from the format: 2 + 10 + 5 + 100 = 117."""
        return 2 + 10 + len(_PAPER_SYMBOLS) + 10 * 10


@dataclass(frozen=True)
class MulNoCoT(MulPaper):
    """Multiplication without a chain of thought, in the paper's vocabulary (117 tokens): the prompt
    ``<bos> 1 2 3 4 x 5 6 7 8 =`` and the ``2n``-digit zero-padded product, most-significant digit first."""

    name: ClassVar[str] = "mul-nocot"

    def _encode(self, a, b):
        cols, _, _ = self._prompt(a, b)
        cols.append(self._ids["="])
        answer = self._answer(a, b)
        return cols + answer, [0] * len(cols) + [2] * len(answer)

    @property
    def length(self) -> int:
        return 2 * self.digits + 3 + 2 * self.digits


# ---------------------------------------------------------------------------------------------- local CoTs
def _check_width(width: Any, need: int, owner: str) -> int:
    if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < need:
        raise LearnerError(f"The 'width' parameter of {owner} must be an int in [{need}, inf) for these "
                           f"operands. Got {width!r} instead.")
    return int(width)


class _LocalTask(Task):
    """Shared machinery of the local formats: rows of ``R = width + 1`` tokens (a header, then columns
    0 (units) .. width-1), built column-array by column-array."""

    @property
    def row(self) -> int:
        """Tokens per row (``width + 1``)."""
        return self.width + 1

    def _row(self, cols: list, header: Any, values: np.ndarray, base: str) -> None:
        """Append a row: ``header`` (an id or an id array), then token ``base + value`` for each column."""
        cols.append(header if not isinstance(header, str) else self._ids[header])
        b = self._ids[base]
        cols.extend(values[:, i] + b for i in range(self.width))

    def answer_digits(self, seq):
        seq = np.asarray(seq)
        out = np.full(self.n_answer_digits, -1, dtype=np.int64)
        where = np.flatnonzero(seq == ANS)
        if where.size:
            d = seq[where[-1] + 1: where[-1] + 1 + self.n_answer_digits].astype(np.int64) - self._ids["0"]
            out[:len(d)] = np.where((d >= 0) & (d <= 9), d, -1)
        return out


def _digit_tokens(prefix: str, n: int = 10) -> tuple[str, ...]:
    return tuple(f"{prefix}{d}" for d in range(n))


@dataclass(frozen=True)
class MulLocal(_LocalTask):
    """Schoolbook multiplication as a tableau of fixed-width register rows in which every token is one
    elementary step over tokens at fixed offsets (:attr:`offsets`): a linear learner with that window
    emulates it exactly, at every operand length up to ``width // 2`` digits.

    Every row is a header and one token per column ``i`` (units first), so the same column one row up is
    always ``R = width + 1`` tokens back. Each row is one kind of step, and every step reads only
    *single-valued* tokens (a token that stands for one digit of one register), which keeps what a linear
    learner must learn small and fully covered by short operands:

    - copy / shift: a token equal to one token at a fixed offset;
    - tuple: a joined token for the values of two or three tokens (``5*7``, ``v4+2+1``): the right tuple is
      the only one matching every input, so a linear argmax picks it (DESIGN.md section 2);
    - lookup: a digit read off one tuple token (``l:5`` from ``5*7``);
    - carry: a linear threshold, ``[x + y + carry_in >= 10]`` over the digit tokens and the carry one
      column down (offset 1); the tuples then take that carry as an input.

    Layout. Prompt: ``<bos>``, then the registers of "block -1": ``<a> a:a_i`` (the multiplicand,
    zero-padded), ``<b> b:b_i`` (the multiplier, then ``b:$``), ``<s> s:0`` (the accumulator). Then one block
    of 12 rows per multiplier digit ``b_j`` (the CoT):

    ======  ==========  =========================================================================
    row     header      column ``i`` (``A``, ``B``, ``S``: the registers of the block before)
    ======  ==========  =========================================================================
    M       ``m:b_j``   ``m:b_j`` (the header is ``B_0``; each column copies the token before it)
    X       ``<x>``     ``A_i*m``
    L       ``<lo>``    ``l:`` low digit of ``A_i m``
    H       ``<hi>``    ``h:`` high digit of ``A_i m``
    C       ``<c>``     ``c:`` carry out of ``lo_i + hi_(i-1) + c_(i-1)``
    V       ``<v>``     ``v<lo_i>+<hi_(i-1)>+<c_(i-1)>``
    P       ``<p>``     ``p:`` digit of ``V_i``: the partial product ``a b_j``, shifted by ``j``
    K       ``<k>``     ``k:`` carry out of ``S_i + p_i + k_(i-1)``
    Z       ``<z>``     ``z<S_i>+<p_i>+<k_(i-1)>``
    A       ``<a>``     ``a:`` ``A_(i-1)``: the multiplicand shifted up one column
    B       ``<b>``     ``b:`` ``B_(i+1)``: the multiplier shifted down one digit
    S       ``<s>``     ``s:`` digit of ``Z_i``: the new accumulator
    ======  ==========  =========================================================================

    A header standing where a column ``i - 1`` would be reads as 0. When the multiplier register's column
    0 is ``b:$``, the next row is the answer instead of a block: ``<ans>``, the accumulator's digits
    least-significant first (``0``-``9``, copied from the S row above), ``<eos>``.

    Offsets used: ``1, R, R+1, 2R-1, 2R, 2R+1, 3R, 4R, 8R, 9R, 12R-1, 12R+1``. Length ``2 + (4 + 12 n) R``
    for ``n``-digit operands (938 tokens for n = 4, width 17): the price of locality, in CoT length. The
    vocabulary has 580 tokens.

    Examples
    --------
    >>> t = get_task("mul-local", digits=2, width=5)
    >>> seq, kinds = t.encode([57], [68])
    >>> rows = [" ".join(t.vocabulary.names(seq[0, 1 + r * 6:7 + r * 6])) for r in range(15)]
    >>> print("\\n".join(rows))       # the prompt's registers, then the block of b_0 = 8
    <a> a:7 a:5 a:0 a:0 a:0
    <b> b:8 b:6 b:$ b:$ b:$
    <s> s:0 s:0 s:0 s:0 s:0
    m:8 m:8 m:8 m:8 m:8 m:8
    <x> 7*8 5*8 0*8 0*8 0*8
    <lo> l:6 l:0 l:0 l:0 l:0
    <hi> h:5 h:4 h:0 h:0 h:0
    <c> c:0 c:0 c:0 c:0 c:0
    <v> v6+0+0 v0+5+0 v0+4+0 v0+0+0 v0+0+0
    <p> p:6 p:5 p:4 p:0 p:0
    <k> k:0 k:0 k:0 k:0 k:0
    <z> z0+6+0 z0+5+0 z0+4+0 z0+0+0 z0+0+0
    <a> a:0 a:7 a:5 a:0 a:0
    <b> b:6 b:$ b:$ b:$ b:$
    <s> s:6 s:5 s:4 s:0 s:0
    >>> " ".join(t.vocabulary.names(seq[0, -7:])), t.decode(seq[0]), len(seq[0]) == 2 + (4 + 12 * 2) * 6
    ('<ans> 6 7 8 3 0 <eos>', 3876, True)
    """

    name: ClassVar[str] = "mul-local"
    width: int = 17
    #: Rows of a block, in order.
    ROWS: ClassVar[tuple[str, ...]] = ("M", "X", "L", "H", "C", "V", "P", "K", "Z", "A", "B", "S")

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_width(self.width, 2 * self.digits + 1, f"task {self.name!r} with {self.digits} digits")

    @property
    def offsets(self) -> tuple[int, ...]:
        R = self.row
        return (1, R, R + 1, 2 * R - 1, 2 * R, 2 * R + 1, 3 * R, 4 * R, 8 * R, 9 * R, 12 * R - 1, 12 * R + 1)

    def position_classes(self) -> dict:
        """Per row of a block, header and columns: the offsets its tokens read (see :meth:`Task.position_classes`).

        >>> pc = get_task("mul-local", digits=2, width=5).position_classes()
        >>> pc["period"], len(pc["class_offsets"]), pc["class_offsets"][pc["classes"][1 + 3 * 6 + 6 + 1]]
        (72, 24, (6, 24))
        """
        R = self.row
        reads = {  # row -> (header offsets, column offsets); the answer row shares M's, <eos> shares X's
            "M": ((2 * R - 1,), (1, R)), "X": ((R,), (R, 4 * R)), "L": ((R,), (R,)), "H": ((R,), (2 * R,)),
            "C": ((R,), (1, R + 1, 2 * R)), "V": ((R,), (R + 1, 2 * R + 1, 3 * R)), "P": ((R,), (R,)),
            "K": ((R,), (1, R, 8 * R)), "Z": ((R,), (R + 1, 2 * R, 9 * R)), "A": ((R,), (12 * R + 1,)),
            "B": ((R,), (12 * R - 1,)), "S": ((R,), (3 * R,)),
        }
        class_offsets = []
        for row in self.ROWS:
            class_offsets += [reads[row][0], reads[row][1]]
        period = 12 * R
        classes = []
        for t in range(period):
            r, col = divmod((t - 1 - 3 * R) % period, R)
            classes.append(2 * r + (col > 0))
        return {"period": period, "classes": tuple(classes), "class_offsets": tuple(class_offsets)}

    def _vocab_tokens(self):
        return (SPECIAL_TOKENS + ("<a>", "<b>", "<s>", "<x>", "<lo>", "<hi>", "<c>", "<v>", "<p>", "<k>", "<z>")
                + _digit_tokens("a:") + _digit_tokens("b:") + ("b:$",) + _digit_tokens("s:") + _digit_tokens("m:")
                + tuple(f"{x}*{m}" for x in range(10) for m in range(10))
                + _digit_tokens("l:") + _digit_tokens("h:", 9) + _digit_tokens("c:", 2)
                + tuple(f"v{lo}+{hi}+{c}" for lo in range(10) for hi in range(9) for c in range(2))
                + _digit_tokens("p:") + _digit_tokens("k:", 2)
                + tuple(f"z{s}+{p}+{k}" for s in range(10) for p in range(10) for k in range(2))
                + _digit_tokens(""))

    def _encode(self, a, b):
        ids, n, W = self._ids, self.digits, self.width
        N = len(a)
        A = np.zeros((N, W), np.int64)
        A[:, :n] = _digits_ls(a, n)
        B = np.full((N, W), 10, np.int64)  # 10: "b:$", past the multiplier's last digit
        B[:, :n] = _digits_ls(b, n)
        S = np.zeros((N, W), np.int64)
        zero = np.zeros(N, np.int64)
        cols: list = [BOS]
        self._row(cols, "<a>", A, "a:0")
        self._row(cols, "<b>", B, "b:0")
        self._row(cols, "<s>", S, "s:0")
        kinds = [0] * len(cols)
        for _ in range(n):
            m = B[:, 0]
            self._row(cols, m + ids["m:0"], np.repeat(m[:, None], W, axis=1), "m:0")
            self._row(cols, "<x>", A * 10 + m[:, None], "0*0")
            prod = A * m[:, None]
            lo, hi = prod % 10, prod // 10
            hi_prev = np.concatenate([zero[:, None], hi[:, :-1]], axis=1)
            self._row(cols, "<lo>", lo, "l:0")
            self._row(cols, "<hi>", hi, "h:0")
            c_in, c_out, p = self._carry_chain(lo + hi_prev)
            self._row(cols, "<c>", c_out, "c:0")
            self._row(cols, "<v>", (lo * 9 + hi_prev) * 2 + c_in, "v0+0+0")
            self._row(cols, "<p>", p, "p:0")
            k_in, k_out, s_new = self._carry_chain(S + p)
            self._row(cols, "<k>", k_out, "k:0")
            self._row(cols, "<z>", (S * 10 + p) * 2 + k_in, "z0+0+0")
            A = np.concatenate([zero[:, None], A[:, :-1]], axis=1)
            B = np.concatenate([B[:, 1:], np.full((N, 1), 10, np.int64)], axis=1)
            S = s_new
            self._row(cols, "<a>", A, "a:0")
            self._row(cols, "<b>", B, "b:0")
            self._row(cols, "<s>", S, "s:0")
            kinds += [1] * (12 * self.row)
        self._row(cols, ANS, S, "0")
        cols.append(EOS)
        kinds += [2] * (self.row + 1)
        return cols, kinds

    @staticmethod
    def _carry_chain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column-wise sums ``x`` (n, W) plus carries: (carry in, carry out, digit) per column."""
        c_in = np.zeros_like(x)
        c_out = np.zeros_like(x)
        digit = np.zeros_like(x)
        c = np.zeros(len(x), np.int64)
        for i in range(x.shape[1]):
            c_in[:, i] = c
            t = x[:, i] + c
            digit[:, i], c = t % 10, t // 10
            c_out[:, i] = c
        return c_in, c_out, digit


@dataclass(frozen=True)
class AddLocal(_LocalTask):
    """Column addition, local, in the style of :class:`MulLocal`: rows of ``R = width + 1`` tokens.

    Prompt: ``<bos>``, ``<a> a:a_i``, ``<b> b:b_i`` (least-significant first, zero-padded). CoT: a carry row
    ``<k> k:`` (``[a_i + b_i + k_(i-1) >= 10]``, a linear threshold) and a tuple row ``<z> z<a_i>+<b_i>+<k_(i-1)>``.
    Answer: ``<ans>``, the sum's digits least-significant first (each read off the tuple above), ``<eos>``.
    Offsets used: ``1, R, R+1, 2R, 3R``. Vocabulary: 241 tokens.

    Examples
    --------
    >>> t = get_task("add-local", digits=2, width=4)
    >>> seq, _ = t.encode([57], [68])
    >>> " ".join(t.vocabulary.names(seq[0, 11:])), t.decode(seq[0])
    ('<k> k:1 k:1 k:0 k:0 <z> z7+8+0 z5+6+1 z0+0+1 z0+0+0 <ans> 5 2 1 0 <eos>', 125)
    """

    name: ClassVar[str] = "add-local"
    op: ClassVar[str] = "+"
    width: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_width(self.width, self.digits + 2, f"task {self.name!r} with {self.digits} digits")

    @property
    def offsets(self) -> tuple[int, ...]:
        R = self.row
        return (1, R, R + 1, 2 * R, 3 * R)

    @property
    def n_answer_digits(self) -> int:
        return self.digits + 1

    def position_classes(self) -> dict:
        """Classes: the carry row, the tuple row, the answer row (headers read the header above)."""
        R = self.row
        reads = [(R,), (1, R, 2 * R), (R,), (R + 1, 2 * R, 3 * R), (R,), (R,)]  # <k>, k:, <z>, z, <ans>, digits
        classes = [0] * (5 * R + 2)  # the whole sequence: <bos>, five rows, <eos>
        for row in range(3):
            start = 1 + (2 + row) * R
            classes[start] = 2 * row
            classes[start + 1:start + R] = [2 * row + 1] * (R - 1)
        classes[1 + 5 * R] = 4  # <eos>: reads the <ans> one row up
        return {"period": 5 * R + 2, "classes": tuple(classes), "class_offsets": tuple(reads)}

    def result(self, a, b):
        return a + b

    def _vocab_tokens(self):
        return (SPECIAL_TOKENS + ("<a>", "<b>", "<k>", "<z>") + _digit_tokens("a:") + _digit_tokens("b:")
                + _digit_tokens("k:", 2) + tuple(f"z{x}+{y}+{c}" for x in range(10) for y in range(10) for c in range(2))
                + _digit_tokens(""))

    def _encode(self, a, b):
        n, W = self.digits, self.width
        N = len(a)
        A = np.zeros((N, W), np.int64)
        B = np.zeros((N, W), np.int64)
        A[:, :n], B[:, :n] = _digits_ls(a, n), _digits_ls(b, n)
        cols: list = [BOS]
        self._row(cols, "<a>", A, "a:0")
        self._row(cols, "<b>", B, "b:0")
        n_prompt = len(cols)
        k_in, k_out, s = MulLocal._carry_chain(A + B)
        self._row(cols, "<k>", k_out, "k:0")
        self._row(cols, "<z>", (A * 10 + B) * 2 + k_in, "z0+0+0")
        self._row(cols, ANS, s, "0")
        cols.append(EOS)
        R = self.row
        return cols, [0] * n_prompt + [1] * (2 * R) + [2] * (R + 1)


#: Task name -> class.
TASKS: dict[str, type[Task]] = {t.name: t for t in (MulPaper, MulNoCoT, MulLocal, AddLocal)}


def get_task(name: str, **params: Any) -> Task:
    """The task ``name`` (a key of :data:`TASKS`) with ``params`` (``digits``, and ``width`` for the local ones).

    Raises
    ------
    LearnerError
        An unknown name or parameter.

    >>> get_task("mul-local", digits=3).spec
    'mul-local(digits=3,width=17)'
    """
    if name not in TASKS:
        raise LearnerError(f"Unknown task {name!r}; the tasks are {', '.join(sorted(TASKS))}.")
    cls = TASKS[name]
    names = [f.name for f in fields(cls)]
    unknown = set(params) - set(names)
    if unknown:
        raise LearnerError(f"Task {name!r} has no parameter {sorted(unknown)[0]!r}; its parameters are "
                           f"{', '.join(names)}.")
    return cls(**params)


def make_task_dataset(name: str, n: int, *, split: str | None = "train", random_state: Any = None,
                      unique: bool = False, **params: Any):
    """``n`` operand pairs of ``split`` (``"train"``, ``"test"``, or None for any) encoded by task ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`.
    n : int
    split : {"train", "test", None}
        The part of the paper's 75/25 hash split the pairs come from.
    random_state : int, Generator or None
        All randomness from ``numpy.random.default_rng(random_state)``; None draws a seed and records it.
    unique : bool, default False
        Distinct pairs (else i.i.d., as the paper samples).
    **params
        Task parameters: ``digits`` (2-8, default 4); ``width`` for the local tasks.

    Returns
    -------
    tmsim.datasets.Dataset
    """
    return get_task(name, **params).make_dataset(n, split=split, random_state=random_state, unique=unique)
