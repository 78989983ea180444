"""What a target notebook shows: French tables, charts with alt text, prose from the data.

A notebook builds one :class:`Report` in its setup cell::

    rpt = Report("1.1", academy, period, data_dir)
    rpt.header()                  # title, scope, period, data folder (demo banner)
    rpt.headline()                # every indicator against its objective, with its status
    rpt.trend(["pix_certification_rate_3e"])    # series, interval, objective, projection
    rpt.breakdown_chart(table, "Taux de certification en 3e par département", unit="percent")
    rpt.method()                  # sources, coverage, status rule

Numbers are written the French way (``1 234,5 %``); every figure is embedded as a PNG
with an alternative text; nothing is loaded from the network.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from . import referential
from .catalogue import load_catalogue
from .data import Data
from .formatting import (
    BLUE,
    BLUE_LIGHT,
    PALETTE,
    RED,
    fmt_interval,
    fmt_projection,
    fmt_value,
    fr_number,
)
from .indicators import evaluate
from .periods import Period
from .privacy import protect_breakdown
from .render import (
    INTERVALS_SENTENCE,
    department_map_html,
    display_html,
    display_markdown,
    html_table,
    published_data,
    pyplot,
    setup_plots,
    show_figure,
    status_cell,
)
from .sidecar import sidecar_rows, write_sidecar
from .targets import module_for


def _trend_rows(label: str, history: pd.DataFrame, headline: pd.Series | None) -> list[dict]:
    """The numbers a trend chart draws for one indicator: each year's value and interval,
    then (when there is one) the objective and the projection at its deadline."""
    empty = {"Objectif": None, "Projection": None, "Projection basse": None, "Projection haute": None}
    rows = [{"Indicateur": label, "Année scolaire": Period(int(rec.year)).label, "Valeur": rec.value,
             "Borne basse IC 95 %": rec.ci_low, "Borne haute IC 95 %": rec.ci_high, **empty}
            for rec in history.itertuples(index=False)]
    if headline is not None and (pd.notna(headline["objective"]) or pd.notna(headline["projection"])):
        rows.append({"Indicateur": label, "Année scolaire": headline["objective_deadline"] or "", "Valeur": None,
                     "Borne basse IC 95 %": None, "Borne haute IC 95 %": None, "Objectif": headline["objective"],
                     "Projection": headline["projection"], "Projection basse": headline["projection_low"],
                     "Projection haute": headline["projection_high"]})
    return rows


# --------------------------------------------------------------------------- report


class Report:
    """The report of one target for one scope and school year.

    Args:
        target: the target's number (``"1.1"``).
        academy: ``bordeaux``, ``limoges``, ``poitiers`` or ``region``.
        period: a school year (``2022-2023``) or ``latest``.
        data_dir: the data folder (empty: the default one).
    """

    def __init__(self, target: str, academy: str = "region", period: str = "latest", data_dir: str = ""):
        setup_plots()
        self.catalogue = load_catalogue()
        self.target = self.catalogue.target(target)
        self.module = module_for(target)
        self.scope = referential.check_scope(academy)
        self.data = Data(data_dir)
        self.period = self.data.resolve_period(period)
        self.series = self.module.compute(self.data)
        self.table = evaluate(self.series, periods=[self.period], scopes=[self.scope], catalogue=self.catalogue)
        write_sidecar(self.table, self.series)

    # ------------------------------------------------------------ small helpers

    @property
    def scope_label(self) -> str:
        return referential.SCOPE_LABELS[self.scope]

    def row(self, indicator: str) -> pd.Series:
        """The headline row of one indicator (value, objective, status…)."""
        match = self.table[self.table["indicator"] == indicator]
        if match.empty:
            raise KeyError(f"pas de valeur pour {indicator} ({self.scope}, {self.period})")
        return match.iloc[0]

    def value(self, indicator: str, with_unit: bool = True) -> str:
        """An indicator's value, formatted, for prose (``"78,8 %"``)."""
        r = self.row(indicator)
        return fmt_value(r["value"], r["unit"], with_unit)

    def history(self, indicator: str, scope: str | None = None) -> pd.DataFrame:
        s = self.series
        out = s[(s["indicator"] == indicator) & (s["academy"] == (scope or self.scope))].copy()
        out["year"] = out["period"].map(lambda p: Period.parse(p).start)
        return out.sort_values("year")

    # ------------------------------------------------------------ blocks

    def header(self) -> None:
        """Title block: target, scope, school year; a banner on demo data."""
        t = self.target
        pole = f" — pôle {referential.ACADEMIES[t.pole].name}" if t.pole in referential.ACADEMIES else ""
        parts = [
            f'<header class="drane-header"><p class="kicker">Observatoire des usages du numérique éducatif'
            f' — Ambition {t.ambition}{html.escape(pole)}</p>',
            f"<h1>Cible {t.id} — {html.escape(t.title)}</h1>",
            f'<p class="scope"><strong>{html.escape(self.scope_label)}</strong> · année scolaire '
            f"<strong>{self.period}</strong></p>",
            f'<p class="summary">{html.escape(t.summary)}</p>',
        ]
        if self.data.is_demo:
            parts.append('<p class="demo-banner" role="note">Données de démonstration générées '
                         "(aucune donnée réelle) : les chiffres illustrent la méthode, pas la situation "
                         "de la région.</p>")
        parts.append("</header>")
        display_html("".join(parts))

    def headline_frame(self) -> pd.DataFrame:
        """The headline table as text (for display and tests)."""
        rows = []
        for r in self.table.itertuples(index=False):
            rows.append({
                "Indicateur": r.label,
                "Valeur": fmt_value(r.value, r.unit),
                "Intervalle à 95 %": fmt_interval(r.ci_low, r.ci_high, r.unit),
                "Objectif": r.objective_label or "—",
                "Projection à l'échéance": fmt_projection(r.projection, r.projection_low, r.projection_high, r.unit,
                                                          bool(r.projection_indicative)),
                "Statut": status_cell(r.status, r.status_label, r.gap_closed, r.reading),
            })
        return pd.DataFrame(rows)

    def headline(self) -> None:
        """Every indicator of the target against its objective, with its status (and, under
        it, the gap closed since the baseline and the objective's reading when it is a choice).

        Under the table, one line per indicator whose joins lost rows (:mod:`.coverage`), and the
        link to the report's indicator rows as CSV.
        """
        frame = self.headline_frame()
        if frame.get("Projection à l'échéance", pd.Series(dtype=str)).eq("—").all():
            frame = frame.drop(columns="Projection à l'échéance")  # every deadline passed: nothing projected
        display_html(html_table(frame, raw_columns=["Statut"],
                                 align_right=["Valeur", "Intervalle à 95 %", "Projection à l'échéance"],
                                 caption=f"Indicateurs de la cible {self.target.id} — {self.scope_label}, "
                                         f"{self.period}") + self.coverage_html() + self.headline_download())

    def coverage_html(self) -> str:
        """The coverage lines shown under the headline table (empty when no join lost rows)."""
        from .coverage import lines

        found = lines(self.table)
        if not found:
            return ""
        items = "".join(f"<li><strong>{html.escape(label)}</strong> : {html.escape(note)}.</li>"
                        for label, note in found)
        return f'<div class="coverage-note" role="note"><p>Couverture des rapprochements entre sources :</p>' \
               f"<ul>{items}</ul></div>"

    def headline_csv(self) -> bytes:
        """The report's indicator rows as French Excel's CSV, with the columns of the build's
        ``donnees/indicateurs.csv`` (:mod:`.exports`)."""
        from .exports import csv_bytes, indicator_rows

        entry = {"target": self.target.id, "academy": self.scope, "period": self.period,
                 "demo_data": self.data.is_demo, "headline": sidecar_rows(self.table)}
        return csv_bytes(indicator_rows({"reports": {"report": entry}}))

    def headline_download(self) -> str:
        """The link to :meth:`headline_csv`, under the headline table (a ``data:`` URI)."""
        csv = base64.b64encode(self.headline_csv()).decode("ascii")
        name = f"indicateurs-cible-{self.target.id}-{self.scope}-{self.period}.csv"
        return (f'<p class="drane-downloads">Télécharger : <a download="{name}" type="text/csv" '
                f'href="data:text/csv;charset=utf-8;base64,{csv}">les indicateurs de ce rapport (CSV, Excel '
                f"français)</a></p>")

    def show_table(self, frame: pd.DataFrame, unit: str, *, group_title: str = "Groupe",
                   caption: str | None = None, count_label: str = "Effectif", persons: bool = True) -> None:
        """A breakdown table (label, value, interval, numerator/denominator).

        Statistical disclosure control (:mod:`.privacy`): counts of persons under the
        threshold, the counts that would give them back, and rates on small bases show
        ``s``; ``persons=False`` when the counts are establishments (public entities).
        """
        p = protect_breakdown(frame, unit, persons=persons)
        frame = p.frame
        out = pd.DataFrame({
            group_title: frame["label"],
            "Valeur": p.text("value", lambda v: fmt_value(v, unit)),
            "Intervalle à 95 %": [p.rules.marker if hidden else fmt_interval(lo, hi, unit) for lo, hi, hidden in
                                  zip(frame["ci_low"], frame["ci_high"], p.mask("ci_low"), strict=True)],
        })
        if "numerator" in frame and frame["numerator"].notna().any():
            out["Numérateur"] = p.text("numerator", fr_number)
        if "denominator" in frame:
            out[count_label] = p.text("denominator", fr_number)
        display_html(html_table(out, align_right=[c for c in out.columns if c != group_title], caption=caption)
                      + p.note_html())

    def breakdown_chart(self, frame: pd.DataFrame, title: str, unit: str, objective: float | None = None,
                        alt: str | None = None, persons: bool = True) -> None:
        """Horizontal bars with their 95 % interval, and the objective as a line.

        Groups whose value may not be published (:mod:`.privacy`) get no bar; the caption
        names them.
        """
        p = protect_breakdown(frame, unit, persons=persons)
        secret = [str(x) for x in p.frame.loc[p.mask("value"), "label"]]
        frame = p.visible("value").dropna(subset=["value"])
        if frame.empty:
            if secret:
                display_markdown(f"*{title} : effectifs trop petits pour être publiés (secret statistique).*")
            return
        fig, ax = pyplot().subplots(figsize=(8.5, max(2.2, 0.42 * len(frame) + 1.2)))
        y = np.arange(len(frame))
        ax.barh(y, frame["value"], color=BLUE_LIGHT, edgecolor=BLUE)
        err = np.clip(np.vstack([frame["value"] - frame["ci_low"], frame["ci_high"] - frame["value"]]).astype(float), 0, None)
        if np.isfinite(err).all():
            ax.errorbar(frame["value"], y, xerr=err, fmt="none", ecolor="#161616", capsize=3, lw=1)
        ax.set_yticks(y, frame["label"])
        ax.invert_yaxis()
        if objective is not None and np.isfinite(objective):
            ax.axvline(objective, color=RED, ls="--", lw=1.5, label=f"objectif : {fmt_value(objective, unit)}")
            ax.legend(loc="lower right", fontsize=8, frameon=True, framealpha=0.9)
        ax.set_xlabel(self.catalogue.unit_label(unit))
        ax.set_title(title, loc="left")
        text = alt or (f"{title}. " + "; ".join(f"{lab} : {fmt_value(v, unit)}"
                                                 for lab, v in zip(frame["label"], frame["value"], strict=True)))
        caption = None
        if secret:
            caption = (f"Non représentés (secret statistique : effectifs inférieurs à {p.rules.threshold} ou "
                       f"permettant de les retrouver) : {', '.join(secret)}.")
            text += f". {caption}"
        data = published_data(p, {"label": "Groupe", "value": f"Valeur ({self.catalogue.unit_label(unit)})",
                                  "ci_low": "Borne basse IC 95 %", "ci_high": "Borne haute IC 95 %"})
        if objective is not None and np.isfinite(objective):
            data["Objectif"] = objective
        show_figure(fig, text, caption, data=data, name=title)

    def department_map(self, frame: pd.DataFrame, title: str, unit: str, persons: bool = True) -> None:
        """A map of the departments of the report's scope, coloured by a breakdown by
        department (:func:`.maps.department_map`), with the table of its values and
        intervals beside it and the links to download it.

        Hidden departments (:mod:`.privacy`) are hatched, the reason in the legend.
        """
        display_html(department_map_html(frame, title, unit, self.scope, persons=persons))


    def trend(self, indicators: Sequence[str], title: str | None = None) -> None:
        """Series over the school years with their interval, objective and projection.

        Only indicators with values up to the report's year are drawn; with a single year
        observed there is no series yet, and a sentence gives the year's values instead.
        """
        title = title or "Évolution et projection"
        last = Period.parse(self.period).start
        observed = {ind: h[(h["year"] <= last) & h["value"].notna()]
                    for ind in indicators if not (h := self.history(ind)).empty}
        observed = {ind: h for ind, h in observed.items() if not h.empty}
        years = {int(y) for h in observed.values() for y in h["year"]}
        if not observed:
            display_markdown(f"*{title} : pas de données jusqu'à {self.period}.*")
            return
        if len(years) < 2:
            values = "; ".join(f"{self.catalogue.indicator(ind).label} : "
                               f"{fmt_value(h['value'].iloc[-1], self.catalogue.indicator(ind).unit)}"
                               for ind, h in observed.items())
            display_markdown(f"*{title} : une seule année observée ({Period(next(iter(years))).label}), pas encore "
                              f"d'évolution à représenter — {values}.*")
            return
        indicators = list(observed)
        fig, ax = pyplot().subplots()
        descriptions = []
        rows: list[dict] = []
        unit = self.catalogue.indicator(indicators[0]).unit
        last_year = Period.parse(self.period).start
        shown_years: set[int] = set()
        for k, ind in enumerate(indicators):
            colour = PALETTE[k % len(PALETTE)]
            h = self.history(ind)
            h = h[h["year"] <= last_year]
            label = self.catalogue.indicator(ind).label
            shown_years.update(int(y) for y in h["year"])
            ax.plot(h["year"], h["value"], marker="o", color=colour, label=label)
            if h["ci_low"].notna().any():
                ax.fill_between(h["year"], h["ci_low"].astype(float), h["ci_high"].astype(float), color=colour,
                                alpha=0.15, lw=0)
            row = self.table[self.table["indicator"] == ind]
            if not row.empty:
                r = row.iloc[0]
                if pd.notna(r["objective"]):
                    ax.axhline(r["objective"], color=colour, ls=":", lw=1.3)
                    ax.annotate(f"objectif {fmt_value(r['objective'], unit)}", (h["year"].min(), r["objective"]),
                                color=colour, fontsize=8, va="bottom")
                if pd.notna(r["projection"]):
                    dl = Period.parse(r["objective_deadline"]).start
                    shown_years.add(dl)
                    ax.plot([h["year"].iloc[-1], dl], [h["value"].iloc[-1], r["projection"]], ls="--", color=colour)
                    if pd.notna(r["projection_low"]):
                        ax.errorbar([dl], [r["projection"]], yerr=[[r["projection"] - r["projection_low"]],
                                                                   [r["projection_high"] - r["projection"]]],
                                    color=colour, capsize=4)
                    else:  # too few years for a prediction interval: the projection is indicative
                        ax.annotate("projection indicative", (dl, r["projection"]), color=colour, fontsize=8,
                                    va="bottom", ha="right")
            values = ", ".join(f"{Period(int(y)).label} : {fmt_value(v, unit)}" for y, v in
                               zip(h["year"], h["value"], strict=True))
            if not row.empty and pd.notna(row.iloc[0]["projection"]):
                r = row.iloc[0]
                values += (f" ; projection en {r['objective_deadline']} : "
                           + fmt_projection(r["projection"], r["projection_low"], r["projection_high"], unit,
                                            bool(r["projection_indicative"])))
            descriptions.append(f"{label} — {values}")
            rows += _trend_rows(label, h, None if row.empty else row.iloc[0])
        ax.set_xticks(sorted(shown_years), [f"{y}-{str(y + 1)[2:]}" for y in sorted(shown_years)])
        if len(shown_years) == 1:
            only = next(iter(shown_years))
            ax.set_xlim(only - 0.8, only + 0.8)
        ax.set_ylabel(self.catalogue.unit_label(unit))
        ax.set_title(title, loc="left")
        if len(indicators) > 1:
            ax.legend(loc="best", fontsize=8, frameon=False)
        show_figure(fig, "Évolution par année scolaire. " + " ; ".join(descriptions), data=pd.DataFrame(rows),
                    name=f"evolution {title}")

    def method(self, caveats: Sequence[str] = ()) -> None:
        """Data and method: sources used (files, coverage), caveats, the status rule."""
        from . import sources
        from .coverage import lines as coverage_lines
        from .coverage import rules as coverage_rules

        names = sorted({s for ind in self.target.indicators for s in ind.sources})
        rows = []
        for name in names:
            c = sources.contract(name)
            files = self.data.file_names(name)
            rows.append({
                "Source": c.title,
                "Producteur": c.provenance.producer,
                "Format": "public (export réel)" if c.public_format else "contrat du projet",
                "Fichiers": fr_number(len(files)),
            })
        display_html(html_table(pd.DataFrame(rows), align_right=["Fichiers"],
                                 caption="Sources utilisées par ce rapport"))
        folder = "données de démonstration" if self.data.is_demo else "données réelles"
        lines = [
            f"- **Données** : {folder} ; les noms et identifiants directs sont supprimés à la lecture, "
            "avant tout calcul.",
            f"- **Intervalles** : {INTERVALS_SENTENCE}",
            f"- **Statut** : {self.catalogue.status_rule}",
            f"- **Couverture** : {coverage_rules().rule_text}",
        ]
        lines += [f"- **Couverture — {label}** : {note}." for label, note in coverage_lines(self.table)]
        lines += [f"- {c}" for c in caveats]
        lines.append(f"- Rapport produit le {date.today():%d/%m/%Y} par drane-analysis.")
        display_markdown("\n".join(lines))
