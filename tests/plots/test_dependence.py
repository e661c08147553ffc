"""Dependence: a feature's value on x, its attribution on y, optionally coloured by another feature."""

from __future__ import annotations

import numpy as np
import pytest

from explain.errors import InputError
from explain.plots import dependence

from ._helpers import check_renders


def test_numeric_feature_against_its_attribution(mixed_local):
    ax = dependence(mixed_local, "age")
    (dots,) = ax.collections
    j = mixed_local.feature_names.index("age")
    np.testing.assert_allclose(dots.get_offsets()[:, 0], np.asarray(mixed_local.data[:, j], dtype=float))
    np.testing.assert_allclose(dots.get_offsets()[:, 1], mixed_local.values[:, j])
    assert ax.get_xlabel() == "age"
    assert ax.get_ylabel().replace("\n", " ") == "SHAP value of 'age' (probability of class '1')"


def test_categorical_feature_one_column_per_label(mixed_local):
    ax = dependence(mixed_local, "city")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["oslo", "paris", "rome"]
    (dots,) = ax.collections
    j = mixed_local.feature_names.index("city")
    positions = np.round(dots.get_offsets()[:, 0]).astype(int)
    labels = np.array(["oslo", "paris", "rome"])[positions]
    assert list(labels) == list(mixed_local.data[:, j])
    np.testing.assert_allclose(dots.get_offsets()[:, 1], mixed_local.values[:, j])


def test_colour_by_a_categorical_feature_has_a_legend(mixed_local):
    ax = dependence(mixed_local, "age", color_by="city")
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "city"
    assert [t.get_text() for t in legend.get_texts()] == ["oslo", "paris", "rome"]
    (dots,) = ax.collections
    assert len({tuple(c) for c in dots.get_facecolors()}) == 3


def test_colour_by_a_numeric_feature_has_a_colorbar(mixed_local):
    ax = dependence(mixed_local, "city", color_by="age").ax
    (colorbar_axes,) = [a for a in ax.figure.axes if a is not ax]
    assert colorbar_axes.get_ylabel() == "age"


def test_feature_by_position_and_errors(mixed_local, iris_local):
    assert dependence(mixed_local, 0).get_xlabel() == mixed_local.feature_names[0]
    with pytest.raises(InputError, match="no feature named 'height'"):
        dependence(mixed_local, "height")
    with pytest.raises(InputError, match="out of range"):
        dependence(mixed_local, 17)
    with pytest.raises(InputError, match="pass output="):
        dependence(iris_local, "sepal length (cm)")
    assert "'setosa'" in dependence(iris_local, "sepal length (cm)", output="setosa").get_ylabel()


def test_renders_to_png_and_the_same_svg_bytes(mixed_local):
    check_renders(lambda: dependence(mixed_local, "income", color_by="age"))
