"""Benchmark: simulator steps/s, measured side by side in one run.

Prints steps/s of the numba kernel (BB(5) champion to completion), the plain-Python reference, automata-lib,
a numba pointer-chasing loop (one dependent load per iteration: the practical ceiling of a table-driven
simulator), and batched runs of 10,000 random machines of ~100 steps each; then the ratios the issue's
targets are stated in.

Usage::

    python benchmarks/bench_sim.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import tmsim
from tmsim import _kernels, parse_standard, prepare_batch, run, run_batch
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

    ratios = {
        "kernel_vs_pointer_chase": res["kernel_steps_per_s"] / res["pointer_chase_per_s"],
        "kernel_vs_reference": res["kernel_steps_per_s"] / res["reference_steps_per_s"],
        "kernel_vs_automata_lib": res["kernel_steps_per_s"] / res["automata_lib_steps_per_s"],
        "batch_vs_single_long_run": res["batch_steps_per_s"] / res["kernel_steps_per_s"],
    }
    targets = {"kernel_vs_pointer_chase": 0.7, "kernel_vs_reference": 50, "kernel_vs_automata_lib": 1000,
               "batch_vs_single_long_run": 0.5}
    if args.json:
        print(json.dumps({"rates": res, "ratios": ratios, "targets": targets}, indent=2))
    else:
        print(f"{'measure':<28}{'value':>16}")
        for k, v in res.items():
            print(f"{k:<28}{v:>16,.0f}")
        print()
        print(f"{'ratio':<28}{'measured':>10}{'target':>10}  ok")
        for k, v in ratios.items():
            print(f"{k:<28}{v:>10.2f}{targets[k]:>10}  {'yes' if v >= targets[k] else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
