"""Benchmark: simulator steps/s, measured side by side in one run.

Prints steps/s of the numba kernel (BB(5) champion to completion), the plain-Python reference, automata-lib,
a numba pointer-chasing loop (one dependent load per iteration: the practical ceiling of a table-driven
simulator), and batched runs of 10,000 random machines of ~100 steps each; then the ratios the issue's
targets are stated in. It also prices the chunking that lets Ctrl-C stop a long run (tmsim.interrupts): the
BB(5) run in the default chunks (tmsim.simulate.RUN_CHUNK_STEPS) against one unchunked kernel call, and
the same for a batch of long jobs (BATCH_CHUNK_STEPS). Those direct ratios carry the machine's noise (a few
per cent), so the cost of one chunk boundary is also measured magnified (thousands of tiny chunks against
one call) and scaled to the default chunk: ``chunk_overhead_bound`` = 1 - that fraction, target >= 0.98.

Usage::

    python benchmarks/bench_sim.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import tmsim
from tmsim import _kernels, parse_standard, prepare_batch, run, run_batch, simulate
from _timing import best_of  # benchmarks/_timing.py (run as a script from benchmarks/)

BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"
BB5_STEPS = 47_176_870




def random_machines(n: int, rng: np.random.Generator) -> list[tmsim.Machine]:
    """``n`` random 5-state 2-symbol machines without halting rules (each job then runs exactly its
    step budget, so the batch's work is known in advance)."""
    letters = "ABCDE"
    out = []
    for _ in range(n):
        w = rng.integers(2, size=10)
        mv = rng.integers(2, size=10)
        nx = rng.integers(5, size=10)
        rows = ["".join(f"{w[2 * q + s]}{'LR'[mv[2 * q + s]]}{letters[nx[2 * q + s]]}" for s in range(2))
                for q in range(5)]
        out.append(parse_standard("_".join(rows)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and smaller baselines")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    repeat = 2 if args.quick else 5
    bb5 = parse_standard(BB5)

    # Warm up (JIT compile) every kernel first, so no timing includes compilation.
    run(bb5, max_steps=1000)
    rng = np.random.default_rng(0)
    order = rng.permutation(64)  # L1-resident, like a machine's table
    perm = np.empty(64, dtype=np.int64)
    perm[order] = np.roll(order, -1)  # a single random cycle through all 64 slots
    _kernels.pointer_chase(perm, 10)

    res: dict[str, float] = {}
    t = best_of(lambda: run(bb5), repeat)
    assert run(bb5).steps == BB5_STEPS
    res["kernel_steps_per_s"] = BB5_STEPS / t
    n_chase = BB5_STEPS
    t = best_of(lambda: _kernels.pointer_chase(perm, n_chase), repeat)
    res["pointer_chase_per_s"] = n_chase / t
    # The baselines run the first steps of the same BB(5) run (all of it would take them hours).
    n_ref = 200_000 if args.quick else 1_000_000
    t = best_of(lambda: run(bb5, max_steps=n_ref, backend="python"), 1)
    res["reference_steps_per_s"] = n_ref / t

    try:
        import automata  # noqa: F401  (the test extra's independent simulator)
    except ImportError:
        print("bench_sim: automata-lib is not installed (pip install \".[test]\"): its baseline is skipped",
              file=sys.stderr)
    else:
        from tmsim.formats.automata_lib import run_automata, to_automata

        dtm = to_automata(bb5)
        n_auto = 5_000 if args.quick else 20_000
        t = best_of(lambda: run_automata(dtm, "", max_steps=n_auto), 1)
        res["automata_lib_steps_per_s"] = n_auto / t

    n_batch = 2_000 if args.quick else 10_000
    machines = random_machines(n_batch, np.random.default_rng(1))
    run_batch(machines[:10], [""] * 10, max_steps=100, max_tape=128)
    jobs = prepare_batch(machines, [""] * n_batch, max_steps=100, max_tape=128)
    total = int(jobs.run().steps.sum())
    # The compiled batch call on packed jobs (packing is Python, once per batch; reported separately).
    t = best_of(jobs.run, repeat)
    res["batch_steps_per_s"] = total / t
    t = best_of(lambda: run_batch(machines, [""] * n_batch, max_steps=100, max_tape=128), repeat)
    res["batch_end_to_end_steps_per_s"] = total / t
    res["batch_jobs"] = n_batch
    res["batch_mean_steps"] = total / n_batch
    # A batch of one short job (BB(4), 107 steps) with the default threads and on one thread: small batches
    # run their first SERIAL_BATCH_STEPS on one thread, so they do not pay for starting numba's threads.
    bb4 = [parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")]
    res["batch_of_one_default_threads_ms"] = 1e3 * best_of(lambda: run_batch(bb4, [""]), repeat * 10)
    res["batch_of_one_one_thread_ms"] = 1e3 * best_of(lambda: run_batch(bb4, [""], n_threads=1), repeat * 10)

    # Chunking: the same BB(5) run in the default chunks and in one call, alternating, best of each.
    default_chunk = simulate.RUN_CHUNK_STEPS["numba"]
    chunked, whole = float("inf"), float("inf")
    for _ in range(repeat + 1):
        chunked = min(chunked, best_of(lambda: run(bb5), 1))
        simulate.RUN_CHUNK_STEPS["numba"] = 1 << 62
        try:
            whole = min(whole, best_of(lambda: run(bb5), 1))
        finally:
            simulate.RUN_CHUNK_STEPS["numba"] = default_chunk
    # The price of one boundary, magnified: the same run in chunks of 2**14 steps (2,880 boundaries).
    simulate.RUN_CHUNK_STEPS["numba"] = 1 << 14
    try:
        tiny = best_of(lambda: run(bb5), repeat)
    finally:
        simulate.RUN_CHUNK_STEPS["numba"] = default_chunk
    boundary = max(0.0, tiny - whole) / (-(-BB5_STEPS // (1 << 14)))
    res["chunk_boundary_us"] = boundary * 1e6
    res["default_chunk_overhead_ppm"] = 1e6 * boundary / (default_chunk * whole / BB5_STEPS)
    res["run_chunk_steps"] = default_chunk
    res["run_chunks_per_bb5"] = -(-BB5_STEPS // default_chunk)
    res["unchunked_steps_per_s"] = BB5_STEPS / whole
    res["chunked_steps_per_s"] = BB5_STEPS / chunked
    # Batch of 8 long jobs (2**22 steps each, no halting), default chunks vs one call.
    # 8 jobs of 2**24 steps: 2 calls of BATCH_CHUNK_STEPS, against one call; alternating, best of each.
    long_jobs = prepare_batch(machines[:8], [""] * 8, max_steps=1 << 24, max_tape=1 << 12)
    long_steps = int(long_jobs.run().steps.sum())
    impl = simulate._backend("numba", "bench")
    tb_chunked = tb_whole = float("inf")
    for _ in range(repeat + 1):
        tb_chunked = min(tb_chunked, best_of(lambda: long_jobs._run_chunked(impl, simulate.BATCH_CHUNK_STEPS["numba"]), 1))
        tb_whole = min(tb_whole, best_of(lambda: long_jobs._run_chunked(impl, 1 << 62), 1))
    # One boundary of the batch, magnified: calls of 2**16 steps in all (8,192 per job: 2,048 calls).
    tb_tiny = best_of(lambda: long_jobs._run_chunked(impl, 1 << 16, 1 << 10), repeat)
    n_tiny = -(-(1 << 24) // ((1 << 16) // 8))
    batch_boundary = max(0.0, tb_tiny - tb_whole) / n_tiny
    n_default = -(-(1 << 24) // max(simulate.BATCH_MIN_STEPS, simulate.BATCH_CHUNK_STEPS["numba"] // 8))
    res["batch_boundary_us"] = batch_boundary * 1e6
    res["batch_default_chunk_overhead_ppm"] = 1e6 * batch_boundary * n_default / tb_whole
    res["batch_long_chunked_steps_per_s"] = long_steps / tb_chunked
    res["batch_long_unchunked_steps_per_s"] = long_steps / tb_whole

    ratios = {
        "kernel_vs_pointer_chase": res["kernel_steps_per_s"] / res["pointer_chase_per_s"],
        "kernel_vs_reference": res["kernel_steps_per_s"] / res["reference_steps_per_s"],
        **({"kernel_vs_automata_lib": res["kernel_steps_per_s"] / res["automata_lib_steps_per_s"]}
           if "automata_lib_steps_per_s" in res else {}),
        "batch_of_one_one_thread_vs_default": res["batch_of_one_one_thread_ms"]
        / res["batch_of_one_default_threads_ms"],
        "batch_vs_single_long_run": res["batch_steps_per_s"] / res["kernel_steps_per_s"],
        "chunked_vs_unchunked": whole / chunked,
        "batch_chunked_vs_unchunked": tb_whole / tb_chunked,
        "chunk_overhead_bound": 1 - 1e-6 * max(res["default_chunk_overhead_ppm"],
                                               res["batch_default_chunk_overhead_ppm"]),
    }
    targets = {"kernel_vs_pointer_chase": 0.7, "kernel_vs_reference": 50, "kernel_vs_automata_lib": 1000,
               "batch_vs_single_long_run": 0.5, "chunked_vs_unchunked": 0.98, "chunk_overhead_bound": 0.98}
    if args.json:
        print(json.dumps({"rates": res, "ratios": ratios, "targets": targets}, indent=2))
    else:
        print(f"{'measure':<32}{'value':>16}")
        for k, v in res.items():
            print(f"{k:<32}{v:>16,.2f}" if abs(v) < 100 else f"{k:<32}{v:>16,.0f}")
        print()
        print(f"{'ratio':<28}{'measured':>10}{'target':>10}  ok")
        for k, v in ratios.items():
            if k in targets and k in ratios:
                print(f"{k:<28}{v:>10.2f}{targets[k]:>10}  {'yes' if v >= targets[k] else 'NO'}")
            else:  # informational: the direct ratio of a batch carries the machine's noise
                print(f"{k:<28}{v:>10.2f}{'-':>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
