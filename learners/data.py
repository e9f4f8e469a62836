"""Dataset -> learner: the ragged token sequences a learner trains on (flat tokens, offsets, loss mask),
accepted from a tmsim dataset, a token trace batch, or plain arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from tmsim.encodings import PositionLayout

from .errors import LearnerError, VocabularyMismatchError

__all__ = ["Sequences", "as_sequences"]


@dataclass(frozen=True)
class Sequences:
    """Ragged token sequences with a loss mask.

    Attributes
    ----------
    tokens : ndarray of int32, shape (n_tokens,)
        All sequences, concatenated.
    offsets : ndarray of int64, shape (n_sequences + 1,)
        Sequence ``s`` is ``tokens[offsets[s]:offsets[s + 1]]``.
    kinds : ndarray of uint8, shape (n_tokens,)
        0 prompt (never a training target), 1 chain of thought, 2 answer.
    vocab_size : int
        Every token is in ``[0, vocab_size)``.
    vocabulary : object or None
        The dataset's vocabulary (kept to check that a model and a dataset agree).
    """

    tokens: np.ndarray
    offsets: np.ndarray
    kinds: np.ndarray
    vocab_size: int
    vocabulary: Any = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sequence(self, s: int) -> np.ndarray:
        return self.tokens[self.offsets[s]:self.offsets[s + 1]]

    @property
    def shape(self) -> tuple[int]:
        """``(n_sequences,)``. Declared so that array-style indexing code (scikit-learn's ``_safe_indexing``,
        which calls ``seqs[indices, ...]``) keeps Sequences as Sequences, loss mask included."""
        return (len(self),)

    def prompt_lengths(self) -> np.ndarray:
        """Length of each sequence's prompt (its leading run of kind-0 tokens)."""
        out = np.empty(len(self), dtype=np.int64)
        for s in range(len(self)):
            k = self.kinds[self.offsets[s]:self.offsets[s + 1]]
            nz = np.flatnonzero(k != 0)
            out[s] = nz[0] if nz.size else len(k)
        return out

    def subset(self, index: Sequence[int] | np.ndarray) -> "Sequences":
        """The sequences ``index`` (integers, negative ones from the end, in that order; or a boolean mask of
        shape (n_sequences,)), e.g. a cross-validation fold.

        Raises
        ------
        IndexError
            An index out of range, a mask of another length, or a key that is neither.
        """
        n = len(self)
        arr = np.asarray(index)
        if arr.size == 0 and arr.ndim == 1:
            arr = arr.astype(np.int64)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise IndexError(f"A boolean mask of Sequences must have shape ({n},). Got {arr.shape}.")
            idx = np.flatnonzero(arr)
        elif arr.dtype.kind in "iu" and arr.ndim == 1:
            idx = arr.astype(np.int64)
            if idx.size and (idx.min() < -n or idx.max() >= n):
                raise IndexError(f"Sequences indices must be in [{-n}, {n - 1}]. Got {int(idx.min())}..{int(idx.max())}.")
            idx = idx % max(n, 1)
        else:
            raise IndexError(f"Sequences index must be an int, a slice, an integer array or a boolean mask. "
                             f"Got {index!r}.")
        lens = self.offsets[idx + 1] - self.offsets[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        take = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(self.offsets[idx] - offsets[:-1], lens)
        return Sequences(self.tokens[take], offsets, self.kinds[take], self.vocab_size, self.vocabulary)

    def __getitem__(self, index) -> "Sequences":
        """``seqs[key]``: the sequences a slice, an integer (array or list) or a boolean mask picks, as
        Sequences (an integer gives one sequence); ``seqs[key, ...]`` is ``seqs[key]``."""
        if isinstance(index, tuple) and len(index) == 2 and index[1] is Ellipsis:
            index = index[0]
        if isinstance(index, slice):
            index = np.arange(len(self))[index]
        return self.subset(np.atleast_1d(index))


def as_sequences(X: Any, *, vocab_size: int | None = None, owner: str = "learners") -> Sequences:
    """Turn ``X`` into :class:`Sequences`, validating shapes, dtypes and token range.

    ``X`` may be a :class:`Sequences`; any object with ``tokens``, ``offsets`` and ``kinds`` arrays and a
    ``vocabulary`` (a tmsim dataset or trace batch, or a slice of one); a list of samples (objects with
    ``tokens`` and ``kinds``: :class:`tmsim.datasets.Sample`, loss masks kept); a ``(tokens, offsets,
    kinds)`` tuple; a 2-D integer array (one sequence per row); or a list of 1-D integer sequences (in the
    last two, every token after the first is a target). ``vocab_size`` defaults to the vocabulary's length,
    else ``max token + 1``.

    Raises
    ------
    LearnerError
        An empty dataset, mismatched array lengths, decreasing offsets, or a token outside the vocabulary
        (naming the position and the value).
    """
    if isinstance(X, Sequences):
        seqs = X
        if vocab_size is not None and vocab_size != X.vocab_size:
            raise LearnerError(f"{owner}: the data has vocab_size {X.vocab_size}, expected {vocab_size}.")
        _check(seqs, owner)
        return seqs
    vocabulary = None
    if all(hasattr(X, a) for a in ("tokens", "offsets", "kinds")):
        tokens, offsets, kinds = X.tokens, X.offsets, X.kinds
        vocabulary = getattr(X, "vocabulary", None)
    elif isinstance(X, tuple) and len(X) == 3 and not all(hasattr(x, "kinds") for x in X):
        tokens, offsets, kinds = X
    elif isinstance(X, (list, tuple)) and X and all(hasattr(x, "tokens") and hasattr(x, "kinds") for x in X):
        # Samples of a dataset (what list-style indexing of a Dataset gives): their loss masks are kept.
        vocabulary = getattr(X[0], "vocabulary", None)
        for i, x in enumerate(X):
            if getattr(x, "vocabulary", None) != vocabulary:
                raise LearnerError(f"{owner}: sample {i} has another vocabulary than sample 0; token ids would "
                                   f"mean different things.")
        lens = np.array([len(x.tokens) for x in X], dtype=np.int64)
        offsets = np.zeros(len(X) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        tokens = np.concatenate([np.asarray(x.tokens) for x in X])
        kinds = np.concatenate([np.asarray(x.kinds) for x in X])
        if len(kinds) != len(tokens):
            raise LearnerError(f"{owner}: every sample needs one kind per token.")
    elif isinstance(X, np.ndarray) and X.ndim != 1:
        # A 2-D integer array: one equal-length sequence per row (the array form of the input tags).
        if X.ndim != 2 or (X.size and X.dtype.kind not in "iu"):
            raise LearnerError(f"{owner}: an array of training data must be 2-D integer token ids (one sequence "
                               f"per row). Got shape {X.shape}, dtype {X.dtype}.")
        n, length = X.shape
        tokens = X.reshape(-1)
        offsets = np.arange(n + 1, dtype=np.int64) * length
        kinds = np.ones(n * length, dtype=np.uint8)
        if length:
            kinds[offsets[:-1]] = 0
    elif isinstance(X, (list, tuple)):
        arrays = [np.asarray(x) for x in X]
        for i, a in enumerate(arrays):
            if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
                raise LearnerError(f"{owner}: sequence {i} must be a 1-D integer array. Got shape {a.shape}, "
                                   f"dtype {a.dtype}.")
        lens = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        tokens = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
        kinds = np.ones(len(tokens), dtype=np.uint8)
        kinds[offsets[:-1][lens > 0]] = 0
    elif hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise LearnerError(f"{owner}: sparse input is not supported (a {type(X).__name__}); pass token sequences "
                           f"or a dense 2-D integer array.")
    else:
        raise LearnerError(f"{owner}: cannot read training data from a {type(X).__name__}; expected a tmsim "
                           f"dataset, a (tokens, offsets, kinds) tuple, or a list of token sequences.")
    if vocab_size is None:
        if vocabulary is not None:
            vocab_size = len(vocabulary)
        else:
            tok = np.asarray(tokens)
            vocab_size = int(tok.max()) + 1 if tok.size else 1
    seqs = Sequences(np.ascontiguousarray(tokens, dtype=np.int32), np.ascontiguousarray(offsets, dtype=np.int64),
                     np.ascontiguousarray(kinds, dtype=np.uint8), int(vocab_size), vocabulary)
    _check(seqs, owner)
    return seqs


def _check(s: Sequences, owner: str) -> None:
    if s.tokens.ndim != 1 or s.kinds.ndim != 1 or s.offsets.ndim != 1:
        raise LearnerError(f"{owner}: tokens, kinds and offsets must be 1-D arrays. Got shapes "
                           f"{s.tokens.shape}, {s.kinds.shape}, {s.offsets.shape}.")
    if len(s.kinds) != len(s.tokens):
        raise LearnerError(f"{owner}: kinds has {len(s.kinds)} entries for {len(s.tokens)} tokens.")
    if len(s.offsets) < 2:
        raise LearnerError(f"{owner}: the dataset is empty (no sequences).")
    if s.offsets[0] != 0 or s.offsets[-1] != len(s.tokens) or np.any(np.diff(s.offsets) < 0):
        raise LearnerError(f"{owner}: offsets must rise from 0 to the number of tokens ({len(s.tokens)}). "
                           f"Got {s.offsets[:3].tolist()}...{s.offsets[-3:].tolist()}.")
    if s.tokens.size:
        lo, hi = int(s.tokens.min()), int(s.tokens.max())
        if lo < 0 or hi >= s.vocab_size:
            pos = int(np.flatnonzero((s.tokens < 0) | (s.tokens >= s.vocab_size))[0])
            raise LearnerError(f"{owner}: token {int(s.tokens[pos])} at position {pos} is outside the "
                               f"vocabulary [0, {s.vocab_size}).")


def eos_id(vocabulary: Any) -> int:
    """The id of ``<eos>`` in ``vocabulary``, or -1 when there is none (generation then runs for exactly
    ``max_new_tokens``)."""
    if vocabulary is not None and "<eos>" in vocabulary:
        return int(vocabulary.id("<eos>"))
    return -1


def for_model(seqs: "Sequences", vocabulary: Any, vocab_size: int, owner: str) -> "Sequences":
    """``seqs`` as a fitted model reads them: its vocabulary must be the model's (when both have one) and
    its ids below the model's ``vocab_size``; returned with the model's ``vocab_size``.

    Raises
    ------
    VocabularyMismatchError
    """
    if seqs.vocabulary is not None and vocabulary is not None and seqs.vocabulary != vocabulary:
        raise VocabularyMismatchError(
            f"{owner}: the dataset's vocabulary ({len(seqs.vocabulary)} tokens) is not the one the model was "
            f"fitted with ({len(vocabulary)} tokens).")
    if seqs.vocab_size > vocab_size:
        raise VocabularyMismatchError(
            f"{owner}: the dataset has {seqs.vocab_size} token ids; the model knows {vocab_size}.")
    return Sequences(seqs.tokens, seqs.offsets, seqs.kinds, vocab_size, seqs.vocabulary)


def params_json(params: dict) -> dict:
    """Estimator parameters as JSON for a saved model: tuples and arrays (nested) become lists, numpy scalars
    Python numbers, a ``PositionLayout`` its ``to_json()`` dict, and a ``numpy.random.Generator`` ``random_state`` None (a fitted model does not need it)."""

    def conv(v: Any) -> Any:
        if isinstance(v, np.random.Generator):
            return None
        if isinstance(v, PositionLayout):
            return v.to_json()
        if isinstance(v, (tuple, list, np.ndarray)):
            return [conv(x) for x in v]
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.floating):
            return float(v)
        return v

    return {k: conv(v) for k, v in params.items()}
