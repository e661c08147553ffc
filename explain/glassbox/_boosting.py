"""What the additive boosted classifier and regressor share: fitting through a constrained
HistGradientBoosting, reading the terms from its trees, centring them, and shape functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError
from ._terms import ShapeFunction, Term, build_terms, shape_function

__all__ = ["AdditiveBoosting"]


class AdditiveBoosting(BaseEstimator):
    """What the classifier and the regressor share: fitting, terms and shape functions."""

    _booster_class: type = HistGradientBoostingRegressor

    def _booster_params(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "max_iter": self.max_iter,
            "max_leaf_nodes": self.max_leaf_nodes,
            "min_samples_leaf": self.min_samples_leaf,
            "l2_regularization": self.l2_regularization,
            "max_bins": self.max_bins,
            "categorical_features": self.categorical_features,
            "early_stopping": self.early_stopping,
            "validation_fraction": self.validation_fraction,
            "n_iter_no_change": self.n_iter_no_change,
            "random_state": self.random_state,
        }

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AdditiveBoosting:
        """Fit the model, then read its terms from the trees.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; may hold missing values, and pandas ``category`` columns (with the
            default ``categorical_features="from_dtype"``).
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the training rows; the terms are centred on the weighted mean.

        Returns
        -------
        self
        """
        pairs = self._pairs(X)
        columns = self._columns(X) if pairs else None
        constraints = "no_interactions" if columns is None else _constraints(columns, pairs)
        booster = self._booster_class(**self._booster_params(), interaction_cst=constraints)
        booster.fit(X, y, sample_weight=sample_weight)
        if columns is not None and not np.array_equal(columns, _internal_columns(booster)):
            # scikit-learn changed the order in which it puts the columns it encodes
            raise RuntimeError("the interaction constraints did not match the fitted model's column order")
        self.booster_ = booster
        self.n_features_in_ = booster.n_features_in_
        if hasattr(booster, "feature_names_in_"):
            self.feature_names_in_ = booster.feature_names_in_
        elif hasattr(self, "feature_names_in_"):  # refitted on data without column names
            del self.feature_names_in_
        self.n_iter_ = booster.n_iter_
        names = self._feature_names()
        self.term_features_ = tuple((j,) for j in range(self.n_features_in_)) + pairs
        self.term_names_ = tuple(" & ".join(names[j] for j in t) for t in self.term_features_)
        terms, constant = build_terms(booster, self.term_features_, _internal_columns(booster))
        intercept = np.asarray(booster._baseline_prediction, dtype=float).ravel() + constant
        intercept = intercept + _centre(terms, booster._preprocess_X(X, reset=False), sample_weight)
        self._terms = terms
        self.intercept_ = self._shape_intercept(intercept)
        return self

    def _shape_intercept(self, intercept: np.ndarray) -> Any:
        return float(intercept[0])

    def eval_terms(self, X: Any) -> np.ndarray:
        """Each term's contribution to each row's decision function.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_terms), or (n_samples, n_terms, n_classes) for a
        multiclass classifier. ``intercept_ + eval_terms(X).sum(axis=1)`` is the decision
        function (the prediction, for a regressor).
        """
        check_is_fitted(self)
        X_internal = self.booster_._preprocess_X(X, reset=False)
        scores = np.stack([term.lookup(X_internal) for term in self._terms], axis=1)
        return scores[:, :, 0] if scores.shape[2] == 1 else scores

    def shape_functions(self) -> dict[str, ShapeFunction]:
        """The shape function of every single-feature term, by feature name.

        Returns
        -------
        dict of str to ShapeFunction
            In column order; each holds the grid (split thresholds or categories) and the
            centred term's value on it, read from the trees.
        """
        check_is_fitted(self)
        names = self._feature_names()
        labels = _category_labels(self.booster_)
        out = {}
        for term in self._terms:
            if len(term.features) == 1:
                (j,) = term.features
                out[names[j]] = shape_function(term, names[j], labels.get(j))
        return out

    def _feature_names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _pairs(self, X: Any) -> tuple[tuple[int, int], ...]:
        """The pairwise terms asked for, as sorted index pairs, validated against ``X``."""
        if self.interactions is None:
            return ()
        if isinstance(self.interactions, str) or not isinstance(self.interactions, Sequence):
            raise InputError(
                f"interactions={self.interactions!r}; pass a list of feature pairs, e.g. "
                "[('age', 'income')] or [(0, 3)], or None for no pairwise terms."
            )
        d = np.shape(X)[1]
        columns = getattr(X, "columns", None)
        names = [str(c) for c in columns] if columns is not None else None
        pairs: list[tuple[int, int]] = []
        for pair in self.interactions:
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise InputError(f"interaction {pair!r} is not a pair; pass two feature names or indices.")
            a, b = sorted(_feature_index(f, names, d) for f in pair)
            if a == b:
                raise InputError(f"interaction {pair!r} pairs a feature with itself; name two different features.")
            if (a, b) in pairs:
                raise InputError(f"interaction {pair!r} is listed twice; list each pair once.")
            pairs.append((a, b))
        return tuple(pairs)

    def _columns(self, X: Any) -> np.ndarray:
        """The internal column of each feature of ``X``, as HistGradientBoosting will order
        them (its interaction constraints are read in that order)."""
        from sklearn.utils.validation import _check_categorical_features

        return _column_order(_check_categorical_features(X, self.categorical_features), np.shape(X)[1])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _constraints(columns: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> list[list[int]]:
    """Every feature alone, and each pair: a tree may then use one feature, or one pair."""
    return [[int(c)] for c in columns] + [[int(columns[a]), int(columns[b])] for a, b in pairs]


def _centre(terms: list[Term], X_internal: np.ndarray, sample_weight: Any) -> np.ndarray:
    """Shift each term to mean 0 on the training rows (weighted); return the sum of the means."""
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if weights is not None and not weights.sum() > 0:
        weights = None  # no weight to average with: scikit-learn fits such data unweighted too
    total = np.zeros(terms[0].table.shape[-1]) if terms else np.zeros(1)
    for term in terms:
        mean = np.average(term.lookup(X_internal), axis=0, weights=weights)
        term.table -= mean
        total = total + mean
    return total


def _feature_index(feature: Any, names: list[str] | None, d: int) -> int:
    if isinstance(feature, str):
        if names is None or feature not in names:
            known = names if names is not None else "none: X has no column names; use indices"
            raise InputError(f"interaction feature {feature!r} is not a column of X; its columns are {known}.")
        return names.index(feature)
    if isinstance(feature, (int, np.integer)) and not isinstance(feature, bool) and 0 <= feature < d:
        return int(feature)
    raise InputError(f"interaction feature {feature!r} is neither a column name nor an index in [0, {d - 1}].")


def _column_order(mask: np.ndarray | None, d: int) -> np.ndarray:
    """``out[j]``: the internal column of feature ``j`` (categorical columns first, as
    HistGradientBoosting's encoder puts them, then the others, each in their order)."""
    if mask is None:
        return np.arange(d)
    internal_order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
    columns = np.empty(d, dtype=np.intp)
    columns[internal_order] = np.arange(d)
    return columns


def _internal_columns(booster: Any) -> np.ndarray:
    return _column_order(booster.is_categorical_, booster.n_features_in_)


def _category_labels(booster: Any) -> dict[int, np.ndarray]:
    """The categories of each categorical feature, in code order, by feature index."""
    if booster.is_categorical_ is None:
        return {}
    encoder = booster._preprocessor.named_transformers_["encoder"]
    labels = {}
    for j, categories in zip(np.flatnonzero(booster.is_categorical_), encoder.categories_, strict=True):
        if len(categories) and _is_nan(categories[-1]):
            categories = categories[:-1]  # the encoder lists missing values last; they have their own cell
        labels[int(j)] = np.asarray(categories)
    return labels


def _is_nan(value: Any) -> bool:
    return value is None or bool(np.all(pd.isna(value)))
