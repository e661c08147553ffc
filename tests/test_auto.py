"""method="auto": which method is chosen for which model, and that the choice is recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression
from sklearn.svm import SVC

import explain as ex


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 5)), columns=[f"f{i}" for i in range(5)])
    y_class = (X["f0"] + X["f1"] * X["f2"] > 0).astype(int)
    y_reg = X["f0"] * 2 + X["f3"] ** 2
    return X, y_class, y_reg


def _auto(model, X, **kwargs):
    local = ex.Explainer(model, background=X.iloc[:10], **kwargs).explain_local(X.iloc[:2])
    assert local.params["auto"]["chosen"] == local.method
    return local


def _lightgbm():
    lightgbm = pytest.importorskip("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1)


def _xgboost():
    xgboost = pytest.importorskip("xgboost")
    return xgboost.XGBRegressor(n_estimators=5, max_depth=2)


@pytest.mark.parametrize(
    ("make", "target"),
    [
        (lambda: HistGradientBoostingClassifier(max_iter=5), "class"),
        (lambda: GradientBoostingRegressor(n_estimators=5), "reg"),
        (lambda: RandomForestClassifier(n_estimators=3, random_state=0), "class"),
        (lambda: RandomForestRegressor(n_estimators=3, random_state=0), "reg"),
        (_lightgbm, "class"),
        (_xgboost, "reg"),
    ],
    ids=["hist_gradient_boosting", "gradient_boosting", "forest_classifier", "forest_regressor", "lightgbm", "xgboost"],
)
def test_tree_models_get_tree_shap(data, make, target):
    X, y_class, y_reg = data
    model = make().fit(X, y_class if target == "class" else y_reg)
    local = _auto(model, X)
    assert local.method == "tree_shap"
    assert dict(local.params["auto"]["skipped"]) == {}


def test_linear_regression_gets_linear_shap(data):
    X, _, y_reg = data
    local = _auto(LinearRegression().fit(X, y_reg), X)
    assert local.method == "linear_shap"
    assert "tree_shap" in local.params["auto"]["skipped"]


def test_svc_with_probabilities_gets_exact_shap(data):
    X, y_class, _ = data
    local = _auto(SVC(probability=True, random_state=0).fit(X, y_class), X)
    assert local.method == "exact_shap"
    assert set(local.params["auto"]["skipped"]) == {"tree_shap", "linear_shap"}


@pytest.mark.parametrize(
    ("d", "method"), [(3, "exact_shap"), (11, "exact_shap"), (12, "kernel_shap"), (14, "kernel_shap")]
)
def test_callable_gets_exact_shap_up_to_11_features_then_kernel_shap(d, method):
    rng = np.random.default_rng(d)
    X = pd.DataFrame(rng.normal(size=(12, d)), columns=[f"x{i}" for i in range(d)])
    local = _auto(lambda Z: np.asarray(Z, dtype=float).sum(axis=1), X, task="regression")
    assert local.method == method
    if method == "kernel_shap":
        assert "coalitions" in local.params["auto"]["skipped"]["exact_shap"]
    else:
        assert "no more than kernel_shap" in local.params["auto"]["reason"]


@pytest.mark.parametrize(
    ("d", "nsamples", "method"),
    [(12, 4094, "exact_shap"), (12, 4093, "kernel_shap"), (11, 2046, "exact_shap"), (9, 300, "kernel_shap")],
)
def test_exact_when_it_scores_no_more_model_rows_than_kernel_shap(d, nsamples, method):
    """(2^d - 2) coalitions per row against kernel_shap's nsamples, as configured; the model rows
    compared are recorded."""
    rng = np.random.default_rng(d)
    X = pd.DataFrame(rng.normal(size=(12, d)), columns=[f"x{i}" for i in range(d)])
    local = _auto(
        lambda Z: np.asarray(Z, dtype=float).sum(axis=1), X, task="regression", method_params={"nsamples": nsamples}
    )
    assert local.method == method
    exact_rows, sampled_rows = ((1 << d) - 2) * 10, min(nsamples, (1 << d) - 2) * 10  # 10 background rows
    note = local.params["auto"]["reason"] if method == "exact_shap" else local.params["auto"]["skipped"]["exact_shap"]
    assert f"= {exact_rows} model rows" in note and f"({sampled_rows})" in note


def test_ebm_gets_glassbox(data):
    pytest.importorskip("interpret")
    from interpret.glassbox import ExplainableBoostingClassifier

    X, y_class, _ = data
    ebm = ExplainableBoostingClassifier(interactions=0, max_bins=16, outer_bags=1, max_rounds=30, n_jobs=1)
    local = _auto(ebm.fit(X, y_class), X)
    assert local.method == "glassbox"


def test_explicit_method_has_no_auto_record(data):
    X, _, y_reg = data
    local = ex.Explainer(LinearRegression().fit(X, y_reg), background=X.iloc[:10], method="exact_shap").explain_local(
        X.iloc[:2]
    )
    assert "auto" not in local.params
