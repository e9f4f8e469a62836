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
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from tmsim.datasets.provenance import machine_text, parse_machine_text
from tmsim.encodings import get_encoding
from tmsim.encodings.layout import MAX_OFFSET, MAX_PERIOD
from tmsim.machine import Machine

from .base import ARModel, check_array, field_error, meta_int, register_model_format
from .data import Sequences, as_sequences
from .errors import LearnerError
from .linear import PAD, LinearAR

__all__ = ["compile_linear", "CompiledModel", "DENSE_LIMIT_BYTES"]

#: Largest dense ``coef`` (bytes of float64) that :meth:`CompiledModel.to_linear` builds by default: the
#: triple vocabulary grows like states x symbols^3, and 8 V^2 float64 weights outgrow memory quickly
#: (binary-addition: V = 4,638, 1.4 GB). Larger models use the exact sparse path.
DENSE_LIMIT_BYTES = 1 << 30

_ENCODINGS = ("tableau-triples", "gates")

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


# ------------------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class CompiledModel(ARModel):
    """A linear AR model compiled from a machine (see :func:`compile_linear`), with its size report.

    It follows the learners' model protocol (``predict``, ``targets``, ``score``, ``generate``,
    ``predict_next``), so :func:`learners.evaluate` and :func:`learners.testing.check_emulates` take it as
    is; :attr:`model` is the equivalent dense :class:`LinearAR` (for saving, or the numba rollouts).

    Attributes
    ----------
    machine : tmsim.Machine
    encoding : tmsim.encodings.Encoding
        The encoding with ``width`` (and ``left``, if given) fixed: encode the traces to check with it.
    offsets : tuple of int
        The window offsets (1-based, counted back from the predicted position); ``window = max(offsets)``.
    period : int
        Weight blocks by position class: block ``(t - sequence start) mod period``.
    coef : scipy.sparse.csr_matrix of int64, shape (period * k * V, V)
        Row ``(c * k + i) * V + u`` holds the weights of token ``u`` at ``offsets[i]`` in block ``c``
        (``LinearAR``'s ``coef`` is this, dense, reshaped to (period, k * V, V)).
    intercept : ndarray of int64, shape (period, V)
    tiers : dict of str to int
        The tier multipliers (``"rule"``: the largest rule-tier weight; then ``"row"`` E and ``"class"``/
        ``"header"`` B), see the module docstring.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> from learners import compile_linear
    >>> bb4 = parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA")
    >>> cm = compile_linear(bb4, "tableau-triples", width=16)
    >>> cm.window, cm.vocab_size, cm.n_blocks, cm.nonzero, cm.tiers
    (35, 173, 1, 995, {'rule': 41, 'row': 49, 'class': 105})
    >>> run = cm.report([""], max_steps=200)["runs"][0]
    >>> run["steps"], run["length"], run["formula"]
    (107, 3707, 3707)
    >>> out = cm.generate([cm.encoding.encode(bb4).prompt], max_new_tokens=5000)[0]
    >>> bool((out == cm.encoding.encode(bb4).tokens).all()), cm.verify([""])["mismatched_tokens"]
    (True, 0)
    """

    machine: Any
    encoding: Any
    offsets: tuple[int, ...]
    period: int
    coef: sp.csr_matrix
    intercept: np.ndarray
    tiers: dict

    format_tag: ClassVar[str] = "learners-compiled"

    # ------------------------------------------------------------------ sizes
    @property
    def vocabulary(self):
        return self.encoding.vocabulary(self.machine)

    @property
    def vocab_size(self) -> int:
        return int(self.coef.shape[1])

    @property
    def vocabulary_(self):
        """:attr:`vocabulary` (the name every model of the protocol has)."""
        return self.vocabulary

    @property
    def vocab_size_(self) -> int:
        return self.vocab_size

    @property
    def width(self) -> int:
        return int(self.encoding.width)

    @property
    def row_period(self) -> int:
        """L, the tokens per row (and per step) of the trace."""
        if self.encoding.name == "gates":
            return (self.width + 1) * self.encoding.circuit(self.machine).size
        return 2 * self.width + 2

    @property
    def window(self) -> int:
        """k, the largest offset the model reads."""
        return max(self.offsets)

    @property
    def n_blocks(self) -> int:
        """Weight blocks (position classes), each ``len(offsets) * V`` by ``V``."""
        return self.period

    @property
    def nonzero(self) -> int:
        """Non-zero weights (``coef`` and ``intercept``)."""
        return int(self.coef.nnz + np.count_nonzero(self.intercept))

    @property
    def dense_bytes(self) -> int:
        """Bytes of the dense float64 ``coef`` of :attr:`model`."""
        return 8 * self.period * len(self.offsets) * self.vocab_size ** 2

    def report(self, inputs: Sequence | None = None, *, max_steps: int = 10_000) -> dict:
        """The model's size and, for ``inputs``, the trace lengths against the encoding's ``length_formula``.

        Returns
        -------
        dict
            ``machine``, ``encoding``, ``width``, ``row_period`` (L: tokens per step), ``period`` and
            ``blocks`` (weight blocks), ``window`` (k, the largest offset), ``n_offsets``, ``vocab_size``,
            ``nonzero`` (non-zero weights), ``dense_parameters`` (entries of the dense weights),
            ``max_abs_weight``, ``tiers``, ``length_formula`` (str); with ``inputs`` also ``runs``: per
            input ``input``, ``status``, ``steps``, ``length`` (tokens), ``cot_tokens``, ``formula`` (the
            formula at T = steps, S = width) and ``matches_formula``.
        """
        V, k = self.vocab_size, len(self.offsets)
        formula = self.encoding.length_formula(self.machine)
        out = {
            "machine": self.machine.name, "encoding": self.encoding.spec, "width": self.width,
            "row_period": self.row_period, "period": self.period, "blocks": self.n_blocks,
            "window": self.window, "n_offsets": k, "vocab_size": V, "nonzero": self.nonzero,
            "dense_parameters": self.period * (k * V * V + V),
            "max_abs_weight": int(max(np.abs(self.coef.data).max(initial=0), np.abs(self.intercept).max())),
            "tiers": dict(self.tiers), "length_formula": str(formula),
        }
        if inputs is not None:
            batch = self.encoding.encode_batch(self.machine, list(inputs), max_steps=max_steps)
            syms = {s.name: s for s in formula.free_symbols}
            runs = []
            for x, tr in zip(inputs, batch):
                f = int(formula.subs({syms[n]: val for n, val in (("T", tr.steps), ("S", tr.width))
                                      if n in syms}))
                runs.append({"input": x, "status": tr.status.value, "steps": tr.steps, "length": len(tr),
                             "cot_tokens": int(np.count_nonzero(tr.kinds == 1)), "formula": f,
                             "matches_formula": f == len(tr)})
            out["runs"] = runs
        return out

    # ------------------------------------------------------------------ the dense model
    def to_linear(self, *, max_bytes: int = DENSE_LIMIT_BYTES) -> LinearAR:
        """The dense :class:`LinearAR` (float64 copies of the integer weights).

        Raises
        ------
        LearnerError
            When the dense ``coef`` would exceed ``max_bytes``.
        """
        if self.dense_bytes > max_bytes:
            raise LearnerError(f"CompiledModel.to_linear: the dense weights of {self.machine.name!r} under "
                               f"{self.encoding.spec} take {self.dense_bytes:,} bytes (period {self.period} x "
                               f"{len(self.offsets)} offsets x V^2 = {self.vocab_size}^2), above max_bytes="
                               f"{max_bytes:,}; raise max_bytes or use the sparse path (backend='sparse').")
        V, k = self.vocab_size, len(self.offsets)
        coef = self.coef.toarray().astype(np.float64).reshape(self.period, k * V, V)
        return LinearAR.from_weights(coef, self.intercept.astype(np.float64), offsets=self.offsets,
                                     period=self.period, vocabulary=self.vocabulary)

    @cached_property
    def model(self) -> LinearAR:
        """:meth:`to_linear` with the default size limit, built once."""
        return self.to_linear()

    # ------------------------------------------------------------------ persistence
    def _save_payload(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The sparse integer weights, the machine as text and the encoding's spec: :func:`learners.load_model`
        rebuilds this :class:`CompiledModel` (any size: the dense weights are never written)."""
        fmt, text = machine_text(self.machine)
        meta = {"machine": {"format": fmt, "text": text, "name": self.machine.name},
                "encoding": self.encoding.spec, "period": int(self.period), "tiers": dict(self.tiers),
                "vocab_size": self.vocab_size}
        coef = self.coef.tocsr()
        return meta, {"coef_data": coef.data.astype(np.int64), "coef_indices": coef.indices.astype(np.int64),
                      "coef_indptr": coef.indptr.astype(np.int64), "intercept": self.intercept.astype(np.int64),
                      "offsets": np.asarray(self.offsets, dtype=np.int64)}

    def _backend(self, backend: str | None) -> str:
        if backend is None:
            return "dense" if self.dense_bytes <= DENSE_LIMIT_BYTES else "sparse"
        if backend not in ("dense", "sparse"):
            raise LearnerError(f"The 'backend' parameter of CompiledModel must be 'dense', 'sparse' or None. "
                               f"Got {backend!r} instead.")
        return backend

    # ------------------------------------------------------------------ exact sparse scoring
    def _data(self, X: Any) -> Sequences:
        if hasattr(X, "kinds") and not hasattr(X, "offsets"):   # one tmsim Trace
            X = _as_data([X])
        seqs = as_sequences(X, owner="CompiledModel")
        if seqs.vocab_size > self.vocab_size:
            raise LearnerError(f"CompiledModel: the data has {seqs.vocab_size} token ids; the model knows "
                               f"{self.vocab_size}.")
        return seqs

    def _scores(self, seqs: Sequences, positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Exact int64 scores (n, V) at ``positions`` (sequence starts ``starts``)."""
        V, k = self.vocab_size, len(self.offsets)
        c = (positions - starts) % self.period
        rows = np.empty((len(positions), k), dtype=np.int64)
        for i, o in enumerate(self.offsets):
            p = positions - o
            tok = np.where(p >= starts, seqs.tokens[np.maximum(p, 0)], PAD)
            rows[:, i] = (c * k + i) * V + tok
        X = sp.csr_matrix((np.ones(rows.size, dtype=np.int64), rows.ravel(),
                           np.arange(0, rows.size + 1, k, dtype=np.int64)), shape=(len(positions), self.coef.shape[0]))
        return (X @ self.coef).toarray() + self.intercept[c]

    def _chunks(self, seqs: Sequences, chunk: int = 2048) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        lens = np.diff(seqs.offsets)
        starts_all = np.repeat(seqs.offsets[:-1], lens)
        positions = np.flatnonzero(seqs.kinds != 0)
        for a in range(0, len(positions), chunk):
            p = positions[a:a + chunk]
            yield p, starts_all[p]

    def margins(self, X: Any) -> np.ndarray:
        """Teacher-forced exact margins: at every training position (``kinds != 0``), the score of the true
        token minus the best score of any other token (> 0 iff the prediction is right).

        Returns
        -------
        ndarray of int64, shape (n_positions,)
            In the order of :meth:`predict`.
        """
        seqs = self._data(X)
        out = []
        for p, s in self._chunks(seqs):
            S = self._scores(seqs, p, s)
            y = seqs.tokens[p]
            right = S[np.arange(len(p)), y].copy()
            S[np.arange(len(p)), y] = np.iinfo(np.int64).min
            out.append(right - S.max(axis=1))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ the model protocol
    def predict(self, X: Any, *, backend: str | None = None) -> np.ndarray:
        """Teacher-forced argmax predictions at every training position (``kinds != 0``), as
        :meth:`LinearAR.predict` (``backend="sparse"``: exact integer scores, for any model size).

        Returns
        -------
        ndarray of int32, shape (n_positions,)
        """
        if self._backend(backend) == "dense":
            return self.model.predict(X)
        seqs = self._data(X)
        out = [self._scores(seqs, p, s).argmax(axis=1) for p, s in self._chunks(seqs)]
        return np.concatenate(out).astype(np.int32) if out else np.zeros(0, dtype=np.int32)

    def _sequences(self, X: Any) -> Sequences:
        return self._data(X)

    def _check_fitted(self) -> None:
        """A compiled model is built fitted."""

    def _next_sparse(self, row: np.ndarray, t: int) -> int:
        """The argmax after ``row[:t]`` from the sparse integer weights (exact)."""
        k, V = len(self.offsets), self.vocab_size
        c = t % self.period
        s = self.intercept[c].copy()
        ptr, idx, dat = self.coef.indptr, self.coef.indices, self.coef.data
        for i, o in enumerate(self.offsets):
            r = (c * k + i) * V + (int(row[t - o]) if t - o >= 0 else PAD)
            s[idx[ptr[r]:ptr[r + 1]]] += dat[ptr[r]:ptr[r + 1]]
        return int(np.argmax(s))

    def _next_tokens(self, buf: np.ndarray, rows: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        if self._backend(None) == "dense":
            return self.model._next_tokens(buf, rows, lengths)
        return np.array([self._next_sparse(buf[r], int(t)) for r, t in zip(rows, lengths)], dtype=np.int64)

    def _rollout(self, prompts: list[np.ndarray], max_new: int, eos: int, *, backend: str | None = None
                 ) -> list[np.ndarray]:
        """Greedy rollouts (as :meth:`LinearAR.generate`; ``backend="sparse"`` runs a plain-Python loop over the
        sparse weights)."""
        if self._backend(backend) == "dense":
            return self.model._rollout(prompts, max_new, eos)
        out = []
        for p in prompts:
            row = np.zeros(len(p) + max_new, dtype=np.int32)
            row[:len(p)] = p
            t = len(p)
            for _ in range(max_new):
                row[t] = self._next_sparse(row, t)
                t += 1
                if row[t - 1] == eos:
                    break
            out.append(row[:t].copy())
        return out

    def verify(self, inputs: Sequence, *, max_steps: int = 10_000, rollout: bool = True,
               backend: str | None = None) -> dict:
        """Check the model against the encoder's traces of ``inputs``: exact teacher-forced margins and
        (``rollout=True``) free rollouts from each prompt, token by token. Runs cut by the step budget are
        skipped (their END header is the encoding's one free choice, not a function of the window).

        Returns
        -------
        dict
            ``traces`` (checked), ``skipped`` (step limit), ``min_margin`` (int; >= 1 means every
            teacher-forced step is right), ``teacher_forced_errors``, and with ``rollout``: ``exact`` (traces
            reproduced exactly) and ``mismatched_tokens`` (positions where a rollout differs from its trace,
            a length difference counted as the missing or extra tokens).
        """
        batch = self.encoding.encode_batch(self.machine, list(inputs), max_steps=max_steps)
        keep = [j for j in range(len(batch)) if batch[j].status.value != "step_limit"]
        out = {"traces": len(keep), "skipped": len(batch) - len(keep)}
        if not keep:
            return out | {"min_margin": None, "teacher_forced_errors": 0, "exact": 0, "mismatched_tokens": 0}
        traces = [batch[j] for j in keep]
        data = _as_data(traces)
        m = self.margins(data)
        out["min_margin"] = int(m.min()) if m.size else None
        out["teacher_forced_errors"] = int(np.count_nonzero(m <= 0))
        if rollout:
            budget = max(len(t) - len(t.prompt) for t in traces) + 1
            outs = self.generate(data, max_new_tokens=budget, backend=backend)
            bad = exact = 0
            for tr, o in zip(traces, outs):
                n = min(len(o), len(tr))
                d = int(np.count_nonzero(o[:n] != tr.tokens[:n])) + abs(len(o) - len(tr))
                bad += d
                exact += d == 0
            out["exact"], out["mismatched_tokens"] = exact, bad
        return out


def _as_data(traces: Sequence) -> Sequences:
    """Traces of one (machine, encoding) as :class:`Sequences`."""
    lens = np.array([len(t) for t in traces], dtype=np.int64)
    offsets = np.zeros(len(traces) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    voc = traces[0].vocabulary
    return Sequences(np.concatenate([t.tokens for t in traces]).astype(np.int32), offsets,
                     np.concatenate([t.kinds for t in traces]).astype(np.uint8), len(voc), voc)


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
    if enc.name == "tableau-triples":
        return _compile_triples(machine, enc)
    return _compile_gates(machine, enc, period)


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


def _load_compiled(meta: dict, arrays: dict, path) -> CompiledModel:
    """The loader of format ``learners-compiled`` (see :func:`learners.load_model`)."""
    m = meta.get("machine")
    if not isinstance(m, dict) or not all(isinstance(m.get(k), str) for k in ("format", "text", "name")):
        raise field_error(path, "meta.machine", "an object with string format, text and name", m)
    try:
        machine = parse_machine_text(m["format"], m["text"], m["name"])
    except (ValueError, TypeError, KeyError) as e:
        raise field_error(path, "meta.machine", "a machine in its format", str(e)) from None
    spec = meta.get("encoding")
    try:
        enc = get_encoding(spec) if isinstance(spec, str) else None
    except ValueError as e:
        raise field_error(path, "meta.encoding", "an encoding spec", f"{spec} ({e})") from None
    if getattr(enc, "name", None) not in _ENCODINGS or enc.width is None:
        raise field_error(path, "meta.encoding", f"the spec of one of {_ENCODINGS} with a width", spec)
    voc = enc.vocabulary(machine)
    V = len(voc)
    period = meta_int(meta, path, "period", 1, MAX_PERIOD)
    offsets = check_array(arrays, path, "offsets", ndim=1, kind="iu", low=1, high=MAX_OFFSET)
    if len(offsets) == 0 or len(np.unique(offsets)) != len(offsets):
        raise field_error(path, "offsets", "non-empty and distinct", offsets.tolist())
    k = len(offsets)
    rows = period * k * V
    indptr = check_array(arrays, path, "coef_indptr", ndim=1, kind="iu", shape=(rows + 1,), low=0)
    if indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        raise field_error(path, "coef_indptr", "non-decreasing from 0", indptr[:8].tolist())
    nnz = int(indptr[-1])
    indices = check_array(arrays, path, "coef_indices", ndim=1, kind="iu", shape=(nnz,), low=0, high=V - 1)
    data = check_array(arrays, path, "coef_data", ndim=1, kind="iu", shape=(nnz,))
    intercept = check_array(arrays, path, "intercept", ndim=2, kind="iu", shape=(period, V))
    tiers = meta.get("tiers")
    if not isinstance(tiers, dict) or not all(isinstance(v, int) for v in tiers.values()):
        raise field_error(path, "meta.tiers", "an object of ints", tiers)
    coef = sp.csr_matrix((data.astype(np.int64), indices.astype(np.int64), indptr.astype(np.int64)),
                         shape=(rows, V))
    return CompiledModel(machine, enc, tuple(int(o) for o in offsets), period, coef, intercept.astype(np.int64),
                         dict(tiers))


register_model_format(CompiledModel.format_tag, _load_compiled)
