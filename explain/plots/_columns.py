"""The attribution columns a many-row plot draws: the most important features, the rest summed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._common import other_label, ranked

if TYPE_CHECKING:
    from ..explanation import LocalExplanation

__all__ = ["Columns", "top_columns"]


@dataclass(frozen=True)
class Columns:
    """Attributions to draw, one column per feature, the most important first.

    ``features`` holds each column's feature position, -1 for the "other N features" column.
    """

    names: list[str]
    values: np.ndarray  # (n_rows, n_columns)
    features: list[int]


def top_columns(exp: LocalExplanation, max_display: int, *, remainder: bool = False) -> Columns:
    """Features by mean ``|attribution|``, largest first; beyond ``max_display`` columns the rest
    summed per row into "other N features" (ties in feature order, as :func:`ranked`).

    ``remainder=True`` adds a feature selection's left-out features (its ``remainder``) to the
    "other" column, which is then always there, so that each row's columns still add up from
    the base value to the prediction (as in :func:`~explain.plots.waterfall`).
    """
    values = np.asarray(exp.values, dtype=float)
    shown, rest = ranked(np.abs(values).mean(axis=0), max_display)
    left_out = len(exp.features_left_out) if remainder and exp.remainder is not None else 0
    if left_out:  # the "other" column is drawn anyway: make room for it within max_display
        order = np.concatenate([shown, rest])
        keep = max(max_display - 1, 1)
        shown, rest = order[:keep], order[keep:]
    names = [exp.feature_names[j] for j in shown]
    columns = [values[:, j] for j in shown]
    if len(rest) or left_out:
        other = values[:, rest].sum(axis=1)
        if left_out:
            other = other + np.asarray(exp.remainder, dtype=float)
        names.append(other_label(len(rest) + left_out))
        columns.append(other)
    return Columns(names, np.column_stack(columns), [int(j) for j in shown] + [-1] * (len(names) - len(shown)))
