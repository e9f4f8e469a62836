"""Text experiment, the models: the paper's linear next-token model and its one-ReLU variant, both
:class:`learners.MLPAR` with the masked block-causal layer (``context="causal"``); the data layout they
train on (document chunks) and the evaluation every neural model shares (strided windows), perplexity and
sampling.

Data layout. A document is ``<eos> tokens... <eos>`` (:mod:`proofs_checks.experiments.text.tokenizers`). With a context
of ``T`` tokens, training cuts each document into chunks of ``T + 1`` tokens that overlap by one (every
token after the document's first is a target exactly once per epoch); in a chunk, position ``q`` predicts
its token from the ``q`` tokens before it (MLPAR's block-causal layer with ``context_length = T + 1``: the
paper's Linear(T*d -> T*d) in which output ``p`` sees inputs ``<= p`` and predicts token ``p + 1``).

Evaluation (:func:`strided_windows`). Every target of a document is scored exactly once, from at least
``min(T // 2, its position)`` and at most ``T`` tokens of context: windows of ``T + 1`` tokens start every
``T // 2`` tokens; the first scores all its positions, each later one only its last ``T // 2``. The
transformer baseline is scored on the same windows, the n-gram models on the same targets.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from learners import MLPAR, Sequences

from .errors import TextError
from .tokenizers import EOS, PAD

__all__ = ["LinearLMConfig", "make_chunks", "strided_windows", "fit_mlpar_lm", "mlpar_nll",
           "mlpar_next_logits", "sample", "effective_parameters"]


@dataclass(frozen=True)
class LinearLMConfig:
    """Settings of the paper's text model (``activation="identity"``: linear) or its one-ReLU variant.

    Attributes
    ----------
    context : int
        ``T``: tokens of context (the paper: 64).
    embedding_dim : int
        ``d`` (the paper: 256).
    activation : {"identity", "relu"}
        After the block-causal layer (no hidden layer in either case).
    learning_rate, weight_decay : float
        AdamW (the paper: 5e-4, 0.1).
    batch_size : int
        Chunks of ``T + 1`` tokens per step.
    max_epochs : int
    max_time : float or None
        Training seconds (the learning rate's cosine follows whichever of epochs or time is further along).
    patience : int
        Stop after this many validation checks without improvement (the best weights are kept).
    evals_per_epoch : int
        Validation perplexity checks per epoch (the points of the perplexity-vs-time plot).
    train_stride : int or None
        Training chunks start every this many tokens (None: ``context``, each target once per epoch). Every
        position of the block-causal layer has its own weights, so a smaller stride shows each of them
        ``context / train_stride`` times more (context, target) pairs per epoch.
    """

    context: int = 64
    embedding_dim: int = 256
    activation: str = "identity"
    learning_rate: float = 5e-4
    weight_decay: float = 0.1
    batch_size: int = 64
    max_epochs: int = 20
    max_time: float | None = None
    patience: int = 3
    evals_per_epoch: int = 2
    train_stride: int | None = None


def _check_docs(docs: Sequence[np.ndarray], vocab_size: int, who: str) -> None:
    if not len(docs):
        raise TextError(f"{who}: no documents.")
    for i, d in enumerate(docs):
        if d.ndim != 1 or len(d) < 2:
            raise TextError(f"{who}: document {i} must be 1-D with at least 2 tokens; got shape {d.shape}.")
        if d.min() < 0 or d.max() >= vocab_size:
            raise TextError(f"{who}: document {i} has a token outside [0, {vocab_size}).")


def make_chunks(docs: Sequence[np.ndarray], context: int, vocab_size: int, stride: int | None = None) -> Sequences:
    """Training chunks of ``context + 1`` tokens starting every ``stride`` tokens (default ``context``: they
    overlap by one and every target appears once; a smaller stride shows each target at several positions
    of the block-causal layer per epoch); the last chunk of a document may be shorter. The first token of
    each chunk is context only (``kinds`` 0), the rest are targets (1).

    Examples
    --------
    >>> import numpy as np
    >>> s = make_chunks([np.array([2, 5, 6, 7, 8, 2])], context=2, vocab_size=9)
    >>> [s.sequence(i).tolist() for i in range(len(s))], s.kinds.tolist()
    ([[2, 5, 6], [6, 7, 8], [8, 2]], [0, 1, 1, 0, 1, 1, 0, 1])
    """
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 1:
        raise TextError(f"The 'context' parameter must be an int >= 1. Got {context!r} instead.")
    stride = context if stride is None else stride
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or not 1 <= stride <= context:
        raise TextError(f"The 'stride' parameter must be an int in [1, {context}]. Got {stride!r} instead.")
    _check_docs(docs, vocab_size, "make_chunks")
    toks, lens = [], []
    for d in docs:
        for st in range(0, len(d) - 1, stride):
            if st and st + context + 1 > len(d) and st - stride + context + 1 >= len(d):
                break  # the previous chunk already reached the document's end
            c = d[st:st + context + 1]
            toks.append(c)
            lens.append(len(c))
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    kinds = np.ones(int(offsets[-1]), dtype=np.uint8)
    kinds[offsets[:-1]] = 0
    return Sequences(np.concatenate(toks).astype(np.int32), offsets, kinds, int(vocab_size))


def strided_windows(docs: Sequence[np.ndarray], context: int) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation windows: tokens ``(W, L)`` (int64, ``L <= context + 1``, ``<pad>`` after a short
    window's end) and a bool mask ``(W, L)`` of the positions scored there. Every token of every document
    but its first is scored exactly once, from at least ``min(context // 2, position)`` tokens of context.

    Examples
    --------
    >>> import numpy as np
    >>> toks, where = strided_windows([np.arange(2, 9)], context=4)   # 7 tokens, windows of 5, stride 2
    >>> toks.tolist(), where.astype(int).tolist()
    ([[2, 3, 4, 5, 6], [4, 5, 6, 7, 8]], [[0, 1, 1, 1, 1], [0, 0, 0, 1, 1]])
    """
    L = context + 1
    stride = max(1, context // 2)
    rows, masks = [], []
    for d in docs:
        n = len(d)
        st, done = 0, 1  # positions < done are scored
        while done < n:
            w = d[st:st + L]
            row = np.full(L, PAD, dtype=np.int64)
            row[:len(w)] = w
            m = np.zeros(L, dtype=bool)
            m[done - st:len(w)] = True
            rows.append(row)
            masks.append(m)
            done = st + len(w)
            st += stride  # stride <= context: the next window overlaps this one's end
    if not rows:
        return np.zeros((0, L), dtype=np.int64), np.zeros((0, L), dtype=bool)
    toks, where = np.stack(rows), np.stack(masks)
    return toks, where


def _log_softmax_at(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log p(y) under softmax(logits), row by row, in float64."""
    lg = logits.astype(np.float64, copy=False)
    m = lg.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(lg - m).sum(axis=1))
    return lg[np.arange(len(y)), y] - lse


def mlpar_nll(model: MLPAR, docs: Sequence[np.ndarray], batch: int = 256) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of every target of ``docs`` on the strided windows, and the
    number of targets."""
    T = model.context_length_ - 1
    toks, where = strided_windows(docs, T)
    tot, n = 0.0, 0
    with model._threads():
        for i in range(0, len(toks), batch):
            tk, wh = toks[i:i + batch], where[i:i + batch]
            if not wh.any():
                continue
            logits = model._forward_causal(tk, wh)[0]
            tot -= float(_log_softmax_at(logits, tk[wh]).sum())
            n += int(wh.sum())
    return tot, n


def mlpar_next_logits(model: MLPAR, history: Sequence[int]) -> np.ndarray:
    """Logits (V,) of the token after ``history`` (its last ``T`` tokens)."""
    T = model.context_length_ - 1
    ctx = np.asarray(history, dtype=np.int64)[-T:][None, :]
    with model._threads():
        return model._causal_logits_last(ctx)[0]


def sample(next_logits: Callable[[list[int]], np.ndarray], prompt: Sequence[int], max_new_tokens: int, *,
           temperature: float = 0.0, random_state: int | np.random.Generator | None = 0,
           stop: int | None = EOS, log_probs: bool = False) -> list[int]:
    """Continue ``prompt`` token by token: greedy (``temperature=0``) or sampled from
    ``softmax(logits / temperature)`` with the numpy Generator ``random_state`` (the same seed gives the
    same tokens). ``next_logits`` returns logits, or log-probabilities with ``log_probs=True``. Stops after
    ``stop`` (kept) or ``max_new_tokens``. Returns the prompt and the new tokens."""
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and temperature >= 0):
        raise TextError(f"The 'temperature' parameter must be a float >= 0. Got {temperature!r} instead.")
    rng = np.random.default_rng(random_state)
    out = [int(t) for t in prompt]
    for _ in range(max_new_tokens):
        lg = np.asarray(next_logits(out), dtype=np.float64)
        lg[PAD] = -np.inf  # never emit padding
        if temperature == 0:
            nxt = int(np.argmax(lg))
        else:
            z = lg / temperature
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            nxt = int(rng.choice(len(p), p=p))
        out.append(nxt)
        if stop is not None and nxt == stop:
            break
    return out


def effective_parameters(model: MLPAR) -> int:
    """The paper's count: the weights a prediction can depend on -- the block-causal layer's unmasked
    ``d x d`` blocks (positions 1..T, each reading the positions before it), their biases, the embeddings
    and the output layer (MLPAR also stores a bias for position 0, which no scored target uses)."""
    return int(model.n_parameters_ - model.embedding_dim_)


def fit_mlpar_lm(train: Sequence[np.ndarray], valid: Sequence[np.ndarray], vocab_size: int,
                 cfg: LinearLMConfig, *, random_state: int = 0, threads: int | None = 1, verbose: int = 0,
                 log: Callable[[str], None] | None = None) -> tuple[MLPAR, list[tuple[float, float]]]:
    """Train the linear (or one-ReLU) text model; early stopping on the validation perplexity.

    Returns
    -------
    model : MLPAR
        With the best validation weights.
    curve : list of (training seconds, validation perplexity)
    """
    longest = max(len(d) for d in train)
    if cfg.context >= longest:
        raise TextError(f"The context ({cfg.context} tokens) is not shorter than the longest training document "
                        f"({longest} tokens with its <eos> markers): choose a context below {longest}.")
    chunks = make_chunks(train, cfg.context, vocab_size, cfg.train_stride)
    model = MLPAR(context="causal", context_length=cfg.context + 1, embedding_dim=cfg.embedding_dim,
                  hidden_layer_sizes=(), activation=cfg.activation, learning_rate=cfg.learning_rate,
                  weight_decay=cfg.weight_decay, batch_size=cfg.batch_size, max_epochs=cfg.max_epochs,
                  max_time=cfg.max_time, validation_fraction=0.0, early_stopping=False, warmup=0.02,
                  final_lr_ratio=0.05, clip_norm=1.0, n_threads=threads, random_state=random_state,
                  verbose=verbose)
    steps_per_epoch = -(-len(chunks) // cfg.batch_size)
    every = max(1, steps_per_epoch // max(1, cfg.evals_per_epoch))
    state = {"best": math.inf, "theta": None, "bad": 0, "cb": 0.0, "t0": time.perf_counter(), "last": -1}
    curve: list[tuple[float, float]] = []

    def on_check(m: MLPAR, epoch: float, final: bool = False) -> bool:
        c0 = time.perf_counter()
        # the end of an epoch often comes a few steps after a check within it: skip such a near-duplicate
        if m.n_steps_ == state["last"] or (not final and m.n_steps_ - state["last"] < every // 2):
            return False
        state["last"] = m.n_steps_
        tot, n = mlpar_nll(m, valid)
        ppl = math.exp(tot / n)
        curve.append((c0 - state["t0"] - state["cb"], ppl))
        if log is not None:
            log(f"  epoch {epoch:.2f}, {curve[-1][0]:.0f}s: validation perplexity {ppl:.2f}")
        stop = False
        if ppl < state["best"] - 1e-6:
            state.update(best=ppl, theta=m._P.theta.copy(), bad=0)
        else:
            state["bad"] += 1
            stop = state["bad"] >= cfg.patience
        state["cb"] += time.perf_counter() - c0
        return stop

    model.fit(chunks, callback=on_check, callback_every=every)
    if model.stop_reason_ != "callback":  # the final weights, if not checked yet
        on_check(model, float(model.n_epochs_), final=True)
    if state["theta"] is not None:
        model._P.theta[...] = state["theta"]
    model.train_time_ = model.fit_time_
    # targets processed per training second (whole epochs plus the steps of the last, partial one)
    done = model.n_steps_ / steps_per_epoch * int(np.count_nonzero(chunks.kinds))
    model.tokens_per_second_ = done / max(model.fit_time_, 1e-9)
    return model, curve
