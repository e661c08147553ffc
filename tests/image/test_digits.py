"""The issue's check: on scikit-learn's digits with a small MLP, image explanations add up to the
prediction, and plotting works."""

from __future__ import annotations

import numpy as np
import pytest

from explain._image_segments import grid_tree
from explain.image_explanation import ImageExplanation

from ._helpers import explain


@pytest.mark.parametrize("method", ["exact_shap", "partition_shap"])
def test_digits_explanations_add_up_to_the_prediction(digits, mlp, method):
    images, _ = digits
    X = images[1500:1504]
    exp = explain(mlp, X, method=method, background=images[:100])
    assert isinstance(exp, ImageExplanation)
    assert exp.values.shape == (4, 16, 10)
    assert exp.output_names == tuple(str(c) for c in range(10))
    assert exp.output_space == "probability"
    # the prediction is the MLP's own probability of each class on the flattened image
    np.testing.assert_allclose(exp.predictions, mlp.predict_proba(X.reshape(4, -1)), rtol=0, atol=1e-12)
    assert exp.additivity_error() < 1e-10
    # the base value is the model on the image filled with the background's mean pixel
    filled = np.full((1, 64), images[:100].mean())
    np.testing.assert_allclose(exp.base_values, np.repeat(mlp.predict_proba(filled), 4, axis=0), atol=1e-12)
    assert exp.params["model_input"].startswith("flattened")
    assert exp.params["fill"] == "mean" and exp.params["segmentation"] == {"kind": "grid", "rows": 4, "cols": 4}


def test_auto_chooses_exact_for_few_regions_and_partition_for_many(digits, mlp):
    images, _ = digits
    few = explain(mlp, images[1500:1501])
    many = explain(mlp, images[1500:1501], segmentation=(8, 8))
    assert few.method == "exact_shap" and few.params["auto"]["chosen"] == "exact_shap"
    assert many.method == "partition_shap" and many.params["auto"]["chosen"] == "partition_shap"
    assert many.values.shape == (1, 64, 10) and many.additivity_error() < 1e-10
    assert many.params["hierarchy_rule"].startswith("balanced split")
    assert many.params["hierarchy"] == grid_tree(8, 8)


def test_plot_draws_the_image_in_grey_and_the_region_values_over_it(digits, mlp):
    images, _ = digits
    exp = explain(mlp, images[1500:1502])
    plot = exp.plot(1, output="3")
    grey, overlay = plot.ax.images
    np.testing.assert_array_equal(overlay.get_array(), exp.pixel_values(1, output="3"))
    low, high = overlay.get_clim()
    assert low == -high == -np.abs(exp.for_output("3").values[1]).max()  # symmetric around 0
    assert grey.get_array().min() == 0 and grey.get_array().max() == 1
    assert "probability of class '3'" in plot.figure.axes[1].get_ylabel()  # the colour bar
    assert len(plot.ax.collections[0].get_segments()) > 0  # region boundaries
    assert plot._repr_png_()[:4] == b"\x89PNG"
    html = exp._repr_html_()
    assert html.count("<svg") == 2 and "ImageExplanation" in html
    # each image is shown under its predicted class: the same SVG as its plot for that class
    from explain.plots import Style
    from explain.plots._svg import figure_svg
    from explain.plots.image import image

    style = Style(figsize=(3.2, 2.6), title_size=8, tick_size=7)
    classes = exp.predictions.argmax(axis=1)
    vmax = max(np.abs(exp.values[i, :, c]).max() for i, c in enumerate(classes))  # one scale for the images
    for i, c in enumerate(classes):
        assert figure_svg(image(exp, i, output=int(c), style=style, vmax=vmax).figure, inline=True) in html


def test_plot_of_several_outputs_asks_which(digits, mlp):
    images, _ = digits
    exp = explain(mlp, images[1500:1501])
    with pytest.raises(ValueError, match="output="):
        exp.plot()


def test_pixel_values_put_each_region_value_on_its_pixels(digits, mlp):
    images, _ = digits
    exp = explain(mlp, images[1500:1501]).for_output("0")
    pixels = exp.pixel_values(0)
    assert pixels.shape == (8, 8)
    for region in range(16):
        assert (pixels[exp.segments[0] == region] == exp.values[0, region]).all()


def test_rows_and_outputs_slice_together(digits, mlp):
    images, _ = digits
    exp = explain(mlp, images[1500:1504])
    part = exp[[3, 1]].for_output("7")
    assert part.values.shape == (2, 16) and part.output_names == ("7",)
    np.testing.assert_array_equal(part.values, exp.values[[3, 1], :, 7])
    np.testing.assert_array_equal(part.data, exp.data[[3, 1]])
    assert part.additivity_error() < 1e-10
    frame = part.to_frame()
    assert list(frame.columns) == ["image", "region", "output", "pixels", "value"]
    assert len(frame) == 32 and frame["pixels"].sum() == 2 * 64
    np.testing.assert_allclose(frame.groupby("image")["value"].sum(), part.values.sum(axis=1))


def test_explanation_is_frozen(digits, mlp):
    images, _ = digits
    X = images[1500:1501].copy()
    exp = explain(mlp, X)
    with pytest.raises(ValueError):
        exp.values[0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        exp.segments[0, 0, 0] = 1
    with pytest.raises(AttributeError):
        exp.method = "lime"
    np.testing.assert_array_equal(X, images[1500:1501])  # the input is not touched


def test_to_global_averages_absolute_region_values_over_images(digits, mlp):
    images, _ = digits
    exp = explain(mlp, images[1500:1510])
    glob = exp.to_global()
    assert glob.importances.shape == (16, 10) and glob.kind == "mean_abs_attribution"
    np.testing.assert_allclose(glob.importances, np.abs(exp.values).mean(axis=0))
    np.testing.assert_allclose(glob.spread, np.abs(exp.values).std(axis=0))
    assert glob.for_output("3").importances.shape == (16,)


def test_to_global_refuses_regions_that_differ_between_images(china):
    from ._helpers import redness

    exp = explain(redness, np.stack([china, china[::-1]]), task="classification", segmentation="slic",
                  method="partition_shap")  # fmt: skip
    with pytest.raises(ValueError, match="different regions"):
        exp.to_global()
