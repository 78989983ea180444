"""What the report of target 1.1 shows: Pix Orga spaces and pupils' Pix certification.

The opening sentences (:func:`key_messages`), the Pix Orga statuses of the scope and the
roadmap's January 2021 table against the data, the histogram of certified pupils' scores
against the 128 / 256 pix objectives, and the caveats of the method section
(:func:`coverage_notes`). The numbers come from :mod:`drane_analysis.targets.t1_1_pix`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..formatting import BLUE, PALETTE, RED, fmt_value, fr_number
from ..periods import Period
from ..render import (
    display_html,
    display_markdown,
    gap_sentence,  # noqa: F401  (used by the notebook as vue.gap_sentence)
    html_table,
    published_scope_counts,
    show_figure,
)
from ..targets.t1_1_pix import (
    SCORE_BINS,
    UNRATED_REASONS,
    baseline_check,
    coverage_figures,
    design_effects,
    score_bins,
    score_distribution,
    status_distribution,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "1.1"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = {i: rpt.row(i) for i in rpt.table["indicator"]}
    lines = []
    if "pix_orga_activation_rate" in r:
        a = r["pix_orga_activation_rate"]
        lines.append(f"- **{fmt_value(a['value'], 'percent')}** des établissements du second degré ont un espace "
                     f"Pix Orga actif ({fr_number(a['numerator'])} sur {fr_number(a['denominator'])}), pour un objectif de "
                     f"100 % ; {fmt_value(r['pix_orga_campaign_rate']['value'], 'percent')} ont lancé une "
                     "campagne de rentrée.")
    for level, label in (("3e", "de 3e"), ("terminale", "de terminale")):
        rate, score = r.get(f"pix_certification_rate_{level}"), r.get(f"pix_mean_score_{level}")
        if rate is None or pd.isna(rate["value"]):
            continue
        cov = rate.get("coverage", np.nan)
        partial = "" if pd.isna(cov) or cov >= 100 else (
            f" ; couverture {coverage.format_share(cov)}{', statut suspendu' if rate['status'] == coverage.WITHHELD else ''}")
        text = (f"- **{fmt_value(rate['value'], 'percent')}** des élèves {label} sont certifiés "
                f"({fr_number(rate['numerator'])} sur {fr_number(rate['denominator'])} inscrits{partial})")
        if score is not None and pd.notna(score["value"]):
            cmp = "au-dessus" if score["value"] >= score["objective"] else "en dessous"
            text += (f" ; leur score moyen, **{fmt_value(score['value'], 'pix')}**, est {cmp} de l'objectif de "
                     f"{fmt_value(score['objective'], 'pix')}")
        lines.append(text + ".")
    return "\n".join(lines)


def show_status_distribution(rpt: Report) -> None:
    """Pix Orga statuses of the scope (with the roadmap's January 2021 shares where they apply)."""
    dist = status_distribution(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Statut Pix Orga": dist["label"],
        "Établissements": [fr_number(x) for x in dist["count"]],
        "Part": [fmt_value(x, "percent") for x in dist["share"]],
    })
    if dist["baseline_share"].notna().any():
        out["Feuille de route (janv. 2021)"] = [fmt_value(x, "percent") for x in dist["baseline_share"]]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Statut des espaces Pix Orga ({fr_number(dist.attrs['total'])} établissements)"))


def show_baseline(rpt: Report) -> None:
    """The roadmap's January 2021 table against the data (only for its school year)."""
    check = baseline_check(rpt.data)
    baseline_period = Period.of_date(pd.Timestamp(rpt.target.baseline["date"])).label
    if check.empty or rpt.period != baseline_period:
        display_markdown("*Le point d'étape de la feuille de route (janvier 2021) ne concerne que l'année "
                          "2020-2021.*")
        return
    def pct(x: float) -> str:
        return "—" if pd.isna(x) else fr_number(x, 2) + "\u202f%"

    rows = []
    for label, part in check.groupby("label", sort=False):
        row = {"Statut": label}
        for rec in part.itertuples(index=False):
            name = referential.ACADEMIES[rec.academy].name
            row[f"{name} : feuille de route / données"] = f"{pct(rec.roadmap)} / {pct(rec.computed)}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    display_html(html_table(frame, align_right=list(frame.columns[1:]),
                             caption="Point d'étape de janvier 2021 : feuille de route et données"))


def score_histogram(rpt: Report) -> None:
    """Distribution of validated scores by level, with the 128 / 256 objectives."""
    import matplotlib.pyplot as plt

    frame = score_distribution(rpt.data, rpt.scope, rpt.period)
    if frame.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    for k, level in enumerate(("3e", "terminale")):
        scores = frame.loc[frame["level"] == level, "score"].astype(float)
        if scores.empty:
            continue
        ax.hist(scores, bins=SCORE_BINS, alpha=0.55, color=[BLUE, PALETTE[1]][k], label=f"{level} (n = {len(scores)})")
        objective = rpt.row(f"pix_mean_score_{level}")["objective"]
        ax.axvline(objective, color=[BLUE, PALETTE[1]][k], ls="--")
        ax.axvline(scores.mean(), color=RED if scores.mean() < objective else "#18753C", lw=1)
        alt.append(f"{level} : médiane {fmt_value(scores.median(), 'pix')}, moyenne {fmt_value(scores.mean(), 'pix')}, "
                   f"objectif {fmt_value(objective, 'pix')}")
    ax.set_xlabel("score de certification (pix)")
    ax.set_ylabel("certifiés")
    ax.set_title("Scores des élèves certifiés (tirets : objectifs 128 et 256 pix)", loc="left")
    ax.legend(frameon=False)
    def bins_of(scope: str) -> pd.DataFrame:
        return score_bins(rpt.data, scope, rpt.period).rename(columns={
            "low": "Score de (pix)", "high": "à moins de (pix)", "3e": "Certifiés en 3e",
            "terminale": "Certifiés en terminale"})

    # The pupils by score band: small bands are secret, protected with the other scopes' histograms.
    data = published_scope_counts(rpt.data, f"1.1:score_histogram:{rpt.period}", bins_of, rpt.scope,
                                  ["Certifiés en 3e", "Certifiés en terminale"], by="Score de (pix)")
    show_figure(fig, "Histogramme des scores Pix. " + " ; ".join(alt), data=data, name="scores Pix des certifiés")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    figures = coverage_figures(rpt.data, rpt.scope, rpt.period)
    notes = [
        "**Niveau des élèves** : les sessions Pix Certif ne portent pas la classe ; le niveau est déduit du "
        "type d'établissement (collège et EREA : 3e ; lycée : terminale).",
        "**Élèves et non certifications** : l'export ne porte pas d'identifiant d'élève ; chaque élève est "
        "reconnu à ses nom, prénom et date de naissance (remplacés à la lecture par un numéro) et ne compte "
        f"qu'une fois par établissement et par année ; cette année, {fr_number(figures['merged'])} certification(s) de plus "
        f"du même élève sont ainsi regroupées. {fr_number(figures['other_types'])} certification(s) d'un autre type "
        "(CléA Numérique, Pix+…) ne sont pas comptées, ni dans le taux ni dans le score.",
        "**Dénominateur** : élèves inscrits en 3e et en terminale (toutes voies) selon les fichiers d'effectifs "
        f"de la DEPP ; {figures['no_session']} établissement(s) du périmètre n'ont tenu aucune session cette année et "
        "comptent pour 0 certifié.",
        "**Score moyen** : moyenne du score de la dernière certification validée de chaque élève certifié, "
        "y compris dans les établissements absents des fichiers d'effectifs (le taux, lui, les écarte).",
        "**Pix Orga** : statut au point d'étape de janvier de l'année scolaire (comme dans la feuille de route) ; "
        "les établissements sont des unités indépendantes (intervalle de Wilson).",
        interval_note(figures["establishments"]),
    ]
    for reason, (count, candidates) in figures["unrated"].items():
        label = coverage.plural(UNRATED_REASONS[reason], count)
        notes.append(f"**Hors taux** : {fr_number(count)} {label} ; leurs {fr_number(candidates)} "
                     "candidats ne comptent ni au numérateur ni au dénominateur des taux.")
    if figures["over"]:
        notes.append(f"**Plus de certifiés que d'inscrits** : {fr_number(figures['over'])} établissement(s) (écart entre "
                     "les effectifs de la rentrée et les candidats de la session) ; le taux n'est pas plafonné, la "
                     "note de l'indicateur donne sa valeur avec chaque établissement ramené à ses inscrits.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes


def interval_note(cert: pd.DataFrame) -> str:
    """The method note on the certification intervals, with the year's design effects.

    ``cert``: :func:`~drane_analysis.targets.t1_1_pix.certification_by_establishment` rows of
    the scope and year.
    """
    effects = design_effects(cert)
    text = ("**Intervalles des taux et des scores** : les élèves sont regroupés dans leurs établissements, qui "
            "décident de tenir une session (un établissement sans session donne 0 pour tous ses élèves) ; les "
            "intervalles prennent donc les établissements comme grappes, non les élèves un à un.")
    if effects:
        text += (" Cette année, l'effet de plan (la variance du taux ainsi calculée, rapportée à celle d'élèves "
                 "qui seraient indépendants) vaut " + " et ".join(f"{fr_number(d, 1)} en {lv}" for lv, d in effects)
                 + " : un intervalle de Wilson serait " + " et ".join(f"{fr_number(np.sqrt(d), 1)}" for _, d in effects)
                 + " fois trop étroit.")
    return text
