"""Benchmark: feature discovery (:func:`learners.discovery.discover_layout`) with its numba counting pass
against a naive pure-Python baseline on the same dataset and the same search, side by side.

- the dataset: ``zoo:parity`` in ``tableau-triples``, inputs of lengths 1-6 at row width 12 (``--n``
  traces, 300 by default);
- ``numba``: ``discover_layout(..., backend="numba")``;
- ``python``: ``discover_layout(..., backend="python")``, every counting pass in the plain-Python twin
  (dicts of ``(context id, token)`` keys), the executable specification; both must return the same report;
- the tie-break is ``"simplest"`` in both, so only the search is timed (the ``"linear"`` tie-break adds the
  same perceptron fits to both);
- then the default discovery (``tie_break="linear"``) on 300 traces of ``zoo:binary-addition`` (lengths
  3-7, width 26), numba only: the size the issue asks to take seconds.

Times are the minimum and the median of ``--repeat`` runs (after one warm-up call that compiles the kernel).

Usage::

    python benchmarks/bench_discovery.py [--quick] [--n 60] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from learners.discovery import discover_layout
from tmsim.datasets import make_dataset


def _times(fn, repeat: int) -> tuple[list[float], object]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30 traces, 1 repeat, no 300-trace run")
    ap.add_argument("--n", type=int, default=300, help="traces of the side-by-side dataset (default 300)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per backend (default 3)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    n, repeat = (30, 1) if args.quick else (args.n, args.repeat)
    data = make_dataset("zoo:parity", "tableau-triples", n=n, lengths=(1, 6), width=12, random_state=0)
    kw = dict(tie_break="simplest", random_state=0)
    discover_layout(data, data.layout, **kw)  # compile
    rows = {}
    reports = {}
    for backend in ("numba", "python"):
        times, reports[backend] = _times(lambda: discover_layout(data, data.layout, backend=backend, **kw), repeat)
        rows[backend] = {"min_s": min(times), "median_s": statistics.median(times)}
    if reports["numba"] != reports["python"]:
        print("error: the numba and python backends disagree", file=sys.stderr)
        return 1
    result = {"dataset": f"zoo:parity tableau-triples n={n} lengths 1-6 width 12 ({data.n_tokens} tokens)",
              "offsets": [list(o) for o in reports["numba"].offsets], **rows,
              "ratio_min": rows["python"]["min_s"] / rows["numba"]["min_s"],
              "ratio_median": rows["python"]["median_s"] / rows["numba"]["median_s"]}
    if not args.quick:
        big = make_dataset("zoo:binary-addition", "tableau-triples", n=300, lengths=(3, 7), width=26,
                           random_state=0, unique=True)
        times, rep = _times(lambda: discover_layout(big, big.layout, random_state=0), repeat)
        result["default_300"] = {"dataset": f"zoo:binary-addition n=300 lengths 3-7 width 26 ({big.n_tokens} "
                                            f"tokens)", "min_s": min(times), "median_s": statistics.median(times),
                                 "offsets": [list(o) for o in rep.offsets]}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(result["dataset"], "-> offsets", result["offsets"])
    print(f"{'backend':>8} {'min s':>9} {'median s':>9}")
    for b in ("numba", "python"):
        print(f"{b:>8} {rows[b]['min_s']:9.3f} {rows[b]['median_s']:9.3f}")
    print(f"python / numba: {result['ratio_min']:.1f}x (min), {result['ratio_median']:.1f}x (median)")
    if "default_300" in result:
        d = result["default_300"]
        print(f"default discovery (tie-break linear), {d['dataset']}: min {d['min_s']:.2f} s, median "
              f"{d['median_s']:.2f} s -> {d['offsets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
