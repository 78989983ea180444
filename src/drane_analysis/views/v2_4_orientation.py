"""What the 2.4 report shows: digital innovation for a successful orientation (NSI and girls).

The orientation actions of the year by programme, NSI in première and terminale (pupils,
rates by sex, girls' share), the « double in 3 years » objective overall and group by
group, the gender gap per year and per group with its chart, the trends of the girls'
share and of the gap, the roadmap's baseline against the data, the specialties files read,
the key messages opening the report and the caveats of its method section. The numbers
come from :mod:`drane_analysis.targets.t2_4_orientation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import referential
from ..formatting import (
    BLUE,
    PALETTE,
    fmt_interval,
    fmt_p_value,
    fmt_projection,
    fmt_value,
    fr_number,
    status_phrase,
)
from ..periods import Period
from ..privacy import protect, protect_breakdown, protect_scopes
from ..render import display_html, display_markdown, html_table, show_figure
from ..targets.t2_4_orientation import (
    DOUBLING_INDICATORS,
    INDICATOR_LEVEL,
    LEVEL_LABELS,
    LEVEL_SOURCES,
    LEVELS,
    baseline_check,
    breakdown,
    doubling,
    gender_gap,
    gender_gap_trend,
    girls_share_trend,
    nsi_frame,
    nsi_pupils_by_group,
    nsi_rates_by_level,
    periods_of,
    programme_table,
    progress_by_group,
    project_counts,
    relative_objective,
    sort_key,
    specialties_coverage,
    specialties_files,
)

if TYPE_CHECKING:
    from ..report import Report

TARGET = "2.4"


def doubling_table(rpt: Report) -> pd.DataFrame:
    """The four "double in 3 years" indicators of the report's scope: base year, objective,
    this year's value and interval, ratio to the base, status."""
    rows = []
    for ind in DOUBLING_INDICATORS:
        rel = relative_objective(ind)
        if rel is None:
            continue
        factor, base_period, deadline = rel
        hist = rpt.history(ind)
        base = hist.loc[hist["period"] == base_period, "value"]
        cur = rpt.table[rpt.table["indicator"] == ind]
        base_v = float(base.iloc[0]) if len(base) else np.nan
        r = cur.iloc[0] if len(cur) else None
        value = float(r["value"]) if r is not None else np.nan
        rows.append({"indicator": ind, "label": rpt.catalogue.indicator(ind).label,
                     "unit": rpt.catalogue.indicator(ind).unit, "base_period": base_period, "base": base_v,
                     "objective": base_v * factor, "deadline": deadline, "value": value,
                     "ci_low": r["ci_low"] if r is not None else np.nan,
                     "ci_high": r["ci_high"] if r is not None else np.nan,
                     "ratio": value / base_v if base_v and np.isfinite(base_v) and base_v > 0 else np.nan,
                     "status_label": r["status_label"] if r is not None else "Données insuffisantes"})
    return pd.DataFrame(rows)


def _fmt(x, unit="percent", with_unit=True) -> str:
    return fmt_value(x, unit, with_unit)


def _interval(lo, hi, unit="percent") -> str:
    return fmt_interval(lo, hi, unit)


def _rows(rpt: Report) -> dict:
    return {r.indicator: r for r in rpt.table.itertuples(index=False)}


def key_messages(rpt: Report) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = _rows(rpt)
    lines = []
    p = r.get("orientation_digital_projects")
    if p is not None and pd.notna(p.value):
        text = f"- **{fr_number(p.value)}** actions associant orientation et numérique ont été recensées"
        if pd.notna(p.objective):
            cmp = "atteint" if p.value >= p.objective else "n'atteint pas"
            text += f" : le nombre {cmp} l'objectif régional de {fr_number(p.objective)}"
        else:
            text += " (l'objectif de 50 actions est régional)"
        lines.append(text + ".")
    for level in LEVELS:
        n, s = r.get(f"nsi_pupils_{level}"), r.get(f"nsi_girls_share_{level}")
        if n is None or pd.isna(n.value):
            continue
        text = f"- En {LEVEL_LABELS[level]}, **{fr_number(n.value)}** élèves suivent la spécialité NSI"
        if pd.notna(n.objective):
            text += (f" (objectif de doublement : {fr_number(n.objective)} en {n.objective_deadline or '—'} ; "
                     f"{_status(n)})")
        if s is not None and pd.notna(s.value):
            text += (f" ; les filles en sont **{_fmt(s.value)}** ({_interval(s.ci_low, s.ci_high)} à 95 %)")
        lines.append(text + ".")
    t, g = r.get("nsi_rate_terminale"), r.get("nsi_rate_girls_terminale")
    if t is not None and pd.notna(t.value):
        text = f"- **{_fmt(t.value)}** des élèves de terminale générale suivent NSI"
        if g is not None and pd.notna(g.value):
            text += f", mais seulement **{_fmt(g.value)}** des filles"
        text += " (point de départ de la feuille de route : 2,1 % et 0,4 %)"
        if g is not None and pd.notna(g.value) and pd.notna(g.objective):
            text += (f" ; doubler la part des filles qui suivent NSI, c'est atteindre {_fmt(g.objective)} en "
                     f"{g.objective_deadline or '—'} : {_status(g)}")
        lines.append(text + ".")
    gap = gender_gap(rpt.data, "terminale", rpt.scope, by="period", period=rpt.period)
    cur = gap[gap["group"] == rpt.period]
    if not cur.empty and pd.notna(cur.iloc[0]["gap"]):
        c = cur.iloc[0]
        sig = "significatif" if c["p_value"] < 0.05 else "non significatif"
        lines.append(f"- L'écart entre garçons et filles en terminale est de **{_fmt(c['gap'], 'percent_points')}** "
                     f"({_interval(c['gap_low'], c['gap_high'], 'percent_points')}), {sig} (p {_p_text(c['p_value'])}).")
    if not lines:
        lines.append("- Aucune donnée de la cible pour ce périmètre et cette année scolaire.")
    return "\n".join(lines)


def _status(row) -> str:
    return status_phrase(row)


def _p_text(p: float) -> str:
    text = fmt_p_value(p)
    return text if text.startswith("<") else f"= {text}"


def show_projects(rpt: Report) -> None:
    """Orientation actions of the year by programme (and academy), girls reached."""
    if not rpt.data.has("projets_orientation"):
        display_markdown("*Le dossier de données ne contient pas le tableau des actions d'orientation "
                          "(dossier `orientation/`).*")
        return
    table = programme_table(rpt.data, rpt.scope, rpt.period)
    if table.empty or table["actions"].sum() == 0:
        display_markdown("*Aucune action associant orientation et numérique n'est recensée pour ce périmètre et "
                          "cette année scolaire.*")
        return
    # Pupils (and girls) by programme: small counts are secret, and so is the girls' share they
    # carry — jointly with the same table of the other scopes (the region's = the academies').
    def table_of(scope: str) -> pd.DataFrame:
        t = programme_table(rpt.data, scope, rpt.period)
        return t.assign(is_total=t["programme"] == "total")

    p = protect_scopes(rpt.data, f"2.4:programmes:{rpt.period}", table_of, rpt.scope, ["pupils", "girls"],
                       by="programme", totals="is_total", rates={"girls_share": ("girls", "pupils")},
                       follow={"ci_low": "girls_share"})
    table = p.frame
    out = pd.DataFrame({"Dispositif": table["label"], "Actions": [fr_number(x) for x in table["actions"]]})
    if rpt.scope == referential.REGION_SCOPE:
        for slug, a in referential.ACADEMIES.items():
            out[a.name] = [fr_number(x) for x in table[slug]]
    out["Élèves touchés"] = p.text("pupils", fr_number)
    out["Part des filles"] = p.text("girls_share", _fmt)
    out["Intervalle à 95 %"] = [p.rules.marker if h else _interval(lo, hi) for lo, hi, h in
                                zip(table["ci_low"], table["ci_high"], p.mask("ci_low"), strict=True)]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Actions associant orientation et numérique, {rpt.period}") + p.note_html())


def by_title(rpt: Report, by: str) -> str:
    """French title of a breakdown (``academy`` → « Académie »)."""
    return {"academy": "Académie", "programme": "Dispositif"}.get(by) or rpt.catalogue.breakdowns.get(by, by)


def groupings(rpt: Report) -> list[str]:
    """The breakdowns the report shows for its scope: academy (region only), department, sector."""
    return (["academy"] if rpt.scope == referential.REGION_SCOPE else []) + ["department", "sector"]


def show_breakdown(rpt: Report, indicator: str, by: str, title: str, *, chart: bool = False, objective: float | None = None,
                   count_label: str = "Effectif") -> None:
    """A breakdown as a table (and optionally a bar chart); a note when there is no data.

    Counts are shown as a plain two-column table (they are exhaustive, without interval).
    """
    known = {i.id for i in rpt.catalogue.indicators(TARGET)}
    unit = rpt.catalogue.indicator(indicator).unit if indicator in known else "percent"
    table = breakdown(rpt.data, indicator, rpt.scope, rpt.period, by).dropna(subset=["value"])
    if table.empty:
        source = ("projets_orientation" if indicator == "orientation_digital_projects"
                  else LEVEL_SOURCES[INDICATOR_LEVEL[indicator][0]])
        if rpt.data.has(source):  # an absent file is said elsewhere
            display_markdown(f"*{title} : pas de données pour {rpt.period}.*")
        return
    persons = indicator != "orientation_digital_projects"  # NSI pupils are persons; actions are not
    if chart and len(table) > 1:
        rpt.breakdown_chart(table, title, unit, objective=objective, persons=persons)
    if unit == "count":
        p = protect_breakdown(table, unit, persons=persons)
        out = pd.DataFrame({by_title(rpt, by): table["label"], count_label: p.text("value", fr_number)})
        display_html(html_table(out, align_right=[count_label], caption=title) + p.note_html())
    else:
        rpt.show_table(table, unit, group_title=by_title(rpt, by), count_label=count_label, caption=title,
                       persons=persons)


def show_nsi_levels(rpt: Report) -> None:
    """NSI in première and terminale: pupils, rates by sex, girls' share (levels as columns)."""
    t = nsi_rates_by_level(rpt.data, rpt.scope, rpt.period)
    if t.empty:
        display_markdown(f"*Les fichiers de spécialités ne couvrent pas l'année {rpt.period}.*")
        return
    measures = [("Élèves en NSI", "nsi", None), ("Élèves du niveau", "pupils", None),
                ("Part des élèves suivant NSI", "rate", "rate"),
                ("Part des filles suivant NSI", "girls_rate", "girls_rate"),
                ("Part des garçons suivant NSI", "boys_rate", "boys_rate"),
                ("Filles parmi les élèves de NSI", "girls_share", "girls_share")]
    out = pd.DataFrame({"Mesure": [m[0] for m in measures]})
    for rec in t.to_dict("records"):
        out[rec["label"]] = [fr_number(rec[col]) if ci is None else
                             f"{_fmt(rec[col])} {_interval(rec[f'{ci}_low'], rec[f'{ci}_high'])}"
                             for _, col, ci in measures]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"La spécialité NSI en {rpt.period} (intervalles à 95 % entre crochets)"))


def show_doubling(rpt: Report) -> None:
    """The four "double in 3 years" indicators against their 2020-2021 value."""
    t = doubling_table(rpt)
    if t.empty:
        return
    out = pd.DataFrame({
        "Indicateur": t["label"],
        "Référence": [f"{_fmt(v, u)} ({p})" for v, u, p in zip(t["base"], t["unit"], t["base_period"], strict=True)],
        "Objectif (× 2)": [f"{_fmt(v, u)} en {d}" for v, u, d in zip(t["objective"], t["unit"], t["deadline"],
                                                                     strict=True)],
        rpt.period: [f"{_fmt(v, u)} {_interval(lo, hi, u)}".replace(" —", "") for v, u, lo, hi in
                     zip(t["value"], t["unit"], t["ci_low"], t["ci_high"], strict=True)],
        "Rapport": [("× " + _fmt(x, "index", False)) if pd.notna(x) else "—" for x in t["ratio"]],
        "Statut": t["status_label"],
    })
    display_html(html_table(out, align_right=list(out.columns[1:-1]),
                             caption="Objectif « doubler en 3 ans » (référence 2020-2021, échéance 2023-2024)"))
    if t["base"].isna().all():
        display_markdown("*Les données ne couvrent pas l'année de référence 2020-2021 : l'objectif de doublement "
                          "ne peut pas être chiffré (statut « sans objectif chiffré »).*")


def show_progress(rpt: Report, level: str, by: str) -> None:
    """NSI pupils and share of girls taking NSI of a level by group: 2020-2021, this year,
    ratio (:func:`progress_by_group` for both, in one table)."""
    pupils = progress_by_group(rpt.data, f"nsi_pupils_{level}", rpt.scope, rpt.period, by)
    title = f"NSI en {LEVEL_LABELS[level]} : {by_title(rpt, by).lower()}"
    if pupils.empty or pupils["value"].isna().all():
        if nsi_frame(rpt.data, level).empty:
            return  # no file for the level: said once by show_nsi_levels and show_gender_gap
        if by == groupings(rpt)[0]:  # one note per level
            display_markdown(f"*NSI en {LEVEL_LABELS[level]} : l'année de référence 2020-2021 ou l'année "
                              f"{rpt.period} manque dans les données ; pas de comparaison par groupe.*")
        return
    # NSI pupils by group (both years) are counts of persons; the girls' NSI rate of a group is
    # hidden with its NSI pupils (its numerator, the NSI girls, is a part of them). Protected
    # with the same table of every scope.
    def table_of(scope: str) -> pd.DataFrame:
        counts = progress_by_group(rpt.data, f"nsi_pupils_{level}", scope, rpt.period, by)
        shares = progress_by_group(rpt.data, f"nsi_rate_girls_{level}", scope, rpt.period, by)
        merged = counts.merge(shares, on="label", how="outer", suffixes=("", "_share"))
        return merged.sort_values("label", key=sort_key).reset_index(drop=True)

    p = protect_scopes(rpt.data, f"2.4:progress:{level}:{by}:{rpt.period}", table_of, rpt.scope, ["base", "value"],
                       rates={"base_share": (None, "base"), "value_share": (None, "value")},
                       follow={"ratio": ("base", "value"), "ratio_share": ("base_share", "value_share")})
    t = p.frame
    ratio = [("× " + _fmt(x, "index", False)) if pd.notna(x) else "—" for x in t["ratio"]]
    ratio_s = [("× " + _fmt(x, "index", False)) if pd.notna(x) else "—" for x in t["ratio_share"]]
    marker = p.rules.marker
    out = pd.DataFrame({
        by_title(rpt, by): t["label"],
        "Élèves (réf.)": p.text("base", fr_number),
        f"Élèves {rpt.period}": p.text("value", fr_number),
        "× élèves": [marker if h else x for x, h in zip(ratio, p.mask("ratio"), strict=True)],
        "Filles suivant NSI (réf.)": p.text("base_share", _fmt),
        f"Filles suivant NSI {rpt.period}": [marker if h else f"{_fmt(v)} {_interval(lo, hi)}" for v, lo, hi, h in
                                             zip(t["value_share"], t["ci_low_share"], t["ci_high_share"],
                                                 p.mask("value_share"), strict=True)],
        "× filles": [marker if h else x for x, h in zip(ratio_s, p.mask("ratio_share"), strict=True)],
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"{title} — élèves de NSI et part des filles du niveau qui suivent NSI, "
                                     "référence (réf.) 2020-2021, objectif × 2") + p.note_html())


def show_gender_gap(rpt: Report, level: str, by: str = "period") -> None:
    """Girls' and boys' NSI rates with the gap's interval and test, per year or per group."""
    def table_of(scope: str) -> pd.DataFrame:
        g = gender_gap(rpt.data, level, scope, by=by, period=rpt.period)
        g = g[(g["girls"] > 0) | (g["boys"] > 0)] if not g.empty else g
        return g.reset_index(drop=True).assign(nsi=lambda f: f["girls_nsi"] + f["boys_nsi"])

    t = table_of(rpt.scope)
    if t.empty:
        if by == "period":
            display_markdown(f"*Pas de données de {LEVEL_LABELS[level]} pour comparer filles et garçons.*")
        return
    first = "Année" if by == "period" else by_title(rpt, by)
    # By group (not by year of the whole scope): girls and boys of a group, and those of them
    # taking NSI, are counts of persons, protected with the same table of every scope; rates on
    # small or hidden counts are not shown.
    rates = {"girls_rate": ("girls_nsi", "girls"), "boys_rate": ("boys_nsi", "boys"),
             "girls_share": ("girls_nsi", "nsi")}
    follow = {"gap": ("girls_rate", "boys_rate"), "ratio": "gap", "p_value": "gap", "p_holm": "gap"}
    if by == "period":
        p = protect(t, [], rates=rates, follow=follow)
    else:
        p = protect_scopes(rpt.data, f"2.4:gender_gap:{level}:{by}:{rpt.period}", table_of, rpt.scope,
                           ["girls_nsi", "girls", "boys_nsi", "boys"], rates=rates, follow=follow)
        t = p.frame
    marker = p.rules.marker

    def shown(col: str, texts: list[str]) -> list[str]:
        return [marker if h else x for x, h in zip(texts, p.mask(col), strict=True)]

    out = pd.DataFrame({
        first: t["label"],
        "Filles": shown("girls_rate", [f"{_fmt(v)} {_interval(lo, hi)}" for v, lo, hi in
                                       zip(t["girls_rate"], t["girls_low"], t["girls_high"], strict=True)]),
        "Garçons": shown("boys_rate", [f"{_fmt(v)} {_interval(lo, hi)}" for v, lo, hi in
                                       zip(t["boys_rate"], t["boys_low"], t["boys_high"], strict=True)]),
        "Écart (points)": shown("gap", [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                                        for v, lo, hi in zip(t["gap"], t["gap_low"], t["gap_high"], strict=True)]),
        "Rapport": shown("ratio", [_fmt(x, "index", False) for x in t["ratio"]]),
    })
    if by == "period":
        out["p"] = shown("p_value", [fmt_p_value(x) for x in t["p_value"]])
        out["Filles parmi les élèves de NSI"] = shown(
            "girls_share", [f"{_fmt(v)} {_interval(lo, hi)}" for v, lo, hi in
                            zip(t["girls_share"], t["share_low"], t["share_high"], strict=True)])
        caption = f"Part des filles et des garçons de {LEVEL_LABELS[level]} suivant NSI, par année scolaire"
    else:
        out["p ajusté (Holm)"] = shown("p_holm", [fmt_p_value(x) for x in t["p_holm"]])
        caption = (f"Part des filles et des garçons de {LEVEL_LABELS[level]} suivant NSI, "
                   f"{by_title(rpt, by).lower()}, {rpt.period}")
    display_html(html_table(out, align_right=list(out.columns[1:]), caption=caption) + p.note_html())


def gap_chart(rpt: Report, level: str) -> None:
    """Girls' and boys' NSI rates over the years, with their intervals."""
    import matplotlib.pyplot as plt

    t = gender_gap(rpt.data, level, rpt.scope, by="period", period=rpt.period)
    if len(t) < 2:  # one year: the table below says it all
        return
    years = t["group"].map(lambda p: Period.parse(p).start)
    fig, ax = plt.subplots()
    alt = []
    for col, lo, hi, label, colour in (("girls_rate", "girls_low", "girls_high", "Filles", PALETTE[1]),
                                       ("boys_rate", "boys_low", "boys_high", "Garçons", BLUE)):
        ax.plot(years, t[col], marker="o", color=colour, label=label)
        ax.fill_between(years, t[lo].astype(float), t[hi].astype(float), color=colour, alpha=0.15, lw=0)
        alt.append(f"{label} : " + ", ".join(f"{p} {_fmt(v)}" for p, v in zip(t["group"], t[col], strict=True)))
    ax.set_xticks(list(years), [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("%")
    ax.set_title(f"Part des filles et des garçons de {LEVEL_LABELS[level]} suivant NSI", loc="left")
    ax.legend(frameon=False)
    data = pd.DataFrame({"Année scolaire": t["group"], "Filles (%)": t["girls_rate"], "Filles, borne basse": t["girls_low"],
                         "Filles, borne haute": t["girls_high"], "Garçons (%)": t["boys_rate"],
                         "Garçons, borne basse": t["boys_low"], "Garçons, borne haute": t["boys_high"]})
    show_figure(fig, f"Part des élèves de {LEVEL_LABELS[level]} générale suivant NSI selon le sexe. " + " ; ".join(alt),
                data=data, name=f"NSI filles et garcons {level}")


def _projection(trend) -> str:
    """A trend's projection with its prediction interval, « (indicatif) » without one."""
    return fmt_projection(trend["projection"], trend["projection_low"], trend["projection_high"], "percent",
                          bool(trend.get("projection_indicative", False)))


def _odds(x: float) -> str:
    return fr_number(x, 2)


def _with_interval(value: str, interval: str) -> str:
    """``value [lo ; hi]``, the value alone when the interval is missing, « — » when both are."""
    if value == "—":
        return "—"
    return value if interval == "—" else f"{value} {interval}"


def _odds_interval(lo: float, hi: float) -> str:
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return "—"
    return f"[{_odds(lo)}\u202f; {_odds(hi)}]"


def show_trends(rpt: Report) -> None:
    """The girls' share trend (logistic) and the gap's trend, levels as columns."""
    columns, sentences = {}, []
    rel = doubling()
    deadline = rel[2] if rel else None
    for level in LEVELS:
        tr = girls_share_trend(rpt.data, level, rpt.scope, up_to=rpt.period, deadline=deadline)
        if tr.empty or tr.iloc[0]["n_years"] < 2:
            continue
        t = tr.iloc[0]
        rate = girls_share_trend(rpt.data, level, rpt.scope, up_to=rpt.period, deadline=deadline, of="girls").iloc[0]
        gt = gender_gap_trend(rpt.data, level, rpt.scope, up_to=rpt.period)
        columns[LEVEL_LABELS[level].capitalize()] = [
            f"{t['first']} à {t['last']} ({int(t['n_years'])})",
            f"{_fmt(t['first_share'])} → {_fmt(t['last_share'])}",
            f"{_fmt(t['points_per_year'], 'percent_points', False)} "
            f"{_interval(t['points_low'], t['points_high'], 'percent_points')}",
            f"{_odds(t['odds_ratio'])} {_odds_interval(t['or_low'], t['or_high'])}",
            fmt_p_value(t["p_value"]),
            _projection(t),
            _projection(rate),
            _with_interval(_odds(gt["or_girls_last"]), _odds_interval(gt["or_last_low"], gt["or_last_high"])),
            _with_interval(_odds(gt["or_change"]), _odds_interval(gt["change_low"], gt["change_high"])),
            fmt_p_value(gt["p_value"]),
        ]
        if t["n_years"] >= 2 and np.isfinite(t["points_per_year"]):
            moving = ("progresse significativement" if t["p_value"] < 0.05 and t["points_per_year"] > 0 else
                      "recule significativement" if t["p_value"] < 0.05 else "n'évolue pas de façon significative")
            sentence = (f"En {LEVEL_LABELS[level]}, la part des filles parmi les élèves de NSI {moving} "
                        f"({_fmt(t['points_per_year'], 'percent_points', False)} point par an en moyenne, intervalle "
                        f"{_interval(t['points_low'], t['points_high'], 'percent_points')}).")
            if np.isfinite(gt["or_change"]):
                narrow = ("se resserre" if gt["or_change"] > 1 else "se creuse") if gt["p_value"] < 0.05 else \
                    "ne se resserre pas de façon significative"
                sentence += (f" En {gt['last']}, les chances d'une fille de choisir NSI valent "
                             f"{_odds(gt['or_girls_last'])} fois celles d'un garçon (rapport de cotes) ; l'écart "
                             f"{narrow}.")
            sentences.append(sentence)
    if not columns:
        display_markdown(f"*Une seule année observée jusqu'en {rpt.period} : pas de tendance estimable.*")
        return
    out = pd.DataFrame({"Mesure": [
        "Années observées", "Part des filles parmi les élèves de NSI (première → dernière année)",
        "Évolution annuelle de cette part (points)", "Rapport de cotes annuel", "p (tendance)",
        f"Cette part, tendance prolongée jusqu'en {deadline}" if deadline else "Cette part, tendance prolongée",
        (f"Part des filles du niveau suivant NSI, tendance prolongée jusqu'en {deadline}" if deadline
         else "Part des filles du niveau suivant NSI, tendance prolongée"),
        "Chances des filles de choisir NSI / celles des garçons (dernière année)",
        "Évolution annuelle de ce rapport (> 1 : l'écart se resserre)", "p (évolution de l'écart)",
    ], **columns})
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption="Tendance de la part des filles en NSI et de l'écart filles / garçons "
                                     "(régression logistique sur les effectifs par lycée, intervalles à 95 % ; "
                                     "projections : la méthode des statuts, intervalle de prévision à 95 %)"))
    if sentences:
        display_markdown(" ".join(sentences))


def show_group_trends(rpt: Report, level: str, by: str) -> None:
    """The girls' share trend group by group (Holm-adjusted p-values)."""
    t = girls_share_trend(rpt.data, level, rpt.scope, by=by, up_to=rpt.period)
    t = t[t["n_years"] >= 2] if not t.empty else t
    if t.empty:
        return  # one year only: said by show_trends
    t = t.reset_index(drop=True)
    # A group's shares are shares of its NSI pupils: not shown when the first or the last
    # year counts too few of them.
    size = nsi_pupils_by_group(rpt.data, level, rpt.scope, by)
    t["first_n"] = [size.get((g, f), np.nan) for g, f in zip(t["group"], t["first"], strict=True)]
    t["last_n"] = [size.get((g, f), np.nan) for g, f in zip(t["group"], t["last"], strict=True)]
    p = protect(t, rates={"first_share": (None, "first_n"), "last_share": (None, "last_n")},
                follow={"points_per_year": ("first_share", "last_share"), "p_value": "points_per_year",
                        "p_holm": "points_per_year"})
    marker = p.rules.marker

    def shown(col: str, texts: list[str]) -> list[str]:
        return [marker if h else x for x, h in zip(texts, p.mask(col), strict=True)]

    out = pd.DataFrame({
        by_title(rpt, by): t["label"],
        "Part des filles (première → dernière année)": [
            f"{marker if ha else _fmt(a)} → {marker if hb else _fmt(b)}" for a, b, ha, hb in
            zip(t["first_share"], t["last_share"], p.mask("first_share"), p.mask("last_share"), strict=True)],
        "Évolution annuelle (points)": shown(
            "points_per_year", [f"{_fmt(v, 'percent_points', False)} {_interval(lo, hi, 'percent_points')}"
                                for v, lo, hi in zip(t["points_per_year"], t["points_low"], t["points_high"],
                                                     strict=True)]),
        "p": shown("p_value", [fmt_p_value(x) for x in t["p_value"]]),
        "p ajusté (Holm)": shown("p_holm", [fmt_p_value(x) for x in t["p_holm"]]),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Tendance de la part des filles parmi les élèves de NSI en "
                                     f"{LEVEL_LABELS[level]}, {by_title(rpt, by).lower()}") + p.note_html())


def show_baseline(rpt: Report) -> None:
    """The roadmap's baseline against the data (region, 2020-2021)."""
    t = baseline_check(rpt.data)
    if t.empty:
        return
    if t["value"].isna().all():
        display_markdown(f"*Les données ne couvrent pas l'année du point de départ ({t.iloc[0]['period']}) : la "
                          "comparaison avec la feuille de route n'est pas possible.*")
        return
    verdict = {True: "cohérent", False: "écart", None: "—"}
    out = pd.DataFrame({
        "Indicateur": t["label"],
        "Feuille de route": [_fmt(v) for v in t["roadmap"]],
        "Données": [_fmt(v) for v in t["value"]],
        "Intervalle à 95 %": [_interval(lo, hi) for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)],
        "Élèves": [f"{fr_number(k)} sur {fr_number(n)}" for k, n in zip(t["numerator"], t["denominator"], strict=True)],
        "Lecture": [verdict[c] for c in t["consistent"]],
    })
    display_html(html_table(out, align_right=["Feuille de route", "Données", "Intervalle à 95 %", "Élèves"],
                             caption=f"Point de départ de la feuille de route ({t.iloc[0]['period']}, région "
                                     "académique) et données"))


def show_sources(rpt: Report) -> None:
    """The specialties files read and the years they cover."""
    cov = specialties_coverage(rpt.data)
    files = specialties_files(rpt.data)
    if cov.empty:
        display_markdown("*Aucun fichier de spécialités dans le dossier de données.*")
        return
    cov = cov[cov["period"] != "masqué"]
    out = pd.DataFrame({
        "Niveau": [LEVEL_LABELS[lv].capitalize() for lv in cov["level"]], "Année scolaire": cov["period"],
        "Lycées": [fr_number(x) for x in cov["lycees"]], "Élèves": [fr_number(x) for x in cov["pupils"]],
        "Élèves en NSI": [fr_number(x) for x in cov["nsi"]], "Lycées avec NSI": [fr_number(x) for x in cov["lycees_nsi"]],
    })
    origin = "données de démonstration" if rpt.data.is_demo else "données ouvertes de la DEPP"
    names = ", ".join(f"`{f}`" for f in files) if files else "—"
    display_markdown(f"Fichiers lus ({origin}) : {names}.")
    display_html(html_table(out, align_right=list(out.columns[2:]),
                             caption="Années couvertes par les fichiers de spécialités"))


def coverage_notes(rpt: Report) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    notes = [
        "**Élèves de NSI** : spécialité 0747 (Numérique et sciences informatiques) des fichiers DEPP des effectifs "
        "de spécialités par sexe, première (triplettes) et terminale (doublettes) générales ; le dénominateur des "
        "parts est l'effectif total du même fichier.",
        "**Intervalles et tests** : les effectifs sont exhaustifs ; les intervalles lisent les élèves de l'année "
        "comme un tirage de la propension à choisir NSI. Les élèves sont regroupés dans des lycées (un lycée "
        "propose NSI ou non, ses élèves choisissent de façon semblable) : intervalles et tests prennent les lycées "
        "comme grappes. Écart filles / garçons : différence des deux parts appariée sur les lycées (chaque lycée "
        "compte pour ses filles et ses garçons), loi de Student à nombre de lycées − 1 degrés de liberté ; entre "
        "groupes, p ajustées par la méthode de Holm. Tendance : régression logistique sur les effectifs par lycée "
        "et par année, variance robuste groupée par lycée (les mêmes lycées d'une année à l'autre).",
        "**Objectif « doubler en 3 ans »** : deux fois la valeur de 2020-2021, à l'échéance 2023-2024, pour le "
        "nombre d'élèves de NSI (en première et en terminale) et pour la part des filles de terminale générale qui "
        "suivent NSI (le « 0,4 % de filles » du constat de la feuille de route). La part des filles parmi les élèves "
        "de NSI, autre lecture de « % de filles en NSI », est donnée comme indicateur secondaire, sans objectif.",
    ]
    counts = project_counts(rpt.data, rpt.scope, rpt.period)
    if counts["actions"]:
        notes.append(f"**Actions d'orientation** : {fr_number(counts['actions'])} actions recensées par les académies ; "
                     f"{fr_number(counts['academy_wide'])} sont académiques (sans département) et ne comptent que dans l'académie et la "
                     "région. L'objectif de 50 actions est régional.")
    for level in LEVELS:
        frame = nsi_frame(rpt.data, level)
        periods = periods_of(rpt.data, level)
        if not periods:
            notes.append(f"**{LEVEL_LABELS[level].capitalize()}** : pas de fichier de spécialités dans le dossier.")
            continue
        notes.append(f"**Spécialités de {LEVEL_LABELS[level]}** : rentrées {periods[0]} à {periods[-1]} "
                     f"({len(periods)} année(s)).")
        if frame.attrs.get("masked"):
            notes.append(f"**Cellules masquées** ({LEVEL_LABELS[level]}) : {frame.attrs['masked']} lycée(s)-année(s) "
                         "au secret statistique sont exclus des calculs.")
        rel = relative_objective(f"nsi_pupils_{level}")
        if rel and rel[1] not in periods:
            notes.append(f"**Année de référence absente** ({LEVEL_LABELS[level]}) : les fichiers ne couvrent pas "
                         f"{rel[1]} ; l'objectif de doublement ne peut pas être chiffré.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            label = rpt.catalogue.indicator(objective.indicator).label.lower()
            notes.append(f"**Feuille de route, {objective.period}** : {label} — {objective.note}")
    return notes
