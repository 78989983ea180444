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
SHARE_BINS = np.arange(0, 105, 5)  # bands of a robot's share of days in service (%)


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


# --------------------------------------------------------------------------- what the report shows


def robot_fleet_size(data: Data, scope: str, period: str, degree: str) -> int:
    """Robots of a degree in the fleet during the school year."""
    years = referential.in_scope(robot_year(data), scope)
    return int(((years["period"] == period) & (years["degree"] == degree)).sum())


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


def robot_share_bins(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Robots by band of their share of days in service (:data:`SHARE_BINS`) and degree.

    Columns: low, high (the band's bounds, %), ``first``, ``second`` (robots).
    """
    shares = robot_share_distribution(data, scope, period)
    out = pd.DataFrame({"low": SHARE_BINS[:-1], "high": SHARE_BINS[1:]})
    for degree in ("first", "second"):
        s = shares.loc[shares["degree"] == degree, "share"].dropna() if not shares.empty else []
        out[degree] = np.histogram(s, bins=SHARE_BINS)[0]
    return out


def protected_assignments(data: Data, scope: str, period: str) -> Protected:
    """:func:`assignment_summary` protected with the same table of every scope.

    Pupils by reason of absence (health data on minors): small counts, the counts that
    would give them back from the totals or from the other scopes' tables, and the medians
    of few pupils are secret.
    """
    def table_of(s: str) -> pd.DataFrame:
        t = assignment_summary(data, s, period)
        return t.assign(is_total=t["reason"] == "all")

    return protect_scopes(data, f"2.1:assignments:{period}", table_of, scope, ["loans", "pupils"],
                          by="reason", totals="is_total", rates={"median_days": (None, "pupils")})


def protected_research(data: Data, scope: str, period: str) -> Protected:
    """:func:`research_table` protected with the same table of every scope.

    Teachers and pupils (with disabilities) by laboratory: small counts are secret, jointly
    with the other scopes' tables; ``teachers_second_degree`` is added (teachers less those
    of the first degree).
    """
    def table_of(s: str) -> pd.DataFrame:
        t = research_table(data, s, period)
        return t.assign(teachers_second_degree=t["teachers"] - t["teachers_first_degree"],
                        is_total=t["laboratory"] == "all")

    return protect_scopes(data, f"2.1:research:{period}", table_of, scope,
                          ["teachers", "teachers_first_degree", "teachers_second_degree", "pupils_entered",
                           "pupils_followed"], by="laboratory", totals="is_total", rates={"hours": (None, "teachers")},
                          sums=[("teachers", ["teachers_first_degree", "teachers_second_degree"])])


def robot_figures(data: Data, scope: str, period: str) -> dict:
    """The robots' figures the report's caveats give, for a scope and school year.

    ``as_of``: the last date of the files (loans without an end run to it);
    ``unknown_robots``: rows of the assignment log naming a robot absent from the inventory;
    ``mismatches``: :func:`degree_mismatches`; ``robot_degree``: robots lent in the year to an
    establishment that is neither école, collège, lycée nor EREA (counted in the robot's
    own degree).
    """
    m = robot_month_frame(data)
    loans = referential.in_scope(robot_deployments(data), scope)
    kept = loans[(loans["period"] == period) & (loans["degree_from"] == "robot")]
    return {"as_of": m.attrs["as_of"], "unknown_robots": m.attrs.get("unknown_robots"),
            "mismatches": degree_mismatches(data, scope, period), "robot_degree": kept["robot_id"].nunique()}


def sessions_without_department(data: Data, domain: str, scope: str, period: str) -> int:
    """The GAIA sessions of a training theme with no department, in ``scope`` and ``period``:
    they count in the academy and the region, not in any department."""
    sessions = referential.in_scope(training_sessions(data, domain), scope)
    return int(sessions.loc[sessions["period"] == period, "department"].isna().sum())
