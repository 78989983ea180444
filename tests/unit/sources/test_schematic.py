"""The ``schematic`` and ``cadres`` loaders: demo files, injected effects, broken copies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import sources
from drane_analysis.demo import formation as demo_formation
from drane_analysis.demo.world import load_demo_params
from drane_analysis.sources.schematic import DOMAINS

SCHEMATIC_SAMPLE = "schematic/bordeaux/schematic_2021-2022.csv"
CADRES_SAMPLE = "cadres/poitiers/cadres_2022-2023.csv"


@pytest.fixture(scope="module")
def data(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("formation") / "data"
    demo_formation.write(world, out)
    return out


@pytest.fixture(scope="module")
def schematic(data: Path) -> pd.DataFrame:
    return sources.load("schematic", data, use_cache=False)


@pytest.fixture(scope="module")
def cadres(data: Path) -> pd.DataFrame:
    return sources.load("cadres", data, use_cache=False)


@pytest.fixture(scope="module")
def params() -> dict:
    return load_demo_params("formation")


def rows_of(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_text(encoding="utf-8-sig").splitlines()]


def read_broken(name: str, data: Path, tmp_path: Path, sample: str,
                *edits: Callable[[list[list[str]]], None]):
    rows = rows_of(data / sample)
    for edit in edits:
        edit(rows)
    dst = tmp_path / sample
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\ufeff" + "\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    result = sources.read(name, dst, base=tmp_path)
    assert not result.ok
    return result.errors


def set_cell(line: int, header: str, value: str) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[line - 1][rows[0].index(header)] = value
    return edit


def find_line(data: Path, sample: str, header: str, predicate: Callable[[str], bool]) -> int:
    """First line (1 = header) whose cell under ``header`` satisfies ``predicate``."""
    rows = rows_of(data / sample)
    pos = rows[0].index(header)
    return next(i + 1 for i, r in enumerate(rows) if i > 0 and predicate(r[pos]))


def the_problem(errors, column: str, sample: str):
    found = [p for p in errors if p.column == column]
    assert found, [p.format() for p in errors]
    assert found[0].file == sample
    return found[0]


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame.groupby(["uai", "period"])["assessment_date"].transform("max")
    return frame[frame["assessment_date"] == last]


# =========================================================================== schematic


def test_demo_schematic_loads_long_and_tidy(data: Path, schematic: pd.DataFrame):
    assert len(list((data / "schematic").rglob("*.csv"))) == 18
    assert list(schematic.columns) == ["uai", "period", "assessment_date", "domain", "level",
                                       "department", "academy"]
    assert str(schematic["level"].dtype) == "Int64"
    assert set(schematic["domain"].unique()) == set(DOMAINS)
    assert schematic["level"].between(1, 4).all()
    assert not schematic.duplicated(["uai", "assessment_date", "domain"]).any()
    assert (schematic["department"] == schematic["uai"].str.slice(1, 3)).all()
    assert "assessor" not in schematic.columns
    # Some establishments assess twice in a year; some domains are left blank.
    per_year = schematic.groupby(["uai", "period"])["assessment_date"].nunique()
    assert (per_year == 2).any()
    assert (schematic.groupby(["uai", "assessment_date"]).size() < len(DOMAINS)).any()


def test_period_is_derived_from_the_date_when_missing(data: Path, tmp_path: Path):
    rows = rows_of(data / SCHEMATIC_SAMPLE)
    pos = rows[0].index("Année scolaire")
    for r in rows:
        del r[pos]
    dst = tmp_path / SCHEMATIC_SAMPLE
    dst.parent.mkdir(parents=True)
    dst.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    result = sources.read("schematic", dst, base=tmp_path)
    assert result.ok, [p.format() for p in result.problems]
    assert set(result.frame["period"]) == {"2021-2022"}


def test_schematic_level_out_of_range(data: Path, tmp_path: Path):
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE,
                         set_cell(3, "Usages pédagogiques", "5"))
    problem = the_problem(errors, "Usages pédagogiques", SCHEMATIC_SAMPLE)
    assert problem.lines == [3] and "≤ 4" in problem.expected


def test_schematic_invalid_uai_check_letter(data: Path, tmp_path: Path):
    uai = rows_of(data / SCHEMATIC_SAMPLE)[1][0]
    wrong = uai[:7] + ("A" if uai[7] != "A" else "B")
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE, set_cell(2, "UAI", wrong))
    problem = the_problem(errors, "UAI", SCHEMATIC_SAMPLE)
    assert problem.lines == [2] and problem.found == wrong


def test_schematic_date_outside_the_school_year(data: Path, tmp_path: Path):
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE,
                         set_cell(4, "Date de l'auto-évaluation", "02/09/2022"))
    problem = the_problem(errors, "Date de l'auto-évaluation", SCHEMATIC_SAMPLE)
    assert problem.lines == [4] and "année scolaire" in problem.expected


def test_schematic_renamed_domain_column(data: Path, tmp_path: Path):
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE,
                         set_cell(1, "Formation et accompagnement", "Formations"))
    (problem,) = errors
    assert problem.file == SCHEMATIC_SAMPLE and problem.lines == [1]
    assert "Formation et accompagnement" in problem.expected


def test_schematic_duplicated_assessment(data: Path, tmp_path: Path):
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE,
                         lambda rows: rows.append(list(rows[2])))
    problem = the_problem(errors, "UAI", SCHEMATIC_SAMPLE)
    assert problem.lines[0] == 3 and "une seule ligne" in problem.expected


def test_schematic_row_without_any_level(data: Path, tmp_path: Path):
    edits = [set_cell(5, label, "") for label in DOMAINS.values()]
    errors = read_broken("schematic", data, tmp_path, SCHEMATIC_SAMPLE, *edits)
    problem = the_problem(errors, "UAI", SCHEMATIC_SAMPLE)
    assert problem.lines == [5] and "au moins un domaine" in problem.expected


def test_usage_share_by_academy(world, schematic: pd.DataFrame, params: dict):
    """Share of open secondary establishments with an assessment: the demo's targets."""
    usage = params["schematic"]["usage"]
    shares = {}
    for period in world.periods:
        universe = world.open_in(period)
        universe = universe[universe["uai"].isin(world.secondary["uai"])]
        used = universe["uai"].isin(schematic.loc[schematic["period"] == period, "uai"])
        shares[period] = used.groupby(universe["academy"]).mean()
        shares[period]["region"] = used.mean()
    table = pd.DataFrame(shares).T
    for academy, spec in usage.items():
        assert table[academy].iloc[0] == pytest.approx(spec["first"], abs=0.03)
        assert table[academy].iloc[-1] == pytest.approx(spec["last"], abs=0.03)
        assert table[academy].is_monotonic_increasing
    assert 0.17 < table["region"].iloc[0] < 0.20  # just under the roadmap's 20 %
    assert table.loc["2020-2021", "bordeaux"] > table.loc["2020-2021", "poitiers"] \
        > table.loc["2020-2021", "limoges"]


def test_same_establishments_reassess_and_mature(world, schematic: pd.DataFrame, params: dict):
    latest = _latest(schematic)
    mean = latest.astype({"level": float}).pivot_table(index="uai", columns="period", values="level",
                                                        aggfunc="mean")
    territory = world.establishments.set_index("uai")["territory"]
    changes, rural, urban = [], [], []
    for a, b in zip(world.periods[:-1], world.periods[1:], strict=True):
        both = mean[[a, b]].dropna()
        assert len(both) >= 0.85 * mean[a].notna().sum()  # users come back the next year
        delta = both[b] - both[a]
        changes.append(delta.mean())
        by = delta.groupby(territory.reindex(delta.index)).mean()
        rural.append(by["rural"])
        urban.append(by["urban"])
    growth = params["schematic"]["yearly_growth"]
    assert sum(changes) / len(changes) == pytest.approx(0.15, abs=0.04)
    assert sum(urban) / len(urban) == pytest.approx(growth, abs=0.04)
    assert sum(rural) / len(rural) < sum(urban) / len(urban) - 0.03


def test_rural_establishments_are_less_mature(world, schematic: pd.DataFrame):
    latest = _latest(schematic)
    territory = latest["uai"].map(world.establishments.set_index("uai")["territory"])
    by = latest.groupby(territory)["level"].mean()
    assert by["rural"] < by["urban"] - 0.1


# =========================================================================== cadres


def test_demo_cadres_load_typed_and_tidy(cadres: pd.DataFrame):
    assert list(cadres.columns) == ["period", "academy", "department", "function", "uai",
                                    "person_id", "is_trained", "training_date"]
    assert not {"last_name", "first_name"} & set(cadres.columns)
    assert str(cadres["is_trained"].dtype) == "boolean"
    assert set(cadres["function"].unique()) == {"head", "deputy_head", "ien", "ia_ipr"}
    inspectors = cadres["function"].isin(["ien", "ia_ipr"])
    assert cadres.loc[inspectors, "uai"].isna().all()
    assert cadres.loc[~inspectors, "uai"].notna().all()
    assert cadres.loc[cadres["function"] == "ia_ipr", "department"].isna().all()
    assert not cadres.duplicated(["period", "person_id"]).any()
    dated = cadres["training_date"].notna()
    assert cadres.loc[dated, "is_trained"].all()


def test_cadres_sizes_follow_the_world(world, cadres: pd.DataFrame, params: dict):
    first = cadres[cadres["period"] == world.periods[0]]
    heads = first[first["function"] == "head"].groupby("academy").size()
    assert heads.to_dict() == world.params["secondary_2020"]  # one head per establishment
    schools = world.establishments[world.establishments["kind"] == "ecole"].groupby("department").size()
    ien = first[(first["function"] == "ien") & first["department"].notna()].groupby("department").size()
    expected = (schools / params["cadres"]["schools_per_ien"]).round().clip(lower=1)
    assert (ien.reindex(expected.index) == expected).all()


def test_trained_share_by_academy(cadres: pd.DataFrame, params: dict):
    share = cadres.astype({"is_trained": float}).pivot_table(
        index="period", columns="academy", values="is_trained", aggfunc="mean")
    for academy, spec in params["cadres"]["trained"].items():
        assert share[academy].iloc[0] == pytest.approx(spec["first"], abs=0.01)
        assert share[academy].iloc[-1] == pytest.approx(spec["last"], abs=0.01)
        assert share[academy].is_monotonic_increasing


def test_people_keep_their_id_with_some_turnover(cadres: pd.DataFrame, params: dict):
    periods = sorted(cadres["period"].unique())
    a = set(cadres.loc[cadres["period"] == periods[0], "person_id"])
    b = set(cadres.loc[cadres["period"] == periods[1], "person_id"])
    assert len(a & b) / len(a) == pytest.approx(1 - params["cadres"]["turnover"], abs=0.03)


def test_cadres_bad_trained_value(data: Path, tmp_path: Path):
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE, set_cell(2, "Formé", "Peut-être"))
    problem = the_problem(errors, "Formé", CADRES_SAMPLE)
    assert problem.lines == [2] and "Oui / Non" in problem.expected


def test_cadres_training_date_without_training(data: Path, tmp_path: Path):
    line = find_line(data, CADRES_SAMPLE, "Formé", lambda v: v == "Non")
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE,
                         set_cell(line, "Date de formation", "12/01/2023"))
    problem = the_problem(errors, "Date de formation", CADRES_SAMPLE)
    assert problem.lines == [line] and "Formé" in problem.expected


def test_cadres_training_date_outside_the_year(data: Path, tmp_path: Path):
    line = find_line(data, CADRES_SAMPLE, "Date de formation", lambda v: v != "")
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE,
                         set_cell(line, "Date de formation", "12/01/2022"))
    problem = the_problem(errors, "Date de formation", CADRES_SAMPLE)
    assert problem.lines == [line] and "année scolaire" in problem.expected


def test_cadres_head_without_uai_and_uai_elsewhere(data: Path, tmp_path: Path):
    head = find_line(data, CADRES_SAMPLE, "Fonction", lambda v: v == "Principal")
    other = find_line(data, CADRES_SAMPLE, "Fonction", lambda v: v == "Proviseur")
    rows = rows_of(data / CADRES_SAMPLE)
    dept = rows[other - 1][rows[0].index("Département")]
    elsewhere = "79" if dept != "79" else "86"  # another department of the same academy
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE,
                         set_cell(head, "UAI d'affectation", ""),
                         set_cell(other, "Département", elsewhere))
    no_uai = the_problem(errors, "Fonction", CADRES_SAMPLE)
    assert no_uai.lines == [head] and "UAI" in no_uai.expected
    moved = [p for p in errors if p.column == "UAI d'affectation"]
    assert moved and moved[0].lines == [other] and "département" in moved[0].expected


def test_cadres_inspector_in_another_academy(data: Path, tmp_path: Path):
    line = find_line(data, CADRES_SAMPLE, "Fonction", lambda v: v == "IEN")
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE, set_cell(line, "Département", "33"))
    (problem,) = errors  # the file also holds IA-IPR rows without a department: not judged
    assert problem.file == CADRES_SAMPLE and problem.column == "Département"
    assert problem.lines == [line] and "académie" in problem.expected


def test_cadres_duplicated_person(data: Path, tmp_path: Path):
    errors = read_broken("cadres", data, tmp_path, CADRES_SAMPLE,
                         lambda rows: rows.append(list(rows[1])))
    problem = the_problem(errors, "Année scolaire", CADRES_SAMPLE)
    assert problem.lines[0] == 2 and "Identifiant" in problem.expected
