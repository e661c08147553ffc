"""A Figure as SVG text: deterministic bytes, fonts as paths, nothing fetched or run."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure

__all__ = ["figure_svg"]

# the salt of matplotlib's SVG element ids; fixed so that the same figure gives the same bytes
_HASH_SALT = "explain"


def figure_svg(fig: Figure | SubFigure, *, inline: bool = False) -> str:
    """Render ``fig`` to SVG text with matplotlib's SVG backend, the same bytes on every run.

    Ids are salted with a fixed string and the date is left out of the metadata; text is drawn
    as paths, so the SVG looks the same without the fonts. ``inline=True`` drops the XML
    declaration and doctype, for embedding in an HTML page.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> figure_svg(fig) == figure_svg(fig)
    True
    >>> figure_svg(fig, inline=True).startswith("<svg")
    True
    """
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": _HASH_SALT, "svg.fonttype": "path"}):
        fig.figure.savefig(buffer, format="svg", metadata={"Date": None})  # a SubFigure: its whole Figure
    text = buffer.getvalue().decode("utf-8")
    return text[text.index("<svg") :] if inline else text
