"""Target 1.4 (parents) indicators on tiny hand-made tables, and the demo's social gradient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.stats import wilson_interval
from drane_analysis.targets import t1_4_parents as t
from drane_analysis.views import v1_4_parents as vue

# Four collèges of the Vienne (Poitiers), one lycée of the Corrèze (Limoges), one école of the Gironde.
C1, C2, C3, C4, LYC, ECO = "0860001J", "0860002K", "0860003L", "0860004M", "0190002Z", "0330005B"
UAIS = [C1, C2, C3, C4, LYC, ECO]
DEPT = {u: u[1:3] for u in UAIS}
ACADEMY = {"86": "poitiers", "19": "limoges", "33": "bordeaux"}


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": UAIS, "name": list("ABCDEF"),
        "kind": ["college"] * 4 + ["lycee", "ecole"], "sector": ["public"] * 6,
        "commune_code": ["86001", "86001", "86002", "86002", "19001", "33001"],
        "department": [DEPT[u] for u in UAIS], "academy": [ACADEMY[DEPT[u]] for u in UAIS],
        "priority_education": ["rep", "rep", "none", "none", "none", "none"],
    })


def communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["86001", "86002", "19001", "33001"],
                         "territory": ["rural", "urban", "rural", "urban"]})


def ips_colleges() -> pd.DataFrame:
    # quartiles within the collèges of each year: C1 < C2 < C3 < C4 (Q1 … Q4); 2021-2022 missing
    return pd.DataFrame({"uai": [C1, C2, C3, C4], "period": ["2020-2021"] * 4, "ips": [80.0, 95.0, 105.0, 130.0]})


def parent(platform, period, uai, loaded, activated, connections=0, month=None):
    start = int(period[:4])
    return {"platform": platform, "period": period, "month": pd.Timestamp(month or f"{start + 1}-06-01"),
            "uai": uai, "department": DEPT[uai], "academy": ACADEMY[DEPT[uai]], "profile": "parent",
            "connections": connections, "unique_visitors": 0, "accounts_loaded": loaded,
            "accounts_activated": activated}


def comptes() -> pd.DataFrame:
    rows = [
        parent("colleges-86", "2020-2021", C1, 100, 40, 400),
        parent("colleges-86", "2020-2021", C2, 100, 60, 900),
        parent("colleges-86", "2020-2021", C3, 100, 70),
        parent("colleges-86", "2020-2021", C4, 100, 90),
        parent("lycee-connecte", "2020-2021", LYC, 50, 10),
        # 2021-2022: C1 moves to Lycée connecté; a stray copy on the departmental ENT is ignored
        parent("lycee-connecte", "2021-2022", C1, 100, 50),
        parent("colleges-86", "2021-2022", C1, 10, 10),
        parent("colleges-86", "2021-2022", C2, 100, 60),
        parent("colleges-86", "2021-2022", C3, 100, 75),
        parent("colleges-86", "2021-2022", C4, 100, 85),
        # a student row is not a parent
        {**parent("colleges-86", "2021-2022", C4, 500, 500), "profile": "student"},
    ]
    frame = pd.DataFrame(rows)
    for col in ("connections", "unique_visitors", "accounts_loaded", "accounts_activated"):
        frame[col] = frame[col].astype("Int64")
    return frame


def parentalite() -> pd.DataFrame:
    rows = [
        ("service_establishment", "ES-01", C1, None, "86", "2020-10-16", "2022-07-04"),
        ("france_services", "MFS-86-01", None, "86001", "86", "2021-08-31", None),   # active from 2020-2021
        ("france_services", "MFS-33-01", None, "33001", "33", "2021-09-01", None),   # from 2021-2022
        ("france_services", "MFS-19-01", None, "19001", "19", "2019-01-10", "2020-08-31"),  # ended before
    ]
    frame = pd.DataFrame(rows, columns=["structure_type", "structure_id", "uai", "commune_code", "department",
                                        "start", "end"])
    frame["academy"] = frame["department"].map(ACADEMY)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    return frame


@pytest.fixture(scope="module")
def data() -> Data:
    return Data.from_frames({"annuaire": annuaire(), "communes": communes(), "ips_colleges": ips_colleges(),
                             "ent_comptes": comptes(), "parentalite": parentalite()})


@pytest.fixture(scope="module")
def series(data) -> pd.DataFrame:
    return t.compute(data)


def value(series, indicator, scope, period):
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1, (indicator, scope, period)
    return row.iloc[0]


# --------------------------------------------------------------------------- structures


def test_structures_active_in_each_school_year(series):
    get = lambda ind, scope, period: value(series, ind, scope, period)["value"]  # noqa: E731
    assert get("service_establishments", "region", "2020-2021") == 1
    assert get("service_establishments", "region", "2021-2022") == 1
    assert get("france_services_houses", "region", "2020-2021") == 1        # the Vienne's, signed 31 August
    assert get("france_services_houses", "region", "2021-2022") == 2
    assert get("france_services_houses", "limoges", "2020-2021") == 0       # ended on 31 August 2020
    assert get("france_services_houses", "bordeaux", "2020-2021") == 0
    # the periods run to the accounts export's last year, with 0 where nothing is active
    assert set(series.loc[series["indicator"] == "service_establishments", "period"]) == {
        "2018-2019", "2019-2020", "2020-2021", "2021-2022"}
    assert get("service_establishments", "region", "2019-2020") == 0


def test_structure_objectives(series):
    table = evaluate(series, periods=["2020-2021"])
    status = table.set_index(["indicator", "academy"])["status"]
    assert status[("service_establishments", "region")] == "reached"       # 1, objective 1 to 2
    assert status[("france_services_houses", "poitiers")] == "reached"      # 1 per academy
    assert status[("france_services_houses", "limoges")] == "not_reached"
    assert status[("france_services_houses", "region")] == "not_reached"    # 1 < 3
    by_dept = t.structures_by_department(Data.from_frames({"parentalite": parentalite()}), "poitiers", "2021-2022")
    assert by_dept.set_index("department").loc["86", "france_services_houses"] == 1
    assert len(by_dept) == 4


def test_structures_without_other_sources_stop_at_the_last_date():
    only = Data.from_frames({"parentalite": parentalite()})
    frame = t.structures(only)
    assert frame.attrs["periods"][0] == "2018-2019" and frame.attrs["periods"][-1] == "2021-2022"


# --------------------------------------------------------------------------- parents' accounts


def test_parent_rate_and_platform_dedup(series, data):
    row = value(series, "parents_ent_usage_rate", "poitiers", "2020-2021")
    assert (row["numerator"], row["denominator"]) == (260, 400)
    # Four collèges (40, 60, 70, 90 of 100): establishments as clusters, Student with 3 df.
    z = (np.array([40, 60, 70, 90]) - 0.65 * 100) / 400
    half = 3.182446 * np.sqrt(4 / 3 * np.sum(z ** 2)) * 100
    assert row["ci_low"] == pytest.approx(65 - half, rel=1e-6) and row["ci_high"] == pytest.approx(65 + half, rel=1e-6)
    lo, hi = wilson_interval(260, 400)                      # accounts as independent trials: far too narrow
    assert (hi - lo) * 100 < (row["ci_high"] - row["ci_low"]) / 3
    assert value(series, "parents_ent_usage_rate", "region", "2020-2021")["denominator"] == 450
    # 2021-2022: C1 keeps Lycée connecté (100 loaded), not its stray 10 on the departmental ENT
    acc = t.parent_accounts(data)
    c1 = acc[(acc["uai"] == C1) & (acc["period"] == "2021-2022")]
    assert len(c1) == 1 and c1.iloc[0]["platform"] == "lycee-connecte"
    assert value(series, "parents_ent_usage_rate", "poitiers", "2021-2022")["numerator"] == 270


def test_accounts_until_the_year_and_the_figures_of_the_caveats(data):
    assert set(t.accounts_until(data, "region", "2020-2021")["period"]) == {"2020-2021"}
    assert set(t.accounts_until(data, "region", "2021-2022")["period"]) == {"2020-2021", "2021-2022"}
    figures = t.account_figures(data, "region", "2020-2021")
    assert figures["no_ips"] == 1                                      # the lycée
    assert figures["platforms"].to_dict() == {"colleges-86": 4, "lycee-connecte": 1}

def test_ips_of_a_missing_year_is_the_latest_earlier_one(data):
    acc = t.parent_accounts(data).set_index(["period", "uai"])
    assert acc.loc[("2021-2022", C4), "ips_quartile"] == "Q4"
    assert acc.loc[("2021-2022", C1), "ips_quartile"] == "Q1"
    assert pd.isna(acc.loc[("2020-2021", LYC), "ips_quartile"])      # no IPS for the lycée


def test_with_ips_groups_rows_by_year_and_joins_each_uai_of_that_year(data):
    rows = pd.DataFrame({"period": ["2021-2022", "2020-2021", "2021-2022", None, "2020-2021"],
                         "uai": [C4, C1, LYC, C2, C2], "n": [1, 2, 3, 4, 5]})
    out = data.with_ips(rows)
    # 2021-2022 first (it appears first), each year's rows in their order; no year: left out
    assert out["n"].tolist() == [1, 3, 2, 5] and list(out.index) == [0, 1, 2, 3]
    assert out["ips"].tolist()[0] == 130.0 and pd.isna(out["ips"].iloc[1])  # 2021-2022 takes 2020-2021's
    assert out["ips_quartile"].tolist()[2:] == ["Q1", "Q2"]
    no_ips = Data.from_frames({"annuaire": annuaire(), "communes": communes()}).with_ips(rows)
    assert len(no_ips) == 5 and no_ips["ips"].isna().all()


def test_breakdowns(data):
    ips = t.breakdown(data, "parents_ent_usage_rate", "region", "2020-2021", "ips_quartile").set_index("group")
    assert ips.loc["Q1", "value"] == 40 and ips.loc["Q4", "value"] == 90
    terr = t.breakdown(data, "parents_ent_usage_rate", "region", "2020-2021", "territory").set_index("group")
    assert terr.loc["rural", "value"] == pytest.approx((40 + 60 + 10) / 250 * 100)
    rep = t.breakdown(data, "parents_ent_usage_rate", "poitiers", "2020-2021", "priority_education")
    assert rep.set_index("group").loc["rep", "value"] == 50
    with pytest.raises(KeyError):
        t.breakdown(data, "service_establishments", "region", "2020-2021", "territory")


def test_quartile_gap_by_hand():
    frame = pd.DataFrame({
        "ips_quartile": ["Q4", "Q4", "Q1", "Q1", "Q2"],
        "activated": [40.0, 45.0, 20.0, 30.0, 99.0], "loaded": [50.0, 50.0, 50.0, 50.0, 100.0],
    })
    gap = t.quartile_gap(frame)
    assert gap["top_rate"] == pytest.approx(85) and gap["bottom_rate"] == pytest.approx(50)
    assert gap["gap"] == pytest.approx(35)
    # clustered: Q4 residuals ±2.5 → se 5 points; Q1 residuals ±5 → se 10 points; Welch–
    # Satterthwaite degrees of freedom (25 + 100)² / (25² + 100²) = 1.47 (two establishments each)
    assert gap["se"] == pytest.approx(np.hypot(5, 10))
    df = 125 ** 2 / (25 ** 2 + 100 ** 2)
    assert gap["ci_low"] == pytest.approx(35 - sps.t.ppf(0.975, df) * np.hypot(5, 10))
    newcombe = t.newcombe_interval(85, 100, 50, 100)        # accounts as independent: narrower
    assert newcombe[1] - newcombe[0] < gap["ci_high"] - gap["ci_low"]
    empty = t.quartile_gap(frame[frame["ips_quartile"] == "Q2"])
    assert np.isnan(empty["gap"])


def test_gap_series_and_single_establishment_quartiles(series, data):
    row = value(series, "parents_ent_ips_gap", "poitiers", "2020-2021")
    assert row["value"] == pytest.approx(50)                          # 90 % − 40 %
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])       # one collège a quartile: no interval
    gaps = t.ips_gap_by_year(data, "poitiers")
    assert list(gaps["period"]) == ["2020-2021", "2021-2022"]
    assert gaps["gap"].tolist() == pytest.approx([50, 35])            # 85 − 50 in 2021-2022
    assert gaps["se"].isna().all()                                     # one establishment a quartile
    assert t.ips_gap_by_year(data, "limoges").empty                   # no IPS there
    assert not ((series["indicator"] == "parents_ent_ips_gap") & (series["academy"] == "limoges")).any()


def test_gap_trend_by_hand():
    gaps = pd.DataFrame({"period": ["2020-2021", "2021-2022", "2022-2023"], "gap": [20.0, 18.0, 16.0],
                         "se": [1.0, 1.0, 1.0]})
    trend = t.gap_trend(gaps)
    # exact line: slope −2, no residual dispersion → se = sqrt(1 / Σ(x − x̄)²) = sqrt(1/2), normal test
    se = np.sqrt(0.5)
    assert trend["slope"] == pytest.approx(-2)
    assert trend["slope_low"] == pytest.approx(-2 - t.Z * se)
    assert trend["p_value"] == pytest.approx(2 * sps.norm.sf(2 / se))
    assert trend["change"] == pytest.approx(-4)
    assert trend["change_high"] == pytest.approx(-4 + t.Z * np.sqrt(2))
    # scattered years: the dispersion inflates the interval (Student, n − 2 df)
    noisy = gaps.assign(gap=[20.0, 14.0, 16.0])
    wide = t.gap_trend(noisy)
    assert wide["dispersion"] > 1
    assert wide["slope_high"] - wide["slope_low"] > trend["slope_high"] - trend["slope_low"]
    # two years: the slope is the change; one year: nothing to test
    two = t.gap_trend(gaps.iloc[:2])
    assert two["slope"] == pytest.approx(-2) and np.isnan(two["dispersion"])
    one = t.gap_trend(gaps.iloc[:1])
    assert one["years"] == 1 and np.isnan(one["slope"]) and np.isnan(one["change"])
    no_se = t.gap_trend(gaps.assign(se=np.nan))
    assert no_se["change"] == pytest.approx(-4) and np.isnan(no_se["p_value"])


def test_parent_intensity(data):
    table = t.parent_intensity(data, "poitiers", "2020-2021", "priority_education").set_index("group")
    # REP collèges: (400 + 900) connections over (40 + 60) activated accounts
    assert table.loc["rep", "value"] == pytest.approx(13)
    assert table.loc["rep", "clusters"] == 2
    assert table.loc["none", "value"] == 0


def test_gap_sentence_words(data):
    table = pd.DataFrame({"label": ["A", "B"], "value": [10.0, 14.0], "ci_low": [9.0, 13.0],
                          "ci_high": [11.0, 15.0]})
    text = vue.gap_sentence(table, "index", "Le nombre", "connexions")
    # Intervals alone (no establishment-level data): the gap is described, not tested.
    assert "écart de 4,0 connexions" in text and "significatif" not in text
    # The library's breakdown carries its clusters: the gap is tested on them.
    table = t.parent_intensity(data, "poitiers", "2020-2021", "priority_education")
    assert "établissements pris comme grappes" in vue.gap_sentence(table, "index", "Le nombre", "connexions")


# --------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_social_gradient_narrows(demo_dir):
    data = Data(demo_dir)
    gaps = t.ips_gap_by_year(data, "region").set_index("period")
    # about 19 points in 2020-2021, about 9 in 2025-2026 (docs/sources/ent.md)
    assert 15 < gaps.loc["2020-2021", "gap"] < 22
    assert 5 < gaps.loc["2025-2026", "gap"] < 11
    assert gaps.loc["2020-2021", "ci_low"] > 0
    trend = t.gap_trend(gaps.reset_index())
    assert trend["slope"] < 0 and trend["slope_high"] < 0 and trend["p_value"] < 0.01
    # The same establishments paired across the years: the narrowing stays clear.
    paired = t.gap_trend(gaps.reset_index(), t.parent_accounts(data))
    assert paired["paired"] and paired["slope"] == trend["slope"] and paired["slope_high"] < 0
    assert paired["change_high"] < 0
    series = t.compute(data)
    # France Services: Limoges misses "1 per academy" in 2020-2021, Bordeaux and Poitiers meet it
    assert value(series, "france_services_houses", "limoges", "2020-2021")["value"] == 0
    assert value(series, "france_services_houses", "bordeaux", "2020-2021")["value"] == 1
    assert [value(series, "service_establishments", "region", p)["value"]
            for p in ("2020-2021", "2021-2022", "2022-2023")] == [1, 2, 3]


def test_gap_coverage_counts_the_parents_of_establishments_without_ips(series):
    # ENT accounts × IPS: the lycée of the Corrèze has no IPS; its 50 parents' accounts are in
    # no quartile, hence in neither term of the regional gap (400 of 450 accounts kept).
    region = value(series, "parents_ent_ips_gap", "region", "2020-2021")
    assert region["value"] == pytest.approx(50)
    assert region["coverage"] == pytest.approx(400 / 450 * 100)
    assert region["coverage_note"] == ("écart calculé sur 88\u202f% des comptes parents chargés : 1 établissement "
                                       "sans IPS dans les fichiers de la DEPP (50 comptes parents chargés)")
    assert value(series, "parents_ent_ips_gap", "poitiers", "2020-2021")["coverage"] == 100.0
    # ENT exports by academy: Bordeaux has no parents' row in 2020-2021 (its école's export is
    # missing): the regional rate is that of two academies, and says so.
    rate = value(series, "parents_ent_usage_rate", "region", "2020-2021")
    assert rate["coverage"] == pytest.approx(200 / 3)
    assert rate["coverage_note"] == ("taux calculé sur 66 % des académies : 1 académie absente des exports ENT "
                                     "de l'année")
    bordeaux = value(series, "parents_ent_usage_rate", "bordeaux", "2020-2021")
    assert np.isnan(bordeaux["value"]) and bordeaux["coverage"] == 0.0
