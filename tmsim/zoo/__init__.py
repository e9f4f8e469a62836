"""Zoo: named Turing machines with known answers (arithmetic, recognisers, busy-beaver champions), each with
an independent Python reference, a definition of its well-formed inputs, and a step budget.

Every entry is a real machine given by an explicit transition table. Its ``task`` says how to read the
answer off a run:

``"function"``
    the answer is the final tape's non-blank span, :attr:`tmsim.RunResult.output`;
``"accept"``
    the answer is ``True`` when the run halts in state ``accept``, ``False`` when it halts in ``reject``;
``"busy-beaver"``
    the input is blank and the answer is ``(steps, nonblank)``.

``entry.reference`` computes the same answer in plain Python (integer arithmetic, string reversal, published
constants), never by running a machine, so that the tests compare two independent things.

Examples
--------
>>> from tmsim import run, zoo
>>> add = zoo.get("binary-addition")
>>> r = run(add.machine, "101+11", max_steps=add.max_steps)
>>> r.output, add.answer(r) == add.expected("101+11")
('1000', True)
>>> zoo.get("zoo:bb4").expected()
(107, 13)
"""

from __future__ import annotations

from .entry import TASKS, ZooEntry
from .language import Language
from .registry import entries, get, names

__all__ = ["Language", "ZooEntry", "TASKS", "names", "get", "entries"]
