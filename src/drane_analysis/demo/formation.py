"""Demo files of the "formation" family: GAIA training sessions, SchémaTic, leaders.

- ``formations/<academy>/gaia_sessions_<period>.csv``: one row per training session;
- ``schematic/<academy>/schematic_<period>.csv``: one row per establishment and assessment;
- ``cadres/<academy>/cadres_<period>.csv``: one row per leader and school year.

Sizes and effects come from ``params/demo/formation.yaml`` and are listed in
``docs/sources/formation.md`` ("Demo data"). Randomness: ``world.rng("formation…")`` only.
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

DOMAIN_INCLUSIVE = "Numérique et école inclusive"
DOMAIN_VR_AR = "Réalité virtuelle / augmentée et jumeaux numériques"
DOMAIN_EAC = "Numérique et EAC"

MODULE_TITLES = {
    "Numérique": (
        "Enseigner avec le numérique en classe", "Classe virtuelle : animer à distance",
        "Créer des capsules vidéo pour la classe", "Utiliser l'ENT au quotidien",
        "Intelligence artificielle : comprendre et enseigner", "Programmation et robotique au cycle 3",
        "Le numérique en mathématiques", "Tablettes en classe : premiers usages",
        "Évaluer avec des outils numériques", "Collaborer avec les outils de l'ENT",
    ),
    "Pix / Pix+ Édu": (
        "Se préparer à la certification Pix", "Pix+ Édu : parcours d'autoformation accompagné",
        "Accompagner les élèves avec Pix Orga", "Pix+ Édu : développer ses compétences numériques",
    ),
    "Éducation aux médias et à l'information": (
        "Éduquer aux médias et à l'information", "Lutter contre les fausses informations",
        "Identité numérique et réseaux sociaux", "Webradio et journal scolaire numérique",
    ),
    DOMAIN_INCLUSIVE: (
        "Outils numériques pour les élèves à besoins éducatifs particuliers",
        "Adapter ses supports avec le numérique (troubles dys)",
        "Robots de téléprésence : accueillir un élève empêché",
        "Accessibilité des ressources numériques",
    ),
    DOMAIN_VR_AR: (
        "Réalité virtuelle en voie professionnelle", "Jumeaux numériques et plateaux techniques",
        "Réalité augmentée : créer des ressources pour l'atelier",
    ),
    DOMAIN_EAC: (
        "Pratiques artistiques numériques", "Cinéma d'animation et numérique",
        "Musique assistée par ordinateur en classe", "Patrimoine et visites virtuelles",
        "Photographie numérique et projet artistique",
    ),
}
SCHEMATIC_DATE_START = (10, 1)   # assessments from 1 October...
SCHEMATIC_DATE_DAYS = 240        # ...over about eight months


def write(world: World, out: Path) -> list[Path]:
    """Write the three sources of the family; return the files written."""
    params = load_demo_params("formation")
    return [
        *_write_formations(world, params["formations"], out),
        *_write_schematic(world, params["schematic"], out),
        *_write_cadres(world, params["cadres"], out),
    ]


# --------------------------------------------------------------------------- shared


def _interpolate(spec: dict[str, float], t: int, n: int) -> float:
    """Value of year ``t`` (0-based) of ``n``, linear from ``first`` to ``last``."""
    return spec["first"] + (spec["last"] - spec["first"]) * t / max(n - 1, 1)


def _teachers(world: World, period: str) -> pd.DataFrame:
    """uai, department, academy, territory, teachers (pupils × staff ratio) in a period."""
    ratio = world.params["teachers_per_pupil"]
    pupils = world.enrolment[world.enrolment["period"] == period]
    pupils = pupils.assign(pupils=pupils["girls"] + pupils["boys"]).groupby("uai")["pupils"].sum()
    est = world.establishments.set_index("uai")
    est = est.loc[pupils.index, ["department", "academy", "territory", "kind"]]
    est["teachers"] = pupils * est["kind"].map(ratio)
    return est.reset_index()


def _department_weights(world: World, period: str, slope: float) -> pd.Series:
    """Expected share of trainee-days of each department: teachers, less the rural lag."""
    teachers = _teachers(world, period)
    rural = teachers["teachers"].where(teachers["territory"] == "rural", 0.0)
    by_dept = pd.DataFrame({"teachers": teachers.groupby("department")["teachers"].sum(),
                            "rural": rural.groupby(teachers["department"]).sum()})
    share = by_dept["rural"] / by_dept["teachers"]
    regional = by_dept["rural"].sum() / by_dept["teachers"].sum()
    lag = slope * world.params["effects"]["rural_lag"]
    weight = by_dept["teachers"] * (1 - lag * (share - regional)).clip(lower=0.1)
    weight = weight.reindex(list(referential.DEPARTMENTS))
    return weight / weight.sum()


def _dates_in_year(rng: np.random.Generator, period: str, n: int, month_day: tuple[int, int],
                   days: int) -> pd.Series:
    start = pd.Timestamp(Period.parse(period).start, month_day[0], month_day[1])
    return pd.Series(start + pd.to_timedelta(rng.integers(0, days, n), unit="D"))


def _names(world: World, rng: np.random.Generator, n: int, upper_last: bool = True) -> pd.DataFrame:
    people = world.fake_people(rng, n)
    if upper_last:
        people["last_name"] = people["last_name"].str.upper()
    return people


def _write_by_academy(frame: pd.DataFrame, out: Path, folder: str, stem: str,
                      period: str) -> list[Path]:
    paths = []
    for slug in ACADEMY_LABELS:
        part = frame[frame["_academy"] == slug].drop(columns=["_academy"])
        if part.empty:
            continue
        path = out / folder / slug / f"{stem}_{period}.csv"
        write_plain_csv(part, path)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- formations


def _sessions_to_target(rng: np.random.Generator, target: float, trainees: dict[str, float],
                        durations: dict[str, list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Sessions (trainees, duration) whose trainee-days add up closest to ``target``."""
    if target <= 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    mean_days = (trainees["min"] + trainees["mean"]) * float(np.dot(durations["days"], durations["p"]))
    pool = int(2 * target / mean_days) + 5
    n_trainees = trainees["min"] + rng.poisson(trainees["mean"], pool)
    days = rng.choice(np.asarray(durations["days"], dtype=float), size=pool, p=durations["p"])
    total = np.cumsum(n_trainees * days)
    k = int(np.argmin(np.abs(total - target))) + 1
    return n_trainees[:k], days[:k]


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    labels = list(mix)
    p = np.asarray([mix[k] for k in labels], dtype=float)
    return rng.choice(np.asarray(labels, dtype=object), size=n, p=p / p.sum())


def _boosted(weights: pd.Series, boost: dict[str, float]) -> pd.Series:
    academy = weights.index.map(referential.academy_of_department)
    w = weights * np.asarray([boost.get(a, 1.0) for a in academy])
    return w / w.sum()


def _special_sessions(rng: np.random.Generator, p: dict[str, Any], weights: pd.Series, t: int,
                      n: int) -> pd.DataFrame:
    """Inclusive and VR/AR sessions (to their targets) and the EAC modules of one year."""
    frames = []
    for domain, key, tr, du in (
        (DOMAIN_INCLUSIVE, "inclusive", p["trainees"], p["durations"]),
        (DOMAIN_VR_AR, "vr_ar", p["vr_ar_trainees"], p["vr_ar_durations"]),
    ):
        trainees, days = _sessions_to_target(rng, _interpolate(p[f"{key}_trainee_days"], t, n), tr, du)
        w = _boosted(weights, p["pole_boost"][key])
        public = np.full(len(days), "2nd degré", dtype=object) if key == "vr_ar" \
            else _pick(rng, p["public"], len(days))
        frames.append(pd.DataFrame({
            "domain": domain, "public": public, "trainees": trainees, "duration": days,
            "department": rng.choice(w.index.to_numpy(), size=len(days), p=w.to_numpy()),
            "eac_module": -1}))
    n_eac = int(p["eac_actions"][t])
    sessions_per_module = 1 + (rng.random(n_eac) < 0.4)
    module = np.repeat(np.arange(n_eac), sessions_per_module)
    w = _boosted(weights, p["pole_boost"]["eac"])
    module_dept = rng.choice(w.index.to_numpy(), size=n_eac, p=w.to_numpy())
    frames.append(pd.DataFrame({
        "domain": DOMAIN_EAC, "public": _pick(rng, p["public"], n_eac)[module],
        "trainees": p["trainees"]["min"] + rng.poisson(p["trainees"]["mean"], len(module)),
        "duration": rng.choice([1.0, 2.0], size=len(module)),
        "department": module_dept[module], "eac_module": module}))
    return pd.concat(frames, ignore_index=True)


def _general_sessions(rng: np.random.Generator, p: dict[str, Any], weights: pd.Series, total: float,
                      special: pd.DataFrame) -> pd.DataFrame:
    """Sessions of the general domains, per department, up to the department's share."""
    done = (special["trainees"] * special["duration"]).groupby(special["department"]).sum()
    frames = []
    for dept, w in weights.items():
        trainees, days = _sessions_to_target(rng, total * w - done.get(dept, 0.0), p["trainees"],
                                             p["durations"])
        frames.append(pd.DataFrame({
            "domain": _pick(rng, p["general_domains"], len(days)),
            "public": _pick(rng, p["public"], len(days)), "trainees": trainees, "duration": days,
            "department": dept, "eac_module": -1}))
    return pd.concat(frames, ignore_index=True)


def _group_modules(rng: np.random.Generator, p: dict[str, Any], sessions: pd.DataFrame) -> pd.DataFrame:
    """Group sessions into modules (same academy, domain, public); EAC modules are given.

    Sessions are numbered later, in the order of their start dates."""
    s = sessions.assign(academy=sessions["department"].map(referential.academy_of_department))
    s = s.sort_values(["academy", "domain", "public", "eac_module", "department"], kind="stable") \
         .reset_index(drop=True)
    keys = s[["academy", "domain", "public"]]
    first_of_group = keys.ne(keys.shift()).any(axis=1)
    is_eac = s["eac_module"] >= 0
    new_eac = is_eac & s["eac_module"].ne(s["eac_module"].shift())
    new = np.where(is_eac, new_eac, first_of_group | (rng.random(len(s)) < p["new_module"]))
    s["module"] = np.cumsum(new) - 1
    s["dispositif"] = np.cumsum(first_of_group) - 1
    return s


def _module_attributes(world: World, rng: np.random.Generator, p: dict[str, Any], s: pd.DataFrame,
                       period: str, t: int, n: int) -> pd.DataFrame:
    """One row per module: id, title, modality, operator, trainer."""
    m = s.groupby("module")[["academy", "domain", "public"]].first()
    k = len(m)
    m["modality"] = _modalities(rng, p, s, t, n)
    ops = p["operators"]
    operator = np.where(m["public"] == "1er degré", _pick(rng, ops["first_degree"], k),
                        _pick(rng, ops["other"], k))
    operator = np.where(m["domain"] == DOMAIN_EAC, _pick(rng, ops["eac"], k), operator)
    if Period.parse(period) >= Period.parse(p["eafc_from"]):
        operator = np.where(operator == "DAFPEN", "EAFC", operator)
    m["operator"] = operator
    m["title"] = [titles[i % len(titles)] for titles, i in
                  zip(m["domain"].map(MODULE_TITLES), rng.integers(0, 1000, k), strict=True)]
    people = _names(world, rng, k)
    m["trainer"] = (people["first_name"] + " " + people["last_name"]).to_numpy()
    m["module_id"] = (rng.choice(90_000, size=k, replace=False) + 10_000).astype(str)
    return m


def _modalities(rng: np.random.Generator, p: dict[str, Any], s: pd.DataFrame, t: int,
                n: int) -> np.ndarray:
    """Modality of each module: modules in random order are e-training until their
    trainee-days reach the year's e-training share."""
    days = (s["trainees"] * s["duration"]).groupby(s["module"]).sum().to_numpy()
    order = rng.permutation(len(days))
    before = np.cumsum(days[order]) - days[order]
    e_training = np.zeros(len(days), dtype=bool)
    e_training[order] = before + days[order] / 2 < _interpolate(p["e_training_share"], t, n) * days.sum()
    remote = rng.random(len(days)) < p["remote_share_of_e_training"]
    return np.where(e_training, np.where(remote, "Distanciel", "Hybride"), "Présentiel")


def _session_dates(rng: np.random.Generator, period: str, duration: np.ndarray,
                   e_training: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """Start on a weekday between mid-September and June; e-training spreads over weeks."""
    n = len(duration)
    day = _dates_in_year(rng, period, n, (9, 15), 278)
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    span = np.ceil(duration).astype(int)
    start = monday + pd.to_timedelta(rng.integers(0, 6 - span), unit="D")
    weeks = np.where(e_training, rng.integers(0, 6, n), 0)
    end = start + pd.to_timedelta(span - 1 + 7 * weeks, unit="D")
    return start, end


def _formations_year(world: World, rng: np.random.Generator, p: dict[str, Any], period: str,
                     t: int, n: int) -> pd.DataFrame:
    weights = _department_weights(world, period, p["rural_slope"])
    special = _special_sessions(rng, p, weights, t, n)
    total = _interpolate(p["trainee_days"], t, n)
    sessions = pd.concat([special, _general_sessions(rng, p, weights, total, special)],
                         ignore_index=True)
    s = _group_modules(rng, p, sessions)
    m = _module_attributes(world, rng, p, s, period, t, n)
    s = s.join(m[["modality", "operator", "title", "trainer", "module_id"]], on="module")
    e_training = s["modality"].ne("Présentiel").to_numpy()
    start, end = _session_dates(rng, period, s["duration"].to_numpy(), e_training)
    s["session"] = s.assign(_start=start).sort_values(["module", "_start"], kind="stable") \
        .groupby("module").cumcount() + 1
    dept = s["department"].map(lambda d: f"0{d}").where(
        ~(e_training & (rng.random(len(s)) < p["remote_without_department"])), "")
    code = s["academy"].map(lambda a: referential.ACADEMIES[a].code.zfill(3))
    yy = f"{Period.parse(period).start % 100:02d}"
    return pd.DataFrame({
        "_academy": s["academy"],
        "Académie": s["academy"].map(ACADEMY_LABELS),
        "Année scolaire": period,
        "Identifiant dispositif": yy + "A" + code + (s["dispositif"] + 1).map("{:04d}".format),
        "Identifiant module": s["module_id"],
        "Libellé module": s["title"],
        "Identifiant session": s["session"].astype(str),
        "Thématique": s["domain"],
        "Modalité": s["modality"],
        "Public": s["public"],
        "Département": dept,
        "Date de début": start.dt.strftime("%d/%m/%Y"),
        "Date de fin": end.dt.strftime("%d/%m/%Y"),
        "Nombre de stagiaires": s["trainees"].astype(int),
        "Durée (jours)": s["duration"].astype(float),
        "Journées stagiaires": (s["trainees"] * s["duration"]).astype(float),
        "Formateur": s["trainer"],
        "Opérateur": s["operator"],
    }).sort_values(["_academy", "Identifiant dispositif", "Identifiant module", "Identifiant session"],
                   kind="stable")


def _write_formations(world: World, p: dict[str, Any], out: Path) -> list[Path]:
    rng = world.rng("formation.formations")
    paths = []
    n = len(world.periods)
    for t, period in enumerate(world.periods):
        frame = _formations_year(world, rng, p, period, t, n)
        paths += _write_by_academy(frame, out, "formations", "gaia_sessions", period)
    return paths


# --------------------------------------------------------------------------- schematic


def _schematic_universe(world: World) -> pd.DataFrame:
    """Secondary establishments (under contract, any opening date), sorted by UAI."""
    return world.secondary[["uai", "name", "academy", "territory", "opening_date"]] \
        .sort_values("uai").reset_index(drop=True)


def _write_schematic(world: World, p: dict[str, Any], out: Path) -> list[Path]:
    rng = world.rng("formation.schematic")
    est = _schematic_universe(world)
    k = len(est)
    domains = list(p["domains"])
    rural = (est["territory"] == "rural").to_numpy() * world.params["effects"]["rural_lag"]
    # Adoption order within each academy: the first ``share`` of it use SchémaTic that year.
    adoption = pd.Series(rng.random(k)).groupby(est["academy"]).rank(pct=True).to_numpy()
    base = (np.asarray([p["domains"][d] for d in domains])[None, :]
            + rng.normal(0, p["establishment_sd"], (k, 1))
            + rng.normal(0, p["establishment_sd"] / 2, (k, len(domains)))
            + (p["rural_level"] * rural)[:, None])
    growth = p["yearly_growth"] + p["rural_growth"] * rural
    paths = []
    n = len(world.periods)
    for t, period in enumerate(world.periods):
        shares = {a: _interpolate(spec, t, n) for a, spec in p["usage"].items()}
        share = est["academy"].map(shares).to_numpy()
        opened = (est["opening_date"] <= pd.Timestamp(Period.parse(period).end, 1, 15)).to_numpy()
        users = opened & (adoption <= share / (1 - p["skip_year"])) & (rng.random(k) >= p["skip_year"])
        frame = _schematic_year(world, rng, p, est[users], base[users] + (growth[users] * t)[:, None],
                                domains, period)
        paths += _write_by_academy(frame, out, "schematic", "schematic", period)
    return paths


def _schematic_year(world: World, rng: np.random.Generator, p: dict[str, Any], est: pd.DataFrame,
                    latent: np.ndarray, domains: list[str], period: str) -> pd.DataFrame:
    """Rows of one school year: one per assessment, a second one for a few establishments."""
    k = len(est)
    second = rng.random(k) < p["second_assessment"]
    rows = np.concatenate([np.arange(k), np.flatnonzero(second)])
    first_date = _dates_in_year(rng, period, k, SCHEMATIC_DATE_START, SCHEMATIC_DATE_DAYS)
    later = first_date.iloc[np.flatnonzero(second)] + pd.to_timedelta(
        rng.integers(30, 61, int(second.sum())), unit="D")
    dates = pd.concat([first_date, later], ignore_index=True)
    levels = np.clip(np.rint(latent[rows] + rng.normal(0, p["assessment_sd"], (len(rows), len(domains)))),
                     1, 4)
    blank = rng.random(levels.shape) < p["blank_domain"]
    blank[blank.all(axis=1), 0] = False
    level_frame = pd.DataFrame(levels, columns=domains).astype("Int64").mask(blank)
    people = _names(world, rng, k).iloc[rows].reset_index(drop=True)
    e = est.iloc[rows].reset_index(drop=True)
    frame = pd.concat([pd.DataFrame({
        "_academy": e["academy"],
        "UAI": e["uai"],
        "Établissement": e["name"],
        "Année scolaire": period,
        "Date de l'auto-évaluation": dates.dt.strftime("%d/%m/%Y"),
        "_date": dates,
    }), level_frame], axis=1)
    frame["Renseigné par"] = people["first_name"] + " " + people["last_name"]
    return frame.sort_values(["UAI", "_date"], kind="stable").drop(columns=["_date"])


# --------------------------------------------------------------------------- cadres


def _positions(world: World, p: dict[str, Any]) -> pd.DataFrame:
    """Every leader position: academy, department, function label, uai, opening date."""
    sec = world.secondary.sort_values("uai")
    pupils = world.enrolment.assign(pupils=world.enrolment["girls"] + world.enrolment["boys"]) \
        .groupby(["uai", "period"])["pupils"].sum().groupby("uai").mean()
    size = sec["uai"].map(pupils).fillna(0).to_numpy()
    kind = sec["kind"].to_numpy()
    head = np.select([kind == "college", kind == "lycee"], ["Principal", "Proviseur"], "Directeur d'EREA")
    deputy = np.where(kind == "college", "Principal adjoint", "Proviseur adjoint")
    n_deputies = np.select(
        [kind == "college", kind == "lycee"],
        [(size >= p["deputy_college_pupils"]).astype(int),
         (size >= p["deputy_lycee_pupils"][0]).astype(int) + (size >= p["deputy_lycee_pupils"][1])],
        0)
    est = pd.DataFrame({"academy": sec["academy"].to_numpy(), "department": sec["department"].to_numpy(),
                        "uai": sec["uai"].to_numpy(), "opening": sec["opening_date"].to_numpy()})
    heads = est.assign(function=head)
    deputies = est.loc[np.repeat(np.arange(len(est)), n_deputies)].assign(
        function=np.repeat(deputy, n_deputies))
    schools = world.establishments[world.establishments["kind"] == "ecole"].groupby("department").size()
    ien = [(referential.academy_of_department(d), d, "IEN")
           for d in referential.DEPARTMENTS for _ in range(max(1, round(schools.get(d, 0) / p["schools_per_ien"])))]
    academic = [(a, "", label) for label, key in (("IEN ET-EG", "ien_et_eg"), ("IA-IPR", "ia_ipr"))
                for a, count in p[key].items() for _ in range(count)]
    inspectors = pd.DataFrame(ien + academic, columns=["academy", "department", "function"]).assign(
        uai="", opening=pd.Timestamp("1965-09-01"))
    return pd.concat([heads, deputies, inspectors], ignore_index=True)


def _write_cadres(world: World, p: dict[str, Any], out: Path) -> list[Path]:
    rng = world.rng("formation.cadres")
    pos = _positions(world, p)
    n_pos, n = len(pos), len(world.periods)
    capacity = int(n_pos * (1 + p["turnover"] * n * 2)) + 10
    people = _names(world, rng, capacity)
    ids = rng.choice(9_000_000, size=capacity, replace=False) + 1_000_000
    trained = np.zeros(capacity, dtype=bool)
    holder = np.full(n_pos, -1)
    next_person = 0
    paths = []
    for t, period in enumerate(world.periods):
        active = (pos["opening"] <= pd.Timestamp(Period.parse(period).end, 1, 15)).to_numpy()
        change = active & ((holder < 0) | (rng.random(n_pos) < p["turnover"]))
        count = int(change.sum())
        holder[change] = np.arange(next_person, next_person + count)
        next_person += count
        newly = _train(rng, p, pos, holder, active, trained, t, n)
        trained[holder[newly]] = True
        frame = _cadres_year(rng, pos[active], holder[active], newly[active], trained, ids, people, period)
        paths += _write_by_academy(frame, out, "cadres", "cadres", period)
    return paths


def _train(rng: np.random.Generator, p: dict[str, Any], pos: pd.DataFrame, holder: np.ndarray,
           active: np.ndarray, trained: np.ndarray, t: int, n: int) -> np.ndarray:
    """Positions whose holder is trained this year, so that each academy meets its share."""
    newly = np.zeros(len(pos), dtype=bool)
    for academy, spec in p["trained"].items():
        here = active & (pos["academy"] == academy).to_numpy()
        target = round(_interpolate(spec, t, n) * here.sum())
        already = int(trained[holder[here]].sum())
        candidates = np.flatnonzero(here & ~trained[np.maximum(holder, 0)])
        need = min(max(target - already, 0), len(candidates))
        newly[rng.permutation(candidates)[:need]] = True
    return newly


def _cadres_year(rng: np.random.Generator, pos: pd.DataFrame, holder: np.ndarray, newly: np.ndarray,
                 trained: np.ndarray, ids: np.ndarray, people: pd.DataFrame, period: str) -> pd.DataFrame:
    k = len(pos)
    dates = _dates_in_year(rng, period, k, (9, 20), 260)
    names = people.iloc[holder].reset_index(drop=True)
    frame = pd.DataFrame({
        "_academy": pos["academy"].to_numpy(),
        "Académie": pos["academy"].map(ACADEMY_LABELS).to_numpy(),
        "Année scolaire": period,
        "Identifiant": [f"P{i:07d}" for i in ids[holder]],
        "Nom": names["last_name"],
        "Prénom": names["first_name"],
        "Fonction": pos["function"].to_numpy(),
        "UAI d'affectation": pos["uai"].to_numpy(),
        "Département": pos["department"].to_numpy(),
        "Formé": np.where(trained[holder], "Oui", "Non"),
        "Date de formation": np.where(newly, dates.dt.strftime("%d/%m/%Y"), ""),
    })
    return frame.sort_values(["_academy", "Identifiant"], kind="stable")
