"""The roadmap catalogue in params/: complete, and checked on load with clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from drane_analysis import sources
from drane_analysis.catalogue import CatalogueError, load_catalogue
from drane_analysis.paths import params_dir


@pytest.fixture
def params_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "params"
    shutil.copytree(params_dir(), dest)
    return dest


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_all_thirteen_targets_with_their_indicators_and_objectives():
    cat = load_catalogue()
    assert list(cat.targets) == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5",
                                 "3.1", "3.2", "3.3", "3.4"]
    assert all(t.indicators for t in cat.targets.values())
    ids = [i.id for i in cat.indicators()]
    assert len(ids) == len(set(ids))
    # A few objectives of the roadmap, as written there.
    assert cat.objective_for("teacher_training_days", "region", "2020-2021").objective.value == 10_000
    assert cat.objective_for("pix_mean_score_terminale", "poitiers", "2020-2021").objective.value == 256
    robots = cat.objectives_for("robots_deployed_second_degree", "region")
    assert [(o.period, o.value) for o in robots] == [("2020-2021", 80), ("2021-2022", 117)]
    assert cat.objective_for("teachers_pix_certified", "limoges", "2022-2023").objective.value == 3000


def test_every_indicator_source_is_a_declared_source():
    declared = set(sources.names())
    for ind in load_catalogue().indicators():
        assert set(ind.sources) <= declared, (ind.id, set(ind.sources) - declared)


def test_baseline_of_january_2021_is_the_roadmaps():
    base = load_catalogue().target("1.1").baseline["pix_orga_status"]
    assert base["bordeaux"]["campaign"] == {"count": 457, "of": 549, "percent": 83.24}
    assert base["limoges"]["active"] == 74.82 and base["poitiers"]["not_imported"] == 11.55


def test_objective_in_force_is_carried_forward_after_the_last_deadline():
    cat = load_catalogue()
    due = cat.objective_for("teachers_pix_certified", "region", "2021-2022")
    assert (due.objective.value, due.carried_forward) == (1500, False)
    later = cat.objective_for("teachers_pix_certified", "region", "2025-2026")
    assert (later.objective.value, later.carried_forward) == (9000, True)
    assert cat.objective_for("relay_coverage_rate", "region", "2022-2023") is None


def test_changing_a_years_objective_is_an_edit_of_a_params_file(params_copy):
    path = params_copy / "targets" / "1.1-pix.yaml"
    edit(path, lambda d: d["objectives"].append(
        {"indicator": "pix_mean_score_3e", "scope": "all", "period": "2024-2025", "value": 200}))
    cat = load_catalogue(params_copy)
    assert cat.objective_for("pix_mean_score_3e", "bordeaux", "2023-2024").objective.value == 200
    assert cat.objective_for("pix_mean_score_3e", "bordeaux", "2020-2021").objective.value == 128


def test_unknown_target_file_is_an_error(params_copy):
    shutil.copy(params_copy / "targets" / "1.1-pix.yaml", params_copy / "targets" / "4.1-robots.yaml")
    with pytest.raises(CatalogueError, match=r"4\.1-robots\.yaml : cible inconnue « 4\.1 »"):
        load_catalogue(params_copy)


def test_missing_unit_is_an_error(params_copy):
    edit(params_copy / "targets" / "1.2-enseignants.yaml", lambda d: d["indicators"][0].pop("unit"))
    with pytest.raises(CatalogueError, match=r"teacher_training_days.*unité \(« unit »\) manquante"):
        load_catalogue(params_copy)


def test_objective_for_an_unknown_indicator_is_an_error(params_copy):
    edit(params_copy / "targets" / "3.4-ent.yaml", lambda d: d["objectives"].append(
        {"indicator": "ent_tablettes", "scope": "all", "period": "2021-2022", "value": 3}))
    with pytest.raises(CatalogueError, match="objectif pour un indicateur inconnu « ent_tablettes »"):
        load_catalogue(params_copy)


def test_all_problems_are_reported_at_once(params_copy):
    edit(params_copy / "targets" / "1.2-enseignants.yaml", lambda d: d["indicators"][0].pop("unit"))
    edit(params_copy / "targets" / "2.1-inclusion.yaml", lambda d: d["objectives"][0].update(scope="lyon"))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(params_copy)
    assert len(err.value.problems) == 2
