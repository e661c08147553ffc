"""SHAP interaction values: ``Explainer.explain_interactions`` against shap's TreeExplainer.

Models of ``--trees`` trees fitted on ``--train`` rows of ``make_classification`` data with
``--features`` features; ``--rows`` rows explained. Printed:

- **path-dependent** (no background), each model: ours (``ex.Explainer(model).explain_interactions(
  rows)``) against ``shap.TreeExplainer(model).shap_interaction_values(rows)``: time, ratio shap /
  ours, the largest difference between the two sets of values, and our largest gap between a
  row's interactions summed over the last axis and its SHAP values. shap computes interactions
  with its own C++ (one thread) for scikit-learn and LightGBM models and hands XGBoost models to
  XGBoost's own code (``pred_interactions``, multi-threaded, float32);
- **interventional** (``--background`` rows, log-odds): ours alone (shap's TreeExplainer has no
  interventional interaction values);
- **exact** (``exact_shap``, any model, ``--exact-features`` features, 50 background rows, 20
  rows): ours alone (the cost is the model scoring ``2^d x 50`` rows per explained row).

Times are wall seconds, best of ``--repeat`` calls after a warm-up call on 5 rows (which loads
the compiled kernels from numba's cache), both sides in the same process; numba uses every core.

    python benchmarks/bench_interactions.py                 # 100 trees, 10 features, 500 rows: about a minute
    python benchmarks/bench_interactions.py --rows 2000 --features 20 --models LightGBM XGBoost
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
from _common import best, cpu_name, load_average, version

MODELS = ("GradientBoosting", "RandomForest", "LightGBM", "XGBoost")


def _model(kind: str, trees: int) -> Any:
    import lightgbm
    import xgboost
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    return {
        "GradientBoosting": lambda: GradientBoostingClassifier(n_estimators=trees, random_state=0),  # depth 3
        "RandomForest": lambda: RandomForestClassifier(n_estimators=trees, max_depth=8, random_state=0, n_jobs=2),
        "LightGBM": lambda: lightgbm.LGBMClassifier(n_estimators=trees, verbose=-1, random_state=0),  # 31 leaves
        "XGBoost": lambda: xgboost.XGBClassifier(n_estimators=trees, max_depth=6, random_state=0, n_jobs=2),
    }[kind]()


def _shap_4d(values: Any) -> np.ndarray:
    """shap's interaction values as ``(n, d, d)``: a binary classifier's positive class."""
    values = np.asarray(values, dtype=float)
    return values[..., 1] if values.ndim == 4 else values


def _row_gap(inter: Any, explainer: Any, rows: np.ndarray) -> float:
    """Largest |row sum of the interactions - the SHAP value explain_local returns|."""
    local = explainer.explain_local(rows)
    return float(np.abs(np.asarray(inter.values).sum(axis=2) - local.values).max())


def _path_dependent(models: dict[str, Any], rows: np.ndarray, repeat: int) -> None:
    import shap

    import explain as ex

    print("\n## path-dependent (no background): ours against shap.TreeExplainer(model).shap_interaction_values")
    print(f"{'model':18s} {'ours s':>8s} {'shap s':>8s} {'shap/ours':>10s} {'max |diff|':>11s} {'row sums':>9s}")
    for name, model in models.items():
        ex.Explainer(model, progress=False).explain_interactions(rows[:5])
        ours_t, ours = best(lambda m=model: ex.Explainer(m, progress=False).explain_interactions(rows), repeat)
        tree = shap.TreeExplainer(model)
        tree.shap_interaction_values(rows[:5])
        shap_t, theirs = best(lambda t=tree: t.shap_interaction_values(rows), repeat)
        diff = float(np.abs(np.asarray(ours.values) - _shap_4d(theirs)).max())
        gap = _row_gap(ours, ex.Explainer(model), rows)
        print(f"{name:18s} {ours_t:8.3f} {shap_t:8.3f} {shap_t / ours_t:9.1f}x {diff:11.1e} {gap:9.1e}",
              flush=True)  # fmt: skip


def _interventional(models: dict[str, Any], rows: np.ndarray, background: np.ndarray, repeat: int) -> None:
    import explain as ex

    print(f"\n## interventional ({len(background)} background rows, log-odds; shap has none): ours alone")
    print(f"{'model':18s} {'ours s':>8s} {'additivity':>11s} {'row sums':>9s}")
    for name, model in models.items():
        output = "probability" if name == "RandomForest" else "log_odds"  # an averaging forest's own output
        explainer = ex.Explainer(model, background=background, output=output, progress=False)
        explainer.explain_interactions(rows[:5])
        took, inter = best(lambda e=explainer: e.explain_interactions(rows), repeat)
        print(
            f"{name:18s} {took:8.3f} {inter.additivity_error():11.1e} {_row_gap(inter, explainer, rows):9.1e}",
            flush=True,
        )


def _exact(features: int, repeat: int) -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    import explain as ex

    X, y = make_classification(n_samples=1000, n_features=features, n_informative=max(2, features - 2),
                               n_redundant=0, random_state=0)  # fmt: skip
    model = LogisticRegression(max_iter=1000).fit(X, y)
    explainer = ex.Explainer(model, background=X[:50], method="exact_shap", progress=False)
    explainer.explain_interactions(X[:2])
    took, inter = best(lambda: explainer.explain_interactions(X[100:120]), repeat)
    rows_scored = (1 << features) * 50 * 20
    print(f"\n## exact_shap, logistic regression (probability), {features} features, 50 background rows, 20 rows")
    print(f"ours {took:.3f} s for {rows_scored:.2e} model rows; additivity {inter.additivity_error():.1e}, row sums "
          f"{_row_gap(inter, explainer, X[100:120]):.1e}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500, help="rows explained (default: %(default)s)")
    parser.add_argument("--features", type=int, default=10, help="features (default: %(default)s)")
    parser.add_argument("--trees", type=int, default=100, help="trees per model (default: %(default)s)")
    parser.add_argument("--train", type=int, default=2000, help="training rows (default: %(default)s)")
    parser.add_argument("--background", type=int, default=100, help="background rows (default: %(default)s)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS, help="models to run")
    parser.add_argument("--exact-features", type=int, default=8, help="features of the exact run (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3, help="calls per measurement (default: %(default)s)")
    args = parser.parse_args()

    from sklearn.datasets import make_classification

    warnings.filterwarnings("ignore")
    X, y = make_classification(n_samples=args.train + args.rows, n_features=args.features,
                               n_informative=max(2, min(args.features - 2, 6)), random_state=0)  # fmt: skip
    train, rows = X[: args.train], X[args.train :]
    print(
        f"# {cpu_name()}, load {load_average()}; explain {version('explain')}, shap {version('shap')}, "
        f"scikit-learn {version('scikit-learn')}, lightgbm {version('lightgbm')}, xgboost {version('xgboost')}"
    )
    print(f"# {args.rows} rows x {args.features} features, {args.trees} trees, best of {args.repeat}")  # fmt: skip
    models = {name: _model(name, args.trees).fit(train, y[: args.train]) for name in args.models}
    _path_dependent(models, rows, args.repeat)
    _interventional(models, rows, train[: args.background], args.repeat)
    if args.exact_features:
        _exact(args.exact_features, args.repeat)


if __name__ == "__main__":
    main()
