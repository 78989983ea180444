"""Target 3.1 — partnership between the academies and the local authorities.

Indicators (``params/targets/3.1-partenariat.yaml``):

- ``steering_committees``: steering committees (``committee_type == "pilotage"``) held in
  the school year with a partner authority (``comites``, ``collectivites``) — an exhaustive
  count, the roadmap's own indicator (« Nombre de comités de pilotage avec les
  collectivités », objective « minimum 2 réunions / an »);
- ``authorities_min_committees_rate`` (secondary, the stricter reading): partner
  authorities with at least :data:`MINIMUM_PER_YEAR` steering committees in the year, over
  every authority partner during the year (an authority with no committee counts as
  falling short).

Scopes: an authority belongs to the academy of its department; the Région (no department)
belongs to the regional scope only. A committee counts for the year of its date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import referential
from ..data import Data, department_label
from ..indicators import rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..stats import rate_table

TARGET = "3.1"
MINIMUM_PER_YEAR = 2
"""The stricter reading of the roadmap's « minimum 2 réunions / an »: at least 2 steering
committees a year with *each* authority (the secondary indicator, the report's tables)."""

AUTHORITY_TYPE_LABELS = {
    "region": "Région",
    "department": "Département",
    "metropole": "Métropole",
    "communaute_urbaine": "Communauté urbaine",
    "communaute_agglomeration": "Communauté d'agglomération",
    "commune": "Commune",
}
REGION_GROUP = "region"
REGION_GROUP_LABEL = "Région (collectivité régionale)"


# --------------------------------------------------------------------------- building blocks


def periods(data: Data) -> list[str]:
    """School years the committee files cover (in order)."""
    comites = data.source("comites")
    found = {p for p in comites["period"].dropna().unique()}
    return sorted(found, key=lambda p: Period.parse(p).start)


def authority_years(data: Data) -> pd.DataFrame:
    return data.memo("t31_authority_years", lambda: _authority_years(data))


def _authority_years(data: Data) -> pd.DataFrame:
    """One row per partner authority and school year of the partnership.

    Columns: period, authority_id, name, authority_type, type_label, department,
    department_label, academy, steering, technical, follow_up, meets_minimum (0/1),
    shortfall (committees missing to reach the minimum), last_steering (date).

    An authority is a partner in a school year when its partnership started by the year's
    last day (31 August) and had not ended before its first day (1 September); missing
    dates mean "always" and "still running".
    """
    auth = data.source("collectivites").copy()
    comites = data.source("comites")
    rows = []
    for period in periods(data):
        p = Period.parse(period)
        first, last = pd.Timestamp(p.first_day), pd.Timestamp(p.last_day)
        since = auth["partner_since"] if "partner_since" in auth else pd.Series(pd.NaT, index=auth.index)
        until = auth["partner_until"] if "partner_until" in auth else pd.Series(pd.NaT, index=auth.index)
        active = (since.isna() | (since <= last)) & (until.isna() | (until >= first))
        rows.append(auth[active.to_numpy()].assign(period=period))
    cols = ["period", "authority_id", "name", "authority_type", "department", "academy"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "steering", "technical", "follow_up", "meets_minimum", "shortfall"])
    years = pd.concat(rows, ignore_index=True)[cols]
    counts = (comites.assign(n=1).pivot_table(index=["period", "authority_id"], columns="committee_type",
                                               values="n", aggfunc="sum", fill_value=0, observed=True)
              .reset_index())
    counts.columns.name = None
    for column in ("pilotage", "technique", "suivi"):
        if column not in counts:
            counts[column] = 0
    counts = counts.rename(columns={"pilotage": "steering", "technique": "technical", "suivi": "follow_up"})
    last_steering = (comites[comites["committee_type"] == "pilotage"]
                     .groupby(["period", "authority_id"], observed=True)["date"].max()
                     .rename("last_steering").reset_index())
    years = (years.merge(counts[["period", "authority_id", "steering", "technical", "follow_up"]],
                         on=["period", "authority_id"], how="left")
             .merge(last_steering, on=["period", "authority_id"], how="left"))
    for column in ("steering", "technical", "follow_up"):
        years[column] = years[column].fillna(0).astype(int)
    years["meets_minimum"] = (years["steering"] >= MINIMUM_PER_YEAR).astype(int)
    years["shortfall"] = (MINIMUM_PER_YEAR - years["steering"]).clip(lower=0).astype(int)
    years["type_label"] = years["authority_type"].map(AUTHORITY_TYPE_LABELS).fillna(years["authority_type"])
    years["department_label"] = [department_label(d) if isinstance(d, str) else REGION_GROUP_LABEL
                                 for d in years["department"].astype(object).where(years["department"].notna(), None)]
    years["one"] = 1
    return years.sort_values(["period", "authority_id"]).reset_index(drop=True)


def unmatched_committees(data: Data) -> pd.DataFrame:
    """Committees that count for no partner: unknown code, or held outside the partnership.

    Columns: period, authority_id, committee_type, reason (French).
    """
    comites = data.source("comites")
    years = authority_years(data)[["period", "authority_id"]].assign(_partner=True)
    known = set(data.source("collectivites")["authority_id"])
    out = comites.merge(years, on=["period", "authority_id"], how="left")
    out = out[out["_partner"].isna()].copy()
    out["reason"] = np.where(out["authority_id"].isin(known), "hors des dates du partenariat",
                             "code absent du fichier des collectivités")
    return out[["period", "authority_id", "committee_type", "reason"]].reset_index(drop=True)


def scope_rows(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Rows of a scope: an academy's authorities; every authority (the Région too) for the region."""
    referential.check_scope(scope)
    if scope == referential.REGION_SCOPE:
        return frame
    return frame[frame["academy"] == scope]


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 3.1 indicator for each scope and each school year with committee data."""
    years = authority_years(data)
    rows: list[dict] = []
    for scope in data.scopes:
        part = scope_rows(years, scope)
        for period in periods(data):
            cur = part[part["period"] == period]
            if cur.empty:
                continue
            rows.append({"target": TARGET, "indicator": "steering_committees", "academy": scope, "period": period,
                         "value": float(cur["steering"].sum()), "denominator": float(len(cur)),
                         "note": "comptage exhaustif"})
        table = rate_table(part, "meets_minimum", "one", by=["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "authorities_min_committees_rate", table)
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department`` or ``authority_type``.

    ``steering_committees``: count of steering committees (``value``) with the number of
    partner authorities (``denominator``) and the minimum expected (``expected``), no
    interval (exhaustive). ``authorities_min_committees_rate``: share with Wilson interval.
    The Région, which has no department, is its own group.
    """
    if by not in ("department", "authority_type"):
        raise KeyError(f"ventilation inconnue pour la cible 3.1 : {by}")
    frame = scope_rows(authority_years(data), scope)
    frame = frame[frame["period"] == period].copy()
    frame["group"] = frame[by].astype(object).where(frame[by].notna(), REGION_GROUP)
    if indicator == "steering_committees":
        table = frame.groupby("group").agg(value=("steering", "sum"), denominator=("one", "sum")).reset_index()
        table["value"] = table["value"].astype(float)
        table["numerator"] = np.nan
        table["ci_low"] = np.nan
        table["ci_high"] = np.nan
        table["expected"] = table["denominator"] * MINIMUM_PER_YEAR
    elif indicator == "authorities_min_committees_rate":
        table = rate_table(frame, "meets_minimum", "one", by=["group"]).assign(ci_method="wilson")  # independent
    else:
        raise KeyError(f"indicateur inconnu pour la cible 3.1 : {indicator}")
    labels = AUTHORITY_TYPE_LABELS if by == "authority_type" else {}
    table["label"] = [REGION_GROUP_LABEL if g == REGION_GROUP and by == "department" else
                      (labels.get(g, g) if by == "authority_type" else department_label(g))
                      for g in table["group"]]
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    if "expected" in table:
        cols.append("expected")
    if "ci_method" in table:  # what gap_sentence and the synthesis need to test a gap (Newcombe)
        cols.append("ci_method")
    if by == "department":
        # Departments in order, the Région (no department) last.
        table["_region"] = table["group"] == REGION_GROUP
        return table.sort_values(["_region", "label"])[cols].reset_index(drop=True)
    return table[cols].sort_values("label").reset_index(drop=True)


def short_authorities(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The partner authorities below the minimum in the year, named.

    Columns: authority_id, name, type_label, department_label, steering, technical,
    shortfall, previous_steering (the previous year's steering committees, NaN if the
    previous year is not covered), short_last_year (bool or NA), years_short (how many of
    the covered years up to this one the authority fell short). Sorted by fewest committees.
    """
    years = scope_rows(authority_years(data), scope)
    upto = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]
    cur = upto[upto["period"] == period]
    short = cur[cur["meets_minimum"] == 0].copy()
    prev_label = Period.parse(period).shift(-1).label
    prev = years[years["period"] == prev_label].set_index("authority_id")["steering"]
    short["previous_steering"] = short["authority_id"].map(prev).astype(float)
    short["short_last_year"] = short["previous_steering"].map(
        lambda x: pd.NA if pd.isna(x) else bool(x < MINIMUM_PER_YEAR))
    times_short = upto.groupby("authority_id")["meets_minimum"].apply(lambda s: int((s == 0).sum()))
    covered = upto.groupby("authority_id")["period"].nunique()
    short["years_short"] = short["authority_id"].map(times_short).astype(int)
    short["years_covered"] = short["authority_id"].map(covered).astype(int)
    cols = ["authority_id", "name", "type_label", "department_label", "steering", "technical", "shortfall",
            "previous_steering", "short_last_year", "years_short", "years_covered"]
    return short.sort_values(["steering", "name"])[cols].reset_index(drop=True)


def committees_matrix(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Steering committees per authority (rows) and school year (columns) up to ``period``.

    Index: authority name; columns: the covered school years up to ``period``; values:
    committees held (NaN where the authority was not a partner that year).
    """
    years = scope_rows(authority_years(data), scope)
    years = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]
    if years.empty:
        return pd.DataFrame()
    matrix = years.pivot_table(index="name", columns="period", values="steering", aggfunc="sum")
    order = sorted(matrix.columns, key=lambda p: Period.parse(p).start)
    return matrix[order]


def committees_by_year(data: Data, scope: str, until: str) -> pd.DataFrame:
    """Steering committees per school year up to ``until``, in order (index: period).

    Columns: held (steering committees), authorities (partners that year), short
    (authorities below the minimum), expected (authorities × :data:`MINIMUM_PER_YEAR`).
    """
    years = scope_rows(authority_years(data), scope)
    years = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(until))]
    if years.empty:
        return pd.DataFrame(columns=["held", "authorities", "short", "expected"])
    table = years.groupby("period").agg(held=("steering", "sum"), authorities=("one", "sum"),
                                        short=("meets_minimum", lambda s: int((s == 0).sum())))
    table = table.loc[sorted(table.index, key=lambda p: Period.parse(p).start)]
    table["expected"] = table["authorities"] * MINIMUM_PER_YEAR
    return table


def authorities_of_year(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The partner authorities of a scope in a school year, fewest steering committees first
    (rows of :func:`authority_years`)."""
    years = scope_rows(authority_years(data), scope)
    return years[years["period"] == period].sort_values(["steering", "name"])


def unmatched_by_reason(data: Data, period: str) -> pd.Series:
    """Committees of a school year left uncounted (:func:`unmatched_committees`), by reason."""
    unmatched = unmatched_committees(data)
    return unmatched.loc[unmatched["period"] == period, "reason"].value_counts()
