"""Interventional tree SHAP: explain's compiled walk against shap's TreeExplainer, same run.

Prints, per model: rows explained, background rows, our time, shap's time, the ratio
(shap / ours), and the largest absolute difference between the two sets of values, plus each
one's largest additivity error against the model's own predictions (the correct values add up).

    python benchmarks/bench_tree_shap.py            # 1 000 rows x 20 features, 100 trees
    python benchmarks/bench_tree_shap.py --rows 200 # quicker
"""

from __future__ import annotations

import argparse
import time
import warnings

import lightgbm
import numpy as np
import shap
import xgboost
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

import explain as ex


def _models(seed: int) -> dict[str, object]:
    return {
        "RandomForest(100)": RandomForestClassifier(n_estimators=100, max_depth=8, random_state=seed, n_jobs=2),
        "HistGradientBoosting(100)": HistGradientBoostingClassifier(max_iter=100, random_state=seed),
        "LightGBM(100)": lightgbm.LGBMClassifier(n_estimators=100, verbose=-1, random_state=seed),
        "XGBoost(100)": xgboost.XGBClassifier(n_estimators=100, max_depth=6, random_state=seed, n_jobs=2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--background", type=int, default=100)
    args = parser.parse_args()
    X, y = make_classification(n_samples=args.rows + 2000, n_features=args.features, n_informative=10, random_state=0)
    X_train, y_train, rows = X[:2000], y[:2000], X[2000:]
    bg = X_train[: args.background]
    # compile once, as any long-running process would
    tiny = RandomForestClassifier(n_estimators=2).fit(X_train, y_train)
    ex.Explainer(tiny, background=bg[:5]).explain_local(rows[:5])
    print(f"{len(rows)} rows x {args.features} features, {len(bg)} background rows, probability output, 2 cores")
    columns = ("ours s", "shap s", "ratio", "max|diff|", "our add.err", "shap add.err")
    widths = (8, 8, 7, 10, 12, 12)
    print(f"{'model':28s} " + " ".join(f"{c:>{w}s}" for c, w in zip(columns, widths, strict=True)))
    for name, model in _models(0).items():
        model.fit(X_train, y_train)
        start = time.perf_counter()
        local = ex.Explainer(model, background=bg, method="tree_shap").explain_local(rows)
        ours = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            explainer = shap.TreeExplainer(
                model, data=bg, feature_perturbation="interventional", model_output="probability"
            )
            values = np.asarray(explainer.shap_values(rows, check_additivity=False))
            theirs = time.perf_counter() - start
        values = values[:, :, 1] if values.ndim == 3 else values
        base = np.atleast_1d(explainer.expected_value)[-1]
        shap_err = np.abs(base + values.sum(axis=1) - model.predict_proba(rows)[:, 1]).max()
        diff = np.abs(values - local.values).max()
        print(f"{name:28s} {ours:8.2f} {theirs:8.2f} {theirs / ours:7.2f} {diff:10.2e} "
              f"{local.additivity_error():12.2e} {shap_err:12.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
