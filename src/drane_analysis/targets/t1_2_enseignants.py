"""Target 1.2 — teachers' digital skills: training and Pix certification.

Indicators (``params/targets/1.2-enseignants.yaml``):

- ``teacher_training_days``: trainee-days (*journées stagiaires*) of the digital training
  sessions of the school year (``formations``, a GAIA extraction); objective 10 000 in the
  region in 2020-2021. A sum over an exhaustive register: no interval.
- ``teacher_training_e_share``: share of those trainee-days given in e-training (remote or
  hybrid sessions). Trainee-days are not independent trials: the modality is decided per
  training module, so the 95 % interval is Wilson's with the *effective number of modules*
  (Kish: ``(Σ days)² / Σ days²`` over the modules), see :func:`share_table`.
- ``teachers_pix_certified``: teachers certified by Pix (distinct teachers with a validated
  Pix certification in the academies' teachers' sessions, ``pix_certification_enseignants``),
  cumulated since the 2020 back-to-school; objectives 150 (region, 2020-2021), 1 500
  (region, 2021-2022) and 3 000 per academy (2022-2023). A count: no interval. Teachers, not
  certifications: the reader numbers the distinct teachers of the exports (``person_id``,
  from names and birth date, then dropped), and a teacher counts once, in the school year
  and academy of their first validated certification since the 2020 back-to-school (a
  renewal adds nothing); CléA Numérique and Pix+ (Pix+ Édu…) certifications are not counted.

Beyond the headline, the module gives where the trainee-days go (department, school level
— the ``public`` of the session —, modality, domain, operator, and trainee-days per 1 000
pupils of the second degree against the department's rurality), and the teachers'
certification as a cumulative curve with its deadlines, the pace needed against the pace
observed, and the projection of the cumulative count (linear trend, as the status rule,
and constant pace with a Poisson interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, series_frame
from ..periods import Period, period_range
from ..privacy import linked_breakdown
from ..sources.formations import DOMAIN_LABELS, MODALITY_LABELS, OPERATOR_LABELS, PUBLIC_LABELS
from ..sources.pix import is_pix_certification, persons
from ..stats import (
    fit_projection,
    mean_interval,
    poisson_interval,  # noqa: F401  (shared statistics)
    wilson_interval,
)

TARGET = "1.2"
CERTIFICATION_START = "2020-2021"  # teachers certified are counted from the 2020 back-to-school
NO_DEPARTMENT_LABEL = "Sessions académiques sans département"
CERTIFICATION_INDICATOR = "teachers_pix_certified"
SESSION_BREAKDOWNS = {
    "department": None,
    "level": PUBLIC_LABELS,
    "modality": MODALITY_LABELS,
    "domain": DOMAIN_LABELS,
    "operator": OPERATOR_LABELS,
}
SESSION_COLUMN = {"level": "public"}  # breakdown name → column of the sessions frame
SECONDARY_ENROLMENT = ("effectifs_college", "effectifs_lycee_gt", "effectifs_lycee_pro")


# --------------------------------------------------------------------------- statistics


def share_table(frame: pd.DataFrame, numerator: str, denominator: str, cluster: str,
                by: list[str] | None = None, scale: float = 100.0) -> pd.DataFrame:
    """Share of a weighted total (Σ numerator / Σ denominator) with a cluster-aware interval.

    The rows are grouped into clusters (``cluster``: the unit that decides, e.g. a training
    module); the interval is Wilson's computed on the Kish effective number of clusters,
    ``n_eff = (Σ d_i)² / Σ d_i²`` with ``d_i`` the cluster's denominator — for clusters that
    are wholly in or out, the variance of the share is ``p (1 − p) / n_eff``.

    Returns ``by`` columns, numerator, denominator, value, ci_low, ci_high, clusters, n_eff.
    """
    keys = [*(by or []), cluster]
    cols = [*(by or []), "numerator", "denominator", "value", "ci_low", "ci_high", "clusters", "n_eff"]
    c = (frame.groupby(keys, observed=True, dropna=False)[[numerator, denominator]].sum().reset_index())
    c[[numerator, denominator]] = c[[numerator, denominator]].astype(float)
    c = c[c[denominator] > 0]
    if c.empty:
        if by:
            return pd.DataFrame(columns=cols)
        return pd.DataFrame([{"numerator": 0.0, "denominator": 0.0, "value": np.nan, "ci_low": np.nan,
                              "ci_high": np.nan, "clusters": 0, "n_eff": 0.0}])
    c["_w2"] = c[denominator] ** 2
    grouped = c.groupby(by, observed=True, dropna=False) if by else c.assign(_all=0).groupby("_all")
    out = grouped.agg(numerator=(numerator, "sum"), denominator=(denominator, "sum"), _w2=("_w2", "sum"),
                      clusters=(cluster, "size")).reset_index()
    if not by:
        out = out.drop(columns="_all")
    share = out["numerator"] / out["denominator"]
    out["n_eff"] = out["denominator"] ** 2 / out["_w2"]
    lo, hi = wilson_interval(share * out["n_eff"], out["n_eff"])
    out["value"] = share * scale
    out["ci_low"] = lo * scale
    out["ci_high"] = hi * scale
    return out[cols]


# --------------------------------------------------------------------------- building blocks


def sessions(data: Data) -> pd.DataFrame:
    return data.memo("t12_sessions", lambda: _sessions(data))


def _sessions(data: Data) -> pd.DataFrame:
    """The digital training sessions of the region, one row each, with e-training days.

    Adds ``e_days`` (the session's trainee-days when it is e-training, else 0), ``module_key``
    (academy, school year and module: the unit that decides the modality) and
    ``department_label``.
    """
    f = data.source("formations")
    f = f[f["academy"].isin(list(referential.ACADEMIES))].copy()
    f["trainee_days"] = f["trainee_days"].astype(float)
    f["e_days"] = f["trainee_days"].where(f["is_e_training"].fillna(False).astype(bool), 0.0)
    f["module_key"] = f["academy"].astype(str) + "|" + f["period"].astype(str) + "|" + f["module_id"].astype(str)
    f["one"] = 1
    return f.reset_index(drop=True)


def teacher_certifications(data: Data) -> pd.DataFrame:
    return data.memo("t12_teacher_certifications", lambda: _teacher_certifications(data))


def _teacher_certifications(data: Data) -> pd.DataFrame:
    """The teachers' Pix certifications sat since the 2020 back-to-school (validated or not).

    Only the certification of type « Pix » (or without type: the v2-era export) counts;
    cancelled certifications and those in error are left out. Adds ``validated`` (1 for a
    certification obtained), ``teacher`` (the reader's ``person_id``; a row of its own when
    the frame has none) and ``first`` (1 on each teacher's first validated certification
    since the 2020 back-to-school: the earliest exam date, the first row on the same day).
    """
    t = data.source("pix_certification_enseignants")
    start = Period.parse(CERTIFICATION_START)
    t = t[t["academy"].isin(list(referential.ACADEMIES)) & t["status"].isin(["validated", "not_obtained"])
          & is_pix_certification(t)]
    t = t[t["period"].map(lambda p: Period.parse(p) >= start)].copy()
    t["validated"] = (t["status"] == "validated").astype(int)
    t["teacher"] = persons(t, "person_id")
    t["one"] = 1
    t = t.reset_index(drop=True)
    ok = t[t["validated"] == 1]
    order = ok.sort_values("exam_date", kind="stable") if "exam_date" in ok else ok
    t["first"] = 0
    t.loc[order.drop_duplicates("teacher").index, "first"] = 1
    return t


def certified_by_year(data: Data) -> pd.DataFrame:
    return data.memo("t12_certified_by_year", lambda: _certified_by_year(data))


def _certified_by_year(data: Data) -> pd.DataFrame:
    """One row per (academy, school year) from 2020-2021 to the last year of the data.

    Columns: academy, period, sessions, candidates (distinct teachers who sat), validated
    (distinct teachers certified that year, renewals included), new (teachers certified for
    the first time since the 2020 back-to-school), cumulative (of ``new``). Years without a
    session count 0 (the cumulative carries over).
    """
    t = teacher_certifications(data)
    cols = ["academy", "period", "sessions", "candidates", "validated", "new", "cumulative"]
    if t.empty:
        return pd.DataFrame(columns=cols)
    last = max(t["period"], key=Period.parse)
    periods = period_range(CERTIFICATION_START, last)
    grid = pd.MultiIndex.from_product([list(referential.ACADEMIES), periods], names=["academy", "period"])
    keys = ["academy", "period"]
    g = t.groupby(keys, observed=True).agg(sessions=("session_id", "nunique"), candidates=("teacher", "nunique"),
                                           new=("first", "sum"))
    g["validated"] = t[t["validated"] == 1].groupby(keys, observed=True)["teacher"].nunique()
    out = g.reindex(grid).fillna(0).reset_index()
    out["cumulative"] = out.groupby("academy")["new"].cumsum()
    return out[cols].astype({c: int for c in cols[2:]})


def certified_in_scope(data: Data, scope: str) -> pd.DataFrame:
    """Yearly certifications of a scope (an academy or the region summed): period, sessions,
    candidates, validated, new, cumulative, sorted by year.

    ``new`` and ``cumulative`` add up over the academies (a teacher counts in the academy
    of their first certification); a teacher sitting in two academies the same year would
    count in both ``candidates``.
    """
    by_year = referential.in_scope(certified_by_year(data), scope)
    out = by_year.groupby("period")[["sessions", "candidates", "validated", "new", "cumulative"]].sum().reset_index()
    out["_y"] = out["period"].map(lambda p: Period.parse(p).start)
    return out.sort_values("_y").drop(columns="_y").reset_index(drop=True)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 1.2 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    if data.has("formations"):
        s = sessions(data)
        for scope, part in by_scope(s, scopes=data.scopes):
            days = part.groupby("period", observed=True)["trainee_days"].sum()
            for period, value in days.items():
                rows.append({"target": TARGET, "indicator": "teacher_training_days", "academy": scope,
                             "period": period, "value": float(value)})
            share = share_table(part, "e_days", "trainee_days", "module_key", by=["period"])
            for rec in share.itertuples(index=False):
                rows.append({"target": TARGET, "indicator": "teacher_training_e_share", "academy": scope,
                             "period": rec.period, "value": rec.value, "numerator": rec.numerator,
                             "denominator": rec.denominator, "ci_low": rec.ci_low, "ci_high": rec.ci_high})
    if data.has("pix_certification_enseignants"):
        for scope in data.scopes:
            for rec in certified_in_scope(data, scope).itertuples(index=False):
                rows.append({"target": TARGET, "indicator": CERTIFICATION_INDICATOR, "academy": scope,
                             "period": rec.period, "value": float(rec.cumulative), "numerator": float(rec.new)})
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


def _group_label(by: str, value: object) -> str:
    if by == "department" and (value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))):
        return NO_DEPARTMENT_LABEL
    labels = SESSION_BREAKDOWNS.get(by)
    if labels is not None:
        return labels.get(str(value), str(value)) if not pd.isna(value) else "Non renseigné"
    return breakdown_label(by, value)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department``, ``level`` (the public of the
    session: 1er degré, 2nd degré, inter-degrés), ``modality``, ``domain`` or ``operator``;
    ``teachers_pix_certified`` by ``academy``.

    Returns group, label, value, numerator, denominator, ci_low, ci_high (and ``share``, the
    group's part of the total in %, for trainee-days; ``denominator`` is then the number of
    sessions), sorted by label — sessions without department last.
    """
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    if indicator in ("teacher_training_days", "teacher_training_e_share"):
        if by not in SESSION_BREAKDOWNS:
            raise KeyError(f"ventilation « {by} » non prévue pour {indicator}")
        column = SESSION_COLUMN.get(by, by)
        frame = referential.in_scope(sessions(data), scope)
        frame = frame[frame["period"] == period]
        if indicator == "teacher_training_days":
            g = frame.groupby(column, observed=True, dropna=False).agg(
                value=("trainee_days", "sum"), denominator=("one", "sum")).reset_index()
            total = g["value"].sum()
            g["share"] = g["value"] / total * 100 if total > 0 else np.nan
            g["numerator"] = np.nan
            g["ci_low"] = np.nan
            g["ci_high"] = np.nan
            cols = [*cols, "share"]
        else:
            g = share_table(frame, "e_days", "trainee_days", "module_key", by=[column])
        table = g.rename(columns={column: "group"})
    elif indicator == CERTIFICATION_INDICATOR:
        if by != "academy":
            raise KeyError(f"ventilation « {by} » non prévue pour {indicator}")
        t = referential.in_scope(certified_by_year(data), scope)
        t = t[t["period"] == period]
        table = pd.DataFrame({"group": t["academy"], "value": t["cumulative"].astype(float),
                              "numerator": t["new"].astype(float), "denominator": np.nan,
                              "ci_low": np.nan, "ci_high": np.nan})
    else:
        raise KeyError(f"indicateur inconnu pour la cible 1.2 : {indicator}")
    table["label"] = [_group_label(by, v) for v in table["group"]]
    table["_last"] = table["label"] == NO_DEPARTMENT_LABEL
    table = table.sort_values(["_last", "label"]).drop(columns="_last")
    return table[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- where the days go


def secondary_pupils(data: Data, period: str) -> pd.DataFrame:
    """Pupils of the second degree by department for a school year, and the rural share.

    The DEPP enrolment files of the latest school year up to ``period`` are used (the
    earliest one when all are later). Columns: department, pupils, rural_pupils,
    rural_share (%), enrolment_period. Empty without enrolment files.
    """
    names = [n for n in SECONDARY_ENROLMENT if data.has(n)]
    cols = ["department", "pupils", "rural_pupils", "rural_share", "enrolment_period"]
    if not names:
        return pd.DataFrame(columns=cols)
    pupils = pd.concat([data.source(n)[["uai", "period", "pupils"]] for n in names], ignore_index=True)
    available = sorted(pupils["period"].dropna().unique(), key=Period.parse)
    p = Period.parse(period)
    earlier = [x for x in available if Period.parse(x) <= p]
    chosen = earlier[-1] if earlier else available[0]
    pupils = pupils[pupils["period"] == chosen].groupby("uai")["pupils"].sum().reset_index()
    est = data.establishments()[["uai", "department", "territory"]]
    pupils = pupils.merge(est, on="uai", how="inner")
    pupils["rural_pupils"] = pupils["pupils"].where(pupils["territory"] == "rural", 0)
    out = pupils.groupby("department")[["pupils", "rural_pupils"]].sum().reset_index()
    out["rural_share"] = out["rural_pupils"] / out["pupils"] * 100
    out["enrolment_period"] = chosen
    return out[cols]


def department_intensity(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Trainee-days of each department of the scope, per 1 000 pupils of the second degree.

    Pupils of the second degree stand for the size of a department's teaching body (the
    data hold no count of teachers, nor the first degree's enrolment). Columns: department,
    label, trainee_days, share (% of the scope's trainee-days with a department), pupils,
    per_1000, rural_share (% of the department's second-degree pupils in rural communes).
    """
    frame = referential.in_scope(sessions(data), scope)
    frame = frame[(frame["period"] == period) & frame["department"].notna()]
    days = frame.groupby("department")["trainee_days"].sum()
    depts = referential.departments_of(scope)
    out = pd.DataFrame({"department": depts})
    out["label"] = [breakdown_label("department", d) for d in depts]
    out["trainee_days"] = out["department"].map(days).fillna(0.0).astype(float)
    total = out["trainee_days"].sum()
    out["share"] = out["trainee_days"] / total * 100 if total > 0 else np.nan
    pupils = secondary_pupils(data, period).set_index("department")
    out["pupils"] = out["department"].map(pupils["pupils"]).astype(float)
    out["rural_share"] = out["department"].map(pupils["rural_share"]).astype(float)
    out["per_1000"] = np.where(out["pupils"] > 0, out["trainee_days"] / out["pupils"] * 1000, np.nan)
    out = out.sort_values("label").reset_index(drop=True)
    out.attrs["enrolment_period"] = pupils["enrolment_period"].iloc[0] if len(pupils) else None
    return out


def rurality_correlation(data: Data, period: str) -> dict:
    """Spearman correlation, over the region's departments, between the rural share of a
    department's pupils and its trainee-days per 1 000 pupils: rho, p_value, n."""
    from scipy import stats as sps

    t = department_intensity(data, referential.REGION_SCOPE, period).dropna(subset=["per_1000", "rural_share"])
    if len(t) < 4 or t["per_1000"].nunique() < 2 or t["rural_share"].nunique() < 2:
        return {"rho": np.nan, "p_value": np.nan, "n": len(t)}
    res = sps.spearmanr(t["rural_share"], t["per_1000"])
    return {"rho": float(res.statistic), "p_value": float(res.pvalue), "n": len(t)}


# --------------------------------------------------------------------------- teachers certified


def yearly_certifications(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The teachers' certification year by year up to ``period``: sessions, candidates,
    validated, new certified, cumulative, success rate (teachers validated over teachers who
    sat, Wilson interval) and mean score of the teachers validated (their latest validated
    certification of the year; Student interval)."""
    years = certified_in_scope(data, scope)
    years = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(period))].copy()
    lo, hi = wilson_interval(years["validated"], years["candidates"])
    years["success_rate"] = np.where(years["candidates"] > 0,
                                     years["validated"] / years["candidates"].clip(lower=1) * 100, np.nan)
    years["success_low"], years["success_high"] = lo * 100, hi * 100
    t = referential.in_scope(teacher_certifications(data), scope)
    ok = t[t["validated"] == 1]
    if "exam_date" in ok:
        ok = ok.sort_values("exam_date", kind="stable")
    ok = ok.drop_duplicates(["period", "teacher"], keep="last")
    scores = []
    for p in years["period"]:
        sc = ok.loc[ok["period"] == p, "score"]
        scores.append(mean_interval(sc.astype(float))[:3])
    years["mean_score"] = [s[0] for s in scores]
    years["score_low"] = [s[1] for s in scores]
    years["score_high"] = [s[2] for s in scores]
    return years.reset_index(drop=True)


def objectives(scope: str) -> list[dict]:
    """The certification objectives that apply to a scope: value, deadline, note."""
    from ..catalogue import load_catalogue

    cat = load_catalogue()
    return [{"value": float(o.value), "deadline": o.period, "note": o.note}
            for o in cat.objectives_for(CERTIFICATION_INDICATOR, scope) if o.value is not None]


def pace_check(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Each certification objective of the scope against the pace of certification.

    For an objective whose deadline is past (or is the report's year): the cumulative count
    at the deadline and whether it was reached. For one still ahead: what remains, the pace
    needed per school year to reach it, and the pace observed in the report's year (new
    certified, with its exact Poisson interval).

    Columns: objective, deadline, cumulative (at the deadline, or at ``period`` when the
    deadline is ahead), reached, years_left, remaining, needed_per_year, pace, pace_low,
    pace_high, verdict (French), and ``at_pace``: the school year at whose end the objective
    would be reached if the report year's pace held (for objectives not reached by
    ``period``; empty when the pace is 0).
    """
    years = certified_in_scope(data, scope)
    p = Period.parse(period)
    years = years[years["period"].map(lambda x: Period.parse(x) <= p)]
    cumul = dict(zip(years["period"], years["cumulative"], strict=True))
    new = dict(zip(years["period"], years["new"], strict=True))
    rows = []
    for obj in objectives(scope):
        d = Period.parse(obj["deadline"])
        pace = float(new.get(period, np.nan))
        pace_low, pace_high = poisson_interval(pace)
        row = {"objective": obj["value"], "deadline": obj["deadline"], "pace": pace, "pace_low": pace_low,
               "pace_high": pace_high, "years_left": max(d.start - p.start, 0)}
        if d <= p:
            at = cumul.get(obj["deadline"], np.nan)
            row.update(cumulative=at, reached=bool(at >= obj["value"]) if pd.notna(at) else None,
                       remaining=max(obj["value"] - at, 0) if pd.notna(at) else np.nan, needed_per_year=np.nan)
            if pd.isna(at):
                row["verdict"] = "pas de données à l'échéance"
            else:
                row["verdict"] = "atteint" if row["reached"] else "non atteint à l'échéance"
        else:
            at = cumul.get(period, np.nan)
            remaining = max(obj["value"] - at, 0) if pd.notna(at) else np.nan
            needed = remaining / row["years_left"] if pd.notna(remaining) else np.nan
            row.update(cumulative=at, reached=bool(at >= obj["value"]) if pd.notna(at) else None,
                       remaining=remaining, needed_per_year=needed)
            if pd.isna(at):
                row["verdict"] = "pas de données"
            elif row["reached"]:
                row["verdict"] = "déjà atteint"
            elif pace >= needed:
                row["verdict"] = "rythme suffisant"
            elif pace_high >= needed:
                row["verdict"] = "rythme tout juste insuffisant (dans l'intervalle)"
            else:
                row["verdict"] = "rythme insuffisant"
        now = cumul.get(period, np.nan)
        row["at_pace"] = ""
        if pd.notna(now) and now < obj["value"] and pace > 0:
            row["at_pace"] = p.shift(int(np.ceil((obj["value"] - now) / pace))).label
        rows.append(row)
    cols = ["objective", "deadline", "cumulative", "reached", "years_left", "remaining", "needed_per_year",
            "pace", "pace_low", "pace_high", "verdict", "at_pace"]
    return pd.DataFrame(rows, columns=cols)


def projection(data: Data, scope: str, period: str, horizon: int = 3) -> pd.DataFrame:
    """The cumulative count of teachers certified, observed up to ``period`` and projected.

    Two projections, from the years observed up to ``period`` only:

    - ``trend``: the linear trend of the yearly cumulative counts, projected as the status
      rule does (:func:`~drane_analysis.stats.fit_projection`: never below 0), with its 95 %
      prediction interval (needs two years; the interval ``min_periods_for_interval``);
    - ``pace``: the report year's new certified added every later year (constant pace), with
      the exact Poisson interval of that yearly count.

    Rows: every school year from 2020-2021 to the later of ``period`` + ``horizon`` and the
    last deadline of the scope. Columns: period, observed, trend, trend_low, trend_high,
    pace, pace_low, pace_high, objective (the objective due that year, if any).
    """
    years = certified_in_scope(data, scope)
    p = Period.parse(period)
    seen = years[years["period"].map(lambda x: Period.parse(x) <= p)]
    deadlines = {o["deadline"]: o["value"] for o in objectives(scope)}
    last = max([p.shift(horizon), *[Period.parse(d) for d in deadlines]])
    rows = []
    from ..catalogue import load_catalogue

    cat = load_catalogue()
    scale, lower, upper = cat.projection_scale(CERTIFICATION_INDICATOR, scope)
    trend = fit_projection([Period.parse(x).start for x in seen["period"]], seen["cumulative"].astype(float),
                           scale=scale, lower=lower, upper=upper, min_points_for_interval=cat.min_periods_for_interval)
    now = float(seen["cumulative"].iloc[-1]) if len(seen) else np.nan
    current = seen[seen["period"] == period]
    pace = float(current["new"].iloc[0]) if len(current) else np.nan
    pace_low, pace_high = poisson_interval(pace)
    observed = dict(zip(seen["period"], seen["cumulative"].astype(float), strict=True))
    for label in period_range(CERTIFICATION_START, last):
        q = Period.parse(label)
        row = {"period": label, "observed": observed.get(label, np.nan), "trend": np.nan, "trend_low": np.nan,
               "trend_high": np.nan, "pace": np.nan, "pace_low": np.nan, "pace_high": np.nan,
               "objective": deadlines.get(label, np.nan)}
        if q > p:
            k = q.start - p.start
            if trend is not None:
                row["trend"], row["trend_low"], row["trend_high"] = trend.predict(q.start)
            if np.isfinite(now) and np.isfinite(pace):
                row["pace"], row["pace_low"], row["pace_high"] = now + k * pace, now + k * pace_low, now + k * pace_high
        rows.append(row)
    return pd.DataFrame(rows)


def cumulative_curve(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Cumulative teachers certified day by day up to the end of ``period``, for the scope
    and, for the region, for each academy. Columns: series (scope slug), date, cumulative."""
    t = teacher_certifications(data)
    t = t[(t["first"] == 1) & (t["exam_date"] <= pd.Timestamp(Period.parse(period).last_day))]
    start = pd.Timestamp(Period.parse(CERTIFICATION_START).first_day)
    series = [scope] if scope != referential.REGION_SCOPE else [referential.REGION_SCOPE, *referential.ACADEMIES]
    end = pd.Timestamp(Period.parse(period).last_day)
    parts = []
    for s in series:
        part = referential.in_scope(t, s)
        daily = part.groupby(part["exam_date"].dt.normalize())["first"].sum().sort_index().cumsum()
        frame = pd.DataFrame({"date": [start, *daily.index, end],
                              "cumulative": [0, *daily.to_numpy(), int(daily.iloc[-1]) if len(daily) else 0]})
        parts.append(frame.assign(series=s))
    return pd.concat(parts, ignore_index=True)[["series", "date", "cumulative"]]


def session_figures(data: Data, scope: str, period: str) -> dict:
    """The training sessions of a scope and year the report's caveats count.

    ``sessions``, ``modules`` (distinct modules), ``no_department`` (sessions without a
    department: academic distance sessions) and ``no_department_days`` (their trainee-days).
    """
    s = referential.in_scope(sessions(data), scope)
    cur = s[s["period"] == period]
    no_dept = cur["department"].isna()
    return {"sessions": len(cur), "modules": cur["module_key"].nunique(), "no_department": int(no_dept.sum()),
            "no_department_days": cur.loc[no_dept, "trainee_days"].sum()}
