"""Heatmap: every row's attributions as colours, rows side by side, similar rows together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import InputError
from ._columns import top_columns
from ._common import (
    attribution_label,
    check_explanation,
    decorate,
    fit_ylabel,
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

__all__ = ["heatmap"]

_ORDERS = ("clustering", "prediction", "input")
_ROW_NUMBERS_UP_TO = 40  # rows: beyond this their numbers under the columns cannot be read
_STRIP_LINES = 4  # the strip of predictions above the cells takes the height of about 4 lines


def heatmap(
    exp: LocalExplanation,
    *,
    order: Literal["clustering", "prediction", "input"] | Sequence[int] = "clustering",
    max_display: int = 10,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw many rows' attributions as a heatmap: one column per row, one line per feature.

    Each cell is one row's attribution for one feature: vermillion raises the prediction, blue
    lowers it, white is zero (the colour scale is symmetric and stops at the 99th percentile of
    ``|attribution|``, so that one extreme cell does not wash out the rest). Features are sorted
    by mean ``|attribution|``, most important on top; beyond ``max_display`` lines the rest are
    summed per row into "other N features". Above the cells, each row's prediction is drawn
    against the base value, so groups of rows that are predicted alike for the same reasons
    stand out.

    Parameters
    ----------
    exp : LocalExplanation
    order : {"clustering", "prediction", "input"} or sequence of int, default "clustering"
        The order of the rows (columns of the heatmap): ``"clustering"`` puts rows with similar
        attributions next to each other (hierarchical clustering of the attributions of every
        feature, complete linkage on Euclidean distances, with optimal leaf ordering:
        :func:`scipy.cluster.hierarchy.linkage`, so the same explanation gives the same order);
        ``"prediction"`` sorts them by prediction, lowest first; ``"input"`` keeps them as
        given; a sequence of every row position, each once, gives the order itself.
    max_display : int, default 10
        Most feature lines drawn, the "other N features" line included.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    ax : matplotlib Axes, optional
        Where to draw the cells (the predictions go in a strip above it); by default a new
        Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes of the cells (``.ax``), shown as its figure in a notebook; its image holds the
        attributions drawn, shape ``(lines, rows)``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> from explain.plots import heatmap
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:30])
    >>> plot = heatmap(local, max_display=5)
    >>> plot.ax.get_images()[0].get_array().shape  # 5 lines (4 features and "other"), 30 rows
    (5, 30)
    >>> [t.get_text() for t in plot.ax.get_yticklabels()][::-1]
    ['s5', 's1', 'bmi', 's2', 'other 6 features']
    """
    check_explanation(exp, "heatmap", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    rows = _row_order(exp, order)
    columns = top_columns(exp, max_display)
    cells = columns.values[rows].T  # (lines, rows): the first line is the most important
    labels = short_names(columns.names, style.max_label_chars)
    ax = _cells_axes(ax, style, len(labels), labels)
    _draw_cells(ax, cells, attribution_label(exp), style)
    set_row_labels(ax, labels, style)
    _row_ticks(ax, rows, style)
    _draw_predictions(ax, exp, rows, style)
    what = {"clustering": "clustered by their attributions", "prediction": "by prediction", "input": "as given"}
    named = order if isinstance(order, str) else "given"
    decorate(ax, style, xlabel=f"Rows ({what.get(named, 'in the order given')})")
    return Plot(ax)


def _row_order(exp: LocalExplanation, order: object) -> np.ndarray:
    """The positions of the rows in the order they are drawn."""
    n = exp.n_rows
    if isinstance(order, str):
        if order not in _ORDERS:
            raise InputError(f"order={order!r}; choose one of {list(_ORDERS)} or pass the row positions in order.")
        if order == "input" or n < 3:
            return np.arange(n)
        if order == "prediction":
            return np.argsort(np.asarray(exp.predictions, dtype=float), kind="stable")
        return _clustered(np.asarray(exp.values, dtype=float))
    try:
        positions = np.asarray(order)
    except (TypeError, ValueError):
        positions = np.asarray([], dtype=float)
    if positions.ndim != 1 or positions.dtype.kind not in "iu" or sorted(positions.tolist()) != list(range(n)):
        raise InputError(
            f"order={order!r}; pass 'clustering', 'prediction', 'input', or every row position from 0 to "
            f"{n - 1} once, in the order to draw them."
        )
    return positions.astype(np.intp)


def _clustered(values: np.ndarray) -> np.ndarray:
    """Rows in the leaf order of a hierarchical clustering of their attributions (optimal ordering)."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    flat = values.reshape(values.shape[0], -1)
    if np.ptp(flat, axis=0).max(initial=0.0) == 0.0:  # all rows alike: nothing to cluster
        return np.arange(flat.shape[0])
    tree = linkage(flat, method="complete", metric="euclidean", optimal_ordering=True)
    return np.asarray(leaves_list(tree), dtype=np.intp)


def _cells_axes(ax: Axes | None, style: Style, n_lines: int, labels: list[str]) -> Axes:
    """``ax``, or a new Figure's Axes with room for the lines and, above them, the predictions."""
    if ax is not None:
        return ax
    return new_axes(None, style, n_lines + _STRIP_LINES, labels)


def _draw_cells(ax: Axes, cells: np.ndarray, label: str, style: Style) -> None:
    """The attributions as an image, on a symmetric scale with its colorbar."""
    magnitude = np.abs(cells[np.isfinite(cells)])
    limit = float(np.percentile(magnitude, 99)) if magnitude.size else 0.0
    limit = limit if limit > 0 else (float(magnitude.max()) if magnitude.size and magnitude.max() > 0 else 1.0)
    n_lines = cells.shape[0]
    # origin "upper": the image's first line (the most important feature) on top, at y = n_lines - 1
    image = ax.imshow(
        cells, aspect="auto", interpolation="nearest", cmap=style.attribution_cmap(), vmin=-limit, vmax=limit,
        origin="upper", extent=(-0.5, cells.shape[1] - 0.5, -0.5, n_lines - 0.5),
    )  # fmt: skip
    low, high = (np.min(cells), np.max(cells)) if cells.size else (0.0, 0.0)
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[
        (bool(low < -limit), bool(high > limit))
    ]
    bar = ax.figure.colorbar(image, ax=ax, aspect=30, pad=0.015, fraction=0.04, extend=extend)
    bar.set_label(fit_ylabel(label, 36), fontsize=style.font_size)
    bar.ax.tick_params(labelsize=style.tick_size)
    bar.outline.set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)


def _row_ticks(ax: Axes, rows: np.ndarray, style: Style) -> None:
    """The rows' own positions under their columns, when there are few enough to read."""
    if len(rows) > _ROW_NUMBERS_UP_TO:
        ax.set_xticks([])
        return
    ax.set_xticks(np.arange(len(rows)), labels=[str(r) for r in rows], fontsize=style.tick_size * 0.85)
    ax.tick_params(axis="x", length=0, rotation=90 if len(rows) > 20 else 0)


def _draw_predictions(ax: Axes, exp: LocalExplanation, rows: np.ndarray, style: Style) -> None:
    """Each row's prediction in a strip above the cells, against the base value."""
    top = ax.inset_axes((0.0, 1.04, 1.0, 0.22), sharex=ax)
    x = np.arange(len(rows))
    prediction = np.asarray(exp.predictions, dtype=float)[rows]
    base = float(np.mean(np.asarray(exp.base_values, dtype=float)))
    top.fill_between(x, base, prediction, where=prediction >= base, step="mid", color=style.positive, alpha=0.3,
                     linewidth=0)  # fmt: skip
    top.fill_between(x, base, prediction, where=prediction < base, step="mid", color=style.negative, alpha=0.3,
                     linewidth=0)  # fmt: skip
    top.plot(x, prediction, color="#333333", linewidth=1.2, drawstyle="steps-mid", label="prediction")
    top.axhline(base, color=style.neutral, linestyle="--", linewidth=0.8, label="base value")
    top.tick_params(axis="x", labelbottom=False, length=0)
    top.set_ylabel("prediction", fontsize=style.tick_size)
    number = f"{base:.4g}".replace("-", "\u2212")
    # short lines: a title that reaches past the Axes would push the colorbar away from the cells
    top.set_title(f"Model output ({output_quantity(exp)})\ndashed: base value {number}", fontsize=style.title_size,
                  loc="left")  # fmt: skip
    decorate(top, style)
    top.spines["bottom"].set_visible(False)
