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
from ..privacy import linked_breakdown
from ..sources.pilotage import RELAY_REFERENCE_DAY, select_active_relays
from ..stats import difference_interval, rate_table

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


def year_coverage(data: Data, scope: str, period: str) -> pd.DataFrame:
    """The :func:`coverage` rows of one scope and school year."""
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
        table = coverage_rates(year_coverage(data, scope, period), [by])
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
    cur = year_coverage(data, scope, period)
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
    cur = year_coverage(data, scope, period)
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
    cur = year_coverage(data, scope, period)
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
    cur = year_coverage(data, scope, period)
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


def relays_by_department(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Active relays by department with the establishments they cover.

    The ``relays_active`` breakdown by department (group, label, value: relays…) with
    ``covered`` (establishments of the universe covered there) and ``per_relay``
    (establishments covered per relay).
    """
    relays = breakdown(data, "relays_active", scope, period, "department").reset_index(drop=True)
    cov = breakdown(data, "relay_coverage_rate", scope, period, "department").set_index("group")
    covered = [cov["numerator"].get(g) for g in relays["group"]]
    per_relay = [c / v if v else np.nan for c, v in zip(covered, relays["value"], strict=True)]
    return relays.assign(covered=covered, per_relay=per_relay)
