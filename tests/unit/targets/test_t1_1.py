"""Target 1.1 indicators on tiny hand-made tables, and the roadmap's baseline on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.sources.pix import COMPETENCE_COLUMNS
from drane_analysis.targets import t1_1_pix as t

COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D = "0331503E", "0240026Y", "0160010Z", "0230002C"


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": [COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D],
        "name": ["A", "B", "C", "D"],
        "kind": ["college", "college", "lycee", "college"],
        "sector": ["public"] * 4,
        "commune_code": ["33001", "24001", "16001", "23001"],
        "department": ["33", "24", "16", "23"],
        "academy": ["bordeaux", "bordeaux", "poitiers", "limoges"],
        "priority_education": ["rep", "none", "none", "none"],
        "nature_code": ["340", "340", "306", "340"],
        "private_contract_code": ["99"] * 4,
    })


def communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["33001", "24001", "16001", "23001"],
                         "territory": ["urban", "rural", "urban", "rural"]})


def orga() -> pd.DataFrame:
    rows = []
    for date, statuses in (("2021-01-15", ["active", "imported", "active", "active"]),
                           ("2021-06-15", ["active", "active", "active", "active"])):
        for uai, status in zip([COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D], statuses, strict=True):
            rows.append({"period": "2020-2021", "snapshot_date": pd.Timestamp(date), "uai": uai,
                         "department": None, "academy": None, "status": status, "activation_date": pd.NaT,
                         "campaigns": 1, "first_campaign_date": pd.Timestamp("2020-10-01"),
                         "launched_campaign": uai != COLLEGE_D})
    return pd.DataFrame(rows)


def certification() -> pd.DataFrame:
    results = [(COLLEGE_A, "validated", 100), (COLLEGE_A, "validated", 200), (COLLEGE_A, "validated", 300),
               (COLLEGE_A, "validated", 200), (COLLEGE_A, "not_obtained", 0), (COLLEGE_A, "cancelled", None),
               (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250),
               (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250)]
    frame = pd.DataFrame(results, columns=["uai", "status", "score"])
    frame["score"] = frame["score"].astype("Int64")
    frame["period"] = "2020-2021"
    frame["certification_type"] = "Pix"
    for col in COMPETENCE_COLUMNS:
        frame[col] = pd.array([1] * len(frame), dtype="Int64")
    return frame


def effectifs() -> dict[str, pd.DataFrame]:
    college = pd.DataFrame({"uai": [COLLEGE_A, COLLEGE_B, COLLEGE_D], "period": "2020-2021", "level": "3e",
                            "pupils": [10, 5, 4]})
    gt = pd.DataFrame({"uai": [LYCEE_C, LYCEE_C], "period": "2020-2021", "level": ["tle_g", "1ere_g"],
                       "pupils": [6, 99]})
    pro = pd.DataFrame({"uai": [LYCEE_C], "period": "2020-2021", "level": ["tle_pro"], "pupils": [4]})
    return {"effectifs_college": college, "effectifs_lycee_gt": gt, "effectifs_lycee_pro": pro}


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"annuaire": annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": certification(), **effectifs()})


def value(series: pd.DataFrame, indicator: str, scope: str) -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_activation_uses_the_january_snapshot(data):
    s = t.compute(data)
    # January: Bordeaux A active, B imported -> 1/2; June would have given 2/2.
    bx = value(s, "pix_orga_activation_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"], bx["value"]) == (1, 2, 50.0)
    region = value(s, "pix_orga_activation_rate", "region")
    assert (region["numerator"], region["denominator"]) == (3, 4)  # B imported in January
    camp = value(s, "pix_orga_campaign_rate", "region")
    assert (camp["numerator"], camp["denominator"]) == (3, 4)


def test_certification_rate_counts_validated_over_enrolled(data):
    s = t.compute(data)
    # 3e: A has 4 validated of 10 enrolled, B held no session (0 of 5), D none (0 of 4).
    bx = value(s, "pix_certification_rate_3e", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (4, 15)
    assert bx["value"] == pytest.approx(400 / 15)
    region = value(s, "pix_certification_rate_3e", "region")
    assert (region["numerator"], region["denominator"]) == (4, 19)
    # Terminale: C has 5 validated of 6 (general) + 4 (vocational) enrolled; première is not eligible.
    term = value(s, "pix_certification_rate_terminale", "poitiers")
    assert (term["numerator"], term["denominator"], term["value"]) == (5, 10, 50.0)
    assert term["ci_low"] < 50 < term["ci_high"]


def test_mean_score_of_validated_certifications_with_student_interval(data):
    s = t.compute(data)
    row = value(s, "pix_mean_score_3e", "bordeaux")
    # 100, 200, 300, 200: mean 200, sd 81.65, n 4, t(0.975, 3) = 3.182446
    assert row["value"] == 200 and row["denominator"] == 4
    assert row["ci_high"] - 200 == pytest.approx(3.182446 * np.std([100, 200, 300, 200], ddof=1) / 2, rel=1e-5)
    assert value(s, "pix_mean_score_terminale", "poitiers")["value"] == 250


def test_breakdown_by_territory(data):
    table = t.breakdown(data, "pix_certification_rate_3e", "region", "2020-2021", "territory").set_index("group")
    assert (table.loc["urban", "numerator"], table.loc["urban", "denominator"]) == (4, 10)
    assert (table.loc["rural", "numerator"], table.loc["rural", "denominator"]) == (0, 9)
    assert table.loc["rural", "label"] == "Rural"


def test_statuses_against_the_roadmaps_objectives(data):
    table = evaluate(t.compute(data), periods=["2020-2021"], scopes=["poitiers"])
    status = dict(zip(table["indicator"], table["status"], strict=True))
    assert status["pix_mean_score_terminale"] == "not_reached"  # 250 < 256
    assert status["pix_orga_activation_rate"] == "reached"       # 1 of 1
    assert status["pix_orga_campaign_rate"] == "no_objective"


@pytest.mark.slow
def test_demo_reproduces_the_roadmaps_january_2021_table(demo_dir):
    check = t.baseline_check(Data(demo_dir))
    assert set(check["academy"]) == {"bordeaux", "limoges", "poitiers"}
    statuses = check[check["status"] != "campaign"]
    assert (statuses["computed"] - statuses["roadmap"]).abs().max() < 0.005
    counts = check[check["status"] == "campaign"].set_index("academy")
    assert counts["computed_count"].to_dict() == {"bordeaux": 457, "limoges": 109, "poitiers": 250}
    assert counts["total"].to_dict() == {"bordeaux": 549, "limoges": 139, "poitiers": 303}
