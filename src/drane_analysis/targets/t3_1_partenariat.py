"""Target 3.1 — partnership between the academies and the local authorities.

Indicators (``params/targets/3.1-partenariat.yaml``):

- ``steering_committees``: steering committees (``committee_type == "pilotage"``) held in
  the school year with a partner authority (``comites``, ``collectivites``) — an exhaustive
  count, the roadmap's own indicator (« Nombre de comités de pilotage avec les
  collectivités », objective « minimum 2 réunions / an »);
- ``authorities_min_committees_rate`` (secondary, the stricter reading): partner
  authorities with at least :data:`MINIMUM_PER_YEAR` steering committees in the year, over
  every authority partner during the year (an authority with no committee counts as
  falling short).

Scopes: an authority belongs to the academy of its department; the Région (no department)
belongs to the regional scope only. A committee counts for the year of its date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import referential
from ..data import Data, department_label
from ..indicators import rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..stats import rate_table

TARGET = "3.1"
MINIMUM_PER_YEAR = 2
"""The stricter reading of the roadmap's « minimum 2 réunions / an »: at least 2 steering
committees a year with *each* authority (the secondary indicator, the report's tables)."""

AUTHORITY_TYPE_LABELS = {
    "region": "Région",
    "department": "Département",
    "metropole": "Métropole",
    "communaute_urbaine": "Communauté urbaine",
    "communaute_agglomeration": "Communauté d'agglomération",
    "commune": "Commune",
}
REGION_GROUP = "region"
REGION_GROUP_LABEL = "Région (collectivité régionale)"


# --------------------------------------------------------------------------- building blocks


def periods(data: Data) -> list[str]:
    """School years the committee files cover (in order)."""
    comites = data.source("comites")
    found = {p for p in comites["period"].dropna().unique()}
    return sorted(found, key=lambda p: Period.parse(p).start)


def authority_years(data: Data) -> pd.DataFrame:
    return data.memo("t31_authority_years", lambda: _authority_years(data))


def _authority_years(data: Data) -> pd.DataFrame:
    """One row per partner authority and school year of the partnership.

    Columns: period, authority_id, name, authority_type, type_label, department,
    department_label, academy, steering, technical, follow_up, meets_minimum (0/1),
    shortfall (committees missing to reach the minimum), last_steering (date).

    An authority is a partner in a school year when its partnership started by the year's
    last day (31 August) and had not ended before its first day (1 September); missing
    dates mean "always" and "still running".
    """
    auth = data.source("collectivites").copy()
    comites = data.source("comites")
    rows = []
    for period in periods(data):
        p = Period.parse(period)
        first, last = pd.Timestamp(p.first_day), pd.Timestamp(p.last_day)
        since = auth["partner_since"] if "partner_since" in auth else pd.Series(pd.NaT, index=auth.index)
        until = auth["partner_until"] if "partner_until" in auth else pd.Series(pd.NaT, index=auth.index)
        active = (since.isna() | (since <= last)) & (until.isna() | (until >= first))
        rows.append(auth[active.to_numpy()].assign(period=period))
    cols = ["period", "authority_id", "name", "authority_type", "department", "academy"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "steering", "technical", "follow_up", "meets_minimum", "shortfall"])
    years = pd.concat(rows, ignore_index=True)[cols]
    counts = (comites.assign(n=1).pivot_table(index=["period", "authority_id"], columns="committee_type",
                                               values="n", aggfunc="sum", fill_value=0, observed=True)
              .reset_index())
    counts.columns.name = None
    for column in ("pilotage", "technique", "suivi"):
        if column not in counts:
            counts[column] = 0
    counts = counts.rename(columns={"pilotage": "steering", "technique": "technical", "suivi": "follow_up"})
    last_steering = (comites[comites["committee_type"] == "pilotage"]
                     .groupby(["period", "authority_id"], observed=True)["date"].max()
                     .rename("last_steering").reset_index())
    years = (years.merge(counts[["period", "authority_id", "steering", "technical", "follow_up"]],
                         on=["period", "authority_id"], how="left")
             .merge(last_steering, on=["period", "authority_id"], how="left"))
    for column in ("steering", "technical", "follow_up"):
        years[column] = years[column].fillna(0).astype(int)
    years["meets_minimum"] = (years["steering"] >= MINIMUM_PER_YEAR).astype(int)
    years["shortfall"] = (MINIMUM_PER_YEAR - years["steering"]).clip(lower=0).astype(int)
    years["type_label"] = years["authority_type"].map(AUTHORITY_TYPE_LABELS).fillna(years["authority_type"])
    years["department_label"] = [department_label(d) if isinstance(d, str) else REGION_GROUP_LABEL
                                 for d in years["department"].astype(object).where(years["department"].notna(), None)]
    years["one"] = 1
    return years.sort_values(["period", "authority_id"]).reset_index(drop=True)


def unmatched_committees(data: Data) -> pd.DataFrame:
    """Committees that count for no partner: unknown code, or held outside the partnership.

    Columns: period, authority_id, committee_type, reason (French).
    """
    comites = data.source("comites")
    years = authority_years(data)[["period", "authority_id"]].assign(_partner=True)
    known = set(data.source("collectivites")["authority_id"])
    out = comites.merge(years, on=["period", "authority_id"], how="left")
    out = out[out["_partner"].isna()].copy()
    out["reason"] = np.where(out["authority_id"].isin(known), "hors des dates du partenariat",
                             "code absent du fichier des collectivités")
    return out[["period", "authority_id", "committee_type", "reason"]].reset_index(drop=True)


def scope_rows(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Rows of a scope: an academy's authorities; every authority (the Région too) for the region."""
    referential.check_scope(scope)
    if scope == referential.REGION_SCOPE:
        return frame
    return frame[frame["academy"] == scope]


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 3.1 indicator for each scope and each school year with committee data."""
    years = authority_years(data)
    rows: list[dict] = []
    for scope in data.scopes:
        part = scope_rows(years, scope)
        for period in periods(data):
            cur = part[part["period"] == period]
            if cur.empty:
                continue
            rows.append({"target": TARGET, "indicator": "steering_committees", "academy": scope, "period": period,
                         "value": float(cur["steering"].sum()), "denominator": float(len(cur)),
                         "note": "comptage exhaustif"})
        table = rate_table(part, "meets_minimum", "one", by=["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "authorities_min_committees_rate", table)
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department`` or ``authority_type``.

    ``steering_committees``: count of steering committees (``value``) with the number of
    partner authorities (``denominator``) and the minimum expected (``expected``), no
    interval (exhaustive). ``authorities_min_committees_rate``: share with Wilson interval.
    The Région, which has no department, is its own group.
    """
    if by not in ("department", "authority_type"):
        raise KeyError(f"ventilation inconnue pour la cible 3.1 : {by}")
    frame = scope_rows(authority_years(data), scope)
    frame = frame[frame["period"] == period].copy()
    frame["group"] = frame[by].astype(object).where(frame[by].notna(), REGION_GROUP)
    if indicator == "steering_committees":
        table = frame.groupby("group").agg(value=("steering", "sum"), denominator=("one", "sum")).reset_index()
        table["value"] = table["value"].astype(float)
        table["numerator"] = np.nan
        table["ci_low"] = np.nan
        table["ci_high"] = np.nan
        table["expected"] = table["denominator"] * MINIMUM_PER_YEAR
    elif indicator == "authorities_min_committees_rate":
        table = rate_table(frame, "meets_minimum", "one", by=["group"]).assign(ci_method="wilson")  # independent
    else:
        raise KeyError(f"indicateur inconnu pour la cible 3.1 : {indicator}")
    labels = AUTHORITY_TYPE_LABELS if by == "authority_type" else {}
    table["label"] = [REGION_GROUP_LABEL if g == REGION_GROUP and by == "department" else
                      (labels.get(g, g) if by == "authority_type" else department_label(g))
                      for g in table["group"]]
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    if "expected" in table:
        cols.append("expected")
    if "ci_method" in table:  # what gap_sentence and the synthesis need to test a gap (Newcombe)
        cols.append("ci_method")
    if by == "department":
        # Departments in order, the Région (no department) last.
        table["_region"] = table["group"] == REGION_GROUP
        return table.sort_values(["_region", "label"])[cols].reset_index(drop=True)
    return table[cols].sort_values("label").reset_index(drop=True)


def short_authorities(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The partner authorities below the minimum in the year, named.

    Columns: authority_id, name, type_label, department_label, steering, technical,
    shortfall, previous_steering (the previous year's steering committees, NaN if the
    previous year is not covered), short_last_year (bool or NA), years_short (how many of
    the covered years up to this one the authority fell short). Sorted by fewest committees.
    """
    years = scope_rows(authority_years(data), scope)
    upto = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]
    cur = upto[upto["period"] == period]
    short = cur[cur["meets_minimum"] == 0].copy()
    prev_label = Period.parse(period).shift(-1).label
    prev = years[years["period"] == prev_label].set_index("authority_id")["steering"]
    short["previous_steering"] = short["authority_id"].map(prev).astype(float)
    short["short_last_year"] = short["previous_steering"].map(
        lambda x: pd.NA if pd.isna(x) else bool(x < MINIMUM_PER_YEAR))
    times_short = upto.groupby("authority_id")["meets_minimum"].apply(lambda s: int((s == 0).sum()))
    covered = upto.groupby("authority_id")["period"].nunique()
    short["years_short"] = short["authority_id"].map(times_short).astype(int)
    short["years_covered"] = short["authority_id"].map(covered).astype(int)
    cols = ["authority_id", "name", "type_label", "department_label", "steering", "technical", "shortfall",
            "previous_steering", "short_last_year", "years_short", "years_covered"]
    return short.sort_values(["steering", "name"])[cols].reset_index(drop=True)


def committees_matrix(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Steering committees per authority (rows) and school year (columns) up to ``period``.

    Index: authority name; columns: the covered school years up to ``period``; values:
    committees held (NaN where the authority was not a partner that year).
    """
    years = scope_rows(authority_years(data), scope)
    years = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]
    if years.empty:
        return pd.DataFrame()
    matrix = years.pivot_table(index="name", columns="period", values="steering", aggfunc="sum")
    order = sorted(matrix.columns, key=lambda p: Period.parse(p).start)
    return matrix[order]


# --------------------------------------------------------------------------- report blocks


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_value, status_phrase

    lines = []
    try:
        rate = rpt.row("authorities_min_committees_rate")
        count = rpt.row("steering_committees")
    except KeyError:
        return "*Aucun comité n'est enregistré pour cette année scolaire dans ce périmètre.*"
    n_auth = _int(rate["denominator"])
    text = f"- **{_int(count['value'])}** comités de pilotage ont été tenus avec les collectivités partenaires"
    if pd.notna(count["objective"]):
        text += f", pour un objectif d'au moins {_int(count['objective'])} par an : {status_phrase(count)}"
    lines.append(text + ".")
    if pd.notna(rate["value"]):
        lines.append(f"- Lecture plus stricte, suivie sans objectif : **{fmt_value(rate['value'], 'percent')}** des "
                     f"collectivités partenaires ont été réunies au moins {MINIMUM_PER_YEAR} fois en comité de "
                     f"pilotage ({_int(rate['numerator'])} sur {n_auth}) ; il aurait fallu "
                     f"{_int(count['denominator'] * MINIMUM_PER_YEAR)} comités pour réunir chacune deux fois.")
    short = short_authorities(rpt.data, rpt.scope, rpt.period)
    if short.empty:
        lines.append("- Aucune collectivité n'est en deçà du minimum cette année.")
    else:
        names = ", ".join(f"{r.name} ({r.steering})" for r in short.itertuples(index=False))
        lines.append(f"- **{len(short)}** collectivité(s) en deçà du minimum (comités tenus) : {names}.")
    return "\n".join(lines)


def show_short_authorities(rpt) -> None:
    """The table naming the authorities below the minimum (or a sentence if none)."""
    from ..formatting import fr_number
    from ..render import display_html, display_markdown, html_table

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


def show_matrix(rpt) -> None:
    """Steering committees per authority and year (minimum reached or not), as a table."""
    from ..render import display_html, display_markdown, html_table

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


def show_departments(rpt) -> None:
    """Table: steering committees held and expected, by department (the Région apart)."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

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


def committees_trend(rpt) -> None:
    """Bars: steering committees held per school year, against the minimum expected."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE_LIGHT, RED
    from ..render import show_figure

    years = scope_rows(authority_years(rpt.data), rpt.scope)
    years = years[years["period"].map(lambda p: Period.parse(p) <= Period.parse(rpt.period))]
    if years.empty:
        return
    table = years.groupby("period").agg(held=("steering", "sum"), authorities=("one", "sum"),
                                        short=("meets_minimum", lambda s: int((s == 0).sum())))
    table = table.loc[sorted(table.index, key=lambda p: Period.parse(p).start)]
    table["expected"] = table["authorities"] * MINIMUM_PER_YEAR
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


def committees_chart(rpt) -> None:
    """Bars: steering committees per authority in the year, with the minimum as a line."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE_LIGHT, RED
    from ..render import show_figure

    years = scope_rows(authority_years(rpt.data), rpt.scope)
    cur = years[years["period"] == rpt.period].sort_values(["steering", "name"])
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


def coverage_notes(rpt) -> list[str]:
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
    unmatched = unmatched_committees(rpt.data)
    unmatched = unmatched[unmatched["period"] == rpt.period]
    if len(unmatched):
        reasons = unmatched["reason"].value_counts()
        notes.append("**Comités non rattachés** : " + " ; ".join(f"{n} comité(s) : {r}" for r, n in reasons.items())
                     + " — ils ne sont pas comptés.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            notes.append(f"**Feuille de route, {objective.period}** : {objective.note}")
    return notes


def _int(x: float) -> str:
    from ..formatting import fr_number

    return fr_number(x, 0)
