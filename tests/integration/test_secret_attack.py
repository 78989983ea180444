"""Attack the published tables: no hidden cell comes back, for any target and school year.

For every target notebook and every school year of the demo data, the reports of the three
academies and the region are run (their own code cells, in this process, figures not drawn);
every protected table they publish is collected and put together as an attacker would
(`tests/secret_attack.py`: region = sum of academies, each scope's groups = its published
total, sums inside rows, rates shown with their base), and linear programming bounds each
hidden count. None may be pinned within the threshold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import secret_attack
from drane_analysis import privacy
from drane_analysis.data import Data
from drane_analysis.paths import notebooks_dir

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(p.name for p in notebooks_dir().glob("[1-9]*.ipynb"))


@pytest.fixture(scope="module")
def shared_data(demo_dir: Path) -> Data:
    return Data(demo_dir)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_hidden_cell_can_be_recovered(notebook: str, demo_dir: Path, shared_data: Data):
    periods = shared_data.demo_marker["periods"]
    threshold = privacy.rules().threshold
    findings, published = [], 0
    for period in periods:
        tables = secret_attack.run_reports(notebooks_dir() / notebook, period, demo_dir, data=shared_data)
        published += len(tables)
        findings += [f"{period} — {f}" for f in secret_attack.attack(tables, threshold)]
    assert not findings, "cellules secrètes retrouvées :\n" + "\n".join(findings[:30])
    if notebook.startswith(("2.1", "2.4", "3.2")):  # targets publishing counts of persons below the academy
        assert published > 0


def test_the_attack_finds_what_tables_protected_one_by_one_leak(demo_dir: Path, shared_data: Data, monkeypatch):
    """Control: protected table by table (the previous rule), the 2.1 reports leak — pupils by
    health reason in Limoges come back as region − Bordeaux − Poitiers — and the attack says so."""
    original = privacy.protect_linked

    def one_by_one(frames, by, counts, **kwargs):
        return {s: original({s: f}, by, counts, **kwargs)[s] for s, f in frames.items()}

    monkeypatch.setattr(privacy, "protect_linked", one_by_one)
    monkeypatch.setattr(privacy, "_breakdown_family", lambda *a, **k: None)
    period = shared_data.demo_marker["periods"][-1]
    tables = secret_attack.run_reports(notebooks_dir() / "2.1-inclusion.ipynb", period, demo_dir,
                                       data=Data(demo_dir))
    findings = secret_attack.attack(tables, privacy.rules().threshold)
    keys = {(f.cell.key.split(":")[1], f.cell.scope) for f in findings}
    assert ("assignments", "limoges") in keys, [str(f) for f in findings]
