"""SHAP interaction values of a :class:`~._base.Job`: from the trees, or by enumeration.

Two engines, each returning plain arrays like a method does:

- :func:`tree_interactions` (``tree_shap``): path-dependent without background, interventional
  with it (:mod:`._tree_interactions`), in the output space ``tree_shap`` explains, with the
  diagonal completed from ``tree_shap``'s own SHAP values, so a row's interactions sum to
  exactly the values ``explain_local`` returns;
- :func:`exact_interactions` (``exact_shap``): any model with few features, over a background:
  every coalition's value ``v(S) = mean_b f(x_S, b_~S)`` is scored (as ``exact_shap`` does) and
  the Shapley interaction index ``sum_{S in N-{i,j}} |S|! (d-|S|-2)! / (2 (d-1)!) delta_ij(S)``
  read off them, the diagonal being the Shapley value minus the row's off-diagonal sum.

Both return ``(values (n, d, d, k), shap_values (n, d, k), base (n, k), params)``.
"""

from __future__ import annotations

from dataclasses import replace
from math import factorial
from typing import Any

import numpy as np

from .._model import OutputSpace
from . import exact_shap, tree_shap
from ._base import Job, Unsupported, require_background
from ._batch import coalition_values, run_tasks, task_bounds

__all__ = ["exact_interactions", "tree_interactions", "tree_support"]

Result = tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]


# --------------------------------------------------------------------------- trees


def tree_support(job: Job, space: OutputSpace) -> None:
    """Raise :class:`Unsupported` where ``tree_shap`` explains the job but has no interaction values."""
    if job.params.get("engine", "explain") != "explain":
        raise Unsupported(
            "interaction values come from explain's own tree engine; leave method_params engine='explain' (shap's "
            "TreeExplainer.shap_interaction_values gives the path-dependent ones, equal to ours)"
        )
    forest = _forest(job, space)
    if job.background is not None and space == "probability" and forest.tree_output != "probability":
        raise Unsupported(
            "tree SHAP gives a boosted classifier's probability attributions by rescaling each background row's "
            "log-odds values, which defines no interaction index; pass output='log_odds' for the interaction values "
            "of the log-odds (the summed trees), or method='exact_shap' for the interaction index of the probability "
            "itself (up to 15 features)"
        )
    if job.background is not None:
        from ._tree_masks import leaf_paths

        if leaf_paths(forest) is None:
            raise Unsupported(
                "a path of these trees tests more than 62 distinct features, more than the interventional "
                "interaction engine holds; leave background=None for path-dependent interaction values"
            )


def _forest(job: Job, space: OutputSpace) -> Any:
    """The trees as ``tree_shap.run`` explains them in ``space`` (the same steps, in the same order)."""
    forest = tree_shap.forest_of(job)
    if space in ("log_odds", "probability"):
        forest = tree_shap._as_log_odds(job, forest)
    scaled = space in ("log_odds", "probability") if job.model.is_classifier else space == "raw"
    if scaled and forest.log_odds_scale != 1.0:
        scale = forest.log_odds_scale
        forest = replace(forest, value=forest.value * scale, base_offset=forest.base_offset * scale)
    return forest


def tree_interactions(job: Job, space: OutputSpace) -> Result:
    """Tree interaction values of ``job.X`` in ``space`` (``tree_support`` has passed)."""
    from .._progress import progress
    from ._tree_interactions import (
        interventional_interactions,
        pair_tables,
        path_dependent_interactions,
        rows_per_chunk,
    )

    shap_result = tree_shap.run(job, space)  # the values explain_local returns, and its params
    phi = shap_result.values
    forest = _forest(job, space)
    positive = tree_shap._n_classes(job) == 2 and forest.value.shape[2] == 2 and space == "probability"
    X_model = forest.rows(job.model_space(job.X))
    n, width = X_model.shape
    cmap = job.column_map
    d, k = phi.shape[1], phi.shape[2]
    values = np.zeros((n, d, d, k))
    facts: dict[str, Any] = {}
    if job.background is None:
        layout = _layout(job, forest)
        try:
            tables = pair_tables(layout, n, job.params.get("algorithm", "auto"))
        except ValueError as exc:  # an algorithm name tree_shap.support has already refused
            raise Unsupported(str(exc)) from None
    else:
        B_model = forest.rows(job.model_space(job.background))
        if positive:  # the positive class of an averaging forest, as tree_shap.run keeps it
            forest = replace(forest, value=np.ascontiguousarray(forest.value[:, :, 1:]))
        paths = _paths(forest)
        facts = {"interaction_algorithm": "masks"}
    step = rows_per_chunk(max(width, d), k)
    chunks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    with tree_shap._threads(job.n_jobs):
        for lo, hi in progress(chunks, total=len(chunks), setting=job.progress, desc="interactions"):
            if job.background is None:
                off, facts = path_dependent_interactions(
                    forest, layout, X_model[lo:hi], tables, output=1 if positive else None
                )
            else:
                off = interventional_interactions(forest, paths, X_model[lo:hi], B_model)
            values[lo:hi] = _collapse(cmap, off)
    _complete_diagonal(values, phi)
    params = {**shap_result.params, **facts}
    return values, phi, np.asarray(shap_result.base_values, dtype=float), params


def _layout(job: Job, forest: Any) -> Any:
    from ._tree_path import path_layout

    made_for, layout = job.scratch.get("layout", (None, None))
    if made_for is not forest:
        layout = path_layout(forest)
    if layout is None:  # tree_shap.support refuses these trees first; kept for a direct call
        raise Unsupported("a path of these trees tests more than 62 distinct features")
    return layout


def _paths(forest: Any) -> Any:
    from ._tree_masks import leaf_paths

    paths = leaf_paths(forest)
    if paths is None:  # tree_support refuses these trees first; kept for a direct call
        raise Unsupported("a path of these trees tests more than 62 distinct features")
    return paths


def _collapse(cmap: Any, off: np.ndarray) -> np.ndarray:
    """Model-space interactions ``(n, m, m, k)`` summed into the user's columns on both axes:
    the interactions of two one-hot columns of one source land on its diagonal (its main effect)."""
    if cmap.is_identity:
        return off
    once = cmap.collapse(off)  # (n, d, m, k)
    return np.swapaxes(cmap.collapse(np.swapaxes(once, 1, 2)), 1, 2)


def _complete_diagonal(values: np.ndarray, phi: np.ndarray) -> None:
    """Set each diagonal entry to the SHAP value minus its row's off-diagonal entries (in place)."""
    d = values.shape[1]
    idx = np.arange(d)
    values[:, idx, idx, :] = 0.0
    values[:, idx, idx, :] = phi - values.sum(axis=2)


# --------------------------------------------------------------------------- enumeration


def exact_interactions(job: Job, space: OutputSpace) -> Result:
    """The Shapley interaction index of the interventional game, by enumerating every coalition."""
    background = require_background(job, "exact_shap").encoded
    x = job.X.encoded
    n, d = x.shape
    n_bg = background.shape[0]
    masks, shapley = exact_shap.coalitions(d)
    base = job.predict(background, space).mean(axis=0)
    k = base.shape[0]
    pairs = _pair_terms(d)

    def work(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        r = stop - start
        owner = np.repeat(np.arange(r), 1 << d)
        v = coalition_values(job, space, x[start:stop], owner, np.tile(masks, (r, 1)), background)
        v = v.reshape(r, 1 << d, k)
        phi = np.einsum("jm,nmk->njk", shapley, v)
        inter = np.zeros((r, d, d, k))
        for i, j, with_both, with_i, with_j, without, weight in pairs:
            delta = v[:, with_both] - v[:, with_i] - v[:, with_j] + v[:, without]
            inter[:, i, j] = inter[:, j, i] = np.einsum("s,rsk->rk", weight, delta)
        _complete_diagonal(inter, phi)
        return inter, phi

    bounds = task_bounds(n, (1 << d) * n_bg, d)
    values, phi = run_tasks(job, work, bounds, desc="interactions")
    params = {"coalitions": 1 << d, "background_rows": int(n_bg), "interaction_algorithm": "enumeration"}
    return values, phi, np.broadcast_to(base, (n, k)).copy(), params


def _pair_terms(d: int) -> list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """For each pair ``i < j``: the coalitions ``S`` holding neither (as indices into the binary
    order of :func:`exact_shap.coalitions`), ``S + i + j``, ``S + i``, ``S + j``, and the weight of
    each ``S``: ``|S|! (d-|S|-2)! / (2 (d-1)!)``."""
    if d < 2:
        return []
    codes = np.arange(1 << d)
    sizes = np.array([bin(c).count("1") for c in range(1 << d)])
    w = np.array([factorial(s) * factorial(d - s - 2) / (2 * factorial(d - 1)) for s in range(d - 1)])
    out = []
    for i in range(d):
        for j in range(i + 1, d):
            bi, bj = 1 << i, 1 << j
            without = codes[(codes & (bi | bj)) == 0]
            out.append((i, j, without | bi | bj, without | bi, without | bj, without, w[sizes[without]]))
    return out
