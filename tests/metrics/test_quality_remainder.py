"""metrics.additivity_error and fidelity of a feature selection count its remainder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

import explain as ex


@pytest.fixture(scope="module")
def regression():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    return ex.Explainer(model, background=X[:50]).explain_local(X[:20])


@pytest.fixture(scope="module")
def multi():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    return ex.Explainer(model, background=X[::5], method="exact_shap").explain_local(X[::15])


def test_a_feature_selection_adds_up_with_its_remainder(regression):
    part = regression[:, ["bmi", "bp"]]
    gap_without = np.abs(part.base_values + part.values.sum(axis=1) - part.predictions)
    assert gap_without.max() > 1.0  # the features left out carry real attribution

    per_row = ex.metrics.additivity_error(part)
    assert per_row.shape == (20,)
    assert per_row.max() < 1e-8
    assert per_row.max() == pytest.approx(part.additivity_error(), abs=1e-12)
    np.testing.assert_allclose(per_row, ex.metrics.additivity_error(regression), rtol=0, atol=1e-8)
    assert np.all(ex.metrics.fidelity(part) == 1.0)


def test_a_selection_of_several_outputs_adds_up_per_output(multi):
    part = multi[:, ["petal length (cm)"]]
    assert part.remainder is not None and part.remainder.shape == (multi.n_rows, 3)
    per_row = ex.metrics.additivity_error(part)
    assert per_row.shape == (multi.n_rows, 3)
    assert per_row.max() < 1e-8
    assert per_row.max() == pytest.approx(part.additivity_error(), abs=1e-12)


def test_without_a_selection_nothing_changes(regression):
    expected = np.abs(regression.base_values + regression.values.sum(axis=1) - regression.predictions)
    np.testing.assert_array_equal(ex.metrics.additivity_error(regression), expected)


def test_a_real_gap_is_still_reported_on_a_selection():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.5], "c": [0.25, -0.25]})
    local = ex.LocalExplanation.from_frame(frame, base_values=0.0, predictions=[2.0, 2.0], output_space="raw")
    part = local[:, ["a", "b"]]
    np.testing.assert_allclose(ex.metrics.additivity_error(part), [0.25, 0.25], rtol=0, atol=1e-12)
    assert ex.metrics.additivity_error(part).max() == pytest.approx(part.additivity_error())
