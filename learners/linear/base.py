"""Learner (linear AR models): the machinery every linear next-token model shares — implicit one-hot windows,
position classes, teacher-forced prediction through the numba kernels, the kernel rollout, persistence —
and :class:`LinearAR`, a linear model given by its weights. The rest of the model protocol is
:class:`learners.base.ARModel`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from tmsim.encodings import PositionLayout
from tmsim.encodings.layout import MAX_OFFSET

from .. import _kernels, _reference
from ..base import (MAX_VOCAB_SIZE, ARModel, _first_line, check_array, field_error, meta_int, meta_vocabulary,
                    register_model_format)
from ..data import Sequences, as_sequences, for_model, params_json
from ..errors import LearnerError, VocabularyMismatchError
from .features import (PAD, blocks, check_layout, param_error as _param_error, period_layout, resolve_features,
                       window_offsets)

__all__ = ["LinearAR"]

#: The largest weight array (bytes) a fit allocates; larger requests are refused with the estimate first.
MAX_WEIGHT_BYTES = 16 << 30

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

    def _set_layout(self, seqs: Sequences, X: Any = None) -> int:
        """Fix the features at the first fit, from ``features``, ``layout`` and the window
        (:func:`~learners.linear.features.resolve_features`; ``X``: the training data as given, whose
        ``layout`` ``features="auto"|"declared"`` may read): ``layout_`` (the layout used), ``discovery_``,
        ``offsets_`` (the union of every block's offsets), ``use_`` (which offsets each block reads), the
        kernels' period and class map, and, with ``compact``, the tokens the weights cover (``token_ids_``).
        Returns the number of weight blocks."""
        owner = self._owner()
        self.layout_, self.discovery_ = resolve_features(
            owner, getattr(self, "features", None), getattr(self, "layout", None), self.offsets, self.window,
            getattr(self, "discovery", None), X, seqs, getattr(self, "random_state", None))
        b = blocks(owner, self.layout_, self.offsets, self.window, int(np.diff(seqs.offsets).max(initial=1)))
        C, self.kernel_period_, self.kernel_classes_, self.offsets_, self.use_ = \
            b.n_blocks, b.period, b.classes, b.offsets, b.use
        self.vocab_size_ = seqs.vocab_size
        self.vocabulary_ = seqs.vocabulary
        self.token_ids_ = None
        self._token_map = None
        if getattr(self, "compact", False):
            # PAD first, so that the pad token keeps id 0 inside the model too.
            self.token_ids_ = np.unique(np.concatenate([[PAD], seqs.tokens])).astype(np.int32)
        size = 8 * C * len(self.offsets_) * self._n_inputs * self._n_outputs
        if size > MAX_WEIGHT_BYTES:
            raise LearnerError(f"{self._owner()}: the weights would take {size:,} bytes ({C} blocks x "
                               f"{len(self.offsets_)} offsets x {self._n_inputs} x {self._n_outputs} float64), above "
                               f"{MAX_WEIGHT_BYTES:,}; lower 'window' / 'offsets', use fewer position classes, or "
                               f"compact=True.")
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

    def _distinct_windows(self, seqs: Sequences, positions: np.ndarray, n_blocks: int) -> np.ndarray:
        """One training position per distinct example: the positions whose (weight block, tokens at the
        offsets that block reads, target) has not occurred earlier in ``positions``, in their order.

        Two positions with the same triple are the same example to every linear model of this layout (same
        features, same block, same target), so a fit on the representatives has the same consistent
        separators; a trace repeats most of its windows (copied cells), hence the saving."""
        offs, V, pad, period, classes, use = self._kernel_args()
        tokens, starts_all = seqs.tokens, seqs.offsets
        pos = positions.astype(np.int64)
        starts = starts_all[np.searchsorted(starts_all, pos, side="right") - 1]
        rel = pos - starts
        if period > 0:
            cls = classes[rel % period] if len(classes) else rel % period
        else:
            cls = np.minimum(rel, n_blocks - 1)
        # The key's columns folded one at a time into a dense id (the block, then < len(pos) after every
        # fold, so id * (V + 2) + column stays far inside int64): the same partition as the row tuples.
        key = cls.astype(np.int64)
        cols = [np.where(use[cls, i] != 0, np.where(pos - int(o) >= starts, tokens[np.maximum(pos - int(o), 0)],
                                                    pad).astype(np.int64) + 1, 0) for i, o in enumerate(offs)]
        for col in cols + [tokens[pos].astype(np.int64)]:  # every column < V + 2 (the target: < V)
            _, first, key = np.unique(key * (V + 2) + col, return_index=True, return_inverse=True)
        return positions[np.sort(first)]

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
        params = params_json(self.get_params())
        if isinstance(params.get("discovery"), dict):
            params["discovery"] = params_json(params["discovery"])
        meta = {
            "params": params,
            "vocabulary": self.vocabulary_.to_json() if self.vocabulary_ is not None else None,
            "vocab_size": self.vocab_size_,
        }
        if getattr(self, "features", None) is not None:
            # The layout the features resolved to (discovered offsets, or the training dataset's layout):
            # not a function of the parameters, so it is saved; with features=None the parameters fix it.
            meta["layout_"] = self.layout_.to_json()
        offs, _, _, _, classes, use = self._kernel_args()
        arrays = {"coef": self.coef_, "intercept": self.intercept_, "offsets": offs, "use": use,
                  "kernel_classes": classes}
        if getattr(self, "token_ids_", None) is not None:
            arrays["token_ids"] = self.token_ids_
        return meta, arrays


def _legacy_params(params: dict) -> dict:
    """Parameters of a file written before ``layout=``: ``period``/``classes``/``class_offsets`` as a layout."""
    if not any(k in params for k in ("period", "classes", "class_offsets")):
        return params
    params = dict(params)
    period, classes, class_offsets = params.pop("period", 1), params.pop("classes", None), \
        params.pop("class_offsets", None)
    if classes is None and class_offsets is None:
        params["layout"] = period_layout(period)
    else:
        classes = tuple(classes) if classes is not None else tuple(range(int(period)))
        offs = None if class_offsets is None else tuple(tuple(o) for o in class_offsets)
        params["layout"] = PositionLayout(period=period, classes=classes, offsets=offs)
    return params


def _saved_layout(meta: dict, path: Path, model: "_LinearAR") -> PositionLayout:
    """The layout a saved model reads: from its parameters (``features=None``), else the saved ``layout_``
    (checked against the parameters' layout structure)."""
    saved = meta.get("layout_")
    if getattr(model, "features", None) is None:
        if "layout_" in meta:
            raise field_error(path, "meta.layout_", "absent when meta.params.features is null (the parameters fix "
                              "the layout)", saved)
        return PositionLayout.shift_invariant() if model.layout is None else model.layout
    try:
        layout = PositionLayout.from_json(saved)
    except ValueError as e:
        raise field_error(path, "meta.layout_", f"a PositionLayout JSON object ({_first_line(e)})", saved) from None
    if model.layout is not None and layout.undeclared() != model.layout.undeclared():
        raise field_error(path, "meta.layout_", "a layout of the structure of meta.params.layout", saved)
    return layout


def _check_saved_blocks(path: Path, layout: PositionLayout, offsets: np.ndarray, use: np.ndarray,
                        classes: np.ndarray, C: int) -> None:
    """The saved arrays are the weight blocks of the saved ``layout_`` (its declared offsets, class map)."""
    try:
        b = blocks("load_model", layout, offsets, None, C)
    except LearnerError as e:
        raise field_error(path, "meta.layout_", f"a layout a linear model can read ({_first_line(e)})",
                          layout.to_json()) from None
    if not np.array_equal(b.offsets, offsets):
        raise field_error(path, "offsets", f"the offsets meta.layout_ declares, {b.offsets.tolist()[:8]}",
                          offsets.tolist()[:8])
    if not np.array_equal(b.use, use):
        raise field_error(path, "use", "the offsets each class of meta.layout_ reads", use.tolist()[:4])
    if not np.array_equal(b.classes, classes):
        raise field_error(path, "kernel_classes", "the classes of meta.layout_", classes.tolist()[:8])


def _load_linear(meta: dict, arrays: dict, path: Path) -> "_LinearAR":
    """The loader of format ``learners-linear-ar`` (see :func:`learners.load_model`): every field is checked
    against the others (offsets, weight blocks, vocabulary, class map) before a kernel can see it."""
    for name in ("coef", "intercept", "offsets"):
        if name not in arrays:
            raise LearnerError(f"load_model: {str(path)!r} is not a saved learner ({name!r} is not a file in the "
                               f"archive).")
    cls = _CLASSES.get(meta.get("class"))
    if cls is None:
        raise field_error(path, "meta.class", f"one of {sorted(_CLASSES)}", meta.get("class"))
    params = meta.get("params")
    if not isinstance(params, dict):
        raise field_error(path, "meta.params", "a JSON object", params)
    try:
        params = _legacy_params(params)
        if isinstance(params.get("layout"), dict):
            params["layout"] = PositionLayout.from_json(params["layout"])
        if params.get("offsets") is not None:
            params["offsets"] = tuple(params["offsets"])
        unknown = sorted(set(params) - set(cls._get_param_names()))
        if unknown:
            raise LearnerError(f"unknown parameter {unknown[0]!r}")
        model = cls(**params)
        model._validate_params()
    except (ValueError, TypeError) as e:
        raise field_error(path, "meta.params", f"valid {cls.__name__} parameters ({_first_line(e)})",
                          meta.get("params")) from None
    V = meta_int(meta, path, "vocab_size", 1, MAX_VOCAB_SIZE)
    vocabulary = meta_vocabulary(meta, path, V)
    offsets = check_array(arrays, path, "offsets", ndim=1, kind="iu", low=1, high=MAX_OFFSET)
    k = len(offsets)
    if k == 0 or len(np.unique(offsets)) != k:
        raise field_error(path, "offsets", "a non-empty array of distinct offsets", offsets.tolist()[:8])
    token_ids = check_array(arrays, path, "token_ids", ndim=1, kind="iu", low=0, high=V - 1, required=False)
    if token_ids is not None and (len(token_ids) == 0 or token_ids[0] != PAD or np.any(np.diff(token_ids) <= 0)):
        raise field_error(path, "token_ids", "strictly increasing token ids starting with the pad id 0",
                          token_ids.tolist()[:8])
    n_in, n_out = (V, V) if token_ids is None else (len(token_ids) + 1, len(token_ids))
    coef = check_array(arrays, path, "coef", ndim=3, kind="f", shape=(None, k * n_in, n_out))
    C = coef.shape[0]
    if C == 0:
        raise field_error(path, "coef", "at least one weight block", coef.shape)
    intercept = check_array(arrays, path, "intercept", ndim=2, kind="f", shape=(C, n_out))
    use = check_array(arrays, path, "use", ndim=2, kind="iu", shape=(C, k), low=0, high=1, required=False)
    use = np.ones((C, k), dtype=np.uint8) if use is None else use.astype(np.uint8)
    layout = _saved_layout(meta, path, model)
    period = 0 if layout.period is None else layout.period
    classes = check_array(arrays, path, "kernel_classes", ndim=1, kind="iu", low=0, high=C - 1, required=False)
    classes = np.zeros(0, dtype=np.int64) if classes is None else classes.astype(np.int64)
    if len(classes) not in (0, period) or (period == 0 and len(classes)):
        raise field_error(path, "kernel_classes", f"empty or one block per residue (period {period})",
                          classes.tolist()[:8])
    if period and not len(classes) and C != period:
        raise field_error(path, "coef", f"one weight block per residue of the layout's period {period}", C)
    if layout.period is not None and C != layout.n_classes:
        raise field_error(path, "coef", f"one weight block per class of the layout ({layout.n_classes})", C)
    if getattr(model, "features", None) is not None:
        _check_saved_blocks(path, layout, offsets, use, classes, C)
    model.coef_ = np.ascontiguousarray(coef, dtype=np.float64)
    model.intercept_ = np.ascontiguousarray(intercept, dtype=np.float64)
    model.offsets_ = offsets.astype(np.int64)
    model.use_, model.kernel_classes_, model.kernel_period_ = use, classes, period
    model.token_ids_ = None if token_ids is None else token_ids.astype(np.int32)
    model.vocab_size_, model.vocabulary_ = V, vocabulary
    model.layout_, model.discovery_ = layout, None  # the discovery report is not saved: the layout it found is
    return model


class LinearAR(_LinearAR):
    """A linear AR model given by its weights rather than trained: e.g. compiled from a machine
    (:func:`learners.compile_linear`). Same prediction, rollout, evaluation and persistence as the learners.

    Parameters
    ----------
    offsets : sequence of int
        The window offsets the weight blocks refer to.
    layout : tmsim.encodings.PositionLayout or None, default None
        The weight block of each position (see :class:`LeastSquaresAR`); None: one shared block.

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

    def __init__(self, offsets: Sequence[int] = (1,), layout: PositionLayout | None = None):
        self.offsets = offsets
        self.layout = layout

    window = None  # the window is always ``offsets``

    def _validate_params(self) -> None:
        window_offsets(self._owner(), self.offsets, None)
        check_layout(self._owner(), self.layout)

    @classmethod
    def from_weights(cls, coef: np.ndarray, intercept: np.ndarray, *, offsets: Sequence[int],
                     layout: PositionLayout | None = None, vocabulary: Any = None) -> "LinearAR":
        """Build a fitted model from weight blocks ``coef`` (C, k*V, V) and ``intercept`` (C, V); a periodic
        ``layout`` needs one block per class, the time-dependent one any number (one per position, the last
        one reused)."""
        model = cls(offsets=tuple(int(o) for o in offsets), layout=layout)
        model._validate_params()
        b = blocks("LinearAR", layout, model.offsets, None, longest=np.asarray(coef).shape[0])
        offs = b.offsets
        coef = np.ascontiguousarray(coef, dtype=np.float64)
        intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        if coef.ndim != 3 or coef.shape[1] != len(offs) * coef.shape[2]:
            raise LearnerError(f"LinearAR.from_weights: coef must have shape (C, k * V, V) with k = {len(offs)}. "
                               f"Got {coef.shape}.")
        if intercept.shape != (coef.shape[0], coef.shape[2]):
            raise LearnerError(f"LinearAR.from_weights: intercept must have shape {(coef.shape[0], coef.shape[2])}. "
                               f"Got {intercept.shape}.")
        if coef.shape[0] != b.n_blocks:
            raise LearnerError(f"LinearAR.from_weights: the layout needs {b.n_blocks} weight blocks. Got "
                               f"{coef.shape[0]}.")
        if vocabulary is not None and len(vocabulary) != coef.shape[2]:
            raise VocabularyMismatchError(f"LinearAR.from_weights: the vocabulary has {len(vocabulary)} tokens, "
                                          f"the weights {coef.shape[2]}.")
        model.coef_, model.intercept_, model.offsets_ = coef, intercept, offs
        model.use_, model.kernel_period_, model.kernel_classes_ = b.use, b.period, b.classes
        model.layout_, model.discovery_ = (PositionLayout.shift_invariant() if layout is None else layout), None
        model.vocab_size_ = coef.shape[2]
        model.vocabulary_ = vocabulary
        return model

    def fit(self, X: Any = None, y: Any = None) -> "LinearAR":
        raise LearnerError("LinearAR is built from weights (LinearAR.from_weights or learners.compile_linear); "
                           "use LeastSquaresAR or PerceptronAR to learn from data.")


register_model_format(_LinearAR.format_tag, _load_linear)
