"""Provenance (run once, not at run time): extract Jane Austen's six novels from the Debian package
``r-cran-janeaustenr`` into ``proofs_checks/data/austen.txt.xz``.

The package stores its data sets in an R lazy-load database: ``data/Rdata.rdx`` is a zlib-compressed R
serialization (a named list mapping each object to an (offset, length) in ``Rdata.rdb``), and each record of
``Rdata.rdb`` is a 4-byte big-endian uncompressed length followed by zlib data of an R-serialized (XDR)
object. Each novel is a character vector of text lines. This script holds a minimal R unserializer (the
types these files use: character vectors, lists, pairlists, symbols, integer/real/logical vectors and
attributes) so that no R installation is needed.

Usage::

    apt-get download r-cran-janeaustenr        # r-cran-janeaustenr_1.0.0-1_all.deb
    dpkg-deb -x r-cran-janeaustenr_*.deb pkg
    python tools/extract_austen.py pkg/usr/lib/R/site-library/janeaustenr/data proofs_checks/data/austen.txt.xz

Output format (UTF-8 text, xz-compressed): for each book, a header line ``=== BOOK: <title> ===`` followed
by the book's lines exactly as janeaustenr stores them (one line of the Project Gutenberg text per line).
"""

from __future__ import annotations

import gzip
import lzma
import struct
import sys
import zlib
from pathlib import Path

#: janeaustenr's objects, in publication order, with the titles austen_books() gives them.
BOOKS = [("sensesensibility", "Sense & Sensibility"), ("prideprejudice", "Pride & Prejudice"),
         ("mansfieldpark", "Mansfield Park"), ("emma", "Emma"), ("northangerabbey", "Northanger Abbey"),
         ("persuasion", "Persuasion")]


class _Reader:
    """R's XDR serialization format (version 2 or 3), the subset these files need."""

    def __init__(self, data: bytes):
        self.b, self.i, self.refs = data, 0, []

    def int(self) -> int:
        (v,) = struct.unpack_from(">i", self.b, self.i)
        self.i += 4
        return v

    def raw(self, n: int) -> bytes:
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def header(self):
        if self.raw(2) != b"X\n":
            raise ValueError("not an XDR R serialization")
        version = self.int()
        self.int(), self.int()  # writer's R version, minimal reader version
        if version == 3:
            self.raw(self.int())  # native encoding name
        return self.item()

    def item(self):
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if t == 254:  # NILVALUE_SXP
            return None
        if t in (242, 253, 241, 251, 252):  # empty/global/base env, missing arg, unbound value
            return None
        if t == 255:  # REFSXP
            idx = flags >> 8
            return self.refs[(idx if idx else self.int()) - 1]
        if t == 1:  # SYMSXP
            sym = ("sym", self.item())
            self.refs.append(sym)
            return sym
        if t == 9:  # CHARSXP
            n = self.int()
            return None if n == -1 else self.raw(n).decode("latin-1" if flags & (1 << 14) else "utf-8")
        if t in (2, 17):  # LISTSXP pairlist / DOTSXP
            attr = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            node = [(tag[1] if isinstance(tag, tuple) else tag, car)]
            if isinstance(cdr, dict) and "__pairlist__" in cdr:
                node += cdr["__pairlist__"]
            return {"__pairlist__": node, "attr": attr}
        if t == 16:  # STRSXP
            val = [self.item() for _ in range(self.int())]
        elif t == 19 or t == 20:  # VECSXP / EXPRSXP
            val = [self.item() for _ in range(self.int())]
        elif t in (10, 13):  # LGLSXP, INTSXP
            n = self.int()
            val = list(struct.unpack_from(f">{n}i", self.raw(4 * n)))
        elif t == 14:  # REALSXP
            n = self.int()
            val = list(struct.unpack_from(f">{n}d", self.raw(8 * n)))
        else:
            raise ValueError(f"R type {t} is not supported by this minimal reader")
        attr = self.item() if has_attr else None
        if attr is not None:
            names = dict(attr["__pairlist__"]).get("names")
            if names is not None and t == 19:
                return dict(zip(names, val))
        return val


def unserialize(data: bytes):
    return _Reader(data).header()


def read_lazyload(rdx: Path, rdb: Path) -> dict:
    """Every object of an R lazy-load database, by name."""
    raw = rdx.read_bytes()  # saveRDS: gzip (R >= 3), or a 4-byte length + zlib in older packages
    index = unserialize(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else zlib.decompress(raw[4:]))
    blob = rdb.read_bytes()
    out = {}
    for name, (offset, length) in index["variables"].items():
        rec = blob[int(offset):int(offset) + int(length)]
        out[name] = unserialize(zlib.decompress(rec[4:]))
    return out


def main(argv: list[str]) -> int:
    data_dir, target = Path(argv[0]), Path(argv[1])
    objs = read_lazyload(data_dir / "Rdata.rdx", data_dir / "Rdata.rdb")
    parts = []
    for key, title in BOOKS:
        lines = ["" if x is None else x for x in objs[key]]
        parts.append(f"=== BOOK: {title} ===\n" + "\n".join(lines) + "\n")
        print(f"{title}: {len(lines)} lines, {sum(len(l.split()) for l in lines)} words")
    text = "".join(parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
    print(f"wrote {target} ({target.stat().st_size} bytes, {len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
