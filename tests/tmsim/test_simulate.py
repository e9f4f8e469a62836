"""Simulation: numba kernel == plain-Python reference == automata-lib, symmetries, resumption, batches,
known answers and bad input."""

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

import tmsim
from tmsim import Configuration, ParameterError, Status, parse_standard, run, run_batch
from tmsim import _kernels, _reference
from tmsim.testing import (configurations_of, halting_machines, machine_and_input, machines, mirror,
                           mirror_configuration)

BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"


@given(machine_and_input(max_input=6), st.integers(0, 80), st.integers(1, 12))
def test_kernel_equals_reference(mi, max_steps, extra_tape):
    m, x = mi
    max_tape = max(len(x), 1) + extra_tape - 1
    fast = run(m, x, max_steps=max_steps, max_tape=max_tape)
    slow = run(m, x, max_steps=max_steps, max_tape=max_tape, backend="python")
    assert fast == slow
    assert fast.steps <= max_steps


@given(machine_and_input(max_input=6), st.integers(0, 60))
def test_kernel_equals_automata_lib(mi, max_steps):
    automata_lib = pytest.importorskip("tmsim.formats.automata_lib")
    m, x = mi
    if m.start in m.halting:
        return
    ours = run(m, x, max_steps=max_steps)
    theirs = automata_lib.run_automata(automata_lib.to_automata(m), x, max_steps=max_steps)
    assert ours.status.value == theirs.status
    assert ours.steps == theirs.steps
    assert ours.state == theirs.state
    assert ours.head == theirs.head
    assert ours.tape == tuple(theirs.tape)
    if ours.tape:
        assert ours.tape_start == theirs.tape_start


@given(machine_and_input(max_input=6), st.integers(0, 60))
def test_mirror_symmetry(mi, max_steps):
    """Swapping L and R mirrors the whole run about position 0."""
    m, x = mi
    start = Configuration(m.start, tuple(x) if not isinstance(x, str) else tuple(x), 0, 0)
    a = run(m, start=start, max_steps=max_steps)
    b = run(mirror(m), start=mirror_configuration(start), max_steps=max_steps)
    assert (a.status, a.steps, a.state, a.nonblank) == (b.status, b.steps, b.state, b.nonblank)
    assert b.head == -a.head
    assert b.tape == tuple(reversed(a.tape))
    if a.tape:
        assert b.tape_start == -(a.tape_start + len(a.tape) - 1)


@given(machine_and_input(max_input=6), st.integers(0, 40), st.integers(0, 40))
def test_resuming_equals_one_long_run(mi, a_steps, b_steps):
    m, x = mi
    first = run(m, x, max_steps=a_steps)
    resumed = run(m, start=first.configuration, max_steps=b_steps)
    whole = run(m, x, max_steps=a_steps + b_steps)
    if first.status is Status.STEP_LIMIT:
        assert resumed.steps + first.steps == whole.steps
        assert resumed.configuration == whole.configuration
        assert resumed.status == whole.status
    else:  # it stopped on its own: resuming changes nothing
        assert resumed.steps == 0 and resumed.configuration == first.configuration


@given(st.data())
def test_arbitrary_start_configuration(data):
    m = data.draw(machines())
    c = data.draw(configurations_of(m))
    fast = run(m, start=c, max_steps=50)
    assert fast == run(m, start=c, max_steps=50, backend="python")


@given(st.lists(machine_and_input(max_input=5), min_size=1, max_size=12), st.integers(0, 60))
def test_batch_equals_single_runs(jobs, max_steps):
    machines_, inputs = zip(*jobs)
    batch = run_batch(list(machines_), list(inputs), max_steps=max_steps, max_tape=64)
    ref = run_batch(list(machines_), list(inputs), max_steps=max_steps, max_tape=64, backend="python")
    assert len(batch) == len(jobs)
    for j, (m, x) in enumerate(jobs):
        single = run(m, x, max_steps=max_steps, max_tape=64)
        assert batch[j] == single == ref[j]


@given(halting_machines(max_steps=100))
@example(parse_standard("1RZ1RZ"))
def test_halting_machines_halt_and_configurations_agree(m):
    r = run(m)
    assert r.status is Status.HALTED
    history = list(tmsim.configurations(m, max_steps=r.steps + 5))
    assert len(history) == r.steps + 1
    last = history[-1]
    assert last.state == r.state and last.head == r.head
    assert tuple(s for s in last.tape).count(m.blank) == len(last.tape) - r.nonblank


def test_bb4_known_answer():
    r = run(parse_standard(BB4))
    assert (r.status, r.steps, r.nonblank) == (Status.HALTED, 107, 13)
    assert r == run(parse_standard(BB4), backend="python")


def test_bb5_known_answer_to_completion():
    r = run(parse_standard(BB5))
    assert (r.status, r.steps, r.nonblank) == (Status.HALTED, 47_176_870, 4_098)


def test_step_and_tape_limits_and_undefined():
    right_forever = parse_standard("1RA1RA")
    r = run(right_forever, max_steps=1000)
    assert (r.status, r.steps, r.nonblank) == (Status.STEP_LIMIT, 1000, 1000)
    r = run(right_forever, max_steps=1000, max_tape=10)
    # The 10th step would visit an 11th cell: it is not executed.
    assert (r.status, r.steps, r.head, r.nonblank) == (Status.TAPE_LIMIT, 9, 9, 9)
    r = run(parse_standard("1RB---_------"), max_steps=1000)
    assert (r.status, r.steps, r.state) == (Status.UNDEFINED, 1, "B")
    r = run(parse_standard("1RZ1RZ"), max_steps=0)
    assert (r.status, r.steps) == (Status.STEP_LIMIT, 0)
    r = run(parse_standard("1RB---_------"), max_steps=1)
    assert r.status is Status.UNDEFINED  # undefined takes precedence over an exhausted budget


def test_kernel_grows_tape_in_both_directions():
    for machine in ("1LA1LA", "1RA1RA"):
        r = run(parse_standard(machine), max_steps=100_000)
        assert r.nonblank == 100_000 and abs(r.head) == 100_000


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(max_steps=-1), "'max_steps' parameter of tmsim.run must be an integer in [0, inf]. Got -1"),
    (dict(max_steps=1.5), "'max_steps'"),
    (dict(max_steps=True), "'max_steps'"),
    (dict(max_tape=0), "'max_tape'"),
    (dict(backend="gpu"), "'backend' parameter of tmsim.run must be one of"),
])
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(ParameterError) as info:
        run(parse_standard(BB4), **kwargs)
    assert fragment in str(info.value)


def test_bad_inputs():
    m = parse_standard(BB4)
    with pytest.raises(tmsim.InputError, match="position 1"):
        run(m, "1x")
    with pytest.raises(ParameterError, match="initial tape span"):
        run(m, "1111", max_tape=3)
    with pytest.raises(ParameterError, match="either 'input' or 'start'"):
        run(m, "1", start=Configuration("A", (), 0, 0))
    with pytest.raises(tmsim.InputError, match="state 'Q'"):
        run(m, start=Configuration("Q", (), 0, 0))
    with pytest.raises(ParameterError, match="machines for 1 inputs"):
        run_batch([m, m], ["1"])
    with pytest.raises(ParameterError, match="single string"):
        run_batch(m, "111")


@given(machines(n_states=(1, 6), n_symbols=(2, 5)))
def test_fast_table_kernel_equals_reference(m):
    packed = m.arrays.packed
    fast, slow = np.full(len(packed) + 2, 7, dtype=np.int64), np.full(len(packed) + 2, 7, dtype=np.int64)
    _kernels.fast_table(packed, fast)
    _reference.fast_table(packed, slow)
    assert fast.tolist() == slow.tolist()
    assert fast[-2:].tolist() == [7, 7]  # only len(packed) entries are written
    # The layout decodes back to the machine's rules.
    for i, e in enumerate(fast[:len(packed)].tolist()):
        q, s = divmod(i, m.n_symbols)
        if e >= 0:
            assert (e & 0xFFFFFFFF) // m.n_symbols == m.arrays.next_state[q, s]
            assert (e >> 32) & 0xFF == m.arrays.write[q, s]
            assert (e >> 40) - 1 == m.arrays.move[q, s]


@given(st.lists(st.integers(0, 3), max_size=40))
def test_nonblank_span_kernel_equals_reference(cells):
    buf = np.array(cells, dtype=np.uint8)
    assert tuple(_kernels.nonblank_span(buf)) == tuple(_reference.nonblank_span(buf))


@given(st.permutations(list(range(16))), st.integers(0, 100))
def test_pointer_chase_kernel_equals_reference(perm, n):
    p = np.array(perm, dtype=np.int64)
    assert _kernels.pointer_chase(p, n) == _reference.pointer_chase(p, n)
