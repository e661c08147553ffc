"""Every gallery script runs, on its own, as a user would run it.

Each script runs in a fresh interpreter (``sys.executable``) from an empty working directory,
with a non-interactive matplotlib backend, one BLAS/OpenMP thread, and ``EXPLAIN_GALLERY_OUT``
pointing at a temporary directory. It must exit with status 0, write at least one PNG there,
and finish in under 60 s (the target is 30 s on a loaded 2-core machine; the margin absorbs a
cold numba cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("*.py"))
LIMIT_SECONDS = 60.0


def test_gallery_has_the_examples():
    names = {script.name for script in SCRIPTS}
    expected = {
        "plot_quickstart.py",
        "plot_shap_vs_lime.py",
        "plot_pipeline_categorical.py",
        "plot_glassbox_gam.py",
        "plot_reason_codes.py",
        "plot_global_effects.py",
        "plot_audit.py",
        "plot_many_rows.py",
    }
    assert expected <= names


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_gallery_script_runs(script: Path, tmp_path: Path):
    out = tmp_path / "out"
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "EXPLAIN_GALLERY_OUT": str(out),
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * LIMIT_SECONDS,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    pngs = sorted(out.glob("*.png"))
    assert pngs, f"{script.name} wrote no PNG to EXPLAIN_GALLERY_OUT"
    assert all(p.stat().st_size > 1000 for p in pngs), [p.name for p in pngs if p.stat().st_size <= 1000]
    assert not list(work.iterdir()), f"{script.name} wrote into its working directory: {list(work.iterdir())}"
    assert elapsed < LIMIT_SECONDS, f"{script.name} took {elapsed:.1f} s (limit {LIMIT_SECONDS:.0f} s, target 30 s)"


def test_gallery_scripts_never_show_or_use_pyplot():
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        assert "plt.show" not in text and "pyplot" not in text, script.name
        assert text.startswith('"""'), f"{script.name} needs a module docstring (its title) first"
        assert "# %%" in text, f"{script.name} has no '# %%' cells"
