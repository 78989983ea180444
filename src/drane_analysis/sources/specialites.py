"""Pupils of première and terminale générale by specialty and sex, per lycée (DEPP).

Real, public formats of data.education.gouv.fr (data-sources §4a, §4b), ``;``:

- ``fr-en-effectifs-specialites-triplettes-1ere-generale`` (label headers, confirmed):
  ``RENTREE SCOLAIRE``, ``UAI``, ``SECTEUR``, ``EFFECTIF TOTAL``, ``EFFECTIF TOTAL FILLES``,
  ``EFFECTIF TOTAL GARCONS``, then ``<code> - <LIBELLE> - filles|garçons`` per specialty,
  then the main combinations of three specialties (``01 - …`` to ``18 - …``,
  ``AUTRES COMBINAISONS``);
- ``fr-en-effectifs-specialites-doublettes-terminale-generale``, the same with pairs;
  both its label variant (``Rentrée scolaire``, ``Effectif total filles``...) and its API
  field variant (``rentree_scolaire``, ``numero_etablissement``,
  ``0747_numerique_et_sciences_informatiques_filles``) are accepted.

Only single specialties are read; the combination columns are dropped at read (their
codes and labels change between files and years, and every single specialty's count is
given anyway). The columns of NSI (``0747``) and the totals are required; the other
specialties are read when present. ``EFFECTIF TOTAL`` columns become the pseudo-specialty
``total`` (the denominators). ``RENTREE SCOLAIRE`` 2021 means ``2021-2022``.
National files may be dropped as they are: rows outside the region (by UAI) are ignored.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from .. import referential
from . import register
from .base import Contract, Field, Provenance, RowCheck

FOLDER = "specialites"
NSI = "0747"
TOTAL = "total"

# Code → (label in the files, French label for reports).
SPECIALTIES: dict[str, tuple[str, str]] = {
    "0105": ("HUMANITES, LITTERATURE ET PHILOSOPHIE", "Humanités, littérature et philosophie"),
    "0241": ("LITTERATURE ET LCA LATIN", "Littérature, langues et cultures de l'Antiquité : latin"),
    "0242": ("LITTERATURE ET LCA GREC", "Littérature, langues et cultures de l'Antiquité : grec"),
    "0300": ("LANGUES, LITTERATURE ET CULTURES ETRANGERES ET REGIONALES",
             "Langues, littératures et cultures étrangères et régionales"),
    "0439": ("HIST.-GEO. GEOPOLITIQUE & SC.POLITIQUES",
             "Histoire-géographie, géopolitique et sciences politiques"),
    "0507": ("SCIENCES ECONOMIQUES ET SOCIALES", "Sciences économiques et sociales"),
    "0613": ("MATHEMATIQUES", "Mathématiques"),
    "0623": ("PHYSIQUE-CHIMIE", "Physique-chimie"),
    "0629": ("SCIENCES DE LA VIE ET DE LA TERRE", "Sciences de la vie et de la Terre"),
    "0673": ("SCIENCES DE L'INGENIEUR", "Sciences de l'ingénieur"),
    "0747": ("NUMERIQUE ET SCIENCES INFORMATIQUES", "Numérique et sciences informatiques"),
    "0825": ("DANSE", "Danse"),
    "0832": ("MUSIQUE", "Musique"),
    "0901": ("ARTS PLASTIQUES", "Arts plastiques"),
    "2757": ("HISTOIRE DES ARTS", "Histoire des arts"),
    "2785": ("THEATRE", "Théâtre"),
    "2786": ("ARTS DU CIRQUE", "Arts du cirque"),
    "2852": ("CINEMA-AUDIOVISUEL", "Cinéma-audiovisuel"),
    "3045": ("BIOLOGIE-ECOLOGIE", "Biologie-écologie"),
    "1087": ("EDUC.PHYSIQUE PRATIQUE & CULT.SPORTIVE",
             "Éducation physique, pratiques et culture sportives"),
}
TOTAL_LABEL = "Effectif total"
SECTOR_VALUES = {"PUBLIC": "public", "PRIVE SOUS CONTRAT": "private", "PRIVE": "private",
                 "Privé sous contrat": "private"}
SEXES = (("girls", "filles"), ("boys", "garçons"))


def api_slug(text: str) -> str:
    """The API field name form of a label: ``HIST.-GEO. & SC`` → ``hist_geo_sc``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def specialty_header(code: str, sex_label: str) -> str:
    """The label-variant header of one specialty and sex (``0747 - NUMERIQUE… - filles``)."""
    return f"{code} - {SPECIALTIES[code][0]} - {sex_label}"


def _specialty_fields() -> list[Field]:
    fields = []
    for code, (label, french) in SPECIALTIES.items():
        for sex, sex_label in SEXES:
            api_sex = "garcons" if sex == "boys" else "filles"
            fields.append(Field(
                f"{sex}__{code}", (specialty_header(code, sex_label), f"{code}_{api_slug(label)}_{api_sex}"),
                "int", f"{sex_label} suivant la spécialité {french}", unit="count",
                nullable=True, required=code == NSI, min=0,
            ))
    return fields


FIELDS = (
    Field("period", ("RENTREE SCOLAIRE", "rentree_scolaire"), "int",
          "année de la rentrée (2021 = 2021-2022)", min=1990, max=2100),
    Field("uai", ("UAI", "numero_etablissement", "numero_lycee"), "uai", "code UAI du lycée"),
    Field("name", ("DENOMINATION PRINCIPALE", "denomination_principale", "denomination"), "string",
          nullable=True, required=False),
    Field("sector", ("SECTEUR",), "category", "PUBLIC ou PRIVE SOUS CONTRAT", values=SECTOR_VALUES,
          nullable=True),
    Field("pupils__total", ("EFFECTIF TOTAL", "effectif_total"), "int", "élèves de la formation",
          unit="count", nullable=True, min=0),
    Field("girls__total", ("EFFECTIF TOTAL FILLES", "effectif_total_filles"), "int", "filles",
          unit="count", nullable=True, min=0),
    Field("boys__total", ("EFFECTIF TOTAL GARCONS", "effectif_total_garcons"), "int", "garçons",
          unit="count", nullable=True, min=0),
    *_specialty_fields(),
)


def _checks() -> tuple[RowCheck, ...]:
    checks = [RowCheck("sexes_total", ("pupils__total", "girls__total", "boys__total"),
                       "EFFECTIF TOTAL FILLES + EFFECTIF TOTAL GARCONS = EFFECTIF TOTAL",
                       lambda f: f["girls__total"] + f["boys__total"] == f["pupils__total"])]
    for code in SPECIALTIES:
        for sex, sex_label in SEXES:
            col, total = f"{sex}__{code}", f"{sex}__total"
            checks.append(RowCheck(
                f"{col}_within_total", (col, total),
                f"un nombre de {sex_label} de la spécialité inférieur ou égal à l'effectif total des {sex_label}",
                lambda f, col=col, total=total: f[col] <= f[total]))
    return tuple(checks)


def tidy_specialties(frame: pd.DataFrame) -> pd.DataFrame:
    """Wide specialties → one row per (uai, period, specialty_code); ``total`` first."""
    parts = []
    for code in (TOTAL, *SPECIALTIES):
        girls, boys = f"girls__{code}", f"boys__{code}"
        if girls not in frame or boys not in frame:
            continue
        parts.append(pd.DataFrame({
            "uai": frame["uai"], "period": frame["period"], "specialty_code": code,
            "specialty_label": TOTAL_LABEL if code == TOTAL else SPECIALTIES[code][1],
            "girls": frame[girls], "boys": frame[boys], "sector": frame["sector"],
        }))
    out = pd.concat(parts, ignore_index=True)
    start = out["period"].astype("Int64")
    out["period"] = (start.astype("string") + "-" + (start + 1).astype("string")).astype("string")
    for c in ("specialty_code", "specialty_label"):
        out[c] = out[c].astype("string")
    for c in ("girls", "boys"):
        out[c] = out[c].astype("Int64")
    out["department"] = out["uai"].map(referential.department_of_uai).astype("string")
    out["academy"] = out["department"].map(referential.academy_of_department).astype("string")
    # Rows were stacked specialty by specialty: order them by lycée, year, then specialty.
    out = out.sort_values(["uai", "period"], kind="stable")
    return out.reset_index(drop=True)


def _contract(name: str, title: str, pattern: str, dataset: str) -> Contract:
    return register(Contract(
        name=name,
        title=title,
        description="Élèves par spécialité et par sexe, un lycée par rentrée ; mis en forme "
                    "longue (une spécialité par ligne, « total » pour les effectifs totaux).",
        folder=FOLDER,
        patterns=(pattern,),
        sep=";",
        decimal=".",
        fields=FIELDS,
        key=("uai", "period"),
        checks=_checks(),
        region_column="uai",
        outside_region="drop",
        tidy=tidy_specialties,
        provenance=Provenance(
            producer="Ministère de l'Éducation nationale (DEPP)",
            url=f"https://data.education.gouv.fr/explore/dataset/{dataset}/",
            licence="Licence Ouverte / Etalab 2.0",
            documentation="data-sources §4a, §4b",
        ),
    ))


PREMIERE = _contract(
    "specialites_premiere", "Spécialités de première générale par sexe (triplettes)",
    "*specialites-triplettes-1ere*.csv", "fr-en-effectifs-specialites-triplettes-1ere-generale",
)

TERMINALE = _contract(
    "specialites_terminale", "Spécialités de terminale générale par sexe (doublettes)",
    "*specialites-doublettes-terminale*.csv", "fr-en-effectifs-specialites-doublettes-terminale-generale",
)
