"""The JSON round trip of image explanations: exact, compact, and refusing damaged files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import explain as ex
from explain.errors import SchemaError
from explain.image_explanation import ImageExplanation

from ._helpers import explain, redness


def _same(a: ImageExplanation, b: ImageExplanation) -> None:
    for name in ("values", "base_values", "predictions", "data", "segments"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.output_names == b.output_names and a.method == b.method and a.output_space == b.output_space
    assert dict(a.params) == dict(b.params) and a.provenance == b.provenance
    assert a.to_json() == b.to_json()


def test_round_trip_of_a_multiclass_explanation(digits, mlp, tmp_path):
    images, _ = digits
    exp = explain(mlp, images[1500:1503], method="lime")
    path = tmp_path / "image.json"
    exp.to_json(path)
    saved = json.loads(path.read_text())
    assert saved["kind"] == "image_explanation" and saved["schema_version"] == 1
    again = ImageExplanation.from_dict(saved)
    _same(exp, again)
    assert set(again.diagnostics) == {"fidelity", "local_prediction"}
    np.testing.assert_array_equal(again.pixel_values(2, output="5"), exp.pixel_values(2, output="5"))


def test_round_trip_of_superpixels_keeps_the_labels_and_stays_small(china, tmp_path):
    images = np.stack([china, china[::-1]])
    exp = explain(redness, images, task="classification", segmentation="felzenszwalb", method="partition_shap")
    assert exp.n_regions[0] != exp.n_regions[1] or not np.array_equal(exp.segments[0], exp.segments[1])
    text = exp.to_json()
    assert len(text) < 200_000  # two 54 x 80 colour images with their labels
    again = ImageExplanation.from_dict(json.loads(text))
    _same(exp, again)
    assert again.additivity_error() < 1e-10
    assert again.plot(1).ax.images[1].get_array().shape == (54, 80)
    assert exp.content_hash() == again.content_hash()


def test_load_reads_an_image_explanation(digits, mlp, tmp_path):
    images, _ = digits
    exp = explain(mlp, images[1500:1501])
    path = tmp_path / "image.json"
    exp.to_json(path)
    loaded = ex.load(path)
    assert isinstance(loaded, ImageExplanation)
    _same(exp, loaded)


def test_a_changed_value_is_refused(digits, mlp):
    images, _ = digits
    saved = explain(mlp, images[1500:1501]).to_dict()
    saved["values"][0][3][2] += 0.1
    with pytest.raises(SchemaError, match="do not add up"):
        ImageExplanation.from_dict(json.loads(json.dumps(saved)))


@pytest.mark.parametrize(
    ("key", "damage", "message"),
    [
        ("data", {"dtype": "<f8", "shape": [1, 8, 8], "zlib_base64": "bm90IHpsaWI="}, "compressed"),
        ("data", {"dtype": "|O", "shape": [1, 8, 8], "zlib_base64": ""}, "dtype"),
        ("segments", {"dtype": "<i4", "shape": [1, 8], "zlib_base64": ""}, "shape"),
        ("output_names", [], "output_names"),
        ("schema_version", 99, "schema_version"),
        ("values", "zero", "list of numbers"),
    ],
)
def test_damaged_files_raise_schema_errors(digits, mlp, key, damage, message):
    images, _ = digits
    saved = explain(mlp, images[1500:1501]).to_dict()
    saved[key] = damage
    with pytest.raises(SchemaError, match=message):
        ImageExplanation.from_dict(saved)


def test_segments_that_do_not_match_the_images_are_refused(digits, mlp):
    from explain._image_json import array_to_json

    images, _ = digits
    saved = explain(mlp, images[1500:1501]).to_dict()
    saved["segments"] = array_to_json(np.zeros((1, 4, 4), dtype=int), "<i4")
    with pytest.raises(SchemaError, match="segments"):
        ImageExplanation.from_dict(saved)


@pytest.mark.parametrize("method", ["exact_shap", "lime"])
def test_an_explanation_of_no_images_round_trips(digits, mlp, method):
    """exp[[]]: JSON's [] keeps no shape; the outputs give it back (several: a last axis of 10)."""
    images, _ = digits
    empty = explain(mlp, images[1500:1502], method=method)[[]]
    again = ImageExplanation.from_dict(json.loads(empty.to_json()))
    _same(empty, again)
    assert again.values.shape == (0, 0, 10) and again.base_values.shape == (0, 10)
    assert {key: v.shape for key, v in again.diagnostics.items()} == {key: (0, 10) for key in empty.diagnostics}
    one = explain(lambda b: b.mean(axis=(1, 2)), images[:2], task="regression")[[]]
    assert ImageExplanation.from_dict(json.loads(one.to_json())).values.shape == (0, 0)


def test_a_file_of_no_images_with_numbers_is_refused(digits, mlp):
    images, _ = digits
    saved = json.loads(explain(mlp, images[1500:1502])[[]].to_json())
    saved["values"] = [[[0.5]]]
    with pytest.raises(SchemaError, match="holds no images but numbers"):
        ImageExplanation.from_dict(saved)


def test_to_global_of_no_images_is_refused(digits, mlp):
    images, _ = digits
    with pytest.raises(ex.errors.InputError, match="holds no images"):
        explain(mlp, images[1500:1502])[[]].to_global()
