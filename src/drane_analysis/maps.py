"""Choropleth maps of the region's twelve departments, drawn offline from shipped geometry.

The outlines are in ``geodata/departements-nouvelle-aquitaine.geojson`` (IGN ADMIN EXPRESS
COG, Licence Ouverte; how the file was made: ``geodata/README.md``); an academy is the union
of its departments, drawn as a thicker border. :func:`department_map` draws one value per
department from a breakdown table (``group`` = department code, as every target's
``breakdown(…, by="department")`` gives) after disclosure control (:mod:`.privacy`)::

    m = department_map(table, "percent", scope="limoges", title="Taux de certification en 3e")
    m.figure, m.alt, m.table    # the matplotlib figure, its alternative text, the numbers drawn

Colours: one sequential blue (the State's design system's *bleu France*) from light to dark,
monotone in lightness, so that the map reads in grey and for colour-blind readers; the value
is also written on each department. A department whose value may not be published is
hatched (its reason in the legend); a department without data is white; outside the
report's academy, the region's other departments are grey, without value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from . import referential
from .privacy import protect_breakdown

GEOMETRY_FILE = "departements-nouvelle-aquitaine.geojson"
#: The sequential scale, light to dark (DSFR blues: 950, 625, bleu France sun-113).
SCALE = ("#ECECFE", "#8585F6", "#000091")
OUTSIDE = "#E5E5E5"   # a department of another academy
NO_DATA = "#FFFFFF"   # a department of the scope without a value
HATCH = "////"
EDGE = "#3A3A3A"
#: Latitude at which longitudes are scaled (equirectangular drawing of a small region).
_LAT0 = 45.2


@dataclass(frozen=True)
class DepartmentShape:
    """One department: its code, name, academy and outer rings (lon, lat arrays)."""

    code: str
    name: str
    academy: str
    rings: tuple[np.ndarray, ...]

    @property
    def anchor(self) -> tuple[float, float]:
        """Where its label goes: the centroid of its largest ring."""
        ring = max(self.rings, key=_area)
        return _centroid(ring)


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _centroid(ring: np.ndarray) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    return float(((x + np.roll(x, -1)) * cross).sum() / (6 * a)), float(((y + np.roll(y, -1)) * cross).sum() / (6 * a))


@lru_cache(maxsize=1)
def geometry_metadata() -> dict:
    """The geometry file's ``metadata``: source, licence, method (shown under every map)."""
    return _read()["metadata"]


def _read() -> dict:
    text = resources.files("drane_analysis").joinpath("geodata", GEOMETRY_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def load_departments() -> dict[str, DepartmentShape]:
    """The twelve departments of the region (code → shape), read once from the package."""
    out: dict[str, DepartmentShape] = {}
    for f in _read()["features"]:
        p = f["properties"]
        rings = tuple(np.asarray(poly[0], dtype=float) for poly in f["geometry"]["coordinates"])
        out[p["code"]] = DepartmentShape(p["code"], p["name"], p["academy"], rings)
    missing = set(referential.DEPARTMENTS) - set(out)
    if missing:
        raise ValueError(f"{GEOMETRY_FILE} : départements absents du fond de carte : {', '.join(sorted(missing))}")
    return out


def _ring_edges(ring: np.ndarray) -> list[tuple[tuple, tuple]]:
    pts = [tuple(p) for p in np.round(ring, 6)]
    return [(a, b) for a, b in zip(pts, pts[1:], strict=False) if a != b]


@lru_cache(maxsize=1)
def _edges() -> dict[tuple, list[DepartmentShape]]:
    """Every edge of the outlines (unordered) → the departments that have it."""
    edges: dict[tuple, list[DepartmentShape]] = {}
    for shape in load_departments().values():
        for ring in shape.rings:
            for a, b in _ring_edges(ring):
                edges.setdefault(tuple(sorted((a, b))), []).append(shape)
    return edges


def _on_academy_border(a: tuple, b: tuple, shape: DepartmentShape) -> bool:
    """An edge of ``shape`` on an academy's outline, drawn from this side: the department's
    alone (coast, region's border), or shared with another academy's department and this
    one has the lower code (so that it is drawn once)."""
    owners = _edges()[tuple(sorted((a, b)))]
    if len(owners) == 1:
        return True
    return len({o.academy for o in owners}) > 1 and shape.code == min(o.code for o in owners)


@lru_cache(maxsize=1)
def academy_borders() -> tuple[np.ndarray, ...]:
    """The academies' outlines as polylines (lon, lat). The file's shared borders have the
    very same vertices on both sides (simplified as one coverage), so edges match exactly."""
    lines: list[np.ndarray] = []
    for shape in sorted(load_departments().values(), key=lambda s: s.code):
        for ring in shape.rings:
            run: list[tuple] = []
            for a, b in _ring_edges(ring):
                if _on_academy_border(a, b, shape):
                    run = run or [a]
                    run.append(b)
                elif run:
                    lines.append(np.array(run))
                    run = []
            if run:
                lines.append(np.array(run))
    return tuple(lines)


# --------------------------------------------------------------------------- the map


@dataclass
class DepartmentMap:
    """A drawn map: the figure, its alternative text, the published numbers, the legend notes."""

    figure: object
    alt: str
    table: pd.DataFrame      # code, département, valeur, borne basse, borne haute (hidden: None), statut
    hidden: list[str]        # departments hatched (secret)
    missing: list[str]       # departments of the scope without value
    note: str                # the disclosure note (empty when nothing is hidden)


#: The colour scale spans at least this much (points of percentage; other units: this share
#: of the largest value), so that departments a point apart are not drawn light and dark.
MIN_SPAN_POINTS = 10.0
MIN_SPAN_SHARE = 0.2


def _nice_bounds(lo: float, hi: float, unit: str) -> tuple[float, float]:
    """The colour scale's domain: the published values' range, widened to a minimum span
    around its middle (kept within 0–100 for a rate), rounded outwards."""
    if not np.isfinite(lo) or not np.isfinite(hi):
        return 0.0, 1.0
    rate = unit == "percent" and lo >= 0 and hi <= 100
    span = MIN_SPAN_POINTS if unit in ("percent", "percent_points", "percent_change") else \
        MIN_SPAN_SHARE * max(abs(lo), abs(hi), 1e-9)
    if hi - lo < span:
        mid = (lo + hi) / 2
        lo, hi = mid - span / 2, mid + span / 2
        if rate and lo < 0:
            lo, hi = 0.0, span
        if rate and hi > 100:
            lo, hi = 100.0 - span, 100.0
    step = 10 ** math.floor(math.log10(hi - lo)) / 2
    lo2, hi2 = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if rate:
        lo2, hi2 = max(lo2, 0.0), min(hi2, 100.0)
    return lo2, hi2


def colour_scale():
    """The sequential colormap (light → dark blue)."""
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list("drane_blues", list(SCALE))


def relative_luminance(hex_or_rgb) -> float:
    """WCAG relative luminance of a colour (0 black … 1 white)."""
    from matplotlib.colors import to_rgb

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in to_rgb(hex_or_rgb))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _by_code(table: pd.DataFrame, unit: str, persons: bool, in_scope: set[str]):
    """The protected breakdown (:mod:`.privacy`) and its rows by department code."""
    p = protect_breakdown(table, unit, persons=persons)
    frame = p.frame.assign(value=p.values("value"), _hidden=p.mask("value"),
                           _ci_hidden=p.mask("ci_low") | p.mask("ci_high"))
    source = frame["group"] if "group" in frame else frame["label"]
    frame = frame.assign(_code=source.map(lambda g: referential.normalise_department(g) if pd.notna(g) else None))
    frame = frame[frame["_code"].isin(list(in_scope))].drop_duplicates("_code")
    return p, {r["_code"]: r for r in frame.to_dict("records")}


def _cell(shape: DepartmentShape, rec: dict | None, unit: str, marker: str, cmap, norm) -> dict:
    """How one department of the scope is drawn and told: fill, hatch, label, published numbers."""
    from .formatting import fmt_interval, fmt_value

    value = lo = hi = None
    if rec is not None and rec["_hidden"]:
        status, face, hatch, text = "secret", NO_DATA, HATCH, marker
        words = "secret statistique"
    elif rec is None or pd.isna(rec["value"]):
        status, face, hatch, text = "pas de donnée", NO_DATA, None, "—"
        words = "pas de donnée"
    else:
        value = float(rec["value"])
        if not rec["_ci_hidden"] and pd.notna(rec.get("ci_low")) and pd.notna(rec.get("ci_high")):
            lo, hi = float(rec["ci_low"]), float(rec["ci_high"])
        status, face, hatch, text = "", cmap(norm(value)), None, fmt_value(value, unit)
        words = fmt_value(value, unit) + (f" {fmt_interval(lo, hi, unit)}" if lo is not None else "")
    return {"face": face, "hatch": hatch, "text": text, "description": f"{shape.name} : {words}",
            "row": {"code": shape.code, "département": shape.name, "valeur": value, "borne basse": lo,
                    "borne haute": hi, "statut": status}}


def department_map(table: pd.DataFrame, unit: str, *, scope: str = referential.REGION_SCOPE, title: str = "",
                   persons: bool = True, unit_label: str | None = None) -> DepartmentMap:
    """Draw a breakdown by department as a choropleth map.

    Args:
        table: a breakdown by department (``group`` = department code, ``label``, ``value``,
            ``ci_low``, ``ci_high``, ``numerator``, ``denominator``); rows whose group is not
            one of the scope's departments (« Non renseigné ») are not drawn.
        unit: the values' unit (``percent``, ``count``…), for the legend and the labels.
        scope: the report's scope: an academy's map is framed on its departments, the
            region's other departments grey.
        title: the map's title.
        persons: whether the counts are persons (disclosure control, :mod:`.privacy`).
        unit_label: the legend's wording of the unit (default: the catalogue's).

    Returns:
        A :class:`DepartmentMap`; the values, intervals and hidden departments are in its
        alternative text and in ``table``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Polygon

    from .catalogue import load_catalogue

    referential.check_scope(scope)
    shapes = load_departments()
    in_scope = set(referential.departments_of(scope))
    p, by_code = _by_code(table, unit, persons, in_scope)
    visible = [float(r["value"]) for r in by_code.values() if not r["_hidden"] and pd.notna(r["value"])]
    cmap = colour_scale()
    norm = plt.Normalize(*_nice_bounds(min(visible, default=np.nan), max(visible, default=np.nan), unit))

    fig, ax = plt.subplots(figsize=(6.4, 6.2))
    ax.set_aspect(1 / math.cos(math.radians(_LAT0)))
    ax.axis("off")
    cells = {}
    plain, hatched = [], []
    for code, shape in sorted(shapes.items(), key=lambda kv: (kv[0] not in in_scope, kv[0])):
        cell = _cell(shape, by_code.get(code), unit, p.rules.marker, cmap, norm) if code in in_scope else None
        for ring in shape.rings:
            patch = Polygon(ring, closed=True, facecolor=cell["face"] if cell else OUTSIDE,
                            edgecolor=EDGE if cell else "#FFFFFF", linewidth=0.6)
            (hatched if cell and cell["hatch"] else plain).append(patch)
        if cell:
            cells[code] = cell
            dark = cell["hatch"] is None and relative_luminance(cell["face"]) < 0.25
            ax.text(*shape.anchor, f"{code}\n{cell['text']}", ha="center", va="center", fontsize=7.5, zorder=3,
                    color="#FFFFFF" if dark else "#161616", linespacing=1.15,
                    bbox=None if cell["hatch"] is None else {"facecolor": "#FFFFFF", "edgecolor": "none", "pad": 1.2})
    # Collections, not one patch each: no limit update per patch (the frame is set below).
    ax.add_collection(PatchCollection(plain, match_original=True, zorder=1), autolim=False)
    if hatched:
        ax.add_collection(PatchCollection(hatched, match_original=True, hatch=HATCH, zorder=1), autolim=False)
    ax.add_collection(LineCollection(academy_borders(), colors=EDGE, linewidths=1.8, zorder=2), autolim=False)
    _frame_axes(ax, shapes, in_scope, scope)
    label = unit_label or load_catalogue().unit_label(unit)
    if visible:
        _colour_bar(fig, ax, cmap, norm, unit, label)
    rows = pd.DataFrame([c["row"] for c in cells.values()])
    hidden = [r["département"] for r in rows.to_dict("records") if r["statut"] == "secret"]
    missing = [r["département"] for r in rows.to_dict("records") if r["statut"] == "pas de donnée"]
    _legend(fig, p.rules, hidden, missing, scope)
    if title:
        ax.set_title(title, loc="left", fontsize=11, wrap=True)
    head = f"Carte des départements — {title}" if title else "Carte des départements"
    alt = (f"{head} ({label}). " + " ; ".join(c["description"] for c in cells.values()) + "."
           + (" Trait épais : limites des académies." if scope == referential.REGION_SCOPE else ""))
    return DepartmentMap(fig, alt, rows, hidden, missing, p.note() if hidden else "")


def _colour_bar(fig, ax, cmap, norm, unit: str, label: str) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.ticker import MaxNLocator

    from .catalogue import load_catalogue
    from .formatting import fr_number

    decimals = load_catalogue().units.get(unit, {}).get("decimals", 1)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, orientation="horizontal", fraction=0.045,
                       pad=0.02, aspect=35, shrink=0.8)
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=8)
    bar.ax.xaxis.set_major_locator(MaxNLocator(6))
    bar.ax.xaxis.set_major_formatter(lambda v, _pos: fr_number(v, 0 if float(v).is_integer() else decimals))
    bar.outline.set_linewidth(0.5)
    bar.solids.set_rasterized(True)  # one image in the SVG, not a path per shade


def _legend(fig, rules, hidden: list[str], missing: list[str], scope: str) -> None:
    """What the hatching, the white and the grey mean (only those drawn)."""
    from matplotlib.patches import Patch

    handles = []
    if hidden:
        handles.append(Patch(facecolor=NO_DATA, edgecolor=EDGE, hatch=HATCH,
                             label=f"{rules.marker} : secret statistique (effectifs inférieurs à {rules.threshold} "
                                   "ou permettant de les retrouver)"))
    if missing:
        handles.append(Patch(facecolor=NO_DATA, edgecolor=EDGE, label="— : pas de donnée"))
    if scope != referential.REGION_SCOPE:
        handles.append(Patch(facecolor=OUTSIDE, edgecolor="#FFFFFF", label="hors du périmètre du rapport"))
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.08, 0.0), fontsize=7.5, frameon=False,
                   handlelength=2.2)


def draw_outlines(ax, scope: str = referential.REGION_SCOPE) -> None:
    """The departments' outlines as a background (the scope's in light grey, the academies'
    borders thicker), for a chart in longitude / latitude such as 3.2's establishments."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Polygon

    in_scope = set(referential.departments_of(scope))
    patches = [Polygon(ring, closed=True, facecolor="#F6F6F6" if code in in_scope else "#FFFFFF",
                       edgecolor="#929292", linewidth=0.5)
               for code, shape in load_departments().items() for ring in shape.rings]
    ax.add_collection(PatchCollection(patches, match_original=True, zorder=0), autolim=False)
    ax.add_collection(LineCollection(academy_borders(), colors="#666666", linewidths=1.2, zorder=0), autolim=False)


def _frame_axes(ax, shapes, in_scope, scope) -> None:
    """The region's extent, or the academy's departments with a margin."""
    chosen = [s for c, s in shapes.items() if scope == referential.REGION_SCOPE or c in in_scope]
    pts = np.vstack([r for s in chosen for r in s.rings])
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    mx, my = (x1 - x0) * 0.04, (y1 - y0) * 0.04
    ax.set_xlim(x0 - mx, x1 + mx)
    ax.set_ylim(y0 - my, y1 + my)


__all__ = ["DepartmentMap", "DepartmentShape", "academy_borders", "colour_scale", "department_map", "draw_outlines",
           "geometry_metadata", "load_departments", "relative_luminance"]
