"""Experiment internals (``architectures``): the datasets of the study in CoT format (train / valid of the
training lengths, test per longer length, a row layout fixed before any test input is drawn) and the CoT
conditions (prompt -> answer, a mix, the CoT out of the loss)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from learners import as_sequences
from learners.data import Sequences
from tmsim.datasets import make_dataset
from tmsim.datasets.tasks import ParityTask, get_task
from tmsim.encodings import PositionLayout, Vocabulary, get_encoding
from tmsim.zoo.random import random_halting_machine

from ..errors import CheckError

__all__ = ["MACHINE_ENCODINGS", "build_data", "direct", "mix", "loss_masked"]

MACHINE_ENCODINGS = ("tableau", "tableau-triples", "transitions")


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


def _layout_spec(src: Any, enc: str, cfg: Any, every: int | None = None) -> tuple[str, int]:
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


def _machine_data(spec: str, cfg: Any, every: int | None = None) -> _Data:
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


def _parity_data(cfg: Any) -> _Data:
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


def _mul_data(cfg: Any) -> _Data:
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


def build_data(spec: str, cfg: Any, every: int | None = None) -> _Data:
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
