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


# --------------------------------------------------------------------------- report blocks


def _fmt(x, unit="percent", with_unit=True) -> str:
    from ..formatting import fmt_value

    return fmt_value(x, unit, with_unit)


def _int(x) -> str:
    from ..formatting import fr_number

    return fr_number(x, 0)


def _interval(lo, hi, unit="percent") -> str:
    from ..formatting import fmt_interval

    return fmt_interval(lo, hi, unit)


def _p(p: float) -> str:
    from ..formatting import fr_number

    if p is None or not np.isfinite(p):
        return "—"
    return "< 0,001" if p < 0.001 else fr_number(p, 3)


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = {row.indicator: row for row in rpt.table.itertuples(index=False)}
    lines = []
    rate = r.get("eac_digital_projects_rate")
    if rate is not None and pd.notna(rate.value):
        cmp = "au-dessus" if pd.notna(rate.objective) and rate.value >= rate.objective else "en dessous"
        text = (f"- **{_fmt(rate.value)}** des projets EAC mobilisent le numérique ({_int(rate.numerator)} sur "
                f"{_int(rate.denominator)}, intervalle à 95 % {_interval(rate.ci_low, rate.ci_high)})")
        if pd.notna(rate.objective):
            text += f", {cmp} de l'objectif de {_fmt(rate.objective)}"
        lines.append(text + ".")
    a, p = r.get("eac_artist_digital_interventions"), r.get("eac_digital_practices")
    if a is not None and pd.notna(a.value):
        flags = flags_table(rpt.data, rpt.scope, rpt.period)
        among = flags[flags["flag"] == "artist_digital_among_artists"].iloc[0]
        lines.append(f"- **{_int(a.value)}** projets comptent une intervention d'artiste s'appuyant sur le "
                     f"numérique ({_fmt(among['share'])} des projets avec une intervention d'artiste) et "
                     f"**{_int(p.value)}** projets reposent sur une pratique artistique numérique.")
    parts = []
    for ind, what in (("eac_training_actions", "actions de formation « numérique et EAC »"),
                      ("eac_resources_flagged", "ressources repérées"),
                      ("eac_model_actions", "actions exemplaires valorisées")):
        row = r.get(ind)
        if row is None or pd.isna(row.value):
            continue
        text = f"**{_int(row.value)}** {what}"
        if row.objective_label:
            text += f" (objectif : {row.objective_label.split(' (')[0]} ; {row.status_label.lower()})"
        parts.append(text)
    if parts:
        lines.append("- " + ", ".join(parts) + ".")
    if not lines:
        lines.append("- Aucune donnée de la cible pour ce périmètre et cette année scolaire.")
    return "\n".join(lines)


def show_flags(rpt) -> None:
    """The digital flags of the year's projects, with shares and intervals."""
    from ..render import display_html, display_markdown, html_table

    t = flags_table(rpt.data, rpt.scope, rpt.period)
    if t["base"].iloc[0] == 0:
        display_markdown(f"*Aucun projet EAC recensé pour ce périmètre en {rpt.period}.*")
        return
    out = pd.DataFrame({
        "Caractéristique": t["label"], "Projets": [_int(x) for x in t["count"]],
        "Rapporté à": [f"{_int(n)} {lab}" for n, lab in zip(t["base"], t["base_label"], strict=True)],
        "Part": [_fmt(x) for x in t["share"]],
        "Intervalle à 95 %": [_interval(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=["Projets", "Part", "Intervalle à 95 %"],
                             caption=f"Le numérique dans les projets EAC, {rpt.period}"))


BY_TITLES = {"domain": "Domaine artistique et culturel", "category": "Type de projet", "operator": "Opérateur",
             "academy": "Académie", "public": "Public", "kind": "Type d'établissement"}


def by_title(rpt, by: str) -> str:
    """French title of a breakdown (``domain`` → « Domaine artistique et culturel »)."""
    return BY_TITLES.get(by) or rpt.catalogue.breakdowns.get(by, by)


def show_breakdown(rpt, indicator: str, by: str, title: str, *, chart: bool = False, objective: float | None = None,
                   count_label: str = "Projets") -> None:
    """A breakdown as a table (and optionally a chart); a note when there is no data.

    Counts are shown as a plain two-column table (exhaustive, without interval).
    """
    from ..render import display_html, display_markdown, html_table

    known = {i.id for i in rpt.catalogue.indicators(TARGET)}
    unit = rpt.catalogue.indicator(indicator).unit if indicator in known else "percent"
    table = breakdown(rpt.data, indicator, rpt.scope, rpt.period, by).dropna(subset=["value"])
    if table.empty:
        display_markdown(f"*{title} : pas de données pour {rpt.period}.*")
        return
    if chart and len(table) > 1:
        rpt.breakdown_chart(table, title, unit, objective=objective)
    if unit == "count":
        out = pd.DataFrame({by_title(rpt, by): table["label"], count_label: [_int(x) for x in table["value"]]})
        display_html(html_table(out, align_right=[count_label], caption=title))
    else:
        rpt.show_table(table, unit, group_title=by_title(rpt, by), count_label=count_label, caption=title)


def show_counts(rpt, by: str) -> None:
    """Artists' interventions and practices relying on digital, by group, in one table."""
    from ..render import display_html, display_markdown, html_table

    a = breakdown(rpt.data, "eac_artist_digital_interventions", rpt.scope, rpt.period, by)
    p = breakdown(rpt.data, "eac_digital_practices", rpt.scope, rpt.period, by)
    if a.empty:
        display_markdown(f"*Aucun projet EAC recensé pour ce périmètre en {rpt.period}.*")
        return
    t = a[["label", "value"]].merge(p[["label", "value"]], on="label", suffixes=("_a", "_p"))
    t = t.sort_values("label", key=sort_key)
    out = pd.DataFrame({by_title(rpt, by): t["label"],
                        "Projets avec intervention d'artiste numérique": [_int(x) for x in t["value_a"]],
                        "Projets avec pratique artistique numérique": [_int(x) for x in t["value_p"]]})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Projets dont une intervention d'artiste ou la pratique s'appuie sur le "
                                     f"numérique, {rpt.period}"))


def show_gaps(rpt) -> None:
    """The pole (Limoges) against the other academies and rural against urban, year by year."""
    from ..render import display_html, display_markdown, html_table

    blocks = []
    if rpt.scope == referential.REGION_SCOPE:
        blocks.append(("academy", POLE, None, "Académie de Limoges (pôle)", "Autres académies",
                       "l'académie de Limoges (pôle) a", "les deux autres académies"))
    blocks.append(("territory", "rural", "urban", "Rural", "Urbain", "les établissements ruraux ont", "les urbains"))
    sentences = []
    for by, a, b, a_label, b_label, a_subject, b_subject in blocks:
        t = gap_by_period(rpt.data, rpt.scope, by, a, b, up_to=rpt.period)
        t = t[(t["a_projects"] > 0) & (t["b_projects"] > 0)]
        if t.empty:
            continue
        out = pd.DataFrame({
            "Année scolaire": t["period"],
            a_label: [f"{_fmt(v)} ({_int(n)} projets)" for v, n in zip(t["rate_a"], t["a_projects"], strict=True)],
            b_label: [f"{_fmt(v)} ({_int(n)} projets)" for v, n in zip(t["rate_b"], t["b_projects"], strict=True)],
            "Écart (points)": [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                               for v, lo, hi in zip(t["diff"], t["diff_low"], t["diff_high"], strict=True)],
            "p (test)": [_p(x) for x in t["p_value"]],
        })
        display_html(html_table(out, align_right=list(out.columns[1:]),
                                 caption=f"Part des projets mobilisant le numérique : {a_label} / {b_label.lower()}"))
        cur = t[t["period"] == rpt.period]
        if not cur.empty:
            c = cur.iloc[0]
            sign = "d'avance" if c["diff"] > 0 else "de retard"
            sig = "écart significatif" if c["p_value"] < 0.05 else "écart non significatif"
            sentences.append(f"En {rpt.period}, {a_subject} {_fmt(abs(c['diff']), 'percent_points')} {sign} "
                             f"sur {b_subject} ({sig}, p {_p(c['p_value'])}).")
    if sentences:
        display_markdown(" ".join(sentences))


def show_group_tests(rpt, by: str, title: str) -> None:
    """Each group against the rest (establishments as clusters, Holm)."""
    from ..render import display_html, html_table

    t = group_tests(rpt.data, rpt.scope, rpt.period, by)
    if len(t) < 2:
        return
    out = pd.DataFrame({
        title: t["label"], "Projets": [_int(x) for x in t["projects"]], "Part": [_fmt(x) for x in t["rate"]],
        "Reste du périmètre": [_fmt(x) for x in t["rest"]],
        "Écart (points)": [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                           for v, lo, hi in zip(t["diff"], t["diff_low"], t["diff_high"], strict=True)],
        "p": [_p(x) for x in t["p_value"]], "p ajusté (Holm)": [_p(x) for x in t["p_holm"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Chaque groupe comparé au reste du périmètre, {rpt.period}"))


def show_trend_test(rpt) -> None:
    """The logistic trend of the digital share, in a sentence."""
    from ..formatting import fr_number
    from ..render import display_markdown

    t = digital_share_trend(rpt.data, rpt.scope, up_to=rpt.period)
    if t["n_years"] < 2 or not np.isfinite(t["odds_ratio"]):
        display_markdown("*Une seule année observée : pas de tendance estimable.*")
        return
    sig = "significative" if t["p_value"] < 0.05 else "non significative"
    display_markdown(
        f"Sur {t['n_years']} années, la part des projets mobilisant le numérique évolue de "
        f"**{_fmt(t['points_per_year'], 'percent_points', False)} point par an** en moyenne (intervalle à 95 % "
        f"{_interval(t['points_low'], t['points_high'], 'percent_points')} ; rapport de cotes annuel "
        f"{fr_number(t['odds_ratio'], 2)}, p {_p(t['p_value'])}) : tendance {sig} (régression logistique "
        "sur les projets par établissement et par année).")


def show_training(rpt) -> None:
    """Training actions per year with their sessions, trainees and INSPE share."""
    from ..render import display_html, display_markdown, html_table

    t = training_table(rpt.data, rpt.scope, up_to=rpt.period)
    if t.empty:
        display_markdown("*Aucun fichier de formation dans le dossier de données.*")
        return
    out = pd.DataFrame({
        "Année scolaire": t["period"], "Actions (modules)": [_int(x) for x in t["actions"]],
        "dont INSPE": [_int(x) for x in t["inspe_actions"]], "Sessions": [_int(x) for x in t["sessions"]],
        "Stagiaires": [_int(x) for x in t["trainees"]], "Journées stagiaires": [_int(x) for x in t["trainee_days"]],
    })
    if rpt.scope == referential.REGION_SCOPE:
        out["Académies concernées"] = [_int(x) for x in t["academies"]]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Actions de formation « numérique et EAC » par année scolaire"))


def show_resources(rpt) -> None:
    """Resources flagged and model actions per year against the objectives."""
    from ..render import display_html, display_markdown, html_table

    t = resources_table(rpt.data, rpt.scope, up_to=rpt.period)
    if t.empty:
        display_markdown("*Aucune liste de ressources EAC dans le dossier de données.*")
        return
    out = pd.DataFrame({
        "Année scolaire": t["period"], "Ressources repérées": [_int(x) for x in t["resources"]],
        "Actions exemplaires valorisées": [_int(x) for x in t["model_actions"]],
        "Domaines artistiques couverts": [_int(x) for x in t["domains"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Ressources et actions exemplaires par année (objectifs régionaux : une "
                                     "cinquantaine et 7 à 10 par an)"))


def coverage_notes(rpt) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    proj = projects(rpt.data)
    cur = referential.in_scope(proj[proj["period"] == rpt.period], rpt.scope)
    notes = [
        "**Projets EAC** : export ADAGE complété des quatre indicateurs « numérique » de la feuille de route "
        "(usage du numérique, intervention d'artiste, intervention d'artiste numérique, pratique artistique "
        "numérique) ; un projet compte une fois par année scolaire.",
        "**Intervalles et tests** : les projets recensés sont exhaustifs ; les intervalles et les tests lisent les "
        "projets de l'année comme un tirage de la propension à mobiliser le numérique. Un établissement porte "
        "plusieurs projets et en décide de façon semblable : intervalles, écarts (p ajustées par la méthode de "
        "Holm entre groupes) et tendance prennent les établissements comme grappes ; un groupe d'un seul "
        "établissement n'est pas testé. Les nombres d'interventions, d'actions et de ressources sont des "
        "décomptes exhaustifs, sans intervalle.",
        "**Actions de formation** : modules distincts (académie, numéro de module GAIA) de la thématique « Numérique "
        "et EAC » dans l'année scolaire, tous opérateurs (plans académiques, DSDEN, Canopé, les trois INSPE).",
        "**Ressources et actions exemplaires** : liste tenue par le pôle de Limoges ; une ligne est comptée dans "
        "l'académie qui l'a repérée ou valorisée. Les objectifs (une cinquantaine, 7 à 10) sont régionaux.",
    ]
    if len(cur):
        no_territory = int(cur["territory"].isna().sum())
        if no_territory:
            notes.append(f"**Territoire** : {no_territory} projet(s) d'établissements absents de l'annuaire ou de la "
                         "grille de densité ne sont pas classés rural / urbain.")
    if not rpt.data.has("formations"):
        notes.append("**Formations** : pas de fichier GAIA dans le dossier de données.")
    return notes
