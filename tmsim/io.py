"""Output files (the last step of every writer): the one atomic writer of the toolkit.

Every file the toolkit writes (machines, diagrams, datasets, models, reports) goes through here, with one
set of guarantees:

* **Atomic.** A regular file is written to a temporary file beside it (``.NAME.PID-RANDOM.tmp``, so a
  leftover names the process that made it), flushed and ``fsync``-ed, renamed over the target
  (``os.replace``), and the directory is ``fsync``-ed so the rename itself is durable. Readers see the old
  file or the whole new one, never a part. On any error, ``KeyboardInterrupt`` included, the temporary file
  is removed and the target is untouched.
* **Leftovers cleaned.** A writer killed outright (SIGKILL, a power cut) leaves its temporary file or scratch
  directory behind; the next write to the same path removes those of its own pattern
  (``.NAME.PID-*.tmp``, ``.NAME.PID-*.parts``) whose process PID no longer exists and that belong to the
  same user, and never one whose writer still runs (a concurrent write, here or in another process).
  SIGINT, SIGTERM and SIGHUP need no cleanup later: the command lines turn them into an exception
  (:mod:`tmsim.interrupts`), on which the writer removes its files itself.
* **Mode kept.** An existing file keeps its permission bits; a new one gets the umask's default, as a plain
  ``open`` would.
* **Special files are never replaced.** A character device (``/dev/null``, a terminal) or a FIFO is
  written *through*: opened for writing, never renamed over. A FIFO with no reader is a one-line error, not
  a hang. A symbolic link is followed: its final target is written atomically and the link stays a link.
  A directory, a socket or a block device is refused with a one-line :class:`~tmsim.errors.OutputError`
  that names the flag (``what=``, e.g. ``"--out"``) and the path.

:func:`check_writable` is the same judgement without writing anything, for CLIs to call before long work;
:class:`PendingFile` is the primitive beneath :func:`atomic_write` for writers that stream into a file over
many calls (datasets): ``open()`` it, write, then ``commit()`` or ``abort()``.

Examples
--------
>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> atomic_write(os.path.join(d, "a.txt"), lambda f: f.write("hello"), "w").read_text()
'hello'
>>> atomic_write(os.devnull, lambda f: f.write(b"gone"))  # written through, /dev/null stays a device
PosixPath('/dev/null')
>>> os.listdir(d)
['a.txt']
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

from .errors import OutputError

__all__ = ["atomic_write", "check_writable", "PendingFile", "OutputError", "remove_stale_temporaries"]

#: Kinds of an output path (see :func:`check_writable`).
REGULAR, MISSING, THROUGH = "regular", "missing", "through"
_MODES = ("wb", "w")


def _refuse(what: str, path: Any, why: str) -> OutputError:
    return OutputError(f"{what} {str(path)!r} {why}")


def _resolve(path: Any, what: str) -> tuple[Path, Path, str, os.stat_result | None]:
    """``(given, real, kind, stat)``: the path given, the path written (symlinks followed), and its kind."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise OutputError(f"{what} must be a path. Got {type(path).__name__}.")
    given = Path(path)
    if str(path) == "":
        raise OutputError(f"{what} must be a path. Got ''.")
    real = Path(os.path.realpath(given))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise _refuse(what, path, f"is not writable: {str(real.parent)!r} is not a directory.") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise _refuse(what, path, "is a symbolic link that loops.") from None
        raise _refuse(what, path, f"cannot be examined: {e.strerror or e}.") from None
    if st is None:
        parent = real.parent
        if not parent.is_dir():
            raise _refuse(what, path, f"cannot be written: the directory {str(parent)!r} does not exist.")
        return given, real, MISSING, None
    m = st.st_mode
    if stat.S_ISREG(m):
        return given, real, REGULAR, st
    if stat.S_ISCHR(m) or stat.S_ISFIFO(m):
        return given, real, THROUGH, st
    if stat.S_ISDIR(m):
        raise _refuse(what, path, "is a directory; give a file path.")
    kind = "socket" if stat.S_ISSOCK(m) else "block device" if stat.S_ISBLK(m) else "special file"
    raise _refuse(what, path, f"is a {kind}, which is never replaced nor written; give a regular file, a "
                              f"character device such as /dev/null, or a FIFO.")


def check_writable(path: str | os.PathLike, what: str = "path") -> Path:
    """Check, before any long work, that :func:`atomic_write` can write ``path``; write nothing.

    A regular file or a new file in a writable, existing directory passes, and so does a character device
    or a FIFO (written through; a FIFO is not opened here, since opening and closing it would hand its
    reader an end of file: a missing reader is reported when the writing starts). A symbolic link is
    judged by what it points to.

    Parameters
    ----------
    path : str or path-like
    what : str, default "path"
        How the message names the path: the flag (``"--out"``) or parameter (``"The 'out' parameter"``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        A directory, a socket, a block device, a missing or unwritable directory, a looping link; one line
        naming ``what`` and the path.

    Examples
    --------
    >>> import tempfile
    >>> check_writable(tempfile.gettempdir(), "--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tmsim.errors.OutputError: --out '...' is a directory; give a file path.
    """
    given, real, kind, _ = _resolve(path, what)
    if kind != THROUGH and not os.access(real.parent, os.W_OK | os.X_OK):
        raise _refuse(what, path, f"cannot be written: the directory {str(real.parent)!r} is not writable.")
    return given


def _open_through(real: Path, path: Any, what: str) -> int:
    """Open a character device or FIFO for writing, without blocking on a FIFO that has no reader."""
    try:
        fd = os.open(real, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ENXIO:
            raise _refuse(what, path, "is a FIFO with no reader; start the reader first.") from None
        raise
    try:
        st = os.fstat(fd)
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):  # changed since it was examined
            raise _refuse(what, path, "changed while it was opened; not written.")
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # the writes themselves block, as usual
    except BaseException:
        os.close(fd)
        raise
    return fd


def _create_temp(directory: Path, name: str, suffix: str = ".tmp") -> tuple[Path, int]:
    """Create ``.NAME.PID-RANDOM.tmp`` in ``directory``, mode 0o666 minus the umask (like a plain open)."""
    for _ in range(100):
        tmp = directory / f".{name}.{os.getpid()}-{secrets.token_hex(4)}{suffix}"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "Could not create a temporary file", str(directory / name))


def _process_exists(pid: int) -> bool:
    if pid <= 0:
        return True  # not a PID we wrote: leave the file alone
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's process
        return True
    return True


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and scratch directories that writers of ``target`` left behind when they
    were killed: ``.NAME.PID-RANDOM.tmp`` and ``.NAME.PID-RANDOM.parts`` beside it whose PID is no live
    process and that belong to this user. A live writer's files (another process, or this one) are kept.

    Parameters
    ----------
    target : str or path-like
        The file about to be written.

    Returns
    -------
    list of Path
        What was removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / ".x.npz.999999999-ab12cd34.tmp").write_bytes(b"old")   # no such process
    >>> _ = (d / f".x.npz.{os.getpid()}-ab12cd34.tmp").write_bytes(b"mine, still running")
    >>> [p.name for p in remove_stale_temporaries(d / "x.npz")]
    ['.x.npz.999999999-ab12cd34.tmp']
    """
    target = Path(target)
    pattern = re.compile(r"\." + re.escape(target.name) + r"\.(\d{1,10})-[0-9A-Za-z_]{1,32}\.(?:tmp|parts)")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or _process_exists(int(m.group(1))):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and st.st_uid != uid:
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path)
            elif stat.S_ISREG(st.st_mode):
                os.unlink(path)
            else:
                continue
            removed.append(path)
    return removed


def fsync_directory(directory: str | os.PathLike) -> None:
    """``fsync`` a directory, making a rename inside it durable (a no-op where the OS cannot)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PendingFile:
    """A file being written: :meth:`open` it, write, then :meth:`commit` (or :meth:`abort` on error).

    For a regular or new file the writing goes to a temporary file beside the target, renamed over it by
    :meth:`commit`; a character device or FIFO is opened and written through (see the module docstring).
    Usable as a context manager: commit on a normal exit, abort on any exception.

    Parameters
    ----------
    path : str or path-like
        The target.
    what : str, default "path"
        How error messages name it (``"--out"``).

    Attributes
    ----------
    path : Path
        The path given.
    target : Path
        The path written (symbolic links followed).
    through : bool
        True for a character device or FIFO (no temporary file, no rename).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> with PendingFile(p) as pf:
    ...     _ = pf.open("wb").write(b"data")
    >>> open(p, "rb").read()
    b'data'
    """

    def __init__(self, path: str | os.PathLike, what: str = "path") -> None:
        self.path, self.target, kind, st = _resolve(path, what)
        self.what = what
        self.through = kind == THROUGH
        self._mode = None if st is None or self.through else stat.S_IMODE(st.st_mode)
        self._file: IO[Any] | None = None
        self._scratch: list[Path] = []
        self._done = False
        if self.through:
            self.tmp = None
            self._fd = _open_through(self.target, path, what)
        else:
            remove_stale_temporaries(self.target)
            self.tmp, self._fd = _create_temp(self.target.parent, self.target.name)

    def open(self, mode: str = "wb") -> IO[Any]:
        """The file object to write (binary ``"wb"`` or UTF-8 text ``"w"``); one per pending file."""
        if mode not in _MODES:
            raise OutputError(f"The 'mode' parameter of PendingFile.open must be 'wb' or 'w'. Got {mode!r} instead.")
        if self._file is not None or self._fd is None:
            raise OutputError(f"{self.what} {str(self.path)!r}: the pending file is already open or finished.")
        fd, self._fd = self._fd, None
        self._file = os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {}))
        return self._file

    def scratch_directory(self) -> Path:
        """A new empty directory for intermediate files, removed by :meth:`commit` and :meth:`abort`:
        beside the target (same file system) for a regular file, in the system temporary directory for a
        device or FIFO."""
        where = tempfile.gettempdir() if self.through else self.target.parent
        d = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.{os.getpid()}-", suffix=".parts", dir=where))
        self._scratch.append(d)
        return d

    def _close(self) -> None:
        f, self._file = self._file, None
        fd, self._fd = self._fd, None
        if f is not None:
            f.close()
        if fd is not None:
            os.close(fd)

    def commit(self) -> Path:
        """Flush, ``fsync``, close and rename into place (regular file) or just close (written through).

        Returns
        -------
        Path
            The path given.
        """
        if self._done:
            raise OutputError(f"{self.what} {str(self.path)!r}: the pending file is already finished.")
        try:
            if self._file is not None:
                self._file.flush()
                if not self.through:
                    os.fsync(self._file.fileno())
            elif self._fd is not None and not self.through:
                os.fsync(self._fd)
            self._close()
            for d in self._scratch:
                shutil.rmtree(d, ignore_errors=True)
            self._scratch.clear()
            if self.tmp is not None:
                if self._mode is not None:
                    os.chmod(self.tmp, self._mode)
                with contextlib.suppress(FileNotFoundError):
                    now = os.lstat(self.target)
                    if not stat.S_ISREG(now.st_mode):  # became something else meanwhile: never replace it
                        raise _refuse(self.what, self.path, "is no longer a regular file; not replaced.")
                os.replace(self.tmp, self.target)
                self.tmp = None
                fsync_directory(self.target.parent)
        except BaseException:
            self.abort()
            raise
        self._done = True
        return self.path

    def abort(self) -> None:
        """Close and remove the temporary file and scratch directories; the target stays as it was."""
        self._done = True
        with contextlib.suppress(Exception):
            self._close()
        for d in self._scratch:
            shutil.rmtree(d, ignore_errors=True)
        self._scratch.clear()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            self.tmp = None

    def __enter__(self) -> "PendingFile":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def atomic_write(path: str | os.PathLike, write: Callable[[IO[Any]], Any], mode: str = "wb", *,
                 what: str = "path") -> Path:
    """Write ``path`` through ``write(file)``, atomically (see the module docstring for the guarantees).

    Parameters
    ----------
    path : str or path-like
        The target; its directory must exist. A character device or FIFO is written through, a symbolic
        link followed.
    write : callable
        Called once with the open file.
    mode : {"wb", "w"}, default "wb"
        Binary, or text in UTF-8.
    what : str, default "path"
        How error messages name the path: the flag or parameter (``"--out"``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        ``path`` is a directory, socket or block device, a FIFO without a reader, or in a missing directory.
    OSError
        The file cannot be written (permissions, full disk); nothing is left behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.bin", lambda f: f.write(b"\\x00\\x01")).read_bytes()
    b'\\x00\\x01'
    """
    if mode not in _MODES:
        raise OutputError(f"The 'mode' parameter of atomic_write must be 'wb' or 'w'. Got {mode!r} instead.")
    pending = PendingFile(path, what)
    try:
        write(pending.open(mode))
    except OSError as e:
        pending.abort()
        raise _write_error(e, what, path) from e
    except BaseException:
        pending.abort()
        raise
    try:
        return pending.commit()
    except OSError as e:
        raise _write_error(e, what, path) from e


#: errno values that mean "the data could not be stored" (as opposed to a bad path, reported as it is).
_STORAGE_ERRNOS = {getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS", "EPIPE") if hasattr(errno, n)}


def _write_error(e: OSError, what: str, path: Any) -> OSError:
    """An :class:`OutputError` naming ``what`` and the path for a full disk (``/dev/full``), a quota, a read-only
    file system or an I/O error; any other OSError as it was."""
    if isinstance(e, OutputError) or e.errno not in _STORAGE_ERRNOS:
        return e
    return _refuse(what, path, f"could not be written: {e.strerror or e}.")
