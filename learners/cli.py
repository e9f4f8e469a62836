"""CLI: ``learners fit | eval | generate | compile``, a thin argparse layer over the learners.

Bad input (a missing or malformed dataset or model file, a bad parameter, mismatched vocabularies, an
unknown encoding) exits with status 2 and one line ``learners: error: <message>`` on stderr, never a
traceback.

Examples
--------
>>> import tempfile, os
>>> from tmsim.datasets import make_dataset, save
>>> d = tempfile.mkdtemp()
>>> data = save(make_dataset("zoo:parity", "tableau-triples", n=200, lengths=(1, 5), width=10,
...                          random_state=0), os.path.join(d, "parity.npz"))
>>> main(["fit", str(data), "--model", "perceptron", "--window", "23", "--out", os.path.join(d, "m.npz"),
...       "--seed", "0", "--quiet"])
0
>>> main(["eval", os.path.join(d, "m.npz"), str(data), "--json"])  # doctest: +ELLIPSIS
{"token_accuracy": 1.0, "sequence_error": 0.0, "exact_match": 1.0, "answer_exact_match": 1.0, ...}
0
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2


class _Error(Exception):
    """A bad-input error raised by the CLI itself."""


def _load_data(path: str):
    from tmsim.datasets import load_dataset

    if not Path(path).is_file():
        raise _Error(f"no dataset file at {path!r}.")
    return load_dataset(path)


def _parse_offsets(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        offs = tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise _Error(f"--offsets must be a comma-separated list of integers >= 1, e.g. 1,2,4. Got {text!r}.") \
            from None
    if not offs or min(offs) < 1:
        raise _Error(f"--offsets must be a comma-separated list of integers >= 1, e.g. 1,2,4. Got {text!r}.")
    return offs


def _parse_period(text: str) -> int | None:
    if text.lower() in ("none", "time", "absolute"):
        return None
    try:
        p = int(text)
    except ValueError:
        p = 0
    if p < 1:
        raise _Error(f"--period must be an integer >= 1 or 'none' (one block per absolute position). Got {text!r}.")
    return p


def _cmd_fit(args: argparse.Namespace) -> int:
    from .linear import LeastSquaresAR, PerceptronAR

    data = _load_data(args.dataset)
    offsets = _parse_offsets(args.offsets)
    period = _parse_period(args.period)
    if args.model == "perceptron":
        model = PerceptronAR(window=args.window, offsets=offsets, averaged=not args.last_weights,
                             max_iter=args.max_iter, random_state=args.seed, period=period)
    else:
        model = LeastSquaresAR(window=args.window, offsets=offsets, alpha=args.alpha, period=period)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise _Error(f"--out: directory {str(out.parent)!r} does not exist.")
    t = time.perf_counter()
    model.fit(data)
    seconds = time.perf_counter() - t
    model.save(out)
    summary = {"model": args.model, "out": str(out), "fit_seconds": seconds, "windows": int(np.count_nonzero(
        np.asarray(data.kinds))), "train_token_accuracy": model.score(data)}
    if args.model == "perceptron":
        summary.update(converged=bool(model.converged_), epochs=int(model.n_iter_))
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        print(", ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in summary.items()))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .base import load_model
    from .evaluate import evaluate

    model = load_model(args.model)
    data = _load_data(args.dataset)
    ev = evaluate(model, data, rollout=not args.no_rollout)
    result = ev.to_dict()
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:<22} {v}")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from .base import load_model

    model = load_model(args.model)
    vocab = model.vocabulary_
    parts = args.prompt.split()
    if args.ids:
        try:
            prompt = [int(p) for p in parts]
        except ValueError:
            raise _Error(f"--prompt with --ids must be integers separated by spaces. Got {args.prompt!r}.") from None
    else:
        if vocab is None:
            raise _Error("this model has no vocabulary: give the prompt as token ids with --ids.")
        unknown = [p for p in parts if p not in vocab]
        if unknown:
            raise _Error(f"--prompt token {unknown[0]!r} is not in the model's vocabulary ({len(vocab)} tokens).")
        prompt = [vocab.id(p) for p in parts]
    out = model.generate([prompt], max_new_tokens=args.max_new_tokens)[0]
    new = out[len(prompt):]
    if args.json:
        print(json.dumps({"prompt": prompt, "generated": new.tolist(),
                          "names": vocab.names(new) if vocab is not None else None}))
    elif args.ids or vocab is None:
        print(" ".join(str(int(t)) for t in new))
    else:
        print(" ".join(vocab.names(new)))
    return 0


def _cmd_compile(args: argparse.Namespace) -> int:
    from tmsim import zoo
    from tmsim.resolve import load_machine, resolve_encoding

    from .compile import compile_linear

    machine = load_machine(args.machine, args.format)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise _Error(f"--out: directory {str(out.parent)!r} does not exist.")
    # The same encoding defaults as `tmsim dataset` (a zoo accept-task answers with its final state), so the
    # compiled model shares the vocabulary of the datasets made for the same machine.
    entry = zoo.get(args.machine) if args.machine.startswith("zoo:") else None
    enc = resolve_encoding(args.encoding, width=args.width, entry=entry, owner="learners compile")
    compiled = compile_linear(machine, enc, width=args.width, left=args.left)
    compiled.save(out)
    report = compiled.report()
    info = {"out": str(out), **{k: report[k] for k in ("machine", "encoding", "width", "window", "vocab_size",
                                                       "blocks", "nonzero", "dense_parameters")}}
    if args.json:
        print(json.dumps(info, default=str))
    else:
        print(", ".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="learners", description="Linear auto-regressive next-token learners.")
    sub = ap.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fit", help="train a linear AR model on a dataset (npz/jsonl/parquet from tmsim dataset)")
    f.add_argument("dataset")
    f.add_argument("--model", choices=("perceptron", "least-squares"), required=True)
    f.add_argument("--window", type=int, default=8, help="offsets 1..K (default 8)")
    f.add_argument("--offsets", help="explicit offsets, comma-separated (overrides --window)")
    f.add_argument("--period", default="1", help="weight blocks by position: 1, P, or 'none' (time-dependent)")
    f.add_argument("--alpha", type=float, default=1.0, help="ridge penalty (least-squares)")
    f.add_argument("--max-iter", type=int, default=100, help="epochs at most (perceptron)")
    f.add_argument("--last-weights", action="store_true", help="perceptron: no averaging")
    f.add_argument("--seed", type=int, default=None)
    f.add_argument("--out", required=True)
    f.add_argument("--json", action="store_true")
    f.add_argument("--quiet", action="store_true")
    f.set_defaults(func=_cmd_fit)

    e = sub.add_parser("eval", help="teacher-forced and free-rollout metrics of a model on a dataset")
    e.add_argument("model")
    e.add_argument("dataset")
    e.add_argument("--no-rollout", action="store_true", help="teacher-forced metrics only")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_cmd_eval)

    g = sub.add_parser("generate", help="greedy rollout from a prompt")
    g.add_argument("model")
    g.add_argument("--prompt", required=True, help="token names (or ids with --ids), separated by spaces")
    g.add_argument("--ids", action="store_true")
    g.add_argument("--max-new-tokens", type=int, default=1000)
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_cmd_generate)

    c = sub.add_parser("compile", help="compile a machine into explicit linear weights (no training)")
    c.add_argument("machine", help="a file, a standard-format string, or zoo:NAME")
    c.add_argument("--encoding", required=True, choices=("tableau-triples", "gates"))
    c.add_argument("--width", type=int, required=True, help="tableau row width W")
    c.add_argument("--left", type=int, default=None)
    c.add_argument("--format", default=None, help="machine file format")
    c.add_argument("--out", required=True)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_cmd_compile)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 success, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (_Error, ValueError, OSError) as e:
        print(f"learners: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
