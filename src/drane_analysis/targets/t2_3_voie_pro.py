"""Target 2.3 — the vocational track through digital (pole: Poitiers).

Indicators (``params/targets/2.3-voie-pro.yaml``):

- ``vr_ar_training_days``: trainee-days of the virtual / augmented reality and digital twin
  training sessions (``formations``, domain ``vr_ar``), against 30;
- ``conversational_agents_establishments_rate`` (the roadmap's « 30 % des
  établissements »): share of the second-degree establishments (collèges, lycées, EREA,
  public or private under contract, open on 15 January of the school year, from the
  annuaire) where at least one class used a conversational agent (``agents_conversationnels``:
  a row with ``classes_using`` ≥ 1), against 30 %, with a Wilson interval; an establishment
  absent from the agents file counts as not using one;
- ``conversational_agents_rate`` (secondary, the pole's narrower reading): the same share
  among the lycées with a vocational track (LP and LPO) only.

Beyond the headline, vocational lycées against the others: LP against LPO (rates with
intervals, the difference with its Newcombe interval and Fisher's exact test,
:func:`lycee_type_table`, :func:`compare_lycee_types`), general and technological lycées
(LEGT) where the agents file covers them, the intensity of use among user lycées
(:func:`intensity_table`), and the SAMR profile of the practices reported by vocational and
general lycées among the 2.2 candidates (:func:`samr_by_track`, a permutation test with the
establishment as the unit).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..stats import (  # noqa: F401  (shared statistics)
    cluster_permutation_test,
    cluster_rate_table,
    compare_proportions,
    holm,
    mean_table,
    rate_table,
    wilson_interval,
)
from .t2_1_inclusion import (
    covered_periods,
    fill_missing,
    training_breakdown,
    training_rows,
)

TARGET = "2.3"
VR_DOMAIN = "vr_ar"
VOCATIONAL_TYPES = ("LP", "LPO")
GENERAL_TYPES = ("LEGT",)
LYCEE_TYPE_LABELS = {"LP": "Lycée professionnel (LP)", "LPO": "Lycée polyvalent (LPO)",
                     "LEGT": "Lycée général et technologique (LEGT)"}
TRACK_LABELS = {"vocational": "Lycées à voie professionnelle (LP, LPO)",
                "general": "Lycées généraux et technologiques (LEGT)"}
ATTRIBUTES = ["academy", "department", "kind", "lycee_type", "sector", "territory"]
PERMUTATIONS = 4999


# --------------------------------------------------------------------------- building blocks


def lycees(data: Data) -> pd.DataFrame:
    """Lycées (public or private under contract) of the annuaire with their track.

    Columns: uai, the establishment attributes, ``track`` (``vocational`` for LP and LPO —
    or, when the nature code is missing, a lycée with a vocational track, its type then
    unknown —, ``general`` for LEGT), opening_date.
    """
    def _compute() -> pd.DataFrame:
        est = data.establishments()
        est = est[(est["kind"] == "lycee") & est["under_contract"].fillna(False).astype(bool)].copy()
        ann = data.source("annuaire")
        lt = est["lycee_type"].astype("string")
        has_voc = pd.Series(False, index=est.index)
        if "has_vocational_track" in ann:
            voc = ann.set_index("uai")["has_vocational_track"]
            has_voc = est["uai"].map(voc).astype("boolean").fillna(False).astype(bool)
        known = lt.notna().to_numpy()
        is_voc = np.where(known, lt.isin(VOCATIONAL_TYPES).fillna(False).to_numpy(), has_voc.to_numpy())
        is_gen = known & lt.isin(GENERAL_TYPES).fillna(False).to_numpy()
        est["lycee_type"] = lt
        est["track"] = np.where(is_voc, "vocational", np.where(is_gen, "general", "unknown"))
        return est.reset_index(drop=True)

    return data.memo("lycees", _compute)


def open_on(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Rows open on 15 January of the school year (no opening date: open)."""
    day = pd.Timestamp(f"{Period.parse(period).end}-01-15")
    if "opening_date" not in frame:
        return frame
    return frame[frame["opening_date"].isna() | (frame["opening_date"] <= day)]


def secondary_establishments(data: Data) -> pd.DataFrame:
    """Second-degree establishments (collèges, lycées, EREA) of the annuaire, public or private
    under contract, with the lycées' ``track`` (:func:`lycees`; ``other`` for collèges and EREA)."""
    def _compute() -> pd.DataFrame:
        est = data.establishments()
        est = est[est["kind"].isin(list(referential.SECONDARY_KINDS))
                  & est["under_contract"].fillna(False).astype(bool)].copy()
        track = lycees(data).set_index("uai")["track"]
        est["lycee_type"] = est["lycee_type"].astype("string")
        est["track"] = est["uai"].map(track).fillna("other")
        return est.reset_index(drop=True)

    return data.memo("secondary_establishments", _compute)


def lycee_usage(data: Data) -> pd.DataFrame:
    """One row per lycée open in each school year the agents file covers.

    Columns: period, uai, attributes, track, ``user`` (1 when a class used an agent),
    ``registered`` (appears in the file), classes, sessions, pupils (sums over agents),
    agents (names joined), ``one``. ``attrs``: periods, ``outside`` (user rows whose UAI is
    not a lycée under contract of the annuaire), ``general_covered`` (the file names at
    least one LEGT).
    """
    return data.memo("lycee_usage", lambda: _usage(data, lycees(data)))


def establishment_usage(data: Data) -> pd.DataFrame:
    """As :func:`lycee_usage`, for every second-degree establishment (collèges, lycées, EREA).

    ``attrs`` also has ``registered_kinds``: the establishments of each kind named in the
    agents file over the years (``{"lycee": 150, "college": 0, "erea": 0}``).
    """
    def _compute() -> pd.DataFrame:
        out = _usage(data, secondary_establishments(data))
        named = out[out["registered"] == 1].drop_duplicates("uai")["kind"].value_counts()
        out.attrs["registered_kinds"] = {k: int(named.get(k, 0)) for k in referential.SECONDARY_KINDS}
        return out

    return data.memo("establishment_usage", _compute)


def _usage(data: Data, universe: pd.DataFrame) -> pd.DataFrame:
    """The agents file's use, one row per establishment of ``universe`` open in each covered year."""
    agents = data.source("agents_conversationnels").copy()
    periods = covered_periods(agents)
    agents["used"] = (agents["classes_using"].fillna(0) >= 1).astype(int)
    per = (agents.assign(pupils=agents.get("pupils", np.nan))
           .groupby(["period", "uai"], observed=True)
           .agg(user=("used", "max"), classes=("classes_using", "sum"), sessions=("sessions", "sum"),
                pupils=("pupils", "sum"))
           .reset_index())
    # The agents a lycée used, sorted and joined ("" when none): one join per lycée.
    used = (agents.loc[agents["used"] == 1, ["period", "uai", "agent"]].dropna()
            .drop_duplicates().sort_values("agent", kind="stable"))
    names = used.groupby(["period", "uai"], observed=True, sort=False)["agent"].agg(", ".join).rename("agents")
    per = per.merge(names, left_on=["period", "uai"], right_index=True, how="left")
    per["agents"] = per["agents"].fillna("").astype("string")
    per["registered"] = 1
    parts = [open_on(universe, p).assign(period=p) for p in periods]
    base = (pd.concat(parts, ignore_index=True) if parts
            else universe.head(0).assign(period=pd.Series(dtype="string")))
    out = base.merge(per, on=["period", "uai"], how="left")
    for col in ("user", "registered", "classes", "sessions"):
        out[col] = out[col].fillna(0).astype(int)
    out["pupils"] = out["pupils"].astype(float)
    out["agents"] = out["agents"].fillna("")
    out["one"] = 1
    outside = per.merge(base[["period", "uai"]], on=["period", "uai"], how="left", indicator=True)
    out.attrs["periods"] = periods
    out.attrs["outside"] = int(((outside["_merge"] == "left_only") & (outside["user"] == 1)).sum())
    out.attrs["general_covered"] = bool(out.loc[out["track"] == "general", "registered"].sum() > 0)
    return out.reset_index(drop=True)


def vocational(data: Data) -> pd.DataFrame:
    """The indicator's universe: lycées with a vocational track (LP, LPO)."""
    frame = lycee_usage(data)
    out = frame[frame["track"] == "vocational"]
    out.attrs.update(frame.attrs)
    return out


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 2.3 indicator for each scope and each school year its sources cover."""
    rows: list[dict] = []
    if data.has("formations"):
        rows += training_rows("vr_ar_training_days", data, VR_DOMAIN, target=TARGET)
    if data.has("agents_conversationnels") and data.has("annuaire"):
        for indicator, frame in (("conversational_agents_establishments_rate", establishment_usage(data)),
                                 ("conversational_agents_rate", vocational(data))):
            for scope, part in by_scope(frame, scopes=data.scopes):
                table = rate_table(part, "user", "one", by=["period"]).assign(academy=scope)
                rows += rate_rows(TARGET, indicator, table)
            rows = fill_missing(rows, TARGET, indicator, frame.attrs["periods"], scopes=data.scopes)
        series = series_frame(rows)
        for indicator in ("conversational_agents_establishments_rate", "conversational_agents_rate"):
            series = coverage.attach(series, indicator, agents_coverage(data, indicator))
        return series
    return series_frame(rows)


def agents_coverage(data: Data, indicator: str = "conversational_agents_rate") -> pd.DataFrame:
    """Coverage of a conversational-agent rate (join of the agents file with the annuaire):
    establishments using an agent whose UAI the annuaire lacks count nowhere. Users the
    annuaire lists as another kind (a LEGT or a collège, for the vocational lycées' rate) are
    outside the definition, not lost."""
    agents = data.source("agents_conversationnels")
    users = agents.loc[agents["classes_using"].fillna(0).to_numpy() >= 1, ["period", "uai"]].drop_duplicates()
    est = data.establishments()
    universe = establishment_usage(data) if indicator == "conversational_agents_establishments_rate" else vocational(data)
    counted = set(zip(universe["period"], universe["uai"], strict=True))
    known = users["uai"].isin(set(est["uai"])).to_numpy()
    inside = np.array([k in counted for k in zip(users["period"], users["uai"], strict=True)], dtype=bool)
    frame = users[inside | ~known].assign(academy=lambda f: coverage.academy_of_uai(f["uai"]).to_numpy())
    frame["lost"] = np.where(frame["uai"].isin(set(est["uai"])).to_numpy(), coverage.KEPT, "not_in_annuaire")
    return coverage.measure(frame, {"not_in_annuaire": "lycée{s} utilisateur{s} inconnu{s} de l'annuaire"},
                            whom="lycée{s} utilisateur{s}", scopes=data.scopes)


# --------------------------------------------------------------------------- breakdowns


def _group_labels(by: str, values: pd.Series) -> pd.Series:
    if by in ("kind", "lycee_type"):  # LP / LPO / LEGT, or collège / lycée / EREA
        return values.map(lambda v: (LYCEE_TYPE_LABELS.get(str(v)) or breakdown_label("kind", v)) if pd.notna(v)
                          else "Non renseigné")
    if by == "track":
        return values.map(lambda v: TRACK_LABELS.get(str(v), str(v)))
    return values.map(lambda v: breakdown_label(by, v))


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period, by ``department``, ``territory``, ``kind`` (LP / LPO)…

    Returns group, label, value, numerator, denominator, ci_low, ci_high, sorted by label;
    the lycées are independent units (Wilson; ``ci_method`` for
    :func:`~drane_analysis.render.gap_sentence`).
    """
    if indicator == "vr_ar_training_days":
        return training_breakdown(data, VR_DOMAIN, scope, period, by)
    if indicator == "conversational_agents_establishments_rate":
        column, universe = by, establishment_usage(data)  # kind: collège, lycée, EREA
    elif indicator == "conversational_agents_rate":
        column, universe = ("lycee_type" if by == "kind" else by), vocational(data)  # kind: LP, LPO
    else:
        raise KeyError(f"indicateur inconnu pour la cible 2.3 : {indicator}")
    frame = referential.in_scope(universe, scope)
    frame = frame[frame["period"] == period]
    table = rate_table(frame, "user", "one", by=[column]).rename(columns={column: "group"})
    table["label"] = _group_labels(column, table["group"])
    table["ci_method"] = "wilson"
    return table[["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high", "ci_method"]].sort_values(
        "label").reset_index(drop=True)


# --------------------------------------------------------------------------- vocational vs others


def lycee_type_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Share of lycées using an agent by type: LP, LPO and — where the file covers them — LEGT.

    Columns: group, label, value (%), numerator (user lycées), denominator (lycées open),
    ci_low, ci_high.
    """
    frame = referential.in_scope(lycee_usage(data), scope)
    frame = frame[frame["period"] == period]
    types = list(VOCATIONAL_TYPES) + (list(GENERAL_TYPES) if lycee_usage(data).attrs["general_covered"] else [])
    frame = frame[frame["lycee_type"].isin(types)]
    table = rate_table(frame, "user", "one", by=["lycee_type"]).rename(columns={"lycee_type": "group"})
    table = table.set_index("group").reindex(types).reset_index()
    table["label"] = _group_labels("lycee_type", table["group"])
    return table[["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]]


def compare_lycee_types(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Tests of the usage rate: LP against LPO, and vocational (LP + LPO) against LEGT when covered.

    Columns: comparison, label, rate1, rate2, n1, n2, diff (points, first minus second),
    ci_low, ci_high (Newcombe), p_value (Fisher's exact test).
    """
    frame = referential.in_scope(lycee_usage(data), scope)
    frame = frame[frame["period"] == period]
    pairs = [("lp_lpo", "LP − LPO", frame["lycee_type"] == "LP", frame["lycee_type"] == "LPO")]
    if lycee_usage(data).attrs["general_covered"]:
        pairs.append(("vocational_general", "Voie professionnelle (LP + LPO) − LEGT", frame["track"] == "vocational",
                      frame["track"] == "general"))
    rows = []
    for key, label, a, b in pairs:
        k1, n1 = frame.loc[a, "user"].sum(), int(a.sum())
        k2, n2 = frame.loc[b, "user"].sum(), int(b.sum())
        res = compare_proportions(k1, n1, k2, n2)
        rows.append({"comparison": key, "label": label, "n1": n1, "n2": n2, **res})
    return pd.DataFrame(rows)


def lycee_type_history(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Usage rate by lycée type for every school year up to ``until`` (period, group, value, ci)."""
    frame = lycee_usage(data)
    parts = []
    for period in frame.attrs["periods"]:
        if until and Period.parse(period) > Period.parse(until):
            continue
        parts.append(lycee_type_table(data, scope, period).assign(period=period))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def intensity_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Use among user lycées, LP against LPO: mean classes, sessions, pupils (Student intervals).

    Columns: measure, group, label, value, ci_low, ci_high, n; plus a row per measure with
    group ``test``: Welch's t-test p-value in ``value``, Holm-adjusted across the three
    measures (three tests of one question: does use differ between LP and LPO?).
    """
    from scipy import stats as sps

    frame = referential.in_scope(vocational(data), scope)
    frame = frame[(frame["period"] == period) & (frame["user"] == 1)]
    rows = []
    for measure in ("classes", "sessions", "pupils"):
        table = mean_table(frame, measure, by=["lycee_type"]).rename(columns={"lycee_type": "group"})
        table = table.set_index("group").reindex(list(VOCATIONAL_TYPES)).reset_index()
        table["measure"] = measure
        rows.append(table)
        a = frame.loc[frame["lycee_type"] == "LP", measure].dropna().astype(float)
        b = frame.loc[frame["lycee_type"] == "LPO", measure].dropna().astype(float)
        p = np.nan
        if len(a) > 1 and len(b) > 1 and (a.var() > 0 or b.var() > 0):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # near-constant groups
                p = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
        rows.append(pd.DataFrame([{"measure": measure, "group": "test", "value": p}]))
    out = pd.concat(rows, ignore_index=True)
    tests = out["group"] == "test"
    out.loc[tests, "value"] = holm(out.loc[tests, "value"].astype(float)).to_numpy()
    out["label"] = _group_labels("lycee_type", out["group"].where(out["group"] != "test")).where(
        out["group"] != "test", "Test de Welch (p ajusté, Holm)")
    out["n"] = out["n"].fillna(0).astype(int) if "n" in out else 0
    return out[["measure", "group", "label", "value", "ci_low", "ci_high", "n"]]


def samr_by_track(data: Data, scope: str, period: str) -> tuple[pd.DataFrame, dict]:
    """Transformative share (SAMR M + R) of the practices reported by lycées, by track.

    Practices come from the 2.2 candidates (``pratiques_samr``). Returns the table by group
    (vocational, general: value, numerator, denominator, interval with establishments as
    clusters, establishments) and the comparison (vocational − general): difference, its
    interval and a permutation test with the establishment as the unit
    (:func:`cluster_permutation_test`).
    """
    empty = pd.DataFrame(columns=["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high",
                                  "establishments"])
    if not data.has("pratiques_samr"):
        return empty, {}
    prac = referential.in_scope(data.source("pratiques_samr"), scope)
    prac = prac[prac["period"] == period]
    lyc = lycees(data)[["uai", "track"]]
    prac = prac.merge(lyc, on="uai", how="inner")
    prac = prac[prac["track"].isin(["vocational", "general"])].assign(
        transformative=lambda f: f["samr_level"].isin(["M", "R"]).astype(int), one=1)
    if prac.empty:
        return empty, {}
    table = cluster_rate_table(prac, "transformative", "one", "uai", by=["track"]).rename(columns={"track": "group"})
    table = table.set_index("group").reindex(["vocational", "general"]).reset_index()
    table["label"] = _group_labels("track", table["group"])
    table["establishments"] = table["group"].map(prac.groupby("track")["uai"].nunique()).fillna(0).astype(int)
    per = prac.groupby(["uai", "track"], observed=True)[["transformative", "one"]].sum().reset_index()
    test = cluster_permutation_test(per["transformative"], per["one"], per["track"] == "vocational")
    return table[["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high", "establishments"]], test


# --------------------------------------------------------------------------- VR / AR training


def vr_by_academy(data: Data, period: str) -> pd.DataFrame:
    """VR / AR trainee-days by academy (region), as a count breakdown."""
    return training_breakdown(data, VR_DOMAIN, referential.REGION_SCOPE, period, "academy").assign(
        label=lambda f: f["group"].map(lambda a: breakdown_label("academy", a)))
