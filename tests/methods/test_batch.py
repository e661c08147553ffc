"""The batched coalition scoring and the per-row random streams shared by the model-agnostic
methods (``explain/methods/_batch.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

import explain as ex
from explain.methods import _batch


def test_masked_rows_are_the_coalitions_rows():
    rng = np.random.default_rng(0)
    x, background = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    owner = np.array([2, 0, 0, 1])
    masks = rng.random((4, 5)) < 0.5
    z = _batch.masked_rows(x, owner, masks, background).reshape(4, 4, 5)
    for c in range(4):
        for i in range(4):
            expected = np.where(masks[c], x[owner[c]], background[i])
            assert np.array_equal(z[c, i], expected)


def test_coalition_values_are_means_over_the_background_in_any_chunking(monkeypatch):
    rng = np.random.default_rng(1)
    X, background = rng.normal(size=(3, 4)), rng.normal(size=(6, 4))
    masks = rng.random((11, 4)) < 0.5
    owner = rng.integers(0, 3, 11)

    def f(Z):
        return np.column_stack([np.sin(Z).sum(axis=1), Z[:, 0] * Z[:, 3]])

    job = ex.Explainer(f, background=background, task="regression")._prepare(X)[0]
    expected = np.stack([f(np.where(m, X[o], background)).mean(axis=0) for o, m in zip(owner, masks, strict=True)])
    whole = _batch.coalition_values(job, "raw", X, owner, masks, background)
    monkeypatch.setattr(_batch, "MIN_CALL_ROWS", 1)
    monkeypatch.setattr(_batch, "CALL_VALUES", 4 * 6 * 3)  # three coalitions per model call
    chunked = _batch.coalition_values(job, "raw", X, owner, masks, background)
    assert np.abs(whole - expected).max() < 1e-12
    assert np.abs(chunked - expected).max() < 1e-12


def test_row_streams_are_keyed_by_seed_and_values():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, -0.0], [1.0, 0.0]])
    draws = [g.random(3) for g in _batch.row_generators(_batch.call_entropy(7), X)]
    again = [g.random(3) for g in _batch.row_generators(_batch.call_entropy(7), X[::-1])][::-1]
    other = [g.random(3) for g in _batch.row_generators(_batch.call_entropy(8), X)]
    assert all(np.array_equal(a, b) for a, b in zip(draws, again, strict=True))  # order does not matter
    assert np.array_equal(draws[0], draws[1]) and np.array_equal(draws[2], draws[3])  # equal rows, equal streams
    assert not np.array_equal(draws[0], draws[2])
    assert not any(np.array_equal(a, b) for a, b in zip(draws, other, strict=True))
    fresh = _batch.call_entropy(None)
    assert fresh != _batch.call_entropy(None)  # random_state=None: fresh entropy per call


def test_varying_features_need_a_different_background_value():
    background = np.array([[1.0, 2.0, np.nan], [1.0, 3.0, np.nan]])
    X = np.array([[1.0, 2.0, np.nan], [1.0 + 1e-12, 2.0, 0.0]])
    assert _batch.varying_features(X, background).tolist() == [[False, True, False], [True, True, True]]


class _Recording(LinearRegression):
    """A library estimator that keeps the arrays it is asked to predict."""

    def predict(self, X):
        self.seen_.append(X)
        return super().predict(X)


def test_float_models_get_the_encoded_rows_without_a_copy():
    """Job.predict hands a fresh float array to a library estimator on numpy input as it is; a
    plain function gets a copy (it might write into it); a DataFrame model gets its own input."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 3))
    z = np.ones((4, 3))
    model = _Recording().fit(X, X[:, 0])
    model.seen_ = []
    job = ex.Explainer(model, background=X)._prepare(X[:2])[0]
    assert np.allclose(job.predict(z, "raw")[:, 0], LinearRegression().fit(X, X[:, 0]).predict(z))
    assert model.seen_[-1] is z
    seen = []

    def f(Z):
        seen.append(Z)
        return np.asarray(Z, dtype=float).sum(axis=1)

    job = ex.Explainer(f, background=X, task="regression")._prepare(X[:2])[0]
    assert np.array_equal(job.predict(z, "raw")[:, 0], [3.0] * 4)
    assert seen[-1] is not z and np.array_equal(seen[-1], z)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    model = LinearRegression().fit(frame, X[:, 0])
    job = ex.Explainer(model, background=frame)._prepare(frame[:2])[0]
    assert np.allclose(job.predict(z, "raw")[:, 0], model.predict(pd.DataFrame(z, columns=["a", "b", "c"])))


@pytest.mark.parametrize("method", ["exact_shap", "kernel_shap", "permutation_shap", "lime"])
def test_n_jobs_and_task_size_do_not_change_the_values(monkeypatch, method):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 5))
    model = LinearRegression().fit(X, np.tanh(X[:, 0] * X[:, 1]) + X[:, 2])
    params = {"num_samples": 300, "sample": "independent"} if method == "lime" else {}

    def run(n_jobs):
        explainer = ex.Explainer(model, background=X[:8], method=method, method_params=params, n_jobs=n_jobs)
        return explainer.explain_local(X[10:30])

    whole = run(None)
    monkeypatch.setattr(_batch, "MAX_TASK_ROWS", 3)
    one, two = run(1), run(2)
    assert np.array_equal(two.values, one.values)  # the same model calls, in other workers
    assert np.array_equal(two.base_values, one.base_values)
    assert np.abs(one.values - whole.values).max() < 1e-12  # other calls: the model's rounding at most


@pytest.mark.parametrize("method", ["exact_shap", "kernel_shap", "permutation_shap"])
def test_a_function_that_writes_into_its_input_cannot_spoil_the_values(method):
    """Methods reuse their coalition buffers between model calls: a function that scales its
    input in place must get a copy, or later coalitions would start from its writes."""
    X = load_diabetes().data  # 10 features: exact_shap scores one row per call, reusing its buffer
    w = np.arange(1.0, 11.0)

    def clean(rows):
        return rows @ w

    def mutating(rows):
        rows *= 2.0  # in place
        return rows @ w / 2.0

    explain = {f: ex.Explainer(f, background=X[:30], method=method, task="regression") for f in (clean, mutating)}
    np.testing.assert_allclose(
        explain[mutating].explain_local(X[:20]).values, explain[clean].explain_local(X[:20]).values, atol=1e-12
    )
