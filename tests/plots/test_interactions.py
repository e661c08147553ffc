"""Interaction plots: the heatmap of mean |interaction|, and dependence coloured by the strongest partner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor

import explain as ex
from explain.plots import dependence


@pytest.fixture(scope="module")
def inter():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(500, 4)), columns=["a", "b", "c", "d"])
    y = 3 * X["a"] * X["c"] + X["b"]
    model = GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=0).fit(X, y)
    return ex.Explainer(model).explain_interactions(X[:60])


def test_dependence_of_interaction_values_is_coloured_by_the_strongest_partner(inter):
    assert inter.strongest("a") == "c"
    ax = dependence(inter, "a").ax
    (dots,) = ax.collections
    np.testing.assert_allclose(dots.get_offsets()[:, 1], inter.shap_values().values[:, 0])
    (colorbar_axes,) = [a for a in ax.figure.axes if a is not ax]
    assert colorbar_axes.get_ylabel() == "c"
    ax = dependence(inter, "a", color_by="d").ax  # an explicit choice wins
    assert next(a for a in ax.figure.axes if a is not ax).get_ylabel() == "d"


def test_heatmap_draws_the_mean_absolute_interactions_strongest_first(inter):
    from explain.plots.interactions import interactions

    ax = interactions(inter).ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels[:2]) == ["a", "c"] and sorted(labels) == ["a", "b", "c", "d"]
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    (image,) = ax.get_images()
    drawn = np.ma.filled(image.get_array(), np.nan)
    order = [inter.feature_names.index(n) for n in labels]
    expected = np.abs(inter.values).mean(axis=0)[np.ix_(order, order)]
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(drawn[off], expected[off])
    assert np.isnan(np.diag(drawn)).all()  # main effects left blank by default
    texts = {t.get_text() for t in ax.texts}
    assert f"{expected[0, 1]:.2g}" in texts
    colorbar = next(a for a in ax.figure.axes if a is not ax)
    assert colorbar.get_ylabel().replace("\n", " ") == "mean |SHAP interaction value| (raw prediction)"


def test_heatmap_options_and_refusals(inter):
    from explain.errors import InputError
    from explain.plots.interactions import interactions

    ax = interactions(inter.to_global(), max_display=2, main_effects=True)
    (image,) = ax.get_images()
    drawn = np.asarray(image.get_array())
    assert drawn.shape == (2, 2) and np.isfinite(drawn).all()
    shown = [inter.feature_names.index(t.get_text()) for t in ax.get_yticklabels()]
    assert sorted(shown) == [0, 2]
    np.testing.assert_allclose(np.diag(drawn), np.abs(inter.main_effects).mean(axis=0)[shown])
    with pytest.raises(InputError, match="explain_interactions"):
        interactions(inter.shap_values())
    with pytest.raises(InputError, match="max_display"):
        interactions(inter, max_display=0)
