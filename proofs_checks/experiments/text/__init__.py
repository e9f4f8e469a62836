"""The paper's text experiment (``proofs-checks run text``): corpora (:mod:`.corpora`), tokenizers
(:mod:`.tokenizers`), the linear and one-ReLU models on :class:`learners.MLPAR` (:mod:`.models`), the
unigram and Kneser-Ney baselines (:mod:`.ngram`), the tiny transformer (:mod:`.transformer_baseline`, on
:class:`learners.TransformerAR`)
and the runner (:mod:`.experiment`: :func:`run_text`, :func:`main`)."""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the submodule that defines it (imported on first use: ``proofs-checks --help`` and the
#: CLI's error handling need only :mod:`.errors`).
_WHERE = {
    "Corpus": "corpora", "load_austen": "corpora", "load_corpus": "corpora", "load_tinystories": "corpora",
    "split_documents": "corpora", "CorpusError": "errors", "TextError": "errors",
    "TextConfig": "experiment", "TextResult": "experiment", "default_config": "experiment", "main": "experiment",
    "run_text": "experiment",
}

__all__ = ["run_text", "main", "TextConfig", "TextResult", "default_config", "Corpus", "load_austen",
           "load_tinystories", "load_corpus", "split_documents", "TextError", "CorpusError"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
