"""Steering sources (targets 2.4, 2.5, 3.1, 3.2): demo files, broken copies, demo effects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import referential, sources
from drane_analysis.demo import pilotage as demo_pilotage
from drane_analysis.demo.formats import write_plain_csv
from drane_analysis.demo.world import load_demo_params
from drane_analysis.paths import project_root
from drane_analysis.sources.base import ReadResult
from drane_analysis.sources.pilotage import select_active_relays

NAMES = ("projets_orientation", "eac_projets", "eac_ressources", "collectivites", "comites", "relais")

TIDY_COLUMNS = {
    "projets_orientation": {
        "project_id": "string", "title": "string", "programme": "string", "partner": "string",
        "academy": "string", "uai": "string", "department": "string", "date": "datetime64[ns]",
        "period": "string", "pupils": "Int64", "girls": "Int64",
    },
    "eac_projets": {
        "project_id": "string", "title": "string", "uai": "string", "period": "string",
        "category": "string", "domain": "string", "uses_digital": "boolean",
        "artist_intervention": "boolean", "artist_digital": "boolean", "practice_digital": "boolean",
        "pupils": "Int64", "department": "string", "academy": "string",
    },
    "eac_ressources": {
        "resource_id": "string", "resource_type": "string", "date": "datetime64[ns]", "title": "string",
        "url": "string", "academy": "string", "domain": "string", "period": "string",
    },
    "collectivites": {
        "authority_id": "string", "name": "string", "authority_type": "string", "department": "string",
        "partner_since": "datetime64[ns]", "partner_until": "datetime64[ns]", "academy": "string",
    },
    "comites": {
        "date": "datetime64[ns]", "authority_id": "string", "committee_type": "string",
        "academy": "string", "period": "string",
    },
    "relais": {
        "relay_id": "string", "function": "string", "uai": "string", "start_date": "datetime64[ns]",
        "end_date": "datetime64[ns]", "department": "string", "academy": "string",
    },
}


@pytest.fixture(scope="module")
def data(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilotage") / "data"
    demo_pilotage.write(world, out)
    return out


@pytest.fixture(scope="module")
def params() -> dict:
    return load_demo_params("pilotage")


def _load(name: str, data: Path) -> pd.DataFrame:
    return sources.load(name, data, use_cache=False)


# --------------------------------------------------------------------------- demo files load


@pytest.mark.parametrize("name", NAMES)
def test_demo_source_loads_typed_and_tidy(name: str, data: Path):
    frame = _load(name, data)
    assert len(frame) > 0
    assert {c: str(t) for c, t in frame.dtypes.items()} == TIDY_COLUMNS[name]
    assert not sources.contract(name).public_format


def test_names_and_free_text_are_dropped(data: Path):
    raw = (data / "relais" / "relais_numeriques.csv").read_text(encoding="utf-8-sig")
    a_last_name = raw.splitlines()[1].split(";")[1]
    relais = _load("relais", data)
    assert not {"last_name", "first_name", "email"} & set(relais.columns)
    assert not relais.astype(str).isin([a_last_name]).any().any()
    assert "teacher" not in _load("eac_projets", data).columns
    assert "description" not in _load("eac_projets", data).columns
    assert not {"minutes", "attendees"} & set(_load("comites", data).columns)
    assert "manager" not in _load("projets_orientation", data).columns


def test_demo_writer_is_deterministic(world, data: Path, tmp_path: Path):
    again = tmp_path / "again"
    demo_pilotage.write(world, again)
    first = sorted(p.relative_to(data) for p in data.rglob("*.csv"))
    second = sorted(p.relative_to(again) for p in again.rglob("*.csv"))
    assert first == second and len(first) == 38
    for rel in first:
        assert (data / rel).read_bytes() == (again / rel).read_bytes(), rel


# --------------------------------------------------------------------------- broken copies


def _broken(name: str, src: Path, tmp: Path, edit: Callable[[pd.DataFrame], pd.DataFrame | None]) -> ReadResult:
    """Copy a demo file (same name), let ``edit`` change its cells, read it back."""
    frame = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    edited = edit(frame)
    out = tmp / src.name
    write_plain_csv(edited if edited is not None else frame, out)
    return sources.read(name, out, base=tmp)


def _problem(result: ReadResult, file: str, column: str | None, line: int):
    assert not result.ok
    for p in result.errors:
        if p.file == file and p.column == column and line in p.lines:
            text = p.format()
            assert file in text and f"{line:,}".replace(",", "\u202f") in text
            if column:
                assert f"« {column} »" in text
            return p
    raise AssertionError([p.format() for p in result.problems])


def _set(row: int, column: str, value: str) -> Callable[[pd.DataFrame], None]:
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[row, column] = value
    return edit


ORIENTATION = "orientation/projets_orientation_2021-2022.csv"


def test_orientation_girls_over_pupils(data: Path, tmp_path: Path):
    src = data / ORIENTATION
    result = _broken("projets_orientation", src, tmp_path, _set(5, "Dont filles", "999999"))
    p = _problem(result, src.name, "Dont filles", 7)
    assert "inférieur ou égal" in p.expected


def test_orientation_text_in_count(data: Path, tmp_path: Path):
    src = data / ORIENTATION
    result = _broken("projets_orientation", src, tmp_path, _set(3, "Élèves touchés", "une classe"))
    p = _problem(result, src.name, "Élèves touchés", 5)
    assert p.found == "une classe"


def test_orientation_bad_uai_check_letter(data: Path, tmp_path: Path):
    src = data / ORIENTATION
    frame = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    row = int(frame.index[frame["UAI"] != ""][0])
    uai = frame.loc[row, "UAI"]
    wrong = uai[:7] + ("A" if uai[7] != "A" else "B")
    result = _broken("projets_orientation", src, tmp_path, _set(row, "UAI", wrong))
    p = _problem(result, src.name, "UAI", row + 2)
    assert "lettre clé" in p.expected


def test_orientation_date_outside_the_school_year_of_the_file(data: Path, tmp_path: Path):
    src = data / ORIENTATION
    result = _broken("projets_orientation", src, tmp_path, _set(2, "Date", "15/10/2012"))
    p = _problem(result, src.name, "Date", 4)
    assert "nom du fichier" in p.expected


def test_orientation_duplicated_project_and_renamed_column(data: Path, tmp_path: Path):
    src = data / ORIENTATION

    def dup(frame: pd.DataFrame) -> None:
        frame.loc[4, "Identifiant projet"] = frame.loc[1, "Identifiant projet"]

    p = _problem(_broken("projets_orientation", src, tmp_path, dup), src.name, "Identifiant projet", 6)
    assert 3 in p.lines and "une seule ligne" in p.expected

    renamed = _broken("projets_orientation", src, tmp_path,
                      lambda f: f.rename(columns={"Dispositif": "Type d'action"}))
    (missing,) = renamed.errors
    assert missing.file == src.name and missing.lines == [1] and "« Dispositif »" in missing.expected


def test_orientation_accepts_a_share_of_girls_and_any_file_name(tmp_path: Path):
    path = tmp_path / "actions orientation (projets).csv"
    path.write_text(
        "Identifiant;Intitulé;Programme;Académie;UAI;Département;Date;Nombre d'élèves;Part des filles (%)\n"
        "A1;Forum;Découverte des métiers;Limoges;;23;2019-03-12;200;40,5\n"
        "A2;Chiche;Un scientifique, une classe, chiche;Bordeaux;0331503E;;12/01/2022;31;\n",
        encoding="utf-8")
    result = sources.read("projets_orientation", path)
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame.set_index("project_id")
    assert frame.loc["A1", "girls"] == 81 and frame.loc["A1", "period"] == "2018-2019"
    assert frame.loc["A2", "department"] == "33" and pd.isna(frame.loc["A2", "girls"])


def test_orientation_department_must_match_uai_and_academy(tmp_path: Path):
    path = tmp_path / "projets_orientation_2021-2022.csv"
    path.write_text(
        "Identifiant projet;Dispositif;Académie;UAI;Département;Date;Élèves touchés\n"
        "A1;Autre;Bordeaux;0331503E;24;12/01/2022;31\n"
        "A2;Autre;Poitiers;;33;12/01/2022;31\n",
        encoding="utf-8")
    result = sources.read("projets_orientation", path)
    assert "l'UAI" in _problem(result, path.name, "Département", 2).expected
    assert "académie" in _problem(result, path.name, "Département", 3).expected


EAC = "eac/adage_projets_limoges_2022-2023.csv"


def test_eac_artist_digital_without_artist(data: Path, tmp_path: Path):
    src = data / EAC

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[10, "Usage du numérique"] = "Oui"
        frame.loc[10, "Intervention d'artiste"] = "Non"
        frame.loc[10, "Intervention d'artiste s'appuyant sur le numérique"] = "Oui"

    result = _broken("eac_projets", src, tmp_path, edit)
    p = _problem(result, src.name, "Intervention d'artiste s'appuyant sur le numérique", 12)
    assert "intervention d'artiste" in p.expected


def test_eac_digital_practice_without_digital(data: Path, tmp_path: Path):
    src = data / EAC

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[20, "Usage du numérique"] = "Non"
        frame.loc[20, "Pratique artistique s'appuyant sur le numérique"] = "Oui"

    _problem(_broken("eac_projets", src, tmp_path, edit), src.name, "Usage du numérique", 22)


def test_eac_bad_boolean_unknown_domain_and_zero_pupils(data: Path, tmp_path: Path):
    src = data / EAC

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "Usage du numérique"] = "Peut-être"
        frame.loc[1, "Domaine artistique et culturel"] = "Jonglerie"
        frame.loc[2, "Nombre d'élèves"] = "0"

    result = _broken("eac_projets", src, tmp_path, edit)
    assert "Oui / Non" in _problem(result, src.name, "Usage du numérique", 2).expected
    assert "l'une des valeurs" in _problem(result, src.name, "Domaine artistique et culturel", 3).expected
    assert "≥ 1" in _problem(result, src.name, "Nombre d'élèves", 4).expected


def test_eac_establishment_outside_the_region(data: Path, tmp_path: Path):
    src = data / EAC
    paris = referential.make_uai("75", 1)  # a valid UAI, of Paris
    result = _broken("eac_projets", src, tmp_path, _set(7, "UAI", paris))
    p = _problem(result, src.name, "UAI", 9)
    assert "Nouvelle-Aquitaine" in p.expected


RESOURCES = "eac/ressources_eac_2023-2024.csv"


def test_resources_bad_url_type_and_date(data: Path, tmp_path: Path):
    src = data / RESOURCES

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "Adresse (URL)"] = "www.exemple.fr/ressource"
        frame.loc[1, "Type"] = "vidéo"
        frame.loc[2, "Date"] = "31/02/2024"
        frame.loc[3, "Date"] = "03/09/2024"

    result = _broken("eac_ressources", src, tmp_path, edit)
    assert "http" in _problem(result, src.name, "Adresse (URL)", 2).expected
    assert "ressource" in _problem(result, src.name, "Type", 3).expected
    assert "JJ/MM/AAAA" in _problem(result, src.name, "Date", 4).expected
    assert "nom du fichier" in _problem(result, src.name, "Date", 5).expected


AUTHORITIES = "partenariat/collectivites.csv"


def test_authorities_department_duplicate_and_type(data: Path, tmp_path: Path):
    src = data / AUTHORITIES

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[1, "Département"] = ""
        frame.loc[4, "Code collectivité"] = frame.loc[3, "Code collectivité"]
        frame.loc[6, "Type"] = "Syndicat mixte"
        frame.loc[7, "Fin du partenariat"] = "01/01/2000"

    result = _broken("collectivites", src, tmp_path, edit)
    assert "département" in _problem(result, src.name, "Type", 3).expected
    assert "une seule ligne" in _problem(result, src.name, "Code collectivité", 6).expected
    assert "l'une des valeurs" in _problem(result, src.name, "Type", 8).expected
    assert "postérieure" in _problem(result, src.name, "Fin du partenariat", 9).expected


COMMITTEES = "partenariat/comites_2022-2023.csv"


def test_committees_date_academy_duplicate_and_type(data: Path, tmp_path: Path):
    src = data / COMMITTEES

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "Date"] = "12/09/2023"
        frame.loc[1, "Académie"] = "Toulouse"
        frame.loc[2, "Type de comité"] = "Réunion amicale"
        return pd.concat([frame, frame.iloc[[5]]], ignore_index=True)

    result = _broken("comites", src, tmp_path, edit)
    assert "nom du fichier" in _problem(result, src.name, "Date", 2).expected
    assert "hors région" in _problem(result, src.name, "Académie", 3).expected
    assert "l'une des valeurs" in _problem(result, src.name, "Type de comité", 4).expected
    n = len(pd.read_csv(src, sep=";", dtype=str, encoding="utf-8-sig"))
    dup = _problem(result, src.name, "Code collectivité", n + 2)
    assert 7 in dup.lines


RELAYS = "relais/relais_numeriques.csv"


def test_relays_dates_functions_and_uai(data: Path, tmp_path: Path):
    src = data / RELAYS

    frame = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    erun = frame.index[frame["Fonction"] == "ERUN"]
    same = frame.index[frame["Identifiant relais"] == frame.loc[erun[0], "Identifiant relais"]]
    assert len(same) > 1 and same[0] not in (0, 200, 300)  # an ERUN covers several écoles

    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "Date de fin"] = "01/01/2001"
        frame.loc[same[0], "Fonction"] = "Médiateur Canopé"
        uai = frame.loc[200, "UAI couvert"]
        frame.loc[200, "UAI couvert"] = uai[:7] + ("A" if uai[7] != "A" else "B")
        frame.loc[300, "Date de début"] = "2021/09/01"

    result = _broken("relais", src, tmp_path, edit)
    assert "postérieure" in _problem(result, src.name, "Date de fin", 2).expected
    assert "une seule fonction" in _problem(result, src.name, "Fonction", int(same[0]) + 2).expected
    assert "lettre clé" in _problem(result, src.name, "UAI couvert", 202).expected
    assert "JJ/MM/AAAA" in _problem(result, src.name, "Date de début", 302).expected


def test_select_active_relays_uses_the_reference_day():
    frame = pd.DataFrame({
        "relay_id": ["R1", "R2", "R3", "R4"],
        "uai": ["0331503E"] * 4,
        "start_date": pd.to_datetime(["2019-09-01", "2021-02-01", "2020-09-01", "2020-09-01"]),
        "end_date": pd.to_datetime([None, None, "2020-12-31", "2021-01-15"]),
    })
    assert list(select_active_relays(frame, "2020-2021")["relay_id"]) == ["R1", "R4"]
    assert list(select_active_relays(frame, "2020-2021", on="2021-03-01")["relay_id"]) == ["R1", "R2"]


# --------------------------------------------------------------------------- demo effects


def test_orientation_projects_miss_50_then_grow_and_chiche_starts_in_bordeaux(data: Path, params: dict):
    frame = _load("projets_orientation", data)
    counts = frame.groupby("period").size()
    assert counts.to_dict() == params["orientation"]["projects"]
    assert counts["2020-2021"] < 50 <= counts["2025-2026"]
    chiche = frame[frame["programme"] == "chiche"]
    assert set(chiche.loc[chiche["period"] == "2020-2021", "academy"]) == {"bordeaux"}
    assert chiche.loc[chiche["period"] >= "2022-2023", "academy"].nunique() == 3
    assert (frame["girls"] <= frame["pupils"]).all()


def test_eac_digital_share_pole_ahead_and_urban_ahead(world, data: Path, params: dict):
    frame = _load("eac_projets", data).merge(world.establishments[["uai", "territory"]], on="uai")
    per_year = frame.groupby("period").size()
    assert per_year.between(2_000, 8_000).all()
    share = frame.groupby("period")["uses_digital"].mean()
    target = params["eac"]["digital_share"]
    for period, value in share.items():
        assert abs(value - target[period]) < 0.015, period
    assert share["2020-2021"] < 0.20 < share["2025-2026"]
    by_academy = frame[frame["period"] == "2020-2021"].groupby("academy")["uses_digital"].mean()
    assert by_academy.idxmax() == "limoges" and by_academy["limoges"] > by_academy.drop("limoges").max() + 0.04
    by_territory = pd.crosstab(frame["period"], frame["territory"], values=frame["uses_digital"].astype(float),
                               aggfunc="mean")
    assert (by_territory["urban"] > by_territory["rural"] + 0.02).all()
    digital = frame[frame["uses_digital"]]
    assert digital["artist_digital"].sum() > 0 and digital["practice_digital"].sum() > 0


def test_eac_resources_and_model_actions_per_year(data: Path, params: dict):
    frame = _load("eac_ressources", data)
    counts = pd.crosstab(frame["period"], frame["resource_type"])
    assert counts["resource"].to_dict() == params["eac_resources"]["resources"]
    assert counts["model_action"].to_dict() == params["eac_resources"]["model_actions"]


def test_committees_short_authorities_decrease(data: Path, params: dict):
    authorities = _load("collectivites", data)
    committees = _load("comites", data)
    assert len(authorities) == 18 and set(committees["authority_id"]) <= set(authorities["authority_id"])
    steering = committees[committees["committee_type"] == "pilotage"]
    per = pd.crosstab(steering["period"], steering["authority_id"]).reindex(
        columns=authorities["authority_id"], fill_value=0)
    short = (per < params["partnership"]["minimum_per_year"]).sum(axis=1)
    assert short.to_dict() == params["partnership"]["short_authorities"]
    assert 3 <= short["2020-2021"] <= 4 and short["2025-2026"] < short["2020-2021"]


def _coverage(world, relais: pd.DataFrame, period: str) -> pd.DataFrame:
    est = world.open_in(period)
    est = est[est["kind"].isin(["ecole", "college", "lycee", "erea"]) & est["under_contract"]].copy()
    est["covered"] = est["uai"].isin(select_active_relays(relais, period)["uai"])
    return est


def test_relay_coverage_grows_with_a_rural_lag_and_two_departments_behind(world, data: Path, params: dict):
    relais = _load("relais", data)
    target = params["relays"]["coverage"]
    for period in world.periods:
        assert abs(_coverage(world, relais, period)["covered"].mean() - target[period]) < 0.01, period
    first = _coverage(world, relais, "2020-2021")
    schools = first[first["kind"] == "ecole"].groupby("territory")["covered"].mean()
    assert schools["urban"] - schools["rural"] > 0.08
    by_dept = first.groupby("department")["covered"].mean().sort_values()
    assert set(by_dept.index[:2]) == set(params["relays"]["behind_departments"])
    assert by_dept.iloc[1] < by_dept.iloc[2] - 0.10
    assert set(relais["function"]) == {"erun", "referent_etablissement", "chef_etablissement_referent",
                                       "inspecteur_referent", "mediateur_canope"}


# --------------------------------------------------------------------------- documentation


def test_every_contract_column_is_documented():
    doc = (project_root() / "docs" / "sources" / "pilotage.md").read_text(encoding="utf-8")
    for name in NAMES:
        contract = sources.contract(name)
        assert f"`{name}`" in doc
        for field in contract.fields:
            if field.name == "file_period":
                continue
            assert f"`{field.header}`" in doc, (name, field.header)
