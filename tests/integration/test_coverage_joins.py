"""Coverage is measured, never silent: a demo folder whose enrolment files lost establishments.

Issue 12, item 5: real national DEPP files dropped into the data folder silently changed
the terminale certification rate (14 195 / 45 768 became 7 371 / 9 923). Here the demo's
collège file loses 40 collèges of the latest year and the vocational lycées' file is
removed: the rates are computed on what matched, and the series, the indicator table,
``drane indicators`` and the report's headline say how much.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.targets import t1_1_pix

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("coverage-joins")]
DRANE = str(Path(sys.executable).with_name("drane"))
DROPPED = 40


@pytest.fixture(scope="module")
def folders(demo_dir, tmp_path_factory) -> tuple[Path, Path, str, set[str]]:
    """The demo data (intact), a damaged copy, its latest year, the collèges dropped.

    The copy is made of hard links (its unchanged files, the Pix exports among them, are the
    demo's: same size and time, so the session's cache of their frames serves); the collège
    file is written anew in place of its link, the demo data are never touched.
    """
    import os
    import shutil

    intact = demo_dir
    damaged = tmp_path_factory.mktemp("coverage") / "damaged"
    shutil.copytree(intact, damaged, copy_function=os.link)
    period = Data(intact).latest_period()
    college = next((damaged / "effectifs").glob("*college*"))
    frame = pd.read_csv(college, sep=";", dtype=str, keep_default_na=False)
    year = frame["rentree_scolaire"] == period[:4]
    dropped = set(frame.loc[year, "numero_college"].iloc[:DROPPED])
    college.unlink()
    frame[~(year & frame["numero_college"].isin(dropped))].to_csv(college, sep=";", index=False)
    next((damaged / "effectifs").glob("*lycee_pro*")).unlink()
    assert (intact / "effectifs" / college.name).stat().st_size > college.stat().st_size
    return intact, damaged, period, dropped


def row(series: pd.DataFrame, indicator: str, period: str, scope: str = "region") -> pd.Series:
    match = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(match) == 1
    return match.iloc[0]


def test_the_rates_say_what_the_enrolment_join_lost(folders):
    intact, damaged, period, dropped = folders
    before = t1_1_pix.compute(Data(intact))
    after = t1_1_pix.compute(Data(damaged))
    for level in ("3e", "terminale"):
        assert row(before, f"pix_certification_rate_{level}", period)["coverage"] == 100.0
        assert row(before, f"pix_certification_rate_{level}", period)["coverage_note"] == ""
    # 3e: the dropped collèges' certified pupils leave the rate, which says how many.
    results = t1_1_pix.pupil_results(Data(damaged))
    lost = results[(results["period"] == period) & results["uai"].isin(dropped)]
    rate, was = row(after, "pix_certification_rate_3e", period), row(before, "pix_certification_rate_3e", period)
    assert rate["numerator"] == was["numerator"] - lost["certified"].sum()
    kept = rate["numerator"] / was["numerator"] * 100
    assert rate["coverage"] == pytest.approx(kept)
    assert (f"{lost['uai'].nunique()} établissements sans élèves inscrits au niveau dans les fichiers d'effectifs "
            f"de l'année") in rate["coverage_note"]
    # Terminale without the vocational file: the LP and LPO leave both terms.
    term = row(after, "pix_certification_rate_terminale", period)
    assert term["denominator"] < row(before, "pix_certification_rate_terminale", period)["denominator"]
    assert term["coverage"] < 95 and "dont le fichier d'effectifs d'une voie manque" in term["coverage_note"]
    table = evaluate(after, periods=[period], scopes=["region"]).set_index("indicator")
    assert table.loc["pix_certification_rate_terminale", "status"] == "withheld"
    assert table.loc["pix_certification_rate_terminale", "value"] == pytest.approx(term["value"])
    # Nothing else of the target lost rows: the scores need no enrolment file.
    assert table.loc["pix_mean_score_3e", "coverage"] == 100.0


def test_drane_indicators_and_the_report_headline_say_it(folders):
    _, damaged, period, _ = folders
    done = subprocess.run([DRANE, "indicators", "--data", str(damaged), "--target", "1.1", "--academy", "region",
                           "--period", period, "--format", "json", "--jobs", "1"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {r["indicator"]: r for r in json.loads(done.stdout)}
    term = rows["pix_certification_rate_terminale"]
    assert term["status"] == "withheld" and term["coverage"] < 95
    assert term["coverage_note"].startswith("taux calculé sur ")
    done = subprocess.run([DRANE, "indicators", "--data", str(damaged), "--target", "1.1", "--academy", "region",
                           "--period", period, "--jobs", "1"], capture_output=True, text=True, timeout=900)
    assert "Couverture des rapprochements entre sources" in done.stdout
    assert "Statut suspendu : couverture insuffisante" in done.stdout

    from drane_analysis.report import Report

    rpt = Report("1.1", "region", period, str(damaged))
    html = rpt.coverage_html()
    assert "Taux de certification Pix en terminale</strong> : taux calculé sur" in html
    assert "Score Pix moyen" not in html                                   # nothing lost for the scores
