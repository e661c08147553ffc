"""``exact_shap``: exact interventional Shapley values by enumerating every coalition.

For a row ``x`` and background rows ``b_1..b_N``, the value of a coalition ``S`` is
``v(S) = mean_i f(x_S, b_i,~S)``. The empty coalition's value is the mean prediction over the
background (the same for every row) and the full coalition's is ``f(x)``; the ``2^d - 2`` others
are scored with batched model calls of bounded size (see :mod:`._batch`; coalitions come in
aligned blocks whose input is written through strided views), and the Shapley values
follow as one matrix product ``phi = W v`` with ``W[j, S] = w(|S|-1)`` if ``j in S`` and
``-w(|S|)`` otherwise, where ``w(s) = s! (d-s-1)! / d!``. The cost is ``(2^d - 2) * N`` model
rows per explained row, so the method is limited to ``max_features`` (15 by default) features.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from math import factorial, log2
from typing import Any

import numpy as np

from .._model import OutputSpace
from ..errors import MethodError
from . import _batch
from ._base import Attribution, Job, MethodSpec, Unsupported, free_output, require_background
from ._batch import call_rows, run_tasks

MAX_FEATURES = 15
# the most features max_features may allow: 2^20 coalitions (a weight matrix of 170 MB at 20
# features) times the background rows per explained row is already hours of model calls
HARD_LIMIT = 20


@lru_cache(maxsize=32)
def coalitions(d: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``2^d`` coalitions as a boolean matrix (empty first, full last), and the Shapley
    weight matrix ``W (d, 2^d)``."""
    masks = ((np.arange(1 << d)[:, None] >> np.arange(d)[None, :]) & 1).astype(bool)
    sizes = masks.sum(axis=1)
    w = np.array([factorial(s) * factorial(d - s - 1) / factorial(d) for s in range(d)] + [0.0])
    with_j = w[np.maximum(sizes - 1, 0)]  # S contains j: weight of S \ {j}
    without_j = w[np.minimum(sizes, d)]  # S lacks j: weight of S
    weights = np.where(masks, with_j[:, None], -without_j[:, None]).T
    masks.setflags(write=False)
    weights.setflags(write=False)
    return masks, weights


def model_rows(d: int, n_background: int) -> int:
    """Model rows needed per explained row: every coalition but the empty and the full one
    (when several rows share a model call, those two are scored too: 2 in 2^d more)."""
    return ((1 << d) - 2) * n_background


def check_settings(params: Mapping[str, Any]) -> None:
    """Refuse a ``max_features`` that is not a whole number from 1 to :data:`HARD_LIMIT`."""
    limit = params.get("max_features", MAX_FEATURES)
    if isinstance(limit, (bool, np.bool_)) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise MethodError(
            f"exact_shap max_features={limit!r}; pass a whole number of features from 1 to {HARD_LIMIT} "
            f"(default {MAX_FEATURES})."
        )
    if limit > HARD_LIMIT:
        raise MethodError(
            f"exact_shap max_features={limit!r} would enumerate up to 2^{limit} coalitions per row, out of "
            f"reach; exact_shap takes at most {HARD_LIMIT} features. Use method='kernel_shap' or "
            "'permutation_shap' (sampled), or 'tree_shap' / 'linear_shap' for tree and linear models."
        )


def support(job: Job) -> OutputSpace:
    require_background(job, "exact_shap")
    check_settings(job.params)
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
    x = job.X.encoded
    n, d = x.shape
    n_bg = background.shape[0]
    _, weights = coalitions(d)
    base = job.predict(background, space).mean(axis=0)  # v(empty), every row
    full = job.predict(x, space)  # v(full) = f(x)
    k = base.shape[0]
    # coalitions go to the model in aligned blocks of 2^c (about as many as a call holds),
    # several rows per call when a whole row's coalitions fit in one
    c = min(d, max(0, round(log2(max(1, call_rows(d) // n_bg)))))  # 2^c: the power of two nearest a call
    per_call = max(1, call_rows(d) // ((1 << c) * n_bg)) if c == d else 1

    def work(start: int, stop: int) -> tuple[np.ndarray]:
        v = np.empty((stop - start, 1 << d, k))
        v[:, 0], v[:, -1] = base, full[start:stop]
        z = np.empty((min(per_call, stop - start), 1 << c, n_bg, d))
        for t in range(1 << (d - c)):
            z[...] = background  # the block's template: the x values of each row overwrite it
            for a in range(start, stop, per_call):
                xs = x[a : min(stop, a + per_call)]
                _fill_block(z[: len(xs)], xs, t, c)
                # the empty and full coalitions are known: left out of one row's call (a slice),
                # scored with the others when several rows share a call (cheaper than a copy)
                lo, hi = int(t == 0), (1 << c) - int(t == (1 << (d - c)) - 1)
                if len(xs) > 1:
                    pred = job.predict(z[: len(xs)].reshape(-1, d), space).reshape(len(xs), 1 << c, n_bg, k)[:, lo:hi]
                else:
                    pred = job.predict(z[0, lo:hi].reshape(-1, d), space).reshape(1, hi - lo, n_bg, k)
                v[a - start : a - start + len(xs), (t << c) + lo : (t << c) + hi] = pred.mean(axis=2)
        return (np.einsum("jm,nmk->njk", weights, v),)

    size = min(_batch.MAX_TASK_ROWS, per_call * max(1, 8 // per_call))  # whole calls; a block's template serves 8+ rows
    bounds = [(a, min(n, a + size)) for a in range(0, n, size)]
    (values,) = run_tasks(job, work, bounds, desc="exact_shap")
    params = {"coalitions": 1 << d, "background_rows": int(n_bg)}
    return Attribution(values, np.broadcast_to(base, (n, k)).copy(), params)


def _fill_block(z: np.ndarray, xs: np.ndarray, t: int, c: int) -> None:
    """Write the rows ``xs`` into the coalitions ``t * 2^c .. (t+1) * 2^c - 1`` of ``z`` (shape
    ``(r, 2^c, N, d)``, the background elsewhere), through strided views: coalition ``s`` holds
    feature ``j`` when bit ``j`` of ``s`` is set."""
    r, block, n_bg, d = z.shape
    for j in range(d):
        if j < c:  # alternates inside the block, in runs of 2^j
            z.reshape(r, block >> (j + 1), 2, 1 << j, n_bg, d)[:, :, 1, :, :, j] = xs[:, j, None, None, None]
        elif (t >> (j - c)) & 1:  # the same for the whole block
            z[:, :, :, j] = xs[:, j, None, None]


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
