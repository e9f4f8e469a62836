"""Learner: an auto-regressive MLP in pure numpy (token embedding -> the window of the last k embeddings, or the
paper's masked block-causal linear layer over the whole context -> ReLU layers -> logits), trained with
AdamW on the loss-masked positions; the same estimator interface, rollouts and evaluation as the linear
learners.

Speed notes. Everything runs in float32 (float64 on request, for gradient checks) through BLAS matmuls,
under ``threadpoolctl`` when ``n_threads`` is set. Embeddings are gathered by index and their gradient is
scattered back through a sparse (CSR) product: no dense one-hot matrix is ever built. All parameters,
gradients and AdamW moments live in one flat buffer each, so an optimiser step, the global gradient norm
and a checkpoint are single vector operations. Training fuses the output layer, the softmax cross-entropy
and their backward pass over blocks of rows, so the (positions x V) logits never leave the L2 cache (on the
text experiment's V = 4,096 a step is 1.2x faster). Greedy rollouts are batched over prompts and recompute only
the newest position per step.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from tmsim.encodings import Vocabulary

from .base import ARModel, load_model, register_model_format
from .data import Sequences, as_sequences, for_model, params_json
from .errors import LearnerError

__all__ = ["MLPAR", "load_model"]

PAD = 0
_CONTEXTS = ("window", "causal")
_SCHEDULES = ("cosine", "linear", "constant")
_ACTIVATIONS = ("relu", "identity")
#: Positions per chunk when predicting (bounds the activations' memory, keeps BLAS busy).
_PREDICT_CHUNK = 8192
#: Bytes of logits per block of the fused training output layer (:meth:`MLPAR._output_xent`): small enough
#: that a block, computed, turned into its gradient and used twice, never leaves the L2 cache.
_XENT_BLOCK_BYTES = 1 << 19


# ---------------------------------------------------------------------------------------------- checks
def _param_error(name: str, expected: str, got: Any) -> LearnerError:
    return LearnerError(f"The {name!r} parameter of MLPAR must be {expected}. Got {got!r} instead.")


def _int_param(name: str, value: Any, low: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _param_error(name, f"an int in [{low}, inf)" + (" or None" if allow_none else ""), value)
    return int(value)


def _float_param(name: str, value: Any, low: float, high: float = math.inf, *, low_open: bool = False,
                 high_open: bool = False, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lb, hb = "(" if low_open else "[", ")" if high_open or high == math.inf else "]"
        raise _param_error(name, f"a float in {lb}{low}, {high}{hb}" + (" or None" if allow_none else ""), value)
    return float(value)


# ---------------------------------------------------------------------------------------------- helpers
def _scatter_rows(idx: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """``out[v] = sum of rows[i] with idx[i] == v``: the embedding gradient, as a sparse (CSR) product.

    The selection matrix (one 1 per row) is built straight from ``idx`` in CSR form, with no sorting.
    """
    n = len(idx)
    M = sp.csr_matrix((np.ones(n, dtype=rows.dtype), idx.astype(np.int32, copy=False), np.arange(n + 1)),
                      shape=(n, n_rows))
    return np.asarray(M.T @ rows)


def _window_tokens(tokens: np.ndarray, seq_offsets: np.ndarray, pos: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """Tokens at ``pos - offs`` (``<pad>`` before each position's sequence start): int64, shape (n, k)."""
    start = seq_offsets[np.searchsorted(seq_offsets, pos, side="right") - 1]
    src = pos[:, None].astype(np.int64) - offs[None, :]
    win = tokens[np.maximum(src, 0)].astype(np.int64)
    win[src < start[:, None]] = PAD
    return win


def _softmax_xent(logits: np.ndarray, y: np.ndarray, per_sample: bool = False, denom: int | None = None):
    """Mean cross-entropy, number right, and d(loss)/d(logits) (written over ``logits``); with
    ``per_sample``, also each sample's loss. The gradient is of the sum of the losses divided by ``denom``
    (default: the number of rows, i.e. of the mean; a block of a larger batch passes the batch's size)."""
    n = logits.shape[0]
    r = np.arange(n)
    pred = logits.argmax(axis=1)
    right = int(np.count_nonzero(pred == y))
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    s = logits.sum(axis=1)
    losses = -np.log(np.maximum(logits[r, y] / s, np.finfo(logits.dtype).tiny))
    denom = max(n if denom is None else denom, 1)
    logits *= (1.0 / (s * denom)).astype(logits.dtype)[:, None]
    logits[r, y] -= 1.0 / denom
    if per_sample:
        return float(losses.mean()), right, logits, losses
    return float(losses.mean()), right, logits


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


class _Params:
    """All parameters in one flat buffer (decayed ones first), with named views; the same for gradients."""

    def __init__(self, layout: list[tuple[str, tuple[int, ...], bool]], dtype, theta: np.ndarray | None = None):
        self.layout = layout
        sizes = [int(np.prod(s)) for _, s, _ in layout]
        self.size = int(sum(sizes))
        self.n_decay = int(sum(sz for (_, _, dec), sz in zip(layout, sizes) if dec))
        self.theta = np.zeros(self.size, dtype=dtype) if theta is None else theta
        self.grad = np.zeros(self.size, dtype=dtype)
        self.p, self.g = {}, {}
        o = 0
        for (name, shape, _), sz in zip(layout, sizes):
            self.p[name] = self.theta[o:o + sz].reshape(shape)
            self.g[name] = self.grad[o:o + sz].reshape(shape)
            o += sz


def _layout(context: str, V: int, d: int, k: int, T: int, hidden: tuple[int, ...]):
    """Parameter names, shapes and weight-decay flags; matrices (decayed) before biases."""
    mats: list = [("E", (V, d), True)]
    biases: list = []
    if context == "window":
        width = k * d
    else:
        mats.append(("C", (d * T * (T - 1) // 2, d), True))  # block p: rows d*p(p-1)/2 .. d*p(p+1)/2
        biases.append(("c", (T, d), False))
        width = d
    for i, h in enumerate(hidden):
        mats.append((f"W{i}", (width, h), True))
        biases.append((f"b{i}", (h,), False))
        width = h
    mats.append(("Wo", (width, V), True))
    biases.append(("bo", (V,), False))
    return mats + biases


def _block(p: int, d: int) -> slice:
    """Rows of the packed block-causal weights used by position ``p`` (the ``p`` positions before it)."""
    return slice(d * p * (p - 1) // 2, d * p * (p + 1) // 2)


# ---------------------------------------------------------------------------------------------- the model
class MLPAR(ARModel, BaseEstimator):
    """Auto-regressive MLP next-token predictor, pure numpy.

    ``context="window"`` (default): the embeddings of the tokens at offsets 1..k before a position
    (``<pad>`` before the sequence start), concatenated, feed ReLU layers and a softmax over the
    vocabulary. ``context="causal"``: the paper's model [paper+code] -- the embeddings of the whole
    context (``T`` positions) go through a masked block-causal linear layer ``Linear(T*d -> T*d)`` in which
    the output at position ``p`` sees the embeddings at positions ``< p`` only (a separate ``d x d`` block per
    pair of positions), then ReLU (or no activation), then the layers; with ``embedding_dim=128, hidden_layer_sizes=(128,)``
    this is the paper's multiplication model.

    Cost of the block-causal layer: ``d^2 T (T - 1) / 2`` weights (float32: 2 d^2 T^2 bytes; the AdamW
    moments and the gradient triple that), and ``d^2 T (T - 1)`` multiply-adds forward per sequence (about
    3x that per training sequence). For the paper's ``T = 307, d = 128`` that is 770M weights (3.1 GB,
    12 GB with gradient and moments) and 1.5 GFLOP per sequence forward: out of reach on a 2-core laptop,
    which is why the window (``k d h`` weights, ``2 k d h`` FLOP per position) is the default. The layer
    also ties a model to its context length ``T`` (longer contexts keep the last ``T - 1`` tokens).

    Training: cross-entropy on the positions with ``kinds != 0``, mini-batches drawn without replacement
    from one numpy Generator (``random_state``: initial weights, validation split and batch order all come
    from it, so a fit is reproducible for a given BLAS thread count), AdamW with decoupled weight decay on
    the weight matrices and embeddings (not biases), linear warmup then cosine or linear decay to
    ``final_lr_ratio * learning_rate``, clipping by global gradient norm, and early stopping on a
    validation split (the best weights are kept).

    Parameters
    ----------
    embedding_dim : int, default 16
        ``d``, the token embedding size.
    window : int, default 8
        ``k``: the window is offsets 1..k (ignored when ``offsets`` is given, or with ``context="causal"``).
    offsets : sequence of int, optional
        An explicit set of window offsets (e.g. :attr:`tmsim.datasets.tasks.Task.offsets`).
    context : {"window", "causal"}, default "window"
    context_length : int, optional
        ``T`` of the block-causal layer; default: the longest training sequence.
    hidden_layer_sizes : tuple of int, default (256,)
        ReLU layers between the context features and the output layer (empty: a linear read-out).
    learning_rate : float, default 1e-3
        Peak learning rate of AdamW.
    weight_decay : float, default 0.01
        Decoupled weight decay (AdamW) of the matrices and embeddings.
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    batch_size : int, default 512
        Training positions per step (``context="window"``), or sequences per step (``"causal"``, where all
        positions of a sequence share one pass through the layer).
    max_epochs : int, default 10
    lr_schedule : {"cosine", "linear", "constant"}, default "cosine"
        Decay after the warmup, over ``max_epochs`` epochs (and ``max_time``, if set: the schedule follows
        whichever of steps or time is further along).
    warmup : float, default 0.02
        Fraction of the planned steps spent ramping the learning rate up from 0.
    final_lr_ratio : float, default 0.1
        Learning rate at the end of the decay, relative to ``learning_rate``.
    clip_norm : float or None, default 1.0
        Clip the global gradient norm to this (None: no clipping).
    validation_fraction : float, default 0.1
        Fraction of the training sequences held out for early stopping (0: none), unless ``fit`` gets
        ``validation_data``.
    early_stopping : bool, default True
        Stop when the validation loss (the training loss without validation data) has not improved by
        ``tol`` for ``n_iter_no_change`` epochs; with validation data the best weights are restored.
    n_iter_no_change : int, default 3
    tol : float, default 1e-4
    max_time : float, optional
        Stop training after this many seconds (checked every step).
    sampling : {"uniform", "loss"}, default "uniform"
        How a window model draws its training positions. "uniform": every position once per epoch, in a
        random order. "loss": an epoch is as many draws, with replacement, half uniform and half in
        proportion to the running loss at the same position of a sequence -- a focus on the positions
        still hard (in the paper's multiplication CoT, the 8 answer digits of 297 positions), at the
        price of a reweighted objective. (The block-causal model always draws whole sequences.)
    dtype : {"float32", "float64"}, default "float32"
    n_threads : int or None, default 1
        BLAS threads during fit, predict and generate (None: leave the BLAS default). One thread is the
        default because the matrices of these models are small enough that threading overhead dominates:
        on this 2-core machine shared with other jobs, an epoch measured 2.5 s on one thread and 56 s on
        two. Raise it for large layers on an idle machine.
    activation : {"relu", "identity"}, default "relu"
        The non-linearity after the block-causal layer and each hidden layer. ``"identity"`` with
        ``context="causal", hidden_layer_sizes=()`` is the paper's purely linear text model (embedding ->
        block-causal linear layer -> output layer, no non-linearity anywhere).
    random_state : int, Generator or None
    verbose : int, default 1
        0: silent. 1: a progress bar (tqdm, only on a terminal) with the running loss and token accuracy.

    Attributes
    ----------
    vocab_size_ : int
    vocabulary_ : Vocabulary or None
    offsets_ : ndarray of int64, shape (k,)
        Window offsets (empty for ``context="causal"``).
    context_length_ : int
        ``T`` (0 for the window).
    params_ : dict of str -> ndarray
        Views into one flat float buffer: ``E`` (V, d); ``C`` (d T (T-1) / 2, d) and ``c`` (T, d) for the
        block-causal layer; ``W0``, ``b0``, ... for the hidden layers; ``Wo`` (h, V), ``bo`` (V,).
    n_parameters_ : int
    n_epochs_, n_steps_ : int
    n_train_positions_ : int
        Training positions per epoch.
    loss_curve_ : list of float
        Mean training loss per epoch.
    running_loss_ : float
        Mean training loss of the current epoch so far (what a mid-epoch callback sees).
    validation_loss_, validation_accuracy_ : list of float
        Per epoch (empty without validation).
    best_epoch_ : int or None
    stop_reason_ : {"max_epochs", "early_stopping", "max_time", "callback"}
    fit_time_ : float
        Seconds spent in the last ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from learners import MLPAR, evaluate
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])] * 8          # a repeating pattern
    >>> model = MLPAR(window=2, embedding_dim=4, hidden_layer_sizes=(16,), learning_rate=0.05,
    ...               max_epochs=30, batch_size=16, validation_fraction=0, verbose=0, random_state=0)
    >>> model.fit(seqs).score(seqs)
    1.0
    >>> model.generate([[1, 2]], max_new_tokens=4)[0].tolist()
    [1, 2, 3, 1, 2, 3]
    """

    format_tag = "learners-mlp-ar"
    _fitted_attr = "params_"

    def __init__(self, embedding_dim: int = 16, window: int = 8, offsets: Sequence[int] | None = None,
                 context: str = "window", context_length: int | None = None,
                 hidden_layer_sizes: Sequence[int] = (256,), learning_rate: float = 1e-3,
                 weight_decay: float = 0.01, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 batch_size: int = 512, max_epochs: int = 10, lr_schedule: str = "cosine", warmup: float = 0.02,
                 final_lr_ratio: float = 0.1, clip_norm: float | None = 1.0, validation_fraction: float = 0.1,
                 early_stopping: bool = True, n_iter_no_change: int = 3, tol: float = 1e-4,
                 max_time: float | None = None, sampling: str = "uniform", dtype: str = "float32",
                 n_threads: int | None = 1, activation: str = "relu",
                 random_state: int | np.random.Generator | None = None, verbose: int = 1):
        self.embedding_dim = embedding_dim
        self.window = window
        self.offsets = offsets
        self.context = context
        self.context_length = context_length
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.betas = betas
        self.eps = eps
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr_schedule = lr_schedule
        self.warmup = warmup
        self.final_lr_ratio = final_lr_ratio
        self.clip_norm = clip_norm
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_time = max_time
        self.sampling = sampling
        self.dtype = dtype
        self.n_threads = n_threads
        self.activation = activation
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation of parameters
    def _check_params(self) -> dict:
        """All hyper-parameters, validated (a LearnerError names the first bad one)."""
        c = {}
        c["d"] = _int_param("embedding_dim", self.embedding_dim, 1)
        if self.context not in _CONTEXTS:
            raise _param_error("context", f"one of {_CONTEXTS}", self.context)
        c["context"] = self.context
        if self.context == "window":
            if self.offsets is not None:
                offs = np.asarray(self.offsets)
                if offs.ndim != 1 or offs.size == 0 or offs.dtype.kind not in "iu" or (offs < 1).any() \
                        or len(np.unique(offs)) != len(offs):
                    raise _param_error("offsets", "a non-empty sequence of distinct ints >= 1", self.offsets)
                c["offsets"] = np.ascontiguousarray(offs, dtype=np.int64)
            else:
                c["offsets"] = np.arange(1, _int_param("window", self.window, 1) + 1, dtype=np.int64)
        else:
            c["offsets"] = np.zeros(0, dtype=np.int64)
        c["T"] = _int_param("context_length", self.context_length, 1, allow_none=True)
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise _param_error("hidden_layer_sizes", "a tuple of ints >= 1", self.hidden_layer_sizes) from None
        if any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in hidden):
            raise _param_error("hidden_layer_sizes", "a tuple of ints >= 1", self.hidden_layer_sizes)
        c["hidden"] = tuple(int(h) for h in hidden)
        c["lr"] = _float_param("learning_rate", self.learning_rate, 0.0, low_open=True)
        c["wd"] = _float_param("weight_decay", self.weight_decay, 0.0)
        try:
            b1, b2 = self.betas
        except (TypeError, ValueError):
            raise _param_error("betas", "a pair of floats in [0, 1)", self.betas) from None
        c["b1"] = _float_param("betas", b1, 0.0, 1.0, high_open=True)
        c["b2"] = _float_param("betas", b2, 0.0, 1.0, high_open=True)
        c["eps"] = _float_param("eps", self.eps, 0.0, low_open=True)
        c["batch"] = _int_param("batch_size", self.batch_size, 1)
        c["epochs"] = _int_param("max_epochs", self.max_epochs, 1)
        if self.lr_schedule not in _SCHEDULES:
            raise _param_error("lr_schedule", f"one of {_SCHEDULES}", self.lr_schedule)
        c["warmup"] = _float_param("warmup", self.warmup, 0.0, 1.0, high_open=True)
        c["final"] = _float_param("final_lr_ratio", self.final_lr_ratio, 0.0, 1.0)
        c["clip"] = _float_param("clip_norm", self.clip_norm, 0.0, low_open=True, allow_none=True)
        c["vfrac"] = _float_param("validation_fraction", self.validation_fraction, 0.0, 1.0, high_open=True)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise _param_error("early_stopping", "a bool", self.early_stopping)
        c["early_stopping"] = bool(self.early_stopping)
        c["patience"] = _int_param("n_iter_no_change", self.n_iter_no_change, 1)
        c["tol"] = _float_param("tol", self.tol, 0.0)
        c["max_time"] = _float_param("max_time", self.max_time, 0.0, low_open=True, allow_none=True)
        if self.sampling not in ("uniform", "loss"):
            raise _param_error("sampling", "'uniform' or 'loss'", self.sampling)
        if self.dtype not in ("float32", "float64"):
            raise _param_error("dtype", "'float32' or 'float64'", self.dtype)
        c["dtype"] = np.dtype(self.dtype)
        c["threads"] = _int_param("n_threads", self.n_threads, 1, allow_none=True)
        if self.activation not in _ACTIVATIONS:
            raise _param_error("activation", f"one of {_ACTIVATIONS}", self.activation)
        c["verbose"] = _int_param("verbose", self.verbose, 0)
        return c

    def _threads(self):
        n = getattr(self, "n_threads", None)
        if n is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=int(n), user_api="blas")

    # ------------------------------------------------------------------ state
    def _init_model(self, seqs: Sequences, cfg: dict, rng: np.random.Generator) -> None:
        V, d = seqs.vocab_size, cfg["d"]
        self.vocab_size_ = V
        self.vocabulary_ = seqs.vocabulary
        self.offsets_ = cfg["offsets"]
        self.hidden_ = cfg["hidden"]
        self.embedding_dim_ = d
        if cfg["context"] == "causal":
            longest = int(np.diff(seqs.offsets).max(initial=1))
            self.context_length_ = cfg["T"] if cfg["T"] is not None else max(longest, 1)
        else:
            self.context_length_ = 0
        layout = _layout(cfg["context"], V, d, len(self.offsets_), self.context_length_, self.hidden_)
        self._P = _Params(layout, cfg["dtype"])
        self._init_weights(rng)
        self.params_ = self._P.p
        self.n_parameters_ = self._P.size
        self._opt = {"m": np.zeros_like(self._P.theta), "v": np.zeros_like(self._P.theta), "t": 0}
        self.n_epochs_ = 0
        self.n_steps_ = 0
        self.loss_curve_ = []
        self.validation_loss_ = []
        self.validation_accuracy_ = []
        self.best_epoch_ = None

    def _init_weights(self, rng: np.random.Generator) -> None:
        """PyTorch's defaults: N(0, 1) embeddings; U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights and biases
        (the block-causal layer uses the fan-in of the paper's dense Linear(T*d, T*d))."""
        p = self._P.p
        dt = self._P.theta.dtype
        p["E"][...] = rng.standard_normal(p["E"].shape).astype(dt)
        fan = {}
        if "C" in p:
            fan["C"] = fan["c"] = self.context_length_ * self.embedding_dim_
        for i in range(len(self.hidden_)):
            fan[f"W{i}"] = fan[f"b{i}"] = p[f"W{i}"].shape[0]
        fan["Wo"] = fan["bo"] = p["Wo"].shape[0]
        for name, _, _ in self._P.layout:
            if name == "E":
                continue
            bound = 1.0 / math.sqrt(fan[name])
            p[name][...] = rng.uniform(-bound, bound, size=p[name].shape).astype(dt)

    # ------------------------------------------------------------------ activation
    def _relu(self) -> bool:
        return getattr(self, "activation", "relu") == "relu"

    def _act(self, H: np.ndarray) -> None:
        """The non-linearity, in place (nothing for ``activation="identity"``)."""
        if self._relu():
            np.maximum(H, 0, out=H)

    # ------------------------------------------------------------------ forward / backward: window
    def _forward_window(self, win: np.ndarray) -> tuple[np.ndarray, list]:
        """Logits (n, V) of the windows ``win`` (n, k) and the activations the backward pass needs."""
        p = self.params_
        return self._forward_head(p["E"][win].reshape(len(win), -1))

    def _forward_head(self, X: np.ndarray, logits: bool = True) -> tuple[np.ndarray | None, list]:
        """The hidden layers and the output layer on the features ``X`` (n, F): logits (n, V) (None with
        ``logits=False``: training computes them block by block in :meth:`_output_xent`) and the
        activations ``[X, H_1, ...]`` that :meth:`_backward_hidden` needs."""
        p = self.params_
        acts = [X]
        H = X
        for i in range(len(self.hidden_)):
            H = H @ p[f"W{i}"]
            H += p[f"b{i}"]
            self._act(H)
            acts.append(H)
        if not logits:
            return None, acts
        out = H @ p["Wo"]
        out += p["bo"]
        return out, acts

    def _output_xent(self, H: np.ndarray, y: np.ndarray, per_sample: bool = False):
        """The output layer, the softmax cross-entropy and their backward pass, fused over blocks of rows:
        each block of logits is computed, turned into d(loss)/d(logits) in place and multiplied into the
        gradients of ``Wo``, ``bo`` and ``H`` while it is still in cache (the (n, V) logits are never
        materialised -- they are most of the memory traffic of a step). The same numbers as
        :func:`_softmax_xent` on ``H @ Wo + bo`` followed by the output layer's backward pass.

        Returns
        -------
        loss : float
            Mean cross-entropy.
        right : int
            Rows whose target is the argmax of the logits.
        dH : ndarray (n, h)
            d(loss)/d(H); the gradients of ``Wo`` and ``bo`` are written into the flat gradient buffer.
        losses : ndarray (n,)
            Each row's loss (only with ``per_sample``).
        """
        p, g = self.params_, self._P.g
        Wo, bo, gW, gb = p["Wo"], p["bo"], g["Wo"], g["bo"]
        n, V = len(y), Wo.shape[1]
        rows = max(8, _XENT_BLOCK_BYTES // (V * H.dtype.itemsize))
        buf = np.empty((min(rows, n), V), dtype=H.dtype)
        tmp = np.empty_like(gW)
        dH = np.empty((n, Wo.shape[0]), dtype=H.dtype)
        losses = np.empty(n, dtype=np.float64)
        gW[...] = 0
        gb[...] = 0
        right = 0
        for i in range(0, n, rows):
            h, yy = H[i:i + rows], y[i:i + rows]
            k = len(yy)
            L = buf[:k]
            np.matmul(h, Wo, out=L)
            L += bo
            _, r, _, losses[i:i + k] = _softmax_xent(L, yy, per_sample=True, denom=n)
            right += r
            np.matmul(h.T, L, out=tmp)
            gW += tmp
            gb += L.sum(axis=0)
            np.matmul(L, Wo.T, out=dH[i:i + k])
        loss = float(losses.mean()) if n else 0.0
        if per_sample:
            return loss, right, dH, losses
        return loss, right, dH

    def _backward_hidden(self, acts: list, dH: np.ndarray) -> np.ndarray:
        """Gradients of the hidden layers from d(last activations) ``dH``; returns d(features)."""
        p, g = self.params_, self._P.g
        for i in reversed(range(len(self.hidden_))):
            if self._relu():
                dH *= acts[i + 1] > 0
            np.matmul(acts[i].T, dH, out=g[f"W{i}"])
            np.sum(dH, axis=0, out=g[f"b{i}"])
            dH = dH @ p[f"W{i}"].T
        return dH

    def _backward_window(self, win: np.ndarray, dX: np.ndarray) -> None:
        """The embeddings' gradient from d(features) ``dX`` (n, k d)."""
        d = self.embedding_dim_
        self._P.g["E"][...] = _scatter_rows(win.reshape(-1), dX.reshape(-1, d), self.vocab_size_)

    # ------------------------------------------------------------------ forward / backward: block-causal
    def _causal_features(self, toks: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, dict]:
        """Block-causal outputs at the positions ``where`` (a bool mask (B, L)) of the sequences ``toks``
        (B, L), L <= T: ``h_p = c_p + sum_{s < p} e_s C[p, s]``, before the ReLU."""
        p, d = self.params_, self.embedding_dim_
        B, L = toks.shape
        Xf = p["E"][toks].reshape(B, L * d)
        H = np.zeros((B, L, d), dtype=Xf.dtype)
        cols = np.flatnonzero(where.any(axis=0))
        for q in cols:
            H[:, q] = p["c"][q]
            if q:
                H[:, q] += Xf[:, :q * d] @ p["C"][_block(q, d)]
        return H[where], {"toks": toks, "Xf": Xf, "where": where, "cols": cols}

    def _forward_causal(self, toks: np.ndarray, where: np.ndarray,
                        logits: bool = True) -> tuple[np.ndarray | None, list, dict]:
        F, cache = self._causal_features(toks, where)
        self._act(F)
        out, acts = self._forward_head(F, logits)
        return out, acts, cache

    def _backward_causal(self, acts: list, cache: dict, dF: np.ndarray) -> None:
        """Gradients of the block-causal layer and the embeddings from d(features) ``dF`` (after the
        activation)."""
        if self._relu():
            dF *= acts[0] > 0
        p, g, d = self.params_, self._P.g, self.embedding_dim_
        toks, Xf, where = cache["toks"], cache["Xf"], cache["where"]
        B, L = toks.shape
        dH = np.zeros((B, L, d), dtype=dF.dtype)
        dH[where] = dF
        cols = cache["cols"]
        if len(cols) < self.context_length_:  # the blocks of positions without a target: zero gradient
            for q in np.setdiff1d(np.arange(self.context_length_), cols):
                g["C"][_block(q, d)] = 0
                g["c"][q] = 0
        dX = np.zeros_like(Xf)
        for q in cols:
            g["c"][q] = dH[:, q].sum(axis=0)
            if q:
                blk = _block(q, d)
                np.matmul(Xf[:, :q * d].T, dH[:, q], out=g["C"][blk])
                dX[:, :q * d] += dH[:, q] @ p["C"][blk].T
        g["E"][...] = _scatter_rows(toks.reshape(-1), dX.reshape(-1, d), self.vocab_size_)

    def _causal_logits_last(self, ctx: np.ndarray) -> np.ndarray:
        """Logits for the position right after the contexts ``ctx`` (B, q), q <= T - 1 (rollouts)."""
        p, d = self.params_, self.embedding_dim_
        B, q = ctx.shape
        h = np.broadcast_to(p["c"][q], (B, d)).copy()
        if q:
            h += p["E"][ctx].reshape(B, q * d) @ p["C"][_block(q, d)]
        self._act(h)
        for i in range(len(self.hidden_)):
            h = h @ p[f"W{i}"]
            h += p[f"b{i}"]
            self._act(h)
        return h @ p["Wo"] + p["bo"]

    # ------------------------------------------------------------------ data
    def _data(self, X: Any, *, fitting: bool) -> Sequences:
        if fitting and not hasattr(self, "params_"):
            return as_sequences(X, owner="MLPAR")
        return for_model(as_sequences(X, owner="MLPAR"), self.vocabulary_, self.vocab_size_, "MLPAR")

    @staticmethod
    def _positions(seqs: Sequences) -> np.ndarray:
        """Flat indices of the training positions (int32 when they fit)."""
        pos = np.flatnonzero(seqs.kinds != 0)
        return pos.astype(np.int32) if len(seqs.tokens) < 2 ** 31 else pos

    def _seq_batch(self, seqs: Sequences, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sequences ``index`` padded to a (B, L) block (L <= T), their target mask and targets."""
        starts, lens = seqs.offsets[index], np.diff(seqs.offsets)[index]
        L = int(lens.max(initial=1))
        if L > self.context_length_:
            raise LearnerError(f"MLPAR: a training sequence has {L} tokens, more than the context length "
                               f"{self.context_length_} of the block-causal layer.")
        cols = np.arange(L)
        valid = cols[None, :] < lens[:, None]
        src = np.where(valid, starts[:, None] + cols[None, :], 0)
        toks = np.where(valid, seqs.tokens[src], PAD).astype(np.int64)
        where = valid & (seqs.kinds[src] != 0)
        return toks, where, toks[where]

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, y: Any = None, *, validation_data: Any = None, callback: Any = None,
            callback_every: int | None = None) -> "MLPAR":
        """Train from freshly initialised weights.

        Parameters
        ----------
        X : dataset (see :func:`learners.as_sequences`)
        y : ignored (the targets are the next tokens at the positions with ``kinds != 0``)
        validation_data : dataset, optional
            Held-out sequences for early stopping (else ``validation_fraction`` of ``X``'s sequences).
        callback : callable, optional
            ``callback(model, epoch)`` after every epoch, with the current weights (e.g. to record held-out
            rollouts as training goes); returning True stops training. Its time counts neither toward
            ``max_time`` nor ``fit_time_``.
        callback_every : int, optional
            Also call it every this many steps within an epoch (``epoch`` is then fractional: the epochs
            done so far), for long epochs.
        """
        cfg = self._check_params()
        for attr in ("params_", "_P", "_opt"):
            if hasattr(self, attr):
                delattr(self, attr)
        seqs = as_sequences(X, owner="MLPAR")
        rng = np.random.default_rng(self.random_state)
        val = None
        if validation_data is not None:
            val = as_sequences(validation_data, vocab_size=seqs.vocab_size, owner="MLPAR (validation_data)")
        elif cfg["vfrac"] > 0 and self.early_stopping:
            n_val = int(round(cfg["vfrac"] * len(seqs)))
            if 0 < n_val < len(seqs):
                perm = rng.permutation(len(seqs))
                val, seqs = seqs.subset(np.sort(perm[:n_val])), seqs.subset(np.sort(perm[n_val:]))
        with self._threads():
            self._init_model(seqs, cfg, rng)
            self._rng = rng
            every = _int_param("callback_every", callback_every, 1, allow_none=True)
            self._train(seqs, val, cfg, cfg["epochs"], schedule=True, callback=callback, callback_every=every)
        return self

    def partial_fit(self, X: Any, y: Any = None) -> "MLPAR":
        """One more epoch over ``X`` at the constant ``learning_rate``, continuing from the current weights
        and optimiser state (initialising the model on the first call)."""
        cfg = self._check_params()
        seqs = self._data(X, fitting=True)
        with self._threads():
            if not hasattr(self, "params_"):
                self._rng = np.random.default_rng(self.random_state)
                self._init_model(seqs, cfg, self._rng)
            elif not hasattr(self, "_opt"):  # a loaded model: fresh optimiser moments
                self._opt = {"m": np.zeros_like(self._P.theta), "v": np.zeros_like(self._P.theta), "t": 0}
                self._rng = np.random.default_rng(self.random_state)
            self._train(seqs, None, cfg, 1, schedule=False)
        return self

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
                    loss, right, n = self._step(seqs, batch, groups, sampler)
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
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="MLPAR", unit="step", leave=False, mininterval=0.5)

    # ------------------------------------------------------------------ prediction
    def _iter_logits(self, seqs: Sequences):
        """(flat positions, logits) chunk by chunk, over every position with ``kinds != 0``, in flat order."""
        if not self.context_length_:
            pos = self._positions(seqs)
            for i in range(0, len(pos), _PREDICT_CHUNK):
                chunk = pos[i:i + _PREDICT_CHUNK]
                yield chunk, self._forward_window(_window_tokens(seqs.tokens, seqs.offsets, chunk, self.offsets_))[0]
            return
        T = self.context_length_
        lens = np.diff(seqs.offsets)
        per = max(1, _PREDICT_CHUNK // max(1, min(T, int(lens.max(initial=1)))))
        for i in range(0, len(seqs), per):
            index = np.arange(i, min(i + per, len(seqs)))
            starts, ln = seqs.offsets[index], lens[index]
            L = int(min(ln.max(initial=1), T))
            cols = np.arange(L)
            valid = cols[None, :] < ln[:, None]
            src = np.where(valid, starts[:, None] + cols[None, :], 0)
            toks = np.where(valid, seqs.tokens[src], PAD).astype(np.int64)
            where = valid & (seqs.kinds[src] != 0)
            flat = src[where]
            logits = self._forward_causal(toks, where)[0] if where.any() else np.zeros((0, self.vocab_size_))
            # Positions past the context length see the last T - 1 tokens (as the paper's model).
            extra = [(s, t) for s, st, n in zip(index, starts, ln) for t in range(st + T, st + n)
                     if seqs.kinds[t] != 0]
            if extra:
                ctx = np.stack([seqs.tokens[t - (T - 1):t] for _, t in extra]).astype(np.int64)
                flat = np.concatenate([flat, np.array([t for _, t in extra])])
                logits = np.concatenate([logits, self._causal_logits_last(ctx)])
            order = np.argsort(flat, kind="stable")
            yield flat[order], logits[order]

    def predict(self, X: Any) -> np.ndarray:
        """Teacher-forced next-token predictions at every training position (``kinds != 0``).

        Returns
        -------
        ndarray of int32, shape (n_positions,)
            In the order of the flat token array; compare with :meth:`targets`.
        """
        self._check_fitted()
        seqs = self._data(X, fitting=False)
        out = []
        with self._threads():
            for _, logits in self._iter_logits(seqs):
                out.append(logits.argmax(axis=1).astype(np.int32))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int32)

    def _evaluate_loss(self, seqs: Sequences) -> tuple[float, float]:
        """Mean cross-entropy and token accuracy over the training positions of ``seqs``."""
        total = right = n = 0
        for pos, logits in self._iter_logits(seqs):
            y = seqs.tokens[pos].astype(np.int64)
            loss, r, _ = _softmax_xent(logits, y)
            total += loss * len(y)
            right += r
            n += len(y)
        return total / max(n, 1), right / max(n, 1)

    def loss(self, X: Any) -> float:
        """Mean teacher-forced cross-entropy (nats per token) on the training positions of ``X``."""
        self._check_fitted()
        with self._threads():
            return self._evaluate_loss(self._data(X, fitting=False))[0]

    def _next_tokens(self, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The argmax after each ``buf[rows[i], :lengths[i]]``: only the newest position of each context is
        computed (the window before it, or the block-causal layer's last block)."""
        lengths = np.asarray(lengths, dtype=np.int64)
        rows = np.asarray(rows)
        nxt = np.empty(len(rows), dtype=np.int64)
        T = self.context_length_
        if T:
            q = np.minimum(lengths, T - 1)
            for qq in np.unique(q):
                sel = np.flatnonzero(q == qq)
                cols = lengths[sel][:, None] - qq + np.arange(qq)[None, :]
                ctx = buf[rows[sel][:, None], cols].astype(np.int64)
                nxt[sel] = self._causal_logits_last(ctx).argmax(axis=1)
        else:
            src = lengths[:, None] - self.offsets_[None, :]
            win = buf[rows[:, None], np.maximum(src, 0)].astype(np.int64)
            win[src < 0] = PAD
            nxt[:] = self._forward_window(win)[0].argmax(axis=1)
        return nxt

    def _rollout(self, prompts: list[np.ndarray], max_new: int, eos: int, **kwargs: Any) -> list[np.ndarray]:
        """The protocol's greedy loop, under the model's BLAS thread limit."""
        with self._threads():
            return super()._rollout(prompts, max_new, eos, **kwargs)

    # ------------------------------------------------------------------ persistence
    def _save_payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "params": params_json(self.get_params()),
            "vocabulary": self.vocabulary_.to_json() if self.vocabulary_ is not None else None,
            "vocab_size": self.vocab_size_, "context_length": self.context_length_,
            "embedding_dim": self.embedding_dim_, "hidden": list(self.hidden_),
            "record": {"n_epochs": self.n_epochs_, "n_steps": self.n_steps_, "loss_curve": self.loss_curve_,
                       "validation_loss": self.validation_loss_, "validation_accuracy": self.validation_accuracy_,
                       "best_epoch": self.best_epoch_},
        }
        return meta, {"theta": self._P.theta, "offsets": self.offsets_}


def _load_mlp(meta: dict, arrays: dict, path: Path) -> MLPAR:
    """The loader of format ``learners-mlp-ar`` (see :func:`learners.load_model`): the model is ready to
    predict, generate and ``partial_fit``."""
    if "theta" not in arrays or "offsets" not in arrays:
        missing = "theta" if "theta" not in arrays else "offsets"
        raise LearnerError(f"load_model: {str(path)!r} is not a saved learner ({missing!r} is not a file in the "
                           f"archive).")
    theta, offsets = arrays["theta"], arrays["offsets"]
    params = dict(meta["params"])
    for k in ("betas", "hidden_layer_sizes", "offsets"):
        if params.get(k) is not None:
            params[k] = tuple(params[k])
    model = MLPAR(**params)
    model.vocab_size_ = int(meta["vocab_size"])
    model.vocabulary_ = None
    if meta["vocabulary"] is not None:
        model.vocabulary_ = Vocabulary.from_json(meta["vocabulary"])
    model.offsets_ = offsets.astype(np.int64)
    model.context_length_ = int(meta["context_length"])
    model.embedding_dim_ = int(meta["embedding_dim"])
    model.hidden_ = tuple(meta["hidden"])
    layout = _layout(model.context, model.vocab_size_, model.embedding_dim_, len(model.offsets_),
                     model.context_length_, model.hidden_)
    model._P = _Params(layout, theta.dtype, theta=np.ascontiguousarray(theta))
    if model._P.size != theta.size:
        raise LearnerError(f"load_model: {str(path)!r} holds {theta.size} weights, its parameters need "
                           f"{model._P.size}.")
    model.params_ = model._P.p
    model.n_parameters_ = model._P.size
    rec = meta["record"]
    model.n_epochs_, model.n_steps_ = rec["n_epochs"], rec["n_steps"]
    model.loss_curve_ = rec["loss_curve"]
    model.validation_loss_ = rec["validation_loss"]
    model.validation_accuracy_ = rec["validation_accuracy"]
    model.best_epoch_ = rec["best_epoch"]
    return model


register_model_format(MLPAR.format_tag, _load_mlp)
