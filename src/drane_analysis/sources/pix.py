"""Pix: the Pix Orga deployment follow-up and the certification results.

Three sources:

- ``pix_orga`` (our contract): the follow-up table of Pix Orga deployment the académie
  receives from Pix, one row per secondary establishment (SCO organisation) at a snapshot
  date — the status (*non activé*, *non importé*, *importé <année>*, *actif*) and the date
  of its first campaign of the school year. Files ``pix/orga/*_<AAAA-MM-JJ>.csv``: the
  snapshot date is in the file name; the report of a school year uses its January snapshot
  (the roadmap's progress point is January 2021).
- ``pix_certification`` (public format): Pix Certif session results
  (``…_resultats_session_<id>.csv``, data-sources §3e: BOM, ``;``, strings quoted, names
  and birth data of the candidates). The files carry no UAI: they sit in one folder per
  establishment, ``pix/certification/<UAI>/``. The level (*3e* or *terminale*) follows
  from the establishment's kind (collège and EREA: 3e; lycée: terminale).
- ``pix_certification_enseignants`` (public format): the same export for the teachers'
  sessions of each academy's certification centre, ``pix/certification-enseignants/<académie>/``.

Names, first names, birth dates and places, external ids and the jury's comments are
personal: dropped at read. The certification number is kept to detect duplicates, then
dropped from the tidy frame. Since the exports carry no person identifier, the reader
combines the last name, first name and birth date of each row into a pseudonymous person
number (:class:`~drane_analysis.sources.base.PersonKey`), ``pupil_id`` for the pupils and
``person_id`` for the teachers, and drops them: the indicators count *persons* (a pupil
certified twice counts once), not rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import referential
from ..periods import period_of_dates
from . import register
from .base import Contract, Field, PersonKey, Provenance, RowCheck

# ----------------------------------------------------------------------------- Pix Orga

PIX_ORGA_STATUS = {
    "Non activé": "not_activated",
    "Non importé": "not_imported",
    "Importé": "imported",
    **{f"Importé {year}": "imported" for year in range(2018, 2036)},
    "Actif": "active",
}
PIX_ORGA_STATUS_LABELS = {
    "not_activated": "Non activé",
    "not_imported": "Non importé",
    "imported": "Importé",
    "active": "Actif",
}


def _departments_of(uai: pd.Series) -> pd.Series:
    """Department of each UAI (computed once per distinct UAI)."""
    mapping = {u: referential.department_of_uai(u) for u in uai.dropna().unique()}
    return uai.map(mapping).astype("string")


def _tidy_orga(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"], format="%Y-%m-%d")
    frame["period"] = period_of_dates(frame["snapshot_date"])
    frame["department"] = _departments_of(frame["uai"])
    frame["academy"] = frame["department"].map(referential.academy_of_department).astype("string")
    first = frame["first_campaign_date"]
    start = pd.to_datetime(frame["period"].str.slice(0, 4) + "-09-01")
    frame["launched_campaign"] = (first.notna() & (first >= start) & (first <= frame["snapshot_date"])).astype(
        "boolean")
    cols = ["period", "snapshot_date", "uai", "department", "academy", "status", "activation_date",
            "campaigns", "first_campaign_date", "launched_campaign"]
    return frame[cols].sort_values(["snapshot_date", "uai"]).reset_index(drop=True)


PIX_ORGA = register(Contract(
    name="pix_orga",
    title="Suivi du déploiement de Pix Orga",
    description="Statut Pix Orga de chaque établissement du second degré à une date de point d'étape.",
    folder="pix/orga",
    patterns=("*.csv",),
    path_fields=r"(?P<snapshot_date>\d{4}-\d{2}-\d{2})[^/]*\.csv$",
    path_field_headers={"snapshot_date": "(date dans le nom du fichier)"},
    key=("snapshot_date", "uai"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_orga,
    public_format=False,
    provenance=Provenance(
        producer="Pix (GIP), tableau de suivi transmis aux académies",
        documentation="docs/sources/pix.md",
    ),
    fields=(
        Field("uai", ("UAI", "Identifiant externe", "externalId"), "uai", "UAI de l'organisation"),
        Field("organisation_name", ("Nom de l'organisation",), "string", nullable=True, required=False),
        Field("status", ("Statut Pix Orga", "Statut"), "category",
              "non activé, non importé, importé <année>, actif", values=PIX_ORGA_STATUS),
        Field("activation_date", ("Date d'activation",), "date", nullable=True, required=False,
              formats=("%d/%m/%Y", "%Y-%m-%d")),
        Field("last_import_date", ("Date du dernier import",), "date", nullable=True, required=False,
              formats=("%d/%m/%Y", "%Y-%m-%d")),
        Field("campaigns", ("Nombre de campagnes",), "int", "campagnes créées dans l'année", unit="count",
              min=0),
        Field("first_campaign_date", ("Date de la première campagne",), "date", nullable=True,
              formats=("%d/%m/%Y", "%Y-%m-%d")),
        Field("snapshot_date", ("(date dans le nom du fichier)",), "string", required=False),
    ),
    checks=(
        RowCheck("campaign_needs_a_date", ("campaigns", "first_campaign_date"),
                 "une date de première campagne quand le nombre de campagnes est positif",
                 lambda f: ~((f["campaigns"] > 0) & f["first_campaign_date"].isna())),
    ),
))

# ------------------------------------------------------------------ Pix certification

COMPETENCES = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4",
               "4.1", "4.2", "4.3", "5.1", "5.2")
COMPETENCE_COLUMNS = tuple(f"c{c.replace('.', '_')}" for c in COMPETENCES)
DOMAINS = {
    "1": "Informations et données",
    "2": "Communication et collaboration",
    "3": "Création de contenu",
    "4": "Protection et sécurité",
    "5": "Environnement numérique",
}
CERTIFICATION_STATUS = {
    "Validée": "validated",
    "Non obtenue": "not_obtained",
    "Rejetée": "not_obtained",
    "Annulée": "cancelled",
    "En erreur": "error",
    "Started": "error",
}
STATUS_LABELS = {"validated": "Validée", "not_obtained": "Non obtenue", "cancelled": "Annulée",
                 "error": "En erreur"}

_PIX_CERT_FIELDS: tuple[Field, ...] = (
    Field("certification_number", ("Numéro de certification",), "string",
          "identifiant de la certification (supprimé après contrôle des doublons)"),
    Field("first_name", ("Prénom",), personal=True, required=False),
    Field("last_name", ("Nom",), personal=True, required=False),
    Field("birth_date", ("Date de naissance",), personal=True, required=False),
    Field("birth_place", ("Lieu de naissance",), personal=True, required=False),
    Field("external_id", ("Identifiant Externe",), personal=True, required=False),
    Field("certification_type", ("Type de certification",), "string", "Pix, CléA Numérique by Pix, Pix+ …",
          nullable=True, required=False),
    Field("status", ("Statut",), "category", "Validée, Non obtenue (Rejetée), Annulée, En erreur",
          values=CERTIFICATION_STATUS),
    Field("global_level", ("Niveau",), "string", "niveau global v3 (Novice 1 … Expert 2) ou -",
          nullable=True, required=False),
    Field("score", ("Score en Pix", "Nombre de Pix"), "int", "score de certification", unit="pix",
          nullable=True, min=0, max=1024),
    *(Field(col, (code,), "int", f"niveau dans la compétence {code}", unit="level", nullable=True,
            min=0, max=8) for code, col in zip(COMPETENCES, COMPETENCE_COLUMNS, strict=True)),
    Field("jury_comment", ("Commentaire jury pour l’organisation", "Commentaire jury pour l'organisation",
                           "Commentaire jury"), personal=True, required=False),
    Field("session_id", ("Session",), "string", "identifiant de session"),
    Field("centre", ("Centre de certification",), "string", nullable=True, required=False),
    Field("exam_date", ("Date de passage de la certification",), "date",
          formats=("%d/%m/%Y", "%Y-%m-%d")),
)


#: Which rows are the same person: the identifiers every version of the export carries.
_IDENTITY = ("last_name", "first_name", "birth_date")


def _plausible_exam_date(frame: pd.DataFrame) -> pd.Series:
    return frame["exam_date"].between(pd.Timestamp("2019-09-01"), pd.Timestamp.today() + pd.Timedelta(days=366))


_CERT_CHECKS = (
    RowCheck("plausible_exam_date", ("exam_date",), "une date de passage entre septembre 2019 et aujourd'hui",
             _plausible_exam_date),
    RowCheck("validated_has_score", ("status", "score"),
             "un score en pix pour une certification validée",
             lambda f: ~((f["status"] == "validated") & f["score"].isna())),
)


def _tidy_cert(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["period"] = period_of_dates(frame["exam_date"])
    return frame.drop(columns=["certification_number"])


def _tidy_students(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _tidy_cert(frame)
    frame["department"] = _departments_of(frame["uai"])
    frame["academy"] = frame["department"].map(referential.academy_of_department).astype("string")
    lead = ["period", "uai", "department", "academy", "pupil_id", "session_id", "exam_date",
            "certification_type", "status", "score", "global_level"]
    return frame[lead + list(COMPETENCE_COLUMNS)].reset_index(drop=True)


PIX_CERTIFICATION = register(Contract(
    name="pix_certification",
    title="Résultats de certification Pix des élèves",
    description="Une ligne par candidat d'une session Pix Certif ; un dossier par établissement (UAI).",
    folder="pix/certification",
    patterns=("*/*.csv",),
    path_fields=r"(?P<uai>[^/]+)/[^/]+$",
    path_field_headers={"uai": "(dossier UAI)"},
    fields=(*_PIX_CERT_FIELDS,
            Field("uai", ("(dossier UAI)",), "uai", "UAI de l'établissement (nom du dossier)", required=False)),
    key=("certification_number",),
    formula_guard=True,
    region_column="uai",
    outside_region="error",
    checks=_CERT_CHECKS,
    tidy=_tidy_students,
    person_key=PersonKey("pupil_id", _IDENTITY),
    version=2,
    provenance=Provenance(
        producer="Pix (GIP), export Pix Certif des résultats de session",
        url="https://github.com/1024pix/pix",
        documentation="data-sources §3e ; docs/sources/pix.md",
    ),
))


def _tidy_teachers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _tidy_cert(frame)
    lead = ["period", "academy", "person_id", "session_id", "exam_date", "certification_type", "status",
            "score", "global_level"]
    return frame[lead + list(COMPETENCE_COLUMNS)].reset_index(drop=True)


PIX_CERTIFICATION_TEACHERS = register(Contract(
    name="pix_certification_enseignants",
    title="Résultats de certification Pix des enseignants",
    description="Sessions des centres de certification académiques ouvertes aux enseignants ; "
                "un dossier par académie.",
    folder="pix/certification-enseignants",
    patterns=("*/*.csv",),
    path_fields=r"(?P<academy>[^/]+)/[^/]+$",
    path_field_headers={"academy": "(dossier académie)"},
    fields=(*_PIX_CERT_FIELDS,
            Field("academy", ("(dossier académie)",), "academy", "académie (nom du dossier)", required=False)),
    key=("certification_number",),
    formula_guard=True,
    checks=_CERT_CHECKS,
    tidy=_tidy_teachers,
    person_key=PersonKey("person_id", _IDENTITY),
    version=2,
    provenance=Provenance(
        producer="Pix (GIP), export Pix Certif des résultats de session",
        url="https://github.com/1024pix/pix",
        documentation="data-sources §3e ; docs/sources/pix.md",
    ),
))


# ------------------------------------------------------------------ helpers for the indicators

#: The certification the roadmap's indicators are about (not CléA, not Pix+ …).
PIX_TYPE = "Pix"


def is_pix_certification(frame: pd.DataFrame) -> pd.Series:
    """True for the rows of the Pix certification itself: type « Pix », or no type.

    The v2-era export has no ``Type de certification`` column (every row is a Pix
    certification: the complementary ones were columns of the same row); the current one
    also lists CléA Numérique and Pix+ (Édu, Droit…) certifications as rows of their own.
    """
    if "certification_type" not in frame:
        return pd.Series(True, index=frame.index)
    kind = frame["certification_type"].astype("string").str.strip().str.casefold()
    return (kind.isna() | (kind == PIX_TYPE.casefold())).astype(bool)


def persons(frame: pd.DataFrame, column: str) -> pd.Series:
    """The person of each row: the reader's pseudonymous number (``pupil_id``, ``person_id``).

    A frame without that column (a partner-lab extract made before the numbers existed, a
    hand-made table) or a row without a number counts each row as a person of its own.
    """
    if column in frame:
        ids = frame[column].astype("string")
        missing = ids.isna().to_numpy()
        if not missing.any():
            return ids
        ids = ids.copy()
        ids[missing] = [f"row:{i}" for i in np.flatnonzero(missing)]
        return ids
    return pd.Series([f"row:{i}" for i in range(len(frame))], index=frame.index, dtype="string")
