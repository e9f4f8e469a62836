"""Tokens -> dataset (provenance): :class:`Provenance`, where the samples of one generation come from — a
Turing machine's encoded runs or a task generator's sequences — and the machine as text
(:func:`machine_text`, :func:`parse_machine_text`), so a dataset file names its machine exactly."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from ..encodings import Encoding, get_encoding
from ..errors import ConversionError
from ..formats import loads
from ..formats.json_format import to_dict
from ..formats.standard import parse_standard, to_standard
from ..machine import Machine
from .errors import DatasetError

__all__ = ["Provenance", "machine_text", "parse_machine_text"]


@lru_cache(maxsize=256)
def machine_text(machine: Machine) -> tuple[str, str]:
    """The machine as text for provenance: ``("standard", "1RB1LB_...")`` when the standard format
    represents it exactly (same states, symbols and rules), else ``("json", <compact native JSON>)``.

    Examples
    --------
    >>> from tmsim import parse_standard, zoo
    >>> machine_text(parse_standard("1RB1LB_1LA1RZ"))
    ('standard', '1RB1LB_1LA1RZ')
    >>> machine_text(zoo.get("parity").machine)[0]
    'json'
    """
    try:
        text = to_standard(machine)
        if parse_standard(text) == machine:
            return "standard", text
    except (ConversionError, ValueError):
        pass
    return "json", json.dumps(to_dict(machine), separators=(",", ":"))


@lru_cache(maxsize=256)
def parse_machine_text(fmt: str, text: str, name: str | None = None) -> Machine:
    """Inverse of :func:`machine_text` (``name`` renames a standard-format machine)."""
    return loads(text, fmt, name=name)


_MACHINE_FIELDS = ("machine", "machine_format", "machine_name", "max_steps")


@dataclass(frozen=True)
class Provenance:
    """Where a sample comes from: what is common to one generation — the runs of a Turing machine, encoded
    (:attr:`kind` ``"machine"``), or the sequences of a task generator of :mod:`tmsim.datasets.tasks`
    (:attr:`kind` ``"task"``: no machine, no step budget).

    Attributes
    ----------
    machine : str or None
        The machine in the standard format when that represents it exactly, else its native JSON
        (``machine_format`` says which); None for a task.
    machine_format : {"standard", "json"} or None
    machine_name : str or None
    encoding : str
        The token format's spec: an encoding's, which :func:`tmsim.encodings.get_encoding` reads back
        (``"tableau(width=24)"``), or a task's, which :func:`tmsim.datasets.tasks.task_from_spec` reads back
        (``"mul-local(digits=4,width=17)"``: a task is its own token format).
    encoding_version : int
    tmsim_version : str
        ``tmsim.__version__`` of the toolkit that made the sample.
    seed : int or None
        The seed given to ``numpy.random.default_rng`` (None: a Generator was passed, or a fixed list).
    sampler : str
        How the inputs were drawn (:meth:`tmsim.datasets.samplers.Sampler.describe`, or the task's words).
    split : str or None
        ``"train"``, ``"test"``, ... for :func:`make_splits` and the tasks' hash split.
    max_steps : int or None
        The step budget of the runs; None for a task.

    Examples
    --------
    >>> p = Provenance(None, None, None, "add-local(digits=2,width=4)", 1, "0", 0, "pairs", "train", None)
    >>> p.kind, p.generator
    ('task', 'add-local(digits=2,width=4)')
    >>> Provenance.from_dict(p.to_dict()) == p
    True
    """

    machine: str | None
    machine_format: str | None
    machine_name: str | None
    encoding: str
    encoding_version: int
    tmsim_version: str
    seed: int | None
    sampler: str
    split: str | None
    max_steps: int | None

    def __post_init__(self) -> None:
        given = [getattr(self, k) is not None for k in _MACHINE_FIELDS]
        if any(given) and not all(given):
            raise DatasetError(f"A Provenance record must give all of {_MACHINE_FIELDS!r} (the runs of a machine) or "
                               f"none of them (a task's samples). Got {self.to_dict()!r}.")

    @property
    def kind(self) -> str:
        """``"machine"`` (encoded runs of :attr:`machine`) or ``"task"`` (a task generator's sequences)."""
        return "machine" if self.machine is not None else "task"

    @property
    def generator(self) -> str | None:
        """The spec of the task that made the samples (:attr:`encoding`), None for a machine's runs."""
        return self.encoding if self.machine is None else None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Provenance":
        try:
            values = {f.name: d[f.name] for f in fields(cls)}
        except (KeyError, TypeError) as e:
            raise DatasetError(f"Malformed provenance record {str(d)[:120]!r}: {e}.") from None
        if values["machine_format"] == "task":
            # Files of toolkit versions that stored a task's samples with placeholder machine fields.
            values.update(machine=None, machine_format=None, machine_name=None, max_steps=None)
        return cls(**values)

    def parse_machine(self) -> Machine:
        """The machine, parsed back from :attr:`machine`."""
        if self.machine is None:
            raise DatasetError(f"The samples of task {self.encoding!r} come from a generator, not a machine.")
        return parse_machine_text(self.machine_format, self.machine, self.machine_name)

    def parse_encoding(self) -> Encoding:
        """The encoding, from :attr:`encoding` (a machine's runs only)."""
        if self.machine is None:
            raise DatasetError(f"The samples of task {self.encoding!r} have the task's own token format, not an "
                               f"encoding of machine runs.")
        return get_encoding(self.encoding)
