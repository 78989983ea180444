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
from ..render import gap_sentence  # noqa: F401  (used by the notebook as cible.gap_sentence)
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


# --------------------------------------------------------------------------- report blocks


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_value

    r = {i: rpt.row(i) for i in rpt.table["indicator"]}
    lines = []
    for indicator, what in (("service_establishments", "établissement(s) de service"),
                            ("france_services_houses", "maison(s) France Services partenaire(s)")):
        s = r.get(indicator)
        if s is None:
            continue
        text = f"- **{_int(s['value'])} {what}** en activité cette année"
        if pd.notna(s["objective"]):
            text += f" ; objectif : {s['objective_label']} — {s['status_label'].lower()}"
        lines.append(text + ".")
    u = r.get("parents_ent_usage_rate")
    if u is not None and pd.notna(u["value"]):
        lines.append(f"- **{fmt_value(u['value'], 'percent')}** des comptes ENT des parents sont activés "
                     f"({_int(u['numerator'])} sur {_int(u['denominator'])}).")
    g = r.get("parents_ent_ips_gap")
    if g is not None and pd.notna(g["value"]):
        gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
        cur = gaps[gaps["period"] == rpt.period].iloc[0]
        text = (f"- Dans les établissements au public le plus favorisé (quartile d'IPS le plus haut), "
                f"{fmt_value(cur['top_rate'], 'percent')} des comptes parents sont activés, contre "
                f"{fmt_value(cur['bottom_rate'], 'percent')} dans les moins favorisés : un écart de "
                f"**{fmt_value(g['value'], 'percent_points')}**")
        trend = gap_trend(gaps, _accounts_until(rpt))
        if trend["years"] >= 2 and pd.notna(trend["p_value"]):
            first = gaps.iloc[0]
            text += f", contre {fmt_value(first['gap'], 'percent_points')} en {first['period']}"
            if trend["p_value"] < 0.05:
                direction = "se réduit" if trend["slope"] < 0 else "se creuse"
                text += (f" : l'écart {direction} de {fmt_value(abs(trend['slope']), 'percent_points')} par an en "
                         f"moyenne (tendance significative, {_p(trend['p_value'])})")
            else:
                text += f" : son évolution n'est pas significative ({_p(trend['p_value'])})"
        lines.append(text + ".")
    return "\n".join(lines)


def show_structures(rpt) -> None:
    """The structures of each scope against the roadmap's objectives, for the report's year."""
    from ..formatting import fr_number
    from ..render import display_html, html_table

    table = structure_table(rpt.data, rpt.period)
    out = pd.DataFrame({
        "Périmètre": table["label"],
        "Établissements de service": [fr_number(x) for x in table["service_establishments"]],
        "Objectif ": [x or "—" for x in table["service_establishments_objective"]],
        "Statut ": [x or "—" for x in table["service_establishments_status"]],
        "Maisons France Services": [fr_number(x) for x in table["france_services_houses"]],
        "Objectif": [x or "—" for x in table["france_services_houses_objective"]],
        "Statut": [x or "—" for x in table["france_services_houses_status"]],
    })
    display_html(html_table(out, align_right=["Établissements de service", "Maisons France Services"],
                             caption=f"Structures d'accompagnement des parents en activité, {rpt.period}"))


def show_structures_by_department(rpt) -> None:
    from ..formatting import fr_number
    from ..render import display_html, html_table

    table = structures_by_department(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({"Département": table["label"],
                        "Établissements de service": [fr_number(x) for x in table["service_establishments"]],
                        "Maisons France Services": [fr_number(x) for x in table["france_services_houses"]]})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Structures en activité par département, {rpt.period}"))


def structures_chart(rpt) -> None:
    """Structures in activity year by year (scope), with the roadmap's objectives."""
    import matplotlib.pyplot as plt

    from ..formatting import PALETTE, fr_number
    from ..render import show_figure

    series = compute_structures(rpt.data)
    series = series[(series["academy"] == rpt.scope)
                    & series["period"].map(lambda p: Period.parse(p) <= Period.parse(rpt.period))]
    if series.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    years = sorted({Period.parse(p).start for p in series["period"]})
    width = 0.38
    for k, (indicator, kind) in enumerate(STRUCTURE_INDICATORS.items()):
        part = series[series["indicator"] == indicator]
        part = part.assign(year=part["period"].map(_start)).sort_values("year")
        x = np.array([years.index(y) for y in part["year"]]) + (k - 0.5) * width
        bars = ax.bar(x, part["value"], width=width, color=PALETTE[k], label=STRUCTURE_LABELS[kind])
        ax.bar_label(bars, labels=[fr_number(v) for v in part["value"]], fontsize=8, padding=2)
        obj = rpt.catalogue.objective_for(indicator, rpt.scope, rpt.period)
        if obj is not None and obj.objective.value is not None:
            ax.axhline(obj.objective.value, color=PALETTE[k], ls=":", lw=1.3)
        alt.append(f"{STRUCTURE_LABELS[kind]} : " + ", ".join(
            f"{p} {fr_number(v)}" for p, v in zip(part["period"], part["value"], strict=True))
            + (f" (objectif {obj.objective.describe()})" if obj is not None else ""))
    ax.set_xticks(range(len(years)), [Period(y).label for y in years])
    ax.set_ylabel("structures en activité")
    ax.set_title("Structures d'accompagnement des parents (pointillés : objectifs)", loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_ylim(0, max(3.5, float(series["value"].max()) * 1.18))
    ax.yaxis.get_major_locator().set_params(integer=True)
    data = pd.DataFrame({"Structure": [STRUCTURE_LABELS[STRUCTURE_INDICATORS[i]] for i in series["indicator"]],
                         "Année scolaire": series["period"], "Structures en activité": series["value"]})
    show_figure(fig, "Structures en activité par année scolaire. " + " ; ".join(alt), data=data,
                name="structures en activite")


def show_gap_table(rpt) -> None:
    """The Q4 − Q1 gap year by year with its interval (establishments as clusters)."""
    from ..formatting import fmt_interval, fmt_value
    from ..render import display_html, html_table

    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    if gaps.empty:
        return
    out = pd.DataFrame({
        "Année": gaps["period"],
        "Q4": [fmt_value(x, "percent") for x in gaps["top_rate"]],
        "Q1": [fmt_value(x, "percent") for x in gaps["bottom_rate"]],
        "Écart Q4 − Q1": [fmt_value(x, "percent_points") for x in gaps["gap"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent_points") for lo, hi in
                              zip(gaps["ci_low"], gaps["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Comptes parents activés : Q4 (plus favorisés) − Q1 (moins favorisés), "
                                     "intervalles à 95 % (établissements comme grappes)"))


def _accounts_until(rpt) -> pd.DataFrame:
    """The parents' accounts of the report's scope, every year up to its own."""
    par = referential.in_scope(parent_accounts(rpt.data), rpt.scope)
    return par[par["period"].map(lambda p: Period.parse(p) <= Period.parse(rpt.period))]


def gap_sentence_trend(rpt) -> str:
    """The trend test of the gap, in words."""
    from ..formatting import fmt_interval, fmt_value

    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    t = gap_trend(gaps, _accounts_until(rpt))
    if t["years"] < 2:
        return ("*Une seule année observée : l'évolution de l'écart ne peut pas encore être mesurée.*" if t["years"]
                else "*Pas d'IPS ou de comptes parents : l'écart ne peut pas être calculé.*")
    text = (f"De {t['first_period']} à {t['last_period']}, l'écart passe de "
            f"{fmt_value(gaps['gap'].iloc[0], 'percent_points')} à {fmt_value(gaps['gap'].iloc[-1], 'percent_points')}"
            f", soit {_signed(t['change'])} points (IC 95 % "
            f"{fmt_interval(t['change_low'], t['change_high'], 'percent_points')})")
    if t["change_high"] < 0:
        text += " : il s'est significativement réduit."
    elif t["change_low"] > 0:
        text += " : il s'est significativement creusé."
    else:
        text += " : la variation n'est pas significative."
    if pd.isna(t["p_value"]):
        return text
    verdict = ("l'écart se réduit" if t["slope"] < 0 else "l'écart se creuse") if t["p_value"] < 0.05 else (
        "pas de tendance significative")
    return (text + f" Tendance sur {t['years']} années (régression pondérée par la précision de chaque année) : "
            f"{_signed(t['slope'])} points par an (IC 95 % "
            f"{fmt_interval(t['slope_low'], t['slope_high'], 'percent_points')}, {_p(t['p_value'])}) — "
            f"{verdict}.")


def gap_chart(rpt) -> None:
    """Rates of Q1 to Q4 over the years, and the Q4 − Q1 gap with its interval."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, PALETTE, fmt_value
    from ..render import show_figure

    hist = quartile_history(rpt.data, rpt.scope, rpt.period)
    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    if hist.empty or gaps.empty:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    for k, (q, part) in enumerate(hist.groupby("ips_quartile", sort=True)):
        x = [Period.parse(p).start for p in part["period"]]
        ax1.plot(x, part["value"], marker="o", color=PALETTE[k], label=breakdown_label("ips_quartile", q))
        ax1.fill_between(x, part["ci_low"], part["ci_high"], color=PALETTE[k], alpha=0.15, lw=0)
    ax1.set_ylabel("comptes parents activés (%)")
    ax1.set_title("Activation par quartile d'IPS", loc="left")
    ax1.legend(fontsize=8, frameon=False)
    x = np.array([Period.parse(p).start for p in gaps["period"]])
    ax2.errorbar(x, gaps["gap"], yerr=np.clip(np.vstack([gaps["gap"] - gaps["ci_low"], gaps["ci_high"] - gaps["gap"]]),
                                              0, None), fmt="o-", color=BLUE, capsize=3)
    t = gap_trend(gaps, _accounts_until(rpt))
    if len(x) >= 2 and np.isfinite(t["slope"]):
        w = 1 / gaps["se"].to_numpy(float) ** 2
        xm, ym = np.sum(w * x) / w.sum(), np.sum(w * gaps["gap"].to_numpy(float)) / w.sum()
        ax2.plot(x, ym + t["slope"] * (x - xm), ls="--", color="#666666", lw=1)
    ax2.axhline(0, color="#999999", lw=0.8)
    ax2.set_ylabel("écart Q4 − Q1 (points)")
    ax2.set_title("Écart et tendance", loc="left")
    ax2.set_ylim(bottom=min(0, float(gaps["ci_low"].min()) - 1))
    for ax in (ax1, ax2):
        years = sorted(set(x))
        ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    data = pd.concat([
        pd.DataFrame({"Série": [breakdown_label("ips_quartile", q) for q in hist["ips_quartile"]],
                      "Année scolaire": hist["period"], "Valeur": hist["value"], "Borne basse IC 95 %": hist["ci_low"],
                      "Borne haute IC 95 %": hist["ci_high"]}),
        pd.DataFrame({"Série": "Écart Q4 − Q1 (points ; IC : établissements comme unités)",
                      "Année scolaire": gaps["period"], "Valeur": gaps["gap"], "Borne basse IC 95 %": gaps["ci_low"],
                      "Borne haute IC 95 %": gaps["ci_high"]}),
    ], ignore_index=True)
    show_figure(fig, "Activation des comptes parents par quartile d'IPS et écart Q4 − Q1 par année : " + ", ".join(
        f"{p} {fmt_value(g, 'percent_points')}" for p, g in zip(gaps["period"], gaps["gap"], strict=True)), data=data,
        name="activation par quartile d'IPS")


def coverage_notes(rpt) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    par = referential.in_scope(parent_accounts(rpt.data), rpt.scope)
    cur = par[par["period"] == rpt.period]
    no_ips = int(cur["ips_quartile"].isna().sum())
    platforms = cur.groupby(cur["platform"].map(lambda p: "lycées" if p == "lycee-connecte" else
                                                ("écoles" if p == "ecoles" else "collèges (ENT départemental)")))
    counts = ", ".join(f"{k} : {v}" for k, v in platforms.size().items())
    notes = [
        "**Comptes parents** : activés (première connexion faite) sur chargés, lus au mois de juin (à défaut, au "
        "dernier mois exporté), sur toutes les plateformes ENT (Lycée connecté, ENT départementaux des collèges, "
        f"ENT des écoles) ; établissements de l'année par plateforme — {counts or 'aucun'}. Les écoles sans ENT "
        "ouvert n'ont pas de comptes et ne comptent pas.",
        "**IPS** : quartiles calculés dans la région, séparément pour les écoles, les collèges et les lycées (Q1 : "
        "établissements au public le moins favorisé) ; l'IPS le plus récent connu remplace une année manquante ; "
        f"{no_ips} établissement(s) sans IPS (EREA, privés sans IPS publié…) ne comptent pas dans l'écart.",
        "**Intervalles** : les comptes d'un même établissement se ressemblent ; taux, écarts et tendance sont "
        "donc calculés avec les établissements comme grappes (un intervalle qui traiterait chaque compte comme une "
        "observation indépendante serait plusieurs fois trop étroit). L'écart d'une année à l'autre et la "
        "tendance apparient les établissements présents plusieurs années. La tendance est une régression de "
        "l'écart annuel sur l'année, pondérée par la précision de chaque année ; si les années s'écartent de la "
        "droite plus que leur précision ne le permet, l'intervalle est élargi d'autant.",
        "**Structures** : en activité dans l'année si retenues (AMI) ou conventionnées au plus tard le 31 août et non "
        "terminées avant le 1er septembre ; comptées dans le département qu'elles servent.",
    ]
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period and objective.applies_to(rpt.scope):
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes


def _start(period: str) -> int:
    return Period.parse(period).start


def _signed(x: float) -> str:
    from ..formatting import fr_number

    text = fr_number(x, 1)
    return text if text.startswith("-") or text in ("0", "0,0", "—") else "+" + text


def _p(p: float) -> str:
    from ..formatting import fr_number

    if not np.isfinite(p):
        return "p non calculable"
    return "p < 0,001" if p < 0.001 else f"p = {fr_number(p, 3)}"


def _int(x: float) -> str:
    from ..formatting import fr_number

    return fr_number(x, 0)
