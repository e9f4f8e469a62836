"""Text experiment, step 2 (documents -> token ids): a word-level tokenizer (the top-V words, punctuation
split off, ``<unk>`` for the rest) and a byte-level BPE trained on the corpus with the Hugging Face
``tokenizers`` library. Both reserve ids 0, 1, 2 for ``<pad>``, ``<unk>`` and ``<eos>`` and save to one
JSON file (stored beside each model).

A document is encoded as ``<eos> tokens... <eos>``: the leading ``<eos>`` is the start-of-document context
(as ``<|endoftext|>`` between TinyStories stories), the trailing one a target (the model learns where a
story ends, and generation stops there).
"""

from __future__ import annotations

import collections
import json
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from tmsim.io import atomic_write

from .errors import TextError

__all__ = ["PAD", "UNK", "EOS", "SPECIALS", "WordTokenizer", "BPETokenizer", "make_tokenizer", "load_tokenizer"]

PAD, UNK, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<unk>", "<eos>")
_FORMAT = "proofs-checks-text-tokenizer"
#: Words (letters/digits, with inner apostrophes or hyphens: "don't", "Mrs", "well-bred") or one
#: punctuation character.
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*|[^\w\s]")
_NO_SPACE_BEFORE = set(",.;:!?)]}'\u2019")
_NO_SPACE_AFTER = set("([{")


class _Base:
    kind = ""

    def __len__(self) -> int:
        return self.vocab_size

    def encode_documents(self, documents: Sequence[str]) -> list[np.ndarray]:
        """Each document as ``<eos> ids... <eos>`` (int32)."""
        return [np.concatenate([[EOS], self.encode(d), [EOS]]).astype(np.int32) for d in documents]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer to JSON, atomically."""
        doc = {"format": _FORMAT, "kind": self.kind, **self._state()}
        return atomic_write(path, lambda f: json.dump(doc, f, ensure_ascii=False), "w")

    def _check_ids(self, ids) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= self.vocab_size)):
            raise TextError(f"{type(self).__name__}.decode: ids must be a 1-D array of ints in "
                            f"[0, {self.vocab_size}).")
        return ids


class WordTokenizer(_Base):
    """Word-level tokenizer: the ``vocab_size - 3`` most frequent words of the training text (ties by first
    appearance), punctuation characters as their own tokens, anything else ``<unk>``.

    Parameters
    ----------
    vocab_size : int, default 8192
        Including the three special tokens.
    lowercase : bool, default True

    Examples
    --------
    >>> tok = WordTokenizer(vocab_size=8).fit(["The cat sat. The cat ran!"])
    >>> tok.tokens
    ['<pad>', '<unk>', '<eos>', 'the', 'cat', 'sat', '.', 'ran']
    >>> ids = tok.encode("The dog ran."); ids.tolist()
    [3, 1, 7, 6]
    >>> tok.decode(ids)
    'the <unk> ran.'
    """

    kind = "word"

    def __init__(self, vocab_size: int = 8192, lowercase: bool = True):
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 4:
            raise TextError(f"The 'vocab_size' parameter of WordTokenizer must be an int >= 4. Got {vocab_size!r}.")
        self.vocab_size = int(vocab_size)
        self.lowercase = bool(lowercase)
        self.tokens: list[str] = list(SPECIALS)
        self._index: dict[str, int] = {}

    def _split(self, text: str) -> list[str]:
        return _WORD.findall(text.lower() if self.lowercase else text)

    def fit(self, documents: Iterable[str]) -> "WordTokenizer":
        counts: collections.Counter = collections.Counter()
        for d in documents:
            counts.update(self._split(d))
        if not counts:
            raise TextError("WordTokenizer.fit: the training text has no words.")
        top = sorted(counts.items(), key=lambda kv: -kv[1])[: self.vocab_size - len(SPECIALS)]  # stable: ties keep first appearance
        self.tokens = list(SPECIALS) + [w for w, _ in top if w not in SPECIALS]
        self.vocab_size = len(self.tokens)
        self._index = {w: i for i, w in enumerate(self.tokens)}
        return self

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text``: int32, shape (n_tokens,)."""
        if not self._index:
            raise TextError("WordTokenizer: call 'fit' before 'encode'.")
        get = self._index.get
        return np.array([get(w, UNK) for w in self._split(text)], dtype=np.int32)

    def decode(self, ids) -> str:
        """Words joined by spaces, no space before closing punctuation or after an opening bracket;
        ``<eos>`` becomes a paragraph break and ``<pad>`` is dropped."""
        out: list[str] = []
        glue = True
        for i in self._check_ids(ids).tolist():
            if i == PAD:
                continue
            if i == EOS:
                out.append("\n")
                glue = True
                continue
            w = self.tokens[i]
            if not glue and w not in _NO_SPACE_BEFORE:
                out.append(" ")
            out.append(w)
            glue = w in _NO_SPACE_AFTER
        return "".join(out).strip("\n")

    def _state(self) -> dict:
        return {"vocab_size": self.vocab_size, "lowercase": self.lowercase, "tokens": self.tokens}

    @classmethod
    def _from_state(cls, state: dict) -> "WordTokenizer":
        tok = cls(vocab_size=max(4, int(state["vocab_size"])), lowercase=state["lowercase"])
        tok.tokens = list(state["tokens"])
        tok.vocab_size = len(tok.tokens)
        tok._index = {w: i for i, w in enumerate(tok.tokens)}
        return tok


class BPETokenizer(_Base):
    """Byte-level BPE (GPT-2's scheme: no ``<unk>`` ever needed) trained with the Hugging Face
    ``tokenizers`` library.

    Parameters
    ----------
    vocab_size : int, default 8192
        Including the 256 byte tokens and the three special tokens.

    Examples
    --------
    >>> tok = BPETokenizer(vocab_size=300).fit(["the cat sat on the mat"] * 20)
    >>> tok.decode(tok.encode("the cat sat"))
    'the cat sat'
    """

    kind = "bpe"

    def __init__(self, vocab_size: int = 8192):
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 260:
            raise TextError(f"The 'vocab_size' parameter of BPETokenizer must be an int >= 260 (256 bytes and "
                            f"the special tokens). Got {vocab_size!r}.")
        self.vocab_size = int(vocab_size)
        self._tok = None

    def fit(self, documents: Iterable[str]) -> "BPETokenizer":
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=self.vocab_size, special_tokens=list(SPECIALS),
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(list(documents), trainer=trainer)
        self._tok = tok
        self.vocab_size = tok.get_vocab_size()
        return self

    def encode(self, text: str) -> np.ndarray:
        if self._tok is None:
            raise TextError("BPETokenizer: call 'fit' before 'encode'.")
        return np.array(self._tok.encode(text).ids, dtype=np.int32)

    def encode_documents(self, documents: Sequence[str]) -> list[np.ndarray]:
        if self._tok is None:
            raise TextError("BPETokenizer: call 'fit' before 'encode'.")
        encs = self._tok.encode_batch(list(documents))
        return [np.concatenate([[EOS], np.array(e.ids, dtype=np.int32), [EOS]]).astype(np.int32) for e in encs]

    def decode(self, ids) -> str:
        ids = self._check_ids(ids)
        parts, cur = [], []
        for i in ids.tolist():
            if i == EOS:
                parts.append(self._tok.decode(cur))
                cur = []
            elif i != PAD:
                cur.append(i)
        parts.append(self._tok.decode(cur))
        return "\n".join(p for p in parts if p)

    @property
    def tokens(self) -> list[str]:
        vocab = self._tok.get_vocab()
        out = [""] * len(vocab)
        for w, i in vocab.items():
            out[i] = w
        return out

    def _state(self) -> dict:
        return {"vocab_size": self.vocab_size, "hf": self._tok.to_str()}

    @classmethod
    def _from_state(cls, state: dict) -> "BPETokenizer":
        from tokenizers import Tokenizer

        tok = cls(vocab_size=max(260, int(state["vocab_size"])))
        tok._tok = Tokenizer.from_str(state["hf"])
        tok.vocab_size = tok._tok.get_vocab_size()
        return tok


def make_tokenizer(kind: str, vocab_size: int) -> WordTokenizer | BPETokenizer:
    """``"word"`` -> :class:`WordTokenizer`, ``"bpe"`` -> :class:`BPETokenizer` (unfitted)."""
    if kind == "word":
        return WordTokenizer(vocab_size)
    if kind == "bpe":
        return BPETokenizer(vocab_size)
    raise TextError(f"The 'tokenizer' parameter must be 'word' or 'bpe'. Got {kind!r} instead.")


def load_tokenizer(path: str | os.PathLike) -> WordTokenizer | BPETokenizer:
    """Read a tokenizer written by ``save``."""
    path = Path(path)
    if not path.is_file():
        raise TextError(f"No tokenizer file at {str(path)!r}.")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise TextError(f"{str(path)!r} is not a saved tokenizer ({e}).") from None
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise TextError(f"{str(path)!r} is not a saved tokenizer.")
    return {"word": WordTokenizer, "bpe": BPETokenizer}[state["kind"]]._from_state(state)
