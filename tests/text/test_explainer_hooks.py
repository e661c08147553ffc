"""The Explainer's routing: documents to the text path, image batches to explain._image, tables
unchanged; tokenizer= and segmentation= are checked when the Explainer is built."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import explain as ex
from explain.errors import InputError
from explain.text_explanation import TextExplanation


def count_good(docs):
    return np.array([d.count("good") for d in docs], dtype=float)


@pytest.mark.parametrize(
    "docs",
    [["good day", "bad good"], ("good day", "bad good"), pd.Series(["good day", "bad good"]),
     np.array(["good day", "bad good"]), np.array(["good day", "bad good"], dtype=object)],
)  # fmt: skip
def test_every_container_of_documents_is_text(docs):
    exp = ex.Explainer(count_good, task="regression").explain_local(docs)
    assert isinstance(exp, TextExplanation) and exp.method == "exact_shap"
    np.testing.assert_allclose(exp.values[1], [0.0, 1.0])


def test_image_batches_go_to_the_image_path_and_segmentation_is_checked_at_construction():
    from explain.image_explanation import ImageExplanation

    images = np.random.default_rng(0).uniform(size=(2, 8, 8))
    model = lambda x: x[:, :4].sum(axis=(1, 2))  # noqa: E731
    exp = ex.Explainer(model, task="regression", segmentation=(2, 2)).explain_local(images)
    assert isinstance(exp, ImageExplanation)
    with pytest.raises(InputError):
        ex.Explainer(model, task="regression", segmentation=(0, 4))


def test_tables_are_unchanged():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:3])
    assert local.method == "linear_shap" and local.values.shape == (3, 10)
