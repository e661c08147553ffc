"""Plots of explanations: each a function of explanation objects that returns a :class:`Plot`.

Every function draws on the ``ax`` it is given, or makes its own
:class:`matplotlib.figure.Figure` (never through pyplot, so nothing is shown or kept open
globally), and returns a :class:`Plot`: the Axes drawn on (``.ax``; :func:`effects_grid`: the
Figure), which a notebook shows as the figure and which answers the Axes' own methods. Looks
come from a frozen :class:`Style` passed as ``style=``; no global style is changed. Axis labels
carry the output space (probability, log-odds, raw) and the class explained.

========================  ==========================================================
:func:`waterfall`         one row: from the base value to the prediction
:func:`bar`               one row's contributions, or global importances with spread
:func:`beeswarm`          many rows: attributions coloured by feature value
:func:`heatmap`           many rows side by side, similar rows together, predictions above
:func:`decision`          many rows' paths from the base value to their predictions
:func:`violin`            the spread of each feature's attributions over the rows
:func:`dependence`        a feature's value against its attribution
:func:`effects`           partial dependence with ICE band, or a shape function
:func:`effects_grid`      several effects in one figure
:func:`pair_effect`       a glass box's pair term of two features, as a map of cells
:func:`ice`               every row's prediction as one feature moves, and their average
:func:`image`             an image explanation: region values over the image in grey
:func:`partial_dependence_2d`  the average prediction over a grid of two features
:func:`compare`           two explanations of the same rows, with their agreement
:func:`reasons`           the principal reasons of one decision
:func:`interactions`      how strongly each pair of features interacts (a heatmap)
:func:`text`              one document, each token highlighted by its contribution
========================  ==========================================================

``LocalExplanation.plot()`` and ``GlobalExplanation.plot()`` call these with sensible defaults.
"""

from __future__ import annotations

from ._display import Plot
from ._style import OKABE_ITO, Style
from .bar import bar
from .beeswarm import beeswarm
from .compare import compare
from .decision import decision
from .dependence import dependence
from .effects import effects, effects_grid
from .heatmap import heatmap
from .ice import ice
from .image import image
from .interactions import interactions
from .pair_effect import pair_effect
from .partial_dependence_2d import partial_dependence_2d
from .reasons import reasons
from .text import text
from .violin import violin
from .waterfall import waterfall

__all__ = [
    "OKABE_ITO",
    "Plot",
    "Style",
    "bar",
    "beeswarm",
    "compare",
    "decision",
    "dependence",
    "effects",
    "effects_grid",
    "heatmap",
    "ice",
    "image",
    "interactions",
    "pair_effect",
    "partial_dependence_2d",
    "reasons",
    "text",
    "violin",
    "waterfall",
]
