"""What the 2.2 report shows: territories incubating digital uses (training establishments).

The criteria in force and each one's share of the candidates, the number of criteria met,
how the count of training establishments depends on the thresholds, the training
establishments by department, type and academy and their list, then the SAMR profile of
the reported practices (the year's levels and their history), the key messages opening the
report and the caveats of its method section. The numbers come from
:mod:`drane_analysis.targets.t2_2_territoires_incubateurs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formatting import fmt_interval, fmt_value, fr_number
from ..privacy import protect
from ..render import (
    display_html,
    display_markdown,
    gap_sentence,  # noqa: F401  (used by the notebook as vue.gap_sentence)
    html_table,
    show_figure,
)
from ..targets.t2_2_territoires_incubateurs import (
    SAMR_LABELS,
    SAMR_ORDER,
    YAML_NAME,
    breakdown,
    candidate_count,
    candidates_by_academy,
    criteria_count_distribution,
    criteria_table,
    load_criteria,
    practice_establishments,
    samr_history,
    samr_profile,
    sensitivity_table,
    training_establishment_list,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "2.2"


def no_objective_notice() -> str:
    return ("**La feuille de route ne fixe aucun objectif chiffré pour cette cible.** Les indicateurs ci-dessous "
            "mesurent où en sont les établissements candidats au regard des critères qu'elle décrit ; les seuils "
            "qui définissent « remplir les critères » sont des paramètres de l'analyse "
            f"(`params/targets/{YAML_NAME}`), pas des objectifs.")


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    r = {i: rpt.row(i) for i in rpt.table["indicator"]}
    if "training_establishments" in r and not r["training_establishments"]["denominator"]:
        lines.append(f"- Aucun établissement de ce périmètre n'a candidaté en {rpt.period}.")
    elif "training_establishments" in r:
        t = r["training_establishments"]
        lines.append(f"- **{fr_number(t['value'])}** établissement(s) candidat(s) sur {fr_number(t['denominator'])} "
                     "remplissent tous les critères d'un « établissement formateur ».")
    if "staff_digital_skills_share" in r and pd.notna(r["staff_digital_skills_share"]["value"]):
        s = r["staff_digital_skills_share"]
        lines.append(f"- **{fmt_value(s['value'], 'percent')}** des personnels des établissements candidats ont des "
                     f"compétences numériques reconnues (Pix, Pix+ Édu) — intervalle à 95 % "
                     f"{fmt_interval(s['ci_low'], s['ci_high'], 'percent')}.")
    if "samr_transformative_share" in r and pd.notna(r["samr_transformative_share"]["value"]):
        s = r["samr_transformative_share"]
        lines.append(f"- **{fmt_value(s['value'], 'percent')}** des pratiques déclarées relèvent de la modification "
                     f"ou de la redéfinition (SAMR), sur {fr_number(s['denominator'])} pratiques — intervalle à 95 % "
                     f"{fmt_interval(s['ci_low'], s['ci_high'], 'percent')}.")
    return "\n".join(lines)


def _no_candidates(rpt: Report, say: bool = False) -> bool:
    """True (and, with ``say``, a sentence) when the scope has no candidate this school year."""
    if candidate_count(rpt.data, rpt.scope, rpt.period):
        return False
    if say:
        display_markdown(f"*Aucun établissement candidat dans ce périmètre en {rpt.period} : rien à mesurer.*")
    return True


def criteria_markdown() -> str:
    """The criteria in force, as a French Markdown list (from the YAML)."""
    return "\n".join(f"- {c.label}" for c in load_criteria())


def show_training_breakdown(rpt: Report, by: str, title: str) -> None:
    """Training establishments by ``department`` or ``kind``: candidates, count, share (interval)."""
    if _no_candidates(rpt):
        return
    table = breakdown(rpt.data, "training_establishments", rpt.scope, rpt.period, by)
    if table.empty:
        return
    out = pd.DataFrame({
        title: table["label"],
        "Candidats": [fr_number(x) for x in table["denominator"]],
        "Établissements formateurs": [fr_number(x) for x in table["value"]],
        "Part des candidats": [fmt_value(x, "percent") for x in table["share"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent") for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                                                strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Établissements formateurs — {title.lower()}, {rpt.period}"))


def show_criteria(rpt: Report) -> None:
    if _no_candidates(rpt, say=True):
        return
    table = criteria_table(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Critère": table["label"],
        "Établissements qui le remplissent": [fr_number(x) for x in table["numerator"]],
        "Part des candidats": [fmt_value(x, "percent") for x in table["value"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent") for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                                                strict=True)],
    })
    n = int(table["denominator"].iloc[0]) if len(table) else 0
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Critères des établissements formateurs — {fr_number(n)} candidats, {rpt.period}"))


def criteria_chart(rpt: Report) -> None:
    """Share of candidates meeting each criterion, with intervals."""
    if _no_candidates(rpt):
        return
    table = criteria_table(rpt.data, rpt.scope, rpt.period)
    crit = {c.id: c.short for c in load_criteria()}
    frame = table.assign(label=table["id"].map(crit).fillna("Tous les critères"))
    rpt.breakdown_chart(frame, "Part des candidats remplissant chaque critère", "percent")


def show_criteria_count(rpt: Report) -> None:
    if _no_candidates(rpt):
        return
    dist = criteria_count_distribution(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({"Critères remplis": [f"{k} sur {len(dist) - 1}" for k in dist["criteria_met"]],
                        "Établissements": [fr_number(x) for x in dist["count"]],
                        "Part": [fmt_value(x, "percent") for x in dist["share"]]})
    display_html(html_table(out, align_right=["Établissements", "Part"],
                             caption="Établissements candidats selon le nombre de critères remplis"))


def show_sensitivity(rpt: Report) -> None:
    if _no_candidates(rpt):
        return
    table = sensitivity_table(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        return
    out = table.copy()
    out.columns = [f"≥ {fr_number(c)} formateur(s)" if out.columns.name == "trainer_teachers" else str(c)
                   for c in out.columns]
    out.insert(0, "Personnels certifiés", [f"≥ {fr_number(v)} %" for v in table.index])
    out = out.astype(str)
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Établissements formateurs selon les seuils retenus (les autres critères inchangés)"))


def show_training_list(rpt: Report) -> None:
    if _no_candidates(rpt):
        return
    table = training_establishment_list(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        display_markdown("*Aucun établissement candidat ne remplit tous les critères cette année.*")
        return
    # Teachers of one named establishment: a count under the threshold is secret.
    p = protect(table, ["trainer_teachers"], partition=False)
    out = pd.DataFrame({"UAI": table["uai"], "Établissement": table["name"], "Département": table["department_label"],
                        "Type": table["kind_label"],
                        "Personnels certifiés": [fmt_value(x, "percent") for x in table["staff_certified_share"]],
                        "Formateurs certifiés": p.text("trainer_teachers", fr_number)})
    display_html(html_table(out, align_right=["Personnels certifiés", "Formateurs certifiés"],
                             caption="Établissements remplissant tous les critères") + p.note_html())


def show_candidates_by_academy(rpt: Report) -> None:
    table = candidates_by_academy(rpt.data, rpt.period)
    out = pd.DataFrame({"Académie": table["label"], "Candidats": [fr_number(x) for x in table["candidates"]],
                        "Part des candidats": [fmt_value(x, "percent") for x in table["share"]],
                        "Établissements formateurs": [fr_number(x) for x in table["training"]]})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Candidats par académie (région), {rpt.period}"))


def samr_chart(rpt: Report) -> None:
    """SAMR profile of the year: share of each level with its interval."""
    prof = samr_profile(rpt.data, rpt.scope, rpt.period)
    if prof["denominator"].iloc[0] == 0:
        return
    frame = prof.assign(label=prof["level"] + " — " + prof["label"])
    rpt.breakdown_chart(frame, f"Profil SAMR des pratiques déclarées — {rpt.period}", "percent")


def samr_history_chart(rpt: Report) -> None:
    """Stacked shares of S, A, M, R over the school years."""
    import matplotlib.pyplot as plt

    hist = samr_history(rpt.data, rpt.scope, rpt.period)
    if hist.empty:
        return
    pivot = hist.pivot_table(index="period", columns="level", values="value", aggfunc="first").reindex(columns=list(SAMR_ORDER)).fillna(0)
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    colours = ["#CECECE", "#9A9AFF", "#6A6AF4", "#000091"]
    bottom = np.zeros(len(pivot))
    for level, colour in zip(SAMR_ORDER, colours, strict=True):
        ax.bar(pivot.index, pivot[level], bottom=bottom, color=colour, label=f"{level} — {SAMR_LABELS[level]}")
        bottom += pivot[level].to_numpy()
    ax.set_ylabel("% des pratiques déclarées")
    ax.set_ylim(0, 100)
    ax.set_title("Profil SAMR par année scolaire", loc="left")
    ax.legend(fontsize=8, frameon=False, ncol=4, loc="lower center", bbox_to_anchor=(0.5, -0.32))
    alt = "; ".join(f"{p} : M + R = {fmt_value(pivot.loc[p, 'M'] + pivot.loc[p, 'R'], 'percent')}"
                    for p in pivot.index)
    data = pivot.reset_index().rename(columns={"period": "Année scolaire", **{lv: f"{lv} — {SAMR_LABELS[lv]} (%)"
                                                                              for lv in SAMR_ORDER}})
    show_figure(fig, "Barres empilées du profil SAMR par année. " + alt, data=data, name="profil SAMR par annee")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    crit = load_criteria()
    notes = ["**Aucun objectif** : la feuille de route ne chiffre pas cette cible ; les statuts sont « sans "
             "objectif chiffré ».",
             "**Critères** (paramètres de l'analyse, `params/targets/" + YAML_NAME + "`) : "
             + " ; ".join(c.label for c in crit) + "."]
    if rpt.data.has("incubateurs"):
        notes.append("**Candidats** : seuls les établissements qui ont candidaté sont décrits ; ce ne sont pas "
                     "tous les établissements du territoire. Les personnels certifiés sont ceux que l'établissement "
                     "déclare.")
    if rpt.data.has("pratiques_samr"):
        n = practice_establishments(rpt.data, rpt.scope, rpt.period)
        if n:
            notes.append("**Pratiques SAMR** : déclarées par les enseignants des établissements candidats "
                         "(échantillon volontaire, non représentatif : aucun intervalle ne corrige ce choix). Les "
                         "déclarations d'un même établissement se ressemblent : les intervalles et les tests "
                         f"prennent les établissements comme grappes ({fr_number(n)} établissements cette année), "
                         "non les pratiques une à une.")
    return notes
