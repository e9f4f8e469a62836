"""Benchmarks: the README's main job on a fresh install (cold numba cache) against the same job run again (warm).

A fresh install is built the way a user makes one, offline: a new virtual environment, ``pip install --no-deps
--no-build-isolation .`` of this source tree into its site-packages (a real, non-editable copy), and the
dependencies taken from the interpreter running this script (a ``.pth`` line naming its site-packages, so nothing
is downloaded and its editable install of the toolkit is not seen). numba's compile cache then lives where it
would on a user's machine: ``__pycache__`` beside the installed kernels, or, with ``--read-only-site``, numba's
fallback (``$XDG_CACHE_HOME/numba``, here a temporary directory) when site-packages cannot be written (run as
root, the job then runs as user ``nobody`` through ``setpriv``, since root may write anywhere).

Each round empties every numba cache of the install, runs the command (cold), then runs it again (warm); rounds
alternate back to back so that the load of a shared machine falls on both alike. Printed: each run's wall time,
the cold/warm ratio of each round, their median, and where the cache files went.

    python benchmarks/bench_first_run.py                      # proofs-checks report --quick, 2 rounds
    python benchmarks/bench_first_run.py --rounds 3 --command "proofs-checks run k-sparse-parity --quick"
    python benchmarks/bench_first_run.py --read-only-site      # the cache in the user's cache directory
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COMMAND = "proofs-checks report --quick --out {out}"
PACKAGES = ("tmsim", "learners", "proofs_checks")
AS_OTHER_USER = False  # set by --read-only-site when this runs as root


def make_install(tmp: Path) -> tuple[Path, Path]:
    """A new venv under ``tmp`` with this tree installed (non-editable) and the current environment's
    site-packages on its path; returns (venv bin directory, the install's site-packages)."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    sp = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies (and pip, setuptools) of the running environment, appended after the venv's own
    # site-packages: the installed copy wins over anything there.
    (sp / "_bench_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    build = tmp / "src"
    shutil.copytree(ROOT, build, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build",
                                                                "report", ".venv", "*.npz", "*.parquet"))
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", str(build)], check=True, cwd=tmp)
    where = subprocess.run([str(py), "-c", "import tmsim; print(tmsim.__file__)"], check=True, cwd=tmp,
                           capture_output=True, text=True, env=_env(tmp)).stdout.strip()
    assert where.startswith(str(sp)), f"tmsim imports from {where}, not from the fresh install {sp}"
    return venv / "bin", sp


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_") and k != "PYTHONPATH"}
    env["XDG_CACHE_HOME"] = str(tmp / "user-cache")  # numba's fallback when site-packages is read-only
    env["MPLBACKEND"] = "Agg"
    return env


def cache_files(sp: Path, tmp: Path) -> dict[str, int]:
    """Number of numba cache files (.nbi index, .nbc code) beside the install and in the user cache."""
    out = {}
    for name, base in (("site-packages", sp), ("user cache", tmp / "user-cache")):
        out[name] = sum(1 for p in base.rglob("*") if p.suffix in (".nbi", ".nbc")) if base.exists() else 0
    return out


def empty_caches(sp: Path, tmp: Path) -> None:
    for pkg in PACKAGES:
        for p in (sp / pkg).rglob("*"):
            if p.suffix in (".nbi", ".nbc"):
                os.chmod(p.parent, 0o755) if not os.access(p.parent, os.W_OK) else None
                p.unlink()
    shutil.rmtree(tmp / "user-cache", ignore_errors=True)


def set_read_only(sp: Path, read_only: bool) -> None:
    for pkg in PACKAGES:
        for d in [sp / pkg, *(p for p in (sp / pkg).rglob("*") if p.is_dir())]:
            os.chmod(d, 0o555 if read_only else 0o755)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(bin_dir: Path, command: str, tmp: Path, out: Path) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (the command and its reaped workers: less disturbed by the other tenants of a
    loaded machine than the wall time), exit status and stderr of one run."""
    argv = shlex.split(command.format(out=out))
    argv[0] = str(bin_dir / argv[0]) if (bin_dir / argv[0]).exists() else argv[0]
    if AS_OTHER_USER:  # root writes anywhere: run as nobody, for whom the installed packages are read-only
        (tmp / "user-cache").mkdir(exist_ok=True)
        os.chown(tmp / "user-cache", 65534, 65534)
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    cpu, t = _children_cpu(), time.perf_counter()
    p = subprocess.run(argv, cwd=tmp, env=_env(tmp), capture_output=True, text=True)
    wall = time.perf_counter() - t
    return wall, _children_cpu() - cpu, p.returncode, p.stderr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--command", default=DEFAULT_COMMAND,
                    help="the job, a console script of the install ({out}: a fresh output directory); "
                         "default: %(default)r")
    ap.add_argument("--rounds", type=int, default=2, help="cold/warm alternations (default: %(default)s)")
    ap.add_argument("--read-only-site", action="store_true",
                    help="make the installed packages read-only, so numba caches in the user cache directory")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    args = ap.parse_args(argv)
    global AS_OTHER_USER
    AS_OTHER_USER = args.read_only_site and os.geteuid() == 0 and shutil.which("setpriv") is not None
    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as d:
        tmp = Path(d)
        if AS_OTHER_USER:
            os.chmod(tmp, 0o777)  # the other user writes the outputs here
        t = time.perf_counter()
        bin_dir, sp = make_install(tmp)
        print(f"fresh install in {sp} ({time.perf_counter() - t:.1f} s); command: {args.command}", flush=True)
        rows = []
        try:
            for r in range(args.rounds):
                set_read_only(sp, False)
                empty_caches(sp, tmp)
                set_read_only(sp, args.read_only_site)
                walls, cpus = {}, {}
                for kind in ("cold", "warm"):
                    out = tmp / f"out-{r}-{kind}"
                    wall, cpu, code, err = timed(bin_dir, args.command, tmp, out)
                    compiling = "compiling kernels" in err
                    walls[kind], cpus[kind] = wall, cpu
                    print(f"round {r + 1} {kind}: wall {wall:7.1f} s  cpu {cpu:7.1f} s  exit {code}  cache files "
                          f"{cache_files(sp, tmp)}  compile note: {'yes' if compiling else 'no'}", flush=True)
                    if code not in (0, 1):
                        print(err[-2000:], file=sys.stderr)
                        return 1
                rows.append({"cold_s": walls["cold"], "warm_s": walls["warm"], "ratio": walls["cold"] / walls["warm"],
                             "cold_cpu_s": cpus["cold"], "warm_cpu_s": cpus["warm"],
                             "cpu_ratio": cpus["cold"] / max(cpus["warm"], 1e-9)})
                print(f"round {r + 1}: cold/warm = {rows[-1]['ratio']:.2f} (wall), {rows[-1]['cpu_ratio']:.2f} (cpu)",
                      flush=True)
        finally:
            set_read_only(sp, False)
        ratios = [row["ratio"] for row in rows]
        cpu_ratios = [row["cpu_ratio"] for row in rows]
        print(f"cold/warm ratio: median {statistics.median(ratios):.2f} wall ({', '.join(f'{x:.2f}' for x in ratios)}), "
              f"{statistics.median(cpu_ratios):.2f} cpu ({', '.join(f'{x:.2f}' for x in cpu_ratios)}) over "
              f"{len(rows)} rounds; load average {os.getloadavg()[0]:.1f}")
        if args.json:
            print(json.dumps({"command": args.command, "read_only_site": args.read_only_site, "rounds": rows,
                              "median_ratio": statistics.median(ratios),
                              "median_cpu_ratio": statistics.median(cpu_ratios)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
