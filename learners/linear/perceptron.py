"""Learner (perceptron): :class:`PerceptronAR`, the multiclass (margin, averaged) perceptron over implicit
one-hot windows; epochs run in numba."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tmsim import interrupts
from tmsim.encodings import PositionLayout

from ..errors import LearnerError
from .base import _impl, _LinearAR
from .features import check_bool_param, check_features, check_float_param, check_int_param as _check_int_param

__all__ = ["PerceptronAR"]

#: With ``shrinking``, the windows whose score gap is below ``margin + _SHRINK_SLACK`` stay in the passes
#: between full ones: the margin perceptron leaves almost every window just above its margin, so only
#: those near it (or past it) are kept.
_SHRINK_SLACK = 2.0


class PerceptronAR(_LinearAR):
    """Multiclass perceptron over a window of one-hot tokens (plain or averaged), argmax decoding.

    Epochs run in numba over the training positions in an order drawn from ``random_state``; training
    stops after an epoch without a mistake (realisable traces are separable with a margin, so it converges
    to an exact emulator) or after ``max_iter`` epochs.

    Parameters
    ----------
    window : int, default 8
    offsets : sequence of int, optional
    averaged : bool, default True
        Return the average of the weights over all updates (more robust off the training set). When the
        averaged weights are not exact on the training positions but the last ones are, the last ones are
        kept (``weights_ == "last"``), so a converged model always reproduces its training traces.
    max_iter : int, default 100
        Epochs at most.
    shuffle : bool, default True
        Draw a new order of the training positions every epoch.
    random_state : int, Generator or None
    layout : tmsim.encodings.PositionLayout or None, default None
        Weight blocks by position class, and the offsets each block reads, as in :class:`LeastSquaresAR`.
        With an encoding's local rule (``encoding.layout(machine, width=W)``), only the declared offsets of
        each class are read: what lets a model trained on short inputs emulate longer ones
        (docs/theory.md#position-classes-and-local-rules).
    compact : bool, default False
        Weights over the seen tokens only, as in :class:`LeastSquaresAR`.
    margin : float, default 0.0
        Also update when the target wins by less than ``margin`` (in units of one update's weight) over
        the best other token: a margin perceptron. 0 is the plain perceptron. A margin leaves room for the
        feature combinations that longer inputs bring and short ones never showed.
    shrinking : bool, default False
        After a full pass with updates, revisit only the windows whose score gap was below
        ``margin + 2`` (the rest were far from any update: in a trace, mostly copied cells), until
        a pass over them makes no update; then a full pass again, which alone can end training (so a
        converged model still has every training window right, with the margin). Several times faster on
        traces; ``n_iter_`` and ``mistakes_`` count every pass, full or not.
    features : {None, "auto", "window", "declared"}, default None
        Which offsets each weight block reads, as in :class:`LeastSquaresAR`: ``"auto"`` discovers them
        from the training traces (:func:`learners.discovery.discover_layout`).
    discovery : dict or None, default None
        Options of the discovery search with ``features="auto"``, as in :class:`LeastSquaresAR`.
    distinct : bool, default False
        Train on one window per distinct example — (weight block, tokens at the offsets it reads, target) —
        instead of every training position. Positions with the same triple are the same example, so the
        consistent separators are the same and a converged model still has every training window right
        (with the margin); only the order, the number of updates and the averaging differ. Traces repeat
        most of their windows (copied cells), so an epoch over the distinct ones is many times shorter.

    Attributes
    ----------
    coef_, intercept_, offsets_, use_, token_ids_, vocab_size_, vocabulary_, layout_, discovery_ : as
        :class:`LeastSquaresAR`
    n_iter_ : int
        Epochs run.
    mistakes_ : list of int
        Updates per epoch: mistakes, and with ``margin > 0`` margin violations.
    converged_ : bool
        True when the last epoch (a full pass) made no update.
    n_windows_ : int
        Training windows an epoch visits (with ``distinct``: the distinct examples).
    weights_ : {"averaged", "last"}

    Examples
    --------
    >>> import numpy as np
    >>> from learners import PerceptronAR
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])] * 4
    >>> model = PerceptronAR(window=2, random_state=0).fit(seqs)
    >>> model.converged_, model.score(seqs)
    (True, 1.0)
    """

    def __init__(self, window: int = 8, offsets: Sequence[int] | None = None, averaged: bool = True,
                 max_iter: int = 100, shuffle: bool = True, random_state: int | np.random.Generator | None = None,
                 layout: PositionLayout | None = None, compact: bool = False, margin: float = 0.0,
                 shrinking: bool = False, features: str | None = None, discovery: dict | None = None,
                 distinct: bool = False):
        self.layout = layout
        self.distinct = distinct
        self.features = features
        self.discovery = discovery
        self.shrinking = shrinking
        self.compact = compact
        self.margin = margin
        self.window = window
        self.offsets = offsets
        self.averaged = averaged
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state

    def _validate_params(self) -> None:
        """Every hyper-parameter checked (a LearnerError names the first bad one)."""
        owner = self._owner()
        check_features(owner, self.features, self.layout, self.offsets, self.window, self.discovery)
        _check_int_param(owner, "max_iter", self.max_iter, 1)
        check_float_param(owner, "margin", self.margin, 0.0)
        for name in ("averaged", "shuffle", "compact", "shrinking", "distinct"):
            check_bool_param(owner, name, getattr(self, name))

    def fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "PerceptronAR":
        """Train from zero weights until an epoch makes no mistake or ``max_iter`` epochs."""
        for attr in ("coef_", "_state"):
            if hasattr(self, attr):
                delattr(self, attr)
        self._validate_params()
        return self._train(X, int(self.max_iter), backend)

    def partial_fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "PerceptronAR":
        """One more epoch over ``X``, continuing from the current weights."""
        return self._train(X, 1, backend)

    def _train(self, X: Any, epochs: int, backend: str) -> "PerceptronAR":
        owner = self._owner()
        impl = _impl(backend, owner)
        self._validate_params()
        first = not hasattr(self, "_state")
        seqs = self._data(X, fitting=first)
        if first:
            C = self._set_layout(seqs, X)
            D, V = len(self.offsets_) * self._n_inputs, self._n_outputs
            rng = np.random.default_rng(self.random_state)
            self._state = dict(W=np.zeros((C, D, V)), b=np.zeros((C, V)),
                               U=np.zeros((C, D, V) if self.averaged else (0, D, V)), ub=np.zeros((C, V)), c=1,
                               rng=rng)
            self.mistakes_ = []
            self.n_iter_ = 0
        st = self._state
        seqs = self._internal(seqs, targets=True)
        kargs = self._kernel_args()
        positions = self._windows(seqs, impl)
        if len(positions) == 0:
            raise LearnerError(f"{owner}: the dataset has no training positions (every token is prompt).")
        if self.distinct:
            positions = self._distinct_windows(seqs, positions, st["W"].shape[0])
        self.n_windows_ = int(len(positions))
        gaps = np.empty(len(positions) if self.shrinking else 0)
        keep = float(self.margin) + _SHRINK_SLACK
        active = None  # None: a full pass over every training position
        full = True
        for _ in range(epochs):
            order = positions if active is None else active
            if self.shuffle:
                st["rng"].shuffle(order)  # in place: the order costs no memory of its own
            m = _epoch_in_chunks(impl, seqs, order, kargs, st, float(self.margin), gaps[:len(order)])
            st["c"] += len(order)
            self.mistakes_.append(int(m))
            self.n_iter_ += 1
            full = active is None
            if full and m == 0:
                break
            if self.shrinking:
                # Near the margin or past it: the windows the next passes may still update.
                active = None if (not full and m == 0) else order[gaps[:len(order)] < keep].copy()
        self.converged_ = full and self.mistakes_[-1] == 0
        self.coef_, self.intercept_ = st["W"].copy(), st["b"].copy()
        self.weights_ = "last"
        if self.averaged:
            last = (self.coef_, self.intercept_)
            self.coef_ = st["W"] - st["U"] / st["c"]
            self.intercept_ = st["b"] - st["ub"] / st["c"]
            self.weights_ = "averaged"
            if self.converged_:
                pred = np.empty(len(positions), dtype=np.int32)
                impl.predict_windows(seqs.tokens, seqs.offsets, positions, *kargs, self.coef_, self.intercept_, pred)
                if not np.array_equal(pred, seqs.tokens[positions]):
                    self.coef_, self.intercept_ = last
                    self.weights_ = "last"
        return self


#: Work (positions x features x outputs) per call of the epoch kernel: an epoch is a sequence of calls with
#: a check for Ctrl-C / SIGTERM between two (tmsim.interrupts), so a long fit stops within a fraction of a
#: second. The kernel visits the positions in order, so the pieces make exactly the one-call epoch.
EPOCH_CHUNK_WORK = 1 << 27


def _epoch_in_chunks(impl, seqs, order, kargs, st, margin: float, gaps: np.ndarray,
                     chunk: int | None = None) -> int:
    """``impl.perceptron_epoch`` over ``order``, in pieces of ``chunk`` positions (default: by
    EPOCH_CHUNK_WORK); returns the updates of the whole epoch."""
    if chunk is None:
        k, n_out = len(kargs[0]), st["W"].shape[2]
        chunk = max(1024, EPOCH_CHUNK_WORK // max(1, k * n_out))
    updates = 0
    with interrupts.deferred():
        for a in range(0, len(order), chunk):
            b = min(len(order), a + chunk)
            updates += int(impl.perceptron_epoch(seqs.tokens, seqs.offsets, order[a:b], *kargs, st["W"], st["b"],
                                                 st["U"], st["ub"], st["c"] + a, margin,
                                                 gaps[a:b] if len(gaps) else gaps))
            interrupts.checkpoint()
    return updates
