"""Learner persistence: a :class:`~learners.TransformerAR` as ``.npz`` (format tag ``learners-transformer-ar``)
-- the parameters as JSON (``meta``, uint8) and every ``state_dict`` tensor as a float32 array under its own
name. Written byte-for-byte reproducibly (fixed zip timestamps, sorted JSON, no training times); read by
:func:`learners.load_model` (``allow_pickle=False``), which hands the arrays to :func:`from_arrays`: every
field is checked against the parameters before PyTorch sees it."""

from __future__ import annotations

import json
import math
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tmsim.io import atomic_write

from ..base import field_error
from ..errors import LearnerError
from ._shapes import state_shapes

__all__ = ["FORMAT", "VERSION", "save", "from_arrays"]

#: The format tag of a saved TransformerAR (``meta["format"]``).
FORMAT = "learners-transformer-ar"
VERSION = 1
_TUPLE_PARAMS = ("betas", "alibi_windows", "alibi_slopes")
_REASONS = ("max_steps", "max_time", "callback")


def _write_npz(f, arrays: dict[str, np.ndarray]) -> None:
    """An ``np.load``-readable npz whose bytes depend on the arrays only (zip entries dated 1980-01-01)."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with z.open(info, "w", force_zip64=True) as g:
                np.lib.format.write_array(g, np.ascontiguousarray(a), allow_pickle=False)


def save(model: Any, path: str | os.PathLike) -> Path:
    """Write ``model`` (fitted) to ``path`` atomically; see :meth:`learners.TransformerAR.save`."""
    path = Path(path)
    if not path.parent.is_dir():
        raise LearnerError(f"TransformerAR.save: directory {str(path.parent)!r} does not exist.")
    extra, weights = model._save_payload()
    meta = {"format": FORMAT, "version": VERSION, "class": "TransformerAR", **extra}
    arrays = {"meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8), **weights}
    return atomic_write(path, lambda f: _write_npz(f, arrays))


def _meta_field(meta: dict, path: Path, key: str, kind: type) -> Any:
    v = meta.get(key)
    if not isinstance(v, kind):
        raise field_error(path, f"meta.{key}", f"a JSON {'object' if kind is dict else kind.__name__}", v)
    return v


def _check_meta(meta: dict, path: Path, cfg: dict) -> tuple[int, Any, Any, dict]:
    """vocab_size, context, vocabulary and the training record of ``meta``, checked against ``cfg``."""
    V = meta.get("vocab_size")
    if isinstance(V, bool) or not isinstance(V, int) or V < 1:
        raise field_error(path, "meta.vocab_size", "an int >= 1", V)
    vocabulary = None
    if meta.get("vocabulary") is not None:
        from tmsim.encodings import Vocabulary

        try:
            vocabulary = Vocabulary.from_json(meta["vocabulary"])
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise field_error(path, "meta.vocabulary", "a vocabulary's JSON", str(e)) from None
        if len(vocabulary) != V:
            raise field_error(path, "meta.vocabulary", f"{V} tokens long (vocab_size)", len(vocabulary))
    C = meta.get("context")
    learned = cfg["positional"] == "learned"
    if (C is None and learned) or (C is not None and (isinstance(C, bool) or not isinstance(C, int) or C < 1)):
        raise field_error(path, "meta.context", "an int >= 1" + ("" if learned else " or null"), C)
    if cfg["context"] is not None and C != cfg["context"]:
        raise field_error(path, "meta.context", f"{cfg['context']} (the 'context' parameter)", C)
    windows = _meta_field(meta, path, "windows", list)
    slopes = _meta_field(meta, path, "slopes", list)
    if tuple(windows) != cfg["windows"]:
        raise field_error(path, "meta.windows", f"{list(cfg['windows'])} (what the parameters give)", windows)
    if len(slopes) != len(cfg["slopes"]) or any(isinstance(a, bool) or not isinstance(a, (int, float))
                                                or float(a) != b for a, b in zip(slopes, cfg["slopes"])):
        raise field_error(path, "meta.slopes", f"{list(cfg['slopes'])} (what the parameters give)", slopes)
    rec = _meta_field(meta, path, "record", dict)
    steps, reason, curve = rec.get("n_steps"), rec.get("stop_reason"), rec.get("loss_curve")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0 or not isinstance(curve, list) \
            or len(curve) != steps or reason not in _REASONS \
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in curve):
        raise field_error(path, "meta.record", f"n_steps, stop_reason (one of {_REASONS}) and one finite loss "
                                               f"per step", {k: rec.get(k) for k in ("n_steps", "stop_reason")})
    return V, C, vocabulary, {"n_steps": steps, "stop_reason": reason, "loss_curve": [float(x) for x in curve]}


def from_arrays(meta: dict, arrays: dict, path: str | os.PathLike):
    """The loader of format ``learners-transformer-ar`` (see :func:`learners.load_model`): ``meta`` the JSON
    record, ``arrays`` every other array of the file. A model saved with ``device="cuda"`` is loaded on
    the CPU, with a warning, where PyTorch sees no CUDA device.

    Raises
    ------
    LearnerError
        A malformed field (naming it).
    ImportError
        PyTorch is not installed.
    """
    from .model import TransformerAR, require_torch

    torch = require_torch()
    path = Path(path)
    if meta.get("version") != VERSION:
        raise field_error(path, "meta.version", str(VERSION), meta.get("version"))
    params = dict(_meta_field(meta, path, "params", dict))
    for k in _TUPLE_PARAMS:
        if isinstance(params.get(k), list):
            params[k] = tuple(params[k])
    try:
        model = TransformerAR(**params)
    except TypeError as e:
        raise field_error(path, "meta.params", "the parameters of TransformerAR", str(e)) from None
    try:
        cfg = model._check_params()
    except LearnerError as e:
        raise field_error(path, "meta.params", "valid parameters", str(e)) from None
    V, C, vocabulary, record = _check_meta(meta, path, cfg)
    expected = state_shapes(V, cfg["d"], cfg["layers"], C, cfg["positional"])
    for n in arrays:
        if n not in expected:
            raise field_error(path, n, "absent (it is not a weight of this architecture)", np.shape(arrays[n]))
    state = {}
    for n, shape in expected.items():
        a = arrays.get(n)
        if a is None:
            raise field_error(path, n, "present in the archive (a weight the parameters need)", None)
        if not isinstance(a, np.ndarray) or a.dtype != np.float32:
            raise field_error(path, n, "a float32 array", getattr(a, "dtype", type(a).__name__))
        if a.shape != shape:
            raise field_error(path, n, f"of shape {shape}", a.shape)
        if not np.isfinite(a).all():
            raise field_error(path, n, "finite", "a NaN or infinite value")
        state[n] = torch.from_numpy(np.array(a))
    if model.device == "cuda" and not torch.cuda.is_available():
        warnings.warn(f"{str(path)!r} was saved with device='cuda' and PyTorch sees no CUDA device: loaded on the "
                      f"CPU (device='cpu').", RuntimeWarning, stacklevel=3)
        model.set_params(device="cpu")
    with torch.random.fork_rng(devices=[]):  # the throw-away initial weights must not move the caller's RNG
        net = model._build(torch, cfg, V, C, torch.device("cpu"))
    net.load_state_dict(state, strict=True)
    model.module_ = net.to(model._device(torch)).eval()
    model.vocabulary_ = vocabulary
    model.n_steps_, model.stop_reason_, model.loss_curve_ = (record[k] for k in ("n_steps", "stop_reason",
                                                                                "loss_curve"))
    return model
