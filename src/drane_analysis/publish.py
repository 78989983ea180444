"""Publishing a build: generations and one atomic switch — what a killed build leaves.

The published tree (index, manifest, exports, one folder per school year with the reports)
lives in *generation* folders, ``OUT/.generations/<build>/``, each a complete output folder
as a reader sees it. ``OUT/current`` is a symbolic link to the generation being published
(relative target ``.generations/<build>``), and the paths readers use are fixed relative
links into it::

    OUT/current       -> .generations/<build>
    OUT/index.html    -> current/index.html
    OUT/manifest.json -> current/manifest.json
    OUT/donnees       -> current/donnees
    OUT/2025-2026     -> current/2025-2026           (one per school year)
    OUT/README.md, OUT/journaux/, OUT/.drane-build.lock    real files, outside generations

The links are relative, so that the links of ``index.html`` (``2025-2026/…``,
``donnees/…``) resolve the same from ``file://``, from a static web server (which must
follow symbolic links: nginx does by default, Apache needs ``Options FollowSymLinks``) and
in a copy made with ``cp -a`` or ``rsync -a``.

A build never writes into a generation that a reader can see. Workers write the reports
into the build's *staging folder* (``OUT/.staging/<build>/``, same file system), laid out
as the output folder; nothing is published while notebooks run. When every report is
done, the build stages the new manifest, the exports and the index, then
:meth:`Staging.commit`

1. assembles the new generation ``OUT/.generations/<build>/``: a hard link (a copy where
   the file system refuses links) to every file of the current generation, then the staged
   files moved over them — a report that a failing notebook did not produce keeps the
   previous good one. Files are never rewritten in place, so generations can share inodes;
2. flushes the new generation's folders to disk, and creates the top-level link of each
   of its entries that has none yet (it points into ``current/``: a new school year's link
   dangles until step 3, and no index links to it before then);
3. **switches**: a temporary link to the new generation is renamed over ``OUT/current``
   (``rename(2)``, atomic), then the output folder is flushed. This rename is the only
   commit point: before it, every reader sees the whole previous generation; after it, the
   whole new one — index, manifest and reports always of one and the same build;
4. deletes the older generations (:func:`_prune`) and the staging folder.

A build killed at any moment before step 3 (``SIGKILL``, a power cut) or stopped by a full
disk leaves the previous generation published and untouched; its staging folder and half
assembled generation are garbage that the next build deletes (:func:`recover`). Killed
after step 3, its build is published whole; the next build only tidies up.

**Generations kept.** After a switch the current generation and the previous one are
kept, every older one is deleted. The previous one costs little (it shares the inodes of
every file the build did not rewrite) and it spares a reader that resolved ``current``
just before the switch (a web server in the middle of a request) a file vanishing under
it; it also lets an administrator go back one build by hand
(``ln -sfn .generations/<id> OUT/current``; the next build then deletes the newer one).
"Previous" is the newest generation older than the current one: generation names start
with their build's start time, and builds of one output folder never overlap (the
command's build lock), so generations newer than the current one were left by killed
builds.

The driver holds a lock on its staging folder (``.lock`` inside it) while it lives: its
staging folder and its generation (same name) are never deleted by another build's
:func:`recover` or :func:`_prune`; processes left over by a killed build cannot publish.

**Older output folders.** A folder written before generations (real ``index.html``,
``manifest.json``, ``donnees/`` and school-year folders) is converted by the next build
(:func:`recover`): its files are hard-linked into a first generation, ``current`` is
switched to it, then each real entry is swapped for its link (``renameat2`` with
``RENAME_EXCHANGE`` on Linux, atomic; elsewhere two renames), the same files before and
after, so readers see no change. A commit journal left by an older build
(``.staging/<build>/COMMIT.json``: a commit interrupted between its renames) is then
finished the new way: the files it still lists as staged are published as one more
generation, in one switch (renaming them into place one by one, as older builds did, would
reopen the window of a half-published folder).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path

from .errors import EXIT_INTERNAL, DraneError
from .runner import INDEX, MANIFEST
from .schedule import LOG_DIR

STAGING = ".staging"
GENERATIONS = ".generations"
CURRENT = "current"
LOCK = ".lock"
JOURNAL = "COMMIT.json"  # the commit journal of older builds (renames), still finished by :func:`recover`
EXPORT_DIR = "donnees"  # exports.EXPORT_DIR (not imported: it imports pandas)
PERIOD = re.compile(r"\d{4}-\d{4}")
# Top-level entries of the output folder that never go into a generation.
OUTSIDE = frozenset({STAGING, GENERATIONS, CURRENT, LOG_DIR, "README.md"})
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class PublishError(DraneError):
    """The output folder could not be written (disk full, quota, permissions); the message
    says, in French, what the output folder holds now."""

    exit_code = EXIT_INTERNAL


def disk_hint(exc: OSError) -> str:
    """French words for a full disk, quota or file size limit (empty for other errors)."""
    full = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
    return " (disque plein, quota ou taille maximale de fichier atteints)" if exc.errno in full else ""


def _fsync_dir(path: Path | str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _safe_rel(rel: object) -> str | None:
    """A staged file to publish, if it is a plain relative path inside a generation."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0].startswith(".") or parts[0] in OUTSIDE:
        return None
    return rel


def new_id() -> str:
    """A build's name (its staging folder and its generation): start time first, so that
    names sort as builds started."""
    return f"{datetime.now():%Y%m%d-%H%M%S-%f}-{os.getpid()}-{secrets.token_hex(3)}"


def current_generation(out: Path) -> Path | None:
    """The generation ``OUT/current`` points to (None: no generation published yet)."""
    out = Path(out)
    try:
        target = os.readlink(out / CURRENT)
    except OSError:
        return None
    parts = target.split("/")
    if len(parts) != 2 or parts[0] != GENERATIONS or parts[1] in ("", ".", ".."):
        return None
    gen = out / GENERATIONS / parts[1]
    return gen if gen.is_dir() and not gen.is_symlink() else None


def generations(out: Path) -> list[Path]:
    """Every generation folder of an output folder, oldest first."""
    root = Path(out) / GENERATIONS
    try:
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


class Staging:
    """The staging folder of one build (``with Staging(out) as stage:``).

    Workers write into :attr:`path` (laid out as the output folder); :meth:`commit`
    publishes the files listed as a new generation. Leaving the ``with`` block deletes the
    staging folder, and the new generation if it was not published.
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        self.id = new_id()
        self.path = self.out / STAGING / self.id
        self.generation = self.out / GENERATIONS / self.id
        self.published = False
        try:
            self.path.mkdir(parents=True)
            self._lock = open(self.path / LOCK, "w", encoding="utf-8")  # noqa: SIM115 - held while the build lives
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            raise PublishError(f"impossible de préparer la construction dans {self.out}{disk_hint(exc)} : "
                               f"{exc.strerror or exc} ; rien n'a été modifié") from exc

    def commit(self, files: list[str]) -> None:
        """Publish ``files`` (paths relative to the staging folder) over the current
        generation, in one switch. Raises :class:`PublishError` if the new generation
        cannot be assembled (nothing is published then)."""
        try:
            _publish(self.out, self.path, self.id, self.path, files, move=True)
        except OSError as exc:
            raise PublishError(f"écriture impossible dans {self.out}{disk_hint(exc)} : {exc.strerror or exc} ; "
                               "construction abandonnée avant publication : les rapports, l'index et le "
                               "manifeste précédents sont intacts") from exc
        self.published = True

    def close(self) -> None:
        """Delete the staging folder (and the new generation if it was not published)."""
        if not self.published and current_generation(self.out) != self.generation:
            shutil.rmtree(self.generation, ignore_errors=True)
            _remove_if_empty(self.out / GENERATIONS)
            _drop_dangling_links(self.out)
        shutil.rmtree(self.path, ignore_errors=True)
        _remove_if_empty(self.out / STAGING)
        with contextlib.suppress(OSError):
            self._lock.close()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


# --------------------------------------------------------------------------- links and trees


def _link_file(src: Path | str, dst: Path | str) -> None:
    """``dst`` as a hard link to ``src``, or a copy where the file system (or
    ``protected_hardlinks``, for another user's file) refuses the link."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _link_tree(src: Path, dst: Path, skip: frozenset[str] | set[str] = frozenset()) -> None:
    """``dst`` (created) holding a hard link to every file under ``src`` but the top-level
    names in ``skip``; symbolic links are recreated as such."""
    dst.mkdir(exist_ok=True)
    with os.scandir(src) as it:
        entries = list(it)
    for entry in entries:
        if entry.name in skip:
            continue
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            _link_tree(Path(entry.path), target)
        else:
            _link_file(entry.path, target)


def _fsync_tree(folder: Path) -> None:
    for dirpath, _, _ in os.walk(folder):
        _fsync_dir(dirpath)
    _fsync_dir(folder.parent)


def _tmp_link(work: Path, name: str, target: str) -> Path:
    """A new symbolic link to ``target`` in the build's own folder (renamed into place next)."""
    tmp = work / f".lien-{name}-{secrets.token_hex(4)}"
    os.symlink(target, tmp)
    return tmp


def _set_link(link: Path, target: str, work: Path) -> None:
    """Make ``link`` a symbolic link to ``target`` in one rename (nothing if it is one already).
    Refuses to replace a real file or folder."""
    try:
        if os.readlink(link) == target:
            return
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # a real file or folder: never overwritten
            raise FileExistsError(errno.EEXIST, "existe déjà et n'est pas un lien symbolique", str(link)) from None
        raise
    os.replace(_tmp_link(work, link.name, target), link)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace_by_link(path: Path, target: str, work: Path) -> None:
    """Swap the real file or folder ``path`` for a symbolic link to ``target`` (which holds
    the same files), then delete the real one."""
    tmp = _tmp_link(work, path.name, target)
    if path.is_dir() and not path.is_symlink():
        if _exchange(tmp, path):
            aside = tmp  # the real folder is now where the temporary link was
        else:  # the name is missing between these two renames
            aside = work / f".ancien-{path.name}-{secrets.token_hex(4)}"
            os.rename(path, aside)
            os.replace(tmp, path)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(tmp, path)


# --------------------------------------------------------------------------- publishing


def _publish(out: Path, work: Path, gen_id: str, source: Path, files: list, move: bool) -> int:
    """Assemble generation ``gen_id`` (the current one, with the ``files`` of ``source``
    over it), then switch ``OUT/current`` to it. ``move`` moves the staged files (a build's
    own staging folder), otherwise they are linked (another folder, kept until the switch).
    Returns how many files were placed. Raises OSError before the switch only."""
    gen = out / GENERATIONS / gen_id
    base = current_generation(out)
    gen.mkdir(parents=True)
    if base is not None:
        _link_tree(base, gen)
    placed = 0
    for entry in files:
        rel = _safe_rel(entry)
        if rel is None:
            continue
        src = source / rel
        if not src.is_file():
            continue
        dst = gen / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if move:
            os.replace(src, dst)
        else:
            dst.unlink(missing_ok=True)
            _link_file(src, dst)
        placed += 1
    _fsync_tree(gen)
    names = sorted(os.listdir(gen))
    _switch(out, work, gen_id, names)
    return placed


def _switch(out: Path, work: Path, gen_id: str, names: list[str], skip: frozenset[str] = frozenset()) -> None:
    """The top-level links of ``names`` (but ``skip``), then the commit point: ``OUT/current``
    renamed to point to generation ``gen_id``. Tidies up after (errors then ignored)."""
    for name in names:
        if name not in skip:
            _set_link(out / name, f"{CURRENT}/{name}", work)
    _set_link(out / CURRENT, f"{GENERATIONS}/{gen_id}", work)  # the commit point
    _fsync_dir(out)
    with contextlib.suppress(OSError):
        for entry in os.scandir(out):  # links to what no generation holds any longer
            if entry.is_symlink() and entry.name not in names and entry.name != CURRENT \
                    and os.readlink(entry.path) == f"{CURRENT}/{entry.name}":
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        _prune(out)


def _drop_dangling_links(out: Path) -> None:
    """Delete the top-level links into ``current/`` that lead nowhere (made for a new
    generation that was never switched to)."""
    with contextlib.suppress(OSError), os.scandir(out) as it:
        for entry in it:
            if entry.is_symlink() and entry.name != CURRENT and os.readlink(entry.path) == f"{CURRENT}/{entry.name}" \
                    and not os.path.exists(entry.path):
                os.unlink(entry.path)


def _prune(out: Path) -> list[str]:
    """Delete every generation but the current one, the previous one (the newest older one)
    and those a live build holds. Returns the names deleted."""
    current = current_generation(out)
    gens = [p.name for p in generations(out)]
    keep = set()
    if current is not None:
        keep.add(current.name)
        older = [g for g in gens if g < current.name]
        if older:
            keep.add(older[-1])
    deleted = []
    for name in gens:
        if name in keep or _held(out / STAGING / name):
            continue
        shutil.rmtree(out / GENERATIONS / name, ignore_errors=True)
        deleted.append(name)
    return deleted


def _held(stage: Path) -> bool:
    """Whether a live build holds this staging folder's lock."""
    try:
        fd = os.open(stage / LOCK, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


# --------------------------------------------------------------------------- recovery, older folders


def legacy_entries(out: Path) -> list[str]:
    """Top-level entries of an output folder written before generations: a real (not a
    link) index, manifest, exports folder or school-year folder."""
    found = []
    try:
        with os.scandir(out) as it:
            for entry in it:
                if entry.is_symlink():
                    continue
                if entry.name in (INDEX, MANIFEST, EXPORT_DIR) or (PERIOD.fullmatch(entry.name) and entry.is_dir()):
                    found.append(entry.name)
    except OSError:
        return []
    return sorted(found)


def _migrate(out: Path, stage: Staging, legacy: list[str]) -> None:
    """Put the real entries ``legacy`` into a first generation (hard links: the same files),
    switch to it, then swap each real entry for its link: readers see no change."""
    gen = stage.generation
    base = current_generation(out)
    gen.mkdir(parents=True)
    if base is not None:  # a conversion interrupted earlier: what is still real wins
        _link_tree(base, gen, skip=set(legacy))
    for name in legacy:
        path = out / name
        if path.is_dir():
            _link_tree(path, gen / name)
        else:
            _link_file(path, gen / name)
    _fsync_tree(gen)
    _switch(out, stage.path, stage.id, sorted(os.listdir(gen)), skip=frozenset(legacy))
    stage.published = True
    for name in legacy:
        _replace_by_link(out / name, f"{CURRENT}/{name}", stage.path)
    _fsync_dir(out)


def _journal_files(stage: Path) -> list | None:
    """The files of an older build's commit journal (None: no valid journal)."""
    try:
        files = json.loads((stage / JOURNAL).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    return files if isinstance(files, list) else None


def recover(out: Path) -> list[str]:
    """Before a build: delete what killed builds left (staging folders, unpublished
    generations), convert an output folder written before generations, finish the commit
    journal of an older build. Returns what was done (French lines for the build's log).
    Raises :class:`PublishError` if the folder cannot be converted or a pending commit
    cannot be finished (the build must not go on)."""
    out = Path(out)
    said = []
    pending = []
    root = out / STAGING
    running = False
    if root.is_dir():
        for stage in sorted(root.iterdir()):
            if not stage.is_dir() or stage.is_symlink():
                with contextlib.suppress(OSError):
                    stage.unlink()
                continue
            if _held(stage):
                running = True  # a build still running on this folder (called without the command's lock)
                continue
            if (stage / JOURNAL).exists() and _journal_files(stage) is not None:
                pending.append(stage)
                continue
            published = current_generation(out) == out / GENERATIONS / stage.name
            shutil.rmtree(stage, ignore_errors=True)
            if published:
                said.append(f"Construction interrompue {stage.name} après sa publication : "
                            "dossier de préparation supprimé")
            else:
                shutil.rmtree(out / GENERATIONS / stage.name, ignore_errors=True)
                said.append(f"Construction interrompue {stage.name} : fichiers non publiés supprimés, "
                            "les rapports précédents restent en place")
    legacy = legacy_entries(out)
    if legacy:
        with Staging(out) as st:
            try:
                _migrate(out, st, legacy)
            except OSError as exc:
                state = ("les rapports publiés restent lisibles et cohérents, la prochaine construction reprendra "
                         "la conversion" if st.published else "rien n'a été modifié")
                raise PublishError(f"impossible de convertir le dossier de sortie {out} au format par générations"
                                   f"{disk_hint(exc)} : {exc.strerror or exc} ({exc.filename or ''}) ; "
                                   f"{state}") from exc
        said.append(f"Dossier de sortie converti au format par générations ({', '.join(legacy)} : mêmes fichiers, "
                    "publiés désormais par le lien « current »)")
    for stage in pending:
        with Staging(out) as st:
            try:
                moved = _publish(out, st.path, st.id, stage, _journal_files(stage) or [], move=False)
            except OSError as exc:
                raise PublishError(f"impossible de terminer la publication interrompue de {stage.name} dans "
                                   f"{out}{disk_hint(exc)} : {exc.strerror or exc} ; rien d'autre n'a été fait") from exc
            st.published = True
        shutil.rmtree(stage, ignore_errors=True)
        said.append(f"Construction interrompue {stage.name} : publication terminée ({moved} fichier(s))")
    _prune(out)
    if not running:
        _drop_dangling_links(out)
    _remove_if_empty(root)
    return said
