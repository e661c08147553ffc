"""The look of every plot, as one frozen value passed with ``style=`` (no global state)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.colors import Colormap

__all__ = ["OKABE_ITO", "Style"]

#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart with every common
#: colour-vision deficiency. Order: black, orange, sky blue, bluish green, yellow, blue,
#: vermillion, reddish purple.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")


@dataclass(frozen=True)
class Style:
    """Colours, font sizes and figure size of the plots.

    The defaults use the Okabe-Ito palette: vermillion for contributions that raise the
    prediction, blue for those that lower it (a pair that stays distinct for colour-blind
    readers and in greyscale print), and a blue-to-vermillion ramp for low-to-high feature values.

    Attributes
    ----------
    positive, negative : str
        Colours of contributions that raise / lower the prediction.
    neutral : str
        Colour of aggregated rows ("other N features") and of categorical values in beeswarms.
    importance : str
        Colour of global importance bars.
    pair : tuple of str
        Colours of the two explanations in :func:`~explain.plots.compare`.
    palette : tuple of str
        Colours of categories (e.g. ``color_by`` a categorical feature).
    value_colors : tuple of str
        Low and high ends of the feature-value colour ramp.
    font_size, title_size, tick_size : float
        Font sizes in points of labels, titles and tick labels.
    figsize : tuple of float
        Width and minimum height in inches of a figure made by the plot (tall plots grow).
    row_height : float
        Height in inches given to each bar or row of a horizontal plot.
    max_label_chars : int
        Feature names longer than this are shortened in the middle (the legend or the axis
        label keeps the full name where there is room).

    Examples
    --------
    >>> from explain.plots import Style
    >>> Style().positive
    '#D55E00'
    >>> Style(font_size=12).font_size
    12
    """

    positive: str = "#D55E00"
    negative: str = "#0072B2"
    neutral: str = "#8C8C8C"
    importance: str = "#0072B2"
    pair: tuple[str, str] = ("#0072B2", "#E69F00")
    palette: tuple[str, ...] = OKABE_ITO[1:]
    value_colors: tuple[str, str] = ("#0072B2", "#D55E00")
    font_size: float = 9.0
    title_size: float = 10.0
    tick_size: float = 8.5
    figsize: tuple[float, float] = (6.4, 3.6)
    row_height: float = 0.3
    max_label_chars: int = 36

    def value_cmap(self) -> Colormap:
        """The low-to-high feature-value colormap (a new object: nothing is registered globally)."""
        from matplotlib.colors import LinearSegmentedColormap

        low, high = self.value_colors
        return LinearSegmentedColormap.from_list("explain_value", [low, "#9E7BB5", high])

    def attribution_cmap(self) -> Colormap:
        """The colormap of signed attributions: ``negative`` through white (zero) to ``positive``."""
        from matplotlib.colors import LinearSegmentedColormap

        return LinearSegmentedColormap.from_list("explain_attribution", [self.negative, "#FFFFFF", self.positive])
