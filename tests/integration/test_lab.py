"""Notebooks as a researcher runs them in JupyterLab: top to bottom, with their defaults.

No papermill and no injected parameter: the kernel runs the committed cells as they are,
from ``notebooks/`` (JupyterLab's working directory with ``make lab``); only the default
data folder is pointed at the demo data (``DRANE_DATA``), as ``data/demo`` would be.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from drane_analysis.paths import notebooks_dir

pytestmark = pytest.mark.slow


def run_as_in_lab(name: str, demo_dir, monkeypatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("DRANE_DATA", str(demo_dir))
    nb = nbformat.read(notebooks_dir() / name, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=900,
                   resources={"metadata": {"path": str(notebooks_dir())}}).execute()
    return nb


def outputs(nb) -> tuple[str, set[str]]:
    text, kinds = [], set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            kinds.add(out["output_type"])
            kinds.update(out.get("data", {}))
            text.append(out.get("text", "") + "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(text), kinds


def test_explore_loads_sources_and_indicators_with_their_docstrings(demo_dir, monkeypatch):
    nb = run_as_in_lab("explore.ipynb", demo_dir, monkeypatch)
    text, kinds = outputs(nb)
    assert "error" not in kinds
    assert "Données de démonstration" in text and "établissements, colonnes : uai" in text
    assert "Help on function load" in text and "Help on function indicator_table" in text
    assert "image/png" in kinds and "text/html" in kinds  # the trend chart and the tables


def test_a_target_notebook_runs_top_to_bottom_with_its_defaults(demo_dir, monkeypatch):
    nb = run_as_in_lab("1.1-pix.ipynb", demo_dir, monkeypatch)
    text, kinds = outputs(nb)
    assert "error" not in kinds
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "Région académique Nouvelle-Aquitaine" in html  # academy = "region" by default
