"""What the 2.3 report shows: the vocational track through digital.

The virtual / augmented reality training of the year, the tests of the conversational-agent
use between lycée types (LP, LPO and, where the agents file names them, LEGT) and its
history by type, the intensity of use among user lycées, the SAMR practices of vocational
and general lycées, the sentence on what the agents file covers, the key messages opening
the report and the caveats of its method section. The numbers come from
:mod:`drane_analysis.targets.t2_3_voie_pro`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import PALETTE, RED, fmt_interval, fmt_value, fr_number, status_phrase
from ..periods import Period
from ..render import (
    display_html,
    gap_sentence,  # noqa: F401  (used by the notebook as vue.gap_sentence)
    html_table,
    show_figure,
)
from ..targets.t2_3_voie_pro import (
    LYCEE_TYPE_LABELS,
    PERMUTATIONS,
    VR_DOMAIN,
    compare_lycee_types,
    establishment_usage,
    intensity_table,
    lycee_type_history,
    lycee_usage,
    samr_by_track,
)
from .v2_1_inclusion import show_training_theme, training_note

if TYPE_CHECKING:
    from ..report import Report

TARGET = "2.3"


def verdict(p_value: float, alpha: float = 0.05) -> str:
    """French verdict of a test at the 5 % level."""
    if p_value is None or not np.isfinite(p_value):
        return "test impossible (un groupe vide)"
    p = f"{p_value:.3f}".replace(".", ",") if p_value >= 0.001 else "< 0,001"
    sign = "=" if p_value >= 0.001 else ""
    if p_value < alpha:
        return f"p {sign} {p} : l'écart est significatif au seuil de 5 %".replace("  ", " ")
    return f"p {sign} {p} : l'écart n'est pas significatif au seuil de 5 %".replace("  ", " ")


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    r = rpt.table.set_index("indicator")
    if "vr_ar_training_days" in r.index and pd.notna(r.loc["vr_ar_training_days", "value"]):
        v = r.loc["vr_ar_training_days"]
        text = f"- **{fmt_value(v['value'], 'trainee_days')}** de formation à la réalité virtuelle ou augmentée"
        region = rpt.series[(rpt.series["indicator"] == "vr_ar_training_days")
                            & (rpt.series["academy"] == referential.REGION_SCOPE) & (rpt.series["period"] == rpt.period)]
        obj = rpt.catalogue.objective_for("vr_ar_training_days", referential.REGION_SCOPE, rpt.period)
        if rpt.scope != referential.REGION_SCOPE and not region.empty:
            text += f" ({fmt_value(region['value'].iloc[0], 'trainee_days')} dans la région"
            if obj:
                ok = "atteint" if region["value"].iloc[0] >= obj.objective.value else "non atteint"
                text += f", pour un objectif régional de {fmt_value(obj.objective.value, 'trainee_days')} : {ok}"
            text += ")"
        elif obj:
            ok = "atteint" if v["value"] >= obj.objective.value else "non atteint"
            text += f", pour un objectif de {fmt_value(obj.objective.value, 'trainee_days')} ({ok})"
        lines.append(text + ".")
    est = "conversational_agents_establishments_rate"
    if est in r.index and pd.notna(r.loc[est, "value"]):
        v = r.loc[est]
        ok = f", pour un objectif de {fmt_value(v['objective'], 'percent')} : {status_phrase(v)}" if pd.notna(
            v["objective"]) else ""
        lines.append(f"- **{fmt_value(v['value'], 'percent')}** des établissements du second degré (collèges, lycées, "
                     f"EREA) ont utilisé un agent conversationnel ({fr_number(v['numerator'])} sur "
                     f"{fr_number(v['denominator'])} ; intervalle à 95 % "
                     f"{fmt_interval(v['ci_low'], v['ci_high'], 'percent')}){ok}.")
    if "conversational_agents_rate" in r.index and pd.notna(r.loc["conversational_agents_rate", "value"]):
        v = r.loc["conversational_agents_rate"]
        lines.append(f"- Dans les lycées à voie professionnelle, champ du pôle (lecture plus étroite, suivie sans "
                     f"objectif) : **{fmt_value(v['value'], 'percent')}** ({fr_number(v['numerator'])} sur "
                     f"{fr_number(v['denominator'])} ; intervalle à 95 % "
                     f"{fmt_interval(v['ci_low'], v['ci_high'], 'percent')}).")
        cmp = compare_lycee_types(rpt.data, rpt.scope, rpt.period)
        lp = cmp[cmp["comparison"] == "lp_lpo"]
        if not lp.empty and pd.notna(lp.iloc[0]["diff"]):
            c = lp.iloc[0]
            lines.append(f"- Lycées professionnels : {fmt_value(c['rate1'], 'percent')} ; lycées polyvalents : "
                         f"{fmt_value(c['rate2'], 'percent')} ({verdict(c['p_value'])}).")
    return "\n".join(lines)


def show_training(rpt: Report) -> None:
    """VR/AR training: sessions, modules, trainees and trainee-days of the year."""
    show_training_theme(rpt, VR_DOMAIN, "RV / RA et jumeaux numériques")


def show_comparison(rpt: Report) -> None:
    """The tests of the difference between lycée types, as a table."""
    cmp = compare_lycee_types(rpt.data, rpt.scope, rpt.period)
    if cmp.empty:
        return
    out = pd.DataFrame({
        "Comparaison": cmp["label"],
        "Taux 1": [fmt_value(x, "percent") for x in cmp["rate1"]],
        "Taux 2": [fmt_value(x, "percent") for x in cmp["rate2"]],
        "Lycées (1 / 2)": [f"{fr_number(a)} / {fr_number(b)}" for a, b in zip(cmp["n1"], cmp["n2"], strict=True)],
        "Écart (points)": [fmt_value(x, "percent_points", False) for x in cmp["diff"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent_points") for lo, hi in zip(cmp["ci_low"], cmp["ci_high"],
                                                                                       strict=True)],
        "Test exact de Fisher": [verdict(p) for p in cmp["p_value"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:6]),
                             caption=f"Écarts d'usage entre types de lycées — {rpt.scope_label}, {rpt.period}"))


def lycee_type_chart(rpt: Report) -> None:
    """Usage rate by lycée type over the school years, with intervals."""
    import matplotlib.pyplot as plt

    hist = lycee_type_history(rpt.data, rpt.scope, rpt.period)
    if hist.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    for k, (group, part) in enumerate(hist.groupby("group", sort=False)):
        part = part.dropna(subset=["value"])
        if part.empty:
            continue
        x = [Period.parse(p).start for p in part["period"]]
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(x, part["value"], marker="o", color=colour, label=LYCEE_TYPE_LABELS.get(group, group))
        ax.fill_between(x, part["ci_low"].astype(float), part["ci_high"].astype(float), color=colour, alpha=0.15, lw=0)
        alt.append(f"{group} : " + ", ".join(f"{p} {fmt_value(v, 'percent')}" for p, v in zip(part["period"], part["value"],
                                                                                              strict=True)))
    objective = rpt.row("conversational_agents_rate")["objective"]
    if pd.notna(objective):
        ax.axhline(objective, color=RED, ls=":", lw=1.3)
    years = sorted({Period.parse(p).start for p in hist["period"]})
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_ylabel("% des lycées")
    ax.set_title("Lycées utilisant un agent conversationnel, par type", loc="left")
    ax.legend(frameon=False, fontsize=8)
    data = pd.DataFrame({"Type de lycée": [LYCEE_TYPE_LABELS.get(g, g) for g in hist["group"]],
                         "Année scolaire": hist["period"], "Lycées utilisateurs (%)": hist["value"],
                         "Borne basse IC 95 %": hist["ci_low"], "Borne haute IC 95 %": hist["ci_high"]})
    show_figure(fig, "Évolution de la part des lycées utilisateurs par type. " + " ; ".join(alt), data=data,
                name="lycees utilisateurs par type")


def short_verdict(p_value: float) -> str:
    """« p = 0,252 (non significatif) », for narrow table cells."""
    if p_value is None or not np.isfinite(p_value):
        return "test impossible"
    text = f"p = {p_value:.3f}".replace(".", ",") if p_value >= 0.001 else "p < 0,001"
    return f"{text} ({'significatif' if p_value < 0.05 else 'non significatif'})"


def show_intensity(rpt: Report) -> None:
    """Mean classes, sessions and pupils per user lycée, LP and LPO, with Welch's test."""
    table = intensity_table(rpt.data, rpt.scope, rpt.period)
    names = {"classes": "Classes utilisatrices", "sessions": "Séances", "pupils": "Élèves concernés"}
    sizes = table[table["group"] != "test"].groupby("group")["n"].max()
    rows = []
    for measure, part in table.groupby("measure", sort=False):
        row = {"Par lycée utilisateur": names[measure]}
        for rec in part.itertuples(index=False):
            if rec.group == "test":
                row["Écart LP / LPO (test de Welch, p ajusté de Holm)"] = short_verdict(rec.value)
                continue
            low = max(0.0, rec.ci_low) if pd.notna(rec.ci_low) else rec.ci_low
            row[f"{rec.group} ({fr_number(sizes.get(rec.group, 0))} lycées)"] = (
                f"{fr_number(rec.value, 1)} {fmt_interval(low, rec.ci_high, 'index')}" if pd.notna(rec.value) else "—")
        rows.append(row)
    out = pd.DataFrame(rows)
    display_html(html_table(out, align_right=[c for c in out.columns[1:] if not c.startswith("Écart")],
                             caption="Intensité d'usage dans les lycées utilisateurs : moyenne et intervalle à 95 %"))


def show_samr(rpt: Report) -> str:
    """SAMR share by track, as a table; returns the sentence on the test (Markdown)."""
    table, test = samr_by_track(rpt.data, rpt.scope, rpt.period)
    if table.empty or table["denominator"].fillna(0).eq(0).any():
        return ("*Les pratiques déclarées (établissements candidats de la cible 2.2) ne comptent pas, cette année et "
                "dans ce périmètre, à la fois des lycées à voie professionnelle et des lycées généraux : la "
                "comparaison n'est pas possible.*")
    rpt.show_table(table, "percent", group_title="Lycées", count_label="Pratiques déclarées",
                   caption="Part des pratiques de niveau Modification ou Redéfinition (SAMR), par voie")
    return (f"Écart (voie professionnelle − voie générale) : {fmt_value(test['diff'], 'percent_points')} "
            f"{fmt_interval(test['ci_low'], test['ci_high'], 'percent_points')} ; test par permutation des "
            f"établissements ({test['clusters1']} et {test['clusters2']} établissements) : {verdict(test['p_value'])}.")


def general_coverage_sentence(rpt: Report) -> str:
    if lycee_usage(rpt.data).attrs["general_covered"]:
        return ("Le fichier des agents conversationnels mentionne aussi des lycées généraux et technologiques : ils "
                "sont comparés aux lycées à voie professionnelle.")
    return ("Le fichier des agents conversationnels ne mentionne **aucun lycée général et technologique** : la "
            "plateforme n'est suivie que dans la voie professionnelle, et l'usage des LEGT n'est pas connu. La "
            "comparaison entre voies professionnelle et générale s'appuie donc sur les pratiques déclarées (SAMR) "
            "des établissements candidats de la cible 2.2.")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = []
    data = rpt.data
    if data.has("formations"):
        notes.append(training_note(rpt, VR_DOMAIN, "Réalité virtuelle / augmentée et jumeaux numériques"))
    if data.has("agents_conversationnels") and data.has("annuaire"):
        usage = lycee_usage(data)
        kinds = establishment_usage(data).attrs["registered_kinds"]
        absent = [label for kind, label in (("college", "aucun collège"), ("erea", "aucun EREA"))
                  if not kinds.get(kind)]
        notes.append("**Objectif de 30 %** : la feuille de route dit « 30 % des établissements », sans les limiter "
                     "aux lycées professionnels ; il est rapporté aux établissements du second degré (collèges, "
                     "lycées, EREA), publics et privés sous contrat, ouverts au 15 janvier de l'année scolaire selon "
                     "l'annuaire. Un établissement absent du fichier des agents compte comme non utilisateur"
                     + (f" : le fichier ne nomme {' ni '.join(absent)}, la plateforme n'y est donc suivie que dans "
                        "les lycées, et la part est une borne basse si d'autres établissements utilisent un agent "
                        "hors de ce suivi." if absent else "."))
        notes.append("**Lycées à voie professionnelle** (indicateur secondaire) : lycées professionnels (LP) et "
                     "polyvalents (LPO), publics et privés sous contrat, ouverts au 15 janvier ; un lycée est "
                     "utilisateur si au moins une classe a utilisé un agent dans l'année.")
        outside = establishment_usage(data).attrs.get("outside", 0)
        if outside:
            notes.append(f"**Hors champ** : {fr_number(outside)} ligne(s) d'usage (toutes années) concernent un "
                         "établissement qui n'est pas un établissement du second degré sous contrat de l'annuaire ; "
                         "elles ne sont pas comptées.")
        if usage.attrs.get("outside", 0) > outside:
            notes.append(f"**Collèges et EREA** : {fr_number(usage.attrs['outside'] - outside)} ligne(s) d'usage "
                         "(toutes années) concernent un collège ou un EREA : comptées dans la part des établissements, "
                         "pas dans celle des lycées.")
        if data.has("pratiques_samr"):
            notes.append("**Pratiques SAMR** : déclarations des enseignants des établissements candidats de la "
                         "cible 2.2 (source « Pratiques numériques déclarées ») ; échantillon volontaire, qui ne "
                         "représente pas tous les lycées.")
        notes.append("**Tests** : les lycées sont les unités (indépendantes) ; écart de deux proportions de lycées "
                     "avec l'intervalle de Newcombe et le test exact de Fisher ; moyennes par lycée utilisateur avec "
                     "l'intervalle de Student et le test de Welch, dont les trois p (classes, séances, élèves) sont "
                     "ajustées par la méthode de Holm ; pratiques SAMR, regroupées dans leurs établissements, "
                     f"comparées par un test de permutation ({PERMUTATIONS} tirages) qui déplace les établissements "
                     "entiers, leur intervalle prenant les établissements comme grappes.")
    return notes
