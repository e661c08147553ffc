"""permutation_shap: additive, close to exact_shap, seeded, and polite to the global RNG."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor

import explain as ex

from ._reference import shapley


def _permutation(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, method="permutation_shap", **kwargs).explain_local(X)


@pytest.fixture(scope="module")
def problem():
    X, y = load_diabetes(return_X_y=True)
    X = X[:, :6]
    model = RandomForestRegressor(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    return model, X[:12], X[200:203]


@pytest.fixture(scope="module")
def first_run(problem):
    model, background, rows = problem
    return _permutation(model, background, rows, random_state=0)


def test_additive(first_run):
    assert first_run.additivity_error() < 1e-6


def test_close_to_the_exact_values(problem, first_run):
    model, background, rows = problem
    phi, base = shapley(model.predict, rows, background)
    scale = np.abs(phi).max()
    # sampled orderings: agreement within a few percent of the largest attribution
    assert np.abs(first_run.values - phi[:, :, 0]).max() < 0.05 * scale
    assert np.abs(first_run.base_values - base[:, 0]).max() < 1e-9


def test_same_seed_same_values(problem, first_run):
    model, background, rows = problem
    again = _permutation(model, background, rows, random_state=0)
    assert np.array_equal(first_run.values, again.values)
    assert np.array_equal(first_run.base_values, again.base_values)


def test_other_seed_other_values(problem, first_run):
    model, background, rows = problem
    other = _permutation(model, background, rows, random_state=1)
    assert not np.allclose(first_run.values, other.values, atol=1e-9)


def test_leaves_the_global_random_state_alone(problem):
    model, background, rows = problem
    np.random.seed(2024)  # noqa: NPY002 - the caller's own use of the legacy RNG
    before = np.random.get_state()  # noqa: NPY002
    _permutation(model, background, rows[:1], random_state=3, method_params={"max_evals": 100})
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_max_evals_is_recorded(problem):
    model, background, rows = problem
    local = _permutation(model, background, rows[:1], method_params={"max_evals": 100})
    assert local.params["max_evals"] == 100
    assert local.additivity_error() < 1e-6
