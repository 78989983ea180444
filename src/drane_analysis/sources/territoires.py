"""Commune density grid (INSEE ``grille communale de densité``): rural or urban.

Our contract, modelled on INSEE's grid (published as a spreadsheet; save it as CSV with
``;``): ``CODGEO`` (commune INSEE code), ``LIBGEO``, ``DENS`` (1 dense, 2 intermediate,
3 low density, 4 very low density) and ``LIBDENS``. A commune is *rural* when it is of low
or very low density (DENS 3 or 4), INSEE's definition since 2020.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from . import register
from .base import Contract, Field, Provenance


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[_in_region(frame["commune_code"])].copy()  # a national grid may be dropped as is
    frame["department"] = frame["commune_code"].str.slice(0, 2).astype("string")
    frame["academy"] = frame["department"].map(referential.academy_of_department).astype("string")
    frame["territory"] = frame["density"].map(lambda d: "rural" if d >= 3 else "urban").astype("string")
    return frame.sort_values("commune_code").reset_index(drop=True)


def _in_region(code: pd.Series) -> pd.Series:
    return code.str.slice(0, 2).isin(list(referential.DEPARTMENTS))


CONTRACT = register(Contract(
    name="communes",
    title="Grille communale de densité (INSEE)",
    description="Une commune par ligne avec son niveau de densité (1 à 4) : rural = 3 ou 4.",
    folder="territoires",
    patterns=("*densite*.csv",),
    key=("commune_code",),
    decimal=".",
    tidy=_tidy,
    public_format=False,
    provenance=Provenance(
        producer="INSEE",
        url="https://www.insee.fr/fr/information/6439600",
        licence="Licence Ouverte / Etalab 2.0",
        documentation="docs/sources.md",
    ),
    fields=(
        Field("commune_code", ("CODGEO", "code_commune", "Code commune"), "string", "code INSEE"),
        Field("commune_name", ("LIBGEO", "nom_commune", "Libellé"), "string", nullable=True),
        Field("density", ("DENS", "Degré de densité"), "int", "1 dense … 4 très peu dense", min=1, max=4),
        Field("density_label", ("LIBDENS",), "string", nullable=True, required=False),
        Field("population", ("PMUN", "Population municipale"), "int", unit="count", nullable=True,
              required=False, min=0),
    ),
))
