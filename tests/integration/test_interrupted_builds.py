"""Interrupted builds lose nothing; two builds from the same inputs agree (issue 6, items 2 and 5).

Real ``drane build`` processes (target 2.3, Limoges and the region, two workers: a quick
target whose reports draw random permutations) are killed with ``SIGKILL`` after a
complete build:

- shortly after they start, and while their notebooks run (after the first progress
  line): the driver alone — its workers and warm template must die with it — or its whole
  process group;
- during the commit, deterministically: the build runs through a small wrapper (below) that
  replaces ``os.replace`` in the driver by one that kills the process before the third
  staged file is moved into the new generation, just before ``OUT/current`` is switched to
  it, or just after;
- on a "full disk": every file of the build (driver, workers, template, kernels) limited to
  a few kilobytes (``RLIMIT_FSIZE``; writes past it fail with ``EFBIG``, as on a full disk);
- an output folder written before generations (real files) is converted by the next
  build, which is also killed just after the conversion's switch.

After each: what a reader sees through ``OUT/`` (index, manifest, exports, reports) is
exactly the content of one generation — the previous one before the switch, the new one
after — every file whole; the manifest parses and names existing reports with their
recorded SHA-256; the index links to existing files only. Then an ordinary build completes
(exit 0), deleting what the killed build left, and leaves a consistent output folder with
no staging folder and at most two generations.

Reproducibility: two ``--force`` builds from the same inputs give the same indicator table
and the same HTML reports (but the date printed in them), and the manifest records what
rebuilding a report needs (inputs' hashes, parameters, versions, seeds).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import stats
from drane_analysis.demo import DEFAULT_SEED
from drane_analysis.publish import CURRENT, GENERATIONS, STAGING, current_generation, generations

# One worker runs the module (make test): its builds are made once and shared.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("interrupted")]

DRANE = str(Path(sys.executable).with_name("drane"))
ARGS = ["--target", "2.3", "--academy", "limoges", "--academy", "region", "--jobs", "2"]
REPORTS = ("2025-2026/2.3-voie-pro/limoges", "2025-2026/2.3-voie-pro/region")
TIMEOUT = 900

# Test side only: `python wrapper.py build …` is `drane build …` with an injected failure.
WRAPPER = '''
import os, resource, signal, sys

if __name__ == "__main__":  # not in the build's workers (multiprocessing's spawn imports this file)
    fsize = os.environ.pop("DRANE_TEST_FSIZE", "")
    if fsize:  # a "full disk": every file this process and its children write is limited
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize), int(fsize)))
    kill = os.environ.pop("DRANE_TEST_KILL", "")
    if kill:
        from drane_analysis import publish

        out = os.path.realpath(os.environ.pop("DRANE_TEST_OUT"))
        current = os.path.join(out, publish.CURRENT)
        generations = os.path.join(out, publish.GENERATIONS) + os.sep
        real_replace, moved = os.replace, [0]

        def replace(src, dst, *args, **kwargs):
            dst_path = os.path.abspath(os.fspath(dst))  # not realpath: current is a link
            if kill.startswith("assemble:") and dst_path.startswith(generations):
                moved[0] += 1
                if moved[0] >= int(kill.split(":")[1]):
                    os.kill(os.getpid(), signal.SIGKILL)  # the new generation half assembled
            if kill == "before-switch" and dst_path == current:
                os.kill(os.getpid(), signal.SIGKILL)  # the new generation whole, not published
            result = real_replace(src, dst, *args, **kwargs)
            if kill == "after-switch" and dst_path == current:
                os.kill(os.getpid(), signal.SIGKILL)  # published, nothing tidied up
            return result

        os.replace = replace
    from drane_analysis.cli import main

    sys.exit(main())
'''
# Top-level entries of an output folder that readers do not open (publish.OUTSIDE, the lock).
NOT_PUBLISHED = (STAGING, GENERATIONS, CURRENT, "journaux", ".drane-build.lock", "README.md")


@dataclass
class Built:
    out: Path
    files: dict[str, bytes]  # published files (relative path → bytes)
    seconds: float


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, through symbolic links (relative path → bytes)."""
    files = {}
    for dirpath, _, names in os.walk(folder, followlinks=True):
        for name in names:
            path = Path(dirpath) / name
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def _published(out: Path) -> dict[str, bytes]:
    """What a reader of the output folder sees through its paths (``OUT/index.html``,
    ``OUT/2025-2026/…``): reports, notebooks, manifest, index, exports."""
    files = {}
    for top in sorted(out.iterdir()):
        if top.name in NOT_PUBLISHED:
            continue
        if top.is_dir():
            files.update({f"{top.name}/{rel}": data for rel, data in _files(top).items()})
        else:
            files[top.name] = top.read_bytes()
    return files


def assert_one_generation(out: Path) -> dict[str, bytes]:
    """What readers see is exactly the current generation, every user-facing path a
    relative link into it. Returns it."""
    seen = _published(out)
    current = current_generation(out)
    assert current is not None and os.readlink(out / CURRENT) == f"{GENERATIONS}/{current.name}"
    assert seen == _files(current), "readers see a mix of generations"
    for top in out.iterdir():
        if top.name not in NOT_PUBLISHED:
            assert os.readlink(top) == f"{CURRENT}/{top.name}", top.name
    return seen


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _drane(out: Path, data: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([DRANE, "build", "--data", str(data), "--out", str(out), *ARGS, *extra],
                          capture_output=True, text=True, timeout=TIMEOUT)


def _build(out: Path, data: Path, *extra: str) -> Built:
    t0 = time.perf_counter()
    done = _drane(out, data, *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return Built(out, _published(out), time.perf_counter() - t0)


def assert_whole(out: Path) -> dict:
    """Every file a reader can open is whole; the index links to existing files only.
    Returns the manifest."""
    files = _published(out)
    for rel, data in files.items():
        if rel.endswith(".html"):
            assert data.rstrip().endswith(b"</html>"), f"{rel} is cut short"
        elif rel.endswith((".ipynb", ".json")):
            json.loads(data)
    manifest = json.loads(files["manifest.json"])
    index = files["index.html"].decode("utf-8")
    links = [h for h in re.findall(r'href="([^"#]+)"', index) if "://" not in h and not h.startswith("data:")]
    assert links and all((out / h).is_file() for h in links), [h for h in links if not (out / h).is_file()]
    return manifest


def assert_consistent(out: Path) -> None:
    """Whole files, and every manifest entry's report there with its recorded SHA-256."""
    manifest = assert_whole(out)
    assert manifest["reports"]
    for key, entry in manifest["reports"].items():
        html, nb = out / entry["html"], out / entry["executed_notebook"]
        assert _sha256(html.read_bytes()) == entry["html_sha256"], key
        assert _sha256(nb.read_bytes()) == entry["executed_notebook_sha256"], key
        assert f'href="{entry["html"]}"' in (out / "index.html").read_text(encoding="utf-8")


def assert_recovers(out: Path, data: Path) -> str:
    """An ordinary build after a killed one completes and leaves a consistent folder."""
    done = _drane(out, data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (out / STAGING).exists(), "a staging folder is left"
    assert_consistent(out)
    assert_one_generation(out)
    assert 1 <= len(generations(out)) <= 2  # the current one and the previous one
    return done.stdout


# --------------------------------------------------------------------------- processes


def _children() -> dict[int, list[int]]:
    table: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            table.setdefault(ppid, []).append(int(d.name))
    return table


def _descendants(pid: int) -> set[int]:
    table, found, todo = _children(), set(), [pid]
    while todo:
        for child in table.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 20) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    return {p for p in pids if _alive(p)}


def _start(cmd: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env={**os.environ, **(env or {})})


def _wait_for_line(proc: subprocess.Popen, prefix: str, seconds: float = TIMEOUT) -> str:
    """Read the build's output until a line starts with ``prefix``."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith(prefix):
                return "".join(seen)
    raise AssertionError(f"no line {prefix!r} in the build's output:\n{''.join(seen)}")


def _kill(proc: subprocess.Popen, group: bool) -> tuple[set[int], set[int]]:
    """SIGKILL the driver (or its process group); returns its processes (workers, warm
    template, kernels) and those still alive 20 s later."""
    family = _descendants(proc.pid)
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return family, _wait_gone(family)


# --------------------------------------------------------------------------- killed builds


@pytest.fixture(scope="module")
def baseline(two_builds) -> Built:
    """A complete build (the first of the two below, never changed by a test: each works on a
    copy): the previous state every killed build must leave intact."""
    built = two_builds[0]
    assert set(REPORTS) <= {rel.rsplit(".", 1)[0] for rel in built.files}
    assert_consistent(built.out)
    return built


@pytest.fixture
def wrapper(tmp_path) -> Path:
    path = tmp_path / "drane_with_failure.py"
    path.write_text(WRAPPER, encoding="utf-8")
    return path


def _copy(baseline: Built, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(baseline.out, out, symlinks=True)  # relative links: the copy is whole
    assert_one_generation(out)
    assert _published(out) == baseline.files
    return out


@pytest.mark.parametrize("moment, group", [("start", False), ("notebooks", False), ("notebooks", True)],
                         ids=["start-driver", "notebooks-driver", "notebooks-group"])
def test_a_build_killed_before_its_commit_changes_nothing(baseline, demo_dir, tmp_path, moment, group):
    out = _copy(baseline, tmp_path)
    proc = _start([DRANE, "build", "--data", str(demo_dir), "--out", str(out), *ARGS, "--force"])
    if moment == "start":
        time.sleep(1.0)
    else:
        _wait_for_line(proc, "[1/")  # one report done, the other running or done; nothing committed
        assert (out / STAGING).is_dir()
    family, survivors = _kill(proc, group)
    assert len(family) >= 3 or moment == "start"  # two workers and the template at least
    assert not survivors, "workers, template or kernels outlived the killed build"
    assert_consistent(out)
    assert _published(out) == baseline.files, "a killed build changed the output folder"
    said = assert_recovers(out, demo_dir)
    if moment == "notebooks":
        assert "fichiers non publiés supprimés" in said


def _killed(wrapper: Path, out: Path, demo_dir: Path, moment: str, *extra: str) -> None:
    proc = _start([sys.executable, str(wrapper), "build", "--data", str(demo_dir), "--out", str(out), *ARGS,
                   *extra], env={"DRANE_TEST_KILL": moment, "DRANE_TEST_OUT": str(out)})
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["assemble:3", "before-switch"])
def test_a_build_killed_before_its_switch_changes_nothing(baseline, demo_dir, tmp_path, wrapper, moment):
    out = _copy(baseline, tmp_path)
    previous = current_generation(out)
    _killed(wrapper, out, demo_dir, moment, "--force")
    (stage,) = (out / STAGING).iterdir()
    (new,) = [g for g in generations(out) if g != previous]
    assert new.name == stage.name  # the killed build's generation, never switched to
    built = _files(new)
    if moment == "before-switch":  # the new generation whole: every report, the manifest, the index
        assert {f"{r}.html" for r in REPORTS} | {"manifest.json", "index.html"} <= set(built)
        assert json.loads(built["manifest.json"]) != json.loads(baseline.files["manifest.json"])
    assert current_generation(out) == previous
    assert_consistent(out)
    assert assert_one_generation(out) == baseline.files
    said = assert_recovers(out, demo_dir)
    assert f"Construction interrompue {stage.name} : fichiers non publiés supprimés" in said
    assert not new.exists()


def test_a_build_killed_just_after_its_switch_is_published_whole(baseline, demo_dir, tmp_path, wrapper):
    out = _copy(baseline, tmp_path)
    previous = current_generation(out)
    _killed(wrapper, out, demo_dir, "after-switch", "--force")
    (stage,) = (out / STAGING).iterdir()
    assert current_generation(out).name == stage.name
    seen = assert_one_generation(out)
    assert_consistent(out)  # the new manifest, index and reports, all of them
    assert set(seen) == set(baseline.files)
    assert json.loads(seen["manifest.json"])["generated_at"] != json.loads(baseline.files["manifest.json"])[
        "generated_at"]
    assert previous.is_dir()  # kept, untouched
    assert _files(previous) == baseline.files
    said = assert_recovers(out, demo_dir)
    assert f"Construction interrompue {stage.name} après sa publication" in said
    assert "Rien à reconstruire" in said
    assert _published(out) == seen


def _legacy_copy(baseline: Built, tmp_path: Path) -> Path:
    """The baseline as an older build wrote it: real files, no generation."""
    out = tmp_path / "old"
    shutil.copytree(baseline.out, out, ignore=shutil.ignore_patterns(GENERATIONS, CURRENT, STAGING))
    assert not any(p.is_symlink() for p in out.iterdir())
    assert _published(out) == baseline.files
    return out


@pytest.mark.parametrize("killed", [False, True], ids=["converted", "killed-after-conversion-switch"])
def test_an_older_output_folder_is_converted_without_losing_anything(baseline, demo_dir, tmp_path, wrapper,
                                                                    killed):
    out = _legacy_copy(baseline, tmp_path)
    if killed:
        _killed(wrapper, out, demo_dir, "after-switch")
        assert current_generation(out) is not None
        assert _published(out) == baseline.files  # part real, part links: the same files
        assert_consistent(out)
    said = assert_recovers(out, demo_dir)  # nothing to rebuild: the conversion alone
    assert "Dossier de sortie converti" in said and "Rien à reconstruire" in said
    assert _published(out) == baseline.files
    assert (out / "journaux").is_dir() and not (out / "journaux").is_symlink()


# --------------------------------------------------------------------------- full disk, reproducibility


@pytest.fixture(scope="module")
def two_builds(demo_dir, tmp_path_factory) -> tuple[Built, Built]:
    """Two ``--force`` builds from the same inputs, each into a fresh output folder (the first
    is also the killed builds' baseline: the module's tests share one worker)."""
    root = tmp_path_factory.mktemp("reproducible")
    return _build(root / "a", demo_dir, "--force"), _build(root / "b", demo_dir, "--force")


def _without_build_date(html: bytes) -> bytes:
    return re.sub(rb"Rapport produit le \d\d/\d\d/\d{4}", b"Rapport produit le JJ/MM/AAAA", html)


def test_two_builds_from_the_same_inputs_give_the_same_numbers(two_builds):
    a, b = two_builds
    for rel in REPORTS:
        html_a, html_b = a.files[f"{rel}.html"], b.files[f"{rel}.html"]
        assert _without_build_date(html_a) == _without_build_date(html_b), rel
    table_a = pd.read_parquet(a.out / "donnees" / "indicateurs.parquet").drop(columns="built_at")
    table_b = pd.read_parquet(b.out / "donnees" / "indicateurs.parquet").drop(columns="built_at")
    assert len(table_a) >= 4 and table_a["value"].notna().all()
    pd.testing.assert_frame_equal(table_a, table_b)
    reports_a = json.loads(a.files["manifest.json"])["reports"]
    reports_b = json.loads(b.files["manifest.json"])["reports"]
    assert {k: e["headline"] for k, e in reports_a.items()} == {k: e["headline"] for k, e in reports_b.items()}


def test_the_manifest_records_what_rebuilding_a_report_needs(two_builds, demo_dir):
    a, _ = two_builds
    entry = json.loads(a.files["manifest.json"])["reports"]["2.3|limoges|2025-2026"]
    assert entry["parameters"] == {"academy": "limoges", "period": "2025-2026", "data_dir": str(demo_dir)}
    assert entry["notebook"] == "notebooks/2.3-voie-pro.ipynb" and len(entry["notebook_sha256"]) == 64
    assert all(len(v["sha256"]) == 64 and v["files"] > 0 for v in entry["inputs"].values())
    assert {"pratiques_samr", "annuaire"} <= set(entry["inputs"])
    assert {"python", "drane-analysis", "numpy", "pandas", "scipy", "papermill"} <= set(entry["versions"])
    assert entry["random_seed"] == stats.SEED and entry["demo_seed"] == DEFAULT_SEED
    assert len(entry["params_sha256"]) == 64 and len(entry["library_sha256"]) == 64
    assert entry["html_sha256"] == _sha256(a.files[entry["html"]])


def test_a_full_disk_publishes_nothing_and_says_so(two_builds, demo_dir, tmp_path, wrapper):
    a, _ = two_builds
    out = _copy(a, tmp_path)
    limit = len(a.files["manifest.json"]) // 2  # reports and the manifest cannot be written; a log line can
    # The kernels' IPython history goes to a folder of the test (its database cannot grow either).
    env = {**os.environ, "DRANE_TEST_FSIZE": str(limit), "IPYTHONDIR": str(tmp_path / "ipython")}
    done = subprocess.run([sys.executable, str(wrapper), "build", "--data", str(demo_dir), "--out", str(out), *ARGS,
                           "--force"], capture_output=True, text=True, timeout=TIMEOUT, env=env)
    said = done.stdout + done.stderr
    assert done.returncode == 5, said
    assert "Traceback" not in said
    # Each report failed with a clear message; then the commit gave up before publishing anything.
    assert said.count("écriture du rapport impossible") == len(REPORTS), said
    assert "taille maximale de fichier atteints" in said
    assert "construction abandonnée avant publication" in said and "précédents sont intacts" in said
    assert _published(out) == a.files
    assert not (out / STAGING).exists() and generations(out) == [current_generation(out)]
    assert_consistent(out)
    assert_recovers(out, demo_dir)
