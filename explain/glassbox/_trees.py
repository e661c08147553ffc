"""Read a fitted HistGradientBoosting model's trees and split them into additive terms.

Every leaf of a tree is reached through a path of splits; the features split on along the
path are the only ones that decide whether a row lands in the leaf. With interaction
constraints that allow single features and a few pairs, every path uses one feature or one
allowed pair, so the tree is a sum of functions of one feature or one pair, each made of the
leaves whose paths use exactly that feature set. A tree that uses one feature (the common
case) goes to that feature's term whole; a tree that mixes groups (possible when a feature is
in a pair: the root may split on ``a``, one child on ``b``, the other on ``a`` again) is split
leaf by leaf, each part keeping the tree's splits and zeroing the other parts' leaves.

Each part keeps scikit-learn's own ``TreePredictor``, so evaluating it follows scikit-learn's
rules for missing values, categorical bitsets and unknown categories exactly.

This reads private scikit-learn structures (``_predictors`` and the node record array
``PREDICTOR_RECORD_DTYPE``); the test suite checks the result against the model's own
predictions to 1e-10, so a change in scikit-learn's internals fails loudly, not silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TreePart", "split_trees"]


@dataclass(frozen=True)
class TreePart:
    """The leaves of one tree whose paths use exactly the features ``columns``.

    ``columns`` are the model's internal column indices (sorted); ``output`` the index of the
    class (0 for binary classification and regression); ``predictor`` returns the part's leaf
    values for rows that reach its leaves and 0 elsewhere; ``thresholds`` holds the numeric
    split thresholds found on the part's paths, by internal column.
    """

    columns: tuple[int, ...]
    output: int
    predictor: Any
    thresholds: dict[int, np.ndarray]


def split_trees(predictors: Sequence[Sequence[Any]], n_outputs: int) -> tuple[list[TreePart], np.ndarray]:
    """Split every tree of ``predictors`` (one list of ``n_outputs`` trees per iteration) into
    :class:`TreePart` objects; trees that are a single leaf add to the returned constant."""
    parts: list[TreePart] = []
    constant = np.zeros(n_outputs)
    for iteration in predictors:
        for output, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if nodes["is_leaf"][0]:
                constant[output] += nodes["value"][0]
                continue
            parts.extend(_split_tree(predictor, output))
    return parts, constant


def _split_tree(predictor: Any, output: int) -> list[TreePart]:
    nodes = predictor.nodes
    internal = np.flatnonzero(~nodes["is_leaf"].astype(bool))
    features = np.unique(nodes["feature_idx"][internal])
    if len(features) == 1:  # the whole tree is one term
        column = int(features[0])
        return [TreePart((column,), output, predictor, {column: _numeric_thresholds(nodes, internal)})]
    groups: dict[tuple[int, ...], tuple[list[int], set[int]]] = {}
    for leaf, path in _leaf_paths(nodes).items():
        key = tuple(sorted({int(nodes["feature_idx"][i]) for i in path}))
        leaves, on_paths = groups.setdefault(key, ([], set()))
        leaves.append(leaf)
        on_paths.update(path)
    parts = []
    for columns, (leaves, on_paths) in groups.items():
        path_nodes = np.array(sorted(on_paths))
        thresholds = {
            c: _numeric_thresholds(nodes, path_nodes[nodes["feature_idx"][path_nodes] == c]) for c in columns
        }
        parts.append(TreePart(columns, output, _keep_leaves(predictor, leaves), thresholds))
    return parts


def _leaf_paths(nodes: np.ndarray) -> dict[int, list[int]]:
    """Each leaf's path: the internal nodes from the root down to it."""
    paths: dict[int, list[int]] = {}
    stack: list[tuple[int, list[int]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if nodes["is_leaf"][node]:
            paths[node] = path
            continue
        below = [*path, node]
        stack.append((int(nodes["left"][node]), below))
        stack.append((int(nodes["right"][node]), below))
    return paths


def _numeric_thresholds(nodes: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """Distinct finite thresholds of the numeric splits among ``splits``.

    An infinite threshold is scikit-learn's "split on missing values" (every value goes left,
    missing values right), which the missing-value cell of a term table already separates.
    """
    numeric = splits[~nodes["is_categorical"][splits].astype(bool)]
    thresholds = nodes["num_threshold"][numeric]
    return np.unique(thresholds[np.isfinite(thresholds)])


def _keep_leaves(predictor: Any, leaves: list[int]) -> Any:
    """A copy of ``predictor`` whose leaves outside ``leaves`` are worth 0."""
    nodes = predictor.nodes.copy()
    drop = nodes["is_leaf"].astype(bool)
    drop[leaves] = False
    nodes["value"][drop] = 0.0
    return type(predictor)(nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets)
