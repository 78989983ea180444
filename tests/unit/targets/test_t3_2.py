"""Target 3.2 — coverage of establishments by digital relays, on tiny hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.targets import t3_2_relais as t32


def _annuaire() -> pd.DataFrame:
    rows = [
        # uai, kind, sector, contract code, commune, department, academy, opening
        ("0860001A", "ecole", "public", None, "86001", "C1", "86", "poitiers", "1990-09-01"),
        ("0860002B", "ecole", "public", None, "86001", "C1", "86", "poitiers", "1990-09-01"),
        ("0860003C", "ecole", "public", None, "86002", "C2", "86", "poitiers", "1990-09-01"),
        ("0860004D", "college", "public", None, "86002", "C2", "86", "poitiers", "1990-09-01"),
        ("0870005E", "ecole", "public", None, "87003", "C3", "87", "limoges", "1990-09-01"),
        ("0860006F", "lycee", "private", "10", "86002", "C2", "86", "poitiers", "1990-09-01"),   # out of contract
        ("0860007G", "medico_social", "public", None, "86002", "C2", "86", "poitiers", "1990-09-01"),
        ("0870008H", "ecole", "public", None, "87003", "C3", "87", "limoges", "2021-06-01"),     # opens later
    ]
    frame = pd.DataFrame(rows, columns=["uai", "kind", "sector", "private_contract_code", "commune_code",
                                        "commune_name", "department", "academy", "opening_date"])
    frame["name"] = "Établissement " + frame["uai"]
    frame["priority_education"] = "none"
    frame["opening_date"] = pd.to_datetime(frame["opening_date"])
    frame["state"] = "open"
    frame["latitude"] = [46.5, 46.6, 46.7, 46.7, 45.8, 46.7, 46.7, 45.9]
    frame["longitude"] = [0.3, 0.4, 0.5, 0.5, 1.2, 0.5, 0.5, 1.3]
    return frame


def _communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["86001", "86002", "87003"], "territory": ["rural", "urban", "rural"]})


def _relays() -> pd.DataFrame:
    rows = [
        ("R1", "erun", "0860001A", "2019-09-01", "2021-07-05"),
        ("R1", "erun", "0860002B", "2019-09-01", "2021-07-05"),
        ("R2", "erun", "0860001A", "2021-09-01", None),                 # R1's successor
        ("R2", "erun", "0860002B", "2021-09-01", None),
        ("R3", "referent_etablissement", "0860004D", "2021-01-15", None),   # starts on the reference day
        ("R4", "erun", "0870005E", "2019-09-01", "2021-01-14"),         # ends the day before
        ("R5", "mediateur_canope", "0860004D", "2021-10-01", None),
        ("R5", "mediateur_canope", "0860003C", "2021-10-01", None),
        ("R6", "referent_etablissement", "0860006F", "2019-09-01", None),   # outside the universe
    ]
    frame = pd.DataFrame(rows, columns=["relay_id", "function", "uai", "start_date", "end_date"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["department"] = frame["uai"].str.slice(1, 3)
    frame["academy"] = frame["department"].map({"86": "poitiers", "87": "limoges"})
    return frame


@pytest.fixture
def data(monkeypatch) -> Data:
    monkeypatch.setattr(Data, "latest_period", lambda self: "2021-2022")
    return Data.from_frames({"annuaire": _annuaire(), "communes": _communes(), "relais": _relays()})


def _value(series, indicator, scope, period):
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope) & (series["period"] == period)]
    assert len(row) == 1
    return row.iloc[0]


def test_universe_and_reference_day(data):
    cov = t32.coverage(data)
    first = cov[cov["period"] == "2020-2021"].set_index("uai")
    # Écoles, collège, not the private out-of-contract lycée nor the medico-social unit; the
    # école opened in June 2021 is not there yet.
    assert set(first.index) == {"0860001A", "0860002B", "0860003C", "0860004D", "0870005E"}
    assert first.loc["0860004D", "covered"] == 1        # coverage starting on 15 January counts
    assert first.loc["0870005E", "covered"] == 0        # ended on 14 January: not active
    second = cov[cov["period"] == "2021-2022"].set_index("uai")
    assert "0870008H" in second.index
    assert second.loc["0860004D", "relays"] == 2 and second.loc["0860004D", "new_relay"] == 1
    assert t32.periods(data) == ["2020-2021", "2021-2022"]


def test_compute(data):
    series = t32.compute(data)
    rate = _value(series, "relay_coverage_rate", "region", "2020-2021")
    assert (rate["numerator"], rate["denominator"]) == (3, 5)
    assert rate["value"] == pytest.approx(60.0)
    # Écoles are covered by circonscription, which the data do not give: no interval.
    assert np.isnan(rate["ci_low"]) and np.isnan(rate["ci_high"])
    assert _value(series, "relay_coverage_rate", "poitiers", "2020-2021")["value"] == pytest.approx(75.0)
    limoges = _value(series, "relay_coverage_rate", "limoges", "2021-2022")
    assert (limoges["numerator"], limoges["denominator"], limoges["value"]) == (0, 2, 0.0)
    assert _value(series, "relay_coverage_rate", "region", "2021-2022")["numerator"] == 4
    # Active relays: R1, R3, R6 then R2, R3, R5, R6 (R6 is active, even if its UAI is out of the universe).
    assert _value(series, "relays_active", "region", "2020-2021")["value"] == 3
    assert _value(series, "relays_active", "region", "2021-2022")["value"] == 4
    assert _value(series, "relays_active", "limoges", "2020-2021")["value"] == 0
    assert t32.relays_outside_universe(data, "2021-2022") == 1
    # No establishment at all in Bordeaux: a rate with no denominator gives no row.
    assert series[(series["academy"] == "bordeaux") & (series["indicator"] == "relay_coverage_rate")].empty


def test_breakdowns_and_rural_gap(data):
    by_kind = t32.breakdown(data, "relay_coverage_rate", "region", "2020-2021", "kind").set_index("group")
    assert by_kind.loc["ecole", "value"] == pytest.approx(50.0)     # 2 of 4 écoles
    assert by_kind.loc["college", "value"] == pytest.approx(100.0)
    by_dept = t32.breakdown(data, "relays_active", "region", "2021-2022", "department").set_index("group")
    assert by_dept.loc["86", "value"] == 4 and "87" not in by_dept.index
    gap = t32.rural_gap(data, "region", "2020-2021")
    # Rural écoles: 2 of 3 covered; urban: 0 of 1.
    assert gap["rural"] == pytest.approx(200 / 3) and gap["urban"] == 0.0
    assert gap["gap"] == pytest.approx(-200 / 3)
    assert np.isnan(gap["ci_low"]) and np.isnan(gap["ci_high"])      # écoles: no test
    cross = t32.coverage_by_kind_territory(data, "region", "2020-2021")
    assert list(cross["label"])[:2] == ["École — Rural", "École — Urbain"]
    # Secondary establishments, each covered by its own referent, keep Wilson's interval.
    assert cross.loc[cross["kind"] == "ecole", "ci_low"].isna().all()
    secondary = cross[cross["kind"] != "ecole"]
    assert secondary["ci_low"].notna().all() and (secondary["ci_method"] == "wilson").all()
    assert by_kind.loc["college", "ci_method"] == "wilson" and pd.isna(by_kind.loc["ecole", "ci_method"])
    from drane_analysis.stats import breakdown_gap

    assert breakdown_gap(by_kind.loc["college"], by_kind.loc["ecole"]) is None   # described, not tested


def test_uncovered_areas(data):
    communes = t32.uncovered_communes(data, "region", "2021-2022")
    assert list(communes["commune_code"]) == ["87003"]
    row = communes.iloc[0]
    assert (row["establishments"], row["uncovered"], row["share_uncovered"]) == (2, 2, 100.0)
    assert row["uncovered_kinds"] == "2 écoles"
    assert row["uncovered_since"] == "2020-2021 ou avant"
    earlier = t32.uncovered_communes(data, "region", "2020-2021").set_index("commune_code")
    assert set(earlier.index) == {"86002", "87003"} and earlier.loc["86002", "uncovered_kinds"] == "1 école"
    dept = t32.uncovered_by_department(data, "region", "2021-2022").set_index("department")
    assert dept.loc["87", "uncovered"] == 2 and dept.loc["87", "communes_without"] == 1
    assert dept.loc["86", "uncovered"] == 0 and dept.loc["86", "communes_uncovered"] == 0


def test_relays_by_function(data):
    table = t32.relays_by_function(data, "region", "2021-2022").set_index("function")
    assert tuple(table.loc["erun", ["relays", "establishments", "only_relay"]]) == (1, 2, 2)
    assert tuple(table.loc["referent_etablissement", ["relays", "establishments", "only_relay"]]) == (1, 1, 0)
    assert tuple(table.loc["mediateur_canope", ["relays", "establishments", "only_relay"]]) == (1, 2, 1)
    assert table.loc["inspecteur_referent", "relays"] == 0


def test_kinds_text():
    assert t32._kinds_text([3, 1, 0, 0]) == "3 écoles, 1 collège"
    assert t32._kinds_text([0, 0, 2, 1]) == "2 lycées, 1 EREA"


@pytest.mark.slow
def test_demo_coverage_and_gaps(demo_dir):
    """Injected: coverage 78.2 → 92.4 %; Creuse and Lot-et-Garonne behind; rural écoles behind."""
    data = Data(demo_dir)
    series = t32.compute(data)
    rates = series[(series["indicator"] == "relay_coverage_rate") & (series["academy"] == "region")]
    expected = [78.2, 82.3, 85.2, 88.0, 90.1, 92.4]
    assert rates["value"].to_numpy() == pytest.approx(expected, abs=1.0)
    dept = t32.breakdown(data, "relay_coverage_rate", "region", "2020-2021", "department")
    assert set(dept.nsmallest(2, "value")["group"]) == {"23", "47"}
    gap = t32.rural_gap(data, "region", "2020-2021")
    assert gap["gap"] > 10 and np.isnan(gap["ci_low"])   # urban écoles ahead by more than 10 points
    assert len(t32.uncovered_communes(data, "region", "2025-2026")) > 0


def test_relays_covering_a_uai_unknown_to_the_annuaire_are_measured(monkeypatch):
    # relais × annuaire: R7 covers 0860099Z, which the annuaire lacks: it covers no establishment
    # of the universe. R6's out-of-contract lycée is outside the definition, not lost.
    monkeypatch.setattr(Data, "latest_period", lambda self: "2021-2022")
    relays = _relays()
    extra = relays.iloc[[0]].assign(relay_id="R7", uai="0860099Z", end_date=pd.NaT)
    data = Data.from_frames({"annuaire": _annuaire(), "communes": _communes(),
                             "relais": pd.concat([relays, extra], ignore_index=True)})
    series = t32.compute(data)
    rate = _value(series, "relay_coverage_rate", "poitiers", "2020-2021")
    assert (rate["numerator"], rate["denominator"]) == (3, 4)                # unchanged by R7
    assert rate["coverage"] == pytest.approx(75.0)
    assert rate["coverage_note"] == ("taux calculé sur 75\u202f% des affectations de relais actifs : 1 établissement "
                                     "couvert par un relais mais inconnu de l'annuaire (1 affectation de relais "
                                     "actif)")
    assert _value(series, "relay_coverage_rate", "limoges", "2020-2021")["coverage_note"] == ""
    assert _value(t32.compute(Data.from_frames({"annuaire": _annuaire(), "communes": _communes(),
                                                "relais": relays})),
                  "relay_coverage_rate", "poitiers", "2020-2021")["coverage"] == 100.0
