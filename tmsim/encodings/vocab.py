"""Trace -> tokens (vocabulary): the frozen two-way map between token names and integer ids that every
trace, dataset and learner of one (machine, encoding) shares."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Iterator, Mapping

import numpy as np

from .errors import VocabularyError

__all__ = ["Vocabulary", "SPECIAL_TOKENS", "PAD", "BOS", "SEP", "ANS", "EOS"]

#: Special tokens at the start of every vocabulary, with the same ids everywhere.
SPECIAL_TOKENS = ("<pad>", "<bos>", "<sep>", "<ans>", "<eos>")
PAD, BOS, SEP, ANS, EOS = range(5)

_FORMAT = "tmsim-vocabulary"


@dataclass(frozen=True)
class Vocabulary:
    """Token names <-> integer ids; id 0 is ``<pad>``.

    A vocabulary depends only on (machine, encoding, encoding parameters), never on an input, so traces of
    short and long inputs share it. Two vocabularies are equal when they list the same names in the same
    order.

    Parameters
    ----------
    tokens : sequence of str
        Token names in id order; ``tokens[0]`` must be ``"<pad>"``; names must be unique, non-empty and
        free of white space.

    Examples
    --------
    >>> v = Vocabulary(("<pad>", "<eos>", "s:0", "s:1"))
    >>> v.id("s:1"), v.name(2), len(v), "s:0" in v
    (3, 's:0', 4, True)
    >>> v.ids(["s:0", "s:1"]).tolist(), v.names([3, 1])
    ([2, 3], ['s:1', '<eos>'])
    >>> Vocabulary.from_json(v.to_json()) == v
    True
    """

    tokens: tuple[str, ...]
    name_: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        toks = self.tokens
        if isinstance(toks, str) or not isinstance(toks, Iterable):
            raise VocabularyError(f"Vocabulary tokens must be a sequence of names. Got {toks!r}.")
        toks = tuple(toks)
        object.__setattr__(self, "tokens", toks)
        if not toks or toks[0] != "<pad>":
            raise VocabularyError(
                f"A vocabulary must start with '<pad>' (id 0). Got {toks[0] if toks else 'no tokens'!r}.")
        seen: dict[str, int] = {}
        for i, t in enumerate(toks):
            if not isinstance(t, str) or not t or any(c.isspace() for c in t):
                raise VocabularyError(f"Vocabulary token {i} must be a non-empty name without white space. "
                                      f"Got {t!r}.")
            if t in seen:
                raise VocabularyError(
                    f"Vocabulary token {t!r} appears twice (ids {seen[t]} and {i}); state or symbol names "
                    f"that make two tokens spell the same name must be renamed.")
            seen[t] = i

    # ------------------------------------------------------------------ lookups
    @cached_property
    def index(self) -> Mapping[str, int]:
        """Name -> id mapping."""
        return {t: i for i, t in enumerate(self.tokens)}

    def id(self, name: str) -> int:
        """The id of token ``name``."""
        try:
            return self.index[name]
        except (KeyError, TypeError):
            raise VocabularyError(f"Token {name!r} is not in the vocabulary ({len(self)} tokens"
                                  f"{', ' + self.name_ if self.name_ else ''}).") from None

    def name(self, i: int) -> str:
        """The name of token id ``i``."""
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < len(self):
            raise VocabularyError(f"Token id must be an integer in [0, {len(self) - 1}]. Got {i!r}.")
        return self.tokens[int(i)]

    def ids(self, names: Iterable[str]) -> np.ndarray:
        """Ids of ``names`` as an int32 array of the same length."""
        return np.array([self.id(n) for n in names], dtype=np.int32)

    def names(self, ids: Iterable[int]) -> list[str]:
        """Names of ``ids`` (any integer array or sequence)."""
        arr = np.asarray(ids)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self)):
            bad = arr[(arr < 0) | (arr >= len(self))][0]
            raise VocabularyError(f"Token id must be an integer in [0, {len(self) - 1}]. Got {int(bad)}.")
        toks = self.tokens
        return [toks[int(i)] for i in arr.reshape(-1)]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.tokens)

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.tokens[:6])
        more = f", ... ({len(self)} tokens)" if len(self) > 6 else ""
        return f"Vocabulary([{head}{more}])"

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> str:
        """A JSON document ``{"format": "tmsim-vocabulary", "version": 1, "name": ..., "tokens": [...]}``."""
        return json.dumps({"format": _FORMAT, "version": 1, "name": self.name_, "tokens": list(self.tokens)})

    @classmethod
    def from_json(cls, data: str | bytes | Mapping) -> "Vocabulary":
        """Rebuild a vocabulary from :meth:`to_json` output (a string or the parsed dict)."""
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as e:
                raise VocabularyError(f"Vocabulary JSON cannot be parsed: {e}.") from None
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT or "tokens" not in data:
            raise VocabularyError(f"Not a tmsim vocabulary document (expected format {_FORMAT!r} and a 'tokens' "
                                  f"list). Got {str(data)[:80]!r}.")
        return cls(tuple(data["tokens"]), str(data.get("name", "")))
