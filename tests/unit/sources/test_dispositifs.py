"""Our own contracts of the DRANE's schemes (targets 1.4, 2.1, 2.2, 2.3): demo files, broken
copies, cross-source robot rules, determinism and the effects injected in the demo data."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drane_analysis import referential, sources
from drane_analysis.demo import dispositifs as demo_dispositifs
from drane_analysis.demo.world import load_demo_params
from drane_analysis.sources.dispositifs import _overlapping, robot_months, robot_reference_problems

SOURCES = ("parentalite", "robots", "robots_affectations", "inclusion_recherche_enseignants",
           "inclusion_recherche", "incubateurs", "pratiques_samr", "agents_conversationnels")
TIDY_COLUMNS = {
    "parentalite": ["structure_type", "structure_id", "name", "uai", "commune_code", "department",
                    "academy", "start", "end"],
    "robots": ["robot_id", "degree", "department", "academy", "purchase_date", "status",
               "retirement_date", "model"],
    "robots_affectations": ["robot_id", "uai", "department", "academy", "start", "end", "pupil_id",
                            "reason"],
    "inclusion_recherche_enseignants": ["registration_id", "uai", "department", "academy", "degree",
                                        "laboratory", "session_date", "period", "hours", "completed"],
    "inclusion_recherche": ["pupil_id", "laboratory", "uai", "department", "academy", "entry_date",
                            "period", "exit_date"],
    "incubateurs": ["period", "uai", "name", "department", "academy", "staff", "staff_certified",
                    "trainer_teachers", "has_structured_project", "has_cardie_experiment",
                    "has_varied_practice"],
    "pratiques_samr": ["response_id", "uai", "department", "academy", "date", "period", "discipline",
                       "level", "samr_level"],
    "agents_conversationnels": ["period", "uai", "department", "academy", "agent", "classes_using",
                                "sessions", "pupils", "first_use_date"],
}
PERSONAL_HEADERS = ("Référent", "Courriel du référent", "Nom", "Prénom", "Courriel",
                    "Chef d'établissement", "Description", "Nom du déclarant")
RURAL = ["23", "19", "24", "47", "79", "16"]


@pytest.fixture(scope="module")
def demo_data(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dispositifs")
    demo_dispositifs.write(world, out)
    return out


@pytest.fixture(scope="module")
def frames(demo_data: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name in SOURCES:
        result = sources.read(name, sources.contract(name).files(demo_data), base=demo_data)
        assert result.ok, [p.format() for p in result.problems]
        out[name] = result.frame
    return out


@pytest.fixture(scope="module")
def params() -> dict:
    return load_demo_params("dispositifs")


# --------------------------------------------------------------------------- demo files load


def test_demo_files_load_through_generate(make_demo):
    data = make_demo("dispositifs")
    for name in SOURCES:
        frame = sources.load(name, data, use_cache=False)
        assert list(frame.columns) == TIDY_COLUMNS[name], name
        assert len(frame) > 0


@pytest.mark.parametrize("name", SOURCES)
def test_demo_source_is_typed_and_tidy(frames, name):
    frame = frames[name]
    assert list(frame.columns) == TIDY_COLUMNS[name]
    assert set(frame["academy"].dropna().unique()) <= set(referential.ACADEMIES)
    assert frame["department"].str.len().eq(2).all()
    assert not any(h in frame.columns for h in PERSONAL_HEADERS)
    dtypes = frame.dtypes.astype(str).to_dict()
    for column, dtype in dtypes.items():
        if column in ("start", "end", "purchase_date", "retirement_date", "session_date",
                      "entry_date", "exit_date", "date", "first_use_date"):
            assert dtype.startswith("datetime64"), (column, dtype)
        elif column in ("staff", "staff_certified", "trainer_teachers", "classes_using", "sessions",
                        "pupils"):
            assert dtype == "Int64", (column, dtype)
        elif column.startswith("has_") or column == "completed":
            assert dtype == "boolean", (column, dtype)
        elif column == "hours":
            assert dtype == "Float64"
        else:
            assert dtype in ("string", "str"), (column, dtype)


def test_categories_are_tidy_values(frames):
    assert set(frames["parentalite"]["structure_type"]) == {"service_establishment", "france_services"}
    assert set(frames["robots"]["degree"]) == {"first", "second"}
    assert set(frames["robots"]["status"]) == {"active", "repair", "retired"}
    assert set(frames["robots_affectations"]["reason"]) <= {"long_illness", "hospitalisation",
                                                             "disability", "accident", "other"}
    assert set(frames["inclusion_recherche"]["laboratory"]) == {"inria", "cerca"}
    assert set(frames["pratiques_samr"]["samr_level"]) == {"S", "A", "M", "R"}


def test_personal_columns_never_reach_the_frame(demo_data, frames):
    raw = (demo_data / "inclusion" / "enseignants_formes.csv").read_text(encoding="utf-8-sig")
    first_row = raw.splitlines()[1].split(";")
    last_name, email = first_row[1], first_row[3]
    frame = frames["inclusion_recherche_enseignants"]
    text = frame.astype(str).to_csv()
    assert last_name not in text and email not in text


# --------------------------------------------------------------------------- broken inputs


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=";", lineterminator="\n").writerows(rows)


def _col(rows: list[list[str]], header: str) -> int:
    return rows[0].index(header)


def _set(header: str, index: int, value: str,
         named: str | None = None) -> Callable[[list[list[str]]], tuple[list[int], str]]:
    """Mutation: set a cell of row ``index`` (0 = header line).

    Returns the lines the problem must name and its column: ``header``, or ``named`` when a
    rule reports on another column (a rule names the first column it reads).
    """
    def mutate(rows):
        rows[index][_col(rows, header)] = value
        return [index + 1], named or header
    return mutate


def _duplicate(index: int, header: str):
    def mutate(rows):
        rows.insert(index + 1, list(rows[index]))
        return [index + 1, index + 2], header
    return mutate


def _rename(header: str, new: str):
    def mutate(rows):
        rows[0][_col(rows, header)] = new
        return [1], None
    return mutate


def _wrong_check_letter(header: str, index: int):
    def mutate(rows):
        pos = _col(rows, header)
        uai = rows[index][pos]
        rows[index][pos] = uai[:7] + ("A" if uai[7] != "A" else "B")
        return [index + 1], header
    return mutate


def _first_row(rows, header, predicate) -> int:
    pos = _col(rows, header)
    return next(i for i in range(1, len(rows)) if predicate(rows[i][pos]))


def _robot_overlap(rows):
    """Make the second of two consecutive assignments of one robot start on the first's end."""
    robot, start, end = _col(rows, "N° robot"), _col(rows, "Date de début"), _col(rows, "Date de fin")
    i = next(i for i in range(1, len(rows) - 1)
             if rows[i][robot] == rows[i + 1][robot] and rows[i][end])
    rows[i + 1][start] = rows[i][end]
    return [i + 1, i + 2], "N° robot"


def _sessions_below_classes(rows):
    i = _first_row(rows, "Classes utilisatrices", lambda v: int(v) >= 2)
    rows[i][_col(rows, "Séances")] = "1"
    return [i + 1], "Séances"


def _used_without_first_use(rows):
    i = _first_row(rows, "Classes utilisatrices", lambda v: int(v) >= 1)
    rows[i][_col(rows, "Date de première utilisation")] = ""
    return [i + 1], "Classes utilisatrices"


def _certified_over_staff(rows):
    staff = int(rows[2][_col(rows, "Personnels")])
    rows[2][_col(rows, "Personnels certifiés Pix / Pix+ Édu")] = str(staff + 1)
    return [3], "Personnels certifiés Pix / Pix+ Édu"


OUTSIDE_UAI = referential.make_uai("75", 1234)

BROKEN = [
    # source, file, mutation, fragment of the expected text
    ("parentalite", "parentalite/structures_parentalite.csv", _rename("Type de structure", "Typologie"),
     "« Type de structure »"),
    ("parentalite", "parentalite/structures_parentalite.csv", _set("Date de fin", 1, "01/01/2019"),
     "date de fin postérieure"),
    ("parentalite", "parentalite/structures_parentalite.csv", _set("UAI", 2, "", named="Type de structure"),
     "un UAI pour chaque"),
    ("parentalite", "parentalite/structures_parentalite.csv", _set("Date de début", 3, "2021-31-12"),
     "JJ/MM/AAAA"),
    ("parentalite", "parentalite/structures_parentalite.csv", _set("Département", 1, "94"),
     "Nouvelle-Aquitaine"),
    ("parentalite", "parentalite/structures_parentalite.csv", _wrong_check_letter("UAI", 1), "lettre clé"),
    ("robots", "robots/inventaire_robots.csv", _set("Degré", 3, "3e degré"), "1er degré"),
    ("robots", "robots/inventaire_robots.csv", _duplicate(2, "N° robot"), "une seule ligne par"),
    ("robots", "robots/inventaire_robots.csv", _set("Statut", 4, "Réformé"), "date de réforme pour"),
    ("robots", "robots/inventaire_robots.csv", _set("Date de réforme", 5, "01/01/2019"),
     "postérieure ou égale à la date d'achat"),
    ("robots_affectations", "robots/affectations_robots.csv", _robot_overlap, "un seul élève à la fois"),
    ("robots_affectations", "robots/affectations_robots.csv", _set("Date de fin", 2, "01/09/2020"),
     "date de fin postérieure"),
    ("robots_affectations", "robots/affectations_robots.csv", _set("Identifiant élève", 3, "Léa Martin"),
     "jamais un nom"),
    ("robots_affectations", "robots/affectations_robots.csv", _wrong_check_letter("UAI", 4), "lettre clé"),
    ("robots_affectations", "robots/affectations_robots.csv", _set("Motif", 5, "Vacances"), "MLD"),
    ("inclusion_recherche_enseignants", "inclusion/enseignants_formes.csv",
     _set("Formation suivie", 2, "Peut-être"), "Oui / Non"),
    ("inclusion_recherche_enseignants", "inclusion/enseignants_formes.csv",
     _set("Laboratoire", 3, "CNRS"), "CeRCA"),
    ("inclusion_recherche_enseignants", "inclusion/enseignants_formes.csv",
     _duplicate(4, "N° inscription"), "une seule ligne par"),
    ("inclusion_recherche_enseignants", "inclusion/enseignants_formes.csv",
     _set("UAI d'exercice", 5, OUTSIDE_UAI), "Nouvelle-Aquitaine"),
    ("inclusion_recherche_enseignants", "inclusion/enseignants_formes.csv",
     _set("Durée (h)", 6, "trois heures"), "un nombre"),
    ("inclusion_recherche", "inclusion/eleves_module_partage.csv",
     _set("Date de sortie", 1, "01/01/2020"), "date de sortie postérieure"),
    ("inclusion_recherche", "inclusion/eleves_module_partage.csv",
     _set("Identifiant élève", 2, "MARTIN"), "jamais un nom"),
    ("inclusion_recherche", "inclusion/eleves_module_partage.csv",
     _set("Date d'entrée", 3, "31/02/2021"), "JJ/MM/AAAA"),
    ("incubateurs", "incubateurs/candidatures_2021-2022.csv", _certified_over_staff,
     "inférieur ou égal aux personnels"),
    ("incubateurs", "incubateurs/candidatures_2021-2022.csv", _set("Personnels", 4, "douze"),
     "un nombre entier"),
    ("incubateurs", "incubateurs/candidatures_2021-2022.csv", _duplicate(5, "Année scolaire"),
     "une seule ligne par"),
    ("incubateurs", "incubateurs/candidatures_2021-2022.csv", _set("Année scolaire", 6, "2021-2023"),
     "année scolaire"),
    ("incubateurs", "incubateurs/candidatures_2021-2022.csv",
     _set("Projet numérique structuré", 7, "En cours"), "Oui / Non"),
    ("pratiques_samr", "incubateurs/pratiques_samr_2020-2021.csv", _set("Niveau SAMR", 2, "X"),
     "Redéfinition"),
    ("pratiques_samr", "incubateurs/pratiques_samr_2020-2021.csv", _rename("Niveau SAMR", "Echelle"),
     "« Niveau SAMR »"),
    ("pratiques_samr", "incubateurs/pratiques_samr_2020-2021.csv",
     _set("Date de la séance", 3, "2020-13-01"), "JJ/MM/AAAA"),
    ("pratiques_samr", "incubateurs/pratiques_samr_2020-2021.csv", _set("Niveau", 4, "Maternelle"),
     "l'une des valeurs"),
    ("agents_conversationnels", "voie_pro/agents_conversationnels_2021-2022.csv",
     _sessions_below_classes, "au moins autant de séances"),
    ("agents_conversationnels", "voie_pro/agents_conversationnels_2021-2022.csv",
     _used_without_first_use, "date de première utilisation quand"),
    ("agents_conversationnels", "voie_pro/agents_conversationnels_2021-2022.csv",
     _set("Date de première utilisation", 2, "15/09/2019"), "dans l'année scolaire"),
    ("agents_conversationnels", "voie_pro/agents_conversationnels_2021-2022.csv",
     _set("Classes utilisatrices", 3, "-1"), "≥ 0"),
]


@pytest.mark.parametrize(("name", "rel", "mutate", "fragment"), BROKEN,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_broken_input_names_file_line_and_column(demo_data, tmp_path, name, rel, mutate, fragment):
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    path = data / rel
    rows = _rows(path)
    lines, column = mutate(rows)
    _write_rows(path, rows)
    result = sources.read(name, sources.contract(name).files(data), base=data)
    assert not result.ok
    matching = [p for p in result.errors if fragment in p.expected]
    assert matching, [p.format() for p in result.errors]
    problem = matching[0]
    assert problem.file == rel
    assert set(lines) <= set(problem.lines), problem.format()
    if column is None:  # a missing column: the header line, the column named in the text
        assert problem.lines == [1]
    else:
        assert problem.column == column, problem.format()


def test_overlap_problem_names_both_lines(demo_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    path = data / "robots" / "affectations_robots.csv"
    rows = _rows(path)
    lines, _ = _robot_overlap(rows)
    _write_rows(path, rows)
    result = sources.read("robots_affectations", sources.contract("robots_affectations").files(data),
                          base=data)
    (problem,) = [p for p in result.errors if "à la fois" in p.expected]
    assert problem.lines == lines
    assert "lignes" in problem.format()


def test_unknown_robot_in_the_log_is_a_problem(demo_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data, data)
    assert robot_reference_problems(data) == []
    path = data / "robots" / "affectations_robots.csv"
    rows = _rows(path)
    rows[7][0] = "R9D-099-999"
    _write_rows(path, rows)
    (problem,) = robot_reference_problems(data)
    assert problem.file == "robots/affectations_robots.csv"
    assert problem.lines == [8]
    assert problem.column == "N° robot"
    assert problem.found == "R9D-099-999"
    assert "inventaire" in problem.format()


# --------------------------------------------------------------------------- helpers on inline frames


def test_overlapping_marks_every_row_of_an_overlap():
    day = pd.Timestamp
    frame = pd.DataFrame({
        "robot_id": ["A", "A", "A", "A", "B", "B"],
        "start": [day("2021-09-01"), day("2021-09-05"), day("2021-10-01"), day("2021-10-20"),
                  day("2021-09-01"), day("2021-09-11")],
        "end": [day("2021-09-10"), day("2021-09-15"), pd.NaT, day("2021-10-25"),
                day("2021-09-10"), day("2021-09-20")],
    })
    assert _overlapping(frame, "robot_id", "start", "end").tolist() == [True, True, True, True,
                                                                         False, False]


def test_robot_months_counts_fleet_and_assigned_days():
    robots = pd.DataFrame({"robot_id": ["R1"], "degree": ["first"], "department": ["33"],
                           "academy": ["bordeaux"], "purchase_date": [pd.Timestamp("2021-09-10")],
                           "retirement_date": [pd.NaT]})
    assignments = pd.DataFrame({
        "robot_id": ["R1", "R1"], "department": ["33", "24"],
        "start": [pd.Timestamp("2021-09-20"), pd.Timestamp("2021-10-20")],
        "end": [pd.Timestamp("2021-10-05"), pd.NaT],
    })
    months = robot_months(robots, assignments, as_of="2021-10-31")
    assert months["month"].dt.strftime("%Y-%m").tolist() == ["2021-09", "2021-10"]
    assert months["days_in_fleet"].tolist() == [21, 31]
    assert months["days_assigned"].tolist() == [11, 17]
    assert months["assigned_department"].tolist() == ["33", "24"]
    assert (months["period"] == "2021-2022").all()


# --------------------------------------------------------------------------- determinism


def test_writer_is_deterministic(world, tmp_path):
    first = demo_dispositifs.write(world, tmp_path / "a")
    second = demo_dispositifs.write(world, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert first[0].read_bytes().startswith("\ufeff".encode())


# --------------------------------------------------------------------------- effects


def _active(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    first, last = pd.Timestamp(f"{period[:4]}-09-01"), pd.Timestamp(f"{period[5:]}-08-31")
    return frame[(frame["start"] <= last) & (frame["end"].isna() | (frame["end"] >= first))]


def test_parent_structures_follow_the_plan(world, frames, params):
    p = params["parentalite"]
    frame = frames["parentalite"]
    for t, period in enumerate(world.periods):
        active = _active(frame, period)
        es = active[active["structure_type"] == "service_establishment"]
        assert len(es) == p["service_establishments"][t]
        mfs = active[active["structure_type"] == "france_services"].groupby("academy").size()
        for academy, counts in p["france_services"].items():
            assert mfs.get(academy, 0) == counts[t]
    first = _active(frame, "2020-2021")
    assert "limoges" not in set(first.loc[first["structure_type"] == "france_services", "academy"])


def test_robot_deployment_and_service_rate(world, frames, params):
    p = params["robots"]
    months = robot_months(frames["robots"], frames["robots_affectations"], p["export_date"])
    deployed = months[months["days_assigned"] > 0].groupby(["period", "degree"])["robot_id"].nunique()
    for t, period in enumerate(world.periods):
        assert deployed[(period, "first")] == p["deployed"]["first"][t]
        assert deployed[(period, "second")] == p["deployed"]["second"][t]
    assert deployed[("2020-2021", "first")] < 80 <= deployed[("2020-2021", "second")]
    fleet = frames["robots"].groupby("degree").size()
    assert fleet["first"] == 122 and fleet["second"] == 117
    assert (frames["robots"]["purchase_date"] <= pd.Timestamp("2021-01-15")).all()
    school = months[~months["month"].dt.month.isin([7, 8])]
    school = school.assign(rural=school["department"].isin(params["rural_departments"]))
    sums = school.groupby(["period", "rural"])[["days_assigned", "days_in_fleet"]].sum()
    rate = sums["days_assigned"] / sums["days_in_fleet"]
    for period in world.periods[1:]:
        overall = (school.loc[school["period"] == period, "days_assigned"].sum()
                   / school.loc[school["period"] == period, "days_in_fleet"].sum())
        assert 0.6 <= overall <= 0.8, (period, overall)
        assert rate[(period, False)] - rate[(period, True)] >= 0.08, period


def test_research_strand_counts(world, frames, params):
    p = params["inclusion_research"]
    teachers = frames["inclusion_recherche_enseignants"]
    trained = teachers[teachers["completed"]].groupby("period").size()
    pupils = frames["inclusion_recherche"].groupby("period").size()
    assert trained["2020-2021"] == 17 < 20
    assert pupils["2020-2021"] == 44 < 50
    assert trained.tolist() == p["teachers_trained"]
    assert pupils.tolist() == p["pupils_entered"]
    for frame in (teachers, frames["inclusion_recherche"]):
        academies = {lab: set(part["academy"]) for lab, part in frame.groupby("laboratory")}
        assert academies == {"inria": {"bordeaux"}, "cerca": {"poitiers"}}


def test_incubators_grow_and_meet_criteria_more_often(world, frames, params):
    frame = frames["incubateurs"]
    sizes = frame.groupby("period").size()
    assert sizes.tolist() == params["incubateurs"]["candidates"]
    first = frame[frame["period"] == "2020-2021"]
    assert (first["academy"] == "poitiers").mean() > 0.6
    rule = params["incubateurs"]["all_criteria"]
    meets = ((frame["staff_certified"] / frame["staff"] >= rule["min_certified_share"])
             & (frame["trainer_teachers"] >= rule["min_trainer_teachers"])
             & frame["has_structured_project"] & frame["has_cardie_experiment"]
             & frame["has_varied_practice"])
    per_year = meets.groupby(frame["period"]).mean()
    assert per_year.iloc[-1] > per_year.iloc[0] + 0.2
    certified = frame.groupby("period")[["staff_certified", "staff"]].sum()
    share = certified["staff_certified"] / certified["staff"]
    assert share.iloc[0] < 0.25 and share.iloc[-1] > 0.35


def test_samr_transformative_share_grows(frames, params):
    frame = frames["pratiques_samr"]
    share = frame["samr_level"].isin(["M", "R"]).groupby(frame["period"]).mean()
    planned = params["pratiques_samr"]["transformative_share"]
    assert np.allclose(share.to_numpy(), planned, atol=0.01)
    assert share.iloc[0] == pytest.approx(0.20, abs=0.01)
    assert share.iloc[-1] == pytest.approx(0.38, abs=0.01)


def test_conversational_agents_share_pole_and_rural_lag(world, frames, params):
    frame = frames["agents_conversationnels"]
    users = frame[frame["classes_using"] > 0][["period", "uai"]].drop_duplicates()
    sec = world.secondary
    lycees = sec[(sec["kind"] == "lycee") & sec["lycee_type"].isin(["LP", "LPO"])]
    planned = params["agents_conversationnels"]["usage_share"]
    for t, period in enumerate(world.periods):
        open_now = lycees[lycees["opening_date"] <= pd.Timestamp(f"{period[5:]}-01-15")]
        used = open_now["uai"].isin(set(users.loc[users["period"] == period, "uai"]))
        assert used.mean() == pytest.approx(planned[t], abs=0.005)
        by_academy = used.groupby(open_now["academy"]).mean()
        assert by_academy["poitiers"] == by_academy.max()
        rural = open_now["department"].isin(RURAL)
        assert used[~rural].mean() - used[rural].mean() >= 0.05, period
    assert planned[0] < 0.30 < planned[-1]
    # Registered lycées without any use are in the files, with no first-use date.
    idle = frame[frame["classes_using"] == 0]
    assert len(idle) > 0 and idle["first_use_date"].isna().all()
