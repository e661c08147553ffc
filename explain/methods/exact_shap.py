"""``exact_shap``: exact interventional Shapley values by enumerating every coalition.

For a row ``x`` and background rows ``b_1..b_m``, the value of a coalition ``S`` is
``v(S) = mean_i f(x_S, b_i,~S)``. All ``2^d`` values are computed with batched model calls
(bounded chunks), and the Shapley values follow as one matrix product
``phi = W v`` with ``W[j, S] = w(|S|-1)`` if ``j in S`` and ``-w(|S|)`` otherwise, where
``w(s) = s! (d-s-1)! / d!``. The cost is ``2^d * m`` model rows per explained row, so the
method is limited to ``max_features`` (15 by default) features.
"""

from __future__ import annotations

from functools import lru_cache
from math import factorial

import numpy as np

from .._model import OutputSpace
from ._base import Attribution, Job, MethodSpec, Unsupported, free_output, map_chunks, require_background

MAX_FEATURES = 15
CHUNK_ROWS = 1 << 17  # model rows scored per call: bounds memory at chunk * d floats


@lru_cache(maxsize=32)
def coalitions(d: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``2^d`` coalitions as a boolean matrix, and the Shapley weight matrix ``W (d, 2^d)``."""
    masks = ((np.arange(1 << d)[:, None] >> np.arange(d)[None, :]) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    w = np.array([factorial(s) * factorial(d - s - 1) / factorial(d) for s in range(d)] + [0.0])
    with_j = w[np.maximum(sizes - 1, 0)]  # S contains j: weight of S \ {j}
    without_j = w[np.minimum(sizes, d)]  # S lacks j: weight of S
    weights = np.where(masks, with_j[:, None], -without_j[:, None]).T
    masks.setflags(write=False)
    weights.setflags(write=False)
    return masks, weights


def coalition_values(job: Job, x: np.ndarray, background: np.ndarray, space: OutputSpace) -> np.ndarray:
    """``v(S)`` for every coalition and each row of ``x``: shape ``(n, 2^d, k)``.

    Rows go in chunks fixed by the sizes alone (never by ``job.n_jobs``), so the values do not
    depend on the number of workers.
    """
    n, d = x.shape
    masks, _ = coalitions(d)
    m_count, b_count = masks.shape[0], background.shape[0]
    per_row = m_count * b_count
    step = max(1, CHUNK_ROWS // per_row) if per_row <= CHUNK_ROWS else 1
    bounds = [(start, min(n, start + step)) for start in range(0, n, step)]

    def rows(start: int, stop: int) -> np.ndarray:
        if per_row <= CHUNK_ROWS:  # several rows per model call
            xs = x[start:stop]
            z = np.where(masks[None, :, None, :], xs[:, None, None, :], background[None, None, :, :])
            pred = job.predict(z.reshape(-1, d), space)
            return pred.reshape(len(xs), m_count, b_count, -1).mean(axis=2)
        return _one_row(job, x[start], masks, background, space)[None]

    return np.concatenate(map_chunks(job, rows, bounds, desc="exact_shap"), axis=0)


def _one_row(job: Job, row: np.ndarray, masks: np.ndarray, background: np.ndarray, space: OutputSpace) -> np.ndarray:
    """``v(S)`` of one row whose coalitions take several model calls: ``(2^d, k)``."""
    b_count, d = background.shape
    step = max(1, CHUNK_ROWS // b_count)
    parts = []
    for start in range(0, masks.shape[0], step):
        z = np.where(masks[start : start + step, None, :], row[None, None, :], background[None, :, :])
        pred = job.predict(z.reshape(-1, d), space)
        parts.append(pred.reshape(z.shape[0], b_count, -1).mean(axis=1))
    return np.concatenate(parts, axis=0)


def support(job: Job) -> OutputSpace:
    require_background(job, "exact_shap")
    limit = int(job.params.get("max_features", MAX_FEATURES))
    if job.n_features > limit:
        raise Unsupported(
            f"exact_shap enumerates all 2^d coalitions and is limited to {limit} features; this data "
            f"has {job.n_features}. Use method='kernel_shap' or 'permutation_shap' (sampled), or "
            "'tree_shap' / 'linear_shap' for tree and linear models (exact at any size)"
        )
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    background = require_background(job, "exact_shap").encoded
    _, weights = coalitions(job.n_features)
    v = coalition_values(job, job.X.encoded, background, space)  # (n, 2^d, k)
    values = np.einsum("jm,nmk->njk", weights, v)
    base = v[:, 0, :]
    params = {"coalitions": 1 << job.n_features, "background_rows": int(background.shape[0])}
    return Attribution(values, base, params)


METHOD = MethodSpec(
    name="exact_shap",
    summary="exact interventional Shapley values by enumerating all coalitions",
    support=support,
    run=run,
    exact=True,
    additive=True,
    needs_background=True,
    defaults={"max_features": MAX_FEATURES},
)
