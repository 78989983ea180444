"""Deterministic demo data in the real export formats.

``drane demo-data --out DIR [--seed N]`` writes, for school years 2020-2021 to 2025-2026,
one set of files per source the thirteen targets need, in the format each comes in (see
``docs/sources.md``). Same seed, byte-identical files.

Each module of this package but :mod:`.world` and :mod:`.formats` writes one family of
sources with a function ``write(world, out) -> list[Path]``; :func:`generate` runs them
all, in the order of their module names. The effects injected for the analyses to find
are listed in ``docs/demo-data.md`` with their sizes (set in ``params/demo/``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import multiprocessing
import os
import pkgutil
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import EXIT_USAGE, DraneError
from ..paths import DEMO_MARKER
from .world import DEFAULT_SEED, World, build_world

MARKER = DEMO_MARKER  # the name its readers know it by (paths.DEMO_MARKER: the data need not import the generator)
GENERATOR_VERSION = 1


class DemoDataError(DraneError):
    """The output folder cannot receive demo data."""

    exit_code = EXIT_USAGE


def writers() -> list[tuple[str, Callable[[World, Path], list[Path]]]]:
    """Every source writer, sorted by module name."""
    out = []
    for mod in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if mod.name in ("world", "formats") or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        if hasattr(module, "write"):
            out.append((mod.name, module.write))
    return out


def is_demo_folder(path: Path) -> bool:
    return (Path(path) / MARKER).is_file()


SCALES = ("regional", "national")


def generate(out: Path, seed: int = DEFAULT_SEED, *, only: list[str] | None = None,
             progress: Callable[[str], None] | None = None, scale: str = "regional",
             jobs: int | None = None) -> list[Path]:
    """Write the demo data into ``out`` and return the files written.

    The writers run in ``jobs`` processes (default: as many as cores) forked from this one,
    where the platform forks: each draws from a generator of its own (``World.rng(name)``),
    so the files are the same bytes whatever the number of processes (tested).
    The files are written into a temporary sibling folder, which then replaces ``out``;
    an existing ``out`` is replaced only if it is empty or holds demo data already (a
    folder of real exports is never touched). ``scale="national"`` adds the rest of the
    country to the national open datasets (see :mod:`.national`); the region's rows are
    the same at both scales.
    """
    if scale not in SCALES:
        raise DemoDataError(f"échelle inconnue « {scale} » : attendu {' ou '.join(SCALES)}")
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()) and not is_demo_folder(out):
        raise DemoDataError(
            f"{out} contient déjà des fichiers qui ne sont pas des données de démonstration : "
            "choisissez un dossier vide (les données réelles ne sont jamais écrasées)"
        )
    tmp = out.with_name(f".{out.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    say = progress or (lambda _msg: None)
    say("région fictive (communes, établissements, effectifs, IPS)…")
    world = build_world(seed)
    _write_all(world, tmp, {name: write for name, write in writers() if not only or name in only}, say,
               jobs or os.cpu_count() or 1)
    if scale == "national":
        from . import national

        say("reste du pays (annuaire, IPS, effectifs, spécialités)…")
        national.extend(tmp)
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    marker = {
        "generator": "drane-analysis demo data",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "periods": world.periods,
        "files": {p.relative_to(tmp).as_posix(): _sha256(p) for p in files},
    }
    if scale != "regional":
        marker["scale"] = scale
    (tmp / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                              encoding="utf-8")
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old)
    else:
        tmp.rename(out)
    return [out / p.relative_to(tmp) for p in files]


#: What the forked writers work on (set by the parent before it forks): world, folder, writers.
_FORKED: tuple[World, Path, dict[str, Callable[[World, Path], list[Path]]]] | None = None


def _write_all(world: World, tmp: Path, chosen: dict[str, Callable[[World, Path], list[Path]]],
               say: Callable[[str], None], jobs: int) -> None:
    """Run the ``chosen`` writers into ``tmp``: one after the other, or in ``jobs`` forked
    processes (each writer's files are its own; an error in one is raised here)."""
    global _FORKED
    if jobs < 2 or len(chosen) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for name, write in chosen.items():
            say(f"{name}…")
            write(world, tmp)
        return
    _FORKED = (world, tmp, chosen)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(chosen))) as pool:
            for name in pool.imap_unordered(_write_forked, list(chosen)):
                say(f"{name} ✓")
    finally:
        _FORKED = None


def _write_forked(name: str) -> str:
    world, tmp, chosen = _FORKED
    chosen[name](world, tmp)
    return name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["DEFAULT_SEED", "MARKER", "DemoDataError", "World", "build_world", "generate", "is_demo_folder"]
