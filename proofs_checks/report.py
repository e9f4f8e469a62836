"""Check -> report: run checks and write ``report.md`` and ``report.html`` (a summary table of claim,
measured, bound and verdict, then one section per check with its figures), every figure as PNG and SVG, and
``results.json``; every file written atomically."""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from tmsim.io import atomic_write

from .errors import CheckError
from .registry import CheckResult, get_check, jsonable, list_checks

__all__ = ["check_out_dir", "write_figures", "write_report", "run_report", "report_passed"]


def check_out_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` if needed and make sure it is a writable directory (before any long run).

    Raises
    ------
    CheckError
        Naming the directory and why it cannot be written.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise CheckError(f"The output directory {str(path)!r} exists and is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CheckError(f"Cannot create the output directory {str(path)!r}: {e.strerror}.") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".write-test-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise CheckError(f"The output directory {str(path)!r} is not writable: {e.strerror}.") from None
    return path


def write_figures(result: CheckResult, out: Path) -> dict[str, list[str]]:
    """Save every figure of ``result`` as ``out/<check>-<figure>.png`` and ``.svg``; the file names (relative
    to ``out``) per figure."""
    files: dict[str, list[str]] = {}
    for name, fig in result.figures.items():
        stem = f"{result.name}-{name}"
        files[name] = []
        for ext in ("png", "svg"):
            p = out / f"{stem}.{ext}"
            atomic_write(p, lambda f, fig=fig, ext=ext: fig.savefig(f, format=ext, dpi=110, bbox_inches="tight"),
                         "wb")
            files[name].append(p.name)
    return files


#: Suffix of the measured/bound keys that are by-construction or context numbers, not part of the verdict.
INFO = " (information)"


def _is_info(key: str) -> bool:
    return str(key).endswith(INFO)


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _cell(s: str) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return s.replace("|", "\\|").replace("\n", " ")


def _short(d: dict, limit: int = 4) -> str:
    """The first few scalar entries of a dict that are part of the verdict, for the summary table."""
    d = {k: v for k, v in d.items() if not _is_info(k)}
    items = [(k, v) for k, v in d.items() if not isinstance(v, (dict, list))][:limit]
    if not items:
        items = list(d.items())[:1]
    return "; ".join(f"{k} = {_fmt(v)}" for k, v in items) or "-"


def _control_cell(c: CheckResult | None) -> str:
    """The summary table's control column: a control must fail for its check to count."""
    if c is None:
        return "not run"
    return "FAIL, as it must" if not c.passed else "**PASS: the check cannot fail**"


def _markdown(results: Sequence[CheckResult], files: dict, meta: dict, controls: dict[str, CheckResult]) -> str:
    n_pass = sum(r.passed for r in results)
    lines = ["# proofs-checks report", "",
             f"{n_pass}/{len(results)} checks passed ({meta['preset']} preset, {meta['seconds']:.0f} s in all).",
             "", "Each theorem line cites the paper ([paper]) and the section of the repository's `docs/theory.md` "
             "that states the construction or bound the check measures.",
             "", "Beside each check runs its negative control: the same check with one ingredient broken, which "
             "must make the verdict fail (a check whose control passes could not fail, and does not count)."
             + ("" if controls else " Controls were not run (`--no-controls`)."),
             "", "| check | claim | measured | bound | verdict | control (breaks) |", "|---|---|---|---|---|---|"]
    for r in results:
        bound = _short(r.bound, 2) if r.bound else "-"
        c = controls.get(r.name)
        ctrl = _control_cell(c) + (f" ({c.control_breaks})" if c is not None else "")
        lines.append(f"| [{r.name}](#{r.name}) | {_cell(r.claim)} | {_cell(_short(r.measured))} | {_cell(bound)} | "
                     f"**{'PASS' if r.passed else 'FAIL'}** | {_cell(ctrl)} |")
    for r in results:
        lines += ["", f"## {r.name}", "", f"**Claim.** {r.claim}", "", f"**Theorem.** {r.theorem}", "",
                  f"**Verdict: {'PASS' if r.passed else 'FAIL'}** ({r.seconds:.1f} s, preset {r.preset}). {r.verdict}"]
        c = controls.get(r.name)
        if c is not None:
            lines += ["", f"**Negative control** (breaks {c.control_breaks}): "
                          f"**{'FAIL' if not c.passed else 'PASS'}**{', as it must' if not c.passed else ''} "
                          f"({c.seconds:.1f} s). {c.verdict}"]
        lines += ["", "| measured | value |", "|---|---|"]
        lines += [f"| {_cell(k)} | {_cell(_fmt(v))} |" for k, v in r.measured.items() if not _is_info(k)]
        lines += ["", "| threshold | value |", "|---|---|"] + [f"| {_cell(k)} | {_cell(_fmt(v))} |"
                                                              for k, v in r.threshold.items()]
        bound = {k: v for k, v in r.bound.items() if not _is_info(k)}
        if bound:
            lines += ["", "| bound | value |", "|---|---|"] + [f"| {_cell(k)} | {_cell(_fmt(v))} |"
                                                              for k, v in bound.items()]
        info = {k[:-len(INFO)]: v for d in (r.measured, r.bound) for k, v in d.items() if _is_info(k)}
        if info:
            lines += ["", "| information (by construction or context; not part of the verdict) | value |",
                      "|---|---|"] + [f"| {_cell(k)} | {_cell(_fmt(v))} |" for k, v in info.items()]
        for name, fs in files.get(r.name, {}).items():
            png = next(f for f in fs if f.endswith(".png"))
            svg = next(f for f in fs if f.endswith(".svg"))
            lines += ["", f"![{r.name}: {name}]({png})", f"([SVG]({svg}))"]
    lines += ["", "Raw data of every check: [results.json](results.json).", ""]
    return "\n".join(lines)


def _html(markdown_text: str) -> str:
    """A small, dependency-free Markdown -> HTML rendering of the report (headings, tables, images, links)."""
    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"!\[([^\]]*)\]\(([^)]+)\)", r'<img alt="\1" src="\2" style="max-width:100%">', s)
        s = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)
        return s

    out, table = [], False
    for line in markdown_text.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            if set("".join(cells)) <= set("-"):
                continue
            if not table:
                out.append("<table>")
                table = True
                out.append("<tr>" + "".join(f"<th>{inline(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in cells) + "</tr>")
            continue
        if table:
            out.append("</table>")
            table = False
        if line.startswith("## "):
            name = line[3:]
            out.append(f'<h2 id="{html.escape(name)}">{inline(name)}</h2>')
        elif line.startswith("# "):
            out.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    if table:
        out.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}table{border-collapse:collapse;"
             "margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%;vertical-align:top}")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>proofs-checks report</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n")


def write_report(results: Sequence[CheckResult], out: str | os.PathLike, *, preset: str = "quick",
                 seconds: float = 0.0, controls: dict[str, CheckResult] | None = None) -> dict[str, Any]:
    """Write ``report.md``, ``report.html``, every figure (PNG and SVG) and ``results.json`` into ``out``.

    ``controls`` (check name -> its negative control's result) are shown beside the checks; in
    ``results.json`` each check then has a ``negative_control`` object (``passed``, ``verdict``, ``breaks``,
    ``measured``, ``seconds``) and the top-level ``passed`` needs every check to pass and every control to
    fail (``controls_failed`` counts those that did).

    Returns
    -------
    dict
        ``report``, ``html``, ``results`` (paths), ``figures`` (check -> figure -> file names) and ``passed``
        (:func:`report_passed`, as in ``results.json``).
    """
    path = check_out_dir(out)
    files = {r.name: write_figures(r, path) for r in results}
    meta = {"preset": preset, "seconds": seconds}
    controls = controls or {}
    md = _markdown(results, files, meta, controls)
    checks = []
    for r in results:
        d = r.to_dict(files.get(r.name))
        c = controls.get(r.name)
        if c is not None:
            d["negative_control"] = jsonable({"passed": c.passed, "verdict": c.verdict, "breaks": c.control_breaks,
                                              "measured": c.measured, "seconds": round(c.seconds, 2)})
        checks.append(d)
    data = {"passed": report_passed(results, controls), "preset": preset, "seconds": round(seconds, 1),
            "controls_failed": f"{sum(not c.passed for c in controls.values())}/{len(controls)}",
            "checks": checks}
    atomic_write(path / "report.md", lambda f: f.write(md), "w")
    atomic_write(path / "report.html", lambda f: f.write(_html(md)), "w")
    atomic_write(path / "results.json", lambda f: json.dump(jsonable(data), f, indent=1), "w")
    return {"report": str(path / "report.md"), "html": str(path / "report.html"),
            "results": str(path / "results.json"), "figures": files, "passed": data["passed"]}


def report_passed(results: Sequence[CheckResult], controls: dict[str, CheckResult]) -> bool:
    """True when every check passed and every control that ran failed."""
    return all(r.passed for r in results) and not any(c.passed for c in controls.values())


def run_report(out: str | os.PathLike, *, preset: str = "quick", names: Sequence[str] | None = None,
               runner: Any = None, log: Callable[[str], None] | None = None,
               controls: bool = True) -> tuple[list[CheckResult], dict]:
    """Run the checks ``names`` (default: every check with ``in_report``) with ``preset``, and (``controls``)
    each one's negative control, and write the report into ``out``. The returned dict is
    :func:`write_report`'s with ``controls`` (check name -> control result) added.

    Raises
    ------
    CheckError
        An unknown check or preset, or an output directory that cannot be written (checked before running).
    """
    check_out_dir(out)
    checks = ([get_check(n) for n in names] if names is not None
              else [c for c in map(get_check, list_checks()) if c.in_report])
    for c in checks:
        c.config(preset)  # unknown preset: fail before any run
    t0 = time.perf_counter()
    results, control_results = [], {}
    for c in checks:
        r = c.run(preset, runner=runner)
        results.append(r)
        if log:
            log(r.summary())
        if controls:
            k = c.run(preset, runner=runner, control=True)
            control_results[c.name] = k
            if log:
                log(k.summary())
    files = write_report(results, out, preset=preset, seconds=time.perf_counter() - t0, controls=control_results)
    files["controls"] = control_results
    return results, files
