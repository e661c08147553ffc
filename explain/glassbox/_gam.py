"""Additive boosted models (GAMs) on scikit-learn's HistGradientBoosting.

Interaction constraints allow each tree to split on one feature only (or on one of a few pairs
the user names), so the model's decision function is a baseline plus one function per feature
(and per pair). The estimators read those functions back from the fitted trees as lookup
tables, centre each on the training data, and use them to explain predictions exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

from ._boosting import AdditiveBoosting

__all__ = ["AdditiveBoostingClassifier", "AdditiveBoostingRegressor"]

Pair = tuple[int | str, int | str]

_PARAMETERS = """
    interactions : sequence of pairs of str or int, optional
        Pairwise terms to allow, e.g. ``[("age", "income")]`` (column names) or ``[(0, 3)]``
        (indices). A tree may then split on both features of a pair; its leaves whose paths
        use both go to the pair's term. None (default): single-feature terms only.
    learning_rate : float, default 0.05
        Shrinkage of each tree's contribution.
    max_iter : int, default 300
        Number of boosting iterations (trees per output).
    max_leaf_nodes : int, default 3
        Leaves per tree: each tree adds a small step function of one feature.
    min_samples_leaf : int, default 20
        Minimum number of training rows in a leaf.
    l2_regularization : float, default 1.0
        L2 penalty on leaf values.
    max_bins : int, default 255
        Bins per numeric feature (the finest resolution of a shape function).
    categorical_features : default "from_dtype"
        As in HistGradientBoosting: ``"from_dtype"`` treats DataFrame ``category`` columns as
        categorical; a mask, indices or names name them explicitly; None: none.
    early_stopping : "auto" or bool, default "auto"
        Stop when the loss on a held-out ``validation_fraction`` of the training data stops
        improving for ``n_iter_no_change`` iterations. "auto": on above 10 000 rows.
    validation_fraction : float, default 0.1
    n_iter_no_change : int, default 10"""

_ATTRIBUTES = """
    booster_ : HistGradientBoosting estimator
        The fitted constrained model; predictions are its predictions.
    term_features_ : tuple of tuple of int
        Column indices of each term: ``(j,)`` for every feature, then the pairs.
    term_names_ : tuple of str
        Each term's name: the feature's name, or ``"a & b"`` for a pair.
    intercept_ : {intercept}
        The baseline plus the training means of the terms.
    n_iter_ : int
        Boosting iterations run.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names."""


class AdditiveBoostingClassifier(ClassifierMixin, AdditiveBoosting):
    __doc__ = f"""Additive boosted classifier: a GAM made of single-feature boosted trees.

    A :class:`~sklearn.ensemble.HistGradientBoostingClassifier` whose interaction constraints
    let every tree split on one feature only (or on one of the pairs in ``interactions``). Its
    log-odds (binary) or class margins (multiclass) are therefore ``intercept_`` plus one term
    per feature and pair, which :meth:`eval_terms` returns exactly and :meth:`shape_functions`
    returns as step functions read from the trees. Each term has mean 0 on the training data.

    Parameters
    ----------{_PARAMETERS}
    class_weight : dict or "balanced", optional
        As in HistGradientBoostingClassifier.
    random_state : int, optional
        Seed of the early-stopping split (and of binning subsamples above 200 000 rows).

    Attributes
    ----------
    classes_ : ndarray{_ATTRIBUTES.format(intercept="ndarray of shape (1,) or (n_classes,)")}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from explain.glassbox import AdditiveBoostingClassifier
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> gam = AdditiveBoostingClassifier(max_iter=50, random_state=0).fit(X.iloc[:, :4], y)
    >>> terms = gam.eval_terms(X.iloc[:5, :4])
    >>> terms.shape, gam.term_names_[0]
    ((5, 4), 'mean radius')
    >>> bool(np.allclose(gam.intercept_ + terms.sum(axis=1), gam.decision_function(X.iloc[:5, :4]), atol=1e-10))
    True
    >>> radius = gam.shape_functions()["mean radius"]
    >>> radius.kind, len(radius.values) == len(radius.grid) + 1
    ('numeric', True)
    """

    _booster_class = HistGradientBoostingClassifier

    def __init__(
        self,
        *,
        interactions: Sequence[Pair] | None = None,
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 3,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        max_bins: int = 255,
        categorical_features: Any = "from_dtype",
        early_stopping: Literal["auto"] | bool = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        class_weight: Any = None,
        random_state: int | None = None,
    ) -> None:
        self.interactions = interactions
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.random_state = random_state

    def _booster_params(self) -> dict[str, Any]:
        return {**super()._booster_params(), "class_weight": self.class_weight}

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AdditiveBoostingClassifier:
        super().fit(X, y, sample_weight)
        self.classes_ = self.booster_.classes_
        return self

    def _shape_intercept(self, intercept: np.ndarray) -> Any:
        return intercept.copy()

    def decision_function(self, X: Any) -> np.ndarray:
        """The margin: log-odds of ``classes_[1]`` (n_samples,), or per class (n_samples, n_classes)."""
        check_is_fitted(self)
        return self.booster_.decision_function(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, (n_samples, n_classes)."""
        check_is_fitted(self)
        return self.booster_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        check_is_fitted(self)
        return self.booster_.predict(X)


class AdditiveBoostingRegressor(RegressorMixin, AdditiveBoosting):
    __doc__ = f"""Additive boosted regressor: a GAM made of single-feature boosted trees.

    A :class:`~sklearn.ensemble.HistGradientBoostingRegressor` (squared error) whose
    interaction constraints let every tree split on one feature only (or on one of the pairs
    in ``interactions``). Its prediction is therefore ``intercept_`` plus one term per feature
    and pair, which :meth:`eval_terms` returns exactly and :meth:`shape_functions` returns as
    step functions read from the trees. Each term has mean 0 on the training data.

    Parameters
    ----------{_PARAMETERS}
    random_state : int, optional
        Seed of the early-stopping split (and of binning subsamples above 200 000 rows).

    Attributes
    ----------{_ATTRIBUTES.format(intercept="float")}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from explain.glassbox import AdditiveBoostingRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> gam = AdditiveBoostingRegressor(max_iter=50, interactions=[("bmi", "s5")]).fit(X, y)
    >>> gam.term_names_[-1], gam.term_features_[-1]
    ('bmi & s5', (2, 8))
    >>> terms = gam.eval_terms(X)
    >>> bool(np.abs(gam.intercept_ + terms.sum(axis=1) - gam.predict(X)).max() < 1e-10)
    True
    >>> bool(np.abs(terms.mean(axis=0)).max() < 1e-10)
    True
    """

    _booster_class = HistGradientBoostingRegressor

    def __init__(
        self,
        *,
        interactions: Sequence[Pair] | None = None,
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 3,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        max_bins: int = 255,
        categorical_features: Any = "from_dtype",
        early_stopping: Literal["auto"] | bool = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        random_state: int | None = None,
    ) -> None:
        self.interactions = interactions
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AdditiveBoostingRegressor:
        super().fit(X, y, sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The prediction: ``intercept_`` plus the sum of the terms."""
        check_is_fitted(self)
        return self.booster_.predict(X)
