"""The paper's text experiment (``proofs-checks run text``): corpora (:mod:`.corpora`), tokenizers
(:mod:`.tokenizers`), the linear and one-ReLU models on :class:`learners.MLPAR` (:mod:`.models`), the
unigram and Kneser-Ney baselines (:mod:`.ngram`), the tiny transformer (:mod:`.transformer_baseline`, on
:class:`learners.TransformerAR`)
and the runner (:mod:`.experiment`: :func:`run_text`, :func:`main`)."""

from .corpora import Corpus, load_austen, load_corpus, load_tinystories, split_documents
from .errors import CorpusError, TextError
from .experiment import TextConfig, TextResult, default_config, main, run_text

__all__ = ["run_text", "main", "TextConfig", "TextResult", "default_config", "Corpus", "load_austen",
           "load_tinystories", "load_corpus", "split_documents", "TextError", "CorpusError"]
