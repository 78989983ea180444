"""IPS (indice de position sociale) of écoles, collèges and lycées, published by the DEPP.

Real, public formats (data.education.gouv.fr, API field headers, ``;``), two generations
(data-sources §5):

- the *legacy* datasets ``fr-en-ips_ecoles`` (and ``_v2``), ``fr-en-ips_colleges``,
  ``fr-en-ips_lycees`` (school years 2016-2017 to 2021-2022; the establishment's name
  column is misspelt ``nom_de_l_etablissment``; lycées give ``type_de_lycee``,
  ``ips_voie_gt``, ``ips_voie_pro`` and ``ips_ensemble_gt_pro``);
- the datasets computed with the method of 2022, ``fr-en-ips-ecoles-ap2022``,
  ``fr-en-ips-colleges-ap2022`` / ``-ap2023``, ``fr-en-ips-lycees-ap2022`` / ``-ap2023``
  (stacked years, reference columns ``ips_national``...; écoles may carry the literal
  ``NS`` when too small; lycées have ``ips_etab`` and no plain ``ips``).

The release of a file (``legacy``, ``ap2022``, ``ap2023``) is read from its name and kept
in the ``release`` column: the 2022 method changed how the index is computed, so values
of two releases are not strictly comparable. When two releases cover the same
(UAI, school year), the newest release wins; duplicates inside one release are errors.
National files may be dropped as they are: rows outside the region are ignored.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from . import register
from .base import DEFAULT_NA, Contract, Field, Provenance

FOLDER = "ips"
# Always matches: the release for "...-ap2022.csv", an empty string for legacy files.
RELEASE_PATTERN = r"^.*?(?P<release>ap\d{4}|$)"
SECTOR_VALUES = {
    "public": "public", "privé sous contrat": "private", "privé": "private", "prive": "private",
    "privé hors contrat": "private",
}
LYCEE_TYPES = {"LEGT": "LEGT", "LP": "LP", "LPO": "LPO"}
IPS_NA = (*DEFAULT_NA, "NS", "ns")
PROVENANCE = dict(
    producer="Ministère de l'Éducation nationale (DEPP)",
    licence="Licence Ouverte / Etalab 2.0",
    documentation="data-sources §5",
)


def _common_fields() -> tuple[Field, ...]:
    """Fields every IPS file has, whatever the kind and release."""
    return (
        Field("period", ("rentree_scolaire",), "period", "année scolaire (2022-2023)"),
        Field("uai", ("uai",), "uai", "code UAI de l'établissement"),
        Field("name", ("nom_de_l_etablissement", "nom_de_l_etablissment"), "string",
              "nom de l'établissement (orthographe des deux versions acceptée)",
              nullable=True, required=False),
        Field("department", ("code_du_departement",), "department", "département (33 ou 033)"),
        Field("sector", ("secteur",), "category", "public ou privé sous contrat",
              values=SECTOR_VALUES, nullable=True),
        Field("release", ("edition du fichier",), "string",
              "édition du jeu de données, lue dans le nom du fichier (ap2022, ap2023 ; vide : ancienne série)",
              nullable=True, required=False),
    )


def _ips_field(headers: tuple[str, ...], description: str, *, required: bool = True) -> Field:
    return Field("ips", headers, "float", description, unit="index", nullable=True,
                 required=required, min=30, max=200, na_values=IPS_NA)


def _release_rank(release: pd.Series) -> pd.Series:
    """0 for the legacy series, the year for ``apYYYY`` releases (newest wins)."""
    years = pd.to_numeric(release.str.slice(2, 6), errors="coerce")
    return years.fillna(0).astype(int)


def tidy_ips(frame: pd.DataFrame) -> pd.DataFrame:
    """Fill the release, keep the newest release per (uai, period), add the academy."""
    frame = frame.copy()
    frame["release"] = frame["release"].fillna("legacy").astype("string") if "release" in frame \
        else pd.Series("legacy", index=frame.index, dtype="string")
    frame["_rank"] = _release_rank(frame["release"])
    frame = (frame.sort_values(["uai", "period", "_rank"], kind="stable")
             .drop_duplicates(["uai", "period"], keep="last")
             .drop(columns="_rank"))
    frame["academy"] = frame["department"].map(referential.academy_of_department).astype("string")
    columns = ["uai", "period", "ips", "ips_gt", "ips_pro", "lycee_type", "sector", "department",
               "academy", "release", "name"]
    return frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)


def _contract(name: str, title: str, kind_slug: str, ips_fields: tuple[Field, ...],
              datasets: str) -> Contract:
    return register(Contract(
        name=name,
        title=title,
        description="Un établissement par année scolaire : IPS, secteur, département ; "
                    "anciennes séries et séries « ap2022 »/« ap2023 » acceptées.",
        folder=FOLDER,
        patterns=(f"*ips?{kind_slug}*.csv",),
        sep=";",
        decimal=".",
        fields=(*_common_fields(), *ips_fields),
        key=("uai", "period", "release"),
        path_fields=RELEASE_PATTERN,
        path_field_headers={"release": "nom du fichier"},
        region_column="department",
        outside_region="drop",
        tidy=tidy_ips,
        provenance=Provenance(
            url=f"https://data.education.gouv.fr/explore/dataset/{datasets}/", **PROVENANCE),
    ))


ECOLES = _contract(
    "ips_ecoles", "IPS des écoles", "ecoles",
    (_ips_field(("ips",), "indice de position sociale (NS : école trop petite → vide)"),),
    "fr-en-ips-ecoles-ap2022",
)

COLLEGES = _contract(
    "ips_colleges", "IPS des collèges", "colleges",
    (_ips_field(("ips",), "indice de position sociale du collège"),),
    "fr-en-ips-colleges-ap2022",
)

LYCEES = _contract(
    "ips_lycees", "IPS des lycées", "lycees",
    (
        _ips_field(("ips_etab", "ips_ensemble_gt_pro"),
                   "IPS de l'établissement (ips_etab ; ips_ensemble_gt_pro dans l'ancienne série)"),
        Field("ips_gt", ("ips_voie_gt",), "float", "IPS de la voie générale et technologique",
              unit="index", nullable=True, required=False, min=30, max=200, na_values=IPS_NA),
        Field("ips_pro", ("ips_voie_pro",), "float", "IPS de la voie professionnelle",
              unit="index", nullable=True, required=False, min=30, max=200, na_values=IPS_NA),
        Field("lycee_type", ("type_de_lycee",), "category", "LEGT, LP ou LPO", values=LYCEE_TYPES,
              nullable=True, required=False),
    ),
    "fr-en-ips-lycees-ap2022",
)
