"""``ale``: first-order accumulated local effects (Apley and Zhu, 2020), as feature effects.

Partial dependence sets a feature to each grid value in *every* row, so with correlated
features it averages the model over rows that do not exist (a tall person of low weight) and
mixes in the effect of the features correlated with it. ALE looks only at rows near each value
and at *differences* of the prediction there, which cancel what the other features contribute:

Numeric features (also integer and boolean columns)
    Edges ``z_0 < z_1 < ... < z_K``: the feature's quantiles at ``0, 1/K, ..., 1``
    (``K = grid_resolution``), taken as the inverse of the empirical distribution (R's quantile
    type 1, as the ALEPlot package does), so every edge is a value of the column (an integer
    column keeps integer edges) and every interval holds at least one row; repeated edges are
    dropped. Rows fall in the interval ``(z_{k-1}, z_k]`` (the smallest value in the first).
    For each interval, the local effect is the mean over its rows of
    ``f(row with the feature at z_k) - f(row with the feature at z_{k-1})``; the effect at
    ``z_k`` is the sum of the local effects up to ``k``, centred so that its mean over rows is
    zero, each row counting with the midpoint of its interval (ALEPlot's and alibi's centring).
    The grid of the :class:`~explain._effects.FeatureEffect` is the edges.

Categorical features
    ALE needs the categories in an order. They are ordered as Apley and Zhu's ALEPlot does: the
    distance between two categories is the sum over the other features of how differently
    they are distributed in the rows of each category (Kolmogorov-Smirnov distance of a numeric
    feature, at 100 of its quantiles; total variation distance of the frequencies of a
    categorical one), and the categories are sorted by their coordinate in a one-dimensional
    classical multidimensional scaling of those distances (ties, and a feature alone, keep the
    data's own order of categories). The local effect between neighbours ``c_k`` and
    ``c_{k+1}`` is the mean, over the rows of both, of ``f(row in c_{k+1}) - f(row in c_k)``;
    the effects are accumulated and centred so that their mean over rows is zero. The order is
    recorded in ``params["category_order"]``. Reversing it would change no category's effect.

The output explained is the one partial dependence explains (the probability of the positive
class, every class of a multiclass model, a regressor's prediction; or ``output=`` when given),
computed by the model adapter, so plain functions can be explained too. The importance of a
feature (kind ``"ale_std"``) is the standard deviation over the rows of their effect (the
curve read at each row's value, linearly between edges; a category's effect), in the units of
the output. There is no band (``lower``/``upper`` are None): ALE has no per-row curves, and
the spread of the local differences within an interval is not a band around the accumulated
curve. ``params["bin_counts"]`` holds, for a numeric feature, the rows in each interval; for a
categorical one, the rows across each boundary between neighbouring categories (``K - 1``
counts: the rows of both categories, so each category's rows count at both of its boundaries),
to see where an effect rests on few rows.

Each feature costs one model call: every row at both edges of its interval (numeric), or
every row as it is, moved one category up and one down (categorical).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._effects import FeatureEffect
from .._model import OutputSpace
from ..errors import InputError, MethodError
from ._base import Job, free_output, map_chunks
from ._global import GlobalJob, GlobalMethodSpec, GlobalResult

__all__ = ["SPEC", "category_order", "check_settings", "numeric_edges"]

KIND = "accumulated_local_effects"
ORDERING = (
    "categories by a 1-D classical multidimensional scaling of the summed distances between their rows' "
    "other features (Kolmogorov-Smirnov for numeric, total variation for categorical; Apley and Zhu's ALEPlot)"
)
_ECDF_POINTS = 100  # quantiles at which two categories' distributions of a numeric feature are compared


def check_settings(params: Mapping[str, Any]) -> None:
    """Refuse a ``grid_resolution`` that cannot make intervals, with the fix."""
    resolution = params.get("grid_resolution", SPEC.defaults["grid_resolution"])
    if isinstance(resolution, (bool, np.bool_)) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise MethodError(
            f"ale grid_resolution={resolution!r}; pass a whole number >= 2 of intervals per feature "
            f"(default {SPEC.defaults['grid_resolution']})."
        )


def numeric_edges(x: np.ndarray, n_intervals: int) -> np.ndarray:
    """The distinct quantiles of ``x`` at ``0, 1/K, ..., 1`` (inverse empirical distribution).

    The ``k``-th edge is the smallest value ``v`` of ``x`` with at least ``k/K`` of the values
    ``<= v``: the ``ceil(n k / K)``-th smallest, computed in integers so that no rounding of
    ``k/K`` moves an edge.

    Examples
    --------
    >>> numeric_edges(np.array([5.0, 1.0, 2.0, 2.0, 9.0]), 2)
    array([1., 2., 9.])
    """
    ordered = np.sort(x)
    n = len(ordered)
    ranks = [max(-(-n * k // n_intervals), 1) - 1 for k in range(n_intervals + 1)]
    return np.unique(ordered[ranks])


def _feature_column(job: Job, name: str) -> tuple[int, np.ndarray]:
    """The feature's position and encoded column; a missing value or a single value is refused."""
    j = job.X.schema.feature_names.index(name)
    x = job.X.encoded[:, j]
    missing = int(np.isnan(x).sum())
    if missing:
        raise InputError(
            f"ale bins the rows by the value of {name!r}, which is missing in {missing} of the {len(x)} rows of X. "
            "Fill the missing values (or drop those rows) before asking for its accumulated local effects."
        )
    if np.all(x == x[0]):
        value = job.X.values[0, j]
        value = value.item() if isinstance(value, np.generic) else value
        raise InputError(
            f"{name!r} takes a single value in X ({value!r}), so ALE has no interval over which to measure a "
            "change. Leave it out with features=[...], or pass rows in which it varies."
        )
    return j, x


def _accumulate(bins: np.ndarray, delta: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean of ``delta`` ``(m, k)`` in each of ``n_bins`` bins, summed up from a first 0:
    ``(n_bins + 1, k)``; and the rows in each bin. Every bin must hold a row."""
    counts = np.bincount(bins, minlength=n_bins)
    sums = np.stack([np.bincount(bins, weights=delta[:, o], minlength=n_bins) for o in range(delta.shape[1])], axis=1)
    local = sums / counts[:, None]
    return np.vstack([np.zeros((1, delta.shape[1])), np.cumsum(local, axis=0)]), counts


def _numeric_effect(job: Job, space: OutputSpace, j: int, x: np.ndarray, n_intervals: int) -> tuple[Any, ...]:
    """Edges, centred effect at each edge ``(K+1, k)``, each row's effect ``(n, k)``, rows per interval."""
    edges = numeric_edges(x, n_intervals)
    interval = np.searchsorted(edges, x, side="left")  # x in (edges[i-1], edges[i]] -> i
    interval[interval == 0] = 1  # the smallest value belongs to the first interval
    n = len(x)
    rows = np.vstack([job.X.encoded, job.X.encoded])
    rows[:n, j] = edges[interval - 1]
    rows[n:, j] = edges[interval]
    out = job.predict(rows, space)
    # every interval holds a row (its upper edge is a value of x), so no mean is of nothing
    accumulated, counts = _accumulate(interval - 1, out[n:] - out[:n], len(edges) - 1)
    midpoints = (accumulated[:-1] + accumulated[1:]) / 2
    effect = accumulated - (counts[:, None] * midpoints).sum(axis=0) / n
    per_row = np.stack([np.interp(x, edges, effect[:, o]) for o in range(effect.shape[1])], axis=1)
    return tuple(edges), effect, per_row, counts


def _distances(job: Job, j: int, codes: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Summed distances between the categories ``levels`` of feature ``j`` over the other features."""
    encoded = job.X.encoded
    members = [codes == level for level in levels]
    total = np.zeros((len(levels), len(levels)))
    for other, column in enumerate(job.X.schema.columns):
        if other == j:
            continue
        values = encoded[:, other]
        if column.kind == "categorical":
            # a missing category counts as a category of its own
            filled = np.where(np.isnan(values), -1.0, values)
            kinds, inverse = np.unique(filled, return_inverse=True)
            profile = np.array([np.bincount(inverse[m], minlength=len(kinds)) / m.sum() for m in members])
            total += 0.5 * np.abs(profile[:, None, :] - profile[None, :, :]).sum(axis=2)
            continue
        known = ~np.isnan(values)
        if not known.any():
            continue
        points = np.quantile(values[known], np.linspace(0, 1, _ECDF_POINTS))
        ecdf = np.zeros((len(levels), _ECDF_POINTS))
        for i, m in enumerate(members):
            seen = np.sort(values[m & known])
            if len(seen):
                ecdf[i] = np.searchsorted(seen, points, side="right") / len(seen)
        total += np.abs(ecdf[:, None, :] - ecdf[None, :, :]).max(axis=2)
    return total


def _mds_1d(distances: np.ndarray) -> np.ndarray:
    """Coordinates of a one-dimensional classical (Torgerson) scaling, like R's ``cmdscale(D, k=1)``."""
    m = len(distances)
    centring = np.eye(m) - np.full((m, m), 1.0 / m)
    inner = -0.5 * centring @ (distances**2) @ centring
    eigenvalues, eigenvectors = np.linalg.eigh(inner)
    top = eigenvalues[-1]
    if top <= 1e-12 * max(1.0, float(np.abs(distances).max())):
        return np.zeros(m)  # no distance between the categories: keep their order
    coords = eigenvectors[:, -1] * np.sqrt(top)
    # an eigenvector's sign is arbitrary: fix it, so the order does not depend on the LAPACK build
    return -coords if coords[0] > coords[-1] else coords


def category_order(job: Job, j: int, codes: np.ndarray) -> np.ndarray:
    """The codes of the categories of feature ``j`` present in ``codes``, in ALE's order."""
    levels = np.unique(codes)
    coords = _mds_1d(_distances(job, j, codes, levels))
    return levels[np.argsort(np.round(coords, 12), kind="stable")]


def _categorical_effect(job: Job, space: OutputSpace, j: int, codes: np.ndarray) -> tuple[Any, ...]:
    """Categories in order, centred effect of each ``(K, k)``, each row's effect, rows per neighbour pair."""
    order = category_order(job, j, codes)
    position = np.searchsorted(np.sort(order), codes)
    rank = np.argsort(order)[position]  # each row's place in the order
    n, last = len(codes), len(order) - 1
    up, down = np.flatnonzero(rank < last), np.flatnonzero(rank > 0)
    rows = np.vstack([job.X.encoded, job.X.encoded[up], job.X.encoded[down]])
    rows[n : n + len(up), j] = order[rank[up] + 1]
    rows[n + len(up) :, j] = order[rank[down] - 1]
    out = job.predict(rows, space)
    # the step from place p to p + 1: rows at p moved up, and rows at p + 1 moved down
    delta = np.vstack([out[n : n + len(up)] - out[up], out[down] - out[n + len(up) :]])
    accumulated, counts = _accumulate(np.concatenate([rank[up], rank[down] - 1]), delta, last)
    effect = accumulated - accumulated[rank].mean(axis=0)
    categories = job.codebook.categories[j] or ()
    labels = tuple(categories[int(c)] for c in order)
    return labels, effect, effect[rank], counts


def _one_feature(
    job: Job, space: OutputSpace, name: str, n_intervals: int
) -> tuple[FeatureEffect, np.ndarray, dict[str, Any]]:
    j, x = _feature_column(job, name)
    if job.X.schema.columns[j].kind == "categorical":
        grid, effect, per_row, counts = _categorical_effect(job, space, j, x.astype(np.intp))
        note = {"category_order": list(grid)}
    else:
        grid, effect, per_row, counts = _numeric_effect(job, space, j, x, n_intervals)
        note = {}
    squeeze = effect.shape[1] == 1
    feature_effect = FeatureEffect(feature=name, kind=KIND, grid=grid, average=effect[:, 0] if squeeze else effect)
    return feature_effect, per_row.std(axis=0), {"bin_counts": [int(c) for c in counts], **note}


def run(gjob: GlobalJob) -> GlobalResult:
    job = gjob.job
    check_settings(job.params)
    space = free_output(job)
    params: dict[str, Any] = {**dict(SPEC.defaults), **dict(job.params)}
    n_intervals = int(params["grid_resolution"])
    features = gjob.features

    def work(start: int, stop: int) -> list[tuple[FeatureEffect, np.ndarray, dict[str, Any]]]:
        return [_one_feature(job, space, name, n_intervals) for name in features[start:stop]]

    done = [
        item for chunk in map_chunks(job, work, [(i, i + 1) for i in range(len(features))], "ale") for item in chunk
    ]
    importances = np.array([imp for _, imp, _ in done])
    k = importances.shape[1]
    notes = {name: note for name, (_, _, note) in zip(features, done, strict=True)}
    return GlobalResult(
        importances=importances[:, 0] if k == 1 else importances,
        spread=None,
        kind="ale_std",
        output_space=space,
        output_names=job.model.output_names(k),
        effects=tuple(effect for effect, _, _ in done),
        params={
            **params,
            "edges": "quantiles at 0, 1/K, ..., 1 (inverse empirical distribution), repeated ones dropped",
            "centring": "mean over rows of the effect, each row at the midpoint of its interval",
            "category_ordering": ORDERING,
            "bin_counts": {name: note["bin_counts"] for name, note in notes.items()},
            "category_order": {
                name: note["category_order"] for name, note in notes.items() if "category_order" in note
            },
        },
    )


SPEC = GlobalMethodSpec(
    name="ale",
    summary="first-order accumulated local effects (Apley and Zhu, 2020)",
    run=run,
    needs_y=False,
    defaults={"grid_resolution": 20},
)
