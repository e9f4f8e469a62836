"""Trace -> tokens (result types): what an encoding hands back — :class:`TokenKind` (the loss mask),
:class:`Trace` (one encoded run), :class:`TraceBatch` (many, as one ragged array), :class:`RunSizes` (the
counting pass) and :class:`DecodedRun` (a run read back from a trace)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..machine import Move
from ..simulate import Configuration, RunResult, Status
from .vocab import Vocabulary

if TYPE_CHECKING:  # annotations only: base.py imports this module
    from .base import Encoding

__all__ = ["TokenKind", "TokenView", "Trace", "TraceBatch", "RunSizes", "DecodedRun", "STATUS_BY_CODE"]

#: :class:`tmsim.Status` by the status code of :attr:`TraceBatch.status`.
STATUS_BY_CODE = (Status.HALTED, Status.UNDEFINED, Status.STEP_LIMIT, Status.TAPE_LIMIT)
_STOPPED = (Status.HALTED, Status.UNDEFINED)


class TokenKind(enum.IntEnum):
    """What a token is, per position of a trace: the loss mask of a dataset."""

    #: Given to the model (the input / initial configuration); never a training target.
    PROMPT = 0
    #: The chain of thought: one segment or row per step.
    COT = 1
    #: The answer section, from its marker (``<ans>`` or the ``END`` row) to ``<eos>``.
    ANSWER = 2


# ---------------------------------------------------------------------------------------------- results
class TokenView:
    """Token-level views shared by a :class:`Trace` and a dataset sample: ``tokens``, ``kinds`` and
    ``vocabulary`` attributes give names, text and the prompt / CoT / answer parts."""

    tokens: np.ndarray
    kinds: np.ndarray
    vocabulary: "Vocabulary"

    def names(self) -> list[str]:
        """The token names."""
        return self.vocabulary.names(self.tokens)

    def text(self, sep: str = " ") -> str:
        """The token names joined by ``sep``."""
        return sep.join(self.names())

    def part(self, kind: TokenKind | int) -> np.ndarray:
        """The token ids of one :class:`TokenKind`."""
        return self.tokens[self.kinds == int(kind)]

    @property
    def prompt(self) -> np.ndarray:
        return self.part(TokenKind.PROMPT)

    @property
    def cot(self) -> np.ndarray:
        return self.part(TokenKind.COT)

    @property
    def answer(self) -> np.ndarray:
        return self.part(TokenKind.ANSWER)


@dataclass(frozen=True, eq=False)
class Trace(TokenView):
    """One encoded run.

    Attributes
    ----------
    tokens : ndarray of int32, shape (length,)
        Token ids in :attr:`vocabulary`.
    kinds : ndarray of uint8, shape (length,)
        :class:`TokenKind` of every token (0 prompt, 1 CoT, 2 answer).
    vocabulary : Vocabulary
    encoding : Encoding
    status : tmsim.Status
        How the run ended: ``halted``/``undefined`` (stopped on its own), ``step_limit`` (cut by the step
        budget) or ``tape_limit`` (the head would have left the tableau window).
    steps : int
        Steps of the run (the halting transition counts).
    input_length : int
    width, left : int or None
        Row width and the number of cells left of input position 0, for the tableau encodings.
    """

    tokens: np.ndarray
    kinds: np.ndarray
    vocabulary: Vocabulary
    encoding: "Encoding"
    status: Status
    steps: int
    input_length: int
    width: int | None = None
    left: int | None = None

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (self.encoding == other.encoding and self.vocabulary == other.vocabulary
                and self.status == other.status and self.steps == other.steps
                and self.width == other.width and self.left == other.left
                and np.array_equal(self.tokens, other.tokens) and np.array_equal(self.kinds, other.kinds))

    __hash__ = None  # mutable arrays inside

    @property
    def stopped(self) -> bool:
        """True when the machine stopped on its own (``halted`` or ``undefined``)."""
        return self.status in _STOPPED


    def __repr__(self) -> str:
        w = f", width={self.width}" if self.width is not None else ""
        return (f"Trace({self.encoding.spec}, {len(self)} tokens, status={self.status.value}, "
                f"steps={self.steps}{w})")


@dataclass(frozen=True, eq=False)
class TraceBatch:
    """Many encoded runs as one ragged array: sample ``j`` is ``tokens[offsets[j]:offsets[j+1]]``.

    Attributes
    ----------
    tokens : ndarray of int32, shape (n_tokens,)
    kinds : ndarray of uint8, shape (n_tokens,)
    offsets : ndarray of int64, shape (n + 1,)
    status : ndarray of int8, shape (n,)
        Status codes in the order of :class:`tmsim.Status` (0 halted, 1 undefined, 2 step_limit,
        3 tape_limit), so a dataset can label or drop the runs that did not stop.
    steps : ndarray of int64, shape (n,)
    input_lengths : ndarray of int64, shape (n,)
    widths, lefts : ndarray of int64, shape (n,)
        Row width and left margin per sample for the tableau encodings (-1 for ``transitions``).
    vocabulary : Vocabulary
    encoding : Encoding
    """

    tokens: np.ndarray
    kinds: np.ndarray
    offsets: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    input_lengths: np.ndarray
    widths: np.ndarray
    lefts: np.ndarray
    vocabulary: Vocabulary
    encoding: "Encoding"

    def __len__(self) -> int:
        return int(self.status.shape[0])

    def __getitem__(self, j: int) -> Trace:
        n = len(self)
        if isinstance(j, (bool, np.bool_)) or not isinstance(j, (int, np.integer)) or not -n <= j < n:
            raise IndexError(f"TraceBatch index must be an integer in [{-n}, {n - 1}]. Got {j!r}.")
        j = int(j) % n
        a, b = int(self.offsets[j]), int(self.offsets[j + 1])
        w = int(self.widths[j])
        return Trace(self.tokens[a:b], self.kinds[a:b], self.vocabulary, self.encoding,
                     STATUS_BY_CODE[int(self.status[j])], int(self.steps[j]), int(self.input_lengths[j]),
                     None if w < 0 else w, None if w < 0 else int(self.lefts[j]))

    def __iter__(self) -> Iterator[Trace]:
        return (self[j] for j in range(len(self)))

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per sample (int64, shape (n,))."""
        return np.diff(self.offsets)

    @property
    def n_tokens(self) -> int:
        return int(self.offsets[-1])

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(STATUS_BY_CODE[int(s)] for s in self.status)

    @property
    def stopped(self) -> np.ndarray:
        """Boolean mask of the samples whose machine stopped on its own."""
        return self.status <= 1

    def __repr__(self) -> str:
        return f"TraceBatch({self.encoding.spec}, {len(self)} samples, {self.n_tokens} tokens)"


@dataclass(frozen=True)
class RunSizes:
    """What the counting pass learns about every sample before any token is written (int64 arrays of
    shape (n,), ``status`` int8): enough to size a dataset before generating it."""

    status: np.ndarray
    steps: np.ndarray
    input_lengths: np.ndarray
    answer_lengths: np.ndarray
    widths: np.ndarray
    lefts: np.ndarray
    lengths: np.ndarray


@dataclass(frozen=True)
class DecodedRun:
    """A run read back from a trace by :meth:`Encoding.decode`, after every token was checked.

    Attributes
    ----------
    input : tuple of str
    configurations : tuple of tmsim.Configuration
        The configurations the trace shows, in order (for ``snapshots`` only every k-th one). For the
        tableau encodings ``tape`` is the window's cells (``tape_start = -left``, boundary cells
        excluded); for ``transitions`` it is the visited span, as :func:`tmsim.configurations` gives it.
    config_steps : tuple of int
        The step index of every configuration.
    transitions : tuple of (state, read, write, Move, next), or None
        One record per step (None for ``snapshots`` with ``every > 1``).
    result : tmsim.RunResult
        The final result: status, steps, state, head, non-blank tape.
    answer : tuple of str
        The answer the trace gives: the final tape's non-blank span (``answer="tape"``) or the final
        state (``answer="state"``).
    width, left : int or None
    """

    input: tuple[str, ...]
    configurations: tuple[Configuration, ...]
    config_steps: tuple[int, ...]
    transitions: tuple[tuple[str, str, str, Move, str], ...] | None
    result: RunResult
    answer: tuple[str, ...]
    width: int | None = None
    left: int | None = None

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def steps(self) -> int:
        return self.result.steps

    @property
    def state(self) -> str:
        return self.result.state

    @property
    def tape(self) -> tuple[str, ...]:
        return self.result.tape

    @property
    def output(self) -> str:
        return self.result.output
