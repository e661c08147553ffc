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
  class's column, the baseline prediction as the base. Categorical splits become set-membership
  splits on the codes of the model's own ordinal encoder (its ``_preprocessor``, which the
  rows are passed through): a category sent left, a known category sent right, and NaN, a
  negative code or a category unknown at fit time the way the split sends missing values, as
  scikit-learn's predictor does.

scikit-learn compares float32 inputs with float64 thresholds (HistGradientBoosting: float64
inputs), which ``input_dtype`` records. A model these readers do not cover (a custom ``init``
estimator, multi-output regression) raises :class:`NotReadable` with the reason; tree SHAP then
refuses it (``method="auto"`` moves on to another method).
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
    if not (isinstance(init, str) and init == "zero") and not isinstance(init, (DummyClassifier, DummyRegressor)):
        raise NotReadable(
            f"this GradientBoosting model starts from init={type(init).__name__}, whose prediction depends on the "
            "row, so the model is not a sum of trees plus a constant"
        )
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
    # the exponential loss's margin F gives p = sigmoid(2F): its log-odds are 2F
    exponential = classifier and getattr(model, "loss", "log_loss") == "exponential"
    link = ("softmax" if k > 1 else "logit") if classifier else "identity"
    return {**_pad(trees, k), "base_offset": base.astype(np.float64), "input_dtype": np.float32,
            "tree_output": "log_odds" if classifier else "raw_value", "link": link,
            "log_odds_scale": 2.0 if exponential else 1.0}  # fmt: skip


def _hist_gradient_boosting(model: Any, classifier: bool) -> dict[str, Any]:
    predictors = model._predictors  # (n_iter, k) of TreePredictor
    k = len(predictors[0])
    preprocessor = getattr(model, "_preprocessor", None)
    # the predictors number features in the preprocessor's output order (categorical columns
    # first): map them back to the model's input columns
    order = np.arange(model.n_features_in_)
    if preprocessor is not None:
        categorical = np.asarray(model.is_categorical_, dtype=bool)
        order = np.concatenate([np.flatnonzero(categorical), np.flatnonzero(~categorical)])
    known = np.zeros((0, 8), dtype=np.uint32)
    f_idx_map = np.zeros(model.n_features_in_, dtype=np.int64)
    if preprocessor is not None:
        known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    trees: list[dict[str, np.ndarray]] = []
    cat_rows: list[tuple[np.ndarray, np.ndarray]] = []
    for per_class in predictors:
        for c, predictor in enumerate(per_class):
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            left = np.where(leaf, -1, nodes["left"].astype(np.int64))  # unsigned in the predictor
            right = np.where(leaf, -1, nodes["right"].astype(np.int64))
            value = np.zeros((len(nodes), k))
            value[:, c] = nodes["value"]
            go_left = nodes["missing_go_to_left"].astype(bool)
            feature_idx = nodes["feature_idx"].astype(np.int64)
            categorical = nodes["is_categorical"].astype(bool) & ~leaf
            cat_split = np.full(len(nodes), -1, dtype=np.int64)
            for node in np.flatnonzero(categorical):
                cat_split[node] = len(cat_rows)
                sent_left = predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]]
                cat_rows.append((_words64(sent_left), _words64(known[f_idx_map[feature_idx[node]]])))
            trees.append({
                "left": left, "right": right, "default": np.where(leaf, -1, np.where(go_left, left, right)),
                "feature": np.where(leaf, -2, order[np.where(leaf, 0, feature_idx)]),
                "threshold": np.where(leaf | categorical, -2.0, nodes["num_threshold"]).astype(np.float64),
                "cover": nodes["count"].astype(np.float64), "value": value, "cat_split": cat_split,
            })  # fmt: skip
    base = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    arrays = _pad(trees, k)
    T, N = arrays["left"].shape
    arrays["cat_split"] = np.full((T, N), -1, dtype=np.int64)
    for i, tree in enumerate(trees):
        arrays["cat_split"][i, : len(tree["left"])] = tree["cat_split"]
    cat_bits = np.zeros((len(cat_rows), 2, 4), dtype=np.uint64)
    for row, (sent_left, known_row) in enumerate(cat_rows):
        cat_bits[row, 0], cat_bits[row, 1] = sent_left, known_row
    loss = getattr(getattr(model, "_loss", None), "link", None)
    link = "identity"
    if classifier:
        link = "logit" if k == 1 else "softmax"
    elif type(loss).__name__ == "LogLink":
        link = "log"
    return {**arrays, "base_offset": base, "input_dtype": np.float64,
            "tree_output": "log_odds" if classifier else "raw_value", "cat_bits": cat_bits,
            "cat_other": np.full(len(cat_rows), 2, dtype=np.int64),  # unknown categories go as missing
            "prepare": None if preprocessor is None else _HistInput(preprocessor, order), "link": link}  # fmt: skip


def _words64(words32: np.ndarray) -> np.ndarray:
    """scikit-learn's bitset of 8 uint32 words (bit ``c`` of category ``c``) as 4 uint64 words."""
    w = np.asarray(words32, dtype=np.uint64).reshape(4, 2)
    return w[:, 0] | (w[:, 1] << np.uint64(32))


class _HistInput:
    """A HistGradientBoosting model's input as its trees compare it: through the model's own
    preprocessor (categories to its ordinal codes, unknown ones to NaN), in input column order."""

    def __init__(self, preprocessor: Any, order: np.ndarray) -> None:
        self.preprocessor, self.order = preprocessor, order

    def __call__(self, X: Any) -> np.ndarray:
        encoded = np.asarray(self.preprocessor.transform(X), dtype=np.float64)
        out = np.empty_like(encoded)
        out[:, self.order] = encoded
        return out
