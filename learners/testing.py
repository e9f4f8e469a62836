"""Evaluation (property-based): check that a next-token model emulates a machine, with hypothesis inputs,
token-by-token comparison against the simulator's trace, and shrinking to the smallest failing input.

Any model works through a small protocol: ``predict_next(context) -> int`` (the argmax next token id after
the token ids ``context``). Models that also have ``generate(prompts, max_new_tokens=...)`` (the learners
here) are rolled out in one batched call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np
from hypothesis import HealthCheck, given, settings

from tmsim.encodings import get_encoding
from tmsim.testing import inputs as input_strategy

__all__ = ["NextTokenModel", "Divergence", "EmulationFailure", "rollout_divergence", "check_emulates"]


class NextTokenModel(Protocol):
    """What :func:`check_emulates` needs of a model."""

    def predict_next(self, context: Sequence[int]) -> int:  # pragma: no cover - protocol
        ...


@dataclass(frozen=True)
class Divergence:
    """Where a free rollout first leaves the simulator's trace.

    Attributes
    ----------
    input : str or tuple
    position : int
        Token index in the trace (the prompt included).
    expected, got : str
        Token names (``"<end>"`` when one sequence stopped before the other).
    trace_length : int
    """

    input: Any
    position: int
    expected: str
    got: str
    trace_length: int

    def __str__(self) -> str:
        return (f"on input {self.input!r}: first divergence at token {self.position} of {self.trace_length}: "
                f"expected {self.expected!r}, got {self.got!r}")


class EmulationFailure(AssertionError):
    """A model's rollout differs from the machine's trace; ``divergence`` says where (after shrinking)."""

    def __init__(self, message: str, divergence: Divergence):
        super().__init__(message)
        self.divergence = divergence


def _rollout(model: Any, prompt: np.ndarray, n_new: int) -> np.ndarray:
    if hasattr(model, "generate"):
        return np.asarray(model.generate([prompt], max_new_tokens=n_new)[0])
    seq = [int(t) for t in prompt]
    for _ in range(n_new):
        seq.append(int(model.predict_next(seq)))
    return np.asarray(seq)


def rollout_divergence(model: Any, machine: Any, encoding: Any, input: Any, *, max_steps: int = 10_000) -> Divergence | None:
    """Roll ``model`` out from the prompt of ``encoding``'s trace of ``machine`` on ``input`` and return the
    first divergence from the trace, or None when the rollout reproduces it exactly (up to its end token).

    ``encoding`` is an encoding object or spec string of :mod:`tmsim.encodings`.
    """
    enc = get_encoding(encoding) if isinstance(encoding, str) else encoding
    trace = enc.encode(machine, input, max_steps=max_steps)
    tokens = np.asarray(trace.tokens)
    n_prompt = int(np.argmax(trace.kinds != 0)) if (trace.kinds != 0).any() else len(tokens)
    out = _rollout(model, tokens[:n_prompt], len(tokens) - n_prompt)
    vocab = enc.vocabulary(machine)
    m = min(len(out), len(tokens))
    diff = np.flatnonzero(out[:m] != tokens[:m])
    if diff.size:
        p = int(diff[0])
        return Divergence(input, p, vocab.name(int(tokens[p])), vocab.name(int(out[p])) if 0 <= out[p] < len(vocab)
                          else str(int(out[p])), len(tokens))
    if len(out) != len(tokens):
        return Divergence(input, m, vocab.name(int(tokens[m])) if m < len(tokens) else "<end>",
                          vocab.name(int(out[m])) if m < len(out) else "<end>", len(tokens))
    return None


def check_emulates(model: Any, machine: Any, encoding: Any, *, inputs: Any = None, min_size: int = 0,
                   max_size: int = 8, max_examples: int = 100, max_steps: int = 10_000,
                   well_formed: Any = None) -> None:
    """Hypothesis-driven check that ``model`` emulates ``machine`` under ``encoding``.

    Generates inputs (``inputs``: a hypothesis strategy; default strings over the machine's input alphabet
    of length ``min_size..max_size``, filtered by ``well_formed`` if given), compares each free rollout with
    the simulator's trace token by token, and on failure lets hypothesis shrink to the smallest failing
    input.

    Raises
    ------
    EmulationFailure
        With the shrunk input and the first diverging position and both tokens.

    Examples
    --------
    >>> from tmsim import zoo
    >>> from learners import compile_linear
    >>> parity = zoo.get("parity").machine
    >>> compiled = compile_linear(parity, "tableau-triples", width=12)
    >>> check_emulates(compiled, parity, compiled.encoding, max_size=8, max_examples=20)  # passes silently
    """
    strategy = inputs if inputs is not None else input_strategy(machine, min_size=min_size, max_size=max_size)
    if well_formed is not None:
        strategy = strategy.filter(well_formed)
    found: list[Divergence] = []

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(strategy)
    def emulates(x: Any) -> None:
        d = rollout_divergence(model, machine, encoding, x, max_steps=max_steps)
        if d is not None:
            found.append(d)
            raise AssertionError(str(d))

    try:
        emulates()
    except AssertionError:
        d = found[-1]  # hypothesis re-runs the shrunk example last
        raise EmulationFailure(f"The model does not emulate machine {getattr(machine, 'name', machine)!r} "
                               f"{d}.", d) from None
