"""Checks ``parity-log-length`` and ``parity-k-sparse``: parity's length complexity, measured. With the
O(log n) counting CoT: the samples the time-dependent linear class needs against its PAC -> AR bound, no CoT,
and the count one digit shorter (the minimality probe). With k-sparse steps (Theta(n/k) CoT tokens): the
samples per step against k log2 p + log2(1/delta), and the work of a random-order subset search, fitted as
p^e against e = k (docs/theory.md#counting-cot, #k-sparse-steps)."""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from learners import PerceptronAR, Sequences, evaluate
from tmsim.datasets.tasks import ParityTask
from tmsim.encodings import PositionLayout

from ..bounds import (PAC_TO_AR_CONSISTENT, PARITY_CHAIN_LENGTH, PARITY_STEP_SAMPLES,
                      evaluate_bound, fit_growth)
from ..plots import data_ticks, log_axis, new_figure
from ..registry import Outcome, register
from ..sweep import grid


# ---------------------------------------------------------------------------------------------- log length
@dataclass(frozen=True)
class LogLengthConfig:
    """Parity of ``n`` bits for every n in ``ns`` (subset A of n/2 positions). The learner, the same for every
    CoT: :class:`learners.PerceptronAR` (averaged, at most ``max_iter`` epochs) with one weight block per CoT
    position reading the whole context, the paper's time-dependent linear class. With the count CoT it trains
    on the sizes of ``n_train_grid`` in turn (nested prefixes of one draw) until its free rollouts are
    ``threshold`` exact on ``n_test`` held-out inputs (at most a quarter of the 2^n inputs); no CoT and the
    count CoT without its digit of value 2 (the minimality probe) train on the largest size. Training and
    held-out inputs are disjoint at every n. ``delta``: the confidence of the sample bound.
    ``shuffle_cot``: permute each sample's CoT tokens (the negative control: the check must then fail)."""

    ns: tuple[int, ...] = (8, 16, 32, 64, 128)
    n_train_grid: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
    n_test: int = 2000
    # 2000, not 500: at 500 epochs the perceptron still made training mistakes at n = 64 and 128 (not
    # consistent, so the bound did not apply); with 2000 every full-preset fit stops mistake-free (at most
    # 1,476 epochs). Chosen on the training fits' convergence, not on the held-out inputs.
    max_iter: int = 2000
    threshold: float = 0.99
    nocot_ceiling: float = 0.6
    delta: float = 0.05
    seed: int = 0
    shuffle_cot: bool = False


def disjoint_inputs(n: int, n_train: int, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)``: distinct n-bit inputs, none of the test inputs among the training ones (uint8 arrays
    of shape (m, n); the training set is as large as the inputs left allow)."""
    if n <= 20:  # draw without replacement from the whole input space
        codes = rng.choice(2 ** n, size=min(2 ** n, n_train + n_test), replace=False)
        bits = ((codes[:, None] >> np.arange(n)[None, :]) & 1).astype(np.uint8)
        return bits[n_test:], bits[:n_test]
    bits = rng.integers(0, 2, size=(n_train + n_test + 64, n), dtype=np.uint8)
    _, first = np.unique(np.packbits(bits, axis=1), axis=0, return_index=True)
    bits = bits[np.sort(first)]  # distinct, in the order drawn (collisions are rare at n > 20)
    return bits[n_test:n_test + n_train], bits[:n_test]


def _drop_token(data, col: int, layout_of) -> tuple[Sequences, PositionLayout]:
    """The fixed-length sequences of ``data`` with the token at position ``col`` removed, and their layout."""
    m = len(data)
    tok = np.asarray(data.tokens).reshape(m, -1)
    kinds = np.asarray(data.kinds)[:tok.shape[1]]
    tok, kinds = np.delete(tok, col, axis=1), np.delete(kinds, col)
    L = tok.shape[1]
    seqs = Sequences(np.ascontiguousarray(tok.reshape(-1), dtype=np.int32), np.arange(m + 1, dtype=np.int64) * L,
                     np.tile(kinds, m), 4, data.vocabulary)
    return seqs, layout_of(L, int(np.count_nonzero(kinds == 0)))


def _time_dependent_layout(L: int, prompt: int) -> PositionLayout:
    """One class per CoT position, every class reading the whole context (:meth:`ParityTask.layout`)."""
    T = L - prompt
    return PositionLayout(period=L, classes=tuple([0] * prompt + list(range(1, T + 1))),
                          names=("prompt",) + tuple(f"cot:{j}" for j in range(T)),
                          offsets=(tuple(range(1, L)),) * (T + 1))


def _fit_eval(train, test, layout, seed: int, max_iter: int) -> dict:
    model = PerceptronAR(random_state=seed, max_iter=max_iter, shrinking=True, layout=layout)
    t0 = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - t0
    ev = evaluate(model, test)
    return {"exact_match": ev.exact_match, "answer_accuracy": ev.answer_exact_match,
            "token_accuracy": ev.token_accuracy, "epochs": int(model.n_iter_), "converged": bool(model.converged_),
            "fit_seconds": fit}


def parity_job(n: int, n_train_grid: list, n_test: int, max_iter: int, threshold: float, seed: int,
                shuffle_cot: bool) -> dict:
    """One n of ``parity-log-length`` (a sweep task): the count CoT's learning curve up to the first size that
    is ``threshold`` exact, then no CoT and the count CoT without its digit of value 2 at the
    largest size."""
    rng = np.random.default_rng(seed + 1000 * n)
    n_test = min(n_test, 2 ** n // 4)
    x_train, x_test = disjoint_inputs(n, max(n_train_grid), n_test, rng)
    sizes = sorted({min(m, len(x_train)) for m in n_train_grid})
    count = ParityTask(n=n, fmt="count", random_state=seed, shuffle_cot=shuffle_cot)
    nocot = ParityTask(n=n, fmt="nocot", random_state=seed, shuffle_cot=shuffle_cot)
    test = count.encode(x_test, random_state=seed + 2)
    curve, needed = [], None
    for m in sizes:
        r = _fit_eval(count.encode(x_train[:m], random_state=seed + 3), test, count.layout(), seed, max_iter)
        curve.append({"n_train": m, **r})
        if r["exact_match"] >= threshold:
            needed = m
            break
    big = x_train[:sizes[-1]]
    r0 = _fit_eval(nocot.encode(big, random_state=seed + 3), nocot.encode(x_test, random_state=seed + 2),
                   nocot.layout(), seed, max_iter)
    # Minimality probe: drop the digit of value 2. The digits above it are computed as before (MSB first, they
    # never read lower digits), but the last one, the parity, is then [(s - the higher digits) in {1, 3}]: not
    # a threshold of a linear function. (Dropping the leading digit instead changes little: s <= |A| = n/2,
    # so the digits of value >= |A| are almost always 0.)
    top = 1
    col = count.prompt_length + (count.cot_length - 1 - top)
    tr, lay = _drop_token(count.encode(big, random_state=seed + 3), col, _time_dependent_layout)
    te, _ = _drop_token(test, col, _time_dependent_layout)
    r1 = _fit_eval(tr, te, lay, seed, max_iter)
    train_tokens = count.length * (needed or 0)
    consistent = bool(curve[-1]["converged"]) if needed else False
    return {"n": n, "cot_length": count.cot_length, "subset_size": len(count.subset), "n_test": n_test,
            "train_pool": len(x_train), "curve": curve, "samples_needed": needed,
            "tokens_needed": train_tokens if needed else None, "consistent_at_needed": consistent, "nocot": {"n_train": sizes[-1], **r0},
            "dropped_bit": {"n_train": sizes[-1], "value": 2 ** top, **r1},
            "constant_leading_tokens": count.cot_length - len(count.subset).bit_length(),
            "overlap_train_test": int(len({bytes(r) for r in x_train} & {bytes(r) for r in x_test}))}


def _pac_ar_bound(n: int, T: int, eps: float, delta: float) -> float:
    """PAC -> AR for the time-dependent linear class: position t reads the n + 1 + t tokens before it, one-hot
    over the 4 token ids, a halfspace of VC dimension 4 (n + 1 + t) + 1; the largest over the T positions."""
    return max(evaluate_bound(PAC_TO_AR_CONSISTENT, d=4 * (n + 1 + t) + 1, eps=eps, delta=delta, T=T)
               for t in range(T))


_QUICK_P = LogLengthConfig(ns=(8, 16, 32), n_train_grid=(32, 64, 128, 256, 512, 1024, 2048), n_test=500,
                           max_iter=200)
_FULL_P = LogLengthConfig()


@register("parity-log-length",
          claim="Parity of n bits over a subset A (|A| = n/2) with the MSB-first count CoT of floor(log2 n)+1 "
                "tokens is learned by the time-dependent linear AR class to >= 99% exact rollouts on held-out "
                "inputs from fewer samples than its PAC -> AR bound at every n, while the same learner without "
                "CoT stays below 60% and with the count's digit of value 2 dropped (one token shorter) stays below 99%.",
          theorem="[paper] Thm 3.11 (parity has length complexity O(log n) for the linear class) and Thm 3.3; "
                  "docs/theory.md#counting-cot, #from-pac-to-ar, #length-complexity",
          quick=_QUICK_P, full=_FULL_P,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_log_length(cfg: LogLengthConfig, runner) -> Outcome:
    points = grid(n=list(cfg.ns), n_train_grid=[list(cfg.n_train_grid)], n_test=[cfg.n_test],
                  max_iter=[cfg.max_iter], threshold=[cfg.threshold], seed=[cfg.seed], shuffle_cot=[cfg.shuffle_cot])
    rows = sorted(runner.map(parity_job, points, desc="parity-log-length"), key=lambda r: r["n"])
    ns = [r["n"] for r in rows]
    eps = round(1 - cfg.threshold, 12)
    bound = {r["n"]: _pac_ar_bound(r["n"], r["cot_length"], eps, cfg.delta) for r in rows}
    need = {r["n"]: r["samples_needed"] for r in rows}
    acc0 = {r["n"]: r["nocot"]["exact_match"] for r in rows}
    acc1 = {r["n"]: r["dropped_bit"]["exact_match"] for r in rows}
    reached = all(v is not None for v in need.values())
    # The bound is for a learner consistent with its samples: the perceptron must have stopped at an epoch
    # without a mistake at the size that reached the threshold.
    consistent = all(r["consistent_at_needed"] for r in rows)
    within = reached and consistent and all(need[v] <= bound[v] for v in ns)
    nocot_ok = all(a < cfg.nocot_ceiling for a in acc0.values())
    probe_ok = all(a < cfg.threshold for a in acc1.values())
    disjoint = all(r["overlap_train_test"] == 0 for r in rows)
    passed = within and nocot_ok and probe_ok and disjoint
    largest = max(r["nocot"]["n_train"] for r in rows)
    measured = {"samples_to_threshold": {v: need[v] if need[v] is not None else f"> {rows[i]['train_pool']}"
                                         for i, v in enumerate(ns)},
                "tokens_to_threshold": {r["n"]: r["tokens_needed"] for r in rows if r["tokens_needed"]},
                "exact_nocot_at_largest": acc0, "exact_dropped_bit_at_largest": acc1,
                "max_exact_nocot": max(acc0.values()), "max_exact_dropped_bit": max(acc1.values()),
                "train_test_overlap": sum(r["overlap_train_test"] for r in rows),
                "consistent_at_samples_needed": f"{sum(r['consistent_at_needed'] for r in rows)}/{len(rows)}",
                "cot_length (information)": {r["n"]: r["cot_length"] for r in rows},
                "constant_leading_cot_tokens (information)": {r["n"]: r["constant_leading_tokens"] for r in rows}}
    if reached and len(ns) >= 3:
        measured["sample_growth_exponent (information)"] = round(float(np.polyfit(np.log(ns), np.log(
            [need[v] for v in ns]), 1)[0]), 2)
    bnd = {"pac_to_ar": "max(4 (T/eps) log2(2T/delta), 8 d (T/eps) log2(13T/eps)), d = 4 (n + 1 + t) + 1, "
                        "the largest over the CoT positions t < T",
           "pac_to_ar_values": {v: float(f"{bound[v]:.3g}") for v in ns},
           "applies_to": "a learner consistent with its samples (the perceptron stops at an epoch without a "
                         "mistake) over the time-dependent linear class",
           "parameters": f"eps = {eps:g}, delta = {cfg.delta:g}"}
    fmt_need = ", ".join(f"n={v}: {need[v] if need[v] is not None else 'not reached'}" for v in ns)
    verdict = (f"samples to {cfg.threshold:.0%} exact with the count CoT: {fmt_need} (PAC -> AR bound "
               f"{min(bound.values()):.2g}..{max(bound.values()):.2g}: {'all within' if within else 'NOT all within'}); "
               f"with {largest} samples no CoT reaches at most {max(acc0.values()):.3f} (ceiling "
               f"{cfg.nocot_ceiling:g}) and the count CoT without its digit of value 2 at most "
               f"{max(acc1.values()):.3f} (must stay below {cfg.threshold:g}); held-out inputs "
               f"{'disjoint from' if disjoint else 'OVERLAP'} training")
    figs = {"parity_samples": _fig_samples(rows, bound, cfg), "parity_accuracy": _fig_acc(rows, cfg)}
    return Outcome(passed, measured, {"exact_match_cot": cfg.threshold, "samples_at_most": "the PAC -> AR bound",
                                      "exact_match_nocot_below": cfg.nocot_ceiling,
                                      "exact_match_dropped_bit_below": cfg.threshold, "train_test_overlap": 0},
                   verdict, bnd, {"rows": rows}, figs)


def _fig_samples(rows, bound, cfg):
    fig, ax = new_figure()
    ns = [r["n"] for r in rows]
    ok = [r for r in rows if r["samples_needed"] is not None]
    ax.plot([r["n"] for r in ok], [r["samples_needed"] for r in ok], "o-", color="C0",
            label=f"measured: training samples to {cfg.threshold:.0%} exact (count CoT)")
    miss = [r for r in rows if r["samples_needed"] is None]
    if miss:
        ax.plot([r["n"] for r in miss], [r["train_pool"] for r in miss], "^", color="C3", ms=9,
                label="not reached within the largest training set (marker at its size)")
    ax.plot(ns, [bound[v] for v in ns], "s--", color="C1",
            label=f"PAC -> AR bound, time-dependent linear class (eps {1 - cfg.threshold:g}, delta {cfg.delta:g})")
    data_ticks(ax, ns, "x")
    ax.set_yscale("log")
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("training samples (sequences)")
    ax.set_title("Parity with the count CoT: samples needed vs the bound")
    ax.legend(fontsize=7)
    return fig


def _fig_acc(rows, cfg):
    fig, ax = new_figure()
    ns = [r["n"] for r in rows]
    ax.plot(ns, [r["curve"][-1]["exact_match"] for r in rows], "o-", color="C0",
            label="count CoT, at the samples needed (or the largest set)")
    ax.plot(ns, [r["nocot"]["exact_match"] for r in rows], "s-", color="C1", label="no CoT, largest set")
    ax.plot(ns, [r["dropped_bit"]["exact_match"] for r in rows], "D-", color="C2",
            label="count CoT without its digit of value 2, largest set")
    ax.axhline(cfg.threshold, ls=":", c="k", lw=1, label=f"threshold {cfg.threshold:g}")
    ax.axhline(cfg.nocot_ceiling, ls="--", c="gray", lw=1, label=f"no-CoT ceiling {cfg.nocot_ceiling:g}")
    data_ticks(ax, ns, "x")
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("free-rollout exact match (held-out)")
    ax.set_ylim(0.3, 1.02)
    ax.set_title("Parity: one learner, three CoTs")
    ax.legend(fontsize=7)
    return fig


# ---------------------------------------------------------------------------------------------- k-sparse
@dataclass(frozen=True)
class KSparseConfig:
    """The k-XOR chain of :class:`tmsim.datasets.tasks.ParityTask` for every n in ``ns`` and k in
    ``ks``; each CoT step is learned by exhaustive search over the subsets of at most k context tokens,
    on ``max_samples`` training samples; a step is identified when exactly one subset is consistent, and its
    sample count is the number of samples after which every other subset was refuted; the learned chain is
    rolled out on ``n_test`` fresh inputs. ``delta`` is the confidence of the sample bound. The time of a
    generic learner: it examines the subsets in an order drawn at random and stops at the first one consistent
    with the samples (``search_repeats`` independent orders per step, their mean work kept); the subsets it
    examined, fitted as ``c p^e`` against the context size ``p``, must have ``|e - k| <= exponent_tolerance``. ``shuffle_cot``: the negative control."""

    ns: tuple[int, ...] = (8, 16, 32, 64, 96)
    ks: tuple[int, ...] = (2, 3)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_test: int = 1000
    delta: float = 0.05
    max_samples: int = 256
    exponent_tolerance: float = 0.5
    search_repeats: int = 8
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


def _subsets(p: int, k: int) -> np.ndarray:
    """Every subset of at most ``k`` of ``p`` columns, as rows of ``k`` column indices padded with ``p`` (a
    column of zeros: XOR-neutral)."""
    rows = [np.array(list(itertools.combinations(range(p), size)), dtype=np.int64).reshape(-1, size)
            for size in range(1, k + 1)]
    return np.concatenate([np.pad(r, ((0, 0), (0, k - r.shape[1])), constant_values=p) for r in rows])


def first_consistent_subset(ctx: np.ndarray, y: np.ndarray, k: int, rng: np.random.Generator,
                            chunk: int = 8192) -> dict:
    """A generic learner of a parity of at most ``k`` of the columns of ``ctx`` (m x p, 0/1): it examines the
    subsets in an order drawn from ``rng`` and returns the first that agrees with all m samples ``y``.

    Returns
    -------
    dict
        ``subset`` (column indices, or None when none is consistent), ``examined`` (subsets it looked at,
        the found one included: its work), ``sample_checks`` (samples compared, each wrong subset being
        dropped at its first disagreement) and ``seconds``.
    """
    t0 = time.perf_counter()
    m, p = ctx.shape
    full = np.concatenate([ctx, np.zeros((m, 1), dtype=ctx.dtype)], axis=1)
    hyp = _subsets(p, k)[rng.permutation(sum(math.comb(p, i) for i in range(1, k + 1)))]
    examined = checks = 0
    for a in range(0, len(hyp), chunk):
        block = hyp[a:a + chunk]
        agree = np.bitwise_xor.reduce(full[:, block], axis=2) == y[:, None]   # (m, M)
        ok = agree.all(axis=0)
        first_bad = np.where(ok, m, (~agree).argmax(axis=0) + 1)  # samples compared per subset
        if ok.any():
            j = int(np.argmax(ok))
            examined += j + 1
            checks += int(first_bad[:j + 1].sum())
            sub = tuple(int(c) for c in block[j] if c < p)
            return {"subset": sub, "examined": examined, "sample_checks": checks,
                    "seconds": time.perf_counter() - t0}
        examined += len(block)
        checks += int(first_bad.sum())
    return {"subset": None, "examined": examined, "sample_checks": checks, "seconds": time.perf_counter() - t0}


def ksparse_job(n: int, k: int, seed: int, n_test: int, max_samples: int, shuffle_cot: bool,
                 search_repeats: int = 1) -> dict:
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
        # The generic learner, run search_repeats times with independent orders (its work is a random
        # variable: about half the space on average, uniform between 1 and all of it).
        gs = [first_consistent_subset(tok[:, cols].astype(np.uint8), tok[:, P + j].astype(np.uint8), k, rng)]
        if gs[0]["subset"] is not None:  # none consistent: every order examines the whole space, once is enough
            gs += [first_consistent_subset(tok[:, cols].astype(np.uint8), tok[:, P + j].astype(np.uint8), k, rng)
                   for _ in range(search_repeats - 1)]
        g = {"examined": float(np.mean([x["examined"] for x in gs])),
             "sample_checks": float(np.mean([x["sample_checks"] for x in gs])),
             "seconds": float(sum(x["seconds"] for x in gs)),
             "subset": gs[0]["subset"] if all(x["subset"] == gs[0]["subset"] for x in gs) else None}
        steps.append({"step": j, "context": len(cols), "samples": m if sub is not None else None,
                      "subsets_evaluated": evaluated, "seconds": time.perf_counter() - s0,
                      "identified": sub is not None,
                      "hypotheses": sum(math.comb(len(cols), i) for i in range(1, k + 1)),
                      "examined": g["examined"], "sample_checks": g["sample_checks"],
                      "search_seconds": g["seconds"],
                      "search_right": g["subset"] is not None and sub is not None and tuple(g["subset"]) == tuple(sub)})
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
          claim="If every CoT step may only be a parity of at most k tokens, each step of the k-XOR chain "
                "(ceil((n/2-1)/(k-1)) tokens, Theta(n/k)) is identified from at most k log2 p + log2(1/delta) "
                "samples (all but a delta fraction of the steps), and a generic learner that examines subsets in "
                "random order until one is consistent does work growing as p^k in the context size p.",
          theorem="[paper] Thm 3.12 (length complexity vs per-step complexity); docs/theory.md#k-sparse-steps",
          quick=_QUICK_K, full=_FULL_K,
          control={"shuffle_cot": True}, control_breaks="the CoT's order: each CoT and answer shuffled")
def run_ksparse(cfg: KSparseConfig, runner) -> Outcome:
    points = grid(n=list(cfg.ns), k=list(cfg.ks), seed=list(cfg.seeds), n_test=[cfg.n_test],
                  max_samples=[cfg.max_samples], shuffle_cot=[cfg.shuffle_cot], search_repeats=[cfg.search_repeats])
    rows = runner.map(ksparse_job, points, desc="parity-k-sparse")
    fits, acc_ok, exp_ok, exps = {}, True, True, {}
    n_steps = n_over = unidentified = 0
    measured = {"rollout_accuracy_min": min(r["rollout_accuracy"] for r in rows), "max_step_samples": {},
                "sample_bound": {}, "mean_subsets_examined": {}}
    info = {"cot_length": {}, "subsets_in_the_space": {}, "search_seconds_exponent": {}}
    for k in cfg.ks:
        rk = [r for r in rows if r["k"] == k]
        by_n = {}
        for r in rk:
            by_n.setdefault(r["n"], []).append(r)
        ns = sorted(by_n)
        lens = [by_n[v][0]["cot_length"] for v in ns]
        fits[k] = fit_growth(ns, lens) if len(ns) >= 3 else None
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
            measured["max_step_samples"][key] = max((s or 0) for s in samples) if all(
                s is not None for s in samples) else None
            measured["sample_bound"][key] = round(b, 1)
            measured["mean_subsets_examined"][key] = round(float(np.mean([s["examined"] for r in by_n[v]
                                                                         for s in r["steps"]])), 1)
            info["cot_length"][key] = lens[ns.index(v)]
            info["subsets_in_the_space"][key] = int(np.mean([s["hypotheses"] for r in by_n[v] for s in r["steps"]]))
        # The generic learner's work against the context size p, on log-log axes: the mean over the seeds of
        # the subsets examined at each p, fitted by least squares (slope e: work ~ p^e).
        work = _mean_by_context(rk, "examined", k)
        if len(work) >= 3:
            e = float(np.polyfit(np.log(list(work)), np.log(list(work.values())), 1)[0])
            exps[k] = e
            exp_ok &= abs(e - k) <= cfg.exponent_tolerance
            measured[f"work_exponent_k{k}"] = round(e, 2)
        else:
            exp_ok = False
        wall = _mean_by_context(rk, "search_seconds", k)
        if len(wall) >= 3:
            info["search_seconds_exponent"][f"k={k}"] = round(float(np.polyfit(
                np.log(list(wall)), np.log(list(wall.values())), 1)[0]), 2)
        info[f"cot_length_growth_fit_k{k}"] = fits[k].best if fits[k] else None
    right = sum(s["search_right"] for r in rows for s in r["steps"])
    sample_ok = unidentified == 0 and n_over <= cfg.delta * n_steps
    search_ok = right == n_steps
    measured["steps_over_sample_bound"] = f"{n_over}/{n_steps}"
    measured["steps_unidentified"] = unidentified
    measured["steps_where_the_search_found_the_true_subset"] = f"{right}/{n_steps}"
    measured.update({f"{k} (information)": v for k, v in info.items()})
    passed = sample_ok and acc_ok and exp_ok and search_ok
    verdict = (f"{n_over}/{n_steps} steps needed more samples than k log2 p + log2(1/delta) (allowed: a delta = "
               f"{cfg.delta:g} fraction), {unidentified} not identified; learned chains "
               f"{'exact' if acc_ok else 'NOT exact'} on held-out inputs; the random-order search found the "
               f"true subset at {right}/{n_steps} steps, its work growing as p^e with "
               + ", ".join(f"e = {exps[k]:.2f} (k={k})" if k in exps else f"e = ? (k={k})" for k in cfg.ks)
               + f" (must be within {cfg.exponent_tolerance:g} of k)")
    bound = {"step_samples": "k log2 p + log2(1/delta), p = context tokens of the step",
             "step_time": "p^k subsets (the search examines about half of them in random order)",
             "cot_length (information)": "ceil((n/2 - 1)/(k - 1))", "delta": cfg.delta}
    figs = {"ksparse_work": _fig_kwork(rows, cfg, exps), "ksparse_samples": _fig_ksamples(rows, cfg),
            "ksparse_length": _fig_klen(rows, cfg, fits)}
    return Outcome(passed, measured, {"steps_over_sample_bound_at_most": f"{cfg.delta:g} of the steps",
                                      "rollout_accuracy": 1.0,
                                      "work_exponent": f"k +- {cfg.exponent_tolerance:g}"},
                   verdict, bound, {"rows": rows}, figs)


def _mean_by_context(rows: list, key: str, k: int) -> dict:
    """``{p: mean of step[key] over the steps with context p > k}``, increasing p."""
    by: dict = {}
    for r in rows:
        for s in r["steps"]:
            if s["context"] > k:
                by.setdefault(s["context"], []).append(s[key])
    return {p: float(np.mean(by[p])) for p in sorted(by) if np.mean(by[p]) > 0}


def _fig_kwork(rows, cfg, exps):
    fig, ax = new_figure()
    for i, k in enumerate(cfg.ks):
        rk = [r for r in rows if r["k"] == k]
        work = _mean_by_context(rk, "examined", k)
        space = _mean_by_context(rk, "hypotheses", k)
        ps = list(work)
        ax.plot(ps, list(work.values()), "o", ms=4, color=f"C{i}",
                label=f"k={k}: subsets examined until the first consistent one (mean over seeds)")
        if k in exps:
            c = np.exp(np.mean(np.log(list(work.values()))) - exps[k] * np.mean(np.log(ps)))
            ax.plot(ps, c * np.asarray(ps, dtype=float) ** exps[k], "-", lw=1, color=f"C{i}",
                    label=f"k={k}: fit c p^e, e = {exps[k]:.2f}")
        ax.plot(list(space), list(space.values()), ":", lw=1, color=f"C{i}",
                label=f"k={k}: subsets in the space (information)")
    allp = [s["context"] for r in rows for s in r["steps"]]
    log_axis(ax, allp, "x")
    ax.set_yscale("log")
    ax.set_xlabel("context tokens p of the step")
    ax.set_ylabel("subsets (hypotheses)")
    ax.set_title("k-sparse steps: the work of a random-order subset search")
    ax.legend(fontsize=7)
    return fig


def _fig_klen(rows, cfg, fits):
    fig, ax = new_figure()
    for i, k in enumerate(cfg.ks):
        pts = sorted({(r["n"], r["cot_length"]) for r in rows if r["k"] == k})
        ns, ls = zip(*pts)
        ax.plot(ns, ls, "o", color=f"C{i}", label=f"k={k}: CoT tokens of the chain")
        ax.plot(ns, [evaluate_bound(PARITY_CHAIN_LENGTH, n=v, k=k) for v in ns], "-", color=f"C{i}", lw=1,
                label=f"k={k}: ceil((n/2 - 1)/(k - 1)); best fit {fits[k].best if fits[k] else '?'}")
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("CoT length (tokens)")
    ax.set_title("k-XOR chain: CoT length (information: the chain's construction)")
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
                color=f"C{i}", lw=1, label=f"k={k}: bound k log2 p + log2(1/delta), p = largest context")
    all_n = sorted({r["n"] for r in rows})
    ax.set_xticks(all_n, [str(v) for v in all_n])
    ax.set_xlabel("n (input bits)")
    ax.set_ylabel("training samples per CoT step")
    ax.set_title(f"Samples per CoT step vs the k log2 p + log2(1/delta) bound (delta = {cfg.delta:g})")
    ax.legend(fontsize=8)
    return fig
