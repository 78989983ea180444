"""Demo Pix files: Pix Orga follow-up snapshots and Pix Certif session results.

- ``pix/orga/suivi-pix-orga_<AAAA-MM-JJ>.csv`` — one January snapshot per school year;
  2020-2021 reproduces the roadmap's progress point exactly (from the catalogue's baseline).
- ``pix/certification/<UAI>/<AAAAMMJJ_hhmm>_resultats_session_<id>.csv`` — one session a
  year per certifying establishment (3e in collèges and EREA, terminale in lycées); the
  v2-era header (``Nombre de Pix``, ``Rejetée``, no ``Type``/``Niveau``) until 2022-2023,
  the current one after, as Pix changed it.
- ``pix/certification-enseignants/<académie>/…`` — the teachers' sessions of each
  academy's certification centre.
Sizes and effects: ``params/demo/pix.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..catalogue import load_catalogue
from ..periods import Period
from ..sources.pix import COMPETENCES
from .formats import pix_csv_header, pix_csv_lines, write_pix_lines, write_plain_csv
from .world import World, load_demo_params

ORGA_HEADER = ["UAI", "Nom de l'organisation", "Statut Pix Orga", "Date d'activation",
               "Date du dernier import", "Nombre de campagnes", "Date de la première campagne"]
STATUS_ORDER = ("active", "imported", "not_imported", "not_activated")  # best first
V3_FROM = Period.parse("2023-2024")
GLOBAL_LEVELS = [(896, "Expert 2"), (768, "Expert 1"), (640, "Avancé 2"), (512, "Avancé 1"),
                 (384, "Indépendant 2"), (256, "Indépendant 1"), (128, "Novice 2"), (64, "Novice 1")]


def write(world: World, out: Path) -> list[Path]:
    params = load_demo_params("pix")
    written = _write_orga(world, params["orga"], out)
    written += _write_student_certification(world, params["certification"], out)
    written += _write_teacher_certification(world, params["teachers"], out)
    return written


# --------------------------------------------------------------------------- Pix Orga


def baseline_counts() -> dict[str, dict[str, int]]:
    """The roadmap's January 2021 shares turned into establishment counts (they add up)."""
    baseline = load_catalogue().target("1.1").baseline["pix_orga_status"]
    out = {}
    for academy, row in baseline.items():
        total = int(row["campaign"]["of"])
        counts = {s: round(row[s] / 100 * total) for s in STATUS_ORDER}
        if sum(counts.values()) != total:  # pragma: no cover - the roadmap's shares add up
            raise ValueError(f"baseline shares of {academy} do not add up to {total}")
        counts["campaign"] = int(row["campaign"]["count"])
        counts["total"] = total
        out[academy] = counts
    return out


def _orga_counts(world: World, params: dict, period: str, academy: str, n: int,
                 first: dict[str, dict[str, int]]) -> dict[str, int]:
    if period == world.periods[0]:
        counts = dict(first[academy])
        if counts["total"] != n:
            raise ValueError(f"{academy}: {n} establishments in the demo universe, "
                             f"{counts['total']} in the roadmap's baseline")
        return counts
    active = round(params["active_share"][academy][period] * n)
    rest = n - active
    split = params["rest_split"]
    imported = round(rest * split["imported"])
    not_imported = round(rest * split["not_imported"])
    counts = {"active": active, "imported": imported, "not_imported": not_imported,
              "not_activated": rest - imported - not_imported}
    counts["campaign"] = active + round(imported * params["imported_launch_share"])
    return counts


def _write_orga(world: World, params: dict, out: Path) -> list[Path]:
    rng = world.rng("pix_orga")
    first = baseline_counts()
    universe_all = world.secondary
    rural_lag = world.params["effects"]["rural_lag"]
    latent = pd.Series(rng.normal(0, params["noise_sd"], len(universe_all))
                       - params["rural_penalty"] * rural_lag * (universe_all["territory"] == "rural").to_numpy(),
                       index=universe_all["uai"].to_numpy())
    written = []
    for period in world.periods:
        p = Period.parse(period)
        day = pd.Timestamp(f"{p.end}-{params['snapshot_day']}")
        universe = universe_all[universe_all["opening_date"] <= day]
        rows = []
        for academy, est in universe.groupby("academy", sort=True):
            counts = _orga_counts(world, params, period, academy, len(est), first)
            ranked = est.assign(z=latent.loc[est["uai"]].to_numpy()).sort_values("z", ascending=False,
                                                                                kind="stable")
            status = np.repeat(list(STATUS_ORDER), [counts[s] for s in STATUS_ORDER])
            ranked = ranked.assign(status=status)
            launched = ranked["status"].eq("active").to_numpy().copy()
            extra = counts["campaign"] - int(launched.sum())
            imported_idx = np.flatnonzero(ranked["status"].eq("imported").to_numpy())
            launched[imported_idx[:max(extra, 0)]] = True
            rows.append(_orga_rows(rng, ranked, launched, p, day))
        frame = pd.concat(rows, ignore_index=True).sort_values("UAI", kind="stable")
        path = out / "pix" / "orga" / f"suivi-pix-orga_{day:%Y-%m-%d}.csv"
        write_plain_csv(frame, path)
        written.append(path)
    return written


def _orga_rows(rng: np.random.Generator, est: pd.DataFrame, launched: np.ndarray, p: Period,
               day: pd.Timestamp) -> pd.DataFrame:
    n = len(est)
    status = est["status"].to_numpy()
    label = np.select([status == "active", status == "imported", status == "not_imported"],
                      ["Actif", f"Importé {p.start}", "Non importé"], "Non activé")
    start = pd.Timestamp(f"{p.start}-09-01")
    activation = start - pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    imported = start + pd.to_timedelta(rng.integers(0, 100, n), unit="D")
    first_campaign = start + pd.to_timedelta(rng.integers(10, (day - start).days - 5, n), unit="D")
    fmt = lambda s: pd.Series(s).dt.strftime("%d/%m/%Y").to_numpy()  # noqa: E731
    return pd.DataFrame({
        "UAI": est["uai"].to_numpy(),
        "Nom de l'organisation": est["name"].str.upper().to_numpy(),
        "Statut Pix Orga": label,
        "Date d'activation": np.where(status == "not_activated", "", fmt(activation)),
        "Date du dernier import": np.where(np.isin(status, ["active", "imported"]), fmt(imported), ""),
        "Nombre de campagnes": np.where(launched, rng.integers(1, 6, n), 0),
        "Date de la première campagne": np.where(launched, fmt(first_campaign), ""),
    })


# ------------------------------------------------------------------- certification


def _levels_for(kind: str) -> tuple[str, list[str]]:
    if kind == "lycee":
        return "terminale", ["tle_g", "tle_sti2d", "tle_stl", "tle_stmg", "tle_st2s", "tle_pro"]
    return "3e", ["3e"]


def _header(period: str) -> list[str]:
    competences = list(COMPETENCES)
    if Period.parse(period) >= V3_FROM:
        return ["Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
                "Identifiant Externe", "Type de certification", "Statut", "Niveau", "Score en Pix",
                *competences, "Commentaire jury pour l’organisation", "Session", "Centre de certification",
                "Date de passage de la certification"]
    return ["Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
            "Identifiant Externe", "Statut", "Nombre de Pix", *competences,
            "Commentaire jury pour l’organisation", "Session", "Centre de certification",
            "Date de passage de la certification"]


def _external_ids(rng: np.random.Generator, m: int) -> np.ndarray:
    """Fake national pupil identifiers (INE-like: 9 digits and 2 letters)."""
    digits = np.char.zfill(rng.integers(0, 10**9, m).astype(str), 9)
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
    return np.char.add(np.char.add(digits, letters[rng.integers(0, 23, m)]), letters[rng.integers(0, 23, m)])


def _global_level(score: np.ndarray) -> np.ndarray:
    out = np.full(score.shape, "-", dtype=object)
    for threshold, label in reversed(GLOBAL_LEVELS):
        out[score >= threshold] = label
    return out


def _candidates(world: World, params: dict, rng: np.random.Generator, period: str,
                est_effect: pd.Series, shocks: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate of the period, with its establishment, level and result.

    ``shocks``: department × school-year shocks of the 3e participation
    (:meth:`World.department_year_shocks`); terminale has none.
    """
    universe = world.open_in(period)
    universe = universe[universe["uai"].isin(world.secondary["uai"])]
    ips = world.ips[world.ips["period"] == period].set_index("uai")["ips"]
    rural_lag = world.params["effects"]["rural_lag"]
    social = world.params["effects"]["social_gradient"]
    rows = []
    for kind_group, levels_of in (("3e", ("college", "erea")), ("terminale", ("lycee",))):
        est = universe[universe["kind"].isin(levels_of)]
        _, levels = _levels_for(levels_of[0])
        eligible = world.pupils(levels, period).set_index("uai")["pupils"].reindex(est["uai"]).fillna(0)
        e_ips = ips.reindex(est["uai"]).fillna(100).to_numpy()
        rural = (est["territory"] == "rural").to_numpy()
        pe = est["priority_education"].to_numpy()
        tne = world.is_tne(est["department"], period).to_numpy()
        p = (params["participation"][kind_group][period]
             + params["rural_participation"] * rural_lag * rural
             + params["rep_plus_participation"] * (pe == "rep_plus")
             + params["rep_participation"] * (pe == "rep")
             + params["ips_participation_per_point"] * social * (e_ips - 100)
             + params["tne_participation"] * tne
             + est_effect.reindex(est["uai"]).to_numpy()
             + (shocks[period].reindex(est["department"]).to_numpy() if kind_group == "3e" else 0.0))
        p = np.clip(p, 0.02, 0.99)
        p[rng.random(len(est)) < params["non_certifying_share"]] = 0.0
        n = rng.binomial(eligible.to_numpy().astype(int), p)
        mean = (params["mean_score"][kind_group][period] + params["ips_score_per_point"] * social * (e_ips - 100)
                + params["rural_score"] * rural_lag * rural + params["tne_score"] * tne)
        rows.append(pd.DataFrame({
            "uai": np.repeat(est["uai"].to_numpy(), n),
            "centre": np.repeat(est["name"].str.upper().to_numpy(), n),
            "commune": np.repeat(est["commune_name"].to_numpy(), n),
            "level": kind_group,
            "mean": np.repeat(mean, n),
        }))
    cand = pd.concat(rows, ignore_index=True)
    m = len(cand)
    u = rng.random(m)
    cand["status"] = np.select([u < params["cancelled_share"],
                                u < params["cancelled_share"] + (1 - params["validated_share"])],
                               ["cancelled", "not_obtained"], "validated")
    score = np.clip(rng.normal(cand["mean"], params["score_sd"]), 64, 1023).round().astype(int)
    cand["score"] = np.where(cand["status"] == "validated", score, 0)
    return cand


def _serialise(cand: pd.DataFrame, period: str, people: pd.DataFrame, rng: np.random.Generator,
               first_number: int) -> pd.DataFrame:
    """The export columns of the candidates, in the header of the period."""
    m = len(cand)
    v3 = Period.parse(period) >= V3_FROM
    p = Period.parse(period)
    age = np.where(cand["level"] == "3e", 15, 18)
    birth = (pd.to_datetime(np.char.add((p.end - age).astype(str), "-01-01"))
             + pd.to_timedelta(rng.integers(0, 365, m), unit="D"))
    validated = cand["status"].to_numpy() == "validated"
    cancelled = cand["status"].to_numpy() == "cancelled"
    comp = np.clip(np.round(cand["score"].to_numpy()[:, None] / 128 + rng.normal(0, 0.8, (m, 16))), 0, 7)
    comp = comp.astype(int)
    out: dict[str, object] = {
        "Numéro de certification": np.arange(first_number, first_number + m),
        "Prénom": people["first_name"].to_numpy(),
        "Nom": people["last_name"].str.upper().to_numpy(),
        "Date de naissance": birth.strftime("%d/%m/%Y"),
        "Lieu de naissance": cand["commune"].to_numpy(),
        "Identifiant Externe": _external_ids(rng, m),
    }
    status_label = {"validated": "Validée", "not_obtained": "Non obtenue" if v3 else "Rejetée",
                    "cancelled": "Annulée"}
    if v3:
        out["Type de certification"] = "Pix"
    out["Statut"] = cand["status"].map(status_label).to_numpy()
    score = pd.Series(cand["score"].to_numpy(), dtype="Int64")
    if v3:
        out["Niveau"] = np.where(cancelled, "-", _global_level(cand["score"].to_numpy()))
        out["Score en Pix"] = score.mask(cancelled).astype(object).where(~cancelled, "-")
    else:
        out["Nombre de Pix"] = score.astype(object).where(~cancelled, "-")
    for j, code in enumerate(COMPETENCES):
        col = pd.Series(np.where(validated, comp[:, j], 0), dtype=object)
        out[code] = col.where(~cancelled, "-")
    out["Commentaire jury pour l’organisation"] = np.where(rng.random(m) < 0.97, "", "RAS")
    out["Session"] = cand["session"].to_numpy()
    out["Centre de certification"] = cand["centre"].to_numpy()
    out["Date de passage de la certification"] = cand["date"].dt.strftime("%d/%m/%Y").to_numpy()
    frame = pd.DataFrame(out)
    return frame[_header(period)]


def _write_student_certification(world: World, params: dict, out: Path) -> list[Path]:
    rng = world.rng("pix_certification")
    est_effect = pd.Series(rng.normal(0, params["establishment_sd"], len(world.secondary)),
                           index=world.secondary["uai"].to_numpy())
    shocks = world.department_year_shocks("pix_department_year", params["department_year_sd"])
    written: list[Path] = []
    number = 100_000
    session = 10_000
    for period in world.periods:
        p = Period.parse(period)
        cand = _candidates(world, params, rng, period, est_effect, shocks)
        # One session per establishment: its id, date and time.
        sessions = cand[["uai", "level"]].drop_duplicates("uai").reset_index(drop=True)
        sessions["session"] = np.arange(session, session + len(sessions))
        session += len(sessions)
        month = sessions["level"].map(params["exam_month"]).to_numpy()
        if period == world.periods[0]:  # 2021: terminale sessions postponed to June
            month = np.where(sessions["level"] == "terminale", 6, month)
        sessions["date"] = pd.to_datetime(
            {"year": p.end, "month": month, "day": rng.integers(2, 28, len(sessions)),
             "hour": rng.choice([8, 9, 10, 13, 14], len(sessions)), "minute": rng.choice([0, 30], len(sessions))})
        cand = cand.merge(sessions[["uai", "session", "date"]], on="uai", how="left")
        people = world.fake_people(rng, len(cand))
        frame = _serialise(cand, period, people, rng, number)
        number += len(frame)
        header = pix_csv_header(list(frame.columns))
        lines = pix_csv_lines(frame)
        for (uai, sid, date), idx in cand.groupby(["uai", "session", "date"], sort=True).indices.items():
            path = out / "pix" / "certification" / uai / f"{date:%Y%m%d_%H%M}_resultats_session_{sid}.csv"
            write_pix_lines(path, header, [lines[i] for i in idx])
            written.append(path)
    return written


def _write_teacher_certification(world: World, params: dict, out: Path) -> list[Path]:
    rng = world.rng("pix_certification_teachers")
    written: list[Path] = []
    number = 9_000_000
    session = 90_000
    previous = {a: 0 for a in params["cumulative"]}
    for period in world.periods:
        p = Period.parse(period)
        for academy, cumul in params["cumulative"].items():
            new = int(cumul[period]) - previous[academy]
            previous[academy] = int(cumul[period])
            failed = int(round(new * params["not_obtained_share"]))
            total = new + failed
            if total <= 0:
                continue
            start = max(pd.Timestamp(f"{p.start}-09-15"), pd.Timestamp(params["first_session"][academy]))
            end = pd.Timestamp(f"{p.end}-06-30")
            k = params["sessions_per_year"]
            dates = pd.to_datetime(np.linspace(start.value, end.value, k)).normalize() + pd.Timedelta(hours=14)
            cand = pd.DataFrame({
                "status": np.r_[np.full(new, "validated"), np.full(failed, "not_obtained")],
                "level": "enseignant",
                "centre": f"DANE DE {academy.upper()}",
                "commune": academy.capitalize(),
            })
            cand["score"] = np.where(cand["status"] == "validated",
                                     np.clip(rng.normal(params["mean_score"], params["score_sd"], total), 64, 1023),
                                     0).round().astype(int)
            which = rng.integers(0, k, total)
            cand["session"] = session + which
            cand["date"] = dates[which]
            people = world.fake_people(rng, total, girls_share=0.7)
            frame = _serialise(cand, period, people, rng, number)
            frame["Date de naissance"] = (pd.Timestamp("1965-01-01")
                                          + pd.to_timedelta(rng.integers(0, 365 * 33, total), unit="D")
                                          ).strftime("%d/%m/%Y")
            number += total
            header = pix_csv_header(list(frame.columns))
            lines = pix_csv_lines(frame)
            for (sid, date), idx in cand.groupby(["session", "date"], sort=True).indices.items():
                path = (out / "pix" / "certification-enseignants" / academy
                        / f"{date:%Y%m%d_%H%M}_resultats_session_{sid}.csv")
                write_pix_lines(path, header, [lines[i] for i in idx])
                written.append(path)
            session += k
    return written
