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


# --------------------------------------------------------------------------- linked tables


def _by_reason(bordeaux, limoges, poitiers):
    """Pupils by reason in each academy and the region, as 2.1's table publishes them."""
    reasons = ["Maladie longue", "Hospitalisation", "Accident", "Autre"]
    frames = {}
    for scope, values in (("bordeaux", bordeaux), ("limoges", limoges), ("poitiers", poitiers)):
        frames[scope] = pd.DataFrame({"label": reasons, "pupils": values})
    frames["region"] = pd.DataFrame({"label": reasons,
                                     "pupils": [sum(v) for v in zip(bordeaux, limoges, poitiers, strict=True)]})
    return frames


def _attacker_interval(frames, hidden, scope, label):
    """What differencing gives: region − the other academies, when all three are visible."""
    others = [s for s in ("bordeaux", "limoges", "poitiers") if s != scope]
    cells = [(s, label) for s in [*others, "region"]]
    if any(hidden.get(c) for c in cells):
        return None
    value = lambda s: int(frames[s].set_index("label").loc[label, "pupils"])  # noqa: E731
    return value("region") - sum(value(s) for s in others)


def test_tables_protected_one_by_one_give_hidden_cells_back_by_differencing():
    frames = _by_reason([40, 30, 12, 9], [20, 15, 3, 2], [25, 18, 10, 8])
    hidden = {}
    for scope, f in frames.items():
        p = protect(f, ["pupils"], rule=RULES)
        for label, h in zip(f["label"], p.mask("pupils"), strict=True):
            hidden[(scope, label)] = bool(h)
    assert hidden[("limoges", "Accident")] and hidden[("limoges", "Autre")]
    # Limoges' hidden « Accident » = region − Bordeaux − Poitiers: the region's table shows it
    assert _attacker_interval(frames, hidden, "limoges", "Accident") == 3


def test_linked_tables_keep_every_hidden_cell_hidden():
    frames = _by_reason([40, 30, 12, 9], [20, 15, 3, 2], [25, 18, 10, 8])
    linked = privacy.protect_linked(frames, "label", ["pupils"], rule=RULES)
    hidden = {(s, lab): bool(h) for s in frames for lab, h in zip(frames[s]["label"], linked[s].mask("pupils"),
                                                                    strict=True)}
    assert hidden[("limoges", "Accident")] and hidden[("limoges", "Autre")]
    assert _attacker_interval(frames, hidden, "limoges", "Accident") is None
    ranges = linked.ranges()
    assert ranges and all(hi - lo >= RULES.threshold for lo, hi in ranges.values())


def test_a_department_hidden_in_its_academy_is_hidden_in_the_region_too():
    """Creuse (3 robots): hidden in Limoges' table, it must not be shown in the region's, nor
    come back as the region's total minus the other departments."""
    depts = {"bordeaux": {"Gironde (33)": 31, "Landes (40)": 6}, "limoges": {"Corrèze (19)": 6, "Creuse (23)": 3,
                                                                          "Haute-Vienne (87)": 8},
             "poitiers": {"Vienne (86)": 9, "Charente (16)": 8}}
    frames = {s: pd.DataFrame({"label": list(d), "value": list(d.values())}) for s, d in depts.items()}
    frames["region"] = pd.concat(frames.values(), ignore_index=True)
    linked = privacy.protect_linked(frames, "label", ["value"], rule=RULES)
    region = dict(zip(frames["region"]["label"], linked["region"].mask("value"), strict=True))
    limoges = dict(zip(frames["limoges"]["label"], linked["limoges"].mask("value"), strict=True))
    assert limoges["Creuse (23)"] and region["Creuse (23)"]
    assert limoges["Corrèze (19)"] and region["Corrèze (19)"]  # the twin of the secondary cell, not Landes
    assert not region["Landes (40)"] and not region["Gironde (33)"]
    assert all(hi - lo >= RULES.threshold for lo, hi in linked.ranges().values())


def test_total_rows_are_published_margins_and_row_sums_hold_across_scopes():
    def table(t1, t2, p):
        return pd.DataFrame({"label": ["Inria", "CeRCA", "Ensemble"], "teachers": [t1, t2, t1 + t2],
                             "first": [p[0], p[1], p[0] + p[1]],
                             "second": [t1 - p[0], t2 - p[1], t1 + t2 - p[0] - p[1]],
                             "is_total": [False, False, True]})

    frames = {"bordeaux": table(12, 9, (7, 2)), "limoges": table(6, 0, (4, 0)), "poitiers": table(8, 7, (5, 3))}
    frames["region"] = table(26, 16, (16, 5))
    linked = privacy.protect_linked(frames, "label", ["teachers", "first", "second"], totals="is_total",
                                    sums=[("teachers", ["first", "second"])], rule=RULES)
    for scope in frames:
        assert not linked[scope].mask("teachers")[2]  # the total row is a published margin
    assert linked["limoges"].mask("second")[0]  # 2 second-degree teachers at Inria, Limoges
    # Limoges' 2 second-degree teachers are its published total: the hidden cells span it
    lo, hi = linked.ranges()[next(k for k, c in enumerate(linked.cells) if c[:3] == ("limoges", 0, "second"))]
    assert (lo, hi) == (0, 2)
    assert linked.exposed() == []


@pytest.mark.parametrize("seed", range(40))
def test_no_hidden_cell_of_random_linked_tables_can_be_pinned(seed):
    """Random academy × group tables with small cells: the attacker's interval of every hidden
    cell, from every published cell and total of the four scopes, spans the threshold."""
    rng = np.random.default_rng(seed)
    groups = [f"g{k}" for k in range(int(rng.integers(2, 6)))]
    frames = {}
    for scope in ("bordeaux", "limoges", "poitiers"):
        values = rng.integers(0, 25, len(groups))
        values[rng.random(len(groups)) < 0.35] = rng.integers(1, 5)
        frames[scope] = pd.DataFrame({"label": groups, "n": values})
    frames["region"] = pd.DataFrame({"label": groups, "n": sum(f["n"].to_numpy() for f in frames.values())})
    linked = privacy.protect_linked(frames, "label", ["n"], rule=RULES)
    for cell, (lo, hi) in linked.ranges().items():
        # safe, unless the published total of its scope is under the threshold (then it spans it)
        total = frames[linked.cells[cell][0]]["n"].sum()
        assert hi - lo >= min(RULES.threshold, total) and hi > lo, (seed, linked.cells[cell], lo, hi)
    assert linked.exposed() == []


class _Data:
    """The little a linked breakdown needs of a Data: its scopes and a memo."""

    scopes = ("bordeaux", "limoges", "poitiers", "region")

    def __init__(self):
        self.calls = 0
        self.store = {}

    def memo(self, key, compute):
        if key not in self.store:
            self.store[key] = compute()
        return self.store[key]


def test_linked_breakdown_tables_carry_the_family_cells_to_every_report_block():
    counts = {"bordeaux": [40, 30, 12, 9], "limoges": [20, 15, 3, 2], "poitiers": [25, 18, 10, 8]}
    frames = _by_reason(*counts.values())

    @privacy.linked_breakdown
    def breakdown(data, indicator, scope, period, by):
        data.calls += 1
        f = frames[scope]
        return pd.DataFrame({"group": f["label"], "label": f["label"], "value": f["pupils"] / 100,
                             "numerator": f["pupils"], "denominator": 100 + f["pupils"] * 0,
                             "ci_low": np.nan, "ci_high": np.nan})

    data = _Data()
    region = breakdown(data, "no_such_indicator", "region", "2025-2026", "reason")
    limoges = breakdown(data, "no_such_indicator", "limoges", "2025-2026", "reason")
    assert data.calls == 2  # the family is computed when a table of persons is published
    p_region = protect_breakdown(region, "percent", rule=RULES)
    assert data.calls == 2 + 4  # the family of four scopes, once
    p_limoges = protect_breakdown(limoges, "percent", rule=RULES)
    assert p_limoges.mask("numerator").tolist() == [False, False, True, True]
    # alone, the region's table has no small cell; linked, it hides what gives Limoges back
    alone = region.copy()
    alone.attrs = {}
    assert not protect_breakdown(alone, "percent", rule=RULES).any
    poitiers = protect_breakdown(breakdown(data, "no_such_indicator", "poitiers", "2025-2026", "reason"), "percent",
                                 rule=RULES)
    bordeaux = protect_breakdown(breakdown(data, "no_such_indicator", "bordeaux", "2025-2026", "reason"), "percent",
                                 rule=RULES)
    for row in (2, 3):  # Limoges' hidden reasons: another of the four cells of the same reason is hidden
        assert sum(p.mask("numerator")[row] for p in (p_region, poitiers, bordeaux)) >= 1
    assert data.calls == 4 + 4
    assert p_region.key == p_limoges.key and p_region.scope == "region"
    with privacy.recording() as tables:
        p_region.text("numerator", str)
        p_region.text("value", str)
    assert tables == [p_region]


def test_a_value_resting_on_few_persons_is_hidden_with_them():
    """Robot-days of a department are not persons, but its robots deployed are (one pupil each)."""
    t = pd.DataFrame({"label": ["Corrèze", "Creuse", "Haute-Vienne"], "value": [63.8, 65.9, 83.2],
                      "numerator": [1800.0, 900.0, 3100.0], "denominator": [2800.0, 1370.0, 3700.0],
                      "ci_low": [55.0, 55.0, 79.0], "ci_high": [71.0, 76.0, 87.0], privacy.PERSONS_COLUMN: [6, 3, 16]})
    p = protect_breakdown(t, "percent", rule=RULES)
    assert p.mask("value").tolist() == [True, True, False]  # Creuse (3 pupils), and Corrèze: secondary
    assert p.mask("ci_low").tolist() == [True, True, False]
    assert not p.mask("numerator").any()  # robot-days are large: only the persons decide
