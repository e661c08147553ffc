"""Explanations of small real models, shared by the plot tests (session-scoped, read-only).

Every test also checks that it left no pyplot figure open: the plots make their figures with
``matplotlib.figure.Figure``, never through pyplot.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain._effects import FeatureEffect

LONG = "number of late payments on account type {} in the last twenty-four months"


@pytest.fixture(autouse=True)
def _no_pyplot_figures():
    yield
    assert plt.get_fignums() == [], "a plot left a pyplot figure open"


@pytest.fixture(scope="session")
def mixed_X(mixed_data) -> pd.DataFrame:
    """tests/conftest.py's mixed data; age as float (sklearn's partial dependence refuses ints)."""
    return mixed_data.X.assign(age=mixed_data.X["age"].astype(float))


@pytest.fixture(scope="session")
def mixed_model(mixed_X, mixed_data) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "grade"]),
            ("num", StandardScaler(), ["age", "income"]),
        ]
    )
    return Pipeline([("pre", pre), ("model", LogisticRegression())]).fit(mixed_X, mixed_data.y)


@pytest.fixture(scope="session")
def mixed_local(mixed_X, mixed_model) -> ex.LocalExplanation:
    """Numeric and categorical columns through a Pipeline, probability of class '1' (Shapley)."""
    return ex.Explainer(mixed_model, background=mixed_X[:40], output="probability").explain_local(mixed_X[:60])


@pytest.fixture(scope="session")
def mixed_pd(mixed_X, mixed_model) -> ex.GlobalExplanation:
    """Partial dependence with ICE bands: numeric and categorical grids."""
    return ex.Explainer(mixed_model, method="partial_dependence").explain_global(mixed_X[:80])


@pytest.fixture(scope="session")
def wide_X() -> pd.DataFrame:
    X, _ = make_classification(n_samples=200, n_features=60, n_informative=10, random_state=0)
    names = [LONG.format(i) if i % 3 == 0 else f"f{i}" for i in range(60)]
    return pd.DataFrame(X, columns=names)


@pytest.fixture(scope="session")
def wide_model(wide_X):
    _, y = make_classification(n_samples=200, n_features=60, n_informative=10, random_state=0)
    return HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(wide_X, y)


@pytest.fixture(scope="session")
def wide_local(wide_X, wide_model) -> ex.LocalExplanation:
    """60 features, a third with long names, tree SHAP in probability."""
    return ex.Explainer(wide_model, background=wide_X[:40]).explain_local(wide_X[:50])


@pytest.fixture(scope="session")
def diabetes_local() -> ex.LocalExplanation:
    """A regression: raw units."""
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:30])


@pytest.fixture(scope="session")
def iris_local() -> ex.LocalExplanation:
    """Three outputs (string class names)."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    model = LogisticRegression(max_iter=1000).fit(X, names)
    return ex.Explainer(model, background=X[::5]).explain_local(X[::10])


@pytest.fixture(scope="session")
def shape_global() -> ex.GlobalExplanation:
    """A glass-box style explanation with a numeric and a categorical shape function."""
    age = FeatureEffect("age", "shape_function", tuple(np.linspace(20.0, 80.0, 7)), np.linspace(-1, 1, 7) ** 2)
    city = FeatureEffect("city", "shape_function", ("oslo", "paris", "rome"), [0.1, -0.2, 0.4])
    return ex.GlobalExplanation(
        importances=[0.6, 0.25], spread=None, feature_names=("age", "city"), output_names=("1",),
        output_space="log_odds", kind="mean_abs_score", method="glassbox", effects=(age, city),
    )  # fmt: skip
