"""drane build: reports, index and manifest; a failing report keeps the previous good one."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from drane_analysis.build import build
from drane_analysis.errors import EXIT_FAILED

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build")]


@pytest.fixture(scope="module")
def built(demo_dir, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out")
    summary = build(targets=["1.1"], academies=["limoges", "region"], data_dir=demo_dir, out_dir=out, jobs=2,
                    say=lambda _m: None)
    return out, summary


def test_reports_index_and_manifest(built):
    out, summary = built
    assert summary.exit_code == 0
    html = (out / "2025-2026" / "1.1-pix" / "limoges.html").read_text(encoding="utf-8")
    assert "Académie de Limoges" in html and "Taux de certification Pix en 3e" in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2025-2026/1.1-pix/limoges.html"' in index and "Cible 1.1" in index
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"]["1.1|limoges|2025-2026"]
    assert entry["status"] == "ok" and entry["html"] == "2025-2026/1.1-pix/limoges.html"
    assert entry["inputs"]["pix_certification"]["files"] > 1000
    assert len(entry["inputs"]["pix_certification"]["sha256"]) == 64
    assert {"pandas", "papermill", "nbconvert", "python"} <= set(entry["versions"])
    assert {h["indicator"] for h in entry["headline"]} >= {"pix_orga_activation_rate", "pix_mean_score_3e"}


def test_reports_are_self_contained_with_code_hidden_and_alt_texts(built):
    out, _ = built
    html = (out / "2025-2026" / "1.1-pix" / "region.html").read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html), "a resource is loaded from the network"
    assert "<script src=" not in html
    assert "from drane_analysis" not in html  # code cells are not shown
    images = re.findall(r"<img [^>]*>", html)
    assert images and all('alt="' in img and 'alt=""' not in img for img in images)
    assert "Traceback" not in html


def test_a_failing_report_keeps_the_previous_one_and_fails_the_build(built, demo_dir, tmp_path):
    out, _ = built
    broken = tmp_path / "data"
    shutil.copytree(demo_dir, broken)
    orga = next((broken / "pix" / "orga").glob("*2026-01-15.csv"))
    text = orga.read_text(encoding="utf-8-sig").replace(";Actif;", ";Actiff;", 1)
    orga.write_text(text, encoding="utf-8")
    before = (out / "2025-2026" / "1.1-pix" / "limoges.html").read_bytes()
    summary = build(targets=["1.1"], academies=["limoges"], data_dir=broken, out_dir=out, jobs=1,
                    say=lambda _m: None)
    assert summary.exit_code == EXIT_FAILED
    assert (out / "2025-2026" / "1.1-pix" / "limoges.html").read_bytes() == before
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]["1.1|limoges|2025-2026"]
    assert entry["status"] == "failed" and "Actiff" in entry["message"] and orga.name in entry["message"]
    assert entry["html"] == "2025-2026/1.1-pix/limoges.html"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Échec le" in index and "rapport précédent du" in index
