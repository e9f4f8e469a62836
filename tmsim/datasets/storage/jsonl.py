"""Tokens -> dataset (files, JSONL): :class:`JsonlWriter` writes one JSON object per sample (lists of ids
built through lookup tables, vectorised), :func:`load_jsonl` reads them back with the vocabulary sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...encodings import Vocabulary
from ..dataset import STATUS_NAMES, Dataset
from ..errors import DatasetFormatError
from ..provenance import Provenance
from ._base import COLUMNS, PROV_COLUMNS, Writer, from_rows, groups, ragged_from_lists, read_sidecar

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


def _prov_fields(p: Provenance) -> dict:
    return {k: getattr(p, k) for k in PROV_COLUMNS}


class JsonlWriter(Writer):
    def __init__(self, target: Path, vocabulary: Vocabulary, token_names: bool, what: str) -> None:
        super().__init__(target, vocabulary, token_names, what)
        self.fh = self.pending.open("wb")
        self.ids = _json_words([str(i).encode() for i in range(len(vocabulary))])
        self.kinds = _json_words([b"0", b"1", b"2"])
        self.names = _json_words([json.dumps(t).encode() for t in vocabulary.tokens]) if token_names else None
        self.frags: dict[Provenance, bytes] = {}

    def _write(self, ds: Dataset, codes: np.ndarray) -> None:
        for lo, hi in groups(ds):
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


def load_jsonl(path: Path, owner: str) -> Dataset:
    vocab, meta = read_sidecar(path, owner)
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
    tokens, off = ragged_from_lists(cols["tokens"], np.int32)
    kinds, koff = ragged_from_lists(cols["kinds"], np.uint8)
    if not np.array_equal(off, koff):
        raise DatasetFormatError(f"{owner}: {str(path)!r}: 'tokens' and 'kinds' differ in length in some row.")
    return from_rows(path, vocab, meta, cols["input"], tokens, off, kinds, cols["status"], cols["steps"],
                      cols["index"], cols["width"], cols["left"], {k: cols[k] for k in PROV_COLUMNS}, owner)
