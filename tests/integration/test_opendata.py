"""``drane fetch-open-data`` against recorded real files, served on the loopback (never the network).

A small HTTP server on 127.0.0.1 plays the open-data portal: it answers the export URLs
of four datasets with the real extracts of ``../shared/real-samples/`` (skipped where that
folder is absent), refuses the region filter of one dataset (HTTP 400, as the portal does
for an unknown field) and knows no other dataset.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from drane_analysis import sources
from drane_analysis.opendata import DATASETS, PROVENANCE_FILE, fetch
from terminal import run_in_terminal

pytestmark = [pytest.mark.real_samples]
DRANE = str(Path(sys.executable).with_name("drane"))
RECORDED = {
    "fr-en-annuaire-education": "fr-en-annuaire-education.val-de-marne.csv",
    "fr-en-effectifs-specialites-triplettes-1ere-generale": "fr-en-effectifs-specialites-triplettes-1ere-generale.na.csv",
    "fr-en-ips_lycees": "fr-en-ips_lycees.na.csv",
    "fr-en-lycee_gt-effectifs-niveau-sexe-lv": "fr-en-lycee_gt-effectifs-niveau-sexe-lv.na.csv",
}
NO_FILTER = {"fr-en-ips_lycees"}  # the fake portal refuses this dataset's region filter


@pytest.fixture
def portal(real_samples):
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the base class's name
            requests.append(self.path)
            parts = urlsplit(self.path)
            segments = parts.path.strip("/").split("/")
            dataset = segments[5] if len(segments) == 8 else ""
            if segments[:5] != ["api", "explore", "v2.1", "catalog", "datasets"] or segments[6:] != ["exports", "csv"] \
                    or dataset not in RECORDED:
                self.send_error(404)
                return
            if dataset in NO_FILTER and "where" in parse_qs(parts.query):
                self.send_error(400, "Unknown field")
                return
            body = (real_samples / RECORDED[dataset]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_puts_each_dataset_in_its_folder_with_its_provenance(portal, real_samples, tmp_path):
    base, requests = portal
    wanted = ["specialites_premiere", "ips_lycees", "effectifs_lycee_gt", "annuaire"]
    results = {r.dataset.name: r for r in fetch(tmp_path, only=wanted, base_url=base, say=lambda _m: None)}
    assert all(r.startswith("/api/explore/v2.1/catalog/datasets/") for r in requests)

    # Three real files accepted, byte for byte, where the loaders look for them.
    placed = {
        "specialites_premiere": tmp_path / "specialites" / "fr-en-effectifs-specialites-triplettes-1ere-generale.csv",
        "ips_lycees": tmp_path / "ips" / "fr-en-ips_lycees.csv",
        "effectifs_lycee_gt": tmp_path / "effectifs" / "fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv",
    }
    provenance = json.loads((tmp_path / PROVENANCE_FILE).read_text(encoding="utf-8"))
    for name, path in placed.items():
        assert results[name].ok, results[name].message
        recorded = real_samples / RECORDED[DATASETS[name].dataset_id]
        assert path.read_bytes() == recorded.read_bytes()
        p = provenance[name]
        assert p["sha256"] == sha256(recorded) and p["bytes"] == recorded.stat().st_size
        assert p["file"] == path.relative_to(tmp_path).as_posix()
        assert p["url"].startswith(f"{base}/api/explore/v2.1/catalog/datasets/{DATASETS[name].dataset_id}/exports/csv?")
        assert p["downloaded_at"][:2] == "20" and "Licence Ouverte" in p["licence"]
    assert provenance["specialites_premiere"]["region_filter"] is True
    assert "where=" in provenance["specialites_premiere"]["url"]
    # The portal refused the filter: the national file was taken (the loaders keep the region's rows).
    assert provenance["ips_lycees"]["region_filter"] is False and "where=" not in provenance["ips_lycees"]["url"]

    # The loaders read what was fetched.
    checked = sources.validate(tmp_path, only=["specialites_premiere", "ips_lycees", "effectifs_lycee_gt"])
    assert all(res.files and not res.errors for res in checked.values())

    # A directory of another region is refused with the contract's message; nothing is left of it.
    assert not results["annuaire"].ok and "annuaire" not in provenance
    assert "le fichier précédent est conservé" in results["annuaire"].message
    assert "fr-en-annuaire-education" in results["annuaire"].message
    assert not (tmp_path / "annuaire").exists() and not (tmp_path / ".telechargement").exists()


def test_a_second_fetch_says_unchanged_and_a_failed_one_keeps_the_file(portal, tmp_path):
    base, _ = portal
    (first,) = fetch(tmp_path, only=["specialites_premiere"], base_url=base, say=lambda _m: None)
    path = first.path
    (again,) = fetch(tmp_path, only=["specialites_premiere"], base_url=base, say=lambda _m: None)
    assert again.ok and "inchangé" in again.message
    # The portal is unreachable: the previous file and its provenance stay.
    (down,) = fetch(tmp_path, only=["specialites_premiere"], base_url="http://127.0.0.1:9", say=lambda _m: None)
    assert not down.ok and "téléchargement impossible" in down.message
    assert path.is_file() and sha256(path) == first.provenance["sha256"]
    kept = json.loads((tmp_path / PROVENANCE_FILE).read_text(encoding="utf-8"))["specialites_premiere"]
    assert kept["sha256"] == first.provenance["sha256"]


def test_the_command(portal, tmp_path):
    base, _ = portal
    ok = subprocess.run([DRANE, "fetch-open-data", "--data", str(tmp_path), "--dataset", "effectifs_lycee_gt",
                         "--base-url", base], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "1 jeu(x) de données à jour" in ok.stdout and PROVENANCE_FILE in ok.stdout
    refused = subprocess.run([DRANE, "fetch-open-data", "--data", str(tmp_path), "--dataset", "annuaire",
                              "--base-url", base], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 3 and "Traceback" not in refused.stderr and "annuaire" in refused.stderr
    unknown = subprocess.run([DRANE, "fetch-open-data", "--data", str(tmp_path), "--dataset", "meteo"],
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2 and "meteo" in unknown.stderr


def test_the_command_on_a_terminal_shows_a_bar_of_the_datasets(portal, tmp_path):
    base, _ = portal
    term = run_in_terminal([DRANE, "fetch-open-data", "--data", str(tmp_path), "--dataset", "effectifs_lycee_gt",
                            "--dataset", "ips_lycees", "--base-url", base], timeout=300)
    assert term.returncode == 0, term.raw[-3000:]
    assert "Données ouvertes : effectifs_lycee_gt" in term.raw and "0/2 jeux" in term.raw and "2/2 jeux" in term.raw
    shown = term.lines
    assert any(line.startswith("✓ effectifs_lycee_gt : effectifs/") for line in shown), shown
    assert any(line.startswith("✓ ips_lycees : ips/") for line in shown), shown
    assert shown[-1].startswith("2 jeu(x) de données à jour")
    # Not a terminal: the lines only.
    again = subprocess.run([DRANE, "fetch-open-data", "--data", str(tmp_path), "--dataset", "ips_lycees",
                            "--base-url", base], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "\r" not in again.stdout + again.stderr and "jeux" not in again.stdout


def test_the_real_addresses_point_at_the_portal_export_api():
    # No request is made: only the addresses are checked.
    url = DATASETS["specialites_premiere"].url()
    assert url.startswith("https://data.education.gouv.fr/api/explore/v2.1/catalog/datasets/"
                          "fr-en-effectifs-specialites-triplettes-1ere-generale/exports/csv?")
    query = parse_qs(urlsplit(url).query)
    assert query["delimiter"] == [";"] and query["where"] == ['region_academique="NOUVELLE-AQUITAINE"']
    for d in DATASETS.values():
        assert sources.contract(d.source).files  # a declared source reads it
        assert d.folder == sources.contract(d.source).folder.split("/")[0]
