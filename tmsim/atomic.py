"""Atomic file writes: readers see the old file or the whole new one, never a part of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[Any]], Any], mode: str = "wb", *,
                 fsync: bool = True) -> Path:
    """Write ``path`` through ``write(file)`` into a temporary file beside it, then ``os.replace`` it over
    ``path``. On any error the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : path-like
        The target; its directory must exist.
    write : callable
        Called with the open temporary file.
    mode : {"wb", "w"}, default "wb"
        Binary, or text in UTF-8.
    fsync : bool, default True
        Flush the data to disk before the rename.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.txt", lambda f: f.write("hello"), "w").read_text()
    'hello'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"The 'mode' parameter of atomic_write must be 'wb' or 'w'. Got {mode!r} instead.")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            write(f)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
