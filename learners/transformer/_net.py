"""Learner internals: the PyTorch network of :class:`learners.TransformerAR` (a pre-LayerNorm causal decoder with
tied input/output embeddings, learned absolute positions or Hard-ALiBi attention biases).

PyTorch is an optional dependency: this is the one module of the package that imports it, and it is imported
only when a network is built (:meth:`learners.TransformerAR.fit` / ``load_model``), after
:func:`learners.transformer.model.require_torch` has said what to install if it is missing; so ``import
learners`` stays torch-free and fast. The torch-free helpers live in :mod:`learners.transformer._shapes`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

_Module = nn.Module

__all__ = ["Net", "alibi_bias"]

def alibi_bias(L: int, windows: Sequence[int | None], slopes: Sequence[float], device=None):
    """The additive attention bias ``(H, L, L)`` (float32) of Hard-ALiBi: query ``i`` and key ``j`` get
    ``-slope_h * (i - j)`` when ``0 <= i - j < w_h`` (``w_h = None``: no bound), ``-inf`` otherwise (the
    future, and keys beyond the head's window)."""
    i = torch.arange(L, device=device)
    dist = (i[:, None] - i[None, :]).to(torch.float32)
    out = []
    for w, m in zip(windows, slopes):
        allowed = dist >= 0
        if w is not None:
            allowed &= dist < w
        out.append(torch.where(allowed, -float(m) * dist, torch.full_like(dist, -math.inf)))
    return torch.stack(out)


class _Block(_Module):
    """Pre-LayerNorm block: x + attn(ln(x)), then x + mlp(ln(x)); dropout on both residual branches."""

    def __init__(self, d: int, n_heads: int, dropout: float):
        super().__init__()
        self.n_heads, self.dropout = n_heads, dropout
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        B, L, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        heads = lambda t: t.view(B, L, self.n_heads, D // self.n_heads).transpose(1, 2)  # noqa: E731
        p = self.dropout if self.training else 0.0
        if bias is None:
            a = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True, dropout_p=p)
        else:
            a = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), attn_mask=bias, dropout_p=p)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(B, L, D)))
        return x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))


class Net(_Module):
    """Token ids ``(B, L)`` int64 -> features ``(B, L, d)`` (:meth:`forward`) -> next-token logits ``(n, V)``
    of the features at the positions asked for (:meth:`head`: the (B, L, V) logits are never built).

    The embedding has ``V + 1`` rows: row ``V`` is the start marker put before every sequence (so the first
    token of a sequence has a context to be predicted from); the output layer is the first ``V`` rows
    (tied weights). ``context`` rows of learned positions (``positional="learned"``), or none
    (``"hard-alibi"``: position enters only through the attention bias).
    """

    def __init__(self, vocab_size: int, d_model: int, n_heads: int, n_layers: int, context: int | None,
                 dropout: float, positional: str, windows: Sequence[int | None], slopes: Sequence[float]):
        super().__init__()
        self.vocab_size = vocab_size
        self.tok = nn.Embedding(vocab_size + 1, d_model)
        self.pos = nn.Embedding(context, d_model) if positional == "learned" else None
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([_Block(d_model, n_heads, dropout) for _ in range(n_layers)])
        self.ln = nn.LayerNorm(d_model)
        self.windows, self.slopes = tuple(windows), tuple(slopes)
        self._bias_cache: dict = {}
        for m in self.modules():  # GPT-2's initialisation
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

    def _bias(self, L: int, device):
        key = (L, str(device))
        if key not in self._bias_cache:
            self._bias_cache = {key: alibi_bias(L, self.windows, self.slopes, device)}
        return self._bias_cache[key]

    def forward(self, idx):
        L = idx.shape[1]
        x = self.tok(idx)
        if self.pos is not None:
            x = x + self.pos(torch.arange(L, device=idx.device))
        x = self.drop(x)
        bias = None if self.pos is not None else self._bias(L, idx.device)
        for b in self.blocks:
            x = b(x, bias)
        return self.ln(x)

    def head(self, h):
        """Logits ``(..., V)`` of features ``h`` ``(..., d)``: the tied output layer."""
        return h @ self.tok.weight[:self.vocab_size].T
