"""Feature discovery (learners.discovery): the counting kernel == its twin, the search on hand-made rules,
discovery from tokens + layout alone, and the evidence — a margin perceptron on the discovered offsets of
zoo machines, trained on short traces, rolls out longer unseen inputs exactly, in a row layout whose width
was fixed from a declared longest input before any test input was drawn; with negative controls."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from learners import PerceptronAR
from learners.evaluate import evaluate  # (`from learners import evaluate` can return the submodule of that name)
from learners.discovery import (DiscoveryReport, discover_layout, extend_contexts, extend_contexts_reference,
                                learner_features, offset_conflicts)
from learners.errors import LearnerError
from tmsim.datasets import make_dataset
from tmsim.encodings import PositionLayout


# ---------------------------------------------------------------------- kernel == twin
@st.composite
def passes(draw):
    V = draw(st.integers(1, 5))
    lens = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4))
    tokens = np.array(draw(st.lists(st.integers(0, V - 1), min_size=sum(lens), max_size=sum(lens))), np.int32)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    starts = np.repeat(offsets[:-1], lens)
    pos = np.arange(len(tokens), dtype=np.int64)
    keep = np.array(draw(st.lists(st.booleans(), min_size=len(pos), max_size=len(pos))), bool)
    n_ids = draw(st.integers(1, 4))
    ids = np.array(draw(st.lists(st.integers(0, n_ids - 1), min_size=int(keep.sum()), max_size=int(keep.sum()))),
                   np.int64)
    offset = draw(st.integers(0, 14))
    cap = 1 << draw(st.integers(1, 6))  # small tables exercise the overflow status
    bound = draw(st.integers(-1, 3))  # and a bound the early stop
    return tokens, pos[keep], starts[keep], offset, V, ids, cap, bound


@given(passes())
def test_extend_contexts_kernel_equals_reference(case):
    tokens, pos, starts, offset, V, ids, cap, bound = case
    outs = []
    for fn in (extend_contexts, extend_contexts_reference):
        out = np.full(len(pos), -7, np.int64)
        tables = [np.empty(cap, np.int64) for _ in range(4)]
        res = fn(tokens, pos, starts, offset, V, ids, out, bound, *tables, np.empty(max(len(pos), 1), np.int64))
        outs.append((tuple(int(r) for r in res), out))
    assert outs[0][0] == outs[1][0]
    # the definition: conflicts = positions not predicted by their context's majority next token
    ctx = {}
    for i, p in enumerate(pos):
        c = (int(ids[i]), 0 if offset <= 0 else (int(tokens[p - offset]) if p - offset >= starts[i] else V))
        ctx.setdefault(c, []).append(int(tokens[p]))
    truth = (len(ctx), sum(len(v) - max(v.count(t) for t in v) for v in ctx.values()))
    status, conf = outs[0][0]
    if status >= 0:
        np.testing.assert_array_equal(outs[0][1], outs[1][1])
        assert (status, conf) == truth and (bound < 0 or conf <= bound)
    elif status == -2:  # stopped early: a lower bound above the bound
        assert bound < conf <= truth[1]
    else:  # overflow: more contexts or (context, token) pairs than half the table
        assert status == -1 and cap // 2 < max(len(ctx), sum(len(set(v)) for v in ctx.values()))


# ---------------------------------------------------------------------- the search on known rules
def _rule_data(rule, n=40, length=30, V=4, seed=0):
    """Sequences whose first 8 tokens are random (the prompt) and every later token is rule(seq, t)."""
    rng = np.random.default_rng(seed)
    seqs, kinds = [], []
    for _ in range(n):
        s = list(rng.integers(0, V, 8))
        for t in range(8, length):
            s.append(rule(s, t) % V)
        seqs.append(np.array(s, np.int32))
        kinds.append(np.r_[np.zeros(8, np.uint8), np.ones(length - 8, np.uint8)])
    offsets = np.arange(n + 1, dtype=np.int64) * length
    return np.concatenate(seqs), offsets, np.concatenate(kinds)


def test_discovers_the_offsets_of_a_known_rule_and_nothing_else():
    data = _rule_data(lambda s, t: s[t - 3] + s[t - 7])  # every offset but 3 and 7 is noise to the rule
    rep = discover_layout(data, PositionLayout.shift_invariant(), window=8, random_state=0)
    assert rep.offsets == ((3, 7),) and rep.decides
    assert rep.classes[0].contexts <= 16 and rep.classes[0].candidates_tried > 8
    # the window too small to hold offset 7: the rule cannot be decided (a negative control)
    small = discover_layout(data, PositionLayout.shift_invariant(), window=6, random_state=0)
    assert not small.decides and small.conflicts > 0


def test_each_class_gets_its_own_offsets():
    lay = PositionLayout(period=2, classes=(0, 1), names=("even", "odd"))
    data = _rule_data(lambda s, t: s[t - 2] if t % 2 == 0 else s[t - 1] + s[t - 5], length=40)
    rep = discover_layout(data, lay, random_state=0)  # window = period + 1 = 3 is too small for offset 5
    assert rep.offsets[0] == (2,) and rep.classes[0].decides and not rep.classes[1].decides
    rep = discover_layout(data, lay, window=6, random_state=0)
    assert rep.offsets == ((2,), (1, 5)) and rep.decides
    assert rep.layout == lay.with_offsets(((2,), (1, 5)))


def test_backends_agree_and_seeds_are_reproducible():
    data = make_dataset("zoo:parity", "tableau-triples", n=30, lengths=(1, 5), width=9, random_state=0)
    a = discover_layout(data, data.layout, random_state=3)
    assert a == discover_layout(data, data.layout, random_state=3)
    assert a == discover_layout(data, data.layout, random_state=3, backend="python")
    # explicit held-out traces instead of a fraction carved from the data
    held = make_dataset("zoo:parity", "tableau-triples", n=10, lengths=(1, 5), width=9, random_state=1)
    b = discover_layout(data, data.layout, validation=held, random_state=3)
    assert (b.n_search, b.n_valid) == (30, 10) and b.decides
    none = discover_layout(data, data.layout, validation=None)
    assert (none.n_valid, none.tie_break) == (0, "simplest") and all(np.isnan(c.coverage) for c in none.classes)


# ---------------------------------------------------------------------- from tokens + layout alone
def test_discovery_sees_only_tokens_and_layout():
    data = make_dataset("zoo:binary-increment", "tableau-triples", n=60, lengths=(1, 6), width=12,
                        random_state=0)
    ref = discover_layout(data, data.layout, random_state=0)
    # a bare (tokens, offsets, kinds) tuple and a layout rebuilt from period + classes: no vocabulary, no
    # machine, no encoding, no declared offsets
    structure = PositionLayout(data.layout.period, data.layout.classes, data.layout.names)
    bare = (np.array(data.tokens), np.array(data.offsets), np.array(data.kinds))
    assert discover_layout(bare, structure, random_state=0) == ref
    # token ids relabelled at random: the offsets cannot depend on what a token means
    perm = np.random.default_rng(1).permutation(len(data.vocabulary)).astype(np.int32)
    relabelled = (perm[data.tokens], np.array(data.offsets), np.array(data.kinds))
    assert discover_layout(relabelled, structure, random_state=0).offsets == ref.offsets
    # declared offsets in the layout are ignored (wrong ones change nothing)
    wrong = structure.with_offsets([(1,)] * structure.n_classes)
    assert discover_layout(bare, wrong, random_state=0) == ref


# ---------------------------------------------------------------------- evidence on zoo machines
def declared_width(machine, lengths, n, max_length, random_state, slack=2):
    """A row width for inputs up to ``max_length``, from the training inputs alone: each training run's own
    width (span + margins), extrapolated linearly from its largest length with the steepest growth the
    training lengths show, plus ``slack`` spare cells each side."""
    free = make_dataset(machine, "tableau-triples", n=n, lengths=lengths, random_state=random_state, unique=True)
    lens, w = np.array([len(s) for s in free.inputs]), np.asarray(free.width)
    ns = np.unique(lens)
    top = np.array([w[lens == k].max() for k in ns])
    slope = max([int(np.ceil((top[i] - top[0]) / (ns[i] - ns[0]))) for i in range(1, len(ns))] + [1])
    return int(top[-1] + slope * (max_length - ns[-1]) + 2 * slack), free.inputs


def margin_perceptron(seed):
    return PerceptronAR(averaged=True, margin=10.0, compact=True, shrinking=True, max_iter=1000, random_state=seed)


ZOO_CASES = {  # machine: (training traces, training lengths, longer test lengths, test traces)
    "binary-increment": (100, (1, 8), (9, 16), 50),
    "parity": (100, (1, 8), (9, 16), 50),
    "palindrome": (150, (1, 8), (9, 14), 40),
    "copy": (60, (1, 5), (6, 8), 20),
}


@pytest.fixture(scope="module", params=sorted(ZOO_CASES))
def zoo_case(request):
    name = request.param
    n, train_lengths, test_lengths, n_test = ZOO_CASES[name]
    W, inputs = declared_width(f"zoo:{name}", train_lengths, n, test_lengths[1], random_state=0)
    train = make_dataset(f"zoo:{name}", "tableau-triples", n=n, lengths=train_lengths, random_state=0,
                         unique=True, width=W)
    assert train.inputs == inputs  # the width came from these very training inputs
    # only now is any test input drawn
    test = make_dataset(f"zoo:{name}", "tableau-triples", n=n_test, lengths=test_lengths, random_state=1,
                        unique=True, width=W, exclude=train)
    return name, train, test, discover_layout(train, train.layout, random_state=0)


def test_discovered_offsets_emulate_longer_inputs_exactly(zoo_case):
    name, train, test, rep = zoo_case
    assert isinstance(rep, DiscoveryReport) and rep.decides
    assert all(c.coverage > 0.9 for c in rep.classes)
    assert min(map(len, test.inputs)) > max(map(len, train.inputs))
    model = margin_perceptron(0).set_params(**learner_features(rep)).fit(train)
    assert model.converged_
    ev = evaluate(model, test)
    assert ev.exact_match == 1.0, (name, rep.offsets, ev.exact_match)


def test_discovered_offsets_decide_longer_traces_and_compare_with_declared(zoo_case):
    name, train, test, rep = zoo_case
    declared = train.layout  # the encoding's declared offsets: information, never an input of discovery
    found = offset_conflicts(test, rep.layout)
    assert [c for c, _, _ in found] == [0] * rep.layout.n_classes  # the longer traces are decided too
    assert [c for c, _, _ in offset_conflicts(test, declared)] == [0] * declared.n_classes
    for mine, theirs in zip(rep.offsets, declared.offsets):
        assert len(mine) <= len(theirs)  # never more offsets than the declared rule reads
    # the shared core: the cell reads the token before it and the cell above (offset L); the header the
    # intermediate before it (the halted flag)
    L = declared.period
    assert rep.offsets[declared.names.index("cell")] == (1, L)
    assert rep.offsets[declared.names.index("header")] == (2,)


def test_negative_controls_window_too_small_and_shuffled_targets():
    name = "binary-increment"
    W, _ = declared_width(f"zoo:{name}", (1, 6), 60, 12, random_state=0)
    train = make_dataset(f"zoo:{name}", "tableau-triples", n=60, lengths=(1, 6), random_state=0, unique=True,
                         width=W)
    test = make_dataset(f"zoo:{name}", "tableau-triples", n=30, lengths=(7, 12), random_state=1, unique=True,
                        width=W, exclude=train)
    L = train.layout.period
    # a window short of a row cannot see the cell above: the cells are undecided and the rollouts wrong
    small = discover_layout(train, train.layout, window=L - 6, random_state=0)
    assert not small.decides and small.classes[train.layout.names.index("cell")].conflicts > 0
    model = margin_perceptron(0).set_params(**learner_features(small)).fit(train)
    assert evaluate(model, test).exact_match < 0.5
    # the next tokens shuffled among the training positions: no small set decides them
    rng = np.random.default_rng(0)
    tokens = np.array(train.tokens)
    target = np.flatnonzero(np.asarray(train.kinds) != 0)
    tokens[target] = tokens[rng.permutation(target)]
    shuffled = discover_layout((tokens, np.array(train.offsets), np.array(train.kinds)), train.layout,
                               random_state=0)
    assert not shuffled.decides
    for c in shuffled.classes:  # what it finds only memorises: contexts all but unique, none seen again
        assert c.contexts > 0.5 * c.positions and c.coverage < 0.2 and len(c.offsets) >= 5, c


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, match", [
    ({"window": 0}, "'window'"), ({"window": 2.5}, "'window'"), ({"max_offsets": 0}, "'max_offsets'"),
    ({"tie_break": "best"}, "'tie_break'"), ({"validation": 1.5}, "'validation'"),
    ({"backend": "gpu"}, "'backend'"), ({"max_alternatives": -1}, "'max_alternatives'"),
])
def test_bad_parameters_are_one_line_errors(kwargs, match):
    data = _rule_data(lambda s, t: s[t - 1], n=5)
    with pytest.raises(LearnerError, match=match):
        discover_layout(data, PositionLayout.shift_invariant(), **kwargs)


def test_bad_layouts_and_data():
    data = _rule_data(lambda s, t: s[t - 1], n=5)
    with pytest.raises(LearnerError, match="'layout'.*PositionLayout"):
        discover_layout(data, {"period": 1})
    with pytest.raises(LearnerError, match="time-dependent"):
        discover_layout(data, PositionLayout.time_dependent())
    tokens, offsets, kinds = data
    with pytest.raises(LearnerError, match="no target positions"):
        discover_layout((tokens, offsets, np.zeros_like(kinds)), PositionLayout.shift_invariant())
    with pytest.raises(LearnerError, match="learner_features"):
        learner_features(PositionLayout.shift_invariant())
    with pytest.raises(LearnerError, match="one offset set per class"):
        offset_conflicts(data, PositionLayout.shift_invariant())
