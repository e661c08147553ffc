"""Feature effects: partial dependence with its ICE band, or a glass-box shape function."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import (
    check_explanation,
    decorate,
    fit_ylabel,
    format_value,
    new_axes,
    output_quantity,
    resolve_style,
    select_output,
    shorten,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .._effects import FeatureEffect
    from ..explanation import GlobalExplanation

__all__ = ["effects", "effects_grid"]

_RUG_POINTS = 1000


def effects(
    glob: GlobalExplanation,
    feature: str | tuple[str, str],
    *,
    output: str | int | None = None,
    data: Any = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw how the prediction moves with one feature: its partial dependence or shape function.

    Numeric features: the average effect as a line over the grid, the band between the
    ``lower`` and ``upper`` curves (for partial dependence, the 10th-90th percentiles of the
    individual ICE curves) shaded, and, given ``data``, a rug of the observed values along the
    bottom (it shows where the curve rests on data and where it extrapolates). A shape function
    is drawn as steps. Categorical features: one point per label with its band as an interval,
    and, given ``data``, each label's count under its name. A pair of features, such as
    ``feature=("age", "income")``, draws a glass-box model's pair term as a map of cells (see
    :func:`~explain.plots.pair_effect`).

    Parameters
    ----------
    glob : GlobalExplanation
        An explanation with ``effects`` (e.g. from ``method="partial_dependence"``).
    feature : str, or pair of str
        The feature whose effect to draw, or two features whose pair effect to draw.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    data : array-like, DataFrame or mapping, optional
        The feature's observed values (or a table with a column named ``feature``) for the rug.
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
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> import explain as ex
    >>> from explain.plots import effects
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X = X[["mean radius", "mean texture"]]
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> explainer = ex.Explainer(model, method="partial_dependence")
    >>> glob = explainer.explain_global(X[:60], features=["mean radius"])
    >>> plot = effects(glob, "mean radius", data=X)
    >>> plot.ax.get_ylabel()
    "Partial dependence (probability of class '1')"
    """
    check_explanation(glob, "effects", local=False)
    if not isinstance(feature, str):
        from .pair_effect import pair_effect

        return pair_effect(glob, feature, output=output, data=data, ax=ax, style=style)
    style = resolve_style(style)
    effect = glob.effect(feature)
    average, lower, upper = _effect_arrays(glob, effect, output)
    ax = new_axes(ax, style)
    values = None if data is None else _observed(data, feature)
    if _is_numeric(effect.grid):
        _draw_curve(ax, effect, average, lower, upper, style)
        if values is not None:
            _draw_rug(ax, values, style)
    else:
        _draw_points(ax, effect.grid, average, lower, upper, values, style)
    noun = {"partial_dependence": "Partial dependence", "shape_function": "Shape function"}.get(
        effect.kind, effect.kind.replace("_", " ").capitalize()
    )
    quantity = output_quantity(select_output(glob, output) if glob.n_outputs > 1 else glob)
    decorate(ax, style, xlabel=shorten(feature, 60), ylabel=fit_ylabel(f"{noun} ({quantity})", 50))
    return Plot(ax)


def effects_grid(
    glob: GlobalExplanation,
    features: Sequence[str] | None = None,
    *,
    max_panels: int = 6,
    output: str | int | None = None,
    data: Any = None,
    style: Style | None = None,
) -> Plot:
    """Draw several features' effects in a grid of panels (at most three per row).

    Parameters
    ----------
    glob : GlobalExplanation
    features : sequence of str, optional
        The features to draw; by default the ``max_panels`` most important features that have
        an effect, most important first. Pair effects are drawn one at a time by
        :func:`~explain.plots.pair_effect`.
    max_panels : int, default 6
    output, data, style
        As for :func:`effects`; ``data`` is a table with one column per feature.

    Returns
    -------
    Plot
        The Figure (shown in a notebook); it answers the Figure's methods as the Figure returned
        before did (``.axes``, ``.savefig``), and ``.ax`` is its first panel.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> import explain as ex
    >>> from explain.plots import effects_grid
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X = X[["mean radius", "mean texture", "worst smoothness"]]
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> glob = ex.Explainer(model, method="partial_dependence").explain_global(X[:60])
    >>> len(effects_grid(glob).axes)
    3
    """
    from matplotlib.figure import Figure

    check_explanation(glob, "effects_grid", local=False)
    style = resolve_style(style)
    if isinstance(features, str):
        raise InputError(f"features={features!r} is a string; pass a list of features: features=[{features!r}].")
    chosen = list(features) if features is not None else _most_important(glob, max_panels)
    pairs = [f for f in chosen if not isinstance(f, str)]
    if pairs:
        raise InputError(
            f"effects_grid draws one feature per panel on a shared scale; draw the pair effect of {pairs[0]!r} "
            f"with explain.plots.pair_effect(glob, {pairs[0]!r})."
        )
    if not chosen:
        raise InputError("this explanation has no feature effects; use method='partial_dependence' or a glass box.")
    ncols = min(3, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig = Figure(figsize=(3.3 * ncols, 2.7 * nrows), layout="constrained")
    # one y scale for all panels: the size of each effect is then comparable at a glance
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= len(chosen):
            ax.remove()
            continue
        effects(glob, chosen[i], output=output, data=data, ax=ax, style=style)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    handles, labels = next((a.get_legend_handles_labels() for a in axes if a.get_legend_handles_labels()[0]), ([], []))
    if handles:  # one legend for all panels, below them
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=style.tick_size, frameon=False)
    fig.supylabel(axes[0].get_ylabel(), fontsize=style.font_size)
    for ax in axes[: len(chosen)]:
        ax.set_ylabel("")
    return Plot(fig)


def _most_important(glob: GlobalExplanation, n: int) -> list[str]:
    """Features with an effect of their own, by decreasing importance (ties by feature order)."""
    with_effect = [e.feature for e in glob.effects if isinstance(e.feature, str)]
    imp = np.asarray(glob.importances, dtype=float)
    score = imp if imp.ndim == 1 else imp.mean(axis=1)
    rank = {name: -abs(score[i]) for i, name in enumerate(glob.feature_names)}
    return sorted(with_effect, key=lambda f: (rank.get(f, 0.0), with_effect.index(f)))[:n]


def _effect_arrays(
    glob: GlobalExplanation, effect: FeatureEffect, output: str | int | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The average and band of one output."""
    arrays = (effect.average, effect.lower, effect.upper)
    if effect.average.ndim == 1:
        if output is not None:
            glob._output_index(output)  # a wrong name is still an error
        return arrays
    if output is None:
        select_output(glob, None)  # raises, naming the outputs
    j = glob._output_index(output)  # type: ignore[arg-type]
    average, lower, upper = (None if a is None else a[:, j] for a in arrays)
    return average, lower, upper  # type: ignore[return-value]


def _is_numeric(grid: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in grid)


def _observed(data: Any, feature: str) -> np.ndarray:
    if hasattr(data, "columns") or isinstance(data, Mapping):
        if feature not in data:
            raise InputError(f"data has no column {feature!r} for the rug.")
        data = data[feature]
    values = np.asarray(data, dtype=object).ravel()
    if np.ndim(data) > 1:
        raise InputError(f"data of shape {np.shape(data)}: pass the feature's values (1-D) or a table.")
    return values


def _draw_curve(
    ax: Axes, effect: FeatureEffect, average: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None,
    style: Style,
) -> None:  # fmt: skip
    grid = np.asarray(effect.grid, dtype=float)
    # a shape function is constant between grid points, taking the value of the point above
    steps = "steps-pre" if effect.kind == "shape_function" else "default"
    if lower is not None and upper is not None:
        ax.fill_between(
            grid, lower, upper, color=style.importance, alpha=0.18, linewidth=0,
            step="pre" if steps != "default" else None,
            label="10th-90th percentile of ICE curves" if effect.kind == "partial_dependence" else "band",
        )  # fmt: skip
    ax.plot(grid, average, color=style.importance, linewidth=2.0, drawstyle=steps, label="average effect")
    if lower is not None:
        ax.legend(fontsize=style.tick_size, frameon=False)


def _draw_rug(ax: Axes, values: np.ndarray, style: Style) -> None:
    """Ticks along the bottom at observed values (at most 1000, at evenly spaced quantiles)."""
    from matplotlib.transforms import blended_transform_factory

    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])
    if len(x) > _RUG_POINTS:
        x = x[np.linspace(0, len(x) - 1, _RUG_POINTS).round().astype(int)]
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    ax.vlines(x, 0.0, 0.04, transform=transform, color="#333333", linewidth=0.5, alpha=0.6)


def _draw_points(
    ax: Axes, grid: Sequence[Any], average: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None,
    values: np.ndarray | None, style: Style,
) -> None:  # fmt: skip
    """One point per category, its band as an interval; counts under the labels when data is given."""
    x = np.arange(len(grid))
    yerr = None
    if lower is not None and upper is not None:
        yerr = np.vstack([average - lower, upper - average]).clip(min=0)
    ax.errorbar(x, average, yerr=yerr, fmt="o", color=style.importance, ecolor=style.importance, capsize=4)
    labels = [shorten(format_value(v, "categorical"), 20) for v in grid]
    if values is not None:
        observed = [format_value(v, "categorical") for v in values]
        counts = [observed.count(format_value(v, "categorical")) for v in grid]
        labels = [f"{label}\n(n={n})" for label, n in zip(labels, counts, strict=True)]
    ax.set_xticks(x, labels=labels, rotation=30 if len(grid) > 6 else 0)
    ax.set_xlim(-0.6, len(grid) - 0.4)
