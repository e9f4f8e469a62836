"""Tokens -> dataset (task generators): CoT datasets that no Turing machine makes — the arithmetic tasks
(:mod:`~tmsim.datasets.tasks.arithmetic`: the paper's multiplication CoT, no-CoT multiplication, local
multiplication and addition CoTs) and sparse parity (:mod:`~tmsim.datasets.tasks.parity`) — each returning
the one ragged type, :class:`tmsim.datasets.Dataset`, with a provenance of kind ``"task"`` whose token
format is the task's spec, and a :class:`~tmsim.encodings.PositionLayout` (``task.layout()``, also
``dataset.layout``).

Examples
--------
>>> from tmsim.datasets.tasks import ParityTask, get_task, task_from_spec
>>> ds = get_task("add-local", digits=2, width=4).make_dataset(3, random_state=0)
>>> ds.sources[0].kind, ds.generator, ds.layout == get_task("add-local", digits=2, width=4).layout()
('task', 'add-local(digits=2,width=4)', True)
>>> task_from_spec(ParityTask(n=8, fmt="chain", k=3).spec) == ParityTask(n=8, fmt="chain", k=3)
True
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import TaskError
from ._base import (FORMAT_VERSION, MAX_DIGITS, MIN_DIGITS, PRIME, Task, in_train_split, operand_range, sample_pairs,
                    task_dataset)
from .arithmetic import TASKS, AddLocal, MulLocal, MulNoCoT, MulPaper, get_task, make_task_dataset
from .parity import FORMATS, PARITY_VOCABULARY, ParityTask, chain_cot_length, count_cot_length

__all__ = [
    "Task", "MulPaper", "MulNoCoT", "MulLocal", "AddLocal", "TASKS", "get_task", "make_task_dataset",
    "operand_range", "in_train_split", "sample_pairs", "PRIME", "FORMAT_VERSION", "MIN_DIGITS", "MAX_DIGITS",
    "ParityTask", "PARITY_VOCABULARY", "FORMATS", "count_cot_length", "chain_cot_length",
    "task_dataset", "task_from_spec",
]

_SPEC = re.compile(r"^\s*([A-Za-z][\w\-]*)\s*\((.*)\)\s*$", re.S)


def _value(text: str) -> Any:
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    return {"True": True, "False": False}.get(t, t)


def task_from_spec(spec: str) -> Task | ParityTask:
    """The task a spec names: the inverse of ``task.spec`` (``"mul-local(digits=4,width=17)"``,
    ``"parity(n=8,fmt=count,k=2,random_state=0,shuffle_cot=False)"``), as a provenance records it.

    Raises
    ------
    TaskError
        A spec that is not ``name(param=value, ...)``, an unknown task or parameter.

    Examples
    --------
    >>> task_from_spec("mul-local(digits=3,width=17)") == get_task("mul-local", digits=3)
    True
    >>> task_from_spec("tableau")
    Traceback (most recent call last):
    ...
    tmsim.datasets.errors.TaskError: The 'spec' parameter of task_from_spec must be a task spec such as 'mul-local(digits=4,width=17)'. Got 'tableau' instead.
    """
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise TaskError(f"The 'spec' parameter of task_from_spec must be a task spec such as "
                        f"'mul-local(digits=4,width=17)'. Got {spec!r} instead.")
    name, body = m.group(1), m.group(2)
    if name not in TASKS and name != ParityTask.name:
        raise TaskError(f"Unknown task {name!r} in spec {spec!r}; the tasks are "
                        f"{', '.join(sorted([*TASKS, ParityTask.name]))}.")
    params = {}
    for part in filter(str.strip, body.split(",")):
        if "=" not in part:
            raise TaskError(f"The 'spec' parameter of task_from_spec: {part.strip()!r} of {spec!r} must be written "
                            f"name=value.")
        k, v = part.split("=", 1)
        params[k.strip()] = _value(v)
    if name == ParityTask.name:
        try:
            return ParityTask(**params)
        except TypeError:
            raise TaskError(f"Task 'parity' has parameters n, fmt, k, random_state, shuffle_cot. Got {spec!r}.") \
                from None
    return get_task(name, **params)
