"""Tokens -> dataset: CoT datasets from any machine, as frozen ragged arrays with a loss mask, the vocabulary
and per-sample provenance; frozen train-short/test-long splits; npz, JSONL and Parquet files (the last two
loadable by Hugging Face ``datasets``), written atomically and streamed to disk in chunks.

==========================  =====================================================================
function                    what it does
==========================  =====================================================================
:func:`make_dataset`        draw inputs (:mod:`~tmsim.datasets.samplers`), encode every run, in memory
:func:`make_splits`         the parts of a :class:`Split` preset (:data:`SPLITS`), never sharing an input
:func:`write_dataset`       :func:`make_dataset` streamed chunk by chunk into a file, bounded memory
:func:`save`                a :class:`Dataset` to ``.npz``/``.jsonl``/``.parquet`` (a JSONL file: + ``PATH.vocab.json``)
:func:`load_dataset`        read one back, exactly
:func:`collate`             pad a batch into ``input_ids``/``labels``/``attention_mask`` (PyTorch, Hugging Face)
:func:`save_tokenizer`      the vocabulary as a Hugging Face ``tokenizer.json``
:func:`estimate_dataset`    tokens and bytes before generating (the counting pass on a pilot)
:mod:`~.tasks`              datasets no machine makes: arithmetic and parity CoT generators
==========================  =====================================================================

Every dataset knows its :class:`~tmsim.encodings.PositionLayout` (:attr:`Dataset.layout`), from the encoding
and row width it records, or from the task that made it.

Examples
--------
>>> import os, tempfile
>>> from tmsim import zoo
>>> from tmsim.datasets import load_dataset, make_splits, save
>>> parts = make_splits(zoo.get("binary-addition"), "tableau", "short-long-small", n_train=100, n_test=20,
...                     random_state=0)
>>> train, test = parts["train"], parts["test"]
>>> len(train), max(map(len, train.inputs)) < min(map(len, test.inputs)), train.encoding == test.encoding
(100, True, True)
>>> s = test[0]                                   # a Sample: tokens, kinds (the loss mask), provenance
>>> answer = "".join(t[2:] for t in s.vocabulary.names(s.answer)[1:-1])    # between <ans> and <eos>
>>> s.status.value, answer == zoo.get("binary-addition").expected(s.input), s.provenance.split
('halted', True, 'test')
>>> with tempfile.TemporaryDirectory() as d:
...     back = load_dataset(save(train, os.path.join(d, "train.parquet")))
>>> back == train
True
"""

from .dataset import STATUS_NAMES, Dataset, Sample, concat
from .errors import DatasetError, DatasetFormatError, RunTimeoutError, TaskError, TokenBudgetError
from .generate import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_TOKENS, ON_TIMEOUT, Estimate, estimate_dataset, make_dataset
from .provenance import Provenance
from .samplers import (SAMPLERS, ExhaustiveSampler, FunctionSampler, LanguageSampler, ListSampler, Sampler,
                       UniformSampler, get_sampler)
from .splits import SPLITS, Split, get_split, make_splits
from .storage import (FORMATS, IGNORE_INDEX, WriteSummary, collate, load_dataset, load_tokenizer, save, save_tokenizer,
                      tokenizer_path, vocabulary_checksum, vocabulary_path, write_dataset)
from . import tasks

__all__ = [
    "make_dataset", "make_splits", "write_dataset", "save", "load_dataset", "estimate_dataset",
    "Dataset", "Sample", "Provenance", "concat", "Estimate", "WriteSummary",
    "Split", "SPLITS", "get_split",
    "Sampler", "UniformSampler", "LanguageSampler", "ExhaustiveSampler", "FunctionSampler", "ListSampler",
    "get_sampler", "SAMPLERS",
    "collate", "save_tokenizer", "load_tokenizer", "tokenizer_path", "vocabulary_checksum", "IGNORE_INDEX",
    "FORMATS", "vocabulary_path", "STATUS_NAMES", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_TOKENS", "ON_TIMEOUT",
    "DatasetError", "DatasetFormatError", "RunTimeoutError", "TokenBudgetError", "TaskError", "tasks",
]
