"""Target 3.4 — ENT: Lycée connecté, the collèges that join it, the écoles' ENT.

Indicators (``params/targets/3.4-ent.yaml``), all read from the ENT statistics exports
(``ent_comptes``, ``ent_acces``) joined to the ``annuaire``:

- ``ent_lycee_establishment_activation_rate`` (the roadmap's « 100 % d'activation »):
  **public lycées** of the annuaire, open in the year, whose Lycée connecté ENT is
  activated — at least one student and one teacher account activated at the reference month
  (June, else the latest month exported for the establishment) —, over the public lycées
  (a lycée absent from the export is not activated); read like the écoles' indicator;
- ``ent_lycee_activation_rate`` (secondary, the stricter reading): activated over loaded
  accounts (students and teachers) of the public lycées on ``lycee-connecte``, at the
  reference month;
- ``ent_lycee_usage_rate`` (the roadmap's « +20 % du taux d'usage », against 2020-2021):
  accesses to applications per activated account (accesses summed over the year;
  accounts: monthly mean of the activated stock, for the profiles present in the access
  export), over the lycées and EREA of ``lycee-connecte``; 95 % interval of the ratio with
  establishments as clusters;
- ``ent_lycee_usage_growth`` (secondary): its year-on-year change (%); 95 % interval by the
  delta method with establishments as clusters (paired between the two years);
- ``ent_teachers_services_users``: teachers using a pedagogical service (Moodle, web
  conference, audio rooms) — with monthly unique visitors only, the **lower bound** of
  the peak month (the most used service of each establishment); the upper bound (sum over
  the services) is given beside it;
- ``ent_college_departments_shared``: departments with at least one collège (kind from the
  ``annuaire``) on ``lycee-connecte`` in the year;
- ``ent_ecole_activation_rate``: public écoles (``annuaire``, open in the year) with at
  least one activated account on ``ecoles`` in the year, over public écoles.

Beyond the headline: accesses per account by year, the teachers' services in detail, the
collèges' platforms by department, and the **monthly usage with its school-year
seasonality** (:func:`monthly_usage`, :func:`seasonal_profile`).

Generic helpers other targets may reuse: :func:`account_year` (the accounts export
aggregated once per establishment, profile and year), :func:`ratio_table` (ratio of sums
with an establishment-clustered interval) and :func:`newcombe_interval`.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from .. import coverage, referential
from ..data import Data, breakdown_label
from ..indicators import by_scope, rate_rows, series_frame
from ..periods import Period
from ..privacy import linked_breakdown
from ..stats import (  # noqa: F401  (shared statistics)
    BREAKDOWN_TEST_COLUMNS,
    cluster_rate_table,
    cluster_ratio,
    mean_interval,
    newcombe_interval,
    normal_quantile,
    rate_table,
    ratio_table,
    t_quantile,
    wilson_interval,
)

TARGET = "3.4"
REFERENCE_MONTH = 6
LYCEE_PLATFORM = "lycee-connecte"
ECOLE_PLATFORM = "ecoles"
ACTIVATION_PROFILES = ("student", "teacher")
USAGE_KINDS = ("lycee", "erea")
ATTRIBUTES = ["kind", "sector", "territory", "priority_education", "department_label"]
PROFILE_LABELS = {"student": "Élèves", "teacher": "Enseignants", "parent": "Parents", "staff": "Personnels",
                  "other": "Autres"}
PLATFORM_FAMILIES = {"lycee": "Lycée connecté", "colleges": "ENT départementaux des collèges",
                     "ecoles": "ENT des écoles"}
# Pedagogical services of the roadmap, matched on the application's name (lower case, no accents).
SERVICE_PATTERNS = ("moodle", "webconf", "web conf", "classe virtuelle", "classes virtuelles", "visioconf",
                    "salle audio", "salles audio")
MONTH_LABELS = ("sept.", "oct.", "nov.", "déc.", "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août")
Z = normal_quantile(0.975)


# --------------------------------------------------------------------------- generic helpers


def platform_family(platform: str) -> str:
    """``lycee-connecte`` → ``lycee``, ``colleges-86`` → ``colleges``, ``ecoles`` → ``ecoles``."""
    if platform == LYCEE_PLATFORM:
        return "lycee"
    if str(platform).startswith("colleges-"):
        return "colleges"
    return "ecoles"


def is_pedagogical_service(name: str) -> bool:
    """True for Moodle, web conference / virtual class and audio rooms (accents and case ignored)."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return any(p in text for p in SERVICE_PATTERNS)


def growth_interval(cur_num: np.ndarray, cur_den: np.ndarray, prev_num: np.ndarray,
                    prev_den: np.ndarray) -> tuple[float, float, float]:
    """Change (%) of a ratio of sums between two years, with a 95 % interval.

    The four arrays are aligned on the same establishments (0 where absent a year). The
    interval is the delta method on the log of the ratio of ratios, establishments as
    paired clusters, Student with establishments − 1 degrees of freedom. Returns (value,
    low, high) in %; NaN when a total is zero.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (cur_num, cur_den, prev_num, prev_den))
    totals = [v.sum() for v in (a, b, c, d)]
    if min(totals) <= 0:
        return float("nan"), float("nan"), float("nan")
    big_a, big_b, big_c, big_d = totals
    g = (big_a / big_b) / (big_c / big_d)
    n = len(a)
    if n < 2:
        return float((g - 1) * 100), float("nan"), float("nan")
    u = a / big_a - b / big_b - c / big_c + d / big_d
    se = float(np.sqrt(n / (n - 1) * np.sum(u ** 2)))
    lg = np.log(g)
    crit = float(t_quantile(0.975, n - 1))
    return float((g - 1) * 100), float((np.exp(lg - crit * se) - 1) * 100), float((np.exp(lg + crit * se) - 1) * 100)


def _label(by: str, value: object) -> str:
    if by == "profile":
        return PROFILE_LABELS.get(str(value), str(value))
    if by == "platform_family":
        return PLATFORM_FAMILIES.get(str(value), str(value))
    return breakdown_label(by, value)


def sorted_periods(values) -> list[str]:
    """The distinct school years of ``values`` in time order (missing values left out)."""
    return sorted({str(v) for v in values if pd.notna(v)}, key=lambda p: Period.parse(p).start)


# --------------------------------------------------------------------------- building blocks


def account_year(data: Data) -> pd.DataFrame:
    """The accounts export aggregated once: one row per (platform, period, uai, profile).

    Columns: platform, family, period, uai, academy, department, profile, months,
    ref_month (the reference month: June, else the latest month exported), loaded and
    activated (stocks at the reference month), activated_mean (mean monthly stock),
    connections (sum over the months), ever_activated (an activated account in some
    month), plus the annuaire's attributes (``kind`` missing when the UAI is unknown).
    """
    return data.memo("t34_account_year", lambda: _account_year(data))


def _account_year(data: Data) -> pd.DataFrame:
    c = data.source("ent_comptes")
    keys = ["platform", "period", "uai", "profile"]
    if c.empty:
        cols = [*keys, "family", "academy", "department", "months", "ref_month", "loaded", "activated",
                "activated_mean", "connections", "ever_activated", *ATTRIBUTES]
        return pd.DataFrame(columns=cols)
    month = c["month"].dt.month.to_numpy()
    prio = np.where(month == REFERENCE_MONTH, 12, (month - 9) % 12)
    gid = c.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    ng = int(gid.max()) + 1
    loaded = c["accounts_loaded"].to_numpy(dtype="float64", na_value=0.0)
    activated = c["accounts_activated"].to_numpy(dtype="float64", na_value=0.0)
    connections = c["connections"].to_numpy(dtype="float64", na_value=0.0)
    order = np.lexsort((prio, gid))
    sorted_gid = gid[order]
    last = np.r_[np.nonzero(np.diff(sorted_gid))[0], len(order) - 1]
    first = np.r_[0, last[:-1] + 1]
    ref_rows = order[last]
    months = np.bincount(gid, minlength=ng)
    out = c.iloc[order[first]][[*keys, "academy", "department"]].reset_index(drop=True)
    out["months"] = months
    out["ref_month"] = month[ref_rows]
    out["loaded"] = loaded[ref_rows]
    out["activated"] = activated[ref_rows]
    out["activated_mean"] = np.bincount(gid, weights=activated, minlength=ng) / months
    out["connections"] = np.bincount(gid, weights=connections, minlength=ng)
    out["ever_activated"] = np.bincount(gid, weights=(activated > 0).astype(float), minlength=ng) > 0
    out["family"] = out["platform"].map(platform_family)
    est = data.establishments()
    out = out.merge(est[["uai", *ATTRIBUTES]], on="uai", how="left")
    return out


def lycee_activation(data: Data) -> pd.DataFrame:
    """Students' and teachers' accounts of the public lycées on Lycée connecté.

    One row per (period, uai, profile): loaded, activated (reference month), attributes.
    """
    return data.memo("t34_lycee_activation", lambda: _lycee_activation(data))


def _lycee_activation(data: Data) -> pd.DataFrame:
    acc = account_year(data)
    keep = ((acc["platform"] == LYCEE_PLATFORM) & acc["profile"].isin(ACTIVATION_PROFILES)
            & (acc["kind"] == "lycee") & (acc["sector"] == "public"))
    return acc[keep].reset_index(drop=True)


def lycee_establishments(data: Data) -> pd.DataFrame:
    """Public lycées open in each year of Lycée connecté's export, and whether their ENT is activated.

    One row per (period, uai): ``activated`` (1 when the lycée has at least one activated
    account of each profile of :data:`ACTIVATION_PROFILES` at its reference month),
    ``in_export`` (1 when the lycée is in the year's export), ``one``, attributes. A public
    lycée absent from the export is not activated.
    """
    return data.memo("t34_lycee_establishments", lambda: _lycee_establishments(data))


def _lycee_establishments(data: Data) -> pd.DataFrame:
    lyc = lycee_activation(data)
    acc = account_year(data)
    periods = sorted_periods(acc.loc[acc["platform"] == LYCEE_PLATFORM, "period"].unique())
    est = data.establishments()
    public = est[(est["kind"] == "lycee") & (est["sector"] == "public")]
    per_profile = lyc[lyc["activated"] > 0].groupby(["period", "uai"], observed=True)["profile"].nunique()
    activated = per_profile[per_profile >= len(ACTIVATION_PROFILES)].reset_index()
    activated_sets = activated.groupby("period", observed=True)["uai"].agg(set).to_dict()
    present_sets = lyc.groupby("period", observed=True)["uai"].agg(set).to_dict()
    parts = []
    for period in periods:
        end = pd.Timestamp(Period.parse(period).last_day)
        open_est = public
        if "opening_date" in public:
            open_est = public[public["opening_date"].isna() | (public["opening_date"] <= end)]
        part = open_est[["uai", "academy", "department", *ATTRIBUTES]].copy()
        part["period"] = period
        part["activated"] = part["uai"].isin(activated_sets.get(period, set())).astype(int)
        part["in_export"] = part["uai"].isin(present_sets.get(period, set())).astype(int)
        part["one"] = 1
        parts.append(part)
    cols = ["period", "uai", "academy", "department", *ATTRIBUTES, "activated", "in_export", "one"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def lycee_usage(data: Data) -> pd.DataFrame:
    """Accesses and activated accounts of the lycées and EREA of Lycée connecté.

    One row per (period, uai): accesses (year), accounts (monthly mean of the activated
    stock, for the profiles found in the access export), academy, department, attributes.
    """
    return data.memo("t34_lycee_usage", lambda: _lycee_usage(data))


def _lycee_usage(data: Data) -> pd.DataFrame:
    acc = account_year(data)
    cols = ["period", "uai", "academy", "department", "accesses", "accounts", *ATTRIBUTES]
    if not data.has("ent_acces"):
        return pd.DataFrame(columns=cols)
    access = data.source("ent_acces")
    access = access[access["platform"] == LYCEE_PLATFORM]
    profiles = set(access["profile"].dropna().unique())
    acc = acc[(acc["platform"] == LYCEE_PLATFORM) & acc["kind"].isin(USAGE_KINDS) & acc["profile"].isin(profiles)]
    accounts = acc.groupby(["period", "uai"], observed=True)["activated_mean"].sum().rename("accounts")
    counts = (access.assign(accesses=access["accesses"].to_numpy(dtype="float64", na_value=0.0))
              .groupby(["period", "uai"], observed=True)["accesses"].sum())
    est = data.establishments().set_index("uai")
    out = pd.concat([counts, accounts], axis=1).fillna(0.0).reset_index()
    out = out.join(est[["kind", "academy", "department", *[a for a in ATTRIBUTES if a != "kind"]]], on="uai")
    out = out[out["kind"].isin(USAGE_KINDS)]
    return out[cols].reset_index(drop=True)


def teacher_service_months(data: Data) -> pd.DataFrame:
    """Teachers' monthly unique visitors of each pedagogical service, per establishment.

    Columns: period, month, uai, academy, department, service, users (NaN where the
    export has no ``Visiteurs uniques`` column).
    """
    return data.memo("t34_teacher_service_months", lambda: _teacher_service_months(data))


def _teacher_service_months(data: Data) -> pd.DataFrame:
    cols = ["period", "month", "uai", "academy", "department", "service", "users"]
    if not data.has("ent_acces"):
        return pd.DataFrame(columns=cols)
    access = data.source("ent_acces")
    apps = pd.Series(access["application"].dropna().unique())
    services = set(apps[apps.map(is_pedagogical_service)])
    keep = (access["platform"] == LYCEE_PLATFORM) & (access["profile"] == "teacher") & access["application"].isin(
        services)
    part = access[keep]
    out = pd.DataFrame({
        "period": part["period"], "month": part["month"], "uai": part["uai"], "academy": part["academy"],
        "department": part["department"], "service": part["application"],
        "users": part["unique_visitors"].to_numpy(dtype="float64", na_value=np.nan),
    })
    return out.reset_index(drop=True)


def college_platforms(data: Data) -> pd.DataFrame:
    """Where each collège's accounts are: one row per (period, uai) of a collège in the export.

    Columns: period, uai, academy, department, on_lycee (on Lycée connecté), on_departmental.
    """
    return data.memo("t34_college_platforms", lambda: _college_platforms(data))


def _college_platforms(data: Data) -> pd.DataFrame:
    acc = account_year(data)
    col = acc[acc["kind"] == "college"]
    flags = col.assign(on_lycee=col["family"] == "lycee", on_departmental=col["family"] == "colleges")
    out = flags.groupby(["period", "uai", "academy", "department"], observed=True)[
        ["on_lycee", "on_departmental"]].any().reset_index()
    return out


def ecole_frame(data: Data) -> pd.DataFrame:
    """Public écoles open in each year with the écoles' ENT exported, and whether theirs is open.

    One row per (period, uai): has_ent (1 when an activated account exists on ``ecoles``
    in the year), one, commune_code (the cluster of the rate's interval), attributes. ``attrs["unknown_uai"]``: UAIs of the export that are
    not public écoles of the annuaire (not counted).
    """
    return data.memo("t34_ecole_frame", lambda: _ecole_frame(data))


def _ecole_frame(data: Data) -> pd.DataFrame:
    acc = account_year(data)
    eco = acc[acc["platform"] == ECOLE_PLATFORM]
    periods = sorted_periods(eco["period"].unique())
    est = data.establishments()
    public = est[(est["kind"] == "ecole") & (est["sector"] == "public")]
    opened = eco[eco["ever_activated"]].groupby("period", observed=True)["uai"].agg(set).to_dict()
    parts = []
    for period in periods:
        end = pd.Timestamp(Period.parse(period).last_day)
        open_est = public
        if "opening_date" in public:
            open_est = public[public["opening_date"].isna() | (public["opening_date"] <= end)]
        part = open_est[["uai", "academy", "department", "commune_code", *ATTRIBUTES]].copy()
        part["period"] = period
        part["has_ent"] = part["uai"].isin(opened.get(period, set())).astype(int)
        part["one"] = 1
        parts.append(part)
    cols = ["period", "uai", "academy", "department", "commune_code", *ATTRIBUTES, "has_ent", "one"]
    out = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    known = set(public["uai"])
    out.attrs["unknown_uai"] = int(eco.loc[~eco["uai"].isin(known), "uai"].nunique())
    return out


def monthly_connections(data: Data) -> pd.DataFrame:
    """Connections of every profile by (period, month, academy, department, family)."""
    return data.memo("t34_monthly_connections", lambda: _monthly_connections(data))


def _monthly_connections(data: Data) -> pd.DataFrame:
    c = data.source("ent_comptes")
    frame = pd.DataFrame({
        "period": c["period"], "month": c["month"], "academy": c["academy"], "department": c["department"],
        "platform": c["platform"], "connections": c["connections"].to_numpy(dtype="float64", na_value=0.0),
    })
    out = frame.groupby(["period", "month", "academy", "department", "platform"], observed=True)[
        "connections"].sum().reset_index()
    out["family"] = out["platform"].map(platform_family)
    return out


# --------------------------------------------------------------------------- coverage of the joins

#: Why rows of the ENT exports leave an indicator (``{s}``: plural; :mod:`..coverage`).
NOT_IN_ANNUAIRE = {"not_in_annuaire": "établissement{s} des exports ENT inconnu{s} de l'annuaire"}


def _unknown(frame: pd.DataFrame) -> np.ndarray:
    """``lost`` of each row: ``not_in_annuaire`` where the annuaire gave no kind."""
    return np.where(frame["kind"].isna().to_numpy(), "not_in_annuaire", coverage.KEPT)


def activation_coverage(data: Data) -> pd.DataFrame:
    """Coverage of ``ent_lycee_activation_rate``: the students' and teachers' accounts loaded
    on Lycée connecté for UAIs the annuaire lacks (their kind and sector unknown, they are
    left out) against those of the public lycées counted; and the academies absent from
    the export of the year."""
    acc = account_year(data)
    part = acc[(acc["platform"] == LYCEE_PLATFORM) & acc["profile"].isin(ACTIVATION_PROFILES)
               & (acc["kind"].isna() | ((acc["kind"] == "lycee") & (acc["sector"] == "public")))]
    # An academy absent from the Lycée connecté export of a year: the region without it.
    units = coverage.academy_units(sorted_periods(part["period"].unique()))
    return coverage.combine(
        coverage.measure(part.assign(lost=_unknown(part)), NOT_IN_ANNUAIRE,
                         whom="compte{s} élève{s} et enseignant{s} chargé{s}", weight="loaded", scopes=data.scopes),
        coverage.academies_missing(units, zip(part["academy"], part["period"], strict=True),
                                   "de l'export de Lycée connecté", whom="académie{s}", scopes=data.scopes))


def usage_coverage(data: Data, change: bool = True) -> pd.DataFrame:
    """Coverage of ``ent_lycee_usage_growth`` (``change``) or ``ent_lycee_usage_rate``:
    accesses on Lycée connecté of UAIs the annuaire lacks, over the school year (and the one
    before, for the change, which compares the two)."""
    if not data.has("ent_acces"):
        return pd.DataFrame(columns=["academy", "period", "coverage", "coverage_note"])
    access = data.source("ent_acces")
    access = access[access["platform"] == LYCEE_PLATFORM]
    per = (access.assign(accesses=access["accesses"].to_numpy(dtype="float64", na_value=0.0))
           .groupby(["period", "uai", "academy"], observed=True)["accesses"].sum().reset_index())
    per["kind"] = per["uai"].map(data.establishments().drop_duplicates("uai").set_index("uai")["kind"])
    per = per[per["kind"].isna() | per["kind"].isin(USAGE_KINDS)]
    per = per.assign(lost=_unknown(per), period=per["period"].astype(str))
    if not change:
        return coverage.measure(per, NOT_IN_ANNUAIRE, whom="accès de l'année", weight="accesses",
                                scopes=data.scopes)
    both = pd.concat([per, per.assign(period=[Period.parse(p).shift(1).label for p in per["period"]])],
                     ignore_index=True)
    both = both[both["period"].isin(set(per["period"]))]
    return coverage.measure(both, NOT_IN_ANNUAIRE, whom="accès de l'année et de la précédente", weight="accesses",
                            subject="évolution calculée", scopes=data.scopes)


def departments_coverage(data: Data) -> pd.DataFrame:
    """Coverage of ``ent_college_departments_shared``: establishments on Lycée connecté that
    the annuaire lacks (a collège among them would be missed) against its collèges."""
    acc = account_year(data)
    part = acc[(acc["platform"] == LYCEE_PLATFORM) & (acc["kind"].isna() | (acc["kind"] == "college"))]
    part = part.drop_duplicates(["period", "uai"])
    return coverage.measure(part.assign(lost=_unknown(part)), NOT_IN_ANNUAIRE,
                            whom="collège{s} ou établissement{s} inconnu{s} sur Lycée connecté", subject="nombre calculé",
                            scopes=data.scopes)


def ecole_coverage(data: Data) -> pd.DataFrame:
    """Coverage of ``ent_ecole_activation_rate``: écoles with an activated account on the
    écoles' ENT that the annuaire lacks (not counted) against the public écoles counted;
    and the public écoles of an academy absent from the export of the year."""
    acc = account_year(data)
    eco = acc[(acc["platform"] == ECOLE_PLATFORM) & acc["ever_activated"].astype(bool)]
    eco = eco[eco["kind"].isna() | ((eco["kind"] == "ecole") & (eco["sector"] == "public"))]
    eco = eco.drop_duplicates(["period", "uai"])
    exported = acc[acc["platform"] == ECOLE_PLATFORM]
    # An academy absent from the écoles' ENT export of a year: its écoles would all count 0.
    return coverage.combine(
        coverage.measure(eco.assign(lost=_unknown(eco)), NOT_IN_ANNUAIRE,
                         whom="école{s} dont un compte est activé", scopes=data.scopes),
        coverage.academies_missing(ecole_frame(data), zip(exported["academy"], exported["period"], strict=True),
                                   "de l'export de l'ENT des écoles", whom="école{s} publique{s}",
                                   scopes=data.scopes))


# --------------------------------------------------------------------------- indicators


def usage_growth(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Accesses per activated account by year and its year-on-year change, by groups.

    ``frame``: one row per (period, uai) with accesses and accounts (:func:`lycee_usage`).
    Returns period, ``by`` columns, accesses, accounts, per_account (with clustered
    interval per_account_low/high), value (change in % on the previous school year, NaN
    for a first year), ci_low, ci_high, establishments.
    """
    by = by or []
    rows = []
    periods = sorted_periods(frame["period"].unique())
    for period in periods:
        cur = frame[frame["period"] == period]
        prev_label = Period.parse(period).shift(-1).label
        prev = frame[frame["period"] == prev_label]
        groups = cur.groupby(by, observed=True, dropna=False) if by else [((), cur)]
        for key, part in groups:
            key = key if isinstance(key, tuple) else (key,)
            r, se, n = cluster_ratio(part["accesses"].to_numpy(float), part["accounts"].to_numpy(float))
            half = float(t_quantile(0.975, max(n - 1, 1))) * se
            row = {"period": period, **dict(zip(by, key, strict=True)), "accesses": float(part["accesses"].sum()),
                   "accounts": float(part["accounts"].sum()), "per_account": r,
                   "per_account_low": r - half, "per_account_high": r + half, "establishments": n,
                   "value": np.nan, "ci_low": np.nan, "ci_high": np.nan}
            p = prev
            for col, val in zip(by, key, strict=True):
                p = p[p[col] == val]
            if not p.empty:
                both = (part[["uai", "accesses", "accounts"]]
                        .merge(p[["uai", "accesses", "accounts"]], on="uai", how="outer", suffixes=("", "_prev"))
                        .fillna(0.0))
                row["value"], row["ci_low"], row["ci_high"] = growth_interval(
                    both["accesses"], both["accounts"], both["accesses_prev"], both["accounts_prev"])
            rows.append(row)
    cols = ["period", *by, "accesses", "accounts", "per_account", "per_account_low", "per_account_high",
            "establishments", "value", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def teacher_services_peak(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Teachers on pedagogical services at the peak month of each year, with its bounds.

    ``frame``: :func:`teacher_service_months` rows. For each month, the lower bound adds up
    each establishment's most used service, the upper bound every service (a teacher using
    two services counts twice); each bound is then taken at its peak month. Returns
    period, ``by`` columns, lower, lower_month, upper, upper_month.
    """
    by = by or []
    cols = ["period", *by, "lower", "lower_month", "upper", "upper_month"]
    f = frame.dropna(subset=["users"])
    if f.empty:
        return pd.DataFrame(columns=cols)
    per_est = f.groupby(["period", *by, "month", "uai"], observed=True)["users"].agg(["max", "sum"])
    monthly = per_est.groupby(["period", *by, "month"], observed=True).sum().reset_index()
    rows = []
    for key, part in monthly.groupby(["period", *by], observed=True):
        key = key if isinstance(key, tuple) else (key,)
        lo = part.loc[part["max"].idxmax()]
        hi = part.loc[part["sum"].idxmax()]
        rows.append({**dict(zip(["period", *by], key, strict=True)), "lower": float(lo["max"]),
                     "lower_month": lo["month"], "upper": float(hi["sum"]), "upper_month": hi["month"]})
    return pd.DataFrame(rows, columns=cols)


def departments_shared(platforms: pd.DataFrame, periods: list[str],
                       scopes: tuple[str, ...] = referential.SCOPES) -> pd.DataFrame:
    """Departments with a collège on Lycée connecté, per scope and period (0 when none).

    Returns academy (scope), period, value (count), departments (sorted codes, text).
    """
    rows = []
    for period in periods:
        on = platforms[(platforms["period"] == period) & platforms["on_lycee"]]
        for scope in scopes:
            wanted = set(referential.departments_of(scope))
            depts = sorted(set(on["department"].dropna()) & wanted)
            rows.append({"academy": scope, "period": period, "value": float(len(depts)),
                         "departments": ", ".join(depts)})
    return pd.DataFrame(rows, columns=["academy", "period", "value", "departments"])


def compute(data: Data) -> pd.DataFrame:
    """Every 3.4 indicator for each scope and each school year with data."""
    rows: list[dict] = []
    est = lycee_establishments(data)
    for scope, part in by_scope(est, scopes=data.scopes):
        table = rate_table(part, "activated", "one", by=["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "ent_lycee_establishment_activation_rate", table)
    lyc = lycee_activation(data)
    for scope, part in by_scope(lyc, scopes=data.scopes):
        table = cluster_rate_table(part, "activated", "loaded", "uai", by=["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "ent_lycee_activation_rate", table, interval="table")
    usage = lycee_usage(data)
    for scope, part in by_scope(usage, scopes=data.scopes):
        for rec in usage_growth(part).itertuples(index=False):
            rows.append({"target": TARGET, "indicator": "ent_lycee_usage_rate", "academy": scope,
                         "period": rec.period, "value": rec.per_account, "ci_low": rec.per_account_low,
                         "ci_high": rec.per_account_high, "numerator": rec.accesses, "denominator": rec.accounts})
            rows.append({"target": TARGET, "indicator": "ent_lycee_usage_growth", "academy": scope,
                         "period": rec.period, "value": rec.value, "ci_low": rec.ci_low, "ci_high": rec.ci_high,
                         "numerator": rec.per_account, "denominator": rec.establishments,
                         "note": "" if pd.notna(rec.value) else "pas d'année précédente dans les données"})
    services = teacher_service_months(data)
    for scope, part in by_scope(services, scopes=data.scopes):
        peaks = teacher_services_peak(part).set_index("period")
        for period in sorted_periods(part["period"].unique()):
            if period in peaks.index:
                rec = peaks.loc[period]
                rows.append({"target": TARGET, "indicator": "ent_teachers_services_users", "academy": scope,
                             "period": period, "value": rec["lower"],
                             "note": f"borne basse du mois de pointe ; borne haute {rec['upper']:.0f}"})
            else:
                rows.append({"target": TARGET, "indicator": "ent_teachers_services_users", "academy": scope,
                             "period": period, "value": np.nan,
                             "note": "export des accès sans visiteurs uniques"})
    acc = account_year(data)
    periods = sorted_periods(acc["period"].unique())
    for rec in departments_shared(college_platforms(data), periods, scopes=data.scopes).itertuples(index=False):
        rows.append({"target": TARGET, "indicator": "ent_college_departments_shared", "academy": rec.academy,
                     "period": rec.period, "value": rec.value, "note": rec.departments})
    eco = ecole_frame(data)
    for scope, part in by_scope(eco, scopes=data.scopes):
        table = cluster_rate_table(part, "has_ent", "one", "commune_code", by=["period"]).assign(academy=scope)
        rows += rate_rows(TARGET, "ent_ecole_activation_rate", table, interval="table")
    series = series_frame(rows)
    # What the joins of the ENT exports with the annuaire lost.
    activation = activation_coverage(data)
    for indicator, cov in (("ent_lycee_establishment_activation_rate", activation),
                           ("ent_lycee_activation_rate", activation),
                           ("ent_lycee_usage_rate", usage_coverage(data, change=False)),
                           ("ent_lycee_usage_growth", usage_coverage(data)),
                           ("ent_college_departments_shared", departments_coverage(data)),
                           ("ent_ecole_activation_rate", ecole_coverage(data))):
        series = coverage.attach(series, indicator, cov, target=TARGET)
    return series


# --------------------------------------------------------------------------- breakdowns


@linked_breakdown
def breakdown(data: Data, indicator: str, scope: str, period: str, by: str) -> pd.DataFrame:
    """One indicator for a scope and period by ``department``, ``territory`` (or ``profile``).

    Returns group, label, value, numerator, denominator, ci_low, ci_high, sorted by label,
    with what :func:`~drane_analysis.render.gap_sentence` needs to test a gap
    (``ci_method``…): accounts are grouped in lycées, écoles in communes (the commune
    chooses and funds its écoles' ENT), each the cluster of its interval; pupils' and
    teachers' accounts (``profile``) are paired on their lycées.
    """
    if indicator == "ent_lycee_establishment_activation_rate":
        frame = referential.in_scope(lycee_establishments(data), scope)
        table = rate_table(frame[frame["period"] == period], "activated", "one", by=[by])
    elif indicator == "ent_lycee_activation_rate":
        frame = referential.in_scope(lycee_activation(data), scope)
        table = cluster_rate_table(frame[frame["period"] == period], "activated", "loaded", "uai", by=[by])
    elif indicator == "ent_lycee_usage_rate":
        frame = referential.in_scope(lycee_usage(data), scope)
        table = usage_growth(frame[frame["period"] == period], by=[by])
        table = table.drop(columns=["value", "ci_low", "ci_high"]).rename(columns={
            "per_account": "value", "per_account_low": "ci_low", "per_account_high": "ci_high",
            "accesses": "numerator", "accounts": "denominator"})
    elif indicator == "ent_ecole_activation_rate":
        frame = referential.in_scope(ecole_frame(data), scope)
        table = cluster_rate_table(frame[frame["period"] == period], "has_ent", "one", "commune_code", by=[by])
        table["cluster_label"] = "communes prises comme grappes"
    elif indicator == "ent_lycee_usage_growth":
        frame = referential.in_scope(lycee_usage(data), scope)
        frame = frame[frame["period"].isin([period, Period.parse(period).shift(-1).label])]
        table = usage_growth(frame, by=[by])
        table = table[table["period"] == period].rename(columns={"per_account": "numerator",
                                                                 "establishments": "denominator"})
    elif indicator == "ent_teachers_services_users":
        frame = referential.in_scope(teacher_service_months(data), scope)
        table = teacher_services_peak(frame[frame["period"] == period], by=[by]).rename(columns={"lower": "value"})
        table["numerator"], table["denominator"], table["ci_low"], table["ci_high"] = (np.nan,) * 4
    else:
        raise KeyError(f"pas de ventilation pour {indicator} (cible 3.4)")
    table = table.rename(columns={by: "group"})
    table["label"] = table["group"].map(lambda v: _label(by, v))
    cols = ["group", "label", "value", "numerator", "denominator", "ci_low", "ci_high"]
    cols += [c for c in BREAKDOWN_TEST_COLUMNS if c in table]
    return table[cols].sort_values("label").reset_index(drop=True)


# --------------------------------------------------------------------------- details


def usage_table(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Lycée connecté: accesses, accounts, accesses per account and change, year by year."""
    frame = referential.in_scope(lycee_usage(data), scope)
    out = usage_growth(frame)
    if until:
        out = out[out["period"].map(lambda p: Period.parse(p) <= Period.parse(until))]
    return out.reset_index(drop=True)


def teacher_services_detail(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Each pedagogical service at its peak month, then the two bounds of « any service ».

    Columns: service, month, users, activated_teachers, share (%), ci_low, ci_high (the
    share of the activated teachers of the lycées and EREA in the export; teachers are
    grouped in lycées, the lycées are the clusters of the interval).
    """
    frame = referential.in_scope(teacher_service_months(data), scope)
    frame = frame[(frame["period"] == period)].dropna(subset=["users"])
    acc = referential.in_scope(account_year(data), scope)
    uais = set(frame["uai"])
    per_lycee = (acc[(acc["period"] == period) & (acc["platform"] == LYCEE_PLATFORM)
                     & (acc["profile"] == "teacher") & acc["uai"].isin(uais)]
                 .groupby("uai")["activated"].sum().reindex(sorted(uais), fill_value=0.0))
    teachers = float(per_lycee.sum())
    rows = []
    for service, part in frame.groupby("service", observed=True):
        monthly = part.groupby("month")["users"].sum()
        month = monthly.idxmax()
        users = part[part["month"] == month].groupby("uai")["users"].sum()
        rows.append({"service": str(service), "month": month, "users": float(monthly.max()), "_by_lycee": users})
    rows.sort(key=lambda r: -r["users"])
    peak = teacher_services_peak(frame)
    if not peak.empty:
        p = peak.iloc[0]
        per_est = frame.groupby(["month", "uai"])["users"].agg(["max", "sum"])
        rows.append({"service": "Au moins un service — borne basse", "month": p["lower_month"],
                     "users": float(p["lower"]), "_by_lycee": per_est.loc[p["lower_month"], "max"]})
        rows.append({"service": "Au moins un service — borne haute", "month": p["upper_month"],
                     "users": float(p["upper"]), "_by_lycee": per_est.loc[p["upper_month"], "sum"]})
    bounds = []
    for r in rows:
        lycees = pd.DataFrame({"users": r.pop("_by_lycee").reindex(per_lycee.index, fill_value=0.0).astype(float),
                               "teachers": per_lycee.astype(float)})
        t = ratio_table(lycees, "users", "teachers", scale=100.0).iloc[0]
        bounds.append((t["ci_low"], t["ci_high"]))
    out = pd.DataFrame(rows, columns=["service", "month", "users"])
    out["activated_teachers"] = teachers
    out["share"] = out["users"] / teachers * 100 if teachers > 0 else np.nan
    out["ci_low"] = [max(lo, 0.0) if pd.notna(lo) else lo for lo, _ in bounds]
    out["ci_high"] = [hi for _, hi in bounds]
    return out


def teacher_services_history(data: Data, scope: str) -> pd.DataFrame:
    """Peak-month users of each service and of « any service » (bounds), by year (long)."""
    frame = referential.in_scope(teacher_service_months(data), scope).dropna(subset=["users"])
    monthly = frame.groupby(["period", "service", "month"], observed=True)["users"].sum()
    per_service = monthly.groupby(["period", "service"], observed=True).max().reset_index()
    peak = teacher_services_peak(frame)
    extra = pd.concat([
        peak[["period", "lower"]].rename(columns={"lower": "users"}).assign(service="Au moins un service (borne basse)"),
        peak[["period", "upper"]].rename(columns={"upper": "users"}).assign(service="Au moins un service (borne haute)"),
    ])
    out = pd.concat([per_service, extra], ignore_index=True)
    return out.assign(service=out["service"].astype(str))


def college_departments(data: Data, scope: str, period: str) -> pd.DataFrame:
    """Each department of the scope: its public collèges and the ENT they are on.

    Columns: department, label, public_colleges (annuaire), on_lycee, on_departmental,
    share_on_lycee (% of the public collèges), since (first year on Lycée connecté up to
    ``period``), shared (bool).
    """
    plat = college_platforms(data)
    est = data.establishments()
    public = est[(est["kind"] == "college") & (est["sector"] == "public")].groupby("department").size()
    upto = plat[plat["period"].map(lambda p: Period.parse(p) <= Period.parse(period))]
    first = upto[upto["on_lycee"]].groupby("department")["period"].agg(
        lambda s: min(s, key=lambda p: Period.parse(p).start))
    cur = plat[plat["period"] == period]
    rows = []
    for dept in referential.departments_of(scope):
        part = cur[cur["department"] == dept]
        on_lycee = int(part["on_lycee"].sum())
        n_public = int(public.get(dept, 0))
        rows.append({"department": dept, "label": breakdown_label("department", dept), "public_colleges": n_public,
                     "on_lycee": on_lycee, "on_departmental": int(part["on_departmental"].sum()),
                     "share_on_lycee": on_lycee / n_public * 100 if n_public else np.nan,
                     "since": first.get(dept, ""), "shared": on_lycee > 0})
    return pd.DataFrame(rows)


def monthly_usage(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Connections of every profile by month and platform family for a scope.

    Columns: period, month, family, label, connections (families with no connection in
    the scope are left out).
    """
    frame = referential.in_scope(monthly_connections(data), scope)
    if until:
        frame = frame[frame["period"].map(lambda p: Period.parse(p) <= Period.parse(until))]
    out = frame.groupby(["period", "month", "family"], observed=True)["connections"].sum().reset_index()
    out["label"] = out["family"].map(PLATFORM_FAMILIES)
    return out.sort_values(["month", "family"]).reset_index(drop=True)


def seasonal_profile(data: Data, scope: str, until: str | None = None) -> pd.DataFrame:
    """Average share of a school year's connections in each month (complete years only).

    Rows: the 12 months from September. Columns: month_index (0 = September), month
    (French label), share (mean over the complete years, %), ci_low, ci_high (Student
    interval over the years; NaN with one year), years, and one column per school year.
    """
    monthly = monthly_usage(data, scope, until)
    return seasonal_shares(monthly.groupby(["period", "month"])["connections"].sum().reset_index())


def seasonal_shares(monthly: pd.DataFrame) -> pd.DataFrame:
    """Seasonal profile from (period, month, connections) rows; see :func:`seasonal_profile`."""
    per_year = {}
    for period, part in monthly.groupby("period"):
        if part["month"].nunique() < 12 or part["connections"].sum() <= 0:
            continue
        idx = (part["month"].dt.month.to_numpy() - 9) % 12
        shares = np.zeros(12)
        np.add.at(shares, idx, part["connections"].to_numpy(float))
        per_year[str(period)] = shares / shares.sum() * 100
    rows = []
    years = sorted_periods(per_year)
    for k in range(12):
        values = [per_year[y][k] for y in years]
        mean, lo, hi, n = mean_interval(values)
        rows.append({"month_index": k, "month": MONTH_LABELS[k], "share": mean, "ci_low": lo, "ci_high": hi,
                     "years": n, **{y: per_year[y][k] for y in years}})
    return pd.DataFrame(rows)


def method_figures(data: Data, scope: str, period: str) -> dict:
    """The figures of the report's method notes, for a scope and school year.

    Keys: ``not_activated`` (public lycées whose ENT is not activated) and
    ``not_activated_absent`` (of them, absent from Lycée connecté's export);
    ``private_lycees`` (private lycées on Lycée connecté, not counted in the activation
    rate); ``public_lycees_absent`` (public lycées of the annuaire absent from the export);
    ``reference_months`` (the months the accounts were read at, sorted); ``design_effect``
    (the activation rate's, lycées as clusters; NaN with fewer than two lycées);
    ``unknown_ecoles`` (UAIs of the écoles' export that are not public écoles).
    """
    acc = account_year(data)
    cur = referential.in_scope(acc[acc["period"] == period], scope)
    lyc = cur[(cur["platform"] == LYCEE_PLATFORM)]
    est = referential.in_scope(data.establishments(), scope)
    public_lycees = set(est.loc[(est["kind"] == "lycee") & (est["sector"] == "public"), "uai"])
    est_year = referential.in_scope(lycee_establishments(data), scope)
    est_year = est_year[est_year["period"] == period]
    not_activated = est_year[est_year["activated"] == 0]
    accounts = lycee_activation(data)
    part = referential.in_scope(accounts[accounts["period"] == period], scope)
    design_effect = np.nan
    if part["uai"].nunique() >= 2:
        design_effect = cluster_rate_table(part, "activated", "loaded", "uai").iloc[0]["design_effect"]
    return {
        "not_activated": len(not_activated),
        "not_activated_absent": int((not_activated["in_export"] == 0).sum()),
        "private_lycees": lyc.loc[(lyc["kind"] == "lycee") & (lyc["sector"] != "public"), "uai"].nunique(),
        "public_lycees_absent": len(public_lycees - set(lyc["uai"])),
        "reference_months": sorted(set(lyc["ref_month"].dropna().astype(int))),
        "design_effect": design_effect,
        "unknown_ecoles": ecole_frame(data).attrs.get("unknown_uai", 0),
    }
