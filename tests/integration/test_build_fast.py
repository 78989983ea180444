"""The fast build: kernels forked from a warm template, each report in a fresh interpreter state.

Two small notebooks run one after the other through the build's own worker code
(``runner.run_job`` with the template): the first changes everything a report could leave
behind (a global, a library module's constant, matplotlib and seaborn settings, a pandas
option, the random generators, warnings filters, an environment variable, a frame of the
shared data); the second, run next in the same worker, must see none of it. A target
report built with the warm template must be byte-identical to the same report built with
an ordinary kernel.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from drane_analysis import runner
from drane_analysis.runner import Job
from drane_analysis.warm import Template

pytestmark = pytest.mark.slow

PARAMS = 'academy = "region"\nperiod = "latest"\ndata_dir = ""\n'

POLLUTE = r'''
import os, random, sys, warnings
import numpy as np, pandas as pd, matplotlib, matplotlib.pyplot as plt, seaborn as sns
from drane_analysis import report, referential
from drane_analysis.data import Data
LEAKED_GLOBAL = 42
report.BLUE = "#123456"
referential.LEAKED_ATTRIBUTE = True
sys.modules["leaked_module"] = type(sys)("leaked_module")
sns.set_theme(style="dark", font_scale=3)
plt.rcParams["lines.linewidth"] = 9.5
matplotlib.rcParams["axes.titlesize"] = 31
pd.set_option("display.max_rows", 3)
np.random.seed(1234); random.seed(1234)
os.environ["DRANE_LEAKED"] = "1"
frame = Data(data_dir).source("annuaire")
frame["name"] = "ÉCRASÉ"  # in place, in the frame the template shares
warnings.simplefilter("error")
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid()}))
'''

OBSERVE = r'''
import json, os, random, sys, warnings
import numpy as np, pandas as pd, matplotlib
from drane_analysis import report, referential
from drane_analysis.data import Data
seen = {
    "pid": os.getpid(), "ppid": os.getppid(),
    "library_preloaded": "drane_analysis.targets.t1_1_pix" in sys.modules,
    "leaked_global": "LEAKED_GLOBAL" in globals(),
    "blue": report.BLUE,
    "leaked_attribute": hasattr(referential, "LEAKED_ATTRIBUTE"),
    "leaked_module": "leaked_module" in sys.modules,
    "linewidth": float(matplotlib.rcParams["lines.linewidth"]),
    "titlesize": str(matplotlib.rcParams["axes.titlesize"]),
    "facecolor": str(matplotlib.rcParams["axes.facecolor"]),
    "font_size": float(matplotlib.rcParams["font.size"]),
    "max_rows": pd.get_option("display.max_rows"),
    "np_draw": float(np.random.random()),
    "py_draw": random.random(),
    "error_filter": any(f[0] == "error" and f[2] is Warning for f in warnings.filters),
    "env": os.environ.get("DRANE_LEAKED"),
    "names": sorted(set(Data(data_dir).source("annuaire")["name"].head(20).astype(str)))[:3],
}
print(json.dumps(seen))
'''


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import json\n" + code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _printed(out: Path, job: Job) -> dict:
    nb = json.loads((out / job.ipynb).read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")
    return json.loads(text.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def fresh_runs(demo_dir, tmp_path_factory):
    """pollute, observe, pollute, observe — one worker, kernels forked by one template."""
    work = tmp_path_factory.mktemp("fresh")
    pollute = _notebook(work / "pollute.ipynb", POLLUTE)
    observe = _notebook(work / "observe.ipynb", OBSERVE)
    out = work / "out"
    seen = []
    with Template(demo_dir) as template:
        runner.init_worker(template.socket_path)
        try:
            for k, (nb, slug) in enumerate([(pollute, "p"), (observe, "o"), (pollute, "p"), (observe, "o")]):
                # Target 1.1: the template warms its sources and series before forking.
                job = Job("1.1", f"{slug}{k}", "test", "limoges", "2025-2026", str(nb))
                res = runner.run_job(job, str(demo_dir), str(out))
                assert res.ok, res.message
                seen.append(_printed(out, job))
        finally:
            runner.init_worker(None)
        template_pid = template.proc.pid
    # Reference: the same observer in an ordinary kernel (a new interpreter).
    job = Job("1.1", "ref", "test", "limoges", "2025-2026", str(observe))
    res = runner.run_job(job, str(demo_dir), str(out))
    assert res.ok, res.message
    return seen, _printed(out, job), template_pid


@pytest.mark.xdist_group("fresh-runs")
def test_each_report_is_a_new_fork_of_the_warm_template(fresh_runs):
    seen, _, template_pid = fresh_runs
    assert len({s["pid"] for s in seen}) == 4
    assert all(s["ppid"] == template_pid for s in seen)
    assert seen[1]["library_preloaded"] and seen[3]["library_preloaded"]


@pytest.mark.xdist_group("fresh-runs")
def test_nothing_a_report_changes_reaches_the_next(fresh_runs):
    seen, reference, _ = fresh_runs
    for observed in (seen[1], seen[3]):
        assert observed["leaked_global"] is False
        assert observed["blue"] == "#000091"
        assert observed["leaked_attribute"] is False and observed["leaked_module"] is False
        assert observed["error_filter"] is False
        assert observed["env"] is None
        assert "ÉCRASÉ" not in observed["names"]
        # matplotlib, seaborn and pandas settings: those of a new interpreter.
        for key in ("linewidth", "titlesize", "facecolor", "font_size", "max_rows", "names"):
            assert observed[key] == reference[key], key


@pytest.mark.xdist_group("fresh-runs")
def test_random_generators_are_fresh(fresh_runs):
    import random

    import numpy as np

    seen, _, _ = fresh_runs
    np.random.seed(1234)
    random.seed(1234)
    seeded = (float(np.random.random()), random.random())
    draws = [(s["np_draw"], s["py_draw"]) for s in (seen[1], seen[3])]
    assert seeded not in draws  # not the polluter's seeded sequence
    assert draws[0][0] != draws[1][0] and draws[0][1] != draws[1][1]  # reseeded, as a new interpreter


def test_warm_report_is_identical_to_one_from_an_ordinary_kernel(demo_dir, tmp_path, monkeypatch):
    from drane_analysis.build import build

    args = dict(targets=["2.2"], academies=["poitiers"], periods=["2023-2024"], data_dir=demo_dir, jobs=1,
                say=lambda _m: None)
    warm = build(out_dir=tmp_path / "warm", **args)
    monkeypatch.setenv("DRANE_WARM", "off")
    cold = build(out_dir=tmp_path / "cold", **args)
    assert warm.exit_code == cold.exit_code == 0
    rel = "2023-2024/2.2-territoires-incubateurs/poitiers.html"
    assert (tmp_path / "warm" / rel).read_bytes() == (tmp_path / "cold" / rel).read_bytes()
    entry = json.loads((tmp_path / "warm" / "manifest.json").read_text(encoding="utf-8"))["reports"]
    entry = entry["2.2|poitiers|2023-2024"]
    assert 0 < entry["cells_s"] <= entry["duration_s"]
    assert "incubateurs" in entry["sources_read"] and "incubateurs" in entry["inputs"]
