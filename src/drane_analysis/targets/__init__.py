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
