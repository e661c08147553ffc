"""Interpretable models that ``explain`` ships, explained exactly by the ``glassbox`` method.

:class:`AdditiveBoostingClassifier` and :class:`AdditiveBoostingRegressor` are additive boosted
models (GAMs) on scikit-learn's HistGradientBoosting: every tree uses one feature (or one of a
few chosen pairs), so each prediction is an intercept plus one term per feature, read back from
the trees as :class:`ShapeFunction` step functions.
"""

from ._gam import AdditiveBoostingClassifier, AdditiveBoostingRegressor
from ._terms import ShapeFunction

__all__ = ["AdditiveBoostingClassifier", "AdditiveBoostingRegressor", "ShapeFunction"]
