"""Learner features (hot path of :mod:`learners.discovery`): the counting pass — context ids after adding one
offset and the conflicts of the new contexts — as a numba kernel beside its plain-Python twin of the same
name plus ``_reference`` (the executable specification). The kernel writes into caller-allocated buffers and
returns counts or a status; it never validates or raises."""

from __future__ import annotations

from numba import njit

__all__ = ["extend_contexts", "extend_contexts_reference"]


@njit(cache=True, nogil=True, inline="always")
def _slot(key, mask):
    """Hash slot of a key >= 0: its bits folded to 31, times an odd 31-bit constant, the middle bits. No
    product leaves int64, so the same arithmetic runs as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    k = (key ^ (key >> 31)) & 0x7FFFFFFF
    return ((k * 0x5BD1E995) >> 16) & mask


@njit(cache=True, nogil=True)
def extend_contexts(tokens, positions, starts, offset, pad, ids, out_ids, max_conflicts, keys, vals, pair_keys,
                    pair_vals, best):
    """Context ids after adding one offset, and the conflicts of the new contexts (numba).

    Parameters
    ----------
    tokens : ndarray of int32, shape (n_tokens,)
        The flat token array.
    positions, starts : ndarray of int64, shape (n,)
        The predicted positions and the start of each one's sequence.
    offset : int
        The offset added (the token at ``position - offset``, ``pad`` before the sequence start); ``<= 0``
        adds nothing (the conflicts of ``ids`` themselves).
    pad : int
        The pad token (the vocabulary size): ``ids * (pad + 1) + token`` is an exact key.
    ids : ndarray of int64, shape (n,)
        Current context ids (dense, ``>= 0``).
    out_ids : ndarray of int64, shape (n,)
        Written: the new context ids, numbered ``0, 1, ...`` in order of first appearance.
    max_conflicts : int
        Stop as soon as the conflicts exceed this (they never fall as the pass goes on): a caller that only
        asks "does this set decide?" passes 0. Negative: no bound.
    keys, vals, pair_keys, pair_vals : ndarray of int64, shape (capacity,)
        Scratch hash tables, ``capacity`` a power of two (overwritten). A table small enough to stay in
        cache is much faster; ``capacity >= 2n`` never overflows.
    best : ndarray of int64, shape (n,)
        Scratch: per new context, the count of its most frequent next token.

    Returns
    -------
    (int, int)
        Distinct new contexts, and conflicts (positions whose next token is not their context's most
        frequent one); ``(-1, -1)`` when the distinct contexts or (context, next token) pairs exceed
        ``capacity // 2`` (the caller retries with larger tables); ``(-2, c)`` when the pass stopped at
        ``c > max_conflicts`` conflicts (a lower bound; ``out_ids`` is then incomplete).
    """
    n = positions.shape[0]
    mask = keys.shape[0] - 1
    limit = keys.shape[0] // 2
    n_pairs = 0
    for i in range(keys.shape[0]):
        keys[i] = -1
        pair_keys[i] = -1
    width = pad + 1
    n_ctx = 0
    kept = 0
    for i in range(n):
        p = positions[i]
        col = 0
        if offset > 0:
            col = tokens[p - offset] if p - offset >= starts[i] else pad
        key = ids[i] * width + col
        h = _slot(key, mask)
        while keys[h] != -1 and keys[h] != key:
            h = (h + 1) & mask
        if keys[h] == -1:
            if n_ctx >= limit:
                return -1, -1
            keys[h] = key
            vals[h] = n_ctx
            best[n_ctx] = 0
            n_ctx += 1
        c = vals[h]
        out_ids[i] = c
        pkey = c * width + tokens[p]
        h = _slot(pkey, mask)
        while pair_keys[h] != -1 and pair_keys[h] != pkey:
            h = (h + 1) & mask
        if pair_keys[h] == -1:
            if n_pairs >= limit:
                return -1, -1
            n_pairs += 1
            pair_keys[h] = pkey
            pair_vals[h] = 0
        pair_vals[h] += 1
        if pair_vals[h] > best[c]:
            kept += 1  # the context's top count rose by one: this position is (so far) no conflict
            best[c] = pair_vals[h]
        elif max_conflicts >= 0 and i + 1 - kept > max_conflicts:
            return -2, i + 1 - kept
    return n_ctx, n - kept


def extend_contexts_reference(tokens, positions, starts, offset, pad, ids, out_ids, max_conflicts=-1, keys=None,
                              vals=None, pair_keys=None, pair_vals=None, best=None):
    """The plain-Python twin of :func:`extend_contexts` (the scratch arrays are ignored but for the capacity
    of ``keys``, which sets the same overflow status)."""
    limit = len(keys) // 2 if keys is not None else len(positions) + 1
    seen: dict = {}
    pairs: dict = {}
    top: list = []
    kept = 0
    for i in range(len(positions)):
        p = int(positions[i])
        col = 0
        if offset > 0:
            col = int(tokens[p - offset]) if p - offset >= int(starts[i]) else int(pad)
        if (int(ids[i]), col) not in seen and len(seen) >= limit:
            return -1, -1
        c = seen.setdefault((int(ids[i]), col), len(seen))
        if c == len(top):
            top.append(0)
        out_ids[i] = c
        k = (c, int(tokens[p]))
        if k not in pairs and len(pairs) >= limit:
            return -1, -1
        pairs[k] = pairs.get(k, 0) + 1
        if pairs[k] > top[c]:
            top[c] = pairs[k]
            kept += 1  # == sum(top): the positions their context's most frequent token accounts for
        elif max_conflicts >= 0 and i + 1 - kept > max_conflicts:
            return -2, i + 1 - kept
    return len(seen), len(positions) - sum(top)
