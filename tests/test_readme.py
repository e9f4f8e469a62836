"""The README's Python examples run and print what the README says; its recipes (fenced Python blocks
after a ``<!-- recipe: NAME (needs MODULE, ...) -->`` line) run where the modules they need are installed."""

import doctest
import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_RECIPE = re.compile(r"<!-- recipe: (\S+) \(needs ([^)]*)\) -->\n```python\n(.*?)```", re.S)
RECIPES = {name: ([m.strip() for m in needs.split(",")], code) for name, needs, code in _RECIPE.findall(README.read_text())}


def test_readme_examples():
    failures, tried = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_readme_has_the_recipes():
    assert {"huggingface", "pytorch"} <= set(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_readme_recipe_runs(name, tmp_path, monkeypatch):
    needs, code = RECIPES[name]
    # An installed module, not a folder of that name on sys.path (tests/datasets/ is a namespace package
    # called datasets, with no origin).
    missing = [m for m in needs if getattr(importlib.util.find_spec(m), "origin", None) is None]
    if missing:
        pytest.skip(f"the {name} recipe needs {', '.join(missing)}, not installed")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))  # Hugging Face's cache stays in tmp
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    exec(compile(code, f"README.md recipe {name}", "exec"), {"__name__": f"readme_{name}"})
