"""auto weighs the work of exact Shapley values (2^r masked images of the image's size), and a
long explanation of one image shows progress over its model calls."""

from __future__ import annotations

import numpy as np

from ._helpers import explain


def _brightness(batch: np.ndarray) -> np.ndarray:
    return batch.reshape(len(batch), -1).mean(axis=1)


def test_auto_takes_partition_shap_when_exact_would_mask_too_many_pixels(china):
    """16 regions of a 54 x 80 colour photo: 2^16 x 12 960 = 849 million pixel values per image."""
    exp = explain(_brightness, china[None], task="regression")
    assert exp.method == "partition_shap"
    assert "2^16 masked images of 12,960 pixel values" in exp.params["auto"]["reason"]
    assert exp.additivity_error() < 1e-10


def test_auto_keeps_exact_shap_for_small_images_and_few_regions(digits, china):
    images, _ = digits
    assert explain(_brightness, images[:2], task="regression").method == "exact_shap"  # 8 x 8 digits
    exp = explain(_brightness, china[None], task="regression", segmentation=(3, 3))  # 2^9 x 12 960
    assert exp.method == "exact_shap" and "at most max_regions" in exp.params["auto"]["reason"]


def test_one_long_image_shows_progress_over_its_model_calls(capsys):
    """64 x 64 pixels: 1 024 masked images per call, so 2^12 coalitions are 4 calls; progress=True
    off a terminal writes whole lines."""
    image = np.random.default_rng(0).uniform(size=(1, 64, 64))
    explain(_brightness, image, task="regression", method="exact_shap", segmentation=(3, 4), progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("exact_shap (model calls)")]
    assert lines and lines[-1].startswith("exact_shap (model calls): 4/4 (100%)")


def test_several_images_show_progress_over_the_images(capsys):
    images = np.random.default_rng(0).uniform(size=(3, 64, 64))
    explain(_brightness, images, task="regression", method="exact_shap", segmentation=(3, 4), progress=True)
    err = capsys.readouterr().err
    assert "exact_shap: 3/3 (100%)" in err and "model calls" not in err
