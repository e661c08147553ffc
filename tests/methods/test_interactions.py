"""SHAP interaction values: against shap, against brute-force enumeration, invariants, bad input.

The brute-force references below are written plainly and import nothing from ``explain``
except, for the path-dependent game of trees with categorical splits (which shap does not
read), the one function that decides where a split sends a value.
"""

from __future__ import annotations

import itertools
import json
import warnings
from math import factorial

import catboost
import lightgbm
import numpy as np
import pandas as pd
import pytest
import shap
import xgboost
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import explain as ex
from explain import InteractionExplanation
from explain.errors import AdditivityError, FeatureMismatchError, InputError, MethodError, SchemaError

ROWS = slice(0, 30)
# XGBoost's own TreeSHAP (which shap hands interactions to) sums in float32: a relative tolerance
TOL = {"xgboost": 2e-6}


# --------------------------------------------------------------------------- references


def interaction_index(v: dict[frozenset, np.ndarray], d: int) -> np.ndarray:
    """Lundberg's interaction values ``(d, d, k)`` of a game given by its coalition values:
    ``sum_{S in N-{i,j}} |S|! (d-|S|-2)! / (2 (d-1)!) delta_ij(S)`` off the diagonal, the Shapley
    value minus the row's off-diagonal sum on it."""
    k = next(iter(v.values())).shape[0]
    out = np.zeros((d, d, k))
    for i, j in itertools.permutations(range(d), 2):
        others = [f for f in range(d) if f not in (i, j)]
        for size in range(len(others) + 1):
            weight = factorial(size) * factorial(d - size - 2) / (2 * factorial(d - 1))
            for S in map(frozenset, itertools.combinations(others, size)):
                out[i, j] += weight * (v[S | {i, j}] - v[S | {i}] - v[S | {j}] + v[S])
    for i in range(d):
        phi = np.zeros(k)
        others = [f for f in range(d) if f != i]
        for size in range(d):
            weight = factorial(size) * factorial(d - size - 1) / factorial(d)
            for S in map(frozenset, itertools.combinations(others, size)):
                phi += weight * (v[S | {i}] - v[S])
        out[i, i] = phi - out[i].sum(axis=0) + out[i, i]
    return out


def interventional_game(f, x: np.ndarray, background: np.ndarray) -> dict[frozenset, np.ndarray]:
    d = len(x)
    v = {}
    for size in range(d + 1):
        for S in itertools.combinations(range(d), size):
            Z = np.array(background, dtype=float, copy=True)
            Z[:, list(S)] = x[list(S)]
            v[frozenset(S)] = np.asarray(f(Z), dtype=float).reshape(len(Z), -1).mean(axis=0)
    return v


def brute_force(f, X: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Interventional interaction values ``(n, d, d, k)`` by enumerating every coalition."""
    return np.stack([interaction_index(interventional_game(f, x, background), X.shape[1]) for x in X])


def path_dependent_game(forest, x: np.ndarray) -> dict[frozenset, np.ndarray]:
    """Path-dependent coalition values of the summed trees: a split on a feature outside ``S``
    sends the row down both children in proportion to their training cover."""
    from explain.methods._tree_engine import split_goes_right

    decide = split_goes_right.py_func

    def value(t: int, node: int, S: frozenset) -> np.ndarray:
        left, right = forest.left[t, node], forest.right[t, node]
        if left < 0:
            return forest.value[t, node]
        f = forest.feature[t, node]
        if f in S:
            goes_right = decide(x[f], forest.threshold[t, node], forest.default[t, node] == right,
                                forest.cat_split[t, node], forest.zero_missing[t, node], forest.cat_bits,
                                forest.cat_other)  # fmt: skip
            return value(t, right if goes_right else left, S)
        share = forest.cover[t, left] / forest.cover[t, node]
        return share * value(t, left, S) + (1 - share) * value(t, right, S)

    d = len(x)
    return {
        frozenset(S): sum(value(t, 0, frozenset(S)) for t in range(forest.left.shape[0]))
        for size in range(d + 1)
        for S in itertools.combinations(range(d), size)
    }


def shap_interactions(model, rows: np.ndarray) -> np.ndarray:
    """shap's path-dependent interaction values as ``(n, d, d, k)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(shap.TreeExplainer(model).shap_interaction_values(rows), dtype=float)
    if isinstance(values, list) or values.ndim == 3:
        values = values[..., None] if values.ndim == 3 else np.stack(values, axis=-1)
    return values


def _k(inter: InteractionExplanation) -> int:
    return inter.values.shape[3] if inter.is_multi_output else 1


def _4d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    return values if values.ndim == 4 else values[..., None]


# --------------------------------------------------------------------------- path-dependent vs shap


def _data(task: str) -> tuple[np.ndarray, np.ndarray]:
    if task == "binary":
        X, y = load_breast_cancer(return_X_y=True)
        return X[:, :12], y
    if task == "multiclass":
        return load_wine(return_X_y=True)
    return load_diabetes(return_X_y=True)


MODELS = {
    "decision_tree_clf": ("binary", lambda: DecisionTreeClassifier(max_depth=6, random_state=0)),
    "decision_tree_reg": ("regression", lambda: DecisionTreeRegressor(max_depth=8, random_state=0)),
    "random_forest_clf": ("binary", lambda: RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0)),
    "random_forest_reg": ("regression", lambda: RandomForestRegressor(n_estimators=8, max_depth=7, random_state=0)),
    "gradient_boosting_clf": ("binary", lambda: GradientBoostingClassifier(n_estimators=15, random_state=0)),
    "gradient_boosting_reg": ("regression", lambda: GradientBoostingRegressor(n_estimators=15, random_state=0)),
    "random_forest_multi": ("multiclass", lambda: RandomForestClassifier(n_estimators=6, random_state=0)),
    "hist_gb_clf": ("binary", lambda: HistGradientBoostingClassifier(max_iter=15, random_state=0)),
    "catboost_clf": (
        "binary",
        lambda: catboost.CatBoostClassifier(
            iterations=20, depth=4, verbose=0, random_seed=0, allow_writing_files=False
        ),
    ),
    "lightgbm_clf": ("binary", lambda: lightgbm.LGBMClassifier(n_estimators=15, verbose=-1, random_state=0)),
    "lightgbm_multi": ("multiclass", lambda: lightgbm.LGBMClassifier(n_estimators=8, verbose=-1, random_state=0)),
    "lightgbm_reg": ("regression", lambda: lightgbm.LGBMRegressor(n_estimators=15, verbose=-1, random_state=0)),
    "xgboost_clf": ("binary", lambda: xgboost.XGBClassifier(n_estimators=15, max_depth=5, random_state=0)),
    "xgboost_reg": ("regression", lambda: xgboost.XGBRegressor(n_estimators=15, max_depth=5, random_state=0)),
}


def _tol(name: str, values: np.ndarray) -> float:
    family = name.split("_")[0]
    return TOL[family] * max(1.0, float(np.abs(values).max())) if family in TOL else 1e-10


@pytest.mark.parametrize("name", sorted(MODELS))
def test_path_dependent_equals_shap(name):
    task, make = MODELS[name]
    X, y = _data(task)
    model = make().fit(X, y)
    inter = ex.Explainer(model, method="tree_shap").explain_interactions(X[ROWS])
    local = ex.Explainer(model, method="tree_shap").explain_local(X[ROWS])
    assert inter.method == "tree_shap" and inter.params["feature_perturbation"] == "tree_path_dependent"
    assert inter.output_space == local.output_space
    expected = shap_interactions(model, X[ROWS])[..., -_k(inter) :]
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=_tol(name, expected))
    # each row sums over its last axis to explain_local's values, to rounding
    np.testing.assert_allclose(inter.shap_values().values, local.values, rtol=0, atol=1e-12)
    assert inter.additivity_error() < max(_tol(name, inter.predictions), 1e-9)
    if task == "multiclass":
        assert inter.values.shape == (30, X.shape[1], X.shape[1], 3)


@pytest.mark.parametrize("name", ["lightgbm_clf", "xgboost_clf"])
def test_missing_values_follow_each_split_default(name):
    task, make = MODELS[name]
    X, y = _data(task)
    X = X.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.15] = np.nan
    model = make().fit(X, y)
    rows = X[:40]
    inter = ex.Explainer(model).explain_interactions(rows)
    expected = shap_interactions(model, rows)
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=_tol(name, expected))


def test_lightgbm_categorical_splits_equal_the_brute_force_path_dependent_game():
    from explain.methods._tree_engine import read_forest

    rng = np.random.default_rng(0)
    X = np.c_[rng.integers(0, 8, 600), rng.normal(size=600), rng.normal(size=600)]
    X[::17, 0] = np.nan
    y = (np.isin(X[:, 0], [1, 3, 6]) ^ (X[:, 1] > 0) ^ (X[:, 2] > 0.5)).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y, categorical_feature=[0])
    rows = np.r_[X[:6], [[9.0, 0.1, 0.0], [-1.0, 0.2, 1.0], [np.nan, -0.3, 2.0]]]  # unseen, negative, missing
    inter = ex.Explainer(model).explain_interactions(rows)
    forest = read_forest(model)
    assert forest.has_categorical
    expected = np.stack([interaction_index(path_dependent_game(forest, forest.rows(r[None])[0]), 3) for r in rows])
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def deep_forest():
    X, y = load_diabetes(return_X_y=True)
    return X, RandomForestRegressor(n_estimators=3, random_state=0).fit(X, y)  # unbounded depth


def test_tables_recursion_and_chunks_give_the_same_values(deep_forest, monkeypatch):
    from explain.methods import _tree_interactions

    X, model = deep_forest
    rows = X[:25]

    def run(algorithm: str) -> InteractionExplanation:
        explainer = ex.Explainer(model, method_params={"algorithm": algorithm})
        return explainer.explain_interactions(rows)

    v1, v2, auto = run("v1"), run("v2"), run("auto")
    assert v1.params["interaction_algorithm"] == "v1" and v2.params["interaction_algorithm"] in ("v2", "v2+v1")
    np.testing.assert_allclose(v1.values, v2.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(auto.values, v2.values, rtol=0, atol=1e-9)
    monkeypatch.setattr(_tree_interactions, "CHUNK_BYTES", 8 * 10 * 10 * 3)  # three rows a chunk
    np.testing.assert_array_equal(run("auto").values, auto.values)
    np.testing.assert_allclose(auto.values, shap_interactions(model, rows)[..., 0], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- interventional vs brute force


def _small(d: int = 4, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, d))
    y = X[:, 0] * X[:, 1] + X[:, 2] * (X[:, 3] > 0) + X[:, 0]
    return X, y


INTERVENTIONAL = {
    "gradient_boosting_reg": (lambda: GradientBoostingRegressor(n_estimators=20, max_depth=4, random_state=0),
                              "regression", lambda m: m.predict, "auto"),
    "random_forest_clf": (lambda: RandomForestClassifier(n_estimators=5, max_depth=5, random_state=0),
                          "binary", lambda m: lambda Z: m.predict_proba(Z)[:, 1], "auto"),
    "lightgbm_clf_log_odds": (lambda: lightgbm.LGBMClassifier(n_estimators=10, num_leaves=8, verbose=-1),
                              "binary", lambda m: lambda Z: m.predict(Z, raw_score=True), "log_odds"),
    "xgboost_multi_raw": (lambda: xgboost.XGBClassifier(n_estimators=5, max_depth=3, random_state=0),
                          "multiclass", lambda m: lambda Z: m.predict(Z, output_margin=True), "raw"),
    "hist_gb_clf_log_odds": (lambda: HistGradientBoostingClassifier(max_iter=8, random_state=0),
                             "binary", lambda m: m.decision_function, "log_odds"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INTERVENTIONAL))
def test_interventional_equals_brute_force(name):
    make, task, predict, output = INTERVENTIONAL[name]
    X, y = _small()
    target = {"regression": y, "binary": (y > 0).astype(int), "multiclass": np.digitize(y, [-0.5, 0.5])}[task]
    model = make().fit(X, target)
    background, rows = X[:25], X[300:306]
    explainer = ex.Explainer(model, background=background, output=output)
    inter = explainer.explain_interactions(rows)
    assert inter.params["feature_perturbation"] == "interventional"
    expected = brute_force(predict(model), rows, background)
    tol = 2e-6 if name.startswith("xgboost") else 1e-10
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=tol)
    np.testing.assert_allclose(inter.shap_values().values, explainer.explain_local(rows).values, rtol=0, atol=1e-12)


def test_interventional_with_missing_values_and_categories_equals_brute_force():
    rng = np.random.default_rng(2)
    X = np.c_[rng.integers(0, 6, 500), rng.normal(size=500), rng.normal(size=500)]
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.isin(X[:, 0], [1, 4]) ^ (np.nan_to_num(X[:, 1]) > 0) ^ (np.nan_to_num(X[:, 2]) > 0.5)).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=8, verbose=-1).fit(X, y, categorical_feature=[0])
    background, rows = X[:20], np.r_[X[100:105], [[7.0, np.nan, 0.2]]]
    inter = ex.Explainer(model, background=background, output="log_odds").explain_interactions(rows)
    expected = brute_force(lambda Z: model.predict(Z, raw_score=True), rows, background)
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- exact (any model)


def test_exact_equals_brute_force_and_is_symmetric():
    X, y = _small(d=5)
    model = KNeighborsClassifier(n_neighbors=15).fit(X[:200], y[:200] > 0)
    background, rows = X[:12], X[300:304]
    explainer = ex.Explainer(model, background=background, method="exact_shap")
    inter = explainer.explain_interactions(rows)
    assert inter.method == "exact_shap" and inter.output_space == "probability"
    expected = brute_force(lambda Z: model.predict_proba(Z)[:, 1], rows, background)
    np.testing.assert_allclose(_4d(inter.values), expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(inter.values, np.swapaxes(inter.values, 1, 2))
    # the definitions: each row sums to the exact Shapley values, which add up to the prediction
    np.testing.assert_allclose(inter.shap_values().values, explainer.explain_local(rows).values, rtol=0, atol=1e-12)
    assert inter.additivity_error() < 1e-12


def test_auto_uses_exact_for_a_model_without_trees_and_a_linear_model_has_no_interactions(diabetes_data):
    model = LinearRegression().fit(diabetes_data.X, diabetes_data.y)
    inter = ex.Explainer(model, background=diabetes_data.background).explain_interactions(diabetes_data.rows)
    assert inter.method == "exact_shap" and inter.params["auto"]["chosen"] == "exact_shap"
    off = inter.values - np.einsum("nii->ni", inter.values)[:, :, None] * np.eye(inter.n_features)
    assert np.abs(off).max() < 1e-9
    np.testing.assert_allclose(inter.main_effects, inter.shap_values().values, atol=1e-9)


def test_multiclass_exact_keeps_every_class(iris_data):
    model = LogisticRegression(max_iter=500).fit(iris_data.X, iris_data.y)
    inter = ex.Explainer(model, background=iris_data.background, method="exact_shap").explain_interactions(
        iris_data.rows
    )
    assert inter.values.shape == (5, 4, 4, 3) and len(inter.output_names) == 3
    one = inter.for_output(inter.output_names[1])
    np.testing.assert_array_equal(one.values, inter.values[..., 1])


# --------------------------------------------------------------------------- the explanation object


@pytest.fixture(scope="module")
def product_model():
    X, y = _small(d=4, n=800)
    y = 3 * X[:, 0] * X[:, 1] + X[:, 2]
    columns = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=columns)
    return frame, GradientBoostingRegressor(n_estimators=60, max_depth=3, random_state=0).fit(frame, y)


def test_invariants_views_and_strongest(product_model):
    frame, model = product_model
    inter = ex.Explainer(model).explain_interactions(frame[:50])
    assert isinstance(inter, InteractionExplanation) and inter.feature_names == ("a", "b", "c", "d")
    assert inter.values.shape == (50, 4, 4) and not inter.values.flags.writeable
    with pytest.raises(ValueError):
        inter.values[0, 0, 0] = 1.0
    np.testing.assert_allclose(inter.values, np.swapaxes(inter.values, 1, 2), atol=1e-12)
    assert inter.strongest("a") == "b" and inter.strongest("b") == "a"
    strength = inter.to_global()
    np.testing.assert_allclose(strength.values, np.abs(inter.values).mean(axis=0))
    assert strength.to_frame().loc["a", "b"] == strength.values[0, 1]
    assert inter[3:5].n_rows == 2 and inter[0].values.shape == (1, 4, 4)
    assert inter.main_effects.shape == (50, 4)
    assert len(inter.to_frame()) == 50 * 16
    assert "InteractionExplanation(method='tree_shap'" in repr(inter)
    assert inter.params["interaction_definition"].startswith("values[i, j]")


def test_json_round_trip(product_model, tmp_path):
    frame, model = product_model
    inter = ex.Explainer(model).explain_interactions(frame[:5])
    path = tmp_path / "inter.json"
    inter.to_json(path)
    back = InteractionExplanation.from_json(path)
    np.testing.assert_array_equal(back.values, inter.values)
    assert back.to_json(timing=False) == inter.to_json(timing=False)
    loaded = ex.load(path)  # the one loader reads every saved explanation
    assert isinstance(loaded, InteractionExplanation) and loaded.to_json(timing=False) == inter.to_json(timing=False)
    damaged = json.loads(path.read_text())
    damaged["values"][0][0][1] += 1.0  # no longer symmetric
    path.write_text(json.dumps(damaged))
    with pytest.raises(SchemaError, match="symmetric"):
        InteractionExplanation.from_json(path)


def test_pipeline_one_hot_columns_are_summed_back():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"city": rng.choice(["oslo", "rome", "paris"], 400), "x": rng.normal(size=400),
                          "z": rng.normal(size=400)})  # fmt: skip
    y = (frame["city"] == "rome") * frame["x"] + frame["z"]
    pre = ColumnTransformer([("oh", OneHotEncoder(), ["city"])], remainder="passthrough")
    model = Pipeline([("pre", pre), ("gb", GradientBoostingRegressor(n_estimators=20, random_state=0))]).fit(frame, y)
    explainer = ex.Explainer(model)
    inter = explainer.explain_interactions(frame[:10])
    assert inter.feature_names == ("city", "x", "z") and inter.params["summed_from_encoded_columns"]
    np.testing.assert_allclose(inter.shap_values().values, explainer.explain_local(frame[:10]).values, atol=1e-12)
    assert inter.strongest("x") == "city"


def test_progress_bar(product_model, capsys):
    frame, model = product_model
    ex.Explainer(model, progress=False).explain_interactions(frame[:20])
    assert "interactions" not in capsys.readouterr().err
    ex.Explainer(model, progress=True).explain_interactions(frame[:20])
    assert "interactions" in capsys.readouterr().err


# --------------------------------------------------------------------------- refusals


def test_bad_input_is_refused_like_explain_local(product_model):
    frame, model = product_model
    explainer = ex.Explainer(model)
    with pytest.raises(FeatureMismatchError):
        explainer.explain_interactions(frame[["a", "b", "c"]])
    with pytest.raises(InputError):
        explainer.explain_interactions("rows.csv")
    with pytest.raises(MethodError, match="no interaction values"):
        ex.Explainer(model, background=frame[:20], method="kernel_shap").explain_interactions(frame[:2])
    with pytest.raises(MethodError, match="no interaction values"):
        ex.Explainer(model, method="permutation_importance").explain_interactions(frame[:2])
    with pytest.raises(MethodError, match="engine='explain'"):
        ex.Explainer(model, method_params={"engine": "shap"}).explain_interactions(frame[:2])


def test_values_too_large_for_memory_are_refused_up_front(product_model, monkeypatch):
    from explain import _interaction_values

    frame, model = product_model
    monkeypatch.setattr(_interaction_values, "MAX_RESULT_BYTES", 8 * 4 * 4 * 10)
    with pytest.raises(InputError, match="explain at most 10 rows at a time"):
        ex.Explainer(model).explain_interactions(frame[:11])
    assert ex.Explainer(model).explain_interactions(frame[:10]).n_rows == 10


def test_probability_of_a_boosted_classifier_with_background_names_the_alternatives(cancer_data):
    model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(cancer_data.X, cancer_data.y)
    explainer = ex.Explainer(model, background=cancer_data.background)
    with pytest.raises(MethodError, match=r"output='log_odds'.*method='exact_shap'"):
        explainer.explain_interactions(cancer_data.rows)
    inter = ex.Explainer(model, background=cancer_data.background, output="log_odds").explain_interactions(
        cancer_data.rows
    )
    assert inter.output_space == "log_odds"


def test_exact_is_refused_beyond_its_feature_limit(cancer_wide):
    model = LogisticRegression(max_iter=2000).fit(cancer_wide.X, cancer_wide.y)
    with pytest.raises(MethodError, match="limited to 15 features"):
        ex.Explainer(model, background=cancer_wide.background, method="exact_shap").explain_interactions(
            cancer_wide.rows
        )
    with pytest.raises(MethodError, match="no engine"):
        ex.Explainer(model, background=cancer_wide.background).explain_interactions(cancer_wide.rows)


def test_refusal_beyond_the_limit_advises_no_method_without_interaction_values(cancer_wide):
    # the advice used to name kernel_shap / permutation_shap / linear_shap, which then refuse
    model = LogisticRegression(max_iter=2000).fit(cancer_wide.X, cancer_wide.y)
    for method in ("auto", "exact_shap"):
        explainer = ex.Explainer(model, background=cancer_wide.background, method=method)
        with pytest.raises(MethodError) as info:
            explainer.explain_interactions(cancer_wide.rows)
        message = str(info.value)
        assert "exact enumeration" in message and "limited to 15 features" in message
        assert "explain_local" in message and "tree model" in message
        for name in ("kernel_shap", "permutation_shap", "linear_shap", "method='auto'"):
            assert name not in message, (method, name)


def test_wrong_numbers_are_not_returned(product_model, monkeypatch):
    from explain.methods import _interaction_engines

    frame, model = product_model

    def skewed(values, phi):  # a broken diagonal: rows no longer sum to the SHAP values
        values[:, 0, 0] += 0.5

    monkeypatch.setattr(_interaction_engines, "_complete_diagonal", skewed)
    with pytest.raises(AdditivityError, match="do not sum to the SHAP values"):
        ex.Explainer(model).explain_interactions(frame[:5])
