"""The package's layers: what computes never imports what presents, lower never imports higher.

From the bottom up (a module imports only modules of its layer or below):

0. base: the paths, school years, referential, file and charset helpers, French argparse,
   progress and the errors;
1. formatting, catalogue, coverage, privacy, stats: rules and numbers, no data read;
2. sources, data, derived_cache, indicators, exports, sidecar: the data and the series;
3. render, maps: the report blocks (HTML, charts, maps), no target;
4. targets: one module per target, computing only (never render, maps, report, views,
   IPython, matplotlib or seaborn);
5. views: one module per target, how its report shows it;
6. report: the Report class the notebooks open;
7. the application (synthesis, portal, build, runner, warm, publish, schedule, share,
   opendata, cli, the nbconvert template's preprocessor) and, beside it, the demo data
   generator, which nothing below the application imports.

Imports are read with :mod:`ast`, at module level and inside functions, relative and
absolute; those under ``if TYPE_CHECKING:`` (annotations only) are left out.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import drane_analysis
from drane_analysis import paths, targets, views

PACKAGE = Path(drane_analysis.__file__).parent
NOTEBOOKS = paths.notebooks_dir()

BASE, RULES, DATA, RENDER, TARGETS, VIEWS, REPORT, APPLICATION = range(8)

#: Every module of the package by its name under ``drane_analysis`` (a subpackage by its
#: name: all its modules are in its layer). A module missing here fails the test.
LAYERS = {
    "": BASE,  # the package itself (__version__)
    "paths": BASE, "periods": BASE, "referential": BASE, "fsutil": BASE, "charsets": BASE,
    "argparse_fr": BASE, "progress": BASE, "errors": BASE,
    "formatting": RULES, "catalogue": RULES, "coverage": RULES, "privacy": RULES, "stats": RULES,
    "sources": DATA, "data": DATA, "derived_cache": DATA, "indicators": DATA, "exports": DATA, "sidecar": DATA,
    "render": RENDER, "maps": RENDER,
    "targets": TARGETS,
    "views": VIEWS,
    "report": REPORT,
    "synthesis": APPLICATION, "portal": APPLICATION, "build": APPLICATION, "runner": APPLICATION,
    "warm": APPLICATION, "publish": APPLICATION, "schedule": APPLICATION, "share": APPLICATION,
    "opendata": APPLICATION, "cli": APPLICATION, "report_template": APPLICATION,
    "demo": APPLICATION,  # a tool beside the application
}
LAYER_NAMES = ["base", "rules", "data", "render", "targets", "views", "report", "application"]

#: What a target module never imports (inside the package, then outside).
NOT_IN_TARGETS = ("drane_analysis.render", "drane_analysis.maps", "drane_analysis.report", "drane_analysis.views")
PRESENTATION_LIBRARIES = ("IPython", "matplotlib", "seaborn")

#: Import cycles between modules of the package, each with its reason (none today).
ALLOWED_CYCLES: dict[frozenset[str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, but those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for other in node.orelse:
                yield from _imports(other)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def _source(node: ast.ImportFrom, module: str) -> str:
    """The absolute name of the module a ``from … import`` statement of ``module`` reads."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    return ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))


def _imported(module: str) -> set[str]:
    """The modules ``module`` imports: the package's by their full name, others by their top name."""
    out: set[str] = set()
    for node in _imports(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name if alias.name in MODULES else alias.name.split(".")[0] for alias in node.names)
            continue
        source = _source(node, module)
        for alias in node.names:  # a submodule, else a name of the module
            full = f"{source}.{alias.name}"
            out.add(full if full in MODULES else source if source in MODULES else source.split(".")[0])
    out.discard(module)
    return out


GRAPH = {module: _imported(module) for module in MODULES}


def _layer(module: str) -> int | None:
    """The layer of a module of the package (None if the table lacks it)."""
    name = module.removeprefix("drane_analysis").removeprefix(".")
    top = name.split(".")[0]
    return LAYERS.get(top)


def _target_modules() -> dict[str, Path]:
    return {name: path for name, path in MODULES.items() if re.fullmatch(r"drane_analysis\.targets\.t\d+_\d+_\w+", name)}


def test_the_graph_reads_relative_absolute_and_function_level_imports_but_not_type_checking_ones():
    assert "drane_analysis.derived_cache" in GRAPH["drane_analysis.data"]  # from . import derived_cache
    assert "drane_analysis.sources.base" in GRAPH["drane_analysis.sources"]  # from .base import …
    assert "drane_analysis.referential" in GRAPH["drane_analysis.sources.base"]  # from .. import referential
    assert "drane_analysis.build" in GRAPH["drane_analysis.cli"]  # inside a function
    assert "drane_analysis.data" not in GRAPH["drane_analysis.derived_cache"]  # under if TYPE_CHECKING:
    assert "pandas" in GRAPH["drane_analysis.data"]


def test_every_module_has_its_layer():
    missing = sorted(module for module in MODULES if _layer(module) is None)
    assert not missing, (f"modules without a layer: {missing}; add them to LAYERS in {Path(__file__).name} "
                         "(and to the layers of the README)")


def test_no_module_imports_a_module_of_a_higher_layer():
    upward = []
    for module, imported in GRAPH.items():
        own = _layer(module)
        for other in sorted(imported):
            theirs = _layer(other) if other in MODULES else None
            if own is not None and theirs is not None and theirs > own:
                upward.append(f"{module} ({LAYER_NAMES[own]}) imports {other} ({LAYER_NAMES[theirs]})")
    assert not upward, "\n".join(upward)


def test_target_modules_compute_without_presentation():
    found = {}
    for module in _target_modules():
        bad = sorted(m for m in GRAPH[module] if m.startswith(NOT_IN_TARGETS) or m in PRESENTATION_LIBRARIES)
        if bad:
            found[module] = bad
    assert not found, f"target modules importing presentation: {found}"


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b", "pandas"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycle_but_those_listed_with_their_reason():
    cycles = set(_cycles(GRAPH))
    assert cycles <= set(ALLOWED_CYCLES), [sorted(c) for c in cycles - set(ALLOWED_CYCLES)]
    assert set(ALLOWED_CYCLES) <= cycles, "a listed cycle is gone: remove it from ALLOWED_CYCLES"


def _private_uses(module: str, text: str | None = None) -> list[str]:
    """``from X import _name`` and ``X._name`` in ``module`` (its file, or ``text``) where X
    is another module of the package."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8") if text is None else text)
    bound, found = _module_bindings(tree, module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = _dotted(node.value, bound)
            if owner in MODULES and owner != module:
                found.append(f"{module}:{node.lineno}: {owner}.{node.attr}")
    return found


def _module_bindings(tree: ast.AST, module: str) -> tuple[dict[str, str], list[str]]:
    """The local names bound to modules of the package, and the private names imported from one."""
    bound: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound.update((alias.asname or alias.name, alias.name) for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and (source := _source(node, module)) in MODULES:
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif _private(alias.name) and source != module:
                    found.append(f"{module}:{node.lineno}: from {source} import {alias.name}")
    return bound, found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _dotted(node: ast.expr, bound: dict[str, str]) -> str | None:
    """The module of the package an expression names (``sources``, ``sources.base``), if any."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value, bound)
        return f"{owner}.{node.attr}" if owner else None
    return None


def test_the_private_use_check_finds_both_kinds():
    sample = ("from .sources.base import _limits, limits\nfrom . import runner, sources\n"
              "import drane_analysis.data as d\n"
              "def f(self):\n    runner._fork_available(); sources.base._x; d._PRELOADED; self._own; __version__\n")
    assert sorted(_private_uses("drane_analysis.build", sample)) == [
        "drane_analysis.build:1: from drane_analysis.sources.base import _limits",
        "drane_analysis.build:5: drane_analysis.data._PRELOADED",
        "drane_analysis.build:5: drane_analysis.runner._fork_available",
        "drane_analysis.build:5: drane_analysis.sources.base._x",
    ]


def test_no_module_uses_a_private_name_of_another():
    found = [use for module in MODULES for use in _private_uses(module)]
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------- the target protocol

NOTEBOOK_OF = {path.name.split("-")[0]: path for path in NOTEBOOKS.glob("*.ipynb")
               if re.match(r"\d+\.\d+-", path.name)}


def _stem(module_name: str) -> str:
    return module_name.rpartition(".")[2]


@pytest.mark.parametrize("name", sorted(_target_modules()))
def test_every_target_module_satisfies_the_protocol(name):
    module = importlib.import_module(name)
    number = re.fullmatch(r"t(\d+)_(\d+)_[a-z0-9_]+", _stem(name))
    assert number, f"{name}: a target module is named t<n>_<m>_<slug>"
    assert isinstance(module.TARGET, str) and f"{number[1]}.{number[2]}" == module.TARGET, name
    assert targets.modules()[module.TARGET] is module and targets.module_for(module.TARGET) is module
    assert callable(module.compute)
    params = list(inspect.signature(module.compute).parameters.values())
    assert [p.name for p in params] == ["data"], f"{name}.compute takes one argument, data"
    assert params[0].kind is not inspect.Parameter.KEYWORD_ONLY
    if hasattr(module, "REGION_WIDE"):
        assert isinstance(module.REGION_WIDE, bool), f"{name}.REGION_WIDE is a bool"
    if hasattr(module, "warm"):
        assert callable(module.warm)
        assert list(inspect.signature(module.warm).parameters)[:2] == ["data", "period"], f"{name}.warm(data, period)"


def test_the_protocol_declares_what_is_checked():
    assert targets.TargetModule.__annotations__ == {"TARGET": "str"}
    assert list(inspect.signature(targets.TargetModule.compute).parameters) == ["self", "data"]
    assert views.ViewModule.__annotations__ == {"TARGET": "str"}
    assert set(NOTEBOOK_OF) <= set(targets.modules()), "a notebook without its target module"


@pytest.mark.parametrize("target", sorted(NOTEBOOK_OF))
def test_each_target_with_a_notebook_has_its_view_which_the_notebook_imports(target):
    stem = _stem(targets.module_for(target).__name__)
    view_name = "v" + stem[1:]
    assert (PACKAGE / "views" / f"{view_name}.py").is_file(), f"target {target}: no views/{view_name}.py"
    view = importlib.import_module(f"drane_analysis.views.{view_name}")
    assert target == view.TARGET and views.modules()[target] is view
    notebook = json.loads(NOTEBOOK_OF[target].read_text(encoding="utf-8"))
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    assert re.search(rf"^from drane_analysis\.views import (.*\W)?{view_name}\b|^import drane_analysis\.views\.{view_name}\b",
                     code, re.M), f"{NOTEBOOK_OF[target].name} does not import drane_analysis.views.{view_name}"
