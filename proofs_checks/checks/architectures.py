"""Check ``architectures``: a thin adapter over :func:`proofs_checks.experiments.architectures.run_architectures`
(linear, MLP and transformer on the same CoT data and budget, and the CoT ablations): runs it and maps its
verdict, rows and figures. Not part of the default report (its budget is its own): ``proofs-checks run
architectures [--quick]``, or ``proofs-checks report --checks ...,architectures``."""

from __future__ import annotations

from ..experiments.architectures import CLAIM, FULL, QUICK, ArchitecturesConfig, figures, run_architectures

from ..registry import Outcome, register

__all__ = ["run_architectures_check"]


@register("architectures",
          claim=CLAIM,
          theorem="[paper] section 1 (the power is in the CoT data, not the architecture); "
                  "docs/theory.md#learning-the-emulation, docs/theory.md#teacher-forcing-and-rollout",
          quick=QUICK, full=FULL, in_report=False,
          control={"cot_fraction": 0.0},
          control_breaks="the CoT: every training sequence is prompt -> answer only")
def run_architectures_check(cfg: ArchitecturesConfig, runner) -> Outcome:
    result = run_architectures(cfg, progress=bool(getattr(runner, "progress", False)))
    threshold = {"exact_in_distribution": cfg.threshold, "samples_budget": cfg.epochs * cfg.n_train,
                 "optimiser_steps": cfg.steps}
    return Outcome(result.passed, result.measured, threshold, result.verdict, {},
                   {"rows": result.rows, "runs": result.runs, "table": result.table()}, figures(result))
