"""The parsed-source cache and the fast paths of reading.

A cache hit returns the frame a cold read gives (values and dtypes) without reading a
file; any change to a file, the contract, the reading code or the limits gives a new entry.
The file listing stops at the first file when only its existence is asked; the checks
that run once per file (a file without a row of the region, a quoted separator) give the
same problems on many files at once.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import sources
from drane_analysis.sources.base import read_files
from essai import DETAIL_FIELDS, essai

CONTRACT = essai("essai_cache", *DETAIL_FIELDS)
HEADER = "UAI;Département;Année;Élèves;Filles;Date;Type;Nom"
GOOD = [
    "0331503E;033;2022;120;60;12/05/2023;Collège;Dupont",
    "0160010Z;16;2022;300;150;13/05/2023;Lycée;Durand",
]
NAME = CONTRACT.name
OTHER = ["0171234Z;17;2022;80;41;14/05/2023;Collège;Martin"]
THIRD = "0191234N;19;2022;5;2;14/05/2023;Lycée;Petit"
OUTSIDE = "0940176F;094;2022;10;5;12/05/2023;Collège;X"


def write(folder: Path, lines: list[str], name: str) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with two files of the test contract, registered as a source."""
    sources.names()  # register the real contracts first
    monkeypatch.setitem(sources.CONTRACTS, CONTRACT.name, CONTRACT)
    monkeypatch.setenv("DRANE_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "data"
    (data / "essai").mkdir(parents=True)
    write(data / "essai", [HEADER, *GOOD], name="a.csv")
    write(data / "essai", [HEADER, *OTHER], name="b.csv")
    return data


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / CONTRACT.name).glob("*.parquet"))


def test_a_cache_hit_is_the_cold_frame_and_reads_no_file(folder, tmp_path, monkeypatch):
    cold = sources.load(NAME, folder, use_cache=False)
    first = sources.load(NAME, folder)
    assert len(entries(tmp_path)) == 1

    def no_read(*args, **kwargs):
        raise AssertionError("a cache hit must not read the files")

    monkeypatch.setattr(sources, "read_files", no_read)
    hit = sources.load(NAME, folder)
    pd.testing.assert_frame_equal(hit, cold)
    pd.testing.assert_frame_equal(first, cold)
    assert [str(t) for t in hit.dtypes] == [str(t) for t in cold.dtypes]


def test_validate_fills_the_cache_the_next_load_reads(folder, tmp_path, monkeypatch):
    """``drane validate`` then a build: the build's load is a cache hit (the validated frame);
    a folder with an error leaves no entry."""
    (result,) = sources.validate(folder, only=[NAME]).values()
    assert result.ok and len(entries(tmp_path)) == 1
    cold = sources.load(NAME, folder, use_cache=False)

    def no_read(*args, **kwargs):
        raise AssertionError("the validated frame must be served from the cache")

    with monkeypatch.context() as m:
        m.setattr(sources, "read_files", no_read)
        pd.testing.assert_frame_equal(sources.load(NAME, folder), cold)
    write(folder / "essai", [HEADER, GOOD[0].replace(";120;", ";cent vingt;")], name="c.csv")
    (broken,) = sources.validate(folder, only=[NAME]).values()
    assert not broken.ok and len(entries(tmp_path)) == 1


def test_a_changed_file_same_size_gives_a_new_entry(folder, tmp_path):
    assert sources.load(NAME, folder)["pupils"].tolist() == [120, 300, 80]
    path = folder / "essai" / "b.csv"
    before = path.stat()
    write(folder / "essai", [HEADER, OTHER[0].replace(";80;41;", ";90;41;")], name="b.csv")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert path.stat().st_size == before.st_size
    assert sources.load(NAME, folder)["pupils"].tolist() == [120, 300, 90]
    assert len(entries(tmp_path)) == 2


def test_a_changed_size_same_date_added_and_removed_files_give_new_entries(folder, tmp_path):
    sources.load(NAME, folder)
    path = folder / "essai" / "b.csv"
    before = path.stat()
    write(folder / "essai", [HEADER, OTHER[0].replace(";80;41;", ";800;41;")], name="b.csv")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert sources.load(NAME, folder)["pupils"].tolist() == [120, 300, 800]
    write(folder / "essai", [HEADER, THIRD], name="c.csv")
    assert len(sources.load(NAME, folder)) == 4
    path.unlink()
    assert sources.load(NAME, folder)["pupils"].tolist() == [120, 300, 5]
    assert len(entries(tmp_path)) == 4


def test_the_key_covers_contract_code_limits_and_folder(folder, monkeypatch):
    files = CONTRACT.files(folder)
    key = sources._cache_key(CONTRACT, files, folder)
    assert sources._cache_key(CONTRACT, files, folder) == key
    assert sources._cache_key(dataclasses.replace(CONTRACT, version=2), files, folder) != key
    with monkeypatch.context() as m:
        m.setattr(sources, "_code_fingerprint", lambda: "another version of the readers")
        assert sources._cache_key(CONTRACT, files, folder) != key
    with monkeypatch.context() as m:
        m.setattr(sources, "limits", lambda: {"max_file_mb": 1, "lines_listed_per_problem": 8})
        assert sources._cache_key(CONTRACT, files, folder) != key
    moved = folder.parent / "moved"
    folder.rename(moved)
    assert sources._cache_key(CONTRACT, CONTRACT.files(moved), moved) != key


def test_the_code_fingerprint_follows_the_reading_modules(tmp_path):
    package = tmp_path / "pkg"
    (package / "sources").mkdir(parents=True)
    for name in ("referential.py", "periods.py", "paths.py", "charsets.py", "sources/__init__.py", "sources/pix.py"):
        (package / name).write_text("X = 1\n", encoding="utf-8")
    (package / "report.py").write_text("Y = 1\n", encoding="utf-8")
    first = sources._hash_code(package)
    (package / "report.py").write_text("Y = 2\n", encoding="utf-8")  # not reading code
    assert sources._hash_code(package) == first
    (package / "sources" / "pix.py").write_text("X = 2\n", encoding="utf-8")
    second = sources._hash_code(package)
    assert second != first
    (package / "charsets.py").write_text("X = 2\n", encoding="utf-8")  # how bytes become text
    assert sources._hash_code(package) != second
    # The real one covers the installed package's readers.
    real = Path(sources.__file__).resolve().parent.parent
    assert all((real / entry).exists() for entry in sources._READING_CODE)


def test_has_files_agrees_with_files_for_every_source(demo_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in sources.names():
        c = sources.contract(name)
        for folder in (demo_dir, empty):
            assert c.has_files(folder) == bool(c.files(folder)), (name, folder)
    assert sources.contract("ent_comptes").has_files(demo_dir)
    hidden = tmp_path / "hidden"
    (hidden / "essai").mkdir(parents=True)
    write(hidden / "essai", [HEADER, *GOOD], name=".a.csv")
    assert not CONTRACT.has_files(hidden) and CONTRACT.files(hidden) == []
    write(hidden / "essai", [HEADER, *GOOD], name="a.csv")
    assert CONTRACT.has_files(hidden) and CONTRACT.files(hidden) == [hidden / "essai" / "a.csv"]


def test_a_file_outside_the_region_among_many(tmp_path):
    paths = [
        write(tmp_path, [HEADER, *GOOD], name="a.csv"),
        write(tmp_path, [HEADER, OUTSIDE, "0750001U;075;2022;10;5;12/05/2023;Collège;Y"], name="b.csv"),
        write(tmp_path, [HEADER, *OTHER], name="c.csv"),
        write(tmp_path, [HEADER, THIRD, OUTSIDE], name="d.csv"),
    ]
    errors = read_files(CONTRACT, paths, base=tmp_path).errors
    found = {(p.file, tuple(p.lines or ()), p.found) for p in errors}
    assert found == {("b.csv", (), "aucune ; valeurs lues : 75, 94"), ("d.csv", (3,), "94")}


def test_quoted_separators_are_counted_as_values(tmp_path):
    quoted = '"0331503E";"033";"2022";"120";"60";"12/05/2023";"Collège";"Dupont; Jean"'
    ok = read_files(CONTRACT, [write(tmp_path, [HEADER, quoted, *OTHER], name="ok.csv")], base=tmp_path)
    assert ok.ok and ok.frame["pupils"].tolist() == [120, 80]
    # Eight separators but seven fields: a quoted separator hides a truncated line.
    short = '"0160010Z";"16";"2022";"300";"150";"13/05/2023";"Lycée; ou collège"'
    p = read_files(CONTRACT, [write(tmp_path, [HEADER, quoted, short], name="bad.csv")], base=tmp_path).errors
    assert len(p) == 1 and p[0].lines == [3] and "incomplète" in p[0].found
    plain = read_files(CONTRACT, [write(tmp_path, [HEADER, '"0160010Z";16;2022;300;150;13/05/2023;Lycée'],
                                        name="plain.csv")], base=tmp_path).errors
    assert len(plain) == 1 and plain[0].lines == [2] and "incomplète" in plain[0].found


def test_a_cache_hit_does_not_import_pandera(make_demo, tmp_path):
    data = make_demo("annuaire")
    env = {**os.environ, "DRANE_CACHE": str(tmp_path / "cache")}
    script = ("import sys\n"
              "from drane_analysis import sources\n"
              f"frame = sources.load('annuaire', {str(data)!r})\n"
              "print(len(frame), 'pandera' in sys.modules)\n")
    cold = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    hit = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    rows = cold.stdout.split()[0]
    assert cold.stdout.split() == [rows, "True"] and hit.stdout.split() == [rows, "False"], hit.stderr
