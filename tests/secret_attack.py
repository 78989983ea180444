"""Attack what the reports publish: can a hidden cell be recovered from the published tables?

Used by ``tests/integration/test_secret_attack.py``. The reports of a target are run in this
process for every scope of one school year (the notebook's own code cells, figures not
drawn), every protected table they publish is collected (:class:`drane_analysis.privacy.recording`),
and, as an attacker would, the tables are put together:

- the same family (one count by one grouping, one school year) published for the three
  academies and the region: for each group, the region's cell is the sum of the academies'
  cells (a group absent from a table counts 0 there);
- each table's rows add up to the scope's total, published in the headline (taken as known);
- inside a row, a total column is the sum of its parts when the table says so;
- a rate shown with its published base gives its numerator back (so a hidden numerator
  next to a shown rate and base is not hidden at all).

For each hidden count, linear programming gives the interval of values compatible with all
of that (counts ≥ 0): the cell is *recovered* when the interval is narrower than the
threshold (or, when a published total under the threshold bounds it, than that total), and
narrower than what the published totals alone allow (the rules publish every scope's total:
a group present in the region only, or alone in its academy, is given by the totals
themselves, whatever the tables hide).
This code is written apart from the library's suppression (:mod:`drane_analysis.privacy`):
it knows only what a reader of the reports knows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from drane_analysis import referential

ACADEMIES = tuple(referential.ACADEMIES)
REGION = referential.REGION_SCOPE


@dataclass(frozen=True)
class Cell:
    key: str        # family
    scope: str
    row: str        # the row's label
    column: str
    value: float
    hidden: bool
    total_row: bool


@dataclass(frozen=True)
class Finding:
    cell: Cell
    low: float
    high: float

    def __str__(self) -> str:
        c = self.cell
        return (f"{c.key} [{c.scope}] « {c.row} » / {c.column} = {c.value:g} : l'attaquant le situe dans "
                f"[{self.low:g} ; {self.high:g}]")


def run_reports(target_notebook: Path, period: str, data_dir: Path, scopes: Iterable[str] = referential.SCOPES,
                data=None) -> list:
    """Run a notebook's code for each scope of ``period`` in this process; the tables it published.

    Figures are not drawn (their numbers come from the same protected tables); the data
    folder is loaded once for every scope (``data``: a shared :class:`~drane_analysis.data.Data`),
    and the target's series (``compute(data)``, the same for every scope and school year) are
    computed once for that Data: each report starts from a copy of them.
    """
    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from drane_analysis import privacy, render, report
    from drane_analysis.data import Data

    shared = data or Data(data_dir)
    nb = json.loads(target_notebook.read_text(encoding="utf-8"))
    cells = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"])
             for c in nb["cells"] if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", [])]
    saved = (IPython.display.display, render.figure_html, report.Data, report.module_for)

    def no_figure(fig, alt, caption=None, **_downloads):
        plt.close(fig)
        return ""

    IPython.display.display = lambda *a, **k: None
    render.figure_html = no_figure
    report.Data = lambda d="": shared
    report.module_for = lambda target: _SeriesOnce(saved[3](target))
    published: list = []
    try:
        with privacy.recording() as tables:
            for scope in scopes:
                ns = {"academy": scope, "period": period, "data_dir": str(data_dir), "display": lambda *a, **k: None}
                for k, src in enumerate(cells):
                    exec(compile(src, f"{target_notebook.name}[{k}]", "exec"), ns)  # noqa: S102
                plt.close("all")
        published = list(tables)
    finally:
        IPython.display.display, render.figure_html, report.Data, report.module_for = saved
    return published


class _SeriesOnce:
    """A target module whose ``compute(data)`` runs once per Data (kept in its memo)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        return getattr(self._module, name)

    def compute(self, data):
        return data.memo(f"secret-attack-series:{self._module.__name__}", lambda: self._module.compute(data)).copy()


def attack(tables: list, threshold: int) -> list[Finding]:
    """Every hidden count an attacker can pin down from ``tables`` (published together)."""
    cells, relations = _system(tables)
    findings = _rate_findings(tables)
    values = np.array([c.value for c in cells], dtype=float)
    hidden = np.array([c.hidden for c in cells], dtype=bool)
    caps = _caps(relations, len(cells))
    totals_only = np.array([not c.total_row for c in cells], dtype=bool)  # every count hidden
    for k, (lo, hi) in _ranges(values, hidden, relations).items():
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue
        if hi - lo < min(threshold, caps[k]) - 1e-9 or hi - lo <= 1e-9:
            # what the published totals alone give away (the Région = region − academies among
            # authorities, a department alone in its academy) is the rules' choice to publish
            # totals, not a failure of suppression
            base_lo, base_hi = _ranges(values, totals_only, relations, only=k)[k]
            if base_hi - base_lo > hi - lo + 1e-9:
                findings.append(Finding(cells[k], lo, hi))
    return findings


def _tables_by_family(tables: list) -> dict[str, dict[str, object]]:
    families: dict[str, dict[str, object]] = {}
    for k, p in enumerate(tables):
        key = p.key or f"table-{k}"
        families.setdefault(key, {}).setdefault(p.scope or "?", p)
    return families


def _system(tables: list) -> tuple[list[Cell], list[tuple[list[int], list[float], float]]]:
    """The published count cells and the linear relations a reader knows between them."""
    cells: list[Cell] = []
    relations: list[tuple[list[int], list[float], float]] = []
    for key, by_scope in _tables_by_family(tables).items():
        where: dict[tuple[str, str, str], int] = {}
        for scope, p in by_scope.items():
            relations += _table_relations(key, scope, p, cells, where)
        if REGION in by_scope and any(a in by_scope for a in ACADEMIES):
            relations += _scope_relations(cells, where)
    return cells, relations


def _labels(frame: pd.DataFrame) -> list[str]:
    return frame["label"].astype(str).tolist() if "label" in frame else [str(i) for i in range(len(frame))]


def _table_relations(key: str, scope: str, p, cells: list[Cell], where: dict) -> list:
    """One table's count cells (appended to ``cells``) and its relations: the rows add up to
    the scope's total (a total row, or the headline's); a row's total column is the sum of
    its parts when the table says so."""
    frame, labels = p.frame, _labels(p.frame)
    totals = np.asarray(p.total_rows, dtype=bool) if p.total_rows is not None else np.zeros(len(frame), dtype=bool)
    relations = []
    for column in p.counts:
        x = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
        mask = p.mask(column)
        members = []
        for r in np.flatnonzero(~np.isnan(x)):
            where[(scope, labels[r], column)] = len(cells)
            cells.append(Cell(key, scope, labels[r], column, float(x[r]), bool(mask[r]), bool(totals[r])))
            if not totals[r]:
                members.append(len(cells) - 1)
        if p.partition and members:
            relations.append((members, [1.0] * len(members), float(x[~totals & ~np.isnan(x)].sum())))
    for total, parts in p.sums:
        for label in labels:
            top = where.get((scope, label, total))
            ks = [where[(scope, label, c)] for c in parts if (scope, label, c) in where]
            if top is not None and ks:
                relations.append(([top, *ks], [1.0] + [-1.0] * len(ks),
                                  cells[top].value - sum(cells[k].value for k in ks)))
    return relations


def _scope_relations(cells: list[Cell], where: dict) -> list:
    """The region's row of a group is the sum of the academies' rows (a group absent from an
    academy's table counts 0 there; a group of the region alone, the Région among
    authorities, has no such relation)."""
    relations = []
    for (scope, label, column), top in list(where.items()):
        if scope != REGION or cells[top].total_row:
            continue
        parts = [where[(a, label, column)] for a in ACADEMIES if (a, label, column) in where]
        if parts:
            relations.append(([top, *parts], [1.0] + [-1.0] * len(parts),
                              cells[top].value - sum(cells[k].value for k in parts)))
    return relations


def _rate_findings(tables: list) -> list[Finding]:
    """A rate shown with its base shown gives its numerator back (and a rate with its numerator, its base)."""
    out = []
    for p in tables:
        frame = p.frame
        labels = frame["label"].astype(str).tolist() if "label" in frame else [str(i) for i in range(len(frame))]
        for rate, (num, base) in p.rates.items():
            if num is None or base is None or num not in frame or base not in frame:
                continue
            shown_rate = ~p.mask(rate)
            for r in range(len(frame)):
                if not shown_rate[r] or pd.isna(frame[rate].iloc[r]):
                    continue
                for hidden_col, known_col in ((num, base), (base, num)):
                    if p.mask(hidden_col)[r] and not p.mask(known_col)[r] and hidden_col in p.counts:
                        v = float(frame[hidden_col].iloc[r])
                        out.append(Finding(Cell(p.key, p.scope, labels[r], hidden_col, v, True, False), v, v))
    return out


def _caps(relations, n: int) -> np.ndarray:
    caps = np.full(n, np.inf)
    for members, coefs, constant in relations:
        if all(c > 0 for c in coefs):
            for k in members:
                caps[k] = min(caps[k], constant)
    return caps


def _ranges(values: np.ndarray, hidden: np.ndarray, relations, only: int | None = None) -> dict[int, tuple[float, float]]:
    unknown = np.flatnonzero(hidden)
    if not len(unknown):
        return {}
    pos = {int(c): k for k, c in enumerate(unknown)}
    rows, rhs = [], []
    for members, coefs, constant in relations:
        row = np.zeros(len(unknown))
        c = constant
        touched = False
        for k, a in zip(members, coefs, strict=True):
            if hidden[k]:
                row[pos[k]] += a
                touched = True
            else:
                c -= a * values[k]
        if touched:
            rows.append(row)
            rhs.append(c)
    if not rows:
        return {}
    a_eq, b_eq = np.array(rows), np.array(rhs)
    out = {}
    for cell, k in pos.items():
        if only is not None and cell != only:
            continue
        bounds = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(unknown))
            objective[k] = sign
            res = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            bounds.append(float(res.fun) * sign if res.status == 0 else (np.inf if res.status == 3 else np.nan))
        out[cell] = (bounds[0], bounds[1])
    return out
