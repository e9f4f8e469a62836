"""Learner -> evaluation (the model protocol): :class:`ARModel`, what every auto-regressive next-token model
of this package offers (``targets``, ``score``, ``predict_next``, ``generate``, ``save``, ``evaluate``),
written once, and :func:`load_model`, one loader for every saved kind, chosen by the format tag in the file.

A subclass supplies only its primitives (see :class:`ARModel`); the protocol does the input checks, the
greedy rollout loop, the end token, the file layout and the atomic write. A new kind of model (a
transformer, say) subclasses :class:`ARModel`, sets :attr:`ARModel.format_tag` and calls
:func:`register_model_format` once, and ``learners eval`` / ``generate`` read its files.
"""

from __future__ import annotations

import importlib
import json
import numbers
import os
import zipfile
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from sklearn.utils import Tags, TargetTags
from tmsim.encodings import Vocabulary
from tmsim.io import atomic_write

from .data import Sequences, as_sequences, eos_id
from .errors import LearnerError, NotFittedError
from .evaluate import Evaluation, evaluate

__all__ = ["ARModel", "load_model", "register_model_format", "model_formats", "MAX_ROLLOUT_TOKENS", "MAX_VOCAB_SIZE",
           "field_error", "check_array", "meta_int", "meta_vocabulary"]

#: The largest rollout buffer (prompts x (longest prompt + max_new_tokens) token ids) :meth:`ARModel.generate`
#: allocates: 2**30 int32 ids are 4 GiB. Larger requests are refused with the estimate, before allocating.
MAX_ROLLOUT_TOKENS = 1 << 30
#: The largest vocabulary a saved model may declare (a guard against crafted files: the tableau-triples
#: vocabulary of the largest zoo machine has ~25,000 tokens).
MAX_VOCAB_SIZE = 1 << 24

#: Format tag -> loader ``loader(meta, arrays, path) -> ARModel`` (or ``"module:function"``, imported when
#: a file of that format is first loaded: for models with an optional dependency such as torch).
#: The toolkit's own formats are known here by name, so ``load_model`` works without their modules having
#: been imported (``import learners`` is lazy); each module registers its loader again when imported.
_FORMATS: dict[str, Callable[[dict, dict, Path], Any] | str] = {
    "learners-linear-ar": "learners.linear.base:_load_linear",
    "learners-mlp-ar": "learners.mlp.model:_load_mlp",
    "learners-compiled": "learners.compile.model:_load_compiled",
    "learners-transformer-ar": "learners.transformer._io:from_arrays",
}


class ARModel:
    """The auto-regressive model protocol, as a mixin: every method a user calls, written once over a few
    primitives that each kind of model implements.

    A subclass implements
    ---------------------
    ``predict(X) -> ndarray of int32, shape (n_positions,)``
        Teacher-forced argmax next tokens at every training position (``kinds != 0``) of ``X``, in the
        order of the flat token array.
    ``_next_tokens(buf, rows, lengths) -> ndarray of int64, shape (m,)``
        The argmax next token after ``buf[rows[i], :lengths[i]]`` for each ``i`` (``buf``: int32, shape
        (n, width), token ids; ``lengths >= 0``). The greedy rollout and :meth:`predict_next` are built on
        it; a model with a faster batched rollout may override :meth:`_rollout` instead (and still
        implement this for :meth:`predict_next`).
    ``_save_payload() -> (dict, dict of str -> ndarray)``
        The JSON-ready metadata (beyond ``format``, ``version``, ``class``) and the arrays of a saved
        model; the matching loader, registered with :func:`register_model_format` for
        :attr:`format_tag`, reads them back (validating every field before any kernel sees it).
    ``vocab_size_`` and ``vocabulary_`` attributes (the fitted vocabulary; ``vocabulary_`` may be None)
        and, when fitted-ness is not the presence of :attr:`_fitted_attr`, ``_check_fitted()``.

    It may also override ``_sequences(X)`` (how its data is read; default :func:`learners.as_sequences`)
    and ``_rollout(prompts, max_new, eos, **kwargs)``.

    The protocol gives ``targets``, ``score``, ``predict_next``, ``generate``, ``_eos_id``, ``save``,
    ``load`` and ``evaluate``; :func:`learners.evaluate` and :func:`learners.testing.check_emulates` need
    nothing else.

    Examples
    --------
    >>> import numpy as np
    >>> class Next(ARModel):                       # "previous token + 1 (mod 4)"
    ...     format_tag = ""
    ...     vocab_size_, vocabulary_ = 4, None
    ...     def _check_fitted(self): pass
    ...     def _next_tokens(self, buf, rows, lengths):
    ...         last = buf[rows, np.maximum(lengths - 1, 0)].astype(np.int64)
    ...         return np.where(lengths > 0, (last + 1) % 4, 0)
    >>> Next().generate([[1]], max_new_tokens=5)[0].tolist()
    [1, 2, 3, 0, 1, 2]
    >>> Next().predict_next([3])
    0
    """

    #: The tag written into saved files (``meta["format"]``); :func:`load_model` dispatches on it.
    format_tag: ClassVar[str] = ""
    #: The version of the file layout of :attr:`format_tag`.
    format_version: ClassVar[int] = 1
    #: The attribute whose presence means "fitted" (for the default :meth:`_check_fitted`).
    _fitted_attr: ClassVar[str] = "coef_"

    # ------------------------------------------------------------------ scikit-learn
    def __sklearn_tags__(self) -> Tags:
        """scikit-learn's estimator tags, declaring the input type: token-id sequences.

        The native input is a :class:`tmsim.datasets.Dataset`, :class:`learners.Sequences` or a list of
        token sequences (ragged; the loss mask says which tokens are targets). Its array form, the one
        scikit-learn's checks can generate, is a 2-D array of non-negative integer token ids, one
        equal-length sequence per row (``two_d_array``, ``categorical``, ``positive_only``; no NaN, no sparse
        input). ``y`` is never needed (``target_tags.required=False``): the targets are the next tokens.
        """
        sup = getattr(super(), "__sklearn_tags__", None)
        tags = sup() if sup is not None else Tags(estimator_type=None, target_tags=TargetTags(required=False))
        tags.input_tags.two_d_array = True
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.target_tags.required = False
        tags.requires_fit = True
        return tags

    # ------------------------------------------------------------------ hooks (defaults)
    def _owner(self) -> str:
        return type(self).__name__

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(f"This {self._owner()} instance is not fitted yet. Call 'fit' with a dataset "
                                 f"first.")

    def _sequences(self, X: Any) -> Sequences:
        """``X`` as :class:`learners.Sequences` (validated)."""
        return as_sequences(X, owner=self._owner())

    def predict(self, X: Any) -> np.ndarray:  # pragma: no cover - every model implements it
        raise NotImplementedError

    def _next_tokens(self, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{self._owner()} does not implement _next_tokens")  # pragma: no cover

    def _save_payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        raise NotImplementedError(f"{self._owner()} cannot be saved")  # pragma: no cover

    # ------------------------------------------------------------------ the protocol
    def targets(self, X: Any) -> np.ndarray:
        """The true next tokens at the positions :meth:`predict` predicts.

        Returns
        -------
        ndarray of int32, shape (n_positions,)
        """
        seqs = self._sequences(X)
        return seqs.tokens[seqs.kinds != 0]

    def score(self, X: Any, y: Any = None) -> float:
        """Teacher-forced token accuracy on the training positions of ``X`` (1.0 when there are none)."""
        pred = self.predict(X)
        return float(np.mean(pred == self.targets(X))) if len(pred) else 1.0

    def _eos_id(self) -> int:
        """The id of ``<eos>`` in the model's vocabulary, or -1 (rollouts then run ``max_new_tokens``)."""
        return eos_id(getattr(self, "vocabulary_", None))

    def _prompt_list(self, prompts: Any) -> list[np.ndarray]:
        """Prompts as int32 arrays, validated against the vocabulary: a list of token-id sequences, or
        :class:`Sequences` / a dataset (the prompt part of each sequence)."""
        owner = self._owner()
        if isinstance(prompts, Sequences) or hasattr(prompts, "kinds"):
            seqs = self._sequences(prompts)
            plens = seqs.prompt_lengths()
            return [seqs.sequence(s)[:plens[s]].astype(np.int32) for s in range(len(seqs))]
        if isinstance(prompts, (str, bytes)) or not hasattr(prompts, "__iter__"):
            raise LearnerError(f"{owner}: prompts must be a list of token-id sequences or a dataset. Got "
                               f"{type(prompts).__name__}.")
        V = int(self.vocab_size_)
        out = []
        for i, p in enumerate(prompts):
            a = np.asarray(p)
            if a.ndim != 1 or (a.size and (a.dtype.kind not in "iu" or a.min() < 0 or a.max() >= V)):
                raise LearnerError(f"{owner}: prompt {i} must be 1-D token ids in [0, {V}).")
            out.append(a.astype(np.int32))
        return out

    def predict_next(self, context: Sequence[int]) -> int:
        """The argmax next token after the token ids ``context`` (the protocol of :mod:`learners.testing`)."""
        self._check_fitted()
        ctx = self._prompt_list([context])[0]
        buf = np.zeros((1, len(ctx) + 1), dtype=np.int32)
        buf[0, :len(ctx)] = ctx
        return int(self._next_tokens(buf, np.zeros(1, dtype=np.int64), np.array([len(ctx)], dtype=np.int64))[0])

    def generate(self, prompts: Sequence[Sequence[int]] | Sequences, *, max_new_tokens: int,
                 eos: int | None = None, **kwargs: Any) -> list[np.ndarray]:
        """Greedy batched rollouts: from each prompt, append the argmax token until ``eos`` or
        ``max_new_tokens``.

        Parameters
        ----------
        prompts : list of int sequences, or Sequences / dataset (their prompt parts are used)
        max_new_tokens : int
        eos : int, optional
            End token (kept in the output). Defaults to ``<eos>`` of the fitted vocabulary, if any; -1: none.
        **kwargs
            Passed to the model's rollout (e.g. ``backend=``).

        Returns
        -------
        list of ndarray of int32
            Each prompt followed by its generated tokens.

        Raises
        ------
        LearnerError
            Bad prompts or ``max_new_tokens``, or a rollout buffer above :data:`MAX_ROLLOUT_TOKENS`.
        """
        self._check_fitted()
        owner = self._owner()
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, numbers.Integral) \
                or max_new_tokens < 0:
            raise LearnerError(f"The 'max_new_tokens' parameter of {owner} must be an int in [0, inf). Got "
                               f"{max_new_tokens!r} instead.")
        plist = self._prompt_list(prompts)
        size = len(plist) * (max((len(p) for p in plist), default=0) + int(max_new_tokens) + 1)
        if size > MAX_ROLLOUT_TOKENS:
            raise LearnerError(f"The 'max_new_tokens' parameter of {owner} must keep the rollout buffer within "
                               f"{MAX_ROLLOUT_TOKENS:,} tokens. Got {max_new_tokens!r} instead ({len(plist)} "
                               f"prompts: {size:,} tokens).")
        if eos is None:
            eos = self._eos_id()
        if isinstance(eos, bool) or not isinstance(eos, numbers.Integral):
            raise LearnerError(f"The 'eos' parameter of {owner} must be an int or None. Got {eos!r} instead.")
        return self._rollout(plist, int(max_new_tokens), int(eos), **kwargs)

    def _rollout(self, prompts: list[np.ndarray], max_new: int, eos: int, **kwargs: Any) -> list[np.ndarray]:
        """The greedy loop over :meth:`_next_tokens`: every step asks for the next token of each unfinished
        sequence only."""
        if kwargs:
            raise LearnerError(f"{self._owner()}.generate got unexpected arguments {sorted(kwargs)}.")
        n = len(prompts)
        lens = np.array([len(p) for p in prompts], dtype=np.int64)
        out = np.zeros((n, int(lens.max(initial=0)) + max_new + 1), dtype=np.int32)
        for s, p in enumerate(prompts):
            out[s, :len(p)] = p
        cur = lens.copy()
        active = np.ones(n, dtype=bool)
        for _ in range(max_new):
            act = np.flatnonzero(active)
            if act.size == 0:
                break
            nxt = np.asarray(self._next_tokens(out, act, cur[act]), dtype=np.int64)
            out[act, cur[act]] = nxt
            cur[act] += 1
            active[act[nxt == eos]] = False
        return [out[s, :cur[s]].copy() for s in range(n)]

    def evaluate(self, X: Any, **kwargs: Any) -> Evaluation:
        """:func:`learners.evaluate` of this model on ``X`` (teacher-forced and rollout metrics)."""
        return evaluate(self, X, **kwargs)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Save the fitted model to ``.npz`` (its arrays and a JSON ``meta`` record with the format tag),
        atomically: a reader sees the old file or the whole new one.

        Raises
        ------
        LearnerError
            The directory of ``path`` does not exist.
        """
        self._check_fitted()
        path = Path(path)
        if not path.parent.is_dir():
            raise LearnerError(f"{self._owner()}.save: directory {str(path.parent)!r} does not exist.")
        extra, arrays = self._save_payload()
        meta = {"format": self.format_tag, "version": self.format_version, "class": type(self).__name__, **extra}
        blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        return atomic_write(path, lambda f: np.savez(f, **arrays, meta=blob))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ARModel":
        """Load a model written by :meth:`save` (:func:`load_model`), checking that it is a ``cls``.

        Raises
        ------
        LearnerError
            A missing file, one that is not a saved learner, a malformed field, or another kind of model.
        """
        model = load_model(path, owner=f"{cls.__name__}.load")
        if not isinstance(model, cls):
            raise LearnerError(f"{cls.__name__}.load: {str(path)!r} is not a saved {cls.__name__} (it holds a "
                               f"{type(model).__name__}).")
        return model


# ---------------------------------------------------------------------------------------------- loading
def register_model_format(tag: str, loader: Callable[[dict, dict, Path], Any] | str) -> None:
    """Make :func:`load_model` read files whose ``meta["format"]`` is ``tag``.

    Parameters
    ----------
    tag : str
        The :attr:`ARModel.format_tag` of the model class.
    loader : callable or str
        ``loader(meta, arrays, path)`` returning the model (``meta``: the JSON record, a dict; ``arrays``:
        every other array of the file, by name; ``path``: for messages), raising :class:`LearnerError` on a
        malformed field; or ``"module:function"``, imported when such a file is first loaded (for a model
        whose dependencies are optional).
    """
    if not isinstance(tag, str) or not tag:
        raise LearnerError(f"The 'tag' parameter of register_model_format must be a non-empty str. Got {tag!r}.")
    if not (callable(loader) or (isinstance(loader, str) and ":" in loader)):
        raise LearnerError(f"The 'loader' parameter of register_model_format must be a callable or "
                           f"'module:function'. Got {loader!r} instead.")
    _FORMATS[tag] = loader


def model_formats() -> tuple[str, ...]:
    """The registered format tags."""
    return tuple(sorted(_FORMATS))


def _resolve(loader: Callable | str) -> Callable:
    if callable(loader):
        return loader
    module, _, name = loader.partition(":")
    return getattr(importlib.import_module(module), name)


def _legacy_tag(arrays: dict) -> str | None:
    """The format of a file written without a tag, when its arrays say it unambiguously."""
    if {"coef", "intercept", "offsets"} <= set(arrays) and "theta" not in arrays:
        return "learners-linear-ar"
    if {"theta", "offsets"} <= set(arrays) and "coef" not in arrays:
        return "learners-mlp-ar"
    return None


def load_model(path: str | os.PathLike, *, owner: str = "load_model") -> ARModel:
    """Load any saved model (linear, MLP, compiled, or a registered kind) by the format tag in its file.

    Every array is validated (shape, dtype, range, consistency) by the format's loader before any kernel
    can see it; a malformed or crafted file is a one-line :class:`LearnerError` naming the field.

    Parameters
    ----------
    path : path-like
        An ``.npz`` written by :meth:`ARModel.save`.

    Returns
    -------
    ARModel
        Ready to ``predict``, ``generate`` and :func:`learners.evaluate`.

    Raises
    ------
    LearnerError
        A missing file, one that is not a saved learner, an unknown format, or a malformed field.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> from learners import PerceptronAR, load_model
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3])] * 3
    >>> path = PerceptronAR(window=2, random_state=0).fit(seqs).save(os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> type(load_model(path)).__name__
    'PerceptronAR'
    """
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"{owner}: no model file at {str(path)!r}.")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("not an npz archive")
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        raise LearnerError(f"{owner}: {str(path)!r} is not a saved learner ({_short(e)}).") from None
    except AttributeError:  # np.load of a plain .npy returns an ndarray (no context manager)
        raise LearnerError(f"{owner}: {str(path)!r} is not a saved learner (not an npz archive).") from None
    meta = {}
    if "meta" in arrays:
        blob = arrays.pop("meta")
        try:
            if blob.dtype != np.uint8 or blob.ndim != 1:
                raise ValueError(f"dtype {blob.dtype}, shape {blob.shape}")
            meta = json.loads(blob.tobytes().decode())
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise LearnerError(f"{owner}: {str(path)!r}: the 'meta' field must be UTF-8 JSON bytes ({_short(e)})."
                               ) from None
        if not isinstance(meta, dict):
            raise LearnerError(f"{owner}: {str(path)!r}: the 'meta' field must be a JSON object. Got "
                               f"{type(meta).__name__}.")
    tag = meta.get("format") or _legacy_tag(arrays)
    if not meta and tag is None:
        raise LearnerError(f"{owner}: {str(path)!r} is not a saved learner ('meta' is not a file in the archive).")
    if not isinstance(tag, str) or tag not in _FORMATS:
        raise LearnerError(f"{owner}: {str(path)!r} is not a saved learner of a known format: its format is "
                           f"{_short(tag)!r}; known: {', '.join(model_formats())}.")
    try:
        loader = _resolve(_FORMATS[tag])
    except (ImportError, AttributeError) as e:
        raise LearnerError(f"{owner}: {str(path)!r} is a {tag!r} model, whose loader cannot be imported "
                           f"({_first_line(e)}); install what it needs.") from None
    return loader(meta, arrays, path)


# ---------------------------------------------------------------------------------------------- field checks
def field_error(path: str | os.PathLike, field: str, constraint: str, value: Any) -> LearnerError:
    """The one-line error of a malformed field of a saved model: ``load_model: 'm.npz': the 'offsets' field
    must be ... Got ... instead.``"""
    return LearnerError(f"load_model: {str(path)!r}: the {field!r} field must be {constraint}. Got "
                        f"{_short(repr(value))} instead.")


def _describe(a: np.ndarray) -> str:
    if a.size and a.dtype.kind in "iuf" and a.size <= 8:
        return f"{a.tolist()!r} ({a.dtype}, shape {a.shape})"
    return f"{a.dtype} array of shape {a.shape}"


def check_array(arrays: dict, path: str | os.PathLike, name: str, *, ndim: int, kind: str,
                shape: tuple | None = None, low: float | None = None, high: float | None = None,
                required: bool = True) -> np.ndarray | None:
    """The array ``name`` of a loaded file, checked: ``ndim`` dimensions, a dtype of ``kind`` (``"iu"``:
    integers, ``"f"``: floats, finite; ``"iuf"``: either), the ``shape`` (None entries free), and every value
    in ``[low, high]``; returned C-contiguous (None when absent and not ``required``).

    Raises
    ------
    LearnerError
        Naming the field, the constraint and what the file holds.
    """
    if name not in arrays:
        if required:
            raise field_error(path, name, "present in the archive", None)
        return None
    a = arrays[name]
    want = {"iu": "integers", "f": "floats", "iuf": "numbers"}[kind]
    if not isinstance(a, np.ndarray) or a.ndim != ndim or a.dtype.kind not in kind or a.dtype.kind == "c":
        raise LearnerError(f"load_model: {str(path)!r}: the {name!r} field must be a {ndim}-D array of {want}. "
                           f"Got {_describe(np.asarray(a))} instead.")
    if shape is not None and any(w is not None and w != g for w, g in zip(shape, a.shape)):
        want_shape = "(" + ", ".join("*" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") \
            + ")"
        raise LearnerError(f"load_model: {str(path)!r}: the {name!r} field must have shape {want_shape}. Got "
                           f"{a.shape} instead.")
    if a.dtype.kind == "f" and a.size and not np.isfinite(a).all():
        raise LearnerError(f"load_model: {str(path)!r}: the {name!r} field must be finite. Got "
                           f"{a[~np.isfinite(a)].ravel()[0].item()!r} at index "
                           f"{tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])} instead.")
    if a.size and low is not None and a.min() < low:
        raise LearnerError(f"load_model: {str(path)!r}: the {name!r} field must hold values >= {low}. Got "
                           f"{a.min().item()!r} instead.")
    if a.size and high is not None and a.max() > high:
        raise LearnerError(f"load_model: {str(path)!r}: the {name!r} field must hold values <= {high}. Got "
                           f"{a.max().item()!r} instead.")
    return np.ascontiguousarray(a)


def meta_vocabulary(meta: dict, path: str | os.PathLike, vocab_size: int) -> Vocabulary | None:
    """``meta["vocabulary"]`` read back (None when the model has none), with ``vocab_size`` tokens."""
    data = meta.get("vocabulary")
    if data is None:
        return None
    try:
        voc = Vocabulary.from_json(data)
    except (ValueError, TypeError, KeyError) as e:
        raise field_error(path, "meta.vocabulary", f"a tmsim vocabulary document ({_first_line(e)})",
                          data) from None
    if len(voc) != vocab_size:
        raise field_error(path, "meta.vocabulary", f"a vocabulary of vocab_size={vocab_size} tokens",
                          f"{len(voc)} tokens")
    return voc


def meta_int(meta: dict, path: str | os.PathLike, name: str, low: int, high: int,
             allow_none: bool = False) -> int | None:
    """``meta[name]``, an int in ``[low, high]`` (or None with ``allow_none``)."""
    v = meta.get(name)
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise field_error(path, f"meta.{name}", f"an int in [{low}, {high}]" + (" or null" if allow_none else ""),
                          v)
    return int(v)


def _first_line(e: BaseException) -> str:
    return _short(str(e) or type(e).__name__, 160)


def _short(value: Any, n: int = 80) -> str:
    text = str(value).splitlines()[0] if str(value) else repr(value)
    return text if len(text) <= n else text[:n - 3] + "..."
