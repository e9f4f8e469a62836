"""Tokens -> dataset (files, ``.npz``): :class:`NpzWriter` streams every member to a raw file in a scratch
directory and assembles an uncompressed zip (fixed timestamps: same data, same bytes); :func:`load_npz`
reads one back (``numpy.load``, no pickle)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Iterable

import numpy as np

from ...encodings import Vocabulary
from ..dataset import _ARRAYS, Dataset
from ..errors import DatasetFormatError
from ._base import Writer, check_meta, meta_sources

__all__ = ["NpzWriter", "load_npz", "NPZ_MEMBERS"]

NPZ_MEMBERS = tuple(_ARRAYS)  # member order of an .npz
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same data, same bytes
_COPY_BLOCK = 1 << 24


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


class NpzWriter(Writer):
    """Streams every member to a raw file in a temporary ``.parts`` directory, then assembles the zip."""

    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str, sources) -> None:
        super().__init__(target, vocabulary, token_names, what, sources)
        self.parts = self.pending.scratch_directory()
        self.files = {k: open(self.parts / k, "wb") for k in NPZ_MEMBERS}
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
            for k in NPZ_MEMBERS:
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


def load_npz(path: Path, owner: str) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in NPZ_MEMBERS + ("meta",) if k not in z.files]
            if missing:
                raise DatasetFormatError(f"{owner}: {str(path)!r} lacks the members {missing!r} of a tmsim dataset.")
            arrays = {k: z[k] for k in NPZ_MEMBERS}
            meta = json.loads(str(z["meta"]))
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, RecursionError) as e:
        if isinstance(e, DatasetFormatError):
            raise
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not a readable .npz file: {e}.") from None
    meta = check_meta(meta, path, owner)
    try:
        vocab = Vocabulary.from_json(meta["vocabulary"])
    except (ValueError, TypeError, KeyError) as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r}: the 'meta' member has no valid vocabulary ({e}).") from None
    sources = meta_sources({"sources": meta.get("sources", [])}, path, owner)
    return Dataset(vocabulary=vocab, sources=sources, dropped=int(meta.get("dropped", 0)), **arrays)
