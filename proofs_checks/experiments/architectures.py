"""Experiment: does the architecture matter? A linear learner (margin perceptron over discovered features), a
window MLP (:class:`learners.MLPAR`) and a causal transformer (:class:`learners.TransformerAR`) trained on
the same CoT data with the same budget, and the CoT ablations (a fraction of the sequences with CoT, the CoT
out of the loss, the CoT thinned).

The claim, fixed before measuring: *with the CoT, every architecture reaches exact in-distribution
emulation within the budget; without it, none does*. :func:`run_architectures` measures it and reports
whatever comes out.

Protocol (the earned-length-generalisation one of ``learned_emulation``):

- **data**: per dataset, ``n_train`` training and ``n_valid`` validation inputs of the training lengths
  (distinct, disjoint), and ``n_test`` inputs of each longer test length. Row layouts (``tableau``,
  ``tableau-triples``, ``snapshots``) are fixed *before* any test input is drawn, from the declared
  ``max_length`` and the training runs: width = ``max_length`` + the widest overhang of a training run
  + ``2 * slack``. Test runs that leave that layout are dropped (counted in ``dropped``).
- **budget**: every model sees the same ``n_train`` sequences, ``epochs`` times (``epochs * n_train``
  sequences: the *samples*), in ``steps`` optimiser steps: the transformer takes ``epochs * n_train /
  steps`` sequences a step, the MLP a batch of windows sized so that its epochs take ``steps`` steps, the
  perceptron at most ``epochs`` passes (one update per mistake; it stops at its first pass without one).
  Wall time is recorded, never used, so a seed fixes every number but ``train_seconds``.
- **exact match** is measured teacher-forced: a sequence whose every teacher-forced target is right is
  exactly what the greedy rollout writes, and the converse (``docs/theory.md#teacher-forcing-and-rollout``),
  so this is the rollout's exact match, for one forward pass. *Answer exact* (the ablations): the greedy
  rollout is the CoT sequence or the prompt -> answer sequence of that input (both end in the answer).
- **samples to exact**: samples seen when the validation exact match first reached ``threshold`` (checked
  every ``eval_every`` steps; the model stops there), None when it never did within the budget.

Run it as ``proofs-checks run architectures [--quick]`` or ``python -m proofs_checks.experiments.architectures
[--quick] [--json] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from learners import MLPAR, TransformerAR
from learners.data import Sequences
from learners.discovery import discover_layout
from tmsim.encodings import PositionLayout

from ..errors import CheckError
from ..plots import new_figure
from ._architectures_data import MACHINE_ENCODINGS, _Data, build_data, direct, loss_masked, mix
from .learned_emulation import default_learner

__all__ = ["ArchitecturesConfig", "ArchitecturesResult", "run_architectures", "figures", "build_data", "direct", "mix",
           "loss_masked", "QUICK", "FULL", "main"]

MODELS = ("linear", "mlp", "transformer")
ZOO = ("zoo:parity", "zoo:binary-increment", "zoo:palindrome")
RANDOM = ("random:0", "random:1", "random:2")
#: Every machine in every encoding, then the two non-machine CoT tasks.
FULL_DATASETS = tuple(f"{m}/{e}" for m in ZOO + RANDOM for e in MACHINE_ENCODINGS) + ("task:parity", "task:mul-local")
#: The keys of every row of ``rows`` (the JSON the check prints).
ROW_KEYS = ("dataset", "model", "samples_to_exact", "exact_by_length", "parameters", "train_seconds")


@dataclass(frozen=True)
class ArchitecturesConfig:
    """Everything the study depends on (the seed fixes every number but the wall times)."""

    datasets: tuple[str, ...] = FULL_DATASETS  # "zoo:NAME/ENC", "random:SEED/ENC", "task:parity", "task:mul-local"
    models: tuple[str, ...] = MODELS
    train_lengths: tuple[int, int] = (1, 6)  # 126 binary inputs: room for 96 + 24 distinct ones
    test_lengths: tuple[int, int] = (7, 8)  # past the training lengths: generalisation, not interpolation
    max_length: int = 8  # declared before the test inputs are drawn: it fixes the row width
    n_train: int = 96  # the same training sequences for every model
    n_valid: int = 24  # "99% exact" on 24 held-out inputs means all of them
    n_test: int = 16  # per longer length
    parity_bits: int = 8  # task:parity: n input bits (one length; each n has its own subset)
    mul_digits: tuple[int, int] = (2, 2)  # task:mul-local: operand digits trained on ...
    mul_test_digits: tuple[int, ...] = (3,)  # ... and tested on (the width holds max of both)
    epochs: int = 50  # passes over the training sequences: samples = epochs * n_train (the full study's 25 minutes)
    steps: int = 300  # optimiser steps of the gradient models (transformer batch = samples / steps = 16)
    eval_every: int = 50  # steps between validation checks (samples to exact, to this resolution)
    threshold: float = 0.99  # in-distribution exact match that counts as "exact"
    slack: int = 2  # spare cells on each side: with 1, tableau-triples heads of long runs reach a boundary column
    cot_fraction: float = 1.0  # the "with CoT" condition; the negative control sets 0 (no CoT)
    fractions: tuple[float, ...] = (0.1, 0.5)  # ablation: fraction of training sequences with CoT (0, 1: main runs)
    thin_every: tuple[int, ...] = (2, 4)  # ablation: snapshots every k steps (machine tableau datasets only)
    loss_mask_ablation: bool = True  # ablation: CoT in context, out of the loss
    ablation_datasets: tuple[str, ...] = ("zoo:binary-increment/tableau", "task:parity")
    d_model: int = 64  # transformer: 2 layers, 4 heads, learned positions (chosen by validation pilots: README)
    n_layers: int = 2
    transformer_lr: float = 1e-2
    transformer_warmup: float = 0.5  # fraction of the steps warming up, then cosine decay (validation pilots: README)
    mlp_hidden: tuple[int, ...] = (128,)
    mlp_lr: float = 3e-3
    seed: int = 0


QUICK = ArchitecturesConfig(datasets=("task:parity", "zoo:parity/tableau-triples"), ablation_datasets=("task:parity",),
                            thin_every=())
FULL = ArchitecturesConfig()


def _first_right(model: Any, seqs: Sequences) -> np.ndarray:
    """Per sequence: the first target (the token after the prompt) predicted right from the prompt."""
    plen = seqs.prompt_lengths()
    starts = seqs.offsets[:-1]
    take = np.concatenate([np.arange(s, s + p + 1) for s, p in zip(starts, plen)])
    off = np.concatenate([[0], np.cumsum(plen + 1)]).astype(np.int64)
    kinds = np.zeros(len(take), np.uint8)
    kinds[off[1:] - 1] = 1
    head = Sequences(seqs.tokens[take], off, kinds, seqs.vocab_size, seqs.vocabulary)
    return model.predict(head) == seqs.tokens[starts + plen]


def _correct(model: Any, seqs: Sequences, *, given_cot: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per sequence: every teacher-forced target right (= the greedy rollout is this sequence), and (with
    ``given_cot``) every answer target right given the true prefix. Without ``given_cot`` only the sequences
    whose first target is right are scored in full (the others cannot be exact)."""
    n = len(seqs)
    exact, ans = np.zeros(n, bool), np.zeros(n, bool)
    rows = np.arange(n) if given_cot else np.flatnonzero(_first_right(model, seqs))
    if not len(rows):
        return exact, ans
    sub = seqs.subset(rows)
    target = sub.kinds != 0
    sid = np.repeat(np.arange(len(sub)), np.diff(sub.offsets))[target]
    wrong = model.predict(sub) != sub.tokens[target]
    is_ans = sub.kinds[target] == 2
    exact[rows] = np.bincount(sid[wrong], minlength=len(sub)) == 0
    ans[rows] = np.bincount(sid[wrong & is_ans], minlength=len(sub)) == 0
    return exact, ans


def _scores(model: Any, seqs: Sequences, *, given_cot: bool = False) -> dict:
    """``exact`` (the rollout is the CoT sequence), ``answer_exact`` (it is the CoT or the prompt -> answer
    sequence) and, with ``given_cot``, ``answer_given_cot`` (teacher-forced answer right after the true CoT)."""
    exact, ans_given = _correct(model, seqs, given_cot=given_cot)
    dexact, _ = _correct(model, direct(seqs))
    out = {"exact": float(exact.mean()), "answer_exact": float((exact | dexact).mean())}
    if given_cot:
        out["answer_given_cot"] = float(ans_given.mean())
    return out


# ---------------------------------------------------------------------------------------------- models
def _parameters(model: Any) -> int:
    if hasattr(model, "n_parameters_"):
        return int(model.n_parameters_)
    return int(model.coef_.size + model.intercept_.size)


def _discovered(train: Sequences, layout: PositionLayout, seed: int) -> tuple[PositionLayout, int]:
    """``discover_layout(train, layout).layout`` made fit for a learner, and the window it searched: a class
    whose next token discovery found constant (no offset) reads offset 1, and a class it could not decide
    (its greedy search stalls on an AND of several tokens) reads the whole window."""
    window = layout.period + 1 if (layout.period or 1) > 1 else 16
    rep = discover_layout(train, layout, window=window, random_state=seed)
    full = tuple(range(1, window + 1))
    offsets = tuple(full if c.conflicts else (c.offsets or (1,)) for c in rep.classes)
    return dataclasses.replace(rep.layout, offsets=offsets), window


def _linear(train: Sequences, layout: PositionLayout, cfg: ArchitecturesConfig):
    """The margin perceptron over discovered features. Discovery finds the smallest offset sets on which the
    next token is a *function*; that function need not be linear (parity's count CoT: the 2s digit is a
    function of the subset bits alone, but a linear threshold only with the 4s digit too). A class the
    perceptron cannot fit on its training positions is given the whole window, and the perceptron refit
    (the features stay what the training data alone says)."""
    found, window = _discovered(train, layout, cfg.seed)
    model = default_learner(cfg.seed).set_params(layout=found, max_iter=cfg.epochs).fit(train)
    target = train.kinds != 0
    pos = (np.arange(len(train.tokens)) - np.repeat(train.offsets[:-1], np.diff(train.offsets)))[target]
    wrong = model.predict(train) != train.tokens[target]
    bad = set(np.asarray(found.classes)[pos[wrong] % found.period].tolist()) if found.period else set()
    if bad:
        full = tuple(range(1, window + 1))
        wider = dataclasses.replace(found, offsets=tuple(full if c in bad else o for c, o in enumerate(found.offsets)))
        model = default_learner(cfg.seed).set_params(layout=wider, max_iter=cfg.epochs).fit(train)
    return model


def _fit(kind: str, train: Sequences, valid: Sequences, data: _Data, cfg: ArchitecturesConfig, metric: str) -> dict:
    """Train one model within the budget; stop at the first validation check that reaches the threshold."""
    samples_per_step = cfg.epochs * cfg.n_train / cfg.steps
    first: list = []

    def reached(model) -> bool:
        return _scores(model, valid)[metric] >= cfg.threshold

    t0 = time.perf_counter()
    if kind == "linear":
        model = _linear(train, data.layout, cfg)
        seconds = time.perf_counter() - t0
        if reached(model):
            first.append(model.n_iter_ * len(train))
        steps = int(model.n_iter_)
    elif kind == "mlp":
        positions = int(np.count_nonzero(train.kinds))
        batch = max(1, math.ceil(positions * cfg.epochs / cfg.steps))  # epochs * positions in `steps` steps

        def cb(model, epoch):
            if model.n_steps_ % cfg.eval_every == 0 and reached(model):
                first.append(int(round(epoch * len(train))))
                return True
            return False

        model = MLPAR(embedding_dim=16, window=data.window, hidden_layer_sizes=cfg.mlp_hidden, learning_rate=cfg.mlp_lr,
                      batch_size=batch, max_epochs=cfg.epochs, early_stopping=False, validation_fraction=0.0,
                      verbose=0, random_state=cfg.seed)
        model.fit(train, callback=cb, callback_every=cfg.eval_every)
        seconds = float(model.fit_time_)
        steps = int(model.n_steps_)
        if not first and reached(model):
            first.append(int(round(model.n_epochs_ * len(train))))
    elif kind == "transformer":
        batch = int(round(samples_per_step))

        def cb(model, step):
            if reached(model):
                first.append(step * batch)
                return True
            return False

        # Learned positions for twice the longest training sequence: longer test sequences are read whole (their
        # late positions were never trained: the known limit of learned absolute positions), not re-cropped.
        context = 2 * int(np.diff(train.offsets).max())
        model = TransformerAR(n_layers=cfg.n_layers, d_model=cfg.d_model, n_heads=4, learning_rate=cfg.transformer_lr,
                              warmup=cfg.transformer_warmup, batch_size=batch, max_steps=cfg.steps, context=context,
                              random_state=cfg.seed)
        model.fit(train, callback=cb, callback_every=cfg.eval_every)
        seconds = float(model.fit_time_)
        steps = int(model.n_steps_)
        if not first and reached(model):
            first.append(steps * batch)
    else:
        raise CheckError(f"architectures: unknown model {kind!r}; the models are {MODELS}.")
    return {"model": model, "samples_to_exact": first[0] if first else None, "train_seconds": round(seconds, 2),
            "steps": steps}


def _run(data: _Data, kind: str, cfg: ArchitecturesConfig, condition: str, train: Sequences, metric: str) -> dict:
    fit = _fit(kind, train, data.valid, data, cfg, metric)
    model = fit.pop("model")
    by_len = {str(n): _scores(model, s)[metric] for n, s in sorted({**data.valid_by_length, **data.tests}.items())}
    valid = _scores(model, data.valid, given_cot=condition == "loss-mask")
    return {"dataset": data.name, "model": kind, "condition": condition, **fit, "parameters": _parameters(model),
            "exact_by_length": by_len, "valid": valid, "train_sequences": len(train),
            "train_tokens": int(len(train.tokens)), "dropped": data.dropped}


# ---------------------------------------------------------------------------------------------- the study
@dataclass(frozen=True)
class ArchitecturesResult:
    """What :func:`run_architectures` measured.

    Attributes
    ----------
    config : ArchitecturesConfig
    rows : list of dict
        One per (dataset, model) of the main condition (``cot_fraction``), with exactly :data:`ROW_KEYS`.
    runs : list of dict
        Every run (main, no CoT, ablations): condition, steps, validation scores, exact by length, ...
    passed : bool
        The claim: every model exact in distribution with the CoT, none without it.
    verdict : str
    seconds : float
    """

    config: ArchitecturesConfig
    rows: list
    runs: list
    passed: bool
    verdict: str
    measured: dict
    seconds: float

    def table(self) -> str:
        lines = [f"{'dataset':34s} {'model':12s} {'cond':10s} {'samples':>8s} {'valid':>6s} {'ans':>6s} "
                 f"{'params':>8s} {'sec':>6s}  exact by length"]
        for r in self.runs:
            s = "-" if r["samples_to_exact"] is None else str(r["samples_to_exact"])
            curve = " ".join(f"{k}:{v:.2f}" for k, v in r["exact_by_length"].items())
            lines.append(f"{r['dataset']:34s} {r['model']:12s} {r['condition']:10s} {s:>8s} "
                         f"{r['valid']['exact']:6.3f} {r['valid']['answer_exact']:6.3f} {r['parameters']:8d} "
                         f"{r['train_seconds']:6.1f}  {curve}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"claim": CLAIM, "passed": self.passed, "verdict": self.verdict, "measured": self.measured,
                "rows": self.rows, "runs": self.runs, "config": dataclasses.asdict(self.config),
                "seconds": round(self.seconds, 1)}


CLAIM = ("With the CoT, every architecture reaches exact in-distribution emulation within the budget; without it, "
         "none does.")


def _check(cfg: ArchitecturesConfig) -> None:
    for name in ("n_train", "n_valid", "n_test", "epochs", "steps", "eval_every", "max_length"):
        if not isinstance(getattr(cfg, name), int) or getattr(cfg, name) < 1:
            raise CheckError(f"architectures: {name} must be an int >= 1. Got {getattr(cfg, name)!r}.")
    if (cfg.epochs * cfg.n_train) % cfg.steps:
        raise CheckError(f"architectures: epochs * n_train ({cfg.epochs * cfg.n_train}) must be a multiple of steps "
                         f"({cfg.steps}), so that every step of the transformer takes the same number of sequences.")
    if cfg.max_length < cfg.test_lengths[1]:
        raise CheckError(f"architectures: max_length ({cfg.max_length}) must hold the test lengths {cfg.test_lengths}.")
    if not 0.0 <= cfg.cot_fraction <= 1.0:
        raise CheckError(f"architectures: cot_fraction must be in [0, 1]. Got {cfg.cot_fraction!r}.")
    bad = sorted(set(cfg.models) - set(MODELS))
    if bad:
        raise CheckError(f"architectures: unknown model(s) {bad}; the models are {MODELS}.")


def run_architectures(cfg: ArchitecturesConfig = QUICK, *, progress: bool = False) -> ArchitecturesResult:
    """Run the study of ``cfg``: every model on every dataset with the CoT (``cot_fraction``) and without
    (fraction 0), then the ablations on ``ablation_datasets``."""
    _check(cfg)
    t0 = time.perf_counter()
    runs: list = []

    def record(r: dict) -> None:
        runs.append(r)
        if progress:
            s = r["samples_to_exact"]
            print(f"[{time.perf_counter() - t0:7.1f} s] {r['dataset']} / {r['model']} / {r['condition']}: valid exact "
                  f"{r['valid']['exact']:.3f} answer {r['valid']['answer_exact']:.3f}, samples to exact {s}, "
                  f"{r['train_seconds']:.1f} s", file=sys.stderr, flush=True)

    main_metric = "exact" if cfg.cot_fraction == 1.0 else "answer_exact"
    for spec in cfg.datasets:
        data = build_data(spec, cfg)
        for kind in cfg.models:
            record(_run(data, kind, cfg, f"f={cfg.cot_fraction:g}", mix(data.train, cfg.cot_fraction, cfg.seed),
                        main_metric))
            if cfg.cot_fraction != 0.0:
                record(_run(data, kind, cfg, "f=0", direct(data.train), "answer_exact"))
            if spec in cfg.ablation_datasets:
                for f in cfg.fractions:
                    record(_run(data, kind, cfg, f"f={f:g}", mix(data.train, f, cfg.seed), "answer_exact"))
                if cfg.loss_mask_ablation:
                    record(_run(data, kind, cfg, "loss-mask", loss_masked(data.train), "exact"))
        if spec in cfg.ablation_datasets and spec.endswith("/tableau"):
            for k in cfg.thin_every:
                thin = build_data(spec, cfg, every=k)
                for kind in cfg.models:
                    r = _run(thin, kind, cfg, f"thin={k}", thin.train, "exact")
                    r["dataset"] = spec
                    record(r)
    main = [r for r in runs if r["condition"] == f"f={cfg.cot_fraction:g}"]
    rows = [{k: r[k] for k in ROW_KEYS} for r in main]
    nocot = [r for r in runs if r["condition"] == "f=0"]
    with_ok = [r for r in main if r["valid"][main_metric] >= cfg.threshold]
    without_ok = [r for r in nocot if r["valid"]["answer_exact"] >= cfg.threshold]
    passed = bool(main) and len(with_ok) == len(main) and not without_ok
    verdict = (f"with the CoT (f={cfg.cot_fraction:g}) {len(with_ok)}/{len(main)} (dataset, model) pairs reached "
               f"{cfg.threshold:.0%} exact in distribution within {cfg.epochs * cfg.n_train} samples; without it "
               f"{len(without_ok)}/{len(nocot)} did")
    fails = [f"{r['dataset']}/{r['model']}" for r in main if r not in with_ok]
    if fails:
        verdict += f" (not exact with the CoT: {', '.join(fails[:8])}{' ...' if len(fails) > 8 else ''})"
    if without_ok:
        verdict += f" (exact without it: {', '.join(r['dataset'] + '/' + r['model'] for r in without_ok)})"
    measured = {"with_cot_exact": f"{len(with_ok)}/{len(main)}", "without_cot_exact": f"{len(without_ok)}/{len(nocot)}"}
    for kind in cfg.models:
        mine = [r for r in main if r["model"] == kind]
        measured[f"{kind}_with_cot_exact"] = f"{sum(r in with_ok for r in mine)}/{len(mine)}"
    return ArchitecturesResult(cfg, rows, runs, passed, verdict, measured, time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------- figures
def figures(result: ArchitecturesResult) -> dict:
    """Exact match by input length (one panel per dataset), samples to exact, and the ablations."""
    cfg = result.config
    figs = {}
    main = [r for r in result.runs if r["condition"] == f"f={cfg.cot_fraction:g}"]
    names = list(dict.fromkeys(r["dataset"] for r in main))
    cols = min(3, max(1, len(names)))
    rows_n = math.ceil(len(names) / cols) if names else 1
    fig, _ = new_figure((4.0 * cols, 2.8 * rows_n))
    fig.clear()
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows_n, cols, i + 1)
        ax.grid(alpha=0.3)
        for r in main:
            if r["dataset"] == name:
                xs = [int(k) for k in r["exact_by_length"]]
                ax.plot(xs, list(r["exact_by_length"].values()), marker="o", label=r["model"])
        if name.startswith("zoo") or name.startswith("random"):
            ax.axvline(cfg.train_lengths[1] + 0.5, color="grey", ls=":", lw=1)
        ax.set_title(name, fontsize=8)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("input length (digits for mul-local); dotted: longest trained", fontsize=7)
        ax.set_ylabel("exact match (greedy rollout)", fontsize=7)
        ax.legend(fontsize=6, title="model", title_fontsize=6)
    fig.tight_layout()
    figs["architectures_exact_by_length"] = fig

    budget = cfg.epochs * cfg.n_train
    fig, ax = new_figure((max(7.0, 0.45 * len(names) * len(cfg.models)), 4.5))
    width = 0.8 / max(1, len(cfg.models))
    for j, kind in enumerate(cfg.models):
        ys = [next((r["samples_to_exact"] for r in main if r["dataset"] == n and r["model"] == kind), None) for n in names]
        xs = [i + j * width for i, y in enumerate(ys) if y is not None]
        ax.bar(xs, [y for y in ys if y is not None], width=width, label=kind)
        ax.plot([i + j * width for i, y in enumerate(ys) if y is None], [budget] * sum(y is None for y in ys), "x",
                color=f"C{j}", ls="none")
    ax.axhline(budget, color="grey", ls=":", lw=1, label=f"budget ({budget} samples); x: not exact within it")
    ax.set_xticks([i + width * (len(cfg.models) - 1) / 2 for i in range(len(names))])
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=6)
    ax.set_yscale("log")
    ax.set_ylabel(f"samples to {cfg.threshold:.0%} exact (training sequences seen)")
    ax.set_xlabel("dataset")
    ax.legend(fontsize=7)
    ax.set_title("Samples to exact in-distribution emulation, with the CoT")
    fig.tight_layout()
    figs["architectures_samples_to_exact"] = fig

    runs = result.runs
    abl = [d for d in cfg.ablation_datasets if d in names]
    if abl:
        fig, ax = new_figure()
        for d in abl:
            for kind in cfg.models:
                xy = sorted((float(r["condition"][2:]), r["valid"]["answer_exact"]) for r in runs
                            if r["dataset"] == d and r["model"] == kind and r["condition"].startswith("f="))
                ax.plot(*zip(*xy), marker="o", label=f"{d} / {kind}")
        ax.set_xlabel("fraction f of training sequences with CoT (the rest prompt -> answer)")
        ax.set_ylabel("in-distribution answer exact match (greedy rollout)")
        ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=6, title="dataset / model", title_fontsize=6)
        ax.set_title("CoT ablation: fraction of sequences with CoT")
        figs["architectures_ablation_fraction"] = fig
    thin = [d for d in abl if any(r["dataset"] == d and r["condition"].startswith("thin=") for r in runs)]
    if thin:
        fig, ax = new_figure()
        for d in thin:
            for kind in cfg.models:
                xy = sorted((1 if r["condition"] == "f=1" else int(r["condition"][5:]), r["valid"]["exact"]) for r in runs
                            if r["dataset"] == d and r["model"] == kind and r["condition"] in
                            ("f=1",) + tuple(f"thin={k}" for k in cfg.thin_every))
                ax.plot(*zip(*xy), marker="o", label=f"{d} / {kind}")
        ax.set_xlabel("CoT thinned: one tape snapshot every k steps (k = 1: every step, the full tableau)")
        ax.set_ylabel("in-distribution exact match (greedy rollout)")
        ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=6, title="dataset / model", title_fontsize=6)
        ax.set_title("CoT ablation: thinning")
        figs["architectures_ablation_thinning"] = fig
    return figs


# ---------------------------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.architectures [--quick] [--json] [--out DIR]``: the table (or the
    JSON); exit status 0 when the claim held, 1 when it did not."""
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.architectures",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 datasets, about two minutes (default: the full study)")
    ap.add_argument("--no-cot", action="store_true", help="the negative control: the main condition without CoT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--out", default=None, metavar="DIR", help="also write architectures.json, .txt and the figures")
    ap.add_argument("--quiet", action="store_true", help="no progress line per run on stderr")
    args = ap.parse_args(argv)
    cfg = dataclasses.replace(QUICK if args.quick else FULL, seed=args.seed,
                              **({"cot_fraction": 0.0} if args.no_cot else {}))
    try:
        result = run_architectures(cfg, progress=not args.quiet)
    except CheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "architectures.json").write_text(json.dumps(result.to_dict(), indent=1, default=str))
        (out / "architectures.txt").write_text(result.table() + "\n\n" + result.verdict + "\n")
        for name, fig in figures(result).items():
            fig.savefig(out / f"{name}.png", dpi=110)
            fig.savefig(out / f"{name}.svg")
    print(json.dumps(result.to_dict(), indent=1, default=str) if args.json else
          f"{result.table()}\n\n{'PASS' if result.passed else 'FAIL'}: {result.verdict} ({result.seconds:.0f} s)")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
