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
# # tmsim quickstart: machines, runs, formats, pictures
#
# A machine from a string, a run, the same machine in other formats, a batch of runs, and the two
# diagrams. Set `QUICK=1` in the environment for the small sizes the test suite uses.

# %%
import os
import tempfile
from pathlib import Path

import tmsim
from tmsim import zoo
from tmsim.draw import draw_spacetime, draw_state_diagram

QUICK = os.environ.get("QUICK", "0") == "1"
OUT = Path(os.environ.get("NOTEBOOK_OUT", tempfile.mkdtemp(prefix="tmsim-quickstart-")))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## A machine from the busy-beaver standard text format

# %%
bb4 = tmsim.parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", name="bb4")
result = tmsim.run(bb4)
print(result.status.value, result.steps, result.nonblank)
assert (result.steps, result.nonblank) == zoo.get("bb4").expected()

# %% [markdown]
# ## The same machine in YAML (turingmachine.io style) and back

# %%
text = tmsim.dumps(bb4, "yaml")
print(text)
assert tmsim.loads(text, "yaml") == bb4

# %% [markdown]
# ## A zoo machine on many inputs at once, checked against its Python reference

# %%
add = zoo.get("binary-addition")
inputs = list(add.inputs(6 if QUICK else 9))
batch = tmsim.run_batch(add.machine, inputs, max_steps=add.max_steps, max_tape=64)
wrong = [x for x, r in zip(inputs, batch) if add.answer(r) != add.expected(x)]
print(f"{len(inputs)} inputs, {len(wrong)} wrong, {int(batch.steps.sum())} steps in all")
assert not wrong

# %% [markdown]
# ## Pictures: the state diagram and the space-time diagram of a run

# %%
draw_state_diagram(bb4, out=OUT / "bb4-states.png")
draw_spacetime(add.machine, "1011+111", max_steps=add.max_steps, out=OUT / "addition-spacetime.png")
print("figures in", OUT)
