"""The drane command as a user runs it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import demo, sources
from terminal import run_in_terminal

pytestmark = pytest.mark.slow
DRANE = str(Path(sys.executable).with_name("drane"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DRANE, *args], capture_output=True, text=True, timeout=900)


def test_validate_accepts_the_demo_data_printing_each_source_as_soon_as_it_is_read(demo_dir):
    proc = subprocess.Popen([DRANE, "validate", "--data", str(demo_dir)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "✓" in line:  # the first source: the others are still to be read
                assert proc.poll() is None
                break
    finally:
        rest, err = proc.communicate(timeout=900)
    out = "".join(lines) + rest
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    assert lines[0].startswith("Contrôle de ")
    assert len([line for line in rest.splitlines() if "✓" in line]) == len(sources.names()) - 1
    assert "Aucun problème" in out
    # Not a terminal (a log, cron): plain lines, one per source, no escape code and no bar.
    assert "\x1b" not in out + err and "\r" not in out + err
    assert err == ""
    for name in sources.names():
        assert len([line for line in out.splitlines() if f" {name} " in line]) == 1, name


def test_validate_on_a_terminal_shows_a_bar_under_the_sources(demo_dir):
    term = run_in_terminal([DRANE, "validate", "--data", str(demo_dir)], timeout=900)
    assert term.returncode == 0, term.raw[-3000:]
    assert "\r" in term.raw and "Contrôle 1/" in term.raw and " % |" in term.raw and "Mo · " in term.raw
    shown = term.lines
    assert shown[0].startswith("Contrôle de ") and shown[-1] == "Aucun problème."
    for name in sources.names():
        assert any(line.startswith(f"✓ {name} ") for line in shown), name


def test_a_csv_saved_by_excel_validates_with_a_warning_and_reads_as_the_original(demo_dir, tmp_path):
    """Excel's « CSV (séparateur : point-virgule) » is Windows-1252, without BOM, with CRLF."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir / "formations", data / "formations")
    rel = "formations/limoges/gaia_sessions_2021-2022.csv"
    text = (data / rel).read_text(encoding="utf-8-sig")
    assert "é" in text and "Académie" in text.splitlines()[0]
    (data / rel).write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    done = run("validate", "--data", str(data))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "✓ formations" in out and "18 fichier(s), ok, 1 avertissement(s)" in out
    warning = next(line for line in out.splitlines() if rel in line)
    assert warning.strip().startswith(f"- avertissement — {rel}, ligne 1 : attendu un fichier encodé en UTF-8")
    assert "Windows-1252" in warning and out.count(rel) == 1  # once for the file
    assert "Aucun problème ; 1 avertissement(s)" in out
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        copy = sources.load("formations", data, use_cache=False)
    original = sources.load("formations", demo_dir, use_cache=False)
    pd.testing.assert_frame_equal(copy, original)
    assert [str(w.message) for w in seen if w.category is sources.DataWarning] == [warning.strip()[2:]]


def test_a_build_on_a_terminal_shows_a_live_bar_and_warns_of_a_windows_1252_file(demo_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, copy_function=os.link)  # hard links: nothing copied but the re-saved file
    annuaire = data / "annuaire" / "fr-en-annuaire-education.csv"
    text = annuaire.read_text(encoding="utf-8-sig")
    annuaire.unlink()  # never write through a hard link into the shared demo data
    annuaire.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    out = tmp_path / "out"
    args = [DRANE, "build", "--target", "1.1", "--academy", "limoges", "--data", str(data), "--out", str(out),
            "--jobs", "1"]
    term = run_in_terminal(args, timeout=1200)
    assert term.returncode == 0, term.raw[-3000:]
    assert "Rapports   0 % |" in term.raw and "0/1 rapports" in term.raw and "estimation en cours" in term.raw
    assert "1/1 rapports" in term.raw and "\r" in term.raw
    warning = ("avertissement — annuaire/fr-en-annuaire-education.csv : attendu un fichier encodé en UTF-8 — il est "
               "lu quand même")
    shown = term.lines
    assert any(line.startswith(warning) and "Windows-1252" in line for line in shown), shown
    assert any(line.startswith("[1/1] cible 1.1 limoges") and line.endswith("s)") for line in shown), shown
    assert shown[-1].startswith("Journal : ")
    (log,) = (out / "journaux").glob("*.log")
    assert warning in log.read_text(encoding="utf-8")
    assert "Windows-1252" not in (out / "2025-2026" / "1.1-pix" / "limoges.html").read_text(encoding="utf-8")
    # Not a terminal: the same lines, plain, and the warning again (nothing else to rebuild).
    again = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert warning in again.stdout and "Rien à reconstruire" in again.stdout
    assert "\x1b" not in again.stdout + again.stderr and "\r" not in again.stdout + again.stderr


def test_validate_lists_every_problem_of_broken_copies_without_traceback(demo_dir, tmp_path):
    broken = tmp_path / "data"
    for folder in ("annuaire", "pix", "effectifs", "formations"):
        shutil.copytree(demo_dir / folder, broken / folder)
    annuaire = broken / "annuaire" / "fr-en-annuaire-education.csv"
    lines = annuaire.read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].replace(lines[5].split(";")[0], lines[5].split(";")[0][:7] + "Q", 1)
    annuaire.write_text("\n".join(lines) + "\n", encoding="utf-8")
    college = next((broken / "effectifs").glob("*college*"))
    text = college.read_text(encoding="utf-8").replace(";COLLEGE;", ";Collège;", 1)
    college.write_bytes(text.encode("mac-roman"))  # saved by an old Mac: « è » is 0x8F, neither UTF-8 nor Windows-1252
    training = next((broken / "formations").rglob("*.csv"))
    # Re-saved by a spreadsheet as a comma-separated file.
    training.write_text(training.read_text(encoding="utf-8-sig").replace(";", ","), encoding="utf-8")
    done = run("validate", "--data", str(broken))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "annuaire/fr-en-annuaire-education.csv, ligne 6, colonne « Identifiant_de_l_etablissement »" in out
    assert college.name in out and "UTF-8" in out and "✗ effectifs_college" in out
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
    """A second generation with the same seed gives byte-identical files — written here by one
    process, the session's demo data by as many as cores (forked writers): the same bytes."""
    again = tmp_path / "again"
    demo.generate(again, jobs=1)
    first = (demo_dir / demo.MARKER).read_bytes()
    assert (again / demo.MARKER).read_bytes() == first  # the marker lists every file's sha256


def test_demo_data_refuses_a_folder_of_real_data(tmp_path):
    real = tmp_path / "raw"
    real.mkdir()
    (real / "export.csv").write_text("x", encoding="utf-8")
    done = run("demo-data", "--out", str(real))
    assert done.returncode == 2 and "jamais écrasées" in done.stderr
    assert (real / "export.csv").read_text(encoding="utf-8") == "x"
