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


def test_readings_secondary_indicators_and_caps():
    cat = load_catalogue()
    # The reading of an objective is printed next to its status when it is a choice.
    usage = cat.objective_for("ent_lycee_usage_rate", "region", "2024-2025").objective
    assert usage.reading_text().startswith("« augmentation de 20 % du taux d'usage » lue par rapport à 2020-2021")
    assert usage.describe() == "+20 % par rapport à 2020-2021"
    # A range objective is read by its lower bound, said without a reading in the parameters.
    model = cat.objective_for("eac_model_actions", "region", "2020-2021").objective
    assert not model.reading and model.reading_text().startswith("fourchette « 7 à 10 » lue par sa borne basse")
    assert cat.objective_for("teacher_training_days", "region", "2020-2021").objective.reading_text() == ""
    # A secondary indicator stands for another reading and has no objective.
    rate = cat.indicator("authorities_min_committees_rate")
    assert rate.is_secondary and "chaque collectivité" in rate.secondary
    assert cat.objectives_for("authorities_min_committees_rate", "region") == []
    # Caps: what a count can be, per scope; the unit's bounds for the others.
    assert cat.projection_scale("ent_college_departments_shared", "limoges") == ("linear", 0.0, 3.0)
    assert cat.projection_scale("ent_college_departments_shared", "region") == ("linear", 0.0, 12.0)
    assert cat.projection_scale("robots_deployed_second_degree", "bordeaux") == ("linear", 0.0, 117.0)
    assert cat.projection_scale("pix_orga_activation_rate", "region") == ("logit", 0.0, 100.0)
    assert cat.projection_scale("ent_lycee_usage_growth", "region") == ("linear", -100.0, None)
    # The status rule prints the settings it uses.
    assert cat.min_periods_for_interval == 4 and cat.baseline_period == "2020-2021"
    assert "au moins 25 % depuis 2020-2021" in cat.status_rule and "moins de 4 années" in cat.status_rule


def test_a_secondary_indicator_with_an_objective_is_an_error(params_copy):
    edit(params_copy / "targets" / "3.1-partenariat.yaml", lambda d: d["objectives"].append(
        {"indicator": "authorities_min_committees_rate", "scope": "all", "period": "2020-2021", "value": 100}))
    with pytest.raises(CatalogueError, match="« authorities_min_committees_rate » est un indicateur secondaire"):
        load_catalogue(params_copy)


def test_bad_caps_and_status_settings_are_errors(params_copy):
    edit(params_copy / "targets" / "3.4-ent.yaml",
         lambda d: next(i for i in d["indicators"] if i["id"] == "ent_college_departments_shared").update(
             cap={"lyon": 3}))
    edit(params_copy / "targets" / "2.1-inclusion.yaml",
         lambda d: next(i for i in d["indicators"] if i["id"] == "robots_deployed_first_degree").update(cap=-1))
    edit(params_copy / "status.yaml", lambda d: d.update(min_periods_for_interval=1, baseline_period="l'an 2020"))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(params_copy)
    text = str(err.value)
    assert "plafond (« cap ») : périmètre « lyon » inconnu" in text
    assert "plafond (« cap ») : nombre positif attendu, trouvé « -1 »" in text
    assert "« min_periods_for_interval » : entier ≥ 3 attendu" in text and "« baseline_period »" in text


def test_the_catalogue_is_read_again_when_a_file_changes_or_appears(params_copy):
    """Cached between calls (every formatted number asks for it), read again when a file
    changes in place and when a target file is added."""
    import os

    first = load_catalogue(params_copy)
    assert load_catalogue(params_copy) is first
    assert first.units["percent"]["decimals"] == 1
    path = params_copy / "catalogue.yaml"
    edit(path, lambda d: d["units"]["percent"].update(decimals=2))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # a later save
    assert load_catalogue(params_copy).units["percent"]["decimals"] == 2
    extra = params_copy / "targets" / "4.1-robots.yaml"
    shutil.copy(params_copy / "targets" / "1.1-pix.yaml", extra)
    targets = params_copy / "targets"
    os.utime(targets, ns=(targets.stat().st_atime_ns, targets.stat().st_mtime_ns + 10**9))
    with pytest.raises(CatalogueError, match=r"4\.1-robots\.yaml : cible inconnue"):
        load_catalogue(params_copy)
