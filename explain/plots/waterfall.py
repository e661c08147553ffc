"""Waterfall: how one row's prediction is built from the base value, one feature at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._common import (
    check_explanation,
    check_row,
    decorate,
    feature_labels,
    label_bars,
    new_axes,
    other_label,
    output_quantity,
    ranked,
    resolve_style,
    select_output,
    set_row_labels,
    signed,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import LocalExplanation

__all__ = ["waterfall"]

_HEIGHT = 0.62


def waterfall(
    exp: LocalExplanation,
    row: int = 0,
    *,
    max_display: int = 10,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw one row's explanation as a waterfall from the base value to the prediction.

    Each bar is one feature's contribution, starting where the previous one ended: the bottom
    bar starts at the base value (the prediction with no feature known) and the top bar ends at
    the prediction (exactly so for Shapley values, which add up). Features are sorted by
    ``|contribution|``, largest at the top; beyond ``max_display`` rows the smallest are summed
    into one "other N features" bar. Rows are labelled "feature = value". An explanation of a
    selection of features (``local[:, ["age", "income"]]``) always ends in that bar: the features
    left out (its ``remainder``) are in it, so the bars still reach the prediction.

    Parameters
    ----------
    exp : LocalExplanation
    row : int, default 0
        The row to draw.
    max_display : int, default 10
        Most bars drawn, the "other N features" bar included.
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
    >>> from explain.plots import waterfall
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:3])
    >>> plot = waterfall(local, row=0, max_display=5)
    >>> [t.get_text() for t in plot.ax.get_yticklabels()][::-1]
    ['bmi = 0.0617', 's1 = -0.04422', 's5 = 0.01991', 'sex = 0.05068', 'other 6 features']
    """
    check_explanation(exp, "waterfall", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    r = check_row(exp, row)
    values = np.asarray(exp.values[r], dtype=float)
    shown, rest = ranked(values, max_display)
    left_out = 0 if exp.remainder is None else len(exp.features_left_out)
    if left_out:  # the "other" bar is drawn anyway: the rest of the rows go to the features
        order = np.concatenate([shown, rest])
        shown, rest = order[: max(max_display - 1, 1)], order[max(max_display - 1, 1) :]
    labels = feature_labels(
        [exp.feature_names[j] for j in shown], exp.data[r, shown], [exp.feature_kinds[j] for j in shown], style
    )
    widths = list(values[shown])
    if len(rest) or left_out:
        labels.append(other_label(len(rest) + left_out))
        widths.append(float(values[rest].sum()) + (float(exp.remainder[r]) if left_out else 0.0))  # type: ignore[index]
    ax = new_axes(ax, style, len(labels) + 1, labels)
    base, prediction = float(exp.base_values[r]), float(exp.predictions[r])
    _draw_steps(ax, base, np.array(widths[::-1]), style)
    set_row_labels(ax, labels, style)
    _mark_ends(ax, base, prediction, len(labels), style)
    decorate(ax, style, xlabel=f"Model output ({output_quantity(exp)})")
    return Plot(ax)


def _draw_steps(ax: Axes, base: float, widths: np.ndarray, style: Style) -> None:
    """Bars bottom to top, each starting where the one below ended, joined by thin lines."""
    y = np.arange(len(widths))
    starts = base + np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    ends = starts + widths
    colors = [style.positive if w >= 0 else style.negative for w in widths]
    ax.barh(y, widths, left=starts, height=_HEIGHT, color=colors)
    half = _HEIGHT / 2
    ax.vlines(ends[:-1], y[:-1] + half, y[1:] - half, colors=style.neutral, linewidth=0.8)
    label_bars(ax, y, starts, widths, [signed(w) for w in widths], style)
    # floating bars: their left ends must not pin the x-limits (matplotlib's "sticky edges")
    ax.use_sticky_edges = False
    ax.margins(x=0.2)


def _mark_ends(ax: Axes, base: float, prediction: float, n: int, style: Style) -> None:
    """Dashed lines at the base value (below the bars) and at the prediction (above them)."""
    marks = ((base, -0.75, "base value"), (prediction, n - 0.3, "prediction"))
    for x, y, name in marks:
        text = f"{name} = {x:.4g}".replace("-", "\u2212")
        ax.axvline(x, color=style.neutral, linestyle="--", linewidth=0.8, zorder=0)
        ax.text(x, y, text, ha="center", va="center", fontsize=style.tick_size, color="#333333")
    ax.set_ylim(-1.1, n + 0.05)
