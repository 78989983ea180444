from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drane_analysis import referential as ref

REAL_UAIS = ["0331503E", "0160010Z", "0240026Y", "0230002C", "0171418Z", "0350122T", "0940176F"]


@pytest.mark.parametrize("uai", REAL_UAIS)
def test_real_uais_pass_their_check_letter(uai):
    assert ref.is_valid_uai(uai)
    assert ref.uai_problem(uai) is None


def test_wrong_check_letter_is_explained():
    assert not ref.is_valid_uai("0331503F")
    assert ref.uai_problem("0331503F") == "la lettre clé E (calculée sur 0331503)"
    assert "7 chiffres" in ref.uai_problem("331503E")


@given(st.integers(min_value=0, max_value=9_999_999))
def test_check_letter_is_never_i_o_q(n):
    letter = ref.uai_check_letter(f"{n:07d}")
    assert letter not in "IOQ" and len(letter) == 1


@given(st.sampled_from(sorted(ref.DEPARTMENTS)), st.integers(min_value=0, max_value=9999))
def test_make_uai_is_valid_and_keeps_its_department(dept, serial):
    uai = ref.make_uai(dept, serial)
    assert ref.is_valid_uai(uai)
    assert ref.department_of_uai(uai) == dept


def test_vectorised_mask_agrees_with_scalar():
    codes = pd.Series(REAL_UAIS + ["0331503F", "", None, "ABCDEFGH"])
    assert ref.valid_uai_mask(codes).tolist() == [ref.is_valid_uai(c) for c in codes]


def test_region_structure_is_the_roadmaps():
    assert {a.code for a in ref.ACADEMIES.values()} == {"04", "13", "22"}
    assert len(ref.DEPARTMENTS) == 12
    assert ref.departments_of("limoges") == ["19", "23", "87"]
    assert len(ref.departments_of("region")) == 12


@pytest.mark.parametrize("raw, expected", [("033", "33"), ("33", "33"), ("33.0", "33"), ("GIRONDE", "33"),
                                           ("Deux-Sèvres", "79"), ("094", "94"), ("", None), ("XYZ", None)])
def test_department_normalisation(raw, expected):
    assert ref.normalise_department(raw) == expected


@pytest.mark.parametrize("raw, expected", [("04", "bordeaux"), ("4", "bordeaux"), ("BORDEAUX", "bordeaux"),
                                           ("22", "limoges"), ("Poitiers", "poitiers"), ("24", None)])
def test_academy_normalisation(raw, expected):
    assert ref.normalise_academy(raw) == expected


def test_unknown_scope_is_a_clear_error():
    with pytest.raises(ValueError, match="périmètre inconnu « lyon »"):
        ref.check_scope("lyon")
