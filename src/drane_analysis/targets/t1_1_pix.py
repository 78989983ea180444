"""Target 1.1 — pupils' digital skills and Pix certification.

Indicators (``params/targets/1.1-pix.yaml``):

- ``pix_orga_activation_rate``: share of secondary establishments whose Pix Orga space is
  *active* at the school year's January snapshot (``pix_orga``);
- ``pix_orga_campaign_rate``: share that launched a campaign between the back-to-school
  and the snapshot;
- ``pix_certification_rate_3e`` / ``_terminale``: distinct pupils whose Pix certification
  (type « Pix ») is *Validée* over pupils enrolled in 3e / terminale (DEPP enrolment files) —
  collèges and EREA for 3e, lycées for terminale (general, technological and vocational
  tracks);
- ``pix_mean_score_3e`` / ``_terminale``: mean score of the same certified pupils (one
  score each: their latest validated certification), against 128 and 256 pix.

Pupils, not certification rows: the Pix Certif export has no pupil identifier, so the
reader numbers the distinct pupils of the exports (``pupil_id``, from their names and birth
date, which are then dropped; :class:`~drane_analysis.sources.base.PersonKey`). A pupil who
sat twice in a year in the same establishment counts once; CléA Numérique and Pix+
certifications, listed as rows of their own in the current export, are not the Pix
certification and count neither in the rate nor in the score.

Numerator and denominator describe the same population: an establishment counts only when
its pupils of the level are in the enrolment files of the year, and a lycée only when the
files of every track it teaches are there (a lycée polyvalent needs both the general and
technological file and the vocational one, and must be listed in both — its candidates
cannot be split by track). The establishments left out are listed by
:func:`unrated_certifications`, and the rate says how much it lost (``coverage``,
``coverage_note``: :func:`rate_coverage`, :mod:`drane_analysis.coverage`); so do the mean
scores (:func:`score_coverage`). More certified pupils
than enrolled in an establishment (enrolment counted at the back-to-school, pupils arriving
later, candidates of other classes) is not capped: the rate stays Σ certified / Σ enrolled
and the indicator's note says how many establishments exceed their enrolment and what the
rate would be with each capped at it (:func:`excess_note`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..sources.pix import PIX_ORGA_STATUS_LABELS, is_pix_certification, persons
from ..stats import BREAKDOWN_TEST_COLUMNS, cluster_rate_table, rate_table

TARGET = "1.1"
TERMINALE_LEVELS = ("tle_g", "tle_sti2d", "tle_stl", "tle_stmg", "tle_st2s", "tle_std2a", "tle_pro")
LEVEL_OF_KIND = {"college": "3e", "erea": "3e", "lycee": "terminale"}
# The enrolment files a lycée's terminale pupils are in, by lycée type (annuaire nature
# code); a lycée polyvalent or of unknown type needs both.
LYCEE_FILES = ("effectifs_lycee_gt", "effectifs_lycee_pro")
FILES_OF_LYCEE_TYPE = {"LEGT": ("effectifs_lycee_gt",), "LP": ("effectifs_lycee_pro",)}
# Why an establishment's certified pupils leave the rate (``{s}``: the plural's « s »;
# coverage.measure). The rate's coverage counts the pupils of each.
UNRATED_REASONS = {
    "no_enrolment": "établissement{s} sans élèves inscrits au niveau dans les fichiers d'effectifs de l'année",
    "track_file_missing": "lycée{s} dont le fichier d'effectifs d'une voie manque pour l'année",
    "track_absent": "lycée{s} polyvalent{s} présent{s} dans un seul des deux fichiers d'effectifs de l'année",
    "no_level": "établissement{s} inconnu{s} de l'annuaire ou ni collège, ni EREA, ni lycée (niveau inconnu)",
}
# Why enrolled pupils leave the rate's denominator.
ENROLLED_REASONS = {
    "not_in_annuaire": "établissement{s} des fichiers d'effectifs inconnu{s} de l'annuaire",
    "track_file_missing": UNRATED_REASONS["track_file_missing"],
    "track_absent": UNRATED_REASONS["track_absent"],
}
ATTRIBUTES = ["academy", "department", "department_label", "kind", "sector", "territory", "priority_education"]
STATUS_ORDER = ("active", "imported", "not_imported", "not_activated")
# The score bands of the histogram of certified pupils' scores (pix).
SCORE_BINS = np.arange(0, 769, 32)


# --------------------------------------------------------------------------- building blocks


def orga(data: Data) -> pd.DataFrame:
    return data.memo("orga", lambda: _orga(data))


def _orga(data: Data) -> pd.DataFrame:
    """One row per (period, uai) of the Pix Orga snapshot used for the school year.

    The snapshot of a school year is its January one (the latest dated on or before
    31 January), as in the roadmap's progress point; failing that, the latest of the year.
    """
    snap = data.source("pix_orga")
    dates = snap[["period", "snapshot_date"]].drop_duplicates()
    january = pd.to_datetime(dates["period"].str.slice(5, 9) + "-01-31")
    dates = dates.assign(_early=dates["snapshot_date"] <= january)
    chosen = (dates.sort_values(["period", "_early", "snapshot_date"])
              .groupby("period").tail(1)[["period", "snapshot_date"]])
    snap = snap.merge(chosen, on=["period", "snapshot_date"])
    est = data.establishments()
    out = snap.drop(columns=["department", "academy"]).merge(est[["uai", *ATTRIBUTES]], on="uai", how="left")
    out["academy"] = out["academy"].fillna(snap["academy"])
    out["is_active"] = (out["status"] == "active").astype(int)
    out["has_campaign"] = out["launched_campaign"].fillna(False).astype(int)
    out["one"] = 1
    return out


def eligible_pupils(data: Data) -> pd.DataFrame:
    return data.memo("eligible_pupils", lambda: _eligible_pupils(data))


def _eligible_pupils(data: Data) -> pd.DataFrame:
    """Pupils enrolled in the certification levels: uai, period, level (3e/terminale), eligible."""
    parts = []
    college = data.source("effectifs_college")
    parts.append(college[college["level"] == "3e"].assign(cert_level="3e"))
    for name in ("effectifs_lycee_gt", "effectifs_lycee_pro"):
        if data.has(name):
            frame = data.source(name)
            parts.append(frame[frame["level"].isin(TERMINALE_LEVELS)].assign(cert_level="terminale"))
    pupils = pd.concat(parts, ignore_index=True)
    out = (pupils.groupby(["uai", "period", "cert_level"], observed=True)["pupils"].sum().reset_index()
           .rename(columns={"cert_level": "level", "pupils": "eligible"}))
    return out


def pupil_results(data: Data) -> pd.DataFrame:
    return data.memo("pix_pupil_results", lambda: _pupil_results(data))


def _pupil_results(data: Data) -> pd.DataFrame:
    """One row per pupil, establishment and school year who sat the Pix certification.

    Only the certification of type « Pix » (or without type: the v2-era export) counts;
    cancelled and in-error certifications are left out. A pupil is ``certified`` (1) when
    one of their certifications of the year in the establishment is validated; ``score`` is
    that of their latest validated one (by exam date, the higher score on the same day),
    missing when none is. ``certifications`` is the number of rows of the pupil merged.

    Columns: uai, period, pupil, department, academy, certified, score, certifications.
    """
    cert = data.source("pix_certification")
    wanted = ["uai", "period", "pupil_id", "department", "academy", "status", "score", "exam_date",
              "certification_type"]
    cert = cert[[c for c in wanted if c in cert.columns]]  # the columns used, before any row is copied
    sat = cert[(cert["status"].isin(["validated", "not_obtained"]) & is_pix_certification(cert)).to_numpy()]
    pupil = persons(sat, "pupil_id")
    # One integer per (uai, period, pupil), in the order of the three keys (sorted codes).
    codes = [pd.factorize(col, sort=True) for col in (sat["uai"], sat["period"], pupil)]
    key = np.zeros(len(sat), dtype=np.int64)
    for c, uniques in codes:
        key = key * max(len(uniques), 1) + c
    validated = (sat["status"] == "validated").to_numpy()
    score = sat["score"].astype("Float64").where(validated)
    exam = sat["exam_date"].to_numpy("datetime64[ns]").view("i8") if "exam_date" in sat else np.zeros(len(sat), "i8")
    # The row kept for a pupil is the last of: not validated first, then by date, then score
    # (missing first), then the file order: a lexicographic sort, group by group.
    order = np.lexsort((np.arange(len(sat)), score.to_numpy(dtype=float, na_value=-np.inf), exam, validated, key))
    sorted_key = key[order]
    last = np.flatnonzero(np.r_[sorted_key[1:] != sorted_key[:-1], True]) if len(sat) else np.array([], int)
    first = np.r_[0, last[:-1] + 1] if len(last) else last
    rows = order[last]

    def kept(col: pd.Series) -> pd.Series:
        return col.iloc[rows].astype("string").reset_index(drop=True)

    return pd.DataFrame({
        "uai": kept(sat["uai"]), "period": kept(sat["period"]), "pupil": kept(pupil),
        "department": kept(sat["department"]) if "department" in sat else pd.NA,
        "academy": kept(sat["academy"]) if "academy" in sat else pd.NA,
        "certified": validated[rows].astype(int),
        "score": score.iloc[rows].reset_index(drop=True),
        "certifications": (last - first + 1).astype(np.int64),
    })


def _rateable(data: Data) -> pd.DataFrame:
    return data.memo("pix_rateable", lambda: _rateable_frame(data))


def _rateable_frame(data: Data) -> pd.DataFrame:
    """Enrolled pupils of each establishment's certification level, with ``rated``.

    One row per (uai, period): level (from the kind), eligible, lycee_type, ``reason`` and
    ``rated`` (``reason`` empty). A lycée leaves both terms of the rate (its candidates
    cannot be split by track) when one of its tracks' enrolment files lacks the school year
    (``track_file_missing``) or, for a lycée polyvalent, when only one of the two files
    lists it that year (``track_absent``: the other track's pupils are unknown).
    """
    est = data.establishments()
    eligible = eligible_pupils(data)
    kinds = est[["uai", "kind"]].assign(level_of_kind=lambda f: f["kind"].map(LEVEL_OF_KIND),
                                        lycee_type=est.get("lycee_type", pd.NA))
    eligible = eligible.merge(kinds[["uai", "level_of_kind", "lycee_type"]], on="uai", how="inner")
    eligible = eligible[eligible["level"] == eligible["level_of_kind"]].drop(columns="level_of_kind")
    missing = _track_file_missing(data, eligible).to_numpy()
    absent = _track_absent(data, eligible).to_numpy()
    eligible["reason"] = np.where(missing, "track_file_missing", np.where(absent, "track_absent", ""))
    eligible["rated"] = eligible["reason"] == ""
    return eligible.reset_index(drop=True)


def _lycee_file_years(data: Data) -> dict[str, set[str]]:
    """The school years each lycée enrolment file covers (empty when the file is absent)."""
    return {name: set(data.source(name)["period"].dropna().astype(str)) if data.has(name) else set()
            for name in LYCEE_FILES}


def _track_file_missing(data: Data, frame: pd.DataFrame) -> pd.Series:
    """True for the terminale rows (a lycée and year) whose lycée type needs a missing file."""
    years = _lycee_file_years(data)
    missing = []
    for level, lycee_type, period in zip(frame["level"], frame["lycee_type"], frame["period"], strict=True):
        if level != "terminale":
            missing.append(False)
            continue
        files = FILES_OF_LYCEE_TYPE.get(lycee_type if isinstance(lycee_type, str) else "", LYCEE_FILES)
        missing.append(any(str(period) not in years[f] for f in files))
    return pd.Series(missing, index=frame.index, dtype=bool)


def _track_absent(data: Data, frame: pd.DataFrame) -> pd.Series:
    """True for the terminale rows of a lycée polyvalent missing from one of the two files
    of the year (the file covers the year but does not list it).

    Its pupils of that track are unknown while all its candidates would count: left in, a
    lycée polyvalent listed in the vocational file only would add all its certified pupils
    over its vocational pupils alone (what national GT files whose UAIs do not match the
    annuaire did: a rate of 74 % instead of 31 %).
    """
    listed = {name: set(zip(data.source(name)["uai"], data.source(name)["period"].astype(str), strict=True))
              if data.has(name) else set() for name in LYCEE_FILES}
    out = [level == "terminale" and lycee_type == "LPO" and any((uai, str(period)) not in listed[f] for f in LYCEE_FILES)
           for level, lycee_type, uai, period in zip(frame["level"], frame["lycee_type"], frame["uai"],
                                                     frame["period"], strict=True)]
    return pd.Series(out, index=frame.index, dtype=bool)


def _counts(data: Data) -> pd.DataFrame:
    """Candidates and certified pupils per (uai, period)."""
    return (pupil_results(data).assign(candidates=1)
            .groupby(["uai", "period"], observed=True)[["candidates", "certified"]].sum().reset_index())


def certification_by_establishment(data: Data) -> pd.DataFrame:
    return data.memo("certification_by_establishment", lambda: _certification_by_establishment(data), persist=True)


def _certification_by_establishment(data: Data) -> pd.DataFrame:
    """One row per (period, uai) rated: level, eligible, candidates, certified, with attributes.

    ``candidates`` and ``certified`` count distinct pupils (:func:`pupil_results`). The level
    follows the establishment's kind (collège and EREA: 3e; lycée: terminale).
    Establishments with enrolled pupils but no session count with 0 certified; lycées with
    a track's enrolment file missing for the year (or, polyvalent, listed in one file only),
    and sessions of establishments without enrolment data, are left out of both terms
    (:func:`unrated_certifications`; what this loses: :func:`rate_coverage`).
    """
    est = data.establishments()
    eligible = _rateable(data)
    eligible = eligible[eligible["rated"]].drop(columns=["rated", "reason", "lycee_type"])
    out = eligible.merge(_counts(data), on=["uai", "period"], how="left")
    out[["candidates", "certified"]] = out[["candidates", "certified"]].fillna(0).astype(int)
    out = out.merge(est[["uai", *ATTRIBUTES]], on="uai", how="left")
    out = data.with_ips(out)
    out = out[out["academy"].isin(list(referential.ACADEMIES))]
    return out.reset_index(drop=True)


def unrated_certifications(data: Data) -> pd.DataFrame:
    """Sessions that no rate counts: per (uai, period), candidates and certified pupils.

    ``reason`` (:data:`UNRATED_REASONS`): ``track_file_missing`` (a lycée whose tracks are
    not all in the year's enrolment files: LP without the vocational file, LEGT without the
    general and technological one, LPO or unknown type without either), ``track_absent`` (a
    lycée polyvalent listed in one of the two files of the year only), ``no_level`` (an
    establishment the annuaire does not list as collège, EREA or lycée, or does not list)
    or ``no_enrolment`` (no enrolled pupils of the establishment's level that year).
    Columns: uai, period, department, academy, candidates, certified, reason.
    """
    return data.memo("pix_unrated_certifications", lambda: _unrated_certifications(data))


def _unrated_certifications(data: Data) -> pd.DataFrame:
    counts = _counts(data)
    where = pupil_results(data).drop_duplicates(["uai", "period"])[["uai", "period", "department", "academy"]]
    rateable = _rateable(data)[["uai", "period", "reason"]]
    merged = counts.merge(rateable, on=["uai", "period"], how="left")
    out = merged[merged["reason"] != ""].reset_index(drop=True)  # a missing reason: no rateable row
    # Establishments without a rateable row: no level, a lycée's track file missing, or none enrolled.
    est = data.establishments()
    lycees = out[["uai", "period"]].merge(
        est[["uai", "kind"] + (["lycee_type"] if "lycee_type" in est else [])], on="uai", how="left")
    lycees["level"] = lycees["kind"].map(LEVEL_OF_KIND)
    if "lycee_type" not in lycees:
        lycees["lycee_type"] = pd.NA
    missing = _track_file_missing(data, lycees.fillna({"level": ""})).to_numpy()
    fallback = np.where(lycees["level"].isna().to_numpy(), "no_level",
                        np.where(missing, "track_file_missing", "no_enrolment"))
    out["reason"] = np.where(out["reason"].isna().to_numpy(), fallback, out["reason"].astype(object).to_numpy())
    out = out.merge(where, on=["uai", "period"], how="left")
    cols = ["uai", "period", "department", "academy", "candidates", "certified", "reason"]
    return out[cols].sort_values(["period", "uai"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- coverage of the joins


def certified_coverage(data: Data) -> pd.DataFrame:
    """The rates' numerator join: each establishment's certified pupils, counted or not.

    One row per (uai, period) with a Pix session: academy, level (from the annuaire's kind;
    missing when unknown), candidates, certified, and ``lost``: empty when the rate counts
    the establishment, else its reason (:data:`UNRATED_REASONS`).
    """
    return data.memo("pix_certified_coverage", lambda: _certified_coverage(data))


def _certified_coverage(data: Data) -> pd.DataFrame:
    counts = _counts(data)
    where = pupil_results(data).drop_duplicates(["uai", "period"])[["uai", "period", "academy"]]
    est = data.establishments()
    out = counts.merge(where, on=["uai", "period"], how="left")
    out["level"] = out["uai"].map(est.drop_duplicates("uai").set_index("uai")["kind"]).map(LEVEL_OF_KIND)
    unrated = unrated_certifications(data)[["uai", "period", "reason"]]
    out = out.merge(unrated, on=["uai", "period"], how="left")
    out["lost"] = out.pop("reason").fillna(coverage.KEPT)
    return out


def enrolled_coverage(data: Data) -> pd.DataFrame:
    """The rates' denominator join: each establishment's enrolled pupils, counted or not.

    One row per (uai, period, level) of the enrolment files whose level is the
    establishment's (or whose UAI the annuaire lacks): academy, eligible, ``lost`` (empty,
    ``not_in_annuaire``, ``track_file_missing`` or ``track_absent``). Pupils of a level the
    establishment does not certify (an EREA's terminale) are outside the definition, not lost.
    """
    return data.memo("pix_enrolled_coverage", lambda: _enrolled_coverage(data))


def _enrolled_coverage(data: Data) -> pd.DataFrame:
    est = data.establishments().drop_duplicates("uai").set_index("uai")
    out = eligible_pupils(data).copy()
    at = est.index.get_indexer(out["uai"])
    known = at >= 0
    level_of_kind = est["kind"].map(LEVEL_OF_KIND).to_numpy(dtype=object)[np.where(known, at, 0)]
    out = out[~known | (out["level"].to_numpy(dtype=object) == level_of_kind)].reset_index(drop=True)
    at = est.index.get_indexer(out["uai"])
    known = at >= 0
    academy = est["academy"].astype("string").to_numpy(dtype=object)[np.where(known, at, 0)]
    out["academy"] = pd.Series(np.where(known, academy, None), dtype="string").fillna(
        coverage.academy_of_uai(out["uai"]))
    reasons = _rateable(data)[["uai", "period", "level", "reason"]]
    out = out.merge(reasons, on=["uai", "period", "level"], how="left")
    out["lost"] = np.where(known, out.pop("reason").fillna(coverage.KEPT).astype(object), "not_in_annuaire")
    return out


def rate_coverage(data: Data, level: str) -> pd.DataFrame:
    """Coverage of the certification rate of ``level`` per scope and year (:mod:`.coverage`).

    Two joins: the certified pupils the rate counts, out of those of the level's
    establishments and of establishments of unknown level (counted for both levels: a
    lower bound); the enrolled pupils it counts, out of those of the files. And the
    export: the enrolled pupils of an academy with no session at all in the Pix export of
    the year (its folders missing) would count 0 certified. The lowest coverage, every
    sentence.
    """
    cert = certified_coverage(data)
    cert = cert[(cert["level"] == level).fillna(False).to_numpy() | cert["level"].isna().to_numpy()]
    enrolled = enrolled_coverage(data)
    rated = certification_by_establishment(data)
    rated = rated[rated["level"] == level]
    exported = _exported(data)
    return coverage.combine(
        coverage.measure(cert, UNRATED_REASONS, whom="élève{s} certifié{s}", weight="certified", scopes=data.scopes),
        coverage.measure(enrolled[enrolled["level"] == level], ENROLLED_REASONS, whom="élève{s} inscrit{s}",
                         weight="eligible", scopes=data.scopes),
        # An academy without any session in the export that year: its pupils would count 0 certified.
        coverage.academies_missing(rated, zip(exported["academy"], exported["period"], strict=True),
                                   "de l'export Pix Certif", whom="élève{s} inscrit{s}", weight="eligible",
                                   scopes=data.scopes))


def _exported(data: Data) -> pd.DataFrame:
    """The (academy, period) pairs the Pix Certif export holds a row for (academy from the UAI
    where the export lacks it)."""
    return data.memo("pix_exported_academies", lambda: _exported_pairs(data))


def _exported_pairs(data: Data) -> pd.DataFrame:
    src = data.source("pix_certification")
    pairs = src[["uai", "period"] + (["academy"] if "academy" in src else [])].drop_duplicates(["uai", "period"])
    academy = coverage.academy_of_uai(pairs["uai"].astype("string"))
    if "academy" in pairs:
        academy = pairs["academy"].astype("string").fillna(academy)
    return pd.DataFrame({"academy": academy.to_numpy(), "period": pairs["period"].to_numpy()}).drop_duplicates()


def score_coverage(data: Data, level: str) -> pd.DataFrame:
    """Coverage of the mean score of ``level``: the scored pupils of establishments whose
    level the annuaire does not give are out of both scores (counted for both levels)."""
    res = pupil_results(data)
    scored = res[(res["certified"] == 1) & res["score"].notna()]
    per = scored.groupby(["uai", "period", "academy"], observed=True).size().rename("scored").reset_index()
    kind = data.establishments().drop_duplicates("uai").set_index("uai")["kind"]
    per["level"] = per["uai"].map(kind).map(LEVEL_OF_KIND)
    per = per[(per["level"] == level).fillna(False).to_numpy() | per["level"].isna().to_numpy()]
    per["lost"] = np.where(per["level"].isna(), "no_level", coverage.KEPT)
    return coverage.measure(per, {"no_level": UNRATED_REASONS["no_level"]}, whom="élève{s} certifié{s}",
                            weight="scored", subject="score moyen calculé", scopes=data.scopes)


def excess_note(part: pd.DataFrame) -> str:
    """The note of a rate whose establishments count more certified pupils than enrolled.

    ``part``: establishments (``certified``, ``eligible``) of one scope and school year.
    Empty when none does. The value is not capped; the note gives the number of such
    establishments, the pupils beyond their enrolment, and the rate with each establishment
    capped at its enrolment (a lower bound of the reading « share of the enrolled »).
    """
    from ..formatting import fmt_value, fr_number

    over = part[part["certified"] > part["eligible"]]
    if over.empty:
        return ""
    excess = int((over["certified"] - over["eligible"]).sum())
    den = float(part["eligible"].sum())
    capped = float(np.minimum(part["certified"], part["eligible"]).sum()) / den * 100 if den > 0 else np.nan
    return (f"{fr_number(len(over))} établissement(s) comptent plus d'élèves certifiés que d'inscrits "
            f"(+{fr_number(excess)}) ; plafonné aux inscrits de chacun : {fmt_value(capped, 'percent')}")


def validated_scores(data: Data) -> pd.DataFrame:
    return data.memo("validated_scores", lambda: _validated_scores(data))


def _validated_scores(data: Data) -> pd.DataFrame:
    """One row per certified pupil (establishment and year): period, uai, level, score, attributes.

    The pupils of :func:`pupil_results` with a validated Pix certification, each with the
    score of their latest one; the level is the establishment's kind (no enrolment needed).
    """
    res = pupil_results(data)
    est = data.establishments()
    ok = res[(res["certified"] == 1) & res["score"].notna()]
    out = ok[["period", "uai", "score"]].merge(est[["uai", *ATTRIBUTES]], on="uai", how="inner")
    out["score"] = out["score"].astype(float)
    out["level"] = out["kind"].map(LEVEL_OF_KIND)
    out = data.with_ips(out)
    return out[out["level"].notna()].reset_index(drop=True)


def score_table(scores: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean score of certified pupils by groups, with establishments as clusters.

    ``scores``: :func:`validated_scores` rows (one per pupil). The mean is Σ scores /
    Σ pupils, a ratio of sums over establishments: its interval is the ratio estimator's
    (:func:`~drane_analysis.stats.cluster_rate_table`), pupils of one establishment being
    alike. Returns the columns of ``cluster_rate_table`` (``denominator``: pupils scored).
    """
    return cluster_rate_table(scores.assign(pupils=1), "score", "pupils", "uai", by=by, scale=1.0)


# --------------------------------------------------------------------------- series


def compute(data: Data) -> pd.DataFrame:
    """Every 1.1 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    orga_frame = orga(data)
    for indicator, column in (("pix_orga_activation_rate", "is_active"), ("pix_orga_campaign_rate", "has_campaign")):
        for scope, part in by_scope(orga_frame, scopes=data.scopes):
            table = rate_table(part, column, "one", by=["period"]).assign(academy=scope)
            rows += rate_rows(TARGET, indicator, table)  # establishments: independent units, Wilson
    cert = certification_by_establishment(data)
    scores = validated_scores(data)
    for level in ("3e", "terminale"):
        lv = cert[cert["level"] == level]
        sc = scores[scores["level"] == level]
        for scope, part in by_scope(lv, scopes=data.scopes):
            table = cluster_rate_table(part, "certified", "eligible", "uai", by=["period"]).assign(academy=scope)
            rates = rate_rows(TARGET, f"pix_certification_rate_{level}", table, interval="table")
            for row in rates:
                row["note"] = excess_note(part[part["period"] == row["period"]])
            rows += rates
        for scope, part in by_scope(sc, scopes=data.scopes):
            means = score_table(part, by=["period"])
            for rec in means.itertuples(index=False):
                rows.append({"target": TARGET, "indicator": f"pix_mean_score_{level}", "academy": scope,
                             "period": rec.period, "value": rec.value, "denominator": rec.denominator,
                             "ci_low": rec.ci_low, "ci_high": rec.ci_high})
    series = series_frame(rows)
    for level in ("3e", "terminale"):  # what the joins with the enrolment files and the annuaire lost
        series = coverage.attach(series, f"pix_certification_rate_{level}", rate_coverage(data, level), target=TARGET)
        series = coverage.attach(series, f"pix_mean_score_{level}", score_coverage(data, level), target=TARGET)
    return series


# --------------------------------------------------------------------------- breakdowns


def _scope_filter(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    return referential.in_scope(frame, scope)


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period, by ``department``, ``territory``, ``sector``…

    Returns the groups (``group`` code and French ``label``) with value, numerator,
    denominator and 95 % interval, sorted by label, and ``ci_method`` with what
    :func:`~drane_analysis.render.gap_sentence` needs to test a gap: Pix Orga spaces are
    establishments (independent units, Wilson); certified pupils and their scores are
    grouped in establishments (clusters).
    """
    if indicator.startswith("pix_orga_"):
        frame = orga(data)
        column = "is_active" if indicator == "pix_orga_activation_rate" else "has_campaign"
        frame = _scope_filter(frame[frame["period"] == period], scope)
        table = rate_table(frame, column, "one", by=[by]).assign(ci_method="wilson")
    elif indicator.startswith("pix_certification_rate_"):
        level = indicator.rsplit("_", 1)[1]
        frame = certification_by_establishment(data)
        frame = _scope_filter(frame[(frame["period"] == period) & (frame["level"] == level)], scope)
        table = cluster_rate_table(frame, "certified", "eligible", "uai", by=[by])
    elif indicator.startswith("pix_mean_score_"):
        level = indicator.rsplit("_", 1)[1]
        frame = validated_scores(data)
        frame = _scope_filter(frame[(frame["period"] == period) & (frame["level"] == level)], scope)
        table = score_table(frame, by=[by])
        table["numerator"] = np.nan
    else:
        raise KeyError(f"indicateur inconnu pour la cible 1.1 : {indicator}")
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: breakdown_label(by, v))
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label").reset_index(drop=True)


def status_distribution(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Share of establishments by Pix Orga status (and campaigns), with the roadmap's baseline.

    Columns: status, label, count, share (%), baseline_share (%, only for the baseline's
    school year and an academy scope).
    """
    frame = _scope_filter(orga(data), scope)
    frame = frame[frame["period"] == period]
    total = len(frame)
    counts = frame["status"].value_counts().reindex(list(STATUS_ORDER), fill_value=0)
    out = pd.DataFrame({"status": list(STATUS_ORDER),
                        "label": [PIX_ORGA_STATUS_LABELS[s] for s in STATUS_ORDER],
                        "count": counts.to_numpy()})
    launched = int(frame["has_campaign"].sum())
    out = pd.concat([out, pd.DataFrame({"status": ["campaign"], "label": ["A lancé une campagne de rentrée"],
                                        "count": [launched]})], ignore_index=True)
    out["share"] = out["count"] / total * 100 if total else np.nan
    out["baseline_share"] = np.nan
    base = _baseline(scope, period)
    if base:
        out["baseline_share"] = [base.get(s, {}).get("percent") if s == "campaign" else base.get(s)
                                 for s in out["status"]]
    out.attrs["total"] = total
    return out


def _baseline(scope: str, period: str) -> dict | None:
    from ..catalogue import load_catalogue

    target = load_catalogue().target(TARGET)
    base = target.baseline.get("pix_orga_status", {})
    date = pd.Timestamp(target.baseline.get("date", "2021-01-15"))
    if scope not in base or Period.of_date(date).label != period:
        return None
    return base[scope]


def baseline_check(data: Data) -> pd.DataFrame:
    """The roadmap's January 2021 table against the data, academy by academy.

    Columns: academy, status, roadmap (%), computed (%), roadmap_count, computed_count.
    Empty when the data do not cover the baseline's school year.
    """
    from ..catalogue import load_catalogue

    target = load_catalogue().target(TARGET)
    period = Period.of_date(pd.Timestamp(target.baseline["date"])).label
    rows = []
    for academy in target.baseline.get("pix_orga_status", {}):
        dist = status_distribution(data, academy, period)
        if dist.attrs.get("total", 0) == 0:
            continue
        for rec in dist.itertuples(index=False):
            rows.append({"academy": academy, "status": rec.status, "label": rec.label,
                         "roadmap": rec.baseline_share, "computed": rec.share,
                         "computed_count": rec.count, "total": dist.attrs["total"]})
    return pd.DataFrame(rows)


def score_distribution(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Validated scores of a scope and period (level, score) for histograms."""
    frame = _scope_filter(validated_scores(data), scope)
    return frame[frame["period"] == period][["level", "score", "territory"]].reset_index(drop=True)


def score_bins(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Certified pupils by score band (:data:`SCORE_BINS`) and level, for a scope and period.

    Columns: low, high (the band's bounds, pix), ``3e``, ``terminale`` (pupils).
    """
    scores = score_distribution(data, scope, period)
    out = pd.DataFrame({"low": SCORE_BINS[:-1], "high": SCORE_BINS[1:]})
    for level in ("3e", "terminale"):
        values = scores.loc[scores["level"] == level, "score"].astype(float) if not scores.empty else []
        out[level] = np.histogram(values, bins=SCORE_BINS)[0]
    return out


# --------------------------------------------------------------------------- caveats


def coverage_figures(data: Data, scope: str, period: str) -> dict:
    """The figures the report's caveats give, for a scope and school year.

    ``establishments``: :func:`certification_by_establishment` rows of the scope and year;
    ``no_session``: those that held no session; ``over``: those with more certified pupils
    than enrolled; ``merged``: certifications of the same pupil merged into one;
    ``other_types``: certifications of another type than Pix (CléA Numérique, Pix+…);
    ``unrated``: for each reason of :data:`UNRATED_REASONS` that occurs, the number of
    establishments left out of the rates and their candidates.
    """
    cert = certification_by_establishment(data)
    cur = referential.in_scope(cert[cert["period"] == period], scope)
    source = referential.in_scope(data.source("pix_certification"), scope)
    source = source[source["period"] == period]
    sat = source[source["status"].isin(["validated", "not_obtained"])]
    pix = sat[is_pix_certification(sat)]
    res = referential.in_scope(pupil_results(data), scope)
    res = res[res["period"] == period]
    unrated = referential.in_scope(unrated_certifications(data), scope)
    unrated = unrated[unrated["period"] == period]
    left_out = {}
    for reason in UNRATED_REASONS:
        part = unrated[unrated["reason"] == reason]
        if len(part):
            left_out[reason] = (len(part), part["candidates"].sum())
    return {
        "establishments": cur,
        "no_session": int((cur["candidates"] == 0).sum()),
        "over": len(cur[cur["certified"] > cur["eligible"]]),
        "merged": int(res["certifications"].sum()) - len(res),
        "other_types": len(sat) - len(pix),
        "unrated": left_out,
    }


def design_effects(cert: pd.DataFrame) -> list[tuple[str, float]]:
    """The design effect of each level's certification rate (levels with two establishments or more).

    ``cert``: :func:`certification_by_establishment` rows of a scope and year. The design
    effect is the variance of the rate with establishments as clusters over that of
    independent pupils.
    """
    effects = []
    for level in ("3e", "terminale"):
        part = cert[cert["level"] == level]
        if len(part) >= 2:
            deff = cluster_rate_table(part, "certified", "eligible", "uai").iloc[0]["design_effect"]
            if pd.notna(deff):
                effects.append((level, deff))
    return effects
