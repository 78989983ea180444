"""The roadmap catalogue: targets, indicators, objectives and baselines, read from ``params/``.

``params/catalogue.yaml`` lists the 13 targets, the units and the breakdowns;
``params/targets/<id>-<slug>.yaml`` holds one target's indicators, objectives by school
year and scope, and its baseline. Changing or adding a year's objective is an edit of that
file. The whole catalogue is checked on load and every inconsistency is reported at once
(:class:`CatalogueError`).

Objectives
    Each objective names an indicator, a ``scope`` (``all`` = each academy and the region,
    ``academies`` = each academy, ``region``, or one academy), and the school year it is due
    (``period``, its deadline). It is either a threshold (``value``, optionally ``upper``
    for a range such as "5 to 10": the lower bound decides the status, the upper bound is
    the roadmap's ambition, not a cap — its ranges are volumes of activity, "1 to 2 service
    establishments", "7 to 10 model actions a year"), a multiple of the value of a base year (``factor`` and
    ``base_period``, "double in 3 years"), or ``kind: increase`` (more than the year before).
    For a given school year the objective in force is the first one due that year or later;
    after the last deadline the last objective stays in force ("reconduit"): the roadmap's
    objectives are re-set every year, and until they are, the last one holds.

Readings
    Where the roadmap's words leave a choice (which indicator carries an objective, which
    establishments « 30 % des établissements » counts, against which year « +20 % » is
    read), the objective says how it is read (``reading``, French): the text is printed next
    to the status in every report, table and export. A range objective is read by its lower
    bound (:meth:`Objective.reading_text` says so). A stricter or other reading of an
    objective is kept as a *secondary* indicator (``secondary``: the reading it stands for),
    which may carry no objective and gets no status.

Projections
    An indicator's trend is projected on its unit's scale (``units`` of ``catalogue.yaml``:
    logit for shares, the value's own scale otherwise) and clipped to what is possible: the
    unit's ``lower`` / ``upper`` and, for a count, the indicator's ``cap`` (a number, or one
    per scope selector: ``{region: 12, bordeaux: 5}``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from . import referential
from .errors import EXIT_USAGE, DraneError
from .paths import params_dir
from .periods import Period

DIRECTIONS = ("increase", "decrease", "none")
SCOPE_SELECTORS = ("all", "academies", "region", *referential.ACADEMIES)


class CatalogueError(DraneError, ValueError):
    """The catalogue in params/ is inconsistent; ``problems`` lists every issue."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Catalogue de la feuille de route invalide :\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Indicator:
    id: str
    target: str
    label: str
    unit: str
    direction: str
    sources: tuple[str, ...]
    breakdowns: tuple[str, ...] = ()
    definition: str = ""
    secondary: str = ""
    """Non-empty for a secondary indicator: the stricter or other reading it stands for (French)."""
    cap: tuple[tuple[str, float], ...] = ()
    """What is possible, per scope selector (``all``, ``academies``, ``region``, an academy)."""

    @property
    def is_secondary(self) -> bool:
        return bool(self.secondary)

    def cap_for(self, scope: str) -> float | None:
        """The most the indicator can be in ``scope`` (a scope's own cap wins), or None."""
        best: tuple[int, float] | None = None
        for selector, value in self.cap:
            rank = {"all": 0, "academies": 1}.get(selector, 2)
            applies = (selector == "all" or (selector == "academies" and scope in referential.ACADEMIES)
                       or selector == scope)
            if applies and (best is None or rank > best[0]):
                best = (rank, value)
        return None if best is None else best[1]


@dataclass(frozen=True)
class Objective:
    indicator: str
    scope: str
    period: str
    value: float | None = None
    upper: float | None = None
    factor: float | None = None
    base_period: str | None = None
    kind: str = "threshold"  # threshold | relative | increase
    note: str = ""
    reading: str = ""

    def applies_to(self, scope: str) -> bool:
        if self.scope == "all":
            return True
        if self.scope == "academies":
            return scope in referential.ACADEMIES
        return self.scope == scope

    def describe(self, unit_label: str = "") -> str:
        """French description, e.g. ``100 %``, ``5 à 10``, ``× 2 par rapport à 2020-2021``."""
        suffix = f" {unit_label}" if unit_label and unit_label != "nombre" else ""
        if self.kind == "relative":
            if self.factor is not None and not float(self.factor).is_integer():
                change = (float(self.factor) - 1) * 100
                return f"{'+' if change > 0 else '−'}{_fr_number(round(abs(change), 2))} % par rapport à {self.base_period}"
            return f"× {_fr_number(self.factor)} par rapport à {self.base_period}"
        if self.kind == "increase":
            return "en hausse sur l'année précédente"
        if self.upper is not None:
            return f"{_fr_number(self.value)} à {_fr_number(self.upper)}{suffix}"
        return f"{_fr_number(self.value)}{suffix}"

    def reading_text(self, unit_label: str = "") -> str:
        """How the objective is read when that is a choice (French), "" when it is not.

        The parameters' ``reading``; for a range objective without one, the rule of ranges.
        """
        if self.reading:
            return self.reading
        if self.kind == "threshold" and self.upper is not None:
            return (f"fourchette « {self.describe(unit_label)} » lue par sa borne basse : "
                    f"{_fr_number(self.value)} ou plus est atteint (la borne haute est l'ambition, pas un plafond)")
        return ""


@dataclass(frozen=True)
class ObjectiveInForce:
    """The objective applying to a (indicator, scope, period), and whether it is carried forward."""

    objective: Objective
    carried_forward: bool


@dataclass(frozen=True)
class Target:
    id: str
    slug: str
    ambition: int
    title: str
    short_title: str
    pole: str | None
    summary: str
    indicators: tuple[Indicator, ...]
    objectives: tuple[Objective, ...]
    baseline: dict[str, Any] = field(default_factory=dict)

    @property
    def notebook(self) -> str:
        """File name of the target's notebook, e.g. ``1.1-pix.ipynb``."""
        return f"{self.id}-{self.slug}.ipynb"

    @property
    def name(self) -> str:
        return f"{self.id}-{self.slug}"


@dataclass(frozen=True)
class Catalogue:
    targets: dict[str, Target]
    units: dict[str, dict[str, Any]]
    breakdowns: dict[str, str]
    ambitions: dict[int, str]
    statuses: dict[str, dict[str, Any]]
    status_rule: str
    min_periods_for_trend: int
    roadmap: dict[str, Any]
    min_periods_for_interval: int = 4
    baseline_period: str = "2020-2021"
    progress_min_gap_closed: float = 25.0

    def target(self, target_id: str) -> Target:
        try:
            return self.targets[str(target_id)]
        except KeyError:
            raise KeyError(f"cible inconnue « {target_id} » ; cibles : {', '.join(self.targets)}") from None

    def indicators(self, target_id: str | None = None) -> list[Indicator]:
        targets = [self.target(target_id)] if target_id else list(self.targets.values())
        return [i for t in targets for i in t.indicators]

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators():
            if i.id == indicator_id:
                return i
        raise KeyError(f"indicateur inconnu « {indicator_id} »")

    def unit_label(self, unit: str) -> str:
        return self.units[unit]["label"]

    def objectives_for(self, indicator_id: str, scope: str) -> list[Objective]:
        ind = self.indicator(indicator_id)
        objs = [o for o in self.target(ind.target).objectives
                if o.indicator == indicator_id and o.applies_to(scope)]
        return sorted(objs, key=lambda o: Period.parse(o.period))

    def objective_for(self, indicator_id: str, scope: str, period: str) -> ObjectiveInForce | None:
        """The objective in force for a school year (see module doc), or None."""
        objs = self.objectives_for(indicator_id, scope)
        if not objs:
            return None
        p = Period.parse(period)
        for o in objs:
            if Period.parse(o.period) >= p:
                return ObjectiveInForce(o, carried_forward=False)
        return ObjectiveInForce(objs[-1], carried_forward=True)

    def status_label(self, status: str) -> str:
        return self.statuses[status]["label"]

    def projection_scale(self, indicator_id: str, scope: str) -> tuple[str, float | None, float | None]:
        """(scale, lower, upper) an indicator's trend is projected on, for a scope.

        ``scale`` is the unit's ``projection`` (``logit`` for shares, else ``linear``);
        ``lower`` / ``upper`` what is possible: the unit's bounds, ``upper`` narrowed by the
        indicator's ``cap`` for the scope.
        """
        ind = self.indicator(indicator_id)
        unit = self.units.get(ind.unit, {})
        lower, upper = _num(unit.get("lower")), _num(unit.get("upper"))
        cap = ind.cap_for(scope)
        if cap is not None:
            upper = cap if upper is None else min(upper, cap)
        return str(unit.get("projection", "linear")), lower, upper


# --------------------------------------------------------------------------- loading


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Read and check the catalogue in ``params/`` (cached until its files change)."""
    base = Path(folder) if folder else params_dir()
    return _load(base, _stamp(base))


#: The target files of a catalogue folder, as last listed: ``{folder: (targets/'s mtime, paths)}``.
_LISTINGS: dict[Path, tuple[int | None, tuple[str, ...]]] = {}


def _stamp(base: Path) -> tuple:
    """The catalogue files' names and modification times: what the cached catalogue depends on.

    Every formatted number asks for the catalogue (its units), thousands of times per report
    (about 50 µs a call):
    the ``targets/`` folder is listed again only when its own modification time changes (a
    file added, removed or renamed, an editor's save by renaming), and each file is checked
    by one ``os.stat`` (an edit in place).
    """
    targets = os.path.join(base, "targets")
    try:
        listed_at = os.stat(targets).st_mtime_ns
    except OSError:
        listed_at = None
    listing = _LISTINGS.get(base)
    if listing is None or listing[0] != listed_at or listed_at is None:
        listing = _LISTINGS[base] = (listed_at, tuple(str(p) for p in _catalogue_files(base)))
    return tuple(sorted((os.path.basename(f), os.stat(f).st_mtime_ns) for f in listing[1]))


def _catalogue_files(base: Path) -> list[Path]:
    return [base / "catalogue.yaml", base / "status.yaml", *sorted((base / "targets").glob("*.yaml"))]


@cache
def _load(base: Path, _stamp: tuple) -> Catalogue:
    problems: list[str] = []
    meta = _read_yaml(base / "catalogue.yaml", problems)
    status = _read_yaml(base / "status.yaml", problems)
    if problems:
        raise CatalogueError(problems)
    units = meta.get("units") or {}
    breakdowns = meta.get("breakdowns") or {}
    declared = {}
    for entry in meta.get("targets") or []:
        tid = str(entry.get("id"))
        if tid in declared:
            problems.append(f"catalogue.yaml : cible « {tid} » déclarée deux fois")
        declared[tid] = entry
    files: dict[str, Path] = {}
    for path in sorted((base / "targets").glob("*.yaml")):
        match = re.match(r"^(\d\.\d)-", path.name)
        tid = match.group(1) if match else path.stem
        if tid not in declared:
            problems.append(f"targets/{path.name} : cible inconnue « {tid} » (absente de catalogue.yaml, "
                            f"cibles connues : {', '.join(declared)})")
            continue
        files[tid] = path
    targets: dict[str, Target] = {}
    seen_indicators: dict[str, str] = {}
    for tid, entry in declared.items():
        path = files.get(tid)
        expected_name = f"{tid}-{entry.get('slug')}.yaml"
        if path is None:
            problems.append(f"catalogue.yaml : la cible « {tid} » n'a pas de fichier targets/{expected_name}")
            continue
        if path.name != expected_name:
            problems.append(f"targets/{path.name} : nom attendu {expected_name} (slug de catalogue.yaml)")
        data = _read_yaml(path, problems)
        target = _build_target(tid, entry, data, path.name, units, breakdowns, seen_indicators, problems)
        if target:
            targets[tid] = target
    settings = _status_settings(status, problems)
    _check_units(units, problems)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        targets=targets,
        units=units,
        breakdowns=breakdowns,
        ambitions={int(k): v for k, v in (meta.get("ambitions") or {}).items()},
        statuses=status["statuses"],
        status_rule=" ".join(str(status["rule"]).format(
            **{k: _fr_number(v) if isinstance(v, float) else v for k, v in settings.items()}).split()),
        min_periods_for_trend=settings["min_periods_for_trend"],
        roadmap=meta.get("roadmap") or {},
        min_periods_for_interval=settings["min_periods_for_interval"],
        baseline_period=settings["baseline_period"],
        progress_min_gap_closed=settings["progress_min_gap_closed"],
    )


def _check_units(units: dict, problems: list[str]) -> None:
    """Each unit's projection scale is known and its bounds are numbers."""
    for unit, spec in units.items():
        spec = spec or {}
        if spec.get("projection", "linear") not in ("linear", "logit"):
            problems.append(f"catalogue.yaml : unité « {unit} » : projection « {spec.get('projection')} » inconnue ; "
                            "attendu linear ou logit")
        for bound in ("lower", "upper"):
            if bound in spec and (not isinstance(spec[bound], (int, float)) or isinstance(spec[bound], bool)):
                problems.append(f"catalogue.yaml : unité « {unit} » : « {bound} » numérique attendu, trouvé "
                                f"« {spec[bound]} »")


def _status_settings(status: dict, problems: list[str]) -> dict[str, Any]:
    """The numbers of ``status.yaml`` (checked), as the rule's text refers to them."""
    out: dict[str, Any] = {}
    for key, default, low in (("min_periods_for_trend", 2, 2), ("min_periods_for_interval", 4, 3)):
        value = status.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            problems.append(f"status.yaml : « {key} » : entier ≥ {low} attendu, trouvé « {value} »")
            value = default
        out[key] = value
    gap = status.get("progress_min_gap_closed", 25)
    if not isinstance(gap, (int, float)) or isinstance(gap, bool) or not 0 < gap <= 100:
        problems.append(f"status.yaml : « progress_min_gap_closed » : pourcentage entre 0 et 100 attendu, "
                        f"trouvé « {gap} »")
        gap = 25
    out["progress_min_gap_closed"] = float(gap)
    try:
        out["baseline_period"] = Period.parse(str(status.get("baseline_period", "2020-2021"))).label
    except ValueError as exc:
        problems.append(f"status.yaml : « baseline_period » : {exc}")
        out["baseline_period"] = "2020-2021"
    return out


def _read_yaml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            # libyaml's safe loader when PyYAML has it (ten times faster on params/).
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # noqa: S506 - a safe loader
    except FileNotFoundError:
        problems.append(f"{path.name} : fichier absent")
        return {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ligne {mark.line + 1}" if mark else ""
        problems.append(f"{path.name}{where} : YAML illisible ({getattr(exc, 'problem', exc)})")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path.name} : attendu un dictionnaire YAML")
        return {}
    return data


def _build_target(tid: str, entry: dict, data: dict, fname: str, units: dict, breakdowns: dict,
                  seen: dict[str, str], problems: list[str]) -> Target | None:
    where = f"targets/{fname}"
    if str(data.get("target")) != tid:
        problems.append(f"{where} : champ « target » = « {data.get('target')} », attendu « {tid} »")
    indicators = []
    for k, raw in enumerate(data.get("indicators") or []):
        ind = _build_indicator(tid, raw, f"{where}, indicateur n° {k + 1}", units, breakdowns, problems)
        if ind is None:
            continue
        if ind.id in seen:
            problems.append(f"{where} : indicateur « {ind.id} » déjà déclaré dans {seen[ind.id]}")
            continue
        seen[ind.id] = where
        indicators.append(ind)
    # Objectives are checked against every declared id, valid or not (no cascading errors).
    ids = {str(raw["id"]) for raw in data.get("indicators") or [] if isinstance(raw, dict) and raw.get("id")}
    objectives = []
    secondary = {i.id for i in indicators if i.is_secondary}
    for k, raw in enumerate(data.get("objectives") or []):
        obj = _build_objective(raw, f"{where}, objectif n° {k + 1}", ids, problems)
        if obj and obj.indicator in secondary:
            problems.append(f"{where}, objectif n° {k + 1} : « {obj.indicator} » est un indicateur secondaire "
                            "(« secondary ») : il ne porte pas d'objectif")
        elif obj:
            objectives.append(obj)
    for key in ("title",):
        if not data.get(key):
            problems.append(f"{where} : champ « {key} » manquant")
    return Target(
        id=tid,
        slug=str(entry.get("slug")),
        ambition=int(entry.get("ambition", 0)),
        title=str(data.get("title", "")),
        short_title=str(data.get("short_title") or data.get("title", "")),
        pole=data.get("pole"),
        summary=" ".join(str(data.get("summary", "")).split()),
        indicators=tuple(indicators),
        objectives=tuple(objectives),
        baseline=data.get("baseline") or {},
    )


def _build_indicator(tid: str, raw: Any, where: str, units: dict, breakdowns: dict,
                     problems: list[str]) -> Indicator | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        problems.append(f"{where} : attendu un indicateur avec un champ « id »")
        return None
    iid = str(raw["id"])
    where = f"{where} (« {iid} »)"
    ok = True
    if not raw.get("label"):
        problems.append(f"{where} : libellé (« label ») manquant")
        ok = False
    unit = raw.get("unit")
    if not unit:
        problems.append(f"{where} : unité (« unit ») manquante ; unités connues : {', '.join(units)}")
        ok = False
    elif unit not in units:
        problems.append(f"{where} : unité inconnue « {unit} » ; unités connues : {', '.join(units)}")
        ok = False
    direction = raw.get("direction", "increase")
    if direction not in DIRECTIONS:
        problems.append(f"{where} : sens « {direction} » inconnu ; attendu {', '.join(DIRECTIONS)}")
        ok = False
    sources = raw.get("sources") or []
    if not sources:
        problems.append(f"{where} : aucune source (« sources »)")
        ok = False
    for b in raw.get("breakdowns") or []:
        if b not in breakdowns:
            problems.append(f"{where} : ventilation inconnue « {b} » ; connues : {', '.join(breakdowns)}")
            ok = False
    secondary = raw.get("secondary") or ""
    if not isinstance(secondary, str):
        problems.append(f"{where} : « secondary » : texte attendu (la lecture que l'indicateur représente)")
        ok = False
    cap = _build_cap(raw.get("cap"), where, problems)
    if not ok or cap is None:
        return None
    return Indicator(iid, tid, str(raw["label"]), str(unit), str(direction), tuple(map(str, sources)),
                     tuple(raw.get("breakdowns") or ()), " ".join(str(raw.get("definition", "")).split()),
                     " ".join(secondary.split()), cap)


def _build_cap(raw: Any, where: str, problems: list[str]) -> tuple[tuple[str, float], ...] | None:
    """``cap``: a positive number (every scope) or {scope selector: positive number}; None if invalid."""
    if raw is None:
        return ()
    items = raw.items() if isinstance(raw, dict) else [("all", raw)]
    out = []
    for selector, value in items:
        if str(selector) not in SCOPE_SELECTORS:
            problems.append(f"{where} : plafond (« cap ») : périmètre « {selector} » inconnu ; attendu "
                            f"{', '.join(SCOPE_SELECTORS)}")
            return None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            problems.append(f"{where} : plafond (« cap ») : nombre positif attendu, trouvé « {value} »")
            return None
        out.append((str(selector), float(value)))
    return tuple(out)


def _build_objective(raw: Any, where: str, ids: set[str], problems: list[str]) -> Objective | None:
    if not isinstance(raw, dict):
        problems.append(f"{where} : attendu un dictionnaire")
        return None
    iid = str(raw.get("indicator"))
    ok = True
    if iid not in ids:
        problems.append(f"{where} : objectif pour un indicateur inconnu « {iid} » ; indicateurs de la cible : "
                        f"{', '.join(sorted(ids)) or 'aucun'}")
        ok = False
    scope = str(raw.get("scope", "all"))
    if scope not in SCOPE_SELECTORS:
        problems.append(f"{where} : périmètre « {scope} » inconnu ; attendu {', '.join(SCOPE_SELECTORS)}")
        ok = False
    try:
        period = Period.parse(str(raw.get("period"))).label
    except ValueError as exc:
        problems.append(f"{where} : {exc}")
        return None
    kind = str(raw.get("kind", "relative" if "factor" in raw else "threshold"))
    value, upper, factor, base = raw.get("value"), raw.get("upper"), raw.get("factor"), raw.get("base_period")
    if kind == "threshold":
        if not isinstance(value, (int, float)):
            problems.append(f"{where} : valeur (« value ») numérique attendue, trouvé « {value} »")
            ok = False
        elif upper is not None and (not isinstance(upper, (int, float)) or upper < value):
            problems.append(f"{where} : borne haute (« upper ») ≥ {value} attendue, trouvé « {upper} »")
            ok = False
    elif kind == "relative":
        if not isinstance(factor, (int, float)) or factor <= 0:
            problems.append(f"{where} : facteur (« factor ») positif attendu, trouvé « {factor} »")
            ok = False
        try:
            base = Period.parse(str(base)).label
        except ValueError as exc:
            problems.append(f"{where} : année de référence (« base_period ») : {exc}")
            ok = False
    elif kind != "increase":
        problems.append(f"{where} : type d'objectif « {kind} » inconnu ; attendu threshold, relative ou increase")
        ok = False
    if not ok:
        return None
    return Objective(iid, scope, period, _num(value), _num(upper), _num(factor),
                     base if kind == "relative" else None, kind, " ".join(str(raw.get("note", "")).split()),
                     " ".join(str(raw.get("reading", "")).split()))


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) else None


def _fr_number(x: float | None) -> str:
    if x is None:
        return "—"
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", "\u202f")
    return f"{x:,.2f}".replace(",", "\u202f").replace(".", ",").rstrip("0").rstrip(",")
