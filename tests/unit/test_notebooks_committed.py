"""Committed notebooks: no outputs, one parameter contract."""

from __future__ import annotations

import json

import pytest

from drane_analysis.catalogue import load_catalogue
from drane_analysis.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name.startswith("1.1-") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_the_parameter_contract(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert "parameters" in first["metadata"].get("tags", [])
    source = "".join(first["source"])
    for line in ('academy: str = "region"', 'period: str = "latest"', 'data_dir: str = ""'):
        assert line in source, (path.name, line)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_named_after_a_target(path):
    cat = load_catalogue()
    names = {t.notebook for t in cat.targets.values()} | {"0-synthese.ipynb", "explore.ipynb"}
    assert path.name in names
