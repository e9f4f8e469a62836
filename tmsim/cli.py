"""CLI: ``tmsim run | show | convert | draw | spacetime | zoo | trace | dataset``, a thin argparse layer over
the library.

Every subcommand takes a MACHINE: a file (format from the extension or ``--format``; ``tmsim dataset`` spells
it ``--machine-format``, its ``--format`` being the dataset's), a standard-format
string such as ``1RB1LB_1LA0LC_1RZ1LD_1RD0RA`` (one that starts with ``-``, like ``---1RZ_1LA---``, is read as a
MACHINE too, not as an option), or ``zoo:NAME``. Bad input (an unreadable file, a
malformed machine, an unknown zoo name or format, an input symbol outside the alphabet, a negative budget,
an output in a missing directory) exits with status 2 and one line ``tmsim: error: <message>`` on stderr;
usage errors are argparse's (also status 2). Ctrl-C, SIGTERM and SIGHUP stop any subcommand within about a
second (long runs go to the kernel in chunks, :mod:`tmsim.interrupts`) with one line ``tmsim: interrupted``,
no temporary file left and exit status 128 + the signal number: 130, 143, 129.

Examples
--------
>>> from tmsim.cli import main
>>> main(["run", "zoo:bb4", "--json"])
{"machine": "bb4", "status": "halted", "steps": 107, "state": "Z", "head": -9, "tape": "10111111111111", "tape_start": -10, "nonblank": 13}
0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from typing import Callable, Sequence

from . import __version__, interrupts, zoo
from ._cliutil import (MAX_INT_FLAG, announce_compile, check_flags, parse_one_line, quiet_stdout, read_input_file,
                       name_flags, say_wrote)
from .draw import DEFAULT_MAX_WIDTH, DEFAULT_SPACETIME_STEPS, MAX_DIAGRAM_STATES, draw_spacetime, draw_state_diagram
from .errors import ParameterError, TmsimError
from .formats import io as formats_io
from .io import _STORAGE_ERRNOS, check_writable
from .machine import Machine
from .resolve import check_format, load_machine, resolve_encoding, zoo_entry
from .simulate import DEFAULT_MAX_STEPS, DEFAULT_MAX_TAPE, Configuration, run

#: Largest --width (tmsim.encodings.windowed.MAX_WIDTH, repeated here: the encodings load on demand).
MAX_WIDTH = 1 << 31

__all__ = ["main", "build_parser", "format_table"]

#: Longest tape the human summary of ``tmsim run`` prints in full (``--json`` always prints all of it).
SUMMARY_TAPE_CHARS = 200
#: Default ``--max-tokens`` of ``tmsim dataset``: about 5 GB as npz; raise it on purpose.
DEFAULT_MAX_TOKENS = 1_000_000_000
#: ``tmsim dataset`` prints its size estimate (stderr) before generating at least this many tokens.
ANNOUNCE_TOKENS = 10_000_000
#: Exit status for bad input, the same as argparse's usage errors.
EXIT_BAD_INPUT = 2
#: Default ``--max-tokens`` of ``tmsim trace``, which prints every token: 10M tokens are ~100 MB of text.
DEFAULT_TRACE_TOKENS = 10_000_000


# --------------------------------------------------------------------------------------- text output
def format_table(machine: Machine) -> str:
    """The transition table as a text grid: rows are states, columns are read symbols.

    A cell is ``<write><move><next>`` (``1RB``), with spaces between the parts (``_ L carry``) when a
    symbol or state has more than one character; ``---`` is an undefined transition. ``>`` marks the start state and ``*`` the
    halting states (which have no rules). Summary lines follow the grid.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> print(format_table(parse_standard("1RB1LB_1LA1RZ")))
    Machine '1RB1LB_1LA1RZ': 3 states, 2 symbols, 4 rules
         0     1
    > A  1RB   1LB
      B  1LA   1RZ
    * Z  halt  halt
    <BLANKLINE>
    start: A
    blank: '0'
    halting: Z
    input symbols: 1
    """
    # "1RB" is unambiguous only when every symbol and state is one character.
    sep = "" if machine.single_char_symbols and all(len(s) == 1 for s in machine.states) else " "

    def cell(state: str, sym: str) -> str:
        if state in machine.halting:
            return "halt"
        r = machine.transitions.get((state, sym))
        return "---" if r is None else f"{r.write}{sep}{r.move.letter}{sep}{r.next}"

    header = [""] + list(machine.symbols)
    rows = [[state] + [cell(state, sym) for sym in machine.symbols] for state in machine.states]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(mark: str, cells: list[str]) -> str:
        return (mark + " " + "  ".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    out = [f"Machine {machine.name!r}: {machine.n_states} states, {machine.n_symbols} symbols, "
           f"{len(machine.transitions)} rules",
           line(" ", header)]
    for state, row in zip(machine.states, rows):
        mark = ">" if state == machine.start else "*" if state in machine.halting else " "
        out.append(line(mark, row))
    halting = [s for s in machine.states if s in machine.halting]
    out += ["",
            f"start: {machine.start}",
            f"blank: {machine.blank!r}",
            f"halting: {' '.join(halting) if halting else '(none)'}",
            f"input symbols: {' '.join(machine.input_symbols) if machine.input_symbols else '(none)'}"]
    return "\n".join(out)


def _summary(name: str, result: dict) -> str:
    tape = result["tape"]
    if len(tape) > SUMMARY_TAPE_CHARS:
        tape = tape[:SUMMARY_TAPE_CHARS] + f"... ({len(tape)} characters; --json prints all)"
    rows = [("machine", name), ("status", result["status"]), ("steps", f"{result['steps']:,}"),
            ("state", result["state"]), ("head", result["head"]),
            ("tape", f"{tape!r} from position {result['tape_start']}" if tape else "(blank)"),
            ("nonblank", f"{result['nonblank']:,}")]
    return "\n".join(f"{k + ':':<10}{v}" for k, v in rows)


def _check_out(path: str) -> None:
    # Checked before any work, so the message names --out (not a temporary file beside it) and a directory,
    # socket or missing directory is refused before a long run rather than after it.
    check_writable(path, "--out")


# --------------------------------------------------------------------------------------- subcommands
def _input_or_tape(machine: Machine, text: str | None) -> tuple[str | None, Configuration | None]:
    """``--input`` as ``(input, None)``, or, when it holds blanks, as ``(None, start configuration)``.

    An input is made of input symbols; ``tmsim run`` also accepts the blank symbol itself and, when every
    symbol is one character, a space, for a blank cell inside the input ("110 101" or "110_101" for a Morphett
    machine, whose blank is ``_``). Such a tape cannot be a :func:`tmsim.run` input, which holds input symbols
    only, so it becomes the start configuration (the head on position 0, in the start state).
    """
    if text is None:
        return None, None
    if machine.single_char_symbols:
        syms = [machine.blank if c == " " else c for c in text]
    else:
        syms = text.split()
    if machine.blank not in syms:
        return text, None
    allowed = set(machine.input_symbols)
    for i, sym in enumerate(syms):
        if sym != machine.blank and sym not in allowed:
            raise ParameterError(
                f"--input {text!r}: symbol {sym!r} at position {i} is neither an input symbol of machine "
                f"{machine.name!r} {tuple(machine.input_symbols)!r} nor its blank {machine.blank!r}.")
    return None, Configuration(machine.start, tuple(syms), 0, 0)


def _cmd_run(args: argparse.Namespace) -> int:
    check_flags(args, "--max-steps", "--max-tape")
    read_input_file(args)
    machine = load_machine(args.machine, args.format)
    x, start = _input_or_tape(machine, args.input)
    result = run(machine, x, max_steps=args.max_steps, max_tape=args.max_tape, backend=args.backend, start=start)
    d = {"machine": machine.name, **result.to_dict()}
    if args.json:
        print(json.dumps(d))
    else:
        print(_summary(machine.name, d))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    print(format_table(load_machine(args.machine, args.format)))
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    check_format(args.to, "--to")
    machine = load_machine(args.machine, args.format)
    if args.out is not None:
        _check_out(args.out)
        formats_io.save(machine, args.out, args.to, what="--out")  # atomic; a device or FIFO is written through
        _say_written(args.out, f"machine {machine.name!r} as {args.to}")
        return 0
    text = formats_io.dumps(machine, args.to)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _cmd_draw(args: argparse.Namespace) -> int:
    machine = load_machine(args.machine, args.format)
    if machine.n_states > MAX_DIAGRAM_STATES:
        raise ParameterError(f"MACHINE {args.machine!r} has {machine.n_states:,} states; tmsim draw draws at most "
                             f"MAX_DIAGRAM_STATES ({MAX_DIAGRAM_STATES:,}).")
    _check_out(args.out)
    draw_state_diagram(machine, out=args.out)
    _say_written(args.out, f"state diagram of {machine.name!r}, {machine.n_states:,} states, "
                           f"{len(machine.transitions):,} rules")
    return 0


def _cmd_spacetime(args: argparse.Namespace) -> int:
    check_flags(args, "--max-steps", "--max-width")
    read_input_file(args)
    machine = load_machine(args.machine, args.format)
    _check_out(args.out)
    fig = draw_spacetime(machine, args.input, max_steps=args.max_steps, out=args.out, max_width=args.max_width)
    _say_written(args.out, f"space-time diagram of {fig.axes[0].get_title()}")
    return 0


def _say_written(path: str, what: str) -> None:
    """``wrote PATH (png, 12.3 kB): WHAT`` on stderr, the one-line account of a file a command wrote (stdout
    may carry ``--json`` output, or with ``--out /dev/stdout`` the file itself, which the line must not
    corrupt)."""
    say_wrote(path, what)


def _cmd_zoo(args: argparse.Namespace) -> int:
    entries = [zoo.get(n) for n in zoo.names()]
    if args.json:
        print(json.dumps([{"name": e.name, "task": e.task, "description": e.description,
                           "states": e.machine.n_states, "symbols": e.machine.n_symbols,
                           "max_steps": e.max_steps} for e in entries]))
        return 0
    w_name = max(len(e.name) for e in entries)
    w_task = max(len(e.task) for e in entries)
    print(f"{'name':<{w_name}}  {'task':<{w_task}}  description")
    for e in entries:
        print(f"{e.name:<{w_name}}  {e.task:<{w_task}}  {e.description}")
    return 0


# --------------------------------------------------------------------------------------- traces and datasets
_LENGTHS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def _parse_lengths(text: str | None) -> tuple[int, int] | None:
    """``--lengths A-B`` (or ``A``) as ``(A, B)``; a clear error for ``5-2``, ``-3`` or ``x``."""
    if text is None:
        return None
    m = _LENGTHS.match(text)
    a, b = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (None, None)
    if not m or a > b:
        raise ParameterError(f"--lengths must be A-B with integers 0 <= A <= B (e.g. 1-16). Got {text!r} instead.")
    return a, b


def _cmd_trace(args: argparse.Namespace) -> int:
    # Deferred (CLI start-up): the encoding layer loads its kernels (~1.5 s); run/show/convert never need it.
    from .encodings import DEFAULT_MAX_STEPS as ENC_MAX_STEPS

    check_flags(args, "--max-steps", "--max-tokens")
    check_flags(args, "--width", high=MAX_WIDTH)
    read_input_file(args)
    machine = load_machine(args.machine, args.format)
    entry = zoo_entry(args.machine)
    enc = resolve_encoding(args.encoding, width=args.width, entry=entry, owner="tmsim trace")
    max_steps = args.max_steps
    if max_steps is None:
        max_steps = max(ENC_MAX_STEPS, entry.max_steps if entry is not None else 0)
    _check_trace_size(machine, enc, args.input, max_steps, args.max_tokens)
    tr = enc.encode(machine, args.input, max_steps=max_steps, on_timeout=args.on_timeout)
    vocab = tr.vocabulary
    ids = tr.tokens.tolist()
    names = vocab.names(tr.tokens)
    if args.json:
        print(json.dumps({"machine": machine.name, "input": args.input or "", "encoding": enc.spec,
                          "encoding_version": enc.version, "vocabulary_size": len(vocab),
                          "tokens": ids if args.ids else names, "ids": ids, "kinds": tr.kinds.tolist(),
                          "length": len(ids), "status": tr.status.value, "steps": tr.steps, "width": tr.width,
                          "left": tr.left}))
        return 0
    print(" ".join(map(str, ids)) if args.ids else " ".join(names))
    counts = [int((tr.kinds == k).sum()) for k in (0, 1, 2)]
    print(f"{enc.spec} v{enc.version}: {len(ids):,} tokens (prompt {counts[0]:,}, CoT {counts[1]:,}, answer "
          f"{counts[2]:,}), vocabulary {len(vocab):,}, status {tr.status.value} after {tr.steps:,} steps"
          + (f", width {tr.width}" if tr.width is not None else ""), file=sys.stderr)
    return 0


def _check_trace_size(machine: Machine, enc, text: str | None, max_steps: int, max_tokens: int) -> None:
    """Refuse a trace longer than ``--max-tokens`` before a token is allocated (the estimate in the
    message). First a run in chunks (interruptible, tmsim.run) no longer than such a trace could be, then the
    encoder's exact count of the trace's length."""
    width = enc.params().get("width") or 1
    try:  # the fewest tokens a step adds (snapshots add a row every k steps)
        big = 1 << 40
        per_step = max((enc.length(0, big, width, answer_len=0, machine=machine)
                        - enc.length(0, 0, width, answer_len=0, machine=machine)) / big, 1e-12)
    except (TmsimError, ValueError, TypeError, OverflowError):
        per_step = 1e-12
    x, start = _input_or_tape(machine, text)
    bound = min(max_steps, int(max_tokens / per_step) + 1)
    pre = run(machine, x, start=start, max_steps=bound, max_tape=MAX_INT_FLAG)
    if pre.status.value == "step_limit" and bound < max_steps:
        raise ParameterError(f"tmsim trace: the trace would hold more than --max-tokens={max_tokens:,} tokens (the "
                             f"run goes on past {bound:,} steps, at least {per_step:.3g} tokens each); lower "
                             f"--max-steps or raise --max-tokens.")
    sizes = enc.measure(machine, [x if start is None else text], max_steps=max_steps) if start is None else None
    n_tokens = int(sizes.lengths[0]) if sizes is not None else 0
    if n_tokens > max_tokens:
        raise ParameterError(f"tmsim trace: the trace would hold {n_tokens:,} tokens (about "
                             f"{_human_bytes(5 * n_tokens)} in memory), more than --max-tokens={max_tokens:,}; "
                             f"lower --width or --max-steps, or raise --max-tokens.")


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _cmd_dataset(args: argparse.Namespace) -> int:
    from .datasets.storage import format_for_path, vocabulary_path, write_dataset  # deferred, as in _cmd_trace

    check_flags(args, "--n", "--max-steps", "--max-tokens", "--chunk-size")
    check_flags(args, "--width", high=MAX_WIDTH)
    fmt = format_for_path(args.out, args.out_format, "tmsim dataset")
    if args.out_format is not None:
        # --format jsonl --out f.npz would write JSONL under an npz name (and a reader would take it for npz).
        try:
            by_name = format_for_path(args.out, None, "tmsim dataset")
        except (TmsimError, ValueError):
            by_name = None
        if by_name is not None and by_name != fmt:
            raise ParameterError(f"--format {args.out_format} contradicts --out {args.out!r}, whose extension "
                                 f"means {by_name}; give --out a .{fmt} name (or drop --format).")
    _check_out(args.out)
    lengths = _parse_lengths(args.lengths)
    machine = load_machine(args.machine, args.machine_format)
    entry = zoo_entry(args.machine)
    inputs = args.sampler
    if inputs is None and entry is None:
        inputs = "uniform"

    def announce(est) -> None:
        if est.n_tokens < ANNOUNCE_TOKENS:
            return
        how = "exactly" if est.exact else f"estimated from a pilot of {est.pilot:,}"
        print(f"tmsim: {est.n_samples:,} samples, about {est.n_tokens:,} tokens ({how}), about "
              f"{_human_bytes(est.bytes[fmt])} as {fmt}", file=sys.stderr)

    out = write_dataset(entry if entry is not None else machine, args.encoding, args.out, format=fmt, inputs=inputs,
                        n=args.n, lengths=lengths, random_state=args.seed, max_steps=args.max_steps,
                        on_timeout=args.on_timeout, unique=args.unique, alphabet=args.alphabet, width=args.width,
                        split=args.split, chunk_size=args.chunk_size, max_tokens=args.max_tokens,
                        progress=False if args.no_progress else None, token_names=args.token_names,
                        on_estimate=announce, what="--out")
    dropped = f", {out.dropped:,} dropped (did not stop)" if out.dropped else ""
    print(f"wrote {out.n_samples:,} samples, {out.n_tokens:,} tokens{dropped} to {out.path} ({out.format}, "
          f"{_human_bytes(out.n_bytes)}, seed {out.seed}"
          + (f", split {args.split}" if args.split is not None else "") + "); vocabulary "
          + (f"in {vocabulary_path(out.path)}" if out.format == "jsonl" else "and provenance inside the file"),
          file=sys.stderr)  # stderr: stdout carries --json output only
    if args.json:
        print(json.dumps({"samples": out.n_samples, "tokens": out.n_tokens, "dropped": out.dropped,
                          "path": str(out.path), "format": out.format, "bytes": out.n_bytes,
                          "vocabulary": str(vocabulary_path(out.path) if out.format == "jsonl" else out.path),
                          "split": args.split, "seed": out.seed,
                          "estimated_tokens": out.estimate.n_tokens}))
    return 0


# --------------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The ``tmsim`` argument parser (one subparser per subcommand, ``func`` set to its handler)."""
    parser = argparse.ArgumentParser(
        prog="tmsim",
        description="Simulate, inspect, convert and draw Turing machines.",
        epilog="MACHINE is a file (.yaml/.yml/.json/.morphett/.mtm/.tm/.txt), a standard-format string such as "
               "1RB1LB_1LA0LC_1RZ1LD_1RD0RA (also one starting with '-', like ---1RZ_1LA---), or zoo:NAME (see "
               "'tmsim zoo'). --format is the MACHINE file's format in every command but tmsim dataset, where it "
               "is the dataset's output format and the machine's is --machine-format.")
    parser.add_argument("--version", action="version", version=f"tmsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    machine = argparse.ArgumentParser(add_help=False)
    machine.add_argument("machine", metavar="MACHINE", help="file, standard-format string or zoo:NAME")
    machine.add_argument("--format", metavar="FMT", default=None,
                         help="format of the MACHINE file: standard, yaml, morphett or json (default: by extension). "
                              "In tmsim dataset, --format is the output format and this one is --machine-format")

    p = sub.add_parser("run", parents=[machine], help="run a machine and print the result",
                       description="Run MACHINE on --input and print how the run ended.")
    p.add_argument("--input", default=None, metavar="STR",
                   help="input written from position 0 (default: blank tape); a blank cell inside it is the blank "
                        "symbol itself or, when every symbol is one character, a space: --input '110 101' or "
                        "--input 110_101 for a Morphett machine (blank _)")
    p.add_argument("--input-file", default=None, metavar="PATH",
                   help="read the input from this file ('-': stdin; one trailing newline dropped), for inputs "
                        "beyond the command line's argument-size limit")
    p.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS, metavar="N",
                   help=f"step budget (default {DEFAULT_MAX_STEPS:,}); reaching it is status step_limit")
    p.add_argument("--max-tape", type=int, default=DEFAULT_MAX_TAPE, metavar="N",
                   help=f"largest visited tape span in cells (default {DEFAULT_MAX_TAPE:,})")
    p.add_argument("--backend", choices=("numba", "python"), default="numba",
                   help="compiled kernel or plain-Python reference (default numba)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("show", parents=[machine], help="print the transition table",
                       description="Print MACHINE's transition table and its start, blank and halting states.")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("convert", parents=[machine], help="write a machine in another format",
                       description="Print MACHINE in another format, or write it atomically to --out.")
    p.add_argument("--to", required=True, metavar="FORMAT", help="standard, yaml, morphett or json")
    p.add_argument("--out", default=None, metavar="PATH", help="write here instead of printing")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("draw", parents=[machine], help="draw the state diagram",
                       description="Draw MACHINE's state diagram to a PNG or SVG file (at most 1,000 states) and "
                                   "print one line saying what was written where.")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .png or .svg")
    p.set_defaults(func=_cmd_draw)

    p = sub.add_parser("spacetime", parents=[machine], help="draw the space-time diagram of a run",
                       description="Draw the space-time diagram of MACHINE on --input to a PNG or SVG file and "
                                   "print one line saying what was written where and how the run ended.")
    p.add_argument("--input", default=None, metavar="STR", help="input written from position 0 (default: blank)")
    p.add_argument("--input-file", default=None, metavar="PATH", help="read the input from this file ('-': stdin)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .png or .svg")
    p.add_argument("--max-steps", type=int, default=DEFAULT_SPACETIME_STEPS, metavar="N",
                   help=f"rows to draw (default {DEFAULT_SPACETIME_STEPS:,}, at most 100,000)")
    p.add_argument("--max-width", type=int, default=DEFAULT_MAX_WIDTH, metavar="N",
                   help=f"refuse runs visiting more tape cells than this (default {DEFAULT_MAX_WIDTH:,})")
    p.set_defaults(func=_cmd_spacetime)

    p = sub.add_parser("zoo", help="list the zoo of named machines",
                       description="List the zoo: name, task and description of every machine.")
    p.add_argument("--json", action="store_true", help="print one JSON list")
    p.set_defaults(func=_cmd_zoo)

    p = sub.add_parser("trace", parents=[machine], help="print the token trace of a run",
                       description="Encode the run of MACHINE on --input as tokens (tmsim.encodings) and print "
                                   "them; a summary goes to stderr.")
    p.add_argument("--input", default=None, metavar="STR", help="input written from position 0 (default: blank)")
    p.add_argument("--input-file", default=None, metavar="PATH", help="read the input from this file ('-': stdin)")
    p.add_argument("--encoding", required=True, metavar="NAME",
                   help="transitions, tableau, tableau-triples, gates or snapshots(every=K)")
    p.add_argument("--ids", action="store_true", help="print token ids instead of names")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_TRACE_TOKENS, metavar="N",
                   help=f"refuse traces longer than N tokens, before encoding (default {DEFAULT_TRACE_TOKENS:,})")
    p.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="step budget (default 10,000, or the zoo entry's budget if larger)")
    p.add_argument("--width", type=int, default=None, metavar="W", help="row width of a tableau-style encoding")
    p.add_argument("--on-timeout", choices=("label", "error"), default="label",
                   help="a run that does not stop: print it up to the budget with its status (default), or fail")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_trace)

    # --format is the output format here (as the other commands' --to), so the machine file's format is
    # --machine-format.
    p = sub.add_parser("dataset", help="write a CoT dataset of encoded runs",
                       description="Draw inputs, encode the runs of MACHINE and write a dataset (npz or Parquet, "
                                   "vocabulary and provenance inside; or JSONL, with PATH.vocab.json beside it), "
                                   "chunk by chunk and atomically. Before "
                                   "a large one (10M tokens or more) the size estimate goes to stderr.")
    p.add_argument("machine", metavar="MACHINE", help="file, standard-format string or zoo:NAME")
    p.add_argument("--machine-format", metavar="FMT", default=None,
                   help="format of the MACHINE file: standard, yaml, morphett or json (default: by extension); "
                        "the other commands call it --format")
    p.add_argument("--encoding", required=True, metavar="NAME",
                   help="transitions, tableau, tableau-triples, gates or snapshots(every=K)")
    p.add_argument("--n", type=int, default=None, metavar="N", help="samples (default for --sampler exhaustive: all)")
    p.add_argument("--lengths", default=None, metavar="A-B", help="input lengths, e.g. 1-16 (default 1-16)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: fresh, printed)")
    p.add_argument("--out", required=True, metavar="PATH", help="output file: .npz, .jsonl or .parquet")
    p.add_argument("--format", dest="out_format", default=None, metavar="FMT",
                   help="the OUTPUT format: npz, jsonl or parquet (default: from the extension of --out). Here "
                        "--format is the dataset's format, unlike the other commands, where it is the MACHINE "
                        "file's (here --machine-format)")
    p.add_argument("--sampler", default=None, choices=("uniform", "exhaustive", "zoo"),
                   help="inputs: uniform strings, all strings, or a zoo entry's well-formed ones (the default "
                        "for zoo:NAME)")
    p.add_argument("--alphabet", default=None, metavar="SYMS", help="input symbols to draw (default: all)")
    p.add_argument("--width", type=int, default=None, metavar="W",
                   help="fixed tableau row width: one layout for short and long inputs")
    p.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="step budget per run (default 10,000, or the zoo entry's budget if larger)")
    p.add_argument("--on-timeout", choices=("error", "drop", "label"), default="error",
                   help="runs that do not stop within the budget: fail (default), leave out, or keep labelled")
    p.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, metavar="N",
                   help=f"refuse datasets estimated above N tokens (default {DEFAULT_MAX_TOKENS:,})")
    p.add_argument("--split", default=None, metavar="NAME",
                   help="split name recorded in the provenance and the split column: train, validation or test "
                        "(the Hugging Face names), or any other (default: none)")
    p.add_argument("--unique", action="store_true", help="no repeated inputs")
    p.add_argument("--chunk-size", type=int, default=1 << 16, metavar="N", help="samples per chunk (memory bound)")
    p.add_argument("--token-names", action="store_true", help="add a token_names column (jsonl, parquet)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_dataset)
    return parser


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = f"{exc.strerror}: {where!r}" if where != "" else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())  # one line, whatever the message holds


def _shield_dash_machines(argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Hide standard-format machines that start with ``-`` (``---1RZ_1LA---``: an undefined first transition)
    from argparse, which would take them for options: each becomes the same text after a space, which
    argparse reads as a value, and is restored after parsing. Options are lower case (``--max-steps``), so
    no option has a machine's shape (``[0-9A-Z-]`` rows of triples joined by ``_``)."""
    from .formats.standard import looks_standard

    out, originals = [], {}
    for arg in argv:
        if isinstance(arg, str) and arg.startswith("-") and looks_standard(arg) and arg == arg.strip():
            originals[" " + arg] = arg
            arg = " " + arg
        out.append(arg)
    return out, originals


#: The kernel modules each command compiles (for the first-run note, :func:`tmsim._cliutil.announce_compile`).
_KERNEL_MODULES = {"run": ("tmsim._kernels",), "spacetime": ("tmsim._kernels",), "trace": ("tmsim._kernels",),
                   "dataset": ("tmsim._kernels",)}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tmsim`` command line; return the exit status (0 success, 2 bad input or usage).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default ``sys.argv[1:]``).

    Examples
    --------
    >>> main(["show", "1RB1LB_1LA1RZ"])  # doctest: +ELLIPSIS
    Machine '1RB1LB_1LA1RZ': 3 states, 2 symbols, 4 rules
    ...
    0
    """
    parser = build_parser()
    shielded, originals = _shield_dash_machines(sys.argv[1:] if argv is None else argv)
    args = parse_one_line(parser, shielded)  # usage errors: one line, exit status 2
    for key, value in vars(args).items():
        if isinstance(value, str) and value in originals:
            setattr(args, key, originals[value])
    handler: Callable[[argparse.Namespace], int] = args.func
    if argv is None:
        interrupts.exit_soon()
    try:
        with interrupts.handle_signals():
            if args.command in _KERNEL_MODULES:  # on a terminal: say so before a first run's compilation
                announce_compile(_KERNEL_MODULES[args.command])
            code = handler(args)
            sys.stdout.flush()  # here, so a full disk (> /dev/full) is an error line, not a traceback at exit
        return code
    except BrokenPipeError:
        # The reader went away (``tmsim show ... | head``): stop quietly, as Unix tools do. Point stdout
        # at devnull so the interpreter's final flush does not fail again.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
    except (TmsimError, OSError) as exc:
        quiet_stdout()
        text = name_flags(_error_text(exc), args, {"format": "--format"} if args.command == "dataset" else None)
        if (isinstance(exc, OSError) and not isinstance(exc, TmsimError) and exc.filename is None
                and exc.errno in _STORAGE_ERRNOS and getattr(args, "out", None) is not None):
            text = f"--out {args.out!r} could not be written: {text}."  # a full disk mid-way through a dataset
        print(f"tmsim: error: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, SystemError) as exc:
        # Ctrl-C, SIGTERM or SIGHUP (tmsim.interrupts): writers removed their temporary files on the way out.
        code = interrupts.exit_code(exc)
        if code is None:
            raise
        print("tmsim: interrupted", file=sys.stderr)
        return code



if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
