"""Live progress bars on a terminal, plain lines elsewhere (progress.py)."""

from __future__ import annotations

import io
import os
import time

import pytest

from drane_analysis import progress
from drane_analysis.sources.base import read_files
from essai import DETAIL_FIELDS, essai


@pytest.fixture(autouse=True)
def _no_bars_left():
    yield
    progress.disable()


@pytest.fixture
def terminal():
    """A pseudo-terminal: the stream a command would draw on, and what the screen received."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    stream = os.fdopen(slave, "w", encoding="utf-8", buffering=1)

    def screen() -> str:
        stream.flush()
        out = b""
        os.set_blocking(master, False)
        while True:
            try:
                out += os.read(master, 1 << 16)
            except BlockingIOError:
                return out.decode("utf-8", errors="replace")

    yield stream, screen
    stream.close()
    os.close(master)


def test_the_texts_are_french_and_the_estimate_follows_the_pace():
    f = progress.fields(1, 4, 39.0, 39.0, "rapports")
    assert (f["done"], f["todo"], f["spent"], f["left"]) == ("1", "4 rapports", "39 s", "reste ≈ 1 min 57 s")
    # While the next report runs, the estimate counts down, never below the reports not yet started.
    assert progress.fields(1, 4, 49.0, 39.0, "rapports")["left"] == "reste ≈ 1 min 47 s"
    assert progress.fields(1, 4, 200.0, 39.0, "rapports")["left"] == "reste ≈ 1 min 18 s"
    assert progress.fields(0, 4, 10.0, 0.0, "rapports")["left"] == "estimation en cours"
    assert progress.fields(4, 4, 57.0, 57.0, "rapports")["left"] == "terminé"
    assert progress.fields(1200, 5766, 3.0, 3.0, "fichiers")["done"] == "1\u202f200"
    in_bytes = progress.fields(12_300_000, 45_600_000, 10.0, 10.0, in_bytes=True)
    assert (in_bytes["done"], in_bytes["todo"], in_bytes["left"]) == ("12,3 Mo", "45,6 Mo", "reste ≈ 27 s")
    unknown = progress.fields(12_300_000, None, 10.0, 10.0, in_bytes=True)  # no announced size: the speed
    assert (unknown["done"], unknown["left"]) == ("12,3 Mo", "1,2 Mo/s")
    assert [progress.duration(s) for s in (8, 125, 3720)] == ["8 s", "2 min 05 s", "1 h 02 min"]
    assert [progress.size(n) for n in (830, 12_300, 1_200_000_000)] == ["830 o", "12,3 ko", "1,2 Go"]


def test_on_a_terminal_a_live_bar_under_the_lines_erased_at_the_end(terminal):
    stream, screen = terminal
    assert progress.enable(stream)
    with progress.bar(3, "Rapports", "rapports") as bar:
        for k in range(3):
            bar.update()
            progress.echo(f"[{k + 1}/3] cible 1.1 … ok", stream)
    shown = screen()
    assert "\r" in shown
    assert "Rapports   0 % |" in shown and "0/3 rapports" in shown and "estimation en cours" in shown  # at once
    assert "Rapports  33 % |" in shown and "1/3 rapports" in shown and "reste ≈" in shown
    assert "3/3 rapports" in shown and "terminé" in shown
    for k in range(3):
        assert f"[{k + 1}/3] cible 1.1 … ok\n" in shown.replace("\r\n", "\n")
    assert shown.rstrip(" ").endswith("\r")  # the bar erased: the screen ends on the lines


def test_a_bar_waits_its_delay_before_showing(terminal):
    stream, screen = terminal
    progress.enable(stream)
    with progress.bar(10, "Lecture", delay=30) as bar:
        bar.update(5)
    assert "Lecture" not in screen()


def test_elsewhere_no_bar_and_plain_lines():
    for stream in (io.StringIO(), open(os.devnull, "w", encoding="utf-8")):  # noqa: SIM115 - closed below
        assert not progress.enable(stream) and not progress.active()
        assert progress.bar(3, "Rapports") is progress.NO_BAR
        stream.close()
    out = io.StringIO()
    progress.echo("[1/3] cible 1.1 … ok", out)
    assert out.getvalue() == "[1/3] cible 1.1 … ok\n"


def test_a_dumb_terminal_gets_no_bar(terminal, monkeypatch):
    stream, _ = terminal
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.enable(stream)


def test_the_bar_of_a_first_read_goes_to_its_end_step_by_step(tmp_path, monkeypatch):
    """read_files tells its bar each file, group, column and check: exactly the whole at the end."""
    told: list[tuple[str, float]] = []

    class Recorder(progress.NullBar):
        def update(self, n: float = 1) -> None:
            told.append(("update", n))

        def close(self) -> None:
            told.append(("close", 0))

    monkeypatch.setattr(progress, "bar", lambda *a, **k: Recorder())
    contract = essai("essai", *DETAIL_FIELDS)
    header = "UAI;Département;Année;Élèves;Filles;Date;Type;Nom"
    for k, year in enumerate((2021, 2022, 2023)):
        (tmp_path / f"{k}.csv").write_text(f"{header}\n0331503E;033;{year};120;60;12/05/{year + 1};Collège;Dupont\n",
                                           encoding="utf-8")
    result = read_files(contract, sorted(tmp_path.glob("*.csv")), base=tmp_path)
    assert result.ok
    updates = [n for what, n in told if what == "update"]
    assert len(updates) >= 3 + 7 and all(n > 0 for n in updates)  # each file, each column at least
    assert sum(updates) == 1000 and told[-1] == ("close", 0)


def test_forked_pool_workers_draw_each_on_its_own_line(terminal):
    """drane indicators --jobs: each worker's bars on a line of its own, under a shared lock."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    stream, screen = terminal
    progress.enable(stream)
    assert progress._position() is None  # the command's process: under its other bars
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        seen = set(pool.map(_draw_in_worker, range(6)))
    by_worker = dict(seen)
    assert len(by_worker) == len(seen)  # a worker keeps its line
    lines = set(by_worker.values())
    assert len(lines) == len(by_worker) and lines <= set(range(os.cpu_count() or 1))
    assert "Lecture du travail" in screen()


def _draw_in_worker(k: int) -> tuple[int, int | None]:
    with progress.bar(2, "Lecture du travail") as bar:
        bar.update()
        time.sleep(0.1)
    return os.getpid(), progress._position()
