"""Decision plot: each row's path from the base value to its prediction, one feature at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._columns import top_columns
from ._common import (
    check_explanation,
    check_row,
    decorate,
    feature_labels,
    new_axes,
    output_quantity,
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

__all__ = ["decision"]


def decision(
    exp: LocalExplanation,
    rows: int | Sequence[int] | slice | None = None,
    *,
    max_display: int = 15,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw each row's way from the base value to its prediction as one line (a decision plot).

    Read from the bottom up: every line starts at its row's base value, moves right or left by
    each feature's attribution as it crosses that feature's band, and ends at the top at the
    row's prediction (exactly so for Shapley values, which add up). Features are sorted by mean
    ``|attribution|`` over the rows drawn, most important on top, so the lines fan out near the
    top where the features that decide are; beyond ``max_display`` bands the rest are summed into
    one "other N features" band at the bottom. Lines are coloured by their prediction, blue below
    the base value and vermillion above it. Many lines that run together show rows decided for
    the same reasons; a line that breaks away shows a row decided differently.

    Parameters
    ----------
    exp : LocalExplanation
    rows : int, sequence of int or slice, optional
        The rows to draw (positions); every row by default.
    max_display : int, default 15
        Most feature bands drawn, the "other N features" band included.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook; its first collection
        holds one line per row.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> from explain.plots import decision
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:30])
    >>> plot = decision(local, rows=range(10), max_display=5)
    >>> len(plot.ax.collections[0].get_paths())  # one line per row
    10
    >>> [t.get_text() for t in plot.ax.get_yticklabels()][::-1]
    ['s5', 's1', 'bmi', 's2', 'other 6 features']
    """
    check_explanation(exp, "decision", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    exp = exp[_rows(exp, rows)]
    columns = top_columns(exp, max_display, remainder=True)
    if exp.n_rows == 1:  # one row: its values beside the names, as in the waterfall
        shown = [j for j in columns.features if j >= 0]
        labels = feature_labels([exp.feature_names[j] for j in shown], list(exp.data[0, shown]),
                                [exp.feature_kinds[j] for j in shown], style)  # fmt: skip
        labels += short_names(columns.names[len(shown) :], style.max_label_chars)
    else:
        labels = short_names(columns.names, style.max_label_chars)
    ax = new_axes(ax, style, len(labels) + 1.5, labels)
    base = np.asarray(exp.base_values, dtype=float)
    _draw_paths(ax, base, columns.values[:, ::-1], style)  # bottom band first
    set_row_labels(ax, labels, style)
    _mark_base(ax, base, len(labels), style)
    decorate(ax, style, xlabel=f"Model output ({output_quantity(exp)})")
    return Plot(ax)


def _rows(exp: LocalExplanation, rows: int | Sequence[int] | slice | None) -> list[int]:
    """The positions of the rows asked for, checked."""
    if rows is None:
        return list(range(exp.n_rows))
    if isinstance(rows, slice):
        chosen = list(range(exp.n_rows))[rows]
    elif isinstance(rows, (int, np.integer)) and not isinstance(rows, bool):
        chosen = [check_row(exp, rows)]
    elif isinstance(rows, (str, bytes)) or not isinstance(rows, (Sequence, range, np.ndarray)):
        raise InputError(f"rows={rows!r}; pass a row position, a list of row positions, a slice, or None for all.")
    else:
        chosen = [check_row(exp, r) for r in rows]
    if not chosen:
        raise InputError(f"rows={rows!r} selects no row; this explanation has {exp.n_rows} rows.")
    return chosen


def _draw_paths(ax: Axes, base: np.ndarray, steps: np.ndarray, style: Style) -> None:
    """One line per row through the band boundaries (y = -0.5, 0.5, ...), coloured by its end."""
    from matplotlib.collections import LineCollection

    n_rows, n_bands = steps.shape
    x = base[:, None] + np.concatenate([np.zeros((n_rows, 1)), np.cumsum(steps, axis=1)], axis=1)
    y = np.arange(n_bands + 1) - 0.5
    ends = x[:, -1]
    centre = float(np.mean(base))
    norm = _centred_norm(ends, centre)
    alpha = float(np.clip(12.0 / np.sqrt(n_rows), 0.25, 1.0))
    paths = LineCollection([np.column_stack([row, y]) for row in x], cmap=style.value_cmap(), norm=norm,
                           linewidths=1.2, alpha=alpha, zorder=2)  # fmt: skip
    paths.set_array(ends)
    ax.add_collection(paths)
    ax.scatter(ends, np.full(n_rows, y[-1]), c=ends, cmap=style.value_cmap(), norm=norm, s=10, zorder=3,
               linewidths=0)  # fmt: skip
    ax.autoscale_view()
    ax.margins(x=0.08)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6, zorder=0)
    if n_rows == 1:
        return
    bar = ax.figure.colorbar(paths, ax=ax, aspect=40, pad=0.015, fraction=0.04)
    bar.set_alpha(1.0)
    bar.ax.set_ylim(min(float(ends.min()), centre), max(float(ends.max()), centre))  # only what was predicted
    bar.set_label("prediction", fontsize=style.font_size)
    bar.ax.tick_params(labelsize=style.tick_size)
    bar.outline.set_visible(False)


def _centred_norm(ends: np.ndarray, centre: float) -> Any:
    """Colours from the lowest prediction (blue) through the base value (the ramp's middle) to the
    highest (vermillion): each side of the base value takes its own half of the ramp."""
    from matplotlib.colors import TwoSlopeNorm

    low, high = float(np.min(ends)), float(np.max(ends))
    reach = max(centre - low, high - centre) or 1.0
    low = low if low < centre else centre - reach  # all on one side: the other half mirrors it
    high = high if high > centre else centre + reach
    return TwoSlopeNorm(vcenter=centre, vmin=low, vmax=high)


def _mark_base(ax: Axes, base: np.ndarray, n_bands: int, style: Style) -> None:
    """A dashed line at the base value, named below the bands."""
    centre = float(np.mean(base))
    same = bool(np.allclose(base, centre))
    number = f"{centre:.4g}".replace("-", "\u2212")
    ax.axvline(centre, color=style.neutral, linestyle="--", linewidth=0.8, zorder=1)
    ax.text(centre, -0.9, f"base value = {number}" if same else f"mean base value = {number}", ha="center",
            va="center", fontsize=style.tick_size, color="#333333")  # fmt: skip
    ax.set_ylim(-1.2, n_bands - 0.5 + 0.15)
