"""Statistics checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drane_analysis import stats


def test_wilson_interval_by_hand():
    # k = 457, n = 549, z = 1.959964: p = 0.832423, centre = (p + z²/2n) / (1 + z²/n),
    # half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)
    k, n, z = 457, 549, 1.959963985
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    lo, hi = stats.wilson_interval(k, n)
    assert float(lo) == pytest.approx(centre - half, abs=1e-9)
    assert float(hi) == pytest.approx(centre + half, abs=1e-9)


def test_wilson_of_zero_denominator_is_missing():
    lo, hi = stats.wilson_interval(np.array([0, 3]), np.array([0, 10]))
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and 0 < lo[1] < 0.3 < hi[1]


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=500))
def test_wilson_contains_the_rate_and_stays_in_0_1(k, n):
    k = min(k, n)
    lo, hi = stats.wilson_interval(k, n)
    assert 0 <= float(lo) <= k / n + 1e-12 and k / n - 1e-12 <= float(hi) <= 1


def test_rate_table_sums_then_divides():
    frame = pd.DataFrame({"g": ["a", "a", "b"], "num": [1, 2, 0], "den": [2, 4, 5]})
    table = stats.rate_table(frame, "num", "den", by=["g"])
    assert table["value"].tolist() == [50.0, 0.0]
    assert table["numerator"].tolist() == [3, 0] and table["denominator"].tolist() == [6, 5]


def test_mean_interval_by_hand():
    # values 2, 4, 6: mean 4, sd 2, se 2/sqrt(3), t(0.975, 2) = 4.302653
    mean, lo, hi, n = stats.mean_interval([2, 4, 6])
    assert (mean, n) == (4.0, 3)
    assert hi - mean == pytest.approx(4.302653 * 2 / np.sqrt(3), rel=1e-6)
    assert mean - lo == pytest.approx(hi - mean)


def test_mean_table_by_group():
    frame = pd.DataFrame({"g": ["x", "x", "x", "y"], "v": [2, 4, 6, 10]})
    table = stats.mean_table(frame, "v", by=["g"]).set_index("g")
    assert table.loc["x", "value"] == 4 and table.loc["y", "n"] == 1 and np.isnan(table.loc["y", "ci_low"])


def test_trend_and_prediction_interval_by_hand():
    # y = 10 + 2x exactly at x = 0, 1, 2, then a perturbed point: slope and intercept by OLS.
    trend = stats.fit_trend([2020, 2021, 2022], [10, 12, 14])
    value, lo, hi = trend.predict(2024)
    assert value == pytest.approx(18) and lo == pytest.approx(18) and hi == pytest.approx(18)
    noisy = stats.fit_trend([0, 1, 2, 3], [1, 3, 2, 4])
    # Sxy = 2.25 - 0.25 - 0.25 + 2.25 = 4, Sxx = 5: slope 0.8, intercept 2.5 - 0.8 * 1.5 = 1.3
    assert noisy.slope == pytest.approx(0.8) and noisy.intercept == pytest.approx(1.3)
    v, lo, hi = noisy.predict(5)
    assert v == pytest.approx(5.3) and lo < v < hi


def test_one_projection_method_logit_for_shares_capped_counts_no_interval_under_four_points():
    # Logit: 20 % then 50 % → odds × 4 a year → 80 % a year later, exactly as the logistic trend.
    p = stats.fit_projection([2020, 2021], [20.0, 50.0], scale="logit", lower=0, upper=100)
    value, lo, hi = p.predict(2022)
    assert value == pytest.approx(80.0) and p.indicative and np.isnan(lo) and np.isnan(hi)
    # Three points: still indicative (no interval); four: an interval, on the logit scale, within [0, 100].
    three = stats.fit_projection([2020, 2021, 2022], [10.0, 30.0, 55.0], scale="logit", lower=0, upper=100)
    assert three.indicative and np.isnan(three.predict(2030)[1])
    four = stats.fit_projection([2020, 2021, 2022, 2023], [10.0, 30.0, 55.0, 80.0], scale="logit", lower=0,
                                upper=100)
    value, lo, hi = four.predict(2030)
    assert not four.indicative and 0 <= lo < value < hi <= 100 and value > 99
    # Counts: the straight line, clipped to what is possible.
    count = stats.fit_projection([2020, 2021, 2022, 2023], [2.0, 5.0, 9.0, 11.0], lower=0, upper=12)
    value, lo, hi = count.predict(2026)
    assert value == 12 and hi == 12 and lo <= 12
    down = stats.fit_projection([2020, 2021, 2022, 2023], [9.0, 6.0, 4.0, 1.0], lower=0)
    assert down.predict(2027)[0] == 0.0
    assert stats.fit_projection([2020], [1.0]) is None
    with pytest.raises(ValueError, match="échelle de projection inconnue"):
        stats.fit_projection([2020, 2021], [1.0, 2.0], scale="log")


def test_logistic_trend_projects_with_the_status_rule_method():
    # 4 years of lycée counts: the projection is fit_projection on the yearly shares.
    frame = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2022, 2023], "k": [5, 5, 15, 10, 30, 40],
                          "n": [50, 50, 50, 50, 100, 100]})
    out = stats.logistic_trend(frame, "k", "n", deadline=2025, min_points_for_interval=4)
    same = stats.fit_projection([2020, 2021, 2022, 2023], [10.0, 25.0, 30.0, 40.0], scale="logit", lower=0,
                                upper=100).predict(2025)
    assert (out["projection"], out["projection_low"], out["projection_high"]) == pytest.approx(same)
    assert not out["projection_indicative"]
    three = stats.logistic_trend(frame[frame["year"] < 2023], "k", "n", deadline=2025, min_points_for_interval=4)
    assert three["projection_indicative"] and np.isnan(three["projection_low"])


def test_trend_needs_two_years():
    assert stats.fit_trend([2020], [1.0]) is None
    two = stats.fit_trend([2020, 2021], [1.0, 2.0])
    value, lo, hi = two.predict(2023)
    assert value == pytest.approx(4.0) and np.isnan(lo) and np.isnan(hi)


def test_quartiles():
    q = stats.quartile_labels(pd.Series([5.0, 1.0, 3.0, 7.0, None, 2.0, 8.0, 4.0, 6.0]))
    assert q.tolist()[:4] == ["Q3", "Q1", "Q2", "Q4"] and pd.isna(q.iloc[4])


# --------------------------------------------------------------------------- scipy.stats not imported


def test_wilson_is_statsmodels_wilson_to_the_last_bit():
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(7)
    n = rng.integers(1, 5000, 5000).astype(float)
    k = np.floor(rng.random(5000) * (n + 1))
    for level in (0.95, 0.9):
        lo, hi = stats.wilson_interval(k, n, level=level)
        ref_lo, ref_hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
        assert np.array_equal(lo, ref_lo) and np.array_equal(hi, ref_hi)


def test_quantiles_are_scipy_stats_quantiles():
    from scipy import stats as sps

    df = np.array([1, 2, 3, 5, 10, 30, 200], dtype=float)
    assert np.array_equal(stats.t_quantile(0.975, df), sps.t.ppf(0.975, df))
    assert stats.normal_quantile(0.975) == sps.norm.ppf(0.975)


def test_grouped_quartiles_are_quartiles_within_each_group():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        values = np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 10, n).astype(float))
        frame = pd.DataFrame({"g": rng.integers(0, 4, n).astype(str), "h": rng.integers(0, 2, n).astype(str),
                              "v": pd.array(values, dtype="Float64")})
        expected = frame.groupby(["g", "h"], group_keys=False)["v"].apply(stats.quartile_labels).reindex(frame.index)
        got = stats.grouped_quartile_labels(frame["v"], [frame["g"], frame["h"]])
        pd.testing.assert_series_equal(got, expected.astype("string"), check_names=False)


def test_computing_indicators_imports_neither_scipy_stats_nor_matplotlib():
    import subprocess
    import sys

    script = ("import sys\n"
              "from drane_analysis.targets import modules\n"
              "from drane_analysis import indicators, report\n"
              "modules()\n"
              "print(sorted(m for m in ('scipy.stats', 'matplotlib', 'seaborn', 'statsmodels') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr


# --------------------------------------------------------------------------- establishments as clusters


def clustered(rates_a, rates_b, pupils=100):
    """Pupils of establishments of two groups, each establishment with its own rate."""
    rows = []
    for group, rates in (("a", rates_a), ("b", rates_b)):
        for k, r in enumerate(rates):
            rows.append({"g": group, "uai": f"{group}{k}", "k": round(r * pupils), "n": pupils})
    return pd.DataFrame(rows)


def test_cluster_rate_table_by_hand():
    frame = pd.DataFrame({"g": ["a"] * 4, "uai": ["1", "1", "2", "3"], "k": [3, 1, 3, 5], "n": [5, 5, 10, 10]})
    row = stats.cluster_rate_table(frame, "k", "n", "uai", by=["g"]).iloc[0]
    # Establishments 1 (4 of 10), 2 (3 of 10), 3 (5 of 10): R = 12/30; z = (y − R x) / 30;
    # variance 3/2 Σ z², Student with 2 degrees of freedom.
    z = (np.array([4, 3, 5]) - 0.4 * np.array([10, 10, 10])) / 30
    se = np.sqrt(3 / 2 * np.sum(z ** 2))
    assert row["clusters"] == 3 and row["value"] == pytest.approx(40)
    assert row["se"] == pytest.approx(se * 100)
    assert row["ci_high"] == pytest.approx(40 + 4.302653 * se * 100, rel=1e-6)
    assert row["ci_low"] == pytest.approx(40 - 4.302653 * se * 100, rel=1e-6)
    assert row["design_effect"] == pytest.approx(se ** 2 / (0.4 * 0.6 / 30))
    assert row["ci_method"] == "cluster"
    assert np.nansum(row["influence"] ** 2) == pytest.approx(np.sum(z ** 2) * 100 ** 2)
    # Bounded at 0 below: 0, 0 and 3 of 10.
    low = stats.cluster_rate_table(frame.assign(k=[0, 0, 0, 3]), "k", "n", "uai").iloc[0]
    assert low["ci_low"] == 0 and low["ci_high"] > 10


def test_cluster_rate_table_of_one_group_is_the_grouped_computation_exactly():
    """Without ``by`` the clusters are summed by ``np.bincount`` (fast path); with a ``by``
    column holding one value, by pandas' group-by: the very same numbers — bit for bit for
    counts (whole numbers, missing ones, nullable integers, booleans, rows without their
    establishment: a cluster each); for fractional values, up to the last bits (the group-by
    sums with compensation)."""
    rng = np.random.default_rng(7)
    n = 300
    uai = pd.array([f"0{k % 41:03d}" for k in rng.permutation(n)], dtype="string")
    uai[[3, 50, 51]] = pd.NA
    frame = pd.DataFrame({"uai": uai, "g": "x", "k": rng.integers(0, 20, n).astype(float),
                          "w": rng.random(n) * 7, "n": rng.integers(20, 40, n),
                          "i": pd.array(rng.integers(0, 5, n), dtype="Int64"), "b": rng.random(n) < 0.3})
    frame.loc[[5, 9], "k"] = np.nan
    frame.loc[11, "i"] = pd.NA
    for num, den in (("k", "n"), ("w", "n"), ("i", "n"), ("b", "n"), ("k", "w")):
        fast = stats.cluster_rate_table(frame, num, den, "uai").iloc[0]
        grouped = stats.cluster_rate_table(frame, num, den, "uai", by=["g"]).iloc[0]
        exact = "w" not in (num, den)
        for column in ("numerator", "denominator", "value", "ci_low", "ci_high", "se", "clusters", "design_effect"):
            a, b = float(fast[column]), float(grouped[column])
            assert (a == b if exact else a == pytest.approx(b, rel=1e-12)) or (np.isnan(a) and np.isnan(b)), \
                (num, den, column)
        same = np.array_equal if exact else lambda a, b, equal_nan: np.allclose(a, b, rtol=1e-12, atol=0,
                                                                                equal_nan=equal_nan)
        assert same(fast["influence"], grouped["influence"], equal_nan=True), (num, den)
        assert fast["clusters"] == 41 + 3


def test_identical_establishments_give_no_design_effect():
    # Every establishment has the same rate: nothing varies between them, the clustered
    # variance is 0 (Wilson's binomial variance would not be).
    table = stats.cluster_rate_table(clustered([0.5] * 4, [0.5] * 4), "k", "n", "uai").iloc[0]
    assert table["se"] == pytest.approx(0) and table["design_effect"] == pytest.approx(0)


def test_ratio_table_uses_student_with_clusters_minus_one_degrees_of_freedom():
    frame = pd.DataFrame({"y": [1.0, 3.0, 2.0], "x": [1.0, 1.0, 2.0]})
    row = stats.ratio_table(frame, "y", "x").iloc[0]
    r = 6 / 4
    se = np.sqrt(3 / 2 * np.sum((frame["y"] - r * frame["x"]) ** 2)) / 4
    assert row["value"] == r and row["se"] == pytest.approx(se)
    assert row["ci_high"] - r == pytest.approx(4.302653 * se, rel=1e-6)   # not 1.96 × se


def test_ratio_contrast_by_hand():
    # Two terms over three clusters (boys and girls of the same lycées).
    y = np.array([[2, 1], [4, 0], [0, 1]], dtype=float)
    x = np.array([[10, 10], [10, 10], [10, 10]], dtype=float)
    res = stats.ratio_contrast(y, x, [1, -1])
    r1, r2 = 6 / 30, 2 / 30
    z = ((y[:, 0] - r1 * x[:, 0]) / 30 - (y[:, 1] - r2 * x[:, 1]) / 30) * 100
    se = np.sqrt(3 / 2 * np.sum(z ** 2))
    assert res["estimate"] == pytest.approx((r1 - r2) * 100) and res["se"] == pytest.approx(se)
    assert res["ci_low"] == pytest.approx(res["estimate"] - 4.302653 * se, rel=1e-6)
    assert res["clusters"] == 3 and 0 < res["p_value"] < 1


def test_ratio_contrast_pairs_the_same_establishments():
    # Each lycée's second term is its first minus 5 points, while lycées differ widely:
    # paired on the establishments the difference is exact; as two independent groups of
    # establishments it would be lost in how much they differ.
    firsts = np.array([0.9, 0.2, 0.6, 0.4, 0.8])
    y = np.column_stack([firsts * 100, (firsts - 0.05) * 100])
    x = np.full((5, 2), 100.0)
    paired = stats.ratio_contrast(y, x, [1, -1])
    assert paired["estimate"] == pytest.approx(5) and paired["se"] == pytest.approx(0, abs=1e-9)
    apart = stats.ratio_contrast(np.vstack([np.column_stack([y[:, 0], np.zeros(5)]),
                                            np.column_stack([np.zeros(5), y[:, 1]])]),
                                 np.vstack([np.column_stack([x[:, 0], np.zeros(5)]),
                                            np.column_stack([np.zeros(5), x[:, 1]])]), [1, -1])
    assert apart["estimate"] == pytest.approx(5) and apart["ci_low"] < 0 < apart["ci_high"]


def test_clustered_gap_is_not_significant_where_wilson_intervals_do_not_overlap():
    # Three establishments per group with rates 90, 10, 90 % against 10, 90, 10 %: 63.3 %
    # against 36.7 % of 300 pupils each. Pupils as independent trials, the Wilson intervals
    # do not overlap (the old verdict: « significatif »); with establishments as clusters
    # the gap is well within how much establishments differ.
    frame = clustered([0.9, 0.1, 0.9], [0.1, 0.9, 0.1])
    wilson = stats.rate_table(frame, "k", "n", by=["g"]).set_index("g")
    assert wilson.loc["b", "ci_high"] < wilson.loc["a", "ci_low"]
    table = stats.cluster_rate_table(frame, "k", "n", "uai", by=["g"]).set_index("g")
    gap = stats.breakdown_gap(table.loc["a"], table.loc["b"])
    assert gap["method"] == "cluster" and not gap["significant"] and gap["ci_low"] < 0 < gap["ci_high"]
    assert table.loc["a", "design_effect"] > 50


def test_clustered_gap_is_significant_when_establishments_agree():
    frame = clustered([0.62, 0.6, 0.64, 0.61, 0.63], [0.4, 0.42, 0.38, 0.41, 0.39])
    table = stats.cluster_rate_table(frame, "k", "n", "uai", by=["g"]).set_index("g")
    gap = stats.breakdown_gap(table.loc["a"], table.loc["b"])
    assert gap["significant"] and gap["diff"] == pytest.approx(22) and gap["ci_low"] > 0


def test_breakdown_gap_pairs_groups_sharing_establishments():
    # Teachers 10 points above pupils in each of five very different lycées.
    rows = []
    for k, r in enumerate([0.3, 0.5, 0.7, 0.4, 0.6]):
        rows += [{"profile": "student", "uai": str(k), "k": round(r * 100), "n": 100},
                 {"profile": "teacher", "uai": str(k), "k": round((r + 0.1) * 100), "n": 100}]
    table = stats.cluster_rate_table(pd.DataFrame(rows), "k", "n", "uai", by=["profile"]).set_index("profile")
    gap = stats.breakdown_gap(table.loc["teacher"], table.loc["student"])
    assert gap["significant"] and gap["ci_low"] == pytest.approx(10) and gap["ci_high"] == pytest.approx(10)


def test_breakdown_gap_corrects_for_the_number_of_groups():
    frame = clustered([0.62, 0.55, 0.66, 0.58, 0.63], [0.5, 0.56, 0.45, 0.53, 0.49])
    table = stats.cluster_rate_table(frame, "k", "n", "uai", by=["g"]).set_index("g")
    two = stats.breakdown_gap(table.loc["a"], table.loc["b"], groups=2)
    six = stats.breakdown_gap(table.loc["a"], table.loc["b"], groups=6)
    assert six["level"] == pytest.approx(1 - 0.05 / 15)
    assert six["ci_high"] - six["ci_low"] > two["ci_high"] - two["ci_low"]
    assert two["significant"] and not six["significant"]


def test_breakdown_gap_of_independent_units_is_newcombes():
    table = stats.rate_table(pd.DataFrame({"g": ["a", "b"], "k": [56, 48], "n": [70, 80]}), "k", "n",
                             by=["g"]).assign(ci_method="wilson").set_index("g")
    gap = stats.breakdown_gap(table.loc["a"], table.loc["b"])
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((5.24, 33.39), abs=0.01)   # Newcombe (1998)
    assert gap["significant"]


def test_breakdown_gap_of_means_is_welchs():
    frame = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "v": [2.0, 4.0, 6.0, 1.0, 2.0, 3.0]})
    table = stats.mean_table(frame, "v", by=["g"], with_se=True).set_index("g")
    gap = stats.breakdown_gap(table.loc["a"], table.loc["b"])
    from scipy import stats as sps

    ci = sps.ttest_ind([2, 4, 6], [1, 2, 3], equal_var=False).confidence_interval(0.95)
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_breakdown_gap_without_a_method_is_none():
    table = pd.DataFrame({"value": [10.0, 20.0], "ci_low": [9.0, 19.0], "ci_high": [11.0, 21.0]})
    assert stats.breakdown_gap(table.iloc[1], table.iloc[0]) is None


def test_logistic_trend_clustered_on_establishments():
    # Ten lycées followed four years: each keeps its own level (strong lycée effect) and the
    # share does not move. A cluster-robust trend knows the 40 rows are 10 lycées.
    rng = np.random.default_rng(1)
    rows = []
    for k in range(10):
        level = rng.uniform(0.05, 0.6)
        for year in range(2020, 2024):
            n = 200
            rows.append({"uai": str(k), "year": year, "s": rng.binomial(n, level), "n": n})
    frame = pd.DataFrame(rows)
    plain = stats.logistic_trend(frame, "s", "n")
    robust = stats.logistic_trend(frame, "s", "n", cluster="uai")
    assert robust["odds_ratio"] == pytest.approx(plain["odds_ratio"])
    assert robust["dispersion"] == pytest.approx(plain["dispersion"]) and robust["dispersion"] > 1
    assert robust["or_low"] < 1 < robust["or_high"]


def test_rows_without_their_cluster_are_clusters_of_their_own():
    frame = pd.DataFrame({"uai": ["1", "1", None, None], "k": [1, 1, 0, 1], "n": [1, 1, 1, 1]})
    row = stats.cluster_rate_table(frame, "k", "n", "uai").iloc[0]
    assert row["clusters"] == 3 and row["numerator"] == 3 and row["denominator"] == 4


def test_compare_groups_of_projects_in_establishments():
    # Projects of six establishments: three of group a (all 2 of 4 projects digital), three
    # of group b (1 of 4). Between establishments nothing varies within a group.
    rows = [{"uai": f"a{k}", "g": "a", "digital": int(j < 2), "one": 1} for k in range(3) for j in range(4)]
    rows += [{"uai": f"b{k}", "g": "b", "digital": int(j < 1), "one": 1} for k in range(3) for j in range(4)]
    frame = pd.DataFrame(rows)
    res = stats.compare_groups(frame, "digital", "one", "uai", frame["g"] == "a", frame["g"] == "b")
    assert (res["rate1"], res["rate2"], res["diff"]) == (50, 25, 25)
    assert res["clusters1"] == 3 and res["n1"] == 12
    assert res["ci_low"] == res["ci_high"] == 25 and res["p_value"] == 0   # no variation between establishments
    # One establishment on a side: nothing says how establishments vary, no test.
    one = stats.compare_groups(frame, "digital", "one", "uai", frame["uai"] == "a0", frame["g"] == "b")
    assert one["diff"] == 25 and np.isnan(one["p_value"]) and np.isnan(one["ci_low"])


def test_breakdown_gap_p_value_agrees_with_its_interval():
    frame = clustered([0.62, 0.55, 0.66, 0.58, 0.63], [0.5, 0.56, 0.45, 0.53, 0.49])
    table = stats.cluster_rate_table(frame, "k", "n", "uai", by=["g"]).set_index("g")
    for groups in (2, 6):
        gap = stats.breakdown_gap(table.loc["a"], table.loc["b"], groups=groups)
        assert (gap["p_value"] < 0.05) == gap["significant"]
