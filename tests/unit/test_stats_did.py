"""Difference in differences (``stats.diff_in_diff``): hand-worked panels and a reference fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from drane_analysis.stats import diff_in_diff


def _two_by_two() -> pd.DataFrame:
    """Four units, two years; treated units 'a', 'b'. Hand DiD: (+3, +5) vs (+1, +2) → 4 − 1.5 = 2.5."""
    rows = [
        ("a", 2020, True, 10.0), ("a", 2021, True, 13.0),
        ("b", 2020, True, 20.0), ("b", 2021, True, 25.0),
        ("c", 2020, False, 8.0), ("c", 2021, False, 9.0),
        ("d", 2020, False, 30.0), ("d", 2021, False, 32.0),
    ]
    return pd.DataFrame(rows, columns=["unit", "year", "treated", "y"])


def test_two_by_two_equals_the_difference_of_mean_changes():
    res = diff_in_diff(_two_by_two(), "y", unit="unit", time="year", treated="treated", first_treated=2021)
    assert res.identified
    assert res.estimate == pytest.approx(2.5)
    assert res.n_obs == 8 and res.n_units == 4 and res.n_treated_units == 2 and res.n_clusters == 4
    assert res.n_pre_periods == 1 and res.n_post_periods == 1
    assert res.ci_low < 2.5 < res.ci_high
    # One pre-period: the event study has the reference year (0) and one post year equal to the DiD.
    ev = res.event_study.set_index("time")
    assert ev.loc[2020, "role"] == "reference" and ev.loc[2020, "estimate"] == 0.0
    assert ev.loc[2021, "estimate"] == pytest.approx(2.5)
    # Nothing to test before the reference year.
    assert res.pretrend_df == 0 and np.isnan(res.pretrend_p)


def test_weights_give_the_weighted_mean_changes():
    frame = _two_by_two()
    frame["w"] = frame["unit"].map({"a": 1.0, "b": 3.0, "c": 2.0, "d": 2.0})
    res = diff_in_diff(frame, "y", unit="unit", time="year", treated="treated", first_treated=2021, weights="w")
    # treated: (1·3 + 3·5) / 4 = 4.5 ; control: (2·1 + 2·2) / 4 = 1.5
    assert res.estimate == pytest.approx(3.0)


def test_cluster_robust_standard_error_by_hand():
    """Two periods, two treated and two control units: worked out by hand.

    After removing the unit and year effects the regressor is ±1/4 and the residuals are
    ±ê/2 (ê: a unit's change minus its group's mean change), so each cluster's score is
    ±ê/4, Σ x̃² = 1/2 and the sandwich gives Σ_T ê²/4 + Σ_C ê²/4, times the CRV1 factor
    G/(G−1) · (N−1)/(N−K) with K = 1 regressor (the fixed effects are nested in the clusters).
    """
    res = diff_in_diff(_two_by_two(), "y", unit="unit", time="year", treated="treated", first_treated=2021)
    g, n, k = 4, 8, 1
    resid_t = np.array([-1.0, 1.0])      # changes 3 and 5 around 4
    resid_c = np.array([-0.5, 0.5])      # changes 1 and 2 around 1.5
    var = (resid_t ** 2).sum() / 2 ** 2 + (resid_c ** 2).sum() / 2 ** 2
    expected = np.sqrt(g / (g - 1) * (n - 1) / (n - k) * var)
    assert res.se == pytest.approx(expected)


def _panel(seed: int = 3, n: int = 120, effect: float = 0.5, pre_slope: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        treated = i < n // 4
        kind = "lycee" if i % 3 == 0 else "college"
        level = rng.normal()
        for year in range(2018, 2024):
            if rng.random() < 0.12:        # unbalanced
                continue
            trend = 0.1 * (year - 2018) * (2 if kind == "lycee" else 1)
            drift = pre_slope * (year - 2020) * treated if year < 2021 else 0.0
            y = level + trend + drift + effect * (treated and year >= 2021) + rng.normal(scale=0.3)
            rows.append({"uai": f"u{i:03d}", "year": year, "treated": treated, "kind": kind, "y": y,
                         "pupils": int(rng.integers(50, 600))})
    return pd.DataFrame(rows)


def test_matches_least_squares_with_dummies_on_an_unbalanced_weighted_panel():
    frame = _panel()
    res = diff_in_diff(frame, "y", unit="uai", time="year", treated="treated", first_treated=2021,
                       weights="pupils", time_by="kind")
    frame = frame.assign(post=(frame["treated"] & (frame["year"] >= 2021)).astype(float))
    # Full-rank dummies: one per unit, one per (year, kind) but the first of each kind.
    year_kind = pd.get_dummies(frame["year"].astype(str) + frame["kind"], dtype=float)
    year_kind = year_kind.drop(columns=[f"2018{k}" for k in ("college", "lycee")])
    exog = pd.concat([frame[["post"]], pd.get_dummies(frame["uai"], dtype=float), year_kind], axis=1)
    ref = sm.WLS(frame["y"], exog, weights=frame["pupils"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["uai"])[0]}, use_t=True)
    assert np.linalg.matrix_rank(exog.to_numpy()) == exog.shape[1]
    assert res.estimate == pytest.approx(ref.params["post"], abs=1e-8)
    # The dummies count as parameters in the reference's small-sample factor; the fixed
    # effects nested in the clusters do not (as in reghdfe): rescale to compare.
    n, k_ref = len(frame), exog.shape[1]
    assert res.se == pytest.approx(ref.bse["post"] * np.sqrt((n - k_ref) / (n - 1)), rel=1e-6)
    assert res.ci_low < 0.5 < res.ci_high


def test_event_study_and_pretrend_test():
    parallel = diff_in_diff(_panel(), "y", unit="uai", time="year", treated="treated", first_treated=2021,
                            time_by="kind")
    ev = parallel.event_study.set_index("time")
    assert list(ev["role"]) == ["pre", "pre", "reference", "post", "post", "post"]
    assert ev.loc[2020, "estimate"] == 0.0 and np.isnan(ev.loc[2020, "ci_low"])
    post = ev[ev["role"] == "post"]
    assert ((post["ci_low"] < 0.5) & (post["ci_high"] > 0.5)).all()
    assert parallel.pretrend_df == 2 and parallel.pretrend_p > 0.05
    diverging = diff_in_diff(_panel(pre_slope=0.4), "y", unit="uai", time="year", treated="treated",
                             first_treated=2021, time_by="kind")
    assert diverging.pretrend_p < 0.001


def test_singletons_dropped_and_missing_outcomes_ignored():
    frame = pd.concat([_two_by_two(), pd.DataFrame([
        {"unit": "e", "year": 2021, "treated": False, "y": 100.0},      # seen once: no information
        {"unit": "f", "year": 2020, "treated": False, "y": np.nan},     # missing outcome
        {"unit": "f", "year": 2021, "treated": False, "y": 7.0},
    ])], ignore_index=True)
    res = diff_in_diff(frame, "y", unit="unit", time="year", treated="treated", first_treated=2021)
    assert res.n_units == 4 and res.n_obs == 8
    assert res.estimate == pytest.approx(2.5)


@pytest.mark.parametrize(("change", "note"), [
    (lambda f: f[f["year"] == 2020].assign(year=[2019, 2019, 2019, 2019]).pipe(lambda x: pd.concat([f[f["year"] == 2020], x])),
     "aucune période après le traitement"),
    (lambda f: f.assign(treated=False), "pas d'unité traitée"),
    (lambda f: f.assign(treated=True), "pas d'unité de comparaison"),
])
def test_not_identified(change, note):
    res = diff_in_diff(change(_two_by_two()), "y", unit="unit", time="year", treated="treated", first_treated=2021)
    assert not res.identified
    assert res.note == note
    assert np.isnan(res.estimate) and res.event_study.empty


def test_no_period_before():
    res = diff_in_diff(_two_by_two().assign(year=lambda f: f["year"] + 1), "y", unit="unit", time="year",
                       treated="treated", first_treated=2021)
    assert not res.identified and res.note == "aucune période avant le traitement"


def test_treated_must_be_constant_within_unit():
    frame = _two_by_two()
    frame.loc[0, "treated"] = False
    with pytest.raises(ValueError, match="constante"):
        diff_in_diff(frame, "y", unit="unit", time="year", treated="treated", first_treated=2021)
