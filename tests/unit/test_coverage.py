"""Coverage of the joins between sources (coverage.py) and the status it withholds (evaluate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis import coverage
from drane_analysis.exports import csv_bytes, indicator_rows
from drane_analysis.indicators import TABLE_COLUMNS, evaluate, series_frame
from drane_analysis.sidecar import SIDECAR_FIELDS, sidecar_rows

REASONS = {"no_enrolment": "établissement{s} absent{s} des fichiers d'effectifs",
           "no_level": "établissement{s} inconnu{s} de l'annuaire"}


def units() -> pd.DataFrame:
    """Certified pupils of six establishments, two lost (one in Bordeaux, one in Limoges)."""
    return pd.DataFrame({
        "uai": ["A", "B", "C", "D", "E", "F"],
        "academy": ["bordeaux", "bordeaux", "bordeaux", "limoges", "limoges", "poitiers"],
        "period": "2020-2021",
        "certified": [40, 30, 30, 10, 90, 5],
        "lost": ["", "no_enrolment", "", "no_level", "", ""],
    })


def test_measure_counts_persons_and_units_per_scope_and_says_why():
    cov = coverage.measure(units(), REASONS, whom="élève{s} certifié{s}", weight="certified").set_index("academy")
    assert cov.loc["bordeaux", "coverage"] == pytest.approx(70.0)
    assert cov.loc["bordeaux", "coverage_note"] == (
        "taux calculé sur 70\u202f% des élèves certifiés : 1 établissement absent des fichiers d'effectifs "
        "(30 élèves certifiés)")
    assert cov.loc["limoges", "coverage"] == pytest.approx(90.0)
    assert "1 établissement inconnu de l'annuaire (10 élèves certifiés)" in cov.loc["limoges", "coverage_note"]
    assert cov.loc["poitiers", "coverage"] == 100.0 and cov.loc["poitiers", "coverage_note"] == ""
    # The region: 165 of 205 pupils, both reasons, in the order of the reasons given.
    region = cov.loc["region"]
    assert region["kept"] == 165 and region["total"] == 205
    assert region["coverage_note"] == (
        "taux calculé sur 80\u202f% des élèves certifiés : 1 établissement absent des fichiers d'effectifs "
        "(30 élèves certifiés) ; 1 établissement inconnu de l'annuaire (10 élèves certifiés)")


def test_singular_and_plural_follow_the_counts():
    frame = units().assign(certified=[40, 1, 30, 10, 90, 5])
    cov = coverage.measure(frame, REASONS, whom="élève{s} certifié{s}", weight="certified", scopes=["bordeaux"])
    assert cov["coverage_note"].iloc[0].endswith("1 établissement absent des fichiers d'effectifs (1 élève certifié)")
    assert cov["coverage_note"].iloc[0].startswith("taux calculé sur 98 % des élèves certifiés")


def test_measure_without_weight_counts_units_and_plurals():
    frame = units().assign(lost=["no_enrolment", "no_enrolment", "", "", "", ""])
    cov = coverage.measure(frame, REASONS, whom="établissements", scopes=["bordeaux"]).iloc[0]
    assert cov["coverage"] == pytest.approx(100 / 3)
    assert cov["coverage_note"] == ("taux calculé sur 33\u202f% des établissements : 2 établissements absents "
                                    "des fichiers d'effectifs")


def test_measure_refuses_a_reason_without_its_words():
    with pytest.raises(ValueError, match="sans libellé"):
        coverage.measure(units().assign(lost="typo"), REASONS, whom="élèves")


def test_nothing_to_cover_is_no_coverage():
    frame = units().assign(certified=0)
    cov = coverage.measure(frame, REASONS, whom="élèves certifiés", weight="certified", scopes=["bordeaux"])
    assert np.isnan(cov["coverage"].iloc[0]) and cov["coverage_note"].iloc[0] == ""


def test_shares_are_never_rounded_up_to_a_threshold():
    assert coverage.format_share(94.9) == "94\u202f%"
    assert coverage.format_share(99.96) == "99,9\u202f%"
    assert coverage.format_share(100.0) == "100\u202f%"
    assert coverage.format_share(np.nan) == "—"


def test_combine_keeps_the_lower_coverage_and_both_sentences():
    a = pd.DataFrame({"academy": ["region"], "period": ["2020-2021"], "coverage": [80.0], "coverage_note": ["x"]})
    b = pd.DataFrame({"academy": ["region"], "period": ["2020-2021"], "coverage": [60.0], "coverage_note": ["y"]})
    out = coverage.combine(a, b).iloc[0]
    assert out["coverage"] == 60.0 and out["coverage_note"] == "x ; y"


def series(value: float = 50.0) -> pd.DataFrame:
    rows = [{"target": "1.1", "indicator": "pix_certification_rate_terminale", "academy": scope,
             "period": "2020-2021", "value": value} for scope in ("bordeaux", "region")]
    return series_frame(rows)


def cov_frame() -> pd.DataFrame:
    return pd.DataFrame({"academy": ["bordeaux", "limoges"], "period": ["2020-2021"] * 2,
                         "coverage": [52.0, 0.0], "coverage_note": ["taux calculé sur 52 %", "taux calculé sur 0 %"]})


def test_attach_sets_the_indicators_rows_and_adds_a_row_where_nothing_matched():
    out = coverage.attach(series(), "pix_certification_rate_terminale", cov_frame())
    assert out.loc[out["academy"] == "bordeaux", "coverage"].iloc[0] == 52.0
    assert out.loc[out["academy"] == "region", "coverage_note"].iloc[0] == ""    # not measured: unchanged
    assert "limoges" not in set(out["academy"])
    # With the target, a scope the join emptied gets a row with no value and the sentence.
    out = coverage.attach(series(), "pix_certification_rate_terminale", cov_frame(), target="1.1")
    limoges = out[out["academy"] == "limoges"].iloc[0]
    assert np.isnan(limoges["value"]) and limoges["coverage_note"] == "taux calculé sur 0 %"
    assert coverage.attach(series(), "pix_orga_activation_rate", cov_frame())["coverage"].isna().all()


def test_evaluate_withholds_the_status_below_the_minimum_and_keeps_the_value():
    table = evaluate(coverage.attach(series(), "pix_certification_rate_terminale", cov_frame()))
    assert list(table.columns) == TABLE_COLUMNS
    row = table.set_index("academy")
    assert row.loc["bordeaux", "status"] == coverage.WITHHELD
    assert row.loc["bordeaux", "status_label"] == "Statut suspendu : couverture insuffisante"
    assert row.loc["bordeaux", "value"] == 50.0 and row.loc["bordeaux", "coverage"] == 52.0
    assert row.loc["bordeaux", "objective"] == 100.0                 # the objective is still shown
    assert row.loc["region", "status"] == "not_reached"               # no coverage measured: the rule's status
    high = cov_frame().assign(coverage=[95.0, 95.0])                  # at the minimum: kept
    assert evaluate(coverage.attach(series(), "pix_certification_rate_terminale", high))["status"].tolist() == [
        "not_reached", "not_reached"]


def test_statuses_that_judge_nothing_are_not_withheld():
    assert coverage.withhold("no_data", 10.0, 95.0) == "no_data"
    assert coverage.withhold("no_objective", 10.0, 95.0) == "no_objective"
    assert coverage.withhold("reached", np.nan, 95.0) == "reached"
    assert coverage.withhold("reached", 94.99, 95.0) == coverage.WITHHELD


def test_the_minimum_is_read_from_params(tmp_path, monkeypatch):
    (tmp_path / "coverage.yaml").write_text("min_coverage: 80\nrule: Sous {seuil}, suspendu.\n", encoding="utf-8")
    monkeypatch.setattr(coverage, "params_dir", lambda: tmp_path)
    rules = coverage.rules()
    assert rules.min_coverage == 80.0 and rules.rule_text == "Sous 80\u202f%, suspendu."
    assert coverage.withhold("reached", 85.0) == "reached"
    (tmp_path / "coverage.yaml").write_text("min_coverage: 120\n", encoding="utf-8")
    with pytest.raises(ValueError, match="min_coverage"):
        coverage.rules()


def test_the_projects_rule_names_its_threshold_and_status():
    rules = coverage.rules()
    assert rules.min_coverage == 95.0
    assert "95\u202f%" in rules.rule_text and "Statut suspendu" in rules.rule_text


def test_manifest_rows_and_exports_carry_the_coverage():
    table = evaluate(coverage.attach(series(), "pix_certification_rate_terminale", cov_frame()))
    assert {"coverage", "coverage_note"} <= set(SIDECAR_FIELDS)
    rows = sidecar_rows(table)
    bx = next(r for r in rows if r["academy"] == "bordeaux")
    assert bx["coverage"] == 52.0 and bx["coverage_note"] == "taux calculé sur 52 %" and bx["status"] == "withheld"
    manifest = {"reports": {"r": {"target": "1.1", "academy": "bordeaux", "period": "2020-2021", "headline": rows}}}
    frame = indicator_rows(manifest)
    assert frame.loc[frame["academy"] == "bordeaux", "coverage"].iloc[0] == 52.0
    text = csv_bytes(frame).decode("utf-8-sig")
    assert "Couverture des rapprochements (%)" in text and "taux calculé sur 52 %" in text
    assert "Statut suspendu : couverture insuffisante" in text
