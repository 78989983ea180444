"""Publishing a build (staging folder, generations, one atomic switch) and what a killed build leaves.

The integration tier kills real builds (tests/integration/test_interrupted_builds.py); these
tests drive the same protocol on small files, including the failures a kill cannot reach
deterministically (a full disk while the new generation is assembled, a refused switch),
the conversion of an output folder written before generations and the commit journal an
older build may have left.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from drane_analysis import publish, stats
from drane_analysis.publish import (
    CURRENT,
    GENERATIONS,
    JOURNAL,
    STAGING,
    PublishError,
    Staging,
    current_generation,
    generations,
    recover,
)

REPORT = "2025-2026/1.1-pix/limoges.html"
OLD = {REPORT: "old report</html>", "manifest.json": '{"old": true}', "index.html": "old index</html>",
       "donnees/indicateurs.csv": "old;csv"}
NEW = {REPORT: "new report</html>", "2025-2026/1.1-pix/region.html": "new region</html>",
       "manifest.json": '{"new": true}', "index.html": "new index</html>"}


def _stage(stage: Staging, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        path = stage.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _publish(out, files: dict[str, str]) -> str:
    with Staging(out) as stage:
        stage.commit(_stage(stage, files))
        return stage.id


def _tree(folder) -> dict[str, str]:
    """What a reader of ``folder`` sees: every file, through the symbolic links."""
    files = {}
    for dirpath, _, names in os.walk(folder, followlinks=True):
        for name in names:
            path = Path(dirpath) / name
            files[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return files


def _seen(out) -> dict[str, str]:
    """What a reader sees through the user-facing paths (not the generations, not the links' targets)."""
    return {rel: text for rel, text in _tree(out).items()
            if rel.split("/")[0] not in (STAGING, GENERATIONS, CURRENT, "journaux", "README.md")}


def _legacy(out, files=OLD) -> None:
    """An output folder written before generations: real files and folders."""
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")


def test_a_commit_publishes_a_whole_generation_behind_relative_links(tmp_path):
    out = tmp_path / "out"
    gen_id = _publish(out, NEW)
    assert os.readlink(out / CURRENT) == f"{GENERATIONS}/{gen_id}"
    for name in ("index.html", "manifest.json", "2025-2026"):
        assert os.readlink(out / name) == f"{CURRENT}/{name}"
    assert _seen(out) == NEW == _tree(out / GENERATIONS / gen_id)
    assert not (out / STAGING).exists()
    # A copy that keeps the links (cp -a, rsync -a) still works: every link is relative.
    shutil.copytree(out, tmp_path / "copie", symlinks=True)
    assert _seen(tmp_path / "copie") == NEW


def test_the_next_generation_hard_links_what_it_does_not_rewrite(tmp_path):
    first = _publish(tmp_path, {**OLD, "2024-2025/1.1-pix/limoges.html": "last year</html>"})
    second = _publish(tmp_path, NEW)
    a, b = tmp_path / GENERATIONS / first, tmp_path / GENERATIONS / second
    kept = "2024-2025/1.1-pix/limoges.html"
    assert os.path.samefile(a / kept, b / kept) and os.stat(b / kept).st_nlink == 2
    assert os.path.samefile(a / "donnees/indicateurs.csv", b / "donnees/indicateurs.csv")
    assert not os.path.samefile(a / REPORT, b / REPORT)  # rewritten: a new file, the old one untouched
    assert (a / REPORT).read_text(encoding="utf-8") == OLD[REPORT]
    assert _seen(tmp_path) == {**OLD, "2024-2025/1.1-pix/limoges.html": "last year</html>", **NEW}
    assert os.readlink(tmp_path / "2024-2025") == f"{CURRENT}/2024-2025"


def test_files_are_copied_where_the_file_system_refuses_hard_links(tmp_path, monkeypatch):
    _publish(tmp_path, OLD)

    def refuse(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(publish.os, "link", refuse)
    _publish(tmp_path, {REPORT: "new report</html>"})
    assert _seen(tmp_path) == {**OLD, REPORT: "new report</html>"}


def test_a_failing_report_keeps_the_previous_good_one(tmp_path):
    _publish(tmp_path, {**OLD, "2025-2026/1.1-pix/region.html": "old region</html>"})
    # This build's Limoges report failed: only the region, the manifest and the index are staged.
    _publish(tmp_path, {"2025-2026/1.1-pix/region.html": "new region</html>", "manifest.json": "{}",
                        "index.html": "new index</html>"})
    seen = _seen(tmp_path)
    assert seen[REPORT] == OLD[REPORT] and seen["2025-2026/1.1-pix/region.html"] == "new region</html>"


def test_the_current_and_the_previous_generations_are_kept(tmp_path):
    ids = [_publish(tmp_path, {"index.html": f"index {k}</html>"}) for k in range(4)]
    assert [g.name for g in generations(tmp_path)] == ids[-2:]
    assert current_generation(tmp_path).name == ids[-1]


def test_a_build_that_stops_before_its_commit_publishes_nothing(tmp_path):
    _publish(tmp_path, OLD)
    before, gens = _seen(tmp_path), generations(tmp_path)
    with pytest.raises(RuntimeError), Staging(tmp_path) as stage:
        _stage(stage, NEW)
        raise RuntimeError("a notebook crashed the driver")
    assert _seen(tmp_path) == before and generations(tmp_path) == gens and not (tmp_path / STAGING).exists()


def test_a_full_disk_while_assembling_the_generation_publishes_nothing(tmp_path, monkeypatch):
    _publish(tmp_path, OLD)
    before, gens = _seen(tmp_path), generations(tmp_path)
    calls = []

    def full(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return os.link(src, dst, *args, **kwargs)

    monkeypatch.setattr(publish, "_link_file", full)
    with Staging(tmp_path) as stage:
        files = _stage(stage, NEW)
        with pytest.raises(PublishError, match="disque plein.*construction abandonnée avant publication"):
            stage.commit(files)
    assert _seen(tmp_path) == before and generations(tmp_path) == gens
    assert not (tmp_path / STAGING).exists()


def test_a_refused_switch_publishes_nothing(tmp_path, monkeypatch):
    _publish(tmp_path, OLD)
    before, gens = _seen(tmp_path), generations(tmp_path)
    real = os.replace

    def refuse_switch(src, dst):
        if os.path.basename(dst) == CURRENT:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(publish.os, "replace", refuse_switch)
    with Staging(tmp_path) as stage:
        files = _stage(stage, {**NEW, "2026-2027/1.1-pix/limoges.html": "next year</html>"})
        with pytest.raises(PublishError, match="précédents sont intacts"):
            stage.commit(files)
    monkeypatch.setattr(publish.os, "replace", real)
    # The new year's link, made before the switch, dangled for a moment: it is gone.
    assert _seen(tmp_path) == before and generations(tmp_path) == gens
    assert not os.path.lexists(tmp_path / "2026-2027")
    _publish(tmp_path, {"2026-2027/1.1-pix/limoges.html": "next year</html>"})
    assert _seen(tmp_path)["2026-2027/1.1-pix/limoges.html"] == "next year</html>"


def test_a_real_file_in_the_way_of_a_link_is_never_overwritten(tmp_path):
    _publish(tmp_path, OLD)
    before, gens = _seen(tmp_path), generations(tmp_path)
    (tmp_path / "autre").mkdir()
    (tmp_path / "autre" / "notes.txt").write_text("mine", encoding="utf-8")
    with Staging(tmp_path) as stage:
        files = _stage(stage, {**NEW, "autre/page.html": "page</html>"})
        with pytest.raises(PublishError, match="n'est pas un lien symbolique.*précédents sont intacts"):
            stage.commit(files)
    assert _seen(tmp_path) == {**before, "autre/notes.txt": "mine"} and generations(tmp_path) == gens


def test_recover_deletes_what_a_build_killed_before_its_switch_left(tmp_path):
    _publish(tmp_path, OLD)
    before, gens = _seen(tmp_path), generations(tmp_path)
    # Killed while assembling its generation (its lock died with it).
    stage = Staging(tmp_path)
    _stage(stage, NEW)
    (stage.generation / "2025-2026").mkdir(parents=True)
    (stage.generation / "2025-2026" / "half.html").write_text("half writ", encoding="utf-8")
    os.symlink(f"{CURRENT}/2026-2027", tmp_path / "2026-2027")  # a new year's link, made before the switch
    stage._lock.close()
    said = recover(tmp_path)
    assert len(said) == 1 and "non publiés supprimés" in said[0]
    assert _seen(tmp_path) == before and generations(tmp_path) == gens and not (tmp_path / STAGING).exists()
    assert not os.path.lexists(tmp_path / "2026-2027")


def test_recover_tidies_up_after_a_build_killed_after_its_switch(tmp_path):
    _publish(tmp_path, OLD)
    stage = Staging(tmp_path)
    publish._publish(tmp_path, stage.path, stage.id, stage.path, _stage(stage, NEW), move=True)
    stage._lock.close()  # killed before deleting its staging folder
    said = recover(tmp_path)
    assert len(said) == 1 and "après sa publication" in said[0]
    assert _seen(tmp_path) == {**OLD, **NEW} and current_generation(tmp_path).name == stage.id
    assert not (tmp_path / STAGING).exists()


def test_recover_deletes_generations_no_one_needs_but_not_a_running_builds(tmp_path):
    ids = [_publish(tmp_path, {"index.html": f"index {k}</html>"}) for k in range(2)]
    for name in ("20000101-000000-000000-1-aaaaaa", "29990101-000000-000000-1-bbbbbb"):
        (tmp_path / GENERATIONS / name / "2025-2026").mkdir(parents=True)  # left by killed builds
    with Staging(tmp_path) as running:
        running.generation.mkdir()
        assert recover(tmp_path) == []
        assert [g.name for g in generations(tmp_path)] == [*ids, running.id]
    assert [g.name for g in generations(tmp_path)] == ids


def test_an_output_folder_written_before_generations_is_converted_without_loss(tmp_path):
    _legacy(tmp_path)
    (tmp_path / "README.md").write_text("tracked", encoding="utf-8")
    (tmp_path / "journaux").mkdir()
    (tmp_path / "journaux" / "construction.log").write_text("log", encoding="utf-8")
    inode = os.stat(tmp_path / REPORT).st_ino
    said = recover(tmp_path)
    assert len(said) == 1 and "converti" in said[0]
    assert _seen(tmp_path) == OLD
    for name in ("index.html", "manifest.json", "donnees", "2025-2026"):
        assert os.readlink(tmp_path / name) == f"{CURRENT}/{name}"
    assert os.stat(tmp_path / REPORT).st_ino == inode  # the same file, linked
    assert not (tmp_path / "README.md").is_symlink() and not (tmp_path / "journaux").is_symlink()
    assert recover(tmp_path) == [] and not (tmp_path / STAGING).exists()
    _publish(tmp_path, NEW)
    assert _seen(tmp_path) == {**OLD, **NEW}


def test_a_conversion_interrupted_after_its_switch_is_finished(tmp_path, monkeypatch):
    _legacy(tmp_path)
    real = publish._replace_by_link
    calls = []

    def die_on_second(path, target, work):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error", str(path))
        real(path, target, work)

    monkeypatch.setattr(publish, "_replace_by_link", die_on_second)
    with pytest.raises(PublishError, match="restent lisibles et cohérents"):
        recover(tmp_path)
    assert _seen(tmp_path) == OLD  # part real, part links: the same files
    monkeypatch.setattr(publish, "_replace_by_link", real)
    assert "converti" in recover(tmp_path)[0]
    assert _seen(tmp_path) == OLD and all((tmp_path / n).is_symlink() for n in OLD if "/" not in n)


def test_a_folder_is_swapped_for_its_link_in_one_step(tmp_path):
    (tmp_path / "dossier").mkdir()
    (tmp_path / "dossier" / "f").write_text("x", encoding="utf-8")
    os.symlink("ailleurs", tmp_path / "lien")
    if not publish._exchange(tmp_path / "lien", tmp_path / "dossier"):
        pytest.skip("renameat2(RENAME_EXCHANGE) unavailable here: two renames are used")
    assert os.readlink(tmp_path / "dossier") == "ailleurs" and (tmp_path / "lien" / "f").is_file()


def test_swapping_a_folder_for_its_link_works_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    _legacy(tmp_path)
    recover(tmp_path)
    assert _seen(tmp_path) == OLD and (tmp_path / "2025-2026").is_symlink()


def _legacy_journal(out, stage_name="20260101-000000-1-abcdef") -> None:
    """What an older build killed between its renames left: a journal, some files still staged."""
    stage = out / STAGING / stage_name
    for rel, text in NEW.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")
    (stage / JOURNAL).write_text(json.dumps({"files": [*NEW, "../outside", "/etc/passwd", f"{STAGING}/x"]}),
                                 encoding="utf-8")
    os.replace(stage / REPORT, out / REPORT)  # its first rename was done


def test_an_older_builds_pending_journal_is_finished_then_the_folder_converted(tmp_path):
    _legacy(tmp_path)
    _legacy_journal(tmp_path)
    said = recover(tmp_path)
    assert len(said) == 2 and "converti" in said[0] and "publication terminée (3 fichier(s))" in said[1]
    assert _seen(tmp_path) == {**OLD, **NEW}
    assert all((tmp_path / n).is_symlink() for n in ("index.html", "manifest.json", "2025-2026", "donnees"))
    assert not (tmp_path / STAGING).exists()
    assert recover(tmp_path) == []  # nothing left to do


def test_a_pending_journal_is_published_atomically_in_a_converted_folder_too(tmp_path):
    _publish(tmp_path, OLD)
    _legacy_journal(tmp_path)  # its done rename went through the link into the current generation
    (said,) = recover(tmp_path)
    assert "publication terminée (3 fichier(s))" in said
    assert _seen(tmp_path) == {**OLD, **NEW}


def test_a_file_outside_a_generation_is_never_published():
    assert publish._safe_rel("2025-2026/1.1-pix/limoges.html") == "2025-2026/1.1-pix/limoges.html"
    for bad in ("../x", "/etc/passwd", f"{STAGING}/x", f"{GENERATIONS}/x", CURRENT, "journaux/x.log", "README.md",
                "a//b", "", None):
        assert publish._safe_rel(bad) is None, bad


def test_the_names_publish_knows_are_those_the_build_writes():
    from drane_analysis import exports, runner, schedule

    assert publish.EXPORT_DIR == exports.EXPORT_DIR
    assert (publish.INDEX, publish.MANIFEST, publish.LOG_DIR) == (runner.INDEX, runner.MANIFEST, schedule.LOG_DIR)


def test_the_random_seed_lives_in_params_and_the_permutation_test_is_reproducible():
    assert stats.SEED == stats.random_seed() == 20210115
    rng = np.random.default_rng(0)
    n = rng.integers(5, 60, 40).astype(float)
    y = np.floor(n * rng.uniform(0.1, 0.9, 40))
    group = np.arange(40) % 3 == 0
    first = stats.cluster_permutation_test(y, n, group, permutations=499)
    assert first == stats.cluster_permutation_test(y, n, group, permutations=499)
    assert 0 < first["p_value"] <= 1
