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
from collections.abc import Callable
from dataclasses import dataclass, field
from math import lgamma
from typing import Any

import numba
import numpy as np
import pandas as pd

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
    # categorical (set membership) splits: cat_split[t, n] is -1 for a numeric split, else the
    # row s of cat_bits whose word 0 bits are the categories sent left and word 1 bits the
    # categories the split knows (a known category not sent left goes right); any other code
    # (negative, unknown, beyond the bitset) goes by cat_other[s]: 0 left, 1 right, 2 as missing
    cat_split: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    cat_bits: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 1), dtype=np.uint64))
    cat_other: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # splits that read |x| <= 1e-35 as missing too (LightGBM's missing_type "Zero")
    zero_missing: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.bool_))
    # the model's own input (a DataFrame or array) -> the float rows the trees compare, in the
    # trees' feature order (categories as the library codes them, its missing-value marker as NaN)
    prepare: Callable[[Any], np.ndarray] | None = None
    # what the summed trees are and how the model turns them into its prediction
    link: str = "identity"  # "identity", "logit", "log", "softmax"
    log_odds_scale: float = 1.0  # the log-odds are this times the margin (2 for exponential loss)

    def __post_init__(self) -> None:
        if self.cat_split.shape != self.left.shape:
            object.__setattr__(self, "cat_split", np.full(self.left.shape, -1, dtype=np.int64))
        if self.zero_missing.shape != self.left.shape:
            object.__setattr__(self, "zero_missing", np.zeros(self.left.shape, dtype=np.bool_))

    @property
    def splits(self) -> tuple[np.ndarray, ...]:
        """The node arrays the compiled walks take, as one tuple (see :func:`goes_right`)."""
        return (self.left, self.right, self.default, self.feature, self.threshold, self.cat_split, self.cat_bits,
                self.cat_other, self.zero_missing)  # fmt: skip

    @property
    def has_categorical(self) -> bool:
        return bool(np.any(self.cat_split[self.left >= 0] >= 0))

    def rows(self, model_input: Any) -> np.ndarray:
        """Rows as the trees compare them: float64, contiguous, rounded through ``input_dtype``."""
        if self.prepare is not None:
            model_input = self.prepare(model_input)
        if isinstance(model_input, pd.DataFrame):  # nullable dtypes ("Float64", "Int64", "boolean"): pd.NA is missing
            model_input = model_input.to_numpy(dtype=float, na_value=np.nan)
        X = np.asarray(model_input, dtype=float)
        return np.ascontiguousarray(np.asarray(X, dtype=self.input_dtype), dtype=np.float64)


def read_forest(model: Any) -> Forest:
    """Parse a tree model (sklearn, LightGBM, XGBoost) into :class:`Forest` arrays.

    scikit-learn's models are read from their own fitted structures (:mod:`._tree_readers`),
    which raise :class:`~._tree_readers.NotReadable` for what they do not cover.
    """
    from ._tree_readers import SKLEARN_READERS, read_sklearn

    if type(model).__name__ in SKLEARN_READERS and type(model).__module__.startswith("sklearn."):
        arrays = read_sklearn(model)  # NotReadable says what these trees hold that is not read
        return Forest(**arrays, max_depth=int(_max_depth(arrays["left"], arrays["right"])))
    module = type(model).__module__.split(".")[0]
    if module in ("lightgbm", "xgboost"):  # their own dumps; NotReadable: what cannot be read exactly
        from ._tree_readers_gbm import read_lightgbm, read_xgboost

        return read_lightgbm(model) if module == "lightgbm" else read_xgboost(model)
    if module == "catboost":
        from ._tree_readers_catboost import read_catboost

        return read_catboost(model)
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


@numba.njit(cache=True, inline="always")
def split_goes_right(v, threshold, default_right, cat, zero_missing, cat_bits, cat_other):  # type: ignore[no-untyped-def]
    """Where one split sends the value ``v``: every engine decides here (see :class:`Forest`)."""
    if np.isnan(v) or (zero_missing and abs(v) <= 1e-35):
        return default_right
    if cat < 0:
        return not (v <= threshold)
    if v >= 0.0 and v < 64.0 * cat_bits.shape[2]:
        c = np.int64(v)
        word = c >> 6
        bit = np.uint64(1) << np.uint64(c & 63)
        if cat_bits[cat, 0, word] & bit:
            return False
        if cat_bits[cat, 1, word] & bit:
            return True
    other = cat_other[cat]
    return default_right if other == 2 else other == 1


@numba.njit(cache=True, inline="always")
def goes_right(t, node, v, s):  # type: ignore[no-untyped-def]
    """Where node ``node`` of tree ``t`` sends ``v``; ``s`` is :attr:`Forest.splits`."""
    right, default, threshold, cat_split, cat_bits, cat_other, zero_missing = s[1], s[2], s[4], s[5], s[6], s[7], s[8]
    return split_goes_right(v, threshold[t, node], default[t, node] == right[t, node], cat_split[t, node],
                            zero_missing[t, node], cat_bits, cat_other)  # fmt: skip


@numba.njit(cache=True, inline="always")
def _child(t: int, node: int, v: float, s) -> int:  # type: ignore[no-untyped-def]
    return s[1][t, node] if goes_right(t, node, v, s) else s[0][t, node]


@numba.njit(cache=True)
def _predict_row(x: np.ndarray, s, value: np.ndarray, out: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    left, feature = s[0], s[3]
    for t in range(left.shape[0]):
        node = 0
        while left[t, node] >= 0:
            node = _child(t, node, x[feature[t, node]], s)
        for c in range(out.shape[0]):
            out[c] += value[t, node, c]


@numba.njit(cache=True)
def _pair(x: np.ndarray, b: np.ndarray, s, value: np.ndarray, pos: np.ndarray, neg: np.ndarray,
          phi: np.ndarray, xs: np.ndarray, bs: np.ndarray, stack: np.ndarray) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """Add the Shapley values of every tree's pair game (x against b) into ``phi (d, k)``."""
    left, feature = s[0], s[3]
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
            cx = _child(t, node, x[f], s)
            cb = _child(t, node, b[f], s)
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
def _interventional(X: np.ndarray, B: np.ndarray, s, value: np.ndarray, base_offset: np.ndarray,
                    pos: np.ndarray, neg: np.ndarray, depth: int, logistic: bool,
                    out: np.ndarray, base: np.ndarray) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    n, d = X.shape
    m = B.shape[0]
    k = value.shape[2]
    fb = np.zeros((m, k))
    for j in range(m):
        _predict_row(B[j], s, value, fb[j])
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
        _predict_row(X[i], s, value, fx)
        for c in range(k):
            fx[c] += base_offset[c]
        for j in range(m):
            if not logistic:
                _pair(X[i], B[j], s, value, pos, neg, phi, xs, bs, stack)
                continue
            for f in range(d):
                for c in range(k):
                    pair[f, c] = 0.0
            _pair(X[i], B[j], s, value, pos, neg, pair, xs, bs, stack)
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
def _margins(X, s, value, base_offset):  # type: ignore[no-untyped-def]
    out = np.zeros((X.shape[0], value.shape[2]))
    for i in numba.prange(X.shape[0]):
        _predict_row(X[i], s, value, out[i])
        for c in range(value.shape[2]):
            out[i, c] += base_offset[c]
    return out


def _predict_margins(forest: Forest, X: np.ndarray) -> np.ndarray:
    """The summed trees plus the base offset, ``(n, k)``, for rows already in the input dtype."""
    return _margins(X, forest.splits, forest.value, forest.base_offset)


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
        X, B, forest.splits, forest.value, forest.base_offset, pos, neg, forest.max_depth, logistic, out, base
    )
    return out, base
