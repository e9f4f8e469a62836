"""Tokens -> dataset for parity (docs/theory.md#parity): sparse parities of n bits with the O(log n) counting
CoT, without CoT, and as a chain of k-XOR steps, as :class:`tmsim.datasets.Dataset` with loss masks.

============  ===========================================================================================
format        sequence (``x`` = n input bits, ``A`` = the task's subset, ``s = sum_{i in A} x_i``)
============  ===========================================================================================
``count``     ``x_0 ... x_{n-1} =`` then the binary digits of ``s``, most significant first:
              ``floor(log2 n) + 1`` tokens; digit j is ``[s - sum_{l>j} 2^l b_l >= 2^j]``, a linear
              threshold of x and the digits already written; the last digit is the parity (the answer)
``nocot``     ``x_0 ... x_{n-1} =`` then the parity alone (one token)
``chain``     ``x_0 ... x_{n-1} =`` then the running parities ``c_1, c_2, ...``: ``c_1`` is the XOR of the
              first ``k`` bits of A, each later ``c_i`` the XOR of ``c_{i-1}`` and the next ``k - 1`` bits of
              A, so every step is a parity of at most ``k`` tokens; ``ceil((|A| - 1) / (k - 1))`` tokens
              (Theorem 3.12's Theta(n/k)); the last is the parity
============  ===========================================================================================

Token ids: 0 ``<pad>``, 1 ``0``, 2 ``1``, 3 ``=``. The prompt (kind 0) is the bits and ``=``; the CoT
tokens are kind 1, the last token (the parity) kind 2. ``shuffle_cot=True`` permutes each sample's CoT and
answer tokens at random: the negative control the checks must reject.

Examples
--------
>>> from tmsim.datasets.tasks import ParityTask
>>> task = ParityTask(n=8, fmt="count", random_state=0)
>>> task.subset, task.cot_length
((2, 3, 4, 6), 4)
>>> data = task.sample(2, random_state=1)
>>> data[0].tokens.tolist(), data.kinds[:13].tolist()
([2, 2, 1, 1, 2, 2, 1, 2, 3, 1, 1, 1, 2], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
>>> data.inputs[0], data.sources[0].encoding
('11001101', 'parity(n=8,fmt=count,k=2,random_state=0,shuffle_cot=False)')
>>> ParityTask(n=16, fmt="chain", k=3, random_state=0).cot_length
4
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ..._validate import check_choice, check_int, check_random_state
from ...encodings import PositionLayout, Vocabulary
from ..dataset import Dataset
from ..errors import TaskError
from ._base import task_dataset

__all__ = ["ParityTask", "PARITY_VOCABULARY", "FORMATS", "FORMAT_VERSION", "count_cot_length", "chain_cot_length"]

#: The vocabulary every parity format shares (no end token: every sequence of a task has one length).
PARITY_VOCABULARY = Vocabulary(("<pad>", "0", "1", "="))
ZERO, ONE, EQ = 1, 2, 3
FORMATS = ("count", "nocot", "chain")
#: Bumped when a format's token layout changes (recorded in the provenance).
FORMAT_VERSION = 1


def count_cot_length(n: int) -> int:
    """Tokens of the counting CoT for n bits: ``floor(log2 n) + 1`` (every s in [0, n] fits).

    >>> [count_cot_length(n) for n in (1, 2, 7, 8, 255, 256)]
    [1, 2, 3, 4, 8, 9]
    """
    return int(n).bit_length()


def chain_cot_length(m: int, k: int) -> int:
    """Tokens of the k-XOR chain over a subset of ``m >= 1`` bits: ``max(1, ceil((m - 1) / (k - 1)))``.

    >>> [chain_cot_length(m, 2) for m in (1, 2, 5)], chain_cot_length(8, 3), chain_cot_length(9, 3)
    ([1, 1, 4], 4, 4)
    """
    if m <= k:
        return 1
    return 1 + math.ceil((m - k) / (k - 1))


def _check_int(name: str, value: Any, low: int) -> int:
    return check_int(name, value, low=low, owner="ParityTask", error=TaskError, constraint=f"an int >= {low}")


@dataclass(frozen=True)
class ParityTask:
    """The parity of the bits of a random subset ``A`` of ``n`` positions, in one of :data:`FORMATS`.

    Parameters
    ----------
    n : int
        Input bits (>= 2).
    fmt : {"count", "nocot", "chain"}
    k : int, default 2
        ``chain`` only: each step XORs at most k tokens (>= 2).
    random_state : int
        Draws ``A``: ``n // 2`` distinct positions (|A| ~ n/2), sorted.
    shuffle_cot : bool, default False
        Permute each sample's CoT and answer tokens (the broken input of the checks).

    Attributes
    ----------
    subset : tuple of int
        A, sorted.
    cot_length : int
        Tokens after the prompt (CoT and answer).
    prompt_length : int
        ``n + 1`` (the bits and ``=``).
    """

    name: ClassVar[str] = "parity"
    n: int
    fmt: str = "count"
    k: int = 2
    random_state: int = 0
    shuffle_cot: bool = False
    subset: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        n = _check_int("n", self.n, 2)
        _check_int("k", self.k, 2)
        check_choice("fmt", self.fmt, FORMATS, "ParityTask", error=TaskError, constraint=f"one of {FORMATS}")
        rng = np.random.default_rng(self.random_state)
        a = np.sort(rng.choice(n, size=max(1, n // 2), replace=False))
        object.__setattr__(self, "subset", tuple(int(i) for i in a))

    @property
    def vocabulary(self) -> Vocabulary:
        return PARITY_VOCABULARY

    @property
    def spec(self) -> str:
        """The task with its parameters, e.g. ``"parity(n=8,fmt=count,k=2,random_state=0,shuffle_cot=False)"``
        (the provenance's token format; :func:`tmsim.datasets.tasks.task_from_spec` reads it back)."""
        params = ",".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.init)
        return f"{self.name}({params})"

    @property
    def prompt_length(self) -> int:
        return self.n + 1

    @property
    def cot_length(self) -> int:
        if self.fmt == "count":
            return count_cot_length(self.n)
        if self.fmt == "nocot":
            return 1
        return chain_cot_length(len(self.subset), self.k)

    @property
    def length(self) -> int:
        """Tokens per sequence."""
        return self.prompt_length + self.cot_length

    def chain_steps(self) -> list[tuple[int, ...]]:
        """``chain``: per CoT token, the positions (in the sequence) of the tokens it XORs (<= k each)."""
        a = list(self.subset)
        steps = [tuple(a[:self.k])]
        rest = a[self.k:]
        prev = self.prompt_length
        while rest:
            steps.append((prev,) + tuple(rest[:self.k - 1]))
            rest = rest[self.k - 1:]
            prev += 1
        return steps

    def targets(self, x: np.ndarray) -> np.ndarray:
        """CoT and answer bits (0/1) for the inputs ``x``.

        Parameters
        ----------
        x : ndarray of uint8, shape (m, n)

        Returns
        -------
        ndarray of uint8, shape (m, cot_length)
        """
        a = np.asarray(self.subset)
        s = x[:, a].astype(np.int64).sum(axis=1)
        if self.fmt == "count":
            D = self.cot_length
            return ((s[:, None] >> np.arange(D - 1, -1, -1)[None, :]) & 1).astype(np.uint8)
        if self.fmt == "nocot":
            return (s & 1).astype(np.uint8)[:, None]
        cols = []
        full = np.concatenate([x, np.zeros((len(x), 1), np.uint8)], axis=1)  # the '=' slot holds no bit
        for step in self.chain_steps():
            v = np.zeros(len(x), dtype=np.uint8)
            for p in step:
                v ^= full[:, p] if p < self.prompt_length else cols[p - self.prompt_length]
            cols.append(v)
        return np.stack(cols, axis=1)

    def sample_bits(self, m: int, random_state: Any = None) -> np.ndarray:
        """``m`` uniform inputs, ndarray of uint8, shape (m, n)."""
        rng = check_random_state(random_state, "ParityTask.sample_bits", error=TaskError)[1]
        m = check_int("m", m, low=0, owner="ParityTask.sample_bits", error=TaskError)
        return rng.integers(0, 2, size=(m, self.n), dtype=np.uint8)

    def encode(self, x: np.ndarray, *, random_state: Any = None, seed: int | None = None,
               sampler: str = "given bits") -> Dataset:
        """The sequences of the inputs ``x`` (shape (m, n), 0/1) as a :class:`~tmsim.datasets.Dataset`
        (inputs: the bits as text; ``seed`` and ``sampler`` are recorded in its provenance)."""
        x = np.asarray(x, dtype=np.uint8)
        if x.ndim != 2 or x.shape[1] != self.n:
            raise TaskError(f"ParityTask.encode: x must have shape (m, {self.n}). Got {x.shape}.")
        m = len(x)
        y = self.targets(x)
        if self.shuffle_cot:
            rng = random_state if isinstance(random_state, np.random.Generator) \
                else np.random.default_rng(random_state)
            y = np.take_along_axis(y, rng.permuted(np.tile(np.arange(y.shape[1]), (m, 1)), axis=1), axis=1)
        L = self.length
        tok = np.empty((m, L), dtype=np.int32)
        tok[:, :self.n] = x + ZERO
        tok[:, self.n] = EQ
        tok[:, self.n + 1:] = y + ZERO
        kinds = np.zeros(L, dtype=np.uint8)
        kinds[self.prompt_length:] = 1
        kinds[-1] = 2
        raw = (x + ord("0")).tobytes()  # each input as its bits' text, "0110..."
        inputs = [raw[i * self.n:(i + 1) * self.n].decode("ascii") for i in range(m)]
        return task_dataset(tok, kinds, inputs, PARITY_VOCABULARY, self.spec, FORMAT_VERSION, seed=seed,
                            sampler=sampler)

    def sample(self, m: int, random_state: Any = None) -> Dataset:
        """``m`` uniform inputs as a :class:`~tmsim.datasets.Dataset` (one generator draws the bits, then the
        CoT shuffles)."""
        seed = None if isinstance(random_state, np.random.Generator) or random_state is None else int(random_state)
        rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
        return self.encode(self.sample_bits(m, rng), random_state=rng, seed=seed,
                           sampler=f"{int(m)} uniform {self.n}-bit inputs")

    def layout(self) -> PositionLayout:
        """What every learner takes as ``layout=``: one weight block per CoT position (the paper's
        time-dependent form, restricted to the positions that are trained), each reading the whole context
        before it: period ``length``, class ``"prompt"`` for the prompt positions and ``"cot:j"`` for CoT
        position j (the last one is the answer), every class reading offsets ``1 .. length - 1``.

        >>> lay = ParityTask(n=4, fmt="count").layout()
        >>> lay.period, lay.classes, lay.names, lay.offsets[0]
        (8, (0, 0, 0, 0, 0, 1, 2, 3), ('prompt', 'cot:0', 'cot:1', 'cot:2'), (1, 2, 3, 4, 5, 6, 7))
        """
        L = self.length
        classes = [0] * self.prompt_length + list(range(1, self.cot_length + 1))
        names = ("prompt",) + tuple(f"cot:{j}" for j in range(self.cot_length))
        return PositionLayout(period=L, classes=tuple(classes), names=names,
                              offsets=(tuple(range(1, L)),) * len(names))
