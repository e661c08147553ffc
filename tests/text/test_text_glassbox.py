"""glassbox over text: coefficient x tf-idf computed by hand, and equality with exact_shap where
the margin is additive over tokens."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.errors import MethodError

from ._corpus import SHORT, corpus


def test_glassbox_equals_coefficient_times_tfidf_by_hand():
    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(stop_words=["the", "and"]), LogisticRegression()).fit(docs, y)
    exp = ex.Explainer(model, method="glassbox").explain_local(SHORT)
    vec, lr = model[0], model[-1]
    assert exp.output_space == "log_odds"
    for r, doc in enumerate(SHORT):
        words = [w.lower() for w in re.findall(r"\w+", doc)]
        terms = [w for w in words if len(w) >= 2 and w not in ("the", "and") and w in vec.vocabulary_]
        counts = Counter(terms)
        tfidf = {t: c * vec.idf_[vec.vocabulary_[t]] for t, c in counts.items()}
        norm = np.sqrt(sum(v * v for v in tfidf.values()))
        expected = [
            lr.coef_[0, vec.vocabulary_[w]] * tfidf[w] / norm / counts[w] if w in counts else 0.0 for w in words
        ]
        np.testing.assert_allclose(exp.values[r], expected, atol=1e-12)
        assert exp.base_values[r] == pytest.approx(lr.intercept_[0])
    np.testing.assert_allclose(exp.predictions, model.decision_function(SHORT), atol=1e-12)
    assert exp.additivity_error() < 1e-12


def test_repeated_words_share_their_column_and_stop_words_get_zero():
    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(stop_words=["the"]), LogisticRegression()).fit(docs, y)
    exp = ex.Explainer(model, method="glassbox").explain_local(["great the great a film"])
    v = exp.values[0]
    assert v[0] == v[2] != 0 and v[1] == 0 and v[3] == 0  # "a": one letter, not a term


def test_count_vectorizer_glassbox_is_the_shapley_value_of_removing_tokens():
    docs, y = corpus()
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(docs, y)
    glass = ex.Explainer(model, method="glassbox").explain_local(SHORT)
    exact = ex.Explainer(model, method="exact_shap", output="log_odds").explain_local(SHORT)
    for a, b in zip(glass.values, exact.values, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)


def test_tfidf_with_l2_norm_is_not_the_removal_game():
    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    glass = ex.Explainer(model, method="glassbox").explain_local(SHORT[:1])
    exact = ex.Explainer(model, method="exact_shap", output="log_odds").explain_local(SHORT[:1])
    assert not np.allclose(glass.values[0], exact.values[0], atol=1e-3)  # the norm couples the tokens
    assert glass.values[0].sum() == pytest.approx(exact.values[0].sum())  # same total: margin - intercept


def test_hashing_vectorizer_and_a_transformer_step_add_up():
    docs, y = corpus()
    for model in (
        make_pipeline(HashingVectorizer(n_features=2**10), LogisticRegression()),
        make_pipeline(CountVectorizer(binary=True), TfidfTransformer(sublinear_tf=True), LogisticRegression()),
    ):
        model.fit(docs, y)
        exp = ex.Explainer(model, method="glassbox").explain_local(SHORT)
        assert exp.additivity_error() < 1e-10
        np.testing.assert_allclose(exp.predictions, model.decision_function(SHORT), atol=1e-12)


def test_models_without_a_per_token_decomposition_are_refused_and_auto_moves_on():
    docs, y = corpus()
    bigrams = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression()).fit(docs, y)
    with pytest.raises(MethodError, match="ngram_range"):
        ex.Explainer(bigrams, method="glassbox").explain_local(SHORT)
    auto = ex.Explainer(bigrams).explain_local(SHORT)
    assert auto.method == "exact_shap" and "ngram_range" in auto.params["auto"]["skipped"]["glassbox"]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    with pytest.raises(MethodError, match="probability"):
        ex.Explainer(model, method="glassbox", output="probability").explain_local(SHORT)
    with pytest.raises(MethodError, match="Pipeline"):
        ex.Explainer(lambda d: np.zeros(len(d)), task="regression", method="glassbox").explain_local(SHORT)
