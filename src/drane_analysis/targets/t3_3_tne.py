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
    mean_table,
    placebo_inference,
    rate_table,
)
from .t1_1_pix import certification_by_establishment
from .t3_2_relais import difference_interval

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
    return f"{_p_with_floor(p, n)} : {_significance(p, n)}"


def _p_with_floor(p: float, n: int) -> str:
    rank = round(p * n)
    text = f"p de permutation = {rank}/{n} ({_fr(p, 3)})"
    if rank == 1:
        return text + f", le plus petit possible avec {n} départements"
    return text + f" ; le plus petit possible avec {n} départements est 1/{n} ({_fr(1 / n, 3)})"


def _significance(p: float, n: int) -> str:
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
        if not _has_sources(data, key):
            continue
        for period in periods(data, key):
            e = effect(data, key, period)
            note = inference_note(e) if e["identified"] else e["note"]
            for scope in referential.SCOPES:
                rows.append({"target": TARGET, "indicator": out.indicator, "academy": scope, "period": period,
                             "value": e["estimate"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                             "denominator": float(e["n_units"]) if e["identified"] else np.nan, "note": note})
    return series_frame(rows)


def _has_sources(data: Data, outcome: str) -> bool:
    if outcome == "ent":
        return data.has("ent_comptes") and any(data.has(n) for n in ENROLMENT_SOURCES)
    return data.has("pix_certification") and data.has("effectifs_college")


# --------------------------------------------------------------------------- report blocks


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_value

    lines = []
    if rpt.scope != referential.REGION_SCOPE:
        lines.append(f"- *L'évaluation est régionale par nature : elle compare la Vienne aux autres départements de "
                     f"la région, quel que soit le périmètre du rapport ; la situation propre du périmètre "
                     f"({referential.SCOPE_LABELS[rpt.scope]}) est donnée en section 4.*")
    if Period.parse(rpt.period).start < FIRST_YEAR:
        lines.append(f"- **{rpt.period} est l'année d'avant le TNE** : il n'y a pas encore d'« après » (la Vienne "
                     "devient territoire numérique éducatif à la rentrée 2021), donc aucun effet ne peut être "
                     "estimé. Ce rapport décrit la situation de départ qui servira de référence.")
        return "\n".join(lines)
    for key in ("ent", "pix"):
        out = OUTCOMES[key]
        if not _has_sources(rpt.data, key):
            continue
        e = effect(rpt.data, key, rpt.period)
        if not e["identified"]:
            lines.append(f"- {out.label} : effet non estimable ({e['note']}).")
            continue
        lines.append(f"- {out.label} : depuis la rentrée 2021, la Vienne a évolué de "
                     f"**{fmt_value(e['estimate'], out.unit)}** de plus que les départements de comparaison "
                     f"({e['n_treated']} établissements de la Vienne, {e['n_control']} de comparaison). "
                     + inference_sentence(e, out.unit))
    check = pretrend_check(rpt.data, "ent", rpt.period)
    if not check["testable"]:
        lines.append(f"- Les données ne comptent {_years_before(check['pre_periods'])} avant 2021 : l'hypothèse de "
                     "tendances parallèles, sur laquelle repose l'estimation, **ne peut pas être testée** "
                     "(voir section 3).")
    return "\n".join(lines)


def inference_sentence(e: dict, unit: str) -> str:
    """French Markdown: what the design can say about one estimate (rank, p-value, interval)."""
    from ..formatting import fmt_value

    n, p = e["n_departments"], e["p_value"]
    if not np.isfinite(p) or n < 3:
        return f"Aucune inférence possible sur les départements : {permutation_text(p, n)}."
    rank = round(p * n)
    verdict = _significance(p, n)
    if rank == 1 and 1 / n > SIGNIFICANCE:
        text = (f"Des {n} départements, la Vienne a l'écart le plus fort : {_p_with_floor(p, n)}. C'est le signal "
                f"le plus net que ce plan puisse donner, mais avec un seul département traité, **{verdict}**.")
    elif rank == 1:
        text = f"Des {n} départements, la Vienne a l'écart le plus fort : {_p_with_floor(p, n)} ; **{verdict}**."
    else:
        text = (f"Des {n} départements, la Vienne n'a que le {rank}e écart le plus fort : {_p_with_floor(p, n)}. "
                f"Son écart **ne se distingue pas** de ceux de départements sans TNE ({verdict}).")
    if not np.isfinite(e["ci_low"]):
        return text
    interval = f"[{fmt_value(e['ci_low'], unit, False)} ; {fmt_value(e['ci_high'], unit, False)}]"
    if e["ci_low"] > 0 or e["ci_high"] < 0:
        reading = (f"il exclut 0 si ces chocs suivent une loi normale, ce que {n - 1} départements de comparaison "
                   "ne permettent pas de vérifier")
    else:
        reading = "il contient 0"
    return (f"{text} Intervalle à 95 % tenant compte des chocs propres à un département et à une année "
            f"(Conley–Taber) : {interval} ; {reading}.")


def show_effects(rpt) -> None:
    """Table: every estimate (outcome × design) for the report's year, with its interval."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, display_markdown, html_table

    table = effects_table(rpt.data, rpt.period)
    if table.empty or not table["identified"].any():
        note = table["note"].iloc[0] if len(table) else "données absentes"
        display_markdown(f"*Aucune estimation possible pour {rpt.period} : {note}.*")
        return
    short = {"ent": "Connexions ENT par élève", "pix": "Certification Pix 3e", "pix_participation":
             "Participation Pix 3e"}
    ct, perm, cluster = "Intervalle à 95 %", "p de permutation", "Par établissement*"
    out = pd.DataFrame({
        "Indicateur": table["outcome"].map(short),
        "Comparaison": table["design_label"],
        "Effet estimé": [fmt_value(v, u) if ok else "—" for v, u, ok in
                         zip(table["estimate"], table["unit"], table["identified"], strict=True)],
        ct: [fmt_interval(lo, hi, u) for lo, hi, u in zip(table["ci_low"], table["ci_high"], table["unit"],
                                                           strict=True)],
        perm: [_permutation_cell(p, n) for p, n in zip(table["p_value"], table["n_departments"], strict=True)],
        cluster: [fmt_interval(lo, hi, u) for lo, hi, u in
                  zip(table["cluster_ci_low"], table["cluster_ci_high"], table["unit"], strict=True)],
        "Établ. Vienne / comp.": [f"{fr_number(a)} / {fr_number(b)}" for a, b in
                                  zip(table["n_treated"], table["n_control"], strict=True)],
    })
    years = {(a, b) for a, b, ok in zip(table["n_pre"], table["n_post"], table["identified"], strict=True) if ok}
    span = "; ".join(f"{_years_label(a)} avant 2021, {_years_label(b)} après" for a, b in sorted(years))
    display_html(html_table(out, align_right=["Effet estimé", ct, perm, cluster, "Établ. Vienne / comp."],
                             caption=f"Effet estimé du TNE (différence de différences), données jusqu'à {rpt.period} "
                                     f"({span}) : intervalle de Conley–Taber (chocs départementaux), p de permutation "
                                     "(plus petit possible entre parenthèses) ; * intervalle par établissement, pour "
                                     "mémoire : il ignore les chocs départementaux (trop étroit)"))


def _years_label(n: int) -> str:
    return f"{n} année" if n == 1 else f"{n} années"


def _permutation_cell(p: float, n: int) -> str:
    if p is None or not np.isfinite(p):
        return "—"
    return f"{round(p * n)}/{n} = {_fr(p, 3)} (min. 1/{n})"


def show_profiles(rpt) -> None:
    """Table: the departments before 2021 and their distance to the Vienne."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

    prof = department_profiles(rpt.data).sort_values(["distance", "label"])
    out = pd.DataFrame({
        "Département": prof["label"],
        "Établ.": [fr_number(x) for x in prof["establishments"]],
        "Connexions ENT / élève": [fr_number(x, 1) for x in prof["ent_level"]],
        "Pix 3e [IC 95 %]": [f"{fmt_value(x, 'percent')} {fmt_interval(a, b, 'percent')}" for x, a, b in
                             zip(prof["pix_level"], prof["pix_ci_low"], prof["pix_ci_high"], strict=True)],
        "IPS": [fr_number(x, 1) for x in prof["ips"]],
        "Rural": [fmt_value(x, "percent") for x in prof["rural_share"]],
        "Distance": [fr_number(x, 2) for x in prof["distance"]],
        "Proche": ["traitée" if d == TNE_DEPARTMENT else ("oui" if c else "non")
                   for d, c in zip(prof["department"], prof["closest"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:7]),
                             caption="Les départements avant la rentrée 2021 (années antérieures) : établissements "
                                     "du panel, connexions à l'ENT par élève, certification Pix en 3e, IPS moyen, "
                                     "part d'établissements ruraux, distance standardisée à la Vienne"))


def before_after_chart(rpt, outcome: str) -> None:
    """Lines: the Vienne and its comparison group by year, with the counterfactual after 2021."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, GREY, PALETTE, fmt_value, fr_number
    from ..render import show_figure

    table = group_trends(rpt.data, outcome, rpt.period)
    if table.empty:
        return
    out = OUTCOMES[outcome]
    unit = "percent" if outcome != "ent" else None
    fmt = (lambda v: fmt_value(v, "percent")) if unit else (lambda v: fr_number(v, 1))
    fig, ax = plt.subplots()
    alt = []
    for group, colour in (("comparison", PALETTE[1]), ("tne", BLUE)):
        part = table[table["group"] == group]
        if part.empty:
            continue
        ax.plot(part["year"], part["value"], marker="o", color=colour, label=part["label"].iloc[0])
        ax.fill_between(part["year"], part["ci_low"].astype(float), part["ci_high"].astype(float), color=colour,
                        alpha=0.15, lw=0)
        err = np.clip(np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]]).astype(float),
                      0, None)
        ax.errorbar(part["year"], part["value"], yerr=err, fmt="none", ecolor=colour, capsize=3, lw=1)
        alt.append(f"{part['label'].iloc[0]} : " + ", ".join(f"{p} {fmt(v)}" for p, v in
                                                             zip(part["period"], part["value"], strict=True)))
    cf = table[(table["group"] == "tne") & table["counterfactual"].notna()]
    if len(cf):
        base = table[(table["group"] == "tne") & (table["year"] < FIRST_YEAR)].tail(1)
        ax.plot([*base["year"], *cf["year"]], [*base["value"], *cf["counterfactual"]], ls="--", color=GREY,
                label="Vienne sans TNE (évolution des départements de comparaison)")
        alt.append("Vienne sans TNE : " + ", ".join(fmt(v) for v in cf["counterfactual"]))
    ax.axvline(FIRST_YEAR - 0.5, color="#161616", lw=1, ls=":")
    years = sorted(table["year"].unique())
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_xlim(min(years[0], FIRST_YEAR - 1) - 0.4, max(years[-1], FIRST_YEAR) + 0.4)
    ax.set_ylabel("connexions par élève et par an" if outcome == "ent" else "% des élèves de 3e")
    ax.set_title(f"{out.label} : Vienne et départements de comparaison", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    data = pd.DataFrame({"Groupe": table["label"], "Année scolaire": table["period"], "Valeur": table["value"],
                         "Borne basse IC 95 %": table["ci_low"], "Borne haute IC 95 %": table["ci_high"],
                         "Vienne sans TNE (contrefactuel)": table["counterfactual"]})
    show_figure(fig, f"{out.label} par année scolaire (pointillé vertical : rentrée 2021). " + " ; ".join(alt),
                data=data, name=f"Vienne et comparaison {outcome}")


def event_study_chart(rpt, outcome: str) -> None:
    """Points with intervals: the effect year by year, relative to the last year before 2021."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, GREY, RED, fmt_value
    from ..render import display_markdown, show_figure

    ev = event_study(rpt.data, outcome, rpt.period)
    out = OUTCOMES[outcome]
    if ev.empty:
        display_markdown(f"*{out.label} : pas d'étude d'événement possible ({rpt.period} n'a pas d'« après »).*")
        return
    e = effect(rpt.data, outcome, rpt.period)
    fig, ax = plt.subplots()
    ok = ev[ev["role"] != "reference"].dropna(subset=["estimate"])
    ref = ev[ev["role"] == "reference"]
    err = np.vstack([ok["estimate"] - ok["ci_low"], ok["ci_high"] - ok["estimate"]]).astype(float)
    colours = [RED if r == "pre" else BLUE for r in ok["role"]]
    if np.isfinite(err).all():
        ax.errorbar(ok["year"], ok["estimate"], yerr=err, fmt="none", ecolor="#161616", capsize=4, lw=1)
    ax.scatter(ok["year"], ok["estimate"], color=colours, zorder=3)
    ax.scatter(ref["year"], ref["estimate"], color=GREY, marker="D", zorder=3, label="année de référence")
    ax.axhline(0, color="#161616", lw=0.8)
    ax.axvline(FIRST_YEAR - 0.5, color="#161616", lw=1, ls=":")
    if np.isfinite(e["ci_low"]):
        ax.axhspan(e["ci_low"], e["ci_high"], color=BLUE, alpha=0.08, lw=0)
    ax.axhline(e["estimate"], color=BLUE, ls="--", lw=1, label=f"effet moyen : {fmt_value(e['estimate'], out.unit)}")
    years = sorted(ev["year"].unique())
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_xlim(years[0] - 0.4, years[-1] + 0.4)
    ax.set_ylabel("% d'écart" if out.log else "points d'écart")
    ax.set_title(f"{out.label} : écart Vienne − comparaison, année par année", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    alt = "; ".join(f"{p} : {fmt_value(v, out.unit)} [{fmt_value(lo, out.unit, False)} ; "
                    f"{fmt_value(hi, out.unit, False)}]" for p, v, lo, hi in
                    zip(ok["period"], ok["estimate"], ok["ci_low"], ok["ci_high"], strict=True))
    data = pd.DataFrame({"Année scolaire": ev["period"], "Rôle": ev["role"], "Écart Vienne − comparaison": ev["estimate"],
                         "Borne basse IC 95 %": ev["ci_low"], "Borne haute IC 95 %": ev["ci_high"]})
    show_figure(fig, f"Étude d'événement, {out.label}, écart à l'année de référence {ref['period'].iloc[0]} "
                     f"(0 par construction), intervalles à 95 % tenant compte des chocs départementaux "
                     f"(Conley–Taber, effets placebo de l'année). {alt}", data=data, name=f"etude d'evenement {outcome}")


def pretrend_text(rpt) -> str:
    """What can and cannot be checked about parallel trends, with the figures."""
    from ..formatting import fr_number

    lines = []
    for key in ("ent", "pix"):
        if not _has_sources(rpt.data, key):
            continue
        check = pretrend_check(rpt.data, key, rpt.period)
        label = OUTCOMES[key].label
        if check["testable"]:
            n, p = check["n_departments"], check["p_value"]
            rank = f"se classent {round(p * n)}e sur {n} départements (p de permutation = {_p(p)}, le plus petit " \
                   f"possible : {fr_number(1 / n, 3)})" if np.isfinite(p) else "ne peuvent pas être classés"
            lines.append(f"- {label} : {check['pre_periods']} années avant 2021 ; les écarts de la Vienne avant 2021 "
                         f"{rank} — {check['verdict']}. Pour mémoire, le test F par établissement (F = "
                         f"{fr_number(check['f'], 2)}, {check['df']} contrainte(s), p = {_p(check['cluster_p_value'])}) "
                         "ignore les chocs départementaux et rejette trop souvent.")
        else:
            lines.append(f"- {label} : les données ne comptent {_years_before(check['pre_periods'])} avant 2021 ; aucun écart "
                         "d'évolution avant le TNE ne peut être mesuré, l'hypothèse de tendances parallèles n'est "
                         "donc **pas testable**.")
    lines.append("- Ce qui peut être vérifié : les niveaux de départ (tableau des départements, section 2), la "
                 "stabilité des écarts d'une année à l'autre après 2021 (graphique année par année), la "
                 "robustesse au choix des départements de comparaison, et un placebo : le même calcul appliqué à "
                 "chacun des autres départements comme s'il était devenu TNE en 2021.")
    lines.append("- Ce qui ne peut pas l'être : qu'en l'absence de TNE la Vienne aurait suivi la même évolution que "
                 "les autres départements ; un autre changement propre à la Vienne en 2021 serait confondu avec "
                 "l'effet du TNE.")
    return "\n".join(lines)


def show_placebo(rpt, outcome: str) -> None:
    """Chart: placebo estimates of the other departments against the Vienne's."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, BLUE_LIGHT, fmt_value
    from ..render import display_markdown, show_figure

    out = OUTCOMES[outcome]
    if Period.parse(rpt.period).start < FIRST_YEAR:
        display_markdown(f"*{out.label} : pas de placebo possible ({rpt.period} n'a pas d'« après »).*")
        return
    table = placebo(rpt.data, outcome, rpt.period).dropna(subset=["estimate"])
    if table.empty:
        return
    fig, ax = plt.subplots(figsize=(8.5, max(2.4, 0.36 * len(table) + 1.2)))
    y = np.arange(len(table))
    colours = [BLUE if t else BLUE_LIGHT for t in table["is_tne"]]
    ax.barh(y, table["estimate"], color=colours, edgecolor=BLUE)
    ax.set_yticks(y, table["label"])
    ax.axvline(0, color="#161616", lw=0.8)
    ax.set_xlabel("% d'écart" if out.log else "points d'écart")
    ax.set_title(f"{out.label} : placebo (chaque département « traité » en 2021)", loc="left")
    data = pd.DataFrame({"Département": table["label"], "Effet estimé": table["estimate"],
                         "Borne basse IC 95 %": table["ci_low"], "Borne haute IC 95 %": table["ci_high"],
                         "Département TNE": table["is_tne"].map({True: "oui", False: "non"})})
    show_figure(fig, f"Placebo, {out.label} (la dispersion des départements sans TNE est l'incertitude qui compte) : "
                + "; ".join(f"{lab} {fmt_value(v, out.unit)}"
                            for lab, v in zip(table["label"], table["estimate"], strict=True)),
                data=data, name=f"placebo {outcome}")
    p, n = table.attrs.get("p_value", np.nan), table.attrs.get("n", len(table))
    if np.isfinite(p):
        rank = round(p * n)
        where = ("a l'écart le plus fort en valeur absolue" if rank == 1 else
                 f"n'a que le {rank}e écart le plus fort en valeur absolue")
        verdict = ("aucun département sans TNE n'a connu un écart aussi fort" if rank == 1 else
                   f"{rank - 1} département(s) sans TNE ont connu un écart au moins aussi fort")
        display_markdown(f"Des {n} départements, la Vienne {where} : {verdict} ; {permutation_text(p, n)}.")


def effect_trend(rpt) -> None:
    """The estimates year after year (``rpt.trend``), or a sentence when there is none yet."""
    from ..render import display_markdown

    titles = {"tne_effect_ent_connections": "Effet estimé sur les connexions à l'ENT par élève",
              "tne_effect_pix_certification": "Effet estimé sur la certification Pix en 3e"}
    for indicator, title in titles.items():
        h = rpt.history(indicator)
        h = h[(h["year"] <= Period.parse(rpt.period).start) & h["value"].notna()]
        if h.empty:
            display_markdown(f"*{title} : aucune estimation jusqu'en {rpt.period} (pas encore d'année après la "
                              "rentrée 2021).*")
            continue
        rpt.trend([indicator], title=title)


def show_scope_context(rpt) -> None:
    """Table: the scope's departments (and the Vienne) before 2021 and in the report's year."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

    ctx = scope_context(rpt.data, rpt.scope, rpt.period)

    def with_ci(prefix: str, unit: str) -> list[str]:
        return [f"{fmt_value(v, unit)} {fmt_interval(a, b, unit)}" if pd.notna(v) else "—" for v, a, b in
                zip(ctx[prefix], ctx[f"{prefix}_low"], ctx[f"{prefix}_high"], strict=True)]

    out = pd.DataFrame({
        "Département": [f"{lab}{'' if ins else ' (hors périmètre)'}"
                        for lab, ins in zip(ctx["label"], ctx["in_scope"], strict=True)],
        "ENT avant 2021": [fr_number(x, 1) for x in ctx["ent_before"]],
        f"ENT {rpt.period}": [fr_number(x, 1) for x in ctx["ent_now"]],
        "Évolution ENT": [fmt_value(x, "percent_change") for x in ctx["ent_change"]],
        "Pix 3e avant 2021": with_ci("pix_before", "percent"),
        f"Pix 3e {rpt.period}": with_ci("pix_now", "percent"),
        "Évolution Pix 3e": with_ci("pix_change", "percent_points"),
    })
    if Period.parse(rpt.period).start < FIRST_YEAR:
        # The report's year is the year before: nothing to compare it with yet.
        out = out[["Département", "ENT avant 2021", "Pix 3e avant 2021"]].rename(
            columns={"ENT avant 2021": f"ENT {rpt.period}", "Pix 3e avant 2021": f"Pix 3e {rpt.period}"})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"{referential.SCOPE_LABELS[rpt.scope]} : connexions à l'ENT par élève "
                                     f"(comptages exhaustifs) et certification Pix en 3e (intervalle à 95 %), "
                                     f"avant 2021 et en {rpt.period}"))


def coverage_notes(rpt) -> list[str]:
    """Method and caveats, with their figures."""
    from ..formatting import fr_number

    ent = ent_panel(rpt.data)
    prof = department_profiles(rpt.data)
    closest = ", ".join(prof.loc[prof["closest"], "label"].sort_values())
    features = {"ent_level": "connexions par élève", "pix_level": "certification Pix en 3e", "ips": "IPS moyen",
                "rural_share": "part d'établissements ruraux"}
    used = ", ".join(features[f] for f in prof.attrs.get("features", []))
    n = max(int(_upto(ent, rpt.period)["department"].nunique()), 3)
    floor_reading = (" : ce plan ne peut pas montrer un effet significatif au seuil de 5 %, quel que soit l'effet"
                     if 1 / n > SIGNIFICANCE else "")
    notes = [
        "**Modèle** : différence de différences sur un panel établissement × année scolaire, par moindres carrés "
        "avec effets fixes d'établissement et effets d'année propres à chaque type d'établissement (collège, lycée, "
        "EREA).",
        "**Inférence** : un seul département est traité. Les chocs communs à un département une année donnée "
        "(panne ou changement de plateforme ENT, campagne départementale de certification) touchent tous ses "
        "établissements à la fois : les écarts types regroupés par établissement les ignorent et donnent des "
        "intervalles bien trop étroits (ils restent dans le tableau de la section 1, pour mémoire). L'inférence "
        "qui convient se fait sur les départements : chaque autre département est à son tour « traité » en 2021 "
        "contre les autres, la Vienne étant retirée (placebo). La p-valeur de permutation est le rang de la Vienne "
        f"parmi les départements ; elle ne peut pas descendre sous 1/{n} ≈ {fr_number(1 / n, 3)} avec {n} "
        f"départements{floor_reading}. L'intervalle à 95 % est celui de Conley et Taber (2011) : l'estimation "
        f"moins la dispersion des effets placebo, avec une loi de Student à {n - 2} degrés de liberté, ce qui "
        "suppose des chocs départementaux de loi normale et de même ampleur partout ; sans cette hypothèse, "
        "l'intervalle allant de l'estimation moins le plus grand effet placebo à l'estimation moins le plus petit "
        f"ne couvre l'effet qu'avec une probabilité de {n - 2}/{n} ≈ {fr_number((n - 2) / n * 100)} %"
        + (f", et aucun intervalle fini n'atteint 95 % avec {n - 1} départements de comparaison." if n < 40 else "."),
        "**Indicateurs d'usage** : connexions à l'ENT de tous les profils (élèves, parents, enseignants, "
        "personnels) sur l'année, rapportées aux élèves inscrits (fichiers DEPP), estimées en logarithme et "
        "traduites en % d'évolution ; taux de certification Pix en 3e (élèves certifiés / élèves inscrits en 3e), "
        "en points. Chaque établissement pèse selon ses élèves.",
        f"**Départements de comparaison** : l'estimation principale compare la Vienne aux 11 autres départements "
        f"de la région (les effets fixes absorbent les différences de niveau ; seule l'évolution doit être "
        f"comparable, et plus de départements rendent l'estimation moins sensible à un choc propre à l'un "
        f"d'eux). Contrôle : les {CLOSEST_COUNT} départements les plus proches de la Vienne avant 2021 "
        f"({closest}), selon une distance standardisée sur : {used}.",
        "**Lecture de la valeur annuelle** : l'effet d'une année est estimé avec toutes les années disponibles "
        "jusqu'à elle ; c'est l'effet moyen depuis la rentrée 2021. Le graphique année par année le détaille.",
        "**Périmètre** : l'évaluation est régionale (la Vienne contre les autres départements) et donne la même "
        "valeur dans les quatre rapports ; seule la section 4 est propre au périmètre.",
        "**Limites** : un seul département traité (voir l'inférence) ; les départements diffèrent par leur "
        "taille : l'estimation placebo d'un petit département varie davantage que celle de la Vienne, de taille "
        "moyenne, ce qui rend la p-valeur et l'intervalle plutôt prudents ; les changements de "
        "plateforme ENT (collèges passés sur Lycée connecté) sont supposés sans effet sur le comptage des "
        "connexions ; les collèges privés, absents des exports ENT, ne sont pas dans le panel ENT.",
    ]
    incomplete = ent.attrs.get("incomplete", 0)
    if incomplete:
        notes.append(f"**Exports incomplets** : {incomplete} couple(s) établissement × année dont l'export ENT ne "
                     "couvre pas les mois de septembre à juin sont exclus du panel.")
    return notes


def _years_before(n: int) -> str:
    return {0: "aucune année", 1: "qu'une seule année"}.get(n, f"que {n} années")


def _p(p: float) -> str:
    from ..formatting import fr_number

    if p is None or not np.isfinite(p):
        return "—"
    return "< 0,001" if p < 0.001 else fr_number(p, 3)
