"""Build the observatory: run the target notebooks with papermill, export them to HTML.

``drane build`` runs every (target, scope, school year) asked for — by default every
target that has a notebook, the four scopes and the latest school year — each in a fresh
kernel (papermill's Python API), exports it to a self-contained HTML report with the code
hidden (nbconvert, our ``drane`` template: no network request), then writes
``OUT/index.html`` and ``OUT/manifest.json``.

Layout of the output folder, as readers see it::

    OUT/index.html
    OUT/manifest.json
    OUT/donnees/indicateurs.{csv,xlsx,parquet}        the exports
    OUT/<période>/<cible>-<slug>/<périmètre>.html     the report
    OUT/<période>/<cible>-<slug>/<périmètre>.ipynb    the executed notebook

(each a link into ``OUT/current/``, itself a link to the published generation
``OUT/.generations/<build>/``: see :mod:`.publish`).

**Interrupted builds lose nothing** (:mod:`.publish`). Reports are written into the build's
staging folder (``OUT/.staging/<build>/``), never in place; when every report is done, the
new manifest, exports and index are staged too, a new generation is assembled from the
current one (hard links) and the staged files, and ``OUT/current`` is switched to it in
one atomic rename. A build killed at any moment (``SIGKILL``, a full disk) leaves readers
one whole generation: the previous reports, index and manifest, intact and consistent, or,
killed after the switch, all the new ones; the next build deletes what it left. Each
report's ``html_sha256`` in the manifest lets anyone check it.
A failing notebook never replaces the previous good report of the same (target, scope,
school year) — the index shows the failure and the date of the report still shown. One
failure does not stop the others; the exit code says whether all passed.

**Speed.** One driver process, ``--jobs`` worker processes (default: the number of cores),
each with papermill and one HTML exporter imported once, and one *warm template* process
per build (:mod:`.warm`) that has imported everything a report needs and loaded the data
folder's sources and each target's series once: every report's kernel is a fresh fork of
it (a fresh interpreter state, nothing carried from one report to the next), stopped at
once when its last cell is done. Target reports run first, the synthesis last (it reads
every target, warmed by then). ``--scheduler ADDRESS`` runs the same reports on a Dask
distributed cluster whose workers share the data and output folders.

**Incremental builds.** A report is rebuilt only when something it depends on changed since
it was built: its notebook, its parameters, the library's code (the modules that shape a
report), ``params/``, the versions of the scientific packages, or the content of a data
file of a source it reads (the sources its indicators declare and those its kernel read
last time). The manifest keeps these fingerprints (``notebook_sha256``,
``parameters_sha256``, ``library_sha256``, ``params_sha256``, ``versions``, ``inputs``);
a failed or missing report is always rebuilt; ``force=True`` (``--force``) rebuilds all.
The build says which reports it rebuilt and why. File contents are hashed once: a small
cache (size, date → SHA-256) in the cache folder spares re-reading unchanged files.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import __version__, publish
from .errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, DraneError
from .fsutil import atomic_write, now_iso
from .paths import DEMO_MARKER, cache_dir, notebooks_dir, params_dir, project_root, resolve_data_dir
from .publish import PublishError, Staging
from .runner import (
    MANIFEST,
    SYNTHESIS_ID,
    SYNTHESIS_SLUG,
    SYNTHESIS_TITLE,
    Job,
    JobResult,
    run_job,
)

PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "papermill", "nbconvert",
            "nbclient", "pandera", "pyarrow")
BASE_SOURCES = ("annuaire", "communes", "ips_ecoles", "ips_colleges", "ips_lycees")
# Modules that drive the build or write the index and exports, not the reports themselves:
# changing them rebuilds no report (every other file of the package does).
NOT_REPORT_CODE = ("build.py", "cli.py", "portal.py", "templates/portal/", "exports.py", "schedule.py", "opendata.py",
                   "publish.py", "progress.py", "demo/")
STATE_VERSION = 2


class BuildError(DraneError):
    """The build cannot start (bad arguments, no data folder, no Dask distributed for ``--scheduler``)."""

    exit_code = EXIT_USAGE


# --------------------------------------------------------------------------- planning


def available_targets():
    """Targets of the catalogue that have a notebook in ``notebooks/``."""
    from .catalogue import load_catalogue

    cat = load_catalogue()
    return [t for t in cat.targets.values() if (notebooks_dir() / t.notebook).is_file()]


def synthesis_notebook() -> Path:
    return notebooks_dir() / f"{SYNTHESIS_ID}-{SYNTHESIS_SLUG}.ipynb"


def _notebook_table(state: BuildState | None = None) -> dict[str, tuple[str, str, str]]:
    """target id → (slug, short title, notebook file name), in roadmap order (synthesis first).

    Read from the catalogue, or from the build state when neither ``params/`` nor the
    library changed since (a no-op build must not spend a second importing and parsing).
    """
    info = state.info() if state is not None else None
    if info is not None:
        table = {k: tuple(v) for k, v in info["notebooks"].items()}
    else:
        table = {t.id: (t.slug, t.short_title, t.notebook) for t in available_targets()}
        if synthesis_notebook().is_file():
            table = {SYNTHESIS_ID: (SYNTHESIS_SLUG, SYNTHESIS_TITLE, synthesis_notebook().name), **table}
    return {k: v for k, v in table.items() if (notebooks_dir() / v[2]).is_file()}  # type: ignore[misc]


def _scopes(state: BuildState | None) -> tuple[str, ...]:
    info = state.info() if state is not None else None
    if info is not None:
        return tuple(info["scopes"])
    from . import referential

    return tuple(referential.SCOPES)


def plan(targets: Iterable[str] | None, academies: Iterable[str] | None, periods: Iterable[str],
         state: BuildState | None = None) -> list[Job]:
    """The jobs of a build, in a stable order (synthesis first, then targets; period; scope).

    ``targets`` may name the synthesis as ``0`` (or ``synthese``); by default it is built
    whenever its notebook exists.
    """
    available = _notebook_table(state)
    chosen = [SYNTHESIS_ID if t == SYNTHESIS_SLUG else t for t in targets] if targets else list(available)
    unknown = [t for t in chosen if t not in available]
    if unknown:
        raise BuildError(f"cible(s) sans notebook : {', '.join(unknown)} ; disponibles : {', '.join(available)}")
    known = _scopes(state)
    scopes = list(academies) if academies else list(known)
    for s in scopes:
        if s not in known:
            from . import referential

            try:
                referential.check_scope(s)
            except ValueError as exc:
                raise BuildError(str(exc)) from None
    jobs = []
    for tid in chosen:
        slug, title, notebook = available[tid]
        for period in periods:
            for scope in scopes:
                jobs.append(Job(tid, slug, title, scope, period, str(notebooks_dir() / notebook)))
    return jobs


def execution_order(jobs: list[Job]) -> list[Job]:
    """Target reports first, the synthesis last: the template has warmed every target by then."""
    return sorted(jobs, key=lambda j: j.target == SYNTHESIS_ID)


# --------------------------------------------------------------------------- fingerprints


class FileHashes:
    """SHA-256 of files, re-read only when their size or date changed (cached on disk).

    A CSV file's encoding is found in the same read (:func:`.charsets.sniff_file`) and kept
    with its hash: :attr:`windows_1252` lists the files hashed in this build that are
    Windows-1252 (read with a warning, which the build's log repeats).
    """

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, list] = {}
        self.changed = False
        self.windows_1252: set[Path] = set()
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def sha256(self, path: Path) -> str:
        from .charsets import CP1252, sniff_file

        st = path.stat()
        key = str(path)
        hit = self.entries.get(key)
        if hit and len(hit) == 4 and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            digest, encoding = hit[2], hit[3]
        else:
            h = hashlib.sha256()
            if path.suffix.lower() == ".csv":
                encoding = sniff_file(path, h.update)
            else:
                encoding = ""
                with path.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
            digest = h.hexdigest()
            self.entries[key] = [st.st_size, st.st_mtime_ns, digest, encoding]
            self.changed = True
        if encoding == CP1252:
            self.windows_1252.add(path)
        return digest

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        try:
            atomic_write(self.path, json.dumps(self.entries, separators=(",", ":")))
            self.changed = False
        except OSError:
            pass  # a read-only cache folder only costs speed


def _file_sha256(path: Path, cache: dict[tuple, str]) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in cache:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        cache[key] = h.hexdigest()
    return cache[key]


def _source_files(name: str, data_dir: Path, specs: dict | None = None) -> list[Path] | None:
    """The files of a source (``Contract.files``), from its folder and patterns if known."""
    spec = (specs or {}).get(name)
    if spec is None:
        from . import sources

        try:
            return sources.contract(name).files(data_dir)
        except KeyError:  # a source no longer declared
            return None
    folder, patterns = spec
    base = Path(data_dir) / folder
    if not base.is_dir():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in base.glob(pattern) if p.is_file() and not p.name.startswith("."))
    return sorted(found)


def source_digests(names: Iterable[str], data_dir: Path, cache: dict | FileHashes | None = None,
                   specs: dict | None = None, memo: dict | None = None) -> dict[str, dict]:
    """For each source: its number of files and one digest of their names and contents."""
    cache = {} if cache is None else cache
    memo = {} if memo is None else memo
    out = {}
    for name in sorted(set(names)):
        if name not in memo:
            files = _source_files(name, data_dir, specs)
            if files is None:
                memo[name] = None
                continue
            h = hashlib.sha256()
            for f in files:
                digest = cache.sha256(f) if isinstance(cache, FileHashes) else _file_sha256(f, cache)
                h.update(f"{f.relative_to(data_dir).as_posix()}:{digest}\n".encode())
            memo[name] = {"files": len(files), "sha256": h.hexdigest()}
        if memo[name] is not None:
            out[name] = memo[name]
    return out


def target_sources(target_id: str) -> list[str]:
    """Sources a notebook reads: its indicators' sources and the referential ones (all for the synthesis)."""
    from .catalogue import load_catalogue

    cat = load_catalogue()
    targets = list(cat.targets.values()) if target_id == SYNTHESIS_ID else [cat.target(target_id)]
    return sorted(set(BASE_SOURCES) | {s for t in targets for i in t.indicators for s in i.sources})


def params_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(params_dir().rglob("*.yaml")):
        h.update(p.relative_to(params_dir()).as_posix().encode() + b"\n" + p.read_bytes())
    return h.hexdigest()


def _is_report_code(rel: str) -> bool:
    return not any(rel == x or (x.endswith("/") and rel.startswith(x)) for x in NOT_REPORT_CODE)


def library_digest() -> str:
    """Digest of the library's code that shapes a report (see ``NOT_REPORT_CODE``)."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and p.suffix in (".py", ".j2", ".css", ".json") and _is_report_code(rel):
            h.update(rel.encode() + b"\n" + p.read_bytes())
    return h.hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "drane-analysis": __version__}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "absent"
    return out


def load_manifest(out_dir: Path) -> dict:
    path = out_dir / MANIFEST
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            pass  # a damaged manifest is rebuilt from this build
    return {"reports": {}}


class BuildState:
    """What a build remembers between runs, in the cache folder (``build/``).

    - file hashes (size and date → SHA-256), so unchanged files are not read again;
    - facts from the catalogue and the library (notebooks, declared sources, scopes,
      each source's folder and file patterns), valid while neither ``params/`` nor the
      library changes: a no-op build then needs neither pandas nor the catalogue.
    """

    def __init__(self, data_dir: Path):
        enabled = os.environ.get("DRANE_CACHE", "").lower() not in ("off", "0", "no")
        folder = cache_dir() / "build" if enabled else None
        key = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
        self.hashes = FileHashes(folder / f"hashes-{key}.json" if folder else None)
        self._info_path = folder / "facts.json" if folder else None
        self.params_sha256 = params_digest()
        self.library_sha256 = library_digest()
        self.digests: dict[str, dict | None] = {}  # source → digest, for this build
        self._info: dict | None = None
        self._loaded = False

    def _key(self) -> dict:
        return {"params_sha256": self.params_sha256, "library_sha256": self.library_sha256,
                "version": STATE_VERSION, "root": str(project_root())}

    def info(self) -> dict | None:
        if not self._loaded:
            self._loaded = True
            if self._info_path is not None and self._info_path.is_file():
                try:
                    info = json.loads(self._info_path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    info = None
                if info is not None and all(info.get(k) == v for k, v in self._key().items()):
                    self._info = info
        return self._info

    def learn(self) -> None:
        """Read the catalogue and the contracts once, and keep what later builds need."""
        if self.info() is not None:
            return
        from . import referential, sources
        from .stats import random_seed

        table = _notebook_table(None)
        info = {
            **self._key(),
            "notebooks": table,
            "random_seed": random_seed(),
            "sources": {tid: target_sources(tid) for tid in table},
            "scopes": list(referential.SCOPES),
            "files": {n: [sources.contract(n).folder, list(sources.contract(n).patterns)] for n in sources.names()},
        }
        self._info = info
        if self._info_path is not None:
            with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
                atomic_write(self._info_path, json.dumps(info, ensure_ascii=False))

    def declared_sources(self, target_id: str) -> list[str]:
        info = self.info()
        if info is not None and target_id in info.get("sources", {}):
            return list(info["sources"][target_id])
        return target_sources(target_id)

    def file_specs(self) -> dict | None:
        info = self.info()
        return info.get("files") if info is not None else None


@dataclass
class Fingerprint:
    """What a report depends on (compared with its manifest entry)."""

    notebook_sha256: str
    parameters: dict
    parameters_sha256: str
    inputs: dict[str, dict]
    common: dict


def _common_fingerprint(state: BuildState, data_path: Path, demo_marker: dict | None) -> dict:
    """What every report of a build depends on besides its notebook, parameters and inputs:
    with them, everything needed to rebuild it (the seeds included)."""
    info = state.info() or {}
    return {
        "params_sha256": state.params_sha256,
        "library_sha256": state.library_sha256,
        "versions": versions(),
        "data_dir": str(data_path),
        "demo_data": demo_marker is not None,
        "demo_seed": (demo_marker or {}).get("seed"),  # the seed of `drane demo-data` (demo data only)
        "random_seed": info.get("random_seed"),  # params/statistics.yaml: the statistics' random draws
    }


def fingerprint(job: Job, data_path: Path, state: BuildState, common: dict, previous: dict,
                notebook_digests: dict[str, str]) -> Fingerprint:
    if job.notebook not in notebook_digests:
        notebook_digests[job.notebook] = hashlib.sha256(Path(job.notebook).read_bytes()).hexdigest()
    params = {"academy": job.academy, "period": job.period, "data_dir": str(data_path)}
    deps = set(state.declared_sources(job.target)) | set(previous.get("sources_read") or [])
    return Fingerprint(
        notebook_sha256=notebook_digests[job.notebook],
        parameters=params,
        parameters_sha256=hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest(),
        inputs=source_digests(deps, data_path, state.hashes, state.file_specs(), state.digests),
        common=common,
    )


def why_rebuild(previous: dict, fp: Fingerprint, out: Path, force: bool) -> list[str]:
    """The reasons to rebuild a report (empty: it is up to date), in French."""
    if force:
        return ["reconstruction demandée (--force)"]
    if not previous:
        return ["nouveau rapport"]
    reasons = []
    if previous.get("status") != "ok":
        reasons.append("échec lors de la construction précédente")
    if not previous.get("html") or not (out / previous["html"]).is_file():
        reasons.append("rapport absent du dossier de sortie")
    if previous.get("notebook_sha256") != fp.notebook_sha256:
        reasons.append("notebook modifié")
    if previous.get("parameters_sha256") != fp.parameters_sha256:
        reasons.append("paramètres modifiés")
    if previous.get("library_sha256") != fp.common["library_sha256"]:
        reasons.append("code de la bibliothèque modifié")
    if previous.get("params_sha256") != fp.common["params_sha256"]:
        reasons.append("catalogue ou paramètres (params/) modifiés")
    if previous.get("versions") != fp.common["versions"]:
        changed = sorted(k for k in fp.common["versions"]
                         if (previous.get("versions") or {}).get(k) != fp.common["versions"][k])
        reasons.append(f"versions des paquets modifiées ({', '.join(changed)})")
    if previous.get("demo_data") != fp.common["demo_data"] or previous.get("demo_seed") != fp.common["demo_seed"]:
        reasons.append("données de démonstration régénérées")
    old_inputs = previous.get("inputs") or {}
    changed = sorted(k for k in fp.inputs if (old_inputs.get(k) or {}).get("sha256") != fp.inputs[k]["sha256"])
    changed += sorted(k for k in old_inputs if k not in fp.inputs and k in (previous.get("sources_read") or []))
    if changed:
        reasons.append(f"données modifiées ({', '.join(changed)})")
    return reasons


# --------------------------------------------------------------------------- the build


@dataclass
class BuildSummary:
    results: list[JobResult]
    index: Path
    manifest: Path
    skipped: list[Job] = field(default_factory=list)  # up to date, not rebuilt
    reasons: dict[str, list[str]] = field(default_factory=dict)  # job key → why it was rebuilt
    elapsed_s: float = 0.0
    template: dict = field(default_factory=dict)  # the warm template's figures (warm-up, memory)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed else EXIT_OK


def _demo_marker(data_path: Path) -> dict | None:
    """The demo data's marker of a folder written by ``drane demo-data`` (None otherwise)."""
    marker_path = data_path / DEMO_MARKER
    if marker_path.is_file():
        try:
            return json.loads(marker_path.read_text(encoding="utf-8"))
        except ValueError:
            return None
    return None


def build(targets: Iterable[str] | None = None, academies: Iterable[str] | None = None,
          periods: Iterable[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
          out_dir: str | os.PathLike[str] | None = None, jobs: int | None = None,
          say: Callable[[str], None] = print, force: bool = False, scheduler: str | None = None) -> BuildSummary:
    """Build the reports asked for that are out of date; see the module documentation.

    Args:
        force: rebuild every report asked for, up to date or not.
        scheduler: address of a Dask distributed scheduler (``tcp://host:8786``) whose
            workers see the same data and output folders; None runs on this machine.
    """
    started = time.perf_counter()
    if scheduler:  # before any work: said at once, exit code 2 (cli.py)
        require_distributed()
    data_path = resolve_data_dir(data_dir)
    if not data_path.is_dir():
        raise BuildError(f"dossier de données introuvable : {data_path} (lancez « make observatory » ou "
                         "« drane demo-data --out DIR »)")
    out = (Path(out_dir) if out_dir else project_root() / "outputs").resolve()
    out.mkdir(parents=True, exist_ok=True)
    # What a killed build left is deleted; a folder written before generations is converted.
    for line in publish.recover(out):
        say(line)
    state = BuildState(data_path)
    state.learn()
    marker = _demo_marker(data_path)
    wanted_periods = _resolve_periods(periods, data_path, marker)
    todo = plan(targets, academies, wanted_periods, state)
    if not todo:
        raise BuildError("rien à construire")

    manifest = load_manifest(out)
    common = _common_fingerprint(state, data_path, marker)
    notebook_digests: dict[str, str] = {}
    fps: dict[str, Fingerprint] = {}
    reasons: dict[str, list[str]] = {}
    for job in todo:
        previous = manifest["reports"].get(job.key, {})
        fps[job.key] = fingerprint(job, data_path, state, common, previous, notebook_digests)
        why = why_rebuild(previous, fps[job.key], out, force)
        if why:
            reasons[job.key] = why
    state.hashes.save()
    to_run = [j for j in todo if j.key in reasons]
    skipped = [j for j in todo if j.key not in reasons]
    _say_plan(say, todo, to_run, reasons, wanted_periods, data_path)
    _say_encodings(say, state.hashes.windows_1252, data_path)

    results: list[JobResult] = []
    template_stats: dict = {}
    if to_run:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(to_run)))
        with Staging(out) as stage:
            # Workers write into the staging folder; nothing is published before the commit.
            if scheduler:
                say(f"Construction de {len(to_run)} rapport(s) sur la grappe Dask {scheduler}")
                results = _run_distributed(execution_order(to_run), data_path, stage.path, scheduler, say)
            else:
                say(f"Construction de {len(to_run)} rapport(s) avec {workers} processus")
                results, template_stats = _run_local(execution_order(to_run), data_path, stage.path, workers, say)
            order = {j.key: k for k, j in enumerate(todo)}
            results.sort(key=lambda r: order[r.job.key])
            digests = _staged_digests(stage.path, results)
            results = [_lost(r, stage.path) if r.ok and r.job.key not in digests else r for r in results]
            manifest = _update_manifest(manifest, out, data_path, results, fps, reasons, state, digests)
            state.hashes.save()
            staged = [rel for r in results if r.ok for rel in (r.job.ipynb, r.job.html)]
            _commit(stage, manifest, staged, params_sha256=state.params_sha256)
    elif _portal_outdated(out, manifest, state.params_sha256):
        with Staging(out) as stage:
            _commit(stage, manifest, [], params_sha256=state.params_sha256)
    elapsed = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    if to_run:
        say(f"{len(results) - len(failed)} rapport(s) construit(s), {len(failed)} échec(s), "
            f"{len(skipped)} à jour, en {elapsed:.1f} s")
    else:
        say(f"Rien à reconstruire : les {len(skipped)} rapport(s) demandés sont à jour ({elapsed:.1f} s)")
    return BuildSummary(results, out / "index.html", out / MANIFEST, skipped=skipped, reasons=reasons,
                        elapsed_s=elapsed, template=template_stats)


def _resolve_periods(periods: Iterable[str] | None, data_path: Path, marker: dict | None) -> list[str]:
    out = []
    for p in periods or ["latest"]:
        if p in (None, "", "latest"):
            if marker and marker.get("periods"):
                out.append(marker["periods"][-1])
            else:
                from .data import Data

                out.append(Data(data_path).resolve_period(p))
        elif re.fullmatch(r"(\d{4})-(\d{4})", str(p).strip()) and int(p[5:9]) == int(p[:4]) + 1:
            out.append(str(p).strip())
        else:
            from .periods import Period

            out.append(Period.parse(p).label)
    return out


def _say_plan(say, todo: list[Job], to_run: list[Job], reasons: dict[str, list[str]], periods: list[str],
              data_path: Path) -> None:
    say(f"{len(todo)} rapport(s) demandé(s) ({', '.join(periods)}), données : {data_path} — "
        f"{len(to_run)} à construire, {len(todo) - len(to_run)} à jour")
    groups: dict[str, list[Job]] = {}
    for j in to_run:
        groups.setdefault(" ; ".join(reasons[j.key]), []).append(j)
    for why, jobs in groups.items():
        names = ", ".join(_job_label(j) for j in jobs[:8]) + (f" et {len(jobs) - 8} autre(s)" if len(jobs) > 8 else "")
        say(f"  {len(jobs)} à reconstruire — {why} : {names}")


def _say_encodings(say, files: set[Path], data_path: Path, shown: int = 10) -> None:
    """One warning per Windows-1252 input file of the reports asked for (they read it:
    see :mod:`.charsets`), as ``drane validate`` words it; beyond ``shown``, a count."""
    from .charsets import CP1252, CP1252_EXPECTED, CP1252_FOUND

    names = sorted(f.relative_to(data_path).as_posix() if f.is_relative_to(data_path) else str(f) for f in files)
    for name in names[:shown]:
        say(f"avertissement — {name} : attendu {CP1252_EXPECTED}, trouvé « {CP1252_FOUND} »")
    if len(names) > shown:
        say(f"avertissement — et {len(names) - shown} autre(s) fichier(s) en {CP1252} (« drane validate » les liste)")


def _job_label(j: Job) -> str:
    what = "synthèse" if j.target == SYNTHESIS_ID else f"cible {j.target}"
    return f"{what} {j.academy} {j.period}"


def _run_local(todo: list[Job], data_path: Path, out: Path, workers: int,
               say: Callable[[str], None]) -> tuple[list[JobResult], dict]:
    """Run the jobs on this machine: one warm template, ``workers`` worker processes
    (writing into ``out``, the build's staging folder). The template and the workers die
    with this process, even when it is killed."""
    from . import runner

    template = None
    if os.environ.get("DRANE_WARM", "").lower() not in ("off", "0", "no") and runner.fork_available():
        from .warm import Template

        template = Template(data_path, die_with_parent=True)
    socket_path = template.socket_path if template else None
    results: list[JobResult] = []
    stats: dict = {}
    try:
        if workers == 1:
            runner.init_worker(socket_path)
            try:
                with _reports_bar(len(todo)) as bar:
                    for k, job in enumerate(todo, 1):
                        res = run_job(job, str(data_path), str(out))
                        results.append(res)
                        bar.update()
                        say(_progress_line(k, len(todo), res))
            finally:
                runner.init_worker(None)
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                     initializer=runner.init_worker, initargs=(socket_path, os.getpid())) as pool, \
                    _reports_bar(len(todo)) as bar:
                futures = {pool.submit(run_job, job, str(data_path), str(out)): job for job in todo}
                for k, fut in enumerate(as_completed(futures), 1):
                    res = fut.result()
                    results.append(res)
                    bar.update()
                    say(_progress_line(k, len(todo), res))
        if template is not None:
            try:
                stats = template.stats()
            except Exception:  # noqa: BLE001 - figures only
                stats = {}
    finally:
        if template is not None:
            template.close()
    return results, stats


#: What to do when ``--scheduler`` is asked for without the [cluster] extra.
NO_DISTRIBUTED = ("--scheduler demande le paquet « distributed », absent de cet environnement : installez "
                  "l'extra [cluster] du projet (depuis son dossier : « .venv/bin/pip install -e '.[cluster]' », "
                  "ou « make env », qui installe tous les extras)")


def require_distributed() -> None:
    """Raise :class:`BuildError` (a French message saying how to install it) without Dask distributed."""
    if importlib.util.find_spec("distributed") is None:
        raise BuildError(NO_DISTRIBUTED)


def _run_distributed(todo: list[Job], data_path: Path, out: Path, scheduler: str,
                     say: Callable[[str], None]) -> list[JobResult]:
    """Run the jobs on a Dask distributed cluster (its workers share the data and output folders)."""
    require_distributed()
    from distributed import Client, as_completed

    from .runner import run_job_distributed

    try:
        client = Client(scheduler, timeout="30s")
    except OSError as exc:
        raise BuildError(f"ordonnanceur Dask injoignable à {scheduler} : {exc}") from None
    results: list[JobResult] = []
    try:
        futures = [client.submit(run_job_distributed, job, str(data_path), str(out), pure=False,
                                 key=f"drane-{job.key.replace('|', '-')}-{os.getpid()}-{k}")
                   for k, job in enumerate(todo)]
        with _reports_bar(len(todo)) as bar:
            for k, fut in enumerate(as_completed(futures), 1):
                res = fut.result()
                results.append(res)
                bar.update()
                say(_progress_line(k, len(todo), res))
    finally:
        client.close()
    return results


def _reports_bar(n: int):
    """The live bar under the progress lines, on a terminal (:mod:`.progress`)."""
    from . import progress

    return progress.bar(n, "Rapports", "rapports", tick=True)


def _progress_line(k: int, n: int, res: JobResult) -> str:
    j = res.job
    state = "ok" if res.ok else "ÉCHEC"
    line = f"[{k}/{n}] cible {j.target} {j.academy:<9} {j.period} … {state} ({res.duration_s:.1f} s)"
    if not res.ok:
        # A data problem's first lines name the file, the line and the column: show them.
        line += "".join("\n      " + text[:300] for text in res.message.splitlines()[:6])
    return line


def _staged_digests(stage: Path, results: list[JobResult]) -> dict[str, tuple[str, str]]:
    """job key → SHA-256 of the report's HTML and executed notebook, as staged (whole files only)."""
    out = {}
    for res in results:
        if not res.ok:
            continue
        try:
            html = (stage / res.job.html).read_bytes()
            nb = (stage / res.job.ipynb).read_bytes()
        except OSError:
            continue
        if html.rstrip().endswith(b"</html>"):
            out[res.job.key] = (hashlib.sha256(html).hexdigest(), hashlib.sha256(nb).hexdigest())
    return out


def _lost(res: JobResult, stage: Path) -> JobResult:
    """A report that its worker said it wrote, but that the staging folder does not hold whole."""
    from dataclasses import replace

    return replace(res, ok=False, message=f"rapport introuvable ou incomplet dans le dossier de préparation {stage} "
                                          "(dossier de sortie non partagé avec les workers ?) ; le rapport précédent "
                                          "reste en place")


def _update_manifest(manifest: dict, out: Path, data_path: Path, results: list[JobResult],
                     fps: dict[str, Fingerprint], reasons: dict[str, list[str]], state: BuildState,
                     digests: dict[str, tuple[str, str]]) -> dict:
    """The new manifest (written by the commit): this build's entries over the previous ones."""
    manifest = json.loads(json.dumps(manifest))  # a copy: the previous one stays as it was until the commit
    manifest.setdefault("reports", {})
    for res in results:
        j = res.job
        fp = fps[j.key]
        previous = manifest["reports"].get(j.key, {})
        inputs = dict(fp.inputs)
        extra = set(res.sources_read) - set(inputs)
        if extra:  # read by the kernel, neither declared nor read last time
            inputs.update(source_digests(extra, data_path, state.hashes, state.file_specs(), state.digests))
        entry = {
            "target": j.target, "slug": j.slug, "title": j.title, "academy": j.academy, "period": j.period,
            "status": "ok" if res.ok else "failed",
            "message": res.message,
            "duration_s": round(res.duration_s, 2),
            "cells_s": round(res.cells_s, 2),
            "attempted_at": res.built_at,
            "notebook": Path(j.notebook).relative_to(project_root()).as_posix()
            if Path(j.notebook).is_relative_to(project_root()) else j.notebook,
            "notebook_sha256": fp.notebook_sha256,
            "parameters": fp.parameters,
            "parameters_sha256": fp.parameters_sha256,
            "inputs": inputs,
            "sources_read": sorted(res.sources_read),
            "rebuilt_because": reasons.get(j.key, []),
            **fp.common,
        }
        if res.ok:
            html_sha256, ipynb_sha256 = digests[j.key]
            entry.update({"html": j.html, "executed_notebook": j.ipynb, "built_at": res.built_at,
                          "headline": res.headline, "html_sha256": html_sha256,
                          "executed_notebook_sha256": ipynb_sha256})
        else:
            # The previous good report stays in place and in the index.
            for k in ("html", "executed_notebook", "built_at", "headline", "html_sha256", "executed_notebook_sha256"):
                if previous.get(k) and (out / previous.get("html", "")).is_file():
                    entry[k] = previous[k]
        manifest["reports"][j.key] = entry
    manifest["generated_at"] = now_iso()
    manifest["generator"] = f"drane-analysis {__version__}"
    return manifest


def portal_digest(params_sha256: str) -> str:
    """Digest of what the index and the exports are made from, besides the reports."""
    h = hashlib.sha256(params_sha256.encode())
    root = Path(__file__).parent
    for p in [*sorted(root.glob("*.py")), *sorted((root / "templates").rglob("*"))]:
        if p.is_file() and (p.parent != root or not _is_report_code(p.name) or p.name == "report.py"):
            h.update(p.name.encode() + b"\n" + p.read_bytes())
    return h.hexdigest()


def _portal_outdated(out: Path, manifest: dict, params_sha256: str) -> bool:
    """Whether the index and the exports must be rewritten though no report was rebuilt:
    the index is missing, or their code or ``params/`` changed since they were written."""
    from .runner import INDEX

    return not (out / INDEX).is_file() or manifest.get("portal_sha256") != portal_digest(params_sha256)


def _commit(stage: Staging, manifest: dict, reports: list[str], params_sha256: str) -> None:
    """Stage the manifest, the exports and the index, then publish them with the staged
    ``reports`` as a new generation, in one switch (:meth:`.publish.Staging.commit`).

    Raises :class:`~.publish.PublishError` when the output folder cannot be written (a full
    disk): nothing was published then.
    """
    from .exports import write_exports
    from .portal import write_index
    from .runner import INDEX

    manifest["portal_sha256"] = portal_digest(params_sha256)
    try:
        atomic_write(stage.path / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        exports = [p.relative_to(stage.path).as_posix() for p in write_exports(stage.path, manifest)]
        write_index(stage.path, manifest)
    except OSError as exc:
        raise PublishError(f"écriture impossible dans {stage.out}{publish.disk_hint(exc)} : {exc.strerror or exc} ; "
                           "construction abandonnée avant publication : les rapports, l'index et le manifeste "
                           "précédents sont intacts") from exc
    stage.commit([*reports, MANIFEST, *exports, INDEX])


# --------------------------------------------------------------------------- index


def main_guard() -> None:  # pragma: no cover - for `python -m drane_analysis.build`
    sys.exit(build().exit_code)
