"""ENT usage statistics: the Edifice / Open Digital Education "Statistiques" CSV exports.

Real, public format (data-sources §6): the export of the ENT's statistics application,
UTF-8 with BOM, ``;``, every field quoted, one row per establishment × date × profile
(× application for the access export). ``Date`` is a Java ``LocalDateTime``
(``2024-09-01T00:00``); profiles are French labels (Élèves, Enseignants, Parents,
Personnels, Autres; the English keys Student, Teacher, Relative, Personnel, Guest are
accepted too). Only the **monthly** frequency is accepted: every date must be the first
day of a month.

Files sit in ``ent/<platform>/<school year>/``: the platform (``lycee-connecte``,
``colleges-<department>``, ``ecoles``) and the school year come from the folders, and every
date of a file must fall inside its folder's school year.

- ``ent_comptes``: ``export-stats-accounts.csv`` (connections, unique visitors, loaded
  and activated accounts);
- ``ent_acces``: ``export-stats-access*.csv`` (accesses per application or connector; the
  optional ``Visiteurs uniques`` column is our extension of the real header).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import referential
from ..periods import period_of_dates
from . import register
from .base import Contract, Field, Provenance, RowCheck

PROFILE_VALUES = {
    "Élèves": "student", "Enseignants": "teacher", "Parents": "parent", "Personnels": "staff",
    "Autres": "other",
    "Student": "student", "Teacher": "teacher", "Relative": "parent", "Personnel": "staff",
    "Guest": "other",
}
"""Profile labels of the export (and the platform's English keys) → tidy profile."""

PROFILE_LABELS = {"student": "Élèves", "teacher": "Enseignants", "parent": "Parents",
                  "staff": "Personnels", "other": "Autres"}
"""Tidy profile → the label the export writes."""

PLATFORM_RE = re.compile(
    r"^(lycee-connecte|ecoles|colleges-(" + "|".join(referential.DEPARTMENTS) + r"))$"
)

# The platform and the school year are the two folders above the file. The groups match
# empty strings when the file is not deep enough, so that a misplaced file is reported
# (a missing value) instead of being read without its platform.
PATH_FIELDS = (r"(?P<platform>(?:[^/]+(?=/[^/]+/[^/]+$))?)/?"
               r"(?P<period>(?:[^/]+(?=/[^/]+$))?)/?[^/]+$")
PATH_FIELD_HEADERS = {"platform": "(dossier plateforme)", "period": "(dossier année scolaire)"}

DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d",
                "%d/%m/%Y")

PROVENANCE = Provenance(
    producer="ENT (socle Edifice / Open Digital Education), application « Statistiques »",
    url="https://github.com/edificeio/statistics",
    licence="données internes (export de l'ENT)",
    documentation="docs/sources/ent.md ; data-sources §6",
)


def _common_fields() -> tuple[Field, ...]:
    return (
        Field("platform", (PATH_FIELD_HEADERS["platform"],), "string",
              "plateforme, lue dans le nom du dossier", required=False),
        Field("period", (PATH_FIELD_HEADERS["period"],), "period",
              "année scolaire, lue dans le nom du dossier", required=False),
        Field("uai", ("UAI", "Code UAI"), "uai", "code UAI de l'établissement"),
        Field("month", ("Date",), "datetime", "premier jour du mois (export mensuel)",
              formats=DATE_FORMATS),
        Field("profile", ("Profil", "Profile"), "category",
              "profil : Élèves, Enseignants, Parents, Personnels, Autres", values=PROFILE_VALUES),
    )


def _check_platform() -> RowCheck:
    return RowCheck(
        "platform_known", ("platform",),
        "un dossier de plateforme « lycee-connecte », « ecoles » ou « colleges-<département> » "
        "(ex. colleges-86)",
        lambda f: f["platform"].str.fullmatch(PLATFORM_RE.pattern).astype("boolean"),
    )


def _check_month_start() -> RowCheck:
    return RowCheck(
        "month_start", ("month",),
        "le premier jour d'un mois à 00:00 (export à la fréquence « mois »)",
        lambda f: (f["month"].dt.day == 1) & (f["month"] == f["month"].dt.normalize()),
    )


def _check_month_in_period() -> RowCheck:
    return RowCheck(
        "month_in_period", ("month", "period"),
        "une date comprise dans l'année scolaire du dossier (1er septembre – 31 août)",
        lambda f: period_of_dates(f["month"]) == f["period"],
    )


def _add_geography(frame: pd.DataFrame) -> pd.DataFrame:
    """Department and academy of each row, from its UAI (computed once per UAI)."""
    codes, uais = pd.factorize(frame["uai"])
    depts = np.array([referential.department_of_uai(u) for u in uais] + [None], dtype=object)
    academies = np.array([referential.academy_of_department(d) for d in depts], dtype=object)
    frame["department"] = pd.array(depts[codes], dtype="string")  # code -1 (missing) → None
    frame["academy"] = pd.array(academies[codes], dtype="string")
    return frame


def _tidy_accounts(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography(frame.copy())
    frame["month"] = frame["month"].astype("datetime64[ns]")
    columns = ["platform", "period", "month", "uai", "department", "academy", "profile",
               "connections", "unique_visitors", "accounts_loaded", "accounts_activated"]
    return frame[columns].reset_index(drop=True)


def _tidy_access(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography(frame.copy())
    frame["month"] = frame["month"].astype("datetime64[ns]")
    if "unique_visitors" not in frame:
        frame["unique_visitors"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    columns = ["platform", "period", "month", "uai", "department", "academy", "profile",
               "application", "accesses", "unique_visitors"]
    return frame[columns].reset_index(drop=True)


ACCOUNTS = register(Contract(
    name="ent_comptes",
    title="ENT : comptes et connexions (export « Statistiques »)",
    description="Par établissement, mois et profil : connexions, visiteurs uniques, comptes "
                "chargés et comptes activés.",
    folder="ent",
    patterns=("**/export-stats-accounts.csv",),
    sep=";",
    decimal=",",
    path_fields=PATH_FIELDS,
    path_field_headers=PATH_FIELD_HEADERS,
    key=("uai", "month", "profile", "platform"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_accounts,
    provenance=PROVENANCE,
    public_format=True,
    fields=(
        *_common_fields(),
        Field("connections", ("Connexions",), "int", "connexions dans le mois", unit="count", min=0),
        Field("unique_visitors", ("Visiteurs uniques",), "int",
              "utilisateurs distincts connectés dans le mois", unit="count", min=0),
        Field("accounts_loaded", ("Comptes chargés",), "int",
              "comptes créés (annuaire académique)", unit="count", min=0),
        Field("accounts_activated", ("Comptes activés",), "int",
              "comptes activés (première connexion faite) à la fin du mois", unit="count", min=0),
    ),
    checks=(
        _check_platform(),
        _check_month_start(),
        _check_month_in_period(),
        RowCheck("activated_le_loaded", ("accounts_activated", "accounts_loaded"),
                 "des comptes activés au plus égaux aux comptes chargés",
                 lambda f: f["accounts_activated"] <= f["accounts_loaded"]),
        RowCheck("visitors_le_connections", ("unique_visitors", "connections"),
                 "des visiteurs uniques au plus égaux aux connexions",
                 lambda f: f["unique_visitors"] <= f["connections"]),
    ),
))

ACCESS = register(Contract(
    name="ent_acces",
    title="ENT : accès aux applications (export « Statistiques »)",
    description="Par établissement, mois, profil et application (ou connecteur) : nombre "
                "d'accès ; visiteurs uniques en option (extension du projet).",
    folder="ent",
    patterns=("**/export-stats-access*.csv",),
    sep=";",
    decimal=",",
    path_fields=PATH_FIELDS,
    path_field_headers=PATH_FIELD_HEADERS,
    key=("uai", "month", "profile", "application", "platform"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_access,
    provenance=PROVENANCE,
    public_format=True,
    fields=(
        *_common_fields(),
        Field("application", ("Application", "Connecteur"), "string",
              "application ou connecteur de l'ENT"),
        Field("accesses", ("Nombre d'accès",), "int", "accès à l'application dans le mois",
              unit="count", min=0),
        Field("unique_visitors", ("Visiteurs uniques",), "int",
              "utilisateurs distincts de l'application dans le mois (extension du projet, "
              "absente de l'export réel)", unit="count", min=0, required=False, nullable=True),
    ),
    checks=(
        _check_platform(),
        _check_month_start(),
        _check_month_in_period(),
        RowCheck("visitors_le_accesses", ("unique_visitors", "accesses"),
                 "des visiteurs uniques au plus égaux au nombre d'accès",
                 lambda f: f["unique_visitors"] <= f["accesses"]),
    ),
))
