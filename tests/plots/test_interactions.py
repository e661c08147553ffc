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
    ax = dependence(inter, "a")
    (dots,) = ax.collections
    np.testing.assert_allclose(dots.get_offsets()[:, 1], inter.shap_values().values[:, 0])
    (colorbar_axes,) = [a for a in ax.figure.axes if a is not ax]
    assert colorbar_axes.get_ylabel() == "c"
    ax = dependence(inter, "a", color_by="d")  # an explicit choice wins
    assert [a for a in ax.figure.axes if a is not ax][0].get_ylabel() == "d"
