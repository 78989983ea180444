"""Target 2.2 (incubating territories: training establishments, SAMR) on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.stats import wilson_interval
from drane_analysis.targets import t2_2_territoires_incubateurs as t

COL_16, LYC_86, LP_17, COL_33 = "0160001J", "0860002W", "0170003C", "0330001B"


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": [COL_16, LYC_86, LP_17, COL_33], "name": ["Collège A", "Lycée B", "LP C", "Collège D"],
        "kind": ["college", "lycee", "lycee", "college"], "sector": ["public"] * 4,
        "commune_code": ["16001", "86001", "17001", "33001"], "department": ["16", "86", "17", "33"],
        "academy": ["poitiers", "poitiers", "poitiers", "bordeaux"], "priority_education": ["none"] * 4,
        "nature_code": ["340", "300", "320", "340"],
    })


def incubators() -> pd.DataFrame:
    yes, no = True, False
    rows = [  # period, uai, staff, certified, trainers, project, cardie, practice
        ("2020-2021", COL_16, 50, 20, 1, yes, yes, yes),   # 40 % certified: every criterion met
        ("2020-2021", LYC_86, 100, 25, 2, yes, yes, yes),  # 25 %: misses the staff criterion
        ("2020-2021", LP_17, 40, 16, 0, yes, no, yes),     # 40 %, no trainer, no CARDIE
        ("2020-2021", COL_33, 30, 9, 3, yes, yes, yes),    # 30 %: exactly the threshold
        ("2021-2022", COL_16, 50, 30, 2, yes, yes, yes),
    ]
    frame = pd.DataFrame(rows, columns=["period", "uai", "staff", "staff_certified", "trainer_teachers",
                                        "has_structured_project", "has_cardie_experiment", "has_varied_practice"])
    frame["department"] = frame["uai"].str[1:3]
    frame["academy"] = frame["department"].map({"16": "poitiers", "86": "poitiers", "17": "poitiers",
                                                "33": "bordeaux"})
    for col in ("has_structured_project", "has_cardie_experiment", "has_varied_practice"):
        frame[col] = frame[col].astype("boolean")
    return frame


def samr() -> pd.DataFrame:
    levels = ["S", "S", "A", "M", "R"] + ["S", "A", "A", "M"] + ["R"]
    uais = [COL_16] * 5 + [LYC_86] * 4 + [COL_33]
    periods = ["2020-2021"] * 9 + ["2021-2022"]
    frame = pd.DataFrame({"response_id": [f"R{k}" for k in range(10)], "uai": uais, "samr_level": levels,
                          "period": periods, "level": ["6e", "6e", "5e", "5e", None, "2nde", "2nde", "tle", "tle",
                                                       "3e"]})
    frame["department"] = frame["uai"].str[1:3]
    frame["academy"] = np.where(frame["department"] == "33", "bordeaux", "poitiers")
    return frame


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"annuaire": annuaire(), "incubateurs": incubators(), "pratiques_samr": samr()})


def value(series: pd.DataFrame, indicator: str, scope: str, period: str = "2020-2021") -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_criteria_come_from_the_yaml():
    crit = {c.id: c for c in t.load_criteria()}
    assert set(crit) == {"staff_skills", "trainers", "structured_project", "cardie", "varied_practice"}
    assert crit["staff_skills"].min == 30 and crit["staff_skills"].column == "staff_certified_share"
    assert crit["trainers"].min == 1 and crit["cardie"].equals is True
    assert t.load_sensitivity()["staff_certified_share"] == [20, 25, 30, 35, 40]


def test_criterion_missing_value_is_not_met():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0], "b": pd.array([True, pd.NA, False], dtype="boolean")})
    assert t.Criterion("x", "x", "x", "x", min=2).met(frame).tolist() == [False, False, True]
    assert t.Criterion("b", "b", "b", "b", equals=True).met(frame).tolist() == [True, False, False]


def test_training_establishments_meet_every_criterion(data):
    s = t.compute(data)
    # COL_16 (40 %, 1 trainer) and COL_33 (30 % exactly, 3 trainers) meet all five criteria.
    row = value(s, "training_establishments", "region")
    assert (row["value"], row["denominator"]) == (2, 4)
    assert value(s, "training_establishments", "poitiers")["value"] == 1
    assert value(s, "training_establishments", "limoges")["value"] == 0  # covered year, no candidate
    assert value(s, "training_establishments", "poitiers", "2021-2022")["value"] == 1


def test_staff_share_is_pooled_with_establishments_as_clusters(data):
    s = t.compute(data)
    row = value(s, "staff_digital_skills_share", "poitiers")
    # (20 + 25 + 16) / (50 + 100 + 40) = 61 / 190
    assert (row["numerator"], row["denominator"]) == (61, 190)
    assert row["value"] == pytest.approx(61 / 190 * 100)
    # Three candidates: the staff of one establishment are not independent trials; ratio
    # estimator, z = (certified − R staff) / 190, Student with 2 degrees of freedom.
    r = 61 / 190
    z = (np.array([20, 25, 16]) - r * np.array([50, 100, 40])) / 190
    half = 4.302653 * np.sqrt(3 / 2 * np.sum(z ** 2)) * 100
    assert row["ci_low"] == pytest.approx(r * 100 - half, rel=1e-6)
    assert row["ci_high"] == pytest.approx(r * 100 + half, rel=1e-6)
    lo, hi = wilson_interval(61, 190)                    # the old interval, narrower
    assert (hi - lo) * 100 < row["ci_high"] - row["ci_low"]
    empty = value(s, "staff_digital_skills_share", "limoges")
    assert np.isnan(empty["value"]) and empty["denominator"] == 0


def test_no_objective_gives_no_objective_status(data):
    table = evaluate(t.compute(data), periods=["2020-2021"], scopes=["region", "limoges"])
    assert set(table.loc[table["academy"] == "region", "status"]) == {"no_objective"}
    assert set(table.loc[table["academy"] == "limoges", "status"]) == {"no_objective", "no_data"}


def test_criteria_table_and_distribution(data):
    table = t.criteria_table(data, "region", "2020-2021").set_index("id")
    assert table.loc["staff_skills", "numerator"] == 3  # 40 %, 40 %, 30 %
    assert table.loc["trainers", "numerator"] == 3
    assert table.loc["cardie", "numerator"] == 3
    assert table.loc["all", "numerator"] == 2 and table.loc["all", "value"] == 50
    lo, hi = wilson_interval(2, 4)
    assert table.loc["all", "ci_low"] == pytest.approx(float(lo) * 100)
    dist = t.criteria_count_distribution(data, "region", "2020-2021").set_index("criteria_met")["count"]
    assert dist.to_dict() == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 2}


def test_sensitivity_to_thresholds(data):
    table = t.sensitivity_table(data, "region", "2020-2021",
                                thresholds={"staff_certified_share": [25, 35], "trainer_teachers": [1, 3]})
    # ≥ 25 %: LYC_86 joins (2 trainers); ≥ 35 %: COL_33 leaves. ≥ 3 trainers: only COL_33.
    assert table.loc[25.0, 1.0] == 3 and table.loc[35.0, 1.0] == 1
    assert table.loc[25.0, 3.0] == 1 and table.loc[35.0, 3.0] == 0


def test_breakdown_by_kind_and_list(data):
    kind = t.breakdown(data, "training_establishments", "region", "2020-2021", "kind").set_index("group")
    assert kind.loc["college", "value"] == 2 and kind.loc["college", "share"] == 100
    assert kind.loc["LEGT", "value"] == 0 and kind.loc["LP", "denominator"] == 1
    listing = t.training_establishment_list(data, "region", "2020-2021")
    assert listing["uai"].tolist() == [COL_16, COL_33]  # Charente before Gironde
    assert listing["name"].tolist() == ["Collège A", "Collège D"]


def test_samr_share_profile_and_levels(data):
    s = t.compute(data)
    row = value(s, "samr_transformative_share", "region")
    assert (row["numerator"], row["denominator"]) == (3, 9)  # M, R, M among 9 practices
    prof = t.samr_profile(data, "region", "2020-2021")
    assert prof["level"].tolist() == ["S", "A", "M", "R"]
    assert prof["numerator"].tolist() == [3, 3, 2, 1]
    assert prof["value"].sum() == pytest.approx(100)
    levels = t.samr_breakdown(data, "region", "2020-2021", "level")
    assert levels["group"].tolist()[:2] == ["6e", "5e"]  # class order, not alphabetical
    assert levels.set_index("group").loc["5e", "value"] == 50
    empty = t.samr_profile(data, "limoges", "2020-2021")
    assert empty["level"].tolist() == ["S", "A", "M", "R"] and empty["value"].isna().all()


def test_samr_share_takes_establishments_as_clusters(data):
    s = t.compute(data)
    row = value(s, "samr_transformative_share", "region")
    # COL_16: 2 of 5 practices M or R, LYC_86: 1 of 4 (COL_33's is in 2021-2022): two clusters.
    r = 3 / 9
    z = (np.array([2, 1]) - r * np.array([5, 4])) / 9
    half = 12.706205 * np.sqrt(2 * np.sum(z ** 2)) * 100
    assert row["ci_low"] == pytest.approx(max(r * 100 - half, 0), abs=1e-9) and row["ci_high"] == 100
    assert r * 100 + half > 100                          # bounded at 100 %
    prof = t.samr_profile(data, "region", "2020-2021").set_index("level")
    assert prof.loc["M", "value"] == pytest.approx(2 / 9 * 100) and prof.loc["M", "ci_low"] == 0
    # Class levels share establishments: their gap is paired on them.
    levels = t.samr_breakdown(data, "region", "2020-2021", "level")
    assert (levels["ci_method"] == "cluster").all()
    # The clusters the method section counts: establishments with practices that year.
    assert t.practice_establishments(data, "region", "2020-2021") == 2
    assert t.practice_establishments(data, "bordeaux", "2021-2022") == 1
    assert t.practice_establishments(data, "limoges", "2020-2021") == 0


@pytest.mark.slow
def test_demo_samr_and_training_establishments_grow(demo_dir):
    data = Data(demo_dir)
    s = t.compute(data)
    region = s[s["academy"] == "region"].set_index(["indicator", "period"])["value"]
    samr = region["samr_transformative_share"]
    # Injected: exactly 20 % of the practices are M or R in 2020-2021, 38 % in 2025-2026.
    assert samr.iloc[0] == pytest.approx(20, abs=0.5) and samr.iloc[-1] == pytest.approx(38, abs=0.5)
    assert region["training_establishments"].iloc[-1] == 15
    assert region["training_establishments"].is_monotonic_increasing
    first = t.candidates_by_academy(data, "2020-2021").set_index("academy")
    assert first.loc["poitiers", "share"] > 60  # the pole
