"""The contract engine on broken inputs: every problem named by file, line and column.

A small contract stands for every source: a UAI, a department, a count, a part of that
count, a date and a category, keyed by (uai, year).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from drane_analysis.sources import base
from drane_analysis.sources.base import Contract, Field, RowCheck, read_files
from essai import DETAIL_FIELDS, essai

CONTRACT = essai(
    "essai",
    *DETAIL_FIELDS,
    checks=(RowCheck("girls_le_pupils", ("girls", "pupils"), "un nombre de filles ≤ le nombre d'élèves",
                     lambda f: f["girls"] <= f["pupils"]),),
)
HEADER = "UAI;Département;Année;Élèves;Filles;Date;Type;Nom"
GOOD = [
    "0331503E;033;2022;120;60;12/05/2023;Collège;Dupont",
    "0160010Z;16;2022;300;150;13/05/2023;Lycée;Durand",
]


def write(tmp_path: Path, lines: list[str], name: str = "f.csv", encoding: str = "utf-8",
          newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
    return path


def problems_of(path: Path) -> list[base.Problem]:
    result = read_files(CONTRACT, [path], base=path.parent)
    assert not result.ok
    return result.errors


def only(problems: list[base.Problem]) -> base.Problem:
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


def test_good_file_is_typed_tidy_and_drops_names(tmp_path):
    result = read_files(CONTRACT, [write(tmp_path, [HEADER, *GOOD])], base=tmp_path)
    assert result.ok, [p.format() for p in result.problems]
    frame = result.frame
    assert list(frame.columns) == ["uai", "department", "year", "pupils", "girls", "day", "kind"]
    assert "Dupont" not in frame.to_string()
    assert frame["department"].tolist() == ["33", "16"]
    assert str(frame["pupils"].dtype) == "Int64"
    assert frame["day"].iloc[0] == pd.Timestamp("2023-05-12")
    assert frame["kind"].tolist() == ["college", "lycee"]


def test_bom_crlf_aliases_and_accents_in_headers_are_accepted(tmp_path):
    header = "numero_uai;DEPARTEMENT;annee;eleves;filles;date;type"
    lines = [header, *[";".join(g.split(";")[:7]) for g in GOOD]]
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    result = read_files(CONTRACT, [path], base=tmp_path)
    assert result.ok, [p.format() for p in result.problems]
    assert len(result.frame) == 2


def test_latin1_file_names_the_line_of_the_first_bad_byte(tmp_path):
    p = only(problems_of(write(tmp_path, [HEADER, *GOOD], encoding="latin-1")))
    assert p.lines == [1] and "UTF-8" in p.expected and "Latin-1" in p.found


def test_utf16_file(tmp_path):
    p = only(problems_of(write(tmp_path, [HEADER, *GOOD], encoding="utf-16")))
    assert "UTF-16" in p.found


def test_wrong_separator(tmp_path):
    lines = [line.replace(";", ",") for line in [HEADER, *GOOD]]
    p = only(problems_of(write(tmp_path, lines)))
    assert p.lines == [1] and "virgule" in p.found and "« ; »" in p.expected


def test_missing_column_names_it_and_suggests_the_nearest(tmp_path):
    lines = [HEADER.replace("Élèves", "Elevs"), *GOOD]
    p = only(problems_of(write(tmp_path, lines)))
    assert p.column == "Élèves" and p.lines == [1] and "Elevs" in p.found


def test_duplicated_column(tmp_path):
    lines = [HEADER + ";Élèves", *[g + ";3" for g in GOOD]]
    p = only(problems_of(write(tmp_path, lines)))
    assert p.column == "Élèves" and "double" in p.found


def test_invalid_uai_check_letter(tmp_path):
    lines = [HEADER, GOOD[0].replace("0331503E", "0331503F"), GOOD[1]]
    p = only(problems_of(write(tmp_path, lines)))
    assert (p.column, p.lines, p.found) == ("UAI", [2], "0331503F")
    assert "lettre clé E" in p.expected


def test_text_in_a_count_and_negative_count(tmp_path):
    lines = [HEADER, GOOD[0].replace(";120;", ";cent;"), GOOD[1].replace(";150;", ";-5;")]
    found = {(p.column, tuple(p.lines)): p for p in problems_of(write(tmp_path, lines))}
    assert "nombre entier" in found[("Élèves", (2,))].expected
    assert "≥ 0" in found[("Filles", (3,))].expected


def test_numerator_over_denominator(tmp_path):
    lines = [HEADER, GOOD[0].replace(";120;60;", ";120;130;"), GOOD[1]]
    p = only(problems_of(write(tmp_path, lines)))
    assert p.lines == [2] and "≤ le nombre d'élèves" in p.expected and "130" in p.found


def test_duplicated_key_names_both_lines(tmp_path):
    p = only(problems_of(write(tmp_path, [HEADER, GOOD[0], GOOD[1], GOOD[0]])))
    assert p.lines == [2, 4] and "une seule ligne" in p.expected


def test_bad_date_and_unknown_category(tmp_path):
    lines = [HEADER, GOOD[0].replace("12/05/2023", "2023-05-12"), GOOD[1].replace("Lycée", "Université")]
    found = {p.column: p for p in problems_of(write(tmp_path, lines))}
    assert "JJ/MM/AAAA" in found["Date"].expected and found["Date"].lines == [2]
    assert "Collège" in found["Type"].expected and found["Type"].lines == [3]


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    assert "vide" in only(problems_of(empty)).found
    assert "en-tête seul" in only(problems_of(write(tmp_path, [HEADER], name="entete.csv"))).found


def test_truncated_last_line(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("\n".join([HEADER, GOOD[0], "0160010Z;16;2022;300"]), encoding="utf-8")
    p = only(problems_of(path))
    assert p.lines == [3] and "incomplète" in p.found and "8 champs" in p.expected


def test_too_many_fields(tmp_path):
    p = only(problems_of(write(tmp_path, [HEADER, GOOD[0] + ";extra;x", GOOD[1]])))
    assert p.lines == [2] and "trop de champs" in p.found


def test_excel_formula_in_a_cell(tmp_path):
    p = only(problems_of(write(tmp_path, [HEADER, GOOD[0].replace(";120;", ";=SOMME(A1:A3);"), GOOD[1]])))
    assert p.column == "Élèves" and "formule" in p.expected


def test_file_from_another_region_and_a_stray_row(tmp_path):
    other = [HEADER, "0940176F;094;2022;10;5;12/05/2023;Collège;X"]
    p = only(problems_of(write(tmp_path, other, name="autre.csv")))
    assert "Nouvelle-Aquitaine" in p.expected and "94" in p.found
    mixed = [HEADER, *GOOD, "0940176F;094;2022;10;5;12/05/2023;Collège;X"]
    p = only(problems_of(write(tmp_path, mixed, name="mixte.csv")))
    assert p.lines == [4] and p.column == "Département"


def test_size_limit_is_read_from_params(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "_limits", lambda: {"max_file_mb": 0, "lines_listed_per_problem": 8})
    p = only(problems_of(write(tmp_path, [HEADER, *GOOD])))
    assert "moins de 0 Mo" in p.expected and "params/limits.yaml" in p.expected


def test_every_problem_of_every_file_at_once(tmp_path):
    a = write(tmp_path, [HEADER, GOOD[0].replace("0331503E", "0331503F"), GOOD[1].replace(";150;", ";x;")],
              name="a.csv")
    b = write(tmp_path, [HEADER.replace("Type", "Genre"), *GOOD], name="b.csv")
    result = read_files(CONTRACT, [a, b], base=tmp_path)
    files = sorted({p.file for p in result.errors})
    assert files == ["a.csv", "b.csv"] and len(result.errors) == 3


def test_same_problem_in_many_files_is_summarised(tmp_path):
    paths = [write(tmp_path, [HEADER, GOOD[0].replace(";120;", ";x;").replace(";2022;", f";{2010 + i};")],
                   name=f"f{i}.csv") for i in range(5)]
    result = read_files(CONTRACT, paths, base=tmp_path)
    lines = base.summarise(result.errors)
    assert len(lines) == 1 and lines[0].startswith("dans 5 fichiers")


def test_a_rule_that_raises_is_reported_not_silently_passed(tmp_path):
    broken = Contract(name="x", title="x", folder="x", patterns=("*.csv",), fields=(Field("a", ("a",), "int"),),
                      checks=(RowCheck("boom", ("a",), "rien", lambda f: f["a"].map(lambda v: 1 / 0)),))
    path = write(tmp_path, ["a", "1"])
    result = read_files(broken, [path], base=tmp_path)
    assert not result.ok and "boom" in result.errors[0].expected


def test_problem_format_lists_lines_then_summarises():
    p = base.Problem("f.csv", "un nombre entier", column="Élèves", lines=list(range(2, 30)), found="x")
    text = p.format(max_lines=3)
    assert text.startswith("f.csv, lignes 2, 3, 4 et 25 autres, colonne « Élèves »")
