"""Learner (MLP training positions): the loss-proportional sampler of ``MLPAR(sampling="loss")`` -- half
uniform draws, half in proportion to the running loss at the same position of a sequence."""

from __future__ import annotations

import numpy as np

from ..data import Sequences

__all__ = ["_LossSampler"]


class _LossSampler:
    """Training positions drawn half uniformly, half in proportion to the running loss at the same position
    of a sequence (a position-wise focus on what is still hard). Draws ``refresh`` batches at a time."""

    def __init__(self, seqs: Sequences, positions: np.ndarray, rng: np.random.Generator, batch: int,
                 refresh: int = 32):
        start = seqs.offsets[np.searchsorted(seqs.offsets, positions, side="right") - 1]
        groups, self.group = np.unique(positions - start, return_inverse=True)
        order = np.argsort(self.group, kind="stable")
        self.sorted = positions[order]
        self.count = np.bincount(self.group, minlength=len(groups))
        self.first = np.concatenate([[0], np.cumsum(self.count)[:-1]])
        self.ema = np.ones(len(groups))
        self.rng, self.batch, self.refresh = rng, batch, refresh

    def batches(self, n_batches: int):
        done = 0
        while done < n_batches:
            k = min(self.refresh, n_batches - done)
            w = self.count * self.ema
            p = 0.5 * self.count / self.count.sum() + 0.5 * w / w.sum()
            g = self.rng.choice(len(p), size=k * self.batch, p=p)
            idx = self.first[g] + (self.rng.random(len(g)) * self.count[g]).astype(np.int64)
            for j in range(k):
                sl = slice(j * self.batch, (j + 1) * self.batch)
                yield self.sorted[idx[sl]], g[sl]
            done += k

    def update(self, groups: np.ndarray, losses: np.ndarray) -> None:
        n = len(self.ema)
        cnt = np.bincount(groups, minlength=n)
        seen = cnt > 0
        mean = np.bincount(groups, weights=losses, minlength=n)[seen] / cnt[seen]
        self.ema[seen] = 0.9 * self.ema[seen] + 0.1 * mean

