"""Encodings of the exports: UTF-8, or Windows-1252 as Excel saves a CSV (charsets.py)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from drane_analysis import charsets
from drane_analysis.charsets import CP1252, UTF8, Undecodable, decode, sniff

TEXT = "UAI;Libellé;Type\r\n0331503E;Lycée Élie-Faure — l’œil;Collège\r\n"
CASES = {
    "ascii": b"UAI;Nom\n0331503E;Dupont\n",
    "utf8": TEXT.encode("utf-8"),
    "utf8-bom": charsets.BOM + TEXT.encode("utf-8"),
    "cp1252": TEXT.encode("cp1252"),
    "latin-1": "Département;Libellé\n33;Lycée\n".encode("latin-1"),
    "mac-roman": TEXT.encode("mac-roman"),
    "cp850": "Département;Libellé\n33;Lycée à Pau\n".encode("cp850"),
    "binary": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xe9",
    "utf16": TEXT.encode("utf-16"),
    "mixed": TEXT.encode("utf-8") + "33;Lycée\n".encode("cp1252"),
    "mixed-quote": "l’école\n".encode() + "Lycée\n".encode("cp1252"),
    "bom-then-cp1252": charsets.BOM + TEXT.encode("cp1252"),
    "empty": b"",
    "bom-only": charsets.BOM,
}


def _verdict(raw: bytes) -> str:
    try:
        return decode(raw).encoding
    except Undecodable:
        return ""


def test_decode_reads_utf8_and_windows_1252_and_refuses_the_rest():
    assert {name: _verdict(raw) for name, raw in CASES.items()} == {
        "ascii": UTF8, "utf8": UTF8, "utf8-bom": UTF8, "cp1252": CP1252, "latin-1": CP1252,
        "mac-roman": "", "cp850": CP1252, "binary": "", "utf16": "", "mixed": "", "mixed-quote": "",
        "bom-then-cp1252": "", "empty": UTF8, "bom-only": UTF8,
    }
    assert decode(CASES["cp1252"]).text == TEXT  # CRLF kept: line ends are the reader's business
    assert decode(CASES["utf8-bom"]).text == TEXT  # the BOM dropped


def test_the_refusals_say_why_and_where():
    with pytest.raises(Undecodable) as exc:
        decode(CASES["utf16"])
    assert exc.value.kind == "utf-16"
    with pytest.raises(Undecodable) as exc:
        decode(CASES["mac-roman"])  # « è » of « Collège » is 0x8F, undefined in Windows-1252
    assert (exc.value.kind, exc.value.line, exc.value.byte) == ("unknown", 2, b"\x8f")
    with pytest.raises(Undecodable) as exc:
        decode(CASES["mixed"])
    assert (exc.value.kind, exc.value.line, exc.value.byte, exc.value.utf8_line) == ("mixed", 3, b"\xe9", 1)
    with pytest.raises(Undecodable) as exc:
        decode(CASES["bom-then-cp1252"])
    assert (exc.value.kind, exc.value.line, exc.value.utf8_line) == ("mixed", 1, 0)


def test_the_line_of_a_windows_1252_file_is_its_first_accent():
    raw = "UAI;Nom\n0331503E;Dupont\n0160010Z;Lefèvre\n".encode("cp1252")
    assert decode(raw).line == 3


@pytest.mark.parametrize("name", sorted(CASES))
def test_sniff_agrees_with_decode_whatever_the_chunks(name):
    raw = CASES[name]
    expected = _verdict(raw)
    assert sniff([raw]) == expected
    for size in (1, 2, 3, 5, 7):
        assert sniff(raw[k:k + size] for k in range(0, len(raw), size)) == expected, size


def test_sniff_file_agrees_with_decode_and_sees_every_byte_once(tmp_path):
    for name, raw in CASES.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(raw)
        seen: list[bytes] = []
        assert charsets.sniff_file(path, seen.append) == _verdict(raw), name
        assert b"".join(seen) == raw


@given(st.binary(max_size=60), st.lists(st.integers(0, 60), max_size=4))
def test_sniff_agrees_with_decode_on_any_bytes(raw, cuts):
    bounds = [0, *sorted(min(c, len(raw)) for c in cuts), len(raw)]
    chunks = [raw[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert sniff(chunks) == _verdict(raw)


@given(st.text(alphabet="abcdeéèêàçôûüœ’«» ;\n0123456789ÉÈÇ", max_size=80))
def test_french_text_saved_in_windows_1252_reads_back(text):
    raw = text.encode("cp1252")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # ASCII, or bytes that also spell UTF-8 (« Ç« » is « ǫ »): read as UTF-8, as any reader would
        assume(False)
    decoded = decode(raw)
    assert (decoded.text, decoded.encoding) == (text, CP1252)
