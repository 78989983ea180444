"""Demo DEPP open data: IPS, pupils by level and sex, specialties by sex.

Writes, from the :class:`~.world.World`:

- ``ips/``: the legacy files ``fr-en-ips_ecoles.csv``, ``fr-en-ips_colleges.csv``,
  ``fr-en-ips_lycees.csv`` for the years before ``first_ap2022_period`` and the files
  ``fr-en-ips-{ecoles,colleges,lycees}-ap2022.csv`` from it on, values ``world.ips``
  (the smallest écoles get ``NS``);
- ``effectifs/``: ``fr-en-college-effectifs-niveau-sexe-lv.csv`` (collèges and the EREA's
  4e/3e), ``fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv`` (LEGT and LPO),
  ``fr-en-lycee_pro-effectifs-niveau-sexe-lv.csv`` (LP, LPO and the EREA's CAP), all six
  rentrées, numbers exactly ``world.enrolment`` (establishments under contract);
- ``specialites/``: ``fr-en-effectifs-specialites-triplettes-1ere-generale.csv`` and
  ``fr-en-effectifs-specialites-doublettes-terminale-generale.csv`` (label variant), for
  lycées with a general track, totals from ``world.enrolment`` ``1ere_g`` / ``tle_g``.

Effect sizes are in ``params/demo/depp.yaml``; docs/sources/depp.md lists them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import referential
from ..periods import Period
from ..sources.effectifs import GT_LEVELS
from ..sources.specialites import NSI, SPECIALTIES, specialty_header
from .formats import write_opendata_csv
from .world import World, load_demo_params

REGION_LABEL = "NOUVELLE-AQUITAINE"
LV1_LYCEE = ("allemand", "anglais", "espagnol", "autres_langues")
LV2_LYCEE = ("allemand", "anglais", "espagnol", "italien", "autres_langues")
LV1_COLLEGE = ("allemand", "anglais", "espagnol", "autres")
LV2_COLLEGE = ("allemand", "anglais", "espagnol", "italien", "autres")
GT_TRACKS = ("g", "sti2d", "stl", "stmg", "st2s", "std2a")
GT_TOTAL_ONLY = ("sthr", "tmd", "bt")
PRO_GROUPS = (("2ndes_pro", "2nde_pro"), ("1eres_pro", "1ere_pro"), ("terminales_pro", "tle_pro"),
              ("1eres_annees_cap", "cap1"), ("2emes_annees_cap", "cap2"))
_PREFIXES = {
    "college": "Collège", "erea": "EREA", "LEGT": "Lycée général et technologique",
    "LPO": "Lycée polyvalent", "LP": "Lycée professionnel",
}

# Main combinations of the files (dropped by the contracts; written for realism), members
# in the order of the real labels (01 - MATHEMATIQUES/PHYSIQUE-CHIMIE/SCIENCES DE LA VIE…).
TRIPLETS: tuple[tuple[str, str, str], ...] = (
    ("0613", "0623", "0629"), ("0439", "0300", "0507"), ("0439", "0613", "0507"),
    ("0439", "0105", "0507"), ("0613", "0747", "0623"), ("0439", "0105", "0300"),
    ("0613", "0623", "0673"), ("0613", "0623", "0507"), ("0300", "0613", "0507"),
    ("0613", "0507", "0629"), ("0439", "0507", "0629"), ("0105", "0300", "0507"),
    ("0300", "0613", "0623"), ("0439", "0613", "0623"), ("0300", "0507", "0629"),
    ("0300", "0613", "0629"), ("0439", "0613", "0629"), ("0439", "0300", "0613"),
)
PAIRS: tuple[tuple[str, str], ...] = (
    ("0613", "0623"), ("0623", "0629"), ("0439", "0507"), ("0613", "0507"), ("0439", "0300"),
    ("0613", "0629"), ("0300", "0507"), ("0439", "0105"), ("0507", "0629"), ("0105", "0300"),
    ("0613", "0747"), ("0613", "0673"), ("0105", "0507"), ("0439", "0613"), ("0300", "0613"),
)
_SHORT_LABELS = {"0300": "LANGUES, LITT. ET CULTURES ETRA. ET R.", "0673": "SCIENCES DE L INGENIEUR"}
LAST_SPECIALTY = "1087"  # written after the combinations, as in the real file


def write(world: World, out: Path) -> list[Path]:
    """Write the DEPP family's files into ``out`` and return their paths."""
    params = load_demo_params("depp")
    labels = establishment_labels(world)
    paths = write_ips(world, labels, out / "ips", params["ips"])
    paths += write_effectifs(world, labels, out / "effectifs", params["effectifs"])
    paths += write_specialites(world, labels, out / "specialites", params["specialites"])
    return paths


# --------------------------------------------------------------------------- shared


def _depp_text(values: pd.Series) -> pd.Series:
    """Upper case without accents nor apostrophes, as the DEPP writes names."""
    text = values.astype(str).str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    return text.str.upper().str.replace("'", " ", regex=False)


def establishment_labels(world: World) -> pd.DataFrame:
    """Per UAI: the labels the DEPP files carry (academy, department, commune, names)."""
    est = world.establishments.copy()
    est["academy_label"] = est["academy"].map(lambda a: referential.ACADEMIES[a].name.upper())
    est["department_label"] = _depp_text(est["department"].map(lambda d: referential.DEPARTMENTS[d].name))
    est["commune_label"] = _depp_text(est["commune_name"])
    est["name_label"] = _depp_text(est["name"])
    key = est["lycee_type"].where(est["kind"] == "lycee", est["kind"])
    prefix = key.map(_PREFIXES)
    patron = [name[len(pre) + 1:] if isinstance(pre, str) and name.startswith(pre + " ") else name
              for name, pre in zip(est["name"], prefix, strict=True)]
    private = np.where(est["sector"] == "private", " PRIVE", "")
    est["denomination"] = _depp_text(prefix.fillna(est["name"])) + private
    est["patronyme"] = _depp_text(pd.Series(patron, index=est.index))
    return est


def _period_start(periods: pd.Series) -> pd.Series:
    return periods.str.slice(0, 4).astype(int)


def _open_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows whose establishment is open on 15 January of the row's school year."""
    day = pd.to_datetime((_period_start(frame["period"]) + 1).astype(str) + "-01-15")
    return frame["opening_date"] <= day


# --------------------------------------------------------------------------- IPS


def write_ips(world: World, labels: pd.DataFrame, folder: Path, p: dict[str, Any]) -> list[Path]:
    """Legacy and ap2022 IPS files of écoles, collèges and lycées."""
    rng = world.rng("depp.ips")
    est = labels
    est = est[est["kind"].isin(["ecole", "college", "lycee"]) & est["under_contract"]]
    rows = world.ips.merge(est, on="uai", how="inner")
    rows = rows[_open_mask(rows)].sort_values(["period", "uai"], kind="stable").reset_index(drop=True)
    n = len(rows)
    rows["within_sd"] = rng.normal(p["within_sd"]["mean"], p["within_sd"]["sd"], n).round(1)
    rows["within_sd_pro"] = rng.normal(p["within_sd"]["mean"] - 2, p["within_sd"]["sd"], n).round(1)
    post_bac = rng.random(n) < p["post_bac_share"]
    rows["ips_post_bac"] = np.where(post_bac & rows["ips_gt"].notna(),
                                    (rows["ips"] + p["post_bac_shift"]).round(1), np.nan)
    rows["ns"] = _ns_mask(world, rows, p["ecoles_ns_share"])
    first = Period.parse(p["first_ap2022_period"]).start
    legacy = _period_start(rows["period"]) < first
    paths = []
    for kind, slug in (("ecole", "ecoles"), ("college", "colleges"), ("lycee", "lycees")):
        part = rows[rows["kind"] == kind]
        old, new = part[legacy[part.index]], part[~legacy[part.index]]
        if not old.empty:
            path = folder / f"fr-en-ips_{slug}.csv"
            write_opendata_csv(_ips_legacy(old, kind), path)
            paths.append(path)
        if not new.empty:
            path = folder / f"fr-en-ips-{slug}-ap2022.csv"
            write_opendata_csv(_ips_ap2022(new, kind, p), path)
            paths.append(path)
    return paths


def _ns_mask(world: World, rows: pd.DataFrame, share: float) -> pd.Series:
    """The smallest écoles of each year (by pupils) have their IPS published as NS."""
    pupils = world.enrolment[world.enrolment["level"] == "ecole"].assign(
        pupils=lambda f: f["girls"] + f["boys"])[["uai", "period", "pupils"]]
    merged = rows[["uai", "period", "kind"]].merge(pupils, on=["uai", "period"], how="left")
    rank = merged.groupby("period")["pupils"].rank(method="first", pct=True)
    return pd.Series((merged["kind"] == "ecole") & (rank <= share), index=rows.index)


def _fmt(values: pd.Series) -> pd.Series:
    """One decimal, empty when missing."""
    return pd.Series(values, dtype="float64").round(1).astype("string")


def _ips_values(rows: pd.DataFrame, kind: str) -> pd.Series:
    text = _fmt(rows["ips"])
    return text.where(~rows["ns"], "NS") if kind == "ecole" else text


def _ips_legacy(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    out = pd.DataFrame({
        "rentree_scolaire": rows["period"], "academie": rows["academy_label"],
        "code_du_departement": rows["department"], "departement": rows["department_label"],
        "uai": rows["uai"], "nom_de_l_etablissment": rows["name_label"],
        "code_insee_de_la_commune": rows["commune_code"], "nom_de_la_commune": rows["commune_label"],
        "secteur": np.where(rows["sector"] == "public", "public", "privé sous contrat"),
    })
    if kind == "lycee":
        out["type_de_lycee"] = rows["lycee_type"]
        out["ips_voie_gt"] = _fmt(rows["ips_gt"])
        out["ips_voie_pro"] = _fmt(rows["ips_pro"])
        out["ips_ensemble_gt_pro"] = _fmt(rows["ips"])
        out["ecart_type_de_l_ips_voie_gt"] = _fmt(rows["within_sd"].where(rows["ips_gt"].notna()))
        out["ecart_type_de_l_ips_voie_pro"] = _fmt(rows["within_sd_pro"].where(rows["ips_pro"].notna()))
    else:
        out["ips"] = _ips_values(rows, kind)
        if kind == "college":
            out["ecart_type_de_l_ips"] = _fmt(rows["within_sd"])
    return out.reset_index(drop=True)


def _reference(rows: pd.DataFrame, value: pd.Series, by: list[str]) -> pd.Series:
    return value.groupby([rows[c] for c in by]).transform("mean")


def _ips_ap2022(rows: pd.DataFrame, kind: str, p: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame({
        "rentree_scolaire": rows["period"], "code_region": referential.REGION_INSEE_CODE,
        "region_academique": REGION_LABEL, "code_academie": rows["academy_code"],
        "academie": rows["academy_label"], "code_du_departement": "0" + rows["department"],
        "departement": rows["department_label"], "code_insee_de_la_commune": rows["commune_code"],
        "nom_de_la_commune": rows["commune_label"], "uai": rows["uai"],
        "nom_de_l_etablissement": rows["name_label"],
        "secteur": np.where(rows["sector"] == "public", "public", "privé sous contrat"),
    })
    offset = p["national_offset"]
    if kind == "lycee":
        out["type_de_lycee"] = rows["lycee_type"]
        out["ips_voie_gt"] = _fmt(rows["ips_gt"])
        out["ips_voie_pro"] = _fmt(rows["ips_pro"])
        out["ips_post_bac"] = _fmt(rows["ips_post_bac"])
        out["ips_etab"] = _fmt(rows["ips"])
        out["ecart_type_de_l_ips_voie_gt"] = _fmt(rows["within_sd"].where(rows["ips_gt"].notna()))
        out["ecart_type_de_l_ips_voie_pro"] = _fmt(rows["within_sd_pro"].where(rows["ips_pro"].notna()))
        for scope, by in (("national", []), ("academique", ["academy"]), ("departemental", ["department"])):
            for ltype in ("LEGT", "LP", "LPO"):
                value = rows["ips"].where(rows["lycee_type"] == ltype)
                ref = _reference(rows, value, ["period", *by])
                out[f"ips_{scope}_{ltype.lower()}"] = _fmt(ref + (offset if scope == "national" else 0))
    else:
        published = rows["ips"].where(~rows["ns"])
        out["ips"] = _ips_values(rows, kind)
        if kind == "college":
            out["ecart_type_de_l_ips"] = _fmt(rows["within_sd"])
        for scope, by in (("national", []), ("academique", ["academy"]), ("departemental", ["department"])):
            for suffix, sector in (("_prive", "private"), ("_public", "public"), ("", None)):
                value = published if sector is None else published.where(rows["sector"] == sector)
                ref = _reference(rows, value, ["period", *by])
                out[f"ips_{scope}{suffix}"] = _fmt(ref + (offset if scope == "national" else 0))
    out["num_ligne"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- effectifs


def write_effectifs(world: World, labels: pd.DataFrame, folder: Path, p: dict[str, Any]) -> list[Path]:
    """The three files of pupils by level and sex, every rentrée in one file each."""
    rng = world.rng("depp.effectifs")
    est = labels
    est = est[est["kind"].isin(referential.SECONDARY_KINDS) & est["under_contract"]]
    enrolment = world.enrolment.merge(est[["uai", "kind", "lycee_type"]], on="uai", how="inner")
    paths = []
    college = _wide(enrolment[enrolment["kind"].isin(["college", "erea"])], ["6e", "5e", "4e", "3e"])
    path = folder / "fr-en-college-effectifs-niveau-sexe-lv.csv"
    write_opendata_csv(_college_file(rng, college, est, p), path)
    paths.append(path)
    known = set(world.enrolment["level"].unique())
    gt_levels = [lv.level for lv in GT_LEVELS if lv.level in known]
    gt = _wide(enrolment[enrolment["lycee_type"].isin(["LEGT", "LPO"])], gt_levels)
    path = folder / "fr-en-lycee_gt-effectifs-niveau-sexe-lv.csv"
    write_opendata_csv(_gt_file(rng, gt, est, p), path)
    paths.append(path)
    pro_mask = enrolment["lycee_type"].isin(["LP", "LPO"]) | (enrolment["kind"] == "erea")
    pro = _wide(enrolment[pro_mask], [lv for _, lv in PRO_GROUPS])
    path = folder / "fr-en-lycee_pro-effectifs-niveau-sexe-lv.csv"
    write_opendata_csv(_pro_file(rng, pro, est, p), path)
    paths.append(path)
    return paths


def _wide(enrolment: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """One row per (uai, period) having any of ``levels``: girls/boys per level (0 if absent)."""
    sub = enrolment[enrolment["level"].isin(levels)]
    wide = sub.pivot_table(index=["period", "uai"], columns="level", values=["girls", "boys"],
                           aggfunc="sum", fill_value=0)
    out = pd.DataFrame(index=wide.index)
    for lv in levels:
        for sex in ("girls", "boys"):
            out[f"{sex}_{lv}"] = wide[(sex, lv)].astype(int) if (sex, lv) in wide.columns else 0
    return out.reset_index().sort_values(["period", "uai"], kind="stable").reset_index(drop=True)


def _head(wide: pd.DataFrame, est: pd.DataFrame, uai_header: str) -> pd.DataFrame:
    info = est.set_index("uai").loc[wide["uai"]]
    return pd.DataFrame({
        "rentree_scolaire": _period_start(wide["period"]).to_numpy(),
        "region_academique": REGION_LABEL,
        "academie": info["academy_label"].to_numpy(),
        "departement": info["department_label"].to_numpy(),
        "commune": info["commune_label"].to_numpy(),
        uai_header: wide["uai"].to_numpy(),
        "denomination_principale": info["denomination"].to_numpy(),
        "patronyme": info["patronyme"].to_numpy(),
        "secteur": np.where(info["sector"].to_numpy() == "public", "PUBLIC", "PRIVE"),
    })


def _split(rng: np.random.Generator, totals: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Split each total over categories (multinomial), columns in ``shares`` order."""
    pvals = np.array(list(shares.values()), dtype=float)
    return rng.multinomial(totals.astype(np.int64), pvals / pvals.sum())


def _level_columns(rng: np.random.Generator, base: str, girls: np.ndarray, boys: np.ndarray,
                   lv1: dict[str, float], lv2: dict[str, float] | None,
                   total_suffix: str = "", boys_header: str | None = None) -> dict[str, np.ndarray]:
    total = girls + boys
    cols = {f"{base}{total_suffix}": total, f"{base}_filles": girls, boys_header or f"{base}_garcons": boys}
    for name, values in zip(lv1, _split(rng, total, lv1).T, strict=True):
        cols[f"{base}_lv1_{name}"] = values
    if lv2 is not None:
        for name, values in zip(lv2, _split(rng, total, lv2).T, strict=True):
            cols[f"{base}_lv2_{name}"] = values
    else:
        for name in LV2_COLLEGE:
            cols[f"{base}_lv2_{name}"] = np.zeros(len(total), dtype=int)
    return cols


def _college_file(rng: np.random.Generator, wide: pd.DataFrame, est: pd.DataFrame,
                  p: dict[str, Any]) -> pd.DataFrame:
    head = _head(wide, est, "numero_college")
    info = est.set_index("uai").loc[wide["uai"]]
    # SEGPA and ULIS: the same collèges every year.
    uais = np.sort(est["uai"].to_numpy())
    has_segpa = pd.Series(rng.random(len(uais)) < p["segpa"]["share_of_colleges"], index=uais)
    has_ulis = pd.Series(rng.random(len(uais)) < p["ulis"]["share_of_colleges"], index=uais)
    is_college = (info["kind"] == "college").to_numpy()
    segpa_ok = has_segpa.loc[wide["uai"]].to_numpy() & is_college
    ulis_ok = has_ulis.loc[wide["uai"]].to_numpy() & is_college
    head["rep"] = (info["priority_education"] == "rep").astype(int).to_numpy()
    head["rep_plus"] = (info["priority_education"] == "rep_plus").astype(int).to_numpy()
    levels: dict[str, np.ndarray] = {}
    segpa_total = np.zeros(len(wide), dtype=int)
    ulis_total = np.zeros(len(wide), dtype=int)
    for number, lv in ((6, "6e"), (5, "5e"), (4, "4e"), (3, "3e")):
        girls, boys = wide[f"girls_{lv}"].to_numpy(), wide[f"boys_{lv}"].to_numpy()
        total = girls + boys
        segpa = np.where(segpa_ok, rng.binomial(total, p["segpa"]["rate"]), 0)
        ulis = np.where(ulis_ok, rng.binomial(total - segpa, p["ulis"]["rate"]), 0)
        segpa_total += segpa
        ulis_total += ulis
        base = f"{number}eme"
        cols = _level_columns(rng, base, girls, boys, p["lv1_college"],
                              None if lv == "6e" else p["lv2_college"], total_suffix="_total",
                              boys_header=f"{number}emes_garcons")
        levels[f"{base}_total"] = cols.pop(f"{base}_total")
        levels[f"{base}_segpa"] = segpa
        levels[f"{base}_ulis"] = ulis
        levels.update(cols)
    totals = sum(levels[f"{n}eme_total"] for n in (6, 5, 4, 3))
    head["nombre_eleves_total"] = totals
    head["nombre_eleves_segpa"] = segpa_total
    head["nombre_eleves_ulis"] = ulis_total
    return pd.concat([head, pd.DataFrame(levels)], axis=1)


def _gt_file(rng: np.random.Generator, wide: pd.DataFrame, est: pd.DataFrame,
             p: dict[str, Any]) -> pd.DataFrame:
    head = _head(wide, est, "numero_lycee")
    zeros = np.zeros(len(wide), dtype=int)
    cols: dict[str, np.ndarray] = {}
    for prefix, short, tracks in (("2ndes", "2nde", ("gt",)), ("1eres", "1ere", GT_TRACKS),
                                  ("terminales", "tle", GT_TRACKS)):
        for track in tracks:
            level = f"{short}_{track}"
            girls = wide[f"girls_{level}"].to_numpy() if f"girls_{level}" in wide else zeros
            boys = wide[f"boys_{level}"].to_numpy() if f"boys_{level}" in wide else zeros
            cols.update(_level_columns(rng, f"{prefix}_{track}", girls, boys, p["lv1_lycee"], p["lv2_lycee"]))
        for track in GT_TOTAL_ONLY:
            cols[f"{prefix}_{track}"] = zeros
    # The real header's typo.
    cols["terminales_terminales_stmg_lv2_autres_langues"] = cols.pop("terminales_stmg_lv2_autres_langues")
    body = pd.DataFrame(cols)[gt_header()[10:]]
    head["nombre_d_eleves"] = body[[c for c in body.columns if _is_level_total(c)]].sum(axis=1)
    return pd.concat([head, body], axis=1)


def _is_level_total(column: str) -> bool:
    return not any(s in column for s in ("_filles", "_garcons", "_lv1_", "_lv2_"))


def gt_header() -> list[str]:
    """The header of ``fr-en-lycee_gt-effectifs-niveau-sexe-lv`` (API field names)."""
    cols = ["rentree_scolaire", "region_academique", "academie", "departement", "commune",
            "numero_lycee", "denomination_principale", "patronyme", "secteur", "nombre_d_eleves"]
    for prefix, tracks in (("2ndes", ("gt",)), ("1eres", GT_TRACKS), ("terminales", GT_TRACKS)):
        for track in tracks:
            base = f"{prefix}_{track}"
            cols += [base, f"{base}_filles", f"{base}_garcons"]
            cols += [f"{base}_lv1_{x}" for x in LV1_LYCEE] + [f"{base}_lv2_{x}" for x in LV2_LYCEE]
        cols += [f"{prefix}_{x}" for x in GT_TOTAL_ONLY]
    typo = cols.index("terminales_stmg_lv2_autres_langues")
    cols[typo] = "terminales_terminales_stmg_lv2_autres_langues"
    return cols


def _pro_file(rng: np.random.Generator, wide: pd.DataFrame, est: pd.DataFrame,
              p: dict[str, Any]) -> pd.DataFrame:
    head = _head(wide, est, "numero_lycee")
    cols: dict[str, np.ndarray] = {}
    for base, level in PRO_GROUPS:
        cols.update(_level_columns(rng, base, wide[f"girls_{level}"].to_numpy(),
                                   wide[f"boys_{level}"].to_numpy(), p["lv1_pro"], p["lv2_pro"]))
    head["nombre_d_eleves"] = sum(cols[base] for base, _ in PRO_GROUPS)
    return pd.concat([head, pd.DataFrame(cols)], axis=1)


# --------------------------------------------------------------------------- specialties


def write_specialites(world: World, labels: pd.DataFrame, folder: Path, p: dict[str, Any]) -> list[Path]:
    """Première (triplettes) and terminale (doublettes) files, every rentrée."""
    rng = world.rng("depp.specialites")
    est = labels
    est = est[est["under_contract"]]
    lycees = np.sort(world.enrolment.loc[world.enrolment["level"].isin(["1ere_g", "tle_g"]), "uai"].unique())
    lycees = lycees[np.isin(lycees, est["uai"].to_numpy())]
    codes = list(SPECIALTIES)
    # Per lycée and specialty, the same every year and level: offer draw and spread.
    offer_draw = pd.DataFrame(rng.random((len(lycees), len(codes))), index=lycees, columns=codes)
    spread = pd.DataFrame(rng.lognormal(0, p["lycee_sd"], (len(lycees), len(codes))), index=lycees, columns=codes)
    nsi_spread = pd.Series(rng.lognormal(0, p["nsi"]["lycee_sd"], len(lycees)), index=lycees)
    paths = []
    for level, stage, file_name in (
        ("1ere_g", "premiere", "fr-en-effectifs-specialites-triplettes-1ere-generale.csv"),
        ("tle_g", "terminale", "fr-en-effectifs-specialites-doublettes-terminale-generale.csv"),
    ):
        base = world.enrolment[(world.enrolment["level"] == level) & world.enrolment["uai"].isin(lycees)]
        base = base.sort_values(["period", "uai"], kind="stable").reset_index(drop=True)
        counts = specialty_counts(rng, base, stage, p, offer_draw, spread, nsi_spread, est)
        frame = (_triplettes_file if stage == "premiere" else _doublettes_file)(rng, counts, est, p)
        path = folder / file_name
        write_opendata_csv(frame, path, bom=True)
        paths.append(path)
    return paths


def specialty_counts(rng: np.random.Generator, base: pd.DataFrame, stage: str, p: dict[str, Any],
                     offer_draw: pd.DataFrame, spread: pd.DataFrame, nsi_spread: pd.Series,
                     est: pd.DataFrame) -> pd.DataFrame:
    """Per (period, uai): girls/boys totals and per specialty (``girls_0747``...)."""
    out = base[["period", "uai", "girls", "boys"]].copy()
    rows = offer_draw.index.get_indexer(out["uai"])
    girls, boys = out["girls"].to_numpy(), out["boys"].to_numpy()
    girls_frac = girls.sum() / max(girls.sum() + boys.sum(), 1)
    for code, (rate, girls_share, offer) in p[stage].items():
        offered = offer_draw[code].to_numpy()[rows] < offer
        factor = spread[code].to_numpy()[rows] / offer
        p_girls = np.minimum(rate * girls_share / girls_frac * factor, 0.95) * offered
        p_boys = np.minimum(rate * (1 - girls_share) / (1 - girls_frac) * factor, 0.95) * offered
        out[f"girls_{code}"] = rng.binomial(girls, p_girls)
        out[f"boys_{code}"] = rng.binomial(boys, p_boys)
    nsi_girls, nsi_boys = _nsi_counts(rng, out, stage, p["nsi"], offer_draw, nsi_spread, est)
    out[f"girls_{NSI}"], out[f"boys_{NSI}"] = nsi_girls, nsi_boys
    return out


def nsi_targets(pupils: pd.DataFrame, stage: str, p: dict[str, Any]) -> pd.DataFrame:
    """Region NSI counts per period (girls, boys) from the yearly totals of ``pupils``.

    The first period meets the baseline exactly (rounded counts); then NSI pupils grow by
    ``yearly_growth`` a year (on top of the level's own trend) and the girls' share among
    them rises by ``girls_share_step``.
    """
    totals = pupils.groupby("period")[["girls", "boys"]].sum().sort_index()
    start = p[stage]
    rows = []
    share0 = 0.0
    for t, (period, row) in enumerate(totals.iterrows()):
        total = round(start["rate"] * (1 + p["yearly_growth"]) ** t * int(row["girls"] + row["boys"]))
        if t == 0:
            nsi_girls = (round(start["girls_rate"] * int(row["girls"])) if "girls_rate" in start
                         else round(start["girls_share"] * total))
            share0 = nsi_girls / total
        else:
            nsi_girls = round((share0 + p["girls_share_step"] * t) * total)
        rows.append((period, nsi_girls, total - nsi_girls))
    return pd.DataFrame(rows, columns=["period", "girls", "boys"])


def _nsi_counts(rng: np.random.Generator, out: pd.DataFrame, stage: str, p: dict[str, Any],
                offer_draw: pd.DataFrame, nsi_spread: pd.Series,
                est: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    uai = out["uai"].to_numpy()
    offered = offer_draw.loc[uai, NSI].to_numpy() < p["offer"]
    dept = est.set_index("uai").loc[uai, "department"].map(p["departments"]).to_numpy(float)
    weight = offered * dept * nsi_spread.loc[uai].to_numpy()
    girls = np.zeros(len(out), dtype=int)
    boys = np.zeros(len(out), dtype=int)
    targets = nsi_targets(out, stage, p).set_index("period")
    for period, idx in out.groupby("period").indices.items():
        for sex, result in (("girls", girls), ("boys", boys)):
            caps = out[sex].to_numpy()[idx]
            result[idx] = allocate(rng, int(targets.loc[period, sex]), weight[idx] * caps, caps)
    return girls, boys


def allocate(rng: np.random.Generator, total: int, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Spread exactly ``total`` units over cells by ``weights``, never over ``caps``."""
    out = np.zeros(len(weights), dtype=int)
    w = weights.astype(float).copy()
    for _ in range(50):
        remaining = total - int(out.sum())
        w = np.where(caps - out > 0, w, 0.0)
        if remaining <= 0 or w.sum() <= 0:
            break
        draw = rng.multinomial(remaining, w / w.sum())
        out += np.minimum(draw, caps - out)
    return out


def _combination_counts(rng: np.random.Generator, counts: pd.DataFrame, combos: tuple[tuple[str, ...], ...],
                        stage: str, p: dict[str, Any], sex: str) -> np.ndarray:
    """Pupils of one sex per listed combination (columns) and AUTRES (last column)."""
    n = counts[sex].to_numpy()
    region = counts[[f"{sex}_{c}" for c in SPECIALTIES]].sum() / max(int(n.sum()), 1)
    raw = np.array([np.prod([region[f"{sex}_{m}"] for m in combo]) for combo in combos])
    q = p["listed_combinations_share"][stage] * raw / raw.sum()
    # A lycée lists a combination only if it teaches each of its specialties.
    teaches = {m: (counts[f"girls_{m}"] + counts[f"boys_{m}"]).to_numpy() > 0 for combo in combos for m in combo}
    present = np.stack([np.all([teaches[m] for m in combo], axis=0) for combo in combos], axis=1)
    probs = q[None, :] * present
    result = np.zeros((len(n), len(combos) + 1), dtype=int)
    remaining = n.copy()
    left = np.ones(len(n))
    for j in range(len(combos)):
        cond = np.clip(np.divide(probs[:, j], left, out=np.zeros(len(n)), where=left > 0), 0, 1)
        result[:, j] = rng.binomial(remaining, cond)
        remaining = remaining - result[:, j]
        left = left - probs[:, j]
    result[:, -1] = remaining
    return result


def _combination_label(combo: tuple[str, ...]) -> str:
    return "/".join(_SHORT_LABELS.get(m, SPECIALTIES[m][0]) for m in combo)


def _specialty_block(counts: pd.DataFrame, codes: list[str]) -> dict[str, np.ndarray]:
    cols = {}
    for code in codes:
        cols[specialty_header(code, "filles")] = counts[f"girls_{code}"].to_numpy()
        cols[specialty_header(code, "garçons")] = counts[f"boys_{code}"].to_numpy()
    return cols


def _combination_block(rng: np.random.Generator, counts: pd.DataFrame, combos: tuple[tuple[str, ...], ...],
                       codes: list[str], stage: str, p: dict[str, Any]) -> dict[str, np.ndarray]:
    by_sex = {sex: _combination_counts(rng, counts, combos, stage, p, sex) for sex in ("girls", "boys")}
    cols = {}
    for j, combo in enumerate(combos):
        label = f"{codes[j]} - {_combination_label(combo)}"
        cols[f"{label} - filles"] = by_sex["girls"][:, j]
        cols[f"{label} - garçons"] = by_sex["boys"][:, j]
    cols["AUTRES COMBINAISONS - filles"] = by_sex["girls"][:, -1]
    cols["AUTRES COMBINAISONS - garçons"] = by_sex["boys"][:, -1]
    return cols


def _triplettes_file(rng: np.random.Generator, counts: pd.DataFrame, est: pd.DataFrame,
                     p: dict[str, Any]) -> pd.DataFrame:
    info = est.set_index("uai").loc[counts["uai"]]
    head = pd.DataFrame({
        "num_ligne": np.arange(1, len(counts) + 1),
        "RENTREE SCOLAIRE": _period_start(counts["period"]).to_numpy(),
        "code région académique": referential.REGION_ACADEMIC_CODE,
        "REGION ACADEMIQUE": REGION_LABEL,
        "code académie": info["academy_code"].to_numpy(),
        "ACADEMIE": info["academy_label"].to_numpy(),
        "code département": ("0" + info["department"]).to_numpy(),
        "DEPARTEMENT": info["department_label"].to_numpy(),
        "code postal": info["commune_code"].to_numpy(),
        "COMMUNE": info["commune_label"].to_numpy(),
        "UAI": counts["uai"].to_numpy(),
        "DENOMINATION PRINCIPALE": info["denomination"].to_numpy(),
        "PATRONYME": info["patronyme"].to_numpy(),
        "SECTEUR": np.where(info["sector"].to_numpy() == "public", "PUBLIC", "PRIVE SOUS CONTRAT"),
        "EFFECTIF TOTAL": (counts["girls"] + counts["boys"]).to_numpy(),
        "EFFECTIF TOTAL FILLES": counts["girls"].to_numpy(),
        "EFFECTIF TOTAL GARCONS": counts["boys"].to_numpy(),
    })
    singles = [c for c in SPECIALTIES if c != LAST_SPECIALTY]
    body = {**_specialty_block(counts, singles),
            **_combination_block(rng, counts, TRIPLETS, [f"{i:02d}" for i in range(1, len(TRIPLETS) + 1)],
                                 "premiere", p),
            **_specialty_block(counts, [LAST_SPECIALTY])}
    return pd.concat([head, pd.DataFrame(body)], axis=1)


def _doublettes_file(rng: np.random.Generator, counts: pd.DataFrame, est: pd.DataFrame,
                     p: dict[str, Any]) -> pd.DataFrame:
    info = est.set_index("uai").loc[counts["uai"]]
    head = pd.DataFrame({
        "Rentrée scolaire": _period_start(counts["period"]).to_numpy(),
        "Code région académique": referential.REGION_ACADEMIC_CODE,
        "Région académique": REGION_LABEL,
        "Code académie": info["academy_code"].to_numpy(),
        "Académie": info["academy_label"].to_numpy(),
        "Code département": ("0" + info["department"]).to_numpy(),
        "Département": info["department_label"].to_numpy(),
        "Code commune": info["commune_code"].to_numpy(),
        "Commune": info["commune_label"].to_numpy(),
        "UAI": counts["uai"].to_numpy(),
        "Dénomination principale": info["denomination"].to_numpy(),
        "Secteur": np.where(info["sector"].to_numpy() == "public", "PUBLIC", "PRIVE SOUS CONTRAT"),
        "Effectif total": (counts["girls"] + counts["boys"]).to_numpy(),
        "Effectif total garçons": counts["boys"].to_numpy(),
        "Effectif total filles": counts["girls"].to_numpy(),
    })
    singles = [c for c in SPECIALTIES if c != LAST_SPECIALTY]
    body = {**_specialty_block(counts, singles),
            **_combination_block(rng, counts, PAIRS, [f"{i:04d}" for i in range(1, len(PAIRS) + 1)],
                                 "terminale", p),
            **_specialty_block(counts, [LAST_SPECIALTY])}
    return pd.concat([head, pd.DataFrame(body)], axis=1)
