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
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from . import referential
from .catalogue import load_catalogue
from .fsutil import atomic_write
from .periods import Period
from .runner import INDEX, MANIFEST, SYNTHESIS_ID, SYNTHESIS_TITLE, TEMPLATES

#: Statuses that call for action, most worrying first.
WORRYING = ("off_track", "not_reached", "progressing", "at_risk")
#: Order in which statuses are listed (worrying first, then good news, then withheld for want of
#: coverage, no objective, secondary indicators, no data).
STATUS_ORDER = ("off_track", "not_reached", "progressing", "at_risk", "on_track", "reached", "withheld",
                "no_objective", "secondary", "no_data")
FAILED = "failed"
FAILED_LABEL = "Échec de construction"
EXPORT_LABELS = {
    "csv": ("Tableur (CSV pour Excel)", "séparateur point-virgule, virgule décimale, UTF-8"),
    "xlsx": ("Classeur Excel (.xlsx)", "une feuille par cible, en-têtes figés, nombres formatés"),
    "parquet": ("Parquet", "pour Python, R ou un outil de BI ; noms de colonnes de la bibliothèque"),
}


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


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _colour(status: str) -> str:
    from .report import GREY, STATUS_COLOURS

    return "#CE0500" if status == FAILED else STATUS_COLOURS.get(status, GREY)


def _label(status: str, cat) -> str:
    if status == FAILED:
        return FAILED_LABEL
    return cat.statuses[status]["label"] if status in cat.statuses else status


def _badge(status: str, text: str) -> str:
    return f'<span class="badge" style="background:{_colour(status)}">{_e(text)}</span>'


def _status_cell(h: dict, cat) -> str:
    """A headline row's status badge with the gap closed and the objective's reading under it."""
    from .report import status_cell

    gap = h.get("gap_closed")
    return status_cell(h["status"], _label(h["status"], cat), float(gap) if gap is not None else None,
                       h.get("reading") or "")


def _fmt(value, unit: str | None) -> str:
    from .report import fmt_value

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


def sparkline(points: list[tuple[str, float]], unit: str | None, label: str, objective: float | None = None,
              width: int = 120, height: int = 34) -> str:
    """A small trend line as inline SVG, with its text alternative (values by school year)."""
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

    coords = [xy(k, v) for k, v in enumerate(values)]
    desc = " ; ".join(f"{p} : {_fmt(v, unit)}" for p, v in points)
    if objective is not None:
        desc += f" ; objectif : {_fmt(objective, unit)}"
    alt = f"Tendance de « {label} » — {desc}"
    parts = [f'<svg class="spark" role="img" aria-label="{_e(alt)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{_e(alt)}</title>']
    if objective is not None:
        _, oy = xy(0, objective)
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{oy}" y2="{oy}" stroke="#CE0500" '
                     'stroke-width="1" stroke-dasharray="3 2"/>')
    parts.append('<polyline fill="none" stroke="#000091" stroke-width="2" points="'
                 + " ".join(f"{x},{y}" for x, y in coords) + '"/>')
    x, y = coords[-1]
    parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#000091"/></svg>')
    return "".join(parts)


def _trend_cell(entry: dict, reports: list[dict]) -> str:
    lead, points = _history(entry, reports)
    if lead is None or len(points) < 2:
        return '<span class="muted">—<span class="sr-only"> pas assez d\'années pour une tendance</span></span>'
    objective = lead.get("objective")
    svg = sparkline(points, lead.get("unit"), lead.get("label") or lead["indicator"],
                    float(objective) if objective is not None else None)
    return f'{svg}<span class="spark-label">{_e(lead.get("label") or lead["indicator"])}</span>'


# --------------------------------------------------------------------------- sections


def _head(css: str) -> list[str]:
    return [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        '<meta name="color-scheme" content="light">',
        '<link rel="icon" href="data:,">',  # no request for /favicon.ico
        "<title>Observatoire des usages du numérique éducatif — Nouvelle-Aquitaine</title>",
        f"<style>{css}\n{PORTAL_CSS}</style></head><body>",
        '<a class="skip" href="#contenu">Aller au contenu</a>',
        '<header class="topbar"><p class="topbar-title"><a href="index.html">Observatoire du numérique éducatif '
        "— Nouvelle-Aquitaine</a></p></header>",
        '<main id="contenu">',
    ]


def _bar(counts: dict[str, int], cat) -> str:
    """A stacked bar of status counts (decorative: the same counts are written beside it)."""
    total = sum(counts.values()) or 1
    segs = "".join(f'<span style="width:{100 * n / total:.2f}%;background:{_colour(s)}" '
                   f'title="{_e(_label(s, cat))} : {n}"></span>' for s, n in counts.items())
    return f'<div class="stack" aria-hidden="true">{segs}</div>'


def _counts_sentence(counts: dict[str, int], cat) -> str:
    total = sum(counts.values())
    parts = [f"{n} « {_label(s, cat).lower()} »" for s, n in counts.items()]
    return f"{total} indicateur(s) : " + ", ".join(parts) + "."


def _synthesis_section(reports: list[dict], latest: str, cat, href_of) -> list[str]:
    in_latest = [r for r in reports if r.get("period") == latest]
    synth = {r.get("academy"): r for r in in_latest if str(r.get("target")) == SYNTHESIS_ID}
    parts = [f'<section aria-labelledby="synthese"><h2 id="synthese">Synthèse régionale — année scolaire {_e(latest)}</h2>']
    region = synth.get(referential.REGION_SCOPE)
    if region and region.get("headline"):
        rows = [dict(h) for h in region["headline"]]
        source = ""
    else:
        rows = [dict(h, target=h.get("target") or r.get("target")) for r in in_latest
                if r.get("academy") == referential.REGION_SCOPE and str(r.get("target")) != SYNTHESIS_ID
                for h in r.get("headline") or []]
        source = ("<p class=\"muted\">La synthèse n'a pas été construite pour cette année : ce résumé rassemble "
                  "les rapports de la région disponibles.</p>") if rows else ""
    if not rows:
        parts.append("<p>Aucun rapport de la région n'est encore construit pour cette année : lancez "
                     "« drane build --academy region ».</p></section>")
        return parts
    counts = _status_counts(rows)
    parts.append(source)
    parts.append(f'<p class="lead">Région académique {_e(referential.REGION_NAME)} — {_counts_sentence(counts, cat)}</p>')
    parts.append(_bar(counts, cat))
    parts.append('<p class="legend">' + " ".join(_badge(s, f"{_label(s, cat)} : {n}") for s, n in counts.items())
                 + "</p>")
    links = [f'<a href="{_e(synth[s]["html"])}">{_e(referential.SCOPE_LABELS.get(s, s))}</a>'
             for s in sorted(synth, key=_scope_key) if synth[s].get("html")]
    if links:
        parts.append("<p><strong>Lire la synthèse complète</strong> : " + " · ".join(links) + "</p>")
    for h in rows:
        if not h.get("target") and h.get("indicator"):
            try:
                h["target"] = cat.indicator(h["indicator"]).target
            except KeyError:
                h["target"] = ""
    worrying = [h for h in rows if h.get("status") in WORRYING]
    worrying.sort(key=lambda h: (WORRYING.index(h["status"]), _target_key(h.get("target", ""))))
    parts.append('<h3>Les objectifs compromis</h3>')
    if worrying:
        trs = []
        for h in worrying[:12]:
            tid = str(h.get("target") or "")
            link = href_of(tid, referential.REGION_SCOPE, latest)
            cell = f'<a href="{_e(link)}">{_e(tid)}</a>' if link else _e(tid)
            trs.append(f'<tr><td data-label="Cible">{cell}</td>'
                       f'<th scope="row">{_e(h.get("label") or h.get("indicator"))}</th>'
                       f'<td class="num" data-label="Valeur">{_e(_fmt(h.get("value"), h.get("unit")))}</td>'
                       f'<td data-label="Objectif">'
                       f'{_e(h.get("objective_label") or _fmt(h.get("objective"), h.get("unit")))}</td>'
                       f'<td data-label="Statut">{_status_cell(h, cat)}</td></tr>')
        more = (f"<p class=\"muted\">… et {len(worrying) - 12} autre(s) : voir la synthèse complète.</p>"
                if len(worrying) > 12 else "")
        parts.append('<div class="scroll"><table class="drane-table cards"><caption>Indicateurs de la région hors '
                     'trajectoire, non atteints ou à risque</caption><thead><tr><th scope="col">Cible</th>'
                     '<th scope="col">Indicateur</th><th scope="col" class="num">Valeur</th>'
                     '<th scope="col">Objectif</th><th scope="col">Statut</th></tr></thead><tbody>'
                     + "".join(trs) + "</tbody></table></div>" + more)
    else:
        parts.append("<p>Aucun objectif de la région n'est hors trajectoire, non atteint ou à risque.</p>")
    by_scope = [(s, _status_counts(synth[s].get("headline") or [])) for s in sorted(synth, key=_scope_key)
                if synth[s].get("headline")]
    if len(by_scope) > 1:
        statuses = [s for s in STATUS_ORDER if any(s in c for _, c in by_scope)]
        head = "".join(f'<th scope="col" class="num">{_e(_label(s, cat))}</th>' for s in statuses)
        body = "".join(f'<tr><th scope="row">{_e(referential.SCOPE_LABELS.get(sc, sc))}</th>'
                       + "".join(f'<td class="num">{c.get(s, 0)}</td>' for s in statuses) + "</tr>"
                       for sc, c in by_scope)
        parts.append('<h3>Par périmètre</h3><div class="scroll"><table class="drane-table"><caption>Nombre '
                     f"d'indicateurs par statut</caption><thead><tr><th scope=\"col\">Périmètre</th>{head}</tr>"
                     f"</thead><tbody>{body}</tbody></table></div>")
    parts.append("</section>")
    return parts


def _filters(reports: list[dict], periods: list[str], cat) -> str:
    targets = sorted({str(r.get("target")) for r in reports}, key=_target_key)
    scopes = sorted({r.get("academy") for r in reports}, key=_scope_key)
    statuses = [s for s in STATUS_ORDER if any(h.get("status") == s for r in reports for h in r.get("headline") or [])]
    if any(r.get("status") == FAILED for r in reports):
        statuses.append(FAILED)

    def select(name: str, label: str, options: list[tuple[str, str]], every: str) -> str:
        opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in options)
        return (f'<div class="filter"><label for="f-{name}">{label}</label>'
                f'<select id="f-{name}" name="{name}"><option value="">{every}</option>{opts}</select></div>')

    target_opts = [(t, "Synthèse" if t == SYNTHESIS_ID else f"Cible {t} — {_title_of({'target': t}, cat)}")
                   for t in targets]
    return ('<form id="filtres" class="filters" hidden aria-label="Filtrer les rapports">'
            + select("cible", "Cible", target_opts, "Toutes")
            + select("academie", "Périmètre", [(s, referential.SCOPE_LABELS.get(s, s)) for s in scopes], "Tous")
            + select("annee", "Année scolaire", [(p, p) for p in periods], "Toutes")
            + select("statut", "Statut d'un indicateur", [(s, _label(s, cat)) for s in statuses], "Tous")
            + '<div class="filter"><button type="reset">Tout afficher</button></div></form>'
            + '<p id="compte" class="muted" role="status" aria-live="polite"></p>')


def _report_row(r: dict, reports: list[dict], cat) -> str:
    tid = str(r.get("target", ""))
    scope = r.get("academy", "")
    title = _title_of(r, cat)
    name = "Synthèse de la feuille de route" if tid == SYNTHESIS_ID else f"Cible {tid} — {title}"
    counts = _status_counts(r.get("headline") or [])
    badges = " ".join(_badge(s, f"{_label(s, cat)} : {n}") for s, n in counts.items()) or "—"
    link = "—"
    if r.get("html"):
        built = (r.get("built_at") or "")[:10]
        link = (f'<a href="{_e(r["html"])}">Ouvrir le rapport<span class="sr-only"> {_e(name)}, '
                f'{_e(referential.SCOPE_LABELS.get(scope, scope))}, {_e(r.get("period"))}</span></a>'
                + (f" <small>({built})</small>" if built else ""))
    if r.get("status") == FAILED:
        message = r.get("message") or ""
        first = _e(message.splitlines()[0] if message else "erreur")
        shown = (f"rapport précédent du {_e((r.get('built_at') or '')[:10])} toujours affiché" if r.get("html")
                 else "aucun rapport")
        link = (f'<div class="drane-error"><strong>Échec le {_e((r.get("attempted_at") or "")[:10])}</strong> : '
                f"{first}<br><small>{shown}</small></div>") + (f" {link}" if r.get("html") else "")
    statuses = " ".join(list(counts) + ([FAILED] if r.get("status") == FAILED else []))
    return (f'<tr data-target="{_e(tid)}" data-academy="{_e(scope)}" data-period="{_e(r.get("period"))}" '
            f'data-statuses="{_e(statuses)}">'
            f'<th scope="row" data-label="Cible">{_e(name)}</th>'
            f'<td data-label="Périmètre">{_e(referential.SCOPE_LABELS.get(scope, scope))}</td>'
            f'<td data-label="Année" class="period">{_e(r.get("period"))}</td>'
            f'<td data-label="Indicateurs">{badges}</td>'
            f'<td data-label="Tendance">{_trend_cell(r, reports)}</td>'
            f'<td data-label="Rapport">{link}</td></tr>')


def _exports_section(out: Path) -> list[str]:
    from .exports import export_paths

    items = []
    for kind, path in export_paths(out).items():
        if path.is_file():
            label, detail = EXPORT_LABELS[kind]
            size = path.stat().st_size
            size_text = f"{size / 1024:.0f} Ko" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} Mo"
            rel = path.relative_to(out).as_posix()
            items.append(f'<li><a href="{_e(rel)}" download>{_e(label)} — {_e(path.name)}</a> '
                         f'<small>({_e(detail)} ; {size_text.replace(".", ",")})</small></li>')
    parts = ['<section aria-labelledby="donnees"><h2 id="donnees">Données pour les analystes</h2>']
    if items:
        parts.append("<p>La table de tous les indicateurs des rapports ci-dessus (valeur, intervalle de confiance, "
                     "numérateur et dénominateur, objectif, projection, statut), par périmètre et année "
                     "scolaire :</p><ul>" + "".join(items) + "</ul>")
    else:
        parts.append("<p>Aucun export : aucun rapport ne contient encore d'indicateur.</p>")
    parts.append(f'<p>Traçabilité de chaque rapport (données, paramètres, versions) : <a href="{MANIFEST}">'
                 "manifest.json</a>.</p></section>")
    return parts


# --------------------------------------------------------------------------- the page


def render_index(out: Path, manifest: dict) -> str:
    """The HTML of ``OUT/index.html`` for a manifest (see the module documentation)."""
    cat = load_catalogue()
    reports = [r for r in (manifest.get("reports") or {}).values()
               if isinstance(r, dict) and r.get("target") is not None and r.get("academy") and r.get("period")]
    periods = sorted({str(r["period"]) for r in reports}, key=_period_start, reverse=True)
    by_key = {(str(r["target"]), r["academy"], str(r["period"])): r for r in reports}

    def href_of(target: str, scope: str, period: str) -> str:
        r = by_key.get((target, scope, period))
        return r.get("html", "") if r else ""

    css = (TEMPLATES / "drane" / "report.css").read_text(encoding="utf-8")
    parts = _head(css)
    parts += [
        "<h1>Observatoire des usages du numérique éducatif</h1>",
        f"<p class=\"summary\">{_e(cat.roadmap.get('title', ''))}. Chaque rapport mesure les indicateurs d'une "
        "cible contre ses objectifs, pour une académie ou la région, et une année scolaire.</p>",
    ]
    if any(r.get("demo_data") for r in reports):
        parts.append('<p class="demo-banner" role="note">Rapports construits sur des données de démonstration '
                     "(aucune donnée réelle) : les chiffres illustrent la méthode, pas la situation de la "
                     "région.</p>")
    failed = [r for r in reports if r.get("status") == FAILED]
    if failed:
        parts.append(f'<p class="drane-error" role="alert"><strong>{len(failed)} rapport(s) en échec</strong> lors '
                     "de la dernière construction : voir les lignes signalées dans le tableau des rapports.</p>")
    parts.append('<nav class="toc" aria-label="Sur cette page"><ul><li><a href="#synthese">Synthèse régionale</a>'
                 '</li><li><a href="#rapports">Tous les rapports</a></li><li><a href="#donnees">Données pour les '
                 "analystes</a></li></ul></nav>")
    if periods:
        parts += _synthesis_section(reports, periods[0], cat, href_of)
    else:
        parts.append('<section aria-labelledby="synthese"><h2 id="synthese">Synthèse régionale</h2><p>Aucun rapport '
                     "n'est encore construit : lancez « drane build ».</p></section>")
    ordered = sorted(reports, key=lambda r: (-_period_start(r["period"]), _target_key(r["target"]),
                                             _scope_key(r["academy"])))
    parts.append('<section aria-labelledby="rapports"><h2 id="rapports">Tous les rapports</h2>')
    parts.append("<p>Chaque ligne est un rapport : une cible pour un périmètre et une année scolaire, avec le "
                 "statut de ses indicateurs et la tendance de son premier indicateur (pointillés rouges : "
                 "l'objectif).</p>")
    parts.append(_filters(reports, periods, cat))
    parts.append('<div class="scroll"><table class="drane-table cards reports" id="table-rapports"><caption>Rapports '
                 "par cible, périmètre et année scolaire</caption><thead><tr><th scope=\"col\">Cible</th>"
                 '<th scope="col">Périmètre</th><th scope="col">Année</th><th scope="col">Indicateurs</th>'
                 '<th scope="col">Tendance</th><th scope="col">Rapport</th></tr></thead><tbody>'
                 + "".join(_report_row(r, reports, cat) for r in ordered) + "</tbody></table></div>")
    parts.append('<p id="aucun" class="muted" hidden>Aucun rapport ne correspond à ces filtres.</p></section>')
    parts += _exports_section(out)
    parts.append("</main>")
    parts.append(f'<footer class="site-footer">Région académique Nouvelle-Aquitaine — Délégation régionale '
                 f"académique au numérique éducatif (DRANE). Index généré le {datetime.now():%d/%m/%Y à %H:%M} "
                 "par drane-analysis.</footer>")
    parts.append(f"<script>{FILTER_JS}</script></body></html>")
    return "\n".join(parts)


def write_index(out: Path, manifest: dict) -> Path:
    """Write ``OUT/index.html`` from the manifest (atomically) and return its path."""
    path = Path(out) / INDEX
    atomic_write(path, render_index(Path(out), manifest))
    return path


PORTAL_CSS = """
.topbar-title { margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: #3a3a3a; }
.lead { font-size: 1.1rem; }
.toc ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.toc a, main a { color: #000091; }
.stack { display: flex; height: 1.1rem; border-radius: .2rem; overflow: hidden; margin: .5rem 0; max-width: 40rem; }
.stack span { display: block; height: 100%; }
.legend .badge { margin: 0 .3rem .3rem 0; }
.scroll { overflow-x: auto; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: flex-end; background: #f6f6f6; padding: .7rem; border-radius: .3rem; }
.filter { display: flex; flex-direction: column; font-size: .9rem; }
.filter label { font-weight: bold; }
.filter select { max-width: 100%; width: 22rem; } .filter select#f-annee, .filter select#f-academie { width: auto; }
td.period { white-space: nowrap; }
.filter select, .filter button { font: inherit; padding: .3rem; min-height: 2.2rem; border: 1px solid #3a3a3a; border-radius: .2rem; background: #fff; color: #161616; }
.filter button { background: #000091; color: #fff; border-color: #000091; cursor: pointer; }
svg.spark { display: block; }
.spark-label { display: block; font-size: .75rem; color: #3a3a3a; max-width: 11rem; }
table.reports tr[hidden] { display: none; }
@media (max-width: 700px) {
  table.cards, table.cards tbody, table.cards tr, table.cards td, table.cards tbody th { display: block; width: 100%; }
  table.cards thead { position: absolute; left: -9999px; }
  table.cards caption { display: block; width: 100%; }
  table.cards tr { border: 1px solid #dddddd; border-radius: .3rem; margin: 0 0 .8rem; padding: .3rem .5rem; }
  table.cards td, table.cards tbody th { border: none; padding: .2rem 0; text-align: left; }
  table.cards td[data-label]::before { content: attr(data-label) " : "; font-weight: bold; }
  table.cards tr[hidden] { display: none; }
}
"""

FILTER_JS = """
(function () {
  var form = document.getElementById('filtres');
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll('#table-rapports tbody tr'));
  var count = document.getElementById('compte');
  var none = document.getElementById('aucun');
  var names = ['cible', 'academie', 'annee', 'statut'];
  form.hidden = false;
  function values() {
    var v = {};
    names.forEach(function (n) { v[n] = form.elements[n].value; });
    return v;
  }
  function apply(updateAddress) {
    var v = values(), shown = 0;
    rows.forEach(function (r) {
      var ok = (!v.cible || r.getAttribute('data-target') === v.cible)
        && (!v.academie || r.getAttribute('data-academy') === v.academie)
        && (!v.annee || r.getAttribute('data-period') === v.annee)
        && (!v.statut || (' ' + r.getAttribute('data-statuses') + ' ').indexOf(' ' + v.statut + ' ') >= 0);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + ' rapport(s) affiché(s) sur ' + rows.length + '.';
    none.hidden = shown !== 0;
    if (updateAddress) {
      var h = names.filter(function (n) { return v[n]; })
        .map(function (n) { return n + '=' + encodeURIComponent(v[n]); }).join('&');
      if (h || location.hash) { location.replace('#' + h); }
    }
  }
  function readAddress() {
    var wanted = {};
    (location.hash || '').replace(/^#/, '').split('&').forEach(function (kv) {
      var p = kv.split('=');
      if (names.indexOf(p[0]) >= 0) { wanted[p[0]] = decodeURIComponent(p[1] || ''); }
    });
    names.forEach(function (n) {
      var el = form.elements[n], val = wanted[n] || '';
      el.value = '';
      for (var i = 0; i < el.options.length; i++) { if (el.options[i].value === val) { el.value = val; } }
    });
  }
  form.addEventListener('change', function () { apply(true); });
  form.addEventListener('reset', function () { setTimeout(function () { apply(true); }, 0); });
  window.addEventListener('hashchange', function () { readAddress(); apply(false); });
  readAddress();
  apply(false);
})();
"""
