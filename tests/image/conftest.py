"""Small image data and models that ship with scikit-learn: digits (8 x 8 grey) and a sample photo."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_sample_image
from sklearn.neural_network import MLPClassifier


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    return data.images, data.target


@pytest.fixture(scope="session")
def mlp(digits: tuple[np.ndarray, np.ndarray]) -> MLPClassifier:
    images, y = digits
    X = images.reshape(len(images), -1)
    return MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(X[:1200], y[:1200])


@pytest.fixture(scope="session")
def china() -> np.ndarray:
    """The sample photo, downscaled 8 times: (54, 80, 3), uint8."""
    return load_sample_image("china.jpg")[::8, ::8]
