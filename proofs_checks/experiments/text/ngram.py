"""Text experiment, baselines: a unigram model (add-one smoothing) and interpolated modified Kneser-Ney
n-gram models (Chen & Goodman 1998: three discounts per order, continuation counts below the top order,
interpolation down to the uniform distribution), fitted on the same token ids as the neural models.

Conventions shared with the neural models (:mod:`proofs_checks.experiments.text.models`): each document is
``<eos> tokens... <eos>``; every token after the first is a target; a target's history is the tokens before
it in its document, padded on the left with ``<eos>`` (the n-gram model reads the last ``n - 1``).
"""

from __future__ import annotations

import collections
import math
import time
from typing import Sequence

import numpy as np

from .errors import TextError
from .tokenizers import EOS

__all__ = ["UnigramLM", "KneserNeyLM"]


def _check_docs(docs: Sequence[np.ndarray], vocab_size: int, who: str) -> list[list[int]]:
    out = []
    for i, d in enumerate(docs):
        d = np.asarray(d)
        if d.ndim != 1 or d.size < 2 or d.dtype.kind not in "iu":
            raise TextError(f"{who}: document {i} must be 1-D token ids with at least 2 tokens "
                            f"(<eos> and a target); got shape {d.shape}, dtype {d.dtype}.")
        if d.min() < 0 or d.max() >= vocab_size:
            raise TextError(f"{who}: document {i} has a token outside [0, {vocab_size}).")
        out.append(d.tolist())
    if not out:
        raise TextError(f"{who}: no documents.")
    return out


class UnigramLM:
    """Unigram language model with add-one (Laplace) smoothing over the vocabulary.

    Examples
    --------
    >>> import numpy as np
    >>> lm = UnigramLM(vocab_size=4).fit([np.array([2, 3, 3, 2])])
    >>> round(lm.perplexity([np.array([2, 3])]), 4)   # p(3) = (2 + 1) / (3 + 4)
    2.3333
    """

    name = "unigram"

    def __init__(self, vocab_size: int):
        self.vocab_size = int(vocab_size)

    def fit(self, docs: Sequence[np.ndarray]) -> "UnigramLM":
        t0 = time.perf_counter()
        counts = np.zeros(self.vocab_size, dtype=np.float64)
        for d in _check_docs(docs, self.vocab_size, "UnigramLM.fit"):
            counts += np.bincount(d[1:], minlength=self.vocab_size)
        self.logp_ = np.log((counts + 1.0) / (counts.sum() + self.vocab_size))
        self.n_parameters_ = self.vocab_size
        self.fit_time_ = time.perf_counter() - t0
        return self

    def nll(self, docs: Sequence[np.ndarray]) -> tuple[float, int]:
        """Total negative log-likelihood (nats) of every target, and the number of targets."""
        tot, n = 0.0, 0
        for d in _check_docs(docs, self.vocab_size, "UnigramLM.nll"):
            tot -= float(self.logp_[d[1:]].sum())
            n += len(d) - 1
        return tot, n

    def perplexity(self, docs: Sequence[np.ndarray]) -> float:
        tot, n = self.nll(docs)
        return math.exp(tot / n)

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """Next-token probabilities (float64, shape (V,)); the history is ignored."""
        return np.exp(self.logp_)


class KneserNeyLM:
    """Interpolated modified Kneser-Ney n-gram language model.

    ``p(w | h) = max(c(hw) - D(c(hw)), 0) / c(h) + gamma(h) p(w | h')``, with ``h'`` the history
    shortened by one token, ``gamma(h) = (D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)) / c(h)``; ``c`` are raw counts
    at the top order and continuation counts (the number of distinct tokens seen before) below it; the
    unigram level interpolates with the uniform distribution; unseen histories back off entirely. The
    discounts of each order come from its count-of-counts: ``Y = n1 / (n1 + 2 n2)``, ``D1 = 1 - 2Y n2/n1``,
    ``D2 = 2 - 3Y n3/n2``, ``D3+ = 3 - 4Y n4/n3``.

    One fit holds the counts of every order up to ``order``; :meth:`perplexity` takes any ``n <= order``.

    Parameters
    ----------
    vocab_size : int
    order : int, default 5
        The largest n.

    Examples
    --------
    >>> import numpy as np
    >>> docs = [np.array([2, 3, 4, 5, 3, 4, 5, 2])] * 3
    >>> lm = KneserNeyLM(vocab_size=6, order=3).fit(docs)
    >>> p = lm.distribution([3, 4], n=3)
    >>> int(p.argmax()), bool(abs(p.sum() - 1) < 1e-12)
    (5, True)
    """

    def __init__(self, vocab_size: int, order: int = 5):
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            raise TextError(f"The 'order' parameter of KneserNeyLM must be an int >= 1. Got {order!r} instead.")
        self.vocab_size = int(vocab_size)
        self.order = order

    # ------------------------------------------------------------------ fitting
    def fit(self, docs: Sequence[np.ndarray]) -> "KneserNeyLM":
        t0 = time.perf_counter()
        N = self.order
        pad = [EOS] * (N - 1)
        raw: list[collections.Counter] = [collections.Counter() for _ in range(N + 1)]
        for d in _check_docs(docs, self.vocab_size, "KneserNeyLM.fit"):
            s = pad + d  # targets: s[N:] (the document's tokens after its leading <eos>)
            for k in range(1, N + 1):
                raw[k].update(zip(*(s[N - k + 1 + j:] for j in range(k))))
        # continuation counts of order k: distinct left extensions of each k-gram (from the (k+1)-grams)
        cont: list[collections.Counter] = [collections.Counter() for _ in range(N + 1)]
        for k in range(1, N):
            c = cont[k]
            for g in raw[k + 1]:
                c[g[1:]] += 1
        self._tables = {}
        for k in range(1, N + 1):
            kinds = (("raw", raw[k]),) + ((("cont", cont[k]),) if k < N else ())
            for kind, counts in kinds:
                self._tables[(k, kind)] = self._stats(counts, k)
        self.n_parameters_ = int(sum(len(raw[k]) for k in range(1, N + 1)) + sum(len(cont[k]) for k in range(1, N)))
        self.fit_time_ = time.perf_counter() - t0
        return self

    @staticmethod
    def _stats(counts: collections.Counter, k: int) -> dict:
        coc = collections.Counter(v for v in counts.values() if v <= 4)
        n1, n2, n3, n4 = (coc.get(i, 0) for i in (1, 2, 3, 4))
        if n1 and n2 and n3 and n4:
            Y = n1 / (n1 + 2 * n2)
            D = (0.0, 1 - 2 * Y * n2 / n1, 2 - 3 * Y * n3 / n2, 3 - 4 * Y * n4 / n3)
        else:  # too little data for count-of-counts: the usual single discount 0.75
            D = (0.0, 0.75, 0.75, 0.75)
        D = (0.0,) + tuple(min(max(x, 0.05), float(i)) for i, x in enumerate(D) if i)  # keep some mass for the lower order
        ctx: dict = {}
        for g, v in counts.items():
            h = g[:-1]
            e = ctx.get(h)
            if e is None:
                e = ctx[h] = [0, 0, 0, 0]
            e[0] += v
            e[min(v, 3)] += 1
        gamma = {h: ((D[1] * e[1] + D[2] * e[2] + D[3] * e[3]) / e[0], e[0]) for h, e in ctx.items()}
        return {"counts": counts, "ctx": gamma, "D": D}

    def discounts(self, k: int, kind: str = "raw") -> tuple[float, float, float]:
        """(D1, D2, D3+) of order ``k``, for raw (top order) or continuation counts."""
        return self._tables[(k, kind)]["D"][1:]

    # ------------------------------------------------------------------ probabilities
    def _check_n(self, n: int | None) -> int:
        n = self.order if n is None else n
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.order:
            raise TextError(f"The 'n' parameter must be an int in [1, {self.order}]. Got {n!r} instead.")
        return n

    def _prob(self, hist: tuple, w: int, n: int) -> float:
        p = 1.0 / self.vocab_size
        for k in range(1, n + 1):
            t = self._tables[(k, "raw" if k == n else "cont")]
            h = hist[len(hist) - (k - 1):] if k > 1 else ()
            e = t["ctx"].get(h)
            if e is None:
                continue  # unseen history: all mass to the lower order
            gamma, total = e
            c = t["counts"].get(h + (w,), 0)
            p = max(c - t["D"][min(c, 3)], 0.0) / total + gamma * p
        return p

    def nll(self, docs: Sequence[np.ndarray], n: int | None = None) -> tuple[float, int]:
        """Total negative log-likelihood (nats) of every target with the order-``n`` model, and the count."""
        n = self._check_n(n)
        pad = [EOS] * (self.order - 1)
        tot, cnt = 0.0, 0
        for d in _check_docs(docs, self.vocab_size, "KneserNeyLM.nll"):
            s = pad + d
            for i in range(self.order, len(s)):
                tot -= math.log(self._prob(tuple(s[i - n + 1:i]) if n > 1 else (), s[i], n))
                cnt += 1
        return tot, cnt

    def perplexity(self, docs: Sequence[np.ndarray], n: int | None = None) -> float:
        tot, cnt = self.nll(docs, n)
        return math.exp(tot / cnt)

    def distribution(self, history: Sequence[int], n: int | None = None) -> np.ndarray:
        """Next-token probabilities after ``history`` (float64, shape (V,), sums to 1)."""
        n = self._check_n(n)
        hist = tuple(([EOS] * (self.order - 1) + [int(x) for x in history])[-(n - 1):]) if n > 1 else ()
        p = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k in range(1, n + 1):
            t = self._tables[(k, "raw" if k == n else "cont")]
            h = hist[len(hist) - (k - 1):] if k > 1 else ()
            e = t["ctx"].get(h)
            if e is None:
                continue
            gamma, total = e
            counts, D = t["counts"], t["D"]
            new = gamma * p
            if k == 1:
                for (w,), c in counts.items():
                    new[w] += max(c - D[min(c, 3)], 0.0) / total
            else:
                for w in range(self.vocab_size):
                    c = counts.get(h + (w,), 0)
                    if c:
                        new[w] += max(c - D[min(c, 3)], 0.0) / total
            p = new
        return p
