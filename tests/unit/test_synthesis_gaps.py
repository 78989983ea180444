"""The synthesis' table of gaps: « significatif » only from a test that fits each breakdown."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from drane_analysis import stats, synthesis


def clustered(rates: dict[str, list[float]], pupils: int = 100) -> pd.DataFrame:
    rows = [{"group": g, "uai": f"{g}{k}", "k": round(r * pupils), "n": pupils}
            for g, values in rates.items() for k, r in enumerate(values)]
    table = stats.cluster_rate_table(pd.DataFrame(rows), "k", "n", "uai", by=["group"])
    return table.assign(label=table["group"].str.upper())


TABLES = {
    # Wilson intervals of its 300 pupils a group would not overlap; establishments disagree.
    "clustered_noise": clustered({"a": [0.9, 0.1, 0.9], "b": [0.1, 0.9, 0.1]}),
    # Establishments agree: a real gap.
    "clustered_gap": clustered({"a": [0.62, 0.6, 0.64, 0.61, 0.63], "b": [0.4, 0.42, 0.38, 0.41, 0.39]}),
    # Intervals without what a test needs (the old rule said « significatif »).
    "no_test": pd.DataFrame({"group": ["a", "b"], "label": ["A", "B"], "value": [10.0, 60.0],
                             "numerator": [10.0, 60.0], "denominator": [100.0, 100.0],
                             "ci_low": [5.0, 50.0], "ci_high": [18.0, 69.0]}),
}


def test_gaps_are_tested_only_where_a_test_fits(monkeypatch):
    indicators = [SimpleNamespace(id=i, target="9.9", label=i, unit="percent", breakdowns=["territory"])
                  for i in TABLES]
    catalogue = SimpleNamespace(indicators=lambda: indicators, breakdowns={"territory": "Territoire"})
    module = SimpleNamespace(breakdown=lambda data, ind, scope, period, by: TABLES[ind].copy())
    monkeypatch.setattr(synthesis, "load_catalogue", lambda: catalogue)
    monkeypatch.setattr(synthesis, "modules", lambda: {"9.9": module})
    gaps = synthesis.territorial_gaps(None, "region", "2020-2021").set_index("indicator")
    assert gaps.loc["clustered_gap", "significant"] is True
    assert gaps.loc["clustered_noise", "significant"] is False
    assert gaps.loc["no_test", "significant"] is None
    assert (gaps["tested"] == 2).all()                      # Bonferroni over the two gaps tested
    assert list(gaps.index) == ["clustered_gap", "clustered_noise", "no_test"]
