"""Check -> sweep: a grid of independent jobs (one per grid point: size x samples x seed ...) run in parallel with joblib on
this machine, or on a Dask distributed cluster, with a progress bar and an on-disk cache so that an
interrupted sweep resumes where it stopped.

A job is one call of a module-level function with keyword arguments that are JSON values; its result must be
JSON-serialisable (the cache stores it as JSON). The cache key is a hash of the function's qualified name,
the keyword arguments (the grid point), ``version`` and the code version (:func:`code_version`: a hash of
the toolkit's source and of the job function's module), so a changed grid point or a changed line of code is
recomputed and an unchanged one is not. An entry is checked when it is read (its fields, its key, its grid
point and a digest of its result); anything else is recomputed and overwritten, never trusted. The cache
guards against stale and torn entries, not against someone who may write the cache directory: give
``--cache`` a directory only you can write.

A Dask scheduler runs the code it is sent and returns pickles, which the client unpickles: name only a
cluster you trust (``scheduler=``, ``--scheduler``).

Examples
--------
>>> from proofs_checks.sweep import SweepRunner, grid
>>> points = grid(a=[1, 2], b=[10])
>>> points
[{'a': 1, 'b': 10}, {'a': 2, 'b': 10}]
>>> SweepRunner(n_jobs=1, progress=False).map(_demo_job, points)
[11, 12]
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import numbers
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from tmsim.io import atomic_write

from .errors import CheckError

__all__ = ["SweepRunner", "grid", "cache_key", "code_version", "check_scheduler_address"]

#: The packages whose source makes the code version of every cache entry.
_CODE_PACKAGES = ("tmsim", "learners", "proofs_checks")
#: Dask address schemes the client connects with; anything else is refused before connecting.
SCHEDULER_SCHEMES = ("tcp", "tls", "inproc")
_ENTRY_KEYS = {"fn", "key", "params", "result", "digest"}


def grid(**axes: Sequence[Any]) -> list[dict]:
    """The cartesian product of the axes, as a list of keyword dicts (the last axis varies fastest)."""
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(axes[a] for a in names))]


def cache_key(fn: Callable, params: dict, version: str = "1") -> str:
    """A stable hash of (function, version, params)."""
    blob = json.dumps({"fn": f"{fn.__module__}.{fn.__qualname__}", "version": version, "params": params},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


@functools.lru_cache(maxsize=None)
def _source_digest(files: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode())
        try:
            with open(name, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
        except OSError:
            h.update(b"?")
    return h.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _package_files() -> tuple[str, ...]:
    files = []
    for pkg in _CODE_PACKAGES:
        mod = sys.modules.get(pkg) or __import__(pkg)
        root = Path(mod.__file__).parent
        files += sorted(str(p) for p in root.rglob("*.py"))
    return tuple(files)


def code_version(fn: Callable | None = None) -> str:
    """A hash of the toolkit's source (every ``.py`` file of tmsim, learners and proofs_checks) and of the
    file that defines ``fn``: what a cache entry was computed by. Read once per process."""
    extra = ()
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is not None and getattr(module, "__file__", None):
        extra = (str(module.__file__),)
    return _source_digest(_package_files() + extra)


def _digest(result: Any) -> str:
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()[:24]


def check_scheduler_address(address: Any, what: str = "The 'scheduler' parameter") -> Any:
    """``address`` if it names a Dask scheduler the client can dial (``tcp://``, ``tls://``, ``inproc://`` or a
    bare ``host:port``), or a client object; else a one-line :class:`CheckError`."""
    if address is None or hasattr(address, "submit"):
        return address
    if not isinstance(address, str) or not address.strip():
        raise CheckError(f"{what} must be a Dask scheduler address such as tcp://host:8786. Got {address!r}.")
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", address)
    if m is not None and m.group(1).lower() not in SCHEDULER_SCHEMES:
        raise CheckError(f"{what} must be a Dask scheduler address with one of the schemes "
                         f"{', '.join(s + '://' for s in SCHEDULER_SCHEMES)}. Got {address!r}.")
    if m is None and not re.match(r"^[^\s/]+:\d{1,5}$", address):
        raise CheckError(f"{what} must be a Dask scheduler address such as tcp://host:8786 or host:8786. "
                         f"Got {address!r}.")
    return address


def _demo_job(a: int, b: int) -> int:
    return a + b


def _atomic_json(path: Path, obj: Any) -> None:
    atomic_write(path, lambda f: json.dump(obj, f), "w")


def _call(fn: Callable, params: dict) -> Any:
    """Run one job in a worker, with one BLAS thread (the workers are the parallelism)."""
    with threadpool_limits(1):
        return fn(**params)


@dataclass
class SweepRunner:
    """How sweeps run: joblib workers on this machine, or a Dask scheduler; a cache directory; a progress bar.

    Parameters
    ----------
    n_jobs : int, default 2
        joblib workers (1: in this process, no pool). Ignored with ``scheduler``.
    cache_dir : path, optional
        Where finished jobs are stored (one JSON file each); a rerun with the same directory skips them.
    scheduler : str, optional
        A Dask distributed scheduler address (``tcp://host:8786``, ``tls://``, ``inproc://`` or ``host:port``)
        or a ``dask.distributed.Client``: run the jobs on that cluster instead of joblib. The scheduler
        runs code and returns pickles that this process unpickles: name only a trusted cluster.
    progress : bool, default True
        A tqdm progress bar per sweep (on stderr).
    version : str
        Mixed into every cache key, beside the code version (:func:`code_version`, which changes with any
        line of the toolkit): bump it to invalidate the cache by hand.
    connect_timeout : float, default 10
        Seconds to wait for the Dask scheduler before giving up with a :class:`CheckError`.

    Attributes
    ----------
    computed, cached : int
        Jobs computed and jobs read from the cache, over every sweep run so far.
    """

    n_jobs: int = 2
    cache_dir: str | os.PathLike | None = None
    scheduler: Any = None
    progress: bool = True
    version: str = "1"
    connect_timeout: float = 10.0
    computed: int = 0
    cached: int = 0
    #: How messages name the scheduler (the CLI says ``--scheduler``).
    scheduler_name: str = field(default="The 'scheduler' parameter", repr=False)

    def __post_init__(self) -> None:
        self.scheduler = check_scheduler_address(self.scheduler, self.scheduler_name)
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, numbers.Integral) or self.n_jobs < 1:
            raise CheckError(f"The 'n_jobs' parameter of SweepRunner must be an int >= 1. Got {self.n_jobs!r} "
                             f"instead.")
        if self.cache_dir is not None:
            path = Path(self.cache_dir)
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise CheckError(f"The 'cache_dir' parameter of SweepRunner must be a writable directory. Got "
                                 f"{str(path)!r} ({e.strerror}).") from None
            if not os.access(path, os.W_OK):
                raise CheckError(f"The 'cache_dir' parameter of SweepRunner must be a writable directory. Got "
                                 f"{str(path)!r} (not writable).")

    # ------------------------------------------------------------------ the cache
    def _key(self, fn: Callable, params: dict) -> str:
        return cache_key(fn, params, f"{self.version}+{code_version(fn)}")

    def _path(self, fn: Callable, params: dict) -> Path | None:
        if self.cache_dir is None:
            return None
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", fn.__name__)[:64]
        return Path(self.cache_dir) / f"{name}-{self._key(fn, params)}.json"

    def _lookup(self, fn: Callable, params: dict) -> tuple[bool, Any]:
        path = self._path(fn, params)
        if path is None or not path.is_file():
            return False, None
        try:
            if path.stat().st_size > (64 << 20):
                return False, None
            with open(path, encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError, RecursionError):  # a torn or foreign file: recompute (and overwrite it)
            return False, None
        # The shape of an entry: exactly its fields, for this function, key and grid point, and a result
        # whose digest is the one stored with it; anything else is recomputed.
        if (not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS
                or entry["fn"] != f"{fn.__module__}.{fn.__qualname__}" or entry["key"] != self._key(fn, params)
                or entry["params"] != json.loads(json.dumps(params)) or entry["digest"] != _digest(entry["result"])):
            return False, None
        return True, entry["result"]

    def _store(self, fn: Callable, params: dict, result: Any) -> None:
        path = self._path(fn, params)
        if path is not None:
            _atomic_json(path, {"fn": f"{fn.__module__}.{fn.__qualname__}", "key": self._key(fn, params),
                                "params": params, "result": result, "digest": _digest(result)})

    # ------------------------------------------------------------------ running
    def map(self, fn: Callable, points: Sequence[dict], *, desc: str | None = None) -> list[Any]:
        """Run ``fn(**p)`` for every grid point ``p``; the results in the order of ``points``.

        Finished points are stored in the cache as they complete (in the parent process), so an interrupted
        sweep loses only the jobs that were running.
        """
        points = [dict(p) for p in points]
        for p in points:
            try:
                json.dumps(p)
            except TypeError as e:
                raise CheckError(f"SweepRunner.map: grid point {p!r} is not JSON-serialisable ({e}).") from None
        results: list[Any] = [None] * len(points)
        todo = []
        for i, p in enumerate(points):
            hit, value = self._lookup(fn, p)
            if hit:
                results[i] = value
                self.cached += 1
            else:
                todo.append(i)
        bar = tqdm(total=len(points), initial=len(points) - len(todo), desc=desc or fn.__name__,
                   disable=not self.progress, leave=False, dynamic_ncols=True)
        try:
            for i, value in self._execute(fn, points, todo):
                value = json.loads(json.dumps(value))  # exactly what a cache hit would return
                self._store(fn, points[i], value)
                results[i] = value
                self.computed += 1
                bar.update(1)
        finally:
            bar.close()
        return results

    def _execute(self, fn: Callable, points: list[dict], todo: list[int]):
        if not todo:
            return
        if self.scheduler is not None:
            yield from self._dask(fn, points, todo)
        elif self.n_jobs == 1 or len(todo) == 1:
            for i in todo:
                yield i, _call(fn, points[i])
        else:
            par = Parallel(n_jobs=min(self.n_jobs, len(todo)), return_as="generator_unordered")
            tagged = par(delayed(_tagged)(fn, i, points[i]) for i in todo)
            for i, value in tagged:
                yield i, value

    def _dask(self, fn: Callable, points: list[dict], todo: list[int]):
        # Deferred: dask.distributed takes seconds to import and only a run with a scheduler needs it.
        from dask.distributed import Client, as_completed

        own = not hasattr(self.scheduler, "submit")
        try:
            client = Client(self.scheduler, timeout=f"{self.connect_timeout}s") if own else self.scheduler
        except Exception as e:  # noqa: BLE001 - whatever answered is not a Dask scheduler we can use
            # (a timeout, a refused connection, a server that speaks another protocol and sends a length the
            # client cannot allocate, an address Dask cannot parse): one line, never a traceback.
            why = " ".join((str(e) or type(e).__name__).split())[:300]
            raise CheckError(f"{self.scheduler_name}: cannot reach a Dask scheduler at {self.scheduler!r} "
                             f"({type(e).__name__}: {why}).") from None
        try:
            futures = [client.submit(_tagged, fn, i, points[i], pure=False) for i in todo]
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            if own:
                client.close()


def _tagged(fn: Callable, i: int, params: dict) -> tuple[int, Any]:
    return i, _call(fn, params)
