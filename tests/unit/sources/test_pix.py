"""The Pix Certif readers: a pseudonymous person number replaces names and birth dates.

The export has no person identifier; the reader recognises the same person from last
name, first name and birth date (case, accents, spaces and hyphens ignored), numbers the
distinct persons and drops the identifiers (``sources.base.PersonKey``).
"""

from __future__ import annotations

from pathlib import Path

from drane_analysis.sources.base import read_files
from drane_analysis.sources.pix import (
    COMPETENCES,
    PIX_CERTIFICATION,
    PIX_CERTIFICATION_TEACHERS,
    is_pix_certification,
    persons,
)

HEADER = ["Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
          "Identifiant Externe", "Type de certification", "Statut", "Niveau", "Score en Pix", *COMPETENCES,
          "Commentaire jury pour l’organisation", "Session", "Centre de certification",
          "Date de passage de la certification"]


def line(number: int, first: str, last: str, born: str, kind: str, status: str, score: str, date: str) -> str:
    levels = ["2" if status == "Validée" else "0"] * len(COMPETENCES)
    cells = [str(number), first, last, born, "Limoges", "", kind, status, "-", score, *levels, "", "777",
             "COLLEGE A", date]
    return ";".join(f'"{c}"' if not c.isdigit() else c for c in cells)


def write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(";".join(f'"{h}"' for h in HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def test_same_person_same_number_whatever_the_spelling(tmp_path):
    base = tmp_path / "pix" / "certification"
    first = write(base / "0331503E" / "20210301_1000_resultats_session_1.csv", [
        line(1, "Élodie", "Dupont-Martin", "04/01/2006", "Pix", "Non obtenue", "0", "01/03/2021"),
        line(2, "Jean", "Durand", "05/02/2006", "Pix", "Validée", "180", "01/03/2021"),
        line(3, "Jean", "Durand", "", "Pix", "Validée", "170", "01/03/2021"),  # no birth date: alone
    ])
    second = write(base / "0331503E" / "20210510_1000_resultats_session_2.csv", [
        line(4, "ELODIE", "dupont martin", "04/01/2006", "Pix", "Validée", "150", "10/05/2021"),  # P000001 again
        line(5, "Jean", "Durand", "05/02/2007", "Pix", "Validée", "200", "10/05/2021"),          # another Jean
        line(6, "Jean", "Durand", "05/02/2006", "CléA Numérique by Pix", "Validée", "-", "10/05/2021"),
    ])
    result = read_files(PIX_CERTIFICATION, [first, second], base=base)
    assert result.ok, [p.format() for p in result.errors]
    frame = result.frame
    assert frame["pupil_id"].tolist() == ["P000001", "P000002", "P000003", "P000001", "P000004", "P000002"]
    for column in ("first_name", "last_name", "birth_date", "external_id", "certification_number"):
        assert column not in frame
    assert not frame.astype(str).apply(lambda c: c.str.contains("Durand|Dupont|2006", case=False)).any().any()
    assert is_pix_certification(frame).tolist() == [True] * 5 + [False]


def test_teachers_get_a_person_number(tmp_path):
    base = tmp_path / "pix" / "certification-enseignants"
    path = write(base / "limoges" / "20210301_1400_resultats_session_9.csv", [
        line(1, "Anne", "Leroy", "01/01/1980", "Pix", "Validée", "300", "01/03/2021"),
        line(2, "Anne", "Leroy", "01/01/1980", "Pix+ Édu 2nd degré", "Validée", "-", "01/03/2021"),
        line(3, "Paul", "Leroy", "01/01/1980", "Pix", "Validée", "310", "01/03/2021"),
    ])
    result = read_files(PIX_CERTIFICATION_TEACHERS, [path], base=base)
    assert result.ok, [p.format() for p in result.errors]
    assert result.frame["person_id"].tolist() == ["P000001", "P000001", "P000002"]


def test_persons_falls_back_on_rows():
    import pandas as pd

    frame = pd.DataFrame({"pupil_id": pd.array(["P1", None, "P1"], dtype="string")})
    assert persons(frame, "pupil_id").tolist() == ["P1", "row:1", "P1"]
    assert persons(frame.drop(columns="pupil_id"), "pupil_id").nunique() == 3
