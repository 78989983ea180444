"""Compare the HTML of two builds, report by report, but for the dates they print.

For refactorings that must change nothing a reader sees (issue 14's split of every target
into computation and view was checked this way)::

    drane build --data data/demo --out /tmp/before      # on the old commit
    drane build --data data/demo --out /tmp/after       # on the new one
    python scripts/compare_builds.py /tmp/before /tmp/after

Prints each report that differs (or is missing) and exits 1 if any does.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: What legitimately differs between two builds: the day and time they ran.
DATES = re.compile(rb"\d{2}/\d{2}/\d{4}( \xc3\xa0 \d{2}:\d{2})?|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")


def pages(out: Path) -> dict[str, Path]:
    """The HTML pages of a build's current generation, by path inside it."""
    root = (out / "current").resolve() if (out / "current").exists() else out.resolve()
    found = {str(p.relative_to(root)): p for p in sorted(root.rglob("*.html"))}
    return {name: p for name, p in found.items() if not name.startswith(".")}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = (pages(Path(a)) for a in argv)
    differ = 0
    for name, page in before.items():
        other = after.get(name)
        if other is None:
            print(f"manquant : {name}")
            differ += 1
        elif DATES.sub(b"DATE", page.read_bytes()) != DATES.sub(b"DATE", other.read_bytes()):
            print(f"différent : {name}")
            differ += 1
    print(f"{len(before)} page(s) comparée(s), {differ} différente(s)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
