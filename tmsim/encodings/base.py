"""Trace -> tokens (the base class): :class:`Encoding` — identity and spec, the vocabulary, batch encoding
in two compiled passes (count, then emit), exact lengths and the generic checking decoder that every
scheme shares. The result types live in :mod:`~tmsim.encodings.types`, the row-window machinery of the
tableau-style schemes in :mod:`~tmsim.encodings.windowed`."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Sequence

import numba
import numpy as np

from .. import interrupts
from .._validate import check_at_least, check_choice, check_int
from ..machine import Machine
from ..simulate import RunResult, Status
from . import _kernels, _reference
from ._passes import COUNT_CHUNK_STEPS, EMIT_CHUNK_TOKENS, call_budget, count_in_rounds, groups
from .errors import EncodingError, RunLimitError, TraceError
from .layout import PositionLayout
from .types import DecodedRun, RunSizes, Trace, TraceBatch
from .vocab import PAD, SPECIAL_TOKENS, Vocabulary

__all__ = ["Encoding", "DEFAULT_MAX_STEPS", "input_cells", "result_from_cells", "COUNT_CHUNK_STEPS",
           "EMIT_CHUNK_TOKENS"]

#: Default step budget of the encoders. Traces grow linearly with the steps (tableau traces with steps x
#: width), and a CoT dataset wants short runs; raise it explicitly for long ones.
DEFAULT_MAX_STEPS = 10_000

_BIG = 1 << 60  # "no window limit" for the counting kernel
_BACKENDS = ("numba", "python")


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
    n_threads = check_int("n_threads", n_threads, low=1, high=numba.config.NUMBA_NUM_THREADS, owner=owner)
    old = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _impl(backend: str, owner: str):
    if check_choice("backend", backend, _BACKENDS, owner, error=EncodingError) == "numba":
        return _kernels
    return _reference


#: ``_check_int(name, value, low, owner, *, allow_none=False)``: an integer >= low, else an EncodingError.
_check_int = functools.partial(check_at_least, error=EncodingError)


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
                # In groups of samples (absolute offsets: every kernel indexes the shared buffers through
                # the offsets it is given), with a check for a signal between two calls.
                cost = sizes.lengths + sizes.steps + 1
                with interrupts.deferred():
                    for k, (a, b) in enumerate(groups(cost, call_budget(EMIT_CHUNK_TOKENS, impl))):
                        if k:
                            interrupts.checkpoint()
                        part = RunSizes(*(getattr(sizes, f.name)[a:b] for f in dataclasses.fields(RunSizes)))
                        self._emit(machine, impl, cells, offsets[a:b + 1], part, out_offsets[a:b + 1], tokens,
                                   kinds)
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
            count_in_rounds(machine, impl, cells, offsets, max_steps, lo_lim, hi_lim, out)
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

    # ------------------------------------------------------------------ layout
    def layout(self, machine: Machine | None = None, *, width: int | None = None) -> PositionLayout:
        """The :class:`~tmsim.encodings.PositionLayout` of this encoding's traces: the row period, the class
        of every position (counted from the sequence start, the prompt included) and, for the encodings
        with a local rule, the offsets each class is declared to read.

        Parameters
        ----------
        machine : Machine, optional
            Needed where the layout depends on the machine (``gates``: its gates per cell).
        width : int, optional
            Row width of the tableau-style encodings (default: the encoding's ``width``).
        """
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
