"""Tokens -> dataset (files): :func:`save` and :func:`load_dataset` in three formats, and
:func:`write_dataset`, which generates a large dataset chunk by chunk straight to disk.

Every write is atomic: the data goes to a temporary file in the target's directory (an ``.npz`` streams
its members through a temporary ``.parts`` directory there), is ``fsync``-ed and renamed over the target;
on any error, Ctrl-C included, the temporary files are removed and no new file is left behind. The same
seed gives byte-identical files (no timestamps anywhere).

The machine, the vocabulary and the provenance are stored once per file (format version 2): inside an npz
(its ``meta`` member) and a Parquet file (schema and file metadata), which therefore need nothing beside
them; a JSONL file, which Hugging Face ``datasets.load_dataset("json")`` reads row by row, keeps them in the
sidecar ``PATH.vocab.json`` (:meth:`Vocabulary.to_json` plus a ``"dataset"`` record: counts, provenance
records, checksums), and every row carries ``meta_checksum``, the checksum of the sidecar's vocabulary and
provenance (:func:`~._base.meta_checksum`). The loader recomputes it and refuses, in one line, a data file
and a sidecar of different writes (a pair renamed separately, copied from elsewhere, or seen half-replaced
by a concurrent reader). Files of version 1 (provenance columns on every row) still load.

``npz`` (``numpy.load(path)`` reads it, no pickle)
    One member per array of :class:`Dataset` (``tokens``, ``kinds``, ``offsets``, ``input_text``,
    ``input_offsets``, ``status``, ``steps``, ``index``, ``width``, ``left``, ``source``) and ``meta``, a 0-d
    string array holding JSON: ``{"format": "tmsim-dataset", "version": 2, "vocabulary": {...}, "sources":
    [...], "dropped": ..., ...}``. Uncompressed (fast; tokens are 4 bytes each).

``jsonl`` and ``parquet`` (Hugging Face ``datasets.load_dataset("json" | "parquet", data_files=PATH)``)
    One row per sample, columns in this order:

    =====================  ===============  =====================================================
    column                 type             meaning
    =====================  ===============  =====================================================
    ``input``              string           the input, over the machine's input symbols
    ``input_ids``          list of int32    token ids (the same as ``tokens``: the Hugging Face name)
    ``labels``             list of int32    the token id where the loss mask trains it, -100 on the
                                            prompt (PyTorch's ``ignore_index``; a causal LM shifts)
    ``attention_mask``     list of int8     all 1 (a row has no padding; :func:`collate` pads)
    ``tokens``             list of int32    token ids (names: the vocabulary)
    ``kinds``              list of uint8    0 prompt, 1 CoT, 2 answer; the loss mask is kinds > 0
    ``token_names``        list of string   only with ``token_names=True``
    ``status``             string           halted, undefined, step_limit or tape_limit
    ``steps``              int64            steps of the run
    ``index``              int64            position in the sampler's stream
    ``width``, ``left``    int64 or null    tableau row width and left margin (null otherwise)
    ``split``              string or null   train, validation, test, ... (also in the provenance)
    ``source``             int32            index of the sample's provenance record in the file's
                                            dataset record (machine, encoding, seed, sampler, ...)
    ``meta_checksum``      string           JSONL only: binds the row to its sidecar
    =====================  ===============  =====================================================

    A Parquet file carries the vocabulary in its schema metadata (key ``tmsim.vocabulary``) and the
    dataset record in its file metadata (``tmsim.dataset``); one row group per chunk; zstd compression.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ...encodings import Vocabulary
from ...io import PendingFile
from .._plan import DEFAULT_CHUNK_SIZE, Estimate, check_budget, check_int, encoded_chunks, estimate_plan, make_plan
from ..dataset import Dataset
from ..errors import DatasetError, DatasetFormatError
from ..provenance import Provenance
from ._base import (COLUMNS, EXTENSIONS, FORMATS, IGNORE_INDEX, Writer, format_for_path, groups, meta_checksum,
                    target_path, vocabulary_checksum, vocabulary_path)
from .hf import collate, load_tokenizer, save_tokenizer, tokenizer_path
from .jsonl import JsonlWriter, load_jsonl
from .npz import NpzWriter, load_npz
from .parquet import ParquetWriter, load_parquet

__all__ = ["save", "load_dataset", "write_dataset", "WriteSummary", "FORMATS", "EXTENSIONS", "format_for_path",
           "vocabulary_path", "COLUMNS", "IGNORE_INDEX", "collate", "save_tokenizer", "load_tokenizer", "tokenizer_path",
           "vocabulary_checksum", "meta_checksum"]

_WRITERS = {"npz": NpzWriter, "jsonl": JsonlWriter, "parquet": ParquetWriter}


def _write_atomic(target: Path, fmt: str, vocabulary: Vocabulary, sources: Sequence[Provenance],
                  chunks: Iterable[Dataset], token_names: bool, what: str) -> Writer:
    """Write every chunk, then rename the sidecar (JSONL) and the data into place; on any error leave nothing.

    A character device or FIFO gets the data only (written through; no sidecar is created beside it: the
    npz and Parquet formats carry the vocabulary inside)."""
    writer = _WRITERS[fmt](target, vocabulary, token_names, what, sources)
    side: PendingFile | None = None
    try:
        for ds in chunks:
            writer.write(ds)
        writer.finish()
        if fmt == "jsonl" and not writer.pending.through:
            doc = {**json.loads(vocabulary.to_json()), "dataset": writer.meta(fmt)}
            side = PendingFile(vocabulary_path(target), what)
            side.open("wb").write((json.dumps(doc, indent=1) + "\n").encode("utf-8"))
            side.commit()
        writer.pending.commit()
    except BaseException:
        writer.abort()
        if side is not None:
            side.abort()
        raise
    return writer


# ---------------------------------------------------------------------------------------------- public
def save(dataset: Dataset, path: str | os.PathLike, format: str | None = None, *, token_names: bool = False,
         what: str | None = None) -> Path:
    """Write ``dataset`` to ``path`` atomically (a JSONL file with its sidecar ``PATH.vocab.json``).

    Parameters
    ----------
    dataset : Dataset
    path : str or path-like
        Its directory must exist.
    format : {"npz", "jsonl", "parquet"}, optional
        Default: from the extension (``.npz``, ``.jsonl``/``.ndjson``, ``.parquet``/``.pq``).
    token_names : bool, default False
        Add a ``token_names`` column (JSONL and Parquet).
    what : str, optional
        How error messages name ``path`` (a CLI passes its flag, ``"--out"``).

    Returns
    -------
    Path

    Raises
    ------
    DatasetError
        A missing directory, an unknown format or extension.
    OSError
        The file cannot be written (nothing is left behind).

    Examples
    --------
    >>> import os, tempfile
    >>> from tmsim import zoo
    >>> from tmsim.datasets import make_dataset
    >>> ds = make_dataset(zoo.get("parity"), "tableau", n=20, lengths=(1, 6), random_state=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     same = [load_dataset(save(ds, os.path.join(d, "p." + f))) == ds for f in ("npz", "jsonl", "parquet")]
    ...     files = sorted(os.listdir(d))
    >>> same, files[:2]
    ([True, True, True], ['p.jsonl', 'p.jsonl.vocab.json'])
    """
    owner = "save"
    if not isinstance(dataset, Dataset):
        raise DatasetError(f"The 'dataset' parameter of {owner} must be a Dataset. Got {type(dataset).__name__}.")
    fmt = format_for_path(path, format, owner)
    target = target_path(path, owner, what)
    chunks = (dataset[lo:hi] for lo, hi in groups(dataset)) if fmt != "npz" else [dataset]
    _write_atomic(target, fmt, dataset.vocabulary, dataset.sources, chunks, bool(token_names),
                  what or f"The 'path' parameter of {owner}")
    return target


@dataclass(frozen=True)
class WriteSummary:
    """What :func:`write_dataset` wrote.

    Attributes
    ----------
    path : Path
    format : str
    n_samples, n_tokens, dropped : int
    n_bytes : int
        Size of the data file.
    seed : int or None
        The seed of the inputs (drawn and recorded when none was given).
    estimate : Estimate
        The size estimated before generating.
    """

    path: Path
    format: str
    n_samples: int
    n_tokens: int
    dropped: int
    n_bytes: int
    seed: int | None
    estimate: Estimate

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "estimate"}
        d["path"] = str(self.path)
        d["estimated_tokens"] = self.estimate.n_tokens
        return d


def write_dataset(machine: Any, encoding: Any, path: str | os.PathLike, *, format: str | None = None,
                  inputs: Any = None, n: int | None = None, lengths: Any = None, random_state: Any = None,
                  max_steps: int | None = None, on_timeout: str = "error", unique: bool = False,
                  exclude: Any = None, alphabet: Any = None, width: int | None = None, split: str | None = None,
                  chunk_size: int = DEFAULT_CHUNK_SIZE, max_tokens: int | None = None, progress: bool | None = None,
                  token_names: bool = False, on_estimate: Callable[[Estimate], None] | None = None,
                  backend: str = "numba", what: str | None = None) -> WriteSummary:
    """Generate a dataset chunk by chunk straight into a file: :func:`make_dataset` with bounded memory.

    Each chunk of ``chunk_size`` samples is encoded (one compiled call) and appended to a temporary file
    (npz: one raw file per member, assembled at the end; JSONL: lines; Parquet: one row group), which is
    renamed over ``path`` when complete. Ctrl-C, a full disk or any error leaves no new file behind. The
    file equals ``save(make_dataset(...), path)`` with the same arguments, and does not depend on
    ``chunk_size`` (except the row groups of a Parquet file).

    Parameters
    ----------
    machine, encoding, inputs, n, lengths, random_state, max_steps, on_timeout, unique, exclude, alphabet
        As in :func:`make_dataset`; so are ``width``, ``split`` and ``backend``.
    path : str or path-like
    format : {"npz", "jsonl", "parquet"}, optional
        Default: from the extension.
    chunk_size : int, default DEFAULT_CHUNK_SIZE
        Samples in memory at a time.
    max_tokens : int, optional
        Refuse before generating when the estimate exceeds it; abort (leaving nothing) if the dataset
        outgrows it anyway.
    progress : bool or None, default None
        tqdm progress bar on stderr; None shows it only on a terminal.
    token_names : bool, default False
        Add a ``token_names`` column (JSONL and Parquet).
    on_estimate : callable, optional
        Called with the :class:`Estimate` before generating, once it is within ``max_tokens`` (the CLI
        prints it).
    what : str, optional
        How error messages name ``path`` (a CLI passes its flag, ``"--out"``).

    Returns
    -------
    WriteSummary

    Examples
    --------
    >>> import os, tempfile
    >>> from tmsim import zoo
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_dataset(zoo.get("binary-addition"), "transitions", os.path.join(d, "add.parquet"), n=1000,
    ...                         lengths=(3, 12), random_state=0, chunk_size=256)
    ...     back = load_dataset(out.path)
    >>> out.n_samples, out.n_tokens == back.n_tokens == out.estimate.n_tokens, len(back)
    (1000, True, 1000)
    """
    owner = "write_dataset"
    fmt = format_for_path(path, format, owner)
    target = target_path(path, owner, what)
    plan = make_plan(machine, encoding, inputs=inputs, n=n, lengths=lengths, random_state=random_state,
                 max_steps=max_steps, on_timeout=on_timeout, unique=unique, exclude=exclude, alphabet=alphabet,
                 width=width, split=split, backend=backend, owner=owner)
    chunk_size = check_int("chunk_size", chunk_size, 1, owner)
    max_tokens = check_int("max_tokens", max_tokens, 0, owner, allow_none=True)
    est = estimate_plan(plan)
    check_budget(plan, est, max_tokens, fmt)
    if on_estimate is not None:
        on_estimate(est)
    chunks = encoded_chunks(plan, chunk_size, max_tokens=max_tokens, progress=progress)
    try:
        w = _write_atomic(target, fmt, plan.encoding.vocabulary(plan.machine), (plan.provenance,), chunks,
                          bool(token_names),
                          what or f"The 'path' parameter of {owner}")
    finally:
        chunks.close()
    return WriteSummary(target, fmt, w.n, w.tokens, w.dropped, target.stat().st_size, plan.provenance.seed, est)



def load_dataset(path: str | os.PathLike, format: str | None = None) -> Dataset:
    """Read a dataset written by :func:`save` or :func:`write_dataset` (exactly what was saved).

    Parameters
    ----------
    path : str or path-like
    format : {"npz", "jsonl", "parquet"}, optional
        Default: from the extension.

    Raises
    ------
    DatasetFormatError
        An unknown extension, a missing vocabulary sidecar (JSONL), or a file that is not a tmsim dataset.
    OSError
        The file cannot be read.
    """
    owner = "load_dataset"
    fmt = format_for_path(path, format, owner)
    p = Path(path)
    if not p.is_file():
        raise DatasetFormatError(f"{owner}: no such file {str(p)!r}.")
    return {"npz": load_npz, "jsonl": load_jsonl, "parquet": load_parquet}[fmt](p, owner)
