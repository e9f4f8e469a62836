"""CLI (support): what every command line of the toolkit checks before work (one-line usage errors, integer
flags within int64 budgets, ``--input-file`` for inputs beyond the argument-size limit) and what it says on
stderr while it works: ``wrote FILE`` lines, progress (a bar redrawn in place on a terminal, one line per stage
otherwise), and a note while numba compiles the kernels of a first run. stdout carries only the results, so
``--json`` output stays one JSON document."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import stat
import sys
import threading
import time
from typing import Iterable, Sequence, TextIO

from .errors import ParameterError

__all__ = ["parse_one_line", "check_flags", "read_input_file", "name_flags", "say_wrote", "Progress", "announce_compile",
           "COMPILE_MESSAGE", "MAX_INT_FLAG", "MAX_INPUT_FILE_BYTES"]

#: Largest value of the integer budgets and sizes (the kernels count in int64).
MAX_INT_FLAG = 1 << 62
#: Largest ``--input-file`` (bytes): an input longer than the default tape limit cannot run anyway.
MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024


def parse_one_line(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with a usage error reduced to argparse's one line ``PROG: error: ...``
    (naming the flag) on stderr, and ``SystemExit(2)`` as usual; ``--help`` and ``--version`` are unchanged."""
    buf, out = io.StringIO(), io.StringIO()  # argparse drops a failed write silently: write them ourselves
    try:
        with contextlib.redirect_stderr(buf), contextlib.redirect_stdout(out):
            return parser.parse_args(argv)
    except SystemExit as e:
        text = buf.getvalue()
        if e.code not in (0, None):
            lines = [ln for ln in text.splitlines() if ln.strip()]
            text = (lines[-1] + "\n") if lines else ""
        sys.stderr.write(text)
        if out.getvalue():  # --help / --version: their text goes to stdout, which may not take it
            try:
                sys.stdout.write(out.getvalue())
                sys.stdout.flush()
            except BrokenPipeError:  # ``--help | head``: stop quietly, as Unix tools do
                quiet_stdout()
                raise SystemExit(141) from None
            except OSError as err:  # ``--help > /dev/full``: an error line, not a silent exit 0
                quiet_stdout()
                sys.stderr.write(f"{parser.prog.split()[0]}: error: stdout could not be written: "
                                 f"{err.strerror or err}.\n")
                raise SystemExit(2) from None
        raise


def check_flags(args: argparse.Namespace, *flags: str, high: int = MAX_INT_FLAG) -> None:
    """Refuse an integer flag above ``high`` before anything uses it (the kernels count in int64, and a size
    that large is a typo): ``--max-steps must be at most 2**62 = ... Got N instead.``"""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if isinstance(value, int) and value > high:
            bound = "2**62 = " if high == MAX_INT_FLAG else ""
            raise ParameterError(f"{flag} must be at most {bound}{high:,}. Got {value} instead.")


def read_input_file(args: argparse.Namespace) -> None:
    """``--input-file PATH`` (``-`` for stdin) into ``args.input``: one input beyond the argument-size limit
    (about 128 KiB per argument on Linux); a trailing newline is dropped. Refused with ``--input``."""
    path = getattr(args, "input_file", None)
    if path is None:
        return
    if args.input is not None:
        raise ParameterError(f"give --input or --input-file, not both. Got --input-file {path!r} as well.")
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_FILE_BYTES + 1)
        else:
            if os.path.exists(path) and not os.path.isfile(path):  # a FIFO would block, a device never end
                raise ParameterError(f"--input-file {path!r} is not a regular file.")
            with open(path, "rb") as f:
                data = f.read(MAX_INPUT_FILE_BYTES + 1)
    except OSError as e:
        raise ParameterError(f"--input-file {path!r} cannot be read: {e.strerror or e}.") from None
    if len(data) > MAX_INPUT_FILE_BYTES:
        raise ParameterError(f"--input-file {path!r} is larger than MAX_INPUT_FILE_BYTES "
                             f"({MAX_INPUT_FILE_BYTES:,} bytes).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParameterError(f"--input-file {path!r} is not UTF-8 text (byte {e.start}).") from None
    args.input = text[:-1] if text.endswith("\n") else text
    if args.input.endswith("\r"):
        args.input = args.input[:-1]


#: ``The 'n' parameter of write_dataset`` / ``of tableau(width=2)`` / ``of MLPAR``: a library error's subject.
_PARAMETER = re.compile(r"The '(\w+)' parameter of ([\w.]+(?:\([^()]*\))?)")
#: Library parameters whose command-line flag is not ``--`` + the name with dashes.
PARAMETER_FLAGS = {"random_state": "--seed", "inputs": "--sampler", "hidden_layer_sizes": "--hidden",
                   "n_threads": "--threads", "n_jobs": "--jobs", "cache_dir": "--cache"}


def name_flags(text: str, args: argparse.Namespace, extra: dict[str, str] | None = None) -> str:
    """A library error as the command line's: ``The 'n' parameter of write_dataset must be ... Got None
    instead.`` becomes ``--n (the 'n' parameter of write_dataset) must be ... Got none (--n was not given).``
    when the command has that flag (a key of ``args``, or of ``extra`` / :data:`PARAMETER_FLAGS` where the
    names differ): the flag the user typed first, the library's name kept for a search of the API docs."""
    given = vars(args)

    def flag_of(name: str) -> str | None:
        if extra and name in extra:
            return extra[name]
        if name in PARAMETER_FLAGS and PARAMETER_FLAGS[name].lstrip("-").replace("-", "_") in given:
            return PARAMETER_FLAGS[name]
        return "--" + name.replace("_", "-") if name in given else None

    missing: list[str] = []

    def sub(m: re.Match) -> str:
        flag = flag_of(m.group(1))
        if flag is None:
            return m.group(0)
        if flag.startswith("--") and given.get(flag[2:].replace("-", "_"), 0) is None:
            missing.append(flag)
        return f"{flag} (the '{m.group(1)}' parameter of {m.group(2)})"

    out = _PARAMETER.sub(sub, text)
    if missing and out.endswith("Got None instead."):
        out = out[:-len("Got None instead.")] + f"Got none ({missing[0]} was not given)."
    return out


def quiet_stdout() -> None:
    """Drop what stdout still buffers when it cannot be written (a closed pipe, a full disk), so that the
    interpreter's flush at exit does not fail again with a traceback. Shared by the three command lines."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# --------------------------------------------------------------------------------------- what goes to stderr
#: Printed (stderr) before the first compilation of a command's kernels, which a fresh install pays once.
COMPILE_MESSAGE = "compiling kernels (first run only; cached for the next runs)..."


def stderr_is_tty() -> bool:
    """Whether stderr is a terminal (progress bars and the compile note are drawn only there). One function,
    so that tests can pretend either way."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def say_wrote(path: str | os.PathLike, what: str = "", *, prog: str | None = None) -> None:
    """One line ``wrote PATH (png, 12.3 kB): WHAT`` on stderr, the account of a file a command wrote (the size
    only for a regular file: ``--out /dev/stdout`` has none). stderr, never stdout: stdout may carry
    ``--json`` output or the written file itself."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lstrip(".").lower() or ("directory" if os.path.isdir(path) else "file")
    try:
        st = os.stat(path)
        size = f", {_human_bytes(st.st_size)}" if stat.S_ISREG(st.st_mode) else ""
    except OSError:
        size = ""
    head = f"{prog}: " if prog else ""
    print(f"{head}wrote {path} ({ext}{size})" + (f": {what}" if what else ""), file=sys.stderr, flush=True)


class Progress:
    """Progress of a long command on stderr: on a terminal one status line redrawn in place (the stage, or a bar
    when the total is known), cleared at the end so that what follows (a ``wrote`` line, an error) stands
    alone; elsewhere (a log file, a pipe, CI) a plain line per stage and per step, never a carriage return. Use
    it as a context manager: on the way out it clears the status line and stops its timer.

    Parameters
    ----------
    prog : str
        The command's name, the head of every line (``learners fit: 3/30 epochs ...``).
    enabled : bool
        False: say nothing (``--quiet``).
    tty : bool, optional
        Redraw in place; default: whether stderr is a terminal (:func:`stderr_is_tty`).
    min_interval : float
        Off a terminal, the fewest seconds between two step lines (the first and the last step always print).
    delay : float
        Off a terminal, hold the lines back until a stage has lasted ``delay`` seconds (a timer then prints the
        stages so far and the latest step, and every line after prints at once): a bad input found within
        ``delay`` seconds of a stage's start stays a one-line error in a log, since held lines are dropped
        when the block ends in an exception (and printed in order when it ends well).
    """

    BAR = 24

    def __init__(self, prog: str, *, enabled: bool = True, tty: bool | None = None, min_interval: float = 0.0,
                 delay: float = 0.0, stream: TextIO | None = None):
        self.prog, self.enabled = prog, enabled
        self.tty = stderr_is_tty() if tty is None else tty
        self.min_interval, self.delay = min_interval, delay
        self._stream = stream
        self._open = False  # a redrawn line is on the terminal, not yet ended
        self._last = -float("inf")
        self._held: list[tuple[str, str]] = []  # (kind, text) held back: the stages, the latest step
        self._holding = enabled and delay > 0 and not self.tty
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(failed=exc_type is not None)

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    # ----------------------------------------------------------------------------- writing
    def _write(self, kind: str, text: str) -> None:
        line = f"{self.prog}: {text}"
        if self.tty:
            self.stream.write("\r\x1b[K" + line)
            self._open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _emit(self, kind: str, text: str) -> None:
        with self._lock:
            if self._holding:
                self._held = [h for h in self._held if h[0] != "step"] + [(kind, text)]
                if kind == "stage":  # the delay counts from the start of the current stage
                    if self._timer is not None:
                        self._timer.cancel()
                    self._timer = threading.Timer(self.delay, self._release)
                    self._timer.daemon = True
                    self._timer.start()
                return
            self._write(kind, text)

    def _flush_held(self) -> None:
        held, self._held = self._held, []
        for kind, text in held:
            self._write(kind, text)

    def _release(self) -> None:
        with self._lock:
            if self._holding:
                self._holding, self._timer = False, None
                self._flush_held()

    # ----------------------------------------------------------------------------- the interface
    def stage(self, text: str) -> None:
        """A stage begins (``fitting ...``): a line of its own in a log, the status line on a terminal."""
        if self.enabled:
            self._emit("stage", text)

    def step(self, done: float, total: float | None, text: str = "") -> None:
        """``done`` of ``total`` units (epochs, tasks) so far, with a note; a bar on a terminal."""
        if not self.enabled:
            return
        now = time.monotonic()
        last = total is not None and done >= total
        if not self.tty and not last and now - self._last < self.min_interval:
            return
        self._last = now
        count = f"{done:g}/{total:g}" if total is not None else f"{done:g}"
        if self.tty and total:
            fill = int(self.BAR * min(done / total, 1.0))
            count = "[" + "#" * fill + "." * (self.BAR - fill) + "] " + count
        self._emit("step", count + (f" {text}" if text else ""))

    def done(self, text: str | None = None) -> None:
        """The end: the held lines and a closing line (on a terminal, the status line cleared)."""
        if text is not None and self.enabled:
            self._emit("end", text)
        self.close()

    def close(self, failed: bool = False) -> None:
        """Stop the timer; print the held lines (or drop them when ``failed``); clear the status line."""
        if not self.enabled:
            return
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._holding = False
            if failed:
                self._held = []
            self._flush_held()
            if self._open:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._open = False


def announce_compile(modules: Iterable[str], *, always: bool = False) -> bool:
    """Print :data:`COMPILE_MESSAGE` on stderr when numba's cache holds nothing yet for one of ``modules``
    (kernel modules, by name, whose kernels have ``cache=True``), i.e. the command is about to compile them:
    the first run of a fresh install, or the first after an upgrade. On a terminal only, unless ``always`` (a
    command whose progress goes to its log anyway). Returns whether it printed. Imports the modules (the
    command needs them anyway) and looks for their cache index files; compiles nothing."""
    if not (always or stderr_is_tty()):
        return False
    import glob
    import importlib

    for name in modules:
        mod = importlib.import_module(name)
        stem = os.path.splitext(os.path.basename(mod.__file__ or ""))[0]
        for obj in vars(mod).values():
            path = getattr(getattr(obj, "_cache", None), "_cache_path", None)
            if path is None or getattr(obj, "__module__", None) != name:
                continue
            if not glob.glob(os.path.join(glob.escape(path), f"{glob.escape(stem)}.*.nbi")):
                print(COMPILE_MESSAGE, file=sys.stderr, flush=True)
                return True
            break  # one cache directory per module file
    return False
