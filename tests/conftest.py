"""Shared fixtures.

- ``world``: the demo world (built once per test session);
- ``demo_dir``: the full demo data, generated once per session into a temporary folder;
- ``make_demo``: generate only some demo writers into a fresh folder (fast, for one source);
- ``real_samples``: the folder of real open-data extracts; tests using it skip where absent.

Tests sharing a costly module- or session-scoped fixture carry ``xdist_group("<name>")``: under
``make test`` (``--dist loadgroup``) a group runs on one worker, so its fixture is built once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drane_analysis import demo
from drane_analysis.paths import project_root


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):
    """Keep ``--dist loadgroup`` grouping under pytest 9.2.

    pytest-xdist 3.8 tells the scheduler an item's group by appending ``@<group>`` to its
    ``_nodeid``, which pytest 9.2 no longer reads (its node ids are structured): every
    ``xdist_group`` was silently ignored, and the fixtures a group shares were built once per
    worker (pytest-xdist issue 1386). After xdist's own hook, the suffix is put where pytest 9.2
    reads it; an item whose id already has it (older pytest, a fixed xdist) is left alone.
    """
    result = yield
    if getattr(config.option, "loadgroup", False):
        for item in items:
            groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                             for m in item.iter_markers("xdist_group")})
            suffix = "@" + "_".join(groups)
            if groups and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
                item._id = type(item._id).parse(item.nodeid + suffix)
    return result


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the project's data/cache (one cache shared by the run)."""
    cache = tmp_path_factory.getbasetemp().parent / "cache"
    cache.mkdir(exist_ok=True)
    os.environ["DRANE_CACHE"] = str(cache)


@pytest.fixture(scope="session")
def world() -> demo.World:
    return demo.build_world()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo data, generated once for the whole run (shared by xdist workers)."""
    import fcntl

    root = tmp_path_factory.getbasetemp().parent  # common to every worker of one run (and to later runs)
    out = root / f"demo-data-{_demo_fingerprint()}"  # regenerated when the generator changes
    with (root / "demo-data.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not demo.is_demo_folder(out):
            # As a user writes them (`drane demo-data`): its writers forked from a fresh
            # process, as many as cores, not from this test worker (which runs threads).
            import subprocess
            import sys

            done = subprocess.run([str(Path(sys.executable).with_name("drane")), "demo-data", "--out", str(out)],
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, done.stdout + done.stderr
        fcntl.flock(lock, fcntl.LOCK_UN)
    return out


def _demo_fingerprint() -> str:
    """What the demo data depend on: the generator, its parameters and the referential."""
    import hashlib

    from drane_analysis.paths import params_dir

    package = Path(demo.__file__).parent
    files = [*sorted(package.rglob("*.py")), *sorted((params_dir() / "demo").rglob("*.yaml")),
             package.parent / "referential.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture
def make_demo(tmp_path: Path):
    def _make(*writers: str, seed: int = demo.DEFAULT_SEED) -> Path:
        out = tmp_path / "demo"
        demo.generate(out, seed=seed, only=list(writers), jobs=1)
        return out

    return _make


def _real_samples_dir() -> Path:
    env = os.environ.get("DRANE_REAL_SAMPLES")
    return Path(env) if env else project_root().parent / "shared" / "real-samples"


@pytest.fixture(scope="session")
def real_samples() -> Path:
    path = _real_samples_dir()
    if not path.is_dir():
        pytest.skip("real open-data samples absent (../shared/real-samples)")
    return path
