"""Target 3.3 — the Vienne TNE by difference in differences, on tiny hand-made panels."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from drane_analysis import referential
from drane_analysis.data import Data
from drane_analysis.stats import t_quantile
from drane_analysis.targets import t3_3_tne as t33
from drane_analysis.views import v3_3_tne as v33

PERIODS = ("2020-2021", "2021-2022")
PUPILS = {"0860001A": 100, "0860002B": 300, "0870003C": 200, "0870004D": 200, "0860005E": 150}
# Yearly ENT connections (all profiles). Connections per pupil: A 80 → 120, B 90 → 120 (Vienne);
# C 80 → 90, D 100 → 110 (Haute-Vienne). E's 2021-2022 export misses a month: left out.
CONNECTIONS = {
    "0860001A": (8_000, 12_000), "0860002B": (27_000, 36_000),
    "0870003C": (16_000, 18_000), "0870004D": (20_000, 22_000), "0860005E": (15_000, 15_000),
}
# 3e pupils certified (validated): rates A 50 → 70, B 50 → 60, C 40 → 45, D 50 → 55 (%).
CERTIFIED = {"0860001A": (50, 70), "0860002B": (150, 180), "0870003C": (80, 90), "0870004D": (100, 110)}
NOT_OBTAINED = {("0860001A", "2021-2022"): 10}


def _annuaire(pupils: dict = PUPILS) -> pd.DataFrame:
    uais = list(pupils)
    frame = pd.DataFrame({"uai": uais, "kind": "college", "sector": "public",
                          "department": [u[1:3] for u in uais], "commune_code": [u[1:3] + "001" for u in uais]})
    frame["academy"] = frame["department"].map(referential.academy_of_department)
    frame["name"] = "Collège " + frame["uai"]
    frame["priority_education"] = "none"
    frame["opening_date"] = pd.Timestamp("1990-09-01")
    return frame


def _ent(connections: dict = CONNECTIONS) -> pd.DataFrame:
    rows = []
    for uai, per_year in connections.items():
        for period, total in zip(PERIODS, per_year, strict=True):
            start = int(period[:4])
            months = [pd.Timestamp(start, m, 1) for m in range(9, 13)] + [pd.Timestamp(start + 1, m, 1)
                                                                         for m in range(1, 7)]
            if uai == "0860005E" and period == "2021-2022":
                months = months[:-1]          # June missing
            for month in months:
                rows.append({"platform": "lycee-connecte", "period": period, "month": month, "uai": uai,
                             "department": uai[1:3], "academy": None, "profile": "student",
                             "connections": total // 10, "unique_visitors": 1, "accounts_loaded": 1,
                             "accounts_activated": 1})
    return pd.DataFrame(rows)


def _enrolment(pupils: dict = PUPILS) -> pd.DataFrame:
    # E has no 3e pupils (it is in the ENT panel only).
    return pd.DataFrame([{"uai": u, "period": p, "level": "4e" if u == "0860005E" else "3e", "pupils": n}
                         for u, n in pupils.items() for p in PERIODS])


def _certifications(certified: dict = CERTIFIED) -> pd.DataFrame:
    rows = []
    for uai, per_year in certified.items():
        for period, n in zip(PERIODS, per_year, strict=True):
            rows += [{"uai": uai, "period": period, "status": "validated", "score": 150}] * n
            rows += [{"uai": uai, "period": period, "status": "not_obtained", "score": np.nan}] * \
                NOT_OBTAINED.get((uai, period), 0)
    return pd.DataFrame(rows)


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"annuaire": _annuaire(), "ent_comptes": _ent(), "effectifs_college": _enrolment(),
                             "pix_certification": _certifications()})


def _weighted_change(values: dict, weights: dict) -> float:
    return sum(weights[u] * v for u, v in values.items()) / sum(weights[u] for u in values)


def test_ent_panel(data):
    panel = t33.ent_panel(data)
    assert set(panel["uai"]) == set(PUPILS)           # E kept for its complete year
    assert len(panel) == 9 and panel.attrs["incomplete"] == 1
    row = panel[(panel["uai"] == "0860001A") & (panel["period"] == "2021-2022")].iloc[0]
    assert row["connections_per_pupil"] == pytest.approx(120.0)
    assert bool(row["treated"]) and bool(row["after"])


def test_ent_effect_by_hand(data):
    dlog = {"0860001A": np.log(1.5), "0860002B": np.log(120 / 90), "0870003C": np.log(90 / 80),
            "0870004D": np.log(1.1)}
    treated = _weighted_change({u: dlog[u] for u in ("0860001A", "0860002B")}, PUPILS)
    control = _weighted_change({u: dlog[u] for u in ("0870003C", "0870004D")}, PUPILS)
    expected = 100 * (np.exp(treated - control) - 1)
    e = t33.effect(data, "ent", "2021-2022")
    assert e["identified"] and e["estimate"] == pytest.approx(expected)
    assert e["cluster_ci_low"] < e["estimate"] < e["cluster_ci_high"]
    assert (e["n_treated"], e["n_control"], e["n_pre"], e["n_post"]) == (2, 2, 1, 1)   # E is a singleton
    # Two departments: the Haute-Vienne cannot be a placebo, so no interval nor p-value fits the
    # design (the clustered one stays, for reference only).
    assert np.isnan(e["ci_low"]) and np.isnan(e["ci_high"]) and np.isnan(e["p_value"])
    assert e["n_departments"] == 1 and "sans estimation placebo" in e["note"]
    unweighted = t33.effect(data, "ent", "2021-2022", "unweighted")["estimate"]
    plain = np.mean([dlog["0860001A"], dlog["0860002B"]]) - np.mean([dlog["0870003C"], dlog["0870004D"]])
    assert unweighted == pytest.approx(100 * (np.exp(plain) - 1))


def test_pix_effects_by_hand(data):
    # Certification: Vienne (100·20 + 300·10) / 400 = 12.5 points, Haute-Vienne +5 → 7.5 points.
    assert t33.effect(data, "pix", "2021-2022")["estimate"] == pytest.approx(7.5)
    # Participation: A also had 10 candidates not obtaining it in 2021-2022 (50 → 80 %) → 10 points.
    assert t33.effect(data, "pix_participation", "2021-2022")["estimate"] == pytest.approx(10.0)
    ev = t33.event_study(data, "pix", "2021-2022")
    assert list(ev["role"]) == ["reference", "post"]
    assert ev["estimate"].tolist() == pytest.approx([0.0, 7.5])


def test_pix_effect_counts_pupils_not_certification_rows():
    # The same panel with a pupil number; the Vienne collège A's 2021-2022 pupils also have a
    # second validated row (a second session) for 30 of them and 20 CléA rows: neither may
    # count. Rows would have made A 120 % in 2021-2022 and the effect 7.5 + 50 × 100 / 400.
    cert = _certifications()
    cert["pupil_id"] = [f"P{i}" for i in range(len(cert))]
    cert["certification_type"] = "Pix"
    again = cert[(cert["uai"] == "0860001A") & (cert["period"] == "2021-2022")
                 & (cert["status"] == "validated")].head(30)
    clea = again.head(20).assign(certification_type="CléA Numérique by Pix", score=np.nan)
    frames = {"annuaire": _annuaire(), "ent_comptes": _ent(), "effectifs_college": _enrolment(),
              "pix_certification": pd.concat([cert, again, clea], ignore_index=True)}
    d = Data.from_frames(frames)
    panel = t33.pix_panel(d).set_index(["uai", "period"])
    assert panel.loc[("0860001A", "2021-2022"), "rate"] == pytest.approx(70.0)
    assert t33.effect(d, "pix", "2021-2022")["estimate"] == pytest.approx(7.5)


def test_compute_first_year_has_no_after(data):
    series = t33.compute(data)
    assert set(series["academy"]) == {"bordeaux", "limoges", "poitiers", "region"}
    first = series[series["period"] == "2020-2021"]
    assert first["value"].isna().all()
    assert first["note"].str.contains("pas encore d'année après la rentrée 2021").all()
    pix = series[(series["indicator"] == "tne_effect_pix_certification") & (series["period"] == "2021-2022")]
    assert pix["value"].to_numpy() == pytest.approx([7.5] * 4)      # the same regional value everywhere
    assert pix["note"].str.startswith(t33.REGIONAL_NOTE).all()
    assert pix["note"].str.contains("pas de p de permutation").all() and pix["ci_low"].isna().all()
    check = t33.pretrend_check(data, "ent", "2021-2022")
    assert check["pre_periods"] == 1 and not check["testable"] and check["verdict"] == "non testable"
    assert t33.event_study(data, "ent", "2020-2021").empty


def test_profiles_and_comparison_groups(data):
    prof = t33.department_profiles(data).set_index("department")
    assert prof.loc["86", "distance"] == 0.0 and np.isnan(prof.loc["33", "distance"])   # no data in Gironde
    assert prof.loc["87", "rank"] == 1 and bool(prof.loc["87", "closest"])
    assert prof.loc["86", "ent_level"] == pytest.approx((8_000 + 27_000 + 15_000) / 550)
    assert prof.loc["87", "pix_level"] == pytest.approx(45.0)
    assert len(t33.comparison_departments(data, "all")) == 11
    assert t33.comparison_departments(data, "closest") == ["87"]


def test_group_trends_and_counterfactual(data):
    trends = t33.group_trends(data, "pix", "2021-2022").set_index(["group", "year"])
    assert trends.loc[("tne", 2021), "value"] == pytest.approx(62.5)
    # Vienne's 50 % before, moved as the comparison group moved (45 → 50): 55 %.
    assert trends.loc[("tne", 2021), "counterfactual"] == pytest.approx(55.0)


def test_scope_context(data):
    ctx = t33.scope_context(data, "limoges", "2021-2022").set_index("department")
    assert list(ctx.index) == ["19", "23", "87", "86", "scope"]
    assert not ctx.loc["86", "in_scope"] and ctx.loc["scope", "in_scope"]
    assert ctx.loc["86", "ent_now"] == pytest.approx(48_000 / 400)       # E left out in 2021-2022
    assert ctx.loc["87", "pix_change"] == pytest.approx(5.0)
    assert ctx.loc["87", "pix_change_low"] < 5.0 < ctx.loc["87", "pix_change_high"]
    first = t33.scope_context(data, "limoges", "2020-2021").set_index("department")
    assert np.isnan(first.loc["87", "pix_change"]) and np.isnan(first.loc["87", "ent_change"])


def test_placebo_needs_other_departments(data):
    table = t33.placebo(data, "pix", "2021-2022")
    assert table.set_index("department").loc["86", "estimate"] == pytest.approx(7.5)
    assert np.isnan(table.attrs["p_value"])          # Haute-Vienne alone cannot be a placebo


# Four departments, one collège each, 100 pupils in 3e: the placebo worked out by hand.
# Pix certification (%), before → after: Vienne 50 → 62 (+12); Haute-Vienne 40 → 45 (+5),
# Charente 50 → 52 (+2), Charente-Maritime 30 → 38 (+8). ENT connections per pupil: Vienne
# 100 → 110, Haute-Vienne 100 → 130, Charente 100 → 100, Charente-Maritime 100 → 105.
FOUR = {"0860001A": 100, "0870002B": 100, "0160003C": 100, "0170004D": 100}
FOUR_CERTIFIED = {"0860001A": (50, 62), "0870002B": (40, 45), "0160003C": (50, 52), "0170004D": (30, 38)}
FOUR_CONNECTIONS = {"0860001A": (10_000, 11_000), "0870002B": (10_000, 13_000), "0160003C": (10_000, 10_000),
                    "0170004D": (10_000, 10_500)}


@pytest.fixture
def four() -> Data:
    return Data.from_frames({"annuaire": _annuaire(FOUR), "ent_comptes": _ent(FOUR_CONNECTIONS),
                             "effectifs_college": _enrolment(FOUR),
                             "pix_certification": _certifications(FOUR_CERTIFIED)})


def test_placebo_inference_over_four_departments_by_hand(four):
    # Vienne: +12 − mean(+5, +2, +8) = 7 points. Placebos, each against the two other
    # comparison departments: Haute-Vienne 5 − 5 = 0, Charente 2 − 6.5 = −4.5,
    # Charente-Maritime 8 − 3.5 = +4.5.
    table = t33.placebo(four, "pix", "2021-2022").set_index("department")
    assert table["estimate"].to_dict() == pytest.approx({"86": 7.0, "87": 0.0, "16": -4.5, "17": 4.5})
    assert table.attrs["p_value"] == pytest.approx(1 / 4) and table.attrs["n"] == 4
    e = t33.effect(four, "pix", "2021-2022")
    assert e["estimate"] == pytest.approx(7.0)
    assert (e["p_value"], e["p_floor"], e["n_departments"]) == pytest.approx((0.25, 0.25, 4))
    # Conley–Taber: 7 ± t(0.975, 2) · √((0² + 4.5² + 4.5²) / 3); without assumption on the law,
    # 7 − [max, min] of the placebos = [2.5 ; 11.5], covering 2 / 4 of the time.
    half = t_quantile(0.975, 2) * np.sqrt(13.5)
    assert (e["ci_low"], e["ci_high"]) == pytest.approx((7 - half, 7 + half))
    assert (e["rank_low"], e["rank_high"], e["rank_coverage"]) == pytest.approx((2.5, 11.5, 0.5))
    # The establishment-clustered interval is much narrower: it knows nothing of the spread
    # between departments.
    assert e["cluster_ci_high"] - e["cluster_ci_low"] < (e["ci_high"] - e["ci_low"]) / 2
    rows = t33.compute(four)
    rows = rows[(rows["indicator"] == "tne_effect_pix_certification") & (rows["period"] == "2021-2022")]
    assert rows["ci_low"].to_numpy() == pytest.approx([7 - half] * 4)
    assert rows["note"].iloc[0] == (
        f"{t33.REGIONAL_NOTE} ; p de permutation = 1/4 (0,250), le plus petit possible avec 4 départements : le "
        "plan ne peut pas montrer un effet significatif au seuil de 5 % ; intervalle à 95 % de Conley–Taber "
        "(dispersion des effets placebo des 3 autres départements, loi de Student), pas l'intervalle par "
        "établissement qui ignore les chocs départementaux")


def _affirmed_significance(text: str) -> list[str]:
    """Every "significatif" of a text that is not the design's « ne peut pas montrer un effet significatif »."""
    cleaned = re.sub(r"ne peut pas montrer un effet significatif", "", text.replace("*", ""))
    return re.findall(r"[^.]*significati[^.]*", cleaned)


def test_key_messages_state_the_permutation_p_value_and_never_claim_significance(four):
    rpt = SimpleNamespace(data=four, period="2021-2022", scope="region")
    text = v33.key_messages(rpt)
    # Pix: the Vienne has the largest effect of 4, p = 1/4 — the floor, and still not 5 %.
    assert "la Vienne a l'écart le plus fort : p de permutation = 1/4 (0,250), le plus petit possible" in text
    assert "**le plan ne peut pas montrer un effet significatif au seuil de 5 %**" in text
    # ENT: the Vienne (+10 %) has the smallest departure of the four departments.
    assert "la Vienne n'a que le 4e écart le plus fort : p de permutation = 4/4 (1,000)" in text
    assert "Conley–Taber" in text and not _affirmed_significance(text)
    assert t33.permutation_text(0.01, 100).endswith("effet significatif au seuil de 5 % (test de permutation)")
    assert _affirmed_significance("L'effet est **significatif**.")          # the helper sees the old wording


@pytest.mark.slow
def test_demo_recovers_the_injected_tne_effects(demo_dir):
    """Demo: +25 % ENT connections per pupil; +6 points of 3e participation from 2021-2022."""
    from drane_analysis.demo.world import load_demo_params

    data = Data(demo_dir)
    last = max(t33.periods(data, "ent"), key=lambda p: int(p[:4]))
    ent = t33.effect(data, "ent", last)
    ent_effect = load_demo_params("ent")["connections"]["tne_effect"] * 100
    assert ent["ci_low"] <= ent_effect <= ent["ci_high"]
    # The demo's department × year shocks move the Vienne's estimate as a whole: the interval
    # clustered by establishment ignores them, is several times too narrow and misses the
    # injected effect; the Conley–Taber interval, from the placebo spread, covers it.
    assert (ent["cluster_ci_high"] - ent["cluster_ci_low"]) * 5 < ent["ci_high"] - ent["ci_low"]
    assert not ent["cluster_ci_low"] <= ent_effect <= ent["cluster_ci_high"]
    pix = load_demo_params("pix")["certification"]
    sitting = 1 - pix["non_certifying_share"]           # establishments holding a session
    participation = pix["tne_participation"] * 100 * sitting
    certified = participation * (pix["validated_share"] - pix["cancelled_share"])
    part = t33.effect(data, "pix_participation", last)
    assert part["ci_low"] <= participation <= part["ci_high"]
    cert = t33.effect(data, "pix", last)
    assert cert["ci_low"] <= certified <= cert["ci_high"]
    # Placebo: the Vienne has the largest ENT effect of the twelve departments — the floor
    # 1/12, and the design can show no more; its Pix effect is not the largest.
    assert t33.placebo(data, "ent", last).attrs["p_value"] == pytest.approx(1 / 12)
    assert ent["p_value"] == pytest.approx(1 / 12) and ent["p_floor"] == pytest.approx(1 / 12)
    assert cert["p_value"] > 1 / 12
    assert np.isnan(t33.effect(data, "ent", "2020-2021")["estimate"])
    # No year's report claims significance: the design's p-value cannot go below 1/12.
    for period in t33.periods(data, "ent"):
        text = v33.key_messages(SimpleNamespace(data=data, period=period, scope="region"))
        assert not _affirmed_significance(text), (period, text)
    series = t33.compute(data)
    after = series[series["value"].notna()]
    assert after["note"].str.contains("p de permutation = ").all()
    assert after["note"].str.contains("le plan ne peut pas montrer un effet significatif au seuil de 5 %").all()
