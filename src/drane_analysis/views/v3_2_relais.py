"""Target 3.2's report: how far the digital relays reach the establishments.

Key messages (coverage rate, active relays, rural and urban écoles, the least covered
department); the establishments and communes left without a relay, by department and by
commune, and on a map; coverage per department over the school years; relays by function
and by department (relays are persons: small counts are hidden); the method's caveats.
The numbers come from :mod:`drane_analysis.targets.t3_2_relais`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formatting import BLUE_LIGHT, PALETTE, RED, fmt_interval, fmt_value, fr_number
from ..maps import draw_outlines
from ..periods import Period
from ..privacy import protect_breakdown, protect_scopes
from ..render import display_html, display_markdown, gap_sentence, html_table, show_figure  # noqa: F401  (gap_sentence: used by the notebook as vue.gap_sentence)
from ..targets import t3_2_relais as cible

if TYPE_CHECKING:
    from ..report import Report

TARGET = "3.2"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    rate = rpt.row("relay_coverage_rate")
    relays = rpt.row("relays_active")
    if pd.isna(rate["value"]):
        return "*Aucun établissement du périmètre cette année : la couverture ne peut être calculée.*"
    uncovered = int(rate["denominator"] - rate["numerator"])
    lines.append(f"- **{fmt_value(rate['value'], 'percent')}** des écoles, collèges, lycées et EREA sont couverts "
                 f"par au moins un relais numérique actif au 15 janvier ({fr_number(rate['numerator'])} sur "
                 f"{fr_number(rate['denominator'])}) ; **{fr_number(uncovered)}** établissements restent sans relais.")
    lines.append(f"- **{fr_number(relays['value'])}** relais numériques sont actifs à cette date.")
    gap = cible.rural_gap(rpt.data, rpt.scope, rpt.period)
    if np.isfinite(gap["gap"]):
        lines.append(f"- Écoles : {fmt_value(gap['rural'], 'percent')} des écoles rurales sont couvertes contre "
                     f"{fmt_value(gap['urban'], 'percent')} des écoles urbaines, soit "
                     f"{fmt_value(gap['gap'], 'percent_points')} d'écart (écart observé : les écoles sont couvertes "
                     "par circonscription, que les données ne donnent pas, si bien qu'aucun test ne s'y applique).")
    dept = cible.uncovered_by_department(rpt.data, rpt.scope, rpt.period)
    if len(dept) >= 2:
        low = dept.sort_values("value").iloc[0]
        lines.append(f"- Département le moins couvert : **{low['label']}**, {fmt_value(low['value'], 'percent')} "
                     f"({fr_number(low['uncovered'])} établissements sans relais, dans "
                     f"{fr_number(low['communes_uncovered'])} communes).")
    return "\n".join(lines)


def show_uncovered_departments(rpt: Report) -> None:
    """Table: uncovered establishments and communes by department."""
    dept = cible.uncovered_by_department(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Département": dept["label"],
        "Établ.": [fr_number(x) for x in dept["establishments"]],
        "Sans relais": [fr_number(x) for x in dept["uncovered"]],
        "dont écoles": [fr_number(x) for x in dept["uncovered_ecoles"]],
        "Communes touchées": [fr_number(x) for x in dept["communes_uncovered"]],
        "Communes sans aucun relais": [fr_number(x) for x in dept["communes_without"]],
        "Couverture [IC 95 %]": [f"{fmt_value(v, 'percent')} {fmt_interval(a, b, 'percent')}" for v, a, b in
                                 zip(dept["value"], dept["ci_low"], dept["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Établissements sans relais numérique actif au 15 janvier, par département "
                                     f"({rpt.period}) ; communes touchées : au moins un établissement sans relais"))


def show_uncovered_communes(rpt: Report, top: int = 15) -> None:
    """Table: the communes with the most establishments without a relay."""
    communes = cible.uncovered_communes(rpt.data, rpt.scope, rpt.period)
    if communes.empty:
        display_markdown("*Tous les établissements du périmètre sont couverts par un relais.*")
        return
    shown = communes.head(top)
    out = pd.DataFrame({
        "Département": shown["department_label"],
        "Commune": shown["commune_name"],
        "Territoire": shown["territory"],
        "Établissements": [fr_number(x) for x in shown["establishments"]],
        "Sans relais": [fr_number(x) for x in shown["uncovered"]],
        "Part sans relais": [fmt_value(x, "percent") for x in shown["share_uncovered"]],
        "Non couverts": shown["uncovered_kinds"],
        "Sans relais depuis": shown["uncovered_since"].fillna("—"),
    })
    caption = (f"Communes ayant le plus d'établissements sans relais ({len(shown)} premières sur "
               f"{fr_number(len(communes))} communes concernées, {rpt.period})")
    display_html(html_table(out, align_right=["Établissements", "Sans relais", "Part sans relais"],
                             caption=caption))


def show_functions(rpt: Report) -> None:
    """Table: relays and establishments covered by function."""
    # Relays are persons (one function each): a function held by fewer than the threshold is
    # secret, jointly with the same table of every scope.
    p = protect_scopes(rpt.data, f"3.2:functions:{rpt.period}",
                       lambda s: cible.relays_by_function(rpt.data, s, rpt.period), rpt.scope, ["relays"])
    table = p.frame
    out = pd.DataFrame({
        "Fonction": table["label"],
        "Relais actifs": p.text("relays", fr_number),
        "Établissements couverts": [fr_number(x) for x in table["establishments"]],
        "dont couverts par cette seule fonction": [fr_number(x) for x in table["only_relay"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Relais actifs au 15 janvier {Period.parse(rpt.period).end} par fonction")
                  + p.note_html())


def show_relays_by_department(rpt: Report) -> None:
    """Table: active relays and establishments per relay, by department."""
    relays = cible.relays_by_department(rpt.data, rpt.scope, rpt.period)
    # Relays are persons: a department with fewer than the threshold is secret, and so is the
    # number of establishments per relay that would give it back.
    p = protect_breakdown(relays, "count", follow={"per_relay": "value"})
    out = pd.DataFrame({
        "Département": relays["label"],
        "Relais actifs": p.text("value", fr_number),
        "Établissements couverts": [fr_number(c) for c in relays["covered"]],
        "Établissements par relais": p.text("per_relay", lambda x: fr_number(x, 1)),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Relais actifs par département au 15 janvier {Period.parse(rpt.period).end} "
                                     "(un relais compte dans chaque département qu'il couvre)") + p.note_html())


def coverage_map(rpt: Report) -> None:
    """Scatter of the establishments by their coordinates, the uncovered ones in red."""
    import matplotlib.pyplot as plt

    cur = cible.year_coverage(rpt.data, rpt.scope, rpt.period)
    cur = cur[np.isfinite(cur["latitude"]) & np.isfinite(cur["longitude"])]
    if cur.empty:
        return
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    draw_outlines(ax, rpt.scope)
    covered = cur[cur["covered"] == 1]
    uncovered = cur[cur["covered"] == 0]
    ax.scatter(covered["longitude"], covered["latitude"], s=4, color=BLUE_LIGHT, alpha=0.45, lw=0,
               label=f"couvert ({len(covered)})")
    ax.scatter(uncovered["longitude"], uncovered["latitude"], s=9, color=RED, alpha=0.85, lw=0,
               label=f"sans relais ({len(uncovered)})")
    ax.set_aspect(1 / np.cos(np.deg2rad(float(cur["latitude"].mean()))))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(frameon=False, loc="best", markerscale=2.5)
    ax.set_title(f"Établissements avec et sans relais actif, {rpt.period}", loc="left")
    dept = cible.uncovered_by_department(rpt.data, rpt.scope, rpt.period)
    worst = ", ".join(f"{r.label} ({r.uncovered})" for r in dept.head(3).itertuples(index=False))
    # The CSV lists the red points (establishments are public; the blue ones are thousands).
    data = pd.DataFrame({"UAI": uncovered["uai"].to_numpy() if "uai" in uncovered else None,
                         "Longitude": uncovered["longitude"].round(5).to_numpy(),
                         "Latitude": uncovered["latitude"].round(5).to_numpy()})
    show_figure(fig, f"Carte des établissements selon leurs coordonnées : {len(covered)} couverts en bleu, "
                     f"{len(uncovered)} sans relais en rouge. Départements ayant le plus d'établissements sans "
                     f"relais : {worst}.", data=data, name=f"etablissements sans relais {rpt.period}")


def department_chart(rpt: Report) -> None:
    """Lines: coverage per department over the school years up to the report's."""
    import matplotlib.pyplot as plt

    hist = cible.department_history(rpt.data, rpt.scope, rpt.period)
    if hist.empty or hist["year"].nunique() < 2:
        return
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    alt = []
    for k, (label, part) in enumerate(hist.groupby("label", sort=True)):
        colour = PALETTE[k % len(PALETTE)]
        style = "-" if k < len(PALETTE) else "--"
        ax.plot(part["year"], part["value"], marker="o", ms=3, color=colour, ls=style, label=label)
        alt.append(f"{label} : {fmt_value(part['value'].iloc[0], 'percent')} → "
                   f"{fmt_value(part['value'].iloc[-1], 'percent')}")
    years = sorted(hist["year"].unique())
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_ylabel("% des établissements couverts")
    ax.set_title("Couverture par département et par année scolaire", loc="left")
    ax.legend(fontsize=7.5, frameon=False, ncol=2, loc="lower right")
    data = pd.DataFrame({"Département": hist["label"], "Année scolaire": [Period(int(y)).label for y in hist["year"]],
                         "Établissements couverts (%)": hist["value"]})
    show_figure(fig, "Couverture par département, de la première à la dernière année montrée. " + " ; ".join(alt),
                data=data, name="couverture par departement et par annee")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    outside = cible.relays_outside_universe(rpt.data, rpt.period)
    day = cible.reference_day(rpt.period)
    notes = [
        f"**Jour de référence** : un relais est actif s'il a commencé à couvrir l'établissement au plus tard le "
        f"{day:%d/%m/%Y} et n'a pas cessé avant (comme pour les établissements ouverts).",
        "**Établissements attendus** : écoles, collèges, lycées et EREA, publics et privés sous contrat, "
        "ouverts au jour de référence d'après l'annuaire de l'éducation (les établissements fermés depuis n'y "
        "figurent plus : l'annuaire ne garde pas leur date de fermeture).",
        "**Relais comptés** : un relais (une personne dans une mission) compte dans chaque département ou "
        "académie où il couvre au moins un établissement, une seule fois pour la région ; aucune personne "
        "n'est nommée dans ce rapport.",
        "**Intervalles** : le registre est exhaustif. Un collège, un lycée ou un EREA est couvert par son propre "
        "référent : pour les seuls établissements du second degré, l'intervalle de Wilson rend compte de la taille "
        "des groupes comparés. Les écoles sont couvertes par circonscription (un ERUN pour une vingtaine d'écoles "
        "voisines), toutes ou aucune, et l'annuaire lu ne dit pas à quelle circonscription appartient une école "
        "non couverte : un taux qui compte des écoles n'a pas d'intervalle (celui de Wilson, qui les traiterait "
        "comme indépendantes, serait plusieurs fois trop étroit) et ses écarts sont décrits sans test.",
    ]
    if outside:
        notes.append(f"**Hors champ** : {outside} ligne(s) du registre actives cette année visent un UAI absent des "
                     "établissements attendus (privé hors contrat, service…) et ne comptent pas dans la couverture.")
    return notes
