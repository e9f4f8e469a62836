"""Every parallel kernel is free of numba's allocation hoisting (a hoisted buffer is shared by the loop's
iterations and keeps its first size: it made the encoders write past their buffers)."""

import contextlib
import io

import numpy as np
import pytest
from numba import njit

import learners._kernels as learner_kernels
import tmsim._kernels as sim_kernels
import tmsim.encodings._kernels as enc_kernels
from learners import LeastSquaresAR, PerceptronAR
from tmsim import parse_standard, run_batch
from tmsim.encodings import get_encoding

BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"


def _exercise_simulator():
    run_batch(parse_standard(BB4), ["", "1", "11"], max_steps=200)


def _exercise_encodings():
    m = parse_standard(BB4)
    for spec in ("transitions", "tableau", "tableau-triples", "gates"):
        get_encoding(spec).encode_batch(m, ["", "1"], max_steps=200)


def _exercise_learners():
    seqs = [np.array([1, 2, 3, 1, 2, 3, 1], dtype=np.int32)] * 3
    kinds = (np.concatenate([np.r_[0, 1, 0, 1, 1, 1, 1]] * 3).astype(np.uint8))
    tokens = np.concatenate(seqs)
    offsets = np.array([0, 7, 14, 21])
    LeastSquaresAR(window=2).fit((tokens, offsets, kinds))  # not a suffix mask: the chunked kernel
    LeastSquaresAR(window=2).fit(seqs)                       # suffix masks: the shift kernel
    PerceptronAR(window=2, random_state=0).fit(seqs).generate([[1]], max_new_tokens=3)
    LeastSquaresAR(window=2, solver="cg").fit(seqs)          # matrix-free conjugate gradients


CASES = [
    (sim_kernels, "run_batch", _exercise_simulator),
    (enc_kernels, "count_runs", _exercise_encodings),
    (enc_kernels, "emit_transitions", _exercise_encodings),
    (enc_kernels, "emit_tableau", _exercise_encodings),
    (enc_kernels, "emit_triples", _exercise_encodings),
    (enc_kernels, "emit_gates", _exercise_encodings),
    (learner_kernels, "gram_accumulate", _exercise_learners),
    (learner_kernels, "gram_shift", _exercise_learners),
    (learner_kernels, "predict_windows", _exercise_learners),
    (learner_kernels, "rollout", _exercise_learners),
    (learner_kernels, "gram_matvec", _exercise_learners),
]


@pytest.mark.parametrize("module, name, exercise", CASES, ids=[c[1] for c in CASES])
def test_no_allocation_is_hoisted_out_of_a_parallel_loop(monkeypatch, module, name, exercise):
    fresh = njit(parallel=True)(getattr(module, name).py_func)  # uncached, so diagnostics exist
    monkeypatch.setattr(module, name, fresh)
    exercise()
    assert fresh.signatures, f"{name} was not exercised"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fresh.parallel_diagnostics(level=4)
    text = out.getvalue()
    assert "is hoisted out of the parallel loop" not in text, text[text.find("Allocation hoisting"):][:800]


@pytest.mark.parametrize("spec", ["transitions", "tableau", "snapshots(every=3)", "tableau-triples"])
@pytest.mark.parametrize("machine, steps", [("1RA1RA", 150), ("1RB0RA_1LA1RB", 600)])
def test_long_runs_that_outgrow_the_first_buffers_encode_like_the_reference(spec, machine, steps):
    """Regression: runs longer than the kernels' first scratch buffers (they used to crash or write past
    their output buffers when those buffers were hoisted)."""
    m = parse_standard(machine)
    enc = get_encoding(spec)
    inputs = ["1", "", "11"] * 200  # several chunks, so both threads work
    fast = enc.encode_batch(m, inputs, max_steps=steps)
    slow = enc.encode_batch(m, inputs[:3], max_steps=steps, backend="python")
    for j in range(3):
        np.testing.assert_array_equal(fast[j].tokens, slow[j].tokens)
    np.testing.assert_array_equal(fast.tokens[fast.offsets[3]:fast.offsets[6]], fast.tokens[:fast.offsets[3]])
