"""A catalogue of the tree models people ship, each explained through the public ``Explainer``
as a user would: ``method="auto"`` with background data, explicit ``tree_shap`` in the model's
margin space against brute-force enumeration of the model's own prediction, and path-dependent
``tree_shap`` without background. Every case either gives values equal to the reference, or is
refused with an ``explain.errors`` exception that says why (and ``auto`` then moves on); no case
crashes inside the library or returns values that do not add up.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import explain as ex
from explain._model import ModelAdapter
from explain.errors import ExplainError, MethodError

from ._reference import shapley

lgb = pytest.importorskip("lightgbm")
xgb = pytest.importorskip("xgboost")

warnings.filterwarnings("ignore", message=".*(No further splits|Found .* in params|categorical_feature).*")


def _data(task: str, missing: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 4)).round(2)
    z = X[:, 0] + X[:, 1] ** 2 - 0.5 * X[:, 2]
    if missing:
        X[rng.random(X.shape) < 0.1] = np.nan
    if task == "binary":
        y = (z + 0.3 * rng.normal(size=300) > 0.8).astype(int)
    elif task == "multiclass":
        y = np.digitize(z, [0.2, 1.4])
    elif task == "count":
        y = rng.poisson(np.exp(0.4 * np.clip(z, -3, 3))).astype(float) + 0.5
    elif task == "unit":
        y = 1 / (1 + np.exp(-z))
    else:
        y = z + 0.1 * rng.normal(size=300)
    return X, y


SMALL = {"n_estimators": 8, "verbose": -1, "random_state": 0}
XSMALL = {"n_estimators": 8, "random_state": 0, "max_depth": 3}

# name -> (task, missing in the training data, model factory)
CATALOGUE: dict[str, tuple[str, bool, Callable[[], Any]]] = {
    "sk_tree_clf": ("binary", True, lambda: DecisionTreeClassifier(max_depth=4, random_state=0)),
    "sk_tree_reg": ("regression", False, lambda: DecisionTreeRegressor(max_depth=5, random_state=0)),
    "sk_rf_clf_nan": ("binary", True, lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
    "sk_rf_multi": ("multiclass", False, lambda: RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
    "sk_rf_reg": ("regression", False, lambda: RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0)),
    "sk_et_clf": ("binary", False, lambda: ExtraTreesClassifier(n_estimators=5, max_depth=4, random_state=0)),
    "sk_gb_logloss": ("binary", False, lambda: GradientBoostingClassifier(n_estimators=8, random_state=0)),
    "sk_gb_exponential": (
        "binary", False, lambda: GradientBoostingClassifier(loss="exponential", n_estimators=8, random_state=0)
    ),
    "sk_gb_multi": ("multiclass", False, lambda: GradientBoostingClassifier(n_estimators=5, random_state=0)),
    "sk_gb_huber": ("regression", False, lambda: GradientBoostingRegressor(loss="huber", n_estimators=8)),
    "sk_gb_quantile": ("regression", False, lambda: GradientBoostingRegressor(loss="quantile", n_estimators=8)),
    "sk_hgb_clf_nan": ("binary", True, lambda: HistGradientBoostingClassifier(max_iter=8, random_state=0)),
    "sk_hgb_multi": ("multiclass", False, lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0)),
    "sk_hgb_reg": ("regression", True, lambda: HistGradientBoostingRegressor(max_iter=8, random_state=0)),
    "sk_hgb_poisson": ("count", False, lambda: HistGradientBoostingRegressor(loss="poisson", max_iter=8)),
    "sk_hgb_gamma": ("count", False, lambda: HistGradientBoostingRegressor(loss="gamma", max_iter=8)),
    "lgb_binary": ("binary", True, lambda: lgb.LGBMClassifier(**SMALL)),
    "lgb_multi": ("multiclass", False, lambda: lgb.LGBMClassifier(**SMALL)),
    "lgb_multiova": ("multiclass", False, lambda: lgb.LGBMClassifier(objective="multiclassova", **SMALL)),
    "lgb_reg": ("regression", True, lambda: lgb.LGBMRegressor(**SMALL)),
    "lgb_poisson": ("count", False, lambda: lgb.LGBMRegressor(objective="poisson", **SMALL)),
    "lgb_tweedie": ("count", False, lambda: lgb.LGBMRegressor(objective="tweedie", **SMALL)),
    "lgb_gamma": ("count", False, lambda: lgb.LGBMRegressor(objective="gamma", **SMALL)),
    "lgb_huber": ("regression", False, lambda: lgb.LGBMRegressor(objective="huber", **SMALL)),
    "lgb_xentropy": ("unit", False, lambda: lgb.LGBMRegressor(objective="cross_entropy", **SMALL)),
    "lgb_dart": ("binary", False, lambda: lgb.LGBMClassifier(boosting_type="dart", **SMALL)),
    "lgb_rf": (
        "binary", False, lambda: lgb.LGBMClassifier(boosting_type="rf", bagging_freq=1, bagging_fraction=0.7, **SMALL)
    ),
    "lgb_zero_as_missing": ("binary", True, lambda: lgb.LGBMClassifier(zero_as_missing=True, **SMALL)),
    "lgb_no_missing": ("regression", True, lambda: lgb.LGBMRegressor(use_missing=False, **SMALL)),
    "lgb_sigmoid": ("binary", False, lambda: lgb.LGBMClassifier(sigmoid=0.5, **SMALL)),
    "lgb_linear_tree": ("regression", False, lambda: lgb.LGBMRegressor(linear_tree=True, **SMALL)),
    "xgb_binary": ("binary", True, lambda: xgb.XGBClassifier(**XSMALL)),
    "xgb_logitraw": ("binary", False, lambda: xgb.XGBClassifier(objective="binary:logitraw", **XSMALL)),
    "xgb_multi": ("multiclass", False, lambda: xgb.XGBClassifier(**XSMALL)),
    "xgb_softmax": ("multiclass", False, lambda: xgb.XGBClassifier(objective="multi:softmax", **XSMALL)),
    "xgb_reg": ("regression", True, lambda: xgb.XGBRegressor(**XSMALL)),
    "xgb_reg_logistic": ("unit", False, lambda: xgb.XGBRegressor(objective="reg:logistic", **XSMALL)),
    "xgb_poisson": ("count", False, lambda: xgb.XGBRegressor(objective="count:poisson", **XSMALL)),
    "xgb_tweedie": ("count", False, lambda: xgb.XGBRegressor(objective="reg:tweedie", **XSMALL)),
    "xgb_gamma": ("count", False, lambda: xgb.XGBRegressor(objective="reg:gamma", **XSMALL)),
    "xgb_dart": ("binary", False, lambda: xgb.XGBClassifier(booster="dart", rate_drop=0.3, **XSMALL)),
    "xgb_parallel_multi": ("multiclass", False, lambda: xgb.XGBClassifier(num_parallel_tree=3, **XSMALL)),
    "xgb_rf_clf": ("binary", False, lambda: xgb.XGBRFClassifier(**XSMALL)),
    "xgb_rf_reg": ("regression", False, lambda: xgb.XGBRFRegressor(**XSMALL)),
    "xgb_missing_zero": ("binary", False, lambda: xgb.XGBClassifier(missing=0.0, **XSMALL)),
    "xgb_missing_sentinel": ("regression", False, lambda: xgb.XGBRegressor(missing=-999.0, **XSMALL)),
}


def _fit(name: str) -> tuple[Any, np.ndarray]:
    task, missing, make = CATALOGUE[name]
    X, y = _data(task, missing)
    if name == "xgb_missing_zero":
        X[::7, 1] = 0.0
    if name == "xgb_missing_sentinel":
        X[::5, 2] = -999.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X, y), X


def _margin_space(model: Any) -> str:
    adapter = ModelAdapter.from_model(model)
    if adapter.is_classifier:
        return "log_odds" if adapter._binary_margin_is_log_odds() else "raw"
    return "margin"


def _tol(model: Any) -> float:
    return 2e-4 if type(model).__module__.startswith("xgboost") else 1e-9


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_auto_explains_every_model_exactly_or_says_why(name):
    model, X = _fit(name)
    background, rows = X[:25], X[25:29]
    local = ex.Explainer(model, background=background).explain_local(rows)
    if name == "lgb_linear_tree":  # the leaves hold linear models: not a sum of constant leaves
        assert local.method != "tree_shap" and "linear" in local.params["auto"]["skipped"]["tree_shap"]
    else:
        assert local.method == "tree_shap", local.params["auto"]
    assert local.additivity_error() < _tol(model) * (1 + np.abs(local.predictions).max())


@pytest.mark.parametrize("name", sorted(set(CATALOGUE) - {"lgb_linear_tree"}))
def test_interventional_margins_equal_brute_force(name):
    model, X = _fit(name)
    background, rows = X[:12], X[25:28]
    space = _margin_space(model)
    averaging = type(model).__name__.startswith(("Random", "Extra", "Decision"))
    if averaging and ModelAdapter.from_model(model).is_classifier:
        space = "probability"  # a forest of classifiers has no margin: its probability is the sum of trees
    local = ex.Explainer(model, background=background, method="tree_shap", output=space).explain_local(rows)
    adapter = ModelAdapter.from_model(model)
    ref, base = shapley(lambda Z: adapter.predict(Z, space), rows, background)
    atol = _tol(model) * (1 + np.abs(ref).max())
    np.testing.assert_allclose(local.values, ref.reshape(local.values.shape), atol=atol)
    np.testing.assert_allclose(local.base_values, base.reshape(local.base_values.shape), atol=atol)


@pytest.mark.parametrize("name", sorted(set(CATALOGUE) - {"lgb_linear_tree"}))
def test_path_dependent_values_add_up(name):
    model, X = _fit(name)
    local = ex.Explainer(model, method="tree_shap").explain_local(X[:30])
    assert local.params["feature_perturbation"] == "tree_path_dependent"
    assert local.additivity_error() < _tol(model) * (1 + np.abs(local.predictions).max())


def test_linear_trees_are_refused_with_the_reason():
    model, X = _fit("lgb_linear_tree")
    for background in (X[:20], None):
        with pytest.raises(MethodError, match="linear"):
            ex.Explainer(model, background=background, method="tree_shap").explain_local(X[:3])


@pytest.mark.parametrize("name", ["lgb_poisson", "xgb_poisson", "sk_hgb_poisson", "xgb_multi", "lgb_multi"])
def test_spaces_tree_shap_cannot_decompose_are_refused_and_auto_says_what_it_explained(name):
    model, X = _fit(name)
    space = "raw" if name.endswith("poisson") else "probability"
    with pytest.raises(ExplainError, match="exact_shap"):
        ex.Explainer(model, background=X[:10], method="tree_shap", output=space).explain_local(X[:2])
    local = ex.Explainer(model, background=X[:10]).explain_local(X[:2])
    assert local.method == "tree_shap" and local.output_space in ("margin", "raw")
    assert "output_note" in local.params


def test_xgboost_missing_marker_reaches_the_missing_branch():
    model, X = _fit("xgb_missing_sentinel")
    rows = X[:6].copy()
    rows[:, 2] = -999.0
    local = ex.Explainer(model, background=X[:20], output="raw").explain_local(rows)
    np.testing.assert_allclose(local.predictions, model.predict(rows), rtol=1e-6)
    assert local.additivity_error() < 1e-4
    frame = pd.DataFrame(rows, columns=[f"x{j}" for j in range(4)])
    assert local.data.shape == frame.shape and np.array_equal(local.data, rows)  # the user's values, unchanged
