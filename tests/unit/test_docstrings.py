"""The public functions of the portal, exports, scheduling and open-data modules are documented.

(``make docs`` builds the API reference from these docstrings with pdoc.)
"""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["drane_analysis.portal", "drane_analysis.exports", "drane_analysis.schedule",
           "drane_analysis.opendata", "drane_analysis.report_template", "drane_analysis.cli"]


def _undocumented(module) -> list[str]:
    missing = []
    if not (module.__doc__ or "").strip():
        missing.append(module.__name__)
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                fn = member.fget if isinstance(member, property) else member
                if not attr.startswith("_") and inspect.isfunction(fn) and not (fn.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    return missing


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_a_docstring(name):
    assert _undocumented(importlib.import_module(name)) == []
