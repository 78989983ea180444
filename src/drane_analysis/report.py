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
import io
import warnings
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import referential
from .catalogue import load_catalogue
from .data import Data
from .indicators import evaluate
from .periods import Period
from .privacy import protect_breakdown, published
from .targets import module_for

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

# Colours of the State's design system (DSFR), used by the region's services.
BLUE = "#000091"
BLUE_LIGHT = "#6A6AF4"
RED = "#E1000F"
GREY = "#666666"
STATUS_COLOURS = {
    "reached": "#18753C",
    "on_track": "#447A26",  # 5.2:1 with white text (WCAG AA)
    "at_risk": "#B34000",
    "off_track": "#CE0500",
    "not_reached": "#CE0500",
    "progressing": "#8F4A00",  # not reached, but moving: between « à risque » and « non atteint »
    "no_objective": "#666666",
    "secondary": "#53657D",  # a secondary reading, no status
    "no_data": "#6A6A6A",  # 5.4:1 with white text (WCAG AA)
    "withheld": "#6E445A",  # coverage too low (coverage.py); 8.0:1 with white text (WCAG AA)
}
PALETTE = [BLUE, "#E4794A", "#009081", "#A558A0", "#C3992A", "#417DC4", "#CE614A", "#3A3A3A"]


# --------------------------------------------------------------------------- numbers


def fr_number(x: float | int | None, decimals: int = 0) -> str:
    """``1234.56`` → ``1 234,6`` (narrow no-break space, decimal comma); ``—`` if missing."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return "—"
    text = f"{float(x):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    return "0" if text in ("-0", "-0,0") else text


def fmt_value(x: float | None, unit: str, with_unit: bool = True) -> str:
    """A value in its unit, the French way: ``83,2 %``, ``1 234``, ``157 pix``."""
    units = load_catalogue().units
    decimals = units.get(unit, {}).get("decimals", 1)
    text = fr_number(x, decimals)
    if not with_unit or text == "—":
        return text
    if unit == "percent":
        return f"{text}\u202f%"
    if unit in ("percent_points",):
        return f"{text}\u202fpoints"
    if unit == "percent_change":
        sign = "+" if x is not None and x > 0 else ""
        return f"{sign}{text}\u202f%"
    if unit == "pix":
        return f"{text}\u202fpix"
    if unit == "trainee_days":
        return f"{text}\u202fj. stagiaires"
    return text


def fmt_interval(lo: float | None, hi: float | None, unit: str) -> str:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"[{fmt_value(lo, unit, False)}\u202f; {fmt_value(hi, unit, False)}]"


# --------------------------------------------------------------------------- HTML


def html_table(frame: pd.DataFrame, *, raw_columns: Iterable[str] = (), align_right: Iterable[str] = (),
               caption: str | None = None) -> str:
    """A plain, accessible HTML table (values already formatted as text)."""
    raw = set(raw_columns)
    right = set(align_right)
    head = "".join(f'<th scope="col"{" class=num" if c in right else ""}>{html.escape(str(c))}</th>'
                   for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            text = str(value) if col in raw else html.escape(str(value))
            cells.append(f'<td{" class=num" if col in right else ""}>{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="drane-table">{cap}<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


GAP_METHODS = {
    "cluster": "établissements pris comme grappes",
    "wilson": "unités indépendantes, méthode de Newcombe",
    "student": "unités indépendantes, méthode de Welch",
}


def gap_sentence(table: pd.DataFrame, unit: str, what: str, gap_unit: str | None = None,
                 value_format=None) -> str:
    """One sentence on the gap between the highest and lowest group of a breakdown.

    Args:
        table: a breakdown (``label``, ``value``, ``ci_low``, ``ci_high``; and, from the
            library's breakdowns, ``ci_method`` with what its test needs, and optionally
            ``cluster_label``, the words for its clusters when they are not establishments).
        unit: the values' unit (``percent``, ``pix``…).
        what: the subject of the sentence (« Le taux de certification en 3e »).
        gap_unit: the word after the gap (default ``points`` for a rate, ``pix`` for a score,
            none otherwise).
        value_format: how to write a value (default :func:`fmt_value` in ``unit``).

    Returns:
        "… va de X (groupe) à Y (groupe), soit un écart de Z …", then the verdict of a test
        that fits how the table was computed (:func:`~.stats.breakdown_gap`: establishments
        as clusters for pupils or accounts, Newcombe or Welch for independent units, the
        level corrected for the number of groups compared): « significatif » only from it.
        A table without such a test (no ``ci_method``) gets the observed gap and no
        inference word. Empty with fewer than two groups.
    """
    from .stats import breakdown_gap

    t = published(table, unit).dropna(subset=["value"])  # groups too small to publish are left out
    t = t[t["label"] != "Non renseigné"]
    if len(t) < 2:
        return ""
    hi, lo = t.loc[t["value"].idxmax()], t.loc[t["value"].idxmin()]
    show = value_format or (lambda v: fmt_value(v, unit))
    write_gap = value_format or (lambda v: fmt_value(v, unit, False))
    word = gap_unit if gap_unit is not None else {"percent": "points", "pix": "pix"}.get(unit, "")
    words = f"{' ' + word if word else ''}"
    text = (f"{what} va de {show(lo['value'])} ({lo['label']}) à {show(hi['value'])} ({hi['label']}), soit un "
            f"écart de {write_gap(hi['value'] - lo['value'])}{words}")
    test = breakdown_gap(hi, lo, groups=len(t))
    if test is None:
        return text + " (écart observé, sans test)."
    corrected = f", niveau corrigé pour la comparaison de {len(t)} groupes" if len(t) > 2 else ""
    method = GAP_METHODS[test["method"]]
    if test["method"] == "cluster" and isinstance(hi.get("cluster_label"), str):
        method = hi["cluster_label"]  # « communes prises comme grappes »…
    interval = (f"intervalle à 95 % de l'écart : [{write_gap(test['ci_low'])} ; {write_gap(test['ci_high'])}]{words}, "
                f"{method}{corrected}")
    verdict = ("l'écart est significatif au seuil de 5 %" if test["significant"]
               else "l'écart n'est pas significatif au seuil de 5 %")
    return f"{text} ; {verdict} ({interval})."


#: The shared sentence of every report's method section on what an interval means.
INTERVALS_SENTENCE = (
    "sauf mention contraire, les sources sont des registres exhaustifs (tous les élèves, comptes, "
    "établissements du périmètre) : aucun intervalle n'est une erreur d'échantillonnage. Un intervalle à 95 %, là où il figure, mesure "
    "l'incertitude sur la propension sous-jacente compte tenu des différences entre établissements. Pour "
    "les taux d'élèves, de comptes, de parents ou de personnels, regroupés dans des établissements, il prend "
    "les établissements comme grappes (estimateur par le ratio, variance linéarisée, loi de Student à autant "
    "de degrés de liberté que d'établissements moins un) ; pour les taux dont les unités sont elles-mêmes "
    "indépendantes (établissements, collectivités), c'est l'intervalle de Wilson ; faute des données par "
    "établissement, aucun intervalle n'est donné plutôt qu'un intervalle trop étroit. Les moyennes ont leur "
    "intervalle de Student ; les projections, leur intervalle de prévision, selon la méthode unique décrite "
    "avec la règle des statuts (échelle logit pour un taux, bornes du possible pour un nombre, projection "
    "« indicative » sans intervalle quand trop peu d'années sont observées). Un écart entre groupes n'est dit « significatif » que par un test adapté à ces "
    "données (établissements comme grappes, niveau corrigé pour le nombre de groupes comparés) ; sans un "
    "tel test, il est seulement décrit."
)


def status_badge(status: str, label: str) -> str:
    colour = STATUS_COLOURS.get(status, GREY)
    return f'<span class="badge" style="background:{colour}">{html.escape(label)}</span>'


def fmt_gap_closed(gap: float | None) -> str:
    """« écart comblé : 62 % » (the share of the gap to the objective closed since the
    baseline year); "" when there is none."""
    if gap is None or gap is pd.NA or not np.isfinite(float(gap)):
        return ""
    return f"écart comblé\u00a0: {fr_number(gap)}\u202f%"


def fmt_projection(value: float | None, low: float | None, high: float | None, unit: str,
                   indicative: bool = False) -> str:
    """A projection with its prediction interval, or « (indicatif) » without one; « — » if none."""
    if value is None or value is pd.NA or not np.isfinite(float(value)):
        return "—"
    text = fmt_value(value, unit)
    if indicative or low is None or pd.isna(low):
        return f"{text} (indicatif)"
    return f"{text} {fmt_interval(low, high, unit)}"


def status_phrase(row) -> str:
    """The status in words for prose: « non atteint, en progrès (écart comblé : 62 %) ».

    ``row``: an indicator table row (a Series, a dict or a named tuple).
    """
    def get(key: str):
        return row.get(key) if isinstance(row, (dict, pd.Series)) else getattr(row, key, None)

    text = str(get("status_label")).lower()
    gap = fmt_gap_closed(get("gap_closed")) if get("status") not in ("reached", "secondary", "no_data") else ""
    return f"{text} ({gap})" if gap else text


def status_cell(status: str, label: str, gap: float | None = None, reading: str = "") -> str:
    """The status badge, with the gap closed and the objective's reading under it (HTML)."""
    parts = [status_badge(status, label)]
    gap_text = fmt_gap_closed(gap) if status not in ("reached", "secondary", "no_data") else ""
    if gap_text:
        parts.append(f'<br><small class="gap-closed">{html.escape(gap_text)}</small>')
    if reading:  # a secondary indicator's reading says itself what it is (« lecture plus stricte de… »)
        text = reading[:1].upper() + reading[1:] if status == "secondary" else f"Lecture\u00a0: {reading}"
        parts.append(f'<br><small class="reading">{html.escape(text)}</small>')
    return "".join(parts)


def published_data(p, columns: dict[str, str]) -> pd.DataFrame:
    """Columns of a protected table (:func:`.privacy.protect_breakdown`) for a chart's CSV,
    renamed (``{column: French header}``): a hidden cell is the marker ``s``, never its value."""
    out = {}
    for col, title in columns.items():
        if col not in p.frame:
            continue
        values = p.values(col)
        mask = p.mask(col)
        out[title] = [p.rules.marker if hidden else (None if pd.isna(v) else v)
                      for v, hidden in zip(values, mask, strict=True)]
    return pd.DataFrame(out)


def published_scope_counts(data, key: str, table, scope: str, counts: Sequence[str], by: str | Sequence[str],
                           **kwargs) -> pd.DataFrame:
    """A chart's own table of counts of persons for its CSV (a histogram of pupils, a monthly
    count), after disclosure control: protected with the same table of the other scopes
    (:func:`.privacy.protect_scopes`), so that no hidden cell of an academy comes back as
    region − other academies. A hidden cell is the marker ``s``.

    Args:
        data: the report's data (the family is computed once per data folder).
        key: the family's name, with the school year.
        table: ``table(scope)`` builds the table of a scope (same columns for every scope).
        scope: the report's scope.
        counts: the columns counting persons.
        by: the column(s) naming a row (a bin, a month).
        kwargs: as for :func:`.privacy.protect_linked` (``partition``, ``follow``…).
    """
    from .privacy import protect_scopes

    return _marked(protect_scopes(data, key, table, scope, counts, by=by, **kwargs))


def _marked(p) -> pd.DataFrame:
    """A protected table with the marker ``s`` in its hidden cells (for a CSV)."""
    out = p.frame.astype(object)
    for col in p.hidden:
        mask = p.mask(col)
        if mask.any():
            p.values(col)  # recorded as published (the attack tests read what reports publish)
            out.loc[mask, col] = p.rules.marker
    return out


def _display_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def _display_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


#: An SVG is offered for download only under this size (bytes, before compression): bigger
#: ones (dense scatter plots) would weigh on the page for little use.
SVG_MAX_BYTES = 400_000


def _slug(text: str, fallback: str = "graphique") -> str:
    """A file name from a title: ``Taux de certification en 3e`` → ``taux-de-certification-en-3e``."""
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    slug = "-".join(words)[:60].strip("-")
    return slug or fallback


def chart_csv(data: pd.DataFrame) -> bytes:
    """The numbers of a chart as French Excel's CSV (the writer of :mod:`.exports`)."""
    from .exports import french_csv

    return french_csv(data.reset_index(drop=True))


def downloads_html(name: str, data: pd.DataFrame | None = None, svg: bytes | None = None,
                   png: bool = True) -> str:
    """The links under a chart: its PNG and SVG images and the CSV of its numbers.

    The CSV is a ``data:`` URI (it works without script); the PNG link takes the figure's own
    image, and the SVG (embedded gzip-compressed) is unpacked in the browser, by the report
    page's script (``templates/nbconvert/drane/index.html.j2``): nothing is duplicated and no
    request is made. Hidden in print.
    """
    import gzip

    links = []
    if png:
        links.append(f'<a download="{name}.png" href="#" data-drane-png="">image PNG</a>')
    if svg is not None and len(svg) <= SVG_MAX_BYTES:
        packed = base64.b64encode(gzip.compress(svg, mtime=0)).decode("ascii")
        links.append(f'<a download="{name}.svg" href="#" data-drane-svgz="{packed}">image SVG</a>')
    if data is not None:
        csv = base64.b64encode(chart_csv(data)).decode("ascii")
        links.append(f'<a download="{name}.csv" href="data:text/csv;charset=utf-8;base64,{csv}" '
                     f'type="text/csv">données (CSV)</a>')
    if not links:
        return ""
    return f'<p class="drane-downloads">Télécharger : {" · ".join(links)}</p>'


def figure_html(fig: plt.Figure, alt: str, caption: str | None = None, data: pd.DataFrame | None = None,
                name: str | None = None) -> str:
    """A figure as an embedded PNG with its alternative text (and optional caption), and the
    links to download it as PNG and SVG and its numbers as CSV.

    Args:
        fig: the matplotlib figure (closed here).
        alt: its alternative text (the values it shows, in words).
        caption: a caption under it.
        data: the numbers it draws, as published (hidden cells already ``s`` or missing):
            offered as a CSV in French Excel's format.
        name: the downloaded files' name (default: from the alternative text).
    """
    import matplotlib

    # The tight frame is measured once for both formats (each savefig would draw it again).
    fig.draw_without_rendering()
    frame = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches=frame, metadata={"Software": None})
    svg = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "drane"}):
        fig.savefig(svg, format="svg", bbox_inches=frame, metadata={"Date": None, "Creator": None})
    pyplot().close(fig)
    png = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    files = _slug(name or alt.split(".")[0])
    return (f'<figure class="drane-figure"><img src="data:image/png;base64,{png}" '
            f'alt="{html.escape(alt, quote=True)}" />{cap}'
            f"{downloads_html(files, data, svg.getvalue())}</figure>")


def show_figure(fig: plt.Figure, alt: str, caption: str | None = None, data: pd.DataFrame | None = None,
                name: str | None = None) -> None:
    """Display :func:`figure_html` (the notebook's output)."""
    _display_html(figure_html(fig, alt, caption, data=data, name=name))


def pyplot():
    """matplotlib's pyplot on the Agg backend (figures are embedded as PNG, never shown).

    Imported when the first chart is drawn, not with this module: computing indicators
    (``drane indicators``, the library in a script) never pays for matplotlib and seaborn.
    """
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def setup_plots() -> None:
    """One look for every chart (called by :class:`Report`)."""
    import seaborn as sns

    plt = pyplot()
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({
        "figure.figsize": (8.5, 4.2), "axes.titleweight": "bold", "axes.titlesize": 12,
        "axes.spines.top": False, "axes.spines.right": False, "font.family": "DejaVu Sans",
    })
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="seaborn")


SIDECAR_FIELDS = ("target", "indicator", "label", "academy", "period", "value", "unit", "numerator",
                  "denominator", "ci_low", "ci_high", "objective", "objective_label", "objective_deadline",
                  "reading", "baseline", "gap_closed", "projection", "projection_low", "projection_high",
                  "projection_indicative", "status", "status_label", "note", "coverage", "coverage_note")


def _plain(value):
    """A JSON-ready scalar: ``None`` for missing values, Python numbers for NumPy ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return str(value)


def sidecar_rows(table: pd.DataFrame, series: pd.DataFrame | None = None) -> list[dict]:
    """The indicator rows of a report as plain dicts (what the build stores in its manifest).

    Each row holds the indicator's value, interval, numerator and denominator, objective,
    projection and status; with ``series``, also ``history``: ``[[period, value], …]`` of
    the same indicator and scope up to the row's period (the index draws it as a trend line).
    """
    rows = []
    for rec in table.to_dict("records"):
        row = {k: _plain(rec.get(k)) for k in SIDECAR_FIELDS if k in rec}
        if series is not None and not series.empty and {"indicator", "academy", "period", "value"} <= set(series):
            end = Period.parse(str(rec["period"])).start
            hist = series[(series["indicator"] == rec["indicator"]) & (series["academy"] == rec["academy"])]
            points = sorted((Period.parse(str(p)).start, str(p), _plain(v))
                            for p, v in zip(hist["period"], hist["value"], strict=True))
            row["history"] = [[p, v] for start, p, v in points if start <= end]
        rows.append(row)
    return rows


def write_sidecar(table: pd.DataFrame, series: pd.DataFrame | None = None) -> None:
    """Give the build the indicator rows of a report (when it asks for them).

    The build sets ``DRANE_REPORT_SIDECAR`` to a file path; the rows (see
    :func:`sidecar_rows`) are written there as JSON and end up in the manifest's
    ``headline``, from which the index and the exports are written. Outside a build
    (JupyterLab, papermill by hand) nothing is written.
    """
    import json
    import os

    path = os.environ.get("DRANE_REPORT_SIDECAR")
    if not path:
        return
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(sidecar_rows(table, series), fh, ensure_ascii=False)


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
        _display_html("".join(parts))

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
        _display_html(html_table(frame, raw_columns=["Statut"],
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
        _display_html(html_table(out, align_right=[c for c in out.columns if c != group_title], caption=caption)
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
                _display_markdown(f"*{title} : effectifs trop petits pour être publiés (secret statistique).*")
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
        _display_html(department_map_html(frame, title, unit, self.scope, persons=persons))


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
            _display_markdown(f"*{title} : pas de données jusqu'à {self.period}.*")
            return
        if len(years) < 2:
            values = "; ".join(f"{self.catalogue.indicator(ind).label} : "
                               f"{fmt_value(h['value'].iloc[-1], self.catalogue.indicator(ind).unit)}"
                               for ind, h in observed.items())
            _display_markdown(f"*{title} : une seule année observée ({Period(next(iter(years))).label}), pas encore "
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
            files = c.files(self.data.dir)
            rows.append({
                "Source": c.title,
                "Producteur": c.provenance.producer,
                "Format": "public (export réel)" if c.public_format else "contrat du projet",
                "Fichiers": fr_number(len(files)),
            })
        _display_html(html_table(pd.DataFrame(rows), align_right=["Fichiers"],
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
        _display_markdown("\n".join(lines))


def department_map_html(frame: pd.DataFrame, title: str, unit: str, scope: str, *, persons: bool = True,
                        table_folded: bool = False) -> str:
    """The HTML of :meth:`Report.department_map` (also the synthesis's maps): the map with its
    source, the table of values and intervals (``table_folded``: in a ``<details>``), the
    downloads; empty for an empty breakdown."""
    from .maps import department_map, geometry_metadata

    if frame.empty:
        return ""
    catalogue = load_catalogue()
    m = department_map(frame, unit, scope=scope, title=title, persons=persons, unit_label=catalogue.unit_label(unit))
    t = m.table
    marker = protect_breakdown(frame.iloc[:0], unit).rules.marker
    shown = pd.DataFrame({
        "Département": [f"{n} ({c})" for n, c in zip(t["département"], t["code"], strict=True)],
        "Valeur": [marker if s == "secret" else fmt_value(v, unit) for v, s in zip(t["valeur"], t["statut"],
                                                                                strict=True)],
        "Intervalle à 95 %": [marker if s == "secret" else fmt_interval(lo, hi, unit) for lo, hi, s in
                              zip(t["borne basse"], t["borne haute"], t["statut"], strict=True)],
    })
    data = pd.DataFrame({
        "Code du département": t["code"], "Département": t["département"],
        f"Valeur ({catalogue.unit_label(unit)})": [marker if s == "secret" else v
                                                       for v, s in zip(t["valeur"], t["statut"], strict=True)],
        "Borne basse IC 95 %": [marker if s == "secret" else v for v, s in zip(t["borne basse"], t["statut"],
                                                                              strict=True)],
        "Borne haute IC 95 %": [marker if s == "secret" else v for v, s in zip(t["borne haute"], t["statut"],
                                                                              strict=True)],
    })
    meta = geometry_metadata()
    source = (f"Fond de carte : {meta['source']} ({meta['licence']}), simplifié. L'échelle des teintes couvre les "
              "valeurs du périmètre (au moins 10 points pour un taux) : un écart de teinte n'est pas un écart "
              "établi, voir les intervalles.")
    figure = figure_html(m.figure, m.alt, source, data=data, name=f"carte {title}")
    table = html_table(shown, align_right=["Valeur", "Intervalle à 95 %"], caption=title)
    note = f'<p class="drane-secret">{html.escape(m.note)}</p>' if m.note else ""
    if table_folded:
        table = f"<details><summary>Valeurs et intervalles</summary>{table}</details>"
    return f'<div class="drane-map">{figure}<div class="drane-map-table">{table}{note}</div></div>'
