"""Formats: load and save machines in any format by name or file extension (the entry point of the CLI).

=============  =====================  ==========================================
format         extensions             module
=============  =====================  ==========================================
``standard``   ``.tm``, ``.txt``      :mod:`tmsim.formats.standard` (bbchallenge)
``yaml``       ``.yaml``, ``.yml``    :mod:`tmsim.formats.yaml_format`
``morphett``   ``.morphett``, ``.mtm`` :mod:`tmsim.formats.morphett`
``json``       ``.json``              :mod:`tmsim.formats.json_format`
=============  =====================  ==========================================

A machine's name comes from the document (YAML ``name``, JSON ``"name"``), else from the file stem. A
``.yaml`` file may also be a turingmachine.io document (recognised by its ``source code`` key, see
:mod:`tmsim.formats.yaml_format`). Files are read as UTF-8 (a byte order mark is accepted), at most
:data:`MAX_FILE_BYTES` of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConversionError, FormatError, ParameterError
from ..io import atomic_write
from ..machine import Machine
from .json_format import parse_json, to_json
from .morphett import parse_morphett, require_rules, to_morphett
from .standard import looks_standard, parse_standard, to_standard
from .yaml_format import parse_yaml, to_yaml

__all__ = ["FORMATS", "EXTENSIONS", "MAX_FILE_BYTES", "load", "loads", "dumps", "save", "format_for_path"]

FORMATS = ("standard", "yaml", "morphett", "json")
#: Largest machine file :func:`load` reads (64 MiB): far above any real table (a 20,000-state YAML machine
#: is about 1.2 MB), and a bound on the memory a wrong path (a disk image, ``/dev/zero``) can take.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: File extension (lower case) -> format.
EXTENSIONS = {
    ".tm": "standard", ".txt": "standard",
    ".yaml": "yaml", ".yml": "yaml",
    ".morphett": "morphett", ".mtm": "morphett",
    ".json": "json",
}

_PARSERS = {"standard": parse_standard, "yaml": parse_yaml, "morphett": parse_morphett, "json": parse_json}
_WRITERS = {"standard": to_standard, "yaml": to_yaml, "morphett": to_morphett, "json": to_json}


def _check_format(format: object, owner: str) -> str:
    if isinstance(format, str) and format.lower() in FORMATS:
        return format.lower()
    raise ParameterError(f"The 'format' parameter of {owner} must be one of {FORMATS!r}. Got {format!r} instead.")


def format_for_path(path: str | os.PathLike) -> str:
    """The format of a file, from its extension (see the table in the module docstring).

    Raises
    ------
    FormatError
        An unknown extension, naming the path and the known extensions.

    Examples
    --------
    >>> format_for_path("machines/bb4.TM"), format_for_path("inc.yml")
    ('standard', 'yaml')
    """
    p = Path(path)
    fmt = EXTENSIONS.get(p.suffix.lower())
    if fmt is None:
        raise FormatError(
            f"Cannot tell the format of {str(p)!r} from its extension {p.suffix!r}: expected one of "
            f"{tuple(EXTENSIONS)!r}, or pass format= (one of {FORMATS!r})."
        )
    return fmt


def loads(text: str, format: str, *, name: str | None = None) -> Machine:
    """Parse a machine from ``text`` in the named format.

    Parameters
    ----------
    text : str
    format : {"standard", "yaml", "morphett", "json"}
    name : str, optional
        Name of the machine when the text carries none.

    Raises
    ------
    ParameterError
        An unknown format name.
    FormatError, MachineError
        The text is not a valid machine in that format.

    Examples
    --------
    >>> loads("0 _ 1 r halt", "morphett").symbols
    ('_', '1')
    """
    fmt = _check_format(format, "tmsim.formats.loads")
    if not isinstance(text, str):
        raise FormatError(f"A {fmt} machine must be given as a string. Got {type(text).__name__}.")
    text = text.removeprefix("\ufeff")  # a byte order mark is not content
    if fmt == "morphett":
        require_rules(text)
    return _PARSERS[fmt](text, name=name)


def dumps(machine: Machine, format: str) -> str:
    """Write ``machine`` in the named format (the text :func:`loads` reads back).

    Raises
    ------
    ParameterError
        An unknown format name, or ``machine`` is not a :class:`Machine`.
    ConversionError
        The format cannot express the machine (e.g. multi-character symbols in the Morphett format).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> all(loads(dumps(m, f), f) == m for f in ("standard", "yaml", "json"))
    True
    """
    fmt = _check_format(format, "tmsim.formats.dumps")
    if not isinstance(machine, Machine):
        raise ParameterError(f"The 'machine' parameter of tmsim.formats.dumps must be a tmsim.Machine. "
                             f"Got {type(machine).__name__}.")
    return _WRITERS[fmt](machine)


def load(source: str | os.PathLike, format: str | None = None) -> Machine:
    """Load a machine from a file, or parse a standard-format string.

    Parameters
    ----------
    source : str or path-like
        A path to a file, or (a ``str`` that is not an existing file and looks like one) a standard-format
        machine such as ``"1RB1LB_1LA0LC_1RZ1LD_1RD0RA"``.
    format : {"standard", "yaml", "morphett", "json"}, optional
        Overrides the format given by the file extension. A ``.tm``/``.txt`` file must hold a
        standard-format machine unless ``format`` says otherwise.

    Returns
    -------
    Machine
        Named by the document when it carries a name, else by the file stem.

    Raises
    ------
    FormatError
        A missing or unreadable file, one larger than :data:`MAX_FILE_BYTES`, an unknown extension, or
        content that does not parse (a Morphett file of comments and blank lines only, too:
        :func:`~tmsim.formats.morphett.require_rules`); the message names the path. A UTF-8 byte order mark
        is accepted.
    ParameterError
        An unknown format name or a ``source`` that is neither a string nor a path.
    MachineError
        Content that parses but does not define a valid machine.

    Examples
    --------
    >>> load("1RB1LB_1LA0LC_1RZ1LD_1RD0RA").states
    ('A', 'B', 'C', 'D', 'Z')
    """
    owner = "tmsim.formats.load"
    fmt = None if format is None else _check_format(format, owner)
    if isinstance(source, str):
        if not os.path.exists(source) and looks_standard(source) and fmt in (None, "standard"):
            return parse_standard(source)
    elif not isinstance(source, os.PathLike):
        raise ParameterError(f"The 'source' parameter of {owner} must be a path or a string. "
                             f"Got {type(source).__name__}.")
    path = Path(source)
    if fmt is None:
        fmt = format_for_path(path)
        sniff = fmt == "standard"
    else:
        sniff = False
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)  # bounded: a huge or endless file cannot fill the memory
        if len(data) > MAX_FILE_BYTES:
            raise FormatError(f"Cannot load a machine from {str(path)!r}: it is larger than MAX_FILE_BYTES "
                              f"({MAX_FILE_BYTES:,} bytes); a machine file is far smaller.")
        text = data.decode("utf-8-sig")  # a UTF-8 byte order mark (Windows editors) is accepted
    except FileNotFoundError:
        hint = "" if not isinstance(source, str) else " (nor is it a standard-format machine like '1RB1LB_1LA1RZ')"
        raise FormatError(f"Cannot load a machine from {str(path)!r}: no such file{hint}.") from None
    except UnicodeDecodeError as e:
        raise FormatError(f"Cannot load a machine from {str(path)!r}: not UTF-8 text ({e.reason} at byte "
                          f"{e.start}).") from None
    except OSError as e:
        raise FormatError(f"Cannot load a machine from {str(path)!r}: {e.strerror or e}.") from None
    if sniff and not looks_standard(text):
        raise FormatError(
            f"{str(path)!r} does not hold a standard-format machine (like '1RB1LB_1LA1RZ'), which its extension "
            f"{path.suffix!r} promises; pass format= (one of {FORMATS!r}) to read it in another format."
        )
    try:
        if fmt == "morphett":
            require_rules(text)
        return _PARSERS[fmt](text, name=path.stem or None)
    except FormatError as e:
        raise FormatError(f"{str(path)!r} ({fmt} format): {e}") from None


def save(machine: Machine, path: str | os.PathLike, format: str | None = None, *, what: str | None = None) -> Path:
    """Write ``machine`` to ``path`` atomically: readers see the old file or the new one, never a part.

    Written by :func:`tmsim.io.atomic_write`: a temporary file in the same directory, flushed, ``fsync``-ed
    and renamed over ``path``; on any error the temporary file is removed and ``path`` is untouched. An
    existing file keeps its permission bits; a character device or FIFO is written through, never replaced.

    Parameters
    ----------
    machine : Machine
    path : str or path-like
    format : {"standard", "yaml", "morphett", "json"}, optional
        Default: from the extension of ``path``.
    what : str, optional
        How error messages about ``path`` name it (a CLI passes its flag, ``"--out"``).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    FormatError
        An unknown extension (and no ``format``).
    ParameterError
        An unknown format name; :class:`~tmsim.errors.OutputError` (a subclass) for a ``path`` that is a
        directory, socket or block device, in a missing directory, or a FIFO without a reader.
    ConversionError
        The format cannot express the machine (nothing is written).
    OSError
        The file cannot be written (permissions, full disk); nothing is left behind.

    Examples
    --------
    >>> import tempfile, os
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ", name="bb2")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     y = load(save(m, os.path.join(d, "m.yaml")))   # YAML carries the name
    ...     s = load(save(m, os.path.join(d, "two.tm")))   # the standard format does not: file stem
    >>> (y == m, y.name), (s == m, s.name)
    ((True, 'bb2'), (True, 'two'))
    """
    owner = "tmsim.formats.save"
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(f"The 'path' parameter of {owner} must be a path. Got {type(path).__name__}.")
    target = Path(path)
    fmt = format_for_path(target) if format is None else _check_format(format, owner)
    text = dumps(machine, fmt)
    if not text.endswith("\n"):
        text += "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ConversionError(f"Machine {machine.name!r}: its {fmt} text cannot be encoded as UTF-8 "
                              f"({e.reason}: {e.object[e.start:e.end]!r}).") from None
    return atomic_write(target, lambda f: f.write(data), what=what or f"{owner}: path")
