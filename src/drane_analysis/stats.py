"""Statistics shared by every target: intervals, trends and projections.

Rates are shares of a count (*numerator / denominator*). The sources are exhaustive
registers, so an interval is never a sampling error: it measures the uncertainty on the
underlying propensity. Where the units (pupils, accounts, staff) are grouped in
establishments, the interval takes establishments as clusters (:func:`cluster_rate_table`,
:func:`ratio_table`: ratio estimator, linearised variance, Student with clusters − 1
degrees of freedom); where the units are themselves independent (establishments,
authorities), it is Wilson's (:func:`rate_table`). Gaps between groups are compared with
:func:`breakdown_gap` and :func:`ratio_contrast`. Means have a Student interval; trends are
ordinary least squares on the school years' first calendar year, projected to a deadline
with a 95 % prediction interval by one method everywhere (:func:`fit_projection`: the logit
scale for shares, clipped to what is possible, no interval from fewer than four years). All
functions are vectorised where it matters and deterministic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

Z95 = 0.95


def t_quantile(p: float, df: float | np.ndarray) -> float | np.ndarray:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``).

    ``scipy.special.stdtrit`` is the function ``scipy.stats.t.ppf`` calls: the same
    numbers, without importing ``scipy.stats`` (a second of a short command's start).
    """
    return special.stdtrit(df, p)


def normal_quantile(p: float) -> float:
    """Quantile ``p`` of the standard normal (``scipy.stats.norm.ppf``, through ``ndtri``)."""
    return float(special.ndtri(p))


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
    # statsmodels' proportion_confint(method="wilson"), operation for operation (the unit
    # tests check it gives the same numbers): without importing scipy.stats.
    crit = -special.ndtri((1 - level) / 2)
    q = safe_k / safe_n
    crit2 = crit**2
    denom = 1 + crit2 / safe_n
    center = (q + crit2 / (2 * safe_n)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / safe_n + crit2 / (4.0 * safe_n**2))
    dist /= denom
    lo, hi = np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)
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
    half = float(t_quantile(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def mean_table(frame: pd.DataFrame, column: str, by: list[str] | None = None,
               level: float = Z95, with_se: bool = False) -> pd.DataFrame:
    """Mean of ``column`` by groups with its Student interval (the rows independent units).

    Returns ``by`` columns, ``value``, ``ci_low``, ``ci_high``, ``n``; with ``with_se``, also
    ``se`` (standard error of the mean) and ``ci_method`` = ``student``, what
    :func:`breakdown_gap` needs to compare two groups.
    """
    x = frame[column].astype(float)
    keys = [frame[b] for b in by] if by else [pd.Series(0, index=frame.index)]
    g = x.groupby(keys, observed=True, dropna=False)
    out = pd.DataFrame({"value": g.mean(), "sd": g.std(ddof=1), "n": g.count()})
    tcrit = t_quantile(0.5 + level / 2, np.maximum(out["n"].to_numpy(dtype=float) - 1, 1))
    half = np.where(out["n"] >= 2, tcrit * out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
    out["ci_low"] = out["value"] - half
    out["ci_high"] = out["value"] + half
    if with_se:
        out["se"] = np.where(out["n"] >= 2, out["sd"] / np.sqrt(out["n"].clip(lower=1)), np.nan)
        out["ci_method"] = "student"
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
        tcrit = t_quantile(0.5 + level / 2, self.n - 2)
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


# --------------------------------------------------------------------------- projections

LOGIT_CLIP = 0.001
"""Shares are clipped to [0,1 %, 99,9 %] before the logit (a share of 0 or 100 % has none)."""


@dataclass(frozen=True)
class Projection:
    """The observatory's one projection method: a linear trend on the indicator's own scale.

    Fitted by :func:`fit_projection`. ``scale`` is ``logit`` for shares in % (the line is
    fitted on logit(value / 100), so a projection stays between 0 and 100 %) or ``linear``;
    projected values and bounds are clipped to [``lower``, ``upper``] (what is possible: a
    count is never negative, 12 departments at most…). With fewer than
    ``min_points_for_interval`` observed years the projection is *indicative*: no
    prediction interval.
    """

    trend: Trend
    scale: str
    lower: float | None
    upper: float | None
    min_points_for_interval: int

    @property
    def n(self) -> int:
        """Observed years the trend is fitted on."""
        return self.trend.n

    @property
    def indicative(self) -> bool:
        """Too few years for a prediction interval (the projection is only indicative)."""
        return self.n < self.min_points_for_interval

    def predict(self, year: float, level: float = Z95) -> tuple[float, float, float]:
        """Projected value at ``year`` and its 95 % prediction interval (NaN when indicative)."""
        value, lo, hi = self.trend.predict(year, level)
        if self.indicative:
            lo = hi = np.nan
        out = []
        for v in (value, lo, hi):
            if self.scale == "logit" and np.isfinite(v):
                v = 100.0 * float(special.expit(v))
            if np.isfinite(v):
                v = float(np.clip(v, -np.inf if self.lower is None else self.lower,
                                  np.inf if self.upper is None else self.upper))
            out.append(float(v))
        return out[0], out[1], out[2]


def fit_projection(years: np.ndarray | pd.Series | list[float], values: np.ndarray | pd.Series | list[float], *,
                   scale: str = "linear", lower: float | None = None, upper: float | None = None,
                   min_points_for_interval: int | None = None) -> Projection | None:
    """Fit the projection of an indicator's yearly values (None with fewer than two years).

    Args:
        years: the school years' first calendar years.
        values: the indicator's values (in % when ``scale`` is ``logit``).
        scale: ``logit`` for a share in % (fitted on logit(value / 100), values clipped to
            [:data:`LOGIT_CLIP`, 1 − :data:`LOGIT_CLIP`] first), ``linear`` otherwise.
        lower, upper: what is possible (projections and bounds are clipped to it).
        min_points_for_interval: observed years needed for a prediction interval (default:
            ``min_periods_for_interval`` of ``params/status.yaml``).

    >>> p = fit_projection([2020, 2021], [20.0, 50.0], scale="logit", upper=100)
    >>> round(p.predict(2022)[0], 3), p.indicative
    (80.0, True)
    """
    if scale not in ("linear", "logit"):
        raise ValueError(f"échelle de projection inconnue « {scale} » ; attendu linear ou logit")
    y = np.asarray(values, dtype=float)
    if scale == "logit":
        with np.errstate(invalid="ignore"):
            y = special.logit(np.clip(y / 100.0, LOGIT_CLIP, 1 - LOGIT_CLIP))
    trend = fit_trend(years, y)
    if trend is None:
        return None
    if min_points_for_interval is None:
        from .catalogue import load_catalogue

        min_points_for_interval = load_catalogue().min_periods_for_interval
    return Projection(trend, scale, lower, upper, int(min_points_for_interval))


def quartile_labels(values: pd.Series, labels: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")) -> pd.Series:
    """Quartile of each value (Q1 lowest); missing stays missing."""
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    valid = values.notna()
    if valid.sum() >= 4:
        out.loc[valid] = pd.qcut(values[valid].astype(float).rank(method="first"), 4, labels=list(labels)).astype(str)
    return out


def grouped_quartile_labels(values: pd.Series, groups: list[pd.Series],
                            labels: tuple[str, ...] = ("Q1", "Q2", "Q3", "Q4")) -> pd.Series:
    """:func:`quartile_labels` within each group, at once (no Python loop over groups).

    The same cut as ``pd.qcut`` on the ranks (ties broken by order, ``method="first"``):
    rank *r* of *n* valid values falls in quartile ``ceil(4 (r − 1) / (n − 1))`` (1 for the
    lowest); groups of fewer than four valid values get no quartile.
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    grouped = v.groupby(groups, sort=False, dropna=False)
    rank = grouped.rank(method="first").to_numpy()
    n = grouped.transform("count").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.clip(np.ceil(4 * (rank - 1) / (n - 1)), 1, len(labels))
    ok = ~np.isnan(rank) & (n >= 4)
    out = np.full(len(v), None, dtype=object)
    names = np.asarray(labels, dtype=object)
    out[ok] = names[k[ok].astype(int) - 1]
    return pd.Series(pd.array(out, dtype="string"), index=values.index)


# --------------------------------------------------------------------------- difference in differences


@dataclass(frozen=True)
class DiffInDiff:
    """A difference-in-differences estimate with its event study (see :func:`diff_in_diff`).

    ``estimate`` is the coefficient of *treated × after* in the outcome's unit, with its
    cluster-robust standard error and Student interval (``n_clusters - 1`` degrees of
    freedom). ``event_study`` has one row per time: ``time``, ``role`` (``pre``,
    ``reference``, ``post``), ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n_treated``,
    ``n_control`` (units observed); the reference time has estimate 0 and no interval.
    ``pretrend_f`` / ``pretrend_p`` test jointly that every pre-period coefficient but the
    reference is zero (NaN with fewer than two pre-periods: nothing to test).
    ``identified`` is False, with ``note`` saying why, when the data cannot give an
    estimate (no treated or no control unit, no period before or after); the numbers are
    then NaN.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    level: float
    n_obs: int
    n_units: int
    n_treated_units: int
    n_clusters: int
    n_pre_periods: int
    n_post_periods: int
    event_study: pd.DataFrame
    pretrend_f: float
    pretrend_df: int
    pretrend_p: float
    identified: bool = True
    note: str = ""


def _within(matrix: np.ndarray, groups: list[np.ndarray], weights: np.ndarray, tol: float = 1e-11,
            max_iter: int = 5_000) -> np.ndarray:
    """Residuals of the columns of ``matrix`` on the dummies of every grouping (weighted).

    Alternating projections (method of Guimarães and Portugal): subtract each grouping's
    weighted means in turn until nothing moves; exact at convergence for unbalanced
    panels too, and in one sweep for a balanced two-way panel.
    """
    out = np.array(matrix, dtype=float, copy=True)
    sizes = [np.bincount(g, weights=weights) for g in groups]
    for _ in range(max_iter):
        moved = 0.0
        for g, size in zip(groups, sizes, strict=True):
            for j in range(out.shape[1]):
                means = np.bincount(g, weights=weights * out[:, j], minlength=len(size)) / size
                shift = means[g]
                out[:, j] -= shift
                moved = max(moved, float(np.abs(shift).max(initial=0.0)))
        if len(groups) == 1 or moved <= tol * (1.0 + float(np.abs(out).max(initial=0.0))):
            break
    return out


def _not_identified(note: str, level: float, n_obs: int = 0, n_units: int = 0, n_treated: int = 0,
                    n_pre: int = 0, n_post: int = 0) -> DiffInDiff:
    nan = float("nan")
    empty = pd.DataFrame(columns=["time", "role", "estimate", "se", "ci_low", "ci_high", "n_treated", "n_control"])
    return DiffInDiff(nan, nan, nan, nan, nan, level, n_obs, n_units, n_treated, 0, n_pre, n_post, empty,
                      nan, 0, nan, identified=False, note=note)


def diff_in_diff(frame: pd.DataFrame, outcome: str, *, unit: str, time: str, treated: str,
                 first_treated: float, cluster: str | None = None, weights: str | None = None,
                 time_by: str | None = None, level: float = Z95, event_study: bool = True) -> DiffInDiff:
    """Two-way fixed-effects difference in differences on a unit × time panel, with its event study.

    Model: ``outcome = b · treated × [time ≥ first_treated] + unit FE + time FE + e``,
    estimated by (weighted) least squares after removing the fixed effects; standard errors
    are clustered by ``cluster`` (default: the unit), small-sample corrected (CRV1), and
    intervals use Student's law with clusters − 1 degrees of freedom. The event study
    replaces the single term by one term per time (treated × [time = t]) relative to the
    last time before ``first_treated``; the pre-period terms test parallel trends.

    Args:
        frame: one row per unit and time (rows with a missing outcome or weight are dropped;
            units observed once are dropped too: their fixed effect absorbs them).
        outcome: the outcome column (e.g. a rate in points, or a log).
        unit: the unit identifier (establishment).
        time: a numeric time column (the school year's first calendar year).
        treated: a boolean column, constant within unit: the unit belongs to the treated group.
        first_treated: first time of the treatment (same for every treated unit).
        cluster: cluster column (default ``unit``).
        weights: optional weight column (e.g. pupils); None: every row counts once.
        time_by: optional column whose groups get their own time effects (time FE × group,
            e.g. the kind of establishment when kinds follow different trends).
        level: confidence level of the intervals.
        event_study: False skips the event study and the parallel-trends test (an empty
            ``event_study``, NaN test): the single estimate only, in half the time.

    Returns:
        A :class:`DiffInDiff`.
    """
    cluster = cluster or unit
    data = _did_panel(frame, outcome, unit, time, treated, cluster, weights, time_by)
    t = data[time].astype(float).to_numpy()
    d = data[treated].astype(bool).to_numpy()
    times = np.unique(t)
    pre_times, post_times = times[times < first_treated], times[times >= first_treated]
    n_units = int(data[unit].nunique())
    n_treated = int(data.loc[d, unit].nunique())
    args = {"level": level, "n_obs": len(data), "n_units": n_units, "n_treated": n_treated,
            "n_pre": len(pre_times), "n_post": len(post_times)}
    reason = _did_not_identified(n_treated, n_units, pre_times, post_times, d, t, first_treated)
    if reason:
        return _not_identified(reason, **args)
    w = pd.to_numeric(data[weights]).astype(float).to_numpy() if weights else np.ones(len(data))
    time_key = data[time].astype(str) if not time_by else data[time].astype(str) + "|" + data[time_by].astype(str)
    groups = [pd.factorize(data[unit])[0], pd.factorize(time_key)[0]]
    clusters = pd.factorize(data[cluster])[0]
    y = data[outcome].to_numpy(float)

    def fit(x: np.ndarray):
        import statsmodels.api as sm

        z = _within(np.column_stack([y, x]), groups, w)
        return sm.WLS(z[:, 0], z[:, 1:], weights=w).fit(cov_type="cluster", cov_kwds={"groups": clusters},
                                                        use_t=True)

    static = fit((d & (t >= first_treated)).astype(float)[:, None])
    lo, hi = static.conf_int(alpha=1 - level)[0]
    units = data[unit].to_numpy()
    if event_study:
        event, f_test = _did_event_study(fit, d, t, units, times, float(pre_times.max()), first_treated, level)
    else:
        event, f_test = _not_identified("", level).event_study, (float("nan"), 0, float("nan"))
    return DiffInDiff(
        estimate=float(static.params[0]), se=float(static.bse[0]), ci_low=float(lo), ci_high=float(hi),
        p_value=float(static.pvalues[0]), level=level, n_obs=len(data), n_units=n_units,
        n_treated_units=n_treated, n_clusters=int(clusters.max()) + 1, n_pre_periods=len(pre_times),
        n_post_periods=len(post_times), event_study=event, pretrend_f=f_test[0], pretrend_df=f_test[1],
        pretrend_p=f_test[2],
    )


def _did_panel(frame: pd.DataFrame, outcome: str, unit: str, time: str, treated: str, cluster: str,
               weights: str | None, time_by: str | None) -> pd.DataFrame:
    """The rows a difference in differences can use (checked)."""
    cols = [outcome, unit, time, treated, cluster] + [c for c in (weights, time_by) if c]
    data = frame[list(dict.fromkeys(cols))].copy()
    data[outcome] = pd.to_numeric(data[outcome], errors="coerce").astype(float)
    keep = np.isfinite(data[outcome].to_numpy())
    if weights:
        w = pd.to_numeric(data[weights], errors="coerce").astype(float).to_numpy()
        keep &= np.isfinite(w) & (w > 0)
    data = data[keep]
    data = data[data.groupby(unit, observed=True)[time].transform("size") > 1]
    if data[treated].isna().any():
        raise ValueError(f"la colonne {treated!r} a des valeurs manquantes")
    flags = data[treated].astype(bool).astype(int).groupby(data[unit], observed=True)
    if (flags.min() != flags.max()).any():
        raise ValueError(f"la colonne {treated!r} doit être constante pour chaque unité")
    return data


def _did_not_identified(n_treated: int, n_units: int, pre_times: np.ndarray, post_times: np.ndarray,
                        d: np.ndarray, t: np.ndarray, first_treated: float) -> str:
    """Why the estimate cannot be computed ("" when it can)."""
    if n_treated == 0:
        return "pas d'unité traitée"
    if n_treated == n_units:
        return "pas d'unité de comparaison"
    if len(pre_times) == 0:
        return "aucune période avant le traitement"
    if len(post_times) == 0:
        return "aucune période après le traitement"
    if not (d & (t < first_treated)).any() or not (d & (t >= first_treated)).any():
        return "les unités traitées ne sont pas observées avant et après le traitement"
    return ""


def _did_event_study(fit, d: np.ndarray, t: np.ndarray, units: np.ndarray, times: np.ndarray, reference: float,
                     first_treated: float, level: float) -> tuple[pd.DataFrame, tuple[float, int, float]]:
    """Event-study rows (one per time) and the joint test of the pre-period terms."""
    counts = {x: (len(np.unique(units[d & (t == x)])), len(np.unique(units[~d & (t == x)]))) for x in times}
    event_times = [x for x in times if x != reference and min(counts[x]) > 0]
    res = fit(np.column_stack([(d & (t == x)).astype(float) for x in event_times])) if event_times else None
    ci = res.conf_int(alpha=1 - level) if res is not None else None
    rows = []
    for x in times:
        role = "reference" if x == reference else ("pre" if x < first_treated else "post")
        row = {"time": x, "role": role, "estimate": 0.0 if role == "reference" else np.nan, "se": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "n_treated": counts[x][0], "n_control": counts[x][1]}
        if x in event_times:
            k = event_times.index(x)
            row.update(estimate=float(res.params[k]), se=float(res.bse[k]), ci_low=float(ci[k, 0]),
                       ci_high=float(ci[k, 1]))
        rows.append(row)
    pre_terms = [k for k, x in enumerate(event_times) if x < first_treated]
    if not pre_terms:
        return pd.DataFrame(rows), (float("nan"), 0, float("nan"))
    r = np.zeros((len(pre_terms), len(event_times)))
    r[np.arange(len(pre_terms)), pre_terms] = 1.0
    test = res.f_test(r)
    return pd.DataFrame(rows), (float(np.squeeze(test.fvalue)), len(pre_terms), float(test.pvalue))


# --------------------------------------------------------------------------- one treated group: placebo inference


def permutation_p_value(estimate: float, placebo: np.ndarray | pd.Series | list[float]) -> float:
    """Two-sided permutation p-value of one treated group among ``1 + len(placebo)`` groups.

    The share of the G groups, the treated one included, whose estimate is at least as
    large in absolute value as the treated group's (its rank over G). With no effect and
    the treated group's estimate exchangeable with the control groups' placebo estimates,
    it is exact (the probability that p ≤ k / G is k / G) and it is never below 1 / G:
    with 12 groups, 1/12 ≈ 0.083, and no test at 5 % is possible. NaN without placebo
    estimate or with a missing one.
    """
    e = np.asarray(placebo, dtype=float)
    if not np.isfinite(estimate) or len(e) == 0 or not np.isfinite(e).all():
        return float("nan")
    tol = 1e-12 * (1.0 + abs(estimate))
    return float((1 + np.sum(np.abs(e) >= abs(estimate) - tol)) / (len(e) + 1))


def conley_taber_interval(estimate: float, placebo: np.ndarray | pd.Series | list[float],
                          level: float = Z95) -> dict:
    """Interval of one treated group's effect from the control groups' placebo estimates.

    Conley and Taber (2011): with one treated group, the estimate is the effect plus an
    error that does not shrink with the number of units (shocks common to the group and
    a year); the placebo estimates of the N0 control groups (each in turn taken as
    treated, against the others) are draws of that error, and the interval is the
    estimate minus their quantiles. Two versions:

    - ``ci_low``, ``ci_high`` (Student): ``estimate ± t(N0 − 1) · s``, s² the mean of the
      squared placebo estimates; exact at ``level`` when the groups' errors are
      independent normal draws with one variance (N0 − 1 degrees of freedom: the placebo
      estimates, each group's deviation from the others, sum to about zero);
    - ``rank_low``, ``rank_high`` (no assumption on the law, only that the treated
      group's error is exchangeable with the placebo estimates): the estimate minus the
      k-th largest and k-th smallest placebo estimates, k as large as possible with a
      coverage ``rank_coverage`` = (N0 + 1 − 2k) / (N0 + 1) ≥ ``level``. Below
      2 / (1 − level) groups (40 at 95 %) no finite interval reaches ``level``: the
      placebo range (k = 1) is given with its coverage (N0 − 1) / (N0 + 1) and
      ``rank_reaches_level`` False.

    Returns a dict: ci_low, ci_high, scale (s), df, rank_low, rank_high, rank_coverage,
    rank_reaches_level, n_placebo; NaN with fewer than two placebo estimates.
    """
    e = np.asarray(placebo, dtype=float)
    e = np.sort(e[np.isfinite(e)])
    n0 = len(e)
    nan = float("nan")
    out = {"ci_low": nan, "ci_high": nan, "scale": nan, "df": max(n0 - 1, 0), "rank_low": nan, "rank_high": nan,
           "rank_coverage": nan, "rank_reaches_level": False, "n_placebo": n0}
    if n0 < 2 or not np.isfinite(estimate):
        return out
    scale = float(np.sqrt(np.mean(e ** 2)))
    half = float(t_quantile((1 + level) / 2, n0 - 1)) * scale
    k = int(np.floor((n0 + 1) * (1 - level) / 2 + 1e-9))
    reaches = k >= 1
    k = max(k, 1)
    out.update(ci_low=estimate - half, ci_high=estimate + half, scale=scale,
               rank_low=float(estimate - e[n0 - k]), rank_high=float(estimate - e[k - 1]),
               rank_coverage=(n0 + 1 - 2 * k) / (n0 + 1), rank_reaches_level=reaches)
    return out


@dataclass(frozen=True)
class PlaceboInference:
    """One treated group's difference in differences with inference that fits the design.

    Made by :func:`placebo_inference`. ``estimate`` is the treated group's coefficient;
    ``p_value`` its permutation p-value over the ``n_groups`` groups, never below
    ``p_floor`` = 1 / ``n_groups``; ``ci_low``, ``ci_high`` its Conley–Taber interval
    (Student) at ``level``, ``rank_low``, ``rank_high`` the one without assumption on the
    law, of coverage ``rank_coverage`` (see :func:`conley_taber_interval`). ``placebo``:
    one row per control group (group, estimate, ci_low, ci_high: the placebo fit's own
    interval clustered by unit, identified). ``event_study``: the treated group's
    coefficient per time (time, role, estimate) with the Student interval from the
    placebo coefficients of that time (ci_low, ci_high, n_placebo); ``pretrend_p``: the
    permutation p-value of the treated group's pre-period coefficients (root of the sum
    of their squares, ranked among the groups'), NaN with none. ``fit``: the treated
    group's :class:`DiffInDiff` (its interval clustered by unit ignores the groups'
    shocks). ``identified`` False, with ``note``, when the treated group's estimate
    cannot be computed; ``note`` also counts the control groups left without placebo.
    """

    estimate: float
    p_value: float
    p_floor: float
    ci_low: float
    ci_high: float
    rank_low: float
    rank_high: float
    rank_coverage: float
    rank_reaches_level: bool
    level: float
    n_groups: int
    placebo: pd.DataFrame
    event_study: pd.DataFrame
    pretrend_p: float
    fit: DiffInDiff
    identified: bool = True
    note: str = ""


def placebo_inference(frame: pd.DataFrame, outcome: str, *, unit: str, time: str, group: str,
                      treated_group: object, first_treated: float, weights: str | None = None,
                      time_by: str | None = None, level: float = Z95, event_study: bool = False) -> PlaceboInference:
    """Difference in differences of one treated group (a department), with design-based inference.

    With one treated group, errors clustered by unit ignore shocks common to a group and a
    year: they shrink with the number of units, the group's shocks do not, and intervals
    and p-values are far too optimistic. The treated group is fitted against every other
    group (:func:`diff_in_diff`, kept in ``fit``), and each control group in turn against
    the remaining control groups, the treated group left out: its placebo estimate, the
    estimate of an effect that does not exist. Their spread is what the treated group's
    estimate would show without effect: the permutation p-value
    (:func:`permutation_p_value`) and the Conley–Taber intervals
    (:func:`conley_taber_interval`) come from it.

    Args:
        frame: one row per unit and time, with a ``group`` column constant within unit.
        outcome, unit, time, first_treated, weights, time_by, level: as :func:`diff_in_diff`.
        group: the column of the groups (department).
        treated_group: the treated group's value in ``group``.
        event_study: also the event study with placebo intervals and the permutation
            test of the pre-period coefficients (twice the time).

    Returns:
        A :class:`PlaceboInference`.
    """
    flag = "__treated_group__"
    kw = {"unit": unit, "time": time, "treated": flag, "first_treated": first_treated, "weights": weights,
          "time_by": time_by, "level": level, "event_study": event_study}
    data = frame.assign(**{flag: (frame[group] == treated_group).to_numpy()})
    main = diff_in_diff(data, outcome, **kw)
    others = data[~data[flag]]
    rows, events = [], {}
    for code in sorted(others[group].dropna().unique()):
        res = diff_in_diff(others.assign(**{flag: (others[group] == code).to_numpy()}), outcome, **kw)
        rows.append({"group": code, "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
                     "identified": res.identified})
        if res.identified:
            events[code] = res.event_study.set_index("time")["estimate"]
    placebo = pd.DataFrame(rows, columns=["group", "estimate", "ci_low", "ci_high", "identified"])
    draws = placebo.loc[placebo["identified"], "estimate"].to_numpy(float)
    ct = conley_taber_interval(main.estimate, draws, level)
    notes = [main.note] if not main.identified else []
    if len(draws) < len(placebo):
        notes.append(f"{len(placebo) - len(draws)} groupe(s) de comparaison sans estimation placebo, écarté(s)")
    if main.identified and len(draws) < 2:
        notes.append("moins de deux groupes de comparaison avec une estimation placebo : pas d'inférence par "
                     "permutation")
    ev, pretrend = _placebo_event_study(main, events, level) if event_study else (main.event_study, float("nan"))
    return PlaceboInference(
        estimate=main.estimate, p_value=permutation_p_value(main.estimate, draws) if len(draws) >= 2 else float("nan"),
        p_floor=1 / (len(draws) + 1), ci_low=ct["ci_low"], ci_high=ct["ci_high"], rank_low=ct["rank_low"],
        rank_high=ct["rank_high"], rank_coverage=ct["rank_coverage"], rank_reaches_level=ct["rank_reaches_level"],
        level=level, n_groups=len(draws) + 1, placebo=placebo, event_study=ev, pretrend_p=pretrend, fit=main,
        identified=main.identified, note=" ; ".join(notes),
    )


def _placebo_event_study(main: DiffInDiff, events: dict, level: float) -> tuple[pd.DataFrame, float]:
    """The treated group's event study with Student intervals from the placebo coefficients of each time."""
    ev = main.event_study[["time", "role", "estimate"]].copy()
    if ev.empty:
        return ev.assign(ci_low=pd.Series(dtype=float), ci_high=pd.Series(dtype=float), n_placebo=0), float("nan")
    coefs = pd.DataFrame(events).reindex(ev["time"]) if events else pd.DataFrame(index=ev["time"])
    lows, highs, counts = [], [], []
    for x, role, est in ev.itertuples(index=False):
        draws = coefs.loc[x].to_numpy(float) if len(coefs.columns) else np.array([])
        ct = conley_taber_interval(est, draws, level) if role != "reference" else {"ci_low": np.nan,
                                                                                   "ci_high": np.nan}
        lows.append(ct["ci_low"])
        highs.append(ct["ci_high"])
        counts.append(int(np.isfinite(draws).sum()))
    ev["ci_low"], ev["ci_high"], ev["n_placebo"] = lows, highs, counts
    pre = ev.loc[(ev["role"] == "pre") & ev["estimate"].notna(), "time"].to_list()
    if not pre:
        return ev, float("nan")
    treated = float(np.sqrt((ev.set_index("time").loc[pre, "estimate"] ** 2).sum()))
    sizes = (coefs.loc[pre] ** 2).sum(min_count=len(pre)) if len(coefs.columns) else pd.Series(dtype=float)
    sizes = np.sqrt(sizes.dropna().to_numpy(float))
    return ev, permutation_p_value(treated, sizes) if len(sizes) >= 2 else float("nan")


# --------------------------------------------------------------------------- comparisons, counts, ratios
# (shared by the target modules)

def random_seed() -> int:
    """The seed of every random draw of the library (``random_seed`` of ``params/statistics.yaml``).

    Recorded in every report's manifest entry: a report is rebuilt with the same draws.
    """
    import yaml

    from .paths import params_dir

    path = params_dir() / "statistics.yaml"
    with path.open(encoding="utf-8") as fh:
        seed = (yaml.safe_load(fh) or {}).get("random_seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"params/statistics.yaml : « random_seed » doit être un entier positif (lu : {seed!r})")
    return seed


Z = normal_quantile(0.975)
PERMUTATIONS = 4999
SEED = random_seed()


def difference_interval(v1: float, lo1: float, hi1: float, v2: float, lo2: float,
                        hi2: float) -> tuple[float, float, float]:
    """``v1 − v2`` with the 95 % interval combining two independent rates' Wilson intervals.

    Newcombe's hybrid score method (1998, method 10): valid near 0 and 100 %.
    """
    diff = v1 - v2
    lo = diff - np.sqrt((v1 - lo1) ** 2 + (hi2 - v2) ** 2)
    hi = diff + np.sqrt((hi1 - v1) ** 2 + (v2 - lo2) ** 2)
    return float(diff), float(lo), float(hi)


def newcombe_interval(k1: float, n1: float, k2: float, n2: float, scale: float = 100.0,
                      level: float = Z95) -> tuple[float, float]:
    """95 % Newcombe (hybrid Wilson score) interval of p1 − p2, in ``scale`` units.

    Two independent proportions (independent units); ``level``: another confidence level.

    >>> lo, hi = newcombe_interval(56, 70, 48, 80)
    >>> round(lo, 2), round(hi, 2)
    (5.24, 33.39)
    """
    if not (n1 > 0 and n2 > 0):
        return float("nan"), float("nan")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = (float(x) for x in wilson_interval(k1, n1, level))
    l2, u2 = (float(x) for x in wilson_interval(k2, n2, level))
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(lo * scale), float(hi * scale)


def compare_proportions(k1: float, n1: float, k2: float, n2: float) -> dict:
    """Difference of two independent proportions, in percentage points.

    The interval is Newcombe's (hybrid score, built on the two Wilson intervals); the test
    is Fisher's exact test (two-sided). Returns diff, ci_low, ci_high, p_value, and the two
    rates (%); NaN where a group is empty.
    """
    nan = {"diff": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
           "rate1": np.nan, "rate2": np.nan}
    if not n1 or not n2 or n1 <= 0 or n2 <= 0:
        return nan
    p1, p2 = k1 / n1, k2 / n2
    (l1, l2), (u1, u2) = wilson_interval(np.array([k1, k2]), np.array([n1, n2]))
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    from scipy import stats as sps

    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    p_value = float(sps.fisher_exact(table).pvalue)
    return {"diff": d * 100, "ci_low": lo * 100, "ci_high": hi * 100, "p_value": p_value,
            "rate1": p1 * 100, "rate2": p2 * 100}


def two_proportion_test(k1: float, n1: float, k2: float, n2: float) -> dict:
    """Compare two rates k1/n1 and k2/n2 (in %).

    Returns ``rate1``, ``rate2`` (%), ``diff`` = rate1 − rate2 (points) with its 95 % Newcombe
    interval (``diff_low``, ``diff_high``), ``ratio`` = rate1 / rate2, ``z`` and the
    two-sided ``p_value`` of the pooled two-proportion z-test. NaN where a denominator is 0;
    ``p_value`` is 1 when both rates are 0 (or both 100 %).
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    nan = float("nan")
    out = {"rate1": nan, "rate2": nan, "diff": nan, "diff_low": nan, "diff_high": nan, "ratio": nan,
           "z": nan, "p_value": nan}
    k1, n1, k2, n2 = (float(x) for x in (k1, n1, k2, n2))
    if not (n1 > 0 and n2 > 0):
        return out
    p1, p2 = k1 / n1, k2 / n2
    out.update(rate1=p1 * 100, rate2=p2 * 100, diff=(p1 - p2) * 100, ratio=p1 / p2 if p2 > 0 else nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
        out.update(diff_low=float(lo) * 100, diff_high=float(hi) * 100)
        pooled = (k1 + k2) / (n1 + n2)
        if pooled in (0.0, 1.0):
            out.update(z=0.0, p_value=1.0)
        else:
            z, p = proportions_ztest(np.array([k1, k2]), np.array([n1, n2]))
            out.update(z=float(z), p_value=float(p))
    return out


def holm(p_values: pd.Series) -> pd.Series:
    """Holm-adjusted p-values (missing stay missing).

    Step-down: the k-th smallest of m p-values is multiplied by m − k + 1, made
    non-decreasing and capped at 1 — statsmodels' ``multipletests(method="holm")``, whose
    numbers the unit tests check, without its full garbage collection at every call (a
    quarter of a second in a report's process holding the data).
    """
    out = pd.Series(np.nan, index=p_values.index, dtype=float)
    valid = p_values.notna().to_numpy()
    if valid.any():
        p = p_values[valid].astype(float).to_numpy()
        order = np.argsort(p, kind="mergesort")
        m = len(p)
        adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
        result = np.empty(m)
        result[order] = adjusted
        out[valid] = result
    return out


def poisson_interval(count: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson mean from one observed count."""
    if count is None or not np.isfinite(count) or count < 0:
        return np.nan, np.nan
    from scipy import stats as sps

    a = 1 - level
    lo = 0.0 if count == 0 else float(sps.chi2.ppf(a / 2, 2 * count) / 2)
    hi = float(sps.chi2.ppf(1 - a / 2, 2 * count + 2) / 2)
    return lo, hi


def cluster_ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, float, int]:
    """Ratio of sums Σnum / Σden and its standard error, establishments as clusters.

    Linearised (delta method) variance ``n/(n−1) Σ (y_i − R x_i)² / X²``; the standard
    error is NaN with fewer than two clusters or a zero denominator.
    """
    y = np.asarray(num, dtype=float)
    x = np.asarray(den, dtype=float)
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return float("nan"), float("nan"), n
    r = y.sum() / total
    if n < 2:
        return float(r), float("nan"), n
    var = n / (n - 1) * np.sum((y - r * x) ** 2) / total ** 2
    return float(r), float(np.sqrt(var)), n


def ratio_interval(y: np.ndarray | pd.Series, x: np.ndarray | pd.Series,
                   level: float = 0.95) -> tuple[float, float, float, int]:
    """Ratio Σy / Σx of clustered counts with its interval, the cluster as the unit.

    Each position is one unit (a robot): ``y`` its days assigned, ``x`` its days in the
    fleet. The variance is the ratio estimator's (linearisation):
    ``n / (n - 1) · Σ (y − r·x)² / (Σx)²``, with a Student quantile on n − 1 degrees of
    freedom; bounds are clipped to [0, 1].

    Returns:
        (ratio, low, high, n); NaN ratio when Σx is 0, NaN bounds with fewer than 2 units.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0)
    y, x = y[keep], x[keep]
    n = len(x)
    total = x.sum()
    if n == 0 or total <= 0:
        return np.nan, np.nan, np.nan, n
    r = y.sum() / total
    if n < 2:
        return r, np.nan, np.nan, n
    var = n / (n - 1) * ((y - r * x) ** 2).sum() / total ** 2
    half = float(t_quantile(0.5 + level / 2, n - 1) * np.sqrt(var))
    return r, max(0.0, r - half), min(1.0, r + half), n


def ratio_table(frame: pd.DataFrame, numerator: str, denominator: str, by: list[str] | None = None,
                scale: float = 1.0, level: float = Z95) -> pd.DataFrame:
    """Ratio of sums by groups with a 95 % interval clustered on the frame's rows.

    Each row is one cluster (one establishment): the ratio estimator's linearised variance
    (:func:`cluster_ratio`) and Student's quantile with clusters − 1 degrees of freedom.
    Returns ``by`` columns, ``numerator``, ``denominator``, ``value``, ``ci_low``,
    ``ci_high``, ``se``, ``clusters``, and what :func:`breakdown_gap` needs to compare two
    groups: ``influence`` (see :func:`cluster_rate_table`) and ``ci_method`` = ``cluster``.
    """
    rows = frame.reset_index(drop=True)
    return _cluster_groups(rows, numerator, denominator, by, np.arange(len(rows)), len(rows), scale, level,
                           proportion=False)


def cluster_rate_table(frame: pd.DataFrame, numerator: str, denominator: str, cluster: str,
                       by: list[str] | None = None, scale: float = 100.0, level: float = Z95) -> pd.DataFrame:
    """A rate Σ numerator / Σ denominator by groups, with establishments (``cluster``) as clusters.

    The rows (pupils, accounts, or counts per establishment) are summed per group and
    cluster; each group's rate is the ratio estimator, its variance the linearised one,
    ``n/(n−1) Σ (y_i − R x_i)² / X²`` over the group's ``n`` clusters, and its 95 % interval
    Student's with ``n − 1`` degrees of freedom (none with fewer than two clusters),
    bounded below by 0 (and above by 100 % for a rate that does not exceed it).

    Returns ``by`` columns, ``numerator``, ``denominator``, ``value``, ``ci_low``,
    ``ci_high``, ``se``, ``clusters``, ``design_effect`` (the clustered variance over the
    binomial one, ``p (1 − p) / X``: how much too narrow a Wilson interval would be),
    ``influence`` (each group's linearised values ``(y_i − R x_i) / X`` over every cluster
    of ``frame``, NaN for the clusters outside the group: two groups sharing clusters, as
    pupils and teachers of the same lycées, are compared with their covariance) and
    ``ci_method`` = ``cluster``. A row whose cluster is missing is a cluster of its own.
    """
    ids = frame[cluster].astype("string")
    missing = ids.isna().to_numpy()
    if missing.any():  # a row without its cluster is a cluster of its own
        ids = ids.where(~missing, pd.Series([f"\0{k}" for k in range(len(ids))], index=ids.index, dtype="string"))
    if not by and all(pd.api.types.is_numeric_dtype(frame[c]) for c in (numerator, denominator)):
        # One group (most calls): the clusters' sums by np.bincount over the sorted cluster
        # codes, as the group-by below gives them, without its cost (a few ms per call).
        codes, uniques = pd.factorize(ids, sort=True)
        sums = {c: np.bincount(codes, weights=np.nan_to_num(frame[c].to_numpy(dtype=float, na_value=np.nan)),
                               minlength=len(uniques)) for c in (numerator, denominator)}
        return _cluster_groups(sums, numerator, denominator, None, np.arange(len(uniques)),
                               len(uniques), scale, level, proportion=True)
    keyed = frame.assign(_cluster=ids)
    keys = [*(by or []), "_cluster"]
    agg = (keyed.groupby(keys, observed=True, dropna=False)[[numerator, denominator]].sum().reset_index())
    codes, uniques = pd.factorize(agg["_cluster"])
    return _cluster_groups(agg, numerator, denominator, by, codes, len(uniques), scale, level, proportion=True)


def _cluster_groups(rows: pd.DataFrame | dict[str, np.ndarray], numerator: str, denominator: str,
                    by: list[str] | None, codes: np.ndarray, n_codes: int, scale: float, level: float,
                    proportion: bool) -> pd.DataFrame:
    y_all = np.asarray(rows[numerator], dtype=float)
    x_all = np.asarray(rows[denominator], dtype=float)
    groups = (rows.groupby(by, observed=True, dropna=False, sort=True).indices.items() if by
              else [((), np.arange(len(y_all)))])
    cols = [*(by or []), "numerator", "denominator", "value", "ci_low", "ci_high", "se", "clusters",
            *(["design_effect"] if proportion else []), "influence", "ci_method"]
    out: dict[str, list] = {c: [] for c in cols}
    for key, idx in groups:
        y, x, c = y_all[idx], x_all[idx], codes[idx]
        total, n = x.sum(), len(idx)
        r = y.sum() / total if total > 0 else np.nan
        influence = np.full(n_codes, np.nan)
        se = deff = np.nan
        lo = hi = np.nan
        if total > 0:
            influence[c] = 0.0
            np.add.at(influence, c, (y - r * x) / total * scale)
            if n >= 2:
                se = float(np.sqrt(n / (n - 1) * np.nansum(influence ** 2)))
                half = float(t_quantile(0.5 + level / 2, n - 1)) * se
                lo, hi = max(r * scale - half, 0.0), r * scale + half
                if proportion and r <= 1:
                    hi = min(hi, scale)
                if proportion and 0 < r < 1:
                    deff = (se / scale) ** 2 / (r * (1 - r) / total)
        if by:
            for name, value in zip(by, key if isinstance(key, tuple) else (key,), strict=True):
                out[name].append(value)
        row = {"numerator": float(y.sum()), "denominator": float(total), "value": r * scale,
               "ci_low": lo, "ci_high": hi, "se": se, "clusters": n, "influence": influence, "ci_method": "cluster"}
        if proportion:
            row["design_effect"] = deff
        for name, value in row.items():
            out[name].append(value)
    return pd.DataFrame(out, columns=cols)


def ratio_contrast(y: np.ndarray, x: np.ndarray, coef: np.ndarray | list[float],
                   level: float = Z95, scale: float = 100.0) -> dict:
    """A linear combination of ratios of sums over the same clusters, with its interval.

    ``y`` and ``x`` are (clusters × terms) arrays: row *i* holds cluster *i*'s numerator and
    denominator of each term (0 where the cluster has no unit in the term). The estimate is
    ``Σ_k c_k · Σ_i y_ik / Σ_i x_ik``: a difference of two rates (``coef`` = [1, −1]) — two
    groups of establishments, or boys and girls of the same lycées —, or a difference of two
    such differences (the change of a gap between two years: [1, −1, −1, 1]). Its variance
    is the linearised one with the establishment as the unit, ``n/(n−1) Σ_i z_i²`` with
    ``z_i = Σ_k c_k (y_ik − R_k x_ik) / X_k`` over the ``n`` clusters present in some term:
    the covariance of terms sharing establishments (the same lycées every year) is in it.
    Student's quantile with ``n − 1`` degrees of freedom. For two groups of establishments
    that share none, :func:`welch_difference` on each group's own variance is better.

    Returns estimate, se, ci_low, ci_high, p_value (two-sided), clusters — in ``scale``
    units (points for rates in %); NaN where a term has no denominator, and no interval
    where a term has fewer than two clusters (nothing says how its establishments vary).
    """
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    c = np.asarray(coef, dtype=float)
    present = (x > 0).any(axis=1)
    y, x = y[present], x[present]
    n = int(len(x))
    nan = float("nan")
    out = {"estimate": nan, "se": nan, "ci_low": nan, "ci_high": nan, "p_value": nan, "clusters": n}
    totals = x.sum(axis=0)
    if n == 0 or (totals <= 0).any():
        return out
    ratios = y.sum(axis=0) / totals
    estimate = float(ratios @ c) * scale
    out["estimate"] = estimate
    if n < 2 or ((x > 0).sum(axis=0)[c != 0] < 2).any():
        return out
    z = ((y - ratios * x) / totals) @ c * scale
    se = float(np.sqrt(n / (n - 1) * np.sum(z ** 2)))
    half = float(t_quantile(0.5 + level / 2, n - 1)) * se
    p = float(2 * special.stdtr(n - 1, -abs(estimate) / se)) if se > 0 else (1.0 if estimate == 0 else 0.0)
    out.update(se=se, ci_low=estimate - half, ci_high=estimate + half, p_value=p)
    return out


def _welch(se1: float, n1: float, se2: float, n2: float) -> tuple[float, float]:
    """Standard error and Welch–Satterthwaite degrees of freedom of a difference (NaN if n < 2)."""
    var = se1 ** 2 + se2 ** 2
    if not (n1 >= 2 and n2 >= 2 and np.isfinite(var)):
        return float("nan"), float("nan")
    v1, v2 = se1 ** 2, se2 ** 2
    df = var ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1)) if var > 0 else min(n1, n2) - 1
    return float(np.sqrt(var)), float(df)


def welch_difference(diff: float, se1: float, n1: float, se2: float, n2: float,
                     level: float = Z95) -> tuple[float, float]:
    """Interval of a difference of two independent estimates from their standard errors.

    ``n1``, ``n2``: their units (establishments for clustered rates, values for means);
    Student's quantile with the Welch–Satterthwaite degrees of freedom. NaN with fewer than
    two units on a side.
    """
    se, df = _welch(se1, n1, se2, n2)
    if not np.isfinite(se):
        return float("nan"), float("nan")
    half = float(t_quantile(0.5 + level / 2, df)) * se
    return float(diff - half), float(diff + half)


def _two_sided_p(estimate: float, se: float, df: float) -> float:
    if not (np.isfinite(se) and np.isfinite(df)):
        return float("nan")
    if se == 0:
        return 1.0 if estimate == 0 else 0.0
    return float(2 * special.stdtr(df, -abs(estimate) / se))


#: The columns a breakdown keeps for :func:`breakdown_gap` (those its table has).
BREAKDOWN_TEST_COLUMNS = ("se", "clusters", "design_effect", "n", "influence", "ci_method", "cluster_label")


def breakdown_gap(first: pd.Series | dict, second: pd.Series | dict, groups: int = 2,
                  level: float = Z95) -> dict | None:
    """``first − second`` of two groups of a breakdown, with an interval that fits the data.

    The interval follows the table's ``ci_method``:

    - ``cluster`` (units grouped in establishments, :func:`cluster_rate_table`,
      :func:`ratio_table`): linearised variance of the difference with establishments as
      clusters, from the rows' ``influence``; groups without a common establishment add
      their variances (Welch–Satterthwaite degrees of freedom), groups sharing
      establishments (profiles, class levels) are paired on them (clusters − 1);
    - ``wilson`` (independent units: establishments, authorities; rates in %): Newcombe's
      interval built on the two Wilson intervals (``numerator``, ``denominator``);
    - ``student`` (means over independent units, with ``se`` and ``n``): Welch.

    The level is corrected for the comparison of ``groups`` groups (Bonferroni over their
    ``groups (groups − 1) / 2`` pairs): the highest and lowest groups of a breakdown are
    picked after seeing the data. Returns diff, ci_low, ci_high, significant (the
    interval excludes 0), p_value (of the same test, Bonferroni-corrected likewise; NaN for
    Newcombe's interval, which has none), method, level; None when the table has no such
    method (the gap can then only be described) or the interval cannot be computed.
    """
    method = first.get("ci_method") if hasattr(first, "get") else None
    if not isinstance(method, str) or method != (second.get("ci_method") if hasattr(second, "get") else None):
        return None
    pairs = max(groups * (groups - 1) // 2, 1)
    adjusted = 1 - (1 - level) / pairs
    diff = float(first["value"]) - float(second["value"])
    se = df = p_value = np.nan
    if method == "cluster":
        z1, z2 = np.asarray(first["influence"], float), np.asarray(second["influence"], float)
        in1, in2 = ~np.isnan(z1), ~np.isnan(z2)
        n1, n2 = int(in1.sum()), int(in2.sum())
        if (in1 & in2).any():
            n = int((in1 | in2).sum())
            if n1 >= 2 and n2 >= 2:
                se = float(np.sqrt(n / (n - 1) * np.sum((np.nan_to_num(z1) - np.nan_to_num(z2)) ** 2)))
                df = n - 1
        else:
            se1 = np.sqrt(n1 / (n1 - 1) * np.sum(z1[in1] ** 2)) if n1 >= 2 else np.nan
            se2 = np.sqrt(n2 / (n2 - 1) * np.sum(z2[in2] ** 2)) if n2 >= 2 else np.nan
            se, df = _welch(se1, n1, se2, n2)
    elif method == "student":
        se, df = _welch(float(first["se"]), float(first["n"]), float(second["se"]), float(second["n"]))
    elif method != "wilson":
        return None
    if method == "wilson":
        lo, hi = newcombe_interval(float(first["numerator"]), float(first["denominator"]),
                                   float(second["numerator"]), float(second["denominator"]), level=adjusted)
    elif np.isfinite(se):
        half = float(t_quantile(0.5 + adjusted / 2, df)) * se
        lo, hi = diff - half, diff + half
        p_value = min(1.0, _two_sided_p(diff, se, df) * pairs)
    else:
        lo = hi = np.nan
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    return {"diff": diff, "ci_low": float(lo), "ci_high": float(hi), "significant": bool(lo > 0 or hi < 0),
            "p_value": p_value, "method": method, "level": adjusted}


def compare_groups(frame: pd.DataFrame, numerator: str, denominator: str, cluster: str,
                   first: np.ndarray | pd.Series, second: np.ndarray | pd.Series, level: float = Z95) -> dict:
    """Rate of the rows ``first`` minus rate of the rows ``second``, establishments as clusters.

    ``first`` and ``second`` are boolean masks of ``frame`` (projects, pupils…; ``cluster``
    their establishment). Groups of different establishments (an academy against the
    others) add their variances (Welch); groups sharing establishments (two artistic
    domains) are paired on them (:func:`breakdown_gap`). Returns rate1, rate2 (%), n1, n2
    (rows), clusters1, clusters2, diff (points), ci_low, ci_high, p_value; NaN where a
    group is empty or has fewer than two establishments.
    """
    a, b = np.asarray(first, bool), np.asarray(second, bool)
    nan = float("nan")
    out = {"rate1": nan, "rate2": nan, "n1": float(frame.loc[a, denominator].sum()),
           "n2": float(frame.loc[b, denominator].sum()), "clusters1": 0, "clusters2": 0,
           "diff": nan, "ci_low": nan, "ci_high": nan, "p_value": nan}
    both = frame[a | b].assign(_side=np.where(a, "1", "2")[a | b])
    table = cluster_rate_table(both, numerator, denominator, cluster, by=["_side"]).set_index("_side")
    if {"1", "2"} - set(table.index):
        return out
    r1, r2 = table.loc["1"], table.loc["2"]
    out.update(rate1=float(r1["value"]), rate2=float(r2["value"]), clusters1=int(r1["clusters"]),
               clusters2=int(r2["clusters"]), diff=float(r1["value"] - r2["value"]))
    gap = breakdown_gap(r1, r2, groups=2, level=level)
    if gap is not None:
        out.update(ci_low=gap["ci_low"], ci_high=gap["ci_high"], p_value=gap["p_value"])
    return out


def cluster_permutation_test(y: np.ndarray, n: np.ndarray, group: np.ndarray, permutations: int = PERMUTATIONS,
                             seed: int = SEED) -> dict:
    """Difference of pooled proportions between two groups of clusters, tested by permutation.

    Each position is a cluster (an establishment) with ``y`` successes out of ``n`` units
    and ``group`` True (first group) or False. Group labels are permuted among clusters, so
    units of one cluster move together (the test holds when they are alike). The interval
    of the difference uses each group's ratio-estimator variance (:func:`welch_difference`).

    Returns diff (points), ci_low, ci_high, p_value, clusters1, clusters2.
    """
    y, n, g = np.asarray(y, float), np.asarray(n, float), np.asarray(group, bool)
    out = {"diff": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
           "clusters1": int(g.sum()), "clusters2": int((~g).sum())}
    if g.sum() == 0 or (~g).sum() == 0 or n[g].sum() == 0 or n[~g].sum() == 0:
        return out

    def diff(labels: np.ndarray) -> np.ndarray:
        ya, na = labels @ y, labels @ n
        yb, nb = y.sum() - ya, n.sum() - na
        with np.errstate(invalid="ignore", divide="ignore"):
            return ya / na - yb / nb

    observed = float(diff(g.astype(float)))
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.tile(g.astype(float), (permutations, 1)), axis=1)
    sims = diff(perms)
    p_value = (1 + np.sum(np.abs(sims) >= abs(observed) - 1e-12)) / (permutations + 1)
    ses = []
    for sel in (g, ~g):
        _, se, _ = cluster_ratio(y[sel], n[sel])
        ses.append(se)
    lo, hi = welch_difference(observed * 100, ses[0] * 100, int(g.sum()), ses[1] * 100, int((~g).sum()))
    out.update({"diff": observed * 100, "ci_low": lo, "ci_high": hi, "p_value": float(p_value)})
    return out


def fit_quasi_binomial(successes: np.ndarray, trials: np.ndarray, exog: np.ndarray,
                       groups: np.ndarray | None = None):
    """Binomial GLM (logit) with the Pearson dispersion when it exceeds 1 (quasi-binomial).

    With ``groups`` (one cluster code per row, e.g. the lycée of each lycée × year row),
    the covariance is cluster-robust instead (sandwich, Student with clusters − 1 degrees
    of freedom): rows of the same establishment over the years are not independent, and
    the robust covariance covers both their correlation and the overdispersion. The fit's
    ``dispersion`` attribute is the Pearson dispersion of the plain fit either way.
    """
    import statsmodels.api as sm

    endog = np.column_stack([successes, trials - successes]).astype(float)
    model = sm.GLM(endog, exog, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
        dispersion = res.pearson_chi2 / res.df_resid if res.df_resid > 0 else np.nan
        if groups is not None:
            res = model.fit(cov_type="cluster", cov_kwds={"groups": np.asarray(groups)}, use_t=True)
        elif np.isfinite(dispersion) and dispersion > 1:
            res = model.fit(scale=float(dispersion))
    res.dispersion = float(dispersion)
    return res


def logistic_trend(frame: pd.DataFrame, successes: str, trials: str, year: str = "year",
                   deadline: int | None = None, min_points_for_interval: int | None = None,
                   cluster: str | None = None) -> dict:
    """Trend of a share over the years: logit(share) = a + b × year (quasi-binomial GLM).

    ``frame`` has one row per unit and year (e.g. lycée × year) with counts; the dispersion
    between units widens the intervals (Pearson scale, never below 1). With ``cluster``
    (the column of the establishment), the covariance is clustered on it instead: the
    same establishments year after year are one cluster each (see
    :func:`fit_quasi_binomial`).

    Returns ``n_years``, ``odds_ratio`` per year with its 95 % interval (``or_low``,
    ``or_high``), ``p_value`` (slope = 0), ``points_per_year`` (average change of the share
    in points a year, slope × p̄(1 − p̄)) with its interval, ``dispersion``, and, when
    ``deadline`` (a first calendar year) is given, the ``projection`` there (%) with its 95 %
    prediction interval (``projection_low``, ``projection_high``) and ``projection_indicative``.
    The projection is the observatory's one method, the status rule's (:func:`fit_projection`
    on the yearly shares, logit scale): no interval with fewer than ``min_points_for_interval``
    years (default: ``params/status.yaml``), the projection then indicative. NaN when fewer
    than two years or a degenerate share (always 0 or 100 %).
    """
    nan = float("nan")
    out = {"n_years": 0, "odds_ratio": nan, "or_low": nan, "or_high": nan, "p_value": nan,
           "points_per_year": nan, "points_low": nan, "points_high": nan, "dispersion": nan,
           "projection": nan, "projection_low": nan, "projection_high": nan, "projection_indicative": False}
    f = frame[frame[trials].astype(float) > 0]
    years = f[year].astype(float).to_numpy()
    out["n_years"] = int(len(np.unique(years)))
    s = f[successes].astype(float).to_numpy()
    n = f[trials].astype(float).to_numpy()
    if out["n_years"] < 2 or s.sum() == 0 or s.sum() == n.sum():
        return out
    x0 = float(years.min())
    exog = np.column_stack([np.ones_like(years), years - x0])
    groups = pd.factorize(f[cluster])[0] if cluster is not None else None
    try:
        res = fit_quasi_binomial(s, n, exog, groups)
    except Exception:  # noqa: BLE001 - a failed fit leaves the trend undetermined
        return out
    b = float(res.params[1])
    lo, hi = (float(v) for v in np.asarray(res.conf_int())[1])
    pbar = s.sum() / n.sum()
    k = pbar * (1 - pbar) * 100
    out.update(odds_ratio=np.exp(b), or_low=np.exp(lo), or_high=np.exp(hi), p_value=float(res.pvalues[1]),
               points_per_year=b * k, points_low=lo * k, points_high=hi * k,
               dispersion=float(max(1.0, res.dispersion)) if np.isfinite(res.dispersion) else 1.0)
    if deadline is not None:
        yearly = pd.DataFrame({"year": years, "s": s, "n": n}).groupby("year")[["s", "n"]].sum()
        proj = fit_projection(yearly.index.to_numpy(float), (yearly["s"] / yearly["n"] * 100).to_numpy(),
                              scale="logit", lower=0.0, upper=100.0, min_points_for_interval=min_points_for_interval)
        if proj is not None:
            value, low, high = proj.predict(float(deadline))
            out.update(projection=value, projection_low=low, projection_high=high,
                       projection_indicative=proj.indicative)
    return out
