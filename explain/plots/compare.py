"""Compare: two explanations of the same rows side by side, with how far they agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..metrics import rank_correlation, top_k_jaccard
from ._common import (
    check_explanation,
    check_row,
    decorate,
    new_axes,
    other_label,
    output_quantity,
    ranked,
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

__all__ = ["compare"]

_HEIGHT = 0.38


def compare(
    a: LocalExplanation,
    b: LocalExplanation,
    *,
    row: int | None = None,
    max_display: int = 15,
    k: int = 5,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw two explanations of the same rows as grouped bars, with their agreement in the title.

    With ``row=None`` each feature's mean ``|attribution|`` over the rows is drawn, and the title
    gives the mean over rows of the Spearman rank correlation and of the top-``k`` Jaccard
    overlap (:func:`explain.metrics.rank_correlation`, :func:`explain.metrics.top_k_jaccard`);
    with ``row=i`` the signed attributions of that row and its own agreement. Features are
    sorted by the larger of the two bars; beyond ``max_display`` groups the rest are summed
    into "other N features".

    Parameters
    ----------
    a, b : LocalExplanation
        Explanations of the same rows and outputs, in the same output space (e.g. SHAP and LIME
        both in probability: ``Explainer(..., output="probability")``).
    row : int, optional
        One row to compare; all rows by default.
    max_display : int, default 15
        Most groups drawn, the "other N features" group included.
    k : int, default 5
        Size of the top-k sets of the Jaccard overlap.
    output : str or int, optional
        The output (class) to draw; needed when the explanations have several.
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
    >>> from explain.plots import compare
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = LinearRegression().fit(X, y)
    >>> a = ex.Explainer(model, background=X[:50]).explain_local(X[:10])
    >>> b = ex.Explainer(model, background=X[:50], method="exact_shap").explain_local(X[:10])
    >>> plot = compare(a, b, max_display=5)
    >>> plot.ax.get_title().startswith("Spearman")
    True
    """
    check_explanation(a, "compare", local=True)
    check_explanation(b, "compare", local=True)
    style = resolve_style(style)
    a, b = select_output(a, output), select_output(b, output)
    if a.output_space != b.output_space:
        raise InputError(
            f"the explanations are in different output spaces ({a.output_space!r} vs {b.output_space!r}), "
            "so their bars would not share units; explain both with the same Explainer(..., output=...)."
        )
    rho, jaccard = rank_correlation(a, b), top_k_jaccard(a, b, k=k)
    if row is None:
        va, vb = np.abs(a.values).mean(axis=0), np.abs(b.values).mean(axis=0)
        scope, noun = f"mean over {a.n_rows} rows", "mean |attribution|"
    else:
        r = check_row(a, row)
        va, vb, rho, jaccard = a.values[r], b.values[r], rho[r : r + 1], jaccard[r : r + 1]
        scope, noun = f"row {r}", "Attribution"
    shown, rest = ranked(np.maximum(np.abs(va), np.abs(vb)), max_display)
    labels = short_names([a.feature_names[j] for j in shown], style.max_label_chars)
    groups = [np.asarray(v, dtype=float)[shown] for v in (va, vb)]
    if len(rest):
        labels.append(other_label(len(rest)))
        groups = [np.append(g, np.asarray(v, dtype=float)[rest].sum()) for g, v in zip(groups, (va, vb), strict=True)]
    ax = new_axes(ax, style, len(labels) * 1.4, labels)
    _draw_pairs(ax, groups, _names(a, b), style)
    set_row_labels(ax, labels, style)
    title = f"Spearman \u03c1 = {_mean(rho)}, top-{min(k, a.n_features)} Jaccard = {_mean(jaccard)} ({scope})"
    decorate(ax, style, xlabel=f"{noun} ({output_quantity(a)})", title=title)
    return Plot(ax)


def _names(a: LocalExplanation, b: LocalExplanation) -> tuple[str, str]:
    if a.method == b.method:
        return f"a: {a.method}", f"b: {b.method}"
    return a.method, b.method


def _mean(values: np.ndarray) -> str:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return f"{finite.mean():.2f}" if len(finite) else "n/a"


def _draw_pairs(ax: Axes, groups: list[np.ndarray], names: tuple[str, str], style: Style) -> None:
    """Two bars per feature (first explanation above the second), a zero line and a legend."""
    y = np.arange(len(groups[0]))[::-1].astype(float)
    for shift, values, name, color in zip((_HEIGHT / 2, -_HEIGHT / 2), groups, names, style.pair, strict=True):
        ax.barh(y + shift, values, height=_HEIGHT, color=color, label=name)
    ax.axvline(0.0, color="#333333", linewidth=0.8)
    # outside the plot, on the right: inside it would cover bars whatever the corner
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.tick_size, frameon=False)
