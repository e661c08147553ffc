"""Violin: each feature's attributions as a density, with median and interquartile range."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import explain as ex
from explain.errors import InputError
from explain.plots import violin

from ._helpers import check_renders, row_texts
from .test_display import PNG, shown_png


def test_one_violin_per_feature_spanning_its_attributions(mixed_local):
    plot = violin(mixed_local)
    order = np.argsort(-np.abs(mixed_local.values).mean(axis=0), kind="stable")
    names = [mixed_local.feature_names[j] for j in order]
    assert [c.get_label() for c in plot.ax.collections] == names
    assert row_texts(plot.ax) == names
    for body, j in zip(plot.ax.collections, order, strict=True):
        x = body.get_paths()[0].vertices[:, 0]
        assert x.min() == pytest.approx(mixed_local.values[:, j].min())
        assert x.max() == pytest.approx(mixed_local.values[:, j].max())
    medians = [line.get_xdata()[0] for line in plot.ax.get_lines() if line.get_marker() == "o"]
    np.testing.assert_allclose(medians, np.median(mixed_local.values[:, order], axis=0))
    assert plot.ax.get_xlabel() == "SHAP value (probability of class '1')"


def test_other_features_and_a_feature_that_never_matters(wide_local):
    plot = violin(wide_local, max_display=4)
    assert row_texts(plot.ax)[-1] == "other 57 features"
    flat = ex.LocalExplanation(
        values=[[0.0, 0.5], [0.0, -0.5], [0.0, 0.1]], base_values=[0.0] * 3, data=[[1.0, 2.0]] * 3,
        predictions=[0.0, 0.0, 0.1], feature_names=("never", "x"), output_names=("y",), output_space="raw",
        method="exact_shap",
    )  # fmt: skip
    assert [c.get_label() for c in violin(flat).ax.collections] == ["x", "never"]  # all zeros: a spike, no error


def test_draws_on_the_axes_given_and_shows_the_figure(mixed_local):
    ax = Figure().add_subplot()
    plot = violin(mixed_local, ax=ax)
    assert plot.ax is ax
    assert shown_png(plot).startswith(PNG)
    check_renders(lambda: violin(mixed_local))


def test_several_outputs_and_bad_arguments(iris_local, mixed_local, mixed_pd):
    with pytest.raises(InputError, match=r"pass output=.*virginica"):
        violin(iris_local)
    assert "'versicolor'" in violin(iris_local, output=1).ax.get_xlabel()
    with pytest.raises(InputError, match="max_display"):
        violin(mixed_local, max_display=-1)
    with pytest.raises(InputError, match="violin was given a GlobalExplanation"):
        violin(mixed_pd)
