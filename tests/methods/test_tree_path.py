"""Path-dependent tree_shap (no background): explain's compiled engine against shap's TreeExplainer."""

from __future__ import annotations

import warnings

import lightgbm
import numpy as np
import pytest
import shap
import xgboost
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import explain as ex
from explain.methods import _tree_path
from explain.methods._tree_engine import read_forest

ROWS = slice(0, 40)
# XGBoost's own TreeSHAP (which shap calls) sums in float32, and its predictions are float32: a
# relative tolerance (of the largest value). Our values equal shap's double-precision algorithm
# on XGBoost to 1e-12 (test_xgboost_equals_shap_in_double).
TOL = {"xgboost": 2e-6}


def _data(task: str) -> tuple[np.ndarray, np.ndarray]:
    if task == "binary":
        return load_breast_cancer(return_X_y=True)
    if task == "multiclass":
        return load_wine(return_X_y=True)
    return load_diabetes(return_X_y=True)


MODELS = {
    "decision_tree_clf": ("binary", lambda: DecisionTreeClassifier(max_depth=6, random_state=0)),
    "decision_tree_reg": ("regression", lambda: DecisionTreeRegressor(max_depth=8, random_state=0)),
    "random_forest_clf": ("binary", lambda: RandomForestClassifier(n_estimators=8, max_depth=6, random_state=0)),
    "random_forest_multi": ("multiclass", lambda: RandomForestClassifier(n_estimators=8, random_state=0)),
    "random_forest_reg": ("regression", lambda: RandomForestRegressor(n_estimators=8, max_depth=7, random_state=0)),
    "extra_trees_clf": ("binary", lambda: ExtraTreesClassifier(n_estimators=8, max_depth=6, random_state=0)),
    "extra_trees_reg": ("regression", lambda: ExtraTreesRegressor(n_estimators=8, max_depth=7, random_state=0)),
    "gradient_boosting_clf": ("binary", lambda: GradientBoostingClassifier(n_estimators=15, random_state=0)),
    "gradient_boosting_reg": ("regression", lambda: GradientBoostingRegressor(n_estimators=15, random_state=0)),
    "hist_gb_clf": ("binary", lambda: HistGradientBoostingClassifier(max_iter=15, random_state=0)),
    "hist_gb_multi": ("multiclass", lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0)),
    "hist_gb_reg": ("regression", lambda: HistGradientBoostingRegressor(max_iter=15, random_state=0)),
    "lightgbm_clf": ("binary", lambda: lightgbm.LGBMClassifier(n_estimators=15, verbose=-1, random_state=0)),
    "lightgbm_multi": ("multiclass", lambda: lightgbm.LGBMClassifier(n_estimators=10, verbose=-1, random_state=0)),
    "lightgbm_reg": ("regression", lambda: lightgbm.LGBMRegressor(n_estimators=15, verbose=-1, random_state=0)),
    "xgboost_clf": ("binary", lambda: xgboost.XGBClassifier(n_estimators=15, max_depth=5, random_state=0)),
    "xgboost_multi": ("multiclass", lambda: xgboost.XGBClassifier(n_estimators=10, max_depth=4, random_state=0)),
    "xgboost_reg": ("regression", lambda: xgboost.XGBRegressor(n_estimators=15, max_depth=5, random_state=0)),
}


def _shap_values(model, rows: np.ndarray, n_outputs: int) -> np.ndarray:
    """shap's path-dependent values as ``(n, d, n_outputs)``; a binary classifier's positive class."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(
            shap.TreeExplainer(model, feature_perturbation="tree_path_dependent").shap_values(rows),
            dtype=float,
        )
    if values.ndim == 2:
        values = values[:, :, None]
    return values[:, :, -n_outputs:]


def _tol(name: str, values: np.ndarray) -> float:
    family = name.split("_")[0]
    return TOL[family] * max(1.0, float(np.abs(values).max())) if family in TOL else 1e-10


@pytest.mark.parametrize("name", sorted(MODELS))
def test_equals_shap_tree_explainer(name):
    task, make = MODELS[name]
    X, y = _data(task)
    model = make().fit(X, y)
    local = ex.Explainer(model, method="tree_shap").explain_local(X[ROWS])
    assert local.params["engine"] == "explain"
    assert local.params["feature_perturbation"] == "tree_path_dependent"
    k = local.values.shape[2] if local.values.ndim == 3 else 1
    expected = _shap_values(model, X[ROWS], k).reshape(local.values.shape)
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=_tol(name, expected))
    assert local.additivity_error() < max(_tol(name, local.predictions), 1e-9)
    if task == "multiclass":
        assert local.values.shape == (40, X.shape[1], len(np.unique(y)))


def test_xgboost_equals_shap_in_double():
    """shap's own C++ algorithm (double precision) instead of XGBoost's float32 one."""
    X, y = load_breast_cancer(return_X_y=True)
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=5, random_state=0).fit(X, y)
    local = ex.Explainer(model).explain_local(X[ROWS])
    reference = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    reference.model.model_type = "internal"  # skip the hand-off to XGBoost's own code
    expected = reference.shap_values(X[ROWS], check_additivity=False)  # its base is not ours to check
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["hist_gb_clf", "lightgbm_clf", "xgboost_clf", "xgboost_multi"])
def test_missing_values_follow_each_split_default(name):
    task, make = MODELS[name]
    X, y = _data(task)
    X = X.copy()
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.15] = np.nan  # in training and in the rows explained
    model = make().fit(X, y)
    rows = X[:60]
    assert np.isnan(rows).any()
    local = ex.Explainer(model).explain_local(rows)
    k = local.values.shape[2] if local.values.ndim == 3 else 1
    expected = _shap_values(model, rows, k).reshape(local.values.shape)
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=_tol(name, expected))
    assert local.additivity_error() < max(_tol(name, local.predictions), 1e-9)


@pytest.fixture(scope="module")
def deep_forest():
    X, y = load_diabetes(return_X_y=True)
    model = RandomForestRegressor(n_estimators=6, random_state=0).fit(X, y)  # unbounded depth
    assert read_forest(model).max_depth >= 12
    return model, X


def test_deep_trees_mix_tables_and_recursion(deep_forest):
    model, X = deep_forest
    rows = X[:25]
    local = ex.Explainer(model).explain_local(rows)
    # few rows: deep leaves' tables would cost more than they save, so those leaves recurse
    assert local.params["algorithm"] == "v2+v1"
    np.testing.assert_allclose(local.values, _shap_values(model, rows, 1).reshape(local.values.shape), atol=1e-10)
    assert local.additivity_error() < 1e-9


def test_v1_and_v2_and_any_budget_give_the_same_values(deep_forest, monkeypatch):
    model, X = deep_forest
    rows = X[100:130]

    def run(algorithm: str):
        return ex.Explainer(model, method_params={"algorithm": algorithm}).explain_local(rows)

    v2, v1 = run("v2"), run("v1")
    assert v2.params["algorithm"] == "v2" and v1.params["algorithm"] == "v1"
    monkeypatch.setattr(_tree_path, "TABLE_BYTES", 16 * 2**9 * 40)  # a few dozen tables of D <= 9 fit
    tight = run("v2")
    assert tight.params["algorithm"] == "v2+v1" and tight.params["table_bytes"] <= 16 * 2**9 * 40
    monkeypatch.setattr(_tree_path, "TABLE_BYTES", 0)  # nothing fits: the v1 recursion everywhere
    assert run("v2").params["algorithm"] == "v1"
    for other in (v1, tight):
        np.testing.assert_allclose(other.values, v2.values, rtol=0, atol=1e-12)


def test_table_depth_respects_budget_and_cost():
    D = np.array([0, 3, 3, 8, 8, 12, 20])

    def tabulated(n_rows: int, algorithm: str, max_bytes: int) -> list[int]:
        cut = _tree_path.table_depth(D, n_rows, algorithm, max_bytes)
        return sorted({int(d) for d in D if 1 <= d <= cut})

    assert tabulated(10**6, "v1", 1 << 30) == []
    assert tabulated(1, "v2", 1 << 30) == [3, 8, 12, 20]  # v2: whatever fits
    assert tabulated(10**9, "v2", 1 << 20) == [3, 8, 12]  # 16 bytes x 2^20 do not fit
    assert tabulated(10**9, "v2", 16 * (1 + 2 * 8 + 2 * 256)) == [3, 8]  # exactly fits
    assert tabulated(10**9, "v2", 16 * (1 + 2 * 8 + 2 * 256) - 1) == [3]
    assert tabulated(10, "auto", 1 << 30) == []  # 10 rows: 4 * 2^D <= 10 D only for D <= 2
    assert tabulated(10**4, "auto", 1 << 30) == [3, 8, 12]  # D <= 15


def test_chunks_and_blocks_give_identical_values(monkeypatch):
    X, y = load_breast_cancer(return_X_y=True)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    explainer = ex.Explainer(model)
    whole = explainer.explain_local(X[:90])
    monkeypatch.setattr(_tree_path, "ROWS_PER_CHUNK", 7)
    monkeypatch.setattr(_tree_path, "ROWS_PER_BLOCK", 3)
    chunked = explainer.explain_local(X[:90])
    assert np.array_equal(chunked.values, whole.values)
    assert np.array_equal(chunked.base_values, whole.base_values)
    again = explainer.explain_local(X[:90])  # and deterministic
    assert np.array_equal(again.values, whole.values)
    # one row alone: fewer leaves pay for a table, so the recursion computes them, to rounding
    np.testing.assert_allclose(explainer.explain_local(X[5:6]).values[0], whole.values[5], rtol=0, atol=1e-13)


def test_engine_shap_is_available_and_agrees():
    X, y = load_breast_cancer(return_X_y=True)
    model = RandomForestClassifier(n_estimators=5, max_depth=5, random_state=0).fit(X, y)
    ours = ex.Explainer(model).explain_local(X[:10])
    theirs = ex.Explainer(model, method_params={"engine": "shap"}).explain_local(X[:10])
    assert ours.params["engine"] == "explain" and theirs.params["engine"] == "shap"
    np.testing.assert_allclose(ours.values, theirs.values, atol=1e-12)
    np.testing.assert_allclose(ours.base_values, theirs.base_values, atol=1e-12)


def test_lightgbm_categorical_splits_are_read_and_equal_lightgbms_own_values():
    rng = np.random.default_rng(0)
    X = np.c_[rng.integers(0, 8, 600), rng.normal(size=600)]
    X[::17, 0] = np.nan
    y = (np.isin(X[:, 0], [1, 3, 6]) ^ (X[:, 1] > 0)).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y, categorical_feature=[0])
    rows = np.r_[X[:20], [[9.0, 0.1], [-1.0, 0.2], [np.nan, -0.3]]]  # an unseen, a negative and a missing code
    local = ex.Explainer(model).explain_local(rows)
    assert local.params["engine"] == "explain" and local.output_space == "log_odds"
    theirs = model.predict(rows, pred_contrib=True)
    np.testing.assert_allclose(local.values, theirs[:, :2], atol=1e-10)
    np.testing.assert_allclose(local.base_values, theirs[:, 2], atol=1e-10)
    assert local.additivity_error() < 1e-9


def test_interventional_algorithm_names_are_refused_without_background():
    X, y = load_breast_cancer(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=3).fit(X, y)
    with pytest.raises(Exception, match="interventional"):
        ex.Explainer(model, method="tree_shap", method_params={"algorithm": "masks"}).explain_local(X[:2])


@pytest.mark.parametrize("background", [False, True])
def test_n_jobs_caps_the_engine_threads_and_keeps_the_values(monkeypatch, background):
    import numba

    from explain.methods import _tree_masks

    X, y = load_breast_cancer(return_X_y=True)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    bg = X[:20] if background else None
    seen: list[int] = []
    kernel = (_tree_masks, "mask_shap_logistic") if background else (_tree_path, "path_dependent_shap")
    original = getattr(*kernel)
    monkeypatch.setattr(*kernel, lambda *a, **k: (seen.append(numba.get_num_threads()), original(*a, **k))[1])
    before = numba.get_num_threads()
    one = ex.Explainer(model, background=bg, n_jobs=1).explain_local(X[:300])
    every = ex.Explainer(model, background=bg, n_jobs=-1).explain_local(X[:300])
    assert seen == [1, numba.config.NUMBA_NUM_THREADS]
    assert numba.get_num_threads() == before  # restored after the call
    np.testing.assert_allclose(one.values, every.values, rtol=0, atol=1e-12)
