"""A scikit-learn view of a model that is not a scikit-learn estimator, for the global methods
that call :mod:`sklearn.inspection` (partial dependence, permutation importance).

A raw ``lightgbm.Booster`` (what ``lightgbm.Booster(model_file=...)`` gives) predicts well but has
no ``fit``, ``classes_`` or estimator tags, so scikit-learn refuses it. The view answers
``predict_proba``, ``decision_function`` and ``predict`` through the :class:`ModelAdapter`, so the
numbers are the adapter's, the same ones every other method explains.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from .._model import ModelAdapter

__all__ = ["sklearn_estimator"]


def sklearn_estimator(model: ModelAdapter) -> Any:
    """The estimator to hand to :mod:`sklearn.inspection`: the model itself where scikit-learn
    accepts it, otherwise a fitted view of the adapter."""
    if model.kind != "lightgbm_booster":
        return model.model
    return _ClassifierView(model) if model.is_classifier else _RegressorView(model)


class _View(BaseEstimator):
    """Fitted by construction; ``fit`` is there because scikit-learn's validation asks for it."""

    def __init__(self, adapter: ModelAdapter) -> None:
        self.adapter = adapter

    def fit(self, X: Any, y: Any = None) -> _View:
        raise NotImplementedError("a view of a fitted model cannot be refitted")

    def __sklearn_is_fitted__(self) -> bool:
        return True


class _RegressorView(RegressorMixin, _View):
    def predict(self, X: Any) -> np.ndarray:
        out = self.adapter.predict(X, "raw")
        return out[:, 0] if out.shape[1] == 1 else out


class _ClassifierView(ClassifierMixin, _View):
    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.adapter.classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = self.adapter.predict(X, "probability")
        return np.column_stack([1 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p

    def decision_function(self, X: Any) -> np.ndarray:
        out = self.adapter.predict(X, "raw")
        return out[:, 0] if out.shape[1] == 1 else out

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
