"""Target 1.4 — parents furthest from digital: co-education and the digital divide.

Indicators (``params/targets/1.4-parents.yaml``):

- ``service_establishments`` / ``france_services_houses``: structures of the
  ``parentalite`` follow-up active in the school year (selected or signed on or before
  31 August, not ended before 1 September), counted by the department they serve;
- ``parents_ent_usage_rate``: parents' activated accounts over loaded accounts, at the
  reference month (June, else the latest month exported), every ENT platform (lycées,
  collèges, écoles); an establishment found on two platforms in a year keeps the one with
  the most loaded parent accounts;
- ``parents_ent_ips_gap``: that rate in the most favoured IPS quartile (Q4) minus the
  least favoured one (Q1), in points, with a 95 % interval.

Parents' accounts are grouped in establishments: every interval and test takes the
establishments as clusters (:func:`~drane_analysis.stats.cluster_rate_table`,
:func:`~drane_analysis.stats.ratio_contrast`). Beyond the headline: the gap year by year and
a trend test of the gap, the same establishments paired across the years
(:func:`ips_gap_by_year`, :func:`gap_trend`); the rate by IPS quartile over the years;
parents' connections per activated account by IPS quartile and territory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period, period_range
from ..privacy import linked_breakdown
from ..stats import (  # noqa: F401  (shared statistics)
    BREAKDOWN_TEST_COLUMNS,
    Z,
    cluster_rate_table,
    cluster_ratio,
    newcombe_interval,
    ratio_contrast,
    ratio_table,
    t_quantile,
    welch_difference,
)
from .t3_4_ent import account_year

TARGET = "1.4"
STRUCTURE_INDICATORS = {"service_establishments": "service_establishment",
                        "france_services_houses": "france_services"}
STRUCTURE_LABELS = {"service_establishment": "Établissements de service",
                    "france_services": "Maisons France Services"}
PARENT_ATTRIBUTES = ["kind", "sector", "territory", "priority_education", "department_label"]
TOP, BOTTOM = "Q4", "Q1"
NO_IPS = {"no_ips": "établissement{s} sans IPS dans les fichiers de la DEPP"}


# --------------------------------------------------------------------------- structures


def structure_periods(data: Data, frame: pd.DataFrame) -> list[str]:
    """School years to count structures for: from the first start to the data's last year.

    The last year is the demo's last, else the latest of the ENT accounts export, else
    the latest start or end of a structure.
    """
    if frame.empty:
        return []
    first = Period.of_date(frame["start"].min())
    candidates = [Period.of_date(d) for d in pd.concat([frame["start"], frame["end"]]).dropna()]
    if data.demo_marker and data.demo_marker.get("periods"):
        candidates.append(Period.parse(data.demo_marker["periods"][-1]))
    elif data.has("ent_comptes"):
        periods = data.source("ent_comptes")["period"].dropna().unique()
        candidates += [Period.parse(p) for p in periods]
    return period_range(first, max(candidates))


def structures(data: Data) -> pd.DataFrame:
    """One row per (period, structure) active in the school year.

    Columns: period, structure_id, structure_type, department, academy, commune_code, uai.
    """
    return data.memo("t14_structures", lambda: _structures(data))


def _structures(data: Data) -> pd.DataFrame:
    cols = ["period", "structure_id", "structure_type", "department", "academy", "commune_code", "uai"]
    if not data.has("parentalite"):
        return pd.DataFrame(columns=cols)
    src = data.source("parentalite")
    periods = structure_periods(data, src)
    parts = []
    for period in periods:
        p = Period.parse(period)
        active = (src["start"] <= pd.Timestamp(p.last_day)) & (
            src["end"].isna() | (src["end"] >= pd.Timestamp(p.first_day)))
        parts.append(src[active].assign(period=period))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    for col in cols:
        if col not in out:
            out[col] = pd.NA
    out = out[cols]
    out.attrs["periods"] = periods
    return out


def structure_counts(data: Data) -> pd.DataFrame:
    """Active structures by type, scope and period (0 where none): indicator, academy, period, value."""
    frame = structures(data)
    periods = frame.attrs.get("periods", sorted(frame["period"].unique()))
    rows = []
    for indicator, kind in STRUCTURE_INDICATORS.items():
        part = frame[frame["structure_type"] == kind]
        for period in periods:
            cur = part[part["period"] == period]
            for scope, sub in by_scope(cur, scopes=data.scopes):
                rows.append({"indicator": indicator, "academy": scope, "period": period, "value": float(len(sub))})
    return pd.DataFrame(rows, columns=["indicator", "academy", "period", "value"])


def structure_table(data: Data, period: str) -> pd.DataFrame:
    """Each scope's structures against the roadmap's objectives for a school year.

    Columns: scope, label, then for each of the two indicators its value, objective,
    objective label and status label (from :func:`~drane_analysis.indicators.evaluate`).
    """
    from ..indicators import evaluate

    table = evaluate(compute_structures(data), periods=[period])
    rows = []
    for scope in data.scopes:
        row = {"scope": scope, "label": referential.SCOPE_LABELS[scope]}
        for indicator in STRUCTURE_INDICATORS:
            match = table[(table["indicator"] == indicator) & (table["academy"] == scope)]
            rec = match.iloc[0] if not match.empty else None
            row[f"{indicator}"] = rec["value"] if rec is not None else np.nan
            row[f"{indicator}_objective"] = rec["objective_label"] if rec is not None else ""
            row[f"{indicator}_status"] = rec["status_label"] if rec is not None else ""
        rows.append(row)
    return pd.DataFrame(rows)


def structures_by_department(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Active structures by department of the scope (every department, 0 where none)."""
    frame = structures(data)
    cur = frame[frame["period"] == period]
    rows = []
    for dept in referential.departments_of(scope):
        sub = cur[cur["department"] == dept]
        rows.append({"department": dept, "label": breakdown_label("department", dept),
                     **{ind: int((sub["structure_type"] == kind).sum()) for ind, kind in STRUCTURE_INDICATORS.items()}})
    return pd.DataFrame(rows)


def compute_structures(data: Data) -> pd.DataFrame:
    counts = structure_counts(data)
    return series_frame(counts.assign(target=TARGET).to_dict("records"))


# --------------------------------------------------------------------------- parents' accounts


def parent_accounts(data: Data) -> pd.DataFrame:
    """Parents' accounts: one row per (period, uai), with attributes and IPS.

    Columns: period, uai, platform, academy, department, loaded, activated (reference
    month), activated_mean, connections (year), attributes, ips, ips_quartile.
    """
    return data.memo("t14_accounts", lambda: _parent_accounts(data))


def _parent_accounts(data: Data) -> pd.DataFrame:
    acc = account_year(data)
    par = acc[acc["profile"] == "parent"]
    par = (par.sort_values(["period", "uai", "loaded"]).drop_duplicates(["period", "uai"], keep="last")
           [["period", "uai", "platform", "academy", "department", "loaded", "activated", "activated_mean",
             "connections", *PARENT_ATTRIBUTES]])
    par = par[par["academy"].isin(list(referential.ACADEMIES))]
    return data.with_ips(par)


def compute(data: Data) -> pd.DataFrame:
    """Every 1.4 indicator for each scope and each school year with data."""
    rows: list[dict] = compute_structures(data).to_dict("records")
    if data.has("ent_comptes"):
        par = parent_accounts(data)
        for scope, part in by_scope(par, scopes=data.scopes):
            table = cluster_rate_table(part, "activated", "loaded", "uai", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "parents_ent_usage_rate", table, interval="table")
            for rec in ips_gap_by_year(data, scope).itertuples(index=False):
                rows.append({"target": TARGET, "indicator": "parents_ent_ips_gap", "academy": scope,
                             "period": rec.period, "value": rec.gap, "ci_low": rec.ci_low, "ci_high": rec.ci_high})
    series = series_frame(rows)
    if data.has("ent_comptes"):
        series = coverage.attach(series, "parents_ent_ips_gap", ips_coverage(data))
        # An academy with no parents' row in the ENT exports of a year: the region without it.
        par = parent_accounts(data)
        present = zip(par["academy"], par["period"], strict=True)
        units = coverage.academy_units(sorted(par["period"].dropna().unique()))
        series = coverage.attach(series, "parents_ent_usage_rate", coverage.academies_missing(
            units, present, "des exports ENT", whom="académie{s}", scopes=data.scopes), target=TARGET)
    return series


def ips_coverage(data: Data) -> pd.DataFrame:
    """Coverage of ``parents_ent_ips_gap`` (join with the IPS files): the parents' accounts
    of establishments without any IPS (EREA, establishments missing from the IPS files)
    are in no quartile, hence in neither term of the gap."""
    par = parent_accounts(data)
    frame = par.assign(lost=np.where(par["ips_quartile"].isna().to_numpy(), "no_ips", coverage.KEPT))
    return coverage.measure(frame, NO_IPS, whom="compte{s} parent{s} chargé{s}", weight="loaded",
                            subject="écart calculé", scopes=data.scopes)


# --------------------------------------------------------------------------- the divide


def quartile_gap(frame: pd.DataFrame) -> dict:
    """Q4 − Q1 activation rate of parents' accounts (points) for one set of establishments.

    ``frame``: one row per establishment with loaded, activated, ips_quartile. Returns the
    two rates and counts, the gap and its 95 % interval with establishments as clusters:
    each quartile's ratio-estimator variance (``se``: of the gap), Student with the
    Welch–Satterthwaite degrees of freedom (:func:`~drane_analysis.stats.welch_difference`;
    none with fewer than two establishments in a quartile). A Newcombe interval, which
    treats every account as an independent trial, would be several times too narrow.
    """
    out = {}
    for q, name in ((TOP, "top"), (BOTTOM, "bottom")):
        part = frame[frame["ips_quartile"] == q]
        r, se, n = cluster_ratio(part["activated"].to_numpy(float), part["loaded"].to_numpy(float))
        out.update({f"{name}_activated": float(part["activated"].sum()), f"{name}_loaded": float(part["loaded"].sum()),
                    f"{name}_rate": r * 100, f"{name}_se": se * 100, f"{name}_establishments": n})
    out["gap"] = out["top_rate"] - out["bottom_rate"]
    out["se"] = float(np.hypot(out["top_se"], out["bottom_se"]))
    out["ci_low"], out["ci_high"] = welch_difference(out["gap"], out["top_se"], out["top_establishments"],
                                                     out["bottom_se"], out["bottom_establishments"])
    return out


def _quartile_contrast(frame: pd.DataFrame, terms: list[tuple[tuple, float]]) -> dict:
    """A combination of activation rates of (period, IPS quartile) cells, establishments as clusters.

    ``terms``: ((period or None for every period, quartile), coefficient). An establishment
    present in several cells (the same collège every year) is one cluster: its years are
    paired (:func:`~drane_analysis.stats.ratio_contrast`).
    """
    uai = frame["uai"].astype(str).to_numpy() if "uai" in frame else np.arange(len(frame)).astype(str)
    codes, uniques = pd.factorize(uai)
    y = np.zeros((len(uniques), len(terms)))
    x = np.zeros((len(uniques), len(terms)))
    for k, ((period, quartile), _) in enumerate(terms):
        sel = (frame["ips_quartile"] == quartile).fillna(False).to_numpy(bool)
        if period is not None:
            sel &= (frame["period"] == period).fillna(False).to_numpy(bool)
        np.add.at(y[:, k], codes[sel], frame["activated"].to_numpy(float)[sel])
        np.add.at(x[:, k], codes[sel], frame["loaded"].to_numpy(float)[sel])
    return ratio_contrast(y, x, [c for _, c in terms])


def ips_gap_by_year(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """The Q4 − Q1 gap of parents' activation, year by year, for a scope.

    Columns: period, top_rate, bottom_rate, gap, ci_low, ci_high, se (establishments as
    clusters), top/bottom counts. Years without both quartiles are left out.
    """
    par = referential.in_scope(parent_accounts(data), scope)
    rows = []
    for period in sorted(par["period"].unique(), key=lambda p: Period.parse(p).start):
        if until and Period.parse(period) > Period.parse(until):
            continue
        rec = quartile_gap(par[par["period"] == period])
        if np.isfinite(rec["gap"]):
            rows.append({"period": period, **rec})
    cols = ["period", "top_rate", "bottom_rate", "gap", "ci_low", "ci_high", "se",
            "top_activated", "top_loaded", "bottom_activated", "bottom_loaded", "top_establishments",
            "bottom_establishments"]
    return pd.DataFrame(rows, columns=cols)


def gap_trend(gaps: pd.DataFrame, accounts: pd.DataFrame | None = None) -> dict:
    """Is the gap narrowing? A weighted trend of the yearly gap, and the first-to-last change.

    ``gaps``: :func:`ips_gap_by_year` rows (``gap`` and its clustered ``se``). The slope
    (points a year) is a weighted least-squares line of the gap on the year, weights
    1 / se² (a meta-regression), inflated by the residual dispersion when the years scatter
    more than their errors allow (dispersion = weighted RSS / (n − 2), floored at 1; then
    Student with n − 2 degrees of freedom). ``change`` is last − first gap.

    With ``accounts`` (the :func:`parent_accounts` rows of the scope), the same
    establishments are paired across the years: the slope, a fixed combination of the
    yearly quartile rates, and the change get their variance with establishments as
    clusters over every year (:func:`~drane_analysis.stats.ratio_contrast`), which holds
    however much an establishment's years are alike; without, the years are treated as
    independent. Two-sided p-value and 95 % intervals; NaN where fewer than two years (or
    no standard error).
    """
    from scipy import stats as sps

    g = gaps.dropna(subset=["gap"])
    n = len(g)
    out = {"years": n, "slope": np.nan, "slope_low": np.nan, "slope_high": np.nan, "p_value": np.nan,
           "dispersion": np.nan, "first_period": g["period"].iloc[0] if n else None,
           "last_period": g["period"].iloc[-1] if n else None,
           "change": np.nan, "change_low": np.nan, "change_high": np.nan, "paired": accounts is not None}
    if n < 2:
        return out
    first, last = g.iloc[0], g.iloc[-1]
    out["change"] = float(last["gap"] - first["gap"])
    if accounts is not None:
        change = _quartile_contrast(accounts, [((last["period"], TOP), 1.0), ((last["period"], BOTTOM), -1.0),
                                               ((first["period"], TOP), -1.0), ((first["period"], BOTTOM), 1.0)])
        out["change_low"], out["change_high"] = change["ci_low"], change["ci_high"]
    else:
        se_change = float(np.hypot(first["se"], last["se"]))
        out["change_low"], out["change_high"] = out["change"] - Z * se_change, out["change"] + Z * se_change
    x = np.array([Period.parse(p).start for p in g["period"]], dtype=float)
    y = g["gap"].to_numpy(float)
    se = g["se"].to_numpy(float)
    if not (np.isfinite(se).all() and (se > 0).all()):
        return out
    w = 1 / se ** 2
    xm = np.sum(w * x) / w.sum()
    ym = np.sum(w * y) / w.sum()
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx)
    se_slope = float(np.sqrt(1 / sxx))
    crit, df = Z, None
    if accounts is not None:
        # slope = Σ a_t gap_t with a_t = w_t (x_t − x̄) / Sxx: a combination of quartile rates.
        a = w * (x - xm) / sxx
        terms = [((p, q), sign * float(c)) for p, c in zip(g["period"], a, strict=True)
                 for q, sign in ((TOP, 1.0), (BOTTOM, -1.0))]
        paired = _quartile_contrast(accounts, terms)
        se_slope = paired["se"]
        df = paired["clusters"] - 1
        crit = float(t_quantile(0.975, df))
    if n > 2:
        resid = y - (ym + slope * (x - xm))
        dispersion = float(np.sum(w * resid ** 2) / (n - 2))
        out["dispersion"] = dispersion
        if dispersion > 1:
            se_slope *= np.sqrt(dispersion)
            df = n - 2
            crit = float(sps.t.ppf(0.975, df))
    stat = slope / se_slope
    p = 2 * (sps.t.sf(abs(stat), df) if df else sps.norm.sf(abs(stat)))
    out.update({"slope": slope, "slope_low": slope - crit * se_slope, "slope_high": slope + crit * se_slope,
                "p_value": float(p)})
    return out


def quartile_history(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Parents' activation rate by IPS quartile and year (establishments as clusters)."""
    par = referential.in_scope(parent_accounts(data), scope)
    if until:
        par = par[par["period"].map(lambda p: Period.parse(p) <= Period.parse(until))]
    table = cluster_rate_table(par.dropna(subset=["ips_quartile"]), "activated", "loaded", "uai",
                               by=["period", "ips_quartile"])
    table["label"] = table["ips_quartile"].map(lambda v: breakdown_label("ips_quartile", v))
    return table


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department`` (and ``territory``, ``ips_quartile``,
    ``priority_education``, ``kind`` for the parents' rate).

    Returns group, label, value, numerator, denominator, ci_low, ci_high, sorted by label
    (counts of structures: value only); the parents' rate has its interval with
    establishments as clusters, and what :func:`~drane_analysis.render.gap_sentence` needs
    to test a gap (``ci_method``…).
    """
    if indicator == "parents_ent_usage_rate":
        frame = referential.in_scope(parent_accounts(data), scope)
        table = cluster_rate_table(frame[frame["period"] == period], "activated", "loaded", "uai", by=[by])
    elif indicator in STRUCTURE_INDICATORS:
        if by != "department":
            raise KeyError(f"{indicator} ne se ventile que par département")
        table = structures_by_department(data, scope, period).rename(columns={indicator: "value"})
        table = table[["department", "value"]]
        table["numerator"], table["denominator"], table["ci_low"], table["ci_high"] = (np.nan,) * 4
    else:
        raise KeyError(f"pas de ventilation pour {indicator} (cible 1.4)")
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: breakdown_label(by, v))
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label").reset_index(drop=True)


def parent_intensity(data: Data, scope: str, period: str, by: str) -> pd.DataFrame:
    """Parents' connections in the year per activated account (monthly mean stock), by group.

    Interval clustered on establishments. Columns: group, label, value, numerator
    (connections), denominator (activated accounts), ci_low, ci_high, clusters, and what
    :func:`~drane_analysis.render.gap_sentence` needs to test a gap (``ci_method``…).
    """
    frame = referential.in_scope(parent_accounts(data), scope)
    frame = frame[(frame["period"] == period) & (frame["activated_mean"] > 0)]
    table = ratio_table(frame, "connections", "activated_mean", by=[by]).rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: breakdown_label(by, v))
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label").reset_index(drop=True)


def accounts_until(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The parents' accounts of a scope, every school year up to ``period``."""
    par = referential.in_scope(parent_accounts(data), scope)
    return par[par["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]


def account_figures(data: Data, scope: str, period: str) -> dict:
    """The parents' accounts of a scope and year the report's caveats count.

    ``no_ips``: establishments without IPS (out of the gap); ``platforms``: establishments
    by ENT platform (a count per ``platform`` code, missing codes included).
    """
    par = referential.in_scope(parent_accounts(data), scope)
    cur = par[par["period"] == period]
    return {"no_ips": int(cur["ips_quartile"].isna().sum()), "platforms": cur["platform"].value_counts(dropna=False)}
