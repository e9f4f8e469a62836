"""Learner persistence: a :class:`~learners.TransformerAR` as ``.npz`` -- the format tag and parameters as
JSON (``meta``, uint8) and every ``state_dict`` tensor as a float32 array under its own name. Written
byte-for-byte reproducibly (fixed zip timestamps, no training times); read with ``allow_pickle=False`` and
every field checked against the parameters before PyTorch sees it."""

from __future__ import annotations

import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tmsim.io import atomic_write

from ..data import params_json
from ..errors import LearnerError
from ._net import state_shapes

__all__ = ["FORMAT", "save", "load"]

#: The format tag of a saved TransformerAR (``meta["format"]``).
FORMAT = "learners-transformer-ar"
VERSION = 1
_TUPLE_PARAMS = ("betas", "alibi_windows", "alibi_slopes")


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
    meta = {
        "format": FORMAT, "version": VERSION, "class": "TransformerAR", "params": params_json(model.get_params()),
        "vocabulary": model.vocabulary_.to_json() if model.vocabulary_ is not None else None,
        "vocab_size": model.vocab_size_, "context": model.context_,
        "windows": list(model.windows_), "slopes": list(model.slopes_),
        "record": {"n_steps": model.n_steps_, "stop_reason": model.stop_reason_, "loss_curve": model.loss_curve_},
    }
    arrays = {"meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)}
    for name, t in model.module_.state_dict().items():
        arrays[name] = t.detach().to("cpu", dtype=model.module_.tok.weight.dtype).numpy()
    return atomic_write(path, lambda f: _write_npz(f, arrays))


def _bad(path: Path, field: str, what: str) -> LearnerError:
    return LearnerError(f"TransformerAR.load: {str(path)!r}: field {field!r} {what}.")


def _read_meta(path: Path, z) -> dict:
    if "meta" not in z.files:
        raise _bad(path, "meta", "is missing (not a saved learner)")
    try:
        raw = z["meta"]
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"dtype {raw.dtype}, shape {raw.shape}")
        meta = json.loads(bytes(raw).decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise _bad(path, "meta", f"is not JSON text ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise _bad(path, "meta.format", f"must be {FORMAT!r}; got {got!r} (not a saved TransformerAR)")
    if meta.get("version") != VERSION:
        raise _bad(path, "meta.version", f"must be {VERSION}; got {meta.get('version')!r}")
    for key, kind in (("params", dict), ("record", dict), ("windows", list), ("slopes", list)):
        if not isinstance(meta.get(key), kind):
            raise _bad(path, f"meta.{key}", f"must be a JSON {kind.__name__}; got {meta.get(key)!r}")
    return meta


def load(cls: type, path: str | os.PathLike, *, device: str | None = None):
    """Read a file written by :func:`save`; see :meth:`learners.TransformerAR.load`."""
    from .model import require_torch

    torch = require_torch()
    path = Path(path)
    if not path.is_file():
        raise LearnerError(f"TransformerAR.load: no model file at {str(path)!r}.")
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise LearnerError(f"TransformerAR.load: {str(path)!r} is not a saved learner ({e}).") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise LearnerError(f"TransformerAR.load: {str(path)!r} is a single array, not a saved learner.")
    with z:
        meta = _read_meta(path, z)
        params = dict(meta["params"])
        for k in _TUPLE_PARAMS:
            if isinstance(params.get(k), list):
                params[k] = tuple(params[k])
        try:
            model = cls(**params)
        except TypeError as e:
            raise _bad(path, "meta.params", f"has an unknown parameter ({e})") from None
        if device is not None:
            model.set_params(device=device)
        try:
            cfg = model._check_params()
        except LearnerError as e:
            raise _bad(path, "meta.params", f"is invalid: {e}") from None
        V = meta.get("vocab_size")
        if isinstance(V, bool) or not isinstance(V, int) or V < 1:
            raise _bad(path, "meta.vocab_size", f"must be an int >= 1; got {V!r}")
        vocabulary = None
        if meta.get("vocabulary") is not None:
            from tmsim.encodings import Vocabulary

            try:
                vocabulary = Vocabulary.from_json(meta["vocabulary"])
            except (ValueError, TypeError, KeyError) as e:
                raise _bad(path, "meta.vocabulary", f"is not a vocabulary ({e})") from None
            if len(vocabulary) != V:
                raise _bad(path, "meta.vocabulary", f"has {len(vocabulary)} tokens; vocab_size is {V}")
        C = meta.get("context")
        learned = cfg["positional"] == "learned"
        if C is None and learned or C is not None and (isinstance(C, bool) or not isinstance(C, int) or C < 1):
            raise _bad(path, "meta.context", f"must be an int >= 1{'' if learned else ' or null'}; got {C!r}")
        if cfg["context"] is not None and C != cfg["context"]:
            raise _bad(path, "meta.context", f"is {C!r}; the parameters say {cfg['context']}")
        slopes = [float(s) if isinstance(s, (int, float)) and not isinstance(s, bool) else s for s in meta["slopes"]]
        if tuple(meta["windows"]) != cfg["windows"] or tuple(slopes) != cfg["slopes"]:
            raise _bad(path, "meta.windows", f"({meta['windows']}, slopes {meta['slopes']}) do not match the "
                                             f"parameters ({list(cfg['windows'])}, {list(cfg['slopes'])})")
        rec = meta["record"]
        steps, reason, curve = rec.get("n_steps"), rec.get("stop_reason"), rec.get("loss_curve")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0 or not isinstance(curve, list) \
                or len(curve) != steps or reason not in ("max_steps", "max_time", "callback") \
                or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in curve):
            raise _bad(path, "meta.record", "must hold n_steps, stop_reason and one finite loss per step")
        expected = state_shapes(V, cfg["d"], cfg["layers"], C, cfg["positional"])
        names = [n for n in z.files if n != "meta"]
        for n in expected:
            if n not in names:
                raise _bad(path, n, "is missing (a weight array the parameters need)")
        for n in names:
            if n not in expected:
                raise _bad(path, n, "is not a weight of this architecture")
        state = {}
        for n, shape in expected.items():
            try:
                a = z[n]
            except ValueError as e:  # object arrays: refused, never unpickled
                raise _bad(path, n, f"cannot be read without pickle ({e})") from None
            if a.dtype != np.float32:
                raise _bad(path, n, f"must be float32; got {a.dtype}")
            if a.shape != shape:
                raise _bad(path, n, f"must have shape {shape}; got {a.shape}")
            if not np.isfinite(a).all():
                raise _bad(path, n, "holds a NaN or infinite value")
            state[n] = torch.from_numpy(np.array(a))
    dev = model._device(torch)
    with torch.random.fork_rng(devices=[]):  # the throw-away initial weights must not move the caller's RNG
        net = model._build(torch, cfg, V, C, torch.device("cpu"))
    net.load_state_dict(state, strict=True)
    model.module_ = net.to(dev).eval()
    model.vocabulary_ = vocabulary
    model.n_steps_, model.stop_reason_, model.loss_curve_ = steps, reason, [float(x) for x in curve]
    return model
