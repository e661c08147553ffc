"""Regenerate the figures of the user guide (docs/images/*.png) from the gallery.

Runs every ``gallery/*.py`` script in a fresh interpreter, as ``tests/test_gallery.py`` does,
with ``EXPLAIN_GALLERY_OUT`` pointing at a temporary directory, then copies the figures the
guide shows into ``docs/images/``, reduced to a 256-colour palette to keep the repository small.

Usage, from the root of the repository::

    python docs/make_images.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"

#: gallery figure -> name in docs/images
FIGURES = {
    "quickstart_waterfall": "waterfall",
    "quickstart_bar": "bar",
    "quickstart_beeswarm": "beeswarm",
    "pipeline_dependence_contract": "dependence",
    "global_pdp_bmi": "effects_pdp_ice",
    "global_importances": "importances",
    "gam_shape_functions_grid": "shape_functions",
    "shap_vs_lime_compare": "compare",
    "reason_codes": "reasons",
}


def run_gallery(out: Path) -> None:
    env = {**os.environ, "EXPLAIN_GALLERY_OUT": str(out), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    for script in sorted((ROOT / "gallery").glob("*.py")):
        print(f"running {script.name}")
        subprocess.run([sys.executable, str(script)], cwd=out, env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        run_gallery(out)
        for source, name in FIGURES.items():
            image = Image.open(out / f"{source}.png").convert("RGB")
            target = IMAGES / f"{name}.png"
            image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
