"""Check (registry): every claim of the theory as a :class:`Check` -- its claim and theorem, a frozen config
with ``quick`` and ``full`` presets, and a run that returns a :class:`CheckResult` (measured values, the
threshold, the bound, a verdict, the raw data and its figures).

Examples
--------
>>> from proofs_checks import list_checks, get_check
>>> "parity-log-length" in list_checks()
True
>>> check = get_check("parity-log-length")
>>> check.config("quick").ns
(8, 16, 32)
>>> get_check("parity-loglength")
Traceback (most recent call last):
...
proofs_checks.errors.CheckError: Unknown check 'parity-loglength'. The checks are: emulation-construction, emulation-learned, parity-log-length, parity-k-sparse, length-vs-samples, rollout-vs-teacher-forced, multiplication, text, architectures.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .errors import CheckError
from .sweep import SweepRunner

__all__ = ["Check", "CheckResult", "Outcome", "register", "get_check", "list_checks", "CHECKS", "PRESETS",
           "jsonable"]

#: The preset names every check has.
PRESETS = ("quick", "full")
#: name -> Check, in registration order (the order of the report).
CHECKS: dict[str, "Check"] = {}


def jsonable(x: Any) -> Any:
    """``x`` with numpy scalars/arrays, tuples and dataclasses turned into JSON types (non-finite floats
    become None, so the JSON stays valid)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class Outcome:
    """What a check's run function returns (the registry adds the name, claim, config and timing).

    Attributes
    ----------
    passed : bool
    measured : dict
        Named measurements (numbers, or small lists/dicts of numbers).
    threshold : dict
        Named thresholds the verdict compares against.
    verdict : str
        One or two sentences: what was measured against what.
    bound : dict
        The theory's bounds evaluated beside the measurements (and their sympy forms as text).
    raw : dict
        The raw data (JSON-ready): per-point measurements, enough to redraw every figure.
    figures : dict of str to matplotlib Figure
        Named figures (written as PNG and SVG by the report).
    """

    passed: bool
    measured: dict
    threshold: dict
    verdict: str
    bound: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The result of one check run.

    Attributes
    ----------
    name, claim, theorem : str
    preset : str
        ``"quick"``, ``"full"`` or ``"custom"``.
    config : dict
        The config the check ran with.
    passed : bool
    measured, threshold, bound : dict
    verdict : str
    raw : dict
    figures : dict of str to matplotlib Figure
    seconds : float
        Wall time of the run.
    control : bool
        True when this is the check's negative control (one ingredient broken: it must fail).
    control_breaks : str
        What the control breaks (the check's :attr:`Check.control_breaks`).
    """

    name: str
    claim: str
    theorem: str
    preset: str
    config: dict
    passed: bool
    measured: dict
    threshold: dict
    bound: dict
    verdict: str
    raw: dict
    figures: dict = field(repr=False, default_factory=dict)
    seconds: float = 0.0
    control: bool = False
    control_breaks: str = ""

    def to_dict(self, figure_files: dict | None = None) -> dict:
        """JSON-ready: ``name``, ``claim``, ``theorem``, ``passed``, ``measured``, ``threshold``, ``bound``,
        ``verdict``, ``preset``, ``config``, ``seconds``, ``raw``, ``figures`` (names, or with
        ``figure_files`` the written files of each), ``control`` and ``control_breaks``."""
        figs = {k: figure_files.get(k, []) for k in self.figures} if figure_files else sorted(self.figures)
        return jsonable({"name": self.name, "claim": self.claim, "theorem": self.theorem, "passed": self.passed,
                         "measured": self.measured, "threshold": self.threshold, "bound": self.bound,
                         "verdict": self.verdict, "preset": self.preset, "config": self.config,
                         "seconds": round(self.seconds, 2), "raw": self.raw, "figures": figs,
                         "control": self.control, "control_breaks": self.control_breaks})

    def summary(self) -> str:
        """One line: verdict, name (``[control]`` for a negative control), time."""
        tag = f"{self.name} [control: {self.control_breaks}]" if self.control else self.name
        return f"{'PASS' if self.passed else 'FAIL'}  {tag}  ({self.seconds:.1f} s): {self.verdict}"


@dataclass(frozen=True)
class Check:
    """A claim of the theory as a runnable check.

    Attributes
    ----------
    name : str
    claim : str
        One sentence.
    theorem : str
        Where the claim comes from (paper theorem, ``docs/theory.md#SECTION``).
    config_type : type
        A frozen dataclass; its ``quick`` and ``full`` instances are the presets.
    presets : dict of str to config
    run_fn : callable
        ``run_fn(config, runner) -> Outcome`` (``runner``: a :class:`proofs_checks.sweep.SweepRunner`).
    in_report : bool
        Whether ``proofs-checks report`` runs it by default (``--checks`` names any check).
    control : dict
        The negative control: config fields that break one ingredient of the claim (a shuffled CoT, negated
        weights, a window that cannot see the dependency, ...). Applied on top of a preset by
        ``run(..., control=True)``; the verdict must then fail, or the check could not fail.
    control_breaks : str
        One phrase: what the control breaks.
    """

    name: str
    claim: str
    theorem: str
    config_type: type
    presets: dict
    run_fn: Callable = field(repr=False)
    in_report: bool = True
    control: dict = field(default_factory=dict)
    control_breaks: str = ""

    def config(self, preset: str = "quick", **overrides: Any) -> Any:
        """The preset's config with ``overrides`` applied (field names of :attr:`config_type`).

        Raises
        ------
        CheckError
            An unknown preset or field.
        """
        if preset not in self.presets:
            raise CheckError(f"Check {self.name!r} has no preset {preset!r}. The presets are: "
                             f"{', '.join(self.presets)}.")
        cfg = self.presets[preset]
        if overrides:
            fields = {f.name for f in dataclasses.fields(cfg)}
            unknown = sorted(set(overrides) - fields)
            if unknown:
                raise CheckError(f"Check {self.name!r}: unknown config field(s) {unknown}; the fields are "
                                 f"{sorted(fields)}.")
            cfg = dataclasses.replace(cfg, **overrides)
        return cfg

    def run(self, config: Any = "quick", *, runner: Any = None, control: bool = False,
            **overrides: Any) -> CheckResult:
        """Run the check, or with ``control=True`` its negative control.

        Parameters
        ----------
        config : str or config dataclass
            A preset name, or a config of :attr:`config_type`.
        runner : SweepRunner, optional
            How the check's sweeps run (default: in this process, no cache, no progress bar).
        control : bool, default False
            Apply :attr:`control` on top of the config (after ``overrides``): the run must fail.
        **overrides
            Config fields to change.

        Returns
        -------
        CheckResult
        """
        if isinstance(config, str):
            preset, cfg = config, self.config(config, **overrides)
            if overrides:
                preset = "custom"
        elif isinstance(config, self.config_type):
            preset, cfg = "custom", (dataclasses.replace(config, **overrides) if overrides else config)
            for name, p in self.presets.items():
                if cfg == p:
                    preset = name
        else:
            raise CheckError(f"Check {self.name!r}: config must be a preset name or a {self.config_type.__name__}. "
                             f"Got {type(config).__name__}.")
        if control:
            cfg = dataclasses.replace(cfg, **self.control)
        runner = SweepRunner(n_jobs=1, progress=False) if runner is None else runner
        t0 = time.perf_counter()
        out = self.run_fn(cfg, runner)
        return CheckResult(name=self.name, claim=self.claim, theorem=self.theorem, preset=preset,
                           config=jsonable(dataclasses.asdict(cfg)), passed=bool(out.passed),
                           measured=jsonable(out.measured), threshold=jsonable(out.threshold),
                           bound=jsonable(out.bound), verdict=out.verdict, raw=jsonable(out.raw),
                           figures=dict(out.figures), seconds=time.perf_counter() - t0, control=bool(control),
                           control_breaks=self.control_breaks if control else "")


def register(name: str, *, claim: str, theorem: str, quick: Any, full: Any, control: dict,
             control_breaks: str, in_report: bool = True) -> Callable:
    """Decorator: register ``run_fn(config, runner) -> Outcome`` as the check ``name`` (``in_report``: run
    by ``proofs-checks report`` by default). ``control`` (config fields, non-empty) and ``control_breaks`` (what
    they break) define the check's negative control: a check without one is not accepted."""

    def deco(fn: Callable) -> Callable:
        if name in CHECKS:
            raise CheckError(f"A check named {name!r} is already registered.")
        if type(quick) is not type(full) or not dataclasses.is_dataclass(quick):
            raise CheckError(f"Check {name!r}: the presets must be instances of one config dataclass.")
        fields = {f.name for f in dataclasses.fields(quick)}
        if not control or not set(control) <= fields or not control_breaks:
            raise CheckError(f"Check {name!r}: 'control' must be a non-empty dict of config fields "
                             f"({sorted(fields)}) and 'control_breaks' a phrase. Got {control!r}, {control_breaks!r}.")
        CHECKS[name] = Check(name, claim, theorem, type(quick), {"quick": quick, "full": full}, fn, in_report,
                             dict(control), control_breaks)
        return fn

    return deco


def _load() -> None:
    """Import the modules that register the checks (in report order)."""
    from . import checks  # noqa: F401


def list_checks() -> list[str]:
    """The registered check names, in report order."""
    _load()
    return list(CHECKS)


def get_check(name: str) -> Check:
    """The check called ``name``.

    Raises
    ------
    CheckError
        An unknown name (listing the known ones).
    """
    _load()
    if not isinstance(name, str) or name not in CHECKS:
        raise CheckError(f"Unknown check {name!r}. The checks are: {', '.join(CHECKS)}.")
    return CHECKS[name]


def dump_json(obj: Any) -> str:
    return json.dumps(jsonable(obj), indent=1)
