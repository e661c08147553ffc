"""Compact HTML summaries for notebooks: a plain table, no JavaScript, no network."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .explanation import GlobalExplanation, LocalExplanation

_MAX_ROWS = 10


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
    return "<div>" + _caption("LocalExplanation", facts) + table + "</div>"


def global_summary_html(exp: GlobalExplanation) -> str:
    first = exp.for_output(0)
    facts = {"kind": exp.kind, "method": exp.method, "output": ", ".join(exp.output_names), "space": exp.output_space}
    order = np.argsort(-first.importances, kind="stable")[:_MAX_ROWS]
    rows = [
        [exp.feature_names[f], first.importances[f]] + ([] if first.spread is None else [first.spread[f]])
        for f in order
    ]
    header = ["feature", "importance"] + ([] if first.spread is None else ["spread"])
    return "<div>" + _caption("GlobalExplanation", facts) + _table(header, rows) + "</div>"
