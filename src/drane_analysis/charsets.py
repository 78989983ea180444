"""Text encodings of the exports: UTF-8, or Windows-1252 as Excel saves a CSV.

The contracts ask for UTF-8 (with or without BOM). A file that Excel saved as « CSV
(séparateur : point-virgule) » is Windows-1252 instead: no BOM, accents as single bytes
(``é`` is ``0xE9``), often ``\\r\\n`` line ends. :func:`decode` reads such a file rather than
refuse it, and says so (the reader turns that into one warning per file):

1. a UTF-16 byte order mark: refused (:class:`Undecodable`, ``kind="utf-16"``);
2. UTF-8 (a BOM is dropped): read as UTF-8;
3. otherwise Windows-1252, when every byte is a printable Windows-1252 character (no
   control character but tab, line feed and carriage return; none of the five bytes the
   code page leaves undefined) and the file holds no UTF-8-encoded accent — a file
   with a UTF-8 BOM, ``Ã©`` (``é`` in UTF-8) or ``â€™`` (``’``) bytes is UTF-8 that
   was added to in another encoding: refused as mixed (``kind="mixed"``), since reading
   it either way would garble one part;
4. anything else (a Mac, DOS or binary file): refused (``kind="unknown"``).

Latin-1 and ISO-8859-15 files read the same as Windows-1252 for every French letter. A
Windows-1252 file whose accents all happen to form valid UTF-8 (« Ç« » is the two bytes
of « ǫ ») is read as UTF-8: a real export, with an accent before a plain letter on almost
every line, never is.
No statistical guess (such as charset-normalizer's): the rule is exact, the same for a
one-line file and a national one, and a file in another 8-bit code page that happens to
pass step 3 shows its accents garbled at the line the warning names.

:func:`sniff` gives the same verdict reading a file in chunks, and :func:`sniff_file` for
a file, its bytes seen once (the build hashes every input file anyway and says in its log
which ones are Windows-1252). Pure Python, no pandas: the build's planning imports it.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .errors import EXIT_DATA, DraneError

UTF8 = "UTF-8"
CP1252 = "Windows-1252"
#: What a file that is not UTF-8 is told to become (the reader's problems, in French).
UTF8_EXPECTED = "un fichier encodé en UTF-8 (réenregistrez-le en « CSV UTF-8 »)"
#: The warning of a file read as Windows-1252: what was expected, what was found.
CP1252_EXPECTED = ("un fichier encodé en UTF-8 — il est lu quand même ; réenregistré en « CSV UTF-8 », "
                   "il ne sera plus signalé")
CP1252_FOUND = "encodage Windows-1252 (CSV point-virgule d'Excel)"
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: Bytes no Windows-1252 text holds: control characters but tab, LF and CR, and the five
#: bytes the code page leaves undefined.
_NOT_CP1252 = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d]")
#: UTF-8 encodings of accented Latin letters (Ã + continuation) and of the typographic
#: punctuation (’ “ ” – — … € …: E2 80 xx); in Windows-1252, « Ã© » or « â€™ » — never
#: French text, always UTF-8 read the wrong way.
_UTF8_ACCENT = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x80[\x80-\xbf]")


@dataclass(frozen=True)
class Decoded:
    """A file's text and the encoding it was read in.

    ``line`` is, for a Windows-1252 file, the first line holding a non-ASCII character
    (where to check that the accents read right); 0 otherwise.
    """

    text: str
    encoding: str
    line: int = 0


class Undecodable(DraneError, ValueError):
    """Neither UTF-8 nor Windows-1252 (the sources turn it into a problem of the file).

    Attributes:
        kind: ``utf-16``, ``mixed`` (UTF-8 with another encoding added) or ``unknown``.
        line: the line of the offending byte (1 = the first line), 0 for the whole file.
        byte: the offending byte (empty for UTF-16).
        utf8_line: for ``mixed``, a line that is UTF-8 (0 when the file has a BOM only).
    """

    exit_code = EXIT_DATA

    def __init__(self, kind: str, line: int = 0, byte: bytes = b"", utf8_line: int = 0):
        self.kind = kind
        self.line = line
        self.byte = byte
        self.utf8_line = utf8_line
        where = f", ligne {line}" if line else ""
        what = f" : octet 0x{byte.hex()}" if byte else ""
        super().__init__(f"fichier illisible ni en UTF-8 ni en Windows-1252 ({kind}{where}){what}")


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode(raw: bytes) -> Decoded:
    """The text of a file's bytes, UTF-8 or Windows-1252 (see the module documentation).

    Line ends are left as they are. Raises :class:`Undecodable` for anything else.
    """
    if raw[:2] in UTF16_BOMS:
        raise Undecodable("utf-16")
    bom = raw.startswith(BOM)
    body = raw[len(BOM):] if bom else raw
    try:
        return Decoded(body.decode("utf-8"), UTF8)
    except UnicodeDecodeError as exc:
        bad_utf8 = exc.start
    offset = len(BOM) if bom else 0
    other = _NOT_CP1252.search(body)
    if other is not None:
        at = offset + other.start()
        raise Undecodable("unknown", _line_of(raw, at), raw[at:at + 1])
    accent = _UTF8_ACCENT.search(body)
    if bom or accent is not None:
        raise Undecodable("mixed", _line_of(raw, offset + bad_utf8), body[bad_utf8:bad_utf8 + 1],
                          _line_of(raw, offset + accent.start()) if accent is not None else 0)
    first = next(k for k, b in enumerate(body) if b >= 0x80)
    return Decoded(body.decode("cp1252"), CP1252, _line_of(body, first))


def sniff(chunks: Iterable[bytes]) -> str:
    """The encoding :func:`decode` would read a file in, from its bytes in chunks of any
    size: :data:`UTF8`, :data:`CP1252`, or ``""`` when it would refuse the file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    other = accent = False
    start = b""
    tail = b""  # the end of the previous chunk: a UTF-8 accent may straddle two chunks
    for chunk in chunks:
        if not chunk:
            continue
        if len(start) < 3:
            start += chunk[: 3 - len(start)]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        other = other or _NOT_CP1252.search(chunk) is not None
        accent = accent or _UTF8_ACCENT.search(tail + chunk) is not None
        tail = chunk[-2:]
    if start[:2] in UTF16_BOMS:
        return ""
    if utf8:
        try:
            decoder.decode(b"", final=True)
            return UTF8
        except UnicodeDecodeError:
            pass
    if other or accent or start == BOM:
        return ""
    return CP1252


def _chunks(path: str | os.PathLike[str], size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(size), b"")


def sniff_file(path: str | os.PathLike[str], each_chunk: Callable[[bytes], object] | None = None) -> str:
    """:func:`sniff` of a file, reading it once (``each_chunk`` sees every chunk: the build
    hashes them) when it is UTF-8, the usual case; a file that is not is read again for the
    Windows-1252 checks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    start = b""
    for chunk in _chunks(path):
        if each_chunk is not None:
            each_chunk(chunk)
        if len(start) < 2:
            start += chunk[:2]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8 and start[:2] not in UTF16_BOMS:
        try:
            decoder.decode(b"", final=True)
            return UTF8
        except UnicodeDecodeError:
            pass
    return sniff(_chunks(path))
