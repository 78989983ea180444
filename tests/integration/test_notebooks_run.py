"""Every target notebook runs through papermill; 1.1 also through the stock papermill command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import papermill as pm
import pytest

from drane_analysis.paths import notebooks_dir, project_root

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted(p for p in notebooks_dir().glob("*.ipynb") if p.name[0].isdigit())
SCOPES = ["bordeaux", "limoges", "poitiers", "region"]


def _outputs_text(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    chunks = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            for key in ("text/html", "text/markdown", "text/plain"):
                if key in out.get("data", {}):
                    chunks.append("".join(out["data"][key]))
            if out.get("output_type") == "stream":
                chunks.append("".join(out.get("text", "")))
    return "\n".join(chunks)


@pytest.mark.parametrize("k, path", list(enumerate(NOTEBOOKS)), ids=lambda x: getattr(x, "name", str(x)))
def test_notebook_runs_on_the_demo_data(k, path, demo_dir, tmp_path):
    # Each notebook runs for another scope and school year, so that the set covers them.
    scope = SCOPES[k % 4]
    period = ["2020-2021", "2021-2022", "2022-2023", "2023-2024", "2024-2025", "2025-2026"][k % 6]
    out = tmp_path / path.name
    pm.execute_notebook(str(path), str(out), parameters={"academy": scope, "period": period,
                                                         "data_dir": str(demo_dir)},
                        kernel_name="python3", progress_bar=False, cwd=str(path.parent))
    text = _outputs_text(out)
    assert period in text
    assert "Traceback" not in text


def test_stock_papermill_command_from_the_root_and_from_notebooks(demo_dir, tmp_path):
    nb = next(p for p in NOTEBOOKS if p.name.startswith("1.1-"))
    papermill = Path(sys.executable).with_name("papermill")
    for cwd, rel in ((project_root(), f"notebooks/{nb.name}"), (notebooks_dir(), nb.name)):
        out = tmp_path / f"out-{cwd.name}.ipynb"
        env = {**os.environ, "DRANE_DATA": str(demo_dir)}
        done = subprocess.run([str(papermill), rel, str(out), "-p", "academy", "limoges", "-p", "period",
                               "2022-2023"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        text = _outputs_text(out)
        assert "Académie de Limoges" in text and "2022-2023" in text
