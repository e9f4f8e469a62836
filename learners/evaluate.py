"""Learner -> evaluation: teacher-forced token accuracy, sequence-level error, free-rollout exact match of
the whole trace and of the answer, first-error positions and accuracy by token kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import as_sequences

__all__ = ["Evaluation", "evaluate"]

KIND_NAMES = {0: "prompt", 1: "cot", 2: "answer"}


@dataclass(frozen=True)
class Evaluation:
    """Metrics of a model on a dataset.

    Attributes
    ----------
    token_accuracy : float
        Teacher-forced accuracy over every training position (CoT and answer).
    sequence_error : float
        Fraction of sequences with at least one wrong teacher-forced step (the paper's AR loss).
    exact_match : float
        Fraction of free rollouts (greedy, from the prompt) that reproduce the whole sequence.
    answer_exact_match : float
        Fraction of free rollouts that end with the right answer (the reference's trailing tokens of kind 2;
        the whole sequence when it has none).
    accuracy_by_kind : dict
        Teacher-forced accuracy per token kind (``"cot"``, ``"answer"``).
    first_error : ndarray of int64, shape (n_sequences,)
        Per sequence, the first position (counted from the end of the prompt) where the rollout differs
        from the reference, or -1.
    teacher_forced_first_error : ndarray of int64, shape (n_sequences,)
        The same for teacher-forced predictions.
    n_sequences, n_tokens : int
    """

    token_accuracy: float
    sequence_error: float
    exact_match: float
    answer_exact_match: float
    accuracy_by_kind: dict
    first_error: np.ndarray = field(repr=False)
    teacher_forced_first_error: np.ndarray = field(repr=False)
    n_sequences: int = 0
    n_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready metrics (the keys of ``learners eval --json``)."""
        fe = self.first_error[self.first_error >= 0]
        return {
            "token_accuracy": self.token_accuracy,
            "sequence_error": self.sequence_error,
            "exact_match": self.exact_match,
            "answer_exact_match": self.answer_exact_match,
            "accuracy_by_kind": dict(self.accuracy_by_kind),
            "first_error_median": float(np.median(fe)) if fe.size else None,
            "n_sequences": self.n_sequences,
            "n_tokens": self.n_tokens,
        }


def evaluate(model: Any, X: Any, *, rollout: bool = True, max_new_tokens: int | None = None) -> Evaluation:
    """Evaluate a fitted AR model (``predict``/``generate`` as in :mod:`learners.linear`) on ``X``.

    Parameters
    ----------
    model : fitted LeastSquaresAR, PerceptronAR or any model with the same ``predict``/``generate``
    X : dataset (see :func:`learners.as_sequences`)
    rollout : bool, default True
        Also run free greedy rollouts from every prompt (exact match, answer exact match, first error).
    max_new_tokens : int, optional
        Rollout budget per sequence (default: the reference's length after its prompt, plus 1, so a
        model that does not stop in time is caught). Without an ``<eos>`` token in the model's vocabulary
        a rollout is cut to the reference's length.

    Examples
    --------
    >>> import numpy as np
    >>> from learners import PerceptronAR, evaluate
    >>> seqs = [np.array([1, 2, 3, 1, 2, 3])] * 3
    >>> ev = evaluate(PerceptronAR(window=2, random_state=0).fit(seqs), seqs)
    >>> ev.token_accuracy, ev.sequence_error, ev.exact_match
    (1.0, 0.0, 1.0)
    """
    seqs = as_sequences(X, owner="learners.evaluate")
    pred = model.predict(seqs)
    mask = seqs.kinds != 0
    truth = seqs.tokens[mask]
    right = pred == truth
    n = len(seqs)
    seq_id = np.repeat(np.arange(n), np.diff(seqs.offsets))[mask]
    wrong_per_seq = np.bincount(seq_id[~right], minlength=n)
    by_kind = {}
    for kind in (1, 2):
        sel = seqs.kinds[mask] == kind
        if sel.any():
            by_kind[KIND_NAMES[kind]] = float(right[sel].mean())
    plens = seqs.prompt_lengths()
    # Teacher-forced first error, counted from the end of the prompt.
    tf_first = np.full(n, -1, dtype=np.int64)
    rel = np.arange(len(seqs.tokens)) - np.repeat(seqs.offsets[:-1], np.diff(seqs.offsets))
    rel = rel[mask]
    for s in np.flatnonzero(wrong_per_seq):
        sel = (seq_id == s) & ~right
        tf_first[s] = int(rel[sel].min() - plens[s])
    exact = answer_exact = float("nan")
    first = np.full(n, -1, dtype=np.int64)
    if rollout:
        lens = np.diff(seqs.offsets)
        budget = int((lens - plens).max(initial=0)) + 1 if max_new_tokens is None else int(max_new_tokens)
        outs = model.generate(seqs, max_new_tokens=budget)
        eos = getattr(model, "_eos_id", lambda: -1)()
        if eos < 0:
            # Without an end token a rollout cannot stop by itself: compare the reference's length only.
            outs = [o[:len(seqs.sequence(s))] for s, o in enumerate(outs)]
        ok = np.zeros(n, dtype=bool)
        ans_ok = np.zeros(n, dtype=bool)
        for s in range(n):
            ref = seqs.sequence(s)
            out = outs[s]
            ok[s] = len(out) == len(ref) and np.array_equal(out, ref)
            m = min(len(out), len(ref))
            diff = np.flatnonzero(out[:m] != ref[:m])
            if diff.size:
                first[s] = int(diff[0] - plens[s])
            elif len(out) != len(ref):
                first[s] = int(m - plens[s])
            n_ans = int(np.count_nonzero(seqs.kinds[seqs.offsets[s]:seqs.offsets[s + 1]] == 2))
            if n_ans == 0:  # no answer tokens: the answer is the whole sequence
                ans_ok[s] = ok[s]
            else:
                ans_ok[s] = len(out) >= n_ans and np.array_equal(out[len(out) - n_ans:], ref[len(ref) - n_ans:])
        exact = float(ok.mean())
        answer_exact = float(ans_ok.mean())
    return Evaluation(
        token_accuracy=float(right.mean()) if right.size else 1.0,
        sequence_error=float((wrong_per_seq > 0).mean()),
        exact_match=exact,
        answer_exact_match=answer_exact,
        accuracy_by_kind=by_kind,
        first_error=first,
        teacher_forced_first_error=tf_first,
        n_sequences=n,
        n_tokens=int(mask.sum()),
    )
