"""The additive boosted GAM against InterpretML's EBM and an unconstrained HistGradientBoosting.

On bundled datasets (no download), each model is fitted on the same training split and scored
on a held-out split (25 %, stratified for classification): ROC AUC for binary targets, macro
one-vs-rest ROC AUC for multiclass targets, R^2 for regression; plus fit time. Every model gets
the same number of threads (OpenMP for HistGradientBoosting, ``n_jobs`` for EBM). Means over
``--seeds`` splits, with the standard deviation of the score.

    python benchmarks/bench_gam.py               # 3 splits, 1 thread; EBM without pairs
    python benchmarks/bench_gam.py --ebm-pairs   # also EBM with its default pairs (slow: minutes)
    python benchmarks/bench_gam.py --seeds 1     # quicker
    python benchmarks/bench_gam.py --no-ebm      # without InterpretML
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from explain.glassbox import AdditiveBoostingClassifier, AdditiveBoostingRegressor


def _datasets() -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    synthetic = make_classification(
        n_samples=3000, n_features=20, n_informative=8, n_redundant=4, random_state=0
    )  # its classes are separated by interactions, so an additive model is at a disadvantage
    return {
        "breast_cancer": (*load_breast_cancer(return_X_y=True), "binary"),
        "diabetes": (*load_diabetes(return_X_y=True), "regression"),
        "wine": (*load_wine(return_X_y=True), "multiclass"),
        "digits": (*load_digits(return_X_y=True), "multiclass"),
        "make_classification": (*synthetic, "binary"),
    }


def _models(task: str, threads: int, ebm: bool, ebm_pairs: bool) -> dict[str, Callable[[int], Any]]:
    if task == "regression":
        models: dict[str, Callable[[int], Any]] = {
            "GAM (explain.glassbox)": lambda s: AdditiveBoostingRegressor(random_state=s),
            "HistGradientBoosting": lambda s: HistGradientBoostingRegressor(random_state=s),
        }
    else:
        models = {
            "GAM (explain.glassbox)": lambda s: AdditiveBoostingClassifier(random_state=s),
            "HistGradientBoosting": lambda s: HistGradientBoostingClassifier(random_state=s),
        }
    if ebm:
        from interpret.glassbox import ExplainableBoostingClassifier, ExplainableBoostingRegressor

        cls = ExplainableBoostingRegressor if task == "regression" else ExplainableBoostingClassifier
        models["EBM (no pairs)"] = lambda s: cls(interactions=0, n_jobs=threads, random_state=s)
        if ebm_pairs:
            models["EBM (default pairs)"] = lambda s: cls(n_jobs=threads, random_state=s)
    return models


def _score(model: Any, X: np.ndarray, y: np.ndarray, task: str) -> float:
    if task == "regression":
        return float(r2_score(y, model.predict(X)))
    proba = model.predict_proba(X)
    if task == "binary":
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-ebm", action="store_true")
    parser.add_argument("--ebm-pairs", action="store_true")
    args = parser.parse_args()
    metric = {"binary": "AUC", "multiclass": "AUC ovr", "regression": "R^2"}
    print(f"held-out 25 %, mean over {args.seeds} split(s), {args.threads} thread(s) per model")
    print(f"{'dataset':20s} {'n x d':>10s} {'metric':>8s} {'model':24s} {'score':>8s} {'+-sd':>7s} {'fit s':>8s}")
    for name, (X, y, task) in _datasets().items():
        results: dict[str, tuple[list[float], list[float]]] = {}
        for seed in range(args.seeds):
            stratify = None if task == "regression" else y
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.25, random_state=seed, stratify=stratify
            )
            for label, make in _models(task, args.threads, not args.no_ebm, args.ebm_pairs).items():
                model = make(seed)
                with threadpool_limits(limits=args.threads), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    elapsed = time.perf_counter() - start
                scores, times = results.setdefault(label, ([], []))
                scores.append(_score(model, X_test, y_test, task))
                times.append(elapsed)
        shape = f"{X.shape[0]}x{X.shape[1]}"
        for label, (scores, times) in results.items():
            print(
                f"{name:20s} {shape:>10s} {metric[task]:>8s} {label:24s} {np.mean(scores):8.4f} "
                f"{np.std(scores):7.4f} {np.mean(times):8.2f}"
            )
        print()


if __name__ == "__main__":
    main()
