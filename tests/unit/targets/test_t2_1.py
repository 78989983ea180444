"""Target 2.1 (inclusion, telepresence robots, research strand) on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.targets import t2_1_inclusion as t

SCHOOL_33, SCHOOL_87, COLLEGE_33 = "0331503E", "0870001T", "0330001B"
NaT = pd.NaT


def ts(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else NaT


def formations() -> pd.DataFrame:
    rows = [  # period, academy, department, module, session, domain, public, trainees, days, e-training
        ("2020-2021", "bordeaux", "33", "M1", "1", "digital_inclusive", "first_degree", 10, 1.0, False),
        ("2020-2021", "bordeaux", "24", "M1", "2", "digital_inclusive", "second_degree", 8, 0.5, True),
        ("2020-2021", "bordeaux", None, "M2", "1", "digital_inclusive", "second_degree", 6, 2.0, True),
        ("2020-2021", "limoges", "87", "M3", "1", "digital_general", "first_degree", 20, 1.0, False),
        ("2021-2022", "poitiers", "86", "M4", "1", "digital_inclusive", "inter_degree", 5, 3.0, False),
    ]
    frame = pd.DataFrame(rows, columns=["period", "academy", "department", "module_id", "session_id", "domain",
                                        "public", "trainees", "duration_days", "is_e_training"])
    frame["trainee_days"] = frame["trainees"] * frame["duration_days"]
    return frame


def robots() -> pd.DataFrame:
    return pd.DataFrame({
        "robot_id": ["R1", "R2", "R3"],
        "degree": ["first", "first", "second"],
        "department": ["33", "87", "33"],
        "academy": ["bordeaux", "limoges", "bordeaux"],
        "purchase_date": [ts("2020-08-01"), ts("2020-08-01"), ts("2020-10-01")],
        "status": ["active", "repair", "active"],
        "retirement_date": [NaT, NaT, NaT],
    })


def assignments() -> pd.DataFrame:
    return pd.DataFrame({
        "robot_id": ["R1", "R1", "R3", "GHOST"],
        "uai": [SCHOOL_33, SCHOOL_33, COLLEGE_33, SCHOOL_33],
        "department": ["33", "33", "33", "33"],
        "academy": ["bordeaux"] * 4,
        "start": [ts("2020-09-01"), ts("2021-03-01"), ts("2020-10-01"), ts("2020-11-01")],
        "end": [ts("2020-09-30"), ts("2021-03-31"), NaT, ts("2020-11-02")],
        "pupil_id": ["ELV-1", "ELV-2", "ELV-3", "ELV-4"],
        "reason": ["long_illness", "accident", "long_illness", "other"],
    })


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": [SCHOOL_33, SCHOOL_87, COLLEGE_33], "name": ["École A", "École B", "Collège C"],
        "kind": ["ecole", "ecole", "college"], "sector": ["public"] * 3,
        "commune_code": ["33001", "87001", "33001"], "department": ["33", "87", "33"],
        "academy": ["bordeaux", "limoges", "bordeaux"], "priority_education": ["none"] * 3,
    })


def teachers() -> pd.DataFrame:
    return pd.DataFrame({
        "registration_id": ["I1", "I2", "I3", "I4"],
        "uai": [SCHOOL_33, COLLEGE_33, SCHOOL_33, SCHOOL_33],
        "department": ["33"] * 4, "academy": ["bordeaux"] * 4,
        "degree": ["first", "second", "first", "first"],
        "laboratory": ["inria"] * 4,
        "session_date": [ts("2020-10-01"), ts("2020-11-01"), ts("2020-12-01"), ts("2021-10-01")],
        "period": ["2020-2021", "2020-2021", "2020-2021", "2021-2022"],
        "hours": [6.0, 9.0, 3.0, 6.0],
        "completed": pd.array([True, True, False, True], dtype="boolean"),
    })


def pupils() -> pd.DataFrame:
    return pd.DataFrame({
        "pupil_id": ["P1", "P2", "P3"], "laboratory": ["inria", "cerca", "inria"],
        "uai": [SCHOOL_33, "0860001H", SCHOOL_33], "department": ["33", "86", "33"],
        "academy": ["bordeaux", "poitiers", "bordeaux"],
        "entry_date": [ts("2020-09-15"), ts("2020-10-01"), ts("2021-09-20")],
        "period": ["2020-2021", "2020-2021", "2021-2022"],
        "exit_date": [ts("2021-06-30"), NaT, NaT],
    })


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"formations": formations(), "robots": robots(), "robots_affectations": assignments(),
                             "annuaire": annuaire(), "inclusion_recherche_enseignants": teachers(),
                             "inclusion_recherche": pupils()})


def value(series: pd.DataFrame, indicator: str, scope: str, period: str = "2020-2021") -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1, row
    return row.iloc[0]


# --------------------------------------------------------------------------- training


def test_inclusive_trainee_days_sum_the_domain_only(data):
    s = t.compute(data)
    # Bordeaux: 10 × 1 + 8 × 0.5 + 6 × 2 = 26; the general session of Limoges is not counted.
    assert value(s, "inclusive_training_days", "bordeaux")["value"] == 26
    assert value(s, "inclusive_training_days", "region")["value"] == 26
    # A school year the extraction covers with nothing in an academy is a true zero.
    assert value(s, "inclusive_training_days", "limoges")["value"] == 0
    assert value(s, "inclusive_training_days", "poitiers", "2021-2022")["value"] == 15
    assert np.isnan(value(s, "inclusive_training_days", "region")["ci_low"])


def test_training_breakdown_keeps_sessions_without_department(data):
    dept = t.breakdown(data, "inclusive_training_days", "bordeaux", "2020-2021", "department")
    assert dict(zip(dept["label"], dept["value"], strict=True)) == {
        "Dordogne (24)": 4, "Gironde (33)": 10, t.NO_DEPARTMENT: 12}
    level = t.breakdown(data, "inclusive_training_days", "region", "2020-2021", "level")
    assert dict(zip(level["label"], level["value"], strict=True)) == {"1er degré": 10, "2nd degré": 16}
    summary = t.training_summary(data, t.INCLUSIVE_DOMAIN, "bordeaux", "2020-2021")
    assert summary["sessions"] == 3 and summary["modules"] == 2 and summary["trainees"] == 24
    assert summary["e_training_share"] == pytest.approx(16 / 26 * 100)


def test_sessions_without_department_counted_in_their_academy_only(data):
    # Bordeaux's M2 session has no department; Limoges' one is of another theme.
    assert t.sessions_without_department(data, t.INCLUSIVE_DOMAIN, "bordeaux", "2020-2021") == 1
    assert t.sessions_without_department(data, t.INCLUSIVE_DOMAIN, "region", "2020-2021") == 1
    assert t.sessions_without_department(data, t.INCLUSIVE_DOMAIN, "limoges", "2020-2021") == 0
    assert t.sessions_without_department(data, t.INCLUSIVE_DOMAIN, "bordeaux", "2021-2022") == 0


def test_inclusive_training_status_against_300(data):
    table = evaluate(t.compute(data), periods=["2020-2021"], scopes=["region"])
    row = table[table["indicator"] == "inclusive_training_days"].iloc[0]
    assert row["objective"] == 300 and row["status"] == "not_reached"


# --------------------------------------------------------------------------- robots


def test_ratio_interval_by_hand():
    y, x = np.array([5, 5, 6, 4, 5, 5]), np.full(6, 10)
    r, lo, hi, n = t.ratio_interval(y, x)
    # r = 30 / 60; residuals 0, 0, 1, −1, 0, 0; var = 6/5 × 2 / 60² ; Student, 5 df.
    half = sps.t.ppf(0.975, 5) * np.sqrt(6 / 5 * 2 / 3600)
    assert (r, n) == (0.5, 6)
    assert lo == pytest.approx(0.5 - half) and hi == pytest.approx(0.5 + half)
    assert lo == pytest.approx(0.4336, abs=1e-4)


def test_ratio_interval_edge_cases():
    r, lo, hi, n = t.ratio_interval([0, 0], [0, 0])
    assert np.isnan(r) and n == 0
    r, lo, hi, n = t.ratio_interval([3], [10])
    assert r == 0.3 and np.isnan(lo) and np.isnan(hi) and n == 1


def test_robots_deployed_by_degree_and_scope(data):
    s = t.compute(data)
    assert value(s, "robots_deployed_first_degree", "bordeaux")["value"] == 1  # R1; R2 is idle
    assert value(s, "robots_deployed_first_degree", "limoges")["value"] == 0
    assert value(s, "robots_deployed_first_degree", "region")["value"] == 1
    assert value(s, "robots_deployed_second_degree", "region")["value"] == 1
    # The log starts in 2020-2021: the August 2020 fleet (2019-2020) is not a reported year.
    assert set(s.loc[s["indicator"] == "robots_deployed_first_degree", "period"]) == {"2020-2021"}


def test_in_service_rate_by_hand(data):
    s = t.compute(data)
    # Files stand at 31/03/2021 (latest date); R3's ongoing loan runs to it. September–March:
    # R1 212 days in fleet, 30 + 31 assigned; R2 212, 0; R3 182 (from 1 October), 182.
    row = value(s, "robots_in_service_rate", "region")
    assert (row["numerator"], row["denominator"]) == (243, 606)
    assert row["value"] == pytest.approx(243 / 606 * 100)
    r, lo, hi, _ = t.ratio_interval([61, 0, 182], [212, 212, 182])
    assert row["ci_low"] == pytest.approx(lo * 100) and row["ci_high"] == pytest.approx(hi * 100)
    assert value(s, "robots_in_service_rate", "limoges")["value"] == 0


def test_robots_deployed_by_the_borrowing_establishment():
    # R4, a first-degree robot of the Gironde pool, is lent to a collège of the Haute-Vienne;
    # R5, a second-degree robot, to a medico-social establishment (neither degree: the
    # robot's own is kept). By pool, Bordeaux would count 2 first-degree robots, Limoges none.
    college_87, ime_33 = "0870010N", "0330010G"
    extra_robots = pd.DataFrame({
        "robot_id": ["R4", "R5"], "degree": ["first", "second"], "department": ["33", "33"],
        "academy": ["bordeaux", "bordeaux"], "purchase_date": [ts("2020-08-01")] * 2,
        "status": ["active"] * 2, "retirement_date": [NaT, NaT]})
    extra_loans = pd.DataFrame({
        "robot_id": ["R4", "R5"], "uai": [college_87, ime_33], "department": ["87", "33"],
        "academy": ["limoges", "bordeaux"], "start": [ts("2020-10-05"), ts("2020-11-02")],
        "end": [ts("2020-12-18"), ts("2021-01-29")], "pupil_id": ["ELV-5", "ELV-6"],
        "reason": ["hospitalisation", "disability"]})
    extra_est = pd.DataFrame({
        "uai": [college_87, ime_33], "name": ["Collège D", "IME E"], "kind": ["college", "medico_social"],
        "sector": ["public"] * 2, "commune_code": ["87001", "33001"], "department": ["87", "33"],
        "academy": ["limoges", "bordeaux"], "priority_education": ["none"] * 2})
    d = Data.from_frames({"robots": pd.concat([robots(), extra_robots], ignore_index=True),
                          "robots_affectations": pd.concat([assignments(), extra_loans], ignore_index=True),
                          "annuaire": pd.concat([annuaire(), extra_est], ignore_index=True)})
    s = t.compute(d)
    assert value(s, "robots_deployed_first_degree", "bordeaux")["value"] == 1     # R1 only
    assert value(s, "robots_deployed_first_degree", "region")["value"] == 1
    assert value(s, "robots_deployed_second_degree", "limoges")["value"] == 1     # R4, in a collège
    assert value(s, "robots_deployed_second_degree", "bordeaux")["value"] == 2    # R3, and R5 by its degree
    assert value(s, "robots_deployed_second_degree", "region")["value"] == 3
    loans = t.robot_deployments(d).set_index("robot_id")
    assert loans.loc["R4", "degree_from"] == "establishment" and loans.loc["R5", "degree_from"] == "robot"
    dept = t.breakdown(d, "robots_deployed_second_degree", "region", "2020-2021", "department")
    assert dict(zip(dept["group"], dept["value"], strict=True)) == {"33": 2, "87": 1}
    # The pool's dashboard is unchanged: R4 is in the Gironde's first-degree fleet, deployed.
    pool = t.robot_department_table(d, "region", "2020-2021").set_index(["department", "degree"])
    assert (pool.loc[("33", "first"), "fleet"], pool.loc[("33", "first"), "deployed"]) == (2, 2)


def test_robot_files_date_and_unknown_robots(data):
    months = t.robot_month_frame(data)
    assert months.attrs["as_of"] == pd.Timestamp("2021-03-31")
    assert months.attrs["unknown_robots"] == 1


def test_monthly_dashboard_in_service_and_idle(data):
    monthly = t.robot_monthly(data, "region", until="2020-2021")
    sept = monthly[(monthly["month"] == "2020-09-01") & (monthly["degree"] == "first")].iloc[0]
    assert (sept["fleet"], sept["in_service"], sept["idle"]) == (2, 1, 1)
    assert sept["rate"] == pytest.approx(30 / 60 * 100)
    nov = monthly[(monthly["month"] == "2020-11-01") & (monthly["degree"] == "first")].iloc[0]
    assert (nov["in_service"], nov["idle"]) == (0, 2)


def test_department_table_and_breakdowns(data):
    table = t.robot_department_table(data, "region", "2020-2021")
    r87 = table[(table["department"] == "87")].iloc[0]
    assert (r87["fleet"], r87["deployed"], r87["idle"], r87["value"]) == (1, 0, 1, 0)
    dept = t.breakdown(data, "robots_deployed_first_degree", "region", "2020-2021", "department")
    assert dict(zip(dept["group"], dept["value"], strict=True)) == {"33": 1, "87": 0}
    rate = t.breakdown(data, "robots_in_service_rate", "region", "2020-2021", "department")
    assert rate.set_index("group").loc["33", "numerator"] == 243
    assert t.robot_heatmap_frame(data, "poitiers", "2020-2021").empty
    heat = t.robot_heatmap_frame(data, "region", "2020-2021")
    assert heat.loc["Haute-Vienne (87)"].eq(0).all() and heat.shape[1] == 7


def test_fleet_status_and_assignments(data):
    status = t.fleet_status(data, "region")
    assert status.loc["1er degré", "En réparation"] == 1 and status.loc["1er degré", "Total"] == 2
    loans = t.assignment_summary(data, "bordeaux", "2020-2021").set_index("reason")
    assert loans.loc["all", "loans"] == 4 and loans.loc["long_illness", "pupils"] == 2
    assert t.degree_mismatches(data, "region", "2020-2021") == 0



def test_robot_figures_share_bands_and_protected_tables(data):
    figures = t.robot_figures(data, "region", "2020-2021")
    assert figures == {"as_of": pd.Timestamp("2021-03-31"), "unknown_robots": 1, "mismatches": 0, "robot_degree": 0}
    bands = t.robot_share_bins(data, "region", "2020-2021").set_index("low")
    # R1 in service 61 of 212 days (29 %), R2 never, R3 every day (100 %, in the last band).
    assert (bands.loc[0, "first"], bands.loc[25, "first"], bands.loc[95, "second"]) == (1, 1, 1)
    assert (bands["first"].sum(), bands["second"].sum()) == (2, 1)
    loans = t.protected_assignments(data, "bordeaux", "2020-2021").frame.set_index("reason")
    assert loans.loc["all", "is_total"] and loans.loc["all", "loans"] == 4
    research = t.protected_research(data, "region", "2021-2022").frame.set_index("laboratory")
    assert (research["teachers_second_degree"]
            == research["teachers"] - research["teachers_first_degree"]).all()

# --------------------------------------------------------------------------- research


def test_research_counts_completed_teachers_and_followed_pupils(data):
    s = t.compute(data)
    assert value(s, "inclusion_research_teachers_trained", "bordeaux")["value"] == 2  # I3 did not complete
    assert value(s, "inclusion_research_teachers_trained", "poitiers")["value"] == 0
    # Followed in the year, as the label says (not only entered): 2020-2021 P1 and P2;
    # 2021-2022 P2 (no exit) and P3 — P1 left in June 2021. Entries alone would give 1.
    assert value(s, "inclusion_module_students", "region")["value"] == 2
    assert value(s, "inclusion_module_students", "region", "2021-2022")["value"] == 2
    assert value(s, "inclusion_module_students", "bordeaux", "2021-2022")["value"] == 1   # P3
    assert value(s, "inclusion_module_students", "poitiers", "2021-2022")["value"] == 1   # P2, entered 2020
    table = t.research_table(data, "region", "2021-2022").set_index("laboratory")
    assert table.loc["all", "pupils_followed"] == 2 and table.loc["all", "pupils_entered"] == 1
    assert table.loc["all", "teachers"] == 1


def test_no_file_no_indicator():
    data = Data.from_frames({"formations": formations()})
    s = t.compute(data)
    assert set(s["indicator"]) == {"inclusive_training_days"}


# --------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_robots_deployed_and_rural_in_service_lag(demo_dir):
    data = Data(demo_dir)
    s = t.compute(data)
    region = s[s["academy"] == "region"].set_index(["indicator", "period"])["value"]
    assert region["robots_deployed_first_degree"].tolist() == [74, 118, 121, 122, 120, 120]
    assert region["robots_deployed_second_degree"].tolist() == [82, 117, 116, 117, 115, 116]
    assert region["inclusion_research_teachers_trained"].iloc[0] == 17
    years = t.robot_year(data)
    years = years[(years["period"] == "2023-2024") & (years["deployed"] == 1)]
    rural = years["department"].isin(["23", "19", "24", "47", "79", "16"])
    r_rural = t.ratio_interval(years.loc[rural, "days_assigned"], years.loc[rural, "days_in_fleet"])
    r_urban = t.ratio_interval(years.loc[~rural, "days_assigned"], years.loc[~rural, "days_in_fleet"])
    # Injected: 76 % in urban departments, 62 % in rural ones; the intervals do not meet.
    assert r_urban[0] - r_rural[0] > 0.08
    assert r_rural[2] < r_urban[1]


def test_loans_of_robots_missing_from_the_inventory_are_measured(data):
    # robots_affectations × robots: the GHOST robot's loan to an école of the Gironde counts
    # in no figure; the first degree's count says it (R1's two loans kept of three).
    s = t.compute(data)
    first = value(s, "robots_deployed_first_degree", "bordeaux")
    assert first["value"] == 1
    assert first["coverage"] == pytest.approx(200 / 3)
    assert first["coverage_note"] == ("nombre calculé sur 66\u202f% des prêts de robots : 1 prêt d'un robot absent "
                                      "de l'inventaire")
    assert value(s, "robots_deployed_second_degree", "bordeaux")["coverage"] == 100.0   # an école's loan
    # The objective is the region's: its status is withheld (same loans, same coverage).
    assert evaluate(s, periods=["2020-2021"], scopes=["region"]).set_index("indicator").loc[
        "robots_deployed_first_degree", "status"] == "withheld"
