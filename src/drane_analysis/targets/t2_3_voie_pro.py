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
from ..render import gap_sentence  # noqa: F401  (re-exported for the notebook)
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
    training_note,
    training_rows,
    training_summary,
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


# --------------------------------------------------------------------------- statistics


def verdict(p_value: float, alpha: float = 0.05) -> str:
    """French verdict of a test at the 5 % level."""
    if p_value is None or not np.isfinite(p_value):
        return "test impossible (un groupe vide)"
    p = f"{p_value:.3f}".replace(".", ",") if p_value >= 0.001 else "< 0,001"
    sign = "=" if p_value >= 0.001 else ""
    if p_value < alpha:
        return f"p {sign} {p} : l'écart est significatif au seuil de 5 %".replace("  ", " ")
    return f"p {sign} {p} : l'écart n'est pas significatif au seuil de 5 %".replace("  ", " ")


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


# --------------------------------------------------------------------------- report blocks


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    from ..formatting import fmt_interval, fmt_value, fr_number, status_phrase

    lines = []
    r = rpt.table.set_index("indicator")
    if "vr_ar_training_days" in r.index and pd.notna(r.loc["vr_ar_training_days", "value"]):
        v = r.loc["vr_ar_training_days"]
        text = f"- **{fmt_value(v['value'], 'trainee_days')}** de formation à la réalité virtuelle ou augmentée"
        region = rpt.series[(rpt.series["indicator"] == "vr_ar_training_days")
                            & (rpt.series["academy"] == referential.REGION_SCOPE) & (rpt.series["period"] == rpt.period)]
        obj = rpt.catalogue.objective_for("vr_ar_training_days", referential.REGION_SCOPE, rpt.period)
        if rpt.scope != referential.REGION_SCOPE and not region.empty:
            text += f" ({fmt_value(region['value'].iloc[0], 'trainee_days')} dans la région"
            if obj:
                ok = "atteint" if region["value"].iloc[0] >= obj.objective.value else "non atteint"
                text += f", pour un objectif régional de {fmt_value(obj.objective.value, 'trainee_days')} : {ok}"
            text += ")"
        elif obj:
            ok = "atteint" if v["value"] >= obj.objective.value else "non atteint"
            text += f", pour un objectif de {fmt_value(obj.objective.value, 'trainee_days')} ({ok})"
        lines.append(text + ".")
    est = "conversational_agents_establishments_rate"
    if est in r.index and pd.notna(r.loc[est, "value"]):
        v = r.loc[est]
        ok = f", pour un objectif de {fmt_value(v['objective'], 'percent')} : {status_phrase(v)}" if pd.notna(
            v["objective"]) else ""
        lines.append(f"- **{fmt_value(v['value'], 'percent')}** des établissements du second degré (collèges, lycées, "
                     f"EREA) ont utilisé un agent conversationnel ({fr_number(v['numerator'])} sur "
                     f"{fr_number(v['denominator'])} ; intervalle à 95 % "
                     f"{fmt_interval(v['ci_low'], v['ci_high'], 'percent')}){ok}.")
    if "conversational_agents_rate" in r.index and pd.notna(r.loc["conversational_agents_rate", "value"]):
        v = r.loc["conversational_agents_rate"]
        lines.append(f"- Dans les lycées à voie professionnelle, champ du pôle (lecture plus étroite, suivie sans "
                     f"objectif) : **{fmt_value(v['value'], 'percent')}** ({fr_number(v['numerator'])} sur "
                     f"{fr_number(v['denominator'])} ; intervalle à 95 % "
                     f"{fmt_interval(v['ci_low'], v['ci_high'], 'percent')}).")
        cmp = compare_lycee_types(rpt.data, rpt.scope, rpt.period)
        lp = cmp[cmp["comparison"] == "lp_lpo"]
        if not lp.empty and pd.notna(lp.iloc[0]["diff"]):
            c = lp.iloc[0]
            lines.append(f"- Lycées professionnels : {fmt_value(c['rate1'], 'percent')} ; lycées polyvalents : "
                         f"{fmt_value(c['rate2'], 'percent')} ({verdict(c['p_value'])}).")
    return "\n".join(lines)


def show_training(rpt) -> None:
    from ..formatting import fmt_value, fr_number
    from ..render import display_html, html_table

    s = training_summary(rpt.data, VR_DOMAIN, rpt.scope, rpt.period)
    frame = pd.DataFrame([{
        "Sessions": fr_number(s["sessions"]), "Modules (actions)": fr_number(s["modules"]),
        "Stagiaires présents": fr_number(s["trainees"]),
        "Journées stagiaires": fmt_value(s["trainee_days"], "trainee_days", False),
        "Part en e-formation": fmt_value(s["e_training_share"], "percent"),
    }])
    display_html(html_table(frame, align_right=list(frame.columns),
                             caption=f"Formations RV / RA et jumeaux numériques — {rpt.scope_label}, {rpt.period}"))


def vr_by_academy(data: Data, period: str) -> pd.DataFrame:
    """VR / AR trainee-days by academy (region), as a count breakdown."""
    return training_breakdown(data, VR_DOMAIN, referential.REGION_SCOPE, period, "academy").assign(
        label=lambda f: f["group"].map(lambda a: breakdown_label("academy", a)))


def show_comparison(rpt) -> None:
    """The tests of the difference between lycée types, as a table."""
    from ..formatting import fmt_interval, fmt_value, fr_number
    from ..render import display_html, html_table

    cmp = compare_lycee_types(rpt.data, rpt.scope, rpt.period)
    if cmp.empty:
        return
    out = pd.DataFrame({
        "Comparaison": cmp["label"],
        "Taux 1": [fmt_value(x, "percent") for x in cmp["rate1"]],
        "Taux 2": [fmt_value(x, "percent") for x in cmp["rate2"]],
        "Lycées (1 / 2)": [f"{fr_number(a)} / {fr_number(b)}" for a, b in zip(cmp["n1"], cmp["n2"], strict=True)],
        "Écart (points)": [fmt_value(x, "percent_points", False) for x in cmp["diff"]],
        "Intervalle à 95 %": [fmt_interval(lo, hi, "percent_points") for lo, hi in zip(cmp["ci_low"], cmp["ci_high"],
                                                                                       strict=True)],
        "Test exact de Fisher": [verdict(p) for p in cmp["p_value"]],
    })
    display_html(html_table(out, align_right=list(out.columns[1:6]),
                             caption=f"Écarts d'usage entre types de lycées — {rpt.scope_label}, {rpt.period}"))


def lycee_type_chart(rpt) -> None:
    """Usage rate by lycée type over the school years, with intervals."""
    import matplotlib.pyplot as plt

    from ..formatting import PALETTE, RED, fmt_value
    from ..render import show_figure

    hist = lycee_type_history(rpt.data, rpt.scope, rpt.period)
    if hist.empty:
        return
    fig, ax = plt.subplots()
    alt = []
    for k, (group, part) in enumerate(hist.groupby("group", sort=False)):
        part = part.dropna(subset=["value"])
        if part.empty:
            continue
        x = [Period.parse(p).start for p in part["period"]]
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(x, part["value"], marker="o", color=colour, label=LYCEE_TYPE_LABELS.get(group, group))
        ax.fill_between(x, part["ci_low"].astype(float), part["ci_high"].astype(float), color=colour, alpha=0.15, lw=0)
        alt.append(f"{group} : " + ", ".join(f"{p} {fmt_value(v, 'percent')}" for p, v in zip(part["period"], part["value"],
                                                                                              strict=True)))
    objective = rpt.row("conversational_agents_rate")["objective"]
    if pd.notna(objective):
        ax.axhline(objective, color=RED, ls=":", lw=1.3)
    years = sorted({Period.parse(p).start for p in hist["period"]})
    ax.set_xticks(years, [f"{y}-{str(y + 1)[2:]}" for y in years])
    ax.set_ylabel("% des lycées")
    ax.set_title("Lycées utilisant un agent conversationnel, par type", loc="left")
    ax.legend(frameon=False, fontsize=8)
    data = pd.DataFrame({"Type de lycée": [LYCEE_TYPE_LABELS.get(g, g) for g in hist["group"]],
                         "Année scolaire": hist["period"], "Lycées utilisateurs (%)": hist["value"],
                         "Borne basse IC 95 %": hist["ci_low"], "Borne haute IC 95 %": hist["ci_high"]})
    show_figure(fig, "Évolution de la part des lycées utilisateurs par type. " + " ; ".join(alt), data=data,
                name="lycees utilisateurs par type")


def short_verdict(p_value: float) -> str:
    """« p = 0,252 (non significatif) », for narrow table cells."""
    if p_value is None or not np.isfinite(p_value):
        return "test impossible"
    text = f"p = {p_value:.3f}".replace(".", ",") if p_value >= 0.001 else "p < 0,001"
    return f"{text} ({'significatif' if p_value < 0.05 else 'non significatif'})"


def show_intensity(rpt) -> None:
    """Mean classes, sessions and pupils per user lycée, LP and LPO, with Welch's test."""
    from ..formatting import fmt_interval, fr_number
    from ..render import display_html, html_table

    table = intensity_table(rpt.data, rpt.scope, rpt.period)
    names = {"classes": "Classes utilisatrices", "sessions": "Séances", "pupils": "Élèves concernés"}
    sizes = table[table["group"] != "test"].groupby("group")["n"].max()
    rows = []
    for measure, part in table.groupby("measure", sort=False):
        row = {"Par lycée utilisateur": names[measure]}
        for rec in part.itertuples(index=False):
            if rec.group == "test":
                row["Écart LP / LPO (test de Welch, p ajusté de Holm)"] = short_verdict(rec.value)
                continue
            low = max(0.0, rec.ci_low) if pd.notna(rec.ci_low) else rec.ci_low
            row[f"{rec.group} ({fr_number(sizes.get(rec.group, 0))} lycées)"] = (
                f"{fr_number(rec.value, 1)} {fmt_interval(low, rec.ci_high, 'index')}" if pd.notna(rec.value) else "—")
        rows.append(row)
    out = pd.DataFrame(rows)
    display_html(html_table(out, align_right=[c for c in out.columns[1:] if not c.startswith("Écart")],
                             caption="Intensité d'usage dans les lycées utilisateurs : moyenne et intervalle à 95 %"))


def show_samr(rpt) -> str:
    """SAMR share by track, as a table; returns the sentence on the test (Markdown)."""
    from ..formatting import fmt_interval, fmt_value

    table, test = samr_by_track(rpt.data, rpt.scope, rpt.period)
    if table.empty or table["denominator"].fillna(0).eq(0).any():
        return ("*Les pratiques déclarées (établissements candidats de la cible 2.2) ne comptent pas, cette année et "
                "dans ce périmètre, à la fois des lycées à voie professionnelle et des lycées généraux : la "
                "comparaison n'est pas possible.*")
    rpt.show_table(table, "percent", group_title="Lycées", count_label="Pratiques déclarées",
                   caption="Part des pratiques de niveau Modification ou Redéfinition (SAMR), par voie")
    return (f"Écart (voie professionnelle − voie générale) : {fmt_value(test['diff'], 'percent_points')} "
            f"{fmt_interval(test['ci_low'], test['ci_high'], 'percent_points')} ; test par permutation des "
            f"établissements ({test['clusters1']} et {test['clusters2']} établissements) : {verdict(test['p_value'])}.")


def general_coverage_sentence(rpt) -> str:
    if lycee_usage(rpt.data).attrs["general_covered"]:
        return ("Le fichier des agents conversationnels mentionne aussi des lycées généraux et technologiques : ils "
                "sont comparés aux lycées à voie professionnelle.")
    return ("Le fichier des agents conversationnels ne mentionne **aucun lycée général et technologique** : la "
            "plateforme n'est suivie que dans la voie professionnelle, et l'usage des LEGT n'est pas connu. La "
            "comparaison entre voies professionnelle et générale s'appuie donc sur les pratiques déclarées (SAMR) "
            "des établissements candidats de la cible 2.2.")


def coverage_notes(rpt) -> list[str]:
    """Caveats with their figures, for the report's method section."""
    from ..formatting import fr_number

    notes = []
    data = rpt.data
    if data.has("formations"):
        notes.append(training_note(rpt, VR_DOMAIN, "Réalité virtuelle / augmentée et jumeaux numériques"))
    if data.has("agents_conversationnels") and data.has("annuaire"):
        usage = lycee_usage(data)
        kinds = establishment_usage(data).attrs["registered_kinds"]
        absent = [label for kind, label in (("college", "aucun collège"), ("erea", "aucun EREA"))
                  if not kinds.get(kind)]
        notes.append("**Objectif de 30 %** : la feuille de route dit « 30 % des établissements », sans les limiter "
                     "aux lycées professionnels ; il est rapporté aux établissements du second degré (collèges, "
                     "lycées, EREA), publics et privés sous contrat, ouverts au 15 janvier de l'année scolaire selon "
                     "l'annuaire. Un établissement absent du fichier des agents compte comme non utilisateur"
                     + (f" : le fichier ne nomme {' ni '.join(absent)}, la plateforme n'y est donc suivie que dans "
                        "les lycées, et la part est une borne basse si d'autres établissements utilisent un agent "
                        "hors de ce suivi." if absent else "."))
        notes.append("**Lycées à voie professionnelle** (indicateur secondaire) : lycées professionnels (LP) et "
                     "polyvalents (LPO), publics et privés sous contrat, ouverts au 15 janvier ; un lycée est "
                     "utilisateur si au moins une classe a utilisé un agent dans l'année.")
        outside = establishment_usage(data).attrs.get("outside", 0)
        if outside:
            notes.append(f"**Hors champ** : {fr_number(outside)} ligne(s) d'usage (toutes années) concernent un "
                         "établissement qui n'est pas un établissement du second degré sous contrat de l'annuaire ; "
                         "elles ne sont pas comptées.")
        if usage.attrs.get("outside", 0) > outside:
            notes.append(f"**Collèges et EREA** : {fr_number(usage.attrs['outside'] - outside)} ligne(s) d'usage "
                         "(toutes années) concernent un collège ou un EREA : comptées dans la part des établissements, "
                         "pas dans celle des lycées.")
        if data.has("pratiques_samr"):
            notes.append("**Pratiques SAMR** : déclarations des enseignants des établissements candidats de la "
                         "cible 2.2 (source « Pratiques numériques déclarées ») ; échantillon volontaire, qui ne "
                         "représente pas tous les lycées.")
        notes.append("**Tests** : les lycées sont les unités (indépendantes) ; écart de deux proportions de lycées "
                     "avec l'intervalle de Newcombe et le test exact de Fisher ; moyennes par lycée utilisateur avec "
                     "l'intervalle de Student et le test de Welch, dont les trois p (classes, séances, élèves) sont "
                     "ajustées par la méthode de Holm ; pratiques SAMR, regroupées dans leurs établissements, "
                     f"comparées par un test de permutation ({PERMUTATIONS} tirages) qui déplace les établissements "
                     "entiers, leur intervalle prenant les établissements comme grappes.")
    return notes

