"""CLI: ``learners fit | eval | generate | compile``, a thin argparse layer over the learners: ``fit`` trains a
linear model (perceptron, least squares) or an MLP and saves it; ``eval`` and ``generate`` read any saved
kind (:func:`learners.load_model`: linear, MLP, compiled) by the format tag in its file.

``fit`` of a linear model reads, per position class of the dataset's layout, the offsets
``--features`` chooses: ``auto`` (the default) discovers them from the training traces
(:func:`learners.discovery.discover_layout`) and prints them, ``declared`` takes the encoding's, ``window``
the offsets 1..``--window`` (also what ``--window`` or ``--period`` given alone select, as before
``--features`` existed); ``--offsets`` wins over all.

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
>>> main(["fit", str(data), "--model", "perceptron", "--out", os.path.join(d, "m.npz"), "--seed", "0"])
...                                                          # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
model: perceptron, out: ..., converged: True, epochs: ..., features: auto
offsets per class, discovered from the training traces (search window 23, 160 search + 40 held-out traces; every
training token decided):
  header: 2
  filler: 1
  intermediate: ...
  cell: 1, 22
0
>>> main(["eval", os.path.join(d, "m.npz"), str(data), "--json"])  # doctest: +ELLIPSIS
{"token_accuracy": 1.0, "sequence_error": 0.0, "exact_match": 1.0, "answer_exact_match": 1.0, ...}
0
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from tmsim import interrupts
from tmsim._cliutil import Progress, announce_compile, name_flags, quiet_stdout, say_wrote

# The datasets, encodings and learners are imported by the commands that use them (below), so that
# ``learners --help`` and usage errors answer without loading scikit-learn, numba or sympy.

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2
#: Seconds a stage of ``learners fit`` lasts before its progress lines print into a log (until then they are
#: held: printed at the end, dropped on an error, so that a bad input found as a stage starts stays one line).
FIT_PROGRESS_DELAY = 20.0


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


def _parse_hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        sizes = (0,)
    if any(h < 1 for h in sizes):
        raise _Error(f"--hidden must be comma-separated layer sizes >= 1 (e.g. 256 or 128,128; '' for none). "
                     f"Got {text!r}.")
    return sizes


def _check_out(out: Path) -> None:
    if not out.parent.is_dir():
        raise _Error(f"--out: directory {str(out.parent)!r} does not exist.")
    if out.is_dir():
        raise _Error(f"--out {str(out)!r} is a directory; give a file name, e.g. {str(out / 'model.npz')!r}.")


def _features(args: argparse.Namespace, offsets: tuple[int, ...] | None) -> str:
    """The feature choice of a linear fit: ``offsets`` when --offsets is given (it wins), else --features,
    else ``window`` when --window or --period is given (what they meant before --features), else ``auto``."""
    if offsets is not None:
        return "offsets"
    features = args.features
    if features is None:
        features = "window" if args.window is not None or args.period is not None else "auto"
    if features != "window" and args.window is not None:
        raise _Error(f"--window sets the offsets 1..K of --features window (and of --model mlp); the discovery "
                     f"search window of --features auto is --discovery-window. Got --window {args.window} with "
                     f"--features {features}.")
    if features != "auto" and args.discovery_window is not None:
        raise _Error(f"--discovery-window applies to --features auto. Got it with --features {features}.")
    return features


def _linear_layout(args: argparse.Namespace, features: str):
    """The ``layout=`` of a linear model: from --period (None: one shared block, or with auto / declared the
    dataset's own layout)."""
    from tmsim.encodings import PositionLayout

    from .linear.features import period_layout

    period = _parse_period("1" if args.period is None else args.period)
    if features in ("auto", "declared") and args.period is not None and period == 1:
        return PositionLayout.shift_invariant()  # an explicit --period 1: one class, not the dataset's
    return period_layout(period)


def _make_model(args: argparse.Namespace):
    from .linear import LeastSquaresAR, PerceptronAR
    from .mlp import MLPAR

    offsets = _parse_offsets(args.offsets)
    if args.model == "mlp":
        period = _parse_period("1" if args.period is None else args.period)
        if period != 1:
            raise _Error(f"--period applies to the linear models (perceptron, least-squares), not --model mlp. "
                         f"Got {args.period!r}.")
        for flag, value in (("--features", args.features), ("--discovery-window", args.discovery_window),
                            ("--margin", args.margin), ("--shrinking", args.shrinking or None),
                            ("--distinct", args.distinct or None), ("--compact", args.compact or None)):
            if value is not None:
                raise _Error(f"{flag} applies to the linear models (perceptron, least-squares), not --model mlp.")
        window = 8 if args.window is None else args.window
        return MLPAR(embedding_dim=args.embedding_dim, window=window, offsets=offsets, context=args.context,
                     context_length=args.context_length, hidden_layer_sizes=_parse_hidden(args.hidden),
                     learning_rate=args.learning_rate, weight_decay=args.weight_decay, batch_size=args.batch_size,
                     max_epochs=args.max_epochs, lr_schedule=args.lr_schedule, max_time=args.max_time,
                     validation_fraction=args.validation_fraction, sampling=args.sampling,
                     activation=args.activation, n_threads=args.threads, random_state=args.seed,
                     verbose=0)  # the CLI's own progress (_cmd_fit): a bar on a terminal, lines in a log
    features = _features(args, offsets)
    common = dict(window=8 if args.window is None else args.window, offsets=offsets,
                  layout=_linear_layout(args, features), compact=args.compact,
                  features=None if features == "offsets" else features,
                  discovery=None if args.discovery_window is None else {"window": args.discovery_window})
    if args.model == "perceptron":
        return PerceptronAR(averaged=not args.last_weights, max_iter=args.max_iter, random_state=args.seed,
                            margin=0.0 if args.margin is None else args.margin, shrinking=args.shrinking,
                            distinct=args.distinct, **common)
    for flag, value in (("--margin", args.margin), ("--shrinking", args.shrinking or None),
                        ("--distinct", args.distinct or None)):
        if value is not None:
            raise _Error(f"{flag} applies to --model perceptron, not --model {args.model}.")
    return LeastSquaresAR(alpha=args.alpha, random_state=args.seed, **common)


def _class_offsets(model) -> dict[str, list[int]]:
    """The offsets each weight block of a fitted linear model reads, by class name."""
    layout = model.layout_
    names = ("every position",) if layout.period is None else layout.names
    use = model.use_[:len(names)]
    return {name: model.offsets_[u.astype(bool)].tolist() for name, u in zip(names, use)}


def _features_text(summary: dict, model) -> str:
    kind = summary["features"]
    how = {"auto": "discovered from the training traces", "declared": "declared by the dataset's encoding",
           "window": "the window 1..K", "offsets": "given by --offsets"}[kind]
    rep = getattr(model, "discovery_", None)
    if rep is not None:
        how += (f" (search window {rep.window}, {rep.n_search} search + {rep.n_valid} held-out traces; "
                + ("every training token decided)" if rep.decides else f"{rep.conflicts} training tokens undecided)"))
    # discovered: what discovery found (a class with none predicts a constant; its weights read offset 1)
    offsets = summary["discovery"]["offsets"] if rep is not None else summary["offsets"]
    width = max(map(len, offsets))
    lines = [f"offsets per class, {how}:"]
    lines += [f"  {name:>{width}}: {', '.join(map(str, offs)) or '(none: a constant token)'}"
              for name, offs in offsets.items()]
    return "\n".join(lines)


def _cmd_fit(args: argparse.Namespace) -> int:
    # A status line (and a bar) redrawn in place on a terminal; in a log a line per stage and per epoch (at most
    # one a second), held back until a stage has lasted FIT_PROGRESS_DELAY seconds (early bad input: one line).
    import tmsim.datasets  # noqa: F401 - imported, and the flags checked, before the progress clock starts

    model = _make_model(args)
    out = Path(args.out)
    _check_out(out)
    with Progress("learners fit", enabled=not args.quiet, min_interval=1.0, delay=FIT_PROGRESS_DELAY) as progress:
        progress.stage(f"loading {args.dataset}")
        data = _load_data(args.dataset)
        n_windows = int(np.count_nonzero(np.asarray(data.kinds)))
        what = f"{args.model} on {n_windows:,} training positions of {len(data):,} sequences"
        t = time.perf_counter()
        if args.model == "mlp":
            progress.stage(f"fitting {what}")

            def epoch_done(m, epoch) -> None:
                loss = m.loss_curve_[-1] if m.loss_curve_ else float("nan")
                progress.step(epoch, m.max_epochs, f"epochs, loss {loss:.4g}, {time.perf_counter() - t:.1f} s")

            model.fit(data, callback=epoch_done)
        else:
            how = "offset discovery per position class, then " if _features(args, model.offsets) == "auto" else ""
            loop = f"epochs (at most {model.max_iter})" if args.model == "perceptron" else "normal equations"
            progress.stage(f"fitting {what}: {how}{loop}")
            model.fit(data)
        seconds = time.perf_counter() - t
        progress.stage(f"fitted in {seconds:.1f} s; saving, scoring the training set")
        model.save(out)
        summary = {"model": args.model, "out": str(out), "fit_seconds": seconds, "windows": n_windows,
                   "train_token_accuracy": model.score(data)}
    if not args.quiet:
        say_wrote(out, f"{args.model} model, train token accuracy {summary['train_token_accuracy']:.4g}")
    if args.model == "perceptron":
        summary.update(converged=bool(model.converged_), epochs=int(model.n_iter_))
    elif args.model == "mlp":
        summary.update(epochs=int(model.n_epochs_), stop_reason=model.stop_reason_,
                       parameters=int(model.n_parameters_))
    if args.model != "mlp":
        summary.update(features=_features(args, model.offsets), offsets=_class_offsets(model))
        rep = model.discovery_
        if rep is not None:
            summary["discovery"] = {"window": rep.window, "decides": rep.decides, "conflicts": rep.conflicts,
                                    "search_traces": rep.n_search, "held_out_traces": rep.n_valid,
                                    "offsets": {c.name: list(c.offsets) for c in rep.classes}}
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        print(", ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in summary.items()
                        if not isinstance(v, dict)))
        if "offsets" in summary:
            print(_features_text(summary, model))
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
    _check_out(out)
    # The same encoding defaults as `tmsim dataset` (a zoo accept-task answers with its final state), so the
    # compiled model shares the vocabulary of the datasets made for the same machine.
    entry = zoo.get(args.machine) if args.machine.startswith("zoo:") else None
    enc = resolve_encoding(args.encoding, width=args.width, entry=entry, owner="learners compile")
    compiled = compile_linear(machine, enc, width=args.width, left=args.left)
    compiled.save(out)
    report = compiled.report()
    info = {"out": str(out), **{k: report[k] for k in ("machine", "encoding", "width", "window", "vocab_size",
                                                       "blocks", "nonzero", "dense_parameters")}}
    say_wrote(out, f"linear weights compiled from {info['machine']!r}, {info['nonzero']:,} nonzero")
    if args.json:
        print(json.dumps(info, default=str))
    else:
        print(", ".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def _distribution_version() -> str:
    """The installed ar-universal version (importlib.metadata: no package import, so --version stays fast)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ar-universal")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that is not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="learners", description="Auto-regressive next-token learners: linear "
                                 "(perceptron, least squares), an MLP, and machines compiled into linear weights.")
    ap.add_argument("--version", action="version", version=f"learners {_distribution_version()}")
    sub = ap.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fit", help="train a model on a dataset (npz/jsonl/parquet from tmsim dataset) and save it",
                       description="Train a perceptron, least-squares or MLP next-token model on the training "
                       "positions (kinds != 0) of a dataset and save it to --out (.npz, any kind loads with "
                       "learners.load_model and 'learners eval').")
    f.add_argument("dataset", help="a dataset file written by tmsim dataset (.npz, .jsonl or .parquet)")
    f.add_argument("--model", choices=("perceptron", "least-squares", "mlp"), required=True,
                   help="the learner: margin perceptron, ridge least squares, or the numpy MLP")
    f.add_argument("--window", type=int, default=None, help="offsets 1..K (default 8): of --features window "
                   "and of --model mlp")
    f.add_argument("--offsets", help="explicit offsets, comma-separated (overrides --window and --features)")
    f.add_argument("--period", default=None, help="linear models: weight blocks by position: 1, P, or 'none' "
                   "(time-dependent); default: the dataset's position classes with --features auto|declared, "
                   "one shared block otherwise")
    f.add_argument("--seed", type=int, default=None, help="random_state of the learner and of feature discovery "
                   "(default: none, a fresh draw)")
    lin = f.add_argument_group("linear models")
    lin.add_argument("--features", choices=("auto", "window", "declared"), default=None,
                     help="the offsets each position class reads: auto (the default: discovered from the "
                     "training traces and the dataset's position classes, no declared offset read), window "
                     "(1..--window, the default when --window or --period is given), declared (the offsets the "
                     "dataset's encoding declares); --offsets wins over all")
    lin.add_argument("--discovery-window", type=int, default=None, help="--features auto: the largest offset "
                     "searched (default: the row period + 1)")
    lin.add_argument("--alpha", type=float, default=1.0, help="ridge penalty (least-squares)")
    lin.add_argument("--max-iter", type=int, default=100, help="epochs at most (perceptron)")
    lin.add_argument("--last-weights", action="store_true", help="perceptron: no averaging")
    lin.add_argument("--margin", type=float, default=None, help="perceptron: also update when the target wins "
                     "by less than this (default 0: the plain perceptron)")
    lin.add_argument("--shrinking", action="store_true", help="perceptron: revisit only the windows near the "
                     "margin between full passes (faster on traces)")
    lin.add_argument("--distinct", action="store_true", help="perceptron: train on one window per distinct "
                     "(class, context, target) instead of every position (same separators; traces repeat most "
                     "windows, so epochs are far shorter)")
    lin.add_argument("--compact", action="store_true", help="weights over the tokens seen in training only "
                     "(large vocabularies)")
    mlp = f.add_argument_group("--model mlp (see learners.MLPAR)")
    mlp.add_argument("--embedding-dim", type=int, default=16, help="token embedding size d (default 16)")
    mlp.add_argument("--hidden", default="256", help="hidden ReLU layer sizes, comma-separated (default 256; "
                     "'' for a linear read-out)")
    mlp.add_argument("--context", choices=("window", "causal"), default="window",
                     help="the window of --window/--offsets, or the block-causal layer over the whole context")
    mlp.add_argument("--context-length", type=int, default=None, help="T of the block-causal layer (default: "
                     "the longest training sequence)")
    mlp.add_argument("--learning-rate", type=float, default=1e-3, help="peak AdamW learning rate (default 1e-3)")
    mlp.add_argument("--weight-decay", type=float, default=0.01, help="decoupled weight decay (default 0.01)")
    mlp.add_argument("--batch-size", type=int, default=512, help="positions (or sequences, causal) per step")
    mlp.add_argument("--max-epochs", type=int, default=10, help="epochs at most (default 10)")
    mlp.add_argument("--max-time", type=float, default=None, help="stop training after this many seconds")
    mlp.add_argument("--lr-schedule", choices=("cosine", "linear", "constant"), default="cosine",
                     help="learning-rate decay after the warmup (default cosine)")
    mlp.add_argument("--validation-fraction", type=float, default=0.1,
                     help="training sequences held out for early stopping (default 0.1; 0: none)")
    mlp.add_argument("--sampling", choices=("uniform", "loss"), default="uniform",
                     help="training positions uniformly, or half in proportion to the running loss")
    mlp.add_argument("--activation", choices=("relu", "identity"), default="relu",
                     help="hidden-layer activation (identity: the paper's linear model; default relu)")
    mlp.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    f.add_argument("--out", required=True, help="the model file to write (.npz), atomically")
    f.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    f.add_argument("--quiet", action="store_true", help="print nothing on success (no summary, no progress, no wrote line)")
    f.set_defaults(func=_cmd_fit)

    e = sub.add_parser("eval", help="teacher-forced and free-rollout metrics of a saved model (any kind) on a "
                       "dataset")
    e.add_argument("model", help="a saved model of any kind (linear, MLP, compiled, transformer)")
    e.add_argument("dataset", help="a dataset file written by tmsim dataset")
    e.add_argument("--no-rollout", action="store_true", help="teacher-forced metrics only")
    e.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    e.set_defaults(func=_cmd_eval)

    g = sub.add_parser("generate", help="greedy rollout of a saved model (any kind) from a prompt")
    g.add_argument("model", help="a saved model of any kind")
    g.add_argument("--prompt", required=True, help="token names (or ids with --ids), separated by spaces")
    g.add_argument("--ids", action="store_true", help="--prompt holds token ids, not token names")
    g.add_argument("--max-new-tokens", type=int, default=1000, help="stop after this many tokens if no end token "
                   "came (default 1000)")
    g.add_argument("--json", action="store_true", help="print the tokens as JSON")
    g.set_defaults(func=_cmd_generate)

    c = sub.add_parser("compile", help="compile a machine into explicit linear weights (no training)")
    c.add_argument("machine", help="a file, a standard-format string, or zoo:NAME")
    c.add_argument("--encoding", required=True, choices=("tableau-triples", "gates"),
                   help="the CoT encoding the weights emulate")
    c.add_argument("--width", type=int, required=True, help="tableau row width W")
    c.add_argument("--left", type=int, default=None, help="cells left of the input in each row (default: the "
                   "encoding's margin)")
    c.add_argument("--format", default=None, help="machine file format")
    c.add_argument("--out", required=True, help="the compiled model file to write (.npz)")
    c.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    c.set_defaults(func=_cmd_compile)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 success, 2 bad input, 128 + the signal when interrupted:
    Ctrl-C 130, SIGTERM 143, SIGHUP 129, with one line ``learners: interrupted`` and no temporary file left)."""
    from tmsim._cliutil import parse_one_line  # the same one-line usage errors as tmsim

    args = parse_one_line(build_parser(), sys.argv[1:] if argv is None else list(argv))
    if argv is None:
        interrupts.exit_soon()
    try:
        with interrupts.handle_signals():
            if args.command == "fit" and args.model != "mlp":  # on a terminal: before a first compilation
                announce_compile(("learners._kernels",))
            code = args.func(args)
            sys.stdout.flush()  # here, so a full disk is an error line, not a traceback at exit
        return code
    except BrokenPipeError:
        quiet_stdout()
        return 141  # 128 + SIGPIPE: the reader went away (learners generate ... | head)
    except (_Error, ValueError, OSError, MemoryError) as e:
        quiet_stdout()
        text = name_flags(" ".join((str(e) or type(e).__name__).split()), args)
        if isinstance(e, MemoryError):
            text = f"out of memory ({text}); use a smaller dataset or model."
        print(f"learners: error: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (EOFError, zipfile.BadZipFile) as e:
        # numpy's reader of an empty or truncated file: name the files the command read.
        keys = ("dataset",) if args.command == "fit" else ("model", "dataset")
        files = " or ".join(repr(str(getattr(args, k))) for k in keys if getattr(args, k, None))
        print(f"learners: error: {files or 'the input'} cannot be read: {e or type(e).__name__} (an empty or "
              f"truncated file?).", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, SystemError) as e:
        code = interrupts.exit_code(e)
        if code is None:
            raise
        print("learners: interrupted", file=sys.stderr)
        return code



if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
