"""Plots: draw a machine's state diagram and the space-time diagram of a run (matplotlib, no GUI needed).

Both drawing functions build a :class:`matplotlib.figure.Figure` with an Agg canvas directly (never
``pyplot``), so they work on a headless machine and never change the global backend. Given ``out``, they
save a PNG or SVG (chosen by the extension) atomically: to a temporary file in the same directory, then
``os.replace``. matplotlib and networkx are imported on first use, so ``import tmsim.draw`` is cheap.

Examples
--------
>>> from tmsim import parse_standard
>>> from tmsim.draw import draw_state_diagram, draw_spacetime
>>> bb2 = parse_standard("1RB1LB_1LA1RZ")
>>> fig = draw_state_diagram(bb2)
>>> fig = draw_spacetime(bb2, max_steps=20)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .io import atomic_write
from .errors import ParameterError, check_int
from .machine import Machine, Move
from .simulate import configurations

if TYPE_CHECKING:  # pragma: no cover - imported lazily at run time
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "state_graph",
    "edge_labels",
    "draw_state_diagram",
    "spacetime_array",
    "draw_spacetime",
    "MAX_SPACETIME_STEPS",
    "DEFAULT_SPACETIME_STEPS",
    "IMAGE_FORMATS",
]

#: Largest step budget of a space-time diagram: it is simulated in plain Python and drawn one row per
#: step, so beyond this the picture is unreadable and the simulation slow.
MAX_SPACETIME_STEPS = 100_000
#: Default step budget of a space-time diagram: a screenful of rows.
DEFAULT_SPACETIME_STEPS = 1_000
#: Widest visited tape span drawn by default (one column per cell).
DEFAULT_MAX_WIDTH = 2_000
#: File formats the drawing functions write, chosen by the extension of ``out``.
IMAGE_FORMATS = ("png", "svg")

_DPI = 150
# Blank is white; the first non-blank symbol is near-black like the classic bbchallenge pictures; the
# rest are muted so the vivid state colours of the head markers stand out on them.
_SYMBOL_COLOURS = ("#ffffff", "#3a3a3a", "#8fbbd9", "#f4b183", "#a9d18e", "#c9b3d9", "#ffe699",
                   "#d9a6a6", "#9dc3c1", "#bfbfbf")
_STATE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                  "#bcbd22", "#17becf")
_NODE_COLOUR = "#dbe9f6"
_START_COLOUR = "#c9ecc4"
_HALT_COLOUR = "#f7d0cd"


# --------------------------------------------------------------------------------------- state diagram
def state_graph(machine: Machine) -> "nx.MultiDiGraph":
    """The machine's transition graph: one node per state, one edge per rule.

    Parameters
    ----------
    machine : Machine

    Returns
    -------
    networkx.MultiDiGraph
        Nodes are the states in machine order, with attributes ``start`` and ``halting`` (bool). Each
        defined rule ``(state, read) -> (next, write, move)`` is an edge ``state -> next`` with key
        ``read`` and attributes ``read``, ``write``, ``move`` (``'L'``, ``'R'`` or ``'S'``) and ``label``
        (``"read→write,move"``). Undefined transitions have no edge.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> g = state_graph(parse_standard("1RB1LB_1LA1RZ"))
    >>> list(g.nodes), g.nodes["Z"]["halting"], g.nodes["A"]["start"]
    (['A', 'B', 'Z'], True, True)
    >>> sorted((u, v, k) for u, v, k in g.edges(keys=True))
    [('A', 'B', '0'), ('A', 'B', '1'), ('B', 'A', '0'), ('B', 'Z', '1')]
    >>> g.edges["B", "Z", "1"]["label"]
    '1→1,R'
    """
    import networkx as nx

    if not isinstance(machine, Machine):
        raise ParameterError(f"The 'machine' parameter of tmsim.draw.state_graph must be a tmsim.Machine. "
                             f"Got {type(machine).__name__}.")
    g = nx.MultiDiGraph(name=machine.name)
    for s in machine.states:
        g.add_node(s, start=(s == machine.start), halting=(s in machine.halting))
    for state, read, write, move, nxt in machine.rules():
        letter = Move(move).letter
        g.add_edge(state, nxt, key=read, read=read, write=write, move=letter,
                   label=f"{read}→{write},{letter}")
    return g


def edge_labels(graph: "nx.MultiDiGraph", machine: Machine | None = None) -> dict[tuple[str, str], str]:
    """Merge the labels of parallel edges: one ``(state, next) -> "label\\nlabel..."`` entry per arrow.

    Labels are ordered by the read symbol's index in ``machine`` (by insertion order without it).

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> m = parse_standard("1RB1LB_1LA1RZ")
    >>> edge_labels(state_graph(m), m)[("A", "B")]
    '0→1,R\\n1→1,L'
    """
    merged: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for i, (u, v, data) in enumerate(graph.edges(data=True)):
        order = machine.symbol_index[data["read"]] if machine is not None else i
        merged.setdefault((u, v), []).append((order, data["label"]))
    return {uv: "\n".join(lab for _, lab in sorted(items)) for uv, items in merged.items()}


def draw_state_diagram(machine: Machine, out: str | os.PathLike | None = None,
                       ax: "Axes | None" = None) -> "Figure":
    """Draw the state diagram of ``machine``.

    States sit on a circle in machine order (a deterministic layout). Halting states are double circles
    in red, the start state is green with an incoming arrow; each arrow carries the merged labels
    ``read→write,move`` of its rules, and self-loops point away from the centre.

    Parameters
    ----------
    machine : Machine
    out : path, optional
        Save the figure there, as PNG or SVG by the extension, atomically.
    ax : matplotlib Axes, optional
        Draw into this axes (its figure is returned and saved). By default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        ``out`` with an extension other than ``.png``/``.svg``, or in a directory that does not exist.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> fig = draw_state_diagram(parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"))
    >>> fig.axes[0].get_title()
    '1RB1LB_1LA0LC_1RZ1LD_1RD0RA'
    """
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, FancyArrowPatch
    from matplotlib.path import Path

    owner = "tmsim.draw_state_diagram"
    fmt = _check_out(out, owner)
    g = state_graph(machine)
    n = g.number_of_nodes()
    pos = {s: np.asarray(p, dtype=float) for s, p in nx.circular_layout(list(g.nodes)).items()}
    if n == 1:
        pos = {s: np.zeros(2) for s in g.nodes}
    # Node radius in data units: large, but neighbours on the circle must not touch.
    radius = 0.16 if n <= 2 else min(0.16, 0.75 * np.sin(np.pi / n))
    pad = radius + 0.55
    xs = np.array([p[0] for p in pos.values()])
    ys = np.array([p[1] for p in pos.values()])
    xlim = (xs.min() - pad, xs.max() + pad)
    ylim = (ys.min() - pad, ys.max() + pad)
    # Grow the figure with the number of states so that fonts keep their size in points.
    side = 6.5 if n <= 6 else min(16.0, 6.5 + 0.45 * (n - 6))
    aspect = (ylim[1] - ylim[0]) / (xlim[1] - xlim[0])
    fig, ax = _figure_and_axes(ax, figsize=(side, max(3.5, side * aspect) + 0.5))
    # A state name must fit its circle: about 0.72 em per bold character.
    pt_per_unit = 72 * side * 0.8 / (xlim[1] - xlim[0])
    longest = max(max(len(s) for s in g.nodes), 2)
    font = float(np.clip(2 * radius * pt_per_unit * 0.9 / (0.72 * longest), 5.0, 12.0))
    label_font = 10 if n <= 8 else 9
    circles = {}
    for s, data in g.nodes(data=True):
        colour = _HALT_COLOUR if data["halting"] else _START_COLOUR if data["start"] else _NODE_COLOUR
        c = Circle(pos[s], radius, facecolor=colour, edgecolor="black", linewidth=1.5, zorder=3)
        ax.add_patch(c)
        circles[s] = c
        if data["halting"]:
            ax.add_patch(Circle(pos[s], 0.8 * radius, facecolor="none", edgecolor="black", linewidth=1.2,
                                zorder=4))
        ax.text(*pos[s], s, ha="center", va="center", fontsize=font, fontweight="bold", zorder=5)

    bbox = dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="none", alpha=0.85)
    labels = edge_labels(g, machine)
    for (u, v), text in labels.items():
        if u == v:
            out_dir = _outward(pos[u])
            path, tip = _loop_path(pos[u], out_dir, radius)
            ax.add_patch(FancyArrowPatch(path=Path(path, [Path.MOVETO] + [Path.CURVE4] * 3),
                                         arrowstyle="-|>", mutation_scale=14, linewidth=1.2, color="black",
                                         shrinkA=0, shrinkB=0, zorder=4))
            ax.text(*(tip + 0.03 * out_dir), text, ha=_ha(out_dir), va=_va(out_dir), fontsize=label_font,
                    bbox=bbox, zorder=6, linespacing=1.1)
            continue
        # A constant bend keeps u->v and v->u apart and keeps chords off the centre.
        rad = 0.18
        a, b = pos[u], pos[v]
        ax.add_patch(FancyArrowPatch(a, b, patchA=circles[u], patchB=circles[v], arrowstyle="-|>",
                                     mutation_scale=14, linewidth=1.2, color="black",
                                     connectionstyle=f"arc3,rad={rad}", zorder=4))
        # Midpoint of matplotlib's arc3 quadratic Bezier (equal aspect: data and display agree); the
        # label sits on the outer side of the bulge, so the labels of u->v and v->u never overlap.
        d = b - a
        bulge = np.array([d[1], -d[0]])
        mid = (a + b) / 2 + 0.5 * rad * bulge
        normal = bulge / max(float(np.hypot(*bulge)), 1e-9)
        ax.text(*(mid + 0.015 * normal), text, ha=_ha(normal), va=_va(normal), fontsize=label_font,
                bbox=bbox, zorder=6, linespacing=1.1)

    # The start arrow comes straight in from outside, or from the side when a self-loop is there.
    start_dir = _outward(pos[machine.start])
    if g.has_edge(machine.start, machine.start):
        start_dir = _rotate(start_dir, np.deg2rad(80))
    tail = pos[machine.start] + start_dir * (radius + 0.22)
    ax.add_patch(FancyArrowPatch(tail, pos[machine.start], patchB=circles[machine.start], arrowstyle="-|>",
                                 mutation_scale=18, linewidth=2.0, color="#2ca02c", zorder=4))

    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_axis_off()
    ax.set_title(machine.name, fontsize=11)
    handles = [Line2D([], [], marker="o", linestyle="none", markersize=11, markerfacecolor=_START_COLOUR,
                      markeredgecolor="black", label=f"start ({machine.start})"),
               Line2D([], [], marker="o", linestyle="none", markersize=11, markerfacecolor=_HALT_COLOUR,
                      markeredgecolor="black", label="halting"),
               Line2D([], [], linestyle="none", label="read→write,move")]
    ax.legend(handles=handles, loc="lower left", fontsize=9, frameon=False, handletextpad=0.4)
    if out is not None:
        _save(fig, out, fmt)
    return fig


def _outward(p: np.ndarray) -> np.ndarray:
    norm = float(np.hypot(*p))
    return np.array([0.0, 1.0]) if norm < 1e-9 else p / norm


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


def _loop_path(centre: np.ndarray, direction: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Cubic Bezier of a self-loop leaving and re-entering the node's circle around ``direction``."""
    spread = np.deg2rad(35)
    start = centre + radius * _rotate(direction, spread)
    end = centre + 1.04 * radius * _rotate(direction, -spread)  # the arrow head stays visible
    reach = radius * 3.4
    c1 = centre + reach * _rotate(direction, np.deg2rad(45))
    c2 = centre + reach * _rotate(direction, -np.deg2rad(45))
    tip = 0.125 * start + 0.375 * c1 + 0.375 * c2 + 0.125 * end  # the curve at t = 1/2
    return np.array([start, c1, c2, end]), tip


def _ha(direction: np.ndarray) -> str:
    """Horizontal alignment that puts a text on the ``direction`` side of its anchor."""
    return "left" if direction[0] > 0.38 else "right" if direction[0] < -0.38 else "center"


def _va(direction: np.ndarray) -> str:
    return "bottom" if direction[1] > 0.38 else "top" if direction[1] < -0.38 else "center"


# --------------------------------------------------------------------------------------- space-time
def spacetime_array(machine: Machine, input: str | Sequence[str] | None = None,
                    max_steps: int = DEFAULT_SPACETIME_STEPS) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    """The space-time history of a run as arrays: one row per configuration, one column per tape cell.

    Parameters
    ----------
    machine : Machine
    input : str or sequence of str, optional
        As for :func:`tmsim.run`.
    max_steps : int, default DEFAULT_SPACETIME_STEPS
        Step budget, in ``[0, MAX_SPACETIME_STEPS]``. The run is :func:`tmsim.configurations` (plain
        Python), so it stops earlier when the machine halts or hits an undefined transition.

    Returns
    -------
    symbols : ndarray of uint8, shape (steps + 1, width)
        ``symbols[t, j]`` is the index (into ``machine.symbols``) of the symbol at absolute position
        ``lo + j`` before step ``t + 1``; ``width`` is the whole span visited by the run.
    heads : ndarray of int64, shape (steps + 1,)
        Absolute head position of every configuration.
    states : list of str, length steps + 1
        State of every configuration.
    lo : int
        Absolute tape position of column 0.

    Raises
    ------
    ParameterError
        ``max_steps`` negative or above ``MAX_SPACETIME_STEPS``.
    InputError
        An input symbol outside the input alphabet.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> symbols, heads, states, lo = spacetime_array(parse_standard("1RB1LB_1LA1RZ"))
    >>> symbols.shape, heads.tolist(), states, lo
    ((7, 4), [0, 1, 0, -1, -2, -1, 0], ['A', 'B', 'A', 'B', 'A', 'B', 'Z'], -2)
    >>> symbols[-1].tolist()
    [1, 1, 1, 1]
    """
    owner = "tmsim.draw.spacetime_array"
    max_steps = check_int("max_steps", max_steps, low=0, owner=owner)
    if max_steps > MAX_SPACETIME_STEPS:
        raise ParameterError(
            f"The 'max_steps' parameter of {owner} must be an integer in [0, {MAX_SPACETIME_STEPS}]: a "
            f"space-time diagram is simulated in plain Python and drawn one row per step. Got {max_steps} "
            f"instead; use tmsim.run for long runs."
        )
    it = configurations(machine, input, max_steps=max_steps)
    first = next(it)
    heads = [first.head]
    states = [first.state]
    written: list[int] = []  # symbol left behind at the previous head position, one per step
    last = first
    for conf in it:
        written.append(machine.symbol_index[conf.symbol_at(heads[-1], machine.blank)])
        heads.append(conf.head)
        states.append(conf.state)
        last = conf
    # The visited span only grows, so the last configuration's tape covers every earlier one.
    lo, width = last.tape_start, len(last.tape)
    row = np.zeros(width, dtype=np.uint8)
    off = first.tape_start - lo
    row[off:off + len(first.tape)] = [machine.symbol_index[s] for s in first.tape]
    symbols = np.empty((len(heads), width), dtype=np.uint8)
    symbols[0] = row
    for t, sym in enumerate(written, start=1):
        row[heads[t - 1] - lo] = sym
        symbols[t] = row
    return symbols, np.asarray(heads, dtype=np.int64), states, lo


def draw_spacetime(machine: Machine, input: str | Sequence[str] | None = None, *,
                   max_steps: int = DEFAULT_SPACETIME_STEPS, out: str | os.PathLike | None = None,
                   ax: "Axes | None" = None, max_width: int = DEFAULT_MAX_WIDTH) -> "Figure":
    """Draw the space-time diagram of a run: time runs down, the tape runs across.

    Each row is a configuration (step 0 at the top), each column a tape position over the visited span;
    the cell colour is the symbol (blank white) and a dot coloured by state marks the head.

    Parameters
    ----------
    machine : Machine
    input : str or sequence of str, optional
    max_steps : int, default DEFAULT_SPACETIME_STEPS
        At most ``MAX_SPACETIME_STEPS`` (see :func:`spacetime_array`).
    out : path, optional
        Save the figure there, as PNG or SVG by the extension, atomically.
    ax : matplotlib Axes, optional
        Draw into this axes (its figure is returned and saved). By default a new figure is made.
    max_width : int, default DEFAULT_MAX_WIDTH
        Refuse runs whose visited span is wider than this many cells (unreadable columns).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        ``max_steps`` out of range, a span wider than ``max_width``, or a bad ``out`` (extension other
        than ``.png``/``.svg``, missing directory).
    InputError
        An input symbol outside the input alphabet.

    Examples
    --------
    >>> from tmsim import parse_standard
    >>> fig = draw_spacetime(parse_standard("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"), max_steps=200)
    >>> fig.axes[0].get_ylabel()
    'step'
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    owner = "tmsim.draw_spacetime"
    fmt = _check_out(out, owner)
    max_width = check_int("max_width", max_width, low=1, owner=owner)
    symbols, heads, states, lo = spacetime_array(machine, input, max_steps)
    rows, width = symbols.shape
    if width > max_width:
        raise ParameterError(
            f"{owner}: the run visits {width} tape cells, more than max_width={max_width} columns can show. "
            f"Lower max_steps or raise max_width."
        )
    steps = rows - 1
    last_state = states[-1]
    if last_state in machine.halting:
        status = "halted"
    elif (last_state, machine.symbols[symbols[-1, heads[-1] - lo]]) not in machine.transitions:
        status = "undefined transition"
    else:
        status = "step limit"

    figsize = (float(np.clip(3.5 + 0.15 * width, 6.5, 14.0)), float(np.clip(1.8 + 0.12 * rows, 4.0, 12.0)))
    fig, ax = _figure_and_axes(ax, figsize=figsize, constrained=True)
    n_sym = machine.n_symbols
    colours = [_SYMBOL_COLOURS[i] if i < len(_SYMBOL_COLOURS) else _tab20(i) for i in range(n_sym)]
    ax.imshow(symbols, cmap=ListedColormap(colours), vmin=-0.5, vmax=n_sym - 0.5, interpolation="nearest",
              aspect="auto", extent=(lo - 0.5, lo + width - 0.5, rows - 0.5, -0.5))
    # Head dots about two thirds of a cell across, in points squared, within readable bounds.
    bbox = ax.get_position()
    w_in, h_in = fig.get_size_inches()
    cell_pt = 72 * min(bbox.width * w_in / width, bbox.height * h_in / rows)
    size = float(np.clip((0.65 * cell_pt) ** 2, 3.0, 90.0))
    t = np.arange(rows)
    state_arr = np.asarray(states)
    state_handles = []
    # Colours go to the states the run visits, in machine order, so they stay distinct when possible.
    visited = [s for s in machine.states if s in set(states)]
    palette = _STATE_COLOURS if len(visited) <= len(_STATE_COLOURS) else [_tab20(i, 0) for i in range(20)]
    for i, s in enumerate(visited):
        mask = state_arr == s
        colour = palette[i % len(palette)]
        marker = "X" if s in machine.halting else "o"
        ax.scatter(heads[mask], t[mask], s=size, color=colour, edgecolors="black",
                   linewidths=0.3 if size > 8 else 0.0, zorder=3, marker=marker)
        # Legend proxies keep a readable marker size however small the dots are.
        state_handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=7,
                                    markerfacecolor=colour, markeredgecolor="black", markeredgewidth=0.3,
                                    label=s))
    ax.set_xlabel("tape position")
    ax.set_ylabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if input is None or len(input) == 0:
        shown = "blank input"
    else:
        shown = "input " + _short(repr(input if isinstance(input, str) else " ".join(input)))
    ax.set_title(f"{_short(machine.name, 60)} on {shown}: {status} after {steps} steps", fontsize=10)
    state_legend = ax.legend(handles=state_handles, title="head (state)", loc="upper left",
                             bbox_to_anchor=(1.02, 1.0), fontsize=8, title_fontsize=8, frameon=False)
    ax.add_artist(state_legend)
    sym_handles = [Patch(facecolor=colours[i], edgecolor="black", linewidth=0.5,
                         label=f"{s!r} (blank)" if i == 0 else repr(s)) for i, s in enumerate(machine.symbols)]
    ax.legend(handles=sym_handles, title="symbol", loc="lower left", bbox_to_anchor=(1.02, 0.0), fontsize=8,
              title_fontsize=8, frameon=False)
    if out is not None:
        _save(fig, out, fmt)
    return fig


def _tab20(i: int, offset: int = len(_SYMBOL_COLOURS)) -> tuple:
    from matplotlib import colormaps

    return colormaps["tab20"]((i - offset) % 20)


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------------------- figures and files
def _figure_and_axes(ax: "Axes | None", figsize: tuple[float, float],
                     constrained: bool = False) -> tuple["Figure", "Axes"]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A bare Figure with an Agg canvas: no pyplot, so no global state, no GUI and nothing to close.
    fig = Figure(figsize=figsize, dpi=100, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _check_out(out: str | os.PathLike | None, owner: str) -> str | None:
    """Validate an output path before any drawing; return its image format."""
    if out is None:
        return None
    path = os.fspath(out)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in IMAGE_FORMATS:
        raise ParameterError(f"The 'out' parameter of {owner} must end in one of "
                             f"{tuple('.' + e for e in IMAGE_FORMATS)!r}. Got {path!r} instead.")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ParameterError(f"The 'out' parameter of {owner} must be in an existing directory; "
                             f"{parent!r} does not exist. Got {path!r}.")
    return ext


def _save(fig: "Figure", out: str | os.PathLike, fmt: str | None) -> None:
    """Write ``fig`` to ``out`` atomically: readers see the old file or the whole new one, never a part."""
    atomic_write(out, lambda f: fig.savefig(f, format=fmt, dpi=_DPI), what="The 'out' parameter")
