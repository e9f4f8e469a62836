"""Hostile machine files: duplicate JSON keys, empty files, a UTF-8 byte order mark, YAML nested too deeply,
files over MAX_FILE_BYTES, and machines too large to draw. Each is loaded or refused with a one-line error,
never a traceback, a hang or an unbounded read."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given

from tmsim import FormatError, Machine, ParameterError, parse_standard
from tmsim.cli import main
from tmsim.draw import MAX_DIAGRAM_STATES, draw_state_diagram
from tmsim.formats import dumps, load, loads, parse_json, parse_morphett, parse_yaml, to_json, to_yaml
from tmsim.formats import io as formats_io
from tmsim.formats import yaml_format
from tmsim.testing import machines

BB2 = parse_standard("1RB1LB_1LA1RZ", name="bb2")
EXT = {"standard": ".tm", "yaml": ".yaml", "morphett": ".mtm", "json": ".json"}


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


def cli_error(capsys, *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmsim: error: "), err
    return lines[0]


# ------------------------------------------------------------------------------------------ JSON duplicate keys
@pytest.mark.parametrize("key", ["states", "rules", "name", "format"])
def test_json_duplicate_key_is_rejected(key, tmp_path, capsys):
    d = json.loads(to_json(BB2))
    body = to_json(BB2).rstrip().rstrip("}")
    text = body + f",\n  {json.dumps(key)}: {json.dumps(d[key])}\n}}\n"
    with pytest.raises(FormatError, match=f"duplicate key '{key}'") as info:
        parse_json(text)
    one_line(info.value)
    path = tmp_path / "dup.json"
    path.write_text(text, encoding="utf-8")
    assert "duplicate key" in cli_error(capsys, "show", str(path))


def test_json_without_duplicates_still_loads():
    assert parse_json(to_json(BB2)) == BB2


# ------------------------------------------------------------------------------------------ empty files
@pytest.mark.parametrize("fmt", ["morphett", "yaml", "json", "standard"])
@pytest.mark.parametrize("content", ["", "\n  \n"])
def test_empty_file_is_a_one_line_error(fmt, content, tmp_path, capsys):
    path = tmp_path / f"empty{EXT[fmt]}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load(path)
    assert str(path) in one_line(info.value)
    cli_error(capsys, "run", str(path))


def test_empty_morphett_program_names_the_format():
    with pytest.raises(FormatError, match="Empty Morphett program"):
        parse_morphett("")
    with pytest.raises(FormatError, match="Empty Morphett program"):
        loads("\n\n", "morphett")


@pytest.mark.parametrize("content", ["; a comment\n", "; one\n   ; two\n\n", "\ufeff; a comment\n", "\ufeff",
                                     "\ufeff\n \n"], ids=["comment", "comments", "bom-comment", "bom", "bom-blank"])
def test_comment_only_morphett_file_is_a_one_line_error(content, tmp_path, capsys):
    """A Morphett file without a rule line would run as a one-state machine that stops at once."""
    path = tmp_path / "comments.mtm"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match="Morphett program without rules|Empty Morphett program") as info:
        load(path)
    assert str(path) in one_line(info.value)
    with pytest.raises(FormatError, match="without rules|Empty"):
        loads(content, "morphett")
    assert "comments.mtm" in cli_error(capsys, "show", str(path))


@pytest.mark.parametrize("m", [
    Machine(["A"], ["_"], "_", [], "A", [], {}, name="no rules"),
    Machine(["q", "r"], ["_", "1"], "_", ["1"], "q", [], [("r", "_", "1", "R", "r")]),  # rules never run
])
def test_a_machine_without_rules_survives_a_morphett_file(m, tmp_path):
    text = dumps(m, "morphett")
    assert "$NO_RULES" in text
    path = tmp_path / "norules.mtm"
    path.write_text(text, encoding="utf-8")
    back = load(path)
    assert back.states == ("0",) and not back.transitions and loads(text, "morphett") == back


# ------------------------------------------------------------------------------------------ byte order mark
@pytest.mark.parametrize("fmt", ["standard", "yaml", "morphett", "json"])
def test_utf8_byte_order_mark_is_accepted(fmt, tmp_path):
    m = parse_standard("1RB1LB_1LA1RZ", name="bb2") if fmt != "morphett" else parse_morphett("0 _ 1 r 1\n1 _ 1 l halt")
    text = dumps(m, fmt)
    path = tmp_path / f"bom{EXT[fmt]}"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load(path) == m
    assert loads("\ufeff" + text, fmt) == m


def test_byte_order_mark_inside_a_name_is_kept():
    m = BB2.replace(name="\ufeffbom")
    assert parse_yaml(to_yaml(m)).name == "\ufeffbom"
    assert parse_json(to_json(m)).name == "\ufeffbom"


# ------------------------------------------------------------------------------------------ deep YAML
DEEP_FLOW = "[" * 20_000 + "]" * 20_000
DEEP_BLOCK = "".join(" " * i + f"k{i}:\n" for i in range(3_000))
LOADERS = [yaml_format._PyStringLoader] + ([yaml_format._CStringLoader] if yaml.__with_libyaml__ else [])


@pytest.mark.parametrize("text", [DEEP_FLOW, "table: " + DEEP_FLOW, DEEP_BLOCK], ids=["flow", "key", "block"])
@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_deeply_nested_yaml_is_a_one_line_error(text, loader):
    with pytest.raises(FormatError, match="Malformed YAML|must be a mapping|unknown top-level key") as info:
        parse_yaml_with(text, loader)
    one_line(info.value)


def parse_yaml_with(text, loader):
    old = yaml_format._StringLoader
    yaml_format._StringLoader = loader
    try:
        return parse_yaml(text)
    finally:
        yaml_format._StringLoader = old


def test_deeply_nested_yaml_in_a_document_and_on_the_cli(tmp_path, capsys):
    source = "source code: |\n  " + DEEP_FLOW + "\n"
    with pytest.raises(FormatError, match="source code") as info:
        parse_yaml(source)
    one_line(info.value)
    path = tmp_path / "deep.yaml"
    path.write_text(DEEP_FLOW, encoding="utf-8")
    assert "Malformed YAML" in cli_error(capsys, "show", str(path))


def test_libyaml_loader_is_used_when_available():
    if yaml.__with_libyaml__:
        assert yaml_format._StringLoader is yaml_format._CStringLoader
        assert issubclass(yaml_format._StringLoader, yaml.CSafeLoader)
    else:  # pragma: no cover
        assert yaml_format._StringLoader is yaml_format._PyStringLoader


@given(machines(n_symbols=(2, 5)))
def test_c_and_python_loaders_read_the_same(m):
    text = to_yaml(m)
    docs = [yaml_format._load(text, loader) for loader in LOADERS]
    assert all(d == docs[0] for d in docs)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_loaders_keep_every_scalar_a_string(loader):
    doc = yaml_format._load("a: [1, yes, 0x1F, 1.5, ~, null, '', 2001-01-01, .nan]\nb:\n", loader)
    assert doc == {"a": ["1", "yes", "0x1F", "1.5", None, None, "", "2001-01-01", ".nan"], "b": None}


# ------------------------------------------------------------------------------------------ MAX_FILE_BYTES
def test_max_file_bytes_is_64_mib():
    assert formats_io.MAX_FILE_BYTES == 64 * 1024 * 1024


def test_file_over_max_file_bytes_is_refused(tmp_path, capsys):
    path = tmp_path / "huge.tm"
    with open(path, "wb") as f:  # sparse: no disk is used
        f.truncate(formats_io.MAX_FILE_BYTES + 1)
    with pytest.raises(FormatError, match="MAX_FILE_BYTES") as info:
        load(path)
    assert str(path) in one_line(info.value)
    assert "MAX_FILE_BYTES" in cli_error(capsys, "run", str(path))


def test_limit_is_exact(tmp_path, monkeypatch):
    monkeypatch.setattr(formats_io, "MAX_FILE_BYTES", 14)
    path = tmp_path / "m.tm"
    path.write_text("1RB1LB_1LA1RZ\n", encoding="utf-8")  # 14 bytes: at the limit
    assert load(path) == BB2
    path.write_text("1RB1LB_1LA1RZ\n\n", encoding="utf-8")
    with pytest.raises(FormatError, match="MAX_FILE_BYTES"):
        load(path)


def test_endless_device_is_read_only_up_to_the_limit(monkeypatch):
    monkeypatch.setattr(formats_io, "MAX_FILE_BYTES", 1 << 20)
    with pytest.raises(FormatError, match="MAX_FILE_BYTES"):
        load("/dev/zero", format="json")


# ------------------------------------------------------------------------------------------ draw limit
def big_machine(n: int) -> Machine:
    states = [f"q{i}" for i in range(n)]
    return Machine(states, ["0", "1"], "0", ["1"], "q0", [], [(s, "0", "1", "R", s) for s in states], name="big")


def test_draw_refuses_more_than_max_diagram_states(tmp_path, capsys):
    assert MAX_DIAGRAM_STATES == 1000
    m = big_machine(MAX_DIAGRAM_STATES + 1)
    out = tmp_path / "big.png"
    with pytest.raises(ParameterError, match="MAX_DIAGRAM_STATES") as info:
        draw_state_diagram(m, out=out)
    assert "1,001" in one_line(info.value)
    path = tmp_path / "big.json"
    path.write_text(to_json(m), encoding="utf-8")
    line = cli_error(capsys, "draw", str(path), "--out", str(out))
    assert "MAX_DIAGRAM_STATES (1,000)" in line and "1,001 states" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["big.json"]
