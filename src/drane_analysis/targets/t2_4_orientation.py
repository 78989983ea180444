"""Target 2.4 — digital innovation for a successful orientation (NSI and girls).

Indicators (``params/targets/2.4-orientation.yaml``):

- ``orientation_digital_projects``: actions linking orientation and digital recorded in
  the school year (``projets_orientation``: Femmes@Numérique, « Un scientifique, une
  classe, chiche », Cordées de la réussite…), against 50 in 2020-2021 (region);
- ``nsi_pupils_premiere`` / ``_terminale``: pupils of première / terminale générale taking
  the NSI specialty (``0747``) in the DEPP files of specialties by sex — against "double in
  3 years" (× 2 the 2020-2021 value in 2023-2024);
- ``nsi_rate_terminale``: NSI pupils over the pupils of terminale générale (the roadmap's
  2.1 % baseline); ``nsi_rate_girls_terminale``: NSI girls over the girls of terminale
  générale (the roadmap's « 0,4 % de filles »), which carries the doubling of « % de filles
  en NSI »;
- ``nsi_girls_share_premiere`` / ``_terminale`` (secondary, another reading of « % de filles
  en NSI »): girls among the NSI pupils.

Beyond the headline: the gender gap (girls' and boys' NSI rates, their difference paired on
the lycées, per year and per group, Holm-adjusted across groups), the trend of the girls'
share among NSI pupils (logistic regression on lycée × year counts, covariance clustered on
the lycées) and of the gap itself (sex × year interaction), progress towards the doubling
by department / sector / academy, and the roadmap's baseline against the data.

The DEPP files are read in their real public format (``sources/specialites.py``): the same
functions run unchanged on a data folder holding the real open datasets, which may cover
fewer years (the real première extract covers the rentrées 2021 to 2023).

Rates over pupils are computed on exhaustive counts; their 95 % intervals (and the tests)
read each year's pupils as a draw from the propensity of the time, which is the quantity
the roadmap wants to move. Pupils come in lycées (a lycée offers NSI or not, and its
pupils choose alike): intervals, gaps and trends take the lycées as clusters
(:func:`~drane_analysis.stats.cluster_rate_table`, :func:`~drane_analysis.stats.ratio_contrast`,
cluster-robust logistic trends), girls and boys of a lycée being paired on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown, protect, protect_breakdown, protect_scopes
from ..sources.specialites import NSI, TOTAL
from ..stats import (  # noqa: F401  (shared statistics)
    BREAKDOWN_TEST_COLUMNS,
    _fit_quasi_binomial,
    cluster_rate_table,
    holm,
    logistic_trend,
    rate_table,
    ratio_contrast,
    two_proportion_test,
    wilson_interval,
)

TARGET = "2.4"
LEVELS = ("premiere", "terminale")
LEVEL_SOURCES = {"premiere": "specialites_premiere", "terminale": "specialites_terminale"}
LEVEL_LABELS = {"premiere": "première", "terminale": "terminale"}
PROGRAMME_LABELS = {
    "femmes_numerique": "Femmes@Numérique",
    "chiche": "« Un scientifique, une classe, chiche »",
    "cordees_reussite": "Cordées de la réussite",
    "concours": "Concours",
    "decouverte_metiers": "Découverte des métiers",
    "autre": "Autre",
}
ACADEMY_WIDE_LABEL = "Action académique (sans département)"
NSI_COLUMNS = ["uai", "period", "sector", "department", "academy", "nsi_girls", "nsi_boys", "nsi",
               "total_girls", "total_boys", "total"]


# --------------------------------------------------------------------------- generic statistics


def _year(period: str) -> int:
    return Period.parse(period).start


# --------------------------------------------------------------------------- building blocks


def projects(data: Data) -> pd.DataFrame:
    return data.memo("t24_projects", lambda: _projects(data))


def _projects(data: Data) -> pd.DataFrame:
    """One row per orientation × digital action (empty when the source is absent)."""
    cols = ["project_id", "programme", "academy", "uai", "department", "period", "pupils", "girls"]
    if not data.has("projets_orientation"):
        empty = {c: pd.Series(dtype="Int64" if c in ("pupils", "girls") else "string") for c in cols}
        return pd.DataFrame(empty).assign(one=pd.Series(dtype=int))
    frame = data.source("projets_orientation")[cols].copy()
    frame = frame[frame["academy"].isin(list(referential.ACADEMIES))]
    frame["one"] = 1
    return frame.reset_index(drop=True)


def nsi_frame(data: Data, level: str) -> pd.DataFrame:
    """One row per lycée and school year of a level: NSI pupils and all pupils, by sex.

    Columns ``NSI_COLUMNS`` (``nsi`` = NSI girls + boys, ``total`` = the level's pupils).
    Lycée-years with a masked (empty) NSI or total cell are left out; their number is in
    ``attrs["masked"]``. Empty when the level's file is absent.
    """
    return data.memo(f"t24_nsi_{level}", lambda: _nsi_frame(data, level))


def _nsi_frame(data: Data, level: str) -> pd.DataFrame:
    source = LEVEL_SOURCES[level]
    if not data.has(source):
        out = pd.DataFrame({c: pd.Series(dtype="string" if c in NSI_COLUMNS[:5] else float)
                            for c in NSI_COLUMNS})
        out.attrs["masked"] = 0
        return out
    wide, masked = _nsi_wide(data, level)
    out = wide[~masked].copy()
    out["nsi"] = out["nsi_girls"] + out["nsi_boys"]
    out["total"] = out["total_girls"] + out["total_boys"]
    out = out[out["academy"].isin(list(referential.ACADEMIES))]
    out = out[NSI_COLUMNS].reset_index(drop=True)
    out.attrs["masked"] = int(masked.sum())
    return out


def _nsi_wide(data: Data, level: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Every lycée-year of the level's file, wide (NSI and total by sex, attributes), and
    which have a masked (empty) cell."""
    spec = data.source(LEVEL_SOURCES[level])
    spec = spec[spec["specialty_code"].isin([NSI, TOTAL])]
    keys = ["uai", "period"]
    attrs = spec.drop_duplicates(keys)[[*keys, "sector", "department", "academy"]]
    wide = spec.pivot_table(index=keys, columns="specialty_code", values=["girls", "boys"], aggfunc="first",
                            dropna=False)
    wide.columns = [f"{'nsi' if code == NSI else 'total'}_{sex}" for sex, code in wide.columns]
    wide = wide.reset_index()
    for col in ("nsi_girls", "nsi_boys", "total_girls", "total_boys"):
        if col not in wide:
            wide[col] = np.nan
        wide[col] = pd.to_numeric(wide[col], errors="coerce").astype(float)
    masked = wide[["nsi_girls", "nsi_boys", "total_girls", "total_boys"]].isna().any(axis=1)
    return wide.merge(attrs, on=keys, how="left"), masked.to_numpy()


MASKED = {"masked": "lycée{s} dont une case NSI ou total est masquée (secret statistique) dans le fichier"}


def nsi_coverage(data: Data, level: str) -> pd.DataFrame:
    """Coverage of the NSI indicators of ``level``: lycée-years of the specialties file with a
    masked cell (NSI or total) are left out of every NSI count and share."""
    if not data.has(LEVEL_SOURCES[level]):
        return pd.DataFrame(columns=["academy", "period", "coverage", "coverage_note"])
    wide, masked = _nsi_wide(data, level)
    frame = wide[["uai", "period", "academy"]].assign(lost=np.where(masked, "masked", coverage.KEPT))
    return coverage.measure(frame, MASKED, whom="lycée{s} du fichier", subject="valeur calculée",
                            scopes=data.scopes)


def nsi_by_sex(data: Data, level: str) -> pd.DataFrame:
    """Long form of :func:`nsi_frame`: one row per lycée, year and sex (``F``/``M``) with
    ``nsi`` and ``total`` pupils of that sex."""
    wide = nsi_frame(data, level)
    base = ["uai", "period", "sector", "department", "academy"]
    girls = wide[base].assign(sex="F", nsi=wide["nsi_girls"], total=wide["total_girls"])
    boys = wide[base].assign(sex="M", nsi=wide["nsi_boys"], total=wide["total_boys"])
    return pd.concat([girls, boys], ignore_index=True)


def periods_of(data: Data, level: str) -> list[str]:
    """School years the level's file covers, in order."""
    frame = nsi_frame(data, level)
    return sorted(frame["period"].dropna().unique(), key=_year)


# --------------------------------------------------------------------------- series


def _count_rows(indicator: str, scope: str, counts: pd.Series, periods: list[str]) -> list[dict]:
    """Series rows of an exhaustive count (no interval), 0 for a period without rows."""
    series = counts.reindex(periods, fill_value=0) if periods else counts
    return [{"target": TARGET, "indicator": indicator, "academy": scope, "period": p, "value": float(v)}
            for p, v in series.items()]


def compute(data: Data) -> pd.DataFrame:
    """Every 2.4 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    proj = projects(data)
    proj_periods = sorted(proj["period"].dropna().unique(), key=_year)
    for scope, part in by_scope(proj, scopes=data.scopes):
        counts = part.groupby("period")["one"].sum()
        rows += _count_rows("orientation_digital_projects", scope, counts, proj_periods)
    for level in LEVELS:
        frame = nsi_frame(data, level)
        if frame.empty:
            continue
        periods = periods_of(data, level)
        for scope, part in by_scope(frame, scopes=data.scopes):
            counts = part.groupby("period")["nsi"].sum()
            rows += _count_rows(f"nsi_pupils_{level}", scope, counts, periods)
            share = cluster_rate_table(part, "nsi_girls", "nsi", "uai", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, f"nsi_girls_share_{level}", share, interval="table")
            if level == "terminale":
                rate = cluster_rate_table(part, "nsi", "total", "uai", by=["period"]).assign(academy=scope)
                rows += rate_rows(TARGET, "nsi_rate_terminale", rate, interval="table")
                girls = cluster_rate_table(part, "nsi_girls", "total_girls", "uai", by=["period"]).assign(academy=scope)
                rows += rate_rows(TARGET, "nsi_rate_girls_terminale", girls, interval="table")
    if not rows:
        return series_frame([])
    series = series_frame(rows)
    for level in LEVELS:  # lycées whose cells the file masks
        cov = nsi_coverage(data, level)
        for indicator in (f"nsi_pupils_{level}", f"nsi_girls_share_{level}", f"nsi_rate_{level}",
                          f"nsi_rate_girls_{level}"):
            series = coverage.attach(series, indicator, cov)
    return series


# --------------------------------------------------------------------------- breakdowns

INDICATOR_LEVEL = {
    "nsi_pupils_premiere": ("premiere", "count"), "nsi_pupils_terminale": ("terminale", "count"),
    "nsi_girls_share_premiere": ("premiere", "girls_share"),
    "nsi_girls_share_terminale": ("terminale", "girls_share"),
    "nsi_rate_premiere": ("premiere", "rate"), "nsi_rate_terminale": ("terminale", "rate"),
    "nsi_rate_girls_premiere": ("premiere", "girls_rate"),
    "nsi_rate_girls_terminale": ("terminale", "girls_rate"),
}
BREAKDOWN_COLUMNS = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]


def _label(by: str, value: object) -> str:
    if by == "programme":
        return PROGRAMME_LABELS.get(str(value), str(value))
    if by == "department" and (value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))):
        return ACADEMY_WIDE_LABEL
    return breakdown_label(by, value)


def sort_key(labels: pd.Series) -> pd.Series:
    """French alphabetical order (accents ignored: « École » before « Lycée »)."""
    import unicodedata

    return labels.map(lambda x: "".join(c for c in unicodedata.normalize("NFKD", str(x))
                                        if not unicodedata.combining(c)).lower())


def _finish(table: pd.DataFrame, by: str) -> pd.DataFrame:
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: _label(by, v))
    for col in BREAKDOWN_COLUMNS:
        if col not in table:
            table[col] = np.nan
    cols = BREAKDOWN_COLUMNS + [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label", key=sort_key).reset_index(drop=True)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period, by ``department``, ``sector``, ``sex``, ``academy``
    (and ``programme`` for the orientation projects).

    Also accepts ``nsi_rate_premiere`` and ``nsi_rate_girls_premiere`` (not headline
    indicators). Counts come without interval; rates with their interval, lycées as
    clusters (girls and boys of a lycée paired on it), and what
    :func:`~drane_analysis.render.gap_sentence` needs to test a gap. Returns
    ``group``, ``label``, value, numerator, denominator, ``ci_low``, ``ci_high`` sorted by label.
    """
    if indicator == "orientation_digital_projects":
        frame = referential.in_scope(projects(data), scope)
        frame = frame[frame["period"] == period]
        table = frame.groupby(by, dropna=False)["one"].sum().reset_index(name="value")
        table["value"] = table["value"].astype(float)
        return _finish(table, by)
    if indicator not in INDICATOR_LEVEL:
        raise KeyError(f"indicateur inconnu pour la cible 2.4 : {indicator}")
    level, kind = INDICATOR_LEVEL[indicator]
    if by == "sex":
        if kind == "girls_share":
            raise ValueError("la part des filles ne se ventile pas par sexe")
        frame = referential.in_scope(nsi_by_sex(data, level), scope)
        frame = frame[frame["period"] == period]
        if kind == "count":
            table = frame.groupby("sex")["nsi"].sum().reset_index(name="value")
        else:
            table = cluster_rate_table(frame, "nsi", "total", "uai", by=["sex"])
        return _finish(table, "sex")
    frame = referential.in_scope(nsi_frame(data, level), scope)
    frame = frame[frame["period"] == period]
    if kind == "count":
        table = frame.groupby(by, dropna=False)["nsi"].sum().reset_index(name="value")
    else:
        num, den = {"girls_share": ("nsi_girls", "nsi"), "rate": ("nsi", "total"),
                    "girls_rate": ("nsi_girls", "total_girls")}[kind]
        table = cluster_rate_table(frame, num, den, "uai", by=[by])
    return _finish(table, by)


def programme_table(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Orientation actions of a scope and year by programme (and by academy).

    Columns: ``programme``, ``label``, ``actions``, one column per academy (number of
    actions), ``pupils`` reached, ``girls``, ``girls_share`` (%) with its interval over the
    actions whose pupils and girls are known, the actions as clusters (the pupils of one
    action come together). The last row, ``total``, sums them.
    """
    frame = referential.in_scope(projects(data), scope)
    frame = frame[frame["period"] == period]
    known = frame[frame["pupils"].notna() & frame["girls"].notna()]
    order = list(PROGRAMME_LABELS)
    actions = frame.groupby("programme")["one"].sum().reindex(order, fill_value=0)
    by_academy = pd.DataFrame({a: frame[frame["academy"] == a].groupby("programme")["one"].sum()
                               for a in referential.ACADEMIES}).reindex(order).fillna(0).astype(int)
    pupils = known.groupby("programme")["pupils"].sum().reindex(order, fill_value=0).astype(float)
    girls = known.groupby("programme")["girls"].sum().reindex(order, fill_value=0).astype(float)
    out = pd.DataFrame({"programme": order, "label": [PROGRAMME_LABELS[p] for p in order],
                        "actions": actions.to_numpy(), "pupils": pupils.to_numpy(), "girls": girls.to_numpy()})
    for academy in referential.ACADEMIES:
        out[academy] = by_academy[academy].to_numpy()
    out = out[out["actions"] > 0]
    total = {"programme": "total", "label": "Ensemble", "actions": out["actions"].sum(),
             "pupils": out["pupils"].sum(), "girls": out["girls"].sum(),
             **{a: out[a].sum() for a in referential.ACADEMIES}}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["girls_share"] = np.where(out["pupils"] > 0, out["girls"] / out["pupils"].where(out["pupils"] > 0) * 100,
                                      np.nan)
    actions = known.assign(action=np.arange(len(known)), pupils=known["pupils"].astype(float),
                           girls=known["girls"].astype(float))
    by_programme = cluster_rate_table(actions, "girls", "pupils", "action", by=["programme"]).set_index("programme")
    overall = cluster_rate_table(actions, "girls", "pupils", "action").iloc[0]
    out["ci_low"] = [overall["ci_low"] if p == "total" else by_programme["ci_low"].get(p, np.nan)
                     for p in out["programme"]]
    out["ci_high"] = [overall["ci_high"] if p == "total" else by_programme["ci_high"].get(p, np.nan)
                      for p in out["programme"]]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- gender gap


def gender_gap(data: Data, level: str, scope: str, by: str = "period", period: str | None = None) -> pd.DataFrame:
    """Girls' NSI rate against boys' for each year (``by="period"``) or for each group of a
    year (``by`` = ``department``, ``sector``, ``academy``, with ``period``).

    Columns: ``group``, ``label``; ``girls_nsi``, ``girls``, ``girls_rate`` (% of girls taking
    NSI) and its interval; the same for boys; ``gap`` = boys' rate − girls' rate (points)
    with its interval (``gap_low``, ``gap_high``) and two-sided ``p_value``, girls and boys
    paired on their lycées, the lycées as clusters
    (:func:`~drane_analysis.stats.ratio_contrast`: a lycée that offers NSI raises both);
    ``ratio`` = boys' rate / girls' rate; ``p_holm`` (Holm-adjusted across the groups, for
    ``by`` ≠ period); ``girls_share`` (% of girls among NSI pupils) with its interval
    (lycées as clusters). With ``by="period"`` and a ``period``, years after it are left out.
    """
    frame = referential.in_scope(nsi_frame(data, level), scope)
    if by == "period":
        if period is not None:
            frame = frame[frame["period"].map(_year) <= _year(period)]
    else:
        if period is None:
            raise ValueError("une année scolaire est nécessaire pour comparer des groupes")
        frame = frame[frame["period"] == period]
    rows = []
    for group, part in frame.groupby(by, dropna=False):
        girls = cluster_rate_table(part, "nsi_girls", "total_girls", "uai").iloc[0]
        boys = cluster_rate_table(part, "nsi_boys", "total_boys", "uai").iloc[0]
        share = cluster_rate_table(part, "nsi_girls", "nsi", "uai").iloc[0]
        gap = ratio_contrast(part[["nsi_boys", "nsi_girls"]].to_numpy(float),
                             part[["total_boys", "total_girls"]].to_numpy(float), [1, -1])
        rows.append({
            "group": group, "girls_nsi": girls["numerator"], "girls": girls["denominator"],
            "girls_rate": girls["value"], "girls_low": girls["ci_low"], "girls_high": girls["ci_high"],
            "boys_nsi": boys["numerator"], "boys": boys["denominator"], "boys_rate": boys["value"],
            "boys_low": boys["ci_low"], "boys_high": boys["ci_high"],
            "gap": gap["estimate"], "gap_low": gap["ci_low"], "gap_high": gap["ci_high"],
            "ratio": boys["value"] / girls["value"] if girls["value"] > 0 else np.nan, "p_value": gap["p_value"],
            "girls_share": share["value"], "share_low": share["ci_low"], "share_high": share["ci_high"],
        })
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["group", "label", "girls_nsi", "girls", "girls_rate", "girls_low",
                                     "girls_high", "boys_nsi", "boys", "boys_rate", "boys_low", "boys_high",
                                     "gap", "gap_low", "gap_high", "ratio", "p_value", "p_holm",
                                     "girls_share", "share_low", "share_high"])
    out["p_holm"] = holm(out["p_value"]) if by != "period" else out["p_value"]
    if by == "period":
        out["label"] = out["group"]
        out = out.sort_values("group", key=lambda s: s.map(_year))
    else:
        out["label"] = out["group"].map(lambda v: _label(by, v))
        out = out.sort_values("label", key=sort_key)
    cols = ["group", "label", *[c for c in out.columns if c not in ("group", "label")]]
    return out[cols].reset_index(drop=True)


def girls_share_trend(data: Data, level: str, scope: str, by: str | None = None, up_to: str | None = None,
                      deadline: str | None = None, of: str = "nsi") -> pd.DataFrame:
    """Trend of the girls' share among NSI pupils (``of="nsi"``) or of the share of girls
    taking NSI (``of="girls"``), overall or per group (``by``).

    Quasi-binomial logistic regression of NSI girls over NSI pupils (or over all girls) on the
    year, on lycée × year counts, with a covariance clustered on the lycées (the same lycées
    every year; :func:`logistic_trend`), with the years up to ``up_to``. One row per group
    (``group`` ``all`` when ``by`` is None) with ``label``, ``first``/``last`` period, the
    observed shares then (%), and the trend's fields: ``odds_ratio`` per year and interval,
    ``p_value``, ``points_per_year`` and interval, ``projection`` at ``deadline`` with its
    prediction interval and ``projection_indicative`` (the status rule's projection).
    """
    den = {"nsi": "nsi", "girls": "total_girls"}[of]
    frame = referential.in_scope(nsi_frame(data, level), scope)
    if up_to is not None:
        frame = frame[frame["period"].map(_year) <= _year(up_to)]
    frame = frame.assign(year=frame["period"].map(_year).astype(float))
    groups = [("all", frame)] if by is None else list(frame.groupby(by, dropna=False))
    rows = []
    dl = _year(deadline) if deadline else None
    for group, part in groups:
        years = part.groupby("year")[["nsi_girls", den]].sum()
        years = years[years[den] > 0]
        trend = logistic_trend(part, "nsi_girls", den, "year", deadline=dl, cluster="uai")
        first = years.iloc[0] if len(years) else None
        last = years.iloc[-1] if len(years) else None
        rows.append({
            "group": group,
            "label": "Ensemble" if by is None else _label(by, group),
            "first": Period(int(years.index[0])).label if len(years) else None,
            "last": Period(int(years.index[-1])).label if len(years) else None,
            "first_share": first["nsi_girls"] / first[den] * 100 if first is not None else np.nan,
            "last_share": last["nsi_girls"] / last[den] * 100 if last is not None else np.nan,
            **trend,
        })
    out = pd.DataFrame(rows)
    if by is not None and not out.empty:
        out["p_holm"] = holm(out["p_value"])
        out = out.sort_values("label", key=sort_key).reset_index(drop=True)
    return out


def gender_gap_trend(data: Data, level: str, scope: str, up_to: str | None = None) -> dict:
    """Does the gender gap in NSI narrow? logit P(NSI) = a + b·girl + c·t + d·girl·t.

    Fitted on lycée × year × sex counts, the covariance clustered on the lycées (girls and
    boys of a lycée, and its years, are not independent). Returns ``n_years``,
    ``or_girls_last`` (girls' odds of taking NSI over boys', in the last year) with its
    interval, ``or_change`` = exp(d), the yearly factor of that odds ratio (> 1: the gap
    narrows) with its interval and ``p_value`` (d = 0), and ``last`` (the last period).
    """
    nan = float("nan")
    out = {"n_years": 0, "last": None, "or_girls_last": nan, "or_last_low": nan, "or_last_high": nan,
           "or_change": nan, "change_low": nan, "change_high": nan, "p_value": nan}
    frame = referential.in_scope(nsi_by_sex(data, level), scope)
    if up_to is not None:
        frame = frame[frame["period"].map(_year) <= _year(up_to)]
    frame = frame[frame["total"] > 0]
    if frame.empty:
        return out
    year = frame["period"].map(_year).astype(float).to_numpy()
    out["n_years"] = int(len(np.unique(year)))
    out["last"] = Period(int(year.max())).label
    s, n = frame["nsi"].to_numpy(float), frame["total"].to_numpy(float)
    girl = (frame["sex"] == "F").to_numpy(float)
    if out["n_years"] < 2 or s.sum() == 0:
        return out
    t = year - year.max()  # centred on the last year: b is the last year's log odds ratio
    exog = np.column_stack([np.ones_like(t), girl, t, girl * t])
    try:
        res = _fit_quasi_binomial(s, n, exog, pd.factorize(frame["uai"])[0])
    except Exception:  # noqa: BLE001
        return out
    ci = np.asarray(res.conf_int())
    out.update(or_girls_last=float(np.exp(res.params[1])), or_last_low=float(np.exp(ci[1, 0])),
               or_last_high=float(np.exp(ci[1, 1])), or_change=float(np.exp(res.params[3])),
               change_low=float(np.exp(ci[3, 0])), change_high=float(np.exp(ci[3, 1])),
               p_value=float(res.pvalues[3]))
    return out


# --------------------------------------------------------------------------- doubling, baseline


DOUBLING_INDICATORS = ("nsi_pupils_premiere", "nsi_pupils_terminale", "nsi_rate_girls_terminale")


def _relative_objective(indicator: str) -> tuple[float, str, str] | None:
    """(factor, base period, deadline) of an indicator's relative objective, if any."""
    from ..catalogue import load_catalogue

    for o in load_catalogue().target(TARGET).objectives:
        if o.indicator == indicator and o.kind == "relative":
            return float(o.factor), str(o.base_period), str(o.period)
    return None


def doubling() -> tuple[float, str, str] | None:
    """(factor, base period, deadline) of the target's « doubler en 3 ans », if any."""
    for ind in DOUBLING_INDICATORS:
        rel = _relative_objective(ind)
        if rel is not None:
            return rel
    return None


def progress_by_group(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """Progress of an indicator towards a "double in 3 years" objective, group by group.

    The indicator's own relative objective, else the target's doubling (for an indicator
    shown beside it, such as the girls' NSI rate in première). Columns: ``group``,
    ``label``, ``base`` (value in the base year), ``objective`` (factor × base), ``value``
    (this year) with ``ci_low``/``ci_high`` for rates, ``ratio`` (value / base) and
    ``reached``. Empty when the base year is not in the data.
    """
    rel = _relative_objective(indicator) or doubling()
    if rel is None:
        raise KeyError(f"pas d'objectif relatif pour {indicator}")
    factor, base_period, _ = rel
    base = breakdown(data, indicator, scope, base_period, by)
    cur = breakdown(data, indicator, scope, period, by)
    if base.empty or cur.empty:
        return pd.DataFrame(columns=["group", "label", "base", "objective", "value", "ci_low", "ci_high",
                                     "ratio", "reached"])
    out = cur.merge(base[["label", "value"]].rename(columns={"value": "base"}), on="label", how="outer")
    out["objective"] = out["base"] * factor
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ratio"] = np.where(out["base"] > 0, out["value"] / out["base"], np.nan)
    out["reached"] = out["value"] >= out["objective"]
    return out[["group", "label", "base", "objective", "value", "ci_low", "ci_high", "ratio",
                "reached"]].sort_values("label", key=sort_key).reset_index(drop=True)


def doubling_table(rpt) -> pd.DataFrame:
    """The four "double in 3 years" indicators of the report's scope: base year, objective,
    this year's value and interval, ratio to the base, status."""
    rows = []
    for ind in DOUBLING_INDICATORS:
        rel = _relative_objective(ind)
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


def baseline_check(data: Data) -> pd.DataFrame:
    """The roadmap's baseline (2.1 % of terminale pupils in NSI, 0.4 % of girls) against the
    data of its school year, region.

    Columns: ``indicator``, ``label``, ``period``, ``roadmap`` (%), ``value`` (%) with
    ``ci_low``/``ci_high``, ``numerator``, ``denominator``, ``consistent`` (the roadmap's
    figure, rounded to 0.1, lies within the interval — lycées as clusters — widened by 0.05;
    the value itself when there is no interval). Value missing when the data do not cover
    that year.
    """
    from ..catalogue import load_catalogue

    target = load_catalogue().target(TARGET)
    base = target.baseline
    period = Period.of_date(pd.Timestamp(base.get("date", "2021-01-15"))).label
    frame = nsi_frame(data, "terminale")
    frame = referential.in_scope(frame[frame["period"] == period], referential.REGION_SCOPE)
    rows = []
    for ind, (num, den) in (("nsi_rate_terminale", ("nsi", "total")),
                            ("nsi_rate_girls_terminale", ("nsi_girls", "total_girls"))):
        if ind not in base.get(referential.REGION_SCOPE, {}):
            continue
        roadmap = float(base[referential.REGION_SCOPE][ind])
        if frame.empty:
            value = lo = hi = k = n = np.nan
        else:
            t = cluster_rate_table(frame, num, den, "uai").iloc[0]
            value, lo, hi, k, n = t["value"], t["ci_low"], t["ci_high"], t["numerator"], t["denominator"]
        low, high = (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else (value, value)  # one lycée: no interval
        consistent = bool(low - 0.05 <= roadmap <= high + 0.05) if np.isfinite(value) else None
        rows.append({"indicator": ind, "label": load_catalogue().indicator(ind).label, "period": period,
                     "roadmap": roadmap, "value": value, "ci_low": lo, "ci_high": hi, "numerator": k,
                     "denominator": n, "consistent": consistent})
    return pd.DataFrame(rows)


def specialties_coverage(data: Data) -> pd.DataFrame:
    """What the specialties files of the folder cover: level, period, lycées, pupils, NSI
    pupils, lycées offering NSI, lycée-years masked. One row per level and year."""
    rows = []
    for level in LEVELS:
        frame = nsi_frame(data, level)
        for period, part in frame.groupby("period"):
            rows.append({"level": level, "period": period, "lycees": part["uai"].nunique(),
                         "pupils": part["total"].sum(), "nsi": part["nsi"].sum(),
                         "lycees_nsi": int((part["nsi"] > 0).sum())})
        if frame.attrs.get("masked"):
            rows.append({"level": level, "period": "masqué", "lycees": frame.attrs["masked"]})
    out = pd.DataFrame(rows, columns=["level", "period", "lycees", "pupils", "nsi", "lycees_nsi"])
    return out


def nsi_rates_by_level(data: Data, scope: str, period: str) -> pd.DataFrame:
    """NSI in première and terminale for a scope and year: NSI pupils; share of all pupils,
    of girls and of boys taking NSI (with intervals); girls' share among NSI pupils."""
    rows = []
    for level in LEVELS:
        frame = referential.in_scope(nsi_frame(data, level), scope)
        frame = frame[frame["period"] == period]
        if frame.empty:
            continue
        rec = {"level": level, "label": LEVEL_LABELS[level].capitalize(), "nsi": frame["nsi"].sum(),
               "pupils": frame["total"].sum()}
        for key, (num, den) in {"rate": ("nsi", "total"), "girls_rate": ("nsi_girls", "total_girls"),
                                "boys_rate": ("nsi_boys", "total_boys"),
                                "girls_share": ("nsi_girls", "nsi")}.items():
            t = cluster_rate_table(frame, num, den, "uai").iloc[0]
            rec[key], rec[f"{key}_low"], rec[f"{key}_high"] = t["value"], t["ci_low"], t["ci_high"]
        rows.append(rec)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- report blocks


def _fmt(x, unit="percent", with_unit=True) -> str:
    from ..formatting import fmt_value

    return fmt_value(x, unit, with_unit)


def _int(x) -> str:
    from ..formatting import fr_number

    return fr_number(x, 0)


def _interval(lo, hi, unit="percent") -> str:
    from ..formatting import fmt_interval

    return fmt_interval(lo, hi, unit)


def _p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "—"
    if p < 0.001:
        return "< 0,001"
    from ..formatting import fr_number

    return fr_number(p, 3)


def _rows(rpt) -> dict:
    return {r.indicator: r for r in rpt.table.itertuples(index=False)}


def key_messages(rpt) -> str:
    """The report's opening sentences (French Markdown), every number from the data."""
    r = _rows(rpt)
    lines = []
    p = r.get("orientation_digital_projects")
    if p is not None and pd.notna(p.value):
        text = f"- **{_int(p.value)}** actions associant orientation et numérique ont été recensées"
        if pd.notna(p.objective):
            cmp = "atteint" if p.value >= p.objective else "n'atteint pas"
            text += f" : le nombre {cmp} l'objectif régional de {_int(p.objective)}"
        else:
            text += " (l'objectif de 50 actions est régional)"
        lines.append(text + ".")
    for level in LEVELS:
        n, s = r.get(f"nsi_pupils_{level}"), r.get(f"nsi_girls_share_{level}")
        if n is None or pd.isna(n.value):
            continue
        text = f"- En {LEVEL_LABELS[level]}, **{_int(n.value)}** élèves suivent la spécialité NSI"
        if pd.notna(n.objective):
            text += (f" (objectif de doublement : {_int(n.objective)} en {n.objective_deadline or '—'} ; "
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
    from ..formatting import status_phrase

    return status_phrase(row)


def _p_text(p: float) -> str:
    text = _p(p)
    return text if text.startswith("<") else f"= {text}"


def show_projects(rpt) -> None:
    """Orientation actions of the year by programme (and academy), girls reached."""
    from ..render import display_html, display_markdown, html_table

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
    out = pd.DataFrame({"Dispositif": table["label"], "Actions": [_int(x) for x in table["actions"]]})
    if rpt.scope == referential.REGION_SCOPE:
        for slug, a in referential.ACADEMIES.items():
            out[a.name] = [_int(x) for x in table[slug]]
    out["Élèves touchés"] = p.text("pupils", _int)
    out["Part des filles"] = p.text("girls_share", _fmt)
    out["Intervalle à 95 %"] = [p.rules.marker if h else _interval(lo, hi) for lo, hi, h in
                                zip(table["ci_low"], table["ci_high"], p.mask("ci_low"), strict=True)]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Actions associant orientation et numérique, {rpt.period}") + p.note_html())


def by_title(rpt, by: str) -> str:
    """French title of a breakdown (``academy`` → « Académie »)."""
    return {"academy": "Académie", "programme": "Dispositif"}.get(by) or rpt.catalogue.breakdowns.get(by, by)


def groupings(rpt) -> list[str]:
    """The breakdowns the report shows for its scope: academy (region only), department, sector."""
    return (["academy"] if rpt.scope == referential.REGION_SCOPE else []) + ["department", "sector"]


def show_breakdown(rpt, indicator: str, by: str, title: str, *, chart: bool = False, objective: float | None = None,
                   count_label: str = "Effectif") -> None:
    """A breakdown as a table (and optionally a bar chart); a note when there is no data.

    Counts are shown as a plain two-column table (they are exhaustive, without interval).
    """
    from ..render import display_html, display_markdown, html_table

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
        out = pd.DataFrame({by_title(rpt, by): table["label"], count_label: p.text("value", _int)})
        display_html(html_table(out, align_right=[count_label], caption=title) + p.note_html())
    else:
        rpt.show_table(table, unit, group_title=by_title(rpt, by), count_label=count_label, caption=title,
                       persons=persons)


def show_nsi_levels(rpt) -> None:
    """NSI in première and terminale: pupils, rates by sex, girls' share (levels as columns)."""
    from ..render import display_html, display_markdown, html_table

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
        out[rec["label"]] = [_int(rec[col]) if ci is None else
                             f"{_fmt(rec[col])} {_interval(rec[f'{ci}_low'], rec[f'{ci}_high'])}"
                             for _, col, ci in measures]
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"La spécialité NSI en {rpt.period} (intervalles à 95 % entre crochets)"))


def show_doubling(rpt) -> None:
    """The four "double in 3 years" indicators against their 2020-2021 value."""
    from ..render import display_html, display_markdown, html_table

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


def show_progress(rpt, level: str, by: str) -> None:
    """NSI pupils and share of girls taking NSI of a level by group: 2020-2021, this year,
    ratio (:func:`progress_by_group` for both, in one table)."""
    from ..render import display_html, display_markdown, html_table

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
        "Élèves (réf.)": p.text("base", _int),
        f"Élèves {rpt.period}": p.text("value", _int),
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


def show_gender_gap(rpt, level: str, by: str = "period") -> None:
    """Girls' and boys' NSI rates with the gap's interval and test, per year or per group."""
    from ..render import display_html, display_markdown, html_table

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
        out["p"] = shown("p_value", [_p(x) for x in t["p_value"]])
        out["Filles parmi les élèves de NSI"] = shown(
            "girls_share", [f"{_fmt(v)} {_interval(lo, hi)}" for v, lo, hi in
                            zip(t["girls_share"], t["share_low"], t["share_high"], strict=True)])
        caption = f"Part des filles et des garçons de {LEVEL_LABELS[level]} suivant NSI, par année scolaire"
    else:
        out["p ajusté (Holm)"] = shown("p_holm", [_p(x) for x in t["p_holm"]])
        caption = (f"Part des filles et des garçons de {LEVEL_LABELS[level]} suivant NSI, "
                   f"{by_title(rpt, by).lower()}, {rpt.period}")
    display_html(html_table(out, align_right=list(out.columns[1:]), caption=caption) + p.note_html())


def gap_chart(rpt, level: str) -> None:
    """Girls' and boys' NSI rates over the years, with their intervals."""
    import matplotlib.pyplot as plt

    from ..formatting import BLUE, PALETTE
    from ..render import show_figure

    t = gender_gap(rpt.data, level, rpt.scope, by="period", period=rpt.period)
    if len(t) < 2:  # one year: the table below says it all
        return
    years = t["group"].map(_year)
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
    from ..formatting import fmt_projection

    return fmt_projection(trend["projection"], trend["projection_low"], trend["projection_high"], "percent",
                          bool(trend.get("projection_indicative", False)))


def _odds(x: float) -> str:
    from ..formatting import fr_number

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


def show_trends(rpt) -> None:
    """The girls' share trend (logistic) and the gap's trend, levels as columns."""
    from ..render import display_html, display_markdown, html_table

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
            _p(t["p_value"]),
            _projection(t),
            _projection(rate),
            _with_interval(_odds(gt["or_girls_last"]), _odds_interval(gt["or_last_low"], gt["or_last_high"])),
            _with_interval(_odds(gt["or_change"]), _odds_interval(gt["change_low"], gt["change_high"])),
            _p(gt["p_value"]),
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


def show_group_trends(rpt, level: str, by: str) -> None:
    """The girls' share trend group by group (Holm-adjusted p-values)."""
    from ..render import display_html, html_table

    t = girls_share_trend(rpt.data, level, rpt.scope, by=by, up_to=rpt.period)
    t = t[t["n_years"] >= 2] if not t.empty else t
    if t.empty:
        return  # one year only: said by show_trends
    t = t.reset_index(drop=True)
    # A group's shares are shares of its NSI pupils: not shown when the first or the last
    # year counts too few of them.
    frame = referential.in_scope(nsi_frame(rpt.data, level), rpt.scope)
    sizes = frame.groupby([by, "period"], dropna=False)["nsi"].sum()
    size = {(g, p): float(v) for (g, p), v in sizes.items()}
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
        "p": shown("p_value", [_p(x) for x in t["p_value"]]),
        "p ajusté (Holm)": shown("p_holm", [_p(x) for x in t["p_holm"]]),
    })
    display_html(html_table(out, align_right=list(out.columns[1:]),
                             caption=f"Tendance de la part des filles parmi les élèves de NSI en "
                                     f"{LEVEL_LABELS[level]}, {by_title(rpt, by).lower()}") + p.note_html())


def show_baseline(rpt) -> None:
    """The roadmap's baseline against the data (region, 2020-2021)."""
    from ..render import display_html, display_markdown, html_table

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
        "Élèves": [f"{_int(k)} sur {_int(n)}" for k, n in zip(t["numerator"], t["denominator"], strict=True)],
        "Lecture": [verdict[c] for c in t["consistent"]],
    })
    display_html(html_table(out, align_right=["Feuille de route", "Données", "Intervalle à 95 %", "Élèves"],
                             caption=f"Point de départ de la feuille de route ({t.iloc[0]['period']}, région "
                                     "académique) et données"))


def show_sources(rpt) -> None:
    """The specialties files read and the years they cover."""
    from .. import sources
    from ..render import display_html, display_markdown, html_table

    cov = specialties_coverage(rpt.data)
    files = []
    for level in LEVELS:
        files += [p.name for p in sources.contract(LEVEL_SOURCES[level]).files(rpt.data.dir)]
    if cov.empty:
        display_markdown("*Aucun fichier de spécialités dans le dossier de données.*")
        return
    cov = cov[cov["period"] != "masqué"]
    out = pd.DataFrame({
        "Niveau": [LEVEL_LABELS[lv].capitalize() for lv in cov["level"]], "Année scolaire": cov["period"],
        "Lycées": [_int(x) for x in cov["lycees"]], "Élèves": [_int(x) for x in cov["pupils"]],
        "Élèves en NSI": [_int(x) for x in cov["nsi"]], "Lycées avec NSI": [_int(x) for x in cov["lycees_nsi"]],
    })
    origin = "données de démonstration" if rpt.data.is_demo else "données ouvertes de la DEPP"
    names = ", ".join(f"`{f}`" for f in files) if files else "—"
    display_markdown(f"Fichiers lus ({origin}) : {names}.")
    display_html(html_table(out, align_right=list(out.columns[2:]),
                             caption="Années couvertes par les fichiers de spécialités"))


def coverage_notes(rpt) -> list[str]:
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
    proj = projects(rpt.data)
    cur = referential.in_scope(proj[proj["period"] == rpt.period], rpt.scope)
    if len(cur):
        wide = int(cur["department"].isna().sum())
        notes.append(f"**Actions d'orientation** : {_int(len(cur))} actions recensées par les académies ; "
                     f"{_int(wide)} sont académiques (sans département) et ne comptent que dans l'académie et la "
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
        rel = _relative_objective(f"nsi_pupils_{level}")
        if rel and rel[1] not in periods:
            notes.append(f"**Année de référence absente** ({LEVEL_LABELS[level]}) : les fichiers ne couvrent pas "
                         f"{rel[1]} ; l'objectif de doublement ne peut pas être chiffré.")
    for objective in rpt.target.objectives:
        if objective.note and objective.period == rpt.period:
            label = rpt.catalogue.indicator(objective.indicator).label.lower()
            notes.append(f"**Feuille de route, {objective.period}** : {label} — {objective.note}")
    return notes
