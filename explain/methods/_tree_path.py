"""Path-dependent TreeSHAP, compiled with numba: per-leaf subset tables (Fast TreeSHAP v2).

The game is ``v(S) = sum over leaves l of value(l) g_l(S)``, ``g_l(S)`` the product over the
splits on the way to ``l`` of 1 or 0 (does the row go that way?) for a split on a feature in
``S``, and of the share of training cover sent that way for any other split. With ``F`` the
``D`` distinct features on the path, ``z_f`` the product of the cover shares of the splits on
``f`` and ``A`` the features of ``F`` whose every split the row follows, ``g_l(S) =
prod_{f in S & F} 1[f in A] prod_{f in F - S} z_f``: a product game whose Shapley values, with
``P(A) = prod_{f in F - A} z_f``, are::

    value(l) (1 - z_i) P(A) Q(A - {i})   for i in A
    -value(l) P(A) Q(A)                   for i in F - A (the same for all of them)

where ``Q(C) = sum_{S subset of C} w(|S|) prod_{f in C - S} z_f`` and ``w(s) = s! (D-s-1)! / D!``.
``Q`` depends on the row only through the subset ``A`` of the leaf's features, so, following
the idea of Yang (2021, "Fast TreeSHAP", algorithm v2), a leaf's ``2^D`` values of ``Q`` can
be tabulated once for all rows; a row then costs O(D) per leaf (v2). Leaves whose table would
not pay for itself over the rows, or would not fit the memory budget, get ``Q`` computed per
row from the polynomial ``prod_{f in A} (1 + z_f t)`` and its quotients by each ``(1 + z_i t)``,
O(D^2) per leaf like the original algorithm (v1). Both are exact; tests hold them equal.

A row's sets ``A`` (bit masks; a feature's bit is its rank of first appearance on the path)
come from one pass over a tree's splits, parents first. Rows go through the trees in blocks,
leaf by leaf, so a leaf's table serves the whole block from cache. The base value is ``v({})``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any

import numba
import numpy as np

from ._tree_engine import Forest, split_goes_right, tree_sizes

__all__ = ["PathLayout", "path_dependent_shap", "path_layout", "table_depth"]

MAX_BITS = 62  # distinct features on one path that fit a 64-bit mask
TABLE_BYTES = 128 << 20  # memory the per-leaf tables may take (16 bytes x 2^D per leaf)
ROWS_PER_CHUNK = 8192  # rows per call of the compiled kernel: the unit a progress bar counts
ROWS_PER_BLOCK = 64  # rows a thread takes through one tree at a time: that tree stays in cache
SERIAL_WORK = 2_000_000  # rows x leaves (~30 ms) below which one thread is quicker than waiting for two


@dataclass(frozen=True)
class PathLayout:
    """Every tree's splits (parents first; split ``i`` of tree ``t`` is ``split_*[split_start[t] + i]``)
    and leaves, and every leaf's distinct path features."""

    split_start: np.ndarray  # (T+1,)
    split_parent: np.ndarray  # local index of the parent split, -1 for the root
    split_side: np.ndarray  # 0: its parent's left child, 1: the right child
    split_feature: np.ndarray
    split_threshold: np.ndarray
    split_default: np.ndarray  # the side a missing value goes
    split_cat: np.ndarray  # -1, or the categorical split's row of Forest.cat_bits
    split_zero: np.ndarray  # whether the split reads zero as missing (Forest.zero_missing)
    split_bit: np.ndarray  # the bit of the split's feature in the masks below it
    leaf_tree_start: np.ndarray  # (T+1,): tree t's leaves are leaf_tree_start[t]:leaf_tree_start[t+1]
    leaf_parent: np.ndarray  # local index of the parent split, -1 for a tree that is one leaf
    leaf_side: np.ndarray
    leaf_start: np.ndarray  # (L+1,): leaf l's features are leaf_feat[leaf_start[l]:leaf_start[l+1]]
    leaf_feat: np.ndarray
    leaf_z: np.ndarray  # each feature's product of cover shares on the path
    leaf_value: np.ndarray  # (L, k)
    depth: int


def path_layout(forest: Forest) -> PathLayout | None:
    """The forest's layout, or None when a path tests more than ``MAX_BITS`` distinct features."""
    if not np.all(forest.cover[forest.left >= 0] > 0) or not np.all(np.isfinite(forest.cover)):
        raise ValueError("some split nodes carry no training cover, which path-dependent SHAP needs")
    (split_start, parent, side, feature, threshold, default, bit, split_node, leaf_tree_start, leaf_parent,
     leaf_side, leaf_tree, leaf_node, leaf_start, leaf_feat, leaf_z) = _layout(
        forest.left, forest.right, forest.default, forest.feature, forest.threshold, forest.cover, forest.max_depth
    )  # fmt: skip
    split_tree = np.repeat(np.arange(len(split_start) - 1), np.diff(split_start))
    if np.diff(leaf_start).max(initial=0) > MAX_BITS:
        return None
    return PathLayout(
        split_start=split_start, split_parent=parent, split_side=side, split_feature=feature,
        split_threshold=threshold, split_default=default, split_cat=forest.cat_split[split_tree, split_node],
        split_zero=forest.zero_missing[split_tree, split_node], split_bit=bit, leaf_tree_start=leaf_tree_start,
        leaf_parent=leaf_parent, leaf_side=leaf_side, leaf_start=leaf_start, leaf_feat=leaf_feat, leaf_z=leaf_z,
        leaf_value=np.ascontiguousarray(forest.value[leaf_tree, leaf_node]), depth=forest.max_depth,
    )  # fmt: skip


@numba.njit(cache=True)
def _find(row: np.ndarray, count: int, f: int) -> int:
    for j in range(count):
        if row[j] == f:
            return j
    return count


@numba.njit(cache=True)
def _layout(left, right, default, feature, threshold, cover, max_depth):  # type: ignore[no-untyped-def]
    T, N = left.shape
    n_leaves, path_total, _ = tree_sizes(left, right)  # first pass: sizes
    n_splits = n_leaves - T  # every split has two children
    stack = np.empty((N + 1, 5), dtype=np.int64)
    split_start = np.zeros(T + 1, dtype=np.int64)
    leaf_tree_start = np.zeros(T + 1, dtype=np.int64)
    split = np.zeros((n_splits, 6), dtype=np.int64)  # parent, side, feature, default, bit, node
    split_threshold = np.zeros(n_splits)
    leaf = np.empty((n_leaves, 4), dtype=np.int64)  # parent, side, tree, node
    leaf_start = np.zeros(n_leaves + 1, dtype=np.int64)
    leaf_feat = np.empty(path_total, dtype=np.int64)
    leaf_z = np.empty(path_total)
    # the distinct features (and their z) on the path to the node being visited, per depth:
    # depth-first order leaves the entries of every ancestor in place
    path_f = np.empty((max_depth + 1, max_depth + 1), dtype=np.int64)
    path_z = np.empty((max_depth + 1, max_depth + 1))
    count = np.zeros(max_depth + 1, dtype=np.int64)
    si, lf, ls = 0, 0, 0
    for t in range(T):
        split_start[t], leaf_tree_start[t] = si, lf
        stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3], stack[0, 4] = 0, 0, 0, -1, -1
        sp = 1
        while sp > 0:
            sp -= 1
            node, dep, side, parent, local = stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4]
            count[dep] = 0
            if dep > 0:
                c = count[dep - 1]
                path_f[dep, :c] = path_f[dep - 1, :c]
                path_z[dep, :c] = path_z[dep - 1, :c]
                share = cover[t, node] / cover[t, parent]
                j = _find(path_f[dep], c, feature[t, parent])
                if j == c:
                    path_f[dep, c], path_z[dep, c] = feature[t, parent], share
                    c += 1
                else:
                    path_z[dep, j] *= share
                count[dep] = c
            if left[t, node] < 0:
                leaf[lf, 0], leaf[lf, 1], leaf[lf, 2], leaf[lf, 3] = local, side, t, node
                for j in range(count[dep]):
                    leaf_feat[ls], leaf_z[ls] = path_f[dep, j], path_z[dep, j]
                    ls += 1
                lf += 1
                leaf_start[lf] = ls
                continue
            split[si, 0], split[si, 1], split[si, 2] = local, side, feature[t, node]
            split[si, 3] = 0 if default[t, node] == left[t, node] else 1
            split[si, 4] = _find(path_f[dep], count[dep], feature[t, node])
            split[si, 5] = node
            split_threshold[si] = threshold[t, node]
            me = si - split_start[t]
            stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = right[t, node], dep + 1, 1, node, me
            sp += 1
            stack[sp, 0], stack[sp, 1], stack[sp, 2], stack[sp, 3], stack[sp, 4] = left[t, node], dep + 1, 0, node, me
            sp += 1
            si += 1
    split_start[T], leaf_tree_start[T] = si, lf
    return (split_start, split[:, 0].copy(), split[:, 1].copy(), split[:, 2].copy(), split_threshold,
            split[:, 3].copy(), split[:, 4].copy(), split[:, 5].copy(), leaf_tree_start, leaf[:, 0].copy(),
            leaf[:, 1].copy(), leaf[:, 2].copy(), leaf[:, 3].copy(), leaf_start, leaf_feat[:ls].copy(),
            leaf_z[:ls].copy())  # fmt: skip


def _shapley_weights(depth: int) -> np.ndarray:
    """``W[D, s] = s! (D-s-1)! / D!`` for ``s < D``, and 0 for ``s >= D``."""
    W = np.zeros((depth + 2, depth + 2))
    for D in range(1, depth + 2):
        for s in range(D):
            W[D, s] = 1.0 / (D * comb(D - 1, s))
    return W


def table_depth(leaf_features: np.ndarray, n_rows: int, algorithm: str, max_bytes: int) -> int:
    """Largest ``D`` whose leaves get tables: they fit ``max_bytes`` and (``auto``) pay for themselves.

    A leaf's tables (``Q`` and ``P``, 16 bytes per subset) take ``~2^D D`` steps to fill and save
    ``~D^2`` per row; measured on deep forests, they pay when ``4 * 2^D <= n_rows * D``.
    """
    if algorithm == "v1" or len(leaf_features) == 0:
        return 0
    sizes = np.arange(leaf_features.max() + 1)
    used = np.cumsum(np.bincount(leaf_features) * 16.0 * np.exp2(sizes))
    fits = int(np.flatnonzero(used <= max_bytes).max(initial=0))
    if algorithm == "auto":
        pays = sizes[4 * np.exp2(sizes) <= n_rows * np.maximum(sizes, 1)]
        return min(fits, int(pays.max(initial=0)))
    return fits


@numba.njit(parallel=True, nogil=True, cache=True)
def _fill_tables(leaf_start, leaf_z, leaf_table, W, table):  # type: ignore[no-untyped-def]
    """``table[leaf_table[l] + C] = (Q(C), P(C))`` for every subset ``C`` (bit mask) of leaf l's features.

    With ``R_j(C) = sum_{S subset of C} w(|S| + j) prod_{C - S} z``: ``R_j(C + h) = R_{j+1}(C) +
    z_h R_j(C)`` and ``Q = R_0``; walking ``C`` upwards, ``R[b]`` holds ``R(C & bits >= b)``."""
    for lf in numba.prange(leaf_table.shape[0]):
        off = leaf_table[lf]
        if off < 0:
            continue
        s, D = leaf_start[lf], leaf_start[lf + 1] - leaf_start[lf]
        R = np.empty((D + 1, D + 1))
        for b in range(D + 1):
            R[b, :] = W[D, : D + 1]
        table[off, 0] = R[0, 0]
        for C in range(1, 1 << D):
            p = 0
            while not (C >> p) & 1:  # C - 1 ends in p ones: they clear and bit p sets
                p += 1
            for j in range(D):
                R[p, j] = R[p + 1, j + 1] + leaf_z[s + p] * R[p + 1, j]
            for b in range(p):
                R[b, :D] = R[p, :D]
            table[off + C, 0] = R[0, 0]
        full = (1 << D) - 1
        table[off + full, 1] = 1.0
        for C in range(full - 1, -1, -1):  # P(C) = P(C + p) z_p, p the lowest bit not in C
            p = 0
            while (C >> p) & 1:
                p += 1
            table[off + C, 1] = table[off + (C | (1 << p)), 1] * leaf_z[s + p]


@numba.njit(cache=True)
def _masks(x, i0, n_splits, l0, n_leaves, split_parent, split_side, split_feature, split_threshold, split_default,
           split_cat, split_zero, cat_bits, cat_other, split_bit, leaf_parent, leaf_side, masks, dirs,
           leaf_mask):  # type: ignore[no-untyped-def]  # fmt: skip
    """For each leaf of one tree, the bit mask of its path features whose every split ``x`` follows."""
    for i in range(n_splits):
        p = split_parent[i0 + i]
        m = np.int64(-1)
        if p >= 0:
            m = masks[p] & ~(np.int64(dirs[p] != split_side[i0 + i]) << split_bit[i0 + p])
        masks[i] = m
        v = x[split_feature[i0 + i]]
        dirs[i] = np.int64(split_goes_right(v, split_threshold[i0 + i], split_default[i0 + i] == 1, split_cat[i0 + i],
                                            split_zero[i0 + i], cat_bits, cat_other))  # fmt: skip
    for j in range(n_leaves):
        p = leaf_parent[l0 + j]
        m = np.int64(-1)
        if p >= 0:
            m = masks[p] & ~(np.int64(dirs[p] != leaf_side[l0 + j]) << split_bit[i0 + p])
        leaf_mask[j] = m


@numba.njit(cache=True)
def _tabulated(out, lo, hi, row_masks, s, D, off, lf, tc, leaf_feat, leaf_z, leaf_value, table):  # type: ignore[no-untyped-def]
    """v2: leaf ``lf``'s values for rows ``lo:hi``, reading ``Q`` and ``P`` from its table."""
    full = (np.int64(1) << D) - 1
    for r in range(lo, hi):
        A = row_masks[r - lo] & full
        P = table[off + A, 1]
        unmet = -P * table[off + A, 0]
        for b in range(D):
            met = (1.0 - leaf_z[s + b]) * P * table[off + (A ^ (np.int64(1) << b)), 0]
            coef = unmet + ((A >> b) & 1) * (met - unmet)  # a select, not a branch: A is data
            _add(out, r, leaf_feat[s + b], coef, leaf_value, lf, tc)


@numba.njit(cache=True)
def _recursed(out, lo, hi, row_masks, s, D, lf, tc, leaf_feat, leaf_z, leaf_value, W, e):  # type: ignore[no-untyped-def]
    """v1: the same from the polynomial ``e = prod_{f in A} (1 + z_f t)``: ``Q(C) = sum_q w(|C|-q) e_q(C)``."""
    full = (np.int64(1) << D) - 1
    for r in range(lo, hi):
        A = row_masks[r - lo] & full
        P, a = 1.0, 0
        e[0] = 1.0
        for b in range(D):
            z = leaf_z[s + b]
            if (A >> b) & 1:
                a += 1
                e[a] = 0.0
                for q in range(a, 0, -1):
                    e[q] += z * e[q - 1]
            else:
                P *= z
        unmet = 0.0
        for q in range(a + 1):
            unmet -= P * W[D, a - q] * e[q]
        for b in range(D):
            coef = unmet
            if (A >> b) & 1:
                z = leaf_z[s + b]
                g = 1.0  # e(A - {b}) by dividing out (1 + z t): g_q = e_q - z g_{q-1}
                q_sum = W[D, a - 1]
                for q in range(1, a):
                    g = e[q] - z * g
                    q_sum += W[D, a - 1 - q] * g
                coef = (1.0 - z) * P * q_sum
            _add(out, r, leaf_feat[s + b], coef, leaf_value, lf, tc)


@numba.njit(cache=True, inline="always")
def _add(out, r, f, coef, leaf_value, lf, tc):  # type: ignore[no-untyped-def]
    if tc >= 0:
        out[r, f, tc] += coef * leaf_value[lf, tc]
    else:
        for c in range(leaf_value.shape[1]):
            out[r, f, c] += coef * leaf_value[lf, c]


@numba.njit(parallel=True, nogil=True, cache=True)
def _rows(X, split_start, split_parent, split_side, split_feature, split_threshold, split_default, split_cat,
          split_zero, cat_bits, cat_other, split_bit, leaf_tree_start, leaf_parent, leaf_side, leaf_start, leaf_feat,
          leaf_z, leaf_value, tree_class, leaf_table, table, W, block, out):  # type: ignore[no-untyped-def]  # fmt: skip
    """Add every tree's values for the rows of ``X`` into ``out``, a block of rows at a time."""
    n = X.shape[0]
    max_splits = max(1, np.max(split_start[1:] - split_start[:-1]))
    max_leaves = np.max(leaf_tree_start[1:] - leaf_tree_start[:-1])
    for bi in numba.prange((n + block - 1) // block):
        lo, hi = bi * block, min(n, (bi + 1) * block)
        masks, dirs = np.empty(max_splits, dtype=np.int64), np.empty(max_splits, dtype=np.int64)
        leaf_masks = np.empty((max_leaves, block), dtype=np.int64)
        e = np.empty(W.shape[0] + 1)
        for t in range(split_start.shape[0] - 1):
            i0, l0 = split_start[t], leaf_tree_start[t]
            n_splits, n_leaves = split_start[t + 1] - i0, leaf_tree_start[t + 1] - l0
            for r in range(lo, hi):
                _masks(X[r], i0, n_splits, l0, n_leaves, split_parent, split_side, split_feature,
                       split_threshold, split_default, split_cat, split_zero, cat_bits, cat_other, split_bit,
                       leaf_parent, leaf_side, masks, dirs, leaf_masks[:, r - lo])  # fmt: skip
            for j in range(n_leaves):
                lf = l0 + j
                s, D = leaf_start[lf], leaf_start[lf + 1] - leaf_start[lf]
                if D == 0:
                    continue
                if leaf_table[lf] >= 0:
                    _tabulated(out, lo, hi, leaf_masks[j], s, D, leaf_table[lf], lf, tree_class[t], leaf_feat,
                               leaf_z, leaf_value, table)  # fmt: skip
                else:
                    _recursed(out, lo, hi, leaf_masks[j], s, D, lf, tree_class[t], leaf_feat, leaf_z, leaf_value,
                              W, e)  # fmt: skip


def path_dependent_shap(
    forest: Forest,
    layout: PathLayout,
    X: np.ndarray,
    *,
    algorithm: str = "auto",
    output: int | None = None,
    max_bytes: int | None = None,
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Path-dependent Shapley values ``(n, d, k)`` of the summed trees, the base value ``(k,)``, facts.

    ``algorithm``: ``"auto"`` tabulates the leaves where it pays and fits ``max_bytes`` (default
    :data:`TABLE_BYTES`), ``"v2"`` all that fit, ``"v1"`` none. ``output``: that output alone."""
    from .._progress import progress as progress_over

    if algorithm not in ("auto", "v1", "v2"):
        raise ValueError(f"algorithm={algorithm!r} is not known; use 'auto', 'v1' or 'v2'")
    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    n = X.shape[0]
    D = np.diff(layout.leaf_start)  # distinct features per leaf
    cut = table_depth(D, n, algorithm, TABLE_BYTES if max_bytes is None else max_bytes)
    tabled = (D >= 1) & (cut >= D)
    sizes = np.where(tabled, np.left_shift(1, np.minimum(D, MAX_BITS)), 0)
    leaf_table = np.where(tabled, np.cumsum(sizes) - sizes, -1).astype(np.int64)
    table = np.empty((int(sizes.sum()), 2))
    W = _shapley_weights(layout.depth)
    value = layout.leaf_value if output is None else np.ascontiguousarray(layout.leaf_value[:, output : output + 1])
    offset = forest.base_offset if output is None else forest.base_offset[output : output + 1]
    out = np.zeros((n, X.shape[1], value.shape[1]))
    # rows a thread takes through a tree at once: enough to reuse each leaf's table from cache,
    # few enough that both threads get work and the per-block masks stay small
    per_block = max(1, min(ROWS_PER_BLOCK, (1 << 16) // max(1, int(np.diff(layout.leaf_tree_start).max()))))
    # per tree, the one output it adds to (a boosted multiclass model's trees), or -1 for several
    touched = np.add.reduceat((value != 0).astype(np.int64), layout.leaf_tree_start[:-1], axis=0) > 0
    only = (touched.sum(axis=1) == 1) | (value.shape[1] == 1)
    tree_class = np.where(only, np.argmax(touched, axis=1), -1).astype(np.int64)
    chunks = [(lo, min(n, lo + ROWS_PER_CHUNK)) for lo in range(0, n, ROWS_PER_CHUNK)]
    # threads take leaves / blocks one at a time, not an even split fixed in advance: on a shared
    # machine one thread may run slower than the other (or, for small work, never get to run)
    threads, previous = numba.get_num_threads(), numba.set_parallel_chunksize(1)
    numba.set_num_threads(1 if n * len(D) < SERIAL_WORK else threads)
    try:
        _fill_tables(layout.leaf_start, layout.leaf_z, leaf_table, W, table)
        for lo, hi in progress_over(chunks, total=len(chunks), setting=progress, desc="tree_shap"):
            block = max(1, min(per_block, -(-(hi - lo) // (4 * numba.get_num_threads()))))
            _rows(X[lo:hi], layout.split_start, layout.split_parent, layout.split_side, layout.split_feature,
                  layout.split_threshold, layout.split_default, layout.split_cat, layout.split_zero, forest.cat_bits,
                  forest.cat_other, layout.split_bit, layout.leaf_tree_start,
                  layout.leaf_parent, layout.leaf_side, layout.leaf_start, layout.leaf_feat, layout.leaf_z,
                  value, tree_class, leaf_table, table, W, block, out[lo:hi])  # fmt: skip
    finally:
        numba.set_parallel_chunksize(previous)
        numba.set_num_threads(threads)
    # v({}) of a leaf is the product of its cover shares (1 for a tree that is a single leaf)
    weight = np.multiply.reduceat(np.append(layout.leaf_z, 1.0), layout.leaf_start[:-1])
    base = np.where(D == 0, 1.0, weight) @ value + offset
    n_split = int((D >= 1).sum())
    kind = "v2" if tabled.sum() == n_split else "v1" if not tabled.any() else "v2+v1"
    facts = {"algorithm": kind, "leaves_tabulated": f"{int(tabled.sum())}/{n_split}", "table_bytes": table.nbytes}
    return out, base, facts
