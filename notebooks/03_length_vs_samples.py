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
# # Length vs sample complexity
#
# The same machine, written out in every encoding of `tmsim.encodings`: no CoT (the final configuration
# at once), snapshots every k steps, transition records, the tableau with triple tokens, and the gate trace.
# For each, how many training traces does one linear learner (the same perceptron for every encoding) need
# before 99% of its free rollouts are exact? Longer traces whose every step is in the linear class need few;
# without a CoT the learner plateaus. The PAC -> AR bound m(eps/T, delta/T) (the paper's Thm 3.3) is
# evaluated symbolically below; the check's figure draws the bound that applies to the learner it uses (the
# perceptron mistake bound of the compiled separator, `docs/theory.md#perceptron-mistake-bound`). Set
# `QUICK=1` for the test-suite size.

# %%
import os
import tempfile
from pathlib import Path

import sympy

from proofs_checks import get_check
from proofs_checks.bounds import PAC_TO_AR, evaluate_bound

QUICK = os.environ.get("QUICK", "0") == "1"
OUT = Path(os.environ.get("NOTEBOOK_OUT", tempfile.mkdtemp(prefix="length-samples-")))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The bound, symbolically

# %%
print("m(eps, delta) for T steps =", sympy.simplify(PAC_TO_AR))
for T in (1, 10, 100, 1000):
    print(f"T = {T:5d}: {evaluate_bound(PAC_TO_AR, d=1000, eps=0.01, delta=0.05, T=T):,.0f} samples")

# %% [markdown]
# ## The measured curve
# Each point of the grid (encoding x training size x seed) is an independent task; `proofs-checks run
# length-vs-samples --jobs 2 --cache DIR` runs them in parallel and resumes from the cache.

# %%
check = get_check("length-vs-samples")
result = check.run("quick" if QUICK else "full")
print(result.summary())
for name, value in result.raw["curve"].items():
    print(f"{name:22s} mean length {value['mean_length']:8.1f}  samples to 99%: "
          f"{value['samples_needed_mean']}  CI {value['ci95']}")
for name, fig in result.figures.items():
    fig.savefig(OUT / f"{name}.png", dpi=100)
assert result.passed
