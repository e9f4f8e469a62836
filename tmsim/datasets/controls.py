"""Negative controls on datasets: the same data with one ingredient broken, so that a claim measured on the
data can be shown to fail without it.

:func:`shuffle_cot` keeps every prompt, every length and the loss mask, and permutes the trained tokens (the
CoT and the answer) inside each sequence: the token statistics a learner sees stay the same, the order that
carries the computation is gone.

Examples
--------
>>> from tmsim import zoo
>>> from tmsim.datasets import make_dataset
>>> from tmsim.datasets.controls import shuffle_cot
>>> ds = make_dataset(zoo.get("parity"), "tableau-triples", n=20, lengths=(2, 6), width=10, random_state=0)
>>> bad = shuffle_cot(ds, random_state=0)
>>> bool((bad.lengths == ds.lengths).all()), bool((bad.kinds == ds.kinds).all()), bool((bad.tokens == ds.tokens).all())
(True, True, False)
>>> mask = ds.kinds > 0
>>> bool((bad.tokens[~mask] == ds.tokens[~mask]).all())    # prompts untouched
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .dataset import Dataset
from .errors import DatasetError

__all__ = ["shuffle_cot"]


def shuffle_cot(dataset: Dataset, random_state: Any = None) -> Dataset:
    """``dataset`` with the trained tokens of every sample permuted among themselves.

    Parameters
    ----------
    dataset : Dataset
        Its ``kinds > 0`` positions (CoT and answer, the loss mask) are permuted within each sample; the
        prompt tokens (``kinds == 0``), lengths, kinds and provenance stay.
    random_state : None, int or numpy.random.Generator
        One independent permutation per sample.

    Returns
    -------
    Dataset
        A new dataset, same shapes and dtypes (``tokens`` int32, shape ``(total_tokens,)``).

    Raises
    ------
    DatasetError
        ``dataset`` is not a :class:`Dataset`.
    """
    if not isinstance(dataset, Dataset):
        raise DatasetError(f"shuffle_cot: the 'dataset' parameter must be a tmsim.datasets.Dataset. "
                           f"Got {type(dataset).__name__}.")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    tokens = np.array(dataset.tokens, copy=True)
    mask = dataset.kinds > 0
    # one random key per trained token, sorted within its sample: a uniform permutation per sample
    sample_of = np.repeat(np.arange(len(dataset), dtype=np.int64), np.diff(dataset.offsets))
    where = np.flatnonzero(mask)
    order = np.lexsort((rng.random(where.size), sample_of[where]))
    tokens[where] = tokens[where[order]]
    return dataclasses.replace(dataset, tokens=tokens)
