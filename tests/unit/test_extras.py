"""The optional extras: without Dask distributed (the [cluster] extra), --scheduler says how to get it."""

from __future__ import annotations

import importlib.util

import pytest

from drane_analysis import build as build_module
from drane_analysis import cli


@pytest.fixture
def no_distributed(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))


def test_a_build_on_a_scheduler_without_distributed_stops_before_any_work(no_distributed, tmp_path):
    with pytest.raises(build_module.BuildError, match=r"extra \[cluster\]") as info:
        build_module.build(data_dir=tmp_path / "absent", out_dir=tmp_path / "out", scheduler="tcp://127.0.0.1:8786")
    assert "make env" in str(info.value) and "pip install -e '.[cluster]'" in str(info.value)
    assert not (tmp_path / "out").exists()  # checked first: nothing planned, nothing written


def test_the_command_says_it_in_french_with_exit_code_2(no_distributed, tmp_path, capsys):
    code = cli.main(["build", "--scheduler", "tcp://127.0.0.1:8786", "--data", str(tmp_path),
                     "--out", str(tmp_path / "out"), "--quiet"])
    assert code == cli.EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert "« distributed »" in err and "[cluster]" in err and "Traceback" not in err


def test_the_development_environment_has_the_cluster_extra():
    build_module.require_distributed()  # dev installs every extra: the Dask build's test runs
