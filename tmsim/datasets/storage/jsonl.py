"""Tokens -> dataset (files, JSONL): :class:`JsonlWriter` writes one JSON object per sample (lists of ids
built through lookup tables, vectorised), each carrying the checksum of the sidecar that holds the
vocabulary and provenance; :func:`load_jsonl` reads them back and refuses a data file and a sidecar from
different writes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ...encodings import Vocabulary
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetFormatError
from ._base import (IGNORE_INDEX, PROV_COLUMNS, Writer, from_rows, groups, meta_checksum, meta_sources,
                    ragged_from_lists, read_sidecar, vocabulary_path)

__all__ = ["JsonlWriter", "load_jsonl"]


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


class JsonlWriter(Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str, sources) -> None:
        super().__init__(target, vocabulary, token_names, what, sources)
        self.fh = self.pending.open("wb")
        # Token ids 0..V-1, then the label of an untrained token (-100) at V.
        self.ids = _json_words([str(i).encode() for i in range(len(vocabulary))] + [str(IGNORE_INDEX).encode()])
        self.kinds = _json_words([b"0", b"1", b"2"])
        self.ones = _json_words([b"1"])
        self.names = _json_words([json.dumps(t).encode() for t in vocabulary.tokens]) if token_names else None
        self.tail = f',"meta_checksum":"{self.checksum}"}}\n'.encode()

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in groups(ds):
            part = ds[lo:hi]
            self.fh.write(b"".join(self._lines(part, codes[lo:hi])))

    def _lines(self, ds: Dataset, codes: np.ndarray) -> list[bytes]:
        toks = _json_lists(ds.tokens, ds.offsets, *self.ids)
        labels = _json_lists(np.where(ds.kinds > 0, ds.tokens, len(self.vocabulary)), ds.offsets, *self.ids)
        ones = _json_lists(np.zeros(ds.n_tokens, dtype=np.int64), ds.offsets, *self.ones)
        kinds = _json_lists(ds.kinds, ds.offsets, *self.kinds)
        names = _json_lists(ds.tokens, ds.offsets, *self.names) if self.names is not None else None
        frags = [b',"split":' + json.dumps(s.split).encode() + f',"source":{self._where[s]}'.encode()
                 for s in ds.sources]
        status = [f'"{s}"'.encode() for s in STATUS_NAMES]
        lines = []
        for j, (inp, st, steps, idx, w, left, src) in enumerate(zip(
                ds.inputs, ds.status.tolist(), ds.steps.tolist(), ds.index.tolist(), ds.width.tolist(),
                ds.left.tolist(), ds.source.tolist())):
            wl = b'"width":null,"left":null' if w < 0 else f'"width":{w},"left":{left}'.encode()
            parts = [b'{"input":', json.dumps(inp).encode(), b',"input_ids":', toks[j], b',"labels":', labels[j],
                     b',"attention_mask":', ones[j], b',"tokens":', toks[j], b',"kinds":', kinds[j]]
            if names is not None:
                parts += [b',"token_names":', names[j]]
            parts += [b',"status":', status[st], f',"steps":{steps},"index":{idx},'.encode(), wl, frags[src],
                      self.tail]
            lines.append(b"".join(parts))
        return lines

    def finish(self) -> None:
        # On disk before the sidecar is renamed into place, so that the data's own rename follows at once
        # (a reader sees a new sidecar with old data for as short a time as can be; it reads again then).
        self.fh.flush()
        if not self.pending.through:
            os.fsync(self.fh.fileno())


class _Mismatch(DatasetFormatError):
    pass


def _mismatch(path: Path, owner: str, why: str) -> DatasetFormatError:
    return _Mismatch(f"{owner}: {str(path)!r} and its sidecar {str(vocabulary_path(path))!r} come from "
                     f"different writes ({why}); write them again together.")


def _identity(path: Path) -> tuple:
    out = []
    for p in (path, vocabulary_path(path)):
        try:
            st = os.stat(p)
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


#: A reader that finds a data file and a sidecar of different writes while either is being replaced (the
#: two renames of a write) reads again, this many times, before it reports the mismatch.
MISMATCH_RETRIES = 5


def load_jsonl(path: Path, owner: str) -> Dataset:
    """Read a JSONL dataset and its sidecar; a pair of different writes is an error, unless one of them was
    replaced while reading (a concurrent writer), in which case the pair is read again."""
    for attempt in range(MISMATCH_RETRIES + 1):
        before = _identity(path)
        try:
            return _load_jsonl(path, owner)
        except _Mismatch:
            # A writer renames the sidecar, then the data: give it a moment to finish, then read again if
            # either file changed since this attempt began; a pair that stays as it was is reported.
            time.sleep(0.02 * (attempt + 1))
            if attempt == MISMATCH_RETRIES or _identity(path) == before:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _load_jsonl(path: Path, owner: str) -> Dataset:
    vocab, meta = read_sidecar(path, owner)
    v2 = meta.get("version", 1) >= 2 if isinstance(meta.get("version", 1), int) else False
    want = meta_checksum(vocab, meta_sources(meta, path, owner)) if v2 else None
    names = ("input", "tokens", "kinds", "status", "steps", "index", "width", "left") + \
        (("source",) if v2 else PROV_COLUMNS)
    cols: dict[str, list] = {k: [] for k in names}
    i = -1
    try:
        with open(path, "r", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if not line.strip():
                    continue
                row = json.loads(line)
                got = row.get("meta_checksum") if isinstance(row, dict) else None
                if got != want:
                    raise _mismatch(path, owner, f"line {i + 1} carries checksum {got!r}, the sidecar "
                                                 f"{'has ' + repr(want) if want else 'is of format version 1'}")
                for k in names:
                    cols[k].append(row[k])
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} line {i + 1} is not JSON: {e}.") from None
    except KeyError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} line {i + 1} has no {e.args[0]!r} column.") from None
    except UnicodeDecodeError as e:
        raise DatasetFormatError(f"{owner}: {str(path)!r} is not UTF-8 text ({e.reason}).") from None
    tokens, off = ragged_from_lists(cols["tokens"], np.int32)
    kinds, koff = ragged_from_lists(cols["kinds"], np.uint8)
    if not np.array_equal(off, koff):
        raise DatasetFormatError(f"{owner}: {str(path)!r}: 'tokens' and 'kinds' differ in length in some row.")
    if v2 and (meta.get("n_samples"), meta.get("n_tokens")) != (len(cols["input"]), len(tokens)):
        raise _mismatch(path, owner, f"the sidecar counts {meta.get('n_samples')!r} samples and "
                                     f"{meta.get('n_tokens')!r} tokens, the file {len(cols['input'])} and {len(tokens)}")
    common = (path, vocab, meta, cols["input"], tokens, off, kinds, cols["status"], cols["steps"], cols["index"],
              cols["width"], cols["left"], owner)
    if v2:
        return from_rows(*common, source=cols["source"], sources=meta_sources(meta, path, owner))
    return from_rows(*common, prov_cols={k: cols[k] for k in PROV_COLUMNS})
