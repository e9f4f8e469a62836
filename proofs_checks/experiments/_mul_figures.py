"""Experiment -> plot: the figures of :mod:`proofs_checks.experiments.multiplication` (exact match vs training
examples, per-digit accuracy by place value, length generalisation), as matplotlib ``Figure`` s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tmsim.io import atomic_write

from ..plots import new_figure

__all__ = ["figures"]


def figures(result) -> dict[str, Any]:
    """The experiment's figures (matplotlib ``Figure`` s, no pyplot state): exact match vs training examples,
    per-digit accuracy by place value, and (when longer operands were tested) length generalisation."""
    fig, ax0 = new_figure((11.0, 4.5))  # first: it sets up matplotlib (deferred: seconds to import)
    from matplotlib.ticker import NullFormatter

    figs = {}
    fig.delaxes(ax0)
    axes = fig.subplots(1, 2, sharey=True)
    units = ("training pairs (linear learners: one fit per size)", "sequences processed (MLP, during training)")
    for ax, mlp, xlabel in zip(axes, (False, True), units):
        for key, pts in result.curves.items():
            if pts and key.endswith(" / mlp") == mlp:
                x, y = zip(*sorted(pts))
                ax.plot(x, y, marker="o", label=key)
        xs = [p[0] for key, pts in result.curves.items() if key.endswith(" / mlp") == mlp for p in pts]
        if len(set(xs)) >= 4 and max(xs) >= 10 * max(min(xs), 1):
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # the minor labels collide
            if len(set(xs)) <= 6:  # few sizes: label exactly those
                ax.set_xticks(sorted(set(xs)), [f"{x:,}" for x in sorted(set(xs))], fontsize=8)
        if not xs:
            ax.text(0.5, 0.5, "none in this run", ha="center", va="center", transform=ax.transAxes, color="gray")
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, title="format / model", title_fontsize=8)
    axes[0].set_ylabel("held-out exact match (greedy rollout)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].set_title("Linear learners")
    axes[1].set_title("MLP")
    fig.suptitle("Exact match vs training examples")
    figs["accuracy_vs_examples"] = fig

    fig, ax = new_figure()
    for r in result.rows:
        if r.digits == r.train_digits and r.format.startswith("mul"):
            ax.plot(range(len(r.per_digit)), r.per_digit, marker="o",
                    label=f"{r.format} / {r.model}, {r.digits} digits")
    ax.set_xlabel("place value of the product digit (10^i)")
    ax.set_ylabel("per-digit accuracy (greedy rollout)")
    ax.set_ylim(-0.02, 1.02)
    ax.xaxis.get_major_locator().set_params(integer=True)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, title="format / model, operand digits", title_fontsize=8)
    ax.set_title("Per-digit accuracy by position")
    figs["per_digit_accuracy"] = fig

    long_rows = [r for r in result.rows if r.format.endswith("local")]
    if any(r.digits != r.train_digits for r in long_rows):
        fig, ax = new_figure()
        for key in sorted({(r.format, r.model) for r in long_rows}):
            pts = sorted((r.digits, r.exact_match) for r in long_rows if (r.format, r.model) == key)
            ax.plot(*zip(*pts), marker="o", label=f"{key[0]} / {key[1]}")
        ax.set_xlabel("operand digits of the held-out pairs (trained on the shortest)")
        ax.set_ylabel("held-out exact match (greedy rollout)")
        ax.set_ylim(-0.02, 1.02)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, title="format / model", title_fontsize=8)
        ax.set_title("Length generalisation of the local CoTs")
        figs["length_generalisation"] = fig
    return figs


def _plots(result, out: Path) -> list[Path]:
    files: list[Path] = []
    for stem, fig in figures(result).items():
        for ext in ("png", "svg"):
            files.append(atomic_write(out / f"{stem}.{ext}", lambda f: fig.savefig(f, format=ext, dpi=120,
                                                                                 bbox_inches="tight")))
    return files
