"""The regional synthesis: every indicator of every target against its objective.

Used by ``notebooks/0-synthese.ipynb``: one table of every indicator for a scope and a
school year with its status (objectives at risk first), the largest territorial gaps across
indicators, and links to the target reports.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import referential
from .catalogue import load_catalogue
from .data import Data
from .indicators import evaluate
from .privacy import published
from .targets import modules

# Statuses from the most worrying to the least; the synthesis lists indicators in this order.
# "withheld": a status suspended for want of coverage of the joins (coverage.py).
STATUS_PRIORITY = ["off_track", "not_reached", "progressing", "at_risk", "on_track", "reached", "withheld",
                   "no_objective", "secondary", "no_data"]
GAP_BREAKDOWNS = ("territory", "ips_quartile", "priority_education", "department")


def all_series(data: Data, on_error: Callable[[str, Exception], None] | None = None) -> pd.DataFrame:
    """The series of every target module; a target whose data fail is skipped and reported."""
    frames = []
    for tid, module in modules().items():
        try:
            frames.append(module.compute(data))
        except Exception as exc:  # noqa: BLE001 - one target's missing data must not hide the others
            if on_error is None:
                raise
            on_error(tid, exc)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def synthesis_table(data: Data, scope: str, period: str, series: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator for the scope and period, with status, most worrying first."""
    series = all_series(data) if series is None else series
    table = evaluate(series, periods=[period], scopes=[scope])
    if table.empty:
        return table
    order = {s: k for k, s in enumerate(STATUS_PRIORITY)}
    table = table.assign(_o=table["status"].map(order),
                         _t=table["target"].map(lambda t: tuple(int(x) for x in t.split("."))))
    return table.sort_values(["_o", "_t"], kind="stable").drop(columns=["_o", "_t"]).reset_index(drop=True)


def map_indicators(data: Data, scope: str, period: str):
    """For each target, its first indicator (catalogue order) declaring a breakdown by
    department whose table has a value for the scope and year: ``(indicator, table)`` pairs."""
    cat = load_catalogue()
    mods = modules()
    for tid in cat.targets:
        module = mods.get(tid)
        if module is None or not hasattr(module, "breakdown"):
            continue
        for ind in cat.indicators(tid):
            if "department" not in ind.breakdowns:
                continue
            try:
                table = module.breakdown(data, ind.id, scope, period, "department")
            except Exception:  # noqa: BLE001,S112 - an indicator without data for this breakdown is skipped
                continue
            if not table.empty and table["value"].notna().any():
                yield ind, table
                break


def status_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Number of indicators per status, in priority order."""
    cat = load_catalogue()
    counts = table["status"].value_counts()
    rows = [{"status": s, "label": cat.status_label(s), "count": int(counts.get(s, 0))}
            for s in STATUS_PRIORITY if counts.get(s, 0)]
    return pd.DataFrame(rows)


def territorial_gaps(data: Data, scope: str, period: str, limit: int = 12) -> pd.DataFrame:
    """The largest gaps between groups (territory, IPS quartile…) across indicators.

    For every indicator whose target module offers ``breakdown`` and which declares the
    breakdown, the gap between its highest and lowest group. Gaps are compared relative to
    the indicator's overall level (``relative_gap`` = gap / mean of the groups). A gap is
    tested only where its breakdown carries a test that fits how the data were produced
    (:func:`~.stats.breakdown_gap`: establishments as clusters for pupils and accounts,
    Newcombe or Welch for independent units), at a level corrected for the groups compared
    and for the number of gaps tested in the table (Bonferroni: the table screens many
    indicators at once); ``significant`` is True or False, or None when no test fits.
    Groups whose value may not be published (:mod:`.privacy`: small counts, rates on small
    bases) are left out.
    """
    from .stats import breakdown_gap

    cat = load_catalogue()
    rows = []
    pairs = []
    mods = modules()
    for ind in cat.indicators():
        module = mods.get(ind.target)
        if module is None or not hasattr(module, "breakdown"):
            continue
        for by in GAP_BREAKDOWNS:
            if by not in ind.breakdowns:
                continue
            try:
                table = module.breakdown(data, ind.id, scope, period, by)
            except Exception:  # noqa: BLE001,S112 - an indicator without data for this breakdown is skipped
                continue
            # Groups too small to be published (statistical disclosure control) are left out.
            table = published(table, ind.unit).dropna(subset=["value"])
            table = table[table["label"] != "Non renseigné"]
            if len(table) < 2:
                continue
            hi, lo = table.loc[table["value"].idxmax()], table.loc[table["value"].idxmin()]
            mean = float(table["value"].mean())
            gap = float(hi["value"] - lo["value"])
            pairs.append((hi, lo, len(table)))
            rows.append({
                "target": ind.target, "indicator": ind.id, "label": ind.label, "unit": ind.unit,
                "breakdown": by, "breakdown_label": cat.breakdowns.get(by, by),
                "high_group": hi["label"], "high": float(hi["value"]),
                "low_group": lo["label"], "low": float(lo["value"]),
                "gap": gap, "relative_gap": gap / mean if mean else np.nan,
            })
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    tested = sum(breakdown_gap(hi, lo, groups=k) is not None for hi, lo, k in pairs)
    level = 1 - 0.05 / max(tested, 1)
    tests = [breakdown_gap(hi, lo, groups=k, level=level) for hi, lo, k in pairs]
    out["significant"] = pd.Series([None if t is None else t["significant"] for t in tests], dtype=object)
    out["tested"] = tested
    order = out["significant"].map({True: 0, False: 1, None: 2})
    out = out.assign(_o=order).sort_values(["_o", "relative_gap"], ascending=[True, False], kind="stable")
    return out.drop(columns="_o").head(limit).reset_index(drop=True)


def report_link(target: str, scope: str) -> str:
    """Relative link, from a synthesis report, to a target report of the same year and scope."""
    t = load_catalogue().target(target)
    return f"../{t.name}/{scope}.html"


def show_synthesis(rpt_scope: str, table: pd.DataFrame) -> None:
    """Display the synthesis table (status badges, links to the target reports)."""
    from .formatting import fmt_projection, fmt_value
    from .render import display_html, html_table, status_cell

    rows = []
    for r in table.itertuples(index=False):
        rows.append({
            "Cible": f'<a href="{html.escape(report_link(r.target, rpt_scope))}">{html.escape(r.target)}</a>',
            "Indicateur": html.escape(r.label),
            "Valeur": html.escape(fmt_value(r.value, r.unit)),
            "Objectif": html.escape(r.objective_label or "—"),
            "Projection à l'échéance": html.escape(fmt_projection(r.projection, r.projection_low, r.projection_high,
                                                                  r.unit, bool(r.projection_indicative))),
            "Statut": status_cell(r.status, r.status_label, r.gap_closed, r.reading),
        })
    frame = pd.DataFrame(rows)
    display_html(html_table(frame, raw_columns=list(frame.columns),
                             align_right=["Valeur", "Projection à l'échéance"],
                             caption=f"Tous les indicateurs — {referential.SCOPE_LABELS[rpt_scope]}"))


def show_gaps(gaps: pd.DataFrame) -> None:
    from .formatting import fmt_value
    from .render import display_html, display_markdown, html_table

    if gaps.empty:
        display_markdown("*Aucun écart territorial calculable pour ce périmètre et cette année.*")
        return
    frame = pd.DataFrame({
        "Cible": gaps["target"],
        "Indicateur": gaps["label"],
        "Ventilation": gaps["breakdown_label"],
        "Plus haut": [f"{g} : {fmt_value(v, u)}" for g, v, u in zip(gaps["high_group"], gaps["high"], gaps["unit"],
                                                                   strict=True)],
        "Plus bas": [f"{g} : {fmt_value(v, u)}" for g, v, u in zip(gaps["low_group"], gaps["low"], gaps["unit"],
                                                                  strict=True)],
        "Écart": [fmt_value(g, "percent_points" if u == "percent" else u) for g, u in zip(gaps["gap"], gaps["unit"],
                                                                                        strict=True)],
        "Significatif": ["non testé" if s is None else ("oui" if s else "non") for s in gaps["significant"]],
    })
    display_html(html_table(frame, align_right=["Écart"], caption="Les plus grands écarts entre territoires"))


class Synthesis:
    """What the synthesis notebook shows, for one scope and school year."""

    def __init__(self, academy: str = "region", period: str = "latest", data_dir: str = ""):
        from .render import setup_plots

        setup_plots()
        self.scope = referential.check_scope(academy)
        self.data = Data(data_dir)
        self.period = self.data.resolve_period(period)
        self.errors: dict[str, str] = {}
        self.series = all_series(self.data, on_error=lambda tid, exc: self.errors.__setitem__(tid, str(exc)))
        self.table = synthesis_table(self.data, self.scope, self.period, self.series)
        from .sidecar import write_sidecar

        write_sidecar(self.table)

    def header(self) -> None:
        from .render import display_html

        parts = [
            '<header class="drane-header"><p class="kicker">Observatoire des usages du numérique éducatif</p>',
            "<h1>Synthèse de la feuille de route</h1>",
            f'<p class="scope"><strong>{html.escape(referential.SCOPE_LABELS[self.scope])}</strong> · année '
            f"scolaire <strong>{self.period}</strong></p>",
            f'<p class="summary">Tous les indicateurs des {len(modules())} cibles mesurées, comparés à leurs '
            "objectifs ; les objectifs les plus compromis d'abord.</p>",
        ]
        if self.data.is_demo:
            parts.append('<p class="demo-banner" role="note">Données de démonstration générées (aucune donnée '
                         "réelle) : les chiffres illustrent la méthode, pas la situation de la région.</p>")
        parts.append("</header>")
        display_html("".join(parts))

    def overview(self) -> None:
        """Number of indicators by status, as a sentence and a bar chart."""
        import matplotlib.pyplot as plt

        from .formatting import STATUS_COLOURS
        from .render import display_markdown, show_figure

        counts = status_counts(self.table)
        if counts.empty:
            display_markdown("*Aucun indicateur calculable pour ce périmètre et cette année.*")
            return
        total = int(counts["count"].sum())
        parts = [f"{label} : {c}" for c, label in zip(counts["count"], counts["label"], strict=True)]
        display_markdown(f"Sur **{total} indicateurs** — " + " ; ".join(parts) + ".")
        fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(counts) + 1))
        ax.barh(counts["label"], counts["count"], color=[STATUS_COLOURS[s] for s in counts["status"]])
        ax.invert_yaxis()
        ax.set_xlabel("indicateurs")
        ax.set_title("Indicateurs par statut", loc="left")
        data = pd.DataFrame({"Statut": counts["label"], "Indicateurs": counts["count"]})
        show_figure(fig, "Nombre d'indicateurs par statut : " + ", ".join(parts), data=data,
                    name="indicateurs par statut")

    def show_table(self) -> None:
        show_synthesis(self.scope, self.table)

    def gaps(self) -> None:
        show_gaps(territorial_gaps(self.data, self.scope, self.period))

    def maps(self) -> None:
        """One map of the departments per target: its first indicator broken down by department
        that has values for the scope and year (:func:`map_indicators`)."""
        from .render import department_map_html, display_html, display_markdown

        shown = 0
        for ind, table in map_indicators(self.data, self.scope, self.period):
            html_ = department_map_html(table, f"{ind.target} — {ind.label}", ind.unit, self.scope,
                                        table_folded=True)
            if html_:
                display_html(html_)
                shown += 1
        if not shown:
            display_markdown("*Aucun indicateur ventilé par département pour ce périmètre et cette année.*")

    def method(self) -> None:
        from .render import INTERVALS_SENTENCE, display_markdown

        cat = load_catalogue()
        lines = [f"- **Intervalles** : {INTERVALS_SENTENCE}",
                 f"- **Statut** : {cat.status_rule}",
                 "- **Écarts territoriaux** : pour chaque indicateur ventilable, écart entre le groupe le plus haut "
                 "et le plus bas (type de territoire, quartile d'IPS, éducation prioritaire, département) ; les écarts "
                 "sont classés par leur taille relative au niveau de l'indicateur. « Significatif » vient d'un test "
                 "adapté à la façon dont les données sont produites (établissements comme grappes pour les élèves "
                 "et les comptes, unités indépendantes pour les établissements), au seuil de 5 % corrigé pour le "
                 "nombre de groupes comparés et pour le nombre d'écarts testés dans ce tableau (Bonferroni) ; "
                 "« non testé » quand aucun test ne convient (par exemple des écoles couvertes par circonscription).",
                 "- **Liens** : chaque cible renvoie à son rapport détaillé pour le même périmètre et la même année."]
        missing = [t for t in cat.targets if t not in modules()]
        if missing:
            lines.append(f"- **Cibles sans indicateurs calculés** : {', '.join(missing)}.")
        for tid, message in self.errors.items():
            first = message.splitlines()[0] if message else "erreur"
            lines.append(f"- **Cible {tid} non calculée** : {first}")
        display_markdown("\n".join(lines))
