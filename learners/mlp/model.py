"""Learner: an auto-regressive MLP in pure numpy (token embedding -> the window of the last k embeddings, or the
paper's masked block-causal linear layer over the whole context -> ReLU layers -> logits), trained with
AdamW on the loss-masked positions; the same estimator interface, rollouts and evaluation as the linear
learners (the model protocol of :class:`learners.base.ARModel`). Greedy rollouts are batched over prompts
and compute only the newest position per step.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from threadpoolctl import threadpool_limits

from tmsim.encodings import Vocabulary

from ..base import ARModel, register_model_format
from ..data import Sequences, as_sequences, for_model, params_json
from ..errors import LearnerError
from ._layers import PAD, _Layers, _layout, _Params
from ._optim import _Trainer

__all__ = ["MLPAR"]

_CONTEXTS = ("window", "causal")
_SCHEDULES = ("cosine", "linear", "constant")
_ACTIVATIONS = ("relu", "identity")


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


class MLPAR(_Layers, _Trainer, ARModel, BaseEstimator):
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
    12 GB with gradient and moments) and 1.5 GFLOP per sequence forward, which is why the window (``k d h``
    weights, ``2 k d h`` FLOP per position) is the default. The layer also ties a model to its context length ``T`` (longer contexts keep the last ``T - 1`` tokens).

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
        see the README's speed notes. Raise it for large layers on an idle machine.
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

    # ------------------------------------------------------------------ data
    def _data(self, X: Any, *, fitting: bool) -> Sequences:
        if fitting and not hasattr(self, "params_"):
            return as_sequences(X, owner="MLPAR")
        return for_model(as_sequences(X, owner="MLPAR"), self.vocabulary_, self.vocab_size_, "MLPAR")

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
