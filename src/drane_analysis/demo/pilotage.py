"""Demo files of the steering sources (our own contracts, ``docs/sources/pilotage.md``).

- ``orientation/projets_orientation_<year>.csv``: actions linking orientation and digital;
- ``eac/adage_projets_<academy>_<year>.csv``: EAC projects, as exported from ADAGE;
- ``eac/ressources_eac_<year>.csv``: resources flagged and model actions promoted;
- ``partenariat/collectivites.csv`` and ``partenariat/comites_<year>.csv``;
- ``relais/relais_numeriques.csv``: digital relays × establishments covered.

Sizes and effects come from ``params/demo/pilotage.yaml``; people are fake
(:meth:`World.fake_people`). Every random draw comes from ``world.rng("pilotage.<part>")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import referential
from ..periods import Period
from .formats import write_plain_csv
from .world import World, load_demo_params

ACADEMY_LABELS = {slug: a.name for slug, a in referential.ACADEMIES.items()}
SCHOOL_KINDS = ("ecole", "college", "lycee", "erea")

PROGRAMME_LABELS = {
    "femmes_numerique": "Femmes@Numérique",
    "chiche": "Un scientifique, une classe, chiche",
    "cordees_reussite": "Cordées de la réussite",
    "concours": "Concours",
    "decouverte_metiers": "Découverte des métiers",
    "autre": "Autre",
}
PROGRAMME_PARTNERS = {
    "femmes_numerique": "Femmes@Numérique", "chiche": "Inria", "cordees_reussite": "Université",
    "concours": "", "decouverte_metiers": "ONISEP", "autre": "",
}
PROGRAMME_TITLES = {
    "femmes_numerique": ("Atelier « Les filles et le numérique »",
                         "Rencontre avec des ingénieures du numérique",
                         "Journée « Sciences et numérique au féminin »"),
    "chiche": ("Rencontre avec une chercheuse en informatique",
               "Rencontre avec un chercheur en informatique",
               "Un scientifique, une classe : l'intelligence artificielle"),
    "cordees_reussite": ("Cordée de la réussite : parcours numérique",
                         "Tutorat étudiant vers les études d'informatique"),
    "concours": ("Concours Castor informatique", "Trophées NSI", "Concours Algoréa"),
    "decouverte_metiers": ("Forum des métiers du numérique", "Visite d'une entreprise du numérique",
                           "Découverte des métiers de la cybersécurité"),
    "autre": ("Hackathon orientation et numérique", "Escape game sur les métiers du numérique",
              "Soirée parents : spécialité NSI et orientation"),
}
QUESTIONNAIRE_TITLE = "Questionnaire Femmes@Numérique aux élèves de seconde"

DOMAIN_LABELS = {
    "architecture": "Architecture",
    "cirque_arts_rue": "Arts du cirque et arts de la rue",
    "arts_numeriques": "Arts numériques",
    "arts_visuels": "Arts visuels, arts plastiques, arts appliqués",
    "bande_dessinee": "Bande dessinée",
    "cinema_audiovisuel": "Cinéma, audiovisuel",
    "culture_scientifique": "Culture scientifique, technique et industrielle",
    "danse": "Danse",
    "medias_information": "Média et information",
    "memoire_histoire": "Mémoire, histoire",
    "musique": "Musique",
    "patrimoine": "Patrimoine",
    "photographie": "Photographie",
    "theatre": "Théâtre, expression dramatique, marionnettes",
    "livre_lecture": "Univers du livre, de la lecture et des écritures",
}
DOMAIN_SHORT = {
    "architecture": "Architecture", "cirque_arts_rue": "Cirque", "arts_numeriques": "Création numérique",
    "arts_visuels": "Arts plastiques", "bande_dessinee": "Bande dessinée", "cinema_audiovisuel": "Cinéma",
    "culture_scientifique": "Sciences", "danse": "Danse", "medias_information": "Journal scolaire",
    "memoire_histoire": "Mémoire", "musique": "Musique", "patrimoine": "Patrimoine",
    "photographie": "Photographie", "theatre": "Théâtre", "livre_lecture": "Lecture et écriture",
}
THEMES = ("et territoire", "en résidence", "au fil des saisons", "en partage", "et mémoire locale",
          "au musée", "et paysages", "d'hier et d'aujourd'hui", "en création", "et citoyenneté")
DIGITAL_FORMS = ("webradio", "court métrage", "exposition virtuelle", "balade sonore", "livre numérique",
                 "podcast", "carte interactive")
CATEGORY_LABELS = {"dispositif": "Projet lié à un dispositif",
                   "initiative": "Projet à l'initiative de l'établissement"}

RESOURCE_TITLES = (
    "Tutoriel : réaliser un court métrage avec des tablettes",
    "Banque de sons libres pour la création musicale",
    "Visite virtuelle d'un musée de la région",
    "Parcours en réalité augmentée dans un site patrimonial",
    "Fiches pour créer une radio scolaire",
    "Application de création de bande dessinée",
    "Collections numérisées d'archives départementales",
    "Guide de la photographie numérique en classe",
    "Spectacle vivant en captation : ressources pédagogiques",
    "Atelier de programmation créative",
    "Cartographie sonore d'une commune",
    "Outils pour un livre numérique collaboratif",
)
MODEL_ACTION_TITLES = (
    "Webradio inter-établissements",
    "Résidence d'artiste numérique en collège rural",
    "Exposition virtuelle des œuvres d'élèves",
    "Création chorégraphique filmée à distance",
    "Jumelage patrimonial en réalité virtuelle",
    "Festival de courts métrages d'élèves",
    "Concert connecté entre écoles",
)

AUTHORITY_ACADEMY_NONE = ""  # the Région's committees are held by the academic region

FUNCTION_LABELS = {
    "erun": "ERUN",
    "referent_etablissement": "Référent numérique d'établissement",
    "chef_etablissement_referent": "Chef d'établissement référent",
    "inspecteur_referent": "Inspecteur référent",
    "mediateur_canope": "Médiateur Canopé",
}
COMMITTEE_LABELS = {"pilotage": "Comité de pilotage", "technique": "Comité technique"}


# --------------------------------------------------------------------------- helpers


def _school_year_start(period: str) -> pd.Timestamp:
    return pd.Timestamp(f"{Period.parse(period).start}-09-01")


def _days_after(start: pd.Timestamp, offsets: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(start + pd.to_timedelta(np.asarray(offsets, dtype="int64"), unit="D"))


def _weekday(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Move Saturdays and Sundays to the next Monday (meetings and actions on weekdays)."""
    shift = np.select([dates.day_of_week == 5, dates.day_of_week == 6], [2, 1], 0)
    return dates + pd.to_timedelta(shift, unit="D")


def _french_dates(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    text = pd.Series(pd.DatetimeIndex(dates)).dt.strftime("%d/%m/%Y")
    return text.fillna("").to_numpy(dtype=object)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrate(x: np.ndarray, weights: np.ndarray, target: float, *, latent: np.ndarray | None = None,
               forced: np.ndarray | None = None) -> float:
    """Intercept ``a`` such that the weighted share of ``sigmoid(a + x)`` meets ``target``.

    With ``latent`` (uniform draws), the share counted is the realised one
    (``latent < sigmoid(a + x)``), so that the demo hits the target within one unit.
    Units in ``forced`` always count as positive.
    """
    lo, hi = -30.0, 30.0
    total = weights.sum()
    for _ in range(70):
        mid = (lo + hi) / 2
        p = _sigmoid(mid + x)
        value = (latent < p).astype(float) if latent is not None else p
        if forced is not None:
            value = np.where(forced, 1.0, value)
        if (weights * value).sum() / total < target:
            lo = mid
        else:
            hi = mid
    return hi


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]


def _pick_titles(rng: np.random.Generator, keys: np.ndarray, titles: dict[str, tuple[str, ...]]) -> np.ndarray:
    draw = rng.random(len(keys))
    return np.array([titles[k][int(d * len(titles[k]))] for k, d in zip(keys, draw, strict=True)], dtype=object)


def _names(world: World, rng: np.random.Generator, n: int) -> pd.DataFrame:
    people = world.fake_people(rng, n)
    people["civility"] = np.where(people["sex"] == "F", "Mme", "M.")
    return people


def _rural_odds(world: World, odds: float) -> float:
    return float(odds) ** float(world.params["effects"]["rural_lag"])


# --------------------------------------------------------------------------- 2.4 orientation


def orientation_projects(world: World, params: dict[str, Any]) -> pd.DataFrame:
    """All orientation projects of every school year, in the file's layout plus ``period``."""
    rng = world.rng("pilotage.orientation")
    est = world.establishments
    chiche_p = params["chiche"]
    frames = []
    for period in world.periods:
        total = int(params["projects"][period])
        open_est = world.open_in(period)
        open_est = open_est[open_est["under_contract"]]
        start = _school_year_start(period)

        # Femmes@Numérique questionnaire: one per academy, at the back-to-school.
        seconde = world.pupils("2nde_gt", period).merge(est[["uai", "academy"]], on="uai")
        by_academy = seconde.groupby("academy")["pupils"].sum()
        academies = np.array(sorted(referential.ACADEMIES), dtype=object)
        q_pupils = np.round(by_academy.reindex(academies).to_numpy(float)
                            * params["questionnaire_respondents"]).astype(int)
        questionnaire = pd.DataFrame({
            "programme": "femmes_numerique", "title": QUESTIONNAIRE_TITLE, "academy": academies,
            "uai": None, "department": None, "offset": rng.integers(14, 45, len(academies)),
            "pupils": q_pupils, "girls": rng.binomial(q_pupils, params["questionnaire_girls"]),
        })

        # « Chiche »: piloted in one academy, then everywhere.
        n_chiche = int(round(total * chiche_p["share"]))
        if Period.parse(period) < Period.parse(chiche_p["extended_from"]):
            chiche_acad = np.full(n_chiche, chiche_p["pilot_academy"], dtype=object)
        else:
            chiche_acad = _choice(rng, params["academy_weights"], n_chiche)
        lycees = open_est[(open_est["kind"] == "lycee") & (open_est["lycee_type"] != "LP")]
        chiche_uai = _pick_uai(rng, lycees, chiche_acad)
        lo, hi = chiche_p["pupils"]
        c_pupils = rng.integers(lo, hi + 1, n_chiche)
        chiche = pd.DataFrame({
            "programme": "chiche", "academy": chiche_acad, "uai": chiche_uai, "department": None,
            "offset": rng.integers(60, 270, n_chiche), "pupils": c_pupils,
            "girls": rng.binomial(c_pupils, chiche_p["girls_share"]),
        })
        chiche["title"] = _pick_titles(rng, chiche["programme"].to_numpy(), PROGRAMME_TITLES)

        # Other actions: in a collège or a lycée, or department-wide.
        n_other = max(total - len(questionnaire) - n_chiche, 0)
        programme = _choice(rng, params["others"], n_other)
        acad = _choice(rng, params["academy_weights"], n_other)
        in_college = rng.random(n_other) < params["college_share"]
        uai = np.where(in_college, _pick_uai(rng, open_est[open_est["kind"] == "college"], acad),
                       _pick_uai(rng, open_est[open_est["kind"] == "lycee"], acad))
        dept_wide = rng.random(n_other) < params["department_wide_share"]
        weights = world.params["department_weights"]
        depts = np.array([_choice(rng, weights[a], 1)[0] for a in acad], dtype=object)
        lo, hi = params["pupils"]
        o_pupils = rng.integers(lo, hi + 1, n_other)
        share = np.array([params["girls_share"][p] for p in programme], dtype=float)
        others = pd.DataFrame({
            "programme": programme, "academy": acad,
            "uai": np.where(dept_wide, None, uai), "department": np.where(dept_wide, depts, None),
            "offset": rng.integers(30, 290, n_other), "pupils": o_pupils,
            "girls": rng.binomial(o_pupils, share),
        })
        others["title"] = _pick_titles(rng, programme, PROGRAMME_TITLES)

        year = pd.concat([questionnaire, chiche, others], ignore_index=True)
        year["date"] = _weekday(_days_after(start, year["offset"].to_numpy()))
        year = year.sort_values(["date", "academy", "programme"], kind="stable").reset_index(drop=True)
        year["project_id"] = [f"ORI-{Period.parse(period).start}-{i + 1:03d}" for i in range(len(year))]
        year["period"] = period
        people = _names(world, rng, len(year))
        year["manager"] = people["first_name"] + " " + people["last_name"]
        frames.append(year)
    out = pd.concat(frames, ignore_index=True)
    out["partner"] = out["programme"].map(PROGRAMME_PARTNERS)
    return out


def _pick_uai(rng: np.random.Generator, pool: pd.DataFrame, academies: np.ndarray) -> np.ndarray:
    """One UAI of ``pool`` per requested academy (uniform within the academy)."""
    out = np.empty(len(academies), dtype=object)
    draws = rng.random(len(academies))
    for academy in sorted(set(academies.tolist())):
        mask = academies == academy
        uais = pool.loc[pool["academy"] == academy, "uai"].to_numpy(dtype=object)
        out[mask] = uais[(draws[mask] * len(uais)).astype(int)]
    return out


def _write_orientation(world: World, out: Path, params: dict[str, Any]) -> list[Path]:
    frame = orientation_projects(world, params)
    paths = []
    for period, year in frame.groupby("period", sort=True):
        table = pd.DataFrame({
            "Identifiant projet": year["project_id"],
            "Intitulé": year["title"],
            "Dispositif": year["programme"].map(PROGRAMME_LABELS),
            "Partenaire": year["partner"],
            "Académie": year["academy"].map(ACADEMY_LABELS),
            "UAI": year["uai"],
            "Département": year["department"],
            "Date": _french_dates(year["date"]),
            "Élèves touchés": year["pupils"].astype("Int64"),
            "Dont filles": year["girls"].astype("Int64"),
            "Responsable": year["manager"],
        })
        path = out / "orientation" / f"projets_orientation_{period}.csv"
        write_plain_csv(table, path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- 2.5 EAC projects


def eac_projects(world: World, params: dict[str, Any]) -> pd.DataFrame:
    """All EAC projects of every school year (tidy values, plus academy and territory)."""
    rng = world.rng("pilotage.eac")
    rural_odds = np.log(_rural_odds(world, params["rural_odds"]))
    pole_odds = np.log(params["pole_odds"])
    domains = params["domains"]
    enrolment = world.enrolment
    sizes = (enrolment["girls"] + enrolment["boys"]).groupby([enrolment["period"], enrolment["uai"]]).sum()
    frames = []
    for t, period in enumerate(world.periods):
        est = world.open_in(period)
        est = est[est["kind"].isin(SCHOOL_KINDS) & est["under_contract"]]
        rate = est["kind"].map(params["projects_per_establishment"]).to_numpy(float)
        counts = rng.poisson(rate * (1 + params["yearly_growth"]) ** t)
        rows = est.loc[est.index.repeat(counts), ["uai", "kind", "academy", "territory"]].reset_index(drop=True)
        n = len(rows)
        rows["period"] = period
        rows["domain"] = _choice(rng, domains, n)
        x = pole_odds * (rows["academy"] == params["pole_academy"]).to_numpy() \
            + rural_odds * (rows["territory"] == "rural").to_numpy()
        forced = (rows["domain"] == "arts_numeriques").to_numpy()
        a = _calibrate(x, np.ones(n), params["digital_share"][period], forced=forced)
        digital = forced | (rng.random(n) < _sigmoid(a + x))
        artist = rng.random(n) < params["artist_intervention"]
        rows["uses_digital"] = digital
        rows["artist_intervention"] = artist
        rows["artist_digital"] = digital & artist & (rng.random(n) < params["artist_digital"])
        rows["practice_digital"] = digital & (rng.random(n) < params["practice_digital"])
        rows["category"] = _choice(rng, params["category"], n)
        bounds = np.array([params["pupils"][k] for k in rows["kind"]], dtype=int)
        cap = rows["uai"].map(sizes[period]).to_numpy(float)
        cap = np.where(np.isnan(cap), bounds[:, 1], cap).astype(int)
        rows["pupils"] = np.maximum(np.minimum(rng.integers(bounds[:, 0], bounds[:, 1] + 1), cap), 1)
        theme = np.asarray(THEMES, dtype=object)[rng.integers(0, len(THEMES), n)]
        short = rows["domain"].map(DOMAIN_SHORT).to_numpy(dtype=object)
        form = np.asarray(DIGITAL_FORMS, dtype=object)[rng.integers(0, len(DIGITAL_FORMS), n)]
        rows["title"] = np.where(digital & ~forced, short + " " + theme + " : " + form, short + " " + theme)
        people = _names(world, rng, n)
        rows["teacher"] = people["last_name"].str.upper() + " " + people["first_name"]
        rows["description"] = ("Projet coordonné par " + people["civility"] + " " + people["last_name"]
                               + " avec " + rows["pupils"].astype(str) + " élèves.")
        frames.append(rows)
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["period", "academy", "uai"], kind="stable").reset_index(drop=True)
    out["project_id"] = (310_000 + np.arange(len(out))).astype(str)
    return out


def _oui_non(values: pd.Series) -> pd.Series:
    return pd.Series(np.where(values.to_numpy(bool), "Oui", "Non"), index=values.index)


def _write_eac_projects(world: World, out: Path, params: dict[str, Any]) -> list[Path]:
    frame = eac_projects(world, params)
    names = world.establishments.set_index("uai")["name"]
    paths = []
    for (period, academy), part in frame.groupby(["period", "academy"], sort=True):
        table = pd.DataFrame({
            "Identifiant projet": part["project_id"],
            "Titre du projet": part["title"],
            "UAI": part["uai"],
            "Nom de l'établissement": part["uai"].map(names),
            "Année scolaire": part["period"],
            "Catégorie": part["category"].map(CATEGORY_LABELS),
            "Domaine artistique et culturel": part["domain"].map(DOMAIN_LABELS),
            "Usage du numérique": _oui_non(part["uses_digital"]),
            "Intervention d'artiste": _oui_non(part["artist_intervention"]),
            "Intervention d'artiste s'appuyant sur le numérique": _oui_non(part["artist_digital"]),
            "Pratique artistique s'appuyant sur le numérique": _oui_non(part["practice_digital"]),
            "Nombre d'élèves": part["pupils"].astype("Int64"),
            "Description": part["description"],
            "Enseignant responsable": part["teacher"],
        })
        path = out / "eac" / f"adage_projets_{academy}_{period}.csv"
        write_plain_csv(table, path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- 2.5 EAC resources


def eac_resources(world: World, params: dict[str, Any], domains: dict[str, float]) -> pd.DataFrame:
    """Resources flagged and model actions promoted, every school year."""
    rng = world.rng("pilotage.eac_resources")
    frames = []
    for period in world.periods:
        n_res, n_act = int(params["resources"][period]), int(params["model_actions"][period])
        kind = np.array(["resource"] * n_res + ["model_action"] * n_act, dtype=object)
        n = len(kind)
        titles = np.where(kind == "resource",
                          np.asarray(RESOURCE_TITLES, dtype=object)[rng.integers(0, len(RESOURCE_TITLES), n)],
                          np.asarray(MODEL_ACTION_TITLES, dtype=object)[rng.integers(0, len(MODEL_ACTION_TITLES), n)])
        year = pd.DataFrame({
            "resource_type": kind, "title": titles,
            "academy": _choice(rng, params["academy_weights"], n),
            "domain": _choice(rng, domains, n),
            "date": _weekday(_days_after(_school_year_start(period), rng.integers(7, 300, n))),
        })
        year = year.sort_values(["date", "resource_type"], kind="stable").reset_index(drop=True)
        start = Period.parse(period).start
        year["resource_id"] = [f"EAC-{start}-{i + 1:03d}" for i in range(len(year))]
        year["url"] = ("https://eac-numerique.drane-nouvelle-aquitaine.example/"
                       + np.where(year["resource_type"] == "resource", "ressources/", "actions/")
                       + year["resource_id"].str.lower())
        year["period"] = period
        frames.append(year)
    return pd.concat(frames, ignore_index=True)


def _write_eac_resources(world: World, out: Path, params: dict[str, Any],
                         domains: dict[str, float]) -> list[Path]:
    frame = eac_resources(world, params, domains)
    paths = []
    for period, year in frame.groupby("period", sort=True):
        table = pd.DataFrame({
            "Identifiant": year["resource_id"],
            "Type": year["resource_type"].map({"resource": "ressource", "model_action": "action exemplaire"}),
            "Date": _french_dates(year["date"]),
            "Titre": year["title"],
            "Adresse (URL)": year["url"],
            "Académie": year["academy"].map(ACADEMY_LABELS),
            "Domaine artistique et culturel": year["domain"].map(DOMAIN_LABELS),
        })
        path = out / "eac" / f"ressources_eac_{period}.csv"
        write_plain_csv(table, path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- 3.1 partnership


def authorities(params: dict[str, Any]) -> pd.DataFrame:
    """The partner authorities (id, name, type label, department, since)."""
    frame = pd.DataFrame(params["authorities"])
    frame["department"] = frame["department"].fillna("").astype(str)
    return frame


def committees(world: World, params: dict[str, Any]) -> pd.DataFrame:
    """Committees held with each authority, every school year."""
    rng = world.rng("pilotage.comites")
    auth = authorities(params)
    ids = auth["id"].to_numpy(dtype=object)
    academy = auth["department"].map(lambda d: referential.academy_of_department(d) or AUTHORITY_ACADEMY_NONE)
    academy = academy.to_numpy(dtype=object)
    minimum = int(params["minimum_per_year"])
    frames = []
    for period in world.periods:
        n_auth = len(ids)
        short = np.zeros(n_auth, dtype=bool)
        short[rng.choice(n_auth, size=int(params["short_authorities"][period]), replace=False)] = True
        copil = np.where(short, rng.integers(0, minimum, n_auth),
                         minimum + (rng.random(n_auth) < params["third_committee"]))
        # Steering committees spread over the year: one in each equal window of it.
        who = np.repeat(np.arange(n_auth), copil)
        rank = np.concatenate([np.arange(k) for k in copil]) if copil.sum() else np.array([], dtype=int)
        width = 280 / np.maximum(copil[who], 1)
        offsets = 25 + rank * width + rng.random(len(who)) * (width - 10)
        steering = pd.DataFrame({"authority": who, "committee_type": "pilotage", "offset": offsets.astype(int)})
        n_tech = rng.poisson(params["technical_committees"], n_auth)
        who_t = np.repeat(np.arange(n_auth), n_tech)
        technical = pd.DataFrame({"authority": who_t, "committee_type": "technique",
                                  "offset": rng.integers(20, 300, len(who_t))})
        year = pd.concat([steering, technical], ignore_index=True)
        year["date"] = _weekday(_days_after(_school_year_start(period), year["offset"].to_numpy()))
        year["authority_id"] = ids[year["authority"].to_numpy()]
        year["academy"] = academy[year["authority"].to_numpy()]
        year = year.drop_duplicates(["authority_id", "date", "committee_type"])
        year = year.sort_values(["date", "authority_id", "committee_type"], kind="stable").reset_index(drop=True)
        people = _names(world, rng, 2 * len(year))
        first, second = people.iloc[: len(year)].reset_index(drop=True), people.iloc[len(year):].reset_index(drop=True)
        year["attendees"] = (first["civility"] + " " + first["last_name"] + ", "
                             + second["civility"] + " " + second["last_name"])
        year["minutes"] = ("Point d'étape de la feuille de route ; relevé de décisions diffusé par "
                           + first["civility"] + " " + first["last_name"] + ".")
        year["period"] = period
        frames.append(year)
    return pd.concat(frames, ignore_index=True)


def _write_partnership(world: World, out: Path, params: dict[str, Any]) -> list[Path]:
    auth = authorities(params)
    table = pd.DataFrame({
        "Code collectivité": auth["id"], "Nom": auth["name"], "Type": auth["type"],
        "Département": auth["department"], "Début du partenariat": _french_dates(pd.to_datetime(auth["since"])),
        "Fin du partenariat": "",
    })
    path = out / "partenariat" / "collectivites.csv"
    write_plain_csv(table, path)
    paths = [path]
    frame = committees(world, params)
    for period, year in frame.groupby("period", sort=True):
        table = pd.DataFrame({
            "Date": _french_dates(year["date"]),
            "Code collectivité": year["authority_id"],
            "Type de comité": year["committee_type"].map(COMMITTEE_LABELS),
            "Académie": year["academy"].map(lambda a: ACADEMY_LABELS.get(a, "")),
            "Participants": year["attendees"],
            "Compte rendu": year["minutes"],
        })
        path = out / "partenariat" / f"comites_{period}.csv"
        write_plain_csv(table, path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- 3.2 relays


def _relay_units(world: World, params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Establishments of the coverage universe and the units covered together.

    Écoles are grouped in circonscriptions of neighbouring écoles of one territory type
    (one ERUN each); every secondary establishment is a unit of its own (its referent).
    """
    est = world.establishments
    est = est[est["kind"].isin(SCHOOL_KINDS) & est["under_contract"]].copy()
    est = est.sort_values(["department", "territory", "commune_code", "uai"], kind="stable")
    is_school = (est["kind"] == "ecole").to_numpy()
    schools = est[is_school]
    rank = schools.groupby(["department", "territory"]).cumcount().to_numpy()
    chunk = schools["department"] + "-" + schools["territory"] + "-" \
        + pd.Series(rank // int(params["schools_per_erun"]), index=schools.index).astype(str)
    est["unit"] = est["uai"]
    est.loc[is_school, "unit"] = chunk
    units = est.groupby("unit", sort=True).agg(department=("department", "first"),
                                               territory=("territory", "first"),
                                               kind=("kind", "first")).reset_index()
    return est.reset_index(drop=True), units


def relay_coverage(world: World, params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which units are covered in which school year: (establishments, units with ``first``).

    ``first`` is the index in ``world.periods`` of the first school year a unit is covered
    (-1: never). Coverage grows, so a covered unit stays covered.
    """
    rng = world.rng("pilotage.relais.coverage")
    est, units = _relay_units(world, params)
    rural = (units["kind"] == "ecole") & (units["territory"] == "rural")
    behind = units["department"].map(params["behind_departments"]).fillna(1.0).to_numpy(float)
    x = np.log(_rural_odds(world, params["rural_school_odds"])) * rural.to_numpy() + np.log(behind)
    # Stratified draws (department × école territory or secondary): within each stratum the
    # share covered follows the odds model closely, whatever the stratum's size.
    stratum = units["department"] + "-" + units["territory"].where(units["kind"] == "ecole", "secondary")
    rank = pd.Series(rng.random(len(units))).groupby(stratum.to_numpy()).rank(method="first").to_numpy() - 1
    size = stratum.map(stratum.value_counts()).to_numpy(float)
    latent = (rank + rng.random(len(units))) / size
    first = np.full(len(units), -1)
    unit_index = units.reset_index().set_index("unit")["index"]
    for t, period in enumerate(world.periods):
        day = pd.Timestamp(f"{Period.parse(period).end}-01-15")
        open_units = est.loc[est["opening_date"] <= day, "unit"].map(unit_index)
        weights = np.bincount(open_units.to_numpy(), minlength=len(units)).astype(float)
        a = _calibrate(x, weights, float(params["coverage"][period]), latent=latent)
        covered = (latent < _sigmoid(a + x)) & (weights > 0)
        first = np.where((first < 0) & covered, t, first)
    units["first"] = first
    return est, units


def relays(world: World, params: dict[str, Any]) -> pd.DataFrame:
    """One row per relay and establishment covered (tidy values, dates as Timestamps)."""
    est, units = relay_coverage(world, params)
    rng = world.rng("pilotage.relais")
    periods = world.periods
    n_units, n_periods = len(units), len(periods)
    first = units["first"].to_numpy()
    covered = first >= 0

    # Main relays (ERUN per circonscription, referent per secondary establishment), with
    # a yearly turnover: a new person takes over at the back-to-school.
    later = np.arange(n_periods)[None, :] > first[:, None]
    change = (rng.random((n_units, n_periods)) < params["turnover"]) & later & covered[:, None]
    stint_unit = np.concatenate([np.nonzero(covered)[0], np.nonzero(change)[0]])
    stint_period = np.concatenate([first[covered], np.nonzero(change)[1]])
    order = np.lexsort((stint_period, stint_unit))
    stint_unit, stint_period = stint_unit[order], stint_period[order]
    n = len(stint_unit)
    year = np.array([Period.parse(p).start for p in periods])[stint_period]
    is_first = np.r_[True, stint_unit[1:] != stint_unit[:-1]]
    # A unit's first relay starts in the autumn of its first covered year (long before for
    # units covered from the start); a successor takes over in September.
    delay = np.where(is_first, rng.integers(0, 100, n), rng.integers(0, 40, n))
    start = pd.Series(pd.to_datetime(pd.Series(year).astype(str) + "-09-01")
                      + pd.to_timedelta(delay, unit="D"))
    long_ago = pd.Series(pd.Timestamp("2014-09-01") + pd.to_timedelta(rng.integers(0, 6 * 365 + 80, n), unit="D"))
    start = start.where(~(is_first & (stint_period == 0)), long_ago)
    # A relay who is replaced leaves in July or August, before the successor's start.
    has_next = np.r_[stint_unit[1:] == stint_unit[:-1], False]
    next_year = np.r_[year[1:], year[-1:]] if n else year
    end = pd.Series(pd.to_datetime(pd.Series(next_year).astype(str) + "-07-01")
                    + pd.to_timedelta(rng.integers(0, 62, n), unit="D"))
    end = end.where(has_next)
    stints = pd.DataFrame({"unit": units["unit"].to_numpy()[stint_unit], "start_date": start.to_numpy(),
                           "end_date": end.to_numpy(),
                           "function": np.where(units["kind"].to_numpy()[stint_unit] == "ecole", "erun",
                                                "referent_etablissement")})
    stints["stint"] = np.arange(len(stints))
    main = est[["unit", "uai", "department", "opening_date"]].merge(stints, on="unit")
    main["start_date"] = main[["start_date", "opening_date"]].max(axis=1)
    main = main[main["end_date"].isna() | (main["end_date"] >= main["start_date"])]

    # New relays from the year set in params, covering establishments already covered.
    extra = _new_relays(rng, est, units, periods, params)
    rows = pd.concat([main[["stint", "function", "uai", "start_date", "end_date"]], extra], ignore_index=True)

    # Relay ids and people, in a stable order.
    rows = rows.sort_values(["stint", "uai"], kind="stable").reset_index(drop=True)
    codes, _ = pd.factorize(rows["stint"], sort=True)
    rows["relay_id"] = pd.Series(codes + 1).map(lambda i: f"RN{i:05d}")
    people = _names(world, rng, int(codes.max()) + 1)
    rows["first_name"] = people["first_name"].to_numpy()[codes]
    rows["last_name"] = people["last_name"].to_numpy()[codes]
    dept = rows["uai"].map(referential.department_of_uai)
    rows["academy"] = dept.map(referential.academy_of_department)
    return rows.drop(columns=["stint"])


def _new_relays(rng: np.random.Generator, est: pd.DataFrame, units: pd.DataFrame, periods: list[str],
                params: dict[str, Any]) -> pd.DataFrame:
    """Referent heads, referent inspectors and Canopé mediators (from ``new_relays_from``)."""
    first_of_unit = units.set_index("unit")["first"]
    est = est.assign(first=est["unit"].map(first_of_unit).to_numpy())
    t0 = periods.index(params["new_relays_from"])
    plans = (("chef_etablissement_referent", params["referent_heads_per_department"],
              params["establishments_per_referent_head"], ("college", "lycee", "erea")),
             ("inspecteur_referent", params["referent_inspectors_per_department"],
              params["schools_per_inspector"], ("ecole",)),
             ("mediateur_canope", params["canope_mediators_per_department"],
              params["establishments_per_mediator"], SCHOOL_KINDS))
    rows = []
    serial = 1_000_000  # after every main relay
    for dept in sorted(est["department"].unique()):
        in_dept = est[est["department"] == dept]
        for function, count, size, kinds in plans:
            for _ in range(int(count)):
                t = int(rng.integers(t0, len(periods)))
                pool = in_dept[in_dept["kind"].isin(kinds) & (in_dept["first"] >= 0) & (in_dept["first"] <= t)]
                take = min(int(size), len(pool))
                if take == 0:
                    continue
                chosen = pool["uai"].to_numpy(dtype=object)[rng.choice(len(pool), size=take, replace=False)]
                start = _school_year_start(periods[t]) + pd.Timedelta(days=int(rng.integers(0, 90)))
                rows.append(pd.DataFrame({"stint": serial, "function": function, "uai": chosen,
                                          "start_date": start, "end_date": pd.NaT}))
                serial += 1
    return pd.concat(rows, ignore_index=True)


def _write_relays(world: World, out: Path, params: dict[str, Any]) -> list[Path]:
    frame = relays(world, params).sort_values(["relay_id", "uai"], kind="stable")
    mail_user = (frame["first_name"] + "." + frame["last_name"]).str.lower() \
        .str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii") \
        .str.replace(r"[^a-z.]", "", regex=True)
    table = pd.DataFrame({
        "Identifiant relais": frame["relay_id"],
        "Nom": frame["last_name"],
        "Prénom": frame["first_name"],
        "Courriel": mail_user + "@ac-" + frame["academy"] + ".fr",
        "Fonction": frame["function"].map(FUNCTION_LABELS),
        "UAI couvert": frame["uai"],
        "Date de début": _french_dates(frame["start_date"]),
        "Date de fin": _french_dates(frame["end_date"]),
    })
    path = out / "relais" / "relais_numeriques.csv"
    write_plain_csv(table, path)
    return [path]


# --------------------------------------------------------------------------- entry point


def write(world: World, out: Path) -> list[Path]:
    """Write every steering source of the demo data into ``out``."""
    params = load_demo_params("pilotage")
    paths = _write_orientation(world, out, params["orientation"])
    paths += _write_eac_projects(world, out, params["eac"])
    paths += _write_eac_resources(world, out, params["eac_resources"], params["eac"]["domains"])
    paths += _write_partnership(world, out, params["partnership"])
    paths += _write_relays(world, out, params["relays"])
    return paths
