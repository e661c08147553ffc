"""Reasons: the principal reasons of one decision, as a plain bar chart anyone can read."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ._common import (
    check_explanation,
    check_row,
    decorate,
    format_value,
    label_bars,
    new_axes,
    output_quantity,
    resolve_style,
    select_output,
)
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import LocalExplanation

__all__ = ["reasons"]

_WRAP = 38


def reasons(
    exp: LocalExplanation,
    row: int = 0,
    *,
    k: int = 4,
    adverse: Literal["increase", "decrease"] = "increase",
    codes: Mapping[str, Any] | None = None,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw the principal reasons of one decision: one bar per reason, the strongest on top.

    The reasons are those of :meth:`~explain.LocalExplanation.reasons`: the features that pushed
    this prediction furthest toward the adverse outcome. Each bar is labelled with the reason's
    statement (and code, when ``codes`` gives one) and its length is how far that reason moved
    the prediction toward the adverse side (``|contribution|``); its colour is that of the other
    plots for the direction it moved the prediction (``style.positive`` raised it,
    ``style.negative`` lowered it). The title states the prediction and which direction is
    adverse.

    Which direction is adverse depends on what the model predicts, so say it: the default,
    ``"increase"``, is :meth:`~explain.LocalExplanation.reasons`' default (the same row gives the
    same reasons in the table and in the plot) and fits a score of risk (probability of
    default). The audit (:func:`explain.report.audit`) scores the probability of the favourable
    outcome (repayment, approval), where a *lower* prediction is adverse: pass
    ``adverse="decrease"`` to draw the reasons its report lists.

    Parameters
    ----------
    exp : LocalExplanation
    row : int, default 0
        The decision (row) to draw.
    k : int, default 4
        Most reasons shown.
    adverse : {"increase", "decrease"}, default "increase"
        Whether a higher prediction is adverse (e.g. probability of default) or a lower one
        (probability of repayment or approval, as in the audit).
    codes : mapping, optional
        Feature name to a reason code and statement (see :meth:`~explain.LocalExplanation.reasons`).
    output : str or int, optional
        The output the decision is made on; needed when the explanation has several.
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
    >>> from explain.plots import reasons
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> X = X[["mean radius", "mean texture", "worst smoothness"]]
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> local = ex.Explainer(model, background=X).explain_local(X[:2])
    >>> plot = reasons(local, row=0, k=2, adverse="decrease", codes={"mean radius": ("R1", "Tumour is large")})
    >>> plot.ax.get_yticklabels()[-1].get_text()
    '[R1] Tumour is large'
    """
    check_explanation(exp, "reasons", local=True)
    style = resolve_style(style)
    exp = select_output(exp, output)
    r = check_row(exp, row)
    table = exp[r].reasons(k=k, adverse=adverse, codes=codes).to_frame()
    labels = [_label(rec.code, rec.statement, rec.feature, rec.value) for rec in table.itertuples()]
    widths = np.abs(table["contribution"].to_numpy(dtype=float))
    ax = new_axes(ax, style, max(len(labels), 2) * 1.5, labels)
    y = np.arange(len(labels))[::-1]  # the first reason on top
    ax.barh(y, widths, height=0.6, color=style.positive if adverse == "increase" else style.negative)
    label_bars(ax, y, np.zeros(len(widths)), widths, [f"{w:.3g}" for w in widths], style)
    ax.set_yticks(y[::-1], labels=labels[::-1], fontsize=style.font_size)
    ax.set_ylim(-0.6, max(len(labels), 1) - 0.4)
    ax.margins(x=0.15)
    if not labels:
        ax.text(0.5, 0.5, "No feature pushed this prediction toward the adverse outcome.", ha="center",
                va="center", transform=ax.transAxes, fontsize=style.font_size)  # fmt: skip
        ax.set_yticks([])
    decorate(ax, style, xlabel=_xlabel(exp, adverse), title=_title(exp, r, adverse))
    return Plot(ax)


def _label(code: str, statement: str, feature: str, value: Any) -> str:
    """The statement, wrapped to a few short lines; the code in brackets when it is a real code."""
    if statement == f"{feature} = {value}":  # no statement given: "feature = value", the value as elsewhere
        statement = f"{feature} = {format_value(value, 'categorical' if isinstance(value, str) else 'numeric')}"
    text = statement if code == feature else f"[{code}] {statement}"
    return "\n".join(textwrap.wrap(text, _WRAP)) or text


def _xlabel(exp: LocalExplanation, adverse: str) -> str:
    verb = "raised" if adverse == "increase" else "lowered"
    return f"How much each reason {verb} the {output_quantity(exp)}"


def _title(exp: LocalExplanation, r: int, adverse: str) -> str:
    direction = "higher" if adverse == "increase" else "lower"
    prediction = float(exp.predictions[r])
    return f"Main reasons for this decision\nprediction {prediction:.3g}; a {direction} value is adverse"
