"""Data contracts: how each source is declared, read, checked and made tidy.

Every source of the observatory is declared once as a :class:`Contract`: where its files
sit in a data folder, the columns it must have (with the aliases real exports use), their
types, units and allowed values, its key and its cross-column rules. :func:`read_files`
reads any number of files of one source and returns a typed, tidy DataFrame together with
the list of **every** problem found, each naming the file, the line, the column and what
was expected.

Reading goes in four steps:

1. *bytes*: size limit, empty file, encoding (UTF-8, BOM or not; a Windows-1252 file, as
   Excel saves a CSV, is read with a warning: :mod:`drane_analysis.charsets`), line ends;
2. *header*: separator, column names matched against the declared headers and aliases
   (case, accents and spacing ignored), missing and duplicated columns; direct
   identifiers (names, birth dates...) and undeclared columns are dropped here, before any
   value is parsed, so they never reach a notebook — except those a contract's
   :class:`PersonKey` combines, which are read only to be hashed at once in step 3;
3. *values*: each cell parsed to its declared type (decimal commas, French booleans,
   dates, UAI check letters, department codes, allowed values), Excel formulas refused;
   a contract with a :class:`PersonKey` gets a pseudonymous person number instead of the
   identifiers it combines (see there);
4. *checks*: missing values, ranges, key uniqueness and row rules, run by a pandera
   schema generated from the contract (lazy: all failures at once).

Files sharing one header are parsed together (the Pix exports come as thousands of small
files), with each row keeping its file and line for messages.
"""

from __future__ import annotations

import csv
import glob
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import yaml

from .. import charsets, referential
from ..errors import EXIT_DATA, DraneError
from ..paths import params_dir

if TYPE_CHECKING:  # pandera is imported where the checks run (a cache hit needs none)
    import pandera.pandas as pa

Kind = Literal[
    "string", "int", "float", "bool", "date", "datetime", "uai", "department", "academy",
    "category", "period",
]

DEFAULT_NA: tuple[str, ...] = ("", "NA", "N/A", "-", "NULL", "null", "nan")

# --------------------------------------------------------------------------- problems


@dataclass
class Problem:
    """One thing wrong with an input, in words a user can act on (French).

    ``lines`` lists every line concerned (1 = the header line); ``found`` shows one
    offending value. ``severity`` is ``error`` (the source cannot be used) or ``warning``.
    """

    file: str
    expected: str
    column: str | None = None
    lines: list[int] = field(default_factory=list)
    found: str | None = None
    severity: Literal["error", "warning"] = "error"
    source: str | None = None

    def format(self, max_lines: int | None = None) -> str:
        if max_lines is None:
            max_lines = limits()["lines_listed_per_problem"]
        parts = [self.file]
        if self.lines:
            shown = ", ".join(_fr_int(n) for n in self.lines[:max_lines])
            more = len(self.lines) - max_lines
            label = "ligne" if len(self.lines) == 1 else "lignes"
            parts.append(f"{label} {shown}" + (f" et {_fr_int(more)} autres" if more > 0 else ""))
        if self.column:
            parts.append(f"colonne « {self.column} »")
        text = ", ".join(parts) + f" : attendu {self.expected}"
        if self.found is not None:
            text += f", trouvé « {_shorten(self.found)} »"
        return ("avertissement — " if self.severity == "warning" else "") + text

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "lines": self.lines,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
            "severity": self.severity,
        }


def summarise(problems: Sequence[Problem], max_files: int = 3) -> list[str]:
    """Problem lines for people: the same problem in many files is told once.

    Problems sharing source, column, expectation and value are merged when they concern
    more than ``max_files`` files ("dans 5 958 fichiers : a.csv, b.csv, … ").
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.source, p.column, p.expected, p.found, p.severity), []).append(p)
    out: list[str] = []
    for (_, column, expected, found, severity), items in groups.items():
        if len(items) <= max_files:
            out.extend(p.format() for p in items)
            continue
        files = sorted({p.file for p in items})
        shown = ", ".join(files[:max_files]) + ", …"
        text = f"dans {_fr_int(len(files))} fichiers ({shown})"
        if column:
            text += f", colonne « {column} »"
        text += f" : attendu {expected}"
        if found is not None:
            text += f", trouvé « {_shorten(found)} »"
        out.append(("avertissement — " if severity == "warning" else "") + text)
    return out


class DataWarning(UserWarning):
    """Something a loader read but that a user should know (a Windows-1252 file...): the
    problem's French text, once per file when the file is parsed (a cache hit reads none)."""


class DataError(DraneError):
    """Raised when a source cannot be used; carries every problem found."""

    exit_code = EXIT_DATA

    def __init__(self, problems: Sequence[Problem], context: str = ""):
        self.problems = list(problems)
        self.context = context
        errors = [p for p in self.problems if p.severity == "error"]
        head = context or "Données invalides"
        summary = summarise(errors)
        lines = [f"{head} : {len(errors)} problème(s)"]
        lines += [f"  - {line}" for line in summary[:40]]
        if len(summary) > 40:
            lines.append(f"  … et {len(summary) - 40} autres (lancez « drane validate » pour la liste complète)")
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # Rebuilt from its problems, not from the message (a process computing targets in
        # parallel sends it back to the one that asked).
        return (type(self), (self.problems, self.context))


def _fr_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _shorten(text: str, width: int = 60) -> str:
    text = str(text).replace("\n", "⏎")
    return text if len(text) <= width else text[: width - 1] + "…"


def limits() -> dict[str, Any]:
    """The reading limits of ``params/limits.yaml`` (read again when the file changes)."""
    path = params_dir() / "limits.yaml"
    return _read_limits(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read_limits(path: Path, _mtime: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["input"]


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Field:
    """One column of a source.

    Args:
        name: tidy name (snake_case English, unit suffix where it helps).
        headers: headers accepted in files; the first is the one our exports write,
            the others are known aliases of other versions. Matching ignores case,
            accents, spaces, underscores and apostrophes.
        kind: how values are parsed (see module doc).
        description: French description, for the contract documentation.
        unit: unit of the values (``count``, ``pix``, ``share``, ``days``...).
        required: the column must be present.
        nullable: the value may be missing.
        values: for ``category``: accepted raw values (matched like headers) → tidy value.
        min, max: inclusive bounds for numbers.
        formats: ``strftime`` formats accepted for dates, tried in order.
        personal: a direct identifier (name, birth date...): dropped at read, never parsed.
    """

    name: str
    headers: tuple[str, ...]
    kind: Kind = "string"
    description: str = ""
    unit: str | None = None
    required: bool = True
    nullable: bool = False
    values: Mapping[str, str] | None = None
    min: float | None = None
    max: float | None = None
    formats: tuple[str, ...] = ()
    na_values: tuple[str, ...] = DEFAULT_NA
    personal: bool = False

    @property
    def header(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns; ``valid(frame)`` returns True for the rows that pass.

    Rows where a column the rule reads is missing are not judged (missing values are
    reported by the columns themselves).
    """

    name: str
    columns: tuple[str, ...]
    expected: str
    valid: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class PersonKey:
    """A pseudonymous person number made at read from direct identifiers, which are dropped.

    Some public exports carry no person identifier but names and a birth date (the Pix
    Certif results): counting *persons* rather than rows (a pupil certified twice) needs to
    know which rows are the same person. The identifiers named in ``fields`` (personal
    fields of the contract) are read, normalised (case, accents, spaces, hyphens and
    apostrophes ignored), joined and hashed at once (BLAKE2b) while the values are parsed;
    after the checks, every distinct hash of the read gets a number in order of first
    appearance (files in path order, then lines), written to ``column`` as ``P000001``,
    ``P000002``… The identifiers and their hashes never leave the reader.

    The number says only which rows of one read are the same person: it carries nothing of
    the names, is not stable from one data folder to another, and ``drane share`` hashes it
    again with its key (``person_columns`` of ``params/privacy.yaml``). A row where one of
    the fields is empty or absent from its file cannot be linked: it gets a number of its
    own (counted as a distinct person). Homonyms born the same day are merged.
    """

    column: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Provenance:
    producer: str
    url: str = ""
    licence: str = ""
    documentation: str = ""


@dataclass(frozen=True)
class Contract:
    """The declaration of one source.

    Args:
        name: the source's short name, used everywhere (``pix_certification``).
        title: French title.
        folder: sub-folder of the data folder holding its files.
        patterns: glob patterns (relative to ``folder``) of its files.
        fields: the declared columns.
        key: columns whose combination is unique (after ``tidy``).
        path_fields: regex on the file's path relative to ``folder``; its named groups
            become columns (the Pix exports carry no UAI: it is the folder's name).
        region_column: a tidy column (department, academy or uai) telling whether a row
            is in the region. With ``outside_region="drop"`` (national open datasets)
            other rows are dropped; with ``"error"`` they are problems. A file with no row
            of the region is always a problem.
        tidy: function turning the checked frame into the tidy frame the library uses.
        public_format: True when the format is a real published one; False for our
            own contracts (documented in ``docs/sources.md``).
        person_key: a pseudonymous person number made from personal fields at read
            (:class:`PersonKey`), for sources without a person identifier.
    """

    name: str
    title: str
    folder: str
    patterns: tuple[str, ...]
    fields: tuple[Field, ...]
    description: str = ""
    key: tuple[str, ...] = ()
    sep: str = ";"
    decimal: str = ","
    formula_guard: bool = False
    path_fields: str | None = None
    path_field_headers: Mapping[str, str] = field(default_factory=dict)
    checks: tuple[RowCheck, ...] = ()
    region_column: str | None = None
    outside_region: Literal["drop", "error"] = "error"
    tidy: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    provenance: Provenance = Provenance("drane-analysis")
    public_format: bool = True
    required: bool = True
    version: int = 1  # bump when parsing changes, to invalidate caches
    person_key: PersonKey | None = None

    def field_named(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def personal_headers(self) -> list[str]:
        return [h for f in self.fields if f.personal for h in f.headers]

    def files(self, data_dir: Path) -> list[Path]:
        """Files of this source under ``data_dir`` (sorted, so reading is deterministic).

        In a partner-lab extract (:func:`extract_listing`), the files the extract was made
        from (names pseudonymised): what reports say about the sources stays the same.
        """
        return [Path(name) for name in self.file_names(data_dir)]

    def file_names(self, data_dir: Path) -> list[str]:
        """:meth:`files` as strings: what the cache key needs, without building thousands
        of Path objects (a national folder's Pix exports)."""
        listing = extract_listing(data_dir)
        if listing is not None:
            return [os.path.join(data_dir, rel) for rel in listing.get("sources", {}).get(self.name, {}).get("files", [])]
        # Path order: compared as lists of parts, as Path objects compare.
        return sorted(set(self._matches(Path(data_dir))), key=lambda name: name.split(os.sep))

    def has_files(self, data_dir: Path) -> bool:
        """``bool(self.files(data_dir))``, but stops at the first file found."""
        listing = extract_listing(data_dir)
        if listing is not None:
            return bool(listing.get("sources", {}).get(self.name, {}).get("files"))
        return next(self._matches(Path(data_dir)), None) is not None

    def _matches(self, data_dir: Path) -> Iterator[str]:
        base = data_dir / self.folder
        if not base.is_dir():
            return
        for pattern in self.patterns:
            # The matches of glob.iglob(..., recursive=True, include_hidden=True), files only,
            # read with os.scandir: a directory entry tells a file from a folder without a
            # stat per file (the thousands of files of a national folder).
            for name in _scan(str(base), pattern.split("/")):
                if not os.path.basename(name).startswith("."):
                    yield os.path.normpath(name)

    def fingerprint(self) -> str:
        """Changes whenever the declaration changes (cache key)."""
        import hashlib

        text = repr((self.name, self.version, self.fields, self.key, self.sep, self.decimal,
                     self.formula_guard, self.path_fields, [c.name for c in self.checks],
                     self.region_column, self.outside_region, self.person_key))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _scan(folder: str, segments: list[str]) -> Iterator[str]:
    """Files under ``folder`` matching the glob pattern ``segments`` (``**``: any depth)."""
    head, rest = segments[0], segments[1:]
    if head == "**":
        yield from _scan(folder, rest) if rest else ()
        for sub in _subfolders(folder):
            yield from _scan(sub, segments)
        return
    if not glob.has_magic(head):
        path = os.path.join(folder, head)
        if not rest:
            if os.path.isfile(path):
                yield path
        elif os.path.isdir(path):
            yield from _scan(path, rest)
        return
    match = _name_matcher(head)
    try:
        with os.scandir(folder) as entries:
            found = [(e.path, e.is_dir()) if rest else (e.path, e.is_file()) for e in entries if match(e.name)]
    except OSError:
        return
    for path, wanted in found:
        if wanted:
            yield from _scan(path, rest) if rest else (path,)


def _subfolders(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [e.path for e in entries if e.is_dir()]
    except OSError:
        return []


@lru_cache(maxsize=64)
def _name_matcher(pattern: str) -> Callable[[str], Any]:
    import fnmatch

    return re.compile(fnmatch.translate(pattern)).match


# --------------------------------------------------------------------------- partner-lab extracts

#: A folder holding this file is a partner-lab extract (``drane share``): one Parquet file per
#: source, already tidy and pseudonymised, read as is instead of the raw exports.
EXTRACT_MARKER = "extrait-drane.json"


def extract_listing(data_dir: Path | str | None) -> dict | None:
    """The listing of a partner-lab extract folder (None for an ordinary data folder)."""
    if data_dir is None:
        return None
    path = Path(data_dir) / EXTRACT_MARKER
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read_listing(path, mtime)


@lru_cache(maxsize=8)
def _read_listing(path: Path, _mtime: int) -> dict:
    import json

    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- helpers


def normalise_label(text: str) -> str:
    """Header/value matching key: no accents, case, spaces, underscores, quotes or dots."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\ufeff", "").casefold()
    return re.sub(r"[\s_'’\"./()-]+", "", text)


_BOOL_VALUES = {
    "1": True, "0": False, "oui": True, "non": False, "o": True, "n": False,
    "true": True, "false": False, "vrai": True, "faux": False, "yes": True, "no": False,
    "x": True,
}


@dataclass
class _FileText:
    path: Path
    rel: str
    header: list[str]
    header_raw: str
    lines: list[str]
    line_numbers: list[int]


@dataclass
class ReadResult:
    """Outcome of reading a source: the tidy frame (None if unusable) and every problem."""

    frame: pd.DataFrame | None
    problems: list[Problem]
    files: list[Path]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.frame is not None and not self.errors


# --------------------------------------------------------------------------- step 1: bytes


def _decode(path: Path, rel: str, raw: bytes, problems: list[Problem]) -> str | None:
    """The file's text with ``\n`` line ends: UTF-8, or Windows-1252 with a warning (the
    line named is the first with an accent, to check); None and a problem otherwise."""
    try:
        decoded = charsets.decode(raw)
    except charsets.Undecodable as exc:
        if exc.kind == "utf-16":
            problems.append(Problem(rel, charsets.UTF8_EXPECTED, found="encodage UTF-16"))
        elif exc.kind == "mixed":
            where = f", ligne {_fr_int(exc.utf8_line)} en UTF-8" if exc.utf8_line else " (marque UTF-8 en tête)"
            problems.append(Problem(rel, "un seul encodage dans le fichier, UTF-8 (réenregistrez-le en « CSV UTF-8 »)",
                                    lines=[exc.line],
                                    found=f"octet 0x{exc.byte.hex()} hors UTF-8{where} : encodages mélangés"))
        else:
            problems.append(Problem(rel, charsets.UTF8_EXPECTED, lines=[exc.line],
                                    found=f"octet 0x{exc.byte.hex()}, illisible en UTF-8 comme en Windows-1252"))
        return None
    if decoded.encoding == charsets.CP1252:
        problems.append(Problem(rel, charsets.CP1252_EXPECTED, lines=[decoded.line], found=charsets.CP1252_FOUND,
                                severity="warning"))
    return decoded.text.replace("\r\n", "\n").replace("\r", "\n")


def _split_header(text: str, sep: str) -> list[str]:
    first = text.split("\n", 1)[0]
    return next(csv.reader([first], delimiter=sep))


def _separator_problem(header_line: str, sep: str, rel: str) -> Problem | None:
    if sep in header_line:
        return None
    others = {",": "virgule", "\t": "tabulation", "|": "barre verticale", ";": "point-virgule"}
    for other, label in others.items():
        if other != sep and other in header_line:
            return Problem(rel, f"des colonnes séparées par « {sep} »", lines=[1],
                           found=f"séparateur « {label} »")
    return None


def _record_lines(body: list[str], first_line: int) -> tuple[list[str], list[int]]:
    """Non-blank body lines and their line numbers; multi-line quoted fields kept together."""
    if not any(line.count('"') & 1 for line in body):  # fast path: one record per line
        numbered = [(first_line + i, line) for i, line in enumerate(body) if line.strip()]
        return [line for _, line in numbered], [n for n, _ in numbered]
    lines: list[str] = []
    numbers: list[int] = []
    pending: list[str] = []
    start = 0
    for i, line in enumerate(body):
        if not pending:
            if line.strip() == "":
                continue
            start = first_line + i
        pending.append(line)
        if "".join(pending).count('"') % 2 == 0:
            lines.append("\n".join(pending))
            numbers.append(start)
            pending = []
    if pending:  # an unterminated quote: keep what is there, the parser will complain
        lines.append("\n".join(pending))
        numbers.append(start)
    return lines, numbers


def _load_text(contract: Contract, path: Path, base: Path, problems: list[Problem]) -> _FileText | None:
    rel = _relative(path, base)
    max_bytes = limits()["max_file_mb"] * 1024 * 1024
    size = path.stat().st_size
    if size > max_bytes:
        limit = _fmt_bound(float(limits()["max_file_mb"]))
        problems.append(Problem(rel, f"un fichier de moins de {limit} Mo "
                                     "(limite réglable dans params/limits.yaml)",
                                found=f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")))
        return None
    raw = path.read_bytes()
    if raw.replace(b"\xef\xbb\xbf", b"").strip() == b"":
        problems.append(Problem(rel, "un fichier avec une ligne d'en-tête et des données", found="fichier vide"))
        return None
    text = _decode(path, rel, raw, problems)
    if text is None:
        return None
    header_line, _, rest = text.partition("\n")
    sep_problem = _separator_problem(header_line, contract.sep, rel)
    if sep_problem:
        problems.append(sep_problem)
        return None
    header = _split_header(text, contract.sep)
    body = rest.split("\n")
    if body and body[-1] == "":
        body.pop()
    lines, numbers = _record_lines(body, 2)
    if not lines:
        problems.append(Problem(rel, "au moins une ligne de données", lines=[1], found="en-tête seul"))
        return None
    return _FileText(path, rel, header, header_line, lines, numbers)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.name


# --------------------------------------------------------------------------- step 2: header


def _match_header(contract: Contract, ft: _FileText, problems: list[Problem]) -> dict[int, str] | None:
    """Map file column positions to field names; report missing and duplicated columns."""
    lookup: dict[str, Field] = {}
    for f in contract.fields:
        for h in f.headers:
            lookup.setdefault(normalise_label(h), f)
    # Personal fields are not read, except those a person key combines (hashed in step 3).
    keyed = set(contract.person_key.fields) if contract.person_key else set()
    positions: dict[int, str] = {}
    seen: dict[str, int] = {}
    ok = True
    for pos, raw in enumerate(ft.header):
        f = lookup.get(normalise_label(raw))
        if f is None:
            continue  # undeclared: dropped
        if f.name in seen:
            first = ft.header[seen[f.name]]
            problems.append(Problem(ft.rel, f"une seule colonne « {f.header} »", column=raw, lines=[1],
                                    found=f"colonne en double (aussi « {first} », position {seen[f.name] + 1})"))
            ok = False
            continue
        seen[f.name] = pos
        if not f.personal or f.name in keyed:
            positions[pos] = f.name
    for f in contract.fields:
        if f.required and f.name not in seen:
            aliases = [h for h in f.headers[1:]]
            hint = f" (ou {', '.join('« ' + a + ' »' for a in aliases)})" if aliases else ""
            problems.append(Problem(ft.rel, f"une colonne « {f.header} »{hint}", column=f.header, lines=[1],
                                    found=_near_header(f, ft.header)))
            ok = False
    return positions if ok else None


def _near_header(f: Field, header: list[str]) -> str:
    import difflib

    target = normalise_label(f.header)
    scored = difflib.get_close_matches(target, [normalise_label(h) for h in header], n=1, cutoff=0.6)
    if scored:
        for h in header:
            if normalise_label(h) == scored[0]:
                return f"colonne absente ; la plus proche est « {h} »"
    return "colonne absente"


# --------------------------------------------------------------------------- step 3: values


def _parse_group(contract: Contract, files: list[_FileText], positions: dict[int, str],
                 problems: list[Problem]) -> pd.DataFrame | None:
    """Parse the files sharing one header in one pass; add ``_file`` and ``_line``."""
    width = len(files[0].header)
    text = "\n".join(line for ft in files for line in ft.lines)
    file_idx = np.repeat(np.arange(len(files)), [len(ft.lines) for ft in files])
    line_no = np.concatenate([np.asarray(ft.line_numbers) for ft in files])
    too_long, too_short = _bad_width_records(files, width, contract.sep)
    for bad, found in ((too_long, "trop de champs (séparateur dans une valeur ?)"),
                       (too_short, "ligne incomplète ou tronquée")):
        for ft_i, numbers in bad.items():
            problems.append(Problem(files[ft_i].rel, f"{width} champs par ligne (comme l'en-tête)",
                                    lines=numbers, found=found))
    if too_long or too_short:
        drop = {(fi, n) for bad in (too_long, too_short) for fi, nums in bad.items() for n in nums}
        keep = np.array([(int(fi), int(ln)) not in drop for fi, ln in zip(file_idx, line_no, strict=True)])
        lines = np.asarray([line for ft in files for line in ft.lines], dtype=object)[keep]
        text = "\n".join(lines)
        file_idx, line_no = file_idx[keep], line_no[keep]
        if not keep.any():
            return None
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=contract.sep, header=None, names=list(range(width)),
            usecols=sorted(positions), dtype=object, keep_default_na=False, na_values=[],
            skip_blank_lines=False, quotechar='"', doublequote=True, engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:  # pragma: no cover - guarded above
        problems.append(Problem(files[0].rel, "un fichier CSV lisible", found=str(exc)))
        return None
    if len(frame) != len(line_no):  # pragma: no cover - defensive, quoting oddities
        problems.append(Problem(files[0].rel, "un fichier CSV lisible (guillemets équilibrés)",
                                found=f"{len(frame)} enregistrements lus pour {len(line_no)} lignes"))
        return None
    frame = frame.rename(columns=positions)
    frame["_file"] = pd.Categorical.from_codes(file_idx, categories=[ft.rel for ft in files])
    frame["_line"] = line_no
    return frame


_QUOTED = re.compile(r'"[^"]*"')


def _separator_in_quotes(text: str, sep: str) -> bool:
    """True when a quoted value of ``text`` (records joined by newlines) holds ``sep``.

    Quotes pair up within each record (see :func:`_record_lines`), so the quoted values of
    the whole text are those of its records: when none holds a separator (the usual case),
    counting separators gives every record's width. One pass over the bytes: a character is
    inside quotes when an odd number of quotes precede it (UTF-8 keeps ``"`` one byte).
    """
    if '"' not in text:
        return False
    if len(sep.encode("utf-8")) != 1:  # pragma: no cover - every contract's separator is ASCII
        return _QUOTED.sub("", text).count(sep) != text.count(sep)
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    inside = (np.cumsum(raw == ord('"'), dtype=np.uint8) & 1).view(bool)  # parity survives the wrap at 256
    return bool((inside & (raw == ord(sep))).any())


def _bad_width_records(files: list[_FileText], width: int, sep: str
                       ) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Records with more fields than the header, and records with fewer (truncated).

    A record has at most ``count(sep) + 1`` fields (quoted separators only add to the
    count), so fewer separators than the header means a short record for sure; the csv
    module settles the other cases.
    """
    too_long: dict[int, list[int]] = {}
    too_short: dict[int, list[int]] = {}
    for i, ft in enumerate(files):
        quoted_sep = _separator_in_quotes("\n".join(ft.lines), sep)
        for line, number in zip(ft.lines, ft.line_numbers, strict=True):
            n = line.count(sep) + 1
            if quoted_sep and '"' in line and sep in "".join(_QUOTED.findall(line)):
                n = len(next(csv.reader([line], delimiter=sep)))  # a quoted value holds a separator
            if n > width:
                too_long.setdefault(i, []).append(number)
            elif n < width:
                too_short.setdefault(i, []).append(number)
    return too_long, too_short


def _path_groups(contract: Contract) -> set[str]:
    return set(re.compile(contract.path_fields).groupindex) if contract.path_fields else set()


def _add_path_fields(contract: Contract, frame: pd.DataFrame) -> pd.DataFrame:
    if not contract.path_fields:
        return frame
    regex = re.compile(contract.path_fields)
    cats = list(frame["_file"].cat.categories)
    values: dict[str, list[Any]] = {}
    for rel in cats:
        m = regex.search(rel)
        for name, val in (m.groupdict() if m else {}).items():
            values.setdefault(name, []).append(val)
        if not m:
            for name in regex.groupindex:
                values.setdefault(name, []).append(None)
    codes = frame["_file"].cat.codes.to_numpy()
    for name, per_file in values.items():
        frame[name] = pd.Series(np.asarray(per_file, dtype=object)[codes], index=frame.index, dtype="string")
    return frame


class _Cells:
    """Collects per-cell problems for one group, grouped by (file, column, expected)."""

    def __init__(self, frame: pd.DataFrame, contract: Contract, headers: dict[str, str]):
        self.frame = frame
        self.contract = contract
        self.headers = headers
        self.buckets: dict[tuple[str, str, str], tuple[list[int], str]] = {}

    def add(self, mask: pd.Series, column: str, expected: str, found: pd.Series | None = None) -> None:
        if not mask.any():
            return
        sub = self.frame.loc[mask, ["_file", "_line"]]
        values = found if found is not None else self.frame.get(column)
        for rel, part in sub.groupby("_file", observed=True):
            key = (str(rel), self.headers.get(column, column), expected)
            example = None if values is None else _plain(values.loc[part.index[0]])
            lines, _ = self.buckets.setdefault(key, ([], example))
            lines.extend(part["_line"].astype(int).tolist())

    def problems(self) -> list[Problem]:
        out = []
        for (rel, col, expected), (lines, example) in self.buckets.items():
            out.append(Problem(rel, expected, column=col, lines=sorted(lines), found=example,
                               source=self.contract.name))
        return out


def _expected_for(f: Field) -> str:
    if f.kind == "int":
        return "un nombre entier"
    if f.kind == "float":
        return "un nombre (virgule décimale acceptée)"
    if f.kind == "bool":
        return "1 ou 0 (ou Oui / Non)"
    if f.kind in ("date", "datetime"):
        fmt = f.formats[0] if f.formats else "%Y-%m-%d"
        human = (fmt.replace("%d", "JJ").replace("%m", "MM").replace("%Y", "AAAA")
                 .replace("%H", "hh").replace("%M", "mm").replace("%S", "ss"))
        return f"une date au format {human}"
    if f.kind == "department":
        return "un code de département (ex. 033 ou 33)"
    if f.kind == "academy":
        return "une académie (Bordeaux, Limoges, Poitiers ou leur code 04, 22, 13)"
    if f.kind == "period":
        return "une année scolaire (ex. 2022-2023)"
    if f.kind == "category" and f.values:
        shown = sorted({k for k in f.values})
        listed = ", ".join(shown[:12]) + (" …" if len(shown) > 12 else "")
        return f"l'une des valeurs : {listed}"
    return "une valeur"


def _parse_values(contract: Contract, frame: pd.DataFrame, cells: _Cells,
                  done: Callable[[float], None] = lambda fraction: None) -> pd.DataFrame:
    """Parse every declared column to its kind; bad cells become problems and missing values.

    Each column is parsed on its *distinct* values (factorised), then mapped back to the
    rows: exports repeat the same few values many times, so this stays fast on millions of
    rows whatever the string backend. ``done(fraction)`` is told after each column (the
    progress bar).
    """
    out = pd.DataFrame(index=frame.index)
    out["_file"] = frame["_file"]
    out["_line"] = frame["_line"]
    declared = {f.name: f for f in contract.fields if not f.personal}
    present = [c for c in frame.columns if c in declared]
    in_file = [c for c in present if c not in _path_groups(contract)]

    # Short lines: pandas pads missing trailing fields with NaN (empty fields are "").
    if in_file:
        short = frame[in_file].isna().any(axis=1)
        if short.any():
            cells.add(short, in_file[-1], "une ligne complète (autant de champs que l'en-tête)",
                      found=pd.Series("ligne incomplète ou tronquée", index=frame.index))

    steps = len(present) + (contract.person_key is not None) or 1
    for name in present:
        out[name] = _parse_column(contract, declared[name], frame[name], cells)
        done(1 / steps)
    if contract.person_key is not None:
        out[_PERSON] = _person_hashes(frame, contract.person_key)
        done(1 / steps)
    return out


_PERSON = "_person"  # per-row hash of a person key's identifiers, inside the reader only


def _person_hashes(frame: pd.DataFrame, key: PersonKey) -> pd.Series:
    """Per row, a hash of the normalised identifiers of ``key`` (None when one is missing)."""
    import hashlib

    if not all(f in frame.columns for f in key.fields):
        return pd.Series(None, index=frame.index, dtype=object)
    joined: np.ndarray | None = None
    missing = np.zeros(len(frame), dtype=bool)
    for f in key.fields:
        codes, uniques = pd.factorize(frame[f].to_numpy(dtype=object), use_na_sentinel=True)
        texts = [str(u).strip() for u in uniques]
        norm = np.asarray([("" if t in DEFAULT_NA else normalise_label(t)) for t in texts] + [""], dtype=object)
        part = norm[codes]  # code -1 (a short line) takes the last entry: empty
        missing |= part == ""
        joined = part if joined is None else joined + "\x1f" + part
    codes, uniques = pd.factorize(joined, use_na_sentinel=True)
    digests = np.asarray([hashlib.blake2b(u.encode(), digest_size=16).hexdigest() for u in uniques] + [None],
                         dtype=object)
    hashes = digests[codes]
    hashes[missing] = None
    return pd.Series(hashes, index=frame.index, dtype=object)


def _person_numbers(hashes: pd.Series) -> pd.Series:
    """``P000001``… per distinct hash, in order of first appearance; a missing hash gets its own."""
    values = hashes.to_numpy(dtype=object).copy()
    alone = pd.isna(values)
    values[alone] = [f"#row{i}" for i in np.flatnonzero(alone)]  # no hash looks like this
    codes, _ = pd.factorize(values)
    return pd.Series([f"P{n + 1:06d}" for n in codes], index=hashes.index, dtype="string")


def _parse_column(contract: Contract, f: Field, column: pd.Series, cells: _Cells) -> pd.Series:
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    lookup = {normalise_label(k): v for k, v in (f.values or {}).items()}
    parsed = [_parse_cell(contract, f, str(u), lookup) for u in uniques]
    errors = np.asarray([e for _, e in parsed] + [None], dtype=object)
    error_arr = errors[codes]  # code -1 (a short line) takes the last entry: no error of its own
    has_error = error_arr != None  # noqa: E711
    if has_error.any():
        err = pd.Series(error_arr, index=column.index)
        for expected in pd.unique(error_arr[has_error]):
            cells.add(err == expected, f.name, expected, found=column.fillna(""))
    return _typed(f, [v for v, _ in parsed], codes, column.index)


def _parse_cell(contract: Contract, f: Field, raw: str, lookup: dict[str, str]) -> tuple[Any, str | None]:
    """Parse one distinct raw value: (value or None, expected-text if invalid)."""
    text = raw.strip()
    if contract.formula_guard and text[:2] in ("'=", "'+", "'-", "'@"):
        text = text[1:]
    elif text.startswith("="):
        return None, "une valeur, pas une formule de tableur"
    if text in f.na_values:
        return None, (None if f.nullable else "une valeur (champ obligatoire)")
    kind = f.kind
    if kind == "string":
        return text, None
    if kind == "int":
        compact = re.sub(r"[\s\u00a0\u202f]", "", text)
        if re.fullmatch(r"[+-]?\d+(\.0+)?", compact):
            return int(float(compact)), None
        return None, _expected_for(f)
    if kind == "float":
        compact = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
        try:
            return float(compact), None
        except ValueError:
            return None, _expected_for(f)
    if kind == "bool":
        value = _BOOL_VALUES.get(text.casefold())
        return (value, None) if value is not None else (None, _expected_for(f))
    if kind in ("date", "datetime"):
        for fmt in f.formats or ("%Y-%m-%d",):
            try:
                return datetime.strptime(text, fmt), None
            except ValueError:
                continue
        return None, _expected_for(f)
    if kind == "uai":
        code = text.upper()
        problem = referential.uai_problem(code)
        return (code, None) if problem is None else (None, problem)
    if kind == "department":
        dept = referential.normalise_department(text)
        return (dept, None) if dept else (None, _expected_for(f))
    if kind == "academy":
        academy = referential.normalise_academy(text)
        return (academy, None) if academy else (None, _expected_for(f) + " — académie hors région ?")
    if kind == "period":
        m = re.fullmatch(r"(\d{4})-(\d{4})", text)
        if m and int(m.group(2)) == int(m.group(1)) + 1:
            return text, None
        return None, _expected_for(f)
    if kind == "category":
        value = lookup.get(normalise_label(text))
        return (value, None) if value is not None else (None, _expected_for(f))
    raise ValueError(f"unknown field kind {kind!r} for {f.name}")


def _typed(f: Field, unique_values: list[Any], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Build the typed column from the parsed distinct values and the row codes."""
    missing_u = np.asarray([v is None for v in unique_values] + [True], dtype=bool)
    mask = missing_u[codes]
    if f.kind in ("int", "float", "bool"):
        dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}[f.kind]
        filled = np.asarray([0 if v is None else v for v in unique_values] + [0], dtype=dtype)[codes]
        array = {"int": pd.arrays.IntegerArray, "float": pd.arrays.FloatingArray,
                 "bool": pd.arrays.BooleanArray}[f.kind](filled, mask)
        return pd.Series(array, index=index)
    if f.kind in ("date", "datetime"):
        stamps = np.asarray([np.datetime64("NaT") if v is None else np.datetime64(v, "ns") for v in unique_values]
                            + [np.datetime64("NaT")], dtype="datetime64[ns]")
        return pd.Series(stamps[codes], index=index)
    objects = np.asarray(list(unique_values) + [None], dtype=object)[codes]
    return pd.Series(objects, index=index, dtype="string")


# --------------------------------------------------------------------------- step 4: checks


def _pandera_schema(contract: Contract, columns: Iterable[str]) -> pa.DataFrameSchema:
    import pandera.pandas as pa  # here, not at import: a cached load never validates

    cols: dict[str, pa.Column] = {}
    present = set(columns)
    for f in contract.fields:
        if f.personal or f.name not in present:
            continue
        checks = []
        if f.min is not None:
            checks.append(pa.Check.ge(f.min, error=f"une valeur ≥ {_fmt_bound(f.min)}"))
        if f.max is not None:
            checks.append(pa.Check.le(f.max, error=f"une valeur ≤ {_fmt_bound(f.max)}"))
        cols[f.name] = pa.Column(checks=checks, nullable=True, required=False)
    frame_checks = [
        pa.Check(_row_check(rc), error=f"__row__{rc.name}") for rc in contract.checks
        if set(rc.columns) <= present
    ]
    key = [k for k in contract.key if k in present]
    return pa.DataFrameSchema(cols, checks=frame_checks, unique=key if len(key) == len(contract.key) and key else None,
                              report_duplicates="all", strict=False)


def _row_check(rc: RowCheck) -> Callable[[pd.DataFrame], pd.Series]:
    def check(frame: pd.DataFrame) -> pd.Series:
        judged = frame[list(rc.columns)].notna().all(axis=1)
        valid = rc.valid(frame).fillna(True).astype(bool)
        return valid | ~judged

    return check


def _fmt_bound(x: float) -> str:
    return _fr_int(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _run_checks(contract: Contract, frame: pd.DataFrame, headers: dict[str, str]) -> list[Problem]:
    """Value checks (pandera, lazy) and key uniqueness; rows with parse errors are excluded."""
    import pandera.pandas as pa

    problems: list[Problem] = []
    schema = _pandera_schema(contract, frame.columns)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems.extend(_translate(contract, frame, exc.failure_cases, headers))
    return problems


def _translate(contract: Contract, frame: pd.DataFrame, cases: pd.DataFrame,
               headers: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    broken = cases[cases["index"].isna() & cases["check"].astype(str).str.startswith("__row__")]
    for check, group in broken.groupby("check", sort=False):
        # A rule that raised cannot vouch for any row: say so instead of passing silently.
        name = str(check)[len("__row__"):]
        problems.append(Problem(str(frame["_file"].iloc[0]) if len(frame) else "?",
                                f"une règle « {name} » vérifiable (erreur du contrat : {group['failure_case'].iloc[0]})",
                                source=contract.name))
    cases = cases[cases["index"].notna()].copy()
    cases["index"] = cases["index"].astype(int)
    loc = frame.loc[:, ["_file", "_line"]]
    for check, group in cases.groupby("check", sort=False):
        check = str(check)
        if check.startswith("__row__"):
            rc = next(c for c in contract.checks if c.name == check[len("__row__"):])
            idx = sorted(set(group["index"]))
            sub = loc.loc[idx]
            first_col = rc.columns[0]
            for rel, lines in sub.groupby("_file", observed=True):
                example_row = frame.loc[lines.index[0], list(rc.columns)]
                found = "; ".join(f"{headers.get(c, c)} = {_plain(example_row[c])}" for c in rc.columns)
                problems.append(Problem(str(rel), rc.expected, column=headers.get(first_col, first_col),
                                        lines=sorted(lines["_line"].astype(int)), found=found,
                                        source=contract.name))
        elif "uniqueness" in check or check == "unique":
            problems.extend(_duplicate_problems(contract, frame, sorted(set(group["index"])), headers))
        else:
            for column, sub_cases in group.groupby("column", sort=False):
                idx = sub_cases["index"].tolist()
                sub = loc.loc[idx]
                for rel, lines in sub.groupby("_file", observed=True):
                    problems.append(Problem(str(rel), check, column=headers.get(str(column), str(column)),
                                            lines=sorted(lines["_line"].astype(int)),
                                            found=_plain(frame.loc[lines.index[0], column]),
                                            source=contract.name))
    return problems


def _duplicate_problems(contract: Contract, frame: pd.DataFrame, idx: list[int],
                        headers: dict[str, str]) -> list[Problem]:
    sub = frame.loc[idx]
    key = list(contract.key)
    # The column named is the first key column read from the file (not one taken from its path).
    named = next((k for k in key if k not in _path_groups(contract)), key[0])
    problems = []
    for _, grp in sub.groupby(key, dropna=False, sort=False, observed=True):
        where = [f"{f} ligne {int(n)}" for f, n in zip(grp["_file"], grp["_line"], strict=True)]
        label = ", ".join(headers.get(k, k) for k in key)
        values = ", ".join(_plain(grp.iloc[0][k]) for k in key)
        problems.append(Problem(str(grp["_file"].iloc[0]), f"une seule ligne par ({label})",
                                column=headers.get(named, named),
                                lines=sorted(grp["_line"].astype(int)),
                                found=f"{values} en double : " + " ; ".join(where[:4]),
                                source=contract.name))
    return problems


def _plain(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "(vide)"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)


# --------------------------------------------------------------------------- region


def _region_filter(contract: Contract, frame: pd.DataFrame, headers: dict[str, str],
                   problems: list[Problem]) -> pd.DataFrame:
    col = contract.region_column
    if not col or col not in frame.columns:
        return frame
    values = frame[col]
    if col == "uai":
        uniques = values.dropna().unique()
        region = {u for u in uniques if referential.department_of_uai(u) in referential.DEPARTMENTS}
        inside = values.isin(list(region)) | values.isna()
    elif col == "department":
        inside = values.isin(list(referential.DEPARTMENTS)) | values.isna()
    elif col == "academy":
        inside = values.isin(list(referential.ACADEMIES)) | values.isna()
    else:  # pragma: no cover
        raise ValueError(col)
    # Files without a row of the region (one groupby: thousands of files are read at once).
    files = frame["_file"]
    any_inside = inside.groupby(files, observed=True).any()
    empty = files.isin(any_inside.index[~any_inside.to_numpy(dtype=bool)])
    for rel, part in values[empty].groupby(files[empty], observed=True):
        seen = ", ".join(sorted({str(v) for v in part.dropna().unique()})[:6])
        problems.append(Problem(str(rel), "des lignes de la région académique Nouvelle-Aquitaine "
                                          "(académies de Bordeaux, Limoges, Poitiers)",
                                column=headers.get(col, col), found=f"aucune ; valeurs lues : {seen}",
                                source=contract.name))
    if contract.outside_region == "error":
        reported = {p.file for p in problems if p.source == contract.name and p.column == headers.get(col, col)}
        outside = ~inside & ~frame["_file"].astype(str).isin(reported)
        for rel, part in frame.loc[outside].groupby("_file", observed=True):
            problems.append(Problem(str(rel), "une valeur de la région Nouvelle-Aquitaine",
                                    column=headers.get(col, col), lines=sorted(part["_line"].astype(int)),
                                    found=str(part[col].iloc[0]), source=contract.name))
    return frame.loc[inside]


# --------------------------------------------------------------------------- entry point


def read_files(contract: Contract, paths: Sequence[Path], base: Path | None = None) -> ReadResult:
    """Read, parse and check ``paths`` as files of ``contract``.

    On a terminal (:mod:`drane_analysis.progress` enabled by the command), a read that
    lasts more than a second shows a live bar with an estimate of the time left: the first
    read of a large source, before the Parquet cache holds it.

    Args:
        contract: the source's declaration.
        paths: the files (in the order given; sort them for determinism).
        base: folder that file names in messages are relative to.

    Returns:
        A :class:`ReadResult`; its frame is None when any error was found.
    """
    with _ReadBar(contract, len(paths)) as bar:
        return _read_files(contract, paths, base, bar)


class _ReadBar:
    """The live bar of one read, in per mille of its expected time: each step's share
    (:data:`READ_STEPS`) spread over its files, groups of files and columns."""

    def __init__(self, contract: Contract, files: int):
        from .. import progress

        self._bar = progress.bar(1000, f"Lecture de {contract.name} ({_fr_int(files)} fichier(s))", delay=1.0,
                                 counts=False) if files else progress.NO_BAR
        self._done = 0.0
        self._shown = 0

    def step(self, name: str, fraction: float = 1.0) -> None:
        """``fraction`` of step ``name`` done."""
        self._done += 1000 * READ_STEPS[name] * fraction
        n = min(1000, int(self._done)) - self._shown
        if n > 0:
            self._bar.update(n)
            self._shown += n

    def __enter__(self) -> _ReadBar:
        return self

    def __exit__(self, *exc) -> None:
        self._bar.close()


#: Share of a first read's time in each of its steps (measured on the national Pix Certif
#: exports): what the live bar's estimate of the time left rests on.
READ_STEPS = {"text": 0.15, "parse": 0.20, "values": 0.35, "checks": 0.15, "tidy": 0.15}


def _read_files(contract: Contract, paths: Sequence[Path], base: Path | None, bar: _ReadBar) -> ReadResult:
    base = Path(base) if base else (Path(paths[0]).parent if paths else Path("."))
    problems: list[Problem] = []
    texts = []
    for p in paths:
        if (t := _load_text(contract, Path(p), base, problems)) is not None:
            texts.append(t)
        bar.step("text", 1 / len(paths))
    groups: dict[tuple[str, ...], list[_FileText]] = {}
    for ft in texts:
        groups.setdefault(tuple(ft.header), []).append(ft)
    headers_used: dict[str, str] = {
        name: header for name, header in (contract.path_field_headers or {}).items()
    }
    lines = sum(len(ft.lines) for ft in texts) or 1
    parsed = [typed for files in groups.values()
              if (typed := _read_group(contract, files, headers_used, problems, bar,
                                       sum(len(ft.lines) for ft in files) / lines)) is not None]
    for p in problems:
        p.source = p.source or contract.name
    if not parsed:
        if not problems and not paths:
            return ReadResult(None, [], [])
        return ReadResult(None, problems, list(paths))
    frame = pd.concat(parsed, ignore_index=True) if len(parsed) > 1 else parsed[0].reset_index(drop=True)
    if len(parsed) > 1:
        frame["_file"] = frame["_file"].astype("category")
    frame = _region_filter(contract, frame, headers_used, problems)
    problems.extend(_run_checks(contract, frame, headers_used))
    bar.step("checks")
    for p in problems:
        p.source = p.source or contract.name
    if any(p.severity == "error" for p in problems):
        return ReadResult(None, _sorted(problems), list(paths))
    tidy = _declared_columns(contract, frame.drop(columns=["_file", "_line"]).reset_index(drop=True))
    if contract.tidy is not None:
        tidy = contract.tidy(tidy)
    bar.step("tidy")
    return ReadResult(tidy, _sorted(problems), list(paths))


def _read_group(contract: Contract, files: list[_FileText], headers_used: dict[str, str], problems: list[Problem],
                bar: _ReadBar, share: float) -> pd.DataFrame | None:
    """Steps 2 and 3 for files sharing one header (``share`` of the read's lines): the typed
    frame, or None when the header or the parse fails (the problems say why)."""
    before = len(problems)
    positions = _match_header(contract, files[0], problems)
    if positions is None:
        for other in files[1:]:  # same header, same problems: name each file
            problems.extend(
                Problem(other.rel, p.expected, column=p.column, lines=p.lines, found=p.found)
                for p in problems[before:]
            )
        return None
    for pos, name in positions.items():
        headers_used.setdefault(name, files[0].header[pos])
    frame = _parse_group(contract, files, positions, problems)
    bar.step("parse", share)
    if frame is None:
        return None
    frame = _add_path_fields(contract, frame)
    cells = _Cells(frame, contract, headers_used)
    typed = _parse_values(contract, frame, cells, lambda k: bar.step("values", share * k))
    problems.extend(cells.problems())
    return typed


def _declared_columns(contract: Contract, frame: pd.DataFrame) -> pd.DataFrame:
    """The declared, non-personal columns in declaration order, then the person number if any."""
    ordered = [f.name for f in contract.fields if not f.personal and f.name in frame.columns]
    if contract.person_key is not None:
        frame[contract.person_key.column] = _person_numbers(frame[_PERSON])
        ordered.append(contract.person_key.column)
    return frame[ordered]


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.lines[0] if p.lines else 0, p.column or ""))
