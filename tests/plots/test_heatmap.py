"""Heatmap: one column per row, one line per feature, rows ordered, predictions above."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import explain as ex
from explain.errors import InputError
from explain.plots import heatmap

from ._helpers import check_renders, row_texts
from .test_display import PNG, shown_png


def _image(plot):
    (image,) = plot.ax.get_images()
    return np.asarray(image.get_array())


def _strip(plot):
    """The strip of predictions above the cells (an inset of the cells' Axes)."""
    (strip,) = plot.ax.child_axes
    return strip


def test_cells_are_the_attributions_rows_by_features(mixed_local):
    plot = heatmap(mixed_local, order="input")
    cells = _image(plot)
    order = np.argsort(-np.abs(mixed_local.values).mean(axis=0), kind="stable")
    assert cells.shape == (mixed_local.n_features, mixed_local.n_rows)  # (lines, rows)
    np.testing.assert_allclose(cells, mixed_local.values[:, order].T)
    assert row_texts(plot.ax) == [mixed_local.feature_names[j] for j in order]  # most important on top
    (line,) = _strip(plot).get_lines()[:1]
    np.testing.assert_allclose(line.get_ydata(), mixed_local.predictions)
    assert "SHAP value (probability of class '1')" in plot.figure.axes[-1].get_ylabel().replace("\n", " ")


def test_other_features_line_and_scale(wide_local):
    plot = heatmap(wide_local, max_display=6)
    cells = _image(plot)
    assert cells.shape == (6, wide_local.n_rows)
    assert row_texts(plot.ax)[-1] == "other 55 features"
    assert list(plot.ax.get_xticks()) == []  # 50 rows: too many to number
    drawn = _strip(plot).get_lines()[0].get_ydata()  # each column adds up to its row's prediction
    np.testing.assert_allclose(cells.sum(axis=0), drawn - wide_local.base_values[0], atol=1e-9)
    (image,) = plot.ax.get_images()
    low, high = image.get_clim()
    assert low == -high > -np.abs(cells).max() - 1e-12  # symmetric, stops at the 99th percentile


def _order(plot) -> np.ndarray:
    return np.array([int(t.get_text()) for t in plot.ax.get_xticklabels()])


def test_order_by_prediction_and_given(mixed_local):
    few = mixed_local[:12]
    plot = heatmap(few, order="prediction")
    np.testing.assert_array_equal(_order(plot), np.argsort(few.predictions, kind="stable"))
    assert np.all(np.diff(_strip(plot).get_lines()[0].get_ydata()) >= 0)
    given = [3, 1, 2, 0, *range(4, 12)]
    np.testing.assert_array_equal(_order(heatmap(few, order=given)), given)
    assert plot.ax.get_xlabel() == "Rows (by prediction)"


def test_clustering_puts_alike_rows_together():
    rng = np.random.default_rng(0)
    group = np.arange(20) % 2  # two kinds of rows, interleaved
    values = np.where(group[:, None] == 0, [1.0, -1.0, 0.2], [-1.0, 1.0, 0.0]) + rng.normal(0, 0.05, (20, 3))
    exp = ex.LocalExplanation(
        values=values, base_values=np.zeros(20), data=rng.normal(size=(20, 3)), predictions=values.sum(axis=1),
        feature_names=("a", "b", "c"), output_names=("y",), output_space="raw", method="exact_shap",
    )  # fmt: skip
    order = _order(heatmap(exp))
    assert sorted(order) == list(range(20))
    assert np.count_nonzero(np.diff(group[order])) == 1  # one block of each kind
    np.testing.assert_array_equal(order, _order(heatmap(exp)))  # the same order every time


def test_draws_on_the_axes_given_and_shows_the_figure(mixed_local):
    ax = Figure().add_subplot()
    plot = heatmap(mixed_local, ax=ax)
    assert plot.ax is ax and plot.figure is ax.figure
    assert shown_png(plot).startswith(PNG)
    check_renders(lambda: heatmap(mixed_local))


def test_several_outputs_and_bad_arguments(iris_local, mixed_local, mixed_pd):
    with pytest.raises(InputError, match=r"pass output=.*virginica"):
        heatmap(iris_local)
    assert "'virginica'" in heatmap(iris_local, output="virginica").figure.axes[-1].get_ylabel()
    with pytest.raises(InputError, match="order='random'"):
        heatmap(mixed_local, order="random")
    with pytest.raises(InputError, match="every row position from 0 to 59 once"):
        heatmap(mixed_local, order=[0, 0, 1])
    with pytest.raises(InputError, match="max_display"):
        heatmap(mixed_local, max_display=0)
    with pytest.raises(InputError, match="heatmap was given a GlobalExplanation"):
        heatmap(mixed_pd)
