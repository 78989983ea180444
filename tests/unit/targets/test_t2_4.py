"""Target 2.4 indicators on tiny hand-made tables, the real open-data file, and the demo."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.targets import t2_4_orientation as t
from drane_analysis.views import v2_4_orientation as v

LYCEE_A, LYCEE_B, LYCEE_C = "0330001A", "0330002B", "0870001C"  # Gironde, Gironde, Haute-Vienne
PLACES = {LYCEE_A: ("33", "bordeaux", "public"), LYCEE_B: ("33", "bordeaux", "private"),
          LYCEE_C: ("87", "limoges", "public")}
REAL_PREMIERE = "fr-en-effectifs-specialites-triplettes-1ere-generale.na.csv"


def specialties(counts: dict[tuple[str, str], tuple]) -> pd.DataFrame:
    """Tidy specialties frame from {(uai, period): (nsi_girls, nsi_boys, girls, boys)}."""
    rows = []
    for (uai, period), (ng, nb, g, b) in counts.items():
        dept, academy, sector = PLACES[uai]
        for code, girls, boys in (("total", g, b), ("0747", ng, nb), ("0613", g // 2, b // 2)):
            rows.append({"uai": uai, "period": period, "specialty_code": code, "specialty_label": code,
                         "girls": girls, "boys": boys, "sector": sector, "department": dept, "academy": academy})
    frame = pd.DataFrame(rows)
    for c in ("girls", "boys"):
        frame[c] = frame[c].astype("Int64")
    return frame


TERMINALE = {
    (LYCEE_A, "2020-2021"): (2, 18, 500, 400),
    (LYCEE_B, "2020-2021"): (0, 1, 100, 0),
    (LYCEE_C, "2020-2021"): (0, 0, 200, 200),   # no NSI offered
    (LYCEE_A, "2021-2022"): (4, 16, 500, 400),
    (LYCEE_B, "2021-2022"): (1, 4, 100, 0),
    # LYCEE_C absent in 2021-2022: Limoges has no lycée that year
}
PREMIERE = {
    (LYCEE_A, "2020-2021"): (10, 40, 500, 400),
    (LYCEE_C, "2020-2021"): (5, 15, 200, 200),
    (LYCEE_A, "2021-2022"): (20, 60, 500, 400),
    (LYCEE_C, "2021-2022"): (10, 30, 200, 200),
}


def projects() -> pd.DataFrame:
    frame = pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5"],
        "programme": ["femmes_numerique", "chiche", "chiche", "concours", "autre"],
        "academy": ["bordeaux", "bordeaux", "bordeaux", "limoges", "bordeaux"],
        "uai": [None, LYCEE_A, LYCEE_B, LYCEE_C, LYCEE_A],
        "department": [None, "33", "33", "87", "33"],
        "period": ["2020-2021", "2020-2021", "2020-2021", "2020-2021", "2021-2022"],
        "pupils": [1000, 60, 40, 30, None],
        "girls": [500, 30, 20, 6, None],
    })
    for c in ("pupils", "girls"):
        frame[c] = frame[c].astype("Int64")
    return frame


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"specialites_terminale": specialties(TERMINALE),
                             "specialites_premiere": specialties(PREMIERE),
                             "projets_orientation": projects()})


def row(series: pd.DataFrame, indicator: str, scope: str, period: str) -> pd.Series:
    r = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(r) == 1, r
    return r.iloc[0]


# --------------------------------------------------------------------------- generic statistics


def test_two_proportion_test_by_hand():
    out = t.two_proportion_test(30, 100, 10, 100)
    assert out["rate1"] == pytest.approx(30) and out["rate2"] == pytest.approx(10)
    assert out["diff"] == pytest.approx(20)
    assert out["ratio"] == pytest.approx(3)
    # pooled p = 0.2; z = 0.2 / sqrt(0.2 * 0.8 * 2 / 100) = 3.5355
    assert out["z"] == pytest.approx(3.5355, abs=1e-4)
    assert out["p_value"] == pytest.approx(0.000407, abs=1e-5)
    assert out["diff_low"] < 20 < out["diff_high"] and out["diff_low"] > 0


def test_two_proportion_test_edge_cases():
    empty = t.two_proportion_test(0, 0, 3, 10)
    assert np.isnan(empty["diff"]) and np.isnan(empty["p_value"])
    zeros = t.two_proportion_test(0, 50, 0, 80)
    assert zeros["diff"] == 0 and zeros["p_value"] == 1.0 and np.isnan(zeros["ratio"])


def test_logistic_trend_saturated_two_years():
    # 20 % then 50 %: the slope is logit(0.5) - logit(0.2) = ln 4, the odds ratio exactly 4.
    frame = pd.DataFrame({"year": [2020, 2021], "k": [20, 50], "n": [100, 100]})
    out = t.logistic_trend(frame, "k", "n", deadline=2022)
    assert out["n_years"] == 2
    assert out["odds_ratio"] == pytest.approx(4.0, rel=1e-6)
    assert out["or_low"] > 1 and out["p_value"] < 0.001
    # logit at 2022 = logit(0.2) + 2 ln 4 → odds 0.25 × 16 = 4 → 80 %
    assert out["projection"] == pytest.approx(80.0, rel=1e-4)


def test_logistic_trend_flat_one_year_and_degenerate():
    flat = pd.DataFrame({"year": [2020, 2020, 2021, 2021], "k": [10, 20, 10, 20], "n": [100, 200, 100, 200]})
    out = t.logistic_trend(flat, "k", "n")
    assert out["odds_ratio"] == pytest.approx(1.0, abs=1e-6) and out["p_value"] == pytest.approx(1.0, abs=1e-6)
    one = t.logistic_trend(flat[flat["year"] == 2020], "k", "n")
    assert one["n_years"] == 1 and np.isnan(one["odds_ratio"])
    none = t.logistic_trend(flat.assign(k=0), "k", "n")
    assert np.isnan(none["odds_ratio"])


# --------------------------------------------------------------------------- series


def test_nsi_counts_and_shares_by_hand(data):
    s = t.compute(data)
    # terminale 2020-2021, region: NSI = 20 + 1 + 0 = 21, girls 2; pupils 1 400, girls 800
    assert row(s, "nsi_pupils_terminale", "region", "2020-2021")["value"] == 21
    share = row(s, "nsi_girls_share_terminale", "region", "2020-2021")
    assert share["value"] == pytest.approx(2 / 21 * 100)
    assert (share["numerator"], share["denominator"]) == (2, 21)
    assert share["ci_low"] < share["value"] < share["ci_high"]
    rate = row(s, "nsi_rate_terminale", "region", "2020-2021")
    assert rate["value"] == pytest.approx(21 / 1400 * 100)
    girls = row(s, "nsi_rate_girls_terminale", "region", "2020-2021")
    assert girls["value"] == pytest.approx(2 / 800 * 100)
    # bordeaux 2021-2022: 20 + 5 = 25 NSI, 5 girls
    assert row(s, "nsi_pupils_terminale", "bordeaux", "2021-2022")["value"] == 25
    assert row(s, "nsi_girls_share_terminale", "bordeaux", "2021-2022")["value"] == pytest.approx(20)
    # première: no rate indicator in the catalogue
    assert row(s, "nsi_pupils_premiere", "limoges", "2021-2022")["value"] == 40
    assert s[s["indicator"] == "nsi_rate_premiere"].empty


def test_empty_group_and_zero_denominator(data):
    s = t.compute(data)
    # Limoges has no lycée in 2021-2022 (terminale): a count of 0, no rate
    assert row(s, "nsi_pupils_terminale", "limoges", "2021-2022")["value"] == 0
    assert s[(s["indicator"] == "nsi_girls_share_terminale") & (s["academy"] == "limoges")
             & (s["period"] == "2021-2022")].empty
    # Limoges 2020-2021: a lycée without NSI → 0 pupils, girls' share undefined
    assert row(s, "nsi_pupils_terminale", "limoges", "2020-2021")["value"] == 0
    assert np.isnan(row(s, "nsi_girls_share_terminale", "limoges", "2020-2021")["value"])
    # Poitiers: no lycée at all
    assert row(s, "nsi_pupils_terminale", "poitiers", "2020-2021")["value"] == 0


def test_orientation_projects_by_hand(data):
    s = t.compute(data)
    assert row(s, "orientation_digital_projects", "region", "2020-2021")["value"] == 4
    assert row(s, "orientation_digital_projects", "bordeaux", "2021-2022")["value"] == 1
    assert row(s, "orientation_digital_projects", "limoges", "2021-2022")["value"] == 0
    table = evaluate(s, periods=["2020-2021"], scopes=["region"])
    r = table[table["indicator"] == "orientation_digital_projects"].iloc[0]
    assert r["objective"] == 50 and r["status"] == "not_reached"
    dept = t.breakdown(data, "orientation_digital_projects", "bordeaux", "2020-2021", "department")
    assert dict(zip(dept["label"], dept["value"], strict=True)) == {t.ACADEMY_WIDE_LABEL: 1, "Gironde (33)": 2}
    assert t.project_counts(data, "bordeaux", "2020-2021") == {"actions": 3, "academy_wide": 1}
    assert t.project_counts(data, "region", "2021-2022") == {"actions": 1, "academy_wide": 0}


def test_programme_table(data):
    p = t.programme_table(data, "region", "2020-2021")
    chiche = p[p["programme"] == "chiche"].iloc[0]
    assert chiche["actions"] == 2 and chiche["bordeaux"] == 2 and chiche["girls_share"] == pytest.approx(50)
    total = p[p["programme"] == "total"].iloc[0]
    assert total["actions"] == 4 and total["pupils"] == 1130 and total["girls"] == 556
    # 2021-2022: an action with unknown pupils counts as an action, not in the girls' share
    later = t.programme_table(data, "region", "2021-2022")
    assert later.iloc[-1]["actions"] == 1 and np.isnan(later.iloc[-1]["girls_share"])


def test_doubling_objective_is_relative(data):
    table = evaluate(t.compute(data), periods=["2021-2022"], scopes=["region"])
    r = table[table["indicator"] == "nsi_pupils_premiere"].iloc[0]
    assert r["objective"] == 2 * 70  # 2020-2021: 50 + 20 NSI pupils
    assert r["value"] == 120 and r["status"] in ("at_risk", "on_track", "off_track")
    # « % de filles en NSI » is the roadmap's « 0,4 % de filles »: the girls of terminale taking NSI
    # (2020-2021: 2 of 800) carry the doubling; the girls' share among NSI pupils is secondary.
    girls = table[table["indicator"] == "nsi_rate_girls_terminale"].iloc[0]
    assert girls["objective"] == pytest.approx(2 * 2 / 800 * 100)
    assert girls["baseline"] == pytest.approx(2 / 800 * 100)
    assert "0,4 %" in girls["reading"] and girls["objective_label"].startswith("× 2 par rapport à 2020-2021")
    share = table[table["indicator"] == "nsi_girls_share_terminale"].iloc[0]
    assert share["status"] == "secondary" and np.isnan(share["objective"]) and "parmi les élèves" in share["reading"]


def test_breakdowns_by_sex_sector_department(data):
    sex = t.breakdown(data, "nsi_rate_terminale", "region", "2020-2021", "sex")
    rates = dict(zip(sex["group"], sex["value"], strict=True))
    assert rates["F"] == pytest.approx(2 / 800 * 100) and rates["M"] == pytest.approx(19 / 600 * 100)
    counts = t.breakdown(data, "nsi_pupils_terminale", "region", "2020-2021", "sex")
    assert dict(zip(counts["group"], counts["value"], strict=True)) == {"F": 2, "M": 19}
    sector = t.breakdown(data, "nsi_girls_share_terminale", "bordeaux", "2021-2022", "sector")
    assert dict(zip(sector["group"], sector["value"], strict=True)) == {"private": pytest.approx(20),
                                                                         "public": pytest.approx(20)}
    dept = t.breakdown(data, "nsi_pupils_premiere", "region", "2020-2021", "department")
    assert list(dept["label"]) == ["Gironde (33)", "Haute-Vienne (87)"] and list(dept["value"]) == [50, 20]
    with pytest.raises(ValueError):
        t.breakdown(data, "nsi_girls_share_terminale", "region", "2020-2021", "sex")


def test_gender_gap_by_year_and_group(data):
    gap = t.gender_gap(data, "premiere", "region", by="period")
    first = gap.iloc[0]
    # 2020-2021: girls 15 / 700, boys 55 / 600
    assert first["girls_rate"] == pytest.approx(15 / 700 * 100)
    assert first["boys_rate"] == pytest.approx(55 / 600 * 100)
    assert first["gap"] == pytest.approx((55 / 600 - 15 / 700) * 100)
    # Girls and boys paired on their two lycées (A: 40/400 − 10/500, C: 15/200 − 5/200):
    # z_i = (boys_i − R_b B_i)/B − (girls_i − R_g G_i)/G, variance 2 Σ z², Student with 1 df.
    rb, rg = 55 / 600, 15 / 700
    z = (np.array([40, 15]) - rb * np.array([400, 200])) / 600 - (np.array([10, 5]) - rg * np.array([500, 200])) / 700
    se = np.sqrt(2 * np.sum(z ** 2)) * 100
    assert first["gap_low"] == pytest.approx(first["gap"] - 12.706205 * se, rel=1e-6)
    from scipy import stats as sps

    assert first["p_value"] == pytest.approx(2 * sps.t.sf(first["gap"] / se, 1))
    # Two lycées say little: pupils taken as independent (the old z-test), p < 0.001.
    assert first["p_value"] > 0.05 and t.two_proportion_test(55, 600, 15, 700)["p_value"] < 0.001
    assert first["girls_share"] == pytest.approx(15 / 70 * 100)
    assert list(gap["group"]) == ["2020-2021", "2021-2022"]
    assert list(t.gender_gap(data, "premiere", "region", period="2020-2021")["group"]) == ["2020-2021"]
    groups = t.gender_gap(data, "premiere", "region", by="department", period="2021-2022")
    assert list(groups["label"]) == ["Gironde (33)", "Haute-Vienne (87)"]
    assert groups["p_value"].isna().all()                 # one lycée a department: nothing to test
    sector = t.gender_gap(data, "premiere", "region", by="sector", period="2021-2022")
    assert sector["p_value"].notna().all() and (sector["p_holm"] >= sector["p_value"] - 1e-12).all()
    with pytest.raises(ValueError):
        t.gender_gap(data, "premiere", "region", by="department")


def test_girls_share_trend_and_gap_trend(data):
    # première, region: girls 15/70 then 30/120 → shares 21.4 % and 25 %
    tr = t.girls_share_trend(data, "premiere", "region").iloc[0]
    assert tr["n_years"] == 2 and tr["first_share"] == pytest.approx(15 / 70 * 100)
    assert tr["last_share"] == pytest.approx(25.0)
    assert tr["odds_ratio"] > 1
    one = t.girls_share_trend(data, "premiere", "region", up_to="2020-2021").iloc[0]
    assert one["n_years"] == 1 and np.isnan(one["odds_ratio"])
    by = t.girls_share_trend(data, "premiere", "region", by="academy")
    assert list(by["label"]) == ["Bordeaux", "Limoges"] and "p_holm" in by
    gt = t.gender_gap_trend(data, "premiere", "region")
    assert gt["n_years"] == 2 and gt["last"] == "2021-2022"
    # last year: girls 30/700, boys 90/600 → odds ratio (30/670)/(90/510)
    assert gt["or_girls_last"] == pytest.approx((30 / 670) / (90 / 510), rel=1e-6)
    assert np.isnan(t.gender_gap_trend(data, "premiere", "region", up_to="2020-2021")["or_change"])


def test_progress_by_group(data):
    prog = t.progress_by_group(data, "nsi_pupils_premiere", "region", "2021-2022", "department")
    gironde = prog[prog["group"] == "33"].iloc[0]
    assert (gironde["base"], gironde["objective"], gironde["value"]) == (50, 100, 80)
    assert gironde["ratio"] == pytest.approx(1.6) and not gironde["reached"]
    limousin = prog[prog["group"] == "87"].iloc[0]
    assert limousin["ratio"] == pytest.approx(2.0) and limousin["reached"]
    sizes = t.nsi_pupils_by_group(data, "premiere", "region", "department")
    assert sizes == {("33", "2020-2021"): 50, ("33", "2021-2022"): 80, ("87", "2020-2021"): 20,
                     ("87", "2021-2022"): 40}


def test_baseline_check():
    spec = specialties({(LYCEE_A, "2020-2021"): (2, 19, 500, 500)})  # 21 / 1000 = 2.1 %, 2 / 500 = 0.4 %
    check = t.baseline_check(Data.from_frames({"specialites_terminale": spec}))
    assert list(check["indicator"]) == ["nsi_rate_terminale", "nsi_rate_girls_terminale"]
    assert check["value"].tolist() == pytest.approx([2.1, 0.4])
    assert check["consistent"].tolist() == [True, True]
    later = specialties({(LYCEE_A, "2022-2023"): (2, 19, 500, 500)})
    missing = t.baseline_check(Data.from_frames({"specialites_terminale": later}))
    assert missing["value"].isna().all() and missing["consistent"].isna().all()


def test_masked_cells_are_left_out():
    spec = specialties({(LYCEE_A, "2021-2022"): (2, 8, 100, 100), (LYCEE_B, "2021-2022"): (1, 1, 50, 0)})
    spec.loc[(spec["uai"] == LYCEE_B) & (spec["specialty_code"] == "0747"), "girls"] = pd.NA
    data = Data.from_frames({"specialites_premiere": spec})
    frame = t.nsi_frame(data, "premiere")
    assert frame.attrs["masked"] == 1 and list(frame["uai"]) == [LYCEE_A]
    s = t.compute(data)
    assert row(s, "nsi_pupils_premiere", "region", "2021-2022")["value"] == 10
    # Coverage: the count and the girls' share are computed on one lycée of the two, and say so.
    for indicator in ("nsi_pupils_premiere", "nsi_girls_share_premiere"):
        r = row(s, indicator, "bordeaux", "2021-2022")
        assert r["coverage"] == 50.0
        assert r["coverage_note"] == ("valeur calculée sur 50 % des lycées du fichier : 1 lycée dont une case NSI "
                                      "ou total est masquée (secret statistique) dans le fichier")


def test_no_source_gives_no_series():
    s = t.compute(Data.from_frames({"projets_orientation": projects()}))
    assert set(s["indicator"]) == {"orientation_digital_projects"}
    assert t.compute(Data.from_frames({})).empty


# --------------------------------------------------------------------------- real open data


@pytest.mark.real_samples
def test_real_premiere_file_unchanged(real_samples, tmp_path):
    """The real DEPP extract in a data folder: the première NSI indicators and the gender
    gap are computed as on the demo; the base year 2020-2021 is absent."""
    folder = tmp_path / "data" / "specialites"
    folder.mkdir(parents=True)
    shutil.copy(real_samples / REAL_PREMIERE, folder / REAL_PREMIERE)
    data = Data(tmp_path / "data")
    assert not data.is_demo
    s = t.compute(data)
    assert set(s["indicator"]) == {"nsi_pupils_premiere", "nsi_girls_share_premiere"}
    assert sorted(s["period"].unique()) == ["2021-2022", "2022-2023", "2023-2024"]
    # read independently from the CSV: NSI girls and boys of the region's lycées
    raw = pd.read_csv(folder / REAL_PREMIERE, sep=";", dtype=str, encoding="utf-8-sig")
    girls_col = "0747 - NUMERIQUE ET SCIENCES INFORMATIQUES - filles"
    boys_col = "0747 - NUMERIQUE ET SCIENCES INFORMATIQUES - garçons"
    y2021 = raw[raw["RENTREE SCOLAIRE"] == "2021"]
    g, b = pd.to_numeric(y2021[girls_col]).sum(), pd.to_numeric(y2021[boys_col]).sum()
    assert row(s, "nsi_pupils_premiere", "region", "2021-2022")["value"] == g + b
    share = row(s, "nsi_girls_share_premiere", "region", "2021-2022")
    assert share["value"] == pytest.approx(g / (g + b) * 100)
    assert 5 < share["value"] < 40  # girls are a minority in NSI
    academies = s[(s["indicator"] == "nsi_pupils_premiere") & (s["period"] == "2021-2022")]
    by_scope = dict(zip(academies["academy"], academies["value"], strict=True))
    assert by_scope["bordeaux"] + by_scope["limoges"] + by_scope["poitiers"] == by_scope["region"]
    gap = t.gender_gap(data, "premiere", "region", by="department", period="2022-2023")
    assert len(gap) == 12 and (gap["boys_rate"] > gap["girls_rate"]).all()
    trend = t.girls_share_trend(data, "premiere", "region").iloc[0]
    assert trend["n_years"] == 3 and np.isfinite(trend["odds_ratio"])
    # no base year: the doubling objective cannot be set
    table = evaluate(s, periods=["2022-2023"], scopes=["region"])
    assert table.loc[table["indicator"] == "nsi_pupils_premiere", "status"].item() == "no_objective"
    assert t.progress_by_group(data, "nsi_pupils_premiere", "region", "2022-2023", "department").empty
    assert t.baseline_check(data)["value"].isna().all()


@pytest.mark.slow
@pytest.mark.real_samples
def test_real_premiere_file_report_blocks(real_samples, tmp_path):
    """Every report block of the notebook runs on a folder holding only the real file."""
    from drane_analysis.report import Report

    folder = tmp_path / "data" / "specialites"
    folder.mkdir(parents=True)
    shutil.copy(real_samples / REAL_PREMIERE, folder / REAL_PREMIERE)
    rpt = Report("2.4", "region", "2022-2023", str(tmp_path / "data"))
    assert "NSI" in v.key_messages(rpt)
    v.show_projects(rpt)
    v.show_nsi_levels(rpt)
    v.show_doubling(rpt)
    for level in t.LEVELS:
        for by in v.groupings(rpt):
            v.show_progress(rpt, level, by)
            v.show_gender_gap(rpt, level, by=by)
        v.gap_chart(rpt, level)
        v.show_gender_gap(rpt, level)
        v.show_group_trends(rpt, level, "academy")
    v.show_trends(rpt)
    v.show_baseline(rpt)
    rpt.trend(["nsi_pupils_premiere", "nsi_pupils_terminale"], "x")
    v.show_sources(rpt)
    notes = " ".join(v.coverage_notes(rpt))
    assert "Année de référence absente" in notes and "2021-2022 à 2023-2024" in notes


# --------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_effects_are_found(demo_dir):
    data = Data(demo_dir)
    base = t.baseline_check(data)
    assert base["consistent"].tolist() == [True, True]  # 2.1 % and 0.4 % met on the demo
    s = t.compute(data)
    projects_by_year = s[(s["indicator"] == "orientation_digital_projects") & (s["academy"] == "region")]
    assert projects_by_year["value"].tolist() == [38, 47, 54, 60, 66, 71]
    assert t.specialties_files(data) == ["fr-en-effectifs-specialites-triplettes-1ere-generale.csv",
                                         "fr-en-effectifs-specialites-doublettes-terminale-generale.csv"]
    table = evaluate(s, periods=["2023-2024"], scopes=["region"])
    pupils = table[table["indicator"] == "nsi_pupils_terminale"].iloc[0]
    # missed at the deadline (× 1.38), 38 % of the gap from 2020-2021 closed: « non atteint, en progrès »
    assert pupils["status"] == "progressing" and 1.3 < pupils["value"] / (pupils["objective"] / 2) < 1.5
    assert pupils["gap_closed"] == pytest.approx((pupils["value"] / (pupils["objective"] / 2) - 1) * 100)
    # the girls of terminale taking NSI (the roadmap's 0.4 %) carry the doubling: × 1.8, missed, in progress
    girls = table[table["indicator"] == "nsi_rate_girls_terminale"].iloc[0]
    assert girls["status"] == "progressing" and 1.7 < girls["value"] / girls["baseline"] < 1.9
    shares = table[table["indicator"].str.startswith("nsi_girls_share")]
    assert (shares["status"] == "secondary").all() and shares["objective"].isna().all()
    # the girls' share rises about one point a year, significantly, without doubling
    trend = t.girls_share_trend(data, "terminale", "region").iloc[0]
    assert trend["p_value"] < 0.05 and 0.5 < trend["points_per_year"] < 1.5
    chiche = t.programme_table(data, "region", "2020-2021")
    chiche = chiche[chiche["programme"] == "chiche"].iloc[0]
    assert chiche["actions"] == chiche["bordeaux"] == 11  # piloted in Bordeaux only
