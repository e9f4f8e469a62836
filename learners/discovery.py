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
   lengths, carved from the data (``validation``), score each alternative — ``"linear"`` (the default):
   the held-out accuracy of a margin perceptron trained on the class's distinct training contexts alone
   (a function of the tokens is not enough, the learner must find it *linearly*, also on contexts it never
   saw); ``"coverage"``: does the set still decide training + held-out traces, and how many held-out
   contexts were seen in training; ``"perceptron"``: the held-out exact match of free rollouts of the
   whole margin perceptron (one fit per alternative: slow); ``"simplest"``: none. Ties, and the order of
   the alternatives, go to the simplest set (fewer offsets, then the smaller sum, then smaller offsets).

Each conflict count is one hashing pass (:func:`extend_contexts`, a numba kernel with the plain-Python
twin :func:`extend_contexts_reference`): context ids of S and the tokens at one more offset give the
context ids of S + {o} and the conflicts, so a set of k offsets costs k passes over its class's positions.

Examples
--------
>>> from tmsim.datasets import make_dataset
>>> from learners.discovery import discover_layout
>>> data = make_dataset("zoo:parity", "tableau-triples", n=60, lengths=(1, 6), width=10, random_state=0)
>>> report = discover_layout(data, data.layout, random_state=0)     # the layout's offsets are ignored
>>> report.decides, report.layout.names, report.offsets
(True, ('header', 'filler', 'intermediate', 'cell'), ((2,), (1,), (1, 2, 19, 21), (1, 22)))
>>> data.layout.offsets                                              # what the encoding declares
((2, 22), (1,), (2, 4, 6, 19, 21, 23), (1, 22))
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from sklearn.base import clone

from tmsim.encodings import PositionLayout

from ._discovery_kernels import extend_contexts, extend_contexts_reference
from .data import Sequences, as_sequences
from .errors import LearnerError
from .evaluate import evaluate

__all__ = ["discover_layout", "DiscoveryReport", "ClassDiscovery", "offset_conflicts", "learner_features",
           "check_discovery", "extend_contexts", "extend_contexts_reference", "TIE_BREAKS", "DISCOVERY_OPTIONS"]

OWNER = "discover_layout"
#: How equally small deciding sets are told apart (see the module docstring).
TIE_BREAKS = ("linear", "coverage", "perceptron", "simplest")
#: Equally small deciding sets kept per class for validation: enough to hold the few a short trace set
#: cannot tell apart, few enough that the perceptron tie-break stays a handful of fits per class.
DEFAULT_MAX_ALTERNATIVES = 8
#: Rounds of swap search per class (each restarts from a strictly smaller set, so this bounds the work).
MAX_SWAP_ROUNDS = 8
#: The largest search window and option counts accepted.
_MAX_WINDOW = 1 << 20
_MAX_COUNT = 1 << 10


def _is_int(v: Any, low: int, high: int) -> bool:
    return not isinstance(v, bool) and isinstance(v, numbers.Integral) and low <= int(v) <= high


#: The options of :func:`discover_layout` a linear learner's ``discovery`` parameter may set, each with its
#: constraint (JSON values only, so that a saved model keeps them; held-out traces are a fraction here).
DISCOVERY_OPTIONS: dict[str, tuple[str, Any]] = {
    "window": (f"an int in [1, {_MAX_WINDOW}] or None", lambda v: v is None or _is_int(v, 1, _MAX_WINDOW)),
    "max_offsets": (f"an int in [1, {_MAX_COUNT}]", lambda v: _is_int(v, 1, _MAX_COUNT)),
    "validation": ("a fraction in [0, 1) or None", lambda v: v is None or (
        isinstance(v, numbers.Real) and not isinstance(v, bool) and 0.0 <= float(v) < 1.0)),
    "tie_break": (f"one of {TIE_BREAKS}", lambda v: isinstance(v, str) and v in TIE_BREAKS),
    "max_alternatives": (f"an int in [1, {_MAX_COUNT}]", lambda v: _is_int(v, 1, _MAX_COUNT)),
    "backend": ("'numba' or 'python'", lambda v: isinstance(v, str) and v in ("numba", "python")),
}


def check_discovery(owner: str, discovery: Any) -> dict[str, Any]:
    """A learner's ``discovery`` parameter checked: None or a dict of :data:`DISCOVERY_OPTIONS` (the keyword
    arguments of :func:`discover_layout` it passes on). Returns them as a dict; a bad key or value is a
    one-line :class:`LearnerError` naming the parameter and the key.

    >>> check_discovery("PerceptronAR", {"window": 40})
    {'window': 40}
    """
    if discovery is None:
        return {}
    if not isinstance(discovery, Mapping):
        raise LearnerError(f"The 'discovery' parameter of {owner} must be None or a dict of discover_layout "
                           f"options (keys from {tuple(DISCOVERY_OPTIONS)}). Got {discovery!r} instead.")
    for key, value in discovery.items():
        if key not in DISCOVERY_OPTIONS:
            raise LearnerError(f"The 'discovery' parameter of {owner} must have keys from "
                               f"{tuple(DISCOVERY_OPTIONS)}. Got the key {key!r} instead.")
        constraint, ok = DISCOVERY_OPTIONS[key]
        if not ok(value):
            raise LearnerError(f"The 'discovery' parameter of {owner} must have {key!r} {constraint}. Got "
                               f"{value!r} instead.")
    return dict(discovery)


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
    coverage : float
        The fraction of held-out positions whose context some search position has (NaN without held-out
        traces). Near 1 on traces of a local rule; near 0 when the offsets only memorise (every context
        unique, so vacuously "decided").
    """

    name: str
    offsets: tuple[int, ...]
    conflicts: int
    contexts: int
    positions: int
    candidates_tried: int
    alternatives: tuple[tuple[int, ...], ...] = ()
    scores: tuple[float, ...] = ()
    coverage: float = float("nan")

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
                         f"{c.contexts}, held-out coverage {c.coverage:.3f}, sets tried {c.candidates_tried}{alt}")
        return "\n".join(lines)


def learner_features(report: "DiscoveryReport | PositionLayout") -> dict[str, Any]:
    """The keyword arguments that make a linear learner read the discovered offsets of each class — the one
    place that knows how :class:`~learners.PerceptronAR` / :class:`~learners.LeastSquaresAR` take them.

    >>> lay = PositionLayout(period=4, classes=(0, 1, 1, 1), names=("h", "c"), offsets=((4,), (1, 4)))
    >>> learner_features(lay)
    {'layout': PositionLayout(period=4, classes=(0, 1, 1, 1), names=('h', 'c'), offsets=((4,), (1, 4)))}
    """
    layout = report.layout if isinstance(report, DiscoveryReport) else report
    if not isinstance(layout, PositionLayout) or layout.period is None or layout.offsets is None:
        raise LearnerError(f"learner_features: needs a DiscoveryReport or a PositionLayout with a period and "
                           f"offsets. Got {layout!r}.")
    # An empty class (a constant token) still needs one input for the kernels: read offset 1.
    offs = tuple(o if o else (1,) for o in layout.offsets)
    return {"layout": layout.with_offsets(offs)}


# ---------------------------------------------------------------------- the search
class _Class:
    """The training positions of one class and the counting pass over them."""

    def __init__(self, seqs: Sequences, positions: np.ndarray, starts: np.ndarray, backend: str):
        self.tokens, self.positions, self.starts = seqs.tokens, positions, starts
        self.pad = int(seqs.vocab_size)
        n = len(positions)
        self.full = 1 << max(4, int(2 * max(n, 1) - 1).bit_length())  # never overflows
        self.tables = [np.empty(self.full, dtype=np.int64) for _ in range(4)]
        self.best = np.empty(max(n, 1), dtype=np.int64)
        self.fn = extend_contexts if backend == "numba" else extend_contexts_reference
        self.tried = 0
        self.cache: dict = {}

    def extend(self, ids: np.ndarray, offset: int, n_ids: int | None = None,
               bound: int = -1) -> tuple[np.ndarray, int, int]:
        """``ids`` (with ``n_ids`` distinct values) extended by ``offset``: (new ids, contexts, conflicts).
        With ``bound >= 0`` the pass may stop once the conflicts exceed it: contexts are then -1 and the
        conflicts a lower bound (> ``bound``)."""
        out = np.empty(len(self.positions), dtype=np.int64)
        if n_ids is None:
            n_ids = int(ids.max(initial=0)) + 1
        # Tables sized to the contexts expected (a few per current one) stay in cache; grow on overflow.
        cap = min(self.full, 1 << max(10, int(32 * n_ids).bit_length()))
        while True:
            n_ctx, conf = self.fn(self.tokens, self.positions, self.starts, int(offset), self.pad, ids, out,
                                  int(bound), *(t[:cap] for t in self.tables), self.best)
            if n_ctx != -1:
                return out, max(int(n_ctx), -1), int(conf)
            cap = min(self.full, cap * 4)

    def ids_of(self, offsets: Sequence[int], bound: int = -1) -> tuple[np.ndarray, int, int]:
        """Context ids of ``offsets`` (the bound applies to the last pass only: conflicts only fall as
        offsets are added)."""
        ids = np.zeros(len(self.positions), dtype=np.int64)
        n_ctx, conf = 1, 0
        offsets = tuple(offsets) or (0,)
        for i, o in enumerate(offsets):
            ids, n_ctx, conf = self.extend(ids, o, n_ctx, bound if i == len(offsets) - 1 else -1)
        return ids, n_ctx, conf

    def conflicts(self, offsets: Sequence[int], bound: int = -1) -> int:
        """The conflicts of ``offsets``, or (with ``bound >= 0``) some number above ``bound`` when they are."""
        key = tuple(sorted(offsets))
        conf, exact = self.cache.get(key, (-1, False))
        if exact or (bound >= 0 and conf > bound):
            return conf
        self.tried += 1
        _, n_ctx, conf = self.ids_of(key, bound)
        self.cache[key] = (conf, n_ctx >= 0)
        return conf


def _simplicity(s: Sequence[int]) -> tuple:
    return len(s), sum(s), tuple(sorted(s))


def _forward(cls: _Class, window: int, max_offsets: int) -> list[int]:
    chosen: list[int] = []
    ids, n_ids, conf = cls.ids_of(())
    while conf > 0 and len(chosen) < max_offsets:
        best = None
        for o in range(1, window + 1):
            if best is not None and best[0] == 0:
                break  # nothing beats a deciding set; ties go to the smaller offset
            if o in chosen:
                continue
            # only a candidate with fewer conflicts than the best so far (and than now) matters
            out, k, c = cls.extend(ids, o, n_ids, min(conf, conf if best is None else best[0]) - 1)
            cls.tried += 1
            if k >= 0 and (best is None or c < best[0]):
                best = (c, o, out, k)
        if best is None:
            break
        conf, o, ids, n_ids = best
        chosen.append(o)
        cls.cache[tuple(sorted(chosen))] = (conf, True)
    return sorted(chosen)


def _backward(cls: _Class, chosen: Sequence[int]) -> list[int]:
    s = sorted(chosen)
    target = cls.conflicts(s)
    changed = True
    while changed and s:
        changed = False
        for o in sorted(s, reverse=True):
            rest = [x for x in s if x != o]
            if cls.conflicts(rest, target) <= target:
                s, changed = rest, True
                break
    return s


def _neighbours(cls: _Class, s: Sequence[int], window: int):
    """The deciding sets one swap away from ``s`` (one offset replaced by another of the window)."""
    for o in s:
        rest = [x for x in s if x != o]
        base = None
        for o2 in range(1, window + 1):
            if o2 in s:
                continue
            cand = tuple(sorted(rest + [o2]))
            if cand not in cls.cache:
                if base is None:
                    base, n_base, _ = cls.ids_of(rest)
                cls.tried += 1
                _, k, c = cls.extend(base, o2, n_base, 0)  # only "does it decide?" matters here
                cls.cache[cand] = (c, k >= 0)
            if cls.cache[cand][0] == 0:
                yield cand


def _swaps(cls: _Class, chosen: list[int], window: int, max_alternatives: int) -> tuple[list[int], list[tuple]]:
    """Breadth-first swap search from a deciding set: (a smallest deciding set found, up to
    ``max_alternatives`` deciding sets of its size, simplest first). A swap after which an offset can be
    dropped restarts the search from the smaller set."""
    s = tuple(chosen)
    for _ in range(MAX_SWAP_ROUNDS):
        found, queue, smaller = [s], [s], None
        while queue and smaller is None and len(found) < max_alternatives:
            for cand in _neighbours(cls, queue.pop(0), window):
                if cand in found:
                    continue
                shrunk = _backward(cls, list(cand))
                if len(shrunk) < len(s):
                    smaller = tuple(shrunk)
                    break
                found.append(cand)
                queue.append(cand)
                if len(found) >= max_alternatives:
                    break
        if smaller is None:
            ranked = sorted(found, key=_simplicity)
            return list(ranked[0]), ranked
        s = smaller
    return list(s), [s]


def _class_positions(seqs: Sequences, layout: PositionLayout) -> list[tuple[np.ndarray, np.ndarray]]:
    lens = np.diff(seqs.offsets)
    starts = np.repeat(seqs.offsets[:-1], lens)
    pos = np.arange(len(seqs.tokens), dtype=np.int64)
    cls = np.asarray(layout.classes, dtype=np.int64)[(pos - starts) % layout.period]
    mask = seqs.kinds != 0
    return [(pos[mask & (cls == c)], starts[mask & (cls == c)]) for c in range(layout.n_classes)]


def _joined(a: _Class, b: _Class) -> _Class:
    """One class over training and held-out positions together (training first: their ids come first)."""
    seqs = Sequences(np.concatenate([a.tokens, b.tokens]), np.array([0, len(a.tokens) + len(b.tokens)]),
                     np.zeros(0, np.uint8), a.pad)
    shift = len(a.tokens)
    return _Class(seqs, np.concatenate([a.positions, b.positions + shift]),
                  np.concatenate([a.starts, b.starts + shift]), "numba" if a.fn is extend_contexts else "python")


def _coverage(both: _Class, n_train: int, offsets: Sequence[int]) -> tuple[int, float]:
    """(conflicts of training and held-out positions together, the fraction of held-out positions whose
    context some training position has)."""
    ids, _, conf = both.ids_of(offsets)
    seen = int(ids[:n_train].max(initial=-1)) + 1
    return conf, (float(np.mean(ids[n_train:] < seen)) if len(ids) > n_train else 1.0)


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
    V = max(valid.vocab_size, seqs.vocab_size)  # one pad token for both
    return (Sequences(seqs.tokens, seqs.offsets, seqs.kinds, V, seqs.vocabulary),
            Sequences(valid.tokens, valid.offsets, valid.kinds, V, valid.vocabulary))


def _default_learner(random_state: Any, window: int = 8) -> Any:
    """The margin perceptron of the tie-breaks (the learner the discovered offsets are meant for)."""
    from .linear import PerceptronAR  # the linear learners discover their features here: a cycle

    return PerceptronAR(window=window, averaged=True, margin=10.0, compact=True, shrinking=True, max_iter=1000,
                        random_state=random_state)


def _context_windows(cl: _Class, offsets: Sequence[int], index: np.ndarray | None = None) -> Sequences:
    """The contexts of a class's positions (``index``: a subset) as windows of one target each: the tokens at
    ``offsets`` (largest first; the pad before a sequence start), then the next token."""
    pos, st = (cl.positions, cl.starts) if index is None else (cl.positions[index], cl.starts[index])
    cols = [np.where(pos - o >= st, cl.tokens[np.maximum(pos - o, 0)], cl.pad) for o in sorted(offsets, reverse=True)]
    M = np.stack(cols + [cl.tokens[pos]], axis=1).astype(np.int32)
    k = M.shape[1]
    kinds = np.zeros(M.shape, dtype=np.uint8)
    kinds[:, -1] = 1
    return Sequences(M.ravel(), np.arange(len(M) + 1, dtype=np.int64) * k, kinds.ravel(), cl.pad + 1)


def _linear_score(cl: _Class, cl_valid: _Class, offsets: Sequence[int], random_state: Any) -> float:
    """Held-out accuracy of a margin perceptron trained on the class's distinct training contexts alone: how
    well the offsets' tokens decide the next token *linearly* on contexts the training traces lack."""
    if not offsets or not len(cl_valid.positions) or not len(cl.positions):
        return 1.0
    ids = cl.ids_of(offsets)[0]
    first = np.unique(ids, return_index=True)[1]
    model = _default_learner(random_state, len(offsets)).fit(_context_windows(cl, offsets, first))
    # held-out positions with one context and one next token are scored alike: one each, weighed by count
    vid = cl_valid.ids_of(offsets)[0] * (cl_valid.pad + 1) + cl_valid.tokens[cl_valid.positions]
    vfirst, vcount = np.unique(vid, return_index=True, return_counts=True)[1:]
    held = _context_windows(cl_valid, offsets, vfirst)
    right = model.predict(held) == model.targets(held)
    return float(np.dot(right, vcount) / vcount.sum())


def _perceptron_score(learner: Any, layout: PositionLayout, train: Sequences, valid: Sequences) -> float:
    """Held-out exact match of free rollouts of ``learner`` trained on ``train`` with ``layout``'s offsets."""
    model = clone(learner).set_params(**learner_features(layout)).fit(train)
    ev = evaluate(model, valid)
    return float(ev.exact_match) + 1e-6 * float(ev.token_accuracy)


def _tie_break(tie, chosen, alts, scores, cls_search, cls_valid, bare, search, valid, learner, random_state):
    """Choose, in place, per class among its equally small deciding sets (the first best: the simplest)."""
    if tie in ("linear", "coverage"):
        for c, cl in enumerate(cls_search):
            if len(alts[c]) > 1:
                if tie == "linear":
                    sc = [_linear_score(cl, cls_valid[c], a, random_state) for a in alts[c]]
                else:
                    both = _joined(cl, cls_valid[c])
                    sc = [cov - (conf > 0) for conf, cov in (_coverage(both, len(cl.positions), a) for a in alts[c])]
                scores[c] = tuple(sc)
                chosen[c] = alts[c][int(np.argmax(sc))]
        return
    # "perceptron": coordinate-wise over the classes, every trial one fit of the whole model
    est = _default_learner(random_state) if learner is None else learner
    current = _perceptron_score(est, bare.with_offsets(chosen), search, valid)
    for c in range(len(chosen)):
        if len(alts[c]) <= 1:
            continue
        sc = []
        for a in alts[c]:
            trial = list(chosen)
            trial[c] = a
            sc.append(current if a == chosen[c] else _perceptron_score(est, bare.with_offsets(trial), search, valid))
        scores[c] = tuple(sc)
        best = int(np.argmax(sc))
        chosen[c], current = alts[c][best], sc[best]


def discover_layout(data: Any, layout: PositionLayout, *, window: int | None = None, max_offsets: int = 8,
                    validation: Any = 0.2, tie_break: str = "linear",
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
    tie_break : {"linear", "coverage", "perceptron", "simplest"}, default "linear"
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
    if tie != "simplest":
        _tie_break(tie, chosen, alts, scores, cls_search, cls_valid, bare, search, valid, learner, random_state)
    final = bare.with_offsets(chosen)
    counts = offset_conflicts(seqs, final, backend=backend)
    cover = [float("nan") if valid is None else _coverage(_joined(cl, cls_valid[c]), len(cl.positions), chosen[c])[1]
             for c, cl in enumerate(cls_search)]
    classes = tuple(ClassDiscovery(bare.names[c], chosen[c], counts[c][0], counts[c][1], counts[c][2],
                                   cls_search[c].tried, alts[c], scores[c], cover[c]) for c in range(len(chosen)))
    return DiscoveryReport(final, classes, window, tie, len(search), 0 if valid is None else len(valid))
