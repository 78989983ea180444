"""Publishing a build: staged files, a commit journal, renames — what a killed build leaves.

A build never writes a report, the manifest, the index or an export in place. Everything
new goes first to the build's *staging folder* inside the output folder
(``OUT/.staging/<build>/``, same file system: a rename there is atomic), laid out as the
output folder itself. Nothing is published while notebooks run. When every report is
done, the build

1. writes the new manifest, the exports and the index into the staging folder;
2. writes the **commit journal** ``OUT/.staging/<build>/COMMIT.json`` (atomically: it
   exists whole or not at all), the list of the staged files to publish;
3. renames each staged file over its place in the output folder (reports first, then the
   manifest, the exports and the index last);
4. deletes the journal, then the staging folder.

A build killed before step 2 (``SIGKILL``, a full disk, a power cut) leaves the output
folder as it was: the previous reports, index and manifest, consistent; its staging folder
is garbage that the next build deletes. A build killed after step 2 has a complete journal:
the next build first finishes its renames (:func:`recover`, "roll forward": the renames
whose source is still staged), then goes on. Either way the next build starts from a
consistent output folder, and every file there is always whole (one rename, never a
partial write).

The driver holds a lock on its staging folder (``.lock`` inside it) while it lives, so that
:func:`recover` never touches the staging folder of a build that is still running;
processes left over by a killed build (which never get to write a journal) cannot have
their files published.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from datetime import datetime
from pathlib import Path

from .fsutil import atomic_write, now_iso

STAGING = ".staging"
JOURNAL = "COMMIT.json"
LOCK = ".lock"
JOURNAL_VERSION = 1


class PublishError(Exception):
    """The output folder could not be written (disk full, quota, permissions); the message
    says, in French, what the output folder holds now."""


def disk_hint(exc: OSError) -> str:
    import errno

    full = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
    return " (disque plein, quota ou taille maximale de fichier atteints)" if exc.errno in full else ""


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _safe_rel(rel: object) -> str | None:
    """A journal entry, if it is a plain relative path inside the output folder."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == STAGING:
        return None
    return rel


class Staging:
    """The staging folder of one build (``with Staging(out) as stage:``).

    Workers write into :attr:`path` (laid out as the output folder); :meth:`commit`
    publishes the files listed. Leaving the ``with`` block without a commit deletes the
    staging folder: nothing was published.
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        self.id = f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{secrets.token_hex(3)}"
        self.path = self.out / STAGING / self.id
        self.journaled = False
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
        """Write the journal of ``files`` (paths relative to the staging folder), then
        publish them. Raises :class:`PublishError` if the output folder cannot be written."""
        try:
            atomic_write(self.path / JOURNAL, json.dumps(
                {"version": JOURNAL_VERSION, "build": self.id, "written_at": now_iso(), "files": list(files)},
                ensure_ascii=False, indent=1) + "\n")
            _fsync_dir(self.path)
        except OSError as exc:
            raise PublishError(f"écriture impossible dans {self.out}{disk_hint(exc)} : {exc.strerror or exc} ; "
                               "construction abandonnée avant publication : les rapports, l'index et le "
                               "manifeste précédents sont intacts") from exc
        self.journaled = True
        try:
            publish(self.out, self.path)
        except OSError as exc:
            raise PublishError(f"publication interrompue dans {self.out}{disk_hint(exc)} : {exc.strerror or exc} ; "
                               "la prochaine construction la terminera (journal "
                               f"{(self.path / JOURNAL).relative_to(self.out)})") from exc
        self.published = True

    def close(self) -> None:
        if not self.journaled:
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


def publish(out: Path, stage: Path) -> int:
    """Carry out the journal of a staging folder: rename every listed file still staged
    over its place in ``out``, then delete the journal and the staging folder. Safe to
    repeat after an interruption (a file already renamed is no longer staged). Returns how
    many files were renamed."""
    journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
    moved = 0
    parents: set[Path] = set()
    for entry in journal.get("files", []):
        rel = _safe_rel(entry)
        if rel is None:
            continue
        src = stage / rel
        if not src.is_file():
            continue
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        parents.add(dst.parent)
        moved += 1
    for folder in parents:
        _fsync_dir(folder)
    (stage / JOURNAL).unlink()  # all renamed: what is left of the staging folder is garbage
    shutil.rmtree(stage, ignore_errors=True)
    _remove_if_empty(stage.parent)
    return moved


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


def recover(out: Path) -> list[str]:
    """Before a build: finish the commit of an interrupted build, delete abandoned staging
    folders. Returns what was done (French lines for the build's log). Raises
    :class:`PublishError` if a pending commit cannot be finished (the build must not go on:
    its own commit would then be overwritten by the pending one)."""
    root = Path(out) / STAGING
    if not root.is_dir():
        return []
    said = []
    for stage in sorted(root.iterdir()):
        if not stage.is_dir():
            with contextlib.suppress(OSError):
                stage.unlink()
            continue
        if _held(stage):
            continue  # a build still running on this folder (called without the command's lock)
        journal = stage / JOURNAL
        valid = False
        if journal.is_file():
            try:
                valid = isinstance(json.loads(journal.read_text(encoding="utf-8")).get("files"), list)
            except (OSError, ValueError, AttributeError):
                valid = False
        if valid:
            try:
                moved = publish(out, stage)
            except OSError as exc:
                raise PublishError(f"impossible de terminer la publication interrompue de {stage.name} dans "
                                   f"{out}{disk_hint(exc)} : {exc.strerror or exc} ; rien d'autre n'a été fait") from exc
            said.append(f"Construction interrompue {stage.name} : publication terminée ({moved} fichier(s))")
        else:
            shutil.rmtree(stage, ignore_errors=True)
            said.append(f"Construction interrompue {stage.name} : fichiers non publiés supprimés, "
                        "les rapports précédents restent en place")
    _remove_if_empty(root)
    return said
