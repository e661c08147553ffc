"""Interaction heatmap: how strongly each pair of features interacts (mean |interaction value|)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import decorate, fit_ylabel, output_quantity, resolve_style, select_output, short_names
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .._interactions import InteractionExplanation, InteractionStrength

__all__ = ["interactions"]

_ANNOTATE_UP_TO = 12  # features: beyond this the numbers in the cells are too small to read


def interactions(
    exp: InteractionExplanation | InteractionStrength,
    *,
    max_display: int = 12,
    main_effects: bool = False,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw the mean ``|SHAP interaction value|`` of every pair of features as a heatmap.

    The features shown are those with the largest total interaction (the sum of their row off the
    diagonal), strongest first; each cell is labelled with its number when there are few. The
    matrix is symmetric: ``[i, j]`` and ``[j, i]`` each hold half of the pair's interaction, so
    the pair's whole interaction is twice a cell. The diagonal (the mean ``|main effect|``) is
    left blank unless ``main_effects=True``: main effects are usually far larger than
    interactions and would wash out the scale.

    Parameters
    ----------
    exp : InteractionExplanation or InteractionStrength
        Interaction values (``explainer.explain_interactions(X)``), or their ``to_global()``.
    max_display : int, default 12
        Most features drawn.
    main_effects : bool, default False
        Draw the diagonal too.
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
    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> import explain as ex
    >>> from explain.plots.interactions import interactions
    >>> X = np.random.default_rng(0).normal(size=(300, 3))
    >>> model = GradientBoostingRegressor(random_state=0).fit(X, X[:, 0] * X[:, 1] + X[:, 2])
    >>> inter = ex.Explainer(model, feature_names=["a", "b", "c"]).explain_interactions(X[:40])
    >>> plot = interactions(inter)
    >>> sorted(t.get_text() for t in plot.ax.get_yticklabels()[:2])  # the pair that interacts, first
    ['a', 'b']
    """
    from .._interactions import InteractionExplanation, InteractionStrength

    if isinstance(exp, InteractionExplanation):
        exp = exp.to_global()
    if not isinstance(exp, InteractionStrength):
        raise InputError(
            f"interactions was given a {type(exp).__name__}; pass interaction values "
            "(explainer.explain_interactions(X)) or their to_global()."
        )
    if isinstance(max_display, bool) or not isinstance(max_display, (int, np.integer)) or max_display < 1:
        raise InputError(f"max_display={max_display!r}; pass a positive number of features.")
    style = resolve_style(style)
    strength = select_output(exp, output)  # type: ignore[type-var]  # it has the outputs select_output reads
    matrix = np.asarray(strength.values, dtype=float)
    shown = _strongest_first(matrix, int(max_display))
    return Plot(_draw(matrix[np.ix_(shown, shown)], [strength.feature_names[j] for j in shown], strength,
                      main_effects, ax, style))  # fmt: skip


def _strongest_first(matrix: np.ndarray, max_display: int) -> np.ndarray:
    """The features of largest total interaction (off the diagonal), ties in feature order."""
    off = matrix.sum(axis=1) - np.diag(matrix)
    return np.argsort(-off, kind="stable")[:max_display]


def _draw(
    cells: np.ndarray, names: list[str], strength: Any, main_effects: bool, ax: Axes | None, style: Style
) -> Axes:
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure

    n = len(names)
    shown = cells.copy()
    if not main_effects:
        shown[np.diag_indices(n)] = np.nan  # drawn blank (the colormap's "bad" colour)
    if ax is None:
        side = max(style.figsize[1], 1.6 + 0.42 * n)
        ax = Figure(figsize=(side + 1.4, side), layout="constrained").add_subplot()
    cmap = LinearSegmentedColormap.from_list("explain_strength", ["#FFFFFF", style.importance]).with_extremes(
        bad="#EEEEEE"
    )
    top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
    image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=top if top > 0 else 1.0)
    labels = short_names(names, style.max_label_chars)
    ax.set_xticks(range(n), labels=labels, rotation=45 if n > 3 else 0, ha="right" if n > 3 else "center")
    ax.set_yticks(range(n), labels=labels)
    if n <= _ANNOTATE_UP_TO:
        for i in range(n):
            for j in range(n):
                if np.isfinite(shown[i, j]):
                    dark = top > 0 and shown[i, j] > 0.6 * top
                    ax.text(j, i, f"{shown[i, j]:.2g}", ha="center", va="center", fontsize=style.tick_size * 0.9,
                            color="white" if dark else "#333333")  # fmt: skip
    quantity = output_quantity(strength)
    bar = ax.figure.colorbar(image, ax=ax, aspect=30, pad=0.02, fraction=0.05)
    bar.set_label(fit_ylabel(f"mean |SHAP interaction value| ({quantity})", 36), fontsize=style.font_size)
    bar.ax.tick_params(labelsize=style.tick_size)
    bar.outline.set_visible(False)
    title = "Interaction strength" + ("" if main_effects else " (main effects not drawn)")
    decorate(ax, style, title=title)
    for spine in ("left", "bottom"):
        ax.spines[spine].set_visible(False)
    return ax
