"""The fake region behind the demo data: communes, establishments, enrolments, IPS.

Every demo source is written from one :class:`World`, so that the same UAI has the same
department, territory, social index and pupils in every file. Sizes and effects come from
``params/demo/world.yaml``; randomness from one seed, split by name (:meth:`World.rng`) so
that adding a source never changes the others' files.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .. import referential
from ..paths import params_dir
from ..periods import Period, period_range

DEFAULT_SEED = 2021
#: The French name lists of the fake people (see :func:`french_names`).
NAMES_FILE = Path(__file__).with_name("names_fr.json")

# Approximate centroids (latitude, longitude) of the departments.
CENTROIDS = {
    "24": (45.15, 0.72), "33": (44.85, -0.58), "40": (43.95, -0.78), "47": (44.35, 0.48),
    "64": (43.30, -0.75), "19": (45.35, 1.85), "23": (46.05, 2.00), "87": (45.85, 1.25),
    "16": (45.70, 0.20), "17": (45.75, -0.75), "79": (46.50, -0.35), "86": (46.55, 0.45),
}

_PATRONS = (
    "Jules Ferry", "Victor Hugo", "Jean Moulin", "Marie Curie", "Jean Jaurès", "Louis Pasteur",
    "Jacques Prévert", "Albert Camus", "Simone Veil", "Montesquieu", "Michel de Montaigne",
    "François Mauriac", "Jean Monnet", "Pierre Loti", "Camille Claudel", "Georges Brassens",
    "Olympe de Gouges", "Aliénor d'Aquitaine", "Jean de La Fontaine", "Jean Zay",
    "Lucie Aubrac", "Condorcet", "Paul Éluard", "George Sand", "Jean Rostand", "Henri IV",
    "Antoine de Saint-Exupéry", "René Cassin", "Joséphine Baker", "Gaston Crampe",
    "Élie Vinet", "Albert Claveille", "Guez de Balzac", "Bertran de Born", "Émile Zola",
    "Léonard de Vinci", "Arthur Rimbaud", "Pablo Neruda", "Germaine Tillion", "Jean Macé",
)
_PLACES = (
    "des Tilleuls", "du Val", "des Chênes", "de la Plaine", "du Bourg", "des Vignes",
    "du Lac", "de l'Estuaire", "des Coteaux", "du Parc", "des Sources", "du Moulin",
)
_COMMUNE_ROOTS = (
    "Aubeterre", "Bellac", "Brantôme", "Cognac", "Confolens", "Eymet", "Felletin", "Gourdon",
    "Jonzac", "Lavaur", "Marcillac", "Mussidan", "Nontron", "Pessac", "Ribérac", "Rochefort",
    "Ruffec", "Saujon", "Terrasson", "Thouars", "Uzerche", "Vayres", "Civray", "Lussac",
    "Melle", "Nérac", "Oloron", "Pauillac", "Royan", "Sarlat", "Tulle", "Ussel", "Bressuire",
    "Chauvigny", "Loudun", "Montmorillon", "Boussac", "Guéret", "Aixe", "Eymoutiers",
    "Saint-Junien", "Saint-Yrieix", "Castillon", "Lesparre", "Blaye", "Bazas", "Langon",
    "Mimizan", "Morcenx", "Orthez", "Mauléon", "Hasparren", "Marmande", "Fumel", "Duras",
)
_COMMUNE_SUFFIXES = (
    "", "", "", "-sur-Dronne", "-sur-Charente", "-sur-Vienne", "-en-Gâtine", "-le-Château",
    "-la-Forêt", "-d'Aunis", "-de-Saintonge", "-sur-Isle", "-les-Bains", "-sur-Garonne",
)


def load_world_params() -> dict[str, Any]:
    with (params_dir() / "demo" / "world.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_demo_params(name: str) -> dict[str, Any]:
    """Parameters of one demo source family (``params/demo/<name>.yaml``)."""
    with (params_dir() / "demo" / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@dataclass
class World:
    """The fake region. Build it with :func:`build_world`.

    Attributes:
        seed: the seed everything derives from.
        params: ``params/demo/world.yaml``.
        periods: school-year labels covered.
        communes: commune_code, commune_name, department, academy, population, density,
            density_label, territory (``rural``/``urban``), latitude, longitude.
        establishments: one row per UAI (see :func:`_establishments` for columns).
        enrolment: uai, period, level, girls, boys (secondary levels, and ``ecole``).
        ips: uai, period, ips (and ips_gt / ips_pro for lycées).
    """

    seed: int
    params: dict[str, Any]
    periods: list[str]
    communes: pd.DataFrame = field(repr=False)
    establishments: pd.DataFrame = field(repr=False)
    enrolment: pd.DataFrame = field(repr=False)
    ips: pd.DataFrame = field(repr=False)

    def rng(self, name: str) -> np.random.Generator:
        """A generator of its own for one component (stable when others are added)."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def is_tne(self, department: pd.Series | str, period: str) -> Any:
        """True where a department is a TNE in that period (Vienne from 2021-2022)."""
        tne = self.params["tne"]
        active = Period.parse(period) >= Period.parse(tne["first_period"])
        if isinstance(department, str):
            return active and department in tne["departments"]
        return department.isin(tne["departments"]) & active

    def department_year_shocks(self, name: str, sd: float) -> pd.DataFrame:
        """Independent normal shocks (mean 0, ``sd``) for each department and school year.

        One row per department (index, the region's order), one column per period; drawn
        from a generator of their own (``name``), so that they never move another draw.
        What real data have and establishment-level noise lacks: a year that goes better
        or worse for every establishment of a department (an ENT platform's outage or
        migration, a departmental campaign, a strike).
        """
        departments = list(referential.DEPARTMENTS)
        values = self.rng(name).normal(0.0, sd, (len(departments), len(self.periods)))
        return pd.DataFrame(values, index=pd.Index(departments, name="department"), columns=self.periods)

    def open_in(self, period: str, on: str | None = None) -> pd.DataFrame:
        """Establishments open on a date of the period (default: 15 January)."""
        p = Period.parse(period)
        day = pd.Timestamp(on or f"{p.end}-01-15")
        est = self.establishments
        return est[est["opening_date"] <= day]

    @cached_property
    def secondary(self) -> pd.DataFrame:
        """Public and private-under-contract collèges, lycées and EREA (Pix Orga universe)."""
        est = self.establishments
        return est[est["kind"].isin(referential.SECONDARY_KINDS) & est["under_contract"]]

    def pupils(self, level: str | list[str], period: str) -> pd.DataFrame:
        """uai, girls, boys, pupils for some levels in a period (summed over the levels)."""
        levels = [level] if isinstance(level, str) else level
        e = self.enrolment
        sub = e[(e["period"] == period) & e["level"].isin(levels)]
        out = sub.groupby("uai", as_index=False)[["girls", "boys"]].sum()
        out["pupils"] = out["girls"] + out["boys"]
        return out

    def fake_people(self, rng: np.random.Generator, n: int, girls_share: float = 0.5) -> pd.DataFrame:
        """``n`` fake people: first_name, last_name, sex (``F``/``M``), from the French name lists
        shipped with the generator (:func:`french_names`)."""
        names = french_names()
        sex = np.where(rng.random(n) < girls_share, "F", "M")
        female = np.asarray(names["first_names_female"], dtype=object)
        male = np.asarray(names["first_names_male"], dtype=object)
        last = np.asarray(names["last_names"], dtype=object)
        first = np.where(sex == "F", female[rng.integers(0, len(female), n)],
                         male[rng.integers(0, len(male), n)])
        return pd.DataFrame({"first_name": first, "last_name": last[rng.integers(0, len(last), n)],
                             "sex": sex})


@cache
def french_names() -> dict[str, tuple[str, ...]]:
    """French first names (female, male) and last names for the fake personal columns of the
    demo exports: ``demo/names_fr.json``, Faker's fr_FR lists (MIT licence) copied once, so
    that the demo data's bytes depend on no installed package's lists."""
    raw = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return {k: tuple(raw[k]) for k in ("first_names_female", "first_names_male", "last_names")}


def build_world(seed: int = DEFAULT_SEED) -> World:
    """Build the fake region deterministically from ``seed``."""
    params = load_world_params()
    periods = period_range(params["periods"]["first"], params["periods"]["last"])
    world = World(seed, params, periods, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    world.communes = _communes(world)
    world.establishments = _establishments(world)
    world.ips = _ips(world)
    world.enrolment = _enrolment(world)
    return world


# --------------------------------------------------------------------------- communes


def _communes(world: World) -> pd.DataFrame:
    rng = world.rng("communes")
    rows = []
    for dept, n in world.params["communes"].items():
        lat0, lon0 = CENTROIDS[dept]
        pop = np.round(np.exp(rng.normal(6.3, 1.25, n))).astype(int) + 30
        # The prefecture and a few towns are large.
        pop[0] = int(rng.integers(80_000, 260_000)) if dept == "33" else int(rng.integers(25_000, 90_000))
        pop[1:4] = rng.integers(8_000, 30_000, 3)
        roots = rng.permutation(len(_COMMUNE_ROOTS))
        for i in range(n):
            root = _COMMUNE_ROOTS[roots[i % len(roots)]]
            suffix = _COMMUNE_SUFFIXES[(i // len(roots)) % len(_COMMUNE_SUFFIXES)]
            name = root + suffix if i < len(roots) * len(_COMMUNE_SUFFIXES) else f"{root}-{i}"
            rows.append((f"{dept}{i + 1:03d}", name, dept, int(pop[i]),
                         lat0 + rng.normal(0, 0.28), lon0 + rng.normal(0, 0.38)))
    frame = pd.DataFrame(rows, columns=["commune_code", "commune_name", "department", "population",
                                        "latitude", "longitude"])
    frame["commune_name"] = _dedupe_names(frame)
    density = np.select(
        [frame["population"] >= 20_000, frame["population"] >= 4_000, frame["population"] >= 800],
        [1, 2, 3], 4,
    )
    frame["density"] = density
    frame["density_label"] = frame["density"].map(
        {1: "Grands centres urbains", 2: "Centres urbains intermédiaires", 3: "Rural peu dense",
         4: "Rural très peu dense"})
    frame["territory"] = np.where(frame["density"] >= 3, "rural", "urban")
    frame["academy"] = frame["department"].map(referential.academy_of_department)
    return frame


def _dedupe_names(frame: pd.DataFrame) -> pd.Series:
    names = frame["commune_name"].copy()
    dup = names.duplicated(keep="first")
    names[dup] = names[dup] + "-" + frame.loc[dup, "department"]
    return names


# --------------------------------------------------------------------------- establishments


def _pick_communes(rng: np.random.Generator, communes: pd.DataFrame, n: int, power: float,
                   min_pop: int) -> np.ndarray:
    pool = communes[communes["population"] >= min_pop]
    if pool.empty:
        pool = communes
    w = pool["population"].to_numpy(float) ** power
    return rng.choice(pool.index.to_numpy(), size=n, p=w / w.sum())


def _establishments(world: World) -> pd.DataFrame:
    p = world.params
    rng = world.rng("establishments")
    communes = world.communes
    rows: list[dict[str, Any]] = []

    def add(kind: str, academy: str, dept: str, n: int, **extra: Any) -> None:
        if n <= 0:
            return
        cm = communes[communes["department"] == dept]
        # Lycées and collèges sit in towns, a share of them small rural ones.
        power, min_pop = {"ecole": (0.55, 0), "college": (0.9, 1000), "lycee": (1.2, 2500),
                          "erea": (1.0, 8000)}.get(kind, (1.0, 4000))
        picks = _pick_communes(rng, cm, n, power, min_pop)
        for idx in picks:
            rows.append({"kind": kind, "academy": academy, "department": dept, "commune_index": idx, **extra})

    mix = p["secondary_mix"]
    for academy, total in p["secondary_2020"].items():
        weights = p["department_weights"][academy]
        n_erea = max(1, round(total * mix["erea"]))
        n_lycee = round(total * mix["lycee"])
        n_college = total - n_erea - n_lycee
        for kind, n in (("college", n_college), ("lycee", n_lycee), ("erea", n_erea)):
            split = _split(n, weights)
            for dept, k in split.items():
                add(kind, academy, dept, k, opening_period=None)
        for academy_schools, n in [(academy, p["schools"][academy])]:
            for dept, k in _split(n, weights).items():
                add("ecole", academy_schools, dept, k, opening_period=None)
    for op in p["openings"]:
        academy = referential.academy_of_department(op["department"])
        add(op["kind"], academy, op["department"], 1, opening_period=op["period"],
            lycee_type=op.get("lycee_type"))
    # Private out-of-contract establishments and other kinds, spread over the region.
    all_depts = list(p["communes"])
    for i in range(p["private_out_of_contract"]):
        dept = all_depts[i % len(all_depts)]
        add("college" if i % 3 else "lycee", referential.academy_of_department(dept), dept, 1,
            opening_period=None, out_of_contract=True)
    other_kinds = ["medico_social", "orientation", "administratif"]
    for i in range(p["other_establishments"]):
        dept = all_depts[i % len(all_depts)]
        add(other_kinds[i % 3], referential.academy_of_department(dept), dept, 1, opening_period=None)

    est = pd.DataFrame(rows)
    cm = communes.loc[est["commune_index"]].reset_index(drop=True)
    est = pd.concat([est.drop(columns=["commune_index"]), cm[["commune_code", "commune_name", "population",
                                                                "density", "territory", "latitude",
                                                                "longitude"]]], axis=1)
    n = len(est)
    est["latitude"] = (est["latitude"] + rng.normal(0, 0.01, n)).round(6)
    est["longitude"] = (est["longitude"] + rng.normal(0, 0.01, n)).round(6)
    if "out_of_contract" not in est:
        est["out_of_contract"] = False
    est["out_of_contract"] = est["out_of_contract"].fillna(False).astype(bool)
    if "lycee_type" not in est:
        est["lycee_type"] = None

    # Sector.
    share = est["kind"].map(p["private_share"]).fillna(0.0).to_numpy(float)
    private = (rng.random(n) < share) | est["out_of_contract"].to_numpy()
    est["sector"] = np.where(private, "private", "public")
    est["under_contract"] = ~est["out_of_contract"]
    est.loc[~est["kind"].isin(["ecole", "college", "lycee", "erea"]), "under_contract"] = False

    # Lycée types.
    lt = p["lycee_types"]
    is_lycee = est["kind"] == "lycee"
    missing_type = is_lycee & est["lycee_type"].isna()
    est.loc[missing_type, "lycee_type"] = rng.choice(list(lt), size=int(missing_type.sum()),
                                                     p=np.array(list(lt.values())) / sum(lt.values()))
    est.loc[~is_lycee, "lycee_type"] = None

    # Priority education: public collèges and écoles, more likely in poorer urban areas.
    pe = p["priority_education"]
    eligible = est["kind"].isin(["college", "ecole"]) & (est["sector"] == "public")
    u = rng.random(n)
    urban_boost = np.where(est["density"] <= 2, 1.6, 0.6)
    rep_plus = eligible & (u < pe["rep_plus"] * urban_boost)
    rep = eligible & ~rep_plus & (u < (pe["rep_plus"] + pe["rep"]) * urban_boost)
    est["priority_education"] = np.select([rep_plus, rep], ["rep_plus", "rep"], "none")

    # Nature codes and names.
    est["nature_code"], est["nature_label"], est["name"] = _natures_and_names(rng, est)

    # Opening dates: old establishments opened long ago; openings on 1 September.
    old = pd.to_datetime("1965-09-01") + pd.to_timedelta(rng.integers(0, 365 * 50, n), unit="D")
    opening = [pd.Timestamp(f"{Period.parse(op).start}-09-01") if isinstance(op, str) else old[i]
               for i, op in enumerate(est["opening_period"])]
    est["opening_date"] = pd.to_datetime(opening).normalize()

    # UAIs: unique serials per department, kinds in their usual ranges.
    est["uai"] = _uais(rng, est)
    est["academy_code"] = est["academy"].map(lambda a: referential.ACADEMIES[a].code)
    est = est.sort_values("uai", kind="stable").reset_index(drop=True)
    return est[["uai", "name", "kind", "lycee_type", "nature_code", "nature_label", "sector",
                "under_contract", "academy", "academy_code", "department", "commune_code",
                "commune_name", "population", "density", "territory", "priority_education",
                "latitude", "longitude", "opening_date", "opening_period"]]


def _split(n: int, weights: dict[str, float]) -> dict[str, int]:
    """Split n over keys by weights, exactly (largest remainders)."""
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    raw = n * w / w.sum()
    base = np.floor(raw).astype(int)
    rest = n - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return dict(zip(keys, base.tolist(), strict=True))


def _natures_and_names(rng: np.random.Generator, est: pd.DataFrame) -> tuple[list, list, list]:
    codes, labels, names = [], [], []
    for kind, ltype, commune in zip(est["kind"], est["lycee_type"], est["commune_name"], strict=True):
        patron = _PATRONS[int(rng.integers(len(_PATRONS)))]
        if kind == "ecole":
            if rng.random() < 0.3:
                row = ("101", "ECOLE MATERNELLE", f"École maternelle {_PLACES[int(rng.integers(len(_PLACES)))]}")
            else:
                row = ("151", "ECOLE DE NIVEAU ELEMENTAIRE", f"École élémentaire {patron}")
        elif kind == "college":
            row = ("340", "COLLEGE", f"Collège {patron}")
        elif kind == "lycee":
            code, label, prefix = {
                "LEGT": ("300", "LYCEE ENSEIGNT GENERAL ET TECHNOLOGIQUE", "Lycée général et technologique"),
                "LPO": ("306", "LYCEE POLYVALENT", "Lycée polyvalent"),
                "LP": ("320", "LYCEE PROFESSIONNEL", "Lycée professionnel"),
            }[ltype]
            row = (code, label, f"{prefix} {patron}")
        elif kind == "erea":
            row = ("370", "ETABLISSEMENT REGIONAL D'ENSEIGNEMENT ADAPTE", f"EREA {patron}")
        elif kind == "orientation":
            row = ("810", "CENTRE D'INFORMATION ET D'ORIENTATION", f"CIO de {commune}")
        elif kind == "medico_social":
            row = ("450", "INSTITUT MEDICO-EDUCATIF", f"IME {commune}")
        else:
            row = ("800", "SERVICE ADMINISTRATIF", f"Circonscription de {commune}")
        codes.append(row[0])
        labels.append(row[1])
        names.append(row[2])
    return codes, labels, names


def _uais(rng: np.random.Generator, est: pd.DataFrame) -> list[str]:
    out = [""] * len(est)
    for dept, idx in est.groupby("department").groups.items():
        idx = list(idx)
        serials = rng.choice(np.arange(1, 10_000), size=len(idx), replace=False)
        # Secondary establishments get the low serials, as in the real directory.
        kinds = est.loc[idx, "kind"].to_numpy()
        order = np.argsort(np.where(np.isin(kinds, ["college", "lycee", "erea"]), 0, 1), kind="stable")
        serials = np.sort(serials)
        for rank, pos in enumerate(order):
            out[idx[pos]] = referential.make_uai(dept, int(serials[rank]))
    return out


# --------------------------------------------------------------------------- IPS


def _ips(world: World) -> pd.DataFrame:
    p = world.params["ips"]
    rng = world.rng("ips")
    est = world.establishments
    est = est[est["kind"].isin(["ecole", "college", "lycee", "erea"])]
    n = len(est)
    base = (p["base"]
            + p["dense_urban"] * (est["density"] == 1)
            + p["very_low_density"] * (est["density"] == 4)
            + p["private"] * (est["sector"] == "private")
            + p["rep"] * (est["priority_education"] == "rep")
            + p["rep_plus"] * (est["priority_education"] == "rep_plus")
            + rng.normal(0, p["noise_sd"], n))
    voc = np.where(est["lycee_type"] == "LP", p["vocational"], 0.0)
    rows = []
    for period in world.periods:
        drift = rng.normal(0, p["yearly_sd"], n)
        ips = np.clip(base + drift + voc, 55, 160).round(1)
        frame = pd.DataFrame({"uai": est["uai"].to_numpy(), "period": period, "ips": ips})
        is_lycee = (est["kind"] == "lycee").to_numpy()
        ltype = est["lycee_type"].to_numpy()
        gt = np.where(is_lycee & (ltype != "LP"), np.clip(base + drift + 2, 55, 160), np.nan).round(1)
        pro = np.where(is_lycee & (ltype != "LEGT"),
                       np.clip(base + drift + p["vocational"] - 2, 55, 160), np.nan).round(1)
        frame["ips_gt"], frame["ips_pro"] = gt, pro
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- enrolment


def _enrolment(world: World) -> pd.DataFrame:
    p = world.params["enrolment"]
    rng = world.rng("enrolment")
    est = world.establishments
    frames = []
    for _, e in est[est["kind"].isin(["ecole", "college", "lycee", "erea"])].iterrows():
        size = float(np.exp(rng.normal(0, p["size_sd"]))) * (p["rural_size"] if e["territory"] == "rural" else 1.0)
        levels: dict[str, tuple[float, float]] = {}
        if e["kind"] == "college":
            levels = {lv: (m, p["college"]["girls"]) for lv, m in p["college"].items() if lv != "girls"}
        elif e["kind"] == "erea":
            levels = {lv: (m, p["erea"]["girls"]) for lv, m in p["erea"].items() if lv != "girls"}
            size = 1.0
        elif e["kind"] == "ecole":
            levels = {"ecole": (p["ecole"]["pupils"], p["ecole"]["girls"])}
        else:
            gt, pro = p["lycee_gt"], p["lycee_pro"]
            girls = gt["girls"]
            gt_levels = {lv: (m, girls.get(lv, girls["default"])) for lv, m in gt.items() if lv != "girls"}
            pro_levels = {lv: (m, pro["girls"]) for lv, m in pro.items() if lv != "girls"}
            if e["lycee_type"] == "LEGT":
                levels = gt_levels
            elif e["lycee_type"] == "LP":
                levels = pro_levels
            else:
                levels = {**{k: (m * p["lpo_scale"]["gt"], g) for k, (m, g) in gt_levels.items()},
                          **{k: (m * p["lpo_scale"]["pro"], g) for k, (m, g) in pro_levels.items()}}
        opened = Period.of_date(e["opening_date"])
        for t, period in enumerate(world.periods):
            if Period.parse(period) < opened:
                continue
            trend = (1 + p["yearly_trend"]) ** t
            for level, (mean, girls_share) in levels.items():
                total = int(rng.poisson(max(mean * size * trend, 1.0)))
                girls = int(rng.binomial(total, girls_share))
                frames.append((e["uai"], period, level, girls, total - girls))
    return pd.DataFrame(frames, columns=["uai", "period", "level", "girls", "boys"])
