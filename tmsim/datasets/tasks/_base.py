"""Tokens -> dataset (task generators, shared part): the operands and the paper's 75/25 hash split of the
arithmetic tasks, the :class:`Task` base class, and :func:`task_dataset`, which turns equal-length sequences
of any task generator (arithmetic, parity) into the one ragged type, :class:`tmsim.datasets.Dataset`.
The formats themselves are in :mod:`~tmsim.datasets.tasks.arithmetic` and
:mod:`~tmsim.datasets.tasks.parity`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, ClassVar, Sequence

import numpy as np

from ..._validate import check_int, check_random_state
from ...encodings import PositionLayout, Vocabulary
from .._plan import toolkit_version
from ..dataset import Dataset
from ..errors import TaskError
from ..provenance import Provenance

__all__ = ["Task", "task_dataset", "operand_range", "in_train_split", "sample_pairs", "digits_least_first",
           "PRIME", "FORMAT_VERSION", "MIN_DIGITS", "MAX_DIGITS"]

#: The paper's split hash constant (``torch_datasets/product.py`` of github.com/emalach/LinearLM).
PRIME = 277149838960172320159769184791
#: Operand lengths the tasks support (products stay below 2**63).
MIN_DIGITS, MAX_DIGITS = 2, 8
#: Bumped when a format's token layout changes (recorded in the provenance).
FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------- operands
def _check_digits(digits: Any, owner: str) -> int:
    return check_int("digits", digits, low=MIN_DIGITS, high=MAX_DIGITS, owner=owner, error=TaskError,
                     constraint=f"an int in [{MIN_DIGITS}, {MAX_DIGITS}]")


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
        raise TaskError(f"in_train_split: operands must be in [{lo}, {hi}] for {digits} digits.")
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
        raise TaskError(f"The 'split' parameter of sample_pairs must be 'train', 'test' or None. "
                           f"Got {split!r} instead.")
    total = (hi + 1 - lo) ** 2
    avail = total if split is None else (total // 4 + 1 if split == "test" else total - total // 4 - 1)
    if unique and n > avail:
        raise TaskError(f"sample_pairs: {n} distinct pairs asked for, the {split or 'whole'} part of "
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


def digits_least_first(x: np.ndarray, n: int) -> np.ndarray:
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

    #: Names of the position classes of a local format, in class order (see :meth:`layout`).
    class_names: ClassVar[tuple[str, ...]] = ()

    def layout(self) -> PositionLayout:
        """The task's :class:`~tmsim.encodings.PositionLayout`, what every learner takes as ``layout=``.

        A local format (``mul-local``, ``add-local``) overrides it: position ``t`` (counted from its sequence
        start) is of class ``classes[t % period]`` (named by :attr:`class_names`) and its token is a function
        of the tokens at that class's ``offsets`` back. A non-local format (``mul-paper``, ``mul-nocot``):
        every sequence of the task has the same length and every absolute position one role, and nothing is
        declared to be read at fixed offsets, so the honest layout is the time-dependent one
        (:meth:`PositionLayout.time_dependent`, one class per position: the paper's learner for its own
        format).

        >>> from tmsim.datasets.tasks import get_task
        >>> get_task("mul-paper").layout()
        PositionLayout(period=None, classes=(), names=(), offsets=None)
        >>> lay = get_task("add-local", digits=2, width=4).layout()
        >>> lay.period, lay.names[:2], lay.offsets[1]
        (27, ('<k>', 'k'), (1, 5, 10))
        """
        return PositionLayout.time_dependent()

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
            raise TaskError(f"{self.name}.encode: a and b must be 1-D arrays of the same length. Got shapes "
                               f"{a.shape} and {b.shape}.")
        for name, x in (("a", a), ("b", b)):
            if x.size and (x.min() < lo or x.max() > hi):
                bad = int(x[(x < lo) | (x > hi)][0])
                raise TaskError(f"{self.name}.encode: operand {name} = {bad} is not a {self.digits}-digit "
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
                sampler: str = "given pairs") -> Dataset:
        """The pairs ``(a, b)`` as a :class:`tmsim.datasets.Dataset` with this task's provenance (no machine;
        the task's spec as its token format)."""
        tokens, kinds = self.encode(a, b)
        a = np.atleast_1d(np.asarray(a, dtype=np.int64))
        b = np.atleast_1d(np.asarray(b, dtype=np.int64))
        inputs = [f"{x}{self.op}{y}" for x, y in zip(a.tolist(), b.tolist())]
        return task_dataset(tokens, kinds, inputs, self.vocabulary, self.spec, FORMAT_VERSION, seed=seed,
                            sampler=sampler, split=split, width=getattr(self, "width", None))

    def make_dataset(self, n: int, *, split: str | None = "train", random_state: Any = None,
                     unique: bool = False) -> Dataset:
        """``n`` pairs drawn from ``split`` of the paper's hash split, encoded (see :func:`make_task_dataset`)."""
        owner = f"{self.name}.make_dataset"
        n = check_int("n", n, low=1, owner=owner, error=TaskError, constraint="an int in [1, inf)")
        seed, rng = check_random_state(random_state, owner, error=TaskError)
        a, b = sample_pairs(n, self.digits, split, rng, unique)
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
        return digits_least_first(r, self.n_answer_digits)


# ---------------------------------------------------------------------------------------------- datasets
def task_dataset(tokens: np.ndarray, kinds: np.ndarray, inputs: Sequence[str], vocabulary: Vocabulary, spec: str,
                 version: int, *, seed: int | None, sampler: str, split: str | None = None,
                 width: int | None = None) -> Dataset:
    """Equal-length sequences of a task generator as a :class:`~tmsim.datasets.Dataset`.

    Parameters
    ----------
    tokens : ndarray of int, shape (n, length)
    kinds : ndarray of uint8, shape (length,)
        The loss mask of every sequence (0 prompt, 1 CoT, 2 answer).
    inputs : sequence of str, length n
        Each sequence's input as text (``"57x68"``, the bits ``"0110"``).
    vocabulary : Vocabulary
    spec : str
        The task's spec, recorded as the token format (:func:`task_from_spec` reads it back).
    version : int
        The format's version.
    seed, sampler, split
        Provenance: how the inputs were drawn.
    width : int, optional
        The task's register width (recorded per sample; -1 when None).

    Returns
    -------
    Dataset
        ``status`` 0 (every sequence is complete), ``steps`` the CoT and answer tokens per sequence, a
        :class:`~tmsim.datasets.Provenance` of kind ``"task"``.
    """
    tokens = np.asarray(tokens)
    n, length = tokens.shape
    kinds = np.asarray(kinds, dtype=np.uint8)
    raw = [s.encode("utf-8") for s in inputs]
    toff = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(t) for t in raw], out=toff[1:])
    w = -1 if width is None else int(width)
    prov = Provenance(machine=None, machine_format=None, machine_name=None, encoding=spec,
                      encoding_version=int(version), tmsim_version=toolkit_version(), seed=seed, sampler=sampler,
                      split=split, max_steps=None)
    return Dataset(
        tokens=tokens.reshape(-1).astype(np.int32), kinds=np.tile(kinds, n),
        offsets=np.arange(n + 1, dtype=np.int64) * length,
        input_text=np.frombuffer(b"".join(raw), dtype=np.uint8).copy(), input_offsets=toff,
        status=np.zeros(n, np.int8), steps=np.full(n, int(np.count_nonzero(kinds)), np.int64),
        index=np.arange(n, dtype=np.int64), width=np.full(n, w, np.int64),
        left=np.full(n, 0 if w >= 0 else -1, np.int64), source=np.zeros(n, np.int32),
        vocabulary=vocabulary, sources=(prov,))
