"""The gap sentence of the reports: « significatif » only from a test that fits the data."""

from __future__ import annotations

import pandas as pd

from drane_analysis import render, stats


def clustered_table(rates: dict[str, list[float]], pupils: int = 100) -> pd.DataFrame:
    rows = [{"group": g, "uai": f"{g}{k}", "k": round(r * pupils), "n": pupils}
            for g, values in rates.items() for k, r in enumerate(values)]
    table = stats.cluster_rate_table(pd.DataFrame(rows), "k", "n", "uai", by=["group"])
    return table.assign(label=table["group"].str.upper())


def test_clustered_gap_where_wilson_intervals_do_not_overlap_is_not_significant():
    rates = {"a": [0.9, 0.1, 0.9], "b": [0.1, 0.9, 0.1]}
    table = clustered_table(rates)
    old = table.drop(columns=["ci_method", "influence"]).copy()
    wilson = stats.rate_table(table.assign(one=1), "numerator", "denominator", by=["group"])
    old[["ci_low", "ci_high"]] = wilson[["ci_low", "ci_high"]].to_numpy()
    assert old.loc[1, "ci_high"] < old.loc[0, "ci_low"]      # what made the old sentence « significatif »
    text = render.gap_sentence(table, "percent", "Le taux")
    assert "l'écart n'est pas significatif au seuil de 5 %" in text
    assert "établissements pris comme grappes" in text
    assert "l'écart est significatif" not in text


def test_clustered_gap_of_agreeing_establishments_is_significant():
    table = clustered_table({"a": [0.62, 0.6, 0.64, 0.61, 0.63], "b": [0.4, 0.42, 0.38, 0.41, 0.39]})
    text = render.gap_sentence(table, "percent", "Le taux")
    assert text.startswith("Le taux va de 40,0\u202f% (B) à 62,0\u202f% (A), soit un écart de 22,0 points ; "
                           "l'écart est significatif au seuil de 5 % (intervalle à 95 % de l'écart : [")
    assert "comparaison de" not in text                       # two groups: no correction


def test_gap_between_extreme_groups_is_corrected_for_their_number():
    table = clustered_table({"a": [0.62, 0.6, 0.64, 0.61, 0.63], "b": [0.4, 0.42, 0.38, 0.41, 0.39],
                             "c": [0.5, 0.52, 0.48, 0.51, 0.49]})
    assert "niveau corrigé pour la comparaison de 3 groupes" in render.gap_sentence(table, "percent", "Le taux")


def test_gap_without_a_fitting_test_is_only_described():
    table = pd.DataFrame({"label": ["A", "B"], "value": [10.0, 14.0], "ci_low": [9.0, 13.0], "ci_high": [11.0, 15.0]})
    text = render.gap_sentence(table, "index", "Le nombre", "connexions")
    assert text == "Le nombre va de 10,0 (A) à 14,0 (B), soit un écart de 4,0 connexions (écart observé, sans test)."
    assert "significatif" not in text and "établi" not in text


def test_establishments_as_independent_units_get_newcombes_interval():
    table = stats.rate_table(pd.DataFrame({"group": ["a", "b"], "k": [56, 48], "n": [70, 80]}), "k", "n",
                             by=["group"]).assign(ci_method="wilson", label=["A", "B"])
    text = render.gap_sentence(table, "percent", "La part")
    assert "[5,2 ; 33,4] points, unités indépendantes, méthode de Newcombe" in text
    assert "l'écart est significatif au seuil de 5 %" in text


def test_every_report_says_the_sources_are_exhaustive_registers():
    text = render.INTERVALS_SENTENCE
    assert "registres exhaustifs" in text and "aucun intervalle n'est une erreur d'échantillonnage" in text
    assert "établissements comme grappes" in text and "Wilson" in text


def test_clusters_that_are_not_establishments_are_named():
    table = clustered_table({"a": [0.62, 0.6, 0.64, 0.61, 0.63], "b": [0.4, 0.42, 0.38, 0.41, 0.39]})
    text = render.gap_sentence(table.assign(cluster_label="communes prises comme grappes"), "percent", "La part")
    assert "communes prises comme grappes" in text and "établissements" not in text


def test_a_score_gap_is_in_pix():
    table = pd.DataFrame({"label": ["A", "B"], "value": [180.0, 216.0], "ci_low": [170.0, 210.0],
                          "ci_high": [190.0, 222.0]})
    assert "soit un écart de 36 pix (écart observé, sans test)." in render.gap_sentence(table, "pix", "Le score")
