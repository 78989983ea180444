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
