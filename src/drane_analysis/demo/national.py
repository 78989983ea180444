"""National-scale demo data: the rest of the country in the national open datasets.

``drane demo-data --scale national`` writes the region's files exactly as at the regional
scale, then appends to each *national* open dataset — the directory (``annuaire``), the
IPS files, the DEPP enrolment files and the specialty files, which France publishes for the
whole country and which the loaders filter to the region — the rows of the 27 other
academies (``params/demo/national.yaml``): about 60 000 establishments in all. Each other
academy is a copy of one of the region's academies moved to its own departments (new UAIs
with their check letters, commune, department, academy and region codes), so that the
files have the size and the shape of the national exports, while the region's rows, and
so every indicator of the region, stay those of the regional demo data.

The sources that the region's services export for the region only (Pix, ENT, training…)
are regional by contract (a row of another region is an error): they are not extended.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import yaml

from .. import referential
from ..paths import params_dir

# Files extended (relative to the data folder) and the columns that place a row.
NATIONAL_FILES = ("annuaire/*.csv", "ips/*.csv", "effectifs/*.csv", "specialites/*.csv")
UAI_COLUMNS = ("Identifiant_de_l_etablissement", "uai", "UAI", "numero_college", "numero_lycee",
               "numero_etablissement")
DEPARTMENT_COLUMNS = ("Code_departement", "code_du_departement", "code département")
COMMUNE_COLUMNS = ("Code_commune", "code_insee_de_la_commune")
ACADEMY_CODE_COLUMNS = ("Code_academie", "code_academie", "code académie")
ACADEMY_LABEL_COLUMNS = ("Libelle_academie", "academie", "ACADEMIE")
REGION_CODE_COLUMNS = ("Code_region", "code_region", "code région académique")
REGION_LABEL_COLUMNS = ("Libelle_region", "region_academique", "REGION ACADEMIQUE")
DEPARTMENT_LABEL_COLUMNS = ("Libelle_departement", "departement", "DEPARTEMENT")


def load_params() -> dict:
    with (params_dir() / "demo" / "national.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _uai_prefix(dept: str) -> str:
    """The first three characters of a UAI in a department (``033``, ``620`` for 2A, ``971``)."""
    if dept == "2A":
        return "620"
    if dept == "2B":
        return "720"
    return dept if len(dept) == 3 else f"0{dept}"


def _department_code(dept: str) -> str:
    """A department as the national files write it (``033``, ``02A``, ``971``)."""
    return dept if len(dept) == 3 else f"0{dept}"


class _Mover:
    """Moves the region's rows to another academy, consistently across files."""

    def __init__(self, academy: dict, template: str):
        self.academy = academy
        own = sorted(d for d, dep in referential.DEPARTMENTS.items() if dep.academy == template)
        targets = academy["departments"]
        self.template = template
        self.departments = {d: targets[k % len(targets)] for k, d in enumerate(own)}
        self.uais: dict[str, str] = {}
        self.counters: dict[str, int] = {}

    def uai(self, code: str) -> str:
        if code in self.uais:
            return self.uais[code]
        source = referential.department_of_uai(code)
        dept = self.departments.get(source or "", self.academy["departments"][0])
        n = self.counters.get(dept, 0) + 1
        self.counters[dept] = n
        first7 = f"{_uai_prefix(dept)}{n:04d}"
        new = first7 + referential.uai_check_letter(first7)
        self.uais[code] = new
        return new

    def department(self, code: str) -> str:
        dept = self.departments.get(code.lstrip("0") if len(code) == 3 and code[0] == "0" else code)
        return _department_code(dept) if dept else code

    def commune(self, code: str) -> str:
        if len(code) != 5:
            return code
        dept = self.departments.get(code[:2])
        if dept is None:
            return code
        return (dept + code[3:]) if len(dept) == 3 else (dept + code[2:])

    def move(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        a = self.academy
        for col in out.columns:
            if col in UAI_COLUMNS:
                out[col] = [self.uai(v) if v else v for v in out[col]]
            elif col in DEPARTMENT_COLUMNS:
                out[col] = [self.department(v) if v else v for v in out[col]]
            elif col in COMMUNE_COLUMNS:
                out[col] = [self.commune(v) for v in out[col]]
            elif col in ACADEMY_CODE_COLUMNS:
                out[col] = a["code"]
            elif col in ACADEMY_LABEL_COLUMNS:
                upper = out[col].str.isupper().all()
                out[col] = a["name"].upper() if upper else a["name"]
            elif col in REGION_CODE_COLUMNS:
                out[col] = a["region"]
            elif col in REGION_LABEL_COLUMNS:
                out[col] = a["region_name"]
        return out


def extend(folder: Path) -> list[Path]:
    """Append the other academies' rows to the national files of ``folder`` (regional demo data)."""
    params = load_params()
    movers = []
    for academy in params["academies"]:
        n = len(academy["departments"])
        template = params["template_by_departments"][min(n, max(params["template_by_departments"]))]
        movers.append(_Mover(academy, template))
    changed = []
    for pattern in NATIONAL_FILES:
        for path in sorted(folder.glob(pattern)):
            _extend_file(path, movers)
            changed.append(path)
    return changed


def _extend_file(path: Path, movers: list[_Mover]) -> None:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text[:5000] else "\n"
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    academy_of = _row_academies(frame)
    parts = []
    for mover in movers:
        rows = frame[academy_of == mover.template]
        if not rows.empty:
            parts.append(mover.move(rows))
    if not parts:
        return
    buf = io.StringIO()
    pd.concat(parts, ignore_index=True).to_csv(buf, sep=";", index=False, header=False, lineterminator=newline,
                                               quoting=csv.QUOTE_MINIMAL)
    if not text.endswith(newline):
        text += newline
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (text + buf.getvalue()).encode("utf-8"))
    tmp.replace(path)


def _row_academies(frame: pd.DataFrame) -> pd.Series:
    """The region's academy of each row (from its UAI), None for other rows."""
    col = next((c for c in UAI_COLUMNS if c in frame.columns), None)
    if col is None:
        return pd.Series(None, index=frame.index, dtype=object)
    lookup = {}
    for code in frame[col].unique():
        dept = referential.department_of_uai(code)
        lookup[code] = referential.DEPARTMENTS[dept].academy if dept in referential.DEPARTMENTS else None
    return frame[col].map(lookup)
