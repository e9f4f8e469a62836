"""Machine -> run: simulate a machine on an input (numba kernel or the plain-Python reference), one run or
a batch of many (machine, input) jobs in one compiled call."""

from __future__ import annotations

import contextlib
import enum
import os
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from . import _reference, interrupts
from ._validate import check_choice, check_int
from .errors import InputError, ParameterError
from .machine import Machine

__all__ = [
    "Status",
    "Configuration",
    "RunResult",
    "BatchResult",
    "run",
    "run_batch",
    "prepare_batch",
    "BatchJobs",
    "configurations",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_MAX_TAPE",
]

#: Default step budget of :func:`run`: enough for the BB(5) champion (47,176,870 steps), about a second
#: of compiled simulation for a machine that never halts.
DEFAULT_MAX_STEPS = 100_000_000
#: Default limit on the visited span of the tape, in cells (16 MiB of tape buffer at most).
DEFAULT_MAX_TAPE = 1 << 24

_BACKENDS = ("numba", "python")

#: Largest step budget or tape limit (the kernels count in int64; 2**62 leaves room for their arithmetic).
MAX_BUDGET = 1 << 62
#: Steps per kernel call of :func:`run` by backend: a long run is a sequence of calls, with a check for
#: Ctrl-C / SIGTERM between two (:mod:`tmsim.interrupts`), so it answers within a fraction of a second.
#: benchmarks/bench_sim.py measures what a chunk boundary costs.
RUN_CHUNK_STEPS = {"numba": 1 << 24, "python": 1 << 14}
#: Steps (summed over the jobs) per kernel call of :func:`run_batch`, the batch's chunk; a job gets at least
#: BATCH_MIN_STEPS of them per call.
BATCH_CHUNK_STEPS = {"numba": 1 << 26, "python": 1 << 15}
BATCH_MIN_STEPS = 1 << 12
#: A batch of at most SERIAL_BATCH_STEPS // BATCH_MIN_STEPS (256) jobs, run with the default threads, first
#: gets SERIAL_BATCH_STEPS steps in all on one thread: starting numba's threads costs about as much as that
#: many steps, so small batches (one job: 0.06 ms instead of 19 ms) never pay for threads they cannot use, and
#: the jobs still running after it continue in parallel (benchmarks/bench_sim.py, "batch of one").
SERIAL_BATCH_STEPS = 1 << 20


class Status(str, enum.Enum):
    """How a run ended."""

    #: Entered a halting state (the halting transition is counted as a step).
    HALTED = "halted"
    #: Reached a (state, symbol) pair with no rule; that lookup is not a step.
    UNDEFINED = "undefined"
    #: Used the whole step budget without halting.
    STEP_LIMIT = "step_limit"
    #: The next step would have made the visited span of the tape longer than ``max_tape``; it was not
    #: executed.
    TAPE_LIMIT = "tape_limit"

    def __str__(self) -> str:
        return self.value


_STATUS_BY_CODE = (Status.HALTED, Status.UNDEFINED, Status.STEP_LIMIT, Status.TAPE_LIMIT)
_STEP_LIMIT = 2


@dataclass(frozen=True)
class Configuration:
    """A machine configuration: state, the tape's non-blank content and the head position.

    Attributes
    ----------
    state : str
        Current state.
    tape : tuple of str
        Tape symbols from absolute position ``tape_start`` on; every cell outside is blank. May contain
        blanks inside (and, for a configuration built by hand, at its ends).
    tape_start : int
        Absolute position of ``tape[0]``. The input of a fresh run starts at position 0.
    head : int
        Absolute head position.
    """

    state: str
    tape: tuple[str, ...]
    tape_start: int
    head: int

    def symbol_at(self, position: int, blank: str) -> str:
        """Symbol at absolute ``position`` (``blank`` outside the stored span)."""
        i = position - self.tape_start
        return self.tape[i] if 0 <= i < len(self.tape) else blank

    def window(self, lo: int, hi: int, blank: str) -> tuple[str, ...]:
        """Symbols at absolute positions ``lo .. hi - 1``."""
        return tuple(self.symbol_at(p, blank) for p in range(lo, hi))


@dataclass(frozen=True)
class RunResult:
    """The result of a run.

    Attributes
    ----------
    status : Status
        ``halted``, ``undefined``, ``step_limit`` or ``tape_limit``.
    steps : int
        Transitions executed (the halting transition counts).
    state : str
        Final state.
    head : int
        Final absolute head position (the input started at position 0).
    tape : tuple of str
        The final tape from its first to its last non-blank cell (empty when the tape is blank).
    tape_start : int
        Absolute position of ``tape[0]`` (0 when the tape is blank).
    nonblank : int
        Number of non-blank cells.
    output : str
        ``tape`` joined into one string (no separator for single-character symbols).
    """

    status: Status
    steps: int
    state: str
    head: int
    tape: tuple[str, ...]
    tape_start: int
    nonblank: int
    output: str

    @property
    def halted(self) -> bool:
        """True when the machine stopped on its own (halting state or undefined transition)."""
        return self.status in (Status.HALTED, Status.UNDEFINED)

    @property
    def configuration(self) -> Configuration:
        """The final configuration, from which :func:`run` can resume (``start=``)."""
        return Configuration(self.state, self.tape, self.tape_start, self.head)

    def to_dict(self) -> dict:
        """JSON-ready dict with the keys of ``tmsim run --json``."""
        return {
            "status": self.status.value,
            "steps": self.steps,
            "state": self.state,
            "head": self.head,
            "tape": self.output,
            "tape_start": self.tape_start,
            "nonblank": self.nonblank,
        }


def _budgets(max_steps: int, max_tape: int, owner: str) -> tuple[int, int]:
    out = (check_int("max_steps", max_steps, low=0, owner=owner), check_int("max_tape", max_tape, low=1, owner=owner))
    for name, v in zip(("max_steps", "max_tape"), out):
        if v > MAX_BUDGET:
            raise ParameterError(f"The {name!r} parameter of {owner} must be at most 2**62 = {MAX_BUDGET:,}. "
                                 f"Got {v} instead.")
    return out


def _initial(machine: Machine, input, start: Configuration | None, owner: str):
    """Return (cells uint8, cells_origin, head, state_index) for a fresh input or a configuration."""
    if start is not None:
        if input is not None:
            raise ParameterError(f"{owner}: give either 'input' or 'start', not both.")
        if not isinstance(start, Configuration):
            raise ParameterError(
                f"The 'start' parameter of {owner} must be a tmsim.Configuration. Got {type(start).__name__}."
            )
        if start.state not in machine.state_index:
            raise InputError(
                f"Machine {machine.name!r}: start configuration state {start.state!r} is not one of the "
                f"states {machine.states!r}."
            )
        cells = machine.encode_input(list(start.tape), name="configuration tape", allow_tape_symbols=True)
        return (cells, check_int("start.tape_start", start.tape_start, owner=owner),
                check_int("start.head", start.head, owner=owner), machine.state_index[start.state])
    cells = machine.encode_input(input)
    return cells, 0, 0, machine.state_index[machine.start]


def _initial_span(cells: np.ndarray, origin: int, head: int) -> int:
    if len(cells) == 0:
        return 1
    return max(head, origin + len(cells) - 1) - min(head, origin) + 1


def run(
    machine: Machine,
    input: str | Sequence[str] | None = None,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_tape: int = DEFAULT_MAX_TAPE,
    start: Configuration | None = None,
    backend: str = "numba",
) -> RunResult:
    """Run ``machine`` on ``input`` (or from the configuration ``start``) until it stops or a budget ends.

    Parameters
    ----------
    machine : Machine
    input : str or sequence of str, optional
        Written at positions 0, 1, ...; the head starts at 0 in the start state. A ``str`` is split into
        characters when every symbol is one character, else on white space. Every symbol must be an
        input symbol.
    max_steps : int, default DEFAULT_MAX_STEPS
        Step budget (>= 0). A run never exceeds it, so :func:`run` never hangs.
    max_tape : int, default DEFAULT_MAX_TAPE
        Largest allowed visited span of the tape, in cells.
    start : Configuration, optional
        Resume from this configuration instead of a fresh input (e.g. ``previous.configuration``).
        Running ``a`` steps and then resuming for ``b`` steps equals one run of ``a + b`` steps.
    backend : {"numba", "python"}
        The compiled kernel or the plain-Python reference (same semantics, ~100x slower).

    Returns
    -------
    RunResult

    Raises
    ------
    InputError
        An input symbol outside the input alphabet (named with its position).
    ParameterError
        A negative ``max_steps``, ``max_tape < 1`` or smaller than the initial tape, an unknown backend.

    Examples
    --------
    >>> from tmsim import parse_standard, run
    >>> bb4 = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
    >>> r = run(bb4)
    >>> (r.status.value, r.steps, r.nonblank)
    ('halted', 107, 13)
    """
    owner = "tmsim.run"
    if not isinstance(machine, Machine):
        raise ParameterError(f"The 'machine' parameter of {owner} must be a tmsim.Machine. "
                             f"Got {type(machine).__name__}.")
    max_steps, max_tape = _budgets(max_steps, max_tape, owner)
    impl = _backend(backend, owner)
    cells, origin, head, state = _initial(machine, input, start, owner)
    span = _initial_span(cells, origin, head)
    if span > max_tape:
        raise ParameterError(
            f"The 'max_tape' parameter of {owner} must be at least the initial tape span ({span} cells). "
            f"Got {max_tape} instead."
        )
    status, steps, state, head, buf, buf_origin = _run_chunked(
        impl, machine.arrays.packed, machine.n_symbols, np.ascontiguousarray(cells, dtype=np.uint8),
        origin, head, state, max_steps, max_tape, RUN_CHUNK_STEPS[backend])
    return _result(machine, int(status), int(steps), int(state), int(head), np.asarray(buf), int(buf_origin))


def _run_chunked(impl, packed, n_symbols, cells, cells_origin, head, state, max_steps, max_tape, chunk):
    """:func:`~tmsim._kernels.run_one`'s result, computed by calls of at most ``chunk`` steps with a
    :func:`tmsim.interrupts.checkpoint` between two (the same result for every ``chunk >= 1``)."""
    fast, tape, buf_origin, p, rlo, rhi = impl.begin_run(packed, cells, cells_origin, head)
    steps = 0
    with interrupts.deferred():
        while True:
            status, k, state, p, tape, buf_origin, rlo, rhi = impl.continue_run(
                fast, n_symbols, tape, buf_origin, p, rlo, rhi, state, min(chunk, max_steps - steps), max_tape)
            steps += int(k)
            if status != _STEP_LIMIT or steps >= max_steps:
                break
            interrupts.checkpoint()
    return status, steps, state, int(p) + int(buf_origin), tape, buf_origin


def _result(machine: Machine, status: int, steps: int, state: int, head: int, buf: np.ndarray,
            buf_origin: int) -> RunResult:
    nz = np.flatnonzero(buf)
    if nz.size:
        span = buf[nz[0]:nz[-1] + 1]
        tape = machine.decode_tape(span)
        tape_start = buf_origin + int(nz[0])
    else:
        tape, tape_start = (), 0
    return RunResult(_STATUS_BY_CODE[status], steps, machine.states[state], head, tape, tape_start,
                     int(nz.size), machine.format_tape(tape))


def _backend(name: str, owner: str):
    if check_choice("backend", name, _BACKENDS, owner) == "numba":
        # Deferred (start-up): numba loads with the kernels, so `import tmsim` (and `tmsim show`) stays light.
        from . import _kernels

        return _kernels
    return _reference


@dataclass(frozen=True)
class BatchResult:
    """Results of :func:`run_batch` as arrays (job ``j`` is ``result[j]``, a :class:`RunResult`).

    Attributes
    ----------
    status : ndarray of int8, shape (n_jobs,)   codes 0..3, the order of :class:`Status`
    steps : ndarray of int64, shape (n_jobs,)
    state : ndarray of int64, shape (n_jobs,)   index into the job's machine's ``states``
    head : ndarray of int64, shape (n_jobs,)
    tape : ndarray of uint8, shape (capacity,)  final non-blank spans: job ``j``'s is
                                                ``tape[tape_offsets[j]:tape_offsets[j] + tape_len[j]]``
    tape_offsets : ndarray of int64, shape (n_jobs + 1,)
    tape_len : ndarray of int64, shape (n_jobs,)
    tape_start : ndarray of int64, shape (n_jobs,)
    nonblank : ndarray of int64, shape (n_jobs,)
    machines : tuple of Machine, one per job
    """

    status: np.ndarray
    steps: np.ndarray
    state: np.ndarray
    head: np.ndarray
    tape: np.ndarray
    tape_offsets: np.ndarray
    tape_len: np.ndarray
    tape_start: np.ndarray
    nonblank: np.ndarray
    machines: tuple[Machine, ...]

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, j: int) -> RunResult:
        m = self.machines[j]
        cells = self.tape[self.tape_offsets[j]:self.tape_offsets[j] + self.tape_len[j]]
        syms = m.decode_tape(cells)
        return RunResult(_STATUS_BY_CODE[int(self.status[j])], int(self.steps[j]), m.states[int(self.state[j])],
                         int(self.head[j]), syms, int(self.tape_start[j]), int(self.nonblank[j]),
                         m.format_tape(syms))

    def __iter__(self) -> Iterator[RunResult]:
        return (self[j] for j in range(len(self)))


@dataclass(frozen=True)
class BatchJobs:
    """Jobs packed for the batched kernel by :func:`prepare_batch`; run them with :meth:`run`.

    Packing is plain Python (validation, one pass over the inputs); running is one compiled call. Keeping
    them apart lets a caller pack once and run many times (benchmarks, sweeps over budgets).

    Attributes
    ----------
    packed_all : ndarray of int64       every distinct machine's packed table, concatenated
    table_lo, table_hi : ndarray of int64, shape (n_jobs,)   job j's table is ``packed_all[lo:hi]``
    n_symbols, starts : ndarray of int64, shape (n_jobs,)
    cells_all : ndarray of uint8        inputs as symbol indices, concatenated
    cells_offsets : ndarray of int64, shape (n_jobs + 1,)
    out_offsets : ndarray of int64, shape (n_jobs + 1,)   output capacity per job
    max_steps, max_tape : int
    machines : tuple of Machine, one per job
    """

    packed_all: np.ndarray
    table_lo: np.ndarray
    table_hi: np.ndarray
    n_symbols: np.ndarray
    starts: np.ndarray
    cells_all: np.ndarray
    cells_offsets: np.ndarray
    out_offsets: np.ndarray
    max_steps: int
    max_tape: int
    machines: tuple[Machine, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def run(self, *, backend: str = "numba", n_threads: int | None = None) -> BatchResult:
        """Run every job (in parallel over jobs with the numba backend) and return a :class:`BatchResult`.

        The jobs run in calls of about ``BATCH_CHUNK_STEPS`` steps in all (each job at least
        ``BATCH_MIN_STEPS``), the unfinished ones resumed from where they stopped, with a check for Ctrl-C
        between two calls; the results are those of one call with the whole budget.
        """
        owner = "tmsim.BatchJobs.run"
        impl = _backend(backend, owner)
        if impl is not _reference and n_threads is not None and len(self):
            import numba  # loaded already by the kernels (see _backend)

            n_threads = check_int("n_threads", n_threads, low=1, high=numba.config.NUMBA_NUM_THREADS, owner=owner)
            with _numba_threads(n_threads):
                return self._run_chunked(impl, BATCH_CHUNK_STEPS[backend])
        serial = SERIAL_BATCH_STEPS if impl is not _reference else 0
        return self._run_chunked(impl, BATCH_CHUNK_STEPS[backend], serial_steps=serial)

    def _run_chunked(self, impl, chunk: int, min_steps: int = BATCH_MIN_STEPS,
                     serial_steps: int = 0) -> BatchResult:
        """The calls of the kernel; with ``serial_steps``, a batch of at most ``serial_steps // min_steps``
        jobs first gets ``serial_steps`` steps in all on one thread (see SERIAL_BATCH_STEPS)."""
        n = len(self)
        out_tape = np.zeros(int(self.out_offsets[-1]), dtype=np.uint8)
        status = np.zeros(n, dtype=np.int8)
        steps, state, head, tape_start, tape_len, nonblank = (np.zeros(n, dtype=np.int64) for _ in range(6))
        # The jobs still running: their configuration (input cells, origin, head, state, visited span), the
        # budget left, and where their tape goes in out_tape.
        active = np.arange(n, dtype=np.int64)
        cells_all, cells_offsets = self.cells_all, self.cells_offsets
        origin = np.zeros(n, dtype=np.int64)
        heads = np.zeros(n, dtype=np.int64)
        states = self.starts.copy()
        vlo, vhi = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        left = np.full(n, self.max_steps, dtype=np.int64)
        first = True
        with interrupts.deferred():
            while len(active):
                m = len(active)
                serial = first and serial_steps > 0 and m * min_steps <= serial_steps
                budget = np.minimum(left, serial_steps // m if serial else max(min_steps, chunk // m))
                if first:
                    buf, buf_offsets = out_tape, self.out_offsets
                else:
                    spans = vhi - vlo + 1
                    buf_offsets = np.zeros(m + 1, dtype=np.int64)
                    np.cumsum(np.minimum(self.max_tape, spans + budget), out=buf_offsets[1:])
                    buf = np.zeros(int(buf_offsets[-1]), dtype=np.uint8)
                st, k, q, h, ts, tl, nb = (np.zeros(m, dtype=np.int8),) + tuple(
                    np.zeros(m, dtype=np.int64) for _ in range(6))
                with _numba_threads(1) if serial else contextlib.nullcontext():
                    impl.run_batch(self.packed_all, self.table_lo[active], self.table_hi[active],
                                   self.n_symbols[active], cells_all, cells_offsets, origin, heads, states, budget,
                                   np.full(m, self.max_tape, dtype=np.int64), buf, buf_offsets, st, k, q, h, ts,
                                   tl, nb, vlo, vhi)
                steps[active] += k
                left = left - k
                done = (st != _STEP_LIMIT) | (left <= 0)
                fin = active[done]
                status[fin], state[fin], head[fin], tape_start[fin] = st[done], q[done], h[done], ts[done]
                tape_len[fin], nonblank[fin] = tl[done], nb[done]
                if not first:  # the finished jobs' tapes, from this call's buffer to their place in out_tape
                    _ragged_copy(buf, buf_offsets[:-1][done], out_tape, self.out_offsets[fin], tl[done])
                keep = ~done
                if not keep.any():
                    break
                interrupts.checkpoint()
                # Resume the others from their final configuration: the non-blank span as the input cells.
                cells_offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
                np.cumsum(tl[keep], out=cells_offsets[1:])
                cells_all = np.zeros(int(cells_offsets[-1]), dtype=np.uint8)
                _ragged_copy(buf, buf_offsets[:-1][keep], cells_all, cells_offsets[:-1], tl[keep])
                active, origin, heads, states = active[keep], ts[keep], h[keep], q[keep]
                vlo, vhi, left = vlo[keep], vhi[keep], left[keep]
                first = False
        return BatchResult(status, steps, state, head, out_tape, self.out_offsets, tape_len, tape_start,
                           nonblank, self.machines)


@contextlib.contextmanager
def _numba_threads(n: int) -> Iterator[None]:
    """numba's thread count (of this thread) set to ``n`` for the block, restored after."""
    import numba  # loaded already by the kernels (see _backend)

    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _ragged_copy(src: np.ndarray, src_starts: np.ndarray, dst: np.ndarray, dst_starts: np.ndarray,
                 lengths: np.ndarray) -> None:
    """``dst[dst_starts[i]:+lengths[i]] = src[src_starts[i]:+lengths[i]]`` for every i, in one gather."""
    total = int(lengths.sum())
    if total == 0:
        return
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    dst[np.repeat(dst_starts, lengths) + within] = src[np.repeat(src_starts, lengths) + within]


def prepare_batch(
    machines: Machine | Sequence[Machine],
    inputs: Sequence[str | Sequence[str] | None],
    *,
    max_steps: int = 1_000_000,
    max_tape: int = 1 << 16,
) -> BatchJobs:
    """Validate and pack (machine, input) jobs for the batched kernel (see :func:`run_batch`)."""
    owner = "tmsim.run_batch"
    max_steps, max_tape = _budgets(max_steps, max_tape, owner)
    if isinstance(inputs, (str, bytes)):
        raise ParameterError(f"The 'inputs' parameter of {owner} must be a sequence of inputs, not a single "
                             f"string {inputs!r}.")
    inputs = list(inputs)
    n = len(inputs)
    if isinstance(machines, Machine):
        per_job: tuple[Machine, ...] = (machines,) * n
    else:
        per_job = tuple(machines)
        if len(per_job) != n:
            raise ParameterError(f"{owner}: got {len(per_job)} machines for {n} inputs; give one machine or "
                                 f"one per input.")
    # One table per distinct machine object, shared by the jobs that use it.
    where: dict[int, tuple[int, int, int, int]] = {}
    tables: list[np.ndarray] = []
    offset = 0
    table_lo = np.empty(n, dtype=np.int64)
    table_hi = np.empty(n, dtype=np.int64)
    n_symbols = np.empty(n, dtype=np.int64)
    starts = np.empty(n, dtype=np.int64)
    for j, m in enumerate(per_job):
        info = where.get(id(m))
        if info is None:
            if not isinstance(m, Machine):
                raise ParameterError(f"{owner}: every machine must be a tmsim.Machine. Got {type(m).__name__} "
                                     f"at position {j}.")
            t = m.arrays.packed
            tables.append(t)
            info = where[id(m)] = (offset, offset + len(t), m.n_symbols, m.state_index[m.start])
            offset += len(t)
        table_lo[j], table_hi[j], n_symbols[j], starts[j] = info
    packed_all = np.concatenate(tables) if tables else np.zeros(0, dtype=np.int64)
    if len(where) == 1:
        cells_all, cells_offsets = per_job[0].encode_inputs(inputs)
    else:
        encoded = [m.encode_input(x, name=f"inputs[{j}]") if x else _EMPTY
                   for j, (m, x) in enumerate(zip(per_job, inputs))]
        cells_offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter((len(c) for c in encoded), dtype=np.int64, count=n), out=cells_offsets[1:])
        cells_all = np.concatenate(encoded) if n else _EMPTY
    lens = np.diff(cells_offsets)
    spans = np.maximum(lens, 1)
    if n and spans.max() > max_tape:
        j = int(np.argmax(spans))
        raise ParameterError(f"The 'max_tape' parameter of {owner} must be at least the longest input "
                             f"({int(spans[j])} cells, inputs[{j}]). Got {max_tape} instead.")
    # A job's final non-blank span lies inside its visited span: at most min(max_tape, span + steps).
    caps = np.minimum(max_tape, spans + max_steps)
    out_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(caps, out=out_offsets[1:])
    return BatchJobs(packed_all, table_lo, table_hi, n_symbols, starts, cells_all, cells_offsets, out_offsets,
                     max_steps, max_tape, per_job)


_EMPTY = np.zeros(0, dtype=np.uint8)


def run_batch(
    machines: Machine | Sequence[Machine],
    inputs: Sequence[str | Sequence[str] | None],
    *,
    max_steps: int = 1_000_000,
    max_tape: int = 1 << 16,
    backend: str = "numba",
    n_threads: int | None = None,
) -> BatchResult:
    """Run many (machine, input) jobs in one compiled call, in parallel over both cores.

    Parameters
    ----------
    machines : Machine or sequence of Machine
        One machine for every input, or one per input (``len(machines) == len(inputs)``).
    inputs : sequence of (str or sequence of str or None)
    max_steps, max_tape : int
        Budgets applied to every job (see :func:`run`). The output buffer holds
        ``min(max_tape, input span + max_steps)`` cells per job, so keep them modest for large batches.
    backend : {"numba", "python"}
    n_threads : int, optional
        Threads for the numba backend (default: all cores numba sees).

    Returns
    -------
    BatchResult

    Examples
    --------
    >>> from tmsim import zoo, run_batch
    >>> inc = zoo.get("binary-increment").machine
    >>> [r.output for r in run_batch(inc, ["1", "11", "101"])]
    ['10', '100', '110']
    """
    jobs = prepare_batch(machines, inputs, max_steps=max_steps, max_tape=max_tape)
    return jobs.run(backend=backend, n_threads=n_threads)


def configurations(
    machine: Machine,
    input: str | Sequence[str] | None = None,
    *,
    max_steps: int = 10_000,
    start: Configuration | None = None,
) -> Iterator[Configuration]:
    """Yield the configuration before the first step and after every step (plain Python).

    A run as a generator: lazy, so it never holds the whole history; bounded by ``max_steps`` so it never
    hangs. Each configuration's ``tape`` covers the visited span (blanks included).

    Examples
    --------
    >>> from tmsim import parse_standard, configurations
    >>> [c.head for c in configurations(parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"), max_steps=4)]
    [0, 1, 0, -1, -2]
    """
    owner = "tmsim.configurations"
    max_steps = check_int("max_steps", max_steps, low=0, owner=owner)
    cells, origin, head, state = _initial(machine, input, start, owner)
    tape = {origin + i: int(c) for i, c in enumerate(cells)}
    lo = min([head] + list(tape))
    hi = max([head] + list(tape))
    ar = machine.arrays

    def snapshot() -> Configuration:
        return Configuration(machine.states[state],
                             tuple(machine.symbols[tape.get(p, 0)] for p in range(lo, hi + 1)), lo, head)

    yield snapshot()
    for _ in range(max_steps):
        read = tape.get(head, 0)
        if ar.halting[state] or ar.next_state[state, read] < 0:
            return
        tape[head] = int(ar.write[state, read])
        head += int(ar.move[state, read])
        state = int(ar.next_state[state, read])
        lo, hi = min(lo, head), max(hi, head)
        yield snapshot()


def default_threads() -> int:
    """Threads numba will use for batched runs (honours ``NUMBA_NUM_THREADS``)."""
    return int(os.environ.get("NUMBA_NUM_THREADS", os.cpu_count() or 1))
