"""Compare: grouped bars of two explanations of the same rows, their agreement in the title."""

from __future__ import annotations

import re

import numpy as np
import pytest

import explain as ex
from explain.errors import InputError
from explain.plots import compare

from ._helpers import bars_by_row, check_renders, row_texts


@pytest.fixture(scope="module")
def pair(wide_X, wide_model):
    """The same rows explained against two backgrounds (how much does the reference matter?)."""
    rows = wide_X[:8]
    a = ex.Explainer(wide_model, background=wide_X[:40]).explain_local(rows)
    b = ex.Explainer(wide_model, background=wide_X[100:140]).explain_local(rows)
    return a, b


def _title_numbers(ax):
    return [float(x) for x in re.findall(r"= (\d\.\d\d)", ax.get_title())]


def test_mean_absolute_values_side_by_side_with_agreement(pair):
    a, b = pair
    ax = compare(a, b, max_display=8)
    mean_a, mean_b = np.abs(a.values).mean(axis=0), np.abs(b.values).mean(axis=0)
    order = np.argsort(-np.maximum(mean_a, mean_b), kind="stable")
    labels = row_texts(ax)
    assert labels[-1] == "other 53 features"
    drawn = bars_by_row(ax)
    for j, label in zip(order[:7], labels[:7], strict=True):
        first, second = sorted(drawn[label], key=lambda p: -p.get_y())  # a drawn above b
        assert (first.get_width(), second.get_width()) == pytest.approx((mean_a[j], mean_b[j]))
    first, second = sorted(drawn["other 53 features"], key=lambda p: -p.get_y())
    assert first.get_width() == pytest.approx(mean_a[order[7:]].sum())
    rho = np.nanmean(ex.metrics.rank_correlation(a, b))
    jaccard = np.nanmean(ex.metrics.top_k_jaccard(a, b, k=5))
    assert _title_numbers(ax) == pytest.approx([rho, jaccard], abs=0.006)
    assert "top-5 Jaccard" in ax.get_title() and "mean over 8 rows" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a: tree_shap", "b: tree_shap"]
    assert "probability of class '1'" in ax.get_xlabel()


def test_one_row(pair):
    a, b = pair
    ax = compare(a, b, row=4, max_display=61, k=3)
    order = np.argsort(-np.maximum(np.abs(a.values[4]), np.abs(b.values[4])), kind="stable")
    labels = row_texts(ax)
    assert len(labels) == 60
    drawn = bars_by_row(ax)
    for j, label in zip(order[:10], labels[:10], strict=True):
        first, second = sorted(drawn[label], key=lambda p: -p.get_y())
        assert (first.get_width(), second.get_width()) == pytest.approx((a.values[4, j], b.values[4, j]))
    rho = ex.metrics.rank_correlation(a, b)[4]
    jaccard = ex.metrics.top_k_jaccard(a, b, k=3)[4]
    assert _title_numbers(ax) == pytest.approx([rho, jaccard], abs=0.006)
    assert "row 4" in ax.get_title()


def test_two_methods_are_named_in_the_legend(mixed_local, mixed_X, mixed_model):
    other = ex.Explainer(mixed_model, background=mixed_X[:40], output="probability", method="lime")
    b = other.explain_local(mixed_X[:60])
    ax = compare(mixed_local, b)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [mixed_local.method, "lime"]
    assert row_texts(ax) == sorted(
        mixed_local.feature_names,
        key=lambda f: (
            -max(
                np.abs(mixed_local.values[:, mixed_local.feature_names.index(f)]).mean(),
                np.abs(b.values[:, b.feature_names.index(f)]).mean(),
            )
        ),
    )


def test_needs_the_same_rows_and_output_space(pair, mixed_X, mixed_model):
    a, b = pair
    with pytest.raises(InputError, match="not of the same rows"):
        compare(a, b[:5])
    in_log_odds = ex.Explainer(mixed_model, background=mixed_X[:40]).explain_local(mixed_X[:5])
    in_probability = ex.Explainer(mixed_model, background=mixed_X[:40], output="probability").explain_local(mixed_X[:5])
    with pytest.raises(InputError, match="different output spaces"):
        compare(in_log_odds, in_probability)


def test_renders_to_png_and_the_same_svg_bytes(pair):
    check_renders(lambda: compare(*pair))
