"""Check ``text``: a thin adapter over :func:`proofs_checks.experiments.text.run_text` (the paper's text experiment, kept
there): runs it and maps its verdicts, table and figure. Not part of the default report (its corpus and its
45-minute budget are its own): ``proofs-checks run text [--corpus austen|PATH] [--quick]``, or
``proofs-checks report --checks ...,text``."""

from __future__ import annotations

from dataclasses import dataclass

from ..experiments.text.experiment import figure, run_text

from ..registry import Outcome, register


@dataclass(frozen=True)
class TextCheckConfig:
    """``quick``: the experiment's small configuration (under 2 minutes) or the full one; ``corpus``:
    ``"austen"`` (shipped) or a TinyStories path; ``tokenizer``: ``"word"`` or ``"bpe"`` (None: word);
    ``max_documents``: keep the first this many documents (None: the experiment's default);
    ``shuffle_train``: the negative control (each training document's tokens permuted)."""

    quick: bool = True
    corpus: str = "austen"
    tokenizer: str | None = None
    max_documents: int | None = None
    shuffle_train: bool = False


@register("text",
          claim="A purely linear next-token model (embedding -> masked block-causal linear layer -> output) beats "
                "the best interpolated Kneser-Ney n-gram's test perplexity and comes within 1.25x of a tiny "
                "transformer trained for the same wall time (quick: at most 0.7x the unigram perplexity, "
                "deterministic sampling).",
          theorem="[paper] section 4 (text experiment, TinyStories); docs/theory.md#text",
          quick=TextCheckConfig(quick=True), full=TextCheckConfig(quick=False), in_report=False,
          control={"shuffle_train": True},
          control_breaks="the word order: each training document's tokens permuted")
def run_text_check(cfg: TextCheckConfig, runner) -> Outcome:
    result = run_text(cfg.quick, corpus=cfg.corpus, tokenizer=cfg.tokenizer, max_documents=cfg.max_documents,
                      shuffle_train=cfg.shuffle_train, verbose=0, plots=False)
    verdict = "; ".join(f"{k}: {'PASS' if c['passed'] else 'FAIL'}{'' if c.get('target', True) else ' (info)'} "
                        f"({c['text']})" for k, c in result.checks.items())
    return Outcome(result.passed, result.measured, result.threshold, verdict, {},
                   {"table": result.table(), **result.to_dict()}, {"text_valid_perplexity": figure(result)})
