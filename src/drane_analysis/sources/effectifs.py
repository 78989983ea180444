"""Pupils by level and sex, per collège and per lycée (DEPP open data), as a long table.

Three sibling datasets of data.education.gouv.fr, exported with API field headers, ``;``
(data-sources §4c):

- ``fr-en-lycee_gt-effectifs-niveau-sexe-lv`` (real, confirmed header): one row per
  lycée and *rentrée*, columns ``{2ndes|1eres|terminales}_{gt|g|sti2d|stl|stmg|st2s|std2a}``
  with ``_filles`` / ``_garcons`` (``sthr``, ``tmd`` and ``bt`` have totals only), plus
  language columns that are not read;
- ``fr-en-college-effectifs-niveau-sexe-lv``: header after a public SQL schema mirroring
  the file (``numero_college``, ``6eme_total``, ``6eme_filles``, ``6emes_garcons`` — the
  plural is the source's —, ``rep``, ``rep_plus``); the older API names
  ``nombre_total_de_6emes`` and ``rep0`` are accepted;
- ``fr-en-lycee_pro-effectifs-niveau-sexe-lv``: header designed after the GT one
  (``2ndes_pro``, ``1eres_pro``, ``terminales_pro``, ``1eres_annees_cap``,
  ``2emes_annees_cap``, each with ``_filles`` / ``_garcons``); not seen verbatim.

``rentree_scolaire`` is the year of the back-to-school (``2021`` means ``2021-2022``).
The tidy frame has one row per (uai, period, level), with level names shared with the
demo world (``6e``, ``2nde_gt``, ``1ere_g``, ``tle_pro``, ``cap1``...).
National files may be dropped as they are: rows outside the region (by UAI) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .. import referential
from . import register
from .base import Contract, Field, Provenance, RowCheck

FOLDER = "effectifs"
SECTOR_VALUES = {"PUBLIC": "public", "PRIVE": "private", "PRIVE SOUS CONTRAT": "private",
                 "Privé": "private"}


@dataclass(frozen=True)
class Level:
    """One level column group of a file: its tidy name, headers, and whether it is sexed."""

    level: str
    totals: tuple[str, ...]
    girls: tuple[str, ...] = ()
    boys: tuple[str, ...] = ()
    required: bool = True

    @property
    def sexed(self) -> bool:
        return bool(self.girls)


def _gt_levels() -> list[Level]:
    out: list[Level] = [Level("2nde_gt", ("2ndes_gt",), ("2ndes_gt_filles",), ("2ndes_gt_garcons",))]
    out += [Level(f"2nde_{t}", (f"2ndes_{t}",), required=False) for t in ("sthr", "tmd", "bt")]
    for prefix, short in (("1eres", "1ere"), ("terminales", "tle")):
        for track in ("g", "sti2d", "stl", "stmg", "st2s", "std2a"):
            out.append(Level(f"{short}_{track}", (f"{prefix}_{track}",), (f"{prefix}_{track}_filles",),
                             (f"{prefix}_{track}_garcons",), required=track != "std2a"))
        out += [Level(f"{short}_{t}", (f"{prefix}_{t}",), required=False) for t in ("sthr", "tmd", "bt")]
    return out


def _college_levels() -> list[Level]:
    return [
        Level(lv, (f"{n}eme_total", f"nombre_total_de_{n}emes"), (f"{n}eme_filles", f"{n}emes_filles"),
              (f"{n}emes_garcons", f"{n}eme_garcons"))
        for lv, n in (("6e", 6), ("5e", 5), ("4e", 4), ("3e", 3))
    ]


def _pro_levels() -> list[Level]:
    out = [Level(f"{short}_pro", (f"{prefix}_pro",), (f"{prefix}_pro_filles",), (f"{prefix}_pro_garcons",))
           for prefix, short in (("2ndes", "2nde"), ("1eres", "1ere"), ("terminales", "tle"))]
    out += [Level(lv, (f"{p}_cap", f"{p.rstrip('s')}_cap"), (f"{p}_cap_filles",), (f"{p}_cap_garcons",))
            for lv, p in (("cap1", "1eres_annees"), ("cap2", "2emes_annees"))]
    return out


GT_LEVELS = _gt_levels()
COLLEGE_LEVELS = _college_levels()
PRO_LEVELS = _pro_levels()


def _level_fields(levels: list[Level]) -> list[Field]:
    fields: list[Field] = []
    for lv in levels:
        fields.append(Field(f"pupils__{lv.level}", lv.totals, "int", f"élèves de {lv.level}", unit="count",
                            nullable=True, required=lv.required, min=0))
        if lv.sexed:
            fields.append(Field(f"girls__{lv.level}", lv.girls, "int", f"filles de {lv.level}",
                                unit="count", nullable=True, required=lv.required, min=0))
            fields.append(Field(f"boys__{lv.level}", lv.boys, "int", f"garçons de {lv.level}",
                                unit="count", nullable=True, required=lv.required, min=0))
    return fields


def _sum_check(level: str) -> RowCheck:
    g, b, t = f"girls__{level}", f"boys__{level}", f"pupils__{level}"
    return RowCheck(f"sexes_{level}", (t, g, b), f"filles + garçons = total pour {level}",
                    lambda f: f[g] + f[b] == f[t])


def _total_check(levels: list[Level], total: str) -> RowCheck:
    cols = tuple(f"pupils__{lv.level}" for lv in levels if lv.required)
    return RowCheck("levels_within_total", (total, *cols),
                    "une somme des niveaux inférieure ou égale au nombre total d'élèves",
                    lambda f: f[list(cols)].sum(axis=1) <= f[total])


def _make_tidy(levels: list[Level]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        """Wide levels → one row per (uai, period, level)."""
        parts = []
        for lv in levels:
            col = f"pupils__{lv.level}"
            if col not in frame:
                continue
            part = pd.DataFrame({
                "uai": frame["uai"], "period": frame["period"], "level": lv.level,
                "girls": frame.get(f"girls__{lv.level}", pd.Series(pd.NA, index=frame.index, dtype="Int64")),
                "boys": frame.get(f"boys__{lv.level}", pd.Series(pd.NA, index=frame.index, dtype="Int64")),
                "pupils": frame[col], "sector": frame["sector"],
            })
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        start = out["period"].astype("Int64")
        out["period"] = (start.astype("string") + "-" + (start + 1).astype("string")).astype("string")
        out["level"] = out["level"].astype("string")
        for c in ("girls", "boys", "pupils"):
            out[c] = out[c].astype("Int64")
        out["department"] = out["uai"].map(referential.department_of_uai).astype("string")
        out["academy"] = out["department"].map(referential.academy_of_department).astype("string")
        order = {lv.level: i for i, lv in enumerate(levels)}
        out["_order"] = out["level"].map(order)
        out = out.sort_values(["uai", "period", "_order"], kind="stable").drop(columns="_order")
        return out.reset_index(drop=True)

    return tidy


def _contract(name: str, title: str, patterns: tuple[str, ...], uai_headers: tuple[str, ...],
              total_headers: tuple[str, ...], levels: list[Level], dataset: str, public: bool,
              extra: tuple[Field, ...] = ()) -> Contract:
    fields = (
        Field("period", ("rentree_scolaire",), "int", "année de la rentrée (2021 = 2021-2022)",
              min=1990, max=2100),
        Field("uai", uai_headers, "uai", "code UAI de l'établissement"),
        Field("name", ("denomination_principale",), "string", nullable=True, required=False),
        Field("sector", ("secteur",), "category", "PUBLIC ou PRIVE", values=SECTOR_VALUES, nullable=True),
        Field("pupils_total", total_headers, "int", "nombre total d'élèves", unit="count",
              nullable=True, required=False, min=0),
        *extra,
        *_level_fields(levels),
    )
    checks = tuple(_sum_check(lv.level) for lv in levels if lv.sexed)
    checks += (_total_check(levels, "pupils_total"),)
    return register(Contract(
        name=name,
        title=title,
        description="Élèves par niveau et par sexe, un établissement par rentrée ; "
                    "mis en forme longue (un niveau par ligne).",
        folder=FOLDER,
        patterns=patterns,
        sep=";",
        decimal=".",
        fields=fields,
        key=("uai", "period"),
        checks=checks,
        region_column="uai",
        outside_region="drop",
        tidy=_make_tidy(levels),
        public_format=public,
        provenance=Provenance(
            producer="Ministère de l'Éducation nationale (DEPP)",
            url=f"https://data.education.gouv.fr/explore/dataset/{dataset}/",
            licence="Licence Ouverte / Etalab 2.0",
            documentation="data-sources §4c",
        ),
    ))


LYCEE_GT = _contract(
    "effectifs_lycee_gt", "Effectifs des lycées généraux et technologiques par niveau et sexe",
    ("*lycee_gt-effectifs-niveau-sexe-lv*.csv",), ("numero_lycee", "uai"), ("nombre_d_eleves",),
    GT_LEVELS, "fr-en-lycee_gt-effectifs-niveau-sexe-lv", True,
)

COLLEGE = _contract(
    "effectifs_college", "Effectifs des collèges par niveau et sexe",
    ("*college-effectifs-niveau-sexe-lv*.csv",), ("numero_college", "uai"), ("nombre_eleves_total",),
    COLLEGE_LEVELS, "fr-en-college-effectifs-niveau-sexe-lv", True,
)

LYCEE_PRO = _contract(
    "effectifs_lycee_pro", "Effectifs des lycées professionnels par niveau et sexe",
    ("*lycee_pro-effectifs-niveau-sexe-lv*.csv",), ("numero_lycee", "uai"), ("nombre_d_eleves",),
    PRO_LEVELS, "fr-en-lycee_pro-effectifs-niveau-sexe-lv", False,
)
