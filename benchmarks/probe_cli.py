"""Probes (robustness count): every bad command line of tests/fuzz/test_fuzz.py's table, each in its own
subprocess with a timeout, classified as a clear error, a traceback, a crash (killed by a signal), a hang
(past the timeout), another failure (wrong exit status, several lines, the flag not named) or a leftover
(a file at the target or a temporary file left); then the counts.

Usage::

    python benchmarks/probe_cli.py [--timeout 60] [--json] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _load_table():
    """tests/**/test_fuzz.py, where the table lives beside the tests that assert it."""
    import importlib.util

    path = min(ROOT.glob("tests/**/test_fuzz.py"))
    spec = importlib.util.spec_from_file_location("test_fuzz", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["test_fuzz"] = module  # the dataclasses in it look their module up
    spec.loader.exec_module(module)
    return module


fuzz = _load_table()

_MODULES = {"tmsim": "tmsim.cli", "learners": "learners.cli", "proofs-checks": "proofs_checks.cli"}


def classify(probe: fuzz.Probe, fields: dict, work: Path, timeout: float) -> tuple[str, str, float]:
    case = work / probe.id
    case.mkdir()
    out = str(case / "target")
    argv, names = fuzz.expand(probe, fields, out)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.monotonic()
    try:
        r = subprocess.run([sys.executable, "-m", _MODULES[probe.prog], *argv], cwd=case, env=env,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", f"no exit within {timeout:.0f} s", time.monotonic() - t0
    seconds = time.monotonic() - t0
    if r.returncode < 0:
        return "crash", f"killed by signal {-r.returncode}", seconds
    if "Traceback" in r.stderr:
        return "traceback", r.stderr.strip().splitlines()[-1][:200], seconds
    problem = fuzz.verdict(probe.prog, r.returncode, r.stdout, r.stderr, names)
    if problem is not None:
        return "other", problem, seconds
    if any(p.name.startswith("target") for p in case.iterdir()) or fuzz.leftovers(case) \
            or fuzz.leftovers(Path(fields["dir"]).parent):
        return "leftover", "a file at the target or a temporary file", seconds
    return "clear", r.stderr.strip(), seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per probe before it counts as a hang")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--only", default=None, help="run the probes whose id contains this")
    args = ap.parse_args(argv)
    probes = [p for p in fuzz.PROBES if args.only is None or args.only in p.id]
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        fields = fuzz.make_fixtures(work / "fixtures")
        rows = [(p.id, *classify(p, fields, work, args.timeout)) for p in probes]
    counts = Counter(kind for _, kind, _, _ in rows)
    summary = {"probes": len(rows), **{k: counts.get(k, 0) for k in
                                        ("clear", "traceback", "crash", "hang", "other", "leftover")}}
    if args.json:
        print(json.dumps({"summary": summary, "probes": [dict(zip(("id", "kind", "detail", "seconds"), r))
                                                         for r in rows]}, indent=1))
    else:
        for pid, kind, detail, seconds in rows:
            print(f"{kind:<10}{seconds:6.1f}s  {pid:<30} {detail[:110]}")
        print(", ".join(f"{k}: {v}" for k, v in summary.items()))
    return 0 if summary["clear"] == summary["probes"] else 1


if __name__ == "__main__":
    sys.exit(main())
