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

from learners import MLPAR, TransformerAR, as_sequences
from learners.data import Sequences
from learners.discovery import discover_layout
from tmsim.datasets import make_dataset
from tmsim.datasets.tasks import ParityTask, get_task
from tmsim.encodings import PositionLayout, Vocabulary, get_encoding
from tmsim.zoo.random import random_halting_machine

from ..errors import CheckError
from ..plots import new_figure
from .learned_emulation import default_learner

__all__ = ["ArchitecturesConfig", "ArchitecturesResult", "run_architectures", "figures", "QUICK", "FULL", "main"]

MODELS = ("linear", "mlp", "transformer")
MACHINE_ENCODINGS = ("tableau", "tableau-triples", "transitions")
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
    test_lengths: tuple[int, int] = (7, 9)  # past the training lengths: generalisation, not interpolation
    max_length: int = 9  # declared before the test inputs are drawn: it fixes the row width
    n_train: int = 96  # the same training sequences for every model
    n_valid: int = 24  # "99% exact" on 24 held-out inputs means all of them
    n_test: int = 16  # per longer length
    parity_bits: int = 8  # task:parity: n input bits (one length; each n has its own subset)
    mul_digits: tuple[int, int] = (2, 2)  # task:mul-local: operand digits trained on ...
    mul_test_digits: tuple[int, ...] = (3,)  # ... and tested on (the width holds max of both)
    epochs: int = 50  # passes over the training sequences: samples = epochs * n_train
    steps: int = 300  # optimiser steps of the gradient models (transformer batch = samples / steps)
    eval_every: int = 50  # steps between validation checks (samples to exact, to this resolution)
    threshold: float = 0.99  # in-distribution exact match that counts as "exact"
    slack: int = 2  # spare cells on each side of the row layout
    cot_fraction: float = 1.0  # the "with CoT" condition; the negative control sets 0 (no CoT)
    fractions: tuple[float, ...] = (0.1, 0.5)  # ablation: fraction of training sequences with CoT (0, 1: main runs)
    thin_every: tuple[int, ...] = (2, 4)  # ablation: snapshots every k steps (machine tableau datasets only)
    loss_mask_ablation: bool = True  # ablation: CoT in context, out of the loss
    ablation_datasets: tuple[str, ...] = ("zoo:binary-increment/tableau", "random:0/tableau", "task:parity")
    d_model: int = 32  # transformer: 2 layers, 4 heads, learned positions (the fastest learner measured)
    n_layers: int = 2
    transformer_lr: float = 1e-2
    mlp_hidden: tuple[int, ...] = (128,)
    mlp_lr: float = 3e-3
    seed: int = 0


QUICK = ArchitecturesConfig(datasets=("task:parity", "zoo:parity/tableau-triples"), ablation_datasets=("task:parity",),
                            thin_every=())
FULL = ArchitecturesConfig()


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class _Data:
    """One dataset in CoT format: train / valid (training lengths) and test sequences per longer length, plus
    the layout discovery starts from and the MLP's window."""

    name: str
    train: Sequences
    valid: Sequences
    tests: dict  # length -> Sequences
    valid_by_length: dict  # length -> Sequences (the validation inputs of that length)
    layout: PositionLayout
    window: int
    dropped: int = 0
    note: str = ""


def _concat(parts: Sequence[Sequences]) -> Sequences:
    parts = [p for p in parts if len(p)]
    off = [np.zeros(1, np.int64)]
    base = 0
    for p in parts:
        off.append(p.offsets[1:] + base)
        base += int(p.offsets[-1])
    return Sequences(np.concatenate([p.tokens for p in parts]).astype(np.int32), np.concatenate(off),
                     np.concatenate([p.kinds for p in parts]).astype(np.uint8), parts[0].vocab_size,
                     parts[0].vocabulary)


def _by_length(seqs: Sequences, lengths: np.ndarray) -> dict:
    return {int(n): seqs.subset(np.flatnonzero(lengths == n)) for n in np.unique(lengths)}


def _input_lengths(ds: Any) -> np.ndarray:
    """Input length of every sample (``Dataset.lengths`` counts tokens)."""
    return np.array([len(x) for x in ds.inputs], dtype=np.int64)


def _machine_source(spec: str) -> Any:
    kind, _, value = spec.partition(":")
    if kind == "random":
        return random_halting_machine(int(value))
    if kind != "zoo":
        raise CheckError(f"architectures: dataset {spec!r} must be 'zoo:NAME/ENC', 'random:SEED/ENC' or 'task:NAME'.")
    return spec


def _layout_spec(src: Any, enc: str, cfg: ArchitecturesConfig, every: int | None = None) -> tuple[str, int]:
    """The encoding spec with its row layout fixed from the training runs and the declared max_length."""
    base = "tableau" if enc.startswith("snapshots") else enc
    if base == "transitions":
        return "transitions", 0
    probe = make_dataset(src, base, n=cfg.n_train + cfg.n_valid, lengths=cfg.train_lengths, random_state=cfg.seed,
                         unique=True)
    over = int(np.max(probe.width - _input_lengths(probe)))
    W = cfg.max_length + over + 2 * cfg.slack
    left = int(np.max(probe.left)) + cfg.slack
    name = base if every is None else "snapshots"
    extra = "" if every is None else f",every={every}"
    return f"{name}(width={W},left={left}{extra})", W


def _machine_data(spec: str, cfg: ArchitecturesConfig, every: int | None = None) -> _Data:
    machine, enc = spec.split("/")
    src = _machine_source(machine)
    enc_spec, W = _layout_spec(src, enc, cfg, every)
    both = make_dataset(src, enc_spec, n=cfg.n_train + cfg.n_valid, lengths=cfg.train_lengths, random_state=cfg.seed,
                        unique=True)
    seqs = as_sequences(both)
    train, valid = seqs.subset(np.arange(cfg.n_train)), seqs.subset(np.arange(cfg.n_train, len(seqs)))
    tests, dropped = {}, 0
    for n in range(cfg.test_lengths[0], cfg.test_lengths[1] + 1):
        d = make_dataset(src, enc_spec, n=cfg.n_test, lengths=(n, n), random_state=cfg.seed + 1000 + n,
                         on_timeout="drop")
        dropped += int(d.dropped)
        if len(d):
            tests[n] = as_sequences(d)
    layout = get_encoding(enc_spec).layout() if W else PositionLayout.shift_invariant()
    window = layout.period + 2 if layout.period and layout.period > 1 else 16
    return _Data(spec if every is None else f"{spec} every {every}", train, valid, tests,
                 _by_length(valid, _input_lengths(both)[cfg.n_train:]), layout, window, dropped)


def _with_eos(seqs: Sequences, vocab: Vocabulary) -> Sequences:
    """Parity sequences have no end token; one is appended (kind 2) so that a rollout's length is the
    model's own choice, as in every other dataset (needed once CoT and direct sequences are mixed)."""
    n = len(seqs)
    lens = np.diff(seqs.offsets)
    tok = np.insert(seqs.tokens, seqs.offsets[1:], vocab.id("<eos>"))
    kinds = np.insert(seqs.kinds, seqs.offsets[1:], 2)
    off = seqs.offsets + np.arange(n + 1)
    assert len(tok) == int(lens.sum()) + n
    return Sequences(tok.astype(np.int32), off, kinds.astype(np.uint8), len(vocab), vocab)


def _parity_data(cfg: ArchitecturesConfig) -> _Data:
    task = ParityTask(n=cfg.parity_bits, fmt="count", random_state=cfg.seed)
    vocab = Vocabulary(task.vocabulary.tokens + ("<eos>",), "parity+eos")
    n = cfg.parity_bits
    need = cfg.n_train + cfg.n_valid
    if need > 2 ** n:
        raise CheckError(f"architectures: task:parity with parity_bits={n} has {2 ** n} inputs, fewer than "
                         f"n_train + n_valid = {need}.")
    pick = np.random.default_rng(cfg.seed).permutation(2 ** n)[:need]
    bits = ((pick[:, None] >> np.arange(n)) & 1).astype(np.uint8)
    seqs = _with_eos(as_sequences(task.encode(bits)), vocab)
    L = task.length + 1
    names = ["prompt"] * task.prompt_length + [f"cot:{j}" for j in range(task.cot_length)] + ["eos"]
    layout = PositionLayout.from_classes(L, names)
    valid = seqs.subset(np.arange(cfg.n_train, need))
    return _Data("task:parity", seqs.subset(np.arange(cfg.n_train)), valid, {}, {n: valid}, layout, L,
                 note=f"{n} bits, one length: each n has its own subset, so there is no longer length")


def _mul_data(cfg: ArchitecturesConfig) -> _Data:
    digits = list(range(cfg.mul_digits[0], cfg.mul_digits[1] + 1))
    width = 2 * max(digits + list(cfg.mul_test_digits)) + 1
    k = len(digits)
    per = [cfg.n_train // k + (i < cfg.n_train % k) for i in range(k)]
    per_v = [cfg.n_valid // k + (i < cfg.n_valid % k) for i in range(k)]
    train, valid, vby = [], [], {}
    for i, d in enumerate(digits):
        task = get_task("mul-local", digits=d, width=width)
        train.append(as_sequences(task.make_dataset(per[i], split="train", random_state=cfg.seed + d, unique=True)))
        v = as_sequences(task.make_dataset(per_v[i], split="test", random_state=cfg.seed + d, unique=True))
        valid.append(v)
        vby[d] = v
    tests = {d: as_sequences(get_task("mul-local", digits=d, width=width).make_dataset(
        cfg.n_test, split=None, random_state=cfg.seed + 1000 + d)) for d in cfg.mul_test_digits}
    task = get_task("mul-local", digits=digits[0], width=width)
    return _Data("task:mul-local", _concat(train), _concat(valid), tests, vby, task.layout(), task.layout().period + 2,
                 note=f"width {width}: operand digits {digits} -> {list(cfg.mul_test_digits)}")


def build_data(spec: str, cfg: ArchitecturesConfig, every: int | None = None) -> _Data:
    """The dataset ``spec`` (see :attr:`ArchitecturesConfig.datasets`) in CoT format."""
    if spec == "task:parity":
        return _parity_data(cfg)
    if spec == "task:mul-local":
        return _mul_data(cfg)
    if "/" not in spec or spec.split("/")[1] not in MACHINE_ENCODINGS:
        raise CheckError(f"architectures: unknown dataset {spec!r}; give 'zoo:NAME/ENC' or 'random:SEED/ENC' with ENC "
                         f"in {MACHINE_ENCODINGS}, 'task:parity' or 'task:mul-local'.")
    return _machine_data(spec, cfg, every)


# ---------------------------------------------------------------------------------------------- conditions
def direct(seqs: Sequences) -> Sequences:
    """The same sequences without their CoT (kind-1 tokens): prompt -> answer."""
    keep = seqs.kinds != 1
    sid = np.repeat(np.arange(len(seqs)), np.diff(seqs.offsets))
    off = np.zeros(len(seqs) + 1, np.int64)
    np.cumsum(np.bincount(sid[keep], minlength=len(seqs)), out=off[1:])
    return Sequences(seqs.tokens[keep], off, seqs.kinds[keep], seqs.vocab_size, seqs.vocabulary)


def mix(seqs: Sequences, fraction: float, seed: int) -> Sequences:
    """A fraction of the sequences (drawn with ``seed``) keep their CoT, the others are prompt -> answer."""
    n = len(seqs)
    with_cot = np.zeros(n, bool)
    with_cot[np.random.default_rng(seed).permutation(n)[:int(round(fraction * n))]] = True
    if with_cot.all():
        return seqs
    d = direct(seqs)
    parts = [seqs.subset([i]) if with_cot[i] else d.subset([i]) for i in range(n)]
    return _concat(parts)


def loss_masked(seqs: Sequences) -> Sequences:
    """The CoT kept in context but out of the loss (its kind set to prompt)."""
    kinds = np.where(seqs.kinds == 1, 0, seqs.kinds).astype(np.uint8)
    return Sequences(seqs.tokens, seqs.offsets, kinds, seqs.vocab_size, seqs.vocabulary)


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


def _discovered(train: Sequences, layout: PositionLayout, seed: int) -> PositionLayout:
    """``discover_layout(train, layout).layout``, made fit for a learner: a class whose next token discovery
    found constant (no offset) reads offset 1, and a class it could not decide (the greedy search stalls on
    an AND of several tokens, as in parity's count CoT) reads the whole window it searched."""
    window = layout.period + 1 if (layout.period or 1) > 1 else 16
    rep = discover_layout(train, layout, window=window, random_state=seed)
    offsets = []
    for c in rep.classes:
        if c.conflicts:
            offsets.append(tuple(range(1, window + 1)))
        else:
            offsets.append(c.offsets or (1,))
    return dataclasses.replace(rep.layout, offsets=tuple(offsets))


def _fit(kind: str, train: Sequences, valid: Sequences, data: _Data, cfg: ArchitecturesConfig, metric: str) -> dict:
    """Train one model within the budget; stop at the first validation check that reaches the threshold."""
    samples_per_step = cfg.epochs * cfg.n_train / cfg.steps
    first: list = []

    def reached(model) -> bool:
        return _scores(model, valid)[metric] >= cfg.threshold

    t0 = time.perf_counter()
    if kind == "linear":
        layout = _discovered(train, data.layout, cfg.seed)
        model = default_learner(cfg.seed).set_params(layout=layout, max_iter=cfg.epochs).fit(train)
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
                              batch_size=batch, max_steps=cfg.steps, context=context, random_state=cfg.seed)
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

    for key, label, conds in (("fraction", "fraction f of training sequences with CoT", "f="),
                              ("thinning", "CoT thinned: snapshot every k steps (k=1: every step)", "thin=")):
        pts = [r for r in result.runs if r["condition"].startswith(conds) or
               (conds == "thin=" and r["condition"] == "f=1" and any(q["condition"].startswith("thin=")
                                                                    and q["dataset"] == r["dataset"] for q in result.runs))]
        abl = [d for d in dict.fromkeys(r["dataset"] for r in pts)
               if sum(r["dataset"] == d for r in pts) > 2 * len(cfg.models)]
        if not abl:
            continue
        fig, ax = new_figure()
        for d in abl:
            for kind in cfg.models:
                xy = sorted((float(r["condition"].split("=")[1]) if conds == "f=" or r["condition"] != "f=1" else 1.0,
                             r["valid"]["answer_exact" if conds == "f=" else "exact"])
                            for r in pts if r["dataset"] == d and r["model"] == kind)
                if xy:
                    ax.plot(*zip(*xy), marker="o", label=f"{d} / {kind}")
        ax.set_xlabel(label)
        ax.set_ylabel("in-distribution " + ("answer exact match" if conds == "f=" else "exact match"))
        ax.set_ylim(-0.05, 1.05)
        ax.legend(fontsize=6)
        ax.set_title(f"CoT ablation: {key}")
        figs[f"architectures_ablation_{key}"] = fig
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
