"""ICE curves: one per row, their average equal to explain's partial dependence, in its output space."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import load_iris
from sklearn.inspection import partial_dependence
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain.errors import FeatureMismatchError, InputError, MethodError
from explain.plots import ice

from ._helpers import check_renders
from .test_display import PNG, shown_png


def _curves(plot) -> np.ndarray:
    return np.array([p.vertices[:, 1] for p in plot.ax.collections[0].get_paths()])


def _average(plot) -> np.ndarray:
    (line,) = plot.ax.get_lines()
    return np.asarray(line.get_ydata())


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    return LogisticRegression(max_iter=1000).fit(X, names), X[::3]


def test_average_is_explains_partial_dependence_and_each_row_has_a_curve(mixed_model, mixed_X, mixed_pd):
    rows = mixed_X[:80]  # the rows of mixed_pd
    plot = ice(mixed_model, rows, "age")
    effect = mixed_pd.effect("age")
    np.testing.assert_allclose(_average(plot), effect.average)
    np.testing.assert_allclose(plot.ax.get_lines()[0].get_xdata(), effect.grid)
    curves = _curves(plot)
    assert curves.shape == (80, len(effect.grid))
    np.testing.assert_allclose(curves.mean(axis=0), effect.average)
    np.testing.assert_allclose(np.percentile(curves, 10, axis=0), effect.lower)
    assert plot.ax.get_ylabel() == "Prediction (probability of class '1')"
    assert plot.ax.get_xlabel() == "age"


def test_centered_curves_start_at_zero_and_lines_are_capped(mixed_model, mixed_X):
    plot = ice(mixed_model, mixed_X[:80], "income", centered=True, max_lines=10)
    curves = _curves(plot)
    assert curves.shape[0] == 10
    np.testing.assert_allclose(curves[:, 0], 0.0, atol=1e-12)
    assert _average(plot)[0] == pytest.approx(0.0, abs=1e-12)
    assert plot.ax.get_ylabel().replace("\n", " ").startswith("Change in prediction from income = ")
    assert "ICE: 10 of 80 rows" in [t.get_text() for t in plot.ax.get_legend().get_texts()]


def test_the_explainers_output_space_is_used(mixed_model, mixed_X):
    explainer = ex.Explainer(mixed_model, output="log_odds")
    plot = ice(explainer, mixed_X[:40], "age", grid_resolution=8)
    assert "log-odds of class '1'" in plot.ax.get_ylabel()
    X = mixed_X[:40]
    expected = partial_dependence(mixed_model, X, ["age"], kind="average", grid_resolution=8,
                                  response_method="decision_function")  # fmt: skip
    np.testing.assert_allclose(_average(plot), expected["average"][0])


def test_a_categorical_feature_has_one_point_per_category(mixed_model, mixed_X):
    plot = ice(mixed_model, mixed_X[:40], "city")
    assert [t.get_text() for t in plot.ax.get_xticklabels()] == ["oslo", "paris", "rome"]
    assert _curves(plot).shape == (40, 3)


def test_draws_on_the_axes_given_and_shows_the_figure(mixed_model, mixed_X):
    ax = Figure().add_subplot()
    plot = ice(mixed_model, mixed_X[:30], "age", grid_resolution=10, ax=ax)
    assert plot.ax is ax
    assert shown_png(plot).startswith(PNG)
    check_renders(lambda: ice(mixed_model, mixed_X[:30], "age", grid_resolution=10))


def test_several_outputs_need_one_named(iris):
    model, X = iris
    with pytest.raises(InputError, match=r"3 outputs \['setosa', 'versicolor', 'virginica'\]; pass output="):
        ice(model, X, "petal length (cm)", grid_resolution=5)
    plot = ice(model, X, "petal length (cm)", grid_resolution=5, output="virginica")
    assert "probability of class 'virginica'" in plot.ax.get_ylabel().replace("\n", " ")
    expected = partial_dependence(model, X, ["petal length (cm)"], kind="average", grid_resolution=5)
    np.testing.assert_allclose(_average(plot), expected["average"][2])
    with pytest.raises(InputError, match="output='dog'"):
        ice(model, X, "petal length (cm)", grid_resolution=5, output="dog")


def test_bad_arguments(mixed_model, mixed_X, mixed_local):
    with pytest.raises(FeatureMismatchError, match=r"\['height'\] are not columns of X"):
        ice(mixed_model, mixed_X[:20], "height")
    with pytest.raises(InputError, match="feature=0"):
        ice(mixed_model, mixed_X[:20], 0)
    with pytest.raises(InputError, match=r"LocalExplanation.*pass the model or its Explainer"):
        ice(mixed_local, mixed_X[:20], "age")
    with pytest.raises(InputError, match="X has 1 row"):
        ice(mixed_model, mixed_X[:1], "age")
    with pytest.raises(MethodError, match="grid_resolution=1"):
        ice(mixed_model, mixed_X[:20], "age", grid_resolution=1)
    with pytest.raises(InputError, match="max_lines=0"):
        ice(mixed_model, mixed_X[:20], "age", max_lines=0)
