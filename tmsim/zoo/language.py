"""Zoo (inputs): :class:`Language`, the well-formed inputs of a zoo entry: count them, list them, sample them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .._validate import check_int
from ..errors import ParameterError

__all__ = ["Language", "count_strings"]


def count_strings(k: int, a: int, b: int) -> int:
    """Number of strings over ``k`` symbols with a length in ``[a, b]``: ``sum(k**L for L in range(a, b + 1))``
    in closed form, so a range of a million lengths costs one big power, not a million.

    Examples
    --------
    >>> count_strings(2, 1, 3), count_strings(1, 0, 9), count_strings(0, 0, 5), count_strings(3, 4, 2)
    (14, 10, 1, 0)
    """
    if b < a:
        return 0
    if k == 0:
        return 1 if a == 0 else 0  # only the empty string (0**0 == 1)
    if k == 1:
        return b - a + 1
    return (k ** (b + 1) - k ** a) // (k - 1)


def _weighted_strings(k: int, a: int, b: int) -> int:
    """``sum(j * k**j for j in range(a, b + 1))`` in closed form (``a >= 0``)."""
    if b < a or k == 0:
        return 0

    def upto(n: int) -> int:  # sum over j in [0, n]
        if n < 0:
            return 0
        if k == 1:
            return n * (n + 1) // 2
        return (n * k ** (n + 2) - (n + 1) * k ** (n + 1) + k) // (k - 1) ** 2

    return upto(b) - upto(a - 1)


@dataclass(frozen=True)
class Language:
    """The well-formed inputs of a zoo entry.

    Either every string over ``alphabet`` (``operator`` is None), or ``x OP y`` with ``x`` and ``y`` strings
    over ``alphabet`` of length at least ``min_operand`` and exactly one ``operator`` between them.

    Parameters
    ----------
    alphabet : tuple of str
        The single-character symbols of a plain string, or of each operand.
    operator : str, optional
        The separator of a two-operand input, e.g. ``'+'``.
    min_operand : int, default 0
        Least length of each operand (1 for binary numbers, 0 for unary ones).
    max_length : int, optional
        Longest well-formed input (0 for the blank input of a busy beaver).

    Examples
    --------
    >>> lang = Language(("0", "1"), operator="+", min_operand=1)
    >>> lang.pattern, lang.contains("10+1"), lang.contains("+1"), lang.count(4)
    ('[01]+\\\\+[01]+', True, False, 16)
    >>> list(lang.strings(3))
    ['0+0', '0+1', '1+0', '1+1']
    """

    alphabet: tuple[str, ...]
    operator: str | None = None
    min_operand: int = 0
    max_length: int | None = None

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol a well-formed input may contain."""
        return self.alphabet + ((self.operator,) if self.operator is not None else ())

    @property
    def pattern(self) -> str:
        """The language as a regular expression (for documentation: ``[01]+\\+[01]+``)."""
        if self.max_length == 0:
            return ""
        cls = "[" + "".join(self.alphabet) + "]" if len(self.alphabet) > 1 else "".join(self.alphabet)
        if self.operator is None:
            return cls + "*"
        rep = "*" if self.min_operand == 0 else ("+" if self.min_operand == 1 else f"{{{self.min_operand},}}")
        return f"{cls}{rep}\\{self.operator}{cls}{rep}"

    def contains(self, text: object) -> bool:
        """True when ``text`` (a str; ``None`` means the empty input) is well-formed."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            return False
        if self.max_length is not None and len(text) > self.max_length:
            return False
        allowed = set(self.alphabet)
        if self.operator is None:
            return all(c in allowed for c in text)
        left, sep, right = text.partition(self.operator)
        return (bool(sep) and len(left) >= self.min_operand and len(right) >= self.min_operand
                and all(c in allowed for c in left + right))

    def _splits(self, length: int) -> range:
        # Operand lengths (left) such that left + 1 + right == length with both >= min_operand.
        return range(self.min_operand, length - self.min_operand)

    def count(self, length: int) -> int:
        """Number of well-formed inputs of exactly ``length`` symbols."""
        length = check_int("length", length, low=0, owner="Language.count")
        if not self.admitted_lengths(length, length):
            return 0
        k = len(self.alphabet)
        if self.operator is None:
            return k ** length
        return len(self._splits(length)) * k ** (length - 1)

    def admitted_lengths(self, a: int, b: int) -> range:
        """The lengths in ``[a, b]`` that have at least one well-formed input, found without counting (so
        in constant time, whatever ``b``): they are contiguous, from the shortest well-formed input
        (``2 * min_operand + 1`` with an operator, else 0) to ``max_length``.

        Examples
        --------
        >>> Language(("0", "1"), operator="+", min_operand=1).admitted_lengths(1, 10**9)
        range(3, 1000000001)
        >>> Language((), max_length=0).admitted_lengths(0, 5), Language(("a",)).admitted_lengths(4, 2)
        (range(0, 1), range(4, 3))
        """
        hi = b if self.max_length is None else min(b, self.max_length)
        lo = 2 * self.min_operand + 1 if self.operator is not None else 0
        if not self.alphabet:  # one body only, the empty one: '' (no operator) or the operator alone
            hi = min(hi, 1 if self.operator is not None else 0)
        return range(max(a, lo), hi + 1)  # empty when hi < the shortest

    def count_between(self, a: int, b: int) -> int:
        """Number of well-formed inputs with a length in ``[a, b]``, ``sum(count(L) for L in range(a, b + 1))``
        in closed form (a range of a million lengths costs a few big powers).

        Examples
        --------
        >>> lang = Language(("0", "1"), operator="+", min_operand=1)
        >>> lang.count_between(0, 6) == sum(lang.count(L) for L in range(7))
        True
        """
        r = self.admitted_lengths(a, b)
        if not r:
            return 0
        lo, hi = r.start, r.stop - 1
        k = len(self.alphabet)
        if self.operator is None:
            return count_strings(k, lo, hi)
        # count(L) = (L - 2m) * k**(L - 1); with j = L - 1 the sum is sum_j (j - (2m - 1)) * k**j.
        c = 2 * self.min_operand - 1
        return _weighted_strings(k, lo - 1, hi - 1) - c * count_strings(k, lo - 1, hi - 1)

    def strings(self, length: int) -> Iterator[str]:
        """Every well-formed input of exactly ``length`` symbols, in a fixed order."""
        length = check_int("length", length, low=0, owner="Language.strings")
        if self.max_length is not None and length > self.max_length:
            return
        if self.operator is None:
            for t in itertools.product(self.alphabet, repeat=length):
                yield "".join(t)
            return
        for p in self._splits(length):
            for t in itertools.product(self.alphabet, repeat=length - 1):
                yield "".join(t[:p]) + self.operator + "".join(t[p:])

    def sample(self, length: int, rng: np.random.Generator) -> str:
        """One well-formed input of exactly ``length`` symbols, uniform over all of them."""
        if not self.admitted_lengths(length, length):
            raise ParameterError(
                f"The 'length' parameter of Language.sample must admit a well-formed input of "
                f"{self.pattern!r}. Got {length} instead."
            )
        n_body = length - (self.operator is not None)
        body = "".join(self.alphabet[i] for i in rng.integers(0, len(self.alphabet), size=n_body)) if n_body else ""
        if self.operator is None:
            return body
        # Every operator position admits the same number of strings, so a uniform position is uniform overall.
        splits = self._splits(length)
        p = splits[int(rng.integers(0, len(splits)))]
        return body[:p] + self.operator + body[p:]
