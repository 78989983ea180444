"""The observatory's entry page, ``OUT/index.html``, written from the manifest.

What a decision-maker reads first:

1. **the regional synthesis** of the most recent school year: how many indicators are
   reached, on track, at risk…, the objectives in danger, the same counts per academy and
   links to the synthesis reports;
2. **every report** (target × scope × school year) in one table: the statuses of its
   indicators, a small trend line of its lead indicator, the link — with filters by
   target, academy, school year and status (the filters live in the page's address,
   ``index.html#cible=1.1&academie=limoges``, so a filtered view can be shared);
3. **the data for analysts**: the indicator table as CSV, xlsx and Parquet
   (:mod:`drane_analysis.exports`) and the manifest.

The page is one self-contained file (styles and a small script inline, no font, image or
script from anywhere): it works from the file system as from any static web server,
offline. It is written from ``manifest.json`` alone and tolerates entries with missing
keys (older manifests).

This module shapes the data only (:func:`index_context`: plain dicts and lists); the
markup is the Jinja template ``templates/portal/index.html.j2`` (with its macros, styles
and script beside it), rendered with autoescape: every value the page shows is escaped
there.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import referential
from .catalogue import load_catalogue
from .fsutil import atomic_write
from .periods import Period
from .runner import INDEX, MANIFEST, SYNTHESIS_ID, SYNTHESIS_TITLE, TEMPLATES

#: The portal's templates: the page, its macros, styles and script.
PORTAL_TEMPLATES = Path(__file__).parent / "templates" / "portal"
#: Statuses that call for action, most worrying first.
WORRYING = ("off_track", "not_reached", "progressing", "at_risk")
#: Order in which statuses are listed (worrying first, then good news, then withheld for want of
#: coverage, no objective, secondary indicators, no data).
STATUS_ORDER = ("off_track", "not_reached", "progressing", "at_risk", "on_track", "reached", "withheld",
                "no_objective", "secondary", "no_data")
FAILED = "failed"
FAILED_LABEL = "Échec de construction"
#: Rows of the "objectives in danger" table before "… et N autre(s)".
WORRYING_SHOWN = 12
EXPORT_LABELS = {
    "csv": ("Tableur (CSV pour Excel)", "séparateur point-virgule, virgule décimale, UTF-8"),
    "xlsx": ("Classeur Excel (.xlsx)", "une feuille par cible, en-têtes figés, nombres formatés"),
    "parquet": ("Parquet", "pour Python, R ou un outil de BI ; noms de colonnes de la bibliothèque"),
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment of the portal's templates (autoescape on, undefined names are errors)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(PORTAL_TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


# --------------------------------------------------------------------------- helpers


def _period_start(period: str) -> int:
    try:
        return Period.parse(str(period)).start
    except (ValueError, TypeError):
        return -1


def _target_key(target: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(target).split("."))
    except ValueError:
        return (999,)


def _scope_key(scope: str) -> int:
    try:
        return referential.SCOPES.index(scope)
    except ValueError:
        return len(referential.SCOPES)


def _scope_label(scope) -> str:
    return referential.SCOPE_LABELS.get(scope, scope)


def _colour(status: str) -> str:
    from .formatting import GREY, STATUS_COLOURS

    return "#CE0500" if status == FAILED else STATUS_COLOURS.get(status, GREY)


def _label(status: str, cat) -> str:
    if status == FAILED:
        return FAILED_LABEL
    return cat.statuses[status]["label"] if status in cat.statuses else status


def _status_cell(h: dict, cat) -> Markup:
    """A headline row's status badge with the gap closed and the objective's reading under it
    (HTML made, and escaped, by :func:`drane_analysis.report.status_cell`)."""
    from .render import status_cell

    gap = h.get("gap_closed")
    return Markup(status_cell(h["status"], _label(h["status"], cat), float(gap) if gap is not None else None,
                              h.get("reading") or ""))


def _fmt(value, unit: str | None) -> str:
    from .formatting import fmt_value

    if value is None:
        return "—"
    try:
        return fmt_value(float(value), unit or "")
    except (TypeError, ValueError):
        return "—"


def _status_counts(rows: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for h in rows:
        s = h.get("status")
        if s:
            counts[s] = counts.get(s, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: STATUS_ORDER.index(kv[0]) if kv[0] in STATUS_ORDER else 99))


def _statuses(counts: dict[str, int], cat) -> list[dict]:
    """Status counts as the template shows them: label, colour, count and share of the total (%)."""
    total = sum(counts.values()) or 1
    return [{"status": s, "label": _label(s, cat), "colour": _colour(s), "n": n, "share": 100 * n / total}
            for s, n in counts.items()]


def _title_of(entry: dict, cat) -> str:
    tid = str(entry.get("target", ""))
    if tid == SYNTHESIS_ID:
        return SYNTHESIS_TITLE
    t = cat.targets.get(tid)
    return (t.short_title or t.title) if t else (entry.get("title") or tid)


# --------------------------------------------------------------------------- trend line


def _history(entry: dict, reports: list[dict]) -> tuple[dict | None, list[tuple[str, float]]]:
    """The lead indicator of a report and its values up to the report's school year.

    The series written by the report (``history``) wins; otherwise the values of the same
    indicator in the other school years the output folder holds.
    """
    headline = [h for h in entry.get("headline") or [] if h.get("indicator")]
    for h in headline:
        points = [(str(p), float(v)) for p, v in h.get("history") or [] if v is not None]
        if len(points) >= 2:
            return h, points
    if not headline or str(entry.get("target")) == SYNTHESIS_ID:
        return (headline[0] if headline else None), []
    lead = headline[0]
    end = _period_start(entry.get("period", ""))
    points = []
    for other in reports:
        if other.get("target") != entry.get("target") or other.get("academy") != entry.get("academy"):
            continue
        if _period_start(other.get("period", "")) > end:
            continue
        for h in other.get("headline") or []:
            if h.get("indicator") == lead["indicator"] and h.get("value") is not None:
                points.append((str(other["period"]), float(h["value"])))
    points.sort(key=lambda p: _period_start(p[0]))
    return lead, points


def sparkline_data(points: list[tuple[str, float]], unit: str | None, label: str, objective: float | None = None,
                   width: int = 120, height: int = 34) -> dict:
    """What a small trend line shows: its size, the points' coordinates, the objective's
    height and the text alternative (values by school year). Raises ValueError without points."""
    values = [v for _, v in points]
    span_values = values + ([objective] if objective is not None else [])
    lo, hi = min(span_values), max(span_values)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = 4

    def xy(k: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (k / (len(values) - 1) if len(values) > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * (v - lo) / (hi - lo)
        return round(x, 1), round(y, 1)

    desc = " ; ".join(f"{p} : {_fmt(v, unit)}" for p, v in points)
    if objective is not None:
        desc += f" ; objectif : {_fmt(objective, unit)}"
    return {"alt": f"Tendance de « {label} » — {desc}", "width": width, "height": height, "pad": pad,
            "coords": [xy(k, v) for k, v in enumerate(values)],
            "objective_y": xy(0, objective)[1] if objective is not None else None}


def sparkline(points: list[tuple[str, float]], unit: str | None, label: str, objective: float | None = None,
              width: int = 120, height: int = 34) -> str:
    """A small trend line as inline SVG, with its text alternative (values by school year)."""
    spark = sparkline_data(points, unit, label, objective, width, height)
    return str(environment().get_template("macros.html.j2").module.sparkline(spark))


def _trend(entry: dict, reports: list[dict]) -> dict | None:
    lead, points = _history(entry, reports)
    if lead is None or len(points) < 2:
        return None
    objective = lead.get("objective")
    label = lead.get("label") or lead["indicator"]
    return {"spark": sparkline_data(points, lead.get("unit"), label,
                                    float(objective) if objective is not None else None),
            "label": label}


# --------------------------------------------------------------------------- sections


def _synthesis(reports: list[dict], latest: str, cat, href_of) -> dict:
    """The regional synthesis of the latest school year (``counts`` empty: nothing to show)."""
    in_latest = [r for r in reports if r.get("period") == latest]
    synth = {r.get("academy"): r for r in in_latest if str(r.get("target")) == SYNTHESIS_ID}
    region = synth.get(referential.REGION_SCOPE)
    partial = not (region and region.get("headline"))
    if not partial:
        rows = [dict(h) for h in region["headline"]]
    else:
        rows = [dict(h, target=h.get("target") or r.get("target")) for r in in_latest
                if r.get("academy") == referential.REGION_SCOPE and str(r.get("target")) != SYNTHESIS_ID
                for h in r.get("headline") or []]
    out = {"period": latest, "partial": partial, "region_name": referential.REGION_NAME, "total": len(rows),
           "counts": [], "links": [], "worrying": [], "more": 0, "by_scope": None}
    if not rows:
        return out
    counts = _status_counts(rows)
    out["total"] = sum(counts.values())
    out["counts"] = _statuses(counts, cat)
    out["links"] = [{"href": synth[s]["html"], "label": _scope_label(s)}
                    for s in sorted(synth, key=_scope_key) if synth[s].get("html")]
    for h in rows:
        if not h.get("target") and h.get("indicator"):
            try:
                h["target"] = cat.indicator(h["indicator"]).target
            except KeyError:
                h["target"] = ""
    worrying = [h for h in rows if h.get("status") in WORRYING]
    worrying.sort(key=lambda h: (WORRYING.index(h["status"]), _target_key(h.get("target", ""))))
    out["more"] = max(0, len(worrying) - WORRYING_SHOWN)
    out["worrying"] = [{"target": str(h.get("target") or ""),
                        "href": href_of(str(h.get("target") or ""), referential.REGION_SCOPE, latest),
                        "label": h.get("label") or h.get("indicator"),
                        "value": _fmt(h.get("value"), h.get("unit")),
                        "objective": h.get("objective_label") or _fmt(h.get("objective"), h.get("unit")),
                        "status_cell": _status_cell(h, cat)}
                       for h in worrying[:WORRYING_SHOWN]]
    by_scope = [(s, _status_counts(synth[s].get("headline") or [])) for s in sorted(synth, key=_scope_key)
                if synth[s].get("headline")]
    if len(by_scope) > 1:
        statuses = [s for s in STATUS_ORDER if any(s in c for _, c in by_scope)]
        out["by_scope"] = {"statuses": [_label(s, cat) for s in statuses],
                           "rows": [{"label": _scope_label(sc), "counts": [c.get(s, 0) for s in statuses]}
                                    for sc, c in by_scope]}
    return out


def _filters(reports: list[dict], periods: list[str], cat) -> dict:
    """The options of the four filters, as (value, text) pairs."""
    targets = sorted({str(r.get("target")) for r in reports}, key=_target_key)
    scopes = sorted({r.get("academy") for r in reports}, key=_scope_key)
    statuses = [s for s in STATUS_ORDER if any(h.get("status") == s for r in reports for h in r.get("headline") or [])]
    if any(r.get("status") == FAILED for r in reports):
        statuses.append(FAILED)
    return {"targets": [(t, "Synthèse" if t == SYNTHESIS_ID else f"Cible {t} — {_title_of({'target': t}, cat)}")
                        for t in targets],
            "scopes": [(s, _scope_label(s)) for s in scopes],
            "periods": [(p, p) for p in periods],
            "statuses": [(s, _label(s, cat)) for s in statuses]}


def _report_row(r: dict, reports: list[dict], cat) -> dict:
    """One row of the reports table: what it is, its statuses, its trend, its link or failure."""
    tid = str(r.get("target", ""))
    scope = r.get("academy", "")
    counts = _status_counts(r.get("headline") or [])
    failed = r.get("status") == FAILED
    message = r.get("message") or ""
    return {
        "target": tid, "academy": scope, "period": r.get("period"), "scope_label": _scope_label(scope),
        "name": "Synthèse de la feuille de route" if tid == SYNTHESIS_ID else f"Cible {tid} — {_title_of(r, cat)}",
        "statuses": " ".join(list(counts) + ([FAILED] if failed else [])),
        "badges": _statuses(counts, cat),
        "trend": _trend(r, reports),
        "link": {"href": r["html"], "built": (r.get("built_at") or "")[:10]} if r.get("html") else None,
        "failure": {"date": (r.get("attempted_at") or "")[:10],
                    "first": message.splitlines()[0] if message else "erreur"} if failed else None,
    }


def _exports(out: Path) -> list[dict]:
    """The export files the output folder holds: link, label, name, description and size."""
    from .exports import export_paths

    items = []
    for kind, path in export_paths(out).items():
        if path.is_file():
            label, detail = EXPORT_LABELS[kind]
            size = path.stat().st_size
            size_text = f"{size / 1024:.0f} Ko" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} Mo"
            items.append({"href": path.relative_to(out).as_posix(), "label": label, "name": path.name,
                          "detail": detail, "size": size_text.replace(".", ",")})
    return items


# --------------------------------------------------------------------------- the page


def index_context(out: Path, manifest: dict) -> dict:
    """What ``templates/portal/index.html.j2`` shows for a manifest: plain dicts and lists."""
    cat = load_catalogue()
    reports = [r for r in (manifest.get("reports") or {}).values()
               if isinstance(r, dict) and r.get("target") is not None and r.get("academy") and r.get("period")]
    periods = sorted({str(r["period"]) for r in reports}, key=_period_start, reverse=True)
    by_key = {(str(r["target"]), r["academy"], str(r["period"])): r for r in reports}

    def href_of(target: str, scope: str, period: str) -> str:
        r = by_key.get((target, scope, period))
        return r.get("html", "") if r else ""

    ordered = sorted(reports, key=lambda r: (-_period_start(r["period"]), _target_key(r["target"]),
                                             _scope_key(r["academy"])))
    return {
        # The reports' style sheet, shared with the nbconvert template: a file of the package.
        "report_css": Markup((TEMPLATES / "drane" / "report.css").read_text(encoding="utf-8")),
        "roadmap_title": cat.roadmap.get("title", ""),
        "demo": any(r.get("demo_data") for r in reports),
        "failed_count": sum(r.get("status") == FAILED for r in reports),
        "synthesis": _synthesis(reports, periods[0], cat, href_of) if periods else None,
        "filters": _filters(reports, periods, cat),
        "reports": [_report_row(r, reports, cat) for r in ordered],
        "exports": _exports(out),
        "manifest_href": MANIFEST,
        "generated_at": datetime.now(),
    }


def render_index(out: Path, manifest: dict) -> str:
    """The HTML of ``OUT/index.html`` for a manifest (see the module documentation)."""
    return environment().get_template("index.html.j2").render(index_context(Path(out), manifest))


def write_index(out: Path, manifest: dict) -> Path:
    """Write ``OUT/index.html`` from the manifest (atomically) and return its path."""
    path = Path(out) / INDEX
    atomic_write(path, render_index(Path(out), manifest))
    return path


