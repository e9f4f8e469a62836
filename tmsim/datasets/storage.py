"""Tokens -> dataset (files): :func:`save` and :func:`load_dataset` in three formats, and
:func:`write_dataset`, which generates a large dataset chunk by chunk straight to disk.

Every write is atomic: the data goes to a temporary file in the target's directory (an ``.npz`` streams
its members through a temporary ``.parts`` directory there), is ``fsync``-ed and renamed over the target;
on any error, Ctrl-C included, the temporary files are removed and no new file is left behind. The same
seed gives byte-identical files (no timestamps anywhere). Beside every file goes ``PATH.vocab.json``: the
vocabulary (:meth:`Vocabulary.to_json`, readable by :meth:`Vocabulary.from_json`) plus a ``"dataset"``
record (sample and token counts, dropped runs, provenance records).

``npz`` (``numpy.load(path)`` reads it, no pickle)
    One member per array of :class:`Dataset` (``tokens``, ``kinds``, ``offsets``, ``input_text``,
    ``input_offsets``, ``status``, ``steps``, ``index``, ``width``, ``left``, ``source``) and ``meta``, a 0-d
    string array holding JSON: ``{"format": "tmsim-dataset", "version": 1, "vocabulary": {...}, "sources":
    [...], "dropped": ..., ...}``. Uncompressed (fast; tokens are 4 bytes each).

``jsonl`` and ``parquet`` (Hugging Face ``datasets.load_dataset("json" | "parquet", data_files=PATH)``)
    One row per sample, columns in this order:

    =====================  ===============  =====================================================
    column                 type             meaning
    =====================  ===============  =====================================================
    ``input``              string           the input, over the machine's input symbols
    ``tokens``             list of int32    token ids (names: the vocabulary sidecar)
    ``kinds``              list of uint8    0 prompt, 1 CoT, 2 answer; the loss mask is kinds > 0
    ``token_names``        list of string   only with ``token_names=True``
    ``status``             string           halted, undefined, step_limit or tape_limit
    ``steps``              int64            steps of the run
    ``index``              int64            position in the sampler's stream
    ``width``, ``left``    int64 or null    tableau row width and left margin (null otherwise)
    ``split``              string or null   train, valid, test, ...
    ``seed``               int64 or null    the seed of ``numpy.random.default_rng``
    ``machine_name``       string
    ``machine_format``     string           standard or json
    ``machine``            string           the machine in that format
    ``encoding``           string           the encoding spec (``tableau(width=24)``)
    ``encoding_version``   int64
    ``tmsim_version``      string
    ``sampler``            string           how the inputs were drawn
    ``max_steps``          int64            the step budget
    =====================  ===============  =====================================================

    A Parquet file also carries the vocabulary in its schema metadata (key ``tmsim.vocabulary``) and the
    dataset record in its file metadata (``tmsim.dataset``); one row group per chunk; zstd compression.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from ..encodings import Vocabulary
from ..io import PendingFile, check_writable
# The generation engine shared with make_dataset and make_splits, under the short names used below.
from ._plan import DEFAULT_CHUNK_SIZE, Estimate
from ._plan import check_budget as _check_budget
from ._plan import check_int as _check_int
from ._plan import encoded_chunks as _chunks
from ._plan import estimate_plan as _estimate
from ._plan import make_plan as _plan
from .dataset import _ARRAYS, STATUS_NAMES, Dataset
from .errors import DatasetError, DatasetFormatError
from .provenance import Provenance

__all__ = ["save", "load_dataset", "write_dataset", "WriteSummary", "FORMATS", "EXTENSIONS", "format_for_path",
           "vocabulary_path", "COLUMNS"]

FORMATS = ("npz", "jsonl", "parquet")
#: File extension (lower case) -> format.
EXTENSIONS = {".npz": "npz", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
#: Columns of the JSONL and Parquet rows, in order (``token_names`` only when asked for).
COLUMNS = ("input", "tokens", "kinds", "token_names", "status", "steps", "index", "width", "left", "split", "seed",
           "machine_name", "machine_format", "machine", "encoding", "encoding_version", "tmsim_version", "sampler",
           "max_steps")
_PROV_COLUMNS = ("split", "seed", "machine_name", "machine_format", "machine", "encoding", "encoding_version",
                 "tmsim_version", "sampler", "max_steps")
_META_FORMAT = "tmsim-dataset"
_META_VERSION = 1
_NPZ_MEMBERS = tuple(_ARRAYS)  # member order of an .npz
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same data, same bytes
_COPY_BLOCK = 1 << 24
# Row groups of a Parquet file / lines of JSONL are built at most this many tokens at a time (Arrow list
# offsets are int32).
_MAX_GROUP_TOKENS = 1 << 28


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


def _target(path: Any, owner: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise DatasetError(f"The 'path' parameter of {owner} must be a path. Got {type(path).__name__}.")
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise DatasetError(f"The 'path' parameter of {owner}: the directory {str(parent.resolve())!r} of "
                           f"{str(path)!r} does not exist.")
    if target.is_dir():
        raise DatasetError(f"The 'path' parameter of {owner}: {str(path)!r} is a directory.")
    check_writable(target, f"The 'path' parameter of {owner}")  # a socket or block device: refused up front
    return target


# ---------------------------------------------------------------------------------------------- writers
class _Writer:
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
        return {"format": _META_FORMAT, "version": _META_VERSION, "data_format": fmt, "n_samples": self.n,
                "n_tokens": self.tokens, "dropped": self.dropped, "sources": [s.to_dict() for s in self.sources]}

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        self.pending.abort()


def _npy_header(dtype: np.dtype, count: int | tuple) -> bytes:
    buf = io.BytesIO()
    shape = (count,) if isinstance(count, int) else count
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _zip_member(zf: zipfile.ZipFile, name: str, header: bytes, chunks: Iterable) -> None:
    info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    with zf.open(info, "w", force_zip64=True) as f:
        f.write(header)
        for c in chunks:
            f.write(c)


def _meta_array(meta: dict) -> tuple[bytes, bytes]:
    text = json.dumps(meta, separators=(",", ":"))
    arr = np.array(text)
    return _npy_header(arr.dtype, ()), arr.tobytes()


class _NpzWriter(_Writer):
    """Streams every member to a raw file in a temporary ``.parts`` directory, then assembles the zip."""

    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        super().__init__(target, vocabulary, token_names, what)
        self.parts = self.pending.scratch_directory()
        self.files = {k: open(self.parts / k, "wb") for k in _NPZ_MEMBERS}
        for k in ("offsets", "input_offsets"):
            self.files[k].write(np.zeros(1, np.int64).tobytes())

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        f = self.files
        f["tokens"].write(ds.tokens.tobytes())
        f["kinds"].write(ds.kinds.tobytes())
        f["offsets"].write((ds.offsets[1:] + self.tokens).tobytes())
        f["input_text"].write(ds.input_text.tobytes())
        f["input_offsets"].write((ds.input_offsets[1:] + self.text).tobytes())
        for k in ("status", "steps", "index", "width", "left"):
            f[k].write(getattr(ds, k).tobytes())
        f["source"].write(codes.astype(np.int32).tobytes())

    def finish(self) -> None:
        for fh in self.files.values():
            fh.close()
        counts = {"tokens": self.tokens, "kinds": self.tokens, "offsets": self.n + 1, "input_text": self.text,
                  "input_offsets": self.n + 1}
        meta = {**self.meta("npz"), "vocabulary": json.loads(self.vocabulary.to_json())}
        raw = self.pending.open("wb")
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for k in _NPZ_MEMBERS:
                def blocks(path=self.parts / k):
                    with open(path, "rb") as fh:
                        while True:
                            b = fh.read(_COPY_BLOCK)
                            if not b:
                                return
                            yield b
                _zip_member(zf, k, _npy_header(_ARRAYS[k][0], counts.get(k, self.n)), blocks())
            h, body = _meta_array(meta)
            _zip_member(zf, "meta", h, [body])

    def abort(self) -> None:
        for fh in self.files.values():
            try:
                fh.close()
            except OSError:
                pass
        super().abort()


def _json_words(words: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """A lookup table of JSON texts (each followed by a comma): uint8 (len(words), width) and lengths."""
    lens = np.array([len(w) + 1 for w in words], dtype=np.int64)
    table = np.zeros((len(words), int(lens.max()) if len(words) else 1), dtype=np.uint8)
    for i, w in enumerate(words):
        table[i, :len(w) + 1] = np.frombuffer(w + b",", dtype=np.uint8)
    return table, lens


def _json_lists(values: np.ndarray, offsets: np.ndarray, table: np.ndarray, lens: np.ndarray) -> list[bytes]:
    """Every row of a ragged array of small ints as JSON list text (vectorised through a lookup table)."""
    per = lens[values]
    ends = np.cumsum(per)
    starts = ends - per
    out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.uint8)
    for d in range(table.shape[1]):
        sel = per > d
        if not sel.any():
            break
        out[starts[sel] + d] = table[values[sel], d]
    buf = out.tobytes()
    pos = np.concatenate([[0], ends])[offsets].tolist()
    return [b"[" + buf[a:b - 1] + b"]" if b > a else b"[]" for a, b in zip(pos[:-1], pos[1:])]


def _prov_fields(p: Provenance) -> dict:
    return {k: getattr(p, k) for k in _PROV_COLUMNS}


class _JsonlWriter(_Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        super().__init__(target, vocabulary, token_names, what)
        self.fh = self.pending.open("wb")
        self.ids = _json_words([str(i).encode() for i in range(len(vocabulary))])
        self.kinds = _json_words([b"0", b"1", b"2"])
        self.names = _json_words([json.dumps(t).encode() for t in vocabulary.tokens]) if token_names else None
        self.frags: dict[Provenance, bytes] = {}

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in _groups(ds):
            part = ds[lo:hi]
            self.fh.write(b"".join(self._lines(part)))

    def _lines(self, ds: Dataset) -> list[bytes]:
        toks = _json_lists(ds.tokens, ds.offsets, *self.ids)
        kinds = _json_lists(ds.kinds, ds.offsets, *self.kinds)
        names = _json_lists(ds.tokens, ds.offsets, *self.names) if self.names is not None else None
        frags = []
        for s in ds.sources:
            if s not in self.frags:
                self.frags[s] = json.dumps(_prov_fields(s), separators=(",", ":"))[1:-1].encode()
            frags.append(self.frags[s])
        status = [f'"{s}"'.encode() for s in STATUS_NAMES]
        lines = []
        for j, (inp, st, steps, idx, w, left, src) in enumerate(zip(
                ds.inputs, ds.status.tolist(), ds.steps.tolist(), ds.index.tolist(), ds.width.tolist(),
                ds.left.tolist(), ds.source.tolist())):
            wl = b'"width":null,"left":null' if w < 0 else f'"width":{w},"left":{left}'.encode()
            parts = [b'{"input":', json.dumps(inp).encode(), b',"tokens":', toks[j], b',"kinds":', kinds[j]]
            if names is not None:
                parts += [b',"token_names":', names[j]]
            parts += [b',"status":', status[st], f',"steps":{steps},"index":{idx},'.encode(), wl, b",",
                      frags[src], b"}\n"]
            lines.append(b"".join(parts))
        return lines

    def finish(self) -> None:
        pass  # PendingFile.commit flushes, fsyncs and closes


def _groups(ds: Dataset) -> list[tuple[int, int]]:
    """Consecutive sample ranges of at most ``_MAX_GROUP_TOKENS`` tokens (one sample may exceed it alone)."""
    n = len(ds)
    if ds.n_tokens <= _MAX_GROUP_TOKENS:
        return [(0, n)] if n else []
    out, lo = [], 0
    off = ds.offsets
    while lo < n:
        hi = int(np.searchsorted(off, off[lo] + _MAX_GROUP_TOKENS, side="right")) - 1
        hi = max(hi, lo + 1)
        out.append((lo, min(hi, n)))
        lo = min(hi, n)
    return out


def _arrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is installed wherever Parquet is used
        raise DatasetError("The Parquet format needs pyarrow: pip install pyarrow.") from None
    return pa, pq


def _arrow_schema(token_names: bool, vocabulary: Vocabulary):
    pa, _ = _arrow()
    cols = [("input", pa.string()), ("tokens", pa.list_(pa.int32())), ("kinds", pa.list_(pa.uint8()))]
    if token_names:
        cols.append(("token_names", pa.list_(pa.string())))
    cols += [("status", pa.string()), ("steps", pa.int64()), ("index", pa.int64()), ("width", pa.int64()),
             ("left", pa.int64()), ("split", pa.string()), ("seed", pa.int64()), ("machine_name", pa.string()),
             ("machine_format", pa.string()), ("machine", pa.string()), ("encoding", pa.string()),
             ("encoding_version", pa.int64()), ("tmsim_version", pa.string()), ("sampler", pa.string()),
             ("max_steps", pa.int64())]
    return pa.schema(cols, metadata={b"tmsim.vocabulary": vocabulary.to_json().encode()})


class _ParquetWriter(_Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        super().__init__(target, vocabulary, token_names, what)
        pa, pq = _arrow()
        self.schema = _arrow_schema(token_names, vocabulary)
        self.names = pa.array(vocabulary.tokens, type=pa.string())
        self.writer = pq.ParquetWriter(self.pending.open("wb"), self.schema, compression="zstd")

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in _groups(ds):
            self.writer.write_table(self._table(ds[lo:hi]), row_group_size=max(hi - lo, 1))

    def _table(self, ds: Dataset):
        pa, _ = _arrow()
        n = len(ds)
        off32 = pa.array(ds.offsets.astype(np.int32))
        cols = {
            "input": pa.StringArray.from_buffers(n, pa.py_buffer(ds.input_offsets.astype(np.int32).tobytes()),
                                                 pa.py_buffer(ds.input_text.tobytes())),
            "tokens": pa.ListArray.from_arrays(off32, pa.array(ds.tokens, type=pa.int32())),
            "kinds": pa.ListArray.from_arrays(off32, pa.array(ds.kinds, type=pa.uint8())),
        }
        if self.token_names:
            cols["token_names"] = pa.ListArray.from_arrays(off32, self.names.take(pa.array(ds.tokens)))
        src = pa.array(ds.source)
        cols.update({
            "status": pa.array(STATUS_NAMES, type=pa.string()).take(pa.array(ds.status.astype(np.int32))),
            "steps": pa.array(ds.steps), "index": pa.array(ds.index),
            "width": pa.array(ds.width, mask=ds.width < 0), "left": pa.array(ds.left, mask=ds.width < 0),
        })
        for k in _PROV_COLUMNS:
            typ = self.schema.field(k).type
            cols[k] = pa.array([getattr(s, k) for s in ds.sources], type=typ).take(src)
        return pa.Table.from_arrays([cols[f.name] for f in self.schema], schema=self.schema)

    def finish(self) -> None:
        self.writer.add_key_value_metadata({"tmsim.dataset": json.dumps(self.meta("parquet"), separators=(",", ":"))})
        self.writer.close()  # leaves the file to PendingFile.commit (a file object, not a path, was given)

    def abort(self) -> None:
        try:
            self.writer.close()
        except Exception:
            pass
        super().abort()


_WRITERS = {"npz": _NpzWriter, "jsonl": _JsonlWriter, "parquet": _ParquetWriter}


def _write_atomic(target: Path, fmt: str, vocabulary: Vocabulary, chunks: Iterable[Dataset],
                  token_names: bool, what: str) -> _Writer:
    """Write every chunk, then rename the sidecar and the data into place; on any error leave nothing.

    A character device or FIFO gets the data only (written through; no sidecar is created beside it: the
    npz and Parquet formats carry the vocabulary inside)."""
    writer = _WRITERS[fmt](target, vocabulary, token_names, what)
    side: PendingFile | None = None
    try:
        for ds in chunks:
            writer.write(ds)
        writer.finish()
        if not writer.pending.through:
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
def save(dataset: Dataset, path: str | os.PathLike, format: str | None = None, *, token_names: bool = False) -> Path:
    """Write ``dataset`` to ``path`` atomically, with the vocabulary sidecar ``PATH.vocab.json``.

    Parameters
    ----------
    dataset : Dataset
    path : str or path-like
        Its directory must exist.
    format : {"npz", "jsonl", "parquet"}, optional
        Default: from the extension (``.npz``, ``.jsonl``/``.ndjson``, ``.parquet``/``.pq``).
    token_names : bool, default False
        Add a ``token_names`` column (JSONL and Parquet).

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
    target = _target(path, owner)
    chunks = (dataset[lo:hi] for lo, hi in _groups(dataset)) if fmt != "npz" else [dataset]
    _write_atomic(target, fmt, dataset.vocabulary, chunks, bool(token_names), f"The 'path' parameter of {owner}")
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
                  backend: str = "numba") -> WriteSummary:
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
    target = _target(path, owner)
    plan = _plan(machine, encoding, inputs=inputs, n=n, lengths=lengths, random_state=random_state,
                 max_steps=max_steps, on_timeout=on_timeout, unique=unique, exclude=exclude, alphabet=alphabet,
                 width=width, split=split, backend=backend, owner=owner)
    chunk_size = _check_int("chunk_size", chunk_size, 1, owner)
    max_tokens = _check_int("max_tokens", max_tokens, 0, owner, allow_none=True)
    est = _estimate(plan)
    _check_budget(plan, est, max_tokens, fmt)
    if on_estimate is not None:
        on_estimate(est)
    chunks = _chunks(plan, chunk_size, max_tokens=max_tokens, progress=progress)
    try:
        w = _write_atomic(target, fmt, plan.encoding.vocabulary(plan.machine), chunks, bool(token_names),
                          f"The 'path' parameter of {owner}")
    finally:
        chunks.close()
    return WriteSummary(target, fmt, w.n, w.tokens, w.dropped, target.stat().st_size, plan.provenance.seed, est)


# ---------------------------------------------------------------------------------------------- loading
def _read_sidecar(path: Path, owner: str) -> tuple[Vocabulary, dict]:
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


def _check_meta(meta: Any, path: Path, owner: str) -> dict:
    if not isinstance(meta, dict) or meta.get("format") != _META_FORMAT:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a tmsim dataset (no {_META_FORMAT!r} record).")
    if meta.get("version") != _META_VERSION:
        raise DatasetFormatError(f"{owner}: {str(path)!r} has dataset format version {meta.get('version')!r}; this "
                                 f"toolkit reads version {_META_VERSION}.")
    return meta


def _load_npz(path: Path, owner: str) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _NPZ_MEMBERS + ("meta",) if k not in z.files]
            if missing:
                raise DatasetFormatError(f"{owner}: {str(path)!r} lacks the members {missing!r} of a tmsim dataset.")
            arrays = {k: z[k] for k in _NPZ_MEMBERS}
            meta = json.loads(str(z["meta"]))
    except (zipfile.BadZipFile, ValueError) as e:
        if isinstance(e, DatasetFormatError):
            raise
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a readable .npz file: {e}.") from None
    meta = _check_meta(meta, path, owner)
    vocab = Vocabulary.from_json(meta["vocabulary"])
    sources = tuple(Provenance.from_dict(s) for s in meta.get("sources", []))
    return Dataset(vocabulary=vocab, sources=sources, dropped=int(meta.get("dropped", 0)), **arrays)


def _ragged_from_lists(lists: list[list[int]], dtype) -> tuple[np.ndarray, np.ndarray]:
    lens = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    off = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lens, out=off[1:])
    flat = np.fromiter((v for x in lists for v in x), dtype=dtype, count=int(off[-1]))
    return flat, off


def _from_rows(path: Path, vocab: Vocabulary, meta: dict, inputs: list[str], tokens, tok_off, kinds,
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
    for j, key in enumerate(zip(*(prov_cols[k] for k in _PROV_COLUMNS))):
        c = where.get(key)
        if c is None:
            c = where[key] = len(where)
        src[j] = c
    sources = tuple(Provenance.from_dict(dict(zip(_PROV_COLUMNS, key))) for key in where)
    return Dataset(tokens, kinds, tok_off, text, toff, st, np.asarray(steps, dtype=np.int64),
                   np.asarray(index, dtype=np.int64), w, lf, src, vocab, sources, int(meta.get("dropped", 0)))


def _load_jsonl(path: Path, owner: str) -> Dataset:
    vocab, meta = _read_sidecar(path, owner)
    cols: dict[str, list] = {k: [] for k in COLUMNS}
    try:
        with open(path, "r", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                row = json.loads(line)
                for k in COLUMNS:
                    if k != "token_names":
                        cols[k].append(row[k])
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} line {i + 1} is not JSON: {e}.") from None
    except KeyError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} line {i + 1} has no {e.args[0]!r} column.") from None
    tokens, off = _ragged_from_lists(cols["tokens"], np.int32)
    kinds, koff = _ragged_from_lists(cols["kinds"], np.uint8)
    if not np.array_equal(off, koff):
        raise DatasetFormatError(f"{owner}: {str(path)!r}: 'tokens' and 'kinds' differ in length in some row.")
    return _from_rows(path, vocab, meta, cols["input"], tokens, off, kinds, cols["status"], cols["steps"],
                      cols["index"], cols["width"], cols["left"], {k: cols[k] for k in _PROV_COLUMNS}, owner)


def _load_parquet(path: Path, owner: str) -> Dataset:
    pa, pq = _arrow()
    try:
        pf = pq.ParquetFile(path)
        kv = pf.metadata.metadata or {}
        table = pf.read()
    except (pa.ArrowException, OSError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a readable Parquet file: {e}.") from None
    if b"tmsim.vocabulary" in kv:
        vocab = Vocabulary.from_json(kv[b"tmsim.vocabulary"].decode("utf-8"))
        meta = json.loads(kv[b"tmsim.dataset"]) if b"tmsim.dataset" in kv else {}
    else:
        vocab, meta = _read_sidecar(path, owner)
    missing = [k for k in COLUMNS if k != "token_names" and k not in table.column_names]
    if missing:
        raise DatasetFormatError(f"{owner}: {str(path)!r} lacks the columns {missing!r} of a tmsim dataset.")

    import pyarrow.compute as pc

    def ragged(name, dtype):
        if not table.num_rows:
            return np.zeros(0, dtype), np.zeros(1, np.int64)
        col = table.column(name).combine_chunks()
        lens = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(np.int64)
        off = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
        return col.flatten().to_numpy(zero_copy_only=False).astype(dtype), off

    tokens, off = ragged("tokens", np.int32)
    kinds, _ = ragged("kinds", np.uint8)
    get = lambda k: table.column(k).to_pylist()  # noqa: E731
    return _from_rows(path, vocab, meta, get("input"), tokens, off, kinds, get("status"),
                      table.column("steps").to_numpy(), table.column("index").to_numpy(), get("width"), get("left"),
                      {k: get(k) for k in _PROV_COLUMNS}, owner)


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
    return {"npz": _load_npz, "jsonl": _load_jsonl, "parquet": _load_parquet}[fmt](p, owner)
