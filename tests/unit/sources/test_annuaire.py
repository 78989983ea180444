"""The annuaire loader: demo file, real 2026-version file from another region, broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from drane_analysis import sources


def test_demo_annuaire_loads_typed_and_tidy(make_demo):
    data = make_demo("annuaire")
    frame = sources.load("annuaire", data, use_cache=False)
    assert frame["uai"].is_unique
    assert set(frame["academy"].unique()) == {"bordeaux", "limoges", "poitiers"}
    assert set(frame["kind"].unique()) >= {"ecole", "college", "lycee", "erea"}
    assert set(frame["priority_education"].unique()) <= {"none", "rep", "rep_plus"}
    assert str(frame["latitude"].dtype) == "Float64"
    # Names of establishments are kept (public), nothing personal is in the directory.
    assert "name" in frame.columns


@pytest.mark.real_samples
def test_real_annuaire_of_another_region_gives_a_clear_message(real_samples):
    result = sources.read("annuaire", real_samples / "fr-en-annuaire-education.val-de-marne.csv")
    assert not result.ok
    (problem,) = result.errors
    text = problem.format()
    assert "Nouvelle-Aquitaine" in text and "94" in text and "Code_departement" in text


@pytest.mark.real_samples
def test_real_annuaire_header_is_accepted(real_samples, tmp_path: Path):
    """The real 71-column header parses: relabel its rows as Gironde, and they load."""
    src = (real_samples / "fr-en-annuaire-education.val-de-marne.csv").read_text(encoding="utf-8-sig")
    lines = src.splitlines()
    header, rows = lines[0], lines[1:21]
    dept_pos = header.split(";").index("Code_departement")
    fixed = []
    for row in rows:
        cells = row.split(";")
        cells[dept_pos] = "033"
        fixed.append(";".join(cells))
    # The UAIs are Val-de-Marne's (094...), still valid codes: only the department moved.
    path = tmp_path / "annuaire.csv"
    path.write_text("\n".join([header, *fixed]) + "\n", encoding="utf-8")
    result = sources.read("annuaire", path)
    assert result.ok, [p.format() for p in result.problems]
    assert len(result.frame) == 20
    assert (result.frame["department"] == "33").all()
