"""``text``: one document with each token highlighted by its contribution."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import new_axes, resolve_style, space_quantity
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..text_explanation import TextExplanation

__all__ = ["text"]

LINE_HEIGHT = 1.7  # in character heights: room for the highlight box and a gap
TITLE_QUOTE = 40  # characters of the document quoted in the title


@lru_cache(maxsize=4)
def _font_characters(path: str) -> frozenset[int]:
    """The code points the font file at ``path`` can draw."""
    from fontTools.ttLib import TTFont  # a dependency of matplotlib

    try:
        return frozenset(TTFont(path, fontNumber=0).getBestCmap())
    except Exception:  # an unreadable font: assume ASCII only, shown as code points beyond
        return frozenset(range(32, 127))


def _drawable(pieces: list[str]) -> list[str]:
    """``pieces`` with each character the monospace font cannot draw written as ``[U+4E2D]``
    (as the audit PDF prints them), so that no glyph is drawn as an empty box and matplotlib
    warns of none."""
    from matplotlib.font_manager import FontProperties, findfont

    chars = _font_characters(findfont(FontProperties(family="monospace")))
    keep = frozenset(" ")
    return ["".join(c if ord(c) in chars or c in keep else f"[U+{ord(c):04X}]" for c in p) for p in pieces]


def _lines(tokens: tuple[str, ...], separators: tuple[str, ...], width: int) -> list[list[tuple[str, int | None]]]:
    """The document as lines of (piece, token index or None), wrapped at ``width`` characters
    where a separator allows (a longer token gets a line of its own), and at newlines."""
    drawn_tokens, drawn_separators = _drawable(list(tokens)), _drawable([s.replace("\t", " ") for s in separators])
    pieces: list[tuple[str, int | None]] = [(drawn_separators[0], None)]
    for i, (tok, sep) in enumerate(zip(drawn_tokens, drawn_separators[1:], strict=True)):
        pieces += [(tok, i), (sep, None)]
    lines: list[list[tuple[str, int | None]]] = [[]]
    used = 0
    for piece, index in pieces:
        parts = piece.split("\n") if index is None else [piece]
        for n, part in enumerate(parts):
            if n:
                lines.append([])
                used = 0
            if index is not None and used and used + len(part) > width:
                lines.append([])
                used = 0
            if part:
                lines[-1].append((part, index))
                used += len(part)
    return lines


def text(
    exp: TextExplanation,
    row: int = 0,
    *,
    output: str | int | None = None,
    width: int = 80,
    title: str | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
) -> Plot:
    """Draw document ``row`` with each token on a box coloured by its contribution.

    The colour runs from ``style.negative`` (lowers the output) through white (no effect) to
    ``style.positive`` (raises it), symmetric around zero at the largest absolute value of the
    document; a colour bar under the text gives the scale, in the output's units (five ticks).

    ``row`` is the document's position in *this* explanation: a slice such as ``exp[2]`` holds
    one document, at position 0, and does not know where it came from. So the default title
    quotes the document's first words next to its position, to say which document it is; pass
    ``title=`` to name it yourself. Characters the monospace font cannot draw (Han, emoji, ...)
    are written as their code point, ``[U+4E2D]``, as in the audit PDF, rather than drawn as
    empty boxes; the text is drawn as written (``$`` does not start mathematics).

    Parameters
    ----------
    exp : TextExplanation
    row : int, default 0
        The document drawn.
    output : str or int, optional
        The output drawn (required when the explanation has several).
    width : int, default 80
        Characters per line before the text wraps.
    title : str, optional
        The title; by default the position, the method, base and prediction, and a quote of
        the document's beginning.
    ax : matplotlib Axes, optional
    style : Style, optional

    Returns
    -------
    Plot

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> import explain as ex
    >>> docs = ["great fun film", "dull boring film", "great cast", "boring plot"]
    >>> model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, [1, 0, 1, 0])
    >>> plot = ex.Explainer(model, method="exact_shap").explain_local(["great film"]).plot()
    >>> len(plot.patches)  # one box per token
    2
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    if exp.is_multi_output:
        if output is None:
            raise InputError(f"this explanation has several outputs {list(exp.output_names)}; pass output=.")
        exp = exp.for_output(output)
    elif output is not None:
        exp._output_index(output)
    if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not -exp.n_rows <= row < exp.n_rows:
        raise InputError(f"row={row!r}; pass the position of a document, from 0 to {exp.n_rows - 1}.")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 10:
        raise InputError(f"width={width!r}; pass a whole number of characters per line, 10 or more.")
    style = resolve_style(style)
    row = int(row) % exp.n_rows
    tokens, separators = exp.tokens[row], exp.separators[row]
    values = np.asarray(exp.values[row], dtype=float)
    lines = _lines(tokens, separators, int(width))
    own = ax is None
    ax = new_axes(ax, style)
    figure: Any = ax.figure
    figure_width = figure.get_figwidth() * ax.get_position().width
    font = min(style.font_size * 1.2, figure_width * 72 / (width * 0.62))
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    norm = Normalize(-scale if scale > 0 else -1.0, scale if scale > 0 else 1.0)
    cmap = style.attribution_cmap()
    for n, line in enumerate(lines):
        x, y = 0.0, -n * LINE_HEIGHT
        for piece, index in line:
            if index is not None:
                ax.add_patch(
                    Rectangle((x, y - 0.6), len(piece), 1.2, facecolor=cmap(norm(values[index])),
                              edgecolor="none", gid=f"token-{index}")
                )  # fmt: skip
            ax.text(x, y, piece, family="monospace", fontsize=font, va="center", ha="left", parse_math=False)
            x += len(piece)
    ax.set_xlim(-0.5, width + 0.5)
    ax.set_ylim(-(len(lines) - 1) * LINE_HEIGHT - 1.2, 1.2)
    ax.set_axis_off()
    if own:  # a caller's figure keeps its size
        figure.set_figheight(max(1.6, 0.9 + 0.28 * len(lines)))
    quantity = space_quantity(exp.output_space, exp.output_names)
    bar = figure.colorbar(ScalarMappable(norm, cmap), ax=ax, orientation="horizontal", fraction=0.08, pad=0.04)
    bar.set_label(f"contribution to the {quantity}", fontsize=style.font_size)
    limit = scale if scale > 0 else 1.0
    ticks = np.linspace(-limit, limit, 5)  # few, short labels: they never run into each other
    bar.set_ticks(ticks, labels=[f"{t:+.2g}" if t else "0" for t in ticks])
    bar.ax.tick_params(labelsize=style.tick_size)
    ax.set_title(title if title is not None else _title(exp, row), fontsize=style.title_size, loc="left")
    ax.title.set_parse_math(False)
    return Plot(ax)


def _title(exp: TextExplanation, row: int) -> str:
    document = " ".join(exp.documents[row].split())
    quote = document if len(document) <= TITLE_QUOTE else document[: TITLE_QUOTE - 1] + "\u2026"
    (quote,) = _drawable([quote])
    return (
        f"Document at position {row} ({exp.method}): base {float(exp.base_values[row]):.4g} -> "
        f'prediction {float(exp.predictions[row]):.4g}\n"{quote}"'
    )
