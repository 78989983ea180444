"""Target 3.3's report: the Vienne as a Territoire numérique éducatif, by difference in differences.

Key messages (each effect with the inference one treated department allows); the
estimates by design; the Vienne and its comparison departments before and after 2021;
the departments' profiles; the year-by-year effects and what can be said of parallel
trends; the placebo over the departments; the scope's own departments; the estimates
over the years; the method's caveats. The numbers come from
:mod:`drane_analysis.targets.t3_3_tne`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import (
    BLUE,
    BLUE_LIGHT,
    GREY,
    PALETTE,
    RED,
    fmt_interval,
    fmt_p_value,
    fmt_value,
    fr_number,
)
from ..periods import Period
from ..render import display_html, display_markdown, html_table, show_figure
from ..targets import t3_3_tne as cible

if TYPE_CHECKING:
    from ..report import Report

TARGET = "3.3"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    if rpt.scope != referential.REGION_SCOPE:
        lines.append(f"- *L'évaluation est régionale par nature : elle compare la Vienne aux autres départements de "
                     f"la région, quel que soit le périmètre du rapport ; la situation propre du périmètre "
                     f"({referential.SCOPE_LABELS[rpt.scope]}) est donnée en section 4.*")
    if Period.parse(rpt.period).start < cible.FIRST_YEAR:
        lines.append(f"- **{rpt.period} est l'année d'avant le TNE** : il n'y a pas encore d'« après » (la Vienne "
                     "devient territoire numérique éducatif à la rentrée 2021), donc aucun effet ne peut être "
                     "estimé. Ce rapport décrit la situation de départ qui servira de référence.")
        return "\n".join(lines)
    for key in ("ent", "pix"):
        out = cible.OUTCOMES[key]
        if not cible.has_sources(rpt.data, key):
            continue
        e = cible.effect(rpt.data, key, rpt.period)
        if not e["identified"]:
            lines.append(f"- {out.label} : effet non estimable ({e['note']}).")
            continue
        lines.append(f"- {out.label} : depuis la rentrée 2021, la Vienne a évolué de "
                     f"**{fmt_value(e['estimate'], out.unit)}** de plus que les départements de comparaison "
                     f"({e['n_treated']} établissements de la Vienne, {e['n_control']} de comparaison). "
                     + inference_sentence(e, out.unit))
    check = cible.pretrend_check(rpt.data, "ent", rpt.period)
    if not check["testable"]:
        lines.append(f"- Les données ne comptent {_years_before(check['pre_periods'])} avant 2021 : l'hypothèse de "
                     "tendances parallèles, sur laquelle repose l'estimation, **ne peut pas être testée** "
                     "(voir section 3).")
    return "\n".join(lines)


def inference_sentence(e: dict, unit: str) -> str:
    """French Markdown: what the design can say about one estimate (rank, p-value, interval)."""
    n, p = e["n_departments"], e["p_value"]
    if not np.isfinite(p) or n < 3:
        return f"Aucune inférence possible sur les départements : {cible.permutation_text(p, n)}."
    rank = round(p * n)
    verdict = cible.significance(p, n)
    if rank == 1 and 1 / n > cible.SIGNIFICANCE:
        text = (f"Des {n} départements, la Vienne a l'écart le plus fort : {cible.p_with_floor(p, n)}. C'est le signal "
                f"le plus net que ce plan puisse donner, mais avec un seul département traité, **{verdict}**.")
    elif rank == 1:
        text = f"Des {n} départements, la Vienne a l'écart le plus fort : {cible.p_with_floor(p, n)} ; **{verdict}**."
    else:
        text = (f"Des {n} départements, la Vienne n'a que le {rank}e écart le plus fort : {cible.p_with_floor(p, n)}. "
                f"Son écart **ne se distingue pas** de ceux de départements sans TNE ({verdict}).")
    if not np.isfinite(e["ci_low"]):
        return text
    interval = f"[{fmt_value(e['ci_low'], unit, False)} ; {fmt_value(e['ci_high'], unit, False)}]"
    if e["ci_low"] > 0 or e["ci_high"] < 0:
        reading = (f"il exclut 0 si ces chocs suivent une loi normale, ce que {n - 1} départements de comparaison "
                   "ne permettent pas de vérifier")
    else:
        reading = "il contient 0"
    return (f"{text} Intervalle à 95 % tenant compte des chocs propres à un département et à une année "
            f"(Conley–Taber) : {interval} ; {reading}.")


def show_effects(rpt: Report) -> None:
    """Table: every estimate (outcome × design) for the report's year, with its interval."""
    table = cible.effects_table(rpt.data, rpt.period)
    if table.empty or not table["identified"].any():
        note = table["note"].iloc[0] if len(table) else "données absentes"
        display_markdown(f"*Aucune estimation possible pour {rpt.period} : {note}.*")
        return
    short = {"ent": "Connexions ENT par élève", "pix": "Certification Pix 3e", "pix_participation":
             "Participation Pix 3e"}
    ct, perm, cluster = "Intervalle à 95 %", "p de permutation", "Par établissement*"
    out = pd.DataFrame({
        "Indicateur": table["outcome"].map(short),
        "Comparaison": table["design_label"],
        "Effet estimé": [fmt_value(v, u) if ok else "—" for v, u, ok in
                         zip(table["estimate"], table["unit"], table["identified"], strict=True)],
        ct: [fmt_interval(lo, hi, u) for lo, hi, u in zip(table["ci_low"], table["ci_high"], table["unit"],
                                                           strict=True)],
        perm: [_permutation_cell(p, n) for p, n in zip(table["p_value"], table["n_departments"], strict=True)],
        cluster: [fmt_interval(lo, hi, u) for lo, hi, u in
                  zip(table["cluster_ci_low"], table["cluster_ci_high"], table["unit"], strict=True)],
        "Établ. Vienne / comp.": [f"{fr_number(a)} / {fr_number(b)}" for a, b in
                                  zip(table["n_treated"], table["n_control"], strict=True)],
    })
    years = {(a, b) for a, b, ok in zip(table["n_pre"], table["n_post"], table["identified"], strict=True) if ok}
    span = "; ".join(f"{_years_label(a)} avant 2021, {_years_label(b)} après" for a, b in sorted(years))
    display_html(html_table(out, align_right=["Effet estimé", ct, perm, cluster, "Établ. Vienne / comp."],
                             caption=f"Effet estimé du TNE (différence de différences), données jusqu'à {rpt.period} "
                                     f"({span}) : intervalle de Conley–Taber (chocs départementaux), p de permutation "
                                     "(plus petit possible entre parenthèses) ; * intervalle par établissement, pour "
                                     "mémoire : il ignore les chocs départementaux (trop étroit)"))


def _years_label(n: int) -> str:
    return f"{n} année" if n == 1 else f"{n} années"


def _permutation_cell(p: float, n: int) -> str:
    if p is None or not np.isfinite(p):
        return "—"
    return f"{round(p * n)}/{n} = {fr_number(p, 3)} (min. 1/{n})"


def show_profiles(rpt: Report) -> None:
    """Table: the departments before 2021 and their distance to the Vienne."""
    prof = cible.department_profiles(rpt.data).sort_values(["distance", "label"])
    out = pd.DataFrame({
        "Département": prof["label"],
        "Établ.": [fr_number(x) for x in prof["establishments"]],
        "Connexions ENT / élève": [fr_number(x, 1) for x in prof["ent_level"]],
        "Pix 3e [IC 95 %]": [f"{fmt_value(x, 'percent')} {fmt_interval(a, b, 'percent')}" for x, a, b in
                             zip(prof["pix_level"], prof["pix_ci_low"], prof["pix_ci_high"], strict=True)],
        "IPS": [fr_number(x, 1) for x in prof["ips"]],
        "Rural": [fmt_value(x, "percent") for x in prof["rural_share"]],
        "Distance": [fr_number(x, 2) for x in prof["distance"]],
        "Proche": ["traitée" if d == cible.TNE_DEPARTMENT else ("oui" if c else "non")
                   for d, c in zip(prof["department"], prof["closest"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:7]),
                             caption="Les départements avant la rentrée 2021 (années antérieures) : établissements "
                                     "du panel, connexions à l'ENT par élève, certification Pix en 3e, IPS moyen, "
                                     "part d'établissements ruraux, distance standardisée à la Vienne"))


def before_after_chart(rpt: Report, outcome: str) -> None:
    """Lines: the Vienne and its comparison group by year, with the counterfactual after 2021."""
    import matplotlib.pyplot as plt

    table = cible.group_trends(rpt.data, outcome, rpt.period)
    if table.empty:
        return
    out = cible.OUTCOMES[outcome]
    unit = "percent" if outcome != "ent" else None
    fmt = (lambda v: fmt_value(v, "percent")) if unit else (lambda v: fr_number(v, 1))
    fig, ax = plt.subplots()
    alt = []
    for group, colour in (("comparison", PALETTE[1]), ("tne", BLUE)):
        part = table[table["group"] == group]
        if part.empty:
            continue
        ax.plot(part["year"], part["value"], marker="o", color=colour, label=part["label"].iloc[0])
        ax.fill_between(part["year"], part["ci_low"].astype(float), part["ci_high"].astype(float), color=colour,
                        alpha=0.15, lw=0)
        err = np.clip(np.vstack([part["value"] - part["ci_low"], part["ci_high"] - part["value"]]).astype(float),
                      0, None)
        ax.errorbar(part["year"], part["value"], yerr=err, fmt="none", ecolor=colour, capsize=3, lw=1)
        alt.append(f"{part['label'].iloc[0]} : " + ", ".join(f"{p} {fmt(v)}" for p, v in
                                                             zip(part["period"], part["value"], strict=True)))
    cf = table[(table["group"] == "tne") & table["counterfactual"].notna()]
    if len(cf):
        base = table[(table["group"] == "tne") & (table["year"] < cible.FIRST_YEAR)].tail(1)
        ax.plot([*base["year"], *cf["year"]], [*base["value"], *cf["counterfactual"]], ls="--", color=GREY,
                label="Vienne sans TNE (évolution des départements de comparaison)")
        alt.append("Vienne sans TNE : " + ", ".join(fmt(v) for v in cf["counterfactual"]))
    ax.axvline(cible.FIRST_YEAR - 0.5, color="#161616", lw=1, ls=":")
    years = sorted(table["year"].unique())
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_xlim(min(years[0], cible.FIRST_YEAR - 1) - 0.4, max(years[-1], cible.FIRST_YEAR) + 0.4)
    ax.set_ylabel("connexions par élève et par an" if outcome == "ent" else "% des élèves de 3e")
    ax.set_title(f"{out.label} : Vienne et départements de comparaison", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    data = pd.DataFrame({"Groupe": table["label"], "Année scolaire": table["period"], "Valeur": table["value"],
                         "Borne basse IC 95 %": table["ci_low"], "Borne haute IC 95 %": table["ci_high"],
                         "Vienne sans TNE (contrefactuel)": table["counterfactual"]})
    show_figure(fig, f"{out.label} par année scolaire (pointillé vertical : rentrée 2021). " + " ; ".join(alt),
                data=data, name=f"Vienne et comparaison {outcome}")


def event_study_chart(rpt: Report, outcome: str) -> None:
    """Points with intervals: the effect year by year, relative to the last year before 2021."""
    import matplotlib.pyplot as plt

    ev = cible.event_study(rpt.data, outcome, rpt.period)
    out = cible.OUTCOMES[outcome]
    if ev.empty:
        display_markdown(f"*{out.label} : pas d'étude d'événement possible ({rpt.period} n'a pas d'« après »).*")
        return
    e = cible.effect(rpt.data, outcome, rpt.period)
    fig, ax = plt.subplots()
    ok = ev[ev["role"] != "reference"].dropna(subset=["estimate"])
    ref = ev[ev["role"] == "reference"]
    err = np.vstack([ok["estimate"] - ok["ci_low"], ok["ci_high"] - ok["estimate"]]).astype(float)
    colours = [RED if r == "pre" else BLUE for r in ok["role"]]
    if np.isfinite(err).all():
        ax.errorbar(ok["year"], ok["estimate"], yerr=err, fmt="none", ecolor="#161616", capsize=4, lw=1)
    ax.scatter(ok["year"], ok["estimate"], color=colours, zorder=3)
    ax.scatter(ref["year"], ref["estimate"], color=GREY, marker="D", zorder=3, label="année de référence")
    ax.axhline(0, color="#161616", lw=0.8)
    ax.axvline(cible.FIRST_YEAR - 0.5, color="#161616", lw=1, ls=":")
    if np.isfinite(e["ci_low"]):
        ax.axhspan(e["ci_low"], e["ci_high"], color=BLUE, alpha=0.08, lw=0)
    ax.axhline(e["estimate"], color=BLUE, ls="--", lw=1, label=f"effet moyen : {fmt_value(e['estimate'], out.unit)}")
    years = sorted(ev["year"].unique())
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_xlim(years[0] - 0.4, years[-1] + 0.4)
    ax.set_ylabel("% d'écart" if out.log else "points d'écart")
    ax.set_title(f"{out.label} : écart Vienne − comparaison, année par année", loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    alt = "; ".join(f"{p} : {fmt_value(v, out.unit)} [{fmt_value(lo, out.unit, False)} ; "
                    f"{fmt_value(hi, out.unit, False)}]" for p, v, lo, hi in
                    zip(ok["period"], ok["estimate"], ok["ci_low"], ok["ci_high"], strict=True))
    data = pd.DataFrame({"Année scolaire": ev["period"], "Rôle": ev["role"], "Écart Vienne − comparaison": ev["estimate"],
                         "Borne basse IC 95 %": ev["ci_low"], "Borne haute IC 95 %": ev["ci_high"]})
    show_figure(fig, f"Étude d'événement, {out.label}, écart à l'année de référence {ref['period'].iloc[0]} "
                     f"(0 par construction), intervalles à 95 % tenant compte des chocs départementaux "
                     f"(Conley–Taber, effets placebo de l'année). {alt}", data=data, name=f"etude d'evenement {outcome}")


def pretrend_text(rpt: Report) -> str:
    """What can and cannot be checked about parallel trends, with the figures."""
    lines = []
    for key in ("ent", "pix"):
        if not cible.has_sources(rpt.data, key):
            continue
        check = cible.pretrend_check(rpt.data, key, rpt.period)
        label = cible.OUTCOMES[key].label
        if check["testable"]:
            n, p = check["n_departments"], check["p_value"]
            rank = f"se classent {round(p * n)}e sur {n} départements (p de permutation = {fmt_p_value(p)}, le plus petit " \
                   f"possible : {fr_number(1 / n, 3)})" if np.isfinite(p) else "ne peuvent pas être classés"
            lines.append(f"- {label} : {check['pre_periods']} années avant 2021 ; les écarts de la Vienne avant 2021 "
                         f"{rank} — {check['verdict']}. Pour mémoire, le test F par établissement (F = "
                         f"{fr_number(check['f'], 2)}, {check['df']} contrainte(s), p = {fmt_p_value(check['cluster_p_value'])}) "
                         "ignore les chocs départementaux et rejette trop souvent.")
        else:
            lines.append(f"- {label} : les données ne comptent {_years_before(check['pre_periods'])} avant 2021 ; aucun écart "
                         "d'évolution avant le TNE ne peut être mesuré, l'hypothèse de tendances parallèles n'est "
                         "donc **pas testable**.")
    lines.append("- Ce qui peut être vérifié : les niveaux de départ (tableau des départements, section 2), la "
                 "stabilité des écarts d'une année à l'autre après 2021 (graphique année par année), la "
                 "robustesse au choix des départements de comparaison, et un placebo : le même calcul appliqué à "
                 "chacun des autres départements comme s'il était devenu TNE en 2021.")
    lines.append("- Ce qui ne peut pas l'être : qu'en l'absence de TNE la Vienne aurait suivi la même évolution que "
                 "les autres départements ; un autre changement propre à la Vienne en 2021 serait confondu avec "
                 "l'effet du TNE.")
    return "\n".join(lines)


def show_placebo(rpt: Report, outcome: str) -> None:
    """Chart: placebo estimates of the other departments against the Vienne's."""
    import matplotlib.pyplot as plt

    out = cible.OUTCOMES[outcome]
    if Period.parse(rpt.period).start < cible.FIRST_YEAR:
        display_markdown(f"*{out.label} : pas de placebo possible ({rpt.period} n'a pas d'« après »).*")
        return
    table = cible.placebo(rpt.data, outcome, rpt.period).dropna(subset=["estimate"])
    if table.empty:
        return
    fig, ax = plt.subplots(figsize=(8.5, max(2.4, 0.36 * len(table) + 1.2)))
    y = np.arange(len(table))
    colours = [BLUE if t else BLUE_LIGHT for t in table["is_tne"]]
    ax.barh(y, table["estimate"], color=colours, edgecolor=BLUE)
    ax.set_yticks(y, table["label"])
    ax.axvline(0, color="#161616", lw=0.8)
    ax.set_xlabel("% d'écart" if out.log else "points d'écart")
    ax.set_title(f"{out.label} : placebo (chaque département « traité » en 2021)", loc="left")
    data = pd.DataFrame({"Département": table["label"], "Effet estimé": table["estimate"],
                         "Borne basse IC 95 %": table["ci_low"], "Borne haute IC 95 %": table["ci_high"],
                         "Département TNE": table["is_tne"].map({True: "oui", False: "non"})})
    show_figure(fig, f"Placebo, {out.label} (la dispersion des départements sans TNE est l'incertitude qui compte) : "
                + "; ".join(f"{lab} {fmt_value(v, out.unit)}"
                            for lab, v in zip(table["label"], table["estimate"], strict=True)),
                data=data, name=f"placebo {outcome}")
    p, n = table.attrs.get("p_value", np.nan), table.attrs.get("n", len(table))
    if np.isfinite(p):
        rank = round(p * n)
        where = ("a l'écart le plus fort en valeur absolue" if rank == 1 else
                 f"n'a que le {rank}e écart le plus fort en valeur absolue")
        verdict = ("aucun département sans TNE n'a connu un écart aussi fort" if rank == 1 else
                   f"{rank - 1} département(s) sans TNE ont connu un écart au moins aussi fort")
        display_markdown(f"Des {n} départements, la Vienne {where} : {verdict} ; {cible.permutation_text(p, n)}.")


def effect_trend(rpt: Report) -> None:
    """The estimates year after year (``rpt.trend``), or a sentence when there is none yet."""
    titles = {"tne_effect_ent_connections": "Effet estimé sur les connexions à l'ENT par élève",
              "tne_effect_pix_certification": "Effet estimé sur la certification Pix en 3e"}
    for indicator, title in titles.items():
        h = rpt.history(indicator)
        h = h[(h["year"] <= Period.parse(rpt.period).start) & h["value"].notna()]
        if h.empty:
            display_markdown(f"*{title} : aucune estimation jusqu'en {rpt.period} (pas encore d'année après la "
                              "rentrée 2021).*")
            continue
        rpt.trend([indicator], title=title)


def show_scope_context(rpt: Report) -> None:
    """Table: the scope's departments (and the Vienne) before 2021 and in the report's year."""
    ctx = cible.scope_context(rpt.data, rpt.scope, rpt.period)

    def with_ci(prefix: str, unit: str) -> list[str]:
        return [f"{fmt_value(v, unit)} {fmt_interval(a, b, unit)}" if pd.notna(v) else "—" for v, a, b in
                zip(ctx[prefix], ctx[f"{prefix}_low"], ctx[f"{prefix}_high"], strict=True)]

    out = pd.DataFrame({
        "Département": [f"{lab}{'' if ins else ' (hors périmètre)'}"
                        for lab, ins in zip(ctx["label"], ctx["in_scope"], strict=True)],
        "ENT avant 2021": [fr_number(x, 1) for x in ctx["ent_before"]],
        f"ENT {rpt.period}": [fr_number(x, 1) for x in ctx["ent_now"]],
        "Évolution ENT": [fmt_value(x, "percent_change") for x in ctx["ent_change"]],
        "Pix 3e avant 2021": with_ci("pix_before", "percent"),
        f"Pix 3e {rpt.period}": with_ci("pix_now", "percent"),
        "Évolution Pix 3e": with_ci("pix_change", "percent_points"),
    })
    if Period.parse(rpt.period).start < cible.FIRST_YEAR:
        # The report's year is the year before: nothing to compare it with yet.
        out = out[["Département", "ENT avant 2021", "Pix 3e avant 2021"]].rename(
            columns={"ENT avant 2021": f"ENT {rpt.period}", "Pix 3e avant 2021": f"Pix 3e {rpt.period}"})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"{referential.SCOPE_LABELS[rpt.scope]} : connexions à l'ENT par élève "
                                     f"(comptages exhaustifs) et certification Pix en 3e (intervalle à 95 %), "
                                     f"avant 2021 et en {rpt.period}"))


def coverage_notes(rpt: Report) -> list[str]:
    """Method and caveats, with their figures."""
    ent = cible.ent_panel(rpt.data)
    prof = cible.department_profiles(rpt.data)
    closest = ", ".join(prof.loc[prof["closest"], "label"].sort_values())
    features = {"ent_level": "connexions par élève", "pix_level": "certification Pix en 3e", "ips": "IPS moyen",
                "rural_share": "part d'établissements ruraux"}
    used = ", ".join(features[f] for f in prof.attrs.get("features", []))
    n = max(cible.panel_departments(rpt.data, rpt.period), 3)
    floor_reading = (" : ce plan ne peut pas montrer un effet significatif au seuil de 5 %, quel que soit l'effet"
                     if 1 / n > cible.SIGNIFICANCE else "")
    notes = [
        "**Modèle** : différence de différences sur un panel établissement × année scolaire, par moindres carrés "
        "avec effets fixes d'établissement et effets d'année propres à chaque type d'établissement (collège, lycée, "
        "EREA).",
        "**Inférence** : un seul département est traité. Les chocs communs à un département une année donnée "
        "(panne ou changement de plateforme ENT, campagne départementale de certification) touchent tous ses "
        "établissements à la fois : les écarts types regroupés par établissement les ignorent et donnent des "
        "intervalles bien trop étroits (ils restent dans le tableau de la section 1, pour mémoire). L'inférence "
        "qui convient se fait sur les départements : chaque autre département est à son tour « traité » en 2021 "
        "contre les autres, la Vienne étant retirée (placebo). La p-valeur de permutation est le rang de la Vienne "
        f"parmi les départements ; elle ne peut pas descendre sous 1/{n} ≈ {fr_number(1 / n, 3)} avec {n} "
        f"départements{floor_reading}. L'intervalle à 95 % est celui de Conley et Taber (2011) : l'estimation "
        f"moins la dispersion des effets placebo, avec une loi de Student à {n - 2} degrés de liberté, ce qui "
        "suppose des chocs départementaux de loi normale et de même ampleur partout ; sans cette hypothèse, "
        "l'intervalle allant de l'estimation moins le plus grand effet placebo à l'estimation moins le plus petit "
        f"ne couvre l'effet qu'avec une probabilité de {n - 2}/{n} ≈ {fr_number((n - 2) / n * 100)} %"
        + (f", et aucun intervalle fini n'atteint 95 % avec {n - 1} départements de comparaison." if n < 40 else "."),
        "**Indicateurs d'usage** : connexions à l'ENT de tous les profils (élèves, parents, enseignants, "
        "personnels) sur l'année, rapportées aux élèves inscrits (fichiers DEPP), estimées en logarithme et "
        "traduites en % d'évolution ; taux de certification Pix en 3e (élèves certifiés / élèves inscrits en 3e), "
        "en points. Chaque établissement pèse selon ses élèves.",
        f"**Départements de comparaison** : l'estimation principale compare la Vienne aux 11 autres départements "
        f"de la région (les effets fixes absorbent les différences de niveau ; seule l'évolution doit être "
        f"comparable, et plus de départements rendent l'estimation moins sensible à un choc propre à l'un "
        f"d'eux). Contrôle : les {cible.CLOSEST_COUNT} départements les plus proches de la Vienne avant 2021 "
        f"({closest}), selon une distance standardisée sur : {used}.",
        "**Lecture de la valeur annuelle** : l'effet d'une année est estimé avec toutes les années disponibles "
        "jusqu'à elle ; c'est l'effet moyen depuis la rentrée 2021. Le graphique année par année le détaille.",
        "**Périmètre** : l'évaluation est régionale (la Vienne contre les autres départements) et donne la même "
        "valeur dans les quatre rapports ; seule la section 4 est propre au périmètre.",
        "**Limites** : un seul département traité (voir l'inférence) ; les départements diffèrent par leur "
        "taille : l'estimation placebo d'un petit département varie davantage que celle de la Vienne, de taille "
        "moyenne, ce qui rend la p-valeur et l'intervalle plutôt prudents ; les changements de "
        "plateforme ENT (collèges passés sur Lycée connecté) sont supposés sans effet sur le comptage des "
        "connexions ; les collèges privés, absents des exports ENT, ne sont pas dans le panel ENT.",
    ]
    incomplete = ent.attrs.get("incomplete", 0)
    if incomplete:
        notes.append(f"**Exports incomplets** : {incomplete} couple(s) établissement × année dont l'export ENT ne "
                     "couvre pas les mois de septembre à juin sont exclus du panel.")
    return notes


def _years_before(n: int) -> str:
    return {0: "aucune année", 1: "qu'une seule année"}.get(n, f"que {n} années")
