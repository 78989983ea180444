"""French numbers and p-values (formatting.py), as every report, the index and the CLI write them."""

from __future__ import annotations

import numpy as np

from drane_analysis.formatting import fmt_interval, fmt_p_value, fmt_value, fr_number


def test_numbers_the_french_way():
    assert fr_number(1234.56, 1) == "1\u202f234,6"
    assert fr_number(-0.01, 1) == "0"  # no « -0,0 »
    assert fr_number(np.nan) == "—"
    assert fmt_value(83.24, "percent") == "83,2\u202f%"
    assert fmt_interval(80.1, 86.0, "percent") == "[80,1\u202f; 86,0]"


def test_p_values():
    assert fmt_p_value(0.0123) == "0,012"
    assert fmt_p_value(0.0123, relation=True) == "= 0,012"
    assert fmt_p_value(0.0004) == "< 0,001" == fmt_p_value(0.0004, relation=True)
    assert fmt_p_value(None) == "—" == fmt_p_value(np.nan)
