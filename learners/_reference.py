"""Learner (executable specification): plain-Python/numpy twins of the kernels in ``_kernels.py``, with the
same names, arguments and results. They build the dense one-hot rows the kernels never materialise."""

from __future__ import annotations

import numpy as np


def position_class(rel, period, classes, n_classes):
    """Reference of :func:`learners._kernels.position_class`."""
    if period > 0:
        return int(classes[rel % period]) if len(classes) else rel % period
    return min(rel, n_classes - 1)


def window_features(tokens, start, t, offs, V, pad, out):
    """Reference of :func:`learners._kernels.window_features`."""
    for i, o in enumerate(offs):
        s = t - int(o)
        out[i] = i * V + (int(tokens[s]) if s >= start else pad)


def count_windows(seq_offsets, kinds):
    """Reference of :func:`learners._kernels.count_windows`."""
    return int(np.count_nonzero(kinds[seq_offsets[0]:seq_offsets[-1]]))


def list_windows(seq_offsets, kinds, positions):
    """Reference of :func:`learners._kernels.list_windows`."""
    idx = np.flatnonzero(np.asarray(kinds[seq_offsets[0]:seq_offsets[-1]]) != 0) + seq_offsets[0]
    positions[:len(idx)] = idx
    return len(idx)


def sequence_start(seq_offsets, t):
    """Reference of :func:`learners._kernels.sequence_start`."""
    return max(int(o) for o in seq_offsets if o <= t)


def _dense_row(tokens, start, t, offs, V, pad, used=None):
    """The one-hot row of the window; offsets with ``used[i] == 0`` contribute nothing."""
    x = np.zeros(len(offs) * V)
    f = np.empty(len(offs), dtype=np.int64)
    window_features(tokens, start, t, offs, V, pad, f)
    x[f if used is None else f[np.asarray(used) != 0]] = 1.0
    return x


def gram_accumulate(tokens, seq_offsets, kinds, offs, V, pad, period, classes, use, G, B):
    """Reference of :func:`learners._kernels.gram_accumulate`: dense one-hot rows, then the upper triangle
    (with the diagonal) of their outer products."""
    n_chunks = G.shape[0]
    n = 0
    for s in range(len(seq_offsets) - 1):
        c = s % n_chunks
        start = seq_offsets[s]
        for t in range(start, seq_offsets[s + 1]):
            if kinds[t] == 0:
                continue
            cls = position_class(t - start, period, classes, G.shape[1])
            x = _dense_row(tokens, start, t, offs, V, pad, use[cls])
            G[c, cls] += np.triu(np.outer(x, x))
            B[c, cls][:, tokens[t]] += x
            n += 1
    return n


def predict_windows(tokens, seq_offsets, positions, offs, V, pad, period, classes, use, W, bias, out):
    """Reference of :func:`learners._kernels.predict_windows`."""
    for j, t in enumerate(positions):
        start = sequence_start(seq_offsets, t)
        c = position_class(t - start, period, classes, W.shape[0])
        out[j] = int(np.argmax(bias[c] + _dense_row(tokens, start, t, offs, V, pad, use[c]) @ W[c]))


def perceptron_epoch(tokens, seq_offsets, positions, offs, V, pad, period, classes, use, W, bias, U, ubias, c0,
                     margin, gaps):
    """Reference of :func:`learners._kernels.perceptron_epoch`: update on a mistake (the argmax is not the
    target), or (``margin > 0``) when the target wins by less than ``margin`` over the best other token."""
    updates = 0
    for idx, t in enumerate(positions):
        start = sequence_start(seq_offsets, t)
        c = position_class(t - start, period, classes, W.shape[0])
        x = _dense_row(tokens, start, t, offs, V, pad, use[c])
        y = int(tokens[t])
        scores = bias[c] + x @ W[c]
        if len(scores) < 2:
            if len(gaps):
                gaps[idx] = np.inf
            continue
        others = scores.copy()
        others[y] = -np.inf
        p = int(np.argmax(others))
        if len(gaps):
            gaps[idx] = scores[y] - others[p]
        if int(np.argmax(scores)) == y and scores[y] - others[p] >= margin:
            continue
        updates += 1
        for M, mb, scale in ((W, bias, 1.0), (U, ubias, float(c0 + idx))):
            if M.shape[0] == 0:
                continue
            mb[c, y] += scale
            mb[c, p] -= scale
            M[c][:, y] += scale * x
            M[c][:, p] -= scale * x
    return updates


def rollout(prompts, prompt_offsets, offs, V, pad, period, classes, use, W, bias, eos, max_new, out, out_len):
    """Reference of :func:`learners._kernels.rollout`."""
    for s in range(len(prompt_offsets) - 1):
        seq = [int(x) for x in prompts[prompt_offsets[s]:prompt_offsets[s + 1]]]
        for _ in range(max_new):
            arr = np.array(seq, dtype=np.int64)
            c = position_class(len(seq), period, classes, W.shape[0])
            nxt = int(np.argmax(bias[c] + _dense_row(arr, 0, len(seq), offs, V, pad, use[c]) @ W[c]))
            seq.append(nxt)
            if nxt == eos:
                break
        out[s, :len(seq)] = seq
        out_len[s] = len(seq)


def gram_shift(tokens, seq_offsets, first, offs, V, pad, pair_i, pair_j, group_starts, G, B):
    """Reference of :func:`learners._kernels.gram_shift`: the suffix masks made explicit, then the dense
    reference :func:`gram_accumulate` (which makes no use of the shift structure)."""
    kinds = np.zeros(seq_offsets[-1], dtype=np.uint8)
    for s in range(len(seq_offsets) - 1):
        kinds[seq_offsets[s] + first[s]:seq_offsets[s + 1]] = 1
    return gram_accumulate(tokens, seq_offsets, kinds, offs, V, pad, 1, np.zeros(0, np.int64),
                           np.ones((1, len(offs)), np.uint8), G[None, None], B[None, None])


def suffix_starts(seq_offsets, kinds, first):
    """Reference of :func:`learners._kernels.suffix_starts`."""
    ok = True
    for s in range(len(seq_offsets) - 1):
        k = np.asarray(kinds[seq_offsets[s]:seq_offsets[s + 1]]) != 0
        nz = np.flatnonzero(k)
        first[s] = nz[0] if nz.size else len(k)
        ok = ok and bool(k[first[s]:].all())
    return ok


def gram_matvec(tokens, seq_offsets, positions, offs, V, pad, P, out):
    """Reference of :func:`learners._kernels.gram_matvec`: dense rows, ``x^T (x P)`` per window."""
    n_chunks, n = out.shape[0], len(positions)
    for c in range(n_chunks):
        for j in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            t = positions[j]
            x = _dense_row(tokens, sequence_start(seq_offsets, t), t, offs, V, pad)
            out[c] += np.outer(x, x @ P)


def xty_accumulate(tokens, seq_offsets, kinds, offs, V, pad, counts, B):
    """Reference of :func:`learners._kernels.xty_accumulate`."""
    n = 0
    for s in range(len(seq_offsets) - 1):
        start = seq_offsets[s]
        for t in range(start, seq_offsets[s + 1]):
            if kinds[t] != 0:
                x = _dense_row(tokens, start, t, offs, V, pad)
                counts += x
                B[:, tokens[t]] += x
                n += 1
    return n
