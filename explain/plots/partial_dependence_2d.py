"""Two-way partial dependence: the average prediction over a grid of two features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import decorate, fit_ylabel, format_value, resolve_style, shorten, space_quantity
from ._display import Plot
from ._pd_curves import pd_curves
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["partial_dependence_2d"]

_LEVELS = 12  # colour bands of the contour map
_POINTS = 500  # observed rows drawn over the map, at most


def partial_dependence_2d(
    model: Any,
    X: Any,
    features: Sequence[str],
    *,
    grid_resolution: int = 20,
    percentiles: tuple[float, float] = (0.05, 0.95),
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw the partial dependence of two features together, as a coloured map.

    Each point of the map is the average prediction over the rows of ``X`` with the first
    feature set to its x value and the second to its y value (low predictions blue, high
    vermillion). Where the contour lines run straight across one axis, the prediction depends on
    one feature only; where they bend, the effect of one feature depends on the value of the
    other (an interaction). The rows' own pairs of values are drawn as small dots (at most 500,
    evenly spaced through ``X``): away from them the map extrapolates. A categorical feature
    takes one column (or line) of cells per category (in a pandas Categorical's declared order,
    else sorted).

    Computed by :func:`sklearn.inspection.partial_dependence` with the two features as one
    pair, as ``explain``'s own partial dependence computes one feature's (the same grid rule, the
    same output space).

    Parameters
    ----------
    model : Explainer or estimator
        A fitted model, or an :class:`~explain.Explainer` of one (its model, ``output``,
        ``task``, ``feature_names`` and ``class_names`` are used; not its method).
    X : array-like or DataFrame
        The rows the prediction is averaged over; the grid comes from their values.
    features : pair of str
        The feature drawn across (x) and the one drawn up (y).
    grid_resolution : int, default 20
        Grid points per feature (the model is called on ``grid_resolution ** 2`` copies of ``X``).
    percentiles : tuple of float, default (0.05, 0.95)
        The range of each numeric feature's grid.
    output : str or int, optional
        The output (class) to draw; needed when the model has several.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> from explain.plots import partial_dependence_2d
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
    >>> plot = partial_dependence_2d(model, X[:80], ("bmi", "s5"), grid_resolution=10)
    >>> plot.ax.get_xlabel(), plot.ax.get_ylabel()
    ('bmi', 's5')
    """
    pair = _pair(features)
    style = resolve_style(style)
    curves = pd_curves(model, X, pair, kind="average", grid_resolution=grid_resolution, percentiles=percentiles)
    k = curves.output_index(output)
    surface = curves.average[k].T  # (y grid, x grid)
    if ax is None:
        from matplotlib.figure import Figure

        width, height = style.figsize
        ax = Figure(figsize=(width * 0.85, max(height, 4.2)), layout="constrained").add_subplot()
    numeric = [kind == "numeric" for kind in curves.kinds]
    positions = [np.asarray(g, dtype=float) if num else np.arange(len(g), dtype=float)
                 for g, num in zip(curves.grids, numeric, strict=True)]  # fmt: skip
    label = fit_ylabel(f"Partial dependence ({space_quantity(curves.output_space, [curves.output_names[k]])})", 36)
    if all(numeric):
        mappable = _draw_contours(ax, positions[0], positions[1], surface, style)
    else:
        mappable = _draw_cells(ax, positions[0], positions[1], surface, style)
    _draw_rows(ax, curves.observed, curves.grids, numeric)
    for axis, grid, num in zip((ax.xaxis, ax.yaxis), curves.grids, numeric, strict=True):
        if not num:
            axis.set_ticks(np.arange(len(grid)), labels=[shorten(format_value(v, "categorical"), 16) for v in grid])
    bar = ax.figure.colorbar(mappable, ax=ax, aspect=30, pad=0.02, fraction=0.05)
    bar.set_label(label, fontsize=style.font_size)
    bar.ax.tick_params(labelsize=style.tick_size)
    bar.outline.set_visible(False)
    decorate(ax, style, xlabel=shorten(pair[0], 60), ylabel=shorten(pair[1], 60))
    return Plot(ax)


def _pair(features: Sequence[str]) -> list[str]:
    if (
        isinstance(features, str)
        or not isinstance(features, Sequence)
        or len(features) != 2
        or not all(isinstance(f, str) for f in features)
    ):
        raise InputError(f"features={features!r}; pass two feature names, e.g. features=('age', 'income').")
    if features[0] == features[1]:
        raise InputError(
            f"features={features!r} names one feature twice; pass two different features (for one feature, "
            "use explain.plots.ice or effects)."
        )
    return [features[0], features[1]]


def _draw_contours(ax: Axes, x: np.ndarray, y: np.ndarray, surface: np.ndarray, style: Style) -> Any:
    """Filled contours with thin labelled lines between the bands."""
    filled = ax.contourf(x, y, surface, levels=_LEVELS, cmap=style.value_cmap())
    lines = ax.contour(x, y, surface, levels=filled.levels, colors="#FFFFFF", linewidths=0.5, alpha=0.7)
    ax.clabel(lines, np.asarray(lines.levels)[1::2], fontsize=style.tick_size * 0.85, fmt="%.3g", colors="#222222")
    return filled


def _draw_cells(ax: Axes, x: np.ndarray, y: np.ndarray, surface: np.ndarray, style: Style) -> Any:
    """One cell per grid point (a categorical axis has no in-between to contour)."""
    mesh = ax.pcolormesh(_edges(x), _edges(y), surface, cmap=style.value_cmap(), shading="flat")
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return mesh


def _edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges halfway between grid points (and as far again beyond the ends)."""
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - middle[0]], middle, [2 * centres[-1] - middle[-1]]])


def _draw_rows(ax: Axes, observed: tuple[np.ndarray, ...], grids: tuple[np.ndarray, ...], numeric: list[bool]) -> None:
    """The rows' own pairs of values, as small dots, at most _POINTS of them (evenly spaced)."""
    xy = []
    for values, grid, num in zip(observed, grids, numeric, strict=True):
        if num:
            xy.append(np.asarray(values, dtype=float))
        else:
            where = {format_value(v, "categorical"): i for i, v in enumerate(grid)}
            xy.append(np.array([where.get(format_value(v, "categorical"), np.nan) for v in values], dtype=float))
    n = len(xy[0])
    rows = np.unique(np.linspace(0, n - 1, min(n, _POINTS)).round().astype(int))
    limits = ax.get_xlim(), ax.get_ylim()
    # a category's rows all sit at its cell's centre: one dot there says "observed"
    ax.scatter(xy[0][rows], xy[1][rows], s=4, color="#222222", alpha=0.35, linewidths=0, zorder=3)
    ax.set_xlim(*limits[0])  # the map's extent, not the rows': beyond the grid there is no map
    ax.set_ylim(*limits[1])
