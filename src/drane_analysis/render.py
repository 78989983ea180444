"""The blocks of a report, in HTML: tables, sentences, figures with their downloads, maps.

Below the targets and their views: a view (:mod:`drane_analysis.views`) computes nothing,
it takes a target's frames and shows them with these blocks; :class:`~.report.Report` uses
them for the blocks every report shares (headline, trend, breakdown, method). Nothing here
imports a target. Numbers are formatted by :mod:`.formatting`; every figure is embedded as
a PNG with an alternative text, its SVG and the CSV of its numbers; nothing is loaded from
the network.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .catalogue import load_catalogue
from .formatting import GREY, PALETTE, STATUS_COLOURS, fmt_gap_closed, fmt_interval, fmt_value
from .privacy import protect_breakdown, published

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


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

    return marked(protect_scopes(data, key, table, scope, counts, by=by, **kwargs))


def marked(p) -> pd.DataFrame:
    """A protected table with the marker ``s`` in its hidden cells (for a CSV)."""
    out = p.frame.astype(object)
    for col in p.hidden:
        mask = p.mask(col)
        if mask.any():
            p.values(col)  # recorded as published (the attack tests read what reports publish)
            out.loc[mask, col] = p.rules.marker
    return out


def display_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def display_markdown(text: str) -> None:
    from IPython.display import Markdown, display

    display(Markdown(text))


#: An SVG is offered for download only under this size (bytes, before compression): bigger
#: ones (dense scatter plots) would weigh on the page for little use.
SVG_MAX_BYTES = 400_000


def slug(text: str, fallback: str = "graphique") -> str:
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
    files = slug(name or alt.split(".")[0])
    return (f'<figure class="drane-figure"><img src="data:image/png;base64,{png}" '
            f'alt="{html.escape(alt, quote=True)}" />{cap}'
            f"{downloads_html(files, data, svg.getvalue())}</figure>")


def show_figure(fig: plt.Figure, alt: str, caption: str | None = None, data: pd.DataFrame | None = None,
                name: str | None = None) -> None:
    """Display :func:`figure_html` (the notebook's output)."""
    display_html(figure_html(fig, alt, caption, data=data, name=name))


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


# --------------------------------------------------------------------------- maps


def department_map_html(frame: pd.DataFrame, title: str, unit: str, scope: str, *, persons: bool = True,
                        table_folded: bool = False) -> str:
    """The HTML of :meth:`.report.Report.department_map` (also the synthesis's maps): the map with its
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
