"""Benchmark of the test suite: how long ``make test`` takes from a cold start, and where.

::

    .venv/bin/python benchmarks/test_suite.py [--jobs N] [--top N] [--warm]

Runs the suite as ``make test`` does (``pytest -n JOBS --dist loadgroup``, the Makefile's
command) with ``--durations=0``, in a fresh temporary folder (``TMPDIR``): the demo data and
the sources' Parquet cache that the tests share (kept between runs under pytest's
temporary root) are made again, as on a fresh CI machine; ``--warm`` keeps them (the
temporary root of the user's earlier runs). Prints the wall time, the CPU time of the run
(pytest, its workers and every process they started), the test counts, and the test files
that cost the most (the sum of their setup, call and teardown durations, summed over both
workers: compared with twice the wall time, it shows how busy the workers kept).

Target on 2 cores (README, issue 14): under 10 minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--warm", action="store_true", help="keep the demo data and cache of earlier runs")
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="drane-bench-tests-") as tmp:
        if not args.warm:
            env["TMPDIR"] = tmp
        cmd = [sys.executable, "-m", "pytest", "-n", str(args.jobs), "--dist", "loadgroup", "-q",
               "--durations=0", "-p", "no:cacheprovider"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    by_file: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        m = re.match(r"([\d.]+)s (?:setup|call|teardown)\s+(\S+)", line)
        if m:
            by_file[m.group(2).split("::")[0]] += float(m.group(1))
    summary = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and "passed" in line),
                   done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    print(f"make test ({'warm' if args.warm else 'cold'} start, {args.jobs} workers): {wall / 60:.1f} min "
          f"({wall:.0f} s wall), {cpu / 60:.1f} min CPU; exit {done.returncode}")
    print(f"  {summary.strip('= ')}")
    total = sum(by_file.values())
    print(f"  test durations summed: {total:.0f} s ({total / (args.jobs * wall):.0%} of {args.jobs} × wall)")
    print("  costliest test files (setup + call + teardown, seconds):")
    for name, seconds in by_file.most_common(args.top):
        print(f"    {seconds:7.1f}  {name}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
