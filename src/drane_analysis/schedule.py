"""Unattended builds: a lock per output folder, a log file per build, a quiet mode.

``drane build`` runs through :func:`run_logged`, so that it is fit for cron or a systemd
timer:

- **lock**: ``OUT/.drane-build.lock`` is locked (``flock``) for the whole build; a second
  build on the same output folder stops at once with exit code 4 and names the build that
  holds the lock (its process id, start time and command). The lock goes with the process
  that holds it: a build that is killed leaves no stale lock behind.
- **log file**: every build writes ``OUT/journaux/construction-AAAAMMJJ-HHMMSS.log``: the
  command, the data folder, each report's progress line, the failures with their message,
  the summary and the exit code (an unexpected error's traceback too, which the terminal
  never shows).
- **quiet**: with ``--quiet`` nothing is printed when all goes well (cron mails whatever a
  job prints); when something fails, a short French summary and the log's path go to
  standard error.
- **progress**: on a terminal (standard error), and without ``--quiet``, a live bar under
  the progress lines counts the reports built, with the time elapsed and an estimate of
  the time left (:mod:`drane_analysis.progress`); in a log, cron or a pipe, plain lines only.

Exit codes (also in ``drane --help`` and ``docs/guide-analyste.md``):

====  ==========================================================================
0     every report was built
1     at least one report failed (the index shows it; the previous report stays)
2     wrong arguments (unknown target or scope, missing data folder)
3     unusable data (a source is missing or broken: run ``drane validate``)
4     another build is running on the same output folder (nothing was done)
5     unexpected error (the traceback is in the log file), or the output folder cannot
      be written (a full disk): nothing was published, the previous reports stay
====  ==========================================================================
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from . import progress
from .errors import (
    EXIT_DATA,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    DraneError,
)

EXIT_MEANINGS = {
    EXIT_OK: "tous les rapports ont été construits",
    EXIT_FAILED: "au moins un rapport a échoué (l'index le signale, le rapport précédent reste en place)",
    EXIT_USAGE: "arguments invalides (cible ou périmètre inconnu, dossier de données introuvable)",
    EXIT_DATA: "données inutilisables (source absente ou invalide : lancer « drane validate »)",
    EXIT_LOCKED: "une autre construction est en cours sur le même dossier de sortie (rien n'a été fait)",
    EXIT_INTERNAL: "erreur inattendue ou dossier de sortie impossible à écrire (le détail est dans le journal)",
}

LOCK_NAME = ".drane-build.lock"
LOG_DIR = "journaux"


class BuildLocked(DraneError):
    """Another build holds the lock of the output folder."""

    exit_code = EXIT_LOCKED


@contextmanager
def build_lock(out: Path, command: str = "") -> Iterator[Path]:
    """Hold the build lock of an output folder (raise :class:`BuildLocked` if it is taken).

    The lock file keeps the holder's description (process id, host, start time, command),
    read back in the message of a build that finds the lock taken.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole build
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "processus inconnu"
            raise BuildLocked(f"une construction est déjà en cours sur {out} ({holder}) : "
                              "attendez qu'elle se termine, rien n'a été fait") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} sur {socket.gethostname()}, depuis le "
                 f"{datetime.now():%d/%m/%Y à %H:%M:%S}" + (f", commande : {command}" if command else "") + "\n")
        fh.flush()
        yield path
    finally:
        fh.close()  # closing the file releases the lock


def new_log_path(log_dir: Path, when: datetime | None = None) -> Path:
    """A fresh log file name: ``construction-AAAAMMJJ-HHMMSS[-N].log``."""
    when = when or datetime.now()
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    stem = f"construction-{when:%Y%m%d-%H%M%S}"
    path = log_dir / f"{stem}.log"
    k = 1
    while path.exists():
        k += 1
        path = log_dir / f"{stem}-{k}.log"
    return path


class Journal:
    """Where a build's lines go: always the log file; the terminal unless quiet."""

    def __init__(self, log: IO[str], quiet: bool, stdout: IO[str] | None = None, stderr: IO[str] | None = None):
        self.log = log
        self.quiet = quiet
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def say(self, message: str) -> None:
        """A progress line: to the log, and to the terminal unless quiet."""
        stamp = datetime.now().strftime("%H:%M:%S")
        _write(self.log, "".join(f"{stamp} {line}\n" for line in str(message).splitlines() or [""]))
        if not self.quiet:
            progress.echo(str(message), self.stdout)  # above the progress bar, on a terminal

    def error(self, message: str) -> None:
        """A problem: to the log and, even when quiet, to standard error."""
        stamp = datetime.now().strftime("%H:%M:%S")
        _write(self.log, "".join(f"{stamp} ERREUR {line}\n" for line in str(message).splitlines() or [""]))
        progress.echo(f"drane : {message}", self.stderr)


def _write(log: IO[str], text: str) -> None:
    """Write to the log file; a full disk loses log lines, never the build's own message."""
    try:
        log.write(text)
        log.flush()
    except OSError:
        pass


def run_logged(job: Callable[[Journal], int], out: Path, *, quiet: bool = False, log_dir: Path | None = None,
               command: str = "", stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run ``job`` under the output folder's lock, with a log file; return its exit code.

    Args:
        job: the build; it receives the :class:`Journal` and returns an exit code. It may
            raise: the traceback goes to the log and the exit code is 5.
        out: the output folder (its lock; the default log folder ``OUT/journaux``).
        quiet: print nothing unless something fails.
        log_dir: folder of the log files (default ``OUT/journaux``).
        command: the command line, written in the log and the lock file.
    """
    out = Path(out)
    err = stderr or sys.stderr
    try:
        with build_lock(out, command):
            path = new_log_path(log_dir or out / LOG_DIR)
            log = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below, even on a full disk
            try:
                journal = Journal(log, quiet, stdout, stderr)
                _write(log, f"drane-analysis — construction du {datetime.now():%d/%m/%Y à %H:%M:%S}\n"
                            f"commande : {command or '(appel direct)'}\ndossier de sortie : {out.resolve()}\n"
                            f"processus : {os.getpid()} sur {socket.gethostname()}\n\n")
                try:
                    code = job(journal)
                except Exception:  # noqa: BLE001 - an unattended run must end with a code and a log
                    _write(log, traceback.format_exc())
                    journal.error(f"erreur inattendue : voir le journal {path}")
                    code = EXIT_INTERNAL
                _write(log, f"\ncode de sortie : {code} ({EXIT_MEANINGS.get(code, 'inconnu')})\n")
                if code != EXIT_OK:
                    print(f"drane : construction terminée avec le code {code} "
                          f"({EXIT_MEANINGS.get(code, 'inconnu')}) ; journal : {path}", file=err, flush=True)
                elif not quiet:
                    print(f"Journal : {path}", file=stdout or sys.stdout, flush=True)
                return code
            finally:
                with contextlib.suppress(OSError):
                    log.close()
    except BuildLocked as exc:
        print(f"drane : {exc}", file=err, flush=True)
        return exc.exit_code
