"""One loader per data source, each declared once as a :class:`~.base.Contract`.

Use::

    from drane_analysis import sources
    frame = sources.load("pix_certification", data_dir)    # tidy, typed, checked
    results = sources.validate(data_dir)                   # every problem of every file

Each source lives in its own module (``sources/annuaire.py``, ``sources/pix.py``...) which
declares its contract(s) with :func:`register`. Parsed sources are cached as Parquet in
``data/cache/`` (``DRANE_CACHE``: another folder, or ``off``), so a notebook reads thousands
of small exports in a fraction of a second after the first time. What is cached is the
frame :func:`load` returns — tidy, checked, and already cut to the region (national files
leave only the region's rows) — so a cache hit parses, checks and filters nothing. Its key
(:func:`_cache_key`) covers the contract, the path, size and modification time of every
file, the code that reads sources (this package, ``referential``, ``periods``, ``paths``,
``charsets``),
``params/limits.yaml`` and the pandas and pyarrow versions: a change to any of them makes
a new entry (entries unused for an hour next to a newer one are deleted).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..paths import cache_dir, resolve_data_dir
from .base import (
    EXTRACT_MARKER,
    Contract,
    DataError,
    DataWarning,
    Problem,
    ReadResult,
    extract_listing,
    limits,
    read_files,
)

CONTRACTS: dict[str, Contract] = {}


def register(contract: Contract) -> Contract:
    """Declare a source (called at import by each source module)."""
    if contract.name in CONTRACTS and CONTRACTS[contract.name] is not contract:
        raise ValueError(f"source declared twice: {contract.name}")
    CONTRACTS[contract.name] = contract
    return contract


class MissingSourceError(DataError):
    """No file of a source in the data folder."""


def contract(name: str) -> Contract:
    """The declaration of source ``name``."""
    _import_all()
    try:
        return CONTRACTS[name]
    except KeyError:
        known = ", ".join(sorted(CONTRACTS))
        raise KeyError(f"source inconnue « {name} » ; sources connues : {known}") from None


def names() -> list[str]:
    """Every declared source, sorted."""
    _import_all()
    return sorted(CONTRACTS)


def read(name: str, paths: list[Path] | Path, base: Path | None = None) -> ReadResult:
    """Read explicit files as source ``name`` (no cache); see :func:`~.base.read_files`."""
    items = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    return read_files(contract(name), items, base=base)


def load(name: str, data_dir: str | os.PathLike[str] | None = None, *, use_cache: bool = True,
         required: bool = True, academy: str | None = None, file_names: list[str] | None = None,
         key: str | None = None) -> pd.DataFrame:
    """Load source ``name`` from a data folder as a tidy, checked DataFrame.

    Args:
        name: the source's short name (``drane sources`` lists them).
        data_dir: the data folder; empty or None means the default one.
        use_cache: reuse the Parquet cache when the files have not changed.
        required: when False, a missing source gives an empty frame instead of an error.
        academy: keep only the rows of this academy (a source without an ``academy``
            column is returned whole). From the Parquet cache the filter is pushed down to
            pyarrow, which then never converts the other academies' rows to pandas.

    Raises:
        MissingSourceError: no file of the source in the folder.
        DataError: a file breaks the contract; the message lists every problem.
    """
    c = contract(name)
    base = resolve_data_dir(data_dir)
    listing = extract_listing(base)
    if listing is not None:
        return _of_academy(_load_extract(c, base, listing, required), academy)
    names = c.file_names(base) if file_names is None else file_names
    if not names:
        if not required:
            return pd.DataFrame()
        patterns = ", ".join(f"{c.folder}/{p}" for p in c.patterns)
        raise MissingSourceError(
            [Problem(str(base), f"des fichiers {patterns}", found="aucun fichier", source=name)],
            context=f"Source « {c.title} » introuvable dans {base}",
        )
    if key is None:
        key = _cache_key(c, names, base)
    cached = _cache_path(name, key)
    if use_cache and cache_enabled() and cached.exists():
        try:
            return _read_cache(name, cached, academy)
        except Exception:  # a damaged cache entry is rebuilt, never trusted
            cached.unlink(missing_ok=True)
    result = read_files(c, [Path(n) for n in names], base=base)
    if not result.ok:
        raise DataError(result.problems, context=f"Source « {c.title} » ({base / c.folder})")
    for problem in result.problems:  # once per file: the next load of these files hits the cache
        if problem.severity == "warning":
            warnings.warn(problem.format(), DataWarning, stacklevel=2)
    frame = result.frame
    assert frame is not None
    if cache_enabled():
        _write_cache(name, cached, frame)
    return _of_academy(frame, academy)


def fingerprint(name: str, data_dir: str | os.PathLike[str] | None = None,
                file_names: list[str] | None = None) -> str:
    """What a frame read from source ``name`` depends on, as a short hash: the key of its
    cache entry (contract, reading code, every file's path, size and modification time; in a
    partner-lab extract, its Parquet file's), or ``"absent"`` when the folder holds no file
    of it. Costs a listing and a stat per file."""
    c = contract(name)
    base = resolve_data_dir(data_dir)
    listing = extract_listing(base)
    if listing is not None:  # a partner-lab extract: the frame is its Parquet file
        entry = listing.get("sources", {}).get(name)
        if entry is None:
            return "absent"
        st = os.stat(base / entry["parquet"])
        return hashlib.sha256(f"{entry['parquet']}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
    names = c.file_names(base) if file_names is None else file_names
    return _cache_key(c, names, base) if names else "absent"


def _of_academy(frame: pd.DataFrame, academy: str | None) -> pd.DataFrame:
    if academy is None or "academy" not in frame.columns:
        return frame
    return frame[frame["academy"] == academy].reset_index(drop=True)


def _read_cache(name: str, path: Path, academy: str | None) -> pd.DataFrame:
    """A cache entry; only ``academy``'s rows if given, from its own entry (written from
    the whole one the first time: the same rows in the same order)."""
    if academy is None:
        return pd.read_parquet(path)
    part = path.with_name(f"{path.stem}.{academy}.parquet")
    if part.exists():
        try:
            return pd.read_parquet(part)
        except Exception:  # noqa: BLE001 - a damaged entry is rebuilt from the whole one
            part.unlink(missing_ok=True)
    frame = _of_academy(pd.read_parquet(path), academy)
    _write_cache(name, part, frame)
    return frame


def validate(data_dir: str | os.PathLike[str] | None = None,
             only: list[str] | None = None) -> dict[str, ReadResult]:
    """Read every source of a data folder and collect every problem (nothing raised).

    A source with no file gets an empty :class:`ReadResult` (no frame, no problem): which
    sources a folder must hold is the build's question, not the validator's. A source read
    without error is kept in the Parquet cache, as :func:`load` keeps it: the build that
    follows a ``drane validate`` does not read the files again.
    """
    return dict(validate_each(data_dir, only))


def validate_each(data_dir: str | os.PathLike[str] | None = None,
                  only: list[str] | None = None) -> Iterator[tuple[str, ReadResult]]:
    """:func:`validate` one source at a time: each ``(name, result)`` as soon as it is read
    (``drane validate`` prints each source's result as it comes). Unknown names raise
    :class:`KeyError` before any file is read."""
    base = resolve_data_dir(data_dir)
    chosen = [contract(name).name for name in (only or names())]
    listing = extract_listing(base)
    for name in chosen:
        c = contract(name)
        files = c.files(base)
        if listing is not None:  # a partner-lab extract: already checked when it was made
            yield name, (ReadResult(_load_extract(c, base, listing, False), [], files) if files else
                         ReadResult(None, [], []))
            continue
        if not files:
            yield name, ReadResult(None, [], [])
            continue
        result = read_files(c, files, base=base)
        if result.ok and result.frame is not None and cache_enabled():
            cached = _cache_path(name, _cache_key(c, files, base))
            if not cached.exists():
                _write_cache(name, cached, result.frame)
        yield name, result


def _load_extract(c: Contract, base: Path, listing: dict, required: bool) -> pd.DataFrame:
    """A source of a partner-lab extract: its Parquet file, tidy and pseudonymised."""
    entry = listing.get("sources", {}).get(c.name)
    if entry is None:
        if not required:
            return pd.DataFrame()
        raise MissingSourceError(
            [Problem(str(base), f"la source « {c.name} » dans l'extrait", found="absente de l'extrait",
                     source=c.name)],
            context=f"Source « {c.title} » absente de l'extrait {base}",
        )
    return pd.read_parquet(base / entry["parquet"])


# --------------------------------------------------------------------------- cache


def cache_enabled() -> bool:
    """Whether the sources' Parquet cache is on (``DRANE_CACHE=off`` switches it off, and the derived frames' too)."""
    return os.environ.get("DRANE_CACHE", "").lower() not in ("off", "0", "no")


def _cache_key(c: Contract, files: list[str] | list[Path], base: Path) -> str:
    """The cache entry of a read: contract, reading code and settings, then each file's stat.

    A file's content is known by its size and modification time (nanoseconds), as make and
    rsync do: hashing the content would cost a national folder's read time on every load.
    """
    h = hashlib.sha256(c.fingerprint().encode())
    h.update(_code_fingerprint().encode())
    h.update(repr(sorted(limits().items())).encode())
    h.update(str(base).encode())
    prefix = str(base) + os.sep
    for f in files:
        name = str(f)
        st = os.stat(name)
        rel = name[len(prefix):] if name.startswith(prefix) else os.path.relpath(name, base)
        h.update(f"{rel.replace(os.sep, '/')}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


#: The library's code a parsed frame depends on (relative to the package): the readers and
#: contracts (this package) and the modules they use.
_READING_CODE = ("sources", "referential.py", "periods.py", "paths.py", "charsets.py")


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the reading code and of the pandas and pyarrow versions (once per process)."""
    return _hash_code(Path(__file__).resolve().parent.parent)


def _hash_code(package: Path) -> str:
    import pyarrow

    h = hashlib.sha256(f"pandas {pd.__version__} pyarrow {pyarrow.__version__}\n".encode())
    for entry in _READING_CODE:
        path = package / entry
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            h.update(f.relative_to(package).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _cache_path(name: str, key: str) -> Path:
    return cache_dir() / name / f"{key}.parquet"


def _write_cache(name: str, path: Path, frame: pd.DataFrame) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        for old in path.parent.glob("*.parquet"):
            if old != path and old.stat().st_mtime < path.stat().st_mtime - 3600:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk only costs speed


def _import_all() -> None:
    """Import every source module so that its contracts are registered."""
    if getattr(_import_all, "done", False):
        return
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not mod.name.startswith("_") and mod.name != "base":
            importlib.import_module(f"{__name__}.{mod.name}")
    _import_all.done = True  # type: ignore[attr-defined]


def contracts_as_json() -> str:
    """Every contract as JSON (documentation, partner-lab bundles)."""
    _import_all()
    out = {}
    for name, c in sorted(CONTRACTS.items()):
        out[name] = {
            "title": c.title,
            "folder": c.folder,
            "patterns": list(c.patterns),
            "public_format": c.public_format,
            "key": list(c.key),
            "fields": [
                {"name": f.name, "headers": list(f.headers), "kind": f.kind, "unit": f.unit,
                 "required": f.required, "nullable": f.nullable, "personal": f.personal,
                 "description": f.description}
                for f in c.fields
            ],
        }
    return json.dumps(out, ensure_ascii=False, indent=2)


__all__ = [
    "CONTRACTS", "EXTRACT_MARKER", "Contract", "DataError", "DataWarning", "MissingSourceError", "Problem", "ReadResult",
    "extract_listing",
    "contract", "load", "names", "read", "register", "validate", "validate_each",
]
