"""Machine -> linear weights: compile a Turing machine's transition table into an explicit linear next-token
predictor (no training) whose greedy rollout reproduces the machine's ``tableau-triples`` or ``gates`` trace
token for token — the executable form of DESIGN.md section 2 (Malach, Thm 3.8 and its corollary).

The model is a :class:`learners.LinearAR`: the score of token ``v`` at position ``t`` is
``intercept[c, v] + sum_i coef[c, i * V + token(t - offsets[i]), v]`` with ``c`` the position class, and the
prediction is the argmax. Every weight here is an integer, so scores are exact and a margin of 1 is a real
margin (no float ties).

**Tiers.** The encodings' local rules (``tmsim.encodings.triples`` / ``gates``) say: given the position class,
the token is a function of the tokens at a few fixed offsets. The construction is a stack of *tiers*; the
weights of one tier are a multiplier ``M`` times 0/1/2 indicators, and ``M`` is computed (not guessed) as
``spread + 1``, where ``spread`` bounds how far the lower tiers can move any two scores apart (the sum over
offsets of the largest and smallest weight of each output). So a token favoured by a higher tier beats
every token it favours less by at least 1, whatever the lower tiers say, and inside one tier's group the
lower tiers decide. Concretely:

``tableau-triples`` (period 1: one weight block, shared by every position; offsets
``1, 2, 4, 6, L-3, L-1, L, L+1`` with ``L = 2W + 2``, so the model is per row width W):

======  ====================================  ===============================================================
tier    what it selects                       weights
======  ====================================  ===============================================================
class   the position class, read from the     intermediate outputs get ``B`` (bias: the default class);
(B)     token family at offset L (the same    header outputs ``2B`` when t(L) is RUN/END, filler ``2B`` when
        slot one row up)                      t(L) = X, cell outputs ``2B`` when t(L) is a cell token
row     inside the intermediate class: RUN    RUN-row outputs (COPY, COPY*, triples) get ``E`` (bias);
(E)     row or END row, from t(2)             carriers (``-``, ``=q``) ``2E`` when t(2) is END, ``-`` or ``=q``
rule    the local rule's cases                triple ``(a,b,c)``: +16 per matching cell at offsets L+1, L-1,
(1-48)                                        L-3 (exact 48, any other <= 32); COPY 41, COPY* 40 + 2 per
                                              halted-flag indicator (t(2) = COPY*, or a stopping triple at
                                              t(2), t(4), t(6)): a linear OR, <= 46 < 48; END-row carrier
                                              ``=q``: 4 [head in q at L-1] + 2 [t(2) = =q] vs ``-`` 1;
                                              cell: +2 for a triple's new centre cell at offset 1, +1 for
                                              the plain symbol of t(L) (COPY/COPY*/carrier); header: RUN 1
                                              vs END 2 [t(2) = COPY*]; answer ``q:<state>``: 2 [t(2) = =q]
======  ====================================  ===============================================================

``gates`` (one weight block per gate slot g = position mod G, which is the row's position class mod G
because ``L = (W + 1) G``: the W + 1 blocks of a row run the same circuit; ``period="row"`` tiles them
into the L blocks of the encoding's position classes):

======  ====================================  ===============================================================
tier    what it selects                       weights
======  ====================================  ===============================================================
header  header block vs cell block            ``B`` on the header token: slot 0: RUN/END from t(L) = RUN,
(B)     (binary tokens cannot tell their      ``<eos>``/``q:`` from t(L) = END; slot g: ``0`` from
        slot; the header token at offset g    t(g) = RUN, ``.`` from t(g) = END, ``<eos>`` from t(g) = ``q:``
        or L can)
row     inside a cell block: RUN row or END   ``0``/``1`` get ``E`` (bias); the END row's tokens of the slot
(E)     row, from t(G) (the same slot of the  (``#``/``s:x``, carriers, ``.``) get ``2E`` when t(G) is an
        left block)                           END-row token
rule    the gate, over its two input offsets  AND: score(1) = 2[z_p=1] + 2[z_q=1] - 3, OR: ... - 1, NOT:
(1-4)                                         -2[z_p=1] + 1, vs score(0) = 0 (the paper's thresholds, doubled
                                              to integers: margin 1); END row: ``#`` 2 [bd above] vs ``s:x``
                                              1 [sym x above]; ``=q`` 4 [hd q above] + 2 [t(G) = =q] vs ``-``
                                              1; header: RUN 1 vs END 2 [F = 1 at offset G - slot(F)]
======  ====================================  ===============================================================

The position class of a LinearAR with ``period=p`` is ``(t - sequence start) mod p``; it is the encoding's
class because the prompt is exactly one row (row 0, L tokens) starting at the sequence start. A sequence
that does not start at a row boundary would shift every class.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from tmsim.encodings import get_encoding
from tmsim.machine import Machine

from ..errors import LearnerError
from .model import _ENCODINGS, CompiledModel

__all__ = ["compile_linear"]

# Rule-tier constants of tableau-triples (see the module docstring).
_MATCH = 16       # per matching cell of a triple: exact 48, any other triple <= 32
_COPY = 41        # COPY: between 32 and 48
_COPYF = 40       # COPY* before its flag indicators (+2 each, at most 3: <= 46 < 48)
_FLAG = 2


# ------------------------------------------------------------------------------------------------ weights
class _Weights:
    """Integer weights accumulated as (block, offset, token, output) += value, kept sparse."""

    def __init__(self, n_blocks: int, offsets: Sequence[int], V: int):
        self.C, self.offsets, self.V = n_blocks, tuple(offsets), V
        self.k = len(self.offsets)
        self.index = {o: i for i, o in enumerate(self.offsets)}
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.bias = np.zeros((n_blocks, V), dtype=np.int64)

    def add(self, block: int, offset: int, tokens, outputs, value: int) -> None:
        """``coef[block, offset, u, v] += value`` for every u in ``tokens`` and v in ``outputs``."""
        if offset not in self.index:  # the construction may only read offsets the encoding declares
            raise AssertionError(f"offset {offset} is not among the model's offsets {self.offsets}")
        u = np.atleast_1d(np.asarray(tokens, dtype=np.int64))
        v = np.atleast_1d(np.asarray(outputs, dtype=np.int64))
        if not u.size or not v.size or value == 0:
            return
        uu, vv = np.meshgrid(u, v, indexing="ij")
        self.rows.append(((block * self.k + self.index[offset]) * self.V + uu).ravel())
        self.cols.append(vv.ravel())
        self.vals.append(np.full(uu.size, int(value), dtype=np.int64))

    def add_bias(self, block: int, outputs, value: int) -> None:
        self.bias[block, np.atleast_1d(np.asarray(outputs, dtype=np.int64))] += int(value)

    def csr(self) -> sp.csr_matrix:
        shape = (self.C * self.k * self.V, self.V)
        if not self.rows:
            return sp.csr_matrix(shape, dtype=np.int64)
        m = sp.coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                          shape=shape, dtype=np.int64).tocsr()
        m.sum_duplicates()
        m.eliminate_zeros()
        return m

    def spread(self) -> int:
        """An upper bound on ``score(v) - score(y)`` over every context and every pair of outputs v, y of one
        block: ``max_v hi(v) - min_y lo(y)``, hi/lo the bias plus the sum over offsets of the largest/smallest
        weight into the output (0 included: most tokens carry no weight)."""
        m = self.csr().tocoo()
        hi = np.zeros((self.C, self.k, self.V), dtype=np.int64)
        lo = np.zeros((self.C, self.k, self.V), dtype=np.int64)
        blk, rest = np.divmod(m.row, self.k * self.V)
        off = rest // self.V
        np.maximum.at(hi, (blk, off, m.col), m.data)
        np.minimum.at(lo, (blk, off, m.col), m.data)
        top = self.bias + hi.sum(axis=1)
        bottom = self.bias + lo.sum(axis=1)
        return int((top.max(axis=1) - bottom.min(axis=1)).max())


# ------------------------------------------------------------------------------------------------ compile
def compile_linear(machine: Any, encoding: Any, *, width: int | None = None, left: int | None = None,
                   period: str = "gate") -> CompiledModel:
    """Compile ``machine`` into an explicit linear next-token predictor for ``encoding``, without training.

    Parameters
    ----------
    machine : tmsim.Machine
    encoding : str or tmsim.encodings.Encoding
        ``"tableau-triples"`` or ``"gates"`` (a spec such as ``"gates(answer=state)"``, or an encoding
        object); its ``answer`` is kept.
    width : int, optional
        Row width W (boundary cells included). Default: the encoding's ``width``; one of them must be set,
        since the row period L (2W + 2, or (W + 1) G) enters the offsets: a compiled model serves every input
        whose run fits in W columns, of any length, but one W only.
    left : int, optional
        Fixed into the returned :attr:`CompiledModel.encoding` (the weights do not depend on it).
    period : {"gate", "row"}, default "gate"
        ``gates`` only: one weight block per gate slot (G blocks), or per position of the row (L = (W + 1) G
        blocks, the encoding's position classes: W + 1 identical copies). ``tableau-triples`` always uses
        one block (period 1).

    Returns
    -------
    CompiledModel
        Integer weights, every tier's multiplier, the dense :class:`LinearAR` as ``.model`` and a
        ``.report()`` of its size.

    Raises
    ------
    LearnerError
        Another encoding, no width, or a bad ``period``.

    Examples
    --------
    >>> from tmsim import zoo
    >>> from learners import compile_linear, evaluate
    >>> parity = zoo.get("parity")
    >>> cm = compile_linear(parity.machine, "tableau-triples", width=8)
    >>> r = cm.report()
    >>> r["window"], r["vocab_size"], r["blocks"], r["nonzero"] > 0
    (19, 255, 1, True)
    >>> batch = cm.encoding.encode_batch(parity.machine, ["", "1", "0110", "111"])
    >>> evaluate(cm, batch).exact_match, int(cm.margins(batch).min())
    (1.0, 1)
    >>> g = compile_linear(parity.machine, "gates", width=8)
    >>> g.report()["blocks"], g.verify(["", "10", "0111"])["mismatched_tokens"]
    (31, 0)
    """
    if not isinstance(machine, Machine):
        raise LearnerError(f"The 'machine' parameter of compile_linear must be a tmsim.Machine. "
                           f"Got {type(machine).__name__}.")
    enc = get_encoding(encoding) if isinstance(encoding, str) else encoding
    if getattr(enc, "name", None) not in _ENCODINGS:
        raise LearnerError(f"The 'encoding' parameter of compile_linear must be one of {_ENCODINGS!r} (the "
                           f"encodings with a local rule). Got {getattr(enc, 'spec', encoding)!r} instead.")
    W = enc.width if width is None else width
    if W is None:
        raise LearnerError("compile_linear needs the row width: the offsets depend on it. Pass width=W (e.g. "
                           "the largest width of the runs to emulate: encoding.measure(machine, inputs)"
                           ".widths.max()), or an encoding with a fixed width.")
    if isinstance(W, bool) or not isinstance(W, (int, np.integer)) or W < 3:
        raise LearnerError(f"The 'width' parameter of compile_linear must be an int >= 3. Got {W!r} instead.")
    if period not in ("gate", "row"):
        raise LearnerError(f"The 'period' parameter of compile_linear must be 'gate' or 'row'. Got {period!r} "
                           f"instead.")
    enc = dataclasses.replace(enc, width=int(W), left=enc.left if left is None else left)
    _check_size(machine, enc)
    if enc.name == "tableau-triples":
        return _compile_triples(machine, enc)
    return _compile_gates(machine, enc, period)


#: The largest machines compile_linear builds: ``tableau-triples`` while its dense model (window x V x V
#: weights, V the vocabulary: about 39 tokens per state for two symbols) stays under MAX_COMPILE_PARAMETERS;
#: ``gates`` while the table has at most MAX_GATES_ENTRIES entries (states x symbols: its circuit, built
#: gate by gate in Python, grows faster than the table; 200 entries take about 20 s).
MAX_COMPILE_PARAMETERS = 2_000_000_000
MAX_GATES_ENTRIES = 256


def _check_size(machine, enc) -> None:
    """Refuse, with the estimate, a machine too large to compile in reasonable time and memory."""
    entries = machine.n_states * machine.n_symbols
    if enc.name == "gates":
        if entries > MAX_GATES_ENTRIES:
            raise LearnerError(f"compile_linear: machine {machine.name!r} has {machine.n_states:,} states x "
                               f"{machine.n_symbols} symbols = {entries:,} table entries; the gates circuit is "
                               f"built for at most MAX_GATES_ENTRIES ({MAX_GATES_ENTRIES:,}). Use tableau-triples.")
        return
    V = len(enc.vocabulary(machine))
    dense = 19 * V * V  # the triples window reads 19 offsets of the row structure
    if dense > MAX_COMPILE_PARAMETERS:
        raise LearnerError(f"compile_linear: machine {machine.name!r} ({machine.n_states:,} states, vocabulary "
                           f"{V:,}) would compile to about {dense:,} dense weights, more than "
                           f"MAX_COMPILE_PARAMETERS ({MAX_COMPILE_PARAMETERS:,}).")


def _tier(w: _Weights) -> int:
    """The multiplier of the next tier: one more than the lower tiers' spread."""
    return w.spread() + 1


# ------------------------------------------------------------------------------------------ tableau-triples
def _triple_semantics(machine) -> Iterator[tuple[str, str, str, str, bool]]:
    """Every triple token the transition table allows: names (a, b, c), the new centre cell, and whether
    that cell holds a head that stops (halting state, undefined transition, or a move onto a boundary).

    Written from the transition table (not from the encoder's tables): the construction and the encoder
    are two implementations, and the tests compare them."""
    ar = machine.arrays
    S, Q = machine.n_symbols, machine.n_states
    sym, st = machine.symbols, machine.states

    def plain(z: int) -> str:            # z = 0: the boundary '#', else symbol z - 1
        return "#" if z == 0 else f"s:{sym[z - 1]}"

    def head(q: int, x: int) -> str:
        return f"h:{st[q]}:{sym[x]}"

    def stops(q: int, y: int, hash_left: bool, hash_right: bool) -> bool:
        if ar.halting[q] or ar.next_state[q, y] < 0:
            return True
        m = int(ar.move[q, y])
        return (m == -1 and hash_left) or (m == 1 and hash_right)

    for q in range(Q):
        for x in range(S):
            if ar.halting[q] or ar.next_state[q, x] < 0:
                continue   # a stopped head is followed by the END row, never by a triple
            q2, w, m = int(ar.next_state[q, x]), int(ar.write[q, x]), int(ar.move[q, x])
            for u in range(S + 1):
                for v in range(S + 1):
                    # head above-centre: it writes; it stays (new head here) or leaves (the written symbol)
                    if not ((m == -1 and u == 0) or (m == 1 and v == 0)):
                        if m == 0:
                            yield plain(u), head(q, x), plain(v), head(q2, w), stops(q2, w, u == 0, v == 0)
                        else:
                            yield plain(u), head(q, x), plain(v), f"s:{sym[w]}", False
                    if u != 0:
                        # head above-left: it enters the centre when it moves right
                        if m == 1:
                            yield head(q, x), plain(u), plain(v), head(q2, u - 1), stops(q2, u - 1, False, v == 0)
                        else:
                            yield head(q, x), plain(u), plain(v), plain(u), False
                    if v != 0:
                        # head above-right: it enters the centre when it moves left
                        if m == -1:
                            yield plain(u), plain(v), head(q, x), head(q2, v - 1), stops(q2, v - 1, u == 0, False)
                        else:
                            yield plain(u), plain(v), head(q, x), plain(v), False


def _compile_triples(machine, enc) -> CompiledModel:
    voc = enc.vocabulary(machine)
    V, W = len(voc), enc.width
    L = 2 * W + 2
    offsets = (1, 2, 4, 6, L - 3, L - 1, L, L + 1)
    ids = voc.id
    RUN, END, X, COPY, COPYF, HASH, DASH, EOS = (ids(n) for n in ("RUN", "END", "X", "COPY", "COPY*", "#", "-",
                                                                 "<eos>"))
    state_answer = enc.answer == "state"
    sym_tok = [ids(f"s:{x}") for x in machine.symbols]
    carrier = [ids(f"={q}") for q in machine.states]
    q_tok = [ids(f"q:{q}") for q in machine.states] if state_answer else []
    # Cell tokens: '#', s:x, h:q:x -> their plain symbol (the END row's cell) and their head state.
    cells = [HASH] + sym_tok
    plain = {HASH: HASH, **{t: t for t in sym_tok}}
    head_state = {}
    for qi, q in enumerate(machine.states):
        for xi, x in enumerate(machine.symbols):
            t = ids(f"h:{q}:{x}")
            cells.append(t)
            plain[t], head_state[t] = sym_tok[xi], qi
    triples = []
    for a, b, c, res, stop in _triple_semantics(machine):
        name = f"({a},{b},{c})"
        if name not in voc:
            raise LearnerError(f"compile_linear: the transition table of {machine.name!r} allows the triple "
                               f"{name}, which the {enc.spec} vocabulary lacks: encoder and compiler disagree.")
        triples.append((ids(name), ids(a), ids(b), ids(c), ids(res), stop))
    trip = [t[0] for t in triples]
    run_out = [COPY, COPYF] + trip                 # RUN-row intermediate outputs
    end_out = [DASH] + carrier                     # END-row intermediate outputs (carriers)
    w = _Weights(1, offsets, V)

    # Rule tier.
    w.add_bias(0, RUN, 1)                          # header: RUN ...
    w.add(0, 2, COPYF, END, 2)                     # ... unless the halted flag reached the row's end
    for q, t in enumerate(q_tok):                  # answer q:<state> from the last carrier
        w.add(0, 2, carrier[q], t, 2)
    if state_answer:                               # filler: X, or <eos> after the q: answer
        w.add_bias(0, X, 1)
        w.add(0, 1, q_tok, EOS, 2)
    for tid, a, b, c, res, stop in triples:        # triple detection: 16 per matching cell above
        w.add(0, L + 1, a, tid, _MATCH)
        w.add(0, L - 1, b, tid, _MATCH)
        w.add(0, L - 3, c, tid, _MATCH)
        w.add(0, 1, tid, res, 2)                   # the cell after a triple: a lookup
        if stop:                                   # halted flag: a stopping triple 1, 2 or 3 cells left
            for o in (2, 4, 6):
                w.add(0, o, tid, COPYF, _FLAG)
    w.add_bias(0, COPY, _COPY)
    w.add_bias(0, COPYF, _COPYF)
    w.add(0, 2, COPYF, COPYF, _FLAG)               # ... or carried from the left
    for t, q in head_state.items():                # END row: the carrier turns =q at the final head
        w.add(0, L - 1, t, carrier[q], 4)
    for t in carrier:                              # ... and is passed on to the right
        w.add(0, 2, t, t, 2)
    w.add_bias(0, DASH, 1)
    for t in cells:                                # cell after COPY/COPY*/carrier: the plain cell above
        w.add(0, L, t, plain[t], 1)
    rule_max = int(max(np.abs(w.csr().data).max(initial=0), np.abs(w.bias).max()))

    # Row tier (intermediates): RUN row by default, END row when t(2) is END or a carrier.
    E = _tier(w)
    w.add_bias(0, run_out, E)
    w.add(0, 2, [END, DASH] + carrier, end_out, 2 * E)

    # Class tier: intermediate by default; header, filler, cell when offset L holds one of theirs.
    B = _tier(w)
    w.add_bias(0, run_out + end_out, B)
    w.add(0, L, RUN, [RUN, END], 2 * B)
    w.add(0, L, END, q_tok if state_answer else EOS, 2 * B)
    w.add(0, L, X, [X, EOS] if state_answer else X, 2 * B)
    w.add(0, L, cells, cells, 2 * B)
    return CompiledModel(machine, enc, offsets, 1, w.csr(), w.bias.copy(), {"rule": rule_max, "row": E, "class": B})


# ------------------------------------------------------------------------------------------------ gates
def _compile_gates(machine, enc, period: str) -> CompiledModel:
    voc = enc.vocabulary(machine)
    V, W = len(voc), enc.width
    circ = enc.circuit(machine)
    G = circ.size
    L = (W + 1) * G
    if G < 2:
        raise LearnerError(f"compile_linear: the gates circuit of {machine.name!r} has {G} gate(s); the END row "
                           f"needs at least 2 slots per cell.")
    declared = enc.offsets(machine, width=W)
    offsets = tuple(sorted({o for offs in declared.values() for o in offs}))
    ids = voc.id
    ZERO, ONE, RUN, END, DOT, HASH, DASH, EOS = (ids(n) for n in ("0", "1", "RUN", "END", ".", "#", "-", "<eos>"))
    state_answer = enc.answer == "state"
    sym_tok = [ids(f"s:{x}") for x in machine.symbols]
    carrier = [ids(f"={q}") for q in machine.states]
    q_tok = [ids(f"q:{q}") for q in machine.states] if state_answer else []
    end_family = [END, DOT, HASH, DASH] + sym_tok + carrier   # what offset G holds in an END row
    bits = [ZERO, ONE]
    w = _Weights(G, offsets, V)
    bias_of = {"AND": -3, "OR": -1, "NOT": 1}

    # Rule tier.
    for g, gate in enumerate(circ.gates):          # one threshold gate per slot, over its input offsets
        for o in circ.input_offsets(g, W)[:len(gate.inputs)]:
            w.add(g, o, ONE, ONE, -2 if gate.op == "NOT" else 2)
        w.add_bias(g, ONE, bias_of[gate.op])
    w.add_bias(0, RUN, 1)                          # header: RUN unless the last cell's halted flag is 1
    w.add(0, G - circ.slot_flag, ONE, END, 2)
    for q, t in enumerate(q_tok):                  # answer q:<state> from the last cell's carrier
        w.add(0, G - 1, carrier[q], t, 2)
    w.add(0, L - circ.slot_bd, ONE, HASH, 2)       # END row slot 0: '#' over s:x ...
    for x, s in enumerate(circ.slot_sym):
        w.add(0, L - s, ONE, sym_tok[x], 1)        # ... else the symbol whose bit is set above
    for q, s in enumerate(circ.slot_hd):           # END row slot 1: =q at the final head, passed on
        w.add(1, L + 1 - s, ONE, carrier[q], 4)
        w.add(1, G, carrier[q], carrier[q], 2)
    w.add_bias(1, DASH, 1)
    rule_max = int(max(np.abs(w.csr().data).max(initial=0), np.abs(w.bias).max()))

    # Row tier (cell blocks): gate bits in a RUN row by default, the END row's tokens when t(G) says END.
    E = _tier(w)
    for g in range(G):
        w.add_bias(g, bits, E)
        end_out = [HASH] + sym_tok if g == 0 else [DASH] + carrier if g == 1 else [DOT]
        w.add(g, G, end_family, end_out, 2 * E)

    # Header tier: the header block's tokens, recognised by the header token at offset L (slot 0) or g.
    B = _tier(w)
    w.add(0, L, RUN, [RUN, END], B)
    w.add(0, L, END, q_tok if state_answer else EOS, B)
    for g in range(1, G):
        w.add(g, g, RUN, ZERO, B)
        w.add(g, g, END, DOT, B)
        if state_answer and g == 1:
            w.add(g, g, q_tok, EOS, B)
    coef, bias = w.csr(), w.bias.copy()
    if period == "row":                            # the W + 1 blocks of a row are the same circuit
        coef = sp.vstack([coef] * (W + 1), format="csr")
        bias = np.tile(bias, (W + 1, 1))
    return CompiledModel(machine, enc, offsets, coef.shape[0] // (len(offsets) * V), coef, bias,
                         {"rule": rule_max, "row": E, "header": B})
