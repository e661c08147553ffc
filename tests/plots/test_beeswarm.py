"""Beeswarm: one dot per row at its attribution, coloured by the feature's value."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba

from explain.plots import Style, beeswarm

from ._helpers import check_renders, row_texts


def test_one_line_per_feature_by_mean_absolute_value(mixed_local):
    ax = beeswarm(mixed_local)
    order = np.argsort(-np.abs(mixed_local.values).mean(axis=0), kind="stable")
    names = [mixed_local.feature_names[j] for j in order]
    assert row_texts(ax) == names
    assert [c.get_label() for c in ax.collections] == names
    for line, (j, dots) in enumerate(zip(order, ax.collections, strict=True)):
        offsets = np.asarray(dots.get_offsets())
        np.testing.assert_allclose(offsets[:, 0], mixed_local.values[:, j])  # x is the attribution
        centre = len(order) - 1 - line
        assert np.all(np.abs(offsets[:, 1] - centre) <= 0.4)  # spread stays within its line


def test_colours_low_to_high_for_numbers_and_grey_for_categories(mixed_local):
    ax = beeswarm(mixed_local).ax
    by_name = {c.get_label(): c for c in ax.collections}
    grey = to_rgba(Style().neutral)
    assert all(tuple(c) == grey for c in by_name["city"].get_facecolors())
    ages = np.asarray(mixed_local.data[:, mixed_local.feature_names.index("age")], dtype=float)
    colours = by_name["age"].get_facecolors()
    low, high = colours[np.argmin(ages)], colours[np.argmax(ages)]
    assert low[2] > low[0] and high[0] > high[2]  # youngest blue, oldest vermillion
    (colorbar_axes,) = [a for a in ax.figure.axes if a is not ax]
    assert colorbar_axes.get_ylabel() == "feature value"
    assert [t.get_text() for t in colorbar_axes.get_yticklabels()] == ["low", "high"]


def test_other_features_line_sums_the_rest_per_row(wide_local):
    ax = beeswarm(wide_local, max_display=6)
    assert row_texts(ax)[-1] == "other 55 features"
    order = np.argsort(-np.abs(wide_local.values).mean(axis=0), kind="stable")
    other = ax.collections[-1].get_offsets()[:, 0]
    np.testing.assert_allclose(other, wide_local.values[:, order[5:]].sum(axis=1))
    assert "probability of class '1'" in ax.get_xlabel()


def test_jitter_is_deterministic(wide_local):
    first = [c.get_offsets().copy() for c in beeswarm(wide_local).collections]
    second = [c.get_offsets().copy() for c in beeswarm(wide_local).collections]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_renders_to_png_and_the_same_svg_bytes(mixed_local):
    check_renders(lambda: beeswarm(mixed_local))
