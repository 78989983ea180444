"""What the 2.5 report shows: artistic and cultural education (EAC) through digital.

The digital flags of the year's EAC projects with their shares, the breakdowns (as tables
and charts) and each group against the rest, the counts of artist interventions and
practices relying on digital, the gaps of the pole (Limoges) and of rural establishments
year by year, the trend of the digital share in a sentence, the training actions and the
resources per year, the key messages opening the report and the caveats of its method
section. The numbers come from :mod:`drane_analysis.targets.t2_5_arts_culture`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import fmt_interval, fmt_p_value, fmt_value, fr_number
from ..render import display_html, display_markdown, html_table
from ..targets.t2_4_orientation import sort_key
from ..targets.t2_5_arts_culture import (
    POLE,
    breakdown,
    digital_share_trend,
    flags_table,
    gap_by_period,
    group_tests,
    projects_without_territory,
    resources_table,
    training_table,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "2.5"


def _fmt(x, unit="percent", with_unit=True) -> str:
    return fmt_value(x, unit, with_unit)


def _interval(lo, hi, unit="percent") -> str:
    return fmt_interval(lo, hi, unit)


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = {row.indicator: row for row in rpt.table.itertuples(index=False)}
    lines = []
    rate = r.get("eac_digital_projects_rate")
    if rate is not None and pd.notna(rate.value):
        cmp = "au-dessus" if pd.notna(rate.objective) and rate.value >= rate.objective else "en dessous"
        text = (f"- **{_fmt(rate.value)}** des projets EAC mobilisent le numérique ({fr_number(rate.numerator)} sur "
                f"{fr_number(rate.denominator)}, intervalle à 95 % {_interval(rate.ci_low, rate.ci_high)})")
        if pd.notna(rate.objective):
            text += f", {cmp} de l'objectif de {_fmt(rate.objective)}"
        lines.append(text + ".")
    a, p = r.get("eac_artist_digital_interventions"), r.get("eac_digital_practices")
    if a is not None and pd.notna(a.value):
        flags = flags_table(rpt.data, rpt.scope, rpt.period)
        among = flags[flags["flag"] == "artist_digital_among_artists"].iloc[0]
        lines.append(f"- **{fr_number(a.value)}** projets comptent une intervention d'artiste s'appuyant sur le "
                     f"numérique ({_fmt(among['share'])} des projets avec une intervention d'artiste) et "
                     f"**{fr_number(p.value)}** projets reposent sur une pratique artistique numérique.")
    parts = []
    for ind, what in (("eac_training_actions", "actions de formation « numérique et EAC »"),
                      ("eac_resources_flagged", "ressources repérées"),
                      ("eac_model_actions", "actions exemplaires valorisées")):
        row = r.get(ind)
        if row is None or pd.isna(row.value):
            continue
        text = f"**{fr_number(row.value)}** {what}"
        if row.objective_label:
            text += f" (objectif : {row.objective_label.split(' (')[0]} ; {row.status_label.lower()})"
        parts.append(text)
    if parts:
        lines.append("- " + ", ".join(parts) + ".")
    if not lines:
        lines.append("- Aucune donnée de la cible pour ce périmètre et cette année scolaire.")
    return "\n".join(lines)


def show_flags(rpt: Report) -> None:
    """The digital flags of the year's projects, with shares and intervals."""
    t = flags_table(rpt.data, rpt.scope, rpt.period)
    if t["base"].iloc[0] == 0:
        display_markdown(f"*Aucun projet EAC recensé pour ce périmètre en {rpt.period}.*")
        return
    out = pd.DataFrame({
        "Caractéristique": t["label"], "Projets": [fr_number(x) for x in t["count"]],
        "Rapporté à": [f"{fr_number(n)} {lab}" for n, lab in zip(t["base"], t["base_label"], strict=True)],
        "Part": [_fmt(x) for x in t["share"]],
        "Intervalle à 95 %": [_interval(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=["Projets", "Part", "Intervalle à 95 %"],
                             caption=f"Le numérique dans les projets EAC, {rpt.period}"))


BY_TITLES = {"domain": "Domaine artistique et culturel", "category": "Type de projet", "operator": "Opérateur",
             "academy": "Académie", "public": "Public", "kind": "Type d'établissement"}


def by_title(rpt: Report, by: str) -> str:
    """French title of a breakdown (``domain`` → « Domaine artistique et culturel »)."""
    return BY_TITLES.get(by) or rpt.catalogue.breakdowns.get(by, by)


def show_breakdown(rpt: Report, indicator: str, by: str, title: str, *, chart: bool = False, objective: float | None = None,
                   count_label: str = "Projets") -> None:
    """A breakdown as a table (and optionally a chart); a note when there is no data.

    Counts are shown as a plain two-column table (exhaustive, without interval).
    """
    known = {i.id for i in rpt.catalogue.indicators(TARGET)}
    unit = rpt.catalogue.indicator(indicator).unit if indicator in known else "percent"
    table = breakdown(rpt.data, indicator, rpt.scope, rpt.period, by).dropna(subset=["value"])
    if table.empty:
        display_markdown(f"*{title} : pas de données pour {rpt.period}.*")
        return
    if chart and len(table) > 1:
        rpt.breakdown_chart(table, title, unit, objective=objective)
    if unit == "count":
        out = pd.DataFrame({by_title(rpt, by): table["label"], count_label: [fr_number(x) for x in table["value"]]})
        display_html(html_table(out, align_right=[count_label], caption=title))
    else:
        rpt.show_table(table, unit, group_title=by_title(rpt, by), count_label=count_label, caption=title)


def show_counts(rpt: Report, by: str) -> None:
    """Artists' interventions and practices relying on digital, by group, in one table."""
    a = breakdown(rpt.data, "eac_artist_digital_interventions", rpt.scope, rpt.period, by)
    p = breakdown(rpt.data, "eac_digital_practices", rpt.scope, rpt.period, by)
    if a.empty:
        display_markdown(f"*Aucun projet EAC recensé pour ce périmètre en {rpt.period}.*")
        return
    t = a[["label", "value"]].merge(p[["label", "value"]], on="label", suffixes=("_a", "_p"))
    t = t.sort_values("label", key=sort_key)
    out = pd.DataFrame({by_title(rpt, by): t["label"],
                        "Projets avec intervention d'artiste numérique": [fr_number(x) for x in t["value_a"]],
                        "Projets avec pratique artistique numérique": [fr_number(x) for x in t["value_p"]]})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Projets dont une intervention d'artiste ou la pratique s'appuie sur le "
                                     f"numérique, {rpt.period}"))


def show_gaps(rpt: Report) -> None:
    """The pole (Limoges) against the other academies and rural against urban, year by year."""
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
            a_label: [f"{_fmt(v)} ({fr_number(n)} projets)" for v, n in zip(t["rate_a"], t["a_projects"], strict=True)],
            b_label: [f"{_fmt(v)} ({fr_number(n)} projets)" for v, n in zip(t["rate_b"], t["b_projects"], strict=True)],
            "Écart (points)": [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                               for v, lo, hi in zip(t["diff"], t["diff_low"], t["diff_high"], strict=True)],
            "p (test)": [fmt_p_value(x) for x in t["p_value"]],
        })
        display_html(html_table(out, align_right=list(out.columns[1:]),
                                 caption=f"Part des projets mobilisant le numérique : {a_label} / {b_label.lower()}"))
        cur = t[t["period"] == rpt.period]
        if not cur.empty:
            c = cur.iloc[0]
            sign = "d'avance" if c["diff"] > 0 else "de retard"
            sig = "écart significatif" if c["p_value"] < 0.05 else "écart non significatif"
            sentences.append(f"En {rpt.period}, {a_subject} {_fmt(abs(c['diff']), 'percent_points')} {sign} "
                             f"sur {b_subject} ({sig}, p {fmt_p_value(c['p_value'])}).")
    if sentences:
        display_markdown(" ".join(sentences))


def show_group_tests(rpt: Report, by: str, title: str) -> None:
    """Each group against the rest (establishments as clusters, Holm)."""
    t = group_tests(rpt.data, rpt.scope, rpt.period, by)
    if len(t) < 2:
        return
    out = pd.DataFrame({
        title: t["label"], "Projets": [fr_number(x) for x in t["projects"]], "Part": [_fmt(x) for x in t["rate"]],
        "Reste du périmètre": [_fmt(x) for x in t["rest"]],
        "Écart (points)": [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                           for v, lo, hi in zip(t["diff"], t["diff_low"], t["diff_high"], strict=True)],
        "p": [fmt_p_value(x) for x in t["p_value"]], "p ajusté (Holm)": [fmt_p_value(x) for x in t["p_holm"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Chaque groupe comparé au reste du périmètre, {rpt.period}"))


def show_trend_test(rpt: Report) -> None:
    """The logistic trend of the digital share, in a sentence."""
    t = digital_share_trend(rpt.data, rpt.scope, up_to=rpt.period)
    if t["n_years"] < 2 or not np.isfinite(t["odds_ratio"]):
        display_markdown("*Une seule année observée : pas de tendance estimable.*")
        return
    sig = "significative" if t["p_value"] < 0.05 else "non significative"
    display_markdown(
        f"Sur {t['n_years']} années, la part des projets mobilisant le numérique évolue de "
        f"**{_fmt(t['points_per_year'], 'percent_points', False)} point par an** en moyenne (intervalle à 95 % "
        f"{_interval(t['points_low'], t['points_high'], 'percent_points')} ; rapport de cotes annuel "
        f"{fr_number(t['odds_ratio'], 2)}, p {fmt_p_value(t['p_value'])}) : tendance {sig} (régression logistique "
        "sur les projets par établissement et par année).")


def show_training(rpt: Report) -> None:
    """Training actions per year with their sessions, trainees and INSPE share."""
    t = training_table(rpt.data, rpt.scope, up_to=rpt.period)
    if t.empty:
        display_markdown("*Aucun fichier de formation dans le dossier de données.*")
        return
    out = pd.DataFrame({
        "Année scolaire": t["period"], "Actions (modules)": [fr_number(x) for x in t["actions"]],
        "dont INSPE": [fr_number(x) for x in t["inspe_actions"]], "Sessions": [fr_number(x) for x in t["sessions"]],
        "Stagiaires": [fr_number(x) for x in t["trainees"]], "Journées stagiaires": [fr_number(x) for x in t["trainee_days"]],
    })
    if rpt.scope == referential.REGION_SCOPE:
        out["Académies concernées"] = [fr_number(x) for x in t["academies"]]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Actions de formation « numérique et EAC » par année scolaire"))


def show_resources(rpt: Report) -> None:
    """Resources flagged and model actions per year against the objectives."""
    t = resources_table(rpt.data, rpt.scope, up_to=rpt.period)
    if t.empty:
        display_markdown("*Aucune liste de ressources EAC dans le dossier de données.*")
        return
    out = pd.DataFrame({
        "Année scolaire": t["period"], "Ressources repérées": [fr_number(x) for x in t["resources"]],
        "Actions exemplaires valorisées": [fr_number(x) for x in t["model_actions"]],
        "Domaines artistiques couverts": [fr_number(x) for x in t["domains"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Ressources et actions exemplaires par année (objectifs régionaux : une "
                                     "cinquantaine et 7 à 10 par an)"))


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
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
    no_territory = projects_without_territory(rpt.data, rpt.scope, rpt.period)
    if no_territory:
        notes.append(f"**Territoire** : {no_territory} projet(s) d'établissements absents de l'annuaire ou de la "
                     "grille de densité ne sont pas classés rural / urbain.")
    if not rpt.data.has("formations"):
        notes.append("**Formations** : pas de fichier GAIA dans le dossier de données.")
    return notes
