"""What each target's report shows: one module per roadmap target, beside its computation.

``views.v1_1_pix`` shows target 1.1, which ``targets.t1_1_pix`` computes: the target module
holds ``compute``, ``breakdown`` and the frames (no HTML, no chart, no IPython); its view
holds the ``show_*`` blocks, the charts, ``key_messages`` and ``coverage_notes``, written
with :mod:`drane_analysis.render` and :mod:`drane_analysis.formatting`. A notebook imports
both::

    from drane_analysis.targets import t1_1_pix as cible   # the numbers
    from drane_analysis.views import v1_1_pix as vue       # how they are shown

Each view module is a :class:`ViewModule`: it declares ``TARGET = "<n.m>"``, like its
target module (``tests/unit/test_layers.py`` checks that every target with a notebook has
its view, and that the notebook imports it).
"""

from __future__ import annotations

from typing import Protocol, cast

from ..targets import by_target


class ViewModule(Protocol):
    """What a view module ``views/v<n>_<m>_<slug>.py`` provides: ``TARGET``, the number of
    the target it shows (``"1.1"``), the same as its target module ``targets/t<n>_<m>_<slug>.py``.
    The rest (``show_*``, charts, ``key_messages``…) is what that target's notebook calls."""

    TARGET: str


def modules() -> dict[str, ViewModule]:
    """Every view module by target id, in roadmap order."""
    return cast(dict[str, ViewModule], by_target(__name__, "v"))
