"""The observatory's entry page, ``OUT/index.html``, written from the manifest."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from . import referential
from .catalogue import load_catalogue
from .fsutil import atomic_write
from .periods import Period
from .runner import INDEX, MANIFEST, SYNTHESIS_ID, SYNTHESIS_TITLE, TEMPLATES


def write_index(out: Path, manifest: dict) -> Path:
    """``OUT/index.html``: every report by target, scope and period, with its statuses."""
    cat = load_catalogue()
    reports = list(manifest.get("reports", {}).values())
    periods = sorted({r["period"] for r in reports}, key=lambda p: Period.parse(p).start, reverse=True)
    scope_order = {s: k for k, s in enumerate(referential.SCOPES)}
    css = (TEMPLATES / "drane" / "report.css").read_text(encoding="utf-8")
    parts = [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        "<title>Observatoire des usages du numérique éducatif — Nouvelle-Aquitaine</title>",
        f"<style>{css}</style></head><body>",
        '<nav class="topbar" aria-label="Observatoire"><a href="index.html">Observatoire du numérique éducatif '
        "— Nouvelle-Aquitaine</a></nav>",
        '<main id="contenu">',
        "<h1>Observatoire des usages du numérique éducatif</h1>",
        f"<p class=\"summary\">{html.escape(cat.roadmap.get('title', ''))}. Chaque rapport mesure les "
        "indicateurs d'une cible contre ses objectifs, pour une académie ou la région, et une année scolaire.</p>",
    ]
    if any(r.get("demo_data") for r in reports):
        parts.append('<p class="demo-banner" role="note">Rapports construits sur des données de démonstration '
                     "(aucune donnée réelle).</p>")
    failed = [r for r in reports if r["status"] == "failed"]
    if failed:
        parts.append(f'<p class="drane-error" role="alert"><strong>{len(failed)} rapport(s) en échec</strong> lors '
                     "de la dernière construction : voir les lignes signalées ci-dessous.</p>")
    for period in periods:
        parts.append(f"<h2>Année scolaire {period}</h2>")
        in_period = [r for r in reports if r["period"] == period]
        for tid in sorted({r["target"] for r in in_period}, key=lambda t: tuple(int(x) for x in t.split("."))):
            t = cat.targets.get(tid)
            if tid == SYNTHESIS_ID:
                parts.append(f"<h3>{SYNTHESIS_TITLE} — tous les indicateurs, les objectifs à risque d'abord</h3>")
            else:
                parts.append(f"<h3>Cible {tid} — {html.escape(t.title if t else tid)}</h3>")
            rows = []
            for r in sorted((r for r in in_period if r["target"] == tid), key=lambda r: scope_order[r["academy"]]):
                rows.append(_index_row(r))
            parts.append('<table class="drane-table"><thead><tr><th scope="col">Périmètre</th>'
                         '<th scope="col">Indicateurs</th><th scope="col">Rapport</th></tr></thead><tbody>'
                         + "".join(rows) + "</tbody></table>")
    parts.append(f"<p class=\"summary\">Index généré le {datetime.now():%d/%m/%Y à %H:%M}. "
                 f"Détails de chaque construction : <a href=\"{MANIFEST}\">manifest.json</a>.</p>")
    parts.append("</main></body></html>")
    path = out / INDEX
    atomic_write(path, "\n".join(parts))
    return path


def _index_row(r: dict) -> str:
    from .report import status_badge

    cat = load_catalogue()
    scope = html.escape(referential.SCOPE_LABELS.get(r["academy"], r["academy"]))
    counts: dict[str, int] = {}
    for h in r.get("headline") or []:
        counts[h["status"]] = counts.get(h["status"], 0) + 1
    order = sorted(counts, key=lambda s: cat.statuses[s]["order"])
    badges = " ".join(status_badge(s, f"{cat.status_label(s)} : {counts[s]}") for s in order) or "—"
    link = "—"
    if r.get("html"):
        built = r.get("built_at", "")[:10]
        link = f'<a href="{html.escape(r["html"])}">Ouvrir le rapport</a> <small>({built})</small>'
    if r["status"] == "failed":
        first = html.escape(r.get("message", "").splitlines()[0] if r.get("message") else "erreur")
        shown = f"rapport précédent du {r['built_at'][:10]} toujours affiché" if r.get("html") else "aucun rapport"
        link = (f'<div class="drane-error"><strong>Échec le {r.get("attempted_at", "")[:10]}</strong> : {first}'
                f"<br><small>{shown}</small></div>") + (f" {link}" if r.get("html") else "")
    return f"<tr><th scope=\"row\">{scope}</th><td>{badges}</td><td>{link}</td></tr>"
