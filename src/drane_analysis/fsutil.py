"""Files written so that a reader never sees a half-written one."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file so that a reader sees either the old or the new content, never a part.

    The content goes to a temporary file of the same folder, flushed to disk, then renamed
    over the target (an atomic operation on POSIX file systems).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, bytes):
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def now_iso() -> str:
    """The local time, ISO 8601 to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")
