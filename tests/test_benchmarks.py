"""The benchmark scripts stay runnable: each one starts and prints its usage.

They are measurements, not tests (benchmarks/README.md holds their results), and a full run
takes minutes; this only guards against the scripts rotting (imports, arguments)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("bench_*.py"))


def test_the_benchmarks_are_there():
    assert {s.name for s in SCRIPTS} >= {"bench_tree_shap.py", "bench_shapley.py", "bench_lime.py", "bench_audit.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_a_benchmark_script_starts(script: Path, tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
