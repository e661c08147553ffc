"""Values that do not add up blame the model when it gives more than one output per input (a
random model, one that depends on its batch), and explain only otherwise: images and tables."""

from __future__ import annotations

import numpy as np
import pytest

import explain as ex
from explain._image import model_inconsistency
from explain.errors import AdditivityError

from ._helpers import explain


def _noisy(seed: int):
    rng = np.random.default_rng(seed)

    def model(batch: np.ndarray) -> np.ndarray:
        return batch.reshape(len(batch), -1).mean(axis=1) + rng.normal(size=len(batch))

    return model


def _batch_scaled(batch: np.ndarray) -> np.ndarray:
    """Each image's brightness less the batch's: an output that depends on the other images."""
    means = batch.reshape(len(batch), -1).mean(axis=1)
    return means - means.mean()


@pytest.mark.parametrize("method", ["exact_shap", "partition_shap"])
def test_a_random_image_model_is_named_not_explain(method):
    images = np.random.default_rng(0).uniform(size=(2, 8, 8))
    with pytest.raises(AdditivityError, match="not deterministic") as caught:
        explain(_noisy(1), images, task="regression", method=method)
    assert "please report" not in str(caught.value)


def test_a_batch_dependent_image_model_is_named_not_explain():
    images = np.random.default_rng(0).uniform(size=(2, 8, 8))
    with pytest.raises(AdditivityError, match="depends on the other inputs of its batch") as caught:
        explain(_batch_scaled, images, task="regression")
    assert "please report" not in str(caught.value)


@pytest.mark.parametrize("method", ["exact_shap", "permutation_shap"])
def test_a_random_table_model_is_named_not_explain(method):
    X = np.random.default_rng(0).normal(size=(20, 4))
    explainer = ex.Explainer(_noisy(2), background=X, task="regression", method=method, random_state=0)
    with pytest.raises(AdditivityError, match="not deterministic") as caught:
        explainer.explain_local(X[:3])
    assert "please report" not in str(caught.value)


def test_a_consistent_model_is_not_blamed():
    rows = np.random.default_rng(0).normal(size=(2, 5))
    assert model_inconsistency(lambda b: np.tanh(b).sum(axis=1), rows, 1e-7) is None
    assert model_inconsistency(lambda b: np.tanh(b).sum(axis=1), rows[:1], 1e-7) is None
    assert "not deterministic" in str(model_inconsistency(_noisy(3), rows, 1e-7))
