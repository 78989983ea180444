"""The indicator rows a report hands to its build (the manifest's ``headline``).

A report running inside a build writes its rows, as plain JSON, to the file the build names
in ``DRANE_REPORT_SIDECAR``; the index, the exports and the portal are written from them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .periods import Period

SIDECAR_FIELDS = ("target", "indicator", "label", "academy", "period", "value", "unit", "numerator",
                  "denominator", "ci_low", "ci_high", "objective", "objective_label", "objective_deadline",
                  "reading", "baseline", "gap_closed", "projection", "projection_low", "projection_high",
                  "projection_indicative", "status", "status_label", "note", "coverage", "coverage_note")


def plain(value):
    """A JSON-ready scalar: ``None`` for missing values, Python numbers for NumPy ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return str(value)


def sidecar_rows(table: pd.DataFrame, series: pd.DataFrame | None = None) -> list[dict]:
    """The indicator rows of a report as plain dicts (what the build stores in its manifest).

    Each row holds the indicator's value, interval, numerator and denominator, objective,
    projection and status; with ``series``, also ``history``: ``[[period, value], …]`` of
    the same indicator and scope up to the row's period (the index draws it as a trend line).
    """
    rows = []
    for rec in table.to_dict("records"):
        row = {k: plain(rec.get(k)) for k in SIDECAR_FIELDS if k in rec}
        if series is not None and not series.empty and {"indicator", "academy", "period", "value"} <= set(series):
            end = Period.parse(str(rec["period"])).start
            hist = series[(series["indicator"] == rec["indicator"]) & (series["academy"] == rec["academy"])]
            points = sorted((Period.parse(str(p)).start, str(p), plain(v))
                            for p, v in zip(hist["period"], hist["value"], strict=True))
            row["history"] = [[p, v] for start, p, v in points if start <= end]
        rows.append(row)
    return rows


def write_sidecar(table: pd.DataFrame, series: pd.DataFrame | None = None) -> None:
    """Give the build the indicator rows of a report (when it asks for them).

    The build sets ``DRANE_REPORT_SIDECAR`` to a file path; the rows (see
    :func:`sidecar_rows`) are written there as JSON and end up in the manifest's
    ``headline``, from which the index and the exports are written. Outside a build
    (JupyterLab, papermill by hand) nothing is written.
    """
    import json
    import os

    path = os.environ.get("DRANE_REPORT_SIDECAR")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(sidecar_rows(table, series), fh, ensure_ascii=False)
