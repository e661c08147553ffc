"""Global methods equal sklearn.inspection for the same random_state, in the user's columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain.errors import FeatureMismatchError, InputError, MethodError


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X[:400], y[:400])
    return model, X[400:], y[400:]


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(1)
    n = 400
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 12, n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "age": rng.integers(18, 80, n).astype(float),
        }
    )
    y = ((X["income"] + 10 * (X["region"] == "south") + rng.normal(0, 5, n)) > 55).astype(int)
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["region"]), (StandardScaler(), ["income", "age"])),
        LogisticRegression(),
    ).fit(X, y)
    return pipe, X, y


def test_permutation_importance_equals_sklearn(cancer):
    model, X, y = cancer
    glob = ex.Explainer(model, method="permutation_importance", random_state=3).explain_global(X, y)
    ref = permutation_importance(model, X, y, n_repeats=5, random_state=3, scoring="accuracy")
    np.testing.assert_allclose(glob.importances, ref.importances_mean, atol=1e-12, rtol=0)
    np.testing.assert_allclose(glob.spread, ref.importances_std, atol=1e-12, rtol=0)
    assert glob.kind == "permutation" and glob.params["scoring"] == "accuracy"
    assert glob.feature_names == tuple(X.columns)


def test_permutation_importance_through_pipeline_in_original_columns(mixed):
    pipe, X, y = mixed
    settings = {"n_repeats": 7, "scoring": "roc_auc"}
    explainer = ex.Explainer(pipe, method="permutation_importance", method_params=settings)
    glob = explainer.explain_global(X, y)
    ref = permutation_importance(pipe, X, y, n_repeats=7, random_state=0, scoring="roc_auc")
    assert glob.feature_names == ("income", "region", "age")
    np.testing.assert_allclose(glob.importances, ref.importances_mean, atol=1e-12, rtol=0)
    assert glob.top(1)["feature"].item() == "income"


def test_partial_dependence_equals_sklearn(cancer):
    model, X, _ = cancer
    glob = ex.Explainer(model, method="partial_dependence").explain_global(X, features=["mean radius", "mean area"])
    assert glob.feature_names == ("mean radius", "mean area")
    for name in glob.feature_names:
        ref = partial_dependence(model, X, [name], kind="both", grid_resolution=50, response_method="predict_proba")
        effect = glob.effect(name)
        np.testing.assert_allclose(effect.grid, ref["grid_values"][0], atol=0)
        np.testing.assert_allclose(effect.average, ref["average"][0], atol=1e-12)
        ice = ref["individual"][0]
        np.testing.assert_allclose(effect.lower, np.percentile(ice, 10, axis=0), atol=1e-12)
        assert np.all(effect.lower <= effect.upper)
    assert glob.importances[0] == pytest.approx(glob.effect("mean radius").average.std())


def test_partial_dependence_categorical_and_multiclass(mixed):
    pipe, X, _ = mixed
    glob = ex.Explainer(pipe, method="partial_dependence").explain_global(X, features=["region"])
    assert set(glob.effect("region").grid) == {"north", "south", "east", "west"}
    Xi, yi = load_iris(return_X_y=True, as_frame=True)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(Xi, yi)
    multi = ex.Explainer(model, method="partial_dependence").explain_global(Xi)
    assert multi.importances.shape == (4, 3)
    assert multi.effect("petal length (cm)").average.shape[1] == 3


def test_global_effects_round_trip(tmp_path, cancer):
    model, X, _ = cancer
    glob = ex.Explainer(model, method="partial_dependence").explain_global(X, features=["mean texture"])
    path = tmp_path / "global.json"
    glob.to_json(path)
    back = ex.load(path)
    assert back.effect("mean texture").grid == glob.effect("mean texture").grid
    assert np.array_equal(back.effect("mean texture").average, glob.effect("mean texture").average)
    assert np.array_equal(back.importances, glob.importances)


def test_regression_permutation_default_scoring():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    glob = ex.Explainer(model, method="permutation_importance").explain_global(X, y)
    assert glob.params["scoring"] == "r2" and glob.output_names == ("r2",)


def test_global_method_errors(cancer):
    model, X, y = cancer
    with pytest.raises(MethodError, match="explain_global"):
        ex.Explainer(model, method="permutation_importance").explain_local(X)
    with pytest.raises(InputError, match="target"):
        ex.Explainer(model, method="permutation_importance").explain_global(X)
    with pytest.raises(InputError, match="rows"):
        ex.Explainer(model, method="permutation_importance").explain_global(X, y[:5])
    with pytest.raises(FeatureMismatchError, match="nope"):
        ex.Explainer(model, method="partial_dependence").explain_global(X, features=["nope"])
    with pytest.raises(MethodError, match="n_repeat"):
        ex.Explainer(model, method="permutation_importance", method_params={"n_repeat": 3}).explain_global(X, y)


def test_local_methods_give_mean_abs_attribution(cancer):
    model, X, _ = cancer
    glob = ex.Explainer(model, background=X[:50]).explain_global(X[:40])
    local = ex.Explainer(model, background=X[:50]).explain_local(X[:40])
    np.testing.assert_allclose(glob.importances, np.abs(local.values).mean(axis=0))
    assert glob.kind == "mean_abs_attribution"


def test_partial_dependence_of_a_regressor_with_an_integer_column():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.assign(age_years=(X["age"] * 100 + 50).round().astype(int))
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    glob = ex.Explainer(model, method="partial_dependence").explain_global(X, features=["age_years", "bmi"])
    assert list(glob.params["integer_columns_as_float"]) == ["age_years"]
    ref = partial_dependence(model, X.astype({"age_years": float}), ["age_years"], kind="both", grid_resolution=50)
    np.testing.assert_allclose(glob.effect("age_years").average, ref["average"][0], atol=1e-12)
    assert X["age_years"].dtype.kind == "i"  # the user's frame is untouched
