"""Specialties of première / terminale générale by sex: demo (NSI effects), real extract, broken copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from drane_analysis import sources
from drane_analysis.demo import depp
from drane_analysis.demo.world import load_demo_params
from drane_analysis.sources.specialites import NSI, SPECIALTIES, api_slug

PREMIERE = "fr-en-effectifs-specialites-triplettes-1ere-generale.csv"
TERMINALE = "fr-en-effectifs-specialites-doublettes-terminale-generale.csv"
NSI_GIRLS = "0747 - NUMERIQUE ET SCIENCES INFORMATIQUES - filles"


@pytest.fixture(scope="module")
def spe_dir(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("specialites_demo")
    depp.write_specialites(world, depp.establishment_labels(world), out / "specialites",
                           load_demo_params("depp")["specialites"])
    return out


@pytest.fixture(scope="module")
def terminale(spe_dir: Path) -> pd.DataFrame:
    return sources.load("specialites_terminale", spe_dir, use_cache=False)


@pytest.fixture(scope="module")
def premiere(spe_dir: Path) -> pd.DataFrame:
    return sources.load("specialites_premiere", spe_dir, use_cache=False)


def _rewrite(src: Path, dst: Path, edit) -> Path:
    rows = [line.split(";") for line in src.read_text(encoding="utf-8-sig").splitlines()]
    edit(rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("\ufeff" + "\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    return dst


def _set(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


def _get(rows: list[list[str]], line: int, column: str) -> str:
    return rows[line - 1][rows[0].index(column)]


def _region(frame: pd.DataFrame) -> pd.DataFrame:
    """Per period: NSI girls/boys and total girls/boys of the region."""
    sums = frame.groupby(["period", "specialty_code"])[["girls", "boys"]].sum()
    nsi, total = sums.xs(NSI, level=1), sums.xs("total", level=1)
    return pd.DataFrame({
        "rate": (nsi["girls"] + nsi["boys"]) / (total["girls"] + total["boys"]),
        "girls_rate": nsi["girls"] / total["girls"],
        "girls_share": nsi["girls"] / (nsi["girls"] + nsi["boys"]),
        "pupils": nsi["girls"] + nsi["boys"],
    }).astype(float)


# --------------------------------------------------------------------------- demo


@pytest.mark.parametrize("name", ["specialites_premiere", "specialites_terminale"])
def test_demo_specialties_load_long_and_typed(spe_dir: Path, world, name: str):
    frame = sources.load(name, spe_dir, use_cache=False)
    assert list(frame.columns) == ["uai", "period", "specialty_code", "specialty_label", "girls", "boys",
                                   "sector", "department", "academy"]
    assert str(frame["girls"].dtype) == "Int64" and str(frame["boys"].dtype) == "Int64"
    assert set(frame["specialty_code"].unique()) == {"total", *SPECIALTIES}
    assert not frame.duplicated(["uai", "period", "specialty_code"]).any()
    assert sorted(frame["period"].unique()) == world.periods
    nsi = frame[frame["specialty_code"] == NSI]
    assert (nsi["specialty_label"] == "Numérique et sciences informatiques").all()


@pytest.mark.parametrize(("name", "level"), [("specialites_premiere", "1ere_g"), ("specialites_terminale", "tle_g")])
def test_demo_totals_are_the_worlds_general_pupils(spe_dir: Path, world, name: str, level: str):
    frame = sources.load(name, spe_dir, use_cache=False)
    totals = frame[frame["specialty_code"] == "total"]
    expected = world.enrolment[(world.enrolment["level"] == level) & world.enrolment["uai"].isin(world.secondary["uai"])]
    merged = expected.merge(totals, on=["uai", "period"], how="outer", suffixes=("_world", ""))
    assert merged["girls"].notna().all() and merged["girls_world"].notna().all()
    assert (merged["girls"] == merged["girls_world"]).all() and (merged["boys"] == merged["boys_world"]).all()


def test_nsi_terminale_baseline_is_the_roadmaps(terminale: pd.DataFrame):
    """2020-2021: 2.1 % of terminale générale pupils and 0.4 % of girls take NSI (roadmap)."""
    first = _region(terminale).loc["2020-2021"]
    assert round(first["rate"] * 100, 1) == 2.1
    assert round(first["girls_rate"] * 100, 1) == 0.4


def test_nsi_grows_without_doubling_and_girls_share_rises(terminale: pd.DataFrame, premiere: pd.DataFrame):
    p = load_demo_params("depp")["specialites"]["nsi"]
    for frame in (terminale, premiere):
        region = _region(frame)
        growth = region["pupils"].pct_change().dropna()
        assert ((growth > p["yearly_growth"] - 0.04) & (growth < p["yearly_growth"] + 0.04)).all()
        three_years = region.loc["2023-2024", "pupils"] / region.loc["2020-2021", "pupils"]
        assert 1.25 < three_years < 1.6  # "double in 3 years" not reached
        assert region["girls_share"].is_monotonic_increasing
        rise = region.loc["2023-2024", "girls_share"] - region.loc["2020-2021", "girls_share"]
        assert rise == pytest.approx(3 * p["girls_share_step"], abs=0.005)


def test_nsi_varies_by_department(terminale: pd.DataFrame):
    year = terminale[terminale["period"] == "2020-2021"]
    sums = year.assign(pupils=year["girls"] + year["boys"]).pivot_table(
        index="department", columns="specialty_code", values="pupils", aggfunc="sum")
    rates = sums[NSI] / sums["total"]
    assert len(rates) == 12
    assert rates.max() / rates.min() > 1.4


def test_gender_gap_in_every_specialty_that_has_one(terminale: pd.DataFrame, premiere: pd.DataFrame):
    for frame in (premiere, terminale):
        sums = frame.groupby("specialty_code")[["girls", "boys"]].sum()
        share = sums["girls"] / (sums["girls"] + sums["boys"])
        overall = share["total"]
        for code in (NSI, "0673"):  # NSI, sciences de l'ingénieur: few girls
            assert share[code] < 0.25
        for code in ("0105", "0901", "2757", "2785"):  # HLP, arts: mostly girls
            assert share[code] > overall + 0.15
        assert share["0613"] < overall - 0.05  # mathematics


def test_writer_is_deterministic(world, tmp_path: Path):
    params = load_demo_params("depp")["specialites"]
    labels = depp.establishment_labels(world)
    first = depp.write_specialites(world, labels, tmp_path / "a", params)
    second = depp.write_specialites(world, labels, tmp_path / "b", params)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_allocate_meets_the_total_under_caps():
    import numpy as np

    rng = np.random.default_rng(1)
    caps = np.array([1, 2, 50, 0, 3])
    out = depp.allocate(rng, 20, np.array([10.0, 10.0, 1.0, 5.0, 1.0]), caps)
    assert out.sum() == 20 and (out <= caps).all() and out[3] == 0


# --------------------------------------------------------------------------- variants


def test_api_field_headers_are_accepted(spe_dir: Path, tmp_path: Path):
    """The API-field variant of the doublettes (``0747_numerique_et_sciences_informatiques_filles``)."""
    renames = {"Rentrée scolaire": "rentree_scolaire", "UAI": "numero_etablissement",
               "Effectif total": "effectif_total", "Effectif total garçons": "effectif_total_garcons",
               "Effectif total filles": "effectif_total_filles", "Secteur": "secteur"}
    for code, (label, _) in SPECIALTIES.items():
        renames[f"{code} - {label} - filles"] = f"{code}_{api_slug(label)}_filles"
        renames[f"{code} - {label} - garçons"] = f"{code}_{api_slug(label)}_garcons"

    def edit(rows):
        rows[0] = [renames.get(h, api_slug(h)) for h in rows[0]]

    path = _rewrite(spe_dir / "specialites" / TERMINALE, tmp_path / TERMINALE, edit)
    assert "0439_hist_geo_geopolitique_sc_politiques_filles" in path.read_text(encoding="utf-8-sig")
    result = sources.read("specialites_terminale", path)
    assert result.ok, [p.format() for p in result.problems]
    assert set(result.frame["specialty_code"].unique()) == {"total", *SPECIALTIES}


def test_optional_specialty_columns_may_be_absent(spe_dir: Path, tmp_path: Path):
    def edit(rows):
        drop = [i for i, h in enumerate(rows[0]) if h.startswith("2786 - ")]
        for r in rows:
            for i in reversed(drop):
                del r[i]
    path = _rewrite(spe_dir / "specialites" / PREMIERE, tmp_path / PREMIERE, edit)
    result = sources.read("specialites_premiere", path)
    assert result.ok, [p.format() for p in result.problems]
    assert "2786" not in set(result.frame["specialty_code"])


# --------------------------------------------------------------------------- broken inputs


def test_specialty_over_its_total_is_reported(spe_dir: Path, tmp_path: Path):
    def edit(rows):
        _set(rows, 5, NSI_GIRLS, str(int(_get(rows, 5, "Effectif total filles")) + 1))
    path = _rewrite(spe_dir / "specialites" / TERMINALE, tmp_path / TERMINALE, edit)
    (problem,) = sources.read("specialites_terminale", path).errors
    assert problem.file == TERMINALE and problem.lines == [5] and problem.column == NSI_GIRLS
    assert "inférieur ou égal" in problem.expected


def test_totals_that_do_not_add_up_are_reported(spe_dir: Path, tmp_path: Path):
    def edit(rows):
        _set(rows, 7, "EFFECTIF TOTAL", str(int(_get(rows, 7, "EFFECTIF TOTAL")) + 10))
    path = _rewrite(spe_dir / "specialites" / PREMIERE, tmp_path / PREMIERE, edit)
    (problem,) = sources.read("specialites_premiere", path).errors
    assert problem.lines == [7] and problem.column == "EFFECTIF TOTAL"


def test_text_in_a_count_is_reported(spe_dir: Path, tmp_path: Path):
    path = _rewrite(spe_dir / "specialites" / PREMIERE, tmp_path / PREMIERE,
                    lambda rows: _set(rows, 3, "0613 - MATHEMATIQUES - garçons", "<5"))
    (problem,) = sources.read("specialites_premiere", path).errors
    assert problem.file == PREMIERE and problem.lines == [3]
    assert problem.column == "0613 - MATHEMATIQUES - garçons" and "entier" in problem.expected


def test_uai_check_letter_is_verified(spe_dir: Path, tmp_path: Path):
    def edit(rows):
        uai = _get(rows, 4, "UAI")
        _set(rows, 4, "UAI", uai[:7] + ("A" if uai[-1] != "A" else "B"))
    path = _rewrite(spe_dir / "specialites" / PREMIERE, tmp_path / PREMIERE, edit)
    (problem,) = sources.read("specialites_premiere", path).errors
    assert problem.lines == [4] and problem.column == "UAI" and "lettre clé" in problem.expected


def test_duplicated_lycee_year_is_reported(spe_dir: Path, tmp_path: Path):
    path = _rewrite(spe_dir / "specialites" / TERMINALE, tmp_path / TERMINALE, lambda rows: rows.append(list(rows[1])))
    (problem,) = sources.read("specialites_terminale", path).errors
    assert problem.column == "UAI" and 2 in problem.lines and "une seule ligne" in problem.expected


def test_missing_nsi_column_is_reported(spe_dir: Path, tmp_path: Path):
    path = _rewrite(spe_dir / "specialites" / TERMINALE, tmp_path / TERMINALE,
                    lambda rows: _set(rows, 1, NSI_GIRLS, "0747 - NSI - filles"))
    (problem,) = sources.read("specialites_terminale", path).errors
    assert problem.lines == [1] and NSI_GIRLS in problem.expected


# --------------------------------------------------------------------------- real sample


@pytest.mark.real_samples
def test_real_triplettes_extract_loads(real_samples: Path):
    result = sources.read("specialites_premiere",
                          real_samples / "fr-en-effectifs-specialites-triplettes-1ere-generale.na.csv")
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame
    assert sorted(frame["period"].unique()) == ["2021-2022", "2022-2023", "2023-2024"]
    region = _region(frame)
    assert region.loc["2021-2022", "pupils"] == 527 + 2448
    assert round(region.loc["2021-2022", "girls_share"], 2) == 0.18
    assert set(frame["sector"].unique()) == {"public", "private"}
    assert frame["department"].nunique() == 12


@pytest.mark.real_samples
def test_demo_triplettes_header_is_the_real_one(real_samples: Path, spe_dir: Path):
    real = (real_samples / "fr-en-effectifs-specialites-triplettes-1ere-generale.na.csv").read_text(encoding="utf-8-sig")
    demo = (spe_dir / "specialites" / PREMIERE).read_text(encoding="utf-8-sig")
    assert demo.splitlines()[0] == real.splitlines()[0]
