"""Two-way partial dependence: scikit-learn's average over a grid of two features, as a map."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from sklearn.datasets import load_iris
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LogisticRegression

from explain.errors import InputError
from explain.plots import partial_dependence_2d

from ._helpers import check_renders
from .test_display import PNG, shown_png


def test_two_numeric_features_as_contours(mixed_model, mixed_X):
    X = mixed_X[:60]
    plot = partial_dependence_2d(mixed_model, X, ("age", "income"), grid_resolution=8)
    expected = partial_dependence(mixed_model, X, ["age", "income"], kind="average", grid_resolution=8,
                                  categorical_features=["city", "grade"])  # fmt: skip
    surface = expected["average"][0]
    (filled,) = [c for c in plot.ax.collections if isinstance(c, ContourSet) and c.filled]
    assert filled.levels[0] <= surface.min() and filled.levels[-1] >= surface.max()
    age, income = expected["grid_values"]
    assert plot.ax.get_xlim() == pytest.approx((age.min(), age.max()))  # the map's extent: the grid's
    assert plot.ax.get_ylim() == pytest.approx((income.min(), income.max()))
    assert (plot.ax.get_xlabel(), plot.ax.get_ylabel()) == ("age", "income")
    colorbar = plot.figure.axes[-1]
    assert colorbar.get_ylabel().replace("\n", " ") == "Partial dependence (probability of class '1')"


def test_a_categorical_feature_gets_a_line_of_cells_per_category(mixed_model, mixed_X):
    X = mixed_X[:60]
    plot = partial_dependence_2d(mixed_model, X, ["age", "city"], grid_resolution=6)
    expected = partial_dependence(mixed_model, X, ["age", "city"], kind="average", grid_resolution=6,
                                  categorical_features=["city", "grade"])  # fmt: skip
    (mesh,) = [c for c in plot.ax.collections if isinstance(c, QuadMesh)]
    cells = np.asarray(mesh.get_array()).reshape(3, 6)  # (categories up, ages across)
    np.testing.assert_allclose(cells, expected["average"][0].T)
    assert [t.get_text() for t in plot.ax.get_yticklabels()] == ["oslo", "paris", "rome"]


def test_draws_on_the_axes_given_and_shows_the_figure(mixed_model, mixed_X):
    ax = Figure().add_subplot()
    plot = partial_dependence_2d(mixed_model, mixed_X[:30], ("age", "income"), grid_resolution=5, ax=ax)
    assert plot.ax is ax
    assert shown_png(plot).startswith(PNG)
    check_renders(lambda: partial_dependence_2d(mixed_model, mixed_X[:30], ("age", "income"), grid_resolution=5))


def test_several_outputs_need_one_named():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    pair = ("petal length (cm)", "petal width (cm)")
    with pytest.raises(InputError, match=r"3 outputs \['0', '1', '2'\]; pass output="):
        partial_dependence_2d(model, X[::5], pair, grid_resolution=4)
    plot = partial_dependence_2d(model, X[::5], pair, grid_resolution=4, output="2")
    assert "class '2'" in plot.figure.axes[-1].get_ylabel()


def test_bad_features(mixed_model, mixed_X):
    for features in ("age", ["age"], ("age", "income", "city"), ("age", 3)):
        with pytest.raises(InputError, match="pass two feature names"):
            partial_dependence_2d(mixed_model, mixed_X[:20], features)
    with pytest.raises(InputError, match="names one feature twice"):
        partial_dependence_2d(mixed_model, mixed_X[:20], ("age", "age"))
    with pytest.raises(InputError, match=r"\['height'\] are not columns of X"):
        partial_dependence_2d(mixed_model, mixed_X[:20], ("age", "height"))
