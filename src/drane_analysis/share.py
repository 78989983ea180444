"""Partner-lab bundles: what Inria or the CeRCA receive to re-run a report (``drane share``).

``drane share --target 1.1 --academy limoges --period 2025-2026 --out pix-limoges.zip`` writes
one zip file holding:

- ``notebooks/<cible>.ipynb``: the target's notebook, its parameters set to the bundle's
  scope, school year and data folder (no outputs);
- ``donnees/``: the **extract**: one Parquet file per source the report reads, tidy (names,
  birth dates, e-mails and every field declared personal were dropped when the exports were
  read), with every establishment code (UAI), commune code and person or record identifier
  replaced by a keyed hash (HMAC-SHA-256; the key stays in ``data/secret/``, never in a
  bundle), establishment and commune names replaced by the same pseudonyms and free-text
  fields dropped (``params/privacy.yaml``, section ``share``); ``extrait-drane.json`` lists
  the sources (the library reads such a folder as it reads raw exports);
- ``src/``, ``pyproject.toml`` and ``requirements.txt``: the library at this version and the
  runtime lock (``requirements/runtime.txt``: every package the notebook needs, pinned, with
  hashes; not the development tools nor the [lab] and [cluster] extras);
- ``params/`` (the roadmap's catalogue, objectives, rules) and ``catalogue/`` (the data
  contracts of the sources, the target's indicators);
- ``reference/``: the published report of the same target, scope and year, when the output
  folder holds it (to compare with the lab's run);
- ``LISEZMOI.md``: for the lab — what is inside, how to run it, what was removed and why.

Every table the notebook publishes applies the statistical disclosure control of
:mod:`.privacy`, in the lab as here: re-run with the stock tools (papermill, Jupyter), the
notebook gives the same tables as the published report.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import EXIT_USAGE, DraneError
from .paths import (
    DEMO_MARKER,
    notebooks_dir,
    outputs_dir,
    params_dir,
    project_root,
    resolve_data_dir,
)

KEY_FILE = "cle-pseudonymisation.key"
RUNTIME_LOCK = Path("requirements") / "runtime.txt"  # the core's pinned packages, with hashes (make lock)
EXTRACT_DIR = "donnees"
UAI_RE = re.compile(r"\b\d{7}[A-Z]\b")
ZIP_DATE = (2020, 9, 1, 0, 0, 0)  # a fixed date for every entry: same inputs, same bytes


class ShareError(DraneError):
    """The bundle cannot be made (unknown target, no notebook, no data)."""

    exit_code = EXIT_USAGE


@dataclass
class ShareResult:
    path: Path
    sources: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)  # source → columns dropped
    pseudonymised: dict[str, list[str]] = field(default_factory=dict)  # source → columns hashed


# --------------------------------------------------------------------------- the key


def secret_dir() -> Path:
    """Where the pseudonymisation key lives (``DRANE_SECRET_DIR``, else ``data/secret/``; never tracked)."""
    env = os.environ.get("DRANE_SECRET_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / "data" / "secret"


def load_key(create: bool = True) -> bytes:
    """The key of the keyed hashes, created (32 random bytes, readable by its owner only) on first use."""
    path = secret_dir() / KEY_FILE
    if path.is_file():
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
        if len(key) < 16:
            raise ShareError(f"clé de pseudonymisation trop courte : {path}")
        return key
    if not create:
        raise ShareError(f"clé de pseudonymisation absente : {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    os.replace(tmp, path)
    return key


def key_id(key: bytes) -> str:
    """A short public name of the key (which key made a bundle), from which the key cannot be found."""
    return hashlib.sha256(b"drane-key-id:" + key).hexdigest()[:12]


class Pseudonymiser:
    """Keyed hashes: the same value, kind and key always give the same pseudonym."""

    def __init__(self, key: bytes, settings: dict):
        self.key = key
        self.hex = int(settings.get("pseudonym_hex", 16))
        self.prefixes = dict(settings.get("prefixes", {}))
        self._memo: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return value
        text = str(value)
        hit = self._memo.get((kind, text))
        if hit is None:
            digest = hmac.new(self.key, f"{kind}\x1f{text}".encode(), hashlib.sha256).hexdigest()[: self.hex]
            hit = self.prefixes.get(kind, self.prefixes.get("default", "ID-")) + digest.upper()
            self._memo[(kind, text)] = hit
        return hit

    def column(self, kind: str, values: pd.Series) -> pd.Series:
        uniques = values.dropna().unique()
        mapping = {u: self(kind, u) for u in uniques}
        return values.map(mapping).astype("string")

    def path(self, rel: str) -> str:
        """A file's path with every UAI in it replaced by its pseudonym."""
        return UAI_RE.sub(lambda m: str(self("uai", m.group(0))), rel)


# --------------------------------------------------------------------------- the extract


def needed_sources(target: str, data) -> list[str]:
    """The sources the target's report reads: its indicators', the referential ones, those its
    computations read (tracked), and those its last build read (manifest), if any."""
    from .build import target_sources
    from .data import track_sources
    from .targets import module_for

    names = set(target_sources(target))
    with track_sources() as read:
        module_for(target).compute(data)
    names |= read
    manifest = outputs_dir() / "manifest.json"
    if manifest.is_file():
        try:
            reports = json.loads(manifest.read_text(encoding="utf-8")).get("reports", {})
        except ValueError:
            reports = {}
        for entry in reports.values():
            if entry.get("target") == target:
                names |= set(entry.get("sources_read") or [])
    from . import sources

    return sorted(n for n in names if n in sources.names() and data.has(n))


def pseudonymise(frame: pd.DataFrame, settings: dict, pseudo: Pseudonymiser) -> tuple[pd.DataFrame, list[str],
                                                                                     list[str]]:
    """The frame with identifiers hashed, names replaced by pseudonyms and free text dropped.

    Returns the frame, the columns hashed and the columns dropped.
    """
    out = frame.copy()
    hashed: list[str] = []
    dropped: list[str] = []
    establishment = set(settings.get("establishment_columns", ["uai"]))
    places = set(settings.get("place_columns", ["commune_code"]))
    persons = set(settings.get("person_columns", []))
    free_text = set(settings.get("dropped_columns", []))
    for col in list(out.columns):
        if col in establishment:
            out[col] = pseudo.column("uai", out[col])
            hashed.append(col)
        elif col in places:
            out[col] = pseudo.column("commune_code", out[col])
            hashed.append(col)
        elif col in persons:
            out[col] = pseudo.column(col, out[col])
            hashed.append(col)
    for col in list(out.columns):
        if col not in free_text:
            continue
        # A name the code shows (an establishment's, a commune's) becomes the pseudonym of its
        # code; any other free text goes.
        if col == "name" and "uai" in frame.columns:
            out[col] = pseudo.column("uai", frame["uai"])
            hashed.append(col)
        elif col == "commune_name" and "commune_code" in frame.columns:
            out[col] = pseudo.column("commune_code", frame["commune_code"])
            hashed.append(col)
        else:
            out = out.drop(columns=col)
            dropped.append(col)
    return out, hashed, dropped


def _check_no_code_left(name: str, frame: pd.DataFrame) -> None:
    """Refuse to write an extract where an establishment code survived in a text column."""
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype) in ("string", "category"):
            text = frame[col].dropna().astype(str)
            bad = text[text.str.contains(UAI_RE)]
            if len(bad):
                raise ShareError(f"source {name}, colonne « {col} » : un code d'établissement (UAI) resterait dans "
                                 f"l'extrait (« {bad.iloc[0]} ») ; ajoutez la colonne à params/privacy.yaml (share)")


# --------------------------------------------------------------------------- the bundle


def share(target: str, academy: str, period: str = "latest", out: str | os.PathLike[str] = "",
          data_dir: str | os.PathLike[str] | None = None, outputs: str | os.PathLike[str] | None = None,
          say: Callable[[str], None] = print) -> ShareResult:
    """Write the partner-lab bundle of one report (see the module documentation).

    Args:
        target: the target's number (``"1.1"``).
        academy: ``bordeaux``, ``limoges``, ``poitiers`` or ``region``.
        period: a school year or ``latest``.
        out: the zip file to write (replaced atomically).
        data_dir: the data folder (empty: the default one).
        outputs: the output folder whose published report goes into ``reference/``
            (default ``outputs/``).
    """
    from . import referential, sources
    from .catalogue import load_catalogue
    from .data import Data
    from .privacy import share_settings

    try:
        referential.check_scope(academy)
        cat = load_catalogue()
        t = cat.target(target)
    except (KeyError, ValueError) as exc:
        raise ShareError(str(exc.args[0] if exc.args else exc)) from None
    notebook = notebooks_dir() / t.notebook
    if not notebook.is_file():
        raise ShareError(f"la cible {target} n'a pas de notebook ({notebook.name})")
    base = resolve_data_dir(data_dir)
    if not base.is_dir():
        raise ShareError(f"dossier de données introuvable : {base}")
    if sources.extract_listing(base) is not None:
        raise ShareError(f"{base} est déjà un extrait partagé : partez des exports d'origine")
    out_path = Path(out).expanduser().resolve() if out else Path.cwd() / f"{t.name}-{academy}.zip"
    requirements = bundle_requirements(project_root() / RUNTIME_LOCK)  # before any work: the lock is there
    data = Data(base)
    period = data.resolve_period(period)
    settings = share_settings()
    pseudo = Pseudonymiser(load_key(), settings)
    names = needed_sources(target, data)
    say(f"Extrait de {len(names)} source(s) pour la cible {target}, {academy}, {period} : {', '.join(names)}")
    result = ShareResult(out_path, names)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".drane-share-", dir=out_path.parent) as tmp:
        root = Path(tmp) / out_path.stem
        extract = root / EXTRACT_DIR
        extract.mkdir(parents=True)
        listing: dict = {"format": 1, "target": target, "academy": academy, "period": period,
                         "generator": f"drane-analysis {__version__}", "key_id": key_id(pseudo.key), "sources": {}}
        for name in names:
            frame = data.source(name)
            clean, hashed, dropped = pseudonymise(frame, settings, pseudo)
            _check_no_code_left(name, clean)
            clean.to_parquet(extract / f"{name}.parquet", index=False)
            files = [pseudo.path(p.relative_to(base).as_posix()) for p in sources.contract(name).files(base)]
            listing["sources"][name] = {"parquet": f"{name}.parquet", "rows": len(clean), "files": files,
                                        "pseudonymised": hashed, "dropped": dropped}
            result.rows[name] = len(clean)
            result.pseudonymised[name] = hashed
            result.removed[name] = dropped
        (extract / sources.EXTRACT_MARKER).write_text(json.dumps(listing, ensure_ascii=False, indent=1) + "\n",
                                                      encoding="utf-8")
        if data.is_demo:  # the same banner as the published report (no file list: names may hold UAIs)
            marker = {k: v for k, v in (data.demo_marker or {}).items() if k in ("generator", "seed", "periods",
                                                                                "generator_version")}
            (extract / DEMO_MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        _write_notebook(notebook, root / "notebooks" / notebook.name, academy, period)
        _copy_library(root, requirements)
        _write_catalogue(root / "catalogue", target)
        caveats = project_root() / "docs" / "caveats.md"
        if caveats.is_file():
            shutil.copy2(caveats, root / "hypotheses-et-limites.md")
        reference = _copy_reference(Path(outputs) if outputs else outputs_dir(), root / "reference", target, academy,
                                    period)
        (root / "LISEZMOI.md").write_text(_readme(t, academy, period, notebook.name, listing, reference, data.is_demo),
                                          encoding="utf-8")
        _zip(root, out_path)
    say(f"Lot écrit : {out_path}")
    return result


def _write_notebook(src: Path, dst: Path, academy: str, period: str) -> None:
    """The notebook with its parameters set to the bundle's (same cells, same ids, no outputs)."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            lines = []
            for line in cell.source.splitlines():
                if line.startswith("academy:"):
                    line = f'academy: str = "{academy}"  # bordeaux, limoges, poitiers ou region'
                elif line.startswith("period:"):
                    line = f'period: str = "{period}"  # année scolaire'
                elif line.startswith("data_dir:"):
                    line = f'data_dir: str = "{EXTRACT_DIR}"  # l\'extrait du lot (dossier donnees/ à sa racine)'
                lines.append(line)
            cell.source = "\n".join(lines)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dst))


def _copy_library(root: Path, requirements: str) -> None:
    package = Path(__file__).parent
    shutil.copytree(package, root / "src" / package.name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    shutil.copytree(params_dir(), root / "params", ignore=shutil.ignore_patterns(".*"))
    project = project_root()
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        shutil.copy2(pyproject, root / "pyproject.toml")
    (root / "requirements.txt").write_text(requirements, encoding="utf-8")
    readme = project / "README.md"
    if readme.is_file():  # pyproject.toml names it
        shutil.copy2(readme, root / "README.md")


def bundle_requirements(lock: Path) -> str:
    """The bundle's ``requirements.txt``: the runtime lock (pins and hashes), under a French header."""
    if not lock.is_file():
        raise ShareError(f"verrou des dépendances introuvable : {lock} (le lot donne les versions exactes des "
                         "paquets ; lancez « make lock » depuis le dossier du projet)")
    lines = lock.read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("#"):  # the lock's own header names the project's paths
        lines.pop(0)
    header = [
        "# Les paquets nécessaires pour relancer le notebook (le verrou d'exécution de l'observatoire,",
        "# requirements/runtime.txt) : versions exactes et empreintes SHA-256 de chaque fichier, pour",
        "# Python 3.11 sous Linux x86_64. Installation : pip install --require-hashes -r requirements.txt",
        "# puis pip install --no-deps -e . (voir LISEZMOI.md). Sans JupyterLab ni outils de développement.",
    ]
    return "\n".join(header + lines) + "\n"


def _write_catalogue(folder: Path, target: str) -> None:
    from . import sources
    from .catalogue import load_catalogue

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contrats-des-sources.json").write_text(sources.contracts_as_json() + "\n", encoding="utf-8")
    cat = load_catalogue()
    rows = [{"indicateur": i.id, "libellé": i.label, "définition": i.definition, "unité": i.unit,
             "sources": list(i.sources), "ventilations": list(i.breakdowns)} for i in cat.indicators(target)]
    (folder / f"indicateurs-cible-{target}.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n",
                                                             encoding="utf-8")


def _copy_reference(outputs: Path, folder: Path, target: str, academy: str, period: str) -> list[str]:
    """The published report (HTML and executed notebook) of the same target, scope and year."""
    manifest = outputs / "manifest.json"
    if not manifest.is_file():
        return []
    try:
        entry = json.loads(manifest.read_text(encoding="utf-8"))["reports"].get(f"{target}|{academy}|{period}")
    except (ValueError, KeyError):
        return []
    copied = []
    for key in ("html", "executed_notebook"):
        rel = (entry or {}).get(key)
        if rel and (outputs / rel).is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(outputs / rel, folder / Path(rel).name)
            copied.append(Path(rel).name)
    return copied


def _zip(root: Path, out_path: Path) -> None:
    """Zip ``root`` (entries under its name, in a stable order, fixed dates) and put it in place atomically."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(f"{root.name}/{path.relative_to(root).as_posix()}", date_time=ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
    from .fsutil import atomic_write

    atomic_write(out_path, buf.getvalue())


def _readme(t, academy: str, period: str, notebook: str, listing: dict, reference: Iterable[str],
            is_demo: bool) -> str:
    from . import referential
    from .privacy import rules

    r = rules()
    scope = referential.SCOPE_LABELS[academy]
    rows = "\n".join(f"| `{name}` | {e['rows']} | {', '.join(e['pseudonymised']) or '—'} | "
                     f"{', '.join(e['dropped']) or '—'} |" for name, e in listing["sources"].items())
    ref = ", ".join(f"`reference/{x}`" for x in reference) if reference else "—"
    demo = ("\n> **Données de démonstration** : ce lot est construit sur les données fictives du générateur de "
            "l'observatoire, pas sur des données réelles.\n" if is_demo else "")
    return f"""# Lot pour laboratoire partenaire — cible {t.id} : {t.title}

Périmètre : **{scope}** · année scolaire **{period}** · produit par drane-analysis {__version__}
(clé de pseudonymisation n° `{listing['key_id']}`).
{demo}
Ce lot permet de relancer, avec les outils standard (Python 3.11, papermill ou JupyterLab), le
notebook de la cible {t.id} de l'observatoire des usages du numérique éducatif de la région
académique Nouvelle-Aquitaine, sur un extrait pseudonymisé de ses données, et d'obtenir les mêmes
tableaux que le rapport publié.

## Contenu

| dossier ou fichier | contenu |
|---|---|
| `notebooks/{notebook}` | le notebook de la cible, paramétré pour ce périmètre, cette année et l'extrait |
| `donnees/` | l'extrait : un fichier Parquet par source lue par le rapport, et `extrait-drane.json` (liste des sources) |
| `src/`, `pyproject.toml` | la bibliothèque `drane_analysis` dans la version qui a produit le rapport |
| `requirements.txt` | les versions exactes, avec leurs empreintes, des paquets nécessaires pour relancer le notebook |
| `params/` | le catalogue de la feuille de route, les objectifs, les règles de statut et de secret statistique |
| `catalogue/` | les contrats des sources (colonnes, types, unités) et les indicateurs de la cible |
| `reference/` | le rapport publié correspondant, pour comparer : {ref} |
| `hypotheses-et-limites.md` | hypothèses, limites et biais connus de chaque indicateur |

## Relancer le notebook

Depuis le dossier du lot (où se trouve ce fichier) :

```sh
python3.11 -m venv .venv
.venv/bin/pip install --require-hashes -r requirements.txt
.venv/bin/pip install --no-deps -e .
.venv/bin/papermill notebooks/{notebook} resultat.ipynb
.venv/bin/jupyter nbconvert --to html --no-input resultat.ipynb
```

`requirements.txt` fixe la version de chaque paquet et l'empreinte de chacun de ses fichiers
(Python 3.11 sous Linux x86_64) : pip refuse tout fichier différent de ceux avec lesquels
l'observatoire a été testé. Sur un autre système, `.venv/bin/pip install -e .` installe des
versions compatibles, non figées. JupyterLab n'y est pas (papermill et nbconvert suffisent) :
pour ouvrir `notebooks/{notebook}` dans JupyterLab, ajoutez-le (`.venv/bin/pip install jupyterlab`)
puis lancez `.venv/bin/jupyter lab`. Les paramètres du
notebook valent déjà `academy = "{academy}"`, `period = "{period}"` et `data_dir = "donnees"` ;
l'extrait contient toutes les années scolaires des sources, d'autres années se relancent avec
`-p period 2023-2024`. La bibliothèque lit un dossier d'extrait (reconnu à son fichier
`extrait-drane.json`) comme elle lit les exports d'origine.

## Ce qui a été retiré, et pourquoi

- **Données personnelles directes** : noms, prénoms, dates et lieux de naissance, courriels,
  identifiants externes, commentaires et tous les champs déclarés personnels dans les contrats
  des sources ne sont jamais lus : ils sont écartés à la lecture des exports, avant tout calcul.
- **Établissements** : chaque code UAI est remplacé par un pseudonyme `ETAB-…`, et le nom de
  l'établissement par ce même pseudonyme ; les codes de commune par `COM-…` (les noms de
  communes aussi). Ce sont des empreintes à clé (HMAC-SHA-256) : le même établissement garde le
  même pseudonyme dans toutes les tables du lot, mais la clé reste à la DRANE et ne figure dans
  aucun lot ; sans elle, on ne peut ni retrouver un code ni vérifier une supposition.
- **Identifiants de personnes ou d'enregistrements** (élèves, enseignants, relais, cadres,
  réponses, inscriptions) : remplacés de la même façon par des empreintes à clé.
- **Texte libre** (intitulés, descriptions, adresses web, comptes rendus) : supprimé.

Par source :

| source | lignes | colonnes pseudonymisées | colonnes supprimées |
|---|---|---|---|
{rows}

## Secret statistique

Le notebook applique, dans le laboratoire comme à la DRANE, les règles de `params/privacy.yaml` :
dans tout tableau ventilé sous le niveau de l'académie, un effectif de personnes inférieur à
{r.threshold} est masqué (« {r.marker} »), ainsi que les effectifs qui permettraient de le
retrouver à partir des totaux (secret secondaire) ; les taux et moyennes calculés sur moins de
{r.min_base} personnes ne sont pas affichés. Toute publication tirée de ce lot doit respecter
les mêmes règles : utilisez les fonctions d'affichage de la bibliothèque (`drane_analysis.report`,
`drane_analysis.privacy.protect`).

## Limites et précautions

- L'extrait garde, pour que les résultats soient identiques à ceux du rapport, les valeurs par
  établissement (effectifs, IPS, usages) : certaines sont publiées en données ouvertes par la
  DEPP ; les rapprocher de ces données pour retrouver un établissement est contraire à l'accord
  de partage et inutile pour l'analyse. Ne recoupez pas l'extrait avec d'autres sources
  nominatives.
- Les tableaux qui nomment des établissements ou des communes dans le rapport publié montrent
  ici leurs pseudonymes ; leur ordre peut donc différer.
- Les hypothèses, limites et biais connus de chaque indicateur sont décrits dans
  `hypotheses-et-limites.md` (le journal `docs/caveats.md` de l'observatoire).
"""
