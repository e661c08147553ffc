"""The trees' root-to-leaf paths, flattened, and which of a path's tests each row passes.

For a leaf ``l`` whose path tests the features ``F(l)``, a row *satisfies* feature ``f`` when every
test of ``f`` on the path sends it the path's way; a row's *mask* for the leaf holds one bit per
feature of ``F(l)`` (at most :data:`MAX_BITS`), set where the row satisfies it. The interventional
engines (:mod:`._tree_masks`) work on these masks instead of walking the trees per pair of rows.
"""

from __future__ import annotations

import numba
import numpy as np

from ._tree_engine import Forest, goes_right, tree_sizes

__all__ = ["MAX_BITS", "LeafPaths", "leaf_paths"]

MAX_BITS = 62  # distinct features on one path that fit a 64-bit mask


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


def _masks(Z, leaf_tree, path_start, path_node, path_right, path_bit, s):  # type: ignore[no-untyped-def]
    """``masks[i, l]``: the bits of leaf l's features that row i satisfies."""
    out = np.empty((Z.shape[0], leaf_tree.shape[0]), dtype=np.uint64)
    _masks_into(Z, leaf_tree, path_start, path_node, path_right, path_bit, s, out)
    return out


@numba.njit(parallel=True, cache=True)
def _masks_into(Z, leaf_tree, path_start, path_node, path_right, path_bit, s, out):  # type: ignore[no-untyped-def]
    """Write :func:`_masks` into ``out`` (a buffer the caller allocated, and counts)."""
    n = Z.shape[0]
    L = leaf_tree.shape[0]
    feature = s[3]
    for i in numba.prange(n):
        for leaf in range(L):
            t = leaf_tree[leaf]
            bad = np.uint64(0)
            for p in range(path_start[leaf], path_start[leaf + 1]):
                node = path_node[p]
                if goes_right(t, node, Z[i, feature[t, node]], s) != path_right[p]:
                    bad |= np.uint64(1) << np.uint64(path_bit[p])
            out[i, leaf] = ~bad
