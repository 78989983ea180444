"""The portal as a decision-maker sees it: headless Chromium on the index and a report.

One real report (target 1.1, Limoges) is built by ``drane build --quiet`` (``small_build``).
For the index's richer views (the regional synthesis, filters, a failed report), a copy of
that output folder gets more manifest entries — a synthesis of the region, a failed report
— and its index is rewritten from the manifest, as the build does.
"""

from __future__ import annotations

import copy
import functools
import http.server
import json
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from drane_analysis.portal import write_index
from drane_analysis.publish import CURRENT, GENERATIONS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("portal")]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


# --------------------------------------------------------------------------- helpers


class _Page(HTMLParser):
    """Headings, links, ids, images and SVGs of a page."""

    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: set[str] = set()
        self.images: list[dict] = []
        self.svgs: list[dict] = []
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in ("img", "script", "link", "iframe", "source", "video", "audio") and (a.get("src") or a.get("href")):
            self.resources.append(a.get("src") or a.get("href"))
        if tag == "img":
            self.images.append(a)
        if tag == "svg":
            self.svgs.append(a)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def check_page_statically(path: Path, root: Path) -> list[str]:
    """Problems of one page: language, heading order, alt texts, local resources, links."""
    page = parse(path)
    problems = []
    if page.lang != "fr":
        problems.append(f"{path.name}: lang={page.lang!r}")
    if not page.headings or page.headings[0] != 1 or page.headings.count(1) != 1:
        problems.append(f"{path.name}: one h1 first expected, got {page.headings[:5]}")
    for prev, cur in zip(page.headings, page.headings[1:], strict=False):
        if cur > prev + 1:
            problems.append(f"{path.name}: heading h{cur} after h{prev}")
    for img in page.images:
        if not (img.get("alt") or "").strip():
            problems.append(f"{path.name}: image without alt text")
    for svg in page.svgs:
        if svg.get("role") != "img" or not (svg.get("aria-label") or "").strip():
            problems.append(f"{path.name}: svg without role=img and aria-label")
    for res in page.resources:
        if not res.startswith("data:"):
            problems.append(f"{path.name}: external resource {res[:80]}")
    problems += [p for href in page.links if (p := link_problem(path, href, root))]
    return problems


def link_problem(page: Path, href: str, root: Path) -> str | None:
    """Why a link of ``page`` does not resolve inside the site (None when it does)."""
    parts = urlsplit(href)
    if parts.scheme == "data":
        return None  # a download inside the page (a chart's CSV): no request, nothing to resolve
    if parts.scheme or parts.netloc:
        return f"{page.name}: link out of the site {href}"
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    if not target.is_file() or not target.is_relative_to(root.resolve()):
        return f"{page.name}: broken link {href}"
    fragment = parts.fragment
    if fragment and "=" not in fragment and target.suffix == ".html" and fragment not in parse(target).ids:
        return f"{page.name}: missing anchor {href}"  # (``#cible=…`` are the index's filters)
    return None


def blankness(png: Path) -> tuple[float, int]:
    """Share of non-white pixels and number of distinct colours of a screenshot."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3).astype(int)
    non_white = float((pixels.sum(axis=1) < 740).mean())
    return non_white, len(np.unique(pixels, axis=0))


def assert_quiet_page(visit, allowed_prefixes=LOCAL_SCHEMES):
    assert not visit.console_errors, visit.console_errors
    outside = [u for u in visit.requests if not u.startswith(allowed_prefixes)]
    assert not outside, f"network requests from {visit.url}: {outside}"


@pytest.fixture(scope="module")
def rich_out(small_build, tmp_path_factory) -> Path:
    """The small build's folder, with a synthesis of the region and a failed report in its manifest."""
    assert small_build.returncode == 0, small_build.stderr
    out = tmp_path_factory.mktemp("rich") / "out"
    # What a reader sees (the links followed), as copied to a web server with `cp -rL`: real files.
    shutil.copytree(small_build.out, out, ignore=shutil.ignore_patterns(GENERATIONS, CURRENT))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (key, entry), = manifest["reports"].items()
    period = entry["period"]
    region_rows = []
    for h in entry["headline"]:
        row = {k: v for k, v in h.items() if k != "history"}
        row["academy"] = "region"
        region_rows.append(row)
    manifest["reports"][f"0|region|{period}"] = {
        "target": "0", "slug": "synthese", "title": "Synthèse de la feuille de route", "academy": "region",
        "period": period, "status": "ok", "message": "", "demo_data": True, "headline": region_rows,
        "built_at": entry["built_at"], "attempted_at": entry["attempted_at"],
    }
    failed = copy.deepcopy(entry)
    failed.update({"academy": "poitiers", "status": "failed", "attempted_at": entry["attempted_at"],
                   "message": "DataError : fichier pix/orga/suivi.csv, ligne 3, colonne Statut : « Actiff » "
                              "n'est pas une valeur attendue"})
    for k in ("html", "built_at", "headline", "executed_notebook"):
        failed.pop(k, None)
    manifest["reports"][f"1.1|poitiers|{period}"] = failed
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    write_index(out, manifest)
    return out


# --------------------------------------------------------------------------- static checks


def test_the_build_writes_an_index_reports_and_exports_quietly(small_build):
    assert small_build.returncode == 0, small_build.stderr[-3000:]
    assert small_build.stdout == "" and small_build.stderr == ""  # --quiet: silence when all is well
    out = small_build.out
    assert (out / "index.html").is_file() and (out / "manifest.json").is_file()
    assert sorted(p.name for p in (out / "donnees").iterdir()) == [
        "indicateurs.csv", "indicateurs.parquet", "indicateurs.xlsx"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in ("indicateurs.csv", "indicateurs.xlsx", "indicateurs.parquet"):
        assert f'href="donnees/{name}"' in index


def test_every_page_is_french_ordered_accessible_and_every_link_resolves(small_build, rich_out):
    # The build's own folder too, through its links (OUT/2025-2026 -> current/2025-2026, …).
    published = [p for p in small_build.out.glob("*/*/*.html") if p.parts[-3] not in (GENERATIONS, CURRENT)]
    assert published and all(p.parts[-3].startswith("20") for p in published)
    pages = [rich_out / "index.html", *sorted(rich_out.rglob("*/*.html")), small_build.out / "index.html", *published]
    assert len(pages) >= 4
    problems = [p for page in pages for p in check_page_statically(page, page.parents[0] if page.name == "index.html"
                                                                     else page.parents[2])]
    assert not problems, problems


def test_the_index_has_the_synthesis_first_then_every_report_with_its_trend(rich_out):
    html = (rich_out / "index.html").read_text(encoding="utf-8")
    synth, reports, data = (html.index('id="synthese"'), html.index('id="rapports"'), html.index('id="donnees"'))
    assert synth < reports < data
    assert "Les objectifs compromis" in html and "Échec le" in html and "Actiff" in html
    # The trend line of target 1.1 (Limoges) is drawn from the history its report wrote.
    limoges = re.search(r'<tr data-target="1.1" data-academy="limoges".*?</tr>', html, re.S).group(0)
    svg = re.search(r'<svg class="spark" role="img" aria-label="([^"]+)"', limoges)
    assert svg and "2020-2021" in svg.group(1) and "objectif" in svg.group(1)
    poitiers = re.search(r'<tr data-target="1.1" data-academy="poitiers".*?</tr>', html, re.S).group(0)
    assert 'data-statuses="failed"' in poitiers and "aucun rapport" in poitiers


# --------------------------------------------------------------------------- in Chromium


def test_index_and_report_load_from_the_file_system_without_error_or_request(browser, rich_out):
    index = browser.visit((rich_out / "index.html").as_uri())
    assert_quiet_page(index)
    assert index.title.startswith("Observatoire des usages du numérique éducatif")
    for text in ("Synthèse régionale", "Les objectifs compromis", "Tous les rapports", "Cible 1.1",
                 "Académie de Limoges", "Données pour les analystes", "indicateurs.xlsx"):
        assert text in index.text, text
    non_white, colours = blankness(index.screenshot)
    assert non_white > 0.03 and colours > 20, (non_white, colours)

    report_path = next(rich_out.rglob("1.1-pix/limoges.html"))
    report = browser.visit(report_path.as_uri())
    assert_quiet_page(report)
    for text in ("Cible 1.1", "Académie de Limoges", "Sommaire", "En bref", "Taux de certification Pix en 3e",
                 "Données et méthode"):
        assert text in report.text, text
    assert "from drane_analysis" not in report.text  # the code is hidden
    # The headline comes first: the indicators' table precedes the first section.
    text = report.text
    toc_end = text.index("Données et méthode", text.index("Sommaire"))  # the table of contents' last line
    brief = text.index("En bref", toc_end)  # the first section
    assert brief < text.index("Indicateurs de la cible 1.1") < text.index("1. Pix Orga", brief)
    non_white, colours = blankness(report.screenshot)
    assert non_white > 0.03 and colours > 20, (non_white, colours)


def test_filters_by_target_scope_period_and_status(browser, rich_out):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    visit = browser.visit((rich_out / "index.html").as_uri())
    assert_quiet_page(visit)
    d = browser.driver

    def shown(prefix: str) -> str:
        WebDriverWait(d, 5).until(lambda drv: drv.find_element(By.ID, "compte").text.startswith(prefix))
        return d.find_element(By.ID, "compte").text

    assert shown("3 rapport(s)") == "3 rapport(s) affiché(s) sur 3."
    Select(d.find_element(By.ID, "f-academie")).select_by_value("limoges")
    shown("1 rapport(s)")
    visible = [r for r in d.find_elements(By.CSS_SELECTOR, "#table-rapports tbody tr") if r.is_displayed()]
    assert [r.get_attribute("data-academy") for r in visible] == ["limoges"]
    assert "academie=limoges" in d.current_url  # a filtered view can be shared
    Select(d.find_element(By.ID, "f-statut")).select_by_value("failed")
    shown("0 rapport(s)")
    assert d.find_element(By.ID, "aucun").is_displayed()
    d.find_element(By.CSS_SELECTOR, "#filtres button[type=reset]").click()
    shown("3 rapport(s)")
    # The same view from an address with filters.
    visit = browser.visit((rich_out / "index.html").as_uri() + "#cible=0&annee=" +
                          d.find_element(By.CSS_SELECTOR, "#f-annee option:nth-child(2)").get_attribute("value"))
    assert_quiet_page(visit)
    shown("1 rapport(s)")
    assert Select(d.find_element(By.ID, "f-cible")).first_selected_option.get_attribute("value") == "0"


def test_index_reads_on_a_phone(browser, rich_out):
    visit = browser.visit((rich_out / "index.html").as_uri(), width=390, height=900, mobile=True)
    assert_quiet_page(visit)
    d = browser.driver
    assert d.execute_script("return document.documentElement.scrollWidth") <= \
        d.execute_script("return window.innerWidth") + 1, "the page scrolls sideways on a phone"
    assert "Synthèse régionale" in visit.text


@pytest.mark.parametrize("folder", ["rich_out", "small_build"])
def test_pages_from_a_static_web_server_make_no_other_request(browser, request, folder):
    """Served from a copy (real files) and from the build's own folder (symbolic links,
    which the server follows: nginx does by default, Apache with FollowSymLinks)."""
    from selenium.webdriver.common.by import By

    root = request.getfixturevalue(folder)
    root = root.out if folder == "small_build" else root
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        index = browser.visit(base + "index.html")
        assert_quiet_page(index, allowed_prefixes=(*LOCAL_SCHEMES, base))
        assert [u for u in index.requests if u.startswith("http")] == [base + "index.html"]
        link = browser.driver.find_element(By.CSS_SELECTOR, '#table-rapports a[href$="limoges.html"]')
        href = link.get_attribute("href")
        report = browser.visit(href)
        assert_quiet_page(report, allowed_prefixes=(*LOCAL_SCHEMES, base))
        assert [u for u in report.requests if u.startswith("http")] == [href]
        assert "Sommaire" in report.text
        assert not _QuietHandler.errors, _QuietHandler.errors
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    errors: list[str] = []

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def send_error(self, code, message=None, explain=None):
        _QuietHandler.errors.append(f"{code} {self.path}")
        super().send_error(code, message, explain)
