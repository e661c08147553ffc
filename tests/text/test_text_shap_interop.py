"""partition_shap against shap's own Partition explainer with a Text masker, on the same documents.

shap's Text masker (tokenizer ``r"\\W+"``) cuts the same words; it replaces a masked run of words
by ``" ..."`` where ours removes them: for a word vectorizer (``token_pattern`` of 2+ word
characters) both texts are the same bag of words, so the two games are equal. shap's hierarchy
joins tokens bottom-up by how easily they merge (spaces, punctuation); ours halves the document.
Given shap's hierarchy, partition_shap equals shap's values (with a budget large enough for shap
to expand every node); with our default hierarchy the values differ but agree in total and
closely in ranking.
"""

from __future__ import annotations

import numpy as np
import pytest
import shap
from scipy import stats
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex

from ._corpus import SHORT, corpus

DOCS = [*SHORT, "Superb clever moving story but the acting was weak and the music really dull"]


@pytest.fixture(scope="module")
def model():
    docs, y = corpus()
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)


def shap_values(model, docs):
    masker = shap.maskers.Text(r"\W+")
    explainer = shap.PartitionExplainer(lambda x: model.predict_proba(list(x))[:, 1], masker)
    return masker, explainer(docs, max_evals=100_000)


def test_given_shaps_hierarchy_partition_shap_equals_shaps_partition_explainer(model):
    masker, sv = shap_values(model, DOCS)
    exp = ex.Explainer(model, method="partition_shap", method_params={"hierarchy": masker.clustering}).explain_local(
        DOCS
    )
    for r in range(len(DOCS)):
        assert [t.strip(" ,.;!") for t in sv.data[r]] == list(exp.tokens[r])
        np.testing.assert_allclose(exp.values[r], sv.values[r], atol=1e-12)
        assert exp.base_values[r] == pytest.approx(sv.base_values[r], abs=1e-12)
    assert "clustering" in exp.params["hierarchy"]


def test_default_hierarchy_differs_from_shaps_in_split_only(model):
    _, sv = shap_values(model, DOCS)
    exp = ex.Explainer(model, method="partition_shap").explain_local(DOCS)
    for r in range(len(DOCS)):
        assert exp.values[r].sum() == pytest.approx(sv.values[r].sum(), abs=1e-12)  # same game, same total
        assert stats.spearmanr(exp.values[r], sv.values[r]).statistic > 0.8
