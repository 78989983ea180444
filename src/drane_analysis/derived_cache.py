"""Costly derived frames kept on disk between processes (``Data.memo(..., persist=True)``).

A few frames take seconds to derive from the large sources and are small once derived —
the establishment panels of the whole region that target 3.3's evaluation needs whatever
the scope asked, the certification counts of target 1.1. Kept next to the sources'
Parquet cache (``DRANE_CACHE``, ``off`` disables both), they are read back in milliseconds
by any later process on the same folder (``drane indicators``, a notebook, the next build).

An entry is found by what the frame was derived from:

* the folder, the academy of a :class:`~.data.Data` of one academy, and the memo's key;
* the library's code (every module of the package), ``params/`` and the pandas, NumPy and
  pyarrow versions;
* the fingerprint (:func:`.sources.fingerprint`: files' paths, sizes, modification times)
  of every source the computation read *or asked about* (``data.has``) — recorded when the
  frame was computed, checked again at every lookup.

Any change to one of them makes a new entry; nothing stale is ever returned. Frames are
stored with :mod:`pickle`, which gives them back exactly (dtypes, ``attrs``); the folder
is the project's own cache, written only by this module. Only DataFrames are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import sources
from .paths import cache_dir, params_dir

if TYPE_CHECKING:
    from .data import Data

FOLDER = "derived"


def enabled(data: Data) -> bool:
    """Whether ``data``'s memos may be kept on disk: a real folder (not a test's inline
    frames, not a partner-lab extract) and the cache not switched off."""
    if data.inline is not None or not sources.cache_enabled():
        return False
    return sources.extract_listing(data.dir) is None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The library's modules, ``params/`` and the versions of the libraries that compute."""
    import numpy
    import pyarrow

    h = hashlib.sha256(f"pandas {pd.__version__} numpy {numpy.__version__} pyarrow {pyarrow.__version__}\n".encode())
    package = Path(__file__).resolve().parent
    roots = [(package, "*.py"), (params_dir(), "*")]
    for root, pattern in roots:
        for f in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _folder(data: Data, key: str) -> Path:
    ident = hashlib.sha256(f"{data.dir}|{data.academy}|{key}".encode()).hexdigest()[:20]
    return cache_dir() / FOLDER / ident


def _entry(folder: Path, names: list[str], data: Data) -> Path:
    h = hashlib.sha256(code_fingerprint().encode())
    for name in sorted(names):
        h.update(f"{name}={data.fingerprint(name)}\n".encode())
    return folder / f"{h.hexdigest()[:24]}.pkl"


def lookup(data: Data, key: str) -> tuple[pd.DataFrame, list[str]] | None:
    """The stored frame of ``key`` and the sources it was derived from, if still valid."""
    if not enabled(data):
        return None
    folder = _folder(data, key)
    try:
        names = json.loads((folder / "sources.json").read_text(encoding="utf-8"))["sources"]
        path = _entry(folder, names, data)
        with open(path, "rb") as fh:
            value = pickle.load(fh)  # noqa: S301 - the project's own cache folder
    except Exception:  # noqa: BLE001 - absent, stale or damaged: computed again
        return None
    return (value, names) if isinstance(value, pd.DataFrame) else None


def store(data: Data, key: str, value: object, names: set[str]) -> None:
    """Keep ``value`` (a DataFrame) for later processes; a full or read-only disk only
    costs speed."""
    if not isinstance(value, pd.DataFrame) or not enabled(data):
        return
    folder = _folder(data, key)
    listed = sorted(names)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = _entry(folder, listed, data)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        meta = folder / "sources.json"
        tmp_meta = meta.with_suffix(f".{os.getpid()}.tmp")
        tmp_meta.write_text(json.dumps({"key": key, "data": str(data.dir), "academy": data.academy,
                                        "sources": listed}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp_meta, meta)
        for old in folder.glob("*.pkl"):  # the previous versions of this frame
            if old != path:
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - unpicklable or unwritable: not kept, nothing else changes
        with contextlib.suppress(OSError):
            for tmp_file in folder.glob(f"*.{os.getpid()}.tmp"):
                tmp_file.unlink()
