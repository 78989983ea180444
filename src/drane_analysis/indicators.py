"""The indicator table: every indicator for a scope and a period, against its objective.

Each target module (``targets/t1_1_pix.py``…) computes its indicators' *series*: one row
per (indicator, scope, period) with ``value`` and, for rates, ``numerator``,
``denominator`` and the 95 % interval. :func:`evaluate` then attaches the objective in
force (``params/targets/``), the projection to its deadline and the status, following the
rule written in ``params/status.yaml`` (and printed in every report), in separate steps:
the status and projection (:func:`status_of`), the gap closed since the baseline
(:func:`gap_closed`), « en progrès » after the deadline (:func:`is_progressing`), the
coverage of the joins behind the value (series rows may carry a ``coverage``, :mod:`.coverage`:
below the minimum of ``params/coverage.yaml`` the status is withheld), and the reading of the
objective (or, for a secondary indicator, the reading it stands for).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import referential
from .catalogue import Catalogue, ObjectiveInForce, load_catalogue
from .coverage import rules as coverage_rules
from .coverage import withhold
from .periods import Period
from .stats import fit_projection

SERIES_COLUMNS = ["target", "indicator", "academy", "period", "value", "numerator", "denominator",
                  "ci_low", "ci_high", "note",
                  "coverage", "coverage_note"]  # what the joins kept (coverage.py)
TABLE_COLUMNS = ["target", "indicator", "label", "academy", "period", "value", "unit", "numerator",
                 "denominator", "ci_low", "ci_high", "objective", "objective_label", "objective_deadline",
                 "objective_carried_forward", "reading", "baseline", "gap_closed", "projection", "projection_low",
                 "projection_high", "projection_indicative", "status", "status_label", "note",
                 "coverage", "coverage_note"]
"""The indicator table's columns. ``reading``: how the objective is read when that is a choice
(for a secondary indicator, the stricter reading it stands for); ``baseline``: the value of the
baseline year (``params/status.yaml``); ``gap_closed``: the share (%) of the gap between the
baseline and the objective closed, in [−100, 100]; ``projection_indicative``: a projection from
too few years for a prediction interval; ``coverage``, ``coverage_note``: what the joins behind
the value kept (:mod:`.coverage`)."""


def series_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """A series frame from row dicts (missing columns filled)."""
    frame = pd.DataFrame(list(rows))
    for col in SERIES_COLUMNS:
        if col not in frame:
            frame[col] = np.nan if col not in ("note", "coverage_note") else ""
    frame["note"] = frame["note"].fillna("")
    frame["coverage_note"] = frame["coverage_note"].fillna("")
    return frame[SERIES_COLUMNS]


def rate_rows(target: str, indicator: str, table: pd.DataFrame, scale: float = 100.0,
              interval: str = "wilson") -> list[dict]:
    """Series rows from a frame with academy, period, numerator, denominator (a rate in %).

    ``interval`` says how the rows' 95 % interval is made: ``wilson`` (the units of the
    denominator are themselves independent: establishments, authorities), ``table`` (the
    frame's own ``ci_low`` and ``ci_high``: a :func:`~.stats.cluster_rate_table` with
    establishments as clusters), or ``none`` (no interval fits how the data were produced).
    """
    from .stats import wilson_interval

    if interval not in ("wilson", "table", "none"):
        raise ValueError(f"interval inconnu : {interval!r} (wilson, table ou none)")
    rows = []
    for rec in table.itertuples(index=False):
        num, den = float(rec.numerator), float(rec.denominator)
        if interval == "wilson":
            lo, hi = (float(v) * scale for v in wilson_interval(num, den))
        elif interval == "table":
            lo, hi = float(rec.ci_low), float(rec.ci_high)
        else:
            lo = hi = np.nan
        rows.append({
            "target": target, "indicator": indicator, "academy": rec.academy, "period": rec.period,
            "value": num / den * scale if den > 0 else np.nan, "numerator": num, "denominator": den,
            "ci_low": lo, "ci_high": hi,
        })
    return rows


def by_scope(frame: pd.DataFrame, column: str = "academy",
             scopes: Iterable[str] | None = None) -> Iterable[tuple[str, pd.DataFrame]]:
    """Yield (scope, rows) for each academy of the region, then the whole region.

    ``scopes`` (``data.scopes``): only these — a Data of one academy computes its own.
    """
    wanted = referential.SCOPES if scopes is None else tuple(scopes)
    for slug in referential.ACADEMIES:
        if slug in wanted:
            yield slug, frame[frame[column] == slug]
    if referential.REGION_SCOPE in wanted:
        yield referential.REGION_SCOPE, frame[frame[column].isin(list(referential.ACADEMIES))]


# --------------------------------------------------------------------------- status


def objective_value(obj: ObjectiveInForce | None, history: pd.Series, period: str) -> float | None:
    """The numeric objective for ``period`` given the indicator's history (period → value)."""
    if obj is None:
        return None
    o = obj.objective
    if o.kind == "threshold":
        return o.value
    if o.kind == "relative":
        base = history.get(o.base_period)
        return None if base is None or pd.isna(base) else float(base) * float(o.factor)
    if o.kind == "increase":
        previous = history.get(Period.parse(period).shift(-1).label)
        return None if previous is None or pd.isna(previous) else float(previous)
    return None  # pragma: no cover


def meets(value: float, objective: float, direction: str, kind: str = "threshold") -> bool:
    """Whether ``value`` meets a numeric objective (for a range, its lower bound: no cap)."""
    if direction == "decrease":
        return value <= objective
    if kind == "increase":
        return value > objective
    return value >= objective


def status_of(value: float, objective: float | None, direction: str, history: pd.Series, period: str,
              deadline: str | None, kind: str = "threshold", min_periods: int = 2, *, scale: str = "linear",
              lower: float | None = None, upper: float | None = None, min_interval_periods: int | None = None,
              decimals: int | None = None) -> tuple[str, float, float, float]:
    """Status and projection of an indicator (see ``params/status.yaml``).

    Args:
        value: the indicator's value for ``period``.
        objective: the numeric objective in force (None: no objective).
        direction: ``increase`` or ``decrease``.
        history: values by period label, every observed period up to ``period``.
        period: the school year assessed.
        deadline: the objective's deadline (a period label; carried-forward objectives are
            due the assessed year itself).
        kind: the objective's kind (``threshold``, ``relative``, ``increase``).
        min_periods: observed periods needed to project.
        scale, lower, upper: how the trend is projected (:func:`~.stats.fit_projection`:
            ``logit`` for a share, what is possible); ``Catalogue.projection_scale``.
        min_interval_periods: observed periods needed for a prediction interval (default:
            ``params/status.yaml``); with fewer the projection is indicative (no interval)
            and cannot make an indicator ``off_track``.
        decimals: the projection is compared with the objective rounded to this many
            decimals (as it is shown); None: unrounded.

    Returns:
        (status, projection, projection_low, projection_high); the projection is the
        trend's value at the deadline when it lies after ``period``, else NaN (its bounds
        NaN too when indicative). ``not_reached`` is split by :func:`is_progressing`.
    """
    nan = float("nan")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no_data", nan, nan, nan
    if objective is None:
        return "no_objective", nan, nan, nan
    if meets(value, objective, direction, kind):
        return "reached", nan, nan, nan
    p = Period.parse(period)
    d = Period.parse(deadline) if deadline else p
    if d <= p or kind == "increase":
        return "not_reached", nan, nan, nan
    past = history[[Period.parse(k) <= p for k in history.index]].dropna()
    if len(past) < min_periods:
        return "at_risk", nan, nan, nan
    trend = fit_projection([Period.parse(k).start for k in past.index], past.to_numpy(dtype=float), scale=scale,
                           lower=lower, upper=upper, min_points_for_interval=min_interval_periods)
    if trend is None:
        return "at_risk", nan, nan, nan
    proj, lo, hi = trend.predict(d.start)

    def shown(x: float) -> float:
        return round(x, decimals) if decimals is not None and np.isfinite(x) else x

    if meets(shown(proj), objective, direction):
        return "on_track", proj, lo, hi
    reachable = hi if direction != "decrease" else lo
    if np.isfinite(reachable) and meets(shown(reachable), objective, direction):
        return "at_risk", proj, lo, hi
    return ("off_track" if np.isfinite(reachable) else "at_risk"), proj, lo, hi


def gap_closed(value: float, baseline: float | None, objective: float | None, direction: str = "increase") -> float:
    """Share (%) of the gap between the baseline and the objective closed by ``value``.

    ``(value − baseline) / (objective − baseline) × 100``, clipped to [−100, 100] (100: the
    objective is met; below 0: further from it than at the baseline). NaN without a value,
    a baseline or an objective, or when the baseline already met the objective (no gap).

    >>> gap_closed(79.0, 40.0, 100.0)
    65.0
    """
    if any(x is None or not np.isfinite(x) for x in (value, baseline, objective)):
        return float("nan")
    if meets(baseline, objective, direction) or objective == baseline:
        return float("nan")
    return float(np.clip((value - baseline) / (objective - baseline) * 100.0, -100.0, 100.0))


def is_progressing(gap: float, baseline: float | None, ci_low: float | None, ci_high: float | None,
                   direction: str, min_gap_closed: float) -> bool:
    """« En progrès »: at least ``min_gap_closed`` % of the gap closed and, when the value has a
    95 % interval, the baseline outside it on the side left behind."""
    if gap is None or not np.isfinite(gap) or gap < min_gap_closed:
        return False
    bound = ci_low if direction != "decrease" else ci_high
    if bound is None or not np.isfinite(bound) or baseline is None or not np.isfinite(baseline):
        return True
    return bool(baseline < bound) if direction != "decrease" else bool(baseline > bound)


def evaluate(series: pd.DataFrame, periods: list[str] | None = None, scopes: list[str] | None = None,
             catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Attach objectives, projections and statuses to series rows (the indicator table)."""
    cat = catalogue or load_catalogue()
    if series.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    rows = []
    min_coverage = coverage_rules().min_coverage
    wanted = series
    if periods:
        wanted = wanted[wanted["period"].isin(periods)]
    if scopes:
        wanted = wanted[wanted["academy"].isin(scopes)]
    # The rows of each (indicator, scope), in the series' order: its history.
    positions: dict[tuple, list[int]] = {}
    for pos, key in enumerate(zip(series["indicator"], series["academy"], strict=True)):
        positions.setdefault(key, []).append(pos)
    all_values = series["value"].to_numpy(dtype=float)
    all_periods = series["period"].to_numpy()
    for rec in wanted.to_dict("records"):
        ind = cat.indicator(rec["indicator"])
        pos = positions.get((rec["indicator"], rec["academy"]), [])
        history = pd.Series(all_values[pos], index=all_periods[pos])
        row = _objective_and_status(rec, ind, history, cat)
        row.update(_progress(rec, ind, history, row, cat))
        # Coverage (params/coverage.yaml): a value computed on too little of its population
        # keeps its value but not its status.
        row["coverage"] = rec.get("coverage", np.nan)
        row["coverage_note"] = rec["coverage_note"] if isinstance(rec.get("coverage_note"), str) else ""
        row["status"] = withhold(row["status"], row["coverage"], min_coverage)
        row.update(_reading(ind, row, cat))
        row["status_label"] = cat.status_label(row["status"])
        rows.append({**rec, **row})
    if not rows:  # no series row for the periods / scopes asked
        return pd.DataFrame(columns=TABLE_COLUMNS)
    out = pd.DataFrame(rows)[TABLE_COLUMNS]
    order = {i.id: k for k, i in enumerate(cat.indicators())}
    scope_order = {s: k for k, s in enumerate(referential.SCOPES)}
    out = out.sort_values(by=["indicator", "academy", "period"],
                          key=lambda s: s.map(order) if s.name == "indicator" else
                          (s.map(scope_order) if s.name == "academy" else s.map(lambda p: Period.parse(p).start)))
    return out.reset_index(drop=True)


def _objective_and_status(rec: dict, ind, history: pd.Series, cat: Catalogue) -> dict:
    """Step 1: the objective in force, the projection to its deadline and the status."""
    obj = cat.objective_for(ind.id, rec["academy"], rec["period"])
    target_value = objective_value(obj, history, rec["period"])
    deadline = None
    if obj is not None:
        deadline = rec["period"] if obj.carried_forward else obj.objective.period
    kind = obj.objective.kind if obj else "threshold"
    scale, lower, upper = cat.projection_scale(ind.id, rec["academy"])
    decimals = cat.units.get(ind.unit, {}).get("decimals")
    status, proj, lo, hi = status_of(rec["value"], target_value, ind.direction, history, rec["period"],
                                     deadline, kind, cat.min_periods_for_trend, scale=scale, lower=lower,
                                     upper=upper, min_interval_periods=cat.min_periods_for_interval,
                                     decimals=decimals)
    label = ""
    if obj is not None:
        label = obj.objective.describe(cat.unit_label(ind.unit))
        if obj.carried_forward:
            label += f" (objectif {obj.objective.period} reconduit)"
        elif obj.objective.period != rec["period"]:
            label += f" (échéance {obj.objective.period})"
    return {
        "label": ind.label,
        "unit": ind.unit,
        "objective": target_value if target_value is not None else np.nan,
        "objective_label": label,
        "objective_deadline": deadline or "",
        "objective_carried_forward": bool(obj.carried_forward) if obj else False,
        "projection": proj, "projection_low": lo, "projection_high": hi,
        "projection_indicative": bool(np.isfinite(proj) and not np.isfinite(lo)),
        "status": status,
        "_objective": obj,
    }


def _progress(rec: dict, ind, history: pd.Series, row: dict, cat: Catalogue) -> dict:
    """Step 2: the baseline year's value, the gap closed since, « en progrès » after the deadline."""
    base = history.get(cat.baseline_period)
    base = float(base) if base is not None and pd.notna(base) else np.nan
    value = float(rec["value"]) if pd.notna(rec["value"]) else np.nan
    obj = row["_objective"]
    gap = np.nan  # « more than the year before » has no gap to close
    if obj is not None and obj.objective.kind != "increase" and pd.notna(row["objective"]):
        gap = gap_closed(value, base, row["objective"], ind.direction)
    out = {"baseline": base, "gap_closed": gap}
    if row["status"] == "not_reached" and is_progressing(gap, base, rec.get("ci_low"), rec.get("ci_high"),
                                                         ind.direction, cat.progress_min_gap_closed):
        out["status"] = "progressing"
    return out


def _reading(ind, row: dict, cat: Catalogue) -> dict:
    """Step 3: how the objective is read; a secondary indicator gets the reading it stands for
    and no status."""
    if ind.is_secondary:
        return {"reading": ind.secondary, "status": "secondary" if row["status"] != "no_data" else "no_data"}
    obj = row["_objective"]
    return {"reading": obj.objective.reading_text(cat.unit_label(ind.unit)) if obj else ""}


#: What the processes forked by :func:`compute_series` compute (inherited, never pickled).
_FORKED_WORK: list = []


def compute_series(work: list, jobs: int) -> list[pd.DataFrame]:
    """``module.compute(data)`` of each (module, data), in order; in ``jobs`` forked processes.

    A child sends back its frame and the sources it read (recorded here too, for the build's
    dependencies); an error raised in a child is raised here, as it would have been in
    this process. Without ``fork`` (Windows, macOS' default), or inside a daemon process, one
    process computes all.
    """
    import multiprocessing

    from .data import record_source

    jobs = min(int(jobs or 1), len(work))
    if (jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon):  # a daemon process (a pool's) has no children
        return [module.compute(d) for module, d in work]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _FORKED_WORK[:] = work
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            # One target at a time to whichever process is free, in the modules' order
            # (1.1, the longest, starts first).
            results = list(pool.map(_compute_forked, range(len(work))))
    except BrokenProcessPool:
        raise RuntimeError("un processus calculant les cibles s'est arrêté brutalement (mémoire "
                           "insuffisante ?) : relancez avec --jobs 1 pour un seul processus") from None
    finally:
        _FORKED_WORK.clear()
    for _, names in results:
        for name in sorted(names):
            record_source(name)
    return [frame for frame, _ in results]


def _compute_forked(k: int) -> tuple[pd.DataFrame, set[str]]:
    import pickle
    from multiprocessing.reduction import ForkingPickler

    from .data import track_sources

    module, d = _FORKED_WORK[k]
    unsendable = None
    try:
        with track_sources() as names:
            frame = module.compute(d)
    except Exception as exc:
        try:  # sent back as it is when the pool's pickler can write it and read it back
            pickle.loads(ForkingPickler.dumps(exc))
        except Exception:
            unsendable = f"{type(exc).__name__}: {exc}"
        else:
            raise
    if unsendable is not None:  # raised outside the handler: nothing unsendable attached to it
        raise RuntimeError(unsendable)
    return frame, set(names)
