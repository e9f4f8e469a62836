"""Checks: the paper's claims as runnable experiments with verdicts, tables and plots (the last step of the
pipeline: machine -> ... -> learner -> evaluation -> check -> plot).

- :func:`list_checks`, :func:`get_check` (:mod:`proofs_checks.registry`): every claim as a :class:`Check`
  with a claim, a theorem, ``quick``/``full`` presets and a ``run()`` returning a :class:`CheckResult`.
- :func:`run_report` / :func:`write_report` (:mod:`proofs_checks.report`): every check, one report
  (Markdown, HTML, PNG/SVG figures, ``results.json``); the ``proofs-checks`` CLI (:mod:`proofs_checks.cli`).
- :class:`SweepRunner` (:mod:`proofs_checks.sweep`): grids of independent tasks on joblib or Dask, cached.
- :mod:`proofs_checks.bounds`: the theory's formulas in sympy; :func:`fit_growth` judges growth classes.
- The parity tasks the parity checks learn (counting CoT, no CoT, k-XOR chain) are dataset makers:
  :class:`tmsim.datasets.tasks.ParityTask`.
- :func:`run_multiplication` (:mod:`proofs_checks.experiments.multiplication`): the paper's 4-digit multiplication
  experiment -- an MLP and the linear learners on the paper's CoT, without CoT and on our local CoTs.

Examples
--------
>>> from proofs_checks import get_check
>>> result = get_check("parity-k-sparse").run("quick", ns=(8, 16, 24), ks=(2,), seeds=(0,))
>>> result.passed, result.measured["work_exponent_k2"]     # subsets a generic search examines ~ n^2.03
(True, 2.03)
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that defines it, imported on first use (so ``proofs-checks --help`` does not
#: load every check, sympy and the learners).
_WHERE = {
    "fit_growth": ".bounds", "CheckError": ".errors", "Check": ".registry", "CheckResult": ".registry",
    "get_check": ".registry", "list_checks": ".registry", "run_report": ".report", "write_report": ".report",
    "SweepRunner": ".sweep", "run_multiplication": ".experiments.multiplication",
    "MultiplicationConfig": ".experiments.multiplication", "MultiplicationResult": ".experiments.multiplication",
}

__all__ = ["run_multiplication", "MultiplicationConfig", "MultiplicationResult", "Check", "CheckResult",
           "get_check", "list_checks", "run_report", "write_report", "SweepRunner", "fit_growth",
           "CheckError"]


def __getattr__(name: str) -> Any:
    # The multiplication experiment, too, is imported on first use, so that ``python -m
    # proofs_checks.experiments.multiplication`` runs its module once (no runpy warning).
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'proofs_checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
