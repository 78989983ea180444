"""Every target computes without the presentation libraries (tests/unit/test_layers.py reads
the imports; this runs them): in a fresh interpreter, import every target module and run
every ``compute`` on the demo data, then look at what was loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = """
import json, sys
from drane_analysis.data import Data
from drane_analysis.targets import modules

data = Data(sys.argv[1])
rows = {tid: len(module.compute(data)) for tid, module in modules().items()}
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("IPython", "matplotlib", "seaborn"))
print(json.dumps({"rows": rows, "loaded": loaded}))
"""


def test_every_target_computes_without_ipython_matplotlib_or_seaborn(demo_dir: Path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_dir)], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert len(result["rows"]) == 13 and all(n > 0 for n in result["rows"].values()), result["rows"]
    assert result["loaded"] == [], f"loaded by the targets' computation: {result['loaded'][:20]}"
