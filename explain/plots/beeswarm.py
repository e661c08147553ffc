"""Beeswarm: every row's attribution for each feature, coloured by the feature's value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import (
    attribution_label,
    check_explanation,
    decorate,
    new_axes,
    normalized,
    other_label,
    ranked,
    resolve_style,
    select_output,
    set_row_labels,
    short_names,
    swarm_offsets,
    value_colorbar,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap

    from ..explanation import LocalExplanation

__all__ = ["beeswarm"]


def beeswarm(
    exp: LocalExplanation,
    *,
    max_display: int = 15,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw many rows' attributions: one dot per row on each feature's line.

    Features are sorted by mean ``|attribution|``, most important on top; beyond
    ``max_display`` lines the rest are summed per row into one "other N features" line. A dot's
    position is the attribution; its colour is the feature's value, from low (blue) to high
    (vermillion) between the feature's 5th and 95th percentiles. Categorical features, missing
    values and the "other" line are grey. Dots with close attributions are spread vertically
    by a deterministic rule (no random jitter), so the same explanation draws the same picture.

    Parameters
    ----------
    exp : LocalExplanation
    max_display : int, default 15
        Most lines drawn, the "other N features" line included.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook; it answers the Axes'
        methods as the Axes returned before did (see :class:`~explain.plots.Plot`).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> from explain.plots import beeswarm
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:40])
    >>> plot = beeswarm(local, max_display=5)
    >>> [c.get_label() for c in plot.ax.collections]
    ['s5', 's1', 'bmi', 's2', 'other 6 features']
    """
    check_explanation(exp, "beeswarm", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    values = np.asarray(exp.values, dtype=float)
    shown, rest = ranked(np.abs(values).mean(axis=0), max_display)
    lines = [(exp.feature_names[j], values[:, j], _colour_values(exp, j)) for j in shown]
    if len(rest):
        lines.append((other_label(len(rest)), values[:, rest].sum(axis=1), None))
    labels = short_names([name for name, _, _ in lines], style.max_label_chars)
    ax = new_axes(ax, style, len(lines), labels)
    ax.axvline(0.0, color="#555555", linewidth=0.8, zorder=0)
    cmap = style.value_cmap()
    size = float(np.clip(2500.0 / max(exp.n_rows, 1), 4.0, 18.0))
    for i, (name, x, level) in enumerate(lines):
        y = len(lines) - 1 - i + swarm_offsets(x, width=0.38)
        colors: list[Any] = [style.neutral] * len(x) if level is None else _colours(level, cmap, style)
        ax.scatter(x, y, s=size, c=colors, linewidths=0, label=name, zorder=2)
    set_row_labels(ax, labels, style)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6, zorder=0)
    if any(level is not None for _, _, level in lines):
        value_colorbar(ax, style)
    decorate(ax, style, xlabel=attribution_label(exp))
    return Plot(ax)


def _colour_values(exp: LocalExplanation, j: int) -> np.ndarray | None:
    """The feature's values mapped to [0, 1] for the colour scale; None for categorical features."""
    if exp.feature_kinds[j] != "numeric":
        return None
    return normalized(np.asarray(exp.data[:, j], dtype=float))


def _colours(level: np.ndarray, cmap: Colormap, style: Style) -> list[Any]:
    """RGBA colour per dot; missing values in the neutral grey."""
    from matplotlib.colors import to_rgba

    grey = to_rgba(style.neutral)
    return [grey if not np.isfinite(v) else cmap(float(v)) for v in level]
