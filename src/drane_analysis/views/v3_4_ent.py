"""Target 3.4's report: the ENT (digital workspaces) of the lycées, collèges and écoles.

Key messages (lycées whose ENT is activated, accounts activated, accesses per account and
their change, teachers on the pedagogical services, departments whose collèges share the
lycées' ENT, écoles with an ENT); accesses per account year by year; the teachers using
Moodle, web conferences and audio rooms (small counts hidden); the collèges' ENT by
department; the monthly connections and their seasonal profile; the method's caveats.
The numbers come from :mod:`drane_analysis.targets.t3_4_ent`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formatting import (
    BLUE,
    BLUE_LIGHT,
    PALETTE,
    fmt_interval,
    fmt_value,
    fr_number,
    status_phrase,
)
from ..periods import Period
from ..privacy import protect_scopes
from ..render import display_html, display_markdown, gap_sentence, html_table, show_figure  # noqa: F401  (gap_sentence: used by the notebook as vue.gap_sentence)
from ..targets import t3_4_ent as cible

if TYPE_CHECKING:
    from ..report import Report

TARGET = "3.4"


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = {i: rpt.row(i) for i in rpt.table["indicator"]}
    lines = []
    e = r.get("ent_lycee_establishment_activation_rate")
    if e is not None and pd.notna(e["value"]):
        lines.append(f"- **Lycée connecté** : l'ENT est activé (comptes élèves et enseignants activés) dans "
                     f"{fmt_value(e['value'], 'percent')} des lycées publics ({fr_number(e['numerator'])} sur "
                     f"{fr_number(e['denominator'])}), pour un objectif de {fmt_value(e['objective'], 'percent')} : "
                     f"{status_phrase(e)}.")
    a = r.get("ent_lycee_activation_rate")
    if a is not None and pd.notna(a["value"]):
        lines.append(f"- Dans ces lycées, {fmt_value(a['value'], 'percent')} des comptes élèves et enseignants chargés "
                     f"sont activés ({fr_number(a['numerator'])} sur {fr_number(a['denominator'])}, intervalle "
                     f"{fmt_interval(a['ci_low'], a['ci_high'], 'percent')}) : lecture plus stricte de l'objectif, "
                     "suivie sans statut (les comptes des élèves arrivés dans l'année ne sont pas tous activés).")
    u = r.get("ent_lycee_usage_rate")
    if u is not None and pd.notna(u["value"]):
        text = (f"- **Usage** : {fmt_value(u['value'], 'per_account')} accès aux applications par compte activé dans "
                f"l'année (intervalle {fmt_interval(u['ci_low'], u['ci_high'], 'per_account')})")
        if pd.notna(u["baseline"]) and pd.notna(u["objective"]):
            text += (f", contre {fmt_value(u['baseline'], 'per_account')} en {rpt.catalogue.baseline_period}, pour un "
                     f"objectif de +20 % par rapport à {rpt.catalogue.baseline_period} "
                     f"({fmt_value(u['objective'], 'per_account')}) : {status_phrase(u)}")
        elif pd.isna(u["objective"]):
            text += (f" ; sans l'année {rpt.catalogue.baseline_period} dans les données, l'objectif de +20 % ne peut pas "
                     "être chiffré")
        lines.append(text + ".")
    g = r.get("ent_lycee_usage_growth")
    if g is not None:
        if pd.notna(g["value"]):
            lines.append(f"- Sur un an, les accès par compte activé évoluent de "
                         f"**{fmt_value(g['value'], 'percent_change')}** ({fmt_value(g['ci_low'], 'percent_change')} à "
                         f"{fmt_value(g['ci_high'], 'percent_change')}) ; la lecture « +20 % chaque année » est suivie "
                         "sans statut.")
        else:
            lines.append("- L'évolution sur un an ne se mesure pas cette année : les données ne couvrent pas l'année "
                         "précédente.")
    t = r.get("ent_teachers_services_users")
    if t is not None and pd.notna(t["value"]):
        text = (f"- **{fr_number(t['value'])} enseignants** au moins ont utilisé un service pédagogique (Moodle, "
                "webconférence, salles audio) le mois de plus forte utilisation")
        if pd.notna(t["objective"]):
            verb = "plus" if t["value"] > t["objective"] else "pas plus"
            text += f", {verb} que l'an dernier ({fr_number(t['objective'])})"
        lines.append(text + ".")
    c = r.get("ent_college_departments_shared")
    if c is not None and pd.notna(c["value"]):
        obj = f" pour un objectif de {fr_number(c['objective'])}" if pd.notna(c["objective"]) else ""
        lines.append(f"- **{fr_number(c['value'])} département(s)** ont leurs collèges sur l'ENT des lycées{obj}"
                     f"{' : ' + status_phrase(c) if pd.notna(c['objective']) else ''}.")
    e = r.get("ent_ecole_activation_rate")
    if e is not None and pd.notna(e["value"]):
        lines.append(f"- **{fmt_value(e['value'], 'percent')}** des écoles publiques ont un ENT ouvert "
                     f"({fr_number(e['numerator'])} sur {fr_number(e['denominator'])}), pour un objectif de "
                     f"{fmt_value(e['objective'], 'percent')} : {status_phrase(e)}.")
    return "\n".join(lines)


def show_usage_table(rpt: Report) -> None:
    """Accesses per activated account and their yearly change, up to the report's year."""
    table = cible.usage_table(rpt.data, rpt.scope, rpt.period)
    if table.empty:
        return
    out = pd.DataFrame({
        "Année": table["period"],
        "Accès": [fr_number(x) for x in table["accesses"]],
        "Comptes activés¹": [fr_number(x) for x in table["accounts"]],
        "Accès par compte": [fr_number(x, 1) for x in table["per_account"]],
        "IC 95 %": [fmt_interval(lo, hi, "index") for lo, hi in
                    zip(table["per_account_low"], table["per_account_high"], strict=True)],
        "Évolution sur un an": [fmt_value(x, "percent_change") for x in table["value"]],
        "IC 95 % ": [fmt_interval(lo, hi, "percent_change") for lo, hi in
                     zip(table["ci_low"], table["ci_high"], strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Lycée connecté : accès aux applications par compte activé "
                                     "(¹ moyenne des stocks mensuels ; IC : intervalle de confiance)"))


def show_teacher_services(rpt: Report) -> None:
    """Each pedagogical service at its peak month and the two bounds of « any service »."""
    detail = cible.teacher_services_detail(rpt.data, rpt.scope, rpt.period)
    if detail.empty:
        display_markdown("*L'export des accès ne donne pas les visiteurs uniques des services : le nombre "
                          "d'enseignants utilisateurs ne peut pas être estimé.*")
        return
    # Teachers using a service: a service used by fewer than the threshold is secret (the
    # services overlap, so there is no total to protect against), and so is the same service
    # in another scope's table that would give it back (region − the other academies).
    p = protect_scopes(rpt.data, f"3.4:teacher_services:{rpt.period}",
                       lambda s: cible.teacher_services_detail(rpt.data, s, rpt.period).reset_index(drop=True), rpt.scope,
                       ["users"], by="service", rates={"share": ("users", "activated_teachers")},
                       follow={"ci_low": "share"}, partition=False)
    detail = p.frame
    out = pd.DataFrame({
        "Service": detail["service"],
        "Mois de pointe": [_month_label(m) for m in detail["month"]],
        "Enseignants utilisateurs": p.text("users", fr_number),
        "Part des enseignants activés": p.text("share", lambda x: fmt_value(x, "percent")),
        "Intervalle à 95 %": [p.rules.marker if h else fmt_interval(lo, hi, "percent") for lo, hi, h in
                              zip(detail["ci_low"], detail["ci_high"], p.mask("ci_low"), strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[2:]),
                             caption=f"Enseignants utilisateurs des services pédagogiques au mois de pointe "
                                     f"({fr_number(detail['activated_teachers'].iloc[0])} comptes enseignants "
                                     "activés)") + p.note_html())


def teacher_services_chart(rpt: Report) -> None:
    """Peak-month users of each service and of « any service » (bounds), year by year."""
    import matplotlib.pyplot as plt

    hist = cible.teacher_services_history(rpt.data, rpt.scope)
    hist = hist[hist["period"].map(lambda p: Period.parse(p) <= Period.parse(rpt.period))]
    if hist.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    for k, (service, part) in enumerate(hist.groupby("service", sort=True)):
        part = part.sort_values("period", key=lambda s: s.map(lambda p: Period.parse(p).start))
        x = [Period.parse(p).start for p in part["period"]]
        dashed = "borne" in service
        ax.plot(x, part["users"], marker="o", ls="--" if dashed else "-", color=PALETTE[k % len(PALETTE)],
                label=service)
        alt.append(f"{service} : " + ", ".join(f"{p} {fr_number(v)}" for p, v in
                                                zip(part["period"], part["users"], strict=True)))
    years = sorted({Period.parse(p).start for p in hist["period"]})
    ax.set_xticks(years, [Period(y).label for y in years])
    ax.set_ylabel("enseignants (mois de pointe)")
    ax.set_ylim(bottom=0)
    ax.set_title("Enseignants utilisateurs des services pédagogiques", loc="left")
    ax.legend(fontsize=8, frameon=False)
    data = pd.DataFrame({"Service": hist["service"], "Année scolaire": hist["period"],
                         "Enseignants utilisateurs (mois de pointe)": hist["users"]})
    show_figure(fig, "Enseignants utilisateurs au mois de pointe, par service et par année. " + " ; ".join(alt),
                data=data, name="enseignants utilisateurs par service")


def show_college_departments(rpt: Report) -> None:
    """The departments of the scope: their public collèges and the ENT they are on."""
    table = cible.college_departments(rpt.data, rpt.scope, rpt.period)
    out = pd.DataFrame({
        "Département": table["label"],
        "Collèges publics": [fr_number(x) for x in table["public_colleges"]],
        "Sur Lycée connecté": [fr_number(x) for x in table["on_lycee"]],
        "Sur l'ENT départemental": [fr_number(x) for x in table["on_departmental"]],
        "Part sur Lycée connecté": [fmt_value(x, "percent") for x in table["share_on_lycee"]],
        "Depuis": [s.replace("-", "\u2011") if s else "—" for s in table["since"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:5]),
                             caption=f"ENT des collèges publics par département, {rpt.period}"))


def monthly_chart(rpt: Report) -> None:
    """Monthly connections over the school years, by platform family and in total."""
    import matplotlib.pyplot as plt

    frame = cible.monthly_usage(rpt.data, rpt.scope, rpt.period)
    if frame.empty:
        return
    total = frame.groupby("month")["connections"].sum()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(total.index, total.to_numpy() / 1e6, color=BLUE, lw=2, label="Toutes plateformes")
    for k, (family, part) in enumerate(frame.groupby("family", sort=True)):
        s = part.groupby("month")["connections"].sum()
        ax.plot(s.index, s.to_numpy() / 1e6, lw=1, color=PALETTE[(k + 1) % len(PALETTE)],
                label=cible.PLATFORM_FAMILIES[family])
    starts = [pd.Timestamp(Period.parse(p).first_day) for p in cible.sorted_periods(frame["period"].unique())]
    for start in starts:
        ax.axvline(start, color="#BBBBBB", lw=0.6)
    if len(starts) <= 2:
        ticks = sorted(starts + [s + pd.DateOffset(months=4) for s in starts])
        ax.set_xticks(ticks, [_month_label(t) for t in ticks], fontsize=8)
    else:  # one label per school year, in its middle
        ax.set_xticks([s + pd.DateOffset(months=6) for s in starts],
                      [Period.of_date(s).label for s in starts], fontsize=8)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("connexions (millions)")
    ax.set_title("Connexions mensuelles aux ENT", loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4)
    by_year = frame.groupby("period")["connections"].sum()
    peaks = total.groupby(total.index.map(lambda d: Period.of_date(d).label)).idxmax()
    lows = total.groupby(total.index.map(lambda d: Period.of_date(d).label)).idxmin()
    alt = "; ".join(f"{p} : {fr_number(by_year[p])} connexions, maximum en {_month_label(peaks[p])}, minimum en "
                    f"{_month_label(lows[p])}" for p in cible.sorted_periods(by_year.index))
    data = (frame.pivot_table(index="month", columns="family", values="connections", aggfunc="sum")
            .rename(columns=cible.PLATFORM_FAMILIES))
    data.insert(0, "Toutes plateformes", total.reindex(data.index).to_numpy())
    data.insert(0, "Mois", [f"{m:%Y-%m}" for m in data.index])
    show_figure(fig, "Connexions mensuelles aux ENT (élèves, enseignants, parents, personnels), par plateforme. "
                + alt, data=data, name="connexions mensuelles aux ENT")


def seasonal_chart(rpt: Report) -> None:
    """The seasonal profile: average share of the year's connections per month, with interval."""
    import matplotlib.pyplot as plt

    prof = cible.seasonal_profile(rpt.data, rpt.scope, rpt.period)
    if prof.empty or prof["years"].max() == 0:
        return
    fig, ax = plt.subplots()
    x = np.arange(12)
    ax.bar(x, prof["share"], color=BLUE_LIGHT, edgecolor=BLUE)
    if prof["ci_low"].notna().all():
        err = np.vstack([prof["share"] - prof["ci_low"], prof["ci_high"] - prof["share"]]).astype(float)
        ax.errorbar(x, prof["share"], yerr=np.clip(err, 0, None), fmt="none", ecolor="#161616", capsize=3, lw=1)
    ax.axhline(100 / 12, color="#666666", ls=":", lw=1)
    ax.text(11.5, 100 / 12, " 1/12", color="#666666", fontsize=8, va="bottom", ha="right")
    ax.set_xticks(x, list(cible.MONTH_LABELS))
    ax.set_ylabel("part des connexions de l'année (%)")
    n = int(prof["years"].max())
    ax.set_title(f"Profil saisonnier ({n} année(s) complète(s))", loc="left")
    data = pd.DataFrame({"Mois": prof["month"], "Part moyenne des connexions (%)": prof["share"],
                         "Borne basse IC 95 %": prof["ci_low"], "Borne haute IC 95 %": prof["ci_high"]})
    show_figure(fig, "Part moyenne des connexions de l'année par mois : " + ", ".join(
        f"{m} {fmt_value(s, 'percent')}" for m, s in zip(prof["month"], prof["share"], strict=True)), data=data,
        name="saisonnalite des connexions")


def show_seasonal_table(rpt: Report) -> None:
    """The seasonal profile as a table: the mean share and each complete year."""
    prof = cible.seasonal_profile(rpt.data, rpt.scope, rpt.period)
    years = [c for c in prof.columns if c[:4].isdigit()]
    if not years:
        return
    out = pd.DataFrame({"Mois": prof["month"],
                        "Part moyenne": [fmt_value(x, "percent") for x in prof["share"]],
                        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent") for lo, hi in
                                              zip(prof["ci_low"], prof["ci_high"], strict=True)]})
    for y in years:
        out[y] = [fmt_value(x, "percent") for x in prof[y]]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Part de chaque mois dans les connexions de l'année scolaire"))


def seasonality_sentence(rpt: Report) -> str:
    """The school-year rhythm in one sentence (summer trough, busiest months)."""
    prof = cible.seasonal_profile(rpt.data, rpt.scope, rpt.period)
    if prof.empty or prof["years"].max() == 0:
        return "*Aucune année scolaire complète (12 mois) dans les données : pas de profil saisonnier.*"
    top = prof.nlargest(2, "share")
    summer = prof[prof["month_index"].isin([10, 11])]["share"].sum()
    school = prof[~prof["month_index"].isin([10, 11])]["share"].mean()
    return (f"Sur {int(prof['years'].max())} année(s) complète(s), juillet et août ne pèsent ensemble que "
            f"{fmt_value(summer, 'percent')} des connexions de l'année, contre {fmt_value(school, 'percent')} en "
            f"moyenne pour un mois de septembre à juin ; les mois les plus chargés sont "
            f"{top.iloc[0]['month']} ({fmt_value(top.iloc[0]['share'], 'percent')}) et {top.iloc[1]['month']} "
            f"({fmt_value(top.iloc[1]['share'], 'percent')}). Une comparaison entre années ou entre mois doit donc "
            "se faire à mois égal (ou sur l'année scolaire entière).")


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    figures = cible.method_figures(rpt.data, rpt.scope, rpt.period)
    months = figures["reference_months"]
    notes = [
        "**Lycées dont l'ENT est activé** (l'indicateur de l'objectif de 100 %) : un lycée public de l'annuaire, "
        "ouvert dans l'année, a son ENT activé quand au moins un compte élève et un compte enseignant y sont "
        "activés au mois de référence, comme une école a son ENT ouvert dès qu'un compte y est activé ; un lycée "
        f"absent de l'export n'est pas activé. Cette année : {fr_number(figures['not_activated'])} lycée(s) public(s) non "
        f"activé(s), dont {fr_number(figures['not_activated_absent'])} absent(s) de l'export.",
        "**Taux d'activation des comptes** (indicateur secondaire) : comptes activés (première connexion faite) "
        "rapportés aux comptes chargés depuis l'annuaire académique, lus au mois de juin (le stock de comptes activés est au plus bas en septembre, "
        "quand les comptes des nouveaux élèves sont chargés) ; à défaut de juin, au dernier mois exporté"
        + (f" (mois retenus cette année : {', '.join(cible.MONTH_LABELS[(m - 9) % 12] for m in months)})" if months else "")
        + ".",
        f"**Lycées publics** : filtrés avec l'annuaire ; {figures['private_lycees']} lycée(s) privé(s) présents sur Lycée connecté ne "
        f"comptent pas dans le taux d'activation ; {figures['public_lycees_absent']} lycée(s) public(s) de l'annuaire sont absents de "
        "l'export de l'année. Les EREA sont comptés dans l'usage, pas dans le taux d'activation.",
        "**Usage** : accès de l'année (tous mois, toutes applications) par compte activé (moyenne des 12 stocks "
        "mensuels), profils présents dans l'export des accès, avec un intervalle qui prend les établissements "
        f"pour unités. L'objectif « augmentation de 20 % du taux d'usage » est lu par rapport à "
        f"{rpt.catalogue.baseline_period}, l'année du constat de la feuille de route : au moins 1,2 fois les accès "
        "par compte de cette année-là. L'évolution sur un an (indicateur secondaire) a un intervalle par la méthode "
        "delta, les établissements étant appariés d'une année sur l'autre (unités de tirage).",
        "**Enseignants utilisateurs** : l'export mensuel donne des visiteurs uniques par service, qu'on ne peut "
        "additionner ni entre mois ni entre services ; le chiffre retenu est une borne basse (au mois de pointe, "
        "le service le plus utilisé de chaque établissement), la borne haute additionne les services. Un export "
        "annuel des visiteurs uniques donnerait le nombre exact.",
        "**Collèges** : un département partage l'ENT des lycées dès qu'un de ses collèges (type pris dans "
        "l'annuaire) figure sur Lycée connecté dans l'année.",
        "**Écoles** : une école publique de l'annuaire, ouverte dans l'année, a un ENT ouvert si un compte au "
        "moins y est activé ; une école absente de l'export n'a pas d'ENT.",
        _interval_note(figures["design_effect"]),
    ]
    unknown = figures["unknown_ecoles"]
    if unknown:
        notes.append(f"**Écoles hors annuaire** : {unknown} UAI de l'export des écoles ne sont pas des écoles "
                     "publiques de l'annuaire et ne sont pas comptées.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period and objective.applies_to(rpt.scope):
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes


def _interval_note(design_effect: float) -> str:
    """The method note on the intervals, with the activation rate's design effect of the year."""
    text = ("**Intervalles** : les comptes sont regroupés dans leurs lycées, les écoles dans leurs communes (la "
            "commune choisit et finance l'ENT de ses écoles) ; les intervalles des taux prennent ces lycées et ces "
            "communes comme grappes, non les comptes ou les écoles un à un.")
    if pd.notna(design_effect):
        text += (f" Cette année, l'effet de plan du taux d'activation (sa variance ainsi calculée, rapportée à "
                 f"celle de comptes qui seraient indépendants) vaut {fr_number(design_effect, 1)} : un intervalle de "
                 f"Wilson serait {fr_number(np.sqrt(design_effect), 1)} fois trop étroit.")
    return text


def _month_label(month) -> str:
    if month is None or (isinstance(month, float) and np.isnan(month)) or month is pd.NaT:
        return "—"
    ts = pd.Timestamp(month)
    return f"{cible.MONTH_LABELS[(ts.month - 9) % 12]} {ts.year}"
