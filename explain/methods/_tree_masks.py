"""Interventional TreeSHAP by leaf masks: exact, and far cheaper than walking every pair.

For a leaf ``l`` whose path tests the features ``F(l)``, a row ``z`` *satisfies* feature ``f``
when every test of ``f`` on the path sends ``z`` the path's way. Write ``A`` for the bits of
``F(l)`` the explained row ``x`` satisfies and ``B`` for those a background row ``b``
satisfies. In the coalition game ``g(S) = tree(x_S, b_~S)`` the leaf is reached exactly when
``A | B`` covers ``F(l)``, ``S`` holds every feature of ``A & ~B`` and none of ``B & ~A``, so
the leaf adds ``v W+(s, t)`` to each feature of ``A & ~B`` and ``-v W-(s, t)`` to each feature of
``B & ~A`` (``s``, ``t`` their sizes; the weights of :mod:`._tree_engine`).

The contribution depends on the pair only through ``(A, B)``. So, per leaf, the background is
reduced to its distinct masks with their counts, the explained rows to their distinct masks,
and each distinct pair is computed once: the cost grows with the number of distinct masks, not
with rows x background rows. This is exact for anything that is a sum of trees (the margin, an
averaging forest's probability, a regression); the probability of a boosted classifier needs a
per-pair rescaling and is computed by the walk in :mod:`._tree_engine`.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from ._tree_engine import Forest, _weights, goes_right, tree_sizes

__all__ = ["LeafPaths", "leaf_blocks", "leaf_paths", "mask_shap", "mask_shap_logistic"]

MAX_BITS = 62  # distinct features on one path that fit a 64-bit mask
MASK_BYTES = 256 << 20  # masks held at once (rows x leaves x 8 bytes): bounds memory on large inputs


class LeafPaths:
    """Flattened root-to-leaf paths of every tree: for each leaf its nodes, directions and bits."""

    def __init__(self, forest: Forest) -> None:
        (self.leaf_tree, self.leaf_node, self.path_start, self.path_node, self.path_right, self.path_bit,
         self.feat_start, self.feat) = _paths(forest.left, forest.right, forest.feature)  # fmt: skip
        self.n_leaves = len(self.leaf_tree)

    @property
    def max_bits(self) -> int:
        return int(np.diff(self.feat_start).max(initial=0))


def leaf_paths(forest: Forest) -> LeafPaths | None:
    """The forest's leaf paths, or None when a path tests more than ``MAX_BITS`` features."""
    paths = LeafPaths(forest)
    return paths if paths.max_bits <= MAX_BITS else None


@numba.njit(cache=True)
def _paths(left, right, feature):  # type: ignore[no-untyped-def]
    T, N = left.shape
    leaves, total_path, _ = tree_sizes(left, right)  # first pass: the sizes of the arrays below
    stack = np.empty((N + 1, 2), dtype=np.int64)
    leaf_tree = np.empty(leaves, dtype=np.int64)
    leaf_node = np.empty(leaves, dtype=np.int64)
    path_start = np.zeros(leaves + 1, dtype=np.int64)
    path_node = np.empty(total_path, dtype=np.int64)
    path_right = np.empty(total_path, dtype=np.bool_)
    path_bit = np.empty(total_path, dtype=np.int64)
    feat_start = np.zeros(leaves + 1, dtype=np.int64)
    feat = np.empty(total_path, dtype=np.int64)
    # second pass: record each leaf's path from the root (parents rebuilt per tree)
    parent = np.empty(N, dtype=np.int64)
    went_right = np.empty(N, dtype=np.bool_)
    chain = np.empty(N, dtype=np.int64)
    li = 0
    pi = 0
    fi = 0
    for t in range(T):
        parent[0] = -1
        stack[0, 0] = 0
        sp = 1
        while sp > 0:
            sp -= 1
            node = stack[sp, 0]
            if left[t, node] < 0:
                length = 0
                cur = node
                while parent[cur] >= 0:
                    chain[length] = cur
                    length += 1
                    cur = parent[cur]
                leaf_tree[li] = t
                leaf_node[li] = node
                n_feat = 0
                for step in range(length - 1, -1, -1):  # root first
                    child = chain[step]
                    par = parent[child]
                    f = feature[t, par]
                    bit = -1
                    for q in range(n_feat):
                        if feat[fi + q] == f:
                            bit = q
                    if bit < 0:
                        bit = n_feat
                        feat[fi + n_feat] = f
                        n_feat += 1
                    path_node[pi] = par
                    path_right[pi] = went_right[child]
                    path_bit[pi] = bit
                    pi += 1
                path_start[li + 1] = pi
                fi += n_feat
                feat_start[li + 1] = fi
                li += 1
                continue
            lc, rc = left[t, node], right[t, node]
            parent[lc], parent[rc] = node, node
            went_right[lc], went_right[rc] = False, True
            stack[sp, 0] = lc
            stack[sp + 1, 0] = rc
            sp += 2
    return leaf_tree, leaf_node, path_start, path_node, path_right, path_bit, feat_start, feat[:fi].copy()


@numba.njit(parallel=True, cache=True)
def _masks(Z, leaf_tree, path_start, path_node, path_right, path_bit, s):  # type: ignore[no-untyped-def]
    """``masks[i, l]``: the bits of leaf l's features that row i satisfies."""
    n = Z.shape[0]
    L = leaf_tree.shape[0]
    feature = s[3]
    out = np.empty((n, L), dtype=np.uint64)
    for i in numba.prange(n):
        for leaf in range(L):
            t = leaf_tree[leaf]
            bad = np.uint64(0)
            for p in range(path_start[leaf], path_start[leaf + 1]):
                node = path_node[p]
                if goes_right(t, node, Z[i, feature[t, node]], s) != path_right[p]:
                    bad |= np.uint64(1) << np.uint64(path_bit[p])
            out[i, leaf] = ~bad
    return out


@numba.njit(cache=True)
def _popcount(x):  # type: ignore[no-untyped-def]
    count = 0
    while x:
        x &= x - np.uint64(1)
        count += 1
    return count


@numba.njit(cache=True)
def _split(a, b, full):  # type: ignore[no-untyped-def]
    """For masks ``a`` (the row) and ``b`` (a background row) of one leaf: the bits only ``a``
    satisfies, those only ``b`` does, and their counts; ``s + t == 0`` also means unreachable."""
    if (a | b) != full:
        return np.uint64(0), np.uint64(0), 0, 0
    only_a = a & ~b
    only_b = b & ~a
    return only_a, only_b, _popcount(only_a), _popcount(only_b)


@numba.njit(parallel=True, cache=True)
def _distinct_rows(A, feat_start, which, n_distinct):  # type: ignore[no-untyped-def]
    """Per leaf (in parallel), number the rows' distinct masks: ``which[i, l]`` is row i's."""
    n, L = A.shape
    for leaf in numba.prange(L):
        nbits = feat_start[leaf + 1] - feat_start[leaf]
        full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        am = A[:, leaf] & full
        order = np.argsort(am)
        d = -1
        for r in range(n):
            i = order[r]
            if r == 0 or am[i] != am[order[r - 1]]:
                d += 1
            which[i, leaf] = d
        n_distinct[leaf] = d + 1


@numba.njit(parallel=True, cache=True)
def _coefficients(A, which, table_start, group_start, gmask, gcount, m, feat_start, pos, neg, table):  # type: ignore[no-untyped-def]
    """Per leaf (in parallel), each distinct row mask's weight of every path bit, once."""
    n, L = A.shape
    for leaf in numba.prange(L):
        nbits = feat_start[leaf + 1] - feat_start[leaf]
        full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        done = np.zeros((table_start[leaf + 1] - table_start[leaf]) // max(nbits, 1), dtype=np.bool_)
        for i in range(n):
            d = which[i, leaf]
            if done[d]:
                continue
            done[d] = True
            a = A[i, leaf] & full
            off = table_start[leaf] + d * nbits
            for g in range(group_start[leaf], group_start[leaf + 1]):
                only_a, only_b, s, tt = _split(a, gmask[g] & full, full)
                if s + tt == 0:
                    continue
                wp = pos[s, tt] * gcount[g] / m
                wn = neg[s, tt] * gcount[g] / m
                for q in range(nbits):
                    bit = np.uint64(1) << np.uint64(q)
                    if only_a & bit:
                        table[off + q] += wp
                    elif only_b & bit:
                        table[off + q] -= wn


@numba.njit(parallel=True, cache=True)
def _add_rows(which, table_start, table, leaf_tree, leaf_node, feat_start, feat, value, phi):  # type: ignore[no-untyped-def]
    """Per row (in parallel), add every leaf's weights times the leaf's value, leaves in order."""
    n, L = which.shape
    k = value.shape[2]
    for i in numba.prange(n):
        for leaf in range(L):
            t, node = leaf_tree[leaf], leaf_node[leaf]
            nbits = feat_start[leaf + 1] - feat_start[leaf]
            off = table_start[leaf] + which[i, leaf] * nbits
            start = feat_start[leaf]
            for q in range(nbits):
                w = table[off + q]
                if w != 0.0:
                    f = feat[start + q]
                    for c in range(k):
                        phi[i, f, c] += w * value[t, node, c]


def _accumulate(A: np.ndarray, groups: tuple[np.ndarray, ...], m: int, leaf_tree: np.ndarray, leaf_node: np.ndarray,
                feat_start: np.ndarray, feat: np.ndarray, value: np.ndarray, pos: np.ndarray, neg: np.ndarray,
                phi: np.ndarray) -> None:  # fmt: skip
    """Add to phi (n, d, k) the leaves of row masks A (n, L) against the background's mask groups.

    Three parallel passes, none with a parallel region per leaf (a region per leaf costs a barrier
    per leaf, which on a busy machine, where a thread waits for a core, turned two seconds into two
    minutes): number each leaf's distinct row masks, compute each distinct mask's coefficients
    once, then add them row by row, leaves in order (so the values do not depend on threads).
    """
    n, L = A.shape
    which = np.empty((n, L), dtype=np.int32)
    n_distinct = np.zeros(L, dtype=np.int64)
    _distinct_rows(A, feat_start, which, n_distinct)
    sizes = n_distinct * np.diff(feat_start)
    table_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    table = np.zeros(int(table_start[-1]))
    group_start, gmask, gcount = groups
    _coefficients(A, which, table_start, group_start, gmask, gcount, m, feat_start, pos, neg, table)
    _add_rows(which, table_start, table, leaf_tree, leaf_node, feat_start, feat, value, phi)


@numba.njit(cache=True)
def _reached_base(group_start, gmask, gcount, m, leaf_tree, leaf_node, feat_start, value, base):  # type: ignore[no-untyped-def]
    """Add to base (k,) the leaves the background rows reach themselves (each leaf's full mask)."""
    for leaf in range(group_start.shape[0] - 1):
        nbits = feat_start[leaf + 1] - feat_start[leaf]
        full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        last = group_start[leaf + 1] - 1  # masks are sorted: the full one, if any, is last
        if last >= group_start[leaf] and (gmask[last] & full) == full:
            for c in range(value.shape[2]):
                base[c] += value[leaf_tree[leaf], leaf_node[leaf], c] * gcount[last] / m


@numba.njit(cache=True)
def _groups(B):  # type: ignore[no-untyped-def]
    """Per leaf, the background's distinct masks and which rows hold each (CSR layout)."""
    m, L = B.shape
    group_start = np.zeros(L + 1, dtype=np.int64)
    masks = np.empty(m * L, dtype=np.uint64)
    member_start = np.zeros(m * L + 1, dtype=np.int64)
    members = np.empty(m * L, dtype=np.int64)
    g = 0
    p = 0
    for leaf in range(L):
        order = np.argsort(B[:, leaf])
        for r in range(m):
            j = order[r]
            if r == 0 or B[j, leaf] != masks[g - 1]:
                masks[g] = B[j, leaf]
                member_start[g] = p
                g += 1
            members[p] = j
            p += 1
        group_start[leaf + 1] = g
    member_start[g] = p
    return group_start, masks[:g].copy(), member_start[: g + 1].copy(), members


@numba.njit(parallel=True, cache=True)
def _accumulate_rescaled(A, scale, group_start, gmask, member_start, members, leaf_tree, leaf_node,
                         feat_start, feat, value, pos, neg, phi):  # type: ignore[no-untyped-def]  # fmt: skip
    """Like _accumulate (into phi (n, d)), with each (row, background row) pair weighted by ``scale[i, j]``.

    A reachable group's contribution is the same for all its background rows, so their scales
    are summed and the contribution applied once; only reachable groups are visited.
    """
    n, L = A.shape
    m = scale.shape[1]
    for i in numba.prange(n):
        for leaf in range(L):
            t, node = leaf_tree[leaf], leaf_node[leaf]
            nbits = feat_start[leaf + 1] - feat_start[leaf]
            full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
            a = A[i, leaf] & full
            v = value[t, node, 0]
            for g in range(group_start[leaf], group_start[leaf + 1]):
                only_a, only_b, s, tt = _split(a, gmask[g] & full, full)
                if s + tt == 0:
                    continue
                total = 0.0
                for p in range(member_start[g], member_start[g + 1]):
                    total += scale[i, members[p]]
                wp = pos[s, tt] * total / m * v
                wn = neg[s, tt] * total / m * v
                start = feat_start[leaf]
                for q in range(nbits):
                    bit = np.uint64(1) << np.uint64(q)
                    if only_a & bit:
                        phi[i, feat[start + q]] += wp
                    elif only_b & bit:
                        phi[i, feat[start + q]] -= wn


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def leaf_blocks(n_leaves: int, n_rows: int, max_bytes: int | None = None) -> list[tuple[int, int]]:
    """Consecutive blocks of leaves whose masks for ``n_rows`` rows fit ``max_bytes`` (8 bytes each).

    The leaves, not the rows, are split: the per-leaf work (the background's distinct masks, the
    rows' distinct masks) is then done once per leaf whatever the budget, and each row's sums run
    over the leaves in the same order, so the values are identical for any budget.
    """
    budget = MASK_BYTES if max_bytes is None else max_bytes
    per_block = max(1, budget // (8 * max(1, n_rows)))
    return [(lo, min(n_leaves, lo + per_block)) for lo in range(0, n_leaves, per_block)]


def _mask_args(forest: Forest, paths: LeafPaths, lo: int, hi: int) -> tuple[Any, ...]:
    return (paths.leaf_tree[lo:hi], paths.path_start[lo : hi + 1], paths.path_node, paths.path_right, paths.path_bit,
            forest.splits)  # fmt: skip


def mask_shap_logistic(
    forest: Forest,
    paths: LeafPaths,
    X: np.ndarray,
    background: np.ndarray,
    *,
    progress: bool | None = None,
    max_bytes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``sigmoid(sum of trees)`` for a binary boosted model, rescaled per background row.

    Each pair's margin values are scaled by ``(sigmoid(F(x)) - sigmoid(F(b))) / (F(x) - F(b))``
    (the logistic's slope where the margins coincide), as in :mod:`._tree_engine`. Leaves go in
    blocks of at most ``max_bytes`` of masks (:func:`leaf_blocks`).
    """
    from .._progress import progress as progress_over
    from ._tree_engine import _predict_margins

    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    B = np.ascontiguousarray(np.asarray(background, dtype=forest.input_dtype), dtype=np.float64)
    fx = _predict_margins(forest, X)[:, 0]
    fb = _predict_margins(forest, B)[:, 0]
    gap = fx[:, None] - fb[None, :]
    px, pb = _sigmoid(fx), _sigmoid(fb)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(np.abs(gap) > 1e-12, (px[:, None] - pb[None, :]) / gap, (px * (1 - px))[:, None])
    scale = np.ascontiguousarray(scale)
    pos, neg = _weights(max(paths.max_bits, 1))
    phi = np.zeros((X.shape[0], X.shape[1]))
    blocks = leaf_blocks(paths.n_leaves, X.shape[0] + B.shape[0], max_bytes)
    for lo, hi in progress_over(blocks, total=len(blocks), setting=progress, desc="tree_shap"):
        args = _mask_args(forest, paths, lo, hi)
        group_start, group_mask, member_start, members = _groups(_masks(B, *args))
        _accumulate_rescaled(_masks(X, *args), scale, group_start, group_mask, member_start, members,
                             paths.leaf_tree[lo:hi], paths.leaf_node[lo:hi], paths.feat_start[lo : hi + 1],
                             paths.feat, forest.value, pos, neg, phi)  # fmt: skip
    return phi[:, :, None], np.array([pb.mean()])


def mask_shap(
    forest: Forest,
    paths: LeafPaths,
    X: np.ndarray,
    background: np.ndarray,
    *,
    progress: bool | None = None,
    max_bytes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interventional Shapley values ``(n, d, k)`` of the summed trees, and the base ``(k,)``.

    Leaves go in blocks of at most ``max_bytes`` of masks (:func:`leaf_blocks`).
    """
    from .._progress import progress as progress_over

    X = np.ascontiguousarray(np.asarray(X, dtype=forest.input_dtype), dtype=np.float64)
    B = np.ascontiguousarray(np.asarray(background, dtype=forest.input_dtype), dtype=np.float64)
    pos, neg = _weights(max(paths.max_bits, 1))
    k = forest.value.shape[2]
    phi, base = np.zeros((X.shape[0], X.shape[1], k)), np.zeros(k)
    blocks = leaf_blocks(paths.n_leaves, X.shape[0] + B.shape[0], max_bytes)
    for lo, hi in progress_over(blocks, total=len(blocks), setting=progress, desc="tree_shap"):
        args = _mask_args(forest, paths, lo, hi)
        leaf_tree, leaf_node, feat_start = paths.leaf_tree[lo:hi], paths.leaf_node[lo:hi], paths.feat_start[lo : hi + 1]
        # the background's distinct masks per leaf (those of the rescaled sums), with their sizes
        group_start, group_mask, member_start, _ = _groups(_masks(B, *args))
        group_count = np.diff(member_start).astype(np.float64)
        groups = (group_start, group_mask, group_count)
        _reached_base(group_start, group_mask, group_count, B.shape[0], leaf_tree, leaf_node, feat_start, forest.value,
                      base)  # fmt: skip
        _accumulate(_masks(X, *args), groups, B.shape[0], leaf_tree, leaf_node, feat_start, paths.feat, forest.value,
                    pos, neg, phi)  # fmt: skip
    return phi, base + forest.base_offset
