"""Publishing a build (staging folder, commit journal, renames) and what a killed build leaves.

The integration tier kills real builds (tests/integration/test_interrupted_builds.py); these
tests drive the same protocol on small files, including the failures a kill cannot reach
deterministically (a full disk while the journal is written, a rename refused).
"""

from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest

from drane_analysis import publish, stats
from drane_analysis.publish import JOURNAL, STAGING, PublishError, Staging, recover


def _stage(stage: Staging, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        path = stage.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _previous(out):
    (out / "2025-2026" / "1.1-pix").mkdir(parents=True)
    (out / "2025-2026" / "1.1-pix" / "limoges.html").write_text("old report</html>", encoding="utf-8")
    (out / "manifest.json").write_text('{"old": true}', encoding="utf-8")
    (out / "index.html").write_text("old index</html>", encoding="utf-8")


NEW = {"2025-2026/1.1-pix/limoges.html": "new report</html>", "2025-2026/1.1-pix/region.html": "new region</html>",
       "manifest.json": '{"new": true}', "index.html": "new index</html>"}


def _tree(out) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_a_commit_publishes_every_staged_file_and_leaves_no_staging(tmp_path):
    _previous(tmp_path)
    with Staging(tmp_path) as stage:
        assert stage.path.parent == tmp_path / STAGING
        stage.commit(_stage(stage, NEW))
    assert _tree(tmp_path) == NEW
    assert not (tmp_path / STAGING).exists()


def test_a_build_that_stops_before_its_commit_publishes_nothing(tmp_path):
    _previous(tmp_path)
    before = _tree(tmp_path)
    with pytest.raises(RuntimeError), Staging(tmp_path) as stage:
        _stage(stage, NEW)
        raise RuntimeError("a notebook crashed the driver")
    assert _tree(tmp_path) == before and not (tmp_path / STAGING).exists()


def test_recover_discards_a_staging_folder_without_journal(tmp_path):
    _previous(tmp_path)
    before = _tree(tmp_path)
    stage = tmp_path / STAGING / "20260101-000000-1-abcdef"
    (stage / "2025-2026" / "1.1-pix").mkdir(parents=True)
    (stage / "2025-2026" / "1.1-pix" / "limoges.html").write_text("half writ", encoding="utf-8")
    said = recover(tmp_path)
    assert len(said) == 1 and "non publiés supprimés" in said[0]
    assert _tree(tmp_path) == before and not (tmp_path / STAGING).exists()


def test_recover_finishes_a_commit_interrupted_after_its_journal(tmp_path):
    _previous(tmp_path)
    stage = tmp_path / STAGING / "20260101-000000-1-abcdef"
    for rel, text in NEW.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")
    (stage / JOURNAL).write_text(json.dumps({"files": [*NEW, "../outside", "/etc/passwd", f"{STAGING}/x"]}),
                                 encoding="utf-8")
    # Killed after the first rename:
    os.replace(stage / "2025-2026/1.1-pix/limoges.html", tmp_path / "2025-2026/1.1-pix/limoges.html")
    said = recover(tmp_path)
    assert len(said) == 1 and "publication terminée (3 fichier(s))" in said[0]
    assert _tree(tmp_path) == NEW
    assert recover(tmp_path) == []  # nothing left to do


def test_recover_leaves_a_running_build_alone(tmp_path):
    with Staging(tmp_path) as stage:
        _stage(stage, NEW)
        assert recover(tmp_path) == []
        assert (stage.path / "manifest.json").is_file()


def test_a_full_disk_while_writing_the_journal_publishes_nothing(tmp_path, monkeypatch):
    _previous(tmp_path)
    before = _tree(tmp_path)

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with Staging(tmp_path) as stage:
        files = _stage(stage, NEW)
        monkeypatch.setattr(publish, "atomic_write", full)
        with pytest.raises(PublishError, match="disque plein.*construction abandonnée avant publication"):
            stage.commit(files)
    assert _tree(tmp_path) == before and not (tmp_path / STAGING).exists()


def test_a_refused_rename_leaves_the_journal_for_the_next_build(tmp_path, monkeypatch):
    _previous(tmp_path)
    real = os.replace
    calls = []

    def refuse_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    with Staging(tmp_path) as stage:
        files = _stage(stage, NEW)
        monkeypatch.setattr(publish.os, "replace", refuse_second)
        with pytest.raises(PublishError, match="la prochaine construction la terminera"):
            stage.commit(files)
    monkeypatch.setattr(publish.os, "replace", real)
    assert (stage.path / JOURNAL).is_file()
    assert "publication terminée" in recover(tmp_path)[0]
    assert _tree(tmp_path) == NEW


def test_the_random_seed_lives_in_params_and_the_permutation_test_is_reproducible():
    assert stats.SEED == stats.random_seed() == 20210115
    rng = np.random.default_rng(0)
    n = rng.integers(5, 60, 40).astype(float)
    y = np.floor(n * rng.uniform(0.1, 0.9, 40))
    group = np.arange(40) % 3 == 0
    first = stats.cluster_permutation_test(y, n, group, permutations=499)
    assert first == stats.cluster_permutation_test(y, n, group, permutations=499)
    assert 0 < first["p_value"] <= 1
