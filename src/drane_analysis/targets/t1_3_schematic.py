"""Target 1.3 — leaders and establishment digital projects (SchémaTic).

Indicators (``params/targets/1.3-schematic.yaml``):

- ``schematic_usage_rate``: share of the secondary establishments (collèges, lycées, EREA,
  public and private under contract, open at the school year's January point) that filled
  in at least one SchémaTic self-assessment in the school year; objective 20 %. The
  ``schematic`` source is the secondary referential (six domains, levels 1 to 4): an
  assessment of another establishment (an école assessed with a first-degree version, a
  private school out of contract) is counted apart and left out of every figure.
- ``leaders_trained_rate``: share of the leaders (heads, deputy heads, IEN, IA-IPR) of the
  school year trained to SchémaTic and to steering digital (``cadres``), this year or
  before; objective 20 % the first year.
- ``schematic_maturity_mean``: mean, over the establishments assessed, of each
  establishment's maturity — the mean of its domain levels (1 to 4) in its latest
  assessment of the year — with its Student interval.

Beyond the headline: the maturity profile by domain, and its change from one year to the
next **for the same establishments** (paired comparison: mean change per domain with its
paired t-interval and the Wilcoxon signed-rank test), by territory too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..sources.schematic import DOMAIN_LABELS, DOMAINS, FUNCTION_LABELS
from ..stats import BREAKDOWN_TEST_COLUMNS, mean_interval, mean_table, rate_table, wilson_interval

TARGET = "1.3"
ATTRIBUTES = ["academy", "department", "department_label", "kind", "sector", "territory", "priority_education"]
OVERALL = "all"
OVERALL_LABEL = "Ensemble des domaines"
NO_DEPARTMENT_LABEL = "Inspecteurs à compétence académique"
LEVELS = (1, 2, 3, 4)


def _clip_levels(table: pd.DataFrame) -> pd.DataFrame:
    """Bound a mean level's interval to the scale (1 to 4): small groups give wide intervals."""
    return table.assign(ci_low=table["ci_low"].clip(lower=LEVELS[0], upper=LEVELS[-1]),
                        ci_high=table["ci_high"].clip(lower=LEVELS[0], upper=LEVELS[-1]))


def _reference_day(period: str) -> pd.Timestamp:
    """The January point of a school year: an establishment opened by then counts that year."""
    return pd.Timestamp(Period.parse(period).end, 1, 31)


# --------------------------------------------------------------------------- building blocks


def universe(data: Data) -> pd.DataFrame:
    return data.memo("t13_universe", lambda: _universe(data))


def _universe(data: Data) -> pd.DataFrame:
    """The secondary establishments of each school year of the SchémaTic data.

    Collèges, lycées and EREA of the annuaire, public or private under contract, opened by
    31 January of the school year (an unknown opening date counts as open). One row per
    (period, uai) with the establishment's attributes.
    """
    est = data.establishments()
    sec = est[est["kind"].isin(referential.SECONDARY_KINDS) & est["under_contract"].fillna(False).astype(bool)]
    sec = sec[sec["academy"].isin(list(referential.ACADEMIES))]
    periods = sorted(data.source("schematic")["period"].dropna().unique(), key=Period.parse) \
        if data.has("schematic") else []
    parts = []
    for period in periods:
        opened = sec["opening_date"].isna() | (sec["opening_date"] <= _reference_day(period)) \
            if "opening_date" in sec else pd.Series(True, index=sec.index)
        parts.append(sec.loc[opened, ["uai", *ATTRIBUTES]].assign(period=period))
    if not parts:
        return pd.DataFrame(columns=["period", "uai", *ATTRIBUTES])
    return pd.concat(parts, ignore_index=True)[["period", "uai", *ATTRIBUTES]]


def latest_assessments(data: Data) -> pd.DataFrame:
    return data.memo("t13_latest_assessments", lambda: _latest_assessments(data))


def _latest_assessments(data: Data) -> pd.DataFrame:
    """The latest assessment of each establishment in each school year, long by domain:
    uai, period, assessment_date, domain, level (domains left blank are absent)."""
    s = data.source("schematic")
    last = s.groupby(["uai", "period"], observed=True)["assessment_date"].transform("max")
    out = s[s["assessment_date"] == last][["uai", "period", "assessment_date", "domain", "level"]].copy()
    out["level"] = out["level"].astype(float)
    return out.reset_index(drop=True)


def usage(data: Data) -> pd.DataFrame:
    return data.memo("t13_usage", lambda: _usage(data))


def _usage(data: Data) -> pd.DataFrame:
    """One row per (period, uai) of the universe, ``uses`` = 1 when assessed that year.

    ``attrs["outside"]``: per school year, the establishments assessed that are not in the
    universe (another kind, out of contract, unknown to the annuaire).
    """
    uni = universe(data)
    assessed = latest_assessments(data)[["uai", "period"]].drop_duplicates()
    out = uni.merge(assessed.assign(uses=1), on=["uai", "period"], how="left")
    out["uses"] = out["uses"].fillna(0).astype(int)
    out["one"] = 1
    outside = assessed.merge(uni[["uai", "period"]], on=["uai", "period"], how="left", indicator=True)
    outside = outside[outside["_merge"] == "left_only"]
    out.attrs["outside"] = outside.groupby("period").size().to_dict()
    return out


def maturity(data: Data) -> pd.DataFrame:
    return data.memo("t13_maturity", lambda: _maturity(data))


def _maturity(data: Data) -> pd.DataFrame:
    """One row per (period, uai) assessed in the universe: maturity (mean of the domain
    levels of the latest assessment), domains (how many assessed), one column per domain
    (``level_<domain>``) and the establishment's attributes."""
    long = latest_assessments(data)
    wide = long.pivot_table(index=["uai", "period"], columns="domain", values="level", aggfunc="first")
    wide = wide.reindex(columns=list(DOMAINS))
    wide.columns = [f"level_{c}" for c in wide.columns]
    wide = wide.reset_index()
    levels = wide[[f"level_{d}" for d in DOMAINS]]
    wide["maturity"] = levels.mean(axis=1, skipna=True)
    wide["domains"] = levels.notna().sum(axis=1)
    out = wide.merge(universe(data), on=["uai", "period"], how="inner")
    return out.reset_index(drop=True)


def leaders(data: Data) -> pd.DataFrame:
    return data.memo("t13_leaders", lambda: _leaders(data))


def _leaders(data: Data) -> pd.DataFrame:
    """The leaders of each school year: trained (1/0, this year or before), trained_this_year
    (a training date in the year), function, department (empty: academy-wide), territory of
    the establishment for heads and deputies."""
    c = data.source("cadres")
    c = c[c["academy"].isin(list(referential.ACADEMIES))].copy()
    c["trained"] = c["is_trained"].fillna(False).astype(bool).astype(int)
    c["trained_this_year"] = c["training_date"].notna().astype(int)
    c["one"] = 1
    est = data.establishments()[["uai", "territory", "kind"]]
    c = c.merge(est, on="uai", how="left")
    return c.reset_index(drop=True)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 1.3 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    if data.has("schematic"):
        use = usage(data)
        for scope, part in by_scope(use, scopes=data.scopes):
            table = rate_table(part, "uses", "one", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "schematic_usage_rate", table)
        mat = maturity(data)
        for scope, part in by_scope(mat, scopes=data.scopes):
            means = _clip_levels(mean_table(part, "maturity", by=["period"]))
            for rec in means.itertuples(index=False):
                rows.append({"target": TARGET, "indicator": "schematic_maturity_mean", "academy": scope,
                             "period": rec.period, "value": rec.value, "denominator": rec.n,
                             "ci_low": rec.ci_low, "ci_high": rec.ci_high})
    if data.has("cadres"):
        lead = leaders(data)
        for scope, part in by_scope(lead, scopes=data.scopes):
            table = rate_table(part, "trained", "one", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "leaders_trained_rate", table)
    series = series_frame(rows)
    if data.has("schematic"):  # what the join of the assessments with the annuaire lost
        cov = assessed_coverage(data)
        series = coverage.attach(series, "schematic_usage_rate", cov)
        series = coverage.attach(series, "schematic_maturity_mean", cov)
    return series


def assessed_coverage(data: Data) -> pd.DataFrame:
    """Coverage of the SchémaTic indicators (join of the assessments with the annuaire): the
    establishments assessed whose UAI the annuaire lacks count in neither the usage rate nor
    the mean maturity. Those it lists outside the universe (another kind, out of contract)
    are outside the definition, not lost."""
    assessed = latest_assessments(data)[["uai", "period"]].drop_duplicates()
    counted = set(zip(universe(data)["period"], universe(data)["uai"], strict=True))
    known = assessed["uai"].isin(set(data.establishments()["uai"])).to_numpy()
    inside = np.array([k in counted for k in zip(assessed["period"], assessed["uai"], strict=True)], dtype=bool)
    frame = assessed[inside | ~known].copy()
    frame["academy"] = coverage.academy_of_uai(frame["uai"]).to_numpy()
    frame["lost"] = np.where(frame["uai"].isin(set(data.establishments()["uai"])).to_numpy(), coverage.KEPT,
                             "not_in_annuaire")
    return coverage.measure(frame, {"not_in_annuaire": "établissement{s} évalué{s} inconnu{s} de l'annuaire"},
                            whom="établissement{s} évalué{s}", subject="valeur calculée", scopes=data.scopes)


# --------------------------------------------------------------------------- breakdowns


def _label(by: str, value: object) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
    if by == "function":
        return FUNCTION_LABELS.get(str(value), str(value)) if not missing else "Non renseigné"
    if by == "domain":
        return OVERALL_LABEL if value == OVERALL else DOMAIN_LABELS.get(str(value), str(value))
    return breakdown_label(by, value)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department``, ``territory``, ``kind``,
    ``sector`` (usage and maturity) or ``department``, ``function``, ``territory`` (leaders;
    academy-wide inspectors have no department).

    Returns group, label, value, numerator, denominator, ci_low, ci_high, sorted by label,
    with what :func:`~drane_analysis.render.gap_sentence` needs to test a gap
    (``ci_method``): establishments and leaders are independent units (Wilson for the
    shares, Student and Welch for the mean maturity).
    """
    if indicator == "schematic_usage_rate":
        frame = referential.in_scope(usage(data), scope)
        table = rate_table(frame[frame["period"] == period], "uses", "one", by=[by]).assign(ci_method="wilson")
    elif indicator == "leaders_trained_rate":
        frame = referential.in_scope(leaders(data), scope)
        table = rate_table(frame[frame["period"] == period], "trained", "one", by=[by]).assign(ci_method="wilson")
    elif indicator == "schematic_maturity_mean":
        frame = referential.in_scope(maturity(data), scope)
        table = _clip_levels(mean_table(frame[frame["period"] == period], "maturity", by=[by], with_se=True))
        table["denominator"] = table["n"]
        table["numerator"] = np.nan
    else:
        raise KeyError(f"indicateur inconnu pour la cible 1.3 : {indicator}")
    table = table.rename(columns={by: "group"})
    if indicator == "leaders_trained_rate" and by == "department":
        table["label"] = [NO_DEPARTMENT_LABEL if pd.isna(g) else _label(by, g) for g in table["group"]]
    else:
        table["label"] = [_label(by, g) for g in table["group"]]
    table["_last"] = table["label"].isin([NO_DEPARTMENT_LABEL, "Non renseigné"])
    table = table.sort_values(["_last", "label"]).drop(columns="_last")
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- maturity profile


def domain_profile(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Maturity by domain for a scope and year: mean level with its Student interval (bounded
    to 1–4), the number of establishments assessed on the domain, the share (%) at each level
    1–4, and the share at level 3 or 4 with its Wilson interval (``share_3_4``, ``_low``, ``_high``).

    Rows: the six domains in the referential's order, then the overall maturity.
    """
    m = referential.in_scope(maturity(data), scope)
    m = m[m["period"] == period]
    rows = []
    for domain in [*DOMAINS, OVERALL]:
        col = "maturity" if domain == OVERALL else f"level_{domain}"
        x = m[col].dropna().astype(float)
        mean, lo, hi, n = mean_interval(x)
        row = {"domain": domain, "label": _label("domain", domain), "value": mean,
               "ci_low": np.clip(lo, LEVELS[0], LEVELS[-1]), "ci_high": np.clip(hi, LEVELS[0], LEVELS[-1]), "n": n}
        for level in LEVELS:
            row[f"share_{level}"] = (float((x.round() == level).mean() * 100) if (n and domain != OVERALL)
                                     else np.nan)
        high = int((x.round() >= 3).sum()) if domain != OVERALL else 0
        lo3, hi3 = wilson_interval(high, n if domain != OVERALL else 0)
        row["share_3_4"] = high / n * 100 if (n and domain != OVERALL) else np.nan
        row["share_3_4_low"], row["share_3_4_high"] = float(lo3) * 100, float(hi3) * 100
        rows.append(row)
    return pd.DataFrame(rows)


def pairs(data: Data, scope: str, period: str, previous: str | None = None) -> pd.DataFrame:
    """Establishments of the scope assessed both in ``previous`` (default: the year before)
    and ``period``, each with its latest assessment of each year: one row per establishment
    with ``before_<domain>``, ``after_<domain>``, ``before_all``, ``after_all`` (the overall
    maturity on the domains assessed both years) and its attributes."""
    previous = previous or Period.parse(period).shift(-1).label
    m = referential.in_scope(maturity(data), scope)
    levels = [f"level_{d}" for d in DOMAINS]
    a = m[m["period"] == previous][["uai", *levels]]
    b = m[m["period"] == period][["uai", *levels, *ATTRIBUTES]]
    p = a.merge(b, on="uai", suffixes=("_before", "_after"))
    out = p[["uai", *ATTRIBUTES]].copy()
    for d in DOMAINS:
        out[f"before_{d}"] = p[f"level_{d}_before"].astype(float)
        out[f"after_{d}"] = p[f"level_{d}_after"].astype(float)
    before = out[[f"before_{d}" for d in DOMAINS]].to_numpy(dtype=float)
    after = out[[f"after_{d}" for d in DOMAINS]].to_numpy(dtype=float)
    both = np.isfinite(before) & np.isfinite(after)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["before_all"] = np.where(both.any(axis=1), np.nansum(np.where(both, before, 0), axis=1)
                                     / np.maximum(both.sum(axis=1), 1), np.nan)
        out["after_all"] = np.where(both.any(axis=1), np.nansum(np.where(both, after, 0), axis=1)
                                    / np.maximum(both.sum(axis=1), 1), np.nan)
    out.attrs["previous"] = previous
    return out


def paired_test(before: pd.Series | np.ndarray, after: pd.Series | np.ndarray) -> dict:
    """Paired comparison of two measures of the same units (missing pairs dropped).

    Returns n, mean_before, mean_after, change (mean of after − before), ci_low, ci_high
    (paired Student interval at 95 %), improved and declined (% of pairs), wilcoxon_p
    (two-sided Wilcoxon signed-rank test, Pratt's handling of zero differences; 1 when every
    difference is 0; NaN with fewer than two pairs).
    """
    from scipy import stats as sps

    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    diff = a - b
    n = len(diff)
    change, lo, hi, _ = mean_interval(diff)
    out = {"n": n, "mean_before": float(b.mean()) if n else np.nan, "mean_after": float(a.mean()) if n else np.nan,
           "change": change, "ci_low": lo, "ci_high": hi,
           "improved": float((diff > 0).mean() * 100) if n else np.nan,
           "declined": float((diff < 0).mean() * 100) if n else np.nan, "wilcoxon_p": np.nan}
    if n >= 2 and np.any(diff != 0):
        out["wilcoxon_p"] = float(sps.wilcoxon(diff, zero_method="pratt").pvalue)
    elif n >= 2:
        out["wilcoxon_p"] = 1.0
        out["ci_low"] = out["ci_high"] = 0.0
    return out


def paired_change(data: Data, scope: str, period: str, previous: str | None = None) -> pd.DataFrame:
    """Year-to-year change of maturity for the same establishments, domain by domain.

    One row per domain (and the overall maturity): domain, label and the columns of
    :func:`paired_test`, and ``wilcoxon_holm``: the six domains' p-values adjusted by Holm's
    method (six tests read together; the overall maturity, the one pre-specified
    comparison, keeps its own p and has none). ``attrs``: previous (the earlier year), pairs
    (establishments assessed both years).
    """
    from ..stats import holm

    p = pairs(data, scope, period, previous)
    rows = []
    for domain in [*DOMAINS, OVERALL]:
        rows.append({"domain": domain, "label": _label("domain", domain),
                     **paired_test(p[f"before_{domain}"], p[f"after_{domain}"])})
    out = pd.DataFrame(rows)
    domains = out["domain"] != OVERALL
    out["wilcoxon_holm"] = np.nan
    out.loc[domains, "wilcoxon_holm"] = holm(out.loc[domains, "wilcoxon_p"]).to_numpy()
    out.attrs["previous"] = p.attrs["previous"]
    out.attrs["pairs"] = len(p)
    return out


def paired_change_by(data: Data, scope: str, period: str, by: str = "territory",
                     previous: str | None = None) -> pd.DataFrame:
    """Overall paired change by group (territory, kind…): group, label and :func:`paired_test`.

    With exactly two groups, ``attrs`` holds the difference of their mean changes (second
    minus first, in label order), its Welch 95 % interval and p-value.
    """
    from scipy import stats as sps

    p = pairs(data, scope, period, previous)
    rows = []
    for group, part in p.groupby(by, dropna=False, observed=True):
        rows.append({"group": group, "label": _label(by, group), **paired_test(part["before_all"], part["after_all"])})
    cols = ["group", "label", "n", "mean_before", "mean_after", "change", "ci_low", "ci_high", "improved",
            "declined", "wilcoxon_p"]
    out = pd.DataFrame(rows, columns=cols).sort_values("label").reset_index(drop=True)
    out.attrs["previous"] = p.attrs["previous"]
    known = out[out["label"] != "Non renseigné"]
    if len(known) == 2 and (known["n"] >= 2).all():
        g1, g2 = known["group"].tolist()
        d1 = (p.loc[p[by] == g1, "after_all"] - p.loc[p[by] == g1, "before_all"]).dropna()
        d2 = (p.loc[p[by] == g2, "after_all"] - p.loc[p[by] == g2, "before_all"]).dropna()
        res = sps.ttest_ind(d2, d1, equal_var=False)
        ci = res.confidence_interval(0.95)
        out.attrs.update(difference=float(d2.mean() - d1.mean()), difference_low=float(ci.low),
                         difference_high=float(ci.high), difference_p=float(res.pvalue),
                         difference_labels=(_label(by, g2), _label(by, g1)))
    return out


def paired_chain(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Overall paired change for every pair of consecutive years up to ``period``: period
    (the later year), previous, and the columns of :func:`paired_test`."""
    m = maturity(data)
    periods = sorted({p for p in m["period"].unique() if Period.parse(p) <= Period.parse(period)}, key=Period.parse)
    rows = []
    for p in periods:
        prev = Period.parse(p).shift(-1).label
        if prev not in periods:
            continue
        pr = pairs(data, scope, p, prev)
        rows.append({"period": p, "previous": prev, **paired_test(pr["before_all"], pr["after_all"])})
    cols = ["period", "previous", "n", "mean_before", "mean_after", "change", "ci_low", "ci_high", "improved",
            "declined", "wilcoxon_p"]
    return pd.DataFrame(rows, columns=cols)


def newly_trained(data: Data, scope: str, period: str) -> dict:
    """Leaders of the year, trained (cumulative) and trained during the year."""
    lead = referential.in_scope(leaders(data), scope)
    cur = lead[lead["period"] == period]
    return {"leaders": len(cur), "trained": int(cur["trained"].sum()),
            "trained_this_year": int(cur["trained_this_year"].sum())}


def usage_figures(data: Data, scope: str, period: str) -> dict:
    """The establishments of a scope and year the report's usage sentence and caveats count.

    ``establishments``: the universe (:func:`usage`); ``used``: those with at least one
    self-assessment in the year; ``outside``: self-assessments of the region's year on
    establishments outside the universe; ``several``: establishments of the scope with more
    than one self-assessment in the year (only the latest counts).
    """
    use = usage(data)
    cur = referential.in_scope(use, scope)
    cur = cur[cur["period"] == period]
    s = data.source("schematic")
    assessed = referential.in_scope(s[s["period"] == period], scope)
    per_est = assessed.groupby("uai")["assessment_date"].nunique()
    return {"establishments": len(cur), "used": cur["uses"].sum(), "outside": use.attrs.get("outside", {}).get(period, 0),
            "several": int((per_est > 1).sum())}
