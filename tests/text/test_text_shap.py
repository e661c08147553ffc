"""exact_shap and partition_shap over tokens, against brute force under the documented masking."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.errors import InputError, MethodError
from explain.methods._coalitions import contiguous_hierarchy
from explain.text_explanation import TextExplanation

from ._corpus import SHORT, brute_owen, brute_shapley, corpus, masked


@pytest.fixture(scope="module")
def tfidf_lr():
    docs, y = corpus()
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)


def test_the_issue_check_exact_shap_equals_brute_force_adds_up_lime_runs_and_json_round_trips(tfidf_lr, tmp_path):
    exp = ex.Explainer(tfidf_lr, method="exact_shap").explain_local(SHORT)
    assert isinstance(exp, TextExplanation) and exp.output_space == "probability"
    assert exp.documents == tuple(SHORT)
    for r, doc in enumerate(SHORT):
        p = len(exp.tokens[r])

        def value(keep, doc=doc):
            return tfidf_lr.predict_proba([masked(doc, keep)])[0, 1:]

        np.testing.assert_allclose(exp.values[r], brute_shapley(value, p)[:, 0], atol=1e-8, rtol=0)
        assert exp.base_values[r] == pytest.approx(tfidf_lr.predict_proba([masked(doc, (False,) * p)])[0, 1])
    np.testing.assert_allclose(exp.predictions, tfidf_lr.predict_proba(SHORT)[:, 1], rtol=0, atol=1e-15)
    assert exp.additivity_error() < 1e-12
    lime = ex.Explainer(tfidf_lr, method="lime", method_params={"num_samples": 500}).explain_local(SHORT)
    assert [len(v) for v in lime.values] == [len(t) for t in exp.tokens]
    for saved in (exp, lime):
        path = tmp_path / f"{saved.method}.json"
        saved.to_json(path)
        loaded = ex.load(path)
        assert isinstance(loaded, TextExplanation) and loaded.to_json() == saved.to_json()
        for a, b in zip(loaded.values, saved.values, strict=True):
            assert np.array_equal(a, b)


def test_partition_shap_equals_brute_force_owen_values_over_contiguous_spans(tfidf_lr):
    docs = [*SHORT[:3], "Superb clever moving story but the acting was weak"]
    exp = ex.Explainer(tfidf_lr, method="partition_shap").explain_local(docs)
    for r, doc in enumerate(docs):
        p = len(exp.tokens[r])

        def value(keep, doc=doc):
            return tfidf_lr.predict_proba([masked(doc, keep)])[0, 1:]

        owen = brute_owen(value, contiguous_hierarchy(p), p)[:, 0]
        np.testing.assert_allclose(exp.values[r], owen, atol=1e-10, rtol=0)
    assert exp.additivity_error() < 1e-12
    assert exp.params["hierarchy"] == "balanced binary tree of contiguous token spans"


def test_several_outputs_and_log_odds():
    docs, y = corpus()
    three = np.where(y == 1, 2, np.array([0, 1])[np.arange(len(y)) % 2])
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=500)).fit(docs, three)
    exp = ex.Explainer(model, method="exact_shap").explain_local(SHORT[:2])
    assert exp.output_names == ("0", "1", "2") and exp.values[0].shape == (len(exp.tokens[0]), 3)
    doc = SHORT[0]
    p = len(exp.tokens[0])
    brute = brute_shapley(lambda keep: model.predict_proba([masked(doc, keep)])[0], p)
    np.testing.assert_allclose(exp.values[0], brute, atol=1e-10)
    assert exp.additivity_error() < 1e-12
    one = exp.for_output("2")
    np.testing.assert_array_equal(one.values[0], exp.values[0][:, 2])
    binary = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    logit = ex.Explainer(binary, method="exact_shap", output="log_odds").explain_local(SHORT[:1])
    brute = brute_shapley(lambda keep: binary.decision_function([masked(doc, keep)]), p)[:, 0]
    np.testing.assert_allclose(logit.values[0], brute, atol=1e-10)


def test_a_mask_token_replaces_instead_of_removing(tfidf_lr):
    exp = ex.Explainer(tfidf_lr, method="exact_shap", method_params={"mask_token": "film"}).explain_local(SHORT[:2])
    for r, doc in enumerate(SHORT[:2]):
        p = len(exp.tokens[r])
        brute = brute_shapley(lambda keep, doc=doc: tfidf_lr.predict_proba([masked(doc, keep, "film")])[0, 1:], p)
        np.testing.assert_allclose(exp.values[r], brute[:, 0], atol=1e-10)
    assert exp.params["masking"] == "replace" and exp.params["mask_token"] == "film"


def test_a_function_of_documents_with_known_shapley_values():
    def score(docs):  # each "good" counts 1; any "bad" at all adds 0.5 (shared by the "bad"s)
        return np.array([d.split().count("good") + 0.5 * ("bad" in d.split()) for d in docs])

    exp = ex.Explainer(score, task="regression", method="exact_shap").explain_local(["good bad good bad x"])
    np.testing.assert_allclose(exp.values[0], [1.0, 0.25, 1.0, 0.25, 0.0], atol=1e-12)
    assert exp.base_values[0] == 0.0 and exp.predictions[0] == 2.5
    part = ex.Explainer(score, task="regression", method="partition_shap").explain_local(["good bad good bad x"])
    # Owen over ((0, 1, 2), (3, 4)): the two "bad"s are in different top blocks, so each gets 1/4
    # (block level: 1/2 each, then inside its block the other "bad" is present half the time)
    assert part.values[0].sum() == pytest.approx(2.5)
    np.testing.assert_allclose(part.values[0][[0, 2]], [1.0, 1.0], atol=1e-12)


def test_a_user_tokenizer_and_its_contract(tfidf_lr):
    exp = ex.Explainer(tfidf_lr, method="exact_shap", tokenizer=str.split).explain_local(["Great film, really dull."])
    assert exp.tokens[0] == ("Great", "film,", "really", "dull.")
    assert exp.separators[0] == ("", " ", " ", " ", "")
    assert exp.additivity_error() < 1e-12
    with pytest.raises(InputError, match="not in the document"):
        ex.Explainer(tfidf_lr, tokenizer=lambda s: s.lower().split()).explain_local(["Great film"])
    with pytest.raises(InputError, match="not callable"):
        ex.Explainer(tfidf_lr, tokenizer="words")


def test_documents_without_tokens_have_no_values_and_their_prediction_as_base(tfidf_lr):
    exp = ex.Explainer(tfidf_lr, method="exact_shap").explain_local(["", "!!!", "great"])
    assert exp.tokens[:2] == ((), ()) and exp.values[0].shape == (0,)
    np.testing.assert_allclose(exp.base_values[:2], exp.predictions[:2])
    assert exp.additivity_error() < 1e-12


def test_auto_choices_are_recorded(tfidf_lr):
    auto = ex.Explainer(tfidf_lr).explain_local(SHORT)
    assert auto.method == "glassbox" and auto.output_space == "log_odds" and "output_note" in auto.params
    short = ex.Explainer(tfidf_lr, output="probability").explain_local(SHORT)
    assert short.method == "exact_shap" and "glassbox" in short.params["auto"]["skipped"]
    long = ex.Explainer(tfidf_lr, output="probability").explain_local([" ".join(["great film"] * 8)])
    assert long.method == "partition_shap" and "exact_shap" in long.params["auto"]["skipped"]
    forest_like = make_pipeline(TfidfVectorizer(), Ridge()).fit(*corpus())
    raw = ex.Explainer(forest_like).explain_local(SHORT[:1])
    assert raw.method == "glassbox" and raw.output_space == "raw"
    assert raw.additivity_error() < 1e-10


def test_refusals_name_the_problem_and_the_fix(tfidf_lr):
    with pytest.raises(MethodError, match="partition_shap"):
        ex.Explainer(tfidf_lr, method="exact_shap").explain_local([" ".join(["word"] * 17)])
    with pytest.raises(InputError, match="background"):
        ex.Explainer(tfidf_lr, background=SHORT).explain_local(SHORT)
    with pytest.raises(InputError, match="single string"):
        ex.Explainer(tfidf_lr).explain_local(SHORT[0])
    with pytest.raises(MethodError, match="does not explain text"):
        ex.Explainer(tfidf_lr, method="kernel_shap").explain_local(SHORT)
    with pytest.raises(MethodError, match="not settings of lime"):
        ex.Explainer(tfidf_lr, method="lime", method_params={"max_tokens": 3}).explain_local(SHORT)
    with pytest.raises(MethodError, match="num_samples"):
        ex.Explainer(tfidf_lr, method="lime", method_params={"num_samples": 1}).explain_local(SHORT)
    with pytest.raises(MethodError, match="not settings of partition_shap"):
        ex.Explainer(tfidf_lr, method="partition_shap", method_params={"nsamples": 3})
    with pytest.raises(MethodError, match="explain_local"):
        ex.Explainer(tfidf_lr).explain_interactions(SHORT)


def test_table_only_settings_and_text_only_settings_do_not_mix():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = LinearRegression().fit(X, y)
    with pytest.raises(MethodError, match="text tokens or image regions"):
        ex.Explainer(model, background=X[:20], method="partition_shap").explain_local(X[:2])
    with pytest.raises(InputError, match="tokenizer"):
        ex.Explainer(model, background=X[:20], tokenizer=str.split).explain_local(X[:2])
    with pytest.raises(MethodError, match="not settings"):
        ex.Explainer(model, background=X[:20], method_params={"mask_token": "x"}).explain_local(X[:2])


def test_explain_global_on_documents_is_token_importance(tfidf_lr):
    explainer = ex.Explainer(tfidf_lr, method="exact_shap")
    glob = explainer.explain_global(SHORT)
    expected = explainer.explain_local(SHORT).to_global()
    assert glob.feature_names == expected.feature_names
    np.testing.assert_array_equal(glob.importances, expected.importances)
    with pytest.raises(MethodError, match="explain_local"):
        ex.Explainer(tfidf_lr, method="permutation_importance").explain_global(SHORT, [0] * 5)


def test_batches_do_not_change_the_values(tfidf_lr):
    small = ex.Explainer(tfidf_lr, method="partition_shap", method_params={"batch_size": 7}).explain_local(SHORT)
    large = ex.Explainer(tfidf_lr, method="partition_shap").explain_local(SHORT)
    for a, b in zip(small.values, large.values, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)


def test_documents_too_long_for_owen_values_go_to_lime_under_auto(tfidf_lr):
    long_doc = " ".join(["great film but dull plot"] * 120)  # 600 tokens
    with pytest.raises(MethodError, match="lime"):
        ex.Explainer(tfidf_lr, method="partition_shap").explain_local([long_doc])
    auto = ex.Explainer(tfidf_lr, output="probability", method_params={"num_samples": 200}).explain_local([long_doc])
    assert auto.method == "lime" and "partition_shap" in auto.params["auto"]["skipped"]
    assert auto.values[0].shape == (600,)
