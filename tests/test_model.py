"""The model adapter: task and class detection, output spaces, and every supported kind of model,
checked against the model's own predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import explain as ex
from explain._model import ModelAdapter
from explain.errors import ModelError

ATOL = 1e-12


def _local(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, **kwargs).explain_local(X)


def _not_extreme(p: np.ndarray) -> np.ndarray:
    return (p > 1e-6) & (p < 1 - 1e-6)


# --------------------------------------------------------------------------- scikit-learn


def test_binary_classifier_explains_the_positive_class_by_name(cancer_data):
    y = cancer_data.y.map({0: "malignant", 1: "benign"})
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(cancer_data.X, y)
    assert list(model.classes_) == ["benign", "malignant"]
    adapter = ModelAdapter.from_model(model)
    assert (adapter.kind, adapter.task, adapter.classes) == ("sklearn", "classification", ("benign", "malignant"))
    local = _local(model, cancer_data.background, cancer_data.rows, method="exact_shap")
    assert local.output_names == ("malignant",)  # classes_[1]
    assert local.values.shape == (5, 5) and local.predictions.shape == (5,)
    np.testing.assert_allclose(local.predictions, model.predict_proba(cancer_data.rows)[:, 1], rtol=0, atol=ATOL)
    assert local.additivity_error() < 1e-9


def test_class_names_rename_the_outputs(cancer_lr, cancer_data):
    local = _local(cancer_lr, cancer_data.background, cancer_data.rows, class_names=["no", "yes"])
    assert local.output_names == ("yes",)


@pytest.fixture(scope="module")
def iris_lr(iris_data):
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(iris_data.X, iris_data.y)


def test_multiclass_classifier_has_one_output_per_class(iris_data, iris_lr):
    model = iris_lr
    X = iris_data.X.iloc[[0, 60, 120]]
    local = _local(model, iris_data.X.iloc[::10], X, method="exact_shap")
    assert local.output_names == ("setosa", "versicolor", "virginica")
    assert local.values.shape == (3, 4, 3)
    assert local.base_values.shape == local.predictions.shape == (3, 3)
    np.testing.assert_allclose(local.predictions, model.predict_proba(X), rtol=0, atol=ATOL)
    np.testing.assert_allclose(local.predictions.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    virginica = local.for_output("virginica")
    np.testing.assert_array_equal(virginica.values, local.values[:, :, 2])
    assert local.additivity_error() < 1e-9


def test_regressor_explains_its_prediction(diabetes_data, diabetes_linreg):
    adapter = ModelAdapter.from_model(diabetes_linreg)
    assert (adapter.task, adapter.classes, adapter.default_output()) == ("regression", None, "raw")
    local = _local(diabetes_linreg, diabetes_data.background, diabetes_data.rows)
    assert (local.method, local.output_space, local.output_names) == ("linear_shap", "raw", ("prediction",))
    np.testing.assert_allclose(local.predictions, diabetes_linreg.predict(diabetes_data.rows), rtol=0, atol=1e-9)
    # linear_shap: w_j (x_j - mean_j), with the background mean as reference
    mean = diabetes_data.background.mean().to_numpy()
    expected = (diabetes_data.rows.to_numpy() - mean) * diabetes_linreg.coef_
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=1e-9)


def test_random_forest_regressor(diabetes_data):
    model = RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(diabetes_data.X, diabetes_data.y)
    local = _local(model, diabetes_data.background, diabetes_data.rows, method="exact_shap")
    np.testing.assert_allclose(local.predictions, model.predict(diabetes_data.rows), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-9


def test_pipeline_with_column_transformer_explains_the_original_columns(mixed_pipeline, mixed_data):
    bg, X = mixed_data.X.iloc[:40], mixed_data.X.iloc[100:106]
    adapter = ModelAdapter.from_model(mixed_pipeline)
    assert adapter.preprocessor is not None and type(adapter.estimator).__name__ == "LogisticRegression"
    assert adapter.feature_names == ("age", "income", "city", "grade")
    linear = _local(mixed_pipeline, bg, X)
    assert linear.method == "linear_shap" and linear.output_space == "log_odds"
    assert linear.feature_names == ("age", "income", "city", "grade")
    assert linear.feature_kinds == ("numeric", "numeric", "categorical", "categorical")
    assert linear.params["summed_from_encoded_columns"] is True
    assert list(linear.data[:, 2]) == list(X["city"]) and list(linear.data[:, 3]) == list(X["grade"])
    margin = mixed_pipeline.decision_function(X)
    np.testing.assert_allclose(linear.predictions, margin, rtol=0, atol=1e-9)
    # the model is additive in the original columns, so the one-hot sums are the exact
    # interventional Shapley values of the original columns
    exact = _local(mixed_pipeline, bg, X, method="exact_shap", output="log_odds")
    np.testing.assert_allclose(linear.values, exact.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(linear.base_values, exact.base_values, rtol=0, atol=1e-9)


def test_pipeline_probability(mixed_pipeline, mixed_data):
    X = mixed_data.X.iloc[100:104]
    local = _local(mixed_pipeline, mixed_data.X.iloc[:30], X, output="probability")
    assert local.method == "exact_shap"  # linear in log-odds only, so auto moves on
    assert "linear_shap" in local.params["auto"]["skipped"]
    np.testing.assert_allclose(local.predictions, mixed_pipeline.predict_proba(X)[:, 1], rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- output spaces


def test_log_odds_is_the_logit_of_the_probability(cancer_lr, cancer_data):
    X = cancer_data.X.iloc[::7]
    adapter = ModelAdapter.from_model(cancer_lr)
    p = cancer_lr.predict_proba(X)[:, 1]
    keep = _not_extreme(p)
    assert keep.sum() > 20
    log_odds = adapter.predict(X, "log_odds")[:, 0]
    np.testing.assert_allclose(log_odds[keep], logit(p[keep]), rtol=0, atol=1e-9)
    np.testing.assert_allclose(adapter.predict(X, "probability")[:, 0], p, rtol=0, atol=0)
    np.testing.assert_allclose(adapter.predict(X, "raw")[:, 0], cancer_lr.decision_function(X), rtol=0, atol=0)


def test_log_odds_of_a_model_without_margin(cancer_rf, cancer_data):
    adapter = ModelAdapter.from_model(cancer_rf)
    assert not adapter.has_margin()
    X = cancer_data.X.iloc[::7]
    p = cancer_rf.predict_proba(X)[:, 1]
    keep = _not_extreme(p)
    assert keep.sum() > 10
    np.testing.assert_allclose(adapter.predict(X, "log_odds")[keep, 0], logit(p[keep]), rtol=0, atol=1e-9)
    assert np.isfinite(adapter.predict(X, "log_odds")).all()  # p = 0 or 1 is clipped, not infinite


def test_multiclass_log_odds_are_per_class(iris_data, iris_lr):
    model = iris_lr
    adapter = ModelAdapter.from_model(model)
    p = model.predict_proba(iris_data.X)
    out = adapter.predict(iris_data.X, "log_odds")
    assert out.shape == (150, 3)
    keep = _not_extreme(p)
    np.testing.assert_allclose(out[keep], logit(p[keep]), rtol=0, atol=1e-9)


@pytest.mark.parametrize("space", ["probability", "log_odds", "raw"])
def test_predictions_are_always_two_dimensional(cancer_lr, cancer_data, space):
    out = ModelAdapter.from_model(cancer_lr).predict(cancer_data.rows, space)
    assert out.shape == (5, 1) and out.dtype == float


def test_each_output_space_is_explained_and_recorded(cancer_lr, cancer_data):
    bg, X = cancer_data.background, cancer_data.rows
    p = cancer_lr.predict_proba(X)[:, 1]
    expected = {"probability": p, "log_odds": cancer_lr.decision_function(X), "raw": cancer_lr.decision_function(X)}
    for space, prediction in expected.items():
        local = _local(cancer_lr, bg, X, method="exact_shap", output=space)
        assert local.output_space == space and local.params["output_requested"] == space
        np.testing.assert_allclose(local.predictions, prediction, rtol=0, atol=1e-9)
        assert local.additivity_error() < 1e-9


def test_errors_from_the_model_are_wrapped_with_context(cancer_data):
    def broken(X):
        raise RuntimeError("database offline")

    with pytest.raises(ModelError, match="RuntimeError when predicting: database offline"):
        _local(broken, cancer_data.background, cancer_data.rows, task="regression")


def test_a_model_returning_three_dimensional_predictions_is_refused(cancer_data):
    with pytest.raises(ModelError, match=r"shape \(5, 1, 1\)"):
        ModelAdapter.from_model(lambda X: np.zeros((len(X), 1, 1)), task="regression").predict(cancer_data.rows, "raw")


def test_nan_support_is_read_from_the_model(cancer_lr, cancer_hgb):
    assert not ModelAdapter.from_model(cancer_lr).allows_nan()
    assert ModelAdapter.from_model(cancer_hgb).allows_nan()


# --------------------------------------------------------------------------- LightGBM / XGBoost / EBM


@pytest.fixture(scope="module")
def lightgbm():
    return pytest.importorskip("lightgbm")


def test_lightgbm_classifier(lightgbm, cancer_data):
    model = lightgbm.LGBMClassifier(n_estimators=15, num_leaves=7, verbose=-1, random_state=0, n_jobs=1)
    model.fit(cancer_data.X, cancer_data.y)
    adapter = ModelAdapter.from_model(model)
    assert (adapter.kind, adapter.task, adapter.classes) == ("lightgbm", "classification", (0, 1))
    local = _local(model, cancer_data.background, cancer_data.rows)
    assert local.method == "tree_shap" and local.output_names == ("1",)
    np.testing.assert_allclose(local.predictions, model.predict_proba(cancer_data.rows)[:, 1], rtol=0, atol=ATOL)
    assert local.additivity_error() < 1e-9
    raw = model.predict(cancer_data.rows, raw_score=True)
    np.testing.assert_allclose(adapter.predict(cancer_data.rows, "raw")[:, 0], raw, rtol=0, atol=0)
    np.testing.assert_allclose(adapter.predict(cancer_data.rows, "log_odds")[:, 0], raw, rtol=0, atol=0)


def test_lightgbm_multiclass(lightgbm, iris_data):
    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=5, verbose=-1, random_state=0, n_jobs=1)
    model.fit(iris_data.X, iris_data.y)
    X = iris_data.X.iloc[[0, 60, 120]]
    local = _local(model, iris_data.X.iloc[::10], X)
    assert local.output_names == ("setosa", "versicolor", "virginica")
    # output="auto" explains the class margins (tree SHAP does not decompose the softmax) and says so
    assert local.output_space == "raw" and "softmax" in local.params["output_note"]
    np.testing.assert_allclose(local.predictions, model.predict(X, raw_score=True), rtol=0, atol=ATOL)


def test_lightgbm_regressor(lightgbm, diabetes_data):
    model = lightgbm.LGBMRegressor(n_estimators=15, num_leaves=7, verbose=-1, random_state=0, n_jobs=1)
    model.fit(diabetes_data.X, diabetes_data.y)
    local = _local(model, diabetes_data.background, diabetes_data.rows)
    assert (local.method, local.output_space, local.output_names) == ("tree_shap", "raw", ("prediction",))
    np.testing.assert_allclose(local.predictions, model.predict(diabetes_data.rows), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-9


def test_lightgbm_booster_from_train(lightgbm, cancer_data):
    data = lightgbm.Dataset(cancer_data.X, cancer_data.y)
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 0, "num_threads": 1}
    booster = lightgbm.train(params, data, 15)
    adapter = ModelAdapter.from_model(booster)
    assert (adapter.kind, adapter.task, adapter.n_features) == ("lightgbm_booster", "classification", 5)
    rows = cancer_data.rows
    local = _local(booster, cancer_data.background, rows)
    assert local.feature_names == tuple(cancer_data.X.columns)
    np.testing.assert_allclose(local.predictions, booster.predict(rows), rtol=0, atol=ATOL)
    log_odds = _local(booster, cancer_data.background, rows, output="log_odds")
    np.testing.assert_allclose(log_odds.predictions, booster.predict(rows, raw_score=True), rtol=0, atol=ATOL)
    assert log_odds.additivity_error() < 1e-9


def test_lightgbm_booster_regression(lightgbm, diabetes_data):
    data = lightgbm.Dataset(diabetes_data.X, diabetes_data.y)
    booster = lightgbm.train({"objective": "regression", "num_leaves": 5, "verbose": -1, "num_threads": 1}, data, 10)
    adapter = ModelAdapter.from_model(booster)
    assert adapter.task == "regression"
    np.testing.assert_allclose(adapter.predict(diabetes_data.rows, "raw")[:, 0], booster.predict(diabetes_data.rows))


@pytest.fixture(scope="module")
def xgboost():
    return pytest.importorskip("xgboost")


def test_xgboost_classifier(xgboost, cancer_data):
    model = xgboost.XGBClassifier(n_estimators=15, max_depth=3, random_state=0, n_jobs=1)
    model.fit(cancer_data.X, cancer_data.y)
    adapter = ModelAdapter.from_model(model)
    assert (adapter.kind, adapter.task, adapter.classes) == ("xgboost", "classification", (0, 1))
    rows = cancer_data.rows
    local = _local(model, cancer_data.background, rows)
    assert local.output_names == ("1",) and local.output_space == "probability"
    np.testing.assert_allclose(local.predictions, model.predict_proba(rows)[:, 1], rtol=0, atol=1e-7)
    margin = model.predict(rows, output_margin=True)
    np.testing.assert_allclose(adapter.predict(rows, "raw")[:, 0], margin, rtol=0, atol=0)
    p = model.predict_proba(rows)[:, 1].astype(float)
    # XGBoost computes probabilities in float32, hence the looser tolerance here
    np.testing.assert_allclose(adapter.predict(rows, "log_odds")[:, 0], logit(p), rtol=0, atol=1e-5)


def test_raw_xgboost_booster_is_refused_with_the_fix(xgboost, cancer_data):
    model = xgboost.XGBClassifier(n_estimators=2, max_depth=2).fit(cancer_data.X, cancer_data.y)
    with pytest.raises(ModelError, match="XGBClassifier"):
        ModelAdapter.from_model(model.get_booster())


def test_explainable_boosting_machine(cancer_data):
    glassbox = pytest.importorskip("interpret.glassbox")
    model = glassbox.ExplainableBoostingClassifier(
        max_rounds=100, outer_bags=2, interactions=0, random_state=0, n_jobs=1
    ).fit(cancer_data.X, cancer_data.y)
    adapter = ModelAdapter.from_model(model)
    assert (adapter.kind, adapter.task, adapter.classes) == ("ebm", "classification", (0, 1))
    rows = cancer_data.rows
    p = model.predict_proba(rows)[:, 1]
    local = _local(model, cancer_data.background, rows)
    assert (local.method, local.output_space) == ("glassbox", "log_odds")
    np.testing.assert_allclose(local.predictions[_not_extreme(p)], logit(p[_not_extreme(p)]), rtol=0, atol=1e-9)
    assert local.additivity_error() < 1e-9
    proba = _local(model, cancer_data.background, rows, output="probability")
    np.testing.assert_allclose(proba.predictions, p, rtol=0, atol=ATOL)


# --------------------------------------------------------------------------- callables


def test_plain_callable_classifier(cancer_data):
    def predict(X):
        z = np.asarray(X, dtype=float)
        return 1 / (1 + np.exp(-(z[:, 0] - 14.0)))

    adapter = ModelAdapter.from_model(predict, task="classification")
    assert (adapter.kind, adapter.classes, adapter.has_margin()) == ("callable", None, False)
    rows = cancer_data.rows.to_numpy()
    local = _local(predict, cancer_data.background.to_numpy(), rows, task="classification")
    assert local.output_space == "probability" and local.output_names == ("positive",)
    np.testing.assert_allclose(local.predictions, predict(rows), rtol=0, atol=ATOL)
    # a function of the first feature only: the other attributions are exactly zero
    np.testing.assert_allclose(local.values[:, 1:], 0.0, rtol=0, atol=1e-15)
    named = _local(predict, cancer_data.background.to_numpy(), rows, task="classification", class_names=["b", "m"])
    assert named.output_names == ("m",)
    with pytest.raises(ModelError, match="output='raw'"):
        _local(predict, cancer_data.background.to_numpy(), rows, task="classification", output="raw")


def test_plain_callable_returning_two_probability_columns(cancer_data):
    def predict(X):
        p = 1 / (1 + np.exp(-(np.asarray(X, dtype=float)[:, 1] - 19.0)))
        return np.column_stack([1 - p, p])

    local = _local(predict, cancer_data.background, cancer_data.rows, task="classification")
    np.testing.assert_allclose(local.predictions, predict(cancer_data.rows)[:, 1], rtol=0, atol=ATOL)


def test_plain_callable_regressor_receives_the_users_container(cancer_data):
    seen = []

    def predict(X):
        seen.append(type(X))
        return X["mean radius"].to_numpy() * 2.0

    local = _local(predict, cancer_data.background, cancer_data.rows, task="regression")
    assert set(seen) == {pd.DataFrame}
    np.testing.assert_allclose(local.predictions, cancer_data.rows["mean radius"] * 2.0, rtol=0, atol=1e-12)
    mean = cancer_data.background["mean radius"].mean()
    np.testing.assert_allclose(local.values[:, 0], 2.0 * (cancer_data.rows["mean radius"] - mean), rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- polars


@pytest.fixture(scope="module")
def polars():
    return pytest.importorskip("polars")


def test_polars_input_gives_the_same_values_as_pandas(polars, cancer_lr, cancer_data):
    bg, X = cancer_data.background, cancer_data.rows
    pandas_local = _local(cancer_lr, bg, X, method="exact_shap")
    for background, rows in ((polars.from_pandas(bg), polars.from_pandas(X)), (bg, polars.from_pandas(X))):
        local = _local(cancer_lr, background, rows, method="exact_shap")
        assert local.feature_names == pandas_local.feature_names
        np.testing.assert_array_equal(local.values, pandas_local.values)
        np.testing.assert_array_equal(local.predictions, pandas_local.predictions)
        np.testing.assert_array_equal(local.data, pandas_local.data)


def test_polars_mixed_frame_gives_the_same_values_as_pandas(polars, mixed_pipeline, mixed_data):
    bg = mixed_data.X.iloc[:30].astype({"grade": object})
    X = mixed_data.X.iloc[50:54].astype({"grade": object})
    pandas_local = _local(mixed_pipeline, bg, X, method="exact_shap")
    polars_local = _local(mixed_pipeline, polars.from_pandas(bg), polars.from_pandas(X), method="exact_shap")
    np.testing.assert_allclose(polars_local.values, pandas_local.values, rtol=0, atol=1e-12)
    assert (polars_local.data == pandas_local.data).all()


# --------------------------------------------------------------------------- glassbox tree


def test_decision_tree_glassbox_adds_up_to_the_probability(cancer_data):
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(cancer_data.X, cancer_data.y)
    local = _local(model, None, cancer_data.rows, method="glassbox")
    assert local.output_space == "probability"
    np.testing.assert_allclose(local.predictions, model.predict_proba(cancer_data.rows)[:, 1], rtol=0, atol=ATOL)
    assert local.additivity_error() < 1e-12


def test_random_forest_explained_without_background_is_path_dependent(cancer_rf, cancer_data):
    local = _local(cancer_rf, None, cancer_data.rows)
    assert local.method == "tree_shap" and local.params["feature_perturbation"] == "tree_path_dependent"
    assert local.provenance.background_fingerprint is None
    np.testing.assert_allclose(local.predictions, cancer_rf.predict_proba(cancer_data.rows)[:, 1], atol=ATOL)


def test_model_classes_of_numpy_types_become_python_values(cancer_data):
    model = RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0).fit(
        cancer_data.X, cancer_data.y.astype(np.int32)
    )
    classes = ModelAdapter.from_model(model).classes
    assert classes == (0, 1) and all(type(c) is int for c in classes)
