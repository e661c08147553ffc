"""scikit-learn's tree models read straight from their fitted structures, into padded arrays.

Every tree becomes rows of ``(T, N)`` arrays, ``N`` the largest node count: children (``-1``
for a leaf), the child a missing value goes to, the feature and threshold of the split ("go
left when ``x <= threshold``"), the training weight reaching each node (cover), and the node's
value ``(T, N, k)`` such that the model's output is ``base_offset + sum over trees of the value
of the leaf the row reaches``:

- single trees and forests: the class proportions of the leaf (classifiers) or its mean
  (regressors), divided by the number of trees; output "probability" or "raw_value";
- GradientBoosting: each tree's values times the learning rate, in the output column of its
  class; the base is the initial estimator's constant prediction; "log_odds" for classifiers;
- HistGradientBoosting: the predictors' leaf values (shrinkage already applied) in their
  class's column, the baseline prediction as the base. Categorical (bitset) splits are refused.

scikit-learn compares float32 inputs with float64 thresholds (HistGradientBoosting: float64
inputs), which ``input_dtype`` records. A model these readers do not cover (a custom ``init``
estimator, multi-output regression, categorical splits) raises :class:`NotReadable`; the caller
then uses shap's parser for it, or falls back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NotReadable", "SKLEARN_READERS", "read_sklearn"]


class NotReadable(ValueError):
    """The model is not one these readers cover."""


_FORESTS = {
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
}  # fmt: skip
_BOOSTED = {"GradientBoostingClassifier", "GradientBoostingRegressor"}
_HIST = {"HistGradientBoostingClassifier", "HistGradientBoostingRegressor"}
SKLEARN_READERS = frozenset(_FORESTS | _BOOSTED | _HIST)


def read_sklearn(model: Any) -> dict[str, Any]:
    """The arrays of a fitted scikit-learn tree model (fields of ``_tree_engine.Forest``)."""
    name = type(model).__name__
    if name in _FORESTS:
        return _forest(model, name.endswith("Classifier"))
    if name in _BOOSTED:
        return _gradient_boosting(model, name == "GradientBoostingClassifier")
    if name in _HIST:
        return _hist_gradient_boosting(model, name == "HistGradientBoostingClassifier")
    raise NotReadable(f"{name} is not a scikit-learn tree model these readers cover")


def _pad(trees: list[dict[str, np.ndarray]], k: int) -> dict[str, np.ndarray]:
    """Stack per-tree node arrays into ``(T, N)`` / ``(T, N, k)`` arrays, padding with leaves."""
    T, N = len(trees), max(len(t["left"]) for t in trees)
    out = {
        "left": np.full((T, N), -1, dtype=np.int64),
        "right": np.full((T, N), -1, dtype=np.int64),
        "default": np.full((T, N), -1, dtype=np.int64),
        "feature": np.full((T, N), -2, dtype=np.int64),
        "threshold": np.full((T, N), -2.0),
        "cover": np.zeros((T, N)),
        "value": np.zeros((T, N, k)),
    }
    for i, tree in enumerate(trees):
        n = len(tree["left"])
        for key in ("left", "right", "default", "feature", "threshold", "cover"):
            out[key][i, :n] = tree[key]
        out["value"][i, :n] = tree["value"]
    return out


def _sklearn_tree(estimator: Any, value: np.ndarray) -> dict[str, np.ndarray]:
    """One ``sklearn.tree`` estimator's nodes, with ``value (n_nodes, k)`` already scaled."""
    tree = estimator.tree_
    left, right = tree.children_left.astype(np.int64), tree.children_right.astype(np.int64)
    go_left = np.asarray(getattr(tree, "missing_go_to_left", np.ones(tree.node_count)), dtype=bool)
    return {
        "left": left,
        "right": right,
        "default": np.where(left < 0, -1, np.where(go_left, left, right)),
        "feature": tree.feature.astype(np.int64),
        "threshold": tree.threshold.astype(np.float64),
        "cover": tree.weighted_n_node_samples.astype(np.float64),
        "value": value,
    }


def _forest(model: Any, classifier: bool) -> dict[str, Any]:
    estimators = getattr(model, "estimators_", [model])
    if not classifier and estimators[0].tree_.value.shape[1] != 1:
        raise NotReadable("multi-output regression trees are not read")
    if classifier and getattr(model, "n_outputs_", 1) != 1:
        raise NotReadable("multi-output classification trees are not read")
    trees = []
    for estimator in estimators:
        value = estimator.tree_.value[:, 0, :] if classifier else estimator.tree_.value[:, :, 0]
        if classifier:  # class proportions (counts in older scikit-learn)
            value = value / np.maximum(value.sum(axis=1, keepdims=True), np.finfo(float).tiny)
        trees.append(_sklearn_tree(estimator, value / len(estimators)))
    k = trees[0]["value"].shape[1]
    arrays = _pad(trees, k)
    return {**arrays, "base_offset": np.zeros(k), "input_dtype": np.float32,
            "tree_output": "probability" if classifier else "raw_value"}  # fmt: skip


def _gradient_boosting(model: Any, classifier: bool) -> dict[str, Any]:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = model.init_
    if not (init == "zero" or isinstance(init, (DummyClassifier, DummyRegressor))):
        raise NotReadable(f"a GradientBoosting model with init={type(init).__name__} has no constant base")
    n_iter, k = model.estimators_.shape
    # the initial raw prediction does not depend on the row for these init estimators
    base = np.asarray(model._raw_predict_init(np.zeros((1, model.n_features_in_), dtype=np.float32)))[0]
    trees = []
    for i in range(n_iter):
        for c in range(k):
            estimator = model.estimators_[i, c]
            value = np.zeros((estimator.tree_.node_count, k))
            value[:, c] = estimator.tree_.value[:, 0, 0] * model.learning_rate
            trees.append(_sklearn_tree(estimator, value))
    return {**_pad(trees, k), "base_offset": base.astype(np.float64), "input_dtype": np.float32,
            "tree_output": "log_odds" if classifier else "raw_value"}  # fmt: skip


def _hist_gradient_boosting(model: Any, classifier: bool) -> dict[str, Any]:
    predictors = model._predictors  # (n_iter, k) of TreePredictor
    k = len(predictors[0])
    trees = []
    for per_class in predictors:
        for c, predictor in enumerate(per_class):
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"][~nodes["is_leaf"].astype(bool)]):
                raise NotReadable("the trees make categorical (set membership) splits")
            leaf = nodes["is_leaf"].astype(bool)
            left = np.where(leaf, -1, nodes["left"].astype(np.int64))  # unsigned in the predictor
            right = np.where(leaf, -1, nodes["right"].astype(np.int64))
            value = np.zeros((len(nodes), k))
            value[:, c] = nodes["value"]
            go_left = nodes["missing_go_to_left"].astype(bool)
            trees.append({
                "left": left, "right": right, "default": np.where(leaf, -1, np.where(go_left, left, right)),
                "feature": np.where(leaf, -2, nodes["feature_idx"].astype(np.int64)),
                "threshold": np.where(leaf, -2.0, nodes["num_threshold"]).astype(np.float64),
                "cover": nodes["count"].astype(np.float64), "value": value,
            })  # fmt: skip
    base = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    return {**_pad(trees, k), "base_offset": base, "input_dtype": np.float64,
            "tree_output": "log_odds" if classifier else "raw_value"}  # fmt: skip
