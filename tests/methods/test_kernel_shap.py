"""kernel_shap: the batched engine against brute force, against shap.KernelExplainer's own
design and seed-to-seed spread; the shap engine against shap.KernelExplainer called directly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shap
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier

import explain as ex
from explain.errors import MethodError
from explain.methods.kernel_shap import _plan, design

from ._reference import shapley


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


@pytest.mark.parametrize("engine", ["batched", "shap"])
def test_exhaustive_at_8_features_is_exact(cancer, engine):
    X, models = cancer
    X8, model = X[:, :8], models[8]
    background, rows = X8[:15], X8[300:305]
    kernel = _kernel(model, background, rows, method_params={"engine": engine})
    phi, base = shapley(lambda Z: model.predict_proba(Z)[:, 1], rows, background)
    assert kernel.params["exhaustive"] is True
    assert np.abs(kernel.values - phi[:, :, 0]).max() < 1e-10
    assert np.abs(kernel.base_values - base[:, 0]).max() < 1e-12
    assert kernel.additivity_error() < 1e-10


@pytest.mark.parametrize(("d", "nsamples"), [(8, "auto"), (12, 200)], ids=["exhaustive", "sampled"])
def test_shap_engine_equals_shap_kernel_explainer(cancer, d, nsamples):
    X, models = cancer
    Xd, model = X[:, :d], models[d]
    background, rows = Xd[:10], Xd[300:303]
    np.random.seed(99)  # noqa: NPY002 - the caller's global RNG state must not matter
    params = {"nsamples": nsamples, "engine": "shap"}
    local = _kernel(model, background, rows, method_params=params, random_state=7)
    expected, base = _shap_kernel(
        lambda Z: model.predict_proba(Z)[:, 1], background, rows, local.params["nsamples"], seed=7
    )
    assert local.values.shape == expected.shape
    assert np.abs(local.values - expected).max() < 1e-10
    assert np.abs(local.base_values - base).max() < 1e-12
    assert local.additivity_error() < 1e-6


@pytest.mark.parametrize(("m", "nsamples"), [(6, 20), (10, 300), (12, 2072), (20, 500)])
def test_design_is_shap_s(m, nsamples):
    """The enumerated coalitions and weights are shap's, row for row; the drawn ones have the
    budget and weight shap gives them."""
    rng = np.random.default_rng(0)
    background, x = rng.normal(size=(3, m)), rng.normal(size=(1, m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(lambda Z: Z.sum(axis=1), background)
        explainer.shap_values(x, nsamples=nsamples, l1_reg=False, silent=True)
    fixed, fixed_w, _, _, weight_left = _plan(m, nsamples)
    theirs_masks, theirs_w = explainer.maskMatrix.astype(bool), explainer.kernelWeights
    assert np.array_equal(theirs_masks[: len(fixed)], fixed)
    assert np.allclose(theirs_w[: len(fixed)], fixed_w, rtol=1e-12, atol=0)
    masks, weights = design(m, nsamples, np.random.default_rng(1))
    assert len(masks) == explainer.nsamplesAdded
    assert weights[len(fixed) :].sum() == pytest.approx(theirs_w[len(fixed) :].sum(), rel=1e-12)
    assert weights[len(fixed) :].sum() == pytest.approx(weight_left, rel=1e-12)
    drawn = masks[len(fixed) :]
    assert len({row.tobytes() for row in drawn}) == len(drawn)  # repeats add weight, not rows
    assert not drawn.all(axis=1).any() and drawn.any(axis=1).all()  # never the empty or full coalition


def test_batched_estimate_has_shap_s_distribution():
    """Over many seeds, the batched estimate has the mean and spread of shap's own estimate."""
    rng = np.random.default_rng(3)
    d, nsamples, seeds = 7, 30, 40
    w = rng.normal(size=d)

    def f(Z):  # interactions, so that a sampled estimate is not exact
        Z = np.asarray(Z, dtype=float)
        return Z @ w + np.sin(Z[:, 0] * Z[:, 1]) + Z[:, 2] * Z[:, 3] * Z[:, 4]

    background, x = rng.normal(size=(6, d)), rng.normal(size=(1, d))
    ours = np.stack(
        [
            _kernel(f, background, x, task="regression", random_state=s, method_params={"nsamples": nsamples}).values[0]
            for s in range(seeds)
        ]
    )
    theirs = np.stack([_shap_kernel(f, background, x, nsamples, seed=s)[0][0] for s in range(seeds)])
    exact = shapley(f, x, background)[0][0, :, 0]
    spread_ours, spread_theirs = ours.std(axis=0), theirs.std(axis=0)
    assert spread_theirs.min() > 1e-3  # the setting does sample: there is noise to compare
    noise = np.sqrt((spread_ours**2 + spread_theirs**2) / seeds)
    assert (np.abs(ours.mean(axis=0) - theirs.mean(axis=0)) < 4 * noise + 1e-9).all()
    assert 0.6 < np.sqrt((spread_ours**2).mean() / (spread_theirs**2).mean()) < 1.6
    # both unbiased-ish around the exact values, with errors of the same size
    rmse = {k: np.sqrt(((v - exact) ** 2).mean()) for k, v in {"ours": ours, "shap": theirs}.items()}
    assert 0.6 < rmse["ours"] / rmse["shap"] < 1.6


def test_sampled_values_close_to_exact(cancer):
    X, models = cancer
    X12, model = X[:, :12], models[12]
    background, rows = X12[:10], X12[300:303]
    kernel = _kernel(model, background, rows)
    exact = ex.Explainer(model, background=background, method="exact_shap").explain_local(rows)
    assert kernel.params["exhaustive"] is False and kernel.params["nsamples"] == 2 * 12 + 2048
    assert np.abs(kernel.values - exact.values).max() < 0.02
    assert kernel.additivity_error() < 1e-10


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


def test_a_row_s_values_do_not_depend_on_the_other_rows(cancer):
    X, models = cancer
    X12, model = X[:, :12], models[12]
    settings = {"method_params": {"nsamples": 200}, "random_state": 4}
    together = _kernel(model, X12[:10], X12[300:306], **settings)
    alone = _kernel(model, X12[:10], X12[304:305], **settings)
    reversed_ = _kernel(model, X12[:10], X12[300:306][::-1], **settings)
    assert np.abs(together.values[4] - alone.values[0]).max() < 1e-12
    assert np.abs(together.values - reversed_.values[::-1]).max() < 1e-12


def test_features_equal_to_the_whole_background_get_zero():
    """A feature whose value every background row shares is no player; one player takes it all."""
    rng = np.random.default_rng(0)
    background = rng.normal(size=(8, 4))
    background[:, 1] = 2.0
    X = rng.normal(size=(2, 4))
    X[:, 1] = 2.0
    X[1, [0, 2, 3]] = background[0, [0, 2, 3]]
    background[:, [2, 3]] = X[1, [2, 3]]  # row 1: only feature 0 can differ from the background

    def f(Z):
        return np.asarray(Z, dtype=float) @ np.array([1.0, 5.0, -2.0, 0.5]) + Z[:, 0] * Z[:, 2]

    local = _kernel(f, background, X, task="regression", method_params={"nsamples": 10})
    assert (local.values[:, 1] == 0).all()
    assert (local.values[1, 1:] == 0).all()
    assert local.values[1, 0] == pytest.approx(f(X[1:2])[0] - f(background).mean(), abs=1e-12)
    assert local.additivity_error() < 1e-10


def test_leaves_the_global_random_state_alone(cancer):
    X, models = cancer
    X12, model = X[:, :12], models[12]
    np.random.seed(123)  # noqa: NPY002 - the caller's own use of the legacy RNG
    before = np.random.get_state()  # noqa: NPY002
    for engine in ("batched", "shap"):
        _kernel(model, X12[:10], X12[300:302], method_params={"nsamples": 100, "engine": engine}, random_state=5)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nsamples": 0}, "nsamples=0"),
        ({"engine": "fast"}, "engine='fast'"),
        ({"l1_reg": "num_features(5)"}, "engine='shap'"),
    ],
)
def test_bad_settings_are_errors(cancer, params, message):
    X, models = cancer
    with pytest.raises(MethodError, match=message):
        _kernel(models[8], X[:10, :8], X[300:301, :8], method_params=params)
