"""Tokens -> dataset (the shared engine, package-internal): resolving a generation's arguments into a
:class:`Plan`, the accepted-input stream, chunked encoding and the size estimate — used by
:func:`~tmsim.datasets.make_dataset`, :func:`~tmsim.datasets.write_dataset` and
:func:`~tmsim.datasets.make_splits`.

The pipeline::

    sampler blocks --(dedup / exclude)--> accepted inputs --(rechunk)--> encode_cells --(on_timeout)--> chunks

Sample ``j`` depends only on the seed and the sampler, never on ``chunk_size``: chunked and one-shot
generation give the same dataset.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
from tqdm.auto import tqdm

import tmsim

from .. import _validate
from ..encodings import DEFAULT_MAX_STEPS, Encoding, input_cells
from ..machine import Machine
from ..resolve import resolve_encoding, resolve_machine
from .dataset import STATUS_NAMES, Dataset
from .provenance import Provenance, machine_text
from .errors import DatasetError, RunTimeoutError, TokenBudgetError
from .samplers import Sampler, cells_to_text, get_sampler

__all__ = ["check_choice", "check_int", "seed_factory", "Plan", "make_plan",
           "accepted_inputs", "encoded_chunks", "empty_dataset", "Estimate", "estimate_plan", "measure_cells",
           "check_budget", "human_bytes", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_TOKENS", "ON_TIMEOUT", "PILOT_SIZE"]

#: Samples encoded per compiled call (and per chunk written when streaming): bounds the memory of a chunk.
DEFAULT_CHUNK_SIZE = 1 << 16
#: Default ``max_tokens`` of :func:`~tmsim.datasets.make_dataset`, which builds the dataset in memory (5 bytes
#: per token: about 2.5 GB): larger requests are refused with the size estimate before anything is allocated.
#: Pass a larger figure, or None, on purpose; :func:`~tmsim.datasets.write_dataset` streams to disk instead.
DEFAULT_MAX_TOKENS = 500_000_000
#: What to do with a run that does not stop on its own within the budget.
ON_TIMEOUT = ("error", "drop", "label")
#: Inputs the size estimate measures (the counting pass only: no token is written).
PILOT_SIZE = 4096
# A random sampler that finds no new input in this many consecutive blocks has run out of inputs.
_STALL_BLOCKS = 8
# Rough on-disk bytes per token of a Parquet file of format version 2 (input_ids, labels, tokens, kinds;
# zstd; measured on binary-addition: 0.56 for transitions, 0.61 for tableau), a guess: the estimate says
# "about" for a reason.
_PARQUET_BYTES_PER_TOKEN = 0.55


# ---------------------------------------------------------------------------------------------- validation
# The validators of tmsim._validate, raising the dataset layer's error.
#: ``check_choice(name, value, choices, owner)``: one of ``choices``, else a DatasetError.
check_choice = functools.partial(_validate.check_choice, error=DatasetError)
#: ``check_int(name, value, low, owner, *, allow_none=False)``: an integer >= low, else a DatasetError.
check_int = functools.partial(_validate.check_at_least, error=DatasetError)


def seed_factory(random_state: object, owner: str) -> tuple[int | None, Callable[..., np.random.Generator]]:
    """``(seed recorded in provenance, factory of the generator)``. None draws a fresh seed and records it,
    so that every dataset can be made again. A Generator is used, and advanced, by the generation itself
    (``factory(main=True)``); a pilot gets a copy in the same state."""
    if isinstance(random_state, np.random.Generator):
        state = copy.deepcopy(random_state.bit_generator.state)

        def factory(main: bool = True) -> np.random.Generator:
            if main:
                return random_state
            g = copy.deepcopy(random_state)
            g.bit_generator.state = copy.deepcopy(state)
            return g

        return None, factory
    seed, _ = _validate.check_random_state(random_state, owner, error=DatasetError)
    return seed, lambda main=True: np.random.default_rng(seed)


@dataclass(frozen=True)
class Plan:
    """Everything a generation needs, resolved and checked (no work done yet)."""

    machine: Machine
    encoding: Encoding
    sampler: Sampler
    n: int | None
    rng: Callable[..., np.random.Generator]
    max_steps: int
    on_timeout: str
    unique: bool
    exclude: frozenset
    provenance: Provenance
    backend: str
    owner: str


def make_plan(machine: Any, encoding: Any, *, inputs: Any, n: Any, lengths: Any, random_state: Any, max_steps: Any,
          on_timeout: Any, unique: Any, exclude: Any, alphabet: Any, width: Any, split: Any, backend: str,
          owner: str) -> Plan:
    m, entry = resolve_machine(machine, owner)
    enc = resolve_encoding(encoding, width=width, entry=entry, owner=owner)
    if lengths is None:
        lang_max = entry.language.max_length if entry is not None else None
        lengths = (0, 0) if lang_max == 0 else (1, 16)
    sampler = get_sampler(entry if entry is not None else m, inputs, lengths=lengths, alphabet=alphabet, owner=owner)
    if sampler.machine is not m and sampler.machine != m:
        raise DatasetError(f"The 'inputs' sampler of {owner} was made for machine {sampler.machine.name!r}, not "
                           f"{m.name!r}.")
    n = check_int("n", n, 0, owner, allow_none=sampler.finite)
    if max_steps is None:
        max_steps = max(DEFAULT_MAX_STEPS, entry.max_steps if entry is not None else 0)
    max_steps = check_int("max_steps", max_steps, 0, owner)
    check_choice("on_timeout", on_timeout, ON_TIMEOUT, owner)
    _validate.check_bool("unique", unique, owner, error=DatasetError)
    if split is not None and (not isinstance(split, str) or not split):
        raise DatasetError(f"The 'split' parameter of {owner} must be a non-empty string or None. Got {split!r}.")
    check_choice("backend", backend, ("numba", "python"), owner)
    seed, rng = seed_factory(random_state, owner)
    fmt, text = machine_text(m)
    prov = Provenance(text, fmt, m.name, enc.spec, int(enc.version), toolkit_version(), seed, sampler.describe(),
                      split, max_steps)
    return Plan(m, enc, sampler, n, rng, max_steps, on_timeout, bool(unique), exclude_keys(m, exclude, owner),
                 prov, backend, owner)


def toolkit_version() -> str:
    """``tmsim.__version__`` (read when called: the package sets it after importing its subpackages)."""
    return tmsim.__version__


def exclude_keys(machine: Machine, exclude: Any, owner: str) -> frozenset:
    """Inputs never to use (a Dataset, or an iterable of str / Datasets), as keys: their symbol indices."""
    if exclude is None:
        return frozenset()
    if isinstance(exclude, (frozenset, set)) and all(isinstance(k, bytes) for k in exclude):
        return frozenset(exclude)  # already keys (make_splits)
    items: list = [exclude] if isinstance(exclude, (Dataset, str)) else list(exclude)
    texts: list[str] = []
    for it in items:
        if isinstance(it, Dataset):
            texts.extend(it.inputs)
        elif isinstance(it, str):
            texts.append(it)
        else:
            raise DatasetError(f"The 'exclude' parameter of {owner} must hold inputs (str) or Datasets. "
                               f"Got {type(it).__name__}.")
    try:
        cells, off = input_cells(machine, texts, name="exclude")
    except ValueError as e:
        raise DatasetError(f"The 'exclude' parameter of {owner}: {e}") from None
    raw = cells.tobytes()
    o = off.tolist()
    return frozenset(raw[a:b] for a, b in zip(o[:-1], o[1:]))


# ---------------------------------------------------------------------------------------------- input stream
def ragged_rows(cells: np.ndarray, off: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lens = off[idx + 1] - off[idx]
    new = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(lens, out=new[1:])
    pos = np.arange(int(new[-1]), dtype=np.int64) + np.repeat(off[idx] - new[:-1], lens)
    return cells[pos], new


def accepted_inputs(plan: Plan, rng: np.random.Generator,
            record: set | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The accepted inputs, in blocks ``(cells, offsets)``: ``n`` of them (all of a finite sampler when ``n`` is
    None), without the excluded ones, and without repeats when ``unique``. Keys of accepted inputs are
    added to ``record`` when it is given."""
    s, n, excl = plan.sampler, plan.n, plan.exclude
    track = plan.unique or bool(excl) or record is not None
    seen: set = set()
    if s.finite:
        cells, off = s.all()
        m = len(off) - 1
        if track:
            raw, o = cells.tobytes(), off.tolist()
            keep = []
            for i in range(m):
                k = raw[o[i]:o[i + 1]]
                if k in excl or (plan.unique and k in seen):
                    continue
                seen.add(k)
                keep.append(i)
            if len(keep) != m:
                cells, off = ragged_rows(cells, off, np.array(keep, dtype=np.int64))
                m = len(keep)
        if n is not None:
            if n > m:
                why = " after removing the excluded and repeated ones" if track else ""
                raise DatasetError(f"The 'n' parameter of {plan.owner} must be at most the {m:,} inputs of the "
                                   f"{s.describe()} sampler{why}. Got {n:,} instead.")
            if n < m:
                if s.name == "exhaustive":  # a uniform random subset, kept in enumeration order
                    idx = np.sort(rng.choice(m, size=n, replace=False)).astype(np.int64)
                else:
                    idx = np.arange(n, dtype=np.int64)
                cells, off = ragged_rows(cells, off, idx)
                m = n
        if record is not None:
            raw, o = cells.tobytes(), off.tolist()
            record.update(raw[o[i]:o[i + 1]] for i in range(m))
        yield cells, off
        return
    assert n is not None
    if plan.unique:
        total = s.n_distinct()
        if total is not None and total < n:
            raise DatasetError(f"The 'n' parameter of {plan.owner} must be at most the {total:,} distinct inputs of "
                               f"the {s.describe()} sampler when unique=True. Got {n:,} instead; lower n, widen "
                               f"'lengths', or pass unique=False.")
    need = n
    drawn = stall = 0
    for cells, off in s.blocks(rng):
        if need == 0:
            return
        m = len(off) - 1
        drawn += m
        if not track:
            take = min(m, need)
            if take < m:
                cells, off = cells[:int(off[take])], off[:take + 1]
            need -= take
            yield cells, off
            continue
        raw, o = cells.tobytes(), off.tolist()
        keep = []
        for i in range(m):
            k = raw[o[i]:o[i + 1]]
            if k in excl or (plan.unique and k in seen):
                continue
            seen.add(k)
            keep.append(i)
            if len(keep) == need:
                break
        if record is not None:
            record.update(raw[o[i]:o[i + 1]] for i in keep)
        if not keep:
            stall += 1
            if stall >= _STALL_BLOCKS:
                raise DatasetError(
                    f"{plan.owner}: found only {n - need:,} of n={n:,} "
                    f"{'distinct ' if plan.unique else ''}inputs{' outside the excluded ones' if excl else ''} "
                    f"after {drawn:,} draws from the {s.describe()} sampler; lower n or widen 'lengths'.")
            continue
        stall = 0
        need -= len(keep)
        yield ragged_rows(cells, off, np.array(keep, dtype=np.int64))


def rechunk(blocks: Iterable[tuple[np.ndarray, np.ndarray]], size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Regroup ragged blocks into chunks of exactly ``size`` inputs (the last one shorter)."""
    buf: list[tuple[np.ndarray, np.ndarray]] = []
    have = 0

    def flush():
        if len(buf) == 1:
            return buf[0]
        cells = np.concatenate([c for c, _ in buf])
        lens = np.concatenate([np.diff(o) for _, o in buf])
        off = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
        return cells, off

    for cells, off in blocks:
        m = len(off) - 1
        pos = 0
        while pos < m:
            take = min(size - have, m - pos)
            a, b = int(off[pos]), int(off[pos + take])
            buf.append((cells[a:b], off[pos:pos + take + 1] - a))
            have += take
            pos += take
            if have == size:
                yield flush()
                buf, have = [], 0
    if have:
        yield flush()


# ---------------------------------------------------------------------------------------------- encoding
def encode_chunk(plan: Plan, cells: np.ndarray, off: np.ndarray, start: int) -> Dataset:
    m = plan.machine
    tb = plan.encoding.encode_cells(m, cells, off, max_steps=plan.max_steps, backend=plan.backend)
    text, toff = cells_to_text(m, cells, off)
    n = len(off) - 1
    ds = Dataset(tb.tokens, tb.kinds, tb.offsets, text, toff, tb.status, tb.steps,
                 np.arange(start, start + n, dtype=np.int64), tb.widths, tb.lefts, np.zeros(n, dtype=np.int32),
                 tb.vocabulary, (plan.provenance,))
    bad = np.flatnonzero(tb.status > 1)
    if not bad.size or plan.on_timeout == "label":
        return ds
    if plan.on_timeout == "error":
        j = int(bad[0])
        status = STATUS_NAMES[int(tb.status[j])]
        if status == "tape_limit":
            why = (f"its head would leave the tableau window (width={int(tb.widths[j])}, left={int(tb.lefts[j])}) "
                   f"after step {int(tb.steps[j])}; give a larger 'width'")
        else:
            why = f"it did not stop within max_steps={plan.max_steps:,} steps; raise 'max_steps'"
        x = ds.input(j)
        shown = repr(x) if len(x) <= 60 else f"{x[:40]!r}... ({len(x):,} symbols)"  # one readable line
        raise RunTimeoutError(f"{plan.owner}: machine {m.name!r} on input {shown} (sample {start + j}) "
                              f"ended with status {status}: {why}, or pass on_timeout='drop' or 'label'.")
    keep = tb.status <= 1
    return dataclasses.replace(ds.select(keep), dropped=int(n - keep.sum()))


def progress_bar(total: int | None, progress: object, desc: str):
    disable = None if progress is None else not bool(progress)  # None: only on a terminal
    return tqdm(total=total, unit=" samples", desc=desc, disable=disable, file=sys.stderr, leave=False,
                dynamic_ncols=True)


def encoded_chunks(plan: Plan, chunk_size: int, *, max_tokens: int | None = None, progress: object = False,
            record: set | None = None, inputs: Iterable | None = None) -> Iterator[Dataset]:
    """Encoded chunks of the plan's dataset, in order (``inputs`` overrides the sampler's accepted stream)."""
    blocks = accepted_inputs(plan, plan.rng(), record) if inputs is None else inputs
    start = tokens = 0
    with progress_bar(plan.n, progress, plan.owner) as bar:
        for cells, off in rechunk(blocks, chunk_size):
            ds = encode_chunk(plan, cells, off, start)
            start += len(off) - 1
            tokens += ds.n_tokens
            if max_tokens is not None and tokens > max_tokens:
                raise TokenBudgetError(f"{plan.owner}: the dataset passed max_tokens={max_tokens:,} tokens after "
                                       f"{start:,} samples (the size estimate was low); nothing was kept. Lower "
                                       f"n or the lengths, or raise max_tokens.")
            bar.update(len(off) - 1)
            yield ds


def empty_dataset(plan: Plan) -> Dataset:
    z64 = np.zeros(0, dtype=np.int64)
    return Dataset(np.zeros(0, np.int32), np.zeros(0, np.uint8), np.zeros(1, np.int64), np.zeros(0, np.uint8),
                   np.zeros(1, np.int64), np.zeros(0, np.int8), z64, z64, z64, z64, np.zeros(0, np.int32),
                   plan.encoding.vocabulary(plan.machine), ())


# ---------------------------------------------------------------------------------------------- estimate
@dataclass(frozen=True)
class Estimate:
    """The size of a dataset before it is generated, from the counting pass over a pilot of its inputs.

    Attributes
    ----------
    n_samples : int
    n_tokens : int
        Estimated total tokens (exact when :attr:`exact`).
    tokens_per_sample : float
    max_sample_tokens : int
        The longest pilot trace.
    pilot : int
        Inputs measured.
    exact : bool
        Every input was measured (the count is exact, before any run is dropped).
    bytes : dict of str to int
        Estimated file size per format (``npz`` and ``jsonl`` closely, ``parquet`` roughly: it compresses).
    """

    n_samples: int
    n_tokens: int
    tokens_per_sample: float
    max_sample_tokens: int
    pilot: int
    exact: bool
    bytes: dict

    def __str__(self) -> str:
        how = "exact" if self.exact else f"estimated from a pilot of {self.pilot:,}"
        sizes = ", ".join(f"{human_bytes(b)} as {f}" for f, b in self.bytes.items())
        return f"{self.n_samples:,} samples, {self.n_tokens:,} tokens ({how}); on disk about {sizes}"


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def estimate_plan(plan: Plan, pilot: int = PILOT_SIZE) -> Estimate:
    s = plan.sampler
    rng = plan.rng(main=False)
    if s.finite:
        cells, off = next(accepted_inputs(plan, rng))
        n = len(off) - 1
        idx = np.arange(n) if n <= 16 * pilot else np.linspace(0, n - 1, pilot).astype(np.int64)
        if len(idx) != n:
            cells, off = ragged_rows(cells, off, idx)
    else:
        n = int(plan.n)
        k = min(n, pilot)
        got_c, got_o, have = [], [], 0
        for cells, off in s.blocks(rng):  # the sampler's first draws (repeats allowed: it is an estimate)
            take = min(k - have, len(off) - 1)
            got_c.append(cells[:int(off[take])])
            got_o.append(np.diff(off[:take + 1]))
            have += take
            if have >= k:
                break
        cells = np.concatenate(got_c) if got_c else np.zeros(0, np.uint8)
        lens = np.concatenate(got_o) if got_o else np.zeros(0, np.int64)
        off = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
    m = len(off) - 1
    if m:
        lengths = measure_cells(plan.encoding, plan.machine, cells, off, plan.max_steps, plan.backend).lengths
        per = float(lengths.mean())
        longest = int(lengths.max())
        text_per = len(cells_to_text(plan.machine, cells, off)[0]) / m
    else:
        per, longest, text_per = 0.0, 0, 0.0
    exact = m == n
    total = int(lengths.sum()) if exact and m else int(round(per * n))
    v = len(plan.encoding.vocabulary(plan.machine))
    digits = len(str(max(v - 1, 0)))
    prov = len(str(plan.provenance.to_dict())) + 160
    nbytes = {
        "npz": int(total * 5 + n * (53 + text_per) + 4096),
        # input_ids, tokens and labels (ids), kinds and attention_mask per token; provenance in the sidecar.
        "jsonl": int(total * (3 * digits + 5) + n * (200 + text_per)),
        "parquet": int(total * _PARQUET_BYTES_PER_TOKEN + n * (40 + text_per) + len(str(prov)) + 8192),
    }
    return Estimate(n, total, per, longest, m, exact, nbytes)


def measure_cells(enc: Encoding, machine: Machine, cells: np.ndarray, off: np.ndarray, max_steps: int, backend: str):
    """:meth:`Encoding.measure` (the counting pass) on inputs given as symbol indices."""
    text, toff = cells_to_text(machine, cells, off)
    raw, o = text.tobytes(), toff.tolist()
    strings = [raw[a:b].decode("utf-8") for a, b in zip(o[:-1], o[1:])]  # the vectorised path of input_cells
    return enc.measure(machine, strings, max_steps=max_steps, backend=backend)


def check_budget(plan: Plan, est: Estimate, max_tokens: int | None, fmt: str | None = None,
                 default: int | None = None) -> None:
    """Refuse (TokenBudgetError, with the estimate) a dataset estimated above ``max_tokens``; ``default``: the
    caller's default figure, named in the message when ``max_tokens`` is it."""
    if max_tokens is not None and est.n_tokens > max_tokens:
        how = ("exactly" if est.exact else
               f"about, from a pilot of {est.pilot:,} inputs: {est.tokens_per_sample:,.1f} tokens per sample x "
               f"n={est.n_samples:,}")
        disk = f", about {human_bytes(est.bytes[fmt])} as {fmt}" if fmt is not None else ""
        raise TokenBudgetError(
            f"{plan.owner}: the dataset would hold {est.n_tokens:,} tokens ({how}{disk}), more than max_tokens="
            f"{max_tokens:,}{' (the default)' if max_tokens == default else ''}. Lower n or the lengths, use a "
            f"shorter encoding, or raise max_tokens{' (None: no limit)' if max_tokens == default else ''}.")
