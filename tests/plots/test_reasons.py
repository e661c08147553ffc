"""Reasons: the principal reasons of one decision, statements as labels, strongest on top."""

from __future__ import annotations

import numpy as np
import pytest

import explain as ex
from explain.errors import InputError
from explain.plots import reasons
from explain.plots._common import format_value

from ._helpers import bars_by_row, check_renders, row_texts

CODES = {
    "age": ("A1", "Age of the applicant"),
    "city": ("C2", "Where the applicant lives"),
    "grade": ("G3", "Grade of the loan"),
}


def test_bars_are_the_reasons_of_the_row(mixed_local):
    row = 2
    expected = mixed_local[row].reasons(k=3, adverse="increase", codes=CODES).to_frame()
    ax = reasons(mixed_local, row, k=3, codes=CODES)
    labels = row_texts(ax)
    statements = [
        statement if code == feature else f"[{code}] {statement}"
        for code, statement, feature in expected[["code", "statement", "feature"]].itertuples(index=False)
    ]
    assert [label.replace("\n", " ") for label in labels] == statements
    drawn = bars_by_row(ax)
    widths = [drawn[label][0].get_width() for label in labels]
    np.testing.assert_allclose(widths, np.abs(expected["contribution"].to_numpy()))
    assert widths == sorted(widths, reverse=True)
    assert ax.get_xlabel() == "How much each reason raised the probability of class '1'"
    assert "higher value is adverse" in ax.get_title()
    assert f"{mixed_local.predictions[row]:.3g}" in ax.get_title()


def test_lower_is_adverse_and_default_statements(mixed_local):
    ax = reasons(mixed_local, 0, adverse="decrease", k=4)
    expected = mixed_local[0].reasons(k=4, adverse="decrease").to_frame()
    shown = [f"{f} = {format_value(v, 'categorical' if isinstance(v, str) else 'numeric')}" for f, v in zip(
        expected["feature"], expected["value"], strict=True
    )]  # fmt: skip
    assert row_texts(ax) == shown  # "feature = value" when no codes are given
    assert "lowered" in ax.get_xlabel() and "lower value is adverse" in ax.get_title()


def test_no_reasons_says_so():
    lowers_everything = ex.LocalExplanation(
        values=[[-0.1, -0.2]], base_values=[0.5], data=[[1.0, 2.0]], predictions=[0.2],
        feature_names=("a", "b"), output_names=("1",), output_space="probability", method="exact_shap",
    )  # fmt: skip
    ax = reasons(lowers_everything, adverse="increase")
    assert ax.patches == [] or all(p.get_width() == 0 for p in ax.patches)
    assert "No feature pushed this prediction toward the adverse outcome." in [t.get_text() for t in ax.texts]
    assert row_texts(reasons(lowers_everything, adverse="decrease")) == ["b = 2", "a = 1"]


def test_renders_to_png_and_the_same_svg_bytes(mixed_local):
    check_renders(lambda: reasons(mixed_local, 1, codes=CODES))


def test_bad_adverse_is_an_input_error(mixed_local):
    with pytest.raises(InputError, match="adverse"):
        reasons(mixed_local, adverse="sideways")


def test_default_direction_is_that_of_local_reasons(mixed_local):
    """No adverse=: the plot shows the reasons LocalExplanation.reasons() gives without it."""
    import inspect

    plot_default = inspect.signature(reasons).parameters["adverse"].default
    table_default = inspect.signature(ex.LocalExplanation.reasons).parameters["adverse"].default
    assert plot_default == table_default == "increase"
    expected = mixed_local[2].reasons(k=3).to_frame()
    assert [label.split(" = ")[0] for label in row_texts(reasons(mixed_local, 2, k=3))] == list(expected["feature"])


@pytest.mark.parametrize(("adverse", "colour"), [("increase", "positive"), ("decrease", "negative")])
def test_bar_colour_is_the_direction_the_reasons_moved_the_prediction(mixed_local, adverse, colour):
    """Reasons of a lower-is-adverse decision (the audit's convention) lowered the prediction: blue
    like every other plot's lowering bars, not vermillion."""
    from matplotlib.colors import to_rgba

    ax = reasons(mixed_local, 0, k=3, adverse=adverse)
    assert ax.patches
    assert {p.get_facecolor() for p in ax.patches} == {to_rgba(getattr(ex.plots.Style(), colour))}
