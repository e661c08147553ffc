"""explain.glassbox's additive boosted models: exact terms, checked against the fitted trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

import explain as ex
from explain.glassbox import AdditiveBoostingClassifier, AdditiveBoostingRegressor, ShapeFunction

EXACT = 1e-10


def _additivity(model, X) -> float:
    margin = model.decision_function(X) if hasattr(model, "decision_function") else model.predict(X)
    return float(np.abs(model.intercept_ + model.eval_terms(X).sum(axis=1) - margin).max())


def _mixed(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric columns with missing values, a categorical column with missing values, and a
    target with a numeric x categorical interaction."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.normal(45, 12, n),
            "city": pd.Categorical(rng.choice(["oslo", "paris", "rome", "kyiv"], n)),
            "income": rng.normal(50, 10, n),
        }
    )
    X.loc[rng.random(n) < 0.15, "age"] = np.nan
    X.loc[rng.random(n) < 0.15, "city"] = np.nan
    y = (
        0.1 * X["age"].fillna(30)
        + 2.0 * (X["city"] == "rome")
        + 0.2 * (X["income"] - 50) * (X["city"] == "paris")
        + rng.normal(0, 0.5, n)
    )
    return X, pd.Series(y, name="y")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y, AdditiveBoostingClassifier(random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y, AdditiveBoostingRegressor(max_iter=200, interactions=[("bmi", "s5")], random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = AdditiveBoostingClassifier(max_iter=100, interactions=[(2, 3)], random_state=0).fit(X, y)
    return X, y, model


@pytest.fixture(scope="module")
def mixed():
    X, y = _mixed()
    model = AdditiveBoostingRegressor(max_iter=200, interactions=[("city", "income"), ("age", "income")]).fit(X, y)
    return X, y, model


# ---------------------------------------------------------------- exact additivity


def test_binary_terms_add_up_to_the_decision_function(cancer):
    X, _, model = cancer
    terms = model.eval_terms(X)
    assert terms.shape == (len(X), X.shape[1])
    assert model.intercept_.shape == (1,)
    assert _additivity(model, X) < EXACT
    # the decision function is the HistGradientBoosting model's own raw prediction
    np.testing.assert_array_equal(model.decision_function(X), model.booster_.decision_function(X))
    np.testing.assert_array_equal(model.predict_proba(X), model.booster_.predict_proba(X))


def test_regression_terms_with_a_pair_add_up_to_predict(diabetes):
    X, _, model = diabetes
    assert model.term_names_[-1] == "bmi & s5" and model.term_features_[-1] == (2, 8)
    assert isinstance(model.intercept_, float)
    assert _additivity(model, X) < EXACT
    assert np.abs(model.eval_terms(X)[:, -1]).max() > 0  # the pair term is used


def test_multiclass_terms_add_up_per_class(iris):
    X, _, model = iris
    terms = model.eval_terms(X)
    assert terms.shape == (len(X), 5, 3) and model.intercept_.shape == (3,)
    assert _additivity(model, X) < EXACT
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])


def test_missing_values_categories_and_pairs_are_exact(mixed):
    X, _, model = mixed
    assert model.term_names_ == ("age", "city", "income", "city & income", "age & income")
    assert model.term_features_ == ((0,), (1,), (2,), (1, 2), (0, 2))
    assert _additivity(model, X) < EXACT
    # unseen categories, missing values everywhere, and values beyond the training range
    new = X.iloc[:8].copy()
    new["city"] = pd.Categorical(["lima", "rome", None, "oslo", "paris", "lima", None, "kyiv"])
    new.loc[new.index[:3], "age"] = [np.nan, -1e9, 1e9]
    new.loc[new.index[3], "income"] = np.nan
    assert _additivity(model, new) < EXACT


def test_a_tree_that_mixes_a_feature_and_its_pair_is_split_by_leaf(mixed):
    X, _, model = mixed
    trees = [p for iteration in model.booster_._predictors for p in iteration]
    used = [set(p.nodes["feature_idx"][~p.nodes["is_leaf"].astype(bool)]) for p in trees]
    assert any(len(u) > 1 for u in used)  # otherwise this test proves nothing
    expected = _terms_by_walking_every_tree(model, X.iloc[:60])
    np.testing.assert_allclose(model.eval_terms(X.iloc[:60]), expected - _train_means(model, X), rtol=0, atol=EXACT)


def test_single_feature_terms_match_the_trees_on_each_feature(cancer):
    X, _, model = cancer
    expected = np.zeros((len(X), X.shape[1]))
    data = model.booster_._preprocess_X(X, reset=False)
    known, f_idx_map = model.booster_._bin_mapper.make_known_categories_bitsets()
    for (tree,) in model.booster_._predictors:
        split = ~tree.nodes["is_leaf"].astype(bool)
        if split.any():
            (feature,) = set(tree.nodes["feature_idx"][split])
            expected[:, feature] += tree.predict(data, known, f_idx_map, 1)
    np.testing.assert_allclose(model.eval_terms(X), expected - expected.mean(axis=0), rtol=0, atol=EXACT)


# ---------------------------------------------------------------- centring and shape functions


def test_terms_are_centred_on_the_training_data(cancer, mixed):
    for X, _, model in (cancer, mixed):
        assert np.abs(model.eval_terms(X).mean(axis=0)).max() < EXACT


def test_terms_are_centred_on_the_weighted_training_data():
    X, y = _mixed(seed=1)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, len(X))
    model = AdditiveBoostingRegressor(max_iter=50).fit(X, y, sample_weight=weights)
    assert np.abs(np.average(model.eval_terms(X), axis=0, weights=weights)).max() < EXACT
    assert _additivity(model, X) < EXACT


def test_numeric_shape_function_is_the_term_on_its_grid(cancer):
    X, _, model = cancer
    shapes = model.shape_functions()
    assert list(shapes) == list(X.columns)
    shape = shapes["worst radius"]
    assert isinstance(shape, ShapeFunction) and shape.kind == "numeric" and shape.index == 20
    assert len(shape.values) == len(shape.grid) + 1 and np.all(np.diff(shape.grid) > 0)
    points = np.concatenate([shape.grid, [shape.grid[-1] + 1.0, np.nan]])
    rows = pd.DataFrame(np.repeat(X.iloc[:1].to_numpy(), len(points), axis=0), columns=X.columns)
    rows["worst radius"] = points
    term = model.eval_terms(rows)[:, 20]
    np.testing.assert_array_equal(term, np.append(shape.values, shape.missing))
    np.testing.assert_array_equal(shape.evaluate(points), term)
    # between two thresholds the term is constant: the value of the upper one
    middle = (shape.grid[:-1] + shape.grid[1:]) / 2
    np.testing.assert_array_equal(shape.evaluate(middle), shape.values[1:-1])


def test_categorical_shape_function_is_the_term_of_each_category(mixed):
    X, _, model = mixed
    shape = model.shape_functions()["city"]
    assert shape.kind == "categorical"
    assert list(shape.grid) == ["kyiv", "oslo", "paris", "rome"]
    rows = X.iloc[:6].copy()
    rows["city"] = pd.Categorical(["kyiv", "oslo", "paris", "rome", None, "lima"])
    term = model.eval_terms(rows)[:, 1]
    np.testing.assert_array_equal(term, [*shape.values, shape.missing, shape.missing])
    np.testing.assert_array_equal(shape.evaluate(["rome", "lima"]), [shape.values[3], shape.missing])
    assert shape.values[3] == shape.values.max()  # rome adds 2.0 to the target


def test_multiclass_shape_functions_have_one_column_per_class(iris):
    _, _, model = iris
    shape = model.shape_functions()["petal width (cm)"]
    assert shape.values.shape == (len(shape.grid) + 1, 3) and shape.missing.shape == (3,)
    assert "petal length (cm) & petal width (cm)" not in model.shape_functions()


# ---------------------------------------------------------------- estimator contract


@parametrize_with_checks([AdditiveBoostingClassifier(max_iter=20), AdditiveBoostingRegressor(max_iter=20)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_and_get_params_round_trip():
    model = AdditiveBoostingClassifier(interactions=[("a", "b")], learning_rate=0.1, random_state=3)
    params = model.get_params()
    assert params["interactions"] == [("a", "b")] and params["learning_rate"] == 0.1
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    assert AdditiveBoostingRegressor().set_params(max_iter=7).max_iter == 7


def test_same_random_state_same_model():
    X, y = load_breast_cancer(return_X_y=True)
    params = {"max_iter": 200, "early_stopping": True, "validation_fraction": 0.2, "random_state": 7}
    a = AdditiveBoostingClassifier(**params).fit(X, y)
    b = AdditiveBoostingClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.eval_terms(X), b.eval_terms(X))
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.n_iter_ == b.n_iter_


def test_not_fitted_says_so():
    with pytest.raises(NotFittedError):
        AdditiveBoostingRegressor().eval_terms(np.zeros((2, 2)))
    with pytest.raises(NotFittedError):
        AdditiveBoostingClassifier().shape_functions()


@pytest.mark.parametrize(
    ("interactions", "message"),
    [
        ("age", "list of feature pairs"),
        ([("age",)], "not a pair"),
        ([("age", "age")], "with itself"),
        ([("age", "income"), ("income", "age")], "listed twice"),
        ([("age", "height")], "'height' is not a column"),
        ([(0, 9)], "neither a column name nor an index"),
    ],
)
def test_bad_interactions_fail_at_fit_with_the_fix(interactions, message):
    X, y = _mixed(n=60)
    model = AdditiveBoostingRegressor(interactions=interactions, max_iter=5)  # no error yet
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


def test_auc_is_within_001_of_unconstrained_boosting_on_held_out_data():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    gam = AdditiveBoostingClassifier(random_state=0).fit(X_train, y_train)
    free = HistGradientBoostingClassifier(random_state=0).fit(X_train, y_train)
    gam_auc = roc_auc_score(y_test, gam.predict_proba(X_test)[:, 1])
    free_auc = roc_auc_score(y_test, free.predict_proba(X_test)[:, 1])
    assert gam_auc >= free_auc - 0.01, (gam_auc, free_auc)


# ---------------------------------------------------------------- the glassbox method


@pytest.mark.parametrize("name", ["cancer", "diabetes", "iris", "mixed"])
def test_glassbox_explains_the_terms_exactly_and_auto_picks_it(name, request):
    X, _, model = request.getfixturevalue(name)
    rows = X.iloc[:40]
    local = ex.Explainer(model).explain_local(rows)
    assert local.method == "glassbox" and local.params["auto"]["chosen"] == "glassbox"
    binary = hasattr(model, "classes_") and len(model.classes_) == 2
    assert local.output_space == ("log_odds" if binary else "raw")
    assert local.additivity_error() < EXACT
    terms = model.eval_terms(rows)
    values = terms[:, : X.shape[1]].copy()
    for t, features in enumerate(model.term_features_[X.shape[1] :], start=X.shape[1]):
        for f in features:
            values[:, f] += terms[:, t] / 2  # a pair's term is split equally between its features
    np.testing.assert_allclose(local.values, values, rtol=0, atol=EXACT)
    np.testing.assert_allclose(local.base_values, np.broadcast_to(model.intercept_, local.base_values.shape))
    margin = model.decision_function(rows) if hasattr(model, "decision_function") else model.predict(rows)
    np.testing.assert_allclose(local.base_values + local.values.sum(axis=1), margin, rtol=0, atol=EXACT)


# ---------------------------------------------------------------- an independent reference


def _terms_by_walking_every_tree(model, X) -> np.ndarray:
    """Each row's term scores, by walking every tree from its root in Python with
    scikit-learn's routing rules and crediting the leaf to the features on its path."""
    booster = model.booster_
    data = booster._preprocess_X(X, reset=False)
    known, f_idx_map = booster._bin_mapper.make_known_categories_bitsets()
    internal = np.concatenate([np.flatnonzero(booster.is_categorical_), np.flatnonzero(~booster.is_categorical_)])
    index = {features: t for t, features in enumerate(model.term_features_)}
    out = np.zeros((len(X), len(model.term_features_)))
    for (tree,) in booster._predictors:
        for i, row in enumerate(data):
            leaf, path = _walk(tree, row, known, f_idx_map)
            if path:
                out[i, index[tuple(sorted({int(internal[f]) for f in path}))]] += tree.nodes["value"][leaf]
    return out


def _walk(tree, row, known, f_idx_map) -> tuple[int, list[int]]:
    nodes, node, path = tree.nodes, 0, []
    while not nodes["is_leaf"][node]:
        f = int(nodes["feature_idx"][node])
        path.append(f)
        x, left = row[f], bool(nodes["missing_go_to_left"][node])
        if np.isnan(x):
            go_left = left
        elif nodes["is_categorical"][node]:
            code = int(x)
            if _in_bitset(tree.raw_left_cat_bitsets[nodes["bitset_idx"][node]], code):
                go_left = True
            else:
                go_left = left if not _in_bitset(known[f_idx_map[f]], code) else False
        else:
            go_left = x <= nodes["num_threshold"][node]
        node = int(nodes["left"][node] if go_left else nodes["right"][node])
    return node, path


def _in_bitset(bitset, value: int) -> bool:
    return bool((int(bitset[value // 32]) >> (value % 32)) & 1)


def _train_means(model, X) -> np.ndarray:
    return _terms_by_walking_every_tree(model, X).mean(axis=0)


def test_log_odds_predictions_are_the_margin_even_for_confident_models():
    X, y = load_breast_cancer(return_X_y=True)
    model = AdditiveBoostingClassifier(learning_rate=0.2, max_iter=1000).fit(X, y)
    local = ex.Explainer(model).explain_local(X)
    np.testing.assert_allclose(local.base_values + local.values.sum(axis=1), model.decision_function(X), atol=EXACT)
    assert local.additivity_error() < EXACT
