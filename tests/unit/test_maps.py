"""Maps of the departments (drane_analysis.maps) and the downloads under every chart (report)."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from importlib import resources

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from drane_analysis import referential  # noqa: E402
from drane_analysis.maps import (  # noqa: E402
    HATCH,
    SCALE,
    academy_borders,
    department_map,
    geometry_metadata,
    load_departments,
    relative_luminance,
)
from drane_analysis.privacy import protect_breakdown  # noqa: E402
from drane_analysis.render import chart_csv, downloads_html, figure_html, published_data, pyplot  # noqa: E402


def breakdown(codes=None, small: tuple[str, ...] = ()) -> pd.DataFrame:
    """A breakdown by department: rate k/den, departments in ``small`` with 3 persons."""
    rows = []
    for k, code in enumerate(codes or sorted(referential.DEPARTMENTS)):
        den = 3 if code in small else 200 + 10 * k
        num = round(den * (0.40 + 0.03 * k)) if code not in small else 1
        value = 100 * num / den
        rows.append({"group": code, "label": referential.DEPARTMENTS[code].name, "value": value,
                     "ci_low": value - 3.5, "ci_high": value + 3.5, "numerator": num, "denominator": den})
    return pd.DataFrame(rows)


def test_geometry_is_shipped_small_and_complete():
    text = resources.files("drane_analysis").joinpath("geodata", "departements-nouvelle-aquitaine.geojson").read_bytes()
    assert len(text) < 300_000
    shapes = load_departments()
    assert set(shapes) == set(referential.DEPARTMENTS) and len(shapes) == 12
    for code, shape in shapes.items():
        assert shape.academy == referential.DEPARTMENTS[code].academy
        assert shape.name == referential.DEPARTMENTS[code].name
        lon, lat = np.vstack(shape.rings).T
        assert (lon > -2.0).all() and (lon < 2.7).all() and (lat > 42.7).all() and (lat < 47.3).all()
    meta = geometry_metadata()
    assert "IGN" in meta["source"] and "Licence Ouverte" in meta["licence"]
    assert json.loads(text)["type"] == "FeatureCollection"


def test_academy_borders_follow_the_academies():
    lines = academy_borders()
    assert lines and all(line.shape[1] == 2 for line in lines)
    points = {tuple(p) for line in lines for p in np.round(line, 6)}
    shapes = load_departments()
    # A vertex shared only by Gironde and Landes (same academy) is no academy border; the
    # border Charente / Dordogne (Poitiers / Bordeaux) is.
    def ring_points(code):
        return {tuple(p) for r in shapes[code].rings for p in np.round(r, 6)}
    assert ring_points("16") & ring_points("24") & points
    inner = (ring_points("33") & ring_points("40")) - ring_points("47") - ring_points("64") - ring_points("24")
    assert inner - points, "the border Gironde / Landes (both Bordeaux) is drawn as an academy border"


def test_map_values_and_intervals_in_the_alt_text_and_table():
    m = department_map(breakdown(), "percent", title="Taux de certification en 3e")
    try:
        assert m.alt.startswith("Carte des départements — Taux de certification en 3e")
        assert "Charente : 40,0\u202f% [36,5\u202f; 43,5]" in m.alt
        assert len(m.table) == 12 and not m.hidden and not m.missing
        assert m.table.loc[m.table["code"] == "16", "valeur"].iloc[0] == pytest.approx(40.0)
    finally:
        pyplot().close(m.figure)


def test_hidden_departments_are_hatched_and_never_shown():
    table = breakdown(small=("23",))
    m = department_map(table, "percent")
    try:
        assert "Creuse" in m.hidden
        assert "Creuse : secret statistique" in m.alt
        creuse = m.table[m.table["code"] == "23"].iloc[0]
        assert creuse["statut"] == "secret" and pd.isna(creuse["valeur"]) and pd.isna(creuse["borne basse"])
        # the exact value of the Creuse (33,3 %) appears nowhere
        assert "33,3" not in m.alt
        texts = [t.get_text() for t in m.figure.axes[0].texts]
        assert not any("33,3" in t for t in texts) and "23\ns" in texts
        hatches = [c.get_hatch() for c in m.figure.axes[0].collections if hasattr(c, "get_hatch")]
        assert HATCH in hatches
        assert "secret statistique" in " ".join(t.get_text() for t in m.figure.legends[0].get_texts())
        assert m.note
    finally:
        pyplot().close(m.figure)


def test_academy_map_shows_its_departments_only():
    m = department_map(breakdown(referential.departments_of("limoges")), "percent", scope="limoges")
    try:
        assert list(m.table["code"]) == ["19", "23", "87"]
        assert "Gironde" not in m.alt
        assert "hors du périmètre" in " ".join(t.get_text() for t in m.figure.legends[0].get_texts())
        x0, x1 = m.figure.axes[0].get_xlim()
        assert x0 > 0.5  # framed on the academy (east of the region), not the whole region
    finally:
        pyplot().close(m.figure)


def test_colour_scale_reads_in_grey():
    """Monotone in lightness, light to dark: readable in grey and for colour-blind readers."""
    from drane_analysis.maps import colour_scale

    cmap = colour_scale()
    lum = [relative_luminance(cmap(x)) for x in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False))
    assert lum[0] > 0.8 and lum[-1] < 0.05
    assert relative_luminance(SCALE[-1]) < 0.05


def test_rows_outside_the_departments_are_not_drawn():
    table = pd.concat([breakdown(), pd.DataFrame([{"group": None, "label": "Non renseigné", "value": 50.0,
                                                   "ci_low": 40.0, "ci_high": 60.0, "numerator": 50,
                                                   "denominator": 100}])], ignore_index=True)
    m = department_map(table, "percent")
    try:
        assert len(m.table) == 12 and "Non renseigné" not in m.alt
    finally:
        pyplot().close(m.figure)


# --------------------------------------------------------------------------- downloads


def _csv_of(html: str) -> list[list[str]]:
    found = re.findall(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert len(found) == 1
    raw = base64.b64decode(found[0])
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_chart_csv_is_french_excel_and_hides_secret_cells():
    p = protect_breakdown(breakdown(small=("23",)), "percent")
    data = published_data(p, {"label": "Groupe", "value": "Valeur (%)", "ci_low": "Borne basse IC 95 %",
                              "ci_high": "Borne haute IC 95 %"})
    rows = _csv_of(downloads_html("essai", data))
    assert rows[0] == ["Groupe", "Valeur (%)", "Borne basse IC 95 %", "Borne haute IC 95 %"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    assert by_label["Creuse"] == ["s", "s", "s"]
    assert by_label["Haute-Vienne"] == ["72,903226", "69,403226", "76,403226"]  # 226 / 310
    hidden = set(p.frame.loc[p.mask("value"), "label"])
    assert all(by_label[label][0] == "s" for label in hidden)
    raw = chart_csv(data).decode("utf-8-sig")
    assert "33,3" not in raw and "33.3" not in raw


def test_figure_html_offers_png_svg_and_csv():
    fig, ax = pyplot().subplots()
    ax.bar([0, 1], [1.5, 2.25])
    html = figure_html(fig, "Deux barres. A : 1,5 ; B : 2,25", data=pd.DataFrame({"Barre": ["A", "B"],
                                                                                   "Valeur": [1.5, 2.25]}))
    assert 'alt="Deux barres. A : 1,5 ; B : 2,25"' in html
    assert 'download="deux-barres.png"' in html and "data-drane-png" in html
    svgz = re.search(r'data-drane-svgz="([^"]+)"', html).group(1)
    import gzip

    svg = gzip.decompress(base64.b64decode(svgz))
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert _csv_of(html) == [["Barre", "Valeur"], ["A", "1,5"], ["B", "2,25"]]


def test_figure_html_is_deterministic():
    def one() -> str:
        fig, ax = pyplot().subplots()
        ax.plot([0, 1, 2], [3, 1, 2])
        return figure_html(fig, "Une ligne", data=pd.DataFrame({"x": [0, 1, 2]}))
    assert one() == one()


def test_close_values_are_not_stretched_over_the_whole_scale():
    table = breakdown()
    table["value"] = np.linspace(97.4, 98.5, len(table))
    m = department_map(table, "percent")
    try:
        lo, hi = m.figure.axes[1].get_xlim()  # the colour bar
        assert hi - lo >= 10 and hi <= 100 and lo <= 97.4
    finally:
        pyplot().close(m.figure)
    table["value"] = np.linspace(20, 80, len(table))
    m = department_map(table, "percent")
    try:
        lo, hi = m.figure.axes[1].get_xlim()
        assert lo <= 20 and 80 <= hi <= 85
    finally:
        pyplot().close(m.figure)


class _Data:
    """What :func:`privacy.protect_scopes` needs of a data folder: its scopes and a memo."""

    scopes = ("bordeaux", "limoges", "poitiers", "region")

    def __init__(self):
        self.memos: dict = {}

    def memo(self, key, compute):
        if key not in self.memos:
            self.memos[key] = compute()
        return self.memos[key]


def test_chart_counts_are_protected_with_the_other_scopes():
    from drane_analysis.render import published_scope_counts

    per_academy = {"bordeaux": [40, 30, 12, 9], "limoges": [20, 2, 15, 8], "poitiers": [35, 25, 10, 7]}

    def histogram(scope: str) -> pd.DataFrame:
        counts = (np.sum(list(per_academy.values()), axis=0) if scope == "region" else per_academy[scope])
        return pd.DataFrame({"Bande": ["0-10", "10-20", "20-30", "30-40"], "Élèves": counts})

    data = _Data()
    published = {s: published_scope_counts(data, "essai:2025-2026", histogram, s, ["Élèves"], by="Bande")
                 for s in _Data.scopes}
    assert published["limoges"].loc[1, "Élèves"] == "s"
    # the hidden 2 cannot come back as region − Bordeaux − Poitiers: one of them is hidden too
    assert "s" in {published[s].loc[1, "Élèves"] for s in ("region", "bordeaux", "poitiers")}
    # nor as the academy's total (published) minus its other bands
    assert (published["limoges"]["Élèves"] == "s").sum() >= 2
    assert chart_csv(published["limoges"]).decode("utf-8-sig").split("\r\n")[2] == "10-20;s"
