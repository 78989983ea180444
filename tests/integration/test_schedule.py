"""``drane build`` unattended: lock, log file, quiet mode, exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from drane_analysis.schedule import (
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_OK,
    LOCK_NAME,
    BuildLocked,
    build_lock,
    run_logged,
)

DRANE = str(Path(sys.executable).with_name("drane"))


def test_quiet_success_prints_nothing_and_logs_everything(tmp_path):
    out, err = io.StringIO(), io.StringIO()

    def job(journal):
        journal.say("[1/1] cible 1.1 limoges … ok")
        return EXIT_OK

    assert run_logged(job, tmp_path, quiet=True, command="drane build --quiet", stdout=out, stderr=err) == EXIT_OK
    assert out.getvalue() == "" and err.getvalue() == ""
    (log,) = (tmp_path / "journaux").glob("construction-*.log")
    text = log.read_text(encoding="utf-8")
    assert "commande : drane build --quiet" in text and "cible 1.1 limoges … ok" in text
    assert "code de sortie : 0" in text


def test_an_unexpected_error_ends_with_code_5_and_its_traceback_in_the_log(tmp_path):
    err = io.StringIO()

    def job(journal):
        raise RuntimeError("boom")

    assert run_logged(job, tmp_path, quiet=True, stdout=io.StringIO(), stderr=err) == EXIT_INTERNAL
    (log,) = (tmp_path / "journaux").glob("*.log")
    assert "Traceback" in log.read_text(encoding="utf-8") and "RuntimeError: boom" in log.read_text(encoding="utf-8")
    assert "Traceback" not in err.getvalue() and "journal" in err.getvalue() and "code 5" in err.getvalue()


def test_two_builds_never_share_an_output_folder(tmp_path):
    with build_lock(tmp_path, "drane build --target 1.1"):
        with pytest.raises(BuildLocked, match="drane build --target 1.1"), build_lock(tmp_path):
            pass
        err = io.StringIO()
        assert run_logged(lambda j: EXIT_OK, tmp_path, stderr=err) == EXIT_LOCKED
        assert "déjà en cours" in err.getvalue()
    # Released with its holder: the next build runs; a log per build.
    assert run_logged(lambda j: EXIT_OK, tmp_path, quiet=True) == EXIT_OK
    assert run_logged(lambda j: EXIT_OK, tmp_path, quiet=True) == EXIT_OK
    assert len(list((tmp_path / "journaux").glob("*.log"))) == 2
    assert (tmp_path / LOCK_NAME).is_file()


@pytest.mark.slow
def test_the_command_refuses_a_second_build_on_the_same_folder(tmp_path, demo_dir):
    out = tmp_path / "out"
    with build_lock(out, "drane build (cron)"):
        done = subprocess.run([DRANE, "build", "--target", "1.1", "--academy", "limoges", "--data", str(demo_dir),
                               "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == EXIT_LOCKED, done.stderr
    assert done.stdout == "" and "déjà en cours" in done.stderr and "drane build (cron)" in done.stderr
    assert not (out / "index.html").exists() and not (out / "journaux").exists()


@pytest.mark.slow
def test_the_command_documents_its_exit_codes_and_logs_a_bad_argument(tmp_path, demo_dir):
    helptext = subprocess.run([DRANE, "--help"], capture_output=True, text=True, timeout=120).stdout
    assert "4  une autre construction est en cours sur le même dossier de sortie" in helptext
    done = subprocess.run([DRANE, "build", "--academy", "lyon", "--data", str(demo_dir), "--out", str(tmp_path),
                           "--quiet"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "périmètre inconnu « lyon »" in done.stderr and done.stdout == ""
    (log,) = (tmp_path / "journaux").glob("*.log")
    assert "périmètre inconnu « lyon »" in log.read_text(encoding="utf-8")
