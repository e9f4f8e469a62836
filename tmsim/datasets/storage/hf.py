"""Tokens -> dataset (Hugging Face and PyTorch): :func:`collate`, which pads a batch of ragged samples into
``input_ids`` / ``labels`` / ``attention_mask`` arrays (torch tensors when torch is installed), and
:func:`save_tokenizer` / :func:`load_tokenizer`, the vocabulary as a Hugging Face ``tokenizer.json`` (a
WordLevel model over the token names, split on white space) that ``tokenizers.Tokenizer.from_file`` and
``transformers.PreTrainedTokenizerFast(tokenizer_file=...)`` load, checked against a dataset's vocabulary by
checksum."""

from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ...encodings import Vocabulary
from ...io import atomic_write
from ..dataset import Dataset
from ..errors import DatasetError, DatasetFormatError
from ._base import IGNORE_INDEX, format_for_path, hf_labels, read_sidecar, target_path, vocabulary_checksum

__all__ = ["collate", "save_tokenizer", "load_tokenizer", "tokenizer_path", "file_vocabulary", "IGNORE_INDEX"]


# ---------------------------------------------------------------------------------------------- collate
def _row_arrays(row: Any, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(input_ids, labels, attention_mask)`` of one row: a :class:`~tmsim.datasets.Sample` (or any object
    with ``tokens`` and ``kinds``), or a mapping with ``input_ids`` (and ``labels``, ``attention_mask``, or
    ``kinds``; a Hugging Face or JSONL row)."""
    if isinstance(row, Mapping):
        if "input_ids" not in row and "tokens" not in row:
            raise DatasetError(f"collate: row {j} has neither 'input_ids' nor 'tokens'. Got keys {sorted(row)[:8]}.")
        ids = np.asarray(row["input_ids"] if "input_ids" in row else row["tokens"], dtype=np.int64).reshape(-1)
        if "labels" in row:
            labels = np.asarray(row["labels"], dtype=np.int64).reshape(-1)
        elif "kinds" in row:
            labels = hf_labels(ids, np.asarray(row["kinds"]).reshape(-1)).astype(np.int64)
        else:
            labels = ids.copy()
        mask = np.asarray(row["attention_mask"], dtype=np.int64).reshape(-1) if "attention_mask" in row \
            else np.ones(len(ids), np.int64)
    elif hasattr(row, "tokens") and hasattr(row, "kinds"):
        ids = np.asarray(row.tokens, dtype=np.int64)
        labels = hf_labels(row.tokens, row.kinds).astype(np.int64)
        mask = np.ones(len(ids), np.int64)
    else:
        raise DatasetError(f"collate: row {j} must be a Sample or a mapping with 'input_ids'. Got "
                           f"{type(row).__name__}.")
    if not (len(ids) == len(labels) == len(mask)):
        raise DatasetError(f"collate: row {j} has {len(ids)} input_ids, {len(labels)} labels and {len(mask)} "
                           f"attention_mask entries; they must be equal.")
    return ids, labels, mask


def collate(batch: Sequence[Any] | Dataset, *, pad_id: int = 0, max_length: int | None = None,
            return_tensors: str | None = None) -> dict[str, Any]:
    """Pad a batch of ragged samples into rectangular ``input_ids``, ``labels`` and ``attention_mask``.

    Padding goes on the right: ``input_ids`` gets ``pad_id`` (``<pad>`` is id 0 in every tmsim vocabulary),
    ``labels`` -100 (never trained; prompts already are -100) and ``attention_mask`` 0. Usable as the
    ``collate_fn`` of a ``torch.utils.data.DataLoader`` over a :class:`~tmsim.datasets.Dataset` or over
    rows read by Hugging Face ``datasets``.

    Parameters
    ----------
    batch : Dataset, or sequence of Sample or of mappings
        Mappings need ``input_ids`` (or ``tokens``) and may have ``labels``, ``attention_mask`` or ``kinds``
        (without them every token is trained).
    pad_id : int, default 0
    max_length : int, optional
        Keep at most this many tokens of each row (the first ones); default: the longest row.
    return_tensors : {"pt", "np"} or None
        ``"pt"``: torch tensors (int64); ``"np"``: numpy arrays (int64); None: torch when it is installed,
        else numpy.

    Returns
    -------
    dict
        ``input_ids``, ``labels``, ``attention_mask``: each shape (batch, length), int64.

    Raises
    ------
    DatasetError
        An empty batch, a row of another kind, rows whose columns differ in length, or a bad parameter.

    Examples
    --------
    >>> from tmsim import zoo
    >>> from tmsim.datasets import make_dataset
    >>> ds = make_dataset(zoo.get("parity"), "transitions", n=3, lengths=(1, 4), random_state=0)
    >>> b = collate(ds, return_tensors="np")
    >>> b["input_ids"].shape == (3, int(ds.lengths.max())), int(b["attention_mask"].sum()) == ds.n_tokens
    (True, True)
    >>> int((b["labels"] != -100).sum()) == int(ds.loss_mask.sum())     # the prompt is never a label
    True
    """
    if return_tensors not in (None, "pt", "np"):
        raise DatasetError(f"The 'return_tensors' parameter of collate must be 'pt', 'np' or None. Got "
                           f"{return_tensors!r} instead.")
    if isinstance(pad_id, bool) or not isinstance(pad_id, (int, np.integer)):
        raise DatasetError(f"The 'pad_id' parameter of collate must be an int. Got {pad_id!r} instead.")
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer))
                                   or max_length < 1):
        raise DatasetError(f"The 'max_length' parameter of collate must be an int >= 1 or None. Got "
                           f"{max_length!r} instead.")
    rows = [_row_arrays(r, j) for j, r in enumerate(batch)]
    if not rows:
        raise DatasetError("collate: the batch is empty.")
    width = max(len(r[0]) for r in rows)
    if max_length is not None:
        width = min(width, int(max_length))
    out = {"input_ids": np.full((len(rows), width), int(pad_id), np.int64),
           "labels": np.full((len(rows), width), IGNORE_INDEX, np.int64),
           "attention_mask": np.zeros((len(rows), width), np.int64)}
    for j, (ids, labels, mask) in enumerate(rows):
        n = min(len(ids), width)
        out["input_ids"][j, :n] = ids[:n]
        out["labels"][j, :n] = labels[:n]
        out["attention_mask"][j, :n] = mask[:n]
    if return_tensors == "pt" or (return_tensors is None and importlib.util.find_spec("torch") is not None):
        import torch  # optional dependency: only when tensors are asked for (or torch is there)

        return {k: torch.from_numpy(v) for k, v in out.items()}
    return out


# ---------------------------------------------------------------------------------------------- tokenizer
def file_vocabulary(path: str | os.PathLike, format: str | None = None) -> Vocabulary:
    """The vocabulary of a dataset file, read without its rows: the ``meta`` member of an npz, the schema
    metadata of a Parquet file, the sidecar of a JSONL file (whose rows' binding :func:`load_dataset`
    checks).

    Raises
    ------
    DatasetFormatError
        No such file, or no tmsim vocabulary in it.
    """
    owner = "load_tokenizer"
    p = Path(path)
    fmt = format_for_path(p, format, owner)
    if not p.is_file():
        raise DatasetFormatError(f"{owner}: no such dataset file {str(p)!r}.")
    try:
        if fmt == "npz":
            with np.load(p, allow_pickle=False) as z:
                return Vocabulary.from_json(json.loads(str(z["meta"]))["vocabulary"])
        if fmt == "parquet":
            from .parquet import arrow  # pyarrow: imported on first use

            kv = arrow()[1].read_schema(p).metadata or {}
            if b"tmsim.vocabulary" in kv:
                return Vocabulary.from_json(kv[b"tmsim.vocabulary"].decode("utf-8"))
        return read_sidecar(p, owner)[0]
    except DatasetFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, RecursionError, zipfile.BadZipFile) as e:
        raise DatasetFormatError(f"{owner}: {str(p)!r} holds no tmsim vocabulary ({type(e).__name__}: "
                                 f"{str(e)[:120]}).") from None


def tokenizer_path(path: str | os.PathLike) -> Path:
    """Where :func:`save_tokenizer` puts the tokenizer of a dataset file by default: ``PATH.tokenizer.json``."""
    return Path(str(path) + ".tokenizer.json")


def _tokenizer_doc(vocab: Vocabulary) -> dict:
    """The ``tokenizer.json`` document (the ``tokenizers`` serialization, version 1.0): a WordLevel model
    whose vocab is the token names in id order, a WhitespaceSplit pre-tokenizer (names hold no white space:
    ``Sample.text()`` is the names joined by spaces), the bracketed names (``<pad>``, ``<sep>``, ...) as
    special added tokens. ``unk_token`` is ``<unk>``, which no tmsim vocabulary holds: a name outside the
    vocabulary is an error, never silently another token."""
    specials = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
                for i, t in enumerate(vocab.tokens) if t.startswith("<") and t.endswith(">")]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": specials, "normalizer": None,
            "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": {t: i for i, t in enumerate(vocab.tokens)}, "unk_token": "<unk>"}}


def save_tokenizer(vocabulary: Vocabulary | Dataset, path: str | os.PathLike, *, what: str | None = None) -> Path:
    """Write a vocabulary (or a dataset's) as a Hugging Face ``tokenizer.json``, atomically.

    The file carries nothing but the vocabulary, and :func:`load_tokenizer` checks it against a dataset by
    :func:`~tmsim.datasets.storage.vocabulary_checksum` (every dataset file records that checksum), so a
    tokenizer and a dataset whose token ids mean different things never pair silently.

    Parameters
    ----------
    vocabulary : Vocabulary or Dataset
    path : str or path-like
        Conventionally ``PATH.tokenizer.json`` beside a dataset file (:func:`tokenizer_path`).
    what : str, optional
        How error messages name ``path``.

    Returns
    -------
    Path

    Examples
    --------
    >>> import os, tempfile
    >>> from tokenizers import Tokenizer
    >>> from tmsim import zoo
    >>> from tmsim.datasets import make_dataset
    >>> ds = make_dataset(zoo.get("parity"), "transitions", n=2, lengths=(2, 3), random_state=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     tok = Tokenizer.from_file(str(save_tokenizer(ds, os.path.join(d, "tokenizer.json"))))
    >>> tok.encode(ds[0].text()).ids == ds[0].tokens.tolist()
    True
    """
    owner = "save_tokenizer"
    vocab = vocabulary.vocabulary if isinstance(vocabulary, Dataset) else vocabulary
    if not isinstance(vocab, Vocabulary):
        raise DatasetError(f"The 'vocabulary' parameter of {owner} must be a Vocabulary or a Dataset. Got "
                           f"{type(vocabulary).__name__}.")
    target = target_path(path, owner, what)
    text = json.dumps(_tokenizer_doc(vocab), ensure_ascii=False, indent=1) + "\n"
    return atomic_write(target, lambda f: f.write(text.encode("utf-8")), what=what or f"The 'path' parameter of {owner}")


def load_tokenizer(path: str | os.PathLike, *, dataset: Any = None) -> Vocabulary:
    """Read a ``tokenizer.json`` of :func:`save_tokenizer` back as a :class:`Vocabulary`, optionally checking
    that it is the vocabulary of ``dataset``.

    Parameters
    ----------
    path : str or path-like
    dataset : Dataset, Vocabulary or path of a dataset file, optional
        With it, the tokenizer's :func:`vocabulary_checksum` must equal the dataset's (a file's is read from
        its recorded vocabulary).

    Raises
    ------
    DatasetFormatError
        Not a WordLevel tokenizer file, ids that are not 0..V-1, or, in one line, a tokenizer that does not
        belong to ``dataset``.
    """
    owner = "load_tokenizer"
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        model = doc["model"]
        if model.get("type") != "WordLevel":
            raise ValueError(f"model type {model.get('type')!r}, not 'WordLevel'")
        pairs = sorted(model["vocab"].items(), key=lambda kv: kv[1])
        if [i for _, i in pairs] != list(range(len(pairs))):
            raise ValueError("the vocab ids are not 0..V-1")
        vocab = Vocabulary(tuple(t for t, _ in pairs))
    except FileNotFoundError:
        raise DatasetFormatError(f"{owner}: no such file {str(p)!r}.") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise DatasetFormatError(f"{owner}: {str(p)!r} is not a tokenizer.json of a tmsim vocabulary ({e}).") from None
    if dataset is not None:
        if isinstance(dataset, (str, os.PathLike)):
            want, where = file_vocabulary(dataset), str(dataset)
        elif isinstance(dataset, Dataset):
            want, where = dataset.vocabulary, "the dataset"
        elif isinstance(dataset, Vocabulary):
            want, where = dataset, "the vocabulary"
        else:
            raise DatasetError(f"The 'dataset' parameter of {owner} must be a Dataset, a Vocabulary or a path. Got "
                               f"{type(dataset).__name__}.")
        got, exp = vocabulary_checksum(vocab), vocabulary_checksum(want)
        if got != exp:
            raise DatasetFormatError(f"{owner}: {str(p)!r} is not the tokenizer of {where!r}: vocabulary checksum "
                                     f"{got} ({len(vocab)} tokens), the dataset's {exp} ({len(want)} tokens).")
    return vocab
