"""Demo ``annuaire/fr-en-annuaire-education.csv`` (newer, 71-column version)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import referential
from .formats import write_opendata_csv
from .world import World

HEADER_2026 = ["Identifiant_de_l_etablissement", "Nom_etablissement", "Type_etablissement", "Statut_public_prive", "Adresse_1", "Adresse_2", "Adresse_3", "Code_postal", "Code_commune", "Nom_commune", "Code_departement", "Code_academie", "Code_region", "Ecole_maternelle", "Ecole_elementaire", "Voie_generale", "Voie_technologique", "Voie_professionnelle", "Telephone", "Fax", "Web", "Mail", "Restauration", "Hebergement", "ULIS", "Apprentissage", "Segpa", "Section_arts", "Section_cinema", "Section_theatre", "Section_sport", "Section_internationale", "Section_europeenne", "Lycee_Agricole", "Lycee_militaire", "Lycee_des_metiers", "Post_BAC", "Appartenance_Education_Prioritaire", "GRETA", "SIREN_SIRET", "Fiche_onisep", "position", "Type_contrat_prive", "Libelle_departement", "Libelle_academie", "Libelle_region", "coordX_origine", "coordY_origine", "epsg_origine", "nom_circonscription", "latitude", "longitude", "precision_localisation", "date_ouverture", "date_maj_ligne", "etat", "ministere_tutelle", "multi_uai", "rpi_concentre", "rpi_disperse", "code_nature", "libelle_nature", "Code_type_contrat_prive", "PIAL", "etablissement_mere", "type_rattachement_etablissement_mere", "code_circonscription", "code_zone_animation_pedagogique", "libelle_zone_animation_pedagogique", "code_bassin_formation", "libelle_bassin_formation"]

TYPE_LABELS = {"ecole": "Ecole", "college": "Collège", "lycee": "Lycée", "erea": "EREA",
               "medico_social": "Médico-social", "administratif": "Service Administratif",
               "orientation": "Information et orientation"}


def annuaire_frame(world: World) -> pd.DataFrame:
    """The directory rows for the world's establishments, in the 2026 export layout."""
    est = world.establishments
    rng = world.rng("annuaire")
    n = len(est)
    out = pd.DataFrame({h: pd.Series([""] * n, dtype=object) for h in HEADER_2026})
    dept3 = est["department"].map(lambda d: f"0{d}")
    out["Identifiant_de_l_etablissement"] = est["uai"]
    out["Nom_etablissement"] = est["name"]
    out["Type_etablissement"] = est["kind"].map(TYPE_LABELS)
    out["Statut_public_prive"] = np.where(est["sector"] == "public", "Public", "Privé")
    out["Adresse_1"] = [f"{int(k)} rue {p}" for k, p in zip(rng.integers(1, 120, n),
                                                             rng.choice(["de la République", "Jean Jaurès",
                                                                         "des Écoles", "Victor Hugo",
                                                                         "du Stade", "de la Gare"], n), strict=True)]
    postal = est["commune_code"].str.slice(0, 2) + rng.integers(0, 10, n).astype(str) + "00"
    out["Code_postal"] = postal
    out["Adresse_3"] = postal + " " + est["commune_name"].str.upper()
    out["Code_commune"] = est["commune_code"]
    out["Nom_commune"] = est["commune_name"]
    out["Code_departement"] = dept3
    out["Code_academie"] = est["academy_code"]
    out["Code_region"] = referential.REGION_INSEE_CODE
    is_ecole = est["kind"] == "ecole"
    out["Ecole_maternelle"] = np.where(is_ecole, np.where(est["nature_code"] == "101", "1", "0"), "")
    out["Ecole_elementaire"] = np.where(is_ecole, np.where(est["nature_code"] == "151", "1", "0"), "")
    lt = est["lycee_type"]
    out["Voie_generale"] = np.where(est["kind"] == "lycee", np.where(lt != "LP", "1", "0"), "")
    out["Voie_technologique"] = np.where(est["kind"] == "lycee", np.where(lt != "LP", "1", "0"), "")
    out["Voie_professionnelle"] = np.where(est["kind"] == "lycee", np.where(lt != "LEGT", "1", "0"), "")
    out["Telephone"] = ["05" + "".join(map(str, rng.integers(0, 10, 8))) for _ in range(n)]
    out["Mail"] = "ce." + est["uai"] + "@ac-" + est["academy"] + ".fr"
    school = est["kind"].isin(["ecole", "college", "lycee", "erea"])
    out["Restauration"] = np.where(school, "1", "")
    out["Hebergement"] = np.where(est["kind"].isin(["lycee", "erea"]), "1", np.where(school, "0", ""))
    out["ULIS"] = np.where(school, np.where(rng.random(n) < 0.25, "1", "0"), "")
    out["Segpa"] = np.where(est["kind"] == "college", np.where(rng.random(n) < 0.2, "1", "0"), "")
    out["Appartenance_Education_Prioritaire"] = est["priority_education"].map(
        {"rep": "REP", "rep_plus": "REP+", "none": ""})
    out["position"] = est["latitude"].astype(str) + ", " + est["longitude"].astype(str)
    out["Type_contrat_prive"] = np.where(
        est["sector"] == "public", "SANS OBJET",
        np.where(est["under_contract"], "CONTRAT D'ASSOCIATION TOUTES CLASSES", "HORS CONTRAT"))
    out["Code_type_contrat_prive"] = np.where(est["sector"] == "public", "99",
                                              np.where(est["under_contract"], "30", "10"))
    out["Libelle_departement"] = est["department"].map(lambda d: referential.DEPARTMENTS[d].name)
    out["Libelle_academie"] = est["academy"].map(lambda a: referential.ACADEMIES[a].name)
    out["Libelle_region"] = referential.REGION_NAME
    out["epsg_origine"] = "EPSG:2154"
    out["latitude"] = est["latitude"]
    out["longitude"] = est["longitude"]
    out["precision_localisation"] = "Numéro de rue"
    out["date_ouverture"] = est["opening_date"].dt.strftime("%Y-%m-%d")
    out["date_maj_ligne"] = "2026-05-27"
    out["etat"] = "OUVERT"
    out["ministere_tutelle"] = "MINISTERE DE L'EDUCATION NATIONALE"
    out["multi_uai"] = "0"
    out["code_nature"] = est["nature_code"]
    out["libelle_nature"] = est["nature_label"]
    return out


def write(world: World, out: Path) -> list[Path]:
    path = out / "annuaire" / "fr-en-annuaire-education.csv"
    write_opendata_csv(annuaire_frame(world), path, bom=True)
    return [path]
