"""The drane command as a user runs it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drane_analysis import demo

pytestmark = pytest.mark.slow
DRANE = str(Path(sys.executable).with_name("drane"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DRANE, *args], capture_output=True, text=True, timeout=900)


def test_validate_accepts_the_demo_data(demo_dir):
    done = run("validate", "--data", str(demo_dir))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Aucun problème" in done.stdout


def test_validate_lists_every_problem_of_broken_copies_without_traceback(demo_dir, tmp_path):
    broken = tmp_path / "data"
    for folder in ("annuaire", "pix", "effectifs", "formations"):
        shutil.copytree(demo_dir / folder, broken / folder)
    annuaire = broken / "annuaire" / "fr-en-annuaire-education.csv"
    lines = annuaire.read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].replace(lines[5].split(";")[0], lines[5].split(";")[0][:7] + "Q", 1)
    annuaire.write_text("\n".join(lines) + "\n", encoding="utf-8")
    college = next((broken / "effectifs").glob("*college*"))
    text = college.read_text(encoding="utf-8").replace(";COLLEGE;", ";COLLÈGE;", 1)
    college.write_bytes(text.encode("latin-1", errors="replace"))  # saved by a spreadsheet in Latin-1
    training = next((broken / "formations").rglob("*.csv"))
    # Re-saved by a spreadsheet as a comma-separated file.
    training.write_text(training.read_text(encoding="utf-8-sig").replace(";", ","), encoding="utf-8")
    done = run("validate", "--data", str(broken))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "annuaire/fr-en-annuaire-education.csv, ligne 6, colonne « Identifiant_de_l_etablissement »" in out
    assert college.name in out and "UTF-8" in out
    assert training.name in out and "séparées par « ; »" in out


def test_indicators_as_csv(demo_dir):
    done = run("indicators", "--data", str(demo_dir), "--academy", "poitiers", "--period", "2020-2021",
               "--target", "1.1", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {"target", "indicator", "academy", "period", "value", "unit", "numerator", "denominator", "ci_low",
            "ci_high", "objective", "status"} <= set(rows[0])
    activation = next(r for r in rows if r["indicator"] == "pix_orga_activation_rate")
    assert (activation["numerator"], activation["denominator"]) == ("217.0", "303.0")


def test_indicators_with_a_bad_scope_is_a_usage_error(demo_dir):
    done = run("indicators", "--data", str(demo_dir), "--academy", "lyon")
    assert done.returncode == 2 and "périmètre inconnu « lyon »" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_data_is_deterministic(demo_dir, tmp_path):
    """A second generation with the same seed gives byte-identical files."""
    again = tmp_path / "again"
    demo.generate(again)
    first = (demo_dir / demo.MARKER).read_bytes()
    assert (again / demo.MARKER).read_bytes() == first  # the marker lists every file's sha256


def test_demo_data_refuses_a_folder_of_real_data(tmp_path):
    real = tmp_path / "raw"
    real.mkdir()
    (real / "export.csv").write_text("x", encoding="utf-8")
    done = run("demo-data", "--out", str(real))
    assert done.returncode == 2 and "jamais écrasées" in done.stderr
    assert (real / "export.csv").read_text(encoding="utf-8") == "x"
