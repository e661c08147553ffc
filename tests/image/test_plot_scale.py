"""The heat map's colour scale: one image's own by default, vmax= to share one, and one scale for
the images of the notebook display; lime's intercept is not called a base value."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from explain.errors import InputError

from ._helpers import explain


def _top(batch: np.ndarray) -> np.ndarray:
    return batch[:, :4].sum(axis=(1, 2))


@pytest.fixture(scope="module")
def two():
    """Two images whose values differ in size tenfold."""
    images = np.random.default_rng(0).uniform(size=(2, 8, 8))
    images[1] *= 10
    return explain(_top, images, task="regression", method_params={"fill": 0.0})


def test_each_image_has_its_own_scale_by_default(two):
    for i in range(2):
        low, high = two.plot(i).ax.images[1].get_clim()
        assert high == -low == pytest.approx(np.abs(two.values[i]).max())


def test_vmax_sets_one_scale(two):
    assert two.plot(0, vmax=7.5).ax.images[1].get_clim() == (-7.5, 7.5)
    assert two.plot(1, vmax=7.5).ax.images[1].get_clim() == (-7.5, 7.5)
    with pytest.raises(InputError, match="vmax=0"):
        two.plot(0, vmax=0)


def test_the_notebook_display_draws_its_images_on_one_scale(two, monkeypatch):
    image_plots = importlib.import_module("explain.plots.image")  # the module (explain.plots.image is the function)
    drawn = []
    original = image_plots.image

    def spy(exp, row=0, **kwargs):
        plot = original(exp, row, **kwargs)
        drawn.append(plot.ax.images[1].get_clim())
        return plot

    monkeypatch.setattr(image_plots, "image", spy)
    two._repr_html_()
    largest = np.abs(two.values).max()
    assert drawn == [(-largest, largest)] * 2


def test_lime_s_intercept_is_not_called_a_base_value(two):
    images = np.asarray(two.data)
    lime = explain(_top, images, task="regression", method="lime", method_params={"fill": 0.0})
    assert "(intercept " in lime.plot(0).ax.get_title() and "base" not in lime.plot(0).ax.get_title()
    assert "(base " in two.plot(0).ax.get_title()
