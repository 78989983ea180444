"""Exports of a build's indicator table for analysts' tools (CSV for French Excel, xlsx, Parquet).

Called by the build once its reports are written (:func:`write_exports`). The table holds
one row per (indicator, scope, school year) of every report the output folder holds, read
from the manifest (each report's ``headline``: value, interval, numerator, denominator,
objective, projection, status). Three files are written in ``OUT/donnees/``:

- ``indicateurs.csv``: French Excel's CSV (``;`` separator, decimal comma, UTF-8 with BOM,
  CRLF), French headers;
- ``indicateurs.xlsx``: one sheet per target (``1.1``, ``1.2``…), header frozen and
  filtered, numbers formatted in their unit;
- ``indicateurs.parquet``: the library's column names (those of ``drane indicators``), typed.

Every row carries its ``coverage`` (% of its population the joins between sources kept) and
``coverage_note`` (:mod:`.coverage`); a status withheld for want of coverage is ``withheld``.

A failing report keeps its previous rows (the manifest keeps the previous headline).
Rows of a target's own report win over the same rows of the synthesis.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .fsutil import atomic_write

EXPORT_DIR = "donnees"
CSV_NAME = "indicateurs.csv"
XLSX_NAME = "indicateurs.xlsx"
PARQUET_NAME = "indicateurs.parquet"
SYNTHESIS_ID = "0"

#: Columns of the exported table: (library name, French header, kind).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("target", "Cible", "text"),
    ("target_title", "Intitulé de la cible", "text"),
    ("indicator", "Code de l'indicateur", "text"),
    ("label", "Indicateur", "text"),
    ("academy", "Code du périmètre", "text"),
    ("scope_label", "Périmètre", "text"),
    ("period", "Année scolaire", "text"),
    ("value", "Valeur", "value"),
    ("unit", "Unité", "text"),
    ("ci_low", "Borne basse IC 95 %", "value"),
    ("ci_high", "Borne haute IC 95 %", "value"),
    ("numerator", "Numérateur", "count"),
    ("denominator", "Dénominateur", "count"),
    ("objective", "Objectif", "value"),
    ("objective_label", "Objectif (libellé)", "text"),
    ("objective_deadline", "Échéance", "text"),
    ("reading", "Lecture de l'objectif", "text"),
    ("baseline", "Valeur de l'année de référence", "value"),
    ("gap_closed", "Écart comblé depuis la référence (%)", "share"),
    ("projection", "Projection à l'échéance", "value"),
    ("projection_low", "Borne basse de la projection (prévision 95 %)", "value"),
    ("projection_high", "Borne haute de la projection (prévision 95 %)", "value"),
    ("projection_indicative", "Projection indicative (sans intervalle de prévision)", "bool"),
    ("status", "Code du statut", "text"),
    ("status_label", "Statut", "text"),
    ("note", "Note", "text"),
    ("coverage", "Couverture des rapprochements (%)", "share"),
    ("coverage_note", "Couverture (détail)", "text"),
    ("demo_data", "Données de démonstration", "bool"),
    ("report", "Rapport", "text"),
    ("built_at", "Construit le", "text"),
)
NUMERIC = [c for c, _, k in COLUMNS if k in ("value", "count", "share")]
BOOLEAN = [c for c, _, k in COLUMNS if k == "bool"]


def export_paths(out: Path) -> dict[str, Path]:
    """Where the exports of an output folder are (``csv``, ``xlsx``, ``parquet``)."""
    folder = Path(out) / EXPORT_DIR
    return {"csv": folder / CSV_NAME, "xlsx": folder / XLSX_NAME, "parquet": folder / PARQUET_NAME}


def _target_key(target: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in str(target).split("."))
    except ValueError:
        return (999,)


def _export_row(h: dict, entry: dict, cat) -> dict | None:
    """One headline row of a report entry, completed from the entry (None if unusable)."""
    if not h.get("indicator"):
        return None
    row = {k: v for k, v in h.items() if k != "history"}
    synthesis = str(entry.get("target")) == SYNTHESIS_ID
    if not row.get("target"):
        if not synthesis:
            row["target"] = entry.get("target")
        else:
            try:
                row["target"] = cat.indicator(row["indicator"]).target
            except KeyError:
                row["target"] = ""
    row.setdefault("academy", entry.get("academy"))
    row.setdefault("period", entry.get("period"))
    if not row.get("academy") or not row.get("period"):
        return None
    if not row.get("status_label") and row.get("status") in cat.statuses:
        row["status_label"] = cat.status_label(row["status"])
    row["demo_data"] = bool(entry.get("demo_data", False))
    # From the synthesis, the target's own report (when there is one) is the better link.
    row["report"] = "" if synthesis else (entry.get("html") or "")
    row["built_at"] = entry.get("built_at") or ""
    return row


def indicator_rows(manifest: dict) -> pd.DataFrame:
    """The indicator table of every report of a manifest (see the module documentation).

    Missing keys are tolerated (older manifests hold fewer fields per row): a row lacking
    its target, scope or school year takes them from its report's entry, or from the
    catalogue for the synthesis's rows.
    """
    from . import referential
    from .catalogue import load_catalogue

    cat = load_catalogue()
    by_key: dict[tuple[str, str, str], dict] = {}
    entries = sorted((e for e in (manifest.get("reports") or {}).values() if isinstance(e, dict)),
                     key=lambda e: (str(e.get("target")) != SYNTHESIS_ID, _target_key(e.get("target", "0"))))
    # The synthesis first, so that a target's own report (read after) replaces its rows.
    for entry in entries:
        for h in entry.get("headline") or []:
            row = _export_row(h, entry, cat)
            if row is not None:
                by_key[(row["indicator"], row["academy"], row["period"])] = row
    frame = pd.DataFrame(list(by_key.values()))
    for col, _, kind in COLUMNS:
        if col not in frame:
            frame[col] = pd.NA if kind != "bool" else False
    if frame.empty:
        return frame[[c for c, _, _ in COLUMNS]]
    frame["target_title"] = [cat.targets[t].title if t in cat.targets else "" for t in frame["target"]]
    frame["scope_label"] = [referential.SCOPE_LABELS.get(a, a) for a in frame["academy"]]
    for col in NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Float64")
    for col, _, kind in COLUMNS:
        if kind == "text":
            frame[col] = frame[col].astype("string").fillna("")
    for col in BOOLEAN:
        frame[col] = frame[col].fillna(False).astype(bool)
    ind_order = {i.id: k for k, i in enumerate(cat.indicators())}
    scope_order = {s: k for k, s in enumerate(referential.SCOPES)}
    keys = [(_target_key(t), ind_order.get(i, 10**6), scope_order.get(a, 99), p)
            for t, i, a, p in zip(frame["target"], frame["indicator"], frame["academy"], frame["period"],
                                  strict=True)]
    frame = frame.iloc[sorted(range(len(frame)), key=keys.__getitem__)]
    return frame[[c for c, _, _ in COLUMNS]].reset_index(drop=True)


def _french(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with French headers, values rounded for reading (6 decimals)."""
    out = frame.copy()
    for col in NUMERIC:
        out[col] = out[col].round(6)
    for col in BOOLEAN:
        out[col] = out[col].map({True: "oui", False: "non"})
    return out.rename(columns={c: fr for c, fr, _ in COLUMNS})


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """French Excel's CSV: ``;``, decimal comma, UTF-8 with BOM, CRLF line ends."""
    return french_csv(_french(frame))


def french_csv(frame: pd.DataFrame) -> bytes:
    """Any table as French Excel's CSV (the writer of :func:`csv_bytes`): ``;``, decimal comma,
    UTF-8 with BOM, CRLF. Numbers are rounded to 6 decimals; a number in a text column (next
    to a secret marker ``s``) is written with a decimal comma too."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(6)
        elif out[col].dtype == object:
            out[col] = out[col].map(_french_number)
    buf = io.StringIO()
    out.to_csv(buf, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")


def _french_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and value != value:  # NaN
        return ""
    text = f"{round(float(value), 6):.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The table as Parquet, with the library's column names and nullable types."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


_NUMBER_FORMATS = {
    "percent": '0.0" %"',
    "percent_points": '0.0" pts"',
    "percent_change": '+0.0" %";-0.0" %";0" %"',
    "count": "#,##0",
    "pix": '0" pix"',
}


def _value_format(unit: str | None, units: dict) -> str:
    """Excel's number format of a unit (Excel codes: ``.`` and ``,`` shown the French way)."""
    if unit in _NUMBER_FORMATS:
        return _NUMBER_FORMATS[unit]
    decimals = int(units.get(unit, {}).get("decimals", 1))
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """One sheet per target (and a ``Lisez-moi`` sheet), frozen filtered header, formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .catalogue import load_catalogue

    units = load_catalogue().units
    french = _french(frame)
    headers = list(french.columns)
    kinds = {fr: kind for _, fr, kind in COLUMNS}
    wb = Workbook()
    readme = wb.active
    readme.title = "Lisez-moi"
    notes = [
        ["Observatoire des usages du numérique éducatif — Nouvelle-Aquitaine"],
        ["Table des indicateurs de tous les rapports construits : une feuille par cible."],
        ["Valeur, intervalle de confiance à 95 %, numérateur et dénominateur, objectif en vigueur, "
         "projection à l'échéance et statut, par périmètre et année scolaire."],
        ["Couverture : part (%) des élèves, comptes ou établissements attendus que les rapprochements entre "
         "sources ont retenus ; sous le seuil de params/coverage.yaml, le statut est suspendu."],
        ["Les mêmes données : indicateurs.csv (Excel français) et indicateurs.parquet (Python, R)."],
    ]
    if frame["demo_data"].any():
        notes.append(["Attention : rapports construits sur des données de démonstration (aucune donnée réelle)."])
    for line in notes:
        readme.append(line)
    readme["A1"].font = Font(bold=True, size=13, color="000091")
    readme.column_dimensions["A"].width = 110
    header_fill = PatternFill("solid", fgColor="E3E3FD")
    for target in sorted(frame["target"].unique(), key=_target_key):
        part = french[frame["target"].to_numpy() == target]
        ws = wb.create_sheet(title=(f"Cible {target}" if target else "Sans cible")[:31])
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True, color="161616")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        unit_col = headers.index("Unité")
        for row in part.itertuples(index=False):
            values = [None if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v for v in row]
            ws.append(values)
            unit = values[unit_col]
            r = ws.max_row
            for k, h in enumerate(headers, start=1):
                kind = kinds[h]
                if kind == "count":
                    ws.cell(r, k).number_format = "#,##0"
                elif kind == "share":
                    ws.cell(r, k).number_format = _NUMBER_FORMATS["percent"]
                elif kind == "value":
                    ws.cell(r, k).number_format = _value_format(unit, units)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{ws.max_row}"
        for k, h in enumerate(headers, start=1):
            width = max([len(h)] + [len(str(v)) for v in part[h].head(200)]) + 2
            ws.column_dimensions[get_column_letter(k)].width = min(max(width, 8), 60)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_exports(out: Path, manifest: dict) -> list[Path]:
    """Write the indicator table of what the output folder holds; returns the files written.

    Args:
        out: the build's output folder.
        manifest: the manifest just written by the build.

    Returns:
        The paths of ``indicateurs.csv``, ``indicateurs.xlsx`` and ``indicateurs.parquet``
        (in ``OUT/donnees/``), or an empty list when no report holds any indicator.
    """
    frame = indicator_rows(manifest)
    if frame.empty:
        return []
    paths = export_paths(Path(out))
    atomic_write(paths["csv"], csv_bytes(frame))
    atomic_write(paths["xlsx"], xlsx_bytes(frame))
    atomic_write(paths["parquet"], parquet_bytes(frame))
    return list(paths.values())
