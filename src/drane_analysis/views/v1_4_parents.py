"""What the report of target 1.4 shows: parents' support structures and parents' ENT accounts.

The opening sentences (:func:`key_messages`); the structures in activity against the
roadmap's objectives (by scope, by department, year by year); the parents' accounts
activated by IPS quartile, the Q4 − Q1 gap year by year and its trend; and the caveats of
the method section (:func:`coverage_notes`). The numbers come from
:mod:`drane_analysis.targets.t1_4_parents`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data import breakdown_label
from ..formatting import BLUE, PALETTE, fmt_interval, fmt_p_value, fmt_value, fr_number
from ..periods import Period
from ..render import (
    display_html,
    gap_sentence,  # noqa: F401  (used by the notebook as vue.gap_sentence)
    html_table,
    show_figure,
)
from ..targets.t1_4_parents import (
    STRUCTURE_INDICATORS,
    STRUCTURE_LABELS,
    account_figures,
    accounts_until,
    compute_structures,
    gap_trend,
    ips_gap_by_year,
    quartile_history,
    structure_table,
    structures_by_department,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "1.4"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = {i: rpt.row(i) for i in rpt.table["indicator"]}
    lines = []
    for indicator, what in (("service_establishments", "établissement(s) de service"),
                            ("france_services_houses", "maison(s) France Services partenaire(s)")):
        s = r.get(indicator)
        if s is None:
            continue
        text = f"- **{fr_number(s['value'])} {what}** en activité cette année"
        if pd.notna(s["objective"]):
            text += f" ; objectif : {s['objective_label']} — {s['status_label'].lower()}"
        lines.append(text + ".")
    u = r.get("parents_ent_usage_rate")
    if u is not None and pd.notna(u["value"]):
        lines.append(f"- **{fmt_value(u['value'], 'percent')}** des comptes ENT des parents sont activés "
                     f"({fr_number(u['numerator'])} sur {fr_number(u['denominator'])}).")
    g = r.get("parents_ent_ips_gap")
    if g is not None and pd.notna(g["value"]):
        gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
        cur = gaps[gaps["period"] == rpt.period].iloc[0]
        text = (f"- Dans les établissements au public le plus favorisé (quartile d'IPS le plus haut), "
                f"{fmt_value(cur['top_rate'], 'percent')} des comptes parents sont activés, contre "
                f"{fmt_value(cur['bottom_rate'], 'percent')} dans les moins favorisés : un écart de "
                f"**{fmt_value(g['value'], 'percent_points')}**")
        trend = gap_trend(gaps, accounts_until(rpt.data, rpt.scope, rpt.period))
        if trend["years"] >= 2 and pd.notna(trend["p_value"]):
            first = gaps.iloc[0]
            text += f", contre {fmt_value(first['gap'], 'percent_points')} en {first['period']}"
            if trend["p_value"] < 0.05:
                direction = "se réduit" if trend["slope"] < 0 else "se creuse"
                text += (f" : l'écart {direction} de {fmt_value(abs(trend['slope']), 'percent_points')} par an en "
                         f"moyenne (tendance significative, {_p(trend['p_value'])})")
            else:
                text += f" : son évolution n'est pas significative ({_p(trend['p_value'])})"
        lines.append(text + ".")
    return "\n".join(lines)


def show_structures(rpt: Report) -> None:
    """The structures of each scope against the roadmap's objectives, for the report's year."""
    table = structure_table(rpt.data, rpt.period)
    out = pd.DataFrame({
        "Périmètre": table["label"],
        "Établissements de service": [fr_number(x) for x in table["service_establishments"]],
        "Objectif ": [x or "—" for x in table["service_establishments_objective"]],
        "Statut ": [x or "—" for x in table["service_establishments_status"]],
        "Maisons France Services": [fr_number(x) for x in table["france_services_houses"]],
        "Objectif": [x or "—" for x in table["france_services_houses_objective"]],
        "Statut": [x or "—" for x in table["france_services_houses_status"]],
    })
    display_html(html_table(out, align_right=["Établissements de service", "Maisons France Services"],
                             caption=f"Structures d'accompagnement des parents en activité, {rpt.period}"))


def show_structures_by_department(rpt: Report) -> None:
    table = structures_by_department(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({"Département": table["label"],
                        "Établissements de service": [fr_number(x) for x in table["service_establishments"]],
                        "Maisons France Services": [fr_number(x) for x in table["france_services_houses"]]})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Structures en activité par département, {rpt.period}"))


def structures_chart(rpt: Report) -> None:
    """Structures in activity year by year (scope), with the roadmap's objectives."""
    import matplotlib.pyplot as plt

    series = compute_structures(rpt.data)
    series = series[(series["academy"] == rpt.scope)
                    & series["period"].map(lambda p: Period.parse(p) <= Period.parse(rpt.period))]
    if series.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    years = sorted({Period.parse(p).start for p in series["period"]})
    width = 0.38
    for k, (indicator, kind) in enumerate(STRUCTURE_INDICATORS.items()):
        part = series[series["indicator"] == indicator]
        part = part.assign(year=part["period"].map(_start)).sort_values("year")
        x = np.array([years.index(y) for y in part["year"]]) + (k - 0.5) * width
        bars = ax.bar(x, part["value"], width=width, color=PALETTE[k], label=STRUCTURE_LABELS[kind])
        ax.bar_label(bars, labels=[fr_number(v) for v in part["value"]], fontsize=8, padding=2)
        obj = rpt.catalogue.objective_for(indicator, rpt.scope, rpt.period)
        if obj is not None and obj.objective.value is not None:
            ax.axhline(obj.objective.value, color=PALETTE[k], ls=":", lw=1.3)
        alt.append(f"{STRUCTURE_LABELS[kind]} : " + ", ".join(
            f"{p} {fr_number(v)}" for p, v in zip(part["period"], part["value"], strict=True))
            + (f" (objectif {obj.objective.describe()})" if obj is not None else ""))
    ax.set_xticks(range(len(years)), [Period(y).label for y in years])
    ax.set_ylabel("structures en activité")
    ax.set_title("Structures d'accompagnement des parents (pointillés : objectifs)", loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_ylim(0, max(3.5, float(series["value"].max()) * 1.18))
    ax.yaxis.get_major_locator().set_params(integer=True)
    data = pd.DataFrame({"Structure": [STRUCTURE_LABELS[STRUCTURE_INDICATORS[i]] for i in series["indicator"]],
                         "Année scolaire": series["period"], "Structures en activité": series["value"]})
    show_figure(fig, "Structures en activité par année scolaire. " + " ; ".join(alt), data=data,
                name="structures en activite")


def show_gap_table(rpt: Report) -> None:
    """The Q4 − Q1 gap year by year with its interval (establishments as clusters)."""
    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    if gaps.empty:
        return
    out = pd.DataFrame({
        "Année": gaps["period"],
        "Q4": [fmt_value(x, "percent") for x in gaps["top_rate"]],
        "Q1": [fmt_value(x, "percent") for x in gaps["bottom_rate"]],
        "Écart Q4 − Q1": [fmt_value(x, "percent_points") for x in gaps["gap"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent_points") for lo, hi in
                              zip(gaps["ci_low"], gaps["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Comptes parents activés : Q4 (plus favorisés) − Q1 (moins favorisés), "
                                     "intervalles à 95 % (établissements comme grappes)"))


def gap_sentence_trend(rpt: Report) -> str:
    """The trend test of the gap, in words."""
    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    t = gap_trend(gaps, accounts_until(rpt.data, rpt.scope, rpt.period))
    if t["years"] < 2:
        return ("*Une seule année observée : l'évolution de l'écart ne peut pas encore être mesurée.*" if t["years"]
                else "*Pas d'IPS ou de comptes parents : l'écart ne peut pas être calculé.*")
    text = (f"De {t['first_period']} à {t['last_period']}, l'écart passe de "
            f"{fmt_value(gaps['gap'].iloc[0], 'percent_points')} à {fmt_value(gaps['gap'].iloc[-1], 'percent_points')}"
            f", soit {_signed(t['change'])} points (IC 95 % "
            f"{fmt_interval(t['change_low'], t['change_high'], 'percent_points')})")
    if t["change_high"] < 0:
        text += " : il s'est significativement réduit."
    elif t["change_low"] > 0:
        text += " : il s'est significativement creusé."
    else:
        text += " : la variation n'est pas significative."
    if pd.isna(t["p_value"]):
        return text
    verdict = ("l'écart se réduit" if t["slope"] < 0 else "l'écart se creuse") if t["p_value"] < 0.05 else (
        "pas de tendance significative")
    return (text + f" Tendance sur {t['years']} années (régression pondérée par la précision de chaque année) : "
            f"{_signed(t['slope'])} points par an (IC 95 % "
            f"{fmt_interval(t['slope_low'], t['slope_high'], 'percent_points')}, {_p(t['p_value'])}) — "
            f"{verdict}.")


def gap_chart(rpt: Report) -> None:
    """Rates of Q1 to Q4 over the years, and the Q4 − Q1 gap with its interval."""
    import matplotlib.pyplot as plt

    hist = quartile_history(rpt.data, rpt.scope, rpt.period)
    gaps = ips_gap_by_year(rpt.data, rpt.scope, rpt.period)
    if hist.empty or gaps.empty:
        return
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    for k, (q, part) in enumerate(hist.groupby("ips_quartile", sort=True)):
        x = [Period.parse(p).start for p in part["period"]]
        ax1.plot(x, part["value"], marker="o", color=PALETTE[k], label=breakdown_label("ips_quartile", q))
        ax1.fill_between(x, part["ci_low"], part["ci_high"], color=PALETTE[k], alpha=0.15, lw=0)
    ax1.set_ylabel("comptes parents activés (%)")
    ax1.set_title("Activation par quartile d'IPS", loc="left")
    ax1.legend(fontsize=8, frameon=False)
    x = np.array([Period.parse(p).start for p in gaps["period"]])
    ax2.errorbar(x, gaps["gap"], yerr=np.clip(np.vstack([gaps["gap"] - gaps["ci_low"], gaps["ci_high"] - gaps["gap"]]),
                                              0, None), fmt="o-", color=BLUE, capsize=3)
    t = gap_trend(gaps, accounts_until(rpt.data, rpt.scope, rpt.period))
    if len(x) >= 2 and np.isfinite(t["slope"]):
        w = 1 / gaps["se"].to_numpy(float) ** 2
        xm, ym = np.sum(w * x) / w.sum(), np.sum(w * gaps["gap"].to_numpy(float)) / w.sum()
        ax2.plot(x, ym + t["slope"] * (x - xm), ls="--", color="#666666", lw=1)
    ax2.axhline(0, color="#999999", lw=0.8)
    ax2.set_ylabel("écart Q4 − Q1 (points)")
    ax2.set_title("Écart et tendance", loc="left")
    ax2.set_ylim(bottom=min(0, float(gaps["ci_low"].min()) - 1))
    for ax in (ax1, ax2):
        years = sorted(set(x))
        ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    data = pd.concat([
        pd.DataFrame({"Série": [breakdown_label("ips_quartile", q) for q in hist["ips_quartile"]],
                      "Année scolaire": hist["period"], "Valeur": hist["value"], "Borne basse IC 95 %": hist["ci_low"],
                      "Borne haute IC 95 %": hist["ci_high"]}),
        pd.DataFrame({"Série": "Écart Q4 − Q1 (points ; IC : établissements comme unités)",
                      "Année scolaire": gaps["period"], "Valeur": gaps["gap"], "Borne basse IC 95 %": gaps["ci_low"],
                      "Borne haute IC 95 %": gaps["ci_high"]}),
    ], ignore_index=True)
    show_figure(fig, "Activation des comptes parents par quartile d'IPS et écart Q4 − Q1 par année : " + ", ".join(
        f"{p} {fmt_value(g, 'percent_points')}" for p, g in zip(gaps["period"], gaps["gap"], strict=True)), data=data,
        name="activation par quartile d'IPS")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    figures = account_figures(rpt.data, rpt.scope, rpt.period)
    platforms = figures["platforms"].groupby(lambda p: "lycées" if p == "lycee-connecte" else
                                             ("écoles" if p == "ecoles" else "collèges (ENT départemental)")).sum()
    counts = ", ".join(f"{k} : {v}" for k, v in platforms.items())
    notes = [
        "**Comptes parents** : activés (première connexion faite) sur chargés, lus au mois de juin (à défaut, au "
        "dernier mois exporté), sur toutes les plateformes ENT (Lycée connecté, ENT départementaux des collèges, "
        f"ENT des écoles) ; établissements de l'année par plateforme — {counts or 'aucun'}. Les écoles sans ENT "
        "ouvert n'ont pas de comptes et ne comptent pas.",
        "**IPS** : quartiles calculés dans la région, séparément pour les écoles, les collèges et les lycées (Q1 : "
        "établissements au public le moins favorisé) ; l'IPS le plus récent connu remplace une année manquante ; "
        f"{figures['no_ips']} établissement(s) sans IPS (EREA, privés sans IPS publié…) ne comptent pas dans l'écart.",
        "**Intervalles** : les comptes d'un même établissement se ressemblent ; taux, écarts et tendance sont "
        "donc calculés avec les établissements comme grappes (un intervalle qui traiterait chaque compte comme une "
        "observation indépendante serait plusieurs fois trop étroit). L'écart d'une année à l'autre et la "
        "tendance apparient les établissements présents plusieurs années. La tendance est une régression de "
        "l'écart annuel sur l'année, pondérée par la précision de chaque année ; si les années s'écartent de la "
        "droite plus que leur précision ne le permet, l'intervalle est élargi d'autant.",
        "**Structures** : en activité dans l'année si retenues (AMI) ou conventionnées au plus tard le 31 août et non "
        "terminées avant le 1er septembre ; comptées dans le département qu'elles servent.",
    ]
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period and objective.applies_to(rpt.scope):
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes


def _start(period: str) -> int:
    return Period.parse(period).start


def _signed(x: float) -> str:
    text = fr_number(x, 1)
    return text if text.startswith("-") or text in ("0", "0,0", "—") else "+" + text


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "p non calculable"
    return f"p {fmt_p_value(p, relation=True)}"
