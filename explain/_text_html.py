"""HTML of a text explanation: each token highlighted by its contribution, with a legend.

Red: the token pushes the explained output up; blue: down; the stronger the colour, the larger
the contribution relative to the largest in the documents shown. Every piece of text is escaped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .text_explanation import TextExplanation

MAX_ROWS = 20
# the plots' Okabe-Ito pair (explain.plots.Style): vermillion raises, blue lowers
RED = (0xD5, 0x5E, 0x00)
BLUE = (0x00, 0x72, 0xB2)


def token_colour(value: float, scale: float) -> str:
    """An rgba() colour: red (vermillion) for positive, blue for negative, alpha by ``|value| / scale``."""
    alpha = 0.0 if scale <= 0 else min(1.0, abs(value) / scale)
    r, g, b = RED if value > 0 else BLUE
    return f"rgba({r}, {g}, {b}, {alpha * 0.85:.3f})"


def document_html(tokens: tuple[str, ...], separators: tuple[str, ...], values: np.ndarray, scale: float) -> str:
    """One document: separators as text, each token in a coloured span with its value as title."""
    parts = [html.escape(separators[0])]
    for tok, sep, v in zip(tokens, separators[1:], values, strict=True):
        parts.append(
            f'<span style="background:{token_colour(float(v), scale)};border-radius:3px;padding:0 1px" '
            f'title="{float(v):+.4g}">{html.escape(tok)}</span>'
        )
        parts.append(html.escape(sep))
    return "".join(parts)


def text_html(exp: TextExplanation, output: int = 0) -> str:
    """The first :data:`MAX_ROWS` documents of ``exp`` (one output), highlighted, with a legend."""
    one = exp.for_output(output) if exp.is_multi_output else exp
    shown = min(one.n_rows, MAX_ROWS)
    scale = max((float(np.max(np.abs(v))) for v in one.values[:shown] if len(v)), default=0.0)
    name = html.escape(one.output_names[0])
    space = html.escape(one.output_space)
    legend = (
        f'<div style="font-size:90%;margin-bottom:4px"><b>TextExplanation</b> ({html.escape(one.method)}, '
        f"{space} of {name!s}): "
        f'<span style="background:{token_colour(1, 1)};padding:0 4px">raises</span> '
        f'<span style="background:{token_colour(-1, 1)};padding:0 4px">lowers</span> '
        f"the output; strongest colour = {scale:.4g}.</div>"
    )
    rows = []
    for r in range(shown):
        body = document_html(one.tokens[r], one.separators[r], np.asarray(one.values[r]), scale)
        rows.append(
            f'<div style="margin:4px 0;white-space:pre-wrap"><span style="color:#666">[{r}] base '
            f"{float(one.base_values[r]):.4g} &rarr; {float(one.predictions[r]):.4g}</span><br>{body}</div>"
        )
    more = f"<div>... {one.n_rows - shown} more documents</div>" if one.n_rows > shown else ""
    return f"<div>{legend}{''.join(rows)}{more}</div>"
