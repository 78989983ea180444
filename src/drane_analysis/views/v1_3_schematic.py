"""What the report of target 1.3 shows: SchémaTic, establishments' digital maturity and leaders trained.

The opening sentences (:func:`key_messages`); the usage of SchémaTic; the maturity levels
by domain; the paired change of the same establishments from one year to the next (by
domain, by group, year after year); and the caveats of the method section
(:func:`coverage_notes`). Maturity levels are written with two decimals
(:func:`gap_sentence`, :func:`show_level_table`). The numbers come from
:mod:`drane_analysis.targets.t1_3_schematic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import render
from ..formatting import BLUE, RED, fmt_interval, fmt_p_value, fmt_value, fr_number
from ..periods import Period
from ..render import display_html, display_markdown, html_table, show_figure
from ..targets.t1_3_schematic import (
    LEVELS,
    OVERALL,
    domain_profile,
    newly_trained,
    paired_chain,
    paired_change,
    paired_change_by,
    usage_figures,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "1.3"


def _fmt_level(x: float, decimals: int = 2, sign: bool = False) -> str:
    text = fr_number(x, decimals)
    if text.lstrip("-").replace("0", "").replace(",", "") == "":
        return text.lstrip("-")                       # −0,00 → 0,00
    if sign and text != "—" and x > 0:
        text = "+" + text
    return text


def _change(x: float, lo: float, hi: float) -> str:
    """``+0,15 [+0,11 ; +0,18]`` (the interval left out when missing)."""
    text = _fmt_level(x, sign=True)
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return text
    return f"{text} [{_fmt_level(lo, sign=True)} ; {_fmt_level(hi, sign=True)}]"


def _up_down(up: float, down: float) -> str:
    if not (np.isfinite(up) and np.isfinite(down)):
        return "—"
    return f"{fr_number(up, 0)} % / {fr_number(down, 0)} %"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    ids = set(rpt.table["indicator"])
    lines = []
    if "schematic_usage_rate" in ids:
        r = rpt.row("schematic_usage_rate")
        text = (f"- **{fmt_value(r['value'], 'percent')}** des établissements du second degré ont renseigné "
                f"SchémaTic cette année ({fr_number(r['numerator'])} sur {fr_number(r['denominator'])}), "
                f"intervalle à 95 % [{fmt_value(r['ci_low'], 'percent', False)} ; {fmt_value(r['ci_high'], 'percent')}]")
        if pd.notna(r["objective"]):
            text += f", pour un objectif de {fmt_value(r['objective'], 'percent')} : {r['status_label'].lower()}"
        lines.append(text + ".")
    if "leaders_trained_rate" in ids:
        r = rpt.row("leaders_trained_rate")
        nt = newly_trained(rpt.data, rpt.scope, rpt.period)
        text = (f"- **{fmt_value(r['value'], 'percent')}** des cadres sont formés à SchémaTic et au pilotage du "
                f"numérique ({fr_number(r['numerator'])} sur {fr_number(r['denominator'])}, dont "
                f"{fr_number(nt['trained_this_year'])} formés cette année)")
        if pd.notna(r["objective"]):
            text += f", pour un objectif de {fmt_value(r['objective'], 'percent')} : {r['status_label'].lower()}"
        lines.append(text + ".")
    if "schematic_maturity_mean" in ids:
        r = rpt.row("schematic_maturity_mean")
        prof = domain_profile(rpt.data, rpt.scope, rpt.period)
        dom = prof[(prof["domain"] != OVERALL) & prof["value"].notna()]
        text = (f"- Maturité numérique moyenne : **{_fmt_level(r['value'])}** sur 4 "
                f"[{_fmt_level(r['ci_low'])} ; {_fmt_level(r['ci_high'])}], sur {fr_number(r['denominator'])} "
                "établissements évalués")
        if len(dom) >= 2:
            hi, lo = dom.loc[dom["value"].idxmax()], dom.loc[dom["value"].idxmin()]
            text += (f" ; domaine le plus avancé : {hi['label'].lower()} ({_fmt_level(hi['value'])}), le moins "
                     f"avancé : {lo['label'].lower()} ({_fmt_level(lo['value'])})")
        lines.append(text + ".")
        ch = paired_change(rpt.data, rpt.scope, rpt.period)
        overall = ch[ch["domain"] == OVERALL].iloc[0]
        if overall["n"] >= 2:
            lines.append(f"- Pour les **{fr_number(overall['n'])}** établissements évalués en "
                         f"{ch.attrs['previous']} et en {rpt.period}, la maturité a varié de "
                         f"**{_fmt_level(overall['change'], sign=True)}** niveau "
                         f"[{_fmt_level(overall['ci_low'], sign=True)} ; {_fmt_level(overall['ci_high'], sign=True)}] "
                         f"(test de Wilcoxon apparié : p = {fmt_p_value(overall['wilcoxon_p'])}).")
    return "\n".join(lines)


def gap_sentence(table: pd.DataFrame, unit: str, what: str) -> str:
    """One sentence on the gap between the highest and lowest group of a breakdown; maturity
    levels (unit ``index``) are written with two decimals, the gap in levels."""
    if unit != "index":
        return render.gap_sentence(table, unit, what)
    return render.gap_sentence(table, unit, what, gap_unit="niveau", value_format=_fmt_level)


def show_level_table(rpt: Report, table: pd.DataFrame, group_title: str, caption: str) -> None:
    """A maturity breakdown (mean level, interval, establishments) with two decimals."""
    out = pd.DataFrame({
        group_title: table["label"],
        "Niveau moyen": [_fmt_level(x) for x in table["value"]],
        "Intervalle à 95 %": [f"[{_fmt_level(a)} ; {_fmt_level(b)}]" if pd.notna(a) else "—"
                              for a, b in zip(table["ci_low"], table["ci_high"], strict=True)],
        "Établissements évalués": [fr_number(x) for x in table["denominator"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]), caption=caption))


def show_usage_context(rpt: Report) -> None:
    """Universe, establishments assessed, assessed outside the universe."""
    s = usage_figures(rpt.data, rpt.scope, rpt.period)
    text = (f"Dénominateur : **{fr_number(s['establishments'])}** collèges, lycées et EREA publics et privés sous "
            f"contrat ouverts au 31 janvier {Period.parse(rpt.period).end} ; **{fr_number(s['used'])}** ont au moins "
            "une auto-évaluation dans l'année.")
    if s["outside"]:
        text += (f" {fr_number(s['outside'])} auto-évaluation(s) de la région portent sur d'autres établissements "
                 "(écoles, privé hors contrat, UAI absents de l'annuaire) : elles ne sont pas comptées.")
    display_markdown(text)


def profile_chart(rpt: Report) -> None:
    """Levels 1–4 by domain (stacked shares) with the mean level of each domain."""
    import matplotlib.pyplot as plt

    prof = domain_profile(rpt.data, rpt.scope, rpt.period)
    dom = prof[prof["domain"] != OVERALL]
    if dom["n"].sum() == 0:
        return
    colours = ["#F6CCCC", "#FCC63A", "#95E257", "#18753C"]
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    y = np.arange(len(dom))
    left = np.zeros(len(dom))
    for level, colour in zip(LEVELS, colours, strict=True):
        width = dom[f"share_{level}"].fillna(0).to_numpy()
        ax.barh(y, width, left=left, color=colour, edgecolor="white", label=f"niveau {level}")
        for yi, (l0, w) in enumerate(zip(left, width, strict=True)):
            if w >= 7:
                ax.text(l0 + w / 2, yi, f"{w:.0f}".replace(".", ","), ha="center", va="center", fontsize=8)
        left += width
    for yi, rec in enumerate(dom.itertuples(index=False)):
        ax.text(101, yi, f"moy. {_fmt_level(rec.value)}", va="center", fontsize=8)
    ax.set_yticks(y, dom["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel("part des établissements évalués (%)")
    ax.set_title(f"Niveaux de maturité par domaine — {rpt.period}", loc="left")
    ax.legend(ncol=4, frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.45, -0.42))
    alt = "Barres empilées des niveaux 1 à 4 par domaine. " + "; ".join(
        f"{r.label} : moyenne {_fmt_level(r.value)}, niveau 3 ou 4 pour "
        f"{fmt_value((r.share_3 or 0) + (r.share_4 or 0), 'percent')}" for r in dom.itertuples(index=False))
    data = pd.DataFrame({"Domaine": dom["label"], **{f"Niveau {lv} (%)": dom[f"share_{lv}"] for lv in LEVELS},
                         "Niveau moyen": dom["value"], "Établissements évalués": dom["n"]})
    show_figure(fig, alt, data=data, name=f"niveaux de maturite par domaine {rpt.period}")


def show_profile(rpt: Report) -> None:
    """Mean level by domain with its interval and the number of establishments."""
    prof = domain_profile(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Domaine": prof["label"],
        "Niveau moyen": [_fmt_level(x) for x in prof["value"]],
        "Intervalle à 95 %": [f"[{_fmt_level(a)} ; {_fmt_level(b)}]" if np.isfinite(a) else "—"
                              for a, b in zip(prof["ci_low"], prof["ci_high"], strict=True)],
        "Niveaux 3 ou 4 [IC 95 %]": [f"{fmt_value(v, 'percent')} {fmt_interval(a, b, 'percent')}"
                                     if np.isfinite(v) else "—"
                                     for v, a, b in zip(prof["share_3_4"], prof["share_3_4_low"],
                                                        prof["share_3_4_high"], strict=True)],
        "Établissements": [fr_number(x) for x in prof["n"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Maturité numérique par domaine (1 à 4) — {rpt.period}"))


def show_paired_change(rpt: Report) -> None:
    """Paired change per domain between the previous year and this one."""
    ch = paired_change(rpt.data, rpt.scope, rpt.period)
    if ch.attrs["pairs"] < 2:
        display_markdown(f"*Moins de deux établissements évalués à la fois en {ch.attrs['previous']} et en "
                          f"{rpt.period} : pas de comparaison appariée possible.*")
        return
    out = pd.DataFrame({
        "Domaine": ch["label"],
        "Paires": [fr_number(x) for x in ch["n"]],
        f"Niveau moyen {ch.attrs['previous']} → {rpt.period}": [
            f"{_fmt_level(a)} → {_fmt_level(b)}" if np.isfinite(a) else "—"
            for a, b in zip(ch["mean_before"], ch["mean_after"], strict=True)],
        "Évolution moyenne [IC 95 %]": [_change(x, a, b) for x, a, b in
                                        zip(ch["change"], ch["ci_low"], ch["ci_high"], strict=True)],
        "En hausse / en baisse": [_up_down(a, b) for a, b in zip(ch["improved"], ch["declined"], strict=True)],
        "Wilcoxon (p)": [fmt_p_value(x) for x in ch["wilcoxon_p"]],
        "p ajusté (Holm, 6 domaines)": ["—" if pd.isna(x) else fmt_p_value(x) for x in ch["wilcoxon_holm"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Évolution de la maturité des mêmes établissements, {ch.attrs['previous']} → "
                                     f"{rpt.period}"))


def paired_chart(rpt: Report) -> None:
    """Mean paired change per domain with its 95 % interval (a forest plot)."""
    import matplotlib.pyplot as plt

    ch = paired_change(rpt.data, rpt.scope, rpt.period).dropna(subset=["change"])
    if len(ch) == 0 or ch["n"].max() < 2:
        return
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    y = np.arange(len(ch))
    err = np.clip(np.vstack([ch["change"] - ch["ci_low"], ch["ci_high"] - ch["change"]]).astype(float), 0, None)
    colours = [RED if d == OVERALL else BLUE for d in ch["domain"]]
    ax.errorbar(ch["change"], y, xerr=np.nan_to_num(err), fmt="none", ecolor="#161616", capsize=3, lw=1)
    ax.scatter(ch["change"], y, color=colours, zorder=3)
    ax.axvline(0, color="#666666", lw=1)
    ax.set_yticks(y, ch["label"])
    ax.invert_yaxis()
    ax.set_xlabel("évolution moyenne du niveau (mêmes établissements)")
    ax.set_title(f"Évolution appariée par domaine, {ch.attrs['previous']} → {rpt.period}", loc="left")
    alt = "Évolution moyenne par domaine avec intervalle à 95 %. " + "; ".join(
        f"{r.label} : {_fmt_level(r.change, sign=True)} [{_fmt_level(r.ci_low, sign=True)} ; "
        f"{_fmt_level(r.ci_high, sign=True)}]" for r in ch.itertuples(index=False))
    data = pd.DataFrame({"Domaine": ch["label"], "Évolution moyenne": ch["change"], "Borne basse IC 95 %": ch["ci_low"],
                         "Borne haute IC 95 %": ch["ci_high"], "Établissements appariés": ch["n"]})
    show_figure(fig, alt, data=data, name="evolution appariee par domaine")


def show_paired_by(rpt: Report, by: str = "territory", title: str = "Territoire") -> None:
    """Overall paired change by group, and the difference between two groups."""
    t = paired_change_by(rpt.data, rpt.scope, rpt.period, by)
    t = t[t["n"] > 0]
    if t.empty:
        return
    out = pd.DataFrame({
        title: t["label"],
        "Paires": [fr_number(x) for x in t["n"]],
        "Évolution moyenne [IC 95 %]": [_change(x, a, b) for x, a, b in
                                        zip(t["change"], t["ci_low"], t["ci_high"], strict=True)],
        "En hausse / en baisse": [_up_down(a, b) for a, b in zip(t["improved"], t["declined"], strict=True)],
        "Wilcoxon (p)": [fmt_p_value(x) for x in t["wilcoxon_p"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Évolution appariée de la maturité ({t.attrs['previous']} → {rpt.period}) "
                                     f"— {title.lower()}"))
    a = t.attrs
    if "difference" in a:
        verdict = "significatif" if a["difference_p"] < 0.05 else "non significatif"
        display_markdown(
            f"Écart d'évolution ({a['difference_labels'][0]} moins {a['difference_labels'][1]}) : "
            f"{_fmt_level(a['difference'], sign=True)} niveau, intervalle à 95 % "
            f"[{_fmt_level(a['difference_low'], sign=True)} ; {_fmt_level(a['difference_high'], sign=True)}] "
            f"(test de Welch, p = {fmt_p_value(a['difference_p'])} : {verdict} au seuil de 5 %).")


def show_paired_chain(rpt: Report) -> None:
    """Overall paired change for every pair of consecutive years up to the report's year."""
    chain = paired_chain(rpt.data, rpt.scope, rpt.period)
    chain = chain[chain["n"] >= 2]
    if chain.empty:
        display_markdown("*Pas encore deux années consécutives d'auto-évaluations : la série appariée commencera "
                          "l'an prochain.*")
        return
    out = pd.DataFrame({
        "Années": [f"{a} → {b}" for a, b in zip(chain["previous"], chain["period"], strict=True)],
        "Paires": [fr_number(x) for x in chain["n"]],
        "Évolution moyenne [IC 95 %]": [_change(x, a, b) for x, a, b in
                                        zip(chain["change"], chain["ci_low"], chain["ci_high"], strict=True)],
        "En hausse / en baisse": [_up_down(a, b) for a, b in zip(chain["improved"], chain["declined"], strict=True)],
        "Wilcoxon (p)": [fmt_p_value(x) for x in chain["wilcoxon_p"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Évolution appariée de la maturité d'une année à la suivante (ensemble des "
                                     "domaines)"))


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = []
    if rpt.data.has("schematic"):
        s = usage_figures(rpt.data, rpt.scope, rpt.period)
        notes += [
            "**Usage de SchémaTic** : établissements ayant au moins une auto-évaluation datée de l'année scolaire, "
            "rapportés aux collèges, lycées et EREA publics et privés sous contrat de l'annuaire ouverts au "
            "31 janvier de l'année (l'annuaire ne liste pas les établissements fermés depuis : ils manquent au "
            "dénominateur des années passées). Une académie sans fichier pour l'année compte pour 0 %.",
            f"**Champ** : SchémaTic second degré (six domaines, niveaux 1 à 4) ; {s['outside']} établissement(s) évalué(s) "
            "hors de ce champ dans la région cette année (écoles, privé hors contrat, UAI inconnus) sont écartés "
            "de tous les chiffres.",
            f"**Plusieurs auto-évaluations** : {s['several']} établissement(s) du périmètre en ont "
            "plusieurs dans l'année ; seule la plus récente compte.",
            "**Maturité** : moyenne des niveaux (1 à 4) des domaines renseignés de la dernière auto-évaluation de "
            "l'année, puis moyenne sur les établissements (intervalle de Student). Les comparaisons d'une année à "
            "l'autre portent sur les **mêmes établissements** (évalués les deux années) : évolution moyenne avec "
            "l'intervalle de Student apparié et le test des rangs signés de Wilcoxon (zéros traités selon Pratt) ; "
            "l'ensemble des domaines ne retient, pour chaque paire, que les domaines renseignés les deux années.",
        ]
    if rpt.data.has("cadres"):
        notes.append("**Cadres formés** : chefs d'établissement, adjoints, IEN et IA-IPR en poste dans l'année, formés "
                     "à SchémaTic et au pilotage du numérique cette année ou avant ; les inspecteurs à compétence "
                     "académique (IA-IPR, IEN ET-EG) comptent dans l'académie et la région, pas dans un département.")
    for objective in rpt.target.objectives:
        if objective.note and objective.applies_to(rpt.scope):
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes
