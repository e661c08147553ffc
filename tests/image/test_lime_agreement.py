"""lime: the same estimator as lime's own LimeImageExplainer, within lime's seed-to-seed noise."""

from __future__ import annotations

import numpy as np
import pytest
from lime.lime_image import LimeImageExplainer

from ._helpers import explain, redness

SEEDS = range(5)


def _lime_values(image, classifier_fn, labels, hide_color, label, seed, num_samples=1000):
    explainer = LimeImageExplainer(random_state=seed)
    result = explainer.explain_instance(
        image, classifier_fn, labels=(label,), top_labels=None, hide_color=hide_color, num_samples=num_samples,
        segmentation_fn=lambda _: labels, batch_size=200,
    )  # fmt: skip
    values = np.zeros(int(labels.max()) + 1)
    for region, weight in result.local_exp[label]:
        values[region] = weight
    return values, float(result.intercept[label]), float(result.score)


def _agree(ours, theirs):
    """``ours`` is as close to the mean of lime's runs as lime's runs are to each other."""
    mean = theirs.mean(axis=0)
    spread = max(np.abs(a - b).max() for a in theirs for b in theirs)
    assert np.abs(ours - mean).max() <= 1.5 * spread
    assert np.corrcoef(ours, mean)[0, 1] > 0.9


def test_lime_agrees_with_lime_image_explainer_on_digits(digits, mlp):
    images, _ = digits
    image = images[1700]
    label = int(mlp.predict(image.reshape(1, -1))[0])
    exp = explain(mlp, image[None], method="lime", method_params={"fill": 0.0})
    labels = exp.segments[0]

    def classifier_fn(batch):  # lime turns a grey image into RGB: read one channel back
        return mlp.predict_proba(batch[..., 0].reshape(len(batch), -1))

    runs = [_lime_values(image, classifier_fn, labels, 0, label, seed) for seed in SEEDS]
    ours = exp.for_output(str(label))
    _agree(ours.values[0], np.array([r[0] for r in runs]))
    intercepts = np.array([r[1] for r in runs])
    assert abs(ours.base_values[0] - intercepts.mean()) <= 1.5 * np.ptp(intercepts) + 1e-9
    assert ours.params["num_samples"] == 1000 and ours.params["kernel_width"] == 0.25
    assert exp.diagnostics["fidelity"].shape == (1, 10)


def test_lime_agrees_on_a_colour_image_with_lime_s_own_hide_color(china):
    image = china.astype(float)
    exp = explain(redness, image[None], task="classification", method="lime", segmentation="slic",
                  method_params={"fill": "segment_mean"})  # fmt: skip
    labels = exp.segments[0]

    def classifier_fn(batch):
        p = redness(batch)
        return np.stack([1 - p, p], axis=1)

    runs = [_lime_values(image, classifier_fn, labels, None, 1, seed) for seed in SEEDS]
    _agree(exp.values[0], np.array([r[0] for r in runs]))
    fidelity = np.array([r[2] for r in runs])
    assert abs(exp.diagnostics["fidelity"][0] - fidelity.mean()) <= 1.5 * np.ptp(fidelity) + 1e-3


def test_lime_is_deterministic_and_its_first_sample_is_the_image(digits, mlp):
    images, _ = digits
    first = explain(mlp, images[1700:1702], method="lime", random_state=3)
    again = explain(mlp, images[1700:1702], method="lime", random_state=3)
    other = explain(mlp, images[1700:1702], method="lime", random_state=4)
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(first.values, other.values)
    # each image draws from its own stream: explained alone, it gets the same values
    alone = explain(mlp, images[1701:1702], method="lime", random_state=3)
    np.testing.assert_array_equal(alone.values[0], first.values[1])
    np.testing.assert_allclose(first.predictions, mlp.predict_proba(images[1700:1702].reshape(2, -1)))


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_values_do_not_depend_on_n_jobs(digits, mlp, n_jobs):
    images, _ = digits
    reference = explain(mlp, images[1700:1703], method="lime")
    exp = explain(mlp, images[1700:1703], method="lime", n_jobs=n_jobs)
    np.testing.assert_array_equal(exp.values, reference.values)
