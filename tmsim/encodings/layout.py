"""Tokens -> learner (position layout): which weight block each position of a trace uses and, where the
format declares it, which offsets back its token reads — one frozen type that every encoding and task
produces (``encoding.layout(...)``, ``task.layout()``), every dataset carries and every learner accepts as
``layout=``.

A layout describes the *structure of a format* (the period of its rows and the class of each position in a
row), which a learner may use; the per-class ``offsets`` are the format's *declared dependencies*, which a
learner that is meant to earn its features must not see (:meth:`PositionLayout.undeclared`). See
``docs/theory.md`` (position classes, local rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .._validate import check_int, fail
from .errors import EncodingError

__all__ = ["PositionLayout", "LayoutError"]

#: the largest period and the largest offset a layout may name (a guard against crafted files: a period of
#: 2**40 would make every learner allocate a class map of that size)
MAX_PERIOD = 1 << 24
MAX_OFFSET = 1 << 24


class LayoutError(EncodingError):
    """A position layout that is malformed (wrong lengths, negative classes, offsets < 1, ...)."""


def _fail(field: str, constraint: str, value: Any) -> LayoutError:
    return fail(field, constraint, value, owner="PositionLayout", error=LayoutError, kind="field", limit=80)


def _as_int(field: str, value: Any, low: int, high: int) -> int:
    return check_int(field, value, low=low, high=high, owner="PositionLayout", error=LayoutError, kind="field",
                     limit=80, constraint=f"an int in [{low}, {high}]")


@dataclass(frozen=True)
class PositionLayout:
    """How the positions of a trace map to weight blocks, and (optionally) what each block reads.

    Position ``t`` of a sequence (counted from its start, the prompt included) belongs to class
    ``classes[t % period]``. ``period=None`` is the paper's time-dependent form: one class per absolute
    position (``classes``, ``names`` and ``offsets`` are then empty / None).

    Parameters
    ----------
    period : int or None
        Row period L >= 1 (1: one shared block, the shift-invariant learner), or None (time-dependent).
    classes : tuple of int, length ``period``
        The class of each residue modulo ``period``; every class in ``range(n_classes)`` is used.
    names : tuple of str, length ``n_classes``
        A name per class (``"header"``, ``"cell"``, ...), for reports.
    offsets : tuple of tuple of int, length ``n_classes``, or None
        Per class, the offsets (>= 1, counted back from the predicted position, increasing) its token is
        declared to depend on; None when the format declares none (or they are hidden from the learner).

    Examples
    --------
    >>> lay = PositionLayout(period=4, classes=(0, 1, 1, 1), names=("header", "cell"),
    ...                      offsets=((4,), (1, 4)))
    >>> lay.n_classes, lay.class_of(9), lay.union_offsets()
    (2, 1, (1, 4))
    >>> lay.undeclared().offsets is None
    True
    >>> PositionLayout.from_json(lay.to_json()) == lay
    True
    >>> PositionLayout.shift_invariant()
    PositionLayout(period=1, classes=(0,), names=('all',), offsets=None)
    """

    period: int | None
    classes: tuple[int, ...] = ()
    names: tuple[str, ...] = ()
    offsets: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.period is None:
            if self.classes or self.names or self.offsets is not None:
                raise _fail("classes", "empty (with names and offsets) when period is None (time-dependent)",
                            self.classes)
            return
        period = _as_int("period", self.period, 1, MAX_PERIOD)
        if isinstance(self.classes, (str, bytes)) or not isinstance(self.classes, Sequence):
            raise _fail("classes", f"a sequence of {period} ints >= 0", self.classes)
        classes = tuple(_as_int("classes", c, 0, MAX_PERIOD) for c in self.classes)
        if len(classes) != period:
            raise _fail("classes", f"a sequence of period={period} ints (the class of each residue)", self.classes)
        n = max(classes) + 1
        if set(classes) != set(range(n)):
            raise _fail("classes", f"a sequence using every class 0..{n - 1}", self.classes)
        names = self.names or tuple(f"c{i}" for i in range(n))
        if (isinstance(names, (str, bytes)) or not isinstance(names, Sequence) or len(names) != n
                or not all(isinstance(s, str) for s in names)):
            raise _fail("names", f"a sequence of {n} strings (one per class)", self.names)
        offsets = self.offsets
        if offsets is not None:
            if isinstance(offsets, (str, bytes)) or not isinstance(offsets, Sequence) or len(offsets) != n:
                raise _fail("offsets", f"None or a sequence of {n} offset tuples (one per class)", offsets)
            clean = []
            for offs in offsets:
                if isinstance(offs, (str, bytes)) or not isinstance(offs, Sequence):
                    raise _fail("offsets", "per class a sequence of ints >= 1", offsets)
                o = tuple(_as_int("offsets", x, 1, MAX_OFFSET) for x in offs)
                if list(o) != sorted(set(o)):
                    raise _fail("offsets", "per class strictly increasing ints >= 1", offsets)
                clean.append(o)
            offsets = tuple(clean)
        object.__setattr__(self, "period", period)
        object.__setattr__(self, "classes", classes)
        object.__setattr__(self, "names", tuple(str(s) for s in names))
        object.__setattr__(self, "offsets", offsets)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def shift_invariant(cls) -> "PositionLayout":
        """One class for every position (the plain sliding-window learner)."""
        return cls(period=1, classes=(0,), names=("all",))

    @classmethod
    def time_dependent(cls) -> "PositionLayout":
        """One class per absolute position (the paper's time-dependent linear predictor)."""
        return cls(period=None)

    @classmethod
    def from_classes(cls, period: int, class_of: Mapping[int, str] | Sequence[str],
                     offsets: Mapping[str, Sequence[int]] | None = None) -> "PositionLayout":
        """A layout from a class *name* per residue (names numbered in order of first appearance, or in the
        order of ``offsets`` when it is given).

        >>> PositionLayout.from_classes(3, ["h", "c", "c"], {"h": (3,), "c": (1, 3)}).classes
        (0, 1, 1)
        """
        labels = [class_of[p] for p in range(int(period))]
        order = list(offsets) if offsets is not None else list(dict.fromkeys(labels))
        missing = sorted(set(labels) - set(order))
        if missing:
            raise _fail("offsets", f"a mapping naming every class (missing {missing})", offsets)
        used = [c for c in order if c in set(labels)]
        index = {c: i for i, c in enumerate(used)}
        offs = None if offsets is None else tuple(tuple(offsets[c]) for c in used)
        return cls(period=int(period), classes=tuple(index[c] for c in labels), names=tuple(used), offsets=offs)

    # ------------------------------------------------------------------ queries
    @property
    def n_classes(self) -> int:
        """Number of classes (0 for the time-dependent layout, whose classes are positions)."""
        return len(self.names)

    @property
    def time_dependent_form(self) -> bool:
        return self.period is None

    def class_of(self, position: int) -> int:
        """The class of position ``position`` (counted from the sequence start)."""
        if self.period is None:
            return int(position)
        return self.classes[int(position) % self.period]

    def union_offsets(self) -> tuple[int, ...]:
        """Every offset some class reads, increasing (empty when none are declared)."""
        if self.offsets is None:
            return ()
        return tuple(sorted({o for offs in self.offsets for o in offs}))

    def window(self) -> int:
        """The largest declared offset (0 when none are declared)."""
        u = self.union_offsets()
        return u[-1] if u else 0

    # ------------------------------------------------------------------ derived layouts
    def undeclared(self) -> "PositionLayout":
        """The same structure with the declared offsets hidden (what a feature-discovering learner sees)."""
        if self.period is None:
            return self
        return PositionLayout(self.period, self.classes, self.names, None)

    def with_offsets(self, offsets: Sequence[Sequence[int]] | Mapping[str, Sequence[int]]) -> "PositionLayout":
        """The same structure with per-class offsets ``offsets`` (a sequence in class order, or a mapping by
        class name)."""
        if self.period is None:
            raise _fail("period", "an int to attach per-class offsets", None)
        if isinstance(offsets, Mapping):
            offsets = [offsets[n] for n in self.names]
        return PositionLayout(self.period, self.classes, self.names, tuple(tuple(o) for o in offsets))

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> dict:
        """A JSON-ready dict (lists, ints, strings); :meth:`from_json` reads it back."""
        return {"period": self.period, "classes": list(self.classes), "names": list(self.names),
                "offsets": None if self.offsets is None else [list(o) for o in self.offsets]}

    @classmethod
    def from_json(cls, data: Any) -> "PositionLayout":
        """Read :meth:`to_json` output back, validating every field (a malformed dict is a
        :class:`LayoutError`, never a crash)."""
        if not isinstance(data, Mapping):
            raise _fail("layout", "a JSON object with period, classes, names, offsets", data)
        unknown = sorted(set(data) - {"period", "classes", "names", "offsets"})
        if unknown:
            raise _fail("layout", "a JSON object with only period, classes, names, offsets", unknown)
        period = data.get("period")
        offsets = data.get("offsets")
        classes, names = data.get("classes", ()), data.get("names", ())
        for field, value in (("classes", classes), ("names", names)):
            if not isinstance(value, (list, tuple)):
                raise _fail(field, "a list", value)
        if offsets is not None:
            if not isinstance(offsets, (list, tuple)) or not all(isinstance(o, (list, tuple)) for o in offsets):
                raise _fail("offsets", "null or a list of lists of ints", offsets)
            offsets = tuple(tuple(o) for o in offsets)
        return cls(period=period, classes=tuple(classes), names=tuple(names), offsets=offsets)
