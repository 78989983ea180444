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
    # 10, 20, 30, 40 a year: the line reaches 70 in 2026-2027 exactly (a count: linear scale).
    h = hist(**{"2020_2021": 10.0, "2021_2022": 20.0, "2022_2023": 30.0, "2023_2024": 40.0})
    status, proj, lo, hi = status_of(40.0, 70.0, "increase", h, "2023-2024", "2026-2027")
    assert status == "on_track" and proj == pytest.approx(70.0)
    assert status_of(40.0, 80.0, "increase", h, "2023-2024", "2026-2027")[0] == "off_track"  # exact line: no room
    noisy = hist(**{"2020_2021": 10.0, "2021_2022": 26.0, "2022_2023": 28.0, "2023_2024": 40.0})
    status, proj, lo, hi = status_of(40.0, 75.0, "increase", noisy, "2023-2024", "2026-2027")
    assert status == "at_risk" and proj < 75 < hi


def test_fewer_than_four_years_give_an_indicative_projection_without_interval():
    # 3 points: the line is drawn (« indicatif ») but has no prediction interval, so it can
    # say « en bonne voie » or « à risque », never « hors trajectoire ».
    h = hist(**{"2020_2021": 10.0, "2021_2022": 20.0, "2022_2023": 30.0})
    status, proj, lo, hi = status_of(30.0, 60.0, "increase", h, "2022-2023", "2025-2026")
    assert status == "on_track" and proj == pytest.approx(60.0) and np.isnan(lo) and np.isnan(hi)
    status, proj, lo, hi = status_of(30.0, 70.0, "increase", h, "2022-2023", "2025-2026")
    assert status == "at_risk" and np.isnan(lo) and np.isnan(hi)
    rows = [{"target": "2.4", "indicator": "nsi_pupils_terminale", "academy": "region", "period": p, "value": v}
            for p, v in (("2020-2021", 1000), ("2021-2022", 1150), ("2022-2023", 1300))]
    row = evaluate(series_frame(rows), periods=["2022-2023"]).iloc[0]
    assert row["projection"] == pytest.approx(1450) and row["projection_indicative"]  # deadline 2023-2024
    assert np.isnan(row["projection_low"]) and row["status"] == "at_risk"  # 1 450 < 2 000, no interval
    rows.append({**rows[-1], "period": "2023-2024", "value": 1450})
    later = evaluate(series_frame(rows), periods=["2022-2023"]).iloc[0]  # the 2022-2023 row sees 3 years only
    assert later["projection_indicative"]


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
    # 2022-2023: three years, an indicative projection (1 450 in 2023-2024) short of 2 000 and
    # no interval: « à risque ». 2023-2024: missed, 45 % of the gap from 1 000 closed: « en progrès ».
    assert table["status"].tolist() == ["at_risk", "progressing"]
    assert table["gap_closed"].tolist() == pytest.approx([30.0, 45.0])
    assert table["baseline"].tolist() == [1000, 1000]
    assert table["objective_label"].iloc[0] == "× 2 par rapport à 2020-2021 (échéance 2023-2024)"


def test_after_the_deadline_53_and_79_percent_no_longer_get_the_same_word():
    # Pix Orga activation, 100 % due in 2020-2021, carried forward; both academies start at 40 %.
    def rows(scope: str, now: float, ci: tuple[float, float]) -> list[dict]:
        return [{"target": "1.1", "indicator": "pix_orga_activation_rate", "academy": scope, "period": "2020-2021",
                 "value": 40.0, "ci_low": 36.0, "ci_high": 44.0},
                {"target": "1.1", "indicator": "pix_orga_activation_rate", "academy": scope, "period": "2023-2024",
                 "value": now, "ci_low": ci[0], "ci_high": ci[1]}]

    series = series_frame(rows("bordeaux", 53.0, (50.0, 56.0)) + rows("poitiers", 79.0, (76.0, 82.0))
                          + rows("limoges", 79.0, (35.0, 95.0)))
    table = evaluate(series, periods=["2023-2024"]).set_index("academy")
    assert table.loc["bordeaux", "gap_closed"] == pytest.approx(13 / 60 * 100)   # 21,7 %: below 25 %
    assert table.loc["poitiers", "gap_closed"] == pytest.approx(39 / 60 * 100)   # 65 %
    assert table.loc["bordeaux", "status"] == "not_reached" and table.loc["bordeaux", "status_label"] == "Non atteint"
    assert table.loc["poitiers", "status"] == "progressing"
    assert table.loc["poitiers", "status_label"] == "Non atteint, en progrès"
    # The same 79 % with an interval that still holds the baseline (a handful of units): not established.
    assert table.loc["limoges", "status"] == "not_reached"
    assert (table["baseline"] == 40).all() and table["reading"].eq("").all()


def test_gap_closed_is_clipped_and_undefined_without_a_gap():
    assert indicators.gap_closed(79.0, 40.0, 100.0) == pytest.approx(65.0)
    assert indicators.gap_closed(120.0, 40.0, 100.0) == 100.0           # beyond the objective
    assert indicators.gap_closed(0.0, 80.0, 100.0) == -100.0            # far further than at the start
    assert indicators.gap_closed(30.0, 50.0, 20.0, "decrease") == pytest.approx(2 / 3 * 100)
    assert np.isnan(indicators.gap_closed(90.0, 100.0, 100.0))          # met at the baseline: no gap
    assert np.isnan(indicators.gap_closed(90.0, np.nan, 100.0))         # no baseline year in the data
    assert not indicators.is_progressing(24.9, 40.0, np.nan, np.nan, "increase", 25)
    assert indicators.is_progressing(25.0, 40.0, np.nan, np.nan, "increase", 25)  # a count: no interval
    assert not indicators.is_progressing(50.0, 40.0, 39.0, 70.0, "increase", 25)


def test_a_rate_projection_stays_between_0_and_100_percent():
    # 60 → 99 % in four years: a straight line would pass 100 % by 2026-2027; the logit does not.
    h = hist(**{"2020_2021": 60.0, "2021_2022": 80.0, "2022_2023": 95.0, "2023_2024": 99.0})
    status, proj, lo, hi = status_of(99.0, 100.0, "increase", h, "2023-2024", "2026-2027", scale="logit",
                                     lower=0.0, upper=100.0, decimals=1)
    assert 99.0 < proj <= 100.0 and 0.0 <= lo <= proj <= hi <= 100.0
    assert status == "on_track"  # the projection rounds to 100,0 % as it is shown
    falling = hist(**{"2020_2021": 40.0, "2021_2022": 20.0, "2022_2023": 8.0, "2023_2024": 2.0})
    _, proj, lo, hi = status_of(2.0, 50.0, "increase", falling, "2023-2024", "2027-2028", scale="logit",
                                lower=0.0, upper=100.0)
    assert 0.0 <= lo <= proj < 2.0 and hi <= 100.0
    # Through evaluate, a share (unit percent) is projected on the logit scale.
    from drane_analysis.stats import fit_projection

    rows = [{"target": "3.4", "indicator": "ent_ecole_activation_rate", "academy": "region", "period": p, "value": v}
            for p, v in (("2018-2019", 10.0), ("2019-2020", 20.0), ("2020-2021", 40.0))]
    row = evaluate(series_frame(rows), periods=["2020-2021"]).iloc[0]  # 50 % due in 2021-2022
    logit = fit_projection([2018, 2019, 2020], [10.0, 20.0, 40.0], scale="logit").predict(2021)[0]
    assert row["projection"] == pytest.approx(logit) and 40.0 < row["projection"] < 100.0
    assert row["projection_indicative"] and row["status"] == "on_track"


def test_a_count_projection_never_exceeds_its_cap():
    # Bordeaux has 5 departments: 0 then 4 in a year would project 8 in 2022-2023; capped at 5.
    rows = [{"target": "3.4", "indicator": "ent_college_departments_shared", "academy": "bordeaux", "period": p,
             "value": v} for p, v in (("2020-2021", 0.0), ("2021-2022", 4.0))]
    row = evaluate(series_frame(rows), periods=["2021-2022"]).iloc[0]
    assert row["projection"] == 5 and row["status"] == "on_track" and row["projection_indicative"]
    # With an interval (four years), its bounds are capped too; never below 0 either.
    h = hist(**{"2017_2018": 0.0, "2018_2019": 1.0, "2019_2020": 3.0, "2020_2021": 4.0})
    status, proj, lo, hi = status_of(4.0, 5.0, "increase", h, "2020-2021", "2022-2023", lower=0.0, upper=5.0)
    assert proj == 5.0 and hi == 5.0 and 0.0 <= lo < 5.0 and status == "on_track"


def test_secondary_indicators_have_no_status_and_readings_are_printed():
    rows = [{"target": "3.1", "indicator": i, "academy": "region", "period": "2021-2022", "value": v}
            for i, v in (("steering_committees", 1.0), ("authorities_min_committees_rate", 50.0))]
    table = evaluate(series_frame(rows)).set_index("indicator")
    assert table.loc["steering_committees", "status"] == "not_reached"
    assert "au moins 2 comités" in table.loc["steering_committees", "reading"]
    assert table.loc["authorities_min_committees_rate", "status"] == "secondary"
    assert np.isnan(table.loc["authorities_min_committees_rate", "objective"])
    assert table.loc["authorities_min_committees_rate", "reading"].startswith("lecture plus stricte")
    range_row = evaluate(series_frame([{"target": "2.5", "indicator": "eac_model_actions", "academy": "region",
                                        "period": "2021-2022", "value": 8}])).iloc[0]
    assert range_row["reading"].startswith("fourchette « 7 à 10 » lue par sa borne basse")


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


# --------------------------------------------------------------------------- targets in parallel


class _Target:
    """A stand-in target module: ``compute`` reads the sources named, then returns or raises."""

    def __init__(self, name: str, reads: tuple[str, ...] = (), error: Exception | None = None):
        self.name, self.reads, self.error = name, reads, error

    def compute(self, data) -> pd.DataFrame:
        from drane_analysis.data import record_source

        for source in self.reads:
            record_source(source)
        if self.error is not None:
            raise self.error
        return pd.DataFrame({"target": [self.name], "pid": [__import__("os").getpid()]})


class _Unpicklable(Exception):
    """Holds what pickle cannot write (a lock), however exceptions are pickled (distributed
    installs tblib's pickling of exceptions in any process that imports it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.lock = __import__("threading").Lock()


def test_targets_in_forked_processes_come_back_in_order_with_the_sources_they_read():
    from drane_analysis.data import track_sources

    work = [(_Target(f"t{k}", reads=(f"source_{k}",)), None) for k in range(5)]
    with track_sources() as names:
        frames = indicators.compute_series(work, jobs=2)
    assert [f["target"].iloc[0] for f in frames] == ["t0", "t1", "t2", "t3", "t4"]
    assert {f["pid"].iloc[0] for f in frames}.isdisjoint({__import__("os").getpid()})  # computed elsewhere
    assert names == {f"source_{k}" for k in range(5)}
    assert indicators._FORKED_WORK == []


def test_an_error_in_a_forked_process_is_raised_as_it_would_be_in_one_process():
    from drane_analysis.sources import DataError, Problem

    problem = Problem(file="pix/certification/x.csv", expected="un score entier", column="Score", lines=[3])
    bad = DataError([problem], context="Source « Pix » invalide")
    work = [(_Target("ok"), None), (_Target("bad", error=bad), None)]
    with pytest.raises(DataError) as caught:
        indicators.compute_series(work, jobs=2)
    assert str(caught.value) == str(bad) and caught.value.problems == [problem]
    assert "x.csv" in str(caught.value) and "Score" in str(caught.value)
    # An exception pickle cannot rebuild still reaches the caller (it would otherwise wait forever).
    work = [(_Target("ok"), None), (_Target("odd", error=_Unpicklable("calcul impossible")), None)]
    with pytest.raises(RuntimeError, match="_Unpicklable: calcul impossible"):
        indicators.compute_series(work, jobs=2)


def test_a_forked_process_that_dies_is_an_error_not_a_wait():
    class Dies(_Target):
        def compute(self, data):
            __import__("os")._exit(3)

    with pytest.raises(RuntimeError, match="arrêté brutalement"):
        indicators.compute_series([(_Target("ok"), None), (Dies("x"), None)], jobs=2)
    assert indicators._FORKED_WORK == []
