"""Interrupts: long kernel calls run in chunks (chunked == one call == the plain-Python twin), and SIGINT or
SIGTERM during ``tmsim run``, ``tmsim dataset`` and ``learners fit`` ends the process within 2 s with one
line, exit 128 + the signal, and no temporary file left."""

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tmsim import _kernels, _reference, interrupts, parse_standard, prepare_batch, run, simulate
from tmsim.encodings import _passes as enc_base, get_encoding
from tmsim.testing import inputs, machine_and_input, machines

ROOT = Path(__file__).resolve().parents[2]
LOOP = "1RB1LA_1LA1RB"  # never halts, never leaves a two-cell span


# --------------------------------------------------------------------------------------- chunks == one call
def _packed(m, x):
    cells = np.ascontiguousarray(m.encode_input(x), dtype=np.uint8)
    return m.arrays.packed, m.n_symbols, cells, m.state_index[m.start]


@given(machine_and_input(max_input=5), st.integers(0, 60), st.integers(1, 7), st.integers(0, 10))
def test_chunked_run_equals_one_call_and_the_twin(mi, max_steps, chunk, extra_tape):
    m, x = mi
    packed, S, cells, state = _packed(m, x)
    max_tape = max(len(cells), 1) + extra_tape
    whole = _kernels.run_one(packed, S, cells, 0, 0, state, max_steps, max_tape)
    ref = _reference.run_one(packed, S, cells, 0, 0, state, max_steps, max_tape)
    results = [simulate._result(m, int(a[0]), int(a[1]), int(a[2]), int(a[3]), np.asarray(a[4]), int(a[5]))
               for a in (whole, ref)]
    for impl in (_kernels, _reference):
        a = simulate._run_chunked(impl, packed, S, cells, 0, 0, state, max_steps, max_tape, chunk)
        results.append(simulate._result(m, int(a[0]), int(a[1]), int(a[2]), int(a[3]), np.asarray(a[4]),
                                        int(a[5])))
    assert all(r == results[0] for r in results), results


@given(machine_and_input(max_input=4), st.integers(0, 30), st.integers(0, 30))
def test_continue_run_kernel_equals_twin(mi, a_steps, b_steps):
    """Kernel and twin agree on every returned piece of state after each of two calls."""
    m, x = mi
    packed, S, cells, state = _packed(m, x)
    out = []
    for impl in (_kernels, _reference):
        fast, tape, origin, p, lo, hi = impl.begin_run(packed, cells, 0, 0)
        trail = []
        q = state
        for budget in (a_steps, b_steps):
            status, k, q, p, tape, origin, lo, hi = impl.continue_run(fast, S, tape, origin, p, lo, hi, q, budget, 64)
            cells_now = {int(origin) + i: int(c) for i, c in enumerate(tape) if c}
            trail.append((int(status), int(k), int(q), int(p + origin), int(lo + origin), int(hi + origin),
                          cells_now))
        out.append(trail)
    assert out[0] == out[1]


@given(st.lists(machine_and_input(max_input=4), min_size=1, max_size=8), st.integers(0, 80),
       st.integers(1, 40), st.integers(1, 9), st.integers(0, 100))
def test_chunked_batch_equals_one_call(jobs, max_steps, chunk, min_steps, serial):
    ms, xs = zip(*jobs)
    batch = prepare_batch(list(ms), list(xs), max_steps=max_steps, max_tape=48)
    whole = batch._run_chunked(_kernels, 1 << 40)
    small = batch._run_chunked(_kernels, chunk, min_steps)
    # a first round on one thread (as small batches get with the default threads), then the rest
    first_serial = batch._run_chunked(_kernels, chunk, min_steps, serial_steps=serial)
    ref = batch._run_chunked(_reference, chunk, min_steps)
    for j in range(len(jobs)):
        assert small[j] == whole[j] == first_serial[j] == ref[j] == run(ms[j], xs[j], max_steps=max_steps,
                                                                       max_tape=48)


def test_deferred_raises_a_pending_signal_at_the_checkpoint():
    with pytest.raises(interrupts.Interrupted) as e:
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)  # recorded by the stand-in handler, not raised here
            time.sleep(0.01)
            interrupts.checkpoint()
            pytest.fail("the checkpoint did not raise")
    assert e.value.exit_code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_long_run_answers_sigint_between_chunks():
    """In-process: SIGINT 0.2 s into a run of 10**12 steps raises KeyboardInterrupt within a second."""
    m = parse_standard(LOOP)
    run(m, max_steps=10)
    timer = __import__("threading").Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run(m, max_steps=10 ** 12)
    assert time.monotonic() - t0 < 2.0  # the bound for a signal to end a command


# --------------------------------------------------------------------------------------- encodings in groups
_SPECS = ("transitions", "tableau", "snapshots(every=2)", "tableau-triples", "gates", "tableau(width=9)")


@st.composite
def _machine_and_inputs(draw):
    m = draw(machines(n_states=(1, 3), n_symbols=(2, 3)))
    return m, draw(st.lists(inputs(m, max_size=4), min_size=1, max_size=12))


@settings(max_examples=20)
@given(_machine_and_inputs(), st.integers(0, 40), st.sampled_from(_SPECS), st.integers(1, 60), st.integers(1, 90))
def test_encoding_in_groups_equals_one_call_and_the_twin(mi, max_steps, spec, count_budget, emit_budget):
    """Kernel calls of a few steps or tokens each (rounds of growing step caps, groups of samples) give the
    batch of one call per pass, and of the plain-Python twin in groups too."""
    m, xs = mi
    enc = get_encoding(spec)
    try:
        whole = enc.encode_batch(m, xs, max_steps=max_steps)
    except ValueError:  # the input does not fit the fixed width: not this test's concern
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(enc_base.COUNT_CHUNK_STEPS, "numba", count_budget)
        mp.setitem(enc_base.EMIT_CHUNK_TOKENS, "numba", emit_budget)
        mp.setitem(enc_base.COUNT_CHUNK_STEPS, "python", count_budget)
        mp.setitem(enc_base.EMIT_CHUNK_TOKENS, "python", emit_budget)
        mp.setattr(enc_base.numba, "get_num_threads", lambda: 1)
        parts = [enc.encode_batch(m, xs, max_steps=max_steps, backend=b) for b in ("numba", "python")]
    for got in parts:
        for f in ("tokens", "kinds", "offsets", "status", "steps", "widths", "lefts"):
            assert np.array_equal(getattr(got, f), getattr(whole, f)), f


@settings(max_examples=60)
@given(machine_and_input(max_input=5), st.integers(0, 80), st.integers(1, 9), st.integers(-6, 0), st.integers(0, 8))
def test_resumed_count_equals_count_one_and_the_twin(mi, max_steps, chunk, lo_lim, hi_lim):
    """A run paused every ``chunk`` steps and resumed (kernel and twin) gives count_one's result, window
    included; so does a batch whose runs go on one by one."""
    from tmsim.encodings import _kernels as ek, _reference as er

    m, x = mi
    cells = np.ascontiguousarray(m.encode_input(x), dtype=np.uint8)
    hi_lim += max(len(cells), 1) - 1  # a window holds the input (as the encodings choose it)
    packed, S, start = m.arrays.packed, m.n_symbols, m.state_index[m.start]
    want = tuple(int(v) for v in er.count_one(packed, S, cells, start, max_steps, lo_lim, hi_lim, None))
    assert tuple(int(v) for v in ek.count_one(packed, S, cells, start, max_steps, lo_lim, hi_lim,
                                              np.zeros(4096, np.uint8))) == want
    for impl in (ek, er):
        assert enc_base.count_resumed(impl, packed, S, cells, start, max_steps, lo_lim, hi_lim, chunk) == want


def test_groups_cover_the_batch_within_the_budget():
    cost = np.array([3, 3, 3, 10, 1, 1, 5], dtype=np.int64)
    assert enc_base.groups(cost, 6) == [(0, 2), (2, 3), (3, 4), (4, 6), (6, 7)]
    assert enc_base.groups(cost, 100) == [(0, 7)]
    assert enc_base.groups(np.zeros(0, dtype=np.int64), 6) == []


def test_a_long_counting_pass_answers_sigint_between_calls():
    """In-process: SIGINT 0.2 s into the counting pass of 64 runs of 10**10 steps each (never halting) raises
    KeyboardInterrupt within a second."""
    m = parse_standard(LOOP)
    enc = get_encoding("transitions")
    enc.measure(m, [""], max_steps=10)
    timer = __import__("threading").Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        enc.measure(m, [""] * 64, max_steps=10 ** 10)
    assert time.monotonic() - t0 < 2.0  # the bound for a signal to end a command


def test_one_long_run_in_the_counting_pass_answers_sigint():
    """In-process: SIGINT 0.2 s into the counting pass of one run of 10**13 steps (paused and resumed)."""
    m = parse_standard(LOOP)
    enc = get_encoding("tableau")
    timer = __import__("threading").Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        enc.measure(m, [""], max_steps=10 ** 13)
    assert time.monotonic() - t0 < 2.0  # the bound for a signal to end a command


# --------------------------------------------------------------------------------------- real signals
_DRIVER = """
import sys, time
argv = sys.argv[2:]
if sys.argv[1] == "tmsim":
    import tmsim.cli as cli, tmsim
    tmsim.run(tmsim.parse_standard("1RB1LA_1LA1RB"), max_steps=10)  # load the kernels before 'ready'
else:
    import learners.cli as cli
print("ready", file=sys.stderr, flush=True)
sys.argv = [sys.argv[1]] + argv
sys.exit(cli.main())  # as the console script calls it (no argv: the program's own exit path)
"""


def _start(tmp_path, prog, *argv):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="2")
    return subprocess.Popen([sys.executable, "-c", _DRIVER, prog, *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_ready(p, tmp_path, marker=None, timeout=60.0):
    assert p.stderr.readline().strip() == "ready"
    if isinstance(marker, float):  # no sign to wait for: a delay that reaches the long part
        time.sleep(marker)
        return
    deadline = time.monotonic() + timeout
    while marker is not None and not marker(tmp_path):
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "the command never reached its long part"
        time.sleep(0.02)
    time.sleep(0.3)


def _stop(p, sig):
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"no exit within 10 s of {sig!r}")
    return time.monotonic() - t0, p.returncode, out, err


def _temp_files(d):
    return sorted(n.name for n in Path(d).iterdir() if n.name.startswith("."))


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    from tmsim.datasets import make_dataset, save

    d = tmp_path_factory.mktemp("fit")
    return save(make_dataset("zoo:parity", "tableau-triples", n=1000, lengths=(1, 12), width=16, random_state=0),
                d / "train.npz")


_COMMANDS = {
    "run": (("tmsim", "run", LOOP, "--max-steps", str(10 ** 13)), None),
    "dataset": (("tmsim", "dataset", "zoo:binary-increment", "--encoding", "tableau", "--width", "40",
                 "--n", "100000000", "--lengths", "20-30", "--seed", "0", "--chunk-size", "2000",
                 "--no-progress", "--max-tokens", str(10 ** 12), "--out", "big.jsonl"),
                lambda d: any(n.endswith(".tmp") for n in _temp_files(d))),
    # The size estimate's counting pass: 4,096 runs that never halt, of 10**10 steps each (hours in one call).
    "dataset-count": (("tmsim", "dataset", LOOP, "--encoding", "transitions", "--n", "4096", "--lengths", "0-3",
                       "--seed", "0", "--max-steps", str(10 ** 10), "--on-timeout", "drop", "--no-progress",
                       "--max-tokens", str(10 ** 15), "--out", "big.jsonl"), 1.0),
    # The run that sizes a trace before a token is allocated (its length is known only at the end).
    "trace": (("tmsim", "trace", LOOP, "--encoding", "transitions", "--max-steps", str(10 ** 13), "--max-tokens",
               str(10 ** 14), "--on-timeout", "label"), 0.5),
    "fit": (("learners", "fit", "TRAIN", "--model", "perceptron", "--window", "1", "--max-iter", "1000000",
             "--out", "m.npz", "--quiet"), None),
}


# Every command of the list with SIGINT and SIGTERM; the others (and SIGHUP, handled the same way)
# once each, to keep the subprocesses few.
_CASES = [(c, s) for c in ("run", "dataset", "fit") for s in (signal.SIGINT, signal.SIGTERM)] + [
    ("dataset-count", signal.SIGTERM), ("trace", signal.SIGINT)] + (
    [("dataset", signal.SIGHUP)] if hasattr(signal, "SIGHUP") else [])


@pytest.mark.parametrize("command, sig", _CASES, ids=[f"{c}-{signal.Signals(s).name}" for c, s in _CASES])
def test_signal_ends_the_command_cleanly(tmp_path, command, sig, train_file):
    argv, marker = _COMMANDS[command]
    argv = [str(train_file) if a == "TRAIN" else a for a in argv]
    p = _start(tmp_path, *argv)
    _wait_ready(p, tmp_path, marker)
    assert p.poll() is None, p.communicate()
    elapsed, code, out, err = _stop(p, sig)
    prog = argv[0]
    assert elapsed < 2.0, (elapsed, err)
    assert code == 128 + sig, (code, err)
    # One line about the interruption (tmsim dataset announces its size estimate first, by design).
    assert [ln for ln in err.splitlines() if "samples, about" not in ln] == [f"{prog}: interrupted"], err
    assert _temp_files(tmp_path) == []
    assert not any(n.name in ("big.jsonl", "m.npz") for n in tmp_path.iterdir())


# --------------------------------------------------------------------------------------- leftovers of a kill
def test_a_later_write_removes_a_killed_writers_leftovers_only(tmp_path, capsys):
    """SIGKILL leaves .NAME.PID-*.tmp and .parts behind; the next write of NAME removes them, but keeps a live
    writer's (this process's, and PID 1's) and another name's."""
    from tmsim.cli import main

    code = ("import os; from tmsim.io import PendingFile; p = PendingFile('m.json'); p.scratch_directory(); "
            "p.open('wb').write(b'partial'); os.kill(os.getpid(), 9)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env)
    assert r.returncode == -9
    left = _temp_files(tmp_path)
    assert any(n.endswith(".tmp") for n in left) and any(n.endswith(".parts") for n in left), left
    live = [f".m.json.{os.getpid()}-aaaa1111.tmp", ".m.json.1-bbbb2222.tmp", ".other.json.999999-c.tmp"]
    for n in live:
        (tmp_path / n).write_bytes(b"a live writer's")
    assert main(["convert", "zoo:bb2", "--to", "json", "--out", str(tmp_path / "m.json")]) == 0
    assert _temp_files(tmp_path) == sorted(live)
    assert (tmp_path / "m.json").read_text().startswith("{")


# --------------------------------------------------------------------------------------- learners in chunks
@pytest.fixture(scope="module")
def small_data():
    from tmsim.datasets import make_dataset

    return make_dataset("zoo:parity", "tableau-triples", n=60, lengths=(1, 5), width=9, random_state=0)


@functools.lru_cache(maxsize=1)
def _small_transitions():
    from tmsim.datasets import make_dataset

    return make_dataset("zoo:parity", "transitions", n=40, lengths=(1, 5), random_state=0)  # a small vocabulary


@settings(max_examples=10)
@given(chunk=st.integers(30, 600), period=st.sampled_from([1, 3]))
def test_least_squares_in_chunks_equals_one_call(chunk, period):
    from learners import LeastSquaresAR
    from learners.linear import least_squares
    from tmsim.encodings import PositionLayout

    data = _small_transitions()
    layout = None if period == 1 else PositionLayout(period=period, classes=tuple(range(period)))
    whole = LeastSquaresAR(window=4, layout=layout).fit(data)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(least_squares, "GRAM_CHUNK_TOKENS", chunk)
        pieces = LeastSquaresAR(window=4, layout=layout).fit(data)
    assert np.array_equal(whole.coef_, pieces.coef_) and whole.n_windows_ == pieces.n_windows_


@settings(max_examples=15)
@given(chunk=st.integers(1, 3000), averaged=st.booleans())
def test_perceptron_epoch_in_chunks_equals_one_call(small_data, chunk, averaged):
    from learners import PerceptronAR
    from learners.linear import perceptron

    whole = PerceptronAR(window=4, max_iter=3, averaged=averaged, random_state=0).fit(small_data)
    ref = PerceptronAR(window=4, max_iter=3, averaged=averaged, random_state=0)
    orig = perceptron._epoch_in_chunks

    def in_pieces(impl, seqs, order, kargs, st_, margin, gaps, chunk_=None):
        return orig(impl, seqs, order, kargs, st_, margin, gaps, chunk)

    perceptron._epoch_in_chunks = in_pieces
    try:
        ref.fit(small_data)
    finally:
        perceptron._epoch_in_chunks = orig
    assert whole.mistakes_ == ref.mistakes_ and np.array_equal(whole.coef_, ref.coef_)
