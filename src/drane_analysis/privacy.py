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
   columns of a row that add up to another column (girls + boys = pupils), and **across
   the tables published together** — the same breakdown in the reports of the three
   academies and of the region (:func:`protect_linked`, :func:`linked_breakdown`,
   :func:`protect_scopes`, see "linked tables" below);
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
    #: The family the table belongs to (:func:`protect_linked`) and its scope; empty for a
    #: table protected on its own.
    key: str = ""
    scope: str = ""
    #: What the table is, as its reader sees it (for the tests that attack the published
    #: tables): the columns counting persons, whether its rows add up to the scope's total,
    #: its total rows, the sums inside a row and the rates with their numerator and base.
    counts: tuple[str, ...] = ()
    partition: bool = True
    total_rows: np.ndarray | None = None
    sums: tuple = ()
    rates: dict = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return any(mask.any() for mask in self.hidden.values())

    def mask(self, column: str) -> np.ndarray:
        return self.hidden.get(column, np.zeros(len(self.frame), dtype=bool))

    def values(self, column: str) -> pd.Series:
        """The column with hidden cells set to missing (for charts and computations)."""
        _record(self)
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
        _record(self)
        mask = self.mask(column)
        return [self.rules.marker if m else fmt(v) for v, m in zip(self.frame[column], mask, strict=True)]

    def row_hidden(self, column: str = "value") -> np.ndarray:
        return self.mask(column)

    def visible(self, column: str = "value") -> pd.DataFrame:
        """The rows whose ``column`` is published."""
        _record(self)
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
            partition: bool = True, rule: Rules | None = None,
            preset: Mapping[str, np.ndarray] | None = None, key: str = "", scope: str = "") -> Protected:
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
        preset: ``{column: mask}`` cells already hidden by the joint suppression of the
            table's family (:func:`protect_linked`), kept as they are.
        key, scope: the table's family and scope, when it has one (recorded, see
            :class:`recording`).
    """
    rule = rule or rules()
    frame = frame.reset_index(drop=True)
    counts = [c for c in counts if c in frame.columns]
    total_rows = np.zeros(len(frame), dtype=bool) if totals is None else np.asarray(totals, dtype=bool)
    p = Protected(frame, rules=rule, key=key, scope=scope, counts=tuple(counts), partition=partition,
                  total_rows=total_rows, sums=tuple(sums), rates=dict(rates or {}))
    for col, mask in (preset or {}).items():
        if col in frame.columns:
            _hide(p, col, np.asarray(mask, dtype=bool), "linked")
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


#: A breakdown's optional column of the persons its value rests on when neither its numerator
#: nor its denominator counts them (robot-days of a department's robots: its robots deployed,
#: one pupil each): counted as persons, and the value is hidden with it.
PERSONS_COLUMN = "persons"


def protect_breakdown(table: pd.DataFrame, unit: str | None = None, *, persons: bool = True,
                      follow: Mapping[str, str | Sequence[str]] | None = None,
                      rule: Rules | None = None) -> Protected:
    """A breakdown of the library (``label``, ``value``, ``ci_low``, ``ci_high``,
    ``numerator``, ``denominator``): its counts are persons unless ``persons`` is False.

    With the unit ``count`` the value itself is a count; otherwise it is a rate, share or
    mean on the denominator (and the numerator when there is one). A table from a
    :func:`linked_breakdown` function keeps the cells its family's joint suppression hides;
    ``follow`` adds columns hidden with others (as in :func:`protect`).
    """
    rule = rule or rules()
    counts: list[str] = []
    if persons:
        counts = [c for c in ("numerator", "denominator", PERSONS_COLUMN) if c in table and table[c].notna().any()]
        if unit == "count" and "value" in table:
            counts.append("value")
    rates = {}
    if unit != "count" and "value" in table:
        num = "numerator" if "numerator" in table and table["numerator"].notna().any() else None
        base = "denominator" if "denominator" in table else None
        if persons and base is not None:
            rates["value"] = (num, base)
    follow = {**{c: "value" for c in ("ci_low", "ci_high", "share", "share_low", "share_high") if c in table},
              **(follow or {})}
    if persons and PERSONS_COLUMN in table and "value" in table:  # the value rests on these persons
        follow["value"] = (PERSONS_COLUMN, *([follow["value"]] if isinstance(follow.get("value"), str)
                                              else follow.get("value", ())))
    linked = table.attrs.get(DISCLOSURE_ATTR) if persons else None
    preset, key, scope = None, "", ""
    if linked:
        labels = table["label"].astype(str).to_numpy() if "label" in table else np.array([], dtype=object)
        hidden_cells = linked["hidden"]() if callable(linked["hidden"]) else linked["hidden"]
        preset = {col: np.isin(labels, sorted(hidden)) for col, hidden in hidden_cells.items() if col in counts}
        key, scope = linked["key"], linked["scope"]
    return protect(table, counts, rates=rates, follow=follow, rule=rule, preset=preset, key=key, scope=scope)


def published(table: pd.DataFrame, unit: str | None = None, *, persons: bool = True) -> pd.DataFrame:
    """The breakdown with every hidden value set to missing (for sentences and gap tables)."""
    p = protect_breakdown(table, unit, persons=persons)
    out = p.frame.copy()
    for col, mask in p.hidden.items():
        if mask.any():
            out[col] = p.values(col)
    return out


# --------------------------------------------------------------------------- linked tables
#
# A table is rarely published alone. The same count broken down by department is printed in
# the report of each academy and in the region's; the scope's total is printed in the
# headline; the region's row of a group is the sum of the academies' rows. Suppression
# decided table by table lets a hidden cell come back by differencing (Creuse = region −
# Corrèze − Haute-Vienne). So a *family* — one count broken down by one grouping, for every
# scope of one school year — is protected at once: its cells are tied by linear relations
# (each scope's groups add up to its published total; each group's region cell is the sum of
# its academy cells; a row's total column is the sum of its parts), primary and secondary
# suppression run over every relation, and a linear-programming audit checks that no hidden
# cell can be pinned within the threshold from what is published (the attacker's interval
# [min, max] of each hidden cell, every published cell and total known, counts ≥ 0); where
# one could, more cells are hidden until none can.


@dataclass
class Relation:
    """``Σ coef · cell = constant`` over cells of a family (indices into :class:`Linked` cells)."""

    cells: list[int]
    coefs: list[float]
    constant: float


@dataclass
class Linked:
    """Every scope's table of one family, protected together (see :func:`protect_linked`).

    ``tables[scope]`` is the scope's :class:`Protected` (its masks decided jointly);
    ``cells`` lists the count cells (scope, row, column, value), ``hidden`` which are hidden,
    ``relations`` the linear relations an attacker knows. :meth:`ranges` gives, for every
    hidden cell, the interval an attacker can infer.
    """

    key: str
    tables: dict[str, Protected]
    cells: list[tuple[str, int, str, float]]
    hidden: np.ndarray
    relations: list[Relation]
    rules: Rules
    margin: np.ndarray | None = None  # cells of total rows (published margins)

    def __getitem__(self, scope: str) -> Protected:
        return self.tables[scope]

    def ranges(self) -> dict[int, tuple[float, float]]:
        """The attacker's [min, max] of each hidden cell, from the published cells and relations."""
        values = np.array([c[3] for c in self.cells], dtype=float)
        return _feasible_ranges(values, self.hidden, self.relations)

    def exposed(self) -> list[tuple[tuple[str, int, str, float], float, float]]:
        """The hidden cells an attacker can pin within the threshold: (cell, min, max).

        A cell that a published total smaller than the threshold bounds is safe when its
        interval spans that total (the rules publish the scopes' totals as they are).
        """
        caps = _caps(np.zeros(len(self.cells), dtype=bool), self.relations)
        values = np.array([c[3] for c in self.cells], dtype=float)
        everything = np.ones(len(self.cells), dtype=bool) if self.margin is None else ~self.margin
        out = []
        for k, (lo, hi) in self.ranges().items():
            if _safe(lo, hi, self.rules.threshold, caps.get(k, np.inf)):
                continue
            base_lo, base_hi = _feasible_ranges(values, everything, self.relations, only=[k])[k]
            if base_hi - base_lo > hi - lo + 1e-9:  # not what the published totals alone give
                out.append((self.cells[k], lo, hi))
        return out


def _row_key(frame: pd.DataFrame, by: Sequence[str]) -> list[tuple]:
    cols = [frame[b].astype(object).where(frame[b].notna(), "<NA>") for b in by]
    return list(zip(*cols, strict=True)) if cols else [(k,) for k in range(len(frame))]


def _feasible_ranges(values: np.ndarray, hidden: np.ndarray, relations: Sequence[Relation],
                     only: Sequence[int] | None = None) -> dict[int, tuple[float, float]]:
    """For each hidden cell (or those of ``only``), its min and max over non-negative
    solutions of the relations."""
    unknown = np.flatnonzero(hidden)
    if not len(unknown):
        return {}
    pos = {int(c): k for k, c in enumerate(unknown)}
    rows, rhs = [], []
    for rel in relations:
        coefs = np.zeros(len(unknown))
        constant = rel.constant
        touched = False
        for cell, coef in zip(rel.cells, rel.coefs, strict=True):
            if hidden[cell]:
                coefs[pos[cell]] += coef
                touched = True
            else:
                constant -= coef * values[cell]
        if touched:
            rows.append(coefs)
            rhs.append(constant)
    out: dict[int, tuple[float, float]] = {}
    if not rows:
        return {int(c): (0.0, float("inf")) for c in unknown if only is None or int(c) in only}
    from scipy.optimize import linprog

    a_eq, b_eq = np.array(rows), np.array(rhs)
    for cell, k in pos.items():
        if only is not None and cell not in only:
            continue
        objective = np.zeros(len(unknown))
        bounds = []
        for sign in (1.0, -1.0):
            objective[k] = sign
            res = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded
                bounds.append(float("inf") if sign < 0 else 0.0)
            elif res.status != 0:  # infeasible: rounding in the inputs; treat as unknown
                bounds.append(float("nan"))
            else:
                bounds.append(float(res.fun) * sign)
        out[cell] = (bounds[0], bounds[1])
    return out


def _safe(lo: float, hi: float, t: int, cap: float) -> bool:
    """Whether an attacker's interval [lo, hi] keeps a hidden count safe.

    Safe when it spans at least the threshold; when a published total smaller than the
    threshold bounds the cell (``cap``: what the rules publish anyway), when it spans that
    total.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return True  # unbounded, or infeasible because of rounding: nothing pinned
    return hi - lo >= min(t, cap) - 1e-9 and hi - lo > 1e-9


def protect_linked(frames: Mapping[str, pd.DataFrame], by: str | Sequence[str], counts: Iterable[str], *,
                   rates: Mapping[str, tuple[str | None, str | None]] | None = None,
                   follow: Mapping[str, str | Sequence[str]] | None = None,
                   sums: Sequence[tuple[str, Sequence[str]]] = (),
                   totals: str | None = None, partition: bool = True, additive: bool = True,
                   key: str = "", rule: Rules | None = None) -> Linked:
    """Protect the tables of one family — one breakdown, every scope — together.

    Args:
        frames: ``{scope: table}`` for the academies and the region (the tables their
            reports publish, numbers not yet formatted).
        by: the column(s) naming a row (the group): the same group in two scopes is the
            same row of the family.
        counts: columns counting persons.
        rates, follow: as for :func:`protect`, applied to each scope's table afterwards.
        sums: ``(total, parts)`` relations inside a row.
        totals: a boolean column marking each table's total rows (published margins, never
            hidden). Without one, each scope's groups add up to its total published in the
            headline: the sum of its rows is taken as known.
        partition: the rows of a scope add up to its total.
        additive: the region's row of a group is the sum of the academies' rows (a group
            absent from a scope counts 0 there).
        key: the family's name (for the log and the tests).
        rule: the rules (default: ``params/privacy.yaml``).

    Returns:
        A :class:`Linked`: ``linked[scope]`` is that scope's :class:`Protected`.
    """
    from .referential import ACADEMIES, REGION_SCOPE

    rule = rule or rules()
    by = [by] if isinstance(by, str) else list(by)
    frames = {s: f.reset_index(drop=True) for s, f in frames.items()}
    counts = [c for c in dict.fromkeys(counts) if any(c in f.columns for f in frames.values())]
    cells, index, margin = _index_cells(frames, by, counts, totals)
    values = np.array([c[3] for c in cells], dtype=float)
    relations = _linked_relations(frames, by, counts, index, values, margin, sums, totals,
                                  partition, additive, tuple(ACADEMIES), REGION_SCOPE)
    hidden = np.zeros(len(cells), dtype=bool)
    reasons = np.full(len(cells), "", dtype=object)
    small = ~margin & (values < rule.threshold) & (values >= (0 if rule.suppress_zero else 1))
    hidden[small] = True
    reasons[small] = "primary"
    if rule.secondary and hidden.any():
        _linked_secondary(values, hidden, reasons, margin, relations, rule.threshold)
    tables = {scope: _scope_table(frame, scope, cells, hidden, reasons, counts, rates, follow, sums, totals,
                                  partition, key, rule)
              for scope, frame in frames.items()}
    return Linked(key, tables, cells, hidden, relations, rule, margin)


def _total_mask(frame: pd.DataFrame, totals: str | None) -> np.ndarray:
    if totals and totals in frame:
        return frame[totals].fillna(False).astype(bool).to_numpy()
    return np.zeros(len(frame), dtype=bool)


def _index_cells(frames: Mapping[str, pd.DataFrame], by: list[str], counts: list[str], totals: str | None):
    """The count cells of every scope: (scope, row, column, value), their index by (scope,
    row key, column), and which are total rows (published margins)."""
    cells: list[tuple[str, int, str, float]] = []
    index: dict[tuple[str, tuple, str], int] = {}
    margin: list[bool] = []
    for scope, frame in frames.items():
        keys = _row_key(frame, by)
        is_total = _total_mask(frame, totals)
        for col in (c for c in counts if c in frame.columns):
            x = _numbers(frame, col)
            for r in np.flatnonzero(~np.isnan(x)):
                index[(scope, keys[r], col)] = len(cells)
                cells.append((scope, int(r), col, float(x[r])))
                margin.append(bool(is_total[r]))
    return cells, index, np.array(margin, dtype=bool)


def _scope_table(frame, scope, cells, hidden, reasons, counts, rates, follow, sums, totals, partition, key,
                 rule) -> Protected:
    """One scope's :class:`Protected` from the family's hidden cells, with its rates and followers."""
    p = Protected(frame, rules=rule, key=key, scope=scope, counts=tuple(c for c in counts if c in frame),
                  partition=partition, total_rows=_total_mask(frame, totals), sums=tuple(sums),
                  rates=dict(rates or {}))
    for k in np.flatnonzero(hidden):
        s, r, col, _ = cells[k]
        if s == scope:
            mask = np.zeros(len(frame), dtype=bool)
            mask[r] = True
            _hide(p, col, mask, reasons[k])
    _small_bases(p, {k: v for k, v in (rates or {}).items() if k in frame.columns})
    fol = {k: v for k, v in (follow or {}).items() if k in frame.columns}
    for _ in range(3):
        for col, sources_ in fol.items():
            for source in ([sources_] if isinstance(sources_, str) else sources_):
                _hide(p, col, p.mask(source), "follow")
    return p


def _linked_relations(frames, by, counts, index, values, margin, sums, totals, partition, additive,
                      academies, region) -> list[Relation]:
    """The relations an attacker knows, the academies' before the region's (the order in which
    secondary suppression visits them: cells hidden below are reused above)."""
    partitions = _partitions(frames, by, counts, index, values, totals) if partition else {}
    relations = [rel for scope in frames if scope != region for rel in partitions.get(scope, [])]
    relations += _row_sums(index, values, margin, sums)
    if additive and region in frames:
        relations += _scope_sums(index, values, margin, counts, academies, region)
    return relations + partitions.get(region, [])


def _partitions(frames, by, counts, index, values, totals) -> dict[str, list[Relation]]:
    """Each scope's rows add up to its total: a total row, else the headline's (taken as the
    rows' sum, which an attacker knows either way)."""
    out: dict[str, list[Relation]] = {}
    for scope, frame in frames.items():
        keys = _row_key(frame, by)
        is_total = _total_mask(frame, totals)
        for col in counts:
            members = [index[(scope, keys[r], col)] for r in range(len(frame))
                       if not is_total[r] and (scope, keys[r], col) in index]
            if len(members) >= 2:
                out.setdefault(scope, []).append(Relation(members, [1.0] * len(members),
                                                          float(values[members].sum())))
    return out


def _row_sums(index, values, margin, sums) -> list[Relation]:
    """Inside a row, the total column is the sum of its parts."""
    out = []
    for total, parts in sums:
        for (scope, row_key, col), k in index.items():
            if col != total or margin[k]:
                continue
            members = [index[(scope, row_key, p)] for p in parts if (scope, row_key, p) in index]
            if members:
                out.append(Relation([k, *members], [1.0] + [-1.0] * len(members),
                                    float(values[k] - values[members].sum())))
    return out


def _scope_sums(index, values, margin, counts, academies, region) -> list[Relation]:
    """A group's region cell is the sum of its academy cells (a difference, when the region
    holds rows of no academy, is taken as known); a group of the region alone has none."""
    out = []
    for row_key in sorted({k for (s, k, _c) in index if s == region}, key=str):
        for col in counts:
            top = index.get((region, row_key, col))
            if top is None or margin[top]:
                continue
            parts = [index[(a, row_key, col)] for a in academies if (a, row_key, col) in index]
            if parts:
                out.append(Relation([top, *parts], [1.0] + [-1.0] * len(parts),
                                    float(values[top] - values[parts].sum())))
    return out


def _linked_secondary(values: np.ndarray, hidden: np.ndarray, reasons: np.ndarray, margin: np.ndarray,
                      relations: list[Relation], t: int) -> None:
    """Hide more cells until every relation and the linear-programming audit are satisfied."""
    eligible = ~margin
    caps = _caps(margin, relations)
    twins = _twins(relations)
    fixed: set[int] = set()  # exposed cells no further suppression can cover (published totals fix them)
    everything = eligible.copy()  # every cell hidden: what the published totals alone give away
    for _ in range(len(values) + 1):
        _line_rule(values, hidden, reasons, eligible, relations, t, twins)
        exposed = [(cell, lo, hi) for cell, (lo, hi) in _feasible_ranges(values, hidden, relations).items()
                   if cell not in fixed and not _safe(lo, hi, t, caps.get(cell, np.inf))]
        if not exposed:
            return
        cell, lo, hi = min(exposed, key=lambda e: (e[2] - e[1], e[0]))
        base_lo, base_hi = _feasible_ranges(values, everything, relations, only=[cell])[cell]
        if base_hi - base_lo <= hi - lo + 1e-9:  # the totals alone pin it this much: nothing to gain
            fixed.add(cell)
            continue
        candidates = sorted({c for rel in relations if cell in rel.cells for c in rel.cells
                             if eligible[c] and not hidden[c]}, key=lambda c: _cost(c, values, hidden, twins))
        if not candidates:
            fixed.add(cell)
            continue
        hidden[candidates[0]] = True
        reasons[candidates[0]] = "secondary"


@dataclass
class _Links:
    """Which relations each cell is in, and its twins: cells equal to it up to a known
    constant (a department's cell in its academy's table and in the region's)."""

    member_of: dict[int, list[Relation]]
    twins: dict[int, set[int]]


def _twins(relations: list[Relation]) -> _Links:
    member_of: dict[int, list[Relation]] = {}
    twins: dict[int, set[int]] = {}
    for rel in relations:
        for c in rel.cells:
            member_of.setdefault(c, []).append(rel)
        if len(rel.cells) == 2:
            a, b = rel.cells
            twins.setdefault(a, set()).add(b)
            twins.setdefault(b, set()).add(a)
    return _Links(member_of, twins)


def _cost(cell: int, values: np.ndarray, hidden: np.ndarray, links: _Links) -> tuple:
    """Which visible cell to hide first (the smallest tuple).

    First the cell whose other relations all hold a hidden cell already (hiding it opens no
    new relation to protect: no cascade — the region's cell of a column rather than another
    academy's, when the region's row has its hidden cell); then the twin of a hidden cell
    (hiding it discloses nothing new); then the smallest positive cell.
    """
    opened = sum(1 for rel in links.member_of.get(cell, ()) if not any(hidden[c] for c in rel.cells))
    free = any(hidden[t] for t in links.twins.get(cell, ()))
    return (opened, not free, values[cell] <= 0, values[cell], cell)


def _line_rule(values: np.ndarray, hidden: np.ndarray, reasons: np.ndarray, eligible: np.ndarray,
               relations: list[Relation], t: int, twins: _Links) -> None:
    """In every relation with a hidden cell: at least two hidden, adding up to the threshold."""
    changed = True
    while changed:
        changed = False
        for rel in relations:
            members = rel.cells
            h = [c for c in members if hidden[c]]
            if not h:
                continue
            total = float(values[h].sum())
            while len(h) < 2 or total < t:
                visible = [c for c in members if not hidden[c] and eligible[c]]
                if not visible:
                    break
                c = min(visible, key=lambda c: _cost(c, values, hidden, twins))
                hidden[c] = True
                reasons[c] = "secondary"
                h.append(c)
                total += values[c]
                changed = True


def _caps(margin: np.ndarray, relations: list[Relation]) -> dict[int, float]:
    """For each cell, the smallest published total bounding it (a partition's known sum)."""
    caps: dict[int, float] = {}
    for rel in relations:
        if all(c > 0 for c in rel.coefs):  # a partition: Σ cells = constant
            for c in rel.cells:
                caps[c] = min(caps.get(c, np.inf), rel.constant)
    return caps


def protect_scopes(data, key: str, table: Callable[[str], pd.DataFrame], scope: str, counts: Iterable[str],
                   **kwargs) -> Protected:
    """One scope's table, protected together with the same table of every scope.

    ``table(scope)`` builds the table of a scope; ``key`` names the family (include the
    school year); the other arguments are :func:`protect_linked`'s (``by`` defaults to
    ``label``). The family is computed once per data folder (``data.memo``).
    """
    kwargs.setdefault("by", "label")
    by = kwargs.pop("by")
    scopes = tuple(getattr(data, "scopes", ()))
    if scope not in scopes:
        scopes = (scope,)
    linked = data.memo(f"disclosure:{key}", lambda: protect_linked({s: table(s) for s in scopes}, by, counts,
                                                                   key=key, **kwargs))
    return linked[scope]


# --------------------------------------------------------------------------- breakdowns of the targets

#: Where a breakdown table carries the cells its family's joint suppression hides
#: (``frame.attrs``): ``{"key", "scope", "hidden"}``, ``hidden`` giving ``{column: labels}``
#: (or a function returning it, called when needed), read by :func:`protect_breakdown`.
DISCLOSURE_ATTR = "drane_disclosure"


def linked_breakdown(fn: Callable) -> Callable:
    """Decorate a function returning one scope's breakdown table — a target's
    ``breakdown(data, indicator, scope, period, by)``, or any ``f(data, …, scope, …)`` whose
    table has a ``label`` per row — so that its tables of every scope are protected together.

    The decorated function returns the scope's table as before, carrying (in
    ``frame.attrs``) the cells that the joint suppression of the family — the same call for
    the three academies and the region — hides; :func:`protect_breakdown` (every report
    block showing a breakdown) applies them. The family is computed once per data folder
    (``data.memo``). Its counts of persons are the numerator and denominator, and the value
    when the indicator's unit is ``count`` (outside the catalogue: a table with neither
    numerator nor denominator and whole values).
    """
    import functools
    import inspect

    signature = inspect.signature(fn)
    module = fn.__module__.rsplit(".", 1)[-1]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        table = fn(*bound.args, **bound.kwargs)
        data, scope = bound.arguments["data"], bound.arguments["scope"]
        scopes = tuple(getattr(data, "scopes", ()))
        if len(scopes) < 2 or scope not in scopes or "label" not in table:
            return table
        others = {k: v for k, v in bound.arguments.items() if k not in ("data", "scope")}
        key = ":".join([module, fn.__name__, *(f"{v}" for v in others.values())])

        def compute(s: str) -> pd.DataFrame:
            call = signature.bind(**{**bound.arguments, "scope": s})
            return fn(*call.args, **call.kwargs)

        def hidden() -> dict[str, frozenset]:
            """The scope's hidden cells by column (labels), from the family, computed once."""
            family = data.memo(f"disclosure:{key}", lambda: _breakdown_family(
                compute, scopes, str(others.get("indicator", "")), key))
            if family is None:
                return {}
            labels = family[scope].frame["label"].astype(str).to_numpy()
            return {col: frozenset(labels[mask]) for col, mask in family[scope].hidden.items() if mask.any()}

        table = table.copy(deep=False)
        # Resolved only when a table of persons is published (protect_breakdown): a breakdown
        # of establishments, or one only read for a sentence, costs nothing.
        table.attrs[DISCLOSURE_ATTR] = {"key": key, "scope": scope, "hidden": hidden}
        return table

    return wrapper


def _breakdown_family(compute: Callable[[str], pd.DataFrame], scopes: Sequence[str], indicator: str,
                      key: str) -> Linked | None:
    frames = {s: compute(s) for s in scopes}
    if any("label" not in f for f in frames.values()):
        return None
    counts = [c for c in ("numerator", "denominator", PERSONS_COLUMN)
              if any(c in f and f[c].notna().any() for f in frames.values())]
    if _unit_of(indicator, frames) == "count":
        counts.append("value")
    if not counts:
        return None
    return protect_linked(frames, "label", counts, key=key)


def _unit_of(indicator: str, frames: Mapping[str, pd.DataFrame]) -> str | None:
    """The indicator's unit (catalogue); for a breakdown outside it, ``count`` when the table
    has no numerator nor denominator and whole values."""
    from .catalogue import load_catalogue

    try:
        return load_catalogue().indicator(indicator).unit
    except KeyError:
        pass
    for f in frames.values():
        if any(c in f and f[c].notna().any() for c in ("numerator", "denominator")):
            return None
        v = pd.to_numeric(f.get("value", pd.Series(dtype=float)), errors="coerce").dropna()
        if (v != v.round()).any():
            return None
    return "count"


#: Lists receiving every :class:`Protected` table published (formatted, drawn or read for a
#: sentence) while they are installed (:class:`recording`): the tests attack what reports publish.
_RECORDERS: list[list[Protected]] = []


def _record(p: Protected) -> None:
    for recorder in _RECORDERS:
        if not any(q is p for q in recorder):
            recorder.append(p)


class recording:  # noqa: N801 - a context manager, used like a function
    """``with recording() as tables:`` collects every protected table published inside the block."""

    def __enter__(self) -> list[Protected]:
        self.tables: list[Protected] = []
        _RECORDERS.append(self.tables)
        return self.tables

    def __exit__(self, *exc) -> None:
        for k in range(len(_RECORDERS) - 1, -1, -1):
            if _RECORDERS[k] is self.tables:
                del _RECORDERS[k]
                break


__all__ = ["DISCLOSURE_ATTR", "Linked", "Protected", "Rules", "linked_breakdown", "protect", "protect_breakdown",
           "protect_linked", "protect_scopes", "published", "recording", "rules", "share_settings"]
