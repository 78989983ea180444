"""The indicator table: every indicator for a scope and a period, against its objective.

Each target module (``targets/t1_1_pix.py``…) computes its indicators' *series*: one row
per (indicator, scope, period) with ``value`` and, for rates, ``numerator``,
``denominator`` and the 95 % interval. :func:`evaluate` then attaches the objective in
force (``params/targets/``), the projection to its deadline and the status, following the
rule written in ``params/status.yaml`` (and printed in every report).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from . import referential
from .catalogue import Catalogue, ObjectiveInForce, load_catalogue
from .periods import Period
from .stats import fit_trend

SERIES_COLUMNS = ["target", "indicator", "academy", "period", "value", "numerator", "denominator",
                  "ci_low", "ci_high", "note"]
TABLE_COLUMNS = ["target", "indicator", "label", "academy", "period", "value", "unit", "numerator",
                 "denominator", "ci_low", "ci_high", "objective", "objective_label", "objective_deadline",
                 "objective_carried_forward", "projection", "projection_low", "projection_high", "status",
                 "status_label", "note"]


def series_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """A series frame from row dicts (missing columns filled)."""
    frame = pd.DataFrame(list(rows))
    for col in SERIES_COLUMNS:
        if col not in frame:
            frame[col] = np.nan if col not in ("note",) else ""
    frame["note"] = frame["note"].fillna("")
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
              deadline: str | None, kind: str = "threshold", min_periods: int = 2) -> tuple[str, float, float, float]:
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

    Returns:
        (status, projection, projection_low, projection_high); the projection is the
        trend's value at the deadline when it lies after ``period``, else NaN.
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
    trend = fit_trend([Period.parse(k).start for k in past.index], past.to_numpy(dtype=float))
    if trend is None:
        return "at_risk", nan, nan, nan
    proj, lo, hi = trend.predict(d.start)
    if meets(proj, objective, direction):
        return "on_track", proj, lo, hi
    reachable = hi if direction != "decrease" else lo
    if np.isfinite(reachable) and meets(reachable, objective, direction):
        return "at_risk", proj, lo, hi
    return ("off_track" if np.isfinite(reachable) else "at_risk"), proj, lo, hi


def evaluate(series: pd.DataFrame, periods: list[str] | None = None, scopes: list[str] | None = None,
             catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Attach objectives, projections and statuses to series rows (the indicator table)."""
    cat = catalogue or load_catalogue()
    if series.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    rows = []
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
        obj = cat.objective_for(ind.id, rec["academy"], rec["period"])
        target_value = objective_value(obj, history, rec["period"])
        deadline = None
        if obj is not None:
            deadline = rec["period"] if obj.carried_forward else obj.objective.period
        kind = obj.objective.kind if obj else "threshold"
        status, proj, lo, hi = status_of(rec["value"], target_value, ind.direction, history, rec["period"],
                                         deadline, kind, cat.min_periods_for_trend)
        unit_label = cat.unit_label(ind.unit)
        label = ""
        if obj is not None:
            label = obj.objective.describe(unit_label)
            if obj.carried_forward:
                label += f" (objectif {obj.objective.period} reconduit)"
            elif obj.objective.period != rec["period"]:
                label += f" (échéance {obj.objective.period})"
        rows.append({
            **rec,
            "label": ind.label,
            "unit": ind.unit,
            "objective": target_value if target_value is not None else np.nan,
            "objective_label": label,
            "objective_deadline": deadline or "",
            "objective_carried_forward": bool(obj.carried_forward) if obj else False,
            "projection": proj, "projection_low": lo, "projection_high": hi,
            "status": status,
            "status_label": cat.status_label(status),
        })
    if not rows:  # no series row for the periods / scopes asked
        return pd.DataFrame(columns=TABLE_COLUMNS)
    out = pd.DataFrame(rows)[TABLE_COLUMNS]
    order = {i.id: k for k, i in enumerate(cat.indicators())}
    scope_order = {s: k for k, s in enumerate(referential.SCOPES)}
    out = out.sort_values(by=["indicator", "academy", "period"],
                          key=lambda s: s.map(order) if s.name == "indicator" else
                          (s.map(scope_order) if s.name == "academy" else s.map(lambda p: Period.parse(p).start)))
    return out.reset_index(drop=True)


def indicator_table(data, targets: list[str] | None = None, scopes: list[str] | None = None,
                    periods: list[str] | None = None, jobs: int = 1) -> pd.DataFrame:
    """The indicator table of every target that has its module (``drane indicators``).

    When the scopes asked are one academy, the large sources are read for that academy only
    (:class:`~.data.Data` with ``academy``): the same table, a fraction of the work.
    ``jobs`` > 1 computes the targets in that many processes forked from this one (what it
    has loaded is shared, what each reads stays its own); the same table, in the same order.
    """
    from .data import Data
    from .targets import modules

    scoped = data
    if (scopes and len(set(scopes)) == 1 and scopes[0] in referential.ACADEMIES and isinstance(data, Data)
            and data.academy is None and getattr(data, "_given", None) is None):
        scoped = data.for_academy(scopes[0])
    work = [(module, data if getattr(module, "REGION_WIDE", False) else scoped)
            for tid, module in modules().items() if not targets or tid in targets]
    frames = _compute_series(work, jobs)
    if not frames:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    series = pd.concat(frames, ignore_index=True)
    return evaluate(series, periods=periods, scopes=scopes)


#: What the processes forked by :func:`_compute_series` compute (inherited, never pickled).
_FORKED_WORK: list = []


def _compute_series(work: list, jobs: int) -> list[pd.DataFrame]:
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
