"""Run (interrupts): how a long computation answers Ctrl-C, ``kill`` and a closed terminal.

A numba kernel holds the interpreter until it returns, so a signal that arrives inside one is handled only
after it. The long kernel calls of the toolkit (:func:`tmsim.run`, :func:`tmsim.run_batch`, the learners'
fit loops) therefore run in bounded chunks inside :func:`deferred`: a signal that arrives meanwhile is
recorded by :func:`handler` and raised by :func:`checkpoint` between two chunks, as an :class:`Interrupted`
(a ``KeyboardInterrupt``), never from inside a kernel call (which numba would report as a ``SystemError``).

The command lines install :func:`handler` for SIGINT, SIGTERM and SIGHUP with :func:`handle_signals`, so
all three unwind the same way: temporary files are removed by the writers' ``except BaseException`` paths,
one line ``PROG: interrupted`` goes to stderr and the exit status is ``128 + signal number`` (130 for SIGINT,
143 for SIGTERM, 129 for SIGHUP), the shell's convention.

Examples
--------
>>> with deferred():
...     checkpoint()          # nothing pending: returns
>>> Interrupted(15).exit_code
143
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

__all__ = ["Interrupted", "deferred", "checkpoint", "handler", "handle_signals", "exit_code", "exit_soon",
           "CLI_SIGNALS"]

#: The signals the command lines turn into :class:`Interrupted` (those present on this platform).
CLI_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))

_pending: int | None = None
_depth = 0


class Interrupted(KeyboardInterrupt):
    """A signal asked the process to stop; ``signum`` is the signal, ``exit_code`` is ``128 + signum``."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = int(signum)
        try:
            name = signal.Signals(self.signum).name
        except ValueError:
            name = f"signal {self.signum}"
        super().__init__(name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def handler(signum: int, frame) -> None:
    """The signal handler: inside :func:`deferred`, record the signal for :func:`checkpoint`; else raise
    :class:`Interrupted` at once."""
    global _pending
    if _depth > 0:
        _pending = int(signum)
        return
    raise Interrupted(signum)


def checkpoint() -> None:
    """Raise :class:`Interrupted` if a signal arrived since the last checkpoint (call between chunks)."""
    global _pending
    if _pending is not None and _in_main_thread():
        signum, _pending = _pending, None
        raise Interrupted(signum)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block, a signal handled by :func:`handler` is recorded instead of raised; the block calls
    :func:`checkpoint` between its chunks, and leaving the block raises a signal still pending.

    Where SIGINT still has Python's default handler (a script, a notebook), :func:`handler` stands in for it
    during the block, so Ctrl-C stops a long run there too, between chunks, as a ``KeyboardInterrupt``. In a
    thread other than the main one (where no signal handler runs) the block changes nothing.
    """
    global _depth
    if not _in_main_thread():
        yield
        return
    swapped = False
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, handler)
        swapped = True
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if swapped:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if _depth == 0:
        checkpoint()


@contextlib.contextmanager
def handle_signals(signals: tuple[int, ...] = CLI_SIGNALS) -> Iterator[None]:
    """Install :func:`handler` for ``signals`` (default SIGINT, SIGTERM, SIGHUP) for the block, then restore
    the previous handlers (a no-op outside the main thread). For command lines' ``main``."""
    global _pending
    if not _in_main_thread():
        yield
        return
    old = {}
    for s in signals:
        with contextlib.suppress(OSError, ValueError):
            old[s] = signal.signal(s, handler)
    _pending = None
    try:
        yield
    finally:
        for s, h in old.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(s, h if h is not None else signal.SIG_DFL)


def exit_code(exc: BaseException) -> int | None:
    """The exit status for an interruption (``128 + signum``; 130 for a plain ``KeyboardInterrupt``), or None
    when ``exc`` is not one. A ``SystemError`` that numba raised around a ``KeyboardInterrupt`` counts."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, Interrupted):
            return exc.exit_code
        if isinstance(exc, KeyboardInterrupt):
            return 130
        if not isinstance(exc, SystemError):
            return None
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def exit_soon() -> None:
    """For a command line run as a program (``main()`` without ``argv``), whose process ends when it returns:
    register an exit hook that freezes the garbage collector (``gc.freeze``), so the interpreter's shutdown
    skips collecting every object the run made (about 0.7 s with numba loaded) and an interrupted command
    is gone well within a second of the signal. Never called by in-process callers (tests pass ``argv``)."""
    import atexit
    import gc

    atexit.register(gc.freeze)
