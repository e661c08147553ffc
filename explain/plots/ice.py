"""ICE: every row's prediction as one feature moves, with their average, the partial dependence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import decorate, fit_ylabel, format_value, new_axes, resolve_style, shorten, space_quantity
from ._display import Plot
from ._pd_curves import Curves, pd_curves
from ._style import Style
from .effects import _draw_rug

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ice"]


def ice(
    model: Any,
    X: Any,
    feature: str,
    *,
    centered: bool = False,
    max_lines: int = 200,
    grid_resolution: int = 50,
    percentiles: tuple[float, float] = (0.05, 0.95),
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw individual conditional expectation (ICE) curves of one feature, with their average.

    Each thin line is one row of ``X``: the model's prediction for that row with ``feature`` set
    to each value of a grid, the row's other features kept as they are. The thick line is their
    average, the partial dependence (the effect :func:`~explain.plots.effects` draws from
    ``Explainer(model, method="partial_dependence").explain_global(X)``, the same numbers).
    Parallel lines mean the feature acts alike in every row; lines that cross or fan out mean it
    interacts with other features, which the average hides. ``centered=True`` starts every line
    at zero at the first grid value (c-ICE), so that differences in shape stand out from
    differences in level. The ticks along the bottom mark the rows' own values of the feature:
    beyond them the curves extrapolate.

    The curves are computed by :func:`sklearn.inspection.partial_dependence` (``kind="both"``)
    as ``explain``'s own partial dependence computes them: the same grid (``grid_resolution``
    points between the ``percentiles`` of the feature, or every category, in a pandas
    Categorical's declared order, else sorted), the same output
    space (the Explainer's ``output``; probability of the positive class for a classifier by
    default).

    Parameters
    ----------
    model : Explainer or estimator
        A fitted model, or an :class:`~explain.Explainer` of one (its model, ``output``,
        ``task``, ``feature_names`` and ``class_names`` are used; not its method).
    X : array-like or DataFrame
        The rows: one curve each, averaged into the partial dependence.
    feature : str
        The feature to move.
    centered : bool, default False
        Draw each curve minus its value at the first grid point.
    max_lines : int, default 200
        Most ICE curves drawn (the average is over every row): beyond it, rows evenly spaced
        through ``X`` (no random sample, so the same call draws the same picture).
    grid_resolution : int, default 50
    percentiles : tuple of float, default (0.05, 0.95)
        The grid, as for ``method="partial_dependence"``.
    output : str or int, optional
        The output (class) to draw; needed when the model has several.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook; its first collection
        holds the ICE curves drawn, its line the average.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> from explain.plots import ice
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
    >>> plot = ice(model, X[:60], "bmi", grid_resolution=20)
    >>> len(plot.ax.collections[0].get_paths()), len(plot.ax.get_lines()[0].get_xdata())
    (60, 20)
    >>> plot.ax.get_ylabel()
    'Prediction (raw prediction)'
    """
    if not isinstance(feature, str):
        raise InputError(f"feature={feature!r}; pass the name of one feature (a column of X).")
    if isinstance(max_lines, bool) or not isinstance(max_lines, (int, np.integer)) or max_lines < 1:
        raise InputError(f"max_lines={max_lines!r}; pass a whole number >= 1 of curves to draw.")
    style = resolve_style(style)
    curves = pd_curves(model, X, [feature], kind="both", grid_resolution=grid_resolution, percentiles=percentiles)
    k = curves.output_index(output)
    individual = curves.individual[k]  # type: ignore[index]  # (n, g): kind="both" keeps them
    average = curves.average[k]
    if centered:
        average = average - individual[:, 0].mean()
        individual = individual - individual[:, :1]
    ax = new_axes(ax, style)
    numeric = curves.kinds[0] == "numeric"
    x = np.asarray(curves.grids[0], dtype=float) if numeric else np.arange(len(curves.grids[0]), dtype=float)
    _draw_curves(ax, x, individual, average, int(max_lines), style)
    if numeric:
        _draw_rug(ax, curves.observed[0], style)
    else:
        labels = [shorten(format_value(v, "categorical"), 20) for v in curves.grids[0]]
        ax.set_xticks(x, labels=labels, rotation=30 if len(labels) > 6 else 0)
    decorate(ax, style, xlabel=shorten(feature, 60), ylabel=fit_ylabel(_ylabel(curves, k, centered), 50))
    return Plot(ax)


def _draw_curves(ax: Axes, x: np.ndarray, individual: np.ndarray, average: np.ndarray, max_lines: int,
                 style: Style) -> None:  # fmt: skip
    """The ICE curves (at most ``max_lines``, evenly spaced rows) thin and grey, the average on top."""
    from matplotlib.collections import LineCollection
    from matplotlib.patheffects import withStroke

    n = individual.shape[0]
    rows = np.unique(np.linspace(0, n - 1, min(n, max_lines)).round().astype(int))
    alpha = float(np.clip(6.0 / np.sqrt(len(rows)), 0.12, 0.6))
    label = f"ICE: {len(rows)} rows" if len(rows) == n else f"ICE: {len(rows)} of {n} rows"
    lines = LineCollection([np.column_stack([x, individual[r]]) for r in rows], colors=style.neutral,
                           linewidths=0.7, alpha=alpha, label=label, zorder=1)  # fmt: skip
    ax.add_collection(lines)
    # a white edge around the average keeps it readable over the curves
    ax.plot(x, average, color=style.importance, linewidth=2.2, zorder=3, label=f"average of the {n} rows (PD)",
            path_effects=[withStroke(linewidth=4.2, foreground="white")])  # fmt: skip
    ax.autoscale_view()
    # above the plot: inside it would cover curves, whatever the corner
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, fontsize=style.tick_size, frameon=False,
              borderaxespad=0.2)  # fmt: skip


def _ylabel(curves: Curves, k: int, centered: bool) -> str:
    quantity = space_quantity(curves.output_space, [curves.output_names[k]])
    if not centered:
        return f"Prediction ({quantity})"
    start = format_value(curves.grids[0][0], curves.kinds[0])
    return f"Change in prediction from {shorten(curves.features[0], 30)} = {start} ({quantity})"
