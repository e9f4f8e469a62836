"""Trace -> tokens (shared machinery): the frozen result types (:class:`Trace`, :class:`TraceBatch`,
:class:`DecodedRun`), the :class:`Encoding` base class with batch encoding (two compiled passes) and the
generic checking decoder."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from ..machine import Machine, Move
from ..simulate import Configuration, RunResult, Status
from . import _kernels, _reference
from .errors import EncodingError, RunLimitError, TraceError
from .vocab import PAD, SPECIAL_TOKENS, Vocabulary

__all__ = [
    "TokenKind", "Trace", "TraceBatch", "DecodedRun", "RunSizes", "Encoding", "DEFAULT_MAX_STEPS",
    "input_cells",
]

#: Default step budget of the encoders. Traces grow linearly with the steps (tableau traces with steps x
#: width), and a CoT dataset wants short runs; raise it explicitly for long ones.
DEFAULT_MAX_STEPS = 10_000

_STATUS_BY_CODE = (Status.HALTED, Status.UNDEFINED, Status.STEP_LIMIT, Status.TAPE_LIMIT)
_STOPPED = (Status.HALTED, Status.UNDEFINED)
_BIG = 1 << 60  # "no window limit" for the counting kernel
_BACKENDS = ("numba", "python")


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
                     _STATUS_BY_CODE[int(self.status[j])], int(self.steps[j]), int(self.input_lengths[j]),
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
        return tuple(_STATUS_BY_CODE[int(s)] for s in self.status)

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


@dataclass(frozen=True)
class _Prompt:
    """What a decoder reads from a trace's prompt: the input and the window."""

    cells: np.ndarray
    length: int
    width: int | None = None
    left: int | None = None


# ---------------------------------------------------------------------------------------------- helpers
def input_cells(machine: Machine, inputs: Sequence, *, name: str = "inputs") -> tuple[np.ndarray, np.ndarray]:
    """Inputs as one ragged array of symbol indices: ``(cells uint8, offsets int64 of shape (n + 1,))``.

    A fast vectorised path handles ``str`` inputs of machines with single-character ASCII symbols; other
    inputs go through :meth:`Machine.encode_input` one by one.

    Raises
    ------
    tmsim.InputError
        Naming the input and the position of the first symbol outside the input alphabet.
    """
    if isinstance(inputs, (str, bytes)):
        raise EncodingError(f"The {name!r} parameter must be a sequence of inputs, not a single string "
                            f"{inputs!r}; wrap it in a list.")
    return machine.encode_inputs(inputs, name=name)


@contextlib.contextmanager
def _threads(n_threads: int | None, owner: str):
    if n_threads is None:
        yield
        return
    import numba

    from ..errors import check_int

    n_threads = check_int("n_threads", n_threads, low=1, high=numba.config.NUMBA_NUM_THREADS, owner=owner)
    old = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _impl(backend: str, owner: str):
    if backend == "numba":
        return _kernels
    if backend == "python":
        return _reference
    raise EncodingError(f"The 'backend' parameter of {owner} must be one of {_BACKENDS!r}. Got {backend!r} instead.")


def _check_int(name: str, value: Any, low: int, owner: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise EncodingError(f"The {name!r} parameter of {owner} must be an integer >= {low}"
                            f"{' or None' if allow_none else ''}. Got {value!r} instead.")
    return int(value)


def _first_mismatch(a: np.ndarray, b: np.ndarray) -> int:
    """Index of the first position where ``a`` and ``b`` differ (a missing token counts), -1 if equal."""
    m = min(len(a), len(b))
    diff = np.flatnonzero(a[:m] != b[:m])
    if diff.size:
        return int(diff[0])
    return -1 if len(a) == len(b) else m


def result_from_cells(machine: Machine, status: Status, steps: int, state: int, head: int,
                      syms: Sequence[int], start: int) -> RunResult:
    """A :class:`tmsim.RunResult` from symbol indices ``syms`` at absolute positions ``start, start+1...``."""
    nz = [i for i, x in enumerate(syms) if x != 0]
    if nz:
        tape = machine.decode_tape(syms[nz[0]:nz[-1] + 1])
        tape_start = start + nz[0]
    else:
        tape, tape_start = (), 0
    return RunResult(status, steps, machine.states[state], head, tape, tape_start, len(nz), machine.format_tape(tape))


@lru_cache(maxsize=256)
def _cached(key: tuple, machine: Machine, what: str):
    enc = key[0]
    return enc._build_vocabulary(machine) if what == "vocab" else enc._build_tables(machine)


# ---------------------------------------------------------------------------------------------- Encoding
@dataclass(frozen=True)
class Encoding:
    """Base class of the encodings of a run as a token sequence (see :func:`get_encoding`).

    Parameters
    ----------
    answer : {"tape", "state"}, default "tape"
        What the answer section holds: the final tape's non-blank span as symbol tokens, or the final
        state token (for accept/reject machines).

    Notes
    -----
    Subclasses are frozen dataclasses: equal parameters give equal (and interchangeable) encodings.
    ``name`` and ``version`` identify the scheme; the version changes whenever the token layout does.
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    answer: str = "tape"

    def __post_init__(self) -> None:
        if self.answer not in ("tape", "state"):
            raise EncodingError(f"The 'answer' parameter of {self.name} must be 'tape' or 'state'. "
                                f"Got {self.answer!r} instead.")

    # ------------------------------------------------------------------ identity
    def params(self) -> dict[str, Any]:
        """All parameters as a dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @property
    def spec(self) -> str:
        """The encoding as text that :func:`get_encoding` reads back, e.g. ``"snapshots(every=4)"``."""
        changed = [f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self)
                   if getattr(self, f.name) != f.default]
        return f"{self.name}({', '.join(changed)})" if changed else self.name

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: name, version and parameters."""
        return {"name": self.name, "version": self.version, "params": self.params()}

    def _vocab_key(self) -> tuple:
        # Width and left never change the vocabulary (or the tables), only the layout.
        return (type(self)(**{k: v for k, v in self.params().items() if k not in ("width", "left")}),)

    # ------------------------------------------------------------------ vocabulary
    def vocabulary(self, machine: Machine) -> Vocabulary:
        """The vocabulary of this encoding for ``machine`` (independent of any input)."""
        self._check_machine(machine, "vocabulary")
        return _cached(self._vocab_key(), machine, "vocab")

    def _tables(self, machine: Machine):
        return _cached(self._vocab_key(), machine, "tables")

    def _build_vocabulary(self, machine: Machine) -> Vocabulary:
        return Vocabulary(SPECIAL_TOKENS + tuple(self._token_names(machine)), self.name)

    def _token_names(self, machine: Machine) -> Sequence[str]:
        raise NotImplementedError

    def _build_tables(self, machine: Machine):
        raise NotImplementedError

    # ------------------------------------------------------------------ encoding
    def encode(self, machine: Machine, input: str | Sequence[str] | None = None, *,
               max_steps: int = DEFAULT_MAX_STEPS, on_timeout: str = "error", backend: str = "numba") -> Trace:
        """Run ``machine`` on ``input`` and encode the whole run.

        Parameters
        ----------
        machine : tmsim.Machine
        input : str or sequence of str, optional
            Over the machine's input alphabet (split like :func:`tmsim.run` does).
        max_steps : int, default DEFAULT_MAX_STEPS
        on_timeout : {"error", "label"}
            What to do with a run that does not stop on its own within ``max_steps`` (or leaves the tableau
            window): raise :class:`RunLimitError`, or encode it up to that point with the status saying so.
        backend : {"numba", "python"}
            The compiled kernels or their plain-Python reference.

        Returns
        -------
        Trace
        """
        owner = f"{self.name}.encode"
        if on_timeout not in ("error", "label"):
            raise EncodingError(f"The 'on_timeout' parameter of {owner} must be 'error' or 'label'. "
                                f"Got {on_timeout!r} instead.")
        self._check_machine(machine, "encode")
        cells, offsets = input_cells(machine, [input], name="input")
        tr = self.encode_cells(machine, cells, offsets, max_steps=max_steps, backend=backend)[0]
        if on_timeout == "error" and not tr.stopped:
            text = machine.format_tape(machine.decode_tape(cells))
            if tr.status is Status.TAPE_LIMIT:
                why = (f"its head would leave the tableau window (width={tr.width}, left={tr.left}) after "
                       f"step {tr.steps}; give a larger 'width' (or 'left')")
            else:
                why = f"it did not stop within max_steps={max_steps} steps; raise 'max_steps'"
            raise RunLimitError(f"{owner}: machine {machine.name!r} on input {text!r}: {why}, or pass "
                                f"on_timeout='label' to encode the run up to that point.")
        return tr

    def encode_batch(self, machine: Machine, inputs: Sequence[str | Sequence[str] | None], *,
                     max_steps: int = DEFAULT_MAX_STEPS, backend: str = "numba",
                     n_threads: int | None = None) -> TraceBatch:
        """Encode the runs of ``machine`` on many inputs at once (compiled, parallel over samples).

        Runs that do not stop on their own are encoded up to the budget (or the window edge); their
        ``status`` says so, for the dataset layer to label or drop them.

        Parameters
        ----------
        machine : tmsim.Machine
        inputs : sequence of (str or sequence of str or None)
        max_steps : int, default DEFAULT_MAX_STEPS
        backend : {"numba", "python"}
        n_threads : int, optional
            Threads for the numba backend (default: all).

        Returns
        -------
        TraceBatch
        """
        self._check_machine(machine, "encode_batch")
        cells, offsets = input_cells(machine, inputs)
        return self.encode_cells(machine, cells, offsets, max_steps=max_steps, backend=backend,
                                 n_threads=n_threads)

    def encode_cells(self, machine: Machine, cells: np.ndarray, offsets: np.ndarray, *,
                     max_steps: int = DEFAULT_MAX_STEPS, backend: str = "numba",
                     n_threads: int | None = None) -> TraceBatch:
        """:meth:`encode_batch` on inputs already given as symbol indices: the fast path for datasets.

        Parameters
        ----------
        cells : ndarray of uint8, shape (total,)
            Input symbol indices of all samples, concatenated (only input symbols allowed).
        offsets : ndarray of int64, shape (n + 1,)
            Sample ``j`` is ``cells[offsets[j]:offsets[j+1]]``.
        """
        owner = f"{self.name}.encode_batch"
        impl = _impl(backend, owner)
        max_steps = _check_int("max_steps", max_steps, 0, owner)
        cells = np.ascontiguousarray(cells, dtype=np.uint8)
        offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(cells) \
                or (np.diff(offsets) < 0).any():
            raise EncodingError(f"{owner}: 'offsets' must be non-decreasing, start at 0 and end at len(cells) = "
                                f"{len(cells)}.")
        with _threads(n_threads if impl is _kernels else None, owner):
            sizes = self._sizes(machine, cells, offsets, max_steps, impl)
            n = len(sizes.status)
            out_offsets = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(sizes.lengths, out=out_offsets[1:])
            # The kernels write every position (the lengths are exact), so no zero-fill is needed.
            tokens = np.empty(int(out_offsets[-1]), dtype=np.int32)
            kinds = np.empty(int(out_offsets[-1]), dtype=np.uint8)
            if n:
                self._emit(machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds)
        return TraceBatch(tokens, kinds, out_offsets, sizes.status, sizes.steps, sizes.input_lengths,
                          sizes.widths, sizes.lefts, self.vocabulary(machine), self)

    def measure(self, machine: Machine, inputs: Sequence, *, max_steps: int = DEFAULT_MAX_STEPS,
                backend: str = "numba") -> RunSizes:
        """The counting pass alone: status, steps, window and exact trace length of every sample, without
        writing a token (to estimate a dataset's size before generating it)."""
        owner = f"{self.name}.measure"
        self._check_machine(machine, "measure")
        cells, offsets = input_cells(machine, inputs)
        return self._sizes(machine, cells, offsets, _check_int("max_steps", max_steps, 0, owner),
                           _impl(backend, owner))

    def _check_machine(self, machine: Machine, what: str) -> None:
        if not isinstance(machine, Machine):
            raise EncodingError(f"The 'machine' parameter of {self.name}.{what} must be a tmsim.Machine. "
                                f"Got {type(machine).__name__}.")

    def _count(self, machine: Machine, impl, cells, offsets, max_steps, lo_lim, hi_lim):
        n = len(offsets) - 1
        out = [np.zeros(n, dtype=np.int8)] + [np.zeros(n, dtype=np.int64) for _ in range(4)]
        if n:
            impl.count_runs(machine.arrays.packed, machine.n_symbols, cells, offsets,
                            machine.state_index[machine.start], max_steps, lo_lim, hi_lim, *out)
        return out  # status, steps, lo, hi, span

    def _sizes(self, machine: Machine, cells, offsets, max_steps: int, impl) -> RunSizes:
        """Counting pass: run every sample (no window) and size its trace."""
        n = len(offsets) - 1
        status, steps, _, _, span = self._count(machine, impl, cells, offsets, max_steps,
                                                np.full(n, -_BIG, dtype=np.int64), np.full(n, _BIG, dtype=np.int64))
        lens = np.diff(offsets)
        ans = np.ones(n, dtype=np.int64) if self.answer == "state" else span
        none = np.full(n, -1, dtype=np.int64)
        return RunSizes(status, steps, lens, ans, none, none.copy(), self._lengths(machine, lens, steps, none, ans))

    def _lengths(self, machine, n, steps, widths, answer_lengths) -> np.ndarray:
        raise NotImplementedError

    def _emit(self, machine, impl, cells, offsets, sizes, out_offsets, tokens, kinds) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ lengths
    def length(self, n: int, steps: int, space: int | None = None, *, answer_len: int | None = None,
               machine: Machine | None = None) -> int:
        """Exact token count of a trace.

        Parameters
        ----------
        n : int
            Input length.
        steps : int
            Steps of the run (T).
        space : int, optional
            Row width W (S) of the tableau encodings (required there, ignored by ``transitions``).
        answer_len : int, optional
            Answer symbols: the final tape's non-blank span length (needed with ``answer="tape"`` by
            the encodings that write the answer compactly: ``transitions``, ``tableau``, ``snapshots``).
        machine : Machine, optional
            Needed by ``gates`` (the gate count per cell depends on the machine).
        """
        owner = f"{self.name}.length"
        n = _check_int("n", n, 0, owner)
        steps = _check_int("steps", steps, 0, owner)
        space = _check_int("space", space, 1, owner, allow_none=True)
        if self.answer == "state":
            answer_len = 1
        elif answer_len is not None:
            answer_len = _check_int("answer_len", answer_len, 0, owner)
        return self._length_one(n, steps, space, answer_len, machine)

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        raise NotImplementedError

    def length_formula(self, machine: Machine | None = None):
        """The trace length as a sympy expression in ``n`` (input length), ``T`` (steps), ``S`` (row width)
        and ``A`` (answer symbols, where it matters; 1 with ``answer="state"``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ decoding
    def decode(self, machine: Machine, tokens: Trace | Sequence[int] | Sequence[str] | np.ndarray) -> DecodedRun:
        """Read a run back from a trace, checking every token against the machine's rules.

        Parameters
        ----------
        machine : tmsim.Machine
        tokens : Trace, int array of token ids, or sequence of token names
            Trailing ``<pad>`` tokens (id 0) are ignored, so rows of a padded batch decode as they are.

        Returns
        -------
        DecodedRun

        Raises
        ------
        TraceError
            Naming the first inconsistent token position, the token the rules require there and the one
            found. The check is exact: the input (and window) is read from the prompt, and the trace must
            equal the encoding of that input's run cut after some number of steps; the cut is only allowed
            where the encoding allows it (after a step, with the answer of that configuration).
        """
        self._check_machine(machine, "decode")
        vocab = self.vocabulary(machine)
        ids = self._as_ids(tokens, vocab)
        nz = np.flatnonzero(ids != PAD)
        ids = ids[:int(nz[-1]) + 1] if nz.size else ids[:0]
        prompt = self._parse_prompt(machine, ids, vocab)
        # The prompt fixes the run; the only freedom is where a trace cut by the step budget ends. Try the
        # step counts the trace's markers suggest; blame the candidate that explains all but the fewest
        # tokens (one corrupted token leaves exactly one mismatch against the true run), preferring a run
        # that stopped on its own over one cut by the budget, then the longest agreeing prefix.
        best: tuple[tuple[int, int], int, Trace] | None = None
        for T in sorted({max(0, int(t)) for t in self._candidate_steps(machine, ids, prompt)}):
            tr = self._reencode(machine, prompt, T)
            p = _first_mismatch(ids, tr.tokens)
            if p < 0:
                return self._decoded(machine, ids, prompt, tr)
            m = min(len(ids), len(tr))
            score = (int(np.count_nonzero(ids[:m] != tr.tokens[:m])) + abs(len(ids) - len(tr)),
                     tr.status is Status.STEP_LIMIT, -p)
            if best is None or score < best[0]:
                best = (score, p, tr)
        assert best is not None
        _, p, tr = best
        name = vocab.tokens
        expected = name[int(tr.tokens[p])] if p < len(tr) else "end of trace"
        found = name[int(ids[p])] if p < len(ids) else "end of trace"
        where = self._describe(p, prompt, len(ids))
        raise TraceError(f"Not a {self.spec} trace of machine {machine.name!r}: token {p} ({where}) must be "
                         f"{expected!r} by the machine's rules, found {found!r}.",
                         position=p, expected=expected, found=found)

    def _as_ids(self, tokens, vocab: Vocabulary) -> np.ndarray:
        if isinstance(tokens, Trace):
            if tokens.vocabulary != vocab:
                raise TraceError(f"The trace was made with another vocabulary ({tokens.encoding.spec}) than "
                                 f"{self.spec} has for this machine.", position=0, expected=self.spec,
                                 found=tokens.encoding.spec)
            return tokens.tokens
        if isinstance(tokens, np.ndarray) and tokens.dtype.kind in "iu":
            ids = tokens.astype(np.int64).reshape(-1)
        else:
            seq = list(tokens)
            if seq and all(isinstance(t, str) for t in seq):
                ids = np.empty(len(seq), dtype=np.int64)
                for i, t in enumerate(seq):
                    if t not in vocab:
                        raise TraceError(f"Token {i} is {t!r}, which is not in the {self.spec} vocabulary of "
                                         f"machine.", position=i, expected="a vocabulary token", found=t)
                    ids[i] = vocab.index[t]
                return ids
            try:
                ids = np.asarray(seq, dtype=np.int64).reshape(-1)
            except (TypeError, ValueError):
                raise TraceError("Tokens must be a Trace, an integer array of ids or a sequence of names.",
                                 position=0, expected="token ids or names", found=type(tokens).__name__) from None
        bad = np.flatnonzero((ids < 0) | (ids >= len(vocab)))
        if bad.size:
            i = int(bad[0])
            raise TraceError(f"Token {i} has id {int(ids[i])}, outside the {self.spec} vocabulary (ids 0.."
                             f"{len(vocab) - 1}).", position=i, expected="a vocabulary id", found=str(int(ids[i])))
        return ids

    def _reencode(self, machine: Machine, prompt: _Prompt, steps: int) -> Trace:
        enc = self
        if prompt.width is not None:
            enc = dataclasses.replace(self, width=prompt.width, left=prompt.left)
        return enc.encode_cells(machine, prompt.cells, np.array([0, len(prompt.cells)], dtype=np.int64),
                                max_steps=steps)[0]

    def _parse_prompt(self, machine: Machine, ids: np.ndarray, vocab: Vocabulary) -> _Prompt:
        raise NotImplementedError

    def _candidate_steps(self, machine: Machine, ids: np.ndarray, prompt: _Prompt) -> list[int]:
        raise NotImplementedError

    def _decoded(self, machine: Machine, ids: np.ndarray, prompt: _Prompt, trace: Trace) -> DecodedRun:
        raise NotImplementedError

    def _describe(self, position: int, prompt: _Prompt, length: int) -> str:
        return "prompt" if position < prompt.length else "after the prompt"

    # ------------------------------------------------------------------ shared decoding helpers
    def _answer_of(self, machine: Machine, result: RunResult) -> tuple[str, ...]:
        return (result.state,) if self.answer == "state" else result.tape

    @staticmethod
    def _trace_error(msg: str, position: int, expected: str, found: str) -> TraceError:
        return TraceError(msg, position=position, expected=expected, found=found)

    def _input_from_row(self, machine: Machine, syms: list[int], heads: list[tuple[int, int]], col0: int,
                        pos_of_col, prompt_len: int) -> tuple[np.ndarray, int]:
        """Read the input and the left margin from the cells of a windowed prompt row.

        ``syms[c]`` is the symbol of column ``c`` (from column ``col0`` on), ``heads`` the (column, state)
        of every head cell; ``pos_of_col(c)`` the token position of column ``c`` (for error messages).
        """
        start = machine.state_index[machine.start]
        if len(heads) != 1:
            p = pos_of_col(heads[1][0]) if len(heads) > 1 else prompt_len - 1
            raise self._trace_error(f"The prompt row must hold exactly one head cell; found {len(heads)}.",
                                    p, "one head cell", f"{len(heads)} head cells")
        col, state = heads[0]
        if state != start:
            raise self._trace_error(f"The prompt's head must be in the start state {machine.start!r}; found "
                                    f"{machine.states[state]!r}.", pos_of_col(col), f"start state {machine.start!r}",
                                    machine.states[state])
        for c in range(col0, col):
            if syms[c] != 0:
                raise self._trace_error("The prompt row must be blank left of the head (input position 0).",
                                        pos_of_col(c), f"blank {machine.blank!r}", machine.symbols[syms[c]])
        nz = [c for c in range(col, len(syms)) if syms[c] != 0]
        last = nz[-1] if nz else col - 1
        allowed = {machine.symbol_index[s] for s in machine.input_symbols}
        for c in range(col, last + 1):
            if syms[c] not in allowed:
                raise self._trace_error("The input in the prompt row must be input symbols from the head on, "
                                        "with nothing after it.", pos_of_col(c), "an input symbol",
                                        machine.symbols[syms[c]])
        return np.array(syms[col:last + 1], dtype=np.uint8), col


# ---------------------------------------------------------------------------------------------- windowed
@dataclass(frozen=True)
class WindowedEncoding(Encoding):
    """Base of the encodings that write configurations as rows of a fixed-width window.

    Parameters
    ----------
    width : int, optional
        Row width W in cells (boundary cells included). Default: chosen per run, the visited span plus one
        margin cell on each side. Fix it to give short and long inputs one layout.
    left : int, optional
        Cells of the row left of input position 0 (so input position p is column ``p + left``). Default:
        chosen per run, the cells the run visits left of position 0 plus the margin.
    """

    width: int | None = None
    left: int | None = None
    #: Boundary columns on each side that the head may never enter (1 for the local encodings).
    _boundary: ClassVar[int] = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        b = self._boundary
        _check_int("width", self.width, 1 + 2 * b, self.name, allow_none=True)
        _check_int("left", self.left, b, self.name, allow_none=True)
        if self.width is not None and self.left is not None and self.left > self.width - 1 - b:
            raise EncodingError(f"The 'left' parameter of {self.name} must leave input position 0 inside the "
                                f"row (left <= width - {1 + b} = {self.width - 1 - b}). Got left={self.left}.")

    def _sizes(self, machine: Machine, cells, offsets, max_steps: int, impl) -> RunSizes:
        """Counting pass with windows: choose width/left per sample (unless given), confine the head to the
        window's columns ``[b, W-1-b]`` and size every trace."""
        n = len(offsets) - 1
        lens = np.diff(offsets)
        nn = np.maximum(lens, 1)
        b = self._boundary
        lo_free = np.full(n, -_BIG, dtype=np.int64)
        hi_free = np.full(n, _BIG, dtype=np.int64)
        if self.width is None:
            if self.left is None:
                status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, lo_free, hi_free)
                lefts = 1 - lo
            else:
                lefts = np.full(n, self.left, dtype=np.int64)
                status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, b - lefts,
                                                          hi_free)
            widths = lefts + hi + 2
        else:
            W = self.width
            if self.left is None:
                _, _, lo0, _, _ = self._count(machine, impl, cells, offsets, max_steps, lo_free, hi_free)
                lefts = np.minimum(1 - lo0, W - b - nn)
            else:
                lefts = np.full(n, self.left, dtype=np.int64)
            bad = np.flatnonzero((lefts < b) | (lefts + nn > W - b))
            if bad.size:
                j = int(bad[0])
                left = int(lefts[j]) if self.left is not None else b
                which = f"inputs[{j}]" if n > 1 else "the input"
                raise EncodingError(
                    f"The 'width' parameter of {self.spec} is too small for the input: {which} has "
                    f"{int(lens[j])} symbols, which need width >= {left + int(nn[j]) + b} (left={left}"
                    f"{', plus a boundary cell' if b else ''}). Got width={W}.")
            widths = np.full(n, W, dtype=np.int64)
            status, steps, lo, hi, span = self._count(machine, impl, cells, offsets, max_steps, b - lefts,
                                                      W - 1 - b - lefts)
        ans = np.ones(n, dtype=np.int64) if self.answer == "state" else span
        return RunSizes(status, steps, lens, ans, widths, lefts,
                        self._lengths(machine, lens, steps, widths, ans))

    def _length_one(self, n, steps, space, answer_len, machine) -> int:
        if space is None:
            raise EncodingError(f"{self.name}.length needs the row width: pass space=W.")
        return int(self._lengths(machine, np.array([n]), np.array([steps]), np.array([space]),
                                 np.array([-1 if answer_len is None else answer_len]))[0])

    def _rows_from_cells(self, machine: Machine, rows: list[list[tuple[int, int]]], prompt: _Prompt,
                         trace: Trace, config_steps: list[int], with_transitions: bool) -> DecodedRun:
        """Build a :class:`DecodedRun` from rows of (symbol, state or -1) per column (boundary columns
        dropped by the caller)."""
        b = self._boundary
        left = prompt.left
        configs = []
        for row in rows:
            syms, head, state = [], 0, 0
            for c, (x, q) in enumerate(row):
                syms.append(x)
                if q >= 0:
                    head, state = c, q
            configs.append(Configuration(machine.states[state], machine.decode_tape(syms), b - left, head + b - left))
        last = configs[-1]
        syms_last = [machine.symbol_index[s] for s in last.tape]
        result = result_from_cells(machine, trace.status, trace.steps, machine.state_index[last.state], last.head,
                                   syms_last, last.tape_start)
        transitions = None
        if with_transitions:
            transitions = tuple(
                (c0.state, c0.symbol_at(c0.head, machine.blank), c1.symbol_at(c0.head, machine.blank),
                 Move(c1.head - c0.head), c1.state) for c0, c1 in zip(configs, configs[1:]))
        return DecodedRun(machine.decode_tape(prompt.cells), tuple(configs), tuple(config_steps), transitions,
                          result, self._answer_of(machine, result), prompt.width, prompt.left)
