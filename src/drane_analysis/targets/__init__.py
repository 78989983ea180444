"""One module per roadmap target, named after its number: ``t1_1_pix`` is target 1.1.

Each module declares ``TARGET = "<n.m>"`` and ``compute(data) -> series`` (one row per
indicator, scope and period; see :mod:`drane_analysis.indicators`), plus the breakdown and
detail functions its notebook shows.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pandas as pd

from .. import referential
from ..indicators import TABLE_COLUMNS, compute_series, evaluate


def modules() -> dict[str, ModuleType]:
    """Every target module by target id, in roadmap order."""
    found: dict[str, ModuleType] = {}
    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if mod.name.startswith("t") and not mod.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{mod.name}")
            if hasattr(module, "TARGET"):
                found[module.TARGET] = module
    return dict(sorted(found.items(), key=lambda kv: tuple(int(x) for x in kv[0].split("."))))


def module_for(target: str) -> ModuleType:
    """The module of one target (``"1.1"``)."""
    mods = modules()
    if target not in mods:
        raise KeyError(f"la cible {target} n'a pas encore de module d'indicateurs ; disponibles : {', '.join(mods)}")
    return mods[target]


def indicator_table(data, targets: list[str] | None = None, scopes: list[str] | None = None,
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
