"""Exports, index and report sidecar on hand-made manifests (no build)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from drane_analysis.exports import csv_bytes, indicator_rows, write_exports
from drane_analysis.formatting import STATUS_COLOURS
from drane_analysis.portal import render_index, sparkline
from drane_analysis.sidecar import sidecar_rows


def _row(indicator, value, status="not_reached", **kw):
    return {"indicator": indicator, "label": indicator, "value": value, "unit": "percent", "objective": 100.0,
            "status": status, **kw}


def _entry(target, academy, headline, status="ok", **kw):
    return {"target": target, "slug": "x", "title": "t", "academy": academy, "period": "2025-2026",
            "status": status, "headline": headline, "html": f"2025-2026/{target}/{academy}.html",
            "built_at": "2026-01-01T00:00:00", **kw}


def test_target_rows_win_over_the_synthesis_and_missing_keys_are_tolerated():
    manifest = {"reports": {
        "0|region|2025-2026": _entry("0", "region", [_row("pix_orga_activation_rate", 90.0),
                                                     _row("nsi_pupils_terminale", 5.0)]),
        "1.1|region|2025-2026": _entry("1.1", "region", [_row("pix_orga_activation_rate", 91.5)]),
        "1.2|limoges|2025-2026": {"target": "1.2", "academy": "limoges", "period": "2025-2026"},  # no headline
        "broken": {},
    }}
    table = indicator_rows(manifest)
    assert len(table) == 2
    pix = table[table["indicator"] == "pix_orga_activation_rate"].iloc[0]
    assert pix["value"] == 91.5 and pix["target"] == "1.1" and pix["report"] == "2025-2026/1.1/region.html"
    nsi = table[table["indicator"] == "nsi_pupils_terminale"].iloc[0]
    assert nsi["target"] == "2.4" and nsi["report"] == ""  # from the catalogue
    assert pix["status_label"] == "Non atteint"


def test_csv_bytes_french_excel():
    table = indicator_rows({"reports": {"a": _entry("1.1", "limoges", [_row("pix_orga_activation_rate", 12.25)])}})
    raw = csv_bytes(table)
    assert raw[:3] == b"\xef\xbb\xbf"
    line = raw.decode("utf-8-sig").split("\r\n")[1]
    assert ";12,25;" in line and ";Académie de Limoges;" in line


def test_no_rows_no_files(tmp_path):
    assert write_exports(tmp_path, {"reports": {}}) == []
    assert not (tmp_path / "donnees").exists()


def test_sidecar_rows_carry_the_full_row_and_the_history():
    table = pd.DataFrame([{"target": "1.1", "indicator": "i", "label": "I", "academy": "limoges",
                           "period": "2022-2023", "value": np.float64(50.0), "unit": "percent",
                           "numerator": pd.NA, "denominator": 10, "ci_low": np.nan, "ci_high": 60.0,
                           "objective": 100.0, "status": "at_risk", "status_label": "À risque"}])
    series = pd.DataFrame({"indicator": ["i", "i", "i", "j"], "academy": ["limoges"] * 4,
                           "period": ["2023-2024", "2020-2021", "2022-2023", "2020-2021"],
                           "value": [70.0, 30.0, 50.0, 1.0]})
    (row,) = sidecar_rows(table, series)
    assert row["numerator"] is None and row["ci_low"] is None and row["denominator"] == 10
    assert row["history"] == [["2020-2021", 30.0], ["2022-2023", 50.0]]  # up to the row's year, in order
    assert "history" not in sidecar_rows(table)[0]


def test_status_colours_are_readable_with_white_text():
    def luminance(hex_colour):
        c = [int(hex_colour.lstrip("#")[k:k + 2], 16) / 255 for k in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    for status, colour in STATUS_COLOURS.items():
        ratio = 1.05 / (luminance(colour) + 0.05)
        assert ratio >= 4.5, f"{status}: {colour} has a contrast of {ratio:.2f} with white (WCAG AA: 4.5)"


def test_index_from_a_manifest_with_missing_keys(tmp_path):
    manifest = {"reports": {
        "a": _entry("1.1", "limoges", [_row("pix_orga_activation_rate", 80.0,
                                            history=[["2024-2025", 70.0], ["2025-2026", 80.0]])]),
        "b": {"target": "1.1", "academy": "region", "period": "2024-2025", "status": "failed"},
        "c": {"status": "ok"},  # unusable: ignored
    }}
    html = render_index(tmp_path, manifest)
    assert html.count("<tr data-target=") == 2
    assert "Échec le" in html and "aucun rapport" in html
    assert "La synthèse n'a pas été construite" not in html  # no region report of the latest year
    assert re.search(r'aria-label="Tendance de « pix_orga_activation_rate » — 2024-2025 : 70,0\u202f% ; '
                     r'2025-2026 : 80,0\u202f% ; objectif : 100,0\u202f%"', html)
    assert "http://" not in html and "https://" not in html


def test_sparkline_is_an_image_with_its_values():
    svg = sparkline([("2020-2021", 1.0), ("2021-2022", 3.0)], "count", "Robots", objective=None)
    assert svg.startswith('<svg class="spark" role="img" aria-label="Tendance de « Robots »')
    assert "<title>" in svg and "polyline" in svg
    with pytest.raises(ValueError):
        sparkline([], "count", "vide")


def test_readings_gap_closed_and_indicative_projections_reach_the_exports_and_the_index(tmp_path):
    from drane_analysis.indicators import evaluate, series_frame
    from drane_analysis.sidecar import SIDECAR_FIELDS

    rows = [{"target": "3.4", "indicator": "ent_lycee_usage_rate", "academy": "region", "period": p, "value": v}
            for p, v in (("2020-2021", 80.0), ("2021-2022", 90.0))]
    table = evaluate(series_frame(rows), periods=["2021-2022"])
    sidecar = sidecar_rows(table)
    assert {"reading", "baseline", "gap_closed", "projection_indicative"} <= set(SIDECAR_FIELDS)
    assert sidecar[0]["gap_closed"] == pytest.approx(62.5) and sidecar[0]["status"] == "progressing"
    manifest = {"reports": {"a": _entry("3.4", "region", sidecar)}}
    out = indicator_rows(manifest).iloc[0]
    assert out["gap_closed"] == pytest.approx(62.5) and out["baseline"] == 80
    assert out["reading"].startswith("« augmentation de 20 % du taux d'usage »")
    assert out["status_label"] == "Non atteint, en progrès" and not out["projection_indicative"]
    header, line = csv_bytes(indicator_rows(manifest)).decode("utf-8-sig").split("\r\n")[:2]
    assert "Lecture de l'objectif" in header and "Écart comblé depuis la référence (%)" in header
    assert ";62,5;" in line and ";non;" in line
    html = render_index(tmp_path, {**manifest, "reports": {
        "0|region|2025-2026": _entry("0", "region", sidecar)}})
    assert "Non atteint, en progrès" in html and "écart comblé" in html and "lue par rapport à 2020-2021" in html


def test_the_status_cell_says_the_gap_closed_and_the_reading_and_projections_say_indicatif():
    from drane_analysis.formatting import fmt_projection, status_phrase
    from drane_analysis.render import status_cell

    cell = status_cell("progressing", "Non atteint, en progrès", 61.77, "« +20 % » lu par rapport à 2020-2021")
    assert "Non atteint, en progrès" in cell and "écart comblé\u00a0: 62\u202f%" in cell
    assert "Lecture\u00a0: « +20 % » lu par rapport à 2020-2021" in cell
    assert "écart comblé" not in status_cell("reached", "Atteint", 100.0)  # nothing to say once reached
    secondary = status_cell("secondary", "Indicateur secondaire (sans objectif)", None, "lecture plus stricte de x")
    assert "Lecture plus stricte de x" in secondary and "Lecture\u00a0:" not in secondary
    assert fmt_projection(1450.0, np.nan, np.nan, "count", True) == "1\u202f450 (indicatif)"
    assert fmt_projection(80.0, 70.0, 90.0, "percent") == "80,0\u202f% [70,0\u202f; 90,0]"
    assert fmt_projection(np.nan, np.nan, np.nan, "percent") == "—"
    row = pd.Series({"status": "progressing", "status_label": "Non atteint, en progrès", "gap_closed": 65.0})
    assert status_phrase(row) == "non atteint, en progrès (écart comblé\u00a0: 65\u202f%)"
    assert status_phrase({"status": "reached", "status_label": "Atteint", "gap_closed": 100.0}) == "atteint"


def test_the_index_escapes_every_value_once(tmp_path):
    nasty = 'L<b>x</b> & "q" \'s'
    manifest = {"reports": {
        "a": _entry("1.1", "limoges", [_row("i", 80.0, label=nasty, history=[["2024-2025", 70.0], ["2025-2026", 80.0]],
                                            objective_label="<objectif> & \"plus\"")],
                    html='2025-2026/a&b"<c>.html'),
        "b": _entry("1.1", "region", [_row("i", 80.0, label=nasty, objective_label="<objectif>")], status="failed",
                    message='Boom <script>alert("x")</script> & co\nsecond line', attempted_at="2026-01-02T00:00:00"),
        "c": _entry("9.9", 'aca"<&>', [], title='T<i>&"'),
    }}
    html = render_index(tmp_path, manifest)
    assert "<b>x</b>" not in html and "<script>alert" not in html and "<objectif>" not in html
    assert 'aca"<&>' not in html and "T<i>" not in html
    assert "L&lt;b&gt;x&lt;/b&gt; &amp; &#34;q&#34; &#39;s" in html  # text: escaped once, not twice
    assert "&amp;lt;" not in html and "&amp;amp;" not in html and "&amp;#" not in html
    assert 'href="2025-2026/a&amp;b&#34;&lt;c&gt;.html"' in html  # an attribute stays one attribute
    assert 'data-academy="aca&#34;&lt;&amp;&gt;"' in html
    assert "Boom &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co<br>" in html and "second line" not in html
    # the status cell comes as HTML from report.status_cell: its markup is kept, not escaped again
    assert '<span class="badge"' in html and "&lt;span" not in html
    svg = sparkline([("2020-2021", 1.0), ("2021-2022", 3.0)], "count", 'a<"&>', objective=2.0)
    assert 'aria-label="Tendance de « a&lt;&#34;&amp;&gt; »' in svg and "<title>Tendance de « a&lt;" in svg
    assert '<line x1="4" x2="116" y1="17.0" y2="17.0"' in svg  # the objective, halfway up


def test_the_portal_template_refuses_an_undefined_name():
    import jinja2

    from drane_analysis.portal import environment

    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ missing }}").render()
    assert environment().autoescape is True


def test_the_portal_templates_are_not_report_code():
    from drane_analysis.build import _is_report_code

    assert not _is_report_code("templates/portal/index.html.j2")  # changing the index rebuilds no report
    assert _is_report_code("templates/nbconvert/drane/index.html.j2")
