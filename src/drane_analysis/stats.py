"""Statistics shared by every target: intervals, trends and projections.

Rates are shares of a count (*numerator / denominator*), given with a 95 % Wilson
interval; means with a Student interval; trends are ordinary least squares on the school
years' first calendar year, projected to a deadline with a 95 % prediction interval.
All functions are vectorised where it matters and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

Z95 = 0.95


def wilson_interval(numerator: np.ndarray | pd.Series | float, denominator: np.ndarray | pd.Series | float,
                    level: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of ``numerator / denominator``, as shares in [0, 1].

    Missing where the denominator is 0 or missing.

    >>> lo, hi = wilson_interval(457, 549)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.7989, 0.8616)
    """
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    valid = (n > 0) & np.isfinite(n) & np.isfinite(k)
    safe_n = np.where(valid, n, 1.0)
    safe_k = np.where(valid, np.clip(k, 0, safe_n), 0.0)
    lo, hi = proportion_confint(safe_k, safe_n, alpha=1 - level, method="wilson")
    lo = np.where(valid, lo, np.nan)
    hi = np.where(valid, hi, np.nan)
    return lo, hi


def rate_table(frame: pd.DataFrame, numerator: str, denominator: str, by: list[str] | None = None,
               scale: float = 100.0) -> pd.DataFrame:
    """Sum a numerator and a denominator by groups; add the rate and its Wilson interval.

    Args:
        frame: one row per unit (establishment, pupil…).
        numerator, denominator: columns to sum.
        by: grouping columns (None: one overall row).
        scale: 100 for percentages.

    Returns:
        ``by`` columns, ``numerator``, ``denominator``, ``value``, ``ci_low``, ``ci_high``.
    """
    if by:
        grouped = frame.groupby(by, observed=True, dropna=False)[[numerator, denominator]].sum().reset_index()
    else:
        grouped = pd.DataFrame({numerator: [frame[numerator].sum()], denominator: [frame[denominator].sum()]})
    grouped = grouped.rename(columns={numerator: "numerator", denominator: "denominator"})
    num = grouped["numerator"].astype(float).to_numpy()
    den = grouped["denominator"].astype(float).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        grouped["value"] = np.where(den > 0, num / np.where(den > 0, den, 1) * scale, np.nan)
    lo, hi = wilson_interval(num, den)
    grouped["ci_low"] = lo * scale
    grouped["ci_high"] = hi * scale
    return grouped


def mean_interval(values: np.ndarray | pd.Series, level: float = Z95) -> tuple[float, float, float, int]:
    """Mean of ``values`` with its Student interval: (mean, low, high, n). NaN if n < 2."""
    x = np.asarray(pd.Series(values).dropna(), dtype=float)
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def mean_table(frame: pd.DataFrame, column: str, by: list[str] | None = None,
               level: float = Z95) -> pd.DataFrame:
    """Mean of ``column`` by groups with its Student interval.

    Returns ``by`` columns, ``value``, ``ci_low``, ``ci_high``, ``n``.
    """
    x = frame[column].astype(float)
    keys = [frame[b] for b in by] if by else [pd.Series(0, index=frame.index)]
    g = x.groupby(keys, observed=True, dropna=False)
    out = pd.DataFrame({"value": g.mean(), "sd": g.std(ddof=1), "n": g.count()})
    tcrit = sps.t.ppf(0.5 + level / 2, np.maximum(out["n"] - 1, 1))
    half = np.where(out["n"] >= 2, tcrit * out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
    out["ci_low"] = out["value"] - half
    out["ci_high"] = out["value"] + half
    out = out.drop(columns="sd").reset_index()
    if not by:
        out = out.drop(columns=out.columns[0])
    return out


@dataclass(frozen=True)
class Trend:
    """A linear trend fitted on (year, value) points."""

    slope: float
    intercept: float
    n: int
    residual_sd: float
    x_mean: float
    sxx: float

    def predict(self, year: float, level: float = Z95) -> tuple[float, float, float]:
        """Value at ``year`` and its prediction interval (NaN bounds with fewer than 3 points)."""
        value = self.intercept + self.slope * year
        if self.n < 3 or not np.isfinite(self.residual_sd):
            return value, np.nan, np.nan
        tcrit = sps.t.ppf(0.5 + level / 2, self.n - 2)
        se = self.residual_sd * np.sqrt(1 + 1 / self.n + (year - self.x_mean) ** 2 / self.sxx)
        return value, value - tcrit * se, value + tcrit * se


def fit_trend(years: np.ndarray | pd.Series | list[float], values: np.ndarray | pd.Series | list[float]) -> Trend | None:
    """OLS line through the points; None with fewer than two distinct years."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(np.unique(x)) < 2:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    n = len(x)
    residual_sd = float(np.sqrt((residuals ** 2).sum() / (n - 2))) if n > 2 else np.nan
    return Trend(float(slope), float(intercept), n, residual_sd, float(x.mean()), float(((x - x.mean()) ** 2).sum()))


def quartile_labels(values: pd.Series, labels: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")) -> pd.Series:
    """Quartile of each value (Q1 lowest); missing stays missing."""
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    valid = values.notna()
    if valid.sum() >= 4:
        out.loc[valid] = pd.qcut(values[valid].astype(float).rank(method="first"), 4, labels=list(labels)).astype(str)
    return out
