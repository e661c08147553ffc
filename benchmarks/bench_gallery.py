"""Time each gallery script as a user runs it: a fresh interpreter, an empty working directory.

The target: every script finishes in 30 s on a loaded 2-core machine (the first run in a fresh
environment also compiles numba's cache). ``tests/test_gallery.py`` checks that the scripts run
and draw; it does not time them, because a test that fails on a busy machine tells nothing about
the code. Printed: the wall seconds of each script, its CPU seconds (of the child process), and
whether it met the target; with the load average, so a slow number can be read in context.

Run: ``python benchmarks/bench_gallery.py`` (``--scripts plot_audit plot_quickstart`` for some).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import cpu_name, load_average

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
TARGET_SECONDS = 30.0


def run_script(script: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run of ``script``, and its exit status (same environment as the test)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        env = {
            **os.environ,
            "EXPLAIN_GALLERY_OUT": str(Path(tmp) / "out"),
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)], cwd=work, env=env, capture_output=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", nargs="+", metavar="NAME", help="script names without .py (default: all)")
    args = parser.parse_args()
    scripts = sorted(GALLERY.glob("*.py"))
    if args.scripts:
        scripts = [s for s in scripts if s.stem in set(args.scripts)]
    print(f"{cpu_name()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load average {load_average()}")
    print(f"| script | wall s | CPU s | target {TARGET_SECONDS:.0f} s | exit |\n| --- | --- | --- | --- | --- |")
    for script in scripts:
        wall, cpu, status = run_script(script)
        met = "met" if wall < TARGET_SECONDS else "MISSED"
        print(f"| {script.stem} | {wall:.1f} | {cpu:.1f} | {met} | {status} |", flush=True)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
