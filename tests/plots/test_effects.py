"""Effects: the average effect as a line with its ICE band, points for categories, a rug of the data."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import explain as ex
from explain._effects import FeatureEffect
from explain.errors import InputError
from explain.plots import effects, effects_grid

from ._helpers import check_renders


def test_numeric_line_is_the_average_and_the_band_is_lower_to_upper(mixed_pd):
    effect = mixed_pd.effect("age")
    ax = effects(mixed_pd, "age")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), np.asarray(effect.grid, dtype=float))
    np.testing.assert_allclose(line.get_ydata(), effect.average)
    (band,) = ax.collections
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(effect.lower.min())
    assert vertices[:, 1].max() == pytest.approx(effect.upper.max())
    assert ax.get_ylabel() == "Partial dependence (probability of class '1')"
    assert ax.get_xlabel() == "age"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "10th-90th percentile of ICE curves",
        "average effect",
    ]


def test_rug_marks_the_observed_values(mixed_pd, mixed_X):
    ax = effects(mixed_pd, "income", data=mixed_X)
    rug = ax.collections[-1]
    xs = sorted(segment[0][0] for segment in rug.get_segments())
    np.testing.assert_allclose(xs, np.sort(mixed_X["income"].to_numpy()))
    ax = effects(mixed_pd, "income", data=mixed_X["income"].to_numpy())  # the values alone work too
    assert len(ax.collections[-1].get_segments()) == len(mixed_X)


def test_categorical_grid_as_points_with_intervals_and_counts(mixed_pd, mixed_X):
    effect = mixed_pd.effect("city")
    ax = effects(mixed_pd, "city", data=mixed_X)
    points = ax.get_lines()[0]
    np.testing.assert_allclose(points.get_ydata(), effect.average)
    counts = mixed_X["city"].value_counts()
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{c}\n(n={counts[c]})" for c in effect.grid]
    (intervals,) = [c for c in ax.collections if len(c.get_segments()) == len(effect.grid)]
    for segment, low, high in zip(intervals.get_segments(), effect.lower, effect.upper, strict=True):
        assert sorted(segment[:, 1]) == pytest.approx([low, high])


def test_shape_function_is_drawn_as_steps(shape_global):
    ax = effects(shape_global, "age")
    (line,) = ax.get_lines()
    assert line.get_drawstyle() == "steps-pre"
    np.testing.assert_allclose(line.get_ydata(), shape_global.effect("age").average)
    assert ax.get_ylabel() == "Shape function (log-odds of class '1')"
    ax = effects(shape_global, "city")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["oslo", "paris", "rome"]


def test_grid_of_the_most_important_effects(mixed_pd, mixed_X):
    fig = effects_grid(mixed_pd, data=mixed_X, max_panels=3)
    assert isinstance(fig.figure, Figure) and fig.ax is fig.figure.axes[0]
    order = np.argsort(-mixed_pd.importances, kind="stable")[:3]
    assert [ax.get_xlabel() for ax in fig.axes] == [mixed_pd.feature_names[j] for j in order]
    assert "Partial dependence" in fig.get_supylabel()
    assert len(fig.legends) == 1


def test_several_outputs_and_errors(mixed_pd):
    two = FeatureEffect("x", "partial_dependence", (0.0, 1.0, 2.0), [[0, 1], [1, 2], [2, 4]])
    glob = ex.GlobalExplanation(
        importances=[[1.0, 2.0]], spread=None, feature_names=("x",), output_names=("a", "b"),
        output_space="raw", kind="partial_dependence_std", method="partial_dependence", effects=(two,),
    )  # fmt: skip
    with pytest.raises(InputError, match=r"\['a', 'b'\]"):
        effects(glob, "x")
    ax = effects(glob, "x", output="b")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1, 2, 4])
    assert "'b'" in ax.get_ylabel()
    with pytest.raises(InputError, match="no effect was computed for 'height'"):
        effects(mixed_pd, "height")
    with pytest.raises(InputError, match="no column 'age'"):
        effects(mixed_pd, "age", data={"income": [1.0]})


def test_renders_to_png_and_the_same_svg_bytes(mixed_pd, mixed_X):
    check_renders(lambda: effects(mixed_pd, "age", data=mixed_X))
    check_renders(lambda: effects_grid(mixed_pd, data=mixed_X))
