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
# # Parity and length complexity
#
# Parity of n bits over a hidden subset A is not a linear threshold, so a linear next-token predictor
# cannot output it directly. With a chain of thought it can: the binary count of the ones in A, most
# significant digit first, is floor(log2 n)+1 tokens, each a linear threshold of the input and the digits
# already written (docs/theory.md#counting-cot, the paper's Thm 3.11). If instead every step may only XOR k tokens,
# the CoT needs Theta(n/k) tokens (Thm 3.12). Set `QUICK=1` for the sizes the test suite uses.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt

from learners import PerceptronAR, evaluate
from proofs_checks import fit_growth, get_check
from tmsim.datasets.tasks import ParityTask

QUICK = os.environ.get("QUICK", "0") == "1"
OUT = Path(os.environ.get("NOTEBOOK_OUT", tempfile.mkdtemp(prefix="parity-")))
OUT.mkdir(parents=True, exist_ok=True)
NS = (8, 16, 32) if QUICK else (8, 16, 32, 64, 128)
N_TRAIN = 3000 if QUICK else 8000

# %% [markdown]
# ## One task, three formats
# The prompt is the n bits and `=`; the count CoT is the binary digits of s = sum of the bits in A; the
# last token is the parity in every format.

# %%
task = ParityTask(n=8, fmt="count", random_state=0)
print("A =", task.subset, " CoT tokens:", task.cot_length)
seq = task.sample(1, random_state=1)[0].tokens
print(" ".join(task.vocabulary.names(seq)))
print("chain (k=2):", ParityTask(n=8, fmt="chain", k=2, random_state=0).chain_steps())

# %% [markdown]
# ## The same linear learner with and without the CoT
# One weight block per CoT position, each reading the whole context (the paper's time-dependent form).

# %%
rows = []
for n in NS:
    for fmt in ("count", "nocot"):
        t = ParityTask(n=n, fmt=fmt, random_state=0)
        model = PerceptronAR(random_state=0, max_iter=200, shrinking=True, layout=t.layout())
        model.fit(t.sample(N_TRAIN, random_state=1))
        ev = evaluate(model, t.sample(1000, random_state=2))
        rows.append((n, fmt, t.cot_length, ev.exact_match))
        print(f"n={n:4d} {fmt:6s} CoT tokens {t.cot_length:2d}  rollout accuracy {ev.exact_match:.3f}")
cot = [r for r in rows if r[1] == "count"]
assert all(r[3] >= 0.99 for r in cot), "the count CoT should be learned"
assert all(r[3] < 0.6 for r in rows if r[1] == "nocot"), "without CoT the learner should stay near chance"

fig, ax = plt.subplots(figsize=(6, 4))
for fmt, mk in (("count", "o-"), ("nocot", "s-")):
    ax.plot([r[0] for r in rows if r[1] == fmt], [r[3] for r in rows if r[1] == fmt], mk, label=fmt)
ax.set_xscale("log", base=2)
ax.set_xlabel("n")
ax.set_ylabel("free-rollout accuracy")
ax.legend()
fig.savefig(OUT / "parity-accuracy.png", dpi=100)

# %% [markdown]
# ## CoT length: log n for the count, n/k for the k-XOR chain
# `fit_growth` fits a + b f(n) for f in {log n, n, n^2} and reports the best.

# %%
ns = np.array([8, 16, 32, 64, 128, 256, 512])
count_len = [ParityTask(n=int(n), fmt="count").cot_length for n in ns]
chain_len = {k: [ParityTask(n=int(n), fmt="chain", k=k).cot_length for n in ns] for k in (2, 3, 4)}
print("count CoT:", fit_growth(ns, count_len).best, "| chains:",
      {k: fit_growth(ns, v).best for k, v in chain_len.items()})
assert fit_growth(ns, count_len).best == "log n"
assert all(fit_growth(ns, v).best == "n" for v in chain_len.values())
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(ns, count_len, "o-", label="count CoT")
for k, v in chain_len.items():
    ax.plot(ns, v, "s--", label=f"{k}-XOR chain")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("n")
ax.set_ylabel("CoT tokens")
ax.legend()
fig.savefig(OUT / "parity-cot-length.png", dpi=100)

# %% [markdown]
# ## The registered check, with its verdict
# `proofs-checks run parity-k-sparse --quick` runs the same; each CoT step is learned by search over k-subsets.

# %%
result = get_check("parity-k-sparse").run("quick", ns=(8, 16, 24) if QUICK else (8, 16, 32, 48))
print(result.summary())
for name, fig in result.figures.items():
    fig.savefig(OUT / f"{name}.png", dpi=100)
assert result.passed
