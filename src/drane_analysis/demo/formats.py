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


def _pix_cells(s: pd.Series) -> pd.Series:
    """Serialise one column the way Pix's csv.js does."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        text = _number_text(s, ",")
        return text.fillna('"NA"').replace("", '"NA"')
    text = s.astype("string").fillna("NA")
    bare = text.str.fullmatch(r"[\d-]+").fillna(False) & (text != "")
    guarded = text.str.replace(r"^([=+\-@])", r"'\1", regex=True)
    quoted = '"' + guarded.str.replace('"', '""', regex=False) + '"'
    return quoted.where(~bare, text)


def write_pix_csv(frame: pd.DataFrame, path: Path) -> None:
    """A Pix export (Pix Orga campaign results, Pix Certif session results)."""
    header = ";".join('"' + str(c).replace('"', '""') + '"' for c in frame.columns)
    if frame.empty:
        _atomic_write(path, BOM + header + "\n")
        return
    cols = [_pix_cells(frame[c]) for c in frame.columns]
    body = cols[0].astype(str)
    for c in cols[1:]:
        body = body + ";" + c.astype(str)
    _atomic_write(path, BOM + header + "\n" + "\n".join(body.tolist()) + "\n")


def write_edifice_csv(frame: pd.DataFrame, path: Path) -> None:
    """An Edifice / Open Digital Education "Statistiques" export: every field quoted."""
    buf = io.StringIO()
    frame.to_csv(buf, sep=";", index=False, lineterminator="\n", quoting=csv.QUOTE_ALL, na_rep="")
    _atomic_write(path, BOM + buf.getvalue())


def french_decimal(values: np.ndarray | pd.Series, digits: int = 2) -> pd.Series:
    """Numbers as text with a decimal comma, for formats that mix text and numbers."""
    s = pd.Series(values).round(digits)
    return s.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}".replace(".", ","))
