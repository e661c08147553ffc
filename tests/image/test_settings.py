"""Settings that mean nothing for images, and sizes that cannot be run, are refused before the
model is called, with image words."""

from __future__ import annotations

import numpy as np
import pytest

from explain.errors import InputError, MethodError

from ._helpers import explain


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        return batch.reshape(len(batch), -1).mean(axis=1)


@pytest.mark.parametrize(
    ("setting", "message"),
    [({"tokenizer": str.split}, "tokenizer= was given, but X is a batch of images"),
     ({"feature_names": [f"p{i}" for i in range(64)]}, "feature_names= was given.*region_0")],
)  # fmt: skip
def test_table_and_text_settings_are_refused_for_images(digits, setting, message):
    images, _ = digits
    model = _Counting()
    with pytest.raises(InputError, match=message):
        explain(model, images[:2], task="regression", **setting)
    assert model.calls == 0


def test_a_masked_array_is_refused_not_its_mask_ignored(digits):
    images, _ = digits
    model = _Counting()
    with pytest.raises(InputError, match=r"masked array.*filled"):
        explain(model, np.ma.masked_array(images[:2], mask=images[:2] > 5), task="regression")
    assert model.calls == 0


def test_lime_num_samples_is_bounded(digits):
    images, _ = digits
    model = _Counting()
    with pytest.raises(MethodError, match=r"from 2 to 1,000,000.*image default is 1000"):
        explain(model, images[:2], task="regression", method="lime", method_params={"num_samples": 10**12})
    assert model.calls == 0


def test_lime_masks_over_many_regions_are_bounded():
    model = _Counting()
    with pytest.raises(MethodError, match=r"mask entries.*num_samples <= 524,288"):  # 2^27 / 256 regions
        explain(model, np.zeros((1, 16, 16)), task="regression", method="lime", segmentation=(16, 16),
                method_params={"num_samples": 1_000_000})  # fmt: skip
    assert model.calls == 0


def test_partition_shap_over_too_many_regions_is_refused_in_image_words():
    model = _Counting()
    with pytest.raises(MethodError, match=r"partition_shap over the 4320 regions of image 0.*coarser segmentation"):
        explain(model, np.zeros((1, 54, 80)), task="regression", method="partition_shap", segmentation=(54, 80))
    assert model.calls == 0


def test_the_hierarchy_recorded_is_the_tree_and_survives_json(china):
    import json

    from explain.image_explanation import ImageExplanation

    exp = explain(lambda b: b.mean(axis=(1, 2, 3)), china[None], task="regression", method="partition_shap",
                  segmentation=(2, 3))  # fmt: skip
    assert exp.params["hierarchy"] == (((0, 1), (3, 4)), (2, 5))  # columns 3 = 2 + 1, then the rows of 2 x 2
    assert ImageExplanation.from_dict(json.loads(exp.to_json())).params["hierarchy"] == exp.params["hierarchy"]
    per_image = explain(lambda b: b.mean(axis=(1, 2, 3)), np.stack([china, china[::-1]]), task="regression",
                        method="partition_shap", segmentation="felzenszwalb")  # fmt: skip
    assert per_image.params["hierarchy"] is None and per_image.params["hierarchy_rule"].endswith(
        "per image (their regions differ)"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [({"kind": "slic", "n_segments": -5}, r"slic n_segments=-5; pass a whole number >= 1"),
     ({"kind": "slic", "compactness": 0}, r"compactness=0; pass a positive number"),
     ({"kind": "quickshift", "ratio": 2.0}, r"ratio=2.0; pass a number from 0 to 1"),
     ({"kind": "felzenszwalb", "scale": float("nan")}, r"scale=nan; pass a positive number")],
)  # fmt: skip
def test_superpixel_parameters_out_of_range_are_refused_in_our_words(spec, message):
    from explain._image import check_segmentation

    with pytest.raises(InputError, match=message):
        check_segmentation(spec)


def test_class_names_of_a_function_model_are_checked_before_the_long_work(digits):
    images, _ = digits
    calls = []

    def proba(batch):
        calls.append(len(batch))
        z = np.stack([batch.mean(axis=(1, 2)) * k / 16 for k in range(10)], axis=1)
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)

    with pytest.raises(InputError, match=r"class_names has 3 names, but the model returns 10 class probabilities"):
        explain(proba, images[:2], task="classification", class_names=list("abc"))
    assert calls == [2]  # the images' own prediction only, not the 2 x 2^16 masked images
