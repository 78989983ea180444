"""Coverage of the joins between sources: how much of its population an indicator is computed on.

Joining two sources loses the rows that find no partner: certifications of establishments
missing from the enrolment files, ENT accounts of UAIs unknown to the annuaire,
establishments without IPS, relays covering an establishment outside the universe… The
indicator is computed on what matched and says how much, never silently: each series row
carries

- ``coverage``: the share (%) of the units or persons the indicator was expected to cover
  that the join kept (100 when nothing was lost; missing when no join is measured);
- ``coverage_note``: the French sentence with its figures, e.g. « taux calculé sur 52 % des
  élèves certifiés : 143 établissements absents des fichiers d'effectifs de l'année (6 824
  élèves certifiés) » (empty when nothing was lost).

A target module describes each join as a frame of what it should cover, one row per unit
(establishment and school year…): ``academy``, ``period``, the unit, optionally a weight
(persons), and ``lost``: empty for a unit kept, else the code of the reason it was lost::

    cov = coverage.measure(frame, REASONS, whom="élève{s} certifié{s}", weight="certified",
                           scopes=data.scopes)
    series = coverage.attach(series, "pix_certification_rate_3e", cov)

Two joins behind one indicator (its numerator's and its denominator's) are put together
with :func:`combine`: the lower coverage, both sentences. :func:`.indicators.evaluate`
carries the two columns to the indicator table and, below the minimum of
``params/coverage.yaml``, withholds the status (:func:`withhold`): the value is still shown,
with its coverage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import referential
from .paths import params_dir

COLUMNS = ("coverage", "coverage_note")
#: The status given instead of the rule's when the coverage is below the minimum.
WITHHELD = "withheld"
#: Statuses that judge nothing against an objective: never withheld.
NOT_WITHHELD = frozenset({"no_data", "no_objective"})
KEPT = ""
"""The ``lost`` value of a unit the join kept."""


@dataclass(frozen=True)
class Rules:
    """``params/coverage.yaml``: the minimum coverage for a status, and its rule in French."""

    min_coverage: float = 95.0
    rule: str = ""

    @property
    def rule_text(self) -> str:
        """The rule with the threshold written in (« … Sous 95 % de couverture … »)."""
        return " ".join(self.rule.split()).replace("{seuil}", f"{_fr(self.min_coverage, 0)}\u202f%")


def rules() -> Rules:
    """The rules in force (``params/coverage.yaml``, re-read when the file changes)."""
    path = params_dir() / "coverage.yaml"
    return _read_rules(path, path.stat().st_mtime_ns if path.is_file() else 0)


@lru_cache(maxsize=4)
def _read_rules(path: Path, _mtime: int) -> Rules:
    if not path.is_file():
        return Rules()
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    value = raw.get("min_coverage", Rules.min_coverage)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise ValueError(f"params/coverage.yaml, « min_coverage » : attendu un pourcentage entre 0 et 100, "
                         f"trouvé « {value} »")
    return Rules(min_coverage=float(value), rule=str(raw.get("rule", "")))


def withhold(status: str, coverage: float | None, min_coverage: float | None = None) -> str:
    """``status``, or :data:`WITHHELD` when ``coverage`` (%) is below the minimum.

    A missing coverage (no join measured) and the statuses that judge nothing
    (``no_data``, ``no_objective``) are left as they are.
    """
    if status in NOT_WITHHELD or coverage is None or pd.isna(coverage):
        return status
    minimum = rules().min_coverage if min_coverage is None else min_coverage
    return WITHHELD if float(coverage) < minimum else status


# --------------------------------------------------------------------------- measuring


def measure(frame: pd.DataFrame, reasons: Mapping[str, str], *, whom: str, weight: str | None = None,
            unit: str = "uai", subject: str = "taux calculé",
            scopes: Iterable[str] = referential.SCOPES) -> pd.DataFrame:
    """The coverage of one join, per scope and school year.

    Args:
        frame: what the indicator should cover, one row per unit and school year, with
            ``academy``, ``period``, ``unit``, ``lost`` (:data:`KEPT` for a unit kept, else
            a key of ``reasons``) and, with ``weight``, the persons of each unit.
        reasons: French phrase of each reason, after the number of units; ``{s}`` takes the
            plural's « s » (« établissement{s} absent{s} de l'annuaire »).
        whom: what the coverage counts, with its ``{s}`` marks (« élève{s} certifié{s} »,
            « compte{s} parent{s} chargé{s} »; with ``weight=None``, the units).
        weight: the column of persons (None: the share of units).
        unit: the column naming a unit (units are counted distinct per reason).
        subject: the start of the sentence (« taux calculé », « score moyen calculé »).
        scopes: the scopes to compute (``data.scopes``); the region is the three academies.

    Returns:
        One row per (scope, period) of ``frame``: ``academy`` (the scope), ``period``,
        ``total`` and ``kept`` (persons, or units), ``coverage`` (%, NaN when ``total`` is
        0) and ``coverage_note`` (empty when nothing was lost).
    """
    cols = ["academy", "period", "total", "kept", "coverage", "coverage_note"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    unknown = sorted(set(frame["lost"].dropna()) - set(reasons) - {KEPT})
    if unknown:
        raise ValueError(f"raison de perte sans libellé : {unknown}")
    lost = frame["lost"].fillna(KEPT).astype(str)
    persons = (frame[weight].astype(float).fillna(0.0) if weight else pd.Series(1.0, index=frame.index))
    work = pd.DataFrame({"academy": frame["academy"], "period": frame["period"], "unit": frame[unit],
                         "lost": lost, "persons": persons})
    rows = []
    for scope in scopes:
        part = work[work["academy"].isin(list(referential.ACADEMIES))] if scope == referential.REGION_SCOPE \
            else work[work["academy"] == scope]
        for period, cur in part.groupby("period", sort=True, observed=True):
            total = float(cur["persons"].sum())
            kept = float(cur.loc[cur["lost"] == KEPT, "persons"].sum())
            losses = []
            for code, phrase in reasons.items():
                gone = cur[cur["lost"] == code]
                if gone.empty:
                    continue
                losses.append((int(gone["unit"].nunique()), phrase, float(gone["persons"].sum())))
            rows.append({"academy": scope, "period": period, "total": total, "kept": kept,
                         **fields(kept, total, losses, whom=whom, weighted=weight is not None, subject=subject)})
    return pd.DataFrame(rows, columns=cols)


def fields(kept: float, total: float, losses: list[tuple[int, str, float]], *, whom: str, weighted: bool = True,
           subject: str = "taux calculé") -> dict:
    """``coverage`` and ``coverage_note`` from what a join kept and lost.

    ``losses``: (units, phrase with ``{s}``, persons) per reason; ``whom`` has its ``{s}``
    marks too. The note is empty when nothing was lost; the coverage NaN when there was
    nothing to cover.
    """
    if total <= 0:
        return {"coverage": np.nan, "coverage_note": ""}
    share = kept / total * 100
    if not losses:
        return {"coverage": share, "coverage_note": ""}
    parts = []
    for units, phrase, persons in losses:
        text = f"{_fr(units, 0)} {plural(phrase, units)}"
        if weighted:
            text += f" ({_fr(persons, 0)} {plural(whom, persons)})"
        parts.append(text)
    return {"coverage": share,
            "coverage_note": f"{subject} sur {format_share(share)} des {plural(whom, 2)} : " + " ; ".join(parts)}


def plural(words: str, count: float) -> str:
    """``words`` with its ``{s}`` marks written for ``count`` (« s » from 2 on, the French rule)."""
    return words.replace("{s}", "s" if count >= 2 else "")


def combine(*measures: pd.DataFrame) -> pd.DataFrame:
    """Several joins behind one indicator: the lowest coverage, their sentences joined.

    Each argument is a :func:`measure` frame; rows are matched on (academy, period).
    """
    frames = [m for m in measures if m is not None and not m.empty]
    if not frames:
        return pd.DataFrame(columns=["academy", "period", "coverage", "coverage_note"])
    merged: dict[tuple[str, str], dict] = {}
    for m in frames:
        for rec in m.itertuples(index=False):
            key = (rec.academy, rec.period)
            cur = merged.setdefault(key, {"academy": rec.academy, "period": rec.period, "coverage": np.nan,
                                          "notes": []})
            if pd.notna(rec.coverage):
                cur["coverage"] = rec.coverage if pd.isna(cur["coverage"]) else min(cur["coverage"], rec.coverage)
            if rec.coverage_note:
                cur["notes"].append(rec.coverage_note)
    rows = [{"academy": v["academy"], "period": v["period"], "coverage": v["coverage"],
             "coverage_note": " ; ".join(v["notes"])} for v in merged.values()]
    return pd.DataFrame(rows, columns=["academy", "period", "coverage", "coverage_note"])


def attach(series: pd.DataFrame, indicator: str, cov: pd.DataFrame, target: str | None = None) -> pd.DataFrame:
    """``series`` with the coverage of ``indicator``'s rows set from ``cov`` (by scope and year).

    Rows of other indicators, and rows without a match in ``cov``, are left unchanged. With
    ``target``, a scope and year that ``cov`` measures but the series lacks (the join kept
    nothing: no value could be computed) gets a row of its own, with no value and the
    coverage note, rather than no word.
    """
    out = series.copy()
    for col, empty in (("coverage", np.nan), ("coverage_note", "")):
        if col not in out:
            out[col] = empty
    if cov is None or cov.empty:
        return out
    lookup = {(a, p): (c, n) for a, p, c, n in zip(cov["academy"], cov["period"], cov["coverage"],
                                                    cov["coverage_note"], strict=True)}
    mine = (out["indicator"] == indicator).to_numpy()
    keys = list(zip(out.loc[mine, "academy"], out.loc[mine, "period"], strict=True))
    seen = set(keys)
    found = [key in lookup for key in keys]
    rows = out.index[mine][found]
    out.loc[rows, "coverage"] = [lookup[k][0] for k, f in zip(keys, found, strict=True) if f]
    out.loc[rows, "coverage_note"] = [lookup[k][1] for k, f in zip(keys, found, strict=True) if f]
    if target is not None:
        extra = [{"target": target, "indicator": indicator, "academy": a, "period": p, "value": np.nan,
                  "note": "", "coverage": c, "coverage_note": n}
                 for (a, p), (c, n) in lookup.items() if (a, p) not in seen and n]
        if extra:
            out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    return out


#: The ``lost`` code of the units of an academy absent from a per-academy export.
ACADEMY_MISSING = "academy_missing"


def academies_missing(units: pd.DataFrame, present: Iterable[tuple[str, str]], export: str, *, whom: str,
                      weight: str | None = None, subject: str = "taux calculé",
                      scopes: Iterable[str] = referential.SCOPES) -> pd.DataFrame:
    """Coverage of an export made academy by academy (one file or folder each).

    ``units``: what the indicator should cover (``academy``, ``period``, ``weight``);
    ``present``: the (academy, period) pairs the export holds rows for. The units of an
    academy absent from the export that year are lost (« 1 académie absente de l'export Pix
    Certif de l'année »): the region would otherwise be computed on the two others, or the
    academy's own value read 0, without a word. ``export`` names the export with its
    preposition (« de l'export Pix Certif », « des exports ENT »).
    """
    keys = set(present)
    frame = units.assign(lost=[KEPT if (a, p) in keys else ACADEMY_MISSING
                               for a, p in zip(units["academy"], units["period"], strict=True)])
    return measure(frame, {ACADEMY_MISSING: f"académie{{s}} absente{{s}} {export} de l'année"}, whom=whom,
                   weight=weight, unit="academy", subject=subject, scopes=scopes)


def academy_units(periods: Iterable[str]) -> pd.DataFrame:
    """One unit per academy of the region and school year (``academy``, ``period``)."""
    rows = [(a, p) for p in periods for a in referential.ACADEMIES]
    return pd.DataFrame(rows, columns=["academy", "period"])


def academy_of_uai(uai: pd.Series) -> pd.Series:
    """The academy of each UAI from its department digits (missing outside the region)."""
    return uai.map(lambda u: referential.academy_of_department(referential.department_of_uai(u))
                   if isinstance(u, str) else None).astype("string")


# --------------------------------------------------------------------------- writing


def format_share(share: float) -> str:
    """A coverage in %, never rounded up to a threshold or to 100: ``52 %``, ``99,6 %``."""
    if share is None or pd.isna(share):
        return "—"
    if share >= 100:
        return "100\u202f%"
    if share >= 99:
        return f"{_fr(math.floor(share * 10) / 10, 1)}\u202f%"
    return f"{_fr(math.floor(share), 0)}\u202f%"


def lines(table: pd.DataFrame) -> list[tuple[str, str]]:
    """(indicator label, coverage note) of the rows of an indicator table that lost rows."""
    if table.empty or "coverage_note" not in table:
        return []
    label = table["label"] if "label" in table else table["indicator"]
    return [(str(lab), str(note)) for lab, note in zip(label, table["coverage_note"].fillna(""), strict=True)
            if note]


def _fr(x: float, decimals: int) -> str:
    text = f"{float(x):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return "0" if text in ("-0", "-0,0") else text
