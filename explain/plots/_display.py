"""What every plot returns: the Axes it drew on, wrapped so that a notebook shows the figure."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

__all__ = ["Plot"]


class Plot:
    """A drawn plot: the matplotlib Axes (or Figure) it is on, shown as an image in a notebook.

    Every function of :mod:`explain.plots` returns one. A bare Axes is shown by Jupyter as the
    text ``<Axes: ...>`` (the figures here are made without pyplot, so no backend shows them);
    a Plot, as the last expression of a cell, shows its whole figure as a PNG, once.

    It stands in for the Axes that earlier versions returned: any attribute it does not have is
    the Axes' (``plot.get_xlabel()``, ``plot.set_title(...)``, ``plot.patches``), so code written
    for the Axes keeps working. What does not carry over is identity: ``plot`` is not an
    ``Axes`` instance; use :attr:`ax` where matplotlib needs the Axes itself (``isinstance``,
    ``is``, passing it on). For :func:`~explain.plots.effects_grid` the Plot stands in for the
    Figure it returned before, and :attr:`ax` is its first panel.

    A figure that is open in pyplot (the caller drew ``fig, ax = plt.subplots()`` and passed
    ``ax=``) is left to pyplot to show when matplotlib is interactive, as it is under the inline
    backend, which draws every open figure at the end of the cell: showing it here too would draw
    it twice. Close it (``plt.close(fig)``) to have the Plot show it.

    Attributes
    ----------
    ax : matplotlib.axes.Axes
        The Axes drawn on (the caller's ``ax=``, or the Axes of a new Figure).
    figure : matplotlib.figure.Figure
        The whole figure the Axes is on (also ``fig``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> from explain.plots import waterfall
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:3])
    >>> plot = waterfall(local)
    >>> plot.get_xlabel() == plot.ax.get_xlabel() == 'Model output (raw prediction)'
    True
    >>> plot._repr_png_()[:4]  # what a notebook shows
    b'\\x89PNG'
    """

    __slots__ = ("_target",)

    def __init__(self, target: Axes | Figure | SubFigure) -> None:
        self._target = target

    @property
    def ax(self) -> Axes:
        """The Axes drawn on (for a figure of several panels: the first)."""
        from matplotlib.axes import Axes

        target = self._target
        return target if isinstance(target, Axes) else target.axes[0]

    @property
    def figure(self) -> Figure:
        """The whole Figure (not a SubFigure): what is shown and saved."""
        figure: Any = self._target.figure
        while figure.figure is not figure:  # a SubFigure's .figure is its parent, up to the Figure
            figure = figure.figure
        return figure  # type: ignore[no-any-return]

    @property
    def fig(self) -> Figure:
        """The same as :attr:`figure`."""
        return self.figure

    def savefig(self, fname: Any, **kwargs: Any) -> None:
        """Save the whole figure: :meth:`matplotlib.figure.Figure.savefig`, with its arguments."""
        self.figure.savefig(fname, **kwargs)  # the same call as on the Figure: nothing added or dropped

    def _repr_png_(self) -> bytes | None:
        """The figure as PNG bytes for IPython's display (None when pyplot shows it itself)."""
        figure = self.figure
        if _shown_by_pyplot(figure):
            return None
        buffer = io.BytesIO()
        # as the inline backend draws figures: at the figure's dpi, cropped to what is drawn
        figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05)
        return buffer.getvalue()

    def __getattr__(self, name: str) -> Any:
        if name == "_target":  # not set yet (copy, unpickling): no recursion through the Axes
            raise AttributeError(name)
        return getattr(self._target, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(self._target)))

    def __repr__(self) -> str:
        return f"Plot({self._target!r})"


def _shown_by_pyplot(figure: Figure) -> bool:
    """Whether pyplot shows ``figure`` by itself: it is open in pyplot and matplotlib is interactive.

    Figures made here (``matplotlib.figure.Figure``) have no manager: pyplot does not know them.
    Closing a pyplot figure drops its manager too.
    """
    if getattr(figure.canvas, "manager", None) is None:
        return False
    import matplotlib

    return bool(matplotlib.is_interactive())
