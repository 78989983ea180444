"""Target 2.5 — artistic and cultural education (EAC) through digital (pole: Limoges).

Indicators (``params/targets/2.5-arts-culture.yaml``):

- ``eac_digital_projects_rate``: EAC projects of the school year declaring a use of
  digital over all EAC projects (``eac_projets``, an ADAGE export), against 20 %;
- ``eac_artist_digital_interventions``: projects whose artist intervention relies on
  digital; ``eac_digital_practices``: projects whose artistic practice relies on digital
  (exhaustive counts of *projects*: the export has one yes / no flag per project, not a
  number of interventions or practices, and the labels say so);
- ``eac_training_actions``: training actions on digital and EAC = distinct modules
  (academy, ``module_id``) of domain ``digital_eac`` in the school year (``formations``),
  against 5 to 10 (academic plans and the three INSPE);
- ``eac_resources_flagged`` / ``eac_model_actions``: resources flagged (about 50 a year)
  and model actions promoted (7 to 10 a year) in the pole's list (``eac_ressources``).

Beyond the headline: the digital flags of the projects with their shares and intervals
(the share of projects with an artist intervention whose intervention relies on digital), the
breakdowns by department, territory, kind of establishment, sector, priority education,
academy and artistic domain, the gaps of the pole (Limoges) and of rural establishments
tested year by year, the logistic trend of the digital share, the training actions by
operator, and the resources by domain. Projects come in establishments (an establishment
carries several, and decides alike for them): every interval and test takes the
establishments as clusters (:func:`~drane_analysis.stats.cluster_rate_table`,
:func:`~drane_analysis.stats.compare_groups`, a logistic trend clustered on them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..stats import BREAKDOWN_TEST_COLUMNS, cluster_rate_table, compare_groups
from .t2_4_orientation import holm, logistic_trend, sort_key

TARGET = "2.5"
EAC_DOMAIN = "digital_eac"
POLE = "limoges"
ATTRIBUTES = ["kind", "sector", "territory", "priority_education"]
FLAGS = {
    "uses_digital": "Projet mobilisant le numérique",
    "artist_intervention": "Intervention d'artiste",
    "artist_digital": "Intervention d'artiste s'appuyant sur le numérique",
    "practice_digital": "Pratique artistique s'appuyant sur le numérique",
}
DOMAIN_LABELS = {
    "architecture": "Architecture",
    "cirque_arts_rue": "Arts du cirque et arts de la rue",
    "arts_numeriques": "Arts numériques",
    "arts_visuels": "Arts visuels, arts plastiques, arts appliqués",
    "bande_dessinee": "Bande dessinée",
    "cinema_audiovisuel": "Cinéma, audiovisuel",
    "culture_scientifique": "Culture scientifique, technique et industrielle",
    "danse": "Danse",
    "design": "Design",
    "medias_information": "Médias et information",
    "memoire_histoire": "Mémoire, histoire",
    "musique": "Musique",
    "patrimoine": "Patrimoine",
    "photographie": "Photographie",
    "theatre": "Théâtre, expression dramatique, marionnettes",
    "livre_lecture": "Univers du livre, de la lecture et des écritures",
    "autre": "Autre",
}
CATEGORY_LABELS = {
    "dispositif": "Projet lié à un dispositif",
    "initiative": "Projet à l'initiative de l'établissement",
    "enseignement": "Enseignement artistique",
    "appel_projets": "Appel à projets",
}
RESOURCE_LABELS = {"resource": "Ressources repérées", "model_action": "Actions exemplaires valorisées"}
COUNT_INDICATORS = {"eac_artist_digital_interventions": "artist_digital", "eac_digital_practices": "practice_digital"}
BREAKDOWN_COLUMNS = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]


def _year(period: str) -> int:
    return Period.parse(period).start


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _label(by: str, value: object) -> str:
    if by in ("domain", "category") and not _is_missing(value):
        return (DOMAIN_LABELS if by == "domain" else CATEGORY_LABELS).get(str(value), str(value))
    if by == "operator" and not _is_missing(value):
        from ..sources.formations import OPERATOR_LABELS

        return OPERATOR_LABELS.get(str(value), str(value))
    if by == "resource_type" and not _is_missing(value):
        return RESOURCE_LABELS.get(str(value), str(value))
    return breakdown_label(by, value)


# --------------------------------------------------------------------------- building blocks


def projects(data: Data) -> pd.DataFrame:
    return data.memo("t25_projects", lambda: _projects(data))


def _projects(data: Data) -> pd.DataFrame:
    """One row per EAC project and year with its flags as 0/1 and the establishment's
    kind, sector, territory and priority education (missing when the annuaire lacks it).

    ``cluster``: the establishment (UAI) that carries the project, the unit of every
    interval and test; a project without UAI is a cluster of its own."""
    cols = ["project_id", "uai", "period", "category", "domain", "department", "academy", *FLAGS, "pupils"]
    if not data.has("eac_projets"):
        numeric = {*FLAGS, "pupils"}
        return pd.DataFrame({c: pd.Series(dtype=int if c in numeric else "string")
                             for c in [*cols, *ATTRIBUTES, "cluster"]}).assign(one=pd.Series(dtype=int))
    frame = data.source("eac_projets")
    frame = frame[[c for c in cols if c in frame.columns]].copy()
    for flag in FLAGS:
        frame[flag] = frame[flag].fillna(False).astype(int)
    frame["one"] = 1
    if data.has("annuaire"):
        est = data.establishments()
        frame = frame.merge(est[["uai", *[a for a in ATTRIBUTES if a in est.columns]]], on="uai", how="left")
    for a in ATTRIBUTES:
        if a not in frame:
            frame[a] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame = frame[frame["academy"].isin(list(referential.ACADEMIES))]
    uai = frame["uai"].astype("string")
    frame["cluster"] = uai.fillna("projet " + frame["project_id"].astype("string"))
    return frame.reset_index(drop=True)


def training(data: Data) -> pd.DataFrame:
    return data.memo("t25_training", lambda: _training(data))


def _training(data: Data) -> pd.DataFrame:
    """Sessions of the digital-and-EAC training modules, with ``action`` = academy/module."""
    cols = ["period", "academy", "department", "module_id", "session_id", "operator", "public", "modality",
            "trainees", "trainee_days"]
    if not data.has("formations"):
        numeric = {"trainees", "trainee_days"}
        return pd.DataFrame({c: pd.Series(dtype=float if c in numeric else "string") for c in [*cols, "action"]})
    frame = data.source("formations")
    frame = frame.loc[frame["domain"] == EAC_DOMAIN, cols].copy()
    frame["action"] = frame["academy"].astype(str) + "/" + frame["module_id"].astype(str)
    return frame.reset_index(drop=True)


def training_periods(data: Data) -> list[str]:
    """School years the training files cover (any domain): a year without an EAC module counts 0."""
    if not data.has("formations"):
        return []
    return sorted(data.source("formations")["period"].dropna().unique(), key=_year)


def resources(data: Data) -> pd.DataFrame:
    return data.memo("t25_resources", lambda: _resources(data))


def _resources(data: Data) -> pd.DataFrame:
    cols = ["resource_id", "resource_type", "period", "academy", "domain"]
    if not data.has("eac_ressources"):
        return pd.DataFrame({c: pd.Series(dtype="string") for c in cols}).assign(one=pd.Series(dtype=int))
    frame = data.source("eac_ressources")
    frame = frame[[c for c in cols if c in frame.columns]].copy()
    if "domain" not in frame:
        frame["domain"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["one"] = 1
    return frame[frame["academy"].isin(list(referential.ACADEMIES))].reset_index(drop=True)


def _periods(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["period"].dropna().unique(), key=_year)


# --------------------------------------------------------------------------- series


def _count_rows(indicator: str, scope: str, counts: pd.Series, periods: list[str]) -> list[dict]:
    series = counts.reindex(periods, fill_value=0) if periods else counts
    return [{"target": TARGET, "indicator": indicator, "academy": scope, "period": p, "value": float(v)}
            for p, v in series.items()]


def compute(data: Data) -> pd.DataFrame:
    """Every 2.5 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    proj = projects(data)
    periods = _periods(proj)
    for scope, part in by_scope(proj, scopes=data.scopes):
        if periods:
            table = cluster_rate_table(part, "uses_digital", "one", "cluster", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "eac_digital_projects_rate", table, interval="table")
        for indicator, flag in COUNT_INDICATORS.items():
            rows += _count_rows(indicator, scope, part.groupby("period")[flag].sum(), periods)
    train = training(data)
    t_periods = training_periods(data)
    for scope, part in by_scope(train, scopes=data.scopes):
        rows += _count_rows("eac_training_actions", scope, part.groupby("period")["action"].nunique(), t_periods)
    res = resources(data)
    r_periods = _periods(res)
    for scope, part in by_scope(res, scopes=data.scopes):
        for indicator, kind in (("eac_resources_flagged", "resource"), ("eac_model_actions", "model_action")):
            sub = part[part["resource_type"] == kind]
            rows += _count_rows(indicator, scope, sub.groupby("period")["one"].sum(), r_periods)
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


def _finish(table: pd.DataFrame, by: str) -> pd.DataFrame:
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: _label(by, v))
    for col in BREAKDOWN_COLUMNS:
        if col not in table:
            table[col] = np.nan
    cols = BREAKDOWN_COLUMNS + [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label", key=sort_key).reset_index(drop=True)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by a column of its rows.

    Project indicators: ``department``, ``territory``, ``kind``, ``sector``,
    ``priority_education``, ``academy``, ``domain``, ``category``; training actions:
    ``academy``, ``operator``, ``public``; resources: ``academy``, ``domain``. The rate
    comes with its interval, establishments as clusters (and what
    :func:`~drane_analysis.render.gap_sentence` needs to test a gap); counts without. Also
    accepts ``eac_artist_digital_share``
    (artist interventions relying on digital among all artist interventions) and
    ``eac_practice_digital_share`` (projects with a digital practice among all projects).
    """
    if indicator in ("eac_digital_projects_rate", "eac_artist_digital_share", "eac_practice_digital_share",
                     *COUNT_INDICATORS):
        frame = referential.in_scope(projects(data), scope)
        frame = frame[frame["period"] == period]
        if indicator == "eac_digital_projects_rate":
            table = cluster_rate_table(frame, "uses_digital", "one", "cluster", by=[by])
        elif indicator == "eac_artist_digital_share":
            table = cluster_rate_table(frame, "artist_digital", "artist_intervention", "cluster", by=[by])
        elif indicator == "eac_practice_digital_share":
            table = cluster_rate_table(frame, "practice_digital", "one", "cluster", by=[by])
        else:
            table = frame.groupby(by, dropna=False)[COUNT_INDICATORS[indicator]].sum().reset_index(name="value")
    elif indicator == "eac_training_actions":
        frame = referential.in_scope(training(data), scope)
        frame = frame[frame["period"] == period]
        table = frame.groupby(by, dropna=False)["action"].nunique().reset_index(name="value")
    elif indicator in ("eac_resources_flagged", "eac_model_actions"):
        kind = "resource" if indicator == "eac_resources_flagged" else "model_action"
        frame = referential.in_scope(resources(data), scope)
        frame = frame[(frame["period"] == period) & (frame["resource_type"] == kind)]
        table = frame.groupby(by, dropna=False)["one"].sum().reset_index(name="value")
    else:
        raise KeyError(f"indicateur inconnu pour la cible 2.5 : {indicator}")
    if "value" in table:
        table["value"] = table["value"].astype(float)
    return _finish(table, by)


def flags_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The projects' digital flags for a scope and year.

    One row per flag (``uses_digital``, ``artist_intervention``, ``artist_digital``,
    ``practice_digital``) with ``count``, ``share`` (% of all projects) and its interval,
    then ``artist_digital_among_artists``: interventions relying on digital among all
    artist interventions, and ``digital_among_digital``-style shares of the digital
    projects (``artist_digital`` and ``practice_digital`` over ``uses_digital``).
    Columns: ``flag``, ``label``, ``count``, ``base`` (denominator), ``base_label``,
    ``share``, ``ci_low``, ``ci_high`` (establishments as clusters).
    """
    frame = referential.in_scope(projects(data), scope)
    frame = frame[frame["period"] == period]
    rows = []

    def add(flag, label, part, num, den, base_label):
        t = cluster_rate_table(part, num, den, "cluster").iloc[0]
        rows.append({"flag": flag, "label": label, "count": t["numerator"], "base": t["denominator"],
                     "base_label": base_label, "share": t["value"], "ci_low": t["ci_low"], "ci_high": t["ci_high"]})

    for flag, label in FLAGS.items():
        add(flag, label, frame, flag, "one", "projets EAC")
    add("artist_digital_among_artists", "Intervention d'artiste s'appuyant sur le numérique", frame,
        "artist_digital", "artist_intervention", "projets avec intervention d'artiste")
    digital = frame[frame["uses_digital"] == 1]
    add("artist_digital_among_digital", "Intervention d'artiste numérique", digital, "artist_digital", "one",
        "projets mobilisant le numérique")
    add("practice_digital_among_digital", "Pratique artistique numérique", digital, "practice_digital", "one",
        "projets mobilisant le numérique")
    return pd.DataFrame(rows)


def gap_by_period(data: Data, scope: str, by: str, group_a: str, group_b: str | None = None,
                  up_to: str | None = None) -> pd.DataFrame:
    """The digital share of group ``a`` against group ``b`` (or all other groups when None),
    year by year, with establishments as clusters (:func:`~drane_analysis.stats.compare_groups`).

    Columns: ``period``, ``a_digital``, ``a_projects``, ``rate_a`` (%), ``rate_b``, ``diff``
    (points, a − b) with its interval, ``ratio``, ``p_value``.
    """
    frame = referential.in_scope(projects(data), scope)
    if up_to is not None:
        frame = frame[frame["period"].map(_year) <= _year(up_to)]
    rows = []
    for period, part in frame.groupby("period"):
        a = part[part[by] == group_a]
        b = part[part[by] != group_a] if group_b is None else part[part[by] == group_b]
        if group_b is None:
            b = b[b[by].notna()]
        t = compare_groups(part, "uses_digital", "one", "cluster", part.index.isin(a.index), part.index.isin(b.index))
        rows.append({"period": period, "a_digital": float(a["uses_digital"].sum()), "a_projects": float(len(a)),
                     "b_digital": float(b["uses_digital"].sum()), "b_projects": float(len(b)),
                     "rate_a": t["rate1"], "rate_b": t["rate2"], "diff": t["diff"], "diff_low": t["ci_low"],
                     "diff_high": t["ci_high"], "ratio": t["rate1"] / t["rate2"] if t["rate2"] > 0 else np.nan,
                     "p_value": t["p_value"]})
    out = pd.DataFrame(rows, columns=["period", "a_digital", "a_projects", "b_digital", "b_projects", "rate_a",
                                      "rate_b", "diff", "diff_low", "diff_high", "ratio", "p_value"])
    return out.sort_values("period", key=lambda s: s.map(_year)).reset_index(drop=True)


def group_tests(data: Data, scope: str, period: str, by: str) -> pd.DataFrame:
    """Each group's digital share against the rest of the scope in a year (establishments as
    clusters, :func:`~drane_analysis.stats.compare_groups`; Holm-adjusted across groups).
    Columns: ``group``, ``label``, ``rate``, ``rest``, ``diff`` with interval, ``p_value``,
    ``p_holm``."""
    frame = referential.in_scope(projects(data), scope)
    frame = frame[(frame["period"] == period) & frame[by].notna()]
    rows = []
    for group, part in frame.groupby(by):
        inside = (frame[by] == group).to_numpy()
        t = compare_groups(frame, "uses_digital", "one", "cluster", inside, ~inside)
        rows.append({"group": group, "label": _label(by, group), "projects": float(len(part)), "rate": t["rate1"],
                     "rest": t["rate2"], "diff": t["diff"], "diff_low": t["ci_low"], "diff_high": t["ci_high"],
                     "p_value": t["p_value"]})
    out = pd.DataFrame(rows, columns=["group", "label", "projects", "rate", "rest", "diff", "diff_low", "diff_high",
                                      "p_value"])
    out["p_holm"] = holm(out["p_value"])
    return out.sort_values("label", key=sort_key).reset_index(drop=True)


def digital_share_trend(data: Data, scope: str, up_to: str | None = None, deadline: str | None = None) -> dict:
    """Logistic trend of the share of projects using digital (establishment × year counts,
    covariance clustered on the establishments, the same ones year after year; see
    :func:`~drane_analysis.stats.logistic_trend`)."""
    frame = referential.in_scope(projects(data), scope)
    if up_to is not None:
        frame = frame[frame["period"].map(_year) <= _year(up_to)]
    counts = frame.groupby(["cluster", "period"])[["uses_digital", "one"]].sum().reset_index()
    counts["year"] = counts["period"].map(_year).astype(float)
    return logistic_trend(counts, "uses_digital", "one", "year", deadline=_year(deadline) if deadline else None,
                          cluster="cluster")


def training_table(data: Data, scope: str, up_to: str | None = None) -> pd.DataFrame:
    """Digital-and-EAC training per year: ``actions`` (modules), ``sessions``, ``trainees``,
    ``trainee_days``, ``inspe_actions`` (modules run by an INSPE), ``academies`` (academies
    with at least one action). Every year the training files cover (0 when none)."""
    frame = referential.in_scope(training(data), scope)
    periods = training_periods(data)
    if up_to is not None:
        periods = [p for p in periods if _year(p) <= _year(up_to)]
    rows = []
    for p in periods:
        part = frame[frame["period"] == p]
        rows.append({"period": p, "actions": part["action"].nunique(), "sessions": len(part),
                     "trainees": float(part["trainees"].sum()), "trainee_days": float(part["trainee_days"].sum()),
                     "inspe_actions": part.loc[part["operator"] == "inspe", "action"].nunique(),
                     "academies": part["academy"].nunique()})
    return pd.DataFrame(rows, columns=["period", "actions", "sessions", "trainees", "trainee_days", "inspe_actions",
                                       "academies"])


def resources_table(data: Data, scope: str, up_to: str | None = None) -> pd.DataFrame:
    """Resources flagged and model actions promoted per year, with the number of artistic
    domains they cover. Columns: ``period``, ``resources``, ``model_actions``, ``domains``."""
    frame = referential.in_scope(resources(data), scope)
    periods = _periods(resources(data))
    if up_to is not None:
        periods = [p for p in periods if _year(p) <= _year(up_to)]
    rows = []
    for p in periods:
        part = frame[frame["period"] == p]
        rows.append({"period": p, "resources": int((part["resource_type"] == "resource").sum()),
                     "model_actions": int((part["resource_type"] == "model_action").sum()),
                     "domains": int(part["domain"].nunique())})
    return pd.DataFrame(rows, columns=["period", "resources", "model_actions", "domains"])


def projects_without_territory(data: Data, scope: str, period: str) -> int:
    """Projects of a scope in a school year whose establishment is not classed rural / urban
    (absent from the annuaire or the density grid)."""
    frame = projects(data)
    cur = referential.in_scope(frame[frame["period"] == period], scope)
    return int(cur["territory"].isna().sum())
