"""What the report of target 2.1 shows: digital inclusion — training, telepresence robots, research.

The opening sentences (:func:`key_messages`); the « numérique et école inclusive »
training of the year and its breakdowns (:func:`show_count_table`, which target 2.3's
report uses too); the robots in service month by month, by department and robot by robot,
the fleet and the loans; the research strand with Inria and the CeRCA; and the caveats of
the method section (:func:`coverage_notes`). The numbers come from
:mod:`drane_analysis.targets.t2_1_inclusion`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import BLUE, GREY, PALETTE, RED, fmt_interval, fmt_value, fr_number
from ..periods import Period
from ..render import (
    display_html,
    gap_sentence,  # noqa: F401  (used by the notebook as vue.gap_sentence)
    html_table,
    published_scope_counts,
    show_figure,
)
from ..targets.t2_1_inclusion import (
    DEGREE_INDICATORS,
    DEGREE_LABELS,
    INCLUSIVE_DOMAIN,
    SHARE_BINS,
    fleet_status,
    protected_assignments,
    protected_fleet,
    protected_research,
    research_teachers,
    robot_figures,
    robot_fleet_size,
    robot_heatmap_frame,
    robot_month_frame,
    robot_monthly,
    robot_share_bins,
    robot_share_distribution,
    sessions_without_department,
    training_summary,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "2.1"


def _region_row(rpt: Report, indicator: str) -> pd.Series | None:
    s = rpt.series
    hit = s[(s["indicator"] == indicator) & (s["academy"] == referential.REGION_SCOPE) & (s["period"] == rpt.period)]
    return None if hit.empty else hit.iloc[0]


def _objective_of(rpt: Report, indicator: str) -> float | None:
    """The objective in force for the region this school year (objectives are regional)."""
    obj = rpt.catalogue.objective_for(indicator, referential.REGION_SCOPE, rpt.period)
    return None if obj is None else obj.objective.value


def _versus(rpt: Report, indicator: str, unit: str, what: str) -> str | None:
    """« **x** what (objectif y : atteint / non atteint) », adding the region when the scope is an academy."""
    r = rpt.table[rpt.table["indicator"] == indicator]
    if r.empty or pd.isna(r.iloc[0]["value"]):
        return None
    value = r.iloc[0]["value"]
    text = f"**{fmt_value(value, unit)}** {what}"
    objective = _objective_of(rpt, indicator)
    region = _region_row(rpt, indicator)
    if rpt.scope != referential.REGION_SCOPE and region is not None and pd.notna(region["value"]):
        text += f" ({fmt_value(region['value'], unit)} dans la région"
        if objective is not None:
            verdict = "atteint" if region["value"] >= objective else "non atteint"
            text += f", pour un objectif régional de {fmt_value(objective, unit)} : {verdict}"
        text += ")"
    elif objective is not None:
        verdict = "atteint" if value >= objective else "non atteint"
        text += f", pour un objectif de {fmt_value(objective, unit)} ({verdict})"
    return text


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    lines = []
    t = _versus(rpt, "inclusive_training_days", "trainee_days",
                "de formation « numérique et école inclusive »")
    if t:
        lines.append(f"- {t}.")
    for degree, indicator in DEGREE_INDICATORS.items():
        t = _versus(rpt, indicator, "count", f"robots de téléprésence du {DEGREE_LABELS[degree]} déployés")
        if t:
            fleet = robot_fleet_size(rpt.data, rpt.scope, rpt.period, degree)
            lines.append(f"- {t} ; le parc en compte {fleet}.")
    r = rpt.table[rpt.table["indicator"] == "robots_in_service_rate"]
    if not r.empty and pd.notna(r.iloc[0]["value"]):
        r = r.iloc[0]
        lines.append(f"- Les robots ont été **en service {fmt_value(r['value'], 'percent')}** de leurs journées "
                     f"de septembre à juin (intervalle à 95 % {fmt_interval(r['ci_low'], r['ci_high'], 'percent')}) ; "
                     "le reste du temps, ils étaient au parc, inutilisés.")
    t1 = _versus(rpt, "inclusion_research_teachers_trained", "count", "enseignants formés avec Inria et le CeRCA")
    t2 = _versus(rpt, "inclusion_module_students", "count", "élèves suivis dans le module de suivi partagé")
    for t in (t1, t2):
        if t:
            lines.append(f"- {t}.")
    return "\n".join(lines)


def show_training(rpt: Report) -> None:
    """Inclusive training: sessions, modules, trainees and trainee-days of the year."""
    show_training_theme(rpt, INCLUSIVE_DOMAIN, "« numérique et école inclusive »")


def show_training_theme(rpt: Report, domain: str, theme: str) -> None:
    """A GAIA training theme's year (2.1's inclusive training, 2.3's VR/AR): sessions, modules,
    trainees, trainee-days and the share in e-training."""
    s = training_summary(rpt.data, domain, rpt.scope, rpt.period)
    frame = pd.DataFrame([{
        "Sessions": fr_number(s["sessions"]), "Modules (actions)": fr_number(s["modules"]),
        "Stagiaires présents": fr_number(s["trainees"]),
        "Journées stagiaires": fmt_value(s["trainee_days"], "trainee_days", False),
        "Part en e-formation": fmt_value(s["e_training_share"], "percent"),
    }])
    display_html(html_table(frame, align_right=list(frame.columns),
                             caption=f"Formations {theme} — {rpt.scope_label}, {rpt.period}"))


def show_count_table(rpt: Report, table: pd.DataFrame, title: str, caption: str, unit: str = "trainee_days") -> None:
    """A breakdown of counts (no interval) with its share of the total."""
    total = table["value"].sum()
    out = pd.DataFrame({
        title: table["label"],
        "Valeur": [fmt_value(v, unit, False) for v in table["value"]],
        "Part du total": [fmt_value(v / total * 100 if total else np.nan, "percent") for v in table["value"]],
    })
    display_html(html_table(out, align_right=["Valeur", "Part du total"], caption=caption))


def deployment_chart(rpt: Report) -> None:
    """Robots in service and idle month by month, per degree, up to the school year shown."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    monthly = robot_monthly(rpt.data, rpt.scope, until=rpt.period)
    if monthly.empty:
        return
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.2), sharex=True)
    alt = []
    p = Period.parse(rpt.period)
    for ax, degree in zip(axes, ("first", "second"), strict=True):
        part = monthly[monthly["degree"] == degree]
        if part.empty:
            ax.set_visible(False)
            continue
        ax.axvspan(pd.Timestamp(p.first_day), pd.Timestamp(p.last_day) + pd.Timedelta(days=1), color="#FFE9B3",
                   alpha=0.6, lw=0, zorder=0)
        ax.bar(part["month"], part["in_service"], width=27, align="edge", color=BLUE, zorder=2,
               label="en service (affecté au moins un jour)")
        ax.bar(part["month"], part["idle"], width=27, align="edge", bottom=part["in_service"], color="#CECECE",
               zorder=2, label="au parc, inutilisé")
        objective = _objective_of(rpt, DEGREE_INDICATORS[degree]) if rpt.scope == referential.REGION_SCOPE else None
        if objective:
            ax.axhline(objective, color=RED, ls="--", lw=1.2)
            ax.text(part["month"].min(), objective, f" objectif annuel {fr_number(objective)}", color=RED,
                    fontsize=8, va="bottom")
        ax.set_ylim(0, max(float(part["fleet"].max()), objective or 0) * 1.15)
        ax.set_ylabel("robots")
        ax.set_title(f"Robots du {DEGREE_LABELS[degree]}", loc="left")
        cur = part[part["period"] == rpt.period]
        if not cur.empty:
            alt.append(f"{DEGREE_LABELS[degree]}, {rpt.period} : de {fr_number(cur['in_service'].min())} à "
                       f"{fr_number(cur['in_service'].max())} robots en service par mois sur un parc de "
                       f"{fr_number(cur['fleet'].max())}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.06))
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))
    fig.autofmt_xdate()
    fig.text(0.01, -0.1, "Zone colorée : l'année scolaire du rapport. Juillet et août : pas de prêt.",
             fontsize=8, color=GREY)
    def months_of(scope: str) -> pd.DataFrame:
        m = robot_monthly(rpt.data, scope, until=rpt.period)
        return pd.DataFrame({"Degré": [DEGREE_LABELS[d] for d in m["degree"]],
                             "Mois": [f"{x:%Y-%m}" for x in m["month"]], "Robots en service": m["in_service"],
                             "Robots inutilisés": m["idle"], "Parc": m["fleet"]})

    # A robot in service is a pupil: a small monthly count is secret (protected with the other
    # scopes' months), and the idle count with it.
    data = published_scope_counts(rpt.data, f"2.1:robots_monthly:{rpt.period}", months_of, rpt.scope,
                                  ["Robots en service"], by=["Degré", "Mois"], partition=False,
                                  follow={"Robots inutilisés": "Robots en service"})
    show_figure(fig, "Robots en service et inutilisés, mois par mois. " + " ; ".join(alt), data=data,
                name="robots en service par mois")


def show_department_table(rpt: Report) -> None:
    """The fleet of each pool department: deployed / fleet and in-service rate (interval), per degree."""
    p = protected_fleet(rpt.data, rpt.scope, rpt.period)
    table = p.frame
    if table.empty:
        return
    out = pd.DataFrame({"Département": table["label"]})
    for degree, name in (("first", "1D"), ("second", "2D")):
        deployed = p.text(f"deployed_{degree}", fr_number)
        out[f"{name} : déployés / parc"] = [f"{d} / {fr_number(f)}" if pd.notna(f) else "—"
                                            for d, f in zip(deployed, table[f"fleet_{degree}"], strict=True)]
        hidden = p.mask(f"value_{degree}")
        out[f"{name} : temps en service"] = [
            p.rules.marker if h else (f"{fmt_value(v, 'percent')} {fmt_interval(lo, hi, 'percent')}" if pd.notna(v)
                                      else "—")
            for v, lo, hi, h in zip(table[f"value_{degree}"], table[f"ci_low_{degree}"], table[f"ci_high_{degree}"],
                                    hidden, strict=True)]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Parc de robots par département — {rpt.period} (1D : 1er degré, 2D : 2nd degré ; "
                                     "temps en service de septembre à juin, avec son intervalle à 95 %)")
                  + p.note_html())


def heatmap(rpt: Report) -> None:
    """Share of robot-days in service by department and month of the school year."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    table = robot_heatmap_frame(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        return
    # A department whose robots deployed are secret shows no monthly share (a share of a few
    # robots gives their count back).
    fleet = protected_fleet(rpt.data, rpt.scope, rpt.period)
    secret = set(fleet.frame.loc[np.logical_or.reduce([fleet.mask(f"deployed_{d}") for d in DEGREE_LABELS]),
                                 "label"])
    table = table[~table.index.isin(secret)]
    if table.empty:
        return
    labels = [f"{m:%m/%y}" for m in table.columns]
    fig, ax = plt.subplots(figsize=(9, max(2.4, 0.42 * len(table) + 1.4)))
    sns.heatmap(table.to_numpy(dtype=float), annot=True, fmt=".0f", cmap="Blues", vmin=0, vmax=100,
                xticklabels=labels, yticklabels=table.index, cbar_kws={"label": "% des journées-robots"}, ax=ax)
    ax.set_title(f"Temps en service des robots par département et par mois (%) — {rpt.period}", loc="left")
    means = table.mean(axis=1)
    alt = "; ".join(f"{d} : {fmt_value(v, 'percent')} en moyenne mensuelle" for d, v in means.items())
    caption = None
    if secret:
        caption = f"Non représentés (secret statistique) : {', '.join(sorted(secret))}."
        alt += f". {caption}"
    data = pd.DataFrame(table.to_numpy(dtype=float), columns=[f"{m:%Y-%m} (%)" for m in table.columns])
    data.insert(0, "Département", list(table.index))
    show_figure(fig, "Carte de chaleur du temps en service des robots par département et par mois. " + alt, caption,
                data=data, name=f"temps en service des robots par mois {rpt.period}")


def share_histogram(rpt: Report) -> None:
    """Distribution of each robot's share of days in service over the year, by degree."""
    import matplotlib.pyplot as plt

    frame = robot_share_distribution(rpt.data, rpt.scope, rpt.period)
    if frame.empty:
        return
    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    alt, values, labels, colours = [], [], [], []
    for k, degree in enumerate(("first", "second")):
        s = frame.loc[frame["degree"] == degree, "share"].dropna()
        if s.empty:
            continue
        values.append(s.to_numpy())
        labels.append(f"{DEGREE_LABELS[degree]} (n = {len(s)})")
        colours.append([BLUE, PALETTE[1]][k])
        alt.append(f"{DEGREE_LABELS[degree]} : médiane {fmt_value(s.median(), 'percent')}, "
                   f"{int((s == 0).sum())} robot(s) jamais affecté(s)")
    ax.hist(values, bins=SHARE_BINS, color=colours, label=labels)
    ax.set_xlabel("part des journées de septembre à juin où le robot est affecté (%)")
    ax.set_ylabel("robots")
    ax.set_title("Utilisation de chaque robot sur l'année", loc="left")
    ax.legend(frameon=False, fontsize=8)
    def bins_of(scope: str) -> pd.DataFrame:
        return robot_share_bins(rpt.data, scope, rpt.period).rename(columns={
            "low": "Part du temps de (%)", "high": "à moins de (%)",
            **{d: f"Robots du {DEGREE_LABELS[d]}" for d in ("first", "second")}})

    data = published_scope_counts(rpt.data, f"2.1:robot_shares:{rpt.period}", bins_of, rpt.scope,
                                  [f"Robots du {DEGREE_LABELS[d]}" for d in ("first", "second")],
                                  by="Part du temps de (%)")
    show_figure(fig, "Histogramme de la part du temps en service de chaque robot. " + " ; ".join(alt), data=data,
                name="utilisation de chaque robot")


def show_fleet_status(rpt: Report) -> None:
    table = fleet_status(rpt.data, rpt.scope)
    as_of = robot_month_frame(rpt.data).attrs["as_of"]
    out = table.reset_index().rename(columns={"index": "Degré"})
    out = out.astype({c: str for c in out.columns})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"État du parc à la date des fichiers ({as_of:%d/%m/%Y})"))


def show_assignments(rpt: Report) -> None:
    p = protected_assignments(rpt.data, rpt.scope, rpt.period)
    table = p.frame
    out = pd.DataFrame({"Motif": table["label"], "Prêts commencés": p.text("loans", fr_number),
                        "Élèves": p.text("pupils", fr_number),
                        "Durée médiane (jours)": p.text("median_days", fr_number)})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Prêts de robots commencés en {rpt.period}, par motif") + p.note_html())


def show_research(rpt: Report) -> None:
    p = protected_research(rpt.data, rpt.scope, rpt.period)
    table = p.frame
    out = pd.DataFrame({
        "Laboratoire": table["label"],
        "Enseignants formés": p.text("teachers", fr_number),
        "dont 1er degré": p.text("teachers_first_degree", fr_number),
        "Durée moy. (h)": p.text("hours", lambda x: fr_number(x, 1)),
        "Élèves entrés": p.text("pupils_entered", fr_number),
        "Élèves suivis": p.text("pupils_followed", fr_number),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Volet recherche (Inria, CeRCA) — {rpt.scope_label}, {rpt.period}")
                  + p.note_html())


def training_note(rpt: Report, domain: str, theme: str) -> str:
    """The method section's note on a GAIA training theme: sessions with no department
    (2.1's and 2.3's caveats)."""
    no_dept = sessions_without_department(rpt.data, domain, rpt.scope, rpt.period)
    return (f"**Formations** : sessions de la thématique « {theme} » de l'extraction GAIA ; {no_dept} session(s) "
            "sans département cette année comptent dans l'académie et la région, pas dans un département.")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = []
    data = rpt.data
    if data.has("formations"):
        notes.append(training_note(rpt, INCLUSIVE_DOMAIN, "Numérique et école inclusive"))
    if data.has("robots") and data.has("robots_affectations"):
        r = robot_figures(data, rpt.scope, rpt.period)
        notes.append(f"**Robots** : les fichiers ne portent pas de date d'export ; les prêts sans date de fin sont "
                     f"comptés jusqu'à la dernière date qu'ils contiennent ({r['as_of']:%d/%m/%Y}). Un robot "
                     "déployé est compté dans le degré et le département de l'établissement auquel il est prêté "
                     "(école : 1er degré ; collège, lycée, EREA : 2nd degré, selon l'annuaire), une fois par degré "
                     "et par périmètre ; le parc, le temps en service et les graphiques mois par mois sont ceux du "
                     "département et du degré du parc qui prête le robot.")
        notes.append("**Temps en service** : journées-robots affectées rapportées aux journées-robots au parc, de "
                     "septembre à juin. Les journées d'un même robot ne sont pas indépendantes : l'intervalle à 95 % "
                     "est celui d'un estimateur par ratio dont l'unité est le robot (et non un intervalle de "
                     "Wilson sur les journées, qui serait faussement étroit).")
        if r["unknown_robots"]:
            notes.append(f"**Affectations** : {fr_number(r['unknown_robots'])} ligne(s) du journal nomment un "
                         "robot absent de l'inventaire et sont écartées.")
        notes.append(f"**Degré** : {fr_number(r['mismatches'])} prêt(s) commencé(s) dans l'année dans un établissement "
                     "dont le type ne correspond pas au degré du robot (annuaire) ; "
                     f"{fr_number(r['robot_degree'])} robot(s) prêté(s) cette année à un établissement ni "
                     "école, ni collège, lycée ou EREA (médico-social, absent de l'annuaire) sont comptés dans le "
                     "degré du robot.")
    if data.has("inclusion_recherche_enseignants"):
        notes.append("**Enseignants formés** : inscriptions marquées « formation suivie » dans l'année de la "
                     f"première session ; {fr_number(research_teachers(data).attrs['not_completed'])} inscription(s) "
                     "non suivies jusqu'au bout (toutes années) ne sont pas comptées.")
    notes.append("**Objectifs** : ils sont fixés pour la région ; un rapport d'académie montre sa contribution.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes
