"""Tokens -> dataset (files, shared): the formats, paths and columns of a dataset file, the writer base
class every format streams chunks through, the checksums that bind a JSONL file to its sidecar, and the row
decoding shared by the JSONL and Parquet loaders."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ...encodings import Vocabulary
from ...io import PendingFile, check_writable
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetError, DatasetFormatError
from ..provenance import Provenance

__all__ = ["FORMATS", "EXTENSIONS", "COLUMNS", "LEGACY_COLUMNS", "PROV_COLUMNS", "META_FORMAT", "META_VERSION",
           "MAX_GROUP_TOKENS", "IGNORE_INDEX", "format_for_path", "vocabulary_path", "target_path", "Writer",
           "groups", "read_sidecar", "check_meta", "meta_sources", "ragged_from_lists", "from_rows", "vocabulary_checksum",
           "meta_checksum", "hf_labels"]

FORMATS = ("npz", "jsonl", "parquet")
#: File extension (lower case) -> format.
EXTENSIONS = {".npz": "npz", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
#: Columns of the JSONL and Parquet rows (format version 2), in order (``token_names`` only when asked for; a
#: JSONL row ends with ``meta_checksum``, which binds it to the sidecar).
COLUMNS = ("input", "input_ids", "labels", "attention_mask", "tokens", "kinds", "token_names", "status", "steps",
           "index", "width", "left", "split", "source")
#: The columns of version 1 files (provenance repeated on every row), still read.
LEGACY_COLUMNS = ("input", "tokens", "kinds", "token_names", "status", "steps", "index", "width", "left", "split",
                  "seed", "machine_name", "machine_format", "machine", "encoding", "encoding_version",
                  "tmsim_version", "sampler", "max_steps")
PROV_COLUMNS = ("split", "seed", "machine_name", "machine_format", "machine", "encoding", "encoding_version",
                 "tmsim_version", "sampler", "max_steps")
META_FORMAT = "tmsim-dataset"
#: Version 2: Hugging Face columns, provenance once per file, the JSONL sidecar bound by a checksum.
META_VERSION = 2
READ_VERSIONS = (1, 2)
#: The label of a token that is not trained (the prompt), as PyTorch's and Hugging Face's losses ignore it.
IGNORE_INDEX = -100
# Row groups of a Parquet file / lines of JSONL are built at most this many tokens at a time (Arrow list
# offsets are int32).
MAX_GROUP_TOKENS = 1 << 28


# ---------------------------------------------------------------------------------------------- checksums
def _digest(doc: Any) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def vocabulary_checksum(vocabulary: Vocabulary) -> str:
    """16 hex digits of SHA-256 over the token names in id order: what token ids mean. A tokenizer file
    (:func:`~tmsim.datasets.save_tokenizer`) carries nothing else, so it is checked against this.

    Examples
    --------
    >>> vocabulary_checksum(Vocabulary(("<pad>", "s:0", "s:1")))
    '1f93cebace8ee5a6'
    """
    return _digest(list(vocabulary.tokens))


def meta_checksum(vocabulary: Vocabulary, sources: Sequence[Provenance]) -> str:
    """16 hex digits of SHA-256 over the vocabulary document and the provenance records of a file: every
    JSONL row carries it as ``meta_checksum``, and the loader recomputes it from the sidecar."""
    return _digest({"vocabulary": json.loads(vocabulary.to_json()), "sources": [s.to_dict() for s in sources]})


def hf_labels(tokens: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The Hugging Face ``labels`` of a token array: the token id where the loss mask trains it (``kinds >
    0``), :data:`IGNORE_INDEX` (-100) on the prompt. int32, the shape of ``tokens``."""
    return np.where(np.asarray(kinds) > 0, np.asarray(tokens, dtype=np.int32), np.int32(IGNORE_INDEX))


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
    device or FIFO written through); :meth:`finish` completes the data, :meth:`abort` removes it all.

    ``sources`` are the provenance records of the whole file, known before the first row (a JSONL row
    carries the checksum of the vocabulary and all of them); a chunk whose samples come from another
    source is refused."""

    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str,
                 sources: Sequence[Provenance]) -> None:
        self.target = target
        self.vocabulary = vocabulary
        self.token_names = token_names
        self.sources: list[Provenance] = list(dict.fromkeys(sources))
        self._where: dict[Provenance, int] = {s: i for i, s in enumerate(self.sources)}
        self.checksum = meta_checksum(vocabulary, self.sources)
        self.n = self.tokens = self.text = self.dropped = 0
        self.pending = PendingFile(target, what)

    def _codes(self, ds: Dataset) -> np.ndarray:
        remap = np.empty(len(ds.sources), dtype=np.int32)
        for i, s in enumerate(ds.sources):
            if s not in self._where:
                raise DatasetError(f"A chunk of {str(self.target)!r} has samples from a provenance the file did not "
                                   f"declare ({s.machine_name!r}, {s.encoding!r}, seed {s.seed!r}).")
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
                "n_tokens": self.tokens, "dropped": self.dropped, "sources": [s.to_dict() for s in self.sources],
                "vocabulary_checksum": vocabulary_checksum(self.vocabulary), "meta_checksum": self.checksum}

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
    """The vocabulary and the ``"dataset"`` record of the sidecar ``PATH.vocab.json``."""
    side = vocabulary_path(path)
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetFormatError(f"{owner}: the vocabulary sidecar {str(side)!r} of {str(path)!r} is missing; it is "
                                 f"written beside every JSONL dataset file.") from None
    except (OSError, ValueError, RecursionError) as e:
        raise DatasetFormatError(f"{owner}: cannot read the vocabulary sidecar {str(side)!r}: {e}.") from None
    try:
        vocab = Vocabulary.from_json(doc)
    except (ValueError, TypeError, KeyError) as e:
        raise DatasetFormatError(f"{owner}: {str(side)!r}: {e}") from None
    meta = doc.get("dataset", {}) if isinstance(doc, dict) else {}
    return vocab, meta if isinstance(meta, dict) else {}


def check_meta(meta: Any, path: Path, owner: str) -> dict:
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a tmsim dataset (no {META_FORMAT!r} record).")
    if meta.get("version") not in READ_VERSIONS:
        raise DatasetFormatError(f"{owner}: {str(path)!r} has dataset format version {meta.get('version')!r}; this "
                                 f"toolkit reads versions {', '.join(map(str, READ_VERSIONS))}.")
    return meta


def meta_sources(meta: dict, path: Path, owner: str) -> tuple[Provenance, ...]:
    """The provenance records of a version 2 file's dataset record."""
    recs = meta.get("sources")
    if not isinstance(recs, list):
        raise DatasetFormatError(f"{owner}: {str(path)!r}: the dataset record has no list of 'sources'.")
    try:
        return tuple(Provenance.from_dict(r) for r in recs)
    except (DatasetError, TypeError, KeyError, AttributeError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r}: a malformed provenance record ({e}).") from None


def ragged_from_lists(lists: list[list[int]], dtype) -> tuple[np.ndarray, np.ndarray]:
    lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    off = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat = np.fromiter((v for x in lists for v in x), dtype=dtype, count=int(off[-1]))
    return flat, off


def from_rows(path: Path, vocab: Vocabulary, meta: dict, inputs: list[str], tokens, tok_off, kinds,
               status: list, steps, index, width: list, left: list, owner: str, *, prov_cols: dict | None = None,
               source: Any = None, sources: tuple[Provenance, ...] = ()) -> Dataset:
    """A Dataset from decoded columns: a version 2 file gives ``source`` codes into ``sources`` (its dataset
    record); a version 1 file gives ``prov_cols``, the provenance columns of every row."""
    n = len(inputs)
    codes = {s: i for i, s in enumerate(STATUS_NAMES)}
    try:
        st = np.array([codes[s] for s in status], dtype=np.int8)
    except (KeyError, TypeError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r}: unknown status {e.args[0]!r}; expected one of "
                                 f"{STATUS_NAMES!r}.") from None
    raw = [x.encode("utf-8") for x in inputs]
    text = np.frombuffer(b"".join(raw), dtype=np.uint8).copy()
    toff = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, raw), dtype=np.int64, count=n), out=toff[1:])
    w = np.array([-1 if x is None else x for x in width], dtype=np.int64)
    lf = np.array([-1 if x is None else x for x in left], dtype=np.int64)
    if prov_cols is not None:
        # Version 1: one record per distinct combination of the provenance columns, in order of first use.
        where: dict[tuple, int] = {}
        src = np.empty(n, dtype=np.int32)
        for j, key in enumerate(zip(*(prov_cols[k] for k in PROV_COLUMNS))):
            c = where.get(key)
            if c is None:
                c = where[key] = len(where)
            src[j] = c
        sources = tuple(Provenance.from_dict(dict(zip(PROV_COLUMNS, key))) for key in where)
    else:
        src = np.asarray(source, dtype=np.int64)
        if src.size and (int(src.min()) < 0 or int(src.max()) >= len(sources)):
            raise DatasetFormatError(f"{owner}: {str(path)!r}: a row's 'source' must index the file's "
                                     f"{len(sources)} provenance records. Got {int(src.max())}.")
        src = src.astype(np.int32)
    return Dataset(tokens, kinds, tok_off, text, toff, st, np.asarray(steps, dtype=np.int64),
                   np.asarray(index, dtype=np.int64), w, lf, src, vocab, sources, int(meta.get("dropped", 0)))
