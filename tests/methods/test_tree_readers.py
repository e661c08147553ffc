"""scikit-learn tree models read from their own structures: the same arrays as shap's parser,
exact values where shap's parser refuses, and no shap import on the way."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
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
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier

import explain as ex
from explain.methods._tree_engine import _read_with_shap, read_forest
from explain.methods._tree_readers import NotReadable, read_sklearn

from ._reference import shapley


def _data(task: str, missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
    X, y = {"binary": load_breast_cancer, "multiclass": load_wine, "regression": load_diabetes}[task](return_X_y=True)
    if missing:
        X = X.copy()
        X[np.random.default_rng(0).random(X.shape) < 0.1] = np.nan
    return X, y


CASES = {
    "decision_tree_clf": ("binary", lambda: DecisionTreeClassifier(max_depth=5, random_state=0)),
    "decision_tree_reg": ("regression", lambda: DecisionTreeRegressor(max_depth=6, random_state=0)),
    "extra_tree_clf": ("binary", lambda: ExtraTreeClassifier(random_state=0)),
    "random_forest_clf": ("binary", lambda: RandomForestClassifier(n_estimators=5, random_state=0)),
    "random_forest_multi": ("multiclass", lambda: RandomForestClassifier(n_estimators=5, random_state=0)),
    "random_forest_reg": ("regression", lambda: RandomForestRegressor(n_estimators=5, random_state=0)),
    "extra_trees_clf": ("binary", lambda: ExtraTreesClassifier(n_estimators=5, random_state=0)),
    "extra_trees_reg": ("regression", lambda: ExtraTreesRegressor(n_estimators=5, random_state=0)),
    "gradient_boosting_clf": ("binary", lambda: GradientBoostingClassifier(n_estimators=5, random_state=0)),
    "gradient_boosting_reg": ("regression", lambda: GradientBoostingRegressor(n_estimators=5, random_state=0)),
    "hist_gb_clf": ("binary", lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0)),
    "hist_gb_multi": ("multiclass", lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0)),
    "hist_gb_reg": ("regression", lambda: HistGradientBoostingRegressor(max_iter=5, random_state=0)),
}
MISSING = ("decision_tree_clf", "random_forest_clf", "hist_gb_clf")  # trained with missing values


@pytest.mark.parametrize(
    ("name", "missing"), [(n, False) for n in sorted(CASES)] + [(n, True) for n in MISSING]
)
def test_the_same_arrays_as_shaps_parser(name, missing):
    task, make = CASES[name]
    X, y = _data(task, missing)
    model = make().fit(X, y)
    ours, shaps = read_forest(model), _read_with_shap(model)
    split, leaf = ours.left >= 0, ours.left < 0
    for field in ("left", "right", "cover"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(shaps, field), err_msg=field)
    for field in ("default", "feature", "threshold"):  # what a leaf holds there means nothing
        np.testing.assert_array_equal(getattr(ours, field)[split], getattr(shaps, field)[split], err_msg=field)
    # the engines read the leaves' values (shap's parser fills inner nodes of boosted trees otherwise)
    np.testing.assert_allclose(ours.value[leaf], shaps.value[leaf], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.base_offset, shaps.base_offset, rtol=0, atol=1e-12)
    assert (ours.input_dtype, ours.tree_output, ours.max_depth) == (
        shaps.input_dtype,
        shaps.tree_output,
        shaps.max_depth,
    )


def test_multiclass_gradient_boosting_which_shaps_parser_refuses():
    X, y = load_wine(return_X_y=True)
    X = X[:, :6]
    model = GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)
    with pytest.raises(Exception, match="binary"):
        _read_with_shap(model)
    bg, rows = X[:15], X[100:103]
    local = ex.Explainer(model, background=bg, output="raw").explain_local(rows)  # the margins
    assert local.method == "tree_shap"
    expected, _ = shapley(model.decision_function, rows, bg)
    np.testing.assert_allclose(local.values, expected, rtol=0, atol=1e-10)
    path = ex.Explainer(model).explain_local(rows)  # path-dependent: adds up to the margins
    assert path.params["engine"] == "explain"
    assert path.additivity_error() < 1e-10


def test_models_the_readers_do_not_cover_say_so():
    X, y = load_diabetes(return_X_y=True)
    custom = GradientBoostingRegressor(n_estimators=3, init=LinearRegression(), random_state=0).fit(X, y)
    with pytest.raises(NotReadable, match="init=LinearRegression"):
        read_sklearn(custom)
    multi = RandomForestRegressor(n_estimators=3, random_state=0).fit(X, np.c_[y, -y])
    with pytest.raises(NotReadable, match="multi-output"):
        read_sklearn(multi)


def test_explaining_a_scikit_learn_forest_does_not_import_shap():
    """shap's import costs about 0.6 s on a first call; its parser is not needed here."""
    code = (
        "import sys, numpy as np, explain as ex\n"
        "from sklearn.ensemble import HistGradientBoostingClassifier as H\n"
        "X = np.random.default_rng(0).normal(size=(300, 4))\n"
        "m = H(max_iter=5).fit(X, X[:, 0] > 0)\n"
        "ex.Explainer(m).explain_local(X[:5]); ex.Explainer(m, background=X[:20]).explain_local(X[:5])\n"
        "print('shap' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
