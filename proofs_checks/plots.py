"""Check -> plot: figure helpers shared by the checks (matplotlib with the Agg backend, never a window)."""

from __future__ import annotations

__all__ = ["new_figure"]


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
