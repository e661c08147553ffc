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
per-pair rescaling (:func:`mask_shap_logistic`): there each group of a leaf's background masks
sums the pair's scale over its rows.

Memory. Beyond their inputs (the rows, the background, the trees) and their result, both engines
hold at most :data:`MASK_BYTES` of working arrays, whatever the number of rows and background
rows: the work goes in *passes* over at most :data:`BACKGROUND_ROWS` background rows, in blocks
of leaves, and in chunks of rows (:func:`plan_blocks`). The budget counts, per block, the
background's masks and their groups (32 bytes per background row and leaf), the rows' masks and
their numbers (12 bytes per row and leaf) and, for a quarter of it, the per-mask coefficient
tables of :func:`mask_shap`. No array grows with rows x background rows: the logistic scale of a
pair is computed where it is summed, from the two margins. Each row adds its terms in the same
order (background pass, then leaf) whatever the blocks and chunks, so the values do not depend on
the budget, bit for bit; they depend on :data:`BACKGROUND_ROWS` only through rounding (1e-15),
and only for a background larger than it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

from ._tree_engine import Forest, _weights
from ._tree_leaves import MAX_BITS, LeafPaths, _masks_into, leaf_paths
from ._tree_leaves import _masks as _masks  # re-exported: the interaction engine imports it from here

__all__ = ["BACKGROUND_ROWS", "MASK_BYTES", "MAX_BITS", "LeafPaths", "leaf_blocks", "leaf_paths", "mask_shap",
           "mask_shap_logistic", "plan_blocks"]  # fmt: skip

MASK_BYTES = 256 << 20  # working memory of the engines at once (see the module docstring)
BACKGROUND_ROWS = 1 << 16  # background rows per pass: their groups cost 2 MiB per leaf at most
MIN_BLOCK_LEAVES = 64  # rows are cut into chunks before blocks get fewer leaves than this
BG_LEAF_BYTES = 32  # per background row and leaf: its mask, and the groups' mask, start and member
ROW_LEAF_BYTES = 12  # per row and leaf: its mask (8 bytes) and its mask's number (4)


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
def _coefficients(A, which, lo, hi, table_start, group_start, gmask, member_start, m, feat_start, pos, neg, table):  # type: ignore[no-untyped-def]
    """For leaves lo..hi-1 (in parallel), each distinct row mask's weight of every path bit, once;
    ``table_start[l - lo]`` is where leaf l's weights begin."""
    n = A.shape[0]
    for leaf in numba.prange(lo, hi):
        nbits = feat_start[leaf + 1] - feat_start[leaf]
        if nbits == 0:  # a tree of one leaf: nothing to attribute
            continue
        full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        done = np.zeros((table_start[leaf - lo + 1] - table_start[leaf - lo]) // nbits, dtype=np.bool_)
        for i in range(n):
            d = which[i, leaf]
            if done[d]:
                continue
            done[d] = True
            a = A[i, leaf] & full
            off = table_start[leaf - lo] + d * nbits
            for g in range(group_start[leaf], group_start[leaf + 1]):
                only_a, only_b, s, tt = _split(a, gmask[g] & full, full)
                if s + tt == 0:
                    continue
                count = float(member_start[g + 1] - member_start[g])
                wp = pos[s, tt] * count / m
                wn = neg[s, tt] * count / m
                for q in range(nbits):
                    bit = np.uint64(1) << np.uint64(q)
                    if only_a & bit:
                        table[off + q] += wp
                    elif only_b & bit:
                        table[off + q] -= wn


@numba.njit(parallel=True, cache=True)
def _add_rows(which, lo, hi, table_start, table, leaf_tree, leaf_node, feat_start, feat, value, phi):  # type: ignore[no-untyped-def]
    """Per row (in parallel), add leaves lo..hi-1's weights times the leaf's value, leaves in order."""
    n = which.shape[0]
    k = value.shape[2]
    for i in numba.prange(n):
        for leaf in range(lo, hi):
            t, node = leaf_tree[leaf], leaf_node[leaf]
            nbits = feat_start[leaf + 1] - feat_start[leaf]
            off = table_start[leaf - lo] + which[i, leaf] * nbits
            start = feat_start[leaf]
            for q in range(nbits):
                w = table[off + q]
                if w != 0.0:
                    f = feat[start + q]
                    for c in range(k):
                        phi[i, f, c] += w * value[t, node, c]


def _runs(sizes: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Consecutive runs of ``sizes`` summing to at most ``limit`` (a run holds one at least)."""
    if int(sizes.sum()) <= limit:
        return [(0, len(sizes))]
    runs, lo, total = [], 0, 0
    for leaf, size in enumerate(sizes.tolist()):
        if leaf > lo and total + size > limit:
            runs.append((lo, leaf))
            lo, total = leaf, 0
        total += size
    return [*runs, (lo, len(sizes))]


def _accumulate(A: np.ndarray, which: np.ndarray, groups: tuple[np.ndarray, ...], m: int, leaf_tree: np.ndarray,
                leaf_node: np.ndarray, feat_start: np.ndarray, feat: np.ndarray, value: np.ndarray, pos: np.ndarray,
                neg: np.ndarray, phi: np.ndarray, table_bytes: int) -> None:  # fmt: skip
    """Add to phi (n, d, k) the leaves of row masks A (n, L) against the background's mask groups.

    Three parallel passes, none with a parallel region per leaf (a region per leaf costs a barrier
    per leaf, which on a busy machine, where a thread waits for a core, turned two seconds into two
    minutes): number each leaf's distinct row masks (into ``which``, (n, L)), compute each distinct
    mask's coefficients once, then add them row by row, leaves in order (so the values do not
    depend on threads). The coefficient tables go in runs of leaves of at most ``table_bytes``
    (the values do not depend on the runs either: each row still adds its leaves in order).
    """
    L = A.shape[1]
    n_distinct = np.zeros(L, dtype=np.int64)
    _distinct_rows(A, feat_start, which, n_distinct)
    sizes = n_distinct * np.diff(feat_start)
    group_start, gmask, member_start = groups
    for lo, hi in _runs(sizes, max(1, table_bytes // 8)):
        table_start = np.zeros(hi - lo + 1, dtype=np.int64)
        np.cumsum(sizes[lo:hi], out=table_start[1:])
        table = np.zeros(int(table_start[-1]))
        _coefficients(A, which, lo, hi, table_start, group_start, gmask, member_start, m, feat_start, pos, neg, table)
        _add_rows(which, lo, hi, table_start, table, leaf_tree, leaf_node, feat_start, feat, value, phi)


@numba.njit(cache=True)
def _reached_base(group_start, gmask, member_start, m, leaf_tree, leaf_node, feat_start, value, base):  # type: ignore[no-untyped-def]
    """Add to base (k,) the leaves the background rows reach themselves (each leaf's full mask)."""
    for leaf in range(group_start.shape[0] - 1):
        nbits = feat_start[leaf + 1] - feat_start[leaf]
        full = (np.uint64(1) << np.uint64(nbits)) - np.uint64(1)
        last = group_start[leaf + 1] - 1  # masks are sorted: the full one, if any, is last
        if last >= group_start[leaf] and (gmask[last] & full) == full:
            count = float(member_start[last + 1] - member_start[last])
            for c in range(value.shape[2]):
                base[c] += value[leaf_tree[leaf], leaf_node[leaf], c] * count / m


def _groups(B):  # type: ignore[no-untyped-def]
    """Per leaf, the background's distinct masks and which rows hold each (CSR layout):
    ``group_start`` (L + 1), the groups' masks, their rows' ``member_start`` and ``members``."""
    m, L = B.shape
    group_start = np.zeros(L + 1, dtype=np.int64)
    masks, members = np.empty(m * L, dtype=np.uint64), np.empty(m * L, dtype=np.int64)
    member_start = np.empty(m * L + 1, dtype=np.int64)
    g = _groups_into(B, group_start, masks, member_start, members)
    return group_start, masks[:g].copy(), member_start[: g + 1].copy(), members


@numba.njit(parallel=True, cache=True)
def _groups_into(B, group_start, masks, member_start, members):  # type: ignore[no-untyped-def]
    """Write :func:`_groups` into buffers of ``m * L`` entries (``L + 1``, ``m * L + 1`` for the
    starts); return the number of groups.

    Each leaf holds every background row once, so leaf l's members are entries ``l*m .. l*m+m-1``
    and its groups can be found in parallel, in that same segment of the buffers; the groups are
    then moved down to follow each other (a group's new place is never after its old one).
    """
    m, L = B.shape
    found = np.empty(L, dtype=np.int64)
    for leaf in numba.prange(L):
        order = np.argsort(B[:, leaf])
        first = leaf * m
        g = first
        for r in range(m):
            j = order[r]
            if r == 0 or B[j, leaf] != masks[g - 1]:
                masks[g] = B[j, leaf]
                member_start[g] = first + r
                g += 1
            members[first + r] = j
        found[leaf] = g - first
    g = 0
    for leaf in range(L):
        group_start[leaf] = g
        for q in range(leaf * m, leaf * m + found[leaf]):
            masks[g] = masks[q]
            member_start[g] = member_start[q]
            g += 1
    group_start[L] = g
    member_start[g] = m * L
    return g


@numba.njit(parallel=True, cache=True)
def _accumulate_rescaled(A, fx, px, slope, fb, pb, group_start, gmask, member_start, members, m, leaf_tree,
                         leaf_node, feat_start, feat, value, pos, neg, phi):  # type: ignore[no-untyped-def]  # fmt: skip
    """Like _accumulate (into phi (n, d)), with each (row i, background row j) pair weighted by its
    scale ``(px[i] - pb[j]) / (fx[i] - fb[j])`` (``slope[i]`` where the margins coincide).

    A reachable group's contribution is the same for all its background rows, so their scales
    are summed and the contribution applied once; only reachable groups are visited. The scale
    is computed here, pair by pair, never held for rows x background rows.
    """
    n, L = A.shape
    for i in numba.prange(n):
        fxi, pxi, si = fx[i], px[i], slope[i]
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
                    j = members[p]
                    gap = fxi - fb[j]
                    total += (pxi - pb[j]) / gap if abs(gap) > 1e-12 else si
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


class Plan(NamedTuple):
    """How the engines cut their work to hold at most the budget (:func:`plan_blocks`)."""

    background_rows: int  # per pass over the background
    row_chunk: int  # rows whose masks are held at once
    leaf_blocks: list[tuple[int, int]]  # consecutive leaves [lo, hi)
    table_bytes: int  # the per-mask coefficient tables of one run of leaves (mask_shap)

    def steps(self, n_background: int) -> list[tuple[int, int, int, int]]:
        """``(b0, b1, lo, hi)``: background rows b0..b1-1 against leaves lo..hi-1, passes first."""
        step = self.background_rows
        return [(b0, min(n_background, b0 + step), lo, hi)
                for b0 in range(0, max(1, n_background), step) for lo, hi in self.leaf_blocks]  # fmt: skip

    def row_chunks(self, n_rows: int) -> list[tuple[int, int]]:
        return [(r0, min(n_rows, r0 + self.row_chunk)) for r0 in range(0, n_rows, self.row_chunk)]


def plan_blocks(n_leaves: int, n_rows: int, n_background: int, max_bytes: int | None = None) -> Plan:
    """Cut the work so that the engines hold at most ``max_bytes`` (default :data:`MASK_BYTES`).

    Three quarters of the budget hold a block's masks and groups: ``BG_LEAF_BYTES`` per
    background row of a pass (at most :data:`BACKGROUND_ROWS`) and leaf, ``ROW_LEAF_BYTES`` per
    row and leaf. Rows are cut into chunks only when all of them would leave fewer than
    :data:`MIN_BLOCK_LEAVES` leaves per block (chunks cost nothing but more, smaller steps: the
    background's groups are made once per block, for every chunk). The last quarter holds :func:`mask_shap`'s
    coefficient tables. One leaf, one row and one background pass at least, whatever the budget
    (a pass of :data:`BACKGROUND_ROWS` rows needs 2 MiB per leaf).
    """
    budget = MASK_BYTES if max_bytes is None else int(max_bytes)
    held = budget - budget // 4
    background = max(1, min(n_background, BACKGROUND_ROWS))
    per_leaf = BG_LEAF_BYTES * background
    wanted = max(1, min(n_leaves, MIN_BLOCK_LEAVES))
    rows = max(1, n_rows)
    if (per_leaf + ROW_LEAF_BYTES * rows) * wanted > held:
        # rows in chunks, so that a block keeps `wanted` leaves, or what half the budget holds
        # of the background's side alone (a large pass): the rows get the other half at least
        leaves = max(1, min(wanted, held // (2 * per_leaf)))
        rows = max(1, min(rows, (held // leaves - per_leaf) // ROW_LEAF_BYTES))
    per_block = max(1, held // (per_leaf + ROW_LEAF_BYTES * rows))
    blocks = [(lo, min(n_leaves, lo + per_block)) for lo in range(0, n_leaves, per_block)]
    return Plan(background, rows, blocks, budget // 4)


class _Buffers:
    """The working arrays of one call, allocated once at the plan's largest block and reused
    (numpy allocations, so that tracemalloc sees them as it sees the rest)."""

    def __init__(self, plan: Plan, n_rows: int, *, numbers: bool) -> None:
        leaves = max((hi - lo for lo, hi in plan.leaf_blocks), default=0)
        bg, rows = plan.background_rows, min(plan.row_chunk, max(1, n_rows))
        self.bg_masks = np.empty(bg * leaves, dtype=np.uint64)
        self.group_start = np.empty(leaves + 1, dtype=np.int64)
        self.group_mask = np.empty(bg * leaves, dtype=np.uint64)
        self.member_start = np.empty(bg * leaves + 1, dtype=np.int64)
        self.members = np.empty(bg * leaves, dtype=np.int64)
        self.row_masks = np.empty(rows * leaves, dtype=np.uint64)
        self.numbers = np.empty(rows * leaves if numbers else 0, dtype=np.int32)

    def groups(self, B: np.ndarray, args: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
        """The background rows' groups of masks per leaf of the block (see :func:`_groups`)."""
        L = args[0].shape[0]
        masks = self.bg_masks[: B.shape[0] * L].reshape(B.shape[0], L)
        _masks_into(*(B, *args, masks))
        g = _groups_into(masks, self.group_start[: L + 1], self.group_mask, self.member_start, self.members)
        return self.group_start[: L + 1], self.group_mask[:g], self.member_start[: g + 1], self.members

    def masks(self, X: np.ndarray, args: tuple[Any, ...]) -> np.ndarray:
        L = args[0].shape[0]
        out = self.row_masks[: X.shape[0] * L].reshape(X.shape[0], L)
        _masks_into(*(X, *args, out))
        return out

    def which(self, n: int, L: int) -> np.ndarray:
        return self.numbers[: n * L].reshape(n, L)


def _float_rows(forest: Forest, Z: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(Z, dtype=forest.input_dtype), dtype=np.float64)


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
    (the logistic's slope where the margins coincide), as in :mod:`._tree_engine`. The work is
    cut to hold at most ``max_bytes`` (:func:`plan_blocks`); only the margins and probabilities
    of the rows and of the background are held whole.
    """
    from .._progress import progress as progress_over
    from ._tree_engine import _predict_margins

    X, B = _float_rows(forest, X), _float_rows(forest, background)
    n, m = X.shape[0], B.shape[0]
    fx = _predict_margins(forest, X)[:, 0]
    fb = _predict_margins(forest, B)[:, 0]
    px, pb = _sigmoid(fx), _sigmoid(fb)
    slope = px * (1 - px)  # the limit of the scale where the margins coincide
    pos, neg = _weights(max(paths.max_bits, 1))
    phi = np.zeros((n, X.shape[1]))
    plan = plan_blocks(paths.n_leaves, n, m, max_bytes)
    buffers = _Buffers(plan, n, numbers=False)
    steps = plan.steps(m)
    for b0, b1, lo, hi in progress_over(steps, total=len(steps), setting=progress, desc="tree_shap"):
        args = _mask_args(forest, paths, lo, hi)
        group_start, group_mask, member_start, members = buffers.groups(B[b0:b1], args)
        leaves = (paths.leaf_tree[lo:hi], paths.leaf_node[lo:hi], paths.feat_start[lo : hi + 1], paths.feat)
        for r0, r1 in plan.row_chunks(n):
            _accumulate_rescaled(buffers.masks(X[r0:r1], args), fx[r0:r1], px[r0:r1], slope[r0:r1], fb[b0:b1],
                                 pb[b0:b1], group_start, group_mask, member_start, members, m, *leaves,
                                 forest.value, pos, neg, phi[r0:r1])  # fmt: skip
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

    The work is cut to hold at most ``max_bytes`` (:func:`plan_blocks`).
    """
    from .._progress import progress as progress_over

    X, B = _float_rows(forest, X), _float_rows(forest, background)
    n, m = X.shape[0], B.shape[0]
    pos, neg = _weights(max(paths.max_bits, 1))
    k = forest.value.shape[2]
    phi, base = np.zeros((n, X.shape[1], k)), np.zeros(k)
    plan = plan_blocks(paths.n_leaves, n, m, max_bytes)
    buffers = _Buffers(plan, n, numbers=True)
    steps = plan.steps(m)
    for b0, b1, lo, hi in progress_over(steps, total=len(steps), setting=progress, desc="tree_shap"):
        args = _mask_args(forest, paths, lo, hi)
        leaf_tree, leaf_node, feat_start = paths.leaf_tree[lo:hi], paths.leaf_node[lo:hi], paths.feat_start[lo : hi + 1]
        # the background's distinct masks per leaf (those of the rescaled sums), with their sizes
        group_start, group_mask, member_start, _ = buffers.groups(B[b0:b1], args)
        groups = (group_start, group_mask, member_start)
        _reached_base(group_start, group_mask, member_start, m, leaf_tree, leaf_node, feat_start, forest.value, base)
        for r0, r1 in plan.row_chunks(n):
            rows, which = buffers.masks(X[r0:r1], args), buffers.which(r1 - r0, hi - lo)
            _accumulate(rows, which, groups, m, leaf_tree, leaf_node, feat_start, paths.feat, forest.value, pos, neg,
                        phi[r0:r1], plan.table_bytes)  # fmt: skip
    return phi, base + forest.base_offset
