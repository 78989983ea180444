"""Run a command as in a terminal: its standard output and error on a pseudo-terminal.

``run_in_terminal([...])`` returns the exit code and everything the command wrote, escape
codes and carriage returns included (what a user's terminal receives), for the tests of
the live progress bars (``drane_analysis.progress``).
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from dataclasses import dataclass


@dataclass
class Terminal:
    returncode: int
    raw: str  # everything written, as the terminal received it

    @property
    def lines(self) -> list[str]:
        """The lines left on screen once the bars are erased: text between line ends whose
        last carriage-return segment is not blank."""
        out = []
        for line in self.raw.replace("\r\n", "\n").split("\n"):
            shown = line.split("\r")[-1].strip()
            if shown:
                out.append(shown)
        return out


def run_in_terminal(args: list[str], timeout: float = 600, columns: int = 120,
                    env: dict[str, str] | None = None) -> Terminal:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environ = {**os.environ, "TERM": "xterm", **(env or {})}
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=environ)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"{args} still running after {timeout} s")
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:  # the command exited and closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        proc.wait(timeout=60)
    return Terminal(proc.returncode, b"".join(chunks).decode("utf-8", errors="replace"))
