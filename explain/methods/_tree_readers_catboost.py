"""CatBoost models with numeric features, read from their JSON export into :class:`Forest` arrays.

A CatBoost tree is *oblivious*: its ``D`` splits are made on every path, and the row's leaf
is ``sum over j of (x[f_j] > border_j) << j``. Each tree becomes a full binary tree of depth
``D`` whose root tests the last split and whose nodes at depth ``d`` test ``splits[D-1-d]``
("go left when ``x <= border``", in float32 like CatBoost), so leaf ``i`` is the ``i``-th node
of the bottom level. That order is the one CatBoost's own ``ShapValues`` walks (path-dependent
values depend on the order of the splits; the tests hold the two equal). A missing value goes
where the feature's ``nan_value_treatment`` sends it (``AsFalse``, and ``AsIs`` where
``NaN > border`` is false: left; ``AsTrue``: right). The cover is the leaves' training weight
(``leaf_weights``), summed up the tree. The output is ``scale * (sum of leaf values) + bias``
(``scale_and_bias``).

Categorical features (one-hot and CTR splits), text and embedding features, and trees that are
not oblivious raise :class:`NotReadable`: their splits depend on statistics of the training
data that these readers do not rebuild.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np

from ._tree_engine import Forest, _max_depth
from ._tree_readers import NotReadable, _pad

__all__ = ["read_catboost"]

# CatBoost loss -> link; a loss not listed here is refused (its prediction's link is not known)
_LINKS = {
    "Logloss": "logit", "CrossEntropy": "logit", "MultiClass": "softmax", "MultiClassOneVsAll": "logit",
    "Poisson": "log", "Tweedie": "log", "RMSE": "identity", "MAE": "identity", "Quantile": "identity",
    "MultiQuantile": "identity", "Expectile": "identity", "MAPE": "identity", "Huber": "identity", "Lq": "identity",
    "MultiRMSE": "identity", "QueryRMSE": "identity", "YetiRank": "identity", "YetiRankPairwise": "identity",
    "PairLogit": "identity", "PairLogitPairwise": "identity", "QuerySoftMax": "identity", "LambdaMart": "identity",
}  # fmt: skip


def read_catboost(model: Any) -> Forest:
    """A fitted CatBoost model (``CatBoostClassifier`` / ``Regressor`` / ``Ranker`` / ``CatBoost``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.json")
        model.save_model(path, format="json")
        with open(path, encoding="utf-8") as handle:
            dump = json.load(handle)
    info = dump.get("features_info", {})
    for kind in ("categorical_features", "text_features", "embedding_features"):
        if info.get(kind):
            raise NotReadable(f"the CatBoost model uses {kind.replace('_', ' ')}, whose splits depend on statistics "
                              "of the training data that tree SHAP does not rebuild")  # fmt: skip
    if "oblivious_trees" not in dump or dump.get("trees") or dump.get("non_symmetric_trees"):
        raise NotReadable("the CatBoost trees are not oblivious (grow_policy other than 'SymmetricTree')")
    loss = _loss(dump)
    if loss not in _LINKS:
        raise NotReadable(f"the CatBoost loss {loss!r} maps the margin to its prediction through a link tree SHAP "
                          "does not know; explain it with exact_shap or kernel_shap")  # fmt: skip
    floats = {int(f["feature_index"]): f for f in info.get("float_features", [])}
    scale, bias = dump.get("scale_and_bias", [1.0, [0.0]])
    bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    trees = [_tree(tree, floats, float(scale)) for tree in dump["oblivious_trees"]]
    k = trees[0]["value"].shape[1] if trees else 1
    if not trees:
        raise NotReadable("the CatBoost model has no trees")
    if bias.size not in (1, k):
        raise NotReadable(f"the CatBoost bias has {bias.size} values for {k} outputs")
    arrays: dict[str, Any] = dict(_pad(trees, k))
    link = _LINKS[loss]
    return Forest(**arrays, base_offset=np.broadcast_to(bias, (k,)).copy(), input_dtype=np.float32,
                  max_depth=_max_depth(arrays["left"], arrays["right"]), link=link,
                  tree_output="log_odds" if link == "logit" and k == 1 else "raw_value",
                  prepare=_catboost_rows)  # fmt: skip


def _loss(dump: dict[str, Any]) -> str:
    params = dump.get("model_info", {}).get("params", "{}")
    params = json.loads(params) if isinstance(params, str) else params
    loss = params.get("loss_function", {})
    return str(loss.get("type", "") if isinstance(loss, dict) else loss).split(":")[0]


def _tree(tree: dict[str, Any], floats: dict[int, dict[str, Any]], scale: float) -> dict[str, np.ndarray]:
    """One oblivious tree as a full binary tree, nodes in breadth-first order (children 2i+1, 2i+2)."""
    splits = tree.get("splits", [])
    depth = len(splits)
    n_leaves = 1 << depth
    leaf_values = np.asarray(tree["leaf_values"], dtype=np.float64)
    k = leaf_values.size // n_leaves
    leaf_values = leaf_values.reshape(n_leaves, k) * scale
    # no leaf weights (a model whose weights were dropped): no cover, so no path-dependent values
    weights = np.asarray(tree.get("leaf_weights", np.zeros(n_leaves)), dtype=np.float64)
    n_inner = n_leaves - 1
    n = n_inner + n_leaves
    out = {"left": np.full(n, -1, dtype=np.int64), "right": np.full(n, -1, dtype=np.int64),
           "default": np.full(n, -1, dtype=np.int64), "feature": np.full(n, -2, dtype=np.int64),
           "threshold": np.full(n, -2.0), "cover": np.zeros(n), "value": np.zeros((n, k))}  # fmt: skip
    for d, split in enumerate(reversed(splits)):
        if split.get("split_type", "FloatFeature") != "FloatFeature":
            raise NotReadable(f"the CatBoost model makes {split.get('split_type')!r} splits, which are not read")
        feature = floats[int(split["float_feature_index"])]
        border = float(np.float32(split["border"]))
        nan_right = feature.get("nan_value_treatment", "AsIs") == "AsTrue"
        for node in range((1 << d) - 1, (1 << (d + 1)) - 1):
            out["left"][node], out["right"][node] = 2 * node + 1, 2 * node + 2
            out["default"][node] = out["right"][node] if nan_right else out["left"][node]
            out["feature"][node] = int(feature["flat_feature_index"])
            out["threshold"][node] = border
    # the root tests the last split; the bottom node at ``position`` is reached through the bits
    # of ``position`` read from the top (the root's), so its leaf index is ``position`` itself
    for position in range(n_leaves):
        leaf = position
        out["value"][n_inner + position] = leaf_values[leaf]
        out["cover"][n_inner + position] = weights[leaf]
    for node in range(n_inner - 1, -1, -1):
        out["cover"][node] = out["cover"][2 * node + 1] + out["cover"][2 * node + 2]
    if weights.any() and not np.any(leaf_values[weights == 0]):
        _cover_empty_subtrees(out["cover"], n_inner)
    return out


def _cover_empty_subtrees(cover: np.ndarray, n_inner: int) -> None:
    """Give the subtrees no training row reached a positive cover, halved at each split.

    Their leaves hold 0 (CatBoost fits no value where no row falls), so they add nothing whatever
    the cover; but path-dependent SHAP divides by the cover of every split. CatBoost's own
    ``ShapValues`` skips such subtrees, which gives the same values."""
    empty = cover == 0
    for node in range(len(cover)):  # parents before children
        parent = (node - 1) // 2
        if node > 0 and empty[parent]:
            cover[node] = cover[parent] / 2
        elif empty[node] and node < n_inner:
            cover[node] = 1.0


def _catboost_rows(X: Any) -> np.ndarray:
    """The model's input as float rows (CatBoost compares them in float32, as ``input_dtype`` says)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return np.column_stack([X[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in X.columns])
    return np.asarray(X, dtype=np.float64)
