"""permutation_shap: additive, close to exact_shap with shap's own error, exact where the
estimator is, seeded per row, and polite to the global RNG."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor

import explain as ex
from explain.errors import MethodError

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
    for engine in ("batched", "shap"):
        _permutation(model, background, rows[:1], random_state=3, method_params={"max_evals": 100, "engine": engine})
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_max_evals_is_recorded(problem):
    model, background, rows = problem
    local = _permutation(model, background, rows[:1], method_params={"max_evals": 100})
    assert local.params["max_evals"] == 100
    assert local.additivity_error() < 1e-6


def test_error_to_exact_is_shap_s(problem):
    """The batched estimator and shap's PermutationExplainer: the same error to the exact values
    over seeds, both additive, the same base value."""
    model, background, rows = problem
    phi = shapley(model.predict, rows, background)[0][:, :, 0]
    errors = {}
    for engine in ("batched", "shap"):
        runs = [
            _permutation(model, background, rows, random_state=s, method_params={"engine": engine, "max_evals": 65})
            for s in range(6)
        ]
        assert max(r.additivity_error() for r in runs) < 1e-9
        errors[engine] = np.sqrt(np.mean([(r.values - phi) ** 2 for r in runs]))
    assert 0.5 < errors["batched"] / errors["shap"] < 2.0
    assert np.abs(runs[0].base_values - _permutation(model, background, rows).base_values).max() < 1e-9


@pytest.mark.parametrize("d", [2, 5])
def test_exact_where_the_estimator_is(d):
    """One ordering and its reverse give the exact values of two players, and of any additive model."""
    rng = np.random.default_rng(d)
    background, X = rng.normal(size=(7, d)), rng.normal(size=(4, d))
    w = rng.normal(size=d)

    def f(Z):
        return np.tanh(Z[:, 0] * Z[:, 1]) + Z[:, 1] if d == 2 else np.exp(Z) @ w

    local = _permutation(f, background, X, task="regression", method_params={"max_evals": 2 * d + 1})
    phi, base = shapley(f, X, background)
    assert np.abs(local.values - phi[:, :, 0]).max() < 1e-10
    assert np.abs(local.base_values - base[:, 0]).max() < 1e-12


def test_a_row_s_values_do_not_depend_on_the_other_rows_or_n_jobs(problem, monkeypatch):
    from explain.methods import _batch

    model, background, rows = problem
    together = _permutation(model, background, rows, random_state=2)
    alone = _permutation(model, background, rows[1:2], random_state=2)
    assert np.abs(together.values[1] - alone.values[0]).max() < 1e-12
    monkeypatch.setattr(_batch, "MAX_TASK_ROWS", 1)
    apart = _permutation(model, background, rows, random_state=2, n_jobs=2)
    assert np.array_equal(apart.values, together.values)


def test_too_few_evaluations_is_an_error(problem):
    model, background, rows = problem
    with pytest.raises(MethodError, match="at least 2d"):
        _permutation(model, background, rows, method_params={"max_evals": 12})
