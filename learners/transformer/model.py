"""Learner: :class:`TransformerAR`, a causal decoder-only transformer (PyTorch, the optional ``torch`` extra)
behind the same protocol as the linear and MLP learners: ``fit`` on the loss-masked positions of a dataset,
``predict``/``score`` teacher-forced, greedy ``generate``/``predict_next``, ``save``/``load``."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from ..base import ARModel
from ..data import Sequences, as_sequences, for_model, params_json
from ..errors import LearnerError, NotFittedError
from ._params import _int, check_params

__all__ = ["TransformerAR", "require_torch"]

#: Bytes of logits per forward chunk when predicting (bounds memory on large vocabularies).
_LOGIT_BYTES = 1 << 26


def require_torch():
    """The ``torch`` module, or a one-line ImportError saying how to install the optional extra."""
    try:
        import torch
    except ImportError:
        raise ImportError('TransformerAR needs PyTorch, an optional extra: pip install ".[torch]"') from None
    return torch


class TransformerAR(ARModel, BaseEstimator):
    """Causal decoder-only transformer next-token predictor (PyTorch).

    A GPT-style stack: token embedding (plus a start marker before every sequence, so the first token
    has a context), ``n_layers`` pre-LayerNorm blocks (multi-head causal self-attention, a 4x GELU MLP),
    a final LayerNorm and the tied output layer. Trained on the positions with ``kinds != 0`` only (the
    loss mask of :class:`tmsim.datasets.Dataset`: prompt tokens are context, never targets), by AdamW with
    decoupled weight decay on matrices and embeddings, linear warmup then cosine decay, clipping by global
    gradient norm; the budget is ``max_steps`` optimiser steps of ``batch_size`` sequences.

    Positions. ``positional="learned"``: learned absolute positions, ``context`` rows (a model cannot see
    more than ``context`` tokens; longer histories keep their last ``context`` tokens). ``"hard-alibi"``:
    no position embedding; head ``h`` adds ALiBi's linear bias ``-m_h (i - j)`` to the score of query ``i``
    and key ``j`` and sees only the keys with ``i - j < w_h`` (its hard window; ``w_h = None``: every
    earlier key). This is the length-generalisation device of Jelassi et al. (Repeat After Me, 2024) used
    by Hou et al. (Universal Length Generalization with Turing Programs, 2024) on Turing-machine step
    traces: a Turing program's next token depends on a bounded neighbourhood of the previous tape copy, so
    short-window heads make the rule position-free, and a few unbounded heads keep long-range lookup. With
    every window finite, a prediction of an ``n_layers`` model depends on the last
    ``n_layers * (max w - 1) + 1`` tokens only, whatever the sequence length. Slopes default to ALiBi's
    geometric ``2^(-8h/H)``; ``alibi_slopes=(0,) * H`` gives the pure hard windows of Jelassi et al.

    Determinism. All randomness (initial weights, dropout, batch order, crops) comes from
    ``numpy.random.default_rng(random_state)``: a seed drawn from it seeds PyTorch inside
    ``torch.random.fork_rng`` (the caller's global torch RNG is untouched), with
    ``torch.use_deterministic_algorithms`` and ``n_threads`` set during the call and restored after. On
    the CPU, a seed gives bit-identical weights (and saved files) for a given thread count. ``max_time``
    is a guard only (it stops training, ``stop_reason_ == "max_time"``); with ``max_steps=None`` it is the
    budget and the learning rate follows the clock (wall-time training, not reproducible).

    Parameters
    ----------
    n_layers : int, default 2
    d_model : int, default 64
        Width; a multiple of ``n_heads``.
    n_heads : int, default 4
    context : int, optional
        Most tokens a prediction sees, the start marker included. Default: the longest training sequence
        (``"learned"``), unbounded (``"hard-alibi"``). Longer training sequences are cut to random crops.
    dropout : float, default 0.0
        On the embeddings, attention weights and both residual branches.
    learning_rate : float, default 1e-3
        Peak AdamW learning rate.
    weight_decay : float, default 0.01
    betas : (float, float), default (0.9, 0.99)
    batch_size : int, default 32
        Sequences per optimiser step.
    max_steps : int or None, default 1000
        Optimiser steps (the budget; 0: an initialised, untrained model).
    max_time : float, optional
        Seconds of training after which it stops (a guard; the budget when ``max_steps`` is None).
    warmup : float, default 0.05
        Fraction of the budget spent ramping the learning rate up.
    final_lr_ratio : float, default 0.1
        Learning rate at the end of the cosine decay, relative to ``learning_rate``.
    clip_norm : float or None, default 1.0
    positional : {"learned", "hard-alibi"}, default "learned"
    alibi_windows : sequence of (int or None), optional
        One window per head (``"hard-alibi"`` only); default: the first ``H // 2`` heads 4, 8, 16, ... tokens,
        the others unbounded.
    alibi_slopes : sequence of float, optional
        One slope per head (``"hard-alibi"`` only); default the geometric ALiBi slopes.
    device : {"cpu", "cuda"}, default "cpu"
    n_threads : int or None, default 1
        PyTorch intra-op threads during each call (None: leave PyTorch's setting).
    random_state : int, Generator or None
    verbose : int, default 0
        1: a progress bar (tqdm, on a terminal only).

    Attributes
    ----------
    module_ : torch.nn.Module
        The network (:class:`learners.transformer._net.Net`).
    vocab_size_ : int
    vocabulary_ : Vocabulary or None
    context_ : int or None
        Tokens a prediction sees (None: unbounded).
    windows_, slopes_ : tuple
        Per head (empty for ``"learned"``).
    n_parameters_ : int
    n_steps_ : int
    loss_curve_ : list of float
        Mean training loss of each step.
    stop_reason_ : {"max_steps", "max_time", "callback"}
    fit_time_ : float
        Seconds of training (callback time excluded); information, never an input to training unless
        ``max_steps`` is None.
    tokens_per_second_ : float
        Trained (loss-masked) positions per second of training.

    Examples
    --------
    >>> import numpy as np
    >>> from learners import TransformerAR
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])] * 8
    >>> model = TransformerAR(n_layers=1, d_model=16, n_heads=2, learning_rate=1e-2, max_steps=60,
    ...                       batch_size=8, random_state=0).fit(seqs)
    >>> model.score(seqs)
    1.0
    >>> model.generate([[1, 2]], max_new_tokens=4)[0].tolist()
    [1, 2, 3, 1, 2, 3]
    """

    format_tag = "learners-transformer-ar"
    _fitted_attr = "module_"

    def __init__(self, n_layers: int = 2, d_model: int = 64, n_heads: int = 4, context: int | None = None,
                 dropout: float = 0.0, learning_rate: float = 1e-3, weight_decay: float = 0.01,
                 betas: tuple[float, float] = (0.9, 0.99), batch_size: int = 32, max_steps: int | None = 1000,
                 max_time: float | None = None, warmup: float = 0.05, final_lr_ratio: float = 0.1,
                 clip_norm: float | None = 1.0, positional: str = "learned",
                 alibi_windows: Sequence[int | None] | None = None, alibi_slopes: Sequence[float] | None = None,
                 device: str = "cpu", n_threads: int | None = 1,
                 random_state: int | np.random.Generator | None = None, verbose: int = 0):
        self.n_layers = n_layers
        self.d_model = d_model
        self.n_heads = n_heads
        self.context = context
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.betas = betas
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.max_time = max_time
        self.warmup = warmup
        self.final_lr_ratio = final_lr_ratio
        self.clip_norm = clip_norm
        self.positional = positional
        self.alibi_windows = alibi_windows
        self.alibi_slopes = alibi_slopes
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> dict:
        """Every hyper-parameter, validated (a LearnerError names the first bad one)."""
        return check_params(self)

    def _device(self, torch, name: str | None = None):
        name = self.device if name is None else name
        if name == "cuda" and not torch.cuda.is_available():
            raise LearnerError("The 'device' parameter of TransformerAR is 'cuda', but PyTorch sees no CUDA "
                               "device here (use device='cpu').")
        return torch.device(name)

    @contextlib.contextmanager
    def _env(self, torch, device, *, grad: bool):
        """Thread count and deterministic algorithms for one call (restored after); no autograd unless
        ``grad``."""
        threads = torch.get_num_threads()
        det, warn = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
        n = getattr(self, "n_threads", 1)
        try:
            if n is not None:
                torch.set_num_threads(int(n))
            if device.type == "cpu":
                torch.use_deterministic_algorithms(True, warn_only=True)
            with torch.set_grad_enabled(grad):
                yield
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(det, warn_only=warn)

    # ------------------------------------------------------------------ state
    def _build(self, torch, cfg: dict, vocab_size: int, context: int | None, device):
        from ._net import Net

        net = Net(vocab_size, cfg["d"], cfg["heads"], cfg["layers"], context, cfg["dropout"], cfg["positional"],
                  cfg["windows"], cfg["slopes"]).to(device)
        self.module_ = net
        self.vocab_size_, self.context_ = int(vocab_size), context
        self.windows_, self.slopes_ = cfg["windows"], cfg["slopes"]
        self.n_parameters_ = int(sum(p.numel() for p in net.parameters()))
        return net

    def _sequences(self, X: Any) -> Sequences:
        """``X`` as :class:`learners.Sequences`; once fitted, checked against the fitted vocabulary."""
        seqs = as_sequences(X, owner="TransformerAR")
        if not hasattr(self, "module_"):
            return seqs
        return for_model(seqs, self.vocabulary_, self.vocab_size_, "TransformerAR")

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, y: Any = None, *, callback: Callable[["TransformerAR", int], Any] | None = None,
            callback_every: int = 1) -> "TransformerAR":
        """Train from freshly initialised weights on the positions of ``X`` with ``kinds != 0``.

        Parameters
        ----------
        X : dataset (see :func:`learners.as_sequences`)
        y : ignored (the targets are the next tokens at the loss-masked positions)
        callback : callable, optional
            ``callback(model, step)`` every ``callback_every`` steps (``fit_time_`` is the training time so
            far); returning True stops training. Its time counts neither toward ``max_time`` nor
            ``fit_time_``.
        callback_every : int, default 1

        Raises
        ------
        LearnerError
            A bad parameter or dataset (also: no loss-masked position, ``device="cuda"`` without CUDA).
        ImportError
            PyTorch is not installed.
        """
        cfg = self._check_params()
        every = _int("callback_every", callback_every, 1)
        torch = require_torch()
        device = self._device(torch)
        seqs = as_sequences(X, owner="TransformerAR")
        if not np.any(seqs.kinds != 0):
            raise LearnerError("TransformerAR: the dataset has no training positions (every token is prompt).")
        for attr in ("module_", "n_steps_", "loss_curve_"):
            if hasattr(self, attr):
                delattr(self, attr)
        rng = np.random.default_rng(self.random_state)
        seed = int(rng.integers(2 ** 63 - 1))
        context = cfg["context"]
        if context is None and cfg["positional"] == "learned":
            context = int(np.diff(seqs.offsets).max())
        forked = [] if device.type == "cpu" else [torch.cuda.current_device() if device.index is None else device.index]
        with self._env(torch, device, grad=True), torch.random.fork_rng(devices=forked):
            torch.manual_seed(seed)
            net = self._build(torch, cfg, seqs.vocab_size, context, device)
            self.vocabulary_ = seqs.vocabulary
            self._train(torch, net, seqs, cfg, rng, device, callback, every)
        return self

    def _lr(self, cfg: dict, step: int, elapsed: float) -> float:
        if cfg["steps"] is not None:
            frac, ramp = step / max(cfg["steps"], 1), (step + 1) / max(cfg["steps"], 1)
        else:
            frac = ramp = elapsed / cfg["max_time"]
        frac = min(frac, 1.0)
        if frac < cfg["warmup"]:
            return cfg["lr"] * min(1.0, ramp / cfg["warmup"])
        prog = (frac - cfg["warmup"]) / (1.0 - cfg["warmup"])
        final = cfg["final"] * cfg["lr"]
        return final + (cfg["lr"] - final) * 0.5 * (1.0 + math.cos(math.pi * prog))

    def _train_batch(self, seqs: Sequences, index: np.ndarray, rng: np.random.Generator):
        """Inputs ``(B, W)``, targets and loss mask for the sequences ``index``: sequence ``s`` is read as
        ``p = [start] + s``; a row is ``p[j:j + W]`` predicting ``s[j:j + W]``, with ``j = 0`` unless ``s``
        is longer than the context (then a random crop)."""
        starts, lens = seqs.offsets[index], np.diff(seqs.offsets)[index]
        C = self.context_
        width = lens if C is None else np.minimum(lens, C)
        crop = rng.integers(0, lens - width + 1)
        return self._rows(seqs, starts, crop, width)

    def _rows(self, seqs: Sequences, starts: np.ndarray, first: np.ndarray, width: np.ndarray):
        """Rows ``p[first:first + width]`` of ``p = [start] + s`` (right-padded) and, per cell, the flat index
        of the token it predicts and whether that token is loss-masked."""
        W = int(width.max(initial=1))
        k = np.arange(W)
        valid = k[None, :] < width[:, None]
        m = first[:, None] + k[None, :]                      # index into p
        last = max(len(seqs.tokens) - 1, 0)
        tok = seqs.tokens[np.clip(starts[:, None] + m - 1, 0, last)].astype(np.int64)
        inp = np.where(m == 0, self.vocab_size_, tok)
        inp[~valid] = 0
        target = np.clip(starts[:, None] + m, 0, last)
        mask = valid & (seqs.kinds[target] != 0)
        return inp, target, mask

    def _train(self, torch, net, seqs: Sequences, cfg: dict, rng: np.random.Generator, device,
               callback, every: int) -> None:
        decay = [p for p in net.parameters() if p.dim() >= 2]
        no_decay = [p for p in net.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["wd"]},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=cfg["lr"], betas=cfg["betas"])
        tokens = torch.from_numpy(seqs.tokens.astype(np.int64)).to(device)
        order, pos = rng.permutation(len(seqs)), 0
        self.n_steps_, self.loss_curve_, self.stop_reason_ = 0, [], "max_steps"
        n_trained, t0 = 0, time.perf_counter()
        bar = self._progress(cfg["steps"])
        net.train()
        try:
            while cfg["steps"] is None or self.n_steps_ < cfg["steps"]:
                elapsed = time.perf_counter() - t0
                if cfg["max_time"] is not None and elapsed >= cfg["max_time"]:
                    self.stop_reason_ = "max_time"
                    break
                take = []
                while len(take) < cfg["batch"]:  # batches run on across epochs, each a fresh permutation
                    if pos == len(order):
                        order, pos = rng.permutation(len(seqs)), 0
                    n = min(cfg["batch"] - len(take), len(order) - pos)
                    take.extend(order[pos:pos + n])
                    pos += n
                inp, target, mask = self._train_batch(seqs, np.asarray(take, dtype=np.int64), rng)
                mask_t = torch.from_numpy(mask).to(device)
                h = net(torch.from_numpy(inp).to(device))[mask_t]
                opt.zero_grad(set_to_none=True)
                if len(h):  # a batch of crops without a target makes no update (but counts as a step)
                    y = tokens[torch.from_numpy(target).to(device)[mask_t]]
                    loss = torch.nn.functional.cross_entropy(net.head(h), y)
                    loss.backward()
                    if cfg["clip"] is not None:
                        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg["clip"])
                    for g in opt.param_groups:
                        g["lr"] = self._lr(cfg, self.n_steps_, elapsed)
                    opt.step()
                self.n_steps_ += 1
                self.loss_curve_.append(float(loss.detach()) if len(h) else 0.0)
                n_trained += len(h)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{self.loss_curve_[-1]:.4f}", refresh=False)
                if callback is not None and self.n_steps_ % every == 0:
                    self.fit_time_ = time.perf_counter() - t0
                    self.tokens_per_second_ = n_trained / max(self.fit_time_, 1e-9)
                    c0 = time.perf_counter()
                    net.eval()
                    stop = callback(self, self.n_steps_)
                    net.train()
                    t0 += time.perf_counter() - c0  # the callback's time is not training time
                    if stop:
                        self.stop_reason_ = "callback"
                        break
        finally:
            if bar is not None:
                bar.close()
            net.eval()
        self.fit_time_ = time.perf_counter() - t0
        self.tokens_per_second_ = n_trained / max(self.fit_time_, 1e-9)

    def _progress(self, total: int | None):
        if not self.verbose or not sys.stderr.isatty():
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="TransformerAR", unit="step", leave=False, mininterval=0.5)

    # ------------------------------------------------------------------ teacher-forced prediction
    def _iter_logits(self, torch, seqs: Sequences):
        """(flat positions, logits ``(n, V)`` float32 on the CPU) chunk by chunk over the positions with
        ``kinds != 0``: position ``t`` of a sequence sees ``[start] + s[:t]``, or its last ``context_``
        tokens when that is longer."""
        net, C = self.module_, self.context_
        dev = next(net.parameters()).device
        starts, lens = seqs.offsets[:-1], np.diff(seqs.offsets)
        per = max(256, _LOGIT_BYTES // (4 * self.vocab_size_))  # cells per chunk
        width = lens if C is None else np.minimum(lens, C)
        order = np.argsort(-width, kind="stable")  # widest first: a chunk's first row is its widest
        jobs = [(order, np.zeros(len(order), dtype=np.int64), width[order], None)]
        if C is not None and (lens > C).any():  # positions t >= C: one window p[t + 1 - C : t + 1] each
            sid = np.repeat(np.arange(len(seqs)), lens)
            t = np.arange(len(seqs.tokens)) - starts[sid]
            far = np.flatnonzero((t >= C) & (seqs.kinds != 0))
            jobs.append((sid[far], t[far] + 1 - C, np.full(len(far), C, dtype=np.int64), "last"))
        for rows, first, w, only_last in jobs:
            i = 0
            while i < len(rows):
                n = max(1, per // max(int(w[i]), 1))
                sl = slice(i, i + n)
                inp, target, mask = self._rows(seqs, starts[rows[sl]], first[sl], w[sl])
                if only_last:
                    mask = np.zeros_like(mask)
                    mask[:, -1] = True
                h = net(torch.from_numpy(inp).to(dev))[torch.from_numpy(mask).to(dev)]
                yield target[mask], net.head(h).float().cpu()
                i += n

    def predict(self, X: Any) -> np.ndarray:
        """Teacher-forced next-token predictions at every training position (``kinds != 0``).

        Returns
        -------
        ndarray of int32, shape (n_positions,)
            In the order of the flat token array; compare with :meth:`targets`.
        """
        self._check_fitted()
        torch = require_torch()
        seqs = self._sequences(X)
        out = np.zeros(len(seqs.tokens), dtype=np.int32)
        with self._env(torch, next(self.module_.parameters()).device, grad=False):
            for flat, logits in self._iter_logits(torch, seqs):
                out[flat] = logits.argmax(dim=1).numpy()
        return out[seqs.kinds != 0]

    def log_likelihood(self, X: Any) -> np.ndarray:
        """Teacher-forced log-probability (nats, float64) of the true token at every training position, in
        the order of :meth:`predict`."""
        self._check_fitted()
        torch = require_torch()
        seqs = self._sequences(X)
        out = np.zeros(len(seqs.tokens), dtype=np.float64)
        with self._env(torch, next(self.module_.parameters()).device, grad=False):
            for flat, logits in self._iter_logits(torch, seqs):
                logp = torch.log_softmax(logits.double(), dim=1)
                y = torch.from_numpy(seqs.tokens[flat].astype(np.int64))
                out[flat] = logp.gather(1, y[:, None])[:, 0].numpy()
        return out[seqs.kinds != 0]

    def loss(self, X: Any) -> float:
        """Mean teacher-forced cross-entropy (nats per token) on the training positions of ``X``."""
        ll = self.log_likelihood(X)
        return float(-ll.mean()) if ll.size else 0.0

    # ------------------------------------------------------------------ rollouts
    def _next_logits(self, torch, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray):
        """Logits ``(len(rows), V)`` (float32, CPU) after ``buf[rows[i], :lengths[i]]`` for each ``i``: the last
        ``context_`` tokens of ``[start] + history``, right-padded into one batch per chunk."""
        net, C = self.module_, self.context_
        dev = next(net.parameters()).device
        lengths = np.asarray(lengths, dtype=np.int64)
        wl = lengths + 1 if C is None else np.minimum(lengths + 1, C)
        first = lengths + 1 - wl
        per = max(1, max(256, _LOGIT_BYTES // (4 * self.vocab_size_)) // max(int(wl.max(initial=1)), 1))
        res = []
        for i in range(0, len(rows), per):
            r, f, w = rows[i:i + per], first[i:i + per], wl[i:i + per]
            k = np.arange(int(w.max()))
            m = f[:, None] + k[None, :]                      # index into [start] + history
            inp = np.where(m == 0, self.vocab_size_, buf[r[:, None], np.maximum(m - 1, 0)]).astype(np.int64)
            inp[k[None, :] >= w[:, None]] = 0
            h = net(torch.from_numpy(inp).to(dev))
            last = h[torch.arange(len(r), device=dev), torch.from_numpy(w - 1).to(dev)]
            res.append(net.head(last).float().cpu())
        return torch.cat(res) if res else torch.zeros((0, self.vocab_size_))

    def next_logits(self, context: Sequence[int]) -> np.ndarray:
        """Logits (float64, shape (V,)) of the next token after the token ids ``context`` (what a sampler
        with a temperature needs; :meth:`predict_next` is their argmax)."""
        self._check_fitted()
        torch = require_torch()
        ctx = self._prompt_list([context])[0]
        with self._env(torch, next(self.module_.parameters()).device, grad=False):
            return self._next_logits(torch, ctx[None, :], np.zeros(1, dtype=np.int64),
                                     np.array([len(ctx)]))[0].double().numpy()

    def _next_tokens(self, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The protocol's primitive (:class:`learners.ARModel`): the argmax next token after
        ``buf[rows[i], :lengths[i]]``; the greedy ``generate`` and ``predict_next`` are built on it."""
        torch = require_torch()
        with self._env(torch, next(self.module_.parameters()).device, grad=False):
            return self._next_logits(torch, buf, rows, lengths).argmax(dim=1).numpy()

    # ------------------------------------------------------------------ persistence
    def _save_payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"params": params_json(self.get_params()),
                "vocabulary": self.vocabulary_.to_json() if self.vocabulary_ is not None else None,
                "vocab_size": self.vocab_size_, "context": self.context_,
                "windows": list(self.windows_), "slopes": list(self.slopes_),
                "record": {"n_steps": self.n_steps_, "stop_reason": self.stop_reason_,
                           "loss_curve": self.loss_curve_}}
        dtype = self.module_.tok.weight.dtype
        return meta, {k: t.detach().to("cpu", dtype=dtype).numpy() for k, t in self.module_.state_dict().items()}

    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to ``.npz`` atomically (format ``learners-transformer-ar``: the parameters
        as JSON, every weight tensor as a float32 array, no pickle anywhere), byte-for-byte the same for
        the same weights; :func:`learners.load_model` reads it.

        Raises
        ------
        LearnerError
            The directory of ``path`` does not exist.
        """
        from ._io import save

        self._check_fitted()
        return save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> "TransformerAR":
        """Load a model written by :meth:`save` (:func:`learners.load_model`, every array validated against
        the parameters), then move it to ``device`` if given.

        Raises
        ------
        LearnerError
            A missing file, or one that is not a valid saved TransformerAR (naming the bad field).
        """
        model = super().load(path)
        return model if device is None else model.to(device)

    def to(self, device: str) -> "TransformerAR":
        """Move the fitted weights to ``device`` (``"cpu"`` or ``"cuda"``) and set the parameter."""
        self._check_fitted()
        torch = require_torch()
        old = self.device
        self.set_params(device=device)
        try:
            self._check_params()
            dev = self._device(torch)
        except LearnerError:
            self.set_params(device=old)
            raise
        self.module_ = self.module_.to(dev)
        return self
