"""Text experiment, baseline: a tiny causal transformer (GPT-style, pre-LayerNorm, learned positions, tied
input/output embeddings) in PyTorch, trained for a given wall time on the same chunks as the linear model
and scored on the same strided windows (:func:`proofs_checks.experiments.text.models.strided_windows`).

PyTorch is a benchmark/baseline-only optional dependency (``pip install 'ar-universal[bench]'``):
:func:`torch_available` says whether it is installed; without it the experiment reports the transformer row
as skipped.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .errors import TextError
from .models import make_chunks, strided_windows
from .tokenizers import PAD

__all__ = ["TransformerConfig", "torch_available", "TinyTransformerLM"]


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
        Tokens of context (its own: the full run keeps 64 whatever the linear model's ``T``).
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


class TinyTransformerLM:
    """Train with :meth:`fit` (for ``max_time`` seconds), score with :meth:`nll`, continue text with
    :meth:`next_logits` and :func:`proofs_checks.experiments.text.models.sample`."""

    def __init__(self, vocab_size: int, cfg: TransformerConfig, *, random_state: int = 0, threads: int = 1):
        if not torch_available():
            raise TextError("The transformer baseline needs PyTorch (pip install 'ar-universal[bench]').")
        import torch

        self.vocab_size, self.cfg, self.threads = int(vocab_size), cfg, threads
        torch.manual_seed(random_state)
        self.net = _build(self.vocab_size, cfg)
        self.rng = np.random.default_rng(random_state)
        self.n_parameters_ = int(sum(p.numel() for p in self.net.parameters()))

    def fit(self, train: Sequence[np.ndarray], valid: Sequence[np.ndarray], max_time: float,
            log: Callable[[str], None] | None = None) -> "TinyTransformerLM":
        import torch

        torch.set_num_threads(self.threads)
        cfg = self.cfg
        chunks = make_chunks(train, cfg.context, self.vocab_size)
        L = cfg.context + 1
        starts, lens = chunks.offsets[:-1], np.diff(chunks.offsets)
        data = np.full((len(starts), L), PAD, dtype=np.int64)
        for i, (s, n) in enumerate(zip(starts, lens)):
            data[i, :n] = chunks.tokens[s:s + n]
        data_t = torch.from_numpy(data)
        decay = [p for n, p in self.net.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in self.net.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=cfg.learning_rate,
                                betas=(0.9, 0.95))
        self.curve_: list[tuple[float, float]] = []
        best, best_state = math.inf, None
        t_train, next_eval, step, tokens = 0.0, max_time / cfg.evals, 0, 0
        order = self.rng.permutation(len(data))
        pos = 0
        while t_train < max_time:
            t0 = time.perf_counter()
            frac = min(t_train / max_time, 1.0)
            lr = cfg.learning_rate * (min(1.0, (step + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))))
            for g in opt.param_groups:
                g["lr"] = lr
            if pos + cfg.batch_size > len(order):
                order, pos = self.rng.permutation(len(data)), 0
            xb = data_t[order[pos:pos + cfg.batch_size]]
            pos += cfg.batch_size
            self.net.train()
            logits = self.net(xb[:, :-1])
            y = xb[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.vocab_size), y.reshape(-1),
                                                     ignore_index=PAD)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
            opt.step()
            step += 1
            tokens += int((y != PAD).sum())
            t_train += time.perf_counter() - t0
            if t_train >= next_eval or t_train >= max_time:
                next_eval += max_time / cfg.evals
                tot, n = self.nll(valid)
                ppl = math.exp(tot / n)
                self.curve_.append((t_train, ppl))
                if log is not None:
                    log(f"  transformer {t_train:.0f}s, step {step}: validation perplexity {ppl:.2f}")
                if ppl < best:
                    best = ppl
                    best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.fit_time_, self.n_steps_ = t_train, step
        self.tokens_per_second_ = tokens / max(t_train, 1e-9)
        return self

    def nll(self, docs: Sequence[np.ndarray], batch: int = 128) -> tuple[float, int]:
        """Total negative log-likelihood (nats) of every target on the strided windows, and the count."""
        import torch

        torch.set_num_threads(self.threads)
        toks, where = strided_windows(docs, self.cfg.context)
        self.net.eval()
        tot, n = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(toks), batch):
                tk = torch.from_numpy(toks[i:i + batch])
                wh = torch.from_numpy(where[i:i + batch, 1:])
                logp = torch.log_softmax(self.net(tk[:, :-1]).double(), dim=-1)
                lp = logp.gather(-1, tk[:, 1:, None])[..., 0]
                tot -= float(lp[wh].sum())
                n += int(wh.sum())
        return tot, n

    def next_logits(self, history: Sequence[int]) -> np.ndarray:
        import torch

        ctx = torch.tensor([list(history)[-self.cfg.context:]], dtype=torch.int64)
        self.net.eval()
        with torch.no_grad():
            return self.net(ctx)[0, -1].double().numpy()


def _build(V: int, cfg: TransformerConfig):
    import torch
    from torch import nn

    if cfg.d_model % cfg.n_head:
        raise TextError(f"d_model ({cfg.d_model}) must be a multiple of n_head ({cfg.n_head}).")

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
            self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
            self.proj = nn.Linear(cfg.d_model, cfg.d_model)
            self.mlp = nn.Sequential(nn.Linear(cfg.d_model, 4 * cfg.d_model), nn.GELU(),
                                     nn.Linear(4 * cfg.d_model, cfg.d_model), nn.Dropout(cfg.dropout))
            self.drop = nn.Dropout(cfg.dropout)

        def forward(self, x):
            B, L, D = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
            sh = lambda t: t.view(B, L, cfg.n_head, D // cfg.n_head).transpose(1, 2)  # noqa: E731
            a = nn.functional.scaled_dot_product_attention(sh(q), sh(k), sh(v), is_causal=True,
                                                           dropout_p=cfg.dropout if self.training else 0.0)
            x = x + self.drop(self.proj(a.transpose(1, 2).reshape(B, L, D)))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, cfg.d_model)
            self.pos = nn.Embedding(cfg.context, cfg.d_model)
            self.drop = nn.Dropout(cfg.dropout)
            self.blocks = nn.ModuleList([Block() for _ in range(cfg.n_layer)])
            self.ln = nn.LayerNorm(cfg.d_model)
            self.head = nn.Linear(cfg.d_model, V, bias=False)
            self.head.weight = self.tok.weight  # tied
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, std=0.02)
                    if getattr(m, "bias", None) is not None:
                        nn.init.zeros_(m.bias)

        def forward(self, idx):
            L = idx.shape[1]
            x = self.drop(self.tok(idx) + self.pos(torch.arange(L)))
            for b in self.blocks:
                x = b(x)
            return self.head(self.ln(x))

    return GPT()
