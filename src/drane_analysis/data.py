"""A data folder as the notebooks see it: sources loaded once, establishments described.

::

    data = Data(data_dir)                 # "" or None: the default data folder
    pix = data.source("pix_certification")
    est = data.establishments()           # one row per UAI, with territory and labels
    ips = data.ips()                      # uai, period, ips, ips_quartile

The establishment table joins the directory (``annuaire``), the commune density grid
(``communes``: rural or urban) and gives French labels for every breakdown.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import derived_cache, referential, sources
from .paths import DEMO_MARKER, resolve_data_dir
from .periods import Period
from .stats import grouped_quartile_labels

LYCEE_TYPES = {"300": "LEGT", "301": "LEGT", "302": "LEGT", "306": "LPO", "307": "LPO", "320": "LP"}
UNDER_CONTRACT_CODES = {"20", "21", "30", "31"}

BREAKDOWN_LABELS: dict[str, dict[str, str]] = {
    "territory": {"rural": "Rural", "urban": "Urbain"},
    "priority_education": {"rep_plus": "REP+", "rep": "REP", "none": "Hors éducation prioritaire"},
    "sector": {"public": "Public", "private": "Privé sous contrat"},
    "kind": dict(referential.KINDS),
    "ips_quartile": {"Q1": "Q1 (moins favorisés)", "Q2": "Q2", "Q3": "Q3", "Q4": "Q4 (plus favorisés)"},
    "level": {"3e": "3e", "terminale": "Terminale"},
    "academy": {slug: a.name for slug, a in referential.ACADEMIES.items()},
    "sex": {"F": "Filles", "M": "Garçons"},
}


# --------------------------------------------------------------------------- sharing and tracking
#
# A build's warm template process (``warm.py``) loads a folder's sources and derived frames
# once and registers them here; every Data of the same folder created afterwards in that
# process, or in a kernel forked from it, starts with them (same frames, no reload): by
# folder, a Data's three stores (sources, memos, memos' sources: see :class:`Data`).
_PRELOADED: dict[Path, tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, frozenset[str]]]] = {}
# Sets recording the sources read (``source``, ``has``), for the build's dependencies.
_TRACKERS: list[set[str]] = []
SOURCES_LOG_ENV = "DRANE_SOURCES_LOG"
_logged: set[tuple[str, str]] = set()


def preload(data: Data) -> None:
    """Share ``data``'s sources and memos (present and future) with every later Data of its folder."""
    _PRELOADED[data.dir] = (data._sources, data._memos, data._deps)


def record_source(name: str) -> None:
    """Note that source ``name`` was read: active trackers, and the build's log if asked."""
    for tracker in _TRACKERS:
        tracker.add(name)
    path = os.environ.get(SOURCES_LOG_ENV)
    if path and (path, name) not in _logged:
        _logged.add((path, name))
        try:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(name + "\n")
        except OSError:
            pass  # the build then falls back on the declared sources


class track_sources:  # noqa: N801 - used as a context manager, like a function
    """``with track_sources() as names:`` collects the sources read inside the block."""

    def __enter__(self) -> set[str]:
        self.names: set[str] = set()
        _TRACKERS.append(self.names)
        return self.names

    def __exit__(self, *exc) -> None:
        for k in range(len(_TRACKERS) - 1, -1, -1):  # by identity: two trackers may hold equal sets
            if _TRACKERS[k] is self.names:
                del _TRACKERS[k]
                break


def department_label(code: str) -> str:
    dept = referential.DEPARTMENTS.get(code)
    return f"{dept.name} ({code})" if dept else str(code)


def breakdown_label(breakdown: str, value: object) -> str:
    """French label of one value of a breakdown (``territory``, ``rural`` → ``Rural``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "Non renseigné"
    if breakdown == "department":
        return department_label(str(value))
    return BREAKDOWN_LABELS.get(breakdown, {}).get(str(value), str(value))


#: The sources a Data of one academy reads for that academy only: the person- and
#: month-level files, nearly all of the rows. The others are small and read whole, so that
#: what is computed across academies (IPS quartiles cut within the region, robots lent from
#: one academy to another, school years known from any academy) stays as for the region.
ACADEMY_SCOPED_SOURCES = frozenset({"pix_certification", "ent_comptes", "ent_acces"})


class Data:
    """Sources of one data folder, each loaded (and checked) once.

    ``Data(folder, academy="limoges")`` reads only that academy's rows of the large sources
    (:data:`ACADEMY_SCOPED_SOURCES`, from a Parquet cache entry of their own): a
    fraction of the work, for the indicators *of that academy* only — what it computes
    for other scopes is wrong. :func:`~.targets.indicator_table` uses it when one
    academy is asked; a target whose indicators need the whole region whatever the scope
    (``REGION_WIDE = True`` in its module, like 3.3's evaluation) gets the whole data.

    What it has read and derived is kept in three stores: the tidy frame of each source
    read (by source name), each derived value (:meth:`memo`, by key; keys starting with
    ``_`` are the library's own: the establishments, the IPS, the warm template's series)
    and the sources each memo was derived from (recorded again whenever it is served).
    :func:`preload` shares all three with the later Data of the same folder; a Data of one
    academy starts with the shared sources read whole only.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, academy: str | None = None):
        self.dir: Path = resolve_data_dir(data_dir)
        if academy is not None and academy not in referential.ACADEMIES:
            raise ValueError(f"académie inconnue « {academy} » ; attendu : {', '.join(referential.ACADEMIES)}")
        self.academy = academy
        shared, memos, deps = _PRELOADED.get(self.dir, ({}, {}, {}))
        if academy is not None:  # only the sources read whole: the memos may rest on scoped ones
            whole = set(sources.names()) - ACADEMY_SCOPED_SOURCES
            shared, memos, deps = {k: v for k, v in shared.items() if k in whole}, {}, {}
        # Copies: what this Data adds stays its own.
        self._sources: dict[str, pd.DataFrame] = dict(shared)
        self._memos: dict[str, Any] = dict(memos)
        self._deps: dict[str, frozenset[str]] = dict(deps)
        self._inline: frozenset[str] | None = None
        self._fingerprints: dict[str, str] = {}
        self._listings: dict[str, list[str]] = {}

    @property
    def inline(self) -> frozenset[str] | None:
        """The names of the sources given inline (:meth:`from_frames`); None for a data folder."""
        return self._inline

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes this Data can compute: every one, or its academy alone."""
        return referential.SCOPES if self.academy is None else (self.academy,)

    def for_academy(self, academy: str) -> Data:
        """A Data of the same folder reading the large sources for ``academy`` only."""
        out = Data(self.dir, academy=academy)
        out._fingerprints = self._fingerprints  # the same folder, seen at the same time
        out._listings = self._listings
        return out

    def file_names(self, name: str) -> list[str]:
        """The files of source ``name`` in the folder (:meth:`~.sources.base.Contract.file_names`),
        listed once per Data (like its frames): a report's method section counts them again."""
        if name not in self._listings:
            self._listings[name] = sources.contract(name).file_names(self.dir)
        return self._listings[name]

    def fingerprint(self, name: str) -> str:
        """:func:`.sources.fingerprint` of source ``name``, once per Data (like its frames)."""
        if name not in self._fingerprints:
            self._fingerprints[name] = sources.fingerprint(name, self.dir, file_names=self.file_names(name))
        return self._fingerprints[name]

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], demo: bool = False) -> Data:
        """A Data whose sources are given tidy frames (unit tests on tiny inline tables).

        ``has(name)`` is true exactly for the names given; ``establishments()`` needs an
        ``annuaire`` frame (and uses ``communes`` if given).
        """
        obj = cls.__new__(cls)
        obj.dir = Path("/nonexistent-test-data")
        obj.academy = None
        obj._fingerprints = {}
        obj._listings = {}
        obj._sources = dict(frames)
        obj._memos = {}
        obj._deps = {}
        obj._inline = frozenset(frames)
        obj.__dict__["demo_marker"] = {"periods": sorted({p for f in frames.values() if "period" in f
                                                          for p in f["period"].dropna().unique()})} if demo else None
        return obj

    def __repr__(self) -> str:
        return f"Data({str(self.dir)!r}, academy={self.academy!r})" if self.academy else f"Data({str(self.dir)!r})"

    # ------------------------------------------------------------------ sources

    def source(self, name: str) -> pd.DataFrame:
        """The tidy frame of a source (raises a clear error if absent or invalid)."""
        record_source(name)
        if name not in self._sources:
            scope = self.academy if name in ACADEMY_SCOPED_SOURCES else None
            names = self.file_names(name)
            self._sources[name] = sources.load(name, self.dir, academy=scope, file_names=names,
                                               key=self.fingerprint(name) if names else None)
        return self._sources[name]

    def memo(self, key: str, compute, persist: bool = False):
        """Compute a derived frame once per data folder (``compute()`` is called the first time).

        ``persist=True`` also keeps the frame on disk, next to the sources' Parquet cache
        (:mod:`.derived_cache`), for every later process: for the few costly frames derived
        from the large sources (establishment panels of the whole region). It is
        recomputed whenever a source it read changes, or the library's code or ``params/``.
        """
        if key not in self._memos:
            stored = derived_cache.lookup(self, key) if persist else None
            if stored is not None:
                value, names = stored
                for name in names:
                    record_source(name)
            else:
                with track_sources() as names:
                    value = compute()
                if persist:
                    derived_cache.store(self, key, value, names)
            self._memos[key] = value
            self._deps[key] = frozenset(names)
        else:
            for name in self._deps.get(key, ()):
                record_source(name)
        return self._memos[key]

    def has(self, name: str) -> bool:
        """True when the folder holds at least one file of the source."""
        if self._inline is not None:
            return name in self._inline
        record_source(name)
        return sources.contract(name).has_files(self.dir)

    @cached_property
    def demo_marker(self) -> dict | None:
        path = self.dir / DEMO_MARKER
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        return None

    @property
    def is_demo(self) -> bool:
        """True for a folder written by the demo data generator."""
        return self.demo_marker is not None

    def latest_period(self) -> str:
        """The latest school year the folder covers (demo marker, else the Pix and ENT files)."""
        if self.demo_marker:
            return self.demo_marker["periods"][-1]
        periods: set[str] = set()
        for name in ("pix_orga", "pix_certification", "ent_comptes", "formations"):
            if name in sources.names() and self.has(name):
                frame = self.source(name)
                if "period" in frame:
                    periods.update(frame["period"].dropna().unique())
        if not periods:
            return Period.of_date(pd.Timestamp.today()).shift(-1).label
        return max(periods, key=Period.parse)

    def resolve_period(self, period: str | None) -> str:
        if period in (None, "", "latest"):
            return self.latest_period()
        return Period.parse(period).label

    # ------------------------------------------------------------------ establishments

    def establishments(self) -> pd.DataFrame:
        """One row per UAI of the region with kind, sector, territory and French labels.

        Columns: uai, name, kind, lycee_type, sector, under_contract, academy, department,
        department_label, commune_code, territory, priority_education, opening_date.
        ``territory`` is missing when the commune density grid is absent or lacks the commune.
        """
        if "_establishments" in self._memos:
            for name in ("annuaire", "communes"):
                record_source(name)
            return self._memos["_establishments"]
        est = self.source("annuaire").copy()
        est["lycee_type"] = est["nature_code"].map(LYCEE_TYPES).astype("string") if "nature_code" in est else pd.NA
        code = est["private_contract_code"] if "private_contract_code" in est else pd.Series(pd.NA, index=est.index)
        est["under_contract"] = (est["sector"] == "public") | code.isin(UNDER_CONTRACT_CODES) | code.isna()
        est["department_label"] = est["department"].map(department_label).astype("string")
        if self.has("communes"):
            communes = self.source("communes")[["commune_code", "territory"]]
            est = est.merge(communes, on="commune_code", how="left")
        else:
            est["territory"] = pd.Series(pd.NA, index=est.index, dtype="string")
        cols = ["uai", "name", "kind", "lycee_type", "sector", "under_contract", "academy", "department",
                "department_label", "commune_code", "territory", "priority_education", "opening_date"]
        out = est[[c for c in cols if c in est.columns]].copy()
        self._memos["_establishments"] = out
        return out

    def ips(self) -> pd.DataFrame:
        """uai, period, ips and ``ips_quartile`` (within écoles, collèges, lycées of the region).

        Empty when no IPS file is in the folder.
        """
        if "_ips" in self._memos:
            for name in ("ips_ecoles", "ips_colleges", "ips_lycees"):
                record_source(name)
            return self._memos["_ips"]
        parts = []
        for name, group in (("ips_ecoles", "ecole"), ("ips_colleges", "college"), ("ips_lycees", "lycee")):
            if name in sources.names() and self.has(name):
                frame = self.source(name)[["uai", "period", "ips"]].copy()
                frame["ips_group"] = group
                parts.append(frame)
        if not parts:
            out = pd.DataFrame({"uai": pd.Series(dtype="string"), "period": pd.Series(dtype="string"),
                                "ips": pd.Series(dtype="Float64"), "ips_quartile": pd.Series(dtype="string")})
        else:
            out = pd.concat(parts, ignore_index=True)
            out["ips_quartile"] = grouped_quartile_labels(out["ips"], [out["period"], out["ips_group"]])
            out = out.drop(columns="ips_group").drop_duplicates(["uai", "period"])
        self._memos["_ips"] = out
        return out

    def ips_for(self, period: str) -> pd.DataFrame:
        """IPS of each UAI for a school year; the latest earlier year fills a missing one."""
        return self._ips_of_year(period).copy()

    def _ips_of_year(self, period: str) -> pd.DataFrame:
        """:meth:`ips_for`, the frame kept for the year (not to be modified)."""
        ips = self.ips()
        if ips.empty:
            return ips
        key = f"_ips_for:{Period.parse(period).label}"
        if key not in self._memos:  # computed once per year (the targets ask for each year often)
            if "_ips_keys" not in self._memos:  # school year's first year, and UAI codes
                self._memos["_ips_keys"] = (ips["period"].str.slice(0, 4).astype(int).to_numpy(),
                                            pd.factorize(ips["uai"])[0])
            years, codes = self._memos["_ips_keys"]
            rows = np.flatnonzero(years <= Period.parse(period).start)
            if not len(rows):
                rows = np.arange(len(ips))
            # By year (then file order), the last row of each UAI, kept in that order.
            seq = rows[np.lexsort((rows, years[rows]))]
            _, first_from_end = np.unique(codes[seq][::-1], return_index=True)
            self._memos[key] = ips.iloc[seq[np.sort(len(seq) - 1 - first_from_end)]]
        return self._memos[key]

    def with_ips(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (with ``period`` and ``uai``) plus the ``ips`` and ``ips_quartile`` of each
        row's UAI in its school year (:meth:`ips_for`; missing for a UAI without IPS).

        Rows come grouped by school year, the years in the order they first appear and each
        year's rows in their order (a row without a year is left out); the index is reset.
        """
        if self.ips().empty:
            return frame.assign(ips=np.nan, ips_quartile=pd.NA).reset_index(drop=True)
        codes, periods = pd.factorize(frame["period"])
        if not len(periods):  # no row with a year
            return frame.iloc[:0].assign(ips=np.nan, ips_quartile=pd.NA).reset_index(drop=True)
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]
        bounds = np.searchsorted(codes[order], np.arange(len(periods) + 1))
        uai = frame["uai"].to_numpy()
        ips, quartile = [], []
        for k, period in enumerate(periods):
            known = self._ips_of_year(period)
            # A left join on the UAI (one IPS row per UAI), made as positions.
            at = pd.Index(known["uai"]).get_indexer(uai[order[bounds[k]:bounds[k + 1]]])
            ips.append(pd.Series(known["ips"].array.take(at, allow_fill=True)))
            quartile.append(pd.Series(known["ips_quartile"].array.take(at, allow_fill=True)))
        out = frame.take(order).reset_index(drop=True)
        out["ips"] = pd.concat(ips, ignore_index=True)
        out["ips_quartile"] = pd.concat(quartile, ignore_index=True)
        return out
