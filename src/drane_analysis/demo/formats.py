"""Writers reproducing the byte-level conventions of the real exports.

- :func:`write_opendata_csv`: data.education.gouv.fr / DEPP exports (``;``, minimal
  quoting, CRLF line ends, BOM or not);
- :func:`write_pix_csv`: Pix exports (1024pix ``csv.js``: BOM, ``;``, LF, strings quoted,
  digit-only strings bare, numbers bare with a decimal comma, ``'`` guard before
  ``= + - @``, ``"NA"``);
- :func:`write_edifice_csv`: the Edifice/ODE ENT "Statistiques" export (BOM, ``;``, every
  field quoted);
- :func:`write_plain_csv`: our own contracts (UTF-8 with BOM so that French Excel opens
  them right, ``;``, decimal comma).

Every writer is deterministic and writes atomically (temporary file, then rename).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

BOM = "\ufeff"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _number_text(s: pd.Series, decimal: str) -> pd.Series:
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.astype("Int64").astype("string")
    out = s.map(lambda v: "" if pd.isna(v) else (f"{v:.10g}" if not float(v).is_integer() else str(int(v))))
    return out.str.replace(".", decimal, regex=False) if decimal != "." else out


def write_opendata_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False, crlf: bool = True,
                       decimal: str = ".") -> None:
    """An Opendatasoft export: ``;``, minimal quoting, empty cells for missing values."""
    buf = io.StringIO()
    frame.to_csv(buf, sep=";", index=False, lineterminator="\r\n" if crlf else "\n",
                 quoting=csv.QUOTE_MINIMAL, decimal=decimal, na_rep="")
    _atomic_write(path, (BOM if bom else "") + buf.getvalue())


def write_plain_csv(frame: pd.DataFrame, path: Path, *, decimal: str = ",") -> None:
    """Our own contracts: UTF-8 with BOM, ``;``, decimal comma, LF."""
    buf = io.StringIO()
    frame.to_csv(buf, sep=";", index=False, lineterminator="\n", decimal=decimal, na_rep="")
    _atomic_write(path, BOM + buf.getvalue())


def _pix_cell(value: object) -> str:
    """One value the way Pix's csv.js writes it."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return '"NA"'
    if isinstance(value, (bool, np.bool_)):
        return '"Oui"' if value else '"Non"'
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return (str(int(value)) if float(value).is_integer() else f"{value:.10g}").replace(".", ",")
    text = str(value)
    if text and text.strip("0123456789-") == "":
        return text
    if text[:1] in ("=", "+", "-", "@"):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


def _pix_cells(s: pd.Series) -> list[str]:
    """Serialise one column (formatting each distinct value once)."""
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans:
        return s.to_numpy().astype("int64").astype(str).tolist()
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    formatted = np.array([_pix_cell(u) for u in uniques] + ['"NA"'], dtype=object)
    return formatted[codes].tolist()  # code -1 (missing) takes the last entry, "NA"


def pix_csv_header(columns: list[str]) -> str:
    """The header line of a Pix export (every label quoted)."""
    return ";".join('"' + str(c).replace('"', '""') + '"' for c in columns)


def pix_csv_lines(frame: pd.DataFrame) -> list[str]:
    """Every row of ``frame`` serialised as a Pix export line, in order."""
    cols = [_pix_cells(frame[c]) for c in frame.columns]
    return [";".join(row) for row in zip(*cols, strict=True)]


def write_pix_lines(path: Path, header: str, lines: list[str]) -> None:
    """Write a Pix export from its header and already serialised lines."""
    _atomic_write(path, BOM + header + "\n" + "".join(line + "\n" for line in lines))


def write_pix_csv(frame: pd.DataFrame, path: Path) -> None:
    """A Pix export (Pix Orga campaign results, Pix Certif session results)."""
    lines = [] if frame.empty else pix_csv_lines(frame)
    write_pix_lines(path, pix_csv_header(list(frame.columns)), lines)


def write_edifice_csv(frame: pd.DataFrame, path: Path) -> None:
    """An Edifice / Open Digital Education "Statistiques" export: every field quoted."""
    buf = io.StringIO()
    frame.to_csv(buf, sep=";", index=False, lineterminator="\n", quoting=csv.QUOTE_ALL, na_rep="")
    _atomic_write(path, BOM + buf.getvalue())


def french_decimal(values: np.ndarray | pd.Series, digits: int = 2) -> pd.Series:
    """Numbers as text with a decimal comma, for formats that mix text and numbers."""
    s = pd.Series(values).round(digits)
    return s.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}".replace(".", ","))
