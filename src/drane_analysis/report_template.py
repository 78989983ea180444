"""What the ``drane`` nbconvert template needs from Python: the report's table of contents.

:class:`ReportPreprocessor` is declared in the template's ``conf.json`` and runs on every
export: it collects the section headings of the notebook's markdown cells (with the ids
nbconvert gives them), marks the cell before which the table of contents goes (the first
section, "En bref": the headline stays first, right after the title block), and makes
the page French (``<html lang="fr">``).
"""

from __future__ import annotations

import html
import re

from nbconvert.preprocessors import Preprocessor

_HEADING = re.compile(r'<h([23])[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")


def headings(markdown: str) -> list[tuple[int, str, str]]:
    """Level-2 and level-3 headings of a markdown text: ``(level, id, text)``, ids as nbconvert writes them."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    out = []
    for level, anchor, inner in _HEADING.findall(markdown2html_mistune(markdown)):
        inner = re.sub(r'<a class="anchor-link".*?</a>', "", inner, flags=re.S)
        text = html.unescape(_TAG.sub("", inner)).strip()
        if text:
            out.append((int(level), anchor, text))
    return out


class ReportPreprocessor(Preprocessor):
    """Table of contents and language of a report (see the module documentation)."""

    def preprocess(self, nb, resources):
        """Collect the headings into ``resources["drane_toc"]``, mark the first section, set ``fr``."""
        toc: list[dict] = []
        first = None
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            found = headings(cell.source)
            if found and first is None:
                first = cell
            toc += [{"level": lvl, "id": anchor, "text": text} for lvl, anchor, text in found]
        if first is not None and len(toc) > 1:
            first.metadata["drane_toc"] = True
        resources["drane_toc"] = toc
        resources["language_code"] = "fr"
        return nb, resources
