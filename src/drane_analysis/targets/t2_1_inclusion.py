"""Target 2.1 — digital as a lever for the inclusion of pupils with special needs (pole: Bordeaux).

Indicators (``params/targets/2.1-inclusion.yaml``):

- ``inclusive_training_days``: trainee-days of the « numérique et école inclusive » training
  sessions (``formations``, domain ``digital_inclusive``), against 300;
- ``robots_deployed_first_degree`` / ``_second_degree``: telepresence robots of the fleet
  lent at least one day of the school year to a school (first degree) / a collège, lycée or
  EREA (second degree) — the degree and the department are those of the **borrowing
  establishment** in the assignment log (``robots_affectations``, kind from the annuaire),
  not of the pool that owns the robot; a loan to an establishment of another kind
  (medico-social, unknown to the annuaire) keeps the robot's degree. Against 80 (of 122) and
  80 (of 117), then the whole fleet;
- ``robots_in_service_rate``: robot-days assigned over robot-days in the fleet, September
  to June (robots are not lent over the summer holidays);
- ``inclusion_research_teachers_trained``: teachers who completed the Inria / CeRCA
  training in the school year, against 20;
- ``inclusion_module_students``: pupils followed in the module shared with the laboratories
  during the school year (entered before its end and not left before its start), against 50.

Counts are exhaustive (no interval). The in-service rate is a ratio of robot-days; days of
one robot are not independent (a loan covers weeks), so its interval is the ratio
estimator's, with the **robot** as the unit (see :func:`ratio_interval`), not a Wilson
interval on days, which would be falsely narrow.

Beyond the headline, the robots dashboard the roadmap asks for, by the pools that lend the
robots: deployment month by month (robots in service vs idle), by pool department, and the
state of the fleet
(:func:`robot_monthly`, :func:`robot_department_table`, :func:`robot_heatmap_frame`,
:func:`fleet_status`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, series_frame
from ..periods import Period, period_of_dates, period_range
from ..privacy import Protected, linked_breakdown, protect_scopes
from ..render import gap_sentence  # noqa: F401  (used by the notebook as cible.gap_sentence)
from ..sources.dispositifs import robot_months
from ..sources.formations import PUBLIC_LABELS
from ..stats import BREAKDOWN_TEST_COLUMNS, cluster_rate_table, ratio_interval  # noqa: F401  (shared statistics)

TARGET = "2.1"
INCLUSIVE_DOMAIN = "digital_inclusive"
SCHOOL_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6)  # robots are not lent in July and August
DEGREE_LABELS = {"first": "1er degré", "second": "2nd degré"}
DEGREE_INDICATORS = {"first": "robots_deployed_first_degree", "second": "robots_deployed_second_degree"}
ROBOT_STATUS_LABELS = {"active": "En service", "repair": "En réparation", "retired": "Réformé"}
REASON_LABELS = {"long_illness": "Maladie longue", "hospitalisation": "Hospitalisation",
                 "disability": "Situation de handicap", "accident": "Accident", "other": "Autre"}
LABORATORY_LABELS = {"inria": "Inria", "cerca": "CeRCA"}
NO_DEPARTMENT = "Sans département (à distance, toute l'académie)"


# --------------------------------------------------------------------------- generic helpers


def covered_periods(frame: pd.DataFrame, column: str = "period") -> list[str]:
    """School years present in a frame, in order."""
    values = frame[column].dropna().unique() if column in frame else []
    return sorted({str(v) for v in values}, key=lambda p: Period.parse(p).start)


def count_rows(target: str, indicator: str, frame: pd.DataFrame, periods: list[str],
               value: str | None = None, scopes: tuple[str, ...] = referential.SCOPES) -> list[dict]:
    """Series rows of an exhaustive count (rows, or the sum of ``value``) per scope and period.

    Every period of ``periods`` gets a row for every scope, 0 where nothing was recorded:
    a school year the file covers with nothing in one academy is a true zero.
    """
    weights = frame[value].astype(float) if value else pd.Series(1.0, index=frame.index)
    totals = weights.groupby([frame["academy"].astype("string"), frame["period"].astype("string")]).sum()
    rows = []
    for scope in scopes:
        academies = list(referential.ACADEMIES) if scope == referential.REGION_SCOPE else [scope]
        for period in periods:
            total = float(sum(totals.get((a, period), 0.0) for a in academies))
            rows.append({"target": target, "indicator": indicator, "academy": scope, "period": period,
                         "value": total})
    return rows


def fill_missing(rows: list[dict], target: str, indicator: str, periods: list[str],
                 scopes: tuple[str, ...] = referential.SCOPES) -> list[dict]:
    """Add an empty row (no value, denominator 0) for each scope and covered period missing.

    A rate whose scope has no unit in a school year the source covers is « no data », and
    still appears in the headline table.
    """
    have = {(r["academy"], r["period"]) for r in rows if r["indicator"] == indicator}
    extra = [{"target": target, "indicator": indicator, "academy": scope, "period": period, "value": np.nan,
              "numerator": 0.0, "denominator": 0.0}
             for scope in scopes for period in periods if (scope, period) not in have]
    return rows + extra


def _label_table(table: pd.DataFrame, by: str, labels: dict | None = None) -> pd.DataFrame:
    table = table.rename(columns={by: "group"})
    if labels is not None:
        table["label"] = table["group"].map(lambda v: labels.get(v, "Non renseigné") if pd.notna(v)
                                            else "Non renseigné")
    else:
        table["label"] = table["group"].map(lambda v: breakdown_label(by, v))
    return table


def _count_table(frame: pd.DataFrame, by: str, value: str | None = None,
                 labels: dict | None = None) -> pd.DataFrame:
    """A breakdown of an exhaustive count (value; no interval)."""
    if value:
        g = frame.groupby(by, dropna=False, observed=True)[value].sum()
    else:
        g = frame.groupby(by, dropna=False, observed=True).size()
    table = _label_table(g.rename("value").reset_index(), by, labels)
    table["numerator"] = np.nan
    table["denominator"] = np.nan
    table["ci_low"] = np.nan
    table["ci_high"] = np.nan
    return table[["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]]


# --------------------------------------------------------------------------- training


def training_sessions(data: Data, domain: str = INCLUSIVE_DOMAIN) -> pd.DataFrame:
    """Training sessions of one digital domain (``formations``), with a ``level`` column.

    ``level`` is the public (``first_degree``, ``second_degree``, ``inter_degree``).
    """
    return data.memo(f"training_sessions:{domain}", lambda: _training_sessions(data, domain))


def _training_sessions(data: Data, domain: str) -> pd.DataFrame:
    frame = data.source("formations")
    out = frame[frame["domain"] == domain].copy()
    out["level"] = out["public"]
    out["trainee_days"] = out["trainee_days"].astype(float)
    out.attrs["periods"] = covered_periods(frame)
    return out.reset_index(drop=True)


def training_rows(indicator: str, data: Data, domain: str, target: str = TARGET) -> list[dict]:
    """Trainee-days of a domain per scope and school year (every year of the GAIA extraction)."""
    sessions = training_sessions(data, domain)
    return count_rows(target, indicator, sessions, sessions.attrs.get("periods", []), value="trainee_days",
                      scopes=data.scopes)


def training_breakdown(data: Data, domain: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """Trainee-days of a domain by ``department`` or ``level`` (public), for a scope and year.

    Sessions without a department (academy-wide remote sessions) form their own group.
    """
    frame = training_sessions(data, domain)
    frame = referential.in_scope(frame[frame["period"] == period], scope)
    if by == "level":
        table = _count_table(frame, "level", "trainee_days", PUBLIC_LABELS)
    elif by in ("department", "academy"):
        table = _count_table(frame, by, "trainee_days")
        table.loc[table["group"].isna(), "label"] = NO_DEPARTMENT
    else:
        raise KeyError(f"ventilation inconnue pour les journées stagiaires : {by}")
    return table.sort_values("label").reset_index(drop=True)


def training_summary(data: Data, domain: str, scope: str, period: str) -> dict:
    """Sessions, modules, trainees, trainee-days and e-training share of a domain (scope, year)."""
    frame = training_sessions(data, domain)
    frame = referential.in_scope(frame[frame["period"] == period], scope)
    days = float(frame["trainee_days"].sum())
    e_days = float(frame.loc[frame["is_e_training"].fillna(False).astype(bool), "trainee_days"].sum())
    return {"sessions": len(frame), "modules": int(frame["module_id"].nunique()),
            "trainees": int(frame["trainees"].sum()), "trainee_days": days,
            "e_training_share": e_days / days * 100 if days > 0 else np.nan}


# --------------------------------------------------------------------------- robots


def robot_export_date(data: Data) -> pd.Timestamp:
    """The date the robot files stand at: their latest recorded date.

    Neither file carries its export date; ongoing assignments (empty end) run to it.
    """
    robots = data.source("robots")
    log = data.source("robots_affectations")
    candidates = [robots["purchase_date"].max(), log["start"].max(), log["end"].max()]
    if "retirement_date" in robots:
        candidates.append(robots["retirement_date"].max())
    known = [d for d in candidates if pd.notna(d)]
    return max(known) if known else pd.Timestamp.today().normalize()


def robot_month_frame(data: Data) -> pd.DataFrame:
    """Robot-days per robot and calendar month (``robot_months``), from the log's first year.

    Adds ``in_service`` (assigned at least one day of the month) and ``school_month``
    (September to June). The frame's ``attrs`` give ``as_of`` and ``unknown_robots`` (log
    rows naming a robot absent from the inventory, left out).
    """
    return data.memo("robot_month_frame", lambda: _robot_month_frame(data))


def _robot_month_frame(data: Data) -> pd.DataFrame:
    robots = data.source("robots")
    log = data.source("robots_affectations")
    as_of = robot_export_date(data)
    months = robot_months(robots, log, as_of)
    if not log.empty:
        first = Period.of_date(log["start"].min())
        keep = [p for p in months["period"].dropna().unique() if Period.parse(p) >= first]
        months = months[months["period"].isin(keep)]
    months = months.copy()
    months["in_service"] = (months["days_assigned"].fillna(0) > 0).astype(int)
    months["school_month"] = months["month"].dt.month.isin(SCHOOL_MONTHS)
    months = months.reset_index(drop=True)
    months.attrs["as_of"] = as_of
    months.attrs["unknown_robots"] = int((~log["robot_id"].isin(set(robots["robot_id"]))).sum())
    return months


def robot_year(data: Data) -> pd.DataFrame:
    """One row per robot and school year it was in the fleet.

    Columns: robot_id, degree, department (of the pool), academy, period, deployed (1 when
    assigned at least one day of the year), days_in_fleet and days_assigned (September to
    June), share (days_assigned / days_in_fleet).
    """
    return data.memo("robot_year", lambda: _robot_year(data))


def _robot_year(data: Data) -> pd.DataFrame:
    m = robot_month_frame(data)
    keys = ["robot_id", "degree", "department", "academy", "period"]
    deployed = m.groupby(keys, observed=True, dropna=False)["in_service"].max().rename("deployed")
    school = m[m["school_month"]]
    days = school.groupby(keys, observed=True, dropna=False)[["days_in_fleet", "days_assigned"]].sum()
    out = pd.concat([deployed, days], axis=1).reset_index()
    out[["days_in_fleet", "days_assigned"]] = out[["days_in_fleet", "days_assigned"]].fillna(0).astype(float)
    out["deployed"] = out["deployed"].fillna(0).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(out["days_in_fleet"] > 0, out["days_assigned"] / out["days_in_fleet"], np.nan)
    out.attrs.update(m.attrs)
    return out


def robot_deployments(data: Data) -> pd.DataFrame:
    """One row per loan and school year it covers while its robot is in the fleet.

    A loan covers a school year when it has at least one day in it between the robot's
    purchase and its retirement (or the files' date; an ongoing loan runs to that date).
    ``degree`` is the borrowing establishment's: ``first`` for an école, ``second`` for a
    collège, lycée or EREA (annuaire); for any other establishment (medico-social, absent
    from the annuaire) the robot's own degree, and ``degree_from`` says which
    (``establishment`` or ``robot``). ``department`` and ``academy`` are the
    establishment's (from its UAI). Loans naming a robot absent from the inventory are left
    out. Columns: robot_id, uai, period, degree, degree_from, robot_degree, department,
    academy.
    """
    return data.memo("robot_deployments", lambda: _robot_deployments(data))


def _robot_deployments(data: Data) -> pd.DataFrame:
    robots = data.source("robots")
    log = data.source("robots_affectations")
    as_of = robot_export_date(data)
    cols = ["robot_id", "uai", "period", "degree", "degree_from", "robot_degree", "department", "academy"]
    fleet = robots[["robot_id", "degree", "purchase_date"]].assign(
        retirement_date=robots.get("retirement_date", pd.NaT))
    loans = log.merge(fleet.rename(columns={"degree": "robot_degree"}), on="robot_id", how="inner")
    start = loans[["start", "purchase_date"]].max(axis=1)
    end = pd.concat([loans["end"].fillna(as_of), loans["retirement_date"].fillna(as_of),
                     pd.Series(as_of, index=loans.index)], axis=1).min(axis=1)
    rows = []
    for i, (a, b) in enumerate(zip(start, end, strict=True)):
        if pd.isna(a) or pd.isna(b) or b < a:
            continue
        for label in period_range(Period.of_date(a).label, Period.of_date(b).label):
            rows.append((i, label))
    if not rows:
        return pd.DataFrame(columns=cols)
    idx, periods = zip(*rows, strict=True)
    out = loans.iloc[list(idx)].reset_index(drop=True).assign(period=list(periods))
    kind = pd.Series(pd.NA, index=out.index, dtype="object")
    if data.has("annuaire"):
        kind = out["uai"].map(data.establishments().drop_duplicates("uai").set_index("uai")["kind"])
    first = kind.eq("ecole").to_numpy()
    second = kind.isin(list(referential.SECONDARY_KINDS)).to_numpy()
    out["degree"] = np.select([first, second], ["first", "second"], default=out["robot_degree"].astype(object))
    out["degree_from"] = np.where(first | second, "establishment", "robot")
    return out[cols]


def in_service_rows(frame: pd.DataFrame, scope: str, periods: list[str]) -> list[dict]:
    rows = []
    for period in periods:
        part = frame[frame["period"] == period]
        r, lo, hi, n = ratio_interval(part["days_assigned"], part["days_in_fleet"])
        rows.append({"target": TARGET, "indicator": "robots_in_service_rate", "academy": scope, "period": period,
                     "value": r * 100, "numerator": float(part["days_assigned"].sum()),
                     "denominator": float(part["days_in_fleet"].sum()), "ci_low": lo * 100, "ci_high": hi * 100,
                     "note": f"{n} robots"})
    return rows


def robot_rows(data: Data) -> list[dict]:
    """Robots deployed by degree (distinct robots lent in the scope, :func:`robot_deployments`)
    and the in-service rate, per scope and school year of the fleet."""
    years = robot_year(data)
    periods = covered_periods(years)
    loans = robot_deployments(data)
    rows = []
    for degree, indicator in DEGREE_INDICATORS.items():
        part = loans[loans["degree"] == degree]
        for scope in data.scopes:
            mine = referential.in_scope(part, scope)
            counts = mine.groupby("period")["robot_id"].nunique()
            rows += [{"target": TARGET, "indicator": indicator, "academy": scope, "period": period,
                      "value": float(counts.get(period, 0))} for period in periods]
    for scope, part in by_scope(years, scopes=data.scopes):
        rows += in_service_rows(part, scope, periods)
    return rows


UNKNOWN_ROBOT = {"unknown_robot": "prêt{s} d'un robot absent de l'inventaire"}


def loans_coverage(data: Data, degree: str) -> pd.DataFrame:
    """Coverage of the robots deployed of a degree (join of the loans with the inventory).

    A loan naming a robot absent from the inventory is left out (no purchase date, no
    degree of its own): counted here in each school year its dates cover, for the degree
    of the borrowing establishment (for both degrees when the annuaire does not give it).
    """
    kept = robot_deployments(data)
    kept = kept[kept["degree"] == degree]
    frame = pd.DataFrame({"loan": kept["robot_id"].astype(str) + "|" + kept["uai"].astype(str),
                          "period": kept["period"], "academy": kept["academy"], "lost": coverage.KEPT})
    log = data.source("robots_affectations")
    unknown = log[~log["robot_id"].isin(set(data.source("robots")["robot_id"]))]
    if len(unknown):
        as_of = robot_export_date(data)
        kind = unknown["uai"].map(data.establishments().drop_duplicates("uai").set_index("uai")["kind"]) \
            if data.has("annuaire") else pd.Series(pd.NA, index=unknown.index)
        of_degree = np.where(kind.eq("ecole"), "first", np.where(kind.isin(list(referential.SECONDARY_KINDS)),
                                                                 "second", ""))
        rows = []
        for k, (robot, uai, start, end) in enumerate(zip(unknown["robot_id"], unknown["uai"], unknown["start"],
                                                         unknown["end"].fillna(as_of), strict=True)):
            if of_degree[k] not in ("", degree) or pd.isna(start) or pd.isna(end) or end < start:
                continue
            for label in period_range(Period.of_date(start).label, Period.of_date(end).label):
                rows.append({"loan": f"{robot}|{uai}", "period": label, "academy": coverage.academy_of_uai(
                    pd.Series([uai])).iloc[0], "lost": "unknown_robot"})
        frame = pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)
    return coverage.measure(frame, UNKNOWN_ROBOT, whom="prêt{s} de robot{s}", unit="loan", subject="nombre calculé",
                            scopes=data.scopes)


def robot_department_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The fleet of each pool department in a school year, by degree.

    Columns: department, label, degree, fleet (robots in the fleet during the year),
    deployed, idle (in the fleet, never assigned in the year), value / ci_low / ci_high
    (in-service rate, %, September–June), robots (units of the interval).
    """
    years = referential.in_scope(robot_year(data), scope)
    years = years[years["period"] == period]
    rows = []
    for (dept, degree), part in years.groupby(["department", "degree"], observed=True):
        r, lo, hi, n = ratio_interval(part["days_assigned"], part["days_in_fleet"])
        rows.append({"department": dept, "label": breakdown_label("department", dept), "degree": degree,
                     "fleet": len(part), "deployed": int(part["deployed"].sum()),
                     "idle": int((part["deployed"] == 0).sum()),
                     "value": r * 100, "ci_low": lo * 100, "ci_high": hi * 100, "robots": n})
    cols = ["department", "label", "degree", "fleet", "deployed", "idle", "value", "ci_low", "ci_high", "robots"]
    return pd.DataFrame(rows, columns=cols).sort_values(["label", "degree"]).reset_index(drop=True)


def robot_monthly(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Deployment month by month: robots in the fleet, in service (assigned ≥ 1 day), idle.

    Columns: month, period, degree, fleet, in_service, idle, days_in_fleet, days_assigned,
    rate (% of robot-days assigned). Months up to the end of school year ``until``.
    """
    m = referential.in_scope(robot_month_frame(data), scope)
    if until:
        keep = [p for p in m["period"].dropna().unique() if Period.parse(p) <= Period.parse(until)]
        m = m[m["period"].isin(keep)]
    g = m.assign(one=1).groupby(["month", "period", "degree"], observed=True)
    out = g.agg(fleet=("one", "sum"), in_service=("in_service", "sum"),
                days_in_fleet=("days_in_fleet", "sum"), days_assigned=("days_assigned", "sum")).reset_index()
    out["idle"] = out["fleet"] - out["in_service"]
    out["days_in_fleet"] = out["days_in_fleet"].astype(float)
    out["days_assigned"] = out["days_assigned"].astype(float)
    out["rate"] = np.where(out["days_in_fleet"] > 0, out["days_assigned"] / out["days_in_fleet"].where(
        out["days_in_fleet"] > 0, 1) * 100, np.nan)
    return out.sort_values(["degree", "month"]).reset_index(drop=True)


def robot_heatmap_frame(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Share of robot-days assigned (%) by pool department (rows) and school month (columns)."""
    m = referential.in_scope(robot_month_frame(data), scope)
    m = m[(m["period"] == period) & m["school_month"]]
    if m.empty:
        return pd.DataFrame()
    g = m.groupby(["department", "month"], observed=True)[["days_assigned", "days_in_fleet"]].sum().astype(float)
    g["rate"] = g["days_assigned"] / g["days_in_fleet"].where(g["days_in_fleet"] > 0) * 100
    table = g.reset_index().pivot_table(index="department", columns="month", values="rate", aggfunc="first")
    table.index = [breakdown_label("department", d) for d in table.index]
    return table.sort_index()


def robot_share_distribution(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Each robot's share of September–June days assigned in a school year (robot_id, degree, share %)."""
    years = referential.in_scope(robot_year(data), scope)
    years = years[(years["period"] == period) & (years["days_in_fleet"] > 0)]
    return years[["robot_id", "degree", "department", "share"]].assign(share=lambda f: f["share"] * 100) \
        .reset_index(drop=True)


def fleet_status(data: Data, scope: str) -> pd.DataFrame:
    """The inventory's status at the export date, by degree (counts)."""
    robots = referential.in_scope(data.source("robots"), scope)
    table = robots.assign(one=1).pivot_table(index="degree", columns="status", values="one", aggfunc="sum",
                                             fill_value=0, observed=True)
    table = table.reindex(columns=list(ROBOT_STATUS_LABELS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index = [DEGREE_LABELS.get(d, d) for d in table.index]
    return table.rename(columns={**ROBOT_STATUS_LABELS, "total": "Total"})


def assignment_summary(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Loans starting in the school year by reason: loans, pupils, median length (days).

    Aggregates only (pupils are counted through their pseudonymous id, never shown).
    """
    log = referential.in_scope(data.source("robots_affectations"), scope)
    log = log[period_of_dates(log["start"]) == period]
    as_of = robot_export_date(data)
    length = (log["end"].fillna(as_of).clip(upper=as_of) - log["start"]).dt.days + 1
    log = log.assign(length=length)
    g = log.groupby("reason", observed=True)
    out = pd.DataFrame({"loans": g.size(), "pupils": g["pupil_id"].nunique(),
                        "median_days": g["length"].median()}).reset_index()
    out["label"] = out["reason"].map(REASON_LABELS).fillna(out["reason"])
    total = pd.DataFrame([{"reason": "all", "label": "Ensemble", "loans": len(log),
                           "pupils": log["pupil_id"].nunique(),
                           "median_days": log["length"].median() if len(log) else np.nan}])
    return pd.concat([out.sort_values("loans", ascending=False), total], ignore_index=True)


def degree_mismatches(data: Data, scope: str, period: str) -> int:
    """Loans of the year whose establishment's kind does not match the robot's degree."""
    robots = data.source("robots")[["robot_id", "degree"]]
    log = referential.in_scope(data.source("robots_affectations"), scope)
    log = log[period_of_dates(log["start"]) == period]
    if log.empty or not data.has("annuaire"):
        return 0
    est = data.establishments()[["uai", "kind"]]
    joined = log.merge(robots, on="robot_id", how="inner").merge(est, on="uai", how="left")
    first_ok = joined["kind"].eq("ecole")
    second_ok = joined["kind"].isin(list(referential.SECONDARY_KINDS) + ["medico_social"])
    bad = ((joined["degree"] == "first") & ~first_ok) | ((joined["degree"] == "second") & ~second_ok)
    return int(bad.sum())


# --------------------------------------------------------------------------- research strand


def research_teachers(data: Data) -> pd.DataFrame:
    """Registrations completed (the teachers trained), with the file's school years in ``attrs``."""
    def _compute() -> pd.DataFrame:
        frame = data.source("inclusion_recherche_enseignants")
        out = frame[frame["completed"].fillna(False).astype(bool)].reset_index(drop=True)
        out.attrs["periods"] = covered_periods(frame)
        out.attrs["not_completed"] = int((~frame["completed"].fillna(False).astype(bool)).sum())
        return out

    return data.memo("research_teachers", _compute)


def research_pupils(data: Data) -> pd.DataFrame:
    """Pupils of the shared module (one row each, by school year of entry)."""
    def _compute() -> pd.DataFrame:
        frame = data.source("inclusion_recherche")
        out = frame.reset_index(drop=True)
        out.attrs["periods"] = covered_periods(frame)
        return out

    return data.memo("research_pupils", _compute)


def followed_pupils(data: Data) -> pd.DataFrame:
    """One row per pupil and school year they were followed in the shared module.

    A pupil is followed in a school year when they entered the module by its last day and
    had not left before its first (no exit date: still followed). School years run from the
    first of the file to its last (the latest school year of an entry or an exit date), in
    ``attrs["periods"]``. Columns: pupil_id, laboratory, uai, department, academy, period.
    """
    def _compute() -> pd.DataFrame:
        pupils = research_pupils(data)
        cols = ["pupil_id", "laboratory", "uai", "department", "academy", "period"]
        dated = [Period.of_date(d) for d in pd.concat([pupils["entry_date"], pupils["exit_date"]]).dropna()]
        if not dated:
            out = pd.DataFrame(columns=cols)
            out.attrs["periods"] = []
            return out
        periods = period_range(min(dated).label, max(dated).label)
        parts = []
        for label in periods:
            q = Period.parse(label)
            start, end = pd.Timestamp(q.first_day), pd.Timestamp(q.last_day)
            inside = (pupils["entry_date"] <= end) & (pupils["exit_date"].isna() | (pupils["exit_date"] >= start))
            parts.append(pupils.loc[inside, cols[:-1]].assign(period=label))
        out = pd.concat(parts, ignore_index=True)[cols]
        out.attrs["periods"] = periods
        return out

    return data.memo("followed_pupils", _compute)


def research_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Teachers trained and pupils entered by laboratory; pupils followed during the year.

    Columns: laboratory, label, teachers, teachers_first_degree, hours (mean), pupils_entered,
    pupils_followed (in the module at some point of the year: entered before its end and not
    left before its start).
    """
    p = Period.parse(period)
    start, end = pd.Timestamp(p.first_day), pd.Timestamp(p.last_day)
    t = referential.in_scope(research_teachers(data), scope)
    t = t[t["period"] == period]
    pupils = referential.in_scope(research_pupils(data), scope)
    followed = pupils[(pupils["entry_date"] <= end) & (pupils["exit_date"].isna() | (pupils["exit_date"] >= start))]
    entered = pupils[pupils["period"] == period]
    rows = []
    for lab in sorted(set(LABORATORY_LABELS) | set(t["laboratory"].dropna()) | set(pupils["laboratory"].dropna())):
        tl = t[t["laboratory"] == lab]
        rows.append({"laboratory": lab, "label": LABORATORY_LABELS.get(lab, lab), "teachers": len(tl),
                     "teachers_first_degree": int((tl["degree"] == "first").sum()),
                     "hours": float(tl["hours"].astype(float).mean()) if "hours" in tl and len(tl) else np.nan,
                     "pupils_entered": int((entered["laboratory"] == lab).sum()),
                     "pupils_followed": int((followed["laboratory"] == lab).sum())})
    out = pd.DataFrame(rows)
    total = {"laboratory": "all", "label": "Ensemble", "teachers": len(t),
             "teachers_first_degree": int((t["degree"] == "first").sum()),
             "hours": float(t["hours"].astype(float).mean()) if "hours" in t and len(t) else np.nan,
             "pupils_entered": len(entered), "pupils_followed": len(followed)}
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 2.1 indicator for each scope and each school year its sources cover."""
    rows: list[dict] = []
    if data.has("formations"):
        rows += training_rows("inclusive_training_days", data, INCLUSIVE_DOMAIN)
    if data.has("robots") and data.has("robots_affectations"):
        rows += robot_rows(data)
        series = series_frame(rows)
        for degree, indicator in DEGREE_INDICATORS.items():  # loans of robots missing from the inventory
            series = coverage.attach(series, indicator, loans_coverage(data, degree))
        rows = series.to_dict("records")
    if data.has("inclusion_recherche_enseignants"):
        teachers = research_teachers(data)
        rows += count_rows(TARGET, "inclusion_research_teachers_trained", teachers, teachers.attrs["periods"],
                           scopes=data.scopes)
    if data.has("inclusion_recherche"):
        followed = followed_pupils(data)
        rows += count_rows(TARGET, "inclusion_module_students", followed, followed.attrs["periods"], scopes=data.scopes)
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period, by ``department`` (or ``level`` for training).

    Returns group, label, value, numerator, denominator, ci_low, ci_high, sorted by label.
    Robots deployed are counted in the department of the establishment they were lent to
    (distinct robots; the departments of the degree's pools are listed too, with 0); the
    in-service rate in the department of the pool that lends them.
    """
    if indicator == "inclusive_training_days":
        return training_breakdown(data, INCLUSIVE_DOMAIN, scope, period, by)
    if by != "department":
        raise KeyError(f"ventilation « {by} » non prévue pour {indicator}")
    years = referential.in_scope(robot_year(data), scope)
    years = years[years["period"] == period]
    if indicator in DEGREE_INDICATORS.values():
        degree = next(d for d, i in DEGREE_INDICATORS.items() if i == indicator)
        loans = referential.in_scope(robot_deployments(data), scope)
        loans = loans[(loans["period"] == period) & (loans["degree"] == degree)]
        counts = loans.groupby("department", observed=True)["robot_id"].nunique()
        pools = years.loc[years["degree"] == degree, "department"].dropna().unique()
        departments = sorted(set(counts.index.astype(str)) | {str(d) for d in pools})
        table = pd.DataFrame({"department": departments,
                              "value": [float(counts.get(d, 0)) for d in departments]})
        table["numerator"] = table["value"]
        table["denominator"] = np.nan
        table["ci_low"] = np.nan
        table["ci_high"] = np.nan
    elif indicator == "robots_in_service_rate":
        # The robot is the unit (its days are not independent): the ratio estimator, as in
        # the headline, with what gap_sentence needs to test a gap between departments.
        fleet = years[years["days_in_fleet"] > 0]
        table = cluster_rate_table(fleet, "days_assigned", "days_in_fleet", "robot_id", by=["department"])
        table["cluster_label"] = "robots pris comme grappes"
        # The pupils the rate rests on: a robot deployed is a pupil. A department whose robots
        # deployed are secret (as in the fleet table) shows no rate (privacy.PERSONS_COLUMN).
        deployed = fleet.groupby("department", observed=True)["deployed"].sum()
        table["persons"] = table["department"].map(deployed).fillna(0).astype(float)
    else:
        raise KeyError(f"indicateur inconnu pour la cible 2.1 : {indicator}")
    table = _label_table(table, "department")
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in (*BREAKDOWN_TEST_COLUMNS, "persons") if c in table]
    return table[cols].sort_values("label").reset_index(drop=True)


# --------------------------------------------------------------------------- report blocks


def _region_row(rpt, indicator: str) -> pd.Series | None:
    s = rpt.series
    hit = s[(s["indicator"] == indicator) & (s["academy"] == referential.REGION_SCOPE) & (s["period"] == rpt.period)]
    return None if hit.empty else hit.iloc[0]


def _objective_of(rpt, indicator: str) -> float | None:
    """The objective in force for the region this school year (objectives are regional)."""
    obj = rpt.catalogue.objective_for(indicator, referential.REGION_SCOPE, rpt.period)
    return None if obj is None else obj.objective.value


def _versus(rpt, indicator: str, unit: str, what: str) -> str | None:
    """« **x** what (objectif y : atteint / non atteint) », adding the region when the scope is an academy."""
    from ..formatting import fmt_value

    r = rpt.table[rpt.table["indicator"] == indicator]
    if r.empty or pd.isna(r.iloc[0]["value"]):
        return None
    value = r.iloc[0]["value"]
    text = f"**{fmt_value(value, unit)}** {what}"
    objective = _objective_of(rpt, indicator)
    region = _region_row(rpt, indicator)
    if rpt.scope != referential.REGION_SCOPE and region is not None and pd.notna(region["value"]):
        text += f" ({fmt_value(region['value'], unit)} dans la région"
        if objective is not None:
            verdict = "atteint" if region["value"] >= objective else "non atteint"
            text += f", pour un objectif régional de {fmt_value(objective, unit)} : {verdict}"
        text += ")"
    elif objective is not None:
        verdict = "atteint" if value >= objective else "non atteint"
        text += f", pour un objectif de {fmt_value(objective, unit)} ({verdict})"
    return text


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_interval, fmt_value

    lines = []
    t = _versus(rpt, "inclusive_training_days", "trainee_days",
                "de formation « numérique et école inclusive »")
    if t:
        lines.append(f"- {t}.")
    for degree, indicator in DEGREE_INDICATORS.items():
        t = _versus(rpt, indicator, "count", f"robots de téléprésence du {DEGREE_LABELS[degree]} déployés")
        if t:
            fleet = robot_fleet_size(rpt.data, rpt.scope, rpt.period, degree)
            lines.append(f"- {t} ; le parc en compte {fleet}.")
    r = rpt.table[rpt.table["indicator"] == "robots_in_service_rate"]
    if not r.empty and pd.notna(r.iloc[0]["value"]):
        r = r.iloc[0]
        lines.append(f"- Les robots ont été **en service {fmt_value(r['value'], 'percent')}** de leurs journées "
                     f"de septembre à juin (intervalle à 95 % {fmt_interval(r['ci_low'], r['ci_high'], 'percent')}) ; "
                     "le reste du temps, ils étaient au parc, inutilisés.")
    t1 = _versus(rpt, "inclusion_research_teachers_trained", "count", "enseignants formés avec Inria et le CeRCA")
    t2 = _versus(rpt, "inclusion_module_students", "count", "élèves suivis dans le module de suivi partagé")
    for t in (t1, t2):
        if t:
            lines.append(f"- {t}.")
    return "\n".join(lines)


def robot_fleet_size(data: Data, scope: str, period: str, degree: str) -> int:
    """Robots of a degree in the fleet during the school year."""
    years = referential.in_scope(robot_year(data), scope)
    return int(((years["period"] == period) & (years["degree"] == degree)).sum())


def show_training(rpt) -> None:
    """Inclusive training: sessions, modules, trainees and trainee-days of the year."""
    from ..formatting import fmt_value, fr_number
    from ..render import display_html, html_table

    s = training_summary(rpt.data, INCLUSIVE_DOMAIN, rpt.scope, rpt.period)
    frame = pd.DataFrame([{
        "Sessions": fr_number(s["sessions"]), "Modules (actions)": fr_number(s["modules"]),
        "Stagiaires présents": fr_number(s["trainees"]),
        "Journées stagiaires": fmt_value(s["trainee_days"], "trainee_days", False),
        "Part en e-formation": fmt_value(s["e_training_share"], "percent"),
    }])
    display_html(html_table(frame, align_right=list(frame.columns),
                             caption=f"Formations « numérique et école inclusive » — {rpt.scope_label}, {rpt.period}"))


def show_count_table(rpt, table: pd.DataFrame, title: str, caption: str, unit: str = "trainee_days") -> None:
    """A breakdown of counts (no interval) with its share of the total."""
    from ..formatting import fmt_value
    from ..render import display_html, html_table

    total = table["value"].sum()
    out = pd.DataFrame({
        title: table["label"],
        "Valeur": [fmt_value(v, unit, False) for v in table["value"]],
        "Part du total": [fmt_value(v / total * 100 if total else np.nan, "percent") for v in table["value"]],
    })
    display_html(html_table(out, align_right=["Valeur", "Part du total"], caption=caption))


def deployment_chart(rpt) -> None:
    """Robots in service and idle month by month, per degree, up to the school year shown."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, GREY, RED, fr_number
    from ..render import published_scope_counts, show_figure

    monthly = robot_monthly(rpt.data, rpt.scope, until=rpt.period)
    if monthly.empty:
        return
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.2), sharex=True)
    alt = []
    p = Period.parse(rpt.period)
    for ax, degree in zip(axes, ("first", "second"), strict=True):
        part = monthly[monthly["degree"] == degree]
        if part.empty:
            ax.set_visible(False)
            continue
        ax.axvspan(pd.Timestamp(p.first_day), pd.Timestamp(p.last_day) + pd.Timedelta(days=1), color="#FFE9B3",
                   alpha=0.6, lw=0, zorder=0)
        ax.bar(part["month"], part["in_service"], width=27, align="edge", color=BLUE, zorder=2,
               label="en service (affecté au moins un jour)")
        ax.bar(part["month"], part["idle"], width=27, align="edge", bottom=part["in_service"], color="#CECECE",
               zorder=2, label="au parc, inutilisé")
        objective = _objective_of(rpt, DEGREE_INDICATORS[degree]) if rpt.scope == referential.REGION_SCOPE else None
        if objective:
            ax.axhline(objective, color=RED, ls="--", lw=1.2)
            ax.text(part["month"].min(), objective, f" objectif annuel {fr_number(objective)}", color=RED,
                    fontsize=8, va="bottom")
        ax.set_ylim(0, max(float(part["fleet"].max()), objective or 0) * 1.15)
        ax.set_ylabel("robots")
        ax.set_title(f"Robots du {DEGREE_LABELS[degree]}", loc="left")
        cur = part[part["period"] == rpt.period]
        if not cur.empty:
            alt.append(f"{DEGREE_LABELS[degree]}, {rpt.period} : de {fr_number(cur['in_service'].min())} à "
                       f"{fr_number(cur['in_service'].max())} robots en service par mois sur un parc de "
                       f"{fr_number(cur['fleet'].max())}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.06))
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))
    fig.autofmt_xdate()
    fig.text(0.01, -0.1, "Zone colorée : l'année scolaire du rapport. Juillet et août : pas de prêt.",
             fontsize=8, color=GREY)
    def months_of(scope: str) -> pd.DataFrame:
        m = robot_monthly(rpt.data, scope, until=rpt.period)
        return pd.DataFrame({"Degré": [DEGREE_LABELS[d] for d in m["degree"]],
                             "Mois": [f"{x:%Y-%m}" for x in m["month"]], "Robots en service": m["in_service"],
                             "Robots inutilisés": m["idle"], "Parc": m["fleet"]})

    # A robot in service is a pupil: a small monthly count is secret (protected with the other
    # scopes' months), and the idle count with it.
    data = published_scope_counts(rpt.data, f"2.1:robots_monthly:{rpt.period}", months_of, rpt.scope,
                                  ["Robots en service"], by=["Degré", "Mois"], partition=False,
                                  follow={"Robots inutilisés": "Robots en service"})
    show_figure(fig, "Robots en service et inutilisés, mois par mois. " + " ; ".join(alt), data=data,
                name="robots en service par mois")


def department_fleet(data: Data, scope: str, period: str) -> pd.DataFrame:
    """:func:`robot_department_table` with one row per pool department, a column per degree.

    Columns: department, label, then for ``first`` and ``second``: ``deployed_<degree>``,
    ``fleet_<degree>``, ``value_<degree>``, ``ci_low_<degree>``, ``ci_high_<degree>``
    (missing where the department has no robot of the degree).
    """
    table = robot_department_table(data, scope, period)
    out = pd.DataFrame({"department": sorted(table["department"].unique(), key=str)})
    out["label"] = [breakdown_label("department", d) for d in out["department"]]
    for degree in DEGREE_LABELS:
        part = table[table["degree"] == degree].set_index("department").reindex(out["department"])
        for col in ("deployed", "fleet", "value", "ci_low", "ci_high"):
            out[f"{col}_{degree}"] = part[col].astype(float).to_numpy()
    return out.sort_values("label").reset_index(drop=True)


def protected_fleet(data: Data, scope: str, period: str) -> Protected:
    """:func:`department_fleet` protected with the same table of every scope.

    A robot deployed is a pupil (one loan, one pupil): the robots deployed by department
    are counts of persons; the in-service rate of a department follows its count.
    """
    follow = {f"{c}_{d}": f"deployed_{d}" for d in DEGREE_LABELS for c in ("value", "ci_low", "ci_high")}
    return protect_scopes(data, f"2.1:department_fleet:{period}", lambda s: department_fleet(data, s, period), scope,
                          [f"deployed_{d}" for d in DEGREE_LABELS], follow=follow)


def show_department_table(rpt) -> None:
    """The fleet of each pool department: deployed / fleet and in-service rate (interval), per degree."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

    p = protected_fleet(rpt.data, rpt.scope, rpt.period)
    table = p.frame
    if table.empty:
        return
    out = pd.DataFrame({"Département": table["label"]})
    for degree, name in (("first", "1D"), ("second", "2D")):
        deployed = p.text(f"deployed_{degree}", fr_number)
        out[f"{name} : déployés / parc"] = [f"{d} / {fr_number(f)}" if pd.notna(f) else "—"
                                            for d, f in zip(deployed, table[f"fleet_{degree}"], strict=True)]
        hidden = p.mask(f"value_{degree}")
        out[f"{name} : temps en service"] = [
            p.rules.marker if h else (f"{fmt_value(v, 'percent')} {fmt_interval(lo, hi, 'percent')}" if pd.notna(v)
                                      else "—")
            for v, lo, hi, h in zip(table[f"value_{degree}"], table[f"ci_low_{degree}"], table[f"ci_high_{degree}"],
                                    hidden, strict=True)]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Parc de robots par département — {rpt.period} (1D : 1er degré, 2D : 2nd degré ; "
                                     "temps en service de septembre à juin, avec son intervalle à 95 %)")
                  + p.note_html())


def heatmap(rpt) -> None:
    """Share of robot-days in service by department and month of the school year."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from ..formatting import fmt_value
    from ..render import show_figure

    table = robot_heatmap_frame(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        return
    # A department whose robots deployed are secret shows no monthly share (a share of a few
    # robots gives their count back).
    fleet = protected_fleet(rpt.data, rpt.scope, rpt.period)
    secret = set(fleet.frame.loc[np.logical_or.reduce([fleet.mask(f"deployed_{d}") for d in DEGREE_LABELS]),
                                 "label"])
    table = table[~table.index.isin(secret)]
    if table.empty:
        return
    labels = [f"{m:%m/%y}" for m in table.columns]
    fig, ax = plt.subplots(figsize=(9, max(2.4, 0.42 * len(table) + 1.4)))
    sns.heatmap(table.to_numpy(dtype=float), annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=100,
                xticklabels=labels, yticklabels=table.index, cbar_kws={"label": "% des journées-robots"}, ax=ax)
    ax.set_title(f"Temps en service des robots par département et par mois (%) — {rpt.period}", loc="left")
    means = table.mean(axis=1)
    alt = "; ".join(f"{d} : {fmt_value(v, 'percent')} en moyenne mensuelle" for d, v in means.items())
    caption = None
    if secret:
        caption = f"Non représentés (secret statistique) : {', '.join(sorted(secret))}."
        alt += f". {caption}"
    data = pd.DataFrame(table.to_numpy(dtype=float), columns=[f"{m:%Y-%m} (%)" for m in table.columns])
    data.insert(0, "Département", list(table.index))
    show_figure(fig, "Carte de chaleur du temps en service des robots par département et par mois. " + alt, caption,
                data=data, name=f"temps en service des robots par mois {rpt.period}")


def share_histogram(rpt) -> None:
    """Distribution of each robot's share of days in service over the year, by degree."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, PALETTE, fmt_value
    from ..render import published_scope_counts, show_figure

    frame = robot_share_distribution(rpt.data, rpt.scope, rpt.period)
    if frame.empty:
        return
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    bins = np.arange(0, 105, 5)
    alt, values, labels, colours = [], [], [], []
    for k, degree in enumerate(("first", "second")):
        s = frame.loc[frame["degree"] == degree, "share"].dropna()
        if s.empty:
            continue
        values.append(s.to_numpy())
        labels.append(f"{DEGREE_LABELS[degree]} (n = {len(s)})")
        colours.append([BLUE, PALETTE[1]][k])
        alt.append(f"{DEGREE_LABELS[degree]} : médiane {fmt_value(s.median(), 'percent')}, "
                   f"{int((s == 0).sum())} robot(s) jamais affecté(s)")
    ax.hist(values, bins=bins, color=colours, label=labels)
    ax.set_xlabel("part des journées de septembre à juin où le robot est affecté (%)")
    ax.set_ylabel("robots")
    ax.set_title("Utilisation de chaque robot sur l'année", loc="left")
    ax.legend(frameon=False, fontsize=8)
    def bins_of(scope: str) -> pd.DataFrame:
        shares = robot_share_distribution(rpt.data, scope, rpt.period)
        out = pd.DataFrame({"Part du temps de (%)": bins[:-1], "à moins de (%)": bins[1:]})
        for degree in ("first", "second"):
            s = shares.loc[shares["degree"] == degree, "share"].dropna() if not shares.empty else []
            out[f"Robots du {DEGREE_LABELS[degree]}"] = np.histogram(s, bins=bins)[0]
        return out

    data = published_scope_counts(rpt.data, f"2.1:robot_shares:{rpt.period}", bins_of, rpt.scope,
                                  [f"Robots du {DEGREE_LABELS[d]}" for d in ("first", "second")],
                                  by="Part du temps de (%)")
    show_figure(fig, "Histogramme de la part du temps en service de chaque robot. " + " ; ".join(alt), data=data,
                name="utilisation de chaque robot")


def show_fleet_status(rpt) -> None:
    from ..render import display_html, html_table

    table = fleet_status(rpt.data, rpt.scope)
    as_of = robot_month_frame(rpt.data).attrs["as_of"]
    out = table.reset_index().rename(columns={"index": "Degré"})
    out = out.astype({c: str for c in out.columns})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"État du parc à la date des fichiers ({as_of:%d/%m/%Y})"))


def show_assignments(rpt) -> None:
    from ..formatting import fr_number
    from ..render import display_html, html_table

    # Pupils by reason of absence (health data on minors): small counts, the counts that would
    # give them back from the totals or from the other scopes' tables, and the medians of few
    # pupils are secret.
    def table_of(scope: str) -> pd.DataFrame:
        t = assignment_summary(rpt.data, scope, rpt.period)
        return t.assign(is_total=t["reason"] == "all")

    p = protect_scopes(rpt.data, f"2.1:assignments:{rpt.period}", table_of, rpt.scope, ["loans", "pupils"],
                       by="reason", totals="is_total", rates={"median_days": (None, "pupils")})
    table = p.frame
    out = pd.DataFrame({"Motif": table["label"], "Prêts commencés": p.text("loans", fr_number),
                        "Élèves": p.text("pupils", fr_number),
                        "Durée médiane (jours)": p.text("median_days", fr_number)})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Prêts de robots commencés en {rpt.period}, par motif") + p.note_html())


def show_research(rpt) -> None:
    from ..formatting import fr_number
    from ..render import display_html, html_table

    # Teachers and pupils (with disabilities) by laboratory: small counts are secret, jointly
    # with the other scopes' tables.
    def table_of(scope: str) -> pd.DataFrame:
        t = research_table(rpt.data, scope, rpt.period)
        return t.assign(teachers_second_degree=t["teachers"] - t["teachers_first_degree"],
                        is_total=t["laboratory"] == "all")

    p = protect_scopes(rpt.data, f"2.1:research:{rpt.period}", table_of, rpt.scope,
                       ["teachers", "teachers_first_degree", "teachers_second_degree", "pupils_entered",
                        "pupils_followed"], by="laboratory", totals="is_total", rates={"hours": (None, "teachers")},
                       sums=[("teachers", ["teachers_first_degree", "teachers_second_degree"])])
    table = p.frame
    out = pd.DataFrame({
        "Laboratoire": table["label"],
        "Enseignants formés": p.text("teachers", fr_number),
        "dont 1er degré": p.text("teachers_first_degree", fr_number),
        "Durée moy. (h)": p.text("hours", lambda x: fr_number(x, 1)),
        "Élèves entrés": p.text("pupils_entered", fr_number),
        "Élèves suivis": p.text("pupils_followed", fr_number),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Volet recherche (Inria, CeRCA) — {rpt.scope_label}, {rpt.period}")
                  + p.note_html())


def training_note(rpt, domain: str, theme: str) -> str:
    """The method section's note on a GAIA training theme: sessions with no department."""
    sessions = referential.in_scope(training_sessions(rpt.data, domain), rpt.scope)
    no_dept = int(sessions.loc[sessions["period"] == rpt.period, "department"].isna().sum())
    return (f"**Formations** : sessions de la thématique « {theme} » de l'extraction GAIA ; {no_dept} session(s) "
            "sans département cette année comptent dans l'académie et la région, pas dans un département.")


def coverage_notes(rpt) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    from ..formatting import fr_number

    notes = []
    data = rpt.data
    if data.has("formations"):
        notes.append(training_note(rpt, INCLUSIVE_DOMAIN, "Numérique et école inclusive"))
    if data.has("robots") and data.has("robots_affectations"):
        m = robot_month_frame(data)
        notes.append(f"**Robots** : les fichiers ne portent pas de date d'export ; les prêts sans date de fin sont "
                     f"comptés jusqu'à la dernière date qu'ils contiennent ({m.attrs['as_of']:%d/%m/%Y}). Un robot "
                     "déployé est compté dans le degré et le département de l'établissement auquel il est prêté "
                     "(école : 1er degré ; collège, lycée, EREA : 2nd degré, selon l'annuaire), une fois par degré "
                     "et par périmètre ; le parc, le temps en service et les graphiques mois par mois sont ceux du "
                     "département et du degré du parc qui prête le robot.")
        notes.append("**Temps en service** : journées-robots affectées rapportées aux journées-robots au parc, de "
                     "septembre à juin. Les journées d'un même robot ne sont pas indépendantes : l'intervalle à 95 % "
                     "est celui d'un estimateur par ratio dont l'unité est le robot (et non un intervalle de "
                     "Wilson sur les journées, qui serait faussement étroit).")
        if m.attrs.get("unknown_robots"):
            notes.append(f"**Affectations** : {fr_number(m.attrs['unknown_robots'])} ligne(s) du journal nomment un "
                         "robot absent de l'inventaire et sont écartées.")
        mismatch = degree_mismatches(data, rpt.scope, rpt.period)
        loans = referential.in_scope(robot_deployments(data), rpt.scope)
        kept = loans[(loans["period"] == rpt.period) & (loans["degree_from"] == "robot")]
        notes.append(f"**Degré** : {fr_number(mismatch)} prêt(s) commencé(s) dans l'année dans un établissement "
                     "dont le type ne correspond pas au degré du robot (annuaire) ; "
                     f"{fr_number(kept['robot_id'].nunique())} robot(s) prêté(s) cette année à un établissement ni "
                     "école, ni collège, lycée ou EREA (médico-social, absent de l'annuaire) sont comptés dans le "
                     "degré du robot.")
    if data.has("inclusion_recherche_enseignants"):
        notes.append("**Enseignants formés** : inscriptions marquées « formation suivie » dans l'année de la "
                     f"première session ; {fr_number(research_teachers(data).attrs['not_completed'])} inscription(s) "
                     "non suivies jusqu'au bout (toutes années) ne sont pas comptées.")
    notes.append("**Objectifs** : ils sont fixés pour la région ; un rapport d'académie montre sa contribution.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes
