"""Read back what a plot drew: rows, bars, rendered bytes."""

from __future__ import annotations

import io


def row_texts(ax) -> list[str]:
    """The y tick labels from the top row down."""
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels(), strict=True), key=lambda t: -t[0])
    return [label.get_text() for _, label in ticks]


def bars_by_row(ax) -> dict[str, list]:
    """The bar patches drawn on each labelled row (matched by their vertical centre)."""
    labels = {
        round(float(y), 6): label.get_text() for y, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    out: dict[str, list] = {}
    for patch in ax.patches:
        centre = round(patch.get_y() + patch.get_height() / 2, 6)
        nearest = min(labels, key=lambda y: abs(y - centre))
        out.setdefault(labels[nearest], []).append(patch)
    return out


def render(figure) -> tuple[bytes, bytes]:
    """PNG and SVG bytes of a figure (or of the figure of an Axes)."""
    from explain.plots._svg import figure_svg

    figure = getattr(figure, "figure", figure)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=60)
    return png.getvalue(), figure_svg(figure).encode()


def check_renders(make) -> None:
    """``make()`` draws a figure that renders to PNG and SVG, the SVG the same bytes every time."""
    png, svg = render(make())
    assert png.startswith(b"\x89PNG") and b"<svg" in svg
    assert render(make())[1] == svg
