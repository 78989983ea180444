"""Progress of long work: a live bar on a terminal, plain lines everywhere else.

The ``drane`` command calls :func:`enable` when its standard error is a terminal and
``--quiet`` is not given. :func:`bar` then draws a progress bar (tqdm) on standard error,
in French — what is done out of what there is to do, the time elapsed and an estimate of
the time left (from the average pace so far) — and :func:`echo` prints a line above the
bars. Otherwise (a log file, cron, a pipe, a notebook, a report's kernel, the tests) bars
do nothing and :func:`echo` is ``print``: the commands' plain lines are those of a run
without a terminal, one per item, with no escape code.

Used by ``drane build`` (reports), ``drane validate`` (sources), the first read of a
large source (:func:`drane_analysis.sources.base.read_files`) and ``drane
fetch-open-data`` (datasets, bytes). The worker processes that ``drane indicators
--jobs`` forks draw their bars each on its own line, under a lock shared at the fork.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import threading
from typing import IO

#: The stream bars are drawn on when enabled (None: disabled).
_stream: IO[str] | None = None


def enable(stream: IO[str] | None = None) -> bool:
    """Draw bars on ``stream`` (default: standard error) if it is a terminal; return whether
    bars are drawn."""
    global _stream
    stream = stream if stream is not None else sys.stderr
    if not is_terminal(stream):
        _stream = None
        return False
    from tqdm import tqdm

    tqdm.get_lock()  # created now, so that processes forked later share it
    _stream = stream
    return True


def disable() -> None:
    """Draw no bar (the default)."""
    global _stream
    _stream = None


def active() -> bool:
    """Whether bars are drawn in this process."""
    return _stream is not None


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is an interactive terminal that can show a bar."""
    try:
        return bool(stream.isatty()) and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError, OSError):
        return False


def _position() -> int | None:
    """The line of this process's bars: the command's process, under its other bars; a
    pool's worker (``drane indicators --jobs``, forked), a line of its own. Workers are
    numbered in the order the process made them, consecutively for one pool: modulo the
    number of cores (the default number of workers), the workers of a pool no larger get
    distinct lines."""
    identity = multiprocessing.current_process()._identity  # (k,) in a pool's worker, () otherwise
    return (identity[-1] - 1) % (os.cpu_count() or 1) if identity else None


def _columns(stream: IO[str]) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def echo(line: str, file: IO[str] | None = None) -> None:
    """Print ``line`` (to ``file``, default standard output), above the bars if any."""
    file = file if file is not None else sys.stdout
    if _stream is None:
        print(line, file=file, flush=True)
        return
    from tqdm import tqdm

    tqdm.write(line, file=file)
    file.flush()


def duration(seconds: float) -> str:
    """A duration in French: ``8 s``, ``2 min 05 s``, ``1 h 02 min``."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def size(n: float) -> str:
    """A size in French: ``830 o``, ``12,3 ko``, ``45,6 Mo``, ``1,2 Go``."""
    for unit, scale in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".", ",")
    return f"{int(n)} o"


def fields(n: float, total: float | None, elapsed: float, updated: float, unit: str = "",
           in_bytes: bool = False) -> dict[str, str]:
    """The French texts of a bar: ``done`` and ``todo`` (``12/56 rapports``, ``45,6 Mo``),
    ``spent`` (time elapsed) and ``left``: the estimate of the time left, from the average
    pace up to the last update (``updated`` seconds after the start), counting down from
    there while the next units are under way but never below what the units not yet
    started need at that pace; ``terminé`` at the end; a speed when the total is unknown.
    """
    count = size if in_bytes else (lambda x: f"{int(x):,}".replace(",", "\u202f"))
    out = {"done": count(n) + ("" if total else f" {unit}".rstrip()),
           "todo": f"{count(total)} {unit}".rstrip() if total else "",
           "spent": duration(elapsed)}
    if total and n >= total:
        out["left"] = "terminé"
    elif total and n > 0 and updated > 0:
        pace = updated / n  # seconds per unit
        left = max((total - n) * pace - (elapsed - updated), (total - n - (1 if not in_bytes else 0)) * pace, 0.0)
        out["left"] = f"reste ≈ {duration(left)}"
    elif total:
        out["left"] = "estimation en cours"
    else:
        out["left"] = f"{size(n / elapsed)}/s" if in_bytes and elapsed > 0 else ""
    return out


class NullBar:
    """The bar of a process that draws none."""

    def update(self, n: float = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullBar:
        return self

    def __exit__(self, *exc) -> None:
        pass


#: A bar that draws nothing.
NO_BAR = NullBar()


@functools.cache
def _french_tqdm() -> type:
    """tqdm with the French texts of :func:`fields` (``{done}``, ``{todo}``, ``{spent}``,
    ``{left}`` in its format), no monitor thread (processes are forked while bars live),
    and the time of its last update (the estimate counts down from there)."""
    from tqdm import tqdm

    class FrenchTqdm(tqdm):
        monitor_interval = 0
        updated_s = 0.0  # elapsed time at the last update
        units = ("", False)  # the units' name, whether they are bytes

        def update(self, n=1):
            self.updated_s = self._time() - self.start_t
            return super().update(n)

        @property
        def format_dict(self):
            d = super().format_dict
            d.update(fields(d["n"], d["total"], d["elapsed"], self.updated_s, *self.units))
            return d

    return FrenchTqdm


class Bar(NullBar):
    """A live bar (see :func:`bar`)."""

    def __init__(self, total: float | None, desc: str, unit: str, in_bytes: bool, delay: float, leave: bool,
                 tick: bool, counts: bool):
        fmt = ("{desc} {percentage:3.0f} % |{bar}| " + ("{done}/{todo} · " if counts else "") + "{spent} · {left}"
               if total else "{desc} {done} · {spent} · {left}")
        # The terminal's width, followed when it changes; a terminal that tells none gets 100 columns.
        width = {"dynamic_ncols": True} if _columns(_stream) else {"ncols": 100, "nrows": 24}
        # Drawn once its units are known (tqdm draws at once unless delayed).
        self._t = _french_tqdm()(total=total, desc=desc, file=_stream, bar_format=fmt, smoothing=0,
                                 delay=max(delay, 1e-9), leave=leave, mininterval=0.2, ascii=False,
                                 position=_position(), **width)
        self._t.units = (unit, in_bytes)
        if delay <= 0:
            self._t.refresh()
        self._stop = threading.Event()
        self._ticker = None
        if tick:  # the elapsed time and the estimate move between items (long reports)
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self._t.refresh()
            except Exception:  # noqa: BLE001 - a bar never stops the work
                return

    def update(self, n: float = 1) -> None:
        """``n`` more units done."""
        self._t.update(n)

    def describe(self, text: str) -> None:
        """Change the bar's label (what is being done)."""
        self._t.set_description_str(text, refresh=False)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._t.close()

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bar(total: float | None, desc: str, unit: str = "", *, in_bytes: bool = False, delay: float = 0.0,
        leave: bool = False, tick: bool = False, counts: bool = True) -> Bar | NullBar:
    """A progress bar of ``total`` units (None: unknown), labelled ``desc``; a no-op unless
    bars are enabled in this process.

    Args:
        unit: the units' French name, after the counts (``rapports``, ``sources``).
        in_bytes: the units are bytes (shown as ``12,3 Mo``).
        delay: draw the bar only once the work has lasted that many seconds.
        leave: keep the finished bar on screen (otherwise it is erased).
        tick: refresh the times every second, not only when units are done (a thread:
            only in a process that does not fork while the bar lives).
        counts: show the counts (``12/56 rapports``), not only the percentage.
    """
    if _stream is None:
        return NO_BAR
    return Bar(total, desc, unit, in_bytes, delay, leave, tick, counts)
