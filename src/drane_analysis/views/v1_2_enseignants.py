"""What the report of target 1.2 shows: teachers' digital training and Pix certification.

The opening sentences (:func:`key_messages`); where the trainee-days go (by public,
modality, domain, operator, department, and per 1 000 pupils against the departments'
rurality); the teachers certified year by year, their cumulative curve with the
objectives, the pace needed against the pace observed and the projection; and the caveats
of the method section (:func:`coverage_notes`). The numbers come from
:mod:`drane_analysis.targets.t1_2_enseignants`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import (
    BLUE,
    BLUE_LIGHT,
    PALETTE,
    RED,
    fmt_interval,
    fmt_p_value,
    fmt_value,
    fr_number,
)
from ..periods import Period
from ..render import display_html, display_markdown, html_table, show_figure
from ..targets.t1_2_enseignants import (
    CERTIFICATION_INDICATOR,
    CERTIFICATION_START,
    breakdown,
    cumulative_curve,
    department_intensity,
    objectives,
    pace_check,
    projection,
    rurality_correlation,
    session_figures,
    yearly_certifications,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "1.2"


def _with_interval(value: str, lo: float, hi: float, unit: str) -> str:
    interval = fmt_interval(lo, hi, unit)
    return value if interval == "—" else f"{value} {interval}"


def _deadline_day(label: str) -> pd.Timestamp:
    return pd.Timestamp(Period.parse(label).last_day)


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    ids = set(rpt.table["indicator"])
    if "teacher_training_days" in ids:
        r = rpt.row("teacher_training_days")
        text = f"- **{fmt_value(r['value'], 'trainee_days')}** de formation au et par le numérique cette année"
        if pd.notna(r["objective"]):
            cmp = "atteignant" if r["value"] >= r["objective"] else "en deçà de"
            text += f", {cmp} l'objectif de {fmt_value(r['objective'], 'trainee_days')}"
            if r["objective_deadline"] and r["objective_deadline"] != rpt.period:
                text += f" (échéance {r['objective_deadline']})"
        lines.append(text + ".")
        levels = breakdown(rpt.data, "teacher_training_days", rpt.scope, rpt.period, "level")
        if not levels.empty:
            parts = [f"{lab} {fmt_value(s, 'percent')}" for lab, s in zip(levels["label"], levels["share"], strict=True)]
            lines.append("- Répartition des journées stagiaires selon le public : " + ", ".join(parts) + ".")
    if "teacher_training_e_share" in ids:
        r = rpt.row("teacher_training_e_share")
        if pd.notna(r["value"]):
            lines.append(f"- **{fmt_value(r['value'], 'percent')}** des journées stagiaires sont en e-formation "
                         f"(à distance ou hybride), intervalle à 95 % [{fmt_value(r['ci_low'], 'percent', False)} ; "
                         f"{fmt_value(r['ci_high'], 'percent')}].")
    if CERTIFICATION_INDICATOR in ids:
        r = rpt.row(CERTIFICATION_INDICATOR)
        text = (f"- **{fr_number(r['value'])}** enseignants certifiés Pix depuis la rentrée 2020 "
                f"(dont {fr_number(r['numerator'])} cette année)")
        if pd.notna(r["objective"]):
            text += f" ; objectif {fr_number(r['objective'])}"
            if r["objective_deadline"] and r["objective_deadline"] != rpt.period:
                text += f" en {r['objective_deadline']}"
            text += f" : {r['status_label'].lower()}"
        lines.append(text + ".")
        pace = pace_check(rpt.data, rpt.scope, rpt.period)
        ahead = pace[pace["needed_per_year"].notna()]
        missed = pace[(pace["at_pace"] != "") & pace["needed_per_year"].isna()]
        if not ahead.empty:
            a = ahead.iloc[0]
            lines.append(f"- Pour atteindre {fr_number(a['objective'])} fin {a['deadline']}, il faut "
                         f"{fr_number(a['needed_per_year'])} nouveaux certifiés par an ; le rythme de l'année est de "
                         f"{fr_number(a['pace'])} : {a['verdict']}.")
        elif not missed.empty:
            a = missed.iloc[-1]
            lines.append(f"- L'objectif de {fr_number(a['objective'])} (échéance {a['deadline']}) n'est pas encore "
                         f"atteint ; au rythme de l'année ({fr_number(a['pace'])} certifiés), il le serait fin "
                         f"{a['at_pace']}.")
    return "\n".join(lines)


COMPOSITION_CAPTIONS = {"department": "par département", "level": "selon le public", "modality": "selon la modalité",
                        "domain": "par thématique", "operator": "par opérateur"}


def show_composition(rpt: Report, by: str, title: str) -> None:
    """Trainee-days of the scope and year by one dimension, with shares and e-training share."""
    days = breakdown(rpt.data, "teacher_training_days", rpt.scope, rpt.period, by)
    if days.empty:
        return
    share = breakdown(rpt.data, "teacher_training_e_share", rpt.scope, rpt.period, by).set_index("group")
    out = pd.DataFrame({
        title: days["label"],
        "Sessions": [fr_number(x) for x in days["denominator"]],
        "Journées stagiaires": [fmt_value(x, "trainee_days", False) for x in days["value"]],
        "Part du total": [fmt_value(x, "percent") for x in days["share"]],
        "Part d'e-formation": [fmt_value(share["value"].get(g, np.nan), "percent") for g in days["group"]],
        "Intervalle à 95 %": [fmt_interval(share["ci_low"].get(g, np.nan), share["ci_high"].get(g, np.nan),
                                           "percent") for g in days["group"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Journées stagiaires {COMPOSITION_CAPTIONS.get(by, by)} — {rpt.period}"))


def show_intensity(rpt: Report) -> None:
    """Trainee-days per department, per 1 000 pupils of the second degree, and rurality."""
    t = department_intensity(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Département": t["label"],
        "Journées stagiaires": [fmt_value(x, "trainee_days", False) for x in t["trainee_days"]],
        "Part": [fmt_value(x, "percent") for x in t["share"]],
        "Élèves du second degré": [fr_number(x) for x in t["pupils"]],
        "Pour 1 000 élèves": [fr_number(x, 1) for x in t["per_1000"]],
        "Élèves en commune rurale": [fmt_value(x, "percent") for x in t["rural_share"]],
    })
    enrol = t.attrs.get("enrolment_period")
    caption = "Intensité de formation par département"
    if enrol:
        caption += f" (effectifs {enrol})"
    display_html(html_table(out, align_right=list(out.columns[1:]), caption=caption))


def intensity_chart(rpt: Report) -> None:
    """Trainee-days per 1 000 pupils against the department's rural share (region's 12)."""
    import matplotlib.pyplot as plt

    t = department_intensity(rpt.data, referential.REGION_SCOPE, rpt.period).dropna(subset=["per_1000"])
    if len(t) < 2:
        return
    fig, ax = plt.subplots()
    inside = t["department"].isin(referential.departments_of(rpt.scope))
    ax.scatter(t.loc[~inside, "rural_share"], t.loc[~inside, "per_1000"], color=BLUE_LIGHT, alpha=0.45)
    ax.scatter(t.loc[inside, "rural_share"], t.loc[inside, "per_1000"], color=BLUE)
    for rec in t.itertuples(index=False):
        ax.annotate(rec.department, (rec.rural_share, rec.per_1000), xytext=(4, 3), textcoords="offset points",
                    fontsize=8)
    if len(t) >= 3:
        slope, intercept = np.polyfit(t["rural_share"], t["per_1000"], 1)
        xs = np.linspace(t["rural_share"].min(), t["rural_share"].max(), 20)
        ax.plot(xs, intercept + slope * xs, ls="--", color="#666666", lw=1)
    ax.set_xlabel("part des élèves du second degré scolarisés en commune rurale (%)")
    ax.set_ylabel("journées stagiaires pour 1 000 élèves")
    ax.set_title("Intensité de formation et ruralité des départements", loc="left")
    alt = "Nuage de points des 12 départements. " + "; ".join(
        f"{r.label} : {fr_number(r.per_1000, 1)} journées pour 1 000 élèves, {fmt_value(r.rural_share, 'percent')} "
        "en rural" for r in t.itertuples(index=False))
    data = pd.DataFrame({"Département": t["label"], "Élèves en commune rurale (%)": t["rural_share"],
                         "Journées stagiaires pour 1 000 élèves": t["per_1000"]})
    show_figure(fig, alt, data=data, name="intensite de formation et ruralite")


def rurality_sentence(rpt: Report) -> str:
    """One sentence on the correlation between rurality and training intensity."""
    c = rurality_correlation(rpt.data, rpt.period)
    if not np.isfinite(c["rho"]):
        return ""
    strength = "nette" if abs(c["rho"]) >= 0.6 else ("modérée" if abs(c["rho"]) >= 0.3 else "faible")
    sense = "moins" if c["rho"] < 0 else "plus"
    verdict = ("significative au seuil de 5 %" if c["p_value"] < 0.05
               else "non significative au seuil de 5 %")
    return (f"Sur les {c['n']} départements de la région, la corrélation de Spearman entre la part d'élèves en "
            f"commune rurale et les journées stagiaires pour 1 000 élèves vaut {fr_number(c['rho'], 2)} "
            f"(p {fmt_p_value(c['p_value'], relation=True)}, {verdict}) : une liaison {strength}, les départements plus "
            f"ruraux se formant {sense}.")


def show_yearly_certifications(rpt: Report) -> None:
    """Teachers' certification year by year: sessions, candidates, certified, success, score."""
    y = yearly_certifications(rpt.data, rpt.scope, rpt.period)
    if y.empty:
        return
    out = pd.DataFrame({
        "Année": y["period"],
        "Sessions": [fr_number(x) for x in y["sessions"]],
        "Candidats": [fr_number(x) for x in y["candidates"]],
        "Certifiés": [fr_number(x) for x in y["validated"]],
        "dont nouveaux": [fr_number(x) for x in y["new"]],
        "Cumul": [fr_number(x) for x in y["cumulative"]],
        "Réussite [IC 95 %]": [_with_interval(fmt_value(x, "percent"), a, b, "percent") for x, a, b in
                                       zip(y["success_rate"], y["success_low"], y["success_high"], strict=True)],
        "Score moyen des certifiés [IC 95 %]": [_with_interval(fmt_value(x, "pix"), a, b, "pix") for x, a, b in
                                  zip(y["mean_score"], y["score_low"], y["score_high"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Certification Pix des enseignants, année par année (enseignants "
                                     "distincts ; nouveaux : première certification validée depuis la rentrée "
                                     "2020, ceux que cumule l'indicateur)"))


def show_pace(rpt: Report) -> None:
    """Objectives of the scope: reached or not at their deadline, pace needed vs observed."""
    pace = pace_check(rpt.data, rpt.scope, rpt.period)
    if pace.empty:
        display_markdown("*Aucun objectif chiffré de certification ne s'applique à ce périmètre.*")
        return
    out = pd.DataFrame({
        "Objectif": [f"{fr_number(v)} fin {d}" for v, d in zip(pace["objective"], pace["deadline"], strict=True)],
        "Cumul": [fr_number(x) for x in pace["cumulative"]],
        "Reste": [fr_number(x) for x in pace["remaining"]],
        "Nécessaire par an": [fr_number(x) for x in pace["needed_per_year"]],
        f"Certifiés {rpt.period} [IC 95 %]": [_with_interval(fr_number(x), a, b, "count") for x, a, b in
                                              zip(pace["pace"], pace["pace_low"], pace["pace_high"], strict=True)],
        "Verdict": pace["verdict"],
        "Au rythme de l'année": [f"atteint fin {x}" if x else "—" for x in pace["at_pace"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:5]),
                             caption="Objectifs de certification : échéances et rythme"))


def show_projection(rpt: Report) -> None:
    """The projected cumulative count for the coming years (both projections)."""
    proj = projection(rpt.data, rpt.scope, rpt.period)
    ahead = proj[proj["observed"].isna()]
    if ahead.empty:
        return
    out = pd.DataFrame({
        "Fin de l'année": ahead["period"],
        "Tendance linéaire [prévision à 95 %]": [_with_interval(fr_number(x), a, b, "count") for x, a, b in
                                                 zip(ahead["trend"], ahead["trend_low"], ahead["trend_high"],
                                                     strict=True)],
        "Rythme de l'année maintenu [IC 95 %]": [_with_interval(fr_number(x), a, b, "count") for x, a, b in
                                                 zip(ahead["pace"], ahead["pace_low"], ahead["pace_high"],
                                                     strict=True)],
        "Objectif": [fr_number(x) for x in ahead["objective"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Projection du nombre cumulé d'enseignants certifiés (données jusqu'à "
                                     f"{rpt.period})"))


def cumulative_chart(rpt: Report) -> None:
    """Cumulative teachers certified with the objectives at their deadlines and the projection.

    The projection is drawn up to the later of the last deadline and the year after the
    report's: the linear trend (dashed, with its prediction band) when two years are
    observed, else the report year's pace maintained (dotted, with its Poisson band).
    """
    import matplotlib.pyplot as plt

    curve = cumulative_curve(rpt.data, rpt.scope, rpt.period)
    if curve.empty:
        return
    p = Period.parse(rpt.period)
    region = rpt.scope == referential.REGION_SCOPE
    panels = [[rpt.scope], list(referential.ACADEMIES)] if region else [[rpt.scope]]
    fig, axes = plt.subplots(1, len(panels), figsize=(11 if region else 8.5, 4.6), squeeze=False)
    alt = []
    rows = []
    for ax, names in zip(axes[0], panels, strict=True):
        objs = {(o["value"], o["deadline"]) for name in names for o in objectives(name)}
        horizon = max([p.shift(1), *[Period.parse(d) for _, d in objs]])
        top = 0.0
        for k, name in enumerate(names):
            colour = BLUE if len(names) == 1 else PALETTE[(k + 1) % len(PALETTE)]
            c = curve[curve["series"] == name]
            label = referential.ACADEMIES[name].name if name in referential.ACADEMIES else "Région"
            ax.step(c["date"], c["cumulative"], where="post", color=colour, label=label, lw=1.8)
            # The CSV gives the curve at each month's end (its steps are certifications).
            monthly = c.set_index(pd.to_datetime(c["date"]))["cumulative"].resample("ME").last().ffill()
            rows += [{"Périmètre": label, "Date": f"{d:%Y-%m-%d}", "Enseignants certifiés (cumul)": v,
                      "Projection": None} for d, v in monthly.items()]
            proj = projection(rpt.data, name, rpt.period)
            within = [Period.parse(x) <= horizon for x in proj["period"]]
            ahead = proj[proj["observed"].isna() & pd.Series(within, index=proj.index)]
            last_date, last_value = c["date"].iloc[-1], float(c["cumulative"].iloc[-1])
            top = max(top, last_value)
            method = "trend" if ahead["trend"].notna().any() else ("pace" if ahead["pace"].notna().any() else None)
            if method:
                days = [_deadline_day(x) for x in ahead["period"]]
                ax.plot([last_date, *days], [last_value, *ahead[method]], ls="--" if method == "trend" else ":",
                        color=colour, lw=1.3)
                lo, hi = ahead[f"{method}_low"].astype(float), ahead[f"{method}_high"].astype(float)
                if lo.notna().any():
                    ax.fill_between([last_date, *days], [last_value, *lo], [last_value, *hi], color=colour,
                                    alpha=0.12, lw=0)
                    top = max(top, float(np.nanmax(hi)))
                top = max(top, float(np.nanmax(ahead[method])))
                end = ahead.iloc[-1]
                rows += [{"Périmètre": label, "Date": f"fin {x}", "Enseignants certifiés (cumul)": None,
                          "Projection": v} for x, v in zip(ahead["period"], ahead[method], strict=True)]
                alt.append(f"{label} : {fr_number(last_value)} certifiés fin {rpt.period}, projection "
                           f"{fr_number(end[method])} fin {end['period']}")
            else:
                alt.append(f"{label} : {fr_number(last_value)} certifiés fin {rpt.period}")
        for value, deadline in sorted(objs, key=lambda o: Period.parse(o[1])):
            day = _deadline_day(deadline)
            ax.plot([day], [value], marker="D", color=RED, ms=7, ls="none", zorder=4)
            ax.annotate(f"{fr_number(value)} (fin {deadline})", (day, value), xytext=(-8, 4),
                        textcoords="offset points", ha="right", va="bottom", color=RED, fontsize=8)
            top = max(top, value)
            alt.append(f"objectif {fr_number(value)} fin {deadline}")
        first = Period.parse(CERTIFICATION_START)
        years = range(first.start, horizon.end)
        ax.set_xticks([pd.Timestamp(y, 9, 1) for y in [*years, horizon.end]], [""] * (len(years) + 1))
        ax.set_xticks([pd.Timestamp(y + 1, 3, 1) for y in years], [f"{y}-{str(y + 1)[2:]}" for y in years],
                      minor=True, fontsize=8)
        ax.tick_params(axis="x", which="minor", length=0)
        ax.set_xlim(pd.Timestamp(first.start, 9, 1), _deadline_day(horizon.label) + pd.Timedelta(days=20))
        ax.set_ylim(0, top * 1.15 + 1)
        ax.set_ylabel("enseignants certifiés (cumul)")
        ax.set_title("Région" if (region and names == [rpt.scope]) else
                     ("Académies" if region else referential.SCOPE_LABELS[rpt.scope]), loc="left")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.suptitle("Enseignants certifiés Pix depuis la rentrée 2020 : cumul, objectifs (losanges) et projection",
                 fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    show_figure(fig, "Courbe cumulée des enseignants certifiés. " + " ; ".join(alt), data=pd.DataFrame(rows),
                name="enseignants certifies Pix cumul")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = []
    if rpt.data.has("formations"):
        s = session_figures(rpt.data, rpt.scope, rpt.period)
        notes += [
            "**Journées stagiaires** : somme, sur les sessions de formation au et par le numérique extraites de "
            f"GAIA, du nombre de stagiaires présents × durée en jours ({s['sessions']} sessions cette année, "
            f"{s['modules']} modules). Un registre exhaustif : pas d'intervalle.",
            "**Part d'e-formation** : journées en distanciel ou hybride rapportées au total. La modalité se décide "
            "par module de formation : l'intervalle à 95 % est celui de Wilson calculé sur le nombre effectif de "
            "modules (formule de Kish), et non sur les journées, qui ne sont pas des observations indépendantes.",
            f"**Sessions sans département** : {s['no_department']} session(s) académique(s) à distance "
            f"({fr_number(s['no_department_days'])} journées) comptent dans l'académie et la région, "
            "pas dans un département.",
            "**Intensité par département** : faute d'effectifs d'enseignants dans les données, les journées "
            "stagiaires (tous publics) sont rapportées aux élèves du second degré (fichiers d'effectifs de la "
            "DEPP), qui mesurent la taille du département ; la ruralité est la part de ces élèves scolarisés en "
            "commune rurale (grille de densité de l'INSEE).",
        ]
    if rpt.data.has("pix_certification_enseignants"):
        notes += [
            "**Enseignants certifiés** : enseignants distincts ayant une certification Pix « validée » dans les "
            "sessions des centres académiques de certification des enseignants, cumulés depuis la rentrée 2020 ; "
            "chacun compte une fois, l'année et dans l'académie de sa première certification validée (un "
            "renouvellement n'ajoute rien). L'export ne portant pas d'identifiant, un enseignant est reconnu à ses "
            "nom, prénom et date de naissance, remplacés à la lecture par un numéro. Les certifications annulées ou "
            "en erreur, et celles d'un autre type (CléA Numérique, Pix+ Édu…), ne comptent pas.",
            "**Calendrier** : la certification gratuite des enseignants a ouvert à Bordeaux à la rentrée 2020, "
            "à Poitiers et Limoges en janvier 2021 (feuille de route).",
            "**Projections** : la tendance linéaire est celle de la règle des statuts (cumuls annuels, au moins "
            "deux années ; intervalle de prévision à partir de trois) ; le « rythme maintenu » ajoute chaque année "
            "les certifiés de l'année du rapport, avec l'intervalle exact de Poisson de ce nombre — il suppose un "
            "rythme constant et sous-estime donc l'incertitude si le rythme varie d'une année à l'autre.",
        ]
    for objective in rpt.target.objectives:
        if objective.note and objective.applies_to(rpt.scope):
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes
