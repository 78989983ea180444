"""Teacher training sessions (``formations``): an extraction of GAIA, one row per session.

Our contract (no published format), modelled on what the training offices extract from
GAIA, the ministry's training management application: one row per session of a training
module, with its dispositif, module, digital domain tag, modality, public, department,
dates, trainees and duration. The trainer's name is dropped at read. Documented in
``docs/sources/formation.md``.

Trainee-days (*journées stagiaires*) are trainees × duration in days; the column may be
omitted (it is then computed) but, when present, must agree with the product.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from ..periods import period_of_dates
from . import register
from .base import Contract, Field, Provenance, RowCheck

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y")

DOMAIN_VALUES = {
    "Numérique": "digital_general",
    "Numérique (général)": "digital_general",
    "Numérique éducatif": "digital_general",
    "Numérique et école inclusive": "digital_inclusive",
    "École inclusive et numérique": "digital_inclusive",
    "Numérique inclusif": "digital_inclusive",
    "Réalité virtuelle / augmentée et jumeaux numériques": "vr_ar",
    "Réalité virtuelle / augmentée": "vr_ar",
    "Réalité virtuelle": "vr_ar",
    "Réalité augmentée": "vr_ar",
    "Jumeaux numériques": "vr_ar",
    "RV / RA": "vr_ar",
    "Numérique et EAC": "digital_eac",
    "EAC et numérique": "digital_eac",
    "Pix / Pix+ Édu": "pix",
    "Pix": "pix",
    "Pix+ Édu": "pix",
    "Éducation aux médias et à l'information": "media_literacy",
    "EMI": "media_literacy",
}
DOMAIN_LABELS = {
    "digital_general": "Numérique (général)",
    "digital_inclusive": "Numérique et école inclusive",
    "vr_ar": "Réalité virtuelle / augmentée et jumeaux numériques",
    "digital_eac": "Numérique et EAC",
    "pix": "Pix / Pix+ Édu",
    "media_literacy": "Éducation aux médias et à l'information",
}
MODALITY_VALUES = {
    "Présentiel": "in_person", "Distanciel": "remote", "À distance": "remote",
    "Hybride": "hybrid", "Mixte": "hybrid",
}
MODALITY_LABELS = {"in_person": "Présentiel", "remote": "Distanciel", "hybrid": "Hybride"}
E_TRAINING_MODALITIES = ("remote", "hybrid")
PUBLIC_VALUES = {
    "1er degré": "first_degree", "Premier degré": "first_degree", "1D": "first_degree",
    "2nd degré": "second_degree", "Second degré": "second_degree", "2d degré": "second_degree",
    "2D": "second_degree",
    "Inter-degrés": "inter_degree", "Interdegré": "inter_degree", "Inter-degré": "inter_degree",
}
PUBLIC_LABELS = {"first_degree": "1er degré", "second_degree": "2nd degré", "inter_degree": "Inter-degrés"}
OPERATOR_VALUES = {
    "DAFPEN": "dafpen",
    "EAFC": "eafc", "École académique de la formation continue": "eafc",
    "Canopé": "canope", "Réseau Canopé": "canope",
    "INSPE": "inspe", "ESPE": "inspe",
    "DRANE": "drane", "DANE": "drane",
    "DSDEN": "dsden",
    "Autre": "other",
}
OPERATOR_LABELS = {"dafpen": "DAFPEN", "eafc": "EAFC", "canope": "Canopé", "inspe": "INSPE",
                   "drane": "DRANE", "dsden": "DSDEN", "other": "Autre"}

# Trainee-days written by GAIA may be rounded to the hundredth.
TRAINEE_DAYS_TOLERANCE = 0.01


def _start_in_period(frame: pd.DataFrame) -> pd.Series:
    return period_of_dates(frame["start"]) == frame["period"]


def _end_after_start(frame: pd.DataFrame) -> pd.Series:
    return frame["end"] >= frame["start"]


def _duration_fits_dates(frame: pd.DataFrame) -> pd.Series:
    span = (frame["end"] - frame["start"]).dt.days + 1
    return frame["duration_days"] <= span


def _trainee_days_product(frame: pd.DataFrame) -> pd.Series:
    product = frame["trainees"].astype("Float64") * frame["duration_days"]
    return (frame["trainee_days"] - product).abs() <= TRAINEE_DAYS_TOLERANCE + 1e-9


def _department_in_academy(frame: pd.DataFrame) -> pd.Series:
    academy_of = {code: d.academy for code, d in referential.DEPARTMENTS.items()}
    return frame["department"].map(academy_of) == frame["academy"]  # NA-safe (no function call)


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    if "trainee_days" not in frame:
        frame["trainee_days"] = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    computed = (frame["trainees"].astype("Float64") * frame["duration_days"]).round(2)
    frame["trainee_days"] = frame["trainee_days"].fillna(computed)
    frame["is_e_training"] = frame["modality"].isin(E_TRAINING_MODALITIES).astype("boolean")
    columns = ["period", "academy", "department", "dispositif_id", "module_id", "session_id",
               "module_title", "domain", "modality", "is_e_training", "public", "start", "end",
               "trainees", "duration_days", "trainee_days", "operator"]
    frame = frame[[c for c in columns if c in frame.columns]]
    return frame.sort_values(["period", "academy", "module_id", "session_id"], kind="stable") \
                .reset_index(drop=True)


CONTRACT = register(Contract(
    name="formations",
    title="Formations au numérique des enseignants (extraction GAIA)",
    description="Une session d'un module de formation par ligne : dispositif, module, thématique "
                "numérique, modalité, public, département, dates, stagiaires, durée en jours, "
                "journées stagiaires, opérateur.",
    folder="formations",
    patterns=("**/*.csv",),
    key=("period", "academy", "module_id", "session_id"),
    region_column="academy",
    outside_region="error",
    tidy=_tidy,
    public_format=False,
    provenance=Provenance(
        producer="Écoles académiques de la formation continue (ex-DAFPEN), DSDEN — extraction GAIA",
        documentation="docs/sources/formation.md",
    ),
    checks=(
        RowCheck("start_in_period", ("start", "period"),
                 "une date de début comprise dans l'année scolaire de la ligne (1er septembre – 31 août)",
                 _start_in_period),
        RowCheck("end_after_start", ("end", "start"),
                 "une date de fin postérieure ou égale à la date de début", _end_after_start),
        RowCheck("duration_fits_dates", ("duration_days", "start", "end"),
                 "une durée (en jours) au plus égale au nombre de jours entre le début et la fin",
                 _duration_fits_dates),
        RowCheck("trainee_days_product", ("trainee_days", "trainees", "duration_days"),
                 "des journées stagiaires égales au nombre de stagiaires × la durée en jours",
                 _trainee_days_product),
        RowCheck("department_in_academy", ("department", "academy"),
                 "un département de l'académie de la ligne", _department_in_academy),
    ),
    fields=(
        Field("academy", ("Académie", "Academie", "Code académie"), "academy", "académie"),
        Field("period", ("Année scolaire", "Annee scolaire", "Année"), "period",
              "année scolaire de la session (ex. 2020-2021)"),
        Field("dispositif_id", ("Identifiant dispositif", "Dispositif", "Id dispositif",
                                "N° dispositif"), "string",
              "identifiant GAIA du dispositif (ex. 20A0040012)"),
        Field("module_id", ("Identifiant module", "Module", "Id module", "N° module"), "string",
              "identifiant GAIA du module (l'action de formation)"),
        Field("module_title", ("Libellé module", "Libelle module", "Intitulé module"), "string",
              "intitulé du module", nullable=True),
        Field("session_id", ("Identifiant session", "Session", "N° session", "Id session"), "string",
              "numéro de la session dans le module"),
        Field("domain", ("Thématique", "Thematique", "Domaine", "Thème"), "category",
              "thématique numérique de la formation", values=DOMAIN_VALUES),
        Field("modality", ("Modalité", "Modalite", "Modalité de formation"), "category",
              "présentiel, distanciel ou hybride", values=MODALITY_VALUES),
        Field("public", ("Public", "Public cible", "Degré"), "category",
              "public visé : 1er degré, 2nd degré, inter-degrés", values=PUBLIC_VALUES),
        Field("department", ("Département", "Departement", "Code département"), "department",
              "département du lieu de la session (vide : session à distance de toute l'académie)",
              nullable=True),
        Field("start", ("Date de début", "Date debut", "Début"), "date", "premier jour de la session",
              formats=DATE_FORMATS),
        Field("end", ("Date de fin", "Date fin", "Fin"), "date", "dernier jour de la session",
              formats=DATE_FORMATS),
        Field("trainees", ("Nombre de stagiaires", "Stagiaires", "Nb stagiaires présents",
                           "Nombre de stagiaires présents"), "int",
              "stagiaires présents", unit="count", min=0),
        Field("duration_days", ("Durée (jours)", "Durée en jours", "Durée"), "float",
              "durée de la session par stagiaire, en jours (0,5 = une demi-journée)", unit="days",
              min=0.25, max=30),
        Field("trainee_days", ("Journées stagiaires", "Journees stagiaires", "JS"), "float",
              "journées stagiaires = stagiaires × durée", unit="trainee_days", min=0, required=False),
        Field("trainer", ("Formateur", "Formateurs", "Nom du formateur"), "string",
              "nom du ou des formateurs", personal=True, required=False),
        Field("operator", ("Opérateur", "Operateur", "Organisme"), "category",
              "opérateur de la formation", values=OPERATOR_VALUES),
    ),
))
