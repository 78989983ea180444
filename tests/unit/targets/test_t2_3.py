"""Target 2.3 (vocational track: VR / AR training, conversational agents, LP vs LPO) on tiny tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.stats import wilson_interval
from drane_analysis.targets import t2_3_voie_pro as t

LP_33, LP_86, LPO_86, LPO_87, LEGT_24, LP_PRIV, LP_NEW, COL_33 = (
    "0330010L", "0860010M", "0860020X", "0870030F", "0240040P", "0330050U", "0330060E", "0330001B")


def annuaire() -> pd.DataFrame:
    uais = [LP_33, LP_86, LPO_86, LPO_87, LEGT_24, LP_PRIV, LP_NEW, COL_33]
    dept = [u[1:3] for u in uais]
    academy = {"33": "bordeaux", "24": "bordeaux", "86": "poitiers", "87": "limoges"}
    return pd.DataFrame({
        "uai": uais, "name": [f"Étab. {k}" for k in range(8)],
        "kind": ["lycee"] * 7 + ["college"],
        "sector": ["public"] * 5 + ["private", "public", "public"],
        "private_contract_code": [None] * 5 + ["99", None, None],  # 99: private out of contract
        "commune_code": [f"{d}001" for d in dept], "department": dept, "academy": [academy[d] for d in dept],
        "priority_education": ["none"] * 8,
        "nature_code": ["320", "320", "306", "306", "300", "320", "320", "340"],
        "has_vocational_track": pd.array([True, True, True, True, False, True, True, pd.NA], dtype="boolean"),
        "opening_date": pd.to_datetime(["1990-09-01"] * 6 + ["2021-09-01", "1990-09-01"]),
    })


def communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["33001", "86001", "87001", "24001"],
                         "territory": ["urban", "urban", "rural", "rural"]})


def agents(with_legt: bool = False) -> pd.DataFrame:
    rows = [  # period, uai, agent, classes, sessions, pupils
        ("2020-2021", LP_33, "Captain Kelly", 2, 10, 36),
        ("2020-2021", LP_33, "Mondly", 1, 4, 18),
        ("2020-2021", LPO_86, "Captain Kelly", 0, 0, 0),   # registered, never used
        ("2020-2021", LP_PRIV, "Captain Kelly", 1, 3, 15),  # out of contract: outside the universe
        ("2021-2022", LP_33, "Captain Kelly", 3, 12, 50),
        ("2021-2022", LPO_86, "Captain Kelly", 1, 6, 20),
        ("2021-2022", LP_NEW, "Captain Kelly", 2, 8, 30),
    ]
    if with_legt:
        rows.append(("2021-2022", LEGT_24, "Captain Kelly", 0, 0, 0))
    frame = pd.DataFrame(rows, columns=["period", "uai", "agent", "classes_using", "sessions", "pupils"])
    frame["department"] = frame["uai"].str[1:3]
    frame["academy"] = frame["department"].map({"33": "bordeaux", "24": "bordeaux", "86": "poitiers",
                                                "87": "limoges"})
    frame["first_use_date"] = pd.NaT
    return frame


def formations() -> pd.DataFrame:
    return pd.DataFrame({
        "period": ["2020-2021"] * 3, "academy": ["poitiers", "poitiers", "bordeaux"],
        "department": ["86", "79", "33"], "module_id": ["V1", "V1", "G1"], "session_id": ["1", "2", "1"],
        "domain": ["vr_ar", "vr_ar", "digital_general"], "public": ["second_degree"] * 3,
        "trainees": [6, 4, 30], "duration_days": [2.0, 1.5, 1.0], "is_e_training": [False, True, False],
        "trainee_days": [12.0, 6.0, 30.0],
    })


def make(with_legt: bool = False, samr: pd.DataFrame | None = None) -> Data:
    frames = {"annuaire": annuaire(), "communes": communes(), "agents_conversationnels": agents(with_legt),
              "formations": formations()}
    if samr is not None:
        frames["pratiques_samr"] = samr
    return Data.from_frames(frames)


def value(series: pd.DataFrame, indicator: str, scope: str, period: str = "2020-2021") -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_vr_ar_trainee_days():
    s = t.compute(make())
    assert value(s, "vr_ar_training_days", "poitiers")["value"] == 18
    assert value(s, "vr_ar_training_days", "bordeaux")["value"] == 0
    table = evaluate(s, periods=["2020-2021"], scopes=["region"])
    assert table.set_index("indicator").loc["vr_ar_training_days", "status"] == "not_reached"  # 18 < 30


def test_agents_rate_over_open_vocational_lycees_under_contract():
    s = t.compute(make())
    # 2020-2021: LP_33, LP_86, LPO_86, LPO_87 (LP_NEW opens in September 2021, LP_PRIV is out of contract,
    # the LEGT has no vocational track); only LP_33 has a class using an agent.
    row = value(s, "conversational_agents_rate", "region")
    assert (row["numerator"], row["denominator"]) == (1, 4)
    lo, hi = wilson_interval(1, 4)
    assert row["ci_low"] == pytest.approx(float(lo) * 100) and row["ci_high"] == pytest.approx(float(hi) * 100)
    assert value(s, "conversational_agents_rate", "bordeaux")["value"] == 100
    assert value(s, "conversational_agents_rate", "limoges")["value"] == 0
    # 2021-2022: LP_NEW is open and a user; 3 users out of 5.
    nxt = value(s, "conversational_agents_rate", "region", "2021-2022")
    assert (nxt["numerator"], nxt["denominator"]) == (3, 5)
    assert t.lycee_usage(make()).attrs["outside"] == 1


def test_agents_objective_counts_every_second_degree_establishment():
    # « 30 % des établissements »: collèges, lycées and EREA under contract, open on 15 January.
    # 2020-2021: LP_33, LP_86, LPO_86, LPO_87, LEGT_24 and COL_33 (LP_NEW not yet open, LP_PRIV out
    # of contract); LP_33 is the only user.
    s = t.compute(make())
    row = value(s, "conversational_agents_establishments_rate", "region")
    assert (row["numerator"], row["denominator"]) == (1, 6)
    assert (value(s, "conversational_agents_establishments_rate", "bordeaux")[["numerator", "denominator"]]
            .tolist() == [1, 3])  # LP_33, LEGT_24, COL_33
    nxt = value(s, "conversational_agents_establishments_rate", "region", "2021-2022")
    assert (nxt["numerator"], nxt["denominator"]) == (3, 7)
    kind = t.breakdown(make(), "conversational_agents_establishments_rate", "region", "2020-2021", "kind")
    kind = kind.set_index("label")
    assert kind.loc["Collège", "denominator"] == 1 and kind.loc["Lycée", "numerator"] == 1
    assert kind.loc["Lycée", "denominator"] == 5
    usage = t.establishment_usage(make())
    assert usage.attrs["registered_kinds"] == {"college": 0, "lycee": 3, "erea": 0}
    # A collège using an agent counts for the objective, not for the vocational lycées.
    frames = {"annuaire": annuaire(), "communes": communes(), "formations": formations(),
              "agents_conversationnels": pd.concat([agents(), agents().iloc[[0]].assign(uai=COL_33)],
                                                   ignore_index=True)}
    with_college = t.compute(Data.from_frames(frames))
    assert value(with_college, "conversational_agents_establishments_rate", "region")["numerator"] == 2
    assert value(with_college, "conversational_agents_rate", "region")["numerator"] == 1


def test_status_against_30_percent_in_every_scope_and_the_vocational_reading_has_none():
    table = evaluate(t.compute(make()), periods=["2020-2021"])
    rate = table[table["indicator"] == "conversational_agents_establishments_rate"].set_index("academy")
    assert rate.loc["bordeaux", "status"] == "reached" and rate.loc["region", "status"] == "not_reached"
    assert rate.loc["region", "reading"].startswith("« 30 % des établissements » lu comme")
    voc = table[table["indicator"] == "conversational_agents_rate"].set_index("academy")
    assert (voc["status"] == "secondary").all() and voc["objective"].isna().all()
    assert voc.loc["region", "status_label"] == "Indicateur secondaire (sans objectif)"
    assert "lycées à voie professionnelle" in voc.loc["region", "reading"]


def test_breakdowns_by_kind_and_territory():
    data = make()
    kind = t.breakdown(data, "conversational_agents_rate", "region", "2020-2021", "kind").set_index("group")
    assert kind.loc["LP", "numerator"] == 1 and kind.loc["LP", "denominator"] == 2
    assert kind.loc["LPO", "value"] == 0
    terr = t.breakdown(data, "conversational_agents_rate", "region", "2020-2021", "territory").set_index("label")
    assert terr.loc["Rural", "denominator"] == 1 and terr.loc["Urbain", "denominator"] == 3


def test_compare_proportions_by_hand():
    res = t.compare_proportions(8, 10, 2, 10)
    assert res["diff"] == pytest.approx(60)
    assert res["p_value"] == pytest.approx(0.0230, abs=1e-4)  # Fisher, two-sided: 2 × 0.01149
    (l1, l2), (u1, u2) = wilson_interval(np.array([8, 2]), np.array([10, 10]))
    assert res["ci_low"] == pytest.approx((0.6 - np.sqrt((0.8 - l1) ** 2 + (u2 - 0.2) ** 2)) * 100)
    assert res["ci_high"] == pytest.approx((0.6 + np.sqrt((u1 - 0.8) ** 2 + (0.2 - l2) ** 2)) * 100)
    assert np.isnan(t.compare_proportions(1, 2, 0, 0)["diff"])


def test_compare_lycee_types_and_general_coverage():
    cmp = t.compare_lycee_types(make(), "region", "2021-2022").set_index("comparison")
    # LP: LP_33, LP_86, LP_NEW → 2 users of 3; LPO: LPO_86, LPO_87 → 1 of 2.
    assert cmp.loc["lp_lpo", "rate1"] == pytest.approx(200 / 3) and cmp.loc["lp_lpo", "rate2"] == 50
    assert "vocational_general" not in cmp.index
    assert t.lycee_type_table(make(), "region", "2021-2022")["group"].tolist() == ["LP", "LPO"]
    covered = make(with_legt=True)
    assert t.lycee_usage(covered).attrs["general_covered"]
    cmp = t.compare_lycee_types(covered, "region", "2021-2022").set_index("comparison")
    assert cmp.loc["vocational_general", "n2"] == 1 and cmp.loc["vocational_general", "rate2"] == 0
    assert t.lycee_type_table(covered, "region", "2021-2022")["group"].tolist() == ["LP", "LPO", "LEGT"]


def test_intensity_means_among_users():
    table = t.intensity_table(make(), "region", "2021-2022")
    lp = table[(table["measure"] == "sessions") & (table["group"] == "LP")].iloc[0]
    assert lp["value"] == pytest.approx(10) and lp["n"] == 2  # LP_33: 12, LP_NEW: 8
    lpo = table[(table["measure"] == "classes") & (table["group"] == "LPO")].iloc[0]
    assert lpo["value"] == 1 and np.isnan(lpo["ci_low"])  # one lycée: no interval
    test = table[(table["measure"] == "classes") & (table["group"] == "test")].iloc[0]
    assert np.isnan(test["value"])  # Welch needs two lycées per group


def test_intensity_tests_are_holm_adjusted_across_the_three_measures():
    # Two user lycées of each type in 2021-2022: LP_33 and LP_NEW, LPO_86 and LPO_87.
    extra = pd.DataFrame([{"period": "2021-2022", "uai": LPO_87, "agent": "Mondly", "classes_using": 4,
                           "sessions": 9, "pupils": 70, "department": "87", "academy": "limoges",
                           "first_use_date": pd.NaT}])
    data = Data.from_frames({"annuaire": annuaire(), "communes": communes(),
                             "agents_conversationnels": pd.concat([agents(), extra], ignore_index=True)})
    table = t.intensity_table(data, "region", "2021-2022")
    from scipy import stats as sps
    from statsmodels.stats.multitest import multipletests

    lp = {"classes": [3, 2], "sessions": [12, 8], "pupils": [50, 30]}
    lpo = {"classes": [1, 4], "sessions": [6, 9], "pupils": [20, 70]}
    raw = [sps.ttest_ind(lp[m], lpo[m], equal_var=False).pvalue for m in ("classes", "sessions", "pupils")]
    tests = table[table["group"] == "test"].set_index("measure")["value"]
    assert tests[["classes", "sessions", "pupils"]].tolist() == pytest.approx(multipletests(raw, method="holm")[1])
    assert tests.max() > max(raw) - 1e-12 and (tests >= np.array(raw) - 1e-12).all()


def test_cluster_permutation_test():
    y = np.array([5, 6, 5, 1, 0, 1])
    n = np.full(6, 10)
    g = np.array([True, True, True, False, False, False])
    res = t.cluster_permutation_test(y, n, g, permutations=999)
    assert res["diff"] == pytest.approx(160 / 3 - 20 / 3)
    # Of the 20 ways to split 6 establishments 3 / 3, two (this one and its mirror) are as
    # extreme: the exact p-value is 0.1, which 999 random permutations estimate closely.
    assert res["p_value"] == pytest.approx(0.1, abs=0.03)
    same = t.cluster_permutation_test(np.array([5, 5, 5, 5]), np.full(4, 10), np.array([True, True, False, False]))
    assert same["diff"] == 0 and same["p_value"] == 1
    assert np.isnan(t.cluster_permutation_test(y, n, np.ones(6, bool))["p_value"])


def test_samr_by_track():
    samr = pd.DataFrame({"response_id": ["a", "b", "c", "d", "e"], "uai": [LP_33, LP_33, LPO_86, LEGT_24, COL_33],
                         "samr_level": ["M", "S", "R", "S", "M"], "period": ["2020-2021"] * 5})
    samr["department"] = samr["uai"].str[1:3]
    samr["academy"] = samr["department"].map({"33": "bordeaux", "24": "bordeaux", "86": "poitiers"})
    table, test = t.samr_by_track(make(samr=samr), "region", "2020-2021")
    table = table.set_index("group")
    assert table.loc["vocational", "numerator"] == 2 and table.loc["vocational", "denominator"] == 3
    assert table.loc["general", "value"] == 0 and table.loc["vocational", "establishments"] == 2
    assert test["clusters1"] == 2 and test["clusters2"] == 1
    assert t.samr_by_track(make(), "region", "2020-2021")[0].empty


@pytest.mark.slow
def test_demo_agents_pole_and_objective(demo_dir):
    data = Data(demo_dir)
    s = t.compute(data)
    rate = s[s["indicator"] == "conversational_agents_rate"].set_index(["academy", "period"])["value"]
    # Injected: 18 % of LP + LPO in 2020-2021 (objective 30 % missed), 45 % in 2025-2026; Poitiers
    # (the pole, adoption weight × 1.6) ahead of the others.
    assert rate["region", "2020-2021"] == pytest.approx(18, abs=1)
    assert rate["region", "2025-2026"] == pytest.approx(45, abs=1)
    assert rate["poitiers", "2025-2026"] > rate["bordeaux", "2025-2026"] > rate["limoges", "2025-2026"]
    by_dept = t.breakdown(data, "conversational_agents_rate", "region", "2025-2026", "department")
    rural = by_dept["group"].isin(["23", "19", "24", "47", "79", "16"])
    pooled = by_dept.assign(rural=rural).groupby("rural")[["numerator", "denominator"]].sum()
    share = pooled["numerator"] / pooled["denominator"]
    assert share[False] - share[True] > 0.1  # rural departments lag (adoption weight × 0.4)
    table = evaluate(s, periods=["2020-2021", "2025-2026"], scopes=["region"]).set_index(["indicator", "period"])
    assert (table.loc["conversational_agents_rate", "status"] == "secondary").all()
    # Over every second-degree establishment (the demo's agents are in LP and LPO only): about
    # 4 % in 2020-2021 (30 % missed), 11 % in 2025-2026.
    est = table.loc["conversational_agents_establishments_rate"]
    assert est.loc["2020-2021", "value"] == pytest.approx(4.2, abs=0.5)
    assert est.loc["2020-2021", "status"] == "not_reached" and est.loc["2020-2021", "gap_closed"] == 0
    assert est.loc["2025-2026", "value"] == pytest.approx(10.7, abs=0.5)
    base, now = est.loc["2020-2021", "value"], est.loc["2025-2026", "value"]
    assert est.loc["2025-2026", "gap_closed"] == pytest.approx((now - base) / (30 - base) * 100)


def test_lycee_without_nature_code_counts_by_its_vocational_track():
    ann = annuaire()
    ann.loc[ann["uai"] == LPO_87, "nature_code"] = None  # type unknown, vocational track declared
    ann.loc[ann["uai"] == LEGT_24, "nature_code"] = None  # type unknown, no vocational track
    data = Data.from_frames({"annuaire": ann, "communes": communes(), "agents_conversationnels": agents()})
    lyc = t.lycees(data).set_index("uai")
    assert lyc.loc[LPO_87, "track"] == "vocational" and pd.isna(lyc.loc[LPO_87, "lycee_type"])
    assert lyc.loc[LEGT_24, "track"] == "unknown"
    row = value(t.compute(data), "conversational_agents_rate", "region")
    assert row["denominator"] == 4  # still LP_33, LP_86, LPO_86 and the untyped LPO_87
    kind = t.breakdown(data, "conversational_agents_rate", "region", "2020-2021", "kind")
    assert "Non renseigné" in kind["label"].tolist()


def test_users_unknown_to_the_annuaire_are_measured():
    # agents × annuaire: 0330099Z used an agent in 2020-2021 but the annuaire lacks it; the
    # private LP out of contract is outside the definition, not lost.
    frames = {"annuaire": annuaire(), "communes": communes(), "formations": formations(),
              "agents_conversationnels": pd.concat(
                  [agents(), agents().iloc[[0]].assign(uai="0330099Z")], ignore_index=True)}
    s = t.compute(Data.from_frames(frames))
    bx = value(s, "conversational_agents_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (1, 1)
    assert bx["coverage"] == 50.0
    assert bx["coverage_note"] == ("taux calculé sur 50\u202f% des lycées utilisateurs : 1 lycée utilisateur inconnu "
                                   "de l'annuaire")
    assert value(t.compute(make()), "conversational_agents_rate", "bordeaux")["coverage"] == 100.0
    assert value(s, "conversational_agents_rate", "region", "2021-2022")["coverage"] == 100.0
