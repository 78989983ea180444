"""Broken copies of real-format files, across the sources: every problem named precisely.

Each case copies one demo file (its header and first data lines), breaks it the way real
exports break — wrong encoding or separator, a renamed, missing or duplicated column, an
invalid UAI, an unknown academy or department, text in a count, a negative count, a part
over its whole, a duplicated key, a date outside the school year, an empty or header-only
file, a truncated last line, a file over the size limit, a file of another region, an Excel
formula — and checks that the problem names the file, the line and the column, and says
what was expected (in French). ``drane validate`` then reads a folder holding one broken
file per source and lists every problem at once, exits 1 and prints no traceback; a build
on broken data leaves the reports already built untouched.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from drane_analysis import sources
from drane_analysis.referential import make_uai

pytestmark = pytest.mark.slow

DRANE = str(Path(sys.executable).with_name("drane"))
KEEP_ROWS = 30  # data rows kept from each demo file: enough for every rule, fast to read


# --------------------------------------------------------------------------- editing CSV text


@dataclass
class Csv:
    """A CSV file as header + rows of fields, written back in the file's own style."""

    header: list[str]
    rows: list[list[str]]
    quoted: bool
    bom: bool
    sep: str = ";"

    @classmethod
    def parse(cls, raw: bytes, keep: int = KEEP_ROWS) -> Csv:
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text), delimiter=";"))
        records = [r for r in records if r]
        quoted = text.lstrip().startswith('"')
        return cls(records[0], records[1 : keep + 1], quoted, bom)

    def col(self, header: str) -> int:
        return self.header.index(header)

    def set(self, row: int, header: str, value: str) -> None:
        """Set a cell; ``row`` counts data rows from 1 (file line ``row + 1``)."""
        self.rows[row - 1][self.col(header)] = value

    def get(self, row: int, header: str) -> str:
        return self.rows[row - 1][self.col(header)]

    def text(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=self.sep, lineterminator="\r\n" if self.quoted else "\n",
                            quoting=csv.QUOTE_ALL if self.quoted else csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buf.getvalue()

    def bytes(self, encoding: str = "utf-8") -> bytes:
        data = self.text().encode(encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom and encoding == "utf-8" else data


def edit(fn: Callable[[Csv], None]) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        table = Csv.parse(raw)
        fn(table)
        return table.bytes()
    return mutate


def cell(row: int, header: str, value: str) -> Callable[[bytes], bytes]:
    return edit(lambda t: t.set(row, header, value))


def rename(old: str, new: str) -> Callable[[bytes], bytes]:
    def fn(t: Csv) -> None:
        t.header[t.col(old)] = new
    return edit(fn)


def drop_column(header: str) -> Callable[[bytes], bytes]:
    def fn(t: Csv) -> None:
        k = t.col(header)
        t.header.pop(k)
        for r in t.rows:
            r.pop(k)
    return edit(fn)


def duplicate_column(header: str) -> Callable[[bytes], bytes]:
    def fn(t: Csv) -> None:
        k = t.col(header)
        t.header.append(header)
        for r in t.rows:
            r.append(r[k])
    return edit(fn)


def duplicate_row(row: int) -> Callable[[bytes], bytes]:
    return edit(lambda t: t.rows.append(list(t.rows[row - 1])))


def encoded(encoding: str, row: int = 1, header: str | None = None, value: str = "Lycée Élie") -> Callable:
    """The file re-encoded (Mac Roman with an accented value on ``row``, or UTF-16 with BOM).
    A Windows-1252 or Latin-1 file is read, with a warning: ``test_cli.py``."""
    def mutate(raw: bytes) -> bytes:
        t = Csv.parse(raw)
        if header:
            t.set(row, header, value)
        if encoding == "utf-16":
            return t.text().encode("utf-16")  # with its BOM, as Excel writes "Unicode text"
        return t.text().encode(encoding)
    return mutate


def appended_in_windows_1252(row: int, header: str, value: str) -> Callable[[bytes], bytes]:
    """A UTF-8 file whose rows from ``row`` on were added by a tool writing Windows-1252."""
    def mutate(raw: bytes) -> bytes:
        t = Csv.parse(raw)
        t.set(row, header, value)
        head, rows = t.rows[: row - 1], t.rows[row - 1:]
        t.rows = head
        first = t.bytes()
        t.rows, t.header = rows, []
        return first + t.text().lstrip("\r\n").encode("cp1252")
    return mutate


def zipped(raw: bytes) -> bytes:
    """A workbook saved under the CSV's name (an .xlsx is a zip file)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2025, 1, 6, 9, 0, 0)), raw)
    return buf.getvalue()


def separator(sep: str) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        t = Csv.parse(raw)
        t.sep = sep
        return t.bytes()
    return mutate


def truncated(raw: bytes) -> bytes:
    """The last line cut in the middle (an interrupted download), without its line end."""
    t = Csv.parse(raw)
    text = t.text().rstrip("\r\n")
    last = text.rsplit("\n", 1)[1]
    return (b"\xef\xbb\xbf" if t.bom else b"") + text[: len(text) - len(last) // 2].encode()


def header_only(raw: bytes) -> bytes:
    t = Csv.parse(raw)
    t.rows = []
    return t.bytes()


def empty(_raw: bytes) -> bytes:
    return b""


def other_region(columns: dict[str, str], uai: str) -> Callable[[bytes], bytes]:
    """Every row moved to Haute-Garonne (Occitanie): valid UAIs of department 31, other columns set."""
    def fn(t: Csv) -> None:
        for k, r in enumerate(t.rows, start=1):
            r[t.col(uai)] = make_uai("31", k)
            for header, value in columns.items():
                r[t.col(header)] = value
    return edit(fn)


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    file: str  # path of the demo file, relative to the data folder (a glob: the first match)
    mutate: Callable[[bytes], bytes]
    expected: str  # part of the French expectation
    line: int | None  # the line named (1 = header), None when the problem is about the whole file
    column: str | None  # the column named, None for a problem of the whole file
    found: str | None = None  # part of the value shown, if any
    trim: bool = True  # keep only the first data lines of the demo file


ORGA = "pix/orga/suivi-pix-orga_2021-01-15.csv"
CERTIF = "pix/certification/0330389U/*.csv"
CERTIF_T = "pix/certification-enseignants/limoges/*.csv"
GAIA = "formations/limoges/gaia_sessions_2021-2022.csv"
SCHEMATIC = "schematic/limoges/schematic_2025-2026.csv"
CADRES = "cadres/limoges/cadres_2023-2024.csv"
ENT = "ent/colleges-40/2021-2022/export-stats-accounts.csv"
ANNUAIRE = "annuaire/fr-en-annuaire-education.csv"
IPS = "ips/fr-en-ips-colleges-ap2022.csv"
COLLEGES = "effectifs/fr-en-college-effectifs-niveau-sexe-lv.csv"

CASES: list[Case] = [
    # --- bytes: encoding, separator, size, emptiness, truncation
    # Mac Roman: « è » is 0x8F, a byte Windows-1252 leaves undefined (« é », 0x8E, would pass).
    Case("macroman-annuaire", "annuaire", ANNUAIRE, encoded("mac-roman", 1, "Nom_etablissement", "Collège Élie"),
         "encodé en UTF-8", 2, None, "0x8f, illisible en UTF-8 comme en Windows-1252"),
    Case("mixed-gaia", "formations", GAIA, appended_in_windows_1252(3, "Libellé module", "Séquence"),
         "un seul encodage", 4, None, "hors UTF-8, ligne 1 en UTF-8"),  # « Académie » of the header is UTF-8
    Case("xlsx-cadres", "cadres", CADRES, zipped, "encodé en UTF-8", 1, None, "0x03"),
    Case("utf16-orga", "pix_orga", ORGA, encoded("utf-16"), "encodé en UTF-8", None, None, "UTF-16"),
    Case("utf16-ent", "ent_comptes", ENT, encoded("utf-16"), "encodé en UTF-8", None, None, "UTF-16"),
    Case("comma-schematic", "schematic", SCHEMATIC, separator(","), "séparées par « ; »", 1, None, "virgule"),
    Case("tab-relais", "relais", "relais/relais_numeriques.csv", separator("\t"), "séparées par « ; »", 1, None,
         "tabulation"),
    Case("empty-parentalite", "parentalite", "parentalite/structures_parentalite.csv", empty,
         "une ligne d'en-tête et des données", None, None, "fichier vide"),
    Case("header-only-cadres", "cadres", CADRES, header_only, "au moins une ligne de données", 1, None,
         "en-tête seul"),
    Case("truncated-eac", "eac_projets", "eac/adage_projets_bordeaux_2020-2021.csv", truncated,
         "champs par ligne", KEEP_ROWS + 1, None, "tronquée"),
    Case("truncated-certif", "pix_certification", CERTIF, truncated, "champs par ligne", None, None, "tronquée"),
    Case("oversize-annuaire", "annuaire", ANNUAIRE, lambda raw: raw, "un fichier de moins de 0,5 Mo", None, None,
         "Mo", trim=False),  # the whole directory (a few Mo) against the 0,5 Mo limit set below
    # --- header: missing, renamed, duplicated columns
    Case("missing-ips", "ips_colleges", IPS, drop_column("ips"), "une colonne « ips »", 1, "ips"),
    Case("renamed-gaia", "formations", "formations/bordeaux/gaia_sessions_2022-2023.csv",
         rename("Nombre de stagiaires", "Nb stagiaires"), "une colonne « Nombre de stagiaires »", 1,
         "Nombre de stagiaires", "Nb stagiaires"),
    Case("renamed-orga", "pix_orga", "pix/orga/suivi-pix-orga_2022-01-15.csv",
         rename("Statut Pix Orga", "Etat"), "une colonne « Statut Pix Orga »", 1, "Statut Pix Orga"),
    Case("duplicated-column-schematic", "schematic", "schematic/bordeaux/schematic_2024-2025.csv",
         duplicate_column("Usages pédagogiques"), "une seule colonne", 1, "Usages pédagogiques", "en double"),
    Case("duplicated-column-certif", "pix_certification_enseignants", CERTIF_T, duplicate_column("Statut"),
         "une seule colonne", 1, "Statut", "en double"),
    # --- values: UAI, academy, department, counts, dates, categories, formulas
    Case("uai-check-letter-cadres", "cadres", "cadres/bordeaux/cadres_2023-2024.csv",
         cell(4, "UAI d'affectation", "0330023A"), "lettre", 5, "UAI d'affectation", "0330023A"),
    Case("uai-check-letter-orga", "pix_orga", "pix/orga/suivi-pix-orga_2023-01-15.csv",
         cell(7, "UAI", "0160050U"), "lettre", 8, "UAI", "0160050U"),
    Case("unknown-academy-gaia", "formations", "formations/poitiers/gaia_sessions_2023-2024.csv",
         cell(3, "Académie", "Toulouse"), "une académie", 4, "Académie", "Toulouse"),
    Case("unknown-department-robots", "robots", "robots/inventaire_robots.csv",
         cell(5, "Département du parc", "98"), "région Nouvelle-Aquitaine", 6, "Département du parc", "98"),
    Case("invalid-department-parentalite", "parentalite", "parentalite/structures_parentalite.csv",
         cell(3, "Département", "2Z"), "un code de département", 4, "Département", "2Z"),
    Case("text-in-count-gaia", "formations", "formations/bordeaux/gaia_sessions_2024-2025.csv",
         cell(6, "Nombre de stagiaires", "vingt"), "un nombre entier", 7, "Nombre de stagiaires", "vingt"),
    Case("text-in-count-ips", "ips_colleges", IPS, cell(9, "ips", "n.c."), "un nombre", 10, "ips", "n.c."),
    Case("negative-count-ent", "ent_comptes", "ent/colleges-33/2022-2023/export-stats-accounts.csv",
         cell(4, "Connexions", "-12"), "une valeur ≥ 0", 5, "Connexions", "-12"),
    Case("negative-count-incubateurs", "incubateurs", "incubateurs/candidatures_2022-2023.csv",
         cell(2, "Personnels", "-3"), "une valeur ≥", 3, "Personnels", "-3"),
    Case("part-over-whole-ent", "ent_comptes", "ent/colleges-24/2020-2021/export-stats-accounts.csv",
         cell(3, "Comptes activés", "99999"), "au plus égaux aux comptes chargés", 4, "Comptes activés",
         "99999"),
    Case("part-over-whole-orientation", "projets_orientation", "orientation/projets_orientation_2021-2022.csv",
         cell(2, "Dont filles", "999999"), "filles", 3, "Dont filles", "999999"),
    Case("part-over-whole-incubateurs", "incubateurs", "incubateurs/candidatures_2023-2024.csv",
         cell(4, "Personnels certifiés Pix / Pix+ Édu", "9999"), "inférieur ou égal aux personnels", 5,
         "Personnels certifiés Pix / Pix+ Édu", "9999"),
    Case("duplicated-key-orga", "pix_orga", "pix/orga/suivi-pix-orga_2024-01-15.csv", duplicate_row(5),
         "une seule ligne par", 6, "UAI", "en double"),
    Case("duplicated-key-robots", "robots_affectations", "robots/affectations_robots.csv", duplicate_row(3),
         "une seule ligne par", 4, None, "en double"),
    Case("date-out-of-period-gaia", "formations", "formations/limoges/gaia_sessions_2022-2023.csv",
         cell(2, "Date de début", "03/09/2019"), "année scolaire", 3, None, "03/09/2019"),
    Case("date-out-of-period-schematic", "schematic", "schematic/poitiers/schematic_2023-2024.csv",
         cell(3, "Date de l'auto-évaluation", "12/12/2019"), "année scolaire", 4, None, "12/12/2019"),
    Case("date-format-orga", "pix_orga", "pix/orga/suivi-pix-orga_2025-01-15.csv",
         cell(2, "Date d'activation", "2020-13-45"), "une date au format JJ/MM/AAAA", 3, "Date d'activation",
         "2020-13-45"),
    Case("unknown-status-certif", "pix_certification", "pix/certification/0870808F/*.csv",
         cell(2, "Statut", "Validé ?"), "l'une des valeurs", 3, "Statut", "Validé ?"),
    Case("bool-cadres", "cadres", "cadres/poitiers/cadres_2022-2023.csv", cell(3, "Formé", "Peut-être"),
         "1 ou 0", 4, "Formé", "Peut-être"),
    Case("missing-value-schematic", "schematic", "schematic/bordeaux/schematic_2023-2024.csv",
         cell(4, "UAI", ""), "champ obligatoire", 5, "UAI"),
    Case("out-of-range-schematic", "schematic", "schematic/poitiers/schematic_2024-2025.csv",
         cell(2, "Usages pédagogiques", "7"), "une valeur ≤", 3, "Usages pédagogiques", "7"),
    Case("formula-gaia", "formations", "formations/poitiers/gaia_sessions_2021-2022.csv",
         cell(5, "Nombre de stagiaires", "=SOMME(M2:M5)"), "pas une formule", 6, "Nombre de stagiaires",
         "=SOMME"),
    Case("formula-eac", "eac_projets", "eac/adage_projets_limoges_2022-2023.csv",
         cell(8, "Nombre d'élèves", "=A1*2"), "pas une formule", 9, "Nombre d'élèves", "=A1*2"),
    Case("bad-period-cadres", "cadres", "cadres/bordeaux/cadres_2021-2022.csv",
         cell(2, "Année scolaire", "2021-2023"), "une année scolaire", 3, "Année scolaire", "2021-2023"),
    # --- region: a file of another region, a row outside the region
    Case("other-region-effectifs", "effectifs_college", COLLEGES,
         other_region({"region_academique": "OCCITANIE"}, uai="numero_college"),
         "région académique Nouvelle-Aquitaine", None, None, "aucune"),
    Case("other-region-relais", "relais", "relais/relais_numeriques.csv", cell(6, "UAI couvert", make_uai("31", 14)),
         "région Nouvelle-Aquitaine", 7, "UAI couvert", make_uai("31", 14)),
]


@pytest.fixture
def limited_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's params/ with a 0,5 Mo file size limit (set as users set it, in limits.yaml)."""
    import yaml

    from drane_analysis.paths import params_dir

    params = tmp_path / "params"
    shutil.copytree(params_dir(), params)
    limits = yaml.safe_load((params / "limits.yaml").read_text(encoding="utf-8"))
    limits["input"]["max_file_mb"] = 0.5
    (params / "limits.yaml").write_text(yaml.safe_dump(limits, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("DRANE_PARAMS", str(params))
    return params


def _demo_file(demo_dir: Path, pattern: str) -> Path:
    found = sorted(demo_dir.glob(pattern))
    assert found, f"demo file {pattern} is missing"
    return found[0]


def _broken_copy(case: Case, demo_dir: Path, data: Path) -> Path:
    original = _demo_file(demo_dir, case.file)
    rel = original.relative_to(demo_dir)
    target = data / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = original.read_bytes()
    target.write_bytes(case.mutate(_trimmed(raw) if case.trim else raw))
    return target


def _trimmed(raw: bytes) -> bytes:
    """Header and the first KEEP_ROWS data lines, bytes untouched."""
    lines = raw.split(b"\n")
    return b"\n".join(lines[: KEEP_ROWS + 1]) + b"\n"


def _matching(case: Case, problems: list[sources.Problem], rel: str) -> list[sources.Problem]:
    out = []
    for p in problems:
        if p.file != rel or case.expected not in p.expected:
            continue
        if case.column is not None and p.column != case.column:
            continue
        if case.line is not None and case.line not in p.lines:
            continue
        if case.found is not None and case.found not in (p.found or ""):
            continue
        out.append(p)
    return out


def test_the_corpus_is_large_and_spans_the_sources():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.source for c in CASES}) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_file_is_named_with_line_column_and_expectation(case: Case, demo_dir: Path, tmp_path: Path,
                                                               limited_params: Path):
    data = tmp_path / "data"
    path = _broken_copy(case, demo_dir, data)
    rel = path.relative_to(data).as_posix()
    result = sources.validate(data, only=[case.source])[case.source]
    assert result.frame is None, "a broken file must make the source unusable"
    errors = result.errors
    shown = "\n".join(p.format() for p in errors)
    hits = _matching(case, errors, rel)
    assert hits, f"expected a problem ({case.expected}, line {case.line}, column {case.column}) in:\n{shown}"
    p = hits[0]
    text = p.format()
    assert rel in text and case.expected in text
    if case.line is not None:
        assert f"ligne {case.line}" in text or f"lignes {case.line}" in text or f", {case.line}" in text
    else:
        assert not p.lines or case.id.startswith(("truncated", "utf16", "empty")), text
    if case.column is not None:
        assert f"colonne « {case.column} »" in text
    # a loader used by a notebook raises one error listing the problem (no traceback)
    with pytest.raises(sources.DataError) as exc:
        sources.load(case.source, data, use_cache=False)
    assert rel in str(exc.value)


# --------------------------------------------------------------------------- the command


def _one_per_source() -> list[Case]:
    seen: dict[str, Case] = {}
    for c in CASES:
        seen.setdefault(c.source, c)
    return list(seen.values())


def test_validate_lists_every_problem_of_every_file_at_once(demo_dir: Path, tmp_path: Path, limited_params: Path):
    data = tmp_path / "data"
    chosen = _one_per_source()
    # two broken files of one source as well: both are listed
    chosen.append(next(c for c in CASES if c.id == "text-in-count-gaia"))
    rels = {}
    for case in chosen:
        path = _broken_copy(case, demo_dir, data)
        rels[case.id] = path.relative_to(data).as_posix()
    done = subprocess.run([DRANE, "validate", "--data", str(data), "--detail"], capture_output=True, text=True,
                          timeout=600)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out
    for case in chosen:
        lines = [line for line in out.splitlines() if rels[case.id] in line and case.expected in line]
        assert lines, f"{case.id}: no line naming {rels[case.id]} and « {case.expected} » in\n{out}"
        if case.column:
            assert any(f"« {case.column} »" in line for line in lines), (case.id, lines)
    for source in {c.source for c in chosen}:
        assert f"✗ {source}" in out


def test_a_build_on_broken_data_touches_nothing_already_built(demo_dir: Path, tmp_path: Path):
    """A broken directory: the report fails with the problem named (no traceback), the previous report stays."""
    import json
    import os

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, copy_function=os.link)  # hard links: nothing copied but the broken file
    annuaire = data / "annuaire" / "fr-en-annuaire-education.csv"
    t = Csv.parse(annuaire.read_bytes(), keep=10**6)
    t.set(12, "Code_departement", "0x3")
    annuaire.unlink()  # never write through a hard link into the shared demo data
    annuaire.write_bytes(t.bytes())
    out = tmp_path / "out"
    report = out / "2025-2026" / "1.1-pix" / "limoges.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html><body>rapport précédent</body></html>", encoding="utf-8")
    previous = {"target": "1.1", "slug": "pix", "title": "Pix", "academy": "limoges", "period": "2025-2026",
                "status": "ok", "html": "2025-2026/1.1-pix/limoges.html", "built_at": "2026-01-05T08:00:00+01:00",
                "headline": []}
    (out / "manifest.json").write_text(json.dumps({"reports": {"1.1|limoges|2025-2026": previous}}),
                                       encoding="utf-8")
    before = report.read_bytes()
    done = subprocess.run([DRANE, "build", "--target", "1.1", "--academy", "limoges", "--period", "2025-2026",
                           "--data", str(data), "--out", str(out), "--jobs", "1"],
                          capture_output=True, text=True, timeout=900)
    text = done.stdout + done.stderr
    assert done.returncode == 1, text
    assert "Traceback" not in text
    assert "annuaire/fr-en-annuaire-education.csv" in text and "ligne 13" in text and "Code_departement" in text
    assert report.read_bytes() == before
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]["1.1|limoges|2025-2026"]
    assert entry["status"] == "failed" and entry["html"] == previous["html"]
    assert entry["built_at"] == previous["built_at"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Échec le" in index and "rapport précédent du" in index
