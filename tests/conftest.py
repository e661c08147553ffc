"""Shared small data and models for the tests.

Data ships with scikit-learn or is generated from a fixed seed; models are small so that the
whole suite stays fast. Fixtures are session-scoped and must be treated as read-only (several
tests check that explaining never modifies the data or the model).
"""

from __future__ import annotations

import os

# One OpenMP thread (HistGradientBoosting, LightGBM, XGBoost): the models here are tiny, and
# spinning threads on a shared machine make them slower, not faster. Set before any model runs.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@dataclass(frozen=True)
class Data:
    X: pd.DataFrame
    y: pd.Series

    @property
    def background(self) -> pd.DataFrame:
        return self.X.iloc[:40]

    @property
    def rows(self) -> pd.DataFrame:
        return self.X.iloc[100:105]


@pytest.fixture(scope="session")
def cancer_data() -> Data:
    """Breast cancer (binary), first 5 columns: names with spaces, all numeric."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return Data(X.iloc[:, :5].copy(), y)


@pytest.fixture(scope="session")
def cancer_wide() -> Data:
    """Breast cancer, first 20 columns (too many for exact_shap)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return Data(X.iloc[:, :20].copy(), y)


@pytest.fixture(scope="session")
def diabetes_data() -> Data:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return Data(X.iloc[:, :6].copy(), y)


@pytest.fixture(scope="session")
def iris_data() -> Data:
    """Iris with string class labels (multiclass)."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)
    return Data(X, pd.Series(names[y], name="species"))


def make_mixed(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric (int, float), object (strings) and pandas 'category' columns, and a binary target."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "income": rng.normal(50.0, 12.0, n).round(2),
            "city": pd.Series(rng.choice(["paris", "rome", "oslo"], n), dtype=object),
            "grade": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"]),
        }
    )
    logit = 0.08 * (X["age"] - 50) + 1.5 * (X["city"] == "rome") - 1.0 * (X["grade"] == "c").astype(float)
    y = pd.Series((logit + rng.normal(0, 0.5, n) > 0).astype(int), name="target")
    return X, y


@pytest.fixture(scope="session")
def mixed_data() -> Data:
    X, y = make_mixed()
    return Data(X, y)


def make_mixed_pipeline(estimator=None) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "grade"]),
            ("num", StandardScaler(), ["age", "income"]),
        ]
    )
    return Pipeline([("pre", pre), ("model", estimator if estimator is not None else LogisticRegression())])


@pytest.fixture(scope="session")
def mixed_pipeline(mixed_data: Data) -> Pipeline:
    return make_mixed_pipeline().fit(mixed_data.X, mixed_data.y)


@pytest.fixture(scope="session")
def cancer_lr(cancer_data: Data) -> LogisticRegression:
    # unscaled data: lbfgs needs more than its default 100 iterations
    return LogisticRegression(max_iter=5000).fit(cancer_data.X, cancer_data.y)


@pytest.fixture(scope="session")
def cancer_rf(cancer_data: Data) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=10, max_depth=3, random_state=0).fit(cancer_data.X, cancer_data.y)


@pytest.fixture(scope="session")
def cancer_hgb(cancer_data: Data) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=15, random_state=0).fit(cancer_data.X, cancer_data.y)


@pytest.fixture(scope="session")
def diabetes_linreg(diabetes_data: Data) -> LinearRegression:
    return LinearRegression().fit(diabetes_data.X, diabetes_data.y)
