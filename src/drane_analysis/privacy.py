"""Statistical disclosure control: no small count of persons in anything published.

Every table and chart of a report goes through :func:`protect` before it is formatted::

    p = protect(table, counts=["numerator", "denominator"],
                rates={"value": ("numerator", "denominator")}, follow={"ci_low": "value", "ci_high": "value"})
    out = pd.DataFrame({"Élèves": p.text("denominator", fr_number),
                        "Taux": p.text("value", lambda v: fmt_value(v, "percent"))})
    display(html_table(out) + p.note_html())

Three rules, set in ``params/privacy.yaml`` (``disclosure``):

1. **primary suppression**: a count of persons under the threshold (default 5) is hidden;
2. **secondary suppression**: the groups of a breakdown add up to the scope's total, which
   is published (headline, exports): when one group is hidden, the smallest other groups
   are hidden too, until at least two are and the hidden ones add up to the threshold, so
   that no hidden count can be recomputed by subtraction. The same holds across the
   columns of a row that add up to another column (girls + boys = pupils);
3. **small bases**: a rate, share or mean computed on fewer persons than ``min_base``, or
   whose numerator or base is hidden, is not shown, nor its interval.

A hidden cell shows the marker ``s`` (*secret statistique*) and the table gets a note
saying why. Which columns count persons is the caller's knowledge (a count of
establishments is public and is never hidden); the report helpers of :mod:`.report` treat
the numerators and denominators of every breakdown as counts of persons.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .paths import params_dir


@dataclass(frozen=True)
class Rules:
    """The disclosure rules of ``params/privacy.yaml``."""

    threshold: int = 5
    suppress_zero: bool = False
    min_base: int = 5
    marker: str = "s"
    legend: str = ""
    secondary: bool = True


def rules() -> Rules:
    """The rules in force (``params/privacy.yaml``, re-read when the file changes)."""
    path = params_dir() / "privacy.yaml"
    return _read_rules(path, path.stat().st_mtime_ns if path.is_file() else 0)


@lru_cache(maxsize=4)
def _read_rules(path: Path, _mtime: int) -> Rules:
    if not path.is_file():
        return Rules()
    with path.open(encoding="utf-8") as fh:
        raw = (yaml.safe_load(fh) or {}).get("disclosure", {})
    known = {k: raw[k] for k in Rules.__dataclass_fields__ if k in raw}
    rules_ = Rules(**known)
    if rules_.threshold < 1 or rules_.min_base < 1:
        raise ValueError("params/privacy.yaml : « threshold » et « min_base » doivent valoir au moins 1")
    return rules_


def share_settings() -> dict:
    """The ``share`` section of ``params/privacy.yaml`` (partner-lab bundles)."""
    path = params_dir() / "privacy.yaml"
    with path.open(encoding="utf-8") as fh:
        return (yaml.safe_load(fh) or {}).get("share", {})


# --------------------------------------------------------------------------- the mechanism


@dataclass
class Protected:
    """A table and which of its cells may not be published.

    ``hidden[column]`` is a boolean array aligned with the table's rows; ``reasons`` says
    for each hidden cell whether it is ``primary``, ``secondary`` or a ``rate`` on a small
    base (for tests and for the log, never shown).
    """

    frame: pd.DataFrame
    hidden: dict[str, np.ndarray] = field(default_factory=dict)
    reasons: dict[str, np.ndarray] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)

    @property
    def any(self) -> bool:
        return any(mask.any() for mask in self.hidden.values())

    def mask(self, column: str) -> np.ndarray:
        return self.hidden.get(column, np.zeros(len(self.frame), dtype=bool))

    def values(self, column: str) -> pd.Series:
        """The column with hidden cells set to missing (for charts and computations)."""
        col = self.frame[column]
        mask = self.mask(column)
        if not mask.any():
            return col
        out = col.astype("Float64") if pd.api.types.is_numeric_dtype(col) else col.astype(object)
        out = out.copy()
        out[mask] = pd.NA if isinstance(out.dtype, pd.Float64Dtype) else None
        return out

    def text(self, column: str, fmt: Callable[[object], str]) -> list[str]:
        """The column formatted with ``fmt``, the marker where a cell is hidden."""
        mask = self.mask(column)
        return [self.rules.marker if m else fmt(v) for v, m in zip(self.frame[column], mask, strict=True)]

    def row_hidden(self, column: str = "value") -> np.ndarray:
        return self.mask(column)

    def visible(self, column: str = "value") -> pd.DataFrame:
        """The rows whose ``column`` is published."""
        return self.frame.loc[~self.mask(column)]

    def note(self) -> str:
        """The legend to print under the table (empty when nothing is hidden)."""
        return " ".join(self.rules.legend.split()) if self.any else ""

    def note_html(self) -> str:
        text = self.note()
        return f'<p class="drane-secret">{html.escape(text)}</p>' if text else ""


def _hide(p: Protected, column: str, mask: np.ndarray, reason: str) -> bool:
    """Hide the cells of ``mask``; True if anything new was hidden."""
    current = p.hidden.setdefault(column, np.zeros(len(p.frame), dtype=bool))
    new = mask & ~current
    if not new.any():
        return False
    current |= new
    why = p.reasons.setdefault(column, np.full(len(p.frame), "", dtype=object))
    why[new] = reason
    return True


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()


def protect(frame: pd.DataFrame, counts: Iterable[str] = (), *,
            rates: Mapping[str, tuple[str | None, str | None]] | None = None,
            follow: Mapping[str, str | Sequence[str]] | None = None,
            sums: Sequence[tuple[str, Sequence[str]]] = (),
            totals: Sequence[bool] | np.ndarray | None = None,
            partition: bool = True, rule: Rules | None = None) -> Protected:
    """Decide which cells of ``frame`` may be published (see the module documentation).

    Args:
        frame: the table, one row per group (numbers, not yet formatted).
        counts: columns counting persons: primary and secondary suppression.
        rates: ``{column: (numerator, base)}`` for rates, shares and means: hidden when
            the base is under ``min_base`` or hidden, or the numerator hidden (numerator
            None for a mean). The base may be a column not in ``counts`` (it is then only
            compared with ``min_base``).
        follow: ``{column: other}`` or ``{column: (other, …)}``: hidden wherever one of the
            others is (intervals, differences, derived values).
        sums: ``(total, parts)`` relations inside a row (``("pupils", ["girls", "boys"])``).
        totals: which rows are totals (outside the partition).
        partition: the non-total rows of each count column add up to a published total
            (a breakdown of the scope): secondary suppression down the columns.
        rule: the rules (default: ``params/privacy.yaml``).
    """
    rule = rule or rules()
    frame = frame.reset_index(drop=True)
    p = Protected(frame, rules=rule)
    counts = [c for c in counts if c in frame.columns]
    total_rows = np.zeros(len(frame), dtype=bool) if totals is None else np.asarray(totals, dtype=bool)
    _primary(p, counts)
    if rule.secondary:
        _secondary(p, counts if partition else [], ~total_rows, sums)
    _small_bases(p, {k: v for k, v in (rates or {}).items() if k in frame.columns})
    follow = {k: v for k, v in (follow or {}).items() if k in frame.columns}
    for _ in range(3):  # a follower may follow a follower
        for col, sources_ in follow.items():
            for source in ([sources_] if isinstance(sources_, str) else sources_):
                _hide(p, col, p.mask(source), "follow")
    return p


def _primary(p: Protected, counts: list[str]) -> None:
    rule = p.rules
    for col in counts:
        x = _numbers(p.frame, col)
        known = ~np.isnan(x)
        small = known & (np.nan_to_num(x, nan=0) < rule.threshold)
        if not rule.suppress_zero:
            small &= np.nan_to_num(x, nan=0) >= 1
        _hide(p, col, small, "primary")


def _secondary(p: Protected, columns: list[str], members: np.ndarray,
               sums: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Down the columns (a partition of the scope) and across the rows' sums, until stable."""
    t = p.rules.threshold
    changed = True
    while changed:
        changed = False
        for col in columns:
            changed |= _secondary_column(p, col, members, t)
        for total, parts in sums:
            if total in p.frame.columns:
                changed |= _secondary_row(p, total, [c for c in parts if c in p.frame.columns], t)


def _small_bases(p: Protected, rates: Mapping[str, tuple[str | None, str | None]]) -> None:
    for col, (num, base) in rates.items():
        mask = np.zeros(len(p.frame), dtype=bool)
        if base is not None and base in p.frame.columns:
            b = _numbers(p.frame, base)
            mask |= (np.nan_to_num(b, nan=np.inf) < p.rules.min_base)
            mask |= p.mask(base)
        if num is not None and num in p.frame.columns:
            mask |= p.mask(num)
        _hide(p, col, mask, "rate")


def _secondary_column(p: Protected, col: str, members: np.ndarray, t: int) -> bool:
    """Hide more cells of ``col`` among ``members`` until the hidden ones are safe."""
    x = _numbers(p.frame, col)
    known = members & ~np.isnan(x)
    return _complete(p, col, np.flatnonzero(known), x, t)


def _secondary_row(p: Protected, total: str, parts: list[str], t: int) -> bool:
    """Row by row: ``total`` = sum of ``parts``; hide more parts when one cell is hidden."""
    changed = False
    cols = [total, *parts]
    for row in range(len(p.frame)):
        values = np.array([_numbers(p.frame, c)[row] for c in cols])
        hidden = np.array([p.mask(c)[row] for c in cols])
        if not hidden.any() or np.isnan(values).any():
            continue
        # Treat the cells of the row as a one-row partition of the total.
        order = [k for k in range(len(cols)) if not hidden[k]]
        n_hidden = int(hidden.sum())
        total_hidden = float(values[hidden].sum())
        while order and (n_hidden < 2 or total_hidden < t):
            # the smallest positive visible part first (never the total when a part will do)
            candidates = sorted(order, key=lambda k: (k == 0, values[k] <= 0, values[k]))
            k = candidates[0]
            order.remove(k)
            mask = np.zeros(len(p.frame), dtype=bool)
            mask[row] = True
            changed |= _hide(p, cols[k], mask, "secondary")
            n_hidden += 1
            total_hidden += values[k]
    return changed


def _complete(p: Protected, col: str, rows: np.ndarray, x: np.ndarray, t: int) -> bool:
    """Hide the smallest visible cells of ``rows`` until two are hidden adding up to ``t``."""
    hidden = p.mask(col)
    in_group = hidden[rows]
    if not in_group.any():
        return False
    n_hidden = int(in_group.sum())
    total_hidden = float(np.nansum(x[rows][in_group]))
    visible = [r for r in rows if not hidden[r]]
    changed = False
    while visible and (n_hidden < 2 or total_hidden < t):
        visible.sort(key=lambda r: (x[r] <= 0, x[r]))
        r = visible.pop(0)
        mask = np.zeros(len(p.frame), dtype=bool)
        mask[r] = True
        changed |= _hide(p, col, mask, "secondary")
        n_hidden += 1
        total_hidden += x[r]
    return changed


# --------------------------------------------------------------------------- breakdown tables


def protect_breakdown(table: pd.DataFrame, unit: str | None = None, *, persons: bool = True,
                      rule: Rules | None = None) -> Protected:
    """A breakdown of the library (``label``, ``value``, ``ci_low``, ``ci_high``,
    ``numerator``, ``denominator``): its counts are persons unless ``persons`` is False.

    With the unit ``count`` the value itself is a count; otherwise it is a rate, share or
    mean on the denominator (and the numerator when there is one).
    """
    rule = rule or rules()
    counts: list[str] = []
    if persons:
        counts = [c for c in ("numerator", "denominator") if c in table and table[c].notna().any()]
        if unit == "count" and "value" in table:
            counts.append("value")
    rates = {}
    if unit != "count" and "value" in table:
        num = "numerator" if "numerator" in table and table["numerator"].notna().any() else None
        base = "denominator" if "denominator" in table else None
        if persons and base is not None:
            rates["value"] = (num, base)
    follow = {c: "value" for c in ("ci_low", "ci_high", "share", "share_low", "share_high") if c in table}
    return protect(table, counts, rates=rates, follow=follow, rule=rule)


def published(table: pd.DataFrame, unit: str | None = None, *, persons: bool = True) -> pd.DataFrame:
    """The breakdown with every hidden value set to missing (for sentences and gap tables)."""
    p = protect_breakdown(table, unit, persons=persons)
    out = p.frame.copy()
    for col, mask in p.hidden.items():
        if mask.any():
            out[col] = p.values(col)
    return out


__all__ = ["Protected", "Rules", "protect", "protect_breakdown", "published", "rules", "share_settings"]
