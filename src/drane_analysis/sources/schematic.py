"""SchémaTic self-assessments (``schematic``) and leaders trained (``cadres``).

Two contracts of ours (no published format), documented in ``docs/sources/formation.md``:

- ``schematic``: one row per establishment and assessment (its date), with one level
  (1 to 4) per domain of the referential, as the academies' SchémaTic exports give them;
  the assessor's name is dropped at read. The tidy frame is *long*: one row per
  establishment, assessment and domain.
- ``cadres``: one row per leader (head or deputy head of establishment, IEN, IA-IPR) and
  school year, telling whether the person has been trained to SchémaTic and to steering
  digital; names are dropped at read, a pseudonymous person id keys the rows.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from ..periods import period_of_dates
from . import register
from .base import Contract, Field, Provenance, RowCheck

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y")

# The domains of the referential: tidy value → header of the export (and French label).
DOMAINS = {
    "steering": "Pilotage et stratégie",
    "infrastructure": "Infrastructures et équipements",
    "resources": "Ressources et services numériques",
    "teaching": "Usages pédagogiques",
    "training": "Formation et accompagnement",
    "communication": "Communication et ouverture",
}
DOMAIN_LABELS = dict(DOMAINS)
DOMAIN_ALIASES = {
    "steering": ("Pilotage", "Pilotage et stratégie numérique"),
    "infrastructure": ("Infrastructures", "Équipements", "Infrastructures et équipement"),
    "resources": ("Ressources", "Ressources et services"),
    "teaching": ("Usages", "Usages pédagogiques du numérique"),
    "training": ("Formation", "Formation et accompagnement des personnels"),
    "communication": ("Communication", "Ouverture et communication"),
}
LEVEL_MIN, LEVEL_MAX = 1, 4


def _domain_field(slug: str) -> Field:
    return Field(f"level_{slug}", (DOMAINS[slug], *DOMAIN_ALIASES[slug]), "int",
                 f"niveau atteint dans le domaine « {DOMAINS[slug]} » (1 à 4, vide : non évalué)",
                 unit="level", nullable=True, min=LEVEL_MIN, max=LEVEL_MAX)


LEVEL_COLUMNS = [f"level_{slug}" for slug in DOMAINS]


def _assessment_in_period(frame: pd.DataFrame) -> pd.Series:
    return period_of_dates(frame["assessment_date"]) == frame["period"]


def _some_domain_assessed(frame: pd.DataFrame) -> pd.Series:
    present = [c for c in LEVEL_COLUMNS if c in frame.columns]
    return frame[present].notna().any(axis=1)


def _tidy_schematic(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    derived = period_of_dates(frame["assessment_date"])
    if "period" in frame:
        frame["period"] = frame["period"].fillna(derived)
    else:
        frame["period"] = derived
    long = frame.melt(id_vars=["uai", "period", "assessment_date"], value_vars=LEVEL_COLUMNS,
                      var_name="domain", value_name="level")
    long = long[long["level"].notna()].copy()
    long["domain"] = long["domain"].str.removeprefix("level_").astype("string")
    long["level"] = long["level"].astype("Int64")
    long["department"] = long["uai"].map(referential.department_of_uai).astype("string")
    long["academy"] = long["department"].map(referential.academy_of_department).astype("string")
    order = {slug: i for i, slug in enumerate(DOMAINS)}
    long["_order"] = long["domain"].map(order)
    long = long.sort_values(["uai", "assessment_date", "_order"], kind="stable")
    columns = ["uai", "period", "assessment_date", "domain", "level", "department", "academy"]
    return long[columns].reset_index(drop=True)


SCHEMATIC = register(Contract(
    name="schematic",
    title="Auto-évaluations SchémaTic de la maturité numérique des établissements",
    description="Une auto-évaluation d'un établissement par ligne (UAI, date), avec un niveau de "
                "1 à 4 par domaine du référentiel.",
    folder="schematic",
    patterns=("**/*.csv",),
    key=("uai", "assessment_date"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_schematic,
    public_format=False,
    provenance=Provenance(
        producer="DRANE Nouvelle-Aquitaine — exports SchémaTic des académies",
        documentation="docs/sources/formation.md",
    ),
    checks=(
        RowCheck("assessment_in_period", ("assessment_date", "period"),
                 "une date d'auto-évaluation comprise dans l'année scolaire de la ligne "
                 "(1er septembre – 31 août)", _assessment_in_period),
        RowCheck("some_domain_assessed", ("uai",),
                 "au moins un domaine évalué (un niveau de 1 à 4)", _some_domain_assessed),
    ),
    fields=(
        Field("uai", ("UAI", "Code UAI", "RNE", "UAI établissement"), "uai", "code UAI de l'établissement"),
        Field("period", ("Année scolaire", "Annee scolaire"), "period",
              "année scolaire (déduite de la date si la colonne manque)", required=False),
        Field("assessment_date", ("Date de l'auto-évaluation", "Date auto-évaluation",
                                  "Date de l'évaluation", "Date"), "date",
              "jour où l'auto-évaluation a été enregistrée", formats=DATE_FORMATS),
        *(_domain_field(slug) for slug in DOMAINS),
        Field("assessor", ("Renseigné par", "Évaluateur", "Nom de l'évaluateur"), "string",
              "nom de la personne qui a renseigné l'auto-évaluation", personal=True, required=False),
    ),
))


# --------------------------------------------------------------------------- cadres

FUNCTION_VALUES = {
    "Chef d'établissement": "head",
    "Principal": "head",
    "Proviseur": "head",
    "Directeur d'EREA": "head",
    "Chef d'établissement adjoint": "deputy_head",
    "Adjoint": "deputy_head",
    "Principal adjoint": "deputy_head",
    "Proviseur adjoint": "deputy_head",
    "Directeur adjoint": "deputy_head",
    "IEN": "ien",
    "IEN ET-EG": "ien",
    "IEN 1er degré": "ien",
    "Inspecteur de l'éducation nationale": "ien",
    "IA-IPR": "ia_ipr",
    "IPR": "ia_ipr",
    "Inspecteur d'académie - inspecteur pédagogique régional": "ia_ipr",
}
FUNCTION_LABELS = {"head": "Chef d'établissement", "deputy_head": "Chef d'établissement adjoint",
                   "ien": "Inspecteur de l'éducation nationale (IEN)",
                   "ia_ipr": "Inspecteur d'académie – IPR (IA-IPR)"}
ESTABLISHMENT_FUNCTIONS = ("head", "deputy_head")


def _training_date_in_period(frame: pd.DataFrame) -> pd.Series:
    return period_of_dates(frame["training_date"]) == frame["period"]


def _training_date_means_trained(frame: pd.DataFrame) -> pd.Series:
    return frame["is_trained"].fillna(False).astype(bool)


def _establishment_functions_have_uai(frame: pd.DataFrame) -> pd.Series:
    return ~frame["function"].isin(ESTABLISHMENT_FUNCTIONS) | frame["uai"].notna()


def _uai_in_department(frame: pd.DataFrame) -> pd.Series:
    return frame["uai"].map(referential.department_of_uai) == frame["department"]


def _department_in_academy(frame: pd.DataFrame) -> pd.Series:
    academy_of = {code: d.academy for code, d in referential.DEPARTMENTS.items()}
    return frame["department"].map(academy_of) == frame["academy"]  # NA-safe (no function call)


def _tidy_cadres(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    from_uai = frame["uai"].map(lambda u: referential.department_of_uai(u) if isinstance(u, str) else None)
    frame["department"] = frame["department"].fillna(from_uai.astype("string")).astype("string")
    columns = ["period", "academy", "department", "function", "uai", "person_id", "is_trained",
               "training_date"]
    return frame[columns].sort_values(["period", "academy", "person_id"], kind="stable") \
                         .reset_index(drop=True)


CADRES = register(Contract(
    name="cadres",
    title="Cadres formés à SchémaTic et au pilotage du numérique",
    description="Un cadre (chef d'établissement, adjoint, IEN, IA-IPR) par ligne et par année "
                "scolaire, avec son affectation et s'il a été formé.",
    folder="cadres",
    patterns=("**/*.csv",),
    key=("period", "person_id"),
    region_column="academy",
    outside_region="error",
    tidy=_tidy_cadres,
    public_format=False,
    provenance=Provenance(
        producer="DRANE Nouvelle-Aquitaine, services des personnels d'encadrement",
        documentation="docs/sources/formation.md",
    ),
    checks=(
        RowCheck("training_date_in_period", ("training_date", "period"),
                 "une date de formation comprise dans l'année scolaire de la ligne "
                 "(1er septembre – 31 août)", _training_date_in_period),
        RowCheck("training_date_means_trained", ("training_date",),
                 "« Oui » dans la colonne « Formé » quand une date de formation est donnée",
                 _training_date_means_trained),
        RowCheck("establishment_functions_have_uai", ("function",),
                 "un UAI d'affectation pour un chef d'établissement ou un adjoint",
                 _establishment_functions_have_uai),
        RowCheck("uai_in_department", ("uai", "department"),
                 "un UAI d'affectation situé dans le département de la ligne", _uai_in_department),
        RowCheck("department_in_academy", ("department", "academy"),
                 "un département de l'académie de la ligne", _department_in_academy),
    ),
    fields=(
        Field("academy", ("Académie", "Academie"), "academy", "académie"),
        Field("period", ("Année scolaire", "Annee scolaire"), "period", "année scolaire"),
        Field("person_id", ("Identifiant", "Identifiant anonymisé", "Matricule", "Id personne"),
              "string", "identifiant pseudonyme de la personne, stable d'une année à l'autre"),
        Field("function", ("Fonction", "Fonction exercée"), "category",
              "fonction : chef d'établissement, adjoint, IEN, IA-IPR", values=FUNCTION_VALUES),
        Field("uai", ("UAI d'affectation", "UAI affectation", "UAI", "RNE d'affectation"), "uai",
              "établissement d'affectation (vide pour les inspecteurs)", nullable=True),
        Field("department", ("Département", "Departement"), "department",
              "département d'affectation (vide pour les inspecteurs de compétence académique)",
              nullable=True),
        Field("last_name", ("Nom", "Nom d'usage"), "string", "nom", personal=True, required=False),
        Field("first_name", ("Prénom", "Prenom"), "string", "prénom", personal=True, required=False),
        Field("is_trained", ("Formé", "Forme", "Formé SchémaTic", "Formation suivie"), "bool",
              "Oui si la personne a été formée (cette année ou une année précédente)"),
        Field("training_date", ("Date de formation", "Date formation"), "date",
              "date de la formation quand elle a eu lieu dans l'année scolaire de la ligne",
              nullable=True, formats=DATE_FORMATS),
    ),
))
