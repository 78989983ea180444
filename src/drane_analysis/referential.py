"""The region, its academies and departments, establishment kinds and UAI codes.

Codes follow the ministry: academies Bordeaux ``04``, Poitiers ``13``, Limoges ``22``;
departments are normalised to their two-character INSEE code (``"33"``), whatever the
file wrote (``033``, ``33``, ``GIRONDE``). Scopes are lower-case slugs: ``bordeaux``,
``limoges``, ``poitiers`` and ``region``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

REGION_NAME = "Nouvelle-Aquitaine"
REGION_INSEE_CODE = "75"
REGION_ACADEMIC_CODE = "15"  # the DEPP "code région académique"
REGION_SCOPE = "region"


@dataclass(frozen=True)
class Academy:
    slug: str
    code: str  # ministry code, two digits
    name: str  # French label


@dataclass(frozen=True)
class Department:
    code: str  # two-character INSEE code
    name: str
    academy: str  # academy slug


ACADEMIES: dict[str, Academy] = {
    "bordeaux": Academy("bordeaux", "04", "Bordeaux"),
    "limoges": Academy("limoges", "22", "Limoges"),
    "poitiers": Academy("poitiers", "13", "Poitiers"),
}

DEPARTMENTS: dict[str, Department] = {
    d.code: d
    for d in [
        Department("24", "Dordogne", "bordeaux"),
        Department("33", "Gironde", "bordeaux"),
        Department("40", "Landes", "bordeaux"),
        Department("47", "Lot-et-Garonne", "bordeaux"),
        Department("64", "Pyrénées-Atlantiques", "bordeaux"),
        Department("19", "Corrèze", "limoges"),
        Department("23", "Creuse", "limoges"),
        Department("87", "Haute-Vienne", "limoges"),
        Department("16", "Charente", "poitiers"),
        Department("17", "Charente-Maritime", "poitiers"),
        Department("79", "Deux-Sèvres", "poitiers"),
        Department("86", "Vienne", "poitiers"),
    ]
}

SCOPES: tuple[str, ...] = (*ACADEMIES, REGION_SCOPE)
SCOPE_LABELS: dict[str, str] = {
    **{slug: f"Académie de {a.name}" for slug, a in ACADEMIES.items()},
    REGION_SCOPE: f"Région académique {REGION_NAME}",
}

# Establishment kinds, as tidy values. The annuaire's Type_etablissement maps onto them.
KINDS: dict[str, str] = {
    "ecole": "École",
    "college": "Collège",
    "lycee": "Lycée",
    "erea": "EREA",
    "medico_social": "Médico-social",
    "administratif": "Service administratif",
    "orientation": "Information et orientation",
    "autre": "Autre",
}
SECONDARY_KINDS: tuple[str, ...] = ("college", "lycee", "erea")
SECTORS: dict[str, str] = {"public": "Public", "private": "Privé"}
PRIORITY_EDUCATION: dict[str, str] = {"rep_plus": "REP+", "rep": "REP", "none": "Hors EP"}
TERRITORY_TYPES: dict[str, str] = {"urban": "Urbain", "rural": "Rural"}

# ---------------------------------------------------------------------------- UAI

UAI_KEY_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ"  # 23 letters: no I, O, Q
_UAI_RE = re.compile(r"^[0-9]{7}[A-Z]$")


def uai_check_letter(first7: str) -> str:
    """Return the check letter of a UAI from its first seven characters.

    The seven digits read as an integer, modulo 23, index the alphabet without I, O, Q.

    >>> uai_check_letter("0331503")
    'E'
    """
    return UAI_KEY_ALPHABET[int(first7) % 23]


def is_valid_uai(code: object) -> bool:
    """True for an 8-character UAI whose check letter is right."""
    if not isinstance(code, str) or not _UAI_RE.match(code):
        return False
    return uai_check_letter(code[:7]) == code[7]


def uai_problem(code: object) -> str | None:
    """Explain what is wrong with a UAI (in French, for users), or None if it is valid."""
    if not isinstance(code, str) or code == "":
        return "code UAI vide"
    if not _UAI_RE.match(code):
        return "un code UAI de 7 chiffres suivis d'une lettre clé (ex. 0331503E)"
    expected = uai_check_letter(code[:7])
    if code[7] != expected:
        return f"la lettre clé {expected} (calculée sur {code[:7]})"
    return None


def valid_uai_mask(codes: pd.Series) -> pd.Series:
    """Vectorised :func:`is_valid_uai` over a Series (missing values are invalid)."""
    s = codes.astype("string")
    shaped = s.str.fullmatch(r"[0-9]{7}[A-Z]").fillna(False).astype(bool)
    out = pd.Series(False, index=codes.index)
    if shaped.any():
        digits = s[shaped].str.slice(0, 7).astype("int64")
        letters = [UAI_KEY_ALPHABET[v] for v in (digits % 23).tolist()]
        out.loc[shaped] = s[shaped].str.slice(7, 8).to_numpy() == letters
    return out


def make_uai(department: str, serial: int, prefix: str = "0") -> str:
    """Build a valid UAI for a metropolitan department and a 4-digit serial number."""
    first7 = f"{prefix}{int(department):02d}{serial:04d}"
    return first7 + uai_check_letter(first7)


def department_of_uai(code: str) -> str | None:
    """Department (two characters) encoded in a UAI, for metropolitan codes."""
    if not isinstance(code, str) or len(code) < 3:
        return None
    if code[0] in "067":
        dept = code[1:3]
        if code[0] == "6" and dept == "20":
            return "2A"
        if code[0] == "7" and dept == "20":
            return "2B"
        return dept
    return code[:3]


# ------------------------------------------------------------- normalisation

_DEPT_BY_NAME = {d.name.upper(): d.code for d in DEPARTMENTS.values()}
_DEPT_BY_NAME.update({_k.replace("É", "E").replace("È", "E"): _v for _k, _v in list(_DEPT_BY_NAME.items())})


def normalise_department(value: object) -> str | None:
    """Two-character department code from ``033``, ``33``, ``33.0`` or a name; None if unknown.

    Codes outside the region are returned normalised too (``094`` gives ``94``): whether
    a department belongs to the region is :func:`academy_of_department`'s question.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if text == "":
        return None
    if re.fullmatch(r"[0-9]{1,3}(\.0)?", text):
        number = int(float(text))
        return f"{number:02d}" if number < 100 else f"{number:03d}"
    if re.fullmatch(r"0?2[AB]", text.upper()):
        return text.upper()[-2:]
    upper = text.upper().replace("É", "E").replace("È", "E")
    return _DEPT_BY_NAME.get(upper) or _DEPT_BY_NAME.get(text.upper())


def academy_of_department(code: str | None) -> str | None:
    """Academy slug of a department of the region, None elsewhere."""
    dept = DEPARTMENTS.get(code or "")
    return dept.academy if dept else None


def normalise_academy(value: object) -> str | None:
    """Academy slug from a code (``04``, ``4``), a label (``BORDEAUX``) or a slug; None if unknown."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    if text in ACADEMIES:
        return text
    for slug, academy in ACADEMIES.items():
        if text.lstrip("0") == academy.code.lstrip("0") and text.isdigit():
            return slug
        if text == academy.name.lower():
            return slug
    return None


def departments_of(scope: str) -> list[str]:
    """Department codes of a scope (an academy slug or ``region``)."""
    check_scope(scope)
    return [d.code for d in DEPARTMENTS.values() if scope == REGION_SCOPE or d.academy == scope]


def check_scope(scope: str) -> str:
    """Return the scope if known, else raise a ValueError listing the valid ones."""
    if scope not in SCOPES:
        raise ValueError(
            f"périmètre inconnu « {scope} » : attendu l'un de {', '.join(SCOPES)}"
        )
    return scope


def in_scope(frame: pd.DataFrame, scope: str, column: str = "academy") -> pd.DataFrame:
    """Rows of ``frame`` belonging to ``scope`` (every row for the region)."""
    check_scope(scope)
    if scope == REGION_SCOPE:
        return frame
    return frame[frame[column] == scope]


def departments_frame() -> pd.DataFrame:
    """The twelve departments as a table: code, name, academy, academy_code."""
    return pd.DataFrame(
        [
            {
                "department": d.code,
                "department_name": d.name,
                "academy": d.academy,
                "academy_code": ACADEMIES[d.academy].code,
            }
            for d in DEPARTMENTS.values()
        ]
    )
