"""Experiments: each one module with a frozen config and a ``main()`` (the step before the checks: dataset ->
learner -> evaluation -> experiment -> check -> report).

- :mod:`proofs_checks.experiments.learned_emulation`: a linear AR model learns to emulate a Turing machine from
  traces of short inputs (held-out and longer inputs).
- :mod:`proofs_checks.experiments.multiplication`: the paper's 4-digit multiplication, with its CoT, without
  one and with local CoTs of ours.
- :mod:`proofs_checks.experiments.digit_probe`: one answer digit of the paper's CoT, isolated.
- :mod:`proofs_checks.experiments.mul_curves`: the paper's multiplication scaled down, as learning curves by
  operand length (resumable).
- :mod:`proofs_checks.experiments.text`: the paper's text experiment.

The submodules are not imported here, so that ``python -m proofs_checks.experiments.NAME`` runs its module
once.
"""
