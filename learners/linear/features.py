"""Learner (linear features): what a linear AR learner reads — the window (offsets 1..k or an explicit set)
and, from a :class:`tmsim.encodings.PositionLayout`, its weight blocks (position classes) and the offsets
each block declares or that :mod:`learners.discovery` finds in the training traces (the ``features``
parameter, :func:`resolve_features`) — and the parameter checks shared by the linear learners."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from tmsim.encodings import PositionLayout
from tmsim.encodings.layout import MAX_OFFSET

from ..discovery import DiscoveryReport, check_discovery, discover_layout, learner_features
from ..errors import LearnerError

__all__ = ["PAD", "FEATURES", "param_error", "check_int_param", "check_float_param", "check_bool_param",
           "window_offsets", "check_layout", "period_layout", "Blocks", "blocks", "check_features",
           "resolve_features"]

PAD = 0
#: The values of the linear learners' ``features`` parameter besides None (the layout as given).
FEATURES = ("auto", "window", "declared")


def param_error(owner: str, name: str, expected: str, got: Any) -> LearnerError:
    return LearnerError(f"The {name!r} parameter of {owner} must be {expected}. Got {got!r} instead.")


def check_int_param(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise param_error(owner, name, f"an int in [{low}, inf)", value)
    return int(value)


def check_float_param(owner: str, name: str, value: Any, low: float) -> float:
    """A finite real number >= ``low`` (inf and nan refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not value >= low:
        raise param_error(owner, name, f"a float in [{low:g}, inf)", value)
    return float(value)


def check_bool_param(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise param_error(owner, name, "a bool", value)
    return bool(value)


def window_offsets(owner: str, offsets: Any, window: Any) -> np.ndarray:
    """The window a block reads: ``offsets`` (distinct ints >= 1) if given, else ``1..window``.

    Returns
    -------
    ndarray of int64, shape (k,)
    """
    if offsets is not None:
        offs = np.asarray(offsets)
        if offs.ndim != 1 or offs.size == 0 or offs.dtype.kind not in "iu" or (offs < 1).any() \
                or (offs > MAX_OFFSET).any():
            raise param_error(owner, "offsets", f"a non-empty sequence of ints in [1, {MAX_OFFSET}]", offsets)
        if len(np.unique(offs)) != len(offs):
            raise param_error(owner, "offsets", "a sequence of distinct ints", offsets)
        return np.ascontiguousarray(offs, dtype=np.int64)
    k = check_int_param(owner, "window", window, 1)
    if k > MAX_OFFSET:
        raise param_error(owner, "window", f"an int in [1, {MAX_OFFSET}]", window)
    return np.arange(1, k + 1, dtype=np.int64)


def check_layout(owner: str, layout: Any) -> PositionLayout | None:
    """``layout`` if it is a :class:`~tmsim.encodings.PositionLayout` or None, else a one-line error."""
    if layout is not None and not isinstance(layout, PositionLayout):
        raise param_error(owner, "layout", "a tmsim.encodings.PositionLayout (e.g. encoding.layout(machine), "
                          "task.layout(), dataset.layout) or None", layout)
    return layout


#: Most memory the arrays of one linear model's training may take (weights and their averages, or Gram
#: matrices); a larger model is refused with its estimate before anything is allocated.
MAX_TRAINING_BYTES = 4 << 30


def check_training_bytes(owner: str, what: str, n_bytes: int) -> None:
    """Raise a :class:`LearnerError` when ``n_bytes`` (an estimate of ``what``) exceeds MAX_TRAINING_BYTES."""
    if n_bytes > MAX_TRAINING_BYTES:
        raise LearnerError(f"{owner}: {what} would take about {n_bytes / 2 ** 30:,.1f} GiB, more than "
                           f"MAX_TRAINING_BYTES ({MAX_TRAINING_BYTES / 2 ** 30:.0f} GiB); use a shorter window, "
                           f"fewer offsets or fewer weight blocks (layout, --period).")


def period_layout(period: int | None) -> PositionLayout | None:
    """The layout of the former ``period=`` parameter: 1 -> None (one shared block), ``p`` -> one class per
    residue modulo ``p``, None -> the time-dependent layout (one block per absolute position)."""
    if period is None:
        return PositionLayout.time_dependent()
    if isinstance(period, bool) or not isinstance(period, numbers.Integral) or not 1 <= int(period) <= MAX_OFFSET:
        raise LearnerError(f"The 'period' parameter must be an integer in [1, {MAX_OFFSET:,}] or None (one block "
                           f"per absolute position). Got {period!r} instead.")
    if int(period) == 1:
        return None
    return PositionLayout(period=int(period), classes=tuple(range(int(period))))


@dataclass(frozen=True)
class Blocks:
    """The weight blocks of a linear model, as the kernels take them.

    Attributes
    ----------
    n_blocks : int
        C, the weight blocks (position classes; one per absolute position seen for the time-dependent form).
    period : int
        The kernels' period argument (0: time-dependent).
    classes : ndarray of int64, shape (period,) or (0,)
        The block of each residue (empty: the residue itself).
    offsets : ndarray of int64, shape (k,)
        The union of every block's offsets, increasing when the layout declares them.
    use : ndarray of uint8, shape (C, k)
        Which offsets each block reads.
    """

    n_blocks: int
    period: int
    classes: np.ndarray
    offsets: np.ndarray
    use: np.ndarray


def blocks(owner: str, layout: Any, offsets: Any, window: Any, longest: int) -> Blocks:
    """The weight blocks for ``layout`` (None: one block shared by every position) over the window
    ``offsets`` / ``window``; a layout that declares per-class offsets fixes each block's own offsets
    (``offsets`` and ``window`` are then unused). ``longest``: the longest training sequence (the
    time-dependent form has one block per position)."""
    layout = check_layout(owner, layout)
    no_classes = np.zeros(0, dtype=np.int64)
    if layout is None or layout.period is None:
        C, period = (1, 1) if layout is None else (max(1, int(longest)), 0)
        offs = window_offsets(owner, offsets, window)
        return Blocks(C, period, no_classes, offs, np.ones((C, len(offs)), dtype=np.uint8))
    C, period = layout.n_classes, layout.period
    cls = no_classes if layout.classes == tuple(range(period)) else np.array(layout.classes, dtype=np.int64)
    if layout.offsets is None:
        offs = window_offsets(owner, offsets, window)
        return Blocks(C, period, cls, offs, np.ones((C, len(offs)), dtype=np.uint8))
    empty = [layout.names[c] for c, o in enumerate(layout.offsets) if not o]
    if empty:
        raise param_error(owner, "layout", f"a layout whose every class declares at least one offset (class "
                          f"{empty[0]!r} declares none)", layout)
    union = np.array(layout.union_offsets(), dtype=np.int64)
    use = np.array([[int(o) in set(c) for o in union] for c in layout.offsets], dtype=np.uint8)
    return Blocks(C, period, cls, union, use)


def _view(features: str | None, layout: PositionLayout | None, offsets: Any) -> PositionLayout | None:
    """The layout as the features will read it: its declared offsets kept only where they are used
    (``features`` None or ``"declared"`` without explicit ``offsets``)."""
    if layout is None or features is None or (features == "declared" and offsets is None):
        return layout
    return layout.undeclared()


def check_features(owner: str, features: Any, layout: Any, offsets: Any, window: Any, discovery: Any) -> None:
    """Every feature parameter checked together (a LearnerError names the first bad one): ``features``,
    ``layout`` (as ``features`` reads it), ``offsets`` / ``window`` and the ``discovery`` options."""
    if features is not None and (not isinstance(features, str) or features not in FEATURES):
        raise param_error(owner, "features", f"None or one of {FEATURES}", features)
    layout = check_layout(owner, layout)
    if features == "auto" and offsets is None and layout is not None and layout.period is None:
        raise param_error(owner, "layout", "a layout with a period (position classes to discover offsets for) "
                          "with features='auto'", layout)
    if features == "declared" and offsets is None and layout is not None and layout.offsets is None:
        raise param_error(owner, "layout", "a layout that declares per-class offsets with features='declared' "
                          "(or None, to use the training dataset's layout)", layout)
    blocks(owner, _view(features, layout, offsets), offsets, window, 1)
    check_discovery(owner, discovery)


def resolve_features(owner: str, features: str | None, layout: PositionLayout | None, offsets: Any, window: Any,
                     discovery: Mapping[str, Any] | None, X: Any, seqs: Any, random_state: Any
                     ) -> tuple[PositionLayout, DiscoveryReport | None]:
    """The layout a linear learner reads — what :func:`blocks` is given, with ``offsets`` / ``window`` — and
    the discovery report behind it (None unless discovered).

    Precedence: explicit ``offsets`` (every block of the layout's structure reads them) > ``"declared"``
    (the layout's per-class offsets) > ``"auto"`` (:func:`learners.discovery.discover_layout` on the
    training data ``seqs`` and the layout's structure; no declared offset is read) > ``"window"`` (every
    block reads ``1..window``). ``features=None`` keeps ``layout`` as given. The layout is ``layout``, or
    with ``"auto"`` / ``"declared"`` and ``layout=None`` the training dataset's own (``X.layout``); None
    anywhere else is :meth:`PositionLayout.shift_invariant` (one block shared by every position).
    """
    if features is None:
        return (PositionLayout.shift_invariant() if layout is None else layout), None
    if layout is None and features in ("auto", "declared"):
        layout = getattr(X, "layout", None)
        layout = layout if isinstance(layout, PositionLayout) else None
    if offsets is not None or features == "window":
        return (PositionLayout.shift_invariant() if layout is None else layout.undeclared()), None
    if features == "declared":
        if layout is None or layout.offsets is None:
            raise LearnerError(f"{owner}: features='declared' needs a layout that declares per-class offsets: "
                               f"pass layout= (e.g. encoding.layout(machine, width=W)) or train on a dataset "
                               f"whose layout declares them. Got {'no layout' if layout is None else layout}.")
        return layout, None
    layout = PositionLayout.shift_invariant() if layout is None else layout.undeclared()
    if layout.period is None:
        raise LearnerError(f"{owner}: features='auto' needs a layout with a period (position classes to "
                           f"discover offsets for); the training data's layout is time-dependent.")
    report = discover_layout(seqs, layout, random_state=random_state, **dict(discovery or {}))
    return learner_features(report)["layout"], report
