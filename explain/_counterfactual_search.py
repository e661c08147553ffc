"""The counterfactual search: sparse first, then a seeded genetic search, then simplify and select.

Private: see :func:`explain.counterfactuals`. Every stage scores all its candidate rows, of every
explained row at once, in batched model calls (at most :data:`CHUNK` rows each).

1. **Single changes.** Each mutable feature of each row set to each value of its grid (numeric:
   :data:`~explain._counterfactual_space.GRID` quantiles of the data within its bounds;
   categorical: every allowed category).
2. **Pairs**, for rows with fewer than ``k`` distinct sets of changed features so far: among the
   :data:`PAIR_FEATURES` features that alone moved the row closest to its goal, every pair, each
   feature over :data:`PAIR_VALUES` values (numeric: spread from the row's value outwards, on the
   side where its best single change lay; categorical: the categories that did best alone).
3. **Genetic search** (as DiCE's ``"genetic"`` method), for rows still short: see
   :mod:`explain._counterfactual_genetic`. Each row draws from its own random stream, keyed by
   ``random_state`` and the row's values, so a row's counterfactuals do not depend on the other rows.
4. **Simplify** the closest ``2k + 2`` candidates of each row (the closest one per set of changed
   features): undo changes one at a time while the outcome holds (the cheapest such undo each
   round).
5. **Select** up to ``k``: first the closest; then greedily the one minimising
   ``distance - diversity * (distance to the nearest already chosen)``, never one that only adds
   changes to a chosen one. Each row's counterfactuals differ in the set of features they change.
   Then move each changed numeric feature of the chosen ones back toward the row's value, over
   every allowed value in between, as far as the outcome holds (the largest change first; two
   passes of :data:`REFINE_POINTS` values), simplify them again, and order them closest first.
   No change of a counterfactual returned can be undone alone with the outcome kept.
6. **Verify**: the chosen counterfactuals are scored again, and any that misses its goal, changes
   a feature it may not, or leaves the allowed values is dropped (none should be).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._counterfactual_genetic import genetic
from ._counterfactual_goal import Goal
from ._counterfactual_space import Space
from .methods._base import Job

__all__ = ["Found", "search"]

CHUNK = 1 << 16
PAIR_FEATURES = 8
PAIR_VALUES = 6
REFINE_POINTS = 10


@dataclass
class _Scorer:
    """The model, called in chunks; counts its calls and rows (for the record)."""

    job: Job
    goal: Goal
    calls: int = 0
    rows: int = 0

    def __call__(self, C: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self.predict(C)
        if not len(C):
            return np.zeros(0, dtype=bool), np.zeros(0)
        return self.goal.reached(out, rows), self.goal.gap(out, rows)

    def predict(self, C: np.ndarray) -> np.ndarray:
        """The model's outputs for the candidate rows ``C`` (encoded)."""
        if not len(C):
            return np.zeros((0, len(self.goal.classes or ()) if self.goal.kind == "multiclass" else 1))
        outs = []
        for a in range(0, len(C), CHUNK):
            outs.append(self.job.predict(np.array(C[a : a + CHUNK], dtype=float), self.goal.space))
            self.calls += 1
        self.rows += len(C)
        return np.concatenate(outs)


@dataclass
class _Pool:
    """Candidates that reach their goal: the closest one per (row, set of changed features)."""

    space: Space
    X0: np.ndarray
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    C: np.ndarray | None = None

    def add(self, rows: np.ndarray, C: np.ndarray) -> None:
        if self.C is not None:
            rows, C = np.concatenate([self.rows, rows]), np.concatenate([self.C, C])
        self.rows, self.C = _best_per_set(self.space, self.X0, rows, C)

    def counts(self, n: int) -> np.ndarray:
        return np.bincount(self.rows, minlength=n)


def _set_keys(space: Space, X0: np.ndarray, rows: np.ndarray, C: np.ndarray) -> np.ndarray:
    changed = space.changed(C, X0[rows])
    packed = np.concatenate([rows.astype("<i8").view(np.uint8).reshape(len(rows), 8), np.packbits(changed, 1)], 1)
    return np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()


def _best_per_set(space: Space, X0: np.ndarray, rows: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(C):
        return rows, C
    _, group = np.unique(_set_keys(space, X0, rows, C), return_inverse=True)
    cost = space.distance(C, X0[rows])
    order = np.lexsort((np.arange(len(C)), cost, group))
    first = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    first = first[np.lexsort((first, rows[first]))]  # by row, then in the order found
    return rows[first], C[first]


# --------------------------------------------------------------------------- stages


def _singles(space: Space, X0: np.ndarray, todo: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    blocks, where = [], []
    for j in np.flatnonzero(space.mutable).tolist():
        grid = space.grid[j]
        r, i = np.nonzero(space.options(j, X0[todo, j], grid))
        C = X0[todo[r]].copy()
        C[:, j] = grid[i]
        blocks.append((todo[r], C))
        where.append((j, todo[r], i))
    rows = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros(0, dtype=int)
    C = np.concatenate([b[1] for b in blocks]) if blocks else np.zeros((0, X0.shape[1]))
    return rows, C, where


def _pair_values(space: Space, X0: np.ndarray, rows: np.ndarray, j: int, gaps: np.ndarray) -> np.ndarray:
    """``(len(rows), PAIR_VALUES)`` values of feature ``j`` to pair (NaN: none)."""
    grid = space.grid[j]
    ok = space.options(j, X0[rows, j], grid)
    g = np.where(ok, gaps[rows], np.inf)  # this feature's single-change gaps, per grid value
    out = np.full((len(rows), PAIR_VALUES), np.nan)
    if space.kinds[j] != "numeric":
        order = np.argsort(g, axis=1, kind="stable")[:, :PAIR_VALUES]
        picked = np.take_along_axis(g, order, 1)
        return np.where(np.isfinite(picked), grid[order], np.nan)[:, : out.shape[1]]
    best = grid[np.argmin(g, axis=1)]
    up = best > X0[rows, j]
    side = ok & np.where(up[:, None], grid[None, :] > X0[rows, j][:, None], grid[None, :] < X0[rows, j][:, None])
    count = side.sum(1)
    frac = np.linspace(0.0, 1.0, PAIR_VALUES)
    step = np.rint(frac[None, :] * np.maximum(count - 1, 0)[:, None]).astype(int)
    first = np.argmax(side, 1)
    last = side.shape[1] - 1 - np.argmax(side[:, ::-1], 1)
    index = np.where(up[:, None], first[:, None] + step, last[:, None] - step)
    values = grid[np.clip(index, 0, len(grid) - 1)]
    values[count == 0] = np.nan
    values[:, 1:][values[:, 1:] == values[:, :-1]] = np.nan  # fewer values than slots
    return values


def _pairs(space: Space, X0: np.ndarray, todo: np.ndarray, gaps: dict[int, np.ndarray]) -> tuple:
    mutable = [j for j in np.flatnonzero(space.mutable).tolist() if j in gaps]
    if len(mutable) < 2 or not len(todo):
        return np.zeros(0, dtype=int), np.zeros((0, X0.shape[1]))
    best = np.stack([gaps[j][todo].min(1) for j in mutable], 1)  # (rows, features)
    rank = np.argsort(np.argsort(best, 1, kind="stable"), 1, kind="stable")
    top = (rank < PAIR_FEATURES) & np.isfinite(best)
    values = {j: _pair_values(space, X0, todo, j, gaps[j]) for j in mutable}
    blocks = []
    for a in range(len(mutable)):
        for b in range(a + 1, len(mutable)):
            j, i = mutable[a], mutable[b]
            both = np.flatnonzero(top[:, a] & top[:, b])
            vj, vi = values[j][both][:, :, None], values[i][both][:, None, :]
            r, p, q = np.nonzero(~np.isnan(vj) & ~np.isnan(vi))
            C = X0[todo[both[r]]].copy()
            C[:, j], C[:, i] = values[j][both[r], p], values[i][both[r], q]
            blocks.append((todo[both[r]], C))
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


# --------------------------------------------------------------------------- the whole search


@dataclass
class _Search:
    space: Space
    X0: np.ndarray
    score: _Scorer
    pool: _Pool
    seed: int | None
    max_changes: int | None


@dataclass(frozen=True)
class Found:
    """What :func:`search` returns: the verified counterfactuals (encoded), grouped by row in the
    order chosen, and what the search cost."""

    rows: np.ndarray
    C: np.ndarray
    out: np.ndarray  # the model's outputs for C, from the final check
    stages: dict[str, int]  # rows searched at each stage
    model_calls: int
    model_rows: int
    dropped: int  # chosen but refused by the final check (0 unless the model is not deterministic)


def search(
    job: Job,
    goal: Goal,
    space: Space,
    X0: np.ndarray,
    todo: np.ndarray,
    *,
    k: int,
    max_changes: int | None,
    diversity: float,
    seed: int | None,
) -> Found:
    """Up to ``k`` counterfactuals of each row of ``X0`` listed in ``todo`` (see the module docstring)."""
    n = X0.shape[0]
    run = _Search(space, X0, _Scorer(job, goal), _Pool(space, X0), seed, max_changes)
    rows, C, where = _singles(space, X0, todo)
    reached, gap = run.score(C, rows)
    run.pool.add(rows[reached], C[reached])
    gaps, offset = {}, 0
    for j, r, i in where:  # each feature's single-change gaps, per row and grid value
        gaps[j] = np.full((n, len(space.grid[j])), np.inf)
        gaps[j][r, i] = gap[offset : offset + len(r)]
        offset += len(r)
    stages = {"single": len(todo)}
    short = todo[run.pool.counts(n)[todo] < k]
    if len(short) and (max_changes is None or max_changes >= 2):
        rows, C = _pairs(space, X0, short, gaps)
        reached, _ = run.score(C, rows)
        run.pool.add(rows[reached], C[reached])
        stages["pair"] = len(short)
        short = short[run.pool.counts(n)[short] < k]
        if len(short):
            genetic(run, short, gaps, k)
            stages["genetic"] = len(short)
    rows, C = _closest(space, X0, run.pool.rows, run.pool.C, 2 * k + 2)
    rows, C = _best_per_set(space, X0, rows, _simplify(run, rows, C))
    rows, C = _select(space, X0, rows, C, k, diversity)
    # pulling one change back can make another needless (rarely, for a model that is not monotone)
    rows, C = _best_per_set(space, X0, rows, _simplify(run, rows, _pull_back(run, rows, C)))
    order = np.lexsort((np.arange(len(C)), space.distance(C, X0[rows]), rows))  # the closest first
    rows, C = rows[order], C[order]
    out = run.score.predict(C)  # every counterfactual returned is checked with the model
    ok = goal.reached(out, rows) & _allowed(space, X0, rows, C, max_changes)
    return Found(rows[ok], C[ok], out[ok], stages, run.score.calls, run.score.rows, int((~ok).sum()))


def _closest(space: Space, X0: np.ndarray, rows: np.ndarray, C: np.ndarray | None, m: int) -> tuple:
    if C is None or not len(C):
        return np.zeros(0, dtype=int), np.zeros((0, X0.shape[1]))
    cost = space.distance(C, X0[rows])
    order = np.lexsort((np.arange(len(C)), cost, rows))
    start = np.searchsorted(rows[order], rows[order], side="left")
    keep = order[np.arange(len(order)) - start < m]
    keep = np.sort(keep)
    return rows[keep], C[keep]


def _simplify(run: _Search, rows: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Undo changes one at a time, the cheapest undo that keeps the outcome first, while one does."""
    space, X0 = run.space, run.X0
    C = C.copy()
    active = np.arange(len(C))
    while len(active):
        changed = space.changed(C[active], X0[rows[active]])
        several = changed.sum(1) >= 2
        active, changed = active[several], changed[several]
        if not len(active):
            break
        a, j = np.nonzero(changed)
        owners = active[a]
        V = C[owners].copy()
        V[np.arange(len(a)), j] = X0[rows[owners], j]
        reached, _ = run.score(V, rows[owners])
        cost = np.where(reached, space.distance(V, X0[rows[owners]]), np.inf)
        order = np.lexsort((np.arange(len(a)), cost, a))
        first = order[np.r_[True, a[order][1:] != a[order][:-1]]]
        good = first[np.isfinite(cost[first])]
        C[owners[good]] = V[good]
        active = owners[good]
    return C


def _pull_back(run: _Search, rows: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Move each changed numeric feature back toward the row's value, over the observed values in
    between, as far as the outcome holds; the largest change (in MAD units) first."""
    space, X0 = run.space, run.X0
    C = C.copy()
    x = X0[rows]
    changed = space.changed(C, x) & space.numeric[None, :]
    size = np.where(changed, np.abs(np.nan_to_num(C - x)) / space.scale, -1.0)
    order = np.argsort(-size, axis=1, kind="stable")
    for rank in range(int(changed.sum(1).max(initial=0))):
        feature = order[:, rank]
        todo = np.flatnonzero(changed[np.arange(len(C)), feature])
        near = x[todo, feature[todo]].copy()  # the nearest value known to miss (at first the row's own)
        for _ in range(2):
            owner, position, tried = _between(space, C, todo, feature, near)
            if not len(owner):
                break
            V = C[todo[owner]].copy()
            V[np.arange(len(owner)), feature[todo[owner]]] = tried
            reached, _ = run.score(V, rows[todo[owner]])
            for t in np.unique(owner):
                mine = np.flatnonzero(owner == t)
                hits = mine[reached[mine]]
                if len(hits):
                    best = hits[np.argmin(position[hits])]
                    C[todo[t], feature[todo[t]]] = tried[best]
                    if position[best] > 0:
                        near[t] = tried[mine[position[mine] == position[best] - 1][0]]
                else:
                    near[t] = tried[mine[np.argmax(position[mine])]]
    return C


def _between(space: Space, C: np.ndarray, todo: np.ndarray, feature: np.ndarray, near: np.ndarray) -> tuple:
    """Up to REFINE_POINTS allowed values strictly between ``near`` and each candidate's value,
    nearest to ``near`` first: (owner, position, value)."""
    owner: list[int] = []
    position: list[int] = []
    tried: list[float] = []
    for t, c in enumerate(todo):
        j = feature[c]
        now, values = C[c, j], space.values[j]
        inside = values[(values > min(near[t], now)) & (values < max(near[t], now))]
        if not inside.size:
            continue
        if now < near[t]:
            inside = inside[::-1]
        picks = inside[np.unique(np.rint(np.linspace(0, inside.size - 1, REFINE_POINTS)).astype(int))]
        owner.extend([t] * len(picks))
        position.extend(range(len(picks)))
        tried.extend(picks.tolist())
    return np.asarray(owner, dtype=int), np.asarray(position, dtype=int), np.asarray(tried, dtype=float)


def _select(space: Space, X0: np.ndarray, rows: np.ndarray, C: np.ndarray, k: int, diversity: float) -> tuple:
    """Up to ``k`` per row: the closest, then greedily ``distance - diversity * distance to the chosen``."""
    if not len(C):
        return rows, C
    cost = space.distance(C, X0[rows])
    changed = space.changed(C, X0[rows])
    picked: list[int] = []
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
        idx = np.arange(a, b)
        idx = idx[np.lexsort((idx, cost[idx]))]
        chosen = [int(idx[0])]
        while len(chosen) < k:
            rest = np.array([i for i in idx if i not in chosen], dtype=int)
            if not len(rest):
                break
            near = np.min([space.distance(C[rest], np.repeat(C[[s]], len(rest), 0)) for s in chosen], axis=0)
            score = cost[rest] - diversity * near
            for s in chosen:  # only adds changes to one already chosen: not an alternative
                same = (C[rest][:, changed[s]] == C[s, changed[s]]).all(1)
                score[same & (changed[rest] >= changed[s]).all(1)] = np.inf
            if not np.isfinite(score).any():
                break
            chosen.append(int(rest[np.lexsort((rest, cost[rest], score))[0]]))
        picked.extend(chosen)
    keep = np.asarray(picked, dtype=int)
    return rows[keep], C[keep]


def _allowed(space: Space, X0: np.ndarray, rows: np.ndarray, C: np.ndarray, max_changes: int | None) -> np.ndarray:
    """Whether each candidate changes only what it may, to allowed values, in allowed directions."""
    x = X0[rows]
    changed = space.changed(C, x)
    ok = changed.any(1) & ~(changed & (~space.mutable[None, :] | np.isnan(x))).any(1)
    if max_changes is not None:
        ok &= changed.sum(1) <= max_changes
    for j in np.flatnonzero(space.mutable).tolist():
        moved = changed[:, j]
        ok[moved] &= np.isin(C[moved, j], space.values[j])
        if space.direction[j]:
            ok[moved] &= np.sign(C[moved, j] - x[moved, j]) == space.direction[j]
    return ok
