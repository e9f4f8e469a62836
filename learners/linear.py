"""Learner: linear auto-regressive next-token predictors over implicit one-hot windows (ridge least squares
and the multiclass perceptron), scikit-learn compatible, with greedy rollouts."""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from tmsim.encodings import Vocabulary

from . import _kernels, _reference
from .base import ARModel, load_model, register_model_format
from .data import Sequences, as_sequences, for_model, params_json
from .errors import LearnerError, VocabularyMismatchError

__all__ = ["LeastSquaresAR", "PerceptronAR", "LinearAR", "load_model"]

PAD = 0
#: Above this size the Gram accumulation runs on one core straight into the model's accumulator, so that
#: fitting never holds more than one extra D x D matrix per class.
_PARALLEL_GRAM_BYTES = 64 << 20
#: With ``shrinking``, the windows whose score gap is below ``margin + _SHRINK_SLACK`` stay in the passes
#: between full ones: the margin perceptron leaves almost every window just above its margin, so only
#: those near it (or past it) are kept.
_SHRINK_SLACK = 2.0
#: solver="auto" uses Cholesky while the Gram matrices take at most this much memory, CG beyond.
_CHOLESKY_BYTES = 1 << 30


def _param_error(owner: str, name: str, expected: str, got: Any) -> LearnerError:
    return LearnerError(f"The {name!r} parameter of {owner} must be {expected}. Got {got!r} instead.")


def _check_int_param(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise _param_error(owner, name, f"an int in [{low}, inf)", value)
    return int(value)


def _impl(backend: str, owner: str):
    if backend == "numba":
        return _kernels
    if backend == "python":
        return _reference
    raise _param_error(owner, "backend", "one of ('numba', 'python')", backend)


class _LinearAR(ARModel, BaseEstimator):
    """Shared machinery: window offsets, teacher-forced prediction and the kernel rollout; the rest of the
    model protocol (:class:`learners.base.ARModel`) is inherited."""

    format_tag = "learners-linear-ar"

    def _window_offsets(self) -> np.ndarray:
        owner = self._owner()
        if self.offsets is not None:
            offs = np.asarray(self.offsets)
            if offs.ndim != 1 or offs.size == 0 or offs.dtype.kind not in "iu" or (offs < 1).any():
                raise _param_error(owner, "offsets", "a non-empty sequence of ints >= 1", self.offsets)
            if len(np.unique(offs)) != len(offs):
                raise _param_error(owner, "offsets", "a sequence of distinct ints", self.offsets)
            return np.ascontiguousarray(offs, dtype=np.int64)
        k = _check_int_param(owner, "window", self.window, 1)
        return np.arange(1, k + 1, dtype=np.int64)

    def _n_classes(self, seqs: Sequences) -> tuple[int, int]:
        """(number of weight blocks, the kernels' period argument) for ``self.period`` and ``self.classes``."""
        owner = self._owner()
        classes = getattr(self, "classes", None)
        if classes is not None:
            if self.period is None:
                raise _param_error(owner, "period", "an int when 'classes' is given (classes[t mod period] is "
                                   "the block of position t)", self.period)
            period = _check_int_param(owner, "period", self.period, 1)
            return int(self._class_map(period).max()) + 1, period
        if self.period is None:  # time-dependent: one block per absolute position seen in training
            return max(1, int(np.diff(seqs.offsets).max(initial=1))), 0
        return _check_int_param(owner, "period", self.period, 1), int(self.period)

    def _class_map(self, period: int) -> np.ndarray:
        cl = np.asarray(self.classes)
        if cl.ndim != 1 or len(cl) != period or (cl.size and cl.dtype.kind not in "iu") or (cl < 0).any():
            raise _param_error(self._owner(), "classes", f"a sequence of period={period} ints >= 0 (the block of "
                               f"each position modulo the period)", self.classes)
        return np.ascontiguousarray(cl, dtype=np.int64)

    def _set_layout(self, seqs: Sequences) -> int:
        """Fix the features at the first fit: ``offsets_`` (the union of every block's offsets), ``use_``
        (which offsets each block reads), the kernels' period and class map, and, with ``compact``, the
        tokens the weights cover (``token_ids_``). Returns the number of weight blocks."""
        owner = self._owner()
        C, self.kernel_period_ = self._n_classes(seqs)
        self.kernel_classes_ = (self._class_map(self.kernel_period_) if getattr(self, "classes", None) is not None
                                else np.zeros(0, dtype=np.int64))
        class_offsets = getattr(self, "class_offsets", None)
        if class_offsets is None:
            self.offsets_ = self._window_offsets()
            self.use_ = np.ones((C, len(self.offsets_)), dtype=np.uint8)
        else:
            expected = f"a sequence of {C} non-empty sequences of distinct ints >= 1 (one per weight block)"
            if isinstance(class_offsets, (str, bytes)) or not hasattr(class_offsets, "__len__") \
                    or len(class_offsets) != C:
                raise _param_error(owner, "class_offsets", expected, class_offsets)
            sets = []
            for offs in class_offsets:
                a = np.asarray(offs)
                if a.ndim != 1 or a.size == 0 or a.dtype.kind not in "iu" or (a < 1).any() \
                        or len(np.unique(a)) != len(a):
                    raise _param_error(owner, "class_offsets", expected, class_offsets)
                sets.append({int(o) for o in a})
            self.offsets_ = np.array(sorted(set().union(*sets)), dtype=np.int64)
            self.use_ = np.array([[int(o) in c for o in self.offsets_] for c in sets], dtype=np.uint8)
        self.vocab_size_ = seqs.vocab_size
        self.vocabulary_ = seqs.vocabulary
        self.token_ids_ = None
        self._token_map = None
        if getattr(self, "compact", False):
            # PAD first, so that the pad token keeps id 0 inside the model too.
            self.token_ids_ = np.unique(np.concatenate([[PAD], seqs.tokens])).astype(np.int32)
        return C

    @property
    def _n_outputs(self) -> int:
        """Output columns of the weights: the vocabulary, or the tokens seen in training with ``compact``."""
        ids = getattr(self, "token_ids_", None)
        return self.vocab_size_ if ids is None else len(ids)

    @property
    def _n_inputs(self) -> int:
        """Token ids of the features (the kernels' ``V``): with ``compact``, the seen tokens and one id for
        every other token (whose weights stay zero)."""
        ids = getattr(self, "token_ids_", None)
        return self.vocab_size_ if ids is None else len(ids) + 1

    def _to_internal(self, tokens: np.ndarray) -> np.ndarray:
        """Map vocabulary ids to the model's ids (identity without ``compact``)."""
        ids = getattr(self, "token_ids_", None)
        if ids is None:
            return tokens
        if getattr(self, "_token_map", None) is None:
            self._token_map = np.full(self.vocab_size_, len(ids), dtype=np.int32)
            self._token_map[ids] = np.arange(len(ids), dtype=np.int32)
        return self._token_map[tokens]

    def _to_vocabulary(self, ids: np.ndarray) -> np.ndarray:
        """Map the model's output ids back to vocabulary ids."""
        tok = getattr(self, "token_ids_", None)
        return ids if tok is None else tok[ids]

    def _internal(self, seqs: Sequences, *, targets: bool = False) -> Sequences:
        """``seqs`` in the model's ids; with ``targets``, refuse training targets the weights do not cover."""
        if getattr(self, "token_ids_", None) is None:
            return seqs
        tokens = self._to_internal(seqs.tokens)
        if targets and (tokens[seqs.kinds != 0] >= self._n_outputs).any():
            bad = int(seqs.tokens[(seqs.kinds != 0) & (tokens >= self._n_outputs)][0])
            raise LearnerError(f"{self._owner()}: token id {bad} is a training target but was not seen in the first "
                               f"fit; with compact=True the tokens are fixed by the first call to fit.")
        return Sequences(tokens, seqs.offsets, seqs.kinds, self._n_inputs, seqs.vocabulary)

    def _kernel_args(self) -> tuple:
        """``(offs, V, pad, period, classes, use)``: the feature layout, as every kernel takes it."""
        use = getattr(self, "use_", None)
        if use is None:
            use = np.ones((self.coef_.shape[0], len(self.offsets_)), dtype=np.uint8)
        classes = getattr(self, "kernel_classes_", None)
        if classes is None:
            classes = np.zeros(0, dtype=np.int64)
        return self.offsets_, self._n_inputs, PAD, self.kernel_period_, classes, use

    def _data(self, X: Any, *, fitting: bool) -> Sequences:
        owner = self._owner()
        if fitting and not hasattr(self, "coef_"):
            return as_sequences(X, owner=owner)
        return for_model(as_sequences(X, vocab_size=None, owner=owner), self.vocabulary_, self.vocab_size_, owner)

    @staticmethod
    def _windows(seqs: Sequences, impl) -> np.ndarray:
        """Flat indices of the training positions (int32 when they fit: 4 bytes per window)."""
        n = impl.count_windows(seqs.offsets, seqs.kinds)
        positions = np.empty(n, dtype=np.int32 if len(seqs.tokens) < 2**31 else np.int64)
        impl.list_windows(seqs.offsets, seqs.kinds, positions)
        return positions

    # ------------------------------------------------------------------ the model protocol's primitives
    def predict(self, X: Any, *, backend: str = "numba") -> np.ndarray:
        """Teacher-forced next-token predictions at every training position (``kinds != 0``).

        Returns
        -------
        ndarray of int32, shape (n_positions,)
            In the order of the flat token array; compare with ``targets(X)``.
        """
        self._check_fitted()
        impl = _impl(backend, self._owner())
        seqs = self._internal(self._data(X, fitting=False))
        positions = self._windows(seqs, impl)
        out = np.empty(len(positions), dtype=np.int32)
        impl.predict_windows(seqs.tokens, seqs.offsets, positions, *self._kernel_args(), self.coef_, self.intercept_,
                             out)
        return self._to_vocabulary(out)

    def _next_tokens(self, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The argmax after each ``buf[rows[i], :lengths[i]]``: one window per context, in one kernel call."""
        lengths = np.asarray(lengths, dtype=np.int64)
        seq_off = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=seq_off[1:])
        tokens = np.zeros(int(seq_off[-1]), dtype=np.int32)
        for i, (r, n) in enumerate(zip(rows, lengths)):
            tokens[seq_off[i]:seq_off[i] + n] = buf[r, :n]
        out = np.empty(len(rows), dtype=np.int32)
        _kernels.predict_windows(self._to_internal(tokens), seq_off, seq_off[:-1] + lengths, *self._kernel_args(),
                                 self.coef_, self.intercept_, out)
        return self._to_vocabulary(out).astype(np.int64)

    def _rollout(self, plist: list[np.ndarray], max_new: int, eos: int, *, backend: str = "numba"
                 ) -> list[np.ndarray]:
        """All prompts in one kernel call (``backend="python"``: the reference loop)."""
        impl = _impl(backend, self._owner())
        lens = np.array([len(p) for p in plist], dtype=np.int64)
        poff = np.zeros(len(plist) + 1, dtype=np.int64)
        np.cumsum(lens, out=poff[1:])
        flat = np.concatenate(plist).astype(np.int32) if plist else np.zeros(0, dtype=np.int32)
        flat = self._to_internal(flat)
        if getattr(self, "token_ids_", None) is not None and 0 <= eos < self.vocab_size_:
            eos = int(self._to_internal(np.array([eos]))[0])
            eos = eos if eos < self._n_outputs else -1  # an end token never seen cannot be generated
        width = int(lens.max(initial=0)) + max_new
        out = np.zeros((len(plist), max(width, 1)), dtype=np.int32)
        out_len = np.zeros(len(plist), dtype=np.int64)
        impl.rollout(flat, poff, *self._kernel_args(), self.coef_, self.intercept_, int(eos), max_new, out, out_len)
        # The prompts as given (with compact, the model's ids conflate the tokens it never saw).
        return [np.concatenate([plist[s].astype(np.int32), self._to_vocabulary(out[s, lens[s]:out_len[s]])])
                for s in range(len(plist))]

    def _save_payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {
            "params": params_json(self.get_params()),
            "vocabulary": self.vocabulary_.to_json() if self.vocabulary_ is not None else None,
            "vocab_size": self.vocab_size_,
        }
        offs, _, _, _, classes, use = self._kernel_args()
        arrays = {"coef": self.coef_, "intercept": self.intercept_, "offsets": offs, "use": use,
                  "kernel_classes": classes}
        if getattr(self, "token_ids_", None) is not None:
            arrays["token_ids"] = self.token_ids_
        return meta, arrays


def _load_linear(meta: dict, arrays: dict, path: Path) -> "_LinearAR":
    """The loader of format ``learners-linear-ar`` (see :func:`learners.load_model`)."""
    coef, intercept, offsets = arrays.get("coef"), arrays.get("intercept"), arrays.get("offsets")
    if coef is None or intercept is None or offsets is None:
        missing = [k for k in ("coef", "intercept", "offsets") if k not in arrays]
        raise LearnerError(f"load_model: {str(path)!r} is not a saved learner ({missing[0]!r} is not a file in the "
                           f"archive).")
    use = arrays["use"] if "use" in arrays else np.ones((coef.shape[0], len(offsets)), dtype=np.uint8)
    kernel_classes = arrays.get("kernel_classes", np.zeros(0, dtype=np.int64))
    token_ids = arrays.get("token_ids")
    classes = {"LeastSquaresAR": LeastSquaresAR, "PerceptronAR": PerceptronAR, "LinearAR": LinearAR}
    if meta.get("class") not in classes:
        raise LearnerError(f"load_model: {str(path)!r} is not a saved linear AR learner.")
    params = meta["params"]
    if params.get("offsets") is not None:
        params["offsets"] = tuple(params["offsets"])
    if params.get("classes") is not None:
        params["classes"] = tuple(params["classes"])
    if params.get("class_offsets") is not None:
        params["class_offsets"] = tuple(tuple(o) for o in params["class_offsets"])
    model = classes[meta["class"]](**params)
    model.coef_, model.intercept_, model.offsets_ = coef, intercept, offsets
    model.use_, model.kernel_classes_, model.token_ids_ = use, kernel_classes, token_ids
    model.kernel_period_ = 0 if params.get("period") is None else int(params["period"])
    model.vocab_size_ = int(meta["vocab_size"])
    model.vocabulary_ = None
    if meta["vocabulary"] is not None:
        model.vocabulary_ = Vocabulary.from_json(meta["vocabulary"])
    return model


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
    period : int or None, default 1
        Weight blocks by position: 1 is the shift-invariant window (one block shared by every position);
        ``p`` gives one block per position modulo ``p`` (e.g. a trace's row period); None is the paper's
        time-dependent form, one block per absolute position (positions past the longest training sequence
        use the last block).
    classes : sequence of int, optional
        With an int ``period``: position ``t`` (counted from its sequence start) uses block
        ``classes[t mod period]``, so residues share weights (e.g. every cell of a tableau row, one block
        per position class of the encoding, instead of one per column).
    class_offsets : sequence of sequences of int, optional
        Per block, the offsets it reads (e.g. the offsets an encoding declares for each position class):
        a block ignores the tokens at the other offsets, so it cannot lean on them. ``offsets_`` is their
        union; ``window`` and ``offsets`` are then unused.
    compact : bool, default False
        Give the weights only the tokens seen in the first ``fit`` (plus one id for every other token):
        V' x V' blocks instead of V x V when a large vocabulary is mostly unused (tableau-triples of
        binary-multiplication: 25,091 tokens, a few hundred in its traces). No change to the predictions
        on seen tokens (an unseen token has no data to learn from); predictions are never unseen tokens.
    solver : {"auto", "cholesky", "cg"}, default "auto"
        ``"cholesky"`` accumulates the Gram matrix (streams over ``partial_fit`` chunks); ``"cg"`` runs
        Jacobi-preconditioned conjugate gradients with a matrix-free X^T X product (memory O(k V^2), not
        O(k^2 V^2); all data in one ``fit``; ``period=1`` only). ``"auto"`` picks Cholesky while the Gram
        matrices take at most 1 GiB.
    tol : float, default 1e-10
        CG stops when every column's squared residual norm is below ``tol`` times its initial one.
    max_cg_iter : int, default 2000

    Attributes
    ----------
    coef_ : ndarray of float64, shape (C, k * V, V)
        One weight block per position class (C = 1 for the shift-invariant window).
    intercept_ : ndarray of float64, shape (C, V)
    offsets_ : ndarray of int64, shape (k,)
    use_ : ndarray of uint8, shape (C, k)
        Which offsets each block reads (all ones without ``class_offsets``).
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
                 fit_intercept: bool = True, period: int | None = 1, solver: str = "auto", tol: float = 1e-10,
                 max_cg_iter: int = 2000, classes: Sequence[int] | None = None,
                 class_offsets: Sequence[Sequence[int]] | None = None, compact: bool = False):
        self.window = window
        self.offsets = offsets
        self.classes = classes
        self.class_offsets = class_offsets
        self.compact = compact
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.period = period
        self.solver = solver
        self.tol = tol
        self.max_cg_iter = max_cg_iter

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
        if not isinstance(self.alpha, numbers.Real) or isinstance(self.alpha, bool) or not self.alpha >= 0:
            raise _param_error(owner, "alpha", "a float in [0, inf)", self.alpha)
        if self.solver not in ("auto", "cholesky", "cg"):
            raise _param_error(owner, "solver", "one of ('auto', 'cholesky', 'cg')", self.solver)
        if hasattr(self, "_cg_done"):
            raise LearnerError(f"{owner}: the 'cg' solver needs all the data in one fit (it revisits every window "
                               f"at each iteration); use solver='cholesky' to stream chunks with partial_fit.")
        first = not hasattr(self, "_G")
        seqs = self._data(X, fitting=first)
        if first:
            C = self._set_layout(seqs)
        seqs = self._internal(seqs, targets=True)
        if first and self._choose_solver(C, seqs.vocab_size) == "cg":
            return self._fit_cg(seqs, impl)
        if first:
            D = len(self.offsets_) * self._n_inputs
            self._G = np.zeros((C, D, D))
            self._B = np.zeros((C, D, self._n_outputs))
            self._n = np.zeros(C, dtype=np.int64)
            self.n_windows_ = 0
        C, D, V = self._G.shape[0], self._G.shape[1], self._n_inputs
        _, _, _, period, classes, use = self._kernel_args()
        # The accumulators hold X^T X in upper form (upper blocks and diagonal); kernels add into them.
        first = _suffix_starts(seqs) if C == 1 else None
        if first is not None:
            # Every sequence trains on a suffix (prompt, then CoT and answer): use the shift structure.
            pair_i, pair_j, groups = _lag_groups(self.offsets_)
            n = impl.gram_shift(seqs.tokens, seqs.offsets, first, self.offsets_, V, PAD, pair_i, pair_j, groups,
                                self._G[0], self._B[0])
        elif impl is _kernels and 2 * self._G.nbytes <= _PARALLEL_GRAM_BYTES:
            # A second accumulator lets both cores count; merged below.
            G = np.zeros((2,) + self._G.shape)
            B = np.zeros((2,) + self._B.shape)
            n = impl.gram_accumulate(seqs.tokens, seqs.offsets, seqs.kinds, self.offsets_, V, PAD, period, classes,
                                     use, G, B)
            self._G += G[0]
            self._G += G[1]
            self._B += B[0]
            self._B += B[1]
            del G, B
        else:
            n = impl.gram_accumulate(seqs.tokens, seqs.offsets, seqs.kinds, self.offsets_, V, PAD, period, classes,
                                     use, self._G[None], self._B[None])
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
            raise LearnerError(f"{self._owner()}: the 'cg' solver supports period=1 only. Got period={self.period!r}.")
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
        from scipy import linalg
        from threadpoolctl import threadpool_limits

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
    period : int or None, default 1
        Weight blocks by position, as in :class:`LeastSquaresAR`.
    classes, class_offsets, compact :
        Blocks shared by position classes, the offsets each block reads, and weights over the seen tokens
        only, as in :class:`LeastSquaresAR`. With an encoding's local rule
        (:func:`proofs_checks.experiments.learned_emulation.local_features`), only the declared offsets of each class are read:
        what lets a model trained on short inputs emulate longer ones (DESIGN.md section 2).
    margin : float, default 0.0
        Also update when the target wins by less than ``margin`` (in units of one update's weight) over
        the best other token: a margin perceptron. 0 is the plain perceptron. A margin leaves room for the
        feature combinations that longer inputs bring and short ones never showed.
    shrinking : bool, default False
        After a full pass with updates, revisit only the windows whose score gap was below
        ``3 * max(margin, 1)`` (the rest were far from any update: in a trace, mostly copied cells), until
        a pass over them makes no update; then a full pass again, which alone can end training (so a
        converged model still has every training window right, with the margin). Several times faster on
        traces; ``n_iter_`` and ``mistakes_`` count every pass, full or not.

    Attributes
    ----------
    coef_, intercept_, offsets_, use_, token_ids_, vocab_size_, vocabulary_ : as :class:`LeastSquaresAR`
    n_iter_ : int
        Epochs run.
    mistakes_ : list of int
        Updates per epoch: mistakes, and with ``margin > 0`` margin violations.
    converged_ : bool
        True when the last epoch (a full pass) made no update.
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
                 period: int | None = 1, classes: Sequence[int] | None = None,
                 class_offsets: Sequence[Sequence[int]] | None = None, compact: bool = False, margin: float = 0.0,
                 shrinking: bool = False):
        self.period = period
        self.shrinking = shrinking
        self.classes = classes
        self.class_offsets = class_offsets
        self.compact = compact
        self.margin = margin
        self.window = window
        self.offsets = offsets
        self.averaged = averaged
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "PerceptronAR":
        """Train from zero weights until an epoch makes no mistake or ``max_iter`` epochs."""
        for attr in ("coef_", "_state"):
            if hasattr(self, attr):
                delattr(self, attr)
        owner = self._owner()
        max_iter = _check_int_param(owner, "max_iter", self.max_iter, 1)
        return self._train(X, max_iter, backend)

    def partial_fit(self, X: Any, y: Any = None, *, backend: str = "numba") -> "PerceptronAR":
        """One more epoch over ``X``, continuing from the current weights."""
        return self._train(X, 1, backend)

    def _train(self, X: Any, epochs: int, backend: str) -> "PerceptronAR":
        owner = self._owner()
        impl = _impl(backend, owner)
        if isinstance(self.margin, bool) or not isinstance(self.margin, numbers.Real) or not self.margin >= 0:
            raise _param_error(owner, "margin", "a float in [0, inf)", self.margin)
        first = not hasattr(self, "_state")
        seqs = self._data(X, fitting=first)
        if first:
            C = self._set_layout(seqs)
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
        gaps = np.empty(len(positions) if self.shrinking else 0)
        keep = float(self.margin) + _SHRINK_SLACK
        active = None  # None: a full pass over every training position
        full = True
        for _ in range(epochs):
            order = positions if active is None else active
            if self.shuffle:
                st["rng"].shuffle(order)  # in place: the order costs no memory of its own
            m = impl.perceptron_epoch(seqs.tokens, seqs.offsets, order, *kargs, st["W"], st["b"], st["U"], st["ub"],
                                      st["c"], float(self.margin), gaps[:len(order)])
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


class LinearAR(_LinearAR):
    """A linear AR model given by its weights rather than trained: e.g. compiled from a machine
    (:func:`learners.compile_linear`). Same prediction, rollout, evaluation and persistence as the learners.

    Parameters
    ----------
    offsets : sequence of int
        The window offsets the weight blocks refer to.
    period : int or None, default 1
        Weight blocks by position (see :class:`LeastSquaresAR`).

    Examples
    --------
    >>> import numpy as np
    >>> from learners import LinearAR
    >>> V = 4  # a model that always predicts "previous token + 1" (mod 4)
    >>> coef = np.zeros((1, V, V))
    >>> coef[0, np.arange(V), (np.arange(V) + 1) % V] = 1.0
    >>> m = LinearAR.from_weights(coef, np.zeros((1, V)), offsets=[1])
    >>> m.generate([[1]], max_new_tokens=5)[0].tolist()
    [1, 2, 3, 0, 1, 2]
    """

    def __init__(self, offsets: Sequence[int] = (1,), period: int | None = 1):
        self.offsets = offsets
        self.period = period
        self.window = None

    def get_params(self, deep: bool = True) -> dict:
        return {"offsets": self.offsets, "period": self.period}

    @classmethod
    def from_weights(cls, coef: np.ndarray, intercept: np.ndarray, *, offsets: Sequence[int],
                     period: int | None = 1, vocabulary: Any = None) -> "LinearAR":
        """Build a fitted model from weight blocks ``coef`` (C, k*V, V) and ``intercept`` (C, V)."""
        model = cls(offsets=tuple(int(o) for o in offsets), period=period)
        offs = model._window_offsets()
        coef = np.ascontiguousarray(coef, dtype=np.float64)
        intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        if coef.ndim != 3 or coef.shape[1] != len(offs) * coef.shape[2]:
            raise LearnerError(f"LinearAR.from_weights: coef must have shape (C, k * V, V) with k = {len(offs)}. "
                               f"Got {coef.shape}.")
        if intercept.shape != (coef.shape[0], coef.shape[2]):
            raise LearnerError(f"LinearAR.from_weights: intercept must have shape {(coef.shape[0], coef.shape[2])}. "
                               f"Got {intercept.shape}.")
        if period is not None:
            _check_int_param("LinearAR", "period", period, 1)
            if coef.shape[0] != period:
                raise LearnerError(f"LinearAR.from_weights: period {period} needs {period} weight blocks. "
                                   f"Got {coef.shape[0]}.")
        if vocabulary is not None and len(vocabulary) != coef.shape[2]:
            raise VocabularyMismatchError(f"LinearAR.from_weights: the vocabulary has {len(vocabulary)} tokens, "
                                          f"the weights {coef.shape[2]}.")
        model.coef_, model.intercept_, model.offsets_ = coef, intercept, offs
        model.vocab_size_ = coef.shape[2]
        model.vocabulary_ = vocabulary
        model.kernel_period_ = 0 if period is None else int(period)
        return model

    def fit(self, X: Any = None, y: Any = None) -> "LinearAR":
        raise LearnerError("LinearAR is built from weights (LinearAR.from_weights or learners.compile_linear); "
                           "use LeastSquaresAR or PerceptronAR to learn from data.")


register_model_format(_LinearAR.format_tag, _load_linear)
