"""Learner (MLP training): AdamW with decoupled weight decay and global-norm clipping, the warmup + cosine /
linear learning-rate schedule, and the epoch loop of :class:`learners.MLPAR` (early stopping, time
budget, callbacks, progress bar)."""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from ..data import Sequences
from ..errors import LearnerError
from ._layers import _window_tokens
from ._sampler import _LossSampler

__all__ = ["_Trainer"]


class _Trainer:
    """The optimiser and training loop of :class:`learners.MLPAR` (a mixin)."""

    def _lr(self, cfg: dict, step: int, total: int, t0: float) -> float:
        lr = cfg["lr"]
        frac = step / max(total, 1)
        if cfg["max_time"] is not None:
            frac = max(frac, (time.perf_counter() - t0) / cfg["max_time"])
        frac = min(frac, 1.0)
        w = cfg["warmup"]
        if frac < w:  # the ramp follows the same clock as the decay (steps or time, whichever is further)
            return lr * min(1.0, max((step + 1) / max(total, 1), frac) / w)
        prog = (frac - w) / (1.0 - w)
        final = cfg["final"] * lr
        if self.lr_schedule == "cosine":
            return final + (lr - final) * 0.5 * (1.0 + math.cos(math.pi * prog))
        if self.lr_schedule == "linear":
            return lr - (lr - final) * prog
        return lr

    def _adamw(self, cfg: dict, lr: float) -> None:
        P, opt = self._P, self._opt
        g, theta, m, v = P.grad, P.theta, opt["m"], opt["v"]
        if cfg["clip"] is not None:
            norm = math.sqrt(float(np.dot(g, g)))
            if norm > cfg["clip"]:
                g *= cfg["clip"] / norm
        opt["t"] += 1
        t, b1, b2 = opt["t"], cfg["b1"], cfg["b2"]
        tmp = opt.setdefault("tmp", np.empty_like(theta))
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        if cfg["wd"] > 0:
            theta[:P.n_decay] *= 1.0 - lr * cfg["wd"]
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / math.sqrt(1.0 - b2 ** t)
        tmp += cfg["eps"]
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - b1 ** t)
        theta -= tmp

    def _step(self, seqs: Sequences, batch: np.ndarray, groups: np.ndarray | None = None,
              sampler: "_LossSampler | None" = None) -> tuple[float, int, int]:
        """Forward, backward (into the gradient buffer) on one batch; (loss, right, n)."""
        if self.context_length_:
            toks, where, y = self._seq_batch(seqs, batch)
            if len(y) == 0:
                self._P.grad[...] = 0
                return 0.0, 0, 0
            _, acts, cache = self._forward_causal(toks, where, logits=False)
            loss, right, dH = self._output_xent(acts[-1], y)
            self._backward_causal(acts, cache, self._backward_hidden(acts, dH))
        else:
            y = seqs.tokens[batch].astype(np.int64)
            win = _window_tokens(seqs.tokens, seqs.offsets, batch, self.offsets_)
            _, acts = self._forward_head(self.params_["E"][win].reshape(len(win), -1), logits=False)
            if sampler is not None:
                loss, right, dH, losses = self._output_xent(acts[-1], y, per_sample=True)
                sampler.update(groups, losses)
            else:
                loss, right, dH = self._output_xent(acts[-1], y)
            self._backward_window(win, self._backward_hidden(acts, dH))
        return loss, right, len(y)

    def _train(self, seqs: Sequences, val: Sequences | None, cfg: dict, epochs: int, *, schedule: bool,
               callback: Any = None, callback_every: int | None = None) -> None:
        causal = bool(self.context_length_)
        units = np.arange(len(seqs)) if causal else self._positions(seqs)
        n_pos = int(np.count_nonzero(seqs.kinds))
        if n_pos == 0:
            raise LearnerError("MLPAR: the dataset has no training positions (every token is prompt).")
        self.n_train_positions_ = n_pos
        bs = cfg["batch"]
        per_epoch = -(-len(units) // bs)
        total = per_epoch * epochs
        t0 = time.perf_counter()
        best, best_theta, bad = math.inf, None, 0
        self.stop_reason_ = "max_epochs"
        bar = self._progress(total)
        sampler = None
        if self.sampling == "loss" and not causal:
            sampler = _LossSampler(seqs, units, self._rng, bs)
        try:
            for _ in range(epochs):
                if sampler is None:
                    self._rng.shuffle(units)
                    batches = ((units[i:i + bs], None) for i in range(0, len(units), bs))
                else:
                    batches = sampler.batches(per_epoch)
                ep_loss = ep_right = ep_n = 0
                stop_time = False
                for batch, groups in batches:
                    lr = self._lr(cfg, self.n_steps_, total, t0) if schedule else cfg["lr"]
                    with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported below, once
                        loss, right, n = self._step(seqs, batch, groups, sampler)
                        if not math.isfinite(loss):
                            raise LearnerError(
                                f"MLPAR: the training loss became {loss} at step {self.n_steps_ + 1} (epoch "
                                f"{self.n_epochs_ + 1}): the weights diverged. Lower 'learning_rate' (got "
                                f"{cfg['lr']!r}).")
                        if n:
                            self._adamw(cfg, lr)
                    self.n_steps_ += 1
                    ep_loss += loss * n
                    ep_right += right
                    ep_n += n
                    self.running_loss_ = ep_loss / max(ep_n, 1)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{ep_loss / max(ep_n, 1):.4f}", acc=f"{ep_right / max(ep_n, 1):.4f}",
                                        refresh=False)
                    if cfg["max_time"] is not None and time.perf_counter() - t0 > cfg["max_time"]:
                        stop_time = True
                        break
                    if callback_every and callback is not None and self.n_steps_ % callback_every == 0 \
                            and self.n_steps_ % per_epoch:
                        c0 = time.perf_counter()
                        stop = callback(self, self.n_epochs_ + (self.n_steps_ % per_epoch) / per_epoch)
                        t0 += time.perf_counter() - c0
                        if stop:
                            stop_time = True  # leave the epoch loop; the reason is set below
                            self.stop_reason_ = "callback"
                            break
                self.n_epochs_ += 1
                self.loss_curve_.append(ep_loss / max(ep_n, 1))
                if val is not None:
                    vl, va = self._evaluate_loss(val)
                    self.validation_loss_.append(vl)
                    self.validation_accuracy_.append(va)
                    monitor = vl
                else:
                    monitor = self.loss_curve_[-1]
                if monitor < best - cfg["tol"]:
                    best, bad = monitor, 0
                    self.best_epoch_ = self.n_epochs_
                    if val is not None and cfg["early_stopping"]:
                        best_theta = self._P.theta.copy()
                else:
                    bad += 1
                if stop_time:
                    if self.stop_reason_ != "callback":
                        self.stop_reason_ = "max_time"
                    break
                if cfg["early_stopping"] and bad >= cfg["patience"]:
                    self.stop_reason_ = "early_stopping"
                    break
                if callback is not None:
                    c0 = time.perf_counter()
                    stop = callback(self, self.n_epochs_)
                    t0 += time.perf_counter() - c0  # the callback's time is not training time
                    if stop:
                        self.stop_reason_ = "callback"
                        break
        finally:
            if bar is not None:
                bar.close()
        if best_theta is not None and self.best_epoch_ != self.n_epochs_:
            self._P.theta[...] = best_theta
        self.fit_time_ = time.perf_counter() - t0

    def _progress(self, total: int):
        if not self.verbose or not sys.stderr.isatty():
            return None
        return tqdm(total=total, desc="MLPAR", unit="step", leave=False, mininterval=0.5)
