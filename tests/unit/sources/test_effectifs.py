"""Pupils by level and sex (collèges, lycées GT, lycées pro): demo, real GT extract, broken copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import sources
from drane_analysis.demo import depp
from drane_analysis.demo.world import load_demo_params

FILES = {
    "effectifs_college": "fr-en-college-effectifs-niveau-sexe-lv.csv",
    "effectifs_lycee_gt": "fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv",
    "effectifs_lycee_pro": "fr-en-lycee_pro-effectifs-niveau-sexe-lv.csv",
}


@pytest.fixture(scope="module")
def effectifs_dir(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("effectifs_demo")
    depp.write_effectifs(world, depp.establishment_labels(world), out / "effectifs",
                         load_demo_params("depp")["effectifs"])
    return out


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy a ``;`` file, applying ``edit(rows)`` to its rows (lists of cells; row 0 = header)."""
    rows = [line.split(";") for line in src.read_text(encoding="utf-8-sig").splitlines()]
    edit(rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    return dst


def _set(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


def _get(rows: list[list[str]], line: int, column: str) -> str:
    return rows[line - 1][rows[0].index(column)]


# --------------------------------------------------------------------------- demo


@pytest.mark.parametrize("name", list(FILES))
def test_demo_effectifs_load_long_and_typed(effectifs_dir: Path, world, name: str):
    frame = sources.load(name, effectifs_dir, use_cache=False)
    assert list(frame.columns) == ["uai", "period", "level", "girls", "boys", "pupils", "sector",
                                   "department", "academy"]
    for col in ("girls", "boys", "pupils"):
        assert str(frame[col].dtype) == "Int64"
    assert not frame.duplicated(["uai", "period", "level"]).any()
    assert sorted(frame["period"].unique()) == world.periods
    assert set(frame["academy"].unique()) == {"bordeaux", "limoges", "poitiers"}
    sexed = frame.dropna(subset=["girls", "boys"])
    assert (sexed["girls"] + sexed["boys"] == sexed["pupils"]).all()


def test_demo_numbers_are_exactly_the_worlds(effectifs_dir: Path, world):
    frame = pd.concat([sources.load(n, effectifs_dir, use_cache=False) for n in FILES])
    expected = world.enrolment[world.enrolment["uai"].isin(world.secondary["uai"])]
    merged = expected.merge(frame, on=["uai", "period", "level"], how="left", suffixes=("_world", ""))
    assert merged["pupils"].notna().all(), "every enrolment of the world is in a file"
    assert (merged["girls"] == merged["girls_world"]).all()
    assert (merged["boys"] == merged["boys_world"]).all()
    # Whatever the files hold beyond the world's levels is zero.
    extra = frame.merge(expected, on=["uai", "period", "level"], how="left", indicator=True)
    assert (extra.loc[extra["_merge"] == "left_only", "pupils"] == 0).all()


def test_demo_erea_split_between_college_and_pro_files(effectifs_dir: Path, world):
    erea = world.establishments.loc[world.establishments["kind"] == "erea", "uai"]
    college = sources.load("effectifs_college", effectifs_dir, use_cache=False)
    pro = sources.load("effectifs_lycee_pro", effectifs_dir, use_cache=False)
    in_college = college[college["uai"].isin(erea)]
    in_pro = pro[pro["uai"].isin(erea)]
    assert in_college.loc[in_college["level"].isin(["4e", "3e"]), "pupils"].sum() > 0
    assert in_college.loc[in_college["level"].isin(["6e", "5e"]), "pupils"].sum() == 0
    assert in_pro.loc[in_pro["level"].isin(["cap1", "cap2"]), "pupils"].sum() > 0


def test_writer_is_deterministic(world, tmp_path: Path):
    params = load_demo_params("depp")["effectifs"]
    labels = depp.establishment_labels(world)
    first = depp.write_effectifs(world, labels, tmp_path / "a", params)
    second = depp.write_effectifs(world, labels, tmp_path / "b", params)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


# --------------------------------------------------------------------------- variants


def test_older_college_api_names_are_accepted(effectifs_dir: Path, tmp_path: Path):
    def edit(rows):
        header = rows[0]
        for n in (6, 5, 4, 3):
            header[header.index(f"{n}eme_total")] = f"nombre_total_de_{n}emes"
        header[header.index("rep_plus")] = "rep0"
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_college"],
                    tmp_path / FILES["effectifs_college"], edit)
    result = sources.read("effectifs_college", path)
    assert result.ok, [p.format() for p in result.problems]
    assert set(result.frame["level"].unique()) == {"6e", "5e", "4e", "3e"}


def test_rows_outside_the_region_are_dropped(effectifs_dir: Path, tmp_path: Path):
    def edit(rows):
        extra = list(rows[1])
        extra[rows[0].index("numero_lycee")] = "0750655E"
        rows.append(extra)
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_lycee_gt"],
                    tmp_path / FILES["effectifs_lycee_gt"], edit)
    result = sources.read("effectifs_lycee_gt", path)
    assert result.ok, [p.format() for p in result.problems]
    assert "0750655E" not in set(result.frame["uai"])


# --------------------------------------------------------------------------- broken inputs


def test_girls_plus_boys_not_total_is_reported(effectifs_dir: Path, tmp_path: Path):
    def edit(rows):
        _set(rows, 4, "2ndes_gt_filles", str(int(_get(rows, 4, "2ndes_gt_filles")) + 3))
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_lycee_gt"],
                    tmp_path / FILES["effectifs_lycee_gt"], edit)
    (problem,) = sources.read("effectifs_lycee_gt", path).errors
    assert problem.file == FILES["effectifs_lycee_gt"] and problem.lines == [4]
    assert problem.column == "2ndes_gt" and "filles + garçons = total" in problem.expected


def test_text_in_a_count_is_reported(effectifs_dir: Path, tmp_path: Path):
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_college"],
                    tmp_path / FILES["effectifs_college"], lambda rows: _set(rows, 6, "6emes_garcons", "douze"))
    errors = sources.read("effectifs_college", path).errors
    problem = next(p for p in errors if p.column == "6emes_garcons")
    assert problem.file == FILES["effectifs_college"] and problem.lines == [6]
    assert "entier" in problem.expected


def test_uai_check_letter_is_verified(effectifs_dir: Path, tmp_path: Path):
    def edit(rows):
        uai = _get(rows, 3, "numero_lycee")
        _set(rows, 3, "numero_lycee", uai[:7] + ("A" if uai[-1] != "A" else "B"))
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_lycee_pro"],
                    tmp_path / FILES["effectifs_lycee_pro"], edit)
    (problem,) = sources.read("effectifs_lycee_pro", path).errors
    assert problem.lines == [3] and problem.column == "numero_lycee" and "lettre clé" in problem.expected


def test_duplicated_establishment_year_is_reported(effectifs_dir: Path, tmp_path: Path):
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_lycee_pro"],
                    tmp_path / FILES["effectifs_lycee_pro"], lambda rows: rows.append(list(rows[2])))
    (problem,) = sources.read("effectifs_lycee_pro", path).errors
    assert problem.column == "numero_lycee" and 3 in problem.lines and "une seule ligne" in problem.expected


def test_levels_over_the_total_are_reported(effectifs_dir: Path, tmp_path: Path):
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_college"],
                    tmp_path / FILES["effectifs_college"], lambda rows: _set(rows, 8, "nombre_eleves_total", "3"))
    (problem,) = sources.read("effectifs_college", path).errors
    assert problem.lines == [8] and problem.column == "nombre_eleves_total"
    assert "inférieure ou égale" in problem.expected


def test_missing_level_column_is_reported(effectifs_dir: Path, tmp_path: Path):
    path = _rewrite(effectifs_dir / "effectifs" / FILES["effectifs_lycee_gt"],
                    tmp_path / FILES["effectifs_lycee_gt"],
                    lambda rows: _set(rows, 1, "terminales_g_filles", "terminales_g_f"))
    (problem,) = sources.read("effectifs_lycee_gt", path).errors
    assert problem.lines == [1] and "terminales_g_filles" in problem.expected


# --------------------------------------------------------------------------- real sample


@pytest.mark.real_samples
def test_real_lycee_gt_extract_loads(real_samples: Path):
    result = sources.read("effectifs_lycee_gt", real_samples / "fr-en-lycee_gt-effectifs-niveau-sexe-lv.na.csv")
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame
    assert sorted(frame["period"].unique()) == ["2019-2020", "2020-2021", "2021-2022"]
    row = frame[(frame["uai"] == "0240005A") & (frame["period"] == "2020-2021")].set_index("level")
    assert (row.loc["2nde_gt", "pupils"], row.loc["2nde_gt", "girls"], row.loc["2nde_gt", "boys"]) == (493, 263, 230)
    assert row.loc["tle_g", "pupils"] == 325
    assert row.loc["tle_sthr", "girls"] is pd.NA  # totals only
    assert set(frame["department"].unique()) == {"16", "17", "19", "23", "24", "33", "40", "47", "64", "79",
                                                 "86", "87"}
    assert set(frame["sector"].unique()) == {"public", "private"}


@pytest.mark.real_samples
def test_demo_lycee_gt_header_is_the_real_one(real_samples: Path):
    real = (real_samples / "fr-en-lycee_gt-effectifs-niveau-sexe-lv.na.csv").read_text(encoding="utf-8")
    assert real.splitlines()[0].split(";") == depp.gt_header()
