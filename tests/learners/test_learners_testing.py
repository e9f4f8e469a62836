"""learners.testing: the emulation check passes an exact model, fails a broken one, and shrinks."""

import pytest

from learners import PerceptronAR
from learners.testing import EmulationFailure, check_emulates, rollout_divergence
from tmsim import zoo
from tmsim.encodings import get_encoding

WIDTH = 12


@pytest.fixture(scope="module")
def parity_model():
    entry = zoo.get("parity")
    enc = get_encoding("tableau-triples", width=WIDTH, left=1)
    train = enc.encode_batch(entry.machine, list(entry.inputs(6)), max_steps=entry.max_steps)
    offsets = enc.offsets(entry.machine, width=WIDTH)
    declared = tuple(sorted({o for group in offsets.values() for o in group}))
    model = PerceptronAR(offsets=declared, random_state=0).fit(train)
    assert model.converged_
    return entry, enc, model


def test_an_exact_model_passes(parity_model):
    entry, enc, model = parity_model
    check_emulates(model, entry.machine, enc, max_size=6, max_examples=40)


def test_a_broken_model_fails_with_the_first_divergence_and_a_shrunk_input(parity_model):
    entry, enc, model = parity_model
    broken = PerceptronAR(offsets=model.offsets).fit(enc.encode_batch(entry.machine, ["1"]))
    with pytest.raises(EmulationFailure) as info:
        check_emulates(broken, entry.machine, enc, max_size=6, max_examples=40)
    d = info.value.divergence
    # The divergence is real: the trace has d.expected at d.position and the model says d.got.
    trace = enc.encode(entry.machine, d.input)
    vocab = enc.vocabulary(entry.machine)
    assert vocab.name(int(trace.tokens[d.position])) == d.expected
    assert d.got != d.expected
    assert rollout_divergence(broken, entry.machine, enc, d.input) == d
    # Shrinking: no shorter input fails (the model trained on "1" alone fails already on short inputs).
    assert len(d.input) <= 1
    assert str(d.position) in str(info.value) and repr(d.expected) in str(info.value)


def test_protocol_only_models_are_rolled_out_token_by_token(parity_model):
    entry, enc, model = parity_model

    class OnlyPredictNext:
        def predict_next(self, context):
            return model.predict_next(context)

    assert rollout_divergence(OnlyPredictNext(), entry.machine, enc, "0110") is None
