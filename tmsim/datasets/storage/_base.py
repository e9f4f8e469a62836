"""Tokens -> dataset (files, shared): the formats, paths and columns of a dataset file, the writer base
class every format streams chunks through, and the row decoding shared by the JSONL and Parquet loaders."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...encodings import Vocabulary
from ...io import PendingFile, check_writable
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetError, DatasetFormatError
from ..provenance import Provenance

__all__ = ["FORMATS", "EXTENSIONS", "COLUMNS", "PROV_COLUMNS", "META_FORMAT", "META_VERSION", "MAX_GROUP_TOKENS",
           "format_for_path", "vocabulary_path", "target_path", "Writer", "groups", "read_sidecar", "check_meta",
           "ragged_from_lists", "from_rows"]

FORMATS = ("npz", "jsonl", "parquet")
#: File extension (lower case) -> format.
EXTENSIONS = {".npz": "npz", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
#: Columns of the JSONL and Parquet rows, in order (``token_names`` only when asked for).
COLUMNS = ("input", "tokens", "kinds", "token_names", "status", "steps", "index", "width", "left", "split", "seed",
           "machine_name", "machine_format", "machine", "encoding", "encoding_version", "tmsim_version", "sampler",
           "max_steps")
PROV_COLUMNS = ("split", "seed", "machine_name", "machine_format", "machine", "encoding", "encoding_version",
                 "tmsim_version", "sampler", "max_steps")
META_FORMAT = "tmsim-dataset"
META_VERSION = 1
# Row groups of a Parquet file / lines of JSONL are built at most this many tokens at a time (Arrow list
# offsets are int32).
MAX_GROUP_TOKENS = 1 << 28


# ---------------------------------------------------------------------------------------------- paths
def format_for_path(path: str | os.PathLike, format: str | None = None, owner: str = "save") -> str:
    """The format of a dataset file: ``format`` if given, else from the extension.

    Examples
    --------
    >>> format_for_path("data/train.parquet"), format_for_path("x.bin", "npz")
    ('parquet', 'npz')
    """
    if format is not None:
        if isinstance(format, str) and format.lower() in FORMATS:
            return format.lower()
        raise DatasetError(f"The 'format' parameter of {owner} must be one of {FORMATS!r}. Got {format!r} instead.")
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise DatasetError(f"Cannot tell the dataset format of {str(path)!r} from its extension {suffix!r}: use one "
                           f"of {tuple(EXTENSIONS)!r}, or pass format= (one of {FORMATS!r}).")
    return EXTENSIONS[suffix]


def vocabulary_path(path: str | os.PathLike) -> Path:
    """The vocabulary sidecar of a dataset file: ``PATH.vocab.json``."""
    return Path(str(path) + ".vocab.json")


def target_path(path: Any, owner: str, what: str | None = None) -> Path:
    """``path`` as a Path, checked before any work (its directory exists; not a directory, socket or block
    device); ``what`` names it in messages (default: the 'path' parameter of ``owner``)."""
    if not isinstance(path, (str, os.PathLike)):
        raise DatasetError(f"The 'path' parameter of {owner} must be a path. Got {type(path).__name__}.")
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise DatasetError(f"The 'path' parameter of {owner}: the directory {str(parent.resolve())!r} of "
                           f"{str(path)!r} does not exist.")
    if target.is_dir():
        raise DatasetError(f"The 'path' parameter of {owner}: {str(path)!r} is a directory.")
    check_writable(target, what or f"The 'path' parameter of {owner}")  # a socket or block device: refused now
    return target



# ---------------------------------------------------------------------------------------------- writers
class Writer:
    """Appends dataset chunks to a :class:`~tmsim.io.PendingFile` (a temporary file beside the target, or a
    device or FIFO written through); :meth:`finish` completes the data, :meth:`abort` removes it all."""

    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        self.target = target
        self.vocabulary = vocabulary
        self.token_names = token_names
        self.sources: list[Provenance] = []
        self._where: dict[Provenance, int] = {}
        self.n = self.tokens = self.text = self.dropped = 0
        self.pending = PendingFile(target, what)

    def _codes(self, ds: Dataset) -> np.ndarray:
        remap = np.empty(len(ds.sources), dtype=np.int32)
        for i, s in enumerate(ds.sources):
            if s not in self._where:
                self._where[s] = len(self.sources)
                self.sources.append(s)
            remap[i] = self._where[s]
        return remap[ds.source] if len(ds) else np.zeros(0, np.int32)

    def write(self, ds: Dataset) -> None:
        if ds.vocabulary != self.vocabulary:
            raise DatasetError("All chunks of a dataset file must share one vocabulary.")
        codes = self._codes(ds)
        self._write(ds, codes)
        self.n += len(ds)
        self.tokens += ds.n_tokens
        self.text += len(ds.input_text)
        self.dropped += ds.dropped

    def meta(self, fmt: str) -> dict:
        return {"format": META_FORMAT, "version": META_VERSION, "data_format": fmt, "n_samples": self.n,
                "n_tokens": self.tokens, "dropped": self.dropped, "sources": [s.to_dict() for s in self.sources]}

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        self.pending.abort()


def groups(ds: Dataset) -> list[tuple[int, int]]:
    """Consecutive sample ranges of at most ``MAX_GROUP_TOKENS`` tokens (one sample may exceed it alone)."""
    n = len(ds)
    if ds.n_tokens <= MAX_GROUP_TOKENS:
        return [(0, n)] if n else []
    out, lo = [], 0
    off = ds.offsets
    while lo < n:
        hi = int(np.searchsorted(off, off[lo] + MAX_GROUP_TOKENS, side="right")) - 1
        hi = max(hi, lo + 1)
        out.append((lo, min(hi, n)))
        lo = min(hi, n)
    return out


# ---------------------------------------------------------------------------------------------- loading
def read_sidecar(path: Path, owner: str) -> tuple[Vocabulary, dict]:
    side = vocabulary_path(path)
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetFormatError(f"{owner}: the vocabulary sidecar {str(side)!r} of {str(path)!r} is missing; it is "
                                 f"written beside every dataset file.") from None
    except (OSError, ValueError) as e:
        raise DatasetFormatError(f"{owner}: cannot read the vocabulary sidecar {str(side)!r}: {e}.") from None
    try:
        vocab = Vocabulary.from_json(doc)
    except ValueError as e:
        raise DatasetFormatError(f"{owner}: {str(side)!r}: {e}") from None
    return vocab, doc.get("dataset", {}) if isinstance(doc, dict) else {}


def check_meta(meta: Any, path: Path, owner: str) -> dict:
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a tmsim dataset (no {META_FORMAT!r} record).")
    if meta.get("version") != META_VERSION:
        raise DatasetFormatError(f"{owner}: {str(path)!r} has dataset format version {meta.get('version')!r}; this "
                                 f"toolkit reads version {META_VERSION}.")
    return meta



def ragged_from_lists(lists: list[list[int]], dtype) -> tuple[np.ndarray, np.ndarray]:
    lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    off = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat = np.fromiter((v for x in lists for v in x), dtype=dtype, count=int(off[-1]))
    return flat, off


def from_rows(path: Path, vocab: Vocabulary, meta: dict, inputs: list[str], tokens, tok_off, kinds,
               status: list, steps, index, width: list, left: list, prov_cols: dict, owner: str) -> Dataset:
    n = len(inputs)
    codes = {s: i for i, s in enumerate(STATUS_NAMES)}
    try:
        st = np.array([codes[s] for s in status], dtype=np.int8)
    except KeyError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r}: unknown status {e.args[0]!r}; expected one of "
                                 f"{STATUS_NAMES!r}.") from None
    raw = [x.encode("utf-8") for x in inputs]
    text = np.frombuffer(b"".join(raw), dtype=np.uint8).copy()
    toff = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, raw), dtype=np.int64, count=n), out=toff[1:])
    w = np.array([-1 if x is None else x for x in width], dtype=np.int64)
    lf = np.array([-1 if x is None else x for x in left], dtype=np.int64)
    # Provenance: one record per distinct combination of the provenance columns, in order of first use.
    where: dict[tuple, int] = {}
    src = np.empty(n, dtype=np.int32)
    for j, key in enumerate(zip(*(prov_cols[k] for k in PROV_COLUMNS))):
        c = where.get(key)
        if c is None:
            c = where[key] = len(where)
        src[j] = c
    sources = tuple(Provenance.from_dict(dict(zip(PROV_COLUMNS, key))) for key in where)
    return Dataset(tokens, kinds, tok_off, text, toff, st, np.asarray(steps, dtype=np.int64),
                   np.asarray(index, dtype=np.int64), w, lf, src, vocab, sources, int(meta.get("dropped", 0)))
