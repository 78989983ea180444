"""drane demo-data --scale national: the rest of the country in the national open datasets."""

from __future__ import annotations

import json

import pytest

from drane_analysis import demo, referential, sources

pytestmark = pytest.mark.slow


def test_national_directory_holds_the_country_and_the_same_region(tmp_path):
    regional = tmp_path / "regional"
    national = tmp_path / "national"
    demo.generate(regional, only=["annuaire"])
    demo.generate(national, only=["annuaire"], scale="national")
    reg_file = regional / "annuaire" / "fr-en-annuaire-education.csv"
    nat_file = national / "annuaire" / "fr-en-annuaire-education.csv"
    # The region's rows first, byte for byte, then the other academies'.
    assert nat_file.read_bytes().startswith(reg_file.read_bytes())
    lines = nat_file.read_text(encoding="utf-8-sig").splitlines()
    assert 55_000 < len(lines) - 1 < 65_000
    header = lines[0].split(";")
    uai_col, acad_col = header.index("Identifiant_de_l_etablissement"), header.index("Code_academie")
    rows = [line.split(";") for line in lines[1:]]
    assert len({r[acad_col] for r in rows}) == 30
    uais = [r[uai_col] for r in rows]
    assert len(set(uais)) == len(uais) and all(referential.is_valid_uai(u) for u in uais[::97])
    # The loader keeps the region only: the same frame as from the regional file.
    assert sources.load("annuaire", national, use_cache=False).equals(
        sources.load("annuaire", regional, use_cache=False))
    marker = json.loads((national / demo.MARKER).read_text(encoding="utf-8"))
    assert marker["scale"] == "national" and "scale" not in json.loads(
        (regional / demo.MARKER).read_text(encoding="utf-8"))


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(demo.DemoDataError, match="échelle inconnue"):
        demo.generate(tmp_path / "x", scale="europe")
