"""Experiment: the paper's arithmetic experiment -- a shallow MLP and the linear learners trained on multiplication
with the paper's CoT, without CoT, and with our local CoT (and local addition), evaluated by greedy rollouts on
held-out pairs; a table, JSON and plots (accuracy vs training examples, per-digit accuracy, length
generalisation).

Run it as ``python -m proofs_checks.experiments.multiplication [--quick] [--out DIR]``, as ``proofs-checks run
multiplication`` (the check, :mod:`proofs_checks.checks.arithmetic`), or from Python::

    from proofs_checks.experiments.multiplication import run_multiplication
    result = run_multiplication(quick=True, out_dir="results/multiplication")
    print(result.table())

Metrics, per (format, model), on held-out operand pairs (the test part of the paper's hash split, never
trained on): teacher-forced token accuracy; *exact match* -- the greedy rollout from the prompt writes every
digit of the product right (the paper's criterion); CoT exact -- the whole rollout equals the reference;
per-digit accuracy by place value. The local formats are also rolled out on longer operands (5 to 8 digits
in the full run) that no model saw.

Models: :class:`learners.MLPAR` -- on the local CoT a window MLP reading the offsets the task declares; on
the paper's CoT and without CoT *one* model (``PAPER_MLP``: a window over the whole context, the same
architecture, parameter count and inputs on both formats, trained for the same optimizer steps of the same
batch) -- :class:`learners.PerceptronAR` and :class:`learners.LeastSquaresAR` (on the local formats reading
the offsets the task declares, per position class: ``layout=task.layout()``; least squares always reads
their union, as one Gram matrix per class would not fit in memory; on the paper's formats a window of
offsets 1..k). The sizes of each run are in :func:`default_config`.

Verdicts (``result.checks``: each a measured value against a fixed threshold): the linear learner on our
local CoT >= 99.9% exact on held-out pairs and exact on longer operands; the paper's CoT at 2-digit
operands beats no CoT by a fixed margin of exact match, same model and budget. The paper's 4-digit CoT
(the paper: a 775M-parameter model, 1e8 sequences on a GPU) is measured as learning curves by operand
length in :mod:`proofs_checks.experiments.mul_curves`, not as a pass/fail target here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tmsim.io import atomic_write

from learners import LeastSquaresAR, MLPAR, PerceptronAR
from learners.evaluate import evaluate  # the function (a lazy `from learners import evaluate` can yield the module)
from tmsim.datasets.tasks import Task, get_task
from tmsim.datasets import controls
from tmsim.encodings import PositionLayout

from ._mul_figures import _plots, figures
from .digit_probe import curve_lines, digit_probe

__all__ = ["FormatPlan", "MultiplicationConfig", "Row", "MultiplicationResult", "default_config",
           "run_multiplication", "figures", "main"]


# ---------------------------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class FormatPlan:
    """What to train and test on one task format.

    Attributes
    ----------
    task : str
        A task name of :mod:`tmsim.datasets.tasks`.
    params : dict
        Task parameters (``digits``, ``width``).
    n_train : int
        Training pairs of the main row.
    sizes : tuple of int
        Training sizes of the linear learners' sample-complexity curve (the largest is ``n_train``).
    models : tuple of str
        Among ``"mlp"``, ``"perceptron"``, ``"least-squares"``.
    mlp : dict
        :class:`learners.MLPAR` parameters (``offsets="task"`` takes the task's declared offsets).
    linear : dict
        Linear learner parameters: ``window`` and ``layout`` (non-local formats; default one shared block),
        perceptron ``max_iter`` and ``margin``; local formats take the task's layout (the offsets it declares
        per position class).
    lengths : tuple of int
        Longer operand lengths to roll out on (local formats: length generalisation).
    n_test : int, optional
        Held-out pairs of this plan (default: the config's ``n_test``).

    The ``mlp`` dict also takes ``max_steps`` (stop after that many optimizer steps: a budget counted in
    steps, the same for every format that gets it) and ``window="paper"`` (the length of the paper's CoT at
    these operand lengths, so that the model reads the whole context on every format: the same architecture
    and parameter count with and without a CoT).
    """

    task: str
    params: dict
    n_train: int
    sizes: tuple[int, ...] = ()  # no curve: one training size, the main row's
    models: tuple[str, ...] = ("mlp", "perceptron")  # the paper's model and the linear learner it is compared to
    mlp: dict = field(default_factory=dict)  # MLPAR's own defaults
    linear: dict = field(default_factory=dict)  # window 8, one shared block, 100 perceptron epochs (_make_model)
    lengths: tuple[int, ...] = ()  # no length-generalisation rows (only local formats have them)
    n_test: int | None = None  # None: the config's n_test


@dataclass(frozen=True)
class MultiplicationConfig:
    """The whole experiment. ``n_test`` held-out pairs per format (and ``n_test_long`` per longer length);
    ``seed`` drives every draw (training pairs, test pairs, model initialisation); ``shuffle_cot`` permutes
    the CoT and answer tokens of every training sequence (the negative control: every sub-check must then
    fail)."""

    quick: bool
    plans: tuple[FormatPlan, ...]
    n_test: int = 1000  # resolves an exact-match rate of 99.9% (the local-CoT target) to one pair
    n_test_long: int = 200  # per longer length: "all exact" on 200 pairs, at a fifth of the rollout cost
    n_curve_test: int = 200  # a curve point per epoch must stay cheap next to the training it measures
    seed: int = 0  # every draw (pairs, initialisation) follows from it
    threads: int | None = 1  # one BLAS thread per model: timings comparable across machines and runs
    shuffle_cot: bool = False  # the negative control: every training CoT and answer permuted (tmsim.datasets.controls)
    paper_margin: float = 0.05  # the paper-CoT MLP's exact match must exceed the same MLP's without CoT by this


#: The model of the paper-CoT vs no-CoT comparison (quick preset): one window MLP reading the whole context
#: (``window="paper"``: the paper CoT's length), two ReLU layers (one layer learns the answer digits' sums far
#: more slowly), a constant rate and a budget in optimizer steps, so that both formats get the same model,
#: the same steps of the same batch size (512 positions) and a deterministic result.
PAPER_MLP = dict(window="paper", embedding_dim=16, hidden_layer_sizes=(128, 128), batch_size=512,
                 learning_rate=3e-3, lr_schedule="constant", warmup=0.0, sampling="loss", validation_fraction=0.0,
                 early_stopping=False, max_epochs=10_000, max_steps=800)


def default_config(quick: bool, *, mlp_time: float | None = None, seed: int = 0) -> MultiplicationConfig:
    """The plans of the quick (under a minute: 3-digit local formats, the paper's CoT at 2 digits, small models)
    and full (4-digit local formats; the paper's CoT at 2 digits with 8x the steps; ``mlp_time``, if given,
    caps the seconds of each paper/no-CoT MLP) runs. The paper's 4-digit CoT is the subject of
    :mod:`proofs_checks.experiments.mul_curves` (learning curves by operand length, resumable)."""
    if quick:
        d, w = 3, 9  # width 9 = 2 * 4 + 1: the local formats also take the 4-digit test
        small = dict(embedding_dim=8, hidden_layer_sizes=(64,), batch_size=512, learning_rate=3e-3,
                     validation_fraction=0.05, n_iter_no_change=2)
        # At most 20 perceptron epochs: the local formats converge in 5-6; a shuffled CoT (the negative
        # control) never does, and 100 epochs of it were most of the control's minutes.
        epochs = dict(max_iter=20)
        plans = (
            FormatPlan("mul-local", dict(digits=d, width=w), 3000, sizes=(300, 3000), models=("perceptron",),
                       lengths=(4,), linear=epochs),
            FormatPlan("mul-local", dict(digits=d, width=w), 500, models=("mlp",), lengths=(4,),
                       mlp=dict(small, offsets="task", max_epochs=2, learning_rate=1e-2)),
            FormatPlan("add-local", dict(digits=d, width=6), 2000, sizes=(300, 2000), models=("perceptron",),
                       lengths=(4,), linear=epochs),
            FormatPlan("mul-nocot", dict(digits=d), 3000, sizes=(3000,), models=("perceptron",),
                       linear=dict(epochs, window=9, layout=PositionLayout.time_dependent())),
            FormatPlan("mul-paper", dict(digits=d), 1000, sizes=(1000,), models=("perceptron",),
                       linear=dict(window=96, max_iter=3)),
            # The paper's own CoT where it can pass in this budget (2-digit operands), against the same
            # model without a CoT: same architecture, parameters, inputs (the prompt), steps and batch.
            FormatPlan("mul-paper", dict(digits=2), 5000, models=("mlp",), mlp=PAPER_MLP, n_test=200),
            FormatPlan("mul-nocot", dict(digits=2), 5000, models=("mlp",), mlp=PAPER_MLP, n_test=200),
        )
        return MultiplicationConfig(True, plans, n_test=100, n_test_long=50, n_curve_test=50, seed=seed)
    w = 17  # 2 * 8 + 1: the same layout for 4- to 8-digit operands
    paper = dict(PAPER_MLP, hidden_layer_sizes=(256, 256), max_steps=4000)
    if mlp_time is not None:
        paper["max_time"] = float(mlp_time)
    plans = (
        FormatPlan("mul-local", dict(digits=4, width=w), 20000, sizes=(300, 1000, 3000, 10000, 20000),
                   models=("perceptron", "least-squares"), lengths=(5, 6, 7, 8)),
        FormatPlan("mul-local", dict(digits=4, width=w), 4000, models=("mlp",), lengths=(5, 6, 7, 8),
                   mlp=dict(offsets="task", embedding_dim=16, hidden_layer_sizes=(128,), batch_size=1024,
                            learning_rate=1e-2, max_epochs=4, validation_fraction=0.02, max_time=600)),
        FormatPlan("add-local", dict(digits=4, width=10), 5000, sizes=(300, 1000, 5000), models=("perceptron",),
                   lengths=(5, 6, 7, 8)),
        FormatPlan("mul-nocot", dict(digits=4), 100000, sizes=(10000, 100000), models=("perceptron",),
                   linear=dict(window=19, layout=PositionLayout.time_dependent(), max_iter=20)),
        FormatPlan("mul-paper", dict(digits=4), 10000, sizes=(2000, 10000), models=("perceptron",),
                   linear=dict(window=160, max_iter=10)),
        FormatPlan("mul-paper", dict(digits=2), 5000, models=("mlp",), mlp=paper, n_test=1000),
        FormatPlan("mul-nocot", dict(digits=2), 5000, models=("mlp",), mlp=paper, n_test=1000),
    )
    return MultiplicationConfig(False, plans, n_test=1000, n_test_long=200, n_curve_test=200, seed=seed,
                                paper_margin=0.2)


# ---------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Row:
    """One (format, model) line of the table.

    ``per_digit[i]`` is the accuracy of the digit of place value ``10**i``; ``digits`` the operand length
    of the test pairs (longer than the training operands on a length-generalisation row)."""

    format: str
    model: str
    digits: int
    train_digits: int
    parameters: int
    train_examples: int  # distinct training pairs
    train_positions: int
    train_time: float
    token_accuracy: float
    exact_match: float
    cot_exact: float
    per_digit: tuple[float, ...]
    n_test: int
    note: str = ""
    train_steps: int = 0  # optimizer steps (MLP; 0 for the linear learners)


@dataclass(frozen=True)
class MultiplicationResult:
    """Rows of the table, the learning curves, the verdicts and the files written."""

    config: MultiplicationConfig
    rows: tuple[Row, ...]
    curves: dict
    checks: dict
    files: tuple[str, ...]
    seconds: float

    def table(self) -> str:
        """The rows as a text table (per-digit accuracies most-significant place first)."""
        head = (f"{'format':<10} {'model':<14} {'dig':>3} {'params':>10} {'train pairs':>11} {'time s':>8} "
                f"{'token acc':>9} {'exact':>7} {'cot ex.':>7}  per-digit (most significant first)")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            pd = " ".join(f"{x:.2f}" for x in reversed(r.per_digit))
            lines.append(f"{r.format:<10} {r.model:<14} {r.digits:>3} {r.parameters:>10,} {r.train_examples:>11,} "
                         f"{r.train_time:>8.1f} {r.token_accuracy:>9.4f} {r.exact_match:>7.3f} {r.cot_exact:>7.3f}  "
                         f"{pd}{'  ' + r.note if r.note else ''}")
        lines.append("")
        for name, c in self.checks.items():
            lines.append(f"check {name}: {'PASS' if c['passed'] else 'FAIL'} ({c['detail']})")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"config": _jsonable(asdict(self.config)), "rows": [asdict(r) for r in self.rows],
                "curves": _jsonable(self.curves), "checks": self.checks, "files": list(self.files),
                "seconds": self.seconds}


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


# ---------------------------------------------------------------------------------------------- models
def _make_model(kind: str, task: Task, plan: FormatPlan, seed: int, threads: int | None) -> tuple[Any, str]:
    """A fresh model of ``kind`` for ``task`` and a note on its layout."""
    lin = dict(plan.linear)
    if kind == "mlp":
        params = dict(plan.mlp)
        if params.get("offsets") == "task":  # the offsets the task declares: its layout's union
            del params["offsets"]
            params["layout"] = task.layout()
        params.pop("callback_every", None)
        params.pop("max_steps", None)
        if params.get("window") == "paper":  # the whole context of the paper's CoT, on every format
            params["window"] = get_task("mul-paper", digits=task.digits).length
        return MLPAR(random_state=seed, verbose=0, n_threads=threads, **params), ""
    local = task.offsets is not None  # a local format declares per-class offsets (its layout)
    if local:
        features, note = dict(layout=task.layout()), "per-class offsets"
    else:
        features, note = dict(window=lin.get("window", 8), layout=lin.get("layout")), ""
    if kind == "perceptron":
        extra = {"margin": lin["margin"]} if "margin" in lin else {}
        return PerceptronAR(random_state=seed, max_iter=lin.get("max_iter", 100), **features, **extra), note
    if kind == "least-squares":
        if local:  # one D x D Gram matrix per class would not fit: the union, one block
            features, note = dict(offsets=task.offsets), "union of the task's offsets"
        return LeastSquaresAR(alpha=lin.get("alpha", 1e-3), **features), note
    raise ValueError(f"Unknown model {kind!r}; the models are 'mlp', 'perceptron', 'least-squares'.")


def _n_params(model) -> int:
    """Weights a model uses: all of an MLP's; for a linear model with per-class offsets, only the blocks of
    the offsets each class reads (the others stay zero)."""
    if isinstance(model, MLPAR):
        return int(model.n_parameters_)
    C, D, V = model.coef_.shape
    k = len(model.offsets_)
    return int(model.use_.sum() * (D // k) * V + model.intercept_.size)


def _operands(ds) -> tuple[np.ndarray, np.ndarray]:
    pairs = [s.replace("+", "x").split("x") for s in ds.inputs]
    return np.array([int(p[0]) for p in pairs], np.int64), np.array([int(p[1]) for p in pairs], np.int64)


def _rollout_scores(model, task: Task, test) -> dict:
    """Greedy rollouts from every prompt: exact match of the answer digits, of the whole sequence, and the
    per-digit accuracy by place value."""
    lens = test.lengths
    plen = int(np.count_nonzero(test.kinds[:lens[0]] == 0))
    budget = int(lens.max()) - plen + (1 if model._eos_id() >= 0 else 0)
    outs = model.generate(test, max_new_tokens=budget)
    a, b = _operands(test)
    true = task.true_digits(a, b)
    got = np.array([task.answer_digits(o) for o in outs])
    right = got == true
    cot = np.mean([len(o) == len(test.tokens[test.offsets[s]:test.offsets[s + 1]])
                   and np.array_equal(o, test.tokens[test.offsets[s]:test.offsets[s + 1]]) for s, o in enumerate(outs)])
    return {"exact_match": float(right.all(axis=1).mean()), "cot_exact": float(cot),
            "per_digit": tuple(float(x) for x in right.mean(axis=0))}


def _score(model, task: Task, test) -> dict:
    tf = evaluate(model, test, rollout=False)
    return {"token_accuracy": float(tf.token_accuracy), **_rollout_scores(model, task, test)}


# ---------------------------------------------------------------------------------------------- the run
def _log(verbose: int, msg: str) -> None:
    if verbose:
        print(msg, file=sys.stderr, flush=True)


def _fit(kind: str, task: Task, plan: FormatPlan, cfg: MultiplicationConfig, train, curve_test, key: str,
         verbose: int) -> tuple[Any, float, int, str, list]:
    """Fit one model; (model, training seconds, training examples, note, learning-curve points)."""
    model, note = _make_model(kind, task, plan, cfg.seed, cfg.threads)
    n = len(train)
    if kind != "mlp":
        t0 = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - t0
        if kind == "perceptron":
            state = "converged" if model.converged_ else "not converged"
            note = f"{note}; {model.n_iter_} epochs, {state}".lstrip("; ")
        return model, seconds, n, note, []
    points: list = []
    fit_params = {"callback_every": plan.mlp["callback_every"]} if "callback_every" in plan.mlp else {}
    start = time.perf_counter()

    def processed(m) -> int:
        """Sequence-equivalents processed so far: positions drawn / positions per sequence."""
        per_seq = m.n_train_positions_ / max(1, round(n * (1 - m.validation_fraction)) if m.early_stopping else n)
        return int(round(m.n_steps_ * m.batch_size / per_seq))

    def on_epoch(m, epoch):
        s = _rollout_scores(m, task, curve_test)
        points.append((processed(m), s["exact_match"]))
        _log(verbose, f"  {key}: epoch {epoch:.2f}, train loss {getattr(m, 'running_loss_', float('nan')):.4f}"
                      f", held-out exact {s['exact_match']:.3f}, per-digit "
                      f"{' '.join(f'{x:.2f}' for x in reversed(s['per_digit']))} ({time.perf_counter() - start:.0f}s)")

    max_steps = plan.mlp.get("max_steps")
    if max_steps is not None:  # a budget in optimizer steps: check it often, record the curve at the end
        fit_params = {"callback_every": 10}

        def on_step(m, epoch):
            if m.n_steps_ >= max_steps:
                on_epoch(m, epoch)
                return True
            return False

    model.fit(train, callback=on_epoch if max_steps is None else on_step, **fit_params)
    pairs = int(round(n * (1 - model.validation_fraction))) if model.early_stopping else n
    stop = model.stop_reason_ if max_steps is None or model.stop_reason_ != "callback" else f"{max_steps} steps"
    return (model, model.fit_time_, pairs,
            f"{processed(model):,} sequences processed in {model.n_steps_:,} steps of {model.batch_size} "
            f"positions, stop: {stop}", points)


def _run_plan(plan: FormatPlan, cfg: MultiplicationConfig, verbose: int, rows: list, curves: dict) -> None:
    task = get_task(plan.task, **plan.params)
    seed = cfg.seed
    digits = task.digits
    sizes = tuple(sorted(set(plan.sizes) | {plan.n_train}))
    train_all = task.make_dataset(max(sizes), split="train", random_state=seed)
    if cfg.shuffle_cot:
        train_all = controls.shuffle_cot(train_all, random_state=seed)
    test = task.make_dataset(plan.n_test or cfg.n_test, split="test", random_state=seed + 1, unique=True)
    curve_test = test[:min(cfg.n_curve_test, len(test))]
    longer = {d: get_task(plan.task, **{**plan.params, "digits": d}) for d in plan.lengths}
    long_tests = {d: t.make_dataset(cfg.n_test_long, split="test", random_state=seed + 2 + d, unique=True)
                  for d, t in longer.items()}
    for kind in plan.models:
        key = f"{plan.task} / {kind}"
        curve = curves.setdefault(key, [])
        for n in (sizes if kind != "mlp" else (plan.n_train,)):
            if n != plan.n_train:  # a point of the sample-complexity curve only
                model = _fit(kind, task, plan, cfg, train_all[:n], curve_test, key, verbose)[0]
                curve.append((n, _rollout_scores(model, task, curve_test)["exact_match"]))
                continue
            model, seconds, examples, note, points = _fit(kind, task, plan, cfg, train_all[:n], curve_test, key,
                                                          verbose)
            curve.extend(points)
            s = _score(model, task, test)
            if kind != "mlp":
                curve.append((n, s["exact_match"]))
            positions = int(np.count_nonzero(train_all[:n].kinds))
            common = dict(format=plan.task, model=kind, train_digits=digits, parameters=_n_params(model),
                          train_examples=examples, train_positions=positions, train_time=seconds)
            steps = int(model.n_steps_) if kind == "mlp" else 0
            rows.append(Row(digits=digits, **common, **s, n_test=len(test), note=note, train_steps=steps))
            _log(verbose, f"  {key}: exact {s['exact_match']:.3f}, token acc {s['token_accuracy']:.4f}, "
                          f"{seconds:.1f}s")
            for d, ds in long_tests.items():
                s = _score(model, longer[d], ds)
                rows.append(Row(digits=d, **common, **s, n_test=len(ds), note=f"trained on {digits} digits",
                                train_steps=steps))
                _log(verbose, f"  {key} on {d} digits: exact {s['exact_match']:.3f}")


def _sub(passed: bool, measured: float, threshold: float, detail: str) -> dict:
    """One sub-check: its verdict, the measured value and the fixed threshold it is compared with."""
    return {"passed": bool(passed), "measured": round(float(measured), 6), "threshold": float(threshold),
            "detail": detail}


def _checks(rows: Sequence[Row], cfg: MultiplicationConfig) -> dict:
    """The verdicts, each a measured value against a fixed threshold (``_sub``)."""
    def find(fmt, model, longer=False):
        return [r for r in rows if r.format == fmt and r.model == model and (r.digits != r.train_digits) == longer]

    out = {}
    main, longer = find("mul-local", "perceptron"), find("mul-local", "perceptron", longer=True)
    if main:
        thr = 0.999
        out["local_cot_linear_exact"] = _sub(
            main[0].exact_match >= thr, main[0].exact_match, thr,
            f"perceptron on mul-local, {main[0].digits}-digit held-out pairs: exact match "
            f"{main[0].exact_match:.4f} on {main[0].n_test} (>= {thr})")
    if longer:
        worst = min(r.exact_match for r in longer)
        out["local_cot_linear_longer"] = _sub(
            worst >= 1.0, worst, 1.0, "perceptron on mul-local, longer operands: " + ", ".join(
                f"{r.digits} digits {r.exact_match:.3f}" for r in longer) + " (every length exact: >= 1.0)")
    paper, nocot = find("mul-paper", "mlp"), find("mul-nocot", "mlp")
    pairs = [(p, q) for p in paper for q in nocot if p.digits == q.digits and p.parameters == q.parameters]
    if pairs:
        p, q = pairs[0]
        gap, thr = p.exact_match - q.exact_match, cfg.paper_margin
        out["paper_cot_mlp_beats_nocot"] = _sub(
            gap >= thr, gap, thr,
            f"the same MLP ({p.parameters:,} parameters) on {p.digits}-digit operands, {p.train_steps:,} steps "
            f"each: exact match with the paper's CoT {p.exact_match:.3f}, without CoT {q.exact_match:.3f} "
            f"(difference >= {thr})")
    return out


def run_multiplication(quick: bool = True, *, out_dir: str | os.PathLike | None = None,
                       config: MultiplicationConfig | None = None, formats: Sequence[str] | None = None,
                       mlp_time: float | None = None, seed: int = 0, threads: int | None = None,
                       verbose: int = 1, plots: bool = True, shuffle_cot: bool = False) -> MultiplicationResult:
    """Train the MLP and the linear learners on each format and evaluate them on held-out pairs.

    Parameters
    ----------
    quick : bool
        The quick plan (3-digit local formats and 2-digit paper CoT, small models, under a minute) or the
        full one (4-digit local formats, the 2-digit paper-CoT comparison with 8x the steps).
    out_dir : path, optional
        Where to write ``multiplication.json``, ``multiplication.txt`` and the plots (PNG and SVG), atomically.
        None: write nothing.
    config : MultiplicationConfig, optional
        Overrides ``quick``/``mlp_time``/``seed``.
    formats : sequence of str, optional
        Run only these task formats (e.g. ``["mul-local"]``).
    threads : int, optional
        BLAS threads for the MLP (default: the config's, 1).
    verbose : int
        Progress lines on stderr.
    plots : bool
        Also write the plots (needs matplotlib).
    shuffle_cot : bool, default False
        The negative control: permute the CoT and answer tokens of every training sequence.

    Returns
    -------
    MultiplicationResult
        ``.table()`` is the printed table; ``.checks`` the verdicts.
    """
    t0 = time.perf_counter()
    cfg = config if config is not None else default_config(quick, mlp_time=mlp_time, seed=seed)
    if threads is not None:
        cfg = replace(cfg, threads=threads)
    if shuffle_cot:
        cfg = replace(cfg, shuffle_cot=True)
    plans = [p for p in cfg.plans if formats is None or p.task in formats]
    rows: list[Row] = []
    curves: dict = {}
    for plan in plans:
        _log(verbose, f"{plan.task} ({', '.join(f'{k}={v}' for k, v in plan.params.items())}): "
                      f"{plan.n_train} training pairs, models {', '.join(plan.models)}")
        _run_plan(plan, cfg, verbose, rows, curves)
    checks = _checks(rows, cfg)
    result = MultiplicationResult(cfg, tuple(rows), curves, checks, (), time.perf_counter() - t0)
    if out_dir is not None:
        files = write_outputs(result, out_dir, plots=plots)
        result = replace(result, files=tuple(files), seconds=time.perf_counter() - t0)
    return result


# ---------------------------------------------------------------------------------------------- outputs
def write_outputs(result: MultiplicationResult, out_dir: str | os.PathLike, *, plots: bool = True) -> list[str]:
    """Write the table (text), the result (JSON) and the plots (PNG and SVG) into ``out_dir``, atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [atomic_write(out / "multiplication.txt", lambda f: f.write(result.table() + "\n"), "w"),
             atomic_write(out / "multiplication.json", lambda f: json.dump(result.to_dict(), f, indent=1), "w")]
    if plots:
        files += _plots(result, out)
    return [str(p) for p in files]


# ---------------------------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.multiplication``: exit status 0 when every check passes."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--out", default="results/multiplication", help="output directory (default: %(default)s)")
    ap.add_argument("--formats", default=None, help="comma-separated task formats to run (default: all)")
    ap.add_argument("--mlp-time", type=float, default=None,
                    help="cap in seconds for each paper/no-CoT MLP of the full run (default: none, a step budget)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads for the MLP (default 1)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--probe-digit", type=int, default=None, metavar="J", choices=range(8),
                    help="instead of the experiment: learn answer digit J (0 = most significant) of the paper's "
                         "CoT alone (digit_probe) and print its learning curve")
    ap.add_argument("--probe-time", type=float, default=300.0, help="seconds of the digit probe")
    args = ap.parse_args(argv)
    for name in ("mlp_time", "probe_time"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            ap.error(f"argument --{name.replace('_', '-')}: expected a positive number of seconds, got {value}")
    if args.probe_digit is not None:
        r = digit_probe(args.probe_digit, max_time=args.probe_time, seed=args.seed, verbose=0 if args.quiet else 1)
        print(json.dumps(r.to_dict(), indent=1) if args.json else "\n".join(curve_lines(r)))
        return 0
    formats = [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats is not None else None
    if formats is not None:
        known = list(dict.fromkeys(p.task for p in default_config(args.quick).plans))
        unknown = [f for f in formats if f not in known]
        if unknown or not formats:
            ap.error(f"argument --formats: expected comma-separated task formats from {', '.join(known)}; "
                     f"got {args.formats!r}")
    result = run_multiplication(args.quick, out_dir=args.out, formats=formats, mlp_time=args.mlp_time,
                                seed=args.seed, threads=args.threads, verbose=0 if args.quiet else 1)
    print(json.dumps(result.to_dict(), indent=1) if args.json else result.table())
    return 0 if all(c["passed"] for c in result.checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
