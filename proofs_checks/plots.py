"""Check -> plot: figure helpers shared by the checks (matplotlib with the Agg backend, never a window), and
:func:`figure_problems`, the rules every figure of the report keeps (labelled axes, a legend naming every
line and marker, ticks inside the data)."""

from __future__ import annotations

from typing import Sequence

__all__ = ["new_figure", "data_ticks", "log_axis", "figure_problems"]


def new_figure(figsize: tuple[float, float] = (7.0, 4.5)):
    """A new (figure, axes) pair on the Agg backend (no display needed), with a light grid."""
    # Deferred to the first figure: matplotlib takes seconds to import, and `proofs-checks list`, `run --json`
    # and the sweep workers draw nothing.
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)  # not pyplot: figures are never registered globally, so nothing leaks
    ax = fig.add_subplot()
    ax.grid(alpha=0.3)
    return fig, ax


def data_ticks(ax, values: Sequence[float], axis: str = "x", *, base: float = 2) -> None:
    """Ticks at the data values on ``axis`` (``"x"`` or ``"y"``): a log scale (``base``) only when the values
    span at least a factor of 8 over 4 or more points, else a linear one; no minor ticks either way."""
    vals = sorted({float(v) for v in values})
    log = len(vals) >= 4 and vals[0] > 0 and vals[-1] / vals[0] >= 8
    if axis == "x":
        if log:
            ax.set_xscale("log", base=base)
        ax.set_xticks(vals, [f"{v:g}" for v in vals])
        ax.set_xticks([], minor=True)
    else:
        if log:
            ax.set_yscale("log", base=base)
        ax.set_yticks(vals, [f"{v:g}" for v in vals])
        ax.set_yticks([], minor=True)


def log_axis(ax, values: Sequence[float], axis: str = "x") -> None:
    """A log scale on ``axis`` when the positive ``values`` span at least a factor of 8, with major ticks at
    the powers of 10 (or of 2, or the data values themselves) that fall inside them; a linear scale
    otherwise."""
    import numpy as np

    vals = sorted(float(v) for v in values if v is not None and np.isfinite(v) and v > 0)
    if not vals or vals[-1] / vals[0] < 8:
        return
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    lo, hi = vals[0], vals[-1]
    for base in (10, 2):
        ticks = [base ** e for e in range(int(np.floor(np.log(lo) / np.log(base))), int(np.ceil(np.log(hi) /
                                                                                              np.log(base))) + 1)
                 if lo <= base ** e <= hi]
        if len(ticks) >= 2:
            break
    else:
        ticks = [lo, hi]
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(ticks, [f"{t:g}" for t in ticks])
    setter([], minor=True)


def _categorical(axis) -> bool:
    """Whether the axis's tick labels name categories (text that is not a number): one tick can suffice."""
    texts = [t.get_text().replace("\u2212", "-") for t in axis.get_ticklabels() if t.get_text()]
    if not texts:
        return False
    for t in texts:
        try:
            float(t)
        except ValueError:
            if not t.startswith("$"):  # mathtext numbers such as $10^{2}$
                return True
    return False


def figure_problems(fig) -> list[str]:
    """What a figure of the report lacks: an axis label, a legend, a legend entry for a line, marker, bar or
    band drawn with data, or major ticks inside the data range (at least two per axis). Empty when none.

    >>> fig, ax = new_figure()
    >>> _ = ax.plot([1, 2, 3], [1, 4, 9], "o-")
    >>> figure_problems(fig)
    ['axes 0: no x label', 'axes 0: no y label', 'axes 0: unlabelled line (3 points)']
    """
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_xlabel():
            out.append(f"axes {i}: no x label")
        if not ax.get_ylabel():
            out.append(f"axes {i}: no y label")
        in_containers = set()
        labels = []
        for c in ax.containers:
            for a in c.get_children() if hasattr(c, "get_children") else c:
                if a is not None:
                    in_containers.add(id(a))
            if c.get_label().startswith("_"):
                out.append(f"axes {i}: unlabelled {type(c).__name__}")
            else:
                labels.append(c.get_label())
        for ln in ax.lines:
            if id(ln) in in_containers or len(ln.get_xdata()) == 0:
                continue
            if ln.get_label().startswith("_"):
                out.append(f"axes {i}: unlabelled line ({len(ln.get_xdata())} points)")
            else:
                labels.append(ln.get_label())
        for col in ax.collections:
            if id(col) in in_containers:
                continue
            if col.get_label().startswith("_"):
                out.append(f"axes {i}: unlabelled {type(col).__name__}")
            else:
                labels.append(col.get_label())
        legend = ax.get_legend()
        if labels and legend is None:
            out.append(f"axes {i}: no legend")
        elif legend is not None:
            shown = {t.get_text() for t in legend.get_texts()}
            missing = sorted(set(labels) - shown)
            if missing:
                out.append(f"axes {i}: not in the legend: {missing}")
        for name, axis, lim in (("x", ax.xaxis, ax.get_xlim()), ("y", ax.yaxis, ax.get_ylim())):
            lo, hi = min(lim), max(lim)
            ticks = [t for t in axis.get_majorticklocs() if lo - 1e-9 * abs(hi - lo) <= t <= hi + 1e-9 * abs(hi - lo)]
            if len(ticks) < 2 and not _categorical(axis):
                out.append(f"axes {i}: fewer than two {name} ticks inside the axis ({lo:g}..{hi:g})")
    return out
