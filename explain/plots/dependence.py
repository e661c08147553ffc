"""Dependence: a feature's value against its attribution, optionally coloured by another feature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import (
    attribution_label,
    check_explanation,
    decorate,
    fit_ylabel,
    format_value,
    new_axes,
    normalized,
    resolve_style,
    select_output,
    shorten,
    swarm_offsets,
    value_colorbar,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .._interactions import InteractionExplanation
    from ..explanation import LocalExplanation

__all__ = ["dependence"]


def dependence(
    exp: LocalExplanation | InteractionExplanation,
    feature: str | int,
    *,
    color_by: str | int | None = None,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw each row's value of ``feature`` against that feature's attribution.

    The spread of the dots at one value shows interactions: other features change how much the
    same value contributes. ``color_by`` colours the dots by another feature (numeric: a
    low-to-high scale; categorical: one colour per label, with a legend) to find the partner.
    Given an :class:`~explain.InteractionExplanation`, the SHAP values it sums to are drawn,
    coloured by default by the feature that interacts most with ``feature`` (its ``strongest``).
    A categorical ``feature`` is drawn as one column of dots per label, the labels in sorted order
    (an explanation keeps the rows' values, not a pandas Categorical's declared order of its
    categories); rows whose numeric value is missing have no place on the x axis and are left out.

    Parameters
    ----------
    exp : LocalExplanation or InteractionExplanation
    feature : str or int
        The feature to draw (a name or its position).
    color_by : str or int, optional
        Another feature to colour the dots by (for interaction values: their strongest partner).
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
    >>> from explain.plots import dependence
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:40])
    >>> plot = dependence(local, "bmi", color_by="age")
    >>> plot.ax.get_xlabel()
    'bmi'
    """
    from .._interactions import InteractionExplanation

    if isinstance(exp, InteractionExplanation):
        if color_by is None and exp.n_features > 1:
            color_by = exp.strongest(feature, output=output)
        exp = exp.shap_values()
    check_explanation(exp, "dependence", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    j = _feature(exp, feature)
    attributions = np.asarray(exp.values[:, j], dtype=float)
    ax = new_axes(ax, style)
    ax.axhline(0.0, color="#555555", linewidth=0.8, zorder=0)
    if exp.feature_kinds[j] == "numeric":
        x = np.asarray(exp.data[:, j], dtype=float)
    else:
        x = _category_positions(ax, exp.data[:, j], attributions, style)
    colors = _colours(ax, exp, color_by, style)
    keep = np.isfinite(x)
    ax.scatter(x[keep], attributions[keep], s=16, c=[c for c, k in zip(colors, keep, strict=True) if k], linewidths=0)
    name = exp.feature_names[j]
    decorate(ax, style, xlabel=shorten(name, 60), ylabel=fit_ylabel(attribution_label(exp, feature=name)))
    return Plot(ax)


def _feature(exp: LocalExplanation, feature: str | int) -> int:
    j = exp._feature_index(feature)
    if not 0 <= j < exp.n_features:
        raise InputError(f"feature={feature!r} is out of range; there are {exp.n_features} features.")
    return j


def _category_positions(ax: Axes, column: np.ndarray, attributions: np.ndarray, style: Style) -> np.ndarray:
    """One x position per label (in sorted order: the explanation does not carry a declared order of
    categories), dots spread sideways so they do not hide each other."""
    labels = np.array([format_value(v, "categorical") for v in column], dtype=object)
    names = sorted(set(labels))
    x = np.array([names.index(v) for v in labels], dtype=float)
    for i in range(len(names)):
        here = x == i
        x[here] += swarm_offsets(attributions[here], width=0.3, n_bins=40)
    ax.set_xticks(range(len(names)), labels=[shorten(n, 20) for n in names], rotation=30 if len(names) > 6 else 0)
    return x


def _colours(ax: Axes, exp: LocalExplanation, color_by: str | int | None, style: Style) -> list[Any]:
    """A colour per row: one colour, a low-to-high scale of a numeric feature, or one per label."""
    if color_by is None:
        return [style.importance] * exp.n_rows
    k = _feature(exp, color_by)
    name = exp.feature_names[k]
    if exp.feature_kinds[k] == "numeric":
        from matplotlib.colors import to_rgba

        cmap = style.value_cmap()
        level = normalized(np.asarray(exp.data[:, k], dtype=float))
        value_colorbar(ax, style, label=shorten(name, 40))
        return [to_rgba(style.neutral) if not np.isfinite(v) else cmap(float(v)) for v in level]
    labels = [format_value(v, "categorical") for v in exp.data[:, k]]
    names = sorted(set(labels))
    palette = {n: style.palette[i % len(style.palette)] for i, n in enumerate(names)}
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", linestyle="", color=palette[n], label=shorten(n, 20)) for n in names]
    ax.legend(
        handles=handles, title=shorten(name, 30), fontsize=style.tick_size, title_fontsize=style.tick_size,
        frameon=False,
    )  # fmt: skip
    return [palette[v] for v in labels]
