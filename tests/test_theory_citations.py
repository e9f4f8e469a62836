"""docs/theory.md: every ``docs/theory.md#anchor`` the code, the notebooks and the README cite names a heading
that exists (GitHub's anchor rule: lower case, punctuation dropped, spaces to hyphens), and every check's
theorem line cites one."""

import re
from pathlib import Path

import pytest

from proofs_checks import get_check, list_checks

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
CITE = re.compile(r"docs/theory\.md(#[a-z0-9-]+(?:,\s*#[a-z0-9-]+)*)")


def _anchor(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors() -> set[str]:
    return {_anchor(line.lstrip("#")) for line in THEORY.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")}


def citations():
    files = [ROOT / "README.md", *ROOT.glob("notebooks/*.py")]
    for pkg in ("tmsim", "learners", "proofs_checks"):
        files += (ROOT / pkg).rglob("*.py")
    for f in files:
        for m in CITE.finditer(f.read_text(encoding="utf-8")):
            for a in re.findall(r"#([a-z0-9-]+)", m.group(1)):
                yield f.relative_to(ROOT).as_posix(), a


def test_anchor_rule():
    assert _anchor("The paper's experiments") == "the-papers-experiments"
    assert _anchor("k-sparse steps") == "k-sparse-steps"


def test_every_cited_section_exists():
    have = anchors()
    cited = list(citations())
    assert len(cited) >= 10
    missing = sorted({(f, a) for f, a in cited if a not in have})
    assert not missing, f"cited sections missing from docs/theory.md: {missing}"


@pytest.mark.parametrize("name", list_checks())
def test_every_check_cites_theory(name):
    theorem = get_check(name).theorem
    assert "docs/theory.md#" in theorem and "DESIGN.md" not in theorem
    cited = re.findall(r"#([a-z0-9-]+)", theorem)
    assert cited and set(cited) <= anchors(), (theorem, sorted(set(cited) - anchors()))


def test_self_citations_in_theory_resolve():
    text = THEORY.read_text(encoding="utf-8")
    missing = sorted(set(re.findall(r"\]\(#([a-z0-9-]+)\)", text)) - anchors())
    assert not missing
