"""IPS loaders (écoles, collèges, lycées): demo files, the real lycées extract, broken copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import sources
from drane_analysis.demo import depp
from drane_analysis.demo.world import load_demo_params


@pytest.fixture(scope="module")
def ips_dir(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ips_demo")
    depp.write_ips(world, depp.establishment_labels(world), out / "ips", load_demo_params("depp")["ips"])
    return out


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy a ``;`` file, applying ``edit(rows)`` to its rows (lists of cells; row 0 = header)."""
    text = src.read_text(encoding="utf-8-sig")
    rows = [line.split(";") for line in text.splitlines()]
    edit(rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    return dst


def _set(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


def _only_error(result: sources.ReadResult):
    assert not result.ok
    assert result.errors, "expected at least one error"
    return result.errors


# --------------------------------------------------------------------------- demo


@pytest.mark.parametrize("name", ["ips_ecoles", "ips_colleges", "ips_lycees"])
def test_demo_ips_loads_typed_and_tidy(ips_dir: Path, world, name: str):
    frame = sources.load(name, ips_dir, use_cache=False)
    expected = {"uai", "period", "ips", "sector", "department", "academy", "release"}
    assert expected <= set(frame.columns)
    assert str(frame["ips"].dtype) == "Float64"
    assert not frame.duplicated(["uai", "period"]).any()
    assert sorted(frame["period"].unique()) == world.periods
    assert set(frame["academy"].unique()) == {"bordeaux", "limoges", "poitiers"}
    assert set(frame["sector"].unique()) == {"public", "private"}
    releases = frame.groupby("period")["release"].unique().map(list).to_dict()
    assert releases["2020-2021"] == ["legacy"] and releases["2021-2022"] == ["legacy"]
    assert all(releases[p] == ["ap2022"] for p in world.periods[2:])


def test_demo_ips_values_are_the_worlds(ips_dir: Path, world):
    colleges = sources.load("ips_colleges", ips_dir, use_cache=False)
    merged = colleges.merge(world.ips, on=["uai", "period"], suffixes=("", "_world"))
    assert len(merged) == len(colleges)
    assert (merged["ips"].astype(float) - merged["ips_world"]).abs().max() < 0.051
    lycees = sources.load("ips_lycees", ips_dir, use_cache=False)
    assert {"ips_gt", "ips_pro", "lycee_type"} <= set(lycees.columns)
    merged = lycees.merge(world.ips, on=["uai", "period"], suffixes=("", "_world"))
    assert (merged["ips"].astype(float) - merged["ips_world"]).abs().max() < 0.051
    lp = merged[merged["lycee_type"] == "LP"]
    assert lp["ips_gt"].isna().all() and lp["ips_pro"].notna().all()


def test_demo_small_ecoles_are_ns(ips_dir: Path, world):
    share = load_demo_params("depp")["ips"]["ecoles_ns_share"]
    raw = (ips_dir / "ips" / "fr-en-ips-ecoles-ap2022.csv").read_text(encoding="utf-8")
    assert ";NS;" in raw
    ecoles = sources.load("ips_ecoles", ips_dir, use_cache=False)
    missing = ecoles["ips"].isna().groupby(ecoles["period"]).mean()
    assert ((missing - share).abs() < 0.01).all()
    # The NS schools are the small ones.
    pupils = world.enrolment[world.enrolment["level"] == "ecole"].assign(n=lambda f: f["girls"] + f["boys"])
    joined = ecoles.merge(pupils, on=["uai", "period"])
    assert joined.loc[joined["ips"].isna(), "n"].max() < joined.loc[joined["ips"].notna(), "n"].median()


def test_patterns_pick_each_kinds_files_only(ips_dir: Path):
    names = {n: [p.name for p in sources.contract(n).files(ips_dir)]
             for n in ("ips_ecoles", "ips_colleges", "ips_lycees")}
    assert names == {
        "ips_ecoles": ["fr-en-ips-ecoles-ap2022.csv", "fr-en-ips_ecoles.csv"],
        "ips_colleges": ["fr-en-ips-colleges-ap2022.csv", "fr-en-ips_colleges.csv"],
        "ips_lycees": ["fr-en-ips-lycees-ap2022.csv", "fr-en-ips_lycees.csv"],
    }


def test_writer_is_deterministic(world, tmp_path: Path):
    params = load_demo_params("depp")["ips"]
    labels = depp.establishment_labels(world)
    first = depp.write_ips(world, labels, tmp_path / "a", params)
    second = depp.write_ips(world, labels, tmp_path / "b", params)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


# --------------------------------------------------------------------------- variants


def test_newest_release_wins_when_two_cover_a_year(ips_dir: Path, tmp_path: Path):
    src = ips_dir / "ips" / "fr-en-ips_colleges.csv"
    # An ap2023 file re-publishing 2021-2022 with other values.
    def edit(rows):
        header = rows[0]
        kept = [r for r in rows[1:] if r[0] == "2021-2022"]
        for r in kept:
            r[header.index("ips")] = "100.0"
        rows[1:] = kept
    legacy = tmp_path / "ips" / src.name
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(src.read_bytes())
    _rewrite(src, tmp_path / "ips" / "fr-en-ips-colleges-ap2023.csv", edit)
    frame = sources.load("ips_colleges", tmp_path, use_cache=False)
    assert not frame.duplicated(["uai", "period"]).any()
    year = frame[frame["period"] == "2021-2022"]
    assert (year["release"] == "ap2023").all() and (year["ips"] == 100.0).all()
    assert (frame.loc[frame["period"] == "2020-2021", "release"] == "legacy").all()


def test_rows_outside_the_region_are_dropped(ips_dir: Path, tmp_path: Path):
    def edit(rows):
        extra = list(rows[1])
        _set([rows[0], extra], 2, "uai", "0750655E")
        _set([rows[0], extra], 2, "code_du_departement", "075")
        rows.append(extra)
    path = _rewrite(ips_dir / "ips" / "fr-en-ips-colleges-ap2022.csv",
                    tmp_path / "ips" / "fr-en-ips-colleges-ap2022.csv", edit)
    result = sources.read("ips_colleges", path)
    assert result.ok, [p.format() for p in result.problems]
    assert "0750655E" not in set(result.frame["uai"])


# --------------------------------------------------------------------------- broken inputs


def test_text_in_ips_is_reported(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips_ecoles.csv", tmp_path / "fr-en-ips_ecoles.csv",
                    lambda rows: _set(rows, 5, "ips", "élevé"))
    (problem,) = _only_error(sources.read("ips_ecoles", path))
    assert problem.file == "fr-en-ips_ecoles.csv" and problem.lines == [5] and problem.column == "ips"
    assert "nombre" in problem.expected


def test_ns_is_accepted_in_ecoles_but_out_of_range_is_not(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips_ecoles.csv", tmp_path / "fr-en-ips_ecoles.csv",
                    lambda rows: (_set(rows, 3, "ips", "NS"), _set(rows, 4, "ips", "1030")))
    (problem,) = _only_error(sources.read("ips_ecoles", path))
    assert problem.lines == [4] and problem.column == "ips" and "≤" in problem.expected


def test_uai_check_letter_is_verified(ips_dir: Path, tmp_path: Path):
    def edit(rows):
        uai = rows[6][rows[0].index("uai")]
        wrong = "A" if uai[-1] != "A" else "B"
        _set(rows, 7, "uai", uai[:7] + wrong)
    path = _rewrite(ips_dir / "ips" / "fr-en-ips_colleges.csv", tmp_path / "fr-en-ips_colleges.csv", edit)
    (problem,) = _only_error(sources.read("ips_colleges", path))
    assert problem.file == "fr-en-ips_colleges.csv" and problem.lines == [7] and problem.column == "uai"
    assert "lettre clé" in problem.expected


def test_duplicated_row_in_one_release_is_reported(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips_colleges.csv", tmp_path / "fr-en-ips_colleges.csv",
                    lambda rows: rows.append(list(rows[3])))
    (problem,) = _only_error(sources.read("ips_colleges", path))
    assert problem.column == "uai" and 4 in problem.lines and len(problem.lines) == 2
    assert "une seule ligne" in problem.expected


def test_renamed_sector_column_is_reported(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips-colleges-ap2022.csv", tmp_path / "fr-en-ips-colleges-ap2022.csv",
                    lambda rows: _set(rows, 1, "secteur", "statut"))
    (problem,) = _only_error(sources.read("ips_colleges", path))
    assert problem.file == "fr-en-ips-colleges-ap2022.csv" and problem.lines == [1]
    assert "secteur" in problem.expected


def test_lycee_file_without_any_ips_column_is_reported(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips-lycees-ap2022.csv", tmp_path / "fr-en-ips-lycees-ap2022.csv",
                    lambda rows: _set(rows, 1, "ips_etab", "ips_etablissement_x"))
    (problem,) = _only_error(sources.read("ips_lycees", path))
    assert problem.lines == [1] and "ips_etab" in problem.expected and "ips_ensemble_gt_pro" in problem.expected


def test_bad_school_year_is_reported(ips_dir: Path, tmp_path: Path):
    path = _rewrite(ips_dir / "ips" / "fr-en-ips_lycees.csv", tmp_path / "fr-en-ips_lycees.csv",
                    lambda rows: _set(rows, 9, "rentree_scolaire", "2021"))
    (problem,) = _only_error(sources.read("ips_lycees", path))
    assert problem.lines == [9] and problem.column == "rentree_scolaire"
    assert "année scolaire" in problem.expected


# --------------------------------------------------------------------------- real sample


@pytest.mark.real_samples
def test_real_legacy_lycees_extract_loads(real_samples: Path):
    result = sources.read("ips_lycees", real_samples / "fr-en-ips_lycees.na.csv")
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame
    assert sorted(frame["period"].unique()) == [f"{y}-{y + 1}" for y in range(2016, 2022)]
    assert frame.groupby("period")["uai"].nunique().eq(329).all()
    assert (frame["release"] == "legacy").all()
    assert set(frame["lycee_type"].unique()) == {"LEGT", "LP", "LPO"}
    row = frame[(frame["uai"] == "0400002K") & (frame["period"] == "2016-2017")].iloc[0]
    assert (row["ips"], row["ips_gt"], row["ips_pro"]) == (105.1, 106.8, 96.3)
    assert row["department"] == "40" and row["academy"] == "bordeaux" and row["sector"] == "public"
    assert pd.isna(frame.loc[frame["lycee_type"] == "LP", "ips_gt"]).all()
