"""Coalition games over ``p`` players, whatever the players are (tokens, image regions, features).

A *game* is a function ``value(masks)`` that takes a boolean matrix ``(m, p)`` (row ``r`` is a
coalition, ``True`` = player present) and returns an array ``(m, k)`` (``k`` outputs; a 1-D
result is read as ``k = 1``). Two exact solutions are computed here:

* :func:`exact_shapley` -- the Shapley value, by scoring every one of the ``2^p`` coalitions
  once (refused above :data:`MAX_EXACT_PLAYERS` players; use Owen values, ``partition_shap``,
  for more).
* :func:`owen_values` -- the Owen value (Winter's value for a nested hierarchy) of a hierarchy
  of players.

Hierarchies are **nested tuples**: a leaf is a player index (an ``int`` from ``0`` to
``p - 1``), an internal node is a tuple of two or more children; every player appears exactly
once. ``((0, 1), (2, 3))`` groups players 0-1 and 2-3; ``(0, 1, 2, 3)`` is the trivial
hierarchy (one block of all players), whose Owen value is the Shapley value.
:func:`contiguous_hierarchy` builds the balanced binary tree of contiguous spans that
``partition_shap`` uses for tokens, and :func:`hierarchy_from_linkage` converts a scipy
linkage matrix.

The Owen value of a leaf ``i`` (Owen 1977, Winter 1989 for levels): walk from the root to ``i``;
at each node with children ``c_1..c_m``, where ``i`` lies in ``c_j``, the siblings ``c_l, l != j``
play as *blocks* (all their players present or all absent) and a set ``R`` of ``r`` of them is
present with the Shapley weight ``r! (m - r - 1)! / m!``. The Owen value is the weighted mean,
over every such choice at every level, of ``i``'s marginal contribution
``v(C + i) - v(C)`` where ``C`` is the union of the present blocks. In a binary tree ``m = 2``
and both weights are ``0! 1! / 2! = 1! 0! / 2! = 1/2``: the mean over the ``2^depth(i)``
presence / absence patterns of the sibling blocks on ``i``'s path. For a balanced binary tree
that is ``2 p * 2^log2(p) ~ 2 p^2`` coalitions before de-duplication (quadratic, as shap's
PartitionExplainer documents); every distinct coalition is scored once.

Both solutions are efficient (the values add up to ``v(full) - v(empty)``), symmetric
(within a block, for Owen), give zero to a dummy player, and are linear in the game.

The two-phase form -- a :class:`CoalitionPlan` lists the distinct coalitions, the caller scores
them however it likes (several documents or images in one model call), then
``plan.combine(values)`` -- is what the text and image explainers use to batch many rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import comb, factorial
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MethodError

__all__ = [
    "MAX_EXACT_PLAYERS",
    "MAX_OWEN_COALITIONS",
    "CoalitionPlan",
    "Hierarchy",
    "contiguous_hierarchy",
    "exact_shapley",
    "hierarchy_from_linkage",
    "owen_plan",
    "owen_values",
    "shapley_plan",
]

#: exact Shapley values enumerate ``2^p`` coalitions: 2^20 = 1 048 576 model calls per row is
#: already minutes for a fast model, and the coalition matrix alone is 20 MB
MAX_EXACT_PLAYERS = 20
#: the most (non-distinct) coalitions an Owen plan may list before de-duplication; a balanced
#: binary tree over 1 000 players needs about 2.1 million, a deep unbalanced tree far more
MAX_OWEN_COALITIONS = 1 << 23
#: the most entries (coalitions x players, one byte each) an Owen plan may hold before
#: de-duplication: 256 MB, which a balanced binary tree reaches at about 500 players
MAX_MASK_ENTRIES = 1 << 28
#: coalitions scored per call of ``value`` by default
BATCH_SIZE = 4096

Hierarchy: TypeAlias = "int | tuple[Hierarchy, ...]"
Game = Callable[[NDArray[np.bool_]], Any]


@dataclass(frozen=True)
class CoalitionPlan:
    """The distinct coalitions a game solution needs, and how to combine their values.

    ``masks`` is ``(m, p)`` boolean (read-only); its first row is the empty coalition and its
    second row the full one. ``combine(values)`` takes the ``(m, k)`` values of those rows and
    returns ``(phi (p, k), v_empty (k,), v_full (k,))``.
    """

    masks: NDArray[np.bool_]
    _combine: Callable[[NDArray[np.float64]], NDArray[np.float64]]

    @property
    def n_players(self) -> int:
        return int(self.masks.shape[1])

    def combine(self, values: Any) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        v = _as_values(values, len(self.masks))
        return self._combine(v), v[0].copy(), v[1].copy()

    def evaluate(self, value: Game, *, batch_size: int = BATCH_SIZE) -> NDArray[np.float64]:
        """Score every coalition with ``value``, ``batch_size`` coalitions per call."""
        batch_size = _check_batch_size(batch_size)
        parts = [
            _as_values(value(self.masks[i : i + batch_size]), len(self.masks[i : i + batch_size]))
            for i in range(0, len(self.masks), batch_size)
        ]
        return np.concatenate(parts, axis=0)


def _as_values(values: Any, m: int) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2 or v.shape[0] != m:
        raise InputError(
            f"the game returned values of shape {np.shape(values)} for {m} coalitions; "
            "value(masks) must return one row per coalition: shape (m,) or (m, k)"
        )
    return v


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"batch_size={batch_size!r}; pass a positive whole number of coalitions per call")
    return int(batch_size)


def _check_players(n_players: int) -> int:
    if isinstance(n_players, bool) or not isinstance(n_players, (int, np.integer)) or n_players < 1:
        raise InputError(f"n_players={n_players!r}; a game needs a positive whole number of players")
    return int(n_players)


# ---------------------------------------------------------------- Shapley values


def shapley_plan(n_players: int) -> CoalitionPlan:
    """Every coalition of ``n_players`` players (empty first, full second, then the others).

    Raises :class:`~explain.errors.MethodError` above :data:`MAX_EXACT_PLAYERS` players.

    Examples
    --------
    >>> plan = shapley_plan(3)
    >>> plan.masks.shape
    (8, 3)
    >>> plan.combine(plan.masks.sum(axis=1))[0].ravel().tolist()  # v(S) = |S|
    [1.0, 1.0, 1.0]
    """
    p = _check_players(n_players)
    if p > MAX_EXACT_PLAYERS:
        raise MethodError(
            f"exact Shapley values over {p} players need 2^{p} coalitions; the limit is "
            f"{MAX_EXACT_PLAYERS} players. Use method='partition_shap' (Owen values over a "
            "hierarchy of the players, quadratic in their number) or 'lime'"
        )
    full = (1 << p) - 1
    # row order: empty, full, then 1..full-1, so rows[code] gives a coalition's row
    codes = np.concatenate([[0, full], np.arange(1, full, dtype=np.int64)]).astype(np.int64)
    row_of = np.empty(1 << p, dtype=np.int64)
    row_of[codes] = np.arange(len(codes))
    masks = ((codes[:, None] >> np.arange(p)[None, :]) & 1).astype(bool)
    masks.setflags(write=False)

    def combine(v: NDArray[np.float64]) -> NDArray[np.float64]:
        by_code = v[row_of]  # (2^p, k) in code order
        all_codes = np.arange(1 << p, dtype=np.int64)
        sizes = np.bitwise_count(all_codes) if hasattr(np, "bitwise_count") else _popcount(all_codes)
        weights = np.array([1.0 / (p * comb(p - 1, s)) for s in range(p)])
        phi = np.empty((p, v.shape[1]))
        for i in range(p):
            without = all_codes[(all_codes >> i) & 1 == 0]
            w = weights[sizes[without]]
            phi[i] = w @ (by_code[without | (1 << i)] - by_code[without])
        return phi

    return CoalitionPlan(masks, combine)


def _popcount(codes: NDArray[np.int64]) -> NDArray[np.int64]:
    counts = np.zeros_like(codes)
    rest = codes.copy()
    while rest.any():
        counts += rest & 1
        rest >>= 1
    return counts


def exact_shapley(
    value: Game, n_players: int, *, batch_size: int = BATCH_SIZE
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Exact Shapley values of a game, scoring each of the ``2^p`` coalitions once.

    Parameters
    ----------
    value : callable
        ``value(masks)`` with ``masks`` a boolean ``(m, p)`` matrix (``True`` = present)
        returns an array ``(m,)`` or ``(m, k)``.
    n_players : int
        ``p``, at most :data:`MAX_EXACT_PLAYERS` (beyond it the error names ``partition_shap``).
    batch_size : int
        Coalitions per call of ``value``.

    Returns
    -------
    phi : ndarray (p, k)
    v_empty, v_full : ndarray (k,)
        The values of the empty and of the full coalition; ``phi.sum(0) == v_full - v_empty``.

    Examples
    --------
    >>> phi, v0, v1 = exact_shapley(lambda m: m[:, 0] * m[:, 1] * 1.0, 2)  # v = 1 iff both
    >>> phi.ravel().tolist(), v0.tolist(), v1.tolist()
    ([0.5, 0.5], [0.0], [1.0])
    """
    plan = shapley_plan(n_players)
    return plan.combine(plan.evaluate(value, batch_size=batch_size))


# ---------------------------------------------------------------- hierarchies


def contiguous_hierarchy(n_players: int) -> Hierarchy:
    """The balanced binary hierarchy of contiguous spans of ``0..p-1``: each span is split in
    halves (the left half gets the extra player), down to single players.

    Examples
    --------
    >>> contiguous_hierarchy(5)
    (((0, 1), 2), (3, 4))
    >>> contiguous_hierarchy(1)
    0
    """
    p = _check_players(n_players)

    def build(lo: int, hi: int) -> Hierarchy:
        if hi - lo == 1:
            return lo
        mid = lo + (hi - lo + 1) // 2
        return (build(lo, mid), build(mid, hi))

    return build(0, p)


def hierarchy_from_linkage(linkage: Any) -> Hierarchy:
    """Nested tuples from a scipy linkage matrix ``Z`` (``(p - 1, 4)``, as returned by
    :func:`scipy.cluster.hierarchy.linkage`): row ``r`` merges nodes ``Z[r, 0]`` and ``Z[r, 1]``
    into node ``p + r``.

    Examples
    --------
    >>> hierarchy_from_linkage([[0, 1, 1.0, 2], [2, 3, 2.0, 3]])
    (2, (0, 1))
    """
    z = np.asarray(linkage, dtype=float)
    if z.ndim != 2 or z.shape[1] < 2 or len(z) < 1:
        raise InputError(f"a linkage matrix has shape (p - 1, 4); got {z.shape}")
    p = len(z) + 1
    nodes: dict[int, Hierarchy] = {i: i for i in range(p)}
    for r, row in enumerate(z):
        a, b = int(row[0]), int(row[1])
        if a not in nodes or b not in nodes or a == b or a != row[0] or b != row[1]:
            raise InputError(f"linkage row {r} merges nodes {row[0]!r} and {row[1]!r}, which are not both unmerged")
        nodes[p + r] = (nodes.pop(a), nodes.pop(b))
    (root,) = nodes.values()
    return root


def _leaves(node: Hierarchy) -> list[int]:
    if isinstance(node, tuple):
        return [leaf for child in node for leaf in _leaves(child)]
    return [node]


def _check_hierarchy(hierarchy: Any) -> tuple[Hierarchy, int]:
    def norm(node: Any, depth: int) -> Hierarchy:
        if depth > 10_000:
            raise InputError("the hierarchy is nested more than 10 000 levels deep")
        if isinstance(node, (list, tuple)):
            if len(node) < 2:
                raise InputError(
                    f"a node of the hierarchy has {len(node)} child; internal nodes need two or more: {node!r}"
                )
            return tuple(norm(child, depth + 1) for child in node)
        if isinstance(node, (bool, np.bool_)) or not isinstance(node, (int, np.integer)):
            raise InputError(f"a leaf of the hierarchy is {node!r}; leaves are player indices (int)")
        return int(node)

    if isinstance(hierarchy, np.ndarray) and hierarchy.ndim == 2:
        tree = hierarchy_from_linkage(hierarchy)
    else:
        tree = norm(hierarchy, 0)
    leaves = _leaves(tree)
    p = len(leaves)
    if sorted(leaves) != list(range(p)):
        raise InputError(
            f"the hierarchy's leaves are {sorted(leaves)[:20]}...; each player 0..p-1 must appear exactly once"
            if p > 20
            else f"the hierarchy's leaves are {sorted(leaves)}; each player 0..{p - 1} must appear exactly once"
        )
    return tree, p


# ---------------------------------------------------------------- Owen values


def owen_plan(hierarchy: Any, *, max_coalitions: int = MAX_OWEN_COALITIONS) -> CoalitionPlan:
    """The distinct coalitions the Owen value over ``hierarchy`` needs (see the module
    docstring for the definition), empty first and full second.

    Examples
    --------
    >>> plan = owen_plan(((0, 1), 2))
    >>> majority = plan.masks.sum(axis=1) >= 2  # Shapley gives 1/3 each
    >>> plan.combine(majority)[0].ravel().tolist()  # the union {0, 1} wins without 2
    [0.5, 0.5, 0.0]
    """
    tree, p = _check_hierarchy(hierarchy)
    with_rows: list[NDArray[np.bool_]] = []
    leaf_of: list[NDArray[np.int64]] = []
    weight_of: list[NDArray[np.float64]] = []
    total = [0]

    def walk(node: Hierarchy, contexts: NDArray[np.bool_], weights: NDArray[np.float64]) -> None:
        if not isinstance(node, tuple):
            total[0] += 2 * len(contexts)
            if total[0] > min(max_coalitions, MAX_MASK_ENTRIES // p):
                raise MethodError(
                    f"the Owen value over this hierarchy of {p} players needs more than "
                    f"{min(max_coalitions, MAX_MASK_ENTRIES // p)} coalitions (a long document, a deep or wide "
                    "hierarchy); use a balanced binary hierarchy (contiguous_hierarchy), fewer players (a coarser "
                    "tokenizer= or segmentation=, e.g. sentences), or method='lime'"
                )
            with_rows.append(contexts)
            leaf_of.append(np.full(len(contexts), node, dtype=np.int64))
            weight_of.append(weights)
            return
        blocks = [np.isin(np.arange(p), _leaves(child)) for child in node]
        m = len(node)
        for j, child in enumerate(node):
            others = [blocks[k] for k in range(m) if k != j]
            new_ctx, new_w = [], []
            for code in range(1 << (m - 1)):
                present = [others[k] for k in range(m - 1) if (code >> k) & 1]
                r = len(present)
                union = np.logical_or.reduce(present) if present else np.zeros(p, dtype=bool)
                new_ctx.append(contexts | union)
                new_w.append(weights * (factorial(r) * factorial(m - r - 1) / factorial(m)))
            walk(child, np.concatenate(new_ctx), np.concatenate(new_w))

    if p > 1:
        walk(tree, np.zeros((1, p), dtype=bool), np.ones(1))
    else:
        with_rows.append(np.zeros((1, 1), dtype=bool))
        leaf_of.append(np.zeros(1, dtype=np.int64))
        weight_of.append(np.ones(1))
    without = np.concatenate(with_rows)
    leaf = np.concatenate(leaf_of)
    weight = np.concatenate(weight_of)
    with_ = without.copy()
    with_[np.arange(len(leaf)), leaf] = True
    ends = np.array([np.zeros(p, dtype=bool), np.ones(p, dtype=bool)])
    masks, index = _unique_rows(np.concatenate([ends, without, with_]))
    n = len(leaf)
    rows_without, rows_with = index[2 : 2 + n], index[2 + n :]

    def combine(v: NDArray[np.float64]) -> NDArray[np.float64]:
        phi = np.zeros((p, v.shape[1]))
        np.add.at(phi, leaf, weight[:, None] * (v[rows_with] - v[rows_without]))
        return phi

    return CoalitionPlan(masks, combine)


def _unique_rows(masks: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Distinct rows in order of first appearance (so the empty and full rows stay first),
    and each input row's index among them."""
    packed = np.packbits(masks, axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    unique = masks[first[order]]
    unique.setflags(write=False)
    return unique, rank[inverse.ravel()]


def owen_values(
    value: Game,
    hierarchy: Any,
    *,
    batch_size: int = BATCH_SIZE,
    max_coalitions: int = MAX_OWEN_COALITIONS,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Exact Owen values of a game over a hierarchy of its players.

    Parameters
    ----------
    value : callable
        ``value(masks)``: boolean ``(m, p)`` -> ``(m,)`` or ``(m, k)``.
    hierarchy : nested tuples or linkage matrix
        Nested tuples of player indices (see the module docstring), e.g.
        :func:`contiguous_hierarchy`; a 2-D array is read as a scipy linkage matrix.
    batch_size : int
        Coalitions per call of ``value``; each distinct coalition is scored once.
    max_coalitions : int
        Refuse hierarchies that need more coalitions than this (before de-duplication).

    Returns
    -------
    phi : ndarray (p, k)
    v_empty, v_full : ndarray (k,)

    Examples
    --------
    >>> phi, v0, v1 = owen_values(lambda m: m.sum(axis=1) * 1.0, contiguous_hierarchy(4))
    >>> phi.ravel().tolist()  # additive game: Owen = Shapley = each player's own value
    [1.0, 1.0, 1.0, 1.0]
    """
    plan = owen_plan(hierarchy, max_coalitions=max_coalitions)
    return plan.combine(plan.evaluate(value, batch_size=batch_size))
