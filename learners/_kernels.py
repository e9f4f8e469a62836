"""Learner (hot path): numba kernels over implicit one-hot windows. A window is the tokens at the declared
offsets before a position (``pad`` before the sequence start); feature ``i*V + token`` is the one-hot bit of
offset ``i``. Kernels read the flat token array directly, write into caller-allocated buffers and return
counts; they never validate or raise. Each has a plain-Python twin of the same name in ``_reference.py``."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from tmsim._alloc import empty_f64, empty_i64, zeros_f64_2d


@njit(cache=True, nogil=True, inline="always")
def _argmax(scores):
    """Index of the largest score; ties go to the lowest index (as ``np.argmax``)."""
    best = 0
    for v in range(1, scores.shape[0]):
        if scores[v] > scores[best]:
            best = v
    return best


@njit(cache=True, nogil=True, inline="always")
def position_class(rel, period, classes, n_classes):
    """Weight block of the position ``rel`` tokens after its sequence start: ``rel % period`` when
    ``period > 0`` (period 1: one shift-invariant block), mapped through ``classes`` when that is not empty
    (``classes[rel % period]``: several residues share a block, e.g. a trace's position classes), else the
    absolute position, capped at the last block (the paper's time-dependent form)."""
    if period > 0:
        r = rel % period
        return classes[r] if classes.shape[0] > 0 else r
    return rel if rel < n_classes else n_classes - 1


@njit(cache=True, nogil=True, inline="always")
def sequence_start(seq_offsets, t):
    """Start of the sequence holding flat position ``t`` (binary search: no per-window start array)."""
    return seq_offsets[np.searchsorted(seq_offsets, t, side="right") - 1]


@njit(cache=True, nogil=True)
def window_features(tokens, start, t, offs, V, pad, out):
    """Write the ``k`` feature indices of the window before flat position ``t`` into ``out[:k]``."""
    for i in range(offs.shape[0]):
        s = t - offs[i]
        tok = tokens[s] if s >= start else pad
        out[i] = i * V + tok


@njit(cache=True, nogil=True)
def count_windows(seq_offsets, kinds):
    """Number of training positions (``kinds != 0``) in all sequences."""
    n = 0
    for t in range(seq_offsets[0], seq_offsets[-1]):
        if kinds[t] != 0:
            n += 1
    return n


@njit(cache=True, nogil=True)
def list_windows(seq_offsets, kinds, positions):
    """Fill ``positions`` with the flat index of each training position."""
    n = 0
    for t in range(seq_offsets[0], seq_offsets[-1]):
        if kinds[t] != 0:
            positions[n] = t
            n += 1
    return n


@njit(cache=True, parallel=True)
def gram_accumulate(tokens, seq_offsets, kinds, offs, V, pad, period, classes, use, G, B):
    """Add ``X^T X`` to ``G`` (shape (n_chunks, C, D, D), upper triangle and diagonal only) and ``X^T Y``
    to ``B`` (shape (n_chunks, C, D, V)) over every training position, in the block of its position class
    (see :func:`position_class`); chunk ``c`` accumulates the sequences ``c::n_chunks``. ``D = k * V``.
    A block reads only the offsets ``i`` with ``use[block, i] != 0`` (uint8, shape (C, k)): the others add
    nothing. Returns the number of windows.

    X^T X is a sum of k^2 co-occurrence blocks; the block of one offset with itself is diagonal (one-hot),
    and the lower blocks mirror the upper ones, so only ``k (k + 1) / 2`` increments are made per window.
    """
    n_chunks = G.shape[0]
    n_classes = G.shape[1]
    n_seq = seq_offsets.shape[0] - 1
    k = offs.shape[0]
    counts = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        feat = empty_i64(k)
        n = 0
        for s in range(c, n_seq, n_chunks):
            start = seq_offsets[s]
            for t in range(start, seq_offsets[s + 1]):
                if kinds[t] == 0:
                    continue
                y = tokens[t]
                cls = position_class(t - start, period, classes, n_classes)
                g = G[c, cls]
                b = B[c, cls]
                m = 0  # the used offsets' features, in offset order (upper form needs i < j)
                for i in range(k):
                    if use[cls, i] != 0:
                        u = t - offs[i]
                        feat[m] = i * V + (tokens[u] if u >= start else pad)
                        m += 1
                for i in range(m):
                    fi = feat[i]
                    row = g[fi]
                    row[fi] += 1.0
                    for j in range(i + 1, m):
                        row[feat[j]] += 1.0
                    b[fi, y] += 1.0
                n += 1
        counts[c] = n
    return counts.sum()


@njit(cache=True, parallel=True)
def predict_windows(tokens, seq_offsets, positions, offs, V, pad, period, classes, use, W, bias, out):
    """``out[j] = argmax_v (bias[c, v] + sum_{i: use[c, i]} W[c, i*V + tok_i, v])`` for the window before
    ``positions[j]``, ``c`` its position class (ties go to the lowest id)."""
    n = positions.shape[0]
    k = offs.shape[0]
    n_out = W.shape[2]
    for j in prange(n):
        t = positions[j]
        start = sequence_start(seq_offsets, t)
        cls = position_class(t - start, period, classes, W.shape[0])
        Wc = W[cls]
        scores = empty_f64(n_out)
        scores[:] = bias[cls]
        # Row-wise accumulation (contiguous, vectorisable); per class the sum order is bias, offset 0, 1, ...
        for i in range(k):
            if use[cls, i] == 0:
                continue
            u = t - offs[i]
            row = Wc[i * V + (tokens[u] if u >= start else pad)]
            for v in range(n_out):
                scores[v] += row[v]
        out[j] = _argmax(scores)


@njit(cache=True, nogil=True)
def perceptron_epoch(tokens, seq_offsets, positions, offs, V, pad, period, classes, use, W, bias, U, ubias, c0,
                     margin, gaps):
    """One multiclass perceptron epoch over the training positions in the order of ``positions`` (the
    caller shuffles that array in place: no separate order array); returns the number of updates.

    The rival is the best token other than the target ``y`` (lowest id among ties). An update happens on
    a mistake (the argmax is not ``y``: the rival scores higher, or as high with a lower id) and, when
    ``margin > 0``, also when ``y`` wins by less than ``margin``: the rows of the window's used features
    (``use[c, i] != 0``), in the block ``c`` of the position's class, gain +1 in column ``y`` and -1 in
    the rival's column; so does ``bias``. For the averaged perceptron, ``U``/``ubias`` accumulate
    ``c * update`` where ``c = c0 + index in this epoch`` (the averaged weights are ``W - U / c_end``).
    Pass zero-size ``U`` to skip the averaging bookkeeping. When ``gaps`` has one entry per position, it
    receives each window's score gap ``score[y] - score[rival]`` before its update (inf with one output).
    """
    k = offs.shape[0]
    n_out = W.shape[2]
    feat = np.empty(k, dtype=np.int64)
    scores = np.empty(n_out)
    averaged = U.shape[0] > 0
    updates = 0
    for idx in range(positions.shape[0]):
        t = positions[idx]
        start = sequence_start(seq_offsets, t)
        y = tokens[t]
        cls = position_class(t - start, period, classes, W.shape[0])
        m = 0
        for i in range(k):
            if use[cls, i] != 0:
                u = t - offs[i]
                feat[m] = i * V + (tokens[u] if u >= start else pad)
                m += 1
        Wc = W[cls]
        bc = bias[cls]
        for v in range(n_out):
            scores[v] = bc[v]
        for i in range(m):
            row = Wc[feat[i]]
            for v in range(n_out):
                scores[v] += row[v]
        sy = scores[y]
        scores[y] = -np.inf
        rival = _argmax(scores)  # y only when y is the one output
        gap = sy - scores[rival] if rival != y else np.inf
        if gaps.shape[0] > 0:
            gaps[idx] = gap
        if rival == y or not (gap < 0.0 or (gap == 0.0 and rival < y) or gap < margin):
            continue
        updates += 1
        bc[y] += 1.0
        bc[rival] -= 1.0
        for i in range(m):
            Wc[feat[i], y] += 1.0
            Wc[feat[i], rival] -= 1.0
        if averaged:
            cc = c0 + idx
            ubias[cls, y] += cc
            ubias[cls, rival] -= cc
            for i in range(m):
                U[cls, feat[i], y] += cc
                U[cls, feat[i], rival] -= cc
    return updates


@njit(cache=True, parallel=True)
def rollout(prompts, prompt_offsets, offs, V, pad, period, classes, use, W, bias, eos, max_new, out, out_len):
    """Greedy generation: for each prompt, append ``argmax`` tokens until ``eos`` (kept) or ``max_new``
    tokens. Sequence ``s`` is written to ``out[s, :out_len[s]]`` (prompt included); ``out`` has shape
    ``(n, max_prompt + max_new)``."""
    n = prompt_offsets.shape[0] - 1
    k = offs.shape[0]
    n_out = W.shape[2]
    for s in prange(n):
        p0 = prompt_offsets[s]
        plen = prompt_offsets[s + 1] - p0
        row = out[s]
        for i in range(plen):
            row[i] = prompts[p0 + i]
        length = plen
        scores = empty_f64(n_out)
        for _ in range(max_new):
            cls = position_class(length, period, classes, W.shape[0])
            Wc = W[cls]
            for v in range(n_out):
                scores[v] = bias[cls, v]
            for i in range(k):
                if use[cls, i] == 0:
                    continue
                u = length - offs[i]
                wrow = Wc[i * V + (row[u] if u >= 0 else pad)]
                for v in range(n_out):
                    scores[v] += wrow[v]
            best = _argmax(scores)
            row[length] = best
            length += 1
            if best == eos:
                break
        out_len[s] = length


@njit(cache=True, parallel=True)
def gram_shift(tokens, seq_offsets, first, offs, V, pad, pair_i, pair_j, group_starts, G, B):
    """Like :func:`gram_accumulate` (one chunk) when every sequence's training positions are a suffix
    ``[first[s], L_s)``: the shift structure of windows makes it O(lags) per window instead of O(k^2).

    Block (i, j) of X^T X counts the pairs ``(z[t - a], z[t - b])`` over training positions t, with
    ``a = offs[i]``, ``b = offs[j]``; substituting ``s = t - a`` it is the histogram of the lag-``b - a`` pair
    ``(z[s], z[s - (b - a)])`` over ``s`` in ``[first - a, L - a)``. Pairs (i, j) with the same lag are
    given sorted by ``a`` (``pair_i``/``pair_j``, groups delimited by ``group_starts``): the first block of
    a group is counted directly, each next one from its predecessor by moving every sequence's range: one
    pair enters and one leaves per sequence and unit of shift. Tokens before a sequence start are ``pad``.
    Adds to the upper blocks (i < j) and the diagonal of ``G`` (D, D) and to all of ``B`` (D, V); returns
    the number of windows.
    """
    n_seq = seq_offsets.shape[0] - 1
    k = offs.shape[0]
    n_groups = group_starts.shape[0] - 1
    for g in prange(n_groups):
        H = zeros_f64_2d(V, V)
        prev_a = 0
        for q in range(group_starts[g], group_starts[g + 1]):
            i = pair_i[q]
            j = pair_j[q]
            a = offs[i]
            d = offs[j] - a
            if q == group_starts[g]:
                for s in range(n_seq):
                    start = seq_offsets[s]
                    L = seq_offsets[s + 1] - start
                    for x in range(first[s] - a, L - a):
                        u = tokens[start + x] if x >= 0 else pad
                        y = x - d
                        v = tokens[start + y] if y >= 0 else pad
                        H[u, v] += 1.0
            else:
                for s in range(n_seq):
                    start = seq_offsets[s]
                    L = seq_offsets[s + 1] - start
                    if L - first[s] <= 0:
                        continue
                    for aa in range(prev_a, a):
                        x = first[s] - aa - 1  # enters
                        u = tokens[start + x] if x >= 0 else pad
                        y = x - d
                        v = tokens[start + y] if y >= 0 else pad
                        H[u, v] += 1.0
                        x = L - aa - 1  # leaves
                        u = tokens[start + x] if x >= 0 else pad
                        y = x - d
                        v = tokens[start + y] if y >= 0 else pad
                        H[u, v] -= 1.0
            prev_a = a
            for u in range(V):
                for v in range(V):
                    G[i * V + u, j * V + v] += H[u, v]
    # Diagonal blocks (one-hot: counts of each token at each offset) and X^T Y: k increments per window.
    n = 0
    for s in range(n_seq):
        start = seq_offsets[s]
        for t in range(start + first[s], seq_offsets[s + 1]):
            y = tokens[t]
            for i in range(k):
                u = t - offs[i]
                f = i * V + (tokens[u] if u >= start else pad)
                G[f, f] += 1.0
                B[f, y] += 1.0
            n += 1
    return n


@njit(cache=True, nogil=True)
def suffix_starts(seq_offsets, kinds, first):
    """Write each sequence's first training position (relative to its start) into ``first`` and return
    True when every sequence trains on exactly a suffix (all zeros, then all non-zeros)."""
    ok = True
    for s in range(seq_offsets.shape[0] - 1):
        start = seq_offsets[s]
        end = seq_offsets[s + 1]
        t = start
        while t < end and kinds[t] == 0:
            t += 1
        first[s] = t - start
        while t < end:
            if kinds[t] == 0:
                ok = False
            t += 1
    return ok


@njit(cache=True, parallel=True)
def gram_matvec(tokens, seq_offsets, positions, offs, V, pad, P, out):
    """``out[c] += X_c^T (X_c P)`` for the windows before ``positions``, split into ``out.shape[0]`` chunks
    (``out`` has shape (n_chunks, D, m); sum over axis 0 for ``X^T X P``). Matrix-free: per window, the row
    ``x P`` (m values) is gathered from the window's k feature rows of ``P`` and scattered back to them,
    so X^T X is never formed (conjugate gradients for large ``k * V``)."""
    n_chunks = out.shape[0]
    n = positions.shape[0]
    k = offs.shape[0]
    m = P.shape[1]
    for c in prange(n_chunks):
        feat = empty_i64(k)
        row = empty_f64(m)
        acc = out[c]
        for j in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            t = positions[j]
            start = sequence_start(seq_offsets, t)
            for i in range(k):
                u = t - offs[i]
                feat[i] = i * V + (tokens[u] if u >= start else pad)
            for v in range(m):
                row[v] = 0.0
            for i in range(k):
                prow = P[feat[i]]
                for v in range(m):
                    row[v] += prow[v]
            for i in range(k):
                arow = acc[feat[i]]
                for v in range(m):
                    arow[v] += row[v]


@njit(cache=True, nogil=True)
def xty_accumulate(tokens, seq_offsets, kinds, offs, V, pad, counts, B):
    """Add the feature counts (``X^T 1``, the diagonal of X^T X) to ``counts`` (D,) and ``X^T Y`` to ``B``
    (D, V); returns the number of windows. All a matrix-free (conjugate gradients) solve needs besides
    :func:`gram_matvec`."""
    k = offs.shape[0]
    n = 0
    for s in range(seq_offsets.shape[0] - 1):
        start = seq_offsets[s]
        for t in range(start, seq_offsets[s + 1]):
            if kinds[t] == 0:
                continue
            y = tokens[t]
            for i in range(k):
                u = t - offs[i]
                f = i * V + (tokens[u] if u >= start else pad)
                counts[f] += 1.0
                B[f, y] += 1.0
            n += 1
    return n
