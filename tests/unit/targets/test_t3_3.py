"""Target 3.3 — the Vienne TNE by difference in differences, on tiny hand-made panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.targets import t3_3_tne as t33

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


def _annuaire() -> pd.DataFrame:
    uais = list(PUPILS)
    frame = pd.DataFrame({"uai": uais, "kind": "college", "sector": "public",
                          "department": [u[1:3] for u in uais], "commune_code": [u[1:3] + "001" for u in uais]})
    frame["academy"] = frame["department"].map({"86": "poitiers", "87": "limoges"})
    frame["name"] = "Collège " + frame["uai"]
    frame["priority_education"] = "none"
    frame["opening_date"] = pd.Timestamp("1990-09-01")
    return frame


def _ent() -> pd.DataFrame:
    rows = []
    for uai, per_year in CONNECTIONS.items():
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


def _enrolment() -> pd.DataFrame:
    # E has no 3e pupils (it is in the ENT panel only).
    return pd.DataFrame([{"uai": u, "period": p, "level": "4e" if u == "0860005E" else "3e", "pupils": n}
                         for u, n in PUPILS.items() for p in PERIODS])


def _certifications() -> pd.DataFrame:
    rows = []
    for uai, per_year in CERTIFIED.items():
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
    assert e["ci_low"] < e["estimate"] < e["ci_high"]
    assert (e["n_treated"], e["n_control"], e["n_pre"], e["n_post"]) == (2, 2, 1, 1)   # E is a singleton
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
    assert (pix["note"] == t33.REGIONAL_NOTE).all()
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


@pytest.mark.slow
def test_demo_recovers_the_injected_tne_effects(demo_dir):
    """Demo: +25 % ENT connections per pupil; +6 points of 3e participation from 2021-2022."""
    from drane_analysis.demo.world import load_demo_params

    data = Data(demo_dir)
    last = max(t33.periods(data, "ent"), key=lambda p: int(p[:4]))
    ent = t33.effect(data, "ent", last)
    ent_effect = load_demo_params("ent")["connections"]["tne_effect"] * 100
    assert ent["ci_low"] <= ent_effect <= ent["ci_high"]
    assert ent["ci_high"] - ent["ci_low"] < 5
    pix = load_demo_params("pix")["certification"]
    sitting = 1 - pix["non_certifying_share"]           # establishments holding a session
    participation = pix["tne_participation"] * 100 * sitting
    certified = participation * (pix["validated_share"] - pix["cancelled_share"])
    part = t33.effect(data, "pix_participation", last)
    assert part["ci_low"] <= participation <= part["ci_high"]
    cert = t33.effect(data, "pix", last)
    assert cert["ci_low"] <= certified <= cert["ci_high"]
    assert cert["ci_low"] > 0                            # the effect is found, not only allowed
    # Placebo: the Vienne has the largest ENT effect of the twelve departments.
    assert t33.placebo(data, "ent", last).attrs["p_value"] == pytest.approx(1 / 12)
    assert np.isnan(t33.effect(data, "ent", "2020-2021")["estimate"])
