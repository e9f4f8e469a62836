"""Learner (MLP layers): the forward and backward passes of :class:`learners.MLPAR` -- token embeddings, the
window or the block-causal linear layer, the hidden layers, the fused output layer and softmax
cross-entropy -- over one flat parameter buffer.

Everything runs in float32 (float64 on request, for gradient checks) through BLAS matmuls. Embeddings are
gathered by index and their gradient is scattered back through a sparse (CSR) product: no dense one-hot
matrix is ever built. All parameters, gradients and AdamW moments live in one flat buffer each, so an
optimiser step, the global gradient norm and a checkpoint are single vector operations. Training fuses the
output layer, the softmax cross-entropy and their backward pass over blocks of rows, so the
(positions x V) logits never leave the L2 cache.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..data import Sequences

__all__ = ["PAD", "_Layers", "_Params", "_layout", "_softmax_xent", "_window_tokens"]

PAD = 0
#: Positions per chunk when predicting (bounds the activations' memory, keeps BLAS busy).
_PREDICT_CHUNK = 8192
#: Bytes of logits per block of the fused training output layer (:meth:`MLPAR._output_xent`): small enough
#: that a block, computed, turned into its gradient and used twice, never leaves the L2 cache.
_XENT_BLOCK_BYTES = 1 << 19


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


class _Layers:
    """The network of :class:`learners.MLPAR` (a mixin: the estimator holds the parameters and
    hyper-parameters these methods read)."""

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

    # ------------------------------------------------------------------ teacher-forced logits
    @staticmethod
    def _positions(seqs: Sequences) -> np.ndarray:
        """Flat indices of the training positions (int32 when they fit)."""
        pos = np.flatnonzero(seqs.kinds != 0)
        return pos.astype(np.int32) if len(seqs.tokens) < 2 ** 31 else pos

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
