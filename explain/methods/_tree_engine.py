"""Interventional TreeSHAP, compiled with numba.

For one row ``x``, one background row ``b`` and one tree, the coalition game
``g(S) = tree(x_S, b_~S)`` only depends on the features whose split sends ``x`` and ``b`` down
different branches. Walking the tree once, following ``x`` and ``b`` together and branching
where they part, every leaf reached is reached for exactly the coalitions that contain the
features ``Sx`` taken from ``x`` on the way and none of the features ``Sb`` taken from ``b``.
That leaf's value ``v`` therefore adds

    ``v * (|Sx|-1)! |Sb|! / (|Sx|+|Sb|)!``  to each feature of ``Sx``, and
    ``-v * |Sx|! (|Sb|-1)! / (|Sx|+|Sb|)!`` to each feature of ``Sb``

(the Shapley values of ``v * 1[Sx ⊆ S, Sb ∩ S = ∅]``). A feature split on twice along a path
must be taken from the same side both times; the walk checks this. shap's own interventional
code disagrees with brute-force enumeration on scikit-learn's HistGradientBoosting models and
on random forests (by up to 0.9 in log-odds and 1.8 in probability in our checks; compare shap
issue #3267), while this walk and the mask algorithm agree with it to 1e-13.

Averaging over the background gives the interventional Shapley values of the margin exactly.
For probabilities of a boosted binary classifier (a logistic transform of the summed trees),
each (row, background row) pair's values are rescaled so they add up to
``sigmoid(F(x)) - sigmoid(F(b))``: the definition shap's TreeExplainer uses for
``model_output="probability"``, so the two agree where shap's walk is right.

The tree structures are read from scikit-learn's fitted trees directly (:mod:`._tree_readers`),
and through shap's ``TreeEnsemble`` parser for LightGBM and XGBoost; both normalize every model
to "go left when ``x <= threshold``; missing values follow the default child".
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from math import lgamma
from typing import Any

import numba
import numpy as np

__all__ = ["Forest", "interventional_shap", "read_forest"]


@dataclass(frozen=True)
class Forest:
    """Tree arrays, one row per tree, padded to the largest tree."""

    left: np.ndarray  # (T, N) int64, -1 at leaves
    right: np.ndarray
    default: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray  # (T, N) float64
    value: np.ndarray  # (T, N, k) float64
    cover: np.ndarray  # (T, N) float64: training weight reaching each node (path-dependent SHAP)
    base_offset: np.ndarray  # (k,)
    input_dtype: Any
    max_depth: int
    tree_output: str


def read_forest(model: Any) -> Forest:
    """Parse a tree model (sklearn, LightGBM, XGBoost) into :class:`Forest` arrays.

    scikit-learn's models are read from their own fitted structures (:mod:`._tree_readers`);
    LightGBM and XGBoost models, and scikit-learn models those readers do not cover, through
    shap's ``TreeEnsemble`` parser.
    """
    from ._tree_readers import SKLEARN_READERS, NotReadable, read_sklearn

    if type(model).__name__ in SKLEARN_READERS and type(model).__module__.startswith("sklearn."):
        try:
            arrays = read_sklearn(model)
        except NotReadable:
            pass
        else:
            return Forest(**arrays, max_depth=int(_max_depth(arrays["left"], arrays["right"])))
    return _read_with_shap(model)


def _read_with_shap(model: Any) -> Forest:
    from shap.explainers._tree import TreeEnsemble

    ensemble = TreeEnsemble(model, None, None, "raw")
    limit = ensemble.tree_limit if ensemble.tree_limit is not None else ensemble.children_left.shape[0]
    left = np.ascontiguousarray(ensemble.children_left[:limit], dtype=np.int64)
    right = np.ascontiguousarray(ensemble.children_right[:limit], dtype=np.int64)
    if np.any(np.asarray(ensemble.threshold_types[:limit])[left >= 0] != 0):
        raise ValueError("the trees make categorical (set membership) splits, which the compiled engines do not read")
    return Forest(
        left=left,
        right=right,
        default=np.ascontiguousarray(ensemble.children_default[:limit], dtype=np.int64),
        feature=np.ascontiguousarray(ensemble.features[:limit], dtype=np.int64),
        threshold=np.ascontiguousarray(ensemble.thresholds[:limit], dtype=np.float64),
        value=np.ascontiguousarray(ensemble.values[:limit], dtype=np.float64),
        cover=np.ascontiguousarray(ensemble.node_sample_weight[:limit], dtype=np.float64),
        base_offset=_base_offset(ensemble),
        input_dtype=ensemble.input_dtype,
        max_depth=int(_max_depth(left, right)),
        tree_output=str(ensemble.tree_output),
    )


def _base_offset(ensemble: Any) -> np.ndarray:
    offset = np.atleast_1d(np.asarray(ensemble.base_offset, dtype=np.float64))
    if ensemble.model_type != "xgboost" or offset.size < 2:
        return offset
    # XGBoost >= 3 keeps one intercept per class (in the margin) and shap's parser reads the first
    # only: read them all, else the base values of a multiclass model miss by up to the spread
    config = json.loads(ensemble.original_model.save_config())["learner"]
    if not str(config.get("objective", {}).get("name", "")).startswith("multi:"):
        return offset
    raw = config["learner_model_param"]["base_score"]
    per_class = np.atleast_1d(np.asarray(ast.literal_eval(raw) if isinstance(raw, str) else raw, dtype=np.float64))
    return per_class if per_class.shape == offset.shape else offset


@numba.njit(cache=True)
def tree_sizes(left: np.ndarray, right: np.ndarray) -> tuple[int, int, int]:
    """Over every tree: the number of leaves, the sum of their depths (path lengths) and the
    greatest depth, walking depth first with an explicit stack."""
    leaves, total_path, deepest = 0, 0, 0
    stack = np.empty((left.shape[1] + 1, 2), dtype=np.int64)
    for t in range(left.shape[0]):
        stack[0, 0], stack[0, 1] = 0, 0
        sp = 1
        while sp > 0:
            sp -= 1
            node, depth = stack[sp, 0], stack[sp, 1]
            if left[t, node] < 0:
                leaves += 1
                total_path += depth
                deepest = max(deepest, depth)
                continue
            stack[sp, 0], stack[sp, 1] = left[t, node], depth + 1
            stack[sp + 1, 0], stack[sp + 1, 1] = right[t, node], depth + 1
            sp += 2
    return leaves, total_path, deepest


def _max_depth(left: np.ndarray, right: np.ndarray) -> int:
    return int(tree_sizes(left, right)[2])


def _weights(depth: int) -> tuple[np.ndarray, np.ndarray]:
    """``pos[s, t] = (s-1)! t! / (s+t)!`` and ``neg[s, t] = s! (t-1)! / (s+t)!``."""
    size = depth + 2
    pos = np.zeros((size, size))
    neg = np.zeros((size, size))
    for s in range(size):
        for t in range(size):
            if s >= 1:
                pos[s, t] = np.exp(lgamma(s) + lgamma(t + 1) - lgamma(s + t + 1))
            if t >= 1:
                neg[s, t] = np.exp(lgamma(s + 1) + lgamma(t) - lgamma(s + t + 1))
    return pos, neg


@numba.njit(cache=True)
def _child(t: int, node: int, v: float, left: np.ndarray, right: np.ndarray, default: np.ndarray,
           threshold: np.ndarray) -> int:  # fmt: skip
    if np.isnan(v):
        return default[t, node]
    return left[t, node] if v <= threshold[t, node] else right[t, node]


@numba.njit(cache=True)
def _predict_row(x: np.ndarray, left: np.ndarray, right: np.ndarray, default: np.ndarray,
                 feature: np.ndarray, threshold: np.ndarray, value: np.ndarray, out: np.ndarray) -> None:  # fmt: skip
    for t in range(left.shape[0]):
        node = 0
        while left[t, node] >= 0:
            node = _child(t, node, x[feature[t, node]], left, right, default, threshold)
        for c in range(out.shape[0]):
            out[c] += value[t, node, c]


@numba.njit(cache=True)
def _pair(x: np.ndarray, b: np.ndarray, left: np.ndarray, right: np.ndarray, default: np.ndarray,
          feature: np.ndarray, threshold: np.ndarray, value: np.ndarray, pos: np.ndarray, neg: np.ndarray,
          phi: np.ndarray, xs: np.ndarray, bs: np.ndarray, stack: np.ndarray) -> None:  # fmt: skip
    """Add the Shapley values of every tree's pair game (x against b) into ``phi (d, k)``."""
    for t in range(left.shape[0]):
        stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3], stack[0, 4] = 0, 0, 0, -1, 0
        sp = 1
        while sp > 0:
            sp -= 1
            node, nx, nb, added, side = stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4]
            # a frame writes its own feature when it is processed: depth-first order keeps the
            # first nx / nb entries of xs / bs those of this frame's ancestors
            if side == 1:
                xs[nx - 1] = added
            elif side == 2:
                bs[nb - 1] = added
            if left[t, node] < 0:
                if nx + nb > 0:
                    wp, wn = pos[nx, nb], neg[nx, nb]
                    for c in range(value.shape[2]):
                        v = value[t, node, c]
                        for i in range(nx):
                            phi[xs[i], c] += wp * v
                        for i in range(nb):
                            phi[bs[i], c] -= wn * v
                continue
            f = feature[t, node]
            cx = _child(t, node, x[f], left, right, default, threshold)
            cb = _child(t, node, b[f], left, right, default, threshold)
            if cx == cb:
                stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = cx, nx, nb, -1, 0
                sp += 1
                continue
            owner = 0
            for i in range(nx):
                if xs[i] == f:
                    owner = 1
            for i in range(nb):
                if bs[i] == f:
                    owner = 2
            if owner == 1:
                stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = cx, nx, nb, -1, 0
                sp += 1
            elif owner == 2:
                stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = cb, nx, nb, -1, 0
                sp += 1
            else:
                stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = cb, nx, nb + 1, f, 2
                stack[sp + 1, 0], stack[sp + 1, 1], stack[sp + 1, 2] = cx, nx + 1, nb
                stack[sp + 1, 3], stack[sp + 1, 4] = f, 1
                sp += 2


@numba.njit(parallel=True, cache=True)
def _interventional(X: np.ndarray, B: np.ndarray, left: np.ndarray, right: np.ndarray, default: np.ndarray,
                    feature: np.ndarray, threshold: np.ndarray, value: np.ndarray, base_offset: np.ndarray,
                    pos: np.ndarray, neg: np.ndarray, depth: int, logistic: bool,
                    out: np.ndarray, base: np.ndarray) -> None:  # fmt: skip
    n, d = X.shape
    m = B.shape[0]
    k = value.shape[2]
    fb = np.zeros((m, k))
    for j in range(m):
        _predict_row(B[j], left, right, default, feature, threshold, value, fb[j])
        for c in range(k):
            fb[j, c] += base_offset[c]
    for j in range(m):
        for c in range(k):
            base[c] += (1.0 / (1.0 + np.exp(-fb[j, c])) if logistic else fb[j, c]) / m
    for i in numba.prange(n):
        phi = np.zeros((d, k))
        pair = np.zeros((d, k))
        xs = np.empty(depth + 1, dtype=np.int64)
        bs = np.empty(depth + 1, dtype=np.int64)
        stack = np.empty((2 * depth + 4, 5), dtype=np.int64)
        fx = np.zeros(k)
        _predict_row(X[i], left, right, default, feature, threshold, value, fx)
        for c in range(k):
            fx[c] += base_offset[c]
        for j in range(m):
            if not logistic:
                _pair(X[i], B[j], left, right, default, feature, threshold, value, pos, neg, phi, xs, bs, stack)
                continue
            for f in range(d):
                for c in range(k):
                    pair[f, c] = 0.0
            _pair(X[i], B[j], left, right, default, feature, threshold, value, pos, neg, pair, xs, bs, stack)
            for c in range(k):
                px = 1.0 / (1.0 + np.exp(-fx[c]))
                gap = fx[c] - fb[j, c]
                if abs(gap) > 1e-12:
                    scale = (px - 1.0 / (1.0 + np.exp(-fb[j, c]))) / gap
                else:
                    scale = px * (1.0 - px)  # the limit: the logistic's slope
                for f in range(d):
                    phi[f, c] += pair[f, c] * scale
        for f in range(d):
            for c in range(k):
                out[i, f, c] = phi[f, c] / m


@numba.njit(parallel=True, cache=True)
def _margins(X, left, right, default, feature, threshold, value, base_offset):  # type: ignore[no-untyped-def]
    out = np.zeros((X.shape[0], value.shape[2]))
    for i in numba.prange(X.shape[0]):
        _predict_row(X[i], left, right, default, feature, threshold, value, out[i])
        for c in range(value.shape[2]):
            out[i, c] += base_offset[c]
    return out


def _predict_margins(forest: Forest, X: np.ndarray) -> np.ndarray:
    """The summed trees plus the base offset, ``(n, k)``, for rows already in the input dtype."""
    return _margins(X, forest.left, forest.right, forest.default, forest.feature, forest.threshold,
                    forest.value, forest.base_offset)  # fmt: skip


def interventional_shap(
    forest: Forest, X: np.ndarray, background: np.ndarray, *, logistic: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Interventional Shapley values ``(n, d, k)`` and the base value ``(k,)``.

    ``logistic=False`` explains the summed trees (the margin, or the probability of an
    averaging forest); ``logistic=True`` explains ``sigmoid(margin)`` by per-pair rescaling.
    """
    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    B = np.ascontiguousarray(np.asarray(background, dtype=forest.input_dtype), dtype=np.float64)
    pos, neg = _weights(forest.max_depth)
    k = forest.value.shape[2]
    out = np.zeros((X.shape[0], X.shape[1], k))
    base = np.zeros(k)
    _interventional(
        X, B, forest.left, forest.right, forest.default, forest.feature, forest.threshold, forest.value,
        forest.base_offset, pos, neg, forest.max_depth, logistic, out, base,
    )  # fmt: skip
    return out, base
