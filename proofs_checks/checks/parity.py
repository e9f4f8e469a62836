"""Checks ``parity-log-length`` and ``parity-k-sparse``: parity's length complexity -- O(log n) CoT tokens
for the linear class (the counting CoT), and Theta(n/k) tokens when every step is a parity of at most k
tokens, each step learned by search over k-subsets (n^k time, k log n samples)."""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from learners import PerceptronAR, evaluate
from tmsim.datasets.tasks import ParityTask

from ..bounds import (PARITY_CHAIN_LENGTH, PARITY_COUNT_LENGTH, PARITY_STEP_SAMPLES, PARITY_STEP_TIME,
                      evaluate_bound, fit_growth)
from ..plots import new_figure
from ..registry import Outcome, register
from ..sweep import grid


# ---------------------------------------------------------------------------------------------- log length
@dataclass(frozen=True)
class LogLengthConfig:
    """Parity of ``n`` bits for every n in ``ns`` (subset A of n/2 positions), ``n_train`` training and
    ``n_test`` test samples; the learner is :class:`learners.PerceptronAR` (averaged, at most ``max_iter``
    epochs, one weight block per CoT position reading the whole context), the same with and without CoT.
    ``shuffle_cot``: permute each sample's CoT tokens (the negative control: the check must then fail)."""

    ns: tuple[int, ...] = (8, 16, 32, 64, 128, 256)
    n_train: int = 16000
    n_test: int = 2000
    max_iter: int = 1000
    threshold: float = 0.99
    nocot_ceiling: float = 0.6
    seed: int = 0
    shuffle_cot: bool = False


def parity_task(n: int, fmt: str, n_train: int, n_test: int, max_iter: int, seed: int, shuffle_cot: bool) -> dict:
    """Train and roll out one (n, format) point of ``parity-log-length`` (a sweep task)."""
    task = ParityTask(n=n, fmt=fmt, random_state=seed, shuffle_cot=shuffle_cot)
    train = task.sample(n_train, random_state=seed + 1)
    test = task.sample(n_test, random_state=seed + 2)
    model = PerceptronAR(random_state=seed, max_iter=max_iter, shrinking=True, **task.learner_layout())
    t0 = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - t0
    ev = evaluate(model, test)
    # The parity itself, read off the rollout's last token (the same as the answer exact match here).
    return {"n": n, "fmt": fmt, "cot_length": task.cot_length, "subset_size": len(task.subset),
            "exact_match": ev.exact_match, "answer_accuracy": ev.answer_exact_match,
            "token_accuracy": ev.token_accuracy, "sequence_error": ev.sequence_error, "epochs": model.n_iter_,
            "converged": bool(model.converged_), "fit_seconds": fit}


_QUICK_P = LogLengthConfig(ns=(8, 16, 32, 64), n_train=4000, n_test=1000, max_iter=200)
_FULL_P = LogLengthConfig()


@register("parity-log-length",
          claim="Parity of n bits over a subset A (|A| = n/2) with the MSB-first count CoT of floor(log2 n)+1 "
                "tokens is learned by a linear AR learner to >= 99% rollout accuracy, while the same learner "
                "without CoT stays below 60%; the CoT length grows as log n.",
          theorem="[paper] Thm 3.11 (parity has length complexity O(log n) for the linear class); "
                  "docs/theory.md#counting-cot",
          quick=_QUICK_P, full=_FULL_P,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_log_length(cfg: LogLengthConfig, runner) -> Outcome:
    points = grid(n=list(cfg.ns), fmt=["count", "nocot"], n_train=[cfg.n_train], n_test=[cfg.n_test],
                  max_iter=[cfg.max_iter], seed=[cfg.seed], shuffle_cot=[cfg.shuffle_cot])
    rows = runner.map(parity_task, points, desc="parity-log-length")
    cot = sorted((r for r in rows if r["fmt"] == "count"), key=lambda r: r["n"])
    nocot = sorted((r for r in rows if r["fmt"] == "nocot"), key=lambda r: r["n"])
    ns = [r["n"] for r in cot]
    lengths = [r["cot_length"] for r in cot]
    fit = fit_growth(ns, lengths) if len(ns) >= 3 else None
    formula = [int(evaluate_bound(PARITY_COUNT_LENGTH, n=v)) for v in ns]
    acc = {r["n"]: r["exact_match"] for r in cot}
    acc0 = {r["n"]: r["exact_match"] for r in nocot}
    passed = (all(a >= cfg.threshold for a in acc.values()) and all(a < cfg.nocot_ceiling for a in acc0.values())
              and fit is not None and fit.best == "log n" and lengths == formula)
    measured = {"rollout_accuracy_cot": acc, "rollout_accuracy_nocot": acc0, "cot_length": dict(zip(ns, lengths)),
                "growth_fit": fit.best if fit else None, "min_accuracy_cot": min(acc.values()),
                "max_accuracy_nocot": max(acc0.values())}
    bound = {"cot_length_formula": str(PARITY_COUNT_LENGTH), "cot_length_formula_values": dict(zip(ns, formula)),
             "fit_residuals": fit.residuals if fit else None}
    verdict = (f"with the count CoT the rollout accuracy is {min(acc.values()):.4f} at worst over n = "
               f"{ns[0]}..{ns[-1]} (threshold {cfg.threshold}); without CoT at most {max(acc0.values()):.3f} "
               f"(ceiling {cfg.nocot_ceiling}); CoT length fits best as {fit.best if fit else '?'}")
    figs = {"parity_accuracy": _fig_acc(cot, nocot, cfg), "parity_cot_length": _fig_len(ns, lengths, fit)}
    return Outcome(passed, measured, {"rollout_accuracy_cot": cfg.threshold, "rollout_accuracy_nocot_below":
                                      cfg.nocot_ceiling, "growth": "log n"}, verdict, bound, {"rows": rows}, figs)


def _fig_acc(cot, nocot, cfg):
    fig, ax = new_figure()
    ax.plot([r["n"] for r in cot], [r["exact_match"] for r in cot], "o-", label="count CoT (log n tokens)")
    ax.plot([r["n"] for r in nocot], [r["exact_match"] for r in nocot], "s-", label="no CoT")
    ax.axhline(cfg.threshold, ls=":", c="k", lw=1)
    ax.axhline(cfg.nocot_ceiling, ls="--", c="gray", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("free-rollout accuracy (held-out)")
    ax.set_ylim(0.3, 1.02)
    ax.set_title("Parity: linear AR learner with and without the counting CoT")
    ax.legend()
    return fig


def _fig_len(ns, lengths, fit):
    fig, ax = new_figure()
    ax.plot(ns, lengths, "o", label="measured CoT tokens")
    if fit is not None:
        xs = np.geomspace(min(ns), max(ns), 100)
        for form in fit.residuals:
            ax.plot(xs, fit.predict(form, xs), lw=1, label=f"fit a + b {form} (rms {fit.residuals[form]:.3f})")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("CoT length (tokens)")
    ax.set_title(f"Parity CoT length vs n: best fit {fit.best if fit else '?'}")
    ax.legend(fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------------- k-sparse
@dataclass(frozen=True)
class KSparseConfig:
    """The k-XOR chain of :class:`tmsim.datasets.tasks.ParityTask` for every n in ``ns`` and k in
    ``ks``; each CoT step is learned by exhaustive search over the subsets of at most k context tokens,
    on ``max_samples`` training samples; a step is identified when exactly one subset is consistent, and its
    sample count is the number of samples after which every other subset was refuted; the learned chain is rolled out on ``n_test`` fresh inputs. ``delta`` is the
    confidence of the sample bound. ``shuffle_cot``: the negative control."""

    ns: tuple[int, ...] = (8, 16, 32, 64, 96)
    ks: tuple[int, ...] = (2, 3)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_test: int = 1000
    delta: float = 0.05
    max_samples: int = 256
    shuffle_cot: bool = False


def _subset_search(ctx: np.ndarray, y: np.ndarray, k: int, chunk: int = 65536) -> tuple[tuple | None, int, int]:
    """Exhaustive search over the subsets of at most ``k`` columns of ``ctx`` (m x p, 0/1) for the ones whose
    XOR equals ``y`` on every sample.

    Returns
    -------
    (subset or None, samples, evaluated)
        The consistent subset when it is unique (None: none, or several, are consistent with all m samples);
        ``samples``: how many of the first samples it took to leave only that one (every other subset
        disagrees with some sample up to there); ``evaluated``: subsets evaluated (the search's time).
    """
    m, p = ctx.shape
    consistent, evaluated, last_out = [], 0, 0
    for size in range(1, k + 1):
        combos = itertools.combinations(range(p), size)
        while True:
            block = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, chunk)), dtype=np.int64)
            if block.size == 0:
                break
            block = block.reshape(-1, size)
            evaluated += len(block)
            agree = np.bitwise_xor.reduce(ctx[:, block], axis=2) == y[:, None]   # (m, M)
            bad = ~agree
            ok = ~bad.any(axis=0)
            # A wrong subset is refuted at its first disagreeing sample.
            if (~ok).any():
                last_out = max(last_out, int(bad[:, ~ok].argmax(axis=0).max()) + 1)
            consistent.extend(tuple(int(c) for c in row) for row in block[ok])
    if len(consistent) != 1:
        return None, m, evaluated
    return consistent[0], last_out, evaluated


def ksparse_task(n: int, k: int, seed: int, n_test: int, max_samples: int, shuffle_cot: bool) -> dict:
    """Learn every step of one k-XOR chain by subset search (a sweep task)."""
    task = ParityTask(n=n, fmt="chain", k=k, random_state=seed, shuffle_cot=shuffle_cot)
    rng = np.random.default_rng(seed + 1)
    data = task.sample(max_samples, random_state=rng)
    L = task.length
    tok = data.tokens.reshape(-1, L).astype(np.int64) - 1  # 0/1 bits ('=' becomes 2, never chosen: see below)
    P = task.prompt_length
    steps = []
    learned = []
    t0 = time.perf_counter()
    for j in range(task.cot_length):
        # The context of step j: the input bits and the CoT tokens before it ('=' carries no information).
        cols = list(range(task.n)) + list(range(P, P + j))
        s0 = time.perf_counter()
        sub, m, evaluated = _subset_search(tok[:, cols].astype(np.uint8), tok[:, P + j].astype(np.uint8), k)
        positions = [cols[c] for c in sub] if sub is not None else None
        learned.append(positions)
        steps.append({"step": j, "context": len(cols), "samples": m if sub is not None else None,
                      "subsets_evaluated": evaluated, "seconds": time.perf_counter() - s0,
                      "identified": sub is not None,
                      "hypotheses": sum(math.comb(len(cols), i) for i in range(1, k + 1))})
    fit_seconds = time.perf_counter() - t0
    # Roll the learned chain out on fresh inputs: each CoT token computed from the learned subset.
    acc = 0.0
    if all(p is not None for p in learned):
        test = task.sample(n_test, random_state=seed + 2)
        ref = test.tokens.reshape(-1, L).astype(np.int64) - 1
        out = ref.copy()
        out[:, P:] = 0
        for j, pos in enumerate(learned):
            out[:, P + j] = np.bitwise_xor.reduce(out[:, pos], axis=1)
        acc = float(np.mean(np.all(out[:, P:] == ref[:, P:], axis=1)))
    return {"n": n, "k": k, "seed": seed, "cot_length": task.cot_length, "subset_size": len(task.subset),
            "steps": steps, "rollout_accuracy": acc, "fit_seconds": fit_seconds,
            "max_step_samples": max((s["samples"] or 0) for s in steps),
            "all_identified": all(s["identified"] for s in steps)}


_QUICK_K = KSparseConfig(ns=(8, 16, 32, 48), ks=(2, 3), seeds=(0, 1), n_test=500)
_FULL_K = KSparseConfig()


@register("parity-k-sparse",
          claim="If every CoT step may only be a parity of at most k tokens, parity needs Theta(n/k) CoT tokens "
                "(a chain of partial XORs), and each step is learned by subset search in about n^k time from "
                "about k log n samples.",
          theorem="[paper] Thm 3.12 (length complexity vs per-step complexity); docs/theory.md#k-sparse-steps",
          quick=_QUICK_K, full=_FULL_K,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_ksparse(cfg: KSparseConfig, runner) -> Outcome:
    points = grid(n=list(cfg.ns), k=list(cfg.ks), seed=list(cfg.seeds), n_test=[cfg.n_test],
                  max_samples=[cfg.max_samples], shuffle_cot=[cfg.shuffle_cot])
    rows = runner.map(ksparse_task, points, desc="parity-k-sparse")
    fits, length_ok, acc_ok = {}, True, True
    n_steps = n_over = unidentified = 0
    measured = {"cot_length": {}, "max_step_samples": {}, "sample_bound": {}, "subsets_per_step": {},
                "rollout_accuracy_min": min(r["rollout_accuracy"] for r in rows)}
    bound = {"cot_length": str(PARITY_CHAIN_LENGTH), "step_time": str(PARITY_STEP_TIME),
             "step_samples": str(PARITY_STEP_SAMPLES), "delta": cfg.delta}
    for k in cfg.ks:
        rk = [r for r in rows if r["k"] == k]
        by_n = {}
        for r in rk:
            by_n.setdefault(r["n"], []).append(r)
        ns = sorted(by_n)
        lens = [by_n[v][0]["cot_length"] for v in ns]
        formula = [int(evaluate_bound(PARITY_CHAIN_LENGTH, n=v, k=k)) for v in ns]
        fit = fit_growth(ns, lens) if len(ns) >= 3 else None
        fits[k] = fit
        length_ok &= fit is not None and fit.best == "n" and lens == formula
        for v in ns:
            key = f"k={k}, n={v}"
            samples = [s["samples"] for r in by_n[v] for s in r["steps"]]
            p = max(s["context"] for r in by_n[v] for s in r["steps"])
            b = evaluate_bound(PARITY_STEP_SAMPLES, n=p, k=k, delta=cfg.delta)
            # The bound holds for each step with probability >= 1 - delta: pooled over every step, at most a
            # delta fraction may exceed it (and every step must be identified at all).
            n_steps += len(samples)
            n_over += sum(1 for s in samples if s is None or s > b)
            unidentified += sum(1 for s in samples if s is None)
            acc_ok &= all(r["rollout_accuracy"] == 1.0 for r in by_n[v])
            measured["cot_length"][key] = lens[ns.index(v)]
            measured["max_step_samples"][key] = max((s or 0) for s in samples) if all(
                s is not None for s in samples) else None
            measured["sample_bound"][key] = round(b, 1)
            measured["subsets_per_step"][key] = int(np.mean([s["subsets_evaluated"] for r in by_n[v]
                                                             for s in r["steps"]]))
        measured[f"growth_fit_k{k}"] = fit.best if fit else None
        # Search time: subsets evaluated per step against the context size p, on log-log axes (slope ~ k).
        pts = [(s["context"], s["subsets_evaluated"]) for r in rk for s in r["steps"] if s["context"] > k]
        if len(pts) >= 2:
            lp, le = np.log([p for p, _ in pts]), np.log([e for _, e in pts])
            measured[f"search_time_exponent_k{k}"] = round(float(np.polyfit(lp, le, 1)[0]), 2)
    sample_ok = unidentified == 0 and n_over <= cfg.delta * n_steps
    measured["steps_over_sample_bound"] = f"{n_over}/{n_steps}"
    measured["steps_unidentified"] = unidentified
    passed = length_ok and sample_ok and acc_ok
    verdict = (f"CoT length {'matches' if length_ok else 'does NOT match'} ceil((n/2-1)/(k-1)) and grows as "
               + ", ".join(f"{fits[k].best if fits[k] else '?'} (k={k})" for k in cfg.ks)
               + f"; {n_over}/{n_steps} steps needed more samples than k log2 p + log2(1/delta) (allowed: a delta = "
               f"{cfg.delta} fraction), {unidentified} not identified; learned chains "
               f"{'exact' if acc_ok else 'NOT exact'} on held-out inputs")
    figs = {"ksparse_length": _fig_klen(rows, cfg, fits), "ksparse_samples": _fig_ksamples(rows, cfg)}
    return Outcome(passed, measured, {"growth": "n", "step_samples_at_most": str(PARITY_STEP_SAMPLES),
                                      "rollout_accuracy": 1.0}, verdict, bound, {"rows": rows}, figs)


def _fig_klen(rows, cfg, fits):
    fig, ax = new_figure()
    for i, k in enumerate(cfg.ks):
        pts = sorted({(r["n"], r["cot_length"]) for r in rows if r["k"] == k})
        ns, ls = zip(*pts)
        ax.plot(ns, ls, "o", color=f"C{i}", label=f"k={k} measured")
        ax.plot(ns, [evaluate_bound(PARITY_CHAIN_LENGTH, n=v, k=k) for v in ns], "-", color=f"C{i}", lw=1,
                label=f"k={k}: ceil((n/2-1)/(k-1)); best fit {fits[k].best if fits[k] else '?'}")
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("CoT length (tokens)")
    ax.set_title("k-XOR chain: CoT length Theta(n/k)")
    ax.legend(fontsize=8)
    return fig


def _fig_ksamples(rows, cfg):
    fig, ax = new_figure()
    for i, k in enumerate(cfg.ks):
        by = {}
        for r in rows:
            if r["k"] == k:
                for s in r["steps"]:
                    if s["samples"] is not None:
                        by.setdefault(r["n"], []).append(s["samples"])
        ns = sorted(by)
        if not ns:
            continue
        ax.errorbar(ns, [np.mean(by[v]) for v in ns], yerr=[np.std(by[v]) for v in ns], fmt="o-", color=f"C{i}",
                    label=f"k={k}: samples to identify a step (mean, sd)")
        p = {v: max(s["context"] for r in rows if r["k"] == k and r["n"] == v for s in r["steps"]) for v in ns}
        ax.plot(ns, [evaluate_bound(PARITY_STEP_SAMPLES, n=p[v], k=k, delta=cfg.delta) for v in ns], "--",
                color=f"C{i}", lw=1, label=f"k={k}: k log2 p + log2(1/delta), p = largest context")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("samples")
    ax.set_title("Samples per CoT step vs the k log n bound")
    ax.legend(fontsize=8)
    return fig
