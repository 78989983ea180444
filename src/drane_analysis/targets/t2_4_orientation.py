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
from ..privacy import linked_breakdown
from ..sources.specialites import NSI, TOTAL
from ..stats import (  # noqa: F401  (shared statistics)
    BREAKDOWN_TEST_COLUMNS,
    cluster_rate_table,
    fit_quasi_binomial,
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
        res = fit_quasi_binomial(s, n, exog, pd.factorize(frame["uai"])[0])
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


def relative_objective(indicator: str) -> tuple[float, str, str] | None:
    """(factor, base period, deadline) of an indicator's relative objective, if any."""
    from ..catalogue import load_catalogue

    for o in load_catalogue().target(TARGET).objectives:
        if o.indicator == indicator and o.kind == "relative":
            return float(o.factor), str(o.base_period), str(o.period)
    return None


def doubling() -> tuple[float, str, str] | None:
    """(factor, base period, deadline) of the target's « doubler en 3 ans », if any."""
    for ind in DOUBLING_INDICATORS:
        rel = relative_objective(ind)
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
    rel = relative_objective(indicator) or doubling()
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


def project_counts(data: Data, scope: str, period: str) -> dict[str, int]:
    """Orientation actions of a scope in a school year: ``actions`` and, among them,
    ``academy_wide`` (no department: they count in the academy and the region only)."""
    frame = projects(data)
    cur = referential.in_scope(frame[frame["period"] == period], scope)
    return {"actions": len(cur), "academy_wide": int(cur["department"].isna().sum())}


def nsi_pupils_by_group(data: Data, level: str, scope: str, by: str) -> dict[tuple, float]:
    """NSI pupils of a level by (group of ``by``, school year), for a scope."""
    frame = referential.in_scope(nsi_frame(data, level), scope)
    sizes = frame.groupby([by, "period"], dropna=False)["nsi"].sum()
    return {(g, p): float(v) for (g, p), v in sizes.items()}


def specialties_files(data: Data) -> list[str]:
    """Names of the specialties files of the data folder, première then terminale."""
    from .. import sources

    files = []
    for level in LEVELS:
        files += [p.name for p in sources.contract(LEVEL_SOURCES[level]).files(data.dir)]
    return files
