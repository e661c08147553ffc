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


def _opposite_pair(hashing, words):
    """Two words the vectorizer puts in one column with opposite signs."""
    signed = {w: hashing.transform([w]).toarray()[0] for w in words}
    for a in words:
        for b in words:
            ja, jb = np.flatnonzero(signed[a]), np.flatnonzero(signed[b])
            if ja.tolist() == jb.tolist() and signed[a][ja[0]] == -signed[b][jb[0]]:
                return a, b
    raise AssertionError("no colliding pair")


@pytest.mark.parametrize("middle", [None, "maxabs"])
def test_hashing_words_of_opposite_signs_in_one_column_each_get_their_own_term(middle):
    from sklearn.preprocessing import MaxAbsScaler

    docs, y = corpus()
    hashing = HashingVectorizer(n_features=8, norm=None)
    steps = [hashing] + ([MaxAbsScaler()] if middle else []) + [LogisticRegression()]
    model = make_pipeline(*steps).fit(docs, y)
    words = sorted({w.lower() for d in docs for w in re.findall(r"\w\w+", d)})
    a, b = _opposite_pair(hashing, words)
    doc = [f"{a} {b} {words[0]}"]
    glass = ex.Explainer(model, method="glassbox").explain_local(doc)
    exact = ex.Explainer(model, method="exact_shap", output="log_odds").explain_local(doc)
    # norm=None, column-wise linear steps: the margin is additive over tokens, so the Shapley values
    np.testing.assert_allclose(glass.values[0], exact.values[0], atol=1e-9)
    assert glass.values[0][0] == pytest.approx(-glass.values[0][1]) != 0
    assert glass.additivity_error() < 1e-10


def test_hashing_with_a_norm_adds_up_when_a_column_cancels():
    docs, y = corpus()
    hashing = HashingVectorizer(n_features=8)
    model = make_pipeline(hashing, TfidfTransformer(), LogisticRegression()).fit(docs, y)
    words = sorted({w.lower() for d in docs for w in re.findall(r"\w\w+", d)})
    a, b = _opposite_pair(hashing, words)
    exp = ex.Explainer(model, method="glassbox").explain_local([f"{a} {b}", f"{a} {b} {words[1]} {words[2]}"])
    assert exp.additivity_error() < 1e-8
    assert exp.values[0][0] != 0 and exp.values[0][0] == pytest.approx(-exp.values[0][1])
    # two tokens alone, each read at norm 1: the Shapley values of removing tokens
    exact = ex.Explainer(model, method="exact_shap", output="log_odds").explain_local([f"{a} {b}"])
    np.testing.assert_allclose(exp.values[0], exact.values[0], atol=1e-6)


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


@pytest.mark.parametrize("kw", [{"binary": True}, {"binary": True, "norm": None}, {"norm": "l1"}, {"norm": None}])
def test_small_hashing_spaces_add_up(kw):
    docs, y = corpus()
    model = make_pipeline(HashingVectorizer(n_features=8, **kw), LogisticRegression()).fit(docs, y)
    exp = ex.Explainer(model, method="glassbox").explain_local(docs[:60])
    assert exp.additivity_error() < 1e-10
    np.testing.assert_allclose(exp.predictions, model.decision_function(docs[:60]), atol=1e-12)


def test_auto_skips_glassbox_when_the_vectorizer_reads_documents_differently_from_their_tokens():
    docs, y = corpus()
    joined = CountVectorizer(token_pattern=r"great fun|\w\w+")  # a term spanning two tokens
    model = make_pipeline(joined, LogisticRegression()).fit(docs + ["great fun"] * 5, np.r_[y, [1] * 5])
    with pytest.raises(MethodError, match="reads this document's terms differently"):
        ex.Explainer(model, method="glassbox").explain_local(["a great fun film"])
    exp = ex.Explainer(model).explain_local(["a great fun film"])
    assert exp.method == "exact_shap"
    assert "reads this document's terms differently" in exp.params["auto"]["skipped"]["glassbox"]
    assert exp.additivity_error() < 1e-10
    # documents it reads token by token keep glassbox
    assert ex.Explainer(model).explain_local(["a dull film"]).method == "glassbox"


def test_hashing_words_of_the_same_sign_in_one_column_each_get_their_own_term():
    docs, y = corpus()
    hashing = HashingVectorizer(n_features=8, norm=None)
    model = make_pipeline(hashing, LogisticRegression()).fit(docs, y)
    words = sorted({w.lower() for d in docs for w in re.findall(r"\w\w+", d)})
    signed = {w: hashing.transform([w]).toarray()[0] for w in words}
    a, b = next(
        (a, b)
        for a in words
        for b in words
        if a < b and np.array_equal(signed[a], signed[b])  # same column, same sign
    )
    doc = [f"{a} {b} {a}"]
    glass = ex.Explainer(model, method="glassbox").explain_local(doc)
    exact = ex.Explainer(model, method="exact_shap", output="log_odds").explain_local(doc)
    np.testing.assert_allclose(glass.values[0], exact.values[0], atol=1e-9)
    j = int(np.flatnonzero(signed[a])[0])
    np.testing.assert_allclose(glass.values[0], model[-1].coef_[0, j] * signed[a][j] * np.ones(3), atol=1e-12)
