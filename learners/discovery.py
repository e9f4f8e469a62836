"""Dataset -> learner features (discovery): for each position class of a layout, the smallest set of offsets
on which the training next-tokens are a *function* of the tokens at those offsets, found from the traces
alone — the encoding's declared offsets are never read (``docs/theory.md#position-classes-and-local-rules``).

A set of offsets S *decides* a class when every context (the tokens at the offsets of S before a training
position of that class) that occurs twice is followed by the same token: its *conflicts* (training
positions not predicted by the majority token of their context) are 0. The search per class:

1. **forward**: from the empty set, add the offset of the window ``1..window`` that most reduces the
   conflicts (ties: the smaller offset) until none are left, none reduces them, or ``max_offsets``;
2. **backward**: drop every offset (largest first) whose removal keeps the conflicts as they are;
3. **swaps**: replace one offset by another; a swap that still decides is an *alternative* of the same
   size, and one after which an offset can be dropped again gives a smaller set (the search restarts
   from it);
4. **validation** among the equally small deciding sets (``tie_break``): held-out traces of the training
   lengths, carved from the data (``validation``), score each alternative — ``"coverage"``: does it still
   decide training + held-out traces, and how many held-out contexts were seen in training;
   ``"perceptron"``: the held-out exact match of a margin perceptron trained on it; ``"simplest"``: none
   (fewer offsets, then the smaller sum, then the smaller offsets).

Each conflict count is one hashing pass (:func:`extend_contexts`, a numba kernel with the plain-Python
twin :func:`extend_contexts_reference`): context ids of S and the tokens at one more offset give the
context ids of S + {o} and the conflicts, so a set of k offsets costs k passes over its class's positions.

Examples
--------
>>> from tmsim.datasets import make_dataset
>>> from learners.discovery import discover_layout
>>> data = make_dataset("zoo:parity", "tableau-triples", n=60, lengths=(1, 6), width=10, random_state=0)
>>> report = discover_layout(data, data.layout, random_state=0)
>>> report.decides, report.offsets
(True, ((2, 22), (1,), (2, 19, 21, 23), (1, 22)))
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numba import njit

from tmsim.encodings import PositionLayout

from .data import Sequences, as_sequences
from .errors import LearnerError

__all__ = ["discover_layout", "DiscoveryReport", "ClassDiscovery", "offset_conflicts", "learner_features",
           "extend_contexts", "extend_contexts_reference", "TIE_BREAKS"]

OWNER = "discover_layout"
#: How equally small deciding sets are told apart (see the module docstring).
TIE_BREAKS = ("coverage", "perceptron", "simplest")
#: Equally small deciding sets kept per class for validation: enough to hold the few a short trace set
#: cannot tell apart, few enough that the perceptron tie-break stays a handful of fits per class.
DEFAULT_MAX_ALTERNATIVES = 8
#: Rounds of swap search per class (each restarts from a strictly smaller set, so this bounds the work).
MAX_SWAP_ROUNDS = 8


# ---------------------------------------------------------------------- kernel and its twin
@njit(cache=True, nogil=True)
def extend_contexts(tokens, positions, starts, offset, pad, ids, out_ids, keys, vals, pair_keys, pair_vals,
                    best):
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
    keys, vals, pair_keys, pair_vals : ndarray of int64, shape (capacity,)
        Scratch hash tables, ``capacity`` a power of two >= 2n (overwritten).
    best : ndarray of int64, shape (n,)
        Scratch: per new context, the count of its most frequent next token.

    Returns
    -------
    (int, int)
        Distinct new contexts, and conflicts (positions whose next token is not their context's most
        frequent one).
    """
    n = positions.shape[0]
    mask = keys.shape[0] - 1
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
        h = (key * 0x9E3779B97F4A7C15) & mask
        while keys[h] != -1 and keys[h] != key:
            h = (h + 1) & mask
        if keys[h] == -1:
            keys[h] = key
            vals[h] = n_ctx
            best[n_ctx] = 0
            n_ctx += 1
        c = vals[h]
        out_ids[i] = c
        pkey = c * width + tokens[p]
        h = (pkey * 0x9E3779B97F4A7C15) & mask
        while pair_keys[h] != -1 and pair_keys[h] != pkey:
            h = (h + 1) & mask
        if pair_keys[h] == -1:
            pair_keys[h] = pkey
            pair_vals[h] = 0
        pair_vals[h] += 1
        if pair_vals[h] > best[c]:
            kept += 1  # the context's top count rose by one: this position is (so far) no conflict
            best[c] = pair_vals[h]
    return n_ctx, n - kept


def extend_contexts_reference(tokens, positions, starts, offset, pad, ids, out_ids, keys=None, vals=None,
                              pair_keys=None, pair_vals=None, best=None):
    """The plain-Python twin of :func:`extend_contexts` (the scratch arrays are accepted and ignored)."""
    seen: dict = {}
    pairs: dict = {}
    top: list = []
    for i in range(len(positions)):
        p = int(positions[i])
        col = 0
        if offset > 0:
            col = int(tokens[p - offset]) if p - offset >= int(starts[i]) else int(pad)
        c = seen.setdefault((int(ids[i]), col), len(seen))
        if c == len(top):
            top.append(0)
        out_ids[i] = c
        k = (c, int(tokens[p]))
        pairs[k] = pairs.get(k, 0) + 1
        top[c] = max(top[c], pairs[k])
    return len(seen), len(positions) - sum(top)


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class ClassDiscovery:
    """What discovery found for one position class.

    Attributes
    ----------
    name : str
        The class's name in the layout.
    offsets : tuple of int
        The chosen offsets (increasing).
    conflicts : int
        Training positions of the class its contexts do not decide (0: the next token is a function of the
        tokens at ``offsets`` on every training trace, held-out ones included).
    contexts : int
        Distinct contexts seen (all traces).
    positions : int
        Training positions of the class (all traces).
    candidates_tried : int
        Offset sets whose conflicts were counted (forward, backward, swaps, validation).
    alternatives : tuple of tuple of int
        The equally small sets that decide the search traces, simplest first (``offsets`` among them).
    scores : tuple of float
        The validation score of each alternative (empty when there was nothing to choose).
    """

    name: str
    offsets: tuple[int, ...]
    conflicts: int
    contexts: int
    positions: int
    candidates_tried: int
    alternatives: tuple[tuple[int, ...], ...] = ()
    scores: tuple[float, ...] = ()

    @property
    def decides(self) -> bool:
        return self.conflicts == 0


@dataclass(frozen=True)
class DiscoveryReport:
    """The result of :func:`discover_layout`.

    Attributes
    ----------
    layout : PositionLayout
        The input layout's structure with the discovered offsets (``layout.offsets[c]`` for class c).
    classes : tuple of ClassDiscovery
        Per class, in the layout's class order.
    window : int
        The largest offset the search considered.
    tie_break : str
    n_search, n_valid : int
        Traces the search used and traces held out for validation.
    """

    layout: PositionLayout
    classes: tuple[ClassDiscovery, ...]
    window: int
    tie_break: str
    n_search: int
    n_valid: int = 0
    notes: tuple[str, ...] = field(default=(), repr=False)

    @property
    def offsets(self) -> tuple[tuple[int, ...], ...]:
        """The discovered offsets per class (the layout's)."""
        return self.layout.offsets

    @property
    def decides(self) -> bool:
        """Every class decided on every trace (no conflicts)."""
        return all(c.decides for c in self.classes)

    @property
    def conflicts(self) -> int:
        return sum(c.conflicts for c in self.classes)

    def __str__(self) -> str:
        lines = [f"discovered offsets (window {self.window}, {self.n_search} search + {self.n_valid} held-out "
                 f"traces, tie-break {self.tie_break}):"]
        for c in self.classes:
            alt = f", {len(c.alternatives)} equally small" if len(c.alternatives) > 1 else ""
            lines.append(f"  {c.name:>14}: {c.offsets} conflicts {c.conflicts}/{c.positions}, contexts "
                         f"{c.contexts}, sets tried {c.candidates_tried}{alt}")
        return "\n".join(lines)


def learner_features(report: "DiscoveryReport | PositionLayout") -> dict[str, Any]:
    """The keyword arguments that make a linear learner read the discovered offsets of each class — the one
    place that knows how :class:`~learners.PerceptronAR` / :class:`~learners.LeastSquaresAR` take them.

    >>> lay = PositionLayout(period=4, classes=(0, 1, 1, 1), names=("h", "c"), offsets=((4,), (1, 4)))
    >>> learner_features(lay)
    {'period': 4, 'classes': (0, 1, 1, 1), 'class_offsets': ((4,), (1, 4))}
    """
    layout = report.layout if isinstance(report, DiscoveryReport) else report
    if not isinstance(layout, PositionLayout) or layout.period is None or layout.offsets is None:
        raise LearnerError(f"learner_features: needs a DiscoveryReport or a PositionLayout with a period and "
                           f"offsets. Got {layout!r}.")
    # An empty class (a constant token) still needs one input for the kernels: read offset 1.
    offs = tuple(o if o else (1,) for o in layout.offsets)
    return {"period": int(layout.period), "classes": tuple(layout.classes), "class_offsets": offs}


# ---------------------------------------------------------------------- the search
class _Class:
    """The training positions of one class and the counting pass over them."""

    def __init__(self, seqs: Sequences, positions: np.ndarray, starts: np.ndarray, backend: str):
        self.tokens, self.positions, self.starts = seqs.tokens, positions, starts
        self.pad = int(seqs.vocab_size)
        n = len(positions)
        cap = 1 << max(4, int(2 * max(n, 1) - 1).bit_length())
        self.scratch = [np.empty(cap, dtype=np.int64) for _ in range(4)] + [np.empty(max(n, 1), dtype=np.int64)]
        self.fn = extend_contexts if backend == "numba" else extend_contexts_reference
        self.tried = 0
        self.cache: dict = {}

    def extend(self, ids: np.ndarray, offset: int) -> tuple[np.ndarray, int, int]:
        out = np.empty(len(self.positions), dtype=np.int64)
        n_ctx, conf = self.fn(self.tokens, self.positions, self.starts, int(offset), self.pad, ids, out,
                              *self.scratch)
        return out, int(n_ctx), int(conf)

    def ids_of(self, offsets: Sequence[int]) -> tuple[np.ndarray, int, int]:
        ids = np.zeros(len(self.positions), dtype=np.int64)
        n_ctx, conf = 1, 0
        for o in (offsets or (0,)):
            ids, n_ctx, conf = self.extend(ids, o)
        return ids, n_ctx, conf

    def conflicts(self, offsets: Sequence[int]) -> int:
        key = tuple(sorted(offsets))
        if key not in self.cache:
            self.tried += 1
            self.cache[key] = self.ids_of(key)[2]
        return self.cache[key]


def _simplicity(s: Sequence[int]) -> tuple:
    return len(s), sum(s), tuple(sorted(s))


def _forward(cls: _Class, window: int, max_offsets: int) -> list[int]:
    chosen: list[int] = []
    ids, _, conf = cls.ids_of(())
    while conf > 0 and len(chosen) < max_offsets:
        best = None
        for o in range(1, window + 1):
            if o in chosen:
                continue
            out, _, c = cls.extend(ids, o)
            cls.tried += 1
            if best is None or c < best[0]:
                best = (c, o, out)
        if best is None or best[0] >= conf:
            break
        conf, o, ids = best
        chosen.append(o)
        cls.cache[tuple(sorted(chosen))] = conf
    return sorted(chosen)


def _backward(cls: _Class, chosen: Sequence[int]) -> list[int]:
    s = sorted(chosen)
    target = cls.conflicts(s)
    changed = True
    while changed and s:
        changed = False
        for o in sorted(s, reverse=True):
            rest = [x for x in s if x != o]
            if cls.conflicts(rest) <= target:
                s, changed = rest, True
                break
    return s


def _swaps(cls: _Class, chosen: list[int], window: int, max_alternatives: int) -> tuple[list[int], list[tuple]]:
    """Swap search around a deciding set: (a smallest set found, the equally small deciding sets)."""
    s = chosen
    for _ in range(MAX_SWAP_ROUNDS):
        alts = {tuple(s)}
        smaller = None
        for o in s:
            rest = [x for x in s if x != o]
            base, _, _ = cls.ids_of(rest)
            for o2 in range(1, window + 1):
                if o2 in s:
                    continue
                cand = tuple(sorted(rest + [o2]))
                if cand in cls.cache:
                    c = cls.cache[cand]
                else:
                    _, _, c = cls.extend(base, o2)
                    cls.tried += 1
                    cls.cache[cand] = c
                if c == 0:
                    alts.add(cand)
                    shrunk = _backward(cls, list(cand))
                    if len(shrunk) < len(s):
                        smaller = shrunk
                        break
            if smaller is not None:
                break
        if smaller is None:
            ranked = sorted(alts, key=_simplicity)
            return list(ranked[0]), ranked[:max_alternatives]
        s = smaller
    return s, [tuple(s)]


def _class_positions(seqs: Sequences, layout: PositionLayout) -> list[tuple[np.ndarray, np.ndarray]]:
    lens = np.diff(seqs.offsets)
    starts = np.repeat(seqs.offsets[:-1], lens)
    pos = np.arange(len(seqs.tokens), dtype=np.int64)
    cls = np.asarray(layout.classes, dtype=np.int64)[(pos - starts) % layout.period]
    mask = seqs.kinds != 0
    return [(pos[mask & (cls == c)], starts[mask & (cls == c)]) for c in range(layout.n_classes)]


def _coverage(cls_train: _Class, cls_valid: _Class, offsets: Sequence[int]) -> tuple[int, float]:
    """(conflicts on training + held-out positions together, fraction of held-out contexts seen in training)."""
    both = _joined(cls_train, cls_valid)
    ids, _, conf = both.ids_of(offsets)
    n_tr = len(cls_train.positions)
    seen = int(ids[:n_tr].max(initial=-1)) + 1
    cov = float(np.mean(ids[n_tr:] < seen)) if len(ids) > n_tr else 1.0
    return conf, cov


def _joined(a: _Class, b: _Class) -> _Class:
    """One class over the training and the held-out positions (training first: their ids come first)."""
    key = "_joined"
    if getattr(a, key, None) is None or a._joined[0] is not b:
        seqs = Sequences(np.concatenate([a.tokens, b.tokens]), np.array([0, len(a.tokens) + len(b.tokens)]),
                         np.zeros(0, np.uint8), max(a.pad, b.pad))
        shift = len(a.tokens)
        j = _Class.__new__(_Class)
        _Class.__init__(j, seqs, np.concatenate([a.positions, b.positions + shift]),
                        np.concatenate([a.starts, b.starts + shift]),
                        "numba" if a.fn is extend_contexts else "python")
        a._joined = (b, j)
    return a._joined[1]


def offset_conflicts(data: Any, layout: PositionLayout, offsets: Sequence[Sequence[int]] | None = None, *,
                     backend: str = "numba") -> tuple[tuple[int, int, int], ...]:
    """Per class, ``(conflicts, contexts, positions)`` of ``offsets`` (default: the layout's own) on ``data``:
    does a given offset set (e.g. an encoding's declared one) decide the traces?

    >>> from tmsim.datasets import make_dataset
    >>> data = make_dataset("zoo:parity", "tableau-triples", n=20, lengths=(1, 4), width=8, random_state=0)
    >>> [c for c, _, _ in offset_conflicts(data, data.layout)]
    [0, 0, 0, 0]
    """
    offs = getattr(layout, "offsets", None) if offsets is None else offsets
    seqs, layout = _check_inputs(data, layout, "offset_conflicts")
    if offs is None or len(offs) != layout.n_classes:
        raise LearnerError(f"offset_conflicts: needs one offset set per class ({layout.n_classes}). Got {offs!r}.")
    out = []
    for (pos, st), o in zip(_class_positions(seqs, layout), offs):
        _, n_ctx, conf = _Class(seqs, pos, st, backend).ids_of(tuple(o))
        out.append((conf, n_ctx if len(pos) else 0, len(pos)))
    return tuple(out)


def _check_inputs(data: Any, layout: Any, owner: str) -> tuple[Sequences, PositionLayout]:
    if not isinstance(layout, PositionLayout):
        raise LearnerError(f"The 'layout' parameter of {owner} must be a tmsim.encodings.PositionLayout. Got "
                           f"{type(layout).__name__} instead.")
    if layout.period is None:
        raise LearnerError(f"The 'layout' parameter of {owner} must have a period (position classes to discover "
                           f"offsets for). Got the time-dependent layout (period=None) instead.")
    return as_sequences(data, owner=owner), layout.undeclared()


def _int_param(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= int(value) <= high:
        raise LearnerError(f"The {name!r} parameter of {OWNER} must be an int in [{low}, {high}]. Got {value!r} "
                           f"instead.")
    return int(value)


def _split(seqs: Sequences, validation: Any, rng: np.random.Generator) -> tuple[Sequences, Sequences | None]:
    if validation is None:
        return seqs, None
    if isinstance(validation, numbers.Real) and not isinstance(validation, bool):
        frac = float(validation)
        if not 0.0 <= frac < 1.0:
            raise LearnerError(f"The 'validation' parameter of {OWNER} must be a fraction in [0, 1), held-out "
                               f"data, or None. Got {validation!r} instead.")
        n_valid = int(round(frac * len(seqs)))
        if n_valid == 0:
            return seqs, None
        if n_valid >= len(seqs):
            raise LearnerError(f"The 'validation' parameter of {OWNER} leaves no traces to search on "
                               f"({len(seqs)} traces, fraction {frac}).")
        perm = rng.permutation(len(seqs))
        return seqs.subset(np.sort(perm[n_valid:])), seqs.subset(np.sort(perm[:n_valid]))
    valid = as_sequences(validation, owner=f"{OWNER} (validation)")
    if valid.vocab_size != seqs.vocab_size:
        valid = Sequences(valid.tokens, valid.offsets, valid.kinds, max(valid.vocab_size, seqs.vocab_size),
                          valid.vocabulary)
    return seqs, valid


def _default_learner(random_state: Any):
    from .linear import PerceptronAR  # deferred: linear imports the kernels of the whole package

    return PerceptronAR(averaged=True, margin=10.0, compact=True, shrinking=True, max_iter=1000,
                        random_state=random_state)


def _perceptron_score(learner: Any, layout: PositionLayout, train: Sequences, valid: Sequences) -> float:
    from sklearn.base import clone

    from .evaluate import evaluate

    model = clone(learner).set_params(**learner_features(layout)).fit(train)
    ev = evaluate(model, valid)
    return float(ev.exact_match) + 1e-6 * float(ev.token_accuracy)


def discover_layout(data: Any, layout: PositionLayout, *, window: int | None = None, max_offsets: int = 8,
                    validation: Any = 0.2, tie_break: str = "coverage",
                    max_alternatives: int = DEFAULT_MAX_ALTERNATIVES, learner: Any = None,
                    random_state: int | np.random.Generator | None = None,
                    backend: str = "numba") -> DiscoveryReport:
    """Find, per position class of ``layout``, the smallest offset set that decides the training next tokens.

    Parameters
    ----------
    data : dataset
        Training traces: a tmsim dataset, :class:`~learners.Sequences`, a ``(tokens, offsets, kinds)``
        tuple or a list of token arrays (:func:`~learners.as_sequences`). Only positions with
        ``kinds != 0`` are targets; tokens before a sequence's start read as a pad token.
    layout : PositionLayout
        The format's structure (period, class of each residue, class names). Any offsets it carries are
        ignored (:meth:`~tmsim.encodings.PositionLayout.undeclared`).
    window : int, optional
        The largest offset considered; default ``period + 1`` (a row and one token).
    max_offsets : int, default 8
        The most offsets the forward search adds per class.
    validation : float, held-out data or None, default 0.2
        A fraction of the traces held out (drawn with ``random_state``) to choose among equally small
        deciding sets, or explicit held-out traces of the training lengths; None or 0: no hold-out.
    tie_break : {"coverage", "perceptron", "simplest"}, default "coverage"
        How the held-out traces choose (module docstring); without them, ``"simplest"``.
    max_alternatives : int, default 8
        Equally small deciding sets kept per class.
    learner : estimator, optional
        The learner of ``tie_break="perceptron"`` (default: the averaged margin perceptron over seen tokens).
    random_state : int, Generator or None
        The hold-out draw and the tie-break learner's seed.
    backend : {"numba", "python"}
        The counting pass: the kernel or its plain-Python twin (same result).

    Returns
    -------
    DiscoveryReport
        ``.layout`` is ``layout`` with the discovered offsets; conflicts and contexts are counted on every
        trace (search and held-out).

    Raises
    ------
    LearnerError
        A bad parameter (naming it), a layout without a period, or data with no target position.
    """
    seqs, bare = _check_inputs(data, layout, OWNER)
    L = int(bare.period)
    window = L + 1 if window is None else _int_param("window", window, 1, 1 << 20)
    max_offsets = _int_param("max_offsets", max_offsets, 1, 1 << 10)
    max_alternatives = _int_param("max_alternatives", max_alternatives, 1, 1 << 10)
    if tie_break not in TIE_BREAKS:
        raise LearnerError(f"The 'tie_break' parameter of {OWNER} must be one of {TIE_BREAKS}. Got {tie_break!r} "
                           f"instead.")
    if backend not in ("numba", "python"):
        raise LearnerError(f"The 'backend' parameter of {OWNER} must be 'numba' or 'python'. Got {backend!r} "
                           f"instead.")
    if not np.any(seqs.kinds != 0):
        raise LearnerError(f"{OWNER}: the data has no target positions (every token is prompt).")
    rng = np.random.default_rng(random_state)
    search, valid = _split(seqs, validation, rng)
    tie = tie_break if valid is not None else "simplest"
    cls_search = [_Class(search, p, s, backend) for p, s in _class_positions(search, bare)]
    cls_valid = [_Class(valid, p, s, backend) for p, s in _class_positions(valid, bare)] if valid is not None \
        else None
    chosen, alts, scores = [], [], []
    for c, cl in enumerate(cls_search):
        s = _backward(cl, _forward(cl, window, max_offsets))
        alt = [tuple(s)]
        if cl.conflicts(s) == 0 and s:
            s, alt = _swaps(cl, s, window, max_alternatives)
        chosen.append(tuple(s))
        alts.append(tuple(alt))
        scores.append(())
    if tie == "coverage":
        for c, cl in enumerate(cls_search):
            if len(alts[c]) > 1:
                sc = []
                for a in alts[c]:
                    conf, cov = _coverage(cl, cls_valid[c], a)
                    sc.append(cov - (conf > 0))
                scores[c] = tuple(sc)
                chosen[c] = alts[c][int(np.argmax(sc))]
    elif tie == "perceptron":
        est = _default_learner(random_state) if learner is None else learner
        current = _perceptron_score(est, bare.with_offsets(chosen), search, valid)
        for c in range(len(chosen)):
            if len(alts[c]) <= 1:
                continue
            sc = []
            for a in alts[c]:
                trial = list(chosen)
                trial[c] = a
                sc.append(current if a == chosen[c] else _perceptron_score(est, bare.with_offsets(trial), search,
                                                                            valid))
            scores[c] = tuple(sc)
            best = int(np.argmax(sc))
            chosen[c], current = alts[c][best], sc[best]
    final = bare.with_offsets(chosen)
    counts = offset_conflicts(seqs, final, backend=backend)
    classes = tuple(ClassDiscovery(bare.names[c], chosen[c], counts[c][0], counts[c][1], counts[c][2],
                                   cls_search[c].tried, alts[c], scores[c]) for c in range(len(chosen)))
    return DiscoveryReport(final, classes, window, tie, len(search), 0 if valid is None else len(valid))
