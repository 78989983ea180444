"""Steering sources kept by the regional digital-education office (targets 2.4, 2.5, 3.1, 3.2).

None of these has a public format: they are our own contracts (``public_format=False``),
modelled on what the DRANE and the academies' offices really keep, and documented column
by column in ``docs/sources/pilotage.md``:

- ``projets_orientation`` (``orientation/``): actions linking orientation and digital
  (Femmes@Numérique, « Un scientifique, une classe, chiche », others);
- ``eac_projets`` (``eac/``): EAC projects, after an export of ADAGE, the ministry's EAC
  platform, with the four digital flags the roadmap follows;
- ``eac_ressources`` (``eac/``): resources flagged and model actions promoted;
- ``collectivites`` and ``comites`` (``partenariat/``): the partner local authorities and
  the steering committees held with them;
- ``relais`` (``relais/``): the network of digital relays, one row per relay and
  establishment covered.

Dated sources come as one file per school year, named after it
(``comites_2021-2022.csv``): when the name carries a school year, every date of the file
must fall inside it. Names of people and free text are dropped at read.
"""

from __future__ import annotations

import pandas as pd

from .. import referential
from ..periods import Period, period_of_dates
from . import register
from .base import Contract, Field, Provenance, RowCheck

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
# The first school year in the file's path, or "" when there is none. The regex always
# matches: a path field left missing would make the engine report every row as truncated.
FILE_PERIOD_REGEX = r"^.*?(?P<file_period>(?:19|20)\d{2}-(?:19|20)\d{2}|$)"
FILE_PERIOD_HEADER = "année scolaire du nom de fichier"
RELAY_REFERENCE_DAY = "01-15"  # a relay is active in a school year if active on 15 January

PROVENANCE = Provenance(
    producer="DRANE Nouvelle-Aquitaine (tableaux de suivi des académies)",
    documentation="docs/sources/pilotage.md",
)

# --------------------------------------------------------------------------- shared pieces


def _file_period_field() -> Field:
    """The school year read from the file's name (``path_fields``), never from a column."""
    return Field("file_period", (FILE_PERIOD_HEADER,), "string",
                 "année scolaire indiquée dans le nom du fichier", required=False, nullable=True)


def _date_in_file_period(column: str = "date") -> RowCheck:
    """Dates must fall in the school year the file is named after (when it is)."""
    return RowCheck(
        name=f"{column}_in_file_period",
        columns=(column, "file_period"),
        expected="une date comprise dans l'année scolaire indiquée par le nom du fichier "
                 "(du 1er septembre au 31 août)",
        valid=lambda f: (f["file_period"] == "") | (period_of_dates(f[column]) == f["file_period"]),
    )


def _department_of_uai(uai: pd.Series) -> pd.Series:
    """Two-character department of each UAI (missing where the UAI is)."""
    uniques = uai.dropna().unique()
    mapping = {u: referential.department_of_uai(u) for u in uniques}
    return uai.map(mapping).astype("string")


def _academy_of(department: pd.Series) -> pd.Series:
    uniques = department.dropna().unique()
    mapping = {d: referential.academy_of_department(d) for d in uniques}
    return department.map(mapping).astype("string")


def _add_places_from_uai(frame: pd.DataFrame) -> pd.DataFrame:
    frame["department"] = _department_of_uai(frame["uai"])
    frame["academy"] = _academy_of(frame["department"])
    return frame


# --------------------------------------------------------------------------- 2.4 orientation

PROGRAMME_VALUES = {
    "Femmes@Numérique": "femmes_numerique",
    "Femmes et numérique": "femmes_numerique",
    "Femmes@Num": "femmes_numerique",
    "Un scientifique, une classe, chiche": "chiche",
    "Un scientifique une classe chiche !": "chiche",
    "Chiche": "chiche",
    "Cordées de la réussite": "cordees_reussite",
    "Concours": "concours",
    "Découverte des métiers": "decouverte_metiers",
    "Autre": "autre",
}


def _tidy_orientation(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["department"] = frame["department"].fillna(_department_of_uai(frame["uai"]))
    if "girls_share" in frame:
        from_share = (frame["girls_share"] * frame["pupils"] / 100).round().astype("Int64")
        frame["girls"] = frame["girls"].fillna(from_share) if "girls" in frame else from_share
    elif "girls" not in frame:
        frame["girls"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    frame["period"] = period_of_dates(frame["date"])
    cols = ["project_id", "title", "programme", "partner", "academy", "uai", "department", "date",
            "period", "pupils", "girls"]
    for col in cols:
        if col not in frame:
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[cols].sort_values(["date", "project_id"], kind="stable").reset_index(drop=True)


PROJETS_ORIENTATION = register(Contract(
    name="projets_orientation",
    title="Projets associant orientation et numérique",
    description="Une action par ligne : dispositif (Femmes@Numérique, « Un scientifique, une "
                "classe, chiche », autres), académie, établissement éventuel, date, élèves touchés "
                "et filles parmi eux.",
    folder="orientation",
    patterns=("*projets*.csv",),
    key=("project_id",),
    path_fields=FILE_PERIOD_REGEX,
    path_field_headers={"file_period": FILE_PERIOD_HEADER},
    region_column="academy",
    outside_region="error",
    tidy=_tidy_orientation,
    public_format=False,
    provenance=PROVENANCE,
    fields=(
        Field("project_id", ("Identifiant projet", "Identifiant", "ID projet", "N° projet"), "string",
              "identifiant unique de l'action (ex. ORI-2021-004)"),
        Field("title", ("Intitulé", "Titre", "Intitulé de l'action"), "string", "intitulé de l'action",
              nullable=True, required=False),
        Field("programme", ("Dispositif", "Programme"), "category", "dispositif de l'action",
              values=PROGRAMME_VALUES),
        Field("partner", ("Partenaire", "Partenaires"), "string", "partenaire principal (Inria, ONISEP…)",
              nullable=True, required=False),
        Field("academy", ("Académie",), "academy", "académie qui mène l'action"),
        Field("uai", ("UAI", "Code UAI", "UAI établissement"), "uai",
              "établissement concerné ; vide pour une action académique ou départementale",
              nullable=True),
        Field("department", ("Département", "Code département"), "department",
              "département ; vide pour une action académique (déduit de l'UAI s'il est vide)",
              nullable=True),
        Field("date", ("Date", "Date de l'action"), "date", "date de l'action (début)",
              formats=DATE_FORMATS),
        Field("pupils", ("Élèves touchés", "Nombre d'élèves", "Élèves"), "int", "élèves touchés",
              unit="count", nullable=True, min=0),
        Field("girls", ("Dont filles", "Filles", "Nombre de filles"), "int", "filles parmi les élèves touchés",
              unit="count", nullable=True, required=False, min=0),
        Field("girls_share", ("Part des filles (%)", "Part de filles", "% filles"), "float",
              "part des filles parmi les élèves touchés, si le nombre n'est pas connu", unit="percent",
              nullable=True, required=False, min=0, max=100),
        Field("manager", ("Responsable", "Porteur du projet", "Référent"), "string",
              "personne qui porte l'action", personal=True, required=False),
        _file_period_field(),
    ),
    checks=(
        RowCheck("girls_le_pupils", ("girls", "pupils"),
                 "un nombre de filles inférieur ou égal au nombre d'élèves touchés",
                 lambda f: f["girls"] <= f["pupils"]),
        RowCheck("department_of_uai", ("department", "uai"),
                 "le département de l'établissement (les chiffres 2 et 3 de l'UAI)",
                 lambda f: _department_of_uai(f["uai"]) == f["department"]),
        RowCheck("department_in_academy", ("department", "academy"),
                 "un département de l'académie indiquée",
                 lambda f: _academy_of(f["department"]) == f["academy"]),
        _date_in_file_period(),
    ),
))

# --------------------------------------------------------------------------- 2.5 EAC

DOMAIN_VALUES = {
    "Architecture": "architecture",
    "Arts du cirque et arts de la rue": "cirque_arts_rue",
    "Arts numériques": "arts_numeriques",
    "Arts visuels, arts plastiques, arts appliqués": "arts_visuels",
    "Arts visuels": "arts_visuels",
    "Bande dessinée": "bande_dessinee",
    "Cinéma, audiovisuel": "cinema_audiovisuel",
    "Cinéma et audiovisuel": "cinema_audiovisuel",
    "Culture scientifique, technique et industrielle": "culture_scientifique",
    "Danse": "danse",
    "Design": "design",
    "Média et information": "medias_information",
    "Éducation aux médias et à l'information": "medias_information",
    "Mémoire, histoire": "memoire_histoire",
    "Musique": "musique",
    "Patrimoine": "patrimoine",
    "Photographie": "photographie",
    "Théâtre, expression dramatique, marionnettes": "theatre",
    "Théâtre": "theatre",
    "Univers du livre, de la lecture et des écritures": "livre_lecture",
    "Livre et lecture": "livre_lecture",
    "Autre": "autre",
}
EAC_CATEGORY_VALUES = {
    "Projet lié à un dispositif": "dispositif",
    "Projet à l'initiative de l'établissement": "initiative",
    "Projet à l'initiative de l'école": "initiative",
    "Enseignement artistique": "enseignement",
    "Appel à projets": "appel_projets",
}


def _tidy_eac_projects(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_places_from_uai(frame.copy())
    return frame.sort_values(["period", "uai", "project_id"], kind="stable").reset_index(drop=True)


EAC_PROJETS = register(Contract(
    name="eac_projets",
    title="Projets d'éducation artistique et culturelle (ADAGE)",
    description="Un projet EAC par ligne, d'après un export d'ADAGE : établissement, année scolaire, "
                "domaine, usage du numérique, intervention d'artiste (s'appuyant ou non sur le "
                "numérique), pratique artistique numérique, élèves.",
    folder="eac",
    patterns=("*adage*.csv", "*projets*.csv"),
    key=("period", "project_id"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_eac_projects,
    public_format=False,
    provenance=Provenance(
        producer="Délégations académiques à l'action culturelle (DAAC), export ADAGE",
        url="https://adage.education.gouv.fr",
        documentation="docs/sources/pilotage.md",
    ),
    fields=(
        Field("project_id", ("Identifiant projet", "ID projet", "Identifiant", "N° du projet"), "string",
              "identifiant ADAGE du projet"),
        Field("title", ("Titre du projet", "Titre"), "string", "titre du projet", nullable=True,
              required=False),
        Field("uai", ("UAI", "Code UAI", "UAI de l'établissement"), "uai", "établissement qui porte le projet"),
        Field("period", ("Année scolaire",), "period", "année scolaire du projet"),
        Field("category", ("Catégorie", "Type de projet", "Onglet"), "category",
              "onglet d'ADAGE où le projet est saisi", values=EAC_CATEGORY_VALUES, nullable=True,
              required=False),
        Field("domain", ("Domaine artistique et culturel", "Domaine artistique", "Domaine"), "category",
              "domaine artistique et culturel principal", values=DOMAIN_VALUES),
        Field("uses_digital", ("Usage du numérique", "Projet mobilisant le numérique", "Numérique"), "bool",
              "le projet mobilise le numérique (Oui / Non)"),
        Field("artist_intervention", ("Intervention d'artiste", "Intervention artiste"), "bool",
              "un artiste intervient dans le projet (Oui / Non)"),
        Field("artist_digital", ("Intervention d'artiste s'appuyant sur le numérique",
                                 "Intervention artiste numérique"), "bool",
              "l'intervention d'artiste s'appuie sur le numérique (Oui / Non)"),
        Field("practice_digital", ("Pratique artistique s'appuyant sur le numérique",
                                   "Pratique artistique numérique"), "bool",
              "la pratique artistique des élèves s'appuie sur le numérique (Oui / Non)"),
        Field("pupils", ("Nombre d'élèves", "Élèves", "Nombre prévisionnel d'élèves"), "int",
              "élèves engagés dans le projet", unit="count", min=1),
        Field("description", ("Description", "Description du projet"), "string",
              "texte libre (peut nommer des personnes)", personal=True, required=False),
        Field("teacher", ("Enseignant responsable", "Professeur coordonnateur", "Responsable"), "string",
              "enseignant qui porte le projet", personal=True, required=False),
    ),
    checks=(
        RowCheck("artist_digital_implies_artist", ("artist_digital", "artist_intervention"),
                 "« Oui » en intervention d'artiste quand l'intervention s'appuie sur le numérique",
                 lambda f: ~f["artist_digital"] | f["artist_intervention"]),
        RowCheck("digital_flags_imply_digital", ("uses_digital", "artist_digital", "practice_digital"),
                 "« Oui » en usage du numérique quand l'intervention d'artiste ou la pratique "
                 "s'appuie sur le numérique",
                 lambda f: f["uses_digital"] | ~(f["artist_digital"] | f["practice_digital"])),
    ),
))

RESOURCE_TYPE_VALUES = {
    "ressource": "resource",
    "Ressource repérée": "resource",
    "action exemplaire": "model_action",
    "Action exemplaire valorisée": "model_action",
}


def _tidy_eac_resources(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["file_period"], errors="ignore").copy()
    frame["period"] = period_of_dates(frame["date"])
    return frame.sort_values(["date", "resource_id"], kind="stable").reset_index(drop=True)


EAC_RESSOURCES = register(Contract(
    name="eac_ressources",
    title="Ressources EAC repérées et actions exemplaires valorisées",
    description="Une ressource repérée ou une action exemplaire valorisée par ligne : type, date, "
                "titre, adresse, académie.",
    folder="eac",
    patterns=("*ressources*.csv",),
    key=("resource_id",),
    path_fields=FILE_PERIOD_REGEX,
    path_field_headers={"file_period": FILE_PERIOD_HEADER},
    region_column="academy",
    outside_region="error",
    tidy=_tidy_eac_resources,
    public_format=False,
    provenance=PROVENANCE,
    fields=(
        Field("resource_id", ("Identifiant", "Identifiant ressource", "N°"), "string", "identifiant unique"),
        Field("resource_type", ("Type",), "category", "ressource repérée ou action exemplaire valorisée",
              values=RESOURCE_TYPE_VALUES),
        Field("date", ("Date", "Date de repérage", "Date de valorisation"), "date",
              "date du repérage ou de la valorisation", formats=DATE_FORMATS),
        Field("title", ("Titre", "Intitulé"), "string", "titre"),
        Field("url", ("Adresse (URL)", "URL", "Lien"), "string", "adresse web de la ressource", nullable=True),
        Field("academy", ("Académie",), "academy", "académie qui a repéré ou valorisé"),
        Field("domain", ("Domaine artistique et culturel", "Domaine"), "category", "domaine artistique",
              values=DOMAIN_VALUES, nullable=True, required=False),
        _file_period_field(),
    ),
    checks=(
        RowCheck("url_is_web", ("url",), "une adresse web commençant par http:// ou https://",
                 lambda f: f["url"].str.match(r"^https?://\S+$")),
        _date_in_file_period(),
    ),
))

# --------------------------------------------------------------------------- 3.1 partnership

AUTHORITY_TYPE_VALUES = {
    "Région": "region",
    "Conseil régional": "region",
    "Département": "department",
    "Conseil départemental": "department",
    "Métropole": "metropole",
    "Communauté urbaine": "communaute_urbaine",
    "Communauté d'agglomération": "communaute_agglomeration",
    "Commune": "commune",
}
COMMITTEE_TYPE_VALUES = {
    "Comité de pilotage": "pilotage",
    "COPIL": "pilotage",
    "Comité technique": "technique",
    "COTECH": "technique",
    "Comité de suivi": "suivi",
}


def _tidy_authorities(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["academy"] = _academy_of(frame["department"])
    return frame.sort_values("authority_id", kind="stable").reset_index(drop=True)


COLLECTIVITES = register(Contract(
    name="collectivites",
    title="Collectivités partenaires",
    description="Une collectivité partenaire par ligne : code, nom, type, département, dates du "
                "partenariat.",
    folder="partenariat",
    patterns=("*collectivites*.csv",),
    key=("authority_id",),
    region_column="department",
    outside_region="error",
    tidy=_tidy_authorities,
    public_format=False,
    provenance=PROVENANCE,
    fields=(
        Field("authority_id", ("Code collectivité", "Code", "Identifiant"), "string",
              "code de la collectivité, repris dans le fichier des comités (ex. CD33)"),
        Field("name", ("Nom", "Collectivité", "Nom de la collectivité"), "string", "nom de la collectivité"),
        Field("authority_type", ("Type", "Type de collectivité"), "category", "type de collectivité",
              values=AUTHORITY_TYPE_VALUES),
        Field("department", ("Département", "Code département"), "department",
              "département (vide pour la Région)", nullable=True),
        Field("partner_since", ("Début du partenariat", "Partenaire depuis"), "date",
              "date de la convention de partenariat", formats=DATE_FORMATS, nullable=True, required=False),
        Field("partner_until", ("Fin du partenariat",), "date", "fin du partenariat (vide s'il court)",
              formats=DATE_FORMATS, nullable=True, required=False),
    ),
    checks=(
        RowCheck("department_given", ("authority_type",),
                 "un département pour toute collectivité autre que la Région",
                 lambda f: (f["authority_type"] == "region") | f["department"].notna()),
        RowCheck("partnership_end_after_start", ("partner_until", "partner_since"),
                 "une fin de partenariat postérieure ou égale à son début",
                 lambda f: f["partner_until"] >= f["partner_since"]),
    ),
))


def _tidy_committees(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["file_period"], errors="ignore").copy()
    frame["period"] = period_of_dates(frame["date"])
    return frame.sort_values(["date", "authority_id"], kind="stable").reset_index(drop=True)


COMITES = register(Contract(
    name="comites",
    title="Comités tenus avec les collectivités",
    description="Un comité par ligne : date, collectivité (code du fichier des collectivités), "
                "type de comité, académie.",
    folder="partenariat",
    patterns=("*comites*.csv",),
    key=("authority_id", "date", "committee_type"),
    path_fields=FILE_PERIOD_REGEX,
    path_field_headers={"file_period": FILE_PERIOD_HEADER},
    region_column="academy",
    outside_region="error",
    tidy=_tidy_committees,
    public_format=False,
    provenance=PROVENANCE,
    fields=(
        Field("date", ("Date", "Date du comité", "Date de la réunion"), "date", "date du comité",
              formats=DATE_FORMATS),
        Field("authority_id", ("Code collectivité", "Collectivité"), "string",
              "code de la collectivité (fichier des collectivités)"),
        Field("committee_type", ("Type de comité", "Type", "Instance"), "category", "type de comité",
              values=COMMITTEE_TYPE_VALUES),
        Field("academy", ("Académie",), "academy", "académie qui a tenu le comité (vide : région académique)",
              nullable=True),
        Field("minutes", ("Compte rendu", "Relevé de décisions", "Observations"), "string",
              "texte libre (peut nommer des personnes)", personal=True, required=False),
        Field("attendees", ("Participants", "Présents"), "string", "noms des participants",
              personal=True, required=False),
        _file_period_field(),
    ),
    checks=(_date_in_file_period(),),
))

# --------------------------------------------------------------------------- 3.2 relays

RELAY_FUNCTION_VALUES = {
    "ERUN": "erun",
    "Enseignant référent pour les usages du numérique": "erun",
    "Référent numérique d'établissement": "referent_etablissement",
    "RUPN": "referent_etablissement",
    "Référent numérique": "referent_etablissement",
    "Chef d'établissement référent": "chef_etablissement_referent",
    "Inspecteur référent": "inspecteur_referent",
    "IEN référent": "inspecteur_referent",
    "Médiateur Canopé": "mediateur_canope",
}


def _one_function_per_relay(frame: pd.DataFrame) -> pd.Series:
    counts = frame.groupby("relay_id", observed=True)["function"].transform("nunique")
    return counts <= 1


def _tidy_relays(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _add_places_from_uai(frame.copy())
    return frame.sort_values(["relay_id", "uai", "start_date"], kind="stable").reset_index(drop=True)


RELAIS = register(Contract(
    name="relais",
    title="Réseau des relais numériques",
    description="Une ligne par relais et par établissement couvert : identifiant du relais, "
                "fonction (ERUN, référent d'établissement, chef d'établissement ou inspecteur "
                "référent, médiateur Canopé), UAI couvert, dates de début et de fin.",
    folder="relais",
    patterns=("*relais*.csv",),
    key=("relay_id", "uai", "start_date"),
    region_column="uai",
    outside_region="error",
    tidy=_tidy_relays,
    public_format=False,
    provenance=PROVENANCE,
    fields=(
        Field("relay_id", ("Identifiant relais", "Identifiant", "Code relais"), "string",
              "identifiant du relais (une personne dans une mission)"),
        Field("last_name", ("Nom",), "string", "nom", personal=True, required=False),
        Field("first_name", ("Prénom",), "string", "prénom", personal=True, required=False),
        Field("email", ("Courriel", "Mél", "Mail"), "string", "adresse électronique", personal=True,
              required=False),
        Field("function", ("Fonction",), "category", "fonction du relais", values=RELAY_FUNCTION_VALUES),
        Field("uai", ("UAI couvert", "UAI", "Établissement couvert (UAI)"), "uai", "établissement couvert"),
        Field("start_date", ("Date de début", "Début"), "date", "début de la couverture de l'établissement",
              formats=DATE_FORMATS),
        Field("end_date", ("Date de fin", "Fin"), "date", "fin de la couverture (vide si elle court)",
              formats=DATE_FORMATS, nullable=True),
    ),
    checks=(
        RowCheck("end_after_start", ("end_date", "start_date"),
                 "une date de fin postérieure ou égale à la date de début",
                 lambda f: f["end_date"] >= f["start_date"]),
        RowCheck("one_function_per_relay", ("function", "relay_id"),
                 "une seule fonction par identifiant de relais",
                 _one_function_per_relay),
    ),
))


def select_active_relays(relais: pd.DataFrame, period: str, on: str | None = None) -> pd.DataFrame:
    """Rows of the tidy ``relais`` frame active on the reference day of a school year.

    Args:
        relais: the tidy ``relais`` source.
        period: school year (``2022-2023``).
        on: day (``YYYY-MM-DD``) instead of the reference day, 15 January of the year.

    Returns:
        The rows whose coverage started on or before that day and had not ended before it.
    """
    day = pd.Timestamp(on or f"{Period.parse(period).end}-{RELAY_REFERENCE_DAY}")
    active = (relais["start_date"] <= day) & (relais["end_date"].isna() | (relais["end_date"] >= day))
    return relais.loc[active.fillna(False)]
