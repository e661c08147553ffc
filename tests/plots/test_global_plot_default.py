"""GlobalExplanation.plot() without a kind: the curves of partial dependence and ALE, bars otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

import explain as ex

from ._helpers import bars_by_row


def test_partial_dependence_plots_its_curves_by_default(mixed_pd):
    plot = mixed_pd.plot()
    assert len(plot.axes) == len(mixed_pd.effects)  # the effects grid, one panel per feature
    assert sorted(ax.get_xlabel() for ax in plot.axes) == sorted(e.feature for e in mixed_pd.effects)
    one = mixed_pd.plot(feature="age")  # feature= alone now reaches the effect plot
    np.testing.assert_allclose(one.ax.get_lines()[0].get_ydata(), mixed_pd.effect("age").average)


def test_ale_plots_its_curves_by_default():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X[["bmi", "bp", "s5"]]
    glob = ex.Explainer(LinearRegression().fit(X, y), method="ale").explain_global(X[:120])
    assert glob.kind == "ale_std"
    plot = glob.plot()
    assert len(plot.axes) == 3
    for ax in plot.axes:
        name = ax.get_xlabel()
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), glob.effect(name).average)


def test_bars_are_still_one_keyword_away(mixed_pd):
    drawn = bars_by_row(mixed_pd.plot("bar"))
    for j, name in enumerate(mixed_pd.feature_names):
        assert drawn[name][0].get_width() == pytest.approx(mixed_pd.importances[j])


def test_attribution_importances_still_plot_as_bars(mixed_local):
    glob = mixed_local.to_global()
    drawn = bars_by_row(glob.plot())
    assert set(drawn) == set(glob.feature_names)
