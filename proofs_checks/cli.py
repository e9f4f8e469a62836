"""Check -> CLI: ``proofs-checks list | run NAME | report`` over the registry, the sweep runner and the report
writer. Exit status 0 when every check run passes, 1 when one fails, 2 on bad input (one line
``proofs-checks: error: ...``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from tmsim.errors import OutputError
from tmsim._cliutil import announce_compile, parse_one_line, quiet_stdout, say_wrote, stderr_is_tty
from tmsim.io import atomic_write

from .errors import CheckError
from .experiments.text.errors import TextError

__all__ = ["main"]

PROG = "proofs-checks"
#: The kernel modules the report's checks compile (the first-run note, :func:`tmsim._cliutil.announce_compile`).
KERNEL_MODULES = ("tmsim._kernels", "tmsim.encodings._kernels", "learners._kernels")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit code 2, as the other CLIs of the toolkit
        raise CheckError(message)


def _runner(args):
    from .sweep import SweepRunner

    try:
        # The sweeps' tqdm bars on a terminal only: in a log they would be one line of carriage returns (the
        # report logs a line per check instead).
        return SweepRunner(n_jobs=args.jobs, cache_dir=args.cache, scheduler=args.scheduler,
                           progress=not args.quiet and stderr_is_tty(), scheduler_name="--scheduler")
    except CheckError as e:  # name the flag the user typed, not the Python parameter
        raise CheckError(str(e).replace("The 'cache_dir' parameter of SweepRunner", "--cache")
                         .replace("The 'n_jobs' parameter of SweepRunner", "--jobs")) from None


def _add_exec(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="the quick preset (minutes; default: full)")
    p.add_argument("--preset", default=None, help="a preset by name (quick or full); overrides --quick")
    p.add_argument("--jobs", type=int, default=2, help="joblib workers for the sweeps (default: %(default)s)")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="cache finished sweep jobs here; a rerun resumes an interrupted sweep")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the sweeps on this Dask distributed scheduler (tcp://host:8786) instead of joblib. "
                        "A Dask scheduler runs code and returns pickles that this process unpickles: name only a "
                        "cluster you trust")
    p.add_argument("--quiet", action="store_true",
                   help="no progress output (progress bars show on a terminal only; in a log, a line per check)")


def _distribution_version() -> str:
    """The installed ar-universal version (importlib.metadata: no package import, so --version stays fast)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ar-universal")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that is not installed
        return "unknown (not installed)"


def _say_figures(out, figures: dict) -> None:
    """One ``wrote`` line for the figure files (``figures``: check -> figure -> file names in ``out``)."""
    names = [n for figs in figures.values() for ns in (figs or {}).values() for n in ns]
    if names:
        kinds = "/".join(sorted({Path(n).suffix.lstrip(".").upper() for n in names}))
        print(f"wrote {len(names)} figure files ({kinds}) in {out}: {', '.join(names[:3])}"
              + (", ..." if len(names) > 3 else ""), file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog=PROG, description="The paper's claims as runnable checks: verdicts, figures and a report.")
    ap.add_argument("--version", action="version", version=f"{PROG} {_distribution_version()}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("list", help="list the checks")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("run", help="run one check")
    p.add_argument("name")
    _add_exec(p)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--control", action="store_true",
                   help="run the check's negative control instead (one ingredient broken: it must FAIL, exit 1)")
    p.add_argument("--out", default=None, metavar="DIR", help="also write the figures (PNG, SVG) and result.json")
    p.add_argument("--corpus", default=None, help="text check: 'austen' (shipped) or a TinyStories path")
    p.add_argument("--tokenizer", default=None, choices=("word", "bpe"), help="text check: the tokenizer")
    p.add_argument("--max-documents", type=int, default=None, metavar="N",
                   help="text check: keep the first N documents")
    p = sub.add_parser("report", help="run every check and write report.md, report.html, figures, results.json")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--checks", default=None, help="comma-separated check names (default: all)")
    p.add_argument("--no-controls", action="store_true",
                   help="skip the negative controls (by default each check's control runs beside it and must fail)")
    _add_exec(p)
    return ap


def _preset(args) -> str:
    return args.preset if args.preset is not None else ("quick" if args.quick else "full")


def _main(argv: Sequence[str] | None) -> int:
    from .registry import get_check, jsonable, list_checks
    from .report import check_out_dir, run_report, write_figures

    args = parse_one_line(_parser(), sys.argv[1:] if argv is None else list(argv))
    if args.command == "list":
        names = list_checks()
        if args.json:
            print(json.dumps([{"name": n, "claim": get_check(n).claim, "theorem": get_check(n).theorem,
                               "presets": list(get_check(n).presets)} for n in names], indent=1))
        else:
            for n in names:
                print(f"{n:<28} {get_check(n).claim}")
        return 0
    if args.jobs < 1:
        raise CheckError(f"--jobs must be an int >= 1. Got {args.jobs}.")
    preset = _preset(args)
    log = None if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    if args.command == "run":
        check = get_check(args.name)
        overrides = {k: v for k, v in (("corpus", args.corpus), ("tokenizer", args.tokenizer),
                                       ("max_documents", args.max_documents)) if v is not None}
        if overrides and args.name != "text":
            flags = ", ".join("--" + k.replace("_", "-") for k in overrides)
            raise CheckError(f"{flags} apply to the text check only, not to {args.name!r}.")
        if args.max_documents is not None and args.max_documents < 3:
            raise CheckError(f"--max-documents must be an int >= 3 (train, validation and test). "
                             f"Got {args.max_documents}.")
        check.config(preset, **overrides)
        out = check_out_dir(args.out) if args.out else None
        runner = _runner(args)
        announce_compile(KERNEL_MODULES[:1], always=not args.quiet)  # every check runs machines
        result = check.run(preset, runner=runner, control=args.control, **overrides)
        files = write_figures(result, out) if out is not None else None
        if out is not None:
            path = out / f"{result.name}{'-control' if args.control else ''}.json"
            atomic_write(path, lambda f: json.dump(jsonable(result.to_dict(files)), f, indent=1), "w")
            _say_figures(out, {result.name: files})
            say_wrote(path, f"the result of {result.name}{' (negative control)' if args.control else ''}")
        if args.json:
            print(json.dumps(result.to_dict(files), indent=1))
        else:
            print(result.summary())
        return 0 if result.passed else 1
    names = [n.strip() for n in args.checks.split(",") if n.strip()] if args.checks is not None else None
    if names is not None and not names:
        raise CheckError(f"--checks must name at least one check, comma-separated (see 'proofs-checks list'). "
                         f"Got {args.checks!r}.")
    for n in names or ():
        get_check(n)  # an unknown name is refused before --out is made
    check_out_dir(args.out)  # bad input before the first-run note, so that an error stays one line
    for c in ([get_check(n) for n in names] if names is not None
              else [c for c in map(get_check, list_checks()) if c.in_report]):
        c.config(preset)
    runner = _runner(args)
    announce_compile(KERNEL_MODULES, always=not args.quiet)
    results, files = run_report(args.out, preset=preset, names=names, runner=runner, log=log,
                                controls=not args.no_controls)
    n_pass = sum(r.passed for r in results)
    ctrl = files["controls"]
    _say_figures(args.out, files["figures"])
    for key, what in (("results", "every result, as JSON"), ("report", "the report"), ("html", "the report")):
        say_wrote(files[key], what)
    ctrl_note = (f", {sum(not c.passed for c in ctrl.values())}/{len(ctrl)} negative controls failed as they must"
                 if ctrl else "")
    print(f"{n_pass}/{len(results)} checks passed{ctrl_note}; report: {files['report']} (HTML: {files['html']}), "
          f"results: {files['results']}")
    return 0 if files["passed"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``proofs-checks`` (and ``python -m proofs_checks``): exit status 0 when every check run
    passes, 1 when one fails, 2 on bad input (one line), 128 + the signal when interrupted (Ctrl-C 130,
    SIGTERM 143, SIGHUP 129)."""
    from tmsim import interrupts
    from tmsim.errors import TmsimError

    if argv is None:
        interrupts.exit_soon()
    try:
        with interrupts.handle_signals():
            code = _main(argv)
            sys.stdout.flush()  # here, so a full disk (> /dev/full) is an error line, not a traceback at exit
        return code
    except BrokenPipeError:  # proofs-checks list | head -c1: stop quietly, as Unix tools do
        quiet_stdout()
        return 141
    except (CheckError, TextError, OutputError, TmsimError, ValueError, OSError) as e:
        # A bad input found inside a check (a LearnerError, a DatasetError) is a bad input too.
        quiet_stdout()
        text = " ".join((str(e) or type(e).__name__).split())
        if isinstance(e, OSError) and e.strerror:
            text = f"{e.strerror}: {e.filename!r}" if e.filename is not None else e.strerror
        print(f"{PROG}: error: {text}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as e:
        code = interrupts.exit_code(e)
        if code is None:
            raise
        print(f"{PROG}: interrupted (finished sweep jobs are kept in --cache, if given)", file=sys.stderr)
        return code



if __name__ == "__main__":
    sys.exit(main())
