"""Machine -> linear weights (the result): :class:`CompiledModel`, a linear AR model compiled from a machine,
with its exact sparse integer scoring, its size report, the dense :class:`learners.LinearAR` it equals, and
its file format ``learners-compiled`` (the sparse weights, the machine as text, the encoding's spec).
The construction is :func:`learners.compile_linear` (:mod:`learners.compile.construct`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np
import scipy.sparse as sp

from tmsim.datasets.provenance import machine_text, parse_machine_text
from tmsim.encodings import get_encoding
from tmsim.encodings.layout import MAX_OFFSET, MAX_PERIOD

from ..base import ARModel, check_array, field_error, meta_int, register_model_format
from ..data import Sequences, as_sequences
from ..errors import LearnerError
from ..linear import PAD, LinearAR

__all__ = ["CompiledModel", "DENSE_LIMIT_BYTES"]

#: Largest dense ``coef`` (bytes of float64) that :meth:`CompiledModel.to_linear` builds by default: the
#: triple vocabulary grows like states x symbols^3, and 8 V^2 float64 weights outgrow memory quickly
#: (binary-addition: V = 4,638, 1.4 GB). Larger models use the exact sparse path.
DENSE_LIMIT_BYTES = 1 << 30

_ENCODINGS = ("tableau-triples", "gates")


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
