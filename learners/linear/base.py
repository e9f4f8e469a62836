"""Learner (linear AR models): the machinery every linear next-token model shares — implicit one-hot windows,
position classes, teacher-forced prediction through the numba kernels, the kernel rollout, persistence —
and :class:`LinearAR`, a linear model given by its weights. The rest of the model protocol is
:class:`learners.base.ARModel`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from tmsim.encodings import Vocabulary

from .. import _kernels, _reference
from ..base import ARModel, register_model_format
from ..data import Sequences, as_sequences, for_model, params_json
from ..errors import LearnerError, VocabularyMismatchError
from .features import PAD, check_int_param as _check_int_param, param_error as _param_error

__all__ = ["LinearAR"]

#: The linear model classes by name (filled as they are defined), for the loader.
_CLASSES: dict[str, type] = {}


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls  # what the loader may instantiate

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
    classes = _CLASSES
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
