"""Explanation-quality metrics against scipy and plain set arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier

import explain as ex
from explain.errors import InputError


@pytest.fixture(scope="module")
def pair():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :12]
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    rows = X.iloc[100:140]
    tree = ex.Explainer(model, background=X[:40]).explain_local(rows)
    kernel = ex.Explainer(
        model, background=X[:40], method="kernel_shap", method_params={"nsamples": 300}
    ).explain_local(rows)
    return tree, kernel


def test_rank_correlation_equals_scipy(pair):
    a, b = pair
    ours = ex.metrics.rank_correlation(a, b)
    expected = [spearmanr(a.values[i], b.values[i]).statistic for i in range(a.n_rows)]
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_top_k_jaccard_equals_set_overlap(pair):
    a, b = pair
    ours = ex.metrics.top_k_jaccard(a, b, k=4)
    for i in range(a.n_rows):
        sa = set(np.argsort(-np.abs(a.values[i]), kind="stable")[:4])
        sb = set(np.argsort(-np.abs(b.values[i]), kind="stable")[:4])
        assert ours[i] == pytest.approx(len(sa & sb) / len(sa | sb))


def test_sign_agreement(pair):
    a, b = pair
    ours = ex.metrics.sign_agreement(a, b)
    expected = (np.sign(a.values) == np.sign(b.values)).mean(axis=1)
    np.testing.assert_allclose(ours, expected)


def test_self_agreement_is_perfect(pair):
    a, _ = pair
    table = ex.compare(a, a)
    assert set(table["metric"]) == {"spearman", "sign_agreement", "top_k_jaccard"}
    assert np.allclose(table["mean"], 1.0)


def test_compare_shap_methods_is_high_but_not_perfect(pair):
    a, b = pair
    table = ex.compare(a, b, k=5).set_index("metric")
    assert 0.5 < table.loc["spearman", "mean"] < 1.0
    assert table.loc["top_k_jaccard", "rows"] == a.n_rows
    assert table.loc["spearman", "a"] == "tree_shap" and table.loc["spearman", "b"] == "kernel_shap"


def test_compare_refuses_different_rows(pair):
    a, b = pair
    with pytest.raises(InputError, match="same rows"):
        ex.compare(a[:10], b[10:20])


def test_additivity_and_fidelity(pair):
    a, _ = pair
    assert ex.metrics.additivity_error(a).max() < 1e-9
    assert np.all(ex.metrics.fidelity(a) == 1.0)


def test_stability_of_sampled_method_is_below_exact():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :12]
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    rows = X.iloc[:15]

    def sampled(seed: int) -> ex.LocalExplanation:
        explainer = ex.Explainer(
            model, background=X, background_size=30, method="kernel_shap", method_params={"nsamples": 100},
            random_state=seed,
        )  # fmt: skip
        return explainer.explain_local(rows)

    noisy = ex.metrics.stability(sampled, n_runs=3).set_index("metric")
    exact = ex.metrics.stability(
        lambda seed: ex.Explainer(model, background=X[:30], random_state=seed).explain_local(rows), n_runs=2
    ).set_index("metric")
    assert exact.loc["spearman", "mean"] == pytest.approx(1.0)
    assert noisy.loc["spearman", "mean"] < 0.99
    assert noisy.loc["spearman", "runs"] == 3


def test_multi_output_agreement_has_a_row_per_output():
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    a = ex.Explainer(model, background=X[::15]).explain_local(X[:5])
    frame = ex.metrics.agreement(a, a)
    assert len(frame) == 15
    assert list(frame["output"][:3]) == ["0", "1", "2"]
    assert len(ex.compare(a, a)) == 9
