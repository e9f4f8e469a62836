"""Experiment: the paper's multiplication, honestly scaled -- learning curves (training sequences seen ->
held-out exact match and per-digit accuracy) of the paper's block-causal MLP, scaled down, on the paper's
CoT and without a CoT, beside a window MLP on our local CoT, at operand lengths 2, 3 and 4; the sequences
each needs to reach X% against operand length, and an extrapolation to the paper's budget. Long runs are
resumable: every run writes a checkpoint after each chunk of training.

Run it as ``python -m proofs_checks.experiments.mul_curves [--quick] [--out DIR] [--checkpoint-dir DIR
[--resume]] [--max-time S]``, or from Python::

    from proofs_checks.experiments.mul_curves import CurvesConfig, run_curves
    result = run_curves(CurvesConfig(), out_dir="results/mul_curves")
    print("\\n".join(result.lines()))

The paper (docs/theory.md#multiplication) trains its block-causal MLP (embedding 128, T = 307 for 4-digit
operands: 775M parameters) on 1e8 sequences on a GPU. Here the same architecture is scaled down
(:data:`CurvesConfig.embedding_dim` 16, one hidden layer of 128, constant AdamW rate) and trained on
fresh i.i.d. draws from the training part of the paper's hash split, one chunk at a time
(``MLPAR.partial_fit``); without CoT the *same* model (the context length of the paper's CoT at that
operand length: the same parameter count, the same prompt) gets the same number of sequences and steps.
The local CoT (``mul-local``) is learnt by a window MLP reading the offsets the task declares, its natural
model (the block-causal layer over its 170-520 tokens would cost 10-40x more per sequence).

Determinism: every chunk's pairs follow from (seed, format, operand length, chunk), the model's initial
weights and batch order from the seed, BLAS runs on one thread; a run interrupted (``max_time``, or killed
between chunks) and resumed from its checkpoint gives the same curve as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from learners import MLPAR, load_model
from learners.data import params_json
from learners.errors import LearnerError
from tmsim.datasets.tasks import get_task
from tmsim.io import atomic_write

from ..errors import CheckError
from ..plots import new_figure
from ._cli import positive_seconds
from .multiplication import _jsonable, _rollout_scores

__all__ = ["CurvesConfig", "Curve", "CurvesResult", "run_curves", "samples_to", "extrapolate", "figures", "main",
           "PAPER_SEQUENCES", "PAPER_PARAMETERS"]

#: The paper's budget and model size for 4-digit operands (docs/theory.md#multiplication).
PAPER_SEQUENCES = 1e8
PAPER_PARAMETERS = 775e6
#: The formats, in the order of tables and legends, and how each is named there.
FORMATS = ("mul-paper", "mul-nocot", "mul-local")
LABELS = {"mul-paper": "paper's CoT, block-causal MLP", "mul-nocot": "no CoT, the same block-causal MLP",
          "mul-local": "local CoT (ours), window MLP"}
#: The levels of "sequences to X%": of exact match, and of mean per-digit accuracy (chance: 0.1).
LEVELS = (0.1, 0.5, 0.9)
DIGIT_LEVELS = (0.5, 0.9)
_FORMAT_VERSION = 1


# ---------------------------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class CurvesConfig:
    """The whole experiment (the defaults: the README run, about 20 minutes on a shared 2-core machine).

    ``sequences[i]`` is the budget, in training sequences, of the paper's CoT and of no CoT at operand length
    ``lengths[i]`` (the same for both); ``local_sequences[i]`` that of the local CoT. Each curve has
    ``points`` evaluations, spaced geometrically from ``budget / 2**(points - 1)`` to the budget: each one
    ends a chunk of training and writes a checkpoint."""

    lengths: tuple[int, ...] = (2, 3, 4)  # the operand lengths; 4 is the paper's
    formats: tuple[str, ...] = FORMATS
    sequences: tuple[int, ...] = (64_000, 16_000, 4_000)  # ~equal seconds per length: the causal cost grows ~T^2
    local_sequences: tuple[int, ...] = (6_000, 6_000, 6_000)  # the local CoT needs a few thousand at any length
    points: int = 7  # a factor 2 between points: the curve on a log axis
    n_test: int = 200  # held-out pairs per evaluation: an exact-match rate to about +-3%
    embedding_dim: int = 16  # the paper's 128 scaled down (the block-causal layer costs d^2 T^2 / 2 weights)
    hidden: int = 128  # the paper's hidden layer
    batch_size: int = 32  # sequences per step of the block-causal model
    learning_rate: float = 3e-3  # constant AdamW rate (no schedule: a curve can be extended by resuming)
    # The quick preset's local MLP, at half its peak rate (constant here: 1e-2 plateaus near 0.3-0.4 exact)
    local_mlp: dict = field(default_factory=lambda: dict(embedding_dim=8, hidden_layer_sizes=(64,), batch_size=512,
                                                         learning_rate=5e-3))
    seed: int = 0

    def __post_init__(self):
        for name in ("lengths", "sequences", "local_sequences"):
            v = getattr(self, name)
            if not isinstance(v, tuple) or not v or any(isinstance(x, bool) or not isinstance(x, int) for x in v):
                raise CheckError(f"The {name!r} parameter of CurvesConfig must be a non-empty tuple of ints. "
                                 f"Got {v!r} instead.")
        if any(not 2 <= n <= 8 for n in self.lengths):
            raise CheckError(f"The 'lengths' parameter of CurvesConfig must hold operand lengths in 2..8. Got "
                             f"{self.lengths!r} instead.")
        for name in ("sequences", "local_sequences"):
            v = getattr(self, name)
            if len(v) != len(self.lengths) or min(v) < 1:
                raise CheckError(f"The {name!r} parameter of CurvesConfig must give one budget >= 1 per operand "
                                 f"length ({len(self.lengths)}). Got {v!r} instead.")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise CheckError(f"The 'formats' parameter of CurvesConfig must be a non-empty subset of {FORMATS}. "
                             f"Got {self.formats!r} instead.")
        for name, low in (("points", 1), ("n_test", 1), ("embedding_dim", 1), ("hidden", 1), ("batch_size", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise CheckError(f"The {name!r} parameter of CurvesConfig must be an int >= {low}. Got {v!r} "
                                 f"instead.")
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise CheckError(f"The 'learning_rate' parameter of CurvesConfig must be a number > 0. Got "
                             f"{self.learning_rate!r} instead.")

    def budget(self, fmt: str, n: int) -> int:
        """Training sequences of format ``fmt`` at operand length ``n``."""
        i = self.lengths.index(n)
        return (self.local_sequences if fmt == "mul-local" else self.sequences)[i]

    def schedule(self, fmt: str, n: int) -> list[int]:
        """Sequences seen at each evaluation (increasing, the last is the budget)."""
        b = self.budget(fmt, n)
        return sorted({max(1, int(round(b / 2 ** k))) for k in range(self.points)})


#: A small configuration (tests, ``--quick``): seconds, not minutes.
QUICK = CurvesConfig(lengths=(2, 3), sequences=(1_600, 400), local_sequences=(300, 300), points=3, n_test=50,
                     embedding_dim=8, hidden=32)


def _task(fmt: str, n: int):
    return get_task(fmt, digits=n, width=2 * n + 1) if fmt == "mul-local" else get_task(fmt, digits=n)


def _model(cfg: CurvesConfig, fmt: str, n: int) -> MLPAR:
    """A fresh model for one curve: the block-causal MLP with the paper CoT's context length (with and
    without CoT), or the window MLP on the local CoT's declared offsets."""
    common = dict(random_state=cfg.seed, verbose=0, n_threads=1, validation_fraction=0.0, early_stopping=False,
                  lr_schedule="constant", warmup=0.0)
    if fmt == "mul-local":
        return MLPAR(layout=_task(fmt, n).layout(), **dict(cfg.local_mlp), **common)
    return MLPAR(context="causal", context_length=get_task("mul-paper", digits=n).length,
                 embedding_dim=cfg.embedding_dim, hidden_layer_sizes=(cfg.hidden,), batch_size=cfg.batch_size,
                 learning_rate=cfg.learning_rate, **common)


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Curve:
    """One learning curve: ``sequences[i]`` training sequences seen when held-out ``exact[i]`` (every product
    digit right) and ``per_digit[i]`` (mean over product digits) were measured, after ``steps[i]`` optimizer
    steps and ``seconds[i]`` of training."""

    format: str
    digits: int
    parameters: int
    budget: int
    sequences: tuple[int, ...]
    exact: tuple[float, ...]
    per_digit: tuple[float, ...]
    steps: tuple[int, ...]
    seconds: tuple[float, ...]

    @property
    def complete(self) -> bool:
        return bool(self.sequences) and self.sequences[-1] >= self.budget


def samples_to(curve: Curve, level: float, metric: str = "exact") -> int | None:
    """The first measured sequences-seen at which ``metric`` ("exact" or "per_digit") reached ``level``; None
    when it did not within the curve (then the budget is a lower bound)."""
    for s, v in zip(curve.sequences, getattr(curve, metric)):
        if v >= level:
            return s
    return None


def extrapolate(points: dict[int, int | None], budgets: dict[int, int], target: int) -> dict:
    """Fit ``log10(sequences) = a + b n`` to the operand lengths where the level was reached and evaluate it at
    ``target``: an *extrapolation*, stated as such. With fewer than two reached lengths there is no fit; the
    budgets of the lengths not reached are lower bounds."""
    reached = {n: s for n, s in points.items() if s is not None}
    lower = {n: budgets[n] for n, s in points.items() if s is None}
    out: dict[str, Any] = {"reached": reached, "lower_bounds": lower, "target_digits": target}
    if len(reached) >= 2:
        x = np.array(sorted(reached), float)
        y = np.log10([reached[int(n)] for n in x])
        b, a = np.polyfit(x, y, 1)
        out.update(factor_per_digit=float(10 ** b), predicted=float(10 ** (a + b * target)))
    return out


@dataclass(frozen=True)
class CurvesResult:
    """The curves, sequences-to-X% per format and operand length, the extrapolations, the files written."""

    config: CurvesConfig
    curves: tuple[Curve, ...]
    complete: bool
    seconds: float
    files: tuple[str, ...] = ()

    def curve(self, fmt: str, n: int) -> Curve | None:
        return next((c for c in self.curves if c.format == fmt and c.digits == n), None)

    def samples_table(self) -> dict:
        """``{metric: {level: {format: {digits: sequences or None}}}}``."""
        return {m: {lv: {f: {c.digits: samples_to(c, lv, m) for c in self.curves if c.format == f}
                         for f in self.config.formats} for lv in levels}
                for m, levels in (("exact", LEVELS), ("per_digit", DIGIT_LEVELS))}

    def extrapolations(self) -> dict:
        """Per format and level of exact match (and of mean per-digit accuracy): the fit over operand
        lengths, evaluated at 4 digits."""
        out = {}
        for f in self.config.formats:
            cs = [c for c in self.curves if c.format == f]
            for metric, name, levels in (("exact", "exact", LEVELS), ("per_digit", "per-digit", DIGIT_LEVELS)):
                for lv in levels:
                    pts = {c.digits: samples_to(c, lv, metric) for c in cs}
                    out[f"{f} / {name} {lv:.0%}"] = extrapolate(pts, {c.digits: c.budget for c in cs}, 4)
        return out

    def lines(self) -> list[str]:
        """The result as printed: the curves, sequences to X%, the extrapolation to the paper's budget."""
        out = []
        for c in self.curves:
            out.append(f"{c.format} ({LABELS[c.format]}), {c.digits} digits, {c.parameters:,} parameters:")
            for s, e, p, t in zip(c.sequences, c.exact, c.per_digit, c.seconds):
                out.append(f"  {s:>9,} sequences  exact {e:.3f}  per-digit {p:.3f}  ({t:.0f} s of training)")
        out.append("")
        out.append("sequences to X% held-out exact match (>B: not reached within the budget B):")
        for f in self.config.formats:
            cells = []
            for lv in LEVELS:
                row = []
                for c in (c for c in self.curves if c.format == f):
                    s = samples_to(c, lv)
                    row.append(f"{c.digits}d {s:,}" if s is not None else f"{c.digits}d >{c.budget:,}")
                cells.append(f"{lv:.0%}: " + ", ".join(row))
            out.append(f"  {f:<10} " + "; ".join(cells))
        out.append("")
        out.append(f"extrapolation to 4-digit operands (a fit of log10(sequences) against operand length; the "
                   f"paper: {PAPER_SEQUENCES:.0e} sequences, {PAPER_PARAMETERS:.0e} parameters):")
        for key, e in self.extrapolations().items():
            if 4 in e["reached"]:
                grow = f", x{e['factor_per_digit']:.1f} per digit fitted" if "predicted" in e else ""
                out.append(f"  {key}: measured at 4 digits, {e['reached'][4]:,} sequences{grow} "
                           f"({e['reached'][4] / PAPER_SEQUENCES:.2g} of the paper's budget)")
            elif "predicted" in e:
                out.append(f"  {key}: x{e['factor_per_digit']:.1f} per digit -> {e['predicted']:.2g} sequences at "
                           f"4 digits ({e['predicted'] / PAPER_SEQUENCES:.2g} of the paper's budget); an "
                           f"extrapolation")
            elif e["lower_bounds"]:
                lb = ", ".join(f"{n}d >{b:,}" for n, b in sorted(e["lower_bounds"].items()))
                out.append(f"  {key}: no fit (reached at {len(e['reached'])} length(s)); lower bounds {lb}")
        rate = [c for c in self.curves if c.format == "mul-paper" and c.digits == 4 and c.seconds and c.seconds[-1]]
        if rate:
            r = rate[0].sequences[-1] / rate[0].seconds[-1]
            scale = (128 / self.config.embedding_dim) ** 2  # the block-causal layer's weights and work: d^2
            out.append(f"  at this machine's measured {r:.0f} sequences/s (4 digits, {rate[0].parameters:,} "
                       f"parameters), the paper's {PAPER_SEQUENCES:.0e} sequences would take "
                       f"{PAPER_SEQUENCES / r / 86400:.0f} days, and with the paper's embedding 128 "
                       f"({scale:.0f}x the layer's work) {scale * PAPER_SEQUENCES / r / 86400 / 365:.1f} years; "
                       f"an extrapolation")
        if not self.complete:
            out.append("")
            out.append("INCOMPLETE: the time budget ran out; rerun with --resume (same --checkpoint-dir) to continue.")
        return out

    def to_dict(self) -> dict:
        return _jsonable({"config": asdict(self.config), "curves": [asdict(c) for c in self.curves],
                          "complete": self.complete, "samples_to": self.samples_table(),
                          "extrapolations": self.extrapolations(), "seconds": self.seconds,
                          "files": list(self.files)})


# ---------------------------------------------------------------------------------------------- checkpoints
def _identity(cfg: CurvesConfig, fmt: str, n: int, model: MLPAR) -> dict:
    """What a checkpoint must match to be resumed: the run's model, data and schedule."""
    return _jsonable({"format": fmt, "digits": n, "seed": cfg.seed, "schedule": cfg.schedule(fmt, n),
                      "n_test": cfg.n_test, "model": params_json(model.get_params())})


def _checkpoint_path(directory: Path, fmt: str, n: int) -> Path:
    return directory / f"{fmt}-{n}digits.npz"


def _write_checkpoint(path: Path, model: MLPAR, identity: dict, progress: dict) -> None:
    """The model (in the format :func:`learners.load_model` validates), the AdamW moments, the batch-order RNG
    and the curve so far, in one file written atomically."""
    extra, arrays = model._save_payload()
    meta = {"format": model.format_tag, "version": model.format_version, "class": type(model).__name__, **extra}
    opt = model._opt  # the optimizer state partial_fit continues from (private to MLPAR: see _restore)
    train = {"version": _FORMAT_VERSION, "identity": identity, "progress": progress, "adam_t": int(opt["t"]),
             "rng": model._rng.bit_generator.state}
    blobs = {k: np.frombuffer(json.dumps(_jsonable(v)).encode(), dtype=np.uint8) for k, v in
             (("meta", meta), ("train", train))}
    atomic_write(path, lambda f: np.savez(f, **arrays, adam_m=opt["m"], adam_v=opt["v"], **blobs))


def _bad(path: Path, what: str) -> CheckError:
    return CheckError(f"--checkpoint-dir: {str(path)!r} is not a checkpoint of this run ({what}); resume with the "
                      f"configuration that wrote it, or use another directory.")


def _load_checkpoint(path: Path, identity: dict) -> tuple[MLPAR, dict]:
    """The model and progress of a checkpoint, every field validated before use (a crafted or foreign file is
    a one-line :class:`CheckError`)."""
    try:
        model = load_model(path, owner="--checkpoint-dir")
    except LearnerError as e:
        raise CheckError(str(e).split("\n")[0]) from None
    if not isinstance(model, MLPAR):
        raise _bad(path, f"it holds a {type(model).__name__}")
    try:
        with np.load(path, allow_pickle=False) as z:
            m, v, blob = z["adam_m"], z["adam_v"], z["train"]
        if blob.dtype != np.uint8 or blob.ndim != 1:
            raise ValueError("the 'train' field is not JSON bytes")
        train = json.loads(blob.tobytes().decode())
    except (KeyError, ValueError, UnicodeDecodeError, OSError) as e:
        raise _bad(path, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'malformed'}") from None
    if not isinstance(train, dict) or train.get("version") != _FORMAT_VERSION:
        raise _bad(path, f"checkpoint version {train.get('version') if isinstance(train, dict) else None!r}, "
                         f"expected {_FORMAT_VERSION}")
    if train.get("identity") != identity:
        other = train.get("identity") if isinstance(train.get("identity"), dict) else {}
        diff = sorted(k for k in identity if other.get(k) != identity[k])
        raise _bad(path, f"written by a different configuration: {', '.join(diff) or 'identity'} differ")
    if _jsonable(params_json(model.get_params())) != identity["model"]:
        raise _bad(path, "its model's parameters are not this run's")
    theta = model._P.theta
    for name, arr in (("adam_m", m), ("adam_v", v)):
        if arr.shape != theta.shape or arr.dtype != theta.dtype or not np.isfinite(arr).all():
            raise _bad(path, f"{name} must be finite {theta.dtype} of shape {theta.shape}; got {arr.dtype} "
                             f"{arr.shape}")
    if (v < 0).any():
        raise _bad(path, "adam_v must be >= 0")
    t = train.get("adam_t")
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= model.n_steps_:
        raise _bad(path, f"adam_t must be an int in [0, n_steps={model.n_steps_}]; got {t!r}")
    prog = train.get("progress")
    keys = ("sequences", "exact", "per_digit", "steps", "seconds")
    if not isinstance(prog, dict) or set(prog) != set(keys) or not all(isinstance(prog[k], list) for k in keys) \
            or len({len(prog[k]) for k in keys}) != 1 or prog["sequences"] != identity["schedule"][:len(prog["sequences"])]:
        raise _bad(path, "its progress record is not a prefix of this run's schedule")
    if any(not isinstance(x, (int, float)) or isinstance(x, bool) or not 0 <= x <= 1
           for k in ("exact", "per_digit") for x in prog[k]):
        raise _bad(path, "accuracies must be numbers in [0, 1]")
    try:
        bitgen = np.random.PCG64()
        bitgen.state = train.get("rng")
    except (TypeError, ValueError, KeyError) as e:
        raise _bad(path, f"the batch-order RNG state is malformed ({type(e).__name__})") from None
    # The optimizer state partial_fit continues from (MLPAR keeps it private; a saved model gets fresh moments).
    model._opt = {"m": np.ascontiguousarray(m), "v": np.ascontiguousarray(v), "t": t}
    model._rng = np.random.Generator(bitgen)
    return model, prog


# ---------------------------------------------------------------------------------------------- the run
def _log(verbose: int, msg: str) -> None:
    if verbose:
        print(msg, file=sys.stderr, flush=True)


def _run_curve(cfg: CurvesConfig, fmt: str, n: int, ckpt: Path | None, deadline: float | None,
               verbose: int) -> Curve:
    task = _task(fmt, n)
    test = task.make_dataset(cfg.n_test, split="test", random_state=cfg.seed + 1, unique=True)
    model = _model(cfg, fmt, n)
    identity = _identity(cfg, fmt, n, model)
    schedule = cfg.schedule(fmt, n)
    prog: dict = {"sequences": [], "exact": [], "per_digit": [], "steps": [], "seconds": []}
    if ckpt is not None and ckpt.is_file():
        model, prog = _load_checkpoint(ckpt, identity)
        _log(verbose, f"{fmt} {n} digits: resumed at {prog['sequences'][-1] if prog['sequences'] else 0:,} sequences")
    fmt_index = FORMATS.index(fmt)
    for k in range(len(prog["sequences"]), len(schedule)):
        seen = prog["sequences"][-1] if prog["sequences"] else 0
        rng = np.random.default_rng([cfg.seed, fmt_index, n, k])  # the chunk's pairs: the same on resume
        chunk = task.make_dataset(schedule[k] - seen, split="train", random_state=rng)
        t0 = time.perf_counter()
        model.partial_fit(chunk)  # one pass over fresh pairs at the constant rate, from the current state
        spent = time.perf_counter() - t0 + (prog["seconds"][-1] if prog["seconds"] else 0.0)
        s = _rollout_scores(model, task, test)
        for key, value in (("sequences", schedule[k]), ("exact", s["exact_match"]),
                           ("per_digit", float(np.mean(s["per_digit"]))), ("steps", int(model.n_steps_)),
                           ("seconds", spent)):
            prog[key].append(value)
        _log(verbose, f"{fmt} {n} digits: {schedule[k]:>8,} sequences, exact {s['exact_match']:.3f}, per-digit "
                      f"{' '.join(f'{x:.2f}' for x in reversed(s['per_digit']))} ({spent:.0f} s)")
        if ckpt is not None:
            _write_checkpoint(ckpt, model, identity, prog)
        if deadline is not None and time.perf_counter() > deadline:
            break  # every call trains at least one chunk per curve, so that a resumed run always progresses
    params = int(model.n_parameters_) if hasattr(model, "n_parameters_") else 0
    return Curve(fmt, n, params, schedule[-1], *(tuple(prog[k]) for k in
                                                 ("sequences", "exact", "per_digit", "steps", "seconds")))


def run_curves(config: CurvesConfig | None = None, *, out_dir: str | os.PathLike | None = None,
               checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
               max_time: float | None = None, verbose: int = 1, plots: bool = True) -> CurvesResult:
    """Train every (format, operand length) curve, evaluating held-out pairs at each point.

    Parameters
    ----------
    config : CurvesConfig, optional
        Default: the README run.
    out_dir : path, optional
        Where to write ``mul_curves.json``, ``mul_curves.txt`` and the figures (PNG, SVG), atomically.
    checkpoint_dir : path, optional
        One checkpoint per curve, rewritten (atomically) after every point.
    resume : bool, default False
        Continue from the checkpoints in ``checkpoint_dir`` (else existing checkpoints there are refused,
        never overwritten).
    max_time : float, optional
        Seconds; no new chunk starts after them, though each curve trains at least one chunk per call (the
        result is then incomplete: resume to continue).
    verbose : int
        One progress line per point on stderr.
    plots : bool

    Returns
    -------
    CurvesResult

    Raises
    ------
    CheckError
        A bad parameter, existing checkpoints without ``resume``, or a checkpoint of another configuration
        or a malformed one.
    """
    t0 = time.perf_counter()
    cfg = config if config is not None else CurvesConfig()
    if max_time is not None and not (isinstance(max_time, (int, float)) and max_time > 0):
        raise CheckError(f"The 'max_time' parameter of run_curves must be a number of seconds > 0. Got "
                         f"{max_time!r} instead.")
    ckdir = None
    if checkpoint_dir is not None:
        ckdir = Path(checkpoint_dir)
        if ckdir.exists() and not ckdir.is_dir():
            raise CheckError(f"--checkpoint-dir: {str(ckdir)!r} exists and is not a directory.")
        ckdir.mkdir(parents=True, exist_ok=True)
        existing = sorted(p.name for p in ckdir.glob("*digits.npz"))
        if existing and not resume:
            raise CheckError(f"--checkpoint-dir: {str(ckdir)!r} holds checkpoints ({existing[0]}, ...); pass "
                             f"--resume to continue them, or use another directory.")
    elif resume:
        raise CheckError("--resume needs --checkpoint-dir (the directory of the checkpoints to continue).")
    deadline = None if max_time is None else t0 + float(max_time)
    curves = []
    for fmt in cfg.formats:
        for n in cfg.lengths:
            path = _checkpoint_path(ckdir, fmt, n) if ckdir is not None else None
            curves.append(_run_curve(cfg, fmt, n, path, deadline, verbose))
    result = CurvesResult(cfg, tuple(curves), all(c.complete for c in curves), time.perf_counter() - t0)
    if out_dir is not None:
        files = write_outputs(result, out_dir, plots=plots)
        result = replace(result, files=tuple(files), seconds=time.perf_counter() - t0)
    return result


# ---------------------------------------------------------------------------------------------- outputs
def write_outputs(result: CurvesResult, out_dir: str | os.PathLike, *, plots: bool = True) -> list[str]:
    """The lines (text), the result (JSON) and the figures (PNG and SVG), atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [atomic_write(out / "mul_curves.txt", lambda f: f.write("\n".join(result.lines()) + "\n"), "w"),
             atomic_write(out / "mul_curves.json", lambda f: json.dump(result.to_dict(), f, indent=1), "w")]
    if plots:
        for stem, fig in figures(result).items():
            for ext in ("png", "svg"):
                files.append(atomic_write(out / f"{stem}.{ext}", lambda f: fig.savefig(
                    f, format=ext, dpi=120, bbox_inches="tight")))
    return [str(p) for p in files]


_COLORS = {"mul-paper": "tab:blue", "mul-nocot": "tab:red", "mul-local": "tab:green"}


def figures(result: CurvesResult) -> dict[str, Any]:
    """``learning_curves``: one panel per operand length, sequences seen (log) -> held-out exact match (solid)
    and mean per-digit accuracy (dashed), per format. ``samples_to_x``: sequences to 50% and 90% exact match
    against operand length (filled: reached; open triangle: not reached within the budget, a lower bound),
    the fitted exponential (dotted, an extrapolation to 4 digits) and the paper's budget."""
    from matplotlib.lines import Line2D

    cfg = result.config
    figs = {}
    fig, ax0 = new_figure((4.2 * len(cfg.lengths), 4.2))
    fig.delaxes(ax0)
    axes = np.atleast_1d(fig.subplots(1, len(cfg.lengths), sharey=True))
    for ax, n in zip(axes, cfg.lengths):
        for f in cfg.formats:
            c = result.curve(f, n)
            if c is None or not c.sequences:
                continue
            ax.plot(c.sequences, c.exact, "-o", color=_COLORS[f], ms=4)
            ax.plot(c.sequences, c.per_digit, "--", color=_COLORS[f], alpha=0.7)
        ax.set_xscale("log")
        ax.set_xlabel("training sequences seen")
        ax.set_title(f"{n}-digit operands")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("held-out accuracy (greedy rollout)")
    axes[0].set_ylim(-0.02, 1.02)
    handles = [Line2D([], [], color=_COLORS[f], label=LABELS[f]) for f in cfg.formats]
    handles += [Line2D([], [], color="k", marker="o", ms=4, label="exact match (every digit)"),
                Line2D([], [], color="k", ls="--", label="per-digit accuracy (mean)")]
    fig.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
    fig.suptitle("Multiplication learning curves by operand length")
    figs["learning_curves"] = fig

    fig, ax = new_figure()
    handles = [Line2D([], [], color=_COLORS[f], lw=6, alpha=0.6, label=LABELS[f]) for f in cfg.formats]
    fitted = False
    for i, f in enumerate(cfg.formats):
        dx = 0.06 * (i - (len(cfg.formats) - 1) / 2)  # side by side where budgets coincide
        cs = [c for c in result.curves if c.format == f]
        for lv, ls in ((0.5, "-"), (0.9, "-.")):
            hit = [(c.digits + dx, samples_to(c, lv)) for c in cs if samples_to(c, lv) is not None]
            miss = [(c.digits + dx, c.budget) for c in cs if samples_to(c, lv) is None]
            if hit:
                ax.plot(*zip(*hit), ls, marker="o" if lv == 0.5 else "s", color=_COLORS[f])
            if miss:
                ax.plot(*zip(*miss), "^", mfc="none", color=_COLORS[f], ms=8)
            e = extrapolate({c.digits: samples_to(c, lv) for c in cs}, {c.digits: c.budget for c in cs}, 4)
            if "predicted" in e and max(e["reached"]) < 4:
                x0 = max(e["reached"])
                ax.plot([x0 + dx, 4 + dx], [e["reached"][x0], e["predicted"]], ":", color=_COLORS[f])
                fitted = True
    handles += [Line2D([], [], color="gray", ls="-", marker="o", label="sequences to 50% exact (reached)"),
                Line2D([], [], color="gray", ls="-.", marker="s", label="sequences to 90% exact (reached)"),
                Line2D([], [], color="gray", marker="^", mfc="none", ls="none", ms=8,
                       label="50% or 90% not reached: the budget, a lower bound")]
    if fitted:
        handles.append(Line2D([], [], color="gray", ls=":", label="fit, extrapolated to 4 digits"))
    ax.axhline(PAPER_SEQUENCES, color="k", lw=0.8)
    handles.append(Line2D([], [], color="k", lw=0.8, label="the paper's budget (1e8 sequences, 4 digits)"))
    ax.set_yscale("log")
    ax.set_xticks(sorted(set(cfg.lengths) | {4}))
    ax.set_xlabel("operand digits")
    ax.set_ylabel("training sequences to the level")
    ax.legend(handles=handles, fontsize=7, loc="best")
    ax.set_title("Sequences to 50% / 90% held-out exact match")
    figs["samples_to_x"] = fig
    return figs


# ---------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.mul_curves``: exit 0 when every curve is complete, 3 when the
    time budget interrupted it (resume to continue), 2 on bad input."""
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.mul_curves",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="the small configuration (seconds; tests)")
    ap.add_argument("--out", default="results/mul_curves", help="output directory (default: %(default)s)")
    ap.add_argument("--checkpoint-dir", default=None, help="write a checkpoint per curve after every point")
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoints in --checkpoint-dir")
    ap.add_argument("--max-time", type=positive_seconds, default=None,
                    help="seconds; no new chunk starts after them (resume to continue)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every training budget (e.g. 10: an hours-long run; default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not (math.isfinite(args.scale) and args.scale > 0):
        ap.error(f"argument --scale: expected a number > 0, got {args.scale}")
    cfg = QUICK if args.quick else CurvesConfig()
    cfg = replace(cfg, seed=args.seed,
                  sequences=tuple(max(1, int(round(s * args.scale))) for s in cfg.sequences),
                  local_sequences=tuple(max(1, int(round(s * args.scale))) for s in cfg.local_sequences))
    try:
        result = run_curves(cfg, out_dir=args.out, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
                            max_time=args.max_time, verbose=0 if args.quiet else 1)
    except CheckError as e:
        ap.exit(2, f"{ap.prog}: error: {e}\n")
    print(json.dumps(result.to_dict(), indent=1) if args.json else "\n".join(result.lines()))
    return 0 if result.complete else 3


if __name__ == "__main__":
    sys.exit(main())
