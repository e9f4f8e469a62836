"""Text experiment, baseline: the toolkit's one transformer, :class:`learners.TransformerAR` (GPT-style,
pre-LayerNorm, learned positions, tied embeddings), trained for a given wall time on the same chunks as the
linear model (:func:`proofs_checks.experiments.text.models.make_chunks`) and scored on the same strided
windows (:func:`proofs_checks.experiments.text.models.strided_windows`).

PyTorch is an optional extra (``pip install ".[torch]"``): :func:`torch_available` says whether it is
installed; without it the experiment reports the transformer row as skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from learners import Sequences, TransformerAR

from .models import make_chunks, strided_windows

__all__ = ["TransformerConfig", "torch_available", "make_transformer", "fit_transformer_lm", "transformer_nll",
           "transformer_next_logits"]


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class TransformerConfig:
    """A tiny GPT.

    Attributes
    ----------
    context : int
        Tokens of context (its own: the full run keeps 64 whatever the linear model's ``T``); the model's
        ``context`` is one more, for its start marker.
    n_layer, n_head, d_model : int
    dropout : float
        On attention, residual and embedding outputs (a small corpus overfits without it).
    learning_rate, weight_decay : float
        AdamW; linear warmup then cosine decay over the time budget.
    batch_size : int
        Chunks of ``context + 1`` tokens per step.
    evals : int
        Validation checks over the time budget (the best weights are kept).
    """

    context: int = 64
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 128
    dropout: float = 0.1
    learning_rate: float = 2e-3
    weight_decay: float = 0.1
    batch_size: int = 32
    evals: int = 10


def make_transformer(cfg: TransformerConfig, max_time: float, *, random_state: int = 0, threads: int = 1,
                     max_steps: int | None = None) -> TransformerAR:
    """The :class:`~learners.TransformerAR` of ``cfg``, trained for ``max_time`` seconds (``max_steps=None``:
    the learning rate's cosine follows the clock) or ``max_steps`` steps."""
    return TransformerAR(n_layers=cfg.n_layer, d_model=cfg.d_model, n_heads=cfg.n_head, context=cfg.context + 1,
                         dropout=cfg.dropout, learning_rate=cfg.learning_rate, weight_decay=cfg.weight_decay,
                         betas=(0.9, 0.95), batch_size=cfg.batch_size, max_steps=max_steps, max_time=max_time,
                         warmup=0.02, final_lr_ratio=0.05, n_threads=threads, random_state=random_state)


def fit_transformer_lm(train: Sequence[np.ndarray], valid: Sequence[np.ndarray], vocab_size: int,
                       cfg: TransformerConfig, max_time: float, *, random_state: int = 0, threads: int = 1,
                       log: Callable[[str], None] | None = None) -> tuple[TransformerAR, list[tuple[float, float]]]:
    """Train on the chunks of ``train`` for ``max_time`` seconds, checking the validation perplexity
    ``cfg.evals`` times (and at the end); the best weights are kept.

    Returns
    -------
    model : TransformerAR
    curve : list of (training seconds, validation perplexity)
    """
    model = make_transformer(cfg, max_time, random_state=random_state, threads=threads)
    curve: list[tuple[float, float]] = []
    state = {"best": math.inf, "weights": None, "next": max_time / cfg.evals, "step": -1}

    def check(m: TransformerAR) -> None:
        tot, n = transformer_nll(m, valid)
        ppl = math.exp(tot / n)
        curve.append((m.fit_time_, ppl))
        state["step"] = m.n_steps_
        if log is not None:
            log(f"  transformer {m.fit_time_:.0f}s, step {m.n_steps_}: validation perplexity {ppl:.2f}")
        if ppl < state["best"]:
            state["best"] = ppl
            state["weights"] = {k: v.detach().clone() for k, v in m.module_.state_dict().items()}

    def callback(m: TransformerAR, step: int) -> bool:
        if m.fit_time_ >= state["next"]:
            state["next"] += max_time / cfg.evals
            check(m)
        return False

    model.fit(make_chunks(train, cfg.context, vocab_size), callback=callback)
    if state["step"] != model.n_steps_:
        check(model)
    if state["weights"] is not None:
        model.module_.load_state_dict(state["weights"])
    return model, curve


def transformer_nll(model: TransformerAR, docs: Sequence[np.ndarray]) -> tuple[float, int]:
    """Total negative log-likelihood (nats) of every target of ``docs`` on the strided windows, and the
    number of targets."""
    toks, where = strided_windows(docs, model.context_ - 1)
    lens = where.shape[1] - np.argmax(where[:, ::-1], axis=1)  # a window ends at its last scored token
    keep = np.arange(where.shape[1])[None, :] < lens[:, None]
    offsets = np.zeros(len(toks) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    seqs = Sequences(toks[keep].astype(np.int32), offsets, where[keep].astype(np.uint8), model.vocab_size_)
    ll = model.log_likelihood(seqs)
    return float(-ll.sum()), int(ll.size)


def transformer_next_logits(model: TransformerAR, history: Sequence[int]) -> np.ndarray:
    """Logits (V,) of the token after ``history`` (its last ``context`` tokens)."""
    return model.next_logits(history)
