"""What every plot returns: a Plot that a notebook shows as the figure, and that answers as the Axes."""

from __future__ import annotations

import copy
import io

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from explain import plots
from explain.plots import Plot

PNG = b"\x89PNG\r\n\x1a\n"


def shown_png(obj) -> bytes | None:
    """The PNG a notebook shows for ``obj``: through IPython's display formatter where IPython is
    installed (what Jupyter calls on a cell's last expression), else the ``_repr_png_`` it calls."""
    try:
        from IPython.core.formatters import DisplayFormatter
    except ImportError:
        return obj._repr_png_()
    data, _ = DisplayFormatter().format(obj)
    assert "text/plain" in data
    return data.get("image/png")


MAKERS = {
    "waterfall": lambda f: plots.waterfall(f["mixed_local"], 2),
    "bar (one row)": lambda f: plots.bar(f["mixed_local"][0]),
    "bar (global)": lambda f: plots.bar(f["mixed_local"].to_global()),
    "beeswarm": lambda f: plots.beeswarm(f["mixed_local"]),
    "dependence": lambda f: plots.dependence(f["mixed_local"], "age"),
    "effects": lambda f: plots.effects(f["mixed_pd"], "age"),
    "effects_grid": lambda f: plots.effects_grid(f["mixed_pd"], max_panels=2),
    "compare": lambda f: plots.compare(f["mixed_local"], f["mixed_local"]),
    "reasons": lambda f: plots.reasons(f["mixed_local"], 1),
    "local.plot()": lambda f: f["mixed_local"].plot(),
    "glob.plot()": lambda f: f["mixed_local"].to_global().plot(),
}


@pytest.fixture
def fixtures(mixed_local, mixed_pd):
    return {"mixed_local": mixed_local, "mixed_pd": mixed_pd}


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_plot_shows_its_figure_as_png(fixtures, name):
    plot = MAKERS[name](fixtures)
    assert isinstance(plot, Plot)
    png = shown_png(plot)
    assert png is not None and png.startswith(PNG) and len(png) > 5000
    assert isinstance(plot.figure, Figure) and plot.fig is plot.figure
    assert isinstance(plot.ax, Axes) and plot.ax in plot.figure.axes


def test_the_plot_answers_as_its_axes(mixed_local):
    plot = plots.waterfall(mixed_local)
    assert plot.get_xlabel() == plot.ax.get_xlabel() == "Model output (probability of class '1')"
    plot.set_title("row 0")  # methods reach the Axes
    assert plot.ax.get_title() == "row 0"
    assert list(plot.patches) == list(plot.ax.patches) and plot.figure is plot.ax.figure
    assert "set_xlim" in dir(plot) and "savefig" in dir(plot)
    with pytest.raises(AttributeError):
        plot.no_such_attribute  # noqa: B018
    assert repr(plot).startswith("Plot(<Axes")
    assert copy.copy(plot).ax is plot.ax


def test_savefig_saves_the_whole_figure(mixed_local):
    plot = plots.beeswarm(mixed_local)
    buffer = io.BytesIO()
    plot.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue().startswith(PNG)


def test_grid_stands_for_its_figure(mixed_pd):
    plot = plots.effects_grid(mixed_pd, max_panels=3)
    assert len(plot.axes) == 3 and plot.ax is plot.figure.axes[0]  # .axes: the Figure's panels, as before
    assert "Partial dependence" in plot.get_supylabel()


def test_a_callers_axes_is_wrapped_and_its_whole_figure_shown(mixed_local):
    figure = Figure(figsize=(8, 3))
    _, right = figure.subplots(1, 2)
    plot = plots.bar(mixed_local.to_global(), ax=right)
    assert plot.ax is right and plot.figure is figure
    assert shown_png(plot).startswith(PNG)
    sub = Figure().subfigures(1, 2)[1]  # an Axes in a SubFigure: the whole Figure is shown and saved
    plot = plots.waterfall(mixed_local, ax=sub.add_subplot())
    assert isinstance(plot.figure, Figure) and plot.figure is sub.figure
    assert shown_png(plot).startswith(PNG)


def test_a_pyplot_figure_is_left_to_pyplot_while_it_shows_it(mixed_local):
    """Under the inline backend (interactive), pyplot draws its open figures itself: not twice."""
    fig, ax = plt.subplots()
    was = matplotlib.is_interactive()
    try:
        plot = plots.waterfall(mixed_local, ax=ax)
        matplotlib.interactive(True)
        assert plot._repr_png_() is None
        matplotlib.interactive(False)  # plt.ioff(): pyplot shows nothing until asked
        assert plot._repr_png_().startswith(PNG)
        matplotlib.interactive(True)
        plt.close(fig)  # closed: no longer pyplot's, so the Plot shows it
        assert plot._repr_png_().startswith(PNG)
    finally:
        matplotlib.interactive(was)
        plt.close(fig)


def test_showing_opens_no_pyplot_figure(mixed_local):
    plot = plots.waterfall(mixed_local)
    plot._repr_png_()
    assert plt.get_fignums() == []
    assert plot._repr_png_() == plot._repr_png_()  # the same bytes each time
