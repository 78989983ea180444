"""One base class for the project's exceptions, carrying the exit code of ``drane``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import drane_analysis
from drane_analysis import cli, errors
from drane_analysis.errors import DraneError


def _package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the package, by qualified name (warnings,
    like the sources' ``DataWarning``, are not errors: they stop nothing)."""
    found = {}
    for info in pkgutil.walk_packages(drane_analysis.__path__, prefix="drane_analysis."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and not issubclass(obj, Warning) and obj.__module__ == module.__name__):
                found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_exception_of_the_package_derives_from_drane_error():
    found = _package_exceptions()
    assert "drane_analysis.build.BuildError" in found and "drane_analysis.sources.base.DataError" in found
    strays = sorted(name for name, cls in found.items() if not issubclass(cls, DraneError))
    assert not strays, f"exceptions not derived from errors.DraneError: {strays}"
    for name, cls in found.items():
        assert isinstance(cls.exit_code, int) and 1 <= cls.exit_code <= 5, name


@pytest.mark.parametrize(("name", "code", "also"), [
    ("build.BuildError", errors.EXIT_USAGE, None),
    ("catalogue.CatalogueError", errors.EXIT_USAGE, ValueError),
    ("charsets.Undecodable", errors.EXIT_DATA, ValueError),
    ("demo.DemoDataError", errors.EXIT_USAGE, None),
    ("opendata.OpenDataError", errors.EXIT_DATA, None),
    ("publish.PublishError", errors.EXIT_INTERNAL, None),
    ("runner.ReportWriteError", errors.EXIT_INTERNAL, None),
    ("schedule.BuildLocked", errors.EXIT_LOCKED, None),
    ("share.ShareError", errors.EXIT_USAGE, None),
    ("sources.DataError", errors.EXIT_DATA, None),
    ("sources.MissingSourceError", errors.EXIT_DATA, None),
    ("warm.TemplateError", errors.EXIT_INTERNAL, RuntimeError),
])
def test_each_error_keeps_its_exit_code_and_other_bases(name, code, also):
    module, cls_name = name.rsplit(".", 1)
    cls = getattr(importlib.import_module(f"drane_analysis.{module}"), cls_name)
    assert issubclass(cls, DraneError) and cls.exit_code == code
    if also is not None:
        assert issubclass(cls, also)


class _Refused(DraneError):
    exit_code = 4


def test_the_command_returns_the_errors_code_with_its_message_and_no_traceback(monkeypatch, capsys):
    def refuse(args):
        raise _Refused("dossier refusé : « essai »")

    monkeypatch.setattr(cli, "_sources", refuse)
    assert cli.main(["sources"]) == 4
    captured = capsys.readouterr()
    assert captured.err == "drane : dossier refusé : « essai »\n" and "Traceback" not in captured.out


def test_a_build_stopped_by_a_project_error_returns_its_code_without_traceback(monkeypatch, tmp_path, capsys):
    from drane_analysis import build as build_module
    from drane_analysis.sources import MissingSourceError, Problem

    def missing(**kwargs):
        raise MissingSourceError([Problem("annuaire/", "au moins un fichier", found="aucun fichier")],
                                 "Source « annuaire » absente")

    monkeypatch.setattr(build_module, "build", missing)
    code = cli.main(["build", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == errors.EXIT_DATA == 3
    err = capsys.readouterr().err
    assert "Source « annuaire » absente" in err and "Traceback" not in err
    log = next((tmp_path / "out" / "journaux").glob("*.log")).read_text(encoding="utf-8")
    assert "Source « annuaire » absente" in log and "Traceback" not in log and "code de sortie : 3" in log


def test_a_value_error_that_is_not_the_projects_stays_a_usage_error(monkeypatch, tmp_path, capsys):
    from drane_analysis import build as build_module

    def bad(**kwargs):
        raise ValueError("année scolaire invalide « 2024 »")

    monkeypatch.setattr(build_module, "build", bad)
    code = cli.main(["build", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == errors.EXIT_USAGE
    assert "année scolaire invalide" in capsys.readouterr().err
