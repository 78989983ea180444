"""Objectives in force and statuses, on hand-made histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis import indicators
from drane_analysis.indicators import evaluate, series_frame, status_of


def hist(**values: float) -> pd.Series:
    return pd.Series({k.replace("_", "-"): v for k, v in values.items()})


def test_reached_and_not_reached_at_the_deadline():
    h = hist(**{"2020_2021": 80.0})
    assert status_of(100.0, 100.0, "increase", h, "2020-2021", "2020-2021")[0] == "reached"
    assert status_of(80.0, 100.0, "increase", h, "2020-2021", "2020-2021")[0] == "not_reached"
    assert status_of(80.0, 50.0, "decrease", h, "2020-2021", "2020-2021")[0] == "not_reached"
    assert status_of(40.0, 50.0, "decrease", h, "2020-2021", "2020-2021")[0] == "reached"


def test_projection_decides_on_track_at_risk_off_track():
    # 10, 20, 30 a year: the line reaches 60 in 2025-2026 exactly.
    h = hist(**{"2020_2021": 10.0, "2021_2022": 20.0, "2022_2023": 30.0})
    status, proj, lo, hi = status_of(30.0, 60.0, "increase", h, "2022-2023", "2025-2026")
    assert status == "on_track" and proj == pytest.approx(60.0)
    assert status_of(30.0, 70.0, "increase", h, "2022-2023", "2025-2026")[0] == "off_track"  # exact line: no room
    noisy = hist(**{"2020_2021": 10.0, "2021_2022": 26.0, "2022_2023": 28.0})
    status, proj, lo, hi = status_of(28.0, 60.0, "increase", noisy, "2022-2023", "2025-2026")
    assert status == "at_risk" and proj < 60 < hi


def test_one_year_of_history_is_at_risk_and_missing_value_is_no_data():
    h = hist(**{"2020_2021": 10.0})
    assert status_of(10.0, 50.0, "increase", h, "2020-2021", "2022-2023")[0] == "at_risk"
    assert status_of(np.nan, 50.0, "increase", h, "2020-2021", "2022-2023")[0] == "no_data"
    assert status_of(10.0, None, "increase", h, "2020-2021", None)[0] == "no_objective"


def test_relative_objective_is_the_base_years_value_times_the_factor():
    rows = [{"target": "2.4", "indicator": "nsi_pupils_terminale", "academy": "region", "period": p, "value": v}
            for p, v in (("2020-2021", 1000), ("2021-2022", 1150), ("2022-2023", 1300), ("2023-2024", 1450))]
    table = evaluate(series_frame(rows), periods=["2022-2023", "2023-2024"])
    assert table["objective"].tolist() == [2000, 2000]
    assert table["status"].tolist() == ["off_track", "not_reached"]
    assert table["objective_label"].iloc[0] == "× 2 par rapport à 2020-2021 (échéance 2023-2024)"


def test_range_objective_is_met_from_its_lower_bound_and_not_capped():
    # « 7 à 10 actions modélisantes par an » (2.5): 7 is the objective, 10 the ambition. The
    # roadmap's ranges are volumes of activity, not caps: 12 model actions is « atteint ».
    rows = [{"target": "2.5", "indicator": "eac_model_actions", "academy": "region", "period": p, "value": v}
            for p, v in (("2020-2021", 6), ("2021-2022", 12))]
    table = evaluate(series_frame(rows), periods=["2020-2021", "2021-2022"])
    assert table["objective"].tolist() == [7, 7]
    assert table["status"].tolist() == ["not_reached", "reached"]
    assert table["objective_label"].iloc[0].startswith("7 à 10")


def test_increase_objective_compares_with_the_year_before():
    rows = [{"target": "3.4", "indicator": "ent_teachers_services_users", "academy": "region", "period": p,
             "value": v} for p, v in (("2020-2021", 100), ("2021-2022", 120), ("2022-2023", 110))]
    table = evaluate(series_frame(rows), periods=["2021-2022", "2022-2023"])
    assert table["status"].tolist() == ["reached", "not_reached"]
    assert table["objective"].tolist() == [100, 120]


def test_carried_forward_objective_is_labelled():
    rows = [{"target": "1.1", "indicator": "pix_orga_activation_rate", "academy": "limoges",
             "period": "2023-2024", "value": 95.0}]
    table = evaluate(series_frame(rows))
    assert table["objective_label"].iloc[0] == "100 % (objectif 2020-2021 reconduit)"
    assert table["objective_carried_forward"].iloc[0]
    assert list(table.columns) == indicators.TABLE_COLUMNS
