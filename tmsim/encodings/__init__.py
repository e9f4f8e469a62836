"""Trace -> tokens: encodings of a Turing machine run as token sequences for next-token learners.

Five named, versioned schemes, each with a vocabulary that depends only on (machine, encoding, params),
a loss mask (prompt / CoT / answer), exact length formulas, compiled batch encoding and a checking
decoder:

- ``transitions``: one 5-token record per step (state, read, write, move, next).
- ``tableau``: the Cook-Levin tableau, one row of W cells per configuration.
- ``snapshots(every=k)``: every k-th tableau row (the CoT-length knob).
- ``tableau-triples``: two tokens per cell so that every token is a function of tokens at fixed offsets
  (the trace a linear predictor over a window can emulate; see :class:`LocalRule`).
- ``gates``: the tableau update compiled into AND/OR/NOT gates, one binary token per gate.

Examples
--------
>>> from tmsim import parse_standard
>>> from tmsim.encodings import ENCODINGS, get_encoding
>>> bb2 = parse_standard("1RB1LB_1LA1RZ")
>>> [len(get_encoding(e).encode(bb2)) for e in ENCODINGS]
[37, 55, 113, 1345, 55]
>>> batch = get_encoding("transitions").encode_batch(bb2, ["", "1", "11"], max_steps=50)
>>> batch.statuses[0].value, batch.lengths.tolist()
('halted', [37, 27, 29])
"""

from .base import DEFAULT_MAX_STEPS, Encoding, input_cells
from .errors import EncodingError, RunLimitError, TraceError, VocabularyError
from .gates import Circuit, Gate, Gates, compile_circuit
from .layout import LayoutError, PositionLayout
from .local import LocalRule
from .registry import ENCODINGS, get_encoding
from .tableau import Snapshots, Tableau
from .transitions import Transitions
from .triples import TableauTriples
from .types import DecodedRun, RunSizes, TokenKind, Trace, TraceBatch
from .vocab import SPECIAL_TOKENS, Vocabulary

__all__ = [
    "get_encoding", "ENCODINGS",
    "Encoding", "Transitions", "Tableau", "Snapshots", "TableauTriples", "Gates",
    "Vocabulary", "SPECIAL_TOKENS", "TokenKind",
    "Trace", "TraceBatch", "DecodedRun", "RunSizes", "LocalRule", "PositionLayout", "LayoutError", "Circuit", "Gate", "compile_circuit",
    "input_cells", "DEFAULT_MAX_STEPS",
    "EncodingError", "TraceError", "RunLimitError", "VocabularyError",
]
