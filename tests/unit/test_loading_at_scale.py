"""Loading at scale: one academy's rows, the file listing, derived frames kept on disk.

- ``sources.load(..., academy=A)`` gives the academy's rows of the whole frame, in order,
  and caches them in an entry of their own;
- ``Contract.file_names`` lists what ``Path.glob`` lists (hidden files left out);
- ``indicator_table`` for one academy reads the large sources for that academy only and
  gives the very table the whole computation gives;
- ``Data.memo(..., persist=True)`` serves a frame computed by an earlier process, and
  computes it again whenever a source it read (or asked about) changes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drane_analysis import derived_cache, referential, sources
from drane_analysis.data import ACADEMY_SCOPED_SOURCES, Data, track_sources
from drane_analysis.indicators import evaluate
from drane_analysis.sources.base import Contract, Field
from drane_analysis.targets import indicator_table, modules
from essai import essai

CONTRACT = essai("essai_echelle", Field("academy", ("Académie",), "academy"),
                  patterns=("*.csv", "sous/**/*.csv"))
HEADER = "UAI;Département;Année;Élèves;Académie"
ROWS = ["0331503E;033;2022;120;Bordeaux", "0870001D;87;2022;300;Limoges", "0160010Z;16;2022;40;Poitiers",
        "0190011J;19;2022;7;Limoges"]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sources.names()
    monkeypatch.setitem(sources.CONTRACTS, CONTRACT.name, CONTRACT)
    monkeypatch.setenv("DRANE_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "data"
    (data / "essai").mkdir(parents=True)
    (data / "essai" / "a.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return data


def test_one_academys_rows_are_the_whole_frames_and_get_their_own_entry(folder, tmp_path, monkeypatch):
    whole = sources.load(CONTRACT.name, folder)
    for academy in referential.ACADEMIES:
        part = sources.load(CONTRACT.name, folder, academy=academy)
        expected = whole[whole["academy"] == academy].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
    assert sorted(p.name.split(".")[1] for p in (tmp_path / "cache" / CONTRACT.name).glob("*.*.parquet")) == \
        sorted(referential.ACADEMIES)

    def no_whole_read(path, *args, **kwargs):
        assert ".limoges." in Path(path).name, f"the whole entry was read: {path}"
        return real(path, *args, **kwargs)

    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", no_whole_read)
    again = sources.load(CONTRACT.name, folder, academy="limoges")
    assert again["uai"].tolist() == ["0870001D", "0190011J"]


def test_the_listing_is_path_globs_without_hidden_files(folder, demo_dir):
    nested = folder / "essai" / "sous" / "x" / "y"
    nested.mkdir(parents=True)
    for path in (nested / "b.csv", folder / "essai" / "sous" / "c.csv", folder / "essai" / ".cache.csv",
                 nested / ".d.csv", folder / "essai" / "notes.txt"):
        path.write_text(HEADER + "\n", encoding="utf-8")
    (folder / "essai" / "dir.csv").mkdir()  # a folder named like a file is not a file

    def by_path_glob(c: Contract, base: Path) -> list[Path]:
        found = {p for pattern in c.patterns for p in (base / c.folder).glob(pattern)
                 if p.is_file() and not p.name.startswith(".")}
        return sorted(found, key=lambda p: p.parts)

    listed = CONTRACT.files(folder)
    assert listed == by_path_glob(CONTRACT, folder)
    assert [p.relative_to(folder).as_posix() for p in listed] == [
        "essai/a.csv", "essai/sous/c.csv", "essai/sous/x/y/b.csv"]
    for name in sources.names():
        c = sources.contract(name)
        assert c.files(demo_dir) == by_path_glob(c, demo_dir), name


def test_one_academys_indicator_table_is_the_whole_computations(demo_dir):
    data = Data(demo_dir)
    periods = data.demo_marker["periods"]
    series = pd.concat([m.compute(data) for m in modules().values()], ignore_index=True)
    read = {}
    for academy in referential.ACADEMIES:
        whole = evaluate(series, periods=periods, scopes=[academy]).reset_index(drop=True)
        # One academy's targets in two forked processes (drane indicators' default on 2 cores).
        jobs = 2 if academy == "poitiers" else 1
        with track_sources() as read[academy]:
            alone = indicator_table(Data(demo_dir), scopes=[academy], periods=periods, jobs=jobs)
        assert len(whole) > 250
        pd.testing.assert_frame_equal(alone.reset_index(drop=True), whole, check_exact=False, rtol=1e-12,
                                      obj=f"{academy}, {jobs} processus")
    assert read["poitiers"] == read["limoges"] and len(read["poitiers"]) > 20  # the children's reads come back


def test_a_data_of_one_academy_reads_only_its_rows_of_the_large_sources(demo_dir):
    scoped = Data(demo_dir).for_academy("limoges")
    assert scoped.academy == "limoges" and "limoges" in repr(scoped)
    for name in ACADEMY_SCOPED_SOURCES:
        assert set(scoped.source(name)["academy"].dropna()) == {"limoges"}, name
    assert set(scoped.source("robots")["academy"].dropna()) == set(referential.ACADEMIES)  # small: whole
    with pytest.raises(ValueError, match="académie inconnue"):
        Data(demo_dir, academy="region")


# --------------------------------------------------------------------------- derived frames on disk


class Counter:
    def __init__(self, data: Data):
        self.data, self.calls = data, 0

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        frame = self.data.source(CONTRACT.name)
        self.data.has("essai_absente")
        out = frame.groupby("academy", as_index=False)["pupils"].sum()
        out.attrs["note"] = "é"
        return out


def memo(folder: Path, key: str = "total") -> tuple[pd.DataFrame, int]:
    data = Data(folder)
    compute = Counter(data)
    return data.memo(key, compute, persist=True), compute.calls


@pytest.fixture
def absent_source(monkeypatch):
    import dataclasses

    other = dataclasses.replace(CONTRACT, name="essai_absente", folder="absente")
    monkeypatch.setitem(sources.CONTRACTS, other.name, other)
    return other


def test_a_persisted_frame_is_served_to_the_next_process_exactly(folder, absent_source):
    first, calls = memo(folder)
    assert calls == 1
    again, calls = memo(folder)
    assert calls == 0
    pd.testing.assert_frame_equal(again, first)
    assert again.attrs == {"note": "é"} and [str(t) for t in again.dtypes] == [str(t) for t in first.dtypes]
    _, calls = memo(folder, key="another")
    assert calls == 1


def test_a_changed_or_new_source_file_computes_it_again(folder, absent_source):
    before, _ = memo(folder)
    path = folder / "essai" / "a.csv"
    path.write_text("\n".join([HEADER, *ROWS[:3], "0190011J;19;2022;9;Limoges"]) + "\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    after, calls = memo(folder)
    assert calls == 1
    assert after.set_index("academy")["pupils"]["limoges"] == before.set_index("academy")["pupils"]["limoges"] + 2
    assert memo(folder)[1] == 0
    # A source the computation only asked about (data.has) appears: computed again.
    (folder / "absente").mkdir()
    (folder / "absente" / "z.csv").write_text("\n".join([HEADER, ROWS[0]]) + "\n", encoding="utf-8")
    assert memo(folder)[1] == 1


def test_the_librarys_code_is_part_of_the_key(folder, absent_source, monkeypatch):
    memo(folder)
    assert memo(folder)[1] == 0
    monkeypatch.setattr(derived_cache, "code_fingerprint", lambda: "another version of the library")
    assert memo(folder)[1] == 1


def test_nothing_persisted_when_the_cache_is_off_for_inline_frames_or_when_damaged(folder, absent_source,
                                                                                   tmp_path, monkeypatch):
    memo(folder)
    entries = list((tmp_path / "cache" / derived_cache.FOLDER).rglob("*.pkl"))
    assert len(entries) == 1
    entries[0].write_bytes(b"not a pickle")
    assert memo(folder)[1] == 1  # damaged: computed again, and stored again
    assert memo(folder)[1] == 0
    monkeypatch.setenv("DRANE_CACHE", "off")
    assert memo(folder)[1] == 1 and memo(folder)[1] == 1
    inline = Data.from_frames({CONTRACT.name: pd.DataFrame({"academy": ["limoges"], "pupils": [1]})})
    assert not derived_cache.enabled(inline)


def test_the_persisted_frames_of_targets_1_1_and_3_3_are_those_computed(demo_dir):
    from drane_analysis.targets import t1_1_pix, t3_3_tne

    first = Data(demo_dir)
    series = t3_3_tne.compute(first)
    cert = t1_1_pix.certification_by_establishment(first)
    second = Data(demo_dir)
    pd.testing.assert_frame_equal(t3_3_tne.compute(second), series)
    pd.testing.assert_frame_equal(t1_1_pix.certification_by_establishment(second), cert)
    assert "pix_certification" not in second._sources  # served from disk: the large source not read
    assert np.isfinite(series["value"]).any()


def test_a_data_of_one_academy_computes_that_scope_only(demo_dir):
    scoped = Data(demo_dir).for_academy("poitiers")
    assert scoped.scopes == ("poitiers",) and Data(demo_dir).scopes == referential.SCOPES
    for tid, module in modules().items():
        if getattr(module, "REGION_WIDE", False):
            continue
        computed = set(module.compute(scoped)["academy"])
        assert computed <= {"poitiers"}, (tid, computed)
