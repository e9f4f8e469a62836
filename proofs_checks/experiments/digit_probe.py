"""Experiment: one answer digit of the paper's multiplication CoT learnt in isolation -- the easiest form of
what the paper-CoT MLP of :mod:`proofs_checks.experiments.multiplication` must learn at that position, with
the loss on that digit alone and a window holding exactly the tokens it depends on.

Run it as ``python -m proofs_checks.experiments.digit_probe --digit J [--time S] [--json]`` (or as
``python -m proofs_checks.experiments.multiplication --probe-digit J --probe-time S``), or from Python::

    from proofs_checks.experiments.digit_probe import digit_probe
    print(digit_probe(7, max_time=30).accuracy)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from learners import MLPAR
from tmsim.datasets.tasks import get_task

from ..errors import CheckError
from ._cli import positive_int, positive_seconds

__all__ = ["DigitProbeConfig", "ProbeResult", "digit_probe", "run_digit_probe", "curve_lines", "main"]

#: Answer digits of the paper's 4-digit CoT (the 8-digit product, most significant first).
N_DIGITS = 8


@dataclass(frozen=True)
class DigitProbeConfig:
    """One probe run (the defaults are the command line's)."""

    digit: int = 7  # the least significant digit: one partial product decides it, the positive control
    max_time: float = 300.0  # five minutes on one thread: the end digits reach ~1.0 well within it
    n_train: int = 400_000  # the few hundred thousand samples the end digits need; the MLP draws with replacement
    n_test: int = 2000  # held-out pairs: the accuracy to about +-1%
    hidden_layer_sizes: tuple[int, ...] = (512, 512)  # the full run's no-CoT MLP: capacity is not the limit
    learning_rate: float = 1e-3  # the paper's AdamW rate, constant (the probe is about what that rate can grow)
    evals: int = 10  # points of the learning curve, spread over max_time
    seed: int = 0  # the data and the MLP's initialisation

    def __post_init__(self):
        if isinstance(self.digit, bool) or not isinstance(self.digit, (int, np.integer)) \
                or not 0 <= int(self.digit) < N_DIGITS:
            raise CheckError(f"digit_probe: 'digit' must be 0..7 (most significant first). Got {self.digit!r}.")
        if not (isinstance(self.max_time, (int, float, np.number)) and self.max_time > 0):
            raise CheckError(f"The 'max_time' parameter of digit_probe must be a number of seconds > 0. Got "
                             f"{self.max_time!r} instead.")
        for name in ("n_train", "n_test", "evals"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CheckError(f"The {name!r} parameter of digit_probe must be an int >= 1. Got {v!r} instead.")


@dataclass
class ProbeResult:
    """One answer digit of the paper's CoT learnt in isolation (see :func:`digit_probe`).

    Attributes
    ----------
    digit : int
        Answer position, 0 = most significant (of 8).
    window : int
        Tokens before the digit the MLP sees (the 16 partial products, ``=`` and the digits before it).
    samples : list of int
        Training samples seen at each evaluation.
    accuracy, loss : list of float
        Held-out accuracy of the digit (chance: 0.1) and the training loss (chance: ln 10 = 2.303) there.
    seconds : list of float
    n_parameters : int
    """

    digit: int
    window: int
    samples: list
    accuracy: list
    loss: list
    seconds: list
    n_parameters: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def digit_probe(digit: int, *, max_time: float = DigitProbeConfig.max_time,
                n_train: int = DigitProbeConfig.n_train, n_test: int = DigitProbeConfig.n_test,
                hidden_layer_sizes: tuple[int, ...] = DigitProbeConfig.hidden_layer_sizes,
                learning_rate: float = DigitProbeConfig.learning_rate, evals: int = DigitProbeConfig.evals,
                seed: int = DigitProbeConfig.seed, verbose: int = 1) -> ProbeResult:
    """Learn one answer digit of the ``mul-paper`` CoT as a plain supervised problem.

    The easiest form of what the paper-CoT MLP must learn at that position: the training loss is on that
    digit alone, and the window holds exactly the tokens it depends on (the 16 zero-padded partial products,
    the ``=`` and the answer digits emitted before it). Digits near either end of the product are learnt
    from a few hundred thousand samples; a middle digit is ``floor(z - 10 H)`` where ``z`` weighs the
    partial-product digits by powers of ten down to 10^-4 and ``H`` is the number the higher digits spell --
    weights over about seven orders of magnitude that cancel exactly, which AdamW grows by about the learning
    rate per step.

    Parameters
    ----------
    digit : int
        0..7, most significant first.
    max_time : float
        Seconds of training (one thread).
    n_train, n_test : int
        Training pairs (drawn with replacement by the MLP's batches) and held-out pairs (the test split).
    hidden_layer_sizes, learning_rate : MLP parameters (embedding 16, AdamW, batch 256, constant rate).
    evals : int
        Held-out evaluations spread over ``max_time``.
    seed : int
    verbose : int
        One line per evaluation on stderr.

    Returns
    -------
    ProbeResult

    Raises
    ------
    CheckError
        A digit outside 0..7, a non-positive time or size.

    Examples
    --------
    >>> r = digit_probe(7, max_time=2, n_train=2000, n_test=200, hidden_layer_sizes=(32,), verbose=0)
    >>> len(r.accuracy) >= 1
    True
    """
    cfg = DigitProbeConfig(digit=digit, max_time=max_time, n_train=n_train, n_test=n_test,
                           hidden_layer_sizes=tuple(hidden_layer_sizes), learning_rate=learning_rate, evals=evals,
                           seed=seed)
    return run_digit_probe(cfg, verbose=verbose)


def run_digit_probe(config: DigitProbeConfig, *, verbose: int = 1) -> ProbeResult:
    """:func:`digit_probe` from a :class:`DigitProbeConfig`."""
    digit, seed, max_time, evals = int(config.digit), config.seed, float(config.max_time), config.evals
    task = get_task("mul-paper")
    train = task.make_dataset(config.n_train, split="train", random_state=seed)
    test = task.make_dataset(config.n_test, split="test", random_state=seed + 1)
    L = int(train.offsets[1])  # every sequence has the same length
    pos = L - N_DIGITS + digit
    # The partial products start after the third "=" of the sequence.
    eq = task.vocabulary.id("=")
    first = np.flatnonzero(train.tokens[:L] == eq)[2] + 1
    window = int(pos - first + 1)

    def only_digit(ds):
        kinds = np.zeros_like(ds.kinds)
        kinds[np.arange(len(ds.offsets) - 1) * L + pos] = 2
        return ds.tokens, ds.offsets, kinds

    tr, te = only_digit(train), only_digit(test)
    y_te = te[0][te[2] != 0]
    res = ProbeResult(digit, window, [], [], [], [], 0)
    t0 = time.perf_counter()

    def record(model, epoch, final=False):
        if not final and res.seconds and time.perf_counter() - t0 < res.seconds[-1] + max_time / evals:
            return False
        acc = float(np.mean(model.predict(te) == y_te))
        res.samples.append(int(model.n_steps_ * model.batch_size))
        res.accuracy.append(acc)
        res.loss.append(float(model.running_loss_))
        res.seconds.append(time.perf_counter() - t0)
        if verbose:
            print(f"digit {digit}: {res.samples[-1]:,} samples, loss {res.loss[-1]:.3f}, held-out accuracy "
                  f"{acc:.3f} ({res.seconds[-1]:.0f} s)", file=sys.stderr, flush=True)
        return False

    model = MLPAR(window=window, embedding_dim=16, hidden_layer_sizes=tuple(config.hidden_layer_sizes),
                  batch_size=256, learning_rate=config.learning_rate, lr_schedule="constant", warmup=0.0,
                  max_epochs=10_000, validation_fraction=0.0, early_stopping=False, max_time=max_time,
                  random_state=seed, verbose=0)
    model.fit(tr, callback=record, callback_every=50)
    record(model, model.n_epochs_, final=True)
    res.n_parameters = int(model.n_parameters_)
    return res


def curve_lines(result: ProbeResult) -> list[str]:
    """The learning curve as printed by the command line, one line per evaluation."""
    return [f"digit {result.digit}  samples {n:>10,}  training loss {l:.3f}  held-out accuracy {a:.3f}"
            for n, a, l in zip(result.samples, result.accuracy, result.loss)]


def main(argv: list[str] | None = None) -> int:
    """``python -m proofs_checks.experiments.digit_probe``: print the learning curve of one answer digit."""
    d = {f.name: f.default for f in fields(DigitProbeConfig)}
    ap = argparse.ArgumentParser(prog="python -m proofs_checks.experiments.digit_probe",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--digit", type=int, default=d["digit"], metavar="J", choices=range(N_DIGITS),
                    help="answer digit, 0 = most significant (default: %(default)s)")
    ap.add_argument("--time", type=positive_seconds, default=d["max_time"], help="seconds of training "
                    "(default: %(default)s)")
    ap.add_argument("--n-train", type=positive_int, default=d["n_train"], help="training pairs (default: %(default)s)")
    ap.add_argument("--n-test", type=positive_int, default=d["n_test"], help="held-out pairs (default: %(default)s)")
    ap.add_argument("--evals", type=positive_int, default=d["evals"], help="points of the curve (default: "
                    "%(default)s)")
    ap.add_argument("--seed", type=int, default=d["seed"])
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = ap.parse_args(argv)
    cfg = DigitProbeConfig(digit=args.digit, max_time=args.time, n_train=args.n_train, n_test=args.n_test,
                           evals=args.evals, seed=args.seed)
    r = run_digit_probe(cfg, verbose=0 if args.quiet else 1)
    print(json.dumps(r.to_dict(), indent=1) if args.json else "\n".join(curve_lines(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
