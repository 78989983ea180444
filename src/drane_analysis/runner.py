"""Running one report: papermill in a fresh kernel, then nbconvert to HTML.

:func:`run_job` executes a target notebook for one scope and school year and exports it
with the ``drane`` template (no network request, code hidden); it never raises: a failure
becomes a :class:`JobResult` whose message the index shows. Files are written atomically,
so a failing run never replaces the previous good report.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import referential
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
        return JobResult(job, True, time.perf_counter() - start, headline=headline, built_at=now_iso())
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message in the index
        return JobResult(job, False, time.perf_counter() - start, message=_failure_message(exc), built_at=now_iso())
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
