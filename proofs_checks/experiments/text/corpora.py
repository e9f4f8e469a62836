"""Text experiment, step 1 (corpus -> documents): the shipped Jane Austen corpus, TinyStories from a local
path, and the deterministic train/validation/test split by document.

Nothing is downloaded: the Austen novels ship with the package (``proofs_checks/data/austen.txt.xz``, see
``proofs_checks/data/PROVENANCE.md``); TinyStories is read from a path the user gives, in either published
form -- the plain-text files whose stories are separated by ``<|endoftext|>`` (``TinyStories-train.txt``,
``TinyStoriesV2-GPT4-valid.txt``), or the Hugging Face Parquet/JSON(L) files with a ``text`` column.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import math
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Sequence

from .errors import CorpusError

__all__ = ["Corpus", "Split", "EOT", "load_austen", "load_tinystories", "load_corpus", "split_documents"]

#: The story separator of the TinyStories text files (GPT-2's end-of-text token).
EOT = "<|endoftext|>"
_CHAPTER = re.compile(r"^(?:CHAPTER|Chapter) [0-9IVXLC]+\.?\s*$")
_BOOK = re.compile(r"^=== BOOK: (.+) ===$")


@dataclass(frozen=True)
class Corpus:
    """A corpus as a list of documents.

    Attributes
    ----------
    name : str
        ``"austen"``, or the file name of a TinyStories file.
    documents : tuple of str
        The documents (Austen: chapters; TinyStories: stories), whitespace-normalised: paragraphs are
        separated by ``"\\n"``, runs of spaces collapsed.
    source : str
        Where the text came from.
    titles : tuple of str
        One label per document (``"Emma, chapter 3"``, or ``"story 17"``).
    """

    name: str
    documents: tuple[str, ...]
    source: str
    titles: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.documents)

    @property
    def n_characters(self) -> int:
        return sum(len(d) for d in self.documents)


@dataclass(frozen=True)
class Split:
    """Train / validation / test documents (disjoint; the union is the corpus)."""

    train: tuple[str, ...]
    valid: tuple[str, ...]
    test: tuple[str, ...]


def _normalise(lines: Sequence[str], wrapped: bool = True) -> str:
    """One line per paragraph, runs of spaces collapsed, Gutenberg's ``_italics_`` markers dropped. With
    ``wrapped`` (Gutenberg's hard-wrapped text) blank lines separate paragraphs; without, every non-empty line
    is a paragraph."""
    paras, cur = [], []
    for line in lines:
        line = line.strip()
        if line and not wrapped:
            paras.append(line)
        elif line:
            cur.append(line)
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    if cur:
        paras.append(" ".join(cur))
    text = "\n".join(re.sub(r"\s+", " ", p) for p in paras)
    return re.sub(r"(?<![\w])_|_(?![\w])", "", text)


def load_austen() -> Corpus:
    """Jane Austen's six novels, one document per chapter (269 chapters, about 720,000 words).

    Returns
    -------
    Corpus
        ``titles`` like ``"Emma, chapter 3"``; each book's title page (before its first chapter) is dropped.

    Examples
    --------
    >>> c = load_austen()
    >>> len(c), c.titles[0], c.documents[0][:44]
    (269, 'Sense & Sensibility, chapter 1', 'The family of Dashwood had long been settled')
    """
    ref = resources.files("proofs_checks") / "data" / "austen.txt.xz"
    with resources.as_file(ref) as path:
        if not Path(path).is_file():
            raise CorpusError(f"The shipped Austen corpus is missing from the installation ({path}); "
                              f"reinstall the package.")
        text = lzma.decompress(Path(path).read_bytes()).decode("utf-8")
    docs, titles = [], []
    book, chapter, lines = None, 0, None

    def flush():
        if lines is not None:
            doc = _normalise(lines)
            if doc:
                docs.append(doc)
                titles.append(f"{book}, chapter {chapter}")

    for line in text.split("\n"):
        m = _BOOK.match(line)
        if m:
            flush()
            book, chapter, lines = m.group(1), 0, None
            continue
        if _CHAPTER.match(line.strip()):
            flush()
            chapter += 1
            lines = []
            continue
        if lines is not None:
            lines.append(line)
    flush()
    return Corpus("austen", tuple(docs), "proofs_checks/data/austen.txt.xz (janeaustenr via Debian)",
                  tuple(titles))


def _read_text_file(path: Path, limit: int | None = None) -> list[str]:
    """Stories of a ``<|endoftext|>``-separated text file, read in blocks (the 1.9 GB TinyStories training
    file is never held whole when ``limit`` stories suffice)."""
    docs: list[str] = []
    seen_sep, seen_text, buf = False, False, ""
    with open(path, encoding="utf-8", errors="replace") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            buf += block
            seen_text = seen_text or bool(block.strip())
            parts = buf.split(EOT)
            buf = parts.pop()
            if parts:
                seen_sep = True
            docs.extend(parts)
            if limit is not None and sum(1 for d in docs if d.strip()) >= limit:
                buf = ""
                break
    docs.append(buf)
    if not seen_text:
        raise CorpusError(f"The corpus file {str(path)!r} is empty.")
    if not seen_sep:
        raise CorpusError(f"The corpus file {str(path)!r} has no {EOT!r} separators: a TinyStories text file "
                          f"separates its stories with them (expected at least one, found none).")
    return docs


def _read_table(path: Path, column: str) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise CorpusError(f"The corpus file {str(path)!r} is not a readable Parquet file ({e}).") from None
        if column not in table.column_names:
            raise CorpusError(f"The Parquet file {str(path)!r} has no {column!r} column; its columns are "
                              f"{table.column_names}.")
        return [x if x is not None else "" for x in table.column(column).to_pylist()]
    raw = path.read_text(encoding="utf-8")
    if not raw.strip():
        raise CorpusError(f"The corpus file {str(path)!r} is empty.")
    try:
        rows = json.loads(raw) if raw.lstrip()[0] == "[" else [json.loads(l) for l in raw.splitlines() if l.strip()]
    except json.JSONDecodeError as e:
        raise CorpusError(f"The corpus file {str(path)!r} is not JSON or JSON Lines ({e}).") from None
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or column not in row:
            raise CorpusError(f"Record {i} of {str(path)!r} has no {column!r} field (got {str(row)[:80]!r}).")
        out.append(row[column] or "")
    return out


def load_tinystories(path: str | os.PathLike, *, column: str = "text", max_documents: int | None = None) -> Corpus:
    """TinyStories (or any corpus in its forms) from a local file or a directory of files.

    Parameters
    ----------
    path : str or PathLike
        A ``.txt`` file with stories separated by ``<|endoftext|>``; a ``.parquet``, ``.json`` or
        ``.jsonl`` file with a ``text`` column (the Hugging Face form); or a directory, whose files of these
        kinds are read in name order.
    column : str, default "text"
        The column holding the stories (Parquet/JSON).
    max_documents : int, optional
        Keep only the first this many stories.

    Raises
    ------
    CorpusError
        A missing or empty file; a text file without ``<|endoftext|>`` separators; a table without the
        column; no non-empty story at all.
    """
    p = Path(path)
    if not p.exists():
        raise CorpusError(f"The corpus path {str(p)!r} does not exist (expected a TinyStories .txt, .parquet, "
                          f".json or .jsonl file, or a directory of them).")
    kinds = (".txt", ".parquet", ".json", ".jsonl")
    files = sorted(f for f in p.iterdir() if f.suffix.lower() in kinds) if p.is_dir() else [p]
    if not files:
        raise CorpusError(f"The directory {str(p)!r} holds no .txt, .parquet, .json or .jsonl file.")
    docs: list[str] = []
    for f in files:
        if f.suffix.lower() not in kinds:
            raise CorpusError(f"Cannot read {str(f)!r}: expected a .txt, .parquet, .json or .jsonl file.")
        if f.stat().st_size == 0:
            raise CorpusError(f"The corpus file {str(f)!r} is empty.")
        left = None if max_documents is None else max_documents - len(docs)
        raw_docs = _read_text_file(f, left) if f.suffix.lower() == ".txt" else _read_table(f, column)
        for d in raw_docs:
            d = _normalise(d.split("\n"), wrapped=False)
            if d:
                docs.append(d)
            if max_documents is not None and len(docs) >= max_documents:
                break
        if max_documents is not None and len(docs) >= max_documents:
            break
    if not docs:
        raise CorpusError(f"No non-empty document in {str(p)!r}.")
    return Corpus(p.name, tuple(docs), str(p), tuple(f"story {i}" for i in range(len(docs))))


def load_corpus(spec: str | os.PathLike, **kwargs) -> Corpus:
    """``"austen"`` -> :func:`load_austen`; anything else is a path for :func:`load_tinystories`."""
    if str(spec) == "austen":
        return load_austen()
    return load_tinystories(spec, **kwargs)


def split_documents(documents: Sequence[str], valid: float = 0.1, test: float = 0.1) -> Split:
    """Deterministic split by document: documents ordered by the BLAKE2 hash of their text; the first
    ``ceil(test * n)`` are the test set, the next ``ceil(valid * n)`` the validation set, the rest train
    (each list in corpus order). The same documents always land in the same part, whatever their order
    and whatever else is in the corpus; duplicates (same text) land together.

    Examples
    --------
    >>> s = split_documents([f"doc {i}" for i in range(10)])
    >>> len(s.train), len(s.valid), len(s.test)
    (8, 1, 1)
    >>> split_documents(list(reversed([f"doc {i}" for i in range(10)]))).test == s.test
    True
    """
    for name, v in (("valid", valid), ("test", test)):
        if not (0.0 < v < 1.0):
            raise CorpusError(f"The {name!r} fraction must be in (0, 1). Got {v!r} instead.")
    n = len(documents)
    n_test, n_valid = math.ceil(test * n), math.ceil(valid * n)
    if n - n_test - n_valid < 1:
        raise CorpusError(f"A split needs at least one training document: {n} documents, {n_test} for test and "
                          f"{n_valid} for validation.")
    key = [hashlib.blake2b(d.encode("utf-8"), digest_size=16).digest() for d in documents]
    order = sorted(range(n), key=lambda i: (key[i], i))
    part = {i: 0 for i in range(n)}
    for i in order[:n_test]:
        part[i] = 2
    for i in order[n_test:n_test + n_valid]:
        part[i] = 1
    pick = lambda k: tuple(documents[i] for i in range(n) if part[i] == k)  # noqa: E731
    return Split(pick(0), pick(1), pick(2))
