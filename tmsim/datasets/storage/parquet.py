"""Tokens -> dataset (files, Parquet): :class:`ParquetWriter` writes one row group per chunk (zstd), the
vocabulary in the schema metadata and the dataset record in the file metadata; :func:`load_parquet` reads
it back. pyarrow is imported when a Parquet file is written or read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...encodings import Vocabulary
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetError, DatasetFormatError
from ._base import COLUMNS, PROV_COLUMNS, Writer, from_rows, groups, read_sidecar

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
    cols = [("input", pa.string()), ("tokens", pa.list_(pa.int32())), ("kinds", pa.list_(pa.uint8()))]
    if token_names:
        cols.append(("token_names", pa.list_(pa.string())))
    cols += [("status", pa.string()), ("steps", pa.int64()), ("index", pa.int64()), ("width", pa.int64()),
             ("left", pa.int64()), ("split", pa.string()), ("seed", pa.int64()), ("machine_name", pa.string()),
             ("machine_format", pa.string()), ("machine", pa.string()), ("encoding", pa.string()),
             ("encoding_version", pa.int64()), ("tmsim_version", pa.string()), ("sampler", pa.string()),
             ("max_steps", pa.int64())]
    return pa.schema(cols, metadata={b"tmsim.vocabulary": vocabulary.to_json().encode()})


class ParquetWriter(Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        super().__init__(target, vocabulary, token_names, what)
        pa, pq = arrow()
        self.schema = _arrow_schema(token_names, vocabulary)
        self.names = pa.array(vocabulary.tokens, type=pa.string())
        self.writer = pq.ParquetWriter(self.pending.open("wb"), self.schema, compression="zstd")

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in groups(ds):
            self.writer.write_table(self._table(ds[lo:hi]), row_group_size=max(hi - lo, 1))

    def _table(self, ds: Dataset):
        pa, _ = arrow()
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
        for k in PROV_COLUMNS:
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


def load_parquet(path: Path, owner: str) -> Dataset:
    pa, pq = arrow()
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
        vocab, meta = read_sidecar(path, owner)
    missing = [k for k in COLUMNS if k != "token_names" and k not in table.column_names]
    if missing:
        raise DatasetFormatError(f"{owner}: {str(path)!r} lacks the columns {missing!r} of a tmsim dataset.")

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
    kinds, _ = ragged("kinds", np.uint8)
    get = lambda k: table.column(k).to_pylist()  # noqa: E731
    return from_rows(path, vocab, meta, get("input"), tokens, off, kinds, get("status"),
                      table.column("steps").to_numpy(), table.column("index").to_numpy(), get("width"), get("left"),
                      {k: get(k) for k in PROV_COLUMNS}, owner)
