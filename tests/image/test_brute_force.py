"""Region values against independent references: Shapley values by enumerating subsets with
factorial weights, Owen values by averaging over the orderings the hierarchy allows."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest

from explain._image_segments import grid_tree, ward_tree

from ._helpers import explain, redness


def _masked_value(model, image, labels, fill, coalition):
    """The model on ``image`` with every region outside ``coalition`` set to ``fill``, by hand."""
    out = np.array(image, dtype=float)
    for region in np.unique(labels):
        if region not in coalition:
            out[labels == region] = fill
    return np.asarray(model(out[None]), dtype=float).reshape(-1)


def _brute_shapley(v, p):
    phi = np.zeros((p, len(v(frozenset()))))
    for i in range(p):
        others = [j for j in range(p) if j != i]
        for size in range(p):
            weight = factorial(size) * factorial(p - size - 1) / factorial(p)
            for subset in itertools.combinations(others, size):
                s = frozenset(subset)
                phi[i] += weight * (v(s | {i}) - v(s))
    return phi


def _cached(fn):
    cache = {}

    def v(s):
        if s not in cache:
            cache[s] = fn(s)
        return cache[s]

    return v


def test_exact_shap_equals_brute_force_shapley_on_digits(digits, mlp):
    images, _ = digits
    image = images[1600]
    labels = (np.arange(8)[:, None] * 3 // 8) * 3 + np.arange(8)[None, :] * 3 // 8  # a 3 x 3 grid
    exp = explain(mlp, image[None], method="exact_shap", segmentation=(3, 3), method_params={"fill": 0.0})
    np.testing.assert_array_equal(exp.segments[0], labels)

    def proba(batch):
        return mlp.predict_proba(batch.reshape(len(batch), -1))

    v = _cached(lambda s: _masked_value(proba, image, labels, 0.0, s))
    np.testing.assert_allclose(exp.values[0], _brute_shapley(v, 9), rtol=0, atol=1e-10)
    np.testing.assert_allclose(exp.base_values[0], v(frozenset()), atol=1e-12)


def test_exact_shap_equals_brute_force_on_a_colour_image_with_superpixels(china):
    image = china.astype(float)
    exp = explain(
        redness,
        image[None],
        task="classification",
        method="exact_shap",
        segmentation={"kind": "slic", "n_segments": 10},
        method_params={"fill": [10.0, 20.0, 30.0]},
    )
    labels = exp.segments[0]
    p = int(labels.max()) + 1
    assert 4 <= p <= 16
    v = _cached(lambda s: _masked_value(redness, image, labels, [10.0, 20.0, 30.0], s))
    np.testing.assert_allclose(exp.values[0], _brute_shapley(v, p)[:, 0], rtol=0, atol=1e-10)


def _consistent(order, tree):
    """Whether every block of the hierarchy is contiguous in ``order``."""
    position = {player: k for k, player in enumerate(order)}

    def check(node):
        if not isinstance(node, tuple):
            return [position[node]]
        spots = [s for child in node for s in check(child)]
        if max(spots) - min(spots) + 1 != len(spots):
            raise StopIteration
        return spots

    try:
        check(tree)
    except StopIteration:
        return False
    return True


def _brute_owen(v, p, tree):
    """Owen value: the mean marginal contribution over the orderings consistent with the tree."""
    phi = np.zeros((p, len(v(frozenset()))))
    count = 0
    for order in itertools.permutations(range(p)):
        if not _consistent(order, tree):
            continue
        count += 1
        before = frozenset()
        for player in order:
            phi[player] += v(before | {player}) - v(before)
            before = before | {player}
    return phi / count


def test_partition_shap_equals_brute_force_owen_values_on_a_grid(digits, mlp):
    images, _ = digits
    image = images[1601]
    exp = explain(mlp, image[None], method="partition_shap", segmentation=(2, 4), method_params={"fill": 0.0})
    labels = exp.segments[0]
    tree = grid_tree(2, 4)
    assert tree == (((0, 1), (4, 5)), ((2, 3), (6, 7)))  # columns halved first, then rows (a tie)

    def proba(batch):
        return mlp.predict_proba(batch.reshape(len(batch), -1))

    v = _cached(lambda s: _masked_value(proba, image, labels, 0.0, s))
    owen = _brute_owen(v, 8, tree)
    np.testing.assert_allclose(exp.values[0], owen, rtol=0, atol=1e-10)
    # Owen values differ from Shapley values here: the hierarchy matters
    assert np.abs(owen - _brute_shapley(v, 8)).max() > 1e-6


def test_partition_shap_over_superpixels_uses_ward_hierarchy_and_adds_up(china):
    exp = explain(redness, china[None], task="classification", method="partition_shap", segmentation="felzenszwalb")
    assert exp.n_regions[0] > 20
    assert exp.params["hierarchy_rule"].startswith("Ward linkage")
    assert exp.params["hierarchy"] == ward_tree(exp.segments[0])  # the tree itself, recorded
    assert exp.additivity_error() < 1e-10


@pytest.mark.slow  # importing shap and compiling its partition code: about 10 s
def test_partition_shap_equals_shap_s_partition_explainer_over_pixels(digits, mlp):
    """shap's Image masker splits an image in halves along its longer side down to pixels, as our
    grid hierarchy does: over a grid of one pixel per region, with enough evaluations, shap's
    Partition explainer computes the same Owen values."""
    import shap

    images, _ = digits
    image = images[1602]
    label = int(mlp.predict(image.reshape(1, -1))[0])
    exp = explain(mlp, image[None], method="partition_shap", segmentation=(8, 8), method_params={"fill": 0.0})

    def proba(batch):
        return mlp.predict_proba(np.asarray(batch).reshape(len(batch), -1))[:, [label]]

    masker = shap.maskers.Image(np.zeros((8, 8, 1)), shape=(8, 8, 1))
    theirs = shap.Explainer(proba, masker, algorithm="partition")(
        image[None, ..., None], max_evals=20_000, batch_size=2_000
    )
    np.testing.assert_allclose(exp.values[0, :, label], theirs.values[0].reshape(64), rtol=0, atol=1e-10)
    np.testing.assert_allclose(exp.base_values[0, label], theirs.base_values[0, 0], atol=1e-12)


def _shap_masker_tree(h, w):
    """The hierarchy of shap's Image masker over an (h, w) image, as a nested tuple of pixels."""
    import shap

    clustering = shap.maskers.Image(np.zeros((h, w, 1)), shape=(h, w, 1)).clustering
    m = h * w

    def node(i):
        i = int(i)
        return i if i < m else (node(clustering[i - m, 0]), node(clustering[i - m, 1]))

    return node(m + len(clustering) - 1)


def _blocks(tree):
    """The tree as nested frozensets: the same blocks whatever the order of the children."""
    return tree if isinstance(tree, int) else frozenset(_blocks(child) for child in tree)


@pytest.mark.slow  # importing shap: about 10 s (once for the session)
@pytest.mark.parametrize("shape", [(5, 5), (6, 8), (8, 6), (3, 4), (4, 3), (7, 3), (1, 5), (8, 8)])
def test_grid_hierarchy_has_the_blocks_of_shap_s_image_masker(shape):
    """Odd sides too: shap splits an odd side with the larger half first (5 = 3 + 2)."""
    assert _blocks(grid_tree(*shape)) == _blocks(_shap_masker_tree(*shape))


@pytest.mark.slow  # importing shap: about 10 s (once for the session); the explanations take 0.1 s
@pytest.mark.parametrize("shape", [(5, 5), (3, 4)])
def test_partition_shap_equals_shap_s_partition_explainer_on_odd_grids(shape):
    import shap

    h, w = shape
    rng = np.random.default_rng(0)
    image, weights = rng.uniform(size=(1, h, w)), rng.normal(size=(h, w))

    def model(batch):  # nonlinear, so that the hierarchy matters
        return np.tanh((np.asarray(batch).reshape(len(batch), h, w) * weights).sum(axis=(1, 2))) ** 2

    exp = explain(model, image, task="regression", segmentation=shape, method="partition_shap",
                  method_params={"fill": 0.0})  # fmt: skip
    masker = shap.maskers.Image(np.zeros((h, w, 1)), shape=(h, w, 1))
    theirs = shap.Explainer(lambda b: model(b)[:, None], masker, algorithm="partition")(
        image[..., None], max_evals=5_000, batch_size=2_000
    )
    np.testing.assert_allclose(exp.values[0], theirs.values[0].reshape(h * w), rtol=0, atol=1e-12)
    np.testing.assert_allclose(exp.base_values[0], theirs.base_values[0, 0], atol=1e-12)
