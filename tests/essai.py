"""The small test contract that stands for every source in the reader's tests.

A UAI, a department, a school year and a count, keyed by (uai, year); each test module
adds the fields it needs (``essai("name", *fields, **changes)``).
"""

from __future__ import annotations

from drane_analysis.sources.base import Contract, Field

BASE_FIELDS = (
    Field("uai", ("UAI", "numero_uai"), "uai"),
    Field("department", ("Département",), "department"),
    Field("year", ("Année",), "int", min=2000, max=2100),
    Field("pupils", ("Élèves",), "int", unit="count", min=0),
)
#: A part of the count, a date, a category and a personal field.
DETAIL_FIELDS = (
    Field("girls", ("Filles",), "int", unit="count", min=0),
    Field("day", ("Date",), "date", formats=("%d/%m/%Y",)),
    Field("kind", ("Type",), "category", values={"Collège": "college", "Lycée": "lycee"}),
    Field("name", ("Nom",), personal=True, required=False),
)


def essai(name: str, *fields: Field, **changes) -> Contract:
    """The test contract ``name``: the base fields then ``fields``; ``changes`` replace
    any other attribute (patterns, checks…)."""
    settings = {"title": "Essai", "folder": "essai", "patterns": ("*.csv",), "key": ("uai", "year"),
                "region_column": "department", "outside_region": "error", **changes}
    return Contract(name=name, fields=BASE_FIELDS + fields, **settings)
