"""Incremental builds: a report is rebuilt only when something it depends on changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drane_analysis.build import build

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]
ARGS = dict(targets=["2.2", "3.1"], academies=["limoges"], periods=["2024-2025"], jobs=2)


def _replace(path: Path, data: bytes) -> None:
    """Rewrite a file of the hard-linked copy without touching the shared original."""
    path.unlink()
    path.write_bytes(data)


@pytest.fixture(scope="module")
def data_copy(demo_dir, tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("incremental") / "data"
    shutil.copytree(demo_dir, dst, copy_function=os.link)
    return dst


@pytest.fixture(scope="module")
def first(data_copy, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    lines: list[str] = []
    summary = build(data_dir=data_copy, out_dir=out, say=lines.append, **ARGS)
    assert summary.exit_code == 0, [r.message for r in summary.failed]
    return out, summary, lines


def _build(data_copy, out, **extra):
    lines: list[str] = []
    return build(data_dir=data_copy, out_dir=out, say=lines.append, **{**ARGS, **extra}), "\n".join(lines)


def test_first_build_says_why_it_builds(first):
    _, summary, lines = first
    assert {r.job.key for r in summary.results} == {"2.2|limoges|2024-2025", "3.1|limoges|2024-2025"}
    assert any("2 à reconstruire — nouveau rapport" in line for line in lines)


def test_nothing_changed_nothing_rebuilt(first, data_copy):
    out, _, _ = first
    before = (out / "manifest.json").read_bytes()
    html = out / "2024-2025" / "2.2-territoires-incubateurs" / "limoges.html"
    mtime = html.stat().st_mtime_ns
    # Same content under a new date: content hashes decide, not dates.
    orga = next((data_copy / "incubateurs").glob("candidatures_2024-2025.csv"))
    _replace(orga, orga.read_bytes())
    summary, said = _build(data_copy, out)
    assert summary.results == [] and len(summary.skipped) == 2
    assert "Rien à reconstruire" in said
    assert html.stat().st_mtime_ns == mtime
    assert (out / "manifest.json").read_bytes() == before


def test_a_changed_source_file_rebuilds_exactly_its_readers(first, data_copy):
    out, _, _ = first
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert "incubateurs" in manifest["2.2|limoges|2024-2025"]["inputs"]
    assert "incubateurs" not in manifest["3.1|limoges|2024-2025"]["inputs"]
    path = data_copy / "incubateurs" / "candidatures_2024-2025.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[1].split(";")
    cells[4] = str(int(cells[4]) + 1)  # one more member of staff in one establishment
    lines[1] = ";".join(cells)
    _replace(path, ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    summary, said = _build(data_copy, out)
    assert [r.job.key for r in summary.results] == ["2.2|limoges|2024-2025"]
    assert summary.reasons["2.2|limoges|2024-2025"] == ["données modifiées (incubateurs)"]
    assert "données modifiées (incubateurs) : cible 2.2 limoges 2024-2025" in said
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]["2.2|limoges|2024-2025"]
    assert entry["rebuilt_because"] == ["données modifiées (incubateurs)"]
    assert entry["inputs"]["incubateurs"] != manifest["2.2|limoges|2024-2025"]["inputs"]["incubateurs"]


def test_force_rebuilds_everything(first, data_copy):
    out, _, _ = first
    summary, said = _build(data_copy, out, force=True)
    assert len(summary.results) == 2 and summary.exit_code == 0
    assert "reconstruction demandée (--force)" in said


def test_cli_no_op_rebuild_does_no_notebook_work(first, data_copy):
    out, _, _ = first
    drane = str(Path(sys.executable).with_name("drane"))
    done = subprocess.run([drane, "build", "--data", str(data_copy), "--out", str(out), "--target", "2.2",
                           "--target", "3.1", "--academy", "limoges", "--period", "2024-2025"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Rien à reconstruire : les 2 rapport(s) demandés sont à jour" in done.stdout
