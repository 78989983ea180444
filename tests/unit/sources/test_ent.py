"""ENT statistics loaders (``ent_comptes``, ``ent_acces``): demo exports, effects, broken copies.

No real ENT export is public (data-sources §6): the header and byte conventions are those
of the Edifice "Statistiques" export templates, reproduced by the demo writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drane_analysis import referential, sources
from drane_analysis.demo import ent as ent_writer
from drane_analysis.demo.world import load_demo_params

ACCOUNTS = "ent/lycee-connecte/2021-2022/export-stats-accounts.csv"
ACCESS = "ent/lycee-connecte/2021-2022/export-stats-access.csv"
ACCOUNTS_HEADER = ["Établissement", "UAI", "Date", "Profil", "Connexions", "Visiteurs uniques",
                   "Comptes chargés", "Comptes activés"]
ACCESS_HEADER = ["Établissement", "UAI", "Date", "Profil", "Application", "Nombre d'accès",
                 "Visiteurs uniques"]
UAI = referential.make_uai("86", 123)


# The module's tests share one worker (``make test``): the demo's ENT exports (the session's
# demo data, written by ``demo.generate``) are read and checked once.
pytestmark = pytest.mark.xdist_group("ent")


@pytest.fixture(scope="module")
def ent_data(demo_dir: Path) -> Path:
    return demo_dir


@pytest.fixture(scope="module")
def frames(ent_data: Path, world) -> dict[str, pd.DataFrame]:
    results = sources.validate(ent_data, only=["ent_comptes", "ent_acces"])
    for name, result in results.items():
        assert result.ok, (name, [p.format() for p in result.problems[:10]])
    est = world.establishments.set_index("uai")[["kind", "sector", "territory"]]
    return {name: r.frame.join(est, on="uai") for name, r in results.items()}


@pytest.fixture(scope="module")
def params() -> dict:
    return load_demo_params("ent")


# --------------------------------------------------------------------------- helpers


def _write(base: Path, rel: str, rows: list[list[str]]) -> Path:
    """An Edifice export: BOM, ``;``, every field quoted."""
    path = base / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(";".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)
    path.write_text("\ufeff" + text + "\n", encoding="utf-8")
    return path


def _accounts_rows() -> list[list[str]]:
    return [
        list(ACCOUNTS_HEADER),
        ["LYCÉE JEAN MOULIN", UAI, "2021-09-01T00:00", "Élèves", "3000", "400", "600", "520"],
        ["LYCÉE JEAN MOULIN", UAI, "2021-09-01T00:00", "Enseignants", "700", "50", "60", "58"],
        ["LYCÉE JEAN MOULIN", UAI, "2021-10-01T00:00", "Élèves", "2800", "410", "600", "560"],
        ["LYCÉE JEAN MOULIN", UAI, "2021-10-01T00:00", "Parents", "900", "300", "960", "500"],
    ]


def _access_rows() -> list[list[str]]:
    return [
        list(ACCESS_HEADER),
        ["LYCÉE JEAN MOULIN", UAI, "2021-09-01T00:00", "Élèves", "Moodle", "1200", "150"],
        ["LYCÉE JEAN MOULIN", UAI, "2021-09-01T00:00", "Enseignants", "Moodle", "300", "20"],
        ["LYCÉE JEAN MOULIN", UAI, "2021-09-01T00:00", "Enseignants", "Messagerie", "800", "55"],
    ]


def _read(name: str, base: Path, rel: str, rows: list[list[str]]) -> sources.ReadResult:
    path = _write(base, rel, rows)
    return sources.read(name, [path], base=base)


def _problem(result: sources.ReadResult, column: str, line: int | None = None):
    """The error on ``column`` (at ``line``); fails listing every problem otherwise."""
    assert not result.ok
    found = [p for p in result.errors if p.column == column and (line is None or line in p.lines)]
    assert found, [p.format() for p in result.problems]
    return found[0]


# --------------------------------------------------------------------------- demo files


def test_demo_accounts_load_typed_and_tidy(frames, world):
    acc = frames["ent_comptes"]
    assert list(acc.columns[:11]) == [
        "platform", "period", "month", "uai", "department", "academy", "profile",
        "connections", "unique_visitors", "accounts_loaded", "accounts_activated"]
    for col in ("connections", "unique_visitors", "accounts_loaded", "accounts_activated"):
        assert str(acc[col].dtype) == "Int64"
    assert str(acc["month"].dtype) == "datetime64[ns]"
    assert (acc["month"].dt.day == 1).all()
    assert sorted(acc["period"].unique()) == world.periods
    assert set(acc["profile"].unique()) == {"student", "teacher", "parent", "staff", "other"}
    assert set(acc["academy"].unique()) == {"bordeaux", "limoges", "poitiers"}
    assert {"lycee-connecte", "ecoles", "colleges-33"} <= set(acc["platform"].unique())
    assert not acc.duplicated(["platform", "uai", "month", "profile"]).any()
    # Departments come from the UAI and agree with the world's.
    assert (acc["department"] == acc["uai"].map(world.establishments.set_index("uai")["department"])).all()
    # Every school month is there for every establishment and profile.
    per_year = acc.groupby(["platform", "uai", "period", "profile"]).size()
    assert (per_year == 12).all()


def test_demo_access_loads_typed_and_tidy(frames, params):
    ax = frames["ent_acces"]
    assert list(ax.columns[:10]) == [
        "platform", "period", "month", "uai", "department", "academy", "profile",
        "application", "accesses", "unique_visitors"]
    assert str(ax["accesses"].dtype) == "Int64" and str(ax["unique_visitors"].dtype) == "Int64"
    assert ax["unique_visitors"].notna().all()
    assert set(ax["application"].unique()) == set(params["access"]["applications"])
    assert set(ax["platform"].unique()) == {"lycee-connecte"}
    assert set(ax["kind"].unique()) == {"lycee", "erea"}


def test_demo_layout_and_export_bytes(ent_data: Path, params):
    root = ent_data / "ent"
    raw = (root / "lycee-connecte" / "2022-2023" / "export-stats-accounts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\"\xc3\x89tablissement\";\"UAI\";\"Date\";\"Profil\"")
    second = raw.split(b"\n")[1].split(b";")
    assert all(c.startswith(b'"') and c.endswith(b'"') for c in second)
    assert second[2] == b'"2022-09-01T00:00"'
    # Collèges have their department's ENT folder only before their department joins.
    join = {d: p for p, depts in params["platforms"]["colleges_join"].items() for d in depts}
    for dept, first in join.items():
        years = sorted(p.name for p in (root / f"colleges-{dept}").iterdir())
        assert years and years[-1] < first, (dept, years)


def test_writer_is_deterministic(ent_data: Path, world, tmp_path: Path):
    """A second generation gives the same rows and, file for file, the same bytes.

    The second run is rebuilt in memory (the whole family) and one platform's files are
    written again, to keep the test fast; the fixture's files come from ``demo.generate``.
    """
    params = load_demo_params("ent")
    rng = world.rng("ent")
    panel = ent_writer.build_panel(world, params, rng)
    accounts = ent_writer.build_accounts(world, params, rng, panel)
    access = ent_writer.build_access(world, params, rng, panel, accounts)
    rng_again = world.rng("ent")
    panel_again = ent_writer.build_panel(world, params, rng_again)
    again = ent_writer.build_accounts(world, params, rng_again, panel_again)
    pd.testing.assert_frame_equal(accounts, again)
    lycees = accounts["platform"] == "lycee-connecte"
    written = ent_writer.write_files(accounts[lycees], ent_writer.ACCOUNTS_HEADER,
                                     "export-stats-accounts.csv", tmp_path)
    written += ent_writer.write_files(access, ent_writer.ACCESS_HEADER,
                                      "export-stats-access.csv", tmp_path)
    assert len(written) == 2 * len(world.periods)
    for path in written:
        rel = path.relative_to(tmp_path)
        assert (ent_data / rel).read_bytes() == path.read_bytes(), rel


def test_demo_family_stays_small(ent_data: Path):
    size = sum(p.stat().st_size for p in (ent_data / "ent").rglob("*.csv"))
    assert size < 150 * 1024 * 1024


# --------------------------------------------------------------------------- effects


def _rate(frame: pd.DataFrame, num: str, den: str, by: list[str]) -> pd.Series:
    g = frame.groupby(by)[[num, den]].sum()
    return (g[num] / g[den]).astype(float)


def _rate_table(frame: pd.DataFrame, num: str, den: str, index: str, columns: str) -> pd.DataFrame:
    g = frame.pivot_table(index=index, columns=columns, values=[num, den], aggfunc="sum",
                          observed=True)
    return (g[num] / g[den]).astype(float)


def test_effect_lycee_activation_rises_short_of_100(frames, params):
    acc = frames["ent_comptes"]
    june = acc[(acc["month"].dt.month == 6) & (acc["kind"] == "lycee") & (acc["sector"] == "public")
               & acc["profile"].isin(["student", "teacher"])]
    rate = _rate(june, "accounts_activated", "accounts_loaded", ["period"])
    assert 0.90 < rate["2020-2021"] < 0.94
    assert 0.975 < rate["2025-2026"] < 1.0
    assert rate.is_monotonic_increasing


def test_effect_college_departments_joining(frames):
    acc = frames["ent_comptes"]
    joined = acc[(acc["kind"] == "college") & (acc["platform"] == "lycee-connecte")]
    counts = joined.groupby("period")["department"].nunique().to_dict()
    assert counts == {"2021-2022": 4, "2022-2023": 9, "2023-2024": 12, "2024-2025": 12, "2025-2026": 12}


def test_effect_ecoles_open_share_and_rural_lag(frames, world, params):
    acc = frames["ent_comptes"]
    public = world.establishments.query("kind == 'ecole' and sector == 'public'")
    opened = acc[(acc["platform"] == "ecoles") & (acc["accounts_activated"] > 0)]
    share = opened.groupby("period")["uai"].nunique() / len(public)
    for period, expected in params["platforms"]["ecoles_open_share"].items():
        assert abs(share[period] - expected) < 0.01, period
    by_territory = opened.drop_duplicates(["period", "uai"]).pivot_table(
        index="period", columns="territory", values="uai", aggfunc="count")
    by_territory = by_territory / public["territory"].value_counts()
    assert (by_territory["rural"] < by_territory["urban"] - 0.05).all()


def test_effect_rural_lag_on_connections(frames, params):
    acc = frames["ent_comptes"]
    school = acc[~acc["month"].dt.month.isin([7, 8]) & (acc["profile"] == "student")
                 & acc["kind"].isin(["college", "ecole"])]
    rate = _rate_table(school, "connections", "accounts_activated", "kind", "territory")
    ratio = rate["rural"] / rate["urban"]
    expected = 1 + params["connections"]["rural_lag"]
    assert ((ratio - expected).abs() < 0.04).all(), ratio


def test_effect_parents_social_gradient_narrows(frames, world):
    acc = frames["ent_comptes"]
    parents = acc[(acc["profile"] == "parent") & (acc["month"].dt.month == 6)]
    parents = parents.merge(world.ips[["uai", "period", "ips"]], on=["uai", "period"])
    parents["quartile"] = parents.groupby("period")["ips"].transform(
        lambda x: pd.qcut(x, 4, labels=False))
    rate = _rate_table(parents, "accounts_activated", "accounts_loaded", "period", "quartile")
    gap = rate[3] - rate[0]
    assert gap["2020-2021"] > 0.12
    assert gap["2025-2026"] < gap["2020-2021"] / 1.5
    assert gap.is_monotonic_decreasing
    use = _rate_table(parents, "connections", "accounts_activated", "period", "quartile")
    assert (use[3] > use[0]).all()


def test_effect_vienne_tne_difference_in_differences(frames, world, params):
    acc = frames["ent_comptes"]
    pupils = world.enrolment.groupby(["uai", "period"])[["girls", "boys"]].sum().sum(axis=1)
    pupils = pupils.rename("pupils").reset_index()
    yearly = acc.groupby(["uai", "department", "period"], as_index=False)["connections"].sum()
    yearly = yearly.merge(pupils, on=["uai", "period"])
    yearly["vienne"] = yearly["department"] == "86"
    # The department × school-year shocks, drawn by the writer from their own generator, move
    # every connection of a department and year by the same factor: divided out, the effect
    # injected comes back to within the establishments' noise.
    shocks = world.department_year_shocks("ent_department_year", params["connections"]["department_year_sd"])
    factor = np.exp(shocks).reset_index().melt(id_vars="department", var_name="period", value_name="shock")
    yearly = yearly.merge(factor, on=["department", "period"], how="left", validate="many_to_one")
    assert yearly["shock"].notna().all()
    yearly["connections_net"] = yearly["connections"] / yearly["shock"]
    per_pupil = _rate_table(yearly, "connections_net", "pupils", "vienne", "period")
    log = np.log(per_pupil)
    did = (log.loc[True] - log.loc[False]) - (log.loc[True, "2020-2021"] - log.loc[False, "2020-2021"])
    effect = np.exp(did.drop("2020-2021")) - 1
    expected = params["connections"]["tne_effect"]
    assert ((effect - expected).abs() < 0.05).all(), effect
    # The other departments follow the common trend (about +8 % a year).
    others = per_pupil.loc[False]
    growth = (others / others.shift(1)).dropna() - 1
    assert ((growth > 0.04) & (growth < 0.12)).all(), growth


def test_effect_department_year_shocks(frames, world, params):
    """Each department's yearly connections per pupil move with its own shock (sd 0.06)."""
    sd = params["connections"]["department_year_sd"]
    shocks = world.department_year_shocks("ent_department_year", sd)
    assert shocks.shape == (12, len(world.periods))
    assert 0.6 * sd < shocks.to_numpy().std() < 1.4 * sd
    pupils = world.enrolment.groupby(["uai", "period"])[["girls", "boys"]].sum().sum(axis=1).rename("pupils")
    acc = frames["ent_comptes"]
    yearly = acc.groupby(["uai", "department", "period"], as_index=False)["connections"].sum()
    yearly = yearly.merge(pupils.reset_index(), on=["uai", "period"])
    yearly = yearly[yearly["department"] != "86"]           # no TNE jump
    level = np.log(_rate_table(yearly, "connections", "pupils", "department", "period"))
    # Two-way demeaned (department levels, common years): what is left is the shocks', demeaned too.
    left = level.sub(level.mean(axis=1), axis=0).sub(level.mean(axis=0), axis=1) + level.to_numpy().mean()
    drawn = shocks.loc[level.index, level.columns]
    drawn = drawn.sub(drawn.mean(axis=1), axis=0).sub(drawn.mean(axis=0), axis=1) + drawn.to_numpy().mean()
    assert np.corrcoef(left.to_numpy().ravel(), drawn.to_numpy().ravel())[0, 1] > 0.8


def test_effect_seasonality(frames):
    acc = frames["ent_comptes"]
    monthly = acc[acc["period"] == "2023-2024"].groupby(acc["month"].dt.month)["connections"].sum()
    school = monthly.drop([7, 8]).mean()
    assert monthly[7] < 0.12 * school and monthly[8] < 0.08 * school
    assert monthly[12] < monthly[11] and monthly[4] < monthly[3]


def test_effect_lycee_usage_growth_misses_20_percent(frames, params):
    ax, acc = frames["ent_acces"], frames["ent_comptes"]
    accesses = ax[ax["kind"] == "lycee"].groupby("period")["accesses"].sum()
    lycees = acc[(acc["kind"] == "lycee") & (acc["platform"] == "lycee-connecte")]
    activated = lycees.groupby(["period", "month"])["accounts_activated"].sum().groupby("period").mean()
    per_account = (accesses / activated).astype(float)
    growth = (per_account / per_account.shift(1)).dropna() - 1
    assert ((growth > 0.08) & (growth < 0.16)).all(), growth
    assert (growth < 0.20).all()


def test_effect_teachers_use_more_pedagogical_services(frames, params):
    ax = frames["ent_acces"]
    services = params["access"]["pedagogical"]
    teachers = ax[(ax["profile"] == "teacher") & ax["application"].isin(services)]
    peak = teachers.groupby(["period", "month"])["unique_visitors"].sum().groupby("period").max()
    assert peak.is_monotonic_increasing
    assert peak["2025-2026"] > 1.4 * peak["2020-2021"]


# --------------------------------------------------------------------------- valid small files


def test_small_accounts_file_loads(tmp_path: Path):
    result = _read("ent_comptes", tmp_path, ACCOUNTS, _accounts_rows())
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame
    assert frame["platform"].tolist() == ["lycee-connecte"] * 4
    assert frame["period"].unique().tolist() == ["2021-2022"]
    assert frame["department"].unique().tolist() == ["86"]
    assert frame["academy"].unique().tolist() == ["poitiers"]
    assert frame["profile"].tolist() == ["student", "teacher", "student", "parent"]
    assert frame["month"].tolist()[2] == pd.Timestamp("2021-10-01")


def test_access_connector_variant_and_no_visitors_column(tmp_path: Path):
    rows = [r[:-1] for r in _access_rows()]
    rows[0][4] = "Connecteur"
    result = _read("ent_acces", tmp_path, ACCESS, rows)
    assert result.ok, [p.format() for p in result.problems]
    assert result.frame["application"].tolist() == ["Moodle", "Moodle", "Messagerie"]
    assert result.frame["unique_visitors"].isna().all()
    assert str(result.frame["unique_visitors"].dtype) == "Int64"


def test_profile_keys_and_seconds_in_dates_are_accepted(tmp_path: Path):
    rows = _accounts_rows()
    rows[1][3], rows[4][3] = "Student", "Relative"
    rows[2][2] = "2021-09-01T00:00:00"
    result = _read("ent_comptes", tmp_path, ACCOUNTS, rows)
    assert result.ok, [p.format() for p in result.problems]
    assert result.frame["profile"].tolist() == ["student", "teacher", "student", "parent"]


# --------------------------------------------------------------------------- broken accounts


def test_renamed_column_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[0][4] = "Connexion"
    result = _read("ent_comptes", tmp_path, ACCOUNTS, rows)
    assert not result.ok
    (problem,) = result.errors
    assert problem.file == ACCOUNTS and problem.lines == [1]
    assert "Connexions" in problem.expected and "Connexion" in (problem.found or "")


def test_text_in_a_count_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[3][4] = "beaucoup"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Connexions", 4)
    assert problem.file == ACCOUNTS and problem.found == "beaucoup"
    assert "entier" in problem.expected


def test_bad_uai_check_letter_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    wrong = UAI[:7] + ("A" if UAI[7] != "A" else "B")
    rows[2][1] = wrong
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "UAI", 3)
    assert problem.file == ACCOUNTS and "lettre clé" in problem.expected


def test_uai_outside_the_region_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[2][1] = referential.make_uai("94", 123)
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "UAI", 3)
    assert problem.file == ACCOUNTS and "Nouvelle-Aquitaine" in problem.expected


def test_activated_over_loaded_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[4][7] = "1200"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Comptes activés", 5)
    assert problem.file == ACCOUNTS and problem.lines == [5]
    assert "comptes chargés" in problem.expected


def test_visitors_over_connections_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[2][5] = "800"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Visiteurs uniques", 3)
    assert problem.file == ACCOUNTS and "connexions" in problem.expected


def test_duplicated_key_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows.append(list(rows[1]))
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "UAI")
    assert problem.file == ACCOUNTS and problem.lines == [2, 6]
    assert "une seule ligne" in problem.expected


def test_bad_date_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[3][2] = "2021-13-01T00:00"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Date", 4)
    assert problem.file == ACCOUNTS and "AAAA-MM-JJ" in problem.expected


def test_date_outside_the_folders_school_year_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[3][2] = "2022-10-01T00:00"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Date", 4)
    assert problem.file == ACCOUNTS and problem.lines == [4]
    assert "année scolaire du dossier" in problem.expected and "2021-2022" in problem.found


def test_non_monthly_export_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[3][2] = "2021-10-15T00:00"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Date", 4)
    assert problem.file == ACCOUNTS and "premier jour d'un mois" in problem.expected


def test_unknown_profile_is_reported(tmp_path: Path):
    rows = _accounts_rows()
    rows[2][3] = "Directeurs"
    problem = _problem(_read("ent_comptes", tmp_path, ACCOUNTS, rows), "Profil", 3)
    assert problem.file == ACCOUNTS and problem.found == "Directeurs"


def test_unknown_platform_folder_is_reported(tmp_path: Path):
    rel = "ent/lycees/2021-2022/export-stats-accounts.csv"
    result = _read("ent_comptes", tmp_path, rel, _accounts_rows())
    problem = next(p for p in result.errors if p.column == "(dossier plateforme)")
    assert problem.file == rel and problem.lines == [2, 3, 4, 5]
    assert "lycee-connecte" in problem.expected and problem.found and "lycees" in problem.found


def test_misplaced_file_is_reported(tmp_path: Path):
    rel = "ent/lycee-connecte/export-stats-accounts.csv"
    result = _read("ent_comptes", tmp_path, rel, _accounts_rows())
    assert not result.ok
    assert all(p.file == rel for p in result.errors)
    columns = {p.column for p in result.errors}
    assert "(dossier année scolaire)" in columns, [p.format() for p in result.errors]
    # The contract finds it there (any depth), so it is not silently ignored.
    assert sources.contract("ent_comptes").files(tmp_path) == [tmp_path / rel]


# --------------------------------------------------------------------------- broken access


def test_access_renamed_column_is_reported(tmp_path: Path):
    rows = _access_rows()
    rows[0][5] = "Accès"
    result = _read("ent_acces", tmp_path, ACCESS, rows)
    assert not result.ok
    (problem,) = result.errors
    assert problem.file == ACCESS and problem.lines == [1] and "Nombre d'accès" in problem.expected


def test_access_text_in_a_count_is_reported(tmp_path: Path):
    rows = _access_rows()
    rows[2][5] = "12,5"
    problem = _problem(_read("ent_acces", tmp_path, ACCESS, rows), "Nombre d'accès", 3)
    assert problem.file == ACCESS and problem.found == "12,5"


def test_access_visitors_over_accesses_is_reported(tmp_path: Path):
    rows = _access_rows()
    rows[3][6] = "900"
    problem = _problem(_read("ent_acces", tmp_path, ACCESS, rows), "Visiteurs uniques", 4)
    assert problem.file == ACCESS and problem.lines == [4]


def test_access_duplicated_key_is_reported(tmp_path: Path):
    rows = _access_rows()
    rows.append(list(rows[2]))
    problem = _problem(_read("ent_acces", tmp_path, ACCESS, rows), "UAI")
    assert problem.file == ACCESS and problem.lines == [3, 5]


def test_access_date_out_of_period_is_reported(tmp_path: Path):
    rows = _access_rows()
    rows[1][2] = "2021-08-01T00:00"
    problem = _problem(_read("ent_acces", tmp_path, ACCESS, rows), "Date", 2)
    assert problem.file == ACCESS and "année scolaire du dossier" in problem.expected
