"""SHAP interaction values of tree ensembles, compiled with numba.

Both games tree SHAP explains are, leaf by leaf, *product games*: with ``F`` the ``D`` distinct
features on the path to a leaf ``l``, the leaf's share of the coalition ``S``'s value is

    ``value(l) * prod_{f in S & F} a_f * prod_{f in F - S} z_f``

- path-dependent (:mod:`._tree_path`): ``a_f = 1`` when the row follows every split on ``f``
  (else 0) and ``z_f`` the product of the cover shares of those splits;
- interventional, for one background row ``b`` (:mod:`._tree_masks`): ``a_f`` as above and
  ``z_f = 1`` when ``b`` follows every split on ``f``.

Lundberg's interaction value of ``i != j`` is half the change in ``i``'s Shapley value when ``j``
is held present rather than absent (shap's ``condition=1`` / ``condition=-1`` passes), which is
the Shapley interaction index ``sum_{S in F-{i,j}} |S|! (D-|S|-2)! / (2 (D-1)!) delta_ij(S)``.
For a product game it is

    ``(a_i - z_i) (a_j - z_j) / 2 * P(A + {i, j}) * Q'(A - {i, j})``

with ``A`` the features whose ``a_f = 1``, ``P(C) = prod_{f in F - C} z_f`` and
``Q'(C) = sum_{S in C} w'(|S|) prod_{f in C - S} z_f``, ``w'(s) = s! (D-s-2)! / (D-1)!``: the
``Q`` of :mod:`._tree_path` with the weights of ``D - 1`` players. So the path-dependent kernel
reuses that module's per-leaf subset tables (filled with the shifted weights: O(D^2) per row
and leaf) or, for leaves whose table would not pay or fit, the polynomial
``prod_{f in A} (1 + z_f t)`` divided by the pair's factors (O(D^3)). Only the off-diagonal
entries are computed here; the caller sets each diagonal entry to the feature's SHAP value minus
its row's off-diagonal sum (Lundberg's definition), so every row sums to the SHAP values exactly.

In the interventional pair game only the features ``A ^ B`` (followed by exactly one of ``x`` and
``b``) are players, and the leaf is reached iff ``A | B`` covers ``F``; with ``s = |A - B|``,
``t = |B - A|`` the interaction of two players is ``(s-2)! t! / (2 (s+t-1)!)`` when both are in
``A - B``, ``s! (t-2)! / (2 (s+t-1)!)`` when both are in ``B - A`` and ``-(s-1)! (t-1)! / (2
(s+t-1)!)`` otherwise. The interventional game is the mean of the pair games over the background,
and the interaction index is linear in the game: the mean of the pairs' indices.

Every split is decided by :func:`._tree_engine.split_goes_right` (through the layouts' masks), so
categorical splits and missing values follow the same rules as the SHAP values themselves.
"""

from __future__ import annotations

from math import lgamma
from typing import Any

import numba
import numpy as np

from ._tree_engine import Forest
from ._tree_masks import LeafPaths, _groups, _mask_args, _split, leaf_blocks
from ._tree_masks import _masks as _leaf_masks
from ._tree_path import (
    ROWS_PER_BLOCK,
    SERIAL_WORK,
    TABLE_BYTES,
    PathLayout,
    _fill_tables,
    _shapley_weights,
    table_depth,
)
from ._tree_path import _masks as _path_masks

__all__ = ["interventional_interactions", "pair_tables", "path_dependent_interactions", "rows_per_chunk"]

CHUNK_BYTES = 64 << 20  # the interaction values of one chunk of rows (n x d x d x k floats) at most


def rows_per_chunk(d: int, k: int, max_bytes: int | None = None) -> int:
    """Rows whose ``(d, d, k)`` interaction values fit ``max_bytes`` (default :data:`CHUNK_BYTES`)."""
    budget = CHUNK_BYTES if max_bytes is None else max_bytes
    return max(1, budget // (8 * d * d * max(k, 1)))


# --------------------------------------------------------------------------- path-dependent


@numba.njit(cache=True, inline="always")
def _add_pair(out, r, fi, fj, coef, leaf_value, lf, tc):  # type: ignore[no-untyped-def]
    if tc >= 0:
        v = coef * leaf_value[lf, tc]
        out[r, fi, fj, tc] += v
        out[r, fj, fi, tc] += v
    else:
        for c in range(leaf_value.shape[1]):
            v = coef * leaf_value[lf, c]
            out[r, fi, fj, c] += v
            out[r, fj, fi, c] += v


@numba.njit(cache=True, inline="always")
def _sign(A, b, z):  # type: ignore[no-untyped-def]
    """``a_f - z_f`` of the feature of bit ``b``."""
    return 1.0 - z if (A >> b) & 1 else -z


@numba.njit(cache=True)
def _tabulated_pairs(out, lo, hi, row_masks, s, D, off, lf, tc, leaf_feat, leaf_z, leaf_value, table):  # type: ignore[no-untyped-def]
    """Leaf ``lf``'s interactions for rows ``lo:hi`` from its table of ``(Q', P)``."""
    full = (np.int64(1) << D) - 1
    for r in range(lo, hi):
        A = row_masks[r - lo] & full
        for bi in range(D):
            ci = 0.5 * _sign(A, bi, leaf_z[s + bi])
            bit_i = np.int64(1) << bi
            for bj in range(bi + 1, D):
                bit_j = np.int64(1) << bj
                pair = bit_i | bit_j
                coef = ci * _sign(A, bj, leaf_z[s + bj]) * table[off + (A | pair), 1] * table[off + (A & ~pair), 0]
                _add_pair(out, r, leaf_feat[s + bi], leaf_feat[s + bj], coef, leaf_value, lf, tc)


@numba.njit(cache=True)
def _recursed_pairs(out, lo, hi, row_masks, s, D, lf, tc, leaf_feat, leaf_z, leaf_value, W, e, g, h):  # type: ignore[no-untyped-def]
    """The same from the polynomial ``e = prod_{f in A} (1 + z_f t)``, divided by the pair's
    factors where they are in ``A``: ``Q'(C) = sum_q w'(|C| - q) e_q(C)``."""
    full = (np.int64(1) << D) - 1
    for r in range(lo, hi):
        A = row_masks[r - lo] & full
        a = 0
        e[0] = 1.0
        for b in range(D):
            if (A >> b) & 1:
                z = leaf_z[s + b]
                a += 1
                e[a] = 0.0
                for q in range(a, 0, -1):
                    e[q] += z * e[q - 1]
        for bi in range(D):
            zi = leaf_z[s + bi]
            in_i = (A >> bi) & 1
            ci = 0.5 * (1.0 - zi if in_i else -zi)
            na = a  # the degree of g = e(A - {i})
            if in_i:
                na = a - 1
                g[0] = 1.0
                for q in range(1, na + 1):
                    g[q] = e[q] - zi * g[q - 1]
            else:
                for q in range(a + 1):
                    g[q] = e[q]
            for bj in range(bi + 1, D):
                zj = leaf_z[s + bj]
                in_j = (A >> bj) & 1
                nb = na
                if in_j:
                    nb = na - 1
                    h[0] = 1.0
                    for q in range(1, nb + 1):
                        h[q] = g[q] - zj * h[q - 1]
                else:
                    for q in range(na + 1):
                        h[q] = g[q]
                q_sum = 0.0
                for q in range(nb + 1):
                    q_sum += W[D - 1, nb - q] * h[q]
                P = 1.0  # prod over F - (A + {i, j}) of z
                for b in range(D):
                    if b != bi and b != bj and not (A >> b) & 1:
                        P *= leaf_z[s + b]
                coef = ci * (1.0 - zj if in_j else -zj) * P * q_sum
                _add_pair(out, r, leaf_feat[s + bi], leaf_feat[s + bj], coef, leaf_value, lf, tc)


@numba.njit(parallel=True, nogil=True, cache=True)
def _rows(X, split_start, split_parent, split_side, split_feature, split_threshold, split_default, split_cat,
          split_zero, cat_bits, cat_other, split_bit, leaf_tree_start, leaf_parent, leaf_side, leaf_start, leaf_feat,
          leaf_z, leaf_value, tree_class, leaf_table, table, W, block, out):  # type: ignore[no-untyped-def]  # fmt: skip
    """Add every tree's off-diagonal interactions for the rows of ``X`` into ``out (n, d, d, k)``,
    a block of rows at a time (a block's rows belong to one thread: no two threads write a row)."""
    n = X.shape[0]
    max_splits = max(1, np.max(split_start[1:] - split_start[:-1]))
    max_leaves = np.max(leaf_tree_start[1:] - leaf_tree_start[:-1])
    for bi in numba.prange((n + block - 1) // block):
        lo, hi = bi * block, min(n, (bi + 1) * block)
        masks, dirs = np.empty(max_splits, dtype=np.int64), np.empty(max_splits, dtype=np.int64)
        leaf_masks = np.empty((max_leaves, block), dtype=np.int64)
        e, g, h = np.empty(W.shape[0] + 1), np.empty(W.shape[0] + 1), np.empty(W.shape[0] + 1)
        for t in range(split_start.shape[0] - 1):
            i0, l0 = split_start[t], leaf_tree_start[t]
            n_splits, n_leaves = split_start[t + 1] - i0, leaf_tree_start[t + 1] - l0
            for r in range(lo, hi):
                _path_masks(X[r], i0, n_splits, l0, n_leaves, split_parent, split_side, split_feature,
                            split_threshold, split_default, split_cat, split_zero, cat_bits, cat_other, split_bit,
                            leaf_parent, leaf_side, masks, dirs, leaf_masks[:, r - lo])  # fmt: skip
            for j in range(n_leaves):
                lf = l0 + j
                s, D = leaf_start[lf], leaf_start[lf + 1] - leaf_start[lf]
                if D < 2:  # no pair of features on the path
                    continue
                if leaf_table[lf] >= 0:
                    _tabulated_pairs(out, lo, hi, leaf_masks[j], s, D, leaf_table[lf], lf, tree_class[t], leaf_feat,
                                     leaf_z, leaf_value, table)  # fmt: skip
                else:
                    _recursed_pairs(out, lo, hi, leaf_masks[j], s, D, lf, tree_class[t], leaf_feat, leaf_z,
                                    leaf_value, W, e, g, h)  # fmt: skip


def pair_tables(
    layout: PathLayout, n_rows: int, algorithm: str = "auto", max_bytes: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each leaf's offset in the table of ``(Q', P)`` (-1: no table) and the filled table.

    Made once for all the rows explained (not per chunk of rows), so the values do not depend on
    how the rows are cut. ``algorithm``: ``"auto"`` tabulates the leaves where it pays and fits
    ``max_bytes``, ``"v2"`` all that fit, ``"v1"`` none (as :func:`._tree_path.path_dependent_shap`)."""
    if algorithm not in ("auto", "v1", "v2"):
        raise ValueError(f"algorithm={algorithm!r} is not known; use 'auto', 'v1' or 'v2'")
    D = np.diff(layout.leaf_start)
    cut = table_depth(D, n_rows, algorithm, TABLE_BYTES if max_bytes is None else max_bytes)
    tabled = (D >= 2) & (cut >= D)
    sizes = np.where(tabled, np.left_shift(1, np.where(tabled, D, 0)), 0)
    leaf_table = np.where(tabled, np.cumsum(sizes) - sizes, -1).astype(np.int64)
    table = np.empty((int(sizes.sum()), 2))
    W = _shapley_weights(layout.depth)
    shifted = np.zeros_like(W)  # row D holds the weights of D - 1 players: _fill_tables then fills Q'
    shifted[1:] = W[:-1]
    _fill_tables(layout.leaf_start, layout.leaf_z, leaf_table, shifted, table)
    return leaf_table, table


def _tree_class(value: np.ndarray, leaf_tree_start: np.ndarray) -> np.ndarray:
    """Per tree, the one output it adds to (a boosted multiclass model's trees), or -1 for several."""
    touched = np.add.reduceat((value != 0).astype(np.int64), leaf_tree_start[:-1], axis=0) > 0
    only = (touched.sum(axis=1) == 1) | (value.shape[1] == 1)
    return np.where(only, np.argmax(touched, axis=1), -1).astype(np.int64)


def path_dependent_interactions(
    forest: Forest,
    layout: PathLayout,
    X: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray],
    *,
    output: int | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Off-diagonal path-dependent interaction values ``(n, d, d, k)`` (zero diagonal), and facts.

    ``tables``: :func:`pair_tables`. ``output``: that output alone. ``X``: rows as the trees read
    them (:meth:`Forest.rows`)."""
    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    n, d = X.shape
    leaf_table, table = tables
    W = _shapley_weights(layout.depth)
    value = layout.leaf_value if output is None else np.ascontiguousarray(layout.leaf_value[:, output : output + 1])
    out = np.zeros((n, d, d, value.shape[1]))
    D = np.diff(layout.leaf_start)
    n_pairs, tabled = int((D >= 2).sum()), int((leaf_table >= 0).sum())
    kind = "v2" if tabled == n_pairs else "v1" if tabled == 0 else "v2+v1"
    facts = {"interaction_algorithm": kind, "interaction_leaves_tabulated": f"{tabled}/{n_pairs}"}
    if n == 0:
        return out, facts
    # a thread takes a block of rows through one tree at a time (as the path engine does); the
    # blocks only decide which thread adds a row's terms, never their order: values do not change
    per_block = max(1, min(ROWS_PER_BLOCK, (1 << 16) // max(1, int(np.diff(layout.leaf_tree_start).max()))))
    threads, previous = numba.get_num_threads(), numba.set_parallel_chunksize(1)
    numba.set_num_threads(1 if n * len(leaf_table) < SERIAL_WORK else threads)
    try:
        block = max(1, min(per_block, -(-n // (4 * numba.get_num_threads()))))
        _rows(X, layout.split_start, layout.split_parent, layout.split_side, layout.split_feature,
              layout.split_threshold, layout.split_default, layout.split_cat, layout.split_zero, forest.cat_bits,
              forest.cat_other, layout.split_bit, layout.leaf_tree_start, layout.leaf_parent, layout.leaf_side,
              layout.leaf_start, layout.leaf_feat, layout.leaf_z, value, _tree_class(value, layout.leaf_tree_start),
              leaf_table, table, W, block, out)  # fmt: skip
    finally:
        numba.set_parallel_chunksize(previous)
        numba.set_num_threads(threads)
    return out, facts


# --------------------------------------------------------------------------- interventional


def _pair_weights(depth: int) -> np.ndarray:
    """``w[0, s, t]`` both in ``A - B``, ``w[1, s, t]`` both in ``B - A``, ``w[2, s, t]`` one in each
    (signed): the interaction of two players of the pair game with ``s`` and ``t`` players."""
    size = depth + 2
    w = np.zeros((3, size, size))
    for s in range(size):
        for t in range(size):
            if s + t < 2:
                continue
            denominator = lgamma(s + t) + np.log(2.0)  # 2 (s+t-1)!
            if s >= 2:
                w[0, s, t] = np.exp(lgamma(s - 1) + lgamma(t + 1) - denominator)
            if t >= 2:
                w[1, s, t] = np.exp(lgamma(s + 1) + lgamma(t - 1) - denominator)
            if s >= 1 and t >= 1:
                w[2, s, t] = -np.exp(lgamma(s) + lgamma(t) - denominator)
    return w


@numba.njit(parallel=True, cache=True)
def _interventional_rows(A, group_start, gmask, gcount, m, leaf_tree, leaf_node, feat_start, feat, value, w, out):  # type: ignore[no-untyped-def]
    """Per row (in parallel), every leaf's pair games against the background's mask groups."""
    n, L = A.shape
    k = value.shape[2]
    for i in numba.prange(n):
        for leaf in range(L):
            t, node = leaf_tree[leaf], leaf_node[leaf]
            nbits = feat_start[leaf + 1] - feat_start[leaf]
            if nbits < 2:
                continue
            full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
            a = A[i, leaf] & full
            start = feat_start[leaf]
            for g in range(group_start[leaf], group_start[leaf + 1]):
                only_a, only_b, s, tt = _split(a, gmask[g] & full, full)
                if s + tt < 2:
                    continue
                share = gcount[g] / m
                for p in range(nbits):
                    bp = np.uint64(1) << np.uint64(p)
                    in_a = (only_a & bp) != 0
                    if not in_a and (only_b & bp) == 0:
                        continue
                    fp = feat[start + p]
                    for q in range(p + 1, nbits):
                        bq = np.uint64(1) << np.uint64(q)
                        q_a = (only_a & bq) != 0
                        if not q_a and (only_b & bq) == 0:
                            continue
                        kind = 0 if in_a and q_a else 1 if not in_a and not q_a else 2
                        coef = w[kind, s, tt] * share
                        fq = feat[start + q]
                        for c in range(k):
                            v = coef * value[t, node, c]
                            out[i, fp, fq, c] += v
                            out[i, fq, fp, c] += v


def interventional_interactions(
    forest: Forest,
    paths: LeafPaths,
    X: np.ndarray,
    background: np.ndarray,
    *,
    max_bytes: int | None = None,
) -> np.ndarray:
    """Off-diagonal interventional interaction values ``(n, d, d, k)`` of the summed trees.

    Leaves go in blocks of at most ``max_bytes`` of masks (:func:`._tree_masks.leaf_blocks`);
    each row's sums run over the leaves in the same order whatever the blocks."""
    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    B = np.ascontiguousarray(np.asarray(background, dtype=forest.input_dtype), dtype=np.float64)
    w = _pair_weights(max(paths.max_bits, 2))
    out = np.zeros((X.shape[0], X.shape[1], X.shape[1], forest.value.shape[2]))
    if X.shape[0] == 0:
        return out
    for lo, hi in leaf_blocks(paths.n_leaves, X.shape[0] + B.shape[0], max_bytes):
        args = _mask_args(forest, paths, lo, hi)
        group_start, group_mask, member_start, _ = _groups(_leaf_masks(B, *args))
        count = np.diff(member_start).astype(np.float64)
        _interventional_rows(_leaf_masks(X, *args), group_start, group_mask, count, float(B.shape[0]),
                             paths.leaf_tree[lo:hi], paths.leaf_node[lo:hi], paths.feat_start[lo : hi + 1],
                             paths.feat, forest.value, w, out)  # fmt: skip
    return out
