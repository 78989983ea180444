"""A built report in headless Chromium: its maps of the departments (image, alternative text,
table) and the downloads under every chart (the CSV links decode, the PNG and SVG links get
their image), on the small build (target 1.1, Limoges) of ``conftest.py``."""

from __future__ import annotations

import base64
import csv
import io
import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("portal")]


@pytest.fixture(scope="module")
def report(small_build):
    assert small_build.returncode == 0, small_build.stderr[-3000:]
    pages = sorted(p for p in small_build.out.glob("current/*/1.1-pix/limoges.html"))
    assert pages, "the report of 1.1 for Limoges was not built"
    return pages[-1]


def _wait(driver, script: str, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    return driver.execute_script(script)


def test_the_report_shows_maps_with_alt_text_and_table(browser, report):
    visit = browser.visit(report.resolve().as_uri())
    assert not visit.console_errors, visit.console_errors
    d = browser.driver
    maps = d.execute_script("""
        return Array.from(document.querySelectorAll('.drane-map')).map(m => {
          const img = m.querySelector('figure img');
          return {alt: img.alt, width: img.naturalWidth, src: img.src.slice(0, 21),
                  rows: Array.from(m.querySelectorAll('.drane-map-table tbody tr')).map(r => r.innerText)};
        });""")
    assert len(maps) >= 2, "1.1 has two maps (Pix Orga, certification in 3e)"
    for m in maps:
        assert m["src"] == "data:image/png;base64", m["src"]
        assert m["width"] > 300, "the map image is drawn"
        assert m["alt"].startswith("Carte des départements")
        # the three departments of Limoges, each with its value (or s) in the alt text and the table
        for name in ("Corrèze", "Creuse", "Haute-Vienne"):
            assert name in m["alt"]
            assert any(r.startswith(name) for r in m["rows"]), m["rows"]
        assert "Gironde" not in m["alt"]
        assert ("%" in m["alt"]) or ("secret statistique" in m["alt"])


def test_every_chart_has_downloads_that_resolve(browser, report):
    browser.visit(report.resolve().as_uri())
    d = browser.driver
    figures = d.execute_script("return document.querySelectorAll('figure.drane-figure').length")
    assert figures >= 5
    links = d.execute_script("""
        return Array.from(document.querySelectorAll('figure.drane-figure')).map(f => {
          const csv = f.querySelector('a[href^="data:text/csv"]');
          const png = f.querySelector('a[data-drane-png]');
          return {csv: csv ? csv.href : null, name: csv ? csv.getAttribute('download') : null,
                  png: png ? png.href.slice(0, 21) : null, img: f.querySelector('img').alt.slice(0, 60)};
        });""")
    for link in links:
        assert link["csv"], f"no CSV under the chart « {link['img']} »"
        assert link["name"].endswith(".csv")
        raw = base64.b64decode(link["csv"].split(",", 1)[1])
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM (Excel)"
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) >= 2 and len(rows[0]) >= 2, link["name"]
        assert all(len(r) == len(rows[0]) for r in rows), link["name"]
        assert not any("." in cell and cell.replace(".", "").replace("-", "").isdigit() for r in rows[1:] for cell in r), \
            f"a decimal point instead of a comma in {link['name']}"
        assert link["png"] == "data:image/png;base64", "the PNG link takes the chart's image"
    # the SVG links are unpacked in the page (no request): blob URLs once ready
    svg = _wait(d, """
        const a = Array.from(document.querySelectorAll('a[data-drane-svgz]'));
        return a.length && a.every(x => x.href.startsWith('blob:')) ? a.length : 0;""")
    assert svg >= figures - 1
    text = _wait(d, """
        const a = document.querySelector('a[data-drane-svgz]');
        if (!a || !a.href.startsWith('blob:')) { return ''; }
        const r = new XMLHttpRequest(); r.open('GET', a.href, false); r.send(); return r.responseText.slice(0, 300);""")
    assert "<svg" in text


def test_the_headline_links_its_indicator_rows_as_csv(browser, report):
    browser.visit(report.resolve().as_uri())
    href = browser.driver.execute_script(
        "const a = document.querySelector('a[download^=\"indicateurs-cible-1.1-limoges\"]'); return a && a.href;")
    assert href and href.startswith("data:text/csv")
    rows = list(csv.reader(io.StringIO(base64.b64decode(href.split(",", 1)[1]).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Cible", "Intitulé de la cible", "Code de l'indicateur", "Indicateur"]
    assert {r[2] for r in rows[1:]} >= {"pix_certification_rate_3e", "pix_orga_activation_rate"}
    assert {r[4] for r in rows[1:]} == {"limoges"}


def test_the_report_prints_without_its_download_links(browser, report):
    browser.visit(report.resolve().as_uri())
    d = browser.driver
    d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = d.execute_script("""
            return Array.from(document.querySelectorAll('.drane-downloads'))
              .filter(e => getComputedStyle(e).display !== 'none').length;""")
        assert shown == 0
        pdf = d.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
        assert base64.b64decode(pdf["data"]).startswith(b"%PDF")
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
