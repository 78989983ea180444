"""Target 3.3 — the Vienne (86) as a *Territoire numérique éducatif* from the 2021 back-to-school.

The roadmap asks for an evaluation of the Vienne against comparable departments, before and
after 2021. Indicators (``params/targets/3.3-tne.yaml``), both difference-in-differences
estimates on an establishment × school-year panel (two-way fixed effects, see
:func:`drane_analysis.stats.diff_in_diff`):

- ``tne_effect_ent_connections``: effect on ENT connections per pupil (connections of every
  profile over the year, ``ent_comptes``, over the pupils enrolled, DEPP files), estimated
  on the log and given as a percent change;
- ``tne_effect_pix_certification``: effect on the 3e Pix certification rate (pupils
  certified over pupils enrolled in 3e, per collège; target 1.1's building blocks), in
  points.

The value for a school year uses every year of data up to it (the effect averaged over the
years since the 2021 back-to-school); years before 2021-2022 have no "after" and no value.
The evaluation is regional by nature (the Vienne against the other departments): every
scope carries the same estimate.

Design choices (written in the report): establishments weighted by their pupils; time
effects specific to each kind of establishment (collège, lycée, EREA follow different
trends). Comparison: the eleven other departments of the region (main estimate) and, as a
check, the :data:`CLOSEST_COUNT` departments closest to the Vienne before 2021 on usage
level, certification, social position (IPS) and rurality.

Inference (:func:`inference`): one treated department among twelve. Shocks common to a
department and a year (a platform's outage, a departmental campaign) move all its
establishments together; errors clustered by establishment ignore them and shrink with
the number of establishments, so their intervals and p-values are far too optimistic. The
inference that fits the design is over the departments: each other department in turn
"treated" (the placebo), the Vienne's estimate ranked among the twelve — the permutation
p-value, never below 1/12 ≈ 0.083, so that the design cannot show an effect at 5 % — and
the Conley–Taber interval from the spread of the placebo estimates. The indicator rows
carry that interval; the establishment-clustered one is shown as a secondary line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import referential
from ..data import Data, department_label
from ..indicators import series_frame
from ..periods import Period
from ..stats import (
    DiffInDiff,
    PlaceboInference,
    diff_in_diff,
    difference_interval,
    mean_table,
    placebo_inference,
    rate_table,
)
from .t1_1_pix import certification_by_establishment

TARGET = "3.3"
#: The evaluation compares the Vienne with the region's other departments whatever the
#: report's scope: ``indicator_table`` never gives it the data of one academy only.
REGION_WIDE = True
TNE_DEPARTMENT = "86"
TNE_FIRST_PERIOD = "2021-2022"
FIRST_YEAR = Period.parse(TNE_FIRST_PERIOD).start
CLOSEST_COUNT = 4
"""Departments kept in the "closest" comparison group."""
SCHOOL_MONTHS_REQUIRED = 10
"""An establishment-year enters the ENT panel when its export covers September to June."""
ENROLMENT_SOURCES = ("effectifs_college", "effectifs_lycee_gt", "effectifs_lycee_pro")
REGIONAL_NOTE = "évaluation régionale : la Vienne contre les départements de comparaison"
SIGNIFICANCE = 0.05
"""The usual threshold: a permutation p-value can only reach it with 20 departments or more."""


@dataclass(frozen=True)
class Outcome:
    key: str
    indicator: str | None
    label: str
    short: str
    unit: str           # unit of the reported effect
    column: str         # panel column the regression uses
    weights: str        # panel column of the weights
    log: bool           # effect estimated on a log, reported as a percent change


OUTCOMES: dict[str, Outcome] = {
    "ent": Outcome("ent", "tne_effect_ent_connections", "Connexions à l'ENT par élève", "connexions par élève",
                   "percent_change", "log_connections_per_pupil", "pupils", True),
    "pix": Outcome("pix", "tne_effect_pix_certification", "Taux de certification Pix en 3e",
                   "taux de certification en 3e", "percent_points", "rate", "eligible", False),
    "pix_participation": Outcome("pix_participation", None, "Taux de participation à la certification Pix en 3e",
                                 "taux de participation en 3e", "percent_points", "participation", "eligible", False),
}


@dataclass(frozen=True)
class Design:
    key: str
    label: str
    comparison: str     # "all" or "closest"
    weighted: bool


DESIGNS: dict[str, Design] = {
    "main": Design("main", "Principale : les 11 autres départements", "all", True),
    "closest": Design("closest", f"Les {CLOSEST_COUNT} départements les plus proches", "closest", True),
    "unweighted": Design("unweighted", "Les 11 autres, sans pondération", "all", False),
}


# --------------------------------------------------------------------------- panels


def _pupils(data: Data) -> pd.DataFrame:
    parts = [data.source(name)[["uai", "period", "pupils"]] for name in ENROLMENT_SOURCES if data.has(name)]
    if not parts:
        return pd.DataFrame(columns=["uai", "period", "pupils"])
    pupils = pd.concat(parts, ignore_index=True)
    return pupils.groupby(["uai", "period"], observed=True)["pupils"].sum().reset_index()


def _attributes(data: Data, frame: pd.DataFrame) -> pd.DataFrame:
    est = data.establishments()[["uai", "kind", "sector", "academy", "department", "territory",
                                 "priority_education"]]
    out = frame.drop(columns=["academy", "department"], errors="ignore").merge(est, on="uai", how="inner")
    out = out[out["department"].isin(list(referential.DEPARTMENTS))].copy()
    out["year"] = out["period"].map(lambda p: Period.parse(p).start).astype(int)
    out["treated"] = out["department"] == TNE_DEPARTMENT
    out["after"] = out["year"] >= FIRST_YEAR
    return out


def ent_panel(data: Data) -> pd.DataFrame:
    return data.memo("t33_ent_panel", lambda: _ent_panel(data), persist=True)


def _ent_panel(data: Data) -> pd.DataFrame:
    """One row per (establishment, school year) on an ENT with enrolled pupils.

    Columns: uai, period, year, connections (every profile, every month and platform),
    school_months (months September–June present), pupils, connections_per_pupil,
    log_connections_per_pupil, kind, sector, academy, department, territory, treated,
    after. Establishment-years whose export misses a school month are left out (counted in
    ``attrs["incomplete"]``).
    """
    ent = data.source("ent_comptes")
    month = ent["month"].dt.month
    school = ent.assign(_school=month.where((month >= 9) | (month <= 6)))
    agg = school.groupby(["uai", "period"], observed=True).agg(
        connections=("connections", "sum"), school_months=("_school", "nunique")).reset_index()
    complete = agg["school_months"] >= SCHOOL_MONTHS_REQUIRED
    incomplete = int((~complete).sum())
    panel = agg[complete].merge(_pupils(data), on=["uai", "period"], how="inner")
    panel = panel[(panel["pupils"] > 0) & (panel["connections"] > 0)]
    panel = _attributes(data, panel)
    panel["connections_per_pupil"] = panel["connections"] / panel["pupils"]
    panel["log_connections_per_pupil"] = np.log(panel["connections_per_pupil"])
    panel = panel.sort_values(["uai", "year"]).reset_index(drop=True)
    panel.attrs["incomplete"] = incomplete
    return panel


def pix_panel(data: Data) -> pd.DataFrame:
    return data.memo("t33_pix_panel", lambda: _pix_panel(data), persist=True)


def _pix_panel(data: Data) -> pd.DataFrame:
    """One row per (collège or EREA, school year) with 3e pupils: eligible, candidates, certified.

    ``rate`` and ``participation`` are in percent of the pupils enrolled in 3e (target 1.1's
    definition: an establishment that held no session counts with 0).
    """
    cert = certification_by_establishment(data)
    cert = cert[(cert["level"] == "3e") & (cert["eligible"] > 0)]
    panel = _attributes(data, cert[["uai", "period", "eligible", "candidates", "certified"]])
    panel["rate"] = panel["certified"] / panel["eligible"] * 100
    panel["participation"] = panel["candidates"] / panel["eligible"] * 100
    return panel.sort_values(["uai", "year"]).reset_index(drop=True)


def panel_of(data: Data, outcome: str) -> pd.DataFrame:
    return ent_panel(data) if outcome == "ent" else pix_panel(data)


def periods(data: Data, outcome: str) -> list[str]:
    panel = panel_of(data, outcome)
    return sorted(panel["period"].unique(), key=lambda p: Period.parse(p).start)


# --------------------------------------------------------------------------- comparison departments


def department_profiles(data: Data) -> pd.DataFrame:
    return data.memo("t33_profiles", lambda: _department_profiles(data))


def _department_profiles(data: Data) -> pd.DataFrame:
    """The twelve departments before 2021: what the comparison group is chosen on.

    Columns: department, label, academy, establishments (collèges and lycées of the ENT
    panel), ent_level (connections per pupil, ratio of sums over the years before 2021),
    pix_level (3e certification rate, %, with its Wilson interval pix_ci_low, pix_ci_high), ips (mean IPS of the panel's establishments),
    rural_share (% of them in a rural commune), distance (to the Vienne, standardised
    Euclidean over the characteristics known for every department with data; 0 for the
    Vienne, NaN for a department without data), rank (1 = closest), closest (in the
    "closest" group).
    """
    ent = ent_panel(data)
    pix = pix_panel(data)
    ent_pre, pix_pre = ent[~ent["after"]], pix[~pix["after"]]
    rows = []
    first_pre = (min(ent_pre["period"], key=lambda p: Period.parse(p).start) if len(ent_pre) else
                 (min(pix_pre["period"], key=lambda p: Period.parse(p).start) if len(pix_pre) else None))
    ips = data.ips_for(first_pre)[["uai", "ips"]] if first_pre and not data.ips().empty else pd.DataFrame(
        columns=["uai", "ips"])
    units = pd.concat([ent_pre[["uai", "department", "territory"]], pix_pre[["uai", "department", "territory"]]])
    units = units.drop_duplicates("uai").merge(ips, on="uai", how="left")
    for code, dept in referential.DEPARTMENTS.items():
        e = ent_pre[ent_pre["department"] == code]
        p = pix_pre[pix_pre["department"] == code]
        u = units[units["department"] == code]
        rows.append({
            "department": code, "label": department_label(code), "academy": dept.academy,
            "establishments": int(u["uai"].nunique()),
            "ent_level": e["connections"].sum() / e["pupils"].sum() if e["pupils"].sum() > 0 else np.nan,
            "pix_level": p["certified"].sum() / p["eligible"].sum() * 100 if p["eligible"].sum() > 0 else np.nan,
            "pix_ci_low": rate_table(p, "certified", "eligible")["ci_low"].iloc[0],
            "pix_ci_high": rate_table(p, "certified", "eligible")["ci_high"].iloc[0],
            "ips": float(pd.to_numeric(u["ips"], errors="coerce").mean()) if u["ips"].notna().any() else np.nan,
            "rural_share": float((u["territory"] == "rural").mean() * 100) if u["territory"].notna().any() else np.nan,
        })
    out = pd.DataFrame(rows)
    features = out[["ent_level", "pix_level", "ips", "rural_share"]].astype(float).copy()
    features["ent_level"] = np.log(features["ent_level"])
    # Departments with data; characteristics known for all of them (and for the Vienne).
    known = out["establishments"] > 0
    features = features[known]
    features = features.loc[:, features.notna().all()]
    sd = features.std(ddof=0).replace(0, np.nan)
    z = ((features - features.mean()) / sd).fillna(0.0)
    vienne = z[out.loc[known, "department"] == TNE_DEPARTMENT]
    out["distance"] = np.nan
    if len(vienne) and z.shape[1]:
        out.loc[known, "distance"] = np.sqrt(((z - vienne.iloc[0]) ** 2).sum(axis=1))
    out.attrs["features"] = list(features.columns)
    others = out[(out["department"] != TNE_DEPARTMENT) & out["distance"].notna()].sort_values(["distance",
                                                                                                "department"])
    rank = {d: k + 1 for k, d in enumerate(others["department"])}
    out["rank"] = out["department"].map(rank)
    out["closest"] = out["rank"] <= CLOSEST_COUNT
    return out


def panel_departments(data: Data, period: str) -> int:
    """Departments of the ENT panel up to ``period``: those the permutation inference ranks."""
    return int(_upto(ent_panel(data), period)["department"].nunique())


def comparison_departments(data: Data, comparison: str = "all") -> list[str]:
    """Department codes of a comparison group: ``all`` other departments or the ``closest``."""
    profiles = department_profiles(data)
    if comparison == "all":
        return [d for d in profiles["department"] if d != TNE_DEPARTMENT]
    if comparison == "closest":
        return list(profiles.loc[profiles["closest"], "department"])
    raise KeyError(f"groupe de comparaison inconnu : {comparison}")


# --------------------------------------------------------------------------- estimates


def _upto(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    return frame[frame["year"] <= Period.parse(period).start]


def estimate(data: Data, outcome: str, period: str, design: str = "main") -> DiffInDiff:
    """The difference in differences of one outcome with the data up to ``period``."""
    key = f"t33_est:{outcome}:{period}:{design}"
    return data.memo(key, lambda: _estimate(data, outcome, period, design))


def _design_panel(data: Data, outcome: str, period: str, design: str) -> pd.DataFrame:
    """The panel rows of a design: the Vienne and its comparison departments, up to ``period``."""
    panel = _upto(panel_of(data, outcome), period)
    keep = [TNE_DEPARTMENT, *comparison_departments(data, DESIGNS[design].comparison)]
    return panel[panel["department"].isin(keep)]


def _estimate(data: Data, outcome: str, period: str, design: str) -> DiffInDiff:
    out, des = OUTCOMES[outcome], DESIGNS[design]
    return diff_in_diff(_design_panel(data, outcome, period, design), out.column, unit="uai", time="year",
                        treated="treated", first_treated=FIRST_YEAR, weights=out.weights if des.weighted else None,
                        time_by="kind")


def inference(data: Data, outcome: str, period: str, design: str = "main",
              event_study: bool = False) -> PlaceboInference:
    """The inference the design allows: placebo over the design's departments.

    Each comparison department in turn is "treated" against the remaining ones (the
    Vienne left out), with the same model (:func:`drane_analysis.stats.placebo_inference`):
    the Vienne's permutation p-value (its rank among the departments, never below 1 / the
    number of departments) and the Conley–Taber interval. ``event_study``: also the year
    by year intervals and the permutation test of the years before 2021.
    """
    key = f"t33_inference:{outcome}:{period}:{design}:{int(event_study)}"
    return data.memo(key, lambda: _inference(data, outcome, period, design, event_study))


def _inference(data: Data, outcome: str, period: str, design: str, event_study: bool) -> PlaceboInference:
    out, des = OUTCOMES[outcome], DESIGNS[design]
    return placebo_inference(_design_panel(data, outcome, period, design), out.column, unit="uai", time="year",
                             group="department", treated_group=TNE_DEPARTMENT, first_treated=FIRST_YEAR,
                             weights=out.weights if des.weighted else None, time_by="kind",
                             event_study=event_study)


def to_effect(outcome: str, x: float | np.ndarray) -> float | np.ndarray:
    """A coefficient in the report's unit: percent change for a log outcome, else as is."""
    if OUTCOMES[outcome].log:
        return 100 * (np.exp(x) - 1)
    return x


def effect(data: Data, outcome: str, period: str, design: str = "main") -> dict:
    """One estimate in the report's unit, with the inference the design allows.

    Keys: outcome, design, estimate; ``ci_low``, ``ci_high``: the 95 % Conley–Taber
    interval (Student law fitted to the placebo estimates of the comparison departments:
    it accounts for shocks common to a department and a year); ``rank_low``,
    ``rank_high``, ``rank_coverage``: the same without assumption on the shocks' law, the
    range of the placebo estimates, of coverage (N − 2) / N with N departments (10/12
    ≈ 83 %); ``p_value``: the permutation p-value (the Vienne's rank among the N
    departments), ``p_floor`` = 1 / N its smallest possible value, ``n_departments`` = N;
    ``cluster_ci_low``, ``cluster_ci_high``, ``cluster_p_value``: the interval and
    p-value clustered by establishment, which ignore the department shocks (too narrow
    with one treated department); n_units, n_treated, n_control (establishments), n_obs,
    n_pre, n_post, identified, note.
    """
    res = estimate(data, outcome, period, design)
    inf = inference(data, outcome, period, design)
    note = res.note
    if not res.identified and Period.parse(period).start < FIRST_YEAR:
        note = f"pas encore d'année après la rentrée 2021 en {period} : l'effet ne peut être estimé"
    elif res.identified and inf.note:
        note = inf.note

    def unit(x: float) -> float:
        return float(to_effect(outcome, x))

    return {
        "outcome": outcome, "design": design, "estimate": unit(res.estimate),
        "ci_low": unit(inf.ci_low), "ci_high": unit(inf.ci_high),
        "rank_low": unit(inf.rank_low), "rank_high": unit(inf.rank_high), "rank_coverage": inf.rank_coverage,
        "p_value": inf.p_value, "p_floor": inf.p_floor, "n_departments": inf.n_groups,
        "cluster_ci_low": unit(res.ci_low), "cluster_ci_high": unit(res.ci_high), "cluster_p_value": res.p_value,
        "n_units": res.n_units, "n_treated": res.n_treated_units,
        "n_control": res.n_units - res.n_treated_units, "n_obs": res.n_obs, "n_pre": res.n_pre_periods,
        "n_post": res.n_post_periods, "identified": res.identified, "note": note,
    }


def _fr(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}".replace(".", ",")


def permutation_text(p: float, n: int) -> str:
    """The permutation p-value in French, with its floor and what the design can show.

    E.g. « p de permutation = 1/12 (0,083), le plus petit possible avec 12 départements :
    le plan ne peut pas montrer un effet significatif au seuil de 5 % ».
    """
    if p is None or not np.isfinite(p) or n < 3:
        return ("pas de p de permutation (moins de deux départements de comparaison avec une estimation "
                "placebo) : le plan ne permet aucun test")
    return f"{p_with_floor(p, n)} : {significance(p, n)}"


def p_with_floor(p: float, n: int) -> str:
    """« p de permutation = 2/12 (0,167) », with the smallest p-value possible with ``n`` departments."""
    rank = round(p * n)
    text = f"p de permutation = {rank}/{n} ({_fr(p, 3)})"
    if rank == 1:
        return text + f", le plus petit possible avec {n} départements"
    return text + f" ; le plus petit possible avec {n} départements est 1/{n} ({_fr(1 / n, 3)})"


def significance(p: float, n: int) -> str:
    """"Significatif" is affirmed only when the permutation p-value is at most 5 % (20 departments or more)."""
    if 1 / n > SIGNIFICANCE:
        return "le plan ne peut pas montrer un effet significatif au seuil de 5 %"
    if p <= SIGNIFICANCE:
        return "effet significatif au seuil de 5 % (test de permutation)"
    return "effet non significatif au seuil de 5 % (test de permutation)"


def inference_note(e: dict) -> str:
    """The ``note`` of an identified indicator row: regional, permutation p-value, which interval."""
    parts = [REGIONAL_NOTE, permutation_text(e["p_value"], e["n_departments"])]
    if np.isfinite(e["ci_low"]):
        parts.append(f"intervalle à 95 % de Conley–Taber (dispersion des effets placebo des "
                     f"{e['n_departments'] - 1} autres départements, loi de Student), pas l'intervalle par "
                     "établissement qui ignore les chocs départementaux")
    else:
        parts.append("pas d'intervalle tenant compte des chocs départementaux")
    return " ; ".join(parts)


def effects_table(data: Data, period: str, outcomes: tuple[str, ...] = tuple(OUTCOMES),
                  designs: tuple[str, ...] = tuple(DESIGNS)) -> pd.DataFrame:
    """Every outcome × design estimate for ``period`` (the robustness table), with labels."""
    rows = []
    for outcome in outcomes:
        if outcome not in OUTCOMES or panel_of(data, outcome).empty:
            continue
        for design in designs:
            row = effect(data, outcome, period, design)
            row["outcome_label"] = OUTCOMES[outcome].label
            row["design_label"] = DESIGNS[design].label
            row["unit"] = OUTCOMES[outcome].unit
            rows.append(row)
    return pd.DataFrame(rows)


def event_study(data: Data, outcome: str, period: str, design: str = "main") -> pd.DataFrame:
    """Year-by-year effects relative to the last year before 2021, in the report's unit.

    Columns: period, year, role (pre / reference / post), estimate; ci_low, ci_high: the
    year's 95 % Conley–Taber interval (from the placebo coefficients of the comparison
    departments for that year); cluster_ci_low, cluster_ci_high: the interval clustered
    by establishment (ignores the department shocks); n_treated, n_control. Empty when
    the estimate is not identified.
    """
    res = estimate(data, outcome, period, design)
    ev = res.event_study.copy()
    if ev.empty:
        return ev.assign(period=pd.Series(dtype="string"), year=pd.Series(dtype=int))
    ev = ev.rename(columns={"ci_low": "cluster_ci_low", "ci_high": "cluster_ci_high"})
    design_based = inference(data, outcome, period, design, event_study=True).event_study
    ev = ev.merge(design_based[["time", "ci_low", "ci_high"]], on="time", how="left")
    ev["year"] = ev["time"].astype(int)
    ev["period"] = ev["year"].map(lambda y: Period(int(y)).label)
    for column in ("estimate", "ci_low", "ci_high", "cluster_ci_low", "cluster_ci_high"):
        ev[column] = to_effect(outcome, ev[column].astype(float))
    return ev[["period", "year", "role", "estimate", "ci_low", "ci_high", "cluster_ci_low", "cluster_ci_high",
               "n_treated", "n_control"]]


def pretrend_check(data: Data, outcome: str, period: str, design: str = "main") -> dict:
    """What the data can say about parallel trends before 2021.

    Returns ``{"pre_periods", "testable", "p_value", "n_departments", "f", "df",
    "cluster_p_value", "verdict"}``. With two years or more before 2021-2022, the
    Vienne's pre-period coefficients (root of the sum of their squares) are ranked among
    the departments' placebo ones: ``p_value`` is that permutation p-value (never below
    1 / ``n_departments``); the joint F test clustered by establishment (``f``, ``df``,
    ``cluster_p_value``) is kept for reference, it ignores the department shocks. With
    one year before, nothing can be tested (``testable`` False). Verdict: the Vienne's
    departures before 2021 the largest of the departments (rank 1) are "douteuses",
    otherwise "dans la norme des départements".
    """
    res = estimate(data, outcome, period, design)
    panel = _upto(panel_of(data, outcome), period)
    pre = int(panel.loc[~panel["after"], "year"].nunique())
    testable = bool(res.identified and res.pretrend_df > 0)
    inf = inference(data, outcome, period, design, event_study=True) if testable else None
    p = inf.pretrend_p if inf is not None else float("nan")
    out = {"pre_periods": pre, "testable": testable, "p_value": p,
           "n_departments": inf.n_groups if inf is not None else 0, "f": res.pretrend_f, "df": res.pretrend_df,
           "cluster_p_value": res.pretrend_p}
    if not testable:
        out["verdict"] = "non testable"
    elif not np.isfinite(p):
        out["verdict"] = "non testable par permutation (trop peu de départements)"
    elif round(p * out["n_departments"]) <= 1:
        out["verdict"] = "tendances parallèles douteuses : écarts avant 2021 les plus forts des départements"
    else:
        out["verdict"] = "écarts avant 2021 dans la norme des départements"
    return out


def placebo(data: Data, outcome: str, period: str) -> pd.DataFrame:
    """Placebo in space: each other department treated as if it were the TNE in 2021.

    Each of the eleven other departments is compared with the ten others (the Vienne left
    out), with the main design; the Vienne's own estimate is added (:func:`inference`).
    Columns: department, label, estimate, ci_low, ci_high (each fit's own interval,
    clustered by establishment), is_tne, sorted by estimate. ``attrs``: ``p_value``, the
    permutation p-value (share of the departments, the Vienne included, whose effect is
    at least as large in absolute value as the Vienne's; NaN if not identified or with
    fewer than two placebo departments), ``n`` the departments ranked, ``p_floor`` = 1 / n.
    """
    inf = inference(data, outcome, period)
    table = inf.placebo.rename(columns={"group": "department"}).drop(columns="identified")
    table.insert(1, "label", [department_label(d) for d in table["department"]])
    table["is_tne"] = False
    main = inf.fit
    vienne = pd.DataFrame([{"department": TNE_DEPARTMENT, "label": department_label(TNE_DEPARTMENT),
                            "estimate": main.estimate, "ci_low": main.ci_low, "ci_high": main.ci_high,
                            "is_tne": True}])
    table = pd.concat([table, vienne], ignore_index=True)
    for column in ("estimate", "ci_low", "ci_high"):
        table[column] = to_effect(outcome, table[column].astype(float))
    table = table.sort_values("estimate").reset_index(drop=True)
    table.attrs.update(p_value=inf.p_value, n=inf.n_groups, p_floor=inf.p_floor)
    return table


# --------------------------------------------------------------------------- descriptive


def group_trends(data: Data, outcome: str, period: str, design: str = "main") -> pd.DataFrame:
    """Level per school year of the Vienne and of its comparison group, with intervals.

    ENT: mean over establishments of the connections per pupil (Student interval); Pix:
    pupils' certification (or participation) rate (Wilson interval). Columns: group
    (``tne`` / ``comparison``), label, period, year, value, ci_low, ci_high, n; plus
    ``counterfactual`` on the Vienne's rows after 2021: its level before 2021 moved as the
    comparison group moved (in ratio for the ENT, in points for Pix).
    """
    panel = _upto(panel_of(data, outcome), period)
    keep = [TNE_DEPARTMENT, *comparison_departments(data, DESIGNS[design].comparison)]
    panel = panel[panel["department"].isin(keep)].assign(group=lambda f: np.where(f["treated"], "tne", "comparison"))
    if panel.empty:
        return pd.DataFrame(columns=["group", "label", "period", "year", "value", "ci_low", "ci_high", "n",
                                     "counterfactual"])
    if outcome == "ent":
        table = mean_table(panel, "connections_per_pupil", by=["group", "period", "year"])
    else:
        num = "certified" if outcome == "pix" else "candidates"
        table = rate_table(panel, num, "eligible", by=["group", "period", "year"]).rename(columns={"denominator": "n"})
    table["label"] = table["group"].map({"tne": department_label(TNE_DEPARTMENT), "comparison": "Départements de comparaison"})
    table = table.sort_values(["group", "year"]).reset_index(drop=True)
    table["counterfactual"] = np.nan
    tne, comp = table[table["group"] == "tne"].set_index("year"), table[table["group"] == "comparison"].set_index("year")
    pre_years = [y for y in tne.index if y < FIRST_YEAR and y in comp.index]
    if pre_years:
        base = max(pre_years)
        for year in tne.index:
            if year >= FIRST_YEAR and year in comp.index:
                if outcome == "ent":
                    cf = tne.loc[base, "value"] * comp.loc[year, "value"] / comp.loc[base, "value"]
                else:
                    cf = tne.loc[base, "value"] + comp.loc[year, "value"] - comp.loc[base, "value"]
                table.loc[(table["group"] == "tne") & (table["year"] == year), "counterfactual"] = cf
    table.attrs["unit"] = "connexions par élève" if outcome == "ent" else "%"
    return table[["group", "label", "period", "year", "value", "ci_low", "ci_high", "n", "counterfactual"]]


def scope_context(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The scope's own departments (and the Vienne), before 2021 and in ``period``.

    Columns: department, label, in_scope, ent_before, ent_now, ent_change (%),
    pix_before, pix_now, pix_change (points), and ``pix_*_low`` / ``pix_*_high`` (Wilson
    intervals of the rates, Newcombe interval of their difference). "Before" is the last
    year before 2021-2022 in the data; values are ratios of sums (connections per pupil,
    two exhaustive counts; pupils certified over pupils enrolled in 3e, %).
    """
    ent, pix = ent_panel(data), pix_panel(data)
    now = Period.parse(period).start
    depts = referential.departments_of(scope)
    if TNE_DEPARTMENT not in depts:
        depts = [*depts, TNE_DEPARTMENT]

    def level(frame: pd.DataFrame, num: str, den: str, year: int | None, scale: float) -> float:
        if year is None:
            return np.nan
        part = frame[frame["year"] == year]
        return part[num].sum() / part[den].sum() * scale if part[den].sum() > 0 else np.nan

    def rate(frame: pd.DataFrame, year: int | None) -> tuple[float, float, float]:
        part = frame[frame["year"] == year] if year is not None else frame.head(0)
        t = rate_table(part, "certified", "eligible").iloc[0]
        return float(t["value"]), float(t["ci_low"]), float(t["ci_high"])

    def before_year(frame: pd.DataFrame) -> int | None:
        years = frame.loc[frame["year"] < FIRST_YEAR, "year"]
        return int(years.max()) if len(years) else None

    rows = []
    groups = [(d, department_label(d), [d]) for d in depts]
    groups.append(("scope", f"Ensemble — {referential.SCOPE_LABELS[scope]}", referential.departments_of(scope)))
    for code, label, codes in groups:
        e, p = ent[ent["department"].isin(codes)], pix[pix["department"].isin(codes)]
        eb, pb = before_year(e), before_year(p)
        row = {"department": code, "label": label,
               "in_scope": code == "scope" or code in referential.departments_of(scope),
               "ent_before": level(e, "connections", "pupils", eb, 1.0),
               "ent_now": level(e, "connections", "pupils", now, 1.0),
               }
        row["ent_change"] = (row["ent_now"] / row["ent_before"] - 1) * 100 if row["ent_before"] else np.nan
        before, current = rate(p, pb), rate(p, now)
        row.update(pix_before=before[0], pix_before_low=before[1], pix_before_high=before[2],
                   pix_now=current[0], pix_now_low=current[1], pix_now_high=current[2])
        change = difference_interval(*current, *before) if pb is not None and now > pb else (np.nan,) * 3
        if eb is None or now <= eb:
            row["ent_change"] = np.nan
        row.update(pix_change=change[0], pix_change_low=change[1], pix_change_high=change[2])
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Both 3.3 indicators for every school year with data (same regional value for every scope).

    ``ci_low``, ``ci_high``: the Conley–Taber interval (:func:`effect`); ``note``: the
    permutation p-value with its floor and the interval's method (:func:`inference_note`).

    Kept on disk (``persist``): the estimates read the whole region's person-level files
    whatever the scope asked, so that one academy's indicators are not held up by them
    once computed.
    """
    return data.memo("t33_series", lambda: _compute(data), persist=True).copy()


def _compute(data: Data) -> pd.DataFrame:
    rows: list[dict] = []
    for key, out in OUTCOMES.items():
        if out.indicator is None:
            continue
        if not has_sources(data, key):
            continue
        for period in periods(data, key):
            e = effect(data, key, period)
            note = inference_note(e) if e["identified"] else e["note"]
            for scope in referential.SCOPES:
                rows.append({"target": TARGET, "indicator": out.indicator, "academy": scope, "period": period,
                             "value": e["estimate"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                             "denominator": float(e["n_units"]) if e["identified"] else np.nan, "note": note})
    return series_frame(rows)


def has_sources(data: Data, outcome: str) -> bool:
    """Whether the data hold the sources one outcome (``ent``, ``pix``) is estimated from."""
    if outcome == "ent":
        return data.has("ent_comptes") and any(data.has(n) for n in ENROLMENT_SOURCES)
    return data.has("pix_certification") and data.has("effectifs_college")
