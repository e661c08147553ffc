"""Compact HTML summaries for notebooks: an inline SVG figure and a plain table.

The figure is the explanation's default plot, rendered by matplotlib's SVG backend into the
page itself (no JavaScript, no network, no files) with deterministic bytes. It is kept small
and quick: at most ten features, and at most ``_MAX_SWARM_ROWS`` evenly spaced rows in a beeswarm.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .explanation import GlobalExplanation, LocalExplanation

_MAX_ROWS = 10
_MAX_SWARM_ROWS = 500


def _e(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return _e(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _caption(title: str, facts: dict[str, Any]) -> str:
    items = " &middot; ".join(f"{_e(k)}: <code>{_e(v)}</code>" for k, v in facts.items())
    return f"<div><strong>{_e(title)}</strong><br><small>{items}</small></div>"


def _side_by_side(table: str, figure: str) -> str:
    """The table, then the figure beside it (below it when the page is narrow)."""
    style = "display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start"
    return f'<div style="{style}"><div>{table}</div>{figure}</div>'


def _figure(svg: str, note: str = "") -> str:
    caption = f"<div><small>{_e(note)}</small></div>" if note else ""
    return f'<div style="max-width:100%;overflow-x:auto">{svg}{caption}</div>'


def local_figure_html(exp: LocalExplanation) -> str:
    """The default plot of the first output: a waterfall for one row, a beeswarm for several."""
    from .plots import Style, beeswarm, waterfall
    from .plots._svg import figure_svg

    first = exp.for_output(0)
    style = Style(figsize=(5.6, 2.8))
    note = ""
    if first.n_rows == 1:
        ax = waterfall(first, max_display=_MAX_ROWS, style=style)
    else:
        if first.n_rows > _MAX_SWARM_ROWS:
            step = -(-first.n_rows // _MAX_SWARM_ROWS)
            first = first[::step]
            note = f"figure: {first.n_rows} of the {exp.n_rows} rows (one in every {step})"
        ax = beeswarm(first, max_display=_MAX_ROWS, style=style)
        for dots in ax.collections:  # thousands of dots: a small embedded image, not thousands of paths
            dots.set_rasterized(True)
    return _figure(figure_svg(ax.figure, inline=True), note)


def global_figure_html(exp: GlobalExplanation) -> str:
    """The default plot of the first output: importances with their spread."""
    from .plots import Style, bar
    from .plots._svg import figure_svg

    ax = bar(exp.for_output(0), max_display=_MAX_ROWS, style=Style(figsize=(5.6, 2.8)))
    return _figure(figure_svg(ax.figure, inline=True))


def local_summary_html(exp: LocalExplanation) -> str:
    first = exp.for_output(0)
    facts = {
        "method": exp.method, "rows": exp.n_rows, "features": exp.n_features,
        "output": ", ".join(exp.output_names), "space": exp.output_space,
    }  # fmt: skip
    if exp.n_rows == 1:
        order = np.argsort(-np.abs(first.values[0]), kind="stable")[:_MAX_ROWS]
        rows = [[exp.feature_names[f], first.data[0, f], first.values[0, f]] for f in order]
        facts["prediction"] = f"{first.predictions[0]:.4g}"
        facts["base value"] = f"{first.base_values[0]:.4g}"
        table = _table(["feature", "value", "attribution"], rows)
    else:
        glob = first.to_global()
        order = np.argsort(-glob.importances, kind="stable")[:_MAX_ROWS]
        rows = [[exp.feature_names[f], glob.importances[f]] for f in order]
        table = _table(["feature", "mean |attribution|"], rows)
    return "<div>" + _caption("LocalExplanation", facts) + _side_by_side(table, local_figure_html(exp)) + "</div>"


def global_summary_html(exp: GlobalExplanation) -> str:
    first = exp.for_output(0)
    facts = {"kind": exp.kind, "method": exp.method, "output": ", ".join(exp.output_names), "space": exp.output_space}
    order = np.argsort(-first.importances, kind="stable")[:_MAX_ROWS]
    rows = [
        [exp.feature_names[f], first.importances[f]] + ([] if first.spread is None else [first.spread[f]])
        for f in order
    ]
    header = ["feature", "importance"] + ([] if first.spread is None else ["spread"])
    table = _table(header, rows)
    return "<div>" + _caption("GlobalExplanation", facts) + _side_by_side(table, global_figure_html(exp)) + "</div>"
