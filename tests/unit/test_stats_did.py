"""Difference in differences (``stats.diff_in_diff``): hand-worked panels and a reference fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import t as scipy_t

from drane_analysis.stats import (
    conley_taber_interval,
    diff_in_diff,
    permutation_p_value,
    placebo_inference,
)


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


# --------------------------------------------------------------------------- one treated group


def test_permutation_p_value_is_the_rank_over_every_group():
    assert permutation_p_value(3.0, [1.0, -4.0, 2.0]) == pytest.approx(2 / 4)     # |−4| ≥ 3: second of four
    assert permutation_p_value(-10.0, [1.0, -4.0, 2.0]) == pytest.approx(1 / 4)   # the floor: 1 / G
    assert permutation_p_value(2.0, [-2.0, 1.0]) == pytest.approx(2 / 3)          # a tie counts against
    assert permutation_p_value(0.0, [1.0, 2.0]) == 1.0
    assert np.isnan(permutation_p_value(1.0, [])) and np.isnan(permutation_p_value(1.0, [0.5, np.nan]))
    assert np.isnan(permutation_p_value(np.nan, [0.5]))


def test_conley_taber_interval_by_hand():
    ct = conley_taber_interval(5.0, [-1.0, 0.5, 1.0, -0.5])
    # Student: s² = (1 + 0.25 + 1 + 0.25) / 4, N0 − 1 = 3 degrees of freedom.
    half = scipy_t.ppf(0.975, 3) * np.sqrt(0.625)
    assert (ct["ci_low"], ct["ci_high"], ct["df"]) == pytest.approx((5 - half, 5 + half, 3))
    # Ranks: four placebos reach 95 % with no finite interval; the range covers 3 / 5.
    assert (ct["rank_low"], ct["rank_high"], ct["rank_coverage"]) == pytest.approx((4.0, 6.0, 0.6))
    assert not ct["rank_reaches_level"]
    at_half = conley_taber_interval(5.0, [-1.0, 0.5, 1.0, -0.5], level=0.5)
    assert at_half["rank_reaches_level"] and at_half["rank_coverage"] == pytest.approx(0.6)
    # 79 placebos: the 2nd smallest and 2nd largest give exactly 76 / 80 = 95 %.
    draws = np.arange(79) - 39.0
    many = conley_taber_interval(0.0, draws)
    assert many["rank_reaches_level"] and many["rank_coverage"] == pytest.approx(0.95)
    assert (many["rank_low"], many["rank_high"]) == pytest.approx((-38.0, 38.0))
    assert np.isnan(conley_taber_interval(1.0, [0.3])["ci_low"])


def _groups_panel(changes: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Two units per group, two years; each unit's change given (level differences do not matter)."""
    rows = []
    for g, pair in changes.items():
        for k, change in enumerate(pair):
            base = 10.0 * k + len(rows)
            rows += [{"uai": f"{g}{k}", "dept": g, "year": 2020, "y": base},
                     {"uai": f"{g}{k}", "dept": g, "year": 2021, "y": base + change}]
    return pd.DataFrame(rows)


def test_placebo_inference_by_hand():
    # Mean changes: A (treated) +5, B +1, C +2, D +3. A: 5 − 2 = 3; placebos, against the two
    # other comparison groups: B 1 − 2.5 = −1.5, C 2 − 2 = 0, D 3 − 1.5 = 1.5.
    frame = _groups_panel({"A": (4.0, 6.0), "B": (0.0, 2.0), "C": (1.5, 2.5), "D": (3.0, 3.0)})
    inf = placebo_inference(frame, "y", unit="uai", time="year", group="dept", treated_group="A",
                            first_treated=2021)
    assert inf.identified and inf.estimate == pytest.approx(3.0)
    assert inf.placebo.set_index("group")["estimate"].to_dict() == pytest.approx({"B": -1.5, "C": 0.0, "D": 1.5})
    assert (inf.p_value, inf.p_floor, inf.n_groups) == pytest.approx((0.25, 0.25, 4))
    half = scipy_t.ppf(0.975, 2) * np.sqrt(1.5)
    assert (inf.ci_low, inf.ci_high) == pytest.approx((3 - half, 3 + half))
    assert (inf.rank_low, inf.rank_high, inf.rank_coverage) == pytest.approx((1.5, 4.5, 0.5))
    assert inf.fit.estimate == pytest.approx(3.0) and inf.fit.n_clusters == 8     # clustered by unit
    # The same with the event study: one pre year, the reference; the post year is the estimate.
    ev = placebo_inference(frame, "y", unit="uai", time="year", group="dept", treated_group="A",
                           first_treated=2021, event_study=True)
    post = ev.event_study.set_index("time").loc[2021]
    assert (post["estimate"], post["ci_low"], post["ci_high"], post["n_placebo"]) == pytest.approx(
        (3.0, 3 - half, 3 + half, 3))
    assert np.isnan(ev.pretrend_p)                     # nothing before the reference year


def test_placebo_inference_without_enough_groups():
    frame = _groups_panel({"A": (4.0, 6.0), "B": (0.0, 2.0)})
    inf = placebo_inference(frame, "y", unit="uai", time="year", group="dept", treated_group="A",
                            first_treated=2021)
    assert inf.identified and inf.estimate == pytest.approx(4.0)
    assert np.isnan(inf.p_value) and np.isnan(inf.ci_low) and inf.n_groups == 1
    assert "sans estimation placebo" in inf.note
    missing = placebo_inference(frame, "y", unit="uai", time="year", group="dept", treated_group="Z",
                                first_treated=2021)
    assert not missing.identified and missing.note.startswith("pas d'unité traitée")


def test_placebo_pretrend_ranks_the_treated_groups_departures_before():
    # Six groups, three years (2019, 2020, then 2021 treated): only A departs before the treatment.
    rows = []
    for g, drift in zip("ABCDEF", (3.0, 0.1, -0.2, 0.3, -0.1, 0.05), strict=True):
        for k in range(2):
            for year in (2019, 2020, 2021):
                rows.append({"uai": f"{g}{k}", "dept": g, "year": year,
                             "y": k + (drift if year == 2019 else 0.0) + 0.01 * k * (year - 2019)})
    inf = placebo_inference(pd.DataFrame(rows), "y", unit="uai", time="year", group="dept", treated_group="A",
                            first_treated=2021, event_study=True)
    assert inf.pretrend_p == pytest.approx(1 / 6)                # A's departure is the largest of six
    assert list(inf.event_study["role"]) == ["pre", "reference", "post"]


def _shocked_panel(rng: np.random.Generator, groups: int = 12, units: int = 5, shock_sd: float = 1.0,
                   noise_sd: float = 0.3) -> pd.DataFrame:
    """No effect at all; group × year shocks common to every unit of a group (sizes vary)."""
    rows = []
    years = (2018, 2019, 2020, 2021)
    for g in range(groups):
        shocks = rng.normal(0, shock_sd, len(years))
        for k in range(units + g % 3):
            level = rng.normal()
            for year, shock in zip(years, shocks, strict=True):
                rows.append({"uai": f"g{g}u{k}", "dept": f"d{g:02d}", "year": year,
                             "y": level + 0.2 * year + shock + rng.normal(0, noise_sd)})
    return pd.DataFrame(rows)


def test_one_treated_group_with_group_shocks_clustering_by_unit_is_over_confident():
    """What the Vienne's estimate faces: 12 groups, one treated, shocks common to a group and a year.

    Over 60 panels with no effect, the 95 % interval clustered by unit excludes 0 most of
    the time; the Conley–Taber interval keeps close to its level, and the permutation
    p-value is never below 1/12 and reaches it about one time in twelve.
    """
    rng = np.random.default_rng(20210115)
    draws = 60
    cluster_misses = ct_misses = at_floor = 0
    for _ in range(draws):
        inf = placebo_inference(_shocked_panel(rng), "y", unit="uai", time="year", group="dept",
                                treated_group="d00", first_treated=2020)
        cluster_misses += not inf.fit.ci_low <= 0 <= inf.fit.ci_high
        ct_misses += not inf.ci_low <= 0 <= inf.ci_high
        assert inf.p_value >= 1 / 12 - 1e-12 and inf.n_groups == 12
        at_floor += inf.p_value <= 1 / 12 + 1e-12
    assert cluster_misses >= 0.6 * draws          # nominally 5 %: 3 of 60
    assert ct_misses <= 0.15 * draws              # expected about 3 of 60 (binomial sd 1.7)
    assert at_floor <= 0.2 * draws                # expected 5 of 60 (sd 2.1)
