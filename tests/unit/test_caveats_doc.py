"""docs/caveats.md, the assumptions-and-caveats log, cannot drift from the catalogue (issue 6).

One entry per indicator of ``params/`` (no more, no fewer), under its target's heading,
with the catalogue's French label, every source the catalogue declares for it, and code
locations that exist; and every reading of the roadmap the parameters make (an objective's
``reading``, a range objective, a secondary indicator) in the *Readings of the roadmap*
list, with its text as written in ``params/``. Reads the YAML catalogue and text files only
(no data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from drane_analysis.catalogue import load_catalogue
from drane_analysis.paths import project_root

DOC = Path("docs") / "caveats.md"
TARGET_HEADING = re.compile(r"^## Target (\S+) — (.+)$")
ENTRY_HEADING = re.compile(r"^### `([^`]+)` — (.+)$")


@dataclass
class Entry:
    id: str
    label: str
    target: str | None
    lines: list[str] = field(default_factory=list)

    def field_text(self, name: str) -> str:
        """The text of a ``- **Name**: …`` item (with its continuation lines), "" if absent."""
        out: list[str] = []
        inside = False
        for line in self.lines:
            if line.startswith("- **"):
                inside = line.startswith(f"- **{name}**:")
            if inside:
                out.append(line.strip())
        return " ".join(out)


def _parse() -> tuple[list[tuple[str, str]], list[Entry]]:
    text = (project_root() / DOC).read_text(encoding="utf-8")
    targets: list[tuple[str, str]] = []
    entries: list[Entry] = []
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            m = TARGET_HEADING.match(line)
            current = m.group(1) if m else None
            if m:
                targets.append((m.group(1), m.group(2)))
            continue
        m = ENTRY_HEADING.match(line)
        if m:
            entries.append(Entry(m.group(1), m.group(2), current))
        elif line.startswith("###"):
            raise AssertionError(f"{DOC}: an entry heading must read ### `id` — label, found {line!r}")
        elif entries:
            entries[-1].lines.append(line)
    return targets, entries


@pytest.fixture(scope="module")
def parsed() -> tuple[list[tuple[str, str]], list[Entry]]:
    return _parse()


def test_every_indicator_has_exactly_one_entry_and_no_other(parsed):
    _, entries = parsed
    ids = [e.id for e in entries]
    catalogue = [i.id for i in load_catalogue().indicators()]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicated, f"{DOC}: indicators with more than one entry: {duplicated}"
    missing = sorted(set(catalogue) - set(ids))
    assert not missing, f"{DOC}: no entry for {missing}"
    unknown = sorted(set(ids) - set(catalogue))
    assert not unknown, f"{DOC}: entries for indicators the catalogue lacks: {unknown}"


def test_targets_in_roadmap_order_with_their_titles(parsed):
    targets, _ = parsed
    cat = load_catalogue()
    assert targets == [(t.id, t.title) for t in cat.targets.values()]


def test_each_entry_under_its_target_with_the_catalogue_label(parsed):
    _, entries = parsed
    cat = load_catalogue()
    for e in entries:
        ind = cat.indicator(e.id)
        assert e.target == ind.target, f"{e.id} is under target {e.target}, not {ind.target}"
        assert e.label == ind.label, f"{e.id}: label {e.label!r}, the catalogue says {ind.label!r}"


def test_each_entry_has_its_parts_and_names_its_declared_sources(parsed):
    _, entries = parsed
    cat = load_catalogue()
    for e in entries:
        for part in ("Sources", "Computed", "Caveats", "Objective", "Code"):
            assert e.field_text(part), f"{e.id}: no « {part} » item"
        named = set(re.findall(r"`([a-z0-9_]+)`", e.field_text("Sources")))
        absent = [s for s in cat.indicator(e.id).sources if s not in named]
        assert not absent, f"{e.id}: declared sources not named in its « Sources » item: {absent}"


def test_code_locations_exist(parsed):
    _, entries = parsed
    root = project_root()
    for e in entries:
        code = e.field_text("Code")
        files = re.findall(r"`([\w/.]+\.py)`", code)
        assert files, f"{e.id}: no module named in its « Code » item"
        texts = []
        for f in files:
            path = root / f
            assert path.is_file(), f"{e.id}: {f} does not exist"
            texts.append(path.read_text(encoding="utf-8"))
        functions = re.findall(r"`([A-Za-z_]\w*)`", code)
        assert functions, f"{e.id}: no function named in its « Code » item"
        for name in functions:
            assert any(re.search(rf"^\s*def {name}\(", t, flags=re.M) for t in texts), \
                f"{e.id}: {name}() is defined in none of {files}"


def test_no_establishment_code_in_the_log():
    """The log ships in partner-lab bundles, which must hold no UAI."""
    text = (project_root() / DOC).read_text(encoding="utf-8")
    assert not re.search(r"\b\d{7}[A-Z]\b", text)


READINGS_HEADING = "## Readings of the roadmap"


def _reading_items() -> list[str]:
    """The bullets of the *Readings of the roadmap* section, each on one line (spaces normalised)."""
    text = (project_root() / DOC).read_text(encoding="utf-8")
    assert READINGS_HEADING in text, f"{DOC}: no section « {READINGS_HEADING[3:]} »"
    section = text.split(READINGS_HEADING, 1)[1].split("\n## ", 1)[0]
    items: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            items.append(line[2:])
        elif items and line.startswith("  "):
            items[-1] += " " + line.strip()
    return [" ".join(i.split()) for i in items]


def test_every_reading_of_the_parameters_is_listed_with_its_text():
    cat = load_catalogue()
    items = _reading_items()
    expected: dict[str, list[str]] = {}  # indicator → texts its bullet must hold
    for target in cat.targets.values():
        for o in target.objectives:
            if o.reading:
                expected.setdefault(o.indicator, []).append(" ".join(o.reading.split()))
            elif o.kind == "threshold" and o.upper is not None:
                expected.setdefault(o.indicator, []).append("borne basse")
    for ind in cat.indicators():
        if ind.is_secondary:
            expected.setdefault(ind.id, []).append(ind.secondary)
    assert expected, "the parameters hold no reading: the test would check nothing"
    for indicator, texts in expected.items():
        mine = [i for i in items if f"`{indicator}`" in i]
        assert mine, f"{DOC}: « {READINGS_HEADING[3:]} » does not list `{indicator}`"
        for text in texts:
            assert any(text in i for i in mine), \
                f"{DOC}: the reading of `{indicator}` is not written as in params/: « {text} »"
    listed = {m for i in items for m in re.findall(r"`([a-z0-9_]+)`", i)}
    unknown = sorted(x for x in listed - set(expected) if x in {i.id for i in cat.indicators()})
    assert not unknown, f"{DOC}: readings listed for indicators whose parameters make none: {unknown}"
