"""Zoo (random machines): :func:`random_halting_machine`, a machine drawn at random and kept when it halts on
every probed input and does some work — the "any machine" the emulation experiments learn besides the named
zoo entries."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_int, check_random_state, fail
from ..errors import ParameterError
from ..formats.standard import to_standard
from ..machine import Machine
from ..simulate import run

__all__ = ["random_halting_machine"]


def random_halting_machine(random_state: Any = 0, *, n_states: int = 3, n_symbols: int = 3,
                           lengths: tuple[int, int] = (1, 16), n_probe: int = 64, max_tries: int = 10_000):
    """A random machine that halts on every probed input and does some work: drawn, then kept or redrawn.

    Every (state, symbol) pair has a rule (random next state among the running ones or ``halt``, random
    write, move L or R). A machine is kept when its rules move both ways and, on ``n_probe`` random inputs
    with lengths in ``lengths`` (plus the longest all-ones input), it halts within ``4 n^2 + 64`` steps
    and on most of them takes at least as many steps as the input has symbols (no machine that halts at
    once whatever the input).

    Parameters
    ----------
    random_state : int, Generator or None
        All randomness: the rules and the probe inputs.
    n_states : int in [1, 26], default 3
        Running states ``A``, ``B``, ... (plus the halting state ``halt``).
    n_symbols : int in [2, 10], default 3
        Tape symbols, blank ``_`` included; the input symbols are the others (``1``, ``2``, ...).
    lengths : (int, int)
        Lengths of the probe inputs.
    n_probe : int
        Random probe inputs (the longest all-ones input is always probed too).
    max_tries : int
        Machines drawn before giving up.

    Returns
    -------
    Machine
        Named ``random:<standard format>``.

    Raises
    ------
    ParameterError
        A parameter out of range, or no machine passed the probes in ``max_tries`` draws.

    Examples
    --------
    >>> m = random_halting_machine(0)
    >>> m.name, m.n_states, m.n_symbols
    ('random:0RC2RB1RC_1RZ2LA1RB_2LB0RA0RB', 4, 3)
    """
    owner = "random_halting_machine"
    n_states = check_int("n_states", n_states, low=1, high=26, owner=owner)
    n_symbols = check_int("n_symbols", n_symbols, low=2, high=10, owner=owner)
    if not isinstance(lengths, (tuple, list)) or len(lengths) != 2:
        raise fail("lengths", "(a, b) with integers 0 <= a <= b", lengths, owner=owner)
    lo = check_int("lengths[0]", lengths[0], low=0, owner=owner)
    hi = check_int("lengths[1]", lengths[1], low=lo, owner=owner)
    n_probe = check_int("n_probe", n_probe, low=0, owner=owner)
    max_tries = check_int("max_tries", max_tries, low=1, owner=owner)
    rng = check_random_state(random_state, owner)[1]
    states = [chr(ord("A") + i) for i in range(n_states)]
    symbols = ["_"] + [str(i) for i in range(1, n_symbols)]
    for _ in range(max_tries):
        rules = {}
        for q in states:
            for x in symbols:
                nxt = "halt" if rng.random() < 1 / (n_states * n_symbols) else states[int(rng.integers(n_states))]
                rules[(q, x)] = (nxt, symbols[int(rng.integers(n_symbols))], "LR"[int(rng.integers(2))])
        if not any(r[0] == "halt" for r in rules.values()):
            continue
        m = Machine(states + ["halt"], symbols, "_", symbols[1:], "A", ["halt"], rules, name="random")
        m = m.replace(name=f"random:{to_standard(m)}")
        probes = ["".join(rng.choice(symbols[1:], size=int(rng.integers(lo, hi + 1))))
                  for _ in range(n_probe)] + [symbols[1] * hi]
        steps, ok = [], True
        for x in probes:
            r = run(m, x, max_steps=4 * len(x) ** 2 + 64)
            if r.status.value != "halted":
                ok = False
                break
            steps.append(r.steps / max(len(x), 1))
        if ok and np.median(steps) >= 1.0 and {r[2] for r in rules.values()} == {"L", "R"}:
            return m
    raise ParameterError(f"random_halting_machine: no machine with {n_states} states and {n_symbols} symbols "
                       f"passed the probes in {max_tries} tries.")
