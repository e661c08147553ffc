"""LightGBM and XGBoost models read from their own dumps: the summed trees equal the library's
own margin on hard rows (missing values, zeros, values at and next to every threshold, odd
categories), interventional values equal brute-force enumeration of the library's margin, and
path-dependent values equal the library's own ``pred_contrib(s)``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from explain.errors import InputError
from explain.methods._tree_engine import _predict_margins, read_forest
from explain.methods._tree_masks import leaf_paths, mask_shap
from explain.methods._tree_path import path_dependent_shap, path_layout
from explain.methods._tree_readers import NotReadable
from explain.methods._tree_readers_gbm import read_lightgbm, read_xgboost

from ._reference import shapley_row

lgb = pytest.importorskip("lightgbm")
xgb = pytest.importorskip("xgboost")

warnings.filterwarnings("ignore", message=".*(No further splits|Found .* in params|categorical_feature).*")


def _numeric(n: int = 300, d: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Features with NaN and exact zeros; a target that uses the first three."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).round(2)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[rng.random(X.shape) < 0.1] = 0.0
    z = np.nan_to_num(X)
    return X, z[:, 0] + z[:, 1] ** 2 - 0.5 * z[:, 2] + 0.3 * rng.normal(size=n)


def _categorical_frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Two numeric columns and two pandas category columns (with missing values)."""
    rng = np.random.default_rng(seed)
    colours = ["red", "green", "blue", "grey", "pink", "teal"]
    sizes = ["s", "m", "l"]
    frame = pd.DataFrame({
        "a": rng.normal(size=n).round(2),
        "colour": pd.Categorical(rng.choice(colours, n), categories=colours),
        "b": rng.normal(size=n).round(2),
        "size": pd.Categorical(rng.choice(sizes, n), categories=sizes),
    })  # fmt: skip
    frame.loc[rng.random(n) < 0.1, "colour"] = None
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    effect = frame["colour"].map(dict(zip(colours, [2.0, -1.0, 0.5, 1.5, -2.0, 0.0], strict=True))).astype(float)
    y = effect.fillna(3.0).to_numpy() + frame["a"].fillna(0).to_numpy() + (frame["size"] == "l") * 1.0
    return frame, y + 0.2 * rng.normal(size=n)


def _codes(frame: pd.DataFrame) -> np.ndarray:
    """The category frame as numbers: category codes, NaN for missing."""
    return np.column_stack(
        [frame["a"], frame["colour"].cat.codes.replace(-1, np.nan), frame["b"], frame["size"].cat.codes]
    )


def _edge_rows(forest: Any, X: np.ndarray, float32: bool, count: int = 40) -> np.ndarray:
    """Rows that put a feature exactly at a split's threshold and one step either side."""
    rng = np.random.default_rng(1)
    split = (forest.left >= 0) & (forest.cat_split < 0)
    feats, thresholds = forest.feature[split], forest.threshold[split]
    pick = rng.choice(len(feats), size=min(count, len(feats)), replace=False)
    rows = []
    for i in pick:
        t = np.float32(thresholds[i]) if float32 else thresholds[i]
        with np.errstate(over="ignore"):  # CatBoost's border for missing values is -FLT_MAX
            steps = (t, np.nextafter(t, t.dtype.type(np.inf)), np.nextafter(t, t.dtype.type(-np.inf)))
        for v in steps:
            row = X[rng.integers(len(X))].copy()
            row[feats[i]] = float(v)
            rows.append(row)
    return np.vstack([X[:60], np.asarray(rows)])


def _check_margins(forest: Any, model_input: Any, expected: np.ndarray, rtol: float, atol: float) -> None:
    ours = _predict_margins(forest, forest.rows(model_input))
    expected = np.asarray(expected, dtype=float).reshape(ours.shape)
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------- LightGBM

# one thread: LightGBM's OpenMP threads spin against numba's on two shared cores
LGB_SMALL = {"n_estimators": 8, "num_leaves": 6, "min_child_samples": 5, "verbose": -1, "n_jobs": 1}


def _lgb_case(name: str) -> tuple[Any, np.ndarray, Callable[[Any], np.ndarray]]:
    """A fitted LightGBM model, its rows, and its raw margin as a function of rows."""
    X, y = _numeric()
    yb, y3 = (y > 0.8).astype(int), np.digitize(y, [0.0, 1.5])
    kind, params = {
        "binary": ("clf", {}), "zero_as_missing": ("clf", {"zero_as_missing": True}),
        "no_missing": ("clf", {"use_missing": False}), "dart": ("clf", {"boosting": "dart", "drop_rate": 0.5}),
        "rf": ("clf", {"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.6}),
        "rf_regression": ("reg", {"boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.6}),
        "sigmoid2": ("clf", {"sigmoid": 2.0}), "multiclass": ("multi", {}),
        "multiclassova": ("multi", {"objective": "multiclassova"}), "regression": ("reg", {}),
        "l1": ("reg", {"objective": "regression_l1"}), "huber": ("reg", {"objective": "huber"}),
        "quantile": ("reg", {"objective": "quantile", "alpha": 0.8}), "poisson": ("pos", {"objective": "poisson"}),
        "tweedie": ("pos", {"objective": "tweedie"}), "gamma": ("pos", {"objective": "gamma"}),
        "cross_entropy": ("unit", {"objective": "cross_entropy"}), "ranker": ("rank", {}),
    }[name]  # fmt: skip
    if kind == "clf":
        model = lgb.LGBMClassifier(**LGB_SMALL, **params).fit(X, yb)
    elif kind == "multi":
        model = lgb.LGBMClassifier(**LGB_SMALL, **params).fit(X, y3)
    elif kind == "rank":
        model = lgb.LGBMRanker(**LGB_SMALL).fit(X, np.digitize(y, [0.0, 1.0, 2.0]), group=[50] * 6)
    else:
        target = {"reg": y, "pos": np.exp(y / 2), "unit": 1 / (1 + np.exp(-y))}[kind]
        model = lgb.LGBMRegressor(**LGB_SMALL, **params).fit(X, target)
    return model, X, lambda Z: model.predict(Z, raw_score=True)


LGB_CASES = ["binary", "zero_as_missing", "no_missing", "dart", "rf", "rf_regression", "sigmoid2", "multiclass",
             "multiclassova", "regression", "l1", "huber", "quantile", "poisson", "tweedie", "gamma", "cross_entropy",
             "ranker"]  # fmt: skip


@pytest.mark.parametrize("name", LGB_CASES)
def test_lightgbm_margins_equal_raw_score(name):
    model, X, margin = _lgb_case(name)
    forest = read_lightgbm(model)
    rows = _edge_rows(forest, X, float32=False)
    rows[:5, 0] = [1e-40, -1e-36, 1e-30, -0.0, np.inf]  # LightGBM reads |x| <= 1e-35 as 0
    _check_margins(forest, rows, margin(rows), rtol=0, atol=1e-9)


def test_lightgbm_link_and_scale_follow_the_objective():
    expect = {"binary": ("logit", "log_odds", 1.0), "sigmoid2": ("logit", "log_odds", 2.0),
              "multiclass": ("softmax", "raw_value", 1.0), "multiclassova": ("logit", "raw_value", 1.0),
              "poisson": ("log", "raw_value", 1.0), "cross_entropy": ("logit", "log_odds", 1.0),
              "huber": ("identity", "raw_value", 1.0), "ranker": ("identity", "raw_value", 1.0),
              "rf": ("logit", "log_odds", 1 / 8), "rf_regression": ("identity", "raw_value", 1 / 8)}  # fmt: skip
    for name, (link, output, scale) in expect.items():
        forest = read_lightgbm(_lgb_case(name)[0])
        assert (forest.link, forest.tree_output, forest.log_odds_scale) == (link, output, scale), name


def test_lightgbm_random_forest_predicts_the_scaled_margin():
    """boosting="rf": raw_score is the trees' sum; the prediction is the link of sum / iterations."""
    model, X, _ = _lgb_case("rf")
    forest = read_lightgbm(model)
    z = forest.log_odds_scale * _predict_margins(forest, forest.rows(X))[:, 0]
    np.testing.assert_allclose(1 / (1 + np.exp(-z)), model.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


def _lgb_categorical(pandas_input: bool) -> tuple[Any, Any]:
    frame, y = _categorical_frame()
    params = {**LGB_SMALL, "n_estimators": 10, "min_data_per_group": 5, "cat_smooth": 1.0, "max_cat_to_onehot": 2}
    if pandas_input:
        return lgb.LGBMRegressor(**params).fit(frame, y), frame
    X = _codes(frame)
    return lgb.LGBMRegressor(**params).fit(X, y, categorical_feature=[1, 3]), X


def test_lightgbm_categorical_codes_as_lightgbm_reads_them():
    """Categorical splits: the listed categories go left; NaN, negative, fractional (truncated) and
    unseen codes as LightGBM sends them."""
    model, X = _lgb_categorical(pandas_input=False)
    forest = read_lightgbm(model)
    assert forest.has_categorical
    odd = np.repeat(X[:12], 2, axis=0)
    odd[:, 1] = [np.nan, -1, -0.5, -0.0, 0.5, 1.5, 2.99, 5, 6, 7, 63, 64, 65, 127, 128, 1000, 1e9, -1e9, 0, 1, 2, 3,
                 4, -3.5]  # fmt: skip
    rows = np.vstack([_edge_rows(forest, X, float32=False), odd])
    _check_margins(forest, rows, model.predict(rows, raw_score=True), rtol=0, atol=1e-9)


def test_lightgbm_pandas_categories_through_pandas_categorical():
    model, frame = _lgb_categorical(pandas_input=True)
    forest = read_lightgbm(model)
    assert forest.has_categorical
    _check_margins(forest, frame, model.predict(frame, raw_score=True), rtol=0, atol=1e-9)
    # the same categories in another order, unseen ones and missing values
    rows = frame.iloc[:8].copy()
    rows["colour"] = pd.Categorical(["teal", "red", "purple", None, "green", "grey", "pink", "blue"],
                                    categories=["purple", "teal", "red", "green", "grey", "pink", "blue"])  # fmt: skip
    _check_margins(forest, rows, model.predict(rows, raw_score=True), rtol=0, atol=1e-9)


def test_lightgbm_booster_and_early_stopping():
    """A Booster predicts with its best iteration by default, and dump_model() dumps up to it."""
    X, y = _numeric()
    params = {**{k: v for k, v in LGB_SMALL.items() if k != "n_estimators"}, "learning_rate": 0.8}
    booster = lgb.train(
        params,
        lgb.Dataset(X[:150], y[:150]),
        num_boost_round=40,
        valid_sets=[lgb.Dataset(X[150:], y[150:])],
        callbacks=[lgb.early_stopping(2, verbose=False)],
    )
    assert 0 < booster.best_iteration < 40
    forest = read_forest(booster)
    assert forest.value.shape[0] == booster.best_iteration
    _check_margins(forest, X, booster.predict(X, raw_score=True), rtol=0, atol=1e-9)


def test_lightgbm_refuses_linear_trees_and_unnamed_links():
    X, y = _numeric()
    linear = lgb.LGBMRegressor(**LGB_SMALL, linear_tree=True).fit(np.nan_to_num(X), y)
    with pytest.raises(NotReadable, match="linear"):
        read_lightgbm(linear)
    with pytest.raises(NotReadable, match="cross_entropy_lambda"):
        read_lightgbm(lgb.LGBMRegressor(**LGB_SMALL, objective="cross_entropy_lambda").fit(X, 1 / (1 + np.exp(-y))))
    with pytest.raises(NotReadable, match="sqrt"):
        read_lightgbm(lgb.LGBMRegressor(**LGB_SMALL, reg_sqrt=True).fit(X, np.abs(y)))


# ----------------------------------------------------------------------------------------- XGBoost

XGB_SMALL = {"n_estimators": 6, "max_depth": 3, "n_jobs": 1}


def _xgb_case(name: str) -> tuple[Any, np.ndarray, Callable[[Any], np.ndarray]]:
    """A fitted XGBoost model, its rows, and its margin as a function of rows."""
    X, y = _numeric()
    yb, y3 = (y > 0.8).astype(int), np.digitize(y, [0.5, 2.5])  # unbalanced classes: distinct intercepts
    if name.startswith("missing"):
        X = np.where(np.isnan(X), {"missing0": 0.0, "missing999": -999.0}[name], X)
    kind, cls, params = {
        "binary": ("clf", xgb.XGBClassifier, {}), "missing0": ("clf", xgb.XGBClassifier, {"missing": 0.0}),
        "missing999": ("clf", xgb.XGBClassifier, {"missing": -999.0}),
        "dart": ("clf", xgb.XGBClassifier, {"booster": "dart", "rate_drop": 0.5, "skip_drop": 0.0}),
        "parallel": ("clf", xgb.XGBClassifier, {"num_parallel_tree": 3, "subsample": 0.7}),
        "rf_classifier": ("clf", xgb.XGBRFClassifier, {}), "rf_regressor": ("reg", xgb.XGBRFRegressor, {}),
        "logitraw": ("clf", xgb.XGBClassifier, {"objective": "binary:logitraw"}),
        "multiclass": ("multi", xgb.XGBClassifier, {}),
        "multiclass_parallel": ("multi", xgb.XGBClassifier, {"num_parallel_tree": 2, "subsample": 0.7}),
        "multiclass_rf": ("multi", xgb.XGBRFClassifier, {}),
        "softmax": ("multi", xgb.XGBClassifier, {"objective": "multi:softmax"}),
        "multiclass_dart": ("multi", xgb.XGBClassifier, {"booster": "dart", "rate_drop": 0.5}),
        "regression": ("reg", xgb.XGBRegressor, {}),
        "reg_logistic": ("unit", xgb.XGBRegressor, {"objective": "reg:logistic"}),
        "poisson": ("pos", xgb.XGBRegressor, {"objective": "count:poisson"}),
        "tweedie": ("pos", xgb.XGBRegressor, {"objective": "reg:tweedie"}),
        "gamma": ("pos", xgb.XGBRegressor, {"objective": "reg:gamma"}),
        "absolute": ("reg", xgb.XGBRegressor, {"objective": "reg:absoluteerror"}),
        "quantile": ("reg", xgb.XGBRegressor, {"objective": "reg:quantileerror", "quantile_alpha": 0.8}),
        "multi_target": ("targets", xgb.XGBRegressor, {}), "ranker": ("rank", xgb.XGBRanker, {}),
        "pseudohuber": ("reg", xgb.XGBRegressor, {"objective": "reg:pseudohubererror"}),
    }[name]  # fmt: skip
    model = cls(**XGB_SMALL, **params)
    if kind == "rank":
        model.fit(X, np.digitize(y, [0.0, 1.0, 2.0]), qid=np.repeat(np.arange(6), 50))
    else:
        target = {"clf": yb, "multi": y3, "reg": y, "pos": np.exp(y / 2), "unit": 1 / (1 + np.exp(-y)),
                  "targets": np.c_[y, -2 * y + 1]}[kind]  # fmt: skip
        model.fit(X, target)
    return model, X, lambda Z: model.predict(Z, output_margin=True)


XGB_CASES = ["binary", "missing0", "missing999", "dart", "parallel", "rf_classifier", "rf_regressor", "logitraw",
             "multiclass", "multiclass_parallel", "multiclass_rf", "softmax", "multiclass_dart", "regression",
             "reg_logistic", "poisson", "tweedie", "gamma", "absolute", "quantile", "multi_target", "ranker",
             "pseudohuber"]  # fmt: skip


@pytest.mark.parametrize("name", XGB_CASES)
def test_xgboost_margins_equal_output_margin(name):
    model, X, margin = _xgb_case(name)
    forest = read_xgboost(model)
    rows = _edge_rows(forest, X, float32=True)
    rows[:4, 1] = [0.0, -999.0, np.nan, 1e-40]
    _check_margins(forest, rows, margin(rows), rtol=1e-5, atol=1e-5)


def test_xgboost_link_follows_the_objective():
    expect = {"binary": ("logit", "log_odds"), "logitraw": ("identity", "raw_value"),
              "multiclass": ("softmax", "raw_value"), "reg_logistic": ("logit", "log_odds"),
              "poisson": ("log", "raw_value"), "tweedie": ("log", "raw_value"), "gamma": ("log", "raw_value"),
              "ranker": ("identity", "raw_value"), "rf_regressor": ("identity", "raw_value")}  # fmt: skip
    for name, (link, output) in expect.items():
        forest = read_xgboost(_xgb_case(name)[0])
        assert (forest.link, forest.tree_output) == (link, output), name


def _xgb_categorical() -> tuple[Any, pd.DataFrame]:
    frame, y = _categorical_frame()
    model = xgb.XGBRegressor(n_estimators=8, max_depth=3, enable_categorical=True, max_cat_to_onehot=1,
                             tree_method="hist").fit(frame, y)  # fmt: skip
    return model, frame


def test_xgboost_categories_recoded_as_xgboost_does():
    model, frame = _xgb_categorical()
    forest = read_xgboost(model)
    assert forest.has_categorical
    _check_margins(forest, frame, model.predict(frame, output_margin=True), rtol=1e-5, atol=1e-5)
    rows = frame.iloc[:8].copy()  # the training categories in another order, and missing values
    rows["colour"] = pd.Categorical(["teal", "red", None, None, "green", "grey", "pink", "blue"],
                                    categories=["teal", "red", "green", "grey", "pink", "blue"])  # fmt: skip
    _check_margins(forest, rows, model.predict(rows, output_margin=True), rtol=1e-5, atol=1e-5)
    rows["colour"] = pd.Categorical(["zebra"] * 8)  # XGBoost refuses categories it has not seen; so do we
    with pytest.raises(InputError, match="zebra"):
        forest.rows(rows)


def test_xgboost_categorical_codes_as_xgboost_reads_them():
    """Numeric codes: listed categories go right; unlisted, negative, fractional and huge ones left."""
    frame, y = _categorical_frame()
    X = _codes(frame)
    dtrain = xgb.DMatrix(X, y, feature_types=["q", "c", "q", "c"], enable_categorical=True)
    booster = xgb.train({"max_depth": 3, "max_cat_to_onehot": 1}, dtrain, num_boost_round=8)
    forest = read_xgboost(booster)
    assert forest.has_categorical
    odd = np.repeat(X[:12], 2, axis=0)
    odd[:, 1] = [np.nan, -1, -0.5, -0.0, 0.5, 1.5, 2.99, 5, 6, 7, 31, 32, 33, 63, 64, 65, 1000, 1e9, -1e9, 0, 1, 2,
                 3, 4]  # fmt: skip
    rows = np.vstack([_edge_rows(forest, X, float32=True), odd])
    expected = booster.predict(xgb.DMatrix(rows, feature_types=["q", "c", "q", "c"], enable_categorical=True),
                               output_margin=True)  # fmt: skip
    _check_margins(forest, rows, expected, rtol=1e-5, atol=1e-5)


def test_xgboost_booster_and_early_stopping():
    X, y = _numeric()
    model = xgb.XGBRegressor(n_estimators=60, max_depth=3, early_stopping_rounds=2, learning_rate=0.5).fit(
        X[:200], y[:200], eval_set=[(X[200:], y[200:])], verbose=False
    )
    assert model.best_iteration < 59
    forest = read_forest(model)
    assert forest.value.shape[0] == model.best_iteration + 1
    _check_margins(forest, X, model.predict(X, output_margin=True), rtol=1e-5, atol=1e-5)
    booster = model.get_booster()  # a Booster predicts with all its trees
    _check_margins(read_forest(booster), X, booster.predict(xgb.DMatrix(X), output_margin=True), rtol=1e-5, atol=1e-5)


def test_xgboost_refuses_what_it_cannot_read_exactly():
    X, y = _numeric()
    with pytest.raises(NotReadable, match="gblinear"):
        read_xgboost(xgb.XGBRegressor(booster="gblinear", n_estimators=3).fit(X, y))
    vector = xgb.XGBRegressor(**XGB_SMALL, multi_strategy="multi_output_tree", tree_method="hist").fit(X, np.c_[y, -y])
    with pytest.raises(NotReadable, match="multi_output_tree"):
        read_xgboost(vector)
    with pytest.raises(NotReadable, match="hinge"):
        read_xgboost(xgb.XGBClassifier(**XGB_SMALL, objective="binary:hinge").fit(X, (y > 0.8).astype(int)))


# ---------------------------------------------------------------------------------- Shapley values


def _small_models() -> dict[str, tuple[Any, Any, Callable[[Any], np.ndarray]]]:
    lgb_model, lgb_frame = _lgb_categorical(pandas_input=True)
    xgb_model, xgb_frame = _xgb_categorical()
    out: dict[str, tuple[Any, Any, Callable[[Any], np.ndarray]]] = {
        "lightgbm_zero_missing": _lgb_case("zero_as_missing"),
        "lightgbm_multiclass": _lgb_case("multiclass"),
        "lightgbm_categorical": (lgb_model, lgb_frame, lambda Z: lgb_model.predict(Z, raw_score=True)),
        "xgboost_missing999": _xgb_case("missing999"),
        "xgboost_multiclass_parallel": _xgb_case("multiclass_parallel"),
        "xgboost_dart": _xgb_case("dart"),
        "xgboost_categorical": (xgb_model, xgb_frame, lambda Z: xgb_model.predict(Z, output_margin=True)),
    }
    return out


SMALL = ["lightgbm_zero_missing", "lightgbm_multiclass", "lightgbm_categorical", "xgboost_missing999",
         "xgboost_multiclass_parallel", "xgboost_dart", "xgboost_categorical"]  # fmt: skip


@pytest.fixture(scope="module")
def small_models() -> dict[str, tuple[Any, Any, Callable[[Any], np.ndarray]]]:
    return _small_models()


def _take(data: Any, index: Any) -> Any:
    return data.iloc[index] if isinstance(data, pd.DataFrame) else np.asarray(data)[index]


@pytest.mark.parametrize("name", SMALL)
def test_interventional_values_equal_brute_force(small_models, name):
    model, data, margin = small_models[name]
    forest = read_forest(model)
    background, explained = _take(data, slice(100, 112)), _take(data, slice(0, 4))
    paths = leaf_paths(forest)
    assert paths is not None
    values, base = mask_shap(forest, paths, forest.rows(explained), forest.rows(background))
    tol = 1e-9 if name.startswith("lightgbm") else 1e-5
    for r in range(4):
        x = explained.iloc[[r]] if isinstance(explained, pd.DataFrame) else explained[r]
        phi, expected_base = shapley_row(margin, x, background)
        np.testing.assert_allclose(values[r], phi, rtol=0, atol=tol * max(1.0, np.abs(phi).max()))
        np.testing.assert_allclose(base, expected_base, rtol=0, atol=tol * max(1.0, np.abs(expected_base).max()))


def _library_contributions(model: Any, data: Any) -> np.ndarray:
    """``(n, d + 1, k)``: the library's own path-dependent values, the bias last."""
    if hasattr(model, "booster_"):
        contrib = np.asarray(model.predict(data, pred_contrib=True))
        k = contrib.shape[1] // (data.shape[1] + 1)
        return contrib.reshape(len(contrib), k, -1).transpose(0, 2, 1)
    booster = model.get_booster()
    missing = getattr(model, "missing", np.nan)
    contrib = booster.predict(xgb.DMatrix(data, missing=missing, enable_categorical=True), pred_contribs=True)
    contrib = contrib[:, None, :] if contrib.ndim == 2 else contrib
    return contrib.transpose(0, 2, 1).astype(np.float64)


@pytest.mark.parametrize("name", SMALL)
def test_path_dependent_values_equal_the_librarys_own(small_models, name):
    model, data, _ = small_models[name]
    forest = read_forest(model)
    explained = _take(data, slice(0, 40))
    layout = path_layout(forest)
    assert layout is not None
    values, base, _ = path_dependent_shap(forest, layout, forest.rows(explained))
    expected = _library_contributions(model, explained)
    atol = 1e-9 if name.startswith("lightgbm") else 1e-4
    np.testing.assert_allclose(values, expected[:, :-1], rtol=0, atol=atol)
    np.testing.assert_allclose(np.broadcast_to(base, expected[:, -1].shape), expected[:, -1], rtol=0, atol=atol)


def test_read_forest_uses_these_readers():
    model, _, _ = _lgb_case("binary")
    assert read_forest(model).prepare.func.__name__ == "_lightgbm_rows"  # type: ignore[union-attr]
    model, _, _ = _xgb_case("binary")
    assert read_forest(model).prepare.func.__name__ == "_xgboost_rows"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------- CatBoost


def _cb_case(name: str) -> tuple[Any, np.ndarray, Callable[[Any], np.ndarray]]:
    cb = pytest.importorskip("catboost")
    X, y = _numeric(d=5)
    small = {"iterations": 6, "depth": 4, "verbose": 0, "thread_count": 1, "allow_writing_files": False}
    z = np.nan_to_num(y)
    model = {
        "binary": lambda: cb.CatBoostClassifier(**small).fit(X, (z > 0.8).astype(int)),
        "nan_max": lambda: cb.CatBoostClassifier(**small, nan_mode="Max").fit(X, (z > 0.8).astype(int)),
        "multiclass": lambda: cb.CatBoostClassifier(**small, loss_function="MultiClass").fit(
            X, np.digitize(z, [0, 1.5])
        ),
        "regression": lambda: cb.CatBoostRegressor(**small).fit(X, z),
        "deep": lambda: cb.CatBoostRegressor(**{**small, "depth": 6}).fit(X, z),  # leaves no row reaches
        "poisson": lambda: cb.CatBoostRegressor(**small, loss_function="Poisson").fit(X, np.round(np.exp(z / 2))),
    }[name]()
    return model, X, lambda Z: model.predict(Z, prediction_type="RawFormulaVal")


CB_CASES = ["binary", "nan_max", "multiclass", "regression", "deep", "poisson"]


@pytest.mark.parametrize("name", CB_CASES)
def test_catboost_margins_and_its_own_shap_values(name):
    cb = pytest.importorskip("catboost")
    model, X, margin = _cb_case(name)
    forest = read_forest(model)
    rows = _edge_rows(forest, X, float32=True)
    _check_margins(forest, rows, margin(rows), rtol=0, atol=1e-12)
    values, base, _ = path_dependent_shap(forest, path_layout(forest), forest.rows(X[:40]))  # type: ignore[arg-type]
    own = model.get_feature_importance(cb.Pool(X[:40]), type="ShapValues")
    own = (own[:, None, :] if own.ndim == 2 else own).transpose(0, 2, 1)
    np.testing.assert_allclose(values, own[:, :-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.broadcast_to(base, own[:, -1].shape), own[:, -1], rtol=0, atol=1e-12)


def test_catboost_interventional_values_equal_brute_force():
    model, X, margin = _cb_case("multiclass")
    forest = read_forest(model)
    background = X[100:112]
    values, base = mask_shap(forest, leaf_paths(forest), forest.rows(X[:3]), forest.rows(background))  # type: ignore[arg-type]
    for r in range(3):
        phi, expected_base = shapley_row(margin, X[r], background)
        np.testing.assert_allclose(values[r], phi, rtol=0, atol=1e-12)
        np.testing.assert_allclose(base, expected_base, rtol=0, atol=1e-12)
    assert (forest.link, forest.tree_output) == ("softmax", "raw_value")
    assert read_forest(_cb_case("binary")[0]).link == "logit"


def test_catboost_refuses_categorical_features():
    cb = pytest.importorskip("catboost")
    frame, y = _categorical_frame()
    frame = frame.assign(colour=frame["colour"].astype(object).fillna("none"), size=frame["size"].astype(object))
    model = cb.CatBoostRegressor(iterations=3, depth=3, verbose=0, thread_count=1, allow_writing_files=False)
    model.fit(frame, y, cat_features=["colour", "size"])
    with pytest.raises(NotReadable, match="categorical"):
        read_forest(model)
