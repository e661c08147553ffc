"""lime's image estimator, step by step against scikit-learn: on the same masks, the distances,
kernel and ridge regression are those LimeImageExplainer computes (lime_base with its defaults)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import pairwise_distances

from explain._image_methods import _lime


def test_lime_equals_sklearn_ridge_on_cosine_kernel_weights():
    rng = np.random.default_rng(7)
    r, k, n = 5, 3, 400
    coef = rng.normal(size=(r, k))

    def value(masks):
        z = masks.astype(float)
        return z @ coef + 0.3 * z[:, :1] * z[:, 1:2] + 1.0  # not linear: the fit is not exact

    result = _lime(value, r, n, 0.25, np.random.default_rng(11))
    masks = np.random.default_rng(11).integers(0, 2, size=(n, r)).astype(bool)  # the same draw
    masks[0] = True
    assert (~masks).all(axis=1).any()  # an all-off mask is among them (cosine distance 1, by sklearn's rule)
    z = masks.astype(float)
    distances = pairwise_distances(z, z[:1], metric="cosine").ravel()  # as LimeImageExplainer
    weights = np.sqrt(np.exp(-(distances**2) / 0.25**2))
    y = value(masks)
    for j in range(k):
        ridge = Ridge(alpha=1, fit_intercept=True).fit(z, y[:, j], sample_weight=weights)
        np.testing.assert_allclose(result.values[:, j], ridge.coef_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(result.base[j], ridge.intercept_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(result.diagnostics["fidelity"][j], ridge.score(z, y[:, j], sample_weight=weights),
                                   atol=1e-10)  # fmt: skip
        np.testing.assert_allclose(result.diagnostics["local_prediction"][j], ridge.predict(z[:1])[0], atol=1e-10)
    np.testing.assert_array_equal(result.prediction, y[0])
