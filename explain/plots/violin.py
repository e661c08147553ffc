"""Violin: the distribution of each feature's attributions over the rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._columns import top_columns
from ._common import (
    attribution_label,
    check_explanation,
    decorate,
    new_axes,
    resolve_style,
    select_output,
    set_row_labels,
    short_names,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import LocalExplanation

__all__ = ["violin"]

_HALF_WIDTH = 0.4  # of the widest violin, in feature lines
_POINTS = 120  # where each density is evaluated


def violin(
    exp: LocalExplanation,
    *,
    max_display: int = 15,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw how each feature's attributions are spread over the rows, as one violin per feature.

    A violin's width at an attribution is how many rows have about that attribution (a Gaussian
    kernel density estimate, :class:`scipy.stats.gaussian_kde` with Scott's bandwidth, drawn
    between the smallest and the largest attribution); the white dot is the median and the thick
    line the middle half of the rows (25th to 75th percentile). Where the
    :func:`~explain.plots.beeswarm` shows every row, the violin summarises them: it stays
    readable for any number of rows. Features are sorted by mean ``|attribution|``, most
    important on top; beyond ``max_display`` lines the rest are summed per row into "other N
    features". Each violin is scaled to the same width, so compare positions and shapes across
    features, and read how far they spread on the axis.

    Parameters
    ----------
    exp : LocalExplanation
    max_display : int, default 15
        Most violins drawn, the "other N features" one included.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook; one filled collection
        per violin, labelled with its feature.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> from explain.plots import violin
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:40])
    >>> plot = violin(local, max_display=5)
    >>> [c.get_label() for c in plot.ax.collections]
    ['s5', 's1', 'bmi', 's2', 'other 6 features']
    """
    check_explanation(exp, "violin", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    columns = top_columns(exp, max_display)
    labels = short_names(columns.names, style.max_label_chars)
    ax = new_axes(ax, style, len(labels), labels)
    ax.axvline(0.0, color="#555555", linewidth=0.8, zorder=0)
    n = len(labels)
    for i, name in enumerate(columns.names):
        _draw_violin(ax, columns.values[:, i], n - 1 - i, name, style)
    set_row_labels(ax, labels, style)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6, zorder=0)
    decorate(ax, style, xlabel=attribution_label(exp))
    return Plot(ax)


def _density(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the density is evaluated and its values, scaled to a peak of 1 (a spike if all alike)."""
    from scipy.stats import gaussian_kde

    low, high = float(np.min(x)), float(np.max(x))
    if high - low <= 1e-12 * max(1.0, abs(high)):  # one value: the kernel density has no width
        return np.array([low, low]), np.array([1.0, 1.0])
    grid = np.linspace(low, high, _POINTS)
    try:
        density = gaussian_kde(x, bw_method="scott")(grid)
    except np.linalg.LinAlgError:  # e.g. two distinct values, one of them repeated: no spread to estimate
        return np.array([low, high]), np.array([1.0, 1.0])
    return grid, density / density.max()


def _draw_violin(ax: Axes, x: np.ndarray, y: float, name: str, style: Style) -> None:
    """One violin around the line ``y``, with its median and interquartile range."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return
    grid, density = _density(x)
    half = _HALF_WIDTH * density
    ax.fill_between(grid, y - half, y + half, color=style.importance, alpha=0.35, linewidth=0.8,
                    edgecolor=style.importance, label=name, zorder=2)  # fmt: skip
    q1, median, q3 = np.percentile(x, [25, 50, 75])
    ax.plot([q1, q3], [y, y], color="#333333", linewidth=3.0, solid_capstyle="butt", zorder=3)
    ax.plot([median], [y], marker="o", markersize=4, color="white", markeredgecolor="#333333",
            markeredgewidth=0.8, linestyle="", zorder=4)  # fmt: skip
