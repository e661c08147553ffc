"""glassbox: linear terms, decision-tree paths and EBM terms, checked against the models."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import explain as ex
from explain.errors import MethodError


def _glassbox(model, X, **kwargs):
    return ex.Explainer(model, method="glassbox", **kwargs).explain_local(X)


def _walk(tree_model, x):
    """Saabas contributions of one row, by walking the fitted tree from the root by hand."""
    tree = tree_model.tree_
    value = tree.value[:, 0, :]
    if hasattr(tree_model, "classes_"):
        value = value / value.sum(axis=1, keepdims=True)
    contributions = np.zeros((len(x), value.shape[1]))
    node = 0
    while tree.children_left[node] != -1:
        feature = tree.feature[node]
        child = tree.children_left[node] if x[feature] <= tree.threshold[node] else tree.children_right[node]
        contributions[feature] += value[child] - value[node]
        node = child
    return contributions, value[0]


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True, as_frame=True)


def test_linear_regression_is_coefficient_times_value(diabetes):
    X, y = diabetes
    model = LinearRegression().fit(X, y)
    local = _glassbox(model, X.iloc[:30])
    np.testing.assert_allclose(local.values, X.iloc[:30].to_numpy() * model.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(local.base_values, model.intercept_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(local.predictions, model.predict(X.iloc[:30]), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-8
    assert local.params["reference"] == "zero"


def test_logistic_regression_is_coefficient_times_value_in_log_odds():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    local = _glassbox(model, X[:30])
    assert local.output_space == "log_odds"
    np.testing.assert_allclose(local.values, X[:30] * model.coef_[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(local.base_values, model.intercept_[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(local.predictions, model.decision_function(X[:30]), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-8


def test_decision_tree_regressor_paths_add_up_to_predict(diabetes):
    X, y = diabetes
    model = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    local = _glassbox(model, X)
    assert local.output_space == "raw"
    assert np.abs(local.base_values + local.values.sum(axis=1) - model.predict(X)).max() < 1e-10
    for row in (0, 17, 300):
        contributions, root = _walk(model, X.to_numpy()[row])
        np.testing.assert_allclose(local.values[row], contributions[:, 0], rtol=0, atol=1e-10)
        np.testing.assert_allclose(local.base_values[row], root[0], rtol=0, atol=1e-10)


def test_decision_tree_classifier_paths_add_up_to_predict_proba():
    X, y = load_breast_cancer(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    local = _glassbox(model, X)
    assert local.output_space == "probability"
    assert local.values.shape == X.shape
    assert np.abs(local.base_values + local.values.sum(axis=1) - model.predict_proba(X)[:, 1]).max() < 1e-10
    for row in (0, 100, 400):
        contributions, root = _walk(model, X[row])
        np.testing.assert_allclose(local.values[row], contributions[:, 1], rtol=0, atol=1e-10)
        np.testing.assert_allclose(local.base_values[row], root[1], rtol=0, atol=1e-10)


def test_multiclass_decision_tree_paths_add_up_to_predict_proba():
    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    local = _glassbox(model, X)
    assert local.values.shape == (150, 4, 3)
    assert np.abs(local.base_values + local.values.sum(axis=1) - model.predict_proba(X)).max() < 1e-10
    contributions, _ = _walk(model, X[120])
    np.testing.assert_allclose(local.values[120], contributions, rtol=0, atol=1e-10)


def test_other_output_than_the_trees_own_is_refused():
    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    with pytest.raises(MethodError, match="decomposition is in 'probability'"):
        _glassbox(model, X[:2], output="log_odds")


def test_model_without_decomposition_is_refused(diabetes):
    from sklearn.ensemble import RandomForestRegressor

    X, y = diabetes
    model = RandomForestRegressor(n_estimators=2, random_state=0).fit(X, y)
    with pytest.raises(MethodError, match="no built-in decomposition"):
        _glassbox(model, X[:2])


# --------------------------------------------------------------------------- EBM


def _ebm_reference(ebm, X_train, rows, output):
    """Interventional Shapley values with the training data as background (exact_shap): what
    glassbox gives an EBM, its pair terms split by Shapley values (issue 14)."""
    explainer = ex.Explainer(ebm, background=X_train, background_size=None, method="exact_shap", output=output)
    return explainer.explain_local(rows).values


@pytest.fixture(scope="module")
def cancer_frame():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :5]
    X.columns = [f"f{i}" for i in range(5)]
    return X, y


def test_ebm_classifier_is_additive_in_log_odds(cancer_frame):
    from interpret.glassbox import ExplainableBoostingClassifier

    X, y = cancer_frame
    ebm = ExplainableBoostingClassifier(
        interactions=[(0, 1)], max_bins=32, outer_bags=2, max_rounds=150, random_state=0, n_jobs=1
    ).fit(X, y)
    rows = X.iloc[:40]
    local = _glassbox(ebm, rows)
    assert local.output_space == "log_odds"
    p = ebm.predict_proba(rows)[:, 1]
    assert np.abs(local.base_values + local.values.sum(axis=1) - np.log(p / (1 - p))).max() < 1e-8
    assert local.additivity_error() < 1e-8
    np.testing.assert_allclose(local.values, _ebm_reference(ebm, X, rows, "log_odds"), rtol=0, atol=1e-10)
    assert local.params["pair_terms"] == "shapley_vs_training_data"
    np.testing.assert_allclose(local.base_values, ebm.intercept_[0], rtol=0, atol=1e-12)


def test_ebm_regressor_is_additive(diabetes):
    from interpret.glassbox import ExplainableBoostingRegressor

    X, y = diabetes
    X = X.iloc[:, :5]
    ebm = ExplainableBoostingRegressor(
        interactions=2, max_bins=32, outer_bags=2, max_rounds=150, random_state=0, n_jobs=1
    ).fit(X, y)
    rows = X.iloc[:40]
    local = _glassbox(ebm, rows)
    assert local.output_space == "raw"
    assert np.abs(local.base_values + local.values.sum(axis=1) - ebm.predict(rows)).max() < 1e-8
    np.testing.assert_allclose(local.values, _ebm_reference(ebm, X, rows, "raw"), rtol=0, atol=1e-10)


def test_multiclass_ebm_is_additive_per_class():
    from interpret.glassbox import ExplainableBoostingClassifier

    X, y = load_iris(return_X_y=True, as_frame=True)
    ebm = ExplainableBoostingClassifier(
        interactions=0, max_bins=16, outer_bags=1, max_rounds=80, random_state=0, n_jobs=1
    )
    ebm.fit(X, y)
    local = _glassbox(ebm, X.iloc[::10])
    assert local.values.shape == (15, 4, 3)
    logits = ebm.decision_function(X.iloc[::10])
    assert np.abs(local.base_values + local.values.sum(axis=1) - logits).max() < 1e-8
    # softmax of the summed scores gives the model's probabilities back
    total = local.base_values + local.values.sum(axis=1)
    proba = np.exp(total) / np.exp(total).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, ebm.predict_proba(X.iloc[::10]), rtol=0, atol=1e-8)


def test_global_effects_of_glass_box_models_are_their_own_terms():
    from explain.glassbox import AdditiveBoostingRegressor

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    linear = LinearRegression().fit(X, y)
    glob = ex.Explainer(linear, method="glassbox").explain_global(X)
    line = glob.effect("bmi")
    assert line.kind == "coefficient"
    np.testing.assert_allclose(line.average, linear.coef_[2] * np.asarray(line.grid), atol=1e-10)
    gam = AdditiveBoostingRegressor(random_state=0).fit(X, y)
    glob = ex.Explainer(gam).explain_global(X)
    assert glob.method == "glassbox" and len(glob.effects) == X.shape[1]
    shape = glob.effect("bmi")
    assert shape.kind == "shape_function"
    np.testing.assert_allclose(
        gam.shape_functions()["bmi"].evaluate(np.asarray(shape.grid, dtype=float)), shape.average, atol=1e-10
    )
