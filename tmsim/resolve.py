"""Specs -> objects (the first step of every CLI and dataset call): the one resolver of MACHINE and ENCODING
arguments.

=====================================  =============================================================
spec                                   resolves to
=====================================  =============================================================
``"zoo:NAME"``                         the zoo entry's machine (and the entry: its inputs, its budget)
a path                                 :func:`tmsim.formats.load` (format by extension or ``format=``)
``"1RB1LB_1LA0LC_1RZ1LD_1RD0RA"``      a standard-format machine (a string that is no existing file)
a :class:`~tmsim.Machine`, a zoo entry itself (:func:`resolve_machine` only)
``"tableau"``, ``"tableau(width=24)"``  :func:`tmsim.encodings.get_encoding`, with ``width=`` and the zoo
                                       entry's answer (:func:`resolve_encoding`)
=====================================  =============================================================

Every failure to resolve is one :class:`~tmsim.errors.SpecError` (a ``ParameterError``, ``FormatError`` and
``DatasetError`` at once, so each caller catches what it expects), one line naming the argument and the value.
A file that exists but does not parse raises the parser's error, naming the path.

Examples
--------
>>> load_machine("zoo:bb2").name, load_machine("1RB1LB_1LA1RZ").states
('bb2', ('A', 'B', 'Z'))
>>> m, entry = resolve_machine("zoo:parity")
>>> entry.task, resolve_encoding("transitions", entry=entry).spec
('accept', 'transitions(answer=state)')
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from . import zoo
from .errors import SpecError, TmsimError
from .formats import io as formats_io
from .formats.standard import parse_standard
from .machine import Machine

if TYPE_CHECKING:  # pragma: no cover
    from .encodings import Encoding

__all__ = ["load_machine", "resolve_machine", "resolve_encoding", "check_format", "zoo_entry", "SpecError"]

ZOO_PREFIX = "zoo:"
# The characters of a standard-format machine (no '.', so no file name with an extension matches).
_STANDARD_CHARS = re.compile(r"^[0-9A-Z_\-]+$")


def check_format(format: str | None, what: str = "--format") -> str | None:
    """``format`` in lower case if it is a machine format (:data:`tmsim.formats.FORMATS`), or None.

    Raises
    ------
    SpecError
        Naming ``what`` and the known formats.

    Examples
    --------
    >>> check_format("YAML"), check_format(None)
    ('yaml', None)
    """
    if format is None:
        return None
    if not isinstance(format, str) or format.lower() not in formats_io.FORMATS:
        raise SpecError(f"{what} must be one of {', '.join(formats_io.FORMATS)}. Got {format!r} instead.")
    return format.lower()


def zoo_entry(spec: Any) -> zoo.ZooEntry | None:
    """The zoo entry a ``"zoo:NAME"`` spec names, else None (any other spec).

    Raises
    ------
    SpecError
        ``zoo:`` with an unknown name; the message lists the known ones.
    """
    if isinstance(spec, zoo.ZooEntry):
        return spec
    if not isinstance(spec, str) or not spec.startswith(ZOO_PREFIX):
        return None
    try:
        return zoo.get(spec)
    except TmsimError as e:
        raise SpecError(str(e)) from None


def load_machine(spec: str, format: str | None = None, *, what: str = "MACHINE") -> Machine:
    """Resolve a MACHINE argument: ``zoo:NAME``, a file path, or a standard-format string.

    Parameters
    ----------
    spec : str
        ``zoo:NAME``, a path (format by extension unless ``format`` is given), or a machine text such as
        ``1RB1LB_1LA0LC_1RZ1LD_1RD0RA``.
    format : str, optional
        One of :data:`tmsim.formats.FORMATS`; not allowed with ``zoo:``.
    what : str, default "MACHINE"
        How messages name the argument.

    Raises
    ------
    SpecError
        An unknown zoo name or format, ``format`` given with a zoo name, a string that is neither an existing
        file nor a valid standard-format machine (with a ``zoo:`` hint where one fits).
    FormatError, MachineError
        A file that cannot be read or does not hold a valid machine (the message names the path).

    Examples
    --------
    >>> load_machine("zoo:bb2").name
    'bb2'
    >>> load_machine("BB2")
    Traceback (most recent call last):
    ...
    tmsim.errors.SpecError: 'BB2' is not an existing file, nor a valid standard-format machine (did you mean zoo:bb2?): ...
    """
    if not isinstance(spec, str):
        raise SpecError(f"{what} must be a string (zoo:NAME, a file or a standard-format machine). "
                        f"Got {type(spec).__name__}.")
    entry = zoo_entry(spec)
    if entry is not None:
        if format is not None:
            raise SpecError(f"--format {format!r} does not apply to the zoo machine {spec!r}.")
        return entry.machine
    format = check_format(format)
    if format is None and not os.path.exists(spec) and _STANDARD_CHARS.match(spec.strip()):
        # Almost certainly a mistyped standard-format machine, not a file: say what is wrong with it
        # rather than that its "extension" is unknown.
        try:
            return parse_standard(spec)
        except TmsimError as exc:
            hint = f" (did you mean zoo:{spec.lower()}?)" if spec.lower() in zoo.names() else ""
            raise SpecError(f"{spec!r} is not an existing file, nor a valid standard-format machine{hint}: "
                            f"{exc}") from None
    return formats_io.load(spec, format=format)


def resolve_machine(machine: Any, owner: str = "make_dataset", *,
                    format: str | None = None) -> tuple[Machine, zoo.ZooEntry | None]:
    """``(Machine, ZooEntry or None)`` from a Machine, a zoo entry, or a spec :func:`load_machine` reads.

    Parameters
    ----------
    machine : Machine, ZooEntry or str
    owner : str, default "make_dataset"
        The function named in the message of a wrong type.
    format : str, optional
        The format of a machine file (as ``load_machine``).

    Examples
    --------
    >>> m, e = resolve_machine("zoo:parity")
    >>> m.name, e.task
    ('parity', 'accept')
    >>> resolve_machine("1RB1LB_1LA1RZ")[0].states
    ('A', 'B', 'Z')
    """
    if isinstance(machine, zoo.ZooEntry):
        return machine.machine, machine
    if isinstance(machine, Machine):
        return machine, None
    if isinstance(machine, str):
        return load_machine(machine, format), zoo_entry(machine)
    raise SpecError(f"The 'machine' parameter of {owner} must be a tmsim.Machine, a zoo entry, 'zoo:NAME', a "
                    f"file or a standard-format string. Got {type(machine).__name__}.")


def resolve_encoding(encoding: Any, *, width: int | None = None, entry: Any = None,
                     owner: str = "make_dataset") -> "Encoding":
    """The encoding object: a name/spec (``"tableau(width=24)"``) or an :class:`~tmsim.encodings.Encoding`;
    ``width`` sets the row width of a tableau-style encoding. For a zoo entry whose task is ``accept`` and an
    encoding named without ``answer=``, the answer is the final state (the accept/reject bit), not the tape.

    Raises
    ------
    SpecError
        An unknown encoding or parameter, a ``width`` the encoding has no use for; the message names
        ``owner``'s parameter.

    Examples
    --------
    >>> from tmsim import zoo
    >>> resolve_encoding("tableau", width=12).spec
    'tableau(width=12)'
    >>> resolve_encoding("transitions", entry=zoo.get("parity")).spec
    'transitions(answer=state)'
    """
    # Deferred: the encoding layer compiles its kernels on import, and `tmsim run` / `show` never need it.
    from .encodings import Encoding, get_encoding

    if isinstance(encoding, Encoding):
        enc = encoding
    elif isinstance(encoding, str):
        try:
            enc = get_encoding(encoding)
            if entry is not None and entry.task == "accept" and "answer" not in encoding:
                enc = get_encoding(enc, answer="state")
        except TmsimError as e:
            raise SpecError(f"The 'encoding' parameter of {owner}: {e}") from None
    else:
        raise SpecError(f"The 'encoding' parameter of {owner} must be an encoding name such as 'tableau' or an "
                        f"Encoding. Got {type(encoding).__name__}.")
    if width is not None:
        if "width" not in enc.params():
            raise SpecError(f"The 'width' parameter of {owner} applies to the tableau-style encodings "
                            f"(tableau, snapshots, tableau-triples, gates); {enc.name!r} has no row width. "
                            f"Got width={width!r}.")
        try:
            enc = get_encoding(enc, width=width)
        except TmsimError as e:
            raise SpecError(f"The 'width' parameter of {owner}: {e}") from None
    return enc
