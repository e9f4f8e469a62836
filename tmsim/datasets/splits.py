"""Tokens -> dataset (splits): frozen presets that train short and test long, and :func:`make_splits`, which
draws every split with its own seed, never lets two splits share an input, and gives tableau-style
encodings one row layout across all of them.

========================  ==================  ==================  ==================
preset                    train               validation          test
========================  ==================  ==================  ==================
``"short-long"``          1-16, n=10,000      1-16, n=1,000       17-64, n=1,000
``"short-long-small"``    1-8, n=200          --                  9-16, n=100
``"in-distribution"``     1-16, n=10,000      --                  1-16, n=1,000
========================  ==================  ==================  ==================

(Lengths are input lengths; a zoo entry draws only its well-formed inputs, e.g. ``a+b`` has length >= 3.)
The parts are named as Hugging Face names splits: ``train``, ``validation``, ``test`` (files written before
this naming call the middle one ``valid``; they load as they are).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from ..resolve import resolve_encoding, resolve_machine
from ._plan import (DEFAULT_CHUNK_SIZE, accepted_inputs, check_int, empty_dataset, encoded_chunks, make_plan,
                    measure_cells, seed_factory)
from .dataset import Dataset, concat
from .errors import DatasetError, TokenBudgetError
from .samplers import check_lengths

__all__ = ["Split", "SPLITS", "make_splits", "get_split"]


@dataclass(frozen=True)
class Split:
    """A split preset: input lengths and sizes of the train, (validation,) and test parts.

    Parameters
    ----------
    name : str
    train, test : (int, int)
        Input lengths ``(a, b)`` of the parts.
    n_train, n_test : int
        Samples per part.
    valid : (int, int), optional
        Lengths of the ``validation`` part (usually the training lengths: in-distribution held-out inputs).
    n_valid : int, default 0
        Samples of the ``validation`` part.

    Examples
    --------
    >>> s = Split("mine", train=(1, 8), test=(9, 32), n_train=500, n_test=50)
    >>> s.parts()
    (('train', (1, 8), 500), ('test', (9, 32), 50))
    >>> Split("bad", train=(8, 1), test=(9, 32), n_train=1, n_test=1)
    Traceback (most recent call last):
    ...
    tmsim.errors.DatasetError: The 'train' parameter of Split('bad') must be (a, b) with integers 0 <= a <= b <= 1048576. Got (8, 1) instead.
    """

    name: str
    train: tuple[int, int] = (1, 16)
    test: tuple[int, int] = (17, 64)
    n_train: int = 10_000
    n_test: int = 1_000
    valid: tuple[int, int] | None = None
    n_valid: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise DatasetError(f"A Split needs a non-empty name. Got {self.name!r}.")
        owner = f"Split({self.name!r})"
        set_ = object.__setattr__
        for part in ("train", "test") + (("valid",) if self.valid is not None else ()):
            set_(self, part, check_lengths(getattr(self, part), owner, name=part))
        for part in ("n_train", "n_test", "n_valid"):
            set_(self, part, check_int(part, getattr(self, part), 0, owner))

    def parts(self) -> tuple[tuple[str, tuple[int, int], int], ...]:
        """``(part name, lengths, n)`` in generation order: train, validation (when there is one), test."""
        out = [("train", self.train, self.n_train)]
        if self.valid is not None:
            out.append(("validation", self.valid, self.n_valid))
        out.append(("test", self.test, self.n_test))
        return tuple(out)


#: The frozen presets (see the module docstring).
SPLITS: Mapping[str, Split] = MappingProxyType({
    "short-long": Split("short-long", train=(1, 16), test=(17, 64), n_train=10_000, n_test=1_000, valid=(1, 16),
                        n_valid=1_000),
    "short-long-small": Split("short-long-small", train=(1, 8), test=(9, 16), n_train=200, n_test=100),
    "in-distribution": Split("in-distribution", train=(1, 16), test=(1, 16), n_train=10_000, n_test=1_000),
})


def get_split(split: str | Split) -> Split:
    """A preset by name, or a :class:`Split` as is.

    Raises
    ------
    DatasetError
        An unknown name, listing the presets.
    """
    if isinstance(split, Split):
        return split
    if isinstance(split, str) and split in SPLITS:
        return SPLITS[split]
    raise DatasetError(f"The 'split' parameter of make_splits must be a Split or one of {tuple(SPLITS)!r}. "
                       f"Got {split!r} instead.")


def make_splits(machine: Any, encoding: Any = "transitions", split: str | Split = "short-long", *,
                n_train: int | None = None, n_valid: int | None = None, n_test: int | None = None,
                random_state: Any = None, width: int | str | None = "auto", unique: bool = True,
                inputs: Any = None, alphabet: Any = None, max_steps: int | None = None, on_timeout: str = "error",
                max_tokens: int | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                progress: bool | None = False, backend: str = "numba") -> dict[str, Dataset]:
    """The parts of a split preset as datasets: ``{"train": ..., ("validation": ...,) "test": ...}``.

    Parameters
    ----------
    machine, encoding, inputs, alphabet, max_steps, on_timeout, chunk_size, progress, backend
        As in :func:`make_dataset` (``inputs`` must be a random sampler or a function; ``"exhaustive"`` works
        when the lengths are small).
    split : str or Split, default "short-long"
        A preset name (:data:`SPLITS`) or a :class:`Split`.
    n_train, n_valid, n_test : int, optional
        Override the preset's sizes.
    random_state : int, numpy Generator or None
        ``numpy.random.default_rng(random_state)`` draws one seed per part; each part's seed is in its
        provenance.
    width : "auto", int or None, default "auto"
        For a tableau-style encoding: ``"auto"`` measures every input of every part (the counting pass) and
        fixes one row width and left margin that fit them all, so short and long inputs share one layout;
        an int fixes the width (the left margin is then chosen per run); None lets every run choose its
        own. Ignored by ``transitions``, and by an encoding whose width is already fixed.
    unique : bool, default True
        Remove repeated inputs within a part (draw until ``n`` distinct ones). Across parts, inputs are
        ALWAYS disjoint: each part excludes every input of the parts drawn before it (train, validation,
        test).
    max_tokens : int, optional
        Refuse (before encoding anything) when all parts together hold more tokens (counted exactly).

    Returns
    -------
    dict of str to Dataset

    Examples
    --------
    >>> from tmsim import zoo
    >>> parts = make_splits(zoo.get("binary-addition"), "tableau", "short-long-small", n_train=50, n_test=20,
    ...                     random_state=0)
    >>> {k: (len(d), d.split) for k, d in parts.items()}
    {'train': (50, 'train'), 'test': (20, 'test')}
    >>> set(parts["train"].inputs) & set(parts["test"].inputs)
    set()
    >>> {int(w) for d in parts.values() for w in d.width}   # one layout for every length
    {32}
    """
    owner = "make_splits"
    sp = get_split(split)
    sizes = {"train": ("n_train", n_train), "validation": ("n_valid", n_valid), "test": ("n_test", n_test)}
    if n_valid is not None and sp.valid is None:
        raise DatasetError(f"The 'n_valid' parameter of {owner}: split {sp.name!r} has no validation part.")
    parts = [(name, lengths, n if sizes[name][1] is None else check_int(sizes[name][0], sizes[name][1], 0, owner))
             for name, lengths, n in sp.parts()]
    if not (width is None or width == "auto" or (isinstance(width, numbers.Integral) and not isinstance(width, bool))):
        raise DatasetError(f"The 'width' parameter of {owner} must be 'auto', an integer or None. Got {width!r}.")
    m, entry = resolve_machine(machine, owner)
    enc = resolve_encoding(encoding, width=width if isinstance(width, numbers.Integral) else None, entry=entry,
                           owner=owner)
    _, factory = seed_factory(random_state, owner)
    seeds = [int(s) for s in factory().integers(0, 1 << 63, size=len(parts), dtype=np.int64)]
    max_tokens = check_int("max_tokens", max_tokens, 0, owner, allow_none=True)
    chunk_size = check_int("chunk_size", chunk_size, 1, owner)
    # 1. Draw every part's inputs (small next to the traces), each excluding the inputs drawn before it.
    taken: set = set()
    plans, drawn = [], []
    for (name, lengths, n), seed in zip(parts, seeds):
        plan = make_plan(entry if entry is not None else m, enc, inputs=inputs, n=n, lengths=lengths, random_state=seed,
                     max_steps=max_steps, on_timeout=on_timeout, unique=unique, exclude=frozenset(taken),
                     alphabet=alphabet, width=None, split=name, backend=backend, owner=owner)
        mine: set = set()
        drawn.append(list(accepted_inputs(plan, plan.rng(), mine)))
        taken |= mine
        plans.append(plan)
    # 2. One layout for all parts: the widest left margin and the widest right part of any run.
    if width == "auto" and "width" in enc.params() and enc.width is None:
        free = dataclasses.replace(enc, width=None, left=None)
        lefts, rights = [0], [0]
        for plan, blocks in zip(plans, drawn):
            for cells, off in blocks:
                if len(off) > 1:
                    s = measure_cells(free, m, cells, off, plan.max_steps, backend)
                    lefts.append(int(s.lefts.max()))
                    rights.append(int((s.widths - s.lefts).max()))
        if max(rights):
            enc = dataclasses.replace(enc, width=max(lefts) + max(rights), left=max(lefts))
            plans = [dataclasses.replace(p, encoding=enc,
                                         provenance=dataclasses.replace(p.provenance, encoding=enc.spec))
                     for p in plans]
    # 3. The exact size, before any token is written.
    if max_tokens is not None:
        total = sum(int(measure_cells(p.encoding, m, c, o, p.max_steps, backend).lengths.sum())
                    for p, blocks in zip(plans, drawn) for c, o in blocks if len(o) > 1)
        if total > max_tokens:
            raise TokenBudgetError(f"{owner}: the parts of split {sp.name!r} would hold {total:,} tokens, more than "
                                   f"max_tokens={max_tokens:,}. Lower the sizes or lengths, or raise max_tokens.")
    out = {}
    for (name, _, _), plan, blocks in zip(parts, plans, drawn):
        chunks = list(encoded_chunks(plan, chunk_size, progress=progress, inputs=blocks))
        out[name] = concat(chunks) if chunks else empty_dataset(plan)
    return out
