"""Demo ENT statistics exports (Edifice "Statistiques", data-sources §6).

- ``ent/<platform>/<period>/export-stats-accounts.csv`` — every establishment on the
  platform × month × profile: connections, unique visitors, loaded and activated accounts;
- ``ent/lycee-connecte/<period>/export-stats-access.csv`` — the lycées and EREA of Lycée
  connecté × month × profile × application: accesses, and unique visitors (our extension).

Platforms: ``lycee-connecte`` (public lycées and EREA, part of the private lycées under
contract, and the public collèges of the departments that joined), ``colleges-<dept>``
(the public collèges of the departments not yet joined), ``ecoles`` (the public écoles
whose ENT is open). Sizes and effects: ``params/demo/ent.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import referential
from ..periods import Period
from ..sources.ent import PROFILE_LABELS
from .formats import write_edifice_csv
from .world import World, load_demo_params

PROFILES = ("student", "teacher", "parent", "staff", "other")
ECOLE_PROFILES = ("student", "teacher", "parent", "staff")
CALENDAR_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)
ACCOUNTS_HEADER = ["Établissement", "UAI", "Date", "Profil", "Connexions", "Visiteurs uniques",
                   "Comptes chargés", "Comptes activés"]
ACCESS_HEADER = ["Établissement", "UAI", "Date", "Profil", "Application", "Nombre d'accès",
                 "Visiteurs uniques"]
LYCEE_PLATFORM = "lycee-connecte"


def write(world: World, out: Path) -> list[Path]:
    """Write the accounts and access exports of every platform and school year."""
    params = load_demo_params("ent")
    rng = world.rng("ent")
    panel = build_panel(world, params, rng)
    accounts = build_accounts(world, params, rng, panel)
    access = build_access(world, params, rng, panel, accounts)
    written = write_files(accounts, ACCOUNTS_HEADER, "export-stats-accounts.csv", out)
    written += write_files(access, ACCESS_HEADER, "export-stats-access.csv", out)
    return written


# --------------------------------------------------------------------------- who is where


def build_panel(world: World, params: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """One row per establishment on an ENT and school year, with what sizes its figures.

    Columns: uai, name, kind, group (``lycee``/``college``/``ecole``), department,
    rural, ips, pupils, platform, period, t (index of the period), tne, level (the
    establishment's time-invariant usage level), dept_level (its department's), and
    dept_shock (the department × school-year shock on the log of connections).
    """
    p = params["platforms"]
    effects = world.params["effects"]
    est = world.establishments.reset_index(drop=True)
    n = len(est)
    draw_private = rng.random(n)
    draw_school = rng.random(n)
    conn = params["connections"]
    level = np.exp(rng.normal(0, conn["establishment_sd"], n))
    dept_codes = list(referential.DEPARTMENTS)
    dept_level = dict(zip(dept_codes, np.exp(rng.normal(0, conn["department_sd"], len(dept_codes))),
                          strict=True))

    public = (est["sector"] == "public").to_numpy()
    kind = est["kind"].to_numpy()
    rural = (est["territory"] == "rural").to_numpy()
    on_lycee = (np.isin(kind, ["lycee", "erea"]) & public) | (
        (kind == "lycee") & ~public & est["under_contract"].to_numpy()
        & (draw_private < p["private_lycee_share"]))
    college = (kind == "college") & public
    ecole = (kind == "ecole") & public
    # Écoles open their ENT in the order of an adoption score, rural ones later.
    score = draw_school + p["ecoles_rural_penalty"] * effects["rural_lag"] * rural
    ecole_idx = np.flatnonzero(ecole)
    ecole_rank = np.empty(n, dtype=float)
    ecole_rank[:] = np.inf
    order = ecole_idx[np.argsort(score[ecole_idx], kind="stable")]
    ecole_rank[order] = np.arange(len(order)) / len(order)

    joined: dict[str, Period] = {}
    for period, depts in p["colleges_join"].items():
        for d in depts:
            joined[d] = Period.parse(period)

    base = pd.DataFrame({
        "uai": est["uai"], "name": est["name"].str.upper(), "kind": kind,
        "group": np.where(np.isin(kind, ["lycee", "erea"]), "lycee", kind),
        "department": est["department"], "rural": rural, "level": level,
        "dept_level": est["department"].map(dept_level).to_numpy(),
    })
    pupils = world.enrolment.groupby(["uai", "period"], as_index=False)[["girls", "boys"]].sum()
    pupils["pupils"] = pupils["girls"] + pupils["boys"]
    ips = world.ips[["uai", "period", "ips"]]
    frames = []
    for t, period in enumerate(world.periods):
        per = Period.parse(period)
        depts = est["department"].to_numpy()
        college_joined = np.array([d in joined and joined[d] <= per for d in depts])
        platform = np.select(
            [on_lycee, college & college_joined, college, ecole & (ecole_rank < p["ecoles_open_share"][period])],
            [LYCEE_PLATFORM, LYCEE_PLATFORM, "colleges-" + est["department"], "ecoles"],
            "",
        )
        keep = platform != ""
        frame = base.loc[keep].copy()
        frame["platform"] = platform[keep]
        frame["period"] = period
        frame["t"] = t
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    panel = panel.merge(pupils[["uai", "period", "pupils"]], on=["uai", "period"], how="inner")
    panel = panel.merge(ips, on=["uai", "period"], how="left")
    panel["ips"] = panel["ips"].fillna(100.0)
    shocks = world.department_year_shocks("ent_department_year", conn["department_year_sd"])
    panel["dept_shock"] = shocks.to_numpy()[shocks.index.get_indexer(panel["department"]),
                                            shocks.columns.get_indexer(panel["period"])]
    panel["tne"] = np.zeros(len(panel), dtype=bool)
    for period in world.periods:
        at = (panel["period"] == period).to_numpy()
        panel.loc[at, "tne"] = world.is_tne(panel.loc[at, "department"], period).to_numpy()
    return panel.sort_values(["platform", "period", "uai"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- accounts


def _profile_table(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Row index into ``panel`` and profile of each (establishment, year, profile) row."""
    counts = np.where(panel["group"].to_numpy() == "ecole", len(ECOLE_PROFILES), len(PROFILES))
    row = np.repeat(np.arange(len(panel)), counts)
    start = np.cumsum(counts) - counts
    within = np.arange(len(row)) - np.repeat(start, counts)
    return row, np.asarray(PROFILES)[within]


def build_accounts(world: World, params: dict[str, Any], rng: np.random.Generator,
                   panel: pd.DataFrame) -> pd.DataFrame:
    """The accounts export rows (tidy names) for every establishment, month and profile."""
    a = params["accounts"]
    conn = params["connections"]
    effects = world.params["effects"]
    gradient = params["parents_gradient"]["activation_per_10_ips"]
    first_gradient = gradient[world.periods[0]]

    row, profile = _profile_table(panel)
    pr = panel.iloc[row].reset_index(drop=True)
    kind = pr["kind"].to_numpy()
    group = pr["group"].to_numpy()
    pupils = pr["pupils"].to_numpy(float)
    teachers_pp = pd.Series(kind).map(world.params["teachers_per_pupil"]).to_numpy(float)
    staff_pp = pd.Series(kind).map(a["staff_per_pupil"]).to_numpy(float)
    others = pd.Series(kind).map(a["other_per_establishment"]).fillna(0).to_numpy(float)
    loaded = np.select(
        [profile == "student", profile == "teacher", profile == "parent", profile == "staff"],
        [pupils, np.maximum(1, np.round(pupils * teachers_pp)), np.round(pupils * a["parents_per_pupil"]),
         np.maximum(a["staff_minimum"], np.round(pupils * staff_pp))],
        others,
    ).astype(np.int64)

    # Plateau of activation: by profile, group and year; parents rise with the IPS.
    plateau = np.zeros(len(pr))
    periods = pr["period"].to_numpy()
    for prof in PROFILES:
        for grp, by_period in a["activation"][prof].items():
            for period, value in by_period.items():
                plateau[(profile == prof) & (group == grp) & (periods == period)] = value
    ips_10 = (pr["ips"].to_numpy(float) - 100.0) / 10.0
    slope = pr["period"].map(gradient).to_numpy(float) * effects["social_gradient"]
    is_parent = profile == "parent"
    plateau = plateau + is_parent * slope * ips_10 + rng.normal(0, a["activation_sd"], len(pr))
    plateau = np.clip(plateau, 0.0, 1.0)

    # Monthly rows: September's activation is below the plateau, caught up by December.
    months = np.arange(12)
    n = len(pr)
    m = np.tile(months, n)
    r = np.repeat(np.arange(n), 12)
    ramp = 1 - (1 - a["september_share"]) * a["monthly_catch_up"] ** m
    loaded_m = loaded[r]
    activated = np.minimum(loaded_m, np.floor(loaded_m * plateau[r] * ramp + 0.5)).astype(np.int64)

    season = np.array([params["seasonality"][c] for c in CALENDAR_MONTHS])[m]
    share = pd.Series(profile).map(conn["visitor_share"]).to_numpy(float)[r]
    visitors = rng.binomial(activated, np.clip(share * season, 0, 1))

    t = pr["t"].to_numpy()[r]
    freq = (pd.Series(profile).map(conn["visits_per_visitor"]).to_numpy(float)[r]
            * pr["kind"].map(conn["group_factor"]).to_numpy(float)[r]
            * (1 + conn["yearly_growth"]) ** t
            * (1 + conn["rural_lag"] * effects["rural_lag"] * pr["rural"].to_numpy()[r])
            * (1 + conn["tne_effect"] * pr["tne"].to_numpy()[r])
            * pr["dept_level"].to_numpy(float)[r] * pr["level"].to_numpy(float)[r]
            * np.exp(pr["dept_shock"].to_numpy(float))[r]
            * np.exp(rng.normal(0, conn["noise_sd"], n * 12)))
    use = 1 + params["parents_gradient"]["use_per_10_ips"] * effects["social_gradient"] \
        * (slope / max(first_gradient, 1e-9)) * ips_10
    freq = freq * np.where(is_parent, np.clip(use, 0.3, None), 1.0)[r]
    connections = np.maximum(visitors, np.round(visitors * freq)).astype(np.int64)

    return pd.DataFrame({
        "name": pr["name"].to_numpy()[r], "uai": pr["uai"].to_numpy()[r],
        "platform": pr["platform"].to_numpy()[r], "period": periods[r],
        "month_index": m, "profile": profile[r], "kind": kind[r],
        "connections": connections, "unique_visitors": visitors,
        "accounts_loaded": loaded_m, "accounts_activated": activated,
        "season": season, "t": t, "panel_row": row[r],
    })


# --------------------------------------------------------------------------- access


def build_access(world: World, params: dict[str, Any], rng: np.random.Generator,
                 panel: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """The access export rows for the lycées and EREA of Lycée connecté."""
    p = params["access"]
    conn = params["connections"]
    effects = world.params["effects"]
    base = accounts[(accounts["platform"] == LYCEE_PLATFORM)
                    & accounts["kind"].isin(["lycee", "erea"])].reset_index(drop=True)
    parts = []
    for order, (app, by_profile) in enumerate(p["applications"].items()):
        for prof, (share, per_user) in by_profile.items():
            sub = base[base["profile"] == prof]
            parts.append(pd.DataFrame({
                "src": sub.index.to_numpy(), "application": app, "app_order": order,
                "share": share, "per_user": per_user,
                "pedagogical": app in p["pedagogical"] and prof == "teacher",
            }))
    combos = pd.concat(parts, ignore_index=True).sort_values(["src", "app_order"], kind="stable")
    src = combos["src"].to_numpy()
    rows = base.iloc[src].reset_index(drop=True)
    pr = panel.iloc[rows["panel_row"].to_numpy()].reset_index(drop=True)
    activated = rows["accounts_activated"].to_numpy()
    season = rows["season"].to_numpy(float)
    t = rows["t"].to_numpy()
    share = combos["share"].to_numpy(float)
    user_share = share + combos["pedagogical"].to_numpy() * p["teacher_pedagogical_growth"] * t
    users = rng.binomial(activated, np.clip(user_share * season, 0, 1))
    expected = (activated * share * combos["per_user"].to_numpy(float) * season
                * (1 + p["yearly_growth"]) ** t
                * (1 + conn["rural_lag"] * effects["rural_lag"] * pr["rural"].to_numpy())
                * (1 + conn["tne_effect"] * pr["tne"].to_numpy())
                * pr["level"].to_numpy(float)
                * np.exp(rng.normal(0, conn["noise_sd"], len(rows))))
    accesses = np.maximum(users, np.round(expected)).astype(np.int64)
    return pd.DataFrame({
        "name": rows["name"], "uai": rows["uai"], "platform": rows["platform"],
        "period": rows["period"], "month_index": rows["month_index"], "profile": rows["profile"],
        "application": combos["application"].to_numpy(), "accesses": accesses,
        "unique_visitors": users,
    })


# --------------------------------------------------------------------------- files


def _date_labels(periods: pd.Series, month_index: pd.Series) -> np.ndarray:
    """``2024-09-01T00:00`` for each (school year, month index from September)."""
    codes, uniques = pd.factorize(periods)
    table = np.array([f"{Period.parse(p).start + (c < 9)}-{c:02d}-01T00:00"
                      for p in uniques for c in CALENDAR_MONTHS], dtype=object)
    return table[codes * 12 + month_index.to_numpy()]


def write_files(frame: pd.DataFrame, header: list[str], file_name: str, out: Path) -> list[Path]:
    """Write export rows as one file per platform and school year.

    Args:
        frame: rows of :func:`build_accounts` or :func:`build_access`.
        header: the export's header (:data:`ACCOUNTS_HEADER` or :data:`ACCESS_HEADER`).
        file_name: ``export-stats-accounts.csv`` or ``export-stats-access.csv``.
        out: the data folder; files go to ``out/ent/<platform>/<period>/``.

    Returns:
        The files written, in order.
    """
    if frame.empty:
        return []
    profile_order = {p: i for i, p in enumerate(PROFILES)}
    frame = frame.assign(_p=frame["profile"].map(profile_order))
    frame = frame.sort_values(["platform", "period", "month_index", "uai", "_p"]
                              + (["application"] if "application" in frame else []),
                              kind="stable").reset_index(drop=True)
    rows = pd.DataFrame({
        "Établissement": frame["name"], "UAI": frame["uai"],
        "Date": _date_labels(frame["period"], frame["month_index"]),
        "Profil": frame["profile"].map(PROFILE_LABELS),
    })
    if "application" in frame:
        rows["Application"] = frame["application"]
        rows["Nombre d'accès"] = frame["accesses"]
        rows["Visiteurs uniques"] = frame["unique_visitors"]
    else:
        rows["Connexions"] = frame["connections"]
        rows["Visiteurs uniques"] = frame["unique_visitors"]
        rows["Comptes chargés"] = frame["accounts_loaded"]
        rows["Comptes activés"] = frame["accounts_activated"]
    # Plain Python strings: pandas writes them faster than Arrow strings and integers.
    rows = pd.DataFrame({h: rows[h].astype("str").to_numpy(dtype=object) for h in header},
                        dtype=object)
    keys = (frame["platform"] + "/" + frame["period"]).to_numpy()
    bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True])
    written = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        path = out / "ent" / keys[lo] / file_name
        write_edifice_csv(rows.iloc[lo:hi], path)
        written.append(path)
    return written
