"""``drane fetch-open-data``: the real open datasets the observatory reads, for the region.

The ministry publishes on data.education.gouv.fr (an Opendatasoft portal, Licence Ouverte
2.0) the establishment directory, the social position indices (IPS), pupils by level and
sex, and the specialties of *première* and *terminale* by sex. :func:`fetch` downloads each
one through the portal's export API (``/api/explore/v2.1/catalog/datasets/<id>/exports/csv``),
restricted to the three academies of the region when the portal accepts the filter (the
whole national file otherwise: the loaders ignore the other regions' rows), into the
source's folder of the data folder (``annuaire/``, ``ips/``, ``effectifs/``,
``specialites/``).

Each download is checked with its source's contract **before** it replaces anything: a file
that does not read (wrong format, no row of the region…) is refused with the contract's
message, and the previous file stays. What was fetched is recorded in
``provenance-donnees-ouvertes.json`` at the root of the data folder: for each dataset its
URL, the date of the download, the file's SHA-256 checksum and size, and the licence.

Dataset identifiers and filters follow ``docs/sources/depp.md`` and
``docs/sources/annuaire.md``; the portal's field names used in the filters are inferred
from its exports, hence the fallback to the national file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import __version__, progress
from .errors import EXIT_DATA, DraneError
from .fsutil import atomic_write, now_iso

PORTAL = "https://data.education.gouv.fr"
PROVENANCE_FILE = "provenance-donnees-ouvertes.json"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
PRODUCER = "Ministère de l'Éducation nationale (DEPP)"
TIMEOUT_S = 120
STAGING = ".telechargement"

_ACADEMY_CODES = ("04", "13", "22")  # Bordeaux, Poitiers, Limoges (codes of the annuaire and DEPP files)
_ACADEMY_NAMES = ("BORDEAUX", "LIMOGES", "POITIERS")


def _any_of(field: str, values: Iterable[str]) -> str:
    return " OR ".join(f'{field}="{v}"' for v in values)


@dataclass(frozen=True)
class OpenDataset:
    """One dataset of the portal and where it goes in the data folder."""

    name: str  # our short name, also the --dataset value
    dataset_id: str  # the portal's identifier
    source: str  # the contract that reads it
    folder: str  # folder inside the data folder
    title: str
    where: str = ""  # ODSQL filter on the region (empty: the national file)
    use_labels: bool = False  # label headers (as the recorded real files), or API field names

    @property
    def file_name(self) -> str:
        """Name of the file in the data folder: the dataset's identifier (the loaders' patterns match it)."""
        return f"{self.dataset_id}.csv"

    @property
    def page(self) -> str:
        """The dataset's page on the portal (documentation, licence)."""
        return f"{PORTAL}/explore/dataset/{self.dataset_id}/"

    def url(self, base_url: str = PORTAL, filtered: bool = True) -> str:
        """The export URL (``;`` separator, region filter when ``filtered``)."""
        query = {"delimiter": ";", "use_labels": "true" if self.use_labels else "false"}
        if filtered and self.where:
            query["where"] = self.where
        return (f"{base_url.rstrip('/')}/api/explore/v2.1/catalog/datasets/{self.dataset_id}/exports/csv?"
                + urllib.parse.urlencode(query))


_REGION_ACAD = _any_of("academie", _ACADEMY_NAMES)
_REGION_NA = 'region_academique="NOUVELLE-AQUITAINE"'

#: Every dataset ``drane fetch-open-data`` knows, by short name.
DATASETS: dict[str, OpenDataset] = {d.name: d for d in (
    OpenDataset("annuaire", "fr-en-annuaire-education", "annuaire", "annuaire",
                "Annuaire de l'éducation (établissements)", _any_of("code_academie", _ACADEMY_CODES), True),
    OpenDataset("ips_ecoles", "fr-en-ips_ecoles_v2", "ips_ecoles", "ips",
                "IPS des écoles, 2016-2017 à 2021-2022", _REGION_ACAD),
    OpenDataset("ips_ecoles_ap2022", "fr-en-ips-ecoles-ap2022", "ips_ecoles", "ips",
                "IPS des écoles, méthode 2022", _REGION_ACAD),
    OpenDataset("ips_colleges", "fr-en-ips_colleges", "ips_colleges", "ips",
                "IPS des collèges, 2016-2017 à 2021-2022", _REGION_ACAD),
    OpenDataset("ips_colleges_ap2022", "fr-en-ips-colleges-ap2022", "ips_colleges", "ips",
                "IPS des collèges, méthode 2022", _REGION_ACAD),
    OpenDataset("ips_colleges_ap2023", "fr-en-ips-colleges-ap2023", "ips_colleges", "ips",
                "IPS des collèges, méthode 2023", _REGION_ACAD),
    OpenDataset("ips_lycees", "fr-en-ips_lycees", "ips_lycees", "ips",
                "IPS des lycées, 2016-2017 à 2021-2022", _REGION_ACAD),
    OpenDataset("ips_lycees_ap2022", "fr-en-ips-lycees-ap2022", "ips_lycees", "ips",
                "IPS des lycées, méthode 2022", _REGION_ACAD),
    OpenDataset("ips_lycees_ap2023", "fr-en-ips-lycees-ap2023", "ips_lycees", "ips",
                "IPS des lycées, méthode 2023", _REGION_ACAD),
    OpenDataset("effectifs_college", "fr-en-college-effectifs-niveau-sexe-lv", "effectifs_college", "effectifs",
                "Élèves des collèges par niveau et sexe", _REGION_NA),
    OpenDataset("effectifs_lycee_gt", "fr-en-lycee_gt-effectifs-niveau-sexe-lv", "effectifs_lycee_gt",
                "effectifs", "Élèves des lycées généraux et technologiques par niveau et sexe", _REGION_NA),
    OpenDataset("effectifs_lycee_pro", "fr-en-lycee_pro-effectifs-niveau-sexe-lv", "effectifs_lycee_pro",
                "effectifs", "Élèves des lycées professionnels par niveau et sexe", _REGION_NA),
    OpenDataset("specialites_premiere", "fr-en-effectifs-specialites-triplettes-1ere-generale",
                "specialites_premiere", "specialites", "Spécialités de première générale par sexe",
                _REGION_NA, True),
    OpenDataset("specialites_terminale", "fr-en-effectifs-specialites-doublettes-terminale-generale",
                "specialites_terminale", "specialites", "Spécialités de terminale générale par sexe",
                _REGION_NA, True),
)}


class OpenDataError(DraneError):
    """The data folder cannot receive the downloads (French message)."""

    exit_code = EXIT_DATA


@dataclass
class FetchResult:
    """What happened to one dataset."""

    dataset: OpenDataset
    ok: bool
    message: str
    path: Path | None = None
    provenance: dict | None = None


def _download(url: str, dest: Path, label: str = "") -> tuple[str, int]:
    """Stream ``url`` into ``dest``; return its SHA-256 and size. On a terminal, a bar of
    the bytes received (of the announced size, when the portal gives one)."""
    req = urllib.request.Request(url, headers={"User-Agent": f"drane-analysis/{__version__}"})
    h = hashlib.sha256()
    size = 0
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp, open(dest, "wb") as fh:  # noqa: S310
        announced = resp.headers.get("Content-Length")
        total = int(announced) if announced and announced.isdigit() and int(announced) > 0 else None
        with progress.bar(total, f"  {label or dest.name}", in_bytes=True, delay=0.5) as bar:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                fh.write(chunk)
                h.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
    return h.hexdigest(), size


def _check(d: OpenDataset, staged: Path, staging_root: Path) -> list[str]:
    """The contract's problems with a downloaded file (empty: it reads)."""
    from . import sources

    result = sources.read(d.source, [staged], base=staging_root)
    return [p.format() for p in result.errors]


def load_provenance(data_dir: Path) -> dict:
    """The provenance record of a data folder (empty if none)."""
    path = Path(data_dir) / PROVENANCE_FILE
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
    return {}


def fetch_one(d: OpenDataset, data_dir: Path, base_url: str | None = None) -> FetchResult:
    """Download one dataset, check it with its contract, put it in place (see :func:`fetch`)."""
    base_url = base_url or PORTAL
    staging_root = data_dir / STAGING
    staged = staging_root / d.folder / d.file_name
    staged.parent.mkdir(parents=True, exist_ok=True)
    url = d.url(base_url)
    filtered = bool(d.where)
    try:
        try:
            sha, size = _download(url, staged, d.name)
        except urllib.error.HTTPError as exc:
            if exc.code != 400 or not d.where:
                raise
            # The portal refused the region filter (a field renamed): take the national file.
            url, filtered = d.url(base_url, filtered=False), False
            sha, size = _download(url, staged, d.name)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        staged.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        return FetchResult(d, False, f"{d.name} : téléchargement impossible depuis {url} ({reason}) ; "
                                     "le fichier précédent est conservé")
    problems = _check(d, staged, staging_root)
    if problems:
        staged.unlink(missing_ok=True)
        shown = " ; ".join(problems[:3]) + (f" (+{len(problems) - 3} autre(s))" if len(problems) > 3 else "")
        return FetchResult(d, False, f"{d.name} : le fichier téléchargé ({url}) est refusé : {shown} ; "
                                     "le fichier précédent est conservé")
    final = data_dir / d.folder / d.file_name
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, final)
    record = {
        "dataset": d.dataset_id, "title": d.title, "producer": PRODUCER, "licence": LICENCE,
        "page": d.page, "url": url, "region_filter": filtered,
        "file": final.relative_to(data_dir).as_posix(), "downloaded_at": now_iso(),
        "sha256": sha, "bytes": size, "source": d.source,
    }
    scope = "région" if filtered else "fichier national (filtre régional refusé par le portail)"
    return FetchResult(d, True, f"{d.name} : {final.relative_to(data_dir).as_posix()} ({size / 1e6:.1f} Mo, "
                                f"{scope})", final, record)


def fetch(data_dir: str | os.PathLike[str], only: Iterable[str] | None = None, base_url: str | None = None,
          say: Callable[[str], None] = print) -> list[FetchResult]:
    """Download the open datasets into ``data_dir`` and record their provenance.

    Args:
        data_dir: the data folder (created if needed; ``data/raw`` from the command).
        only: short names of :data:`DATASETS` to fetch (default: all).
        base_url: the portal's address (default: data.education.gouv.fr); the tests give a
            local server that serves recorded files.
        say: where progress lines go.

    Returns:
        One :class:`FetchResult` per dataset; a failure keeps the previous file.

    Raises:
        KeyError: an unknown dataset name (French message).
        OpenDataError: the data folder cannot be written.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    names = list(only) if only else list(DATASETS)
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise KeyError(f"jeu(x) de données inconnu(s) : {', '.join(unknown)} ; connus : {', '.join(DATASETS)}")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpenDataError(f"dossier de données impossible à créer : {data_dir} ({exc.strerror})") from None
    if not os.access(data_dir, os.W_OK):
        raise OpenDataError(f"dossier de données en lecture seule : {data_dir}")
    provenance = load_provenance(data_dir)
    try:
        # On a terminal, a bar of the datasets under the lines (and one of each download's bytes).
        with progress.bar(len(names), "Données ouvertes", "jeux", tick=True) as bar:
            return _fetch_all(names, data_dir, base_url, provenance, say, bar)
    finally:
        shutil.rmtree(data_dir / STAGING, ignore_errors=True)


def _fetch_all(names: list[str], data_dir: Path, base_url: str | None, provenance: dict,
               say: Callable[[str], None], bar: progress.NullBar) -> list[FetchResult]:
    """:func:`fetch`'s loop: each dataset in turn, its provenance recorded as soon as it is in place."""
    results = []
    for name in names:
        d = DATASETS[name]
        bar.describe(f"Données ouvertes : {d.name}")
        say(f"  {d.name} : {d.title} …")
        res = fetch_one(d, data_dir, base_url)
        if res.ok:
            previous = provenance.get(d.name, {})
            if previous.get("sha256") == res.provenance["sha256"]:
                res.message += ", inchangé depuis le " + str(previous.get("downloaded_at", ""))[:10]
            provenance[d.name] = res.provenance
            atomic_write(data_dir / PROVENANCE_FILE,
                         json.dumps(provenance, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        bar.update()
        say(f"    {'✓' if res.ok else '✗'} {res.message}")
        results.append(res)
    return results
