"""lime over tokens against lime's own LimeTextExplainer (same documents, several seeds: agreement
within the seed-to-seed spread), and its parts against scikit-learn and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics.pairwise import pairwise_distances
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.methods.text_lime import lime_design, lime_weights, weighted_ridge

from ._corpus import SHORT, corpus

SEEDS = range(10)
N = 1000


@pytest.fixture(scope="module")
def model():
    docs, y = corpus()
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)


def lime_package(model, doc, seed):
    from lime.lime_text import LimeTextExplainer

    explainer = LimeTextExplainer(random_state=seed, feature_selection="none")
    words = explainer_words(doc)
    exp = explainer.explain_instance(doc, model.predict_proba, labels=(1,), num_features=len(words), num_samples=N)
    weights = dict(exp.as_list(label=1))
    return np.array([weights[w] for w in words]), float(exp.intercept[1]), float(exp.score)


def explainer_words(doc):
    import re

    return re.findall(r"\w+", doc)


def test_values_agree_with_lime_text_explainer_within_seed_noise(model):
    ours = [ex.Explainer(model, method="lime", method_params={"num_samples": N}, random_state=s).explain_local(SHORT)
            for s in SEEDS]  # fmt: skip
    for r, doc in enumerate(SHORT):
        assert len(set(explainer_words(doc))) == len(explainer_words(doc))  # lime's words = our positions
        theirs = [lime_package(model, doc, s) for s in SEEDS]
        a = np.array([o.values[r] for o in ours])  # (seeds, tokens)
        b = np.array([t[0] for t in theirs])
        se = np.sqrt(a.var(axis=0, ddof=1) / len(SEEDS) + b.var(axis=0, ddof=1) / len(SEEDS))
        assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) <= 4 * se + 1e-4), (doc, a.mean(0), b.mean(0), se)
        base_a = np.array([o.base_values[r] for o in ours])
        base_b = np.array([t[1] for t in theirs])
        se_base = np.sqrt(base_a.var(ddof=1) / len(SEEDS) + base_b.var(ddof=1) / len(SEEDS))
        assert abs(base_a.mean() - base_b.mean()) <= 4 * se_base + 1e-4
        # top tokens: our mean ranking correlates with lime's as well as two halves of lime's seeds do
        rho = stats.spearmanr(a.mean(axis=0), b.mean(axis=0)).statistic
        within = stats.spearmanr(b[::2].mean(axis=0), b[1::2].mean(axis=0)).statistic
        assert rho >= min(within, 0.9) - 0.1
        fidelity = np.array([o.diagnostics["fidelity"][r] for o in ours])
        assert abs(fidelity.mean() - np.mean([t[2] for t in theirs])) < 0.05


def test_weighted_ridge_equals_scikit_learn_ridge():
    rng = np.random.default_rng(0)
    X = (rng.random((200, 6)) > 0.4).astype(float)
    y = rng.normal(size=(200, 2))
    w = rng.random(200)
    coef, intercept, r2 = weighted_ridge(X, y, w)
    for j in range(2):
        ridge = Ridge(alpha=1.0).fit(X, y[:, j], sample_weight=w)
        np.testing.assert_allclose(coef[:, j], ridge.coef_, atol=1e-10)
        assert intercept[j] == pytest.approx(ridge.intercept_, abs=1e-10)
        assert r2[j] == pytest.approx(ridge.score(X, y[:, j], sample_weight=w), abs=1e-10)


def test_weights_are_lime_kernel_on_cosine_distance():
    keep = lime_design(7, 300, np.random.default_rng(1))
    distance = pairwise_distances(keep.astype(float), np.ones((1, 7)), metric="cosine").ravel() * 100
    np.testing.assert_allclose(lime_weights(keep, 25.0), np.sqrt(np.exp(-(distance**2) / 25.0**2)), atol=1e-12)


def test_design_removes_a_uniform_number_of_tokens_uniformly():
    p, n = 6, 60_000
    keep = lime_design(p, n, np.random.default_rng(2))
    assert keep[0].all()
    removed = p - keep[1:].sum(axis=1)
    counts = np.bincount(removed, minlength=p + 1)[1:]
    assert counts.sum() == n - 1 and np.bincount(removed)[0] == 0
    assert stats.chisquare(counts).pvalue > 1e-4
    # given how many are removed, each token is removed equally often
    per_token = (~keep[1:][removed == 3]).sum(axis=0)
    assert stats.chisquare(per_token).pvalue > 1e-4


def test_same_seed_same_bytes_other_seed_other_values_and_documents_are_independent(model):
    make = lambda seed: ex.Explainer(model, method="lime", method_params={"num_samples": 300}, random_state=seed)  # noqa: E731
    a, b, c = make(0).explain_local(SHORT), make(0).explain_local(SHORT), make(1).explain_local(SHORT)
    assert a.to_json(timing=False) == b.to_json(timing=False)
    assert not np.allclose(a.values[0], c.values[0])
    alone = make(0).explain_local(SHORT[2:3])
    np.testing.assert_array_equal(alone.values[0], a.values[2])
    assert set(a.diagnostics) == {"fidelity", "local_prediction"}


def test_repeated_words_agree_with_lime_by_position_with_removal(model):
    """With bow=False and mask_string="" lime's players are positions and a masked word is removed:
    our game, also when a word repeats."""
    from lime.lime_text import LimeTextExplainer

    doc = "great film, great cast, dull plot, great music"
    make = lambda s: ex.Explainer(model, method="lime", method_params={"num_samples": N}, random_state=s)  # noqa: E731
    ours = np.array([make(s).explain_local([doc]).values[0] for s in SEEDS])
    theirs = []
    for s in SEEDS:
        explainer = LimeTextExplainer(bow=False, mask_string="", random_state=s, feature_selection="none")
        exp = explainer.explain_instance(doc, model.predict_proba, labels=(1,), num_features=8, num_samples=N)
        values = np.zeros(8)
        for j, w in exp.as_map()[1]:
            values[j] = w
        theirs.append(values)
    b = np.array(theirs)
    se = np.sqrt(ours.var(axis=0, ddof=1) / len(SEEDS) + b.var(axis=0, ddof=1) / len(SEEDS))
    assert np.all(np.abs(ours.mean(axis=0) - b.mean(axis=0)) <= 4 * se + 1e-4)
