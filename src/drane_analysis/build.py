"""Build the observatory: run the target notebooks with papermill, export them to HTML.

``drane build`` runs every (target, scope, school year) asked for — by default every
target that has a notebook, the four scopes and the latest school year — each in a fresh
kernel (papermill's Python API), exports it to a self-contained HTML report with the code
hidden (nbconvert, our ``drane`` template: no network request), then writes
``OUT/index.html`` and ``OUT/manifest.json``.

Layout of the output folder::

    OUT/index.html
    OUT/manifest.json
    OUT/<période>/<cible>-<slug>/<périmètre>.html     the report
    OUT/<période>/<cible>-<slug>/<périmètre>.ipynb    the executed notebook

Every file is written atomically (temporary file, then rename): a reader never sees a half
written report, and a failing notebook never replaces the previous good report of the same
(target, scope, school year) — the index shows the failure and the date of the report
still shown. One failure does not stop the others; the exit code says whether all passed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from . import __version__, referential
from .catalogue import Target, load_catalogue
from .fsutil import atomic_write, now_iso
from .paths import notebooks_dir, params_dir, project_root, resolve_data_dir
from .portal import write_index
from .runner import (
    MANIFEST,
    SYNTHESIS_ID,
    SYNTHESIS_SLUG,
    SYNTHESIS_TITLE,
    Job,
    JobResult,
    run_job,
)

EXIT_OK = 0
EXIT_REPORT_FAILED = 1
EXIT_USAGE = 2
PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "papermill", "nbconvert",
            "nbclient", "pandera", "pyarrow")


class BuildError(Exception):
    """The build cannot start (bad arguments, no data folder)."""


# --------------------------------------------------------------------------- planning


def available_targets() -> list[Target]:
    """Targets of the catalogue that have a notebook in ``notebooks/``."""
    cat = load_catalogue()
    return [t for t in cat.targets.values() if (notebooks_dir() / t.notebook).is_file()]


def synthesis_notebook() -> Path:
    return notebooks_dir() / f"{SYNTHESIS_ID}-{SYNTHESIS_SLUG}.ipynb"


def plan(targets: Iterable[str] | None, academies: Iterable[str] | None, periods: Iterable[str]) -> list[Job]:
    """The jobs of a build, in a stable order (synthesis first, then targets; period; scope).

    ``targets`` may name the synthesis as ``0`` (or ``synthese``); by default it is built
    whenever its notebook exists.
    """
    available = {t.id: (t.slug, t.short_title, t.notebook) for t in available_targets()}
    if synthesis_notebook().is_file():
        available = {SYNTHESIS_ID: (SYNTHESIS_SLUG, SYNTHESIS_TITLE, synthesis_notebook().name), **available}
    chosen = [SYNTHESIS_ID if t == SYNTHESIS_SLUG else t for t in targets] if targets else list(available)
    unknown = [t for t in chosen if t not in available]
    if unknown:
        raise BuildError(f"cible(s) sans notebook : {', '.join(unknown)} ; disponibles : {', '.join(available)}")
    scopes = list(academies) if academies else list(referential.SCOPES)
    for s in scopes:
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


# --------------------------------------------------------------------------- running one job


# --------------------------------------------------------------------------- manifest


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


def source_digests(names: Iterable[str], data_dir: Path, cache: dict | None = None) -> dict[str, dict]:
    """For each source: its number of files and one digest of their names and contents."""
    from . import sources

    cache = {} if cache is None else cache
    out = {}
    for name in sorted(set(names)):
        files = sources.contract(name).files(data_dir)
        h = hashlib.sha256()
        for f in files:
            h.update(f"{f.relative_to(data_dir).as_posix()}:{_file_sha256(f, cache)}\n".encode())
        out[name] = {"files": len(files), "sha256": h.hexdigest()}
    return out


def target_sources(target_id: str) -> list[str]:
    """Sources a notebook reads: its indicators' sources and the referential ones (all for the synthesis)."""
    cat = load_catalogue()
    targets = list(cat.targets.values()) if target_id == SYNTHESIS_ID else [cat.target(target_id)]
    base = {"annuaire", "communes", "ips_ecoles", "ips_colleges", "ips_lycees"}
    return sorted(base | {s for t in targets for i in t.indicators for s in i.sources})


def params_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(params_dir().rglob("*.yaml")):
        h.update(p.relative_to(params_dir()).as_posix().encode() + b"\n" + p.read_bytes())
    return h.hexdigest()


def library_digest() -> str:
    h = hashlib.sha256()
    root = Path(__file__).parent
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".py", ".j2", ".css", ".json"):
            h.update(p.relative_to(root).as_posix().encode() + b"\n" + p.read_bytes())
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


# --------------------------------------------------------------------------- the build


@dataclass
class BuildSummary:
    results: list[JobResult]
    index: Path
    manifest: Path

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return EXIT_REPORT_FAILED if self.failed else EXIT_OK


def build(targets: Iterable[str] | None = None, academies: Iterable[str] | None = None,
          periods: Iterable[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
          out_dir: str | os.PathLike[str] | None = None, jobs: int | None = None,
          say: Callable[[str], None] = print) -> BuildSummary:
    """Build the reports asked for; see the module documentation."""
    from .data import Data

    data_path = resolve_data_dir(data_dir)
    if not data_path.is_dir():
        raise BuildError(f"dossier de données introuvable : {data_path} (lancez « make observatory » ou "
                         "« drane demo-data --out data/demo »)")
    out = (Path(out_dir) if out_dir else project_root() / "outputs").resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = Data(data_path)
    wanted_periods = [data.resolve_period(p) for p in (periods or ["latest"])]
    todo = plan(targets, academies, wanted_periods)
    if not todo:
        raise BuildError("rien à construire")
    workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    say(f"Construction de {len(todo)} rapport(s) ({', '.join(wanted_periods)}) avec {workers} processus, "
        f"données : {data_path}")
    results: list[JobResult] = []
    started = time.perf_counter()
    if workers == 1:
        for k, job in enumerate(todo, 1):
            res = run_job(job, str(data_path), str(out))
            results.append(res)
            say(_progress_line(k, len(todo), res))
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(run_job, job, str(data_path), str(out)): job for job in todo}
            for k, fut in enumerate(as_completed(futures), 1):
                res = fut.result()
                results.append(res)
                say(_progress_line(k, len(todo), res))
    results.sort(key=lambda r: todo.index(r.job))
    manifest = _update_manifest(out, data, results)
    index = write_index(out, manifest)
    elapsed = time.perf_counter() - started
    failed = [r for r in results if not r.ok]
    say(f"{len(results) - len(failed)} rapport(s) construit(s), {len(failed)} échec(s) en {elapsed:.1f} s")
    return BuildSummary(results, index, out / MANIFEST)


def _progress_line(k: int, n: int, res: JobResult) -> str:
    j = res.job
    state = "ok" if res.ok else "ÉCHEC"
    line = f"[{k}/{n}] cible {j.target} {j.academy:<9} {j.period} … {state} ({res.duration_s:.1f} s)"
    if not res.ok:
        line += "\n      " + res.message.splitlines()[0][:300]
    return line


def _update_manifest(out: Path, data, results: list[JobResult]) -> dict:
    manifest = load_manifest(out)
    digests_cache: dict = {}
    common = {
        "params_sha256": params_digest(),
        "library_sha256": library_digest(),
        "versions": versions(),
        "data_dir": str(data.dir),
        "demo_data": bool(data.is_demo),
        "demo_seed": (data.demo_marker or {}).get("seed"),
    }
    for res in results:
        j = res.job
        previous = manifest["reports"].get(j.key, {})
        params = {"academy": j.academy, "period": j.period, "data_dir": str(data.dir)}
        entry = {
            "target": j.target, "slug": j.slug, "title": j.title, "academy": j.academy, "period": j.period,
            "status": "ok" if res.ok else "failed",
            "message": res.message,
            "duration_s": round(res.duration_s, 2),
            "attempted_at": res.built_at,
            "notebook": Path(j.notebook).relative_to(project_root()).as_posix()
            if Path(j.notebook).is_relative_to(project_root()) else j.notebook,
            "notebook_sha256": hashlib.sha256(Path(j.notebook).read_bytes()).hexdigest(),
            "parameters": params,
            "parameters_sha256": hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest(),
            "inputs": source_digests(target_sources(j.target), data.dir, digests_cache),
            **common,
        }
        if res.ok:
            entry.update({"html": j.html, "executed_notebook": j.ipynb, "built_at": res.built_at,
                          "headline": res.headline})
        else:
            # The previous good report stays in place and in the index.
            for k in ("html", "executed_notebook", "built_at", "headline"):
                if previous.get(k) and (out / previous.get("html", "")).is_file():
                    entry[k] = previous[k]
        manifest["reports"][j.key] = entry
    manifest["generated_at"] = now_iso()
    manifest["generator"] = f"drane-analysis {__version__}"
    atomic_write(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return manifest


# --------------------------------------------------------------------------- index


def main_guard() -> None:  # pragma: no cover - for `python -m drane_analysis.build`
    sys.exit(build().exit_code)
