"""Benchmark: the linear AR learners against scikit-learn on identical data, measured side by side.

Synthetic token sequences (V = 16, a noisy rule on the tokens 1 and 3 back), windows of k = 32 offsets,
200k and 1M training windows:

- ``LeastSquaresAR.fit`` against ``sklearn.linear_model.RidgeClassifier`` on the scipy CSR one-hot matrix of
  the same windows (same alpha; training accuracies must agree to 1e-3). Target: >= 50x faster.
- one ``PerceptronAR`` epoch against ``sklearn.linear_model.Perceptron(max_iter=1)`` on the same CSR
  matrix. Target: >= 10x faster.
- each kernel's input bytes/s against a numpy memory copy (the bandwidth ceiling).
- peak memory of ``fit`` (tracemalloc) against the token arrays plus the model's state (weights and, for
  least squares, its Gram accumulators). Target: < 2x.

Usage::

    python benchmarks/bench_learners.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from learners import LeastSquaresAR, PerceptronAR, as_sequences
from learners import _kernels
from _timing import best_of  # benchmarks/_timing.py (run as a script from benchmarks/)

K, V, SEQ_LEN = 32, 16, 101


def synthetic(n_windows: int, seed: int = 0):
    """Sequences whose next token is a noisy function of the tokens 1 and 3 back (first token = prompt)."""
    rng = np.random.default_rng(seed)
    n_seq = n_windows // (SEQ_LEN - 1)
    toks = np.zeros((n_seq, SEQ_LEN), dtype=np.int32)
    toks[:, :3] = rng.integers(1, V, size=(n_seq, 3))
    for t in range(3, SEQ_LEN):
        nxt = (toks[:, t - 1] + toks[:, t - 3]) % (V - 1) + 1
        noise = rng.random(n_seq) < 0.1
        nxt[noise] = rng.integers(1, V, size=int(noise.sum()))
        toks[:, t] = nxt
    return as_sequences(list(toks), vocab_size=V)


def csr_windows(seqs) -> tuple[sp.csr_matrix, np.ndarray]:
    """The same windows as an explicit scipy CSR one-hot matrix (what scikit-learn needs)."""
    pos = np.flatnonzero(seqs.kinds)
    starts = np.repeat(seqs.offsets[:-1], np.diff(seqs.offsets))[pos]
    src = pos[:, None] - np.arange(1, K + 1)[None, :]
    tok = np.where(src >= starts[:, None], seqs.tokens[np.maximum(src, 0)], 0)
    cols = (np.arange(K)[None, :] * V + tok).ravel()
    X = sp.csr_matrix((np.ones(len(cols)), cols, np.arange(0, len(cols) + 1, K)), shape=(len(pos), K * V))
    return X, seqs.tokens[pos]




def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def memcpy_rate(n_bytes: int, repeat: int) -> float:
    src = np.ones(n_bytes, dtype=np.uint8)
    dst = np.empty_like(src)
    return n_bytes / best_of(lambda: np.copyto(dst, src), repeat)


def bench(n_windows: int, repeat: int, with_sklearn: bool) -> dict:
    from sklearn.linear_model import Perceptron, RidgeClassifier

    seqs = synthetic(n_windows)
    n = int(np.count_nonzero(seqs.kinds))
    data_bytes = seqs.tokens.nbytes + seqs.kinds.nbytes + seqs.offsets.nbytes
    out: dict = {"windows": n, "k": K, "V": V}

    ls = LeastSquaresAR(window=K, alpha=1.0).fit(seqs)  # warm-up (JIT)
    t_ls = best_of(lambda: LeastSquaresAR(window=K, alpha=1.0).fit(seqs), repeat)
    out["ls_windows_per_s"] = n / t_ls
    out["ls_accuracy"] = ls.score(seqs)
    state = ls.coef_.nbytes + ls.intercept_.nbytes + ls._G.nbytes + ls._B.nbytes
    out["ls_peak_over_data_plus_state"] = peak_bytes(lambda: LeastSquaresAR(window=K, alpha=1.0).fit(seqs)) / (
        data_bytes + state)

    p = PerceptronAR(window=K, max_iter=1, random_state=0).fit(seqs)
    t_p = best_of(lambda: PerceptronAR(window=K, max_iter=1, random_state=0).fit(seqs), repeat)
    out["perceptron_epoch_windows_per_s"] = n / t_p
    out["perceptron_accuracy"] = p.score(seqs)
    pstate = p.coef_.nbytes * 3 + p.intercept_.nbytes * 3  # weights, averaging sums, averaged copy
    out["perceptron_peak_over_data_plus_state"] = peak_bytes(
        lambda: PerceptronAR(window=K, max_iter=1, random_state=0).fit(seqs)) / (data_bytes + pstate)

    # Kernel bandwidth: the bytes of token data each kernel reads per second, against a memory copy.
    positions = LeastSquaresAR._windows(seqs, _kernels)
    pred = np.empty(len(positions), dtype=np.int32)
    t_pred = best_of(lambda: _kernels.predict_windows(seqs.tokens, seqs.offsets, positions, *ls._kernel_args(),
                                                      ls.coef_, ls.intercept_, pred), repeat)
    copy = memcpy_rate(max(data_bytes, 1 << 20), repeat)
    out["memcpy_bytes_per_s"] = copy
    out["ls_fit_bytes_per_s_vs_memcpy"] = data_bytes / t_ls / copy
    out["perceptron_epoch_bytes_per_s_vs_memcpy"] = data_bytes / t_p / copy
    out["predict_bytes_per_s_vs_memcpy"] = data_bytes / t_pred / copy
    out["predict_windows_per_s"] = n / t_pred

    if with_sklearn:
        X, y = csr_windows(seqs)
        t0 = time.perf_counter()
        r = RidgeClassifier(alpha=1.0).fit(X, y)
        t_r = time.perf_counter() - t0
        out["sklearn_ridge_windows_per_s"] = n / t_r
        out["sklearn_ridge_accuracy"] = r.score(X, y)
        out["ls_speedup_vs_sklearn"] = t_r / t_ls
        out["ls_accuracy_gap"] = abs(out["ls_accuracy"] - out["sklearn_ridge_accuracy"])
        t0 = time.perf_counter()
        q = Perceptron(max_iter=1, tol=None, shuffle=True, random_state=0).fit(X, y)
        t_q = time.perf_counter() - t0
        out["sklearn_perceptron_windows_per_s"] = n / t_q
        out["sklearn_perceptron_accuracy"] = q.score(X, y)
        out["perceptron_speedup_vs_sklearn"] = t_q / t_p
    return out


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore")  # sklearn's ConvergenceWarning for max_iter=1 is the point here
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="200k windows only, fewer repeats")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = [200_000] if args.quick else [200_000, 1_000_000]
    results = [bench(n, 2 if args.quick else 3, with_sklearn=True) for n in sizes]
    targets = {"ls_speedup_vs_sklearn": (">=", 50), "perceptron_speedup_vs_sklearn": (">=", 10),
               "ls_accuracy_gap": ("<=", 1e-3), "ls_peak_over_data_plus_state": ("<", 2),
               "perceptron_peak_over_data_plus_state": ("<", 2)}
    if args.json:
        print(json.dumps({"results": results, "targets": targets}, indent=2))
        return 0
    for r in results:
        print(f"\n== {r['windows']:,} windows, k = {K}, V = {V} ==")
        for key, value in r.items():
            if key in ("windows", "k", "V"):
                continue
            mark = ""
            if key in targets:
                op, thr = targets[key]
                ok = {">=": value >= thr, "<=": value <= thr, "<": value < thr}[op]
                mark = f"   target {op} {thr}: {'yes' if ok else 'NO'}"
            print(f"{key:<42}{value:>16,.4g}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
