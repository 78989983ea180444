"""Every path of the project, derived from its root.

The root is found from this file's location (the package is installed editable from
``src/``), so notebooks and commands work whatever the working directory. The
environment variable ``DRANE_ROOT`` overrides it (a partner lab's bundle, for instance).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

#: The file the demo data generator writes in its folder (school years, files and their
#: sha256): a folder holding it is demo data.
DEMO_MARKER = ".drane-demo.json"


@cache
def project_root() -> Path:
    """Return the project's root folder (the one holding ``params/``)."""
    env = os.environ.get("DRANE_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "params").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    # Installed as a plain package: fall back to the working directory.
    return Path.cwd()


def params_dir() -> Path:
    """Folder of the roadmap catalogue and every parameter (``params/``)."""
    env = os.environ.get("DRANE_PARAMS")
    return Path(env).resolve() if env else project_root() / "params"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def demo_data_dir() -> Path:
    """Where ``make observatory`` writes the demo data."""
    return project_root() / "data" / "demo"


def raw_data_dir() -> Path:
    """Where analysts drop the real exports (never tracked by git)."""
    return project_root() / "data" / "raw"


def cache_dir() -> Path:
    """Parsed-source cache (Parquet), safe to delete."""
    env = os.environ.get("DRANE_CACHE")
    return Path(env).resolve() if env else project_root() / "data" / "cache"


def outputs_dir() -> Path:
    return project_root() / "outputs"


def default_data_dir() -> Path:
    """The data folder used when none is given.

    ``DRANE_DATA`` if set; else ``data/raw`` when it holds any file besides its README
    (real exports win over demo data); else ``data/demo``.
    """
    env = os.environ.get("DRANE_DATA")
    if env:
        return Path(env).resolve()
    raw = raw_data_dir()
    if raw.is_dir() and any(p.name != "README.md" for p in raw.iterdir()):
        return raw
    return demo_data_dir()


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """Resolve a notebook's or command's ``data_dir`` argument (empty means default)."""
    if data_dir is None or str(data_dir).strip() == "":
        return default_data_dir()
    path = Path(data_dir).expanduser()
    if not path.is_absolute():
        # Relative paths are taken from the project root, not the working directory,
        # so the same parameter works from notebooks/ and from the root.
        cwd_candidate = Path.cwd() / path
        path = cwd_candidate if cwd_candidate.exists() else project_root() / path
    return path.resolve()
