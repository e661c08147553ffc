"""Waterfall: bars add up from the base value to the prediction, labelled "feature = value"."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from explain.errors import InputError
from explain.plots import Style, waterfall
from explain.plots._common import format_value

from ._helpers import bars_by_row, check_renders, row_texts


def _bars_bottom_up(ax):
    return sorted(ax.patches, key=lambda p: p.get_y())


def test_bars_start_at_base_value_and_end_at_prediction(mixed_local):
    row = 3
    ax = waterfall(mixed_local, row)
    bars = _bars_bottom_up(ax)
    assert bars[0].get_x() == pytest.approx(mixed_local.base_values[row])
    assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(mixed_local.predictions[row])
    for below, above in itertools.pairwise(bars):  # each bar starts where the one below ended
        assert above.get_x() == pytest.approx(below.get_x() + below.get_width())


def test_widths_are_the_values_sorted_by_magnitude_with_name_equals_value(mixed_local):
    row = 5
    ax = waterfall(mixed_local, row)
    values = mixed_local.values[row]
    order = np.argsort(-np.abs(values), kind="stable")
    expected = [
        f"{mixed_local.feature_names[j]} = {format_value(mixed_local.data[row, j], mixed_local.feature_kinds[j])}"
        for j in order
    ]
    assert row_texts(ax) == expected
    drawn = bars_by_row(ax)
    for j, label in zip(order, expected, strict=True):
        (bar,) = drawn[label]
        assert bar.get_width() == pytest.approx(values[j])
    assert "city = " in " ".join(expected)  # categorical values shown as their labels
    assert any(label.split(" = ")[1] in {"oslo", "paris", "rome"} for label in expected)


def test_other_features_bar_is_the_sum_of_the_rest(wide_local):
    ax = waterfall(wide_local, 0, max_display=8)
    labels = row_texts(ax)
    assert len(labels) == 8 and labels[-1] == "other 53 features"
    values = wide_local.values[0]
    order = np.argsort(-np.abs(values), kind="stable")
    (other,) = bars_by_row(ax)["other 53 features"]
    assert other.get_width() == pytest.approx(values[order[7:]].sum())
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(values.sum())


def test_long_names_are_shortened_but_kept_apart(wide_local):
    labels = [t.split(" = ")[0] for t in row_texts(waterfall(wide_local, 0, max_display=12))]
    assert len(set(labels)) == len(labels)
    assert all(len(name) <= Style().max_label_chars for name in labels)


def test_axis_label_names_the_output_space_and_class(mixed_local, diabetes_local):
    assert waterfall(mixed_local).get_xlabel() == "Model output (probability of class '1')"
    assert "raw" in waterfall(diabetes_local).get_xlabel()


def test_draws_on_the_axes_given(mixed_local):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    plot = waterfall(mixed_local, ax=ax)
    assert plot.ax is ax and plot.figure is ax.figure


def test_several_outputs_need_one_named(iris_local):
    with pytest.raises(InputError, match=r"setosa.*versicolor.*virginica"):
        waterfall(iris_local)
    ax = waterfall(iris_local, output="virginica")
    assert "'virginica'" in ax.get_xlabel()
    bars = _bars_bottom_up(ax)
    prediction = iris_local.for_output("virginica").predictions[0]
    assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(prediction)
    with pytest.raises(InputError, match="no output named 'dog'"):
        waterfall(iris_local, output="dog")


def test_bad_row_and_max_display(mixed_local):
    with pytest.raises(InputError, match="row=99"):
        waterfall(mixed_local, 99)
    with pytest.raises(InputError, match="max_display"):
        waterfall(mixed_local, max_display=0)


def test_renders_to_png_and_the_same_svg_bytes(wide_local):
    check_renders(lambda: waterfall(wide_local, 1))
