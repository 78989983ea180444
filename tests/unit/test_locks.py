"""The two lock files (requirements/, made by ``make lock``) and what the partner-lab bundle ships."""

from __future__ import annotations

import fnmatch
import re
import tomllib

import pytest

from drane_analysis.paths import project_root
from drane_analysis.share import RUNTIME_LOCK, ShareError, bundle_requirements

ROOT = project_root()
DEV_ONLY = {"pytest", "pytest-xdist", "hypothesis", "ruff", "selenium", "pdoc", "uv", "jupyterlab", "distributed"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name → version of every requirement of a lock, checking that each one has hashes."""
    out = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.splitlines()[0]
        if first.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+) \\", first)
        assert m, f"not an exact pin with hashes: {first!r}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), f"{first}: no hash"
        out[_norm(m.group(1))] = m.group(2)
    return out


def _declared(reqs: list[str]) -> set[str]:
    return {_norm(re.match(r"[A-Za-z0-9_.-]+", r).group(0)) for r in reqs}


def test_the_locks_are_pinned_with_hashes_and_agree_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = pins((ROOT / "requirements" / "runtime.txt").read_text(encoding="utf-8"))
    dev = pins((ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8"))
    core = _declared(project["dependencies"])
    extras = project["optional-dependencies"]
    assert core <= set(runtime), f"run make lock: {sorted(core - set(runtime))} missing from runtime.txt"
    wanted_dev = core | _declared(extras["lab"] + extras["cluster"] + extras["dev"]) - {"drane-analysis"}
    assert wanted_dev <= set(dev), f"run make lock: {sorted(wanted_dev - set(dev))} missing from dev.txt"
    assert not DEV_ONLY & set(runtime)  # the core runs without the extras and the test tools
    assert {k: dev[k] for k in runtime} == runtime  # the core has the same versions in both
    assert "faker" not in dev  # the demo data ship their own name lists
    for path in ("runtime.txt", "dev.txt"):
        head = (ROOT / "requirements" / path).read_text(encoding="utf-8").splitlines()[:4]
        assert "Python 3.11" in " ".join(head) and "Linux x86_64" in " ".join(head)


def test_the_pandera_lower_bound_is_the_version_with_pandera_pandas():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(re.fullmatch(r"pandera>=0\.(2[4-9]|[3-9]\d)\S*", d.split("#")[0].strip()) for d in deps)


def test_the_bundle_ships_the_runtime_lock_only_under_a_french_header():
    text = bundle_requirements(ROOT / RUNTIME_LOCK)
    assert text.startswith("# Les paquets nécessaires pour relancer le notebook")
    assert "pip install --require-hashes -r requirements.txt" in text
    assert "make lock" not in text  # the lock's own header (the project's paths) is not copied
    shipped = pins(text)
    assert {"pandas", "papermill", "nbconvert", "ipykernel", "jupyter-client", "ipython", "pandera"} <= set(shipped)
    assert not DEV_ONLY & set(shipped)


def test_a_bundle_without_a_lock_says_so_in_french(tmp_path):
    with pytest.raises(ShareError, match="verrou des dépendances introuvable.*make lock"):
        bundle_requirements(tmp_path / "requirements" / "runtime.txt")


def test_the_package_ships_its_data_files():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    patterns = data["drane_analysis"]
    package = ROOT / "src" / "drane_analysis"
    for needed in ("templates/portal/index.html.j2", "templates/portal/filters.js", "demo/names_fr.json"):
        assert any(fnmatch.fnmatch(needed, p) for p in patterns), f"{needed}: not in the package data"
        assert (package / needed).is_file()
