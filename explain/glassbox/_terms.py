"""Term tables: each additive term of a fitted model as a lookup table over its features' cells.

A numeric feature's cells are the intervals between the distinct split thresholds of its term
(``x <= t`` goes left in scikit-learn, so cell ``i`` is ``t[i-1] < x <= t[i]``), plus one cell
for missing values. A categorical feature's cells are its category codes, plus one cell for
missing values, which scikit-learn also uses for categories not seen in training. A term's
value is constant on every cell (or pair of cells), so evaluating the trees once at one point of
each cell gives the term exactly, and a row's term is then one table lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._trees import TreePart, split_trees

__all__ = ["Axis", "ShapeFunction", "Term", "build_terms"]


@dataclass(frozen=True)
class Axis:
    """How the values of one feature map to the cells of a term table."""

    feature: int  # index among the columns the model was fitted on
    column: int  # index in the model's internal column order (categorical columns first)
    thresholds: np.ndarray  # numeric: sorted distinct finite split thresholds
    n_categories: int | None  # categorical: number of category codes; None for numeric

    @property
    def size(self) -> int:
        """Number of cells, the missing-value cell (always the last) included."""
        if self.n_categories is not None:
            return self.n_categories + 1
        return len(self.thresholds) + 2

    def representatives(self) -> np.ndarray:
        """One value in each cell, in cell order."""
        if self.n_categories is not None:
            inside = np.arange(self.n_categories, dtype=float)
        else:
            inside = np.append(self.thresholds, np.inf)
        return np.append(inside, np.nan)

    def cells(self, x: np.ndarray) -> np.ndarray:
        """The cell of each value of ``x`` (a column in the model's internal encoding)."""
        missing = self.size - 1
        if self.n_categories is not None:
            known = (x >= 0) & (x < self.n_categories)  # False for NaN
            out = np.full(len(x), missing, dtype=np.intp)
            out[known] = x[known].astype(np.intp)  # scikit-learn truncates codes the same way
            return out
        out = np.searchsorted(self.thresholds, x, side="left")
        out[np.isnan(x)] = missing
        return out


@dataclass
class Term:
    """One additive term: a table of shape ``(*[axis.size for axis in axes], n_outputs)``."""

    features: tuple[int, ...]
    axes: tuple[Axis, ...]
    table: np.ndarray

    def lookup(self, X_internal: np.ndarray) -> np.ndarray:
        """The term's value for each row, ``(n_rows, n_outputs)``."""
        return self.table[tuple(axis.cells(X_internal[:, axis.column]) for axis in self.axes)]


def build_terms(
    booster: Any, term_features: Sequence[tuple[int, ...]], columns: np.ndarray
) -> tuple[list[Term], np.ndarray]:
    """Read ``booster``'s trees into one :class:`Term` per entry of ``term_features``.

    ``columns[j]`` is the internal column of feature ``j``. Returns the terms (not centred) and
    the constant of trees that are a single leaf, ``(n_outputs,)``.
    """
    n_outputs = booster.n_trees_per_iteration_
    parts, constant = split_trees(booster._predictors, n_outputs)
    feature_of = {int(c): j for j, c in enumerate(columns)}
    by_term: dict[tuple[int, ...], list[TreePart]] = {tuple(t): [] for t in term_features}
    for part in parts:
        key = tuple(sorted(feature_of[c] for c in part.columns))
        if key not in by_term:  # the interaction constraints rule this out
            raise RuntimeError(f"a tree of the fitted model uses features {key}, which form no allowed term")
        by_term[key].append(part)
    known, f_idx_map = booster._bin_mapper.make_known_categories_bitsets()
    bins = booster._bin_mapper
    terms = []
    for features, found in by_term.items():
        axes = tuple(_axis(j, int(columns[j]), found, bins) for j in features)
        grid = _grid(axes, len(columns))
        table = np.zeros((len(grid), n_outputs))
        for part in found:
            table[:, part.output] += part.predictor.predict(grid, known, f_idx_map, 1)
        terms.append(Term(tuple(features), axes, table.reshape(*(a.size for a in axes), n_outputs)))
    return terms, constant


def _axis(feature: int, column: int, parts: list[TreePart], bins: Any) -> Axis:
    if bins.is_categorical is not None and bins.is_categorical[column]:
        return Axis(feature, column, np.empty(0), len(bins.bin_thresholds_[column]))
    found = [p.thresholds[column] for p in parts]
    thresholds = np.unique(np.concatenate(found)) if found else np.empty(0)
    return Axis(feature, column, thresholds, None)


def _grid(axes: tuple[Axis, ...], n_columns: int) -> np.ndarray:
    """Every combination of the axes' representatives, as rows of the model's internal input;
    the columns no axis covers are missing (no part of the term reads them)."""
    mesh = np.meshgrid(*(a.representatives() for a in axes), indexing="ij")
    grid = np.full((mesh[0].size, n_columns), np.nan)
    for axis, values in zip(axes, mesh, strict=True):
        grid[:, axis.column] = values.ravel()
    return grid


@dataclass(frozen=True)
class ShapeFunction:
    """The shape function of one single-feature term, read from the trees.

    Attributes
    ----------
    feature : str
        The feature's name.
    index : int
        The feature's column index.
    kind : {"numeric", "categorical"}
        How the model treats the feature.
    grid : ndarray
        Numeric: the distinct split thresholds ``t`` (sorted). Categorical: the categories.
    values : ndarray
        Numeric: ``len(grid) + 1`` values, ``values[i]`` for ``t[i-1] < x <= t[i]`` (so the
        term's value at ``x = t[i]`` is ``values[i]``) and ``values[-1]`` above the last
        threshold. Categorical: the value of each category. Multiclass models add a last axis,
        one column per class.
    missing : float or ndarray
        The value for a missing value (and, for a categorical feature, an unseen category).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from explain.glassbox import AdditiveBoostingRegressor
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> bmi = AdditiveBoostingRegressor(max_iter=30).fit(X, y).shape_functions()["bmi"]
    >>> bmi.kind, len(bmi.values) == len(bmi.grid) + 1
    ('numeric', True)
    >>> bool(bmi.evaluate([bmi.grid[0]])[0] == bmi.values[0])
    True
    """

    feature: str
    index: int
    kind: Literal["numeric", "categorical"]
    grid: np.ndarray
    values: np.ndarray
    missing: float | np.ndarray

    def evaluate(self, x: Any) -> np.ndarray:
        """The term's value at each value of ``x`` (a 1-D sequence of the feature's values)."""
        if self.kind == "numeric":
            x = np.asarray(x, dtype=float)
            cells = np.searchsorted(self.grid, x, side="left")
            known = ~np.isnan(x)
        else:
            code = {c: i for i, c in enumerate(self.grid.tolist())}
            cells = np.array([code.get(v, -1) for v in x], dtype=np.intp)
            known = cells >= 0
        out = np.empty((len(cells), *np.shape(self.missing)))
        out[known] = self.values[cells[known]]
        out[~known] = self.missing
        return out


def shape_function(term: Term, name: str, categories: np.ndarray | None) -> ShapeFunction:
    """The :class:`ShapeFunction` of a single-feature ``term``; ``categories`` labels the codes
    of a categorical feature."""
    (axis,) = term.axes
    table = term.table if term.table.shape[1] > 1 else term.table[:, 0]
    missing = _frozen(table[-1]) if table.ndim > 1 else float(table[-1])
    values = _frozen(table[:-1])
    if axis.n_categories is not None:
        grid = np.asarray(categories) if categories is not None else np.arange(axis.n_categories)
        return ShapeFunction(name, axis.feature, "categorical", _frozen(grid), values, missing)
    return ShapeFunction(name, axis.feature, "numeric", _frozen(axis.thresholds), values, missing)


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only copy: a shape function is a value, and changing it would not change the model."""
    out = np.array(array)
    out.setflags(write=False)
    return out
