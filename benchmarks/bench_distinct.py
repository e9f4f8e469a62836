"""Benchmark: the margin perceptron on distinct windows (``PerceptronAR(distinct=True)``) against the same
learner on every training position (the baseline), on the same traces and features, side by side.

- the data: ``zoo:binary-multiplication`` in ``tableau-triples``, ``--n`` inputs of lengths 3-10 (100 by
  default) at row width 33 (what the learned-emulation layout rule fixes for lengths up to 12);
- the features: the offsets discovery finds on these traces (found once, outside the timings);
- the learner: :func:`proofs_checks.experiments.learned_emulation.default_learner` (averaged, margin 10,
  compact, shrinking), with ``distinct`` False (baseline) and True; rounds alternate the two so that the
  load of a shared machine falls on both alike;
- printed: windows per epoch, epochs, converged, the teacher-forced training accuracy (both must be 1.0),
  minimum and median fit time of ``--repeat`` rounds, and the speed-up (baseline / distinct, medians).

Usage::

    python benchmarks/bench_distinct.py [--n 100] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from learners.discovery import discover_layout, learner_features
from proofs_checks.experiments.learned_emulation import default_learner
from tmsim.datasets import make_dataset


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="training traces (default: 100)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds of both fits (default: 2)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.n < 1 or args.repeat < 1:
        print(f"error: --n and --repeat must be ints >= 1. Got {args.n}, {args.repeat}.", file=sys.stderr)
        return 2
    data = make_dataset("zoo:binary-multiplication", "tableau-triples", n=args.n, lengths=(3, 10), width=33,
                        random_state=0)
    features = learner_features(discover_layout(data, data.layout, random_state=0))
    times: dict[bool, list[float]] = {False: [], True: []}
    info: dict[bool, dict] = {}
    for _ in range(args.repeat):
        for distinct in (False, True):
            m = default_learner(0).set_params(distinct=distinct, **features)
            t = time.perf_counter()
            m.fit(data)
            times[distinct].append(time.perf_counter() - t)
            info[distinct] = {"windows": m.n_windows_, "epochs": m.n_iter_, "converged": bool(m.converged_),
                              "train_accuracy": float(m.score(data))}
    out = {"n_traces": args.n, "tokens": int(len(data.tokens)),
           "rows": {("distinct" if d else "every position (baseline)"):
                    dict(info[d], min_s=round(min(times[d]), 2), median_s=round(statistics.median(times[d]), 2))
                    for d in (False, True)},
           "speedup_median": round(statistics.median(times[False]) / statistics.median(times[True]), 2)}
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"binary-multiplication, {args.n} traces ({out['tokens']:,} tokens), {args.repeat} rounds")
        for name, r in out["rows"].items():
            print(f"  {name:26s} windows {r['windows']:>10,}  epochs {r['epochs']:>4}  converged {r['converged']}"
                  f"  train acc {r['train_accuracy']:.4f}  fit min {r['min_s']:.2f} s  median {r['median_s']:.2f} s")
        print(f"  speed-up (median, baseline / distinct): {out['speedup_median']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
