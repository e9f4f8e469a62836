"""tmsim.io: the one atomic writer (mode kept, symlinks followed, special files never replaced, nothing left
behind on an error or an interrupt)."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import tempfile
import threading

import pytest

from tmsim import parse_standard, zoo
from tmsim.cli import main as tmsim_main
from tmsim.datasets import make_dataset, save as save_dataset
from tmsim.errors import OutputError, ParameterError, TmsimError
from tmsim.formats import save as save_machine
from tmsim.io import PendingFile, atomic_write, check_writable


def _listing(d) -> list[str]:
    return sorted(os.listdir(d))


class _Reader(threading.Thread):
    """Reads a FIFO to its end in the background (the other end of a write-through)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.data = path, None
        self.opened = threading.Event()

    def run(self):
        with open(self.path, "rb") as f:  # blocks until a writer opens the FIFO
            self.opened.set()
            self.data = f.read()


def _fifo_with_reader(path):
    os.mkfifo(path)
    r = _Reader(path)
    r.start()
    return r


# ------------------------------------------------------------------------------------------ regular files
def test_writes_and_returns_the_path(tmp_path):
    p = tmp_path / "a.txt"
    assert atomic_write(p, lambda f: f.write("héllo"), "w") == p
    assert p.read_text(encoding="utf-8") == "héllo" and _listing(tmp_path) == ["a.txt"]
    assert atomic_write(str(p), lambda f: f.write(b"\x00\x01")) == p and p.read_bytes() == b"\x00\x01"


def test_existing_mode_is_kept_and_a_new_file_gets_the_umask_default(tmp_path):
    p = tmp_path / "m.bin"
    p.write_bytes(b"old")
    os.chmod(p, 0o640)
    atomic_write(p, lambda f: f.write(b"new"))
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o640 and p.read_bytes() == b"new"
    old = os.umask(0o027)
    try:
        q = atomic_write(tmp_path / "fresh.bin", lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(q).st_mode) == 0o640  # 0o666 minus the umask, as a plain open gives


def test_the_temporary_file_is_beside_the_target_and_names_the_process(tmp_path):
    seen = []
    atomic_write(tmp_path / "t.bin", lambda f: seen.extend(_listing(tmp_path)))
    assert len(seen) == 1 and seen[0].startswith(".t.bin.") and f".{os.getpid()}-" in seen[0]
    assert _listing(tmp_path) == ["t.bin"]


@pytest.mark.parametrize("exc", [ValueError("bad data"), KeyboardInterrupt()])
def test_a_failing_or_interrupted_write_leaves_the_target_and_no_temp(tmp_path, exc):
    p = tmp_path / "keep.txt"
    p.write_text("old")

    def write(f):
        f.write("partial")
        raise exc

    with pytest.raises(type(exc)):
        atomic_write(p, write, "w")
    assert _listing(tmp_path) == ["keep.txt"] and p.read_text() == "old"
    with pytest.raises(type(exc)):
        atomic_write(tmp_path / "new.txt", write, "w")
    assert _listing(tmp_path) == ["keep.txt"]


def test_a_failing_rename_leaves_no_temp(tmp_path, monkeypatch):
    def fail(*args):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(tmp_path / "x", lambda f: f.write(b"data"))
    assert _listing(tmp_path) == []


def test_fsync_of_file_and_directory(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write(tmp_path / "d.bin", lambda f: f.write(b"1"))
    assert synced == [False, True]  # the file, then its directory (after the rename)


# ------------------------------------------------------------------------------------------ links and specials
def test_a_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert atomic_write(link, lambda f: f.write("new"), "w") == link
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new" and _listing(tmp_path) == ["link.txt", "real.txt"]
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "made.txt")
    atomic_write(dangling, lambda f: f.write("made"), "w")
    assert dangling.is_symlink() and (tmp_path / "made.txt").read_text() == "made"


def _guard_specials(monkeypatch):
    """Make a rename over a special file fail the test instead of happening (run as root, a broken writer
    would otherwise replace the system's /dev/null)."""
    real = os.replace

    def guarded(src, dst, *args, **kwargs):
        with contextlib.suppress(FileNotFoundError):
            assert stat.S_ISREG(os.lstat(dst).st_mode), f"os.replace over the special file {dst!r}"
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", guarded)


def test_dev_null_is_written_through_not_replaced(tmp_path, monkeypatch):
    _guard_specials(monkeypatch)
    before = os.stat(os.devnull)
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    atomic_write(link, lambda f: f.write(b"discarded"))
    atomic_write(os.devnull, lambda f: f.write("discarded too"), "w")
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and (after.st_rdev, after.st_ino) == (before.st_rdev, before.st_ino)
    assert link.is_symlink() and _listing(tmp_path) == ["null"]
    assert not [n for n in os.listdir(os.path.dirname(os.devnull)) if n.startswith(".null.")]


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    reader = _fifo_with_reader(fifo)
    for _ in range(250):
        try:
            atomic_write(fifo, lambda f: f.write(b"through the pipe"))
            break
        except OutputError:  # the reader thread has not opened its end yet
            threading.Event().wait(0.02)
    reader.join(5)
    assert reader.data == b"through the pipe"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and _listing(tmp_path) == ["pipe"]


def test_a_fifo_without_a_reader_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "lonely"
    os.mkfifo(fifo)
    assert check_writable(fifo, "--out") == fifo  # judged without opening it (that would hand a reader EOF)
    with pytest.raises(OutputError, match=r"^--out '.*lonely' is a FIFO with no reader"):
        atomic_write(fifo, lambda f: f.write(b"x"), what="--out")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and _listing(tmp_path) == ["lonely"]


def test_a_directory_is_refused_naming_the_flag(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    for call in (lambda: atomic_write(d, lambda f: f.write(b"x"), what="--out"),
                 lambda: check_writable(d, "--out")):
        with pytest.raises(OutputError, match=r"^--out '.*out' is a directory") as e:
            call()
        assert "\n" not in str(e.value) and ".tmp" not in str(e.value)
    assert _listing(d) == [] and _listing(tmp_path) == ["out"]


def test_a_socket_is_refused(tmp_path):
    short = tempfile.mkdtemp(dir="/tmp")  # a socket path must be short
    path = os.path.join(short, "s")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(path)
        for call in (lambda: atomic_write(path, lambda f: f.write(b"x"), what="--out"),
                     lambda: check_writable(path, "--out")):
            with pytest.raises(OutputError, match=r"^--out '.*' is a socket, which is never replaced"):
                call()
        assert stat.S_ISSOCK(os.lstat(path).st_mode) and os.listdir(short) == ["s"]
    finally:
        s.close()
        os.unlink(path)
        os.rmdir(short)


def test_a_missing_directory_and_a_looping_link(tmp_path):
    with pytest.raises(OutputError, match=r"^--out '.*' cannot be written: the directory .*nope.* does not exist"):
        check_writable(tmp_path / "nope" / "x.bin", "--out")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OutputError, match="loops"):
        atomic_write(loop, lambda f: f.write(b"x"))
    assert _listing(tmp_path) == ["loop"]
    assert issubclass(OutputError, ParameterError) and issubclass(OutputError, ValueError)


# ------------------------------------------------------------------------------------------ PendingFile
def test_pending_file_scratch_directories_are_removed(tmp_path):
    with PendingFile(tmp_path / "x.bin") as pf:
        scratch = pf.scratch_directory()
        (scratch / "part").write_bytes(b"p")
        pf.open("wb").write(b"done")
    assert (tmp_path / "x.bin").read_bytes() == b"done" and _listing(tmp_path) == ["x.bin"]
    with pytest.raises(RuntimeError):
        with PendingFile(tmp_path / "y.bin") as pf:
            pf.scratch_directory()
            pf.open("wb").write(b"never")
            raise RuntimeError("stop")
    assert _listing(tmp_path) == ["x.bin"]


# ------------------------------------------------------------------------------------------ the writers
def test_machine_and_dataset_writers_write_through_a_fifo(tmp_path):
    m = parse_standard("1RB1LB_1LA1RZ", name="bb2")
    ds = make_dataset(zoo.get("parity"), "transitions", n=5, lengths=(1, 4), random_state=0)
    save_dataset(ds, tmp_path / "ref.jsonl")
    expected = (tmp_path / "ref.jsonl").read_bytes()
    for name, write, want in (("m.yaml", lambda p: save_machine(m, p, "yaml"), None),
                              ("d.jsonl", lambda p: save_dataset(ds, p, "jsonl"), expected)):
        fifo = tmp_path / name
        reader = _fifo_with_reader(fifo)
        for _ in range(250):
            try:
                write(fifo)
                break
            except TmsimError:
                threading.Event().wait(0.02)
        reader.join(5)
        assert reader.data and stat.S_ISFIFO(os.lstat(fifo).st_mode)
        if want is not None:
            assert reader.data == want
    # No sidecar beside a FIFO (nor a temporary file): the data went through, nothing else was made.
    assert _listing(tmp_path) == ["d.jsonl", "m.yaml", "ref.jsonl", "ref.jsonl.vocab.json"]


def test_dataset_to_dev_null(tmp_path, monkeypatch):
    _guard_specials(monkeypatch)
    ds = make_dataset(zoo.get("parity"), "transitions", n=5, lengths=(1, 4), random_state=0)
    link = tmp_path / "null.npz"
    link.symlink_to(os.devnull)
    save_dataset(ds, link)
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode) and _listing(tmp_path) == ["null.npz"]


def test_cli_out_is_a_directory_or_socket_one_line(tmp_path, capsys):
    d = tmp_path / "dir.yaml"
    d.mkdir()
    assert tmsim_main(["convert", "zoo:bb2", "--to", "yaml", "--out", str(d)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tmsim: error: --out ") and "is a directory" in err and err.count("\n") == 1
    e = tmp_path / "dir.npz"
    e.mkdir()
    assert tmsim_main(["dataset", "zoo:parity", "--encoding", "transitions", "--n", "3", "--out", str(e)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tmsim: error: --out ") and "is a directory" in err and err.count("\n") == 1
    assert _listing(d) == [] and _listing(e) == []
