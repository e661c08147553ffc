"""Every gallery script runs, on its own, as a user would run it.

Each script runs in a fresh interpreter (``sys.executable``) from an empty working directory,
with a non-interactive matplotlib backend, one BLAS/OpenMP thread, and ``EXPLAIN_GALLERY_OUT``
pointing at a temporary directory. It must exit with status 0 and write at least one PNG there.
How long the scripts take is measured by ``benchmarks/bench_gallery.py``, not asserted here: a
wall-clock limit fails on a loaded machine and says nothing about the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GALLERY = Path(__file__).resolve().parent.parent / "gallery"
SCRIPTS = sorted(GALLERY.glob("*.py"))
HANG_GUARD_SECONDS = 1800  # stops a script that hangs; not a speed limit (see the docstring)


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
        "plot_shap_habits.py",
        "plot_interactions.py",
        "plot_on_a_cluster.py",
        "plot_ale.py",
        "plot_more_plots.py",
        "plot_counterfactuals.py",
        "plot_audit_text.py",
        "plot_images.py",
        "plot_text.py",
        "plot_audit_multiclass.py",
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
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    pngs = sorted(out.glob("*.png"))
    assert pngs, f"{script.name} wrote no PNG to EXPLAIN_GALLERY_OUT"
    assert all(p.stat().st_size > 1000 for p in pngs), [p.name for p in pngs if p.stat().st_size <= 1000]
    assert not list(work.iterdir()), f"{script.name} wrote into its working directory: {list(work.iterdir())}"


def test_gallery_scripts_never_show_or_use_pyplot():
    for script in SCRIPTS:
        text = script.read_text(encoding="utf-8")
        assert "plt.show" not in text and "pyplot" not in text, script.name
        assert text.startswith('"""'), f"{script.name} needs a module docstring (its title) first"
        assert "# %%" in text, f"{script.name} has no '# %%' cells"
