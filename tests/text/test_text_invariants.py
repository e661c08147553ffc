"""What every text method guarantees: shapes, finite values, additivity where claimed, the same
bytes for the same inputs, a JSON round trip, read-only values."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex
from explain._io import from_dict
from explain.text_explanation import ADDITIVE_METHODS

from ._corpus import SHORT, corpus

METHODS = {"exact_shap": {}, "partition_shap": {}, "lime": {"num_samples": 300}, "glassbox": {}}


@pytest.fixture(scope="module", params=["binary", "three classes"])
def model(request):
    docs, y = corpus()
    if request.param == "three classes":
        y = np.where(y == 1, 2, np.arange(len(y)) % 2)
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=500)).fit(docs, y)


@pytest.mark.parametrize("method", METHODS)
def test_text_method_invariants(model, method):
    output = "raw" if method == "glassbox" and len(model.classes_) > 2 else "auto"
    explainer = ex.Explainer(model, method=method, method_params=METHODS[method], output=output, n_jobs=2)
    exp = explainer.explain_local(SHORT)
    k = exp.n_outputs
    assert k == (1 if len(model.classes_) == 2 else 3)
    for tokens, values in zip(exp.tokens, exp.values, strict=True):
        assert values.shape == ((len(tokens),) if k == 1 else (len(tokens), k))
        assert np.isfinite(values).all() and not values.flags.writeable
    if method in ADDITIVE_METHODS:
        assert exp.additivity_error() < 1e-10
    again = explainer.explain_local(SHORT)
    assert again.to_json(timing=False) == exp.to_json(timing=False)
    assert again.content_hash() == exp.content_hash()
    back = from_dict(json.loads(exp.to_json()))
    assert back.to_json() == exp.to_json()
    assert "n_jobs_unused" in exp.params
