"""Decision plot: one line per row, from its base value at the bottom to its prediction at the top."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from explain.errors import InputError
from explain.plots import decision
from explain.plots._common import format_value

from ._helpers import check_renders, row_texts
from .test_display import PNG, shown_png


def _paths(plot) -> list[np.ndarray]:
    return [p.vertices for p in plot.ax.collections[0].get_paths()]


def test_one_line_per_row_from_base_value_to_prediction(mixed_local):
    plot = decision(mixed_local)
    paths = _paths(plot)
    assert len(paths) == mixed_local.n_rows
    starts = np.array([p[0, 0] for p in paths])
    ends = np.array([p[-1, 0] for p in paths])
    np.testing.assert_allclose(starts, mixed_local.base_values)
    np.testing.assert_allclose(ends, mixed_local.predictions, atol=1e-9)  # Shapley values add up
    n = mixed_local.n_features
    np.testing.assert_allclose(paths[0][:, 1], np.arange(n + 1) - 0.5)  # through each band, bottom up
    order = np.argsort(-np.abs(mixed_local.values).mean(axis=0), kind="stable")
    assert row_texts(plot.ax) == [mixed_local.feature_names[j] for j in order]  # most important on top
    steps = np.diff(paths[5][:, 0])[::-1]  # top band first
    np.testing.assert_allclose(steps, mixed_local.values[5, order])
    assert plot.ax.get_xlabel() == "Model output (probability of class '1')"


def test_rows_chosen_and_the_rest_of_the_features_summed(wide_local):
    plot = decision(wide_local, rows=[0, 4, 9], max_display=5)
    assert len(_paths(plot)) == 3
    assert row_texts(plot.ax)[-1] == "other 56 features"
    ends = [p[-1, 0] for p in _paths(plot)]
    np.testing.assert_allclose(ends, wide_local.predictions[[0, 4, 9]], atol=1e-9)
    assert len(_paths(decision(wide_local, rows=slice(0, 10, 2)))) == 5
    np.testing.assert_allclose(_paths(decision(wide_local, rows=-1))[0][-1, 0], wide_local.predictions[-1], atol=1e-9)


def test_one_row_names_its_values(mixed_local):
    plot = decision(mixed_local, rows=3)
    j = mixed_local.feature_names.index("city")
    assert f"city = {format_value(mixed_local.data[3, j], 'categorical')}" in row_texts(plot.ax)


def test_a_selection_of_features_still_ends_at_the_prediction(mixed_local):
    part = mixed_local[:, ["age", "income"]]
    plot = decision(part)
    assert row_texts(plot.ax)[-1] == "other 2 features"  # the features left out
    np.testing.assert_allclose([p[-1, 0] for p in _paths(plot)], part.predictions, atol=1e-9)


def test_draws_on_the_axes_given_and_shows_the_figure(mixed_local):
    ax = Figure().add_subplot()
    plot = decision(mixed_local, ax=ax)
    assert plot.ax is ax
    assert shown_png(plot).startswith(PNG)
    check_renders(lambda: decision(mixed_local, rows=range(20)))


def test_several_outputs_and_bad_arguments(iris_local, mixed_local, mixed_pd):
    with pytest.raises(InputError, match=r"pass output=.*virginica"):
        decision(iris_local)
    ends = [p[-1, 0] for p in _paths(decision(iris_local, output="setosa"))]
    np.testing.assert_allclose(ends, iris_local.for_output("setosa").predictions, atol=1e-9)
    with pytest.raises(InputError, match="row=99"):
        decision(mixed_local, rows=[1, 99])
    with pytest.raises(InputError, match="selects no row"):
        decision(mixed_local, rows=[])
    with pytest.raises(InputError, match="rows='all'"):
        decision(mixed_local, rows="all")
    with pytest.raises(InputError, match="max_display"):
        decision(mixed_local, max_display=0)
    with pytest.raises(InputError, match="decision was given a GlobalExplanation"):
        decision(mixed_pd)
