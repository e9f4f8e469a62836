"""Testing: public hypothesis strategies that build only valid machines, inputs and configurations, for
property-based testing of simulators and emulators (ours or yours).

Examples
--------
>>> from hypothesis import given
>>> from tmsim import run
>>> from tmsim.testing import machine_and_input
>>> @given(machine_and_input(n_states=(1, 3)))
... def test_runs_are_bounded(mi):
...     machine, x = mi
...     assert run(machine, x, max_steps=50).steps <= 50
>>> test_runs_are_bounded()
"""

from __future__ import annotations

import string

from hypothesis import assume
from hypothesis import strategies as st

from .machine import Machine, Move
from .simulate import Configuration, configurations

__all__ = [
    "machines",
    "standard_machines",
    "halting_machines",
    "inputs",
    "machine_and_input",
    "configurations_of",
    "mirror",
    "mirror_configuration",
]

IntRange = int | tuple[int, int]


def _range(value: IntRange, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    lo, hi = value
    if lo > hi:
        raise ValueError(f"The {name!r} range must have low <= high. Got {value!r}.")
    return lo, hi


@st.composite
def machines(
    draw,
    n_states: IntRange = (1, 4),
    n_symbols: IntRange = (2, 3),
    *,
    allow_undefined: bool = True,
    allow_stay: bool = True,
    n_halting: IntRange = (1, 2),
    standard_names: bool = False,
    halting_targets: bool = True,
) -> Machine:
    """Strategy for valid machines.

    Parameters
    ----------
    n_states : int or (low, high)
        Number of non-halting states.
    n_symbols : int or (low, high)
        Size of the tape alphabet, blank included (2..256).
    allow_undefined : bool
        Whether some (state, symbol) pairs may lack a rule.
    allow_stay : bool
        Whether rules may use the stay move ``S``.
    n_halting : int or (low, high)
        Number of halting states (0 allowed when ``low`` is 0).
    standard_names : bool
        Name states ``A, B, ...`` (halting ``Z, Y, ...``) and symbols ``0, 1, ...`` with blank ``0``, so the
        machine round-trips exactly through the standard text format.
    halting_targets : bool
        Whether rules may go to a halting state (False: only :func:`halting_machines` adds one).
    """
    q = draw(st.integers(*_range(n_states, "n_states")))
    s = draw(st.integers(*_range(n_symbols, "n_symbols")))
    h = draw(st.integers(*_range(n_halting, "n_halting")))
    if standard_names:
        running = list(string.ascii_uppercase[:q])
        halting = list(reversed(string.ascii_uppercase))[:h]
        symbols = [str(i) for i in range(s)]
        blank = "0"
    else:
        running = [f"q{i}" for i in range(q)]
        halting = ["halt", "accept", "reject", "stop"][:h] + [f"h{i}" for i in range(max(0, h - 4))]
        pool = list("_01abcxyz#") + [f"s{i}" for i in range(max(0, s - 10))]
        symbols = pool[:s]
        blank = symbols[0]
    states = running + halting
    moves = [Move.L, Move.R] + ([Move.S] if allow_stay else [])
    rules = {}
    for st_name in running:
        for sym in symbols:
            if allow_undefined and draw(st.integers(0, 5)) == 0:
                continue
            rules[(st_name, sym)] = (
                draw(st.sampled_from(states if halting_targets else running)),
                draw(st.sampled_from(symbols)),
                draw(st.sampled_from(moves)),
            )
    start = running[0]
    return Machine(states, symbols, blank, [x for x in symbols if x != blank], start, halting, rules,
                   name="generated")


def standard_machines(n_states: IntRange = (1, 5), n_symbols: IntRange = (2, 4)) -> st.SearchStrategy[Machine]:
    """Machines that the standard text format represents exactly (L/R moves, standard names, and a
    halting state only when some rule goes to it: the format knows halting states only as targets)."""

    def drop_unreachable_halts(m: Machine) -> Machine:
        targets = {r.next for r in m.transitions.values()}
        unused = [h for h in m.halting if h not in targets]
        if not unused:
            return m
        return m.replace(states=tuple(s for s in m.states if s not in unused),
                         halting=tuple(h for h in m.halting if h in targets))

    return machines(n_states, n_symbols, allow_stay=False, n_halting=1, standard_names=True).map(
        drop_unreachable_halts)


@st.composite
def halting_machines(
    draw,
    n_states: IntRange = (1, 4),
    n_symbols: IntRange = (2, 3),
    *,
    min_steps: int = 1,
    max_steps: int = 200,
    **kwargs,
) -> Machine:
    """Machines that halt (in a halting state) on the blank tape after ``min_steps..max_steps`` steps.

    Built, not filtered: a random machine is run on the blank tape, and a (state, symbol) pair whose first
    use falls in the step range is redirected to a halting state, so the run halts exactly there.
    """
    m = draw(machines(n_states, n_symbols, allow_undefined=False, n_halting=1, halting_targets=False, **kwargs))
    first_use: dict[tuple[str, str], int] = {}
    prev = None
    for t, c in enumerate(configurations(m, max_steps=max_steps)):
        if prev is not None:
            key = (prev.state, prev.symbol_at(prev.head, m.blank))
            first_use.setdefault(key, t)
        prev = c
    candidates = sorted(k for k, t in first_use.items() if min_steps <= t <= max_steps)
    assume(candidates)
    key = draw(st.sampled_from(candidates))
    halt = sorted(m.halting)[0]
    rule = m.transitions[key]
    rules = dict(m.transitions)
    rules[key] = (halt, rule.write, rule.move)
    return m.replace(transitions=rules)


def inputs(machine: Machine, min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[str | tuple[str, ...]]:
    """Inputs over ``machine``'s input alphabet: a ``str`` for single-character symbols, else a tuple."""
    if not machine.input_symbols:
        return st.just("" if machine.single_char_symbols else ())
    elems = st.lists(st.sampled_from(machine.input_symbols), min_size=min_size, max_size=max_size)
    if machine.single_char_symbols:
        return elems.map("".join)
    return elems.map(tuple)


@st.composite
def machine_and_input(draw, n_states: IntRange = (1, 4), n_symbols: IntRange = (2, 3), *,
                      max_input: int = 8, **kwargs) -> tuple[Machine, str | tuple[str, ...]]:
    """A machine and an input over its input alphabet."""
    m = draw(machines(n_states, n_symbols, **kwargs))
    return m, draw(inputs(m, max_size=max_input))


@st.composite
def configurations_of(draw, machine: Machine, max_cells: int = 8, max_offset: int = 6) -> Configuration:
    """Arbitrary configurations of ``machine``: any state, tape over the whole alphabet, any head position."""
    cells = tuple(draw(st.lists(st.sampled_from(machine.symbols), max_size=max_cells)))
    start = draw(st.integers(-max_offset, max_offset))
    head = draw(st.integers(start - max_offset, start + len(cells) + max_offset))
    state = draw(st.sampled_from(machine.states))
    return Configuration(state, cells, start, head)


def mirror(machine: Machine) -> Machine:
    """The machine with L and R swapped (its runs are the mirror images of the original's)."""
    rules = {k: (r.next, r.write, Move(-int(r.move))) for k, r in machine.transitions.items()}
    return machine.replace(transitions=rules, name=f"mirror({machine.name})")


def mirror_configuration(c: Configuration) -> Configuration:
    """Mirror a configuration about position 0 (position p goes to -p)."""
    return Configuration(c.state, tuple(reversed(c.tape)), -(c.tape_start + len(c.tape) - 1) if c.tape else 0,
                         -c.head)
