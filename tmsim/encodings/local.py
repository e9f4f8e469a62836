"""Trace -> tokens (local rules): the property issue 4's linear construction relies on, as an object —
for ``tableau-triples`` and ``gates``, every token after the prompt is a function of the tokens at a
fixed set of relative offsets that depends only on the token's position class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from .layout import PositionLayout
from .vocab import Vocabulary

__all__ = ["LocalRule"]


@dataclass(frozen=True, eq=False)
class LocalRule:
    """The local rule of an encoding for one machine and one row width.

    Attributes
    ----------
    encoding : str
        The encoding's spec.
    vocabulary : Vocabulary
    period : int
        Row period L (tokens per row).
    prompt_length : int
        Tokens of the prompt (row 0); the rule predicts every later position.
    offsets : mapping of str to tuple of int
        Position class -> the offsets (>= 1, counted back from the predicted position) the token depends
        on, in the order :meth:`next_token` takes the context.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> from tmsim.encodings import get_encoding
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> enc = get_encoding("tableau-triples", width=8, left=4)
    >>> tr = enc.encode(m)
    >>> rule = enc.local_rule(m)
    >>> rule.window, rule.check(tr)
    (19, None)
    >>> p = 40
    >>> cls = rule.position_class(p)
    >>> rule.next_token(cls, [tr.names()[p - o] for o in rule.offsets[cls]]) == tr.names()[p]
    True
    >>> rule.layout().offsets[rule.layout().class_of(p)] == rule.offsets[cls]
    True
    """

    encoding: str
    vocabulary: Vocabulary
    period: int
    prompt_length: int
    offsets: Mapping[str, tuple[int, ...]]
    _classify: Callable[[int], str]
    _rule: Callable[[str, Sequence[int]], int | None]

    @property
    def window(self) -> int:
        """The largest offset: a window of this many tokens back sees every input of the rule."""
        return max(max(o) for o in self.offsets.values() if o)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.offsets)

    def layout(self) -> PositionLayout:
        """The rule as a :class:`PositionLayout`: period L, the class of each residue (position ``t``
        counted from the sequence start, the prompt included, is of class ``position_class(t)``), the
        classes named and ordered as in :attr:`offsets`, and their declared offsets as increasing sets (the
        rule takes its context in :attr:`offsets` order; a layout says only which offsets are read)."""
        return PositionLayout.from_classes(self.period, [self.position_class(p) for p in range(self.period)],
                                           {c: tuple(sorted(set(o))) for c, o in self.offsets.items()})

    def position_class(self, position: int) -> str:
        """Class of trace position ``position`` (a function of ``position mod period``)."""
        return self._classify(int(position))

    def next_id(self, position_class: str, context: Sequence[int]) -> int | None:
        """The rule on token ids (``context[i]`` at offset ``offsets[position_class][i]``); None when no
        valid trace has that context."""
        return self._rule(position_class, [int(c) for c in context])

    def next_token(self, position_class: str, context: Sequence[str]) -> str | None:
        """The rule on token names."""
        ids = [self.vocabulary.index.get(c, -1) for c in context]
        out = self._rule(position_class, ids)
        return None if out is None else self.vocabulary.tokens[out]

    def predict(self, tokens: np.ndarray, position: int) -> int | None:
        """The rule's token id for ``position`` from the ids in ``tokens`` (which must reach back far enough)."""
        cls = self.position_class(position)
        return self._rule(cls, [int(tokens[position - o]) for o in self.offsets[cls]])

    def check(self, tokens, *, start: int | None = None, stop: int | None = None,
              skip: Sequence[int] = ()) -> tuple[int, str, str] | None:
        """Apply the rule at every position in ``[start, stop)`` (default: after the prompt to the end);
        return ``(position, expected, found)`` of the first disagreement, or None.

        ``tokens`` is a :class:`Trace` or an id array; ``skip`` lists positions not to check (e.g. the END
        header of a trace cut by the step budget).
        """
        ids = np.asarray(getattr(tokens, "tokens", tokens))
        lo = self.prompt_length if start is None else start
        hi = len(ids) if stop is None else stop
        skip = set(skip)
        names = self.vocabulary.tokens
        for p in range(lo, hi):
            if p in skip:
                continue
            got = self.predict(ids, p)
            if got != int(ids[p]):
                return p, ("<none>" if got is None else names[got]), names[int(ids[p])]
        return None
