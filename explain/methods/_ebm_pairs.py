"""The Shapley split of an Explainable Boosting Machine's pair terms between their features.

A pair term ``f(x_i, x_j)`` belongs to two features; how much of it each one gets is a choice.
``glassbox`` gives each feature its Shapley value in the game the term plays against the data
the EBM was fitted on (interventional, as ``exact_shap`` with that data as background):

    phi_i = 1/2 [(f(x_i, x_j) - E f(b_i, x_j)) + (E f(x_i, b_j) - E f(b_i, b_j))]

with ``b`` a training row (a term of more features: the same game with more players). The EBM
carries that data in the form the formula needs: for every term, the weight of the training rows
in each of the term's cells (``bin_weights_``), on which InterpretML centres every term to mean
zero. The expectations are therefore exact sums over the term's table, the main terms are
already their own Shapley values against the same data, and the base value stays the intercept
(plus each pair's mean, zero for a fitted EBM). An equal split instead hands a feature half of a
term whether or not the term moves with it.

A row's cells are read with InterpretML's own binning (a private function of ``interpret``);
every lookup is checked against ``eval_terms``, so a change there is refused, never turned into
wrong numbers.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial
from typing import Any

import numpy as np

from ._base import Unsupported

__all__ = ["carries_training_weights", "shapley_term_values"]


def carries_training_weights(model: object) -> bool:
    """Whether ``model`` stores the training weight of every cell of every term (an EBM does)."""
    weights = getattr(model, "bin_weights_", None)
    return (
        hasattr(model, "bins_")
        and hasattr(model, "term_scores_")
        and weights is not None
        and len(weights) == len(model.term_features_)  # type: ignore[attr-defined]
    )


def shapley_term_values(
    model: Any, X: Any, scores: np.ndarray, terms: list[int]
) -> tuple[list[np.ndarray], np.ndarray]:
    """The Shapley values of each feature of each term in ``terms`` (of two or more features).

    Parameters
    ----------
    model : a fitted EBM (see :func:`carries_training_weights`)
    X : the rows, as the EBM takes them
    scores : ndarray (n, n_terms, k)
        ``model.eval_terms(X)``, with a last axis of outputs.
    terms : the indices of the terms to split

    Returns
    -------
    values : list of ndarray (n, len(term_features), k)
        For each term, the value of each of its features, in ``term_features_`` order.
    means : ndarray (len(terms), k)
        Each term's mean over the training data; a term's values and its mean add up to it.
    """
    values, means = [], np.zeros((len(terms), scores.shape[2]))
    for p, (t, cells) in enumerate(zip(terms, _cells(model, X, terms), strict=True)):
        raw = np.asarray(model.term_scores_[t], dtype=np.float64)
        weights = np.asarray(model.bin_weights_[t], dtype=np.float64)
        if raw.size != weights.size * scores.shape[2] or not weights.sum() > 0:
            raise Unsupported(f"the EBM's term {model.term_names_[t]!r} has no training weights to split it by")
        table = raw.reshape(*weights.shape, scores.shape[2])
        if not np.array_equal(table[cells], scores[:, t], equal_nan=True):
            raise Unsupported(
                f"the cells read for the EBM's term {model.term_names_[t]!r} do not give the scores eval_terms "
                "gives (has InterpretML's binning changed?); use method='exact_shap'"
            )
        game = _game(table, weights / weights.sum(), cells)
        values.append(_shapley(game, len(cells)))
        means[p] = game[0][0]
    return values, means


def _game(table: np.ndarray, joint: np.ndarray, cells: tuple[np.ndarray, ...]) -> dict[int, np.ndarray]:
    """``game[S]``: each row's expected term with the features in ``S`` (a bit mask) at the row's
    values and the others drawn from the training data, ``(n, k)`` (the empty set: ``(1, k)``)."""
    m = len(cells)
    # a cell that holds no number weighs nothing wherever it is drawn (else the model's own
    # prediction would not be a number): leave it out of the sums
    finite = np.where(np.isfinite(table), table, 0.0)
    game = {}
    for mask in range(2**m):
        kept = tuple(a for a in range(m) if mask >> a & 1)
        drawn = tuple(a for a in range(m) if not mask >> a & 1)
        if not drawn:
            game[mask] = table[cells]
            continue
        marginal = joint.sum(axis=kept) if kept else joint  # the drawn features' joint weights
        expected = np.tensordot(finite, marginal, axes=(drawn, tuple(range(len(drawn)))))
        game[mask] = expected[tuple(cells[a] for a in kept)] if kept else expected[None]
    return game


def _shapley(game: dict[int, np.ndarray], m: int) -> np.ndarray:
    """Each player's Shapley value, ``(n, m, k)``."""
    full = game[2**m - 1]
    out = np.zeros((full.shape[0], m, full.shape[1]))
    for i in range(m):
        others = [a for a in range(m) if a != i]
        for size in range(m):
            weight = factorial(size) * factorial(m - size - 1) / factorial(m)
            for coalition in combinations(others, size):
                mask = sum(1 << a for a in coalition)
                out[:, i] += weight * (game[mask | 1 << i] - game[mask])
    return out


def _cells(model: Any, X: Any, terms: list[int]) -> list[tuple[np.ndarray, ...]]:
    """Each row's cell on every axis of each term (index -1: the unseen-value cell)."""
    try:
        from interpret.glassbox._ebm._bin import eval_terms
        from interpret.utils._clean_x import preclean_X
    except ImportError as exc:
        raise Unsupported(
            f"this version of interpret does not offer the binning glassbox reads an EBM's pair terms with ({exc}); "
            "use method='exact_shap'"
        ) from None
    names, types = model.feature_names_in_, model.feature_types_in_
    cleaned, n = preclean_X(X, names, types)
    found = eval_terms(cleaned, n, names, types, model.bins_, [model.term_features_[t] for t in terms])
    return [tuple(np.asarray(axis, dtype=np.intp) for axis in cells) for cells in found]
