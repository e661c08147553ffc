"""``permutation_shap``: Shapley values from random feature orderings, each with its reverse.

The estimator is that of ``shap.PermutationExplainer`` (``max_evals`` as there: each ordering
costs ``2M + 1`` evaluations of ``M`` players, so ``max_evals // (2M + 1)`` orderings), run
batched across rows. For each ordering of the players (the features whose value differs from
some background value), the features are added one at a time from the empty coalition to the
full one, then removed one at a time in the same order; each feature's value is the mean of the
changes it makes. The estimate is exact in expectation and always additive.

The coalitions of many rows are scored together in batched model calls; the empty and full
coalitions are scored once (the mean prediction over the background, and ``f(x)``), so a row
costs ``2 P (M - 1)`` coalitions of ``N`` background rows for ``P`` orderings. Each row draws
its orderings from its own random stream (keyed by ``random_state`` and the row's values): its
values do not depend on the other rows, on ``n_jobs`` or on chunking. ``engine="shap"`` calls
``shap.PermutationExplainer`` itself, as a reference (one random stream, in one worker).
"""

from __future__ import annotations

import numpy as np

from .._model import OutputSpace
from .._progress import progress
from ..errors import MethodError
from ._base import (
    Attribution,
    Job,
    MethodSpec,
    as_3d,
    free_output,
    legacy_numpy_seed,
    require_background,
    row_chunks,
)
from ._batch import coalition_values, endpoints, row_streams, run_tasks, task_bounds

ENGINES = ("batched", "shap")


def default_max_evals(d: int) -> int:
    return max(500, 2 * (2 * d + 1))


def settings(job: Job) -> tuple[int, str]:
    """``max_evals`` and ``engine``, checked."""
    d = job.n_features
    max_evals = job.params.get("max_evals", "auto")
    engine = job.params.get("engine", "batched")
    if max_evals == "auto":
        max_evals = default_max_evals(d)
    if isinstance(max_evals, bool) or not isinstance(max_evals, (int, np.integer)) or max_evals < 2 * d + 1:
        raise MethodError(
            f"permutation_shap max_evals={max_evals!r}; pass an integer of at least 2d + 1 = {2 * d + 1} "
            "(one ordering of the features and its reverse), or 'auto'."
        )
    if engine not in ENGINES:
        raise MethodError(f"permutation_shap engine={engine!r}; choose one of {list(ENGINES)}.")
    return int(max_evals), engine


def support(job: Job) -> OutputSpace:
    require_background(job, "permutation_shap")
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    max_evals, engine = settings(job)
    values, base = _run_shap(job, space, max_evals) if engine == "shap" else _run_batched(job, space, max_evals)
    return Attribution(values, base, {"max_evals": max_evals, "engine": engine})


def _orderings(players: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random orderings of ``players``: ``(count, M)``."""
    return players[np.argsort(rng.random((count, len(players))), axis=1)]


def _run_batched(job: Job, space: OutputSpace, max_evals: int) -> tuple[np.ndarray, np.ndarray]:
    background, x, v_empty, fx, entropy = endpoints(job, space, "permutation_shap")
    n, d = x.shape

    def work(start: int, stop: int) -> tuple[np.ndarray]:
        rows = x[start:stop]
        vary, generators = row_streams(rows, background, entropy)
        orders, masks, owner = [], [], []
        for r in range(stop - start):  # each row's orderings from its own stream
            players = np.flatnonzero(vary[r])
            m = len(players)
            order = _orderings(players, max_evals // (2 * m + 1), generators[r]) if m > 1 else None
            orders.append(order)
            if order is not None:
                prefix = _prefixes(order, d)  # (P, M - 1, d): the first k features of each ordering
                inner = np.concatenate([prefix, _complements(prefix, players)], axis=1).reshape(-1, d)
                masks.append(inner)
                owner.append(np.full(len(inner), r))
        k = fx.shape[1]
        v = (
            coalition_values(job, space, rows, np.concatenate(owner), np.concatenate(masks), background)
            if masks
            else np.zeros((0, k))
        )
        phi = np.zeros((stop - start, d, k))
        at = 0
        for r, order in enumerate(orders):
            players = np.flatnonzero(vary[r])
            if order is None:
                if len(players) == 1:  # one player: the whole difference
                    phi[r, players[0]] = fx[start + r] - v_empty
                continue
            p_count, m = order.shape
            block = v[at : at + 2 * p_count * (m - 1)].reshape(p_count, 2, m - 1, k)
            at += 2 * p_count * (m - 1)
            phi[r] = _accumulate(order, block, v_empty, fx[start + r], d)
        return (phi,)

    m_max = int(max(2, d))
    rows_per_row = 2 * (max_evals // (2 * m_max + 1)) * (m_max - 1) * background.shape[0]
    (values,) = run_tasks(job, work, task_bounds(n, rows_per_row, d), desc="permutation_shap")
    return values, np.broadcast_to(v_empty, (n, v_empty.shape[0])).copy()


def _prefixes(order: np.ndarray, d: int) -> np.ndarray:
    """``(P, M - 1, d)``: for each ordering, the coalitions of its first ``1 .. M-1`` features."""
    p_count, m = order.shape
    rank = np.full((p_count, d), m)  # players' positions in each ordering; others never join
    np.put_along_axis(rank, order, np.arange(m)[None, :].repeat(p_count, axis=0), axis=1)
    return rank[:, None, :] < np.arange(1, m)[None, :, None]


def _complements(prefix: np.ndarray, players: np.ndarray) -> np.ndarray:
    """The coalitions left after removing the first ``1 .. M-1`` features from the full one."""
    out = np.zeros_like(prefix)
    out[:, :, players] = ~prefix[:, :, players]
    return out


def _accumulate(order: np.ndarray, block: np.ndarray, v_empty: np.ndarray, v_full: np.ndarray, d: int) -> np.ndarray:
    """One row's values ``(d, k)`` from its coalition values ``block (P, 2, M - 1, k)``.

    Forward, feature ``order[p, i]`` joins the first ``i`` features: ``v(first i+1) - v(first i)``.
    Backward, it leaves the last ``M - i`` features: ``v(last M-i) - v(last M-i-1)``.
    """
    p_count = order.shape[0]
    k = block.shape[3]
    empty, full = np.broadcast_to(v_empty, (p_count, 1, k)), np.broadcast_to(v_full, (p_count, 1, k))
    forward = np.concatenate([empty, block[:, 0], full], axis=1)  # v of the first 0 .. M features
    backward = np.concatenate([full, block[:, 1], empty], axis=1)  # v after removing the first 0 .. M
    gains = (forward[:, 1:] - forward[:, :-1]) + (backward[:, :-1] - backward[:, 1:])  # (P, M, k)
    phi = np.zeros((d, k))
    np.add.at(phi, order.ravel(), gains.reshape(-1, k))
    return phi / (2 * p_count)


def _run_shap(job: Job, space: OutputSpace, max_evals: int) -> tuple[np.ndarray, np.ndarray]:
    import shap

    background = require_background(job, "permutation_shap").encoded
    n, d = job.X.n_rows, job.n_features

    def f(z: np.ndarray) -> np.ndarray:
        return job.predict(np.asarray(z, dtype=float), space)

    masker = shap.maskers.Independent(background, max_samples=background.shape[0])
    # shap seeds numpy's global RNG itself; the context puts the caller's state back
    with legacy_numpy_seed(job.random_state):
        explainer = shap.PermutationExplainer(f, masker, seed=job.random_state)
        # one random stream for all rows: chunks run in order, in one worker (n_jobs is not used)
        bounds = row_chunks(n)
        parts = [
            explainer(job.X.encoded[a:b], max_evals=max_evals, silent=True)
            for a, b in progress(bounds, total=len(bounds), setting=job.progress, desc="permutation_shap")
        ]
    values = as_3d(np.concatenate([np.asarray(p.values) for p in parts], axis=0), n, d)
    base = np.concatenate([np.asarray(p.base_values, dtype=float).reshape(len(p.values), -1) for p in parts])
    return values, base


METHOD = MethodSpec(
    name="permutation_shap",
    summary="Shapley values from sampled feature orderings and their reverses (shap's estimator, batched)",
    support=support,
    run=run,
    exact=False,
    additive=True,
    needs_background=True,
    defaults={"max_evals": "auto", "engine": "batched"},
    random=True,
)
