"""Check ``rollout-vs-teacher-forced``: with greedy decoding, the free-rollout sequence error never exceeds the
teacher-forced sequence-level error (errors do not compound), across learners, tasks and training sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learners import LeastSquaresAR, PerceptronAR, as_sequences, evaluate
from tmsim.datasets import Split, make_splits
from tmsim.datasets.tasks import ParityTask

from ..plots import new_figure
from ..registry import Outcome, register
from ..sweep import grid


class SamplingDecoder:
    """A model whose rollouts replace the argmax token by a uniformly random one with probability ``noise``
    (a sampling decoder at high temperature); teacher-forced predictions stay the model's. The claim is about
    greedy decoding: under this decoder the check must fail."""

    def __init__(self, model, noise: float, random_state: int = 0):
        self.model, self.noise = model, float(noise)
        self.rng = np.random.default_rng(random_state)

    def predict(self, X):
        return self.model.predict(X)

    def _eos_id(self) -> int:
        return self.model._eos_id()

    def generate(self, prompts, *, max_new_tokens: int, eos=None):
        seqs = as_sequences(prompts)
        plens = seqs.prompt_lengths()
        V = self.model.vocab_size_
        eos = self._eos_id() if eos is None else eos
        out = []
        for s in range(len(seqs)):
            seq = [int(t) for t in seqs.sequence(s)[:plens[s]]]
            for _ in range(max_new_tokens):
                t = self.model.predict_next(seq)
                if self.rng.random() < self.noise:
                    t = int(self.rng.integers(1, V))
                seq.append(t)
                if t == eos:
                    break
            out.append(np.array(seq, dtype=np.int32))
        return out


def _data(task: str, n: int, seed: int):
    """(train/test data source) for a task name: ``zoo:NAME/ENCODING`` traces, or ``parity:N`` (count CoT)."""
    if task.startswith("parity:"):
        pt = ParityTask(n=int(task.split(":")[1]), fmt="count", random_state=seed)
        return pt.sample(n, random_state=seed + 1), pt.sample(200, random_state=seed + 2), pt.learner_layout()
    machine, enc = task.split("/")
    parts = make_splits(machine, enc, Split("rollout", train=(1, 8), test=(1, 8), n_train=n, n_test=100),
                        random_state=seed, width="auto")
    W = int(parts["train"].width[0])
    # The cells above (W, W+1, W+2 back for tableau rows) and the last two tokens; seen tokens only.
    return parts["train"], parts["test"], {"offsets": (1, 2, W, W + 1, W + 2), "period": W + 1, "compact": True}


def rollout_task(task: str, learner: str, n_train: int, seed: int, decoder_noise: float) -> dict:
    """Fit one learner on one task; teacher-forced and free-rollout sequence errors per test sequence."""
    train, test, layout = _data(task, n_train, seed)
    if learner == "perceptron":
        model = PerceptronAR(random_state=seed, max_iter=20, **layout)
    else:
        if "classes" not in layout:  # traces: one Gram matrix, the shared window
            layout = {**layout, "period": 1}
        model = LeastSquaresAR(alpha=1.0, **layout)
    model.fit(train)
    m = SamplingDecoder(model, decoder_noise, seed) if decoder_noise > 0 else model
    ev = evaluate(m, test)
    tf_ok = ev.teacher_forced_first_error < 0
    roll_ok = ev.first_error < 0
    return {"task": task, "learner": learner, "n_train": n_train, "seed": seed,
            "teacher_forced_sequence_error": ev.sequence_error, "rollout_error": 1.0 - ev.exact_match,
            "token_accuracy": ev.token_accuracy, "n_test": ev.n_sequences,
            "tf_right_rollout_wrong": int(np.count_nonzero(tf_ok & ~roll_ok)),
            "tf_wrong_rollout_right": int(np.count_nonzero(~tf_ok & roll_ok))}


@dataclass(frozen=True)
class RolloutConfig:
    """Every ``task`` (``zoo:NAME/ENCODING`` traces on inputs of lengths 1-8, or ``parity:N`` with the count
    CoT) x ``learners`` x ``n_train_grid`` x ``seeds``; sizes small enough that the models make errors.
    ``decoder_noise`` > 0 rolls out with a sampling decoder instead of greedy (the negative control)."""

    tasks: tuple[str, ...] = ("zoo:parity/tableau-triples", "zoo:binary-increment/tableau",
                              "zoo:binary-increment/snapshots(every=2)", "zoo:palindrome/tableau-triples",
                              "parity:32", "parity:64")
    learners: tuple[str, ...] = ("perceptron", "least-squares")
    n_train_grid: tuple[int, ...] = (10, 30, 100, 300)
    seeds: tuple[int, ...] = (0, 1, 2)
    decoder_noise: float = 0.0


_QUICK_R = RolloutConfig(tasks=("zoo:parity/tableau-triples", "zoo:binary-increment/tableau", "parity:16"),
                         n_train_grid=(10, 100), seeds=(0,))
_FULL_R = RolloutConfig()


@register("rollout-vs-teacher-forced",
          claim="Under greedy decoding the free-rollout sequence error never exceeds the teacher-forced "
                "sequence-level error: if every step is right given the true prefix, the rollout reproduces the "
                "whole CoT, so errors do not compound.",
          theorem="[paper] section 3 (AR learnability is a sequence-level 0/1 loss); docs/theory.md#teacher-forcing-and-rollout",
          quick=_QUICK_R, full=_FULL_R,
          control={"decoder_noise": 0.05}, control_breaks="the greedy argmax: a decoder that samples 5% of its tokens")
def run_rollout(cfg: RolloutConfig, runner) -> Outcome:
    points = grid(task=list(cfg.tasks), learner=list(cfg.learners), n_train=list(cfg.n_train_grid),
                  seed=list(cfg.seeds), decoder_noise=[cfg.decoder_noise])
    rows = runner.map(rollout_task, points, desc="rollout-vs-teacher-forced")
    violations = sum(r["tf_right_rollout_wrong"] for r in rows)
    worse = [r for r in rows if r["rollout_error"] > r["teacher_forced_sequence_error"] + 1e-12]
    gap = max(r["rollout_error"] - r["teacher_forced_sequence_error"] for r in rows)
    errs = [r["teacher_forced_sequence_error"] for r in rows]
    informative = sum(1 for e in errs if 0 < e < 1)
    passed = violations == 0 and not worse and informative > 0
    measured = {"runs": len(rows), "runs_with_rollout_error_above_tf": len(worse),
                "sequences_tf_right_but_rollout_wrong": violations,
                "max_gap_rollout_minus_tf": gap, "runs_with_0<tf_error<1": informative,
                "mean_tf_sequence_error": float(np.mean(errs)),
                "mean_rollout_error": float(np.mean([r["rollout_error"] for r in rows]))}
    verdict = (f"{len(worse)} of {len(rows)} runs (tasks x learners x sizes x seeds) have a rollout error above "
               f"the teacher-forced sequence error; {violations} test sequences were right under teacher forcing "
               f"but wrong in free rollout (max gap {gap:+.3f}); {informative} runs had 0 < error < 1")
    return Outcome(passed, measured, {"runs_with_rollout_error_above_tf": 0,
                                      "sequences_tf_right_but_rollout_wrong": 0},
                   verdict, {"rollout_error": "<= teacher-forced sequence error (equal under greedy decoding)"},
                   {"rows": rows}, {"rollout_vs_teacher_forced": _fig(rows)})


def _fig(rows):
    fig, ax = new_figure((5.5, 5.0))
    tasks = sorted({r["task"] for r in rows})
    for i, t in enumerate(tasks):
        for learner, mk in (("perceptron", "o"), ("least-squares", "s")):
            pts = [(r["teacher_forced_sequence_error"], r["rollout_error"]) for r in rows
                   if r["task"] == t and r["learner"] == learner]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, mk, color=f"C{i}", alpha=0.8, label=f"{t} / {learner}")
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    ax.set_xlabel("teacher-forced sequence-level error")
    ax.set_ylabel("free-rollout sequence error")
    ax.set_title("Rollout vs teacher-forced error (diagonal: no compounding)")
    ax.legend(fontsize=6)
    return fig
