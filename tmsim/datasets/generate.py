"""Tokens -> dataset (generation): :func:`make_dataset` draws inputs, encodes their runs chunk by chunk
(:meth:`Encoding.encode_cells`, compiled) and labels, drops or refuses the runs that did not stop;
:func:`estimate_dataset` sizes a dataset from a pilot before anything is generated. The engine they share
with :func:`tmsim.datasets.write_dataset` and :func:`tmsim.datasets.make_splits` is
:mod:`tmsim.datasets._plan`; its arguments are resolved by :mod:`tmsim.resolve`.
"""

from __future__ import annotations

from typing import Any

from ._plan import (DEFAULT_CHUNK_SIZE, DEFAULT_MAX_TOKENS, ON_TIMEOUT, PILOT_SIZE, Estimate, check_budget, check_int, empty_dataset,
                    encoded_chunks, estimate_plan, make_plan)
from .dataset import Dataset, concat

__all__ = ["make_dataset", "estimate_dataset", "Estimate", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_TOKENS", "ON_TIMEOUT",
           "PILOT_SIZE"]


def estimate_dataset(machine: Any, encoding: Any = "transitions", *, inputs: Any = None, n: int | None = None,
                     lengths: Any = None, random_state: Any = None, max_steps: int | None = None,
                     alphabet: Any = None, width: int | None = None, pilot: int = PILOT_SIZE,
                     backend: str = "numba") -> Estimate:
    """How many tokens (and bytes on disk) :func:`make_dataset` with the same arguments would produce.

    Runs the counting pass (:meth:`Encoding.measure`: runs every machine, writes no token) on a pilot of
    ``pilot`` inputs drawn like the dataset's, and scales up. Exact when the pilot covers every input.

    Examples
    --------
    >>> from tmsim import zoo
    >>> est = estimate_dataset(zoo.get("parity"), "tableau", n=100, lengths=(1, 8), random_state=0)
    >>> ds = make_dataset(zoo.get("parity"), "tableau", n=100, lengths=(1, 8), random_state=0)
    >>> est.exact, est.n_tokens == ds.n_tokens
    (True, True)
    """
    owner = "estimate_dataset"
    plan = make_plan(machine, encoding, inputs=inputs, n=n, lengths=lengths, random_state=random_state,
                 max_steps=max_steps, on_timeout="label", unique=False, exclude=None, alphabet=alphabet, width=width,
                 split=None, backend=backend, owner=owner)
    return estimate_plan(plan, check_int("pilot", pilot, 1, owner))


def make_dataset(machine: Any, encoding: Any = "transitions", *, inputs: Any = None, n: int | None = None,
                 lengths: Any = None, random_state: Any = None, max_steps: int | None = None,
                 on_timeout: str = "error", unique: bool = False, exclude: Any = None, alphabet: Any = None,
                 width: int | None = None, split: str | None = None, chunk_size: int | None = None,
                 max_tokens: int | None = DEFAULT_MAX_TOKENS, progress: bool | None = False,
                 backend: str = "numba") -> Dataset:
    """Draw inputs, run the machine on each, encode every run: a CoT dataset in memory.

    Parameters
    ----------
    machine : tmsim.Machine, tmsim.zoo.ZooEntry or str
        A machine, a zoo entry (brings its well-formed inputs and its step budget), ``"zoo:NAME"``, a file, or
        a standard-format string (inputs over its non-blank symbols ``1``, ``2``, ...; answer: the final tape).
    encoding : str or Encoding, default "transitions"
        A name or spec (``"snapshots(every=4)"``) or an :class:`~tmsim.encodings.Encoding`. For a zoo entry
        with task ``accept`` and a name without ``answer=``, the answer is the final state.
    inputs : {"uniform", "zoo", "exhaustive"}, callable, list of str or Sampler, optional
        The sampler (:mod:`tmsim.datasets.samplers`); default ``"zoo"`` for a zoo entry, else ``"uniform"``.
    n : int, optional
        Samples to draw (required by the random samplers; default all for ``"exhaustive"`` and a list).
    lengths : (int, int) or int, optional
        Input lengths ``(a, b)``; default ``(1, 16)`` (``(0, 0)`` for a busy beaver).
    random_state : int, numpy Generator or None
        All randomness comes from ``numpy.random.default_rng(random_state)``. None draws a fresh seed and
        records it in the provenance, so every dataset can be made again.
    max_steps : int, optional
        Step budget per run; default ``max(10_000, the zoo entry's max_steps)``.
    on_timeout : {"error", "drop", "label"}, default "error"
        Runs that do not stop on their own within the budget (or whose head leaves a fixed tableau window):
        raise :class:`RunTimeoutError` naming the input; leave them out (counted in :attr:`Dataset.dropped`;
        ``index`` keeps their place); or keep them, encoded up to the budget, with ``status`` saying so.
    unique : bool, default False
        Draw until ``n`` distinct inputs (else samples are i.i.d. and may repeat).
    exclude : Dataset, or iterable of str or Dataset, optional
        Inputs never to use (e.g. a training set, to draw a disjoint test set).
    alphabet : str or sequence of str, optional
        Symbols of the ``"uniform"``/``"exhaustive"`` samplers (must be input symbols of the machine).
    width : int, optional
        Row width of a tableau-style encoding (one layout for every input length).
    split : str, optional
        Split name recorded in the provenance.
    chunk_size : int, optional
        Samples encoded per compiled call; the result does not depend on it. Default: all in one call, the
        fastest (no concatenation of chunks), at the price of no progress updates; to stream a dataset
        larger than memory, use :func:`write_dataset`.
    max_tokens : int or None, default DEFAULT_MAX_TOKENS (500,000,000: about 2.5 GB in memory)
        Refuse (:class:`TokenBudgetError`, with the estimate, before generating: the counting pass on a pilot
        of the inputs, :func:`estimate_dataset`) a dataset estimated above this many tokens, and stop one that
        passes it while generating. None: no limit.
    progress : bool or None, default False
        Progress bar (tqdm) on stderr; None shows it only on a terminal.
    backend : {"numba", "python"}
        The compiled encoders or their plain-Python reference.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        A bad parameter (naming it); :class:`RunTimeoutError` and :class:`TokenBudgetError` as above.

    Examples
    --------
    >>> from tmsim import zoo
    >>> add = zoo.get("binary-addition")
    >>> ds = make_dataset(add, "tableau", n=100, lengths=(3, 8), random_state=0)
    >>> len(ds), ds.n_tokens, ds.statuses[0].value, ds.sources[0].encoding
    (100, 47762, 'halted', 'tableau')
    >>> s = ds[0]
    >>> s.input, s.to_trace() == ds.encoding.encode(add.machine, s.input)
    ('01101+11', True)
    >>> make_dataset(add, "tableau", n=100, lengths=(3, 8), random_state=0) == ds   # same seed, same data
    True
    """
    owner = "make_dataset"
    plan = make_plan(machine, encoding, inputs=inputs, n=n, lengths=lengths, random_state=random_state,
                 max_steps=max_steps, on_timeout=on_timeout, unique=unique, exclude=exclude, alphabet=alphabet,
                 width=width, split=split, backend=backend, owner=owner)
    chunk_size = check_int("chunk_size", chunk_size, 1, owner, allow_none=True) or (1 << 62)
    max_tokens = check_int("max_tokens", max_tokens, 0, owner, allow_none=True)
    if max_tokens is not None:
        check_budget(plan, estimate_plan(plan), max_tokens, default=DEFAULT_MAX_TOKENS)
    chunks = list(encoded_chunks(plan, chunk_size, max_tokens=max_tokens, progress=progress))
    return concat(chunks) if chunks else empty_dataset(plan)
