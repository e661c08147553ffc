"""Bar chart: one row's contributions, or a global explanation's importances with their spread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..explanation import GlobalExplanation, LocalExplanation
from ._common import (
    attribution_label,
    decorate,
    feature_labels,
    importance_label,
    label_bars,
    new_axes,
    other_label,
    ranked,
    resolve_style,
    select_output,
    set_row_labels,
    short_names,
    signed,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["bar"]

_HEIGHT = 0.62


def bar(
    exp: LocalExplanation | GlobalExplanation,
    *,
    max_display: int = 15,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw contributions or importances as horizontal bars, largest on top.

    - A one-row :class:`~explain.LocalExplanation`: each feature's signed contribution,
      labelled "feature = value" (vermillion raises the prediction, blue lowers it).
    - A :class:`~explain.GlobalExplanation`: each feature's importance, with its spread (e.g.
      the standard deviation over rows or over permutation repeats) as error bars. The upper
      whisker reaches importance + spread; the lower one importance - spread, clipped at zero
      when the importances cannot be negative (a mean ``|attribution|``, a spread of effects),
      since a whisker below zero would show values that cannot occur. A permutation importance
      (a drop in score, which shuffling can make negative) or a set with a negative importance
      keeps both whiskers. The explanation holds no percentiles, so the whiskers are the
      clipped spread, not a 10th-90th percentile range.
    - A many-row LocalExplanation is drawn as its :meth:`~explain.LocalExplanation.to_global`
      summary: mean ``|attribution|`` with its standard deviation (lower whisker clipped at 0).

    Beyond ``max_display`` bars, the smallest features are summed into one grey
    "other N features" bar (it has no error bar).

    Parameters
    ----------
    exp : LocalExplanation or GlobalExplanation
    max_display : int, default 15
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
    >>> from explain.plots import bar
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:20])
    >>> plot = bar(local.to_global(), max_display=4)
    >>> [t.get_text() for t in plot.ax.get_yticklabels()]
    ['other 7 features', 's2', 's1', 's5']
    """
    style = resolve_style(style)
    if isinstance(exp, LocalExplanation):
        exp = select_output(exp, output)
        if exp.n_rows == 1:
            return Plot(_local_bar(exp, max_display, ax, style))
        exp = exp.to_global()
    if not isinstance(exp, GlobalExplanation):
        raise InputError(f"bar draws a LocalExplanation or a GlobalExplanation, not {type(exp).__name__}.")
    return Plot(_global_bar(select_output(exp, output), max_display, ax, style))


def _local_bar(exp: LocalExplanation, max_display: int, ax: Axes | None, style: Style) -> Axes:
    values = np.asarray(exp.values[0], dtype=float)
    shown, rest = ranked(values, max_display)
    labels = feature_labels(
        [exp.feature_names[j] for j in shown], exp.data[0, shown], [exp.feature_kinds[j] for j in shown], style
    )
    widths = list(values[shown])
    colors = [style.positive if w >= 0 else style.negative for w in widths]
    if len(rest):
        labels.append(other_label(len(rest)))
        widths.append(float(values[rest].sum()))
        colors.append(style.neutral)
    ax = new_axes(ax, style, len(labels), labels)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, widths, height=_HEIGHT, color=colors)
    label_bars(ax, y, np.zeros(len(widths)), np.array(widths), [signed(w) for w in widths], style)
    ax.margins(x=0.12)
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    set_row_labels(ax, labels, style)
    title = f"prediction {float(exp.predictions[0]):.4g}, base value {float(exp.base_values[0]):.4g}"
    return decorate(ax, style, xlabel=attribution_label(exp), title=title)


def _global_bar(glob: GlobalExplanation, max_display: int, ax: Axes | None, style: Style) -> Axes:
    importances = np.asarray(glob.importances, dtype=float)
    shown, rest = ranked(importances, max_display, signed=True)
    labels = short_names([glob.feature_names[j] for j in shown], style.max_label_chars)
    n = len(shown) + (1 if len(rest) else 0)
    ax = new_axes(ax, style, n, labels)
    y = np.arange(n)[::-1]
    spread = None if glob.spread is None else np.asarray(glob.spread, dtype=float)[shown]
    ax.barh(
        y[: len(shown)], importances[shown], height=_HEIGHT, color=style.importance,
        xerr=None if spread is None else _whiskers(importances[shown], spread, _non_negative(glob)),
        error_kw={"ecolor": "#333333", "elinewidth": 1.0, "capsize": 2.5},
    )  # fmt: skip
    _value_labels(ax, y[: len(shown)], importances[shown], spread, style)
    if len(rest):
        labels.append(other_label(len(rest)))
        other = float(importances[rest].sum())
        ax.barh(y[-1:], [other], height=_HEIGHT, color=style.neutral)
        _value_labels(ax, y[-1:], np.array([other]), None, style)
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    set_row_labels(ax, labels, style)
    return decorate(ax, style, xlabel=importance_label(glob))


def _non_negative(glob: GlobalExplanation) -> bool:
    """Whether the importances cannot fall below zero: a mean |attribution| or a spread of
    effects can't; a permutation importance (a drop in score) or a signed coefficient can."""
    return glob.kind != "permutation" and bool(np.all(np.nan_to_num(np.asarray(glob.importances, dtype=float)) >= 0))


def _whiskers(widths: np.ndarray, spread: np.ndarray, non_negative: bool) -> np.ndarray:
    """Error bar lengths (2, n): below and above each bar; the lower one stops at zero when the
    importance cannot be negative."""
    below = np.minimum(spread, np.maximum(widths, 0.0)) if non_negative else spread
    return np.vstack([below, spread])


def _value_labels(ax: Axes, y: np.ndarray, widths: np.ndarray, spread: np.ndarray | None, style: Style) -> None:
    """The number at the end of each bar (beyond its error bar), so no one has to read the axis."""
    reach = np.zeros_like(widths) if spread is None else np.nan_to_num(spread)
    for yi, w, s in zip(y, widths, reach, strict=True):
        end = w + s if w >= 0 else w - s
        ax.annotate(
            f"{w:.3g}".replace("-", "\u2212"), xy=(end, yi),
            xytext=(3 if w >= 0 else -3, 0), textcoords="offset points",
            ha="left" if w >= 0 else "right", va="center", fontsize=style.tick_size,
        )  # fmt: skip
    ax.margins(x=0.12)
