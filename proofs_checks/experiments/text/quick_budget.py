"""Text experiment -> the quick preset's training budget, chosen on the validation split alone: the linear
model trained for each candidate (epochs, chunk stride) on the quick corpus and tokenizer, and its
validation perplexity beside the unigram's. The test split is never encoded here, so nothing in the choice
can have seen it (the verdict of the quick preset is then decided on the test split, by
:func:`proofs_checks.experiments.text.experiment.run_text`).

The rule (fixed before the pilot): among the candidates with at most the training chunks of one epoch at
stride 8 (the quick preset's time), the lowest validation perplexity; ties to the fewer chunks.

Run as ``python -m proofs_checks.experiments.text.quick_budget`` (a few minutes, one thread).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Sequence

from .corpora import load_corpus, split_documents
from .experiment import _ppl, default_config
from .models import fit_mlpar_lm, mlpar_nll
from .ngram import UnigramLM
from .tokenizers import make_tokenizer

__all__ = ["CANDIDATES", "pilot", "main"]

#: (epochs, stride): the quick preset's budget (1, 8), the same chunk count spread over more epochs, and half
#: of it.
CANDIDATES = ((1, 8), (2, 16), (4, 32), (1, 16), (2, 32))


def pilot(candidates: Sequence[tuple[int, int]] = CANDIDATES) -> list[dict]:
    """Train the quick preset's linear model once per ``(epochs, stride)`` and score it on validation.

    Returns
    -------
    list of dict
        Per candidate: ``epochs``, ``stride``, ``chunks`` (relative to one epoch at stride 8),
        ``valid_perplexity``, ``valid_over_unigram``, ``fit_seconds``; the chosen one has ``chosen: True``.
    """
    cfg = default_config(True)
    corpus = load_corpus(cfg.corpus)
    split = split_documents(corpus.documents[:cfg.max_documents])
    tok = make_tokenizer(cfg.tokenizer, cfg.vocab_size).fit(split.train)
    train, valid = tok.encode_documents(split.train), tok.encode_documents(split.valid)
    uni = _ppl(UnigramLM(tok.vocab_size).fit(train).nll(valid))
    rows = []
    for epochs, stride in candidates:
        c = replace(cfg.linear, max_epochs=int(epochs), train_stride=int(stride))
        m, _ = fit_mlpar_lm(train, valid, tok.vocab_size, c, random_state=cfg.seed, threads=cfg.threads)
        v = _ppl(mlpar_nll(m, valid))
        rows.append({"epochs": epochs, "stride": stride, "chunks": epochs * 8 / stride, "valid_perplexity": v,
                     "unigram_valid_perplexity": uni, "valid_over_unigram": v / uni, "fit_seconds": m.fit_time_})
    ok = [r for r in rows if r["chunks"] <= 1.0]
    best = min(ok, key=lambda r: (r["valid_perplexity"], r["chunks"]))
    for r in rows:
        r["chosen"] = r is best
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.text.quick_budget",
                                 description="The text quick preset's budget, chosen on validation perplexity.")
    ap.add_argument("--json", action="store_true", help="one JSON list instead of the table")
    args = ap.parse_args(argv)
    rows = pilot()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'epochs':>6} {'stride':>6} {'chunks':>6} {'valid ppl':>10} {'x unigram':>10} {'fit s':>7}")
    for r in rows:
        print(f"{r['epochs']:>6} {r['stride']:>6} {r['chunks']:>6.2f} {r['valid_perplexity']:>10.1f} "
              f"{r['valid_over_unigram']:>10.3f} {r['fit_seconds']:>7.1f}{'  <- chosen' if r['chosen'] else ''}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
