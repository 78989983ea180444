"""Annuaire de l'éducation (``fr-en-annuaire-education``): the establishments.

Real, public format (data.education.gouv.fr, Opendatasoft export with label headers,
``;``, UTF-8). Both the 2023 version (69 columns, ``Code postal``, ``Nombre_d_eleves``)
and the newer one (71 columns, ``Code_postal``) are accepted, and so are the API field
names (lower case). A national export may be dropped as is: rows outside the region are
ignored. About 75 UAIs appear twice in the real directory; the first row is kept.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from . import register
from .base import Contract, Field, Provenance

KIND_VALUES = {
    "Ecole": "ecole", "École": "ecole",
    "Collège": "college", "College": "college",
    "Lycée": "lycee", "Lycee": "lycee",
    "EREA": "erea",
    "Médico-social": "medico_social",
    "Service Administratif": "administratif",
    "Information et orientation": "orientation",
    "Autre": "autre",
}
SECTOR_VALUES = {"Public": "public", "Privé": "private", "Prive": "private"}
PRIORITY_VALUES = {"REP": "rep", "REP+": "rep_plus", "REP +": "rep_plus", "Hors EP": "none",
                   "HORS REP": "none"}
ETAT_VALUES = {"OUVERT": "open", "A FERMER": "closing", "A OUVRIR": "opening", "FERME": "closed"}


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop_duplicates(subset="uai", keep="first").copy()
    frame["academy"] = frame["department"].map(referential.academy_of_department).astype("string")
    frame["priority_education"] = frame["priority_education"].fillna("none")
    if "state" in frame:
        frame["state"] = frame["state"].fillna("open")
    return frame.sort_values("uai", kind="stable").reset_index(drop=True)


CONTRACT = register(Contract(
    name="annuaire",
    title="Annuaire de l'éducation",
    description="Un établissement par ligne : UAI, type, statut, commune, département, "
                "éducation prioritaire, coordonnées, nature.",
    folder="annuaire",
    patterns=("*annuaire*.csv",),
    sep=";",
    decimal=".",
    region_column="department",
    outside_region="drop",
    tidy=_tidy,
    provenance=Provenance(
        producer="Ministère de l'Éducation nationale (DEPP)",
        url="https://data.education.gouv.fr/explore/dataset/fr-en-annuaire-education/",
        licence="Licence Ouverte / Etalab 2.0",
        documentation="data-sources §1",
    ),
    fields=(
        Field("uai", ("Identifiant_de_l_etablissement",), "uai", "code UAI de l'établissement"),
        Field("name", ("Nom_etablissement",), "string", "nom de l'établissement", nullable=True),
        Field("kind", ("Type_etablissement",), "category", "type d'établissement", values=KIND_VALUES),
        Field("sector", ("Statut_public_prive",), "category", "public ou privé", values=SECTOR_VALUES,
              nullable=True),
        Field("postal_code", ("Code postal", "Code_postal"), "string", nullable=True, required=False),
        Field("commune_code", ("Code_commune",), "string", "code INSEE de la commune", nullable=True),
        Field("commune_name", ("Nom_commune",), "string", nullable=True),
        Field("department", ("Code_departement",), "department", "département"),
        Field("academy_code", ("Code_academie",), "string", "code de l'académie", nullable=True),
        Field("region_code", ("Code_region",), "string", nullable=True, required=False),
        Field("priority_education", ("Appartenance_Education_Prioritaire",), "category",
              "REP, REP+ ou vide", values=PRIORITY_VALUES, nullable=True, required=False),
        Field("has_general_track", ("Voie_generale",), "bool", nullable=True, required=False),
        Field("has_technological_track", ("Voie_technologique",), "bool", nullable=True, required=False),
        Field("has_vocational_track", ("Voie_professionnelle",), "bool", nullable=True, required=False),
        Field("has_ulis", ("ULIS",), "bool", nullable=True, required=False),
        Field("has_segpa", ("Segpa",), "bool", nullable=True, required=False),
        Field("pupils", ("Nombre_d_eleves",), "int", "nombre d'élèves (versions 2023)", unit="count",
              nullable=True, required=False, min=0),
        Field("latitude", ("latitude",), "float", nullable=True, required=False, min=-90, max=90),
        Field("longitude", ("longitude",), "float", nullable=True, required=False, min=-180, max=180),
        Field("opening_date", ("date_ouverture",), "date", nullable=True, required=False,
              formats=("%Y-%m-%d", "%d/%m/%Y")),
        Field("state", ("etat",), "category", values=ETAT_VALUES, nullable=True, required=False),
        Field("nature_code", ("code_nature",), "string", "code nature (340 collège, 300 LEGT…)",
              nullable=True, required=False),
        Field("nature_label", ("libelle_nature",), "string", nullable=True, required=False),
        Field("private_contract_code", ("Code_type_contrat_prive",), "string", nullable=True,
              required=False),
    ),
))
