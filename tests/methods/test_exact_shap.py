"""exact_shap against the brute-force reference of ``_reference.py``, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain.errors import MethodError

from ._reference import shapley

TOL = 1e-8


def _exact(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, method="exact_shap", **kwargs).explain_local(X)


def _assert_matches(local, f, X, background):
    phi, base = shapley(f, X, background)
    if not local.is_multi_output:
        phi, base = phi[:, :, 0], base[:, 0]
    assert local.values.shape == phi.shape
    assert np.abs(local.values - phi).max() < TOL
    assert np.abs(local.base_values - base).max() < TOL
    assert local.additivity_error() < 1e-10 * max(1.0, np.abs(local.predictions).max())


def test_reference_matches_closed_forms():
    # the reference itself: a linear game, and a pure interaction split equally
    rng = np.random.default_rng(0)
    w, bg, X = rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    phi, base = shapley(lambda Z: Z @ w, X, bg)
    np.testing.assert_allclose(phi[:, :, 0], (X - bg.mean(axis=0)) * w, atol=1e-12)
    np.testing.assert_allclose(base[:, 0], bg.mean(axis=0) @ w, atol=1e-12)
    phi, _ = shapley(lambda Z: Z[:, 0] * Z[:, 1], np.array([[2.0, 3.0, 5.0]]), np.zeros((1, 3)))
    np.testing.assert_allclose(phi[0, :, 0], [3.0, 3.0, 0.0], atol=1e-12)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


@pytest.mark.parametrize(
    "model",
    [
        RandomForestRegressor(n_estimators=20, max_depth=5, random_state=0),
        GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=0),
    ],
    ids=["random_forest", "gradient_boosting"],
)
def test_regressors_on_diabetes_match_reference(diabetes, model):
    X, y = diabetes
    model.fit(X, y)
    background, rows = X.iloc[:12], X.iloc[200:203]
    local = _exact(model, background, rows)
    assert local.feature_names == tuple(X.columns)
    _assert_matches(local, model.predict, rows, background)


@pytest.fixture(scope="module")
def cancer8():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    model = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(X, y)
    return X, model


def test_binary_probability_matches_reference(cancer8):
    X, model = cancer8
    background, rows = X.iloc[:15], X.iloc[300:304]
    local = _exact(model, background, rows, output="probability")
    assert local.output_space == "probability"
    assert local.output_names == ("1",)
    _assert_matches(local, lambda Z: model.predict_proba(Z)[:, 1], rows, background)


def test_binary_log_odds_matches_reference(cancer8):
    X, model = cancer8
    background, rows = X.iloc[:15], X.iloc[300:304]
    local = _exact(model, background, rows, output="log_odds")
    assert local.output_space == "log_odds"

    # the log-odds of the positive class, computed from the probabilities
    def log_odds(Z):
        p = model.predict_proba(Z)[:, 1]
        return np.log(p) - np.log1p(-p)

    _assert_matches(local, log_odds, rows, background)


def test_multiclass_probability_matches_reference():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    background, rows = X[::10], X[[0, 60, 120, 149]]
    local = _exact(model, background, rows)
    assert local.values.shape == (4, 4, 3)
    assert local.output_names == ("0", "1", "2")
    _assert_matches(local, model.predict_proba, rows, background)


def _frame_with_strings(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.gamma(2.0, 1.5, n)})
    df["city"] = pd.Series(rng.choice(["oslo", "paris", "rome"], n), dtype=object)
    y = (df["age"] - 40) / 10 + (df["city"] == "rome") + 0.3 * df["income"] + rng.normal(0, 0.5, n)
    return df, y


def test_object_column_through_pipeline_matches_reference():
    df, y = _frame_with_strings()
    assert df["city"].dtype == object
    pre = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["city"]), (StandardScaler(), ["age", "income"])
    )
    model = make_pipeline(pre, GradientBoostingRegressor(n_estimators=30, max_depth=3, random_state=0)).fit(df, y)
    background, rows = df.iloc[:15], df.iloc[100:104]
    local = _exact(model, background, rows)
    assert local.feature_names == ("age", "income", "city")
    assert list(local.data[:, 2]) == list(rows["city"])
    _assert_matches(local, model.predict, rows, background)


def test_values_do_not_depend_on_rows_explained_together(diabetes):
    X, y = diabetes
    model = RandomForestRegressor(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    together = _exact(model, X.iloc[:10], X.iloc[50:54])
    alone = _exact(model, X.iloc[:10], X.iloc[52:53])
    np.testing.assert_allclose(together.values[2], alone.values[0], atol=1e-12)


def test_too_many_features_is_refused_with_the_alternatives():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 16))
    with pytest.raises(MethodError, match=r"limited to 15 features.*kernel_shap"):
        _exact(lambda Z: Z.sum(axis=1), X[:5], X[:2], task="regression")


def test_max_features_setting_is_honoured():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5))
    with pytest.raises(MethodError, match="limited to 4 features"):
        _exact(lambda Z: Z.sum(axis=1), X[:5], X[:2], task="regression", method_params={"max_features": 4})


def test_without_background_is_refused():
    with pytest.raises(MethodError, match="background"):
        ex.Explainer(lambda Z: Z.sum(axis=1), method="exact_shap", task="regression").explain_local(np.ones((2, 3)))


def test_chunks_and_n_jobs_give_the_same_values(monkeypatch):
    from explain.methods import _batch

    X, y = load_diabetes(return_X_y=True)
    X = X[:, :6]
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    one = _exact(model, X[:20], X[50:80])
    monkeypatch.setattr(_batch, "MIN_CALL_ROWS", 1)
    monkeypatch.setattr(_batch, "CALL_VALUES", 20 * 6 * 7)  # 7 coalitions per model call: calls straddle rows
    monkeypatch.setattr(_batch, "MAX_TASK_ROWS", 3)  # many tasks
    small = _exact(model, X[:20], X[50:80])
    two = _exact(model, X[:20], X[50:80], n_jobs=2)
    assert np.array_equal(small.values, one.values)  # trees score a row the same in any batch
    assert np.array_equal(two.values, one.values)
    assert np.array_equal(two.base_values, one.base_values)


@pytest.mark.parametrize("d", [1, 2])
def test_one_and_two_features(d):
    rng = np.random.default_rng(d)
    background, X = rng.normal(size=(5, d)), rng.normal(size=(3, d))

    def f(Z):
        return np.exp(Z[:, 0]) * (1 + Z[:, -1] ** 2)

    local = _exact(f, background, X, task="regression")
    phi, base = shapley(f, X, background)
    assert np.abs(local.values - phi[:, :, 0]).max() < TOL
    assert np.abs(local.base_values - base[:, 0]).max() < TOL
