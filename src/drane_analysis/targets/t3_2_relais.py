"""Target 3.2 — structuring the digital actors: the network of digital relays.

Indicators (``params/targets/3.2-relais.yaml``):

- ``relay_coverage_rate``: share of the establishments of the coverage universe (écoles,
  collèges, lycées and EREA, public or private under contract, open on the reference day)
  covered by at least one relay active on 15 January of the school year
  (``sources.pilotage.select_active_relays``);
- ``relays_active``: distinct relays active on that day (an exhaustive count; a relay is
  counted in every academy or department where it covers an establishment, once in the
  region).

The uncovered establishments are shown by department and by commune (never by person).

Intervals (:func:`coverage_rates`): a secondary establishment is covered by its own
referent, an independent unit (Wilson); écoles are covered by circonscription (one ERUN for
some twenty neighbouring écoles), all or none, and the data do not say which circonscription
an uncovered école belongs to: a group holding écoles gets no interval (a Wilson interval
over its écoles would be several times too narrow) and its gaps are described, not tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage as join_coverage  # not coverage(): this module's relay coverage
from .. import referential
from ..data import Data, breakdown_label
from ..indicators import rate_rows, series_frame
from ..periods import Period, period_range
from ..privacy import linked_breakdown, protect_breakdown, protect_scopes
from ..render import gap_sentence  # noqa: F401  (re-exported for the notebook)
from ..sources.pilotage import RELAY_REFERENCE_DAY, select_active_relays
from ..stats import (
    difference_interval,  # noqa: F401  (shared statistics)
    rate_table,
)

TARGET = "3.2"
COVERED_KINDS = ("ecole", "college", "lycee", "erea")
FIRST_PERIOD = "2020-2021"
"""First school year of the roadmap: coverage is computed from it to the latest year of the data."""
ATTRIBUTES = ["kind", "sector", "academy", "department", "department_label", "commune_code", "territory",
              "priority_education"]
FUNCTION_LABELS = {
    "erun": "ERUN (premier degré)",
    "referent_etablissement": "Référent numérique d'établissement",
    "chef_etablissement_referent": "Chef d'établissement référent",
    "inspecteur_referent": "Inspecteur référent",
    "mediateur_canope": "Médiateur Canopé",
}
MAIN_FUNCTIONS = ("erun", "referent_etablissement")


# --------------------------------------------------------------------------- building blocks


def reference_day(period: str) -> pd.Timestamp:
    """The observatory's reference day of a school year (15 January)."""
    return pd.Timestamp(f"{Period.parse(period).end}-{RELAY_REFERENCE_DAY}")


def periods(data: Data) -> list[str]:
    """School years from the roadmap's first to the latest of the data (or of the register)."""
    last = Period.parse(data.latest_period())
    rel = data.source("relais")
    if len(rel) and rel["start_date"].notna().any():
        last = max(last, Period.of_date(rel["start_date"].max()))
    return period_range(FIRST_PERIOD, last) if last >= Period.parse(FIRST_PERIOD) else []


def universe(data: Data) -> pd.DataFrame:
    return data.memo("t32_universe", lambda: _universe(data))


def _universe(data: Data) -> pd.DataFrame:
    """Establishments that should have a relay (all years): uai, opening_date, attributes, commune_name."""
    est = data.establishments()
    out = est[est["kind"].isin(COVERED_KINDS) & est["under_contract"].fillna(False).astype(bool)].copy()
    annuaire = data.source("annuaire")
    if "state" in annuaire:
        closed = set(annuaire.loc[annuaire["state"] == "closed", "uai"])
        out = out[~out["uai"].isin(closed)]
    if "commune_name" in annuaire:
        out = out.merge(annuaire[["uai", "commune_name"]], on="uai", how="left")
    else:
        out["commune_name"] = out["commune_code"]
    for column in ("latitude", "longitude"):
        out[column] = (annuaire.set_index("uai")[column].reindex(out["uai"]).to_numpy(dtype=float)
                       if column in annuaire else np.nan)
    if "opening_date" not in out:
        out["opening_date"] = pd.NaT
    return out.reset_index(drop=True)


def coverage(data: Data) -> pd.DataFrame:
    return data.memo("t32_coverage", lambda: _coverage(data))


def _coverage(data: Data) -> pd.DataFrame:
    """One row per (period, establishment open on the reference day).

    Columns: period, uai, attributes, commune_name, latitude, longitude, covered (0/1),
    relays (active relays covering it), main_relay (0/1: an ERUN or an establishment
    referent), new_relay (0/1: one of the new relays), one.
    """
    uni = universe(data)
    rel = data.source("relais")
    parts = []
    for period in periods(data):
        day = reference_day(period)
        open_ = uni[uni["opening_date"].isna() | (uni["opening_date"] <= day)].copy()
        active = select_active_relays(rel, period)
        for column, values in _relays_per_uai(active, open_["uai"]).items():
            open_[column] = values
        open_["covered"] = (open_["relays"] > 0).astype(int)
        open_["period"] = period
        open_["year"] = Period.parse(period).start
        parts.append(open_)
    if not parts:
        return uni.head(0).assign(period=pd.Series(dtype="string"), covered=0, relays=0, one=1)
    out = pd.concat(parts, ignore_index=True)
    out["one"] = 1
    return out


def _relays_per_uai(active: pd.DataFrame, uai: pd.Series) -> dict[str, np.ndarray]:
    """For each UAI of ``uai``: its distinct active relays, and whether one is a main
    relay (an ERUN or an establishment referent) or a new one (0/1; 0 without a relay)."""
    codes, known = pd.factorize(active["uai"])
    relay = pd.factorize(active["relay_id"])[0]
    is_main = active["function"].isin(MAIN_FUNCTIONS).to_numpy()
    base = max(int(relay.max(initial=-1)) + 1, 1)
    named = (codes >= 0) & (relay >= 0)  # a relay without an identifier is not counted
    pairs = np.unique(codes[named].astype(np.int64) * base + relay[named])  # distinct (UAI, relay)
    relays = np.bincount(pairs // base, minlength=len(known)).astype(int)
    main = np.zeros(len(known), dtype=int)
    new = np.zeros(len(known), dtype=int)
    np.maximum.at(main, codes[codes >= 0], is_main[codes >= 0].astype(int))
    np.maximum.at(new, codes[codes >= 0], (~is_main[codes >= 0]).astype(int))
    at = pd.Index(known).get_indexer(uai)
    found = at >= 0
    return {column: np.where(found, values[np.where(found, at, 0)], 0) if len(values) else np.zeros(len(uai), int)
            for column, values in (("relays", relays), ("main_relay", main), ("new_relay", new))}


def active_relays(data: Data, period: str) -> pd.DataFrame:
    """Active relay rows of a school year with the attributes of the establishment covered.

    Attributes are missing for a UAI outside the coverage universe (its academy and
    department, read from the UAI, are kept).
    """
    rel = select_active_relays(data.source("relais"), period)
    uni = universe(data)
    out = rel.merge(uni[["uai", *ATTRIBUTES]], on="uai", how="left", suffixes=("_relay", ""))
    # A covered UAI outside the universe (an unknown or out-of-contract UAI) keeps its place.
    for column in ("academy", "department"):
        if f"{column}_relay" in out:
            out[column] = out[column].fillna(out[f"{column}_relay"])
            out = out.drop(columns=f"{column}_relay")
    return out


def relays_outside_universe(data: Data, period: str) -> int:
    """Active relay rows whose UAI is not an establishment of the coverage universe."""
    rel = select_active_relays(data.source("relais"), period)
    return int((~rel["uai"].isin(universe(data)["uai"])).sum())


def coverage_rates(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Coverage (Σ covered / Σ establishments) by groups, with an interval only where it fits.

    ``frame``: :func:`coverage` rows (one per establishment and year). Groups of secondary
    establishments only (each covered by its own referent: independent units) get Wilson's
    interval and ``ci_method`` = ``wilson``; groups holding écoles, covered by circonscription
    (a cluster the data do not identify), get none and no ``ci_method``. Columns: ``by``,
    numerator, denominator, value, ci_low, ci_high, ecoles, ci_method.
    """
    table = rate_table(frame, "covered", "one", by=by)
    ecoles = rate_table(frame.assign(is_ecole=(frame["kind"] == "ecole").astype(int)), "is_ecole", "one", by=by)
    table["ecoles"] = ecoles["numerator"].to_numpy()
    with_ecoles = table["ecoles"] > 0
    table.loc[with_ecoles, ["ci_low", "ci_high"]] = np.nan
    table["ci_method"] = np.where(with_ecoles, None, "wilson")
    return table


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 3.2 indicator for each scope and each school year from 2020-2021."""
    rows: list[dict] = []
    cov = coverage(data)
    for scope in data.scopes:
        part = referential.in_scope(cov, scope)
        part = part[part["academy"].isin(list(referential.ACADEMIES))]
        table = coverage_rates(part, ["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "relay_coverage_rate", table, interval="table")
    for period in periods(data):
        act = active_relays(data, period)
        for scope in data.scopes:
            part = referential.in_scope(act, scope)
            part = part[part["academy"].isin(list(referential.ACADEMIES))]
            rows.append({"target": TARGET, "indicator": "relays_active", "academy": scope, "period": period,
                         "value": float(part["relay_id"].nunique()), "note": "comptage exhaustif"})
    return join_coverage.attach(series_frame(rows), "relay_coverage_rate", relay_coverage(data))


NOT_IN_ANNUAIRE = {"not_in_annuaire": "établissement{s} couvert{s} par un relais mais inconnu{s} de l'annuaire"}


def relay_coverage(data: Data) -> pd.DataFrame:
    """Coverage of ``relay_coverage_rate`` (join of the relays with the annuaire): the active
    relays' assignments to a UAI the annuaire lacks cover no establishment of the universe.

    Assignments to an establishment the annuaire lists outside the universe (closed, another
    kind, out of contract) are outside the definition, not lost.
    """
    known = set(data.establishments()["uai"])
    uni = set(universe(data)["uai"])
    parts = []
    for period in periods(data):
        rel = select_active_relays(data.source("relais"), period)
        rel = rel[rel["uai"].isin(uni) | ~rel["uai"].isin(known)]
        academy = join_coverage.academy_of_uai(rel["uai"])
        if "academy" in rel:
            academy = rel["academy"].astype("string").fillna(academy)
        parts.append(pd.DataFrame({"period": period, "uai": rel["uai"].to_numpy(), "academy": academy.to_numpy(),
                                   "one": 1.0, "lost": np.where(rel["uai"].isin(known), join_coverage.KEPT,
                                                                 "not_in_annuaire")}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period", "uai", "academy", "one", "lost"])
    return join_coverage.measure(frame, NOT_IN_ANNUAIRE, whom="affectation{s} de relais actif{s}", weight="one",
                            scopes=data.scopes)


# --------------------------------------------------------------------------- breakdowns


def _current(data: Data, scope: str, period: str) -> pd.DataFrame:
    cov = coverage(data)
    return referential.in_scope(cov[cov["period"] == period], scope)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department``, ``territory``, ``kind``…

    ``relay_coverage_rate``: share (``numerator`` covered, ``denominator`` establishments)
    with an interval only where it fits (:func:`coverage_rates`). ``relays_active``:
    distinct relays per group (a relay covering several groups counts in each), no interval.
    """
    if indicator == "relay_coverage_rate":
        table = coverage_rates(_current(data, scope, period), [by])
    elif indicator == "relays_active":
        act = referential.in_scope(active_relays(data, period), scope)
        table = act.groupby(by, observed=True, dropna=False)["relay_id"].nunique().rename("value").reset_index()
        table["value"] = table["value"].astype(float)
        table[["numerator", "denominator", "ci_low", "ci_high"]] = np.nan
        table["ci_method"] = None
    else:
        raise KeyError(f"indicateur inconnu pour la cible 3.2 : {indicator}")
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: breakdown_label(by, v))
    return table[["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high", "ci_method"]].sort_values(
        "label").reset_index(drop=True)


def coverage_by_kind_territory(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Coverage by kind of establishment × territory (rural / urban), with Wilson intervals
    for the secondary kinds (none for écoles, see :func:`coverage_rates`).

    Columns: kind, territory, label (``École — Rural``), value, numerator, denominator,
    ci_low, ci_high; kinds in the school order, rural before urban.
    """
    cur = _current(data, scope, period)
    table = coverage_rates(cur, ["kind", "territory"])
    table["label"] = [f"{breakdown_label('kind', k)} — {breakdown_label('territory', t)}"
                      for k, t in zip(table["kind"], table["territory"], strict=True)]
    order = {k: i for i, k in enumerate(COVERED_KINDS)}
    table["_o"] = table["kind"].map(order)
    return table.sort_values(["_o", "territory"]).drop(columns="_o").reset_index(drop=True)


def rural_gap(data: Data, scope: str, period: str, kind: str = "ecole") -> dict:
    """Urban minus rural coverage of one kind, in points, with a 95 % interval where it fits.

    Returns ``{"rural", "urban", "gap", "ci_low", "ci_high", "n_rural", "n_urban"}``; NaN
    values when a group is empty. For a secondary kind the interval combines the two Wilson
    intervals (Newcombe's hybrid score method, valid near 100 %); for écoles, covered by
    circonscription (:func:`coverage_rates`), there is none.
    """
    cur = _current(data, scope, period)
    cur = cur[cur["kind"] == kind]
    out = {"rural": np.nan, "urban": np.nan, "gap": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "n_rural": 0, "n_urban": 0}
    t = coverage_rates(cur, ["territory"]).set_index("territory")
    if not {"rural", "urban"} <= set(t.index):
        return out
    r, u = t.loc["rural"], t.loc["urban"]
    gap, lo, hi = difference_interval(u["value"], u["ci_low"], u["ci_high"], r["value"], r["ci_low"], r["ci_high"])
    out.update(rural=float(r["value"]), urban=float(u["value"]), gap=float(u["value"] - r["value"]),
               ci_low=float(lo), ci_high=float(hi), n_rural=int(r["denominator"]), n_urban=int(u["denominator"]))
    return out


def uncovered_by_department(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Uncovered establishments per department of the scope.

    Columns: department, label, establishments, uncovered, uncovered_ecoles,
    uncovered_secondary, communes_uncovered (communes with at least one uncovered
    establishment), communes_without (communes none of whose establishments is covered),
    value (coverage %), ci_low, ci_high. Sorted by uncovered, most first.
    """
    cur = _current(data, scope, period)
    rates = coverage_rates(cur, ["department"])
    cur = cur.assign(uncovered=1 - cur["covered"], is_ecole=(cur["kind"] == "ecole").astype(int))
    cur["uncovered_ecole"] = cur["uncovered"] * cur["is_ecole"]
    by_commune = cur.groupby(["department", "commune_code"], observed=True).agg(
        uncovered=("uncovered", "sum"), n=("one", "sum")).reset_index()
    communes = by_commune.groupby("department").agg(
        communes_uncovered=("uncovered", lambda s: int((s > 0).sum()))).reset_index()
    without = (by_commune[by_commune["uncovered"] == by_commune["n"]].groupby("department").size()
               .rename("communes_without").reset_index())
    agg = cur.groupby("department", observed=True).agg(
        establishments=("one", "sum"), uncovered=("uncovered", "sum"),
        uncovered_ecoles=("uncovered_ecole", "sum")).reset_index()
    agg["uncovered_secondary"] = agg["uncovered"] - agg["uncovered_ecoles"]
    out = (agg.merge(communes, on="department", how="left").merge(without, on="department", how="left")
           .merge(rates[["department", "value", "ci_low", "ci_high"]], on="department", how="left"))
    out[["communes_uncovered", "communes_without"]] = out[["communes_uncovered", "communes_without"]].fillna(0).astype(int)
    out["label"] = out["department"].map(lambda d: breakdown_label("department", d))
    cols = ["department", "label", "establishments", "uncovered", "uncovered_ecoles", "uncovered_secondary",
            "communes_uncovered", "communes_without", "value", "ci_low", "ci_high"]
    return out.sort_values(["uncovered", "label"], ascending=[False, True])[cols].reset_index(drop=True)


def uncovered_communes(data: Data, scope: str, period: str, top: int | None = None) -> pd.DataFrame:
    """Communes of the scope with establishments left without an active relay.

    Columns: department_label, commune_code, commune_name, territory (label), establishments,
    uncovered, share_uncovered (%), uncovered_kinds (``3 écoles, 1 collège``),
    uncovered_since (the earliest covered year from which the commune has had an uncovered
    establishment every year up to ``period``; ``"2020-2021 ou avant"`` when that run goes
    back to the first year covered). Sorted by uncovered (most first) then name;
    ``top`` keeps the first rows.
    """
    cur = _current(data, scope, period)
    if cur.empty:
        return pd.DataFrame(columns=["department_label", "commune_code", "commune_name", "territory", "establishments",
                                     "uncovered", "share_uncovered", "uncovered_kinds", "uncovered_since"])
    cur = cur.assign(uncovered=1 - cur["covered"])
    keys = ["department_label", "commune_code", "commune_name", "territory"]
    cur[keys] = cur[keys].astype(object).where(cur[keys].notna(), "")
    agg = cur.groupby(keys, observed=True, dropna=False).agg(
        establishments=("one", "sum"), uncovered=("uncovered", "sum")).reset_index()
    agg = agg[agg["uncovered"] > 0].copy()
    kinds = (cur[cur["uncovered"] == 1].pivot_table(index="commune_code", columns="kind", values="one",
                                                     aggfunc="sum", fill_value=0, observed=True)
             .reindex(columns=list(COVERED_KINDS), fill_value=0))
    texts = {commune: _kinds_text(counts) for commune, counts in zip(kinds.index, kinds.to_numpy(), strict=True)}
    agg["uncovered_kinds"] = agg["commune_code"].map(texts)
    agg["share_uncovered"] = agg["uncovered"] / agg["establishments"] * 100
    agg["territory"] = agg["territory"].map(lambda v: breakdown_label("territory", v) if v else "Non renseigné")
    agg["uncovered_since"] = agg["commune_code"].map(_uncovered_since(data, scope, period))
    agg = agg.sort_values(["uncovered", "department_label", "commune_name"], ascending=[False, True, True])
    if top:
        agg = agg.head(top)
    return agg.reset_index(drop=True)


KIND_NAMES = {"ecole": ("école", "écoles"), "college": ("collège", "collèges"), "lycee": ("lycée", "lycées"),
              "erea": ("EREA", "EREA")}


def _kinds_text(counts) -> str:
    """``[3, 1, 0, 0]`` (counts in the order of COVERED_KINDS) → ``3 écoles, 1 collège``."""
    parts = []
    for kind, n in zip(COVERED_KINDS, counts, strict=True):
        n = int(n)
        if n:
            parts.append(f"{n} {KIND_NAMES[kind][0] if n == 1 else KIND_NAMES[kind][1]}")
    return ", ".join(parts)


def _uncovered_since(data: Data, scope: str, period: str) -> dict:
    """Commune → first school year of its current unbroken run of uncovered establishments."""
    cov = referential.in_scope(coverage(data), scope)
    last = Period.parse(period).start
    cov = cov[cov["year"] <= last]
    if cov.empty:
        return {}
    flag = cov.assign(uncovered=1 - cov["covered"]).pivot_table(
        index="commune_code", columns="year", values="uncovered", aggfunc="sum", fill_value=0, observed=True) > 0
    years = sorted(flag.columns, reverse=True)
    run = flag[years].astype(int).cumprod(axis=1).sum(axis=1)
    run = run[run > 0]
    # The run counts consecutive years back from the report's year among the years covered;
    # a run reaching the first year covered may have started before it.
    return {commune: Period(int(years[n - 1])).label + (" ou avant" if n == len(years) else "")
            for commune, n in run.items()}


def relays_by_function(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Active relays and establishments covered, by function.

    Columns: function, label, relays, establishments (of the universe covered by at least
    one relay of that function), only_relay (establishments covered by this function
    alone).
    """
    act = referential.in_scope(active_relays(data, period), scope)
    act = act[act["kind"].notna()]
    by_uai = act.groupby("uai")["function"].agg(lambda f: frozenset(f))
    rows = []
    for function, label in FUNCTION_LABELS.items():
        part = act[act["function"] == function]
        rows.append({"function": function, "label": label, "relays": int(part["relay_id"].nunique()),
                     "establishments": int(part["uai"].nunique()),
                     "only_relay": int(sum(1 for s in by_uai if s == frozenset({function})))})
    return pd.DataFrame(rows)


def department_history(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Coverage rate per department and school year up to ``period`` (long format, intervals
    as :func:`coverage_rates`)."""
    cov = referential.in_scope(coverage(data), scope)
    cov = cov[cov["year"] <= Period.parse(period).start]
    table = coverage_rates(cov, ["department", "period", "year"])
    table["label"] = table["department"].map(lambda d: breakdown_label("department", d))
    return table.sort_values(["label", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- report blocks


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_value

    lines = []
    rate = rpt.row("relay_coverage_rate")
    relays = rpt.row("relays_active")
    if pd.isna(rate["value"]):
        return "*Aucun établissement du périmètre cette année : la couverture ne peut être calculée.*"
    uncovered = int(rate["denominator"] - rate["numerator"])
    lines.append(f"- **{fmt_value(rate['value'], 'percent')}** des écoles, collèges, lycées et EREA sont couverts "
                 f"par au moins un relais numérique actif au 15 janvier ({_int(rate['numerator'])} sur "
                 f"{_int(rate['denominator'])}) ; **{_int(uncovered)}** établissements restent sans relais.")
    lines.append(f"- **{_int(relays['value'])}** relais numériques sont actifs à cette date.")
    gap = rural_gap(rpt.data, rpt.scope, rpt.period)
    if np.isfinite(gap["gap"]):
        lines.append(f"- Écoles : {fmt_value(gap['rural'], 'percent')} des écoles rurales sont couvertes contre "
                     f"{fmt_value(gap['urban'], 'percent')} des écoles urbaines, soit "
                     f"{fmt_value(gap['gap'], 'percent_points')} d'écart (écart observé : les écoles sont couvertes "
                     "par circonscription, que les données ne donnent pas, si bien qu'aucun test ne s'y applique).")
    dept = uncovered_by_department(rpt.data, rpt.scope, rpt.period)
    if len(dept) >= 2:
        low = dept.sort_values("value").iloc[0]
        lines.append(f"- Département le moins couvert : **{low['label']}**, {fmt_value(low['value'], 'percent')} "
                     f"({_int(low['uncovered'])} établissements sans relais, dans "
                     f"{_int(low['communes_uncovered'])} communes).")
    return "\n".join(lines)


def show_uncovered_departments(rpt) -> None:
    """Table: uncovered establishments and communes by department."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

    dept = uncovered_by_department(rpt.data, rpt.scope, rpt.period)
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


def show_uncovered_communes(rpt, top: int = 15) -> None:
    """Table: the communes with the most establishments without a relay."""
    from ..formatting import fmt_value, fr_number
    from ..render import display_html, display_markdown, html_table

    communes = uncovered_communes(rpt.data, rpt.scope, rpt.period)
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


def show_functions(rpt) -> None:
    """Table: relays and establishments covered by function."""
    from ..formatting import fr_number
    from ..render import display_html, html_table

    # Relays are persons (one function each): a function held by fewer than the threshold is
    # secret, jointly with the same table of every scope.
    p = protect_scopes(rpt.data, f"3.2:functions:{rpt.period}",
                       lambda s: relays_by_function(rpt.data, s, rpt.period), rpt.scope, ["relays"])
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


def show_relays_by_department(rpt) -> None:
    """Table: active relays and establishments per relay, by department."""
    from ..formatting import fr_number
    from ..render import display_html, html_table

    relays = breakdown(rpt.data, "relays_active", rpt.scope, rpt.period, "department").reset_index(drop=True)
    cov = breakdown(rpt.data, "relay_coverage_rate", rpt.scope, rpt.period, "department").set_index("group")
    covered = [cov["numerator"].get(g) for g in relays["group"]]
    per_relay = [c / v if v else np.nan for c, v in zip(covered, relays["value"], strict=True)]
    # Relays are persons: a department with fewer than the threshold is secret, and so is the
    # number of establishments per relay that would give it back.
    p = protect_breakdown(relays.assign(per_relay=per_relay), "count", follow={"per_relay": "value"})
    out = pd.DataFrame({
        "Département": relays["label"],
        "Relais actifs": p.text("value", fr_number),
        "Établissements couverts": [fr_number(c) for c in covered],
        "Établissements par relais": p.text("per_relay", lambda x: fr_number(x, 1)),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Relais actifs par département au 15 janvier {Period.parse(rpt.period).end} "
                                     "(un relais compte dans chaque département qu'il couvre)") + p.note_html())


def coverage_map(rpt) -> None:
    """Scatter of the establishments by their coordinates, the uncovered ones in red."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE_LIGHT, RED
    from ..maps import draw_outlines
    from ..render import show_figure

    cur = _current(rpt.data, rpt.scope, rpt.period)
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
    dept = uncovered_by_department(rpt.data, rpt.scope, rpt.period)
    worst = ", ".join(f"{r.label} ({r.uncovered})" for r in dept.head(3).itertuples(index=False))
    # The CSV lists the red points (establishments are public; the blue ones are thousands).
    data = pd.DataFrame({"UAI": uncovered["uai"].to_numpy() if "uai" in uncovered else None,
                         "Longitude": uncovered["longitude"].round(5).to_numpy(),
                         "Latitude": uncovered["latitude"].round(5).to_numpy()})
    show_figure(fig, f"Carte des établissements selon leurs coordonnées : {len(covered)} couverts en bleu, "
                     f"{len(uncovered)} sans relais en rouge. Départements ayant le plus d'établissements sans "
                     f"relais : {worst}.", data=data, name=f"etablissements sans relais {rpt.period}")


def department_chart(rpt) -> None:
    """Lines: coverage per department over the school years up to the report's."""
    import matplotlib.pyplot as plt

    from ..formatting import PALETTE, fmt_value
    from ..render import show_figure

    hist = department_history(rpt.data, rpt.scope, rpt.period)
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


def coverage_notes(rpt) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    outside = relays_outside_universe(rpt.data, rpt.period)
    day = reference_day(rpt.period)
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


def _int(x: float) -> str:
    from ..formatting import fr_number

    return fr_number(x, 0)
