"""Learner (ridge least squares): :class:`LeastSquaresAR`, ridge regression onto one-hot next tokens over
implicit one-hot windows, by a streamed Gram matrix (Cholesky) or matrix-free conjugate gradients."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits

from tmsim import interrupts
from tmsim.encodings import PositionLayout

from .. import _kernels, _reference
from ..data import Sequences
from ..errors import LearnerError
from .base import _impl, _LinearAR
from .features import (PAD, blocks, check_bool_param, check_features, check_float_param,
                       check_int_param as _check_int_param, check_training_bytes, param_error as _param_error)

__all__ = ["LeastSquaresAR"]

#: Above this size the Gram accumulation runs on one core straight into the model's accumulator, so that
#: fitting never holds more than one extra D x D matrix per class.
_PARALLEL_GRAM_BYTES = 64 << 20
#: solver="auto" uses Cholesky while the Gram matrices take at most this much memory, CG beyond.
_CHOLESKY_BYTES = 1 << 30


#: Tokens per call of the Gram kernels (see LeastSquaresAR.partial_fit): small enough that Ctrl-C answers
#: within a fraction of a second, large enough that a call boundary costs nothing measurable.
GRAM_CHUNK_TOKENS = 1 << 22


def _sequence_chunks(seqs: Sequences, max_tokens: int):
    """``(tokens, offsets, kinds, a, b)`` for runs of whole sequences ``a..b-1`` holding about ``max_tokens``
    tokens each (at least one sequence), offsets rebased to 0."""
    o = seqs.offsets
    n = len(o) - 1
    a = 0
    while a < n or (a == 0 and n == 0):
        b = max(a + 1, int(np.searchsorted(o, o[a] + max_tokens, side="right")) - 1) if n else 0
        b = min(b, n)
        lo, hi = int(o[a]), int(o[b])
        yield seqs.tokens[lo:hi], np.ascontiguousarray(o[a:b + 1] - lo), seqs.kinds[lo:hi], a, b
        if b >= n:
            break
        a = b


def _suffix_starts(seqs: Sequences) -> np.ndarray | None:
    """Per sequence, the index of its first training position when the training positions of every
    sequence form a suffix; None otherwise."""
    first = np.empty(len(seqs), dtype=np.int64)
    return first if _kernels.suffix_starts(seqs.offsets, seqs.kinds, first) else None


def _lag_groups(offs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (i < j) of window offsets grouped by lag ``offs[j] - offs[i]``, sorted by ``offs[i]``."""
    pairs = sorted(((int(offs[j] - offs[i]), int(offs[i]), i, j) for i in range(len(offs))
                    for j in range(i + 1, len(offs))))
    pair_i = np.array([p[2] for p in pairs], dtype=np.int64)
    pair_j = np.array([p[3] for p in pairs], dtype=np.int64)
    lags = [p[0] for p in pairs]
    starts = [0] + [q for q in range(1, len(lags)) if lags[q] != lags[q - 1]] + [len(lags)]
    return pair_i, pair_j, np.array(starts if pairs else [0], dtype=np.int64)


class LeastSquaresAR(_LinearAR):
    """Ridge regression onto one-hot next tokens over a window of one-hot tokens, argmax decoding.

    Closed form through the Gram matrix, accumulated directly from the window indices (X^T X is a sum of
    k^2 co-occurrence blocks, X^T Y a count table) and solved by Cholesky. ``partial_fit`` adds a chunk to
    the accumulators and re-solves, so a dataset larger than memory trains in bounded memory.

    Parameters
    ----------
    window : int, default 8
        Use the tokens at offsets 1..window before each position (ignored when ``offsets`` is given).
    offsets : sequence of int, optional
        An explicit set of offsets (e.g. those an encoding declares its tokens depend on).
    alpha : float, default 1.0
        Ridge penalty (>= 0; 0 uses a least-squares solve of the singular system).
    fit_intercept : bool, default True
        Fit per-token biases (by centring, as scikit-learn's ``RidgeClassifier`` does).
    layout : tmsim.encodings.PositionLayout or None, default None
        The weight block of each position: None (or ``PositionLayout.shift_invariant()``) is the
        shift-invariant window, one block shared by every position; a layout of period ``p`` gives position
        ``t`` (counted from its sequence start) the block of its class ``layout.classes[t mod p]``, so
        residues share weights (``PositionLayout(period=p, classes=tuple(range(p)))``: one block per residue;
        an encoding's ``encoding.layout(machine)``: one block per position class, e.g. every cell of a
        tableau row); ``PositionLayout.time_dependent()`` is the paper's time-dependent form, one block per
        absolute position (positions past the longest training sequence use the last block). When the
        layout declares per-class ``offsets``, each block reads only its class's offsets (it cannot lean on
        the others); ``offsets_`` is their union and ``window`` and ``offsets`` are unused.
    compact : bool, default False
        Give the weights only the tokens seen in the first ``fit`` (plus one id for every other token):
        V' x V' blocks instead of V x V when a large vocabulary is mostly unused (tableau-triples of
        binary-multiplication: 25,091 tokens, a few hundred in its traces). No change to the predictions
        on seen tokens (an unseen token has no data to learn from); predictions are never unseen tokens.
    solver : {"auto", "cholesky", "cg"}, default "auto"
        ``"cholesky"`` accumulates the Gram matrix (streams over ``partial_fit`` chunks); ``"cg"`` runs
        Jacobi-preconditioned conjugate gradients with a matrix-free X^T X product (memory O(k V^2), not
        O(k^2 V^2); all data in one ``fit``; one weight block only). ``"auto"`` picks Cholesky while the Gram
        matrices take at most 1 GiB.
    tol : float, default 1e-10
        CG stops when every column's squared residual norm is below ``tol`` times its initial one.
    max_cg_iter : int, default 2000
    features : {None, "auto", "window", "declared"}, default None
        Which offsets each weight block reads. Precedence: explicit ``offsets`` (every block of the layout
        reads them) > ``"declared"`` (each class's offsets that the layout declares, e.g. an encoding's
        local rule) > ``"auto"`` (discovered from the training traces alone,
        :func:`learners.discovery.discover_layout`: per class the smallest offset set on which the next
        token is a function of the tokens there; the layout's period and classes are used, never its
        declared offsets) > ``"window"`` (every block reads ``1..window``). With ``"auto"`` and
        ``"declared"`` and ``layout=None``, the layout is the training dataset's own (``X.layout``;
        ``"auto"`` without one discovers for one shared class). None (the default) keeps the behaviour from
        before this parameter: ``layout`` as given — its declared offsets when it has them, else ``offsets``
        or ``1..window`` — and the dataset's layout is never read (the ``learners fit`` CLI defaults to
        ``"auto"``; docs/theory.md#position-classes-and-local-rules).
    discovery : dict or None, default None
        Options of the discovery search with ``features="auto"``: keyword arguments of
        :func:`~learners.discovery.discover_layout` among ``window`` (largest offset searched; default the
        layout's period + 1), ``max_offsets``, ``validation`` (fraction of traces held out), ``tie_break``,
        ``max_alternatives``, ``backend``. Its seed is ``random_state``.
    random_state : int, Generator or None, default None
        The seed of feature discovery (its held-out traces); the fit itself draws nothing.

    Attributes
    ----------
    coef_ : ndarray of float64, shape (C, k * V, V)
        One weight block per position class (C = 1 for the shift-invariant window).
    intercept_ : ndarray of float64, shape (C, V)
    offsets_ : ndarray of int64, shape (k,)
    use_ : ndarray of uint8, shape (C, k)
        Which offsets each block reads (all ones unless the layout declares offsets).
    layout_ : PositionLayout
        The layout the weights were fitted with (with the discovered or declared per-class offsets when
        ``features`` is ``"auto"`` / ``"declared"``; ``PositionLayout.shift_invariant()`` for one shared block).
    discovery_ : DiscoveryReport or None
        What discovery found, with ``features="auto"`` (None otherwise, and on a loaded model: the file keeps
        the discovered ``layout_``, not the report).
    token_ids_ : ndarray of int32 or None
        With ``compact``: the vocabulary ids the weights cover (model id ``i`` is ``token_ids_[i]``; ``V``
        in the shapes is then ``len(token_ids_) + 1`` rows and ``len(token_ids_)`` columns).
    vocab_size_ : int
    vocabulary_ : Vocabulary or None
    n_windows_ : int
        Training positions seen.
    solver_ : str
        The solver used (``"cholesky"`` or ``"cg"``).
    n_cg_iter_ : int
        CG iterations (0 with Cholesky).

    Examples
    --------
    >>> import numpy as np
    >>> from learners import LeastSquaresAR
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3, 1, 2, 3])] * 4   # a repeating pattern
    >>> model = LeastSquaresAR(window=2, alpha=1e-3).fit(seqs)
    >>> model.generate([[1, 2]], max_new_tokens=4)[0].tolist()
    [1, 2, 3, 1, 2, 3]
    """

    def __init__(self, window: int = 8, offsets: Sequence[int] | None = None, alpha: float = 1.0,
                 fit_intercept: bool = True, layout: PositionLayout | None = None, solver: str = "auto",
                 tol: float = 1e-10, max_cg_iter: int = 2000, compact: bool = False, features: str | None = None,
                 discovery: dict | None = None, random_state: int | np.random.Generator | None = None):
        self.window = window
        self.random_state = random_state
        self.features = features
        self.discovery = discovery
        self.offsets = offsets
        self.layout = layout
        self.compact = compact
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_cg_iter = max_cg_iter

    def _validate_params(self) -> None:
        """Every hyper-parameter checked (a LearnerError names the first bad one)."""
        owner = self._owner()
        check_features(owner, self.features, self.layout, self.offsets, self.window, self.discovery)
        check_float_param(owner, "alpha", self.alpha, 0.0)
        check_float_param(owner, "tol", self.tol, 0.0)
        if self.solver not in ("auto", "cholesky", "cg"):
            raise _param_error(owner, "solver", "one of ('auto', 'cholesky', 'cg')", self.solver)
        _check_int_param(owner, "max_cg_iter", self.max_cg_iter, 1)
        check_bool_param(owner, "fit_intercept", self.fit_intercept)
        check_bool_param(owner, "compact", self.compact)

    def fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "LeastSquaresAR":
        """Fit on the training positions of ``X`` (``y`` is ignored: targets are the next tokens)."""
        for attr in ("coef_", "_G", "_B", "_cg_done"):
            if hasattr(self, attr):
                delattr(self, attr)
        return self.partial_fit(X, backend=backend)

    def partial_fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "LeastSquaresAR":
        """Add the windows of ``X`` to the accumulated Gram matrix and re-solve."""
        owner = self._owner()
        impl = _impl(backend, owner)
        self._validate_params()
        if hasattr(self, "_cg_done"):
            raise LearnerError(f"{owner}: the 'cg' solver needs all the data in one fit (it revisits every window "
                               f"at each iteration); use solver='cholesky' to stream chunks with partial_fit.")
        first = not hasattr(self, "_G")
        seqs = self._data(X, fitting=first)
        if first:
            C = self._set_layout(seqs, X)
        seqs = self._internal(seqs, targets=True)
        if first and self._choose_solver(C, seqs.vocab_size) == "cg":
            D = len(self.offsets_) * self._n_inputs
            check_training_bytes(owner, f"the conjugate-gradient arrays ({D:,} features x {self._n_outputs:,} "
                                        f"outputs, 5 of them)", 8 * 5 * D * self._n_outputs)
            return self._fit_cg(seqs, impl)
        if first:
            D = len(self.offsets_) * self._n_inputs
            check_training_bytes(owner, f"the Gram matrices ({C:,} blocks x {D:,} x {D:,} features, and "
                                        f"{D:,} x {self._n_outputs:,} targets)",
                                 8 * C * D * (D + self._n_outputs))
            self._G = np.zeros((C, D, D))
            self._B = np.zeros((C, D, self._n_outputs))
            self._n = np.zeros(C, dtype=np.int64)
            self.n_windows_ = 0
        C, D, V = self._G.shape[0], self._G.shape[1], self._n_inputs
        _, _, _, period, classes, use = self._kernel_args()
        # The accumulators hold X^T X in upper form (upper blocks and diagonal); kernels add into them.
        first = _suffix_starts(seqs) if C == 1 else None
        n = 0
        # Sequences in pieces of about GRAM_CHUNK_TOKENS tokens, with a check for Ctrl-C / SIGTERM between two
        # (tmsim.interrupts); the kernels add into the accumulators, so the pieces sum to one call.
        if first is not None:
            pair_i, pair_j, groups = _lag_groups(self.offsets_)
        with interrupts.deferred():
            for tokens, offsets, kinds, a, b in _sequence_chunks(seqs, GRAM_CHUNK_TOKENS):
                if first is not None:
                    # Every sequence trains on a suffix (prompt, then CoT and answer): use the shift structure.
                    n += impl.gram_shift(tokens, offsets, first[a:b], self.offsets_, V, PAD, pair_i, pair_j,
                                         groups, self._G[0], self._B[0])
                elif impl is _kernels and 2 * self._G.nbytes <= _PARALLEL_GRAM_BYTES:
                    # A second accumulator lets both cores count; merged below.
                    G = np.zeros((2,) + self._G.shape)
                    B = np.zeros((2,) + self._B.shape)
                    n += impl.gram_accumulate(tokens, offsets, kinds, self.offsets_, V, PAD, period, classes, use, G,
                                              B)
                    self._G += G[0]
                    self._G += G[1]
                    self._B += B[0]
                    self._B += B[1]
                    del G, B
                else:
                    n += impl.gram_accumulate(tokens, offsets, kinds, self.offsets_, V, PAD, period, classes, use,
                                              self._G[None], self._B[None])
                interrupts.checkpoint()
        if n == 0 and self.n_windows_ == 0:
            raise LearnerError(f"{owner}: the dataset has no training positions (every token is prompt).")
        # Windows per class: each window adds its target once per offset its block reads to B.
        self._n = np.rint(self._B.sum(axis=(1, 2)) / self.use_.sum(axis=1)).astype(np.int64)
        self.n_windows_ += int(n)
        self._solve()
        return self

    def _choose_solver(self, C: int, V: int) -> str:
        D = len(self.offsets_) * V
        solver = self.solver
        if solver == "auto":
            solver = "cholesky" if C * D * D * 8 <= _CHOLESKY_BYTES else "cg"
        if solver == "cg" and C != 1:
            raise LearnerError(f"{self._owner()}: the 'cg' solver supports one weight block only (layout None or "
                               f"single-class). Got a layout with {C} blocks.")
        self.solver_ = solver
        self.n_cg_iter_ = 0
        return solver

    def _fit_cg(self, seqs: Sequences, impl) -> "LeastSquaresAR":
        """Ridge by Jacobi-preconditioned conjugate gradients, all columns at once, X^T X matrix-free."""
        owner = self._owner()
        offs, V = self.offsets_, self._n_inputs  # one block, reading every offset (see _choose_solver)
        D = len(offs) * V
        s = np.zeros(D)
        B = np.zeros((D, self._n_outputs))
        n = impl.xty_accumulate(seqs.tokens, seqs.offsets, seqs.kinds, offs, V, PAD, s, B)
        if n == 0:
            raise LearnerError(f"{owner}: the dataset has no training positions (every token is prompt).")
        positions = self._windows(seqs, impl)
        n_chunks = 1 if impl is _reference else 2
        c = B.sum(axis=0) / len(offs)
        Bc = B - np.outer(s, c) / n if self.fit_intercept else B
        acc = np.zeros((n_chunks, D, self._n_outputs))

        def matvec(P: np.ndarray) -> np.ndarray:
            acc[...] = 0.0
            impl.gram_matvec(seqs.tokens, seqs.offsets, positions, offs, V, PAD, P, acc)
            out = acc.sum(axis=0)
            if self.fit_intercept:
                out -= np.outer(s, s @ P) / n
            out += self.alpha * P
            return out

        diag = s - (s * s / n if self.fit_intercept else 0.0) + self.alpha
        inv = np.where(diag > 0, 1.0 / np.where(diag > 0, diag, 1.0), 1.0)
        W = np.zeros((D, self._n_outputs))
        R = Bc.copy()
        Z = inv[:, None] * R
        P = Z.copy()
        rz = np.einsum("ij,ij->j", R, Z)
        r0 = np.maximum(np.einsum("ij,ij->j", R, R), 1e-300)
        it = 0
        for it in range(1, _check_int_param(owner, "max_cg_iter", self.max_cg_iter, 1) + 1):
            AP = matvec(P)
            pap = np.einsum("ij,ij->j", P, AP)
            a = np.where(pap > 0, rz / np.where(pap > 0, pap, 1.0), 0.0)
            W += a * P
            R -= a * AP
            rr = np.einsum("ij,ij->j", R, R)
            if np.all(rr <= self.tol * r0):
                break
            Z = inv[:, None] * R
            rz_new = np.einsum("ij,ij->j", R, Z)
            beta = np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
            P = Z + beta * P
            rz = rz_new
        self.n_cg_iter_ = it
        self.coef_ = W[None]
        self.intercept_ = ((c - s @ W) / n if self.fit_intercept else np.zeros(self._n_outputs))[None]
        self.n_windows_ = int(n)
        self._cg_done = True
        return self

    def _solve(self) -> None:
        C, D, V = self._B.shape
        self.coef_ = np.zeros((C, D, V))
        self.intercept_ = np.zeros((C, V))
        for c in range(C):
            if self._n[c] > 0:
                self.coef_[c], self.intercept_[c] = self._solve_block(self._G[c], self._B[c], int(self._n[c]),
                                                                      int(self.use_[c].sum()))

    def _solve_block(self, G: np.ndarray, B: np.ndarray, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        # A = G + G^T - diag(G) - s s^T / n + alpha I (G in upper form), built in one D x D buffer; the
        # accumulator stays untouched.
        A = np.add(G, G.T)
        s = np.diag(G).copy()  # feature counts (X^T 1): the diagonal of a one-hot Gram matrix
        A[np.diag_indices_from(A)] -= s
        if self.fit_intercept:
            c = B.sum(axis=0) / k  # class counts: each window adds its target once per offset read
            for i in range(0, len(s), 256):  # rank-1 update in row blocks: no second D x D temporary
                A[i:i + 256] -= np.multiply.outer(s[i:i + 256], s / n)
            Bc = B - np.outer(s, c) / n
        else:
            Bc = B.copy()
        A[np.diag_indices_from(A)] += self.alpha
        # Small dense solves ran up to 30x slower under OpenBLAS's default threads on this 2-core machine.
        with threadpool_limits(limits=1, user_api="blas"):
            if self.alpha > 0:
                # A is symmetric: its transpose is the Fortran-ordered view LAPACK factors without a copy.
                W = linalg.cho_solve(linalg.cho_factor(A.T, lower=False, overwrite_a=True, check_finite=False), Bc,
                                     overwrite_b=True, check_finite=False)
            else:
                W = linalg.lstsq(A, Bc, overwrite_a=True, check_finite=False)[0]
        intercept = (c - s @ W) / n if self.fit_intercept else np.zeros(B.shape[1])
        return W, intercept
