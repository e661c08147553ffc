"""Interventional tree_shap with a large background: peak memory and time, shap in the same run,
and what ``background_size`` trades (time per row against the values of the whole background).

**Memory** (``--part memory``): a LightGBM binary classifier (100 trees of 31 leaves, the
defaults; ``--model hgb``: scikit-learn's HistGradientBoostingClassifier, 100 iterations) fitted
on 2 000 ``make_classification`` rows of 20 features; a background of 10 000 other rows; 2 000
and 20 000 rows explained, in probability (shap's definition: the log-odds values rescaled per
background row) and in log-odds. Ours: ``ex.Explainer(model, background=bg, background_size=None,
output=...).explain_local(rows)``, end to end. shap: ``shap.TreeExplainer(model,
data=shap.maskers.Independent(bg, max_samples=len(bg)), feature_perturbation="interventional",
model_output="probability")`` (an array passed as ``data`` would be sampled down to 100 rows by
shap, silently) on the first
``--shap-rows`` rows (shap is linear in the rows: its time is scaled to every row), and the largest
difference of values on those rows. ``--engine-at COMMIT`` adds the engine as it was at a commit
(``git show COMMIT:explain/methods/_tree_masks.py``, patched in for ``mask_shap`` and
``mask_shap_logistic``): the before of a before/after comparison (e2f26b5^ is the engine before
it was blocked).

**Trade-off** (``--part tradeoff``): 2 000 rows against ``background_size`` 100, 1 000 and every
row of the same 10 000-row background (each sample drawn by the Explainer with ``random_state``
0, 1, 2): wall seconds per 1 000 rows, and the values' root-mean-square and largest difference
to those of the whole background (beside the mean absolute value, for scale).

Every call runs in a fresh process, after a warm-up call (5 rows, 10 background rows) that loads
the compiled kernels from numba's cache; "peak MB" is the process's ``ru_maxrss`` growth during
the call (every allocation: numpy, numba, C++): what the call added to the process's largest
footprint. Wall seconds, numba on 2 threads, one call each (the machine may be shared: see the
load average printed first).

    python benchmarks/bench_tree_memory.py                        # both parts: about 40 minutes on 2 cores
    python benchmarks/bench_tree_memory.py --engine-at e2f26b5^   # and the engine before blocking (5 GB)
    python benchmarks/bench_tree_memory.py --quick                # 500 / 2 000 rows, 2 000 background rows
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import cpu_name, load_average, version

TRAIN_ROWS = 2000
FEATURES = 20
TREES = 100


def _model(kind: str) -> Any:
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=TREES, random_state=0)
    import lightgbm

    return lightgbm.LGBMClassifier(n_estimators=TREES, verbose=-1, random_state=0)


def _data(spec: dict[str, Any]) -> tuple[Any, np.ndarray, np.ndarray]:
    """The fitted model, the background and the rows to explain (disjoint rows of one data set)."""
    from sklearn.datasets import make_classification

    n, m = spec["rows"], spec["background_given"]
    X, y = make_classification(n_samples=TRAIN_ROWS + m + n, n_features=FEATURES, n_informative=10, random_state=0)
    model = _model(spec["model"]).fit(X[:TRAIN_ROWS], y[:TRAIN_ROWS])
    return model, X[TRAIN_ROWS : TRAIN_ROWS + m], X[TRAIN_ROWS + m :]


def _engine_at(commit: str) -> None:
    """Patch in the interventional mask engine as it was at ``commit`` (its relative imports made absolute)."""
    import importlib.util

    import explain.methods._tree_masks as current

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = subprocess.run(["git", "show", f"{commit}:explain/methods/_tree_masks.py"], cwd=root, check=True,
                            capture_output=True, text=True).stdout  # fmt: skip
    source = source.replace("from .._", "from explain._").replace("from ._", "from explain.methods._")
    folder = tempfile.mkdtemp(prefix="engine_at_")  # a file, so that numba can cache its kernels
    path = os.path.join(folder, "_tree_masks_at.py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("_tree_masks_at", path)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    for name in ("leaf_paths", "mask_shap", "mask_shap_logistic"):
        setattr(current, name, getattr(old, name))


def _call(spec: dict[str, Any], model: Any, bg: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, float]:
    """Values (n, d) of one explanation, and its base value."""
    if spec["engine"] == "shap":
        import shap

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # an array given as data is sampled down to 100 rows by shap (its Independent masker's
            # default max_samples): every row, as ours uses, is asked for explicitly
            every_row = shap.maskers.Independent(bg, max_samples=len(bg))
            reference = shap.TreeExplainer(model, data=every_row, feature_perturbation="interventional",
                                           model_output="probability")  # fmt: skip
            values = np.asarray(reference.shap_values(rows, check_additivity=False))
        return values.reshape(len(rows), -1), float(np.ravel(reference.expected_value)[-1])
    import explain as ex

    explainer = ex.Explainer(model, background=bg, background_size=spec["background_size"], output=spec["output"],
                             random_state=spec.get("seed", 0), progress=False)  # fmt: skip
    local = explainer.explain_local(rows)
    return np.asarray(local.values), float(local.base_values[0])


def _worker(spec: dict[str, Any]) -> None:
    model, bg, rows = _data(spec)
    if spec["engine"] == "before":
        _engine_at(spec["commit"])
    rows = rows[: spec["explained"]]
    _call({**spec, "background_size": None}, model, bg[:10], rows[:5])  # numba's cache, shap's imports
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    values, base = _call(spec, model, bg, rows)
    seconds = time.perf_counter() - start
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    np.save(spec["out"], values)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "base": base}))


def _run(spec: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "values": np.load(spec["out"])}


def _memory(args: argparse.Namespace, tmp: str) -> None:
    m = args.background
    print(f"\nMemory and time: {args.model}, {TREES} trees, {FEATURES} features, {m} background rows, every one used")
    print("| engine | output | rows | ours s | s per 1 000 rows | peak MB | shap s (rows timed) | shap/ours | "
          "shap peak MB | max abs diff to shap |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    engines = ["explain", *(["before"] if args.engine_at else [])]
    for n in args.rows:
        base = {"model": args.model, "rows": n, "background_given": m, "explained": n, "background_size": None,
                "commit": args.engine_at}  # fmt: skip
        shap_rows = min(n, args.shap_rows)
        shap = _run({**base, "engine": "shap", "output": "probability", "explained": shap_rows,
                     "out": f"{tmp}/shap.npy"}) if args.shap_rows else None  # fmt: skip
        for output in ("probability", "log_odds"):
            for engine in engines:
                got = _run({**base, "engine": engine, "output": output, "out": f"{tmp}/{engine}.npy"})
                label = "explain" if engine == "explain" else f"explain at {args.engine_at}"
                cells = [label, output, str(n), f"{got['seconds']:.1f}", f"{1000 * got['seconds'] / n:.2f}",
                         f"{got['peak_mb']:.0f}"]  # fmt: skip
                if output == "probability" and shap is not None:
                    scaled = shap["seconds"] * n / shap_rows
                    diff = np.abs(got["values"][:shap_rows] - shap["values"]).max()
                    cells += [f"{scaled:.1f} ({shap_rows} rows scaled)", f"{scaled / got['seconds']:.1f}",
                              f"{shap['peak_mb']:.0f}", f"{diff:.1e}"]  # fmt: skip
                else:
                    cells += ["", "", "", ""]
                print("| " + " | ".join(cells) + " |", flush=True)


def _tradeoff(args: argparse.Namespace, tmp: str) -> None:
    m, n = args.background, args.tradeoff_rows
    print(f"\nbackground_size: {n} rows of {args.model}, samples of a {m}-row background against all of it")
    print("| output | background rows | s | s per 1 000 rows | peak MB | RMS diff to whole background | "
          "max abs diff | mean abs value | base value diff |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    sizes = [s for s in (100, 1000) if s < m]
    for output in ("probability", "log_odds"):
        base = {"model": args.model, "rows": n, "background_given": m, "explained": n, "engine": "explain",
                "output": output, "commit": None}  # fmt: skip
        whole = _run({**base, "background_size": None, "out": f"{tmp}/whole.npy"})
        scale = np.abs(whole["values"]).mean()
        for size in sizes:
            runs = [_run({**base, "background_size": size, "seed": seed, "out": f"{tmp}/s.npy"}) for seed in range(3)]
            seconds = np.mean([r["seconds"] for r in runs])
            rms = np.mean([np.sqrt(np.mean((r["values"] - whole["values"]) ** 2)) for r in runs])
            worst = max(np.abs(r["values"] - whole["values"]).max() for r in runs)
            base_diff = np.mean([abs(r["base"] - whole["base"]) for r in runs])
            print(f"| {output} | {size} (mean of 3 samples) | {seconds:.1f} | {1000 * seconds / n:.2f} | "
                  f"{max(r['peak_mb'] for r in runs):.0f} | {rms:.1e} | {worst:.1e} | {scale:.1e} | {base_diff:.1e} |",
                  flush=True)  # fmt: skip
        print(f"| {output} | {m} (all) | {whole['seconds']:.1f} | {1000 * whole['seconds'] / n:.2f} | "
              f"{whole['peak_mb']:.0f} | 0 | 0 | {scale:.1e} | 0 |", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("memory", "tradeoff", "both"), default="both")
    parser.add_argument("--model", choices=("lightgbm", "hgb"), default="lightgbm")
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--background", type=int, default=10000)
    parser.add_argument("--shap-rows", type=int, default=50, help="rows shap explains (0: skip shap)")
    parser.add_argument("--tradeoff-rows", type=int, default=2000)
    parser.add_argument("--engine-at", default=None, help="also the engine as it was at this commit")
    parser.add_argument("--quick", action="store_true", help="500 / 2 000 rows, 2 000 background rows")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(json.loads(args.worker))
        return
    if args.quick:
        args.rows, args.background, args.tradeoff_rows, args.shap_rows = [500, 2000], 2000, 500, 20
    print(f"{cpu_name()}, {os.cpu_count()} CPUs; load average {load_average()}; explain {version('explain')}, "
          f"shap {version('shap')}, numba {version('numba')}, lightgbm {version('lightgbm')}, "
          f"scikit-learn {version('scikit-learn')}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        if args.part in ("memory", "both"):
            _memory(args, tmp)
        if args.part in ("tradeoff", "both"):
            _tradeoff(args, tmp)
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
