"""Running one report: papermill in a fresh kernel, then nbconvert to HTML.

:func:`run_job` executes a target notebook for one scope and school year and exports it
with the ``drane`` template (no network request, code hidden); it never raises: a failure
becomes a :class:`JobResult` whose message the index shows. The build gives it its staging
folder as ``out_dir`` (:mod:`.publish`): the report is written there, atomically, and
published by the build's commit only; a failing run (a failing notebook, a full disk)
publishes nothing and never replaces the previous good report.

It runs in a build worker prepared by :func:`init_worker` (papermill, nbconvert and one
HTML exporter imported once per worker): the kernel of each report is forked by the
build's warm template (:mod:`.warm`), a fresh interpreter state with the imports done and
the data folder's frames already loaded; it is stopped at once when the last cell is done.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EXIT_INTERNAL, DraneError
from .fsutil import atomic_write, now_iso

MANIFEST = "manifest.json"
INDEX = "index.html"
SIDECAR_ENV = "DRANE_REPORT_SIDECAR"
TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"
SYNTHESIS_ID = "0"
SYNTHESIS_SLUG = "synthese"
SYNTHESIS_TITLE = "Synthèse de la feuille de route"


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
    cells_s: float = 0.0  # time inside the notebook's cells
    sources_read: list[str] = field(default_factory=list)  # sources the kernel read (data.py)
    pid: int = 0  # the worker process



_EXPORTER = None
# The build worker's connection to its warm template (see :func:`init_worker`).
_TEMPLATE_CLIENT = None
# A worker runs one report at a time (papermill changes the working directory; the
# sidecar paths travel in the environment), even in a multi-threaded Dask worker.
_RUN_LOCK = threading.Lock()
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


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


def init_worker(template_socket: str | None = None, parent_pid: int | None = None) -> None:
    """Prepare a build worker: papermill, nbconvert and the exporter imported once; the
    kernels of its reports forked by the warm template listening on ``template_socket``.

    With ``parent_pid`` (the build's driver), the worker is killed by the system as soon as
    the driver dies, even by ``SIGKILL``: a worker never outlives its build.
    """
    global _TEMPLATE_CLIENT
    if parent_pid is not None:
        from .warm import die_with_parent

        die_with_parent(parent_pid)
    import papermill  # noqa: F401

    _exporter()
    if _TEMPLATE_CLIENT is not None:
        _TEMPLATE_CLIENT.close()
        _TEMPLATE_CLIENT = None
    if template_socket:
        from .warm import TemplateClient

        _TEMPLATE_CLIENT = TemplateClient(template_socket)


def _stable_ids(nb) -> None:
    """papermill gives its injected-parameters cell a random id: a fixed one keeps reports
    byte-identical from one build to the next."""
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"


def _strip_stderr(nb) -> None:
    """Warnings printed by libraries are not for readers of the report."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def _execute(job: Job, data_dir: str, warm) -> object:
    """Run the notebook through papermill's API; the kernel comes from the template if any."""
    import papermill as pm

    kwargs: dict = {}
    if warm is not None:
        from .warm import WarmKernelManager

        WarmKernelManager.template_client = warm
        WarmKernelManager.template_target = job.target
        WarmKernelManager.template_period = job.period
        kwargs["kernel_manager_class"] = WarmKernelManager
    return pm.execute_notebook(
        job.notebook, None,
        parameters={"academy": job.academy, "period": job.period, "data_dir": data_dir},
        kernel_name="python3", progress_bar=False, log_output=False,
        cwd=str(Path(job.notebook).parent), request_save_on_cell_execute=False,
        # The kernel's own start/stop chatter is not the build's business.
        extra_arguments=KERNEL_ARGS,
        # Nothing is left to save when the last cell is done: no graceful shutdown.
        shutdown_kernel="immediate",
        **kwargs,
    )


def cells_seconds(nb) -> float:
    """Time spent inside the notebook's cells (papermill's per-cell durations)."""
    total = 0.0
    for cell in nb.cells:
        d = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(d, (int, float)):
            total += float(d)
    return total


def run_job(job: Job, data_dir: str, out_dir: str) -> JobResult:
    """Execute one notebook and export it (runs in a worker process); never raises."""
    with _RUN_LOCK:
        return _run_job(job, data_dir, out_dir)


def _run_job(job: Job, data_dir: str, out_dir: str) -> JobResult:
    import nbformat

    from . import referential
    from .data import SOURCES_LOG_ENV
    from .warm import TemplateError

    start = time.perf_counter()
    out = Path(out_dir)
    tag = f"{os.getpid()}.{threading.get_ident()}"
    sidecar = out / job.folder / f".{job.academy}.{tag}.headline.json"
    sources_log = out / job.folder / f".{job.academy}.{tag}.sources.txt"
    os.environ[SIDECAR_ENV] = str(sidecar)
    os.environ[SOURCES_LOG_ENV] = str(sources_log)
    try:
        try:
            sidecar.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportWriteError(write_failure_message(exc, out)) from None
        try:
            nb = _execute(job, data_dir, _TEMPLATE_CLIENT)
        except TemplateError:
            # The template is gone (it never stops a build): a kernel of the ordinary kind.
            sources_log.unlink(missing_ok=True)
            nb = _execute(job, data_dir, None)
        cells = cells_seconds(nb)
        _stable_ids(nb)
        _strip_stderr(nb)
        nb.metadata["title"] = (f"Cible {job.target} — {job.title} — "
                                f"{referential.SCOPE_LABELS[job.academy]}, {job.period}")
        body, _ = _exporter().from_notebook_node(nb, resources={"index_href": "../../index.html"})
        try:
            atomic_write(out / job.ipynb, nbformat.writes(nb))
            atomic_write(out / job.html, body)
        except OSError as exc:
            raise ReportWriteError(write_failure_message(exc, out)) from None
        headline = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else []
        return JobResult(job, True, time.perf_counter() - start, headline=headline, built_at=now_iso(),
                         cells_s=cells, sources_read=_read_sources_log(sources_log), pid=os.getpid())
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message in the index
        return JobResult(job, False, time.perf_counter() - start, message=_failure_message(exc),
                         built_at=now_iso(), sources_read=_read_sources_log(sources_log), pid=os.getpid())
    finally:
        sidecar.unlink(missing_ok=True)
        sources_log.unlink(missing_ok=True)
        os.environ.pop(SIDECAR_ENV, None)
        os.environ.pop(SOURCES_LOG_ENV, None)


class ReportWriteError(DraneError):
    """The report could not be written (disk full, quota…): it fails, nothing is published for it."""

    exit_code = EXIT_INTERNAL


def write_failure_message(exc: OSError, folder: Path) -> str:
    """A French message for a failed write (the report fails; the previous one stays)."""
    import errno

    why = ("disque plein, quota ou taille maximale de fichier atteints"
           if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else "écriture refusée")
    folder = Path(folder)
    if folder.parent.name == ".staging":  # the build's staging folder (publish.STAGING): name the output folder
        folder = folder.parent.parent
    return (f"écriture du rapport impossible dans {folder} ({why} : {exc.strerror or exc}) ; "
            "rien n'est publié pour ce rapport, le rapport précédent reste en place")


def _read_sources_log(path: Path) -> list[str]:
    try:
        return sorted({line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()})
    except OSError:
        return []


# --------------------------------------------------------------------------- Dask workers

_DASK_TEMPLATES: dict[str, object] = {}


def run_job_distributed(job: Job, data_dir: str, out_dir: str) -> JobResult:
    """:func:`run_job` on a Dask worker: the worker keeps one warm template per data folder."""
    global _TEMPLATE_CLIENT
    with _RUN_LOCK:
        if os.environ.get("DRANE_WARM", "").lower() not in ("off", "0", "no") and fork_available():
            template = _DASK_TEMPLATES.get(data_dir)
            if template is None or template.proc.poll() is not None:  # type: ignore[attr-defined]
                import atexit

                from .warm import Template

                template = Template(data_dir)
                _DASK_TEMPLATES[data_dir] = template
                atexit.register(template.close)
            if _TEMPLATE_CLIENT is None or _TEMPLATE_CLIENT.sock_path != template.socket_path:  # type: ignore[attr-defined]
                init_worker(template.socket_path)  # type: ignore[attr-defined]
        else:
            init_worker(None)
        return _run_job(job, data_dir, out_dir)


def fork_available() -> bool:
    """Whether this system can fork kernels from a warm template (``os.fork`` and ``os.pidfd_open``)."""
    return hasattr(os, "fork") and hasattr(os, "pidfd_open")


def _failure_message(exc: Exception) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename} : {exc.evalue}"
        return text.strip()
    if isinstance(exc, ReportWriteError):
        return str(exc)
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
