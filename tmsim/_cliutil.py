"""CLI (support): what every command line of the toolkit checks before work: one-line usage errors, integer
flags within int64 budgets, and ``--input-file`` for inputs beyond the argument-size limit."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from typing import Sequence

from .errors import ParameterError

__all__ = ["parse_one_line", "check_flags", "read_input_file", "MAX_INT_FLAG", "MAX_INPUT_FILE_BYTES"]

#: Largest value of the integer budgets and sizes (the kernels count in int64).
MAX_INT_FLAG = 1 << 62
#: Largest ``--input-file`` (bytes): an input longer than the default tape limit cannot run anyway.
MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024


def parse_one_line(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with a usage error reduced to argparse's one line ``PROG: error: ...``
    (naming the flag) on stderr, and ``SystemExit(2)`` as usual; ``--help`` and ``--version`` are unchanged."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            return parser.parse_args(argv)
    except SystemExit as e:
        text = buf.getvalue()
        if e.code not in (0, None):
            lines = [ln for ln in text.splitlines() if ln.strip()]
            text = (lines[-1] + "\n") if lines else ""
        sys.stderr.write(text)
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


def quiet_stdout() -> None:
    """Drop what stdout still buffers when it cannot be written (a closed pipe, a full disk), so that the
    interpreter's flush at exit does not fail again with a traceback. Shared by the three command lines."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
