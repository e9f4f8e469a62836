"""Tokens -> dataset (files, Parquet): :class:`ParquetWriter` writes one row group per chunk (zstd), the
vocabulary in the schema metadata and the dataset record (provenance, counts) in the file metadata, so a
Parquet file is complete on its own; :func:`load_parquet` reads it back (version 1 files too). pyarrow is imported when a Parquet file is written or read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...encodings import Vocabulary
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetError, DatasetFormatError
from ._base import PROV_COLUMNS, Writer, check_meta, from_rows, groups, hf_labels, meta_sources, read_sidecar

__all__ = ["ParquetWriter", "load_parquet", "arrow"]


def arrow():
    """``(pyarrow, pyarrow.parquet)``, imported on first use: pyarrow takes longer to import than the rest of
    the dataset layer, and only Parquet files need it."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is installed wherever Parquet is used
        raise DatasetError("The Parquet format needs pyarrow: pip install pyarrow.") from None
    return pa, pq


def _arrow_schema(token_names: bool, vocabulary: Vocabulary):
    pa, _ = arrow()
    ids = pa.list_(pa.int32())
    cols = [("input", pa.string()), ("input_ids", ids), ("labels", ids), ("attention_mask", pa.list_(pa.int8())),
            ("tokens", ids), ("kinds", pa.list_(pa.uint8()))]
    if token_names:
        cols.append(("token_names", pa.list_(pa.string())))
    cols += [("status", pa.string()), ("steps", pa.int64()), ("index", pa.int64()), ("width", pa.int64()),
             ("left", pa.int64()), ("split", pa.string()), ("source", pa.int32())]
    return pa.schema(cols, metadata={b"tmsim.vocabulary": vocabulary.to_json().encode()})


class ParquetWriter(Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str, sources) -> None:
        super().__init__(target, vocabulary, token_names, what, sources)
        pa, pq = arrow()
        self.schema = _arrow_schema(token_names, vocabulary)
        self.names = pa.array(vocabulary.tokens, type=pa.string())
        self.writer = pq.ParquetWriter(self.pending.open("wb"), self.schema, compression="zstd")

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in groups(ds):
            self.writer.write_table(self._table(ds[lo:hi], codes[lo:hi]), row_group_size=max(hi - lo, 1))

    def _table(self, ds: Dataset, codes: np.ndarray):
        pa, _ = arrow()
        n = len(ds)
        off32 = pa.array(ds.offsets.astype(np.int32))
        tokens = pa.ListArray.from_arrays(off32, pa.array(ds.tokens, type=pa.int32()))
        cols = {
            "input": pa.StringArray.from_buffers(n, pa.py_buffer(ds.input_offsets.astype(np.int32).tobytes()),
                                                 pa.py_buffer(ds.input_text.tobytes())),
            "input_ids": tokens,
            "labels": pa.ListArray.from_arrays(off32, pa.array(hf_labels(ds.tokens, ds.kinds), type=pa.int32())),
            "attention_mask": pa.ListArray.from_arrays(off32, pa.array(np.ones(ds.n_tokens, np.int8), type=pa.int8())),
            "tokens": tokens,
            "kinds": pa.ListArray.from_arrays(off32, pa.array(ds.kinds, type=pa.uint8())),
        }
        if self.token_names:
            cols["token_names"] = pa.ListArray.from_arrays(off32, self.names.take(pa.array(ds.tokens)))
        src = pa.array(ds.source)
        cols.update({
            "status": pa.array(STATUS_NAMES, type=pa.string()).take(pa.array(ds.status.astype(np.int32))),
            "steps": pa.array(ds.steps), "index": pa.array(ds.index),
            "width": pa.array(ds.width, mask=ds.width < 0), "left": pa.array(ds.left, mask=ds.width < 0),
            "split": pa.array([s.split for s in ds.sources], type=pa.string()).take(src),
            "source": pa.array(codes.astype(np.int32), type=pa.int32()),
        })
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


def load_parquet(path: Path, owner: str) -> Dataset:
    pa, pq = arrow()
    try:
        pf = pq.ParquetFile(path)
        kv = pf.metadata.metadata or {}
        names = pf.schema_arrow.names
    except (pa.ArrowException, OSError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a readable Parquet file: {e}.") from None
    try:
        if b"tmsim.vocabulary" in kv:
            vocab = Vocabulary.from_json(kv[b"tmsim.vocabulary"].decode("utf-8"))
            meta = json.loads(kv[b"tmsim.dataset"]) if b"tmsim.dataset" in kv else {}
        else:
            vocab, meta = read_sidecar(path, owner)
    except (ValueError, TypeError, KeyError, RecursionError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r}: malformed tmsim metadata ({e}).") from None
    v2 = "source" in names
    if v2:
        meta = check_meta(meta, path, owner)
    need = ["input", "tokens", "kinds", "status", "steps", "index", "width", "left"] + \
        (["source"] if v2 else list(PROV_COLUMNS))
    missing = [k for k in need if k not in names]
    if missing:
        raise DatasetFormatError(f"{owner}: {str(path)!r} lacks the columns {missing!r} of a tmsim dataset.")
    try:
        table = pf.read(columns=need)
    except (pa.ArrowException, OSError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a readable Parquet file: {e}.") from None

    import pyarrow.compute as pc  # deferred with the rest of pyarrow (see arrow)

    def ragged(name, dtype):
        if not table.num_rows:
            return np.zeros(0, dtype), np.zeros(1, np.int64)
        col = table.column(name).combine_chunks()
        lens = pc.list_value_length(col).to_numpy(zero_copy_only=False).astype(np.int64)
        off = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=off[1:])
        return col.flatten().to_numpy(zero_copy_only=False).astype(dtype), off

    tokens, off = ragged("tokens", np.int32)
    kinds, koff = ragged("kinds", np.uint8)
    if not np.array_equal(off, koff):
        raise DatasetFormatError(f"{owner}: {str(path)!r}: 'tokens' and 'kinds' differ in length in some row.")
    get = lambda k: table.column(k).to_pylist()  # noqa: E731
    common = (path, vocab, meta, get("input"), tokens, off, kinds, get("status"), table.column("steps").to_numpy(),
              table.column("index").to_numpy(), get("width"), get("left"), owner)
    if v2:
        return from_rows(*common, source=table.column("source").to_numpy(), sources=meta_sources(meta, path, owner))
    return from_rows(*common, prov_cols={k: get(k) for k in PROV_COLUMNS})
