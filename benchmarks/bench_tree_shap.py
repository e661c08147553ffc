"""tree_shap against shap's TreeExplainer: path-dependent and interventional, same models, same run.

For each model kind (100 trees, fitted on 2 000 ``make_classification`` rows) at each size
(rows x features), prints our time, shap's time, the ratio (shap / ours), the peak memory of
each call, the largest absolute difference between the two sets of values and our largest
additivity error against the model's own predictions:

- **path-dependent** (no background): ``ex.Explainer(model).explain_local(rows)`` against
  ``shap.TreeExplainer(model, feature_perturbation="tree_path_dependent").shap_values(rows)``;
  the margin (an averaging forest's probability). shap hands LightGBM and XGBoost models to the
  libraries' own TreeSHAP (multi-threaded); the others run on shap's own C++ (one thread).
- **interventional** (100 background rows): ``ex.Explainer(model, background=bg)`` against
  ``shap.TreeExplainer(model, data=bg, feature_perturbation="interventional",
  model_output="probability")``; the probability of the positive class.

Both sides are timed end to end (explainer construction included; ours also validates, records
provenance and computes the predictions) in wall seconds: the best of ``--repeat`` calls in each
of ``--rounds`` fresh processes per side (the sides alternate, so a busy spell on a shared
machine does not favour one), each after a warm-up call on 5 rows (which loads explain's compiled
kernels from numba's cache). The peak memory is the process's ``ru_maxrss`` growth during the
calls (every allocation: numpy, numba, C++). numba uses 2 threads; LightGBM and XGBoost their
default (all cores).

    python benchmarks/bench_tree_shap.py              # the full grid: about 30 minutes on 2 cores
    python benchmarks/bench_tree_shap.py --quick      # 300 rows x 20 features, 30 trees: a minute
    python benchmarks/bench_tree_shap.py --perturbation path --rows 1000 10000 --features 20 50
    python benchmarks/bench_tree_shap.py --real                       # real data sets: about 6 minutes
    python benchmarks/bench_tree_shap.py --large 100000 --models HistGradientBoosting RandomForest --features 20

Also measured, in fresh processes with an empty numba cache directory: the first call (numba
compiles explain's tree kernels, once per install) and the first call of a later process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from typing import Any

import numpy as np

MODELS = ("RandomForest", "ExtraTrees", "GradientBoosting", "HistGradientBoosting", "LightGBM", "XGBoost",
          "DecisionTree")  # fmt: skip
TRAIN_ROWS = 2000
REAL = ("credit", "breast_cancer", "digits")
REAL_MODELS = ("RandomForest", "HistGradientBoosting", "LightGBM", "XGBoost")  # they take missing values


def _model(kind: str, trees: int) -> Any:
    import lightgbm
    import xgboost
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.tree import DecisionTreeClassifier

    return {
        "RandomForest": lambda: RandomForestClassifier(n_estimators=trees, max_depth=8, random_state=0, n_jobs=2),
        "ExtraTrees": lambda: ExtraTreesClassifier(n_estimators=trees, max_depth=8, random_state=0, n_jobs=2),
        "GradientBoosting": lambda: GradientBoostingClassifier(n_estimators=trees, random_state=0),
        "HistGradientBoosting": lambda: HistGradientBoostingClassifier(max_iter=trees, random_state=0),
        "LightGBM": lambda: lightgbm.LGBMClassifier(n_estimators=trees, verbose=-1, random_state=0),
        "XGBoost": lambda: xgboost.XGBClassifier(n_estimators=trees, max_depth=6, random_state=0, n_jobs=2),
        "DecisionTree": lambda: DecisionTreeClassifier(random_state=0),  # unbounded depth, one tree
    }[kind]()


def _data(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows, their labels and the rows to explain."""
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification

    name = spec.get("data", "synthetic")
    if name == "credit":  # explain's shipped credit data: train 2022-2023, explain 2024
        from explain.datasets import credit_splits

        splits = credit_splits()
        return _numeric(splits.X_train[list(splits.features)]), splits.y_train.to_numpy(), _numeric(
            splits.X_test[list(splits.features)]
        )
    if name in ("breast_cancer", "digits"):  # fitted on every row, every row explained
        X, y = (load_breast_cancer if name == "breast_cancer" else load_digits)(return_X_y=True)
        return X, y, X
    rows, features = spec["rows"], spec["features"]
    X, y = make_classification(n_samples=rows + TRAIN_ROWS, n_features=features, n_informative=10, random_state=0)
    return X[:TRAIN_ROWS], y[:TRAIN_ROWS], X[TRAIN_ROWS:]


def _numeric(frame: Any) -> np.ndarray:
    """Categories as their codes, missing values as NaN: what the tree libraries read natively."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            codes = frame[column].cat.codes.astype(float)
            frame[column] = codes.where(codes >= 0)
    return frame.to_numpy(dtype=float)


def _call(spec: dict[str, Any], model: Any, X: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, float]:
    """One explanation of ``X``: the positive class's values ``(n, d)`` and our additivity error."""
    import shap

    import explain as ex

    path = spec["perturbation"] == "path"
    if spec["engine"] == "explain":
        explainer = ex.Explainer(model, background=None if path else bg, method="tree_shap",
                                 progress=spec.get("progress", False))  # fmt: skip
        local = explainer.explain_local(X)
        return np.asarray(local.values).reshape(len(X), -1), local.additivity_error()  # (n, d * k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if path:
            reference = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
        else:
            reference = shap.TreeExplainer(
                model, data=bg, feature_perturbation="interventional", model_output="probability"
            )
        values = np.asarray(reference.shap_values(X, check_additivity=False))
    if values.ndim == 3 and values.shape[2] == 2:  # a binary classifier: the positive class
        values = values[:, :, 1]
    return values.reshape(len(X), -1), float("nan")


def _worker(spec: dict[str, Any]) -> None:
    """Fit the model, warm up, time one call; write the values and print the measurements."""
    X_train, y_train, rows = _data(spec)
    model = _model(spec["model"], spec["trees"]).fit(X_train, y_train)
    bg = X_train[: spec["background"]]
    _call({**spec, "progress": False}, model, rows[:5], bg)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = float("inf")
    for _ in range(spec["repeat"]):  # the best of a few: other processes on a shared machine only add time
        start = time.perf_counter()
        values, additivity = _call(spec, model, rows, bg)
        seconds = min(seconds, time.perf_counter() - start)
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    np.save(spec["out"], values)
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "additivity": additivity, "shape": rows.shape}))


def _run(spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"worker {spec} failed:\n{done.stderr[-3000:]}")
    # tqdm redraws its bar with a carriage return: count the redraws naming our method
    bar_updates = sum(part.count("tree_shap") for part in done.stderr.split("\r"))
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "bar_updates": bar_updates}


def _large(rows: int, args: argparse.Namespace) -> None:
    """Ours alone on many rows, with the progress bar on: time, memory growth, bar redraws."""
    print(f"\n{rows} rows, ours alone, progress=True (peak MB: the process's growth during the call; "
          "the values themselves take rows x features x 8 bytes)")  # fmt: skip
    print("| perturbation | model | rows | features | ours s | peak MB | values MB | progress bar redraws |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("path", "interventional") if args.perturbation == "both" else (args.perturbation,):
            for model in args.models:
                for features in args.features:
                    spec = {"perturbation": kind, "model": model, "rows": rows, "features": features, "repeat": 1,
                            "trees": args.trees, "background": args.background, "engine": "explain",
                            "progress": True, "out": f"{tmp}/ours.npy"}  # fmt: skip
                    got = _run(spec)
                    print(f"| {kind} | {model} | {rows} | {features} | {got['seconds']:.1f} | "
                          f"{got['peak_mb']:.0f} | {rows * features * 8 / 2**20:.0f} | {got['bar_updates']} |",
                          flush=True)  # fmt: skip


def _first_calls() -> None:
    """Cold numba compile of explain's tree kernels, then the cache load of a later process."""
    code = (
        "import time; t = time.perf_counter(); import numpy as np, explain as ex; "
        "from sklearn.ensemble import RandomForestClassifier as R; X = np.random.default_rng(0).normal(size=(200, 4)); "
        "m = R(n_estimators=3, random_state=0).fit(X, X[:, 0] > 0); s = time.perf_counter(); "
        "ex.Explainer(m).explain_local(X[:5]); p = time.perf_counter(); "
        "ex.Explainer(m, background=X[:20]).explain_local(X[:5]); print(p - s, time.perf_counter() - p)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty numba cache (compiles)", "cache filled by the previous process"):
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            path, interventional = (float(v) for v in out.stdout.split())
            print(f"first call, {label}: path-dependent {path:.1f} s, then interventional {interventional:.1f} s")


def _compare(base: dict[str, Any], rounds: int, tmp: str) -> str:
    """Ours and shap's on one case, ``rounds`` fresh processes each (alternating): a table row."""
    runs: dict[str, list[dict[str, Any]]] = {"explain": [], "shap": []}
    for _ in range(rounds):  # alternate the sides: a busy spell hits both
        for engine, out in (("explain", "ours"), ("shap", "shap")):
            runs[engine].append(_run({**base, "engine": engine, "out": f"{tmp}/{out}.npy"}))
    ours, theirs = (min(runs[e], key=lambda r: float(r["seconds"])) for e in ("explain", "shap"))
    mine, reference = np.load(f"{tmp}/ours.npy"), np.load(f"{tmp}/shap.npy")
    if mine.shape != reference.shape:
        raise RuntimeError(f"{base}: our values have shape {mine.shape}, shap's {reference.shape}")
    rows, features = ours["shape"]
    return (f"| {base['perturbation']} | {base['model']} | {base.get('data', 'synthetic')} | {rows} | {features} | "
            f"{ours['seconds']:.2f} | {theirs['seconds']:.2f} | {theirs['seconds'] / ours['seconds']:.1f} | "
            f"{ours['peak_mb']:.0f} | {theirs['peak_mb']:.0f} | {np.abs(mine - reference).max():.1e} | "
            f"{ours['additivity']:.1e} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 rows x 20 features, 30 trees")
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--features", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--perturbation", choices=("path", "interventional", "both"), default="both")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--repeat", type=int, default=1, help="time each call this many times, keep the best")
    parser.add_argument("--rounds", type=int, default=1, help="fresh processes per side, alternating; the best")
    parser.add_argument("--large", type=int, metavar="ROWS",
                        help="ours alone on ROWS rows with the progress bar (e.g. 100000 with --models "
                        "HistGradientBoosting --features 20): time, memory, progress")  # fmt: skip
    parser.add_argument("--real", action="store_true",
                        help="real data instead of the synthetic grid: explain's credit data (2024 rows), "
                        "breast cancer and digits (every row; digits has 10 classes)")  # fmt: skip
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(json.loads(args.worker))
        return
    if args.quick:
        args.rows, args.features, args.trees = [300], [20], 30
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    print(f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    if args.large:
        _large(args.large, args)
        return
    _first_calls()
    kinds = ("path", "interventional") if args.perturbation == "both" else (args.perturbation,)
    cases: list[dict[str, Any]] = []
    for kind in kinds:
        common = {"perturbation": kind, "trees": args.trees, "background": args.background, "repeat": args.repeat}
        if args.real:
            for data in REAL:
                for model in REAL_MODELS:
                    # multiclass probabilities of boosted models are not on the compiled engines' path
                    if not (kind == "interventional" and data == "digits" and model != "RandomForest"):
                        cases.append({**common, "data": data, "model": model})
            continue
        for model in args.models:
            if kind == "interventional" and model == "DecisionTree":
                continue
            for features in args.features:
                cases.extend({**common, "model": model, "rows": rows, "features": features} for rows in args.rows)
    print("| perturbation | model | data | rows | features | ours s | shap s | ratio | ours MB | shap MB "
          "| max abs diff | our add. err |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for base in cases:
            print(_compare(base, args.rounds, tmp), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
