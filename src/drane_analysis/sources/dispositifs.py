"""Our own contracts for the DRANE's schemes (targets 1.4, 2.1, 2.2 and 2.3).

None of these has a public format: the office keeps them as spreadsheets, saved as CSV
(UTF-8, ``;``, decimal comma, dates ``JJ/MM/AAAA``). Each contract is documented column by
column in ``docs/sources/dispositifs.md``.

Sources (folder):

- ``parentalite`` (``parentalite/``): service establishments and partner France Services
  houses, with their start and end dates (target 1.4);
- ``robots`` (``robots/``): the telepresence robot fleet, one row per robot;
- ``robots_affectations`` (``robots/``): the assignment log, one row per loan of a robot to
  a pupil (pseudonymous id) in an establishment (target 2.1);
- ``inclusion_recherche_enseignants`` and ``inclusion_recherche`` (``inclusion/``): teachers
  trained and pupils followed in the module shared with Inria and the CeRCA (target 2.1);
- ``incubateurs`` and ``pratiques_samr`` (``incubateurs/``): candidate training
  establishments with the roadmap's criteria, and the practices their teachers report on
  the SAMR scale (target 2.2);
- ``agents_conversationnels`` (``voie_pro/``): use of conversational agents by lycées
  with a vocational track (target 2.3).

Two rules span two sources and cannot be declared in one contract: a robot of the
assignment log must be in the inventory (:func:`robot_reference_problems`), and robot-days
need both files (:func:`robot_months`).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from .. import charsets, referential
from ..periods import period_of_dates
from . import register
from .base import Contract, Field, Problem, Provenance, RowCheck, normalise_label, read_files

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
PSEUDONYM_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{3,39}"
FAR_FUTURE = pd.Timestamp("2200-01-01")  # the end of an ongoing assignment, for comparisons
OWN = Provenance(
    producer="DRANE Nouvelle-Aquitaine (tableaux de suivi internes)",
    documentation="docs/sources/dispositifs.md",
)

STRUCTURE_TYPES = {
    "Établissement de service": "service_establishment",
    "Etablissement de service": "service_establishment",
    "ES": "service_establishment",
    "Maison France Services": "france_services",
    "France Services": "france_services",
    "MFS": "france_services",
}
DEGREES = {
    "1er degré": "first", "1er degre": "first", "premier degré": "first", "1D": "first",
    "2nd degré": "second", "2nd degre": "second", "second degré": "second", "2D": "second",
}
ROBOT_STATUSES = {
    "En service": "active", "Actif": "active",
    "En réparation": "repair", "En panne": "repair", "SAV": "repair",
    "Réformé": "retired", "Reforme": "retired", "Hors service": "retired",
}
REASONS = {
    "MLD": "long_illness", "Maladie longue": "long_illness", "Maladie longue durée": "long_illness",
    "HOS": "hospitalisation", "Hospitalisation": "hospitalisation",
    "HAN": "disability", "Handicap": "disability", "Situation de handicap": "disability",
    "ACC": "accident", "Accident": "accident",
    "AUT": "other", "Autre": "other",
}
LABORATORIES = {"Inria": "inria", "CeRCA": "cerca", "CERCA": "cerca"}
SAMR_LEVELS = {
    "S": "S", "Substitution": "S",
    "A": "A", "Augmentation": "A",
    "M": "M", "Modification": "M",
    "R": "R", "Redéfinition": "R", "Redefinition": "R",
}
CLASS_LEVELS = {
    "6e": "6e", "6ème": "6e", "Sixième": "6e",
    "5e": "5e", "5ème": "5e", "Cinquième": "5e",
    "4e": "4e", "4ème": "4e", "Quatrième": "4e",
    "3e": "3e", "3ème": "3e", "Troisième": "3e",
    "2nde": "2nde", "Seconde": "2nde", "2de": "2nde",
    "1re": "1ere", "1ère": "1ere", "Première": "1ere",
    "Tle": "tle", "Terminale": "tle",
    "CAP": "cap",
    "Post-bac": "post_bac", "BTS": "post_bac",
}


# --------------------------------------------------------------------------- helpers


def _add_geography_from_uai(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``department`` and ``academy`` from the UAI column."""
    uais = frame["uai"].dropna().unique()
    dept = {u: referential.department_of_uai(u) for u in uais}
    frame["department"] = frame["uai"].map(dept).astype("string")
    frame["academy"] = _academy(frame["department"])
    return frame


def _academy(department: pd.Series) -> pd.Series:
    mapping = {d: referential.academy_of_department(d) for d in department.dropna().unique()}
    return department.map(mapping).astype("string")


def _uai_department(uai: pd.Series) -> pd.Series:
    mapping = {u: referential.department_of_uai(u) for u in uai.dropna().unique()}
    return uai.map(mapping)


def _inside_school_year(day: pd.Series, period: pd.Series) -> pd.Series:
    """True where a date falls in the school year ``period`` (1 September–31 August)."""
    return period_of_dates(day) == period


def _looks_pseudonymous(values: pd.Series) -> pd.Series:
    """True for codes made of letters, digits, ``-`` or ``_`` with at least one digit."""
    text = values.astype("string")
    shaped = text.str.fullmatch(PSEUDONYM_PATTERN).fillna(False)
    return shaped & text.str.contains(r"\d", regex=True).fillna(False)


def _overlapping(frame: pd.DataFrame, key: str, start: str, end: str) -> pd.Series:
    """True for every row whose [start, end] (end missing = ongoing) meets another row's.

    Rows are compared within the same ``key`` (a robot); dates are inclusive, so an
    assignment ending on the 15th and another starting on the 15th overlap.
    """
    judged = frame[key].notna() & frame[start].notna()
    sub = frame.loc[judged, [key, start, end]].sort_values([key, start], kind="stable")
    if sub.empty:
        return pd.Series(False, index=frame.index)
    stop = sub[end].fillna(FAR_FUTURE)
    groups = sub[key].to_numpy()
    # The latest end among the earlier rows of the same robot.
    prev_stop = stop.groupby(groups).cummax().groupby(groups).shift()
    meets_earlier = sub[start] <= prev_stop
    next_start = sub[start].groupby(groups).shift(-1)
    meets_next = next_start <= stop
    bad = (meets_earlier.fillna(False) | meets_next.fillna(False)).astype(bool)
    return bad.reindex(frame.index, fill_value=False)


# --------------------------------------------------------------------------- 1.4 parentalite


def _tidy_parentalite(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["academy"] = _academy(frame["department"])
    columns = ["structure_type", "structure_id", "name", "uai", "commune_code", "department",
               "academy", "start", "end"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["structure_type", "structure_id"], kind="stable").reset_index(drop=True)


PARENTALITE = register(Contract(
    name="parentalite",
    title="Structures d'accompagnement des parents (établissements de service, maisons France Services)",
    description="Une structure par ligne : établissement de service retenu par l'appel à "
                "manifestation d'intérêt (avec son UAI) ou maison France Services partenaire "
                "(avec sa commune et sa date de convention), dates de début et de fin.",
    folder="parentalite",
    patterns=("*.csv",),
    key=("structure_id",),
    region_column="department",
    outside_region="error",
    tidy=_tidy_parentalite,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("end_after_start", ("end", "start"),
                 "une date de fin postérieure ou égale à la date de début",
                 lambda f: f["end"] >= f["start"]),
        RowCheck("service_establishment_has_uai", ("structure_type",),
                 "un UAI pour chaque établissement de service",
                 lambda f: (f["structure_type"] != "service_establishment") | f["uai"].notna()),
        RowCheck("france_services_has_commune", ("structure_type",),
                 "un code commune pour chaque maison France Services",
                 lambda f: (f["structure_type"] != "france_services") | f["commune_code"].notna()),
        RowCheck("uai_in_department", ("uai", "department"),
                 "un UAI du département indiqué",
                 lambda f: _uai_department(f["uai"]) == f["department"]),
        RowCheck("commune_in_department", ("commune_code", "department"),
                 "un code commune du département indiqué (ses deux premiers caractères)",
                 lambda f: f["commune_code"].str.slice(0, 2) == f["department"]),
    ),
    fields=(
        Field("structure_type", ("Type de structure", "Type", "Type structure"), "category",
              "établissement de service ou maison France Services", values=STRUCTURE_TYPES),
        Field("structure_id", ("Identifiant", "Identifiant structure", "Id structure"), "string",
              "identifiant de la structure dans le tableau de suivi (ex. ES-01, MFS-033-02)"),
        Field("name", ("Nom de la structure", "Nom", "Structure"), "string",
              "nom de l'établissement ou de la maison France Services", nullable=True,
              required=False),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai",
              "UAI de l'établissement de service (vide pour une maison France Services)",
              nullable=True),
        Field("commune_code", ("Code commune", "Code INSEE", "Code INSEE commune"), "string",
              "code INSEE de la commune (obligatoire pour une maison France Services)",
              nullable=True),
        Field("department", ("Département", "Code département", "Dept"), "department",
              "département (33 ou 033)"),
        Field("start", ("Date de début", "Date de convention", "Date de signature", "Début"), "date",
              "date de sélection (AMI) ou de signature de la convention", formats=DATE_FORMATS),
        Field("end", ("Date de fin", "Fin"), "date", "date de fin (vide : en cours)",
              nullable=True, formats=DATE_FORMATS),
        Field("referent_name", ("Référent", "Nom du référent", "Référent (nom)"), personal=True,
              required=False),
        Field("referent_email", ("Courriel du référent", "Courriel", "Mail référent"),
              personal=True, required=False),
    ),
))


# --------------------------------------------------------------------------- 2.1 robots


def _tidy_robots(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["academy"] = _academy(frame["department"])
    columns = ["robot_id", "degree", "department", "academy", "purchase_date", "status",
               "retirement_date", "model"]
    return frame[[c for c in columns if c in frame]].sort_values(
        "robot_id", kind="stable").reset_index(drop=True)


ROBOTS = register(Contract(
    name="robots",
    title="Parc de robots de téléprésence (inventaire)",
    description="Un robot par ligne : numéro, degré, date d'achat, département du parc, "
                "statut et date de réforme.",
    folder="robots",
    patterns=("*inventaire*.csv", "*parc*.csv"),
    key=("robot_id",),
    region_column="department",
    outside_region="error",
    tidy=_tidy_robots,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("retirement_after_purchase", ("retirement_date", "purchase_date"),
                 "une date de réforme postérieure ou égale à la date d'achat",
                 lambda f: f["retirement_date"] >= f["purchase_date"]),
        RowCheck("retired_has_date", ("status",),
                 "une date de réforme pour un robot réformé",
                 lambda f: (f["status"] != "retired") | f["retirement_date"].notna()),
    ),
    fields=(
        Field("robot_id", ("N° robot", "Numéro robot", "Identifiant robot", "Robot"), "string",
              "numéro d'inventaire du robot"),
        Field("degree", ("Degré", "Degre"), "category", "1er degré ou 2nd degré", values=DEGREES),
        Field("purchase_date", ("Date d'achat", "Date d'acquisition"), "date",
              "date d'achat (entrée dans le parc)", formats=DATE_FORMATS),
        Field("department", ("Département du parc", "Département", "Pool"), "department",
              "département du parc qui prête le robot"),
        Field("status", ("Statut", "État"), "category",
              "en service, en réparation ou réformé (à la date de l'export)", values=ROBOT_STATUSES),
        Field("retirement_date", ("Date de réforme", "Date de sortie"), "date",
              "date de sortie du parc (vide : toujours dans le parc)", nullable=True,
              required=False, formats=DATE_FORMATS),
        Field("model", ("Modèle", "Modele"), "string", "modèle du robot", nullable=True,
              required=False),
    ),
))


def _tidy_assignments(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    columns = ["robot_id", "uai", "department", "academy", "start", "end", "pupil_id", "reason"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["robot_id", "start"], kind="stable").reset_index(drop=True)


ROBOT_ASSIGNMENTS = register(Contract(
    name="robots_affectations",
    title="Affectations des robots de téléprésence",
    description="Une affectation par ligne : robot, établissement, dates de début et de fin "
                "(vide : en cours), identifiant pseudonyme de l'élève, motif.",
    folder="robots",
    patterns=("*affectation*.csv",),
    key=("robot_id", "start"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_assignments,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("end_after_start", ("end", "start"),
                 "une date de fin postérieure ou égale à la date de début",
                 lambda f: f["end"] >= f["start"]),
        RowCheck("no_overlap", ("robot_id", "start"),
                 "un robot affecté à un seul élève à la fois : ces lignes se chevauchent "
                 "pour le même robot (dates incluses, fin vide = en cours)",
                 lambda f: ~_overlapping(f, "robot_id", "start", "end")),
        RowCheck("pupil_pseudonymous", ("pupil_id",),
                 "un identifiant pseudonyme d'élève (lettres, chiffres et tirets, au moins un "
                 "chiffre, sans espace) — jamais un nom",
                 lambda f: _looks_pseudonymous(f["pupil_id"])),
    ),
    fields=(
        Field("robot_id", ("N° robot", "Numéro robot", "Identifiant robot", "Robot"), "string",
              "numéro d'inventaire du robot (présent dans l'inventaire)"),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai",
              "établissement où le robot est utilisé"),
        Field("start", ("Date de début", "Début", "Date de mise à disposition"), "date",
              "premier jour de l'affectation", formats=DATE_FORMATS),
        Field("end", ("Date de fin", "Fin", "Date de retour"), "date",
              "dernier jour de l'affectation (vide : en cours)", nullable=True, formats=DATE_FORMATS),
        Field("pupil_id", ("Identifiant élève", "Id élève", "Pseudonyme élève"), "string",
              "identifiant pseudonyme de l'élève, attribué par la DRANE"),
        Field("reason", ("Motif", "Code motif"), "category",
              "motif : MLD (maladie longue), HOS (hospitalisation), HAN (handicap), "
              "ACC (accident), AUT (autre)", values=REASONS),
        Field("pupil_last_name", ("Nom élève", "Nom de l'élève"), personal=True, required=False),
        Field("pupil_first_name", ("Prénom élève", "Prénom de l'élève"), personal=True,
              required=False),
        Field("pupil_birth_date", ("Date de naissance",), personal=True, required=False),
    ),
))


def robot_reference_problems(data_dir: Path) -> list[Problem]:
    """Assignment lines naming a robot absent from the inventory.

    The rule spans two sources, so it is checked here rather than in a contract. When the
    inventory itself cannot be read, nothing is reported (its own problems say why).

    Args:
        data_dir: the data folder (holding ``robots/``).

    Returns:
        One :class:`Problem` per assignment file with unknown robots, naming its lines.
    """
    base = Path(data_dir)
    inventory = read_files(ROBOTS, ROBOTS.files(base), base=base)
    if inventory.frame is None:
        return []
    known = set(inventory.frame["robot_id"].str.strip())
    headers = {normalise_label(h) for h in ROBOT_ASSIGNMENTS.field_named("robot_id").headers}
    problems = []
    for path in ROBOT_ASSIGNMENTS.files(base):
        unknown = _unknown_robot_lines(path, headers, known)
        if unknown:
            column, lines, example = unknown
            problems.append(Problem(
                path.relative_to(base).as_posix(),
                "un numéro de robot présent dans l'inventaire (robots/*inventaire*.csv)",
                column=column, lines=lines, found=example, source=ROBOT_ASSIGNMENTS.name))
    return problems


def _unknown_robot_lines(path: Path, headers: set[str],
                         known: set[str]) -> tuple[str, list[int], str] | None:
    try:
        text = charsets.decode(path.read_bytes()).text  # as the reader does: UTF-8 or Windows-1252
    except (OSError, charsets.Undecodable):
        return None  # the contract reports unreadable files
    reader = csv.reader(text.splitlines(), delimiter=ROBOT_ASSIGNMENTS.sep)
    header = next(reader, [])
    positions = [i for i, h in enumerate(header) if normalise_label(h) in headers]
    if not positions:
        return None
    pos = positions[0]
    lines: list[int] = []
    example = ""
    for row in reader:
        if len(row) <= pos or not row[pos].strip():
            continue
        if row[pos].strip() not in known:
            lines.append(reader.line_num)
            example = example or row[pos].strip()
    return (header[pos], lines, example) if lines else None


def robot_months(robots: pd.DataFrame, assignments: pd.DataFrame,
                 as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Robot-days in the fleet and assigned, per robot and calendar month.

    A robot is in the fleet from its purchase date to its retirement date (or ``as_of``);
    an assignment with no end runs until ``as_of``. Days are calendar days, both ends
    included.

    Args:
        robots: tidy ``robots``.
        assignments: tidy ``robots_affectations``.
        as_of: the export date of the files (ongoing assignments stop there).

    Returns:
        One row per robot and month it was in the fleet: robot_id, degree, department
        (of the pool), academy, month (first day), period, days_in_fleet, days_assigned,
        assigned_department (department of the establishment it spent most of the month
        in, missing when idle).
    """
    as_of = pd.Timestamp(as_of).normalize()
    fleet_end = robots["retirement_date"].fillna(as_of).clip(upper=as_of) \
        if "retirement_date" in robots else pd.Series(as_of, index=robots.index)
    fleet = _month_spans(robots["robot_id"], robots["purchase_date"], fleet_end)
    fleet = fleet.rename(columns={"days": "days_in_fleet"})
    stop = assignments["end"].fillna(as_of).clip(upper=as_of)
    used = _month_spans(assignments["robot_id"], assignments["start"], stop,
                        extra=assignments["department"])
    days = used.groupby(["robot_id", "month"], as_index=False)["days"].sum()
    where = (used.sort_values(["robot_id", "month", "days"], ascending=[True, True, False],
                              kind="stable")
             .drop_duplicates(["robot_id", "month"])[["robot_id", "month", "extra"]]
             .rename(columns={"extra": "assigned_department"}))
    out = (fleet.merge(days.rename(columns={"days": "days_assigned"}), on=["robot_id", "month"],
                       how="left")
           .merge(where, on=["robot_id", "month"], how="left"))
    out["days_assigned"] = out["days_assigned"].fillna(0).clip(upper=out["days_in_fleet"]).astype("Int64")
    out["days_in_fleet"] = out["days_in_fleet"].astype("Int64")
    out["assigned_department"] = out["assigned_department"].astype("string")
    out["period"] = period_of_dates(out["month"])
    info = robots[["robot_id", "degree", "department", "academy"]]
    out = out.merge(info, on="robot_id", how="left")
    return out[["robot_id", "degree", "department", "academy", "month", "period", "days_in_fleet",
                "days_assigned", "assigned_department"]].sort_values(
        ["robot_id", "month"], kind="stable").reset_index(drop=True)


def _month_spans(ids: pd.Series, start: pd.Series, stop: pd.Series,
                 extra: pd.Series | None = None) -> pd.DataFrame:
    """Split [start, stop] spans (inclusive) into calendar months: id, month, days, extra."""
    keep = start.notna() & stop.notna() & (stop >= start)
    ids, start, stop = ids[keep].to_numpy(), start[keep], stop[keep]
    extra_values = extra[keep].to_numpy() if extra is not None else np.full(len(ids), None)
    first = start.dt.year.to_numpy() * 12 + start.dt.month.to_numpy() - 1
    last = stop.dt.year.to_numpy() * 12 + stop.dt.month.to_numpy() - 1
    counts = (last - first + 1).astype(int)
    row = np.repeat(np.arange(len(ids)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    month_index = first[row] + offset
    month = pd.to_datetime(pd.DataFrame({"year": month_index // 12, "month": month_index % 12 + 1,
                                         "day": 1}))
    month_end = month + pd.offsets.MonthEnd(0)
    lo = np.maximum(month.to_numpy(), start.to_numpy()[row])
    hi = np.minimum(month_end.to_numpy(), stop.to_numpy()[row])
    days = (hi - lo).astype("timedelta64[D]").astype(int) + 1
    return pd.DataFrame({"robot_id": ids[row], "month": month, "days": days,
                         "extra": extra_values[row]})


# --------------------------------------------------------------------------- 2.1 research


def _tidy_research_teachers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    frame["period"] = period_of_dates(frame["session_date"])
    columns = ["registration_id", "uai", "department", "academy", "degree", "laboratory",
               "session_date", "period", "hours", "completed"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["session_date", "registration_id"], kind="stable").reset_index(drop=True)


RESEARCH_TEACHERS = register(Contract(
    name="inclusion_recherche_enseignants",
    title="Enseignants formés — volet recherche inclusion (Inria, CeRCA)",
    description="Une inscription par ligne : enseignant (nom et prénom retirés à la lecture), "
                "établissement, laboratoire, date de la formation, durée, formation suivie.",
    folder="inclusion",
    patterns=("*enseignants*.csv",),
    key=("registration_id",),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_research_teachers,
    public_format=False,
    provenance=OWN,
    fields=(
        Field("registration_id", ("N° inscription", "Numéro d'inscription", "Inscription"), "string",
              "numéro de l'inscription dans le tableau de suivi (une par enseignant et par année)"),
        Field("last_name", ("Nom",), personal=True, required=False),
        Field("first_name", ("Prénom", "Prenom"), personal=True, required=False),
        Field("email", ("Courriel", "Mail", "Courriel académique"), personal=True, required=False),
        Field("uai", ("UAI", "UAI d'exercice", "Code UAI"), "uai", "établissement d'exercice"),
        Field("degree", ("Degré", "Degre"), "category", "1er degré ou 2nd degré", values=DEGREES),
        Field("laboratory", ("Laboratoire", "Partenaire"), "category", "Inria ou CeRCA",
              values=LABORATORIES),
        Field("session_date", ("Date de formation", "Date de la session", "Date"), "date",
              "date de la (première) session de formation", formats=DATE_FORMATS),
        Field("hours", ("Durée (h)", "Durée", "Heures"), "float", "durée suivie", unit="hours",
              nullable=True, required=False, min=0, max=200),
        Field("completed", ("Formation suivie", "Présent", "Suivie"), "bool",
              "formation suivie jusqu'au bout (Oui/Non)"),
    ),
))


def _tidy_research_pupils(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    frame["period"] = period_of_dates(frame["entry_date"])
    columns = ["pupil_id", "laboratory", "uai", "department", "academy", "entry_date", "period",
               "exit_date"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["entry_date", "pupil_id"], kind="stable").reset_index(drop=True)


RESEARCH_PUPILS = register(Contract(
    name="inclusion_recherche",
    title="Élèves suivis dans le module partagé — volet recherche inclusion (Inria, CeRCA)",
    description="Un élève par ligne (identifiant pseudonyme) : laboratoire, établissement, "
                "date d'entrée et de sortie du module de suivi partagé.",
    folder="inclusion",
    patterns=("*eleves*.csv", "*élèves*.csv"),
    key=("pupil_id",),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_research_pupils,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("exit_after_entry", ("exit_date", "entry_date"),
                 "une date de sortie postérieure ou égale à la date d'entrée",
                 lambda f: f["exit_date"] >= f["entry_date"]),
        RowCheck("pupil_pseudonymous", ("pupil_id",),
                 "un identifiant pseudonyme d'élève (lettres, chiffres et tirets, au moins un "
                 "chiffre, sans espace) — jamais un nom",
                 lambda f: _looks_pseudonymous(f["pupil_id"])),
    ),
    fields=(
        Field("pupil_id", ("Identifiant élève", "Id élève", "Pseudonyme élève"), "string",
              "identifiant pseudonyme de l'élève, attribué par le laboratoire"),
        Field("laboratory", ("Laboratoire", "Partenaire"), "category", "Inria ou CeRCA",
              values=LABORATORIES),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai", "établissement de l'élève"),
        Field("entry_date", ("Date d'entrée", "Entrée", "Date d'entrée dans le module"), "date",
              "entrée dans le module de suivi", formats=DATE_FORMATS),
        Field("exit_date", ("Date de sortie", "Sortie"), "date", "sortie du module (vide : suivi en cours)",
              nullable=True, required=False, formats=DATE_FORMATS),
        Field("pupil_last_name", ("Nom élève", "Nom de l'élève"), personal=True, required=False),
        Field("pupil_first_name", ("Prénom élève", "Prénom de l'élève"), personal=True,
              required=False),
        Field("pupil_birth_date", ("Date de naissance",), personal=True, required=False),
    ),
))


# --------------------------------------------------------------------------- 2.2 incubators


def _tidy_incubators(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    columns = ["period", "uai", "name", "department", "academy", "staff", "staff_certified",
               "trainer_teachers", "has_structured_project", "has_cardie_experiment",
               "has_varied_practice"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["period", "uai"], kind="stable").reset_index(drop=True)


INCUBATORS = register(Contract(
    name="incubateurs",
    title="Établissements candidats « établissements formateurs » (territoires incubateurs)",
    description="Un établissement candidat par année scolaire, avec les critères de la feuille "
                "de route : personnels, personnels certifiés Pix / Pix+ Édu, enseignants "
                "formateurs certifiés, projet numérique structuré, expérimentation CARDIE, "
                "pratique variée reconnue.",
    folder="incubateurs",
    patterns=("*candidat*.csv",),
    key=("period", "uai"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_incubators,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("certified_within_staff", ("staff_certified", "staff"),
                 "des personnels certifiés en nombre inférieur ou égal aux personnels",
                 lambda f: f["staff_certified"] <= f["staff"]),
        RowCheck("trainers_within_staff", ("trainer_teachers", "staff"),
                 "des enseignants formateurs en nombre inférieur ou égal aux personnels",
                 lambda f: f["trainer_teachers"] <= f["staff"]),
    ),
    fields=(
        Field("period", ("Année scolaire", "Annee scolaire", "Année"), "period",
              "année scolaire de la candidature (ex. 2022-2023)"),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai", "établissement candidat"),
        Field("name", ("Nom de l'établissement", "Établissement", "Nom"), "string",
              "nom de l'établissement", nullable=True, required=False),
        Field("staff", ("Personnels", "Nombre de personnels", "Effectif personnels"), "int",
              "personnels de l'établissement", unit="count", min=1),
        Field("staff_certified", ("Personnels certifiés Pix / Pix+ Édu", "Personnels certifiés",
                                  "Personnels compétences reconnues"), "int",
              "personnels aux compétences numériques reconnues (certifiés Pix ou Pix+ Édu)",
              unit="count", min=0),
        Field("trainer_teachers", ("Enseignants formateurs certifiés", "Formateurs certifiés"), "int",
              "enseignants formateurs certifiés (CAFFA, CAFIPEMF)", unit="count", min=0),
        Field("has_structured_project", ("Projet numérique structuré", "Projet numérique"), "bool",
              "projet numérique structuré (Oui/Non)"),
        Field("has_cardie_experiment", ("Expérimentation CARDIE", "CARDIE"), "bool",
              "expérimentation suivie par la CARDIE (Oui/Non)"),
        Field("has_varied_practice", ("Pratique variée reconnue", "Pratique reconnue"), "bool",
              "pratique numérique reconnue et variée (Oui/Non)"),
        Field("head_name", ("Chef d'établissement", "Nom du chef d'établissement"), personal=True,
              required=False),
    ),
))


def _tidy_samr(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    frame["period"] = period_of_dates(frame["date"])
    columns = ["response_id", "uai", "department", "academy", "date", "period", "discipline",
               "level", "samr_level"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["date", "response_id"], kind="stable").reset_index(drop=True)


SAMR_PRACTICES = register(Contract(
    name="pratiques_samr",
    title="Pratiques numériques déclarées (échelle SAMR) des établissements candidats",
    description="Une pratique déclarée par ligne (réponse au formulaire) : établissement, "
                "date, discipline, niveau de classe, niveau SAMR ; la description libre et "
                "l'identité du déclarant sont retirées à la lecture.",
    folder="incubateurs",
    patterns=("*samr*.csv", "*pratiques*.csv"),
    key=("response_id",),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_samr,
    public_format=False,
    provenance=OWN,
    fields=(
        Field("response_id", ("Identifiant de la réponse", "ID de la réponse", "N° réponse"), "string",
              "identifiant de la réponse au formulaire"),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai", "établissement"),
        Field("date", ("Date de la séance", "Date"), "date", "date de la pratique", formats=DATE_FORMATS),
        Field("discipline", ("Discipline", "Matière"), "string", "discipline enseignée", nullable=True),
        Field("level", ("Niveau", "Niveau de classe", "Classe"), "category",
              "niveau de classe (6e … Terminale, CAP, post-bac)", values=CLASS_LEVELS, nullable=True),
        Field("samr_level", ("Niveau SAMR", "SAMR"), "category",
              "S (substitution), A (augmentation), M (modification), R (redéfinition)",
              values=SAMR_LEVELS),
        Field("description", ("Description", "Description de la pratique"), personal=True,
              required=False),
        Field("respondent_name", ("Nom du déclarant", "Déclarant", "Nom et prénom"), personal=True,
              required=False),
        Field("respondent_email", ("Courriel", "Adresse e-mail", "Adresse électronique"),
              personal=True, required=False),
    ),
))


# --------------------------------------------------------------------------- 2.3 vocational track


def _tidy_agents(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_geography_from_uai(frame.copy())
    columns = ["period", "uai", "department", "academy", "agent", "classes_using", "sessions",
               "pupils", "first_use_date"]
    return frame[[c for c in columns if c in frame]].sort_values(
        ["period", "uai", "agent"], kind="stable").reset_index(drop=True)


CONVERSATIONAL_AGENTS = register(Contract(
    name="agents_conversationnels",
    title="Usage des agents conversationnels (voie professionnelle)",
    description="Un établissement, un agent et une année scolaire par ligne : classes "
                "utilisatrices, séances, élèves, date de première utilisation dans l'année.",
    folder="voie_pro",
    patterns=("*agent*.csv",),
    key=("period", "uai", "agent"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_agents,
    public_format=False,
    provenance=OWN,
    checks=(
        RowCheck("sessions_cover_classes", ("sessions", "classes_using"),
                 "au moins autant de séances que de classes utilisatrices",
                 lambda f: f["sessions"] >= f["classes_using"]),
        RowCheck("first_use_in_school_year", ("first_use_date", "period"),
                 "une date de première utilisation dans l'année scolaire de la ligne",
                 lambda f: _inside_school_year(f["first_use_date"], f["period"])),
        RowCheck("first_use_when_used", ("classes_using",),
                 "une date de première utilisation quand au moins une classe a utilisé l'agent",
                 lambda f: (f["classes_using"] == 0) | f["first_use_date"].notna()),
    ),
    fields=(
        Field("period", ("Année scolaire", "Annee scolaire", "Année"), "period",
              "année scolaire (ex. 2022-2023)"),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai", "lycée"),
        Field("agent", ("Agent conversationnel", "Agent", "Outil"), "string",
              "nom de l'agent (ex. Captain Kelly)"),
        Field("classes_using", ("Classes utilisatrices", "Nombre de classes"), "int",
              "classes ayant utilisé l'agent dans l'année", unit="count", min=0),
        Field("sessions", ("Séances", "Nombre de séances"), "int", "séances dans l'année",
              unit="count", min=0),
        Field("pupils", ("Élèves concernés", "Élèves", "Nombre d'élèves"), "int",
              "élèves ayant utilisé l'agent", unit="count", nullable=True, required=False, min=0),
        Field("first_use_date", ("Date de première utilisation", "Première utilisation"), "date",
              "première utilisation dans l'année (vide si aucune classe)", nullable=True,
              formats=DATE_FORMATS),
    ),
))
