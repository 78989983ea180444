"""Target 1.3 (SchémaTic and leaders trained) on tiny hand-made tables, and the demo's effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.targets import t1_3_schematic as t
from drane_analysis.views import v1_3_schematic as vue

A, B, C, E, F, G = "0331503E", "0240026Y", "0870001K", "0330001E", "0330002F", "0330003G"
Z = 1.959963984540054
T1 = 12.706204736174696  # Student t(0.975, 1)


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": [A, B, C, E, F, G],
        "name": list("ABCEFG"),
        "kind": ["college", "lycee", "college", "ecole", "college", "college"],
        "sector": ["public", "private", "public", "public", "public", "private"],
        "commune_code": ["33001", "24001", "87001", "33001", "33001", "33001"],
        "department": ["33", "24", "87", "33", "33", "33"],
        "academy": ["bordeaux", "bordeaux", "limoges", "bordeaux", "bordeaux", "bordeaux"],
        "priority_education": ["none"] * 6,
        "opening_date": pd.to_datetime(["1980-09-01", "1990-09-01", "1970-09-01", "1960-09-01", "2022-09-01",
                                        "1985-09-01"]),
        # B private under contract (30); G private out of contract (10): outside the universe.
        "private_contract_code": ["99", "30", "99", "99", "99", "10"],
    })


def communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["33001", "24001", "87001"], "territory": ["urban", "rural", "urban"]})


def assessment(uai: str, date: str, **levels: int) -> list[dict]:
    period = f"{int(date[:4]) - (int(date[5:7]) < 9)}-{int(date[:4]) - (int(date[5:7]) < 9) + 1}"
    return [{"uai": uai, "period": period, "assessment_date": pd.Timestamp(date), "domain": d, "level": v,
             "department": None, "academy": None} for d, v in levels.items()]


def schematic() -> pd.DataFrame:
    rows = [
        *assessment(A, "2020-10-01", steering=1, infrastructure=1),               # superseded
        *assessment(A, "2021-03-01", steering=2, infrastructure=3),               # maturity 2.5
        *assessment(B, "2021-02-01", steering=1, infrastructure=1, resources=4),  # maturity 2.0
        *assessment(E, "2021-02-01", steering=3),                                 # an école: outside
        *assessment(A, "2022-03-01", steering=3, infrastructure=3),               # 3.0
        *assessment(B, "2022-03-01", steering=2, infrastructure=2),               # resources left blank
        *assessment(C, "2022-03-01", steering=4),
        *assessment(F, "2023-03-01", steering=2),                                 # opened 2022-09-01
    ]
    frame = pd.DataFrame(rows)
    frame["level"] = frame["level"].astype("Int64")
    frame["department"] = frame["uai"].str.slice(1, 3)
    frame["academy"] = frame["department"].map({"33": "bordeaux", "24": "bordeaux", "87": "limoges"})
    return frame


def cadres() -> pd.DataFrame:
    return pd.DataFrame({
        "period": "2020-2021",
        "academy": ["bordeaux", "bordeaux", "bordeaux", "limoges"],
        "department": pd.array(["33", "33", None, "87"], dtype="string"),
        "function": ["head", "deputy_head", "ia_ipr", "head"],
        "uai": [A, A, None, C],
        "person_id": ["P1", "P2", "P3", "P4"],
        "is_trained": pd.array([True, False, True, False], dtype="boolean"),
        "training_date": pd.to_datetime(["2021-01-10", None, None, None]),
    })


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"annuaire": annuaire(), "communes": communes(), "schematic": schematic(),
                             "cadres": cadres()})


def row(series: pd.DataFrame, indicator: str, scope: str, period: str = "2020-2021") -> pd.Series:
    match = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(match) == 1, match
    return match.iloc[0]


def test_usage_rate_over_the_secondary_universe(data):
    s = t.compute(data)
    # 2020-2021, Bordeaux: A and B (F not open yet, G out of contract, E an école) — both assessed.
    bx = row(s, "schematic_usage_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"], bx["value"]) == (2, 2, 100.0)
    lim = row(s, "schematic_usage_rate", "limoges")
    assert (lim["numerator"], lim["denominator"], lim["value"]) == (0, 1, 0.0)
    region = row(s, "schematic_usage_rate", "region")
    assert (region["numerator"], region["denominator"]) == (2, 3)
    centre = (2 / 3 + Z ** 2 / 6) / (1 + Z ** 2 / 3)
    half = Z / (1 + Z ** 2 / 3) * math.sqrt(2 / 9 / 3 + Z ** 2 / 36)
    assert region["ci_low"] == pytest.approx((centre - half) * 100)
    # F counts from 2022-2023 (opened 1 September 2022), when only it is assessed.
    later = row(s, "schematic_usage_rate", "bordeaux", "2022-2023")
    assert (later["numerator"], later["denominator"]) == (1, 3)
    assert t.usage(data).attrs["outside"] == {"2020-2021": 1}                 # the école


def test_usage_figures_of_the_report(data):
    # Bordeaux, 2020-2021: A and B open and assessed, A twice; the école E is outside.
    assert t.usage_figures(data, "bordeaux", "2020-2021") == {"establishments": 2, "used": 2, "outside": 1,
                                                                "several": 1}
    assert t.usage_figures(data, "limoges", "2020-2021") == {"establishments": 1, "used": 0, "outside": 1,
                                                               "several": 0}


def test_maturity_uses_the_latest_assessment_and_bounds_the_interval(data):
    s = t.compute(data)
    bx = row(s, "schematic_maturity_mean", "bordeaux")
    assert bx["value"] == pytest.approx(2.25) and bx["denominator"] == 2     # (2.5 + 2.0) / 2
    # Student half-width 12.71 × 0.354 / √2 = 3.18 overflows the scale: bounded to [1; 4].
    assert (bx["ci_low"], bx["ci_high"]) == (1, 4)
    one = row(s, "schematic_maturity_mean", "limoges", "2021-2022")
    assert one["value"] == 4 and np.isnan(one["ci_low"])                     # a single establishment


def test_leaders_trained_rate_and_breakdown(data):
    s = t.compute(data)
    bx = row(s, "leaders_trained_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (2, 3)
    assert row(s, "leaders_trained_rate", "region")["denominator"] == 4
    dept = t.breakdown(data, "leaders_trained_rate", "bordeaux", "2020-2021", "department")
    assert dept["label"].tolist() == ["Gironde (33)", t.NO_DEPARTMENT_LABEL]  # academy-wide inspector last
    assert dept["value"].tolist() == [50.0, 100.0]
    fn = t.breakdown(data, "leaders_trained_rate", "region", "2020-2021", "function").set_index("group")
    assert (fn.loc["head", "numerator"], fn.loc["head", "denominator"]) == (1, 2)
    assert t.newly_trained(data, "region", "2020-2021") == {"leaders": 4, "trained": 2, "trained_this_year": 1}


def test_statuses_against_the_20_percent_objectives(data):
    table = evaluate(t.compute(data), periods=["2020-2021"], scopes=["bordeaux", "limoges"])
    status = {(r.indicator, r.academy): r.status for r in table.itertuples()}
    assert status[("schematic_usage_rate", "bordeaux")] == "reached"
    assert status[("schematic_usage_rate", "limoges")] == "not_reached"
    assert status[("leaders_trained_rate", "limoges")] == "not_reached"
    assert status[("schematic_maturity_mean", "bordeaux")] == "no_objective"


def test_usage_breakdown_by_territory(data):
    table = t.breakdown(data, "schematic_usage_rate", "region", "2021-2022", "territory").set_index("group")
    # 2021-2022: A (urban), B (rural), C (urban) assessed; universe A, B, C.
    assert (table.loc["urban", "numerator"], table.loc["urban", "denominator"]) == (2, 2)
    assert table.loc["rural", "label"] == "Rural"


def test_breakdowns_say_how_their_gaps_are_tested(data):
    # Establishments and leaders are independent units: Newcombe for shares, Welch for means.
    usage = t.breakdown(data, "schematic_usage_rate", "region", "2020-2021", "territory")
    assert (usage["ci_method"] == "wilson").all()
    maturity = t.breakdown(data, "schematic_maturity_mean", "region", "2020-2021", "territory")
    assert (maturity["ci_method"] == "student").all()
    assert (maturity["n"] == maturity["denominator"]).all() and "se" in maturity
    text = vue.gap_sentence(usage, "percent", "La part")
    assert "significatif" not in text or "Newcombe" in text


def test_domain_profile(data):
    prof = t.domain_profile(data, "bordeaux", "2020-2021").set_index("domain")
    assert prof.loc["steering", "value"] == pytest.approx(1.5) and prof.loc["steering", "n"] == 2
    assert prof.loc["steering", "share_1"] == 50 and prof.loc["steering", "share_2"] == 50
    assert prof.loc["resources", "n"] == 1 and prof.loc["resources", "share_4"] == 100
    assert prof.loc["infrastructure", "share_3_4"] == 50                      # A at 3, B at 1
    assert prof.loc["teaching", "n"] == 0 and np.isnan(prof.loc["teaching", "value"])
    assert prof.loc[t.OVERALL, "value"] == pytest.approx(2.25)


def test_paired_change_compares_the_same_establishments(data):
    ch = t.paired_change(data, "region", "2021-2022").set_index("domain")
    assert ch.attrs == {"previous": "2020-2021", "pairs": 2}                  # A and B; C new in 2021-2022
    # Steering: A 2 → 3, B 1 → 2: +1 each, no spread.
    assert ch.loc["steering", "change"] == 1 and ch.loc["steering", "ci_low"] == 1
    assert ch.loc["steering", "wilcoxon_p"] == pytest.approx(0.5)            # exact, n = 2, both positive
    # Infrastructure: A 3 → 3, B 1 → 2.
    assert ch.loc["infrastructure", "change"] == 0.5 and ch.loc["infrastructure", "improved"] == 50
    # Resources: B's 2021-2022 level is blank: no pair.
    assert ch.loc["resources", "n"] == 0 and np.isnan(ch.loc["resources", "change"])
    # Overall on the domains assessed both years: A 2.5 → 3.0, B 1.0 → 2.0 (not 2.0 → 2.0).
    overall = ch.loc[t.OVERALL]
    assert (overall["mean_before"], overall["mean_after"], overall["change"]) == (1.75, 2.5, 0.75)
    half = T1 * np.std([0.5, 1.0], ddof=1) / math.sqrt(2)
    assert overall["ci_low"] == pytest.approx(0.75 - half) and overall["ci_high"] == pytest.approx(0.75 + half)
    # The six domains' p-values are read together: Holm-adjusted; the overall keeps its own.
    from statsmodels.stats.multitest import multipletests

    domains = ch.drop(index=t.OVERALL)
    valid = domains["wilcoxon_p"].notna()
    expected = multipletests(domains.loc[valid, "wilcoxon_p"], method="holm")[1]
    assert domains.loc[valid, "wilcoxon_holm"].tolist() == pytest.approx(list(expected))
    assert np.isnan(overall["wilcoxon_holm"])


def test_paired_change_edge_cases(data):
    none = t.paired_change(data, "limoges", "2021-2022")
    assert none.attrs["pairs"] == 0 and none["change"].isna().all()
    flat = t.paired_test([2, 3, 1], [2, 3, 1])
    assert flat["change"] == 0 and flat["wilcoxon_p"] == 1.0 and (flat["ci_low"], flat["ci_high"]) == (0, 0)
    assert np.isnan(t.paired_test([1], [2])["wilcoxon_p"])


def test_paired_change_by_territory_and_chain(data):
    by = t.paired_change_by(data, "region", "2021-2022", "territory").set_index("group")
    assert by.loc["urban", "change"] == 0.5 and by.loc["rural", "change"] == 1.0
    assert "difference" not in by.attrs                                       # one pair per group: no test
    chain = t.paired_chain(data, "region", "2022-2023")
    assert chain["period"].tolist() == ["2021-2022", "2022-2023"]
    assert chain["n"].tolist() == [2, 0]                                      # F's only year has no pair


@pytest.mark.slow
def test_demo_effects_are_found(demo_dir):
    d = Data(demo_dir)
    s = t.compute(d)
    # Usage 2020-2021 just under 20 % in the region, over the roadmap's 991 establishments.
    region = row(s, "schematic_usage_rate", "region")
    assert region["denominator"] == 991 and 17 < region["value"] < 20
    assert row(s, "schematic_usage_rate", "bordeaux")["denominator"] == 549
    # Paired growth ≈ +0.15 a year for the same establishments.
    overall = t.paired_change(d, "region", "2023-2024").set_index("domain").loc[t.OVERALL]
    assert overall["ci_low"] > 0.08 and overall["ci_low"] < 0.15 < overall["ci_high"]
    assert overall["wilcoxon_p"] < 0.001
    # Rural establishments are less mature (−0.25 level).
    terr = t.breakdown(d, "schematic_maturity_mean", "region", "2023-2024", "territory").set_index("group")
    assert terr.loc["rural", "ci_high"] < terr.loc["urban", "ci_low"]
    # Leaders trained (cumulative) 24 / 12 / 15 % in 2020-2021.
    assert row(s, "leaders_trained_rate", "bordeaux")["value"] == pytest.approx(24, abs=0.5)
    assert row(s, "leaders_trained_rate", "limoges")["value"] == pytest.approx(12, abs=0.5)


def test_assessments_of_uais_unknown_to_the_annuaire_are_measured():
    # schematic × annuaire: 0330099Z, assessed in 2020-2021, is not in the annuaire; it counts
    # in neither the usage rate nor the maturity. E (an école) is outside the definition.
    frames = {"annuaire": annuaire(), "communes": communes(), "cadres": cadres(),
              "schematic": pd.concat([schematic(), pd.DataFrame(assessment("0330099Z", "2021-02-01", steering=4))
                                      .assign(department="33", academy="bordeaux")], ignore_index=True)}
    s = t.compute(Data.from_frames(frames))
    bx = row(s, "schematic_usage_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (2, 2)
    assert bx["coverage"] == pytest.approx(200 / 3)
    assert bx["coverage_note"] == ("valeur calculée sur 66\u202f% des établissements évalués : 1 établissement évalué "
                                   "inconnu de l'annuaire")
    assert row(s, "schematic_maturity_mean", "bordeaux")["coverage"] == pytest.approx(200 / 3)
    assert np.isnan(row(s, "schematic_usage_rate", "limoges")["coverage"])   # nothing assessed: nothing to cover
    assert row(t.compute(Data.from_frames({**frames, "schematic": schematic()})), "schematic_usage_rate",
               "bordeaux")["coverage"] == 100.0
