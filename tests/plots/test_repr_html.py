"""Notebook display: an inline SVG figure and a summary table; no JavaScript, no network."""

from __future__ import annotations

import re

import numpy as np

import explain as ex


def _check_html(html: str) -> None:
    assert html.count("<svg") == 1 and "</svg>" in html and "<table>" in html
    assert "<script" not in html.lower() and "javascript:" not in html.lower()
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched
    assert "<?xml" not in html and "<!DOCTYPE" not in html  # embedded, not a standalone document


def test_one_row_shows_a_waterfall_and_the_table(mixed_local):
    html = mixed_local[0]._repr_html_()
    _check_html(html)
    assert "attribution" in html and "prediction" in html


def test_many_rows_and_global(mixed_local, mixed_pd):
    _check_html(mixed_local._repr_html_())
    _check_html(mixed_local.to_global()._repr_html_())
    _check_html(mixed_pd._repr_html_())


def test_same_explanation_same_bytes(wide_local):
    assert wide_local._repr_html_() == wide_local._repr_html_()
    assert wide_local[0]._repr_html_() == wide_local[0]._repr_html_()


def test_several_outputs_show_the_first(iris_local):
    html = iris_local._repr_html_()
    _check_html(html)


def test_large_explanations_stay_small(wide_local):
    big = wide_local[np.arange(1500) % wide_local.n_rows]
    html = big._repr_html_()
    assert len(html) < 400_000
    assert "of the 1500 rows" in html


def test_names_cannot_inject_markup():
    evil = ex.LocalExplanation(
        values=[[0.1, -0.2]], base_values=[0.5], data=[[1.0, 2.0]], predictions=[0.4],
        feature_names=("<script>alert(1)</script>", "b-->c"), output_names=("<b>1</b>",),
        output_space="probability", method="exact_shap",
    )  # fmt: skip
    html = evil._repr_html_()
    _check_html(html)
    assert "<b>1</b>" not in html
