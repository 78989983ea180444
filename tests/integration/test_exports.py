"""The indicator table of a build, in analysts' tools: CSV for French Excel, xlsx, Parquet."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("portal")]


@pytest.fixture(scope="module")
def built(small_build):
    assert small_build.returncode == 0, small_build.stderr
    manifest = json.loads((small_build.out / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["reports"].values()
    return small_build.out / "donnees", entry


def test_csv_is_for_french_excel_and_holds_the_reports_figures(built):
    folder, entry = built
    raw = (folder / "indicateurs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the accents
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:4] == ["Cible", "Intitulé de la cible", "Code de l'indicateur", "Indicateur"]
    assert "\r\n" in text
    table = pd.read_csv(folder / "indicateurs.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"Cible": str})
    assert len(table) == len(entry["headline"])
    for h in entry["headline"]:
        row = table[table["Code de l'indicateur"] == h["indicator"]].iloc[0]
        assert row["Valeur"] == pytest.approx(h["value"], abs=1e-6)
        assert row["Statut"] == h["status_label"] and row["Périmètre"] == "Académie de Limoges"
        if h.get("denominator") is not None:
            assert row["Dénominateur"] == pytest.approx(h["denominator"])
    # Decimal commas, never decimal points, in the numbers.
    first = text.splitlines()[1].split(";")
    value = first[header.index("Valeur")]
    assert "," in value and "." not in value


def test_xlsx_has_one_sheet_per_target_frozen_header_and_formats(built):
    from openpyxl import load_workbook

    folder, entry = built
    wb = load_workbook(folder / "indicateurs.xlsx")
    assert wb.sheetnames == ["Lisez-moi", "Cible 1.1"]
    ws = wb["Cible 1.1"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    headers = [c.value for c in ws[1]]
    assert ws.max_row - 1 == len(entry["headline"])
    value_col = headers.index("Valeur") + 1
    unit_col = headers.index("Unité") + 1
    units = {ws.cell(r, unit_col).value: ws.cell(r, value_col).number_format for r in range(2, ws.max_row + 1)}
    assert units["percent"] == '0.0" %"' and units["pix"] == '0" pix"'
    assert isinstance(ws.cell(2, value_col).value, float)
    assert "démonstration" in " ".join(str(c.value) for c in wb["Lisez-moi"]["A"])


def test_parquet_keeps_the_library_columns_and_types(built):
    folder, entry = built
    table = pd.read_parquet(folder / "indicateurs.parquet")
    assert {"target", "indicator", "academy", "period", "value", "ci_low", "ci_high", "numerator", "denominator",
            "objective", "status"} <= set(table.columns)
    assert str(table["value"].dtype) == "Float64" and len(table) == len(entry["headline"])
    assert set(table["academy"]) == {"limoges"} and set(table["target"]) == {"1.1"}
