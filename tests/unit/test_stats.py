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


def test_trend_needs_two_years():
    assert stats.fit_trend([2020], [1.0]) is None
    two = stats.fit_trend([2020, 2021], [1.0, 2.0])
    value, lo, hi = two.predict(2023)
    assert value == pytest.approx(4.0) and np.isnan(lo) and np.isnan(hi)


def test_quartiles():
    q = stats.quartile_labels(pd.Series([5.0, 1.0, 3.0, 7.0, None, 2.0, 8.0, 4.0, 6.0]))
    assert q.tolist()[:4] == ["Q3", "Q1", "Q2", "Q4"] and pd.isna(q.iloc[4])
