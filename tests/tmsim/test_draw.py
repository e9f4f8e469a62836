"""Tests of tmsim.draw: the state graph behind the diagram, the space-time arrays against
tmsim.configurations, and the figures and files the drawing functions make."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

from tmsim import Machine, ParameterError, InputError, configurations, parse_standard, run, zoo
from tmsim.draw import (MAX_SPACETIME_STEPS, draw_spacetime, draw_state_diagram, edge_labels, spacetime_array,
                        state_graph)
from tmsim.testing import machine_and_input

BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def flip() -> Machine:
    return Machine(states=["A", "H"], symbols=["_", "0", "1"], blank="_", input_symbols=["0", "1"], start="A",
                   halting=["H"], name="flip",
                   transitions={("A", "0"): ("A", "1", "R"), ("A", "1"): ("A", "0", "R"),
                                ("A", "_"): ("H", "_", "S")})


def assert_image(path) -> None:
    """A non-empty PNG or SVG whose PNG pixels are not all the same colour."""
    import matplotlib.image

    data = open(path, "rb").read()
    assert len(data) > 1000
    if str(path).endswith(".png"):
        assert data.startswith(PNG_MAGIC)
        pixels = matplotlib.image.imread(path)
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert pixels[..., :3].std() > 0.05
    else:
        assert b"<svg" in data[:2000]


# --------------------------------------------------------------------------------------- state graph
@pytest.mark.parametrize("machine", [parse_standard(BB4), flip(), zoo.get("binary-addition").machine,
                                     zoo.get("bb2x3").machine], ids=lambda m: m.name)
def test_state_graph_has_one_node_per_state_and_one_edge_per_rule(machine):
    g = state_graph(machine)
    assert list(g.nodes) == list(machine.states)
    for s in machine.states:
        assert g.nodes[s]["start"] == (s == machine.start)
        assert g.nodes[s]["halting"] == (s in machine.halting)
    edges = {(u, v, k): d for u, v, k, d in g.edges(keys=True, data=True)}
    expected = {(state, nxt, read): (write, move.letter) for state, read, write, move, nxt in machine.rules()}
    assert set(edges) == set(expected)
    assert g.number_of_edges() == len(machine.transitions)
    for key, (write, letter) in expected.items():
        d = edges[key]
        assert (d["read"], d["write"], d["move"]) == (key[2], write, letter)
        assert d["label"] == f"{key[2]}→{write},{letter}"


def test_state_graph_bb4_edges_and_self_loop():
    g = state_graph(parse_standard(BB4))
    assert sorted(g.edges(keys=True)) == [
        ("A", "B", "0"), ("A", "B", "1"), ("B", "A", "0"), ("B", "C", "1"),
        ("C", "D", "1"), ("C", "Z", "0"), ("D", "A", "1"), ("D", "D", "0"),
    ]
    assert g.has_edge("D", "D")  # a self-loop
    assert g.out_degree("Z") == 0


def test_edge_labels_merge_parallel_edges_in_symbol_order():
    m = parse_standard(BB4)
    labels = edge_labels(state_graph(m), m)
    assert labels[("A", "B")] == "0→1,R\n1→1,L"
    assert labels[("D", "D")] == "0→1,R"
    assert len(labels) == 7  # 8 rules, two of them parallel


def test_state_graph_rejects_non_machine():
    with pytest.raises(ParameterError, match="must be a tmsim.Machine"):
        state_graph("1RB1LB_1LA1RZ")


# --------------------------------------------------------------------------------------- space-time arrays
def check_against_configurations(machine, x, max_steps):
    symbols, heads, states, lo = spacetime_array(machine, x, max_steps)
    confs = list(configurations(machine, x, max_steps=max_steps))
    assert symbols.shape[0] == len(confs) == len(heads) == len(states)
    width = symbols.shape[1]
    assert lo == min(c.tape_start for c in confs)
    assert width == max(c.tape_start + len(c.tape) for c in confs) - lo
    for t, c in enumerate(confs):
        assert heads[t] == c.head and states[t] == c.state
        assert machine.decode_tape(symbols[t]) == c.window(lo, lo + width, machine.blank)
    return symbols, heads, states, lo


def test_spacetime_rows_are_steps_plus_one_for_bb4():
    m = parse_standard(BB4)
    symbols, heads, states, lo = check_against_configurations(m, None, 1000)
    r = run(m)
    assert (r.status.value, r.steps, r.nonblank) == ("halted", 107, 13)
    assert symbols.shape[0] == r.steps + 1
    assert symbols.dtype.kind in "iu" and heads.dtype.kind == "i"
    assert states[0] == "A" and states[-1] == r.state and heads[-1] == r.head
    assert int((symbols[-1] != 0).sum()) == r.nonblank
    assert m.format_tape(m.decode_tape(symbols[-1])).strip("0") == r.output.strip("0")


def test_spacetime_step_limit_and_zero_steps():
    m = parse_standard(BB4)
    symbols, heads, states, lo = check_against_configurations(m, None, 10)
    assert symbols.shape[0] == 11
    symbols, heads, states, lo = spacetime_array(m, None, 0)
    assert symbols.shape == (1, 1) and heads.tolist() == [0] and states == ["A"] and lo == 0


def test_spacetime_with_input():
    symbols, heads, states, lo = check_against_configurations(flip(), "0110", 100)
    assert symbols.shape == (6, 5) and lo == 0
    assert flip().decode_tape(symbols[-1]) == ("1", "0", "0", "1", "_")


@settings(max_examples=40)
@given(machine_and_input(n_states=(1, 3)))
def test_spacetime_matches_configurations_on_random_machines(mi):
    machine, x = mi
    check_against_configurations(machine, x, 30)


def test_spacetime_rejects_bad_budgets_and_inputs():
    m = parse_standard(BB4)
    with pytest.raises(ParameterError, match="max_steps"):
        spacetime_array(m, None, -1)
    with pytest.raises(ParameterError, match=str(MAX_SPACETIME_STEPS)):
        spacetime_array(m, None, MAX_SPACETIME_STEPS + 1)
    with pytest.raises(InputError):
        spacetime_array(m, "2", 10)
    with pytest.raises(ParameterError, match="max_width"):
        draw_spacetime(m, max_steps=200, max_width=5)


# --------------------------------------------------------------------------------------- figures and files
def test_draw_state_diagram_figure_without_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    fig = draw_state_diagram(parse_standard(BB4))
    assert fig.axes[0].get_title() == BB4
    # A circle per state and an extra inner circle for the halting state.
    from matplotlib.patches import Circle

    assert sum(isinstance(p, Circle) for p in fig.axes[0].patches) == 5 + 1
    assert plt.get_fignums() == before  # nothing registered with pyplot, nothing to leak


def test_draw_into_given_axes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    assert draw_state_diagram(flip(), ax=ax1) is fig
    assert draw_spacetime(flip(), "01", ax=ax2) is fig
    assert ax2.get_ylabel() == "step"


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_draw_saves_png_and_svg(tmp_path, ext):
    m = parse_standard(BB4)
    draw_state_diagram(m, out=tmp_path / f"diagram.{ext}")
    draw_spacetime(m, max_steps=200, out=tmp_path / f"spacetime.{ext}")
    assert_image(tmp_path / f"diagram.{ext}")
    assert_image(tmp_path / f"spacetime.{ext}")
    assert sorted(os.listdir(tmp_path)) == [f"diagram.{ext}", f"spacetime.{ext}"]  # no temporary files left


def test_state_diagram_png_is_deterministic(tmp_path):
    m = zoo.get("binary-increment").machine
    draw_state_diagram(m, out=tmp_path / "a.png")
    draw_state_diagram(m, out=tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("name", zoo.names())
def test_draw_every_zoo_machine(name):
    e = zoo.get(name)
    fig = draw_state_diagram(e.machine)
    fig.canvas.draw()  # render: text and arrow layout must not fail
    assert len(fig.axes[0].texts) >= e.machine.n_states


def test_one_state_machine_with_self_loop(tmp_path):
    m = Machine(["A"], ["0", "1"], "0", ["1"], "A", [], {("A", "0"): ("A", "1", "R")}, name="runner")
    draw_state_diagram(m, out=tmp_path / "one.png")
    assert_image(tmp_path / "one.png")
    draw_spacetime(m, max_steps=30, out=tmp_path / "one_st.png")
    assert_image(tmp_path / "one_st.png")


def test_bad_out_paths(tmp_path):
    m = parse_standard(BB4)
    with pytest.raises(ParameterError, match="existing directory"):
        draw_state_diagram(m, out=tmp_path / "missing" / "x.png")
    with pytest.raises(ParameterError, match=r"\.png"):
        draw_state_diagram(m, out=tmp_path / "x.jpg")
    with pytest.raises(ParameterError, match="existing directory"):
        draw_spacetime(m, max_steps=10, out=tmp_path / "missing" / "x.svg")
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    target = tmp_path / "x.png"
    target.write_bytes(b"old")

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        draw_state_diagram(parse_standard(BB4), out=target)
    assert os.listdir(tmp_path) == ["x.png"] and target.read_bytes() == b"old"
