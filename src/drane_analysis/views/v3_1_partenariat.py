"""What the 3.1 report shows: partnership between the academies and the local authorities.

The steering committees held per partner authority in the year (chart) and per school year
against the minimum expected, the authorities below the minimum (named), the committees per
authority and year, the departments' committees and authorities met twice, the key
messages opening the report and the caveats of its method section. The numbers come from
:mod:`drane_analysis.targets.t3_1_partenariat`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formatting import BLUE_LIGHT, RED, fmt_interval, fmt_value, fr_number, status_phrase
from ..render import display_html, display_markdown, html_table, show_figure
from ..targets.t3_1_partenariat import (
    MINIMUM_PER_YEAR,
    authorities_of_year,
    breakdown,
    committees_by_year,
    committees_matrix,
    short_authorities,
    unmatched_by_reason,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "3.1"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    try:
        rate = rpt.row("authorities_min_committees_rate")
        count = rpt.row("steering_committees")
    except KeyError:
        return "*Aucun comité n'est enregistré pour cette année scolaire dans ce périmètre.*"
    n_auth = fr_number(rate["denominator"])
    text = f"- **{fr_number(count['value'])}** comités de pilotage ont été tenus avec les collectivités partenaires"
    if pd.notna(count["objective"]):
        text += f", pour un objectif d'au moins {fr_number(count['objective'])} par an : {status_phrase(count)}"
    lines.append(text + ".")
    if pd.notna(rate["value"]):
        lines.append(f"- Lecture plus stricte, suivie sans objectif : **{fmt_value(rate['value'], 'percent')}** des "
                     f"collectivités partenaires ont été réunies au moins {MINIMUM_PER_YEAR} fois en comité de "
                     f"pilotage ({fr_number(rate['numerator'])} sur {n_auth}) ; il aurait fallu "
                     f"{fr_number(count['denominator'] * MINIMUM_PER_YEAR)} comités pour réunir chacune deux fois.")
    short = short_authorities(rpt.data, rpt.scope, rpt.period)
    if short.empty:
        lines.append("- Aucune collectivité n'est en deçà du minimum cette année.")
    else:
        names = ", ".join(f"{r.name} ({r.steering})" for r in short.itertuples(index=False))
        lines.append(f"- **{len(short)}** collectivité(s) en deçà du minimum (comités tenus) : {names}.")
    return "\n".join(lines)


def show_short_authorities(rpt: Report) -> None:
    """The table naming the authorities below the minimum (or a sentence if none)."""
    short = short_authorities(rpt.data, rpt.scope, rpt.period)
    if short.empty:
        display_markdown(f"*Toutes les collectivités partenaires du périmètre ont tenu au moins "
                          f"{MINIMUM_PER_YEAR} comités de pilotage en {rpt.period}.*")
        return

    def last_year(x: object) -> str:
        if x is pd.NA or x is None:
            return "année non couverte"
        return "oui" if x else "non"

    out = pd.DataFrame({
        "Collectivité": short["name"],
        "Type": short["type_label"],
        "Département": short["department_label"],
        "Comités de pilotage": [fr_number(x) for x in short["steering"]],
        "Manquants": [fr_number(x) for x in short["shortfall"]],
        "Comités techniques": [fr_number(x) for x in short["technical"]],
        "En deçà l'année précédente": [last_year(x) for x in short["short_last_year"]],
        "Années en deçà": [f"{a} sur {b}" for a, b in zip(short["years_short"], short["years_covered"], strict=True)],
    })
    display_html(html_table(out, align_right=["Comités de pilotage", "Manquants", "Comités techniques"],
                             caption=f"Collectivités en deçà de {MINIMUM_PER_YEAR} comités de pilotage en "
                                     f"{rpt.period}"))


def show_matrix(rpt: Report) -> None:
    """Steering committees per authority and year (minimum reached or not), as a table."""
    matrix = committees_matrix(rpt.data, rpt.scope, rpt.period)
    if matrix.empty:
        display_markdown("*Pas de données de comités pour ce périmètre.*")
        return

    def cell(x: float) -> str:
        if pd.isna(x):
            return "—"
        mark = "" if x >= MINIMUM_PER_YEAR else " ✗"
        return f"{int(x)}{mark}"

    out = pd.DataFrame({"Collectivité": matrix.index})
    for period in matrix.columns:
        out[period] = [cell(x) for x in matrix[period]]
    display_html(html_table(out, align_right=list(matrix.columns),
                             caption=f"Comités de pilotage par collectivité et par année (✗ : moins de "
                                     f"{MINIMUM_PER_YEAR} ; — : pas partenaire cette année-là)"))


def show_departments(rpt: Report) -> None:
    """Table: steering committees held and expected, by department (the Région apart)."""
    count = breakdown(rpt.data, "steering_committees", rpt.scope, rpt.period, "department")
    rate = breakdown(rpt.data, "authorities_min_committees_rate", rpt.scope, rpt.period, "department")
    rate = rate.set_index("group")
    out = pd.DataFrame({
        "Département": count["label"],
        "Collectivités partenaires": [fr_number(x) for x in count["denominator"]],
        "Comités de pilotage tenus": [fr_number(x) for x in count["value"]],
        "Minimum attendu": [fr_number(x) for x in count["expected"]],
        "Collectivités réunies 2 fois": [
            f"{fr_number(rate.loc[g, 'numerator'])} ({fmt_value(rate.loc[g, 'value'], 'percent')} "
            f"{fmt_interval(rate.loc[g, 'ci_low'], rate.loc[g, 'ci_high'], 'percent')})" for g in count["group"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Comités de pilotage par département ({rpt.period})"))


def committees_trend(rpt: Report) -> None:
    """Bars: steering committees held per school year, against the minimum expected."""
    import matplotlib.pyplot as plt

    table = committees_by_year(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        return
    fig, ax = plt.subplots()
    x = np.arange(len(table))
    ax.bar(x, table["held"], color=BLUE_LIGHT, edgecolor="#161616", lw=0.5, label="comités de pilotage tenus")
    ax.step(np.r_[x - 0.5, x[-1] + 0.5], np.r_[table["expected"], table["expected"].iloc[-1]], where="post",
            color=RED, ls="--", label=f"minimum attendu ({MINIMUM_PER_YEAR} par collectivité)")
    for k, (held, short) in enumerate(zip(table["held"], table["short"], strict=True)):
        ax.text(k, held, f"{held}\n{short} en deçà" if short else f"{held}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [f"{p[:4]}-{p[7:]}" for p in table.index])
    ax.set_ylabel("comités")
    ax.set_ylim(0, max(table["held"].max(), table["expected"].max()) * 1.25)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.set_title("Comités de pilotage tenus et minimum attendu", loc="left")
    alt = "; ".join(f"{p} : {h} tenus pour {e} attendus, {s} collectivité(s) en deçà" for p, h, e, s in
                    zip(table.index, table["held"], table["expected"], table["short"], strict=True))
    data = pd.DataFrame({"Année scolaire": table.index, "Comités tenus": table["held"].to_numpy(),
                         "Minimum attendu": table["expected"].to_numpy(),
                         "Collectivités en deçà": table["short"].to_numpy()})
    show_figure(fig, "Comités de pilotage par année scolaire. " + alt, data=data, name="comites de pilotage par annee")


def committees_chart(rpt: Report) -> None:
    """Bars: steering committees per authority in the year, with the minimum as a line."""
    import matplotlib.pyplot as plt

    cur = authorities_of_year(rpt.data, rpt.scope, rpt.period)
    if cur.empty:
        return
    fig, ax = plt.subplots(figsize=(8.5, max(2.4, 0.32 * len(cur) + 1.2)))
    y = np.arange(len(cur))
    colours = [RED if s < MINIMUM_PER_YEAR else BLUE_LIGHT for s in cur["steering"]]
    ax.barh(y, cur["steering"], color=colours, edgecolor="#161616", lw=0.5)
    ax.set_yticks(y, cur["name"])
    ax.axvline(MINIMUM_PER_YEAR, color=RED, ls="--", lw=1.5)
    ax.text(MINIMUM_PER_YEAR, len(cur) - 0.4, f" minimum : {MINIMUM_PER_YEAR}", color=RED, fontsize=9)
    ax.set_xlabel("comités de pilotage dans l'année")
    ax.set_xticks(range(0, int(max(cur["steering"].max(), MINIMUM_PER_YEAR)) + 2))
    ax.set_title(f"Comités de pilotage par collectivité, {rpt.period} (en rouge : sous le minimum)", loc="left")
    alt = "; ".join(f"{n} : {s}" for n, s in zip(cur["name"], cur["steering"], strict=True))
    data = pd.DataFrame({"Collectivité": cur["name"].to_numpy(), "Comités de pilotage": cur["steering"].to_numpy(),
                         "Minimum": MINIMUM_PER_YEAR})
    show_figure(fig, f"Comités de pilotage tenus par collectivité en {rpt.period}, minimum {MINIMUM_PER_YEAR}. {alt}",
                data=data, name=f"comites de pilotage par collectivite {rpt.period}")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = [
        "**Objectif** : la feuille de route compte les comités de pilotage (« Nombre de comités de pilotage avec les "
        "collectivités : minimum 2 réunions / an ») ; l'objectif porte sur ce nombre, dans chaque académie et dans "
        "la région. Réunir chaque collectivité au moins deux fois est une lecture plus stricte, suivie sans "
        "objectif ni statut (indicateur secondaire).",
        f"**Part des collectivités réunies deux fois** : dénominateur, toutes les collectivités partenaires pendant "
        f"l'année scolaire (partenariat commencé avant le 31 août et non terminé avant le 1er septembre) ; une "
        f"collectivité sans comité compte comme en deçà du minimum de {MINIMUM_PER_YEAR}.",
        "**Périmètre** : une collectivité relève de l'académie de son département ; la Région, sans département, "
        "n'apparaît que dans le rapport régional.",
        "**Comités comptés** : seuls les comités de pilotage (COPIL) comptent ; les comités techniques et de "
        "suivi sont montrés à titre d'information.",
        "**Intervalles** : les comptages sont exhaustifs ; l'intervalle de Wilson donné pour la part de "
        "collectivités réunies deux fois rend compte du petit nombre de collectivités (il ne s'agit pas d'un "
        "échantillon).",
    ]
    reasons = unmatched_by_reason(rpt.data, rpt.period)
    if len(reasons):
        notes.append("**Comités non rattachés** : " + " ; ".join(f"{n} comité(s) : {r}" for r, n in reasons.items())
                     + " — ils ne sont pas comptés.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes
