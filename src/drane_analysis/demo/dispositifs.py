"""Demo files of the DRANE's schemes (our own contracts, ``docs/sources/dispositifs.md``).

- ``parentalite/structures_parentalite.csv`` — service establishments and France Services;
- ``robots/inventaire_robots.csv`` and ``robots/affectations_robots.csv`` — the
  telepresence robot fleet and its assignment log;
- ``inclusion/enseignants_formes.csv`` and ``inclusion/eleves_module_partage.csv`` — the
  Inria / CeRCA research strand;
- ``incubateurs/candidatures_<période>.csv`` and ``incubateurs/pratiques_samr_<période>.csv``
  — candidate training establishments and the SAMR practices their teachers report;
- ``voie_pro/agents_conversationnels_<période>.csv`` — conversational agents in lycées with
  a vocational track.

Sizes and effects: ``params/demo/dispositifs.yaml``. Each source draws from its own
generator (``world.rng("dispositifs.<source>")``), so changing one leaves the others' bytes.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..periods import Period
from .formats import write_plain_csv
from .world import World, load_demo_params

DATE_FORMAT = "%d/%m/%Y"
DEPARTMENT_WEIGHTS_KEY = "department_weights"


def write(world: World, out: Path) -> list[Path]:
    """Write every file of the family into ``out`` and return their paths."""
    params = load_demo_params("dispositifs")
    rural = list(params["rural_departments"])
    written = _write_parentalite(world, params["parentalite"], out)
    written += _write_robots(world, params["robots"], rural, out)
    written += _write_inclusion(world, params["inclusion_research"], params["robots"]["export_date"], out)
    candidates = _incubator_candidates(world, params["incubateurs"])
    written += _write_incubators(world, candidates, params["incubateurs"], out)
    written += _write_samr(world, candidates, params["pratiques_samr"], out)
    written += _write_agents(world, params["agents_conversationnels"], rural, out)
    return written


# --------------------------------------------------------------------------- helpers


def _dates_in(rng: np.random.Generator, period: str, n: int, first: str = "09-01",
              last: str = "06-30", weekdays: bool = True) -> pd.Series:
    """``n`` random dates of a school year between ``first`` (autumn) and ``last`` (next year)."""
    p = Period.parse(period)
    lo = pd.Timestamp(f"{p.start}-{first}")
    hi = pd.Timestamp(f"{p.end}-{last}") if first >= last else pd.Timestamp(f"{p.start}-{last}")
    days = pd.Series(lo + pd.to_timedelta(rng.integers(0, (hi - lo).days + 1, n), unit="D"))
    if weekdays:  # a weekend day moves to the Friday before
        shift = np.clip(days.dt.day_of_week.to_numpy() - 4, 0, None)
        days = days - pd.to_timedelta(shift, unit="D")
    return days.dt.normalize()


def _fmt(dates: pd.Series) -> pd.Series:
    return pd.Series(dates).dt.strftime(DATE_FORMAT).fillna("")


def _split_counts(n: int, weights: pd.Series) -> pd.Series:
    """Split ``n`` over the index of ``weights`` exactly (largest remainders)."""
    raw = n * weights / weights.sum()
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base).to_numpy(), kind="stable")
    base.iloc[order[: n - int(base.sum())]] += 1
    return base


def _emails(people: pd.DataFrame, domain: str) -> pd.Series:
    text = (people["first_name"] + "." + people["last_name"]).str.lower().str.replace(" ", "-")
    ascii_text = text.map(lambda s: unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode())
    return ascii_text + "@" + domain


def _pick(rng: np.random.Generator, pool: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows of ``pool`` drawn with replacement (uniformly)."""
    return pool.iloc[rng.integers(0, len(pool), n)].reset_index(drop=True)


def _pupil_totals(world: World) -> pd.DataFrame:
    """uai, period, pupils (every level summed)."""
    e = world.enrolment
    out = e.groupby(["uai", "period"], as_index=False)[["girls", "boys"]].sum()
    out["pupils"] = out["girls"] + out["boys"]
    return out[["uai", "period", "pupils"]]


# --------------------------------------------------------------------------- 1.4 parentalite


def _write_parentalite(world: World, params: dict[str, Any], out: Path) -> list[Path]:
    rng = world.rng("dispositifs.parentalite")
    frame = pd.concat([_service_establishments(world, rng, params),
                       _france_services(world, rng, params)], ignore_index=True)
    people = world.fake_people(rng, len(frame))
    frame["Référent"] = people["first_name"] + " " + people["last_name"]
    frame["Courriel du référent"] = _emails(people, "exemple.fr")
    path = out / "parentalite" / "structures_parentalite.csv"
    write_plain_csv(frame, path)
    return [path]


def _service_establishments(world: World, rng: np.random.Generator,
                            params: dict[str, Any]) -> pd.DataFrame:
    counts = dict(zip(world.periods, params["service_establishments"], strict=True))
    ends = params["service_establishment_ends"]
    pool = world.secondary[world.secondary["kind"].isin(["college", "lycee"])]
    pool = pool.iloc[rng.permutation(len(pool))].reset_index(drop=True)
    starts: list[pd.Timestamp] = []
    stops: list[pd.Timestamp | None] = []
    for period in world.periods:
        p = Period.parse(period)
        active = sum(1 for s in stops if s is None)
        for _ in range(counts[period] - active):
            starts.append(_dates_in(rng, period, 1, "10-01", "12-15").iloc[0])
            stops.append(None)
        if period == ends["period"]:
            stops[0] = pd.Timestamp(f"{p.end}-07-04")
    n = len(starts)
    chosen = pool.iloc[:n]
    return pd.DataFrame({
        "Type de structure": "Établissement de service",
        "Identifiant": [f"ES-{i + 1:02d}" for i in range(n)],
        "Nom de la structure": chosen["name"].to_numpy(),
        "UAI": chosen["uai"].to_numpy(),
        "Code commune": chosen["commune_code"].to_numpy(),
        "Département": chosen["department"].to_numpy(),
        "Date de début": _fmt(pd.Series(starts)),
        "Date de fin": _fmt(pd.Series(stops, dtype="datetime64[ns]")),
    })


def _france_services(world: World, rng: np.random.Generator, params: dict[str, Any]) -> pd.DataFrame:
    communes = world.communes
    rural = communes[(communes["density"] >= 3) & (communes["population"] >= 900)]
    weights = world.params[DEPARTMENT_WEIGHTS_KEY]
    rows = []
    for academy, counts in params["france_services"].items():
        depts = pd.Series(weights[academy])
        previous = 0
        for period, count in zip(world.periods, counts, strict=True):
            new = count - previous
            previous = count
            if new <= 0:
                continue
            chosen_depts = rng.choice(depts.index.to_numpy(), size=new, p=(depts / depts.sum()).to_numpy())
            days = _dates_in(rng, period, new)
            for dept, day in zip(chosen_depts, days, strict=True):
                pool = rural[rural["department"] == dept]
                commune = pool.iloc[int(rng.integers(len(pool)))]
                rows.append((dept, commune["commune_code"], commune["commune_name"], day))
    frame = pd.DataFrame(rows, columns=["dept", "commune_code", "commune_name", "start"])
    frame = frame.sort_values(["dept", "start"], kind="stable").reset_index(drop=True)
    number = frame.groupby("dept").cumcount() + 1
    return pd.DataFrame({
        "Type de structure": "Maison France Services",
        "Identifiant": "MFS-" + frame["dept"] + "-" + number.map("{:02d}".format),
        "Nom de la structure": "France Services " + frame["commune_name"],
        "UAI": "",
        "Code commune": frame["commune_code"],
        "Département": frame["dept"],
        "Date de début": _fmt(frame["start"]),
        "Date de fin": "",
    })


# --------------------------------------------------------------------------- 2.1 robots


def _write_robots(world: World, params: dict[str, Any], rural: list[str], out: Path) -> list[Path]:
    rng = world.rng("dispositifs.robots")
    export = pd.Timestamp(params["export_date"])
    inventories, logs = [], []
    for degree in ("first", "second"):
        inventory = _robot_inventory(world, rng, params, degree)
        log, idle_last = _robot_assignments(world, rng, params, degree, inventory, rural, export)
        _set_statuses(rng, params, degree, inventory, idle_last)
        inventories.append(inventory)
        logs.append(log)
    inventory = pd.concat(inventories, ignore_index=True)
    log = pd.concat(logs, ignore_index=True).sort_values(["robot", "start"], kind="stable")
    n = len(log)
    pupil_ids = rng.choice(np.arange(100_000, 1_000_000), size=n, replace=False)
    reasons = params["reasons"]
    inv_path = out / "robots" / "inventaire_robots.csv"
    write_plain_csv(pd.DataFrame({
        "N° robot": inventory["robot_id"],
        "Degré": inventory["degree"].map({"first": "1er degré", "second": "2nd degré"}),
        "Modèle": inventory["model"],
        "Date d'achat": _fmt(inventory["purchase_date"]),
        "Département du parc": inventory["department"],
        "Statut": inventory["status"],
        "Date de réforme": _fmt(inventory["retirement_date"]),
    }), inv_path)
    log_path = out / "robots" / "affectations_robots.csv"
    write_plain_csv(pd.DataFrame({
        "N° robot": log["robot"].to_numpy(),
        "UAI": log["uai"].to_numpy(),
        "Date de début": _fmt(log["start"]).to_numpy(),
        "Date de fin": _fmt(log["end"]).to_numpy(),
        "Identifiant élève": [f"ELV-{i}" for i in pupil_ids],
        "Motif": rng.choice(list(reasons), size=n, p=np.array(list(reasons.values())) / sum(reasons.values())),
    }), log_path)
    return [inv_path, log_path]


def _robot_inventory(world: World, rng: np.random.Generator, params: dict[str, Any],
                     degree: str) -> pd.DataFrame:
    est = world.open_in(world.periods[0])
    schools = est[est["kind"] == "ecole"] if degree == "first" else world.secondary
    per_dept = _split_counts(params["fleet"][degree], schools.groupby("department").size())
    dept = np.repeat(per_dept.index.to_numpy(), per_dept.to_numpy())
    number = pd.Series(dept).groupby(dept).cumcount().to_numpy() + 1
    n = len(dept)
    before = rng.random(n) < params["bought_before_september_2020"]
    early = pd.Timestamp("2020-03-02") + pd.to_timedelta(rng.integers(0, 183, n), unit="D")
    late = pd.Timestamp("2020-09-01") + pd.to_timedelta(rng.integers(0, 137, n), unit="D")
    models = params["models"]
    prefix = "R1D" if degree == "first" else "R2D"
    return pd.DataFrame({
        "robot_id": [f"{prefix}-0{d}-{k:03d}" for d, k in zip(dept, number, strict=True)],
        "degree": degree,
        "department": dept,
        "model": rng.choice(list(models), size=n, p=np.array(list(models.values())) / sum(models.values())),
        "purchase_date": pd.Series(np.where(before, early, late)).dt.normalize(),
        "status": "En service",
        "retirement_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"),
    })


def _robot_assignments(world: World, rng: np.random.Generator, params: dict[str, Any], degree: str,
                       inventory: pd.DataFrame, rural: list[str],
                       export: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
    """Assignments of one degree's robots over every period; also the robots idle last year."""
    n = len(inventory)
    cov = params["coverage"]
    is_rural = inventory["department"].isin(rural).to_numpy()
    frames = []
    idle = np.zeros(0, dtype=int)
    for t, period in enumerate(world.periods):
        p = Period.parse(period)
        deployed = np.sort(rng.choice(n, size=params["deployed"][degree][t], replace=False))
        idle = np.setdiff1d(np.arange(n), deployed)
        first = np.maximum(np.datetime64(f"{p.start}-09-01"),
                           inventory["purchase_date"].to_numpy()[deployed].astype("datetime64[D]"))
        last = np.datetime64(f"{p.end}-06-30")
        if period == world.periods[-1]:
            last = min(last, export.to_datetime64().astype("datetime64[D]"))
        span = (last - first).astype(int) + 1
        coverage = np.clip(cov["base"] - cov["rural_penalty"] * is_rural[deployed]
                           + rng.normal(0, cov["sd"], len(deployed)), 0.25, 0.97)
        frame = _spread_assignments(rng, params, first.astype("datetime64[D]"), span, coverage)
        frame["robot"] = inventory["robot_id"].to_numpy()[deployed][frame["row"]]
        frame["department"] = inventory["department"].to_numpy()[deployed][frame["row"]]
        frame["period"] = period
        frames.append(frame)
    log = pd.concat(frames, ignore_index=True)
    log["uai"] = _assignment_uais(world, rng, degree, log["department"])
    # Still running at the export date: the robot's last assignment, if it ends near it.
    last_one = ~log.duplicated("robot", keep="last")
    running = last_one & (log["period"] == world.periods[-1]) & \
        (log["end"] >= export - pd.Timedelta(days=21))
    log["end"] = log["end"].mask(running)
    return log, idle


def _spread_assignments(rng: np.random.Generator, params: dict[str, Any], first: np.ndarray,
                        span: np.ndarray, coverage: np.ndarray) -> pd.DataFrame:
    """1 to 3 non-overlapping assignments per robot covering ``coverage`` of its span."""
    n = len(span)
    probs = np.asarray(params["assignments_per_year"], dtype=float)
    k = rng.choice(np.arange(1, len(probs) + 1), size=n, p=probs / probs.sum())
    slots = np.arange(len(probs))
    assigned = np.round(coverage * span).astype(int)
    weights = rng.gamma(3.0, size=(n, len(probs))) * (slots < k[:, None])
    durations = 1 + np.floor(weights / weights.sum(axis=1, keepdims=True) * (assigned - k)[:, None])
    durations = durations.astype(int) * (slots < k[:, None])
    gap_weights = rng.gamma(1.0, size=(n, len(probs) + 1)) * (np.arange(len(probs) + 1) <= k[:, None])
    free = span - durations.sum(axis=1)
    gaps = np.floor(gap_weights / gap_weights.sum(axis=1, keepdims=True) * free[:, None]).astype(int)
    # start_j = first + gaps_0..j + durations_0..j-1 ; end_j = start_j + duration_j - 1
    before = np.cumsum(gaps[:, :-1], axis=1) + np.cumsum(durations, axis=1) - durations
    starts = first[:, None] + before.astype("timedelta64[D]")
    ends = starts + (durations - 1).astype("timedelta64[D]")
    used = slots < k[:, None]
    rows = np.repeat(np.arange(n)[:, None], len(probs), axis=1)
    return pd.DataFrame({"row": rows[used], "start": pd.to_datetime(starts[used]),
                         "end": pd.to_datetime(ends[used])})


def _assignment_uais(world: World, rng: np.random.Generator, degree: str,
                     departments: pd.Series) -> np.ndarray:
    est = world.open_in(world.periods[0])
    pool = est[est["kind"] == "ecole"] if degree == "first" else world.secondary
    out = np.empty(len(departments), dtype=object)
    for dept in sorted(departments.unique()):
        where = (departments == dept).to_numpy()
        uais = pool.loc[pool["department"] == dept, "uai"].to_numpy()
        out[where] = uais[rng.integers(0, len(uais), int(where.sum()))]
    return out


def _set_statuses(rng: np.random.Generator, params: dict[str, Any], degree: str,
                  inventory: pd.DataFrame, idle_last: np.ndarray) -> None:
    if params["retired_in_last_period"] and len(idle_last):
        inventory.loc[idle_last, "status"] = "Réformé"
        inventory.loc[idle_last, "retirement_date"] = pd.Timestamp(params["retirement_date"])
    active = np.flatnonzero(inventory["status"].to_numpy() == "En service")
    repair = rng.choice(active, size=params["in_repair"][degree], replace=False)
    inventory.loc[repair, "status"] = "En réparation"


# --------------------------------------------------------------------------- 2.1 research


def _write_inclusion(world: World, params: dict[str, Any], export_date: str, out: Path) -> list[Path]:
    rng = world.rng("dispositifs.inclusion")
    export = pd.Timestamp(export_date)
    labs = params["laboratory_share"]
    lab_academy = {"inria": "bordeaux", "cerca": "poitiers"}
    lab_label = {"inria": "Inria", "cerca": "CeRCA"}
    est = world.open_in(world.periods[0])
    teachers, pupils = [], []
    for t, period in enumerate(world.periods):
        p = Period.parse(period)
        n_t = params["teachers_trained"][t] + params["teachers_not_completed"][t]
        lab = rng.choice(list(labs), size=n_t, p=np.array(list(labs.values())))
        first_degree = rng.random(n_t) < params["first_degree_share"]
        uai = _research_uais(rng, est, lab, first_degree, lab_academy)
        completed = np.zeros(n_t, dtype=bool)
        completed[rng.choice(n_t, size=params["teachers_trained"][t], replace=False)] = True
        teachers.append(pd.DataFrame({
            "N° inscription": [f"INS-{p.start}-{i + 1:03d}" for i in range(n_t)],
            "UAI d'exercice": uai,
            "Degré": np.where(first_degree, "1er degré", "2nd degré"),
            "Laboratoire": [lab_label[x] for x in lab],
            "Date de formation": _fmt(_dates_in(rng, period, n_t, "09-15", "05-31")),
            "Durée (h)": rng.choice([3.0, 4.5, 6.0, 9.0, 12.0], size=n_t),
            "Formation suivie": np.where(completed, "Oui", "Non"),
        }))
        n_p = params["pupils_entered"][t]
        lab = rng.choice(list(labs), size=n_p, p=np.array(list(labs.values())))
        entry = _dates_in(rng, period, n_p, "09-15", "05-15")
        years = np.where(rng.random(n_p) < params["pupils_exit_after_one_year"], 1, 2)
        exit_ = entry + pd.to_timedelta(years * 365 + rng.integers(-30, 30, n_p), unit="D")
        pupils.append(pd.DataFrame({
            "Laboratoire": [lab_label[x] for x in lab],
            "UAI": _research_uais(rng, est, lab, rng.random(n_p) < 0.6, lab_academy),
            "Date d'entrée": entry,
            "Date de sortie": exit_.where(exit_ <= export),
        }))
    teacher_frame = pd.concat(teachers, ignore_index=True)
    people = world.fake_people(rng, len(teacher_frame))
    teacher_frame.insert(1, "Nom", people["last_name"].to_numpy())
    teacher_frame.insert(2, "Prénom", people["first_name"].to_numpy())
    teacher_frame.insert(3, "Courriel", _emails(people, "ac-exemple.fr").to_numpy())
    pupil_frame = pd.concat(pupils, ignore_index=True)
    ids = rng.choice(np.arange(10_000, 100_000), size=len(pupil_frame), replace=False)
    pupil_frame.insert(0, "Identifiant élève", [f"INC-{i}" for i in ids])
    pupil_frame["Date d'entrée"] = _fmt(pupil_frame["Date d'entrée"])
    pupil_frame["Date de sortie"] = _fmt(pupil_frame["Date de sortie"])
    t_path = out / "inclusion" / "enseignants_formes.csv"
    p_path = out / "inclusion" / "eleves_module_partage.csv"
    write_plain_csv(teacher_frame, t_path)
    write_plain_csv(pupil_frame, p_path)
    return [t_path, p_path]


def _research_uais(rng: np.random.Generator, est: pd.DataFrame, lab: np.ndarray,
                   first_degree: np.ndarray, lab_academy: dict[str, str]) -> np.ndarray:
    out = np.empty(len(lab), dtype=object)
    for name, academy in lab_academy.items():
        for is_first, kinds in ((True, ["ecole"]), (False, ["college"])):
            where = (lab == name) & (first_degree == is_first)
            pool = est.loc[(est["academy"] == academy) & est["kind"].isin(kinds)
                           & (est["sector"] == "public"), "uai"].to_numpy()
            out[where] = pool[rng.integers(0, len(pool), int(where.sum()))]
    return out


# --------------------------------------------------------------------------- 2.2 incubators


def _incubator_candidates(world: World, params: dict[str, Any]) -> pd.DataFrame:
    """Candidates per period with their criteria: one row per (period, uai)."""
    rng = world.rng("dispositifs.incubateurs")
    pool = world.secondary[world.secondary["kind"].isin(["college", "lycee"])]
    pool = pool[pool["opening_period"].isna()]
    poitiers = pool[pool["academy"] == "poitiers"]
    others = pool[pool["academy"] != "poitiers"]
    poitiers = poitiers.iloc[rng.permutation(len(poitiers))]
    others = others.iloc[rng.permutation(len(others))]
    chosen: list[str] = []
    entered: list[str] = []
    taken = {"p": 0, "o": 0}
    previous = 0
    for period, count in zip(world.periods, params["candidates"], strict=True):
        new = count - previous
        previous = count
        share = params["poitiers_share_first"] if period == world.periods[0] else params["poitiers_share_new"]
        n_p = round(new * share)
        chosen += poitiers["uai"].iloc[taken["p"]: taken["p"] + n_p].tolist()
        chosen += others["uai"].iloc[taken["o"]: taken["o"] + new - n_p].tolist()
        entered += [period] * new
        taken["p"] += n_p
        taken["o"] += new - n_p
    base = pd.DataFrame({"uai": chosen, "entered": entered})
    m = len(base)
    latent = {c: rng.random(m) for c in ("structured_project", "cardie_experiment", "varied_practice",
                                         "trainers")}
    z = rng.normal(0, 1, m)
    est = world.establishments.set_index("uai")
    kinds = est.loc[base["uai"], "kind"].to_numpy()
    per_pupil = world.params["teachers_per_pupil"]
    totals = _pupil_totals(world).set_index(["uai", "period"])["pupils"]
    rows = []
    for t, period in enumerate(world.periods):
        now = (base["entered"].map(Period.parse) <= Period.parse(period)).to_numpy()
        pupils = totals.reindex(list(zip(base["uai"], [period] * m, strict=True))).to_numpy(float)
        staff = np.maximum(8, np.round(pupils * np.array([per_pupil[k] for k in kinds])
                                       * params["staff_factor"])).astype(int)
        share = np.clip(params["certified_share"][t] + params["certified_share_sd"] * z, 0.02, 0.9)
        frame = pd.DataFrame({
            "period": period,
            "uai": base["uai"],
            "staff": staff,
            "staff_certified": rng.binomial(staff, share),
            "trainer_teachers": stats.poisson.ppf(latent["trainers"], params["trainer_teachers"][t]).astype(int),
            **{c: latent[c] < params[c][t] for c in ("structured_project", "cardie_experiment",
                                                       "varied_practice")},
        })
        rows.append(frame[now])
    out = pd.concat(rows, ignore_index=True)
    out["name"] = est.loc[out["uai"], "name"].to_numpy()
    out["kind"] = est.loc[out["uai"], "kind"].to_numpy()
    out["lycee_type"] = est.loc[out["uai"], "lycee_type"].to_numpy()
    return out


def _write_incubators(world: World, candidates: pd.DataFrame, params: dict[str, Any],
                      out: Path) -> list[Path]:
    rng = world.rng("dispositifs.incubateurs.files")
    yes_no = {True: "Oui", False: "Non"}
    heads = world.fake_people(rng, candidates["uai"].nunique())
    head_of = dict(zip(sorted(candidates["uai"].unique()),
                       heads["first_name"] + " " + heads["last_name"], strict=True))
    paths = []
    for period, part in candidates.groupby("period", sort=True):
        frame = pd.DataFrame({
            "Année scolaire": period,
            "UAI": part["uai"],
            "Nom de l'établissement": part["name"],
            "Chef d'établissement": part["uai"].map(head_of),
            "Personnels": part["staff"],
            "Personnels certifiés Pix / Pix+ Édu": part["staff_certified"],
            "Enseignants formateurs certifiés": part["trainer_teachers"],
            "Projet numérique structuré": part["structured_project"].map(yes_no),
            "Expérimentation CARDIE": part["cardie_experiment"].map(yes_no),
            "Pratique variée reconnue": part["varied_practice"].map(yes_no),
        }).sort_values("UAI", kind="stable")
        path = out / "incubateurs" / f"candidatures_{period}.csv"
        write_plain_csv(frame, path)
        paths.append(path)
    return paths


DISCIPLINES = {
    "general": ["Français", "Mathématiques", "Histoire-géographie", "Anglais", "Espagnol",
                "SVT", "Physique-chimie", "Technologie", "EPS", "Arts plastiques",
                "Éducation musicale", "Documentation"],
    "pro": ["Français", "Mathématiques-sciences", "Anglais", "Maintenance des équipements",
            "Métiers de la relation client", "Gestion-administration", "Électrotechnique",
            "Hôtellerie-restauration", "Prévention santé environnement"],
}
LEVELS = {
    "college": ["6e", "5e", "4e", "3e"],
    "LEGT": ["2nde", "1re", "Tle", "BTS"],
    "LP": ["CAP", "2nde", "1re", "Tle"],
    "LPO": ["2nde", "1re", "Tle", "CAP", "BTS"],
}
PRACTICES = {
    "S": ["Cours projeté au lieu du tableau", "Exercices sur l'ENT au lieu du cahier",
          "Manuel numérique en classe"],
    "A": ["Quiz en ligne avec correction immédiate", "Dictée enregistrée, réécoute à la maison",
          "Carte mentale collaborative ; partage par l'ENT"],
    "M": ["Écriture collaborative d'un récit, révisions commentées par les pairs",
          "Capsules vidéo produites par les élèves, classe inversée"],
    "R": ["Échange en visioconférence avec une classe étrangère, production commune",
          "Jumeau numérique d'un équipement ; diagnostic de panne à distance"],
}


def _write_samr(world: World, candidates: pd.DataFrame, params: dict[str, Any], out: Path) -> list[Path]:
    rng = world.rng("dispositifs.pratiques_samr")
    paths = []
    serial = 0
    for t, period in enumerate(world.periods):
        part = candidates[candidates["period"] == period]
        n_each = rng.poisson(params["per_establishment"], len(part))
        rows = part.loc[part.index.repeat(n_each)].reset_index(drop=True)
        n = len(rows)
        # Exactly the planned share of M and R, on randomly chosen rows.
        transformative = rng.permutation(n) < round(params["transformative_share"][t] * n)
        second = rng.random(n)
        samr = np.where(transformative, np.where(second < params["modification_within"], "M", "R"),
                        np.where(second < params["substitution_within"], "S", "A"))
        pro = rows["lycee_type"].isin(["LP", "LPO"]).to_numpy() & (rng.random(n) < 0.7)
        discipline = np.where(pro, _choose(rng, DISCIPLINES["pro"], n), _choose(rng, DISCIPLINES["general"], n))
        level_key = np.where(rows["kind"] == "college", "college", rows["lycee_type"].fillna("LEGT"))
        level = np.array([LEVELS[k][int(u * len(LEVELS[k]))] for k, u in zip(level_key, rng.random(n), strict=True)])
        description = np.array([PRACTICES[s][int(u * len(PRACTICES[s]))] for s, u in zip(samr, rng.random(n), strict=True)])
        people = world.fake_people(rng, n)
        dates = _dates_in(rng, period, n, "09-08", "06-26")
        frame = pd.DataFrame({
            "date": dates, "UAI": rows["uai"], "Discipline": discipline, "Niveau": level,
            "Niveau SAMR": samr, "Description": description,
            "Nom du déclarant": people["first_name"] + " " + people["last_name"],
            "Courriel": _emails(people, "ac-exemple.fr"),
        }).sort_values(["date", "UAI"], kind="stable").reset_index(drop=True)
        frame.insert(0, "Identifiant de la réponse", [f"R{serial + i + 1:06d}" for i in range(n)])
        serial += n
        frame.insert(1, "Date de la séance", _fmt(frame.pop("date")))
        path = out / "incubateurs" / f"pratiques_samr_{period}.csv"
        write_plain_csv(frame, path)
        paths.append(path)
    return paths


def _choose(rng: np.random.Generator, values: list[str], n: int) -> np.ndarray:
    return np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]


# --------------------------------------------------------------------------- 2.3 agents


def _write_agents(world: World, params: dict[str, Any], rural: list[str], out: Path) -> list[Path]:
    rng = world.rng("dispositifs.agents_conversationnels")
    lycees = world.secondary[(world.secondary["kind"] == "lycee")
                             & world.secondary["lycee_type"].isin(["LP", "LPO"])].reset_index(drop=True)
    n = len(lycees)
    appeal = ((1 + params["poitiers_boost"] * (lycees["academy"] == "poitiers"))
              * (1 - params["rural_penalty"] * lycees["department"].isin(rural))).to_numpy(float)
    # Adoption order: an exponential race weighted by appeal (weighted sampling without
    # replacement); each year the first round(share × open lycées) use an agent, so a user
    # stays a user and the regional share is exactly the planned one.
    order = -np.log(rng.random(n)) / appeal
    register_ = rng.random(n)
    agents = params["agents"]
    paths = []
    for t, period in enumerate(world.periods):
        open_now = (lycees["opening_date"] <= pd.Timestamp(f"{Period.parse(period).end}-01-15")).to_numpy()
        n_users = round(params["usage_share"][t] * open_now.sum())
        rank = np.argsort(np.where(open_now, order, np.inf), kind="stable")
        user = np.zeros(n, dtype=bool)
        user[rank[:n_users]] = True
        registered = ~user & open_now & (register_ < params["registered_without_use"])
        draws = {agent: user & (rng.random(n) < share) for agent, share in agents.items()}
        main = next(iter(agents))
        none_drawn = user & ~np.logical_or.reduce(list(draws.values()))
        draws[main] = draws[main] | none_drawn  # a user lycée uses at least the main agent
        used = pd.concat([pd.DataFrame({"uai": lycees["uai"][has], "agent": agent})
                          for agent, has in draws.items()], ignore_index=True)
        k = len(used)
        classes = 1 + rng.poisson(params["classes_mean"] - 1, k)
        sessions = classes * (1 + rng.poisson(params["sessions_per_class_mean"] - 1, k))
        pupils = np.round(classes * params["pupils_per_class"] * rng.uniform(0.8, 1.15, k)).astype(int)
        used = used.assign(classes=classes, sessions=sessions, pupils=pupils,
                           first_use=_fmt(_dates_in(rng, period, k, "09-10", "05-31")))
        idle = pd.DataFrame({"uai": lycees["uai"][registered], "agent": main,
                             "classes": 0, "sessions": 0, "pupils": 0, "first_use": ""})
        frame = pd.concat([used, idle], ignore_index=True).sort_values(["uai", "agent"], kind="stable")
        path = out / "voie_pro" / f"agents_conversationnels_{period}.csv"
        write_plain_csv(pd.DataFrame({
            "Année scolaire": period,
            "UAI": frame["uai"],
            "Agent conversationnel": frame["agent"],
            "Classes utilisatrices": frame["classes"],
            "Séances": frame["sessions"],
            "Élèves concernés": frame["pupils"],
            "Date de première utilisation": frame["first_use"],
        }), path)
        paths.append(path)
    return paths
