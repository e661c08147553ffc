"""tree_shap on the tree models people ship: native categorical splits, objectives with a link,
exponential loss, custom initial estimators, nullable pandas dtypes, and the run-time check that
no explanation is returned whose values do not add up to the model's own prediction.

References: brute-force enumeration of the interventional game (``_reference.shapley``) on the
model's own prediction function, and for path-dependent values an independent plain-Python
evaluation of the path-dependent game (Lundberg et al. 2020, Algorithm 1, EXPVALUE) on
scikit-learn's own predictor nodes, enumerated over every coalition.
"""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LinearRegression

import explain as ex
from explain.errors import AdditivityError, MethodError

from ._reference import shapley

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")


def _credit_like(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(size=n),
            "region": pd.Categorical(rng.choice(["north", "south", "east", "west", "centre"], n)),
            "age": rng.normal(size=n),
            "housing": pd.Categorical(rng.choice(["own", "rent", None], n)),
        }
    )
    logit = frame["income"] + frame["region"].isin(["north", "east"]) + (frame["housing"] == "rent") - 0.8
    return frame, (logit + rng.normal(scale=0.3, size=n) > 0).to_numpy().astype(int)


# ----------------------------------------------------------------------------- categorical splits


def _hist_categorical(kind: str):
    X, y = _credit_like()
    if kind == "regressor":
        return HistGradientBoostingRegressor(max_iter=15, random_state=0).fit(X, y + X["income"]), X
    return HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(X, y), X  # from_dtype: the default


def _rows_with_unseen(X: pd.DataFrame) -> pd.DataFrame:
    rows = X.iloc[:6].copy()
    rows["region"] = pd.Categorical(["mars", "north", "south", "east", "west", "centre"])  # "mars": unseen
    return rows


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_hist_gradient_boosting_categorical_splits_equal_brute_force(kind):
    model, X = _hist_categorical(kind)
    assert np.any([p.nodes["is_categorical"].any() for per in model._predictors for p in per])
    background, rows = X.iloc[:25], _rows_with_unseen(X)
    space = "log_odds" if kind == "classifier" else "raw"
    local = ex.Explainer(model, background=background, output=space).explain_local(rows)
    assert local.method == "tree_shap"
    f = model.decision_function if kind == "classifier" else model.predict
    ref, base = shapley(f, rows, background)
    np.testing.assert_allclose(local.values, ref[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(local.base_values, base[:, 0], atol=1e-12)
    assert local.additivity_error() < 1e-12


def test_auto_picks_tree_shap_for_category_columns_and_keeps_the_users_columns():
    model, X = _hist_categorical("classifier")
    local = ex.Explainer(model, background=X.iloc[:100]).explain_local(X.iloc[:300])
    assert local.params["auto"]["chosen"] == "tree_shap" and local.output_space == "probability"
    assert local.feature_names == ("income", "region", "age", "housing")
    assert local.data[0, 1] == X["region"].iloc[0]
    assert local.additivity_error() < 1e-6


def _expvalue(nodes, x, S, known, left_bits, node=0):
    """Lundberg's EXPVALUE on scikit-learn's predictor nodes, with sklearn's own split rule."""
    nd = nodes[node]
    if nd["is_leaf"]:
        return nd["value"]
    f = nd["feature_idx"]
    if f not in S:
        total = nodes[nd["left"]]["count"] + nodes[nd["right"]]["count"]
        return (
            nodes[nd["left"]]["count"] * _expvalue(nodes, x, S, known, left_bits, nd["left"])
            + nodes[nd["right"]]["count"] * _expvalue(nodes, x, S, known, left_bits, nd["right"])
        ) / total
    v = x[f]
    if np.isnan(v):
        go_left = nd["missing_go_to_left"]
    elif nd["is_categorical"]:
        code = int(v)
        if (left_bits[nd["bitset_idx"]][code // 32] >> (code % 32)) & 1:
            go_left = True
        elif (known[f] >> code) & 1:
            go_left = False
        else:
            go_left = nd["missing_go_to_left"]
    else:
        go_left = v <= nd["num_threshold"]
    return _expvalue(nodes, x, S, known, left_bits, nd["left"] if go_left else nd["right"])


def test_hist_gradient_boosting_categorical_path_dependent_equals_the_published_algorithm():
    model, X = _hist_categorical("classifier")
    rows = _rows_with_unseen(X)
    local = ex.Explainer(model).explain_local(rows)
    assert local.params["feature_perturbation"] == "tree_path_dependent" and local.output_space == "log_odds"
    Z = model._preprocessor.transform(rows)  # the predictors' columns: categorical ones first
    order = np.r_[np.flatnonzero(model.is_categorical_), np.flatnonzero(~model.is_categorical_)]
    known_bits, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    d = Z.shape[1]
    for r in range(len(rows)):
        phi = np.zeros(d)
        for predictor in (per[0] for per in model._predictors):
            known = {
                f: int(sum(int(w) << (32 * i) for i, w in enumerate(known_bits[f_idx_map[f]])))
                for f in range(d)
                if model._preprocessor is not None and f < len(f_idx_map)
            }
            v = {
                S: _expvalue(predictor.nodes, Z[r], set(S), known, predictor.raw_left_cat_bitsets)
                for size in range(d + 1)
                for S in itertools.combinations(range(d), size)
            }
            for i in range(d):
                others = [j for j in range(d) if j != i]
                for size in range(d):
                    w = factorial(size) * factorial(d - size - 1) / factorial(d)
                    for S in itertools.combinations(others, size):
                        phi[i] += w * (v[tuple(sorted((*S, i)))] - v[S])
        np.testing.assert_allclose(local.values[r, order], phi, atol=1e-12)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_pandas_category_columns_in_lightgbm_and_xgboost_equal_brute_force(library):
    X, y = _credit_like()
    if library == "lightgbm":
        model = lightgbm.LGBMClassifier(n_estimators=15, verbose=-1, min_data_per_group=5, cat_smooth=1).fit(X, y)

        def margin(Z):
            return model.predict(Z, raw_score=True)
    else:
        model = xgboost.XGBClassifier(n_estimators=15, enable_categorical=True, max_cat_to_onehot=1).fit(X, y)

        def margin(Z):
            return model.predict(Z, output_margin=True)

    background, rows = X.iloc[:25], X.iloc[:6]
    local = ex.Explainer(model, background=background, output="log_odds").explain_local(rows)
    assert local.method == "tree_shap"
    ref, _ = shapley(margin, rows, background)
    atol = 1e-12 if library == "lightgbm" else 2e-6  # XGBoost predicts in float32
    np.testing.assert_allclose(local.values, ref[:, :, 0], atol=atol)
    auto = ex.Explainer(model, background=X.iloc[:100]).explain_local(X)
    assert auto.params["auto"]["chosen"] == "tree_shap" and auto.additivity_error() < 1e-6


def test_lightgbm_category_columns_path_dependent_equal_lightgbms_own_values():
    X, y = _credit_like()
    model = lightgbm.LGBMClassifier(n_estimators=15, verbose=-1, min_data_per_group=5, cat_smooth=1).fit(X, y)
    local = ex.Explainer(model).explain_local(X.iloc[:50])
    theirs = model.predict(X.iloc[:50], pred_contrib=True)
    np.testing.assert_allclose(local.values, theirs[:, :4], atol=1e-10)
    np.testing.assert_allclose(local.base_values, theirs[:, 4], atol=1e-10)


# ----------------------------------------------------------------------------- links and losses


def test_exponential_loss_log_odds_are_twice_the_margin():
    X, y = _credit_like()
    Xn = X[["income", "age"]].to_numpy()
    model = GradientBoostingClassifier(loss="exponential", n_estimators=20, random_state=0).fit(Xn, y)
    background, rows = Xn[:20], Xn[:5]
    log_odds = ex.Explainer(model, background=background, output="log_odds").explain_local(rows)
    raw = ex.Explainer(model, background=background, output="raw").explain_local(rows)
    p = model.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(log_odds.predictions, np.log(p / (1 - p)), atol=1e-9)
    ref, _ = shapley(lambda Z: 2 * model.decision_function(Z), rows, background)
    np.testing.assert_allclose(log_odds.values, ref[:, :, 0], atol=1e-12)
    np.testing.assert_allclose(raw.values, ref[:, :, 0] / 2, atol=1e-12)
    proba = ex.Explainer(model, background=background).explain_local(rows)
    assert proba.output_space == "probability" and proba.additivity_error() < 1e-12
    assert "sigmoid" in proba.params["probability_definition"]


def test_gradient_boosting_with_an_init_estimator_is_refused_clearly():
    X, y = _credit_like()
    Xn = X[["income", "age"]].to_numpy()
    from sklearn.ensemble import GradientBoostingRegressor

    model = GradientBoostingRegressor(init=LinearRegression(), n_estimators=5).fit(Xn, y)
    with pytest.raises(MethodError, match="init=LinearRegression"):
        ex.Explainer(model, background=Xn[:20], method="tree_shap").explain_local(Xn[:3])
    local = ex.Explainer(model, background=Xn[:20]).explain_local(Xn[:3])
    assert local.method == "exact_shap" and "init=LinearRegression" in local.params["auto"]["skipped"]["tree_shap"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: HistGradientBoostingRegressor(loss="poisson", max_iter=10, random_state=0),
        lambda: lightgbm.LGBMRegressor(objective="poisson", n_estimators=10, verbose=-1),
        lambda: lightgbm.LGBMRegressor(objective="tweedie", n_estimators=10, verbose=-1),
        lambda: xgboost.XGBRegressor(objective="count:poisson", n_estimators=10),
        lambda: xgboost.XGBRegressor(objective="reg:gamma", n_estimators=10),
    ],
    ids=["hist_poisson", "lightgbm_poisson", "lightgbm_tweedie", "xgboost_poisson", "xgboost_gamma"],
)
def test_objectives_with_a_link_explain_the_margin_and_say_so(make):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1])) + 0.1
    model = make().fit(X, y)
    local = ex.Explainer(model, background=X[:20]).explain_local(X[:5])
    assert local.method == "tree_shap" and local.output_space == "margin" and local.params["link"] == "log"
    assert "link" in local.params["output_note"]
    np.testing.assert_allclose(local.predictions, np.log(model.predict(X[:5])), rtol=1e-5)
    ref, _ = shapley(lambda Z: np.log(model.predict(Z)), X[:5], X[:20])
    np.testing.assert_allclose(local.values, ref[:, :, 0], atol=2e-5)
    with pytest.raises(MethodError, match="output='margin'"):
        ex.Explainer(model, background=X[:20], method="tree_shap", output="raw").explain_local(X[:5])
    predicted = ex.Explainer(model, background=X[:20], output="raw").explain_local(X[:5])
    assert predicted.method == "exact_shap" and predicted.additivity_error() < 1e-9
    path = ex.Explainer(model).explain_local(X[:5])
    assert path.output_space == "margin" and path.additivity_error() < 2e-5


# ----------------------------------------------------------------------------- inputs and checks


def test_nullable_pandas_dtypes_are_read_as_missing():
    frame = pd.DataFrame(
        {
            "a": pd.array([1.0, None, 2.5, 3.0] * 50, dtype="Float64"),
            "i": pd.array([1, 2, None, 4] * 50, dtype="Int64"),
            "b": pd.array([True, None, False, True] * 50, dtype="boolean"),
        }
    )
    y = np.tile([0, 1, 1, 0], 50)
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(frame.astype(float), y)
    nullable = ex.Explainer(model, background=frame[:20], method="tree_shap").explain_local(frame[:8])
    plain = ex.Explainer(model, background=frame.astype(float)[:20], method="tree_shap").explain_local(
        frame.astype(float)[:8]
    )
    np.testing.assert_allclose(nullable.values, plain.values, atol=0)
    assert frame["a"].isna().sum() == 50  # the user's data is untouched


def test_values_that_do_not_add_up_are_never_returned(monkeypatch):
    from explain.methods import _tree_readers

    real = _tree_readers._forest

    def misread(model, classifier):  # a reader that gets one leaf wrong
        arrays = real(model, classifier)
        leaves = np.argwhere(arrays["left"] < 0)
        t, node = leaves[len(leaves) // 2]
        arrays["value"][t, node] += 0.5
        return arrays

    monkeypatch.setattr(_tree_readers, "_forest", misread)
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    model = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(X, X[:, 0])
    for background in (X[:20], None):
        with pytest.raises(AdditivityError, match="do not add up to the model's own prediction"):
            ex.Explainer(model, background=background).explain_local(X)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_catboost_through_the_explainer_equals_brute_force(task):
    catboost = pytest.importorskip("catboost")
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    settings = {"iterations": 10, "depth": 3, "verbose": 0, "allow_writing_files": False}
    if task == "regression":
        model = catboost.CatBoostRegressor(**settings).fit(X, X["a"] + X["c"])
    else:
        y = (X["a"] + X["b"] > 0).astype(int) if task == "binary" else pd.cut(X["a"], 3, labels=False)
        loss = "Logloss" if task == "binary" else "MultiClass"
        model = catboost.CatBoostClassifier(**settings, loss_function=loss).fit(X, y)
    local = ex.Explainer(model, background=X[:20], output="raw").explain_local(X[:5])
    assert local.method == "tree_shap"
    ref, _ = shapley(lambda Z: model.predict(Z, prediction_type="RawFormulaVal"), X[:5], X[:20])
    np.testing.assert_allclose(local.values, ref.reshape(local.values.shape), atol=1e-12)
    path = ex.Explainer(model).explain_local(X[:5])
    assert path.additivity_error() < 1e-12


def test_catboost_categorical_features_are_refused_with_the_reason_and_auto_moves_on():
    catboost = pytest.importorskip("catboost")
    X, y = _credit_like(300)
    X = X.assign(region=X["region"].astype(str), housing=X["housing"].astype(object).fillna("none").astype(str))
    settings = {"iterations": 5, "depth": 3, "verbose": 0, "allow_writing_files": False}
    model = catboost.CatBoostClassifier(**settings, cat_features=["region", "housing"]).fit(X, y)
    with pytest.raises(MethodError, match="categorical"):
        ex.Explainer(model, background=X[:20], method="tree_shap").explain_local(X[:3])
    local = ex.Explainer(model, background=X[:20]).explain_local(X[:3])
    assert local.method != "tree_shap" and "categorical" in local.params["auto"]["skipped"]["tree_shap"]
    assert local.additivity_error() < 1e-9


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_binary_labels_fitted_with_a_two_class_softmax(library):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    if library == "lightgbm":
        model = lightgbm.LGBMClassifier(objective="multiclass", num_class=2, n_estimators=8, verbose=-1).fit(X, y)
    else:
        model = xgboost.XGBClassifier(objective="multi:softprob", num_class=2, n_estimators=8, max_depth=3).fit(X, y)
    background, rows = X[:20], X[20:25]
    tol = 1e-12 if library == "lightgbm" else 2e-6
    log_odds = ex.Explainer(model, background=background, output="log_odds").explain_local(rows)
    p = model.predict_proba(rows)[:, 1]
    ref, _ = shapley(lambda Z: np.log(model.predict_proba(Z)[:, 1] / model.predict_proba(Z)[:, 0]), rows, background)
    np.testing.assert_allclose(log_odds.values, ref[:, :, 0], atol=tol)  # p1 = sigmoid(F1 - F0): trees minus trees
    auto = ex.Explainer(model, background=background).explain_local(rows)
    assert auto.method == "tree_shap" and auto.output_space == "probability"
    np.testing.assert_allclose(auto.predictions, p, atol=1e-7)
    raw = ex.Explainer(model, background=background, output="raw").explain_local(rows)
    assert raw.values.shape == (5, 4, 2) and raw.additivity_error() < 1e-5  # both classes' margins
    assert ex.Explainer(model).explain_local(rows).output_space == "log_odds"
    path_raw = ex.Explainer(model, output="raw").explain_local(rows)  # path-dependent, both classes' margins
    assert path_raw.values.shape == (5, 4, 2) and path_raw.additivity_error() < 1e-5


def test_native_categories_behind_a_pipeline_with_pandas_output():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _credit_like()
    prep = ColumnTransformer([("scale", StandardScaler(), ["income", "age"])], remainder="passthrough",
                             verbose_feature_names_out=False).set_output(transform="pandas")  # fmt: skip
    model = make_pipeline(prep, HistGradientBoostingClassifier(max_iter=10, random_state=0)).fit(X, y)
    assert model[-1].is_categorical_.any()
    local = ex.Explainer(model, background=X[:30], output="log_odds").explain_local(X[:5])
    assert local.params["auto"]["chosen"] == "tree_shap"
    ref, _ = shapley(model.decision_function, X[:5], X[:30])
    np.testing.assert_allclose(local.values, ref[:, :, 0], atol=1e-12)
    assert ex.Explainer(model).explain_local(X[:5]).additivity_error() < 1e-12
