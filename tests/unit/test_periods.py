"""School years: parsing, labels, order, dates."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from drane_analysis.periods import Period, period_of_dates, period_range


def test_a_school_year_is_parsed_from_its_label_or_its_first_year():
    for text in ("2022-2023", " 2022-2023 ", "2022", 2022, np.int64(2022), np.str_("2022-2023")):
        assert Period.parse(text) == Period(2022), text
    assert Period.parse(Period(2021)) == Period(2021)
    p = Period.parse("2022-2023")
    assert (p.label, str(p), p.end, p.first_day, p.last_day) == (
        "2022-2023", "2022-2023", 2023, date(2022, 9, 1), date(2023, 8, 31))
    assert Period.parse("2022-2023") is Period.parse("2022-2023")  # parsed once, the same object


@pytest.mark.parametrize("bad", ["2022-2024", "2022/2023", "22-23", "", None, pd.NA, ["2022-2023"]])
def test_anything_else_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="période invalide .* attendu une année scolaire comme 2022-2023"):
        Period.parse(bad)


def test_years_compare_and_hash_by_their_first_year_only():
    a, b = Period.parse("2021-2022"), Period(2021)
    assert a.label and a == b and hash(a) == hash(b)  # the label kept on one does not count
    assert Period(2020) < a < Period(2022) and max([Period(2023), a]) == Period(2023)
    assert a.shift(2) == Period(2023) and Period.of_date(date(2022, 8, 31)) == a
    assert Period.of_date(pd.Timestamp("2022-09-01")) == Period(2022)


def test_ranges_and_the_year_of_each_date():
    assert period_range("2020-2021", Period(2022)) == ["2020-2021", "2021-2022", "2022-2023"]
    assert period_range("2022-2023", "2020-2021") == []
    dates = pd.Series(pd.to_datetime(["2022-08-31", "2022-09-01", None]))
    out = period_of_dates(dates)
    assert out.tolist()[:2] == ["2021-2022", "2022-2023"] and pd.isna(out.iloc[2])
