"""Statistical disclosure control: primary and secondary suppression, rates on small bases."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from drane_analysis import privacy
from drane_analysis.privacy import Rules, protect, protect_breakdown

RULES = Rules(threshold=5, min_base=5, marker="s", legend="s : secret statistique")


def test_rules_come_from_params():
    r = privacy.rules()
    assert r.threshold == 5 and r.marker == "s" and "secret" in r.legend


def test_small_counts_are_hidden_zero_is_not():
    t = pd.DataFrame({"group": list("abcde"), "pupils": [120, 3, 0, 80, 4]})
    p = protect(t, ["pupils"], partition=False, rule=RULES)
    assert p.mask("pupils").tolist() == [False, True, False, False, True]
    assert p.text("pupils", str) == ["120", "s", "0", "80", "s"]
    assert "secret" in p.note()


def test_one_hidden_group_hides_another_so_the_total_cannot_give_it_back():
    t = pd.DataFrame({"group": list("abcd"), "pupils": [120, 3, 60, 40]})
    p = protect(t, ["pupils"], rule=RULES)
    hidden = p.mask("pupils")
    assert hidden.tolist() == [False, True, False, True]  # the smallest other group
    assert p.reasons["pupils"].tolist()[3] == "secondary"


def test_hidden_groups_add_up_to_the_threshold():
    t = pd.DataFrame({"pupils": [1, 2, 0, 50, 70]})
    p = protect(t, ["pupils"], rule=RULES)
    hidden = p.mask("pupils")
    assert hidden[:2].all()
    assert t["pupils"][hidden].sum() >= 5 and hidden.sum() >= 3  # 1 + 2 < 5: one more (the 50, zero does not help)
    assert not hidden[2]


def test_no_hidden_cell_can_be_recomputed_from_margins_exhaustively():
    """For many small tables: with the total known, every hidden cell keeps several possible values."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 7))
        values = rng.integers(0, 30, n)
        values[rng.integers(0, n)] = rng.integers(1, 5)  # at least one small cell
        p = protect(pd.DataFrame({"c": values}), ["c"], rule=RULES)
        hidden = p.mask("c")
        if hidden.all():
            continue
        total = values.sum()
        assert hidden.sum() >= 2
        remainder = total - values[~hidden].sum()
        assert remainder >= 5  # the hidden cells together are not a small cell
        # several splits of the remainder among the hidden cells exist
        ranges = [range(0, remainder + 1)] * int(hidden.sum())
        splits = sum(1 for combo in itertools.islice(itertools.product(*ranges), 10_000) if sum(combo) == remainder)
        assert splits > 1


def test_total_rows_are_outside_the_partition():
    t = pd.DataFrame({"label": ["a", "b", "c", "Total"], "pupils": [3, 40, 50, 93]})
    p = protect(t, ["pupils"], totals=[False, False, False, True], rule=RULES)
    assert p.mask("pupils").tolist() == [True, True, False, False]


def test_row_sums_hide_a_second_part():
    t = pd.DataFrame({"pupils": [40, 60], "girls": [3, 30], "boys": [37, 30]})
    p = protect(t, ["pupils", "girls", "boys"], sums=[("pupils", ["girls", "boys"])], partition=False, rule=RULES)
    assert p.mask("girls").tolist() == [True, False]
    assert p.mask("boys").tolist() == [True, False]  # else boys = pupils − girls... gives girls back
    assert not p.mask("pupils").any()


def test_rates_on_small_bases_and_on_hidden_numerators_are_not_shown():
    t = pd.DataFrame({"label": list("abcd"), "numerator": [2, 30, 1, 50], "denominator": [3, 100, 60, 80],
                      "value": [66.7, 30.0, 1.7, 62.5], "ci_low": [20, 21, 0.3, 51], "ci_high": [94, 40, 9, 72]})
    p = protect_breakdown(t, "percent", rule=RULES)
    # a: base of 3; c: 1 pupil; b: its numerator (30) is hidden as well, since 2 + 1 < 5 could be
    # recomputed from the scope's total numerator
    assert p.mask("numerator").tolist() == [True, True, True, False]
    assert p.mask("denominator").tolist() == [True, False, True, False]
    assert p.mask("value").tolist() == [True, True, True, False]
    assert p.mask("ci_low").tolist() == p.mask("value").tolist() == p.mask("ci_high").tolist()
    assert p.text("value", lambda v: f"{v:.1f}") == ["s", "s", "s", "62.5"]


def test_a_rate_on_a_large_enough_base_with_large_counts_is_shown():
    t = pd.DataFrame({"label": list("abc"), "numerator": [20, 30, 40], "denominator": [50, 100, 60],
                      "value": [40.0, 30.0, 66.7]})
    p = protect_breakdown(t, "percent", rule=RULES)
    assert not p.any and p.note() == "" and p.note_html() == ""


def test_means_on_few_persons_are_hidden():
    t = pd.DataFrame({"label": ["Q1", "Q2", "Q3"], "value": [150.0, 170.0, 180.0], "denominator": [4, 90, 30],
                      "numerator": [np.nan] * 3, "ci_low": [100, 160, 170], "ci_high": [200, 180, 190]})
    p = protect_breakdown(t, "pix", rule=RULES)
    assert p.mask("value").tolist() == [True, False, True]  # Q3: its count is the secondary cell


def test_entities_are_not_hidden_when_told_so():
    t = pd.DataFrame({"label": ["a", "b"], "numerator": [1, 40], "denominator": [2, 80], "value": [50.0, 50.0]})
    p = protect_breakdown(t, "percent", persons=False, rule=RULES)
    assert not p.any


def test_count_unit_values_are_counts():
    t = pd.DataFrame({"label": ["a", "b", "c"], "value": [2, 30, 40], "denominator": [np.nan] * 3})
    p = protect_breakdown(t, "count", rule=RULES)
    assert p.mask("value").tolist() == [True, True, False]


def test_published_sets_hidden_values_missing():
    t = pd.DataFrame({"label": ["a", "b", "c"], "numerator": [1, 40, 60], "denominator": [2, 80, 90],
                      "value": [50.0, 50.0, 66.7], "ci_low": [1, 39, 56], "ci_high": [99, 61, 76]})
    out = privacy.published(t, "percent")
    assert out["value"].isna().tolist() == [True, True, False]


@pytest.mark.parametrize("threshold", [3, 10])
def test_threshold_is_a_parameter(threshold):
    t = pd.DataFrame({"c": [4, 100, 200]})
    p = protect(t, ["c"], partition=False, rule=Rules(threshold=threshold))
    assert p.mask("c")[0] == (threshold > 4)
