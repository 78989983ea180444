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


def test_a_csv_saved_by_excel_in_windows_1252_reads_as_the_utf8_file_with_one_warning(tmp_path):
    """Excel's « CSV (séparateur : point-virgule) »: Windows-1252, no BOM, CRLF."""
    lines = [HEADER, *GOOD, "0870015U;87;2022;80;41;14/05/2023;Collège;Lœvenbrück"]
    utf8 = read_files(CONTRACT, [write(tmp_path, lines, name="utf8.csv")], base=tmp_path)
    path = write(tmp_path, lines, name="excel.csv", encoding="cp1252", newline="\r\n")
    assert b"\xe9" in path.read_bytes() and b"\x9c" in path.read_bytes()  # é and œ as single bytes
    result = read_files(CONTRACT, [path], base=tmp_path)
    assert result.ok and not result.errors
    pd.testing.assert_frame_equal(result.frame, utf8.frame)
    warning = only(result.problems)
    assert warning.severity == "warning" and warning.file == "excel.csv"
    assert warning.lines == [1]  # the header's « Département »: the first accent, where to check
    text = warning.format()
    assert text.startswith("avertissement — excel.csv, ligne 1 : ") and "Windows-1252" in text and "UTF-8" in text


def test_one_warning_per_windows_1252_file_even_when_their_header_is_refused(tmp_path):
    lines = [HEADER.replace("Élèves", "Elevs"), *GOOD]
    paths = [write(tmp_path, lines, name=f"{k}.csv", encoding="cp1252") for k in (1, 2)]
    result = read_files(CONTRACT, paths, base=tmp_path)
    warnings = [p for p in result.problems if p.severity == "warning"]
    assert sorted(p.file for p in warnings) == ["1.csv", "2.csv"]
    errors = result.errors  # the header's problem told for each file, an error, not the warning again
    assert sorted(p.file for p in errors) == ["1.csv", "2.csv"] and all(p.column == "Élèves" for p in errors)


def test_a_file_neither_utf8_nor_windows_1252_names_the_line_and_the_byte(tmp_path):
    # Mac Roman: « è » is 0x8F, a byte Windows-1252 leaves undefined.
    lines = [HEADER, *GOOD, "0870015U;87;2022;80;41;14/05/2023;Collège;Martin"]
    p = only(problems_of(write(tmp_path, lines, encoding="mac-roman")))
    assert p.lines == [1] and "UTF-8" in p.expected and "0x8f" in p.found and "Windows-1252" in p.found


def test_a_binary_file_is_not_read_as_windows_1252(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\xe9" + HEADER.encode())  # an .xlsx renamed .csv
    p = only(problems_of(path))
    assert "UTF-8" in p.expected and "0x03" in p.found


def test_utf8_rows_and_windows_1252_rows_in_one_file_are_refused(tmp_path):
    """A UTF-8 export to which rows were added by a tool writing Windows-1252: either way,
    one part would read garbled."""
    path = tmp_path / "f.csv"
    path.write_bytes("\n".join([HEADER, GOOD[0]]).encode() + b"\n" + GOOD[1].encode("cp1252") + b"\n")
    p = only(problems_of(path))
    assert p.lines == [3] and "un seul encodage" in p.expected
    assert "ligne 1 en UTF-8" in p.found and "0xe9" in p.found
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join([HEADER, *GOOD]).encode("cp1252"))  # a BOM says UTF-8
    p = only(problems_of(bom))
    assert p.lines == [1] and "marque UTF-8" in p.found


def test_a_loader_warns_once_per_windows_1252_file_and_not_again_from_its_cache(tmp_path, monkeypatch):
    import warnings

    from drane_analysis import sources

    monkeypatch.setenv("DRANE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(sources.CONTRACTS, CONTRACT.name, CONTRACT)
    folder = tmp_path / "data" / "essai"
    folder.mkdir(parents=True)
    write(folder, [HEADER, *GOOD], name="a.csv", encoding="cp1252")
    write(folder, [HEADER, GOOD[0].replace("2022", "2023"), GOOD[1].replace("2022", "2023")], name="b.csv")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = sources.load(CONTRACT.name, tmp_path / "data")
        again = sources.load(CONTRACT.name, tmp_path / "data")
    assert len(first) == 4
    pd.testing.assert_frame_equal(again, first)
    messages = [str(w.message) for w in seen if issubclass(w.category, sources.DataWarning)]
    assert len(messages) == 1 and "essai/a.csv" in messages[0] and "Windows-1252" in messages[0]


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
    monkeypatch.setattr(base, "limits", lambda: {"max_file_mb": 0, "lines_listed_per_problem": 8})
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
