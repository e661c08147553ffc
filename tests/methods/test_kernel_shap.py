"""kernel_shap against exact_shap and against shap.KernelExplainer called directly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shap
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier

import explain as ex


def _kernel(model, background, X, **kwargs):
    return ex.Explainer(model, background=background, method="kernel_shap", **kwargs).explain_local(X)


def _shap_kernel(f, background, X, nsamples, seed):
    """shap's KernelExplainer on the same function, background, nsamples and seed."""
    np.random.seed(seed)  # noqa: NPY002 - the legacy global RNG is what KernelExplainer draws from
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, background, link="identity")
        values = explainer.shap_values(X, nsamples=nsamples, l1_reg=False, silent=True)
    return np.asarray(values, dtype=float), float(np.asarray(explainer.expected_value).reshape(-1)[0])


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    models = {
        d: GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X[:, :d], y) for d in (8, 12)
    }
    return X, models


def test_close_to_exact_at_8_features(cancer):
    X, models = cancer
    X8, model = X[:, :8], models[8]
    background, rows = X8[:15], X8[300:305]
    kernel = _kernel(model, background, rows)
    exact = ex.Explainer(model, background=background, method="exact_shap").explain_local(rows)
    assert kernel.params["exhaustive"] is True
    assert np.abs(kernel.values - exact.values).max() < 1e-3
    assert np.abs(kernel.base_values - exact.base_values).max() < 1e-12
    assert kernel.additivity_error() < 1e-6


@pytest.mark.parametrize(("d", "nsamples"), [(8, "auto"), (12, 200)], ids=["exhaustive", "sampled"])
def test_equals_shap_kernel_explainer(cancer, d, nsamples):
    X, models = cancer
    Xd, model = X[:, :d], models[d]
    background, rows = Xd[:10], Xd[300:303]
    np.random.seed(99)  # noqa: NPY002 - the caller's global RNG state must not matter
    local = _kernel(model, background, rows, method_params={"nsamples": nsamples}, random_state=7)
    expected, base = _shap_kernel(
        lambda Z: model.predict_proba(Z)[:, 1], background, rows, local.params["nsamples"], seed=7
    )
    assert local.values.shape == expected.shape
    assert np.abs(local.values - expected).max() < 1e-10
    assert np.abs(local.base_values - base).max() < 1e-12
    assert local.additivity_error() < 1e-6


def test_same_seed_same_values_other_seed_other_values(cancer):
    X, models = cancer
    X12, model = X[:, :12], models[12]
    background, rows = X12[:10], X12[300:303]
    settings = {"method_params": {"nsamples": 200}}
    first = _kernel(model, background, rows, random_state=0, **settings)
    again = _kernel(model, background, rows, random_state=0, **settings)
    other = _kernel(model, background, rows, random_state=1, **settings)
    assert first.params["exhaustive"] is False
    assert np.array_equal(first.values, again.values)
    assert first.content_hash() == again.content_hash()
    assert not np.allclose(first.values, other.values, atol=1e-6)


def test_leaves_the_global_random_state_alone(cancer):
    X, models = cancer
    X12, model = X[:, :12], models[12]
    np.random.seed(123)  # noqa: NPY002 - the caller's own use of the legacy RNG
    before = np.random.get_state()  # noqa: NPY002
    _kernel(model, X12[:10], X12[300:302], method_params={"nsamples": 100}, random_state=5)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]
