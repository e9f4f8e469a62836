"""Tokens -> dataset (the type): :class:`Dataset`, a frozen ragged array of encoded runs with a loss mask,
the vocabulary and per-sample provenance; :class:`Sample`, the view of one sample; :func:`concat`.

Layout (``n`` samples, ``N`` tokens): sample ``j`` is ``tokens[offsets[j]:offsets[j+1]]``.

==================  ==============  ==========  ==========================================================
attribute           dtype           shape       meaning
==================  ==============  ==========  ==========================================================
``tokens``          int32           (N,)        token ids in :attr:`Dataset.vocabulary`
``kinds``           uint8           (N,)        0 prompt, 1 CoT, 2 answer (:class:`TokenKind`): the loss
                                                mask is ``kinds > 0``
``offsets``         int64           (n + 1,)
``input_text``      uint8           (B,)        UTF-8 of every input, concatenated
``input_offsets``   int64           (n + 1,)
``status``          int8            (n,)        0 halted, 1 undefined, 2 step_limit, 3 tape_limit
``steps``           int64           (n,)        steps of the run (the halting transition counts)
``index``           int64           (n,)        position of the input in the sampler's stream
``width``/``left``  int64           (n,)        tableau row width and left margin (-1: no tableau)
``source``          int32           (n,)        index into :attr:`Dataset.sources` (:class:`Provenance`)
==================  ==============  ==========  ==========================================================

Everything that is the same for a whole generation (machine, encoding and its version, toolkit version,
seed, sampler, split, step budget) is one :class:`Provenance`; a sample's provenance is
``sources[source[j]]``, so :func:`concat` keeps it exact across datasets of different origins. The samples
of a task generator (:mod:`tmsim.datasets.tasks`: arithmetic and parity CoTs) have a provenance without a
machine (:attr:`Provenance.kind` ``"task"``), and the same arrays: ``status`` 0 (every sequence is
complete), ``steps`` the CoT and answer tokens, ``width`` the task's register width (-1: none).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator, Sequence

import numpy as np

from ..encodings import Encoding, PositionLayout, Trace, Vocabulary, get_encoding
from ..encodings.types import TokenView
from ..machine import Machine
from ..simulate import Status
from .errors import DatasetError
from .provenance import Provenance, parse_machine_text

__all__ = ["Dataset", "Sample", "concat", "STATUS_NAMES"]

#: Status names by code (the order of :attr:`tmsim.encodings.TraceBatch.status`).
STATUS_NAMES = ("halted", "undefined", "step_limit", "tape_limit")
_STATUS = tuple(Status(s) for s in STATUS_NAMES)
_ARRAYS = {  # name -> (dtype, per token (True) or per sample (False))
    "tokens": (np.int32, "token"), "kinds": (np.uint8, "token"), "offsets": (np.int64, "offset"),
    "input_text": (np.uint8, "text"), "input_offsets": (np.int64, "offset"),
    "status": (np.int8, "sample"), "steps": (np.int64, "sample"), "index": (np.int64, "sample"),
    "width": (np.int64, "sample"), "left": (np.int64, "sample"), "source": (np.int32, "sample"),
}


# ---------------------------------------------------------------------------------------------- sample
@dataclass(frozen=True, eq=False)
class Sample(TokenView):
    """One sample of a :class:`Dataset` (views into its arrays, no copy).

    Attributes
    ----------
    tokens : ndarray of int32, shape (length,)
    kinds : ndarray of uint8, shape (length,)
    input : str
    status : tmsim.Status
    steps, index : int
    width, left : int or None
    provenance : Provenance
    vocabulary : Vocabulary
    """

    tokens: np.ndarray
    kinds: np.ndarray
    input: str
    status: Status
    steps: int
    index: int
    width: int | None
    left: int | None
    provenance: Provenance
    vocabulary: Vocabulary

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def stopped(self) -> bool:
        """True when the run stopped on its own (``halted`` or ``undefined``)."""
        return self.status in (Status.HALTED, Status.UNDEFINED)

    @property
    def loss_mask(self) -> np.ndarray:
        """Boolean, shape (length,): the tokens a learner is trained to predict (CoT and answer)."""
        return self.kinds > 0

    def to_trace(self) -> Trace:
        """The sample as a :class:`tmsim.encodings.Trace` (equal to ``encoding.encode(machine, input)``)."""
        machine = self.provenance.parse_machine()
        n = len(machine.encode_input(self.input))
        return Trace(self.tokens, self.kinds, self.vocabulary, self.provenance.parse_encoding(), self.status,
                     self.steps, n, self.width, self.left)

    def __repr__(self) -> str:
        return (f"Sample(input={self.input!r}, {len(self)} tokens, status={self.status.value}, "
                f"steps={self.steps})")


# ---------------------------------------------------------------------------------------------- dataset
def _offsets_of(lengths: np.ndarray) -> np.ndarray:
    off = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=off[1:])
    return off


def _ragged_take(values: np.ndarray, offsets: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``idx`` of a ragged array, as a new ragged array (vectorised gather)."""
    lens = offsets[idx + 1] - offsets[idx]
    new = _offsets_of(lens)
    pos = np.arange(int(new[-1]), dtype=np.int64) + np.repeat(offsets[idx] - new[:-1], lens)
    return values[pos], new


@dataclass(frozen=True, eq=False)
class Dataset:
    """Encoded runs as one frozen ragged array, with the vocabulary and per-sample provenance.

    See the module docstring for the arrays. Build one with :func:`tmsim.datasets.make_dataset`, read one
    with :func:`tmsim.datasets.load_dataset`; the constructor checks shapes and dtypes, makes the arrays
    read-only and puts :attr:`sources` in order of first use.

    Parameters
    ----------
    tokens, kinds, offsets, input_text, input_offsets, status, steps, index, width, left, source : ndarray
    vocabulary : Vocabulary
    sources : tuple of Provenance
    dropped : int, default 0
        Samples left out because their run did not stop (``on_timeout="drop"``); kept for the record.

    Examples
    --------
    >>> from tmsim import zoo
    >>> from tmsim.datasets import make_dataset
    >>> ds = make_dataset(zoo.get("binary-increment"), "transitions", n=4, lengths=(1, 3), random_state=0)
    >>> len(ds), ds.lengths.tolist(), ds.inputs
    (4, [44, 32, 32, 26], ('011', '01', '01', '1'))
    >>> s = ds[3]
    >>> s.text()
    's:1 <sep> q:right r:1 w:1 m:R n:right q:right r:_ w:_ m:L n:carry q:carry r:1 w:0 m:L n:carry q:carry r:_ w:1 m:S n:done <ans> s:1 s:0 <eos>'
    >>> s.kinds.tolist() == [0, 0] + [1] * 20 + [2] * 4, s.status.value, s.provenance.seed
    (True, 'halted', 0)
    """

    tokens: np.ndarray
    kinds: np.ndarray
    offsets: np.ndarray
    input_text: np.ndarray
    input_offsets: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    index: np.ndarray
    width: np.ndarray
    left: np.ndarray
    source: np.ndarray
    vocabulary: Vocabulary
    sources: tuple[Provenance, ...]
    dropped: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.vocabulary, Vocabulary):
            raise DatasetError(f"Dataset.vocabulary must be a Vocabulary. Got {type(self.vocabulary).__name__}.")
        arrays = {}
        for name, (dtype, _) in _ARRAYS.items():
            a = np.asarray(getattr(self, name))
            if a.ndim != 1:
                raise DatasetError(f"Dataset.{name} must be one-dimensional. Got shape {a.shape}.")
            if a.dtype != dtype:
                if a.size and not np.can_cast(a.dtype, dtype, casting="same_kind"):
                    raise DatasetError(f"Dataset.{name} must be {np.dtype(dtype).name}. Got {a.dtype}.")
                a = a.astype(dtype)
            arrays[name] = a
        n = len(arrays["offsets"]) - 1
        if n < 0:
            raise DatasetError("Dataset.offsets must have n + 1 >= 1 entries.")
        for name, (_, per) in _ARRAYS.items():
            if per == "sample" and len(arrays[name]) != n:
                raise DatasetError(f"Dataset.{name} must have one entry per sample ({n}). Got {len(arrays[name])}.")
        for off, vals in (("offsets", "tokens"), ("input_offsets", "input_text")):
            o = arrays[off]
            if len(o) != n + 1 or o[0] != 0 or o[-1] != len(arrays[vals]) or (n and (np.diff(o) < 0).any()):
                raise DatasetError(f"Dataset.{off} must be non-decreasing, of length n + 1 = {n + 1}, from 0 to "
                                   f"len({vals}) = {len(arrays[vals])}.")
        if len(arrays["kinds"]) != len(arrays["tokens"]):
            raise DatasetError(f"Dataset.kinds must have one entry per token ({len(arrays['tokens'])}). "
                               f"Got {len(arrays['kinds'])}.")
        toks = arrays["tokens"]
        if toks.size and (int(toks.min()) < 0 or int(toks.max()) >= len(self.vocabulary)):
            raise DatasetError(f"Dataset.tokens must be ids in [0, {len(self.vocabulary) - 1}] (the vocabulary).")
        if arrays["kinds"].size and int(arrays["kinds"].max()) > 2:
            raise DatasetError("Dataset.kinds must be 0 (prompt), 1 (CoT) or 2 (answer).")
        st = arrays["status"]
        if st.size and (int(st.min()) < 0 or int(st.max()) >= len(STATUS_NAMES)):
            raise DatasetError(f"Dataset.status must be codes 0..{len(STATUS_NAMES) - 1} ({STATUS_NAMES!r}).")
        sources = tuple(self.sources)
        if not all(isinstance(s, Provenance) for s in sources):
            raise DatasetError("Dataset.sources must be Provenance records.")
        src = arrays["source"]
        if src.size and (int(src.min()) < 0 or int(src.max()) >= len(sources)):
            raise DatasetError(f"Dataset.source must index Dataset.sources (0..{len(sources) - 1}).")
        # Canonical form: sources in order of first use, unused ones gone (so equal data compares equal
        # however it was assembled, and a file round trip is exact).
        if n and not (len(sources) == 1 and not src.any()):
            used, first = np.unique(src, return_index=True)
            order = used[np.argsort(first)]
            if len(order) != len(sources) or (order != np.arange(len(order))).any():
                remap = np.full(len(sources), -1, dtype=np.int32)
                remap[order] = np.arange(len(order), dtype=np.int32)
                arrays["source"] = remap[src]
                sources = tuple(sources[i] for i in order)
        elif n == 0:
            sources = ()
        for name, a in arrays.items():
            if a.flags.writeable:
                a = a.view()
                a.flags.writeable = False
            set_(self, name, a)
        set_(self, "sources", sources)
        d = self.dropped
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
            raise DatasetError(f"Dataset.dropped must be an integer >= 0. Got {d!r}.")
        set_(self, "dropped", int(d))

    # ------------------------------------------------------------------ sizes
    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1

    @property
    def shape(self) -> tuple[int]:
        """``(n,)``: the samples (each a ragged row of tokens). Declared so that array-style indexing code
        (scikit-learn's ``_safe_indexing``, which then calls ``ds[indices, ...]``) keeps a Dataset a Dataset,
        loss mask and provenance included, instead of turning it into a list of :class:`Sample`."""
        return (len(self),)

    @property
    def n_tokens(self) -> int:
        """Total tokens."""
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        """Tokens per sample: int64, shape (n,)."""
        return np.diff(self.offsets)

    @property
    def loss_mask(self) -> np.ndarray:
        """Boolean, shape (N,): the tokens a learner predicts (CoT and answer; the prompt is given)."""
        return self.kinds > 0

    # ------------------------------------------------------------------ provenance
    @cached_property
    def inputs(self) -> tuple[str, ...]:
        """Every input as text."""
        raw = self.input_text.tobytes()
        o = self.input_offsets.tolist()
        return tuple(raw[a:b].decode("utf-8") for a, b in zip(o[:-1], o[1:]))

    def input(self, j: int) -> str:
        """The input of sample ``j``."""
        j = self._check_index(j)
        a, b = int(self.input_offsets[j]), int(self.input_offsets[j + 1])
        return self.input_text[a:b].tobytes().decode("utf-8")

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(_STATUS[int(s)] for s in self.status)

    @property
    def stopped(self) -> np.ndarray:
        """Boolean, shape (n,): the runs that stopped on their own (halted or undefined)."""
        return self.status <= 1

    def provenance(self, j: int) -> Provenance:
        return self.sources[int(self.source[self._check_index(j)])]

    def _single(self, attr: str):
        vals = {getattr(s, attr) for s in self.sources}
        return vals.pop() if len(vals) == 1 else None

    @property
    def split(self) -> str | None:
        """The split name shared by every sample (None when there is none, or the samples disagree)."""
        return self._single("split")

    @property
    def encoding(self) -> Encoding | None:
        """The encoding shared by every sample (None when they disagree, the dataset is empty or its samples
        come from a task: see :attr:`generator`)."""
        spec = self._single("encoding")
        return None if spec is None or self._single("kind") != "machine" else get_encoding(spec)

    @property
    def machine(self) -> Machine | None:
        """The machine shared by every sample (None when they disagree, the dataset is empty or its samples
        come from a task)."""
        srcs = {(s.machine_format, s.machine, s.machine_name) for s in self.sources}
        if len(srcs) != 1:
            return None
        fmt, text, name = srcs.pop()
        return None if text is None else parse_machine_text(fmt, text, name)

    @property
    def generator(self) -> str | None:
        """The spec of the task shared by every sample (None for a machine's runs, or when they disagree)."""
        return self._single("generator")

    @cached_property
    def layout(self) -> PositionLayout | None:
        """The :class:`~tmsim.encodings.PositionLayout` every sample shares, from what the dataset records:
        a task's ``layout()`` (the task read back from its spec), or the encoding's
        ``layout(machine, width=W)`` at the samples' common row width W. None when there is no one layout:
        an empty dataset, samples of different encodings, machines or tasks, or runs of a tableau-style
        encoding without a fixed width whose widths differ.

        Examples
        --------
        >>> from tmsim import zoo
        >>> from tmsim.datasets import make_dataset
        >>> ds = make_dataset(zoo.get("parity"), "tableau-triples", n=3, lengths=(1, 4), width=8, random_state=0)
        >>> ds.layout == ds.encoding.layout(width=8), ds.layout.period
        (True, 18)
        """
        keys = {(s.kind, s.encoding, s.machine_format, s.machine, s.machine_name) for s in self.sources}
        if len(keys) != 1:
            return None
        kind, spec, _, _, _ = keys.pop()
        if kind == "task":
            from .tasks import task_from_spec  # tasks build Datasets: a cycle, resolved at call time

            return task_from_spec(spec).layout()
        enc = get_encoding(spec)
        widths = set(self.width.tolist())
        width = widths.pop() if len(widths) == 1 else None
        if width is not None and width < 0:
            width = None
        if "width" in enc.params() and enc.width is None and width is None:
            return None  # every run chose its own row width: no period fits every sample
        return enc.layout(self.machine, width=None if enc.params().get("width") is not None else width)

    # ------------------------------------------------------------------ access
    def _check_index(self, j: object) -> int:
        n = len(self)
        if isinstance(j, (bool, np.bool_)) or not isinstance(j, (int, np.integer)) or not -n <= j < n:
            raise IndexError(f"Dataset index must be an integer in [{-n}, {n - 1}]. Got {j!r}.")
        return int(j) % n

    def __getitem__(self, key: Any) -> "Sample | Dataset":
        """``ds[j]`` is a :class:`Sample`; ``ds[a:b]``, ``ds[int array or list]`` or ``ds[bool mask]`` a Dataset.
        ``ds[key, ...]`` is ``ds[key]`` (the form array-indexing code such as scikit-learn's uses)."""
        if isinstance(key, tuple) and len(key) == 2 and key[1] is Ellipsis:
            key = key[0]
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            j = self._check_index(key)
            a, b = int(self.offsets[j]), int(self.offsets[j + 1])
            w = int(self.width[j])
            return Sample(self.tokens[a:b], self.kinds[a:b], self.input(j), _STATUS[int(self.status[j])],
                          int(self.steps[j]), int(self.index[j]), None if w < 0 else w,
                          None if w < 0 else int(self.left[j]), self.sources[int(self.source[j])], self.vocabulary)
        return self.select(key)

    def __iter__(self) -> Iterator[Sample]:
        return (self[j] for j in range(len(self)))

    def select(self, key: Any) -> "Dataset":
        """The samples ``key`` picks (a slice, an integer array or a boolean mask of shape (n,)), in order."""
        n = len(self)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step == 1:
                stop = max(start, stop)
                t0, t1 = int(self.offsets[start]), int(self.offsets[stop])
                i0, i1 = int(self.input_offsets[start]), int(self.input_offsets[stop])
                per = {k: getattr(self, k)[start:stop] for k, (_, p) in _ARRAYS.items() if p == "sample"}
                return Dataset(self.tokens[t0:t1], self.kinds[t0:t1], self.offsets[start:stop + 1] - t0,
                               self.input_text[i0:i1], self.input_offsets[start:stop + 1] - i0,
                               vocabulary=self.vocabulary, sources=self.sources, dropped=self.dropped, **per)
            idx = np.arange(start, stop, step, dtype=np.int64)
        else:
            arr = np.asarray(key)
            if arr.size == 0 and arr.ndim == 1:
                arr = arr.astype(np.int64)  # [] (float64 to numpy): no samples
            if arr.dtype == bool:
                if arr.shape != (n,):
                    raise IndexError(f"A boolean mask must have shape ({n},). Got {arr.shape}.")
                idx = np.flatnonzero(arr)
            elif arr.dtype.kind in "iu" and arr.ndim == 1:
                idx = arr.astype(np.int64)
                if idx.size and (idx.min() < -n or idx.max() >= n):
                    raise IndexError(f"Dataset indices must be in [{-n}, {n - 1}].")
                idx = idx % max(n, 1)
            else:
                raise IndexError(f"Dataset index must be an int, a slice, an integer array or a boolean mask. "
                                 f"Got {key!r}.")
        toks, off = _ragged_take(self.tokens, self.offsets, idx)
        kinds, _ = _ragged_take(self.kinds, self.offsets, idx)
        text, toff = _ragged_take(self.input_text, self.input_offsets, idx)
        per = {k: getattr(self, k)[idx] for k, (_, p) in _ARRAYS.items() if p == "sample"}
        return Dataset(toks, kinds, off, text, toff, vocabulary=self.vocabulary, sources=self.sources,
                       dropped=self.dropped, **per)

    def concat(self, *others: "Dataset") -> "Dataset":
        """This dataset followed by ``others`` (see :func:`concat`)."""
        return concat([self, *others])

    # ------------------------------------------------------------------ comparison, display
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self.vocabulary == other.vocabulary and self.sources == other.sources
                and self.dropped == other.dropped
                and all(np.array_equal(getattr(self, k), getattr(other, k)) for k in _ARRAYS))

    __hash__ = None  # arrays inside

    def __repr__(self) -> str:
        enc = self._single("encoding")
        split = self.split
        parts = [enc if enc is not None else f"{len({s.encoding for s in self.sources})} encodings",
                 f"{len(self):,} samples", f"{self.n_tokens:,} tokens"]
        if split is not None:
            parts.append(f"split={split!r}")
        if self.dropped:
            parts.append(f"dropped={self.dropped:,}")
        return f"Dataset({', '.join(parts)})"


def concat(datasets: Sequence[Dataset]) -> Dataset:
    """The samples of ``datasets``, in order, as one dataset (provenance merged, ``dropped`` summed).

    Raises
    ------
    DatasetError
        No dataset given, or datasets with different vocabularies (their token ids mean different things).

    Examples
    --------
    >>> from tmsim import zoo
    >>> from tmsim.datasets import make_dataset
    >>> a = make_dataset(zoo.get("parity"), "transitions", n=3, lengths=(1, 4), random_state=0)
    >>> b = make_dataset(zoo.get("parity"), "transitions", n=2, lengths=(5, 8), random_state=1)
    >>> ab = concat([a, b])
    >>> len(ab), ab.n_tokens == a.n_tokens + b.n_tokens, [s.seed for s in ab.sources], ab[4].input == b[1].input
    (5, True, [0, 1], True)
    """
    datasets = list(datasets)
    if not datasets:
        raise DatasetError("concat needs at least one dataset.")
    for j, d in enumerate(datasets):
        if not isinstance(d, Dataset):
            raise DatasetError(f"concat: item {j} must be a Dataset. Got {type(d).__name__}.")
    vocab = datasets[0].vocabulary
    for j, d in enumerate(datasets[1:], 1):
        if d.vocabulary != vocab:
            raise DatasetError(f"concat: dataset {j} has another vocabulary ({len(d.vocabulary)} tokens) than "
                               f"dataset 0 ({len(vocab)} tokens); token ids would mean different things.")
    if len(datasets) == 1:
        return datasets[0]
    sources: list[Provenance] = []
    where: dict[Provenance, int] = {}
    codes = []
    for d in datasets:
        remap = np.empty(len(d.sources), dtype=np.int32)
        for i, s in enumerate(d.sources):
            if s not in where:
                where[s] = len(sources)
                sources.append(s)
            remap[i] = where[s]
        codes.append(remap[d.source] if len(d) else np.zeros(0, np.int32))

    def cat(name):
        return np.concatenate([getattr(d, name) for d in datasets])

    def cat_offsets(name):
        parts = [np.zeros(1, np.int64)]
        base = 0
        for d in datasets:
            o = getattr(d, name)
            parts.append(o[1:] + base)
            base += int(o[-1])
        return np.concatenate(parts)

    return Dataset(cat("tokens"), cat("kinds"), cat_offsets("offsets"), cat("input_text"),
                   cat_offsets("input_offsets"), cat("status"), cat("steps"), cat("index"), cat("width"),
                   cat("left"), np.concatenate(codes), vocab, tuple(sources),
                   sum(d.dropped for d in datasets))
