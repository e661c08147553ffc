"""LightGBM and XGBoost models read from their own documented dumps, into :class:`Forest` arrays.

LightGBM (``Booster.dump_model()``, the JSON of ``Tree::ToJSON``) decides a split as
``Tree::NumericalDecision`` / ``Tree::CategoricalDecision`` do, on float64 inputs:

- numeric, missing_type ``"NaN"``: NaN follows ``default_left``, anything else ``x <= threshold``;
  ``"Zero"``: NaN and ``|x| <= 1e-35`` follow ``default_left``; ``"None"``: NaN is read as 0, so
  it goes where 0 goes (``use_missing=False`` gives these);
- categorical (``decision_type "=="``, ``threshold "1||3||7"``): the listed categories go left,
  everything else (NaN, negative, unlisted) right; the value is truncated to an int first, so
  ``-0.5`` is category 0;
- values with ``|x| <= 1e-35`` reach the trees as 0 (LightGBM drops them from dense rows);
  integer arrays are cast to float32 first; pandas ``category`` columns become their codes in
  the booster's ``pandas_categorical`` (categories it has not seen: NaN).

Tree ``i`` adds its leaf value to class ``i % num_tree_per_iteration``; dart's dumped leaves
are already scaled. A random forest (``average_output``) predicts the link of the trees' sum
over the number of iterations while its ``raw_score`` is the sum: the margin here is the sum,
and ``log_odds_scale`` holds ``sigmoid / iterations`` (the link acts on that times the margin).
The cover is the node's data count, as LightGBM's own ``pred_contrib`` uses.

XGBoost (``Booster.save_raw("json")``) compares float32 inputs with float32 thresholds,
``x < threshold`` (read here as ``x <= the largest float32 below threshold``); NaN and the
``missing=`` value follow ``default_left``; a categorical split sends the categories it lists
right and every other value (unlisted, negative, too large) left. Tree ``t`` adds its leaf
value (times its ``weight_drop`` under dart) to output ``tree_info[t]``; the base score is
stored in the prediction's space and mapped to the margin through the objective's link.
pandas ``category`` columns are re-coded to the training categories the model stores
(XGBoost >= 3.1), as XGBoost does; it refuses unseen categories and so do these readers.

What cannot be read exactly raises :class:`NotReadable`: LightGBM linear trees, XGBoost
gblinear and vector-leaf (``multi_output_tree``) trees, objectives whose prediction is not one
of the links :class:`Forest` names.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import numpy as np

from ._tree_engine import Forest, _max_depth
from ._tree_readers import NotReadable, _pad

__all__ = ["read_lightgbm", "read_xgboost"]

_LGB_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (1e-35f)
# LightGBM objective -> (link, tree_output); None: the prediction is no link Forest names
_LGB_LINKS: dict[str, tuple[str, str] | None] = {
    "binary": ("logit", "log_odds"), "cross_entropy": ("logit", "log_odds"), "multiclass": ("softmax", "raw_value"),
    "multiclassova": ("logit", "raw_value"), "poisson": ("log", "raw_value"), "gamma": ("log", "raw_value"),
    "tweedie": ("log", "raw_value"), "cross_entropy_lambda": None,
}  # fmt: skip
# XGBoost objective -> (link, margin of the stored base score); anything unlisted: identity
_XGB_LINKS = {
    "binary:logistic": "logit", "reg:logistic": "logit", "multi:softprob": "softmax", "multi:softmax": "softmax",
    "count:poisson": "log", "reg:gamma": "log", "reg:tweedie": "log", "survival:cox": "log", "survival:aft": "log",
}  # fmt: skip
_XGB_REFUSED = {"binary:hinge": "a 0/1 step of the margin"}


class _Categories:
    """Categorical splits collected over the trees: the rows of ``cat_bits`` / ``cat_other``."""

    def __init__(self) -> None:
        self.left: list[list[int]] = []
        self.known: list[list[int]] = []
        self.other: list[int] = []

    def add(self, left: list[int], known: list[int], other: int) -> int:
        self.left.append(left)
        self.known.append(known)
        self.other.append(other)
        return len(self.other) - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        top = max((c for cats in self.left + self.known for c in cats), default=0)
        words = top // 64 + 1
        bits = np.zeros((len(self.other), 2, words), dtype=np.uint64)
        for s, sets in enumerate(zip(self.left, self.known, strict=True)):
            for row, cats in enumerate(sets):
                for c in cats:
                    bits[s, row, c >> 6] |= np.uint64(1) << np.uint64(c & 63)
        return bits, np.asarray(self.other, dtype=np.int64)


def _forest(trees: list[dict[str, Any]], k: int, cats: _Categories, **fields: Any) -> Forest:
    """Pad the per-tree arrays (with their categorical and zero-as-missing marks) into a Forest."""
    arrays: dict[str, Any] = dict(_pad(trees, k))
    T, N = arrays["left"].shape
    cat_split, zero_missing = np.full((T, N), -1, dtype=np.int64), np.zeros((T, N), dtype=np.bool_)
    for i, tree in enumerate(trees):
        cat_split[i, : len(tree["cat"])] = tree["cat"]
        zero_missing[i, : len(tree["zero"])] = tree["zero"]
    cat_bits, cat_other = cats.arrays()
    return Forest(**arrays, max_depth=_max_depth(arrays["left"], arrays["right"]), cat_split=cat_split,
                  cat_bits=cat_bits, cat_other=cat_other, zero_missing=zero_missing, **fields)  # fmt: skip


# ---------------------------------------------------------------------------------------- LightGBM


def read_lightgbm(model: Any) -> Forest:
    """A LightGBM model (scikit-learn wrapper or ``Booster``) from ``Booster.dump_model()``."""
    booster = getattr(model, "booster_", model)
    dump = booster.dump_model()
    name, params = _lgb_objective(dump.get("objective", ""))
    if _LGB_LINKS.get(name, ("identity", "raw_value")) is None or "sqrt" in params:
        raise NotReadable(
            f"the LightGBM objective {dump['objective']!r} maps the margin to its prediction through a function "
            "tree SHAP does not name; explain it with exact_shap or kernel_shap"
        )
    link, tree_output = _LGB_LINKS.get(name) or ("identity", "raw_value")
    per_iteration = int(dump["num_tree_per_iteration"])
    infos = dump["tree_info"]
    if not infos:
        raise NotReadable("the LightGBM model has no trees")
    # a random forest's raw_score (and pred_contrib) is the trees' sum; its prediction is the link of
    # the sum over the number of iterations: that factor goes with the sigmoid's into log_odds_scale
    scale = per_iteration / len(infos) if dump.get("average_output") else 1.0
    cats, trees = _Categories(), []
    for i, info in enumerate(infos):
        trees.append(_lgb_tree(info["tree_structure"], i % per_iteration, per_iteration, cats))
    split = [(tree["feature"][tree["left"] >= 0], tree["cat"][tree["left"] >= 0]) for tree in trees]
    cat_features = sorted({int(f) for feature, cat in split for f in feature[cat >= 0]})
    if {int(f) for feature, cat in split for f in feature[cat < 0]} & set(cat_features):
        raise NotReadable("a LightGBM feature is split both as a number and as a category")
    prepare = partial(_lightgbm_rows, pandas_categorical=dump.get("pandas_categorical"), categorical=cat_features)
    return _forest(trees, per_iteration, cats, base_offset=np.zeros(per_iteration), input_dtype=np.float64,
                   tree_output=tree_output if per_iteration == 1 or tree_output != "log_odds" else "raw_value",
                   prepare=prepare, link=link, log_odds_scale=float(params.get("sigmoid", 1.0)) * scale)  # fmt: skip


def _lgb_objective(text: str) -> tuple[str, dict[str, str]]:
    """``"binary sigmoid:1"`` -> ``("binary", {"sigmoid": "1"})``; bare words map to ``""``."""
    words = text.split()
    if not words:
        return "", {}
    params = {w.split(":", 1)[0]: (w.split(":", 1)[1] if ":" in w else "") for w in words[1:]}
    return words[0], params


def _lgb_tree(root: dict[str, Any], c: int, k: int, cats: _Categories) -> dict[str, Any]:
    """One tree's nodes in depth-first order (the root first)."""
    nodes: list[dict[str, Any]] = []
    stack: list[tuple[dict[str, Any], int, int]] = [(root, -1, 0)]  # (node, parent, 0 left / 1 right)
    rows: dict[str, list[Any]] = {key: [] for key in ("left", "right", "default", "feature", "threshold", "cover",
                                                       "value", "cat", "zero")}  # fmt: skip
    while stack:
        node, parent, side = stack.pop()
        i = len(nodes)
        nodes.append(node)
        if parent >= 0:
            rows["right" if side else "left"][parent] = i
        value = np.zeros(k)
        if "leaf_value" in node:
            if "leaf_coeff" in node or "leaf_const" in node:
                raise NotReadable("the LightGBM model has linear trees (linear_tree=True): its leaves hold linear "
                                  "models, which tree SHAP does not read")  # fmt: skip
            value[c] = float(node["leaf_value"])
            for key, item in (("left", -1), ("right", -1), ("default", -1), ("feature", -2), ("threshold", -2.0),
                              ("cat", -1), ("zero", False)):  # fmt: skip
                rows[key].append(item)
            rows["cover"].append(float(node.get("leaf_count", 0)))
            rows["value"].append(value)
            continue
        default_left = bool(node["default_left"])
        missing = node.get("missing_type", "NaN")
        rows["feature"].append(int(node["split_feature"]))
        rows["cover"].append(float(node["internal_count"]))
        rows["value"].append(value)
        rows["left"].append(-1)
        rows["right"].append(-1)
        if node["decision_type"] == "==":  # NaN and anything unlisted go right
            listed = [int(x) for x in str(node["threshold"]).split("||") if x != ""]
            rows["cat"].append(cats.add(listed, [], 1))
            rows["threshold"].append(0.0)
            rows["zero"].append(False)
            rows["default"].append(1)  # 1: right (resolved to the child below)
        else:
            threshold = float(node["threshold"])
            rows["cat"].append(-1)
            rows["threshold"].append(threshold)
            rows["zero"].append(missing == "Zero")
            # missing_type None: NaN is read as 0 and compared; Zero / NaN: the default child
            rows["default"].append((0 if threshold >= 0.0 else 1) if missing == "None" else (0 if default_left else 1))
        stack.append((node["right_child"], i, 1))
        stack.append((node["left_child"], i, 0))
    out = {key: np.asarray(rows[key]) for key in ("left", "right", "feature", "threshold", "cover", "cat", "zero")}
    to_right = np.asarray(rows["default"]) == 1
    out["default"] = np.where(out["left"] < 0, -1, np.where(to_right, out["right"], out["left"]))
    out["value"] = np.asarray(rows["value"], dtype=np.float64).reshape(len(nodes), k)
    return out


def _lightgbm_rows(X: Any, *, pandas_categorical: list[list[Any]] | None, categorical: list[int]) -> np.ndarray:
    """The model's input as LightGBM's trees compare it (see the module docstring)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        cat_cols = [
            col for col, dtype in zip(X.columns, X.dtypes, strict=True) if isinstance(dtype, pd.CategoricalDtype)
        ]
        if pandas_categorical is not None and len(cat_cols) != len(pandas_categorical):
            from ..errors import InputError

            text = [str(col) for col in X.columns if col not in cat_cols and X[col].dtype == object][:5]
            raise InputError(
                f"the LightGBM model was trained with {len(pandas_categorical)} pandas 'category' columns but the data "
                f"has {len(cat_cols)} ({[str(c) for c in cat_cols]}); give the model's categorical columns the "
                f"'category' dtype, as in training (X[col] = X[col].astype('category'))"
                + (f"; these columns hold text: {text}" if text else "")
            )
        columns = []
        for col in X.columns:
            if col in cat_cols:
                j = cat_cols.index(col)
                known = list(X[col].cat.categories) if pandas_categorical is None else pandas_categorical[j]
                codes = X[col].cat.set_categories(known).cat.codes.to_numpy().astype(np.float64)
                columns.append(np.where(codes < 0, np.nan, codes))
            else:
                columns.append(X[col].to_numpy(dtype=np.float64, na_value=np.nan))
        rows = np.column_stack(columns) if columns else np.empty((len(X), 0))
    else:
        if hasattr(X, "toarray"):  # scipy sparse
            X = X.toarray()
        rows = np.asarray(X)
        # LightGBM takes float32 and float64 as they are and casts anything else to float32
        rows = rows.astype(rows.dtype if rows.dtype in (np.float32, np.float64) else np.float32)
        rows = rows.astype(np.float64)
    rows = np.where(np.abs(rows) <= _LGB_ZERO, 0.0, rows)  # dense rows drop |x| <= kZeroThreshold
    if categorical:
        rows[:, categorical] = np.trunc(rows[:, categorical])  # static_cast<int>: -0.5 is category 0
    return rows


# ----------------------------------------------------------------------------------------- XGBoost


def read_xgboost(model: Any) -> Forest:
    """An XGBoost model (scikit-learn wrapper or ``Booster``) from ``Booster.save_raw("json")``."""
    booster = model.get_booster() if hasattr(model, "get_booster") else model
    learner = json.loads(bytes(booster.save_raw("json")))["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name") not in ("gbtree", "dart"):
        raise NotReadable(f"the XGBoost booster is {gbm.get('name')!r}, not trees (gbtree or dart)")
    tree_model = gbm["gbtree"]["model"] if gbm["name"] == "dart" else gbm["model"]
    objective = str(learner.get("objective", {}).get("name", ""))
    if objective in _XGB_REFUSED:
        raise NotReadable(f"the XGBoost objective {objective!r} predicts {_XGB_REFUSED[objective]}, which tree "
                          "SHAP does not decompose; explain it with exact_shap or kernel_shap")  # fmt: skip
    param = learner["learner_model_param"]
    k = max(int(param.get("num_class", 0)), int(param.get("num_target", 1)), 1)
    raw_trees = tree_model["trees"]
    weights = np.asarray(gbm.get("weight_drop", [1.0] * len(raw_trees)), dtype=np.float64)
    n_trees = _xgb_tree_count(model, booster, tree_model, len(raw_trees))
    if n_trees == 0:
        raise NotReadable("the XGBoost model has no trees")
    cats, trees = _Categories(), []
    for t in range(n_trees):
        trees.append(_xgb_tree(raw_trees[t], int(tree_model["tree_info"][t]), k, float(weights[t]), cats))
    link = _XGB_LINKS.get(objective, "identity")
    base = _xgb_base(param.get("base_score", "0.5"), link, k)
    missing = float(getattr(model, "missing", np.nan)) if model is not booster else np.nan
    cat_names = _xgb_categories(tree_model.get("cats"), learner.get("feature_types") or [])
    prepare = partial(_xgboost_rows, missing=missing, categories=cat_names)
    return _forest(trees, k, cats, base_offset=base, input_dtype=np.float32, prepare=prepare, link=link,
                   tree_output="log_odds" if link == "logit" and k == 1 else "raw_value")  # fmt: skip


def _xgb_tree_count(model: Any, booster: Any, tree_model: dict[str, Any], total: int) -> int:
    """The trees ``predict`` uses: the scikit-learn wrappers stop at ``best_iteration`` (early stopping)."""
    if model is booster:
        return total
    try:
        best = int(model.best_iteration)
    except (AttributeError, ValueError, TypeError):
        return total
    indptr = tree_model.get("iteration_indptr")
    if indptr is None:
        per_iteration = int(tree_model["gbtree_model_param"].get("num_parallel_tree", 1)) * max(
            1, len(set(tree_model["tree_info"]))
        )
        return min(total, (best + 1) * per_iteration)
    return int(indptr[min(best + 1, len(indptr) - 1)])


def _xgb_tree(tree: dict[str, Any], c: int, k: int, weight: float, cats: _Categories) -> dict[str, Any]:
    if int(tree["tree_param"].get("size_leaf_vector", 1)) > 1:
        raise NotReadable("the XGBoost trees hold vector leaves (multi_strategy='multi_output_tree'), which tree "
                          "SHAP does not read")  # fmt: skip
    left = np.asarray(tree["left_children"], dtype=np.int64)
    right = np.asarray(tree["right_children"], dtype=np.int64)
    leaf = left < 0
    conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
    # x < t in float32 is x <= the largest float32 below t
    below = np.nextafter(conditions, np.float32(-np.inf)).astype(np.float64)
    value = np.zeros((len(left), k))
    value[:, c] = np.where(leaf, conditions.astype(np.float64) * weight, 0.0)
    default_left = np.asarray(tree["default_left"], dtype=bool)
    cat = np.full(len(left), -1, dtype=np.int64)
    split_type = np.asarray(tree.get("split_type", np.zeros(len(left))), dtype=np.int64)
    nodes, starts, sizes = tree.get("categories_nodes", []), tree.get("categories_segments", []), tree.get(
        "categories_sizes", [])  # fmt: skip
    listed = tree.get("categories", [])
    for node, start, size in zip(nodes, starts, sizes, strict=True):
        # the listed categories go right; unlisted, negative and out-of-range ones left
        cat[int(node)] = cats.add([], [int(x) for x in listed[int(start) : int(start) + int(size)]], 0)
    if np.any((split_type[~leaf] == 1) & (cat[~leaf] < 0)):
        raise NotReadable("an XGBoost categorical split lists no categories")
    return {
        "left": np.where(leaf, -1, left), "right": np.where(leaf, -1, right),
        "default": np.where(leaf, -1, np.where(default_left, left, right)),
        "feature": np.where(leaf, -2, np.asarray(tree["split_indices"], dtype=np.int64)),
        "threshold": np.where(leaf | (cat >= 0), -2.0, below),
        "cover": np.asarray(tree["sum_hessian"], dtype=np.float32).astype(np.float64), "value": value, "cat": cat,
        "zero": np.zeros(len(left), dtype=np.bool_),
    }  # fmt: skip


def _xgb_base(raw: Any, link: str, k: int) -> np.ndarray:
    """The stored base score (``"[5E-1]"`` in XGBoost 3, ``"5E-1"`` before) in the margin, per output."""
    text = str(raw).strip()
    values = [float(v) for v in re.split(r"[,\s]+", text.strip("[]")) if v] if text else [0.5]
    score = np.asarray(values, dtype=np.float32)
    if score.size not in (1, k):
        raise NotReadable(f"the XGBoost base score {text!r} does not match the model's {k} outputs")
    with np.errstate(divide="ignore"):
        if link == "logit":
            score = -np.log(np.float32(1.0) / score - np.float32(1.0))
        elif link == "log":
            score = np.log(score)
    return np.broadcast_to(score.astype(np.float64), (k,)).copy()


def _xgb_categories(cats: dict[str, Any] | None, feature_types: list[str]) -> dict[int, list[Any]]:
    """The training categories XGBoost (>= 3.1) stores per categorical feature, in code order."""
    out: dict[int, list[Any]] = {}
    if not cats:
        return out
    for f, enc in enumerate(cats.get("enc", [])):
        if "offsets" in enc:
            offsets, chars = enc["offsets"], enc["values"]
            if len(offsets) > 1:
                data = bytes(int(v) & 0xFF for v in chars)
                out[f] = [data[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]
        elif enc.get("values"):
            out[f] = list(enc["values"])
    if any(f >= len(feature_types) or feature_types[f] != "c" for f in out):
        raise NotReadable("the XGBoost model stores categories for a feature that is not categorical")
    return out


def _xgboost_rows(X: Any, *, missing: float, categories: dict[int, list[Any]]) -> np.ndarray:
    """The model's input as XGBoost's trees read it: categories re-coded, ``missing`` as NaN."""
    import pandas as pd

    from ..errors import InputError

    if isinstance(X, pd.DataFrame):
        columns = []
        for j, col in enumerate(X.columns):
            series = X[col]
            if not isinstance(series.dtype, pd.CategoricalDtype):
                columns.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
                continue
            known = categories.get(j)
            if known is None:  # no stored categories: the frame's own codes, as XGBoost reads them
                codes = series.cat.codes.to_numpy().astype(np.float64)
            else:
                codes = series.cat.set_categories(known).cat.codes.to_numpy().astype(np.float64)
                unseen = (codes < 0) & series.notna().to_numpy()
                if unseen.any():
                    raise InputError(f"column {col!r} holds the category {series[unseen].iloc[0]!r}, which the "
                                     "XGBoost model did not see in training: XGBoost does not treat it as missing "
                                     "(depending on its version it refuses the row or scores it as another "
                                     "category), so no exact explanation can follow it; map it to a known category "
                                     "or to a missing value")  # fmt: skip
            columns.append(np.where(codes < 0, np.nan, codes))
        rows = np.column_stack(columns) if columns else np.empty((len(X), 0))
    else:
        rows = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    if not np.isnan(missing):  # XGBoost compares in float32 and drops the entries equal to missing
        rows = np.where(rows.astype(np.float32) == np.float32(missing), np.nan, rows)
    return rows
