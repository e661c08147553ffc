"""Image heat map: one image in grey under its region values, red raising and blue lowering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ._common import resolve_style, space_quantity
from ._display import Plot
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..image_explanation import ImageExplanation

__all__ = ["image", "image_html"]

CMAP = "RdBu_r"  # diverging: red for values that raise the output, blue for those that lower it
ALPHA = 0.6


def image(
    exp: ImageExplanation,
    row: int = 0,
    *,
    output: str | int | None = None,
    ax: Axes | None = None,
    style: Style | None = None,
    boundaries: bool = True,
    colorbar: bool = True,
    vmax: float | None = None,
) -> Plot:
    """Draw image ``row`` of an image explanation with its region values as a heat-map overlay.

    The image is drawn in grey (the mean of its channels, scaled to its own range); over it each
    region is coloured by its value on a diverging scale centred on 0 and symmetric (red: the
    region raises the output; blue: it lowers it), with a colour bar in the output's units and
    the regions' boundaries in black. The title gives the method, then the prediction and the
    base value (for lime, its regression's intercept, which is not a base value: the values do
    not add up to the prediction).

    The scale runs from ``-vmax`` to ``vmax``: by default the largest absolute value of this
    image, so that two images drawn separately are on scales of their own. To compare images,
    pass one ``vmax`` for all (the notebook display does, for the images it shows).

    Parameters
    ----------
    exp : ImageExplanation
    row : int, default 0
        The image to draw.
    output : str or int, optional
        The output to draw (a class name or position); required when there are several.
    ax : matplotlib Axes, optional
    style : Style, optional
    boundaries : bool, default True
        Draw the boundaries of the regions.
    colorbar : bool, default True
    vmax : float, optional
        The end of the colour scale (in the output's units), the same for each image drawn with
        it; by default the image's own largest absolute value.

    Returns
    -------
    Plot
        ``.ax.images[0]`` is the grey image, ``.ax.images[1]`` the overlay, whose array is
        :meth:`ImageExplanation.pixel_values`.

    Examples
    --------
    >>> import numpy as np
    >>> import explain as ex
    >>> from explain._image import explain_images
    >>> images = np.random.default_rng(0).uniform(size=(1, 8, 8))
    >>> exp = explain_images(ex.Explainer(lambda x: x[:, :4].sum(axis=(1, 2)), task="regression"), images)
    >>> plot = image(exp)
    >>> bool((plot.ax.images[1].get_array() == exp.pixel_values(0)).all())
    True
    """
    from ..image_explanation import ImageExplanation

    if not isinstance(exp, ImageExplanation):
        raise InputError(f"image() draws an ImageExplanation, not a {type(exp).__name__}.")
    style = resolve_style(style)
    if exp.is_multi_output and output is None:
        raise InputError(
            f"this explanation has {exp.n_outputs} outputs {list(exp.output_names)}; pass output= with one of them "
            f"(a name or its position), e.g. output={exp.output_names[-1]!r}."
        )
    one = exp.for_output(output) if output is not None else exp
    values = one.pixel_values(row)
    i = row % exp.n_rows
    grey = _grey(exp.data[i])
    ax = _axes(ax, style, grey.shape)
    ax.imshow(grey, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    limit = _limit(values, vmax)
    overlay = ax.imshow(values, cmap=CMAP, vmin=-limit, vmax=limit, alpha=ALPHA, interpolation="nearest")
    if boundaries:
        _boundaries(ax, exp.segments[i])
    quantity = space_quantity(one.output_space, one.output_names)
    if colorbar:
        bar = ax.figure.colorbar(overlay, ax=ax, shrink=0.8)
        bar.set_label(f"region value ({quantity})", fontsize=style.tick_size)
        bar.ax.tick_params(labelsize=style.tick_size)
    ax.set_xticks([])
    ax.set_yticks([])
    prediction, base = float(one.predictions[i]), float(one.base_values[i])
    base_name = "intercept" if exp.method == "lime" else "base"  # lime's ridge intercept is no base value
    ax.set_title(f"{exp.method}\n{quantity}: {prediction:.4g} ({base_name} {base:.4g})", fontsize=style.title_size)
    return Plot(ax)


def _limit(values: np.ndarray, vmax: float | None) -> float:
    """The end of the symmetric colour scale: ``vmax``, checked, or the values' largest size."""
    if vmax is None:
        return float(np.abs(values).max()) or 1.0
    if isinstance(vmax, bool) or not isinstance(vmax, (int, float, np.number)) or not 0 < vmax < np.inf:
        raise InputError(f"vmax={vmax!r}; pass a positive number (the end of the colour scale) or None.")
    return float(vmax)


def _axes(ax: Axes | None, style: Style, shape: tuple[int, ...]) -> Axes:
    """``ax``, or the Axes of a new Figure shaped like the image (plus the colour bar and title)."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    width = min(style.figsize[0], 5.0)
    picture = width - 1.0  # inches left for the image beside the colour bar
    height = picture * shape[0] / shape[1] + 0.7
    fig = Figure(figsize=(width, min(max(height, 2.0), 2 * width)), layout="constrained")
    return fig.add_subplot()


def _grey(picture: np.ndarray) -> np.ndarray:
    grey = picture.mean(axis=-1) if picture.ndim == 3 else picture
    low, high = float(grey.min()), float(grey.max())
    return (grey - low) / (high - low) if high > low else np.zeros_like(grey)


def _boundaries(ax: Axes, labels: np.ndarray) -> None:
    """Lines between pixels of different regions, on the pixel edges."""
    h, w = labels.shape
    segments: list[Any] = []
    rows, cols = np.nonzero(labels[1:, :] != labels[:-1, :])  # a change below pixel (r, c)
    segments.extend([[(c - 0.5, r + 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols, strict=True)])
    rows, cols = np.nonzero(labels[:, 1:] != labels[:, :-1])  # a change right of pixel (r, c)
    segments.extend([[(c + 0.5, r - 0.5), (c + 0.5, r + 0.5)] for r, c in zip(rows, cols, strict=True)])
    if segments:
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(segments, colors="black", linewidths=0.6, alpha=0.7))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)


def image_html(exp: ImageExplanation, max_images: int = 4) -> str:
    """A notebook summary: the facts, then inline SVG heat maps of the first images (of several
    outputs, the one each image predicts highest)."""
    from .._html import _caption, _figure
    from ._svg import figure_svg

    facts = {
        "method": exp.method, "images": exp.n_rows, "image shape": "x".join(map(str, exp.image_shape)),
        "regions": ", ".join(map(str, exp.n_regions[:max_images].tolist())), "output": ", ".join(exp.output_names),
        "space": exp.output_space,
    }  # fmt: skip
    figures = []
    shown = range(min(exp.n_rows, max_images))
    # several outputs: each image under the output it predicts highest (its predicted class)
    outputs = [int(np.argmax(exp.predictions[i])) if exp.is_multi_output else None for i in shown]
    vmax = max((float(np.abs(exp.pixel_values(i, output=o)).max()) for i, o in zip(shown, outputs, strict=True)),
               default=0.0) or 1.0  # fmt: skip
    for i, output in zip(shown, outputs, strict=True):  # one colour scale, so that the images compare
        plot = image(exp, i, output=output, style=Style(figsize=(3.2, 2.6), title_size=8, tick_size=7), vmax=vmax)
        figures.append(_figure(figure_svg(plot.figure, inline=True)))
    style = "display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start"
    return "<div>" + _caption("ImageExplanation", facts) + f'<div style="{style}">' + "".join(figures) + "</div></div>"
