"""Target 2.2 — territories incubating digital uses (Lab Ed Tech; pole: Poitiers).

**The roadmap sets no objective for this target.** It describes the « training
establishments » (*établissements formateurs*) by criteria — recognised and varied digital
practice, certified trainer teachers, a structured digital project, a share of staff with
recognised digital skills, CARDIE experiments — in a SAMR logic. The thresholds that make a
candidate « meet the criteria » are the analysis's parameters, read from the ``criteria:``
section of ``params/targets/2.2-territoires-incubateurs.yaml`` (:func:`load_criteria`).

Indicators:

- ``training_establishments``: candidates (``incubateurs``) meeting every criterion (count);
- ``staff_digital_skills_share``: staff certified Pix / Pix+ Édu over the staff of the
  candidates (rate; staff are grouped in establishments, the interval takes them as
  clusters);
- ``samr_transformative_share``: reported practices (``pratiques_samr``) at level
  Modification or Redefinition over all reported practices (rate; practices of one
  establishment are alike, the interval takes establishments as clusters).

Beyond the headline: each criterion's share of candidates with its interval
(:func:`criteria_table`), the number of criteria met (:func:`criteria_count_distribution`),
how the count depends on the thresholds (:func:`sensitivity_table`), the establishments
meeting every criterion (:func:`training_establishment_list`) and the SAMR profile
(:func:`samr_profile`, :func:`samr_history`, :func:`samr_breakdown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..paths import params_dir
from ..periods import Period
from ..privacy import linked_breakdown
from ..sources.dispositifs import CLASS_LEVELS
from ..stats import BREAKDOWN_TEST_COLUMNS, cluster_rate_table, rate_table
from .t2_1_inclusion import count_rows, covered_periods, fill_missing

TARGET = "2.2"
YAML_NAME = "2.2-territoires-incubateurs.yaml"
SAMR_ORDER = ("S", "A", "M", "R")
SAMR_LABELS = {"S": "Substitution", "A": "Augmentation", "M": "Modification", "R": "Redéfinition"}
TRANSFORMATIVE = ("M", "R")
ESTABLISHMENT_TYPE_LABELS = {"college": "Collège", "LEGT": "Lycée général et technologique (LEGT)",
                             "LPO": "Lycée polyvalent (LPO)", "LP": "Lycée professionnel (LP)",
                             "lycee": "Lycée (type non renseigné)", "erea": "EREA", "ecole": "École",
                             "other": "Autre"}
LEVEL_LABELS = {"6e": "6e", "5e": "5e", "4e": "4e", "3e": "3e", "2nde": "2nde", "1ere": "1re", "tle": "Terminale",
                "cap": "CAP", "post_bac": "Post-bac"}
LEVEL_ORDER = tuple(dict.fromkeys(CLASS_LEVELS.values()))


# --------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criterion:
    """One criterion of a training establishment: a column and a threshold (``min``) or value (``equals``)."""

    id: str
    label: str
    short: str
    column: str
    min: float | None = None
    equals: bool | None = None

    def met(self, frame: pd.DataFrame) -> pd.Series:
        """True where a candidate meets the criterion (a missing value does not)."""
        values = frame[self.column]
        if self.min is not None:
            out = values.astype(float) >= float(self.min)
        else:
            out = values.astype("boolean") == bool(self.equals)
        return out.fillna(False).astype(bool)

    def with_threshold(self, value: float) -> Criterion:
        return Criterion(self.id, self.label, self.short, self.column, min=value)


def load_criteria(path: Path | None = None) -> tuple[Criterion, ...]:
    """The criteria of ``params/targets/2.2-territoires-incubateurs.yaml`` (``criteria:``)."""
    return _load_yaml(path or params_dir() / "targets" / YAML_NAME)[0]


def load_sensitivity(path: Path | None = None) -> dict[str, list[float]]:
    """Alternative thresholds by column (``sensitivity:``)."""
    return _load_yaml(path or params_dir() / "targets" / YAML_NAME)[1]


def _load_yaml(path: Path) -> tuple[tuple[Criterion, ...], dict[str, list[float]]]:
    return _read(Path(path), Path(path).stat().st_mtime_ns)


@cache
def _read(path: Path, _stamp: int) -> tuple[tuple[Criterion, ...], dict[str, list[float]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    criteria = []
    for k, c in enumerate(raw.get("criteria") or []):
        if not isinstance(c, dict) or "column" not in c or ("min" not in c and "equals" not in c):
            raise ValueError(f"{path.name} : critère n° {k + 1} — attendu « column » et « min » ou « equals »")
        criteria.append(Criterion(str(c.get("id", c["column"])), str(c.get("label", c["column"])),
                                  str(c.get("short", c.get("label", c["column"]))), str(c["column"]),
                                  min=float(c["min"]) if "min" in c else None,
                                  equals=bool(c["equals"]) if "equals" in c else None))
    if not criteria:
        raise ValueError(f"{path.name} : section « criteria » absente ou vide")
    sensitivity = {str(k): [float(x) for x in v] for k, v in (raw.get("sensitivity") or {}).items()}
    return tuple(criteria), sensitivity


# --------------------------------------------------------------------------- building blocks


def _establishment_type(data: Data, frame: pd.DataFrame) -> pd.Series:
    """Collège, LEGT, LPO, LP… of each row's UAI (annuaire); ``other`` when unknown."""
    if not data.has("annuaire"):
        return pd.Series("other", index=frame.index, dtype="string")
    est = data.establishments()[["uai", "kind", "lycee_type"]]
    merged = frame[["uai"]].merge(est, on="uai", how="left")
    kind = merged["kind"].astype("string")
    out = kind.where(kind != "lycee", merged["lycee_type"].astype("string").fillna("lycee"))
    return pd.Series(out.fillna("other").to_numpy(), index=frame.index, dtype="string")


def candidates(data: Data, criteria: tuple[Criterion, ...] | None = None) -> pd.DataFrame:
    """One row per candidate and school year, with each criterion met and ``all_met``.

    Adds ``staff_certified_share`` (%), ``kind`` (establishment type: college, LEGT, LPO,
    LP…), one boolean column ``crit_<id>`` per criterion, ``criteria_met`` (how many) and
    ``all_met`` (0/1). ``attrs["periods"]``: the school years of the file.
    """
    crit = criteria or load_criteria()
    key = "candidates:" + "|".join(f"{c.id}:{c.min}:{c.equals}" for c in crit)
    return data.memo(key, lambda: _candidates(data, crit))


def _candidates(data: Data, crit: tuple[Criterion, ...]) -> pd.DataFrame:
    frame = data.source("incubateurs").copy()
    staff = frame["staff"].astype(float)
    frame["staff_certified_share"] = np.where(staff > 0, frame["staff_certified"].astype(float)
                                              / staff.where(staff > 0, 1) * 100, np.nan)
    frame["kind"] = _establishment_type(data, frame)
    for c in crit:
        frame[f"crit_{c.id}"] = c.met(frame)
    cols = [f"crit_{c.id}" for c in crit]
    frame["criteria_met"] = frame[cols].sum(axis=1).astype(int) if cols else 0
    frame["all_met"] = (frame["criteria_met"] == len(cols)).astype(int)
    frame["one"] = 1
    frame.attrs["periods"] = covered_periods(frame)
    return frame.reset_index(drop=True)


def practices(data: Data) -> pd.DataFrame:
    """Reported practices with ``transformative`` (1 for M or R), ``kind`` and ``one``."""
    def _compute() -> pd.DataFrame:
        frame = data.source("pratiques_samr").copy()
        frame["transformative"] = frame["samr_level"].isin(TRANSFORMATIVE).astype(int)
        frame["kind"] = _establishment_type(data, frame)
        frame["one"] = 1
        frame.attrs["periods"] = covered_periods(frame)
        return frame.reset_index(drop=True)

    return data.memo("practices", _compute)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 2.2 indicator for each scope and each school year its sources cover."""
    rows: list[dict] = []
    if data.has("incubateurs"):
        cand = candidates(data)
        periods = cand.attrs["periods"]
        for row in count_rows(TARGET, "training_establishments", cand, periods, value="all_met", scopes=data.scopes):
            part = referential.in_scope(cand[cand["period"] == row["period"]], row["academy"])
            row["denominator"] = float(len(part))
            row["numerator"] = row["value"]
            rows.append(row)
        for scope, part in by_scope(cand, scopes=data.scopes):
            table = cluster_rate_table(part, "staff_certified", "staff", "uai", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "staff_digital_skills_share", table, interval="table")
        rows = fill_missing(rows, TARGET, "staff_digital_skills_share", periods, scopes=data.scopes)
    if data.has("pratiques_samr"):
        prac = practices(data)
        for scope, part in by_scope(prac, scopes=data.scopes):
            table = cluster_rate_table(part, "transformative", "one", "uai", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, "samr_transformative_share", table, interval="table")
        rows = fill_missing(rows, TARGET, "samr_transformative_share", prac.attrs["periods"], scopes=data.scopes)
    return series_frame(rows)


# --------------------------------------------------------------------------- breakdowns


def _labels(by: str, values: pd.Series) -> pd.Series:
    if by == "kind":
        return values.map(lambda v: ESTABLISHMENT_TYPE_LABELS.get(str(v), str(v)) if pd.notna(v) else "Non renseigné")
    if by == "level":
        return values.map(lambda v: LEVEL_LABELS.get(str(v), str(v)) if pd.notna(v) else "Non renseigné")
    return values.map(lambda v: breakdown_label(by, v))


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period, by ``department``, ``kind`` (or ``level`` for SAMR).

    For ``training_establishments`` the value is the count meeting every criterion;
    numerator / denominator / interval give it as a share of the group's candidates
    (establishments: Wilson). The two shares have their interval with establishments as
    clusters, and what :func:`~drane_analysis.render.gap_sentence` needs to test a gap
    (``ci_method``…; practices of several class levels of one establishment are paired on
    it).
    """
    if indicator == "training_establishments":
        frame = candidates(data)
        num, den = "all_met", "one"
    elif indicator == "staff_digital_skills_share":
        frame = candidates(data)
        num, den = "staff_certified", "staff"
    elif indicator == "samr_transformative_share":
        frame = practices(data)
        num, den = "transformative", "one"
    else:
        raise KeyError(f"indicateur inconnu pour la cible 2.2 : {indicator}")
    frame = referential.in_scope(frame[frame["period"] == period], scope)
    if indicator == "training_establishments":
        table = rate_table(frame, num, den, by=[by]).rename(columns={by: "group"})
    else:
        table = cluster_rate_table(frame, num, den, "uai", by=[by]).rename(columns={by: "group"})
    if indicator == "training_establishments":
        table = table.rename(columns={"value": "share"})
        table["value"] = table["numerator"]
    table["label"] = _labels(by, table["group"])
    order = {v: k for k, v in enumerate(LEVEL_ORDER)} if by == "level" else None
    table = table.sort_values("group", key=lambda s: s.map(order)) if order else table.sort_values("label")
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    if "share" in table:
        cols.append("share")
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].reset_index(drop=True)


def criteria_table(data: Data, scope: str, period: str,
                   criteria: tuple[Criterion, ...] | None = None) -> pd.DataFrame:
    """Each criterion's share of the candidates (Wilson interval), then « every criterion ».

    Columns: id, label, numerator (candidates meeting it), denominator (candidates), value
    (%), ci_low, ci_high.
    """
    crit = criteria or load_criteria()
    frame = referential.in_scope(candidates(data, crit), scope)
    frame = frame[frame["period"] == period]
    rows = []
    for c in crit:
        rows.append({"id": c.id, "label": c.label, "numerator": int(frame[f"crit_{c.id}"].sum())})
    rows.append({"id": "all", "label": "Tous les critères (établissement formateur)",
                 "numerator": int(frame["all_met"].sum())})
    out = pd.DataFrame(rows)
    out["denominator"] = len(frame)
    rated = rate_table(out.assign(k=out["numerator"], n=out["denominator"]), "k", "n", by=["id"])
    return out.merge(rated[["id", "value", "ci_low", "ci_high"]], on="id", how="left")


def criteria_count_distribution(data: Data, scope: str, period: str,
                                criteria: tuple[Criterion, ...] | None = None) -> pd.DataFrame:
    """Candidates by number of criteria met (0 to the number of criteria): criteria_met, count, share (%)."""
    crit = criteria or load_criteria()
    frame = referential.in_scope(candidates(data, crit), scope)
    frame = frame[frame["period"] == period]
    counts = frame["criteria_met"].value_counts().reindex(range(len(crit) + 1), fill_value=0)
    total = counts.sum()
    return pd.DataFrame({"criteria_met": counts.index, "count": counts.to_numpy(),
                         "share": counts.to_numpy() / total * 100 if total else np.nan})


def sensitivity_table(data: Data, scope: str, period: str,
                      criteria: tuple[Criterion, ...] | None = None,
                      thresholds: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Candidates meeting every criterion for other thresholds of the numeric criteria.

    Rows: the thresholds of the first numeric criterion with alternatives; columns: those of
    the second (when there is one). Values: counts of training establishments.
    """
    crit = criteria or load_criteria()
    alt = thresholds if thresholds is not None else load_sensitivity()
    numeric = [c for c in crit if c.min is not None and c.column in alt]
    frame = referential.in_scope(data.source("incubateurs"), scope)
    frame = frame[frame["period"] == period].copy()
    staff = frame["staff"].astype(float)
    frame["staff_certified_share"] = frame["staff_certified"].astype(float) / staff.where(staff > 0) * 100
    if not numeric:
        return pd.DataFrame()
    fixed = [c for c in crit if c not in numeric]
    base = np.ones(len(frame), dtype=bool)
    for c in fixed:
        base &= c.met(frame).to_numpy()
    first = numeric[0]
    second = numeric[1] if len(numeric) > 1 else None
    rows = {}
    for v1 in alt[first.column]:
        m1 = base & first.with_threshold(v1).met(frame).to_numpy()
        if second is None:
            rows[v1] = {"": int(m1.sum())}
        else:
            rows[v1] = {v2: int((m1 & second.with_threshold(v2).met(frame).to_numpy()).sum())
                        for v2 in alt[second.column]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = first.column
    out.columns.name = second.column if second else None
    return out


def training_establishment_list(data: Data, scope: str, period: str,
                                criteria: tuple[Criterion, ...] | None = None) -> pd.DataFrame:
    """Establishments meeting every criterion: uai, name, department label, type, staff share (%)."""
    frame = referential.in_scope(candidates(data, criteria), scope)
    frame = frame[(frame["period"] == period) & (frame["all_met"] == 1)].copy()
    names = data.establishments()[["uai", "name"]].rename(columns={"name": "annuaire_name"}) \
        if data.has("annuaire") else pd.DataFrame(columns=["uai", "annuaire_name"])
    frame = frame.merge(names, on="uai", how="left")
    own = frame["name"] if "name" in frame else pd.Series(pd.NA, index=frame.index)
    frame["name"] = frame["annuaire_name"].fillna(own).fillna("")
    frame["department_label"] = frame["department"].map(lambda d: breakdown_label("department", d))
    frame["kind_label"] = _labels("kind", frame["kind"])
    return frame[["uai", "name", "department_label", "kind_label", "staff_certified_share", "trainer_teachers"]] \
        .sort_values(["department_label", "name"]).reset_index(drop=True)


def candidates_by_academy(data: Data, period: str) -> pd.DataFrame:
    """Candidates and training establishments per academy (the pole's weight): academy, label, candidates, training, share."""
    frame = candidates(data)
    frame = frame[frame["period"] == period]
    g = frame.groupby("academy", observed=True).agg(candidates=("one", "sum"), training=("all_met", "sum")).reset_index()
    g["label"] = g["academy"].map(lambda a: breakdown_label("academy", a))
    total = g["candidates"].sum()
    g["share"] = g["candidates"] / total * 100 if total else np.nan
    return g


# --------------------------------------------------------------------------- SAMR


def samr_profile(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Share of reported practices at each SAMR level, establishments as clusters.

    Columns: level (S, A, M, R), label, numerator, denominator, value (%), ci_low, ci_high.
    Each level's interval is marginal (one level against the three others).
    """
    frame = referential.in_scope(practices(data), scope)
    frame = frame[frame["period"] == period]
    rated = pd.concat([cluster_rate_table(frame.assign(at_level=(frame["samr_level"] == level).astype(int)),
                                          "at_level", "one", "uai").assign(level=level) for level in SAMR_ORDER],
                      ignore_index=True)
    out = rated[["level", "numerator", "denominator", "value", "ci_low", "ci_high"]]
    out.insert(1, "label", out["level"].map(SAMR_LABELS))
    return out.reset_index(drop=True)


def samr_history(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """SAMR profile of every school year up to ``until``: period, level, value (%), n."""
    frame = referential.in_scope(practices(data), scope)
    parts = []
    for period in covered_periods(frame):
        if until and Period.parse(period) > Period.parse(until):
            continue
        prof = samr_profile(data, scope, period)
        parts.append(prof.assign(period=period))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def practice_establishments(data: Data, scope: str, period: str) -> int:
    """Establishments of a scope with practices reported in a school year (the SAMR clusters)."""
    frame = referential.in_scope(practices(data), scope)
    return int(frame.loc[frame["period"] == period, "uai"].nunique())


def samr_breakdown(data: Data, scope: str, period: str, by: str) -> pd.DataFrame:
    """Transformative share (M + R) by ``kind``, ``level``, ``department``… (establishments as clusters)."""
    return breakdown(data, "samr_transformative_share", scope, period, by)


# --------------------------------------------------------------------------- candidates


def candidate_count(data: Data, scope: str, period: str) -> int:
    """Candidates of a scope in a school year (0 when the file is absent)."""
    if not data.has("incubateurs"):
        return 0
    frame = referential.in_scope(candidates(data), scope)
    return int((frame["period"] == period).sum())
