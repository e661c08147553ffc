"""Which groups to hide so that no small group can be derived by subtraction.

Hiding the numbers of every group under ``min_group_size`` rows (*primary suppression*) is not
enough on its own. The counts a report prints for a group (favourable decisions, positives,
errors, or a rate times the group's size) add up over the groups of an attribute to the overall
count, which is printed too. So the overall count minus the shown groups' counts is the count of
the hidden groups taken together: with one hidden group, that group's own count.

*Complementary suppression*, the standard technique of statistical disclosure control, closes
the gap. :func:`suppressed_groups` applies two rules:

1. In each attribute's table (an intersection such as ``sex & race`` is one more table), the
   hidden groups together must hold at least ``min_group_size`` rows: while they hold fewer,
   the smallest shown group is hidden too. Subtraction then gives the total of a set of rows at
   least as large as a group that may be shown.
2. The tables are linked: the groups of an intersection add up to the groups of each of its
   attributes. So, over all tables at once, no group under the minimum, no attribute's hidden
   groups taken together (when they hold fewer rows), and no combination of attribute values
   held by fewer rows may be a linear combination of the overall count and the counts of the
   groups shown. While one is, the smallest shown group whose hiding removes it is hidden too.

Every additive count follows the same algebra, so one answer serves them all. What rule 2
cannot see: bounds (a hidden total of 0 says each hidden group's count is 0), and numbers that
are not counts (a ROC AUC).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DERIVABLE", "suppressed_groups"]

DERIVABLE = "suppressed so that a smaller group cannot be derived by subtraction"
_TOL = 1e-9


def suppressed_groups(
    groups: pd.DataFrame, min_group_size: int, *, keep: Mapping[str, Any] | None = None
) -> dict[str, dict[str, str]]:
    """The groups whose numbers must be hidden, with the reason, per attribute.

    Parameters
    ----------
    groups : DataFrame
        One column per attribute (intersections included), holding each row's group label.
    min_group_size : int
        Groups with fewer rows are hidden; others are hidden as long as a smaller one could be
        derived from what is shown.
    keep : dict, optional
        ``{attribute: group}``: groups hidden only when no other group would do (a reference
        group asked for).

    Returns
    -------
    dict
        ``{attribute: {group: reason}}`` for every hidden group: ``"fewer than 30 rows (12)"``,
        or :data:`DERIVABLE`.

    Examples
    --------
    >>> import pandas as pd
    >>> groups = pd.DataFrame({"sex": ["x"] * 12 + ["f"] * 41 + ["m"] * 300})
    >>> suppressed_groups(groups, 30)["sex"]
    {'x': 'fewer than 30 rows (12)', 'f': 'suppressed so that a smaller group cannot be derived by subtraction'}
    """
    table = _Tables(groups, keep or {})
    reasons: dict[int, str] = {
        i: f"fewer than {min_group_size} rows ({c})" for i, c in enumerate(table.counts) if c < min_group_size
    }
    if reasons:
        for attribute in range(len(groups.columns)):
            while (pick := table.per_table(attribute, set(reasons), min_group_size)) is not None:
                reasons[pick] = DERIVABLE
        while (pick := table.linked(set(reasons), min_group_size)) is not None:
            reasons[pick] = DERIVABLE
    out: dict[str, dict[str, str]] = {str(c): {} for c in groups.columns}
    for i in sorted(reasons, key=lambda i: (table.counts[i] >= min_group_size, table.counts[i], table.keys[i])):
        attribute, group = table.keys[i]
        out[groups.columns[attribute]][group] = reasons[i]
    return out


class _Tables:
    """Every group of every attribute as the set of *cells* (the distinct combinations of labels
    over all attributes) it is made of: a row of the matrix ``cells``."""

    def __init__(self, groups: pd.DataFrame, keep: Mapping[str, Any]) -> None:
        labels = groups.astype(str)
        cell = labels.groupby(list(labels.columns), sort=True).ngroup().to_numpy()
        self.cell_sizes = np.bincount(cell)
        self.n = len(labels)
        keys, rows, counts = [], [], []
        for a, name in enumerate(labels.columns):
            values, inverse = np.unique(labels[name].to_numpy(), return_inverse=True)
            of_cell = np.zeros(len(self.cell_sizes), dtype=int)
            of_cell[cell] = inverse
            for j, value in enumerate(values):
                keys.append((a, str(value)))
                rows.append(of_cell == j)
            counts += np.bincount(inverse, minlength=len(values)).tolist()
        self.keys: list[tuple[int, str]] = keys
        self.cells = np.array(rows, dtype=float)
        self.counts = np.array(counts, dtype=int)
        wanted = {(list(labels.columns).index(str(k)), str(v)) for k, v in keep.items() if str(k) in labels.columns}
        self.keep = np.array([k in wanted for k in keys])

    def _order(self, i: int) -> tuple[Any, ...]:
        return (bool(self.keep[i]), int(self.counts[i]), self.keys[i])

    def per_table(self, attribute: int, hidden: set[int], minimum: int) -> int | None:
        """Rule 1: the smallest shown group of ``attribute`` while its hidden ones hold under ``minimum`` rows."""
        own = [i for i, k in enumerate(self.keys) if k[0] == attribute]
        rows = sum(int(self.counts[i]) for i in own if i in hidden)
        shown = [i for i in own if i not in hidden]
        if rows == 0 or rows >= minimum or not shown:
            return None
        return min(shown, key=self._order)

    def _targets(self, hidden: set[int], minimum: int) -> list[tuple[np.ndarray, int | None]]:
        """What must not be derivable, smallest first: the hidden groups under ``minimum`` rows,
        each attribute's hidden groups together, and the cells under ``minimum`` rows (each with
        the attribute it belongs to, if one), when they hold fewer than ``minimum`` rows."""
        found: list[tuple[np.ndarray, int | None]] = [(self.cells[i] > 0, self.keys[i][0]) for i in sorted(hidden)]
        for a in sorted({k[0] for k in self.keys}):
            own = [self.cells[i] > 0 for i in sorted(hidden) if self.keys[i][0] == a]
            if len(own) > 1:
                found.append((np.any(own, axis=0), a))
        found += [(np.arange(len(self.cell_sizes)) == c, None) for c in np.flatnonzero(self.cell_sizes < minimum)]
        # the whole data is printed anyway (and cannot be hidden)
        small = [(m, a) for m, a in found if self.cell_sizes[m].sum() < min(minimum, self.n)]
        return sorted(small, key=lambda t: int(self.cell_sizes[t[0]].sum()))

    def linked(self, hidden: set[int], minimum: int) -> int | None:
        """Rule 2: a shown group to hide while some small set of cells is derivable from the
        overall count and the shown groups (``None`` when nothing is)."""
        shown = [i for i in range(len(self.keys)) if i not in hidden]
        if not shown:
            return None
        published = np.vstack([np.ones(len(self.cell_sizes)), self.cells[shown]])
        u, s, vt = np.linalg.svd(published, full_matrices=False)
        rank = int((s > _TOL * s[0] * max(published.shape)).sum())
        u, s, vt = u[:, :rank], s[:rank], vt[:rank]
        # a row outside the span of the other rows: hiding that group changes what is derivable
        alone = np.einsum("ij,ij->i", u, u)[1:] > 1 - 1e-6
        for mask, home in self._targets(hidden, minimum):
            target = mask.astype(float)
            if np.linalg.norm(target - vt.T @ (vt @ target)) > 1e-6 * np.linalg.norm(target):
                continue
            # how the target is derived (the least-norm combination of the published rows)
            used = np.abs(u[1:] @ ((vt @ target) / s)) > 1e-6
            # first a group whose hiding alone stops this derivation, of the target's attribute
            # first, smallest first; else the smallest group the derivation uses
            ranked = [
                (not alone[j], self.keys[i][0] != home, self._order(i), i) for j, i in enumerate(shown) if used[j]
            ]
            return min(ranked)[-1] if ranked else min(shown, key=self._order)
        return None
