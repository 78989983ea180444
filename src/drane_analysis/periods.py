"""School years (``2022-2023``) and the dates they hold.

A school year runs from 1 September to 31 August. Objectives written "for 2021" in the
roadmap belong to the school year ending in 2021, ``2020-2021``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

import pandas as pd

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    """A school year, ordered by its first calendar year."""

    start: int

    @classmethod
    def parse(cls, text: str | int | Period) -> Period:
        """Parse ``2022-2023`` (or ``2022``, the back-to-school year)."""
        if isinstance(text, Period):
            return text
        parsed = _parse(text if isinstance(text, str | int) else str(text))  # a hashable key
        return parsed if cls is Period else cls(parsed.start)

    @classmethod
    def of_date(cls, day: date | pd.Timestamp) -> Period:
        return cls(day.year if day.month >= 9 else day.year - 1)

    @property
    def end(self) -> int:
        return self.start + 1

    @property
    def first_day(self) -> date:
        return date(self.start, 9, 1)

    @property
    def last_day(self) -> date:
        return date(self.end, 8, 31)

    @cached_property
    def label(self) -> str:  # kept on the instance (not a field: equality and order unchanged)
        return f"{self.start}-{self.end}"

    def __str__(self) -> str:
        return self.label

    def shift(self, years: int) -> Period:
        return Period(self.start + years)


@lru_cache(maxsize=1024)
def _parse(text: str | int) -> Period:
    """:meth:`Period.parse` of a label, once per label (indicator loops parse the same few)."""
    raw = str(text).strip()
    if re.fullmatch(r"\d{4}", raw):
        return Period(int(raw))
    match = _PERIOD_RE.match(raw)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(
            f"période invalide « {text} » : attendu une année scolaire comme 2022-2023"
        )
    return Period(int(match.group(1)))


def period_of_dates(dates: pd.Series) -> pd.Series:
    """School-year label of each date of a datetime Series (missing stays missing)."""
    years = dates.dt.year.where(dates.dt.month >= 9, dates.dt.year - 1)
    out = years.astype("Int64").astype("string") + "-" + (years + 1).astype("Int64").astype("string")
    return out.astype("string")


def period_range(first: str | Period, last: str | Period) -> list[str]:
    """Every school-year label from ``first`` to ``last`` inclusive."""
    a, b = Period.parse(first), Period.parse(last)
    return [Period(y).label for y in range(a.start, b.start + 1)]


def school_months(period: str | Period) -> list[pd.Timestamp]:
    """The twelve month starts of a school year, September first."""
    p = Period.parse(period)
    return list(pd.date_range(f"{p.start}-09-01", periods=12, freq="MS"))
