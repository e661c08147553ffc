"""A pair effect: a glass-box model's term of two features, as a map of cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import (
    check_explanation,
    decorate,
    fit_ylabel,
    format_value,
    output_quantity,
    resolve_style,
    select_output,
    shorten,
)
from ._display import Plot
from ._style import Style
from .partial_dependence_2d import _draw_cells, _draw_rows

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .._effects import FeatureEffect
    from ..explanation import GlobalExplanation

__all__ = ["pair_effect"]


def pair_effect(
    glob: GlobalExplanation,
    features: Sequence[str],
    *,
    output: str | int | None = None,
    data: Any = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw the effect of two features together: a glass-box model's pair term, as cells.

    Each cell is the term's value with the first feature at its x value and the second at its y
    value (one cell per grid point, edges halfway between them), coloured from the negative
    colour through white (zero) to the positive one on a scale symmetric about zero: the term
    pushes the prediction down in blue cells, up in vermillion ones. The term is the model's
    own, added to the two features' shape functions (``plots.effects``); where its colour
    changes along one axis only, it is a main effect the pair term carries; where it changes
    along both, the features interact. Given ``data``, the rows' own pairs of values are drawn
    as small dots (at most 500): away from them the model has seen no data.

    Parameters
    ----------
    glob : GlobalExplanation
        An explanation with pair effects (``explain_global`` of an EBM with interactions, or of
        an :mod:`explain.glassbox` model with ``interactions``).
    features : pair of str
        The feature drawn across (x) and the one drawn up (y); either order.
    output : str or int, optional
        The output (class) to draw; needed when the explanation has several.
    data : DataFrame or mapping, optional
        A table with both features' columns, for the dots of observed pairs.
    ax : matplotlib Axes, optional
        Where to draw; by default a new Figure (not registered with pyplot) is made.
    style : Style, optional

    Returns
    -------
    Plot
        The Axes drawn on (``.ax``), shown as its figure in a notebook.

    Examples
    --------
    >>> import explain as ex
    >>> from explain._effects import FeatureEffect
    >>> from explain.explanation import GlobalExplanation
    >>> from explain.plots import pair_effect
    >>> term = FeatureEffect(("age", "income"), "pair_shape_function", ((20, 40, 60), (1.0, 2.0)),
    ...                      [[0.2, -0.1], [0.0, 0.0], [-0.3, 0.4]])
    >>> glob = GlobalExplanation([0.1, 0.2], None, ("age", "income"), ("1",), "log_odds",
    ...                          "mean_abs_attribution", "glassbox", effects=(term,))
    >>> plot = pair_effect(glob, ("age", "income"))
    >>> plot.ax.get_xlabel(), plot.ax.get_ylabel()
    ('age', 'income')
    """
    check_explanation(glob, "pair_effect", local=False)
    style = resolve_style(style)
    pair = _pair(features)
    effect, flipped = _find(glob, pair)
    table = _table(glob, effect, output)  # (grid of the first feature, grid of the second)
    grids = effect.grid[::-1] if flipped else effect.grid
    surface = table if flipped else table.T  # rows: y, columns: x
    if ax is None:
        from matplotlib.figure import Figure

        width, height = style.figsize
        ax = Figure(figsize=(width * 0.85, max(height, 4.2)), layout="constrained").add_subplot()
    numeric = [_is_numeric(g) for g in grids]
    positions = [np.asarray(g, dtype=float) if num else np.arange(len(g), dtype=float)
                 for g, num in zip(grids, numeric, strict=True)]  # fmt: skip
    mesh = _draw_cells(ax, positions[0], positions[1], surface, style)
    limit = float(np.nanmax(np.abs(surface))) if np.isfinite(surface).any() else 0.0
    mesh.set_cmap(style.attribution_cmap())  # a term is signed: zero is white, as attributions are drawn
    mesh.set_clim(-limit or -1.0, limit or 1.0)
    if data is not None:
        _draw_rows(ax, tuple(_observed(data, f) for f in pair), tuple(np.asarray(g, dtype=object) for g in grids),
                   numeric)  # fmt: skip
    for axis, grid, num in zip((ax.xaxis, ax.yaxis), grids, numeric, strict=True):
        if not num:
            axis.set_ticks(np.arange(len(grid)), labels=[shorten(format_value(v, "categorical"), 16) for v in grid])
    quantity = output_quantity(select_output(glob, output) if glob.n_outputs > 1 else glob)
    bar = ax.figure.colorbar(mesh, ax=ax, aspect=30, pad=0.02, fraction=0.05)
    bar.set_label(fit_ylabel(f"Pair term ({quantity})", 36), fontsize=style.font_size)
    bar.ax.tick_params(labelsize=style.tick_size)
    bar.outline.set_visible(False)
    decorate(ax, style, xlabel=shorten(pair[0], 60), ylabel=shorten(pair[1], 60))
    return Plot(ax)


def _pair(features: Any) -> tuple[str, str]:
    if (
        isinstance(features, str)
        or not isinstance(features, Sequence)
        or len(features) != 2
        or not all(isinstance(f, str) for f in features)
        or features[0] == features[1]
    ):
        raise InputError(f"features={features!r}; pass two different feature names, e.g. ('age', 'income').")
    return features[0], features[1]


def _find(glob: GlobalExplanation, pair: tuple[str, str]) -> tuple[FeatureEffect, bool]:
    """The pair's effect, and whether it is stored the other way round."""
    for effect in glob.effects:
        if effect.is_pair and set(effect.features) == set(pair):
            return effect, effect.features != pair
    known = [e.feature for e in glob.effects if e.is_pair]
    if not known:
        raise InputError(
            f"this explanation has no pair effects, so none for {pair}; they come from explain_global of a "
            "glass-box model with pair terms (an EBM with interactions, or explain.glassbox with interactions=)."
        )
    raise InputError(f"no pair effect was computed for {pair}; pair effects exist for {known}.")


def _table(glob: GlobalExplanation, effect: FeatureEffect, output: str | int | None) -> np.ndarray:
    """The effect's table of one output."""
    if effect.average.ndim == 2:
        if output is not None:
            glob._output_index(output)  # a wrong name is still an error
        return np.asarray(effect.average)
    if output is None:
        select_output(glob, None)  # raises, naming the outputs
    j = glob._output_index(output)  # type: ignore[arg-type]
    return np.asarray(effect.average[:, :, j])


def _is_numeric(grid: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in grid)


def _observed(data: Any, feature: str) -> np.ndarray:
    if not (hasattr(data, "columns") or isinstance(data, Mapping)):
        raise InputError("data should be a table (a DataFrame or a mapping) with both features' columns.")
    if feature not in data:
        raise InputError(f"data has no column {feature!r} for the observed pairs.")
    return np.asarray(data[feature], dtype=object).ravel()
