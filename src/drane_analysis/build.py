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
import html
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from . import __version__, referential
from .catalogue import Target, load_catalogue
from .paths import notebooks_dir, params_dir, project_root, resolve_data_dir
from .periods import Period

EXIT_OK = 0
EXIT_REPORT_FAILED = 1
EXIT_USAGE = 2
MANIFEST = "manifest.json"
INDEX = "index.html"
SIDECAR_ENV = "DRANE_REPORT_SIDECAR"
TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"
PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib", "papermill", "nbconvert",
            "nbclient", "pandera", "pyarrow")


@dataclass(frozen=True)
class Job:
    """One report to build."""

    target: str
    slug: str
    title: str
    academy: str
    period: str
    notebook: str  # absolute path

    @property
    def folder(self) -> str:
        return f"{self.period}/{self.target}-{self.slug}"

    @property
    def html(self) -> str:
        return f"{self.folder}/{self.academy}.html"

    @property
    def ipynb(self) -> str:
        return f"{self.folder}/{self.academy}.ipynb"

    @property
    def key(self) -> str:
        return f"{self.target}|{self.academy}|{self.period}"


@dataclass
class JobResult:
    job: Job
    ok: bool
    duration_s: float
    message: str = ""
    headline: list[dict] = field(default_factory=list)
    built_at: str = ""


class BuildError(Exception):
    """The build cannot start (bad arguments, no data folder)."""


# --------------------------------------------------------------------------- planning


def available_targets() -> list[Target]:
    """Targets of the catalogue that have a notebook in ``notebooks/``."""
    cat = load_catalogue()
    return [t for t in cat.targets.values() if (notebooks_dir() / t.notebook).is_file()]


def plan(targets: Iterable[str] | None, academies: Iterable[str] | None, periods: Iterable[str]) -> list[Job]:
    """The jobs of a build, in a stable order (target, period, scope)."""
    available = {t.id: t for t in available_targets()}
    chosen = list(targets) if targets else list(available)
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
        t = available[tid]
        for period in periods:
            for scope in scopes:
                jobs.append(Job(t.id, t.slug, t.short_title, scope, period, str(notebooks_dir() / t.notebook)))
    return jobs


# --------------------------------------------------------------------------- running one job


_EXPORTER = None


def _exporter():
    """One HTML exporter per worker process (building one costs ~0.3 s)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="drane", extra_template_basedirs=[str(TEMPLATES)])
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        _EXPORTER = exporter
    return _EXPORTER


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader sees either the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _strip_stderr(nb) -> None:
    """Warnings printed by libraries are not for readers of the report."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def run_job(job: Job, data_dir: str, out_dir: str) -> JobResult:
    """Execute one notebook and export it (runs in a worker process)."""
    import nbformat
    import papermill as pm

    start = time.perf_counter()
    out = Path(out_dir)
    tmp_nb = out / job.folder / f".{job.academy}.{os.getpid()}.running.ipynb"
    sidecar = out / job.folder / f".{job.academy}.{os.getpid()}.headline.json"
    tmp_nb.parent.mkdir(parents=True, exist_ok=True)
    os.environ[SIDECAR_ENV] = str(sidecar)
    try:
        pm.execute_notebook(
            job.notebook, str(tmp_nb),
            parameters={"academy": job.academy, "period": job.period, "data_dir": data_dir},
            kernel_name="python3", progress_bar=False, log_output=False,
            cwd=str(Path(job.notebook).parent), request_save_on_cell_execute=False,
            # The kernel's own start/stop chatter is not the build's business.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
        nb = nbformat.read(tmp_nb, as_version=4)
        _strip_stderr(nb)
        nb.metadata["title"] = (f"Cible {job.target} — {job.title} — "
                                f"{referential.SCOPE_LABELS[job.academy]}, {job.period}")
        body, _ = _exporter().from_notebook_node(nb, resources={"index_href": "../../index.html"})
        atomic_write(out / job.ipynb, nbformat.writes(nb))
        atomic_write(out / job.html, body)
        headline = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else []
        return JobResult(job, True, time.perf_counter() - start, headline=headline, built_at=_now())
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message in the index
        return JobResult(job, False, time.perf_counter() - start, message=_failure_message(exc), built_at=_now())
    finally:
        tmp_nb.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        os.environ.pop(SIDECAR_ENV, None)


def _failure_message(exc: Exception) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename} : {exc.evalue}"
        return text.strip()
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


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


def target_sources(target: Target) -> list[str]:
    """Sources a target's notebook reads: its indicators' sources and the referential ones."""
    base = {"annuaire", "communes", "ips_ecoles", "ips_colleges", "ips_lycees"}
    return sorted(base | {s for i in target.indicators for s in i.sources})


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
    out = Path(out_dir) if out_dir else project_root() / "outputs"
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
    cat = load_catalogue()
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
            "inputs": source_digests(target_sources(cat.target(j.target)), data.dir, digests_cache),
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
    manifest["generated_at"] = _now()
    manifest["generator"] = f"drane-analysis {__version__}"
    atomic_write(out / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return manifest


# --------------------------------------------------------------------------- index


def write_index(out: Path, manifest: dict) -> Path:
    """``OUT/index.html``: every report by target, scope and period, with its statuses."""
    cat = load_catalogue()
    reports = list(manifest.get("reports", {}).values())
    periods = sorted({r["period"] for r in reports}, key=lambda p: Period.parse(p).start, reverse=True)
    scope_order = {s: k for k, s in enumerate(referential.SCOPES)}
    css = (TEMPLATES / "drane" / "report.css").read_text(encoding="utf-8")
    parts = [
        "<!DOCTYPE html>", '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        "<title>Observatoire des usages du numérique éducatif — Nouvelle-Aquitaine</title>",
        f"<style>{css}</style></head><body>",
        '<nav class="topbar" aria-label="Observatoire"><a href="index.html">Observatoire du numérique éducatif '
        "— Nouvelle-Aquitaine</a></nav>",
        '<main id="contenu">',
        "<h1>Observatoire des usages du numérique éducatif</h1>",
        f"<p class=\"summary\">{html.escape(cat.roadmap.get('title', ''))}. Chaque rapport mesure les "
        "indicateurs d'une cible contre ses objectifs, pour une académie ou la région, et une année scolaire.</p>",
    ]
    if any(r.get("demo_data") for r in reports):
        parts.append('<p class="demo-banner" role="note">Rapports construits sur des données de démonstration '
                     "(aucune donnée réelle).</p>")
    failed = [r for r in reports if r["status"] == "failed"]
    if failed:
        parts.append(f'<p class="drane-error" role="alert"><strong>{len(failed)} rapport(s) en échec</strong> lors '
                     "de la dernière construction : voir les lignes signalées ci-dessous.</p>")
    for period in periods:
        parts.append(f"<h2>Année scolaire {period}</h2>")
        in_period = [r for r in reports if r["period"] == period]
        for tid in sorted({r["target"] for r in in_period}, key=lambda t: tuple(int(x) for x in t.split("."))):
            t = cat.targets.get(tid)
            title = t.title if t else tid
            parts.append(f"<h3>Cible {tid} — {html.escape(title)}</h3>")
            rows = []
            for r in sorted((r for r in in_period if r["target"] == tid), key=lambda r: scope_order[r["academy"]]):
                rows.append(_index_row(r))
            parts.append('<table class="drane-table"><thead><tr><th scope="col">Périmètre</th>'
                         '<th scope="col">Indicateurs</th><th scope="col">Rapport</th></tr></thead><tbody>'
                         + "".join(rows) + "</tbody></table>")
    parts.append(f"<p class=\"summary\">Index généré le {datetime.now():%d/%m/%Y à %H:%M}. "
                 f"Détails de chaque construction : <a href=\"{MANIFEST}\">manifest.json</a>.</p>")
    parts.append("</main></body></html>")
    path = out / INDEX
    atomic_write(path, "\n".join(parts))
    return path


def _index_row(r: dict) -> str:
    from .report import status_badge

    cat = load_catalogue()
    scope = html.escape(referential.SCOPE_LABELS.get(r["academy"], r["academy"]))
    counts: dict[str, int] = {}
    for h in r.get("headline") or []:
        counts[h["status"]] = counts.get(h["status"], 0) + 1
    order = sorted(counts, key=lambda s: cat.statuses[s]["order"])
    badges = " ".join(status_badge(s, f"{counts[s]} {cat.status_label(s).lower()}") for s in order) or "—"
    link = "—"
    if r.get("html"):
        built = r.get("built_at", "")[:10]
        link = f'<a href="{html.escape(r["html"])}">Ouvrir le rapport</a> <small>({built})</small>'
    if r["status"] == "failed":
        first = html.escape(r.get("message", "").splitlines()[0] if r.get("message") else "erreur")
        shown = f"rapport précédent du {r['built_at'][:10]} toujours affiché" if r.get("html") else "aucun rapport"
        link = (f'<div class="drane-error"><strong>Échec le {r.get("attempted_at", "")[:10]}</strong> : {first}'
                f"<br><small>{shown}</small></div>") + (f" {link}" if r.get("html") else "")
    return f"<tr><th scope=\"row\">{scope}</th><td>{badges}</td><td>{link}</td></tr>"


def main_guard() -> None:  # pragma: no cover - for `python -m drane_analysis.build`
    sys.exit(build().exit_code)
