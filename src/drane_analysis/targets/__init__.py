"""One module per roadmap target, named after its number: ``t1_1_pix`` is target 1.1.

Each module is a :class:`TargetModule`: it declares ``TARGET = "<n.m>"`` and
``compute(data) -> series`` (one row per indicator, scope and period; see
:mod:`drane_analysis.indicators`), plus the breakdown and detail functions its report
shows (drawn by its view, :mod:`drane_analysis.views`). A target module computes only:
it imports no report block, chart or IPython (``tests/unit/test_layers.py`` checks it).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

import pandas as pd

from .. import referential
from ..indicators import TABLE_COLUMNS, compute_series, evaluate

if TYPE_CHECKING:
    from ..data import Data


class TargetModule(Protocol):
    """What a target module ``targets/t<n>_<m>_<slug>.py`` provides (checked for every one
    by ``tests/unit/test_layers.py``).

    Required:

    - ``TARGET``: the target's number, ``"1.1"``, the one in the module's name (``t1_1_pix``);
    - ``compute(data)``: the indicator series of the target from a
      :class:`~drane_analysis.data.Data` (:data:`~drane_analysis.indicators.SERIES_COLUMNS`:
      one row per indicator, scope and school year), for every scope ``data`` can compute.

    Optional (read with ``getattr``, so not declared here):

    - ``REGION_WIDE: bool``: ``True`` when ``compute`` needs the whole region whatever the
      scope asked (3.3's evaluation): :func:`indicator_table` then never gives it a Data
      of one academy;
    - ``warm(data, period) -> None``: computes ahead, through ``data.memo``, the
      scope-independent frames the report shows for a school year (the build's warm
      template calls it once per target and year, :mod:`drane_analysis.warm`).
    """

    TARGET: str

    def compute(self, data: Data) -> pd.DataFrame: ...


def by_target(package: str, prefix: str) -> dict[str, ModuleType]:
    """The modules ``<prefix><n>_<m>_<slug>`` of ``package`` that declare ``TARGET``, by
    target id, in roadmap order (the target modules here, the view modules in
    :mod:`drane_analysis.views`)."""
    folder = Path(importlib.import_module(package).__file__).parent
    found: dict[str, ModuleType] = {}
    for mod in pkgutil.iter_modules([str(folder)]):
        if mod.name.startswith(prefix) and not mod.name.startswith("_"):
            module = importlib.import_module(f"{package}.{mod.name}")
            if hasattr(module, "TARGET"):
                found[module.TARGET] = module
    return dict(sorted(found.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("."))))


def modules() -> dict[str, TargetModule]:
    """Every target module by target id, in roadmap order."""
    return cast(dict[str, TargetModule], by_target(__name__, "t"))


def module_for(target: str) -> TargetModule:
    """The module of one target (``"1.1"``)."""
    mods = modules()
    if target not in mods:
        raise KeyError(f"la cible {target} n'a pas encore de module d'indicateurs ; disponibles : {', '.join(mods)}")
    return mods[target]


def indicator_table(data: Data, targets: list[str] | None = None, scopes: list[str] | None = None,
                    periods: list[str] | None = None, jobs: int = 1) -> pd.DataFrame:
    """The indicator table of every target that has its module (``drane indicators``).

    When the scopes asked are one academy, the large sources are read for that academy only
    (:class:`~drane_analysis.data.Data` with ``academy``): the same table, a fraction of the work.
    ``jobs`` > 1 computes the targets in that many processes forked from this one (what it
    has loaded is shared, what each reads stays its own); the same table, in the same order.
    """
    from ..data import Data

    scoped = data
    if (scopes and len(set(scopes)) == 1 and scopes[0] in referential.ACADEMIES and isinstance(data, Data)
            and data.academy is None and data.inline is None):
        scoped = data.for_academy(scopes[0])
    work = [(module, data if getattr(module, "REGION_WIDE", False) else scoped)
            for tid, module in modules().items() if not targets or tid in targets]
    frames = compute_series(work, jobs)
    if not frames:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    series = pd.concat(frames, ignore_index=True)
    return evaluate(series, periods=periods, scopes=scopes)
