"""The README's Layout section is the map of the tree: every module it names exists, every module and
package of the tree is named, and every public name it lists resolves (imports, then attributes)."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tmsim", "learners", "proofs_checks")
TICKED = re.compile(r"`([^`]+)`")


def _layout_rows() -> list[tuple[str, list[str], list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Layout\n")
    end = text.find("\n## ", start + 1)
    section = text[start:] if end == -1 else text[start:end]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, f"a Layout row has three cells: {line!r}"
        (package,) = TICKED.findall(cells[0])
        files = [t for t in TICKED.findall(cells[1]) if t.endswith((".py", "/"))]
        rows.append((package, files, TICKED.findall(cells[2])))
    return rows


ROWS = _layout_rows()


def test_layout_table_is_there():
    assert len(ROWS) >= 10
    assert len({r[0] for r in ROWS}) == len(ROWS), "each package has one row"


@pytest.mark.parametrize("package,modules", [(r[0], r[1]) for r in ROWS], ids=[r[0] for r in ROWS])
def test_every_named_module_exists_and_every_module_is_named(package, modules):
    folder = ROOT / package
    assert folder.is_dir(), f"{package} is not a folder"
    named = set()
    for m in modules:
        path = ROOT / m if "/" in m.rstrip("/") else folder / m
        assert path.exists(), f"README Layout names {m} under {package}, which does not exist"
        if "/" not in m.rstrip("/"):
            named.add(m)
    actual = {p.name for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert actual - named == set(), f"modules of {package} missing from README Layout"


def test_every_package_of_the_tree_has_a_row():
    rows = {r[0].rstrip("/") for r in ROWS}
    tree = {str(p.parent.relative_to(ROOT)) for top in PACKAGES for p in (ROOT / top).rglob("__init__.py")}
    assert tree - rows == set(), "packages missing from README Layout"
    assert "benchmarks" in rows


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError as e:
            if e.name is not None and not dotted.startswith(e.name):
                raise
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


NAMES = sorted({n for r in ROWS for n in r[2]})


@pytest.mark.parametrize("name", NAMES)
def test_every_public_name_resolves(name):
    if name == "learners.TransformerAR":
        pytest.importorskip("torch")
    assert _resolve(name) is not None
    assert not any(p.startswith("_") for p in name.split(".")), f"{name} is not public"
