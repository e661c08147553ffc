"""A colour photo with a callable model, and the errors that bad inputs get."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain._image import check_segmentation, explain_images, is_image_batch
from explain.errors import InputError, MethodError, ModelError

from ._helpers import explain, image_explainer, redness


def test_colour_photo_with_a_callable_classifier(china):
    images = np.stack([china, china[:, ::-1]])
    exp = explain(redness, images, task="classification", segmentation={"kind": "slic", "n_segments": 12},
                  background=images)  # fmt: skip
    assert exp.image_shape == (54, 80, 3) and exp.output_names == ("positive",)
    assert exp.method == "exact_shap" and exp.params["model_input"] == "images"
    np.testing.assert_allclose(exp.predictions, redness(images.astype(float)))
    assert exp.additivity_error() < 1e-12
    np.testing.assert_allclose(exp.params["fill_value"], images.reshape(-1, 3).mean(axis=0))
    # the bottom half does not enter the model: regions wholly in it are worth nothing
    for i in range(2):
        bottom = [r for r in range(exp.n_regions[i]) if (np.argwhere(exp.segments[i] == r)[:, 0] >= 27).all()]
        assert bottom and np.abs(exp.values[i, bottom]).max() < 1e-12
    assert exp.plot(1).ax.images[0].get_array().shape == (54, 80)


def test_quickshift_is_seeded_and_recorded(china):
    exp = explain(redness, china[None], task="classification", segmentation="quickshift", random_state=5)
    record = exp.params["segmentation"]
    assert record["kind"] == "quickshift" and record["kernel_size"] == 4 and record["max_dist"] == 200
    assert isinstance(record.get("rng", record.get("random_seed")), int)


def test_a_regressor_and_given_labels():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(3, 6, 6))
    labels = np.repeat(np.arange(3), 12).reshape(6, 6)
    exp = explain(lambda x: (x**2).sum(axis=(1, 2)), images, task="regression", segmentation=labels)
    assert exp.output_names == ("prediction",) and exp.values.shape == (3, 3)
    np.testing.assert_allclose(exp.values, (images**2).reshape(3, 3, 12).sum(axis=2))  # an additive model


def test_is_image_batch():
    assert is_image_batch(np.zeros((1, 4, 4))) and is_image_batch(np.zeros((1, 4, 4, 3)))
    assert not is_image_batch(np.zeros((4, 4))) and not is_image_batch([[[0.0]]])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("watershed", "not known"),
        ({"kind": "slic", "n_segmnts": 5}, "not parameters of skimage.segmentation.slic"),
        ({"kind": "grid", "rows": 2, "colums": 2}, "takes 'rows' and 'cols'"),
        ((0, 4), "whole numbers"),
        (np.zeros((4, 4)), "integer region labels"),
        (3.5, "not a segmentation"),
    ],
)
def test_bad_segmentations_are_refused(spec, message):
    with pytest.raises(InputError, match=message):
        check_segmentation(spec)


def test_bad_images_are_refused(digits, mlp):
    images, _ = digits
    with pytest.raises(InputError, match=r"not a batch of images.*X\[None\]"):
        explain_images(image_explainer(mlp), images[0])
    nan = images[:3].copy()
    nan[1, 2, 2] = np.nan
    with pytest.raises(InputError, match=r"NaN or infinite pixels in images \[1\]"):
        explain(mlp, nan)
    with pytest.raises(InputError, match=r"fitted on 64 features.*16 pixel values"):
        explain(mlp, images[:2, :4, :4])
    with pytest.raises(InputError, match="dtype"):
        explain(mlp, images[:2].astype(str))


def test_bad_settings_are_refused(digits, mlp):
    images, _ = digits
    X = images[:2]
    with pytest.raises(InputError, match=r"shape \(4, 4\).*\(8, 8\)"):
        explain(mlp, X, segmentation=np.zeros((4, 4), dtype=int))
    with pytest.raises(InputError, match="grid of 9 x 9 cells"):
        explain(mlp, X, segmentation=(9, 9))
    with pytest.raises(MethodError, match=r"max_regions=16.*64.*partition_shap"):
        explain(mlp, X, segmentation=(8, 8), method="exact_shap")
    with pytest.raises(MethodError, match="does not explain images"):
        explain(mlp, X, method="tree_shap")
    with pytest.raises(MethodError, match="not settings of lime"):
        explain(mlp, X, method="lime", method_params={"max_regions": 4})
    with pytest.raises(MethodError, match="fill='median'"):
        explain(mlp, X, method_params={"fill": "median"})
    with pytest.raises(InputError, match="3 channel values"):
        explain(mlp, X, method_params={"fill": [0, 0, 0]})
    with pytest.raises(InputError, match="background images have shape"):
        explain(mlp, X, background=images[:5, :4])
    with pytest.raises(ModelError, match="task"):
        explain(lambda x: x.sum(axis=(1, 2)), X)


def test_an_estimator_fitted_on_other_features_is_refused(digits):
    images, y = digits
    model = LogisticRegression(max_iter=5000).fit(images[:200, :2].reshape(200, -1) / 16, y[:200])
    with pytest.raises(InputError, match="n_features_in_"):
        explain_images(ex.Explainer(model), images[:2])


def test_blur_fill_masks_with_the_blurred_image(china):
    from scipy.ndimage import gaussian_filter

    image = china.astype(float)
    exp = explain(redness, image[None], task="classification", segmentation=(2, 2), method_params={"fill": "blur"})
    sigma = 80 / 16
    blurred = gaussian_filter(image, sigma=(sigma, sigma, 0), mode="nearest")
    assert exp.params["fill"] == "blur" and exp.params["fill_sigma"] == sigma
    np.testing.assert_allclose(exp.base_values, redness(blurred[None]), rtol=0, atol=1e-12)
    assert exp.additivity_error() < 1e-12


@pytest.mark.parametrize("method", ["exact_shap", "partition_shap", "lime"])
def test_one_region_gets_the_whole_difference(digits, mlp, method):
    images, _ = digits
    exp = explain(mlp, images[:2], segmentation=(1, 1), method=method, method_params={"fill": 0.0})
    assert exp.values.shape == (2, 1, 10) and (exp.n_regions == 1).all()
    if method != "lime":
        np.testing.assert_allclose(exp.values[:, 0], exp.predictions - exp.base_values, atol=1e-12)


def test_quickshift_without_a_seed_records_the_seed_it_used(china):
    exp = explain(redness, china[None], task="classification", segmentation="quickshift", random_state=None)
    record = dict(exp.params["segmentation"])
    seed_name = "rng" if "rng" in record else "random_seed"
    again = explain(redness, china[None], task="classification", segmentation=record, random_state=None)
    assert again.params["segmentation"][seed_name] == record[seed_name]
    np.testing.assert_array_equal(again.segments, exp.segments)


def test_quickshift_segments_as_lime_does(china):
    """lime's default segmentation: quickshift(kernel_size=4, max_dist=200, ratio=0.2) of the image
    as given (uint8 here; scikit-image reads uint8 and float pixels on different scales)."""
    import inspect

    from lime.wrappers.scikit_image import SegmentationAlgorithm
    from skimage.segmentation import quickshift

    theirs = SegmentationAlgorithm("quickshift", kernel_size=4, max_dist=200, ratio=0.2, random_seed=0)(china)
    names = inspect.signature(quickshift).parameters
    # lime passes random_seed where scikit-image takes it; newer scikit-image takes rng (default 42) instead
    seed = {"random_seed": 0} if "random_seed" in names else {"rng": names["rng"].default}
    exp = explain(redness, china[None], task="classification", method="lime",
                  segmentation={"kind": "quickshift", **seed})  # fmt: skip
    np.testing.assert_array_equal(exp.segments[0], theirs)
