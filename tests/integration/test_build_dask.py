"""drane build --scheduler: the same build fanned out on a Dask distributed cluster."""

from __future__ import annotations

import json
import os

import pytest

from drane_analysis.build import build

pytestmark = pytest.mark.slow


def test_build_on_a_local_dask_cluster(demo_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    lines: list[str] = []
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        summary = build(targets=["3.1"], academies=["bordeaux", "region"], periods=["2025-2026"],
                        data_dir=demo_dir, out_dir=tmp_path, scheduler=cluster.scheduler_address,
                        say=lines.append)
    assert summary.exit_code == 0, [r.message for r in summary.failed]
    assert any("grappe Dask" in line for line in lines)
    assert {r.pid for r in summary.results} != {os.getpid()}  # ran in the cluster's worker
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for scope in ("bordeaux", "region"):
        entry = manifest["reports"][f"3.1|{scope}|2025-2026"]
        assert entry["status"] == "ok" and (tmp_path / entry["html"]).is_file()
    assert "Cible 3.1" in (tmp_path / "index.html").read_text(encoding="utf-8")
