"""linear_shap against the closed form coef * (x - mean(background)) and shap.LinearExplainer."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

import explain as ex
from explain.errors import MethodError

TOL = 1e-8


def _linear(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, method="linear_shap", **kwargs).explain_local(X)


def _closed_form(coef, intercept, X, background):
    """Values (n, d, k) and base (k,) of f(x) = intercept + coef @ x; coef (k, d)."""
    coef = np.atleast_2d(coef)
    mean = background.mean(axis=0)
    return (X - mean)[:, :, None] * coef.T[None], np.atleast_1d(intercept) + coef @ mean


def _shap_linear(model, background, X):
    explainer = shap.LinearExplainer(model, background)  # interventional (independent) masker
    values = np.asarray(explainer.shap_values(X), dtype=float)
    return values.reshape(X.shape[0], X.shape[1], -1), np.atleast_1d(explainer.expected_value)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.mark.parametrize("model", [LinearRegression(), Ridge(alpha=0.5)], ids=["ols", "ridge"])
def test_regression_equals_closed_form_and_shap(diabetes, model):
    X, y = diabetes
    model.fit(X, y)
    background, rows = X[:60], X[200:220]
    local = _linear(model, background, rows)
    assert local.output_space == "raw"
    values, base = _closed_form(model.coef_, model.intercept_, rows, background)
    assert np.abs(local.values - values[:, :, 0]).max() < TOL
    assert np.abs(local.base_values - base[0]).max() < TOL
    shap_values, shap_base = _shap_linear(model, background, rows)
    assert np.abs(local.values - shap_values[:, :, 0]).max() < TOL
    assert np.abs(local.base_values - shap_base[0]).max() < TOL
    np.testing.assert_allclose(local.predictions, model.predict(rows), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-8


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X, LogisticRegression(max_iter=2000).fit(X, y)


def test_logistic_log_odds_equals_closed_form_and_shap(cancer):
    X, model = cancer
    background, rows = X[:80], X[300:320]
    local = _linear(model, background, rows, output="log_odds")
    assert local.output_space == "log_odds"
    values, base = _closed_form(model.coef_, model.intercept_, rows, background)
    assert np.abs(local.values - values[:, :, 0]).max() < TOL
    assert np.abs(local.base_values - base[0]).max() < TOL
    shap_values, shap_base = _shap_linear(model, background, rows)
    assert np.abs(local.values - shap_values[:, :, 0]).max() < TOL
    assert np.abs(local.base_values - shap_base[0]).max() < TOL
    np.testing.assert_allclose(local.predictions, model.decision_function(rows), atol=1e-9)
    assert local.additivity_error() < 1e-8


def test_logistic_defaults_to_log_odds(cancer):
    X, model = cancer
    assert _linear(model, X[:20], X[:2]).output_space == "log_odds"


def test_logistic_probability_is_refused_with_the_fix(cancer):
    X, model = cancer
    with pytest.raises(MethodError, match="log_odds"):
        _linear(model, X[:20], X[:2], output="probability")


def test_multiclass_logistic_raw_equals_closed_form_and_shap():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    background, rows = X[::5], X[[0, 1, 60, 61, 120, 121]]
    local = _linear(model, background, rows, output="raw")
    assert local.values.shape == (6, 4, 3)
    values, base = _closed_form(model.coef_, model.intercept_, rows, background)
    assert np.abs(local.values - values).max() < TOL
    assert np.abs(local.base_values - base).max() < TOL
    shap_values, shap_base = _shap_linear(model, background, rows)
    assert np.abs(local.values - shap_values).max() < TOL
    assert np.abs(local.base_values - shap_base).max() < TOL
    np.testing.assert_allclose(local.predictions, model.decision_function(rows), atol=1e-9)
    assert local.additivity_error() < 1e-8


def test_non_linear_model_is_refused(diabetes):
    X, y = diabetes
    model = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(MethodError, match="not a scikit-learn linear model"):
        _linear(model, X[:10], X[:2])
