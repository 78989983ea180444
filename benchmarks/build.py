"""Benchmark of ``drane build``: the naive loop against the project's build, on the same data.

::

    .venv/bin/python benchmarks/build.py [--data DIR] [--period P] [--sample N] [--jobs N]
                                         [--years N] [--national [DIR]] [--keep DIR]

Measures, in one run and on the same demo data (generated into a temporary folder when
``--data`` is not given; its Parquet cache is filled first, outside the timings):

1. **naive loop** — for a sample of the year's reports (``--sample``, spread over the
   notebooks), a ``papermill`` process then a ``jupyter nbconvert`` process per report,
   one report at a time: seconds per report;
2. **full build** of a school year (every notebook × the four scopes; ``--years N`` builds
   the N latest years) with ``--force``: seconds per report, ratio project / naive, peak
   memory of the whole process tree (driver, workers, template, kernels: the sum of their
   proportional set sizes, so that pages shared copy-on-write count once), and the share of
   worker time spent inside notebook cells;
3. **no-op rebuild** — ``drane build`` again, as a user runs it, nothing changed: seconds;
4. with ``--national``: the national-scale demo data (written by ``drane demo-data --scale
   national`` into DIR or a temporary folder): seconds and peak memory (the process tree's)
   to load and compute every indicator of one academy for one year, as a user asks for it
   (``drane indicators --academy limoges``: the targets computed in as many processes as
   cores; timed from outside, start and exit included), from the raw files (cold) then
   from the Parquet cache (``--national-runs`` times, the median shown); then the same in
   one process (``indicator_table(..., jobs=1)``, timed inside a fresh interpreter), with
   its user CPU time and split: imports, reading the sources (``sources.load``), computing.

Targets on 2 cores (README): ratio ≤ 0.15; no-op rebuild < 2 s; cells ≥ 60 % of worker time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- memory


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Samples the proportional set size of a process tree every 0.2 s; keeps the peak."""

    def __init__(self, pid: int | None = None):
        self.pid = pid or os.getpid()
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(_pss_kb(p) for p in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gb(self) -> float:
        return self.peak_kb / 1024 / 1024


# --------------------------------------------------------------------------- steps


def prepare_data(args, work: Path) -> Path:
    if args.data:
        return Path(args.data).resolve()
    from drane_analysis import demo

    out = work / "demo"
    t0 = time.perf_counter()
    demo.generate(out)
    print(f"données de démonstration écrites dans {out} ({time.perf_counter() - t0:.0f} s)")
    return out


def warm_parquet_cache(data: Path) -> float:
    """Fill the Parquet cache of every source (outside the timings: both sides use it)."""
    from drane_analysis import sources

    t0 = time.perf_counter()
    for name in sources.names():
        sources.load(name, data, required=False)
    return time.perf_counter() - t0


def naive_loop(jobs, data: Path, work: Path) -> list[float]:
    """papermill CLI then nbconvert CLI, one report at a time."""
    from drane_analysis.runner import TEMPLATES

    times = []
    for job in jobs:
        nb = work / f"naive-{job.target}-{job.academy}.ipynb"
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "papermill"), job.notebook, str(nb), "-p", "academy", job.academy,
                        "-p", "period", job.period, "-p", "data_dir", str(data), "--cwd",
                        str(Path(job.notebook).parent)], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--template", "drane",
                        f"--TemplateExporter.extra_template_basedirs={TEMPLATES}", "--no-input", "--no-prompt",
                        str(nb)], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
        print(f"  naïf : cible {job.target:<4} {job.academy:<9} {times[-1]:6.1f} s", flush=True)
    return times


def sample_jobs(all_jobs, n: int):
    """``n`` reports spread over the plan (every notebook in turn, scopes varied)."""
    if n >= len(all_jobs):
        return list(all_jobs)
    by_target: dict[str, list] = {}
    for j in all_jobs:
        by_target.setdefault(j.target, []).append(j)
    targets = list(by_target)
    step = len(targets) / n
    chosen = []
    for k in range(n):
        group = by_target[targets[int(k * step)]]
        chosen.append(group[k % len(group)])
    return chosen


def full_build(data: Path, out: Path, periods: list[str], jobs: int | None):
    from drane_analysis.build import build

    with PeakMemory() as mem:
        t0 = time.perf_counter()
        summary = build(periods=periods, data_dir=data, out_dir=out, jobs=jobs, force=True,
                        say=lambda m: print("  " + m, flush=True) if m.startswith(("Construction", "Rien")) else None)
        elapsed = time.perf_counter() - t0
    return summary, elapsed, mem.gb


def noop_rebuild(data: Path, out: Path, periods: list[str]) -> tuple[float, str]:
    cmd = [str(BIN / "drane"), "build", "--data", str(data), "--out", str(out)]
    for p in periods:
        cmd += ["--period", p]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    return elapsed, done.stdout


# Run in a fresh interpreter: imports, reading the sources and computing, timed apart.
NATIONAL_SCRIPT = """\
import json, resource, sys, time
t0 = time.perf_counter()
from drane_analysis import sources
from drane_analysis.data import Data
from drane_analysis.targets import indicator_table
from drane_analysis.targets import modules
sources.names()
modules()
imports = time.perf_counter() - t0
reading = 0.0
real_load = sources.load
def timed_load(*args, **kwargs):
    global reading
    start = time.perf_counter()
    try:
        return real_load(*args, **kwargs)
    finally:
        reading += time.perf_counter() - start
sources.load = timed_load
jobs = int(sys.argv[2])
d = Data(sys.argv[1])
p = d.resolve_period('latest')
t = indicator_table(d, scopes=['limoges'], periods=[p], jobs=jobs)
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"s": wall, "rows": len(t), "jobs": jobs,
                  "user_s": use.ru_utime + kids.ru_utime, "import_s": imports,
                  # sources read in forked processes are not timed here: no split then
                  "read_s": reading if jobs == 1 else None,
                  "compute_s": wall - imports - reading if jobs == 1 else None}))
"""


def national(args, work: Path) -> dict:
    """Load and compute every indicator of one academy and one year from national files.

    As a user asks for it: ``drane indicators --academy limoges`` (the targets computed in
    as many processes as cores), timed from outside, start and exit included; then the same
    computation in one process (``indicator_table(..., jobs=1)``), with its user CPU time and
    its split. Memory is the peak of the whole process tree (proportional set sizes,
    sampled as for the build).
    """
    folder = Path(args.national).resolve() if isinstance(args.national, str) and args.national else work / "national"
    if not (folder / ".drane-demo.json").is_file():
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "drane"), "demo-data", "--scale", "national", "--out", str(folder)], check=True,
                       capture_output=True)
        print(f"données nationales écrites dans {folder} ({time.perf_counter() - t0:.0f} s)")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e9
    env = {**os.environ, "DRANE_CACHE": str(work / "national-cache")}  # empty: the first run is cold
    period = json.loads((folder / ".drane-demo.json").read_text(encoding="utf-8"))["periods"][-1]

    def run(label: str, command: list[str], cli: bool) -> dict:
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        with PeakMemory(proc.pid) as peak:
            out, err = proc.communicate()
        wall = time.perf_counter() - t0
        if proc.returncode:
            print(err[-3000:])
            raise SystemExit(1)
        if cli:  # the CSV table: a header line, then one line per indicator
            m = {"s": wall, "rows": len(out.strip().splitlines()) - 1, "jobs": os.cpu_count() or 1}
        else:
            m = json.loads(out.strip().splitlines()[-1])
        # The sampled peak only: ru_maxrss survives exec on Linux, so a child started from this
        # (large, after the build) process would report this process's size as its own.
        m["gb"] = peak.gb
        split = (f" ; CPU utilisateur {m['user_s']:.1f} s (imports {m['import_s']:.1f} s, lecture des sources "
                 f"{m['read_s']:.1f} s, calcul {m['compute_s']:.1f} s)" if "user_s" in m else "")
        print(f"  national, {label}, {m['jobs']} processus : {m['s']:.2f} s, {m['rows']} indicateurs, mémoire max "
              f"{m['gb']:.2f} Go{split}", flush=True)
        return m

    def median(runs: list[dict]) -> dict:
        return sorted(runs, key=lambda m: m["s"])[len(runs) // 2]

    command = [str(BIN / "drane"), "indicators", "--academy", "limoges", "--period", period, "--data", str(folder),
           "--format", "csv"]
    one = [sys.executable, "-c", NATIONAL_SCRIPT, str(folder), "1"]
    cold = run("froid (fichiers bruts), drane indicators", command, cli=True)
    cached = [run(f"cache Parquet {k + 1}/{args.national_runs}, drane indicators", command, cli=True)
              for k in range(args.national_runs)]
    single = [run(f"cache Parquet {k + 1}/{args.national_runs}, indicator_table", one, cli=False)
              for k in range(args.national_runs)]
    return {"size_gb": round(size, 2), "cold": cold, "cached": median(cached), "cached_runs": cached,
            "cached_1": median(single), "cached_1_runs": single}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="dossier de données (défaut : démo générée dans un dossier temporaire)")
    p.add_argument("--period", action="append", help="année(s) scolaire(s) (défaut : les --years plus récentes)")
    p.add_argument("--years", type=int, default=1, help="nombre d'années construites (défaut : 1)")
    p.add_argument("--sample", type=int, default=6, help="rapports de l'échantillon naïf (défaut : 6)")
    p.add_argument("--jobs", type=int, default=None, help="processus de la construction (défaut : cœurs)")
    p.add_argument("--national", nargs="?", const=True, default=False,
                   help="mesurer aussi le chargement à l'échelle nationale (dossier existant ou temporaire)")
    p.add_argument("--national-runs", type=int, default=3,
                   help="mesures depuis le cache Parquet à l'échelle nationale (défaut : 3, la médiane retenue)")
    p.add_argument("--keep", help="garder les dossiers de travail ici (défaut : dossier temporaire effacé)")
    args = p.parse_args(argv)

    import compileall

    import drane_analysis

    # The library's bytecode, as `make` writes it before every build and test run.
    compileall.compile_dir(str(Path(drane_analysis.__file__).parent), quiet=1)
    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="drane-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["DRANE_CACHE"] = str(work / "cache")  # never the project's data/cache
    try:
        from drane_analysis.build import plan
        from drane_analysis.data import Data

        data = prepare_data(args, work)
        print(f"cache Parquet rempli en {warm_parquet_cache(data):.0f} s (hors mesures)")
        marker = Data(data).demo_marker or {}
        periods = args.period or (marker.get("periods") or [Data(data).resolve_period("latest")])[-args.years:]
        all_jobs = plan(None, None, periods)
        sample = sample_jobs(all_jobs, args.sample)

        print(f"1. boucle naïve (papermill puis nbconvert en ligne de commande), {len(sample)} rapports :")
        naive = naive_loop(sample, data, work)
        naive_per = sum(naive) / len(naive)

        print(f"2. construction complète : {len(all_jobs)} rapports ({', '.join(periods)})")
        out = work / "out"
        summary, elapsed, peak_gb = full_build(data, out, periods, args.jobs)
        n = len(summary.results)
        per = elapsed / n
        worker = sum(r.duration_s for r in summary.results)
        cells = sum(r.cells_s for r in summary.results)
        failed = len(summary.failed)

        print("3. reconstruction sans changement (drane build) :")
        noop_s, noop_out = noop_rebuild(data, out, periods)
        noop_ok = "Rien à reconstruire" in noop_out

        nat = national(args, work) if args.national else None

        t = summary.template
        print()
        print("Résultats")
        print(f"  boucle naïve               {naive_per:7.2f} s par rapport ({len(naive)} rapports)")
        print(f"  construction complète      {per:7.2f} s par rapport ({n} rapports en {elapsed:.0f} s, "
              f"{failed} échec(s))")
        print(f"  ratio projet / naïf        {per / naive_per:7.3f}   (objectif ≤ 0,15)")
        print(f"  mémoire maximale           {peak_gb:7.2f} Go (pilote, workers, modèle, noyaux ; objectif < 4 Go)")
        print(f"  part du temps des workers  {cells / worker:7.1%} dans les cellules (objectif ≥ 60 %)")
        print(f"  reconstruction à vide      {noop_s:7.2f} s {'(rien reconstruit)' if noop_ok else '(A RECONSTRUIT !)'}"
              "   (objectif < 2 s)")
        if t:
            warmed = sum(t.get("warmed", {}).values())
            print(f"  modèle chaud               imports {t.get('import_s', 0):.1f} s, données et séries des cibles "
                  f"{warmed:.1f} s, {t.get('rss_mb', 0):.0f} Mo")
        if nat:
            cold, cached, one = nat["cold"], nat["cached"], nat["cached_1"]
            runs = [m["s"] for m in nat["cached_runs"]]
            print(f"  national ({nat['size_gb']} Go)      drane indicators --academy limoges, une année, "
                  f"{cached['jobs']} processus : {cached['s']:.2f} s ({min(runs):.2f}–{max(runs):.2f} s), "
                  f"{cached['gb']:.2f} Go (cache Parquet, médiane de {len(runs)} ; objectif < 5 s et < 3 Go) ; "
                  f"premier chargement {cold['s']:.1f} s, {cold['gb']:.2f} Go")
            print(f"                             en un seul processus : {one['s']:.2f} s, {one['gb']:.2f} Go ; "
                  f"CPU utilisateur {one['user_s']:.1f} s (imports {one['import_s']:.1f} s, lecture des sources "
                  f"{one['read_s']:.1f} s, calcul des indicateurs {one['compute_s']:.1f} s)")
        result = {"naive_s_per_report": naive_per, "build_s_per_report": per, "ratio": per / naive_per,
                  "peak_gb": peak_gb, "cells_share": cells / worker, "noop_s": noop_s, "reports": n,
                  "failed": failed, "national": nat}
        (work / "benchmark.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        return 0 if failed == 0 and noop_ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
