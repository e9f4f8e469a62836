# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Multiplication with a chain of thought
#
# The paper's arithmetic experiment (docs/theory.md#multiplication): multiplication with the paper's CoT, without a
# CoT, and with our local CoT, whose every token is a function of tokens at fixed offsets -- so a linear
# learner emulates it exactly, and on longer operands too. Set `QUICK=1` for the test-suite size (3-digit
# operands, linear learners only); the full run is `proofs-checks run multiplication`.

# %%
import os
import tempfile
from pathlib import Path

from tmsim.datasets.tasks import get_task
from proofs_checks.experiments.multiplication import FormatPlan, MultiplicationConfig, default_config, run_multiplication

QUICK = os.environ.get("QUICK", "0") == "1"
OUT = Path(os.environ.get("NOTEBOOK_OUT", tempfile.mkdtemp(prefix="multiplication-")))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## What the sequences look like

# %%
paper = get_task("mul-paper", digits=2)
seq, _ = paper.encode([12], [34])
print(" ".join(paper.vocabulary.names(seq[0])))
local = get_task("mul-local", digits=2, width=5)
seq, kinds = local.encode([12], [34])
print(len(seq[0]), "tokens in the local CoT; the learner reads offsets", local.offsets)

# %% [markdown]
# ## Train, roll out, check

# %%
if QUICK:
    plans = (FormatPlan("mul-local", dict(digits=3, width=9), 3000, sizes=(300, 3000),
                        models=("perceptron",), lengths=(4,)),
             FormatPlan("add-local", dict(digits=3, width=6), 1000, sizes=(1000,), models=("perceptron",),
                        lengths=(4,)))
    config = MultiplicationConfig(True, plans, n_test=100, n_test_long=50, n_curve_test=50)
else:
    config = default_config(False)
result = run_multiplication(config=config, out_dir=OUT, verbose=0)
print(result.table())
assert result.checks["local_cot_linear_exact"]["passed"]
assert result.checks["local_cot_linear_longer"]["passed"]
print("figures:", sorted(p.name for p in OUT.glob("*.png")))
