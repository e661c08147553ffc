"""The genetic stage of the counterfactual search (see :mod:`explain._counterfactual_search`).

For the rows that single changes and pairs left short of ``k`` counterfactuals, as DiCE's
``"genetic"`` method: a population of :data:`POPULATION` candidate rows per explained row, each
changing a random subset of at most ``max_changes`` features (the features that moved the row
closest to its goal alone are drawn more often) to random grid values. Each generation keeps the
best quarter (every candidate that reaches the goal ranks before every one that misses, then by
distance; misses by how far they miss), and breeds the rest from the better half: uniform
crossover, a new value for one feature in half the children, one change undone in three in ten,
and changes beyond ``max_changes`` undone at random. Candidates that reach the goal go to the
pool. A row stops once it has ``k`` distinct sets of changed features, or after
:data:`GENERATIONS` generations.

Each row draws from its own random stream, keyed by ``random_state`` and the row's values, so a
row's counterfactuals do not depend on the other rows explained with it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ._counterfactual_search import _Search

__all__ = ["GENERATIONS", "POPULATION", "genetic"]

POPULATION = 64
GENERATIONS = 15
_MISS = 1e6  # added to the distance of a candidate that misses its goal: ranks every hit first


def _row_streams(seed: int | None, X0: np.ndarray, rows: np.ndarray) -> list[np.random.Generator]:
    streams = []
    for r in rows:
        digest = hashlib.sha256(np.ascontiguousarray(X0[r], dtype="<f8").tobytes()).digest()
        words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
        streams.append(np.random.default_rng(None if seed is None else [seed, *words]))
    return streams


def _sample(allowed: np.ndarray, grid: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One allowed grid value per entry of ``u`` (rows, n): uniform among the row's allowed values."""
    count = allowed.sum(1)
    k = np.minimum(np.floor(u * count[:, None]), np.maximum(count - 1, 0)[:, None])
    position = np.argmax(np.cumsum(allowed, 1)[:, None, :] > k[..., None], axis=2)
    return np.where(count[:, None] > 0, grid[position], np.nan)


def genetic(run: _Search, todo: np.ndarray, gaps: dict[int, np.ndarray], k: int) -> None:
    space, X0, d, P = run.space, run.X0, run.X0.shape[1], POPULATION
    streams = dict(zip(todo.tolist(), _row_streams(run.seed, X0, todo), strict=True))
    allowed = {j: space.options(j, X0[:, j], space.grid[j]) for j in np.flatnonzero(space.mutable).tolist()}
    movable = np.zeros(X0.shape, dtype=bool)
    for j, a in allowed.items():
        movable[:, j] = a.any(1)
    best = np.full(X0.shape, np.inf)
    for j, g in gaps.items():
        best[:, j] = g.min(1)
    weight = np.where(movable, 1.0 / (1.0 + np.argsort(np.argsort(best, 1, kind="stable"), 1)), 0.0)
    cap = min(run.max_changes or d, d)
    active = todo[movable[todo].any(1)]
    pop, loss = None, None
    for _ in range(GENERATIONS + 1):
        if not len(active):
            return
        U = np.stack([streams[int(r)].random((P, d, 4)) for r in active])  # each row its own stream
        if pop is None or loss is None:
            pop = _initial(run, active, U, weight[active], movable[active], allowed, cap)
        else:
            pop = _offspring(run, active, pop, loss, U, movable[active], allowed, cap)
        rows = np.repeat(active, P)
        C = pop.reshape(-1, d)
        reached, gap = run.score(C, rows)
        run.pool.add(rows[reached], C[reached])
        loss = (space.distance(C, X0[rows]) + np.where(reached, 0.0, _MISS * (1.0 + gap))).reshape(len(active), P)
        keep = run.pool.counts(len(X0))[active] < k
        active, pop, loss = active[keep], pop[keep], loss[keep]


def _initial(run: _Search, active: Any, U: Any, weight: Any, movable: Any, allowed: Any, cap: int) -> np.ndarray:
    space, X0 = run.space, run.X0
    P = U.shape[1]
    pop = np.repeat(X0[active][:, None, :], P, axis=1)
    size = 1 + np.floor(U[:, :, 0, 0] * np.minimum(cap, movable.sum(1))[:, None])
    with np.errstate(divide="ignore"):
        key = np.where(
            movable[:, None, :], np.log(U[:, :, :, 1]) / np.where(weight > 0, weight, 1)[:, None, :], -np.inf
        )
    order = np.argsort(-key, axis=2, kind="stable")
    chosen = np.argsort(order, axis=2, kind="stable") < size[..., None]
    for j, a in allowed.items():
        values = _sample(a[active], space.grid[j], U[:, :, j, 2])
        pick = chosen[:, :, j] & ~np.isnan(values)
        pop[:, :, j] = np.where(pick, values, pop[:, :, j])
    return pop


def _offspring(
    run: _Search, active: Any, pop: Any, loss: Any, U: Any, movable: Any, allowed: Any, cap: int
) -> np.ndarray:
    space, X0 = run.space, run.X0
    P, d = pop.shape[1:]
    x0 = X0[active][:, None, :]
    ranked = np.take_along_axis(pop, np.argsort(loss, 1, kind="stable")[:, :, None], axis=1)
    elite = P // 4
    half = P // 2
    pa = np.minimum((U[:, :, 0, 0] * half).astype(int), half - 1)
    pb = np.minimum((U[:, :, 1, 0] * half).astype(int), half - 1)
    A = np.take_along_axis(ranked, pa[:, :, None], 1)
    B = np.take_along_axis(ranked, pb[:, :, None], 1)
    child = np.where(U[:, :, :, 0] < 0.5, A, B)
    # mutation: a new value for one movable feature (half the children)
    target = np.argmax(np.where(movable[:, None, :], U[:, :, :, 1], -1.0), axis=2)
    mutate = U[:, :, 0, 3] < 0.5
    for j, a in allowed.items():
        values = _sample(a[active], space.grid[j], U[:, :, j, 2])
        hit = mutate & (target == j) & ~np.isnan(values)
        child[:, :, j] = np.where(hit, values, child[:, :, j])
    # undo one change (three children in ten), then at most `cap` changes: undo the excess at random
    changed = ~((child == x0) | (np.isnan(child) & np.isnan(x0)))
    undo = np.argmax(np.where(changed, U[:, :, :, 3], -1.0), axis=2)
    revert = (U[:, :, 1, 3] < 0.3)[..., None] & (np.arange(d)[None, None, :] == undo[..., None]) & changed
    child = np.where(revert, x0, child)
    changed &= ~revert
    excess = np.argsort(np.argsort(-np.where(changed, U[:, :, :, 3], -1.0), 2, kind="stable"), 2) >= cap
    child = np.where(changed & excess, x0, child)
    return np.concatenate([ranked[:, :elite], child[:, : P - elite]], axis=1)
