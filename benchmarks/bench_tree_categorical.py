"""tree_shap on models with native categorical splits (pandas ``category`` columns), against shap.

A credit-like data set: ``--numeric`` numeric columns and ``--categorical`` pandas category
columns of ``--levels`` categories each (with missing values), ``--train`` training rows. Models
(``--trees`` trees): LightGBM and scikit-learn's HistGradientBoosting fitted on the category
columns natively, and the same two fitted on one-hot columns (``pd.get_dummies``), the encoding a
user without native categorical support would use. Printed, for ``--rows`` explained rows:

- **path-dependent** (no background), LightGBM native: ours against ``shap.TreeExplainer(model,
  feature_perturbation="tree_path_dependent")`` (which hands LightGBM to LightGBM's own C++
  TreeSHAP), time, ratio shap / ours, and the largest difference between the values.
- **interventional** (``--background`` rows, probability), every model: our time; shap's
  TreeExplainer where it reads the model (one-hot models only: its interventional algorithm does
  not read categorical splits) and its ratio; the largest additivity error of ours.
- ``--fallback``: what a model-agnostic method costs on the native model (exact_shap, which
  ``method="auto"`` chose for these models before tree_shap read categorical splits), measured on
  ``--fallback-rows`` rows and given per 1 000 rows.

Times are wall seconds, best of ``--repeat`` calls after a warm-up call on 5 rows (which loads
the compiled kernels from numba's cache), both sides in the same process.

    python benchmarks/bench_tree_categorical.py                  # 3 000 rows, 200 trees: about a minute
    python benchmarks/bench_tree_categorical.py --rows 10000 --levels 30 --fallback
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _common import best, cpu_name, load_average, version


def _data(n: int, numeric: int, categorical: int, levels: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"num_{j}": rng.normal(size=n) for j in range(numeric)})
    effect = frame["num_0"].to_numpy().copy()
    for j in range(categorical):
        names = [f"c{j}_{i}" for i in range(levels)]
        codes = rng.integers(0, levels, n)
        column = pd.Categorical(np.asarray(names)[codes], categories=names)
        column[rng.random(n) < 0.05] = np.nan
        frame[f"cat_{j}"] = column
        effect += rng.normal(size=levels)[codes] * (j + 1) / categorical
    frame = frame[sorted(frame.columns, key=lambda c: (c.startswith("cat"), c))]
    return frame, (effect + rng.normal(scale=0.5, size=n) > np.median(effect)).astype(int)


def _models(frame: pd.DataFrame, y: np.ndarray, trees: int) -> dict[str, tuple[Any, pd.DataFrame]]:
    import lightgbm
    from sklearn.ensemble import HistGradientBoostingClassifier

    onehot = pd.get_dummies(frame, dtype=float)
    lgb = {"n_estimators": trees, "num_leaves": 31, "verbose": -1, "random_state": 0, "min_data_per_group": 20}
    hgb = {"max_iter": trees, "random_state": 0, "early_stopping": False}
    return {
        "LightGBM native": (lightgbm.LGBMClassifier(**lgb).fit(frame, y), frame),
        "LightGBM one-hot": (lightgbm.LGBMClassifier(**lgb).fit(onehot, y), onehot),
        "HistGradientBoosting native": (HistGradientBoostingClassifier(**hgb).fit(frame, y), frame),
        "HistGradientBoosting one-hot": (HistGradientBoostingClassifier(**hgb).fit(onehot, y), onehot),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000, help="rows explained (default: %(default)s)")
    parser.add_argument("--background", type=int, default=100, help="background rows (default: %(default)s)")
    parser.add_argument("--train", type=int, default=5000, help="training rows (default: %(default)s)")
    parser.add_argument("--trees", type=int, default=200, help="trees per model (default: %(default)s)")
    parser.add_argument("--numeric", type=int, default=6, help="numeric columns (default: %(default)s)")
    parser.add_argument("--categorical", type=int, default=4, help="category columns (default: %(default)s)")
    parser.add_argument("--levels", type=int, default=12, help="categories per column (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="calls per measurement (default: %(default)s)")
    parser.add_argument("--fallback", action="store_true", help="also time exact_shap on the native model")
    parser.add_argument("--fallback-rows", type=int, default=5, help="rows for --fallback (default: %(default)s)")
    args = parser.parse_args()

    import shap

    import explain as ex

    warnings.filterwarnings("ignore")
    frame, y = _data(args.train + args.rows, args.numeric, args.categorical, args.levels)
    train, rows_all = frame.iloc[: args.train], frame.iloc[args.train :]
    print(f"# {cpu_name()}, load {load_average()}; shap {version('shap')}, lightgbm {version('lightgbm')}, "
          f"scikit-learn {version('scikit-learn')}")  # fmt: skip
    print(f"# {args.rows} rows x ({args.numeric} numeric + {args.categorical} category columns of {args.levels} "
          f"levels), {args.trees} trees, background {args.background}, best of {args.repeat}")  # fmt: skip
    models = _models(train, y[: args.train], args.trees)

    print("\n## path-dependent (no background), LightGBM native categorical splits")
    model, _ = models["LightGBM native"]
    rows = rows_all
    ex.Explainer(model).explain_local(rows.iloc[:5])
    ours_t, ours = best(lambda: ex.Explainer(model).explain_local(rows), args.repeat)
    tree = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    shap_t, theirs = best(lambda: tree.shap_values(rows), args.repeat)
    theirs = np.asarray(theirs)
    diff = float(np.abs(ours.values - theirs.reshape(ours.values.shape)).max())
    print(f"ours {ours_t:.3f} s   shap {shap_t:.3f} s   ratio {shap_t / ours_t:.2f}x   max |diff| {diff:.1e}   "
          f"additivity {ours.additivity_error():.1e}")  # fmt: skip

    print("\n## interventional (probability), native categorical splits against one-hot columns")
    print(f"{'model':30s} {'ours s':>8s} {'shap s':>8s} {'ratio':>7s} {'additivity':>11s}")
    for name, (model, train_view) in models.items():
        rows = rows_all if train_view is train else pd.get_dummies(rows_all, dtype=float)[train_view.columns]
        background = train_view.iloc[: args.background]
        explainer = ex.Explainer(model, background=background, progress=False)
        explainer.explain_local(rows.iloc[:5])
        ours_t, ours = best(lambda e=explainer, r=rows: e.explain_local(r), args.repeat)  # type: ignore[misc]
        shap_cell, ratio = "-", "-"
        try:
            tree = shap.TreeExplainer(model, data=background, feature_perturbation="interventional",
                                      model_output="probability")  # fmt: skip
            shap_t, _ = best(lambda t=tree, r=rows: t.shap_values(r, check_additivity=False), 1)  # type: ignore[misc]
            shap_cell, ratio = f"{shap_t:.3f}", f"{shap_t / ours_t:.1f}x"
        except Exception as exc:  # shap's interventional algorithm refuses categorical splits
            shap_cell = f"({type(exc).__name__})"
        print(f"{name:30s} {ours_t:8.3f} {shap_cell:>8s} {ratio:>7s} {ours.additivity_error():11.1e}")

    if args.fallback:
        print(f"\n## the fallback before: exact_shap on the native model, {args.fallback_rows} rows")
        for name in ("LightGBM native", "HistGradientBoosting native"):
            model, _ = models[name]
            background = train.iloc[: args.background]
            explainer = ex.Explainer(model, background=background, method="exact_shap", progress=False)
            few = rows_all.iloc[: args.fallback_rows]
            took, _ = best(lambda e=explainer, r=few: e.explain_local(r), 1)  # type: ignore[misc]
            print(f"{name:30s} {took:.2f} s: {took / len(few) * 1000:.0f} s per 1 000 rows")


if __name__ == "__main__":
    main()
