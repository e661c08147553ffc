"""Bar: one row's signed contributions, or global importances with their spread as error bars."""

from __future__ import annotations

import numpy as np
import pytest

import explain as ex
from explain.errors import InputError
from explain.plots import bar

from ._helpers import bars_by_row, check_renders, row_texts


def test_one_row_signed_contributions_in_order(mixed_local):
    one = mixed_local[7]
    ax = bar(one)
    values = one.values[0]
    order = np.argsort(-np.abs(values), kind="stable")
    labels = row_texts(ax)
    assert [label.split(" = ")[0] for label in labels] == [one.feature_names[j] for j in order]
    drawn = bars_by_row(ax)
    for j, label in zip(order, labels, strict=True):
        (patch,) = drawn[label]
        assert patch.get_width() == pytest.approx(values[j])
        assert patch.get_x() == 0.0
    assert ax.get_xlabel() == "SHAP value (probability of class '1')"


def test_global_importances_with_spread_as_error_bars(wide_local):
    glob = wide_local.to_global()
    ax = bar(glob, max_display=10)
    order = np.argsort(-glob.importances, kind="stable")
    labels = row_texts(ax)
    assert labels[-1] == "other 51 features" and len(labels) == 10
    drawn = bars_by_row(ax)
    for j, label in zip(order[:9], labels[:9], strict=True):
        (patch,) = drawn[label]
        assert patch.get_width() == pytest.approx(glob.importances[j])
    (other,) = drawn["other 51 features"]
    assert other.get_width() == pytest.approx(glob.importances[order[9:]].sum())
    (container,) = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    segments = container.errorbar.lines[2][0].get_segments()
    imp, spread = glob.importances[order[:9]], glob.spread[order[:9]]
    assert [seg[1][0] for seg in segments] == pytest.approx(list(imp + spread))
    assert [seg[0][0] for seg in segments] == pytest.approx(list(np.maximum(imp - spread, 0.0)))
    assert ax.get_xlabel() == "mean |SHAP value| (probability of class '1')"


def test_many_rows_are_summarized_as_mean_absolute_values(diabetes_local):
    ax = bar(diabetes_local, max_display=20)
    drawn = bars_by_row(ax)
    means = np.abs(diabetes_local.values).mean(axis=0)
    for j, name in enumerate(diabetes_local.feature_names):
        (patch,) = drawn[name]
        assert patch.get_width() == pytest.approx(means[j])
    assert "raw prediction" in ax.get_xlabel()


def test_permutation_importance_label_names_the_score(mixed_X, mixed_model, mixed_data):
    glob = ex.Explainer(mixed_model, method="permutation_importance", method_params={"n_repeats": 2}).explain_global(
        mixed_X[:60], mixed_data.y[:60]
    )
    ax = bar(glob)
    assert ax.get_xlabel() == "Drop in accuracy when the feature is shuffled"
    drawn = bars_by_row(ax)
    for j, name in enumerate(glob.feature_names):
        assert drawn[name][0].get_width() == pytest.approx(glob.importances[j])


def test_several_outputs(iris_local):
    with pytest.raises(InputError, match="pass output="):
        bar(iris_local.to_global())
    ax = bar(iris_local.to_global(), output=1)
    assert "'versicolor'" in ax.get_xlabel()


def test_rejects_other_objects():
    with pytest.raises(InputError, match="LocalExplanation or a GlobalExplanation"):
        bar([1, 2, 3])


def test_renders_to_png_and_the_same_svg_bytes(wide_local):
    check_renders(lambda: bar(wide_local.to_global()))
    check_renders(lambda: bar(wide_local[2]))


def test_global_bar_orders_like_top_even_with_negative_importances():
    glob = ex.GlobalExplanation(
        importances=np.array([0.05, -0.2, 0.3, 0.01]),
        spread=None,
        feature_names=("a", "b", "c", "d"),
        output_names=("accuracy",),
        output_space="score",
        kind="permutation",
        method="permutation_importance",
    )
    ax = bar(glob)
    drawn = [t.get_text() for t in ax.get_yticklabels()][::-1]  # top of the plot first
    assert drawn == glob.top(4)["feature"].tolist() == ["c", "a", "d", "b"]


def _whisker_ends(ax) -> list[tuple[float, float]]:
    (container,) = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    return [(seg[0][0], seg[1][0]) for seg in container.errorbar.lines[2][0].get_segments()]


def _global(kind: str, importances: list[float], spread: list[float]) -> ex.GlobalExplanation:
    return ex.GlobalExplanation(
        importances=np.array(importances),
        spread=np.array(spread),
        feature_names=("a", "b", "c"),
        output_names=("accuracy",) if kind == "permutation" else ("prediction",),
        output_space="score" if kind == "permutation" else "raw",
        kind=kind,
        method="permutation_importance" if kind == "permutation" else "kernel_shap",
    )


def test_mean_abs_attribution_whiskers_stop_at_zero():
    """A mean |attribution| cannot be negative: its lower whisker ends at 0, not at mean - std."""
    ax = bar(_global("mean_abs_attribution", [0.5, 0.1, 0.02], [0.2, 0.3, 0.05]))
    ends = _whisker_ends(ax)  # top bar first: a, b, c
    assert [low for low, _ in ends] == pytest.approx([0.3, 0.0, 0.0])
    assert [high for _, high in ends] == pytest.approx([0.7, 0.4, 0.07])
    assert all(low >= 0 for low, _ in ends)


def test_permutation_whiskers_may_go_below_zero():
    """A drop in score can be negative (shuffling helped), so both whiskers are kept."""
    ax = bar(_global("permutation", [0.5, 0.1, 0.02], [0.2, 0.3, 0.05]))
    assert [low for low, _ in _whisker_ends(ax)] == pytest.approx([0.3, -0.2, -0.03])
