"""Numbers and statuses written the French way, for every page a user reads.

The bottom of the presentation: reports, the index, the synthesis, the command line and
the maps format with these functions, and nothing here reads data::

    fr_number(1234.56, 1)         # '1\u202f234,6'
    fmt_value(83.2, "percent")    # '83,2\u202f%'
    fmt_interval(80.1, 86.0, "percent")

Colours are those of the State's design system (DSFR), used by the region's services.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .catalogue import load_catalogue

BLUE = "#000091"
BLUE_LIGHT = "#6A6AF4"
RED = "#E1000F"
GREY = "#666666"
STATUS_COLOURS = {
    "reached": "#18753C",
    "on_track": "#447A26",  # 5.2:1 with white text (WCAG AA)
    "at_risk": "#B34000",
    "off_track": "#CE0500",
    "not_reached": "#CE0500",
    "progressing": "#8F4A00",  # not reached, but moving: between « à risque » and « non atteint »
    "no_objective": "#666666",
    "secondary": "#53657D",  # a secondary reading, no status
    "no_data": "#6A6A6A",  # 5.4:1 with white text (WCAG AA)
    "withheld": "#6E445A",  # coverage too low (coverage.py); 8.0:1 with white text (WCAG AA)
}
PALETTE = [BLUE, "#E4794A", "#009081", "#A558A0", "#C3992A", "#417DC4", "#CE614A", "#3A3A3A"]


def fr_number(x: float | int | None, decimals: int = 0) -> str:
    """``1234.56`` → ``1 234,6`` (narrow no-break space, decimal comma); ``—`` if missing."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return "—"
    text = f"{float(x):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return "0" if text in ("-0", "-0,0") else text


def fmt_value(x: float | None, unit: str, with_unit: bool = True) -> str:
    """A value in its unit, the French way: ``83,2 %``, ``1 234``, ``157 pix``."""
    units = load_catalogue().units
    decimals = units.get(unit, {}).get("decimals", 1)
    text = fr_number(x, decimals)
    if not with_unit or text == "—":
        return text
    if unit == "percent":
        return f"{text}\u202f%"
    if unit in ("percent_points",):
        return f"{text}\u202fpoints"
    if unit == "percent_change":
        sign = "+" if x is not None and x > 0 else ""
        return f"{sign}{text}\u202f%"
    if unit == "pix":
        return f"{text}\u202fpix"
    if unit == "trainee_days":
        return f"{text}\u202fj. stagiaires"
    return text


def fmt_interval(lo: float | None, hi: float | None, unit: str) -> str:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"[{fmt_value(lo, unit, False)}\u202f; {fmt_value(hi, unit, False)}]"


def fmt_p_value(p: float | None, relation: bool = False) -> str:
    """A p-value: ``0,012``, ``< 0,001``; ``—`` if missing. ``relation=True`` writes the sign
    of equality too (``= 0,012``), for « p = 0,012 »."""
    if p is None or p is pd.NA or not np.isfinite(float(p)):
        return "—"
    if p < 0.001:
        return "< 0,001"
    return f"= {fr_number(p, 3)}" if relation else fr_number(p, 3)


def fmt_gap_closed(gap: float | None) -> str:
    """« écart comblé : 62 % » (the share of the gap to the objective closed since the
    baseline year); "" when there is none."""
    if gap is None or gap is pd.NA or not np.isfinite(float(gap)):
        return ""
    return f"écart comblé\u00a0: {fr_number(gap)}\u202f%"


def fmt_projection(value: float | None, low: float | None, high: float | None, unit: str,
                   indicative: bool = False) -> str:
    """A projection with its prediction interval, or « (indicatif) » without one; « — » if none."""
    if value is None or value is pd.NA or not np.isfinite(float(value)):
        return "—"
    text = fmt_value(value, unit)
    if indicative or low is None or pd.isna(low):
        return f"{text} (indicatif)"
    return f"{text} {fmt_interval(low, high, unit)}"


def status_phrase(row) -> str:
    """The status in words for prose: « non atteint, en progrès (écart comblé : 62 %) ».

    ``row``: an indicator table row (a Series, a dict or a named tuple).
    """
    def get(key: str):
        return row.get(key) if isinstance(row, (dict, pd.Series)) else getattr(row, key, None)

    text = str(get("status_label")).lower()
    gap = fmt_gap_closed(get("gap_closed")) if get("status") not in ("reached", "secondary", "no_data") else ""
    return f"{text} ({gap})" if gap else text
