"""Target 3.1 — steering committees with the local authorities, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.targets import t3_1_partenariat as t31


def _authorities() -> pd.DataFrame:
    return pd.DataFrame({
        "authority_id": ["RNA", "CD86", "GPO", "CD19", "CD87"],
        "name": ["Région Nouvelle-Aquitaine", "Département de la Vienne", "Grand Poitiers",
                 "Département de la Corrèze", "Département de la Haute-Vienne"],
        "authority_type": ["region", "department", "communaute_urbaine", "department", "department"],
        "department": pd.array([None, "86", "86", "19", "87"], dtype="string"),
        # CD19's partnership ends during 2020-2021; CD87's starts in 2021-2022.
        "partner_since": pd.to_datetime(["2017-06-12", "2018-03-19", "2019-05-13", "2018-05-22", "2021-10-01"]),
        "partner_until": pd.to_datetime([None, None, None, "2021-03-31", None]),
        "academy": pd.array([None, "poitiers", "poitiers", "limoges", "limoges"], dtype="string"),
    })


def _committees() -> pd.DataFrame:
    rows = [
        # 2020-2021: RNA 2, CD86 1 (+1 technical), GPO 0, CD19 2
        ("2020-10-05", "RNA", "pilotage"), ("2021-03-01", "RNA", "pilotage"),
        ("2020-11-10", "CD86", "pilotage"), ("2021-01-12", "CD86", "technique"),
        ("2020-10-20", "CD19", "pilotage"), ("2021-02-02", "CD19", "pilotage"),
        # 2021-2022: RNA 3, CD86 2, GPO 2, CD87 1, an unknown code
        ("2021-10-04", "RNA", "pilotage"), ("2022-01-10", "RNA", "pilotage"), ("2022-05-02", "RNA", "pilotage"),
        ("2021-11-15", "CD86", "pilotage"), ("2022-04-04", "CD86", "pilotage"),
        ("2021-10-11", "GPO", "pilotage"), ("2022-03-07", "GPO", "pilotage"),
        ("2022-02-14", "CD87", "pilotage"),
        ("2022-02-15", "XYZ", "pilotage"),
    ]
    frame = pd.DataFrame(rows, columns=["date", "authority_id", "committee_type"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["period"] = ["2020-2021"] * 6 + ["2021-2022"] * 9
    frame["academy"] = pd.array([None] * len(frame), dtype="string")
    return frame


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"collectivites": _authorities(), "comites": _committees()})


def _value(series: pd.DataFrame, indicator: str, scope: str, period: str) -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1
    return row.iloc[0]


def test_partners_of_each_year(data):
    years = t31.authority_years(data)
    first = set(years.loc[years["period"] == "2020-2021", "authority_id"])
    second = set(years.loc[years["period"] == "2021-2022", "authority_id"])
    assert first == {"RNA", "CD86", "GPO", "CD19"}          # CD87 not yet a partner
    assert second == {"RNA", "CD86", "GPO", "CD87"}         # CD19's partnership ended
    row = years[(years["period"] == "2020-2021") & (years["authority_id"] == "CD86")].iloc[0]
    assert (row["steering"], row["technical"], row["meets_minimum"], row["shortfall"]) == (1, 1, 0, 1)


def test_compute_region(data):
    series = t31.compute(data)
    count = _value(series, "steering_committees", "region", "2020-2021")
    assert count["value"] == 5 and count["denominator"] == 4      # technical committee not counted
    rate = _value(series, "authorities_min_committees_rate", "region", "2020-2021")
    # RNA and CD19 reach 2; CD86 has 1 and GPO none (an authority without committee falls short).
    assert (rate["numerator"], rate["denominator"]) == (2, 4)
    assert rate["value"] == pytest.approx(50.0)
    assert rate["ci_low"] < 50 < rate["ci_high"]
    rate = _value(series, "authorities_min_committees_rate", "region", "2021-2022")
    assert (rate["numerator"], rate["denominator"]) == (3, 4)     # the unknown code counts for nobody
    assert _value(series, "steering_committees", "region", "2021-2022")["value"] == 8


def test_the_count_of_committees_carries_the_objective_and_the_share_is_secondary(data):
    # The roadmap: « Nombre de comités de pilotage avec les collectivités — minimum 2 réunions / an ».
    table = evaluate(t31.compute(data), periods=["2020-2021"]).set_index(["indicator", "academy"])
    count = table.loc[("steering_committees", "region")]
    assert count["objective"] == 2 and count["status"] == "reached"          # 5 committees
    assert count["reading"].startswith("« minimum 2 réunions / an » lu comme au moins 2 comités")
    assert table.loc[("steering_committees", "limoges"), "status"] == "reached"  # CD19 met twice
    assert table.loc[("steering_committees", "poitiers"), "status"] == "not_reached"  # CD86 once, GPO never
    rate = table.loc[("authorities_min_committees_rate", "region")]
    assert rate["status"] == "secondary" and np.isnan(rate["objective"])  # 50 %: no « non atteint » any more
    assert "chaque collectivité" in rate["reading"]


def test_compute_academies_leave_the_region_out(data):
    series = t31.compute(data)
    rate = _value(series, "authorities_min_committees_rate", "poitiers", "2021-2022")
    assert (rate["numerator"], rate["denominator"]) == (2, 2)     # CD86 and GPO, not the Région
    rate = _value(series, "authorities_min_committees_rate", "limoges", "2021-2022")
    assert (rate["numerator"], rate["denominator"]) == (0, 1)     # CD87 met once
    assert series[series["academy"] == "bordeaux"].empty            # no partner authority there


def test_short_authorities_named(data):
    short = t31.short_authorities(data, "region", "2020-2021")
    assert list(short["name"]) == ["Grand Poitiers", "Département de la Vienne"]     # fewest first
    assert list(short["steering"]) == [0, 1] and list(short["shortfall"]) == [2, 1]
    assert short["previous_steering"].isna().all()        # no earlier year covered
    short = t31.short_authorities(data, "region", "2021-2022")
    assert list(short["authority_id"]) == ["CD87"]
    assert pd.isna(short.loc[0, "short_last_year"])       # not a partner the year before
    assert t31.short_authorities(data, "poitiers", "2021-2022").empty


def test_breakdown_by_department_keeps_the_region_apart(data):
    table = t31.breakdown(data, "steering_committees", "region", "2020-2021", "department")
    assert list(table["group"]) == ["19", "86", "region"]
    by = table.set_index("group")
    assert by.loc["86", "value"] == 1 and by.loc["86", "denominator"] == 2 and by.loc["86", "expected"] == 4
    assert by.loc["region", "label"] == t31.REGION_GROUP_LABEL
    rate = t31.breakdown(data, "authorities_min_committees_rate", "region", "2020-2021", "authority_type")
    assert rate.set_index("group").loc["department", "value"] == pytest.approx(50.0)


def test_matrix_and_unmatched(data):
    matrix = t31.committees_matrix(data, "region", "2021-2022")
    assert list(matrix.columns) == ["2020-2021", "2021-2022"]
    assert np.isnan(matrix.loc["Département de la Corrèze", "2021-2022"])    # no longer a partner
    assert matrix.loc["Grand Poitiers", "2020-2021"] == 0
    unmatched = t31.unmatched_committees(data)
    assert list(unmatched["authority_id"]) == ["XYZ"]
    assert unmatched.loc[0, "reason"] == "code absent du fichier des collectivités"
    assert t31.unmatched_by_reason(data, "2021-2022").to_dict() == {"code absent du fichier des collectivités": 1}
    assert t31.unmatched_by_reason(data, "2020-2021").empty


def test_committees_by_year_and_authorities_of_a_year(data):
    years = t31.committees_by_year(data, "region", "2021-2022")
    assert list(years.index) == ["2020-2021", "2021-2022"]
    assert list(years["held"]) == [5, 8] and list(years["authorities"]) == [4, 4]
    assert list(years["short"]) == [2, 1] and list(years["expected"]) == [8, 8]   # CD87 met once in 2021-2022
    assert list(t31.committees_by_year(data, "region", "2020-2021").index) == ["2020-2021"]
    assert t31.committees_by_year(data, "bordeaux", "2021-2022").empty
    year = t31.authorities_of_year(data, "region", "2020-2021")
    assert list(year["authority_id"]) == ["GPO", "CD86", "CD19", "RNA"]   # fewest committees first, then by name


def test_one_year_without_any_steering_committee():
    committees = _committees().iloc[[3]]        # a single technical committee in 2020-2021
    data = Data.from_frames({"collectivites": _authorities(), "comites": committees})
    series = t31.compute(data)
    rate = _value(series, "authorities_min_committees_rate", "region", "2020-2021")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (0, 4, 0.0)
    assert _value(series, "steering_committees", "region", "2020-2021")["value"] == 0
    assert set(series["period"]) == {"2020-2021"}


@pytest.mark.slow
def test_demo_authorities_falling_short(demo_dir):
    """The demo injects exactly 4, 2, 2, 1, 1, 0 authorities (of 18) below 2 steering committees."""
    data = Data(demo_dir)
    series = t31.compute(data)
    rates = series[(series["indicator"] == "authorities_min_committees_rate") & (series["academy"] == "region")]
    short = (rates["denominator"] - rates["numerator"]).astype(int).tolist()
    assert rates["denominator"].eq(18).all()
    assert short == [4, 2, 2, 1, 1, 0]
    assert len(t31.short_authorities(data, "region", "2020-2021")) == 4
