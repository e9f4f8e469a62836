"""Checks: the paper's claims as runnable experiments with verdicts, tables and plots (the last step of the
pipeline: machine -> ... -> learner -> evaluation -> check -> plot).

- :func:`run_multiplication` (:mod:`proofs_checks.multiplication`): the paper's 4-digit multiplication
  experiment -- an MLP and the linear learners on the paper's CoT, without CoT and on our local CoTs.
"""

from .multiplication import MultiplicationConfig, MultiplicationResult, run_multiplication

__all__ = ["run_multiplication", "MultiplicationConfig", "MultiplicationResult"]
