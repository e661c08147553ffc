"""Layouts that a batch of images could be mistaken for: one colour image without its batch
axis, images with their channels first. Refused before the model is called, with the fix."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from explain.errors import InputError

from ._helpers import explain


class _Counting:
    """A function model of images that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        return batch.reshape(len(batch), -1).mean(axis=1)


def test_one_colour_image_without_its_batch_axis_is_refused(china):
    model = _Counting()
    with pytest.raises(InputError, match=r"\(54, 80, 3\) is ambiguous.*X\[None\].*X\[\.\.\., None\]"):
        explain(model, china, task="regression")
    assert model.calls == 0
    assert explain(model, china[None], task="regression").values.shape == (1, 16)


def test_one_image_for_an_estimator_of_its_size_is_refused(china):
    rng = np.random.default_rng(0)
    one = LinearRegression().fit(rng.uniform(size=(5, china.size)), rng.uniform(size=5))
    with pytest.raises(InputError, match=r"reads 12960 = 54 x 80 x 3 features.*X\[None\]"):
        explain(one, china)
    explain(one, china[None])  # what the message says to do works


def test_grey_images_three_pixels_wide_pass_when_the_estimator_says_so(china):
    """An estimator's n_features_in_ settles the ambiguity: 80 x 3 = 240 features are grey images."""
    rng = np.random.default_rng(0)
    grey = LinearRegression().fit(rng.uniform(size=(5, 240)), rng.uniform(size=5))
    exp = explain(grey, china[:4], segmentation=(4, 3))
    assert exp.image_shape == (80, 3) and exp.values.shape == (4, 12)


def test_grey_images_pass_with_a_channel_axis(china):
    exp = explain(lambda b: b.reshape(len(b), -1).mean(axis=1), china[:4, ..., None], task="regression",
                  segmentation=(4, 3))  # fmt: skip
    assert exp.image_shape == (80, 3, 1) and exp.values.shape == (4, 12)


def test_square_grey_images_are_not_ambiguous():
    images = np.random.default_rng(0).uniform(size=(2, 4, 4))
    exp = explain(lambda b: b.sum(axis=(1, 2)), images, task="regression", segmentation=(2, 2))
    assert exp.image_shape == (4, 4)


def test_channels_first_is_refused(china):
    model = _Counting()
    first = np.stack([china, china]).transpose(0, 3, 1, 2)
    with pytest.raises(InputError, match=r"\(2, 3, 54, 80\) looks like 2 images with 3 channels first.*transpose"):
        explain(model, first, task="regression")
    assert model.calls == 0


def test_one_background_image_is_told_to_take_its_batch_axis(china):
    with pytest.raises(InputError, match=r"background\[None\]"):
        explain(lambda b: b.mean(axis=(1, 2, 3)), china[None], task="regression", background=china)


def test_a_model_that_writes_into_its_input_spoils_neither_x_nor_the_data(digits, mlp):
    images, _ = digits
    X = images[1500:1503].copy()  # float64: the array the images would be read from without a copy
    before = X.copy()

    def proba(batch):
        return mlp.predict_proba(batch.reshape(len(batch), -1))

    def scribbling(batch):
        out = proba(batch)
        batch[...] = 0.0  # a model that changes its input in place
        return out

    exp = explain(scribbling, X, task="classification")
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(exp.data, before)
    assert not np.shares_memory(exp.data, X)
    clean = explain(proba, X, task="classification")
    np.testing.assert_array_equal(exp.values, clean.values)
    np.testing.assert_array_equal(exp.predictions, clean.predictions)


def test_images_given_another_way_get_the_fix(digits, mlp):
    """image_hint: what the Explainer says before reading such an X as a table."""
    from explain._image import image_hint
    from explain.explainer import Explainer

    images, _ = digits
    explainer = Explainer(mlp)
    assert "np.stack(X)" in image_hint(explainer, list(images[:2]))
    assert "has 5 axes" in image_hint(explainer, np.ones((2, 8, 8, 3, 1)))
    assert "pass X[None] (shape (1, 8, 8))" in image_hint(explainer, images[0])  # 64 features: one image
    assert image_hint(explainer, images[:3].reshape(3, -1)) is None  # a table of 3 rows of 64 pixels
    assert image_hint(explainer, [[1.0, 2.0]]) is None
