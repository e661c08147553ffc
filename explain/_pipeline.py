"""Which original column each model-space column comes from, through a Pipeline.

A tree or linear model behind a ``ColumnTransformer`` sees encoded columns (one-hot
indicators, scaled numbers). Methods that read the model itself explain those encoded columns;
this module finds, for each encoded column, the single original column it is computed from, so
that attributions can be summed back to the columns the user passed in.

Summing is exact in the sense that matters for an audit: the per-column values still add up to
the prediction (efficiency). For a model that is additive in the encoded columns (a linear
model) the sums *are* the Shapley values of the original columns. For trees, a coalition in the
encoded game may split a one-hot group, so the sums can differ slightly from the Shapley values
of a game played on the original columns; see the user guide.

A transformer that mixes columns (PCA, PolynomialFeatures, Normalizer, an arbitrary
FunctionTransformer) has no such map; :func:`column_map` then returns the reason, and the
explainer falls back to a model-agnostic method on the original columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ColumnMap", "column_map"]

# transformers whose i-th output is computed from their i-th input only
_ONE_TO_ONE = {
    "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "OrdinalEncoder",
    "PowerTransformer", "QuantileTransformer", "Binarizer", "MissingIndicator",
}  # fmt: skip


class _Mixes(Exception):
    """Raised inside this module when a transformer mixes columns."""


@dataclass(frozen=True)
class ColumnMap:
    """``source[i]`` is the original column of model-space column ``i`` (-1: constant)."""

    source: np.ndarray
    n_original: int
    names_out: tuple[str, ...]

    def collapse(self, values: np.ndarray) -> np.ndarray:
        """Sum model-space attributions ``(n, n_out, k)`` into original columns ``(n, d, k)``."""
        out = np.zeros((values.shape[0], self.n_original, *values.shape[2:]))
        for j, source in enumerate(self.source):  # a few hundred columns at most: plain adds
            if source >= 0:
                out[:, source] += values[:, j]
        return out

    @property
    def is_identity(self) -> bool:
        return len(self.source) == self.n_original and bool(
            np.array_equal(self.source, np.arange(self.n_original))
        )


def column_map(preprocessor: Any, n_features: int) -> ColumnMap | str:
    """Map ``preprocessor``'s output columns to its input columns, or say why not.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> ct = make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough")
    >>> _ = ct.fit(np.array([[0.5, "a"], [1.5, "b"]], dtype=object))
    >>> column_map(ct, 2).source.tolist()
    [1, 1, 0]
    """
    try:
        matrix = _matrix(preprocessor, n_features)
    except _Mixes as exc:
        return str(exc)
    counts = matrix.sum(axis=0)
    if (counts > 1).any():
        return f"{type(preprocessor).__name__} combines several input columns into one"
    source = np.where(counts == 1, matrix.argmax(axis=0), -1)
    try:
        names = tuple(str(n) for n in preprocessor.get_feature_names_out())
    except (AttributeError, ValueError, TypeError):
        names = tuple(f"t{i}" for i in range(len(source)))
    if len(names) != len(source):
        names = tuple(f"t{i}" for i in range(len(source)))
    return ColumnMap(source.astype(np.intp), n_features, names)


def _matrix(step: Any, n_in: int) -> np.ndarray:
    """Boolean (n_in, n_out) matrix: output j depends on input i."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_selection import SelectorMixin
    from sklearn.pipeline import FeatureUnion, Pipeline

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.eye(n_in, dtype=bool)
    name = type(step).__name__
    if isinstance(step, Pipeline):
        m = np.eye(n_in, dtype=bool)
        for _, sub in step.steps:
            m = (m.astype(np.int64) @ _matrix(sub, m.shape[1]).astype(np.int64)) > 0
        return m
    if isinstance(step, ColumnTransformer):
        return _column_transformer_matrix(step, n_in)
    if isinstance(step, FeatureUnion):
        parts = [_matrix(t, n_in) for _, t in step.transformer_list if t not in ("drop", None)]
        return np.concatenate(parts, axis=1) if parts else np.zeros((n_in, 0), dtype=bool)
    if isinstance(step, SelectorMixin):
        return np.eye(n_in, dtype=bool)[:, step.get_support()]
    if name in _ONE_TO_ONE:
        return np.eye(n_in, dtype=bool)
    if name == "FunctionTransformer" and getattr(step, "func", None) is None:
        return np.eye(n_in, dtype=bool)  # the identity (how ColumnTransformer passes columns through)
    if name == "SimpleImputer":
        return _imputer_matrix(step, n_in)
    if name == "OneHotEncoder":
        return _blocks(_one_hot_widths(step))
    if name == "KBinsDiscretizer":
        widths = step.n_bins_ if step.encode != "ordinal" else np.ones(n_in, dtype=int)
        return _blocks([int(w) for w in widths])
    if name == "SplineTransformer":
        n_out = len(step.get_feature_names_out())
        return _blocks([n_out // n_in] * n_in)
    if name == "TargetEncoder":
        n_out = len(step.get_feature_names_out())
        return _blocks([n_out // n_in] * n_in)
    raise _Mixes(
        f"the Pipeline step {name} may combine columns, so its output cannot be traced to single "
        "input columns"
    )


def _blocks(widths: list[int]) -> np.ndarray:
    m = np.zeros((len(widths), int(sum(widths))), dtype=bool)
    start = 0
    for i, w in enumerate(widths):
        m[i, start : start + w] = True
        start += w
    return m


def _one_hot_widths(encoder: Any) -> list[int]:
    widths = getattr(encoder, "_n_features_outs", None)
    if widths is None:  # older scikit-learn: categories minus the dropped one
        drop = getattr(encoder, "drop_idx_", None)
        widths = [
            len(c) - (0 if drop is None or drop[i] is None else 1) for i, c in enumerate(encoder.categories_)
        ]
    widths = [int(w) for w in widths]
    if sum(widths) != len(encoder.get_feature_names_out()):
        raise _Mixes("could not trace the OneHotEncoder's output columns")
    return widths


def _imputer_matrix(imputer: Any, n_in: int) -> np.ndarray:
    kept = np.arange(n_in)
    stats = getattr(imputer, "statistics_", None)
    if stats is not None and not getattr(imputer, "keep_empty_features", False):
        # columns that were all-missing in training are dropped by SimpleImputer
        kept = kept[~np.array([_is_missing(s) for s in stats])]
    m = np.eye(n_in, dtype=bool)[:, kept]
    indicator = getattr(imputer, "indicator_", None)
    if indicator is not None:
        m = np.concatenate([m, np.eye(n_in, dtype=bool)[:, indicator.features_]], axis=1)
    return m


def _is_missing(value: Any) -> bool:
    try:
        return bool(np.isnan(value))
    except TypeError:
        return value is None


def _column_transformer_matrix(ct: Any, n_in: int) -> np.ndarray:
    blocks = []
    for _name, transformer, columns in ct.transformers_:
        if transformer == "drop":
            continue
        idx = _column_indices(ct, columns, n_in)
        if len(idx) == 0:
            continue
        inner = _matrix(transformer, len(idx))
        block = np.zeros((n_in, inner.shape[1]), dtype=bool)
        block[idx] = inner
        blocks.append(block)
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((n_in, 0), dtype=bool)


def _column_indices(ct: Any, columns: Any, n_in: int) -> np.ndarray:
    all_idx = np.arange(n_in)
    if isinstance(columns, slice):
        return all_idx[columns]
    cols = np.atleast_1d(np.asarray(columns))
    if cols.dtype == bool:
        return all_idx[cols]
    if cols.dtype.kind in "iu":
        return all_idx[cols]
    names = list(getattr(ct, "feature_names_in_", []))
    try:
        return np.array([names.index(str(c)) for c in cols], dtype=np.intp)
    except ValueError as exc:
        raise _Mixes(f"could not find the ColumnTransformer's columns {cols.tolist()}") from exc
